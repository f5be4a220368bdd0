/*
 * ctl — what the commands that talk to a running engine share: their
 * parsed arguments, finding and connecting to the engine, one request and
 * its answer, and reading fields of the answer.
 */
#ifndef VIGIL_CLI_CTL_H
#define VIGIL_CLI_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/cli.h"

struct cJSON;
struct client;

#define CTL_TIMEOUT_MS 10000
#define CTL_NOT_GOOD 3     /* exit status: some process is not in a good state */
#define CTL_GO (-100)      /* ctl_begin: go on with the command */

/* What every control command accepts, plus its own flags. */
struct ctl_args {
	const char *file;
	const char *socket;
	bool json;
	bool follow;
	bool all;              /* alerts: the resolved ones too */
	int64_t lines;
	const char *grep;
	const char *since;
	const char *wait_for;
	const char *format;    /* export: "json" or "csv" */
	int64_t timeout_ms;
	bool no_wait;          /* stop: return once the stop is asked for */
	const char *args[256]; /* positional: targets (and the signal for `signal`) */
	size_t nargs;
};
/* The exit status for the last failed ctl_call: CLI_USAGE when a target named nothing, else CLI_FAILED. */
int ctl_failed(void);

/*
 * Parses the arguments (the command's options and positional ones): CLI_OK,
 * -1 when help was printed, or CLI_USAGE (message printed).
 */
int ctl_parse(const struct cli_cmd *cmd, int argc, char **argv, struct ctl_args *a);
/*
 * Parses the arguments and connects: CTL_GO with *c set, or the exit
 * status to return (help printed, bad usage, no engine).
 */
int ctl_begin(const struct cli_cmd *cmd, int argc, char **argv, struct ctl_args *a,
    struct client **c);
/* A request object with cmd and the positional targets from index first on. */
struct cJSON *ctl_request(const char *cmd, const struct ctl_args *a, size_t first);
/* Sends req and returns the result of an ok reply; NULL (message printed) otherwise. */
struct cJSON *ctl_call(struct client *c, struct cJSON *req, struct cJSON **reply_out);
/*
 * The shape of the query commands: parse, connect, send verb with the
 * targets and --since (default_since without it; NULL = none), and hand
 * the result of an ok reply to show, whose return is the exit status.
 */
int ctl_query(const struct cli_cmd *cmd, int argc, char **argv, const char *verb,
    const char *default_since, int (*show)(const struct ctl_args *a, const struct cJSON *res));
/* ctl_query's second half, for parsed arguments: targets from a->args[first] on. */
int ctl_run(const struct ctl_args *a, const char *verb, size_t first, const char *default_since,
    int (*show)(const struct ctl_args *a, const struct cJSON *res));
/* A string field, or NULL. */
const char *ctl_str(const struct cJSON *o, const char *key);
/* A number field, or dflt. */
double ctl_num(const struct cJSON *o, const char *key, double dflt);

#endif
