/*
 * test_stream — JSON lines over a socketpair on the loop: messages both
 * ways with ids, lines split across reads, a message that is not JSON
 * ends the stream with a reason, EOF ends it, a peer that never reads
 * ends it once the queue bound is passed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/stream.h"

struct got {
	int msgs;
	char last[256];
	char why[256];
	bool ended;
};

static void
on_msg(const cJSON *msg, void *arg)
{
	struct got *g = arg;
	g->msgs++;
	char *t = cJSON_PrintUnformatted(msg);
	snprintf(g->last, sizeof(g->last), "%s", t);
	free(t);
}

static void
on_end(const char *why, void *arg)
{
	struct got *g = arg;
	g->ended = true;
	snprintf(g->why, sizeof(g->why), "%s", why);
}

/* Runs the loop until cond or 2 s. */
static void
spin(struct loop *l, bool (*cond)(struct got *), struct got *g)
{
	int64_t end = loop_now() + 2000000000LL;
	while (!cond(g) && loop_now() < end)
		loop_run_once(l, 50);
}

static bool has2(struct got *g) { return g->msgs >= 2; }
static bool ended(struct got *g) { return g->ended; }

static void
test_both_ways(void **state)
{
	(void)state;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	struct loop *l = loop_new();
	struct got g = {0};
	struct stream *s = stream_new(l, sv[0], sv[0], on_msg, on_end, &g);
	assert_non_null(s);
	/* Out: ids count up from 1. */
	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "cmd", "status");
	assert_int_equal(stream_send(s, m), 1);
	char buf[256];
	ssize_t n = read(sv[1], buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "{\"cmd\":\"status\",\"id\":1}\n");
	/* In: two messages, the second split across writes. */
	assert_int_equal(write(sv[1], "{\"a\":1}\n{\"b\":", 13), 13);
	loop_run_once(l, 100);
	assert_int_equal(g.msgs, 1);
	assert_int_equal(write(sv[1], "2}\n", 3), 3);
	spin(l, has2, &g);
	assert_int_equal(g.msgs, 2);
	assert_string_equal(g.last, "{\"b\":2}");
	/* Not JSON: the end, with a reason. */
	assert_int_equal(write(sv[1], "nonsense\n", 9), 9);
	spin(l, ended, &g);
	assert_true(g.ended);
	assert_non_null(strstr(g.why, "not JSON"));
	assert_true(stream_ended(s));
	assert_int_equal(stream_send(s, cJSON_CreateObject()), 0);
	stream_free(s);
	close(sv[1]);
	loop_free(l);
}

static void
test_eof_and_bound(void **state)
{
	(void)state;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	struct loop *l = loop_new();
	struct got g = {0};
	struct stream *s = stream_new(l, sv[0], sv[0], on_msg, on_end, &g);
	close(sv[1]);
	spin(l, ended, &g);
	assert_true(g.ended);
	assert_non_null(strstr(g.why, "closed"));
	stream_free(s);
	/* A peer that never reads: once STREAM_MAX_QUEUE is passed, the stream ends. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	struct got g2 = {0};
	s = stream_new(l, sv[0], sv[0], on_msg, on_end, &g2);
	static char line[65536];
	memset(line, 'x', sizeof(line) - 1);
	size_t sent = 0;
	while (stream_send_line(s, line, sizeof(line) - 1))
		sent += sizeof(line);
	assert_true(g2.ended);
	assert_true(sent >= STREAM_MAX_QUEUE / 2);
	assert_non_null(strstr(g2.why, "does not read"));
	stream_free(s);
	close(sv[1]);
	loop_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_both_ways),
		cmocka_unit_test(test_eof_and_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
