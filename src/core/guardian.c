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
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/loop.h"

#define GUARDIAN_MAX_WAIT_MS 60000 /* an abandoned group gets at most this before SIGKILL */

/* One message on the pipe; smaller than PIPE_BUF, so writes are atomic. */
struct guardian_msg {
	char op;            /* '+' track, '-' untrack, 'q' orderly end */
	int32_t pgid;
	int64_t timeout_ms;
};

struct guardian {
	pid_t pid;
	int fd; /* owned: the write end */
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

/*
 * The engine is gone: end every group, politely first, then with SIGKILL
 * once its own stop timeout has passed.
 */
static void
guardian_reap_all(struct guardian_group *groups, size_t n)
{
	int64_t start = guardian_now_ms();
	for (size_t i = 0; i < n; i++) {
		kill(-groups[i].pgid, SIGTERM);
		kill(-groups[i].pgid, SIGCONT);
		if (groups[i].timeout_ms > GUARDIAN_MAX_WAIT_MS)
			groups[i].timeout_ms = GUARDIAN_MAX_WAIT_MS;
	}
	size_t left = n;
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
		if (left > 0)
			poll(NULL, 0, 20); /* the guardian is not the engine: it may wait */
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
	for (;;) {
		struct guardian_msg m;
		ssize_t r = read(fd, &m, sizeof(m));
		if (r < 0 && errno == EINTR)
			continue;
		if (r != (ssize_t)sizeof(m))
			break; /* EOF or a broken pipe: the engine is gone */
		if (m.op == 'q')
			_exit(0);
		if (m.op == '+') {
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				struct guardian_group *g = realloc(groups, cap * sizeof(*g));
				if (g == NULL)
					continue;
				groups = g;
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
	guardian_reap_all(groups, n);
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
guardian_send(struct guardian *g, char op, pid_t pgid, int64_t timeout_ms)
{
	if (g == NULL || g->fd < 0)
		return;
	struct guardian_msg m;
	memset(&m, 0, sizeof(m));
	m.op = op;
	m.pgid = (int32_t)pgid;
	m.timeout_ms = timeout_ms;
	ssize_t r;
	do
		r = write(g->fd, &m, sizeof(m));
	while (r < 0 && errno == EINTR);
}

void
guardian_track(struct guardian *g, pid_t pgid, int64_t stop_timeout_ms)
{
	guardian_send(g, '+', pgid, stop_timeout_ms);
}

void
guardian_untrack(struct guardian *g, pid_t pgid)
{
	guardian_send(g, '-', pgid, 0);
}

void
guardian_release(struct guardian *g)
{
	if (g == NULL)
		return;
	guardian_send(g, 'q', 0, 0);
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
