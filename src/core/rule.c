/*
 * rule — a tokenizer and a recursive-descent parser for alert rules.
 */
#include "core/rule.h"

#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/signame.h"
#include "core/strutil.h"
#include "core/units.h"

#define RULE_MAX_TOKENS 16

static const char *const rule_metric_names[] = {
	"cpu", "tree_cpu", "memory", "tree_memory", "threads", "fds",
	"io_read", "io_write", "load", "host_memory", NULL,
};

const char *const rule_state_names[] = {
	"disabled", "pending", "starting", "running", "stopping", "stopped",
	"exited", "backoff", "fatal", "completed", "failed", NULL,
};

struct rule_tok {
	const char *s; /* start in the rule text */
	size_t len;
	bool quoted;   /* "..." or /.../; s and len exclude the delimiters */
};

struct rule_parser {
	const char *text;
	struct rule_tok toks[RULE_MAX_TOKENS];
	size_t n, pos;
	struct arena *arena;
	char *err;
	size_t err_size;
	size_t err_off;
};

static bool
rule_fail(struct rule_parser *p, const char *at, const char *fmt, const char *arg)
{
	p->err_off = at != NULL ? (size_t)(at - p->text) : strlen(p->text);
	snprintf(p->err, p->err_size, fmt, arg != NULL ? arg : "");
	return false;
}

static bool
rule_is_op_char(char c)
{
	return c == '>' || c == '<' || c == '=' || c == '!' || c == '~';
}

static bool
rule_tokenize(struct rule_parser *p)
{
	const char *s = p->text;
	while (*s != '\0') {
		if (isspace((unsigned char)*s)) {
			s++;
			continue;
		}
		if (p->n == RULE_MAX_TOKENS)
			return rule_fail(p, s, "rule is too long%s", NULL);
		struct rule_tok *t = &p->toks[p->n++];
		if (*s == '"' || *s == '/') {
			char q = *s;
			const char *e = s + 1;
			while (*e != '\0' && *e != q) {
				if (*e == '\\' && e[1] != '\0')
					e++;
				e++;
			}
			if (*e != q)
				return rule_fail(p, s, "unterminated %s", q == '"' ? "quote" : "'/'");
			t->s = s + 1;
			t->len = (size_t)(e - s - 1);
			t->quoted = true;
			s = e + 1;
		} else if (rule_is_op_char(*s)) {
			t->s = s;
			while (rule_is_op_char(*s))
				s++;
			t->len = (size_t)(s - t->s);
		} else {
			t->s = s;
			while (*s != '\0' && !isspace((unsigned char)*s) && !rule_is_op_char(*s))
				s++;
			t->len = (size_t)(s - t->s);
		}
	}
	return true;
}

static const struct rule_tok *
rule_peek(struct rule_parser *p)
{
	return p->pos < p->n ? &p->toks[p->pos] : NULL;
}

static bool
rule_tok_is(const struct rule_tok *t, const char *word)
{
	return t != NULL && !t->quoted && t->len == strlen(word) &&
	    strncmp(t->s, word, t->len) == 0;
}

/* The token as a NUL-terminated string in buf. */
static const char *
rule_tok_str(const struct rule_tok *t, char *buf, size_t size)
{
	size_t n = t->len < size - 1 ? t->len : size - 1;
	memcpy(buf, t->s, n);
	buf[n] = '\0';
	return buf;
}

static const char *
rule_end(struct rule_parser *p)
{
	return p->text + strlen(p->text);
}

static bool
rule_expect_word(struct rule_parser *p, const char *word)
{
	const struct rule_tok *t = rule_peek(p);
	if (!rule_tok_is(t, word))
		return rule_fail(p, t != NULL ? t->s : rule_end(p), "expected '%s'", word);
	p->pos++;
	return true;
}

static bool
rule_op(struct rule_parser *p, enum rule_op *op)
{
	static const char *const names[] = {">", ">=", "<", "<=", "==", "!="};
	const struct rule_tok *t = rule_peek(p);
	for (int i = 0; t != NULL && i < 6; i++) {
		if (rule_tok_is(t, names[i])) {
			*op = (enum rule_op)i;
			p->pos++;
			return true;
		}
	}
	return rule_fail(p, t != NULL ? t->s : rule_end(p),
	    "expected a comparison (>, >=, <, <=, ==, !=)%s", NULL);
}

static bool
rule_count(struct rule_parser *p, double *out)
{
	const struct rule_tok *t = rule_peek(p);
	char buf[64];
	int64_t v;
	const char *err;
	if (t == NULL || !units_int(rule_tok_str(t, buf, sizeof(buf)), 0, 1000000000, &v, &err))
		return rule_fail(p, t != NULL ? t->s : rule_end(p), "expected a count%s", NULL);
	*out = (double)v;
	p->pos++;
	return true;
}

static bool
rule_duration(struct rule_parser *p, int64_t *ms)
{
	const struct rule_tok *t = rule_peek(p);
	char buf[64];
	const char *err;
	if (t == NULL)
		return rule_fail(p, rule_end(p), "expected a duration such as 30s or 5m%s", NULL);
	int64_t v = 0;
	if (!units_duration(rule_tok_str(t, buf, sizeof(buf)), &v, &err))
		return rule_fail(p, t->s, "%s", err);
	if (v == 0)
		return rule_fail(p, t->s, "duration must be above zero%s", NULL);
	*ms = v;
	p->pos++;
	return true;
}

/* "in DURATION", required. */
static bool
rule_window(struct rule_parser *p, struct rule *r)
{
	return rule_expect_word(p, "in") && rule_duration(p, &r->window_ms);
}

/* Optional "for N samples" / "for DURATION". */
static bool
rule_hold(struct rule_parser *p, struct rule *r)
{
	if (!rule_tok_is(rule_peek(p), "for"))
		return true;
	p->pos++;
	const struct rule_tok *t = rule_peek(p);
	const struct rule_tok *next = p->pos + 1 < p->n ? &p->toks[p->pos + 1] : NULL;
	if (rule_tok_is(next, "samples") || rule_tok_is(next, "sample")) {
		double n;
		if (!rule_count(p, &n))
			return false;
		if (n < 1 || n > 100000)
			return rule_fail(p, t->s, "sample count must be between 1 and 100000%s", NULL);
		r->for_samples = (int)n;
		p->pos++;
		return true;
	}
	if (!rule_duration(p, &r->for_ms))
		return false;
	/* "for 5 sampls" reads as "for 5" (seconds) then junk: name the typo. */
	const struct rule_tok *typo = rule_peek(p);
	char word[64];
	if (typo != NULL && !typo->quoted &&
	    str_distance(rule_tok_str(typo, word, sizeof(word)), "samples") <= 2)
		return rule_fail(p, typo->s, "unexpected '%s' (did you mean 'samples'?)", word);
	return true;
}

static bool
rule_metric_value(struct rule_parser *p, struct rule *r)
{
	const struct rule_tok *t = rule_peek(p);
	if (t == NULL)
		return rule_fail(p, rule_end(p), "expected a value after the comparison%s", NULL);
	char buf[64];
	const char *s = rule_tok_str(t, buf, sizeof(buf));
	const char *err = NULL;
	bool ok;
	int64_t bytes, count;
	switch (r->metric) {
	case RULE_M_CPU:
	case RULE_M_TREE_CPU:
		ok = units_percent(s, &r->value, &err);
		break;
	case RULE_M_HOST_MEMORY:
		if (strchr(s, '%') != NULL) {
			ok = units_percent(s, &r->value, &err);
			r->percent = true;
			break;
		}
		/* A size: fall through. */
		/* fall through */
	case RULE_M_MEMORY:
	case RULE_M_TREE_MEMORY:
		ok = units_size(s, &bytes, &err);
		r->value = (double)bytes;
		break;
	case RULE_M_IO_READ:
	case RULE_M_IO_WRITE: {
		size_t n = strlen(s);
		if (n > 2 && strcmp(s + n - 2, "/s") == 0)
			buf[n - 2] = '\0';
		ok = units_size(s, &bytes, &err);
		r->value = (double)bytes;
		break;
	}
	case RULE_M_THREADS:
	case RULE_M_FDS:
		ok = units_int(s, 0, 100000000, &count, &err);
		r->value = (double)count;
		break;
	default:
		ok = units_number(s, &r->value, &err);
		break;
	}
	if (!ok)
		return rule_fail(p, t->s, "%s", err);
	p->pos++;
	return true;
}

static bool
rule_parse_metric(struct rule_parser *p, struct rule *r, int metric)
{
	r->kind = RULE_METRIC;
	r->metric = (enum rule_metric)metric;
	p->pos++;
	return rule_op(p, &r->op) && rule_metric_value(p, r) && rule_hold(p, r);
}

static bool
rule_parse_state(struct rule_parser *p, struct rule *r)
{
	r->kind = RULE_STATE;
	p->pos++;
	const struct rule_tok *t = rule_peek(p);
	if (rule_tok_is(t, "==") || rule_tok_is(t, "!=")) {
		r->op = rule_tok_is(t, "==") ? RULE_EQ : RULE_NE;
		p->pos++;
	} else {
		return rule_fail(p, t != NULL ? t->s : rule_end(p), "expected '==' or '!='%s", NULL);
	}
	t = rule_peek(p);
	char buf[64];
	if (t == NULL)
		return rule_fail(p, rule_end(p), "expected a state name%s", NULL);
	rule_tok_str(t, buf, sizeof(buf));
	for (size_t i = 0; rule_state_names[i] != NULL; i++) {
		if (strcmp(buf, rule_state_names[i]) == 0) {
			r->state = rule_state_names[i];
			p->pos++;
			return rule_hold(p, r);
		}
	}
	return rule_fail(p, t->s, "unknown state '%s'", buf);
}

static bool
rule_parse_exited(struct rule_parser *p, struct rule *r)
{
	r->kind = RULE_EXITED;
	p->pos++;
	if (!rule_expect_word(p, "with"))
		return false;
	const struct rule_tok *t = rule_peek(p);
	char buf[64];
	if (t == NULL)
		return rule_fail(p, rule_end(p), "expected an exit code, a signal name or 'nonzero'%s", NULL);
	rule_tok_str(t, buf, sizeof(buf));
	int64_t code;
	const char *err;
	if (strcmp(buf, "nonzero") == 0) {
		r->exit_code = -1;
	} else if (isdigit((unsigned char)buf[0])) {
		if (!units_int(buf, 0, 255, &code, &err))
			return rule_fail(p, t->s, "exit code must be %sbetween 0 and 255",
			    strncmp(err, "must ", 5) == 0 ? "" : "a whole number ");
		r->exit_code = (int)code;
	} else if ((r->exit_signal = signame_number(buf)) != 0) {
		r->exit_code = -1;
	} else {
		return rule_fail(p, t->s, "expected an exit code, a signal name or 'nonzero', not '%s'", buf);
	}
	p->pos++;
	return true;
}

static bool
rule_parse_log(struct rule_parser *p, struct rule *r)
{
	r->kind = RULE_LOG;
	p->pos++;
	if (!rule_tok_is(rule_peek(p), "=~")) {
		const struct rule_tok *t = rule_peek(p);
		return rule_fail(p, t != NULL ? t->s : rule_end(p), "expected '=~' after 'log'%s", NULL);
	}
	p->pos++;
	const struct rule_tok *t = rule_peek(p);
	if (t == NULL)
		return rule_fail(p, rule_end(p), "expected a regular expression%s", NULL);
	char *re = arena_strndup(p->arena, t->s, t->len);
	p->pos++;
	/* /REGEX/i: a flag right after the closing slash. */
	const struct rule_tok *f = rule_peek(p);
	if (t->s[-1] == '/' && f != NULL && !f->quoted && f->s == t->s + t->len + 1) {
		if (f->len != 1 || f->s[0] != 'i')
			return rule_fail(p, f->s, "unknown flag after /REGEX/ (only i, for any case)%s", NULL);
		r->icase = true;
		p->pos++;
	}
	regex_t rx;
	int rc = regcomp(&rx, re, REG_EXTENDED | REG_NOSUB | (r->icase ? REG_ICASE : 0));
	if (rc != 0) {
		char msg[200];
		regerror(rc, &rx, msg, sizeof(msg));
		return rule_fail(p, t->s, "invalid regular expression: %s", msg);
	}
	regfree(&rx);
	r->regex = re;
	/* Default: any match within a minute fires. */
	r->op = RULE_GT;
	r->value = 0;
	r->window_ms = 60000;
	if (rule_peek(p) == NULL)
		return true;
	return rule_op(p, &r->op) && rule_count(p, &r->value) && rule_window(p, r);
}

bool
rule_parse(const char *text, struct arena *a, struct rule *out, char *err,
    size_t err_size, size_t *err_off)
{
	struct rule_parser p = {
		.text = text, .arena = a, .err = err, .err_size = err_size,
	};
	memset(out, 0, sizeof(*out));
	out->severity = RULE_WARNING;
	out->text = arena_strdup(a, text);
	bool ok = rule_tokenize(&p);
	if (ok && p.n == 0)
		ok = rule_fail(&p, text, "empty rule%s", NULL);
	if (ok) {
		const struct rule_tok *t = rule_peek(&p);
		char word[64];
		rule_tok_str(t, word, sizeof(word));
		int metric = -1;
		for (int i = 0; rule_metric_names[i] != NULL; i++)
			if (strcmp(word, rule_metric_names[i]) == 0)
				metric = i;
		if (metric >= 0) {
			ok = rule_parse_metric(&p, out, metric);
		} else if (strcmp(word, "restarts") == 0) {
			out->kind = RULE_RESTARTS;
			p.pos++;
			ok = rule_op(&p, &out->op) && rule_count(&p, &out->value) &&
			    rule_window(&p, out);
		} else if (strcmp(word, "state") == 0) {
			ok = rule_parse_state(&p, out);
		} else if (strcmp(word, "unhealthy") == 0) {
			out->kind = RULE_UNHEALTHY;
			p.pos++;
			ok = rule_hold(&p, out);
		} else if (strcmp(word, "exited") == 0) {
			ok = rule_parse_exited(&p, out);
		} else if (strcmp(word, "log") == 0) {
			ok = rule_parse_log(&p, out);
		} else {
			ok = rule_fail(&p, t->s, "unknown metric or event '%s' (expected cpu, "
			    "tree_cpu, memory, tree_memory, threads, fds, io_read, io_write, "
			    "load, host_memory, restarts, state, unhealthy, exited or log)", word);
		}
	}
	if (ok && p.pos < p.n)
		ok = rule_fail(&p, p.toks[p.pos].s, "unexpected '%s' at the end of the rule",
		    rule_tok_str(&p.toks[p.pos], (char[64]){0}, 64));
	if (!ok)
		*err_off = p.err_off;
	return ok;
}

const char *
rule_metric_name(enum rule_metric m)
{
	return rule_metric_names[m];
}

const char *
rule_op_name(enum rule_op op)
{
	static const char *const names[] = {">", ">=", "<", "<=", "==", "!="};
	return names[op];
}

const char *
rule_kind_name(enum rule_kind k)
{
	static const char *const names[] = {
		"metric", "restarts", "state", "unhealthy", "exited", "log",
	};
	return names[k];
}

const char *
rule_severity_name(enum rule_severity s)
{
	static const char *const names[] = {"info", "warning", "critical"};
	return names[s];
}

bool
rule_severity_parse(const char *s, enum rule_severity *out)
{
	static const char *const names[] = {"info", "warning", "critical"};
	for (int i = 0; i < 3; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum rule_severity)i;
			return true;
		}
	}
	return false;
}
