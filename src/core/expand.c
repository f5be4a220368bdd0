/*
 * expand — variable substitution; a small recursive-descent scanner.
 */
#include "core/expand.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strutil.h"

#define EXPAND_MAX_DEPTH 8

struct expand_ctx {
	expand_lookup_fn lookup;
	void *ctx;
	char *err;
	size_t err_size;
	size_t err_off;
	const char *base; /* the whole input, for offsets */
};

const char *
expand_getenv(const char *name, void *ctx)
{
	(void)ctx;
	return getenv(name);
}

static bool expand_run(struct expand_ctx *x, const char *s, size_t len,
    struct strbuf *out, int depth);

/* Finds the '}' closing the "${" whose body starts at s; NULL when none. */
static const char *
expand_closing(const char *s, const char *end)
{
	int nest = 1;
	for (const char *p = s; p < end; p++) {
		if (p[0] == '$' && p + 1 < end && p[1] == '$') {
			p++;
		} else if (p[0] == '$' && p + 1 < end && p[1] == '{') {
			nest++;
			p++;
		} else if (p[0] == '}' && --nest == 0) {
			return p;
		}
	}
	return NULL;
}

static bool
expand_fail(struct expand_ctx *x, const char *at, const char *msg, const char *name)
{
	x->err_off = (size_t)(at - x->base);
	if (name != NULL)
		snprintf(x->err, x->err_size, msg, name);
	else
		snprintf(x->err, x->err_size, "%s", msg);
	return false;
}

/* One "${...}" whose body is [body, close). */
static bool
expand_one(struct expand_ctx *x, const char *dollar, const char *body,
    const char *close, struct strbuf *out, int depth)
{
	const char *p = body;
	if (!(isalpha((unsigned char)*p) || *p == '_'))
		return expand_fail(x, dollar, "invalid variable name in '${...}'", NULL);
	while (p < close && (isalnum((unsigned char)*p) || *p == '_'))
		p++;
	char name[256];
	size_t nlen = (size_t)(p - body);
	if (nlen >= sizeof(name))
		return expand_fail(x, dollar, "variable name is too long", NULL);
	memcpy(name, body, nlen);
	name[nlen] = '\0';

	const char *value = x->lookup(name, x->ctx);
	if (p == close) {
		if (value != NULL)
			strbuf_add(out, value);
		return true;
	}
	bool colon = *p == ':';
	if (colon)
		p++;
	char op = p < close ? *p : '\0';
	if (op != '-' && op != '?')
		return expand_fail(x, dollar,
		    "invalid '${%s...}': expected '}', ':-', '-', ':?' or '?'", name);
	p++;
	bool missing = value == NULL || (colon && *value == '\0');
	if (!missing) {
		strbuf_add(out, value);
		return true;
	}
	if (op == '-')
		return expand_run(x, p, (size_t)(close - p), out, depth + 1);
	/* '?': an error with the given message. */
	struct strbuf msg;
	strbuf_init(&msg);
	bool ok = expand_run(x, p, (size_t)(close - p), &msg, depth + 1);
	if (ok) {
		x->err_off = (size_t)(dollar - x->base);
		if (msg.len > 0)
			snprintf(x->err, x->err_size, "%s: %s", name, msg.data);
		else
			snprintf(x->err, x->err_size, "%s is not set", name);
	}
	strbuf_fini(&msg);
	return false;
}

static bool
expand_run(struct expand_ctx *x, const char *s, size_t len, struct strbuf *out,
    int depth)
{
	if (depth > EXPAND_MAX_DEPTH)
		return expand_fail(x, s, "'${...}' nested too deeply", NULL);
	const char *end = s + len;
	const char *p = s;
	while (p < end) {
		const char *dollar = memchr(p, '$', (size_t)(end - p));
		if (dollar == NULL) {
			strbuf_addn(out, p, (size_t)(end - p));
			break;
		}
		strbuf_addn(out, p, (size_t)(dollar - p));
		if (dollar + 1 < end && dollar[1] == '$') {
			strbuf_addc(out, '$');
			p = dollar + 2;
		} else if (dollar + 1 < end && dollar[1] == '{') {
			const char *close = expand_closing(dollar + 2, end);
			if (close == NULL)
				return expand_fail(x, dollar, "unterminated '${' (missing '}')", NULL);
			if (!expand_one(x, dollar, dollar + 2, close, out, depth))
				return false;
			p = close + 1;
		} else {
			strbuf_addc(out, '$');
			p = dollar + 1;
		}
	}
	return true;
}

bool
expand_string(const char *in, expand_lookup_fn lookup, void *ctx, char **out,
    char *err, size_t err_size, size_t *err_off)
{
	struct expand_ctx x = {
		.lookup = lookup, .ctx = ctx, .err = err, .err_size = err_size,
		.base = in,
	};
	struct strbuf sb;
	strbuf_init(&sb);
	if (!expand_run(&x, in, strlen(in), &sb, 0)) {
		strbuf_fini(&sb);
		*out = NULL;
		*err_off = x.err_off;
		return false;
	}
	*out = strbuf_take(&sb);
	return true;
}
