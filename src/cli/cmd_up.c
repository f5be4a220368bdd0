/*
 * cmd_up — `vigil up`: runs the engine in the foreground, headless. Owns
 * the engine's set-up and tear-down: the state folder and its pid lock,
 * the guardian, the loop and its signals, the supervisor, and the printer
 * that turns the supervisor's events into `HH:MM:SS name | line` output.
 */
#include "cli/cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "collectors/proc.h"
#include "collectors/sampler.h"
#include "core/alert.h"
#include "core/cgroup.h"
#include "core/config.h"
#include "core/control.h"
#include "core/diag.h"
#include "core/guardian.h"
#include "core/loop.h"
#include "core/strutil.h"
#include "core/supervisor.h"
#include "core/units.h"
#include "ui/theme.h"
#include "ui/tui.h"

extern char **environ;

enum { UP_FILE, UP_DETACH, UP_NO_TUI, UP_SOCKET, UP_HELP };

#define UP_SLOW_SAMPLE_MS 5000 /* descriptors and I/O are read this often */
#define UP_DETACH_WAIT_MS 30000 /* `up -d` reports after this even if some still start */

/* `up -d`: the pipe to the command that started the engine; -1 otherwise. */
static int up_ready_fd = -1;
/* `up` with the dashboard: report as soon as the control socket listens, with its path. */
static bool up_ready_quick;
static int64_t up_ready_deadline; /* loop_now() ns */
static int up_held_lock = -1;     /* `up -d`: the pid lock, taken before the fork */

/* An error that stops the engine from starting: to stderr and, for `up -d`, to the waiting command. */
static void __attribute__((format(printf, 1, 2)))
up_error(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "vigil: %s\n", msg);
	if (up_ready_fd >= 0) {
		dprintf(up_ready_fd, "error vigil: %s\n", msg);
		close(up_ready_fd);
		up_ready_fd = -1;
	}
}

/* The printer's state. */
struct up {
	struct loop *loop;
	struct sv *sv;
	struct guardian *guardian;
	struct control *control; /* owned: the control socket */
	struct sampler *sampler; /* owned; NULL when /proc cannot be read */
	struct cg_env *cgroups;  /* owned: where processes get cgroups */
	struct alert_engine *alerts; /* owned */
	int64_t next_sample;     /* loop_now() ns of the next sweep */
	bool color;        /* ANSI colours on stdout */
	int width;         /* of the name column */
	int signals;       /* SIGINT/SIGTERM received */
	uint32_t sig_pid;  /* the first one's sender (0: the terminal) */
	int64_t sig_ns;    /* and when it came (loop_now) */
	const struct spec *spec;
	/* The last line prefix, reused while the second and the process stay
	 * the same (a burst of output formats it once). */
	int64_t prefix_sec;
	const char *prefix_name;   /* borrowed: the proc_info name it was made for */
	char prefix[256];
	size_t prefix_len;
	/* Headless output, built here with memcpy and written by up_flush (before
	 * the engine sleeps, or when full): stdio's per-call cost was most of
	 * the engine's CPU in a burst of output. */
	char out[1 << 16];
	size_t out_len;
	bool out_dead;     /* stdout failed (EPIPE, closed): printing stops, the stack does not */
	bool lines_unread; /* stdout is /dev/null: log lines are not formatted at all */
};

/* Writes the buffered output; a failure stops further output. */
static void
up_flush(struct up *u)
{
	size_t off = 0;
	while (off < u->out_len && !u->out_dead) {
		ssize_t n = write(STDOUT_FILENO, u->out + off, u->out_len - off);
		if (n > 0) {
			off += (size_t)n;
		} else if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = {.fd = STDOUT_FILENO, .events = POLLOUT};
			poll(&pfd, 1, 1000); /* a non-blocking terminal: wait until it drains */
		} else if (!(n < 0 && errno == EINTR)) {
			u->out_dead = true;
		}
	}
	u->out_len = 0;
}

/* Appends n bytes to the output. */
static inline void
up_put(struct up *u, const char *p, size_t n)
{
	if (u->out_len + n > sizeof(u->out)) {
		up_flush(u);
		if (n > sizeof(u->out)) {
			/* A long line: straight through, after what was buffered. */
			memcpy(u->out, p, sizeof(u->out));
			u->out_len = sizeof(u->out);
			up_put(u, p + sizeof(u->out), n - sizeof(u->out));
			return;
		}
	}
	memcpy(u->out + u->out_len, p, n);
	u->out_len += n;
}

static void __attribute__((format(printf, 2, 3)))
up_printf(struct up *u, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		up_put(u, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* True when fd is /dev/null (character device 1:3): what goes there is never read. */
static bool
up_is_null(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 &&
	    minor(st.st_rdev) == 3;
}

/* Prints "HH:MM:SS name " (coloured on a terminal). */
static void
up_prefix(struct up *u, int64_t ms, const char *name)
{
	int64_t sec = ms / 1000;
	if (sec != u->prefix_sec || name != u->prefix_name) {
		char ts[16];
		units_fmt_local(ms, "%H:%M:%S", ts, sizeof(ts));
		int n;
		if (u->color)
			n = snprintf(u->prefix, sizeof(u->prefix), "\033[2m%s\033[0m %s%-*s\033[0m ", ts,
			    theme_name_ansi(name), u->width, name);
		else
			n = snprintf(u->prefix, sizeof(u->prefix), "%s %-*s ", ts, u->width, name);
		u->prefix_len = n < 0 ? 0 : (size_t)n < sizeof(u->prefix) ? (size_t)n : sizeof(u->prefix) - 1;
		u->prefix_sec = sec;
		u->prefix_name = name;
	}
	up_put(u, u->prefix, u->prefix_len);
}

/* A line the engine says about itself. */
static void __attribute__((format(printf, 2, 3)))
up_say(struct up *u, const char *fmt, ...)
{
	char ts[16], msg[1024];
	units_fmt_local(model_realtime_ms(), "%H:%M:%S", ts, sizeof(ts));
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	up_printf(u, u->color ? "\033[2m%s\033[0m \033[1m%-*s\033[0m ▸ %s\n" : "%s %-*s ▸ %s\n", ts,
	    u->width, "vigil", msg);
}

static const char *
up_state_color(enum proc_state s)
{
	switch (s) {
	case PROC_RUNNING:
	case PROC_COMPLETED:
		return "\033[32m";
	case PROC_BACKOFF:
	case PROC_STOPPING:
	case PROC_EXITED:
		return "\033[33m";
	case PROC_FATAL:
	case PROC_FAILED:
		return "\033[1;31m";
	default:
		return "\033[0m";
	}
}

static void
up_on_event(const struct sv_event *ev, void *arg)
{
	struct up *u = arg;
	const struct proc_info *p = ev->proc;
	if (ev->kind == SV_EV_METRICS)
		return; /* figures are for `vigil status` and the dashboard, not the line output */
	if (ev->kind == SV_EV_LOG) {
		const struct log_line *l = ev->line;
		/* The hot path: one line per call, millions in a burst. */
		if (u->lines_unread || u->out_dead)
			return;
		up_prefix(u, l->ts_ms, p->name);
		if (l->stream == LOG_ERR && u->color)
			up_put(u, "\033[31m!\033[0m ", 11);
		else
			up_put(u, l->stream == LOG_ERR ? "! " : "| ", 2);
		const char *text;
		size_t len = str_cr_tail(l->text, l->len, &text); /* a progress line: as a terminal shows it */
		up_put(u, text, len);
		up_put(u, "\n", 1);
		return;
	}
	if (ev->kind == SV_EV_WARNING) {
		up_prefix(u, model_realtime_ms(), p->name);
		up_printf(u, u->color ? "▸ \033[1;33mwarning\033[0m (%s)\n" : "▸ warning (%s)\n", ev->reason);
		return;
	}
	if (ev->kind == SV_EV_STATE && ev->from == ev->to && ev->to == PROC_PENDING &&
	    strncmp(ev->reason, "waiting for", 11) == 0)
		return; /* routine waiting is not news */
	if (ev->kind == SV_EV_STATE && ev->to == PROC_STARTING && p->spec->ready.kind == SPEC_PROBE_NONE)
		return; /* without a probe, "running (pid N)" follows at once */
	up_prefix(u, ev->kind == SV_EV_HEALTH ? model_realtime_ms() : p->since_ms, p->name);
	const char *label;
	if (ev->kind == SV_EV_HEALTH)
		label = model_health_name(p->health);
	else if (ev->to == PROC_RUNNING && p->spec->ready.kind != SPEC_PROBE_NONE)
		label = "ready";
	else
		label = model_state_name(ev->to);
	bool why = ev->reason != NULL && ev->reason[0] != '\0';
	if (u->color)
		up_printf(u, "▸ %s%s\033[0m%s%s%s\n", ev->kind == SV_EV_HEALTH ?
		    (p->health == HEALTH_HEALTHY ? "\033[32m" : "\033[31m") : up_state_color(ev->to), label,
		    why ? " (" : "", why ? ev->reason : "", why ? ")" : "");
	else
		up_printf(u, "▸ %s%s%s%s\n", label, why ? " (" : "", why ? ev->reason : "", why ? ")" : "");
}

/* Every event: printed, sent to the control socket's subscribers, and weighed by the alert rules. */
static void
up_on_any_event(const struct sv_event *ev, void *arg)
{
	struct up *u = arg;
	up_on_event(ev, u);
	control_on_event(u->control, ev);
	if (ev->kind == SV_EV_METRICS)
		alert_on_sample(u->alerts);
	else
		alert_on_event(u->alerts, ev);
}

/* An alert fired, resolved or was acknowledged: a line, and the alerts topic. */
static void
up_on_alert(enum alert_change what, const struct alert *a, const char *why, void *arg)
{
	struct up *u = arg;
	static const char *const words[] = {"fired", "resolved", "acknowledged", "not delivered"};
	char ts[16];
	units_fmt_local(model_realtime_ms(), "%H:%M:%S", ts, sizeof(ts));
	const char *col = !u->color ? "" : what == ALERT_UNDELIVERED ? "\033[1;33m" : what != ALERT_FIRED ?
	    "\033[32m" : a->severity == RULE_CRITICAL ? "\033[1;31m" : a->severity == RULE_WARNING ? "\033[33m" :
	    "\033[36m";
	up_printf(u, "%s %-*s ▸ %salert %s %s%s: %s%s%s%s\n", ts, u->width, "vigil", col,
	    rule_severity_name(a->severity), words[what], u->color ? "\033[0m" : "", a->message,
	    why != NULL ? " (" : "", why != NULL ? why : "", why != NULL ? ")" : "");
	control_on_alert(u->control, what == ALERT_UNDELIVERED ? "undelivered" : words[what], a, why);
}

/* Every sample_interval: one sweep of the collectors, on absolute deadlines (no drift). */
static void
up_on_sample(struct loop *l, void *arg)
{
	struct up *u = arg;
	sampler_sweep(u->sampler);
	int64_t step = u->spec->settings.sample_interval_ms * 1000000;
	int64_t now = loop_now();
	u->next_sample += step;
	if (u->next_sample <= now) /* a stall (suspend, a slow disk): skip, do not catch up */
		u->next_sample = now + step;
	loop_timer_at(l, u->next_sample, up_on_sample, u);
}

/* Log lines are wanted by the printer (unless stdout goes nowhere), a subscriber, or a log alert rule. */
static bool
up_wants_lines(void *arg)
{
	struct up *u = arg;
	/* Asked per read, not once: a reload may add or remove log rules. */
	return (!u->lines_unread && !u->out_dead) || control_wants_lines(u->control) ||
	    alert_wants_lines(u->alerts);
}

static void
up_on_signal(struct loop *l, const struct signalfd_siginfo *si, void *arg)
{
	(void)l;
	struct up *u = arg;
	int sig = (int)si->ssi_signo;
	/* `timeout -s INT` signals the engine, then its own process group, which
	 * holds the engine: the same sender twice within 250 ms is one request
	 * (a terminal's second Ctrl-C has no sender, and always counts). */
	if (u->signals == 1 && si->ssi_code == SI_USER && si->ssi_pid != 0 &&
	    si->ssi_pid == u->sig_pid && loop_now() - u->sig_ns < 250 * 1000000LL)
		return;
	if (++u->signals == 1) {
		u->sig_pid = si->ssi_code == SI_USER ? si->ssi_pid : 0;
		u->sig_ns = loop_now();
		up_say(u, "%s: stopping the stack (again to kill it now)",
		    sig == SIGINT ? "interrupted" : sig == SIGHUP ? "hangup" : "terminated");
		sv_shutdown(u->sv);
	} else if (sig == SIGINT || sig == SIGQUIT || u->signals > 2) {
		up_say(u, "killing every process now");
		sv_kill_all(u->sv);
	}
}

/*
 * For `up -d`: once every process has reached its first state (or the wait
 * is over), one summary line to the command waiting on the pipe.
 */
static void
up_report_ready(struct up *u)
{
	size_t counts[PROC_STATE_COUNT] = {0};
	bool settled = true;
	for (size_t i = 0; i < sv_count(u->sv); i++) {
		const struct proc_info *p = sv_proc(u->sv, i);
		/* A cleanup is pending until the stack stops. */
		if (!p->selected || p->spec->kind == SPEC_CLEANUP)
			continue;
		counts[p->state]++;
		if (p->state == PROC_STARTING ||
		    (p->state == PROC_PENDING && strncmp(p->reason, "waiting:", 8) != 0))
			settled = false;
	}
	if (!settled && loop_now() < up_ready_deadline && !sv_done(u->sv))
		return;
	/* The stack ends already (nothing left to run, or a down): its result, once known, not "up". */
	bool ended = sv_done(u->sv);
	if (!ended && !sv_running(u->sv))
		return;
	int status = ended ? sv_exit_status(u->sv) : 0;
	char line[512];
	int n = ended ? snprintf(line, sizeof(line), "%s stack %s ended:", status == 0 ? "ok" : "error vigil:",
	    u->spec->name) : snprintf(line, sizeof(line), "ok stack %s is up:", u->spec->name);
	const char *sep = " ";
	for (int st = 0; st < PROC_STATE_COUNT; st++) {
		if (counts[st] == 0 || n >= (int)sizeof(line))
			continue;
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%s%zu %s", sep, counts[st],
		    model_state_name((enum proc_state)st));
		sep = ", ";
	}
	if (n < (int)sizeof(line) && ended)
		snprintf(line + n, sizeof(line) - (size_t)n, " (exit status %d; its output in %s/.vigil/engine.log)\n",
		    status, u->spec->dir);
	else if (n < (int)sizeof(line))
		snprintf(line + n, sizeof(line) - (size_t)n, " (engine pid %d; its output in %s/.vigil/engine.log)\n",
		    (int)getpid(), u->spec->dir);
	ssize_t w = write(up_ready_fd, line, strlen(line));
	(void)w;
	close(up_ready_fd);
	up_ready_fd = -1;
}

/*
 * The engine's children but the guardian, into out (at most max): from
 * /proc/self/task/PID/children (one read), else a sweep of /proc. The count.
 */
static size_t
up_children(pid_t guardian, pid_t *out, size_t max)
{
	pid_t self = getpid();
	size_t n = 0;
	char path[64], buf[8192];
	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)self);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[len > 0 ? len : 0] = '\0';
		for (char *p = buf, *end; n < max; p = end) {
			long pid = strtol(p, &end, 10);
			if (end == p)
				break;
			if (pid != guardian)
				out[n++] = (pid_t)pid;
		}
		return n;
	}
	struct proc_scan *ps = proc_scan_new(NULL);
	if (ps != NULL && proc_scan_run(ps) == 0) {
		size_t nr;
		const struct proc_rec *r = proc_scan_recs(ps, &nr);
		for (size_t i = 0; i < nr && n < max; i++)
			if (r[i].ppid == self && r[i].pid != guardian)
				out[n++] = r[i].pid;
	}
	proc_scan_free(ps);
	return n;
}

/*
 * What is left among the engine's children once the stack is down: daemons
 * that left their process group and session came to the engine (the
 * subreaper), and outside a cgroup (VIGIL_CGROUPS=off, or none writable)
 * nothing else ends them. SIGTERM to each and its group, SIGKILL to what
 * is left after 2 s.
 */
static void
up_end_adopted(struct up *u)
{
	pid_t left[256];
	size_t n = up_children(u->guardian != NULL ? guardian_pid(u->guardian) : 0, left,
	    sizeof(left) / sizeof(left[0]));
	size_t nleft = 0;
	for (size_t i = 0; i < n; i++) {
		if (waitpid(left[i], NULL, WNOHANG) != 0)
			continue; /* a zombie, reaped now */
		left[nleft++] = left[i];
		kill(-left[i], SIGTERM); /* its group, when it leads one */
		kill(left[i], SIGTERM);
	}
	if (nleft == 0)
		return;
	up_say(u, "ending %zu process%s left behind (orphaned, adopted by vigil)", nleft, nleft == 1 ? "" : "es");
	int64_t deadline = loop_now() + 2000 * 1000000LL;
	for (;;) {
		size_t alive = 0;
		for (size_t i = 0; i < nleft; i++)
			if (left[i] > 0 && waitpid(left[i], NULL, WNOHANG) == 0)
				alive++;
			else
				left[i] = 0;
		if (alive == 0)
			return;
		if (loop_now() >= deadline)
			break;
		poll(NULL, 0, 20); /* the engine is done: nothing else to wait for */
	}
	for (size_t i = 0; i < nleft; i++) {
		if (left[i] > 0) {
			kill(-left[i], SIGKILL);
			kill(left[i], SIGKILL);
			waitpid(left[i], NULL, 0);
		}
	}
}

/* The supervisor's reader of the host's figures: the sampler's. */
static void
up_read_host(void *arg)
{
	sampler_read_host(arg);
}

static void
up_before_sleep(struct loop *l, void *arg)
{
	(void)l;
	struct up *u = arg;
	sv_flush(u->sv);
	guardian_flush(u->guardian);
	if (up_ready_fd >= 0)
		up_report_ready(u);
	up_flush(u);
}

static void
up_on_orphan(struct loop *l, pid_t pid, int status, void *arg)
{
	(void)l;
	(void)status;
	struct up *u = arg;
	if (u->guardian != NULL && pid == guardian_pid(u->guardian)) {
		up_say(u, "warning: the guardian process ended; processes may outlive a crash");
		u->guardian = NULL; /* nothing to release any more */
	}
}

/*
 * Takes the stack's pid lock in its state folder (pidpath: its path). -1
 * with a message when another engine holds it (naming its pid) or the
 * folder is unusable.
 */
static int
up_lock_take(const struct spec *s, char *pidpath, size_t size, char *err, size_t err_size)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/.vigil", s->dir);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, err_size, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	snprintf(pidpath, size, "%s/engine.pid", dir);
	int fd = open(pidpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, err_size, "cannot open %s: %s", pidpath, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		char buf[32] = "";
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(err, err_size, "the stack in %s is already running (engine pid %s)",
		    s->file, buf[0] ? buf : "unknown");
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The engine's pid lock: the one `up -d` took before forking (so a refused
 * start leaves the running engine's log alone), or taken now; then the
 * engine's pid written in it.
 */
static int
up_lock(const struct spec *s, char *pidpath, size_t size, char *err, size_t err_size)
{
	int fd = up_held_lock;
	up_held_lock = -1;
	if (fd >= 0)
		snprintf(pidpath, size, "%s/.vigil/engine.pid", s->dir);
	else if ((fd = up_lock_take(s, pidpath, size, err, err_size)) < 0)
		return -1;
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)len, 0) != len) {
		snprintf(err, err_size, "cannot write %s: %s", pidpath, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int
up_run(const struct cli_cmd *cmd, const char *file, const char *socket, char **names,
    size_t nnames)
{
	(void)cmd;
	char err[9000];
	struct spec *spec;
	int rc = cli_load_stack(file, &spec);
	if (rc != CLI_OK)
		return rc;
	rc = CLI_FAILED;
	char pidpath[4200];
	char run_dir[] = "/tmp/vigil-XXXXXX";
	bool have_run_dir = false;
	struct up u = {.spec = spec};
	int lockfd = up_lock(spec, pidpath, sizeof(pidpath), err, sizeof(err));
	if (lockfd < 0) {
		up_error("%s", err);
		goto out;
	}
	if (mkdtemp(run_dir) == NULL) {
		up_error("cannot create a run folder: %s", strerror(errno));
		goto out;
	}
	have_run_dir = true;

	signal(SIGPIPE, SIG_IGN);
	/* Processes that daemonize come back to us, not to init. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	u.guardian = guardian_start(run_dir);
	if (u.guardian == NULL)
		fprintf(stderr, "vigil: warning: no guardian (%s); processes may outlive a crash\n",
		    strerror(errno));
	u.loop = loop_new();
	if (u.loop == NULL) {
		up_error("event loop: %s", strerror(errno));
		goto out;
	}
	u.color = cli_color(STDOUT_FILENO);
	u.width = 5;
	for (size_t i = 0; i < spec->nprocesses; i++) {
		int w = (int)strlen(spec->processes[i].name) + (spec->processes[i].replicas > 1 ? 3 : 0);
		if (w > u.width)
			u.width = w;
	}
	u.lines_unread = up_is_null(STDOUT_FILENO);

	const char *cgo = getenv("VIGIL_CGROUPS");
	u.cgroups = cgo != NULL && strcmp(cgo, "off") == 0 ? NULL : cg_env_new(NULL);
	struct sv_opts so = {
		.spec = spec, .loop = u.loop, .guardian = u.guardian, .run_dir = run_dir,
		.cgroups = u.cgroups,
		.base_env = environ, .fn = up_on_any_event, .arg = &u, .wants_lines = up_wants_lines,
	};
	u.sv = sv_new(&so, err, sizeof(err));
	if (u.sv == NULL) {
		up_error("%s", err);
		goto out;
	}
	if (nnames > 0 && !sv_select(u.sv, names, nnames, err, sizeof(err))) {
		up_error("%s", err);
		rc = CLI_USAGE;
		goto out;
	}
	char sockpath[4200];
	if (socket == NULL)
		socket = getenv("VIGIL_SOCKET");
	if (socket != NULL && socket[0] != '\0')
		snprintf(sockpath, sizeof(sockpath), "%s", socket);
	else
		snprintf(sockpath, sizeof(sockpath), "%s/.vigil/control.sock", spec->dir);
	u.control = control_new(u.loop, u.sv, sockpath, spec->file, err, sizeof(err));
	if (u.control == NULL) {
		up_error("control socket: %s", err);
		goto out;
	}
	if (up_ready_quick && up_ready_fd >= 0) {
		dprintf(up_ready_fd, "ok %s\n", sockpath);
		close(up_ready_fd);
		up_ready_fd = -1;
	}
	u.alerts = alert_new(u.loop, u.sv, up_on_alert, &u);
	control_set_alerts(u.control, u.alerts);
	const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	loop_signals(u.loop, sigs, 4, up_on_signal, &u);
	loop_on_orphan(u.loop, up_on_orphan, &u);
	loop_before_sleep(u.loop, up_before_sleep, &u);
	up_say(&u, "stack %s (%s), engine pid %d", spec->name, spec->file, (int)getpid());
	up_say(&u, "%s", sv_cgroups_describe(u.sv));
	up_ready_deadline = loop_now() + (int64_t)UP_DETACH_WAIT_MS * 1000000;
	u.sampler = sampler_new(u.sv, NULL, UP_SLOW_SAMPLE_MS);
	if (u.sampler == NULL)
		up_say(&u, "warning: no process figures (/proc: %s)", strerror(errno));
	else
		sv_set_host_reader(u.sv, up_read_host, u.sampler);
	sv_start(u.sv);
	if (u.sampler != NULL) {
		sampler_sweep(u.sampler); /* the base for the first figures */
		u.next_sample = loop_now() + spec->settings.sample_interval_ms * 1000000;
		loop_timer_at(u.loop, u.next_sample, up_on_sample, &u);
	}
	if (!sv_done(u.sv) && loop_run(u.loop) < 0)
		fprintf(stderr, "vigil: event loop: %s\n", strerror(errno));
	sv_flush(u.sv);
	if (up_ready_fd >= 0)
		up_report_ready(&u); /* the whole run ended before the first report */
	up_end_adopted(&u);
	rc = sv_exit_status(u.sv);
	control_on_end(u.control, rc); /* the dashboard says so, rather than "engine gone" */
	up_say(&u, "stack %s is down (exit status %d)", spec->name, rc);
	up_flush(&u);
out:
	control_free(u.control); /* clients see EOF: the engine is gone */
	u.control = NULL;
	alert_free(u.alerts);
	u.alerts = NULL;
	if (u.sv != NULL)
		sv_set_host_reader(u.sv, NULL, NULL);
	sampler_free(u.sampler);
	sv_free(u.sv);
	cg_env_free(u.cgroups); /* after the supervisor: its groups came from it */
	guardian_release(u.guardian);
	loop_free(u.loop);
	if (have_run_dir) {
		/* The folder holds only our sockets. */
		DIR *dir = opendir(run_dir);
		struct dirent *e;
		while (dir != NULL && (e = readdir(dir)) != NULL)
			if (e->d_name[0] != '.')
				unlinkat(dirfd(dir), e->d_name, 0);
		if (dir != NULL)
			closedir(dir);
		rmdir(run_dir);
	}
	if (lockfd >= 0) {
		unlink(pidpath);
		close(lockfd);
	}
	config_free(spec);
	return rc;
}

/*
 * `vigil up -d`: checks the stack file here (so its problems are printed
 * where the user is), then starts the engine in the background — double
 * fork, its own session, output to .vigil/engine.log — and waits on a pipe
 * for its one-line report.
 */
static int
up_detach(const struct cli_cmd *cmd, const char *file, const char *socket, char **names,
    size_t nnames, char *sock_out, size_t sock_size)
{
	struct spec *spec;
	int rc = cli_load_stack(file, &spec);
	if (rc != CLI_OK)
		return rc;
	/* What the engine would refuse, refused here: the engine's log is not
	 * the place for it, least of all a running engine's. */
	for (size_t i = 0; i < nnames; i++) {
		if (config_process_index(spec, names[i]) == SIZE_MAX) {
			fprintf(stderr, "vigil: no process named '%s' in %s\n", names[i], spec->file);
			config_free(spec);
			return CLI_USAGE;
		}
	}
	char logpath[4200], err[9000];
	int lockfd = up_lock_take(spec, logpath, sizeof(logpath), err, sizeof(err));
	if (lockfd < 0) {
		fprintf(stderr, "vigil: %s\n", err);
		config_free(spec);
		return CLI_FAILED;
	}
	snprintf(logpath, sizeof(logpath), "%s/.vigil/engine.log", spec->dir);
	config_free(spec);
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		fprintf(stderr, "vigil: pipe: %s\n", strerror(errno));
		close(lockfd);
		return CLI_FAILED;
	}
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "vigil: fork: %s\n", strerror(errno));
		close(lockfd);
		close(p[0]);
		close(p[1]);
		return CLI_FAILED;
	}
	if (pid == 0) {
		close(p[0]);
		up_held_lock = lockfd; /* the engine's from now on (a lock belongs to the open file) */
		setsid();
		if (fork() != 0)
			_exit(0); /* the engine is not a session leader: no terminal can adopt it */
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		int log = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (null < 0 || log < 0 || dup2(null, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0) {
			dprintf(p[1], "error vigil: cannot open %s: %s\n", logpath, strerror(errno));
			_exit(1);
		}
		up_ready_fd = p[1];
		up_ready_quick = sock_out != NULL;
		_exit(up_run(cmd, file, socket, names, nnames));
	}
	close(p[1]);
	close(lockfd);
	waitpid(pid, NULL, 0);
	/* The report, or EOF when the engine died before it could say anything. */
	char buf[1024];
	size_t len = 0;
	ssize_t r;
	while (len < sizeof(buf) - 1 && (r = read(p[0], buf + len, sizeof(buf) - 1 - len)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		len += (size_t)r;
	}
	close(p[0]);
	buf[len] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (strncmp(buf, "ok ", 3) == 0) {
		if (sock_out != NULL)
			snprintf(sock_out, sock_size, "%s", buf + 3);
		else
			printf("%s\n", buf + 3);
		return CLI_OK;
	}
	if (strncmp(buf, "error ", 6) == 0)
		fprintf(stderr, "%s\n", buf + 6);
	else
		fprintf(stderr, "vigil: the engine ended while starting; see %s\n", logpath);
	return CLI_FAILED;
}

int
cli_cmd_up(const struct cli_cmd *cmd, int argc, char **argv)
{
	const char *file = NULL, *socket = NULL;
	bool detach = false, no_tui = false;
	char **names = calloc((size_t)argc + 1, sizeof(*names));
	size_t n = 0;
	struct cli_parser p;
	cli_parser_init(&p, cmd, argc, argv);
	int rc = CLI_OK;
	for (int r; (r = cli_next(&p)) != CLI_END;) {
		switch (r) {
		case CLI_ERROR:
			free(names);
			return CLI_USAGE;
		case CLI_ARG:
			names[n++] = (char *)p.value;
			break;
		case UP_FILE:
			file = p.value;
			break;
		case UP_DETACH:
			detach = true;
			break;
		case UP_NO_TUI:
			no_tui = true;
			break;
		case UP_SOCKET:
			socket = p.value;
			break;
		case UP_HELP:
			cli_print_command_help(cmd, stdout);
			free(names);
			return CLI_OK;
		}
	}
	/* On a terminal: the engine in the background, the dashboard in front. */
	const char *term = getenv("TERM");
	bool tui = !detach && !no_tui && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) &&
	    term != NULL && term[0] != '\0' && strcmp(term, "dumb") != 0;
	if (detach) {
		rc = up_detach(cmd, file, socket, names, n, NULL, 0);
	} else if (tui) {
		char sock[4200];
		rc = up_detach(cmd, file, socket, names, n, sock, sizeof(sock));
		if (rc == CLI_OK) {
			struct tui_opts to = {.socket_path = sock, .refresh_ms = 1000, .owns_stack = true};
			rc = tui_run(&to);
		}
	} else {
		rc = up_run(cmd, file, socket, names, n);
	}
	free(names);
	return rc;
}
