/*
 * control — the engine's side of the control protocol: it owns the server
 * on the control socket, answers requests by asking the supervisor, and
 * forwards the supervisor's events to subscribers.
 */
#ifndef VIGIL_CORE_CONTROL_H
#define VIGIL_CORE_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

struct loop;
struct sv;
struct sv_event;
struct control;

/*
 * Listens on path for sv's stack. stack_file is re-read by `reload`. NULL
 * with a message (e.g. another engine listens there).
 */
struct control *control_new(struct loop *l, struct sv *sv, const char *path,
    const char *stack_file, char *err, size_t err_size);
/* Closes every client (they see EOF: the engine is gone) and the socket. */
void control_free(struct control *c);
struct alert_engine;
struct alert;
/* The alert engine the alerts and ack commands read (borrowed; NULL = none). */
void control_set_alerts(struct control *c, struct alert_engine *ae);
/* An alert fired, resolved or was acknowledged: to the alerts topic (what: "fired" …). */
void control_on_alert(struct control *c, const char *what, const struct alert *a, const char *why);
/* Forwards one supervisor event to subscribers. */
void control_on_event(struct control *c, const struct sv_event *ev);
/* The stack is down and the engine about to exit with status: an "end" event to the state topic. */
void control_on_end(struct control *c, int status);
/* True while a client subscribes to the logs topic. */
bool control_wants_lines(const struct control *c);
/* True once a client asked for `down` (the engine is shutting down for it). */
bool control_down_requested(const struct control *c);

#endif
