/*
 * supervisor — runs a stack: starts processes as their dependencies allow,
 * watches their readiness and health, captures their output, restarts them
 * by policy with backoff, stops them with escalation, and shuts the stack
 * down in reverse dependency order followed by its cleanup processes.
 *
 * It decides and acts; it never renders. Everything it does is reported as
 * events (state changes with a reason, log lines) to one callback.
 */
#ifndef VIGIL_CORE_SUPERVISOR_H
#define VIGIL_CORE_SUPERVISOR_H

#include <stdbool.h>
#include <stddef.h>

#include "core/logstore.h"
#include "core/model.h"

struct loop;
struct spec;
struct guardian;
struct cg_env;
struct cg_group;
struct sv;
struct cJSON;

enum sv_event_kind {
	SV_EV_STATE,  /* proc moved from -> to; reason says why */
	SV_EV_LOG,    /* proc printed line */
	SV_EV_HEALTH, /* proc's health changed; reason says why */
	SV_EV_WARNING, /* something about proc the operator should know (log data lost) */
	SV_EV_METRICS, /* a sample of every process and the host was taken (proc is NULL) */
};

struct sv_event {
	enum sv_event_kind kind;
	const struct proc_info *proc;
	enum proc_state from, to;     /* SV_EV_STATE */
	const char *reason;           /* SV_EV_STATE, SV_EV_HEALTH */
	const struct log_line *line;  /* SV_EV_LOG */
};

typedef void (*sv_event_fn)(const struct sv_event *ev, void *arg);

struct sv_opts {
	const struct spec *spec;      /* borrowed; outlives the supervisor */
	struct loop *loop;            /* borrowed */
	struct guardian *guardian;    /* borrowed; NULL = none */
	const char *run_dir;          /* a private folder for notify sockets */
	char *const *base_env;        /* the engine's environment (environ): its strings go into every instance's, unchanged and uncopied, so it must stay as it is while sv lives */
	sv_event_fn fn;               /* every event goes here */
	void *arg;
	/*
	 * Asked once per read from a pipe: does anyone want that output's
	 * SV_EV_LOG events? NULL = always. When nobody does, the lines still go
	 * to the ring and the log file, without an event per line.
	 */
	bool (*wants_lines)(void *arg);
	/*
	 * Where processes get cgroups (borrowed; NULL or mode none = none):
	 * each instance gets vigil/<stack>/<name> at its first spawn, with its
	 * limits, and is killed through it at stop.
	 */
	struct cg_env *cgroups;
};

/* A supervisor for every process of the spec; nothing starts yet. NULL with a message. */
struct sv *sv_new(const struct sv_opts *o, char *err, size_t err_size);
/* Frees everything; processes still running are killed (SIGKILL to their groups). */
void sv_free(struct sv *sv);

/*
 * Runs only these processes (names of the stack file) and what they depend
 * on; without a call, every process that is not disabled runs. False with
 * a message naming an unknown process.
 */
bool sv_select(struct sv *sv, char *const *names, size_t n, char *err, size_t err_size);
/* Starts what can start; the rest follows as dependencies are met. */
void sv_start(struct sv *sv);
/* Graceful shutdown: reverse dependency order, then cleanups, within shutdown_timeout. */
void sv_shutdown(struct sv *sv);
/* SIGKILL to every group at once (a second Ctrl-C). */
void sv_kill_all(struct sv *sv);
/* Writes buffered log data (call before the loop sleeps). */
void sv_flush(struct sv *sv);

/* True once the stack is shut down, or nothing is left to run and the cleanups ran. */
bool sv_done(const struct sv *sv);
/*
 * Before sv_reload: makes next's log folder (false with a message when it
 * cannot: nothing is to change), and adds to later the settings that
 * differ but apply only to instances made from now on (log_dir,
 * log_max_size, log_max_files, log_buffer) or to the next engine
 * (sample_interval).
 */
bool sv_reload_check(struct sv *sv, const struct spec *next, struct cJSON *later, char *err,
    size_t err_size);
/* True while the stack runs: not shutting down, in its cleanups, or done. */
bool sv_running(const struct sv *sv);
/* 0 when no process ended fatal, failed or exited non-zero; 1 otherwise. */
int sv_exit_status(const struct sv *sv);

/* ---- control: what the control socket asks for ---- */

/* Indices of the instances target names (see model_match); how many, at most max. */
size_t sv_match(const struct sv *sv, const char *target, size_t *out, size_t max);
/* Stops instance i on request; it stays stopped (no restart) until started. */
void sv_stop_proc(struct sv *sv, size_t i);
/* Starts instance i (from any resting state) once its dependencies allow. */
void sv_start_proc(struct sv *sv, size_t i);
/* Stops instance i if it runs, then starts it again. */
void sv_restart_proc(struct sv *sv, size_t i);
/* Sends sig to instance i's process group; -1 with errno ESRCH when it does not run. */
int sv_signal_proc(struct sv *sv, size_t i, int sig);
/*
 * Applies a new spec of the same stack: processes added are started,
 * removed ones stopped and dropped, changed ones (definition or effective
 * environment) stopped and started again with the new definition once the
 * old instance is down; unchanged ones keep running. The supervisor takes
 * next and frees it in sv_free. Names go to the lists (cJSON arrays; NULL
 * is fine).
 */
void sv_reload(struct sv *sv, struct spec *next, struct cJSON *added, struct cJSON *removed,
    struct cJSON *changed);
/* The spec in force. */
const struct spec *sv_spec(const struct sv *sv);

size_t sv_count(const struct sv *sv);
/* The i-th process instance (start order; replicas together). */
const struct proc_info *sv_proc(const struct sv *sv, size_t i);
/* Instance i replaces one (a reload) that is still up: listings show that one under the name until it is down. */
bool sv_replacing(const struct sv *sv, size_t i);
/* The log of the i-th instance. */
const struct logstore *sv_log(const struct sv *sv, size_t i);

/*
 * Samples from the collectors, once per sweep for every instance: its
 * figures (kept, and added to its history, when it still runs with the pid
 * they were taken for; NULL = none this sweep, a gap in the history), then
 * the host's, which also emits SV_EV_METRICS.
 */
void sv_set_metrics(struct sv *sv, size_t i, pid_t pid, const struct proc_metrics *m);
void sv_set_host(struct sv *sv, const struct model_host *h);
/* The i-th instance's tree as last seen (at most MODEL_TREE_MAX members, itself first); for crash reports. */
void sv_set_tree(struct sv *sv, size_t i, pid_t pid, const struct proc_member *m, size_t n);
/* The i-th instance's tree as last sampled; *n members (0 when it does not run). */
const struct proc_member *sv_tree(const struct sv *sv, size_t i, size_t *n);
/* The last host sample (at_ms 0 before the first). */
const struct model_host *sv_host(const struct sv *sv);
/*
 * The host's figures are read only once something uses them — a client
 * asked for them, an alert rule watches the host — so a stack nobody looks
 * at never loads the library that reads them. sv_want_host says so; the
 * first time it also calls the reader set by sv_set_host_reader (which
 * puts a sample in place with sv_put_host, without an event), so the
 * answer being built has figures. The collectors ask sv_host_wanted.
 */
void sv_want_host(struct sv *sv);
bool sv_host_wanted(const struct sv *sv);
void sv_set_host_reader(struct sv *sv, void (*fn)(void *arg), void *arg);
void sv_put_host(struct sv *sv, const struct model_host *h);
/* Which cgroup mode is in force, one line ("cgroup hybrid: placement+kill v2 …"). */
const char *sv_cgroups_describe(const struct sv *sv);
/* The i-th instance's cgroup; NULL when it has none (yet). */
const struct cg_group *sv_cgroup(const struct sv *sv, size_t i);

#endif
