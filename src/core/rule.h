/*
 * rule — the alert rule language of the stack file.
 *
 *   METRIC OP VALUE [for N samples | for DURATION]
 *       METRIC: cpu tree_cpu memory tree_memory threads fds io_read io_write
 *               load host_memory          OP: > >= < <= == !=
 *   restarts OP N in DURATION
 *   state == STATE | state != STATE
 *   unhealthy [for DURATION]
 *   exited with CODE | exited with SIGNAL | exited with nonzero
 *   log =~ REGEX [OP N in DURATION]        (REGEX in "..." or /.../)
 *
 * Parsing only; evaluation belongs to the alert engine.
 */
#ifndef VIGIL_CORE_RULE_H
#define VIGIL_CORE_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;

enum rule_kind {
	RULE_METRIC,
	RULE_RESTARTS,
	RULE_STATE,
	RULE_UNHEALTHY,
	RULE_EXITED,
	RULE_LOG,
};

enum rule_metric {
	RULE_M_CPU, RULE_M_TREE_CPU, RULE_M_MEMORY, RULE_M_TREE_MEMORY,
	RULE_M_THREADS, RULE_M_FDS, RULE_M_IO_READ, RULE_M_IO_WRITE,
	RULE_M_LOAD, RULE_M_HOST_MEMORY,
};

enum rule_op { RULE_GT, RULE_GE, RULE_LT, RULE_LE, RULE_EQ, RULE_NE };

enum rule_severity { RULE_INFO, RULE_WARNING, RULE_CRITICAL };

struct rule {
	enum rule_kind kind;
	enum rule_severity severity;
	const char *text;        /* the rule as written (arena) */
	const char *target;      /* "@group", "#tag" or NULL = every process (arena) */
	enum rule_metric metric; /* RULE_METRIC */
	enum rule_op op;         /* RULE_METRIC, RULE_RESTARTS, RULE_LOG */
	double value;            /* threshold: percent, bytes, bytes/s or a count */
	bool percent;            /* host_memory given as a percent of RAM */
	int for_samples;         /* hold for this many samples (0 = not set) */
	int64_t for_ms;          /* hold for this long (0 = not set) */
	int64_t window_ms;       /* RULE_RESTARTS, RULE_LOG: counting window */
	const char *state;       /* RULE_STATE (arena) */
	int exit_code;           /* RULE_EXITED: -1 = any non-zero */
	int exit_signal;         /* RULE_EXITED: 0 = not a signal rule */
	const char *regex;       /* RULE_LOG (arena), already checked to compile */
	bool icase;              /* RULE_LOG: /REGEX/i, any case */
};

/*
 * Parses text into *out (strings in a). On failure returns false with a
 * message in err and the byte offset of the problem in *err_off.
 */
bool rule_parse(const char *text, struct arena *a, struct rule *out,
    char *err, size_t err_size, size_t *err_off);

const char *rule_metric_name(enum rule_metric m);
const char *rule_op_name(enum rule_op op);
const char *rule_kind_name(enum rule_kind k);
const char *rule_severity_name(enum rule_severity s);
/* Parses "info", "warning", "critical". */
bool rule_severity_parse(const char *s, enum rule_severity *out);

/* Process state names that "state ==" accepts, NULL-terminated. */
extern const char *const rule_state_names[];

#endif
