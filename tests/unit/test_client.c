/*
 * test_client — finding the socket (explicit, VIGIL_SOCKET, -f, walking up
 * from the current folder), connecting to nothing, and talking to a real
 * server that a forked child runs on its own loop: ids increase, client_call
 * skips events and stale replies, big replies, refusals without an id,
 * invalid replies, timeouts and the engine going away.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/client.h"
#include "core/loop.h"
#include "core/proto.h"
#include "core/server.h"

static int64_t
now_ms(void)
{
	return loop_now() / 1000000;
}

static void
make_dir(const char *base, const char *sub, char *out, size_t size)
{
	int n = snprintf(out, size, "%s/%s", base, sub);
	assert_true(n > 0 && (size_t)n < size);
	assert_int_equal(mkdir(out, 0700), 0);
}

/* A socket file nobody listens on. */
static void
make_stale_socket(const char *path)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	strcpy(a.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	close(fd);
}

/* client_find_socket must fail with exactly want. */
static void
expect_not_found(const char *explicit_socket, const char *stack_file, size_t size,
    const char *want)
{
	char buf[PATH_MAX], err[PATH_MAX + 200] = "";
	assert_false(client_find_socket(explicit_socket, stack_file, buf, size, err, sizeof(err)));
	assert_string_equal(err, want);
}

/* client_find_socket must find want. */
static void
expect_found(const char *explicit_socket, const char *stack_file, const char *want)
{
	char buf[PATH_MAX], err[PATH_MAX + 200] = "";
	if (!client_find_socket(explicit_socket, stack_file, buf, sizeof(buf), err, sizeof(err)))
		fail_msg("%s", err);
	assert_string_equal(buf, want);
}

static void
test_find_socket(void **state)
{
	(void)state;
	char oldcwd[PATH_MAX];
	assert_non_null(getcwd(oldcwd, sizeof(oldcwd)));
	unsetenv("VIGIL_SOCKET");
	char tmpl[] = "/tmp/vigil-client-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	char top[PATH_MAX];
	assert_non_null(realpath(tmpl, top));
	char proj[PATH_MAX], dot[PATH_MAX], a[PATH_MAX], b[PATH_MAX], c[PATH_MAX], empty[PATH_MAX];
	char sock[PATH_MAX + 32], want[2 * PATH_MAX + 128];
	make_dir(top, "proj", proj, sizeof(proj));
	make_dir(proj, ".vigil", dot, sizeof(dot));
	make_dir(proj, "a", a, sizeof(a));
	make_dir(a, "b", b, sizeof(b));
	make_dir(b, "c", c, sizeof(c));
	make_dir(top, "empty", empty, sizeof(empty));
	snprintf(sock, sizeof(sock), "%s/control.sock", dot);
	make_stale_socket(sock);

	/* Explicit, then VIGIL_SOCKET (empty counts as unset), then -f. */
	expect_found("/run/x.sock", "whatever.yaml", "/run/x.sock");
	setenv("VIGIL_SOCKET", "/run/env.sock", 1);
	expect_found(NULL, "whatever.yaml", "/run/env.sock");
	expect_found("", NULL, "/run/env.sock");
	expect_found("/run/x.sock", NULL, "/run/x.sock");
	setenv("VIGIL_SOCKET", "", 1);
	assert_int_equal(chdir(empty), 0);
	snprintf(want, sizeof(want), "%s/.vigil/control.sock", proj);
	char file[PATH_MAX + 32];
	snprintf(file, sizeof(file), "%s/vigil.yaml", proj);
	expect_found(NULL, file, want);              /* absolute */
	expect_found(NULL, "../proj/vigil.yaml", want); /* relative, through .. */
	assert_int_equal(chdir(proj), 0);
	expect_found(NULL, "vigil.yaml", want);      /* in the current folder */
	snprintf(file, sizeof(file), "%s/missing/vigil.yaml", top);
	snprintf(want, sizeof(want), "cannot find the folder of %s: No such file or directory", file);
	expect_not_found(NULL, file, sizeof(want), want);
	unsetenv("VIGIL_SOCKET");

	/* Walking up: from proj/a/b/c to proj's socket, past a file of that name that is not one. */
	char decoy[PATH_MAX + 32];
	make_dir(b, ".vigil", decoy, sizeof(decoy));
	strcat(decoy, "/control.sock");
	int fd = open(decoy, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(chdir(c), 0);
	expect_found(NULL, NULL, sock);
	assert_int_equal(chdir(proj), 0);
	expect_found(NULL, NULL, sock);
	/* Not found anywhere above. */
	assert_int_equal(chdir(empty), 0);
	struct stat st;
	if (stat("/tmp/.vigil/control.sock", &st) != 0 && stat("/.vigil/control.sock", &st) != 0)
		expect_not_found(NULL, NULL, PATH_MAX,
		    "no running stack found here (no .vigil/control.sock in this folder or above; use "
		    "-f FILE or --socket PATH)");
	/* A buffer too small for the answer. */
	assert_int_equal(chdir(c), 0);
	snprintf(want, sizeof(want), "the control socket path is too long: %s", sock);
	expect_not_found(NULL, NULL, 10, want);
	expect_not_found("/a/rather/long/path.sock", NULL, 10,
	    "the control socket path is too long: /a/rather/long/path.sock");

	assert_int_equal(chdir(oldcwd), 0);
	unlink(decoy);
	unlink(sock);
	*strrchr(decoy, '/') = '\0';
	const char *dirs[] = {decoy, c, b, a, dot, proj, empty, top};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		assert_int_equal(rmdir(dirs[i]), 0);
}

static void
test_connect_to_nothing(void **state)
{
	(void)state;
	char dir[] = "/tmp/vigil-client-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128], want[512], err[512];
	snprintf(path, sizeof(path), "%s/control.sock", dir);
	assert_null(client_connect(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "no engine is running for %s (no socket there)", path);
	assert_string_equal(err, want);
	make_stale_socket(path);
	assert_null(client_connect(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "no engine is running for %s (stale socket)", path);
	assert_string_equal(err, want);
	char longpath[200];
	memset(longpath, 'x', 150);
	longpath[150] = '\0';
	assert_null(client_connect(longpath, err, sizeof(err)));
	snprintf(want, sizeof(want), "the control socket path is too long (over 107 bytes): %s "
	    "(give the engine's shorter one with --socket PATH or VIGIL_SOCKET)", longpath);
	assert_string_equal(err, want);
	client_free(NULL);
	unlink(path);
	rmdir(dir);
}

/* ---- a server in a child process ---------------------------------------- */

struct engine {
	char dir[64];
	char path[128];
	pid_t pid;
};

/* The child's handler: each command shows one behaviour the client must handle. */
static void
engine_on_request(struct server_conn *c, const struct proto_req *req, void *arg)
{
	struct loop *l = arg;
	cJSON *res = cJSON_CreateObject();
	switch (req->cmd) {
	case PROTO_STATUS:
		/* Events and a reply to some other request come first. */
		server_send(c, strdup("{\"event\":\"state\",\"data\":{\"n\":1}}\n"));
		server_send(c, strdup("{\"event\":\"state\",\"data\":{\"n\":2}}\n"));
		server_send(c, proto_reply_error(true, req->id + 1000, "stale"));
		cJSON_AddNumberToObject(res, "echo", (double)req->id);
		server_send(c, proto_reply_ok(req, res));
		return;
	case PROTO_VERSION:
		cJSON_Delete(res); /* never answered: the client times out */
		return;
	case PROTO_RESTART:
		cJSON_Delete(res);
		server_send(c, strdup("[1,2]\n"));
		server_send(c, strdup("not json at all\n"));
		return;
	case PROTO_LOGS: {
		size_t n = (size_t)req->lines * 1024;
		char *pad = malloc(n + 1);
		memset(pad, 'l', n);
		pad[n] = '\0';
		cJSON_AddStringToObject(res, "pad", pad);
		free(pad);
		break;
	}
	case PROTO_DOWN:
		server_send(c, proto_reply_ok(req, res));
		server_close_after_write(c);
		return;
	case PROTO_STOP:
		server_send(c, proto_reply_ok(req, res));
		loop_stop(l);
		return;
	default:
		break;
	}
	server_send(c, proto_reply_ok(req, res));
}

/* Forks a child that serves path until a "stop" request. */
static void
engine_start(struct engine *e)
{
	strcpy(e->dir, "/tmp/vigil-client-XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	snprintf(e->path, sizeof(e->path), "%s/control.sock", e->dir);
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	e->pid = fork();
	assert_true(e->pid >= 0);
	if (e->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* a failed test does not leave it behind */
		close(p[0]);
		struct loop *l = loop_new();
		char err[256];
		struct server *s = l != NULL ? server_new(l, e->path, engine_on_request, l, err,
		    sizeof(err)) : NULL;
		char ok = s != NULL ? 'y' : 'n';
		if (write(p[1], &ok, 1) != 1 || s == NULL)
			_exit(1);
		close(p[1]);
		loop_run(l);
		/* Let the last reply out (its client then hangs up) before closing everything. */
		for (int i = 0; i < 20 && server_clients(s) > 0; i++)
			loop_run_once(l, 10);
		server_free(s);
		loop_free(l);
		_exit(0);
	}
	close(p[1]);
	char ok = 0;
	assert_int_equal(read(p[0], &ok, 1), 1);
	close(p[0]);
	assert_int_equal(ok, 'y');
}

static void
engine_stop(struct engine *e)
{
	char err[256];
	struct client *c = client_connect(e->path, err, sizeof(err));
	if (c != NULL) {
		cJSON *req = cJSON_CreateObject();
		cJSON_AddStringToObject(req, "cmd", "stop");
		cJSON_Delete(client_call(c, req, 5000, err, sizeof(err)));
		client_free(c);
	}
	int status;
	assert_int_equal(waitpid(e->pid, &status, 0), e->pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	rmdir(e->dir);
}

static cJSON *
request(const char *cmd)
{
	cJSON *r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "cmd", cmd);
	return r;
}

static double
num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	assert_true(cJSON_IsNumber(v));
	return v->valuedouble;
}

static void
test_call(void **state)
{
	(void)state;
	struct engine e;
	engine_start(&e);
	char err[512];
	struct client *c = client_connect(e.path, err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	assert_true(client_fd(c) >= 0);

	/* client_call skips the events and the stale reply; ids start at 1. */
	cJSON *reply = client_call(c, request("status"), 5000, err, sizeof(err));
	if (reply == NULL)
		fail_msg("%s", err);
	assert_int_equal(num(reply, "id"), 1);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(reply, "ok")));
	assert_int_equal(num(cJSON_GetObjectItemCaseSensitive(reply, "result"), "echo"), 1);
	cJSON_Delete(reply);

	/* client_read sees everything, in order; an id the caller set is replaced. */
	cJSON *req = request("status");
	cJSON_AddStringToObject(req, "id", "mine");
	assert_true(client_send(c, req, err, sizeof(err)));
	cJSON *m = client_read(c, 5000, err, sizeof(err));
	assert_non_null(m);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(m, "event")->valuestring, "state");
	assert_int_equal(num(cJSON_GetObjectItemCaseSensitive(m, "data"), "n"), 1);
	cJSON_Delete(m);
	m = client_read(c, 5000, err, sizeof(err));
	assert_int_equal(num(cJSON_GetObjectItemCaseSensitive(m, "data"), "n"), 2);
	cJSON_Delete(m);
	m = client_read(c, 5000, err, sizeof(err));
	assert_int_equal(num(m, "id"), 1002);
	cJSON_Delete(m);
	m = client_read(c, 5000, err, sizeof(err));
	assert_int_equal(num(m, "id"), 2);
	cJSON_Delete(m);

	/* Nothing more to read: a timeout, of about the time asked. */
	int64_t t0 = now_ms();
	assert_null(client_read(c, 150, err, sizeof(err)));
	assert_string_equal(err, "timed out after 150ms");
	assert_true(now_ms() - t0 >= 150 && now_ms() - t0 < 2000);
	assert_null(client_read(c, 0, err, sizeof(err)));
	assert_string_equal(err, "timed out after 0ms");

	/* A request the engine never answers. */
	t0 = now_ms();
	assert_null(client_call(c, request("version"), 200, err, sizeof(err)));
	assert_string_equal(err, "timed out after 200ms");
	assert_true(now_ms() - t0 >= 200 && now_ms() - t0 < 2000);

	/* Replies that are not JSON objects; the stream goes on after them. */
	assert_null(client_call(c, request("restart"), 5000, err, sizeof(err)));
	assert_string_equal(err, "invalid reply from the engine");
	assert_null(client_read(c, 5000, err, sizeof(err)));
	assert_string_equal(err, "invalid reply from the engine");

	/* A 5 MiB reply. */
	req = request("logs");
	cJSON_AddNumberToObject(req, "lines", 5120);
	reply = client_call(c, req, 10000, err, sizeof(err));
	if (reply == NULL)
		fail_msg("%s", err);
	assert_int_equal(num(reply, "id"), 5);
	const cJSON *pad = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(reply,
	    "result"), "pad");
	assert_int_equal(strlen(pad->valuestring), (size_t)5 << 20);
	cJSON_Delete(reply);

	/* A request over the line bound: the refusal has no id, and client_call returns it. */
	req = request("status");
	char *big = malloc((size_t)2 << 20);
	memset(big, 't', ((size_t)2 << 20) - 1);
	big[((size_t)2 << 20) - 1] = '\0';
	cJSON_AddStringToObject(req, "target", big);
	free(big);
	reply = client_call(c, req, 5000, err, sizeof(err));
	if (reply == NULL)
		fail_msg("%s", err);
	assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(reply, "id")));
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(reply, "error")->valuestring,
	    "request line too long (over 1 MiB)");
	cJSON_Delete(reply);

	/* The engine closes the connection after "down". */
	reply = client_call(c, request("down"), 5000, err, sizeof(err));
	assert_non_null(reply);
	assert_int_equal(num(reply, "id"), 7);
	cJSON_Delete(reply);
	assert_null(client_read(c, 5000, err, sizeof(err)));
	assert_string_equal(err, "the engine closed the connection");
	assert_null(client_call(c, request("status"), 5000, err, sizeof(err)));
	client_free(c);

	/* Not an object to send. */
	c = client_connect(e.path, err, sizeof(err));
	assert_non_null(c);
	assert_false(client_send(c, cJSON_CreateArray(), err, sizeof(err)));
	assert_string_equal(err, "a request must be a JSON object");
	client_free(c);

	engine_stop(&e);
	/* The engine is gone and took its socket file with it. */
	char want[256];
	assert_null(client_connect(e.path, err, sizeof(err)));
	snprintf(want, sizeof(want), "no engine is running for %s (no socket there)", e.path);
	assert_string_equal(err, want);
}

static void
test_engine_goes_away(void **state)
{
	(void)state;
	struct engine e;
	engine_start(&e);
	char err[512];
	struct client *c = client_connect(e.path, err, sizeof(err));
	assert_non_null(c);
	/* A subscriber waiting with no timeout learns that the engine stopped. */
	cJSON *req = request("subscribe");
	cJSON *reply = client_call(c, req, 5000, err, sizeof(err));
	assert_non_null(reply);
	cJSON_Delete(reply);
	engine_stop(&e);
	assert_null(client_read(c, -1, err, sizeof(err)));
	assert_string_equal(err, "the engine closed the connection");
	client_free(c);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_socket),
		cmocka_unit_test(test_connect_to_nothing),
		cmocka_unit_test(test_call),
		cmocka_unit_test(test_engine_goes_away),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
