/*
 * series — the metric history of one supervised process, for sparklines,
 * charts and `vigil export`: a fine ring of the last 10 minutes at the
 * sample interval, and 24 hours of 5-minute buckets (min/avg/max). Both are
 * rings of a fixed number of entries, kept compressed (an entry like the
 * one before it costs a few bits): the memory follows what they hold, up to
 * a bound that does not grow with uptime. Per process at a 1 s interval:
 * about 2 KiB for an idle process (the same values at every sample), at
 * most 54,482 bytes whatever the samples (on x86-64; 159,107 at 166 ms or
 * less, 35,650 at 10 s or more). See series.c for the format.
 *
 * Values are kept as float: about 7 significant digits (relative error at
 * most 2^-24, e.g. an RSS of 1 GiB is exact to 64 bytes).
 */
#ifndef VIGIL_CORE_SERIES_H
#define VIGIL_CORE_SERIES_H

#include <stddef.h>
#include <stdint.h>

#define SERIES_FINE_SPAN_MS ((int64_t)10 * 60 * 1000) /* the fine ring covers this at the interval */
#define SERIES_FINE_MIN 60                              /* fine slots, at least */
#define SERIES_FINE_MAX 3600                            /* fine slots, at most */
#define SERIES_BUCKET_MS ((int64_t)5 * 60 * 1000)     /* a coarse bucket's length */
#define SERIES_BUCKETS 288                              /* 24 hours of buckets */

enum series_metric {
	SERIES_CPU,        /* % of one core, the process alone */
	SERIES_TREE_CPU,   /* % of one core, the process and its descendants */
	SERIES_RSS,        /* bytes */
	SERIES_TREE_RSS,   /* bytes */
	SERIES_IO_READ,    /* bytes per second, tree */
	SERIES_IO_WRITE,   /* bytes per second, tree */
	SERIES_METRICS,
};

/* One fine sample of one metric. */
struct series_point {
	int64_t t_ms; /* realtime, milliseconds since the epoch */
	double v;
};

/* One coarse bucket of one metric, over its non-NAN samples. */
struct series_bucket {
	int64_t t_ms;           /* bucket start: realtime, a multiple of SERIES_BUCKET_MS */
	double min, avg, max;
	size_t n;               /* samples in it (never 0 in an answer) */
};

struct series;

/*
 * interval_ms: the sample interval; the fine ring holds the last 10 minutes
 * at that interval (at least 60 and at most 3600 slots). NULL with errno:
 * EINVAL for interval_ms <= 0, ENOMEM.
 */
struct series *series_new(int64_t interval_ms);
/* NULL is fine. */
void series_free(struct series *s);

/*
 * One sample of every metric at realtime t_ms; NAN (or any non-finite
 * value) = no value (the process was not running). Samples must come in
 * time order: one older than the newest is ignored (an equal t_ms is kept).
 */
void series_add(struct series *s, int64_t t_ms, const double v[SERIES_METRICS]);

/*
 * Fine points of metric m with t_ms >= since_ms, oldest first; NAN samples
 * are skipped. When more than cap match, the newest cap are given. Returns
 * how many were written.
 */
size_t series_fine(const struct series *s, enum series_metric m, int64_t since_ms,
    struct series_point *out, size_t cap);

/*
 * The last 24 hours in 5-minute buckets (288, aligned to multiples of 5
 * minutes of realtime), min/avg/max over the non-NAN samples of each:
 * buckets with t_ms + 5 min > since_ms, oldest first, including the one
 * still filling. Empty buckets and those more than 287 buckets before the
 * newest sample's are not returned. When more than cap match, the newest cap
 * are given. Returns how many were written.
 */
size_t series_coarse(const struct series *s, enum series_metric m, int64_t since_ms,
    struct series_bucket *out, size_t cap);

/*
 * Of n buckets from series_coarse, how many (the oldest) to give before
 * fine points that start at fine_from_ms: those that start before it. The
 * last may overlap the first fine points; leaving it out would leave a gap
 * of up to 5 minutes between the two.
 */
size_t series_coarse_before(const struct series_bucket *b, size_t n, int64_t fine_from_ms);

/* The newest sample's value of m: NAN when there is none or it had no value. */
double series_last(const struct series *s, enum series_metric m);
/* The newest sample's t_ms; INT64_MIN when none was added. */
int64_t series_last_ms(const struct series *s);
/*
 * The t_ms of the newest sample the fine ring has let go; INT64_MIN while
 * it holds every sample added (then the fine points are the whole history
 * and no bucket needs to come before them).
 */
int64_t series_fine_dropped_ms(const struct series *s);
/* Slots in the fine ring: min(max(600000 / interval_ms, 60), 3600). */
size_t series_fine_slots(const struct series *s);
/*
 * Bytes this series holds now: its struct and its buffers as allocated
 * (not the allocator's own overhead). Grows with what the rings hold, up to
 * the bound above; an idle process's stays about where series_new left it.
 */
size_t series_bytes(const struct series *s);

/* "cpu", "tree_cpu", "rss", "tree_rss", "io_read", "io_write"; NULL for an out-of-range value. */
const char *series_metric_name(enum series_metric m);
/* The metric named so (exact, lower case), or -1. */
int series_metric_from_name(const char *name);

#endif
