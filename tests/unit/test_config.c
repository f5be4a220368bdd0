/*
 * test_config — the stack-file loader (core/config on top of yamltree, units,
 * expand and rule).
 *
 * Covers: a table of invalid stack files, each checked for the exact
 * FILE:LINE:COL and message of its first problem and the number of problems;
 * files with many problems (all reported, in file order; past DIAG_KEEP);
 * valid files read field by field (the DESIGN.md example, defaults, start
 * order, ${VAR} expansion, env_file, anchors and "<<" merges, short forms);
 * config_load's own errors; config_find; and the demo stack against the
 * golden JSON file tests/fixtures/config/demo.json (VIGIL_UPDATE_GOLDEN=1
 * rewrites it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/diag.h"
#include "core/rule.h"
#include "core/specjson.h"

#define TEST_FILE "test.yaml"
#define TEST_DIR "/stack"

/* Variables the expansion cases rely on being unset. */
#define UNSET_VAR "VIGIL_TEST_SURELY_UNSET"

/* One process "a" with a command: cases add its keys on line 4 and after. */
#define HEAD "processes:\n  a:\n    command: x\n"

/* ---- helpers ----------------------------------------------------------- */

static struct spec *
parse_in(const char *yaml, const char *dir, struct diag *d)
{
	diag_init(d);
	return config_parse(TEST_FILE, dir, yaml, strlen(yaml), d);
}

/* Prints every problem, for a failing test's output. */
static void
dump_diag(struct diag *d)
{
	char buf[1400];
	for (size_t i = 0; i < d->count; i++) {
		diag_format(&d->entries[i], buf, sizeof(buf));
		print_message("    %s\n", buf);
	}
}

/* Parses a file that must be valid; fails the test with its problems otherwise. */
static struct spec *
parse_ok_in(const char *yaml, const char *dir)
{
	struct diag d;
	struct spec *s = parse_in(yaml, dir, &d);
	if (s == NULL || diag_total(&d) != 0) {
		print_error("expected a valid stack, got %zu problem(s):\n", diag_total(&d));
		dump_diag(&d);
		diag_fini(&d);
		config_free(s);
		fail();
	}
	diag_fini(&d);
	return s;
}

static struct spec *
parse_ok(const char *yaml)
{
	return parse_ok_in(yaml, TEST_DIR);
}

static const struct spec_process *
find_proc(const struct spec *s, const char *name)
{
	for (size_t i = 0; i < s->nprocesses; i++)
		if (strcmp(s->processes[i].name, name) == 0)
			return &s->processes[i];
	print_error("no process '%s'\n", name);
	fail();
	return NULL;
}

static const char *
env_get(const struct spec_env *e, const char *key)
{
	const char *v = NULL;
	for (size_t i = 0; i < e->count; i++)
		if (strcmp(e->vars[i].key, key) == 0)
			v = e->vars[i].value; /* a later one wins */
	return v;
}

/*
 * Checks that yaml is rejected with exactly the given problems, in file
 * order (each "test.yaml:L:C: message"); msgs ends with NULL. Returns false
 * and prints what differed instead of failing, so tables report every case.
 */
static bool
check_errors(const char *name, const char *yaml, size_t len, const char *const *msgs,
    size_t total)
{
	struct diag d;
	diag_init(&d);
	struct spec *s = config_parse(TEST_FILE, TEST_DIR, yaml, len, &d);
	diag_sort(&d);
	bool ok = s == NULL && diag_total(&d) == total;
	char buf[1400];
	for (size_t i = 0; ok && msgs[i] != NULL; i++) {
		if (i >= d.count) {
			ok = false;
			break;
		}
		diag_format(&d.entries[i], buf, sizeof(buf));
		if (strcmp(buf, msgs[i]) != 0)
			ok = false;
	}
	if (!ok) {
		print_error("case '%s': expected %zu problem(s) starting with\n", name, total);
		for (size_t i = 0; msgs[i] != NULL; i++)
			print_error("    %s\n", msgs[i]);
		print_error("  got %zu%s:\n", diag_total(&d), s != NULL ? " (and a spec)" : "");
		dump_diag(&d);
	}
	config_free(s);
	diag_fini(&d);
	return ok;
}

/* Runs check_errors with a NULL-terminated list given inline. */
#define EXPECT_ERRORS(yaml, total, ...) \
	assert_true(check_errors(#yaml, (yaml), strlen(yaml), \
	    (const char *const[]){__VA_ARGS__, NULL}, (total)))

/* ---- invalid files: one table ------------------------------------------ */

struct bad_case {
	const char *name;
	const char *yaml;
	const char *first; /* the first problem in file order */
	size_t count;      /* every problem */
};

static const struct bad_case bad_cases[] = {
	/* YAML syntax */
	{"bad indentation",
	 "processes:\n  a:\n    command: x\n   restart: always\n",
	 "test.yaml:4:4: syntax error: did not find expected key while parsing a "
	 "block mapping that starts at line 2", 1},
	{"value indented too deep",
	 "processes:\n  a:\n    command: x\n      restart: always\n",
	 "test.yaml:4:14: syntax error: mapping values are not allowed in this context", 1},
	{"unclosed double quote",
	 "processes:\n  a: \"x\n",
	 "test.yaml:3:1: syntax error: found unexpected end of stream while scanning "
	 "a quoted scalar that starts at line 2", 1},
	{"unclosed single quote before more lines",
	 "processes:\n  a: 'x\n  b: y\n",
	 "test.yaml:4:1: syntax error: found unexpected end of stream while scanning "
	 "a quoted scalar that starts at line 2", 1},
	{"unclosed flow sequence",
	 "processes:\n  a: [x, y\n",
	 "test.yaml:3:1: syntax error: did not find expected ',' or ']' while parsing "
	 "a flow sequence that starts at line 2", 1},
	{"unclosed flow mapping",
	 "processes:\n  a: {command: x\n",
	 "test.yaml:3:1: syntax error: did not find expected ',' or '}' while parsing "
	 "a flow mapping that starts at line 2", 1},
	{"tab as indentation",
	 "processes:\n  a:\n\tcommand: x\n",
	 "test.yaml:3:1: syntax error: a tab character; YAML indents with spaces only", 1},
	{"tab before a top-level key's child",
	 "processes:\n\ta: x\n",
	 "test.yaml:2:1: syntax error: a tab character; YAML indents with spaces only", 1},
	{"tab before a list item",
	 "processes:\n  a:\n    - x\n\t- y\n",
	 "test.yaml:4:1: syntax error: found a tab character that violates indentation "
	 "while scanning a plain scalar that starts at line 3", 1},
	{"non-UTF-8 byte",
	 "processes:\n  a: \"x\xff\"\n",
	 "test.yaml:2:8: invalid leading UTF-8 octet 0xFF; the file must be UTF-8 text", 1},
	{"non-UTF-8 byte after multibyte characters",
	 "processes:\n  a: \"\xc3\xa9\xc3\xa9\xff\"\n",
	 "test.yaml:2:9: invalid leading UTF-8 octet 0xFF; the file must be UTF-8 text", 1},
	{"truncated UTF-8 sequence",
	 "processes:\n  a: \"\xc3x\"\n",
	 "test.yaml:2:8: invalid trailing UTF-8 octet 0x78; the file must be UTF-8 text", 1},
	{"control character",
	 "processes:\n  a: \"x\x01\"\n",
	 "test.yaml:2:8: control characters are not allowed (U+0001); the file must be "
	 "UTF-8 text", 1},
	{"two documents",
	 "processes:\n  a: x\n---\nprocesses: {}\n",
	 "test.yaml:3:1: a stack file holds one YAML document ('---' starts a second)", 1},
	{"unknown alias",
	 "processes:\n  a: *nope\n",
	 "test.yaml:2:6: unknown alias '*nope'", 1},
	{"a list as a key",
	 "processes:\n  ? [a]\n  : x\n",
	 "test.yaml:2:5: mapping keys must be plain strings", 1},
	{"merge of a scalar",
	 "<<: 5\nprocesses:\n  a: x\n",
	 "test.yaml:1:5: '<<' merges only mappings", 1},
	{"alias bomb (position of the alias, not the anchor)",
	 "a: &a [x,x,x,x,x,x,x,x,x,x]\n"
	 "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	 "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	 "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	 "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
	 "f: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n",
	 "test.yaml:6:8: document too large once aliases are expanded (limit 200000 nodes)", 1},

	/* the shape of the file */
	{"a list, not a mapping",
	 "- a\n- b\n",
	 "test.yaml:1:1: a stack file must be a mapping with 'processes', not a list", 1},
	{"a scalar, not a mapping",
	 "hello\n",
	 "test.yaml:1:1: a stack file must be a mapping with 'processes', not a string", 1},
	{"empty file", "", "test.yaml:1:1: the file is empty", 1},
	{"only a comment", "# nothing here\n", "test.yaml:1:1: the file is empty", 1},
	{"version 2",
	 "version: 2\nprocesses:\n  a: x\n",
	 "test.yaml:1:10: unsupported version '2' (this vigil reads version 1)", 1},
	{"version as a list",
	 "version: [1]\nprocesses:\n  a: x\n",
	 "test.yaml:1:10: 'version' must be a whole number, not a list", 1},
	{"no processes", "name: x\n", "test.yaml:1:1: the stack file has no 'processes'", 1},
	{"processes empty",
	 "processes: {}\n",
	 "test.yaml:1:12: 'processes' is empty: a stack needs at least one process", 1},
	{"processes null",
	 "processes:\n",
	 "test.yaml:1:11: 'processes' must be a mapping of names to processes, not "
	 "nothing (null)", 1},
	{"processes a list",
	 "processes: [a, b]\n",
	 "test.yaml:1:12: 'processes' must be a mapping of names to processes, not a list", 1},
	{"invalid stack name",
	 "name: my stack\nprocesses:\n  a: x\n",
	 "test.yaml:1:7: invalid stack name 'my stack' (use up to 64 letters, digits, "
	 "'_', '-' or '.', starting with a letter, digit or '_')", 1},
	{"invalid process name",
	 "processes:\n  bad/name: x\n",
	 "test.yaml:2:3: invalid process name 'bad/name' (use up to 64 letters, digits, "
	 "'_', '-' or '.', starting with a letter, digit or '_')", 1},
	{"process name starting with a dot",
	 "processes:\n  .hidden: x\n",
	 "test.yaml:2:3: invalid process name '.hidden' (use up to 64 letters, digits, "
	 "'_', '-' or '.', starting with a letter, digit or '_')", 1},
	{"process name starting with a dash",
	 "processes:\n  -dash: x\n",
	 "test.yaml:2:3: invalid process name '-dash' (use up to 64 letters, digits, "
	 "'_', '-' or '.', starting with a letter, digit or '_')", 1},
	{"process name too long",
	 "processes:\n  a123456789b123456789c123456789d123456789e123456789f123456789g1234: x\n",
	 "test.yaml:2:3: invalid process name "
	 "'a123456789b123456789c123456789d123456789e123456789f123456789g1234' (use up to 64 "
	 "letters, digits, '_', '-' or '.', starting with a letter, digit or '_')", 1},
	{"process named all",
	 "processes:\n  all: x\n  b: {command: y, depends_on: [all]}\n",
	 "test.yaml:2:3: 'all' cannot be a process name: as a target (vigil stop all, "
	 "restart all, ...) it means every process", 1},
	{"invalid group",
	 HEAD "    group: -web\n",
	 "test.yaml:4:12: invalid group '-web' (use up to 64 letters, digits, '_', '-' or '.', "
	 "starting with a letter, digit or '_')", 1},
	{"process without command",
	 "processes:\n  a:\n    cwd: /tmp\n",
	 "test.yaml:2:3: process 'a' has no 'command'", 1},
	{"process null",
	 "processes:\n  a:\n",
	 "test.yaml:2:3: process 'a' has no 'command'", 1},

	/* unknown keys */
	{"unknown top-level key with a suggestion",
	 "versoin: 1\nprocesses:\n  a: x\n",
	 "test.yaml:1:1: unknown key 'versoin' in the stack file (did you mean 'version'?)", 1},
	{"unknown top-level key without a suggestion",
	 "colour: blue\nprocesses:\n  a: x\n",
	 "test.yaml:1:1: unknown key 'colour' in the stack file", 1},
	{"unknown settings key",
	 "settings:\n  sample_intervl: 1s\nprocesses:\n  a: x\n",
	 "test.yaml:2:3: unknown key 'sample_intervl' in settings (did you mean "
	 "'sample_interval'?)", 1},
	{"unknown process key",
	 HEAD "    restrat: always\n",
	 "test.yaml:4:5: unknown key 'restrat' in process 'a' (did you mean 'restart'?)", 1},
	{"unknown probe key",
	 HEAD "    ready: {log: x, timout: 1s}\n",
	 "test.yaml:4:21: unknown key 'timout' in ready (did you mean 'timeout'?)", 1},
	{"unknown limits key",
	 HEAD "    limits: {memroy: 1GB}\n",
	 "test.yaml:4:14: unknown key 'memroy' in limits (did you mean 'memory'?)", 1},
	{"unknown backoff key",
	 HEAD "    backoff: {intial: 1s}\n",
	 "test.yaml:4:15: unknown key 'intial' in backoff (did you mean 'initial'?)", 1},
	{"unknown alerts key",
	 "alerts: {cooldwn: 1m}\nprocesses:\n  a: x\n",
	 "test.yaml:1:10: unknown key 'cooldwn' in alerts (did you mean 'cooldown'?)", 1},

	/* wrong types */
	{"command as a mapping",
	 "processes:\n  a:\n    command: {a: b}\n",
	 "test.yaml:3:14: 'command' must be a string or a list of strings, not a mapping", 1},
	{"tags as a mapping",
	 HEAD "    tags: {a: b}\n",
	 "test.yaml:4:11: 'tags' must be a list of names, not a mapping", 1},
	{"env as a scalar",
	 HEAD "    env: FOO\n",
	 "test.yaml:4:10: 'env' must be a mapping or a list of NAME=value, not a string", 1},
	{"replicas as a list",
	 HEAD "    replicas: [1]\n",
	 "test.yaml:4:15: 'replicas' must be a whole number, not a list", 1},
	{"duration as a list",
	 HEAD "    stop_timeout: [1]\n",
	 "test.yaml:4:19: 'stop_timeout' must be a duration, not a list", 1},
	{"settings as a list",
	 "settings: [1]\nprocesses:\n  a: x\n",
	 "test.yaml:1:11: 'settings' must be a mapping, not a list", 1},
	{"disabled not a boolean",
	 HEAD "    disabled: maybe\n",
	 "test.yaml:4:15: 'disabled' must be true or false", 1},
	{"max_restarts not a number",
	 HEAD "    max_restarts: many\n",
	 "test.yaml:4:19: 'max_restarts' must be a whole number", 1},
	{"max_restarts negative",
	 HEAD "    max_restarts: -1\n",
	 "test.yaml:4:19: 'max_restarts' must be between 0 and 1000000", 1},

	/* duplicate keys */
	{"duplicate top-level key",
	 "processes:\n  a: x\nprocesses:\n  b: y\n",
	 "test.yaml:3:1: duplicate key 'processes' (first defined at line 1)", 1},
	{"duplicate key in a process",
	 "processes:\n  a:\n    command: x\n    command: y\n",
	 "test.yaml:4:5: duplicate key 'command' (first defined at line 3)", 1},

	/* empty commands */
	{"empty command string",
	 "processes:\n  a:\n    command: \"\"\n",
	 "test.yaml:3:14: 'command' is empty", 1},
	{"blank command string (short form)",
	 "processes:\n  a: \"   \"\n",
	 "test.yaml:2:6: 'command' is empty", 1},
	{"empty command list",
	 "processes:\n  a:\n    command: []\n",
	 "test.yaml:3:14: 'command' is empty", 1},
	{"null command",
	 "processes:\n  a:\n    command:\n",
	 "test.yaml:3:13: 'command' is empty", 1},
	{"empty program name",
	 "processes:\n  a: {command: [\"\", x]}\n",
	 "test.yaml:2:17: 'command': the program name is empty", 1},

	/* units */
	{"duration 10x",
	 HEAD "    stop_timeout: 10x\n",
	 "test.yaml:4:19: 'stop_timeout': unknown duration unit (use ms, s, m, h or d)", 1},
	{"size 12 parsecs",
	 "settings:\n  log_max_size: 12 parsecs\nprocesses:\n  a: x\n",
	 "test.yaml:2:17: 'log_max_size': unknown size unit (use B, KB, MB, GB, KiB, "
	 "MiB, GiB)", 1},
	{"negative duration",
	 "settings:\n  shutdown_timeout: -5s\nprocesses:\n  a: x\n",
	 "test.yaml:2:21: 'shutdown_timeout': a duration cannot be negative", 1},
	{"percent abc",
	 HEAD "    limits: {cpu: abc}\n",
	 "test.yaml:4:19: 'cpu': expected a percent such as 50%", 1},
	{"sample interval too short",
	 "settings: {sample_interval: 10ms}\nprocesses:\n  a: x\n",
	 "test.yaml:1:29: 'sample_interval' must be at least 100ms", 1},
	{"memory limit too small",
	 HEAD "    limits: {memory: 1KB}\n",
	 "test.yaml:4:22: 'memory' limit must be at least 4KiB", 1},
	{"backoff max below initial",
	 HEAD "    backoff: {initial: 10s, max: 1s}\n",
	 "test.yaml:4:14: backoff 'max' is below 'initial'", 1},
	{"backoff factor below 1",
	 HEAD "    backoff: {factor: 0.5}\n",
	 "test.yaml:4:23: 'factor' must be between 1 and 100", 1},

	/* signals */
	{"unknown signal with a suggestion",
	 HEAD "    stop_signal: SIGTREM\n",
	 "test.yaml:4:18: unknown signal 'SIGTREM' (did you mean 'SIGTERM'?)", 1},
	{"unknown signal, lower case without SIG",
	 HEAD "    stop_signal: trem\n",
	 "test.yaml:4:18: unknown signal 'trem' (did you mean 'SIGTERM'?)", 1},
	{"unknown signal without a suggestion",
	 HEAD "    stop_signal: BANANA\n",
	 "test.yaml:4:18: unknown signal 'BANANA'", 1},
	{"unknown signal number",
	 HEAD "    stop_signal: 99\n",
	 "test.yaml:4:18: unknown signal '99'", 1},

	/* enums */
	{"restart policy with a suggestion",
	 HEAD "    restart: on_failure\n",
	 "test.yaml:4:14: invalid restart policy 'on_failure' (did you mean 'on-failure'?)", 1},
	{"restart policy without a suggestion",
	 HEAD "    restart: sometimes\n",
	 "test.yaml:4:14: invalid restart policy 'sometimes' (expected one of: no, "
	 "always, on-failure, unless-stopped)", 1},
	{"unknown kind",
	 HEAD "    kind: daemon\n",
	 "test.yaml:4:11: invalid kind 'daemon' (expected one of: service, oneshot, cleanup)", 1},

	/* dependencies */
	{"depends_on a missing process, with a suggestion",
	 "processes:\n  db: x\n  api:\n    command: y\n    depends_on: [dbb]\n",
	 "test.yaml:5:18: 'api' depends on 'dbb', which is not a process of this stack "
	 "(did you mean 'db'?)", 1},
	{"depends_on a missing process, without a suggestion",
	 "processes:\n  db: x\n  api:\n    command: y\n    depends_on: {cache: started}\n",
	 "test.yaml:5:18: 'api' depends on 'cache', which is not a process of this stack", 1},
	{"depends_on a missing process: no suggestion of itself",
	 "processes:\n  db: x\n  api:\n    command: y\n    depends_on: [apii]\n",
	 "test.yaml:5:18: 'api' depends on 'apii', which is not a process of this stack", 1},
	{"depends_on an empty name",
	 HEAD "    depends_on: [~]\n",
	 "test.yaml:4:18: 'depends_on' lists an empty process name", 1},
	{"two-process cycle",
	 "processes:\n  a:\n    command: x\n    depends_on: [b]\n"
	 "  b:\n    command: y\n    depends_on: [a]\n",
	 "test.yaml:7:18: dependency cycle: a -> b -> a", 1},
	{"three-process cycle",
	 "processes:\n  a: {command: x, depends_on: [b]}\n"
	 "  b: {command: x, depends_on: [c]}\n  c: {command: x, depends_on: [a]}\n",
	 "test.yaml:4:32: dependency cycle: a -> b -> c -> a", 1},
	{"self-dependency",
	 HEAD "    depends_on: [a]\n",
	 "test.yaml:4:18: dependency cycle: a -> a", 1},
	{"bad condition name with a suggestion",
	 "processes:\n  db: x\n  api:\n    command: y\n    depends_on: {db: redy}\n",
	 "test.yaml:5:22: invalid condition 'redy' (did you mean 'ready'?)", 1},
	{"bad condition name without a suggestion",
	 "processes:\n  db: x\n  api:\n    command: y\n    depends_on: {db: alive}\n",
	 "test.yaml:5:22: invalid condition 'alive' (expected one of: started, ready, "
	 "healthy, completed, completed_successfully)", 1},
	{"healthy on a process without a health probe",
	 "processes:\n  db: x\n  api:\n    command: y\n    depends_on: {db: healthy}\n",
	 "test.yaml:5:18: 'api' waits for 'db' to be healthy, but 'db' has no health probe", 1},
	{"completed on a process that restarts always",
	 "processes:\n  db: {command: x, restart: always}\n"
	 "  api:\n    command: y\n    depends_on: {db: completed}\n",
	 "test.yaml:5:18: 'api' waits for 'db' to complete, but 'db' restarts always", 1},
	{"depends on a cleanup",
	 "processes:\n  c: {command: x, kind: cleanup}\n  a: {command: y, depends_on: [c]}\n",
	 "test.yaml:3:32: 'a' cannot depend on 'c': cleanup processes run only at shutdown", 1},
	{"a dependency listed twice",
	 "processes:\n  b: x\n  a: {command: y, depends_on: [b, b]}\n",
	 "test.yaml:3:35: 'b' is listed twice in depends_on", 1},

	/* replicas */
	{"replicas 0",
	 HEAD "    replicas: 0\n",
	 "test.yaml:4:15: 'replicas' must be at least 1", 1},
	{"replicas -1",
	 HEAD "    replicas: -1\n",
	 "test.yaml:4:15: 'replicas' must be at least 1", 1},
	{"replicas too many",
	 HEAD "    replicas: 1000\n",
	 "test.yaml:4:15: 'replicas' must be at most 256", 1},
	{"replicas on a cleanup",
	 HEAD "    kind: cleanup\n    replicas: 2\n",
	 "test.yaml:5:15: a cleanup process runs once; 'replicas' must be 1", 1},

	/* probes */
	{"invalid regex in ready.log",
	 HEAD "    ready: {log: \"(unclosed\"}\n",
	 "test.yaml:4:18: invalid regular expression in 'ready.log': Unmatched ( or \\(", 1},
	{"tcp address without a port",
	 HEAD "    ready: {tcp: localhost}\n",
	 "test.yaml:4:18: invalid address 'localhost' in 'ready.tcp': expected host:port", 1},
	{"tcp port 70000",
	 HEAD "    ready: {tcp: \"localhost:70000\"}\n",
	 "test.yaml:4:18: invalid address 'localhost:70000' in 'ready.tcp': the port must "
	 "be a number between 1 and 65535", 1},
	{"tcp empty host",
	 HEAD "    health: {tcp: \":80\"}\n",
	 "test.yaml:4:19: invalid address ':80' in 'health.tcp': the host is empty", 1},
	{"tcp IPv6 without brackets",
	 HEAD "    health: {tcp: \"::1:80\"}\n",
	 "test.yaml:4:19: invalid address '::1:80' in 'health.tcp': an IPv6 address must "
	 "be written in brackets: [::1]:port", 1},
	{"http URL with ftp://",
	 HEAD "    ready: {http: \"ftp://x/\"}\n",
	 "test.yaml:4:19: invalid URL 'ftp://x/' in 'ready.http': the URL must start with "
	 "http:// or https://", 1},
	{"http URL without a host",
	 HEAD "    ready: {http: \"http:///path\"}\n",
	 "test.yaml:4:19: invalid URL 'http:///path' in 'ready.http': the URL has no host", 1},
	{"probe with no kind",
	 HEAD "    ready: {timeout: 5s}\n",
	 "test.yaml:4:12: 'ready' needs a probe kind: one of log, exec, tcp, http, notify", 1},
	{"health probe with no kind",
	 HEAD "    health: {interval: 5s}\n",
	 "test.yaml:4:13: 'health' needs a probe kind: one of log, exec, tcp, http, notify, "
	 "silence", 1},
	{"probe with two kinds",
	 HEAD "    health: {tcp: \"a:1\", http: \"http://a/\"}\n",
	 "test.yaml:4:26: 'health' has two probe kinds ('tcp' and 'http'); use one", 1},
	{"health probe of kind log",
	 HEAD "    health: {log: ready}\n",
	 "test.yaml:4:19: a health probe cannot be 'log'; 'silence: 5m' checks that "
	 "output keeps coming", 1},
	{"ready probe of kind silence",
	 HEAD "    ready: {silence: 5m}\n",
	 "test.yaml:4:22: 'silence' is a health probe; a ready probe on output is 'log'", 1},
	{"retries on a ready probe",
	 HEAD "    ready: {log: x, retries: 3}\n",
	 "test.yaml:4:30: 'retries' applies to health probes; a ready probe retries until "
	 "its timeout", 1},
	{"notify: false",
	 HEAD "    ready: {notify: false}\n",
	 "test.yaml:4:21: 'ready.notify' must be true (remove the probe to turn it off)", 1},
	{"health probe on a oneshot",
	 HEAD "    kind: oneshot\n    health: {exec: x}\n",
	 "test.yaml:5:13: a oneshot process cannot have a health probe", 1},

	/* alert rules: the column points into the rule */
	{"rule with an unknown metric",
	 HEAD "    alerts: [\"cpux > 5\"]\n",
	 "test.yaml:4:15: invalid alert rule: unknown metric or event 'cpux' (expected cpu, "
	 "tree_cpu, memory, tree_memory, threads, fds, io_read, io_write, load, "
	 "host_memory, restarts, state, unhealthy, exited or log)", 1},
	{"rule missing its value",
	 HEAD "    alerts: [\"cpu >\"]\n",
	 "test.yaml:4:20: invalid alert rule: expected a value after the comparison", 1},
	{"rule with a bad unit",
	 HEAD "    alerts: [\"memory > 12XB\"]\n",
	 "test.yaml:4:24: invalid alert rule: unknown size unit (use B, KB, MB, GB, KiB, "
	 "MiB, GiB)", 1},
	{"rule with trailing garbage",
	 HEAD "    alerts: [\"memory > 5MB for 3 samples please\"]\n",
	 "test.yaml:4:42: invalid alert rule: unexpected 'please' at the end of the rule", 1},
	{"rule as a plain scalar in a block list",
	 HEAD "    alerts:\n      - restarts > 3 in 5x\n",
	 "test.yaml:5:25: invalid alert rule: unknown duration unit (use ms, s, m, h or d)", 1},
	{"rule in single quotes after a multibyte character",
	 HEAD "    alerts: ['\xc3\xa9t\xc3\xa9 > 5']\n",
	 "test.yaml:4:15: invalid alert rule: unknown metric or event '\xc3\xa9t\xc3\xa9' "
	 "(expected cpu, tree_cpu, memory, tree_memory, threads, fds, io_read, io_write, "
	 "load, host_memory, restarts, state, unhealthy, exited or log)", 1},
	{"rule with a YAML escape: column of the scalar",
	 HEAD "    alerts: [\"cpu > 5\\t%\"]\n",
	 "test.yaml:4:14: invalid alert rule: unexpected '%' at the end of the rule", 1},
	{"rule changed by ${} expansion: column of the scalar",
	 HEAD "    alerts: [\"cpu > 5${" UNSET_VAR ":-% x}\"]\n",
	 "test.yaml:4:14: invalid alert rule: unexpected 'x' at the end of the rule", 1},
	{"rule mapping without rule",
	 HEAD "    alerts: [{severity: info}]\n",
	 "test.yaml:4:14: an alert rule needs 'rule'", 1},
	{"rule with a bad severity",
	 HEAD "    alerts: [{rule: \"cpu > 5\", severity: critcal}]\n",
	 "test.yaml:4:42: invalid severity 'critcal' (did you mean 'critical'?)", 1},
	{"target on a process rule",
	 HEAD "    alerts: [{rule: \"cpu > 5\", target: \"@web\"}]\n",
	 "test.yaml:4:40: 'target' belongs to top-level alert rules; a process's own "
	 "rules apply to it", 1},
	{"invalid top-level target",
	 "alerts:\n  rules: [{rule: \"cpu > 5\", target: web}]\nprocesses:\n  a: x\n",
	 "test.yaml:2:37: invalid target 'web' (expected @group, #tag or all)", 1},
	{"alerts as a mapping in a process",
	 HEAD "    alerts: {rule: x}\n",
	 "test.yaml:4:13: 'alerts' must be a list of rules, not a mapping", 1},
	{"invalid webhook",
	 "alerts:\n  notify: {webhook: \"ftp://x\"}\nprocesses:\n  a: x\n",
	 "test.yaml:2:21: invalid URL 'ftp://x' in 'alerts.notify.webhook': the URL must "
	 "start with http:// or https://", 1},

	/* ${} expansion */
	{"${VAR:?message} when unset",
	 "processes:\n  a:\n    command: \"run ${" UNSET_VAR ":?set it first}\"\n",
	 "test.yaml:3:19: " UNSET_VAR ": set it first", 1},
	{"${VAR:?} when unset",
	 "processes:\n  a:\n    command: run ${" UNSET_VAR ":?}\n",
	 "test.yaml:3:18: " UNSET_VAR " is not set", 1},
	{"unterminated ${",
	 HEAD "    cwd: \"${HOME\"\n",
	 "test.yaml:4:11: unterminated '${' (missing '}')", 1},
	{"invalid name in ${}",
	 HEAD "    env: {A: \"x${1}\"}\n",
	 "test.yaml:4:16: invalid variable name in '${...}'", 1},
	{"bad operator in ${}",
	 HEAD "    env: {A: \"${HOME+x}\"}\n",
	 "test.yaml:4:15: invalid '${HOME...}': expected '}', ':-', '-', ':?' or '?'", 1},

	/* environments and other fields */
	{"invalid environment variable name",
	 HEAD "    env: {1A: x}\n",
	 "test.yaml:4:11: invalid environment variable name '1A'", 1},
	{"env list entry without =",
	 HEAD "    env: [NOEQ]\n",
	 "test.yaml:4:11: 'env' entries must look like NAME=value", 1},
	{"missing env_file",
	 HEAD "    env_file: missing.env\n",
	 "test.yaml:4:15: env_file '/stack/missing.env': No such file or directory", 1},
	{"invalid tag",
	 HEAD "    tags: [\"a b\"]\n",
	 "test.yaml:4:12: invalid tag 'a b' (use up to 64 letters, digits, '_', '-' or '.', "
	 "starting with a letter, digit or '_')", 1},
	{"invalid user",
	 HEAD "    user: \"a b\"\n",
	 "test.yaml:4:11: invalid user 'a b' (expected NAME, UID, or NAME:GROUP)", 1},
	{"invalid umask",
	 HEAD "    umask: 999\n",
	 "test.yaml:4:12: 'umask' must be an octal number such as 022", 1},
	{"NUL character in a string",
	 HEAD "    user: \"a\\0b\"\n",
	 "test.yaml:4:11: 'user' contains a NUL character", 1},
	{"empty cwd",
	 HEAD "    cwd: \"\"\n",
	 "test.yaml:4:10: 'cwd' must not be empty", 1},
};

static void
test_invalid_table(void **state)
{
	(void)state;
	size_t n = sizeof(bad_cases) / sizeof(bad_cases[0]);
	size_t failed = 0;
	for (size_t i = 0; i < n; i++) {
		const struct bad_case *bc = &bad_cases[i];
		const char *msgs[] = {bc->first, NULL};
		if (!check_errors(bc->name, bc->yaml, strlen(bc->yaml), msgs, bc->count))
			failed++;
	}
	if (failed > 0) {
		print_error("%zu of %zu invalid cases failed\n", failed, n);
		fail();
	}
}

/* A NUL byte inside the file (strlen cannot carry it). */
static void
test_invalid_nul_byte(void **state)
{
	(void)state;
	static const char yaml[] = "processes:\n  a: \"x\0\"\n";
	assert_true(check_errors("NUL byte", yaml, sizeof(yaml) - 1,
	    (const char *const[]){"test.yaml:2:8: control characters are not allowed "
	    "(U+0000); the file must be UTF-8 text", NULL}, 1));
}

/* Nesting past YTREE_MAX_DEPTH: the flow sequence that goes one level too deep. */
static void
test_invalid_too_deep(void **state)
{
	(void)state;
	char yaml[256] = "processes:\n  a: ";
	size_t n = strlen(yaml);
	for (int i = 0; i < 70; i++)
		yaml[n++] = '[';
	for (int i = 0; i < 70; i++)
		yaml[n++] = ']';
	yaml[n++] = '\n';
	yaml[n] = '\0';
	/* The root and 'processes' take two levels: the 63rd '[' (column 68) is the 65th. */
	assert_true(check_errors("too deep", yaml, n,
	    (const char *const[]){"test.yaml:2:68: nesting is too deep (limit 64 levels)",
	    NULL}, 1));
}

/* A file over 4 MiB is refused before parsing, with no position. */
static void
test_invalid_too_large(void **state)
{
	(void)state;
	size_t len = ((size_t)4 << 20) + 1;
	char *big = malloc(len);
	assert_non_null(big);
	memset(big, '#', len);
	bool ok = check_errors("too large", big, len,
	    (const char *const[]){"test.yaml: file is too large (4194305 bytes; the limit "
	    "is 4 MiB)", NULL}, 1);
	free(big);
	assert_true(ok);
}

/* As root, where users are switched: unknown names are found with the file,
 * not at the first spawn; numbers need no entry (as under systemd). */
static void
test_invalid_unknown_user_as_root(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	EXPECT_ERRORS(HEAD "    user: no-such-user-xyz\n", 1,
	    "test.yaml:4:11: unknown user 'no-such-user-xyz' (not in this system's user "
	    "database; a number is taken as a uid)");
	EXPECT_ERRORS(HEAD "    user: \"root:no-such-group-xyz\"\n", 1,
	    "test.yaml:4:17: unknown group 'no-such-group-xyz' (not in this system's group "
	    "database; a number is taken as a gid)");
	setenv("VIGIL_TEST_USER", "no-such-user-xyz:root", 1);
	EXPECT_ERRORS(HEAD "    user: ${VIGIL_TEST_USER}\n", 1,
	    "test.yaml:4:11: unknown user 'no-such-user-xyz' (not in this system's user "
	    "database; a number is taken as a uid)");
	unsetenv("VIGIL_TEST_USER");
	struct spec *s = parse_ok(HEAD "    user: \"54321:54322\"\n");
	assert_string_equal(s->processes[0].user, "54321:54322");
	config_free(s);
}

/* ---- invalid files: many problems at once ------------------------------ */

static void
test_invalid_many_in_file_order(void **state)
{
	(void)state;
	/* Problems are found section by section (processes before cross-checks),
	 * but reported in file order. */
	static const char yaml[] =
	    "versoin: 1\n"                                   /* 1 */
	    "settings:\n"                                    /* 2 */
	    "  log_max_size: 12 parsecs\n"                   /* 3 */
	    "processes:\n"                                   /* 4 */
	    "  web:\n"                                       /* 5 */
	    "    command: [\"\"]\n"                          /* 6 */
	    "    depends_on: {dbb: ready}\n"                 /* 7 */
	    "    stop_signal: SIGTREM\n"                     /* 8 */
	    "    alerts: [\"cpu > 80% for 2 sampls\"]\n"     /* 9 */
	    "  db:\n"                                        /* 10 */
	    "    command: x\n"                               /* 11 */
	    "    replicas: 0\n"                              /* 12 */
	    "    ready: {tcp: \"db:70000\"}\n"               /* 13 */
	    "alerts:\n"                                      /* 14 */
	    "  cooldown: 10x\n";                             /* 15 */
	EXPECT_ERRORS(yaml, 9,
	    "test.yaml:1:1: unknown key 'versoin' in the stack file (did you mean 'version'?)",
	    "test.yaml:3:17: 'log_max_size': unknown size unit (use B, KB, MB, GB, KiB, "
	    "MiB, GiB)",
	    "test.yaml:6:15: 'command': the program name is empty",
	    "test.yaml:7:18: 'web' depends on 'dbb', which is not a process of this stack "
	    "(did you mean 'db'?)",
	    "test.yaml:8:18: unknown signal 'SIGTREM' (did you mean 'SIGTERM'?)",
	    "test.yaml:9:31: invalid alert rule: unexpected 'sampls' (did you mean 'samples'?)",
	    "test.yaml:12:15: 'replicas' must be at least 1",
	    "test.yaml:13:18: invalid address 'db:70000' in 'ready.tcp': the port must be a "
	    "number between 1 and 65535",
	    "test.yaml:15:13: 'cooldown': unknown duration unit (use ms, s, m, h or d)");
}

static void
test_invalid_duplicates_all_reported(void **state)
{
	(void)state;
	/* Each repeat names the first definition; the file is still checked. */
	static const char yaml[] =
	    "processes:\n  a: x\n  a: y\n  a: z\n  b:\n    command: w\n    kind: nope\n";
	EXPECT_ERRORS(yaml, 3,
	    "test.yaml:3:3: duplicate key 'a' (first defined at line 2)",
	    "test.yaml:4:3: duplicate key 'a' (first defined at line 2)",
	    "test.yaml:7:11: invalid kind 'nope' (expected one of: service, oneshot, cleanup)");
}

/* A file with n processes, each with one unknown key; the caller frees it. */
static char *
make_many_errors(size_t n)
{
	size_t size = 32 + n * 64;
	char *yaml = malloc(size);
	assert_non_null(yaml);
	size_t len = (size_t)snprintf(yaml, size, "processes:\n");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(yaml + len, size - len,
		    "  p%zu: {command: x, colour: red}\n", i);
	return yaml;
}

static void
test_invalid_more_than_twenty(void **state)
{
	(void)state;
	char *yaml = make_many_errors(25);
	struct diag d;
	struct spec *s = parse_in(yaml, TEST_DIR, &d);
	assert_null(s);
	assert_int_equal(diag_total(&d), 25);
	assert_int_equal(d.count, 25);
	assert_int_equal(d.dropped, 0);
	diag_sort(&d);
	char buf[512], want[128];
	for (size_t i = 0; i < 25; i++) {
		diag_format(&d.entries[i], buf, sizeof(buf));
		snprintf(want, sizeof(want), "test.yaml:%zu:%d: unknown key 'colour' in "
		    "process 'p%zu'", i + 2, i < 10 ? 20 : 21, i);
		assert_string_equal(buf, want);
	}
	/* diag_print shows 20 and counts the rest. */
	char *out = NULL;
	size_t outlen = 0;
	FILE *f = open_memstream(&out, &outlen);
	assert_non_null(f);
	diag_print(&d, f);
	fclose(f);
	assert_non_null(strstr(out, "test.yaml:21:21: unknown key 'colour' in process 'p19'\n"
	    "vigil: 5 more problems not shown\n"));
	assert_null(strstr(out, "'p20'"));
	free(out);
	diag_fini(&d);
	free(yaml);
}

static void
test_invalid_past_diag_keep(void **state)
{
	(void)state;
	char *yaml = make_many_errors(300);
	struct diag d;
	struct spec *s = parse_in(yaml, TEST_DIR, &d);
	assert_null(s);
	assert_int_equal(d.count, DIAG_KEEP);
	assert_int_equal(d.dropped, 300 - DIAG_KEEP);
	assert_int_equal(diag_total(&d), 300);
	diag_fini(&d);
	free(yaml);
}

/* ---- valid files ------------------------------------------------------- */

/* The example of DESIGN.md, with every key the loader reads somewhere. */
static const char design_yaml[] =
    "version: 1\n"
    "name: shop                      # defaults to the folder name\n"
    "settings:\n"
    "  sample_interval: 1s\n"
    "  log_dir: .vigil/logs\n"
    "  log_max_size: 10MB\n"
    "  log_max_files: 5\n"
    "  shutdown_timeout: 15s\n"
    "env: {TZ: UTC}\n"
    "processes:\n"
    "  db:\n"
    "    command: [\"redis-server\", \"--port\", \"6390\"]   # list = argv, no shell\n"
    "    tags: [data, critical]\n"
    "    group: storage\n"
    "    ready: {log: \"Ready to accept connections\", timeout: 20s}\n"
    "  api:\n"
    "    command: \"python3 -m http.server 8080\"        # string = /bin/sh -c\n"
    "    cwd: ./web\n"
    "    env: {PORT: \"8080\"}\n"
    "    depends_on: {db: ready, migrate: completed_successfully}\n"
    "    ready: {http: \"http://127.0.0.1:8080/\", timeout: 10s}\n"
    "    health: {tcp: \"127.0.0.1:8080\", interval: 5s, timeout: 1s, retries: 3, "
    "on_fail: restart}\n"
    "    restart: on-failure\n"
    "    backoff: {initial: 1s, max: 30s, factor: 2}\n"
    "    max_restarts: 5\n"
    "    restart_window: 60s\n"
    "    stop_signal: SIGTERM\n"
    "    stop_timeout: 10s\n"
    "    replicas: 1\n"
    "    limits: {memory: 512MB, cpu: 50%, nofile: 4096}\n"
    "    alerts:\n"
    "      - \"cpu > 80% for 5 samples\"\n"
    "      - \"memory > 400MB\"\n"
    "      - \"restarts > 3 in 5m\"\n"
    "  migrate: {command: \"./migrate.sh\", kind: oneshot}\n"
    "  cleanup: {command: \"rm -rf /tmp/shop-cache\", kind: cleanup}   # runs at shutdown\n"
    "alerts:\n"
    "  cooldown: 5m\n"
    "  notify: {exec: \"logger -t vigil\"}   # gets the alert as JSON on stdin\n";

static void
test_valid_design_example(void **state)
{
	(void)state;
	struct spec *s = parse_ok_in(design_yaml, "/srv/shop");
	assert_string_equal(s->file, "test.yaml");
	assert_string_equal(s->dir, "/srv/shop");
	assert_int_equal(s->version, 1);
	assert_string_equal(s->name, "shop");
	assert_int_equal(s->settings.sample_interval_ms, 1000);
	assert_string_equal(s->settings.log_dir, "/srv/shop/.vigil/logs");
	assert_int_equal(s->settings.log_max_size, 10000000);
	assert_int_equal(s->settings.log_max_files, 5);
	assert_int_equal(s->settings.log_buffer, 1 << 20);
	assert_int_equal(s->settings.shutdown_timeout_ms, 15000);
	assert_int_equal(s->env.count, 1);
	assert_string_equal(s->env.vars[0].key, "TZ");
	assert_string_equal(s->env.vars[0].value, "UTC");

	assert_int_equal(s->nprocesses, 4);
	assert_string_equal(s->processes[0].name, "db");
	assert_string_equal(s->processes[1].name, "api");
	assert_string_equal(s->processes[2].name, "migrate");
	assert_string_equal(s->processes[3].name, "cleanup");
	/* db, then migrate (api waits for it), then api; the cleanup last. */
	assert_int_equal(s->start_order[0], 0);
	assert_int_equal(s->start_order[1], 2);
	assert_int_equal(s->start_order[2], 1);
	assert_int_equal(s->start_order[3], 3);

	const struct spec_process *db = &s->processes[0];
	assert_int_equal(db->pos.line, 11);
	assert_int_equal(db->pos.col, 3);
	assert_int_equal(db->kind, SPEC_SERVICE);
	assert_false(db->command.shell);
	assert_int_equal(db->command.argc, 3);
	assert_string_equal(db->command.argv[0], "redis-server");
	assert_string_equal(db->command.argv[1], "--port");
	assert_string_equal(db->command.argv[2], "6390");
	assert_null(db->command.argv[3]);
	assert_string_equal(db->cwd, "/srv/shop");
	assert_int_equal(db->env.count, 0);
	assert_int_equal(db->ntags, 2);
	assert_string_equal(db->tags[0], "data");
	assert_string_equal(db->tags[1], "critical");
	assert_null(db->tags[2]);
	assert_string_equal(db->group, "storage");
	assert_int_equal(db->ndeps, 0);
	assert_int_equal(db->ready.kind, SPEC_PROBE_LOG);
	assert_string_equal(db->ready.log, "Ready to accept connections");
	assert_int_equal(db->ready.timeout_ms, 20000);
	assert_int_equal(db->ready.interval_ms, 500);
	assert_int_equal(db->ready.pos.line, 15);
	assert_int_equal(db->ready.pos.col, 12);
	assert_int_equal(db->health.kind, SPEC_PROBE_NONE);
	assert_int_equal(db->restart, SPEC_RESTART_ON_FAILURE);
	assert_int_equal(db->replicas, 1);
	assert_int_equal(db->nalerts, 0);
	assert_false(db->disabled);

	const struct spec_process *api = &s->processes[1];
	assert_int_equal(api->kind, SPEC_SERVICE);
	assert_true(api->command.shell);
	assert_int_equal(api->command.argc, 1);
	assert_string_equal(api->command.argv[0], "python3 -m http.server 8080");
	assert_null(api->command.argv[1]);
	assert_string_equal(api->cwd, "/srv/shop/web");
	assert_int_equal(api->env.count, 1);
	assert_string_equal(api->env.vars[0].key, "PORT");
	assert_string_equal(api->env.vars[0].value, "8080");
	assert_int_equal(api->ntags, 0);
	assert_null(api->group);
	assert_int_equal(api->ndeps, 2);
	assert_string_equal(api->deps[0].name, "db");
	assert_int_equal(api->deps[0].index, 0);
	assert_int_equal(api->deps[0].cond, SPEC_COND_READY);
	assert_int_equal(api->deps[0].pos.line, 20);
	assert_int_equal(api->deps[0].pos.col, 18);
	assert_string_equal(api->deps[1].name, "migrate");
	assert_int_equal(api->deps[1].index, 2);
	assert_int_equal(api->deps[1].cond, SPEC_COND_COMPLETED_SUCCESSFULLY);
	assert_int_equal(api->ready.kind, SPEC_PROBE_HTTP);
	assert_string_equal(api->ready.url, "http://127.0.0.1:8080/");
	assert_string_equal(api->ready.host, "127.0.0.1");
	assert_int_equal(api->ready.port, 8080);
	assert_int_equal(api->ready.timeout_ms, 10000);
	assert_int_equal(api->health.kind, SPEC_PROBE_TCP);
	assert_string_equal(api->health.host, "127.0.0.1");
	assert_int_equal(api->health.port, 8080);
	assert_null(api->health.url);
	assert_int_equal(api->health.interval_ms, 5000);
	assert_int_equal(api->health.timeout_ms, 1000);
	assert_int_equal(api->health.initial_delay_ms, 0);
	assert_int_equal(api->health.retries, 3);
	assert_int_equal(api->health.on_fail, SPEC_ON_FAIL_RESTART);
	assert_int_equal(api->restart, SPEC_RESTART_ON_FAILURE);
	assert_int_equal(api->backoff.initial_ms, 1000);
	assert_int_equal(api->backoff.max_ms, 30000);
	assert_true(api->backoff.factor == 2.0);
	assert_int_equal(api->max_restarts, 5);
	assert_int_equal(api->restart_window_ms, 60000);
	assert_int_equal(api->stop_signal, SIGTERM);
	assert_int_equal(api->stop_timeout_ms, 10000);
	assert_int_equal(api->replicas, 1);
	assert_int_equal(api->limits.memory, 512000000);
	assert_true(api->limits.cpu == 50.0);
	assert_int_equal(api->limits.nofile, 4096);
	assert_int_equal(api->limits.nproc, -1);
	assert_int_equal(api->limits.core, -1);
	assert_int_equal(api->nalerts, 3);
	assert_int_equal(api->alerts[0].kind, RULE_METRIC);
	assert_string_equal(api->alerts[0].text, "cpu > 80% for 5 samples");
	assert_int_equal(api->alerts[0].metric, RULE_M_CPU);
	assert_int_equal(api->alerts[0].op, RULE_GT);
	assert_true(api->alerts[0].value == 80.0);
	assert_int_equal(api->alerts[0].for_samples, 5);
	assert_int_equal(api->alerts[0].severity, RULE_WARNING);
	assert_null(api->alerts[0].target);
	assert_int_equal(api->alerts[1].metric, RULE_M_MEMORY);
	assert_true(api->alerts[1].value == 400e6);
	assert_int_equal(api->alerts[2].kind, RULE_RESTARTS);
	assert_true(api->alerts[2].value == 3.0);
	assert_int_equal(api->alerts[2].window_ms, 300000);
	/* The effective environment: the stack's, then the process's. */
	struct arena *a = arena_new();
	struct spec_env env = config_process_env(s, api, a);
	assert_int_equal(env.count, 2);
	assert_string_equal(env_get(&env, "TZ"), "UTC");
	assert_string_equal(env_get(&env, "PORT"), "8080");
	arena_free(a);

	const struct spec_process *migrate = &s->processes[2];
	assert_int_equal(migrate->kind, SPEC_ONESHOT);
	assert_true(migrate->command.shell);
	assert_string_equal(migrate->command.argv[0], "./migrate.sh");
	assert_int_equal(migrate->restart, SPEC_RESTART_NO); /* a oneshot's default */

	const struct spec_process *cleanup = &s->processes[3];
	assert_int_equal(cleanup->kind, SPEC_CLEANUP);
	assert_string_equal(cleanup->command.argv[0], "rm -rf /tmp/shop-cache");
	assert_int_equal(cleanup->restart, SPEC_RESTART_NO);

	assert_int_equal(s->alerts.cooldown_ms, 300000);
	assert_true(s->alerts.notify_exec.shell);
	assert_int_equal(s->alerts.notify_exec.argc, 1);
	assert_string_equal(s->alerts.notify_exec.argv[0], "logger -t vigil");
	assert_null(s->alerts.webhook);
	assert_int_equal(s->alerts.webhook_timeout_ms, 5000);
	assert_int_equal(s->alerts.nrules, 0);
	config_free(s);
}

/* Every key of a process and of the stack that the design example leaves out. */
static void
test_valid_every_other_field(void **state)
{
	(void)state;
	static const char yaml[] =
	    "settings: {log_dir: /var/log/x, log_buffer: 64KiB, log_max_files: 0}\n"
	    "processes:\n"
	    "  w:\n"
	    "    command: [\"sh\", \"-c\", \"exit 0\"]\n"
	    "    user: \"root:root\"\n"
	    "    umask: \"027\"\n"
	    "    tags: solo\n"
	    "    health: {exec: [\"true\"], interval: 250ms, timeout: 2s, initial_delay: 3s, "
	    "retries: 5, on_fail: alert}\n"
	    "    ready: {notify: true, timeout: 1m, interval: 20ms}\n"
	    "    restart: unless-stopped\n"
	    "    backoff: {initial: 500ms, max: 2m, factor: 1.5}\n"
	    "    max_restarts: 0\n"
	    "    restart_window: 1h\n"
	    "    stop_signal: int\n"
	    "    stop_timeout: 1m30s\n"
	    "    replicas: 3\n"
	    "    limits: {memory: 1GiB, cpu: 150, nofile: 65536, nproc: 100, core: unlimited}\n"
	    "    alerts:\n"
	    "      - {rule: \"unhealthy for 30s\", severity: critical}\n"
	    "      - exited with SIGSEGV\n"
	    "    disabled: yes\n"
	    "  s:\n"
	    "    command: x\n"
	    "    health: {silence: 5m, on_fail: none}\n"
	    "    restart: no\n"
	    "    stop_signal: 9\n"
	    "    limits: {core: 0}\n"
	    "  h:\n"
	    "    command: x\n"
	    "    health: {http: \"https://user@[::1]/ping\"}\n"
	    "    restart: false\n"
	    "    disabled: off\n"
	    "alerts:\n"
	    "  cooldown: 30s\n"
	    "  notify: {exec: [\"notify-send\", \"vigil\"], webhook: \"https://hooks.example.com/x\", "
	    "timeout: 3s}\n"
	    "  rules:\n"
	    "    - \"host_memory > 90%\"\n"
	    "    - {rule: \"state == fatal\", target: \"@web\", severity: info}\n"
	    "    - {rule: \"log =~ /panic/\", target: \"#critical\"}\n"
	    "    - {rule: \"load > 4\", target: all}\n";
	struct spec *s = parse_ok(yaml);
	assert_string_equal(s->settings.log_dir, "/var/log/x");
	assert_int_equal(s->settings.log_buffer, 65536);
	assert_int_equal(s->settings.log_max_files, 0);

	const struct spec_process *w = find_proc(s, "w");
	assert_false(w->command.shell);
	assert_int_equal(w->command.argc, 3);
	assert_string_equal(w->command.argv[2], "exit 0");
	assert_string_equal(w->user, "root:root");
	assert_int_equal(w->umask, 027);
	assert_int_equal(w->ntags, 1);
	assert_string_equal(w->tags[0], "solo");
	assert_int_equal(w->health.kind, SPEC_PROBE_EXEC);
	assert_false(w->health.exec.shell);
	assert_int_equal(w->health.exec.argc, 1);
	assert_string_equal(w->health.exec.argv[0], "true");
	assert_int_equal(w->health.interval_ms, 250);
	assert_int_equal(w->health.timeout_ms, 2000);
	assert_int_equal(w->health.initial_delay_ms, 3000);
	assert_int_equal(w->health.retries, 5);
	assert_int_equal(w->health.on_fail, SPEC_ON_FAIL_ALERT);
	assert_int_equal(w->ready.kind, SPEC_PROBE_NOTIFY);
	assert_int_equal(w->ready.timeout_ms, 60000);
	assert_int_equal(w->ready.interval_ms, 20);
	assert_int_equal(w->restart, SPEC_RESTART_UNLESS_STOPPED);
	assert_int_equal(w->backoff.initial_ms, 500);
	assert_int_equal(w->backoff.max_ms, 120000);
	assert_true(w->backoff.factor == 1.5);
	assert_int_equal(w->max_restarts, 0);
	assert_int_equal(w->restart_window_ms, 3600000);
	assert_int_equal(w->stop_signal, SIGINT);
	assert_int_equal(w->stop_timeout_ms, 90000);
	assert_int_equal(w->replicas, 3);
	assert_int_equal(w->limits.memory, (int64_t)1 << 30);
	assert_true(w->limits.cpu == 150.0);
	assert_int_equal(w->limits.nofile, 65536);
	assert_int_equal(w->limits.nproc, 100);
	assert_true(w->limits.core == INT64_MAX);
	assert_int_equal(w->nalerts, 2);
	assert_int_equal(w->alerts[0].kind, RULE_UNHEALTHY);
	assert_int_equal(w->alerts[0].for_ms, 30000);
	assert_int_equal(w->alerts[0].severity, RULE_CRITICAL);
	assert_int_equal(w->alerts[1].kind, RULE_EXITED);
	assert_int_equal(w->alerts[1].exit_signal, SIGSEGV);
	assert_int_equal(w->alerts[1].severity, RULE_WARNING);
	assert_true(w->disabled);

	const struct spec_process *sp = find_proc(s, "s");
	assert_int_equal(sp->health.kind, SPEC_PROBE_SILENCE);
	assert_int_equal(sp->health.silence_ms, 300000);
	assert_int_equal(sp->health.on_fail, SPEC_ON_FAIL_NONE);
	assert_int_equal(sp->health.timeout_ms, 5000);   /* health defaults */
	assert_int_equal(sp->health.interval_ms, 10000);
	assert_int_equal(sp->health.retries, 3);
	assert_int_equal(sp->restart, SPEC_RESTART_NO); /* a bare `no` */
	assert_int_equal(sp->stop_signal, SIGKILL);
	assert_int_equal(sp->limits.core, 0);
	assert_false(sp->disabled);

	const struct spec_process *h = find_proc(s, "h");
	assert_int_equal(h->health.kind, SPEC_PROBE_HTTP);
	assert_string_equal(h->health.url, "https://user@[::1]/ping");
	assert_string_equal(h->health.host, "::1");
	assert_int_equal(h->health.port, 443);
	assert_int_equal(h->restart, SPEC_RESTART_NO); /* `false` reads as no */
	assert_false(h->disabled);

	assert_int_equal(s->alerts.cooldown_ms, 30000);
	assert_false(s->alerts.notify_exec.shell);
	assert_int_equal(s->alerts.notify_exec.argc, 2);
	assert_string_equal(s->alerts.notify_exec.argv[1], "vigil");
	assert_string_equal(s->alerts.webhook, "https://hooks.example.com/x");
	assert_int_equal(s->alerts.webhook_timeout_ms, 3000);
	assert_int_equal(s->alerts.nrules, 4);
	assert_int_equal(s->alerts.rules[0].metric, RULE_M_HOST_MEMORY);
	assert_true(s->alerts.rules[0].percent);
	assert_null(s->alerts.rules[0].target);
	assert_int_equal(s->alerts.rules[1].kind, RULE_STATE);
	assert_string_equal(s->alerts.rules[1].state, "fatal");
	assert_string_equal(s->alerts.rules[1].target, "@web");
	assert_int_equal(s->alerts.rules[1].severity, RULE_INFO);
	assert_int_equal(s->alerts.rules[2].kind, RULE_LOG);
	assert_string_equal(s->alerts.rules[2].regex, "panic");
	assert_string_equal(s->alerts.rules[2].target, "#critical");
	assert_null(s->alerts.rules[3].target); /* "all" */
	config_free(s);
}

/* health.on_fail: alert gives the process an "unhealthy" rule (once). */
static void
test_valid_on_fail_alert(void **state)
{
	(void)state;
	struct spec *s = parse_ok("processes:\n"
	    "  a: {command: x, health: {exec: \"true\", on_fail: alert}}\n"
	    "  b: {command: x, health: {exec: \"true\", on_fail: alert}, alerts: [\"restarts > 3 in 1m\"]}\n"
	    "  c: {command: x, health: {exec: \"true\", on_fail: alert},\n"
	    "      alerts: [{rule: unhealthy, severity: info}]}\n"
	    "  d: {command: x, health: {exec: \"true\"}}\n");
	const struct spec_process *a = find_proc(s, "a"), *b = find_proc(s, "b");
	const struct spec_process *c = find_proc(s, "c"), *d = find_proc(s, "d");
	assert_int_equal(a->nalerts, 1);
	assert_int_equal(a->alerts[0].kind, RULE_UNHEALTHY);
	assert_int_equal(a->alerts[0].severity, RULE_CRITICAL);
	assert_int_equal(b->nalerts, 2);
	assert_int_equal(b->alerts[0].kind, RULE_RESTARTS);
	assert_int_equal(b->alerts[1].kind, RULE_UNHEALTHY);
	assert_int_equal(c->nalerts, 1); /* its own rule stands */
	assert_int_equal(c->alerts[0].severity, RULE_INFO);
	assert_int_equal(d->nalerts, 0); /* on_fail: restart */
	config_free(s);
}

/* x-… keys are extension fields (compose's place for shared blocks): ignored, anchors from them work. */
static void
test_extension_keys(void **state)
{
	(void)state;
	struct spec *s = parse_ok("x-common: &common\n  restart: always\n  tags: [a, b]\n"
	    "processes:\n  web: {<<: *common, command: run, x-owner: me}\n");
	assert_int_equal(s->nprocesses, 1);
	assert_int_equal(s->processes[0].restart, SPEC_RESTART_ALWAYS);
	assert_int_equal(s->processes[0].ntags, 2);
	config_free(s);
}

static void
test_valid_defaults(void **state)
{
	(void)state;
	struct spec *s = parse_ok("processes:\n  a:\n    command: run\n");
	assert_int_equal(s->version, 1);
	assert_string_equal(s->name, "stack"); /* the folder's name: TEST_DIR is /stack */
	/* Other folders: what a name may not hold becomes _, one per character (UTF-8 included). */
	static const char *const dirs[][2] = {
		{"/srv/my app", "my_app"}, {"/srv/caf\xc3\xa9", "caf_"}, {"/srv/\xe6\x97\xa5\xe6\x9c\xac-api", "__-api"},
		{"/srv/a.b-c_d", "a.b-c_d"},
	};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		struct spec *o = parse_ok_in("processes:\n  a:\n    command: run\n", dirs[i][0]);
		assert_string_equal(o->name, dirs[i][1]);
		config_free(o);
	}
	assert_int_equal(s->settings.sample_interval_ms, 1000);
	assert_string_equal(s->settings.log_dir, "/stack/.vigil/logs");
	assert_int_equal(s->settings.log_max_size, 10000000);
	assert_int_equal(s->settings.log_max_files, 5);
	assert_int_equal(s->settings.log_buffer, 1 << 20);
	assert_int_equal(s->settings.shutdown_timeout_ms, 15000);
	assert_int_equal(s->env.count, 0);
	assert_int_equal(s->alerts.cooldown_ms, 300000);
	assert_int_equal(s->alerts.notify_exec.argc, 0);
	assert_null(s->alerts.webhook);
	assert_int_equal(s->alerts.webhook_timeout_ms, 5000);
	assert_int_equal(s->alerts.nrules, 0);
	assert_int_equal(s->nprocesses, 1);
	assert_int_equal(s->start_order[0], 0);

	const struct spec_process *p = &s->processes[0];
	assert_string_equal(p->name, "a");
	assert_int_equal(p->pos.line, 2);
	assert_int_equal(p->pos.col, 3);
	assert_int_equal(p->kind, SPEC_SERVICE);
	assert_true(p->command.shell);
	assert_string_equal(p->command.argv[0], "run");
	assert_string_equal(p->cwd, "/stack");
	assert_int_equal(p->env.count, 0);
	assert_null(p->user);
	assert_int_equal(p->umask, -1);
	assert_int_equal(p->ntags, 0);
	assert_null(p->group);
	assert_int_equal(p->ndeps, 0);
	assert_int_equal(p->ready.kind, SPEC_PROBE_NONE);
	assert_int_equal(p->health.kind, SPEC_PROBE_NONE);
	assert_int_equal(p->restart, SPEC_RESTART_ON_FAILURE);
	assert_int_equal(p->backoff.initial_ms, 1000);
	assert_int_equal(p->backoff.max_ms, 30000);
	assert_true(p->backoff.factor == 2.0);
	assert_int_equal(p->max_restarts, 5);
	assert_int_equal(p->restart_window_ms, 60000);
	assert_int_equal(p->stop_signal, SIGTERM);
	assert_int_equal(p->stop_timeout_ms, 10000);
	assert_int_equal(p->replicas, 1);
	assert_int_equal(p->limits.memory, -1);
	assert_true(p->limits.cpu < 0);
	assert_int_equal(p->limits.nofile, -1);
	assert_int_equal(p->limits.nproc, -1);
	assert_int_equal(p->limits.core, -1);
	assert_int_equal(p->nalerts, 0);
	assert_false(p->disabled);
	config_free(s);

	/* Probe defaults: a ready probe waits a minute, retrying twice a second. */
	s = parse_ok("processes:\n  a:\n    command: run\n    ready: {tcp: \"localhost:5432\"}\n");
	const struct spec_probe *r = &s->processes[0].ready;
	assert_int_equal(r->kind, SPEC_PROBE_TCP);
	assert_string_equal(r->host, "localhost");
	assert_int_equal(r->port, 5432);
	assert_int_equal(r->timeout_ms, 60000);
	assert_int_equal(r->interval_ms, 500);
	assert_int_equal(r->initial_delay_ms, 0);
	config_free(s);

	/* The default name comes from the folder, made a valid name. */
	s = parse_ok_in("processes:\n  a: x\n", "/home/me/my shop");
	assert_string_equal(s->name, "my_shop");
	config_free(s);
}

static void
test_valid_start_order(void **state)
{
	(void)state;
	/* File order: bye (cleanup), web, worker, db, cache, job. */
	static const char yaml[] =
	    "processes:\n"
	    "  bye: {command: x, kind: cleanup, depends_on: [db]}\n"
	    "  web: {command: x, depends_on: {worker: started, cache: ready}}\n"
	    "  worker: {command: x, depends_on: [db, job]}\n"
	    "  db: {command: x}\n"
	    "  cache: {command: x, depends_on: {db: started}, ready: {tcp: \"h:1\"}}\n"
	    "  job: {command: x, kind: oneshot, depends_on: {db: completed}}\n";
	struct spec *s = parse_ok(yaml);
	assert_int_equal(s->nprocesses, 6);
	static const char *const want[] = {"db", "cache", "job", "worker", "web", "bye"};
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(s->processes[s->start_order[i]].name, want[i]);
	/* Dependencies carry their resolved index and condition. */
	const struct spec_process *web = find_proc(s, "web");
	assert_int_equal(web->ndeps, 2);
	assert_string_equal(web->deps[0].name, "worker");
	assert_int_equal(web->deps[0].index, 2);
	assert_int_equal(web->deps[0].cond, SPEC_COND_STARTED);
	assert_int_equal(web->deps[1].index, 4);
	assert_int_equal(web->deps[1].cond, SPEC_COND_READY);
	const struct spec_process *job = find_proc(s, "job");
	assert_int_equal(job->deps[0].cond, SPEC_COND_COMPLETED);
	config_free(s);
}

static void
test_valid_expansion(void **state)
{
	(void)state;
	setenv("VIGIL_TEST_PORT", "9090", 1);
	setenv("VIGIL_TEST_EMPTY", "", 1);
	unsetenv(UNSET_VAR);
	static const char yaml[] =
	    "processes:\n"
	    "  a:\n"
	    "    command: [\"serve\", \"--port=${VIGIL_TEST_PORT}\", \"${" UNSET_VAR ":-8080}\",\n"
	    "              \"${VIGIL_TEST_EMPTY:-dflt}\", \"${VIGIL_TEST_EMPTY-kept}\",\n"
	    "              \"$$HOME\", \"$HOME\", \"[${" UNSET_VAR "}]\",\n"
	    "              \"${" UNSET_VAR ":-${VIGIL_TEST_PORT}}\"]\n"
	    "    env: {URL: \"http://localhost:${VIGIL_TEST_PORT:?need a port}/\"}\n"
	    "    ready: {tcp: \"127.0.0.1:${VIGIL_TEST_PORT}\"}\n"
	    "    stop_timeout: \"${" UNSET_VAR ":-7s}\"\n";
	struct spec *s = parse_ok(yaml);
	const struct spec_process *p = &s->processes[0];
	assert_int_equal(p->command.argc, 9);
	assert_string_equal(p->command.argv[0], "serve");
	assert_string_equal(p->command.argv[1], "--port=9090");
	assert_string_equal(p->command.argv[2], "8080");
	assert_string_equal(p->command.argv[3], "dflt");   /* ':-': empty counts as unset */
	assert_string_equal(p->command.argv[4], "");       /* '-': only unset */
	assert_string_equal(p->command.argv[5], "$HOME");  /* "$$" is a "$" */
	assert_string_equal(p->command.argv[6], "$HOME");  /* a lone "$" is kept */
	assert_string_equal(p->command.argv[7], "[]");
	assert_string_equal(p->command.argv[8], "9090"); /* nested in a default */
	assert_null(p->command.argv[9]);
	assert_string_equal(env_get(&p->env, "URL"), "http://localhost:9090/");
	assert_int_equal(p->ready.port, 9090);
	assert_int_equal(p->stop_timeout_ms, 7000);
	config_free(s);
	unsetenv("VIGIL_TEST_PORT");
	unsetenv("VIGIL_TEST_EMPTY");
}

/* A temporary folder; rm_tree removes what the tests put there. */
static char *
make_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char tmpl[PATH_MAX];
	snprintf(tmpl, sizeof(tmpl), "%s/vigil-test-config-XXXXXX",
	    base != NULL && *base != '\0' ? base : "/tmp");
	char *dir = mkdtemp(tmpl);
	assert_non_null(dir);
	return strdup(dir);
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
remove_file(const char *dir, const char *name)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

static void
test_valid_env_file(void **state)
{
	(void)state;
	char *dir = make_tmpdir();
	write_file(dir, ".env",
	    "# a comment line\n"
	    "\n"
	    "PLAIN=hello world   # trailing comment\n"
	    "export EXPORTED=yes\n"
	    "  SPACED = around\n"
	    "DQ=\"two\\nlines # not a comment\" # a comment with a \"quote\"\n"
	    "SQ='it is $raw'\n"
	    "HASH=a#b\n"
	    "EMPTY=\n"
	    "OVERRIDE=from-file\n"
	    "TOKEN=s3cret\n");
	write_file(dir, "web.env", "WEB_ONLY=1\nOVERRIDE=web-file\n");
	char yaml[1024];
	snprintf(yaml, sizeof(yaml),
	    "env_file: .env\n"
	    "env: {OVERRIDE: from-env}\n"
	    "processes:\n"
	    "  web:\n"
	    "    command: x\n"
	    "    env_file: [web.env, \"%s/.env\"]\n"
	    "    env: [\"LATE=1\", \"OVERRIDE=web-env\"]\n", dir);
	struct spec *s = parse_ok_in(yaml, dir);
	const struct spec_env *e = &s->env;
	assert_string_equal(env_get(e, "PLAIN"), "hello world");
	assert_string_equal(env_get(e, "EXPORTED"), "yes");
	assert_string_equal(env_get(e, "SPACED"), "around");
	assert_string_equal(env_get(e, "DQ"), "two\nlines # not a comment");
	assert_string_equal(env_get(e, "SQ"), "it is $raw");
	assert_string_equal(env_get(e, "HASH"), "a#b");
	assert_string_equal(env_get(e, "EMPTY"), "");
	/* env comes after env_file, so it wins. */
	assert_string_equal(env_get(e, "OVERRIDE"), "from-env");
	assert_null(env_get(e, "export EXPORTED"));

	const struct spec_process *p = &s->processes[0];
	assert_string_equal(env_get(&p->env, "WEB_ONLY"), "1");
	assert_string_equal(env_get(&p->env, "LATE"), "1");
	assert_string_equal(env_get(&p->env, "OVERRIDE"), "web-env");

	/* The effective environment is deduplicated: the process wins. */
	struct arena *a = arena_new();
	struct spec_env env = config_process_env(s, p, a);
	size_t overrides = 0;
	for (size_t i = 0; i < env.count; i++)
		overrides += strcmp(env.vars[i].key, "OVERRIDE") == 0;
	assert_int_equal(overrides, 1);
	assert_string_equal(env_get(&env, "OVERRIDE"), "web-env");
	assert_string_equal(env_get(&env, "PLAIN"), "hello world");
	assert_string_equal(env_get(&env, "WEB_ONLY"), "1");
	arena_free(a);
	assert_true(config_is_secret("TOKEN"));
	assert_true(config_is_secret("db_password"));
	assert_false(config_is_secret("PLAIN"));
	config_free(s);

	/* A bad line names the env file's own line and column. */
	write_file(dir, "bad.env", "OK=1\nthis is not a variable\nQ=\"open\n");
	struct diag d;
	assert_null(parse_in("env_file: bad.env\nprocesses:\n  a: x\n", dir, &d));
	diag_sort(&d);
	assert_int_equal(diag_total(&d), 2);
	char buf[1400], want[PATH_MAX + 64];
	diag_format(&d.entries[0], buf, sizeof(buf));
	snprintf(want, sizeof(want), "%s/bad.env:2:1: expected NAME=value", dir);
	assert_string_equal(buf, want);
	diag_format(&d.entries[1], buf, sizeof(buf));
	snprintf(want, sizeof(want), "%s/bad.env:3:3: unterminated quote", dir);
	assert_string_equal(buf, want);
	diag_fini(&d);

	/* A byte-order mark (Windows editors write one) is not part of the first
	 * name, nor counted in the columns of the first line. */
	write_file(dir, "bom.env", "\xEF\xBB\xBF" "FIRST=1\r\nSECOND=2\r\n");
	s = parse_ok_in("env_file: bom.env\nprocesses:\n  a: x\n", dir);
	assert_string_equal(env_get(&s->env, "FIRST"), "1");
	assert_string_equal(env_get(&s->env, "SECOND"), "2");
	config_free(s);
	write_file(dir, "bom.env", "\xEF\xBB\xBF" "Q=\"open\n");
	assert_null(parse_in("env_file: bom.env\nprocesses:\n  a: x\n", dir, &d));
	assert_int_equal(diag_total(&d), 1);
	diag_format(&d.entries[0], buf, sizeof(buf));
	snprintf(want, sizeof(want), "%s/bom.env:1:3: unterminated quote", dir);
	assert_string_equal(buf, want);
	diag_fini(&d);

	remove_file(dir, ".env");
	remove_file(dir, "web.env");
	remove_file(dir, "bad.env");
	remove_file(dir, "bom.env");
	assert_int_equal(rmdir(dir), 0);
	free(dir);
}

static void
test_valid_anchors_and_merge(void **state)
{
	(void)state;
	static const char yaml[] =
	    "x-common: &common\n"
	    "  restart: always\n"
	    "  stop_timeout: 3s\n"
	    "  tags: &tags [py, web]\n"
	    "x-more: &more {stop_signal: SIGINT, restart: no}\n"
	    "processes:\n"
	    "  a:\n"
	    "    <<: *common\n"
	    "    command: a\n"
	    "  b:\n"
	    "    <<: [*common, *more]\n"
	    "    command: b\n"
	    "    stop_timeout: 9s\n"
	    "  c:\n"
	    "    <<: [*more, *common]\n"
	    "    command: c\n"
	    "    tags: *tags\n";
	/* x- keys are extension fields, ignored: the place for shared blocks, as in compose. */
	struct spec *x = parse_ok(yaml);
	assert_int_equal(x->nprocesses, 3);
	assert_int_equal(find_proc(x, "a")->restart, SPEC_RESTART_ALWAYS);
	assert_int_equal(find_proc(x, "a")->stop_timeout_ms, 3000);
	assert_int_equal(find_proc(x, "b")->restart, SPEC_RESTART_ALWAYS); /* earlier sources win */
	assert_int_equal(find_proc(x, "b")->stop_signal, SIGINT);
	assert_int_equal(find_proc(x, "b")->stop_timeout_ms, 9000);
	assert_int_equal(find_proc(x, "c")->restart, SPEC_RESTART_NO);
	assert_int_equal(find_proc(x, "c")->ntags, 2);
	config_free(x);
	/* A typo is still one (a key that does not start with x-). */
	struct diag d;
	assert_null(parse_in("x_common: {}\nprocesses:\n  a: {command: a}\n", TEST_DIR, &d));
	char buf[256];
	diag_format(&d.entries[0], buf, sizeof(buf));
	assert_string_equal(buf, "test.yaml:1:1: unknown key 'x_common' in the stack file");
	diag_fini(&d);

	/* Anchored under a known key instead, the same merges load. */
	static const char yaml2[] =
	    "env: &common_env {A: \"1\"}\n"
	    "processes:\n"
	    "  base: &common\n"
	    "    command: base\n"
	    "    restart: always\n"
	    "    stop_timeout: 3s\n"
	    "    tags: &tags [py, web]\n"
	    "  more: &more {command: more, stop_signal: SIGINT, restart: no}\n"
	    "  a:\n"
	    "    <<: *common\n"
	    "    command: a\n"
	    "    env: *common_env\n"
	    "  b:\n"
	    "    <<: [*common, *more]\n"
	    "    stop_timeout: 9s\n"
	    "  c:\n"
	    "    <<: [*more, *common]\n"
	    "    tags: *tags\n";
	struct spec *s = parse_ok(yaml2);
	assert_int_equal(s->nprocesses, 5);
	const struct spec_process *a = find_proc(s, "a");
	assert_string_equal(a->command.argv[0], "a");       /* explicit keys win */
	assert_int_equal(a->restart, SPEC_RESTART_ALWAYS);
	assert_int_equal(a->stop_timeout_ms, 3000);
	assert_int_equal(a->ntags, 2);
	assert_string_equal(a->tags[1], "web");
	assert_string_equal(env_get(&a->env, "A"), "1");
	const struct spec_process *b = find_proc(s, "b");
	assert_string_equal(b->command.argv[0], "base");    /* earlier sources win */
	assert_int_equal(b->restart, SPEC_RESTART_ALWAYS);
	assert_int_equal(b->stop_signal, SIGINT);
	assert_int_equal(b->stop_timeout_ms, 9000);
	const struct spec_process *c = find_proc(s, "c");
	assert_string_equal(c->command.argv[0], "more");
	assert_int_equal(c->restart, SPEC_RESTART_NO);
	assert_int_equal(c->stop_timeout_ms, 3000);
	assert_int_equal(c->ntags, 2);
	assert_string_equal(c->tags[0], "py");
	config_free(s);
}

static void
test_valid_short_forms(void **state)
{
	(void)state;
	static const char yaml[] =
	    "processes:\n"
	    "  db: \"redis-server --port 6390\"\n"
	    "  cache: [memcached, -p, \"11211\"]\n"
	    "  api:\n"
	    "    command: api\n"
	    "    depends_on: [db, cache]\n"
	    "  web:\n"
	    "    command: web\n"
	    "    depends_on: api\n"
	    "    tags:\n"
	    "    group:\n"
	    "    env:\n"
	    "  solo:\n"
	    "    command: solo\n"
	    "    depends_on:\n";
	struct spec *s = parse_ok(yaml);
	const struct spec_process *db = find_proc(s, "db");
	assert_true(db->command.shell);
	assert_string_equal(db->command.argv[0], "redis-server --port 6390");
	assert_int_equal(db->kind, SPEC_SERVICE);
	assert_int_equal(db->restart, SPEC_RESTART_ON_FAILURE);
	const struct spec_process *cache = find_proc(s, "cache");
	assert_false(cache->command.shell);
	assert_int_equal(cache->command.argc, 3);
	assert_string_equal(cache->command.argv[2], "11211");
	const struct spec_process *api = find_proc(s, "api");
	assert_int_equal(api->ndeps, 2);
	assert_string_equal(api->deps[0].name, "db");
	assert_int_equal(api->deps[0].index, 0);
	assert_int_equal(api->deps[0].cond, SPEC_COND_STARTED);
	assert_int_equal(api->deps[0].pos.line, 6);
	assert_int_equal(api->deps[0].pos.col, 18);
	assert_string_equal(api->deps[1].name, "cache");
	assert_int_equal(api->deps[1].index, 1);
	assert_int_equal(api->deps[1].pos.col, 22);
	const struct spec_process *web = find_proc(s, "web");
	assert_int_equal(web->ndeps, 1);
	assert_string_equal(web->deps[0].name, "api");
	assert_int_equal(web->ntags, 0);
	assert_null(web->group);
	assert_int_equal(web->env.count, 0);
	assert_int_equal(find_proc(s, "solo")->ndeps, 0);
	config_free(s);
}

/* ---- config_load ------------------------------------------------------- */

static void
test_load_errors(void **state)
{
	(void)state;
	char *dir = make_tmpdir();
	char path[PATH_MAX], buf[PATH_MAX + 128], want[PATH_MAX + 128];
	struct diag d;

	snprintf(path, sizeof(path), "%s/missing.yaml", dir);
	diag_init(&d);
	assert_null(config_load(path, &d));
	assert_int_equal(diag_total(&d), 1);
	diag_format(&d.entries[0], buf, sizeof(buf));
	snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", path);
	assert_string_equal(buf, want);
	diag_fini(&d);

	diag_init(&d);
	assert_null(config_load(dir, &d));
	assert_int_equal(diag_total(&d), 1);
	diag_format(&d.entries[0], buf, sizeof(buf));
	snprintf(want, sizeof(want), "%s: is a folder, not a stack file", dir);
	assert_string_equal(buf, want);
	diag_fini(&d);

	/* A good file: the folder is made absolute, relative paths start there. */
	write_file(dir, "vigil.yaml", "processes:\n  a: {command: x, cwd: sub}\n");
	snprintf(path, sizeof(path), "%s/vigil.yaml", dir);
	diag_init(&d);
	struct spec *s = config_load(path, &d);
	assert_non_null(s);
	assert_int_equal(diag_total(&d), 0);
	char *real = realpath(dir, NULL);
	assert_non_null(real);
	assert_string_equal(s->file, path);
	assert_string_equal(s->dir, real);
	snprintf(want, sizeof(want), "%s/sub", real);
	assert_string_equal(s->processes[0].cwd, want);
	free(real);
	config_free(s);
	diag_fini(&d);

	remove_file(dir, "vigil.yaml");
	assert_int_equal(rmdir(dir), 0);
	free(dir);
}

/* ---- config_find ------------------------------------------------------- */

static void
test_find(void **state)
{
	(void)state;
	char buf[PATH_MAX], err[256];
	err[0] = '\0';
	assert_true(config_find("some/where.yaml", buf, sizeof(buf), err, sizeof(err)));
	assert_string_equal(buf, "some/where.yaml");
	assert_string_equal(err, "");

	char cwd[PATH_MAX];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	char *dir = make_tmpdir();
	assert_int_equal(chdir(dir), 0);

	assert_false(config_find(NULL, buf, sizeof(buf), err, sizeof(err)));
	assert_string_equal(err, "no stack file: vigil.yaml or vigil.yml not found in this "
	    "folder (use -f FILE)");

	write_file(dir, "vigil.yml", "processes: {a: x}\n");
	assert_true(config_find(NULL, buf, sizeof(buf), err, sizeof(err)));
	assert_string_equal(buf, "vigil.yml");

	write_file(dir, "vigil.yaml", "processes: {a: x}\n");
	assert_true(config_find(NULL, buf, sizeof(buf), err, sizeof(err)));
	assert_string_equal(buf, "vigil.yaml"); /* preferred over vigil.yml */

	remove_file(dir, "vigil.yml");
	assert_true(config_find(NULL, buf, sizeof(buf), err, sizeof(err)));
	assert_string_equal(buf, "vigil.yaml");

	remove_file(dir, "vigil.yaml");
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(rmdir(dir), 0);
	free(dir);
}

/* ---- the demo stack against its golden JSON ---------------------------- */

/* s with every occurrence of from replaced by to (malloc'd). */
static char *
replace_all(const char *s, const char *from, const char *to)
{
	size_t nfrom = strlen(from), nto = strlen(to), count = 0;
	for (const char *p = strstr(s, from); p != NULL; p = strstr(p + nfrom, from))
		count++;
	char *out = malloc(strlen(s) + count * nto + 1);
	assert_non_null(out);
	char *o = out;
	for (const char *p = s, *q; ; p = q + nfrom) {
		q = strstr(p, from);
		if (q == NULL) {
			strcpy(o, p);
			break;
		}
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		memcpy(o, to, nto);
		o += nto;
	}
	return out;
}

static char *
read_whole(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *data = NULL;
	size_t len = 0, cap = 0, got;
	do {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			data = realloc(data, cap);
			assert_non_null(data);
		}
		got = fread(data + len, 1, cap - len - 1, f);
		len += got;
	} while (got > 0);
	fclose(f);
	data[len] = '\0';
	return data;
}

static void
test_demo_golden(void **state)
{
	(void)state;
	/* The demo's ports come from the environment with defaults: use those. */
	unsetenv("DEMO_REDIS_PORT");
	unsetenv("DEMO_API_PORT");
	char *src = realpath(VIGIL_FIXTURES "/../..", NULL);
	assert_non_null(src);
	char path[PATH_MAX], golden[PATH_MAX];
	snprintf(path, sizeof(path), "%s/config/demo.yaml", src);
	snprintf(golden, sizeof(golden), "%s/tests/fixtures/config/demo.json", src);

	struct diag d;
	diag_init(&d);
	struct spec *s = config_load(path, &d);
	if (s == NULL)
		dump_diag(&d);
	assert_non_null(s);
	assert_int_equal(diag_total(&d), 0);
	diag_fini(&d);

	/* A few facts, so a wrong golden file cannot pass unnoticed. */
	assert_string_equal(s->name, "demo");
	assert_int_equal(s->nprocesses, 7);
	assert_string_equal(s->processes[s->start_order[0]].name, "db");
	assert_string_equal(s->processes[s->start_order[s->nprocesses - 1]].name, "cleanup");
	const struct spec_process *db = find_proc(s, "db");
	assert_string_equal(db->command.argv[2], "46390");
	assert_string_equal(db->command.argv[6], ""); /* --save "" */
	assert_int_equal(find_proc(s, "worker")->replicas, 2);

	cJSON *json = specjson_build(s, false);
	assert_non_null(json);
	char *text = cJSON_Print(json);
	assert_non_null(text);
	char *got = replace_all(text, src, "@SRC@");
	cJSON_free(text);
	cJSON_Delete(json);
	config_free(s);

	const char *update = getenv("VIGIL_UPDATE_GOLDEN");
	if (update != NULL && strcmp(update, "1") == 0) {
		FILE *f = fopen(golden, "w");
		assert_non_null(f);
		fprintf(f, "%s\n", got);
		assert_int_equal(fclose(f), 0);
		print_message("updated %s\n", golden);
	}
	char *want = read_whole(golden);
	if (want == NULL) {
		print_error("cannot read %s (VIGIL_UPDATE_GOLDEN=1 writes it)\n", golden);
		fail();
	}
	size_t n = strlen(want);
	if (n > 0 && want[n - 1] == '\n')
		want[n - 1] = '\0';
	if (strcmp(got, want) != 0) {
		print_error("the demo's JSON differs from %s (VIGIL_UPDATE_GOLDEN=1 rewrites "
		    "it); got:\n%s\n", golden, got);
	}
	assert_string_equal(got, want);
	free(want);
	free(got);
	free(src);
}

int
main(void)
{
	unsetenv(UNSET_VAR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invalid_table),
		cmocka_unit_test(test_invalid_nul_byte),
		cmocka_unit_test(test_invalid_too_deep),
		cmocka_unit_test(test_invalid_too_large),
		cmocka_unit_test(test_invalid_unknown_user_as_root),
		cmocka_unit_test(test_invalid_many_in_file_order),
		cmocka_unit_test(test_invalid_duplicates_all_reported),
		cmocka_unit_test(test_invalid_more_than_twenty),
		cmocka_unit_test(test_invalid_past_diag_keep),
		cmocka_unit_test(test_valid_design_example),
		cmocka_unit_test(test_valid_every_other_field),
		cmocka_unit_test(test_valid_defaults),
		cmocka_unit_test(test_extension_keys),
		cmocka_unit_test(test_valid_start_order),
		cmocka_unit_test(test_valid_expansion),
		cmocka_unit_test(test_valid_env_file),
		cmocka_unit_test(test_valid_anchors_and_merge),
		cmocka_unit_test(test_valid_short_forms),
		cmocka_unit_test(test_valid_on_fail_alert),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_demo_golden),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
