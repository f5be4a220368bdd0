/*
 * stream — owns the two descriptors, an input buffer holding at most one
 * partial line (plus what one read brings), and an output queue. The
 * descriptors are made non-blocking; a socket used both ways is watched
 * once, with LOOP_WRITE added only while output waits.
 */
#include "core/stream.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/loop.h"

#define STREAM_READ_CHUNK 65536

struct stream {
	struct loop *loop;      /* borrowed */
	int rfd, wfd;           /* owned; equal for a socket */
	stream_msg_fn on_msg;
	stream_end_fn on_end;
	void *arg;
	char *in;               /* owned: bytes read, not yet a whole line */
	size_t in_len, in_cap;
	char *out;              /* owned: bytes to write */
	size_t out_off, out_len, out_cap;
	long next_id;
	bool ended;
	bool in_callback;       /* on_msg is running: an end is reported after it */
	bool freed_in_callback;
};

static void stream_on_fd(struct loop *l, int fd, unsigned events, void *arg);

/* Ends the stream once, with a reason. */
static void
stream_end(struct stream *s, const char *why)
{
	if (s->ended)
		return;
	s->ended = true;
	loop_unwatch(s->loop, s->rfd);
	if (s->wfd != s->rfd)
		loop_unwatch(s->loop, s->wfd);
	if (s->on_end != NULL)
		s->on_end(why, s->arg);
}

/* What the write side is watched for: LOOP_WRITE while output waits. */
static void
stream_rewatch(struct stream *s)
{
	bool want = s->out_len > s->out_off;
	if (s->wfd == s->rfd)
		loop_rewatch(s->loop, s->rfd, LOOP_READ | (want ? LOOP_WRITE : 0));
	else
		loop_rewatch(s->loop, s->wfd, want ? LOOP_WRITE : 0);
}

/* Writes what the descriptor takes now. */
static void
stream_flush(struct stream *s)
{
	while (s->out_off < s->out_len) {
		ssize_t n = write(s->wfd, s->out + s->out_off, s->out_len - s->out_off);
		if (n > 0) {
			s->out_off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		stream_end(s, n < 0 ? strerror(errno) : "the connection closed");
		return;
	}
	if (s->out_off == s->out_len)
		s->out_off = s->out_len = 0;
	stream_rewatch(s);
}

/* Hands every complete line in the input buffer to on_msg; true when a callback freed s. */
static bool
stream_lines(struct stream *s)
{
	size_t start = 0;
	char *nl;
	while (!s->ended && (nl = memchr(s->in + start, '\n', s->in_len - start)) != NULL) {
		size_t len = (size_t)(nl - (s->in + start));
		cJSON *msg = cJSON_ParseWithLength(s->in + start, len);
		start += len + 1;
		if (msg == NULL) {
			stream_end(s, "the engine sent something that is not JSON");
			break;
		}
		s->in_callback = true;
		if (s->on_msg != NULL)
			s->on_msg(msg, s->arg);
		s->in_callback = false;
		cJSON_Delete(msg);
		if (s->freed_in_callback) {
			free(s);
			return true;
		}
	}
	if (s->ended)
		return false;
	memmove(s->in, s->in + start, s->in_len - start);
	s->in_len -= start;
	return false;
}

static void
stream_read(struct stream *s)
{
	for (int round = 0; round < 16 && !s->ended; round++) {
		if (s->in_cap - s->in_len < STREAM_READ_CHUNK) {
			size_t cap = s->in_cap ? s->in_cap * 2 : 2 * STREAM_READ_CHUNK;
			if (cap > STREAM_MAX_LINE + STREAM_READ_CHUNK) {
				stream_end(s, "a message from the engine is too long");
				return;
			}
			char *p = realloc(s->in, cap);
			if (p == NULL) {
				stream_end(s, "out of memory");
				return;
			}
			s->in = p;
			s->in_cap = cap;
		}
		ssize_t n = read(s->rfd, s->in + s->in_len, s->in_cap - s->in_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			stream_end(s, n == 0 ? "the engine closed the connection" : strerror(errno));
			return;
		}
		s->in_len += (size_t)n;
		if (stream_lines(s))
			return; /* freed from a callback: s is gone */
	}
}

static void
stream_on_fd(struct loop *l, int fd, unsigned events, void *arg)
{
	(void)l;
	struct stream *s = arg;
	if ((events & LOOP_WRITE) && fd == s->wfd)
		stream_flush(s);
	if (!s->ended && (events & ~LOOP_WRITE) && fd == s->rfd)
		stream_read(s);
}

struct stream *
stream_new(struct loop *l, int rfd, int wfd, stream_msg_fn on_msg, stream_end_fn on_end,
    void *arg)
{
	struct stream *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	*s = (struct stream){.loop = l, .rfd = rfd, .wfd = wfd, .on_msg = on_msg, .on_end = on_end,
	    .arg = arg, .next_id = 1};
	fcntl(rfd, F_SETFL, fcntl(rfd, F_GETFL) | O_NONBLOCK);
	if (wfd != rfd)
		fcntl(wfd, F_SETFL, fcntl(wfd, F_GETFL) | O_NONBLOCK);
	if (loop_watch(l, rfd, LOOP_READ, stream_on_fd, s) < 0 ||
	    (wfd != rfd && loop_watch(l, wfd, 0, stream_on_fd, s) < 0)) {
		int e = errno;
		loop_unwatch(l, rfd);
		free(s);
		errno = e;
		return NULL;
	}
	return s;
}

void
stream_free(struct stream *s)
{
	if (s == NULL)
		return;
	if (!s->ended) {
		loop_unwatch(s->loop, s->rfd);
		if (s->wfd != s->rfd)
			loop_unwatch(s->loop, s->wfd);
	}
	close(s->rfd);
	if (s->wfd != s->rfd)
		close(s->wfd);
	free(s->in);
	free(s->out);
	if (s->in_callback) {
		s->freed_in_callback = true; /* stream_lines frees the struct on return */
		s->ended = true;
		return;
	}
	free(s);
}

bool
stream_send_line(struct stream *s, const char *line, size_t len)
{
	if (s == NULL || s->ended)
		return false;
	if (s->out_len - s->out_off + len + 1 > STREAM_MAX_QUEUE) {
		stream_end(s, "the engine does not read what is sent");
		return false;
	}
	if (s->out_len + len + 1 > s->out_cap) {
		if (s->out_off > 0) {
			memmove(s->out, s->out + s->out_off, s->out_len - s->out_off);
			s->out_len -= s->out_off;
			s->out_off = 0;
		}
		size_t cap = s->out_cap ? s->out_cap : 4096;
		while (cap < s->out_len + len + 1)
			cap *= 2;
		char *p = realloc(s->out, cap);
		if (p == NULL) {
			stream_end(s, "out of memory");
			return false;
		}
		s->out = p;
		s->out_cap = cap;
	}
	memcpy(s->out + s->out_len, line, len);
	s->out[s->out_len + len] = '\n';
	s->out_len += len + 1;
	stream_flush(s);
	return !s->ended;
}

long
stream_send(struct stream *s, cJSON *msg)
{
	if (s == NULL || s->ended) {
		cJSON_Delete(msg);
		return 0;
	}
	long id = s->next_id++;
	cJSON_DeleteItemFromObjectCaseSensitive(msg, "id");
	cJSON_AddNumberToObject(msg, "id", (double)id);
	char *text = cJSON_PrintUnformatted(msg);
	cJSON_Delete(msg);
	bool ok = text != NULL && stream_send_line(s, text, strlen(text));
	free(text);
	return ok ? id : 0;
}

bool
stream_ended(const struct stream *s)
{
	return s == NULL || s->ended;
}
