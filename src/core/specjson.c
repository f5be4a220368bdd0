/*
 * specjson — builds the JSON form of a spec. Owns nothing past the call.
 */
#include "core/specjson.h"

#include <cjson/cJSON.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/signame.h"
#include "core/strutil.h"

#define SPECJSON_MASK "********"

static cJSON *
specjson_strings(const char *const *v, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
	return a;
}

static cJSON *
specjson_command(const struct spec_command *c)
{
	cJSON *o = cJSON_CreateObject();
	if (c->shell)
		cJSON_AddStringToObject(o, "shell", c->argv[0]);
	else
		cJSON_AddItemToObject(o, "argv", specjson_strings(c->argv, c->argc));
	return o;
}

static cJSON *
specjson_env(const struct spec_env *e, bool show_secrets)
{
	cJSON *o = cJSON_CreateObject();
	for (size_t i = 0; i < e->count; i++) {
		const char *v = e->vars[i].value;
		if (!show_secrets && config_is_secret(e->vars[i].key) && *v != '\0')
			v = SPECJSON_MASK;
		cJSON_DeleteItemFromObjectCaseSensitive(o, e->vars[i].key);
		cJSON_AddStringToObject(o, e->vars[i].key, v);
	}
	return o;
}

static cJSON *
specjson_probe(const struct spec_probe *p, bool health)
{
	if (p->kind == SPEC_PROBE_NONE)
		return cJSON_CreateNull();
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "kind", config_probe_name(p->kind));
	switch (p->kind) {
	case SPEC_PROBE_LOG:
		cJSON_AddStringToObject(o, "log", p->log);
		break;
	case SPEC_PROBE_EXEC:
		cJSON_AddItemToObject(o, "exec", specjson_command(&p->exec));
		break;
	case SPEC_PROBE_HTTP:
		cJSON_AddStringToObject(o, "url", p->url);
		/* fall through */
	case SPEC_PROBE_TCP:
		cJSON_AddStringToObject(o, "host", p->host);
		cJSON_AddNumberToObject(o, "port", p->port);
		break;
	case SPEC_PROBE_SILENCE:
		cJSON_AddNumberToObject(o, "silence_ms", (double)p->silence_ms);
		break;
	default:
		break;
	}
	cJSON_AddNumberToObject(o, "timeout_ms", (double)p->timeout_ms);
	cJSON_AddNumberToObject(o, "interval_ms", (double)p->interval_ms);
	cJSON_AddNumberToObject(o, "initial_delay_ms", (double)p->initial_delay_ms);
	if (health) {
		cJSON_AddNumberToObject(o, "retries", p->retries);
		cJSON_AddStringToObject(o, "on_fail", config_on_fail_name(p->on_fail));
	}
	return o;
}

static cJSON *
specjson_rules(const struct rule *r, size_t n, bool top)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "rule", r[i].text);
		cJSON_AddStringToObject(o, "kind", rule_kind_name(r[i].kind));
		cJSON_AddStringToObject(o, "severity", rule_severity_name(r[i].severity));
		if (top) {
			if (r[i].target != NULL)
				cJSON_AddStringToObject(o, "target", r[i].target);
			else
				cJSON_AddStringToObject(o, "target", "all");
		}
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static void
specjson_limit(cJSON *o, const char *key, int64_t v)
{
	if (v < 0)
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddNumberToObject(o, key, (double)v);
}

cJSON *
specjson_process(const struct spec *s, const struct spec_process *p, bool show_secrets)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", p->name);
	cJSON_AddStringToObject(o, "kind", config_kind_name(p->kind));
	cJSON_AddBoolToObject(o, "disabled", p->disabled);
	cJSON_AddItemToObject(o, "command", specjson_command(&p->command));
	cJSON_AddStringToObject(o, "cwd", p->cwd);
	struct arena *a = arena_new();
	struct spec_env env = config_process_env(s, p, a);
	cJSON_AddItemToObject(o, "env", specjson_env(&env, show_secrets));
	arena_free(a);
	if (p->user != NULL)
		cJSON_AddStringToObject(o, "user", p->user);
	else
		cJSON_AddNullToObject(o, "user");
	if (p->umask >= 0)
		cJSON_AddNumberToObject(o, "umask", p->umask);
	else
		cJSON_AddNullToObject(o, "umask");
	cJSON_AddItemToObject(o, "tags", specjson_strings(p->tags, p->ntags));
	if (p->group != NULL)
		cJSON_AddStringToObject(o, "group", p->group);
	else
		cJSON_AddNullToObject(o, "group");
	cJSON *deps = cJSON_CreateObject();
	for (size_t i = 0; i < p->ndeps; i++)
		cJSON_AddStringToObject(deps, p->deps[i].name, config_cond_name(p->deps[i].cond));
	cJSON_AddItemToObject(o, "depends_on", deps);
	cJSON_AddItemToObject(o, "ready", specjson_probe(&p->ready, false));
	cJSON_AddItemToObject(o, "health", specjson_probe(&p->health, true));
	cJSON_AddStringToObject(o, "restart", config_restart_name(p->restart));
	cJSON *b = cJSON_AddObjectToObject(o, "backoff");
	cJSON_AddNumberToObject(b, "initial_ms", (double)p->backoff.initial_ms);
	cJSON_AddNumberToObject(b, "max_ms", (double)p->backoff.max_ms);
	cJSON_AddNumberToObject(b, "factor", p->backoff.factor);
	cJSON_AddNumberToObject(o, "max_restarts", p->max_restarts);
	cJSON_AddNumberToObject(o, "restart_window_ms", (double)p->restart_window_ms);
	const char *sig = signame_name(p->stop_signal);
	if (sig != NULL)
		cJSON_AddStringToObject(o, "stop_signal", sig);
	else
		cJSON_AddNumberToObject(o, "stop_signal", p->stop_signal);
	cJSON_AddNumberToObject(o, "stop_timeout_ms", (double)p->stop_timeout_ms);
	cJSON_AddNumberToObject(o, "replicas", p->replicas);
	cJSON *l = cJSON_AddObjectToObject(o, "limits");
	specjson_limit(l, "memory", p->limits.memory);
	if (p->limits.cpu < 0)
		cJSON_AddNullToObject(l, "cpu_percent");
	else
		cJSON_AddNumberToObject(l, "cpu_percent", p->limits.cpu);
	specjson_limit(l, "nofile", p->limits.nofile);
	specjson_limit(l, "nproc", p->limits.nproc);
	specjson_limit(l, "core", p->limits.core);
	cJSON_AddItemToObject(o, "alerts", specjson_rules(p->alerts, p->nalerts, false));
	return o;
}

cJSON *
specjson_build(const struct spec *s, bool show_secrets)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "version", s->version);
	cJSON_AddStringToObject(o, "name", s->name);
	cJSON_AddStringToObject(o, "file", s->file);
	cJSON_AddStringToObject(o, "dir", s->dir);
	cJSON *st = cJSON_AddObjectToObject(o, "settings");
	const struct spec_settings *set = &s->settings;
	cJSON_AddNumberToObject(st, "sample_interval_ms", (double)set->sample_interval_ms);
	cJSON_AddStringToObject(st, "log_dir", set->log_dir);
	cJSON_AddNumberToObject(st, "log_max_size", (double)set->log_max_size);
	cJSON_AddNumberToObject(st, "log_max_files", set->log_max_files);
	cJSON_AddNumberToObject(st, "log_buffer", (double)set->log_buffer);
	cJSON_AddNumberToObject(st, "crash_reports", set->crash_reports);
	cJSON_AddNumberToObject(st, "crash_reports_max_size", (double)set->crash_reports_max_size);
	cJSON_AddNumberToObject(st, "shutdown_timeout_ms", (double)set->shutdown_timeout_ms);
	cJSON_AddItemToObject(o, "env", specjson_env(&s->env, show_secrets));
	cJSON *procs = cJSON_AddArrayToObject(o, "processes");
	for (size_t i = 0; i < s->nprocesses; i++)
		cJSON_AddItemToArray(procs,
		    specjson_process(s, &s->processes[s->start_order[i]], show_secrets));
	cJSON *al = cJSON_AddObjectToObject(o, "alerts");
	cJSON_AddNumberToObject(al, "cooldown_ms", (double)s->alerts.cooldown_ms);
	if (s->alerts.notify_exec.argc > 0)
		cJSON_AddItemToObject(al, "notify_exec", specjson_command(&s->alerts.notify_exec));
	else
		cJSON_AddNullToObject(al, "notify_exec");
	if (s->alerts.webhook != NULL)
		cJSON_AddStringToObject(al, "webhook", s->alerts.webhook);
	else
		cJSON_AddNullToObject(al, "webhook");
	cJSON_AddNumberToObject(al, "webhook_timeout_ms", (double)s->alerts.webhook_timeout_ms);
	cJSON_AddItemToObject(al, "rules", specjson_rules(s->alerts.rules, s->alerts.nrules, true));
	return o;
}

void
specjson_add_command(cJSON *o, const struct spec *s, const struct spec_process *p)
{
	const struct spec_command *cmd = &p->command;
	struct strbuf sb;
	strbuf_init(&sb);
	for (size_t k = 0; k < cmd->argc; k++)
		strbuf_addf(&sb, "%s%s", k ? " " : "", cmd->argv[k]);
	cJSON_AddStringToObject(o, "command", sb.data != NULL ? sb.data : "");
	strbuf_fini(&sb);
	cJSON_AddStringToObject(o, "cwd", p->cwd != NULL ? p->cwd : s->dir);
}
