/*
 * proto — the control protocol's messages: newline-delimited JSON.
 *
 *   request  {"id":7,"cmd":"restart","target":"@web"}          (or "targets":[...])
 *   reply    {"id":7,"ok":true,"result":{...}}
 *            {"id":7,"ok":false,"error":"no process or group named web"}
 *   event    {"event":"state","data":{...}}   (to subscribers; "dropped":N when some were)
 *
 * Decoding is strict and bounded: a request is one JSON object with a known
 * "cmd"; anything else gets a one-line error naming what is wrong.
 */
#ifndef VIGIL_CORE_PROTO_H
#define VIGIL_CORE_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;

#define PROTO_MAX_LINE ((size_t)1 << 20) /* a request line over 1 MiB is refused */
#define PROTO_MAX_TARGETS 64

enum proto_cmd {
	PROTO_STATUS, PROTO_START, PROTO_STOP, PROTO_RESTART, PROTO_SIGNAL, PROTO_LOGS,
	PROTO_SUBSCRIBE, PROTO_RELOAD, PROTO_DOWN, PROTO_VERSION, PROTO_HISTORY, PROTO_ALERTS,
	PROTO_ACK, PROTO_CMD_COUNT,
};

#define PROTO_TOPIC_STATE 0x1u
#define PROTO_TOPIC_METRICS 0x2u
#define PROTO_TOPIC_LOGS 0x4u
#define PROTO_TOPIC_ALERTS 0x8u

struct proto_req {
	bool has_id;
	int64_t id;
	enum proto_cmd cmd;
	const char *targets[PROTO_MAX_TARGETS]; /* borrowed from json; none = all */
	size_t ntargets;
	int signal;           /* PROTO_SIGNAL: the signal number */
	int64_t lines;        /* PROTO_LOGS: last N lines (default 100) */
	const char *grep;     /* PROTO_LOGS: POSIX ERE or NULL (checked to compile) */
	int64_t since_ms;     /* PROTO_LOGS, PROTO_HISTORY: only what is newer (realtime ms), 0 = all */
	unsigned topics;      /* PROTO_SUBSCRIBE: PROTO_TOPIC_* (default all) */
	struct cJSON *json;   /* owned: the parsed request (free with proto_req_fini) */
};

/*
 * Parses one request line (without its newline). On failure returns false
 * with a one-line message in err; req->has_id/id are still set when the
 * line was an object with a numeric "id", so the error can be answered.
 */
bool proto_parse_request(const char *line, size_t len, struct proto_req *req, char *err,
    size_t err_size);
void proto_req_fini(struct proto_req *req);

/* The reply lines, newline-terminated, malloc'd (the caller frees). */
char *proto_reply_ok(const struct proto_req *req, struct cJSON *result); /* takes result */
char *proto_reply_error(bool has_id, int64_t id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* An error reply that also carries details under key (e.g. "problems"); takes details. */
char *proto_reply_error_details(bool has_id, int64_t id, const char *error, const char *key,
    struct cJSON *details);
/* An event line for subscribers; takes data. */
char *proto_event(const char *topic, struct cJSON *data);

const char *proto_cmd_name(enum proto_cmd c);

#endif
