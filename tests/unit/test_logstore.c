/*
 * test_logstore — captured output in real files under mkdtemp folders:
 * lines split across chunk boundaries (per stream), the final line without
 * a newline, long lines cut into LOG_SPLIT pieces with memory bounded, ring
 * eviction, the exact file format under a fixed clock, rotation by rename
 * with nothing lost or duplicated (and never of a FIFO), write failures
 * (missing folder, /dev/full, removed file) counted and survived, engine
 * notes, and a non-asserting throughput figure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/logstore.h"

#define T0 1795512109123LL /* 2026-11-24T09:21:49.123Z */

static int64_t fixed_ms = T0;

static int64_t
fixed_clock(void)
{
	return fixed_ms;
}

/* One line seen by a callback or by logstore_tail. */
struct got_line {
	int64_t ts_ms;
	enum log_stream stream;
	unsigned flags;
	size_t len;
	char *text; /* owned, NUL-terminated copy; NULL when the collector keeps no text */
};

struct got {
	struct got_line *v; /* owned */
	size_t n, cap;
	bool no_text;       /* only lengths and flags are kept */
};

static void
got_fn(const struct log_line *line, void *arg)
{
	struct got *g = arg;
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 64;
		g->v = realloc(g->v, g->cap * sizeof(*g->v));
		assert_non_null(g->v);
	}
	struct got_line *l = &g->v[g->n++];
	l->ts_ms = line->ts_ms;
	l->stream = line->stream;
	l->flags = line->flags;
	l->len = line->len;
	l->text = NULL;
	if (!g->no_text) {
		l->text = malloc(line->len + 1);
		assert_non_null(l->text);
		memcpy(l->text, line->text, line->len);
		l->text[line->len] = '\0';
	}
}

static void
got_clear(struct got *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->v[i].text);
	free(g->v);
	*g = (struct got){.no_text = g->no_text};
}

static void
assert_line(const struct got *g, size_t i, enum log_stream s, unsigned flags, const char *text)
{
	assert_true(i < g->n);
	assert_int_equal(g->v[i].stream, s);
	assert_int_equal(g->v[i].flags, flags);
	assert_int_equal(g->v[i].len, strlen(text));
	assert_memory_equal(g->v[i].text, text, strlen(text));
}

/* A fresh folder under /tmp; the caller removes it with rm_tree. */
static char *
make_dir(void)
{
	char *d = strdup("/tmp/vigil-logstore-XXXXXX");
	assert_non_null(d);
	assert_non_null(mkdtemp(d));
	return d;
}

/* Removes a folder and what it holds (one level of subfolders is enough here). */
static void
rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	if (d != NULL) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			char p[4096];
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			struct stat st;
			if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
				rm_tree(p);
			else
				unlink(p);
		}
		closedir(d);
	}
	rmdir(dir);
}

/* Entries in dir other than . and .. */
static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* The whole file, NUL-terminated, or NULL when it does not exist. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	assert_non_null(buf);
	size_t r;
	while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (cap - n - 1 == 0) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static off_t
file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_size : -1;
}

static struct logstore *
open_store(const char *path, int64_t max_size, int max_files, size_t ring)
{
	struct logstore_opts o = {
		.path = path, .max_size = max_size, .max_files = max_files, .ring_bytes = ring,
	};
	struct logstore *ls = logstore_new(&o);
	assert_non_null(ls);
	fixed_ms = T0;
	logstore_set_clock(ls, fixed_clock);
	return ls;
}

static void
feed_str(struct logstore *ls, enum log_stream s, const char *str, struct got *g)
{
	logstore_feed(ls, s, str, strlen(str), g != NULL ? got_fn : NULL, g);
}

/* ---- line splitting ---------------------------------------------------- */

static void
test_bytewise_crlf(void **state)
{
	(void)state;
	struct logstore *ls = open_store(NULL, 0, 0, 0);
	struct got g = {0};
	const char *in = "hello\r\nworld\n\nend";
	for (size_t i = 0; in[i] != '\0'; i++)
		logstore_feed(ls, LOG_OUT, in + i, 1, got_fn, &g);
	assert_int_equal(g.n, 3);
	assert_line(&g, 0, LOG_OUT, 0, "hello\r");
	assert_line(&g, 1, LOG_OUT, 0, "world");
	assert_line(&g, 2, LOG_OUT, 0, "");
	assert_int_equal(g.v[0].ts_ms, T0);
	logstore_eof(ls, LOG_OUT, got_fn, &g);
	assert_int_equal(g.n, 4);
	assert_line(&g, 3, LOG_OUT, LOG_NOEOL, "end");

	struct got t = {0};
	logstore_tail(ls, 100, got_fn, &t);
	assert_int_equal(t.n, 4);
	assert_line(&t, 0, LOG_OUT, 0, "hello\r");
	assert_line(&t, 3, LOG_OUT, LOG_NOEOL, "end");
	struct logstore_stats st;
	logstore_stats(ls, &st);
	assert_int_equal(st.lines, 4);
	assert_int_equal(st.bytes, strlen(in));
	assert_int_equal(st.ring_lines, 4);
	assert_false(logstore_pending(ls));
	assert_int_equal(logstore_flush(ls), 0);
	got_clear(&g);
	got_clear(&t);
	logstore_free(ls);
}

static void
test_streams_interleaved(void **state)
{
	(void)state;
	struct logstore *ls = open_store(NULL, 0, 0, 0);
	struct got g = {0};
	feed_str(ls, LOG_OUT, "ab", &g);
	feed_str(ls, LOG_ERR, "12", &g);
	feed_str(ls, LOG_OUT, "c\nd", &g);
	assert_int_equal(g.n, 1);
	feed_str(ls, LOG_ERR, "3\n4\n", &g);
	logstore_eof(ls, LOG_OUT, got_fn, &g);
	logstore_eof(ls, LOG_ERR, got_fn, &g); /* nothing pending on err */
	assert_int_equal(g.n, 4);
	assert_line(&g, 0, LOG_OUT, 0, "abc");
	assert_line(&g, 1, LOG_ERR, 0, "123");
	assert_line(&g, 2, LOG_ERR, 0, "4");
	assert_line(&g, 3, LOG_OUT, LOG_NOEOL, "d");
	got_clear(&g);
	logstore_free(ls);
}

static void
test_noeol(void **state)
{
	(void)state;
	struct logstore *ls = open_store(NULL, 0, 0, 0);
	struct got g = {0};
	logstore_eof(ls, LOG_OUT, got_fn, &g);
	assert_int_equal(g.n, 0);
	feed_str(ls, LOG_OUT, "one\nlast", &g);
	logstore_eof(ls, LOG_OUT, got_fn, &g);
	logstore_eof(ls, LOG_OUT, got_fn, &g);
	assert_int_equal(g.n, 2);
	assert_line(&g, 1, LOG_OUT, LOG_NOEOL, "last");
	/* The stream can start again (a new instance reusing the store). */
	feed_str(ls, LOG_OUT, "again\n", &g);
	assert_int_equal(g.n, 3);
	assert_line(&g, 2, LOG_OUT, 0, "again");
	got_clear(&g);
	logstore_free(ls);
}

/* Fills buf with a pattern that tells where each byte came from. */
static void
pattern(char *buf, size_t n, size_t seed)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)('a' + (i + seed) % 26);
}

static void
test_split_edges(void **state)
{
	(void)state;
	struct logstore *ls = open_store(NULL, 0, 0, 0);
	struct got g = {0};
	size_t max = LOGSTORE_MAX_LINE;
	char *big = malloc(3 * max);
	assert_non_null(big);

	/* Exactly LOGSTORE_MAX_LINE bytes: not split, in one chunk or in halves. */
	pattern(big, max, 0);
	big[max] = '\n';
	logstore_feed(ls, LOG_OUT, big, max + 1, got_fn, &g);
	logstore_feed(ls, LOG_OUT, big, max / 2, got_fn, &g);
	logstore_feed(ls, LOG_OUT, big + max / 2, max / 2, got_fn, &g);
	assert_int_equal(g.n, 1);
	logstore_feed(ls, LOG_OUT, "\n", 1, got_fn, &g);
	assert_int_equal(g.n, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(g.v[i].len, max);
		assert_int_equal(g.v[i].flags, 0);
		assert_memory_equal(g.v[i].text, big, max);
	}
	got_clear(&g);

	/* One byte more: a full piece flagged LOG_SPLIT, then the last byte. */
	pattern(big, max + 1, 3);
	big[max + 1] = '\n';
	logstore_feed(ls, LOG_ERR, big, max + 2, got_fn, &g);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.v[0].len, max);
	assert_int_equal(g.v[0].flags, LOG_SPLIT);
	assert_int_equal(g.v[1].len, 1);
	assert_int_equal(g.v[1].flags, 0);
	assert_memory_equal(g.v[0].text, big, max);
	assert_int_equal(g.v[1].text[0], big[max]);
	got_clear(&g);

	/* 2 pieces + 5 bytes in 1000-byte chunks: pieces appear as the line grows. */
	size_t total = 2 * max + 5;
	pattern(big, total, 7);
	for (size_t off = 0; off < total; off += 1000) {
		size_t k = total - off < 1000 ? total - off : 1000;
		logstore_feed(ls, LOG_OUT, big + off, k, got_fn, &g);
		/* Never more than one full piece waits. */
		assert_true(off + k - g.n * max <= max);
	}
	logstore_feed(ls, LOG_OUT, "\r\n", 2, got_fn, &g);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.v[0].flags, LOG_SPLIT);
	assert_int_equal(g.v[1].flags, LOG_SPLIT);
	assert_int_equal(g.v[2].flags, 0);
	assert_int_equal(g.v[2].len, 6);
	assert_memory_equal(g.v[0].text, big, max);
	assert_memory_equal(g.v[1].text, big + max, max);
	assert_memory_equal(g.v[2].text, big + 2 * max, 5);
	assert_int_equal(g.v[2].text[5], '\r');
	got_clear(&g);
	free(big);
	logstore_free(ls);
}

static void
test_huge_line_bounded(void **state)
{
	(void)state;
	char *dir = make_dir();
	char path[512];
	snprintf(path, sizeof(path), "%s/huge.log", dir);
	size_t ring = 1 << 20;
	struct logstore *ls = open_store(path, 0, 0, ring);
	struct got g = {.no_text = true};
	const size_t total = 10 * 1000 * 1000, max = LOGSTORE_MAX_LINE;
	char chunk[4096];
	pattern(chunk, sizeof(chunk), 0);
	struct logstore_stats st;
	for (size_t fed = 0; fed < total;) {
		size_t k = total - fed < sizeof(chunk) ? total - fed : sizeof(chunk);
		logstore_feed(ls, LOG_OUT, chunk, k, got_fn, &g);
		fed += k;
		/* What is not yet handed on (the partial line) never passes one piece. */
		assert_true(fed - g.n * max <= max);
		logstore_stats(ls, &st);
		assert_true(st.ring_used <= ring);
	}
	logstore_eof(ls, LOG_OUT, got_fn, &g);
	size_t pieces = (total + max - 1) / max;
	assert_int_equal(g.n, pieces);
	for (size_t i = 0; i + 1 < g.n; i++) {
		assert_int_equal(g.v[i].len, max);
		assert_int_equal(g.v[i].flags, LOG_SPLIT);
	}
	assert_int_equal(g.v[g.n - 1].len, total - (pieces - 1) * max);
	assert_int_equal(g.v[g.n - 1].flags, LOG_NOEOL);
	logstore_stats(ls, &st);
	assert_true(st.ring_used <= ring);
	assert_true(st.ring_lines >= 1 && st.ring_lines < pieces);
	/* The file buffer did not keep 10 MB: most of it is on disk before the flush. */
	assert_true(file_size(path) > (off_t)(total - 512 * 1024));
	assert_int_equal(logstore_flush(ls), 0);
	size_t prefix = strlen("2026-11-24T09:21:49.123Z out+ ");
	assert_int_equal(file_size(path), (off_t)(total + pieces * (prefix + 1)));
	assert_int_equal(st.dropped_bytes, 0);
	got_clear(&g);
	logstore_free(ls);
	rm_tree(dir);
	free(dir);
}

/* ---- ring -------------------------------------------------------------- */

/* Line i of the variable-length sequence: "#i:" then filler, 0 to 299 bytes more. */
static size_t
var_line(char *buf, size_t i)
{
	int n = snprintf(buf, 32, "#%zu:", i);
	size_t extra = (i * 2654435761u) % 300;
	memset(buf + n, 'v', extra);
	buf[(size_t)n + extra] = '\n';
	return (size_t)n + extra + 1;
}

static void
test_ring_eviction(void **state)
{
	(void)state;
	const size_t cap = 4096;
	struct logstore *ls = open_store(NULL, 0, 0, cap);
	struct logstore_stats st;
	char buf[512];
	for (int i = 0; i < 1000; i++) {
		snprintf(buf, sizeof(buf), "line %04d\n", i);
		feed_str(ls, LOG_OUT, buf, NULL);
		logstore_stats(ls, &st);
		assert_true(st.ring_used <= cap);
	}
	/* 9 bytes of text: a 16-byte header + 16 bytes padded = 32 per line. */
	assert_int_equal(st.ring_used, st.ring_lines * 32);
	assert_true(st.ring_lines >= cap / 32 - 1);
	struct got t = {0};
	logstore_tail(ls, SIZE_MAX, got_fn, &t);
	assert_int_equal(t.n, st.ring_lines);
	for (size_t i = 0; i < t.n; i++) {
		snprintf(buf, sizeof(buf), "line %04zu", 1000 - t.n + i);
		assert_line(&t, i, LOG_OUT, 0, buf);
	}
	got_clear(&t);
	logstore_tail(ls, 5, got_fn, &t);
	assert_int_equal(t.n, 5);
	assert_line(&t, 0, LOG_OUT, 0, "line 0995");
	assert_line(&t, 4, LOG_OUT, 0, "line 0999");
	got_clear(&t);
	logstore_tail(ls, 0, got_fn, &t);
	assert_int_equal(t.n, 0);
	logstore_free(ls);

	/* Lines of varied lengths, so records wrap at odd places. */
	ls = open_store(NULL, 0, 0, cap);
	size_t last = 0;
	for (size_t i = 0; i < 5000; i++) {
		size_t n = var_line(buf, i);
		logstore_feed(ls, i % 3 ? LOG_OUT : LOG_ERR, buf, n, NULL, NULL);
		logstore_stats(ls, &st);
		assert_true(st.ring_used <= cap);
		last = i;
		if (i % 97 != 0 || i < 97)
			continue;
		logstore_tail(ls, SIZE_MAX, got_fn, &t);
		assert_int_equal(t.n, st.ring_lines);
		size_t used = 0;
		for (size_t j = 0; j < t.n; j++) {
			size_t want = last + 1 - t.n + j;
			size_t wn = var_line(buf, want);
			buf[wn - 1] = '\0';
			assert_line(&t, j, want % 3 ? LOG_OUT : LOG_ERR, 0, buf);
			used += 16 + ((wn - 1 + 7) & ~(size_t)7);
		}
		assert_int_equal(used, st.ring_used);
		/* Evicting keeps the ring nearly full: at most one record of waste per wrap. */
		assert_true(used + 2 * (16 + 8 + 320) > cap);
		got_clear(&t);
	}

	/* A line longer than the whole ring is kept truncated to the ring. */
	char *big = malloc(10001);
	assert_non_null(big);
	pattern(big, 10000, 1);
	big[10000] = '\n';
	struct got g = {0};
	logstore_feed(ls, LOG_ERR, big, 10001, got_fn, &g);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.v[0].len, 10000);
	logstore_stats(ls, &st);
	assert_int_equal(st.ring_lines, 1);
	assert_int_equal(st.ring_used, cap);
	logstore_tail(ls, 10, got_fn, &t);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.v[0].len, cap - 16);
	assert_memory_equal(t.v[0].text, big, cap - 16);
	got_clear(&t);
	feed_str(ls, LOG_OUT, "after\n", NULL);
	logstore_tail(ls, 10, got_fn, &t);
	assert_int_equal(t.n, 1);
	assert_line(&t, 0, LOG_OUT, 0, "after");
	got_clear(&t);
	got_clear(&g);
	free(big);
	logstore_free(ls);
}

/* A partial line: shown on request as a piece the next bytes continue; stamped when it came, at EOF too. */
static void
test_partial(void **state)
{
	(void)state;
	struct logstore *ls = open_store(NULL, 0, 0, 4096);
	struct got g = {0};
	int64_t since = 0;
	assert_false(logstore_partial(ls, LOG_OUT, &since));
	fixed_ms = T0 + 10;
	feed_str(ls, LOG_OUT, "Password: ", &g);
	assert_int_equal(g.n, 0);
	assert_true(logstore_partial(ls, LOG_OUT, &since));
	assert_int_equal(since, T0 + 10);
	assert_false(logstore_partial(ls, LOG_ERR, NULL));
	fixed_ms = T0 + 500;
	feed_str(ls, LOG_OUT, "(hidden)", &g); /* more of the same line: still stamped when it began */
	fixed_ms = T0 + 1010;
	logstore_flush_partial(ls, LOG_OUT, got_fn, &g);
	assert_int_equal(g.n, 1);
	assert_line(&g, 0, LOG_OUT, LOG_SPLIT, "Password: (hidden)");
	assert_int_equal(g.v[0].ts_ms, T0 + 10);
	assert_false(logstore_partial(ls, LOG_OUT, NULL));
	logstore_flush_partial(ls, LOG_OUT, got_fn, &g); /* nothing pending: nothing */
	assert_int_equal(g.n, 1);
	/* The rest of the line, then one more without a newline until EOF. */
	fixed_ms = T0 + 2000;
	feed_str(ls, LOG_OUT, " ok\nlast", &g);
	assert_int_equal(g.n, 2);
	assert_line(&g, 1, LOG_OUT, 0, " ok");
	fixed_ms = T0 + 9000;
	logstore_eof(ls, LOG_OUT, got_fn, &g);
	assert_int_equal(g.n, 3);
	assert_line(&g, 2, LOG_OUT, LOG_NOEOL, "last");
	assert_int_equal(g.v[2].ts_ms, T0 + 2000); /* when it came, not when the pipe closed */
	/* Lines after it are stamped with their own time again. */
	fixed_ms = T0 + 9500;
	feed_str(ls, LOG_ERR, "after\n", &g);
	assert_int_equal(g.v[3].ts_ms, T0 + 9500);
	got_clear(&g);
	logstore_free(ls);
}

/* A reload's successor takes in its predecessor's lines, merged by time; a full ring keeps the newest. */
static void
test_adopt(void **state)
{
	(void)state;
	struct logstore *old = open_store(NULL, 0, 0, 4096);
	struct logstore *new = open_store(NULL, 0, 0, 4096);
	char buf[64];
	/* old: lines at T0+0, 2, 4 …; new: at T0+5, 7, 9 … (the predecessor's last lines overlap its start). */
	for (int i = 0; i < 10; i++) {
		fixed_ms = T0 + 2 * i;
		snprintf(buf, sizeof(buf), "old %d\n", i);
		feed_str(old, i % 2 ? LOG_ERR : LOG_OUT, buf, NULL);
	}
	for (int i = 0; i < 3; i++) {
		fixed_ms = T0 + 5 + 2 * i;
		snprintf(buf, sizeof(buf), "new %d\n", i);
		feed_str(new, LOG_OUT, buf, NULL);
	}
	logstore_adopt(new, old);
	struct got t = {0};
	logstore_tail(new, SIZE_MAX, got_fn, &t);
	assert_int_equal(t.n, 13);
	for (size_t i = 1; i < t.n; i++)
		assert_true(t.v[i - 1].ts_ms <= t.v[i].ts_ms);
	assert_line(&t, 0, LOG_OUT, 0, "old 0");
	assert_line(&t, 1, LOG_ERR, 0, "old 1");
	assert_line(&t, 3, LOG_OUT, 0, "new 0"); /* T0+5, between old 2 (T0+4) and old 3 (T0+6) */
	assert_line(&t, 4, LOG_ERR, 0, "old 3");
	got_clear(&t);
	/* The counters are the new instance's own. */
	struct logstore_stats st;
	logstore_stats(new, &st);
	assert_int_equal(st.lines, 3);
	assert_int_equal(st.ring_lines, 13);
	/* New lines go on after the adopted ones. */
	fixed_ms = T0 + 100;
	feed_str(new, LOG_OUT, "after\n", NULL);
	logstore_tail(new, 1, got_fn, &t);
	assert_line(&t, 0, LOG_OUT, 0, "after");
	got_clear(&t);
	logstore_free(new);

	/* More than fits: the newest are kept, the ring stays within its bytes, wrapped rings read right. */
	new = open_store(NULL, 0, 0, 4096);
	for (int i = 0; i < 300; i++) {
		fixed_ms = T0 + 1000 + i;
		snprintf(buf, sizeof(buf), "late %03d\n", i);
		feed_str(new, LOG_OUT, buf, NULL);
	}
	for (int i = 10; i < 500; i++) {
		fixed_ms = T0 + 2 * i;
		snprintf(buf, sizeof(buf), "old %d\n", i);
		feed_str(old, LOG_OUT, buf, NULL);
	}
	logstore_adopt(new, old);
	logstore_stats(new, &st);
	assert_true(st.ring_used <= 4096);
	logstore_tail(new, SIZE_MAX, got_fn, &t);
	assert_int_equal(t.n, st.ring_lines);
	assert_line(&t, t.n - 1, LOG_OUT, 0, "late 299");
	for (size_t i = 1; i < t.n; i++)
		assert_true(t.v[i - 1].ts_ms <= t.v[i].ts_ms);
	got_clear(&t);
	logstore_free(new);
	/* Nothing to take, or no ring: unchanged. */
	struct logstore *none = open_store(NULL, 0, 0, 4096);
	logstore_adopt(none, NULL);
	logstore_adopt(NULL, old);
	logstore_stats(none, &st);
	assert_int_equal(st.ring_lines, 0);
	logstore_free(none);
	logstore_free(old);
}

/* ---- file -------------------------------------------------------------- */

static void
test_file_format(void **state)
{
	(void)state;
	char *dir = make_dir();
	char path[512];
	snprintf(path, sizeof(path), "%s/app.log", dir);
	mode_t old = umask(022);
	struct logstore *ls = open_store(path, 0, 0, 0);
	umask(old);
	struct got g = {0};
	feed_str(ls, LOG_OUT, "hello\n", &g);
	feed_str(ls, LOG_ERR, "oops\r\n", &g);
	logstore_note(ls, LOG_ERR, "spawn failed: ./api: No such file or directory", got_fn, &g);
	fixed_ms = T0 + 876; /* .999 */
	feed_str(ls, LOG_OUT, "part", &g);
	fixed_ms = T0 + 877; /* the next second */
	feed_str(ls, LOG_OUT, "ial\n", &g);
	size_t max = LOGSTORE_MAX_LINE;
	char *big = malloc(max + 3);
	assert_non_null(big);
	memset(big, 'x', max + 2);
	big[max + 2] = '\n';
	logstore_feed(ls, LOG_ERR, big, max + 3, got_fn, &g);
	feed_str(ls, LOG_OUT, "bye", &g);
	logstore_eof(ls, LOG_OUT, got_fn, &g);
	assert_true(logstore_pending(ls));
	assert_int_equal(logstore_flush(ls), 0);
	assert_false(logstore_pending(ls));

	size_t len;
	char *text = slurp(path, &len);
	assert_non_null(text);
	size_t want_len = 512 + max;
	char *want = malloc(want_len);
	assert_non_null(want);
	int n = snprintf(want, want_len,
	    "2026-11-24T09:21:49.123Z out hello\n"
	    "2026-11-24T09:21:49.123Z err oops\r\n"
	    "2026-11-24T09:21:49.123Z err spawn failed: ./api: No such file or directory\n"
	    "2026-11-24T09:21:50.000Z out partial\n"
	    "2026-11-24T09:21:50.000Z err+ ");
	memset(want + n, 'x', max);
	n += (int)max;
	n += snprintf(want + n, want_len - (size_t)n,
	    "\n2026-11-24T09:21:50.000Z err xx\n"
	    "2026-11-24T09:21:50.000Z out%% bye\n");
	assert_int_equal(len, (size_t)n);
	assert_memory_equal(text, want, len);

	/* The stamps the callback saw are the ones in the file. */
	assert_int_equal(g.n, 7);
	assert_int_equal(g.v[2].ts_ms, T0);
	assert_int_equal(g.v[3].ts_ms, T0 + 877);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	free(want);
	free(text);
	free(big);
	got_clear(&g);
	logstore_free(ls);
	rm_tree(dir);
	free(dir);
}

static void
test_note(void **state)
{
	(void)state;
	char *dir = make_dir();
	char path[512];
	snprintf(path, sizeof(path), "%s/n.log", dir);
	struct logstore *ls = open_store(path, 0, 0, 0);
	struct got g = {0};
	feed_str(ls, LOG_OUT, "par", &g);
	fixed_ms = T0 + 5000;
	logstore_note(ls, LOG_ERR, "spawn failed: ./api: No such file or directory", got_fn,
	    &g);
	logstore_note(ls, LOG_OUT, "two\nlines\n", NULL, NULL);
	feed_str(ls, LOG_OUT, "tial\n", &g);
	assert_int_equal(g.n, 2);
	assert_line(&g, 0, LOG_ERR, 0, "spawn failed: ./api: No such file or directory");
	assert_int_equal(g.v[0].ts_ms, T0 + 5000);
	assert_line(&g, 1, LOG_OUT, 0, "partial");

	struct got t = {0};
	logstore_tail(ls, 10, got_fn, &t);
	assert_int_equal(t.n, 4);
	assert_line(&t, 0, LOG_ERR, 0, "spawn failed: ./api: No such file or directory");
	assert_int_equal(t.v[0].ts_ms, T0 + 5000);
	assert_line(&t, 1, LOG_OUT, 0, "two");
	assert_line(&t, 2, LOG_OUT, 0, "lines");
	assert_line(&t, 3, LOG_OUT, 0, "partial");
	assert_int_equal(logstore_flush(ls), 0);
	size_t len;
	char *text = slurp(path, &len);
	assert_non_null(text);
	assert_string_equal(text,
	    "2026-11-24T09:21:54.123Z err spawn failed: ./api: No such file or directory\n"
	    "2026-11-24T09:21:54.123Z out two\n"
	    "2026-11-24T09:21:54.123Z out lines\n"
	    "2026-11-24T09:21:54.123Z out partial\n");
	free(text);
	got_clear(&g);
	got_clear(&t);
	logstore_free(ls);
	rm_tree(dir);
	free(dir);
}

/* Checks that the files hold "line %06d" lines numbered contiguously up to last. */
static size_t
check_contiguous(char **texts, int nfiles, int last, size_t line_len)
{
	int next = -1;
	size_t lines = 0;
	for (int f = 0; f < nfiles; f++) {
		const char *p = texts[f];
		while (*p != '\0') {
			const char *nl = strchr(p, '\n');
			assert_non_null(nl);
			assert_int_equal((size_t)(nl - p) + 1, line_len);
			assert_memory_equal(p, "2026-11-24T09:21:49.123Z out line ", 34);
			int k = atoi(p + 34);
			if (next >= 0)
				assert_int_equal(k, next);
			next = k + 1;
			lines++;
			p = nl + 1;
		}
	}
	assert_int_equal(next, last + 1);
	return lines;
}

static void
test_rotation(void **state)
{
	(void)state;
	char *dir = make_dir();
	char path[512], p1[520], p2[520], p3[520];
	snprintf(path, sizeof(path), "%s/app.log", dir);
	snprintf(p1, sizeof(p1), "%s.1", path);
	snprintf(p2, sizeof(p2), "%s.2", path);
	snprintf(p3, sizeof(p3), "%s.3", path);
	const int64_t max = 4096;
	const size_t line_len = strlen("2026-11-24T09:21:49.123Z out line 000000\n");
	struct logstore *ls = open_store(path, max, 2, 0);
	char buf[64];
	int i = 0;
	/* Small flushes, then one flush that spans several rotations. */
	for (; i < 1000; i++) {
		snprintf(buf, sizeof(buf), "line %06d\n", i);
		feed_str(ls, LOG_OUT, buf, NULL);
		if (i % 37 == 0)
			assert_int_equal(logstore_flush(ls), 0);
	}
	assert_int_equal(logstore_flush(ls), 0);
	for (; i < 1500; i++) {
		snprintf(buf, sizeof(buf), "line %06d\n", i);
		feed_str(ls, LOG_OUT, buf, NULL);
	}
	assert_int_equal(logstore_flush(ls), 0);
	assert_int_equal(count_entries(dir), 3);
	assert_int_equal(file_size(p3), -1);
	/* A rotated file is filled up to its last whole line. */
	size_t full = (size_t)max / line_len * line_len;
	assert_int_equal(file_size(p2), (off_t)full);
	assert_int_equal(file_size(p1), (off_t)full);
	assert_true(file_size(path) > 0 && file_size(path) <= max);
	size_t len;
	char *texts[3] = {slurp(p2, &len), slurp(p1, &len), slurp(path, &len)};
	for (int f = 0; f < 3; f++)
		assert_non_null(texts[f]);
	size_t lines = check_contiguous(texts, 3, 1499, line_len);
	assert_true(lines > 2 * (size_t)max / line_len);
	for (int f = 0; f < 3; f++)
		free(texts[f]);
	struct logstore_stats st;
	logstore_stats(ls, &st);
	assert_int_equal(st.dropped_bytes, 0);
	assert_int_equal(st.file_errno, 0);
	logstore_free(ls);
	rm_tree(dir);
	free(dir);
}

static void
test_rotation_none_kept(void **state)
{
	(void)state;
	char *dir = make_dir();
	char path[512];
	snprintf(path, sizeof(path), "%s/app.log", dir);
	const int64_t max = 4096;
	const size_t line_len = strlen("2026-11-24T09:21:49.123Z out line 000000\n");
	struct logstore *ls = open_store(path, max, 0, 0);
	char buf[64];
	int old = -1;
	for (int i = 0; i < 500; i++) {
		snprintf(buf, sizeof(buf), "line %06d\n", i);
		feed_str(ls, LOG_OUT, buf, NULL);
		if (i == 98) {
			/* The first file is full (99 lines); the next line rotates it. */
			assert_int_equal(logstore_flush(ls), 0);
			old = open(path, O_RDONLY | O_CLOEXEC);
			assert_true(old >= 0);
		} else if (i == 99) {
			assert_int_equal(logstore_flush(ls), 0);
			/* Removed, not moved somewhere else. */
			struct stat st;
			assert_int_equal(fstat(old, &st), 0);
			assert_int_equal(st.st_nlink, 0);
			close(old);
			assert_int_equal(file_size(path), (off_t)line_len);
		} else if (i % 50 == 0) {
			assert_int_equal(logstore_flush(ls), 0);
		}
	}
	assert_int_equal(logstore_flush(ls), 0);
	assert_int_equal(count_entries(dir), 1);
	size_t len;
	char *text = slurp(path, &len);
	assert_non_null(text);
	assert_true(len > 0 && len <= (size_t)max);
	check_contiguous(&text, 1, 499, line_len);
	/* The file started fresh at a rotation: its first line is on a file boundary. */
	assert_int_equal((499 + 1 - len / line_len) % (max / (int64_t)line_len), 0);
	free(text);
	logstore_free(ls);
	rm_tree(dir);
	free(dir);
}

static void
test_rotation_exact_fit(void **state)
{
	(void)state;
	char *dir = make_dir();
	char path[512], p1[520];
	snprintf(path, sizeof(path), "%s/app.log", dir);
	snprintf(p1, sizeof(p1), "%s.1", path);
	/* Three 41-byte lines fill a 123-byte file exactly; the fourth starts a new one. */
	struct logstore *ls = open_store(path, 3 * 41, 1, 0);
	feed_str(ls, LOG_OUT, "line 000000\nline 000001\n", NULL);
	assert_int_equal(logstore_flush(ls), 0);
	feed_str(ls, LOG_OUT, "line 000002\n", NULL);
	assert_int_equal(logstore_flush(ls), 0);
	assert_int_equal(file_size(path), 3 * 41);
	assert_int_equal(file_size(p1), -1);
	feed_str(ls, LOG_OUT, "line 000003\n", NULL);
	assert_int_equal(logstore_flush(ls), 0);
	assert_int_equal(file_size(p1), 3 * 41);
	assert_int_equal(file_size(path), 41);
	logstore_free(ls);
	rm_tree(dir);
	free(dir);
}

static void
test_fifo_not_rotated(void **state)
{
	(void)state;
	char *dir = make_dir();
	char path[512], p1[520];
	snprintf(path, sizeof(path), "%s/pipe.log", dir);
	snprintf(p1, sizeof(p1), "%s.1", path);
	assert_int_equal(mkfifo(path, 0600), 0);
	int rd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	assert_true(rd >= 0);
	/* Past max_size, but not a regular file: written on, never renamed. */
	struct logstore *ls = open_store(path, 100, 2, 0);
	feed_str(ls, LOG_OUT, "line 000000\nline 000001\nline 000002\n", NULL);
	assert_int_equal(logstore_flush(ls), 0);
	assert_int_equal(file_size(p1), -1);
	char buf[256];
	ssize_t n = read(rd, buf, sizeof(buf));
	assert_int_equal(n, 3 * 41);
	assert_memory_equal(buf + 2 * 41, "2026-11-24T09:21:49.123Z out line 000002\n", 41);
	logstore_free(ls);
	close(rd);
	rm_tree(dir);
	free(dir);
}

static void
test_rotation_long_line(void **state)
{
	(void)state;
	char *dir = make_dir();
	char path[512], p1[520], p2[520];
	snprintf(path, sizeof(path), "%s/app.log", dir);
	snprintf(p1, sizeof(p1), "%s.1", path);
	snprintf(p2, sizeof(p2), "%s.2", path);
	struct logstore *ls = open_store(path, 1000, 3, 0);
	feed_str(ls, LOG_OUT, "small\n", NULL);
	char big[3001];
	memset(big, 'L', 3000);
	big[3000] = '\n';
	logstore_feed(ls, LOG_OUT, big, sizeof(big), NULL, NULL);
	feed_str(ls, LOG_OUT, "after\n", NULL);
	assert_int_equal(logstore_flush(ls), 0);
	/* A line longer than max_size is written whole, in a file of its own. */
	size_t len;
	char *a = slurp(p2, &len), *b = slurp(p1, &len), *c = slurp(path, &len);
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_string_equal(a, "2026-11-24T09:21:49.123Z out small\n");
	assert_int_equal(strlen(b), 29 + 3000 + 1);
	assert_string_equal(c, "2026-11-24T09:21:49.123Z out after\n");
	free(a);
	free(b);
	free(c);
	logstore_free(ls);
	rm_tree(dir);
	free(dir);
}

static void
test_many_lines(void **state)
{
	(void)state;
	char *dir = make_dir();
	char path[512];
	snprintf(path, sizeof(path), "%s/many.log", dir);
	const int total = 200000, max_files = 50;
	const int64_t max = 1000 * 1000;
	struct logstore *ls = open_store(path, max, max_files, 0);
	/* The input, cut into 64 KiB chunks regardless of line ends. */
	size_t cap = (size_t)total * 8, n = 0;
	char *in = malloc(cap);
	assert_non_null(in);
	for (int i = 1; i <= total; i++)
		n += (size_t)snprintf(in + n, cap - n, "%d\n", i);
	for (size_t off = 0; off < n; off += 65536) {
		size_t k = n - off < 65536 ? n - off : 65536;
		logstore_feed(ls, LOG_OUT, in + off, k, NULL, NULL);
		assert_int_equal(logstore_flush(ls), 0);
	}
	struct logstore_stats st;
	logstore_stats(ls, &st);
	assert_int_equal(st.lines, (uint64_t)total);
	assert_int_equal(st.bytes, n);
	assert_int_equal(st.dropped_bytes, 0);

	/* Oldest file first: .N … .1, then the current one. */
	int next = 1, files = 0;
	for (int f = max_files; f >= 0; f--) {
		char p[600];
		if (f > 0)
			snprintf(p, sizeof(p), "%s.%d", path, f);
		else
			snprintf(p, sizeof(p), "%s", path);
		size_t len;
		char *text = slurp(p, &len);
		if (text == NULL)
			continue;
		files++;
		assert_true(len <= (size_t)max);
		for (char *q = text; *q != '\0';) {
			char *nl = strchr(q, '\n');
			assert_non_null(nl);
			assert_memory_equal(q, "2026-11-24T09:21:49.123Z out ", 29);
			assert_int_equal(strtol(q + 29, NULL, 10), next);
			next++;
			q = nl + 1;
		}
		free(text);
	}
	assert_int_equal(next, total + 1);
	assert_true(files > 2 && files < max_files);
	free(in);
	logstore_free(ls);
	rm_tree(dir);
	free(dir);
}

static void
test_flush_inside_feed(void **state)
{
	(void)state;
	char *dir = make_dir();
	char path[512];
	snprintf(path, sizeof(path), "%s/a.log", dir);
	struct logstore *ls = open_store(path, 0, 0, 0);
	size_t cap = 1 << 21, n = 0;
	char *in = malloc(cap);
	assert_non_null(in);
	int i;
	for (i = 0; n < (1 << 20); i++)
		n += (size_t)snprintf(in + n, cap - n, "%d\n", i);
	logstore_feed(ls, LOG_ERR, in, n, NULL, NULL);
	/* No flush called, yet most of it is written: the buffer has a fixed cap. */
	off_t on_disk = file_size(path);
	assert_true(on_disk > 0);
	size_t formatted = n + (size_t)i * 29;
	assert_true((size_t)on_disk + 256 * 1024 >= formatted);
	assert_true(logstore_pending(ls));
	assert_int_equal(logstore_flush(ls), 0);
	assert_int_equal(file_size(path), (off_t)formatted);
	free(in);
	logstore_free(ls);
	rm_tree(dir);
	free(dir);
}

/* ---- failures ---------------------------------------------------------- */

static void
test_missing_dir(void **state)
{
	(void)state;
	char *dir = make_dir();
	char sub[512], path[600];
	snprintf(sub, sizeof(sub), "%s/nope", dir);
	snprintf(path, sizeof(path), "%s/app.log", sub);
	struct logstore *ls = open_store(path, 4096, 2, 0);
	struct logstore_stats st;
	logstore_stats(ls, &st);
	assert_int_equal(st.file_errno, ENOENT);
	char buf[64];
	for (int i = 0; i < 10; i++) {
		snprintf(buf, sizeof(buf), "line %06d\n", i);
		feed_str(ls, LOG_OUT, buf, NULL);
	}
	assert_int_equal(logstore_flush(ls), -1);
	logstore_stats(ls, &st);
	assert_int_equal(st.dropped_bytes, 10 * 41);
	assert_int_equal(st.file_errno, ENOENT);
	assert_int_equal(st.ring_lines, 10);
	assert_false(logstore_pending(ls));
	struct got t = {0};
	logstore_tail(ls, 1, got_fn, &t);
	assert_int_equal(t.n, 1);
	assert_line(&t, 0, LOG_OUT, 0, "line 000009");
	got_clear(&t);

	/* The folder appears: the next flush opens the file and writes. */
	assert_int_equal(mkdir(sub, 0755), 0);
	feed_str(ls, LOG_OUT, "back\n", NULL);
	assert_int_equal(logstore_flush(ls), 0);
	logstore_stats(ls, &st);
	assert_int_equal(st.file_errno, 0);
	assert_int_equal(st.dropped_bytes, 10 * 41);
	size_t len;
	char *text = slurp(path, &len);
	assert_non_null(text);
	assert_string_equal(text, "2026-11-24T09:21:49.123Z out back\n");
	free(text);
	logstore_free(ls);
	rm_tree(dir);
	free(dir);
}

static void
test_disk_full(void **state)
{
	(void)state;
	if (access("/dev/full", W_OK) != 0)
		skip();
	/* max_size 0: never rotate (renaming /dev/full must not be tried). */
	struct logstore *ls = open_store("/dev/full", 0, 0, 0);
	struct logstore_stats st;
	logstore_stats(ls, &st);
	assert_int_equal(st.file_errno, 0);
	feed_str(ls, LOG_ERR, "no room\n", NULL);
	assert_int_equal(logstore_flush(ls), -1);
	logstore_stats(ls, &st);
	assert_int_equal(st.file_errno, ENOSPC);
	assert_int_equal(st.dropped_bytes, strlen("2026-11-24T09:21:49.123Z err no room\n"));
	/* The buffer fills and is flushed (and dropped) inside feed; the ring goes on. */
	char line[1000];
	memset(line, 'z', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	for (int i = 0; i < 1000; i++)
		logstore_feed(ls, LOG_OUT, line, sizeof(line), NULL, NULL);
	logstore_stats(ls, &st);
	assert_true(st.dropped_bytes > 500 * 1000);
	assert_int_equal(st.lines, 1001);
	assert_true(st.ring_lines > 0);
	assert_int_equal(logstore_flush(ls), -1);
	logstore_stats(ls, &st);
	assert_int_equal(st.dropped_bytes, 37 + 1000 * (29 + sizeof(line)));
	struct got t = {0};
	logstore_tail(ls, 1, got_fn, &t);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.v[0].len, sizeof(line) - 1);
	got_clear(&t);
	logstore_free(ls);
}

static void
test_removed_file(void **state)
{
	(void)state;
	char *dir = make_dir();
	char path[512], moved[600];
	snprintf(path, sizeof(path), "%s/r.log", dir);
	snprintf(moved, sizeof(moved), "%s/elsewhere.log", dir);
	struct logstore *ls = open_store(path, 0, 0, 0);
	feed_str(ls, LOG_OUT, "one\n", NULL);
	assert_int_equal(logstore_flush(ls), 0);
	assert_int_equal(unlink(path), 0);
	feed_str(ls, LOG_OUT, "two\n", NULL);
	assert_int_equal(logstore_flush(ls), 0);
	size_t len;
	char *text = slurp(path, &len);
	assert_non_null(text);
	assert_string_equal(text, "2026-11-24T09:21:49.123Z out two\n");
	free(text);
	/* Moved away (as an outside rotation would): a new file at path. */
	assert_int_equal(rename(path, moved), 0);
	feed_str(ls, LOG_OUT, "three\n", NULL);
	assert_int_equal(logstore_flush(ls), 0);
	text = slurp(path, &len);
	assert_non_null(text);
	assert_string_equal(text, "2026-11-24T09:21:49.123Z out three\n");
	free(text);
	logstore_free(ls);
	rm_tree(dir);
	free(dir);
}

static void
test_new_args(void **state)
{
	(void)state;
	errno = 0;
	assert_null(logstore_new(NULL));
	assert_int_equal(errno, EINVAL);
	struct logstore_opts o = {.max_files = -1};
	assert_null(logstore_new(&o));
	assert_int_equal(errno, EINVAL);
	logstore_free(NULL);
	/* ring_bytes 0: the default, 1 MiB. */
	o.max_files = 0;
	struct logstore *ls = logstore_new(&o);
	assert_non_null(ls);
	char line[1024];
	memset(line, 'r', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	for (int i = 0; i < 2000; i++)
		logstore_feed(ls, LOG_OUT, line, sizeof(line), NULL, NULL);
	struct logstore_stats st;
	logstore_stats(ls, &st);
	assert_true(st.ring_used <= (size_t)1 << 20);
	/* Nearly full: a full ring evicts a few KiB beyond need (at most 4 KiB + a record). */
	assert_true(st.ring_used > ((size_t)1 << 20) - 4096 - 2 * 1040);
	assert_int_equal(st.file_errno, 0);
	/* The real clock: stamps are now-ish. */
	struct got t = {0};
	logstore_tail(ls, 1, got_fn, &t);
	assert_int_equal(t.n, 1);
	assert_true(t.v[0].ts_ms > (int64_t)time(NULL) * 1000 - 60000);
	got_clear(&t);
	logstore_free(ls);
}

/* ---- throughput (reported, not asserted) -------------------------------- */

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
test_throughput(void **state)
{
	(void)state;
	const int total = 2000000;
	size_t cap = (size_t)total * 9, n = 0;
	char *in = malloc(cap);
	assert_non_null(in);
	for (int i = 1; i <= total; i++)
		n += (size_t)snprintf(in + n, cap - n, "%d\n", i);
	char *dir = make_dir();
	char path[512];
	snprintf(path, sizeof(path), "%s/bench.log", dir);
	for (int pass = 0; pass < 2; pass++) {
		struct logstore_opts o = {
			.path = pass == 0 ? path : NULL, .max_size = 0, .ring_bytes = 1 << 20,
		};
		struct logstore *ls = logstore_new(&o);
		assert_non_null(ls);
		double t0 = now_s();
		for (size_t off = 0; off < n; off += 65536) {
			size_t k = n - off < 65536 ? n - off : 65536;
			logstore_feed(ls, LOG_OUT, in + off, k, NULL, NULL);
			logstore_flush(ls);
		}
		logstore_free(ls);
		double dt = now_s() - t0;
		print_message("throughput %s: %d lines (%zu bytes in) in %.1f ms: %.1f Mlines/s\n",
		    pass == 0 ? "file+ring" : "ring only", total, n, dt * 1e3, total / dt / 1e6);
		if (pass == 0)
			print_message("throughput file size: %lld bytes\n",
			    (long long)file_size(path));
	}
	free(in);
	rm_tree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytewise_crlf),
		cmocka_unit_test(test_adopt),
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_streams_interleaved),
		cmocka_unit_test(test_noeol),
		cmocka_unit_test(test_split_edges),
		cmocka_unit_test(test_huge_line_bounded),
		cmocka_unit_test(test_ring_eviction),
		cmocka_unit_test(test_file_format),
		cmocka_unit_test(test_note),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_rotation_none_kept),
		cmocka_unit_test(test_rotation_exact_fit),
		cmocka_unit_test(test_fifo_not_rotated),
		cmocka_unit_test(test_rotation_long_line),
		cmocka_unit_test(test_many_lines),
		cmocka_unit_test(test_flush_inside_feed),
		cmocka_unit_test(test_missing_dir),
		cmocka_unit_test(test_disk_full),
		cmocka_unit_test(test_removed_file),
		cmocka_unit_test(test_new_args),
		cmocka_unit_test(test_throughput),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
