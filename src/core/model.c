/*
 * model — names for states, and the clock stamps are taken from.
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
	return o;
}

bool
model_state_good(const struct proc_info *p)
{
	if (p->state == PROC_RUNNING)
		return true;
	return p->state == PROC_COMPLETED && p->spec->kind != SPEC_SERVICE;
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
