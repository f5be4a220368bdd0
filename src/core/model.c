/*
 * model — names for states, the records as JSON, and the clock stamps are
 * taken from.
 */
#include "core/model.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/config.h"

bool
model_match(const struct proc_info *p, const char *target)
{
	const struct spec_process *s = p->spec;
	if (strcmp(target, "all") == 0)
		return true;
	if (target[0] == '@')
		return s->group != NULL && strcmp(s->group, target + 1) == 0;
	if (target[0] == '#') {
		for (size_t i = 0; i < s->ntags; i++)
			if (strcmp(s->tags[i], target + 1) == 0)
				return true;
		return false;
	}
	const char *colon = strrchr(target, ':');
	if (colon == NULL)
		return strcmp(s->name, target) == 0;
	/* "name:N": one replica. */
	size_t nlen = (size_t)(colon - target);
	char *end;
	long r = strtol(colon + 1, &end, 10);
	return strlen(s->name) == nlen && strncmp(s->name, target, nlen) == 0 &&
	    colon[1] != '\0' && *end == '\0' && r == p->replica;
}

cJSON *
model_json(const struct proc_info *p, int64_t now_ms)
{
	const struct spec_process *s = p->spec;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", p->name);
	cJSON_AddStringToObject(o, "process", s->name);
	cJSON_AddNumberToObject(o, "replica", p->replica);
	cJSON_AddStringToObject(o, "kind", config_kind_name(s->kind));
	cJSON_AddStringToObject(o, "state", model_state_name(p->state));
	cJSON_AddStringToObject(o, "health", model_health_name(p->health));
	cJSON_AddBoolToObject(o, "health_probe", s->health.kind != SPEC_PROBE_NONE);
	cJSON_AddBoolToObject(o, "good", model_state_good(p));
	if (p->pid > 0)
		cJSON_AddNumberToObject(o, "pid", p->pid);
	else
		cJSON_AddNullToObject(o, "pid");
	cJSON_AddNumberToObject(o, "restarts", p->restarts);
	bool up = p->state == PROC_STARTING || p->state == PROC_RUNNING || p->state == PROC_STOPPING;
	if (up && p->started_ms > 0)
		cJSON_AddNumberToObject(o, "uptime_ms", (double)(now_ms - p->started_ms));
	else
		cJSON_AddNullToObject(o, "uptime_ms");
	cJSON_AddNumberToObject(o, "since", (double)p->since_ms);
	cJSON_AddStringToObject(o, "reason", p->reason);
	if (s->group != NULL)
		cJSON_AddStringToObject(o, "group", s->group);
	else
		cJSON_AddNullToObject(o, "group");
	cJSON *tags = cJSON_AddArrayToObject(o, "tags");
	for (size_t i = 0; i < s->ntags; i++)
		cJSON_AddItemToArray(tags, cJSON_CreateString(s->tags[i]));
	if (up && p->metrics.at_ms > 0)
		cJSON_AddItemToObject(o, "metrics", model_metrics_json(&p->metrics));
	else
		cJSON_AddNullToObject(o, "metrics");
	return o;
}

/* A number rounded to 0.1 (CPU percentages, rates), or null when negative (unknown). */
static void
model_add_round(cJSON *o, const char *key, double v)
{
	if (v < 0)
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddNumberToObject(o, key, (double)(int64_t)(v * 10 + 0.5) / 10);
}

static void
model_add_count(cJSON *o, const char *key, int64_t v)
{
	if (v < 0)
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddNumberToObject(o, key, (double)v);
}

cJSON *
model_metrics_json(const struct proc_metrics *m)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "at", (double)m->at_ms);
	model_add_round(o, "cpu", m->cpu);
	model_add_round(o, "tree_cpu", m->tree_cpu);
	cJSON_AddNumberToObject(o, "rss", (double)m->rss);
	cJSON_AddNumberToObject(o, "tree_rss", (double)m->tree_rss);
	cJSON_AddNumberToObject(o, "threads", m->threads);
	cJSON_AddNumberToObject(o, "tree_threads", m->tree_threads);
	model_add_count(o, "fds", m->fds);
	model_add_count(o, "tree_fds", m->tree_fds);
	model_add_round(o, "io_read", m->io_read);
	model_add_round(o, "io_write", m->io_write);
	cJSON_AddNumberToObject(o, "tree_procs", m->tree_procs);
	char st[2] = {m->kstate, '\0'};
	cJSON_AddStringToObject(o, "kstate", st);
	cJSON_AddBoolToObject(o, "cgroup", m->cgroup);
	model_add_count(o, "cgroup_memory", m->cg_memory);
	model_add_count(o, "oom_kills", m->oom_kills);
	return o;
}

cJSON *
model_host_json(const struct model_host *h)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "at", (double)h->at_ms);
	model_add_round(o, "cpu", h->cpu);
	cJSON *cores = cJSON_AddArrayToObject(o, "cores");
	for (int i = 0; i < h->ncores; i++)
		cJSON_AddItemToArray(cores, h->core_cpu[i] < 0 ? cJSON_CreateNull() :
		    cJSON_CreateNumber((double)(int64_t)(h->core_cpu[i] * 10 + 0.5) / 10));
	cJSON_AddNumberToObject(o, "mem_total", (double)h->mem_total);
	cJSON_AddNumberToObject(o, "mem_available", (double)h->mem_available);
	cJSON_AddNumberToObject(o, "swap_total", (double)h->swap_total);
	cJSON_AddNumberToObject(o, "swap_free", (double)h->swap_free);
	cJSON *load = cJSON_AddArrayToObject(o, "load");
	for (int i = 0; i < 3; i++)
		cJSON_AddItemToArray(load, cJSON_CreateNumber((double)(int64_t)(h->load[i] * 100 + 0.5) / 100));
	cJSON_AddNumberToObject(o, "uptime_s", (double)(int64_t)h->uptime_s);
	cJSON_AddNumberToObject(o, "procs", h->procs);
	return o;
}

bool
model_state_good(const struct proc_info *p)
{
	switch (p->state) {
	case PROC_RUNNING:
	case PROC_DISABLED:
		return true;
	case PROC_COMPLETED:
		return p->spec->kind != SPEC_SERVICE;
	case PROC_PENDING:
		return !p->selected || p->spec->kind == SPEC_CLEANUP;
	default:
		return false;
	}
}

const char *
model_state_name(enum proc_state s)
{
	static const char *const names[PROC_STATE_COUNT] = {
		"disabled", "pending", "starting", "running", "stopping", "stopped",
		"exited", "backoff", "fatal", "completed", "failed",
	};
	return s < PROC_STATE_COUNT ? names[s] : "?";
}

const char *
model_health_name(enum proc_health h)
{
	static const char *const names[] = {"unknown", "healthy", "unhealthy"};
	return names[h];
}

int64_t
model_realtime_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
