/*
 * test_expand — ${VAR} substitution: every form, nesting, "$$", and the
 * errors with the offset of the offending "$".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/expand.h"

/* A fixed environment: A=alpha, EMPTY="", NUM=42. */
static const char *
fake_env(const char *name, void *ctx)
{
	(void)ctx;
	if (strcmp(name, "A") == 0)
		return "alpha";
	if (strcmp(name, "EMPTY") == 0)
		return "";
	if (strcmp(name, "NUM") == 0)
		return "42";
	return NULL;
}

static void
expect(const char *in, const char *want)
{
	char *out = NULL, err[200] = "";
	size_t off = 999;
	bool ok = expand_string(in, fake_env, NULL, &out, err, sizeof(err), &off);
	if (!ok)
		fail_msg("'%s' failed: %s", in, err);
	assert_string_equal(out, want);
	free(out);
}

static void
expect_err(const char *in, const char *msg, size_t want_off)
{
	char *out = (char *)"x", err[200] = "";
	size_t off = 999;
	assert_false(expand_string(in, fake_env, NULL, &out, err, sizeof(err), &off));
	assert_null(out);
	assert_string_equal(err, msg);
	assert_int_equal(off, want_off);
}

static void
test_forms(void **state)
{
	(void)state;
	expect("plain", "plain");
	expect("", "");
	expect("${A}", "alpha");
	expect("x${A}y", "xalphay");
	expect("${A}${NUM}", "alpha42");
	expect("${MISSING}", "");
	expect("${MISSING:-dflt}", "dflt");
	expect("${EMPTY:-dflt}", "dflt");
	expect("${EMPTY-dflt}", "");
	expect("${MISSING-dflt}", "dflt");
	expect("${A:-dflt}", "alpha");
	expect("${MISSING:-${A}}", "alpha");
	expect("${MISSING:-${NOPE:-deep}}", "deep");
	expect("${MISSING:-a}b}", "ab}");
	expect("${A:?must be set}", "alpha");
}

static void
test_dollars(void **state)
{
	(void)state;
	expect("$$", "$");
	expect("$${A}", "${A}");
	expect("cost: 5$$", "cost: 5$");
	expect("echo $HOME", "echo $HOME");
	expect("a$", "a$");
	expect("$", "$");
	expect("$$$$", "$$");
	expect("${MISSING:-$$}", "$");
}

static void
test_errors(void **state)
{
	(void)state;
	expect_err("abc ${A", "unterminated '${' (missing '}')", 4);
	expect_err("${}", "invalid variable name in '${...}'", 0);
	expect_err("x${1A}", "invalid variable name in '${...}'", 1);
	expect_err("${A B}", "invalid '${A...}': expected '}', ':-', '-', ':?' or '?'", 0);
	expect_err("${MISSING:?needed for the api}", "MISSING: needed for the api", 0);
	expect_err("ok ${MISSING?}", "MISSING is not set", 3);
	expect_err("${EMPTY:?}", "EMPTY is not set", 0);
	/* Nesting deeper than the limit is refused, not recursed forever. */
	expect_err("${a:-${b:-${c:-${d:-${e:-${f:-${g:-${h:-${i:-${j:-x}}}}}}}}}}",
	    "'${...}' nested too deeply", 45);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_dollars),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
