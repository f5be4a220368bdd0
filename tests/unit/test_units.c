/*
 * test_units — durations, sizes, percents and whole numbers: what parses,
 * to what, and what is refused; and the printers round-trip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/units.h"

static int64_t
dur(const char *s)
{
	int64_t ms = -12345;
	const char *err = NULL;
	assert_true(units_duration(s, &ms, &err));
	return ms;
}

static const char *
dur_err(const char *s)
{
	int64_t ms;
	const char *err = NULL;
	assert_false(units_duration(s, &ms, &err));
	assert_non_null(err);
	return err;
}

static void
test_duration_ok(void **state)
{
	(void)state;
	assert_int_equal(dur("250ms"), 250);
	assert_int_equal(dur("10s"), 10000);
	assert_int_equal(dur("5m"), 300000);
	assert_int_equal(dur("1h"), 3600000);
	assert_int_equal(dur("2d"), 172800000);
	assert_int_equal(dur("1m30s"), 90000);
	assert_int_equal(dur("1h2m3s4ms"), 3723004);
	assert_int_equal(dur("10"), 10000);
	assert_int_equal(dur("0.5"), 500);
	assert_int_equal(dur("1.5s"), 1500);
	assert_int_equal(dur("0"), 0);
	assert_int_equal(dur("  7s "), 7000);
}

static void
test_duration_bad(void **state)
{
	(void)state;
	assert_string_equal(dur_err("10x"), "unknown duration unit (use ms, s, m, h or d)");
	assert_string_equal(dur_err("-1s"), "a duration cannot be negative");
	assert_string_equal(dur_err(""), "expected a duration such as 500ms, 10s, 5m or 1h");
	assert_string_equal(dur_err("s"), "expected a duration such as 500ms, 10s, 5m or 1h");
	assert_string_equal(dur_err("1e3"), "expected a duration such as 500ms, 10s, 5m or 1h");
	assert_string_equal(dur_err("inf"), "expected a duration such as 500ms, 10s, 5m or 1h");
	assert_string_equal(dur_err("0x10"), "expected a duration such as 500ms, 10s, 5m or 1h");
	/* A bare number is only allowed alone. */
	assert_string_equal(dur_err("1m30"), "unknown duration unit (use ms, s, m, h or d)");
	assert_string_equal(dur_err("99999999999999d"), "duration is too long");
}

static int64_t
size(const char *s)
{
	int64_t b = -1;
	const char *err = NULL;
	assert_true(units_size(s, &b, &err));
	return b;
}

static void
test_size(void **state)
{
	(void)state;
	assert_int_equal(size("512KB"), 512000);
	assert_int_equal(size("10MB"), 10000000);
	assert_int_equal(size("1GiB"), 1073741824);
	assert_int_equal(size("1G"), 1073741824);
	assert_int_equal(size("1g"), 1073741824);
	assert_int_equal(size("4KiB"), 4096);
	assert_int_equal(size("100"), 100);
	assert_int_equal(size("100B"), 100);
	assert_int_equal(size("1.5MiB"), 1572864);
	assert_int_equal(size("2 MB"), 2000000);
	int64_t b;
	const char *err;
	assert_false(units_size("12 parsecs", &b, &err));
	assert_string_equal(err, "unknown size unit (use B, KB, MB, GB, KiB, MiB, GiB)");
	assert_false(units_size("-1MB", &b, &err));
	assert_string_equal(err, "a size cannot be negative");
	assert_false(units_size("MB", &b, &err));
	assert_false(units_size("2000000TB", &b, &err));
	assert_string_equal(err, "size is too large");
}

static void
test_percent_int_number(void **state)
{
	(void)state;
	double p;
	const char *err;
	assert_true(units_percent("50%", &p, &err));
	assert_true(p == 50.0);
	assert_true(units_percent("12.5", &p, &err));
	assert_true(p == 12.5);
	assert_false(units_percent("abc", &p, &err));
	assert_string_equal(err, "expected a percent such as 50%");
	assert_false(units_percent("-5%", &p, &err));
	assert_false(units_percent("5%%", &p, &err));

	int64_t v;
	assert_true(units_int("42", 0, 100, &v, &err));
	assert_int_equal(v, 42);
	assert_true(units_int("-3", -5, 5, &v, &err));
	assert_int_equal(v, -3);
	assert_false(units_int("101", 0, 100, &v, &err));
	assert_string_equal(err, "must be between 0 and 100");
	assert_false(units_int("4.5", 0, 100, &v, &err));
	assert_string_equal(err, "expected a whole number");
	assert_false(units_int("-", 0, 100, &v, &err));
	assert_false(units_int("99999999999999999999999", 0, 100, &v, &err));

	double d;
	assert_true(units_number("1.5", &d, &err));
	assert_true(d == 1.5);
	assert_true(units_number("-2", &d, &err));
	assert_true(d == -2.0);
	assert_false(units_number("2x", &d, &err));
}

static void
test_format(void **state)
{
	(void)state;
	char buf[32];
	units_fmt_duration(0, buf, sizeof(buf));
	assert_string_equal(buf, "0s");
	units_fmt_duration(250, buf, sizeof(buf));
	assert_string_equal(buf, "250ms");
	units_fmt_duration(1500, buf, sizeof(buf));
	assert_string_equal(buf, "1500ms");
	units_fmt_duration(90000, buf, sizeof(buf));
	assert_string_equal(buf, "1m30s");
	units_fmt_duration(3600000, buf, sizeof(buf));
	assert_string_equal(buf, "1h");
	units_fmt_duration(61500, buf, sizeof(buf));
	assert_string_equal(buf, "1m1.500s");
	units_fmt_age(-1, buf, sizeof(buf));
	assert_string_equal(buf, "-");
	units_fmt_age(45999, buf, sizeof(buf));
	assert_string_equal(buf, "45s");
	units_fmt_age(187000, buf, sizeof(buf));
	assert_string_equal(buf, "3m07s");
	units_fmt_age(7500000, buf, sizeof(buf));
	assert_string_equal(buf, "2h05m");
	units_fmt_age(273600000, buf, sizeof(buf));
	assert_string_equal(buf, "3d04h");
	units_fmt_size(0, buf, sizeof(buf));
	assert_string_equal(buf, "0B");
	units_fmt_size(1 << 20, buf, sizeof(buf));
	assert_string_equal(buf, "1MiB");
	units_fmt_size(10000000, buf, sizeof(buf));
	assert_string_equal(buf, "10MB");
	units_fmt_size(1234, buf, sizeof(buf));
	assert_string_equal(buf, "1234B");
	/* Measured sizes, rounded for tables. */
	const struct { uint64_t b; const char *s; } mem[] = {
		{0, "0B"}, {1023, "1023B"}, {1024, "1.0K"}, {1536, "1.5K"}, {999 * 1024, "999K"},
		{1000 * 1024, "1.0M"}, {(uint64_t)95.3 * 1048576, "95.0M"}, {200ULL << 20, "200M"},
		{3ULL << 30, "3.0G"}, {1536ULL << 30, "1.5T"},
	};
	for (size_t i = 0; i < sizeof(mem) / sizeof(mem[0]); i++) {
		units_fmt_mem(mem[i].b, buf, sizeof(buf));
		assert_string_equal(buf, mem[i].s);
	}
	/* Beside a threshold, in its kind of unit. */
	units_fmt_mem_like(52300000, 50000000, buf, sizeof(buf));
	assert_string_equal(buf, "52.3MB"); /* was "49.9M" beside "> 50MB" */
	units_fmt_mem_like(52300000, 50 << 20, buf, sizeof(buf));
	assert_string_equal(buf, "49.9MiB");
	units_fmt_mem_like(999, 1000000, buf, sizeof(buf));
	assert_string_equal(buf, "999B");
	units_fmt_mem_like(1500000000, 1000000000, buf, sizeof(buf));
	assert_string_equal(buf, "1.5GB");
	units_fmt_mem_like(999999, 1000, buf, sizeof(buf));
	assert_string_equal(buf, "1.0MB");
	/* Printing then parsing gives the same number. */
	const int64_t sizes[] = {512000, 4096, 1073741824, 999, 3000000000LL};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		units_fmt_size(sizes[i], buf, sizeof(buf));
		assert_int_equal(size(buf), sizes[i]);
	}
	const int64_t durs[] = {1, 999, 1000, 59999, 60000, 3723000, 86400000};
	for (size_t i = 0; i < sizeof(durs) / sizeof(durs[0]); i++) {
		units_fmt_duration(durs[i], buf, sizeof(buf));
		assert_int_equal(dur(buf), durs[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_ok),
		cmocka_unit_test(test_duration_bad),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_percent_int_number),
		cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
