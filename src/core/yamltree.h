/*
 * yamltree — a YAML document as a tree of positioned nodes, built from
 * libyaml's event stream. Aliases share the anchored node (no copies) and
 * "<<" merge keys are resolved. Hostile input is bounded: file size,
 * node count, expanded size (alias bombs), nesting depth.
 */
#ifndef VIGIL_CORE_YAMLTREE_H
#define VIGIL_CORE_YAMLTREE_H

#include <stdbool.h>
#include <stddef.h>

struct arena;
struct diag;

#define YTREE_MAX_BYTES ((size_t)4 << 20)  /* a stack file over 4 MiB is refused */
#define YTREE_MAX_NODES 200000             /* nodes in the file */
#define YTREE_MAX_EXPANDED 200000          /* nodes once aliases are expanded */
#define YTREE_MAX_DEPTH 64                 /* nesting */

enum ynode_type { YNODE_SCALAR, YNODE_SEQ, YNODE_MAP };

struct ynode;

struct ypair {
	struct ynode *key;   /* borrowed from the tree; always a scalar */
	struct ynode *value; /* borrowed from the tree */
};

struct ynode {
	enum ynode_type type;
	int line, col;        /* 1-based position of the node's start */
	bool plain;           /* scalar written without quotes (null/bool apply) */
	bool quoted;          /* scalar written in '...' or "..." */
	bool multiline;       /* columns inside the scalar are unknown (it spans lines, or has escapes) */
	const char *str;      /* scalar text, NUL-terminated (arena) */
	size_t len;           /* scalar length in bytes (may contain NUL) */
	struct ynode **items; /* sequence items (arena) */
	struct ypair *pairs;  /* mapping pairs, explicit ones then merged (arena) */
	size_t count;         /* items or pairs */
	size_t weight;        /* nodes in this subtree with aliases expanded */
};

/*
 * Parses data (len bytes, from file) into a tree allocated in a. Problems are
 * recorded in d with file:line:col; a fatal one (syntax, limits) returns
 * NULL, while duplicate keys are recorded and the tree is still returned.
 */
struct ynode *ytree_parse(const char *file, const char *data, size_t len,
    struct arena *a, struct diag *d);

/* True for a plain scalar that YAML reads as null: "", "~", "null". */
bool ytree_is_null(const struct ynode *n);
/* The value for key in mapping m, or NULL. */
struct ynode *ytree_get(const struct ynode *m, const char *key);
/* "a string", "a list", "a mapping" — for messages. */
const char *ytree_type_name(const struct ynode *n);

#endif
