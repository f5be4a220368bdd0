/*
 * logstore — the captured output of one process instance: bytes from its
 * stdout and stderr pipes become lines, stamped (realtime, ms) and tagged
 * out/err; the newest lines are kept in a ring capped in bytes, and every
 * line is appended to a log file rotated by size (NAME.log, NAME.log.1 …
 * NAME.log.N, by rename: no copy-then-truncate window).
 *
 * Bounded: a line longer than LOGSTORE_MAX_LINE is split into pieces marked
 * LOG_SPLIT; a final line without a newline is kept (LOG_NOEOL). File
 * writes are buffered and done by logstore_flush (the engine calls it
 * before it sleeps, or when the buffer fills); a write that fails (disk
 * full, file gone) drops the data, counts the bytes, and retries later.
 */
#ifndef VIGIL_CORE_LOGSTORE_H
#define VIGIL_CORE_LOGSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOGSTORE_MAX_LINE (64 * 1024)

enum log_stream { LOG_OUT = 0, LOG_ERR = 1 };

#define LOG_SPLIT 0x1u /* this piece continues on the next line (the line was too long) */
#define LOG_NOEOL 0x2u /* the stream ended without a newline after this line */

struct log_line {
	int64_t ts_ms;          /* realtime, milliseconds since the epoch */
	enum log_stream stream;
	unsigned flags;         /* LOG_SPLIT, LOG_NOEOL */
	size_t len;             /* bytes in text, without a newline */
	const char *text;       /* borrowed: valid during the callback only; not NUL-terminated */
};

/* Called for each complete line as it is captured. */
typedef void (*log_line_fn)(const struct log_line *line, void *arg);

struct logstore_opts {
	const char *path;   /* log file; NULL = memory only */
	int64_t max_size;   /* rotate when the file would grow past this (bytes); 0 = never */
	int max_files;      /* rotated files kept (NAME.log.1 …); 0 = none kept */
	size_t ring_bytes;  /* memory for the newest lines */
};

struct logstore;

/* NULL with errno on failure; a file that cannot be opened is not a failure (see file_errno in logstore_stats). */
struct logstore *logstore_new(const struct logstore_opts *opts);
/* Flushes what it can, closes the file, frees; NULL is fine. */
void logstore_free(struct logstore *ls);

/*
 * Bytes read from one stream. Complete lines go to the ring, the file
 * buffer and fn (may be NULL); a partial line waits for more (per stream).
 */
void logstore_feed(struct logstore *ls, enum log_stream s, const char *buf, size_t n,
    log_line_fn fn, void *arg);
/* The stream reached EOF: a pending partial line is emitted with LOG_NOEOL. */
void logstore_eof(struct logstore *ls, enum log_stream s, log_line_fn fn, void *arg);
/* True when stream s holds the start of a line with no newline yet; when it came in *since_ms (may be NULL). */
bool logstore_partial(const struct logstore *ls, enum log_stream s, int64_t *since_ms);
/*
 * Emits stream s's pending partial line now, as a piece that the next
 * bytes continue (LOG_SPLIT), stamped when it came: a prompt or a progress
 * bar without a newline shows while the process runs.
 */
void logstore_flush_partial(struct logstore *ls, enum log_stream s, log_line_fn fn, void *arg);
/* An engine-made line (e.g. "spawn failed: …") recorded like output. */
void logstore_note(struct logstore *ls, enum log_stream s, const char *text, log_line_fn fn,
    void *arg);

/* Writes buffered file data; 0, or -1 when something was dropped this time. */
int logstore_flush(struct logstore *ls);
/* True when file data is waiting for logstore_flush. */
bool logstore_pending(const struct logstore *ls);

/* Calls fn for the newest n lines in the ring (fewer if it holds fewer), oldest first. */
void logstore_tail(const struct logstore *ls, size_t n, log_line_fn fn, void *arg);

/*
 * Takes in the ring lines of src, the instance dst replaces (a reload that
 * changed its process): merged with dst's own by time, the newest kept when
 * they do not all fit. The counters and the file are left as they are.
 */
void logstore_adopt(struct logstore *dst, const struct logstore *src);
struct logstore_stats {
	uint64_t lines;          /* lines captured since creation */
	uint64_t bytes;          /* bytes captured */
	uint64_t dropped_bytes;  /* bytes that could not be written to the file */
	size_t ring_lines;       /* lines now in the ring */
	size_t ring_used;        /* bytes now used by the ring */
	int file_errno;          /* last file error, 0 = none */
};
void logstore_stats(const struct logstore *ls, struct logstore_stats *out);

/* Test hook: the clock used for stamps (NULL = the real-time clock). */
void logstore_set_clock(struct logstore *ls, int64_t (*now_ms)(void));

#endif
