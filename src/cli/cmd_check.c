/*
 * cmd_check — `vigil check`: validate a stack file and print it resolved,
 * as text for people or as JSON for scripts.
 */
#include "cli/cli.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/cgroup.h"
#include "core/config.h"
#include "core/diag.h"
#include "core/signame.h"
#include "core/specjson.h"
#include "core/strutil.h"
#include "core/units.h"

enum { CHECK_FILE, CHECK_JSON, CHECK_SECRETS, CHECK_QUIET, CHECK_HELP };

/* Appends s quoted for a POSIX shell when it needs quoting. */
static void
check_quote(struct strbuf *sb, const char *s)
{
	bool plain = *s != '\0';
	for (const char *p = s; *p != '\0'; p++)
		if (strchr(" \t\n'\"\\$`*?[]{}()<>|&;#~!", *p) != NULL)
			plain = false;
	if (plain) {
		strbuf_add(sb, s);
		return;
	}
	strbuf_addc(sb, '\'');
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '\'')
			strbuf_add(sb, "'\\''");
		else
			strbuf_addc(sb, *p);
	}
	strbuf_addc(sb, '\'');
}

static void
check_command(struct strbuf *sb, const struct spec_command *c)
{
	if (c->shell) {
		strbuf_addf(sb, "sh -c ");
		check_quote(sb, c->argv[0]);
		return;
	}
	for (size_t i = 0; i < c->argc; i++) {
		if (i > 0)
			strbuf_addc(sb, ' ');
		check_quote(sb, c->argv[i]);
	}
}

static const char *
check_dur(int64_t ms, char *buf, size_t size)
{
	units_fmt_duration(ms, buf, size);
	return buf;
}

static void
check_probe(const struct spec_probe *p, bool health)
{
	struct strbuf sb;
	strbuf_init(&sb);
	char a[32], b[32];
	switch (p->kind) {
	case SPEC_PROBE_LOG:
		strbuf_addf(&sb, "log line matching /%s/", p->log);
		break;
	case SPEC_PROBE_EXEC:
		strbuf_add(&sb, "exec ");
		check_command(&sb, &p->exec);
		break;
	case SPEC_PROBE_TCP:
		strbuf_addf(&sb, "tcp connect to %s:%d", p->host, p->port);
		break;
	case SPEC_PROBE_HTTP:
		strbuf_addf(&sb, "http GET %s answers 2xx/3xx", p->url);
		break;
	case SPEC_PROBE_NOTIFY:
		strbuf_add(&sb, health ? "WATCHDOG=1 on $NOTIFY_SOCKET" : "READY=1 on $NOTIFY_SOCKET");
		break;
	case SPEC_PROBE_SILENCE:
		strbuf_addf(&sb, "some output every %s", check_dur(p->silence_ms, a, sizeof(a)));
		break;
	default:
		return;
	}
	if (health)
		strbuf_addf(&sb, "; every %s, %s timeout, unhealthy after %d failures, then %s",
		    check_dur(p->interval_ms, a, sizeof(a)), check_dur(p->timeout_ms, b, sizeof(b)),
		    p->retries, config_on_fail_name(p->on_fail));
	else
		strbuf_addf(&sb, "; within %s", check_dur(p->timeout_ms, a, sizeof(a)));
	if (p->initial_delay_ms > 0)
		strbuf_addf(&sb, ", first after %s", check_dur(p->initial_delay_ms, a, sizeof(a)));
	printf("       %-9s %s\n", health ? "health" : "ready", sb.data);
	strbuf_fini(&sb);
}

static void
check_env_lines(const struct spec_env *env, bool show_secrets, const char *indent)
{
	for (size_t i = 0; i < env->count; i++) {
		/* A later entry for the same key wins; print only that one. */
		bool later = false;
		for (size_t j = i + 1; j < env->count; j++)
			if (strcmp(env->vars[i].key, env->vars[j].key) == 0)
				later = true;
		if (later)
			continue;
		const char *v = env->vars[i].value;
		bool mask = !show_secrets && config_is_secret(env->vars[i].key) && *v != '\0';
		printf("%s%s=%s\n", indent, env->vars[i].key, mask ? "********" : v);
	}
}

static void
check_process(const struct spec *s, const struct spec_process *p, size_t n, bool show_secrets)
{
	char a[32], b[32];
	struct strbuf sb;
	strbuf_init(&sb);
	if (p->replicas > 1)
		strbuf_addf(&sb, " ×%d (%s:0 … %s:%d)", p->replicas, p->name, p->name, p->replicas - 1);
	printf("  %zu. %s%s  %s%s%s", n, p->name, sb.len ? sb.data : "", config_kind_name(p->kind),
	    p->group ? "  @" : "", p->group ? p->group : "");
	for (size_t i = 0; i < p->ntags; i++)
		printf(" #%s", p->tags[i]);
	printf("%s\n", p->disabled ? "  (disabled)" : "");
	strbuf_fini(&sb);

	strbuf_init(&sb);
	check_command(&sb, &p->command);
	printf("       %-9s %s\n", "command", sb.data);
	strbuf_fini(&sb);
	printf("       %-9s %s\n", "cwd", p->cwd);
	if (p->user != NULL || p->umask >= 0) {
		printf("       %-9s %s", "user", p->user ? p->user : "(the engine's)");
		if (p->umask >= 0)
			printf(", umask %03o", p->umask);
		printf("\n");
	}
	if (p->ndeps > 0) {
		printf("       %-9s", "after");
		for (size_t i = 0; i < p->ndeps; i++)
			printf("%s %s is %s", i ? "," : "", p->deps[i].name,
			    config_cond_name(p->deps[i].cond));
		printf("\n");
	}
	check_probe(&p->ready, false);
	check_probe(&p->health, true);
	if (p->kind == SPEC_CLEANUP)
		printf("       %-9s runs at shutdown, after every other process has stopped\n", "when");
	printf("       %-9s %s", "restart", config_restart_name(p->restart));
	if (p->restart != SPEC_RESTART_NO)
		printf("; backoff %s ×%g up to %s; fatal after %d restarts in %s",
		    check_dur(p->backoff.initial_ms, a, sizeof(a)), p->backoff.factor,
		    check_dur(p->backoff.max_ms, b, sizeof(b)), p->max_restarts,
		    check_dur(p->restart_window_ms, (char[32]){0}, 32));
	printf("\n");
	const char *sig = signame_name(p->stop_signal);
	printf("       %-9s %s, then SIGKILL to the process group after %s\n", "stop",
	    sig != NULL ? sig : "?", check_dur(p->stop_timeout_ms, a, sizeof(a)));
	const struct spec_limits *l = &p->limits;
	if (l->memory >= 0 || l->cpu >= 0 || l->nofile >= 0 || l->nproc >= 0 || l->core >= 0) {
		printf("       %-9s", "limits");
		const char *sep = " ";
		if (l->memory >= 0) {
			units_fmt_size(l->memory, a, sizeof(a));
			printf("%smemory %s", sep, a);
			sep = ", ";
		}
		if (l->cpu >= 0) {
			printf("%scpu %g%%", sep, l->cpu);
			sep = ", ";
		}
		if (l->nofile >= 0) {
			printf("%snofile %lld", sep, (long long)l->nofile);
			sep = ", ";
		}
		if (l->nproc >= 0) {
			printf("%snproc %lld", sep, (long long)l->nproc);
			sep = ", ";
		}
		if (l->core == INT64_MAX)
			printf("%score unlimited", sep);
		else if (l->core >= 0)
			printf("%score %lld", sep, (long long)l->core);
		printf("\n");
	}
	for (size_t i = 0; i < p->nalerts; i++)
		printf("       %-9s %s (%s)\n", i == 0 ? "alerts" : "", p->alerts[i].text,
		    rule_severity_name(p->alerts[i].severity));
	struct arena *ar = arena_new();
	struct spec_env env = config_process_env(s, p, ar);
	if (env.count > 0) {
		printf("       env\n");
		check_env_lines(&env, show_secrets, "         ");
	}
	arena_free(ar);
}

static void
check_print(const struct spec *s, bool show_secrets)
{
	char a[32], b[32], c[32];
	printf("stack %s (%s): %zu process%s\n", s->name, s->file, s->nprocesses,
	    s->nprocesses == 1 ? "" : "es");
	const struct spec_settings *st = &s->settings;
	units_fmt_size(st->log_max_size, a, sizeof(a));
	units_fmt_size(st->log_buffer, b, sizeof(b));
	printf("  samples every %s; logs in %s (rotated at %s, %d kept; %s in memory per process)\n",
	    check_dur(st->sample_interval_ms, c, sizeof(c)), st->log_dir, a, st->log_max_files, b);
	printf("  shutdown within %s\n", check_dur(st->shutdown_timeout_ms, a, sizeof(a)));
	/* What `vigil up` would get here, as the engine would find it. */
	const char *cgo = getenv("VIGIL_CGROUPS");
	if (cgo != NULL && strcmp(cgo, "off") == 0) {
		printf("  cgroup none: turned off (VIGIL_CGROUPS=off; ppid tree and rlimits only)\n");
	} else {
		struct cg_env *cg = cg_env_new(NULL);
		printf("  %s\n", cg_env_describe(cg));
		cg_env_free(cg);
	}
	printf("\nstart order:\n");
	for (size_t i = 0; i < s->nprocesses; i++) {
		if (i > 0)
			printf("\n");
		check_process(s, &s->processes[s->start_order[i]], i + 1, show_secrets);
	}
	const struct spec_alerts *al = &s->alerts;
	printf("\nalerts: cooldown %s", check_dur(al->cooldown_ms, a, sizeof(a)));
	if (al->notify_exec.argc > 0) {
		struct strbuf sb;
		strbuf_init(&sb);
		check_command(&sb, &al->notify_exec);
		printf("; notify exec %s", sb.data);
		strbuf_fini(&sb);
	}
	if (al->webhook != NULL)
		printf("; webhook %s", al->webhook);
	printf("\n");
	for (size_t i = 0; i < al->nrules; i++)
		printf("  %s (%s, %s)\n", al->rules[i].text,
		    al->rules[i].target ? al->rules[i].target : "every process",
		    rule_severity_name(al->rules[i].severity));
}

int
cli_cmd_check(const struct cli_cmd *cmd, int argc, char **argv)
{
	const char *file = NULL;
	bool json = false, secrets = false, quiet = false;
	struct cli_parser p;
	cli_parser_init(&p, cmd, argc, argv);
	for (int r; (r = cli_next(&p)) != CLI_END;) {
		switch (r) {
		case CLI_ERROR:
			return CLI_USAGE;
		case CLI_ARG:
			return cli_usage_error("unexpected argument '%s' for 'check' (use -f FILE)",
			    p.value);
		case CHECK_FILE:
			file = p.value;
			break;
		case CHECK_JSON:
			json = true;
			break;
		case CHECK_SECRETS:
			secrets = true;
			break;
		case CHECK_QUIET:
			quiet = true;
			break;
		case CHECK_HELP:
			cli_print_command_help(cmd, stdout);
			return CLI_OK;
		}
	}
	struct spec *s;
	int rc = cli_load_stack(file, &s);
	if (rc != CLI_OK)
		return rc;
	if (json) {
		cJSON *o = specjson_build(s, secrets);
		char *text = cJSON_Print(o);
		printf("%s\n", text);
		free(text);
		cJSON_Delete(o);
	} else if (!quiet) {
		check_print(s, secrets);
	}
	config_free(s);
	return CLI_OK;
}
