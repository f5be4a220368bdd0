/*
 * probe — one attempt of a readiness or health check, driven by the event
 * loop and never blocking it: tcp (non-blocking connect), http (a GET
 * through libcurl's multi interface, on the loop through its socket and
 * timer callbacks; 2xx/3xx passes), exec (a command that must exit 0,
 * killed with its process group at the timeout). Scheduling attempts
 * (interval, retries, overall timeout) is the supervisor's job; `log`
 * probes are matched by the supervisor on captured lines.
 *
 * Also the notify socket: a datagram socket per process that receives
 * sd_notify messages (READY=1, STATUS=…, STOPPING=1, WATCHDOG=1).
 */
#ifndef VIGIL_CORE_PROBE_H
#define VIGIL_CORE_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;
struct spec_probe;

/* ok: the attempt passed. detail: one line such as "http 200 in 41ms" or
 * "tcp 127.0.0.1:8080: connection refused" (borrowed, valid during the call). */
typedef void (*probe_done_fn)(void *arg, bool ok, const char *detail);

/* Shared state for probes on one loop (the curl multi handle). */
struct probe_ctx;
struct guardian;
struct probe_ctx *probe_ctx_new(struct loop *l);
/* Cancels every running probe (without calling back) and frees; NULL is fine. */
void probe_ctx_free(struct probe_ctx *c);
/*
 * The guardian that ends exec probes' process groups if the engine dies
 * (NULL: none); each is tracked from its fork until it is reaped.
 */
void probe_ctx_set_guardian(struct probe_ctx *c, struct guardian *g);
/*
 * The cgroup exec probes run in (NULL: none): what a probe starts in the
 * background, setsid'ed or not, is in it, for the guardian to end.
 */
struct cg_group;
void probe_ctx_set_cgroup(struct probe_ctx *c, struct cg_group *g);

struct probe;

/*
 * Starts one attempt of p (kind tcp, http or exec) that ends within
 * p->timeout_ms; fn is called exactly once, later, from the loop — never
 * from inside probe_start. exec runs in cwd with envp (NULL = the engine's
 * environment). NULL with errno when it cannot start (fn is not called).
 */
struct probe *probe_start(struct probe_ctx *c, const struct spec_probe *p,
    const char *cwd, char *const *envp, probe_done_fn fn, void *arg);
/*
 * An HTTP POST of body (JSON) to url, on the same loop and library as the
 * http probe: fn gets ok for a 2xx or 3xx answer within timeout_ms, called
 * once, later. NULL with errno when it cannot start.
 */
struct probe *probe_post(struct probe_ctx *c, const char *url, const char *body, int64_t timeout_ms,
    probe_done_fn fn, void *arg);
/* Stops an attempt that has not called back; it never will. NULL is fine. */
void probe_cancel(struct probe *pr);

/* A notify socket: each datagram received is passed to fn whole. */
typedef void (*probe_notify_fn)(void *arg, const char *msg, size_t len);
struct probe_notify;
/* Binds a datagram socket at path (removing a stale one). NULL with errno. */
struct probe_notify *probe_notify_open(struct loop *l, const char *path, probe_notify_fn fn,
    void *arg);
/* Closes and unlinks; NULL is fine. */
void probe_notify_close(struct probe_notify *n);
const char *probe_notify_path(const struct probe_notify *n);

/*
 * Finds KEY=value in a notify message (one assignment per line); copies the
 * value into buf. False when KEY is absent.
 */
bool probe_notify_field(const char *msg, size_t len, const char *key, char *buf, size_t size);

#endif
