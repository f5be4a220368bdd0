/*
 * test_probe — probes against real sockets and processes on 127.0.0.1:
 * tcp to a listening socket, a closed port, a listener whose full accept
 * queue drops the SYN (a sure timeout), an unroutable address and host
 * names (through curl); http against a tiny server served from the same loop
 * (200, 503, 302, silence) and a closed port; exec with exit codes,
 * signals, timeouts (the process group really gone), cwd, environment and
 * a clean signal state; cancelling and freeing with attempts in flight;
 * the notify socket with datagrams of our own and from systemd-notify; and
 * the KEY=value parser. Every wait is a loop driven under a deadline;
 * every start checks the callback did not run inside probe_start.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/config.h"
#include "core/loop.h"
#include "core/probe.h"

#define MS 1000000LL /* nanoseconds */

/* ---- harness ----------------------------------------------------------- */

static bool in_start; /* set around probe_start: a callback then is a bug */

struct result {
	int calls;
	bool ok;
	char detail[512];
	int64_t at; /* loop_now() of the callback */
};

/* The probe callback: counts calls and keeps the last result. */
static void
on_done(void *arg, bool ok, const char *detail)
{
	assert_false(in_start);
	struct result *r = arg;
	r->calls++;
	r->ok = ok;
	snprintf(r->detail, sizeof(r->detail), "%s", detail);
	r->at = loop_now();
}

/* probe_start, checking that nothing is called back from inside it. */
static struct probe *
start(struct probe_ctx *c, const struct spec_probe *p, const char *cwd, char *const *envp,
    struct result *r)
{
	in_start = true;
	struct probe *pr = probe_start(c, p, cwd, envp, on_done, r);
	in_start = false;
	assert_int_equal(r->calls, 0);
	return pr;
}

/* Runs passes until *flag is set or 5 s pass (a deadline, not a sleep). */
static void
run_until(struct loop *l, const bool *flag)
{
	int64_t end = loop_now() + 5000 * MS;
	while (!*flag) {
		assert_true(loop_now() < end);
		assert_int_equal(loop_run_once(l, 100), 0);
	}
}

/* A timer that sets a flag. */
static void
on_flag(struct loop *l, void *arg)
{
	(void)l;
	*(bool *)arg = true;
}

/* Keeps the loop running for ms milliseconds (on a loop timer). */
static void
run_for(struct loop *l, int64_t ms)
{
	bool done = false;
	assert_non_null(loop_timer_after(l, ms, on_flag, &done));
	run_until(l, &done);
}

/* Runs until r has its callback, then a little more: it must come exactly once. */
static void
finish(struct loop *l, struct result *r)
{
	int64_t end = loop_now() + 5000 * MS;
	while (r->calls == 0) {
		assert_true(loop_now() < end);
		assert_int_equal(loop_run_once(l, 100), 0);
	}
	run_for(l, 50);
	assert_int_equal(r->calls, 1);
}

/* True when s begins with prefix. */
static bool
starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Asserts s starts with prefix, showing s when it does not. */
#define assert_prefix(s, prefix)                                                   \
	do {                                                                       \
		if (!starts_with((s), (prefix)))                                   \
			assert_string_equal((s), (prefix));                        \
	} while (0)

/* Runs until pid no longer exists (reaped by the loop, or by our subreaping). */
static void
run_until_gone(struct loop *l, pid_t pid)
{
	int64_t end = loop_now() + 5000 * MS;
	while (kill(pid, 0) == 0 || errno != ESRCH) {
		assert_true(loop_now() < end);
		assert_int_equal(loop_run_once(l, 20), 0);
	}
}

/* Runs until this process has no children left at all. */
static void
run_until_childless(struct loop *l)
{
	int64_t end = loop_now() + 5000 * MS;
	for (;;) {
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 && errno == ECHILD)
			return;
		assert_true(loop_now() < end);
		assert_int_equal(loop_run_once(l, 20), 0);
	}
}

/* Runs until file holds a pid (written by a probe's shell); returns it. */
static pid_t
run_until_pidfile(struct loop *l, const char *file)
{
	int64_t end = loop_now() + 5000 * MS;
	for (;;) {
		FILE *f = fopen(file, "r");
		long pid = 0;
		if (f != NULL) {
			if (fscanf(f, "%ld", &pid) != 1)
				pid = 0;
			fclose(f);
		}
		if (pid > 0)
			return (pid_t)pid;
		assert_true(loop_now() < end);
		assert_int_equal(loop_run_once(l, 10), 0);
	}
}

/* A listening TCP socket on 127.0.0.1 and a free port; returns the fd. */
static int
listen_local(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 16), 0);
	socklen_t len = sizeof(sa);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* A port on 127.0.0.1 that nothing listens on. */
static int
closed_port(void)
{
	int port;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	socklen_t len = sizeof(sa);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd); /* bound, never listening, now closed */
	return port;
}

/* A listener on 127.0.0.1 whose accept queue is full, so a further SYN is
 * dropped and a connect hangs; fillers[2] holds the connections that fill it. */
static int
listen_full(int *port, int fillers[2])
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 0), 0);
	socklen_t len = sizeof(sa);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	fillers[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(fillers[0], (struct sockaddr *)&sa, sizeof(sa)), 0);
	/* One more, in case a kernel queues one beyond the backlog. */
	fillers[1] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	(void)connect(fillers[1], (struct sockaddr *)&sa, sizeof(sa));
	return fd;
}

/* Closes what listen_full opened. */
static void
close_full(int lfd, int fillers[2])
{
	close(fillers[0]);
	close(fillers[1]);
	close(lfd);
}

struct fixture {
	struct loop *l;
	struct probe_ctx *c;
	char dir[64]; /* a temporary folder, removed with its files */
};

/* A loop, a probe context and a temporary folder per test. */
static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->l = loop_new();
	f->c = probe_ctx_new(f->l);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_probe.XXXXXX");
	if (f->l == NULL || f->c == NULL || mkdtemp(f->dir) == NULL)
		return -1;
	*state = f;
	return 0;
}

/* Frees them, once every child the test started is reaped. */
static int
teardown(void **state)
{
	struct fixture *f = *state;
	probe_ctx_free(f->c);
	run_until_childless(f->l);
	loop_free(f->l);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* ---- a tiny HTTP server on the same loop ------------------------------- */

#define SRV_MAX 8

struct srv_client {
	struct srv *s;
	int fd;      /* -1 = free slot */
	char req[4096];
	size_t len;
};

struct srv {
	struct loop *l;
	int fd;
	int port;
	const char *response; /* NULL: read the request, never answer */
	struct srv_client clients[SRV_MAX];
	int requests;         /* complete requests read */
	int hangups;          /* clients that closed on us */
	char last[4096];      /* the last request, for its headers */
};

/* Stops watching and closes one client. */
static void
srv_drop(struct srv_client *cl)
{
	loop_unwatch(cl->s->l, cl->fd);
	close(cl->fd);
	cl->fd = -1;
}

/* Reads a request; once whole, answers with the canned response (or not). */
static void
srv_read(struct loop *l, int fd, unsigned events, void *arg)
{
	(void)l;
	(void)events;
	struct srv_client *cl = arg;
	struct srv *s = cl->s;
	ssize_t n = read(fd, cl->req + cl->len, sizeof(cl->req) - 1 - cl->len);
	if (n <= 0) {
		if (n == 0 || errno != EAGAIN) {
			s->hangups++;
			srv_drop(cl);
		}
		return;
	}
	cl->len += (size_t)n;
	cl->req[cl->len] = '\0';
	if (strstr(cl->req, "\r\n\r\n") == NULL)
		return;
	s->requests++;
	memcpy(s->last, cl->req, cl->len + 1);
	cl->len = 0;
	if (s->response == NULL)
		return; /* keep it open, say nothing */
	assert_int_equal(write(fd, s->response, strlen(s->response)), (ssize_t)strlen(s->response));
	srv_drop(cl);
}

/* Accepts one connection into a free slot. */
static void
srv_accept(struct loop *l, int fd, unsigned events, void *arg)
{
	(void)events;
	struct srv *s = arg;
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	for (int i = 0; i < SRV_MAX; i++) {
		struct srv_client *cl = &s->clients[i];
		if (cl->fd >= 0)
			continue;
		cl->fd = cfd;
		cl->len = 0;
		assert_int_equal(loop_watch(l, cfd, LOOP_READ, srv_read, cl), 0);
		return;
	}
	close(cfd);
}

/* Starts serving response on a free port of 127.0.0.1. */
static void
srv_open(struct srv *s, struct loop *l, const char *response)
{
	memset(s, 0, sizeof(*s));
	s->l = l;
	s->response = response;
	for (int i = 0; i < SRV_MAX; i++) {
		s->clients[i].s = s;
		s->clients[i].fd = -1;
	}
	s->fd = listen_local(&s->port);
	assert_int_equal(loop_watch(l, s->fd, LOOP_READ, srv_accept, s), 0);
}

/* Closes the listener and every client. */
static void
srv_close(struct srv *s)
{
	for (int i = 0; i < SRV_MAX; i++)
		if (s->clients[i].fd >= 0)
			srv_drop(&s->clients[i]);
	loop_unwatch(s->l, s->fd);
	close(s->fd);
}

static const char srv_200[] =
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
static const char srv_503[] =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbusy";
static const char srv_302[] =
    "HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

/* ---- tcp --------------------------------------------------------------- */

static void
test_tcp_connects(void **state)
{
	struct fixture *f = *state;
	int port;
	int lfd = listen_local(&port);
	struct spec_probe p = {.kind = SPEC_PROBE_TCP, .host = "127.0.0.1", .port = port,
	    .timeout_ms = 2000};
	struct result r = {0};
	assert_non_null(start(f->c, &p, NULL, NULL, &r));
	finish(f->l, &r);
	assert_true(r.ok);
	char want[64];
	snprintf(want, sizeof(want), "tcp 127.0.0.1:%d connected in ", port);
	assert_prefix(r.detail, want);
	assert_non_null(strstr(r.detail, "ms"));

	/* "localhost" is taken as 127.0.0.1 without a lookup. */
	struct result r2 = {0};
	p.host = "localhost";
	assert_non_null(start(f->c, &p, NULL, NULL, &r2));
	finish(f->l, &r2);
	assert_true(r2.ok);
	assert_prefix(r2.detail, "tcp localhost:");
	close(lfd);
}

static void
test_tcp_refused(void **state)
{
	struct fixture *f = *state;
	int port = closed_port();
	struct spec_probe p = {.kind = SPEC_PROBE_TCP, .host = "127.0.0.1", .port = port,
	    .timeout_ms = 2000};
	struct result r = {0};
	assert_non_null(start(f->c, &p, NULL, NULL, &r));
	finish(f->l, &r);
	assert_false(r.ok);
	char want[96];
	snprintf(want, sizeof(want), "tcp 127.0.0.1:%d: %s", port, strerror(ECONNREFUSED));
	assert_string_equal(r.detail, want);

	/* IPv6 is bracketed (refused, or no IPv6 here: a failure either way). */
	p.host = "::1";
	struct result r2 = {0};
	assert_non_null(start(f->c, &p, NULL, NULL, &r2));
	finish(f->l, &r2);
	assert_false(r2.ok);
	snprintf(want, sizeof(want), "tcp [::1]:%d: ", port);
	assert_prefix(r2.detail, want);
}

static void
test_tcp_timeout(void **state)
{
	struct fixture *f = *state;
	/* A listener that drops our SYN: the connect neither succeeds nor fails. */
	int port, fillers[2];
	int lfd = listen_full(&port, fillers);
	struct spec_probe p = {.kind = SPEC_PROBE_TCP, .host = "127.0.0.1", .port = port,
	    .timeout_ms = 300};
	struct result r = {0};
	int64_t t0 = loop_now();
	assert_non_null(start(f->c, &p, NULL, NULL, &r));
	finish(f->l, &r);
	assert_false(r.ok);
	char want[96];
	snprintf(want, sizeof(want), "tcp 127.0.0.1:%d: timed out after 300ms", port);
	assert_string_equal(r.detail, want);
	assert_true(r.at - t0 >= 290 * MS);
	assert_true(r.at - t0 < 1300 * MS);
	close_full(lfd, fillers);
}

static void
test_tcp_unroutable(void **state)
{
	struct fixture *f = *state;
	/* Not routable: the SYN goes nowhere and the attempt times out. A network
	 * namespace may instead refuse at once, or (behind a transparent proxy)
	 * even accept; whatever it does, the answer comes within the timeout. */
	struct spec_probe p = {.kind = SPEC_PROBE_TCP, .host = "10.255.255.1", .port = 81,
	    .timeout_ms = 300};
	struct result r = {0};
	int64_t t0 = loop_now();
	assert_non_null(start(f->c, &p, NULL, NULL, &r));
	finish(f->l, &r);
	assert_true(r.at - t0 < 1300 * MS);
	assert_prefix(r.detail, "tcp 10.255.255.1:81");
	if (strstr(r.detail, "timed out") != NULL)
		assert_string_equal(r.detail, "tcp 10.255.255.1:81: timed out after 300ms");
}

static void
test_tcp_by_name(void **state)
{
	struct fixture *f = *state;
	int port;
	int lfd = listen_local(&port);
	/* A name goes through curl's resolver (which answers *.localhost itself). */
	struct spec_probe p = {.kind = SPEC_PROBE_TCP, .host = "probe.localhost", .port = port,
	    .timeout_ms = 2000};
	struct result r = {0};
	assert_non_null(start(f->c, &p, NULL, NULL, &r));
	finish(f->l, &r);
	assert_true(r.ok);
	char want[64];
	snprintf(want, sizeof(want), "tcp probe.localhost:%d connected in ", port);
	assert_prefix(r.detail, want);

	/* A name that cannot resolve fails (or times out) within the timeout. */
	struct result r2 = {0};
	p.host = "no-such-host.invalid";
	p.timeout_ms = 1000;
	int64_t t0 = loop_now();
	assert_non_null(start(f->c, &p, NULL, NULL, &r2));
	finish(f->l, &r2);
	assert_false(r2.ok);
	assert_prefix(r2.detail, "tcp no-such-host.invalid:");
	assert_true(r2.at - t0 < 2000 * MS);
	close(lfd);
}

/* ---- http -------------------------------------------------------------- */

/* One GET against a server that answers with response; returns the result. */
static void
http_once(struct fixture *f, const char *response, struct result *r, struct srv *s)
{
	srv_open(s, f->l, response);
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/health", s->port);
	struct spec_probe p = {.kind = SPEC_PROBE_HTTP, .url = url, .host = "127.0.0.1",
	    .port = s->port, .timeout_ms = 2000};
	assert_non_null(start(f->c, &p, NULL, NULL, r));
	finish(f->l, r);
}

static void
test_http_200(void **state)
{
	struct fixture *f = *state;
	struct srv s;
	struct result r = {0};
	http_once(f, srv_200, &r, &s);
	assert_true(r.ok);
	assert_prefix(r.detail, "http 200 in ");
	assert_int_equal(s.requests, 1);
	assert_prefix(s.last, "GET /health HTTP/1.1\r\n");
	assert_non_null(strstr(s.last, "\r\nUser-Agent: vigil-probe\r\n"));
	srv_close(&s);
}

static void
test_http_503(void **state)
{
	struct fixture *f = *state;
	struct srv s;
	struct result r = {0};
	http_once(f, srv_503, &r, &s);
	assert_false(r.ok);
	assert_prefix(r.detail, "http 503 in ");
	srv_close(&s);
}

static void
test_http_302(void **state)
{
	struct fixture *f = *state;
	struct srv s;
	struct result r = {0};
	http_once(f, srv_302, &r, &s);
	assert_true(r.ok); /* a redirect passes, and is not followed */
	assert_prefix(r.detail, "http 302 in ");
	assert_int_equal(s.requests, 1);
	srv_close(&s);
}

static void
test_http_without_url(void **state)
{
	struct fixture *f = *state;
	struct srv s;
	srv_open(&s, f->l, srv_200);
	struct spec_probe p = {.kind = SPEC_PROBE_HTTP, .host = "127.0.0.1", .port = s.port,
	    .timeout_ms = 2000};
	struct result r = {0};
	assert_non_null(start(f->c, &p, NULL, NULL, &r));
	finish(f->l, &r);
	assert_true(r.ok);
	assert_prefix(s.last, "GET / HTTP/1.1\r\n");
	srv_close(&s);
}

static void
test_http_refused(void **state)
{
	struct fixture *f = *state;
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", closed_port());
	struct spec_probe p = {.kind = SPEC_PROBE_HTTP, .url = url, .timeout_ms = 2000};
	struct result r = {0};
	assert_non_null(start(f->c, &p, NULL, NULL, &r));
	finish(f->l, &r);
	assert_false(r.ok);
	assert_prefix(r.detail, "http: Couldn't connect to server");
}

static void
test_http_timeout(void **state)
{
	struct fixture *f = *state;
	struct srv s;
	srv_open(&s, f->l, NULL);
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s.port);
	struct spec_probe p = {.kind = SPEC_PROBE_HTTP, .url = url, .timeout_ms = 300};
	struct result r = {0};
	int64_t t0 = loop_now();
	assert_non_null(start(f->c, &p, NULL, NULL, &r));
	finish(f->l, &r);
	assert_false(r.ok);
	assert_string_equal(r.detail, "http: timed out after 300ms");
	assert_true(r.at - t0 >= 290 * MS);
	assert_true(r.at - t0 < 1300 * MS);
	assert_int_equal(s.requests, 1);
	srv_close(&s);
}

static void
test_http_other_scheme(void **state)
{
	struct fixture *f = *state;
	/* Only http(s): a file that exists must not make a check pass. */
	struct spec_probe p = {.kind = SPEC_PROBE_HTTP, .url = "file:///etc/hostname",
	    .timeout_ms = 2000};
	struct result r = {0};
	assert_non_null(start(f->c, &p, NULL, NULL, &r));
	finish(f->l, &r);
	assert_false(r.ok);
	assert_prefix(r.detail, "http: ");
}

/* A watcher someone forgot on a closed fd must never get curl's events. */
static void
on_stale(struct loop *l, int fd, unsigned events, void *arg)
{
	(void)l;
	(void)fd;
	(void)events;
	(void)arg;
	fail_msg("a stale watcher got an event of curl's socket");
}

static void
test_http_stale_watcher(void **state)
{
	struct fixture *f = *state;
	struct srv s;
	srv_open(&s, f->l, srv_200);
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s.port);
	struct spec_probe p = {.kind = SPEC_PROBE_HTTP, .url = url, .timeout_ms = 2000};
	/* Leaves a watcher on the lowest free number and frees the number: curl's
	 * socket, the next one opened, gets it (EEXIST on loop_watch). */
	int fds[2];
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	assert_int_equal(loop_watch(f->l, fds[0], LOOP_READ, on_stale, NULL), 0);
	close(fds[0]);
	struct result r = {0};
	assert_non_null(start(f->c, &p, NULL, NULL, &r));
	finish(f->l, &r);
	assert_true(r.ok);
	assert_int_equal(s.requests, 1);
	close(fds[1]);
	srv_close(&s);
}

/* Several transfers at once on one multi handle, each answered. */
static void
test_http_parallel(void **state)
{
	struct fixture *f = *state;
	struct srv s;
	srv_open(&s, f->l, srv_200);
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s.port);
	struct spec_probe p = {.kind = SPEC_PROBE_HTTP, .url = url, .timeout_ms = 2000};
	struct result r[4] = {{0}};
	for (int i = 0; i < 4; i++)
		assert_non_null(start(f->c, &p, NULL, NULL, &r[i]));
	for (int i = 0; i < 4; i++) {
		finish(f->l, &r[i]);
		assert_true(r[i].ok);
	}
	assert_int_equal(s.requests, 4);
	srv_close(&s);
}

/* ---- exec -------------------------------------------------------------- */

static const char *const argv_true[] = {"true", NULL};

static void
test_exec_true(void **state)
{
	struct fixture *f = *state;
	struct spec_probe p = {.kind = SPEC_PROBE_EXEC, .exec = {false, argv_true, 1},
	    .timeout_ms = 2000};
	struct result r = {0};
	assert_non_null(start(f->c, &p, NULL, NULL, &r));
	finish(f->l, &r);
	assert_true(r.ok);
	assert_prefix(r.detail, "exec exit 0 in ");
}

/* Runs one shell command as a probe and returns its result. */
static void
exec_sh(struct fixture *f, const char *script, const char *cwd, char *const *envp,
    int64_t timeout_ms, struct result *r)
{
	const char *argv[] = {script, NULL};
	struct spec_probe p = {.kind = SPEC_PROBE_EXEC, .exec = {true, argv, 1},
	    .timeout_ms = timeout_ms};
	assert_non_null(start(f->c, &p, cwd, envp, r));
	finish(f->l, r);
}

static void
test_exec_status(void **state)
{
	struct fixture *f = *state;
	struct result r = {0};
	exec_sh(f, "exit 3", NULL, NULL, 2000, &r);
	assert_false(r.ok);
	assert_string_equal(r.detail, "exec exit 3");

	struct result r2 = {0};
	exec_sh(f, "kill -TERM $$", NULL, NULL, 2000, &r2);
	assert_false(r2.ok);
	assert_string_equal(r2.detail, "exec killed by SIGTERM");

	const char *const argv[] = {"/nonexistent/command", NULL};
	struct spec_probe p = {.kind = SPEC_PROBE_EXEC, .exec = {false, argv, 1},
	    .timeout_ms = 2000};
	struct result r3 = {0};
	assert_non_null(start(f->c, &p, NULL, NULL, &r3));
	finish(f->l, &r3);
	assert_false(r3.ok);
	assert_string_equal(r3.detail, "exec exit 127");
}

static void
test_exec_timeout(void **state)
{
	struct fixture *f = *state;
	char pidfile[128], script[256];
	snprintf(pidfile, sizeof(pidfile), "%s/pid", f->dir);
	snprintf(script, sizeof(script), "echo $$ > '%s'; exec sleep 10", pidfile);
	struct result r = {0};
	int64_t t0 = loop_now();
	exec_sh(f, script, NULL, NULL, 300, &r);
	assert_false(r.ok);
	assert_string_equal(r.detail, "exec timed out after 300ms");
	assert_true(r.at - t0 >= 290 * MS);
	assert_true(r.at - t0 < 1300 * MS);
	pid_t pid = run_until_pidfile(f->l, pidfile);
	run_until_gone(f->l, pid); /* killed, and reaped by the loop */
}

static void
test_exec_timeout_group(void **state)
{
	struct fixture *f = *state;
	/* The whole process group goes: a background sleep is killed too. As a
	 * subreaper we get the orphan back, so "gone" means reaped, not a zombie. */
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	char pidfile[128], script[256];
	snprintf(pidfile, sizeof(pidfile), "%s/bgpid", f->dir);
	snprintf(script, sizeof(script), "sleep 10 & echo $! > '%s'; wait", pidfile);
	struct result r = {0};
	exec_sh(f, script, NULL, NULL, 300, &r);
	assert_string_equal(r.detail, "exec timed out after 300ms");
	pid_t bg = run_until_pidfile(f->l, pidfile);
	run_until_gone(f->l, bg);
	run_until_childless(f->l);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
}

static void
test_exec_leftovers(void **state)
{
	struct fixture *f = *state;
	/* A command that exits 0 leaving a background process behind passes,
	 * and the leftover dies with it. */
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	char pidfile[128], script[256];
	snprintf(pidfile, sizeof(pidfile), "%s/leftover", f->dir);
	snprintf(script, sizeof(script), "sleep 10 & echo $! > '%s'", pidfile);
	struct result r = {0};
	exec_sh(f, script, NULL, NULL, 2000, &r);
	assert_true(r.ok);
	pid_t bg = run_until_pidfile(f->l, pidfile);
	run_until_gone(f->l, bg);
	run_until_childless(f->l);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
}

static void
test_exec_cwd(void **state)
{
	struct fixture *f = *state;
	char marker[128];
	snprintf(marker, sizeof(marker), "%s/marker", f->dir);
	FILE *m = fopen(marker, "w");
	assert_non_null(m);
	fclose(m);
	struct result r = {0};
	exec_sh(f, "test -f marker", f->dir, NULL, 2000, &r);
	assert_true(r.ok);

	struct result r2 = {0};
	exec_sh(f, "test -f marker", "/", NULL, 2000, &r2);
	assert_string_equal(r2.detail, "exec exit 1");

	struct result r3 = {0};
	exec_sh(f, "true", "/nonexistent/folder", NULL, 2000, &r3);
	assert_string_equal(r3.detail, "exec exit 127");
}

static void
test_exec_env(void **state)
{
	struct fixture *f = *state;
	char *envp[] = {"PROBE_X=42", "PATH=/usr/bin:/bin", NULL};
	struct result r = {0};
	exec_sh(f, "test \"$PROBE_X\" = 42 && test -z \"$PROBE_Y\"", NULL, envp, 2000, &r);
	assert_true(r.ok);

	/* argv with a PATH lookup and an explicit environment. */
	struct spec_probe p = {.kind = SPEC_PROBE_EXEC, .exec = {false, argv_true, 1},
	    .timeout_ms = 2000};
	struct result r2 = {0};
	assert_non_null(start(f->c, &p, NULL, envp, &r2));
	finish(f->l, &r2);
	assert_true(r2.ok);

	/* NULL: the engine's own environment. */
	setenv("PROBE_Y", "7", 1);
	struct result r3 = {0};
	exec_sh(f, "test \"$PROBE_Y\" = 7 && test -z \"$PROBE_X\"", NULL, NULL, 2000, &r3);
	unsetenv("PROBE_Y");
	assert_true(r3.ok);
}

static void
test_exec_hygiene(void **state)
{
	struct fixture *f = *state;
	/* The loop blocks SIGCHLD; block and ignore more. The child must start
	 * clean: nothing blocked or ignored, its own session, /dev/null on 0-2. */
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;
	sigaction(SIGUSR1, &ign, &old);
	sigset_t more, prev;
	sigemptyset(&more);
	sigaddset(&more, SIGUSR2);
	sigprocmask(SIG_BLOCK, &more, &prev);
	struct result r = {0};
	exec_sh(f,
	    "grep -Eq '^SigBlk:[[:space:]]*0+$' /proc/self/status || exit 10;"
	    "grep -Eq '^SigIgn:[[:space:]]*0+$' /proc/self/status || exit 11;"
	    "test \"$(cut -d' ' -f6 /proc/$$/stat)\" = $$ || exit 12;"
	    "test \"$(readlink /proc/$$/fd/0)\" = /dev/null || exit 13;"
	    "test \"$(readlink /proc/$$/fd/1)\" = /dev/null || exit 14;"
	    "test \"$(readlink /proc/$$/fd/2)\" = /dev/null || exit 15",
	    NULL, NULL, 2000, &r);
	sigprocmask(SIG_SETMASK, &prev, NULL);
	sigaction(SIGUSR1, &old, NULL);
	assert_prefix(r.detail, "exec exit 0 in "); /* else "exec exit 1N" names the check */
	assert_true(r.ok);
}

/* ---- starting, cancelling, freeing ------------------------------------- */

static void
test_start_invalid(void **state)
{
	struct fixture *f = *state;
	struct result r = {0};
	struct spec_probe p = {.kind = SPEC_PROBE_LOG, .log = "ready", .timeout_ms = 1000};
	errno = 0;
	assert_null(start(f->c, &p, NULL, NULL, &r));
	assert_int_equal(errno, EINVAL);
	struct spec_probe tcp = {.kind = SPEC_PROBE_TCP, .host = "127.0.0.1", .port = 0,
	    .timeout_ms = 1000};
	assert_null(start(f->c, &tcp, NULL, NULL, &r));
	assert_int_equal(errno, EINVAL);
	tcp.port = 80;
	tcp.timeout_ms = 0;
	assert_null(start(f->c, &tcp, NULL, NULL, &r));
	assert_int_equal(errno, EINVAL);
	struct spec_probe ex = {.kind = SPEC_PROBE_EXEC, .timeout_ms = 1000};
	assert_null(start(f->c, &ex, NULL, NULL, &r));
	assert_int_equal(errno, EINVAL);
	run_for(f->l, 50);
	assert_int_equal(r.calls, 0);
}

static void
test_never_synchronous(void **state)
{
	struct fixture *f = *state;
	/* Each of these is decided inside probe_start (a loopback connect, a
	 * refused one, an address that does not parse, a missing cwd); every
	 * answer must still come later, from the loop, once. */
	int port;
	int lfd = listen_local(&port);
	struct spec_probe ok = {.kind = SPEC_PROBE_TCP, .host = "127.0.0.1", .port = port,
	    .timeout_ms = 2000};
	struct spec_probe refused = ok;
	refused.port = closed_port();
	struct spec_probe bad = ok;
	bad.host = "::ffff:not-an-address";
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", refused.port);
	struct spec_probe http = {.kind = SPEC_PROBE_HTTP, .url = url, .timeout_ms = 2000};
	struct spec_probe ex = {.kind = SPEC_PROBE_EXEC, .exec = {false, argv_true, 1},
	    .timeout_ms = 2000};
	struct result r[5] = {{0}};
	assert_non_null(start(f->c, &ok, NULL, NULL, &r[0]));
	assert_non_null(start(f->c, &refused, NULL, NULL, &r[1]));
	assert_non_null(start(f->c, &bad, NULL, NULL, &r[2]));
	assert_non_null(start(f->c, &http, NULL, NULL, &r[3]));
	assert_non_null(start(f->c, &ex, "/nonexistent", NULL, &r[4]));
	for (int i = 0; i < 5; i++)
		finish(f->l, &r[i]);
	assert_true(r[0].ok);
	assert_false(r[1].ok);
	assert_false(r[2].ok);
	assert_false(r[3].ok);
	assert_string_equal(r[4].detail, "exec exit 127");
	close(lfd);
}

static void
test_cancel_tcp(void **state)
{
	struct fixture *f = *state;
	int port;
	int lfd = listen_local(&port);
	/* Settled inside probe_start, cancelled before delivery. */
	struct spec_probe p = {.kind = SPEC_PROBE_TCP, .host = "127.0.0.1", .port = port,
	    .timeout_ms = 300};
	struct result r = {0};
	probe_cancel(start(f->c, &p, NULL, NULL, &r));
	/* Still connecting, cancelled. */
	int fport, fillers[2];
	int flfd = listen_full(&fport, fillers);
	struct spec_probe hang = p;
	hang.port = fport;
	struct result r2 = {0};
	struct probe *pr = start(f->c, &hang, NULL, NULL, &r2);
	assert_int_equal(loop_run_once(f->l, 0), 0);
	probe_cancel(pr);
	/* By name through curl, cancelled while curl works on it. */
	struct spec_probe named = p;
	named.host = "probe.localhost";
	struct result r3 = {0};
	pr = start(f->c, &named, NULL, NULL, &r3);
	assert_int_equal(loop_run_once(f->l, 0), 0);
	probe_cancel(pr);
	probe_cancel(NULL);
	run_for(f->l, 500);
	assert_int_equal(r.calls + r2.calls + r3.calls, 0);
	close_full(flfd, fillers);
	close(lfd);
}

static void
test_cancel_http(void **state)
{
	struct fixture *f = *state;
	struct srv s;
	srv_open(&s, f->l, NULL);
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s.port);
	struct spec_probe p = {.kind = SPEC_PROBE_HTTP, .url = url, .timeout_ms = 300};
	struct result r = {0};
	struct probe *pr = start(f->c, &p, NULL, NULL, &r);
	int64_t end = loop_now() + 5000 * MS;
	while (s.requests == 0) { /* the request is in flight */
		assert_true(loop_now() < end);
		assert_int_equal(loop_run_once(f->l, 100), 0);
	}
	probe_cancel(pr);
	while (s.hangups == 0) { /* and the connection closed */
		assert_true(loop_now() < end);
		assert_int_equal(loop_run_once(f->l, 100), 0);
	}
	/* Cancelled right after starting, before curl ran at all. */
	struct result r2 = {0};
	probe_cancel(start(f->c, &p, NULL, NULL, &r2));
	run_for(f->l, 500);
	assert_int_equal(r.calls + r2.calls, 0);
	srv_close(&s);
}

static void
test_cancel_exec(void **state)
{
	struct fixture *f = *state;
	char pidfile[128], script[256];
	snprintf(pidfile, sizeof(pidfile), "%s/pid", f->dir);
	snprintf(script, sizeof(script), "echo $$ > '%s'; exec sleep 10", pidfile);
	const char *argv[] = {script, NULL};
	struct spec_probe p = {.kind = SPEC_PROBE_EXEC, .exec = {true, argv, 1},
	    .timeout_ms = 300};
	struct result r = {0};
	struct probe *pr = start(f->c, &p, NULL, NULL, &r);
	pid_t pid = run_until_pidfile(f->l, pidfile);
	probe_cancel(pr);
	run_until_gone(f->l, pid);
	/* Cancelled at once: possibly before the child reached setsid. */
	struct result r2 = {0};
	probe_cancel(start(f->c, &p, NULL, NULL, &r2));
	run_until_childless(f->l);
	run_for(f->l, 400);
	assert_int_equal(r.calls + r2.calls, 0);
}

static void
test_ctx_free_running(void **state)
{
	struct fixture *f = *state;
	struct srv s;
	srv_open(&s, f->l, NULL);
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s.port);
	struct spec_probe http = {.kind = SPEC_PROBE_HTTP, .url = url, .timeout_ms = 300};
	int port, fillers[2];
	int lfd = listen_full(&port, fillers);
	struct spec_probe tcp = {.kind = SPEC_PROBE_TCP, .host = "127.0.0.1", .port = port,
	    .timeout_ms = 300};
	const char *argv[] = {"sleep 10", NULL};
	struct spec_probe ex = {.kind = SPEC_PROBE_EXEC, .exec = {true, argv, 1},
	    .timeout_ms = 300};
	struct result r[3] = {{0}};
	assert_non_null(start(f->c, &http, NULL, NULL, &r[0]));
	assert_non_null(start(f->c, &tcp, NULL, NULL, &r[1]));
	assert_non_null(start(f->c, &ex, NULL, NULL, &r[2]));
	int64_t end = loop_now() + 5000 * MS;
	while (s.requests == 0) {
		assert_true(loop_now() < end);
		assert_int_equal(loop_run_once(f->l, 100), 0);
	}
	probe_ctx_free(f->c);
	f->c = probe_ctx_new(f->l); /* for teardown */
	run_until_childless(f->l);
	run_for(f->l, 400);
	assert_int_equal(r[0].calls + r[1].calls + r[2].calls, 0);
	close_full(lfd, fillers);
	srv_close(&s);
}

struct chain {
	struct probe_ctx *c;
	struct spec_probe p;
	struct result second;
	bool freed;
};

/* A callback that starts the next attempt, then frees the context. */
static void
on_chain(void *arg, bool ok, const char *detail)
{
	(void)ok;
	(void)detail;
	struct chain *ch = arg;
	assert_non_null(start(ch->c, &ch->p, NULL, NULL, &ch->second));
	probe_ctx_free(ch->c);
	ch->freed = true;
}

static void
test_callback_frees_ctx(void **state)
{
	struct fixture *f = *state;
	struct srv s;
	srv_open(&s, f->l, srv_200);
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s.port);
	struct chain ch = {.c = probe_ctx_new(f->l)};
	ch.p = (struct spec_probe){.kind = SPEC_PROBE_HTTP, .url = url, .timeout_ms = 2000};
	assert_non_null(probe_start(ch.c, &ch.p, NULL, NULL, on_chain, &ch));
	run_until(f->l, &ch.freed);
	run_for(f->l, 100);
	assert_int_equal(ch.second.calls, 0);
	srv_close(&s);
}

/* ---- notify ------------------------------------------------------------ */

struct inbox {
	int count;
	char last[4200];
	size_t last_len;
	bool ready, status; /* READY=1 and STATUS=hello seen */
	struct probe_notify *close_me; /* closed from inside the first callback */
};

/* The notify callback: keeps the last message and notes READY=1, STATUS=hello. */
static void
on_notify(void *arg, const char *msg, size_t len)
{
	struct inbox *in = arg;
	in->count++;
	assert_true(len < sizeof(in->last));
	memcpy(in->last, msg, len);
	in->last[len] = '\0';
	in->last_len = len;
	char v[64];
	if (probe_notify_field(msg, len, "READY", v, sizeof(v)) && strcmp(v, "1") == 0)
		in->ready = true;
	if (probe_notify_field(msg, len, "STATUS", v, sizeof(v)) && strcmp(v, "hello") == 0)
		in->status = true;
	if (in->close_me != NULL) {
		probe_notify_close(in->close_me);
		in->close_me = NULL;
	}
}

/* Sends one datagram to the socket at path. */
static void
send_to(const char *path, const char *msg, size_t len)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	assert_true(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	assert_int_equal(sendto(fd, msg, len, 0, (struct sockaddr *)&sa, sizeof(sa)), (ssize_t)len);
	close(fd);
}

/* Runs until n messages have arrived. */
static void
run_until_count(struct loop *l, const struct inbox *in, int n)
{
	int64_t end = loop_now() + 5000 * MS;
	while (in->count < n) {
		assert_true(loop_now() < end);
		assert_int_equal(loop_run_once(l, 100), 0);
	}
}

static void
test_notify_datagrams(void **state)
{
	struct fixture *f = *state;
	char path[128];
	snprintf(path, sizeof(path), "%s/notify", f->dir);
	struct inbox in = {0};
	struct probe_notify *n = probe_notify_open(f->l, path, on_notify, &in);
	assert_non_null(n);
	assert_string_equal(probe_notify_path(n), path);
	struct stat st;
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0666);

	send_to(path, "READY=1\nSTATUS=hello", 20);
	run_until_count(f->l, &in, 1);
	assert_string_equal(in.last, "READY=1\nSTATUS=hello");
	assert_true(in.ready && in.status);

	/* Too long for one message: dropped whole; the next one still comes. */
	char big[5000];
	memset(big, 'x', sizeof(big));
	memcpy(big, "STATUS=", 7);
	send_to(path, big, sizeof(big));
	send_to(path, "WATCHDOG=1", 10);
	/* A few at once, read in one wake-up or more. */
	for (int i = 0; i < 5; i++)
		send_to(path, "STATUS=again", 12);
	run_until_count(f->l, &in, 7);
	run_for(f->l, 50);
	assert_int_equal(in.count, 7);
	assert_string_equal(in.last, "STATUS=again");

	probe_notify_close(n);
	assert_int_equal(lstat(path, &st), -1);
	assert_int_equal(errno, ENOENT);
	probe_notify_close(NULL);
}

static void
test_notify_stale_and_errors(void **state)
{
	struct fixture *f = *state;
	char path[128];
	snprintf(path, sizeof(path), "%s/notify", f->dir);
	/* A socket file left behind by an earlier run is replaced. */
	int old = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	assert_true(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	assert_int_equal(bind(old, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(old);
	struct inbox in = {0};
	struct probe_notify *n = probe_notify_open(f->l, path, on_notify, &in);
	assert_non_null(n);
	send_to(path, "READY=1", 7);
	run_until_count(f->l, &in, 1);
	probe_notify_close(n);

	/* Anything else at the path is left alone, and the open fails. */
	char file[128];
	snprintf(file, sizeof(file), "%s/plain", f->dir);
	FILE *fp = fopen(file, "w");
	assert_non_null(fp);
	fclose(fp);
	errno = 0;
	assert_null(probe_notify_open(f->l, file, on_notify, &in));
	assert_int_equal(errno, EADDRINUSE);
	struct stat st;
	assert_int_equal(lstat(file, &st), 0);
	assert_true(S_ISREG(st.st_mode));

	char longpath[200];
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_null(probe_notify_open(f->l, longpath, on_notify, &in));
	assert_int_equal(errno, ENAMETOOLONG);
	snprintf(file, sizeof(file), "%s/no/such/folder/sock", f->dir);
	assert_null(probe_notify_open(f->l, file, on_notify, &in));
	assert_int_equal(errno, ENOENT);
}

static void
test_notify_close_in_callback(void **state)
{
	struct fixture *f = *state;
	char path[128];
	snprintf(path, sizeof(path), "%s/notify", f->dir);
	struct inbox in = {0};
	struct probe_notify *n = probe_notify_open(f->l, path, on_notify, &in);
	assert_non_null(n);
	in.close_me = n;
	send_to(path, "READY=1", 7);
	send_to(path, "STATUS=late", 11);
	run_until_count(f->l, &in, 1);
	run_for(f->l, 50);
	assert_int_equal(in.count, 1);
	struct stat st;
	assert_int_equal(lstat(path, &st), -1);
}

struct kid {
	int status;
	bool exited;
};

/* The loop's child callback for systemd-notify. */
static void
on_kid(struct loop *l, pid_t pid, int status, void *arg)
{
	(void)l;
	(void)pid;
	struct kid *k = arg;
	k->status = status;
	k->exited = true;
}

static void
test_notify_systemd(void **state)
{
	struct fixture *f = *state;
	static const char tool[] = "/usr/bin/systemd-notify";
	if (access(tool, X_OK) != 0)
		skip();
	char path[128], env[160];
	snprintf(path, sizeof(path), "%s/notify", f->dir);
	snprintf(env, sizeof(env), "NOTIFY_SOCKET=%s", path);
	struct inbox in = {0};
	struct probe_notify *n = probe_notify_open(f->l, path, on_notify, &in);
	assert_non_null(n);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		char *argv[] = {"systemd-notify", "--ready", "--status=hello", NULL};
		char *envp[] = {env, NULL};
		execve(tool, argv, envp);
		_exit(127);
	}
	struct kid k = {0};
	assert_int_equal(loop_watch_child(f->l, pid, on_kid, &k), 0);
	run_until(f->l, &k.exited);
	assert_true(WIFEXITED(k.status));
	assert_int_equal(WEXITSTATUS(k.status), 0);
	int64_t end = loop_now() + 5000 * MS;
	while (!(in.ready && in.status)) {
		assert_true(loop_now() < end);
		assert_int_equal(loop_run_once(f->l, 100), 0);
	}
	probe_notify_close(n);
}

static void
test_notify_field(void **state)
{
	(void)state;
	const char msg[] = "READY=1\nSTATUS=up and running\nREADYX=2\nEMPTY=\nSTATUS=second";
	size_t len = strlen(msg);
	char v[64];
	assert_true(probe_notify_field(msg, len, "READY", v, sizeof(v)));
	assert_string_equal(v, "1");
	assert_true(probe_notify_field(msg, len, "STATUS", v, sizeof(v)));
	assert_string_equal(v, "up and running"); /* the first wins */
	assert_true(probe_notify_field(msg, len, "READYX", v, sizeof(v)));
	assert_string_equal(v, "2");
	assert_true(probe_notify_field(msg, len, "EMPTY", v, sizeof(v)));
	assert_string_equal(v, "");
	assert_false(probe_notify_field(msg, len, "READ", v, sizeof(v)));   /* a prefix */
	assert_false(probe_notify_field(msg, len, "running", v, sizeof(v)));
	assert_false(probe_notify_field(msg, len, "", v, sizeof(v)));
	assert_false(probe_notify_field(msg, len, "READY=1", v, sizeof(v)));
	assert_false(probe_notify_field(msg, len, "WATCHDOG", v, sizeof(v)));

	/* Truncated into a small buffer; a buffer of 0 only answers presence. */
	char small[4];
	assert_true(probe_notify_field(msg, len, "STATUS", small, sizeof(small)));
	assert_string_equal(small, "up ");
	assert_true(probe_notify_field(msg, len, "READY", NULL, 0));

	/* Only len bytes count: no NUL needed, nothing read past. */
	const char cut[] = {'A', '=', '1', '2', '3'};
	assert_true(probe_notify_field(cut, 4, "A", v, sizeof(v)));
	assert_string_equal(v, "12");
	assert_false(probe_notify_field(cut, 1, "A", v, sizeof(v)));
	assert_false(probe_notify_field(cut, 0, "A", v, sizeof(v)));

	/* The last line needs no newline; a NUL ends the message. */
	const char nul[] = "A=1\0B=2";
	assert_true(probe_notify_field(nul, sizeof(nul) - 1, "A", v, sizeof(v)));
	assert_false(probe_notify_field(nul, sizeof(nul) - 1, "B", v, sizeof(v)));
	assert_true(probe_notify_field("X=y\n", 4, "X", v, sizeof(v)));
	assert_string_equal(v, "y");
	assert_true(probe_notify_field("\n\nX=y", 5, "X", v, sizeof(v)));
	assert_string_equal(v, "y");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tcp_connects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_unroutable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_by_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_200, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_503, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_302, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_without_url, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_other_scheme, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_parallel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_stale_watcher, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_true, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_timeout_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_leftovers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_cwd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_env, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_hygiene, setup, teardown),
		cmocka_unit_test_setup_teardown(test_start_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_never_synchronous, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_tcp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_http, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_exec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctx_free_running, setup, teardown),
		cmocka_unit_test_setup_teardown(test_callback_frees_ctx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notify_datagrams, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notify_stale_and_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notify_close_in_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notify_systemd, setup, teardown),
		cmocka_unit_test(test_notify_field),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
