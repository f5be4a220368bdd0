/*
 * test_model — targets (name, name:N, @group, #tag, all) and what counts as
 * a good state.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/config.h"
#include "core/model.h"

static void
test_match(void **state)
{
	(void)state;
	const char *tags[] = {"web", "critical", NULL};
	struct spec_process api = {.name = "api", .group = "front", .tags = tags, .ntags = 2};
	struct spec_process worker = {.name = "worker", .replicas = 3};
	struct proc_info a = {.name = "api", .spec = &api};
	struct proc_info w2 = {.name = "worker:2", .spec = &worker, .replica = 2};
	assert_true(model_match(&a, "api"));
	assert_true(model_match(&a, "all"));
	assert_true(model_match(&a, "@front"));
	assert_true(model_match(&a, "#web"));
	assert_true(model_match(&a, "#critical"));
	assert_false(model_match(&a, "#db"));
	assert_false(model_match(&a, "@back"));
	assert_false(model_match(&a, "ap"));
	assert_false(model_match(&a, "api:0x"));
	assert_true(model_match(&w2, "worker"));
	assert_true(model_match(&w2, "worker:2"));
	assert_false(model_match(&w2, "worker:1"));
	assert_false(model_match(&w2, "worker:"));
	assert_false(model_match(&w2, "@front")); /* no group */
	assert_false(model_match(&w2, "#web"));
}

static void
test_good_states(void **state)
{
	(void)state;
	struct spec_process svc = {.name = "s", .kind = SPEC_SERVICE};
	struct spec_process job = {.name = "j", .kind = SPEC_ONESHOT};
	struct spec_process bye = {.name = "c", .kind = SPEC_CLEANUP};
	struct proc_info p = {.spec = &svc, .state = PROC_RUNNING, .selected = true};
	assert_true(model_state_good(&p));
	p.state = PROC_COMPLETED;
	assert_false(model_state_good(&p)); /* a service should still be running */
	p.state = PROC_PENDING;
	assert_false(model_state_good(&p)); /* waiting to start */
	p.selected = false;
	assert_true(model_state_good(&p)); /* not in this run (`up NAME…` left it out) */
	p.selected = true;
	p.state = PROC_DISABLED;
	assert_true(model_state_good(&p));
	p.spec = &job;
	p.state = PROC_COMPLETED;
	assert_true(model_state_good(&p));
	p.state = PROC_FAILED;
	assert_false(model_state_good(&p));
	p.spec = &bye;
	p.state = PROC_PENDING;
	assert_true(model_state_good(&p)); /* runs when the stack stops */
	p.state = PROC_FAILED;
	assert_false(model_state_good(&p));
	for (int s = 0; s < PROC_STATE_COUNT; s++)
		assert_string_not_equal(model_state_name((enum proc_state)s), "?");
	assert_string_equal(model_state_name(PROC_BACKOFF), "backoff");
	assert_string_equal(model_health_name(HEALTH_UNHEALTHY), "unhealthy");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_good_states),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
