/*
 * logstore — owns one process instance's captured output: the per-stream
 * partial lines, the ring of newest lines, the file buffer and the log file
 * with its rotation.
 *
 * File format, one line per captured line:
 *
 *	2026-11-24T09:21:49.123Z out text\n
 *
 * the stamp in UTC (ISO-8601, milliseconds), the stream ("out" or "err"),
 * one space, the text as captured (a CR before the LF is kept). A piece of
 * a split line (LOG_SPLIT) is tagged "out+"/"err+"; a line the stream
 * ended without a newline (LOG_NOEOL) is tagged "out%"/"err%".
 *
 * Every buffer is bounded. A partial line waits in a LOGSTORE_MAX_LINE
 * buffer per stream; it is handed on as a LOG_SPLIT piece only when a
 * further byte of the same line arrives, so a line of exactly
 * LOGSTORE_MAX_LINE bytes is not split. The file buffer holds
 * LOGSTORE_FILE_BUF bytes; when a line would not fit, it is flushed inside
 * logstore_feed. The ring is one byte buffer of ring_bytes (0 = 1 MiB) in
 * which each line is a 16-byte header followed by its text, padded to 8
 * bytes; records never wrap (a record that does not fit before the end
 * starts again at offset 0), so tail hands out text in place. The oldest
 * records are evicted to make room; a line longer than the whole ring is
 * stored truncated to the ring's size (its beginning is kept; the file gets
 * it whole).
 *
 * The clock is read once per feed, eof or note call, and a line is stamped
 * with the time of the call that completed it. The stamp prefixes
 * ("YYYY-MM-DDTHH:MM:SS." is formatted once per second) are rebuilt only
 * when the millisecond changes.
 *
 * Failures of the file never fail the caller: the bytes are counted in
 * dropped_bytes and file_errno is set (it goes back to 0 after a flush
 * without error). Each flush checks the file is still the one at path and
 * reopens it when it was removed or never opened, trying the open at most
 * once per flush. Rotation renames NAME.log.(N-1) to NAME.log.N …
 * NAME.log to NAME.log.1 and opens a new NAME.log (with max_files 0,
 * NAME.log is removed instead); the buffer is cut at line ends so that no
 * file passes max_size unless one line alone is longer, in which case that
 * line is written whole to a new file. Only regular files are rotated (a
 * log path naming a FIFO or a device is written to, never renamed).
 */
#include "core/logstore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/model.h"

#define LOGSTORE_FILE_BUF (256 * 1024)
#define LOGSTORE_RING_DEFAULT ((size_t)1 << 20)
#define LOGSTORE_RING_SLACK 4096 /* bytes freed beyond need when a full ring evicts */
#define LOGSTORE_STAMP_MAX 48 /* "YYYY-MM-DDTHH:MM:SS.mmmZ err+ " with room for odd years */

enum logstore_kind { LOGSTORE_PLAIN = 0, LOGSTORE_PIECE = 1, LOGSTORE_NOEOL = 2 };

/* The header in front of each line in the ring; 8-byte aligned. */
struct logstore_rec {
	int64_t ts_ms;   /* realtime, milliseconds since the epoch */
	uint32_t len;    /* bytes of text that follow the header */
	uint8_t stream;  /* enum log_stream */
	uint8_t flags;   /* LOG_SPLIT, LOG_NOEOL */
	uint16_t pad;
};

struct logstore {
	char *path;                 /* owned copy; NULL = memory only */
	char *rot_from, *rot_to;    /* owned: room for path + ".N" */
	int64_t max_size;           /* bytes; 0 = never rotate */
	int max_files;
	int fd;                     /* owned; -1 = not open */
	dev_t fd_dev;               /* identity of the open file, to notice removal */
	ino_t fd_ino;
	bool fd_reg;                /* a regular file: only these are rotated */
	int64_t file_size;          /* bytes: fstat at open plus bytes written */

	char *fbuf;                 /* owned, LOGSTORE_FILE_BUF bytes of formatted lines */
	size_t flen;                /* bytes waiting in fbuf */

	char *part[2];              /* owned, LOGSTORE_MAX_LINE bytes each: partial line per stream */
	size_t plen[2];             /* bytes in part[s] */
	int64_t part_ts[2];         /* when the first of them came: the stamp of the line they become */

	char *ring;                 /* owned, ring_cap bytes */
	size_t ring_cap;            /* bytes, a multiple of 8; 0 = ring holds nothing */
	size_t ring_head;           /* offset of the oldest record */
	size_t ring_tail;           /* offset where the next record goes */
	size_t ring_end;            /* when wrapped: where the records before offset 0 end */
	bool ring_wrapped;          /* records run head..end, then 0..tail */
	size_t ring_lines;
	size_t ring_used;           /* bytes in records (headers, text, padding) */

	int64_t (*now_ms)(void);    /* NULL = CLOCK_REALTIME */
	int64_t ts_ms;              /* stamp for lines of the current call */
	int64_t stamp_ms;           /* ts_ms the prefixes below were made for */
	int64_t stamp_sec;          /* second date_pfx was made for */
	char date_pfx[LOGSTORE_STAMP_MAX];     /* "YYYY-MM-DDTHH:MM:SS." */
	size_t date_len;
	char pfx[2][3][LOGSTORE_STAMP_MAX];    /* [stream][kind]: "...mmmZ out+ " */
	size_t pfx_len[2][3];
	bool stamp_valid;

	uint64_t lines;
	uint64_t bytes;
	uint64_t dropped_bytes;
	int file_errno;
};

/* ---- helpers ----------------------------------------------------------- */

static void *logstore_map(size_t size);
static void logstore_unmap(void *p, size_t size);

/* memcpy for the short lines that dominate logs: no call, and never reads past src + n. */
static inline void
logstore_copy(char *dst, const char *src, size_t n)
{
	if (n >= 16 && n <= 32) {
		memcpy(dst, src, 16);
		memcpy(dst + n - 16, src + n - 16, 16);
	} else if (n >= 8 && n < 16) {
		memcpy(dst, src, 8);
		memcpy(dst + n - 8, src + n - 8, 8);
	} else if (n >= 4 && n < 8) {
		memcpy(dst, src, 4);
		memcpy(dst + n - 4, src + n - 4, 4);
	} else if (n > 32) {
		memcpy(dst, src, n);
	} else {
		for (size_t i = 0; i < n; i++)
			dst[i] = src[i];
	}
}

/* ---- clock and stamps -------------------------------------------------- */

static void logstore_stamp(struct logstore *ls, int64_t ts_ms);

/* Reads the clock once for the lines of this call and refreshes the file prefixes. */
static void
logstore_tick(struct logstore *ls)
{
	logstore_stamp(ls, ls->now_ms != NULL ? ls->now_ms() : model_realtime_ms());
}

static void
logstore_stamp(struct logstore *ls, int64_t ts_ms)
{
	ls->ts_ms = ts_ms;
	if (ls->path == NULL || (ls->stamp_valid && ls->stamp_ms == ls->ts_ms))
		return;
	int64_t sec = ls->ts_ms / 1000, ms = ls->ts_ms % 1000;
	if (ms < 0) {
		ms += 1000;
		sec--;
	}
	if (!ls->stamp_valid || sec != ls->stamp_sec) {
		time_t t = (time_t)sec;
		struct tm tm;
		int n = -1;
		if (gmtime_r(&t, &tm) != NULL)
			n = snprintf(ls->date_pfx, sizeof(ls->date_pfx),
			    "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900, tm.tm_mon + 1,
			    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		if (n < 0 || (size_t)n >= sizeof(ls->date_pfx) - 16)
			n = snprintf(ls->date_pfx, sizeof(ls->date_pfx), "0000-00-00T00:00:00.");
		ls->date_len = (size_t)n;
		ls->stamp_sec = sec;
	}
	static const char *const names[2] = {"out", "err"};
	static const char *const marks[3] = {" ", "+ ", "% "};
	for (int s = 0; s < 2; s++) {
		for (int k = 0; k < 3; k++) {
			char *p = ls->pfx[s][k];
			memcpy(p, ls->date_pfx, ls->date_len);
			p += ls->date_len;
			*p++ = (char)('0' + ms / 100);
			*p++ = (char)('0' + ms / 10 % 10);
			*p++ = (char)('0' + ms % 10);
			*p++ = 'Z';
			*p++ = ' ';
			memcpy(p, names[s], 3);
			p += 3;
			size_t m = strlen(marks[k]);
			memcpy(p, marks[k], m);
			p += m;
			ls->pfx_len[s][k] = (size_t)(p - ls->pfx[s][k]);
		}
	}
	ls->stamp_ms = ls->ts_ms;
	ls->stamp_valid = true;
}

/* ---- file -------------------------------------------------------------- */

/* Opens path for appending and learns its size and identity; 0 or -1 with errno. */
static int
logstore_open(struct logstore *ls)
{
	int fd = open(ls->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	ls->fd = fd;
	ls->fd_dev = st.st_dev;
	ls->fd_ino = st.st_ino;
	ls->fd_reg = S_ISREG(st.st_mode);
	ls->file_size = (int64_t)st.st_size;
	return 0;
}

/* Closes the log file if it is open. */
static void
logstore_close(struct logstore *ls)
{
	if (ls->fd >= 0)
		close(ls->fd);
	ls->fd = -1;
}

/* True when the open file is no longer the one at path (removed or replaced). */
static bool
logstore_file_gone(const struct logstore *ls)
{
	struct stat st;
	if (stat(ls->path, &st) < 0)
		return errno == ENOENT || errno == ENOTDIR;
	return st.st_dev != ls->fd_dev || st.st_ino != ls->fd_ino;
}

/* Writes all n bytes, retrying short writes; *done says how many went out; 0 or -1 + errno. */
static int
logstore_write_all(int fd, const char *p, size_t n, size_t *done)
{
	*done = 0;
	while (*done < n) {
		ssize_t w = write(fd, p + *done, n - *done);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		*done += (size_t)w;
	}
	return 0;
}

/*
 * Moves the files one step up (or removes NAME.log), noting failures in
 * *err, and opens a new NAME.log; 0 or -1 with errno.
 */
static int
logstore_rotate(struct logstore *ls, int *err)
{
	size_t room = strlen(ls->path) + 24;
	if (ls->max_files == 0) {
		if (unlink(ls->path) < 0 && errno != ENOENT)
			*err = errno;
	} else {
		for (int i = ls->max_files - 1; i >= 1; i--) {
			snprintf(ls->rot_from, room, "%s.%d", ls->path, i);
			snprintf(ls->rot_to, room, "%s.%d", ls->path, i + 1);
			if (rename(ls->rot_from, ls->rot_to) < 0 && errno != ENOENT)
				*err = errno;
		}
		snprintf(ls->rot_to, room, "%s.1", ls->path);
		if (rename(ls->path, ls->rot_to) < 0 && errno != ENOENT)
			*err = errno;
	}
	logstore_close(ls);
	return logstore_open(ls);
}

/* How many bytes from p (n of them, whole lines) to write before rotating; 0 = rotate first. */
static size_t
logstore_fit(const struct logstore *ls, const char *p, size_t n, bool fresh)
{
	if (ls->max_size <= 0 || !ls->fd_reg || ls->file_size + (int64_t)n <= ls->max_size)
		return n;
	int64_t room = ls->max_size - ls->file_size;
	if (room > 0) {
		const char *nl = memrchr(p, '\n', (size_t)room < n ? (size_t)room : n);
		if (nl != NULL)
			return (size_t)(nl - p) + 1;
	}
	if (!fresh)
		return 0;
	/* A new file and still no room: the first line goes in whole. */
	const char *nl = memchr(p, '\n', n);
	return nl != NULL ? (size_t)(nl - p) + 1 : n;
}

int
logstore_flush(struct logstore *ls)
{
	if (ls == NULL || ls->path == NULL || ls->flen == 0)
		return 0;
	int err = 0;
	size_t off = 0;
	if (ls->fd >= 0 && logstore_file_gone(ls))
		logstore_close(ls);
	if (ls->fd < 0 && logstore_open(ls) < 0) {
		err = errno;
		goto out;
	}
	bool fresh = ls->file_size == 0;
	bool stuck = false; /* a rotation left the old file in place: write on into it */
	while (off < ls->flen) {
		size_t n = ls->flen - off;
		if (!stuck)
			n = logstore_fit(ls, ls->fbuf + off, n, fresh);
		if (n == 0) {
			if (logstore_rotate(ls, &err) < 0) {
				err = errno;
				goto out;
			}
			fresh = true;
			stuck = ls->file_size != 0;
			continue;
		}
		size_t done;
		int rc = logstore_write_all(ls->fd, ls->fbuf + off, n, &done);
		ls->file_size += (int64_t)done;
		off += done;
		if (rc < 0) {
			err = errno;
			goto out;
		}
		fresh = false;
	}
out:
	ls->dropped_bytes += ls->flen - off;
	ls->file_errno = err;
	bool dropped = off < ls->flen;
	ls->flen = 0;
	return dropped ? -1 : 0;
}

bool
logstore_pending(const struct logstore *ls)
{
	return ls != NULL && ls->flen > 0;
}

/* Appends one formatted line to the file buffer, flushing first when it would not fit. */
static inline void
logstore_file_put(struct logstore *ls, enum log_stream s, const char *text, size_t len,
    unsigned flags)
{
	int k = (flags & LOG_SPLIT) != 0 ? LOGSTORE_PIECE :
	    (flags & LOG_NOEOL) != 0 ? LOGSTORE_NOEOL : LOGSTORE_PLAIN;
	size_t plen = ls->pfx_len[s][k];
	/* The prefix is copied as a fixed LOGSTORE_STAMP_MAX bytes (faster than its exact length). */
	if (ls->flen + LOGSTORE_STAMP_MAX + len + 1 > LOGSTORE_FILE_BUF)
		logstore_flush(ls);
	char *p = ls->fbuf + ls->flen;
	memcpy(p, ls->pfx[s][k], LOGSTORE_STAMP_MAX);
	logstore_copy(p + plen, text, len);
	p[plen + len] = '\n';
	ls->flen += plen + len + 1;
}

/* ---- ring -------------------------------------------------------------- */

/* Bytes a record with len bytes of text takes in the ring. */
static size_t
logstore_rec_size(size_t len)
{
	return sizeof(struct logstore_rec) + ((len + 7) & ~(size_t)7);
}

/* Reads the header of the record at off. */
static struct logstore_rec
logstore_rec_at(const struct logstore *ls, size_t off)
{
	struct logstore_rec r;
	memcpy(&r, ls->ring + off, sizeof(r));
	return r;
}

/* Drops the oldest record from the ring. */
static void
logstore_ring_evict(struct logstore *ls)
{
	size_t rs = logstore_rec_size(logstore_rec_at(ls, ls->ring_head).len);
	ls->ring_head += rs;
	ls->ring_used -= rs;
	ls->ring_lines--;
	if (ls->ring_wrapped && ls->ring_head == ls->ring_end) {
		ls->ring_head = 0;
		ls->ring_wrapped = false;
	}
}

/*
 * Evicts the oldest records until rs contiguous bytes are free at
 * ring_tail; when it has to evict, it frees LOGSTORE_RING_SLACK bytes more,
 * so that a full ring evicts once per few KiB of output, not once per line.
 */
static void
logstore_ring_room(struct logstore *ls, size_t rs)
{
	size_t want = rs;
	for (;;) {
		if (ls->ring_lines == 0) {
			ls->ring_head = ls->ring_tail = 0;
			ls->ring_wrapped = false;
			return;
		}
		if (!ls->ring_wrapped) {
			if (ls->ring_tail + want <= ls->ring_cap)
				return;
			ls->ring_end = ls->ring_tail;
			ls->ring_tail = 0;
			ls->ring_wrapped = true;
		}
		if (ls->ring_tail + want <= ls->ring_head)
			return;
		if (want == rs && rs + LOGSTORE_RING_SLACK <= ls->ring_cap / 4)
			want = rs + LOGSTORE_RING_SLACK;
		logstore_ring_evict(ls);
	}
}

/* Copies one line into the ring, truncated to the ring's size if longer. */
static inline void
logstore_ring_put(struct logstore *ls, enum log_stream s, const char *text, size_t len,
    unsigned flags)
{
	size_t rs = logstore_rec_size(len);
	size_t end = ls->ring_tail + rs;
	if (ls->ring_wrapped ? end > ls->ring_head : end > ls->ring_cap) {
		if (ls->ring_cap < sizeof(struct logstore_rec) + 8)
			return;
		if (rs > ls->ring_cap) {
			len = ls->ring_cap - sizeof(struct logstore_rec);
			rs = logstore_rec_size(len);
		}
		logstore_ring_room(ls, rs);
	}
	struct logstore_rec r = {
		.ts_ms = ls->ts_ms,
		.len = (uint32_t)len,
		.stream = (uint8_t)s,
		.flags = (uint8_t)flags,
	};
	char *p = ls->ring + ls->ring_tail;
	memcpy(p, &r, sizeof(r));
	logstore_copy(p + sizeof(r), text, len);
	ls->ring_tail += rs;
	ls->ring_used += rs;
	ls->ring_lines++;
}

/* The offset of the record after the one at off (of len bytes of text). */
static size_t
logstore_rec_next(const struct logstore *ls, size_t off, size_t len)
{
	off += logstore_rec_size(len);
	return ls->ring_wrapped && off == ls->ring_end ? 0 : off;
}

void
logstore_tail(const struct logstore *ls, size_t n, log_line_fn fn, void *arg)
{
	if (ls == NULL || fn == NULL)
		return;
	size_t skip = ls->ring_lines > n ? ls->ring_lines - n : 0;
	size_t off = ls->ring_head;
	for (size_t i = 0; i < ls->ring_lines; i++) {
		struct logstore_rec r = logstore_rec_at(ls, off);
		if (i >= skip) {
			struct log_line line = {
				.ts_ms = r.ts_ms,
				.stream = (enum log_stream)r.stream,
				.flags = r.flags,
				.len = r.len,
				.text = ls->ring + off + sizeof(r),
			};
			fn(&line, arg);
		}
		off = logstore_rec_next(ls, off, r.len);
	}
}

void
logstore_adopt(struct logstore *dst, const struct logstore *src)
{
	if (dst == NULL || src == NULL || src->ring_lines == 0 || dst->ring_cap == 0)
		return;
	char *ring = logstore_map(dst->ring_cap);
	if (ring == NULL)
		return; /* the file has them all the same */
	struct logstore mine = *dst; /* dst's ring as it was, read while dst's is rebuilt */
	dst->ring = ring;
	dst->ring_head = dst->ring_tail = dst->ring_end = 0;
	dst->ring_wrapped = false;
	dst->ring_lines = dst->ring_used = 0;
	int64_t ts = dst->ts_ms;
	size_t a = src->ring_head, b = mine.ring_head, na = 0, nb = 0;
	while (na < src->ring_lines || nb < mine.ring_lines) {
		/* Oldest first; on a tie the predecessor's line goes first. */
		bool from_src = nb == mine.ring_lines ||
		    (na < src->ring_lines && logstore_rec_at(src, a).ts_ms <= logstore_rec_at(&mine, b).ts_ms);
		const struct logstore *from = from_src ? src : &mine;
		size_t *off = from_src ? &a : &b;
		struct logstore_rec r = logstore_rec_at(from, *off);
		dst->ts_ms = r.ts_ms;
		logstore_ring_put(dst, (enum log_stream)r.stream, from->ring + *off + sizeof(r), r.len, r.flags);
		*off = logstore_rec_next(from, *off, r.len);
		if (from_src)
			na++;
		else
			nb++;
	}
	dst->ts_ms = ts;
	logstore_unmap(mine.ring, mine.ring_cap);
}

/* ---- lines ------------------------------------------------------------- */

/* Hands one line (or piece) to the ring, the file buffer and fn. */
static void
logstore_emit(struct logstore *ls, enum log_stream s, const char *text, size_t len,
    unsigned flags, log_line_fn fn, void *arg)
{
	ls->lines++;
	logstore_ring_put(ls, s, text, len, flags);
	if (ls->path != NULL)
		logstore_file_put(ls, s, text, len, flags);
	if (fn != NULL) {
		struct log_line line = {
			.ts_ms = ls->ts_ms, .stream = s, .flags = flags, .len = len, .text = text,
		};
		fn(&line, arg);
	}
}

/* Emits a whole line held in p (no newline), in LOGSTORE_MAX_LINE pieces when long. */
static void
logstore_emit_whole(struct logstore *ls, enum log_stream s, const char *p, size_t len,
    unsigned last_flags, log_line_fn fn, void *arg)
{
	while (len > LOGSTORE_MAX_LINE) {
		logstore_emit(ls, s, p, LOGSTORE_MAX_LINE, LOG_SPLIT, fn, arg);
		p += LOGSTORE_MAX_LINE;
		len -= LOGSTORE_MAX_LINE;
	}
	logstore_emit(ls, s, p, len, last_flags, fn, arg);
}

/* Adds len bytes (no newline among them) to stream s's line; eol: the line ends after them. */
static void
logstore_line_bytes(struct logstore *ls, enum log_stream s, const char *p, size_t len,
    bool eol, log_line_fn fn, void *arg)
{
	char *part = ls->part[s];
	if (ls->plen[s] > 0) {
		size_t k = LOGSTORE_MAX_LINE - ls->plen[s];
		if (k > len)
			k = len;
		memcpy(part + ls->plen[s], p, k);
		ls->plen[s] += k;
		p += k;
		len -= k;
		if (len == 0) {
			if (eol) {
				logstore_emit(ls, s, part, ls->plen[s], 0, fn, arg);
				ls->plen[s] = 0;
			}
			return;
		}
		/* The buffer is full and the line goes on: it becomes a piece. */
		logstore_emit(ls, s, part, LOGSTORE_MAX_LINE, LOG_SPLIT, fn, arg);
		ls->plen[s] = 0;
	}
	if (eol) {
		logstore_emit_whole(ls, s, p, len, 0, fn, arg);
		return;
	}
	while (len > LOGSTORE_MAX_LINE) {
		logstore_emit(ls, s, p, LOGSTORE_MAX_LINE, LOG_SPLIT, fn, arg);
		p += LOGSTORE_MAX_LINE;
		len -= LOGSTORE_MAX_LINE;
	}
	if (len > 0)
		memcpy(part, p, len);
	ls->plen[s] = len;
	ls->part_ts[s] = ls->ts_ms;
}

void
logstore_feed(struct logstore *ls, enum log_stream s, const char *buf, size_t n,
    log_line_fn fn, void *arg)
{
	if (ls == NULL || n == 0 || (s != LOG_OUT && s != LOG_ERR))
		return;
	logstore_tick(ls);
	ls->bytes += n;
	const char *p = buf, *end = buf + n;
	if (ls->plen[s] > 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		logstore_line_bytes(ls, s, p, (size_t)((nl != NULL ? nl : end) - p), nl != NULL,
		    fn, arg);
		if (nl == NULL)
			return;
		p = nl + 1;
	}
	/* No partial line pending: lines go from buf to the ring and file without a copy. */
	const char *nl;
	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		size_t len = (size_t)(nl - p);
		if (len <= LOGSTORE_MAX_LINE)
			logstore_emit(ls, s, p, len, 0, fn, arg);
		else
			logstore_emit_whole(ls, s, p, len, 0, fn, arg);
		p = nl + 1;
	}
	if (p < end)
		logstore_line_bytes(ls, s, p, (size_t)(end - p), false, fn, arg);
}

/* Stream s's pending partial line as a line of its own, stamped when it came (not now). */
static void
logstore_emit_partial(struct logstore *ls, enum log_stream s, unsigned flags, log_line_fn fn, void *arg)
{
	if (ls == NULL || (s != LOG_OUT && s != LOG_ERR) || ls->plen[s] == 0)
		return;
	logstore_stamp(ls, ls->part_ts[s]);
	logstore_emit(ls, s, ls->part[s], ls->plen[s], flags, fn, arg);
	ls->plen[s] = 0;
}

void
logstore_eof(struct logstore *ls, enum log_stream s, log_line_fn fn, void *arg)
{
	logstore_emit_partial(ls, s, LOG_NOEOL, fn, arg);
}

bool
logstore_partial(const struct logstore *ls, enum log_stream s, int64_t *since_ms)
{
	if (ls == NULL || (s != LOG_OUT && s != LOG_ERR) || ls->plen[s] == 0)
		return false;
	if (since_ms != NULL)
		*since_ms = ls->part_ts[s];
	return true;
}

void
logstore_flush_partial(struct logstore *ls, enum log_stream s, log_line_fn fn, void *arg)
{
	logstore_emit_partial(ls, s, LOG_SPLIT, fn, arg);
}

void
logstore_note(struct logstore *ls, enum log_stream s, const char *text, log_line_fn fn,
    void *arg)
{
	if (ls == NULL || text == NULL || (s != LOG_OUT && s != LOG_ERR))
		return;
	logstore_tick(ls);
	/* A note with newlines becomes several lines; a trailing newline adds none. */
	size_t n = strlen(text);
	ls->bytes += n;
	const char *p = text, *end = text + n;
	do {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop = nl != NULL ? nl : end;
		logstore_emit_whole(ls, s, p, (size_t)(stop - p), 0, fn, arg);
		p = nl != NULL ? nl + 1 : end;
	} while (p < end);
}

/* ---- life -------------------------------------------------------------- */

/*
 * The big buffers (ring, partial lines, file buffer) come straight from
 * mmap: the kernel hands out zero pages on first touch, so a process that
 * prints little costs little (malloc would write a header into each, making
 * a page of every one resident: ~16 KiB per process before any output).
 */
static void *
logstore_map(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void
logstore_unmap(void *p, size_t size)
{
	if (p != NULL)
		munmap(p, size);
}

struct logstore *
logstore_new(const struct logstore_opts *opts)
{
	if (opts == NULL || opts->max_size < 0 || opts->max_files < 0) {
		errno = EINVAL;
		return NULL;
	}
	struct logstore *ls = calloc(1, sizeof(*ls));
	if (ls == NULL)
		return NULL;
	ls->fd = -1;
	ls->max_size = opts->max_size;
	ls->max_files = opts->max_files;
	size_t ring = opts->ring_bytes != 0 ? opts->ring_bytes : LOGSTORE_RING_DEFAULT;
	ls->ring_cap = ring & ~(size_t)7;
	ls->ring = logstore_map(ls->ring_cap != 0 ? ls->ring_cap : 1);
	ls->part[LOG_OUT] = logstore_map(LOGSTORE_MAX_LINE);
	ls->part[LOG_ERR] = logstore_map(LOGSTORE_MAX_LINE);
	if (ls->ring == NULL || ls->part[LOG_OUT] == NULL || ls->part[LOG_ERR] == NULL)
		goto fail;
	if (opts->path != NULL) {
		size_t room = strlen(opts->path) + 24;
		ls->path = strdup(opts->path);
		ls->rot_from = malloc(room);
		ls->rot_to = malloc(room);
		ls->fbuf = logstore_map(LOGSTORE_FILE_BUF);
		if (ls->path == NULL || ls->rot_from == NULL || ls->rot_to == NULL ||
		    ls->fbuf == NULL)
			goto fail;
		if (logstore_open(ls) < 0)
			ls->file_errno = errno;
	}
	return ls;
fail:
	logstore_free(ls);
	errno = ENOMEM;
	return NULL;
}

void
logstore_free(struct logstore *ls)
{
	if (ls == NULL)
		return;
	logstore_flush(ls);
	logstore_close(ls);
	free(ls->path);
	free(ls->rot_from);
	free(ls->rot_to);
	logstore_unmap(ls->fbuf, LOGSTORE_FILE_BUF);
	logstore_unmap(ls->part[LOG_OUT], LOGSTORE_MAX_LINE);
	logstore_unmap(ls->part[LOG_ERR], LOGSTORE_MAX_LINE);
	logstore_unmap(ls->ring, ls->ring_cap != 0 ? ls->ring_cap : 1);
	free(ls);
}

void
logstore_stats(const struct logstore *ls, struct logstore_stats *out)
{
	if (ls == NULL) {
		*out = (struct logstore_stats){0};
		return;
	}
	*out = (struct logstore_stats){
		.lines = ls->lines,
		.bytes = ls->bytes,
		.dropped_bytes = ls->dropped_bytes,
		.ring_lines = ls->ring_lines,
		.ring_used = ls->ring_used,
		.file_errno = ls->file_errno,
	};
}

void
logstore_set_clock(struct logstore *ls, int64_t (*now_ms)(void))
{
	if (ls == NULL)
		return;
	ls->now_ms = now_ms;
	ls->stamp_valid = false;
}
