/*
 * test_series — the metric history under synthetic clocks: the fine ring
 * after wrap-around, since filtering and the newest-cap rule, NAN and other
 * non-finite values skipped, 5-minute bucket alignment with exact
 * min/avg/max, the 24-hour horizon over 30 hours of samples and across
 * gaps (a reused slot is never merged with what it held), out-of-order
 * samples, slot clamping, float precision, names both ways, and the fixed
 * memory figure (printed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/series.h"

#define B0 1795512000000LL /* 2026-11-24T09:20:00Z, a multiple of 5 minutes */
#define MIN_MS 60000LL
#define HOUR_MS (60 * MIN_MS)

/* Adds one sample with every metric set to x. */
static void
add_all(struct series *s, int64_t t, double x)
{
	double v[SERIES_METRICS];
	for (int m = 0; m < SERIES_METRICS; m++)
		v[m] = x;
	series_add(s, t, v);
}

/* Adds one sample with metric m set to x and the others to m's index. */
static void
add_one(struct series *s, int64_t t, enum series_metric m, double x)
{
	double v[SERIES_METRICS];
	for (int i = 0; i < SERIES_METRICS; i++)
		v[i] = i;
	v[m] = x;
	series_add(s, t, v);
}

static struct series *
new_series(int64_t interval_ms)
{
	struct series *s = series_new(interval_ms);
	assert_non_null(s);
	return s;
}

static void
assert_bucket(const struct series_bucket *b, int64_t t, double min, double avg, double max,
    size_t n)
{
	assert_int_equal(b->t_ms, t);
	assert_true(b->min == min);
	assert_true(b->avg == avg);
	assert_true(b->max == max);
	assert_int_equal(b->n, n);
}

/* ---- fine ring --------------------------------------------------------- */

static void
test_fine_wraparound(void **state)
{
	(void)state;
	struct series *s = new_series(1000);
	assert_int_equal(series_fine_slots(s), 600);
	for (int i = 0; i < 1000; i++)
		add_one(s, B0 + i * 1000LL, SERIES_TREE_RSS, 1000.0 + i);
	static struct series_point p[1000];
	size_t n = series_fine(s, SERIES_TREE_RSS, INT64_MIN, p, 1000);
	assert_int_equal(n, 600);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(p[i].t_ms, B0 + (int64_t)(400 + i) * 1000);
		assert_true(p[i].v == 1400.0 + (double)i);
	}
	/* Other metrics kept their own values in the same slots. */
	n = series_fine(s, SERIES_IO_WRITE, INT64_MIN, p, 1000);
	assert_int_equal(n, 600);
	assert_true(p[0].v == SERIES_IO_WRITE);
	assert_int_equal(p[0].t_ms, B0 + 400000);
	/* cap smaller than what matches: the newest cap, oldest first. */
	n = series_fine(s, SERIES_TREE_RSS, INT64_MIN, p, 10);
	assert_int_equal(n, 10);
	assert_true(p[0].v == 1990.0);
	assert_true(p[9].v == 1999.0);
	assert_int_equal(p[9].t_ms, B0 + 999000);
	/* Exactly one full ring more: still the newest 600, in order. */
	for (int i = 1000; i < 1600; i++)
		add_one(s, B0 + i * 1000LL, SERIES_TREE_RSS, 1000.0 + i);
	n = series_fine(s, SERIES_TREE_RSS, INT64_MIN, p, 1000);
	assert_int_equal(n, 600);
	assert_true(p[0].v == 2000.0);
	assert_true(p[599].v == 2599.0);
	series_free(s);
}

static void
test_fine_partial_and_since(void **state)
{
	(void)state;
	struct series *s = new_series(1000);
	struct series_point p[700];
	assert_int_equal(series_fine(s, SERIES_CPU, INT64_MIN, p, 700), 0);
	for (int i = 0; i < 100; i++)
		add_one(s, B0 + i * 1000LL, SERIES_CPU, i * 0.5);
	assert_int_equal(series_fine(s, SERIES_CPU, INT64_MIN, p, 700), 100);
	assert_true(p[0].v == 0.0);
	assert_true(p[99].v == 49.5);
	/* since is inclusive. */
	size_t n = series_fine(s, SERIES_CPU, B0 + 95000, p, 700);
	assert_int_equal(n, 5);
	assert_int_equal(p[0].t_ms, B0 + 95000);
	assert_true(p[0].v == 47.5);
	n = series_fine(s, SERIES_CPU, B0 + 94999, p, 700);
	assert_int_equal(n, 5);
	n = series_fine(s, SERIES_CPU, B0 + 94000, p, 700);
	assert_int_equal(n, 6);
	/* since plus cap: newest of those after since. */
	n = series_fine(s, SERIES_CPU, B0 + 90000, p, 3);
	assert_int_equal(n, 3);
	assert_int_equal(p[0].t_ms, B0 + 97000);
	assert_int_equal(series_fine(s, SERIES_CPU, B0 + 99001, p, 700), 0);
	/* Bad arguments write nothing. */
	assert_int_equal(series_fine(s, SERIES_CPU, INT64_MIN, p, 0), 0);
	assert_int_equal(series_fine(s, SERIES_CPU, INT64_MIN, NULL, 10), 0);
	assert_int_equal(series_fine(s, SERIES_METRICS, INT64_MIN, p, 10), 0);
	assert_int_equal(series_fine(s, (enum series_metric)-1, INT64_MIN, p, 10), 0);
	series_free(s);
}

/* ---- NAN --------------------------------------------------------------- */

static void
test_nan_skipped(void **state)
{
	(void)state;
	struct series *s = new_series(1000);
	/* One bucket: 4, NAN, 8, NAN, 3, +inf (no value either). */
	const double cpu[] = {4, NAN, 8, NAN, 3, INFINITY};
	for (int i = 0; i < 6; i++)
		add_one(s, B0 + i * 1000LL, SERIES_CPU, cpu[i]);
	struct series_point p[10];
	size_t n = series_fine(s, SERIES_CPU, INT64_MIN, p, 10);
	assert_int_equal(n, 3);
	assert_int_equal(p[0].t_ms, B0);
	assert_int_equal(p[1].t_ms, B0 + 2000);
	assert_int_equal(p[2].t_ms, B0 + 4000);
	assert_true(p[2].v == 3.0);
	/* cap counts points, not slots: the two newest values skip the NANs between. */
	n = series_fine(s, SERIES_CPU, INT64_MIN, p, 2);
	assert_int_equal(n, 2);
	assert_true(p[0].v == 8.0 && p[1].v == 3.0);
	struct series_bucket b[4];
	n = series_coarse(s, SERIES_CPU, INT64_MIN, b, 4);
	assert_int_equal(n, 1);
	assert_bucket(&b[0], B0, 3, 5, 8, 3);
	/* The other metrics had a value every time. */
	n = series_coarse(s, SERIES_RSS, INT64_MIN, b, 4);
	assert_int_equal(n, 1);
	assert_bucket(&b[0], B0, SERIES_RSS, SERIES_RSS, SERIES_RSS, 6);
	/* The newest sample had no value. */
	assert_true(isnan(series_last(s, SERIES_CPU)));
	assert_true(series_last(s, SERIES_RSS) == SERIES_RSS);

	/* A bucket of NAN only (the process was down) is not returned, the next one is. */
	for (int i = 0; i < 5; i++)
		add_all(s, B0 + 300000 + i * 1000LL, NAN);
	add_all(s, B0 + 600000, 7);
	n = series_coarse(s, SERIES_CPU, INT64_MIN, b, 4);
	assert_int_equal(n, 2);
	assert_int_equal(b[0].t_ms, B0);
	assert_bucket(&b[1], B0 + 600000, 7, 7, 7, 1);
	n = series_fine(s, SERIES_CPU, B0 + 1, p, 10);
	assert_int_equal(n, 3);
	assert_int_equal(p[2].t_ms, B0 + 600000);
	series_free(s);
}

/* ---- coarse buckets ---------------------------------------------------- */

static void
test_bucket_alignment(void **state)
{
	(void)state;
	struct series *s = new_series(1000);
	/* 1 ms before B0: the bucket before. */
	add_one(s, B0 - 1, SERIES_IO_READ, 100);
	/* Bucket B0: 1, 2, 6 at its start, middle and last millisecond. */
	add_one(s, B0, SERIES_IO_READ, 2);
	add_one(s, B0 + 150000, SERIES_IO_READ, 1);
	add_one(s, B0 + 299999, SERIES_IO_READ, 6);
	/* Bucket B0 + 5 min: 10, then 0.25. */
	add_one(s, B0 + 300000, SERIES_IO_READ, 10);
	add_one(s, B0 + 301000, SERIES_IO_READ, 0.25);
	struct series_bucket b[8];
	size_t n = series_coarse(s, SERIES_IO_READ, INT64_MIN, b, 8);
	assert_int_equal(n, 3);
	assert_bucket(&b[0], B0 - 300000, 100, 100, 100, 1);
	assert_bucket(&b[1], B0, 1, 3, 6, 3);
	assert_bucket(&b[2], B0 + 300000, 0.25, 5.125, 10, 2);
	/* since: a bucket is given when it ends after since. */
	n = series_coarse(s, SERIES_IO_READ, B0 + 300000, b, 8);
	assert_int_equal(n, 1);
	assert_int_equal(b[0].t_ms, B0 + 300000);
	n = series_coarse(s, SERIES_IO_READ, B0 + 299999, b, 8);
	assert_int_equal(n, 2);
	assert_int_equal(b[0].t_ms, B0);
	n = series_coarse(s, SERIES_IO_READ, B0 - 300000, b, 8);
	assert_int_equal(n, 3);
	/* cap: the newest. */
	n = series_coarse(s, SERIES_IO_READ, INT64_MIN, b, 1);
	assert_int_equal(n, 1);
	assert_int_equal(b[0].t_ms, B0 + 300000);
	/* A bucket before the epoch is aligned too (floor, not truncation). */
	struct series *e = new_series(1000);
	add_all(e, -1, 9);
	n = series_coarse(e, SERIES_CPU, INT64_MIN, b, 8);
	assert_int_equal(n, 1);
	assert_int_equal(b[0].t_ms, -300000);
	series_free(e);
	series_free(s);
}

static void
test_horizon_24h(void **state)
{
	(void)state;
	struct series *s = new_series(60000);
	assert_int_equal(series_fine_slots(s), 60);
	static struct series_bucket b[400];
	/* 30 hours, one sample a minute, value = minute number. */
	const int minutes = 30 * 60;
	for (int i = 0; i < minutes; i++) {
		add_one(s, B0 + i * MIN_MS, SERIES_CPU, i);
		size_t n = series_coarse(s, SERIES_CPU, INT64_MIN, b, 400);
		size_t want = (size_t)i / 5 + 1;
		assert_int_equal(n, want < SERIES_BUCKETS ? want : SERIES_BUCKETS);
	}
	size_t n = series_coarse(s, SERIES_CPU, INT64_MIN, b, 400);
	assert_int_equal(n, 288);
	/* The newest bucket holds minutes 1795..1799, the oldest 287 buckets before it. */
	int64_t newest = B0 + 359 * 300000LL;
	assert_bucket(&b[287], newest, 1795, 1797, 1799, 5);
	assert_bucket(&b[0], newest - 287 * 300000LL, 360, 362, 364, 5);
	for (size_t i = 1; i < n; i++)
		assert_int_equal(b[i].t_ms - b[i - 1].t_ms, 300000);
	/* The fine ring: the last hour (60 slots). */
	struct series_point p[100];
	assert_int_equal(series_fine(s, SERIES_CPU, INT64_MIN, p, 100), 60);
	assert_true(p[0].v == 1740.0);

	/* A 10-hour gap after the next minute (the engine was suspended): the
	 * new bucket is 121 positions on, so the 167 old buckets within 287
	 * positions of it are still given, the older ones no longer. */
	add_one(s, B0 + minutes * MIN_MS + 10 * HOUR_MS, SERIES_CPU, -1);
	n = series_coarse(s, SERIES_CPU, INT64_MIN, b, 400);
	int64_t after = newest + 121 * 300000LL;
	assert_int_equal(n, 167 + 1);
	assert_bucket(&b[0], after - 287 * 300000LL, 965, 967, 969, 5);
	assert_bucket(&b[166], newest, 1795, 1797, 1799, 5);
	assert_bucket(&b[167], after, -1, -1, -1, 1);
	/* More than 24 hours later: the slot of an old bucket is reused, not merged. */
	add_one(s, after + 24 * HOUR_MS, SERIES_CPU, 42);
	n = series_coarse(s, SERIES_CPU, INT64_MIN, b, 400);
	assert_int_equal(n, 1);
	assert_bucket(&b[0], after + 24 * HOUR_MS, 42, 42, 42, 1);
	/* Exactly 287 positions on: the old bucket is the oldest still given. */
	add_one(s, after + 24 * HOUR_MS + 287 * 300000LL, SERIES_CPU, 43);
	n = series_coarse(s, SERIES_CPU, INT64_MIN, b, 400);
	assert_int_equal(n, 2);
	assert_bucket(&b[0], after + 24 * HOUR_MS, 42, 42, 42, 1);
	add_one(s, after + 24 * HOUR_MS + 288 * 300000LL, SERIES_CPU, 44);
	n = series_coarse(s, SERIES_CPU, INT64_MIN, b, 400);
	assert_int_equal(n, 2);
	assert_bucket(&b[0], after + 24 * HOUR_MS + 287 * 300000LL, 43, 43, 43, 1);
	series_free(s);
}

/* ---- order, clamping, precision ---------------------------------------- */

static void
test_out_of_order(void **state)
{
	(void)state;
	struct series *s = new_series(1000);
	assert_true(isnan(series_last(s, SERIES_CPU)));
	assert_int_equal(series_last_ms(s), INT64_MIN);
	add_all(s, B0 + 2000, 2);
	add_all(s, B0 + 1000, 99);    /* older: ignored */
	add_all(s, B0 - 600000, 98);  /* older, another bucket: ignored */
	assert_true(series_last(s, SERIES_TREE_CPU) == 2.0);
	assert_int_equal(series_last_ms(s), B0 + 2000);
	add_all(s, B0 + 2000, 5);     /* the same time: kept */
	struct series_point p[10];
	size_t n = series_fine(s, SERIES_CPU, INT64_MIN, p, 10);
	assert_int_equal(n, 2);
	assert_true(p[0].v == 2.0 && p[1].v == 5.0);
	struct series_bucket b[4];
	n = series_coarse(s, SERIES_CPU, INT64_MIN, b, 4);
	assert_int_equal(n, 1);
	assert_bucket(&b[0], B0, 2, 3.5, 5, 2);
	/* NULL values or series: nothing happens. */
	series_add(s, B0 + 3000, NULL);
	series_add(NULL, B0 + 3000, (const double[SERIES_METRICS]){0});
	assert_int_equal(series_last_ms(s), B0 + 2000);
	series_free(s);
}

static void
test_interval_clamp(void **state)
{
	(void)state;
	static const struct {
		int64_t interval;
		size_t slots;
	} cases[] = {
		{1, 3600}, {10, 3600}, {166, 3600}, {167, 3592}, {250, 2400},
		{1000, 600}, {5000, 120}, {10000, 60}, {60000, 60}, {INT64_MAX, 60},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct series *s = new_series(cases[i].interval);
		assert_int_equal(series_fine_slots(s), cases[i].slots);
		series_free(s);
	}
	errno = 0;
	assert_null(series_new(0));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(series_new(-1000));
	assert_int_equal(errno, EINVAL);
}

static void
test_float_precision(void **state)
{
	(void)state;
	struct series *s = new_series(1000);
	/* 1 GiB + 1: float keeps 24 bits, so the byte is lost (documented). */
	add_one(s, B0, SERIES_RSS, 1073741825.0);
	assert_true(series_last(s, SERIES_RSS) == 1073741824.0);
	/* Beyond float's range: clamped, not infinite. */
	add_one(s, B0 + 1000, SERIES_RSS, 1e300);
	assert_true(series_last(s, SERIES_RSS) == (double)FLT_MAX);
	/* The average is summed in double: 2^24, 1, 1 average to 5592406
	 * exactly, where a float sum would lose both ones. */
	struct series *t = new_series(1000);
	add_one(t, B0, SERIES_CPU, 16777216.0);
	add_one(t, B0 + 1000, SERIES_CPU, 1);
	add_one(t, B0 + 2000, SERIES_CPU, 1);
	struct series_bucket b[2];
	assert_int_equal(series_coarse(t, SERIES_CPU, INT64_MIN, b, 2), 1);
	assert_bucket(&b[0], B0, 1, 5592406.0, 16777216.0, 3);
	series_free(t);
	series_free(s);
}

/* ---- names, memory, NULL ----------------------------------------------- */

static void
test_names(void **state)
{
	(void)state;
	static const char *const want[SERIES_METRICS] = {
		"cpu", "tree_cpu", "rss", "tree_rss", "io_read", "io_write",
	};
	for (int m = 0; m < SERIES_METRICS; m++) {
		const char *name = series_metric_name((enum series_metric)m);
		assert_non_null(name);
		assert_string_equal(name, want[m]);
		assert_int_equal(series_metric_from_name(name), m);
	}
	assert_null(series_metric_name(SERIES_METRICS));
	assert_null(series_metric_name((enum series_metric)-1));
	assert_int_equal(series_metric_from_name("CPU"), -1);
	assert_int_equal(series_metric_from_name("cpu "), -1);
	assert_int_equal(series_metric_from_name(""), -1);
	assert_int_equal(series_metric_from_name(NULL), -1);
}

static void
test_bytes(void **state)
{
	(void)state;
	struct series *s = new_series(1000);
	size_t before = series_bytes(s);
	/* The fine ring (600 slots of one stamp and 6 floats) and 288 buckets
	 * (a start and 6 x min/avg/max/n) are the bulk; the rest is a few fields. */
	size_t floor_bytes = 600 * (8 + 6 * 4) + 288 * (8 + 6 * 16);
	assert_true(before >= floor_bytes);
	assert_true(before < floor_bytes + 256);
	for (int i = 0; i < 100000; i++)
		add_all(s, B0 + i * 1000LL, i);
	assert_int_equal(series_bytes(s), before);
	/* Only the fine ring depends on the interval. */
	struct series *fine = new_series(10);
	struct series *coarse = new_series(60000);
	assert_int_equal(series_bytes(fine) - before, (3600 - 600) * 32);
	assert_int_equal(before - series_bytes(coarse), (600 - 60) * 32);
	print_message("series memory per process: %zu bytes at 1 s (%.1f KiB), %zu at <= 166 ms, "
	    "%zu at >= 10 s\n", before, before / 1024.0, series_bytes(fine),
	    series_bytes(coarse));
	series_free(fine);
	series_free(coarse);
	series_free(s);
}

static void
test_null_safe(void **state)
{
	(void)state;
	series_free(NULL);
	struct series_point p[1];
	struct series_bucket b[1];
	assert_int_equal(series_fine(NULL, SERIES_CPU, 0, p, 1), 0);
	assert_int_equal(series_coarse(NULL, SERIES_CPU, 0, b, 1), 0);
	assert_true(isnan(series_last(NULL, SERIES_CPU)));
	assert_int_equal(series_last_ms(NULL), INT64_MIN);
	assert_int_equal(series_bytes(NULL), 0);
	assert_int_equal(series_fine_slots(NULL), 0);
	/* An empty series answers nothing. */
	struct series *s = new_series(1000);
	assert_int_equal(series_coarse(s, SERIES_CPU, INT64_MIN, b, 1), 0);
	assert_true(isnan(series_last(s, SERIES_METRICS)));
	series_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fine_wraparound),
		cmocka_unit_test(test_fine_partial_and_since),
		cmocka_unit_test(test_nan_skipped),
		cmocka_unit_test(test_bucket_alignment),
		cmocka_unit_test(test_horizon_24h),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_interval_clamp),
		cmocka_unit_test(test_float_precision),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_null_safe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
