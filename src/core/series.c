/*
 * series — owns one process's metric history: the fine ring (one int64
 * stamp per slot shared by all metrics, one float per metric per slot) and
 * the 288 coarse buckets (start, then min/avg/max/count per metric).
 *
 * Memory per process at a 1 s interval: 49 272 bytes (48.1 KiB) on x86-64,
 * as series_bytes reports it (test_series prints it): 600 fine slots of
 * 8 + 6 * 4 = 32 bytes (19 200) and the struct with its 288 buckets of
 * 8 + 6 * 16 = 104 bytes (29 952) inline. At the finest interval (<= 166 ms,
 * 3600 slots) it is 145 272 bytes; at >= 10 s (60 slots) 31 992.
 *
 * Everything is allocated by series_new, in one anonymous mapping (the
 * struct with its buckets, then the fine ring), and never afterwards. The
 * kernel hands out its pages zeroed on first touch, and a fine slot holds
 * its stamp and its values together, so pages become resident as the
 * rings fill: about 12 KiB per process at first (the struct, the first
 * slots, the current bucket), the whole after 10 minutes and 24 hours. On
 * the heap (calloc), the whole was resident at once — 4.9 MB for 100
 * processes before their first sample.
 *
 * Precision: values are stored as float (24-bit mantissa: relative error at
 * most 2^-24, about 6e-8; an RSS of 1 GiB is exact to 64 bytes, a CPU
 * percentage to about 1e-5). A value beyond FLT_MAX is stored as ±FLT_MAX.
 * The bucket still filling sums its samples in a double, so its average
 * is rounded to float once, not once per sample.
 *
 * Buckets sit in the slot given by their start (start / 5 min mod 288), so
 * a slot holds either the bucket of its position in the last 24 hours or
 * an older one, told apart by the stored start. A sample whose bucket start
 * differs from the current one opens a new bucket (reset, not merged with
 * what the slot held), so a gap in time (a suspended engine, a stopped
 * sampler) leaves no stale data in the answer: the skipped buckets are
 * simply absent, and buckets more than 287 positions before the newest one
 * are never returned.
 *
 * Samples before INT64_MIN / 2 or after INT64_MAX / 2 ms (about 146 million
 * years from the epoch) are ignored, so bucket arithmetic cannot overflow.
 */
#include "core/series.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define SERIES_T_MIN (INT64_MIN / 2)
#define SERIES_T_MAX (INT64_MAX / 2)

/* One metric's part of a coarse bucket. */
struct series_cell {
	float min, avg, max; /* over the n non-NAN samples; undefined while n == 0 */
	uint32_t n;          /* samples with a value (saturates) */
};

/* One coarse bucket: every metric over SERIES_BUCKET_MS of realtime. */
struct series_cbucket {
	int64_t t_ms;                               /* bucket start, realtime ms */
	struct series_cell cell[SERIES_METRICS];
};

/* One fine sample: its stamp and every metric's value, together (one page holds 128). */
struct series_slot {
	int64_t t;                  /* realtime ms */
	float v[SERIES_METRICS];
};

struct series {
	size_t nslots;              /* fine slots */
	size_t head;                /* fine slot the next sample goes to */
	size_t count;               /* fine slots in use, <= nslots */
	struct series_slot *slots;  /* in the same mapping, after the struct */
	size_t map_size;            /* bytes of the mapping (this struct is its start) */

	bool any;                   /* a sample was added */
	int64_t last_ms;            /* newest sample's t_ms, valid when any */
	int64_t cur_start;          /* start of the bucket still filling, valid when any */
	size_t cur_slot;            /* its index in buckets */
	double cur_sum[SERIES_METRICS]; /* sum of its values per metric, for an exact average */

	struct series_cbucket buckets[SERIES_BUCKETS];
};

static const char *const series_names[SERIES_METRICS] = {
	[SERIES_CPU] = "cpu",
	[SERIES_TREE_CPU] = "tree_cpu",
	[SERIES_RSS] = "rss",
	[SERIES_TREE_RSS] = "tree_rss",
	[SERIES_IO_READ] = "io_read",
	[SERIES_IO_WRITE] = "io_write",
};

/* ---- helpers ----------------------------------------------------------- */

/* The bucket index of realtime t (floor division, also for t < 0). */
static int64_t
series_bucket_index(int64_t t)
{
	int64_t q = t / SERIES_BUCKET_MS;
	if (t % SERIES_BUCKET_MS < 0)
		q--;
	return q;
}

/* The fine slot holding the sample `age` places before the newest (0 = newest). */
static size_t
series_fine_slot(const struct series *s, size_t age)
{
	return (s->head + s->nslots - 1 - age) % s->nslots;
}

/* True when m names a metric. */
static bool
series_metric_ok(enum series_metric m)
{
	return (int)m >= 0 && (int)m < SERIES_METRICS;
}

/* A sample value as stored: NAN for no value, clamped into float's range. */
static float
series_store(double x)
{
	if (!isfinite(x))
		return NAN;
	if (x > FLT_MAX)
		return FLT_MAX;
	if (x < -FLT_MAX)
		return -FLT_MAX;
	return (float)x;
}

/* ---- life -------------------------------------------------------------- */

struct series *
series_new(int64_t interval_ms)
{
	if (interval_ms <= 0) {
		errno = EINVAL;
		return NULL;
	}
	int64_t want = SERIES_FINE_SPAN_MS / interval_ms;
	if (want < SERIES_FINE_MIN)
		want = SERIES_FINE_MIN;
	if (want > SERIES_FINE_MAX)
		want = SERIES_FINE_MAX;
	/* The slots after the struct, at int64 alignment. */
	size_t head = (sizeof(struct series) + 7) / 8 * 8;
	size_t size = head + (size_t)want * sizeof(struct series_slot);
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	struct series *s = p;
	s->nslots = (size_t)want;
	s->slots = (struct series_slot *)((char *)p + head);
	s->map_size = size;
	return s;
}

void
series_free(struct series *s)
{
	if (s == NULL)
		return;
	munmap(s, s->map_size);
}

/* ---- adding ------------------------------------------------------------ */

/* Makes the bucket of start the current one, cleared: a slot's older content is dropped. */
static void
series_open_bucket(struct series *s, int64_t start)
{
	int64_t idx = series_bucket_index(start) % SERIES_BUCKETS;
	if (idx < 0)
		idx += SERIES_BUCKETS;
	s->cur_slot = (size_t)idx;
	s->cur_start = start;
	struct series_cbucket *b = &s->buckets[s->cur_slot];
	memset(b, 0, sizeof(*b));
	b->t_ms = start;
	for (int m = 0; m < SERIES_METRICS; m++)
		s->cur_sum[m] = 0;
}

void
series_add(struct series *s, int64_t t_ms, const double v[SERIES_METRICS])
{
	if (s == NULL || v == NULL || t_ms < SERIES_T_MIN || t_ms > SERIES_T_MAX)
		return;
	if (s->any && t_ms < s->last_ms)
		return;

	size_t slot = s->head;
	s->slots[slot].t = t_ms;
	s->head = (s->head + 1) % s->nslots;
	if (s->count < s->nslots)
		s->count++;

	int64_t start = series_bucket_index(t_ms) * SERIES_BUCKET_MS;
	if (!s->any || start != s->cur_start)
		series_open_bucket(s, start);
	struct series_cbucket *b = &s->buckets[s->cur_slot];

	for (int m = 0; m < SERIES_METRICS; m++) {
		float x = series_store(v[m]);
		s->slots[slot].v[m] = x;
		struct series_cell *c = &b->cell[m];
		if (isnan(x) || c->n == UINT32_MAX)
			continue;
		if (c->n == 0) {
			c->min = x;
			c->max = x;
		} else {
			if (x < c->min)
				c->min = x;
			if (x > c->max)
				c->max = x;
		}
		c->n++;
		s->cur_sum[m] += (double)x;
		c->avg = (float)(s->cur_sum[m] / (double)c->n);
	}
	s->last_ms = t_ms;
	s->any = true;
}

/* ---- reading ----------------------------------------------------------- */

size_t
series_fine(const struct series *s, enum series_metric m, int64_t since_ms,
    struct series_point *out, size_t cap)
{
	if (s == NULL || !series_metric_ok(m) || out == NULL || cap == 0)
		return 0;
	const struct series_slot *sl = s->slots;
	/* Newest to oldest, to find where the newest cap matching points begin. */
	size_t k = 0, oldest = 0;
	for (size_t age = 0; age < s->count && k < cap; age++) {
		size_t i = series_fine_slot(s, age);
		if (sl[i].t < since_ms)
			break; /* stamps never decrease: everything older fails too */
		if (!isnan(sl[i].v[m])) {
			k++;
			oldest = age;
		}
	}
	size_t n = 0;
	for (size_t age = oldest + 1; age-- > 0 && n < k;) {
		size_t i = series_fine_slot(s, age);
		if (isnan(sl[i].v[m]))
			continue;
		out[n].t_ms = sl[i].t;
		out[n].v = (double)sl[i].v[m];
		n++;
	}
	return n;
}

/* The bucket `age` positions before the current one when it is that one and m has samples in it. */
static const struct series_cell *
series_cell_at(const struct series *s, enum series_metric m, size_t age, int64_t start)
{
	const struct series_cbucket *b =
	    &s->buckets[(s->cur_slot + SERIES_BUCKETS - age) % SERIES_BUCKETS];
	if (b->t_ms != start || b->cell[m].n == 0)
		return NULL;
	return &b->cell[m];
}

size_t
series_coarse(const struct series *s, enum series_metric m, int64_t since_ms,
    struct series_bucket *out, size_t cap)
{
	if (s == NULL || !s->any || !series_metric_ok(m) || out == NULL || cap == 0)
		return 0;
	/* Newest to oldest over the 288 positions of the last 24 hours. */
	size_t k = 0, oldest = 0;
	for (size_t age = 0; age < SERIES_BUCKETS && k < cap; age++) {
		int64_t start = s->cur_start - (int64_t)age * SERIES_BUCKET_MS;
		if (start + SERIES_BUCKET_MS <= since_ms)
			break;
		if (series_cell_at(s, m, age, start) != NULL) {
			k++;
			oldest = age;
		}
	}
	size_t n = 0;
	for (size_t age = oldest + 1; age-- > 0 && n < k;) {
		int64_t start = s->cur_start - (int64_t)age * SERIES_BUCKET_MS;
		const struct series_cell *c = series_cell_at(s, m, age, start);
		if (c == NULL)
			continue;
		out[n].t_ms = start;
		out[n].min = (double)c->min;
		out[n].avg = (double)c->avg;
		out[n].max = (double)c->max;
		out[n].n = c->n;
		n++;
	}
	return n;
}

double
series_last(const struct series *s, enum series_metric m)
{
	if (s == NULL || s->count == 0 || !series_metric_ok(m))
		return NAN;
	return (double)s->slots[series_fine_slot(s, 0)].v[m];
}

int64_t
series_last_ms(const struct series *s)
{
	return s != NULL && s->any ? s->last_ms : INT64_MIN;
}

size_t
series_fine_slots(const struct series *s)
{
	return s != NULL ? s->nslots : 0;
}

size_t
series_bytes(const struct series *s)
{
	if (s == NULL)
		return 0;
	return sizeof(*s) + s->nslots * sizeof(struct series_slot);
}

/* ---- names ------------------------------------------------------------- */

const char *
series_metric_name(enum series_metric m)
{
	return series_metric_ok(m) ? series_names[m] : NULL;
}

int
series_metric_from_name(const char *name)
{
	if (name == NULL)
		return -1;
	for (int m = 0; m < SERIES_METRICS; m++)
		if (strcmp(name, series_names[m]) == 0)
			return m;
	return -1;
}
