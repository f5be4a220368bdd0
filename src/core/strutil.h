/*
 * strutil — small string helpers shared by the parsers and the CLI:
 * edit distance for "did you mean", and a growable string buffer.
 */
#ifndef VIGIL_CORE_STRUTIL_H
#define VIGIL_CORE_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The candidate closest to word by edit distance, or NULL when none is close
 * enough to be a plausible typo. candidates ends with NULL.
 */
const char *str_suggest(const char *word, const char *const *candidates);
/* Edit distance (insert, delete, substitute, swap) between a and b, capped at 255. */
int str_distance(const char *a, const char *b);
/* True when s is one of the NULL-terminated list. */
bool str_in(const char *s, const char *const *list);
/*
 * A C string of the n bytes at p (a log line), each NUL byte among them as
 * U+FFFD, so nothing after it is lost; NULL when out of memory. Free it.
 */
char *str_dup_text(const char *p, size_t n);
/*
 * What a terminal would show of the n bytes of a line at p that redraws
 * itself with \r (a progress line): the last part that \r starts, \r at the
 * line's end aside. Its start in *out; its length.
 */
size_t str_cr_tail(const char *p, size_t n, const char **out);
/* 3 when the n bytes at p start with a UTF-8 byte-order mark (not text: Windows editors write one), else 0. */
size_t str_bom_len(const char *p, size_t n);

/* A growable NUL-terminated buffer; aborts on out of memory. */
struct strbuf {
	char *data; /* owned; "" before the first append */
	size_t len; /* bytes in data, without the NUL */
	size_t cap; /* bytes allocated */
};

void strbuf_init(struct strbuf *sb);
void strbuf_fini(struct strbuf *sb);
void strbuf_addn(struct strbuf *sb, const char *s, size_t n);
void strbuf_add(struct strbuf *sb, const char *s);
void strbuf_addc(struct strbuf *sb, char c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Hands the buffer to the caller (free it) and leaves sb empty. */
char *strbuf_take(struct strbuf *sb);

#endif
