/*
 * supervisor — owns one record per process instance (struct sv_proc): its
 * public proc_info, its log, its pipes, its timers and its probes.
 *
 * The lifecycle is the table sv_table[state][input]: an input (dependencies
 * met, spawned, ready, finished, stop requested, a timer) in a state either
 * has an action or is ignored. Actions change state only through
 * sv_set_state, which stamps the change and emits it. Backoff delays, stop
 * escalation, probe timeouts and the wait for a dead process's pipes are
 * loop timers, never sleeps.
 *
 * A process is finished when it has exited AND both its pipes reached EOF,
 * so its last lines are never lost. If a process exits while something it
 * left behind holds its pipes, the rest of its group is killed after 1 s and
 * the pipes are closed after 2 s.
 */
#include "core/supervisor.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/cgroup.h"
#include "core/config.h"
#include "core/crash.h"
#include "core/specjson.h"
#include "core/guardian.h"
#include "core/loop.h"
#include "core/probe.h"
#include "core/series.h"
#include "core/signame.h"
#include "core/spawn.h"
#include "core/strutil.h"
#include "core/units.h"
#include "core/user.h"

#define SV_READ_CHUNK 65536
#define SV_READS_PER_EVENT 16 /* at most 1 MiB from one pipe per pass: others get a turn */
#define SV_EOF_GRACE_MS 1000
#define SV_PARTIAL_MS 1000 /* a line without its newline for this long is shown as it is */
#define SV_DRAIN_POLL_MS 50 /* a stopping cgroup's emptiness, looked at this often */
/* Restart times kept per instance; a max_restarts above it is counted up to it. */
#define SV_RESTARTS_KEPT 4096

enum sv_input {
	IN_DEPS_MET,      /* pending: every dependency is satisfied */
	IN_READY,         /* starting: the ready probe passed (or there is none) */
	IN_READY_TIMEOUT, /* starting: the ready probe did not pass in time */
	IN_FINISHED,      /* exited and both pipes at EOF */
	IN_STOP,          /* stop requested */
	IN_TIMER,         /* the state's deadline: backoff over, or stop timeout */
	IN_UNHEALTHY,     /* running: health failed and on_fail is restart */
	IN_COUNT,
};

enum sv_phase { SV_RUNNING, SV_SHUTTING_DOWN, SV_CLEANUP, SV_DONE };

struct sv_proc {
	struct proc_info info;      /* the public record */
	struct sv *sv;              /* borrowed: the owner */
	size_t index;               /* in sv->procs */
	const struct spec_process *spec;
	struct logstore *log;       /* owned */
	struct series *history;     /* owned: metric history; NULL when out of memory */
	struct cg_group *cg;        /* owned: its cgroup (made at the first spawn); NULL = none */
	struct proc_member tree[MODEL_TREE_MAX]; /* its tree at the last sample */
	size_t ntree;
	bool cg_tried;              /* the cgroup was attempted (a failure is said once) */
	bool crash_warned;          /* a crash report could not be written (said once) */
	pid_t last_pid;             /* of the instance that ran last (crash reports) */
	int64_t oom_base;           /* the group's OOM kill count at spawn; -1 = unknown */
	int out_fd, err_fd;         /* owned pipe ends; -1 when closed */
	bool exited;                /* the current pid was reaped */
	int status;                 /* its waitpid status */
	bool failed_start;          /* the ready probe timed out: the exit is a failure */
	bool restart_after_stop;    /* stopping for a health restart, not for good */
	int consecutive;            /* restarts since it last stayed up restart_window */
	int64_t *restart_times;     /* owned ring: monotonic ms of recent restarts */
	int nrestart_times;
	int64_t spawned_mono;       /* monotonic ms of the last spawn */
	struct loop_timer *timer;   /* the state's deadline (backoff, stop escalation) */
	struct loop_timer *ready_timer; /* the ready probe's overall timeout */
	struct loop_timer *probe_timer; /* the next probe attempt (ready or health) */
	struct loop_timer *eof_timer;   /* exited, pipes still open */
	struct loop_timer *partial_timer; /* a line without its newline waits to be shown */
	int eof_stage;
	struct probe *probe;        /* the attempt under way (ready or health) */
	char probe_detail[160];     /* what the last attempt said */
	regex_t ready_re;           /* ready.log, compiled */
	bool has_re;
	struct probe_notify *notify; /* owned: $NOTIFY_SOCKET */
	int health_fails;           /* failures in a row */
	int64_t last_output_mono;   /* for the silence health probe */
	int64_t last_watchdog_mono; /* for the notify watchdog */
	char **envp;                /* owned: the environment, built at the first spawn */
	size_t env_borrowed;        /* its first entries are the engine's own strings, not copies */
	bool held;                  /* stopped on request: stays stopped until started */
	bool removed;               /* gone from the stack file (reload): freed once at rest */
	bool start_after_stop;      /* a restart was asked: start again once stopped */
	uint64_t dropped_reported;  /* log bytes lost, as last reported */
	int64_t dropped_said_mono;  /* when that was said (monotonic ms) */
	char name[80];
};

struct sv {
	const struct spec *spec;
	struct loop *loop;
	struct guardian *guardian;
	char *run_dir;              /* owned copy */
	char *const *base_env;
	sv_event_fn fn;
	void *arg;
	bool (*wants_lines)(void *arg);
	struct cg_env *cgroups;     /* borrowed; NULL = no cgroups */
	struct crash_folder *crashes; /* owned; made at the first crash report */
	bool host_wanted;           /* someone uses the host's figures (sv_want_host) */
	void (*host_fn)(void *arg); /* reads them now (sv_set_host_reader) */
	void *host_arg;
	struct model_host host;     /* the last host sample */
	struct sv_proc **procs;     /* owned, each owned: start order; replicas together */
	size_t nprocs, capprocs;
	struct spec **specs;        /* owned: specs taken by sv_reload (records may point into any) */
	size_t nspecs;
	struct probe_ctx *probes;   /* owned */
	struct cg_group *probe_cg;  /* owned: exec probes' cgroup, made at the first; NULL = none */
	bool probe_cg_tried;
	enum sv_phase phase;
	bool started;
	bool updating;              /* sv_update is running: do not recurse */
	bool update_again;
	struct loop_timer *shutdown_timer;
	bool killed_all;
};

typedef void (*sv_action)(struct sv_proc *p);

static void sv_update(struct sv *sv);
static void sv_input(struct sv_proc *p, enum sv_input in);
static void sv_kill_now(struct sv *sv, bool keep_cleanups);
static void sv_select_deps(struct sv *sv, const struct spec_process *s, bool *seen);

static int64_t
sv_mono_ms(void)
{
	return loop_now() / 1000000;
}

/* ---- state changes and events ------------------------------------------ */

static void
sv_emit(struct sv *sv, const struct sv_event *ev)
{
	if (sv->fn != NULL)
		sv->fn(ev, sv->arg);
}

static const struct sv_proc *sv_predecessor(const struct sv *sv, const struct sv_proc *p);

static void __attribute__((format(printf, 3, 4)))
sv_set_state(struct sv_proc *p, enum proc_state to, const char *fmt, ...)
{
	enum proc_state from = p->info.state;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->info.reason, sizeof(p->info.reason), fmt, ap);
	va_end(ap);
	p->info.state = to;
	p->info.since_ms = model_realtime_ms();
	struct sv_event ev = {
		.kind = SV_EV_STATE, .proc = &p->info, .from = from, .to = to,
		.reason = p->info.reason,
	};
	/* A reload's replacement keeps quiet while the instance it replaces is still up: that one
	 * is what runs under the name until it is down (one name, one story). */
	if (p->removed || sv_predecessor(p->sv, p) == NULL)
		sv_emit(p->sv, &ev);
	sv_update(p->sv);
}

static void
sv_set_health(struct sv_proc *p, enum proc_health h, const char *why)
{
	if (p->info.health == h)
		return;
	p->info.health = h;
	struct sv_event ev = {.kind = SV_EV_HEALTH, .proc = &p->info, .reason = why};
	sv_emit(p->sv, &ev);
	sv_update(p->sv);
}

static void
sv_cancel_timer(struct sv *sv, struct loop_timer **t)
{
	loop_timer_cancel(sv->loop, *t);
	*t = NULL;
}

static void
sv_cancel_probes(struct sv_proc *p)
{
	probe_cancel(p->probe);
	p->probe = NULL;
	sv_cancel_timer(p->sv, &p->probe_timer);
	sv_cancel_timer(p->sv, &p->ready_timer);
}

/* ---- output ------------------------------------------------------------ */

static void
sv_on_line(const struct log_line *line, void *arg)
{
	struct sv_proc *p = arg;
	struct sv_event ev = {.kind = SV_EV_LOG, .proc = &p->info, .line = line};
	sv_emit(p->sv, &ev);
	if (p->info.state == PROC_STARTING && p->has_re && !p->failed_start) {
		/* regexec needs a NUL-terminated string; lines are at most 64 KiB. */
		char *s = str_dup_text(line->text, line->len);
		if (s != NULL && regexec(&p->ready_re, s, 0, NULL, 0) == 0) {
			snprintf(p->probe_detail, sizeof(p->probe_detail), "log matched");
			sv_input(p, IN_READY);
		}
		free(s);
	}
}

static void sv_maybe_finished(struct sv_proc *p);

static void
sv_close_pipe(struct sv_proc *p, int *fd, enum log_stream s)
{
	if (*fd < 0)
		return;
	loop_close(p->sv->loop, *fd);
	*fd = -1;
	logstore_eof(p->log, s, sv_on_line, p);
}

/* Who hears of each line: the ready probe while it looks, and whoever the engine says wants them. */
static log_line_fn
sv_line_fn(const struct sv_proc *p)
{
	bool probe = p->info.state == PROC_STARTING && p->has_re && !p->failed_start;
	bool wanted = p->sv->wants_lines == NULL || p->sv->wants_lines(p->sv->arg);
	return probe || wanted ? sv_on_line : NULL;
}

/* A line without its newline for SV_PARTIAL_MS: shown as it is (a prompt, a progress bar). */
static void
sv_on_partial_timer(struct loop *l, void *arg)
{
	(void)l;
	struct sv_proc *p = arg;
	p->partial_timer = NULL;
	/* Only one that has waited that long: a stream's lines cut by a read are whole a moment later. */
	int64_t now = model_realtime_ms(), again = -1;
	log_line_fn fn = sv_line_fn(p);
	for (int s = LOG_OUT; s <= LOG_ERR; s++) {
		int64_t since;
		if (!logstore_partial(p->log, (enum log_stream)s, &since))
			continue;
		int64_t left = since + SV_PARTIAL_MS - now;
		if (left <= 0)
			logstore_flush_partial(p->log, (enum log_stream)s, fn, p);
		else if (again < 0 || left < again)
			again = left;
	}
	if (again > 0)
		p->partial_timer = loop_timer_after(p->sv->loop, again, sv_on_partial_timer, p);
}

static void
sv_on_pipe(struct loop *l, int fd, unsigned events, void *arg)
{
	(void)l;
	(void)events;
	struct sv_proc *p = arg;
	enum log_stream s = fd == p->out_fd ? LOG_OUT : LOG_ERR;
	static char buf[SV_READ_CHUNK];
	for (int i = 0; i < SV_READS_PER_EVENT; i++) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			p->last_output_mono = sv_mono_ms(); /* once per read, not per line */
			logstore_feed(p->log, s, buf, (size_t)n, sv_line_fn(p), p);
			if (fd != (s == LOG_OUT ? p->out_fd : p->err_fd))
				return; /* a callback closed it */
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		sv_close_pipe(p, s == LOG_OUT ? &p->out_fd : &p->err_fd, s);
		sv_maybe_finished(p);
		return;
	}
	if (p->partial_timer == NULL && logstore_partial(p->log, s, NULL))
		p->partial_timer = loop_timer_after(p->sv->loop, SV_PARTIAL_MS, sv_on_partial_timer, p);
}

/* ---- environment --------------------------------------------------------- */

/* True when one of the n "KEY=value" strings of list sets the key of b (klen bytes). */
static bool
sv_env_sets(const char *const *list, size_t n, const char *b, size_t klen)
{
	for (size_t j = 0; j < n; j++)
		if (strncmp(list[j], b, klen) == 0 && list[j][klen] == '=')
			return true;
	return false;
}

/* True when env sets the key of b (klen bytes). */
static bool
sv_spec_env_sets(const struct spec_env *env, const char *b, size_t klen)
{
	for (size_t j = 0; j < env->count; j++)
		if (strlen(env->vars[j].key) == klen && strncmp(env->vars[j].key, b, klen) == 0)
			return true;
	return false;
}

/*
 * Where vigil switches user (as root): HOME, USER, LOGNAME and SHELL of
 * that user, as systemd's User= and a login give them, into out (arena
 * strings); how many. None when the user cannot be found: spawn says so.
 */
static size_t
sv_login_env(const struct sv_proc *p, struct arena *a, const char **out)
{
	struct user_ids ids;
	if (p->spec->user == NULL || geteuid() != 0 || user_resolve(p->spec->user, &ids) != USER_FOUND)
		return 0;
	out[0] = arena_printf(a, "HOME=%s", ids.home);
	out[1] = arena_printf(a, "USER=%s", ids.name);
	out[2] = arena_printf(a, "LOGNAME=%s", ids.name);
	out[3] = arena_printf(a, "SHELL=%s", ids.shell);
	return 4;
}

/*
 * The engine's environment, then the login variables of the user switched
 * to, then the stack's and the process's, then VIGIL_*; a later one wins.
 */
static char **
sv_build_env(struct sv_proc *p)
{
	struct sv *sv = p->sv;
	struct arena *a = arena_new();
	struct spec_env env = config_process_env(sv->spec, p->spec, a);
	const char *login[4];
	size_t nlogin = sv_login_env(p, a, login);
	size_t nbase = 0;
	while (sv->base_env != NULL && sv->base_env[nbase] != NULL)
		nbase++;
	char extra[4][256];
	snprintf(extra[0], sizeof(extra[0]), "VIGIL_PROCESS=%s", p->spec->name);
	snprintf(extra[1], sizeof(extra[1]), "VIGIL_REPLICA=%d", p->info.replica);
	snprintf(extra[2], sizeof(extra[2]), "VIGIL_STACK=%s", sv->spec->name);
	extra[3][0] = '\0';
	if (p->notify != NULL)
		snprintf(extra[3], sizeof(extra[3]), "NOTIFY_SOCKET=%s", probe_notify_path(p->notify));
	const char *overrides[4 + 1];
	size_t nover = 0;
	for (int i = 0; i < 4; i++)
		if (extra[i][0] != '\0')
			overrides[nover++] = extra[i];
	char **out = calloc(nbase + nlogin + env.count + nover + 1, sizeof(*out));
	size_t n = 0;
	/* A variable set later replaces one set earlier, so test each key. */
	for (size_t i = 0; i < nbase; i++) {
		const char *b = sv->base_env[i];
		size_t klen = strcspn(b, "=");
		if (!sv_spec_env_sets(&env, b, klen) && !sv_env_sets(login, nlogin, b, klen) &&
		    !sv_env_sets(overrides, nover, b, klen))
			out[n++] = (char *)b; /* the engine's: lives as long as it does, shared by all */
	}
	p->env_borrowed = n;
	for (size_t j = 0; j < nlogin; j++)
		if (!sv_spec_env_sets(&env, login[j], strcspn(login[j], "=")))
			out[n++] = strdup(login[j]);
	for (size_t j = 0; j < env.count; j++) {
		size_t len = strlen(env.vars[j].key) + strlen(env.vars[j].value) + 2;
		out[n] = malloc(len);
		snprintf(out[n++], len, "%s=%s", env.vars[j].key, env.vars[j].value);
	}
	for (size_t j = 0; j < nover; j++)
		out[n++] = strdup(overrides[j]);
	out[n] = NULL;
	arena_free(a);
	return out;
}

/* Frees an environment of sv_build_env: its own strings, after the borrowed ones. */
static void
sv_free_env(char **env, size_t borrowed)
{
	for (size_t i = borrowed; env != NULL && env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

/* The instance's environment, built once (it changes only with the spec). */
static char *const *
sv_env(struct sv_proc *p)
{
	if (p->envp == NULL)
		p->envp = sv_build_env(p);
	return p->envp;
}

/* ---- probes ------------------------------------------------------------ */

static void sv_ready_attempt(struct loop *l, void *arg);
static void sv_health_schedule(struct sv_proc *p, int64_t delay_ms);

static void
sv_on_ready_probe(void *arg, bool ok, const char *detail)
{
	struct sv_proc *p = arg;
	p->probe = NULL;
	snprintf(p->probe_detail, sizeof(p->probe_detail), "%s", detail);
	if (ok) {
		sv_input(p, IN_READY);
		return;
	}
	p->probe_timer = loop_timer_after(p->sv->loop, p->spec->ready.interval_ms,
	    sv_ready_attempt, p);
}

/* The guardian ends a group's processes if the engine dies: each of its directories is tracked. */
static void
sv_cg_track(struct sv *sv, const struct cg_group *g, int64_t stop_timeout_ms)
{
	const char *dirs[CG_NROLES];
	size_t nd = g != NULL ? cg_group_dirs(g, dirs, CG_NROLES) : 0;
	for (size_t i = 0; i < nd && i < CG_NROLES; i++)
		guardian_track_cgroup(sv->guardian, dirs[i], i == 0, stop_timeout_ms);
}

/* Kills what is left in a group, lets the guardian forget it, removes its directories. NULL is fine. */
static void
sv_cg_release(struct sv *sv, struct cg_group *g)
{
	if (g == NULL)
		return;
	cg_group_kill(g);
	const char *dirs[CG_NROLES];
	size_t nd = cg_group_dirs(g, dirs, CG_NROLES);
	for (size_t i = 0; i < nd && i < CG_NROLES; i++)
		guardian_untrack_cgroup(sv->guardian, dirs[i]);
	cg_group_free(g);
}

/*
 * Starts one attempt of a probe. An exec probe runs in the stack's probe
 * cgroup (made at the first): what it leaves behind, setsid'ed or not, the
 * guardian ends with the rest if the engine dies.
 */
static struct probe *
sv_probe_start(struct sv_proc *p, const struct spec_probe *pr, probe_done_fn fn)
{
	struct sv *sv = p->sv;
	if (pr->kind == SPEC_PROBE_EXEC && !sv->probe_cg_tried && sv->cgroups != NULL &&
	    cg_env_mode(sv->cgroups) != CG_MODE_NONE) {
		sv->probe_cg_tried = true;
		char err[512] = "";
		/* "@probes": no process name holds an @. */
		sv->probe_cg = cg_group_new(sv->cgroups, sv->spec->name, "@probes", NULL, err, sizeof(err));
		sv_cg_track(sv, sv->probe_cg, 0);
		probe_ctx_set_cgroup(sv->probes, sv->probe_cg);
	}
	return probe_start(sv->probes, pr, p->spec->cwd, sv_env(p), fn, p);
}

static void
sv_ready_attempt(struct loop *l, void *arg)
{
	(void)l;
	struct sv_proc *p = arg;
	p->probe_timer = NULL;
	p->probe = sv_probe_start(p, &p->spec->ready, sv_on_ready_probe);
	if (p->probe == NULL) {
		snprintf(p->probe_detail, sizeof(p->probe_detail), "probe: %s", strerror(errno));
		p->probe_timer = loop_timer_after(p->sv->loop, p->spec->ready.interval_ms,
		    sv_ready_attempt, p);
	}
}

static void
sv_on_ready_timeout(struct loop *l, void *arg)
{
	(void)l;
	struct sv_proc *p = arg;
	p->ready_timer = NULL;
	sv_input(p, IN_READY_TIMEOUT);
}

/* Starts watching for readiness right after a spawn. */
static void
sv_ready_begin(struct sv_proc *p)
{
	const struct spec_probe *r = &p->spec->ready;
	p->probe_detail[0] = '\0';
	if (r->kind == SPEC_PROBE_NONE) {
		sv_input(p, IN_READY);
		return;
	}
	p->ready_timer = loop_timer_after(p->sv->loop, r->timeout_ms, sv_on_ready_timeout, p);
	if (r->kind == SPEC_PROBE_TCP || r->kind == SPEC_PROBE_HTTP || r->kind == SPEC_PROBE_EXEC)
		p->probe_timer = loop_timer_after(p->sv->loop, r->initial_delay_ms,
		    sv_ready_attempt, p);
	/* log: matched in sv_on_line; notify: READY=1 in sv_on_notify. */
}

/*
 * Puts one entry into a ring of cap entries (*n of them in use from
 * *head, the oldest overwritten), made at the first entry; out of memory,
 * the entry is not kept.
 */
static void
sv_ring_put(struct proc_check **ring, int cap, int *n, int *head, bool ok, const char *detail)
{
	if (*ring == NULL && (*ring = calloc((size_t)cap, sizeof(**ring))) == NULL)
		return;
	int slot = (*head + *n) % cap;
	if (*n < cap)
		(*n)++;
	else
		*head = (*head + 1) % cap;
	(*ring)[slot].at_ms = model_realtime_ms();
	(*ring)[slot].ok = ok;
	snprintf((*ring)[slot].detail, sizeof((*ring)[slot].detail), "%s", detail);
}

static void
sv_on_health_probe(void *arg, bool ok, const char *detail)
{
	struct sv_proc *p = arg;
	const struct spec_probe *h = &p->spec->health;
	p->probe = NULL;
	/* Its history: the last MODEL_HEALTH_LOG results, with their details (latency included). */
	struct proc_info *in = &p->info;
	sv_ring_put(&in->checks, MODEL_HEALTH_LOG, &in->nchecks, &in->check_head, ok, detail);
	if (ok) {
		p->health_fails = 0;
		sv_set_health(p, HEALTH_HEALTHY, detail);
	} else if (++p->health_fails >= h->retries) {
		char why[200];
		snprintf(why, sizeof(why), "%s (%d in a row)", detail, p->health_fails);
		sv_set_health(p, HEALTH_UNHEALTHY, why);
		if (h->on_fail == SPEC_ON_FAIL_RESTART && p->info.state == PROC_RUNNING) {
			snprintf(p->probe_detail, sizeof(p->probe_detail), "unhealthy: %s", detail);
			sv_input(p, IN_UNHEALTHY);
			return;
		}
	}
	if (p->info.state == PROC_RUNNING)
		sv_health_schedule(p, h->interval_ms);
}

static void
sv_health_attempt(struct loop *l, void *arg)
{
	(void)l;
	struct sv_proc *p = arg;
	const struct spec_probe *h = &p->spec->health;
	p->probe_timer = NULL;
	int64_t now = sv_mono_ms();
	char detail[160];
	switch (h->kind) {
	case SPEC_PROBE_SILENCE: {
		int64_t quiet = now - p->last_output_mono;
		snprintf(detail, sizeof(detail), quiet <= h->silence_ms ? "output %lldms ago"
		    : "no output for %lldms", (long long)quiet);
		sv_on_health_probe(p, quiet <= h->silence_ms, detail);
		return;
	}
	case SPEC_PROBE_NOTIFY: {
		int64_t since = now - p->last_watchdog_mono;
		bool ok = p->last_watchdog_mono > 0 && since <= h->interval_ms;
		snprintf(detail, sizeof(detail), ok ? "WATCHDOG=1 %lldms ago" : "no WATCHDOG=1 for %lldms",
		    (long long)since);
		sv_on_health_probe(p, ok, detail);
		return;
	}
	default: {
		p->probe = sv_probe_start(p, h, sv_on_health_probe);
		if (p->probe == NULL) {
			snprintf(detail, sizeof(detail), "probe: %s", strerror(errno));
			sv_on_health_probe(p, false, detail);
		}
		return;
	}
	}
}

static void
sv_health_schedule(struct sv_proc *p, int64_t delay_ms)
{
	if (p->spec->health.kind == SPEC_PROBE_NONE || p->probe_timer != NULL || p->probe != NULL)
		return;
	p->probe_timer = loop_timer_after(p->sv->loop, delay_ms, sv_health_attempt, p);
}

static void
sv_on_notify(void *arg, const char *msg, size_t len)
{
	struct sv_proc *p = arg;
	char value[160];
	if (probe_notify_field(msg, len, "WATCHDOG", value, sizeof(value)) && strcmp(value, "1") == 0)
		p->last_watchdog_mono = sv_mono_ms();
	if (probe_notify_field(msg, len, "STATUS", value, sizeof(value))) {
		char note[200];
		snprintf(note, sizeof(note), "[notify] STATUS=%s", value);
		logstore_note(p->log, LOG_OUT, note, sv_on_line, p);
	}
	if (probe_notify_field(msg, len, "STOPPING", value, sizeof(value)) && strcmp(value, "1") == 0)
		logstore_note(p->log, LOG_OUT, "[notify] STOPPING=1: the process is shutting down",
		    sv_on_line, p);
	if (probe_notify_field(msg, len, "READY", value, sizeof(value)) && strcmp(value, "1") == 0 &&
	    p->spec->ready.kind == SPEC_PROBE_NOTIFY && p->info.state == PROC_STARTING) {
		snprintf(p->probe_detail, sizeof(p->probe_detail), "READY=1");
		sv_input(p, IN_READY);
	}
}

/* ---- actions ----------------------------------------------------------- */

static void sv_on_child(struct loop *l, pid_t pid, int status, void *arg);
static void sv_after_exit(struct sv_proc *p, bool success, const char *how);

/* Describes an exit status: "status 3", "killed by SIGKILL (core dumped)". */
static void
sv_describe_status(int status, char *buf, size_t size)
{
	if (WIFEXITED(status)) {
		snprintf(buf, size, "status %d", WEXITSTATUS(status));
	} else if (WIFSIGNALED(status)) {
		const char *name = signame_name(WTERMSIG(status));
		if (name != NULL)
			snprintf(buf, size, "killed by %s%s", name, WCOREDUMP(status) ? " (core dumped)" : "");
		else
			snprintf(buf, size, "killed by signal %d", WTERMSIG(status));
	} else {
		snprintf(buf, size, "ended (status %#x)", status);
	}
}

/*
 * Describes how the instance ended: its exit status, and when the kernel's
 * OOM killer took it (its cgroup counted a kill since the spawn), that.
 */
static void
sv_describe_exit(struct sv_proc *p, char *buf, size_t size)
{
	sv_describe_status(p->status, buf, size);
	if (p->cg == NULL || p->oom_base < 0 || !WIFSIGNALED(p->status) || WTERMSIG(p->status) != SIGKILL)
		return;
	int64_t now = cg_group_oom_kills(p->cg);
	if (now > p->oom_base) {
		char lim[32] = "";
		if (p->spec->limits.memory > 0)
			units_fmt_size(p->spec->limits.memory, lim, sizeof(lim));
		snprintf(buf, size, "killed by the OOM killer%s%s%s", lim[0] ? " (memory limit " : "", lim,
		    lim[0] ? ")" : "");
		p->oom_base = now;
	}
}

/* Its cgroup, made at the first spawn; a failure is said once in its log and it runs without. */
static void
sv_cgroup_prepare(struct sv_proc *p)
{
	struct sv *sv = p->sv;
	if (p->cg_tried || sv->cgroups == NULL || cg_env_mode(sv->cgroups) == CG_MODE_NONE)
		return;
	p->cg_tried = true;
	struct cg_limits lim = {0};
	if (p->spec->limits.memory > 0)
		lim.memory_bytes = p->spec->limits.memory;
	if (p->spec->limits.cpu > 0)
		lim.cpu_percent_x100 = (int)(p->spec->limits.cpu * 100 + 0.5);
	char err[512] = "";
	/*
	 * A removed instance of this name not yet collected (its process is
	 * gone) still holds the group's directories: the new one takes the
	 * group over. Made anew, the same directories would be killed and
	 * removed under the new process when the old instance is freed.
	 */
	for (size_t i = 0; i < sv->nprocs; i++) {
		struct sv_proc *q = sv->procs[i];
		if (q == p || !q->removed || q->cg == NULL || q->info.pid > 0 || strcmp(q->name, p->name) != 0)
			continue;
		p->cg = q->cg;
		q->cg = NULL;
		if (!cg_group_set_limits(p->cg, &lim, err, sizeof(err))) {
			char note[600];
			snprintf(note, sizeof(note), "cgroup: %s", err);
			logstore_note(p->log, LOG_ERR, note, sv_on_line, p);
		}
		break; /* tracked again below: its stop timeout may have changed */
	}
	if (p->cg == NULL) {
		p->cg = cg_group_new(sv->cgroups, sv->spec->name, p->name, &lim, err, sizeof(err));
		if (err[0] != '\0') {
			char note[600];
			snprintf(note, sizeof(note), "%s: %s", p->cg != NULL ? "cgroup" : "no cgroup", err);
			logstore_note(p->log, LOG_ERR, note, sv_on_line, p);
		}
	}
	sv_cg_track(sv, p->cg, p->spec->stop_timeout_ms);
}

static void
sv_act_spawn(struct sv_proc *p)
{
	struct sv *sv = p->sv;
	sv_cancel_timer(sv, &p->timer);
	sv_cgroup_prepare(p);
	int cg_fds[CG_NROLES];
	int ncg = p->cg != NULL ? cg_group_procs_fds(p->cg, cg_fds, CG_NROLES) : 0;
	if (ncg < 0)
		ncg = 0;
	p->oom_base = p->cg != NULL ? cg_group_oom_kills(p->cg) : -1;
	struct spawn_opts o = {
		.cmd = &p->spec->command, .cwd = p->spec->cwd, .envp = sv_env(p),
		.user = p->spec->user, .umask = p->spec->umask, .limits = &p->spec->limits,
		.cg_fds = cg_fds, .ncg_fds = (size_t)ncg,
	};
	struct spawn_result r;
	char err[256];
	int rc = spawn_process(&o, &r, err, sizeof(err));
	if (p->cg != NULL)
		cg_group_procs_done(p->cg);
	if (p->spec->user != NULL && geteuid() != 0 && p->info.started_ms == 0) {
		char note[160];
		snprintf(note, sizeof(note), "user '%.64s' not applied: vigil is not running as root",
		    p->spec->user);
		logstore_note(p->log, LOG_ERR, note, sv_on_line, p);
	}
	p->spawned_mono = sv_mono_ms();
	p->failed_start = false;
	p->restart_after_stop = false;
	p->info.started_ms = model_realtime_ms();
	memset(&p->info.metrics, 0, sizeof(p->info.metrics));
	if (rc < 0) {
		char msg[300];
		snprintf(msg, sizeof(msg), "spawn failed: %s", err);
		logstore_note(p->log, LOG_ERR, msg, sv_on_line, p);
		p->info.pid = 0;
		sv_after_exit(p, false, msg);
		return;
	}
	p->info.pid = r.pid;
	p->last_pid = r.pid;
	p->ntree = 0;
	p->out_fd = r.out_fd;
	p->err_fd = r.err_fd;
	p->exited = false;
	p->eof_stage = 0;
	p->last_output_mono = p->spawned_mono;
	p->last_watchdog_mono = 0;
	p->health_fails = 0;
	p->info.health = HEALTH_UNKNOWN;
	/* Its group too, in a cgroup or not: a process may leave its cgroup (a
	 * root one moved to a session scope), and the group still has it. */
	guardian_track(sv->guardian, r.pid, p->spec->stop_timeout_ms);
	loop_watch_child(sv->loop, r.pid, sv_on_child, p);
	loop_watch(sv->loop, r.out_fd, LOOP_READ, sv_on_pipe, p);
	loop_watch(sv->loop, r.err_fd, LOOP_READ, sv_on_pipe, p);
	sv_set_state(p, PROC_STARTING, "pid %d", (int)r.pid);
	if (p->info.state == PROC_STARTING)
		sv_ready_begin(p);
}

static void
sv_act_ready(struct sv_proc *p)
{
	sv_cancel_probes(p);
	if (p->spec->ready.kind == SPEC_PROBE_NONE)
		sv_set_state(p, PROC_RUNNING, "pid %d", (int)p->info.pid);
	else
		sv_set_state(p, PROC_RUNNING, "%s", p->probe_detail);
	if (p->info.state == PROC_RUNNING)
		sv_health_schedule(p, p->spec->health.initial_delay_ms > 0 ?
		    p->spec->health.initial_delay_ms : p->spec->health.interval_ms);
}

/* Sends sig to the whole process group (and SIGCONT, so a stopped one hears it). */
static void
sv_signal_group(struct sv_proc *p, int sig)
{
	if (p->info.pid <= 0)
		return;
	kill(-p->info.pid, sig);
	if (sig != SIGKILL && sig != SIGCONT)
		kill(-p->info.pid, SIGCONT);
	/* And whatever left the group but not the cgroup (setsid, double fork). */
	if (p->cg != NULL) {
		if (sig == SIGKILL)
			cg_group_kill(p->cg);
		else
			cg_group_signal(p->cg, sig);
	}
}

static void
sv_on_state_timer(struct loop *l, void *arg)
{
	(void)l;
	struct sv_proc *p = arg;
	p->timer = NULL;
	sv_input(p, IN_TIMER);
}

static void
sv_act_ready_timeout(struct sv_proc *p)
{
	char t[32];
	units_fmt_duration(p->spec->ready.timeout_ms, t, sizeof(t));
	char why[200];
	if (p->probe_detail[0] != '\0')
		snprintf(why, sizeof(why), "not ready after %s (last: %.120s)", t, p->probe_detail);
	else
		snprintf(why, sizeof(why), "not ready after %s", t);
	sv_cancel_probes(p);
	p->failed_start = true;
	snprintf(p->info.reason, sizeof(p->info.reason), "%.180s", why);
	logstore_note(p->log, LOG_ERR, why, sv_on_line, p);
	sv_signal_group(p, p->spec->stop_signal);
	p->timer = loop_timer_after(p->sv->loop, p->spec->stop_timeout_ms, sv_on_state_timer, p);
}

static void
sv_act_stop(struct sv_proc *p)
{
	sv_cancel_probes(p);
	sv_cancel_timer(p->sv, &p->timer);
	const char *sig = signame_name(p->spec->stop_signal);
	sv_set_state(p, PROC_STOPPING, "%s sent", sig != NULL ? sig : "stop signal");
	sv_signal_group(p, p->spec->stop_signal);
	p->timer = loop_timer_after(p->sv->loop, p->spec->stop_timeout_ms, sv_on_state_timer, p);
}

static void
sv_act_unhealthy(struct sv_proc *p)
{
	p->restart_after_stop = true;
	sv_act_stop(p);
}

/* The stop timeout passed: the whole group gets SIGKILL. */
static void
sv_act_kill(struct sv_proc *p)
{
	sv_signal_group(p, SIGKILL);
	if (p->info.state == PROC_STOPPING)
		snprintf(p->info.reason, sizeof(p->info.reason), "SIGKILL sent after %lldms",
		    (long long)p->spec->stop_timeout_ms);
	/* The main process may be gone already, the rest waited for: now it ends. */
	if (p->exited) {
		sv_cancel_timer(p->sv, &p->eof_timer);
		p->eof_stage = 1; /* the group just had its SIGKILL: what still holds the pipes left it */
		sv_maybe_finished(p);
	}
}

static void
sv_act_stopped_now(struct sv_proc *p)
{
	sv_cancel_timer(p->sv, &p->timer);
	sv_set_state(p, PROC_STOPPED, "%s", p->sv->phase == SV_RUNNING ? "stopped" : "not started: shutting down");
}

/* Keeps how this run ended among the last MODEL_EXIT_LOG (for the detail view). */
static void
sv_note_exit(struct sv_proc *p, bool clean, const char *how)
{
	struct proc_info *in = &p->info;
	sv_ring_put(&in->exits, MODEL_EXIT_LOG, &in->nexits, &in->exit_head, clean, how);
}

/* Adds one line of the log's tail to a JSON array. */
static void
sv_crash_line(const struct log_line *l, void *arg)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "ts", (double)l->ts_ms);
	cJSON_AddStringToObject(o, "stream", l->stream == LOG_ERR ? "err" : "out");
	char *text = str_dup_text(l->text, l->len);
	cJSON_AddStringToObject(o, "text", text != NULL ? text : "");
	free(text);
	cJSON_AddItemToArray(arg, o);
}

/*
 * An unexpected end (a non-zero exit, a signal, an OOM kill, a restart
 * after failed health checks): .vigil/crashes/NAME-STAMP.json with how it
 * ended, its last 200 lines, its last minute of figures and its tree as
 * last seen. A failure to write is said once in its log; the engine goes on.
 */
static void
sv_crash_report(struct sv_proc *p, const char *how)
{
	struct sv *sv = p->sv;
	const struct spec_settings *set = &sv->spec->settings;
	if (set->crash_reports <= 0)
		return;
	int64_t now = model_realtime_ms();
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", p->info.name);
	cJSON_AddStringToObject(o, "process", p->spec->name);
	cJSON_AddStringToObject(o, "stack", sv->spec->name);
	cJSON_AddNumberToObject(o, "pid", p->last_pid);
	specjson_add_command(o, sv->spec, p->spec);
	cJSON_AddStringToObject(o, "ended", how);
	int st = p->status;
	if (WIFEXITED(st))
		cJSON_AddNumberToObject(o, "exit_code", WEXITSTATUS(st));
	else
		cJSON_AddNullToObject(o, "exit_code");
	const char *sig = WIFSIGNALED(st) ? signame_name(WTERMSIG(st)) : NULL;
	if (WIFSIGNALED(st) && sig != NULL)
		cJSON_AddStringToObject(o, "signal", sig);
	else
		cJSON_AddNullToObject(o, "signal");
	cJSON_AddBoolToObject(o, "core_dumped", WIFSIGNALED(st) && WCOREDUMP(st));
	cJSON_AddBoolToObject(o, "oom_kill", strstr(how, "OOM killer") != NULL);
	cJSON_AddNumberToObject(o, "at", (double)now);
	cJSON_AddNumberToObject(o, "started", (double)p->info.started_ms);
	cJSON_AddNumberToObject(o, "uptime_ms", (double)(now - p->info.started_ms));
	cJSON_AddNumberToObject(o, "restarts", p->info.restarts);
	cJSON *logs = cJSON_AddArrayToObject(o, "logs");
	logstore_tail(p->log, 200, sv_crash_line, logs);
	cJSON *metrics = cJSON_AddObjectToObject(o, "metrics");
	struct series_point pts[SERIES_FINE_MAX];
	for (int m = 0; m < SERIES_METRICS && p->history != NULL; m++) {
		size_t n = series_fine(p->history, (enum series_metric)m, now - 60000, pts, SERIES_FINE_MAX);
		cJSON *a = cJSON_AddArrayToObject(metrics, series_metric_name((enum series_metric)m));
		for (size_t k = 0; k < n; k++) {
			double row[2] = {(double)pts[k].t_ms, round(pts[k].v * 100) / 100};
			cJSON_AddItemToArray(a, cJSON_CreateDoubleArray(row, 2));
		}
	}
	cJSON *tree = cJSON_AddArrayToObject(o, "tree");
	for (size_t k = 0; k < p->ntree; k++) {
		cJSON *t = cJSON_CreateObject();
		cJSON_AddNumberToObject(t, "pid", p->tree[k].pid);
		cJSON_AddNumberToObject(t, "ppid", p->tree[k].ppid);
		cJSON_AddStringToObject(t, "name", p->tree[k].comm);
		cJSON_AddItemToArray(tree, t);
	}
	char *text = cJSON_Print(o);
	cJSON_Delete(o);
	char dir[4200], id[512];
	snprintf(dir, sizeof(dir), "%s/.vigil/crashes", sv->spec->dir);
	if (sv->crashes != NULL && strcmp(crash_folder_dir(sv->crashes), dir) != 0) {
		crash_folder_free(sv->crashes);
		sv->crashes = NULL;
	}
	if (sv->crashes == NULL)
		sv->crashes = crash_folder_new(dir);
	if (text != NULL && (sv->crashes == NULL ||
	    crash_store(sv->crashes, p->info.name, now, text, set->crash_reports,
	    set->crash_reports_max_size, id, sizeof(id)) < 0) && !p->crash_warned) {
		char note[600];
		snprintf(note, sizeof(note), "no crash report: %.400s: %s", dir, strerror(errno));
		logstore_note(p->log, LOG_ERR, note, sv_on_line, p);
		p->crash_warned = true;
	}
	free(text);
	p->ntree = 0;
}

static void
sv_act_finished(struct sv_proc *p)
{
	/* What watched this instance ends with it: a probe still under way, a
	 * ready timeout, a stop escalation after a ready timeout. Left armed,
	 * they would fire on the next instance (a ready timeout counted from
	 * the earlier spawn, a SIGKILL to a process just started). */
	sv_cancel_probes(p);
	sv_cancel_timer(p->sv, &p->timer);
	char how[96];
	sv_describe_exit(p, how, sizeof(how));
	bool success = WIFEXITED(p->status) && WEXITSTATUS(p->status) == 0 && !p->failed_start;
	sv_note_exit(p, success, how);
	/* A failed start says why (the ready timeout) before how it ended. */
	char why[300];
	snprintf(why, sizeof(why), "%s%s%s", p->failed_start ? p->info.reason : "",
	    p->failed_start ? "; " : "", how);
	if (!success)
		sv_crash_report(p, why);
	sv_after_exit(p, success, why);
}

/* Back to pending on request, with a clean restart history; starts when it may. */
static void
sv_make_pending(struct sv_proc *p, const char *why)
{
	p->held = false;
	p->start_after_stop = false;
	p->info.selected = true;
	p->consecutive = 0;
	p->nrestart_times = 0;
	if (p->sv->phase == SV_RUNNING)
		sv_set_state(p, PROC_PENDING, "%s", why);
}

static void
sv_act_stopped(struct sv_proc *p)
{
	char how[96];
	sv_describe_exit(p, how, sizeof(how));
	sv_note_exit(p, true, how);
	sv_cancel_timer(p->sv, &p->timer);
	p->info.pid = 0;
	if (p->restart_after_stop && p->sv->phase == SV_RUNNING) {
		char why[300];
		snprintf(why, sizeof(why), "%s; %s", p->probe_detail, how);
		sv_crash_report(p, why); /* a restart after failed health checks */
		sv_after_exit(p, false, why);
		return;
	}
	sv_set_state(p, PROC_STOPPED, "%s", how);
	if (p->start_after_stop && p->info.state == PROC_STOPPED)
		sv_make_pending(p, "restart requested");
}

/*
 * The lifecycle: what each input does in each state. NULL: ignored.
 * disabled, stopped, exited, fatal, completed and failed are at rest.
 */
static const sv_action sv_table[PROC_STATE_COUNT][IN_COUNT] = {
	[PROC_PENDING] = {
		[IN_DEPS_MET] = sv_act_spawn,
		[IN_STOP] = sv_act_stopped_now,
	},
	[PROC_STARTING] = {
		[IN_READY] = sv_act_ready,
		[IN_READY_TIMEOUT] = sv_act_ready_timeout,
		[IN_FINISHED] = sv_act_finished,
		[IN_STOP] = sv_act_stop,
		[IN_TIMER] = sv_act_kill,
	},
	[PROC_RUNNING] = {
		[IN_FINISHED] = sv_act_finished,
		[IN_STOP] = sv_act_stop,
		[IN_UNHEALTHY] = sv_act_unhealthy,
	},
	[PROC_STOPPING] = {
		[IN_FINISHED] = sv_act_stopped,
		[IN_TIMER] = sv_act_kill,
	},
	[PROC_BACKOFF] = {
		[IN_TIMER] = sv_act_spawn,
		[IN_STOP] = sv_act_stopped_now,
	},
};

static void
sv_input(struct sv_proc *p, enum sv_input in)
{
	sv_action a = sv_table[p->info.state][in];
	if (a != NULL)
		a(p);
}

/* Restarts remembered for the window: max_restarts + 1, at most SV_RESTARTS_KEPT. */
static int
sv_restart_cap(const struct spec_process *s)
{
	return s->max_restarts < SV_RESTARTS_KEPT ? s->max_restarts + 1 : SV_RESTARTS_KEPT;
}

/* Counts restarts in the window; true when one more is allowed. */
static bool
sv_restart_allowed(struct sv_proc *p, int64_t now, int *in_window)
{
	const struct spec_process *s = p->spec;
	int n = 0;
	for (int i = 0; i < p->nrestart_times; i++)
		if (now - p->restart_times[i] < s->restart_window_ms)
			n++;
	*in_window = n;
	return n < s->max_restarts;
}

static void
sv_note_restart(struct sv_proc *p, int64_t now)
{
	int cap = sv_restart_cap(p->spec);
	if (p->nrestart_times < cap) {
		p->restart_times[p->nrestart_times++] = now;
		return;
	}
	/* Replace the oldest. */
	int oldest = 0;
	for (int i = 1; i < p->nrestart_times; i++)
		if (p->restart_times[i] < p->restart_times[oldest])
			oldest = i;
	p->restart_times[oldest] = now;
}

/* After an exit (or a failed spawn): completed, failed, exited, backoff or fatal. */
static void
sv_after_exit(struct sv_proc *p, bool success, const char *how)
{
	struct sv *sv = p->sv;
	const struct spec_process *s = p->spec;
	int64_t now = sv_mono_ms();
	p->info.pid = 0;
	bool restart;
	switch (s->restart) {
	case SPEC_RESTART_ALWAYS:
	case SPEC_RESTART_UNLESS_STOPPED:
		restart = true;
		break;
	case SPEC_RESTART_ON_FAILURE:
		restart = !success;
		break;
	default:
		restart = false;
		break;
	}
	if (s->kind == SPEC_CLEANUP || sv->phase != SV_RUNNING)
		restart = false;
	if (!restart) {
		if (s->kind == SPEC_SERVICE)
			sv_set_state(p, PROC_EXITED, "%s", how);
		else
			sv_set_state(p, success ? PROC_COMPLETED : PROC_FAILED, "%s", how);
		return;
	}
	/* It stayed up long enough: the next delay starts from the beginning. */
	if (p->spawned_mono > 0 && now - p->spawned_mono >= s->restart_window_ms)
		p->consecutive = 0;
	int in_window;
	if (!sv_restart_allowed(p, now, &in_window)) {
		char w[32];
		units_fmt_duration(s->restart_window_ms, w, sizeof(w));
		sv_set_state(p, PROC_FATAL, "%s; %d restarts in %s, giving up", how, in_window, w);
		return;
	}
	double delay = (double)s->backoff.initial_ms;
	for (int i = 0; i < p->consecutive && delay < (double)s->backoff.max_ms; i++)
		delay *= s->backoff.factor;
	if (delay > (double)s->backoff.max_ms)
		delay = (double)s->backoff.max_ms;
	p->consecutive++;
	sv_note_restart(p, now);
	p->info.restarts++;
	char d[32];
	units_fmt_duration((int64_t)delay, d, sizeof(d));
	sv_set_state(p, PROC_BACKOFF, "%s; restart in %s", how, d);
	if (p->info.state != PROC_BACKOFF)
		return;
	if (delay <= 0)
		sv_input(p, IN_TIMER);
	else
		p->timer = loop_timer_after(sv->loop, (int64_t)delay, sv_on_state_timer, p);
}

/* ---- exits and EOF ----------------------------------------------------- */

static void
sv_on_eof_timer(struct loop *l, void *arg)
{
	(void)l;
	struct sv_proc *p = arg;
	p->eof_timer = NULL;
	if (p->eof_stage++ == 0) {
		/* Something it left behind holds the pipes: end the rest of the group. */
		kill(-p->info.pid, SIGKILL);
		if (p->cg != NULL)
			cg_group_kill(p->cg);
		p->eof_timer = loop_timer_after(p->sv->loop, SV_EOF_GRACE_MS, sv_on_eof_timer, p);
		return;
	}
	/* A process that left the group still holds them: stop waiting. */
	sv_close_pipe(p, &p->out_fd, LOG_OUT);
	sv_close_pipe(p, &p->err_fd, LOG_ERR);
	sv_maybe_finished(p);
}

/*
 * A requested stop whose timeout has not passed: what is left of the
 * group (the program under a `sh -c` that the signal ended first) has
 * until stop_timeout to finish, as under systemd; the stop timer kills it.
 */
static bool
sv_stop_waits(const struct sv_proc *p)
{
	return p->info.state == PROC_STOPPING && p->timer != NULL;
}

static void
sv_on_drain_poll(struct loop *l, void *arg)
{
	(void)l;
	struct sv_proc *p = arg;
	p->eof_timer = NULL;
	sv_maybe_finished(p);
}

static void
sv_maybe_finished(struct sv_proc *p)
{
	if (!p->exited)
		return;
	if (p->out_fd >= 0 || p->err_fd >= 0) {
		if (p->eof_timer == NULL && !sv_stop_waits(p))
			p->eof_timer = loop_timer_after(p->sv->loop, SV_EOF_GRACE_MS, sv_on_eof_timer, p);
		return;
	}
	sv_cancel_timer(p->sv, &p->eof_timer);
	if (p->cg != NULL && sv_stop_waits(p) && !cg_group_empty(p->cg)) {
		/* Its pipes closed, the rest of its cgroup still stops: looked at again shortly. */
		p->eof_timer = loop_timer_after(p->sv->loop, SV_DRAIN_POLL_MS, sv_on_drain_poll, p);
		return;
	}
	p->exited = false;
	guardian_untrack(p->sv->guardian, p->info.pid);
	/* What it left running in its cgroup ends with it, as under systemd. */
	if (p->cg != NULL && !cg_group_empty(p->cg))
		cg_group_kill(p->cg);
	p->info.last_status = p->status;
	/* Not running: no health to speak of (the state event that follows carries it). */
	p->info.health = HEALTH_UNKNOWN;
	sv_input(p, IN_FINISHED);
}

static void
sv_on_child(struct loop *l, pid_t pid, int status, void *arg)
{
	(void)l;
	(void)pid;
	struct sv_proc *p = arg;
	p->exited = true;
	p->status = status;
	sv_maybe_finished(p);
}

/* ---- dependencies and the run as a whole ------------------------------- */

/* Whether dependency d of p is satisfied now; *blocked when it never will be. */
static bool
sv_dep_ok(struct sv *sv, const struct spec_dep *d, char *why, size_t size, bool *blocked)
{
	*blocked = false;
	for (size_t i = 0; i < sv->nprocs; i++) {
		struct sv_proc *q = sv->procs[i];
		/* By name: after a reload, records may point into different specs. */
		if (q->removed || strcmp(q->spec->name, d->name) != 0)
			continue;
		enum proc_state st = q->info.state;
		bool ok;
		switch (d->cond) {
		case SPEC_COND_STARTED:
			ok = st == PROC_STARTING || st == PROC_RUNNING || st == PROC_COMPLETED ||
			    st == PROC_EXITED;
			break;
		case SPEC_COND_READY:
			ok = st == PROC_RUNNING || st == PROC_COMPLETED;
			break;
		case SPEC_COND_HEALTHY:
			ok = st == PROC_RUNNING && q->info.health == HEALTH_HEALTHY;
			break;
		case SPEC_COND_COMPLETED:
			ok = st == PROC_COMPLETED || st == PROC_FAILED;
			break;
		default:
			ok = st == PROC_COMPLETED;
			break;
		}
		if (ok)
			continue;
		bool dead = st == PROC_FATAL || st == PROC_FAILED || st == PROC_DISABLED ||
		    st == PROC_STOPPED || (st == PROC_EXITED && d->cond != SPEC_COND_STARTED) ||
		    (st == PROC_COMPLETED && d->cond == SPEC_COND_HEALTHY);
		if (dead) {
			*blocked = true;
			snprintf(why, size, "waiting: %s is %s", q->info.name, model_state_name(st));
		} else {
			snprintf(why, size, "waiting for %s to be %s", q->info.name,
			    d->cond == SPEC_COND_COMPLETED_SUCCESSFULLY ? "completed successfully" :
			    config_cond_name(d->cond));
		}
		return false;
	}
	return true;
}

/* True for the states a process rests in (nothing runs, nothing is scheduled). */
static bool
sv_at_rest(enum proc_state st)
{
	return st == PROC_STOPPED || st == PROC_EXITED || st == PROC_FATAL ||
	    st == PROC_COMPLETED || st == PROC_FAILED || st == PROC_DISABLED;
}

/*
 * The same place in the stack: the same process's replica of the same
 * number — "srv" and "srv:0" when a reload changed replicas between 1 and
 * more (the name changes; the port it binds, say, does not).
 */
static bool
sv_same_slot(const struct sv_proc *a, const struct sv_proc *b)
{
	return a->info.replica == b->info.replica && strcmp(a->spec->name, b->spec->name) == 0;
}

/* A removed instance of the same slot that is still up (its replacement waits). */
static const struct sv_proc *
sv_predecessor(const struct sv *sv, const struct sv_proc *p)
{
	for (size_t i = 0; i < sv->nprocs; i++) {
		const struct sv_proc *q = sv->procs[i];
		if (q->removed && !sv_at_rest(q->info.state) && sv_same_slot(q, p))
			return q;
	}
	return NULL;
}

static bool
sv_active(enum proc_state st)
{
	return st == PROC_STARTING || st == PROC_RUNNING || st == PROC_STOPPING || st == PROC_BACKOFF;
}

/*
 * True when some selected process that depends on spec process s is still
 * up: directly, or through dependents that are no longer up — an api that
 * depends on a migration that depended on db still needs db once the
 * migration has completed. seen: one flag per instance, those visited.
 */
static bool
sv_has_live_dependents(struct sv *sv, const struct spec_process *s, bool *seen)
{
	for (size_t i = 0; i < sv->nprocs; i++) {
		const struct sv_proc *q = sv->procs[i];
		if (!q->info.selected || strcmp(q->spec->name, s->name) == 0)
			continue;
		for (size_t j = 0; j < q->spec->ndeps; j++) {
			if (strcmp(q->spec->deps[j].name, s->name) != 0)
				continue;
			if (sv_active(q->info.state))
				return true;
			if (!seen[i]) {
				seen[i] = true;
				if (sv_has_live_dependents(sv, q->spec, seen))
					return true;
			}
		}
	}
	return false;
}

/* sv_has_live_dependents for instance p. */
static bool
sv_needed(struct sv *sv, const struct sv_proc *p)
{
	bool *seen = calloc(sv->nprocs, sizeof(*seen));
	if (seen == NULL)
		return true; /* stop it later rather than too early */
	bool needed = sv_has_live_dependents(sv, p->spec, seen);
	free(seen);
	return needed;
}

static void
sv_on_shutdown_timeout(struct loop *l, void *arg)
{
	(void)l;
	struct sv *sv = arg;
	sv->shutdown_timer = NULL;
	/* Out of time for the stack: its cleanups get a shutdown_timeout of their own. */
	sv_kill_now(sv, sv->phase != SV_CLEANUP);
}

/* Runs the cleanup processes, or finishes when there are none left. */
static void
sv_cleanup_phase(struct sv *sv)
{
	bool any_active = false;
	for (size_t i = 0; i < sv->nprocs; i++) {
		struct sv_proc *p = sv->procs[i];
		if (p->spec->kind != SPEC_CLEANUP || !p->info.selected)
			continue;
		if (p->info.state == PROC_PENDING && sv->killed_all)
			sv_input(p, IN_STOP);
		if (p->info.state == PROC_PENDING)
			sv_input(p, IN_DEPS_MET);
		if (sv_active(p->info.state))
			any_active = true;
	}
	if (!any_active) {
		sv->phase = SV_DONE;
		sv_cancel_timer(sv, &sv->shutdown_timer);
		loop_stop(sv->loop);
	}
}

static void
sv_update_once(struct sv *sv)
{
	if (sv->phase == SV_DONE || !sv->started)
		return;
	bool any_active = false;
	for (size_t i = 0; i < sv->nprocs; i++) {
		struct sv_proc *p = sv->procs[i];
		if (!p->info.selected || p->spec->kind == SPEC_CLEANUP)
			continue;
		if (sv->phase == SV_RUNNING && p->info.state == PROC_PENDING) {
			bool ok = true, blocked = false;
			char why[192] = "";
			const struct sv_proc *old = sv_predecessor(sv, p);
			if (old != NULL) {
				ok = false;
				snprintf(why, sizeof(why), "waiting for the previous %s to stop", old->name);
			}
			for (size_t j = 0; j < p->spec->ndeps && ok; j++)
				ok = sv_dep_ok(sv, &p->spec->deps[j], why, sizeof(why), &blocked);
			if (ok) {
				sv_input(p, IN_DEPS_MET);
			} else if (strcmp(why, p->info.reason) != 0) {
				/* Same state, new reason: say it once. */
				sv_set_state(p, PROC_PENDING, "%s", why);
			}
		} else if (sv->phase == SV_SHUTTING_DOWN) {
			if (p->info.state == PROC_PENDING || p->info.state == PROC_BACKOFF)
				sv_input(p, IN_STOP);
			else if ((p->info.state == PROC_STARTING || p->info.state == PROC_RUNNING) &&
			    !sv_needed(sv, p))
				sv_input(p, IN_STOP);
		}
		if (sv_active(p->info.state))
			any_active = true;
	}
	if (any_active)
		return;
	/* Nothing of the stack proper is up. When running, that means nothing
	 * is left to run (what is pending is blocked for good). */
	bool can_progress = false;
	if (sv->phase == SV_RUNNING) {
		for (size_t i = 0; i < sv->nprocs; i++) {
			struct sv_proc *p = sv->procs[i];
			/* Stopped by the operator (or disabled by a reload): the stack
			 * waits for them to start it again; stopped for a restart: it is
			 * about to start. */
			if ((p->held && (p->info.state == PROC_STOPPED || p->info.state == PROC_DISABLED)) ||
			    p->start_after_stop)
				can_progress = true;
			if (!p->info.selected || p->spec->kind == SPEC_CLEANUP || p->info.state != PROC_PENDING)
				continue;
			bool ok = true, blocked = false;
			char why[192];
			for (size_t j = 0; j < p->spec->ndeps && ok; j++)
				ok = sv_dep_ok(sv, &p->spec->deps[j], why, sizeof(why), &blocked);
			if (!blocked)
				can_progress = true;
		}
	}
	if (can_progress)
		return;
	if (sv->phase == SV_RUNNING || sv->phase == SV_SHUTTING_DOWN) {
		sv->phase = SV_CLEANUP;
		if (sv->shutdown_timer == NULL)
			sv->shutdown_timer = loop_timer_after(sv->loop, sv->spec->settings.shutdown_timeout_ms,
			    sv_on_shutdown_timeout, sv);
	}
	if (sv->phase == SV_CLEANUP)
		sv_cleanup_phase(sv);
}

/* Re-evaluates dependencies and phases until nothing changes. Reentrant calls queue a pass. */
static void
sv_update(struct sv *sv)
{
	if (sv->updating) {
		sv->update_again = true;
		return;
	}
	sv->updating = true;
	do {
		sv->update_again = false;
		sv_update_once(sv);
	} while (sv->update_again);
	sv->updating = false;
}

/* ---- public ------------------------------------------------------------ */

static bool
sv_mkdirs(const char *path, char *err, size_t err_size)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(buf, 0755) < 0 && errno != EEXIST) {
				snprintf(err, err_size, "cannot create %s: %s", buf, strerror(errno));
				return false;
			}
			*p = c;
			if (c == '\0')
				break;
		}
	}
	return true;
}

/* A new instance (replica r of s), pending, appended to the table. */
static struct sv_proc *
sv_proc_add(struct sv *sv, const struct spec_process *s, int r)
{
	if (sv->nprocs == sv->capprocs) {
		size_t cap = sv->capprocs ? sv->capprocs * 2 : 16;
		struct sv_proc **t = realloc(sv->procs, cap * sizeof(*t));
		if (t == NULL)
			abort(); /* a table of pointers: out of memory here is not survivable */
		sv->procs = t;
		sv->capprocs = cap;
	}
	struct sv_proc *p = calloc(1, sizeof(*p));
	if (p == NULL)
		abort();
	sv->procs[sv->nprocs] = p;
	p->sv = sv;
	p->index = sv->nprocs++;
	p->spec = s;
	p->info.selected = !s->disabled;
	p->out_fd = p->err_fd = -1;
	if (s->replicas > 1)
		snprintf(p->name, sizeof(p->name), "%s:%d", s->name, r);
	else
		snprintf(p->name, sizeof(p->name), "%s", s->name);
	p->info.name = p->name;
	p->info.spec = s;
	p->info.replica = r;
	p->info.state = s->disabled ? PROC_DISABLED : PROC_PENDING;
	if (s->kind == SPEC_CLEANUP)
		snprintf(p->info.reason, sizeof(p->info.reason), "runs when the stack stops");
	p->info.last_status = -1;
	p->info.since_ms = model_realtime_ms();
	p->restart_times = calloc((size_t)sv_restart_cap(s), sizeof(int64_t));
	const struct spec_settings *set = &sv->spec->settings;
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s.log", set->log_dir, p->name);
	struct logstore_opts lo = {
		.path = path, .max_size = set->log_max_size, .max_files = set->log_max_files,
		.ring_bytes = (size_t)set->log_buffer,
	};
	p->log = logstore_new(&lo);
	p->history = series_new(set->sample_interval_ms);
	p->info.history = p->history;
	if (s->ready.kind == SPEC_PROBE_LOG)
		p->has_re = regcomp(&p->ready_re, s->ready.log, REG_EXTENDED | REG_NOSUB) == 0;
	if (s->ready.kind == SPEC_PROBE_NOTIFY || s->health.kind == SPEC_PROBE_NOTIFY) {
		char sock[4200];
		snprintf(sock, sizeof(sock), "%s/%s.sock", sv->run_dir, p->name);
		p->notify = probe_notify_open(sv->loop, sock, sv_on_notify, p);
	}
	return p;
}

/* Frees an instance; one still running is killed with its group. */
static void
sv_proc_free(struct sv_proc *p)
{
	struct sv *sv = p->sv;
	if (p->info.pid > 0) {
		kill(-p->info.pid, SIGKILL);
		loop_unwatch_child(sv->loop, p->info.pid);
	}
	sv_cg_release(sv, p->cg);
	sv_cancel_probes(p);
	sv_cancel_timer(sv, &p->timer);
	sv_cancel_timer(sv, &p->eof_timer);
	sv_cancel_timer(sv, &p->partial_timer);
	if (p->out_fd >= 0) {
		loop_unwatch(sv->loop, p->out_fd);
		close(p->out_fd);
	}
	if (p->err_fd >= 0) {
		loop_unwatch(sv->loop, p->err_fd);
		close(p->err_fd);
	}
	logstore_free(p->log);
	series_free(p->history);
	free(p->info.checks);
	free(p->info.exits);
	if (p->has_re)
		regfree(&p->ready_re);
	probe_notify_close(p->notify);
	free(p->restart_times);
	sv_free_env(p->envp, p->env_borrowed);
	free(p);
}

struct sv *
sv_new(const struct sv_opts *o, char *err, size_t err_size)
{
	const struct spec *spec = o->spec;
	if (!sv_mkdirs(spec->settings.log_dir, err, err_size))
		return NULL;
	struct sv *sv = calloc(1, sizeof(*sv));
	sv->spec = spec;
	sv->loop = o->loop;
	sv->guardian = o->guardian;
	sv->run_dir = strdup(o->run_dir);
	sv->base_env = o->base_env;
	sv->fn = o->fn;
	sv->arg = o->arg;
	sv->wants_lines = o->wants_lines;
	sv->cgroups = o->cgroups;
	sv->probes = probe_ctx_new(o->loop);
	probe_ctx_set_guardian(sv->probes, o->guardian);
	for (size_t oi = 0; oi < spec->nprocesses; oi++) {
		const struct spec_process *s = &spec->processes[spec->start_order[oi]];
		for (int r = 0; r < s->replicas; r++)
			sv_proc_add(sv, s, r);
	}
	return sv;
}

void
sv_free(struct sv *sv)
{
	if (sv == NULL)
		return;
	for (size_t i = 0; i < sv->nprocs; i++)
		sv_proc_free(sv->procs[i]);
	sv_cancel_timer(sv, &sv->shutdown_timer);
	probe_ctx_free(sv->probes);
	sv_cg_release(sv, sv->probe_cg);
	crash_folder_free(sv->crashes);
	free(sv->procs);
	for (size_t i = 0; i < sv->nspecs; i++)
		config_free(sv->specs[i]);
	free(sv->specs);
	free(sv->run_dir);
	free(sv);
}

/* Leaves pending instance p out of this run, saying how to bring it in. */
static void
sv_leave_out(struct sv_proc *p)
{
	p->info.selected = false;
	snprintf(p->info.reason, sizeof(p->info.reason), "not in this run (vigil start %s)", p->name);
}

/* Selects the spec process at index and, recursively, what it depends on. */
static void
sv_select_one(struct sv *sv, size_t spec_index, bool *seen)
{
	if (seen[spec_index])
		return;
	seen[spec_index] = true;
	const struct spec_process *s = &sv->spec->processes[spec_index];
	for (size_t i = 0; i < sv->nprocs; i++)
		if (sv->procs[i]->spec == s)
			sv->procs[i]->info.selected = true;
	sv_select_deps(sv, s, seen);
}

/* Selects what spec process s depends on, recursively. seen: one flag per spec process. */
static void
sv_select_deps(struct sv *sv, const struct spec_process *s, bool *seen)
{
	for (size_t j = 0; j < s->ndeps; j++)
		sv_select_one(sv, s->deps[j].index, seen);
}

bool
sv_select(struct sv *sv, char *const *names, size_t n, char *err, size_t err_size)
{
	const struct spec *spec = sv->spec;
	bool *seen = calloc(spec->nprocesses + 1, sizeof(bool));
	for (size_t i = 0; i < sv->nprocs; i++)
		sv->procs[i]->info.selected = false;
	for (size_t k = 0; k < n; k++) {
		size_t idx = config_process_index(spec, names[k]);
		if (idx == SIZE_MAX) {
			snprintf(err, err_size, "no process named '%s' in %s", names[k], spec->file);
			free(seen);
			return false;
		}
		sv_select_one(sv, idx, seen);
		/* Named, a disabled process runs (its disabled dependencies do not). */
		for (size_t i = 0; i < sv->nprocs; i++)
			if (sv->procs[i]->spec == &spec->processes[idx] &&
			    sv->procs[i]->info.state == PROC_DISABLED)
				sv->procs[i]->info.state = PROC_PENDING;
	}
	for (size_t i = 0; i < sv->nprocs; i++) {
		struct sv_proc *p = sv->procs[i];
		/* Cleanups always run at the end of a run. */
		if (p->spec->kind == SPEC_CLEANUP && !p->spec->disabled)
			p->info.selected = true;
		if (!p->info.selected && p->info.state == PROC_PENDING)
			sv_leave_out(p);
	}
	free(seen);
	return true;
}

void
sv_start(struct sv *sv)
{
	sv->started = true;
	sv_update(sv);
}

void
sv_shutdown(struct sv *sv)
{
	if (sv->phase != SV_RUNNING)
		return;
	sv->phase = SV_SHUTTING_DOWN;
	sv->shutdown_timer = loop_timer_after(sv->loop, sv->spec->settings.shutdown_timeout_ms,
	    sv_on_shutdown_timeout, sv);
	sv_update(sv);
}

/*
 * SIGKILL to every group now; what is pending or in backoff never starts.
 * keep_cleanups: pending cleanups still run once the rest has ended (the
 * shutdown ran out of time, as systemd still runs ExecStopPost=); not when
 * the operator asked for everything to end at once.
 */
static void
sv_kill_now(struct sv *sv, bool keep_cleanups)
{
	sv->killed_all = !keep_cleanups;
	if (sv->phase == SV_RUNNING)
		sv->phase = SV_SHUTTING_DOWN;
	for (size_t i = 0; i < sv->nprocs; i++) {
		struct sv_proc *p = sv->procs[i];
		if (keep_cleanups && p->spec->kind == SPEC_CLEANUP && p->info.state == PROC_PENDING)
			continue;
		if (p->info.state == PROC_PENDING || p->info.state == PROC_BACKOFF) {
			sv_input(p, IN_STOP);
		} else if (p->info.pid > 0) {
			if (p->info.state == PROC_STARTING || p->info.state == PROC_RUNNING)
				sv_input(p, IN_STOP);
			sv_signal_group(p, SIGKILL);
		}
	}
	sv_update(sv);
}

void
sv_kill_all(struct sv *sv)
{
	sv_kill_now(sv, false);
}

/* Frees removed instances that have come to rest (from the loop, never from their own callbacks). */
static void
sv_collect(struct sv *sv)
{
	size_t k = 0;
	for (size_t i = 0; i < sv->nprocs; i++) {
		struct sv_proc *p = sv->procs[i];
		bool rest = p->info.pid == 0 && p->out_fd < 0 && p->err_fd < 0 &&
		    p->timer == NULL && p->eof_timer == NULL && p->probe == NULL &&
		    p->probe_timer == NULL && p->ready_timer == NULL && !sv_active(p->info.state);
		if (p->removed && rest) {
			logstore_flush(p->log);
			/* Its successor (same name, from the reload) keeps its lines for `vigil logs`.
			 * Live entries: the k already kept, and those after i. */
			for (size_t j = 0; j < sv->nprocs; j++) {
				const struct sv_proc *q = j < k ? sv->procs[j] : j > i ? sv->procs[j] : NULL;
				if (q != NULL && !q->removed && sv_same_slot(q, p))
					logstore_adopt(q->log, p->log);
			}
			sv_proc_free(p);
			continue;
		}
		p->index = k;
		sv->procs[k++] = p;
	}
	if (k != sv->nprocs) {
		sv->nprocs = k;
		sv_update(sv);
	}
}

void
sv_flush(struct sv *sv)
{
	sv_collect(sv);
	for (size_t i = 0; i < sv->nprocs; i++) {
		struct sv_proc *p = sv->procs[i];
		if (!logstore_pending(p->log))
			continue;
		logstore_flush(p->log);
		/* Say so when log data was lost (disk full, file gone): at most
		 * once every 10 s per process, with the running total. */
		struct logstore_stats st;
		logstore_stats(p->log, &st);
		int64_t now = sv_mono_ms();
		if (st.dropped_bytes > p->dropped_reported &&
		    (p->dropped_said_mono == 0 || now - p->dropped_said_mono >= 10000)) {
			char why[240];
			snprintf(why, sizeof(why), "%llu bytes of log could not be written to %s/%s.log (%s)",
			    (unsigned long long)st.dropped_bytes, sv->spec->settings.log_dir, p->name,
			    st.file_errno != 0 ? strerror(st.file_errno) : "write failed");
			p->dropped_reported = st.dropped_bytes;
			p->dropped_said_mono = now;
			struct sv_event warn = {.kind = SV_EV_WARNING, .proc = &p->info, .reason = why};
			sv_emit(sv, &warn);
		}
	}
}

bool
sv_done(const struct sv *sv)
{
	return sv->phase == SV_DONE;
}

bool
sv_reload_check(struct sv *sv, const struct spec *next, cJSON *later, char *err, size_t err_size)
{
	if (!sv_mkdirs(next->settings.log_dir, err, err_size))
		return false;
	const struct spec_settings *a = &sv->spec->settings, *b = &next->settings;
	if (strcmp(a->log_dir, b->log_dir) != 0 || a->log_max_size != b->log_max_size ||
	    a->log_max_files != b->log_max_files || a->log_buffer != b->log_buffer)
		cJSON_AddItemToArray(later, cJSON_CreateString(
		    "log settings: for the processes started from this reload on (added and changed ones)"));
	if (a->sample_interval_ms != b->sample_interval_ms)
		cJSON_AddItemToArray(later, cJSON_CreateString(
		    "sample_interval: once the stack is started again (vigil down, then up)"));
	return true;
}

bool
sv_running(const struct sv *sv)
{
	return sv->phase == SV_RUNNING;
}

int
sv_exit_status(const struct sv *sv)
{
	for (size_t i = 0; i < sv->nprocs; i++) {
		const struct sv_proc *p = sv->procs[i];
		if (!p->info.selected)
			continue;
		enum proc_state st = p->info.state;
		if (st == PROC_FATAL || st == PROC_FAILED)
			return 1;
		if (st == PROC_EXITED && p->info.last_status != 0)
			return 1;
	}
	return 0;
}

size_t
sv_match(const struct sv *sv, const char *target, size_t *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < sv->nprocs && n < max; i++)
		if (model_match(&sv->procs[i]->info, target))
			out[n++] = i;
	return n;
}

void
sv_stop_proc(struct sv *sv, size_t i)
{
	struct sv_proc *p = sv->procs[i];
	p->held = true;
	p->start_after_stop = false;
	sv_input(p, IN_STOP);
}

void
sv_start_proc(struct sv *sv, size_t i)
{
	struct sv_proc *p = sv->procs[i];
	if (sv->phase != SV_RUNNING)
		return;
	if (!p->info.selected) {
		/* Left out of this run (`up NAME…`): it joins, with what it depends on. */
		bool *seen = calloc(sv->spec->nprocesses + 1, sizeof(*seen));
		if (seen != NULL)
			sv_select_deps(sv, p->spec, seen);
		free(seen);
		sv_make_pending(p, "start requested");
	} else if (sv_at_rest(p->info.state)) {
		sv_make_pending(p, "start requested");
	} else if (p->info.state == PROC_STOPPING) {
		p->held = false;
		p->start_after_stop = true;
	} else if (p->info.state == PROC_BACKOFF) {
		sv_input(p, IN_TIMER); /* now rather than after the delay */
	}
}

void
sv_restart_proc(struct sv *sv, size_t i)
{
	struct sv_proc *p = sv->procs[i];
	if (sv->phase != SV_RUNNING)
		return;
	/* A requested restart counts, as in PM2 (it does not count towards max_restarts). */
	p->info.restarts++;
	if (p->info.state == PROC_STARTING || p->info.state == PROC_RUNNING) {
		p->held = false;
		p->start_after_stop = true;
		sv_input(p, IN_STOP);
	} else {
		sv_start_proc(sv, i);
	}
}

int
sv_signal_proc(struct sv *sv, size_t i, int sig)
{
	struct sv_proc *p = sv->procs[i];
	if (p->info.pid <= 0) {
		errno = ESRCH;
		return -1;
	}
	return kill(-p->info.pid, sig);
}

/*
 * True when the process's definition (with its effective environment)
 * changed in what a running instance cannot take as it is. Not: its number
 * of replicas (scaling keeps the replicas that stay, as long as their names
 * stay, "name:N" while there are several), and what is read only when it
 * is used — tags, group, dependencies (at the next start), how it stops,
 * the restart policy, window and backoff (at the next exit): a kept
 * instance points at the new definition.
 */
static bool
sv_changed(const struct spec *a, const struct spec_process *pa, const struct spec *b,
    const struct spec_process *pb)
{
	if ((pa->replicas > 1) != (pb->replicas > 1))
		return true;
	static const char *const live[] = {"replicas", "tags", "group", "depends_on", "stop_signal",
		"stop_timeout_ms", "restart", "restart_window_ms", "backoff"};
	cJSON *ja = specjson_process(a, pa, true), *jb = specjson_process(b, pb, true);
	for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++) {
		cJSON_DeleteItemFromObjectCaseSensitive(ja, live[i]);
		cJSON_DeleteItemFromObjectCaseSensitive(jb, live[i]);
	}
	bool same = cJSON_Compare(ja, jb, true);
	cJSON_Delete(ja);
	cJSON_Delete(jb);
	return !same;
}

static void
sv_list_once(cJSON *list, const char *name)
{
	if (list == NULL)
		return;
	const cJSON *e;
	cJSON_ArrayForEach(e, list)
		if (strcmp(e->valuestring, name) == 0)
			return;
	cJSON_AddItemToArray(list, cJSON_CreateString(name));
}

void
sv_reload(struct sv *sv, struct spec *next, cJSON *added, cJSON *removed, cJSON *changed)
{
	struct spec **specs = realloc(sv->specs, (sv->nspecs + 1) * sizeof(*specs));
	if (specs == NULL)
		abort();
	sv->specs = specs;
	sv->specs[sv->nspecs++] = next;
	const struct spec *old = sv->spec;
	/* Old instances: kept (pointing at the new definition), or stopped and dropped. */
	size_t nold = sv->nprocs;
	/* What a replaced instance's successor inherits: left out of this run, or stopped by the operator. */
	struct { bool live, out, held; } *was = calloc(nold + 1, sizeof(*was));
	if (was == NULL)
		abort(); /* as the realloc above */
	for (size_t i = 0; i < nold; i++) {
		const struct sv_proc *p = sv->procs[i];
		was[i].live = !p->removed;
		was[i].out = !p->info.selected && p->info.state == PROC_PENDING;
		was[i].held = p->held && p->info.state != PROC_DISABLED;
	}
	for (size_t i = 0; i < nold; i++) {
		struct sv_proc *p = sv->procs[i];
		if (p->removed)
			continue;
		const struct spec_process *np = NULL;
		for (size_t k = 0; k < next->nprocesses; k++)
			if (strcmp(next->processes[k].name, p->spec->name) == 0)
				np = &next->processes[k];
		if (np != NULL && !sv_changed(old, p->spec, next, np) && p->info.replica < np->replicas) {
			p->spec = np;
			p->info.spec = np;
			continue;
		}
		sv_list_once(np == NULL ? removed : changed, p->spec->name);
		p->removed = true;
		p->held = true;
		p->start_after_stop = false;
		sv_input(p, IN_STOP);
	}
	sv->spec = next;
	/* New definitions: every replica without a kept instance is created. */
	for (size_t oi = 0; oi < next->nprocesses; oi++) {
		const struct spec_process *np = &next->processes[next->start_order[oi]];
		bool existed = false, any_live = false, all_out = true, any_held = false;
		for (size_t i = 0; i < nold; i++) {
			if (strcmp(sv->procs[i]->spec->name, np->name) != 0)
				continue;
			existed = true;
			if (was[i].live) {
				any_live = true;
				all_out &= was[i].out;
				any_held |= was[i].held;
			}
		}
		for (int r = 0; r < np->replicas; r++) {
			bool kept = false;
			for (size_t i = 0; i < nold && !kept; i++) {
				const struct sv_proc *p = sv->procs[i];
				kept = !p->removed && p->spec == np && p->info.replica == r;
			}
			if (kept)
				continue;
			sv_proc_add(sv, np, r);
			/* A changed process left out of this run (`up NAME…`) stays out;
			 * one the operator stopped stays stopped. */
			struct sv_proc *q = sv->procs[sv->nprocs - 1];
			if (any_live && all_out && q->info.state == PROC_PENDING)
				sv_leave_out(q);
			else if (any_held && q->info.state == PROC_PENDING)
				sv_stop_proc(sv, q->index);
			else if (any_live && q->info.state == PROC_DISABLED)
				q->held = true; /* disabled while the stack runs: the stack waits, as for a stop */
		}
		if (!existed)
			sv_list_once(added, np->name);
		else
			for (size_t i = nold; i < sv->nprocs; i++)
				if (sv->procs[i]->spec == np)
					sv_list_once(changed, np->name);
	}
	free(was);
	/* What the run's processes now depend on joins the run. */
	bool *seen = calloc(next->nprocesses + 1, sizeof(*seen));
	for (size_t i = 0; i < sv->nprocs && seen != NULL; i++)
		if (sv->procs[i]->info.selected && !sv->procs[i]->removed)
			sv_select_deps(sv, sv->procs[i]->spec, seen);
	free(seen);
	sv_update(sv);
}

const struct spec *
sv_spec(const struct sv *sv)
{
	return sv->spec;
}

size_t
sv_count(const struct sv *sv)
{
	return sv->nprocs;
}

const struct proc_info *
sv_proc(const struct sv *sv, size_t i)
{
	return &sv->procs[i]->info;
}

bool
sv_replacing(const struct sv *sv, size_t i)
{
	return !sv->procs[i]->removed && sv_predecessor(sv, sv->procs[i]) != NULL;
}

const struct logstore *
sv_log(const struct sv *sv, size_t i)
{
	return sv->procs[i]->log;
}

void
sv_set_metrics(struct sv *sv, size_t i, pid_t pid, const struct proc_metrics *m)
{
	struct sv_proc *p = sv->procs[i];
	bool ours = m != NULL && p->info.pid > 0 && p->info.pid == pid;
	if (ours)
		p->info.metrics = *m; /* otherwise it exited (or respawned) since the sample was taken */
	double v[SERIES_METRICS];
	for (int k = 0; k < SERIES_METRICS; k++)
		v[k] = NAN; /* a gap in the history while it does not run */
	if (ours) {
		v[SERIES_CPU] = m->cpu;
		v[SERIES_TREE_CPU] = m->tree_cpu;
		v[SERIES_RSS] = (double)m->rss;
		v[SERIES_TREE_RSS] = (double)m->tree_rss;
		if (m->io_read >= 0)
			v[SERIES_IO_READ] = m->io_read;
		if (m->io_write >= 0)
			v[SERIES_IO_WRITE] = m->io_write;
	}
	series_add(p->history, ours ? m->at_ms : model_realtime_ms(), v);
}

void
sv_set_tree(struct sv *sv, size_t i, pid_t pid, const struct proc_member *m, size_t n)
{
	struct sv_proc *p = sv->procs[i];
	if (p->info.pid <= 0 || p->info.pid != pid)
		return;
	p->ntree = n < MODEL_TREE_MAX ? n : MODEL_TREE_MAX;
	memcpy(p->tree, m, p->ntree * sizeof(*m));
}

const struct proc_member *
sv_tree(const struct sv *sv, size_t i, size_t *n)
{
	*n = sv->procs[i]->ntree;
	return sv->procs[i]->tree;
}

void
sv_set_host(struct sv *sv, const struct model_host *h)
{
	sv->host = *h;
	struct sv_event ev = {.kind = SV_EV_METRICS};
	sv_emit(sv, &ev);
}

const struct model_host *
sv_host(const struct sv *sv)
{
	return &sv->host;
}

void
sv_put_host(struct sv *sv, const struct model_host *h)
{
	sv->host = *h;
}

void
sv_want_host(struct sv *sv)
{
	if (sv->host_wanted)
		return;
	sv->host_wanted = true;
	if (sv->host_fn != NULL)
		sv->host_fn(sv->host_arg);
}

bool
sv_host_wanted(const struct sv *sv)
{
	return sv->host_wanted;
}

void
sv_set_host_reader(struct sv *sv, void (*fn)(void *arg), void *arg)
{
	sv->host_fn = fn;
	sv->host_arg = arg;
}

const char *
sv_cgroups_describe(const struct sv *sv)
{
	return sv->cgroups != NULL ? cg_env_describe(sv->cgroups) :
	    "cgroup none: turned off (VIGIL_CGROUPS=off; ppid tree and rlimits only)";
}

const struct cg_group *
sv_cgroup(const struct sv *sv, size_t i)
{
	return sv->procs[i]->cg;
}
