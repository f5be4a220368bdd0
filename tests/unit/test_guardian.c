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
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/cgroup.h"
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
	guardian_flush(g); /* the loop pass ends: untracks held back go out */
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

/* Polls until path exists or 5 s pass; whether it came. */
static bool
wait_file(const char *path)
{
	int64_t t0 = now_ms();
	while (access(path, F_OK) != 0) {
		if (now_ms() - t0 > 5000)
			return false;
		struct timespec ts = {0, 5000000};
		nanosleep(&ts, NULL); /* polling a condition with a deadline */
	}
	return true;
}

/* True when another process holds a lock on dir (what a new engine's claim asks). */
static bool
locked(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return false;
	bool held = flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return held;
}

/* Polls until locked(dir) == want or 3 s pass; whether it came. */
static bool
wait_locked(const char *dir, bool want)
{
	int64_t start = now_ms();
	while (locked(dir) != want) {
		if (now_ms() - start > 3000)
			return false;
		struct timespec ts = {0, 5000000};
		nanosleep(&ts, NULL); /* polling a condition with a deadline */
	}
	return true;
}

/*
 * The guardian locks the stack directory (the parent) of the cgroups it
 * tracks from the moment it hears of them, lets go when none is tracked,
 * and keeps the lock while it kills and removes them after the engine died,
 * so another engine does not take them meanwhile; the lock goes with it.
 */
static void
test_abandon_locks_stack_dirs(void **state)
{
	(void)state;
	char root[] = "/tmp/vigil-guardian-XXXXXX";
	assert_non_null(mkdtemp(root));
	char sdir[128], leaf[160], leaf2[160];
	snprintf(sdir, sizeof(sdir), "%s/shop", root);
	snprintf(leaf, sizeof(leaf), "%s/api", sdir);
	snprintf(leaf2, sizeof(leaf2), "%s/db", sdir);
	assert_int_equal(mkdir(sdir, 0755), 0);
	assert_int_equal(mkdir(leaf, 0755), 0);
	assert_int_equal(mkdir(leaf2, 0755), 0);
	struct guardian *g = guardian_start(NULL);
	assert_non_null(g);
	/* A group that ignores SIGTERM keeps the guardian at work for its 1 s. */
	char script[300], ready[200];
	snprintf(ready, sizeof(ready), "%s/ready", root);
	snprintf(script, sizeof(script), "trap '' TERM; : >%s; while :; do sleep 1; done", ready);
	pid_t stubborn = group(script);
	guardian_track(g, stubborn, 1000);
	assert_true(wait_file(ready));
	assert_int_equal(unlink(ready), 0); /* SIGTERM is ignored from here on */
	assert_false(locked(sdir));
	guardian_track_cgroup(g, leaf, true, 1000);
	guardian_track_cgroup(g, leaf2, true, 1000);
	assert_true(wait_locked(sdir, true));
	/* The engine's own claim lock is shared: both hold one. */
	int mine = cg_lock_dir(sdir);
	assert_true(mine >= 0);
	close(mine);
	/* Untracked, both: let go; tracked again: locked again. */
	guardian_untrack_cgroup(g, leaf);
	guardian_untrack_cgroup(g, leaf2);
	assert_true(wait_locked(sdir, false));
	guardian_track_cgroup(g, leaf2, true, 1000);
	guardian_track_cgroup(g, leaf, true, 1000);
	assert_true(wait_locked(sdir, true));
	pid_t gpid = guardian_pid(g);
	guardian_abandon(g);
	/* At work for the stubborn group's second: the lock holds meanwhile. */
	assert_false(group_gone(stubborn));
	assert_true(locked(sdir));
	assert_true(wait_gone(stubborn, 3000) >= 0);
	int status;
	assert_int_equal(waitpid(gpid, &status, 0), gpid);
	/* Emptied and removed, the lock gone with the guardian. */
	assert_int_equal(access(leaf, F_OK), -1);
	assert_int_equal(access(sdir, F_OK), -1);
	assert_false(locked(root));
	rmdir(root);
}

/* Lines in path (0 when it is missing). */
static int
lines_in(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return 0;
	int n = 0, c;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* Starts, in a group of its own, a shell that notes each SIGTERM in note and goes on; waits until it is ready. */
static pid_t
noting_group(const char *note, const char *ready)
{
	char script[400];
	snprintf(script, sizeof(script),
	    "trap 'echo TERM >>%s' TERM; : >%s; while :; do sleep 0.05; done", note, ready);
	pid_t pid = group(script);
	assert_true(wait_file(ready));
	return pid;
}

/*
 * With the engine gone, a tracked cgroup is ended like a group: SIGTERM to
 * every process in its placement directory (here a plain folder standing
 * for one, its pids in cgroup.procs) that is in no tracked group, SIGKILL
 * after its stop timeout. Each process gets one SIGTERM, whether its group
 * is tracked or not and however many directories list it.
 */
static void
test_abandon_ends_cgroups(void **state)
{
	(void)state;
	char root[] = "/tmp/vigil-guardian-XXXXXX";
	assert_non_null(mkdtemp(root));
	char leaf[160], procs[200], ready[200], script[300];
	snprintf(leaf, sizeof(leaf), "%s/shop/api", root);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", leaf);
	snprintf(ready, sizeof(ready), "%s/ready", root);
	snprintf(script, sizeof(script), "%s/shop", root);
	assert_int_equal(mkdir(script, 0755), 0);
	assert_int_equal(mkdir(leaf, 0755), 0);
	pid_t polite = group("exec sleep 1000");
	/* One process that ignores SIGTERM (an ignored signal stays so across exec). */
	snprintf(script, sizeof(script), "trap '' TERM; : >%s; exec sleep 1000", ready);
	pid_t stubborn = group(script);
	assert_true(wait_file(ready));
	/* Two that note their SIGTERMs: one whose group is tracked too, one whose is not. */
	char note1[200], note2[200], ready1[200], ready2[200], other[200], oprocs[240];
	snprintf(note1, sizeof(note1), "%s/note1", root);
	snprintf(note2, sizeof(note2), "%s/note2", root);
	snprintf(ready1, sizeof(ready1), "%s/ready1", root);
	snprintf(ready2, sizeof(ready2), "%s/ready2", root);
	pid_t grouped = noting_group(note1, ready1);
	pid_t loner = noting_group(note2, ready2);
	FILE *f = fopen(procs, "w");
	assert_non_null(f);
	fprintf(f, "%ld\n%ld\n%ld\n%ld\n", (long)polite, (long)stubborn, (long)grouped, (long)loner);
	fclose(f);
	/* A second directory (another hierarchy's) lists them too: it only waits and kills. */
	snprintf(other, sizeof(other), "%s/mem", root);
	snprintf(oprocs, sizeof(oprocs), "%s/cgroup.procs", other);
	assert_int_equal(mkdir(other, 0755), 0);
	f = fopen(oprocs, "w");
	assert_non_null(f);
	fprintf(f, "%ld\n%ld\n", (long)grouped, (long)loner);
	fclose(f);
	struct guardian *g = guardian_start(NULL);
	assert_non_null(g);
	guardian_track(g, grouped, 1000);
	guardian_track_cgroup(g, leaf, true, 1000);
	guardian_track_cgroup(g, other, false, 1000);
	pid_t gpid = guardian_pid(g);
	int64_t start = now_ms();
	guardian_abandon(g);
	int64_t t_polite = wait_gone(polite, 5000);
	int64_t t_stubborn = wait_gone(stubborn, 5000);
	assert_true(t_polite >= 0 && t_polite < 900); /* SIGTERM, at once */
	assert_true(t_stubborn >= 0);
	assert_true(now_ms() - start >= 900); /* SIGKILL, after its second */
	assert_true(wait_gone(grouped, 5000) >= 0);
	assert_true(wait_gone(loner, 5000) >= 0);
	int status;
	assert_int_equal(waitpid(gpid, &status, 0), gpid);
	assert_int_equal(lines_in(note1), 1);
	assert_int_equal(lines_in(note2), 1);
	unlink(note1);
	unlink(note2);
	unlink(ready1);
	unlink(ready2);
	unlink(oprocs);
	rmdir(other);
	unlink(procs);
	unlink(ready);
	rmdir(leaf);
	snprintf(script, sizeof(script), "%s/shop", root);
	rmdir(script);
	rmdir(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_abandon_kills_groups),
		cmocka_unit_test(test_release_kills_nothing),
		cmocka_unit_test(test_abandon_locks_stack_dirs),
		cmocka_unit_test(test_abandon_ends_cgroups),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
