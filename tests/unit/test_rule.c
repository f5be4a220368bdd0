/*
 * test_rule — the alert rule language (core/rule): every kind of rule with
 * every field it sets, each metric with its unit, each comparison, the
 * "for" and "in" clauses, the name helpers; and rules that do not parse,
 * each with its exact message and the byte offset it points at.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/rule.h"

/* Parses text that must be valid; the rule's strings live in *a. */
static struct rule
parse_ok(struct arena *a, const char *text)
{
	struct rule r;
	char err[300] = "";
	size_t off = 12345;
	if (!rule_parse(text, a, &r, err, sizeof(err), &off)) {
		print_error("rule '%s' did not parse: %s (at %zu)\n", text, err, off);
		fail();
	}
	assert_string_equal(r.text, text);
	assert_int_equal(r.severity, RULE_WARNING);
	assert_null(r.target);
	return r;
}

static void
test_metrics(void **state)
{
	(void)state;
	struct arena *a = arena_new();
	struct rule r;

	r = parse_ok(a, "cpu > 80%");
	assert_int_equal(r.kind, RULE_METRIC);
	assert_int_equal(r.metric, RULE_M_CPU);
	assert_int_equal(r.op, RULE_GT);
	assert_true(r.value == 80.0);
	assert_false(r.percent);
	assert_int_equal(r.for_samples, 0);
	assert_int_equal(r.for_ms, 0);
	assert_int_equal(r.window_ms, 0);
	assert_null(r.state);
	assert_null(r.regex);
	assert_int_equal(r.exit_code, 0);
	assert_int_equal(r.exit_signal, 0);

	r = parse_ok(a, "tree_cpu >= 150");
	assert_int_equal(r.metric, RULE_M_TREE_CPU);
	assert_int_equal(r.op, RULE_GE);
	assert_true(r.value == 150.0);

	r = parse_ok(a, "memory < 512MB");
	assert_int_equal(r.metric, RULE_M_MEMORY);
	assert_int_equal(r.op, RULE_LT);
	assert_true(r.value == 512e6);

	r = parse_ok(a, "tree_memory <= 1GiB");
	assert_int_equal(r.metric, RULE_M_TREE_MEMORY);
	assert_int_equal(r.op, RULE_LE);
	assert_true(r.value == 1073741824.0);

	r = parse_ok(a, "threads == 64");
	assert_int_equal(r.metric, RULE_M_THREADS);
	assert_int_equal(r.op, RULE_EQ);
	assert_true(r.value == 64.0);

	r = parse_ok(a, "fds != 3");
	assert_int_equal(r.metric, RULE_M_FDS);
	assert_int_equal(r.op, RULE_NE);
	assert_true(r.value == 3.0);

	r = parse_ok(a, "io_read > 10MB/s");
	assert_int_equal(r.metric, RULE_M_IO_READ);
	assert_true(r.value == 10e6);

	r = parse_ok(a, "io_write > 512KiB");
	assert_int_equal(r.metric, RULE_M_IO_WRITE);
	assert_true(r.value == 524288.0);

	r = parse_ok(a, "load > 2.5");
	assert_int_equal(r.metric, RULE_M_LOAD);
	assert_true(r.value == 2.5);

	r = parse_ok(a, "host_memory > 90%");
	assert_int_equal(r.metric, RULE_M_HOST_MEMORY);
	assert_true(r.percent);
	assert_true(r.value == 90.0);

	r = parse_ok(a, "host_memory > 2G");
	assert_int_equal(r.metric, RULE_M_HOST_MEMORY);
	assert_false(r.percent);
	assert_true(r.value == 2147483648.0);

	/* Spacing is free: "cpu>80%" tokenizes the same. */
	r = parse_ok(a, "  cpu>80%  ");
	assert_int_equal(r.metric, RULE_M_CPU);
	assert_int_equal(r.op, RULE_GT);
	assert_true(r.value == 80.0);
	arena_free(a);
}

static void
test_metric_hold(void **state)
{
	(void)state;
	struct arena *a = arena_new();
	struct rule r;

	r = parse_ok(a, "cpu > 80% for 5 samples");
	assert_int_equal(r.for_samples, 5);
	assert_int_equal(r.for_ms, 0);

	r = parse_ok(a, "memory > 100MB for 1 sample");
	assert_int_equal(r.for_samples, 1);

	r = parse_ok(a, "threads > 100 for 30s");
	assert_int_equal(r.for_samples, 0);
	assert_int_equal(r.for_ms, 30000);

	r = parse_ok(a, "load > 4 for 1m30s");
	assert_int_equal(r.for_ms, 90000);

	r = parse_ok(a, "fds > 1000 for 2"); /* a bare number is seconds */
	assert_int_equal(r.for_ms, 2000);
	arena_free(a);
}

static void
test_restarts_state_unhealthy(void **state)
{
	(void)state;
	struct arena *a = arena_new();
	struct rule r;

	r = parse_ok(a, "restarts > 3 in 5m");
	assert_int_equal(r.kind, RULE_RESTARTS);
	assert_int_equal(r.op, RULE_GT);
	assert_true(r.value == 3.0);
	assert_int_equal(r.window_ms, 300000);
	assert_int_equal(r.for_ms, 0);

	r = parse_ok(a, "restarts >= 10 in 1h");
	assert_int_equal(r.op, RULE_GE);
	assert_true(r.value == 10.0);
	assert_int_equal(r.window_ms, 3600000);

	r = parse_ok(a, "state == fatal");
	assert_int_equal(r.kind, RULE_STATE);
	assert_int_equal(r.op, RULE_EQ);
	assert_string_equal(r.state, "fatal");

	r = parse_ok(a, "state != running for 2m");
	assert_int_equal(r.kind, RULE_STATE);
	assert_int_equal(r.op, RULE_NE);
	assert_string_equal(r.state, "running");
	assert_int_equal(r.for_ms, 120000);

	/* Every state name the header lists is accepted. */
	for (size_t i = 0; rule_state_names[i] != NULL; i++) {
		char text[64];
		snprintf(text, sizeof(text), "state == %s", rule_state_names[i]);
		r = parse_ok(a, text);
		assert_string_equal(r.state, rule_state_names[i]);
	}

	r = parse_ok(a, "unhealthy");
	assert_int_equal(r.kind, RULE_UNHEALTHY);
	assert_int_equal(r.for_ms, 0);
	assert_int_equal(r.for_samples, 0);

	r = parse_ok(a, "unhealthy for 30s");
	assert_int_equal(r.kind, RULE_UNHEALTHY);
	assert_int_equal(r.for_ms, 30000);
	arena_free(a);
}

static void
test_exited(void **state)
{
	(void)state;
	struct arena *a = arena_new();
	struct rule r;

	r = parse_ok(a, "exited with 1");
	assert_int_equal(r.kind, RULE_EXITED);
	assert_int_equal(r.exit_code, 1);
	assert_int_equal(r.exit_signal, 0);

	r = parse_ok(a, "exited with 0");
	assert_int_equal(r.exit_code, 0);
	assert_int_equal(r.exit_signal, 0);

	r = parse_ok(a, "exited with 255");
	assert_int_equal(r.exit_code, 255);

	r = parse_ok(a, "exited with SIGSEGV");
	assert_int_equal(r.kind, RULE_EXITED);
	assert_int_equal(r.exit_signal, SIGSEGV);
	assert_int_equal(r.exit_code, -1);

	r = parse_ok(a, "exited with kill");
	assert_int_equal(r.exit_signal, SIGKILL);

	r = parse_ok(a, "exited with nonzero");
	assert_int_equal(r.exit_code, -1);
	assert_int_equal(r.exit_signal, 0);
	arena_free(a);
}

static void
test_log(void **state)
{
	(void)state;
	struct arena *a = arena_new();
	struct rule r;

	/* Without a count: any match within a minute. */
	r = parse_ok(a, "log =~ \"ERROR|FATAL\"");
	assert_int_equal(r.kind, RULE_LOG);
	assert_string_equal(r.regex, "ERROR|FATAL");
	assert_int_equal(r.op, RULE_GT);
	assert_true(r.value == 0.0);
	assert_int_equal(r.window_ms, 60000);

	r = parse_ok(a, "log =~ /panic: .*/");
	assert_string_equal(r.regex, "panic: .*");
	assert_int_equal(r.window_ms, 60000);

	r = parse_ok(a, "log =~ \"timeout\" > 5 in 10m");
	assert_string_equal(r.regex, "timeout");
	assert_int_equal(r.op, RULE_GT);
	assert_true(r.value == 5.0);
	assert_int_equal(r.window_ms, 600000);

	r = parse_ok(a, "log =~ /a\\/b/ >= 2 in 30s");
	assert_string_equal(r.regex, "a\\/b"); /* the escape is kept for regcomp */
	assert_int_equal(r.op, RULE_GE);
	assert_true(r.value == 2.0);
	assert_int_equal(r.window_ms, 30000);

	/* A quoted regex may hold spaces and operator characters. */
	r = parse_ok(a, "log =~ \"x > y == z\"");
	assert_string_equal(r.regex, "x > y == z");
	assert_false(r.icase);

	/* /REGEX/i: any case. */
	r = parse_ok(a, "log =~ /err(or)?/i > 3 in 1m");
	assert_string_equal(r.regex, "err(or)?");
	assert_true(r.icase);
	assert_true(r.value == 3.0);
	r = parse_ok(a, "log =~ /panic/i");
	assert_true(r.icase);
	arena_free(a);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(rule_metric_name(RULE_M_CPU), "cpu");
	assert_string_equal(rule_metric_name(RULE_M_HOST_MEMORY), "host_memory");
	assert_string_equal(rule_op_name(RULE_GT), ">");
	assert_string_equal(rule_op_name(RULE_GE), ">=");
	assert_string_equal(rule_op_name(RULE_LT), "<");
	assert_string_equal(rule_op_name(RULE_LE), "<=");
	assert_string_equal(rule_op_name(RULE_EQ), "==");
	assert_string_equal(rule_op_name(RULE_NE), "!=");
	assert_string_equal(rule_kind_name(RULE_METRIC), "metric");
	assert_string_equal(rule_kind_name(RULE_LOG), "log");
	assert_string_equal(rule_severity_name(RULE_INFO), "info");
	assert_string_equal(rule_severity_name(RULE_CRITICAL), "critical");
	enum rule_severity sev = RULE_INFO;
	assert_true(rule_severity_parse("critical", &sev));
	assert_int_equal(sev, RULE_CRITICAL);
	assert_true(rule_severity_parse("warning", &sev));
	assert_int_equal(sev, RULE_WARNING);
	assert_false(rule_severity_parse("urgent", &sev));
	assert_int_equal(sev, RULE_WARNING);

	/* Every metric name parses back to itself. */
	struct arena *a = arena_new();
	for (int m = RULE_M_CPU; m <= RULE_M_HOST_MEMORY; m++) {
		char text[64];
		snprintf(text, sizeof(text), "%s > 1", rule_metric_name((enum rule_metric)m));
		struct rule r = parse_ok(a, text);
		assert_int_equal(r.metric, m);
	}
	arena_free(a);
}

/* ---- rules that do not parse ------------------------------------------- */

struct bad_rule {
	const char *text;
	const char *msg;
	size_t off; /* byte offset of the problem in text */
};

static const struct bad_rule bad_rules[] = {
	{"", "empty rule", 0},
	{"   ", "empty rule", 0},
	{"cpux > 5",
	 "unknown metric or event 'cpux' (expected cpu, tree_cpu, memory, tree_memory, "
	 "threads, fds, io_read, io_write, load, host_memory, restarts, state, unhealthy, "
	 "exited or log)", 0},
	{"cpu", "expected a comparison (>, >=, <, <=, ==, !=)", 3},
	{"cpu => 5", "expected a comparison (>, >=, <, <=, ==, !=)", 4},
	{"cpu 80%", "expected a comparison (>, >=, <, <=, ==, !=)", 4},
	{"cpu >", "expected a value after the comparison", 5},
	{"cpu > abc", "expected a percent such as 50%", 6},
	{"cpu > -5", "a percent cannot be negative", 6},
	{"memory > 12XB", "unknown size unit (use B, KB, MB, GB, KiB, MiB, GiB)", 9},
	{"memory > 12 parsecs", "unexpected 'parsecs' at the end of the rule", 12},
	{"threads > 1.5", "expected a whole number", 10},
	{"load > high", "expected a number", 7},
	{"memory > 5MB for 3 samples please", "unexpected 'please' at the end of the rule", 27},
	{"cpu > 5% extra", "unexpected 'extra' at the end of the rule", 9},
	{"cpu > 5% for", "expected a duration such as 30s or 5m", 12},
	{"cpu > 5% for 0 samples", "sample count must be between 1 and 100000", 13},
	{"cpu > 5% for x samples", "expected a count", 13},
	{"cpu > 5% for 0s", "duration must be above zero", 13},
	{"cpu > 5% for 10x", "unknown duration unit (use ms, s, m, h or d)", 13},
	{"cpu > 5% for 2 sampls", "unexpected 'sampls' (did you mean 'samples'?)", 15},
	{"restarts > 3", "expected 'in'", 12},
	{"restarts > 3 in", "expected a duration such as 30s or 5m", 15},
	{"restarts > x in 5m", "expected a count", 11},
	{"restarts > 3.5 in 5m", "expected a count", 11},
	{"restarts > 3 in 5x", "unknown duration unit (use ms, s, m, h or d)", 16},
	{"restarts > 3 for 5m", "expected 'in'", 13},
	{"state fatal", "expected '==' or '!='", 6},
	{"state ==", "expected a state name", 8},
	{"state == zombie", "unknown state 'zombie'", 9},
	{"unhealthy for", "expected a duration such as 30s or 5m", 13},
	{"unhealthy 5m", "unexpected '5m' at the end of the rule", 10},
	{"exited 1", "expected 'with'", 7},
	{"exited with", "expected an exit code, a signal name or 'nonzero'", 11},
	{"exited with 300", "exit code must be between 0 and 255", 12},
	{"exited with 1x", "exit code must be a whole number between 0 and 255", 12},
	{"exited with SIGFOO",
	 "expected an exit code, a signal name or 'nonzero', not 'SIGFOO'", 12},
	{"exited with 1 or 2", "unexpected 'or' at the end of the rule", 14},
	{"log ~ x", "expected '=~' after 'log'", 4},
	{"log", "expected '=~' after 'log'", 3},
	{"log =~", "expected a regular expression", 6},
	{"log =~ \"(\"", "invalid regular expression: Unmatched ( or \\(", 8},
	{"log =~ \"abc", "unterminated quote", 7},
	{"log =~ /abc", "unterminated '/'", 7},
	{"log =~ /abc/x > 3 in 1m", "unknown flag after /REGEX/ (only i, for any case)", 12},
	{"log =~ /x/ > 3", "expected 'in'", 14},
	{"log =~ /x/ > 3 in", "expected a duration such as 30s or 5m", 17},
	{"log =~ /x/ 3 in 5m", "expected a comparison (>, >=, <, <=, ==, !=)", 11},
	{"cpu > 1 for 1 samples a b c d e f g h i j k", "rule is too long", 42},
};

static void
test_invalid(void **state)
{
	(void)state;
	size_t n = sizeof(bad_rules) / sizeof(bad_rules[0]);
	size_t failed = 0;
	for (size_t i = 0; i < n; i++) {
		const struct bad_rule *b = &bad_rules[i];
		struct arena *a = arena_new();
		struct rule r;
		char err[300] = "";
		size_t off = 99999;
		bool ok = rule_parse(b->text, a, &r, err, sizeof(err), &off);
		if (ok || strcmp(err, b->msg) != 0 || off != b->off) {
			print_error("rule '%s': expected \"%s\" at %zu, got %s \"%s\" at %zu\n",
			    b->text, b->msg, b->off, ok ? "success" : "failure", err, off);
			failed++;
		}
		arena_free(a);
	}
	if (failed > 0) {
		print_error("%zu of %zu invalid rules failed\n", failed, n);
		fail();
	}
}

/* A small err buffer truncates the message but never overflows. */
static void
test_small_error_buffer(void **state)
{
	(void)state;
	struct arena *a = arena_new();
	struct rule r;
	char err[8];
	size_t off = 0;
	assert_false(rule_parse("state == zombie", a, &r, err, sizeof(err), &off));
	assert_string_equal(err, "unknown");
	assert_int_equal(off, 9);
	arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_metric_hold),
		cmocka_unit_test(test_restarts_state_unhealthy),
		cmocka_unit_test(test_exited),
		cmocka_unit_test(test_log),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_small_error_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
