/*
 * test_yamltree — the YAML tree: positions, aliases shared not copied,
 * merge keys, duplicate keys, and the bounds on hostile input (alias bombs,
 * deep nesting, huge files, bytes that are not UTF-8).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/diag.h"
#include "core/strutil.h"
#include "core/yamltree.h"

struct fixture {
	struct arena *arena;
	struct diag diag;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->arena = arena_new();
	diag_init(&f->diag);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	diag_fini(&f->diag);
	arena_free(f->arena);
	free(f);
	return 0;
}

static struct ynode *
parse(struct fixture *f, const char *text)
{
	return ytree_parse("t.yaml", text, strlen(text), f->arena, &f->diag);
}

/* The first problem as "file:line:col: message". */
static const char *
first_error(struct fixture *f)
{
	static char buf[1400];
	assert_true(f->diag.count > 0);
	diag_sort(&f->diag);
	diag_format(&f->diag.entries[0], buf, sizeof(buf));
	return buf;
}

static void
test_positions(void **state)
{
	struct fixture *f = *state;
	struct ynode *root = parse(f, "a: 1\nb:\n  - x\n  - 'y'\nc: {d: e}\n");
	assert_non_null(root);
	assert_int_equal(root->type, YNODE_MAP);
	assert_int_equal(root->count, 3);
	struct ynode *b = ytree_get(root, "b");
	assert_int_equal(b->type, YNODE_SEQ);
	assert_int_equal(b->line, 3);
	assert_int_equal(b->col, 3);
	assert_int_equal(b->items[1]->line, 4);
	assert_int_equal(b->items[1]->col, 5);
	assert_true(b->items[1]->quoted);
	assert_false(b->items[1]->plain);
	assert_true(b->items[0]->plain);
	struct ynode *d = ytree_get(ytree_get(root, "c"), "d");
	assert_string_equal(d->str, "e");
	assert_int_equal(d->line, 5);
	assert_int_equal(d->col, 8);
	assert_null(ytree_get(root, "zz"));
	assert_int_equal(f->diag.count, 0);
}

static void
test_null_and_types(void **state)
{
	struct fixture *f = *state;
	struct ynode *root = parse(f, "a:\nb: ~\nc: null\nd: 'null'\ne: []\n");
	assert_true(ytree_is_null(ytree_get(root, "a")));
	assert_true(ytree_is_null(ytree_get(root, "b")));
	assert_true(ytree_is_null(ytree_get(root, "c")));
	assert_false(ytree_is_null(ytree_get(root, "d")));
	assert_string_equal(ytree_type_name(ytree_get(root, "e")), "a list");
	assert_string_equal(ytree_type_name(root), "a mapping");
	assert_string_equal(ytree_type_name(ytree_get(root, "d")), "a string");
}

static void
test_alias_shared_and_merge(void **state)
{
	struct fixture *f = *state;
	struct ynode *root = parse(f,
	    "base: &b {restart: always, stop_timeout: 5s}\n"
	    "x:\n  <<: *b\n  stop_timeout: 1s\n"
	    "y: *b\n"
	    "z:\n  <<: [{k: 1}, {k: 2, j: 3}]\n");
	assert_non_null(root);
	struct ynode *x = ytree_get(root, "x");
	assert_int_equal(x->count, 2);
	assert_string_equal(ytree_get(x, "stop_timeout")->str, "1s"); /* explicit wins */
	assert_string_equal(ytree_get(x, "restart")->str, "always");
	assert_ptr_equal(ytree_get(root, "y"), ytree_get(root, "base")); /* shared */
	struct ynode *z = ytree_get(root, "z");
	assert_string_equal(ytree_get(z, "k")->str, "1"); /* earlier source wins */
	assert_string_equal(ytree_get(z, "j")->str, "3");
	assert_int_equal(f->diag.count, 0);
}

static void
test_duplicates(void **state)
{
	struct fixture *f = *state;
	struct ynode *root = parse(f, "a: 1\nb: 2\na: 3\n");
	assert_non_null(root); /* reported, and the rest is still usable */
	assert_string_equal(first_error(f), "t.yaml:3:1: duplicate key 'a' (first defined at line 1)");
	assert_int_equal(f->diag.count, 1);
}

static void
test_syntax_errors(void **state)
{
	struct fixture *f = *state;
	assert_null(parse(f, "a: [1, 2\nb: 3\n"));
	assert_true(strstr(first_error(f), "t.yaml:") == first_error(f));
	assert_non_null(strstr(first_error(f), "syntax error"));
	diag_fini(&f->diag);
	assert_null(parse(f, "a: *nope\n"));
	assert_string_equal(first_error(f), "t.yaml:1:4: unknown alias '*nope'");
	diag_fini(&f->diag);
	assert_null(parse(f, ""));
	assert_string_equal(first_error(f), "t.yaml:1:1: the file is empty");
	diag_fini(&f->diag);
	assert_null(parse(f, "a: 1\n---\nb: 2\n"));
	assert_string_equal(first_error(f),
	    "t.yaml:2:1: a stack file holds one YAML document ('---' starts a second)");
	diag_fini(&f->diag);
	assert_null(parse(f, "? [a]\n: 1\n"));
	assert_string_equal(first_error(f), "t.yaml:1:3: mapping keys must be plain strings");
}

static void
test_not_utf8(void **state)
{
	struct fixture *f = *state;
	const char bad[] = "a: \xff\xfe\x80 b\n";
	assert_null(ytree_parse("t.yaml", bad, sizeof(bad) - 1, f->arena, &f->diag));
	assert_non_null(strstr(first_error(f), "the file must be UTF-8 text"));
	diag_fini(&f->diag);
	const char nul[] = "a: b\0c\n";
	assert_null(ytree_parse("t.yaml", nul, sizeof(nul) - 1, f->arena, &f->diag));
	assert_true(f->diag.count == 1);
}

/* A UTF-8 byte-order mark (Windows editors write one) is not part of the text:
 * the file is read, and columns on its first line are counted without it. */
static void
test_bom(void **state)
{
	struct fixture *f = *state;
	struct ynode *root = parse(f, "\xEF\xBB\xBF" "a: 1\nb: x\n");
	assert_non_null(root);
	assert_int_equal(f->diag.count, 0);
	assert_string_equal(ytree_get(root, "a")->str, "1");
	assert_int_equal(root->pairs[0].key->line, 1);
	assert_int_equal(root->pairs[0].key->col, 1);
	assert_int_equal(ytree_get(root, "a")->col, 4);
	assert_int_equal(ytree_get(root, "b")->col, 4);
	assert_null(parse(f, "\xEF\xBB\xBF" "a: *nope\n"));
	assert_string_equal(first_error(f), "t.yaml:1:4: unknown alias '*nope'");
	diag_fini(&f->diag);
	const char bad[] = "\xEF\xBB\xBF" "a: \xff\n";
	assert_null(ytree_parse("t.yaml", bad, sizeof(bad) - 1, f->arena, &f->diag));
	assert_true(strncmp(first_error(f), "t.yaml:1:4: ", 12) == 0);
}

static void
test_alias_bomb(void **state)
{
	struct fixture *f = *state;
	/* Nine levels of nine aliases: 9^9 nodes if expanded. */
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_add(&sb, "a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
	for (int i = 1; i <= 9; i++) {
		strbuf_addf(&sb, "a%d: &a%d [", i, i);
		for (int j = 0; j < 9; j++)
			strbuf_addf(&sb, "%s*a%d", j ? ", " : "", i - 1);
		strbuf_add(&sb, "]\n");
	}
	size_t used_before = arena_used(f->arena);
	assert_null(parse(f, sb.data));
	assert_non_null(strstr(first_error(f),
	    "document too large once aliases are expanded (limit 200000 nodes)"));
	/* Refused without copying: the tree stays small. */
	assert_true(arena_used(f->arena) - used_before < 64 * 1024);
	strbuf_fini(&sb);
}

static void
test_deep_nesting(void **state)
{
	struct fixture *f = *state;
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_add(&sb, "a: ");
	for (int i = 0; i < 200; i++)
		strbuf_addc(&sb, '[');
	for (int i = 0; i < 200; i++)
		strbuf_addc(&sb, ']');
	strbuf_addc(&sb, '\n');
	assert_null(parse(f, sb.data));
	assert_non_null(strstr(first_error(f), "nesting is too deep (limit 64 levels)"));
	strbuf_fini(&sb);
}

static void
test_too_many_nodes_and_bytes(void **state)
{
	struct fixture *f = *state;
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_add(&sb, "a: [");
	for (int i = 0; i < 210000; i++)
		strbuf_add(&sb, "1,");
	strbuf_add(&sb, "1]\n");
	assert_null(parse(f, sb.data));
	assert_non_null(strstr(first_error(f), "too many YAML nodes"));
	strbuf_fini(&sb);
	diag_fini(&f->diag);
	size_t big = YTREE_MAX_BYTES + 1;
	char *data = malloc(big);
	memset(data, '#', big);
	assert_null(ytree_parse("t.yaml", data, big, f->arena, &f->diag));
	assert_non_null(strstr(first_error(f), "file is too large"));
	free(data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_positions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_null_and_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alias_shared_and_merge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syntax_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_utf8, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bom, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alias_bomb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deep_nesting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_nodes_and_bytes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
