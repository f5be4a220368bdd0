/*
 * test_proto — request decoding and reply encoding: every command and every
 * field decodes with its defaults and limits; every refusal has its exact
 * message, and keeps the request's id where it had a usable one; replies
 * and events print as one unformatted line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/proto.h"

/* Parses s, which must be valid, into *req. */
static void
parse_ok(const char *s, struct proto_req *req)
{
	char err[512] = "";
	bool ok = proto_parse_request(s, strlen(s), req, err, sizeof(err));
	if (!ok)
		fail_msg("%s: %s", s, err);
	assert_non_null(req->json);
}

/* Parses s, which must be refused with message want; returns has_id. */
static bool
parse_err(const char *s, const char *want, int64_t *id)
{
	struct proto_req req;
	char err[512] = "";
	bool ok = proto_parse_request(s, strlen(s), &req, err, sizeof(err));
	if (ok)
		fail_msg("accepted: %s", s);
	if (strcmp(err, want) != 0)
		fail_msg("%s\n  got:  %s\n  want: %s", s, err, want);
	assert_null(req.json);
	if (id != NULL)
		*id = req.id;
	bool has_id = req.has_id;
	proto_req_fini(&req); /* harmless after a failure */
	return has_id;
}

static int64_t
realtime_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
test_commands(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		enum proto_cmd cmd;
	} cmds[] = {
		{"status", PROTO_STATUS}, {"start", PROTO_START}, {"stop", PROTO_STOP},
		{"restart", PROTO_RESTART}, {"logs", PROTO_LOGS}, {"subscribe", PROTO_SUBSCRIBE},
		{"reload", PROTO_RELOAD}, {"down", PROTO_DOWN}, {"version", PROTO_VERSION},
		{"history", PROTO_HISTORY}, {"alerts", PROTO_ALERTS}, {"ack", PROTO_ACK},
	};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char line[128];
		snprintf(line, sizeof(line), "{\"id\":%zu,\"cmd\":\"%s\"}", i + 1, cmds[i].name);
		struct proto_req req;
		parse_ok(line, &req);
		assert_int_equal(req.cmd, cmds[i].cmd);
		assert_true(req.has_id);
		assert_int_equal(req.id, (int64_t)i + 1);
		assert_int_equal(req.ntargets, 0);
		assert_int_equal(req.lines, 100);
		assert_null(req.grep);
		assert_int_equal(req.since_ms, 0);
		assert_int_equal(req.topics, PROTO_TOPIC_STATE | PROTO_TOPIC_METRICS |
		    PROTO_TOPIC_LOGS | PROTO_TOPIC_ALERTS);
		assert_string_equal(proto_cmd_name(cmds[i].cmd), cmds[i].name);
		proto_req_fini(&req);
		assert_null(req.json);
	}
	struct proto_req req;
	parse_ok("{\"id\":1,\"cmd\":\"signal\",\"signal\":\"HUP\"}", &req);
	assert_int_equal(req.cmd, PROTO_SIGNAL);
	assert_int_equal(req.signal, SIGHUP);
	proto_req_fini(&req);
	assert_string_equal(proto_cmd_name(PROTO_SIGNAL), "signal");
	assert_string_equal(proto_cmd_name(PROTO_CMD_COUNT), "unknown");
	proto_req_fini(NULL);
}

static void
test_ids(void **state)
{
	(void)state;
	struct proto_req req;
	/* No id: fine, the reply has "id":null. */
	parse_ok("{\"cmd\":\"version\"}", &req);
	assert_false(req.has_id);
	proto_req_fini(&req);
	parse_ok("{\"cmd\":\"version\",\"id\":-5}", &req);
	assert_true(req.has_id);
	assert_int_equal(req.id, -5);
	proto_req_fini(&req);
	parse_ok("{\"id\":7.0,\"cmd\":\"version\"}", &req); /* integral, though written with a point */
	assert_int_equal(req.id, 7);
	proto_req_fini(&req);
	parse_ok("{\"id\":1e3,\"cmd\":\"version\"}", &req);
	assert_int_equal(req.id, 1000);
	proto_req_fini(&req);
	parse_ok("{\"id\":9007199254740991,\"cmd\":\"version\"}", &req);
	assert_int_equal(req.id, 9007199254740991LL);
	proto_req_fini(&req);
	/* Whitespace around the object (and a \r from a CRLF client) is fine. */
	parse_ok("  {\"id\":2,\"cmd\":\"version\"} \r", &req);
	proto_req_fini(&req);

	static const char *const bad_ids[] = {"\"7\"", "7.5", "null", "[1]", "true", "1e999"};
	for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
		char line[64];
		snprintf(line, sizeof(line), "{\"id\":%s,\"cmd\":\"version\"}", bad_ids[i]);
		assert_false(parse_err(line, "'id' must be a whole number", NULL));
	}
	assert_false(parse_err("{\"id\":9007199254740993,\"cmd\":\"version\"}",
	    "'id' is out of range (at most 2^53 - 1)", NULL));

	/* Every later error keeps a usable id, wherever the id is in the object. */
	int64_t id = 0;
	assert_true(parse_err("{\"cmd\":\"nope\",\"id\":42}", "unknown command 'nope'", &id));
	assert_int_equal(id, 42);
	assert_true(parse_err("{\"bogus\":1,\"id\":43}", "unknown key 'bogus'", &id));
	assert_int_equal(id, 43);
	assert_true(parse_err("{\"id\":44,\"cmd\":\"logs\",\"lines\":0}",
	    "'lines' must be between 1 and 100000", &id));
	assert_int_equal(id, 44);
	assert_true(parse_err("{\"id\":45,\"id\":46,\"cmd\":\"version\"}", "duplicate key 'id'", &id));
	assert_int_equal(id, 45);
}

static void
test_shape(void **state)
{
	(void)state;
	parse_err("", "invalid JSON", NULL);
	parse_err("   ", "invalid JSON", NULL);
	parse_err("{", "invalid JSON", NULL);
	parse_err("{\"cmd\":\"status\"", "invalid JSON", NULL);
	parse_err("{\"cmd\":\"status\"}x", "invalid JSON", NULL);
	parse_err("{\"cmd\":\"status\"}{\"cmd\":\"status\"}", "invalid JSON", NULL);
	parse_err("{'cmd':'status'}", "invalid JSON", NULL);
	parse_err("nonsense", "invalid JSON", NULL);
	parse_err("[1,2]", "a request must be a JSON object", NULL);
	parse_err("\"status\"", "a request must be a JSON object", NULL);
	parse_err("42", "a request must be a JSON object", NULL);
	parse_err("null", "a request must be a JSON object", NULL);
	parse_err("{}", "missing 'cmd'", NULL);
	parse_err("{\"id\":1}", "missing 'cmd'", NULL);
	parse_err("{\"cmd\":5}", "'cmd' must be a string", NULL);
	parse_err("{\"cmd\":null}", "'cmd' must be a string", NULL);
	parse_err("{\"cmd\":\"x\"}", "unknown command 'x'", NULL);
	parse_err("{\"cmd\":\"STATUS\"}", "unknown command 'STATUS'", NULL);
	parse_err("{\"cmd\":\"\"}", "unknown command ''", NULL);
	parse_err("{\"Cmd\":\"status\"}", "unknown key 'Cmd'", NULL);
	parse_err("{\"cmd\":\"status\",\"cmd\":\"stop\"}", "duplicate key 'cmd'", NULL);
	parse_err("{\"cmd\":\"status\",\"target\":\"a\",\"target\":\"b\"}", "duplicate key 'target'",
	    NULL);
	/* An unknown key is reported before anything about the command. */
	parse_err("{\"cmd\":\"x\",\"zzz\":1}", "unknown key 'zzz'", NULL);
	/* Long names are cut in messages (64 bytes and "..."). */
	char line[512], want[256];
	char name[201];
	memset(name, 'q', 200);
	name[200] = '\0';
	snprintf(line, sizeof(line), "{\"cmd\":\"%s\"}", name);
	snprintf(want, sizeof(want), "unknown command '%.64s...'", name);
	parse_err(line, want, NULL);
	/* ...on a character boundary: 63 'q' and then a 2-byte character across byte 64. */
	memset(name, 'q', 63);
	strcpy(name + 63, "\xc3\xa9tail");
	snprintf(line, sizeof(line), "{\"cmd\":\"%s\"}", name);
	snprintf(want, sizeof(want), "unknown command '%.63s...'", name);
	parse_err(line, want, NULL);

	/* The line bound: exactly PROTO_MAX_LINE is read, one more is refused unread. */
	char *big = malloc(PROTO_MAX_LINE + 2);
	assert_non_null(big);
	memset(big, ' ', PROTO_MAX_LINE + 1);
	memcpy(big, "{\"cmd\":\"version\"}", 17);
	struct proto_req req;
	char err[128];
	assert_true(proto_parse_request(big, PROTO_MAX_LINE, &req, err, sizeof(err)));
	proto_req_fini(&req);
	assert_false(proto_parse_request(big, PROTO_MAX_LINE + 1, &req, err, sizeof(err)));
	assert_string_equal(err, "request line too long (over 1 MiB)");
	free(big);
	/* The length, not a NUL, ends the line. */
	const char *two = "{\"cmd\":\"version\"}{\"cmd\":";
	assert_true(proto_parse_request(two, 17, &req, err, sizeof(err)));
	proto_req_fini(&req);
	/* A zero-sized err buffer is left alone. */
	assert_false(proto_parse_request("x", 1, &req, NULL, 0));
}

static void
test_keys_per_command(void **state)
{
	(void)state;
	parse_err("{\"cmd\":\"status\",\"lines\":5}", "'lines' does not apply to status", NULL);
	parse_err("{\"cmd\":\"status\",\"signal\":\"HUP\"}", "'signal' does not apply to status", NULL);
	parse_err("{\"cmd\":\"stop\",\"grep\":\"x\"}", "'grep' does not apply to stop", NULL);
	parse_err("{\"cmd\":\"restart\",\"since\":\"1m\"}", "'since' does not apply to restart", NULL);
	parse_err("{\"cmd\":\"logs\",\"topics\":[\"logs\"]}", "'topics' does not apply to logs", NULL);
	parse_err("{\"cmd\":\"subscribe\",\"target\":\"a\"}", "'target' does not apply to subscribe",
	    NULL);
	parse_err("{\"cmd\":\"down\",\"targets\":[\"a\"]}", "'targets' does not apply to down", NULL);
	parse_err("{\"cmd\":\"reload\",\"target\":\"a\"}", "'target' does not apply to reload", NULL);
	parse_err("{\"cmd\":\"version\",\"lines\":1}", "'lines' does not apply to version", NULL);
	parse_err("{\"cmd\":\"start\",\"signal\":9}", "'signal' does not apply to start", NULL);
}

static void
test_targets(void **state)
{
	(void)state;
	struct proto_req req;
	static const char *const cmds[] = {"status", "start", "stop", "restart", "logs"};
	for (size_t i = 0; i < 5; i++) {
		char line[128];
		snprintf(line, sizeof(line), "{\"cmd\":\"%s\",\"target\":\"@web\"}", cmds[i]);
		parse_ok(line, &req);
		assert_int_equal(req.ntargets, 1);
		assert_string_equal(req.targets[0], "@web");
		proto_req_fini(&req);
	}
	parse_ok("{\"cmd\":\"signal\",\"signal\":1,"
	    "\"targets\":[\"api\",\"db:2\",\"#critical\",\"all\"]}", &req);
	assert_int_equal(req.ntargets, 4);
	assert_string_equal(req.targets[0], "api");
	assert_string_equal(req.targets[1], "db:2");
	assert_string_equal(req.targets[2], "#critical");
	assert_string_equal(req.targets[3], "all");
	proto_req_fini(&req);

	/* 64 entries of 200 bytes are fine; a 65th entry or a 201st byte is not. */
	char name[202];
	memset(name, 'n', 201);
	name[201] = '\0';
	name[200] = '\0';
	char *line = malloc(70 * 210 + 100);
	assert_non_null(line);
	strcpy(line, "{\"cmd\":\"stop\",\"targets\":[");
	for (int i = 0; i < 64; i++)
		sprintf(line + strlen(line), "%s\"%s\"", i ? "," : "", name);
	strcat(line, "]}");
	parse_ok(line, &req);
	assert_int_equal(req.ntargets, 64);
	assert_int_equal(strlen(req.targets[63]), 200);
	proto_req_fini(&req);
	line[strlen(line) - 2] = '\0';
	strcat(line, ",\"x\"]}");
	parse_err(line, "'targets' has more than 64 entries", NULL);
	name[200] = 'n';
	sprintf(line, "{\"cmd\":\"stop\",\"target\":\"%s\"}", name);
	parse_err(line, "'target' is longer than 200 bytes", NULL);
	sprintf(line, "{\"cmd\":\"stop\",\"targets\":[\"a\",\"%s\"]}", name);
	parse_err(line, "'targets'[1] is longer than 200 bytes", NULL);
	free(line);

	parse_err("{\"cmd\":\"stop\",\"target\":5}", "'target' must be a string", NULL);
	parse_err("{\"cmd\":\"stop\",\"target\":[\"a\"]}", "'target' must be a string", NULL);
	parse_err("{\"cmd\":\"stop\",\"target\":\"\"}", "'target' must not be empty", NULL);
	parse_err("{\"cmd\":\"stop\",\"targets\":\"a\"}", "'targets' must be an array of strings",
	    NULL);
	parse_err("{\"cmd\":\"stop\",\"targets\":{\"a\":1}}", "'targets' must be an array of strings",
	    NULL);
	parse_err("{\"cmd\":\"stop\",\"targets\":[\"a\",2]}", "'targets' must be an array of strings",
	    NULL);
	parse_err("{\"cmd\":\"stop\",\"targets\":[]}",
	    "'targets' must not be empty (leave it out to mean all)", NULL);
	parse_err("{\"cmd\":\"stop\",\"targets\":[\"a\",\"\"]}", "'targets'[1] must not be empty",
	    NULL);
	parse_err("{\"cmd\":\"stop\",\"target\":\"a\",\"targets\":[\"b\"]}",
	    "give either 'target' or 'targets', not both", NULL);
}

static void
test_signal(void **state)
{
	(void)state;
	static const struct {
		const char *json;
		int sig;
	} good[] = {
		{"\"SIGHUP\"", SIGHUP}, {"\"HUP\"", SIGHUP}, {"\"sigterm\"", SIGTERM},
		{"\"9\"", SIGKILL}, {"15", SIGTERM}, {"10.0", 10}, {"64", 64},
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char line[128];
		snprintf(line, sizeof(line), "{\"cmd\":\"signal\",\"target\":\"a\",\"signal\":%s}",
		    good[i].json);
		struct proto_req req;
		parse_ok(line, &req);
		assert_int_equal(req.signal, good[i].sig);
		proto_req_fini(&req);
	}
	parse_err("{\"cmd\":\"signal\",\"target\":\"a\"}",
	    "missing 'signal' (a name such as SIGHUP, or a number)", NULL);
	parse_err("{\"cmd\":\"signal\",\"signal\":\"SIGNOPE\"}", "unknown signal 'SIGNOPE'", NULL);
	parse_err("{\"cmd\":\"signal\",\"signal\":\"\"}", "unknown signal ''", NULL);
	parse_err("{\"cmd\":\"signal\",\"signal\":0}", "unknown signal 0", NULL);
	parse_err("{\"cmd\":\"signal\",\"signal\":65}", "unknown signal 65", NULL);
	parse_err("{\"cmd\":\"signal\",\"signal\":-9}", "unknown signal -9", NULL);
	parse_err("{\"cmd\":\"signal\",\"signal\":1.5}", "'signal' must be a signal name or number",
	    NULL);
	parse_err("{\"cmd\":\"signal\",\"signal\":true}", "'signal' must be a signal name or number",
	    NULL);
	parse_err("{\"cmd\":\"signal\",\"signal\":null}", "'signal' must be a signal name or number",
	    NULL);
	/* Targets are checked before the signal. */
	parse_err("{\"cmd\":\"signal\",\"target\":\"\",\"signal\":\"NOPE\"}",
	    "'target' must not be empty", NULL);
}

#define SINCE_TYPE \
	"'since' must be a duration (such as \"10m\") or a whole number of ms since the epoch"

static void
test_logs(void **state)
{
	(void)state;
	struct proto_req req;
	parse_ok("{\"cmd\":\"logs\",\"target\":\"api\",\"lines\":5,\"grep\":\"err(or)?|warn\"}", &req);
	assert_int_equal(req.lines, 5);
	assert_string_equal(req.grep, "err(or)?|warn");
	assert_int_equal(req.since_ms, 0);
	proto_req_fini(&req);
	parse_ok("{\"cmd\":\"logs\",\"lines\":1}", &req);
	assert_int_equal(req.lines, 1);
	proto_req_fini(&req);
	parse_ok("{\"cmd\":\"logs\",\"lines\":100000}", &req);
	assert_int_equal(req.lines, 100000);
	proto_req_fini(&req);
	parse_err("{\"cmd\":\"logs\",\"lines\":0}", "'lines' must be between 1 and 100000", NULL);
	parse_err("{\"cmd\":\"logs\",\"lines\":100001}", "'lines' must be between 1 and 100000", NULL);
	parse_err("{\"cmd\":\"logs\",\"lines\":-1}", "'lines' must be between 1 and 100000", NULL);
	parse_err("{\"cmd\":\"logs\",\"lines\":\"5\"}", "'lines' must be a whole number", NULL);
	parse_err("{\"cmd\":\"logs\",\"lines\":2.5}", "'lines' must be a whole number", NULL);

	/* since: a duration before now, or ms since the epoch. */
	int64_t before = realtime_ms();
	parse_ok("{\"cmd\":\"logs\",\"since\":\"10m\"}", &req);
	int64_t after = realtime_ms();
	assert_true(req.since_ms >= before - 600000 && req.since_ms <= after - 600000);
	proto_req_fini(&req);
	parse_ok("{\"cmd\":\"logs\",\"since\":\"1h30m\"}", &req);
	assert_true(req.since_ms <= realtime_ms() - 5400000);
	assert_true(req.since_ms >= before - 5400000);
	proto_req_fini(&req);
	parse_ok("{\"cmd\":\"logs\",\"since\":1700000000000}", &req);
	assert_int_equal(req.since_ms, 1700000000000LL);
	proto_req_fini(&req);
	parse_ok("{\"cmd\":\"logs\",\"since\":\"36500d\"}", &req); /* before the epoch: everything */
	assert_int_equal(req.since_ms, 0);
	proto_req_fini(&req);
	parse_err("{\"cmd\":\"logs\",\"since\":\"soon\"}",
	    "'since': expected a duration such as 500ms, 10s, 5m or 1h", NULL);
	parse_err("{\"cmd\":\"logs\",\"since\":\"5y\"}",
	    "'since': unknown duration unit (use ms, s, m, h or d)", NULL);
	parse_err("{\"cmd\":\"logs\",\"since\":-1}", SINCE_TYPE, NULL);
	parse_err("{\"cmd\":\"logs\",\"since\":1.5}", SINCE_TYPE, NULL);
	parse_err("{\"cmd\":\"logs\",\"since\":[]}", SINCE_TYPE, NULL);
}

#define STARS "**************************************************"

static void
test_grep(void **state)
{
	(void)state;
	struct proto_req req;
	static const char *const good[] = {
		"", "^ready$", "a{1,255}", "a{1,499}", "(ab|cd){1,50}", "[]a-z{}()|]+",
		"[[:alpha:]_]{2,8}x", "\\\\(literal\\\\)", "x{3,}", "a)b", "a{,5}", "a{,}",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char line[256];
		snprintf(line, sizeof(line), "{\"cmd\":\"logs\",\"grep\":\"%s\"}", good[i]);
		parse_ok(line, &req);
		proto_req_fini(&req);
	}
	parse_err("{\"cmd\":\"logs\",\"grep\":5}", "'grep' must be a string", NULL);
	parse_err("{\"cmd\":\"logs\",\"grep\":\"(unclosed\"}",
	    "'grep' is not a valid regular expression: Unmatched ( or \\(", NULL);
	parse_err("{\"cmd\":\"logs\",\"grep\":\"[z-a]\"}",
	    "'grep' is not a valid regular expression: Invalid range end", NULL);
	parse_err("{\"cmd\":\"logs\",\"grep\":\"a{2,1}\"}",
	    "'grep' is not a valid regular expression: Invalid content of \\{\\}", NULL);
	parse_err("{\"cmd\":\"logs\",\"grep\":\"(a)\\\\1\"}",
	    "'grep' cannot use back-references (\\1 to \\9)", NULL);
	/* Patterns glibc would expand into minutes of work and gigabytes are refused first. */
	static const char *const heavy[] = {
		"a{1,32767}", "a{1,500}", "(a{1,100}){1,100}", "((a{1,20}){1,20}){1,20}",
		"(a*b*){1,1000}", "(a|b){1,1000}", "(x+){1,1000}", "a{1,999}b{1,999}c{1,999}",
		"[[:alpha:]]{1,3000}", "(((a{1,99999999999999999999})))", "a{,3000}",
		"a{99999999999999999999999,}", "(a{,40}){,40}",
	};
	for (size_t i = 0; i < sizeof(heavy) / sizeof(heavy[0]); i++) {
		char line[256];
		snprintf(line, sizeof(line), "{\"cmd\":\"logs\",\"grep\":\"%s\"}", heavy[i]);
		parse_err(line, "'grep' is too complex (over 500 atoms once its repeats are expanded)",
		    NULL);
	}
	/* Repeats stacked on one atom cost glibc the square of their number. */
	char line[1200];
	snprintf(line, sizeof(line), "{\"cmd\":\"logs\",\"grep\":\"a%.30s\"}", STARS);
	parse_ok(line, &req);
	proto_req_fini(&req);
	snprintf(line, sizeof(line), "{\"cmd\":\"logs\",\"grep\":\"a%.32s\"}", STARS);
	parse_err(line, "'grep' is too complex (over 500 atoms once its repeats are expanded)",
	    NULL);
	strcpy(line, "{\"cmd\":\"logs\",\"grep\":\"");
	for (int i = 0; i < 33; i++)
		strcat(line, "(");
	strcat(line, "\"}");
	parse_err(line, "'grep' nests groups more than 32 deep", NULL);
	strcpy(line, "{\"cmd\":\"logs\",\"grep\":\"");
	size_t at = strlen(line);
	memset(line + at, 'g', 257);
	strcpy(line + at + 257, "\"}");
	parse_err(line, "'grep' is longer than 256 bytes", NULL);
}

static void
test_topics(void **state)
{
	(void)state;
	struct proto_req req;
	parse_ok("{\"cmd\":\"subscribe\",\"topics\":[\"state\",\"logs\"]}", &req);
	assert_int_equal(req.topics, PROTO_TOPIC_STATE | PROTO_TOPIC_LOGS);
	proto_req_fini(&req);
	parse_ok("{\"cmd\":\"subscribe\",\"topics\":[\"metrics\",\"alerts\",\"metrics\"]}", &req);
	assert_int_equal(req.topics, PROTO_TOPIC_METRICS | PROTO_TOPIC_ALERTS);
	proto_req_fini(&req);
	static const char *const bad[] = {"\"state\"", "[1]", "{}", "null"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char line[64];
		snprintf(line, sizeof(line), "{\"cmd\":\"subscribe\",\"topics\":%s}", bad[i]);
		parse_err(line, "'topics' must be an array of strings", NULL);
	}
	parse_err("{\"cmd\":\"subscribe\",\"topics\":[]}",
	    "'topics' must not be empty (leave it out to mean all)", NULL);
	parse_err("{\"cmd\":\"subscribe\",\"topics\":[\"state\",\"weather\"]}",
	    "unknown topic 'weather' (use state, metrics, logs or alerts)", NULL);
}

static void
test_replies(void **state)
{
	(void)state;
	struct proto_req req;
	parse_ok("{\"id\":7,\"cmd\":\"status\"}", &req);
	cJSON *res = cJSON_CreateObject();
	cJSON_AddStringToObject(res, "stack", "shop");
	char *line = proto_reply_ok(&req, res);
	assert_string_equal(line, "{\"id\":7,\"ok\":true,\"result\":{\"stack\":\"shop\"}}\n");
	free(line);
	line = proto_reply_ok(&req, NULL);
	assert_string_equal(line, "{\"id\":7,\"ok\":true}\n");
	free(line);
	proto_req_fini(&req);
	parse_ok("{\"cmd\":\"version\"}", &req);
	line = proto_reply_ok(&req, cJSON_CreateString("x"));
	assert_string_equal(line, "{\"id\":null,\"ok\":true,\"result\":\"x\"}\n");
	free(line);
	proto_req_fini(&req);
	parse_ok("{\"id\":9007199254740991,\"cmd\":\"version\"}", &req);
	line = proto_reply_ok(&req, NULL);
	assert_string_equal(line, "{\"id\":9007199254740991,\"ok\":true}\n");
	free(line);
	proto_req_fini(&req);

	line = proto_reply_error(true, 7, "no process or group named %s", "web");
	assert_string_equal(line,
	    "{\"id\":7,\"ok\":false,\"error\":\"no process or group named web\"}\n");
	free(line);
	line = proto_reply_error(false, 0, "%s", "quote \" and\nnewline");
	assert_string_equal(line,
	    "{\"id\":null,\"ok\":false,\"error\":\"quote \\\" and\\nnewline\"}\n");
	free(line);
	line = proto_reply_error(true, -3, "x");
	assert_string_equal(line, "{\"id\":-3,\"ok\":false,\"error\":\"x\"}\n");
	free(line);
	cJSON *problems = cJSON_CreateArray();
	cJSON_AddItemToArray(problems, cJSON_CreateString("f.yaml:2:3: bad"));
	line = proto_reply_error_details(true, 9007199254740991LL, "1 problem", "problems", problems);
	assert_string_equal(line, "{\"id\":9007199254740991,\"ok\":false,\"error\":\"1 problem\","
	    "\"problems\":[\"f.yaml:2:3: bad\"]}\n");
	free(line);

	cJSON *data = cJSON_CreateObject();
	cJSON_AddStringToObject(data, "name", "api");
	line = proto_event("state", data);
	assert_string_equal(line, "{\"event\":\"state\",\"data\":{\"name\":\"api\"}}\n");
	free(line);
	line = proto_event("alerts", NULL);
	assert_string_equal(line, "{\"event\":\"alerts\"}\n");
	free(line);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_shape),
		cmocka_unit_test(test_keys_per_command),
		cmocka_unit_test(test_targets),
		cmocka_unit_test(test_signal),
		cmocka_unit_test(test_logs),
		cmocka_unit_test(test_grep),
		cmocka_unit_test(test_topics),
		cmocka_unit_test(test_replies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
