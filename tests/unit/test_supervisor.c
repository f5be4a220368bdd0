/*
 * test_supervisor — the lifecycle through the supervisor's own API, with
 * real (tiny, fast) processes on a real loop: the order of state changes,
 * dependency conditions and blocked dependencies, backoff delays and
 * max_restarts, ready timeouts, health restarts, stop escalation, the
 * shutdown order and the exit status.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/diag.h"
#include "core/loop.h"
#include "core/supervisor.h"

extern char **environ;

#define MAX_EVENTS 256

struct seen {
	char name[32];
	enum proc_state to;
	char reason[192];
	int64_t at; /* loop_now() */
};

struct run {
	char dir[64];
	struct spec *spec;
	struct loop *loop;
	struct sv *sv;
	struct seen ev[MAX_EVENTS];
	size_t n;
};

static void
on_event(const struct sv_event *ev, void *arg)
{
	struct run *r = arg;
	if (ev->kind != SV_EV_STATE || r->n == MAX_EVENTS)
		return;
	struct seen *s = &r->ev[r->n++];
	snprintf(s->name, sizeof(s->name), "%s", ev->proc->name);
	s->to = ev->to;
	snprintf(s->reason, sizeof(s->reason), "%s", ev->reason);
	s->at = loop_now();
}

static void
flush_logs(struct loop *l, void *arg)
{
	(void)l;
	sv_flush(((struct run *)arg)->sv);
}

/* Loads yaml (with a log_dir in a temp folder) and builds a supervisor. */
static struct run *
setup_run(const char *yaml)
{
	struct run *r = calloc(1, sizeof(*r));
	snprintf(r->dir, sizeof(r->dir), "/tmp/vigil-sv-XXXXXX");
	assert_non_null(mkdtemp(r->dir));
	char text[4096];
	snprintf(text, sizeof(text), "settings: {log_dir: %s/logs, shutdown_timeout: 5s}\n%s", r->dir, yaml);
	struct diag d;
	diag_init(&d);
	r->spec = config_parse("t.yaml", r->dir, text, strlen(text), &d);
	if (r->spec == NULL) {
		diag_print(&d, stderr);
		fail();
	}
	diag_fini(&d);
	r->loop = loop_new();
	struct sv_opts o = {
		.spec = r->spec, .loop = r->loop, .run_dir = r->dir, .base_env = environ,
		.fn = on_event, .arg = r,
	};
	char err[256];
	r->sv = sv_new(&o, err, sizeof(err));
	assert_non_null(r->sv);
	loop_before_sleep(r->loop, flush_logs, r);
	return r;
}

static void
finish_run(struct run *r)
{
	sv_free(r->sv);
	loop_free(r->loop);
	config_free(r->spec);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", r->dir);
	assert_int_equal(system(cmd), 0);
	free(r);
}

/* Runs the loop until the supervisor is done, under a deadline. */
static void
run_to_end(struct run *r, int64_t max_ms)
{
	int64_t end = loop_now() + max_ms * 1000000;
	while (!sv_done(r->sv)) {
		if (loop_now() > end)
			fail_msg("the run did not end within %lld ms", (long long)max_ms);
		loop_run_once(r->loop, 50);
	}
}

/* Runs until name reaches state, under a deadline. */
static void
run_until_state(struct run *r, const char *name, enum proc_state st, int64_t max_ms)
{
	int64_t end = loop_now() + max_ms * 1000000;
	for (;;) {
		for (size_t i = 0; i < sv_count(r->sv); i++) {
			const struct proc_info *p = sv_proc(r->sv, i);
			if (strcmp(p->name, name) == 0 && p->state == st)
				return;
		}
		if (loop_now() > end)
			fail_msg("%s did not become %s within %lld ms", name, model_state_name(st),
			    (long long)max_ms);
		loop_run_once(r->loop, 50);
	}
}

/* The index of the first event (name, state) at or after from; -1 when none. */
static int
find(const struct run *r, const char *name, enum proc_state st, int from)
{
	for (size_t i = (size_t)from; i < r->n; i++)
		if (strcmp(r->ev[i].name, name) == 0 && r->ev[i].to == st)
			return (int)i;
	return -1;
}

static void
test_order_and_conditions(void **state)
{
	(void)state;
	struct run *r = setup_run(
	    "processes:\n"
	    "  migrate: {command: 'exit 0', kind: oneshot}\n"
	    "  db: {command: 'echo db ready; exec sleep 100', ready: {log: 'db ready'}}\n"
	    "  api: {command: 'exec sleep 100', depends_on: {db: ready, migrate: completed_successfully}}\n"
	    "  web: {command: 'exec sleep 100', depends_on: {api: started}}\n"
	    "  bye: {command: 'echo bye', kind: cleanup}\n");
	sv_start(r->sv);
	run_until_state(r, "web", PROC_RUNNING, 5000);
	int db_ready = find(r, "db", PROC_RUNNING, 0);
	int mig_done = find(r, "migrate", PROC_COMPLETED, 0);
	int api_start = find(r, "api", PROC_STARTING, 0);
	int web_start = find(r, "web", PROC_STARTING, 0);
	assert_true(db_ready >= 0 && mig_done >= 0 && api_start >= 0 && web_start >= 0);
	assert_true(api_start > db_ready && api_start > mig_done);
	assert_true(web_start > api_start);
	/* migrate and db have no dependencies: both start before either is done. */
	assert_true(find(r, "migrate", PROC_STARTING, 0) < db_ready);
	assert_true(find(r, "db", PROC_STARTING, 0) < mig_done || mig_done > db_ready);
	sv_shutdown(r->sv);
	run_to_end(r, 5000);
	/* Reverse order: web, then api, then db; the cleanup after all of them. */
	int web_stop = find(r, "web", PROC_STOPPED, 0);
	int api_stop = find(r, "api", PROC_STOPPING, 0);
	int db_stop = find(r, "db", PROC_STOPPING, 0);
	int bye = find(r, "bye", PROC_COMPLETED, 0);
	assert_true(web_stop >= 0 && api_stop > web_stop);
	assert_true(db_stop > find(r, "api", PROC_STOPPED, 0));
	assert_true(bye > find(r, "db", PROC_STOPPED, 0));
	assert_int_equal(sv_exit_status(r->sv), 0);
	finish_run(r);
}

static void
test_blocked_dependency(void **state)
{
	(void)state;
	struct run *r = setup_run(
	    "processes:\n"
	    "  migrate: {command: 'exit 3', kind: oneshot}\n"
	    "  api: {command: 'exec sleep 100', depends_on: {migrate: completed_successfully}}\n");
	sv_start(r->sv);
	run_to_end(r, 5000); /* nothing is left to run: the engine ends by itself */
	int failed = find(r, "migrate", PROC_FAILED, 0);
	assert_true(failed >= 0);
	assert_string_equal(r->ev[failed].reason, "status 3");
	int waiting = find(r, "api", PROC_PENDING, failed);
	assert_true(waiting >= 0);
	assert_string_equal(r->ev[waiting].reason, "waiting: migrate is failed");
	assert_int_equal(find(r, "api", PROC_STARTING, 0), -1);
	assert_int_equal(sv_exit_status(r->sv), 1);
	finish_run(r);
}

static void
test_backoff_and_fatal(void **state)
{
	(void)state;
	struct run *r = setup_run(
	    "processes:\n"
	    "  crash: {command: 'exit 1', restart: on-failure, max_restarts: 3,\n"
	    "          backoff: {initial: 100ms, factor: 2, max: 300ms}}\n");
	sv_start(r->sv);
	run_to_end(r, 10000);
	/* Three restarts after delays of 100, 200 and 300 (capped) ms, then fatal. */
	const int64_t want[] = {100, 200, 300};
	int from = 0;
	for (int i = 0; i < 3; i++) {
		int b = find(r, "crash", PROC_BACKOFF, from);
		int s = find(r, "crash", PROC_STARTING, b);
		assert_true(b >= 0 && s > b);
		int64_t ms = (r->ev[s].at - r->ev[b].at) / 1000000;
		if (ms < want[i] - 5 || ms > want[i] + 250)
			fail_msg("restart %d after %lld ms, expected about %lld", i + 1, (long long)ms,
			    (long long)want[i]);
		from = s;
	}
	int fatal = find(r, "crash", PROC_FATAL, from);
	assert_true(fatal >= 0);
	assert_non_null(strstr(r->ev[fatal].reason, "3 restarts in 1m, giving up"));
	assert_int_equal(sv_proc(r->sv, 0)->restarts, 3);
	assert_int_equal(sv_exit_status(r->sv), 1);
	finish_run(r);
}

static void
test_ready_timeout_and_spawn_failure(void **state)
{
	(void)state;
	struct run *r = setup_run(
	    "processes:\n"
	    "  slow: {command: 'exec sleep 100', restart: 'no', ready: {log: never, timeout: 200ms},\n"
	    "         stop_timeout: 1s}\n"
	    "  missing: {command: ['./no-such-program'], restart: 'no'}\n");
	sv_start(r->sv);
	run_to_end(r, 5000);
	int ex = find(r, "slow", PROC_EXITED, 0);
	assert_true(ex >= 0);
	assert_string_equal(r->ev[ex].reason, "not ready after 200ms; killed by SIGTERM");
	int m = find(r, "missing", PROC_EXITED, 0);
	assert_true(m >= 0);
	assert_string_equal(r->ev[m].reason,
	    "spawn failed: ./no-such-program: No such file or directory");
	finish_run(r);
}

static void
test_stop_escalation(void **state)
{
	(void)state;
	struct run *r = setup_run(
	    "processes:\n"
	    "  stubborn: {command: \"trap '' TERM; echo up; while :; do sleep 0.05; done\",\n"
	    "             ready: {log: up}, stop_timeout: 300ms}\n");
	sv_start(r->sv);
	run_until_state(r, "stubborn", PROC_RUNNING, 5000);
	pid_t pid = sv_proc(r->sv, 0)->pid;
	assert_true(pid > 0);
	int64_t t0 = loop_now();
	sv_shutdown(r->sv);
	run_to_end(r, 5000);
	int64_t ms = (loop_now() - t0) / 1000000;
	assert_true(ms >= 290 && ms < 1300);
	int st = find(r, "stubborn", PROC_STOPPED, 0);
	assert_string_equal(r->ev[st].reason, "killed by SIGKILL");
	/* The whole group is gone (members killed with it may be zombies for a moment). */
	int64_t end = loop_now() + 2000000000LL;
	while (kill(-pid, 0) == 0) {
		assert_true(loop_now() < end);
		loop_run_once(r->loop, 10);
	}
	finish_run(r);
}

static void
test_health_restart(void **state)
{
	(void)state;
	struct run *r = setup_run(
	    "processes:\n"
	    "  sick: {command: 'exec sleep 100', restart: always, max_restarts: 1,\n"
	    "         backoff: {initial: 0s, max: 0s},\n"
	    "         health: {exec: 'false', interval: 100ms, retries: 2, on_fail: restart}}\n");
	sv_start(r->sv);
	run_to_end(r, 10000);
	/* Unhealthy twice in a row: stopped and restarted once, then fatal. */
	int stop = find(r, "sick", PROC_STOPPING, 0);
	assert_true(stop >= 0);
	int back = find(r, "sick", PROC_BACKOFF, stop);
	assert_true(back >= 0);
	assert_non_null(strstr(r->ev[back].reason, "unhealthy: exec exit 1"));
	assert_true(find(r, "sick", PROC_FATAL, back) >= 0);
	finish_run(r);
}

static void
test_select(void **state)
{
	(void)state;
	struct run *r = setup_run(
	    "processes:\n"
	    "  db: {command: 'exit 0', kind: oneshot}\n"
	    "  api: {command: 'exit 0', kind: oneshot, depends_on: [db]}\n"
	    "  other: {command: 'exit 0', kind: oneshot}\n");
	char err[128];
	char *bad[] = {(char *)"nope"};
	assert_false(sv_select(r->sv, bad, 1, err, sizeof(err)));
	assert_string_equal(err, "no process named 'nope' in t.yaml");
	char *names[] = {(char *)"api"};
	assert_true(sv_select(r->sv, names, 1, err, sizeof(err)));
	sv_start(r->sv);
	run_to_end(r, 5000);
	assert_true(find(r, "db", PROC_COMPLETED, 0) >= 0);
	assert_true(find(r, "api", PROC_COMPLETED, 0) >= 0);
	assert_int_equal(find(r, "other", PROC_STARTING, 0), -1);
	assert_int_equal(sv_exit_status(r->sv), 0);
	finish_run(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_conditions),
		cmocka_unit_test(test_blocked_dependency),
		cmocka_unit_test(test_backoff_and_fatal),
		cmocka_unit_test(test_ready_timeout_and_spawn_failure),
		cmocka_unit_test(test_stop_escalation),
		cmocka_unit_test(test_health_restart),
		cmocka_unit_test(test_select),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
