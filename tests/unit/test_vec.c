/*
 * test_vec — room in a growable array: grows to what is asked (doubling),
 * keeps what it held, does nothing when there is room, refuses sizes that
 * overflow and leaves the array as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>

#include "core/vec.h"

static void
test_grow(void **state)
{
	(void)state;
	int *a = NULL;
	size_t cap = 0;
	assert_int_equal(vec_reserve(&a, &cap, 1, sizeof(*a)), 0);
	assert_non_null(a);
	assert_int_equal(cap, 64);
	for (int i = 0; i < 64; i++)
		a[i] = i;
	int *before = a;
	assert_int_equal(vec_reserve(&a, &cap, 64, sizeof(*a)), 0);
	assert_ptr_equal(a, before); /* room already: untouched */
	assert_int_equal(vec_reserve(&a, &cap, 300, sizeof(*a)), 0);
	assert_int_equal(cap, 512);
	for (int i = 0; i < 64; i++)
		assert_int_equal(a[i], i);
	a[299] = 7;
	free(a);
}

static void
test_overflow(void **state)
{
	(void)state;
	char *a = NULL;
	size_t cap = 0;
	assert_int_equal(vec_reserve(&a, &cap, 10, 1), 0);
	char *before = a;
	errno = 0;
	assert_int_equal(vec_reserve(&a, &cap, SIZE_MAX, 1), -1);
	assert_int_equal(errno, ENOMEM);
	assert_int_equal(vec_reserve(&a, &cap, SIZE_MAX / 4, 16), -1);
	assert_ptr_equal(a, before);
	assert_int_equal(cap, 64);
	free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grow),
		cmocka_unit_test(test_overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
