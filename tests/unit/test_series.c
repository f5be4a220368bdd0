/*
 * test_series — the metric history under synthetic clocks: the fine ring
 * after wrap-around, since filtering and the newest-cap rule, NAN and other
 * non-finite values skipped, 5-minute bucket alignment with exact
 * min/avg/max, the 24-hour horizon over 30 hours of samples and across
 * gaps (a reused slot is never merged with what it held), out-of-order
 * samples, slot clamping, float precision, names both ways; then every
 * answer against a plain reference that keeps every sample (an idle
 * process over 25 hours, random values of every kind, irregular stamps,
 * jitter and gaps, the ring's boundary) and the memory held: an idle
 * process's under 4 KiB, a busy one's under the bound (figures printed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/series.h"

#define B0 1795512000000LL /* 2026-11-24T09:20:00Z, a multiple of 5 minutes */
#define MIN_MS 60000LL
#define HOUR_MS (60 * MIN_MS)
/* series.c's bound at a 1 s interval: its struct (928 bytes on x86-64)
 * and the two buffers at their limits, 600 fine frames of 279 bits and
 * 287 sealed buckets of 909 bits (20,934 and 32,620 bytes). */
#define BOUND_1S 54482
#define OLD_BYTES_1S 49272 /* the fixed rings before the streams, at 1 s */
#define IDLE_BOUND 4096    /* an idle process at 1 s, after 10 minutes and after 24 hours */

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

/* Buckets before the fine points: every one that starts before the first point, so no gap. */
static void
test_coarse_before(void **state)
{
	(void)state;
	struct series *s = new_series(1000);
	/* 22.5 minutes, one sample a second: the fine ring holds the last 10. */
	for (int64_t t = B0; t < B0 + 1350000; t += 1000)
		add_all(s, t, 1);
	struct series_point p[SERIES_FINE_MAX];
	size_t np = series_fine(s, SERIES_CPU, INT64_MIN, p, SERIES_FINE_MAX);
	assert_true(np > 0);
	int64_t from = p[0].t_ms;
	assert_true(from > B0 + 600000 && from < B0 + 900000); /* mid-bucket */
	struct series_bucket b[8];
	size_t nb = series_coarse(s, SERIES_CPU, INT64_MIN, b, 8);
	assert_int_equal(nb, 5);
	size_t k = series_coarse_before(b, nb, from);
	assert_int_equal(k, 3); /* B0, B0 + 5 min, and the one the fine points start in */
	assert_true(b[k - 1].t_ms + 300000 > from);
	assert_int_equal(series_coarse_before(b, nb, b[1].t_ms), 1);
	assert_int_equal(series_coarse_before(b, nb, INT64_MAX), nb); /* no fine points */
	assert_int_equal(series_coarse_before(b, 0, from), 0);
	/* The newest sample the fine ring let go: just before its first point. */
	assert_true(series_fine_dropped_ms(s) < from);
	assert_int_equal(series_fine_dropped_ms(s), from - 1000);
	series_free(s);
	/* A young series: its fine ring holds all of it, nothing was let go. */
	s = new_series(1000);
	assert_true(series_fine_dropped_ms(s) == INT64_MIN);
	for (int64_t t = B0; t < B0 + 600000; t += 1000)
		add_all(s, t, 1);
	assert_true(series_fine_dropped_ms(s) == INT64_MIN); /* 600 samples, 600 slots */
	add_all(s, B0 + 600000, 1);
	assert_int_equal(series_fine_dropped_ms(s), B0);
	series_free(s);
}

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

/* ---- a reference: every sample kept, the answers computed plainly ------ */

#define REF_MAX (26 * 3600 + 4000) /* samples, more than 26 hours at 1 s */

/* Every sample the series took, as it stores them. */
struct ref {
	size_t nslots;                 /* the series' fine slots */
	size_t n;                      /* samples */
	int64_t t[REF_MAX];
	float v[REF_MAX][SERIES_METRICS];
};

static struct ref ref_data;

/* A reference for s, empty. */
static struct ref *
ref_new(const struct series *s)
{
	ref_data.nslots = series_fine_slots(s);
	ref_data.n = 0;
	return &ref_data;
}

/* Adds a sample to the series and to the reference, which keeps it when the series should. */
static void
ref_add(struct series *s, struct ref *r, int64_t t, const double v[SERIES_METRICS])
{
	series_add(s, t, v);
	if (r->n > 0 && t < r->t[r->n - 1])
		return;
	assert_true(r->n < REF_MAX);
	r->t[r->n] = t;
	for (int m = 0; m < SERIES_METRICS; m++) {
		double x = v[m];
		r->v[r->n][m] = !isfinite(x) ? NAN : x > FLT_MAX ? FLT_MAX : x < -FLT_MAX ? -FLT_MAX
		    : (float)x;
	}
	r->n++;
}

/* Bucket index of t (floor). */
static int64_t
ref_bucket(int64_t t)
{
	return t / 300000 - (t % 300000 < 0);
}

/* Bit-equal doubles (tells -0 from 0). */
static bool
same(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}

/* series_fine against the plain answer: the last nslots samples, t >= since, with a value, newest cap. */
static void
ref_check_fine(const struct series *s, const struct ref *r, enum series_metric m, int64_t since,
    size_t cap)
{
	static struct series_point got[SERIES_FINE_MAX], want[SERIES_FINE_MAX];
	size_t nw = 0;
	for (size_t i = r->n > r->nslots ? r->n - r->nslots : 0; i < r->n; i++)
		if (r->t[i] >= since && !isnan(r->v[i][m]))
			want[nw++] = (struct series_point){r->t[i], r->v[i][m]};
	size_t skip = nw > cap ? nw - cap : 0;
	size_t n = series_fine(s, m, since, got, cap);
	assert_int_equal(n, nw - skip);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(got[i].t_ms, want[skip + i].t_ms);
		assert_true(same(got[i].v, want[skip + i].v));
	}
}

/* series_coarse against the plain answer: every bucket of the last 288 positions with a value. */
static void
ref_check_coarse(const struct series *s, const struct ref *r, enum series_metric m, int64_t since,
    size_t cap)
{
	static struct series_bucket got[SERIES_BUCKETS + 100], want[SERIES_BUCKETS];
	static double sum[SERIES_BUCKETS];
	size_t nw = 0;
	if (r->n > 0) {
		int64_t first = ref_bucket(r->t[r->n - 1]) - (SERIES_BUCKETS - 1);
		memset(want, 0, sizeof(want));
		for (size_t i = 0; i < r->n; i++) {
			float x = r->v[i][m];
			int64_t k = ref_bucket(r->t[i]) - first;
			if (k < 0 || isnan(x))
				continue;
			struct series_bucket *b = &want[k];
			if (b->n == 0 || x < b->min)
				b->min = x;
			if (b->n == 0 || x > b->max)
				b->max = x;
			sum[k] = (b->n == 0 ? 0.0 : sum[k]) + x; /* as series.c sums: 0 + -0 is 0 */
			b->n++;
			b->avg = (float)(sum[k] / (double)b->n);
		}
		for (int64_t k = 0; k < SERIES_BUCKETS; k++) {
			int64_t start = (first + k) * 300000;
			if (want[k].n > 0 && start + 300000 > since) {
				want[nw] = want[k];
				want[nw++].t_ms = start;
			}
		}
	}
	size_t skip = nw > cap ? nw - cap : 0;
	size_t n = series_coarse(s, m, since, got, cap);
	assert_int_equal(n, nw - skip);
	for (size_t i = 0; i < n; i++) {
		const struct series_bucket *g = &got[i], *w = &want[skip + i];
		assert_int_equal(g->t_ms, w->t_ms);
		assert_true(same(g->min, w->min) && same(g->avg, w->avg) && same(g->max, w->max));
		assert_int_equal(g->n, w->n);
	}
}

/* Every answer of s against the reference, for several since and cap. */
static void
ref_check(const struct series *s, const struct ref *r)
{
	int64_t last = r->n > 0 ? r->t[r->n - 1] : 0;
	const int64_t since[] = {INT64_MIN, last - 5 * MIN_MS, last - 3 * HOUR_MS,
		r->n > 0 ? r->t[r->n / 2] : 0, last + 1};
	/* More than the ring and the 288 buckets hold, few, one. */
	const size_t caps[] = {SERIES_FINE_MAX, 7, 1};
	for (int m = 0; m < SERIES_METRICS; m++) {
		for (size_t i = 0; i < sizeof(since) / sizeof(since[0]); i++) {
			for (size_t j = 0; j < sizeof(caps) / sizeof(caps[0]); j++) {
				ref_check_fine(s, r, (enum series_metric)m, since[i], caps[j]);
				size_t cap = caps[j] < SERIES_BUCKETS ? caps[j] : SERIES_BUCKETS + 100;
				ref_check_coarse(s, r, (enum series_metric)m, since[i], cap);
			}
		}
		double want = r->n > 0 ? r->v[r->n - 1][m] : NAN;
		assert_true(same(series_last(s, (enum series_metric)m), want));
	}
	assert_int_equal(series_last_ms(s), r->n > 0 ? r->t[r->n - 1] : INT64_MIN);
}

/* A deterministic generator (xorshift64*). */
static uint64_t
rnd(void)
{
	static uint64_t x = 0x9e3779b97f4a7c15u;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	return x * 0x2545f4914f6cdd1du;
}

/* An integer in [-k, k]. */
static int64_t
jitter(int64_t k)
{
	return (int64_t)(rnd() % (uint64_t)(2 * k + 1)) - k;
}

/* ---- against the reference --------------------------------------------- */

/* An idle process: the same six values every second, a few ms of jitter. */
static void
idle_day(int64_t phase, size_t *bytes_10min, size_t *bytes_day)
{
	struct series *s = new_series(1000);
	struct ref *r = ref_new(s);
	const double v[SERIES_METRICS] = {0.25, 1.5, 7340032, 25165824, 0, 0};
	for (int64_t i = 0; i < 25 * 3600; i++) {
		ref_add(s, r, B0 + phase + i * 1000 + jitter(3), v);
		if (i == 601 || i == 11 * 60)
			ref_check(s, r);
		if (i == 600)
			*bytes_10min = series_bytes(s);
		if (i == 24 * 3600)
			*bytes_day = series_bytes(s);
	}
	ref_check(s, r);
	series_free(s);
}

static void
test_idle_constant(void **state)
{
	(void)state;
	/* Samples half a second off the 5-minute marks, and on them (jitter
	 * then moves one sample across a bucket's edge now and then: counts of
	 * 299, 300 and 301). */
	size_t off10, offday, on10, onday;
	idle_day(437, &off10, &offday);
	idle_day(0, &on10, &onday);
	assert_true(off10 <= IDLE_BOUND && offday <= IDLE_BOUND);
	assert_true(on10 <= IDLE_BOUND && onday <= IDLE_BOUND);
	assert_true(offday <= off10); /* nothing grew with uptime */
	print_message("idle series: %zu bytes after 10 min, %zu after 24 h (%zu and %zu with "
	    "samples on the bucket edges)\n", off10, offday, on10, onday);
}

/* A value of every kind: any float's bits, negative, huge, denormal, zeros, NAN, infinities. */
static double
any_value(void)
{
	uint64_t k = rnd();
	float f;
	uint32_t bits = (uint32_t)(k >> 32);
	switch (k % 10) {
	case 0:
		memcpy(&f, &bits, sizeof(f)); /* NAN or infinite when the exponent is all ones */
		return f;
	case 1:
		return -(double)(bits % 100000) / 7;
	case 2:
		return 1e300 * ((k & 16) ? 1 : -1);
	case 3:
		return ldexp((double)(bits % 1000 + 1), -140); /* a float denormal */
	case 4:
		return (k & 16) ? 0.0 : -0.0;
	case 5:
		return (k & 16) ? NAN : -INFINITY;
	case 6:
		return (double)FLT_MAX * 2;
	default:
		return (double)bits * 4096; /* an RSS-like figure */
	}
}

/* A second after prev, ±5 ms (the first at B0 and a bit). */
static int64_t
stamp_steady(int64_t prev, int i, int n)
{
	(void)n;
	return i == 0 ? B0 + 123 : prev + 1000 + jitter(5);
}

/* Steps of every size (0, ms, minutes, years) from the earliest stamp taken, the last at the latest. */
static int64_t
stamp_irregular(int64_t prev, int i, int n)
{
	if (i == 0)
		return INT64_MIN / 2;
	if (i == n - 1)
		return INT64_MAX / 2;
	uint64_t k = rnd();
	return prev + (int64_t)(k % ((UINT64_C(1) << (k >> 58) % 44) + 1)); /* < 2^43 ms */
}

/*
 * Feeds a 1 s series and the reference n samples of random values at the
 * stamps stamp() gives; compares every answer after the ring fills, every
 * `every` samples and at the end. Returns the most bytes the series held.
 */
static size_t
random_run(int n, int64_t (*stamp)(int64_t prev, int i, int n), int every)
{
	struct series *s = new_series(1000);
	struct ref *r = ref_new(s);
	size_t most = 0;
	int64_t t = 0;
	for (int i = 0; i < n; i++) {
		double v[SERIES_METRICS];
		for (int m = 0; m < SERIES_METRICS; m++)
			v[m] = any_value();
		ref_add(s, r, t = stamp(t, i, n), v);
		if (series_bytes(s) > most)
			most = series_bytes(s);
		if (i == 599 || i == 600 || i % every == 0)
			ref_check(s, r);
	}
	ref_check(s, r);
	series_free(s);
	return most;
}

static void
test_busy_random(void **state)
{
	(void)state;
	size_t most = random_run(25 * 3600, stamp_steady, 3 * 3600);
	assert_true(most <= BOUND_1S);
	print_message("busy series (random values): at most %zu bytes (bound %d, old fixed rings %d)\n",
	    most, BOUND_1S, OLD_BYTES_1S);
}

static void
test_irregular_stamps(void **state)
{
	(void)state;
	/* The longest codes: the bound still holds. */
	size_t most = random_run(20000, stamp_irregular, 2500);
	assert_true(most <= BOUND_1S);
	print_message("irregular stamps: at most %zu bytes\n", most);
}

static void
test_jitter_and_gaps(void **state)
{
	(void)state;
	struct series *s = new_series(1000);
	struct ref *r = ref_new(s);
	double v[SERIES_METRICS];
	int64_t t = B0 - 7 * MIN_MS;
	/* 20 minutes of values, ±50 ms of jitter, now and then a repeated stamp. */
	for (int i = 0; i < 20 * 60; i++) {
		for (int m = 0; m < SERIES_METRICS; m++)
			v[m] = m * 100 + i % 17;
		v[SERIES_IO_WRITE] = i % 5 == 0 ? NAN : i; /* one metric without a value at times */
		t += i % 97 == 0 ? 0 : 1000 + jitter(50);
		ref_add(s, r, t, v);
	}
	ref_check(s, r);
	/* The process stopped for an hour: samples without values. */
	for (int m = 0; m < SERIES_METRICS; m++)
		v[m] = NAN;
	for (int i = 0; i < 3600; i++)
		ref_add(s, r, t += 1000 + jitter(3), v);
	ref_check(s, r);
	/* Values again for 15 minutes, an older sample (ignored), then no
	 * samples for an hour (the engine suspended) and 20 minutes more. */
	for (int i = 0; i < 15 * 60; i++) {
		for (int m = 0; m < SERIES_METRICS; m++)
			v[m] = -m - i * 0.001;
		ref_add(s, r, t += 1000 + jitter(3), v);
	}
	ref_add(s, r, t - 5000, v);
	ref_check(s, r);
	t += HOUR_MS;
	for (int i = 0; i < 20 * 60; i++) {
		for (int m = 0; m < SERIES_METRICS; m++)
			v[m] = m + i;
		ref_add(s, r, t += 1000 + jitter(3), v);
		if (i == 0 || i == 599)
			ref_check(s, r);
	}
	ref_check(s, r);
	/* A gap of three days: only what came after it. */
	ref_add(s, r, t += 72 * HOUR_MS, v);
	ref_check(s, r);
	series_free(s);
}

static void
test_window_boundary(void **state)
{
	(void)state;
	/* At every ring length: full, the oldest sample is still there; one more, exactly it is gone. */
	const int64_t intervals[] = {1000, 10000, 166, 250};
	static struct series_point p[SERIES_FINE_MAX];
	for (size_t k = 0; k < sizeof(intervals) / sizeof(intervals[0]); k++) {
		struct series *s = new_series(intervals[k]);
		size_t slots = series_fine_slots(s);
		for (size_t i = 0; i < slots; i++)
			add_one(s, B0 + (int64_t)i * intervals[k], SERIES_RSS, (double)i);
		assert_int_equal(series_fine(s, SERIES_RSS, INT64_MIN, p, SERIES_FINE_MAX), slots);
		assert_int_equal(p[0].t_ms, B0);
		assert_true(p[0].v == 0.0);
		add_one(s, B0 + (int64_t)slots * intervals[k], SERIES_RSS, (double)slots);
		assert_int_equal(series_fine(s, SERIES_RSS, INT64_MIN, p, SERIES_FINE_MAX), slots);
		assert_int_equal(p[0].t_ms, B0 + intervals[k]);
		assert_true(p[0].v == 1.0);
		assert_true(p[slots - 1].v == (double)slots);
		/* since at the oldest sample's stamp includes it, one ms later not. */
		assert_int_equal(series_fine(s, SERIES_RSS, B0 + intervals[k], p, SERIES_FINE_MAX), slots);
		assert_int_equal(series_fine(s, SERIES_RSS, B0 + intervals[k] + 1, p, SERIES_FINE_MAX),
		    slots - 1);
		series_free(s);
	}
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
	/* series_bytes is what the series holds now: the struct and its two
	 * streams' buffers, which start at a byte per frame they may hold
	 * (what an idle process's frames take) and grow as they need. */
	struct series *s = new_series(1000);
	struct series *fine = new_series(10);
	struct series *coarse = new_series(60000);
	size_t empty = series_bytes(s);
	assert_true(empty <= IDLE_BOUND);
	assert_int_equal(series_bytes(fine) - empty, 3600 - 600);
	assert_int_equal(empty - series_bytes(coarse), 600 - 60);
	/* 100,000 samples of changing values (i, a float of every 24-bit integer):
	 * within the bound, and below the old fixed rings (49,272 bytes). */
	for (int i = 0; i < 100000; i++)
		add_all(s, B0 + i * 1000LL, i);
	assert_true(series_bytes(s) <= BOUND_1S);
	assert_true(series_bytes(s) < OLD_BYTES_1S);
	print_message("series memory per process: %zu bytes empty, %zu after 100000 samples of a "
	    "counter at 1 s (old fixed rings: %d; bound %d)\n", empty, series_bytes(s),
	    OLD_BYTES_1S, BOUND_1S);
	/* Idle for 10 minutes: the fine ring's buffer shrinks back; for 24
	 * hours more: the buckets' too. */
	int64_t t = B0 + 100000 * 1000LL;
	size_t busy = series_bytes(s);
	for (int i = 0; i < 11 * 60; i++)
		add_all(s, t += 1000, 5);
	assert_true(series_bytes(s) + 6000 < busy);
	for (int i = 0; i < 24 * 3600; i++)
		add_all(s, t += 1000, 5);
	assert_true(series_bytes(s) <= IDLE_BOUND);
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
		cmocka_unit_test(test_coarse_before),
		cmocka_unit_test(test_bucket_alignment),
		cmocka_unit_test(test_horizon_24h),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_interval_clamp),
		cmocka_unit_test(test_float_precision),
		cmocka_unit_test(test_idle_constant),
		cmocka_unit_test(test_busy_random),
		cmocka_unit_test(test_irregular_stamps),
		cmocka_unit_test(test_jitter_and_gaps),
		cmocka_unit_test(test_window_boundary),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_null_safe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
