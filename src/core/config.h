/*
 * config — the stack file: finding it, reading it with libyaml and turning
 * it into a validated spec. Every problem is collected with FILE:LINE:COL;
 * a spec is returned only when there is none.
 *
 * The spec is a tree of plain value records, all owned by the spec's arena
 * and handed out const; it does not change after loading.
 */
#ifndef VIGIL_CORE_CONFIG_H
#define VIGIL_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rule.h"

struct arena;
struct diag;

enum spec_kind { SPEC_SERVICE, SPEC_ONESHOT, SPEC_CLEANUP };

enum spec_restart {
	SPEC_RESTART_NO,
	SPEC_RESTART_ALWAYS,
	SPEC_RESTART_ON_FAILURE,
	SPEC_RESTART_UNLESS_STOPPED,
};

enum spec_cond {
	SPEC_COND_STARTED,
	SPEC_COND_READY,
	SPEC_COND_HEALTHY,
	SPEC_COND_COMPLETED,
	SPEC_COND_COMPLETED_SUCCESSFULLY,
};

enum spec_probe_kind {
	SPEC_PROBE_NONE,
	SPEC_PROBE_LOG,     /* ready: an output line matches a POSIX ERE */
	SPEC_PROBE_EXEC,    /* a command exits 0 */
	SPEC_PROBE_TCP,     /* a TCP connect succeeds */
	SPEC_PROBE_HTTP,    /* a GET answers 2xx/3xx */
	SPEC_PROBE_NOTIFY,  /* READY=1 (ready) or WATCHDOG=1 (health) on $NOTIFY_SOCKET */
	SPEC_PROBE_SILENCE, /* health: some output within the period */
};

enum spec_on_fail { SPEC_ON_FAIL_RESTART, SPEC_ON_FAIL_ALERT, SPEC_ON_FAIL_NONE };

/* A position in the stack file, for messages at run time. */
struct spec_pos {
	int line, col;
};

struct spec_kv {
	const char *key;
	const char *value;
};

struct spec_env {
	const struct spec_kv *vars; /* in order; a later key overrides an earlier one */
	size_t count;
};

struct spec_command {
	bool shell;              /* true: argv[0] is a string for /bin/sh -c */
	const char *const *argv; /* NULL-terminated */
	size_t argc;
};

struct spec_probe {
	enum spec_probe_kind kind;     /* SPEC_PROBE_NONE: no probe */
	const char *log;               /* LOG: the regex */
	struct spec_command exec;      /* EXEC */
	const char *host;              /* TCP, HTTP: host name or address */
	int port;                      /* TCP, HTTP */
	const char *url;               /* HTTP */
	int64_t silence_ms;            /* SILENCE */
	int64_t timeout_ms;            /* ready: the whole wait; health: one check */
	int64_t interval_ms;           /* between attempts */
	int64_t initial_delay_ms;      /* before the first attempt */
	int retries;                   /* health: failures in a row before unhealthy */
	enum spec_on_fail on_fail;     /* health */
	struct spec_pos pos;
};

struct spec_dep {
	const char *name;     /* a process of the stack */
	size_t index;         /* its index in spec.processes */
	enum spec_cond cond;
	struct spec_pos pos;
};

struct spec_limits {
	int64_t memory;    /* bytes; -1 = none */
	double cpu;        /* percent of one core; < 0 = none */
	int64_t nofile;    /* -1 = inherit */
	int64_t nproc;     /* -1 = inherit */
	int64_t core;      /* bytes; -1 = inherit */
};

struct spec_backoff {
	int64_t initial_ms;
	int64_t max_ms;
	double factor;
};

struct spec_process {
	const char *name;
	enum spec_kind kind;
	struct spec_command command;
	const char *cwd;              /* absolute */
	struct spec_env env;          /* the process's own env_file then env */
	const char *user;             /* "name" or "name:group"; NULL = the engine's */
	int umask;                    /* -1 = inherit */
	const char *const *tags;      /* NULL-terminated */
	size_t ntags;
	const char *group;            /* NULL = none */
	const struct spec_dep *deps;
	size_t ndeps;
	struct spec_probe ready;
	struct spec_probe health;
	enum spec_restart restart;
	struct spec_backoff backoff;
	int max_restarts;
	int64_t restart_window_ms;
	int stop_signal;
	int64_t stop_timeout_ms;
	int replicas;
	struct spec_limits limits;
	const struct rule *alerts;
	size_t nalerts;
	bool disabled;
	struct spec_pos pos;          /* of the process's name */
};

struct spec_settings {
	int64_t sample_interval_ms;
	const char *log_dir;          /* absolute */
	int64_t log_max_size;         /* bytes */
	int log_max_files;
	int64_t log_buffer;           /* bytes of log kept in memory per process */
	int64_t shutdown_timeout_ms;
	int crash_reports;            /* reports kept per process (0 = none written) */
	int64_t crash_reports_max_size; /* bytes all reports may take together */
};

struct spec_alerts {
	int64_t cooldown_ms;
	struct spec_command notify_exec; /* argc 0 = none */
	const char *webhook;             /* URL or NULL */
	int64_t webhook_timeout_ms;
	const struct rule *rules;        /* with targets */
	size_t nrules;
};

struct spec {
	struct arena *arena;             /* owned: everything below lives here */
	const char *file;                /* as given */
	const char *dir;                 /* absolute folder of the file */
	int version;
	const char *name;
	struct spec_settings settings;
	struct spec_env env;             /* env_file then env, stack-wide */
	const struct spec_process *processes; /* in file order */
	size_t nprocesses;
	const size_t *start_order;       /* indices: dependencies first; cleanups last */
	struct spec_alerts alerts;
};

/*
 * Finds the stack file: explicit when given, else vigil.yaml or vigil.yml in
 * the current folder. Writes the path to buf; on failure a message to err.
 */
bool config_find(const char *explicit_path, char *buf, size_t size, char *err,
    size_t err_size);

/* Loads and validates a stack file; NULL with every problem in d. */
struct spec *config_load(const char *file, struct diag *d);
/* Same, from a string (file names it in messages; relative paths start at dir). */
struct spec *config_parse(const char *file, const char *dir, const char *data,
    size_t len, struct diag *d);
void config_free(struct spec *s);

/* The effective environment of a process (stack then process; later wins), deduplicated. */
struct spec_env config_process_env(const struct spec *s, const struct spec_process *p,
    struct arena *a);
/* True when a variable's value should be masked in output (KEY, TOKEN, SECRET, PASSWORD). */
bool config_is_secret(const char *key);

const char *config_kind_name(enum spec_kind k);
/* The index of the process called name in s->processes, or SIZE_MAX. */
size_t config_process_index(const struct spec *s, const char *name);
const char *config_restart_name(enum spec_restart r);
const char *config_cond_name(enum spec_cond c);
const char *config_probe_name(enum spec_probe_kind k);
const char *config_on_fail_name(enum spec_on_fail f);

#endif
