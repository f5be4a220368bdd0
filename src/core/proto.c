/*
 * proto — owns the decoding of request lines into struct proto_req and the
 * encoding of replies and events.
 *
 * Decoding runs in a fixed order so that the same bad request always gets
 * the same message: the line's size, the JSON, the "id" (first, so every
 * later error can still be answered with it), unknown and duplicate keys,
 * "cmd", keys that do not apply to that command, then each value. Keys are
 * matched case-sensitively. Every value is checked for type and range here,
 * so the engine's handler only sees requests it can act on.
 *
 * "grep" is compiled once with regcomp to prove it compiles. glibc expands
 * counted repeats ("a{1,32767}") into copies of the atom, and "x+" into
 * "xx*", and spends time and memory far beyond linear on them — 85 s and
 * 8 GB for "a{1,32767}", 7 s for "a" and 20 '+' — so before regcomp sees
 * a pattern, proto_grep_weight estimates its expanded size and refuses
 * heavy ones (the heaviest accepted compile in about 30 ms; the engine
 * compiles the pattern again, and so may the CLI). Back-references (a glibc
 * extension that makes matching exponential) are refused as well.
 */
#include "core/proto.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/signame.h"
#include "core/units.h"

#define PROTO_MAX_TARGET_LEN 200        /* bytes of one target name */
#define PROTO_MAX_LINES 100000          /* "lines" of a logs request */
#define PROTO_DEFAULT_LINES 100
#define PROTO_MAX_GREP_LEN 256          /* bytes of a "grep" pattern */
#define PROTO_MAX_GREP_WEIGHT 500       /* its size, repeats expanded ([a-z]{0,499}: ~30 ms) */
#define PROTO_MAX_GREP_DEPTH 32         /* nested groups in a "grep" pattern */
#define PROTO_MAX_ID 9007199254740991.0 /* 2^53 - 1: the ids a double holds exactly */
#define PROTO_QUOTE_MAX 64              /* bytes of a user's string quoted in a message */
#define PROTO_ALL_TOPICS \
	(PROTO_TOPIC_STATE | PROTO_TOPIC_METRICS | PROTO_TOPIC_LOGS | PROTO_TOPIC_ALERTS)

static const char *const proto_cmd_names[PROTO_CMD_COUNT] = {
	[PROTO_STATUS] = "status",
	[PROTO_START] = "start",
	[PROTO_STOP] = "stop",
	[PROTO_RESTART] = "restart",
	[PROTO_SIGNAL] = "signal",
	[PROTO_LOGS] = "logs",
	[PROTO_SUBSCRIBE] = "subscribe",
	[PROTO_RELOAD] = "reload",
	[PROTO_DOWN] = "down",
	[PROTO_VERSION] = "version",
	[PROTO_HISTORY] = "history",
	[PROTO_ALERTS] = "alerts",
	[PROTO_ACK] = "ack",
};

/* The request's keys besides "id" and "cmd", in the order their values are checked. */
enum proto_key {
	PROTO_KEY_TARGET, PROTO_KEY_TARGETS, PROTO_KEY_SIGNAL, PROTO_KEY_LINES, PROTO_KEY_GREP,
	PROTO_KEY_SINCE, PROTO_KEY_TOPICS, PROTO_KEY_COUNT,
};

static const char *const proto_key_names[PROTO_KEY_COUNT] = {
	[PROTO_KEY_TARGET] = "target",
	[PROTO_KEY_TARGETS] = "targets",
	[PROTO_KEY_SIGNAL] = "signal",
	[PROTO_KEY_LINES] = "lines",
	[PROTO_KEY_GREP] = "grep",
	[PROTO_KEY_SINCE] = "since",
	[PROTO_KEY_TOPICS] = "topics",
};

#define PROTO_K(k) (1u << (k))
#define PROTO_KEYS_TARGETS (PROTO_K(PROTO_KEY_TARGET) | PROTO_K(PROTO_KEY_TARGETS))

/* Which keys each command takes. */
static const unsigned proto_cmd_keys[PROTO_CMD_COUNT] = {
	[PROTO_STATUS] = PROTO_KEYS_TARGETS,
	[PROTO_START] = PROTO_KEYS_TARGETS,
	[PROTO_STOP] = PROTO_KEYS_TARGETS,
	[PROTO_RESTART] = PROTO_KEYS_TARGETS,
	[PROTO_SIGNAL] = PROTO_KEYS_TARGETS | PROTO_K(PROTO_KEY_SIGNAL),
	[PROTO_LOGS] = PROTO_KEYS_TARGETS | PROTO_K(PROTO_KEY_LINES) | PROTO_K(PROTO_KEY_GREP) |
	    PROTO_K(PROTO_KEY_SINCE),
	[PROTO_SUBSCRIBE] = PROTO_K(PROTO_KEY_TOPICS),
	[PROTO_RELOAD] = 0,
	[PROTO_DOWN] = 0,
	[PROTO_VERSION] = 0,
	[PROTO_HISTORY] = PROTO_KEYS_TARGETS | PROTO_K(PROTO_KEY_SINCE),
	[PROTO_ALERTS] = 0,
	[PROTO_ACK] = PROTO_KEYS_TARGETS, /* an alert's id, or all */
};

static const struct {
	const char *name;
	unsigned bit;
} proto_topics[] = {
	{"state", PROTO_TOPIC_STATE},
	{"metrics", PROTO_TOPIC_METRICS},
	{"logs", PROTO_TOPIC_LOGS},
	{"alerts", PROTO_TOPIC_ALERTS},
};

/* ---- messages ---------------------------------------------------------- */

/* Writes a message into err (which may be 0 bytes) and returns false. */
__attribute__((format(printf, 3, 4))) static bool
proto_fail(char *err, size_t err_size, const char *fmt, ...)
{
	if (err_size == 0)
		return false;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, err_size, fmt, ap);
	va_end(ap);
	return false;
}

/* Copies a user's string for a message, cut at PROTO_QUOTE_MAX bytes on a UTF-8 boundary. */
static const char *
proto_quote(const char *s, char *buf, size_t size)
{
	size_t n = strlen(s);
	if (n < size && n <= PROTO_QUOTE_MAX) {
		memcpy(buf, s, n + 1);
		return buf;
	}
	n = PROTO_QUOTE_MAX < size - 4 ? PROTO_QUOTE_MAX : size - 4;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--; /* s[n] would start the cut-off part: keep whole characters */
	memcpy(buf, s, n);
	memcpy(buf + n, "...", 4);
	return buf;
}

/* ---- values ------------------------------------------------------------ */

/* True when v is a JSON number with no fraction within ±(2^53 - 1). */
static bool
proto_whole(const cJSON *v, int64_t *out)
{
	if (!cJSON_IsNumber(v))
		return false;
	double d = v->valuedouble;
	if (!isfinite(d) || d != floor(d) || fabs(d) > PROTO_MAX_ID)
		return false;
	*out = (int64_t)d;
	return true;
}

/* Reads "id" into req when it is usable; a bad one is an error without an id. */
static bool
proto_read_id(const cJSON *v, struct proto_req *req, char *err, size_t err_size)
{
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
	    v->valuedouble != floor(v->valuedouble))
		return proto_fail(err, err_size, "'id' must be a whole number");
	if (fabs(v->valuedouble) > PROTO_MAX_ID)
		return proto_fail(err, err_size, "'id' is out of range (at most 2^53 - 1)");
	req->has_id = true;
	req->id = (int64_t)v->valuedouble;
	return true;
}

/* Checks one target name (what = "'target'" or "'targets'[i]") and stores it. */
static bool
proto_read_target(const char *name, const char *what, struct proto_req *req, char *err,
    size_t err_size)
{
	if (*name == '\0')
		return proto_fail(err, err_size, "%s must not be empty", what);
	if (strlen(name) > PROTO_MAX_TARGET_LEN)
		return proto_fail(err, err_size, "%s is longer than %d bytes", what,
		    PROTO_MAX_TARGET_LEN);
	req->targets[req->ntargets++] = name;
	return true;
}

/* Reads "target" or "targets" (neither means all). */
static bool
proto_read_targets(const cJSON *target, const cJSON *targets, struct proto_req *req, char *err,
    size_t err_size)
{
	if (target != NULL && targets != NULL)
		return proto_fail(err, err_size, "give either 'target' or 'targets', not both");
	if (target != NULL) {
		if (!cJSON_IsString(target))
			return proto_fail(err, err_size, "'target' must be a string");
		return proto_read_target(target->valuestring, "'target'", req, err, err_size);
	}
	if (targets == NULL)
		return true;
	if (!cJSON_IsArray(targets))
		return proto_fail(err, err_size, "'targets' must be an array of strings");
	const cJSON *t;
	cJSON_ArrayForEach(t, targets) {
		if (!cJSON_IsString(t))
			return proto_fail(err, err_size, "'targets' must be an array of strings");
	}
	/* An empty list meaning "all" would turn a script's empty selection into everything. */
	if (targets->child == NULL)
		return proto_fail(err, err_size, "'targets' must not be empty (leave it out to mean all)");
	cJSON_ArrayForEach(t, targets) {
		if (req->ntargets == PROTO_MAX_TARGETS)
			return proto_fail(err, err_size, "'targets' has more than %d entries",
			    PROTO_MAX_TARGETS);
		char what[32];
		snprintf(what, sizeof(what), "'targets'[%zu]", req->ntargets);
		if (!proto_read_target(t->valuestring, what, req, err, err_size))
			return false;
	}
	return true;
}

/* Reads "signal", which the signal command requires: a name or a number. */
static bool
proto_read_signal(const cJSON *v, struct proto_req *req, char *err, size_t err_size)
{
	char q[PROTO_QUOTE_MAX + 4];
	int64_t n;
	if (v == NULL)
		return proto_fail(err, err_size, "missing 'signal' (a name such as SIGHUP, or a number)");
	if (cJSON_IsString(v)) {
		req->signal = signame_number(v->valuestring);
		if (req->signal == 0)
			return proto_fail(err, err_size, "unknown signal '%s'",
			    proto_quote(v->valuestring, q, sizeof(q)));
		return true;
	}
	if (!proto_whole(v, &n))
		return proto_fail(err, err_size, "'signal' must be a signal name or number");
	if (n < 1 || n > SIGRTMAX)
		return proto_fail(err, err_size, "unknown signal %lld", (long long)n);
	req->signal = (int)n;
	return true;
}

/* Reads "lines": how many of the newest log lines. */
static bool
proto_read_lines(const cJSON *v, struct proto_req *req, char *err, size_t err_size)
{
	int64_t n;
	if (!proto_whole(v, &n))
		return proto_fail(err, err_size, "'lines' must be a whole number");
	if (n < 1 || n > PROTO_MAX_LINES)
		return proto_fail(err, err_size, "'lines' must be between 1 and %d", PROTO_MAX_LINES);
	req->lines = n;
	return true;
}

/* The index just past the bracket expression that starts at p[i] == '['. */
static size_t
proto_grep_bracket(const char *p, size_t i)
{
	size_t n = strlen(p);
	i++;
	if (i < n && p[i] == '^')
		i++;
	if (i < n && p[i] == ']')
		i++; /* a leading ']' is a literal */
	while (i < n && p[i] != ']') {
		if (p[i] == '[' && i + 1 < n && (p[i + 1] == ':' || p[i + 1] == '=' || p[i + 1] == '.')) {
			char close = p[i + 1];
			const char *end = NULL;
			for (size_t j = i + 2; j + 1 < n; j++) {
				if (p[j] == close && p[j + 1] == ']') {
					end = p + j;
					break;
				}
			}
			if (end == NULL)
				return n; /* regcomp reports it */
			i = (size_t)(end - p) + 2;
			continue;
		}
		i++;
	}
	return i < n ? i + 1 : n;
}

/* a * b, or limit + 1 when that is more than limit. */
static size_t
proto_grep_mul(size_t a, size_t b, size_t limit)
{
	if (a != 0 && b > limit / a)
		return limit + 1;
	return a * b > limit ? limit + 1 : a * b;
}

/*
 * Estimates the size of pattern p once glibc has copied the atoms of every
 * repeat: each atom or operator weighs 1, a group its contents plus 1,
 * "x+" twice x (glibc writes it as "xx*"), and "x{n,m}" m times x (n + 1
 * times for "x{n,}"); the k-th repeat stacked on one atom weighs k more
 * ("a***" is 1 + 1 + 2 + 3). Weights only grow, so counting stops, returning
 * limit + 1, as soon as any part passes limit. Sets *backref when p uses
 * \1..\9 and *deep when groups nest deeper than PROTO_MAX_GREP_DEPTH.
 */
static size_t
proto_grep_weight(const char *p, size_t limit, bool *backref, bool *deep)
{
	size_t total[PROTO_MAX_GREP_DEPTH + 1] = {0}; /* per open group: its weight so far */
	size_t last[PROTO_MAX_GREP_DEPTH + 1] = {0};  /* per open group: the last atom's weight */
	size_t chain[PROTO_MAX_GREP_DEPTH + 1] = {0}; /* per open group: repeats stacked on it */
	size_t d = 0;
	size_t n = strlen(p);
	for (size_t i = 0; i < n;) {
		size_t atom = 1;         /* the weight of a new atom at p[i] */
		size_t repeat = 0;       /* or: the copies a repeat at p[i] makes of the last atom */
		switch (p[i]) {
		case '\\':
			if (i + 1 < n && p[i + 1] >= '1' && p[i + 1] <= '9')
				*backref = true;
			i += i + 1 < n ? 2 : 1;
			break;
		case '[':
			i = proto_grep_bracket(p, i);
			break;
		case '(':
			if (d == PROTO_MAX_GREP_DEPTH) {
				*deep = true;
				return 0;
			}
			d++;
			total[d] = last[d] = chain[d] = 0;
			i++;
			continue;
		case ')':
			i++;
			if (d == 0)
				break; /* a literal ')' */
			atom = total[d] + 1;
			d--;
			break;
		case '|':
			last[d] = chain[d] = 0;
			atom = 1;
			i++;
			total[d] += atom;
			continue;
		case '*':
		case '?':
			repeat = 1;
			i++;
			break;
		case '+':
			repeat = 2;
			i++;
			break;
		case '{': {
			/* Digits only (strtoul alone would take spaces and signs); saturating at limit. */
			size_t j = i + 1, lo = 0, hi;
			for (; j < n && isdigit((unsigned char)p[j]); j++)
				lo = lo > limit ? lo : lo * 10 + (size_t)(p[j] - '0');
			bool comma = j < n && p[j] == ',';
			bool bound = j > i + 1 || comma; /* glibc reads "{,m}" as "{0,m}" */
			hi = lo;
			if (comma) {
				size_t m = ++j;
				hi = 0;
				for (; j < n && isdigit((unsigned char)p[j]); j++)
					hi = hi > limit ? hi : hi * 10 + (size_t)(p[j] - '0');
				if (j == m)
					hi = lo + 1; /* "{n,}": n copies and a star */
			}
			if (!bound || j >= n || p[j] != '}') {
				i++; /* not a bound: a literal, or an error regcomp reports */
				break;
			}
			i = j + 1;
			repeat = hi < 1 ? 1 : hi > limit ? limit + 1 : hi;
			break;
		}
		default:
			i++;
			break;
		}
		if (repeat > 0) {
			/* The extra copies of the atom, and the repeat's own node, which costs
			 * more the more repeats are stacked on one atom ("a***": glibc's work
			 * grows with the square of the stack). */
			size_t grown = proto_grep_mul(last[d], repeat, limit);
			chain[d]++;
			total[d] += grown - last[d] + chain[d];
			last[d] = grown + 1;
		} else {
			total[d] += atom;
			last[d] = atom;
			chain[d] = 0;
		}
		if (total[d] > limit)
			return limit + 1;
	}
	while (d > 0) {
		/* An unclosed group: regcomp refuses it; count what is there. */
		total[d - 1] += total[d];
		d--;
	}
	return total[0];
}

/* Reads "grep": a POSIX ERE that is light enough and compiles. */
static bool
proto_read_grep(const cJSON *v, struct proto_req *req, char *err, size_t err_size)
{
	if (!cJSON_IsString(v))
		return proto_fail(err, err_size, "'grep' must be a string");
	const char *p = v->valuestring;
	if (strlen(p) > PROTO_MAX_GREP_LEN)
		return proto_fail(err, err_size, "'grep' is longer than %d bytes", PROTO_MAX_GREP_LEN);
	bool backref = false, deep = false;
	size_t weight = proto_grep_weight(p, PROTO_MAX_GREP_WEIGHT, &backref, &deep);
	if (deep)
		return proto_fail(err, err_size, "'grep' nests groups more than %d deep",
		    PROTO_MAX_GREP_DEPTH);
	if (backref)
		return proto_fail(err, err_size, "'grep' cannot use back-references (\\1 to \\9)");
	if (weight > PROTO_MAX_GREP_WEIGHT)
		return proto_fail(err, err_size,
		    "'grep' is too complex (over %d atoms once its repeats are expanded)",
		    PROTO_MAX_GREP_WEIGHT);
	regex_t re;
	int rc = regcomp(&re, p, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		char why[128];
		regerror(rc, &re, why, sizeof(why));
		return proto_fail(err, err_size, "'grep' is not a valid regular expression: %s", why);
	}
	regfree(&re);
	req->grep = p;
	return true;
}

/* Reads "since": a duration back from now, or ms since the epoch. */
static bool
proto_read_since(const cJSON *v, struct proto_req *req, char *err, size_t err_size)
{
	if (cJSON_IsString(v)) {
		int64_t ms;
		const char *why;
		if (!units_duration(v->valuestring, &ms, &why))
			return proto_fail(err, err_size, "'since': %s", why);
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		req->since_ms = now > ms ? now - ms : 0;
		return true;
	}
	int64_t n;
	if (!proto_whole(v, &n) || n < 0)
		return proto_fail(err, err_size,
		    "'since' must be a duration (such as \"10m\") or a whole number of ms since the epoch");
	req->since_ms = n;
	return true;
}

/* Reads "topics": a non-empty list of known topic names. */
static bool
proto_read_topics(const cJSON *v, struct proto_req *req, char *err, size_t err_size)
{
	if (!cJSON_IsArray(v))
		return proto_fail(err, err_size, "'topics' must be an array of strings");
	const cJSON *t;
	cJSON_ArrayForEach(t, v) {
		if (!cJSON_IsString(t))
			return proto_fail(err, err_size, "'topics' must be an array of strings");
	}
	if (v->child == NULL)
		return proto_fail(err, err_size, "'topics' must not be empty (leave it out to mean all)");
	unsigned topics = 0;
	cJSON_ArrayForEach(t, v) {
		unsigned bit = 0;
		for (size_t i = 0; i < sizeof(proto_topics) / sizeof(proto_topics[0]); i++)
			if (strcmp(t->valuestring, proto_topics[i].name) == 0)
				bit = proto_topics[i].bit;
		if (bit == 0) {
			char q[PROTO_QUOTE_MAX + 4];
			return proto_fail(err, err_size,
			    "unknown topic '%s' (use state, metrics, logs or alerts)",
			    proto_quote(t->valuestring, q, sizeof(q)));
		}
		topics |= bit;
	}
	req->topics = topics;
	return true;
}

/* ---- requests ---------------------------------------------------------- */

/* Checks the keys and values of an object already known to be a request. */
static bool
proto_read_request(const cJSON *root, struct proto_req *req, char *err, size_t err_size)
{
	char q[PROTO_QUOTE_MAX + 4];
	const cJSON *cmd = NULL;
	const cJSON *val[PROTO_KEY_COUNT] = {0};
	bool seen_id = false;
	const cJSON *item;
	cJSON_ArrayForEach(item, root) {
		const cJSON **slot = NULL;
		const char *key = item->string;
		if (strcmp(key, "id") == 0) {
			if (seen_id)
				return proto_fail(err, err_size, "duplicate key 'id'");
			seen_id = true;
			continue;
		}
		if (strcmp(key, "cmd") == 0)
			slot = &cmd;
		for (int k = 0; slot == NULL && k < PROTO_KEY_COUNT; k++)
			if (strcmp(key, proto_key_names[k]) == 0)
				slot = &val[k];
		if (slot == NULL)
			return proto_fail(err, err_size, "unknown key '%s'", proto_quote(key, q, sizeof(q)));
		if (*slot != NULL)
			return proto_fail(err, err_size, "duplicate key '%s'", key);
		*slot = item;
	}
	if (cmd == NULL)
		return proto_fail(err, err_size, "missing 'cmd'");
	if (!cJSON_IsString(cmd))
		return proto_fail(err, err_size, "'cmd' must be a string");
	int c = 0;
	while (c < PROTO_CMD_COUNT && strcmp(cmd->valuestring, proto_cmd_names[c]) != 0)
		c++;
	if (c == PROTO_CMD_COUNT)
		return proto_fail(err, err_size, "unknown command '%s'",
		    proto_quote(cmd->valuestring, q, sizeof(q)));
	req->cmd = (enum proto_cmd)c;
	for (int k = 0; k < PROTO_KEY_COUNT; k++)
		if (val[k] != NULL && !(proto_cmd_keys[c] & PROTO_K(k)))
			return proto_fail(err, err_size, "'%s' does not apply to %s", proto_key_names[k],
			    proto_cmd_names[c]);
	if (!proto_read_targets(val[PROTO_KEY_TARGET], val[PROTO_KEY_TARGETS], req, err, err_size))
		return false;
	if (req->cmd == PROTO_SIGNAL && !proto_read_signal(val[PROTO_KEY_SIGNAL], req, err, err_size))
		return false;
	if (val[PROTO_KEY_LINES] != NULL && !proto_read_lines(val[PROTO_KEY_LINES], req, err, err_size))
		return false;
	if (val[PROTO_KEY_GREP] != NULL && !proto_read_grep(val[PROTO_KEY_GREP], req, err, err_size))
		return false;
	if (val[PROTO_KEY_SINCE] != NULL && !proto_read_since(val[PROTO_KEY_SINCE], req, err, err_size))
		return false;
	if (val[PROTO_KEY_TOPICS] != NULL &&
	    !proto_read_topics(val[PROTO_KEY_TOPICS], req, err, err_size))
		return false;
	return true;
}

bool
proto_parse_request(const char *line, size_t len, struct proto_req *req, char *err,
    size_t err_size)
{
	memset(req, 0, sizeof(*req));
	req->lines = PROTO_DEFAULT_LINES;
	req->topics = PROTO_ALL_TOPICS;
	if (len > PROTO_MAX_LINE)
		return proto_fail(err, err_size, "request line too long (over 1 MiB)");
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(line, len, &end, false);
	if (root == NULL)
		return proto_fail(err, err_size, "invalid JSON");
	/* Only whitespace may follow the value (cJSON stops after the first one). */
	for (const char *p = end; p < line + len; p++) {
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
			cJSON_Delete(root);
			return proto_fail(err, err_size, "invalid JSON");
		}
	}
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return proto_fail(err, err_size, "a request must be a JSON object");
	}
	req->json = root;
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "id");
	if ((id != NULL && !proto_read_id(id, req, err, err_size)) ||
	    !proto_read_request(root, req, err, err_size)) {
		bool has_id = req->has_id;
		int64_t idv = req->id;
		proto_req_fini(req);
		req->has_id = has_id;
		req->id = idv;
		return false;
	}
	return true;
}

void
proto_req_fini(struct proto_req *req)
{
	if (req == NULL)
		return;
	cJSON_Delete(req->json);
	memset(req, 0, sizeof(*req));
}

/* ---- replies and events ------------------------------------------------ */

/* Prints obj unformatted with a newline, and deletes it; NULL when out of memory. */
static char *
proto_print_line(cJSON *obj)
{
	if (obj == NULL)
		return NULL;
	char *text = cJSON_PrintUnformatted(obj);
	cJSON_Delete(obj);
	if (text == NULL)
		return NULL;
	size_t n = strlen(text);
	char *line = malloc(n + 2);
	if (line != NULL) {
		memcpy(line, text, n);
		line[n] = '\n';
		line[n + 1] = '\0';
	}
	cJSON_free(text);
	return line;
}

/* A reply object with its "id" (null when the request had none) and "ok". */
static cJSON *
proto_reply_head(bool has_id, int64_t id, bool ok)
{
	cJSON *obj = cJSON_CreateObject();
	if (obj == NULL)
		return NULL;
	/* Raw text: cJSON prints doubles with 15 significant digits, which would change big ids. */
	char num[24];
	snprintf(num, sizeof(num), "%lld", (long long)id);
	cJSON *idv = has_id ? cJSON_CreateRaw(num) : cJSON_CreateNull();
	if (idv == NULL || !cJSON_AddItemToObject(obj, "id", idv) ||
	    cJSON_AddBoolToObject(obj, "ok", ok) == NULL) {
		if (idv != NULL && obj->child != idv)
			cJSON_Delete(idv);
		cJSON_Delete(obj);
		return NULL;
	}
	return obj;
}

/* A NULL result is left out: {"id":7,"ok":true}. */
char *
proto_reply_ok(const struct proto_req *req, cJSON *result)
{
	cJSON *obj = proto_reply_head(req != NULL && req->has_id, req != NULL ? req->id : 0, true);
	if (obj == NULL) {
		cJSON_Delete(result);
		return NULL;
	}
	if (result != NULL && !cJSON_AddItemToObject(obj, "result", result)) {
		cJSON_Delete(result);
		cJSON_Delete(obj);
		return NULL;
	}
	return proto_print_line(obj);
}

char *
proto_reply_error(bool has_id, int64_t id, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	char *msg = malloc((size_t)n + 1);
	if (msg == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(msg, (size_t)n + 1, fmt, ap);
	va_end(ap);
	cJSON *obj = proto_reply_head(has_id, id, false);
	if (obj != NULL && cJSON_AddStringToObject(obj, "error", msg) == NULL) {
		cJSON_Delete(obj);
		obj = NULL;
	}
	free(msg);
	return proto_print_line(obj);
}

char *
proto_reply_error_details(bool has_id, int64_t id, const char *error, const char *key,
    cJSON *details)
{
	cJSON *obj = proto_reply_head(has_id, id, false);
	if (obj == NULL || cJSON_AddStringToObject(obj, "error", error) == NULL ||
	    !cJSON_AddItemToObject(obj, key, details)) {
		cJSON_Delete(details);
		cJSON_Delete(obj);
		return NULL;
	}
	return proto_print_line(obj);
}

char *
proto_event(const char *topic, cJSON *data)
{
	cJSON *obj = cJSON_CreateObject();
	if (obj == NULL || cJSON_AddStringToObject(obj, "event", topic) == NULL) {
		cJSON_Delete(obj);
		cJSON_Delete(data);
		return NULL;
	}
	if (data != NULL && !cJSON_AddItemToObject(obj, "data", data)) {
		cJSON_Delete(data);
		cJSON_Delete(obj);
		return NULL;
	}
	return proto_print_line(obj);
}

const char *
proto_cmd_name(enum proto_cmd c)
{
	if ((int)c < 0 || c >= PROTO_CMD_COUNT)
		return "unknown";
	return proto_cmd_names[c];
}
