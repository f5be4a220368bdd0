/*
 * probe — owns the attempts in flight (struct probe), the curl multi handle
 * that carries them over http (and over tcp to a host name), the records
 * that reap exec children, and the notify sockets.
 *
 * Delivery. Each attempt holds exactly one loop timer: first its deadline,
 * then, once the attempt has settled (its result recorded and its socket,
 * transfer or child let go), a 0 ms timer that delivers the result. The
 * callback therefore always runs from a timer of its own with none of this
 * module on the stack, so it may start, cancel or free anything, the
 * context included, and it never runs inside probe_start. When the 0 ms
 * timer cannot be allocated the deadline timer is kept and delivers the
 * settled result at the deadline: late, never lost.
 *
 * tcp. Numeric addresses (and "localhost", as 127.0.0.1) are connected
 * here with a non-blocking socket; getaddrinfo on a name would block the
 * loop, so a name goes through curl (CURLOPT_CONNECT_ONLY), whose resolver
 * runs off the loop's thread.
 *
 * curl. One CURLM per context. Its sockets are watched on the loop through
 * CURLMOPT_SOCKETFUNCTION; curl_multi_assign marks a socket as watched by
 * us, so a fd number that curl closed and reopened (or one a stale watcher
 * still holds) is taken over with loop_watch instead of loop_rewatch. Its
 * timeout is one loop timer (CURLMOPT_TIMERFUNCTION), so even a 0 ms
 * timeout runs curl from the loop, never from inside curl's own call.
 *
 * exec. The child gets its own session (and so process group), an empty
 * signal mask, default dispositions, /dev/null on 0-2 and PR_SET_PDEATHSIG.
 * The loop's child watcher (which has no unwatch) points at a small heap
 * record, struct probe_reaper, that the child callback frees. An attempt
 * that times out or is cancelled kills the process group, detaches from
 * the record and is gone; the record lives on until the loop reaps the
 * child. So the loop never holds a pointer to a freed attempt, and a
 * killed child is still reaped.
 *
 * notify. The socket file is mode 0666 because the supervised process may
 * run as another user and sending needs write permission on it; who can
 * reach it is decided by the folder it lives in. Senders are not checked
 * (no SO_PASSCRED). Datagrams over PROBE_NOTIFY_MAX bytes are dropped whole,
 * as systemd drops them; at most PROBE_NOTIFY_BURST are read per wake-up.
 */
#include "core/probe.h"

/* Calls go through the table below, not curl's type-checking macros. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/config.h"
#include "core/cgroup.h"
#include "core/guardian.h"
#include "core/loop.h"
#include "core/signame.h"
#include "core/spawn.h"

#define PROBE_DETAIL_MAX 512     /* bytes of a detail line, NUL included */
#define PROBE_NOTIFY_MAX 4096    /* bytes of one notify datagram; longer ones are dropped */
#define PROBE_NOTIFY_BURST 64    /* datagrams read per wake-up; the rest wait for the next */

/* The loop's child watcher points here; freed by probe_exec_exited, or by
 * probe_ctx_free for a child the loop has not reaped yet. */
struct probe_reaper {
	pid_t pid;        /* the child, also its process group and session */
	struct probe *pr; /* borrowed; NULL once the attempt stopped waiting */
	struct probe_reaper *prev, *next; /* in ctx->reapers */
	struct probe_ctx *ctx;            /* borrowed */
};

struct probe {
	struct probe_ctx *ctx;       /* borrowed */
	struct probe *prev, *next;   /* in ctx->probes */
	enum spec_probe_kind kind;
	probe_done_fn fn;
	void *arg;                   /* borrowed, handed to fn */
	int64_t started;             /* loop_now() nanoseconds */
	int64_t timeout_ms;
	struct loop_timer *timer;    /* the deadline, then the delivery; NULL while firing */
	bool settled;                /* result recorded, resources let go */
	bool ok;
	char detail[PROBE_DETAIL_MAX];
	char target[300];            /* tcp: "host:port" as shown in details */
	int fd;                      /* tcp: owned socket, -1 = none */
	CURL *easy;                  /* http, tcp by name: owned, added to ctx->multi */
	char *body;                  /* probe_post: owned, the request's body */
	struct curl_slist *headers;  /* probe_post: owned */
	struct probe_reaper *reaper; /* exec: shared with the loop until the child exits */
};

struct probe_ctx {
	struct loop *loop;             /* borrowed */
	CURLM *multi;                  /* owned */
	struct loop_timer *curl_timer; /* curl's timeout; NULL = none */
	struct probe *probes;          /* owned: every attempt not yet delivered */
	struct probe_reaper *reapers;  /* owned: exec children not reaped yet */
	struct guardian *guardian;     /* borrowed; NULL = none */
	struct cg_group *cg;           /* borrowed: exec probes' cgroup; NULL = none */
};

struct probe_notify {
	struct loop *loop;   /* borrowed */
	int fd;              /* owned; -1 once closed */
	char *path;          /* owned: the socket file, unlinked on close */
	dev_t dev;           /* of the socket file, so close unlinks only our own */
	ino_t ino;
	probe_notify_fn fn;
	void *arg;           /* borrowed, handed to fn */
	bool dispatching;    /* inside fn: a close there is finished by the reader */
	bool closed;
};

/*
 * libcurl is loaded with dlopen when the first http probe (or tcp probe by
 * host name) starts: it and the libraries it pulls in (TLS, GSSAPI, LDAP...)
 * are half of the engine's memory and most of its start-up, and a stack
 * without such a probe never needs them.
 */
static struct {
	void *lib; /* the dlopen handle; NULL until loaded */
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *e, CURLoption opt, ...);
	CURLcode (*easy_getinfo)(CURL *e, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *e);
	const char *(*easy_strerror)(CURLcode code);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_setopt)(CURLM *m, CURLMoption opt, ...);
	CURLMcode (*multi_add_handle)(CURLM *m, CURL *e);
	CURLMcode (*multi_remove_handle)(CURLM *m, CURL *e);
	CURLMcode (*multi_assign)(CURLM *m, curl_socket_t s, void *p);
	CURLMcode (*multi_cleanup)(CURLM *m);
	CURLMsg *(*multi_info_read)(CURLM *m, int *left);
	CURLMcode (*multi_socket_action)(CURLM *m, curl_socket_t s, int mask, int *running);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
} probe_libcurl;

#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_multi_setopt
#define curl_global_init probe_libcurl.global_init
#define curl_easy_init probe_libcurl.easy_init
#define curl_easy_setopt probe_libcurl.easy_setopt
#define curl_easy_getinfo probe_libcurl.easy_getinfo
#define curl_easy_cleanup probe_libcurl.easy_cleanup
#define curl_easy_strerror probe_libcurl.easy_strerror
#define curl_multi_init probe_libcurl.multi_init
#define curl_multi_setopt probe_libcurl.multi_setopt
#define curl_multi_add_handle probe_libcurl.multi_add_handle
#define curl_multi_remove_handle probe_libcurl.multi_remove_handle
#define curl_multi_assign probe_libcurl.multi_assign
#define curl_multi_cleanup probe_libcurl.multi_cleanup
#define curl_multi_info_read probe_libcurl.multi_info_read
#define curl_multi_socket_action probe_libcurl.multi_socket_action
#define curl_slist_append probe_libcurl.slist_append
#define curl_slist_free_all probe_libcurl.slist_free_all

static bool probe_curl_initialized; /* curl_global_init ran (once per process) */

/* Loads libcurl and finds its functions. 0, or -1 with errno ELIBACC. */
static int
probe_curl_load(void)
{
	if (probe_libcurl.lib != NULL)
		return 0;
	void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL) {
		errno = ELIBACC;
		return -1;
	}
	static const char *const names[] = {
		"curl_global_init", "curl_easy_init", "curl_easy_setopt", "curl_easy_getinfo",
		"curl_easy_cleanup", "curl_easy_strerror", "curl_multi_init", "curl_multi_setopt",
		"curl_multi_add_handle", "curl_multi_remove_handle", "curl_multi_assign",
		"curl_multi_cleanup", "curl_multi_info_read", "curl_multi_socket_action",
		"curl_slist_append", "curl_slist_free_all",
	};
	/* The table's members are function pointers in the order of names. */
	void **slots[] = {
		(void **)&probe_libcurl.global_init, (void **)&probe_libcurl.easy_init,
		(void **)&probe_libcurl.easy_setopt, (void **)&probe_libcurl.easy_getinfo,
		(void **)&probe_libcurl.easy_cleanup, (void **)&probe_libcurl.easy_strerror,
		(void **)&probe_libcurl.multi_init, (void **)&probe_libcurl.multi_setopt,
		(void **)&probe_libcurl.multi_add_handle, (void **)&probe_libcurl.multi_remove_handle,
		(void **)&probe_libcurl.multi_assign, (void **)&probe_libcurl.multi_cleanup,
		(void **)&probe_libcurl.multi_info_read, (void **)&probe_libcurl.multi_socket_action,
		(void **)&probe_libcurl.slist_append, (void **)&probe_libcurl.slist_free_all,
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		*slots[i] = dlsym(lib, names[i]);
		if (*slots[i] == NULL) {
			dlclose(lib);
			memset(&probe_libcurl, 0, sizeof(probe_libcurl));
			errno = ELIBACC;
			return -1;
		}
	}
	probe_libcurl.lib = lib;
	return 0;
}

/* ---- formatting -------------------------------------------------------- */

/* Writes an elapsed time as "0.3ms" (one decimal under 10 ms) or "41ms". */
static void
probe_fmt_elapsed(char *buf, size_t size, int64_t ns)
{
	if (ns < 10000000)
		snprintf(buf, size, "%.1fms", (double)ns / 1e6);
	else
		snprintf(buf, size, "%lldms", (long long)(ns / 1000000));
}

/* Writes a configured duration as "1s" when it is whole seconds, else "200ms". */
static void
probe_fmt_duration(char *buf, size_t size, int64_t ms)
{
	if (ms >= 1000 && ms % 1000 == 0)
		snprintf(buf, size, "%llds", (long long)(ms / 1000));
	else
		snprintf(buf, size, "%lldms", (long long)ms);
}

/* Writes "host:port", or "[host]:port" for an IPv6 address. */
static void
probe_fmt_hostport(char *buf, size_t size, const char *host, int port)
{
	if (strchr(host, ':') != NULL)
		snprintf(buf, size, "[%s]:%d", host, port);
	else
		snprintf(buf, size, "%s:%d", host, port);
}

/* ---- settling and delivery --------------------------------------------- */

/* Lets go of whatever the attempt still holds: socket, transfer, child. */
static void
probe_release(struct probe *pr)
{
	struct probe_ctx *c = pr->ctx;
	if (pr->fd >= 0) {
		loop_unwatch(c->loop, pr->fd);
		close(pr->fd);
		pr->fd = -1;
	}
	if (pr->easy != NULL) {
		curl_multi_remove_handle(c->multi, pr->easy);
		curl_easy_cleanup(pr->easy);
		pr->easy = NULL;
	}
	if (pr->headers != NULL) {
		curl_slist_free_all(pr->headers);
		pr->headers = NULL;
	}
	free(pr->body);
	pr->body = NULL;
	if (pr->reaper != NULL) {
		/* Not reaped yet, so the pid is still ours; the direct kill covers a
		 * child that has not reached setsid. The record stays with the loop. */
		kill(-pr->reaper->pid, SIGKILL);
		kill(pr->reaper->pid, SIGKILL);
		pr->reaper->pr = NULL;
		pr->reaper = NULL;
	}
}

/* Records the result and lets go of resources; the first result wins. */
static void
probe_record(struct probe *pr, bool ok, const char *fmt, ...)
{
	if (pr->settled)
		return;
	pr->settled = true;
	pr->ok = ok;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(pr->detail, sizeof(pr->detail), fmt, ap);
	va_end(ap);
	probe_release(pr);
}

static void probe_timer_fired(struct loop *l, void *arg);

/* Replaces the deadline with a 0 ms delivery timer (or keeps it when that cannot be had). */
static void
probe_schedule(struct probe *pr)
{
	struct loop *l = pr->ctx->loop;
	struct loop_timer *t = loop_timer_after(l, 0, probe_timer_fired, pr);
	if (t == NULL)
		return; /* the deadline timer delivers the result instead */
	loop_timer_cancel(l, pr->timer);
	pr->timer = t;
}

/* Takes pr off its context's list. */
static void
probe_unlink(struct probe *pr)
{
	if (pr->prev != NULL)
		pr->prev->next = pr->next;
	else
		pr->ctx->probes = pr->next;
	if (pr->next != NULL)
		pr->next->prev = pr->prev;
	pr->prev = pr->next = NULL;
}

/* Writes the detail of an attempt that ran out of time. */
static void
probe_timed_out(struct probe *pr)
{
	char d[32];
	probe_fmt_duration(d, sizeof(d), pr->timeout_ms);
	switch (pr->kind) {
	case SPEC_PROBE_TCP:
		probe_record(pr, false, "tcp %s: timed out after %s", pr->target, d);
		break;
	case SPEC_PROBE_HTTP:
		probe_record(pr, false, "http: timed out after %s", d);
		break;
	default:
		probe_record(pr, false, "exec timed out after %s", d);
		break;
	}
}

/* The attempt's one timer: at the deadline it times out; either way it delivers and frees. */
static void
probe_timer_fired(struct loop *l, void *arg)
{
	(void)l;
	struct probe *pr = arg;
	pr->timer = NULL;
	if (!pr->settled)
		probe_timed_out(pr);
	probe_unlink(pr);
	probe_done_fn fn = pr->fn;
	void *fn_arg = pr->arg;
	bool ok = pr->ok;
	char detail[PROBE_DETAIL_MAX];
	memcpy(detail, pr->detail, sizeof(detail));
	free(pr);
	fn(fn_arg, ok, detail);
}

/* Records the result and has it delivered from the loop. */
static void
probe_settle(struct probe *pr, bool ok, const char *fmt, ...)
{
	if (pr->settled)
		return;
	char buf[PROBE_DETAIL_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	probe_record(pr, ok, "%s", buf);
	probe_schedule(pr);
}

/* ---- curl -------------------------------------------------------------- */

/* Discards a response body. */
static size_t
probe_curl_discard(char *data, size_t size, size_t n, void *arg)
{
	(void)data;
	(void)arg;
	return size * n;
}

/* Turns a finished transfer into the attempt's result. */
static void
probe_curl_done(struct probe *pr, CURLcode res)
{
	char took[32];
	probe_fmt_elapsed(took, sizeof(took), loop_now() - pr->started);
	if (res == CURLE_OPERATION_TIMEDOUT) {
		probe_timed_out(pr);
		probe_schedule(pr);
		return;
	}
	long os_errno = 0;
	if (res != CURLE_OK)
		curl_easy_getinfo(pr->easy, CURLINFO_OS_ERRNO, &os_errno);
	if (pr->kind == SPEC_PROBE_TCP) {
		if (res == CURLE_OK)
			probe_settle(pr, true, "tcp %s connected in %s", pr->target, took);
		else
			probe_settle(pr, false, "tcp %s: %s", pr->target,
			    os_errno != 0 ? strerror((int)os_errno) : curl_easy_strerror(res));
		return;
	}
	if (res != CURLE_OK) {
		if (os_errno != 0)
			probe_settle(pr, false, "http: %s (%s)", curl_easy_strerror(res),
			    strerror((int)os_errno));
		else
			probe_settle(pr, false, "http: %s", curl_easy_strerror(res));
		return;
	}
	long status = 0;
	curl_easy_getinfo(pr->easy, CURLINFO_RESPONSE_CODE, &status);
	probe_settle(pr, status >= 200 && status <= 399, "http %ld in %s", status, took);
}

/* Settles every attempt whose transfer curl reports finished. */
static void
probe_curl_check(struct probe_ctx *c)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(c->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		char *priv = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
		struct probe *pr = (struct probe *)priv;
		if (pr != NULL && pr->easy == m->easy_handle)
			probe_curl_done(pr, m->data.result); /* m is invalid after this */
	}
}

/* A curl socket is ready: tells curl, then collects finished transfers. */
static void
probe_curl_event(struct loop *l, int fd, unsigned events, void *arg)
{
	(void)l;
	struct probe_ctx *c = arg;
	int mask = (events & LOOP_READ ? CURL_CSELECT_IN : 0) |
	    (events & LOOP_WRITE ? CURL_CSELECT_OUT : 0) | (events & LOOP_HUP ? CURL_CSELECT_ERR : 0);
	int running;
	curl_multi_socket_action(c->multi, fd, mask, &running);
	probe_curl_check(c);
}

/* curl's timeout expired: lets curl act on it, then collects finished transfers. */
static void
probe_curl_timeout(struct loop *l, void *arg)
{
	(void)l;
	struct probe_ctx *c = arg;
	c->curl_timer = NULL;
	int running;
	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	probe_curl_check(c);
}

/* CURLMOPT_SOCKETFUNCTION: watches, rewatches or forgets one of curl's sockets. */
static int
probe_curl_socket(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
	(void)e;
	struct probe_ctx *c = userp;
	if (what == CURL_POLL_REMOVE) {
		loop_unwatch(c->loop, s);
		return 0;
	}
	unsigned events = (what & CURL_POLL_IN ? LOOP_READ : 0) | (what & CURL_POLL_OUT ? LOOP_WRITE : 0);
	if (socketp != NULL && loop_rewatch(c->loop, s, events) == 0)
		return 0;
	/* New to us, or the loop lost it: curl owns this fd now, so a watcher
	 * still registered on the number is stale and is replaced. */
	if (loop_watch(c->loop, s, events, probe_curl_event, c) < 0) {
		if (errno != EEXIST)
			return -1;
		loop_unwatch(c->loop, s);
		if (loop_watch(c->loop, s, events, probe_curl_event, c) < 0)
			return -1;
	}
	curl_multi_assign(c->multi, s, c);
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: keeps one loop timer at curl's next timeout (-1 = none). */
static int
probe_curl_timer(CURLM *m, long timeout_ms, void *userp)
{
	(void)m;
	struct probe_ctx *c = userp;
	loop_timer_cancel(c->loop, c->curl_timer);
	c->curl_timer = NULL;
	if (timeout_ms < 0)
		return 0;
	c->curl_timer = loop_timer_after(c->loop, timeout_ms, probe_curl_timeout, c);
	return c->curl_timer != NULL ? 0 : -1;
}

/*
 * Sets curl up on first use: a stack without an http probe never pays for
 * curl_global_init (which starts TLS) or a multi handle. 0 or -1/errno.
 */
static int
probe_curl_ready(struct probe_ctx *c)
{
	if (c->multi != NULL)
		return 0;
	if (probe_curl_load() < 0)
		return -1;
	/* Not thread-safe, like curl_global_init itself: the engine has one thread. */
	if (!probe_curl_initialized) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			errno = EIO;
			return -1;
		}
		probe_curl_initialized = true;
	}
	c->multi = curl_multi_init();
	if (c->multi == NULL) {
		errno = ENOMEM;
		return -1;
	}
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, probe_curl_socket);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, probe_curl_timer);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	return 0;
}

/* Adds a transfer of url for pr: a GET, or only the connection when connect_only. 0 or -1/errno. */
static int
probe_curl_start(struct probe *pr, const char *url, bool connect_only)
{
	if (probe_curl_ready(pr->ctx) < 0)
		return -1;
	CURL *e = curl_easy_init();
	if (e == NULL) {
		errno = ENOMEM;
		return -1;
	}
	long timeout = pr->timeout_ms > LONG_MAX ? LONG_MAX : (long)pr->timeout_ms;
	if (curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK) {
		curl_easy_cleanup(e);
		errno = ENOMEM;
		return -1;
	}
	curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)pr);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "vigil-probe");
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, probe_curl_discard);
	/* A check talks to the service itself: no proxy from the environment,
	 * a fresh connection each time (a kept-alive one proves little), and
	 * no scheme but http(s) (a file:// URL must not "pass"). */
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
#if LIBCURL_VERSION_NUM >= 0x075700
	/* Without it, removing a transfer whose name is still being resolved
	 * joins the resolver thread: a timeout or cancel would block the loop
	 * for as long as the DNS server takes. With it the thread is detached. */
	curl_easy_setopt(e, CURLOPT_QUICK_EXIT, 1L);
#endif
	if (connect_only)
		curl_easy_setopt(e, CURLOPT_CONNECT_ONLY, 1L);
	if (pr->body != NULL) {
		/* probe_post: the alert as JSON. */
		pr->headers = curl_slist_append(NULL, "Content-Type: application/json");
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, pr->headers);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, pr->body);
		curl_easy_setopt(e, CURLOPT_USERAGENT, "vigil-alert");
	}
	pr->easy = e;
	CURLMcode mc = curl_multi_add_handle(pr->ctx->multi, e);
	if (mc != CURLM_OK) {
		pr->easy = NULL;
		curl_easy_cleanup(e);
		errno = mc == CURLM_OUT_OF_MEMORY ? ENOMEM : EIO;
		return -1;
	}
	return 0;
}

/* ---- tcp --------------------------------------------------------------- */

/* The pending connect finished: SO_ERROR says how. */
static void
probe_tcp_ready(struct loop *l, int fd, unsigned events, void *arg)
{
	(void)l;
	(void)events;
	struct probe *pr = arg;
	int err = 0;
	socklen_t len = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	char took[32];
	probe_fmt_elapsed(took, sizeof(took), loop_now() - pr->started);
	if (err == 0)
		probe_settle(pr, true, "tcp %s connected in %s", pr->target, took);
	else
		probe_settle(pr, false, "tcp %s: %s", pr->target, strerror(err));
}

/* Starts a connect to p->host:p->port. 0 (running or settled) or -1/errno. */
static int
probe_tcp_start(struct probe *pr, const struct spec_probe *p)
{
	if (p->host == NULL || p->host[0] == '\0' || p->port < 1 || p->port > 65535) {
		errno = EINVAL;
		return -1;
	}
	probe_fmt_hostport(pr->target, sizeof(pr->target), p->host, p->port);
	const char *host = strcasecmp(p->host, "localhost") == 0 ? "127.0.0.1" : p->host;
	char port[8];
	snprintf(port, sizeof(port), "%d", p->port);
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
	};
	struct addrinfo *ai = NULL;
	int rc = getaddrinfo(host, port, &hints, &ai);
	if (rc == EAI_NONAME) {
		/* A name: resolving it here would block, curl resolves off the loop. */
		char url[400];
		snprintf(url, sizeof(url), "http://%s/", pr->target);
		return probe_curl_start(pr, url, true);
	}
	if (rc == EAI_MEMORY) {
		errno = ENOMEM;
		return -1;
	}
	if (rc != 0) {
		probe_settle(pr, false, "tcp %s: %s", pr->target,
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return 0;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		int saved = errno;
		freeaddrinfo(ai);
		errno = saved;
		return -1;
	}
	pr->fd = fd;
	rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
	int err = rc < 0 ? errno : 0;
	freeaddrinfo(ai);
	if (rc == 0) {
		/* Loopback connects complete at once; still delivered from the loop. */
		char took[32];
		probe_fmt_elapsed(took, sizeof(took), loop_now() - pr->started);
		probe_settle(pr, true, "tcp %s connected in %s", pr->target, took);
		return 0;
	}
	if (err != EINPROGRESS && err != EINTR) {
		probe_settle(pr, false, "tcp %s: %s", pr->target, strerror(err));
		return 0;
	}
	if (loop_watch(pr->ctx->loop, fd, LOOP_WRITE, probe_tcp_ready, pr) < 0) {
		int saved = errno;
		close(fd);
		pr->fd = -1;
		errno = saved;
		return -1;
	}
	return 0;
}

/* ---- http -------------------------------------------------------------- */

/* Starts a GET of p->url (or http://host:port/). 0 or -1/errno. */
static int
probe_http_start(struct probe *pr, const struct spec_probe *p)
{
	if (p->url != NULL)
		return probe_curl_start(pr, p->url, false);
	if (p->host == NULL || p->port < 1 || p->port > 65535) {
		errno = EINVAL;
		return -1;
	}
	char hostport[300], url[400];
	probe_fmt_hostport(hostport, sizeof(hostport), p->host, p->port);
	snprintf(url, sizeof(url), "http://%s/", hostport);
	return probe_curl_start(pr, url, false);
}

/* ---- exec -------------------------------------------------------------- */

/* In the forked child: a clean process in its own session, then the command; never returns. */
static _Noreturn void
probe_exec_child(bool shell, char *const *argv, char *const *envp, const char *cwd,
    int devnull, pid_t parent, const int *cg_fds, int ncg)
{
	/* Only async-signal-safe calls: curl's resolver may have threads. */
	for (int i = 0; i < ncg; i++)
		if (write(cg_fds[i], "0", 1) != 1)
			break; /* the check runs all the same; its process group is still tracked */
	setsid();
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127); /* the engine is already gone */
	spawn_reset_signals();
	for (int i = 0; i <= 2; i++) {
		if (devnull == i)
			fcntl(i, F_SETFD, 0);
		else if (dup2(devnull, i) < 0)
			_exit(127);
	}
#ifdef CLOSE_RANGE_CLOEXEC
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC); /* in case a library leaked one */
#endif
	spawn_restore_limits();
	if (cwd != NULL && chdir(cwd) < 0)
		_exit(127);
	if (shell)
		execve(argv[0], argv, envp != NULL ? envp : environ);
	else if (envp != NULL)
		execvpe(argv[0], argv, envp);
	else
		execvp(argv[0], argv);
	_exit(127);
}

static void
probe_reaper_unlink(struct probe_reaper *r)
{
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		r->ctx->reapers = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
}

/* The loop reaped an exec child: reports it to the attempt, if one still waits. */
static void
probe_exec_exited(struct loop *l, pid_t pid, int status, void *arg)
{
	(void)l;
	struct probe_reaper *r = arg;
	struct probe *pr = r->pr;
	struct guardian *g = r->ctx->guardian;
	probe_reaper_unlink(r);
	free(r);
	/* Background leftovers of the command die with it. The group outlives its
	 * leader only while it has members, so the number is still this group's. */
	kill(-pid, SIGKILL);
	guardian_untrack(g, pid);
	if (pr == NULL)
		return; /* timed out or cancelled earlier */
	pr->reaper = NULL;
	char took[32];
	probe_fmt_elapsed(took, sizeof(took), loop_now() - pr->started);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		probe_settle(pr, true, "exec exit 0 in %s", took);
	} else if (WIFEXITED(status)) {
		probe_settle(pr, false, "exec exit %d", WEXITSTATUS(status));
	} else if (WIFSIGNALED(status)) {
		const char *name = signame_name(WTERMSIG(status));
		if (name != NULL)
			probe_settle(pr, false, "exec killed by %s", name);
		else
			probe_settle(pr, false, "exec killed by signal %d", WTERMSIG(status));
	} else {
		probe_settle(pr, false, "exec ended with status %d", status);
	}
}

/* Forks the command of p and has the loop watch it. 0 or -1/errno. */
static int
probe_exec_start(struct probe *pr, const struct spec_probe *p, const char *cwd,
    char *const *envp)
{
	const struct spec_command *cmd = &p->exec;
	if (cmd->argv == NULL || cmd->argv[0] == NULL) {
		errno = EINVAL;
		return -1;
	}
	char *sh_argv[] = {"/bin/sh", "-c", (char *)cmd->argv[0], NULL};
	char *const *argv = cmd->shell ? sh_argv : (char *const *)cmd->argv;
	struct probe_reaper *r = malloc(sizeof(*r));
	if (r == NULL)
		return -1;
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0) {
		int saved = errno;
		free(r);
		errno = saved;
		return -1;
	}
	int cg_fds[CG_NROLES];
	int ncg = pr->ctx->cg != NULL ? cg_group_procs_fds(pr->ctx->cg, cg_fds, CG_NROLES) : 0;
	if (ncg < 0)
		ncg = 0;
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0)
		probe_exec_child(cmd->shell, argv, envp, cwd, devnull, parent, cg_fds, ncg);
	int saved = errno;
	if (pr->ctx->cg != NULL)
		cg_group_procs_done(pr->ctx->cg);
	close(devnull);
	if (pid < 0) {
		free(r);
		errno = saved;
		return -1;
	}
	r->pid = pid;
	r->pr = pr;
	r->ctx = pr->ctx;
	r->prev = NULL;
	r->next = pr->ctx->reapers;
	if (loop_watch_child(pr->ctx->loop, pid, probe_exec_exited, r) < 0) {
		saved = errno;
		/* Unwatched, it is still reaped by the loop (as an orphan). */
		kill(pid, SIGKILL);
		free(r);
		errno = saved;
		return -1;
	}
	if (r->next != NULL)
		r->next->prev = r;
	pr->ctx->reapers = r;
	pr->reaper = r;
	/* If the engine dies, the guardian ends the probe's group (the
	 * parent-death signal reaches its first process only). */
	guardian_track(pr->ctx->guardian, pid, 0);
	return 0;
}

/* ---- attempts ---------------------------------------------------------- */

struct probe_ctx *
probe_ctx_new(struct loop *l)
{
	if (l == NULL) {
		errno = EINVAL;
		return NULL;
	}
	struct probe_ctx *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->loop = l;
	return c;
}

void
probe_ctx_set_guardian(struct probe_ctx *c, struct guardian *g)
{
	if (c != NULL)
		c->guardian = g;
}

void
probe_ctx_set_cgroup(struct probe_ctx *c, struct cg_group *g)
{
	if (c != NULL)
		c->cg = g;
}

void
probe_ctx_free(struct probe_ctx *c)
{
	if (c == NULL)
		return;
	while (c->probes != NULL)
		probe_cancel(c->probes);
	/* Children killed but not reaped yet: the loop forgets them (it still
	 * reaps them, as orphans) so nothing points at their records. */
	while (c->reapers != NULL) {
		struct probe_reaper *r = c->reapers;
		c->reapers = r->next;
		loop_unwatch_child(c->loop, r->pid);
		free(r);
	}
	if (c->multi != NULL)
		curl_multi_cleanup(c->multi); /* may still call probe_curl_socket/timer */
	loop_timer_cancel(c->loop, c->curl_timer);
	free(c);
}

/* A probe of kind with its timeout armed, linked into c's list; NULL with errno. */
static struct probe *
probe_new(struct probe_ctx *c, enum spec_probe_kind kind, int64_t timeout_ms, probe_done_fn fn,
    void *arg)
{
	struct probe *pr = calloc(1, sizeof(*pr));
	if (pr == NULL)
		return NULL;
	pr->ctx = c;
	pr->kind = kind;
	pr->fn = fn;
	pr->arg = arg;
	pr->fd = -1;
	pr->timeout_ms = timeout_ms;
	pr->started = loop_now();
	pr->timer = loop_timer_after(c->loop, timeout_ms, probe_timer_fired, pr);
	if (pr->timer == NULL) {
		free(pr);
		errno = ENOMEM;
		return NULL;
	}
	pr->next = c->probes;
	if (c->probes != NULL)
		c->probes->prev = pr;
	c->probes = pr;
	return pr;
}

struct probe *
probe_start(struct probe_ctx *c, const struct spec_probe *p, const char *cwd,
    char *const *envp, probe_done_fn fn, void *arg)
{
	if (c == NULL || p == NULL || fn == NULL || p->timeout_ms <= 0 ||
	    (p->kind != SPEC_PROBE_TCP && p->kind != SPEC_PROBE_HTTP && p->kind != SPEC_PROBE_EXEC)) {
		errno = EINVAL;
		return NULL;
	}
	struct probe *pr = probe_new(c, p->kind, p->timeout_ms, fn, arg);
	if (pr == NULL)
		return NULL;
	int rc;
	switch (p->kind) {
	case SPEC_PROBE_TCP:
		rc = probe_tcp_start(pr, p);
		break;
	case SPEC_PROBE_HTTP:
		rc = probe_http_start(pr, p);
		break;
	default:
		rc = probe_exec_start(pr, p, cwd, envp);
		break;
	}
	if (rc < 0) {
		int saved = errno;
		probe_cancel(pr);
		errno = saved;
		return NULL;
	}
	return pr;
}

struct probe *
probe_post(struct probe_ctx *c, const char *url, const char *body, int64_t timeout_ms,
    probe_done_fn fn, void *arg)
{
	if (c == NULL || url == NULL || body == NULL || fn == NULL || timeout_ms <= 0) {
		errno = EINVAL;
		return NULL;
	}
	struct probe *pr = probe_new(c, SPEC_PROBE_HTTP, timeout_ms, fn, arg);
	if (pr == NULL)
		return NULL;
	snprintf(pr->target, sizeof(pr->target), "%s", url);
	pr->body = strdup(body);
	if (pr->body == NULL) {
		probe_cancel(pr);
		errno = ENOMEM;
		return NULL;
	}
	if (probe_curl_start(pr, url, false) < 0) {
		int saved = errno;
		probe_cancel(pr);
		errno = saved;
		return NULL;
	}
	return pr;
}

void
probe_cancel(struct probe *pr)
{
	if (pr == NULL)
		return;
	loop_timer_cancel(pr->ctx->loop, pr->timer);
	pr->timer = NULL;
	probe_release(pr);
	probe_unlink(pr);
	free(pr);
}

/* ---- notify ------------------------------------------------------------ */

/* Closes the socket and removes its file if it is still ours. */
static void
probe_notify_shut(struct probe_notify *n)
{
	if (n->fd < 0)
		return;
	loop_unwatch(n->loop, n->fd);
	close(n->fd);
	n->fd = -1;
	struct stat st;
	if (lstat(n->path, &st) == 0 && st.st_dev == n->dev && st.st_ino == n->ino)
		unlink(n->path);
}

/* Reads queued datagrams (a bounded number per wake-up) and hands each to fn. */
static void
probe_notify_ready(struct loop *l, int fd, unsigned events, void *arg)
{
	(void)l;
	(void)events;
	struct probe_notify *n = arg;
	char buf[PROBE_NOTIFY_MAX + 2];
	for (int i = 0; i < PROBE_NOTIFY_BURST; i++) {
		/* One byte of room beyond the limit tells an oversized datagram. */
		ssize_t got = recv(fd, buf, PROBE_NOTIFY_MAX + 1, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return; /* EAGAIN: drained */
		if (got == 0 || got > PROBE_NOTIFY_MAX)
			continue; /* empty, or cut short: dropped, as systemd does */
		buf[got] = '\0';
		n->dispatching = true;
		n->fn(n->arg, buf, (size_t)got);
		n->dispatching = false;
		if (n->closed) {
			free(n->path);
			free(n);
			return;
		}
	}
}

struct probe_notify *
probe_notify_open(struct loop *l, const char *path, probe_notify_fn fn, void *arg)
{
	struct sockaddr_un sa;
	if (l == NULL || path == NULL || path[0] == '\0' || fn == NULL) {
		errno = EINVAL;
		return NULL;
	}
	size_t len = strlen(path);
	if (len >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, len + 1);
	struct probe_notify *n = calloc(1, sizeof(*n));
	if (n == NULL)
		return NULL;
	n->loop = l;
	n->fn = fn;
	n->arg = arg;
	n->fd = -1;
	bool bound = false;
	struct stat st;
	if ((n->path = strdup(path)) == NULL)
		goto fail;
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (n->fd < 0)
		goto fail;
	/* Only a socket is stale; anything else at path makes bind fail. */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	if (bind(n->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	bound = true;
	/* Sending needs write permission on the file, and the process may run as
	 * another user: the file is open to all, and the folder it is in (the
	 * engine's runtime folder) decides who can reach it. */
	if (chmod(path, 0666) < 0 || lstat(path, &st) < 0)
		goto fail;
	n->dev = st.st_dev;
	n->ino = st.st_ino;
	if (loop_watch(l, n->fd, LOOP_READ, probe_notify_ready, n) < 0)
		goto fail;
	return n;
fail:;
	int saved = errno;
	if (n->fd >= 0)
		close(n->fd);
	if (bound)
		unlink(path);
	free(n->path);
	free(n);
	errno = saved;
	return NULL;
}

void
probe_notify_close(struct probe_notify *n)
{
	if (n == NULL)
		return;
	probe_notify_shut(n);
	if (n->dispatching) {
		n->closed = true; /* probe_notify_ready frees it when fn returns */
		return;
	}
	free(n->path);
	free(n);
}

const char *
probe_notify_path(const struct probe_notify *n)
{
	return n->path;
}

bool
probe_notify_field(const char *msg, size_t len, const char *key, char *buf, size_t size)
{
	if (msg == NULL || key == NULL)
		return false;
	size_t klen = strlen(key);
	if (klen == 0 || strchr(key, '=') != NULL || strchr(key, '\n') != NULL)
		return false;
	/* A NUL ends the message; the first assignment of KEY wins, as in systemd. */
	const char *end = msg + strnlen(msg, len);
	const char *line = msg;
	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *eol = nl != NULL ? nl : end;
		if ((size_t)(eol - line) > klen && memcmp(line, key, klen) == 0 && line[klen] == '=') {
			const char *v = line + klen + 1;
			if (buf != NULL && size > 0) {
				size_t vlen = (size_t)(eol - v);
				if (vlen >= size)
					vlen = size - 1;
				memcpy(buf, v, vlen);
				buf[vlen] = '\0';
			}
			return true;
		}
		line = nl != NULL ? nl + 1 : end;
	}
	return false;
}
