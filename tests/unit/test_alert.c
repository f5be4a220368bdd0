/*
 * test_alert — the alert engine on a real supervisor running `sleep`,
 * with samples written in by hand (sv_set_metrics), so each value is
 * known: "for N samples", hysteresis (a value hovering within 5 % of the
 * threshold keeps the alert; two samples past it resolve), fire-once,
 * acknowledgement, and a state rule firing and resolving on events.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alert.h"
#include "core/config.h"
#include "core/diag.h"
#include "core/loop.h"
#include "core/supervisor.h"

extern char **environ;

struct run {
	char dir[64];
	struct spec *spec;
	struct loop *loop;
	struct sv *sv;
	struct alert_engine *ae;
	int fired, resolved, acked;
	char last[240];
};

static void
on_alert(enum alert_change what, const struct alert *a, const char *why, void *arg)
{
	(void)why;
	struct run *r = arg;
	if (what == ALERT_FIRED)
		r->fired++;
	else if (what == ALERT_RESOLVED)
		r->resolved++;
	else
		r->acked++;
	snprintf(r->last, sizeof(r->last), "%s", a->message);
}

static void
on_event(const struct sv_event *ev, void *arg)
{
	struct run *r = arg;
	if (r->ae != NULL)
		alert_on_event(r->ae, ev);
}

static struct run *
setup_run(const char *yaml)
{
	struct run *r = calloc(1, sizeof(*r));
	snprintf(r->dir, sizeof(r->dir), "/tmp/vigil-alert-XXXXXX");
	assert_non_null(mkdtemp(r->dir));
	char text[4096];
	snprintf(text, sizeof(text), "settings: {log_dir: %s/logs}\n%s", r->dir, yaml);
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
	r->ae = alert_new(r->loop, r->sv, on_alert, r);
	sv_start(r->sv);
	int64_t end = loop_now() + 5000000000LL;
	while (sv_proc(r->sv, 0)->state != PROC_RUNNING && loop_now() < end)
		loop_run_once(r->loop, 50);
	assert_int_equal(sv_proc(r->sv, 0)->state, PROC_RUNNING);
	return r;
}

static void
finish_run(struct run *r)
{
	sv_shutdown(r->sv);
	int64_t end = loop_now() + 5000000000LL;
	while (!sv_done(r->sv) && loop_now() < end)
		loop_run_once(r->loop, 50);
	alert_free(r->ae);
	sv_free(r->sv);
	loop_free(r->loop);
	config_free(r->spec);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", r->dir);
	assert_int_equal(system(cmd), 0);
	free(r);
}

/* One sample of the first process with this CPU %, then the alert engine's look at it. */
static void
sample(struct run *r, double cpu)
{
	const struct proc_info *p = sv_proc(r->sv, 0);
	struct proc_metrics m = {.at_ms = 1, .cpu = cpu, .tree_cpu = cpu, .rss = 1 << 20, .tree_rss = 1 << 20,
	    .fds = -1, .tree_fds = -1, .io_read = -1, .io_write = -1, .cg_memory = -1, .oom_kills = -1};
	sv_set_metrics(r->sv, 0, p->pid, &m);
	alert_on_sample(r->ae);
}

static void
test_samples_and_hysteresis(void **state)
{
	(void)state;
	struct run *r = setup_run("processes:\n  api:\n    command: [sleep, '30']\n"
	    "    alerts: ['cpu > 80% for 3 samples']\n");
	sample(r, 90);
	sample(r, 95);
	assert_int_equal(r->fired, 0); /* two samples: not yet */
	sample(r, 50);                 /* the run is broken */
	sample(r, 90);
	sample(r, 90);
	assert_int_equal(r->fired, 0);
	sample(r, 91);
	assert_int_equal(r->fired, 1);
	assert_non_null(strstr(r->last, "api: cpu > 80% for 3 samples (now 91.0%)"));
	/* Hovering at the threshold (79, 77: within 5 %) keeps it; no second fire. */
	sample(r, 79);
	sample(r, 77);
	sample(r, 85);
	sample(r, 78);
	assert_int_equal(r->fired, 1);
	assert_int_equal(r->resolved, 0);
	/* One sample past the hysteresis is not enough; two are. */
	sample(r, 70);
	sample(r, 90);
	sample(r, 70);
	assert_int_equal(r->resolved, 0);
	sample(r, 60);
	assert_int_equal(r->resolved, 1);
	/* Listed: nothing active, the resolved one with --all. */
	const struct alert *list[8];
	assert_int_equal(alert_list(r->ae, false, list, 8), 0);
	assert_int_equal(alert_list(r->ae, true, list, 8), 1);
	assert_true(list[0]->resolved_ms > 0);
	/* Again: fires again after three samples; acknowledged once. */
	sample(r, 99);
	sample(r, 99);
	sample(r, 99);
	assert_int_equal(r->fired, 2);
	assert_int_equal(alert_ack(r->ae, 0), 1);
	assert_int_equal(alert_ack(r->ae, 0), 0);
	assert_int_equal(r->acked, 1);
	finish_run(r);
}

static void
test_state_rule(void **state)
{
	(void)state;
	struct run *r = setup_run("processes:\n  api:\n    command: [sleep, '30']\n"
	    "    alerts: [{rule: 'state == stopped', severity: critical}]\n");
	assert_int_equal(r->fired, 0);
	sv_stop_proc(r->sv, 0);
	int64_t end = loop_now() + 5000000000LL;
	while (r->fired == 0 && loop_now() < end)
		loop_run_once(r->loop, 50);
	assert_int_equal(r->fired, 1);
	const struct alert *list[4];
	assert_int_equal(alert_list(r->ae, false, list, 4), 1);
	assert_int_equal(list[0]->severity, RULE_CRITICAL);
	sv_start_proc(r->sv, 0);
	end = loop_now() + 5000000000LL;
	while (r->resolved == 0 && loop_now() < end)
		loop_run_once(r->loop, 50);
	assert_int_equal(r->resolved, 1);
	finish_run(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_samples_and_hysteresis),
		cmocka_unit_test(test_state_rule),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
