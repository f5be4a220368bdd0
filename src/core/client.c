/*
 * client — owns one connection to an engine's control socket: the socket,
 * a buffer of bytes read and not yet returned as messages, and the id of
 * the next request.
 *
 * Reading is a line reader over poll(): one deadline per call, so a reply
 * made of many reads still returns within the caller's timeout. Lines are
 * bounded by CLIENT_MAX_LINE (a logs reply can be large, not unbounded); a
 * longer one breaks the connection for good, since the rest of the stream
 * can no longer be trusted to start at a line.
 */
#include "core/client.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <libgen.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define CLIENT_MAX_LINE ((size_t)64 << 20)  /* bytes of one reply or event */
#define CLIENT_READ_CHUNK ((size_t)64 << 10) /* bytes asked of each read */
#define CLIENT_CONNECT_TIMEOUT_S 5          /* an engine whose backlog is full */
#define CLIENT_SOCKET_NAME ".vigil/control.sock"

struct client {
	int fd;              /* owned */
	char *buf;           /* owned: bytes read and not yet returned */
	size_t off;          /* bytes of buf already returned */
	size_t len;          /* bytes in buf, returned ones included */
	size_t cap;          /* bytes allocated for buf */
	size_t scan;         /* bytes of buf (from off) known to hold no '\n' */
	long long next_id;   /* the id client_send gives the next request */
	long long last_id;   /* the id of the request sent last */
	bool broken;         /* a line was too long: the stream is lost */
};

/* Milliseconds on the monotonic clock. */
static int64_t
client_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- finding the socket ------------------------------------------------ */

/* Copies path into buf; false with a message when it does not fit. */
static bool
client_copy_path(const char *path, char *buf, size_t size, char *err, size_t err_size)
{
	if (strlen(path) >= size) {
		snprintf(err, err_size, "the control socket path is too long: %s", path);
		return false;
	}
	memcpy(buf, path, strlen(path) + 1);
	return true;
}

/* Looks for .vigil/control.sock in start and each folder above; sets *found; false on error. */
static bool
client_walk_up(const char *start, char *buf, size_t size, char *err, size_t err_size,
    bool *found)
{
	size_t n = strlen(start);
	char *dir = malloc(n + sizeof("/" CLIENT_SOCKET_NAME));
	if (dir == NULL) {
		snprintf(err, err_size, "out of memory");
		return false;
	}
	memcpy(dir, start, n + 1);
	*found = false;
	for (;;) {
		/* dir is "/" or has no trailing slash. */
		size_t dlen = strlen(dir);
		char *candidate = dir + dlen;
		snprintf(candidate, sizeof("/" CLIENT_SOCKET_NAME), "%s%s",
		    dlen > 0 && dir[dlen - 1] == '/' ? "" : "/", CLIENT_SOCKET_NAME);
		struct stat st;
		if (stat(dir, &st) == 0 && S_ISSOCK(st.st_mode)) {
			*found = true;
			bool ok = client_copy_path(dir, buf, size, err, err_size);
			free(dir);
			return ok;
		}
		*candidate = '\0';
		char *slash = strrchr(dir, '/');
		if (slash == NULL || dlen <= 1)
			break; /* "/" was the last */
		if (slash == dir)
			slash[1] = '\0'; /* the parent is "/" */
		else
			*slash = '\0';
	}
	free(dir);
	return true;
}

bool
client_find_socket(const char *explicit_socket, const char *stack_file, char *buf, size_t size,
    char *err, size_t err_size)
{
	if (explicit_socket != NULL && *explicit_socket != '\0')
		return client_copy_path(explicit_socket, buf, size, err, err_size);
	const char *env = getenv("VIGIL_SOCKET");
	if (env != NULL && *env != '\0')
		return client_copy_path(env, buf, size, err, err_size);
	if (stack_file != NULL && *stack_file != '\0') {
		char *copy = strdup(stack_file);
		if (copy == NULL) {
			snprintf(err, err_size, "out of memory");
			return false;
		}
		char *real = realpath(dirname(copy), NULL);
		int saved = errno;
		free(copy);
		if (real == NULL) {
			snprintf(err, err_size, "cannot find the folder of %s: %s", stack_file,
			    strerror(saved));
			return false;
		}
		size_t need = strlen(real) + sizeof("/" CLIENT_SOCKET_NAME);
		bool ok = need <= size;
		if (ok)
			snprintf(buf, size, "%s%s%s", real, strcmp(real, "/") == 0 ? "" : "/",
			    CLIENT_SOCKET_NAME);
		else
			snprintf(err, err_size, "the control socket path is too long: %s/%s", real,
			    CLIENT_SOCKET_NAME);
		free(real);
		return ok;
	}
	char *cwd = getcwd(NULL, 0);
	if (cwd == NULL) {
		snprintf(err, err_size, "cannot tell the current folder: %s", strerror(errno));
		return false;
	}
	bool found = false;
	bool ok = client_walk_up(cwd, buf, size, err, err_size, &found);
	free(cwd);
	if (ok && !found) {
		snprintf(err, err_size, "no running stack found here (no .vigil/control.sock in this "
		    "folder or above; use -f FILE or --socket PATH)");
		return false;
	}
	return ok;
}

/* ---- connecting -------------------------------------------------------- */

struct client *
client_connect(const char *path, char *err, size_t err_size)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(addr.sun_path)) {
		snprintf(err, err_size, "the control socket path is too long (over %zu bytes): %s "
		    "(give the engine's shorter one with --socket PATH or VIGIL_SOCKET)",
		    sizeof(addr.sun_path) - 1, path);
		return NULL;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	struct client *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	c->next_id = 1;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		snprintf(err, err_size, "cannot create a socket: %s", strerror(errno));
		free(c);
		return NULL;
	}
	/* A blocking connect waits while the engine's backlog is full; not for ever. */
	struct timeval tv = {.tv_sec = CLIENT_CONNECT_TIMEOUT_S};
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	int rc;
	do
		rc = connect(c->fd, (const struct sockaddr *)&addr, sizeof(addr));
	while (rc < 0 && errno == EINTR);
	if (rc < 0) {
		int saved = errno; /* the caller may tell "not running" from the other failures */
		if (errno == ENOENT)
			snprintf(err, err_size, "no engine is running for %s (no socket there)", path);
		else if (errno == ECONNREFUSED)
			snprintf(err, err_size, "no engine is running for %s (stale socket)", path);
		else if (errno == EAGAIN)
			snprintf(err, err_size, "the engine at %s is not accepting connections (timed out "
			    "after %ds)", path, CLIENT_CONNECT_TIMEOUT_S);
		else
			snprintf(err, err_size, "cannot connect to %s: %s", path, strerror(errno));
		close(c->fd);
		free(c);
		errno = saved;
		return NULL;
	}
	return c;
}

void
client_free(struct client *c)
{
	if (c == NULL)
		return;
	close(c->fd);
	free(c->buf);
	free(c);
}

int
client_fd(const struct client *c)
{
	return c->fd;
}

/* ---- sending ----------------------------------------------------------- */

bool
client_send(struct client *c, cJSON *req, char *err, size_t err_size)
{
	if (!cJSON_IsObject(req)) {
		snprintf(err, err_size, req == NULL ? "out of memory" : "a request must be a JSON object");
		cJSON_Delete(req);
		return false;
	}
	long long id = c->next_id++;
	cJSON_DeleteItemFromObjectCaseSensitive(req, "id");
	char *text = NULL;
	if (cJSON_AddNumberToObject(req, "id", (double)id) != NULL)
		text = cJSON_PrintUnformatted(req);
	cJSON_Delete(req);
	if (text == NULL) {
		snprintf(err, err_size, "out of memory");
		return false;
	}
	size_t n = strlen(text);
	text[n] = '\n'; /* over the NUL: the length, not the terminator, bounds what is sent */
	size_t done = 0;
	bool ok = true;
	while (done < n + 1) {
		ssize_t w = send(c->fd, text + done, n + 1 - done, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				snprintf(err, err_size, "timed out sending to the engine");
			else if (errno == EPIPE || errno == ECONNRESET)
				snprintf(err, err_size, "the engine closed the connection");
			else
				snprintf(err, err_size, "cannot send to the engine: %s", strerror(errno));
			ok = false;
			break;
		}
		done += (size_t)w;
	}
	cJSON_free(text);
	if (ok)
		c->last_id = id;
	return ok;
}

/* ---- reading ----------------------------------------------------------- */

/* Makes room for one more read; false when out of memory. */
static bool
client_reserve(struct client *c)
{
	if (c->off > 0 && c->off == c->len) {
		c->off = c->len = c->scan = 0;
	} else if (c->off > 0 && c->cap - c->len < CLIENT_READ_CHUNK) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	if (c->cap - c->len >= CLIENT_READ_CHUNK)
		return true;
	/* Doubling, but no further than one line over the bound needs. */
	size_t cap = c->cap ? c->cap * 2 : CLIENT_READ_CHUNK * 2;
	while (cap - c->len < CLIENT_READ_CHUNK)
		cap *= 2;
	if (cap > CLIENT_MAX_LINE + 2 * CLIENT_READ_CHUNK)
		cap = CLIENT_MAX_LINE + 2 * CLIENT_READ_CHUNK;
	char *b = realloc(c->buf, cap);
	if (b == NULL)
		return false;
	c->buf = b;
	c->cap = cap;
	return true;
}

/* The next complete line, parsed; *got is false when no complete line is buffered. */
static cJSON *
client_take_line(struct client *c, bool *got, char *err, size_t err_size)
{
	*got = false;
	while (c->off < c->len) {
		char *start = c->buf + c->off;
		size_t avail = c->len - c->off;
		char *nl = memchr(start + c->scan, '\n', avail - c->scan);
		if (nl == NULL) {
			c->scan = avail;
			if (avail > CLIENT_MAX_LINE) {
				c->broken = true;
				*got = true;
				snprintf(err, err_size, "a message from the engine is longer than %zu MiB",
				    CLIENT_MAX_LINE >> 20);
			}
			return NULL;
		}
		size_t len = (size_t)(nl - start);
		c->off += len + 1;
		c->scan = 0;
		if (len == 0 || (len == 1 && start[0] == '\r'))
			continue;
		*got = true;
		cJSON *msg = cJSON_ParseWithLength(start, len);
		if (!cJSON_IsObject(msg)) {
			cJSON_Delete(msg);
			snprintf(err, err_size, "invalid reply from the engine");
			return NULL;
		}
		return msg;
	}
	return NULL;
}

cJSON *
client_read(struct client *c, int timeout_ms, char *err, size_t err_size)
{
	if (c->broken) {
		snprintf(err, err_size, "a message from the engine is longer than %zu MiB",
		    CLIENT_MAX_LINE >> 20);
		return NULL;
	}
	int64_t deadline = timeout_ms >= 0 ? client_now_ms() + timeout_ms : 0;
	for (;;) {
		bool got;
		cJSON *msg = client_take_line(c, &got, err, err_size);
		if (got)
			return msg;
		int wait = -1;
		if (timeout_ms >= 0) {
			int64_t left = deadline - client_now_ms();
			if (left < 0)
				left = 0;
			wait = (int)left;
		}
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		int rc = poll(&p, 1, wait);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0) {
			snprintf(err, err_size, "cannot wait for the engine: %s", strerror(errno));
			return NULL;
		}
		if (rc == 0) {
			snprintf(err, err_size, "timed out after %dms", timeout_ms);
			return NULL;
		}
		if (!client_reserve(c)) {
			snprintf(err, err_size, "out of memory");
			return NULL;
		}
		ssize_t n = recv(c->fd, c->buf + c->len, CLIENT_READ_CHUNK, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (n < 0 && errno != ECONNRESET) {
			snprintf(err, err_size, "cannot read from the engine: %s", strerror(errno));
			return NULL;
		}
		if (n <= 0) {
			snprintf(err, err_size, "the engine closed the connection");
			return NULL;
		}
		c->len += (size_t)n;
	}
}

/*
 * Returns the reply whose id is the request's. An error reply with a null
 * id is returned too: the engine could not tell the id (e.g. the request was
 * too long, or this user is refused), and it is about this request.
 */
cJSON *
client_call(struct client *c, cJSON *req, int timeout_ms, char *err, size_t err_size)
{
	if (!client_send(c, req, err, err_size))
		return NULL;
	int64_t deadline = timeout_ms >= 0 ? client_now_ms() + timeout_ms : 0;
	for (;;) {
		int left = -1;
		if (timeout_ms >= 0) {
			int64_t ms = deadline - client_now_ms();
			left = ms > 0 ? (int)ms : 0;
		}
		cJSON *msg = client_read(c, left, err, err_size);
		if (msg == NULL) {
			if (timeout_ms >= 0 && strncmp(err, "timed out", 9) == 0)
				snprintf(err, err_size, "timed out after %dms", timeout_ms);
			return NULL;
		}
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(msg, "id");
		if (cJSON_IsNumber(id) && id->valuedouble == (double)c->last_id)
			return msg;
		if (cJSON_IsNull(id) && cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(msg, "ok")))
			return msg;
		cJSON_Delete(msg); /* an event, or the reply to an earlier request */
	}
}
