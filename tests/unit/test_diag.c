/*
 * test_diag — problems are kept in file order, formatted as
 * FILE:LINE:COL: message, capped in what is kept and what is shown.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/diag.h"

static void
test_order_and_format(void **state)
{
	(void)state;
	struct diag d;
	diag_init(&d);
	diag_add(&d, "b.yaml", 1, 1, "in b");
	diag_add(&d, "a.yaml", 9, 2, "late");
	diag_add(&d, "a.yaml", 3, 7, "early %d", 1);
	diag_add(&d, "a.yaml", 3, 7, "same place, second");
	diag_add(&d, NULL, 0, 0, "no position");
	diag_sort(&d);
	char buf[256];
	diag_format(&d.entries[0], buf, sizeof(buf));
	assert_string_equal(buf, "vigil: no position");
	diag_format(&d.entries[1], buf, sizeof(buf));
	assert_string_equal(buf, "a.yaml:3:7: early 1");
	diag_format(&d.entries[2], buf, sizeof(buf));
	assert_string_equal(buf, "a.yaml:3:7: same place, second");
	diag_format(&d.entries[3], buf, sizeof(buf));
	assert_string_equal(buf, "a.yaml:9:2: late");
	diag_format(&d.entries[4], buf, sizeof(buf));
	assert_string_equal(buf, "b.yaml:1:1: in b");
	diag_add(&d, "c.env", 4, 0, "line only");
	diag_format(&d.entries[5], buf, sizeof(buf));
	assert_string_equal(buf, "c.env:4: line only");
	diag_fini(&d);
	assert_int_equal(diag_total(&d), 0);
}

static void
test_caps(void **state)
{
	(void)state;
	struct diag d;
	diag_init(&d);
	for (int i = 0; i < DIAG_KEEP + 10; i++)
		diag_add(&d, "f", i + 1, 1, "problem %d", i);
	assert_int_equal(d.count, DIAG_KEEP);
	assert_int_equal(diag_total(&d), DIAG_KEEP + 10);
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	diag_print(&d, f);
	fclose(f);
	int lines = 0;
	for (size_t i = 0; i < len; i++)
		lines += out[i] == '\n';
	assert_int_equal(lines, DIAG_SHOW + 1);
	assert_non_null(strstr(out, "f:1:1: problem 0\n"));
	assert_non_null(strstr(out, "vigil: 246 more problems not shown\n"));
	free(out);
	diag_fini(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_format),
		cmocka_unit_test(test_caps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
