/*
 * test_signame — signal names both ways.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>

#include "core/signame.h"

static void
test_names(void **state)
{
	(void)state;
	assert_int_equal(signame_number("SIGTERM"), SIGTERM);
	assert_int_equal(signame_number("TERM"), SIGTERM);
	assert_int_equal(signame_number("sigint"), SIGINT);
	assert_int_equal(signame_number("hup"), SIGHUP);
	assert_int_equal(signame_number("9"), 9);
	/* Real-time signals, as systemd and kill(1) name them. */
	assert_int_equal(signame_number("SIGRTMIN"), SIGRTMIN);
	assert_int_equal(signame_number("SIGRTMIN+3"), SIGRTMIN + 3);
	assert_int_equal(signame_number("rtmin+1"), SIGRTMIN + 1);
	assert_int_equal(signame_number("RTMAX-2"), SIGRTMAX - 2);
	assert_int_equal(signame_number("SIGRTMAX"), SIGRTMAX);
	assert_int_equal(signame_number("SIGRTMIN-1"), 0);
	assert_int_equal(signame_number("SIGRTMIN+"), 0);
	assert_int_equal(signame_number("SIGRTMIN+99"), 0);
	assert_int_equal(signame_number("SIGRTMIN+1x"), 0);
	assert_int_equal(signame_number("SIGTREM"), 0);
	assert_int_equal(signame_number(""), 0);
	assert_int_equal(signame_number("0"), 0);
	assert_int_equal(signame_number("9x"), 0);
	assert_int_equal(signame_number("999"), 0);
	assert_string_equal(signame_name(SIGKILL), "SIGKILL");
	assert_string_equal(signame_name(SIGUSR2), "SIGUSR2");
	assert_null(signame_name(0));
	for (int i = 0; signame_all[i] != NULL; i++)
		assert_string_equal(signame_name(signame_number(signame_all[i])), signame_all[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
