/*
 * test_guardian — when the engine's pipe closes without a goodbye, every
 * tracked process group is ended: politely, then with SIGKILL after its
 * stop timeout, grandchildren and TERM-ignoring processes included; an
 * orderly release kills nothing; an untracked group is left alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/guardian.h"

static int64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A new process group running script under sh; returns its pgid. */
static pid_t
group(const char *script)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setpgid(0, 0);
		execl("/bin/sh", "sh", "-c", script, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	return pid;
}

/* True when no member of the group is left (zombies of ours are reaped here). */
static bool
group_gone(pid_t pgid)
{
	while (waitpid(-pgid, NULL, WNOHANG) > 0)
		;
	return kill(-pgid, 0) < 0 && errno == ESRCH;
}

/* Waits until the group is gone or ms pass; the time it took, or -1. */
static int64_t
wait_gone(pid_t pgid, int64_t ms)
{
	int64_t start = now_ms();
	while (now_ms() - start < ms) {
		if (group_gone(pgid))
			return now_ms() - start;
		struct timespec ts = {0, 10000000};
		nanosleep(&ts, NULL); /* polling a condition with a deadline */
	}
	return -1;
}

static void
test_abandon_kills_groups(void **state)
{
	(void)state;
	char dir[] = "/tmp/vigil-guardian-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char sock[64];
	snprintf(sock, sizeof(sock), "%s/p.sock", dir);
	FILE *f = fopen(sock, "w");
	assert_non_null(f);
	fclose(f);
	struct guardian *g = guardian_start(dir);
	assert_non_null(g);
	pid_t polite = group("sleep 1000 & sleep 1000");
	pid_t stubborn = group("trap '' TERM; sleep 1000 & trap '' TERM; while :; do sleep 1; done");
	pid_t untracked = group("sleep 1000");
	guardian_track(g, polite, 5000);
	guardian_track(g, stubborn, 500);
	guardian_track(g, untracked, 500);
	guardian_untrack(g, untracked);
	pid_t gpid = guardian_pid(g);
	guardian_abandon(g);
	/* polite goes at once on SIGTERM; stubborn after its 500 ms, well before polite's 5 s. */
	int64_t t1 = wait_gone(polite, 3000);
	int64_t t2 = wait_gone(stubborn, 3000);
	assert_true(t1 >= 0);
	assert_true(t2 >= 0);
	assert_false(group_gone(untracked));
	kill(-untracked, SIGKILL);
	assert_true(wait_gone(untracked, 3000) >= 0);
	int status;
	assert_int_equal(waitpid(gpid, &status, 0), gpid);
	assert_true(WIFEXITED(status));
	assert_int_equal(access(dir, F_OK), -1); /* the run folder went with the engine */
}

static void
test_release_kills_nothing(void **state)
{
	(void)state;
	struct guardian *g = guardian_start(NULL);
	pid_t keep = group("sleep 1000");
	guardian_track(g, keep, 100);
	pid_t gpid = guardian_pid(g);
	guardian_release(g);
	int status;
	assert_int_equal(waitpid(gpid, &status, 0), gpid);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_false(group_gone(keep));
	kill(-keep, SIGKILL);
	assert_true(wait_gone(keep, 3000) >= 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_abandon_kills_groups),
		cmocka_unit_test(test_release_kills_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
