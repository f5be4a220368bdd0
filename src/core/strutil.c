/*
 * strutil — string helpers with no state of their own.
 */
#include "core/strutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
str_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return 255;
	/* Optimal string alignment distance over three rolling rows. */
	int rows[3][65];
	int *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
	for (size_t j = 0; j <= lb; j++)
		prev[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int cost = a[i - 1] == b[j - 1] ? 0 : 1;
			int v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (prev[j - 1] + cost < v)
				v = prev[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < v)
				v = prev2[j - 2] + 1;
			cur[j] = v;
		}
		int *t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb] > 255 ? 255 : prev[lb];
}

const char *
str_suggest(const char *word, const char *const *candidates)
{
	const char *best = NULL;
	int best_d = 255;
	size_t len = strlen(word);
	for (size_t i = 0; candidates[i] != NULL; i++) {
		int d = str_distance(word, candidates[i]);
		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	/* A typo changes about one character in three, and at least one. */
	int allowed = len <= 3 ? 1 : (int)(len + 2) / 3;
	return best_d <= allowed ? best : NULL;
}

bool
str_in(const char *s, const char *const *list)
{
	for (size_t i = 0; list[i] != NULL; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

char *
str_dup_text(const char *p, size_t n)
{
	/* Lines with a NUL byte are rare: the others are one copy (a log path). */
	if (n == 0)
		return strdup("");
	if (memchr(p, '\0', n) == NULL)
		return strndup(p, n);
	size_t nul = 0;
	for (size_t i = 0; i < n; i++)
		nul += p[i] == '\0';
	char *s = malloc(n + 2 * nul + 1), *d = s;
	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '\0') {
			*d++ = p[i];
		} else {
			memcpy(d, "\xef\xbf\xbd", 3);
			d += 3;
		}
	}
	*d = '\0';
	return s;
}

void
strbuf_init(struct strbuf *sb)
{
	sb->data = NULL;
	sb->len = 0;
	sb->cap = 0;
}

void
strbuf_fini(struct strbuf *sb)
{
	free(sb->data);
	strbuf_init(sb);
}

static void
strbuf_grow(struct strbuf *sb, size_t extra)
{
	if (sb->len + extra + 1 <= sb->cap)
		return;
	size_t cap = sb->cap ? sb->cap : 64;
	while (cap < sb->len + extra + 1)
		cap *= 2;
	char *p = realloc(sb->data, cap);
	if (p == NULL)
		abort();
	sb->data = p;
	sb->cap = cap;
}

void
strbuf_addn(struct strbuf *sb, const char *s, size_t n)
{
	strbuf_grow(sb, n);
	memcpy(sb->data + sb->len, s, n);
	sb->len += n;
	sb->data[sb->len] = '\0';
}

void
strbuf_add(struct strbuf *sb, const char *s)
{
	strbuf_addn(sb, s, strlen(s));
}

void
strbuf_addc(struct strbuf *sb, char c)
{
	strbuf_addn(sb, &c, 1);
}

void
strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	strbuf_grow(sb, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

char *
strbuf_take(struct strbuf *sb)
{
	char *p = sb->data;
	if (p == NULL)
		p = strdup("");
	strbuf_init(sb);
	return p;
}

size_t
str_bom_len(const char *p, size_t n)
{
	return n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

size_t
str_cr_tail(const char *p, size_t n, const char **out)
{
	while (n > 0 && p[n - 1] == '\r')
		n--;
	const char *cr = n > 0 ? memrchr(p, '\r', n) : NULL;
	if (cr == NULL) {
		*out = p;
		return n;
	}
	*out = cr + 1;
	return n - (size_t)(cr + 1 - p);
}
