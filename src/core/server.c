/*
 * server — owns the listening socket, its file, and every client
 * connection: its input buffer, its queue of output lines and its
 * subscription.
 *
 * Input. Bytes are read into a per-connection buffer and split at '\n';
 * each line is parsed by proto and handed to the handler, or answered with
 * proto's error. A line longer than PROTO_MAX_LINE is answered with an error
 * as soon as it has grown past the limit, and the rest of it is skipped up
 * to its newline, so the buffer never holds more than the limit plus one
 * read. Blank lines are ignored.
 *
 * Turns. A connection's requests are handled for at most SERVER_TURN_NS per
 * turn (always at least one); what is left waits in its buffer, unread
 * input waits in the kernel, and a 0 ms timer gives it its next turn, after
 * the other connections that are ready. So one client's burst of costly
 * requests delays the others by one turn, not by the whole burst.
 *
 * Output and bounds. Each connection queues whole lines and is watched for
 * LOOP_WRITE only while the queue is non-empty. Three bounds keep a client
 * that does not read from costing the engine memory or time:
 *   - while more than SERVER_PAUSE_BYTES are queued, the connection's
 *     requests are not read (they wait in the kernel), so a client that
 *     sends requests without reading the replies stops itself;
 *   - an event is not queued while more than SERVER_EVENT_BYTES are queued:
 *     it is dropped and counted, and the next event that is queued carries
 *     the count as "dropped":N (spliced in before the event's last '}');
 *   - a reply queued while more than SERVER_REPLY_BYTES are queued closes
 *     the connection (only replies sent later, not in answer to a request
 *     just read, can get there).
 * Writes use sendmsg with MSG_NOSIGNAL, so a client that went away is an
 * error on that connection, never a SIGPIPE.
 *
 * Lifetime. A closed connection's descriptor is closed at once (so the
 * client sees EOF) but its struct is kept until a 0 ms loop timer frees it:
 * a server_conn pointer stays safe to pass to server_send (which then does
 * nothing) until control returns to the loop. server_free called from
 * inside the handler closes everything at once and leaves freeing the
 * server to the callback that called the handler.
 */
#include "core/server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/proto.h"

#define SERVER_READ_CHUNK ((size_t)64 << 10)    /* bytes read per wake-up */
#define SERVER_PAUSE_BYTES ((size_t)1 << 20)    /* queued output above which requests wait */
#define SERVER_EVENT_BYTES ((size_t)1 << 20)    /* queued output above which events are dropped */
#define SERVER_REPLY_BYTES ((size_t)8 << 20)    /* queued output above which a reply closes */
#define SERVER_IOV 64                           /* lines per sendmsg */
#define SERVER_TURN_NS 5000000LL                /* one connection's requests per turn, at most */
#define SERVER_ACCEPT_BURST 64                  /* connections accepted per wake-up */
#define SERVER_ACCEPT_RETRY_MS 100              /* pause after running out of descriptors */
#define SERVER_TOO_LONG "request line too long (over 1 MiB)"

/* One queued line. */
struct server_out {
	struct server_out *next;
	size_t len;           /* bytes of data, its newline included */
	char *data;           /* owned */
};

struct server_conn {
	struct server *srv;            /* borrowed */
	struct server_conn *prev, *next; /* in srv->conns, or srv->dead once closed */
	unsigned long long id;         /* never reused by this server */
	int fd;                        /* owned; -1 once closed */
	uid_t uid;                     /* the peer's, from SO_PEERCRED */
	char *in;                      /* owned: bytes read and not yet handled */
	size_t in_off;                 /* bytes of in already handled */
	size_t in_len;                 /* bytes in in, handled ones included */
	size_t in_cap;                 /* bytes allocated for in */
	size_t in_scan;                /* bytes of in (from in_off) known to hold no '\n' */
	bool skipping;                 /* dropping the rest of a line that was too long */
	bool eof;                      /* the client will send nothing more */
	bool closing;                  /* close once the queue is written */
	bool backlog;                  /* its turn ran out with requests left in in */
	struct loop_timer *resume;     /* gives it its next turn; NULL when not armed */
	struct server_out *out_head, *out_tail; /* owned: the queue */
	size_t out_off;                /* bytes of out_head already written */
	size_t out_bytes;              /* bytes queued and not yet written */
	unsigned topics;               /* PROTO_TOPIC_* subscribed to */
	unsigned long long dropped;    /* events dropped since one was last queued */
	unsigned watching;             /* LOOP_* events the loop waits for */
};

struct server {
	struct loop *loop;             /* borrowed */
	int fd;                        /* owned: the listening socket; -1 once closed */
	char *path;                    /* owned: the socket file */
	dev_t dev;                     /* of the socket file, so free unlinks only our own */
	ino_t ino;
	server_request_fn fn;
	void *fn_arg;                  /* borrowed, handed to fn */
	struct server_conn *conns;     /* owned: open connections */
	size_t nconns;
	struct server_conn *dead;      /* owned: closed connections waiting to be freed */
	struct loop_timer *reap;       /* frees dead; NULL when not armed */
	struct loop_timer *retry;      /* resumes accepting after EMFILE; NULL when not armed */
	unsigned long long next_id;
	int busy;                      /* callbacks of this server on the stack */
	bool freed;                    /* server_free ran while busy */
};

/* ---- connections: closing and freeing ---------------------------------- */

/* Frees a connection's queue and input. */
static void
server_conn_release(struct server_conn *c)
{
	struct server_out *o = c->out_head;
	while (o != NULL) {
		struct server_out *next = o->next;
		free(o->data);
		free(o);
		o = next;
	}
	c->out_head = c->out_tail = NULL;
	c->out_bytes = c->out_off = 0;
	free(c->in);
	c->in = NULL;
	c->in_off = c->in_len = c->in_cap = c->in_scan = 0;
}

/* Frees every closed connection. */
static void
server_reap_dead(struct server *s)
{
	while (s->dead != NULL) {
		struct server_conn *c = s->dead;
		s->dead = c->next;
		free(c);
	}
}

/* The 0 ms timer after a close: frees the closed connections. */
static void
server_reap_fired(struct loop *l, void *arg)
{
	(void)l;
	struct server *s = arg;
	s->reap = NULL;
	server_reap_dead(s);
}

/* Closes a connection now and moves it to the dead list, to be freed from a timer. */
static void
server_conn_close(struct server_conn *c)
{
	struct server *s = c->srv;
	if (c->fd < 0)
		return;
	loop_unwatch(s->loop, c->fd);
	close(c->fd);
	c->fd = -1;
	loop_timer_cancel(s->loop, c->resume);
	c->resume = NULL;
	server_conn_release(c);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	s->nconns--;
	c->prev = NULL;
	c->next = s->dead;
	s->dead = c;
	if (s->reap == NULL && !s->freed)
		s->reap = loop_timer_after(s->loop, 0, server_reap_fired, s);
	/* Without a timer the struct waits for the next one, or for server_free. */
}

/* ---- connections: output ----------------------------------------------- */

/* Watches for what the connection can do now: read while not paused, write while queued. */
static void
server_conn_rewatch(struct server_conn *c)
{
	if (c->fd < 0)
		return;
	unsigned want = 0;
	if (!c->eof && !c->closing && !c->backlog && c->out_bytes <= SERVER_PAUSE_BYTES)
		want |= LOOP_READ;
	if (c->out_bytes > 0)
		want |= LOOP_WRITE;
	if (want == c->watching)
		return;
	if (loop_rewatch(c->srv->loop, c->fd, want) < 0) {
		server_conn_close(c);
		return;
	}
	c->watching = want;
}

/* Appends a line (taking it) to the queue; false when out of memory. */
static bool
server_conn_queue(struct server_conn *c, char *line, size_t len)
{
	if (len == 0) {
		free(line); /* nothing to write (and a 0-byte write would never drain) */
		return true;
	}
	struct server_out *o = malloc(sizeof(*o));
	if (o == NULL) {
		free(line);
		return false;
	}
	o->next = NULL;
	o->len = len;
	o->data = line;
	if (c->out_tail != NULL)
		c->out_tail->next = o;
	else
		c->out_head = o;
	c->out_tail = o;
	c->out_bytes += len;
	return true;
}

/* Writes as much of the queue as the socket takes; closes the connection on an error. */
static void
server_conn_flush(struct server_conn *c)
{
	while (c->out_head != NULL && c->fd >= 0) {
		struct iovec iov[SERVER_IOV];
		int n = 0;
		for (struct server_out *o = c->out_head; o != NULL && n < SERVER_IOV; o = o->next) {
			size_t skip = n == 0 ? c->out_off : 0;
			iov[n].iov_base = o->data + skip;
			iov[n].iov_len = o->len - skip;
			n++;
		}
		struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)n};
		ssize_t w = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			server_conn_close(c);
			return;
		}
		size_t left = (size_t)w;
		c->out_bytes -= left;
		while (left > 0) {
			struct server_out *o = c->out_head;
			size_t rest = o->len - c->out_off;
			if (left < rest) {
				c->out_off += left;
				break;
			}
			left -= rest;
			c->out_off = 0;
			c->out_head = o->next;
			if (c->out_head == NULL)
				c->out_tail = NULL;
			free(o->data);
			free(o);
		}
	}
	if (c->fd >= 0 && c->out_head == NULL && c->closing)
		server_conn_close(c);
}

void
server_send(struct server_conn *c, char *line)
{
	if (c == NULL || c->fd < 0 || c->closing) {
		free(line);
		return;
	}
	if (line == NULL || c->out_bytes > SERVER_REPLY_BYTES) {
		/* A lost reply would leave the client waiting: EOF tells it. */
		free(line);
		server_conn_close(c);
		return;
	}
	if (!server_conn_queue(c, line, strlen(line))) {
		server_conn_close(c);
		return;
	}
	server_conn_rewatch(c);
}

void
server_close_after_write(struct server_conn *c)
{
	if (c == NULL || c->fd < 0)
		return;
	c->closing = true;
	if (c->out_head == NULL)
		server_conn_close(c);
	else
		server_conn_rewatch(c);
}

void
server_subscribe(struct server_conn *c, unsigned topics)
{
	if (c != NULL && c->fd >= 0)
		c->topics |= topics;
}

/* A copy of an event line with ,"dropped":N before its last '}'; NULL when out of memory. */
static char *
server_event_copy(const char *line, size_t len, unsigned long long dropped, size_t *out_len)
{
	char tail[40] = "";
	bool splice = dropped > 0 && len >= 2 && line[len - 1] == '\n' && line[len - 2] == '}';
	if (splice)
		snprintf(tail, sizeof(tail), ",\"dropped\":%llu}\n", dropped);
	size_t keep = splice ? len - 2 : len;
	size_t tlen = strlen(tail);
	char *copy = malloc(keep + tlen + 1);
	if (copy == NULL)
		return NULL;
	memcpy(copy, line, keep);
	memcpy(copy + keep, tail, tlen + 1);
	*out_len = keep + tlen;
	return copy;
}

void
server_broadcast(struct server *s, unsigned topic, const char *line)
{
	size_t len = line != NULL ? strlen(line) : 0;
	if (s == NULL || s->freed || (line != NULL && len == 0))
		return;
	struct server_conn *next;
	for (struct server_conn *c = s->conns; c != NULL; c = next) {
		next = c->next; /* closing c moves it to the dead list */
		if (!(c->topics & topic) || c->closing)
			continue;
		if (line == NULL || c->out_bytes > SERVER_EVENT_BYTES) {
			c->dropped++;
			continue;
		}
		size_t n;
		char *copy = server_event_copy(line, len, c->dropped, &n);
		if (copy == NULL || !server_conn_queue(c, copy, n)) { /* the queue took copy */
			c->dropped++;
			continue;
		}
		c->dropped = 0;
		server_conn_rewatch(c);
	}
}

bool
server_has_subscribers(const struct server *s, unsigned topic)
{
	if (s == NULL)
		return false;
	for (const struct server_conn *c = s->conns; c != NULL; c = c->next)
		if ((c->topics & topic) && !c->closing)
			return true;
	return false;
}

/* ---- connections: input ------------------------------------------------ */

/* Parses one complete line and answers it, or hands it to the handler. */
static void
server_conn_dispatch(struct server_conn *c, const char *line, size_t len)
{
	size_t blank = 0;
	while (blank < len && (line[blank] == ' ' || line[blank] == '\t' || line[blank] == '\r'))
		blank++;
	if (blank == len)
		return;
	struct proto_req req;
	char err[512];
	if (!proto_parse_request(line, len, &req, err, sizeof(err))) {
		server_send(c, proto_reply_error(req.has_id, req.id, "%s", err));
		return;
	}
	struct server *s = c->srv;
	s->fn(c, &req, s->fn_arg);
	proto_req_fini(&req);
}

/*
 * Handles the complete lines in the input buffer while the client reads its
 * replies; stops early when the connection closes, its queue passes the
 * pause bound, or its turn (SERVER_TURN_NS) is over, so one client's burst
 * of costly requests cannot hold up the others. What is left waits in the
 * buffer.
 */
static void
server_conn_process(struct server_conn *c)
{
	struct server *s = c->srv;
	int64_t start = loop_now();
	c->backlog = false;
	while (c->fd >= 0 && !c->closing && !s->freed && c->out_bytes <= SERVER_PAUSE_BYTES &&
	    c->in_off < c->in_len) {
		char *line = c->in + c->in_off;
		size_t avail = c->in_len - c->in_off;
		char *nl = memchr(line + c->in_scan, '\n', avail - c->in_scan);
		if (c->skipping) {
			c->in_scan = 0;
			if (nl == NULL) {
				c->in_off = c->in_len = 0; /* all of it belongs to the long line */
				break;
			}
			c->skipping = false;
			c->in_off += (size_t)(nl - line) + 1;
			continue;
		}
		if (nl == NULL) {
			if (avail > PROTO_MAX_LINE) {
				server_send(c, proto_reply_error(false, 0, SERVER_TOO_LONG));
				c->skipping = true;
				c->in_off = c->in_len = c->in_scan = 0;
			} else {
				c->in_scan = avail;
			}
			break;
		}
		size_t len = (size_t)(nl - line);
		c->in_off += len + 1;
		c->in_scan = 0;
		if (len > PROTO_MAX_LINE)
			server_send(c, proto_reply_error(false, 0, SERVER_TOO_LONG));
		else
			server_conn_dispatch(c, line, len); /* the buffer stays put until we return */
		if (loop_now() - start > SERVER_TURN_NS) {
			c->backlog = true;
			break;
		}
	}
	if (c->fd >= 0 && c->in_off == c->in_len)
		c->in_off = c->in_len = 0;
}

/* Reads what the client sent; EOF or an error ends its input. */
static void
server_conn_read(struct server_conn *c)
{
	if (c->in_off > 0) {
		/* Move the partial line to the front before reading after it. */
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->in_off = 0;
	}
	if (c->in_cap - c->in_len < SERVER_READ_CHUNK) {
		size_t cap = c->in_cap ? c->in_cap : SERVER_READ_CHUNK;
		while (cap - c->in_len < SERVER_READ_CHUNK)
			cap *= 2;
		char *in = realloc(c->in, cap);
		if (in == NULL) {
			server_conn_close(c);
			return;
		}
		c->in = in;
		c->in_cap = cap;
	}
	ssize_t n = read(c->fd, c->in + c->in_len, SERVER_READ_CHUNK);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		server_conn_close(c);
		return;
	}
	if (n == 0) {
		c->eof = true; /* lines already here are still answered */
		return;
	}
	c->in_len += (size_t)n;
}

static void server_destroy(struct server *s);
static void server_conn_resume(struct loop *l, void *arg);

/* Answers what can be answered now, then decides what the connection waits for. */
static void
server_conn_turn(struct server_conn *c)
{
	if (c->fd >= 0)
		server_conn_process(c);
	if (c->fd >= 0 && c->backlog && c->resume == NULL) {
		c->resume = loop_timer_after(c->srv->loop, 0, server_conn_resume, c);
		if (c->resume == NULL)
			c->backlog = false; /* no timer: the next read event carries on */
	}
	if (c->fd >= 0 && c->eof && !c->backlog && c->out_bytes <= SERVER_PAUSE_BYTES) {
		/* Every complete line is answered: drop a partial one, close once written. */
		c->in_off = c->in_len = c->in_scan = 0;
		server_close_after_write(c);
	}
	if (c->fd >= 0)
		server_conn_rewatch(c);
}

/* The connection's next turn with requests left over from the last one. */
static void
server_conn_resume(struct loop *l, void *arg)
{
	(void)l;
	struct server_conn *c = arg;
	struct server *s = c->srv;
	c->resume = NULL;
	s->busy++;
	server_conn_turn(c);
	if (--s->busy == 0 && s->freed)
		server_destroy(s);
}

/* A connection is readable or writable: writes, reads, then takes its turn. */
static void
server_conn_event(struct loop *l, int fd, unsigned events, void *arg)
{
	(void)l;
	(void)fd;
	struct server_conn *c = arg;
	struct server *s = c->srv;
	s->busy++;
	if (events & LOOP_WRITE)
		server_conn_flush(c);
	if (c->fd >= 0 && (c->watching & LOOP_READ) && (events & LOOP_READ))
		server_conn_read(c);
	else if (c->fd >= 0 && (events & LOOP_HUP))
		server_conn_close(c); /* hung up or failed while we were not reading */
	if (c->fd >= 0 && c->resume == NULL)
		server_conn_turn(c);
	else if (c->fd >= 0)
		server_conn_rewatch(c); /* its next turn is already due */
	if (--s->busy == 0 && s->freed)
		server_destroy(s);
}

/* ---- the listening socket ---------------------------------------------- */

/* Resumes accepting once the pause after running out of descriptors is over. */
static void
server_retry_fired(struct loop *l, void *arg)
{
	struct server *s = arg;
	s->retry = NULL;
	loop_rewatch(l, s->fd, LOOP_READ);
}

/* Sends the one line a refused peer gets; best effort (it is short, the buffer is empty). */
static void
server_refuse(int fd, uid_t uid)
{
	char *line = proto_reply_error(false, 0, "permission denied: uid %lu is not the engine's user",
	    (unsigned long)uid);
	if (line != NULL) {
		ssize_t w = send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT);
		(void)w;
		free(line);
	}
	close(fd);
}

/* Takes over an accepted socket as a connection. */
static void
server_adopt(struct server *s, int fd, uid_t uid)
{
	struct server_conn *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(fd);
		return;
	}
	c->srv = s;
	c->fd = fd;
	c->uid = uid;
	c->id = ++s->next_id;
	c->watching = LOOP_READ;
	if (loop_watch(s->loop, fd, LOOP_READ, server_conn_event, c) < 0) {
		close(fd);
		free(c);
		return;
	}
	c->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
}

/* Accepts waiting clients: the engine's user and root are served, others refused. */
static void
server_accept_ready(struct loop *l, int fd, unsigned events, void *arg)
{
	(void)events;
	struct server *s = arg;
	for (int i = 0; i < SERVER_ACCEPT_BURST; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				/* Level-triggered: without a pause this would spin until a descriptor frees. */
				if (s->retry == NULL) {
					s->retry = loop_timer_after(l, SERVER_ACCEPT_RETRY_MS,
					    server_retry_fired, s);
					if (s->retry != NULL)
						loop_rewatch(l, fd, 0);
				}
			}
			return;
		}
		struct ucred cred;
		socklen_t clen = sizeof(cred);
		if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0) {
			close(cfd);
			continue;
		}
		if (cred.uid != getuid() && cred.uid != 0) {
			server_refuse(cfd, cred.uid);
			continue;
		}
		server_adopt(s, cfd, cred.uid);
	}
}

/* ---- creating and freeing ---------------------------------------------- */

/* Checks the folder that will hold the socket: ours (or root's) and writable by nobody else. */
static bool
server_check_folder(const char *path, char *err, size_t err_size)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const char *slash = strrchr(path, '/');
	if (slash == NULL) {
		snprintf(dir, sizeof(dir), ".");
	} else if (slash == path) {
		snprintf(dir, sizeof(dir), "/");
	} else {
		size_t n = (size_t)(slash - path);
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	struct stat st;
	if (stat(dir, &st) < 0) {
		snprintf(err, err_size, "cannot use the folder %s for the control socket: %s", dir,
		    strerror(errno));
		return false;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, err_size, "%s is not a folder", dir);
		return false;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		snprintf(err, err_size,
		    "the folder %s belongs to uid %lu, not to this user; refusing to put the control "
		    "socket there", dir, (unsigned long)st.st_uid);
		return false;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, err_size,
		    "the folder %s is writable by other users (mode %03o); refusing to put the control "
		    "socket there", dir, (unsigned)(st.st_mode & 0777));
		return false;
	}
	return true;
}

/* Clears the way for the socket file: nothing there, or a socket nobody listens on (removed). */
static bool
server_clear_stale(const char *path, const struct sockaddr_un *addr, char *err, size_t err_size)
{
	struct stat st;
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return true;
		snprintf(err, err_size, "cannot use %s for the control socket: %s", path,
		    strerror(errno));
		return false;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, err_size, "%s exists and is not a socket; refusing to replace it", path);
		return false;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, err_size, "cannot create a socket: %s", strerror(errno));
		return false;
	}
	int rc = connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
	int saved = errno;
	close(fd);
	if (rc == 0 || saved == EAGAIN) {
		/* EAGAIN: its backlog is full, so it is alive and busy. */
		snprintf(err, err_size, "another engine is listening on %s", path);
		return false;
	}
	if (saved == ENOENT)
		return true; /* gone since lstat */
	if (saved != ECONNREFUSED) {
		snprintf(err, err_size, "cannot tell whether an engine is listening on %s: %s", path,
		    strerror(saved));
		return false;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		snprintf(err, err_size, "cannot remove the stale socket %s: %s", path, strerror(errno));
		return false;
	}
	return true;
}

/* Creates, binds (mode 0600) and listens; the descriptor, or -1 with a message. */
static int
server_listen(const char *path, const struct sockaddr_un *addr, char *err, size_t err_size)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, err_size, "cannot create a socket: %s", strerror(errno));
		return -1;
	}
	/* The engine is single-threaded, so the umask change is seen by nothing else. */
	mode_t old = umask(0177);
	int rc = bind(fd, (const struct sockaddr *)addr, sizeof(*addr));
	int saved = errno;
	umask(old);
	if (rc < 0) {
		snprintf(err, err_size, "cannot create the control socket %s: %s", path,
		    strerror(saved));
		close(fd);
		return -1;
	}
	if (chmod(path, 0600) < 0 || listen(fd, SOMAXCONN) < 0) {
		snprintf(err, err_size, "cannot listen on %s: %s", path, strerror(errno));
		unlink(path);
		close(fd);
		return -1;
	}
	return fd;
}

struct server *
server_new(struct loop *l, const char *path, server_request_fn fn, void *arg, char *err,
    size_t err_size)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	size_t plen = strlen(path);
	if (plen == 0 || plen >= sizeof(addr.sun_path)) {
		snprintf(err, err_size, "the control socket path must be 1 to %zu bytes long: %s "
		    "(a deep folder: give a shorter one with --socket PATH or VIGIL_SOCKET)",
		    sizeof(addr.sun_path) - 1, path);
		return NULL;
	}
	memcpy(addr.sun_path, path, plen + 1);
	if (!server_check_folder(path, err, err_size) ||
	    !server_clear_stale(path, &addr, err, err_size))
		return NULL;
	struct server *s = calloc(1, sizeof(*s));
	if (s == NULL || (s->path = strdup(path)) == NULL) {
		free(s);
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	s->loop = l;
	s->fn = fn;
	s->fn_arg = arg;
	s->fd = server_listen(path, &addr, err, err_size);
	if (s->fd < 0) {
		free(s->path);
		free(s);
		return NULL;
	}
	struct stat st;
	if (stat(path, &st) < 0 || loop_watch(l, s->fd, LOOP_READ, server_accept_ready, s) < 0) {
		snprintf(err, err_size, "cannot watch the control socket %s: %s", path,
		    strerror(errno));
		unlink(path);
		close(s->fd);
		free(s->path);
		free(s);
		return NULL;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	return s;
}

/* Frees what server_free left: the dead connections and the server itself. */
static void
server_destroy(struct server *s)
{
	server_reap_dead(s);
	free(s->path);
	free(s);
}

void
server_free(struct server *s)
{
	if (s == NULL || s->freed)
		return;
	s->freed = true;
	while (s->conns != NULL) {
		/* What is queued (the reply to `down`, say) goes out if the socket takes it now. */
		struct server_conn *c = s->conns;
		server_conn_flush(c);
		if (s->conns == c)
			server_conn_close(c);
	}
	loop_timer_cancel(s->loop, s->reap);
	loop_timer_cancel(s->loop, s->retry);
	s->reap = s->retry = NULL;
	if (s->fd >= 0) {
		loop_unwatch(s->loop, s->fd);
		close(s->fd);
		s->fd = -1;
	}
	/* Unlink only our own file: another engine may have replaced it since. */
	struct stat st;
	if (lstat(s->path, &st) == 0 && st.st_dev == s->dev && st.st_ino == s->ino)
		unlink(s->path);
	if (s->busy == 0)
		server_destroy(s);
}

/* ---- queries ----------------------------------------------------------- */

size_t
server_clients(const struct server *s)
{
	return s != NULL ? s->nconns : 0;
}

unsigned long long
server_conn_id(const struct server_conn *c)
{
	return c->id;
}

struct server_conn *
server_conn_find(struct server *s, unsigned long long id)
{
	if (s == NULL)
		return NULL;
	for (struct server_conn *c = s->conns; c != NULL; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

uid_t
server_peer_uid(const struct server_conn *c)
{
	return c->uid;
}
