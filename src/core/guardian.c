/*
 * guardian — owns the write end of the pipe to the guardian process. The
 * guardian itself owns nothing of the engine's: it closes every other
 * descriptor, sits in its own process group (a terminal's Ctrl-C is the
 * engine's to handle) and ignores the signals that end a session.
 */
#include "core/guardian.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/cgroup.h"
#include "core/loop.h"

#define GUARDIAN_MAX_WAIT_MS 60000 /* an abandoned group gets at most this before SIGKILL */

/*
 * One message on the pipe: this header, then len bytes of a cgroup
 * directory for 'C'/'c'; written in one write() below PIPE_BUF, so atomic.
 */
struct guardian_msg {
	char op;            /* '+' track, '-' untrack a group; 'C'/'c' a cgroup; 'q' orderly end */
	int32_t pgid;       /* for 'C': 1 for a placement directory */
	int64_t timeout_ms;
	uint16_t len;       /* bytes of path that follow */
};

#define GUARDIAN_PATH_MAX (PIPE_BUF - sizeof(struct guardian_msg))

struct guardian {
	pid_t pid;
	int fd;                 /* owned: the write end */
	char held[PIPE_BUF];    /* untrack messages not sent yet (guardian_flush) */
	size_t nheld;
};

struct guardian_group {
	pid_t pgid;
	int64_t timeout_ms;
};

static int64_t
guardian_now_ms(void)
{
	return loop_now() / 1000000;
}

/* True while any member of the group is alive. */
static bool
guardian_alive(pid_t pgid)
{
	return kill(-pgid, 0) == 0 || errno == EPERM;
}

/* Removes an emptied cgroup directory (the kernel may take a moment to let go), then its two parents when empty. */
static void
guardian_rmdir_cgroup(char *dir)
{
	for (int tries = 0; rmdir(dir) < 0 && errno == EBUSY && tries < 50; tries++)
		poll(NULL, 0, 20);
	for (int up = 0; up < 2; up++) {
		char *slash = strrchr(dir, '/');
		if (slash == NULL || slash == dir)
			return;
		*slash = '\0';
		if (rmdir(dir) < 0)
			return; /* another stack's, or still in use */
	}
}

/* Empties and removes the engine's run folder (it holds only sockets). */
static void
guardian_clean_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	rmdir(dir);
}

/*
 * A tracked cgroup directory. The guardian holds a shared lock on its
 * parent (the stack's directory) from the moment it hears of it until it
 * is untracked or the guardian ends, one descriptor per parent (lock_fd
 * -1: another entry of the same parent holds it): while an engine lives it
 * holds one too, and when it dies this one stays while the guardian kills
 * and removes, so no new engine takes the directory meanwhile (its claim
 * sees the lock and picks another name).
 */
struct guardian_cgroup {
	char *dir;
	int lock_fd;
	int64_t timeout_ms;  /* the stop timeout of the processes in it */
	bool place;          /* a placement directory: its processes get SIGTERM from here */
	bool done;           /* emptied or killed, once the engine is gone */
};

/* The length of dir's parent (up to its last '/'), 0 when none. */
static size_t
guardian_parent_len(const char *dir)
{
	const char *slash = strrchr(dir, '/');
	return slash != NULL && slash != dir ? (size_t)(slash - dir) : 0;
}

/* An entry of v other than skip with the same parent as dir (and holding its lock, with locked); -1 when none. */
static long
guardian_sibling(const struct guardian_cgroup *v, size_t n, const char *dir, size_t skip, bool locked)
{
	size_t plen = guardian_parent_len(dir);
	for (size_t i = 0; i < n; i++)
		if (i != skip && (!locked || v[i].lock_fd >= 0) && guardian_parent_len(v[i].dir) == plen &&
		    strncmp(v[i].dir, dir, plen) == 0)
			return (long)i;
	return -1;
}

static void
guardian_cgroup_add(struct guardian_cgroup *v, size_t *n, const char *dir, bool place,
    int64_t timeout_ms)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(v[i].dir, dir) == 0) {
			v[i].timeout_ms = timeout_ms; /* tracked again (a reload's new instance took it) */
			return;
		}
	char *d = strdup(dir);
	if (d == NULL)
		return;
	int lock = -1;
	size_t plen = guardian_parent_len(d);
	if (plen > 0 && guardian_sibling(v, *n, d, SIZE_MAX, true) < 0) {
		d[plen] = '\0';
		lock = cg_lock_dir(d);
		d[plen] = '/';
	}
	v[(*n)++] = (struct guardian_cgroup){d, lock, timeout_ms, place, false};
}

static void
guardian_cgroup_remove(struct guardian_cgroup *v, size_t *n, const char *dir)
{
	for (size_t i = 0; i < *n; i++) {
		if (strcmp(v[i].dir, dir) != 0)
			continue;
		if (v[i].lock_fd >= 0) {
			/* Handed to another leaf of the same stack, or let go. */
			long other = guardian_sibling(v, *n, dir, i, false);
			if (other >= 0)
				v[other].lock_fd = v[i].lock_fd;
			else
				close(v[i].lock_fd);
		}
		free(v[i].dir);
		v[i] = v[--*n];
		return;
	}
}

/* The tracked groups, for guardian_term_untracked. */
struct guardian_groups {
	const struct guardian_group *v;
	size_t n;
};

/* SIGTERM (and SIGCONT) to pid unless it is in a tracked group, which had them already. */
static int
guardian_term_untracked(pid_t pid, void *arg)
{
	const struct guardian_groups *t = arg;
	pid_t pg = getpgid(pid);
	for (size_t i = 0; i < t->n && pg > 0; i++)
		if (t->v[i].pgid == pg)
			return 0;
	if (pid > 1 && pid != getpid()) {
		kill(pid, SIGTERM);
		kill(pid, SIGCONT);
	}
	return 0;
}

/*
 * The engine is gone: end every process group and every cgroup, politely
 * first (SIGTERM, and SIGCONT for the stopped), then with SIGKILL once its
 * own stop timeout has passed. Each process gets one SIGTERM: from its
 * tracked group, or else from its placement cgroup (a daemon that left its
 * group); the other directories that list it only wait and kill.
 */
static void
guardian_reap_all(struct guardian_group *groups, size_t n, struct guardian_cgroup *cgroups,
    size_t ncg)
{
	int64_t start = guardian_now_ms();
	for (size_t i = 0; i < n; i++) {
		kill(-groups[i].pgid, SIGTERM);
		kill(-groups[i].pgid, SIGCONT);
		if (groups[i].timeout_ms > GUARDIAN_MAX_WAIT_MS)
			groups[i].timeout_ms = GUARDIAN_MAX_WAIT_MS;
	}
	struct guardian_groups tracked = {groups, n};
	for (size_t i = 0; i < ncg; i++) {
		if (cgroups[i].place)
			cg_dir_walk(cgroups[i].dir, guardian_term_untracked, &tracked);
		if (cgroups[i].timeout_ms > GUARDIAN_MAX_WAIT_MS)
			cgroups[i].timeout_ms = GUARDIAN_MAX_WAIT_MS;
	}
	size_t left = n + ncg;
	while (left > 0) {
		int64_t now = guardian_now_ms();
		for (size_t i = 0; i < n; i++) {
			if (groups[i].pgid <= 0)
				continue;
			if (!guardian_alive(groups[i].pgid)) {
				groups[i].pgid = 0;
				left--;
			} else if (now - start >= groups[i].timeout_ms) {
				kill(-groups[i].pgid, SIGKILL);
				groups[i].pgid = 0;
				left--;
			}
		}
		for (size_t i = 0; i < ncg; i++) {
			if (cgroups[i].done)
				continue;
			if (cg_dir_empty(cgroups[i].dir)) {
				cgroups[i].done = true;
				left--;
			} else if (now - start >= cgroups[i].timeout_ms) {
				cg_dir_kill(cgroups[i].dir);
				cgroups[i].done = true;
				left--;
			}
		}
		if (left > 0)
			poll(NULL, 0, 20); /* the guardian is not the engine: it may wait */
	}
}

static void __attribute__((noreturn))
guardian_main(int fd, const char *run_dir)
{
	setpgid(0, 0);
	const int ignored[] = {SIGINT, SIGQUIT, SIGHUP, SIGTERM, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU};
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		signal(ignored[i], SIG_IGN);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	int devnull = open("/dev/null", O_RDWR);
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		/* stderr stays: a guardian that cannot work should say so. */
	}
	if (fd != 3) {
		dup2(fd, 3);
		fd = 3;
	}
	close_range(4, ~0U, 0);

	struct guardian_group *groups = NULL;
	size_t n = 0, cap = 0;
	struct guardian_cgroup *cgroups = NULL; /* killed last */
	size_t ncg = 0, capcg = 0;
	for (;;) {
		struct guardian_msg m;
		ssize_t r = read(fd, &m, sizeof(m));
		if (r < 0 && errno == EINTR)
			continue;
		if (r != (ssize_t)sizeof(m))
			break; /* EOF or a broken pipe: the engine is gone */
		if (m.op == 'q')
			_exit(0);
		if (m.op == 'C' || m.op == 'c') {
			char path[PIPE_BUF];
			size_t got = 0;
			while (got < m.len && got < sizeof(path) - 1) {
				r = read(fd, path + got, m.len - got);
				if (r < 0 && errno == EINTR)
					continue;
				if (r <= 0)
					break;
				got += (size_t)r;
			}
			if (got != m.len)
				break;
			path[got] = '\0';
			if (m.op == 'C' && ncg == capcg) {
				size_t ncap = capcg ? capcg * 2 : 64;
				struct guardian_cgroup *c = realloc(cgroups, ncap * sizeof(*c));
				if (c == NULL)
					continue;
				cgroups = c;
				capcg = ncap;
			}
			if (m.op == 'C')
				guardian_cgroup_add(cgroups, &ncg, path, m.pgid == 1, m.timeout_ms);
			else
				guardian_cgroup_remove(cgroups, &ncg, path);
			continue;
		}
		if (m.op == '+') {
			if (n == cap) {
				size_t ncap = cap ? cap * 2 : 64;
				struct guardian_group *g = realloc(groups, ncap * sizeof(*g));
				if (g == NULL)
					continue;
				groups = g;
				cap = ncap;
			}
			groups[n++] = (struct guardian_group){m.pgid, m.timeout_ms};
		} else if (m.op == '-') {
			for (size_t i = 0; i < n; i++) {
				if (groups[i].pgid == m.pgid) {
					groups[i] = groups[--n];
					break;
				}
			}
		}
	}
	guardian_reap_all(groups, n, cgroups, ncg);
	/* Whatever left its process group but not its cgroup goes now; then the
	 * emptied cgroups are removed (with vigil/<stack> and vigil when empty). */
	for (size_t i = 0; i < ncg; i++)
		cg_dir_kill(cgroups[i].dir);
	for (size_t i = 0; i < ncg; i++)
		guardian_rmdir_cgroup(cgroups[i].dir);
	if (run_dir != NULL)
		guardian_clean_dir(run_dir);
	_exit(0);
}

struct guardian *
guardian_start(const char *run_dir)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return NULL;
	struct guardian *g = calloc(1, sizeof(*g));
	if (g == NULL) {
		close(p[0]);
		close(p[1]);
		return NULL;
	}
	pid_t pid = fork();
	if (pid < 0) {
		int saved = errno;
		close(p[0]);
		close(p[1]);
		free(g);
		errno = saved;
		return NULL;
	}
	if (pid == 0) {
		close(p[1]);
		guardian_main(p[0], run_dir);
	}
	close(p[0]);
	g->pid = pid;
	g->fd = p[1];
	return g;
}

pid_t
guardian_pid(const struct guardian *g)
{
	return g->pid;
}

static void
guardian_send(struct guardian *g, char op, pid_t pgid, int64_t timeout_ms, const char *path)
{
	if (g == NULL || g->fd < 0)
		return;
	struct guardian_msg m;
	memset(&m, 0, sizeof(m));
	m.op = op;
	m.pgid = (int32_t)pgid;
	m.timeout_ms = timeout_ms;
	size_t len = path != NULL ? strlen(path) : 0;
	if (len > GUARDIAN_PATH_MAX)
		return; /* cannot be sent whole; the process group is still tracked */
	m.len = (uint16_t)len;
	size_t n = sizeof(m) + len;
	if (g->nheld + n > sizeof(g->held))
		guardian_flush(g);
	/*
	 * An untrack waits for the next message or guardian_flush (the end of
	 * the loop pass): a restart then costs one write, its untrack and the
	 * track of the new process together (one write below PIPE_BUF, so
	 * atomic). Tracks are never held: from its spawn on, a process is the
	 * guardian's to end.
	 */
	memcpy(g->held + g->nheld, &m, sizeof(m));
	if (len > 0)
		memcpy(g->held + g->nheld + sizeof(m), path, len);
	g->nheld += n;
	if (op != '-')
		guardian_flush(g);
}

void
guardian_flush(struct guardian *g)
{
	if (g == NULL || g->fd < 0 || g->nheld == 0)
		return;
	ssize_t r;
	do
		r = write(g->fd, g->held, g->nheld);
	while (r < 0 && errno == EINTR);
	g->nheld = 0;
}

void
guardian_track(struct guardian *g, pid_t pgid, int64_t stop_timeout_ms)
{
	guardian_send(g, '+', pgid, stop_timeout_ms, NULL);
}

void
guardian_untrack(struct guardian *g, pid_t pgid)
{
	guardian_send(g, '-', pgid, 0, NULL);
}

void
guardian_track_cgroup(struct guardian *g, const char *dir, bool place, int64_t stop_timeout_ms)
{
	if (dir != NULL)
		guardian_send(g, 'C', place ? 1 : 0, stop_timeout_ms, dir);
}

void
guardian_untrack_cgroup(struct guardian *g, const char *dir)
{
	if (dir != NULL)
		guardian_send(g, 'c', 0, 0, dir);
}

void
guardian_release(struct guardian *g)
{
	if (g == NULL)
		return;
	guardian_send(g, 'q', 0, 0, NULL);
	close(g->fd);
	free(g);
}

void
guardian_abandon(struct guardian *g)
{
	if (g == NULL)
		return;
	close(g->fd);
	free(g);
}
