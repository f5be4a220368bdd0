/*
 * test_loop — the event loop with real descriptors, signals and children:
 * timers fire in deadline order and can be cancelled from callbacks; a
 * watcher removed during a pass gets no stale event; signals arrive through
 * the signalfd; child exits (and adopted orphans) are reaped with their
 * status; an idle loop wakes only for its timers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/loop.h"

/* Runs passes until *flag is set or 5 s pass (a deadline, not a sleep). */
static void
run_until(struct loop *l, const bool *flag)
{
	int64_t end = loop_now() + 5000000000LL;
	while (!*flag) {
		assert_true(loop_now() < end);
		assert_int_equal(loop_run_once(l, 100), 0);
	}
}

struct order {
	char seen[16];
	size_t n;
	struct loop_timer *victim;
	bool done;
};

static void
mark(struct loop *l, void *arg, char c)
{
	(void)l;
	struct order *o = arg;
	o->seen[o->n++] = c;
}

static void t_a(struct loop *l, void *arg) { mark(l, arg, 'a'); }
static void t_b(struct loop *l, void *arg) { mark(l, arg, 'b'); }
static void t_c(struct loop *l, void *arg) { mark(l, arg, 'c'); }

static void
t_cancel_victim(struct loop *l, void *arg)
{
	struct order *o = arg;
	mark(l, arg, 'x');
	loop_timer_cancel(l, o->victim);
	o->victim = NULL;
}

static void
t_last(struct loop *l, void *arg)
{
	struct order *o = arg;
	mark(l, arg, 'z');
	o->done = true;
}

static void
test_timers(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	assert_non_null(l);
	struct order o = {0};
	int64_t now = loop_now();
	loop_timer_at(l, now + 30000000, t_c, &o);
	loop_timer_at(l, now + 10000000, t_a, &o);
	loop_timer_at(l, now + 20000000, t_b, &o);
	loop_timer_at(l, now + 25000000, t_cancel_victim, &o);
	o.victim = loop_timer_at(l, now + 28000000, t_c, &o);
	struct loop_timer *gone = loop_timer_at(l, now + 15000000, t_c, &o);
	loop_timer_cancel(l, gone);
	loop_timer_at(l, now + 40000000, t_last, &o);
	run_until(l, &o.done);
	o.seen[o.n] = '\0';
	assert_string_equal(o.seen, "abxcz");
	/* Time really passed: the last one fired no earlier than asked. */
	assert_true(loop_now() - now >= 40000000);
	loop_free(l);
}

struct pipes {
	int a[2], b[2];
	int calls;
	bool done;
};

/* Whichever fires first removes the other: its pending event must be dropped. */
static void
on_either(struct loop *l, int fd, unsigned events, void *arg)
{
	struct pipes *p = arg;
	assert_true(events & LOOP_READ);
	p->calls++;
	loop_unwatch(l, p->a[0]);
	loop_unwatch(l, p->b[0]);
	(void)fd;
	p->done = true;
}

static void
test_unwatch_in_pass(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct pipes p = {0};
	assert_int_equal(pipe2(p.a, O_CLOEXEC | O_NONBLOCK), 0);
	assert_int_equal(pipe2(p.b, O_CLOEXEC | O_NONBLOCK), 0);
	assert_int_equal(loop_watch(l, p.a[0], LOOP_READ, on_either, &p), 0);
	assert_int_equal(loop_watch(l, p.b[0], LOOP_READ, on_either, &p), 0);
	assert_int_equal(loop_watch(l, p.a[0], LOOP_READ, on_either, &p), -1); /* once */
	assert_int_equal(write(p.a[1], "x", 1), 1);
	assert_int_equal(write(p.b[1], "y", 1), 1);
	run_until(l, &p.done);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(p.calls, 1);
	for (int i = 0; i < 2; i++) {
		close(p.a[i]);
		close(p.b[i]);
	}
	loop_free(l);
}

struct hup {
	unsigned events;
	bool done;
};

static void
on_hup(struct loop *l, int fd, unsigned events, void *arg)
{
	struct hup *h = arg;
	h->events = events;
	h->done = true;
	loop_unwatch(l, fd);
}

static void
test_hangup(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	struct hup h = {0};
	assert_int_equal(loop_watch(l, p[0], LOOP_READ, on_hup, &h), 0);
	close(p[1]);
	run_until(l, &h.done);
	assert_true(h.events & LOOP_HUP);
	assert_true(h.events & LOOP_READ); /* so a reader sees EOF */
	close(p[0]);
	loop_free(l);
}

struct closing {
	int calls;
	bool done;
};

static void
on_count(struct loop *l, int fd, unsigned events, void *arg)
{
	(void)l;
	(void)fd;
	(void)events;
	struct closing *c = arg;
	c->calls++;
	c->done = true;
}

/*
 * loop_close: the watcher goes with the descriptor (no epoll_ctl); a new
 * descriptor of the same number is watched afresh; a copy of the old one
 * (a forked child's, before its exec) leaves only stale events, dropped.
 */
static void
test_close(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	int a[2], b[2];
	assert_int_equal(pipe2(a, O_CLOEXEC | O_NONBLOCK), 0);
	struct closing ca = {0}, cb = {0};
	assert_int_equal(loop_watch(l, a[0], LOOP_READ, on_count, &ca), 0);
	int copy = dup(a[0]);
	assert_true(copy >= 0);
	int num = a[0];
	loop_close(l, a[0]);
	assert_int_equal(pipe2(b, O_CLOEXEC | O_NONBLOCK), 0);
	assert_int_equal(b[0], num); /* the lowest free number: the one just closed */
	assert_int_equal(loop_watch(l, b[0], LOOP_READ, on_count, &cb), 0);
	assert_int_equal(write(a[1], "x", 1), 1); /* the old file, still open through copy, is ready */
	assert_int_equal(loop_run_once(l, 20), 0);
	assert_int_equal(ca.calls, 0);
	assert_int_equal(cb.calls, 0);
	assert_int_equal(write(b[1], "y", 1), 1);
	run_until(l, &cb.done);
	assert_int_equal(ca.calls, 0);
	assert_int_equal(cb.calls, 1);
	loop_close(l, b[0]);
	loop_close(l, -1); /* nothing */
	close(copy);
	close(a[1]);
	close(b[1]);
	loop_free(l);
}

struct sig {
	int signo;
	bool done;
};

static void
on_signal(struct loop *l, const struct signalfd_siginfo *si, void *arg)
{
	(void)l;
	struct sig *s = arg;
	s->signo = (int)si->ssi_signo;
	s->done = true;
}

static void
test_signals(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct sig s = {0};
	const int sigs[] = {SIGUSR1, SIGTERM};
	assert_int_equal(loop_signals(l, sigs, 2, on_signal, &s), 0);
	assert_int_equal(kill(getpid(), SIGUSR1), 0);
	run_until(l, &s.done);
	assert_int_equal(s.signo, SIGUSR1);
	loop_free(l);
	sigset_t unblock;
	sigemptyset(&unblock);
	sigaddset(&unblock, SIGUSR1);
	sigaddset(&unblock, SIGTERM);
	sigprocmask(SIG_UNBLOCK, &unblock, NULL);
}

struct kids {
	pid_t pid;
	int status;
	int exits;
	pid_t orphan;
	int orphan_status;
};

static void
on_child(struct loop *l, pid_t pid, int status, void *arg)
{
	(void)l;
	struct kids *k = arg;
	k->pid = pid;
	k->status = status;
	k->exits++;
}

static void
on_orphan(struct loop *l, pid_t pid, int status, void *arg)
{
	(void)l;
	struct kids *k = arg;
	k->orphan = pid;
	k->orphan_status = status;
}

static void
test_children(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct kids k = {0};
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(3);
	assert_int_equal(loop_watch_child(l, pid, on_child, &k), 0);
	assert_true(loop_pidfd(l, pid) >= 0);
	int64_t end = loop_now() + 5000000000LL;
	while (k.exits == 0) {
		assert_true(loop_now() < end);
		loop_run_once(l, 100);
	}
	assert_int_equal(k.pid, pid);
	assert_true(WIFEXITED(k.status));
	assert_int_equal(WEXITSTATUS(k.status), 3);
	assert_int_equal(loop_pidfd(l, pid), -1); /* closed once reaped */

	/* A killed child reports its signal. */
	pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	assert_int_equal(loop_watch_child(l, pid, on_child, &k), 0);
	kill(pid, SIGKILL);
	while (k.exits == 1) {
		assert_true(loop_now() < end);
		loop_run_once(l, 100);
	}
	assert_true(WIFSIGNALED(k.status));
	assert_int_equal(WTERMSIG(k.status), SIGKILL);

	/* As a subreaper, an orphaned grandchild comes back to us and is reaped. */
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	loop_on_orphan(l, on_orphan, &k);
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid = fork();
	if (pid == 0) {
		pid_t g = fork();
		if (g == 0) {
			char c;
			close(p[1]);
			(void)read(p[0], &c, 1); /* wait until the parent is gone */
			_exit(7);
		}
		_exit(0);
	}
	close(p[0]);
	assert_int_equal(loop_watch_child(l, pid, on_child, &k), 0);
	while (k.exits == 2) {
		assert_true(loop_now() < end);
		loop_run_once(l, 100);
	}
	close(p[1]); /* lets the grandchild exit */
	while (k.orphan == 0) {
		assert_true(loop_now() < end);
		loop_run_once(l, 100);
	}
	assert_true(k.orphan != pid);
	assert_int_equal(WEXITSTATUS(k.orphan_status), 7);

	/* A child the loop was told to forget is still reaped, as an orphan. */
	pid = fork();
	if (pid == 0)
		_exit(9);
	assert_int_equal(loop_watch_child(l, pid, on_child, &k), 0);
	loop_unwatch_child(l, pid);
	assert_int_equal(loop_pidfd(l, pid), -1);
	int exits = k.exits;
	while (k.orphan != pid) {
		assert_true(loop_now() < end);
		loop_run_once(l, 100);
	}
	assert_int_equal(WEXITSTATUS(k.orphan_status), 9);
	assert_int_equal(k.exits, exits);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	loop_free(l);
}

struct idle {
	int hooks;
	bool done;
};

static void
on_hook(struct loop *l, void *arg)
{
	(void)l;
	((struct idle *)arg)->hooks++;
}

static void
on_idle_done(struct loop *l, void *arg)
{
	((struct idle *)arg)->done = true;
	loop_stop(l);
}

static void
test_idle_wakeups(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct idle s = {0};
	loop_before_sleep(l, on_hook, &s);
	loop_timer_after(l, 300, on_idle_done, &s);
	uint64_t before = loop_wakeups(l);
	assert_int_equal(loop_run(l), 0);
	assert_true(s.done);
	/* 300 ms with one timer: one wake-up (a spare for a stray signal). */
	assert_true(loop_wakeups(l) - before <= 2);
	assert_int_equal((uint64_t)s.hooks, loop_wakeups(l) - before);
	loop_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timers),
		cmocka_unit_test(test_unwatch_in_pass),
		cmocka_unit_test(test_hangup),
		cmocka_unit_test(test_close),
		cmocka_unit_test(test_signals),
		cmocka_unit_test(test_children),
		cmocka_unit_test(test_idle_wakeups),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
