/*
 * test_replica — the dashboard's copy of the engine's lines: each process
 * keeps its own lines whatever another prints, within the bounds of lines
 * and bytes; walks merge processes newest first; a logs reply goes before
 * the lines held without holding any twice.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ui/replica.h"

#define T0 1795500000000LL

/* The texts of name's lines (NULL: all), newest first, joined by ','. */
static const char *
walked(const struct replica *r, const char *name)
{
	static char out[1 << 16];
	size_t n = 0;
	out[0] = '\0';
	struct replica_walk w;
	replica_walk_init(&w, r, name, NULL, NULL);
	const struct replica_line *l;
	while ((l = replica_walk_next(&w)) != NULL && n + strlen(l->text) + 2 < sizeof(out))
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", n ? "," : "", l->text);
	replica_walk_fini(&w);
	return out;
}

static void
apply(struct replica *r, const char *json)
{
	cJSON *j = cJSON_Parse(json);
	assert_non_null(j);
	replica_apply(r, j, 0);
	cJSON_Delete(j);
}

/* A chatty process does not push a quiet one's lines out. */
static void
test_quiet_keeps_its_lines(void **state)
{
	(void)state;
	struct replica r;
	replica_init(&r);
	replica_add_line(&r, "tick", T0, false, "tick 1");
	replica_add_line(&r, "tick", T0 + 500, false, "tick 2");
	char text[64];
	for (int i = 0; i < 3 * REPLICA_LOG_LINES; i++) {
		snprintf(text, sizeof(text), "spam %d", i);
		replica_add_line(&r, "spam", T0 + 1000 + i / 100, false, text);
	}
	replica_add_line(&r, "tick", T0 + 2000, false, "tick 3");
	assert_string_equal(walked(&r, "tick"), "tick 3,tick 2,tick 1");
	assert_int_equal(replica_nlines(&r, "tick"), 3);
	assert_int_equal(replica_nlines(&r, "spam"), REPLICA_PROC_LINES); /* its own bound */
	assert_false(replica_hold(&r, "spam")); /* dropped for its own bound only: nothing to ask */
	/* Newest first, whatever the process. */
	struct replica_walk w;
	replica_walk_init(&w, &r, NULL, NULL, NULL);
	assert_string_equal(replica_walk_next(&w)->text, "tick 3");
	assert_string_equal(replica_walk_next(&w)->text, "spam 29999");
	replica_walk_fini(&w);
	replica_fini(&r);
}

/* Many chatty processes: together within the bound, each cut to the same level, the quiet untouched. */
static void
test_fair_share(void **state)
{
	(void)state;
	struct replica r;
	replica_init(&r);
	for (int i = 0; i < 20; i++)
		replica_add_line(&r, "quiet", T0 + i, false, "q");
	char name[16];
	for (int i = 0; i < 4 * REPLICA_PROC_LINES; i++) {
		snprintf(name, sizeof(name), "chatty%d", i % 4);
		replica_add_line(&r, name, T0 + 100 + i, false, "x");
	}
	assert_true(r.nlines <= REPLICA_LOG_LINES);
	assert_int_equal(replica_nlines(&r, "quiet"), 20);
	size_t sum = 20;
	for (int k = 0; k < 4; k++) {
		snprintf(name, sizeof(name), "chatty%d", k);
		size_t n = replica_nlines(&r, name);
		assert_true(n + 4 >= (REPLICA_LOG_LINES - 20) / 4); /* within a line per process of a fair share */
		sum += n;
	}
	assert_int_equal(sum, r.nlines);
	/* They lost lines to the others: selecting one says so, and it is kept from then on. */
	assert_true(replica_hold(&r, "chatty2"));
	size_t kept = replica_nlines(&r, "chatty2");
	for (int i = 0; i < REPLICA_LOG_LINES; i++)
		replica_add_line(&r, i % 2 ? "chatty0" : "chatty1", T0 + 100000 + i, false, "y");
	assert_int_equal(replica_nlines(&r, "chatty2"), kept);
	assert_int_equal(replica_nlines(&r, "quiet"), 20);
	assert_true(r.nlines <= REPLICA_LOG_LINES);
	replica_fini(&r);
}

/* Text has a bound of its own: long lines are dropped oldest first from the process holding the most. */
static void
test_bytes_bound(void **state)
{
	(void)state;
	struct replica r;
	replica_init(&r);
	replica_add_line(&r, "small", T0, false, "a short line");
	char *big = malloc(64 * 1024 + 1);
	assert_non_null(big);
	memset(big, 'b', 64 * 1024);
	big[64 * 1024] = '\0';
	for (int i = 0; i < 300; i++)
		replica_add_line(&r, "big", T0 + i, false, big);
	free(big);
	assert_true(r.nbytes <= REPLICA_LOG_BYTES);
	assert_int_equal(replica_nlines(&r, "small"), 1);
	assert_int_equal(replica_nlines(&r, "big"), REPLICA_LOG_BYTES / (64 * 1024) - 1);
	replica_fini(&r);
}

/* A logs reply: what the engine had before the live lines goes first; what both sent is held once. */
static void
test_backlog_merge(void **state)
{
	(void)state;
	struct replica r;
	replica_init(&r);
	/* Live events after subscribing: api's 3 and 4, db's x. */
	apply(&r, "{\"event\":\"logs\",\"data\":{\"name\":\"api\",\"ts\":3,\"stream\":\"out\",\"text\":\"a3\"}}");
	apply(&r, "{\"event\":\"logs\",\"data\":{\"name\":\"db\",\"ts\":3,\"stream\":\"out\",\"text\":\"x\"}}");
	apply(&r, "{\"event\":\"logs\",\"data\":{\"name\":\"api\",\"ts\":4,\"stream\":\"out\",\"text\":\"a4\"}}");
	/* The reply, a process at a time: it has the live lines too (they were sent before it). */
	apply(&r, "{\"id\":2,\"ok\":true,\"result\":{\"lines\":["
	    "{\"name\":\"api\",\"ts\":1,\"stream\":\"out\",\"text\":\"a1\"},"
	    "{\"name\":\"api\",\"ts\":2,\"stream\":\"err\",\"text\":\"a2\",\"split\":true},"
	    "{\"name\":\"api\",\"ts\":3,\"stream\":\"out\",\"text\":\"a3\"},"
	    "{\"name\":\"api\",\"ts\":4,\"stream\":\"out\",\"text\":\"a4\"},"
	    "{\"name\":\"db\",\"ts\":0,\"stream\":\"out\",\"text\":\"x0\"},"
	    "{\"name\":\"db\",\"ts\":3,\"stream\":\"out\",\"text\":\"x\"},"
	    "{\"name\":\"web\",\"ts\":2,\"stream\":\"out\",\"text\":\"w\"}]}}");
	assert_string_equal(walked(&r, "api"), "a4,a3,a2,a1");
	assert_string_equal(walked(&r, "db"), "x,x0");
	assert_string_equal(walked(&r, "web"), "w");
	assert_string_equal(walked(&r, NULL), "a4,x,a3,w,a2,a1,x0");
	assert_int_equal(r.nlines, 7);
	/* Flags survive. */
	struct replica_walk w;
	replica_walk_init(&w, &r, "api", NULL, NULL);
	replica_walk_next(&w);
	replica_walk_next(&w);
	const struct replica_line *l = replica_walk_next(&w);
	assert_true(l->err && l->split);
	replica_walk_fini(&w);
	/* The same reply again (a second ask): nothing new, nothing twice. */
	apply(&r, "{\"id\":3,\"ok\":true,\"result\":{\"lines\":["
	    "{\"name\":\"api\",\"ts\":1,\"stream\":\"out\",\"text\":\"a1\"},"
	    "{\"name\":\"api\",\"ts\":2,\"stream\":\"err\",\"text\":\"a2\"},"
	    "{\"name\":\"api\",\"ts\":3,\"stream\":\"out\",\"text\":\"a3\"},"
	    "{\"name\":\"api\",\"ts\":4,\"stream\":\"out\",\"text\":\"a4\"}]}}");
	assert_string_equal(walked(&r, "api"), "a4,a3,a2,a1");
	/* Identical lines (yes(1)) line up by position, not by text alone. */
	for (int i = 0; i < 3; i++)
		apply(&r, "{\"event\":\"logs\",\"data\":{\"name\":\"y\",\"ts\":9,\"stream\":\"out\",\"text\":\"y\"}}");
	apply(&r, "{\"id\":4,\"ok\":true,\"result\":{\"lines\":["
	    "{\"name\":\"y\",\"ts\":8,\"stream\":\"out\",\"text\":\"y\"},"
	    "{\"name\":\"y\",\"ts\":9,\"stream\":\"out\",\"text\":\"y\"},"
	    "{\"name\":\"y\",\"ts\":9,\"stream\":\"out\",\"text\":\"y\"},"
	    "{\"name\":\"y\",\"ts\":9,\"stream\":\"out\",\"text\":\"y\"},"
	    "{\"name\":\"y\",\"ts\":9,\"stream\":\"out\",\"text\":\"y\"}]}}");
	assert_int_equal(replica_nlines(&r, "y"), 5);
	replica_fini(&r);
}

/* A process trimmed for others gets its older lines back from a reply to its selection. */
static void
test_fetch_after_trim(void **state)
{
	(void)state;
	struct replica r;
	replica_init(&r);
	char text[64];
	for (int i = 0; i < 300; i++) {
		snprintf(text, sizeof(text), "slow %d", i);
		replica_add_line(&r, "slow", T0 + i, false, text);
	}
	char name[16];
	for (int i = 0; i < 4 * REPLICA_PROC_LINES; i++) {
		snprintf(name, sizeof(name), "c%d", i % 40);
		replica_add_line(&r, name, T0 + 1000 + i, false, "c");
	}
	size_t had = replica_nlines(&r, "slow");
	assert_true(had < 300);
	assert_true(replica_hold(&r, "slow"));
	/* The reply to `{"cmd":"logs","target":"slow","lines":5000}`. */
	cJSON *reply = cJSON_CreateObject();
	cJSON_AddNumberToObject(reply, "id", 9);
	cJSON_AddTrueToObject(reply, "ok");
	cJSON *lines = cJSON_AddArrayToObject(cJSON_AddObjectToObject(reply, "result"), "lines");
	for (int i = 0; i < 300; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", "slow");
		cJSON_AddNumberToObject(o, "ts", (double)(T0 + i));
		cJSON_AddStringToObject(o, "stream", "out");
		snprintf(text, sizeof(text), "slow %d", i);
		cJSON_AddStringToObject(o, "text", text);
		cJSON_AddItemToArray(lines, o);
	}
	replica_apply(&r, reply, 0);
	cJSON_Delete(reply);
	assert_int_equal(replica_nlines(&r, "slow"), 300);
	assert_true(r.nlines <= REPLICA_LOG_LINES);
	assert_false(replica_hold(&r, "slow")); /* nothing more to ask */
	struct replica_walk w;
	replica_walk_init(&w, &r, "slow", NULL, NULL);
	for (int i = 299; i >= 0; i--) {
		snprintf(text, sizeof(text), "slow %d", i);
		assert_string_equal(replica_walk_next(&w)->text, text);
	}
	assert_null(replica_walk_next(&w));
	replica_walk_fini(&w);
	/* A reconnect forgets the lines, not who is held. */
	replica_reset(&r);
	assert_int_equal(r.nlines, 0);
	assert_int_equal(r.nbytes, 0);
	replica_fini(&r);
}

/* A history reply: the process tree's members keep their parents, for the detail view to draw a tree. */
static void
test_history_tree(void **state)
{
	(void)state;
	struct replica r;
	replica_init(&r);
	apply(&r, "{\"id\":3,\"ok\":true,\"result\":{\"processes\":[{\"name\":\"api\",\"command\":\"sh -c x\","
	    "\"fine\":{\"tree_cpu\":[[1,2.5],[2,3.5]]},\"coarse\":{},"
	    "\"tree\":[{\"pid\":1460,\"ppid\":1,\"name\":\"sh\"},{\"pid\":1467,\"ppid\":1460,\"name\":\"awk\"},"
	    "{\"pid\":1479,\"ppid\":1460,\"name\":\"awk\"}]}]}}");
	assert_string_equal(r.detail.name, "api");
	assert_int_equal(r.detail.ncpu, 2);
	assert_int_equal(r.detail.ntree, 3);
	assert_int_equal(r.detail.tree[2].pid, 1479);
	assert_int_equal(r.detail.tree[2].ppid, 1460);
	assert_string_equal(r.detail.tree[2].comm, "awk");
	replica_fini(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quiet_keeps_its_lines),
		cmocka_unit_test(test_fair_share),
		cmocka_unit_test(test_bytes_bound),
		cmocka_unit_test(test_backlog_merge),
		cmocka_unit_test(test_fetch_after_trim),
		cmocka_unit_test(test_history_tree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
