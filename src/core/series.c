/*
 * series — owns one process's metric history: the fine ring (the last
 * nslots samples) and the sealed 5-minute buckets of the last 24 hours,
 * each a compressed bit stream of frames, appended at the end and dropped
 * at the front; and the bucket still filling, kept plain (min/avg/max/n
 * per metric and the sums behind the averages).
 *
 * Format. A frame is a stamp and a fixed number of 32-bit words: a fine
 * sample is its t_ms and the float bits of its six values; a sealed bucket
 * is its index (start / 5 min) and, per metric, the bits of min, avg and
 * max and the count n. Each frame is coded against the one before it, as
 * in Gorilla (Pelkonen et al., "Gorilla: a fast, scalable, in-memory time
 * series database", VLDB 2015):
 *
 *   stamp  D = this frame's step minus the previous one's (delta of
 *          delta), zig-zag folded to Z (0, -1, 1, -2 ... -> 0, 1, 2, 3 ...):
 *            0                   Z = 0       a regular interval
 *            10   + 4 bits       Z < 16      a few ms of jitter
 *            110  + 10 bits      Z < 1024
 *            1110 + 24 bits      Z < 2^24    (in the fine stream a gap of up to 2.3 hours)
 *            1111 + 64 bits      any
 *   flag   0 when every word equals the previous frame's, 1 when a code
 *          per word follows: an idle process's sample costs 2 bits with a
 *          steady stamp, about 8 with a few ms of jitter.
 *   word   X = the word XOR the previous frame's. Each word has a window
 *          (leading zero bits, width) set by its last "new window" code:
 *            0                               X = 0
 *            10  + width bits                X's bits inside the window
 *            110 + 5 + 5 + w bits            new window: X's leading zeros,
 *                                            w - 1, then its w meaningful bits
 *            111 + 32 bits                   X in full; the window stays
 *          The encoder takes the shortest code that applies: at most 35 bits.
 *
 * Bits are written most significant first. A stream keeps the state
 * before its first frame (head) and after its last (tail): appending codes
 * against tail; dropping the oldest frame decodes it into head, which is
 * where every read starts. Values and stamps come back bit for bit.
 *
 * Memory. What is resident is the struct (928 bytes on x86-64) and the
 * two streams' buffers, from malloc; series_bytes counts the three. A
 * buffer starts at a byte per frame it may hold (about what an idle
 * process's frames take, so that they need no realloc) and is resized only
 * when its live bits are moved to its front, which happens when they
 * reach its end or when more than half of it lies before them: grown to
 * 1.25 x what they need when they need more, shrunk to that when they need
 * less than half. Each buffer is bounded by its longest frames: nslots
 * fine frames of at most 279 bits and 287 sealed buckets of at most 909
 * bits, plus a frame and 8 bytes; so a process holds at most 54,482 bytes
 * at 1 s (159,107 at 166 ms or less, 35,650 at 10 s or more), whatever its
 * uptime. The old fixed rings took 49,272 at 1 s: only input whose stamps
 * are all irregular and whose values are all random nears the bound. A
 * process whose six values change at every sample, at a steady interval,
 * holds 28 to 33 KB; an idle one 1,980 bytes after 10 minutes as after 24
 * hours (test_series and bench/series_mem.c print these figures).
 *
 * Precision: values are stored as float (24-bit mantissa: relative error at
 * most 2^-24, about 6e-8; an RSS of 1 GiB is exact to 64 bytes, a CPU
 * percentage to about 1e-5). A value beyond FLT_MAX is stored as ±FLT_MAX.
 * The bucket still filling sums its samples in a double, so its average
 * is rounded to float once, not once per sample.
 *
 * Buckets: a sample whose bucket start differs from the current one seals
 * the current bucket and opens a new one, so a gap in time (a suspended
 * engine, a stopped sampler) leaves no stale data in the answer: the
 * skipped buckets are simply absent, and sealed buckets more than 287
 * positions before the current one are dropped.
 *
 * Samples before INT64_MIN / 2 or after INT64_MAX / 2 ms (about 146 million
 * years from the epoch) are ignored, so bucket arithmetic cannot overflow.
 */
#include "core/series.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define SERIES_T_MIN (INT64_MIN / 2)
#define SERIES_T_MAX (INT64_MAX / 2)

#define SERIES_CELL_WORDS 4                                   /* min, avg, max, n */
#define SERIES_BUCKET_WORDS (SERIES_CELL_WORDS * SERIES_METRICS) /* a sealed bucket's words */
#define SERIES_STAMP_BITS_MAX (4 + 64)                        /* the longest stamp code */
#define SERIES_WORD_BITS_MAX (3 + 32)                         /* the longest word code */
#define SERIES_PAD 8 /* bytes after the last bit: the bit I/O moves 8 bytes at a time */

/* One metric's part of the bucket still filling. */
struct series_cell {
	float min, avg, max; /* over the n non-NAN samples; 0 while n == 0 */
	uint32_t n;          /* samples with a value (saturates) */
};

/* What the next frame of a stream is coded against: the frame before it. */
struct series_state {
	uint64_t t;                              /* stamp, two's complement (arithmetic wraps) */
	uint64_t step;                           /* t minus the stamp before it */
	uint32_t w[SERIES_BUCKET_WORDS];         /* words (the first nwords) */
	uint8_t lead[SERIES_BUCKET_WORDS];       /* each word's window: leading zero bits */
	uint8_t width[SERIES_BUCKET_WORDS];      /* and its width in bits; 0 = none yet */
};

/* Frames in a bit stream: appended at the end, dropped at the front. */
struct series_stream {
	uint8_t *buf;              /* owned; cap bytes */
	size_t cap;                /* bytes allocated, at most limit */
	size_t limit;              /* bytes the longest frames it may hold need */
	size_t start, end;         /* the live bits: [start, end) of buf */
	size_t count;              /* frames in it */
	size_t nwords;             /* words per frame */
	struct series_state head;  /* before its first frame (all zero at first) */
	struct series_state tail;  /* after its last frame */
};

struct series {
	size_t nslots;                      /* fine frames kept */
	bool any;                           /* a sample was added */
	bool fine_dropped;                  /* the fine ring has let a sample go (fine.head holds the newest such) */
	int64_t last_ms;                    /* newest sample's t_ms, valid when any */
	int64_t cur_start;                  /* start of the bucket still filling, valid when any */
	struct series_cell cur[SERIES_METRICS]; /* that bucket */
	double cur_sum[SERIES_METRICS];     /* sum of its values per metric, for an exact average */
	struct series_stream fine;          /* a frame per sample: t_ms, the six values' bits */
	struct series_stream coarse;        /* a frame per sealed bucket: index, min/avg/max/n per metric */
};

static const char *const series_names[SERIES_METRICS] = {
	[SERIES_CPU] = "cpu",
	[SERIES_TREE_CPU] = "tree_cpu",
	[SERIES_RSS] = "rss",
	[SERIES_TREE_RSS] = "tree_rss",
	[SERIES_IO_READ] = "io_read",
	[SERIES_IO_WRITE] = "io_write",
};

/* Payload bits of the stamp codes 0, 10, 110, 1110, 1111. */
static const unsigned series_stamp_bits[] = {0, 4, 10, 24, 64};

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

/* A float's bits. */
static uint32_t
series_bits(float x)
{
	uint32_t u;
	memcpy(&u, &x, sizeof(u));
	return u;
}

/* The float of these bits. */
static float
series_float(uint32_t u)
{
	float x;
	memcpy(&x, &u, sizeof(x));
	return x;
}

/* A stamp back from its two's complement form. */
static int64_t
series_i64(uint64_t u)
{
	return u <= INT64_MAX ? (int64_t)u : -(int64_t)(UINT64_MAX - u) - 1;
}

/* ---- bits -------------------------------------------------------------- */

/* The 8 bytes at p, big-endian (written out so that the compiler makes it one load). */
static uint64_t
series_load(const uint8_t *p)
{
	return (uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 | (uint64_t)p[2] << 40
	    | (uint64_t)p[3] << 32 | (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16
	    | (uint64_t)p[6] << 8 | (uint64_t)p[7];
}

/* Stores w at p, big-endian. */
static void
series_store8(uint8_t *p, uint64_t w)
{
	p[0] = (uint8_t)(w >> 56);
	p[1] = (uint8_t)(w >> 48);
	p[2] = (uint8_t)(w >> 40);
	p[3] = (uint8_t)(w >> 32);
	p[4] = (uint8_t)(w >> 24);
	p[5] = (uint8_t)(w >> 16);
	p[6] = (uint8_t)(w >> 8);
	p[7] = (uint8_t)w;
}

/* Writes the low n bits of v (1 <= n <= 57) at bit *pos, leaving the bits around them alone. */
static void
series_put(uint8_t *buf, size_t *pos, uint64_t v, unsigned n)
{
	uint8_t *p = buf + *pos / 8;
	unsigned shift = 64 - (unsigned)(*pos % 8) - n;
	uint64_t mask = ((UINT64_C(1) << n) - 1) << shift;
	series_store8(p, (series_load(p) & ~mask) | (v << shift & mask));
	*pos += n;
}

/* The bits from bit pos on, at the top: the first 57 are the stream's (or the padding's). */
static uint64_t
series_peek(const uint8_t *buf, size_t pos)
{
	return series_load(buf + pos / 8) << (pos % 8);
}

/* Reads n bits (1 <= n <= 57) at bit *pos. */
static uint64_t
series_get(const uint8_t *buf, size_t *pos, unsigned n)
{
	uint64_t v = series_peek(buf, *pos) >> (64 - n);
	*pos += n;
	return v;
}

/* The leading one bits of b, counted up to max (< 64): which code of 0, 10, 110 ... it begins with. */
static unsigned
series_ones(uint64_t b, unsigned max)
{
	return (unsigned)__builtin_clzll(~b | UINT64_C(1) << (63 - max));
}

/* ---- frames ------------------------------------------------------------ */

/* Bits of the longest frame of nwords words. */
static size_t
series_frame_bits(size_t nwords)
{
	return SERIES_STAMP_BITS_MAX + 1 + nwords * SERIES_WORD_BITS_MAX;
}

/* Codes stamp t against the previous one (delta of delta, zig-zag). */
static void
series_put_stamp(uint8_t *buf, size_t *pos, struct series_state *st, int64_t t)
{
	uint64_t step = (uint64_t)t - st->t;
	uint64_t dod = step - st->step;
	uint64_t z = dod << 1 ^ (0 - (dod >> 63));
	st->t = (uint64_t)t;
	st->step = step;
	unsigned k = 0;
	while (k < 4 && z >> series_stamp_bits[k] != 0)
		k++;
	if (k == 0) {
		series_put(buf, pos, 0, 1);
	} else if (k < 4) {
		uint64_t prefix = ((UINT64_C(1) << k) - 1) << 1; /* k ones, a zero */
		series_put(buf, pos, prefix << series_stamp_bits[k] | z, k + 1 + series_stamp_bits[k]);
	} else {
		series_put(buf, pos, 0xf, 4);
		series_put(buf, pos, z >> 32, 32);
		series_put(buf, pos, z & 0xffffffff, 32);
	}
}

/* Reads a stamp written by series_put_stamp into st. */
static void
series_get_stamp(const uint8_t *buf, size_t *pos, struct series_state *st)
{
	uint64_t b = series_peek(buf, *pos);
	unsigned k = series_ones(b, 4);
	uint64_t z = 0;
	if (k == 0) {
		*pos += 1;
	} else if (k < 4) {
		z = b << (k + 1) >> (64 - series_stamp_bits[k]);
		*pos += k + 1 + series_stamp_bits[k];
	} else {
		*pos += 4;
		z = series_get(buf, pos, 32) << 32;
		z |= series_get(buf, pos, 32);
	}
	st->step += z >> 1 ^ (0 - (z & 1));
	st->t += st->step;
}

/* Codes word k against the previous frame's: the shortest of the codes that apply. */
static void
series_put_word(uint8_t *buf, size_t *pos, struct series_state *st, size_t k, uint32_t w)
{
	uint32_t x = w ^ st->w[k];
	st->w[k] = w;
	if (x == 0) {
		series_put(buf, pos, 0, 1);
		return;
	}
	unsigned lead = (unsigned)__builtin_clz(x);
	unsigned trail = (unsigned)__builtin_ctz(x);
	unsigned width = 32 - lead - trail;
	unsigned win_lead = st->lead[k], win_width = st->width[k];
	unsigned win_trail = 32 - win_lead - win_width;
	bool fits = win_width > 0 && lead >= win_lead && trail >= win_trail;
	unsigned reuse = fits ? 2 + win_width : UINT_MAX;
	unsigned fresh = 3 + 5 + 5 + width;
	unsigned raw = 3 + 32;
	if (reuse <= fresh && reuse <= raw) {
		series_put(buf, pos, UINT64_C(2) << win_width | x >> win_trail, reuse);
	} else if (fresh <= raw) {
		uint64_t head = UINT64_C(6) << 10 | lead << 5 | (width - 1);
		series_put(buf, pos, head << width | x >> trail, fresh);
		st->lead[k] = (uint8_t)lead;
		st->width[k] = (uint8_t)width;
	} else {
		series_put(buf, pos, UINT64_C(7) << 32 | x, raw);
	}
}

/* Reads word k written by series_put_word into st. */
static void
series_get_word(const uint8_t *buf, size_t *pos, struct series_state *st, size_t k)
{
	uint64_t b = series_peek(buf, *pos);
	unsigned lead, width;
	switch (series_ones(b, 3)) {
	case 0:
		*pos += 1;
		return;
	case 1:
		lead = st->lead[k];
		width = st->width[k];
		b <<= 2;
		*pos += 2 + width;
		break;
	case 2:
		lead = (unsigned)(b >> 56 & 31);
		width = (unsigned)(b >> 51 & 31) + 1;
		st->lead[k] = (uint8_t)lead;
		st->width[k] = (uint8_t)width;
		b <<= 13;
		*pos += 13 + width;
		break;
	default:
		lead = 0;
		width = 32;
		b <<= 3;
		*pos += 35;
		break;
	}
	st->w[k] ^= (uint32_t)(b >> (64 - width)) << (32 - lead - width);
}

/* Appends a frame at the end of f, which has room for it (series_reserve). */
static void
series_encode(struct series_stream *f, int64_t t, const uint32_t *w)
{
	series_put_stamp(f->buf, &f->end, &f->tail, t);
	bool same = memcmp(w, f->tail.w, f->nwords * sizeof(*w)) == 0;
	series_put(f->buf, &f->end, !same, 1);
	for (size_t k = 0; !same && k < f->nwords; k++)
		series_put_word(f->buf, &f->end, &f->tail, k, w[k]);
	f->count++;
}

/* Reads the frame at bit *pos of f into st, the state before it. */
static void
series_decode(const struct series_stream *f, struct series_state *st, size_t *pos)
{
	series_get_stamp(f->buf, pos, st);
	if (series_get(f->buf, pos, 1) == 0)
		return;
	for (size_t k = 0; k < f->nwords; k++)
		series_get_word(f->buf, pos, st, k);
}

/* ---- streams ----------------------------------------------------------- */

/* Bytes of buffer f needs to take one more frame. */
static size_t
series_need(const struct series_stream *f)
{
	return (f->end + series_frame_bits(f->nwords) + 7) / 8 + SERIES_PAD;
}

/* Sets up an empty stream of frames of nwords words, at most nframes of them. 0, or -1 with errno. */
static int
series_stream_init(struct series_stream *f, size_t nwords, size_t nframes)
{
	f->nwords = nwords;
	/* After the move to the front, the live bits start at bit 7 at most. */
	f->limit = (nframes * series_frame_bits(nwords) + 7 + 7) / 8 + SERIES_PAD;
	/* A byte per frame at first: what an idle process's take, so that
	 * its buffers are not reallocated as they fill. */
	f->cap = series_need(f) + nframes;
	f->buf = calloc(1, f->cap);
	return f->buf != NULL ? 0 : -1;
}

/* Drops the oldest frame. */
static void
series_drop(struct series_stream *f)
{
	series_decode(f, &f->head, &f->start);
	f->count--;
}

/* Drops the frames stamped before t. */
static void
series_drop_before(struct series_stream *f, int64_t t)
{
	while (f->count > 0) {
		struct series_state st = f->head;
		size_t pos = f->start;
		series_decode(f, &st, &pos);
		if (series_i64(st.t) >= t)
			return;
		f->head = st;
		f->start = pos;
		f->count--;
	}
}

/* Moves the live bits to the front of the buffer (to the same bit of the first byte). */
static void
series_compact(struct series_stream *f)
{
	size_t from = f->start / 8;
	if (from == 0)
		return;
	memmove(f->buf, f->buf + from, (f->end + 7) / 8 - from);
	f->start -= 8 * from;
	f->end -= 8 * from;
}

/*
 * Makes room for one more frame. When the end nears the buffer's end or
 * more than half of the buffer lies before the live bits, moves them to
 * the front and resizes the buffer to 1.25 x what it needs if it is too
 * small or more than twice too large. When realloc fails, the oldest
 * frames are dropped until the frame fits. False only when even an empty
 * buffer is too small (never after series_stream_init).
 */
static bool
series_reserve(struct series_stream *f)
{
	if (series_need(f) <= f->cap && f->start / 8 <= f->cap / 2)
		return true;
	series_compact(f);
	for (;;) {
		size_t need = series_need(f);
		if (need <= f->cap && need >= f->cap / 2)
			return true;
		size_t want = need + need / 4;
		if (want > f->limit)
			want = f->limit;
		uint8_t *p = realloc(f->buf, want);
		if (p != NULL) {
			if (want > f->cap)
				memset(p + f->cap, 0, want - f->cap);
			f->buf = p;
			f->cap = want;
			return true;
		}
		if (need <= f->cap)
			return true; /* shrinking failed: keep the larger buffer */
		if (f->count == 0)
			return false;
		series_drop(f);
		series_compact(f);
	}
}

/* Appends a frame stamped t with words w. */
static void
series_append(struct series_stream *f, int64_t t, const uint32_t *w)
{
	if (series_reserve(f))
		series_encode(f, t, w);
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
	struct series *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->nslots = (size_t)want;
	/* The current bucket is not in the stream: 287 sealed ones at most. */
	if (series_stream_init(&s->fine, SERIES_METRICS, s->nslots) < 0
	    || series_stream_init(&s->coarse, SERIES_BUCKET_WORDS, SERIES_BUCKETS - 1) < 0) {
		series_free(s);
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

void
series_free(struct series *s)
{
	if (s == NULL)
		return;
	free(s->fine.buf);
	free(s->coarse.buf);
	free(s);
}

/* ---- adding ------------------------------------------------------------ */

/* The words of a sealed bucket: min, avg, max and n of each metric. */
static void
series_cells_pack(const struct series_cell *cell, uint32_t *w)
{
	for (int m = 0; m < SERIES_METRICS; m++) {
		w[SERIES_CELL_WORDS * m] = series_bits(cell[m].min);
		w[SERIES_CELL_WORDS * m + 1] = series_bits(cell[m].avg);
		w[SERIES_CELL_WORDS * m + 2] = series_bits(cell[m].max);
		w[SERIES_CELL_WORDS * m + 3] = cell[m].n;
	}
}

/* Metric m's cell of a sealed bucket's words. */
static struct series_cell
series_cell_unpack(const uint32_t *w, enum series_metric m)
{
	const uint32_t *c = w + SERIES_CELL_WORDS * m;
	return (struct series_cell){
		.min = series_float(c[0]),
		.avg = series_float(c[1]),
		.max = series_float(c[2]),
		.n = c[3],
	};
}

/*
 * Makes the bucket of start the current one, cleared: seals the current
 * one into the coarse stream, which keeps what lies within the last 288
 * positions.
 */
static void
series_open_bucket(struct series *s, int64_t start)
{
	int64_t horizon = series_bucket_index(start) - (SERIES_BUCKETS - 1);
	series_drop_before(&s->coarse, horizon);
	int64_t cur = series_bucket_index(s->cur_start);
	if (s->any && cur >= horizon) {
		uint32_t w[SERIES_BUCKET_WORDS];
		series_cells_pack(s->cur, w);
		series_append(&s->coarse, cur, w);
	}
	s->cur_start = start;
	memset(s->cur, 0, sizeof(s->cur));
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

	int64_t start = series_bucket_index(t_ms) * SERIES_BUCKET_MS;
	if (!s->any || start != s->cur_start)
		series_open_bucket(s, start);

	uint32_t w[SERIES_METRICS];
	for (int m = 0; m < SERIES_METRICS; m++) {
		float x = series_store(v[m]);
		w[m] = series_bits(x);
		struct series_cell *c = &s->cur[m];
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
	if (s->fine.count == s->nslots) {
		series_drop(&s->fine);
		s->fine_dropped = true;
	}
	series_append(&s->fine, t_ms, w);
	s->last_ms = t_ms;
	s->any = true;
}

/* ---- reading ----------------------------------------------------------- */

/*
 * The answers are found oldest first and written round a ring of cap
 * elements (the total-th at total % cap), so that the newest cap stay;
 * series_ring_finish then puts the oldest of them first.
 */

/* The place of the next element in the ring out of cap elements of size bytes. */
static void *
series_ring_next(void *out, size_t cap, size_t size, size_t *total)
{
	return (char *)out + (*total)++ % cap * size;
}

/* Reverses elements [i, j) of a. */
static void
series_reverse(char *a, size_t i, size_t j, size_t size)
{
	char tmp[sizeof(struct series_bucket)];
	_Static_assert(sizeof(struct series_point) <= sizeof(tmp), "tmp holds an element");
	for (; i + 1 < j; i++, j--) {
		memcpy(tmp, a + i * size, size);
		memcpy(a + i * size, a + (j - 1) * size, size);
		memcpy(a + (j - 1) * size, tmp, size);
	}
}

/* Puts the ring in order, oldest first. Returns how many elements it holds. */
static size_t
series_ring_finish(void *out, size_t cap, size_t size, size_t total)
{
	if (total <= cap)
		return total;
	size_t k = total % cap; /* the oldest */
	series_reverse(out, 0, k, size);
	series_reverse(out, k, cap, size);
	series_reverse(out, 0, cap, size);
	return cap;
}

size_t
series_fine(const struct series *s, enum series_metric m, int64_t since_ms,
    struct series_point *out, size_t cap)
{
	if (s == NULL || !series_metric_ok(m) || out == NULL || cap == 0)
		return 0;
	struct series_state st = s->fine.head;
	size_t pos = s->fine.start, total = 0;
	for (size_t i = 0; i < s->fine.count; i++) {
		series_decode(&s->fine, &st, &pos);
		int64_t t = series_i64(st.t);
		float x = series_float(st.w[m]);
		if (t < since_ms || isnan(x))
			continue;
		struct series_point *p = series_ring_next(out, cap, sizeof(*out), &total);
		p->t_ms = t;
		p->v = (double)x;
	}
	return series_ring_finish(out, cap, sizeof(*out), total);
}

/* Adds the bucket of start to the ring when it has samples and ends after since. */
static void
series_ring_bucket(struct series_bucket *out, size_t cap, size_t *total, int64_t start,
    const struct series_cell *c, int64_t since_ms)
{
	if (c->n == 0 || start + SERIES_BUCKET_MS <= since_ms)
		return;
	struct series_bucket *b = series_ring_next(out, cap, sizeof(*out), total);
	b->t_ms = start;
	b->min = (double)c->min;
	b->avg = (double)c->avg;
	b->max = (double)c->max;
	b->n = c->n;
}

size_t
series_coarse(const struct series *s, enum series_metric m, int64_t since_ms,
    struct series_bucket *out, size_t cap)
{
	if (s == NULL || !s->any || !series_metric_ok(m) || out == NULL || cap == 0)
		return 0;
	struct series_state st = s->coarse.head;
	size_t pos = s->coarse.start, total = 0;
	for (size_t i = 0; i < s->coarse.count; i++) {
		series_decode(&s->coarse, &st, &pos);
		struct series_cell c = series_cell_unpack(st.w, m);
		series_ring_bucket(out, cap, &total, series_i64(st.t) * SERIES_BUCKET_MS, &c, since_ms);
	}
	series_ring_bucket(out, cap, &total, s->cur_start, &s->cur[m], since_ms);
	return series_ring_finish(out, cap, sizeof(*out), total);
}

size_t
series_coarse_before(const struct series_bucket *b, size_t n, int64_t fine_from_ms)
{
	size_t k = 0;
	while (k < n && b[k].t_ms < fine_from_ms)
		k++;
	return k;
}

double
series_last(const struct series *s, enum series_metric m)
{
	if (s == NULL || !s->any || !series_metric_ok(m))
		return NAN;
	return (double)series_float(s->fine.tail.w[m]);
}

int64_t
series_last_ms(const struct series *s)
{
	return s != NULL && s->any ? s->last_ms : INT64_MIN;
}

int64_t
series_fine_dropped_ms(const struct series *s)
{
	return s != NULL && s->fine_dropped ? series_i64(s->fine.head.t) : INT64_MIN;
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
	return sizeof(*s) + s->fine.cap + s->coarse.cap;
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
