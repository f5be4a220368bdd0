/*
 * yamltree — turns libyaml events into a ynode tree. Owns nothing beyond a
 * parse: every node lives in the caller's arena; the scratch stacks used
 * while building are freed before returning.
 */
#include "core/yamltree.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/arena.h"
#include "core/diag.h"
#include "core/strutil.h"

/* A collection being built: its node and the children seen so far. */
struct ytree_frame {
	struct ynode *node;
	struct ynode **kids; /* owned (malloc): keys and values alternate for maps */
	size_t n, cap;
	char *anchor;        /* owned: registered when the collection ends */
};

struct ytree_anchor {
	char *name;          /* owned */
	struct ynode *node;  /* borrowed */
};

struct ytree_builder {
	const char *file;
	const char *data;    /* borrowed: the text, to place reader errors and tabs */
	size_t len;
	struct arena *arena;
	struct diag *diag;
	struct ytree_frame stack[YTREE_MAX_DEPTH];
	size_t depth;
	struct ytree_anchor *anchors; /* owned */
	size_t nanchors, capanchors;
	size_t nodes;
	struct ynode *root;
	bool failed;
};

static void
ytree_fail(struct ytree_builder *b, int line, int col, const char *msg)
{
	if (!b->failed)
		diag_add(b->diag, b->file, line, col, "%s", msg);
	b->failed = true;
}

static struct ynode *
ytree_node(struct ytree_builder *b, enum ynode_type type, const yaml_mark_t *m)
{
	struct ynode *n = arena_alloc(b->arena, sizeof(*n));
	n->type = type;
	n->line = (int)m->line + 1;
	n->col = (int)m->column + 1;
	n->weight = 1;
	if (++b->nodes > YTREE_MAX_NODES)
		ytree_fail(b, n->line, n->col, "file has too many YAML nodes (limit 200000)");
	return n;
}

static bool
ytree_anchor_add(struct ytree_builder *b, char *name, struct ynode *node)
{
	for (size_t i = 0; i < b->nanchors; i++) {
		if (strcmp(b->anchors[i].name, name) == 0) {
			free(b->anchors[i].name);
			b->anchors[i].name = name;
			b->anchors[i].node = node;
			return true;
		}
	}
	if (b->nanchors == b->capanchors) {
		size_t cap = b->capanchors ? b->capanchors * 2 : 16;
		void *p = realloc(b->anchors, cap * sizeof(*b->anchors));
		if (p == NULL)
			return false;
		b->anchors = p;
		b->capanchors = cap;
	}
	b->anchors[b->nanchors].name = name;
	b->anchors[b->nanchors].node = node;
	b->nanchors++;
	return true;
}

static struct ynode *
ytree_anchor_find(struct ytree_builder *b, const char *name)
{
	for (size_t i = b->nanchors; i-- > 0;)
		if (strcmp(b->anchors[i].name, name) == 0)
			return b->anchors[i].node;
	return NULL;
}

/*
 * Hands a finished node to the collection being built (or makes it the root).
 * line and col are where it appears: for an alias, the alias, not the anchor.
 */
static void
ytree_attach(struct ytree_builder *b, struct ynode *n, int line, int col)
{
	if (b->depth == 0) {
		b->root = n;
		return;
	}
	struct ytree_frame *f = &b->stack[b->depth - 1];
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 8;
		void *p = realloc(f->kids, cap * sizeof(*f->kids));
		if (p == NULL) {
			ytree_fail(b, line, col, "out of memory");
			return;
		}
		f->kids = p;
		f->cap = cap;
	}
	f->kids[f->n++] = n;
	size_t w = f->node->weight + n->weight;
	f->node->weight = w < f->node->weight ? SIZE_MAX : w;
	if (f->node->weight > YTREE_MAX_EXPANDED)
		ytree_fail(b, line, col,
		    "document too large once aliases are expanded (limit 200000 nodes)");
}

static int
ytree_cmp_key(const void *pa, const void *pb)
{
	const struct ypair *a = pa, *b = pb;
	size_t n = a->key->len < b->key->len ? a->key->len : b->key->len;
	int c = memcmp(a->key->str, b->key->str, n);
	if (c != 0)
		return c;
	if (a->key->len != b->key->len)
		return a->key->len < b->key->len ? -1 : 1;
	/* Equal keys: the earlier one in the file first. */
	if (a->key->line != b->key->line)
		return a->key->line < b->key->line ? -1 : 1;
	return a->key->col < b->key->col ? -1 : (a->key->col > b->key->col);
}

static bool
ytree_is_merge_key(const struct ynode *k)
{
	return k->plain && k->len == 2 && memcmp(k->str, "<<", 2) == 0;
}

static bool
ytree_has_key(const struct ypair *pairs, size_t n, const struct ynode *key)
{
	for (size_t i = 0; i < n; i++)
		if (pairs[i].key->len == key->len &&
		    memcmp(pairs[i].key->str, key->str, key->len) == 0)
			return true;
	return false;
}

/* Finishes a mapping: checks keys, finds duplicates, applies "<<" merges. */
static void
ytree_finish_map(struct ytree_builder *b, struct ytree_frame *f)
{
	struct ynode *m = f->node;
	size_t n = f->n / 2;
	size_t nexplicit = 0, nmerged = 0;
	for (size_t i = 0; i < n; i++) {
		struct ynode *k = f->kids[2 * i], *v = f->kids[2 * i + 1];
		if (k->type != YNODE_SCALAR) {
			ytree_fail(b, k->line, k->col, "mapping keys must be plain strings");
			return;
		}
		if (ytree_is_merge_key(k)) {
			if (v->type == YNODE_MAP) {
				nmerged += v->count;
			} else if (v->type == YNODE_SEQ) {
				for (size_t j = 0; j < v->count; j++) {
					if (v->items[j]->type != YNODE_MAP) {
						ytree_fail(b, v->items[j]->line, v->items[j]->col,
						    "'<<' merges only mappings");
						return;
					}
					nmerged += v->items[j]->count;
				}
			} else {
				ytree_fail(b, v->line, v->col, "'<<' merges only mappings");
				return;
			}
		} else {
			nexplicit++;
		}
	}
	struct ypair *pairs = arena_calloc(b->arena, nexplicit + nmerged + 1, sizeof(*pairs));
	size_t np = 0;
	for (size_t i = 0; i < n; i++) {
		if (!ytree_is_merge_key(f->kids[2 * i])) {
			pairs[np].key = f->kids[2 * i];
			pairs[np].value = f->kids[2 * i + 1];
			np++;
		}
	}
	/* Duplicates: sort a copy by key, then compare neighbours. */
	if (np > 1) {
		struct ypair *sorted = malloc(np * sizeof(*sorted));
		if (sorted == NULL) {
			ytree_fail(b, m->line, m->col, "out of memory");
			return;
		}
		memcpy(sorted, pairs, np * sizeof(*sorted));
		qsort(sorted, np, sizeof(*sorted), ytree_cmp_key);
		const struct ynode *first = sorted[0].key; /* of the current run of equal keys */
		for (size_t i = 1; i < np; i++) {
			const struct ynode *k = sorted[i].key;
			if (first->len == k->len && memcmp(first->str, k->str, k->len) == 0) {
				/* Not fatal: the rest of the file is still checked. */
				diag_add(b->diag, b->file, k->line, k->col,
				    "duplicate key '%s' (first defined at line %d)", k->str,
				    first->line);
			} else {
				first = k;
			}
		}
		free(sorted);
	}
	/* Merges: explicit keys win, then earlier sources win. */
	for (size_t i = 0; i < n; i++) {
		struct ynode *k = f->kids[2 * i], *v = f->kids[2 * i + 1];
		if (!ytree_is_merge_key(k))
			continue;
		size_t nsrc = v->type == YNODE_MAP ? 1 : v->count;
		for (size_t s = 0; s < nsrc; s++) {
			const struct ynode *src = v->type == YNODE_MAP ? v : v->items[s];
			for (size_t j = 0; j < src->count; j++) {
				if (!ytree_has_key(pairs, np, src->pairs[j].key))
					pairs[np++] = src->pairs[j];
			}
		}
	}
	m->pairs = pairs;
	m->count = np;
}

static void
ytree_start(struct ytree_builder *b, enum ynode_type type, const yaml_mark_t *mark,
    const yaml_char_t *anchor)
{
	struct ynode *n = ytree_node(b, type, mark);
	if (b->depth == YTREE_MAX_DEPTH) {
		ytree_fail(b, n->line, n->col, "nesting is too deep (limit 64 levels)");
		return;
	}
	struct ytree_frame *f = &b->stack[b->depth++];
	memset(f, 0, sizeof(*f));
	f->node = n;
	if (anchor != NULL)
		f->anchor = strdup((const char *)anchor);
}

static void
ytree_end(struct ytree_builder *b)
{
	struct ytree_frame *f = &b->stack[b->depth - 1];
	struct ynode *n = f->node;
	if (n->type == YNODE_SEQ) {
		n->items = arena_calloc(b->arena, f->n + 1, sizeof(*n->items));
		if (f->n > 0) /* an empty "[]" has no kids array */
			memcpy(n->items, f->kids, f->n * sizeof(*n->items));
		n->count = f->n;
	} else {
		ytree_finish_map(b, f);
	}
	char *anchor = f->anchor;
	free(f->kids);
	b->depth--;
	if (anchor != NULL && !ytree_anchor_add(b, anchor, n))
		free(anchor);
	ytree_attach(b, n, n->line, n->col);
}

/* Characters (not bytes) in UTF-8 text: libyaml's marks count characters. */
static size_t
ytree_utf8_chars(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

/* The 1-based line and column (in characters) of byte off of the text. */
static void
ytree_offset_pos(const struct ytree_builder *b, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && i < b->len; i++) {
		if (b->data[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)b->data[i] & 0xC0) != 0x80) {
			(*col)++;
		}
	}
}

/* The byte at 0-based line and character column, or -1 past the end. */
static int
ytree_char_at(const struct ytree_builder *b, size_t line, size_t col)
{
	size_t i = 0;
	for (size_t l = 0; l < line && i < b->len; i++)
		if (b->data[i] == '\n')
			l++;
	for (size_t k = 0; i < b->len && b->data[i] != '\n'; i++) {
		if (((unsigned char)b->data[i] & 0xC0) == 0x80)
			continue;
		if (k++ == col)
			return (unsigned char)b->data[i];
	}
	return -1;
}

static void
ytree_scalar(struct ytree_builder *b, const yaml_event_t *ev)
{
	struct ynode *n = ytree_node(b, YNODE_SCALAR, &ev->start_mark);
	n->str = arena_strndup(b->arena, (const char *)ev->data.scalar.value,
	    ev->data.scalar.length);
	n->len = ev->data.scalar.length;
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    ev->data.scalar.tag == NULL;
	n->quoted = ev->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
	    ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	/* Columns inside the scalar follow its text only when the source is the
	 * text itself: one line, no escapes ("\t", '') and no folding. */
	n->multiline = ev->end_mark.line != ev->start_mark.line ||
	    ev->end_mark.index - ev->start_mark.index !=
	    ytree_utf8_chars(n->str, n->len) + (n->quoted ? 2 : 0);
	if (ev->data.scalar.anchor != NULL) {
		char *name = strdup((const char *)ev->data.scalar.anchor);
		if (name != NULL && !ytree_anchor_add(b, name, n))
			free(name);
	}
	ytree_attach(b, n, n->line, n->col);
}

static void
ytree_alias(struct ytree_builder *b, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	struct ynode *n = ytree_anchor_find(b, name);
	if (n == NULL) {
		char msg[300];
		snprintf(msg, sizeof(msg), "unknown alias '*%.200s'", name);
		ytree_fail(b, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1, msg);
		return;
	}
	ytree_attach(b, n, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1);
}

static void
ytree_syntax_error(struct ytree_builder *b, const yaml_parser_t *p)
{
	char msg[512];
	const yaml_mark_t *m = &p->problem_mark;
	const char *problem = p->problem != NULL ? p->problem : "invalid YAML";
	if (p->error == YAML_READER_ERROR) {
		/* The reader counts bytes, not lines: place the byte ourselves. */
		int line, col;
		ytree_offset_pos(b, p->problem_offset, &line, &col);
		if (strstr(problem, "UTF-8") != NULL && p->problem_value >= 0)
			snprintf(msg, sizeof(msg), "%s 0x%02X; the file must be UTF-8 text",
			    problem, (unsigned)p->problem_value);
		else if (p->problem_value >= 0)
			snprintf(msg, sizeof(msg), "%s (U+%04X); the file must be UTF-8 text",
			    problem, (unsigned)p->problem_value);
		else
			snprintf(msg, sizeof(msg), "%s; the file must be UTF-8 text", problem);
		ytree_fail(b, line, col, msg);
		return;
	}
	if (ytree_char_at(b, m->line, m->column) == '\t' &&
	    strstr(problem, "cannot start any token") != NULL)
		snprintf(msg, sizeof(msg), "syntax error: a tab character; YAML indents "
		    "with spaces only");
	else if (p->context != NULL && p->context_mark.line != m->line)
		snprintf(msg, sizeof(msg), "syntax error: %s %s that starts at line %zu",
		    problem, p->context, p->context_mark.line + 1);
	else if (p->context != NULL)
		snprintf(msg, sizeof(msg), "syntax error: %s %s", problem, p->context);
	else
		snprintf(msg, sizeof(msg), "syntax error: %s", problem);
	ytree_fail(b, (int)m->line + 1, (int)m->column + 1, msg);
}

struct ynode *
ytree_parse(const char *file, const char *data, size_t len, struct arena *a,
    struct diag *d)
{
	if (len > YTREE_MAX_BYTES) {
		diag_add(d, file, 0, 0, "file is too large (%zu bytes; the limit is 4 MiB)", len);
		return NULL;
	}
	/* A UTF-8 byte-order mark is not text: left out, the columns of the first
	 * line are those an editor shows. (libyaml would skip it itself, but only
	 * when it detects the encoding, which would also let UTF-16 in.) */
	size_t bom = str_bom_len(data, len);
	data += bom;
	len -= bom;
	struct ytree_builder b = {.file = file, .data = data, .len = len, .arena = a,
		.diag = d};
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser)) {
		diag_add(d, file, 0, 0, "out of memory");
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	int docs = 0;
	bool done = false;
	while (!done && !b.failed) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			ytree_syntax_error(&b, &parser);
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1)
				ytree_fail(&b, (int)ev.start_mark.line + 1,
				    (int)ev.start_mark.column + 1,
				    "a stack file holds one YAML document ('---' starts a second)");
			break;
		case YAML_SEQUENCE_START_EVENT:
			ytree_start(&b, YNODE_SEQ, &ev.start_mark, ev.data.sequence_start.anchor);
			break;
		case YAML_MAPPING_START_EVENT:
			ytree_start(&b, YNODE_MAP, &ev.start_mark, ev.data.mapping_start.anchor);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (b.depth > 0)
				ytree_end(&b);
			break;
		case YAML_SCALAR_EVENT:
			ytree_scalar(&b, &ev);
			break;
		case YAML_ALIAS_EVENT:
			ytree_alias(&b, &ev);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	while (b.depth > 0) {
		struct ytree_frame *f = &b.stack[--b.depth];
		free(f->kids);
		free(f->anchor);
	}
	for (size_t i = 0; i < b.nanchors; i++)
		free(b.anchors[i].name);
	free(b.anchors);
	if (b.failed)
		return NULL;
	if (b.root == NULL) {
		diag_add(d, file, 1, 1, "the file is empty");
		return NULL;
	}
	return b.root;
}

bool
ytree_is_null(const struct ynode *n)
{
	if (n->type != YNODE_SCALAR || !n->plain)
		return false;
	return n->len == 0 || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 ||
	    strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0;
}

struct ynode *
ytree_get(const struct ynode *m, const char *key)
{
	if (m == NULL || m->type != YNODE_MAP)
		return NULL;
	size_t len = strlen(key);
	for (size_t i = 0; i < m->count; i++)
		if (m->pairs[i].key->len == len && memcmp(m->pairs[i].key->str, key, len) == 0)
			return m->pairs[i].value;
	return NULL;
}

const char *
ytree_type_name(const struct ynode *n)
{
	if (n->type == YNODE_SEQ)
		return "a list";
	if (n->type == YNODE_MAP)
		return "a mapping";
	if (ytree_is_null(n))
		return "nothing (null)";
	return "a string";
}
