/*
 * alert — the alert engine: evaluates the stack file's rules (rule.h)
 * against the model after every sample and on every event, and turns
 * each (rule, process) pair into an alert that fires once when its
 * condition starts holding, stays active while it holds, and resolves
 * when it stops (with hysteresis: a value hovering at the threshold does
 * not flap). Alerts can be acknowledged; `cooldown` bounds how often the
 * same pair notifies. Notifications run `alerts.notify.exec` with the
 * alert as JSON on stdin (killed at the timeout; the engine never waits).
 */
#ifndef VIGIL_CORE_ALERT_H
#define VIGIL_CORE_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rule.h"

struct sv;
struct sv_event;
struct loop;
struct cJSON;
struct alert_engine;

/* One alert, active or recently resolved. */
struct alert {
	uint64_t id;
	enum rule_severity severity;
	const char *rule;            /* the rule as written (borrowed from the spec) */
	char target[96];             /* the process ("api:1"), or "host" */
	char message[240];           /* "api: cpu 93.1% > 80% for 5 samples" */
	int64_t fired_ms;            /* realtime */
	int64_t resolved_ms;         /* 0 while active */
	int64_t acked_ms;            /* 0 = not acknowledged */
	bool notified;               /* its firing was notified (not in a cooldown) */
};

/*
 * What happened to an alert: for the control socket and the headless
 * printer. ALERT_UNDELIVERED: a notification of it failed for good (the
 * exec notifier ended badly, the webhook failed every try), how in why
 * (NULL for the other changes); a may be a copy taken when it was sent.
 */
enum alert_change { ALERT_FIRED, ALERT_RESOLVED, ALERT_ACKED, ALERT_UNDELIVERED };
typedef void (*alert_fn)(enum alert_change what, const struct alert *a, const char *why, void *arg);

struct alert_engine *alert_new(struct loop *l, struct sv *sv, alert_fn fn, void *arg);
void alert_free(struct alert_engine *e);

/* After each sweep of the collectors (SV_EV_METRICS). */
void alert_on_sample(struct alert_engine *e);
/* Every supervisor event: states, health, log lines. */
void alert_on_event(struct alert_engine *e, const struct sv_event *ev);
/* True when a rule reads log lines (log =~): the engine must hand it every line. */
bool alert_wants_lines(const struct alert_engine *e);
/* Acknowledges alert id (0 = every active one); the number acknowledged. */
size_t alert_ack(struct alert_engine *e, uint64_t id);
/* Active alerts (and the last resolved ones when all), newest first, at most cap. */
size_t alert_list(const struct alert_engine *e, bool all, const struct alert **out, size_t cap);
/* An alert as JSON (a new object). */
struct cJSON *alert_json(const struct alert *a);

#endif
