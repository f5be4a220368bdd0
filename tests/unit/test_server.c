/*
 * test_server — the control socket on a real loop with real clients (raw
 * non-blocking sockets in this process; the loop is driven between their
 * reads and writes, under deadlines). Covers requests split and joined
 * every way, errors that leave the connection usable, the line bound, a
 * subscriber that never reads (bounded, counted drops, nobody else waits),
 * many clients, a client of another uid, the socket file's mode, stale and
 * live sockets, and unlinking on free.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/proto.h"
#include "core/server.h"

#define DEADLINE_NS 5000000000LL /* no wait in these tests is longer than 5 s */

struct fix {
	char dir[64];
	char path[128];
	struct loop *loop;
	struct server *srv;
	int handled;                 /* requests the handler saw */
	int restarts;                /* of which "restart" */
	unsigned long long held;     /* the connection of the last "start" (answered later) */
};

/* What the handler does for each command. */
static void
on_request(struct server_conn *c, const struct proto_req *req, void *arg)
{
	struct fix *f = arg;
	f->handled++;
	cJSON *res = cJSON_CreateObject();
	cJSON_AddStringToObject(res, "cmd", proto_cmd_name(req->cmd));
	switch (req->cmd) {
	case PROTO_STATUS: {
		cJSON *t = cJSON_AddArrayToObject(res, "targets");
		for (size_t i = 0; i < req->ntargets; i++)
			cJSON_AddItemToArray(t, cJSON_CreateString(req->targets[i]));
		break;
	}
	case PROTO_SUBSCRIBE:
		server_subscribe(c, req->topics);
		break;
	case PROTO_LOGS: {
		/* A reply of "lines" KiB, to fill queues. */
		size_t n = (size_t)req->lines * 1024;
		char *pad = malloc(n + 1);
		memset(pad, 'l', n);
		pad[n] = '\0';
		cJSON_AddStringToObject(res, "pad", pad);
		free(pad);
		break;
	}
	case PROTO_RESTART: {
		/* A costly request: 1 ms of work. */
		int64_t end = loop_now() + 1000000;
		while (loop_now() < end)
			;
		f->restarts++;
		break;
	}
	case PROTO_START:
		/* Answered later, by the test, through server_conn_find. */
		f->held = server_conn_id(c);
		cJSON_Delete(res);
		return;
	case PROTO_DOWN:
		server_send(c, proto_reply_ok(req, res));
		server_close_after_write(c);
		return;
	case PROTO_RELOAD:
		/* The engine tearing the server down from inside its own handler. */
		server_send(c, proto_reply_ok(req, res));
		server_free(f->srv);
		f->srv = NULL;
		return;
	default:
		break;
	}
	server_send(c, proto_reply_ok(req, res));
}

static void
fix_start(struct fix *f)
{
	memset(f, 0, sizeof(*f));
	strcpy(f->dir, "/tmp/vigil-server-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/control.sock", f->dir);
	f->loop = loop_new();
	assert_non_null(f->loop);
	char err[512];
	f->srv = server_new(f->loop, f->path, on_request, f, err, sizeof(err));
	if (f->srv == NULL)
		fail_msg("server_new: %s", err);
}

static void
fix_stop(struct fix *f)
{
	server_free(f->srv);
	/* Let the timers that free closed connections run, so nothing is left to leak. */
	loop_run_once(f->loop, 0);
	loop_free(f->loop);
	unlink(f->path);
	rmdir(f->dir);
}

/* ---- a raw client -------------------------------------------------------- */

struct cl {
	int fd;
	char *buf;
	size_t len, cap;
	bool eof;
};

static int
cl_socket(const char *path, bool nonblock)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
	assert_true(fd >= 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	strcpy(a.sun_path, path);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static void
cl_open(struct fix *f, struct cl *c)
{
	memset(c, 0, sizeof(*c));
	int64_t end = loop_now() + DEADLINE_NS;
	while ((c->fd = cl_socket(f->path, true)) < 0) {
		assert_int_equal(errno, EAGAIN); /* the backlog is full: let the server accept */
		assert_true(loop_now() < end);
		loop_run_once(f->loop, 5);
	}
}

static void
cl_close(struct cl *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	c->fd = -1;
	c->buf = NULL;
}

/* Writes all of data, running the loop whenever the socket is full. */
static void
cl_write(struct fix *f, struct cl *c, const char *data, size_t len)
{
	int64_t end = loop_now() + DEADLINE_NS;
	while (len > 0) {
		ssize_t w = send(c->fd, data, len, MSG_NOSIGNAL);
		if (w < 0) {
			assert_true(errno == EAGAIN);
			assert_true(loop_now() < end);
			loop_run_once(f->loop, 5);
			continue;
		}
		data += w;
		len -= (size_t)w;
	}
}

static void
cl_puts(struct fix *f, struct cl *c, const char *s)
{
	cl_write(f, c, s, strlen(s));
}

/* Reads what is there without waiting; false at EOF. */
static bool
cl_fill(struct cl *c)
{
	for (;;) {
		if (c->cap - c->len < 65536) {
			c->cap = c->cap ? c->cap * 2 : 131072;
			c->buf = realloc(c->buf, c->cap);
			assert_non_null(c->buf);
		}
		ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len, MSG_DONTWAIT);
		if (n > 0) {
			c->len += (size_t)n;
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			c->eof = true;
			return false;
		}
		return true;
	}
}

/* The next line (malloc'd, without its newline), or NULL at EOF or after ms. */
static char *
cl_line(struct fix *f, struct cl *c, int64_t ms)
{
	int64_t end = loop_now() + ms * 1000000;
	for (;;) {
		char *nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;
		if (nl != NULL) {
			size_t n = (size_t)(nl - c->buf);
			char *line = malloc(n + 1);
			memcpy(line, c->buf, n);
			line[n] = '\0';
			memmove(c->buf, nl + 1, c->len - n - 1);
			c->len -= n + 1;
			return line;
		}
		if (c->eof || loop_now() >= end)
			return NULL;
		if (f->loop != NULL)
			loop_run_once(f->loop, 2);
		cl_fill(c);
	}
}

/* The next message, parsed; fails the test when none comes within 5 s. */
static cJSON *
cl_msg(struct fix *f, struct cl *c)
{
	char *line = cl_line(f, c, 5000);
	if (line == NULL)
		fail_msg("no reply (eof=%d)", c->eof);
	cJSON *m = cJSON_Parse(line);
	if (m == NULL)
		fail_msg("not JSON: %s", line);
	free(line);
	return m;
}

/* Reads one reply and checks its id (-1 = null), ok, and error message (NULL = none). */
static void
expect_reply(struct fix *f, struct cl *c, long long id, bool ok, const char *error)
{
	cJSON *m = cl_msg(f, c);
	const cJSON *idv = cJSON_GetObjectItemCaseSensitive(m, "id");
	if (id < 0)
		assert_true(cJSON_IsNull(idv));
	else
		assert_true(cJSON_IsNumber(idv) && idv->valuedouble == (double)id);
	assert_int_equal(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "ok")), ok);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(m, "error");
	if (error != NULL) {
		assert_true(cJSON_IsString(e));
		assert_string_equal(e->valuestring, error);
	} else {
		assert_null(e);
	}
	cJSON_Delete(m);
}

/* Runs the loop until the server counts n clients. */
static void
wait_clients(struct fix *f, size_t n)
{
	int64_t end = loop_now() + DEADLINE_NS;
	while (server_clients(f->srv) != n) {
		assert_true(loop_now() < end);
		loop_run_once(f->loop, 5);
	}
}

/* True when the client sees EOF within 5 s. */
static bool
cl_sees_eof(struct fix *f, struct cl *c)
{
	char *line;
	while ((line = cl_line(f, c, 5000)) != NULL)
		free(line);
	return c->eof;
}

/* ---- tests ------------------------------------------------------------- */

static void
test_round_trip(void **state)
{
	(void)state;
	struct fix f;
	fix_start(&f);
	struct stat st;
	assert_int_equal(lstat(f.path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);

	struct cl c;
	cl_open(&f, &c);
	cl_puts(&f, &c, "{\"id\":7,\"cmd\":\"status\",\"target\":\"@web\"}\n");
	cJSON *m = cl_msg(&f, &c);
	char *text = cJSON_PrintUnformatted(m);
	assert_string_equal(text,
	    "{\"id\":7,\"ok\":true,\"result\":{\"cmd\":\"status\",\"targets\":[\"@web\"]}}");
	free(text);
	cJSON_Delete(m);
	assert_int_equal(server_clients(f.srv), 1);
	assert_int_equal(server_peer_uid(server_conn_find(f.srv, 1)), getuid());

	/* Two requests in one write; then blank lines (ignored) and a CRLF line. */
	cl_puts(&f, &c, "{\"id\":1,\"cmd\":\"version\"}\n{\"id\":2,\"cmd\":\"version\"}\n");
	expect_reply(&f, &c, 1, true, NULL);
	expect_reply(&f, &c, 2, true, NULL);
	cl_puts(&f, &c, "\n\r\n   \n{\"id\":3,\"cmd\":\"version\"}\r\n");
	expect_reply(&f, &c, 3, true, NULL);
	assert_int_equal(f.handled, 4);

	/* One request a byte at a time, the loop running between bytes. */
	const char *req = "{\"id\":4,\"cmd\":\"status\",\"targets\":[\"a\",\"b\"]}\n";
	for (size_t i = 0; req[i] != '\0'; i++) {
		cl_write(&f, &c, req + i, 1);
		loop_run_once(f.loop, 0);
	}
	m = cl_msg(&f, &c);
	text = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(m, "result"));
	assert_string_equal(text, "{\"cmd\":\"status\",\"targets\":[\"a\",\"b\"]}");
	free(text);
	cJSON_Delete(m);

	/* A client that hangs up is gone from the count. */
	cl_close(&c);
	wait_clients(&f, 0);
	fix_stop(&f);
}

static void
test_errors_keep_connection(void **state)
{
	(void)state;
	struct fix f;
	fix_start(&f);
	struct cl c;
	cl_open(&f, &c);
	cl_puts(&f, &c, "{\"id\":1,\"cmd\":\n");
	expect_reply(&f, &c, -1, false, "invalid JSON");
	cl_puts(&f, &c, "[1]\n");
	expect_reply(&f, &c, -1, false, "a request must be a JSON object");
	cl_puts(&f, &c, "{\"id\":2,\"cmd\":\"dance\"}\n");
	expect_reply(&f, &c, 2, false, "unknown command 'dance'");
	cl_puts(&f, &c, "{\"id\":3,\"cmd\":\"status\",\"colour\":\"red\"}\n");
	expect_reply(&f, &c, 3, false, "unknown key 'colour'");
	cl_puts(&f, &c, "{\"id\":4,\"cmd\":\"logs\",\"lines\":\"many\"}\n");
	expect_reply(&f, &c, 4, false, "'lines' must be a whole number");
	cl_puts(&f, &c, "\x01\xff garbage\n");
	expect_reply(&f, &c, -1, false, "invalid JSON");
	assert_int_equal(f.handled, 0);
	cl_puts(&f, &c, "{\"id\":5,\"cmd\":\"version\"}\n");
	expect_reply(&f, &c, 5, true, NULL);
	assert_int_equal(f.handled, 1);
	cl_close(&c);
	fix_stop(&f);
}

static void
test_long_lines(void **state)
{
	(void)state;
	struct fix f;
	fix_start(&f);
	struct cl c;
	cl_open(&f, &c);
	/* 2 MiB without a newline: refused once it passes 1 MiB; the rest is skipped. */
	size_t big = (size_t)2 << 20;
	char *junk = malloc(big);
	memset(junk, 'j', big);
	cl_write(&f, &c, junk, big);
	expect_reply(&f, &c, -1, false, "request line too long (over 1 MiB)");
	cl_write(&f, &c, junk, big); /* still the same line */
	cl_puts(&f, &c, "tail of the long line\n{\"id\":1,\"cmd\":\"version\"}\n");
	expect_reply(&f, &c, 1, true, NULL); /* and no second error before it */
	free(junk);

	/* Exactly PROTO_MAX_LINE bytes is a request; one more byte is not. */
	char *line = malloc(PROTO_MAX_LINE + 2);
	memset(line, ' ', PROTO_MAX_LINE + 1);
	memcpy(line, "{\"id\":2,\"cmd\":\"version\"}", 24);
	line[PROTO_MAX_LINE] = '\n';
	cl_write(&f, &c, line, PROTO_MAX_LINE + 1);
	expect_reply(&f, &c, 2, true, NULL);
	line[PROTO_MAX_LINE] = ' ';
	line[PROTO_MAX_LINE + 1] = '\n';
	cl_write(&f, &c, line, PROTO_MAX_LINE + 2);
	expect_reply(&f, &c, -1, false, "request line too long (over 1 MiB)");
	free(line);
	cl_puts(&f, &c, "{\"id\":3,\"cmd\":\"version\"}\n");
	expect_reply(&f, &c, 3, true, NULL);
	assert_int_equal(f.handled, 3);
	cl_close(&c);
	fix_stop(&f);
}

/* An event line of about 300 bytes with its number. */
static char *
make_event(int n)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "n", n);
	char pad[251];
	memset(pad, 'p', 250);
	pad[250] = '\0';
	cJSON_AddStringToObject(d, "pad", pad);
	return proto_event("state", d);
}

static void
test_slow_subscriber(void **state)
{
	(void)state;
	struct fix f;
	fix_start(&f);
	struct cl slow, other;
	cl_open(&f, &slow);
	cl_open(&f, &other);
	assert_false(server_has_subscribers(f.srv, PROTO_TOPIC_STATE));
	cl_puts(&f, &slow, "{\"id\":1,\"cmd\":\"subscribe\",\"topics\":[\"state\"]}\n");
	expect_reply(&f, &slow, 1, true, NULL);
	assert_true(server_has_subscribers(f.srv, PROTO_TOPIC_STATE));
	assert_false(server_has_subscribers(f.srv, PROTO_TOPIC_LOGS));

	/* 10,000 events (3 MB) to a client that reads none of them, the loop running between. */
	const int total = 10000;
	size_t evlen = 0;
	int64_t t0 = loop_now();
	for (int i = 0; i < total; i++) {
		char *ev = make_event(i);
		evlen = strlen(ev);
		server_broadcast(f.srv, PROTO_TOPIC_STATE, ev);
		free(ev);
		if (i % 100 == 0)
			loop_run_once(f.loop, 0);
	}
	server_broadcast(f.srv, PROTO_TOPIC_LOGS, "{\"event\":\"logs\"}\n"); /* not subscribed */
	assert_true(loop_now() - t0 < 3000000000LL); /* never blocked on the slow client */

	/* Another client is answered promptly meanwhile. */
	t0 = loop_now();
	cl_puts(&f, &other, "{\"id\":9,\"cmd\":\"version\"}\n");
	char *line = cl_line(&f, &other, 1000);
	assert_non_null(line);
	assert_true(loop_now() - t0 < 1000000000LL);
	assert_non_null(strstr(line, "\"id\":9"));
	free(line);

	/* The slow client now reads: the first events, in order, up to the bound. */
	int got = 0;
	while ((line = cl_line(&f, &slow, 300)) != NULL) {
		cJSON *m = cJSON_Parse(line);
		free(line);
		assert_non_null(m);
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(m, "data");
		assert_int_equal(cJSON_GetObjectItemCaseSensitive(d, "n")->valueint, got);
		assert_null(cJSON_GetObjectItemCaseSensitive(m, "dropped"));
		cJSON_Delete(m);
		got++;
	}
	assert_false(slow.eof);
	assert_true(got > 0 && got < total);
	/* What reached it is the queue's bound (1 MiB) plus what the kernel holds. */
	assert_true((size_t)got * evlen <= ((size_t)3 << 19));

	/* The next event carries the count of those it missed. */
	char *ev = make_event(total);
	server_broadcast(f.srv, PROTO_TOPIC_STATE, ev);
	free(ev);
	cJSON *m = cl_msg(&f, &slow);
	const cJSON *dropped = cJSON_GetObjectItemCaseSensitive(m, "dropped");
	assert_true(cJSON_IsNumber(dropped));
	assert_int_equal(dropped->valueint, total - got);
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "data"),
	    "n")->valueint, total);
	cJSON_Delete(m);
	/* ...once: the one after has none. A lost (NULL) event is counted too. */
	server_broadcast(f.srv, PROTO_TOPIC_STATE, NULL);
	server_broadcast(f.srv, PROTO_TOPIC_STATE, "{\"event\":\"state\",\"data\":{}}\n");
	line = cl_line(&f, &slow, 5000);
	assert_string_equal(line, "{\"event\":\"state\",\"data\":{},\"dropped\":1}");
	free(line);
	server_broadcast(f.srv, PROTO_TOPIC_STATE, ""); /* nothing to send, nothing lost */
	server_broadcast(f.srv, PROTO_TOPIC_STATE, "{\"event\":\"state\",\"data\":{}}\n");
	line = cl_line(&f, &slow, 5000);
	assert_string_equal(line, "{\"event\":\"state\",\"data\":{}}");
	free(line);
	cl_close(&slow);
	cl_close(&other);
	fix_stop(&f);
}

static void
test_pipelined_big_replies(void **state)
{
	(void)state;
	struct fix f;
	fix_start(&f);
	struct cl c;
	cl_open(&f, &c);
	/* 40 requests for 100 KiB replies each (4 MB), sent at once and not read for a while:
	 * the server stops reading requests while the replies wait, and keeps the client. */
	char reqs[40 * 64] = "";
	for (int i = 0; i < 40; i++)
		sprintf(reqs + strlen(reqs), "{\"id\":%d,\"cmd\":\"logs\",\"lines\":100}\n", i + 1);
	cl_puts(&f, &c, reqs);
	for (int i = 0; i < 50; i++)
		loop_run_once(f.loop, 2);
	assert_true(f.handled < 40);
	assert_int_equal(server_clients(f.srv), 1);
	for (int i = 0; i < 40; i++)
		expect_reply(&f, &c, i + 1, true, NULL);
	assert_int_equal(f.handled, 40);
	cl_close(&c);
	fix_stop(&f);
}

static void
test_later_replies_and_bounds(void **state)
{
	(void)state;
	struct fix f;
	fix_start(&f);
	struct cl c;
	cl_open(&f, &c);
	cl_puts(&f, &c, "{\"id\":1,\"cmd\":\"start\",\"target\":\"a\"}\n");
	int64_t end = loop_now() + DEADLINE_NS;
	while (f.held == 0) {
		assert_true(loop_now() < end);
		loop_run_once(f.loop, 5);
	}
	/* The reply comes later, to the connection found again by its number. */
	struct server_conn *conn = server_conn_find(f.srv, f.held);
	assert_non_null(conn);
	assert_int_equal(server_conn_id(conn), f.held);
	assert_null(server_conn_find(f.srv, f.held + 1000));
	server_send(conn, strdup("")); /* nothing */
	server_send(conn, proto_reply_error(true, 1, "later"));
	expect_reply(&f, &c, 1, false, "later");

	/* Replies pushed at a client that reads nothing: past 8 MiB queued it is closed. */
	size_t big = (size_t)1 << 20;
	for (int i = 0; i < 12; i++) {
		conn = server_conn_find(f.srv, f.held);
		if (conn == NULL)
			break;
		char *line = malloc(big + 1);
		memset(line, 'r', big - 1);
		line[big - 1] = '\n';
		line[big] = '\0';
		server_send(conn, line);
	}
	assert_null(server_conn_find(f.srv, f.held));
	assert_int_equal(server_clients(f.srv), 0);
	server_send(conn, strdup("ignored\n")); /* still safe until the loop runs */
	server_subscribe(conn, PROTO_TOPIC_STATE);
	server_close_after_write(conn);
	assert_true(cl_sees_eof(&f, &c));
	cl_close(&c);

	/* close_after_write: the reply arrives, then EOF. */
	cl_open(&f, &c);
	cl_puts(&f, &c, "{\"id\":2,\"cmd\":\"down\"}\n{\"id\":3,\"cmd\":\"version\"}\n");
	expect_reply(&f, &c, 2, true, NULL);
	assert_true(cl_sees_eof(&f, &c));
	cl_close(&c);

	/* A client that half-closes after its requests still gets the replies. */
	cl_open(&f, &c);
	cl_puts(&f, &c, "{\"id\":4,\"cmd\":\"version\"}\n{\"id\":5,\"cmd\":\"version\"}\n{\"id\":6");
	shutdown(c.fd, SHUT_WR);
	expect_reply(&f, &c, 4, true, NULL);
	expect_reply(&f, &c, 5, true, NULL);
	assert_true(cl_sees_eof(&f, &c)); /* the partial last line is dropped */
	cl_close(&c);
	wait_clients(&f, 0);

	/* A client that connects and says nothing just sits there. */
	cl_open(&f, &c);
	for (int i = 0; i < 20; i++)
		loop_run_once(f.loop, 5);
	assert_int_equal(server_clients(f.srv), 1);
	cl_close(&c);
	fix_stop(&f);
}

static void
test_fair_turns(void **state)
{
	(void)state;
	struct fix f;
	fix_start(&f);
	struct cl greedy, other;
	cl_open(&f, &greedy);
	cl_open(&f, &other);
	wait_clients(&f, 2);
	/* 300 requests of 1 ms each in one write, then one cheap request from someone else. */
	enum { N = 300 };
	char *burst = malloc(N * 48);
	burst[0] = '\0';
	for (int i = 0; i < N; i++)
		sprintf(burst + strlen(burst), "{\"id\":%d,\"cmd\":\"restart\"}\n", i + 1);
	cl_puts(&f, &greedy, burst);
	free(burst);
	loop_run_once(f.loop, 100); /* the burst is read and its first turn taken */
	assert_true(f.restarts > 0);
	cl_puts(&f, &other, "{\"id\":1,\"cmd\":\"version\"}\n");
	expect_reply(&f, &other, 1, true, NULL);
	/* It was answered between the greedy client's turns, not after all of them. */
	assert_true(f.restarts < N / 2);
	for (int i = 0; i < N; i++)
		expect_reply(&f, &greedy, i + 1, true, NULL);
	assert_int_equal(f.restarts, N);
	cl_close(&greedy);
	cl_close(&other);
	fix_stop(&f);
}

static void
test_many_clients(void **state)
{
	(void)state;
	struct fix f;
	fix_start(&f);
	enum { N = 150 };
	struct cl *cs = calloc(N, sizeof(*cs));
	for (int i = 0; i < N; i++)
		cl_open(&f, &cs[i]);
	wait_clients(&f, N);
	for (int i = 0; i < N; i++) {
		char req[64];
		snprintf(req, sizeof(req), "{\"id\":%d,\"cmd\":\"version\"}\n", 1000 + i);
		cl_puts(&f, &cs[i], req);
	}
	for (int i = 0; i < N; i++)
		expect_reply(&f, &cs[i], 1000 + i, true, NULL);
	assert_int_equal(f.handled, N);
	for (int i = 0; i < N; i++)
		cl_close(&cs[i]);
	free(cs);
	wait_clients(&f, 0);
	fix_stop(&f);
}

struct child_done {
	bool done;
	int status;
};

static void
on_child(struct loop *l, pid_t pid, int status, void *arg)
{
	(void)l;
	(void)pid;
	struct child_done *d = arg;
	d->status = status;
	d->done = true;
}

static void
test_other_uid_refused(void **state)
{
	(void)state;
	if (getuid() != 0)
		skip(); /* needs root to become another user */
	struct fix f;
	fix_start(&f);
	/* Open the way for uid 65534 (0600 alone would stop it before the server sees it). */
	assert_int_equal(chmod(f.dir, 0711), 0);
	assert_int_equal(chmod(f.path, 0666), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(10);
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(10);
		int fd = cl_socket(f.path, false);
		if (fd < 0)
			_exit(11);
		char buf[512];
		size_t len = 0;
		ssize_t n;
		while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
			len += (size_t)n;
		buf[len] = '\0';
		const char *want = "{\"id\":null,\"ok\":false,"
		    "\"error\":\"permission denied: uid 65534 is not the engine's user\"}\n";
		_exit(strcmp(buf, want) == 0 && n == 0 ? 0 : 12);
	}
	struct child_done d = {0};
	assert_int_equal(loop_watch_child(f.loop, pid, on_child, &d), 0);
	int64_t end = loop_now() + DEADLINE_NS * 2;
	while (!d.done) {
		assert_true(loop_now() < end);
		loop_run_once(f.loop, 10);
	}
	assert_true(WIFEXITED(d.status));
	assert_int_equal(WEXITSTATUS(d.status), 0);
	assert_int_equal(server_clients(f.srv), 0);
	/* The engine's own user is still served. */
	struct cl c;
	cl_open(&f, &c);
	cl_puts(&f, &c, "{\"id\":1,\"cmd\":\"version\"}\n");
	expect_reply(&f, &c, 1, true, NULL);
	cl_close(&c);
	fix_stop(&f);
}

/* server_new on path must fail with exactly want. */
static void
expect_refused(struct loop *l, const char *path, const char *want)
{
	char err[512] = "";
	struct server *s = server_new(l, path, on_request, NULL, err, sizeof(err));
	if (s != NULL)
		fail_msg("server_new accepted %s", path);
	assert_string_equal(err, want);
}

static void
test_socket_file(void **state)
{
	(void)state;
	struct fix f;
	fix_start(&f);
	char want[512];
	struct stat before, after;
	assert_int_equal(lstat(f.path, &before), 0);

	/* A live engine's socket is never taken, and stays its own. */
	snprintf(want, sizeof(want), "another engine is listening on %s", f.path);
	expect_refused(f.loop, f.path, want);
	assert_int_equal(lstat(f.path, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);
	struct cl c;
	cl_open(&f, &c);
	cl_puts(&f, &c, "{\"id\":1,\"cmd\":\"version\"}\n");
	expect_reply(&f, &c, 1, true, NULL);
	cl_close(&c);

	/* Freeing unlinks the socket file. */
	server_free(f.srv);
	f.srv = NULL;
	assert_int_equal(lstat(f.path, &after), -1);
	assert_int_equal(errno, ENOENT);

	/* A stale socket file (nobody listens) is replaced. */
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	strcpy(a.sun_path, f.path);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	close(fd);
	assert_int_equal(lstat(f.path, &before), 0);
	assert_true(S_ISSOCK(before.st_mode));
	char err[512];
	f.srv = server_new(f.loop, f.path, on_request, &f, err, sizeof(err));
	if (f.srv == NULL)
		fail_msg("stale socket: %s", err);
	cl_open(&f, &c);
	cl_puts(&f, &c, "{\"id\":2,\"cmd\":\"version\"}\n");
	expect_reply(&f, &c, 2, true, NULL);
	cl_close(&c);

	/* A file that replaced ours is not ours to unlink. */
	assert_int_equal(unlink(f.path), 0);
	fd = open(f.path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	server_free(f.srv);
	f.srv = NULL;
	assert_int_equal(lstat(f.path, &after), 0);
	assert_true(S_ISREG(after.st_mode));

	/* ...nor to replace: it is not a socket. */
	snprintf(want, sizeof(want), "%s exists and is not a socket; refusing to replace it", f.path);
	expect_refused(f.loop, f.path, want);
	unlink(f.path);

	/* The folder: it must exist, and only its owner may write to it. */
	char path[256];
	snprintf(path, sizeof(path), "%s/nope/control.sock", f.dir);
	snprintf(want, sizeof(want),
	    "cannot use the folder %s/nope for the control socket: No such file or directory", f.dir);
	expect_refused(f.loop, path, want);
	assert_int_equal(chmod(f.dir, 0770), 0);
	snprintf(want, sizeof(want), "the folder %s is writable by other users (mode 770); refusing "
	    "to put the control socket there", f.dir);
	expect_refused(f.loop, f.path, want);
	assert_int_equal(chmod(f.dir, 0757), 0);
	snprintf(want, sizeof(want), "the folder %s is writable by other users (mode 757); refusing "
	    "to put the control socket there", f.dir);
	expect_refused(f.loop, f.path, want);
	assert_int_equal(chmod(f.dir, 0700), 0);
	if (getuid() == 0) {
		assert_int_equal(chown(f.dir, 65534, 65534), 0);
		snprintf(want, sizeof(want), "the folder %s belongs to uid 65534, not to this user; "
		    "refusing to put the control socket there", f.dir);
		expect_refused(f.loop, f.path, want);
		assert_int_equal(chown(f.dir, 0, 0), 0);
	}
	snprintf(path, sizeof(path), "%s/%0120d", f.dir, 0);
	snprintf(want, sizeof(want), "the control socket path must be 1 to 107 bytes long: %s "
	    "(a deep folder: give a shorter one with --socket PATH or VIGIL_SOCKET)", path);
	expect_refused(f.loop, path, want);
	fix_stop(&f);
}

static void
test_free_from_handler(void **state)
{
	(void)state;
	struct fix f;
	fix_start(&f);
	struct cl a, b;
	cl_open(&f, &a);
	cl_open(&f, &b);
	wait_clients(&f, 2);
	/* "reload" makes the handler free the server: everyone sees EOF, the file goes. */
	cl_puts(&f, &a, "{\"id\":1,\"cmd\":\"reload\"}\n{\"id\":2,\"cmd\":\"version\"}\n");
	int64_t end = loop_now() + DEADLINE_NS;
	while (f.srv != NULL) {
		assert_true(loop_now() < end);
		loop_run_once(f.loop, 5);
	}
	assert_int_equal(f.handled, 1);
	assert_true(cl_sees_eof(&f, &a));
	assert_true(cl_sees_eof(&f, &b));
	struct stat st;
	assert_int_equal(lstat(f.path, &st), -1);
	cl_close(&a);
	cl_close(&b);
	fix_stop(&f);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_errors_keep_connection),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_slow_subscriber),
		cmocka_unit_test(test_pipelined_big_replies),
		cmocka_unit_test(test_later_replies_and_bounds),
		cmocka_unit_test(test_fair_turns),
		cmocka_unit_test(test_many_clients),
		cmocka_unit_test(test_other_uid_refused),
		cmocka_unit_test(test_socket_file),
		cmocka_unit_test(test_free_from_handler),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
