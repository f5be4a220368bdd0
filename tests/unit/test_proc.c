/*
 * test_proc — the process sweep: the stat parser, sorting, the children
 * index and tree walks on a fixture tree (tests/fixtures/proc/basic),
 * deltas between two sweeps on a copy whose files change, targeted sweeps
 * (read or carried records), the schedstat gate on live processes, and the live
 * /proc read through libproc2 against the hand reader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "collectors/proc.h"

#define BASIC VIGIL_FIXTURES "/proc/basic"

static void
test_parse(void **state)
{
	(void)state;
	struct proc_rec r;
	const char *line = "102 (my (odd) name) S 100 100 100 0 -1 4194560 100 0 0 0 20 10 0 0 20 0 2 0 "
	    "5020 1000000 500 18446744073709551615";
	assert_true(proc_parse_stat(line, strlen(line), &r));
	assert_int_equal(r.pid, 102);
	assert_string_equal(r.comm, "my (odd) name");
	assert_int_equal(r.state, 'S');
	assert_int_equal(r.ppid, 100);
	assert_int_equal(r.pgrp, 100);
	assert_int_equal(r.ticks, 30);
	assert_int_equal(r.threads, 2);
	assert_int_equal(r.start_ticks, 5020);
	assert_int_equal(r.rss_pages, 500);
	/* A negative nice value does not disturb the fields after it. */
	const char *neg = "200 (other) S 1 200 200 0 -1 4194560 100 0 0 0 1000 1000 0 0 20 -5 1 0 20 1 4000";
	assert_true(proc_parse_stat(neg, strlen(neg), &r));
	assert_int_equal(r.threads, 1);
	assert_int_equal(r.rss_pages, 4000);
	/* Truncated or malformed text is refused. */
	const char *bad[] = {"", "99 (broken", "x (a) S 1", "5 (a) S 1 2 3", "0 (zero) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 0 0 1 0 1 1 1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(proc_parse_stat(bad[i], strlen(bad[i]), &r));
	/* A comm longer than 15 characters is cut, not overflowed. */
	const char *lng = "7 (abcdefghijklmnopqrstuvwxyz) S 1 7 7 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 9 1 2";
	assert_true(proc_parse_stat(lng, strlen(lng), &r));
	assert_string_equal(r.comm, "abcdefghijklmno");
}

struct seen {
	pid_t pids[16];
	size_t n;
};

static void
on_member(const struct proc_rec *r, void *arg)
{
	struct seen *s = arg;
	assert_true(s->n < 16);
	s->pids[s->n++] = r->pid;
}

static void
test_fixture_tree(void **state)
{
	(void)state;
	struct proc_scan *s = proc_scan_new(BASIC);
	assert_non_null(s);
	assert_int_equal(proc_scan_run(s), 0);
	size_t n;
	const struct proc_rec *recs = proc_scan_recs(s, &n);
	/* 99's stat is malformed: skipped. Sorted by pid whatever readdir's order. */
	assert_int_equal(n, 7);
	const pid_t want[] = {1, 100, 101, 102, 103, 104, 200};
	for (size_t i = 0; i < n; i++)
		assert_int_equal(recs[i].pid, want[i]);
	assert_null(proc_scan_find(s, 99));
	assert_string_equal(proc_scan_find(s, 102)->comm, "my (odd) name");
	/* 100's tree: itself, 101 (and its child 104), 102, the zombie 103; not 1 or 200. */
	struct seen seen = {0};
	assert_int_equal(proc_scan_tree(s, 100, on_member, &seen), 5);
	assert_int_equal(seen.pids[0], 100);
	int mask = 0;
	for (size_t i = 1; i < seen.n; i++)
		mask |= seen.pids[i] == 101 ? 1 : seen.pids[i] == 102 ? 2 : seen.pids[i] == 103 ? 4 :
		    seen.pids[i] == 104 ? 8 : 16;
	assert_int_equal(mask, 15);
	/* 104 comes right after its parent 101: depth first. */
	for (size_t i = 1; i + 1 < seen.n; i++)
		if (seen.pids[i] == 101)
			assert_int_equal(seen.pids[i + 1], 104);
	seen.n = 0;
	assert_int_equal(proc_scan_tree(s, 1, on_member, &seen), 7); /* init: everyone */
	seen.n = 0;
	assert_int_equal(proc_scan_tree(s, 4242, on_member, &seen), 0);
	/* Extra files. */
	uint64_t rb, wb;
	assert_int_equal(proc_read_io(s, 101, &rb, &wb), 0);
	assert_int_equal(rb, 4096);
	assert_int_equal(wb, 8192);
	assert_int_equal(proc_read_io(s, 102, &rb, &wb), -1);
	assert_int_equal(proc_count_fds(s, 101), 4);
	assert_int_equal(proc_count_fds(s, 104), 1);
	assert_int_equal(proc_count_fds(s, 102), -1);
	/* Start times from btime: 1795500000 s + 5010 ticks. */
	assert_int_equal(proc_scan_start_ms(s, 5010),
	    1795500000LL * 1000 + 5010LL * 1000 / proc_scan_hz(s));
	/* The first sweep has no interval: no deltas. */
	assert_int_equal(proc_scan_interval_ns(s), 0);
	assert_int_equal(proc_scan_delta(s, proc_scan_find(s, 101)), 0);
	proc_scan_free(s);
	proc_scan_free(NULL);
	assert_null(proc_scan_new("/nonexistent/proc"));
}

/* Writes ROOT/PID/NAME (the folder made when needed). */
static void
put_file(const char *root, pid_t pid, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%d", root, (int)pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%d/%s", root, (int)pid, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Writes a stat file under root. */
static void
put_stat(const char *root, pid_t pid, const char *text)
{
	put_file(root, pid, "stat", text);
}

/* Removes a temporary root made for a test. */
static void
rm_root(const char *root)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	assert_int_equal(system(cmd), 0);
}

static void
test_deltas(void **state)
{
	(void)state;
	char root[] = "/tmp/vigil-proc-XXXXXX";
	assert_non_null(mkdtemp(root));
	put_stat(root, 10, "10 (a) S 1 10 10 0 -1 0 0 0 0 0 100 50 0 0 20 0 1 0 500 1 10");
	put_stat(root, 11, "11 (b) S 10 10 10 0 -1 0 0 0 0 0 10 0 0 0 20 0 1 0 600 1 10");
	put_stat(root, 12, "12 (gone) S 10 10 10 0 -1 0 0 0 0 0 10 0 0 0 20 0 1 0 601 1 10");
	struct proc_scan *s = proc_scan_new(root);
	assert_non_null(s);
	assert_int_equal(proc_scan_run(s), 0);
	/* Later: 10 used 30 ticks more; 11 was replaced by a new process with the
	 * same pid (another start time); 12 exited; 13 is new. */
	put_stat(root, 10, "10 (a) S 1 10 10 0 -1 0 0 0 0 0 120 60 0 0 20 0 1 0 500 1 10");
	put_stat(root, 11, "11 (b2) S 10 10 10 0 -1 0 0 0 0 0 4 1 0 0 20 0 1 0 900 1 10");
	char path[512];
	snprintf(path, sizeof(path), "%s/12/stat", root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/12", root);
	rmdir(path);
	put_stat(root, 13, "13 (c) S 10 10 10 0 -1 0 0 0 0 0 7 0 0 0 20 0 1 0 950 1 10");
	assert_int_equal(proc_scan_run(s), 0);
	assert_true(proc_scan_interval_ns(s) > 0);
	const struct proc_rec *r10 = proc_scan_find(s, 10), *r11 = proc_scan_find(s, 11);
	assert_non_null(proc_scan_prev(s, r10));
	assert_int_equal(proc_scan_delta(s, r10), 30);
	assert_null(proc_scan_prev(s, r11)); /* pid reused: a new process */
	assert_int_equal(proc_scan_delta(s, r11), 5);
	assert_int_equal(proc_scan_delta(s, proc_scan_find(s, 13)), 7);
	assert_null(proc_scan_find(s, 12));
	rm_root(root);
	proc_scan_free(s);
}

/* The resident set comes from statm when there is one (exact), else from stat. */
static void
test_statm(void **state)
{
	(void)state;
	char root[] = "/tmp/vigil-proc-XXXXXX";
	assert_non_null(mkdtemp(root));
	put_stat(root, 10, "10 (a) S 1 10 10 0 -1 0 0 0 0 0 100 50 0 0 20 0 1 0 500 1 10");
	put_stat(root, 11, "11 (b) S 10 10 10 0 -1 0 0 0 0 0 10 0 0 0 20 0 1 0 600 1 10");
	put_file(root, 10, "statm", "4000 1100 300 10 0 200 0\n");
	struct proc_scan *s = proc_scan_new(root);
	assert_non_null(s);
	assert_int_equal(proc_scan_run(s), 0);
	assert_int_equal(proc_scan_find(s, 10)->rss_pages, 1100);
	assert_int_equal(proc_scan_find(s, 11)->rss_pages, 10); /* no statm: stat's */
	/* Read again at the next sweep, through the kept descriptor. */
	put_file(root, 10, "statm", "4000 1200 300 10 0 200 0\n");
	assert_int_equal(proc_scan_run(s), 0);
	assert_int_equal(proc_scan_find(s, 10)->rss_pages, 1200);
	struct proc_want w[] = {{10, false}, {11, false}};
	assert_int_equal(proc_scan_pids(s, w, 2), 0);
	assert_int_equal(proc_scan_find(s, 10)->rss_pages, 1200);
	/* No tick and no page fault since: its figure stands, statm unread (but
	 * every PROC_REFRESH sweeps: pid 10 is due when sweeps is 6 mod 16). */
	put_file(root, 10, "statm", "4000 1300 300 10 0 200 0\n");
	assert_int_equal(proc_scan_pids(s, w, 2), 0);
	assert_int_equal(proc_scan_find(s, 10)->rss_pages, 1200);
	/* A page fault (minflt, field 10): read again. */
	put_stat(root, 10, "10 (a) S 1 10 10 0 -1 0 5 0 0 0 100 50 0 0 20 0 1 0 500 1 10");
	assert_int_equal(proc_scan_pids(s, w, 2), 0);
	assert_int_equal(proc_scan_find(s, 10)->rss_pages, 1300);
	rm_root(root);
	proc_scan_free(s);
}

/*
 * A targeted sweep: only the pids asked for; a carried record stands though
 * its file changed; deltas run across a full sweep and targeted ones.
 */
static void
test_targeted(void **state)
{
	(void)state;
	char root[] = "/tmp/vigil-proc-XXXXXX";
	assert_non_null(mkdtemp(root));
	put_stat(root, 10, "10 (a) S 1 10 10 0 -1 0 0 0 0 0 100 50 0 0 20 0 1 0 500 1 10");
	put_stat(root, 11, "11 (b) S 10 10 10 0 -1 0 0 0 0 0 10 0 0 0 20 0 1 0 600 1 10");
	put_stat(root, 20, "20 (other) S 1 20 20 0 -1 0 0 0 0 0 10 0 0 0 20 0 1 0 700 1 10");
	struct proc_scan *s = proc_scan_new(root);
	assert_non_null(s);
	assert_int_equal(proc_scan_count(s), 3);
	assert_int_equal(proc_scan_run(s), 0);
	/* 10 ran (30 ticks); 11's file changes too, but the caller says it did not run. */
	put_stat(root, 10, "10 (a) R 1 10 10 0 -1 0 0 0 0 0 120 60 0 0 20 0 1 0 500 1 10");
	put_stat(root, 11, "11 (b) S 10 10 10 0 -1 0 0 0 0 0 99 0 0 0 20 0 1 0 600 1 7");
	struct proc_want w[] = {{10, false}, {11, true}, {12, false}, {13, true}};
	assert_int_equal(proc_scan_pids(s, w, 4), 0);
	size_t n;
	proc_scan_recs(s, &n);
	assert_int_equal(n, 2); /* 20 not asked for; 12 and 13 do not exist */
	assert_null(proc_scan_find(s, 20));
	const struct proc_rec *r10 = proc_scan_find(s, 10), *r11 = proc_scan_find(s, 11);
	assert_non_null(r10);
	assert_non_null(r11);
	assert_int_equal(r10->state, 'R');
	assert_int_equal(proc_scan_delta(s, r10), 30);
	assert_int_equal(r11->ticks, 10); /* carried */
	assert_int_equal(proc_scan_delta(s, r11), 0);
	/* The tree over the targeted records. */
	struct seen seen = {0};
	assert_int_equal(proc_scan_tree(s, 10, on_member, &seen), 2);
	/* Read at last: all the ticks since its last reading count in this interval. */
	struct proc_want w2[] = {{10, true}, {11, false}};
	assert_int_equal(proc_scan_pids(s, w2, 2), 0);
	assert_int_equal(proc_scan_delta(s, proc_scan_find(s, 11)), 89);
	assert_int_equal(proc_scan_delta(s, proc_scan_find(s, 10)), 0);
	assert_int_equal(proc_scan_find(s, 11)->rss_pages, 7);
	/* Not sorted: refused, and the last sweep stays. */
	struct proc_want bad[] = {{11, false}, {10, false}};
	assert_int_equal(proc_scan_pids(s, bad, 2), -1);
	assert_non_null(proc_scan_find(s, 11));
	/* A full sweep after targeted ones sees everything again. */
	assert_int_equal(proc_scan_run(s), 0);
	assert_non_null(proc_scan_find(s, 20));
	assert_int_equal(proc_scan_delta(s, proc_scan_find(s, 11)), 0);
	rm_root(root);
	proc_scan_free(s);
}

/* A field of /proc/self/status, read on its own: a second opinion on the sweep's figures. */
static long
status_field(const char *name)
{
	FILE *f = fopen("/proc/self/status", "r");
	assert_non_null(f);
	char line[256];
	long v = -1;
	size_t n = strlen(name);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, name, n) == 0 && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	fclose(f);
	return v;
}

/* The live host: our own record agrees with /proc/self/status, across sweeps that reuse descriptors. */
static void
test_live(void **state)
{
	(void)state;
	struct proc_scan *live = proc_scan_new(NULL);
	assert_non_null(live);
	for (int round = 0; round < 3; round++) {
		long rss_before = status_field("VmRSS");
		assert_int_equal(proc_scan_run(live), 0);
		long rss_after = status_field("VmRSS");
		const struct proc_rec *a = proc_scan_find(live, getpid());
		assert_non_null(a);
		assert_int_equal(a->ppid, getppid());
		assert_int_equal(a->ppid, status_field("PPid"));
		assert_int_equal(a->threads, status_field("Threads"));
		assert_int_equal(a->pgrp, getpgrp());
		assert_string_equal(a->comm, "test_proc");
		/* statm's exact figure: between VmRSS just before and just after, a few pages aside. */
		long ours = (long)(a->rss_pages * (uint64_t)proc_scan_page_size(live) / 1024);
		long lo = rss_before < rss_after ? rss_before : rss_after;
		long hi = rss_before < rss_after ? rss_after : rss_before;
		if (ours < lo - 32 || ours > hi + 32)
			fail_msg("rss %ld KiB, VmRSS %ld then %ld KiB", ours, rss_before, rss_after);
		if (round > 0)
			assert_true(proc_scan_interval_ns(live) > 0);
	}
	/* A child that exits between sweeps leaves no record; one that starts gets one. */
	pid_t child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	assert_int_equal(proc_scan_run(live), 0);
	assert_non_null(proc_scan_find(live, child));
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	assert_int_equal(proc_scan_run(live), 0);
	assert_null(proc_scan_find(live, child));
	/* Our parent's tree holds us. */
	struct seen seen = {0};
	size_t total = proc_scan_tree(live, getpid(), on_member, &seen);
	assert_true(total >= 1);
	assert_int_equal(seen.pids[0], getpid());
	assert_int_equal(proc_count_fds(live, getpid()) >= 3, 1);
	uint64_t rb, wb;
	assert_int_equal(proc_read_io(live, getpid(), &rb, &wb), 0);
	proc_scan_free(live);
}

/* CPU time of the calling process, ms. */
static long
cpu_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/*
 * The schedstat gate on the live host: a child idle for several sweeps
 * keeps its record; once it has run, the next sweep has its CPU and memory;
 * an idle process whose parent exits gets its new parent in the next sweep.
 */
static void
test_gate(void **state)
{
	(void)state;
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	struct proc_scan *live = proc_scan_new(NULL);
	assert_non_null(live);
	int to[2], from[2];
	assert_int_equal(pipe(to), 0);
	assert_int_equal(pipe(from), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* a failed assertion leaves nothing running */
		close(to[1]); /* so that the parent's close ends the loop */
		char c;
		while (read(to[0], &c, 1) == 1) {
			long t0 = cpu_ms();
			while (cpu_ms() - t0 < 150) {
			}
			char *m = malloc(32 << 20);
			if (m != NULL)
				memset(m, 1, 32 << 20);
			if (write(from[1], "x", 1) != 1)
				_exit(1);
		}
		_exit(0);
	}
	for (int i = 0; i < 5; i++)
		assert_int_equal(proc_scan_run(live), 0);
	const struct proc_rec *r = proc_scan_find(live, child);
	assert_non_null(r);
	uint64_t ticks0 = r->ticks, rss0 = r->rss_pages;
	char c = 'x';
	assert_int_equal(write(to[1], &c, 1), 1);
	assert_int_equal(read(from[0], &c, 1), 1);
	assert_int_equal(proc_scan_run(live), 0);
	r = proc_scan_find(live, child);
	assert_non_null(r);
	assert_true(r->ticks >= ticks0 + 5); /* 150 ms is 15 ticks at 100 Hz */
	assert_true(proc_scan_delta(live, r) >= 5);
	uint64_t page = (uint64_t)proc_scan_page_size(live);
	assert_true(r->rss_pages * page >= rss0 * page + (16 << 20));
	/* Idle again: the next sweeps carry it, its figures as last read. */
	assert_int_equal(proc_scan_run(live), 0);
	assert_int_equal(proc_scan_run(live), 0);
	r = proc_scan_find(live, child);
	assert_non_null(r);
	assert_int_equal(proc_scan_delta(live, r), 0);
	/* A sweep of other pids, then a full one: the child, older than that sweep, is not taken as new. */
	struct proc_want self = {getpid(), false};
	assert_int_equal(proc_scan_pids(live, &self, 1), 0);
	assert_null(proc_scan_find(live, child));
	assert_int_equal(proc_scan_run(live), 0);
	r = proc_scan_find(live, child);
	assert_non_null(r);
	assert_true(r->ticks >= 5);
	assert_int_equal(proc_scan_delta(live, r), 0);

	/* A middle process with an idle grandchild; the middle one exits. */
	int gp[2], go[2];
	assert_int_equal(pipe(gp), 0);
	assert_int_equal(pipe(go), 0);
	pid_t middle = fork();
	assert_true(middle >= 0);
	if (middle == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		pid_t g = fork();
		if (g == 0) {
			alarm(30); /* it outlives its parent on purpose; not the test */
			pause();
			_exit(0);
		}
		if (write(gp[1], &g, sizeof(g)) != (ssize_t)sizeof(g) || read(go[0], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	pid_t grand;
	assert_int_equal(read(gp[0], &grand, sizeof(grand)), sizeof(grand));
	for (int i = 0; i < 4; i++)
		assert_int_equal(proc_scan_run(live), 0);
	r = proc_scan_find(live, grand);
	assert_non_null(r);
	assert_int_equal(r->ppid, middle);
	assert_int_equal(write(go[1], &c, 1), 1);
	assert_int_equal(waitpid(middle, NULL, 0), middle);
	assert_int_equal(proc_scan_run(live), 0);
	r = proc_scan_find(live, grand);
	assert_non_null(r);
	assert_int_equal(r->ppid, getpid()); /* we are its subreaper */
	kill(grand, SIGKILL);
	waitpid(grand, NULL, 0);
	close(to[1]);
	waitpid(child, NULL, 0);
	close(to[0]);
	close(from[0]);
	close(from[1]);
	close(gp[0]);
	close(gp[1]);
	close(go[0]);
	close(go[1]);
	proc_scan_free(live);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_fixture_tree),
		cmocka_unit_test(test_statm),
		cmocka_unit_test(test_deltas),
		cmocka_unit_test(test_targeted),
		cmocka_unit_test(test_live),
		cmocka_unit_test(test_gate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
