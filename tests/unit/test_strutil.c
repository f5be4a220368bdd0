/*
 * test_strutil — edit distance, suggestions and the string buffer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/strutil.h"

static void
test_distance(void **state)
{
	(void)state;
	assert_int_equal(str_distance("", ""), 0);
	assert_int_equal(str_distance("abc", "abc"), 0);
	assert_int_equal(str_distance("comand", "command"), 1);
	assert_int_equal(str_distance("refrsh", "refresh"), 1);
	assert_int_equal(str_distance("ab", "ba"), 1); /* a swap is one edit */
	assert_int_equal(str_distance("kitten", "sitting"), 3);
	assert_int_equal(str_distance("", "abc"), 3);
}

static void
test_suggest(void **state)
{
	(void)state;
	const char *const keys[] = {"command", "cwd", "env", "depends_on", "restart", NULL};
	assert_string_equal(str_suggest("comand", keys), "command");
	assert_string_equal(str_suggest("depend_on", keys), "depends_on");
	assert_string_equal(str_suggest("restrat", keys), "restart");
	assert_string_equal(str_suggest("cdw", keys), "cwd");
	assert_null(str_suggest("banana", keys));
	assert_null(str_suggest("x", keys));
	assert_true(str_in("env", keys));
	assert_false(str_in("envs", keys));
}

static void
test_strbuf(void **state)
{
	(void)state;
	struct strbuf sb;
	strbuf_init(&sb);
	char *empty = strbuf_take(&sb);
	assert_string_equal(empty, "");
	free(empty);
	for (int i = 0; i < 1000; i++)
		strbuf_addf(&sb, "%d,", i);
	strbuf_addc(&sb, '!');
	strbuf_addn(&sb, "xyz", 2);
	assert_int_equal(sb.len, strlen(sb.data));
	assert_memory_equal(sb.data, "0,1,2,", 6);
	assert_string_equal(sb.data + sb.len - 7, "999,!xy");
	char *s = strbuf_take(&sb);
	assert_null(sb.data);
	assert_int_equal(sb.len, 0);
	free(s);
	strbuf_fini(&sb);
}

/* A log line's bytes as a C string: a NUL byte does not end it. */
static void
test_dup_text(void **state)
{
	(void)state;
	char *s = str_dup_text("a\0b\0", 4);
	assert_string_equal(s, "a\xef\xbf\xbd" "b\xef\xbf\xbd");
	free(s);
	s = str_dup_text("plain", 5);
	assert_string_equal(s, "plain");
	free(s);
	s = str_dup_text(NULL, 0);
	assert_string_equal(s, "");
	free(s);
}

static void
test_cr_tail(void **state)
{
	(void)state;
	static const struct { const char *in, *want; } cases[] = {
		{"plain", "plain"},
		{"progress 1\rprogress 2\rdone", "done"},
		{"windows line\r", "windows line"},
		{"50%\r100%\r", "100%"},
		{"\r", ""},
		{"", ""},
		{"a\r\r", "a"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *out;
		size_t n = str_cr_tail(cases[i].in, strlen(cases[i].in), &out);
		assert_int_equal(n, strlen(cases[i].want));
		assert_memory_equal(out, cases[i].want, n);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_distance),
		cmocka_unit_test(test_suggest),
		cmocka_unit_test(test_strbuf),
		cmocka_unit_test(test_cr_tail),
		cmocka_unit_test(test_dup_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
