/*
 * stream — the control protocol's newline-delimited JSON over a pair of
 * non-blocking descriptors driven by the event loop: the dashboard's side
 * of a connection to an engine, whether a Unix socket (one fd both ways) or
 * the stdin/stdout pipes of `ssh host vigil attach --stdio`. Messages in
 * are parsed and handed to a callback; messages out are queued and written
 * as the descriptor takes them. Nothing blocks; every buffer is bounded.
 */
#ifndef VIGIL_CORE_STREAM_H
#define VIGIL_CORE_STREAM_H

#include <stdbool.h>
#include <stddef.h>

struct cJSON;
struct loop;
struct stream;

#define STREAM_MAX_LINE ((size_t)64 << 20) /* a message over 64 MiB ends the stream */
#define STREAM_MAX_QUEUE ((size_t)4 << 20)  /* unsent bytes beyond this end the stream */

/* One message (borrowed: valid during the call). */
typedef void (*stream_msg_fn)(const struct cJSON *msg, void *arg);
/*
 * The stream ended: EOF, an error, or a bound passed; why says which. After
 * it, only stream_free, and not from inside this callback (on_msg may free).
 */
typedef void (*stream_end_fn)(const char *why, void *arg);

/*
 * A stream reading rfd and writing wfd (the same fd for a socket); it owns
 * both and closes them. NULL with errno.
 */
struct stream *stream_new(struct loop *l, int rfd, int wfd, stream_msg_fn on_msg,
    stream_end_fn on_end, void *arg);
/* Unwatches and closes; NULL is fine. */
void stream_free(struct stream *s);
/* Queues msg (takes it) with an "id" (returned, > 0); 0 when the stream has ended. */
long stream_send(struct stream *s, struct cJSON *msg);
/* Queues a raw line (the newline is added). False when the stream has ended. */
bool stream_send_line(struct stream *s, const char *line, size_t len);
/* True once on_end was called. */
bool stream_ended(const struct stream *s);

#endif
