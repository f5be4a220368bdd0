/*
 * cli — the command-line surface: the option parser every subcommand uses
 * (with "did you mean" for typos) and the subcommands themselves. Exit
 * statuses: 0 done, 1 failed at run time, 2 bad usage or bad stack file.
 */
#ifndef VIGIL_CLI_CLI_H
#define VIGIL_CLI_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CLI_OK 0
#define CLI_FAILED 1
#define CLI_USAGE 2

struct cli_opt {
	char short_name;       /* 0 = none */
	const char *long_name; /* without "--" */
	const char *arg;       /* the argument's name, NULL = a flag */
	const char *help;
};

struct cli_cmd {
	const char *name;
	const char *summary;        /* one line for `vigil --help` */
	const char *usage;          /* "vigil check [-f FILE] [--json]" */
	const char *description;    /* paragraphs for `vigil help CMD` */
	const struct cli_opt *opts; /* ends with a zeroed entry */
	int (*run)(const struct cli_cmd *cmd, int argc, char **argv);
};

enum { CLI_END = -1, CLI_ARG = -2, CLI_ERROR = -3 };

/* Walks argv[1..] of a subcommand. */
struct cli_parser {
	const struct cli_cmd *cmd;
	int argc;
	char **argv;
	int i;          /* next argv index */
	bool only_args; /* after "--" */
	const char *value; /* the option's argument, or the positional argument */
};

void cli_parser_init(struct cli_parser *p, const struct cli_cmd *cmd, int argc, char **argv);
/*
 * The index in cmd->opts of the next option, CLI_ARG for a positional
 * argument, CLI_END at the end, or CLI_ERROR after printing one line
 * (unknown option, missing argument) to stderr.
 */
int cli_next(struct cli_parser *p);
/* Prints "vigil: MESSAGE" to stderr and returns CLI_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct spec;
/*
 * Finds (-f FILE, else vigil.yaml / vigil.yml here) and loads the stack
 * file. CLI_OK with *out set, or CLI_USAGE after printing every problem.
 */
int cli_load_stack(const char *file, struct spec **out);
/* `--refresh SECONDS` (0.1 to 3600, fractions allowed) into ms; CLI_OK, or CLI_USAGE with the message printed. */
int cli_refresh_arg(const char *value, int64_t *ms);
/* Colour on fd: a terminal, TERM set and not "dumb", NO_COLOR unset or empty. */
bool cli_color(int fd);

/* The subcommand table, ending with a zeroed entry. */
extern const struct cli_cmd cli_commands[];
const struct cli_cmd *cli_find(const char *name);
/* Prints `vigil help CMD` text. */
void cli_print_command_help(const struct cli_cmd *cmd, FILE *f);
/* Prints `vigil --help`. */
void cli_print_help(FILE *f);

int cli_cmd_up(const struct cli_cmd *cmd, int argc, char **argv);
int cli_cmd_status(const struct cli_cmd *cmd, int argc, char **argv);
int cli_cmd_start(const struct cli_cmd *cmd, int argc, char **argv);
int cli_cmd_stop(const struct cli_cmd *cmd, int argc, char **argv);
int cli_cmd_restart(const struct cli_cmd *cmd, int argc, char **argv);
int cli_cmd_signal(const struct cli_cmd *cmd, int argc, char **argv);
int cli_cmd_logs(const struct cli_cmd *cmd, int argc, char **argv);
int cli_cmd_alerts(const struct cli_cmd *cmd, int argc, char **argv);
int cli_cmd_crashes(const struct cli_cmd *cmd, int argc, char **argv);
int cli_cmd_top(const struct cli_cmd *cmd, int argc, char **argv);
int cli_cmd_monit(const struct cli_cmd *cmd, int argc, char **argv);
int cli_cmd_metrics(const struct cli_cmd *cmd, int argc, char **argv);
int cli_cmd_export(const struct cli_cmd *cmd, int argc, char **argv);
int cli_cmd_down(const struct cli_cmd *cmd, int argc, char **argv);
int cli_cmd_reload(const struct cli_cmd *cmd, int argc, char **argv);
int cli_cmd_wait(const struct cli_cmd *cmd, int argc, char **argv);
int cli_cmd_attach(const struct cli_cmd *cmd, int argc, char **argv);
int cli_cmd_check(const struct cli_cmd *cmd, int argc, char **argv);
int cli_cmd_help(const struct cli_cmd *cmd, int argc, char **argv);
int cli_cmd_version(const struct cli_cmd *cmd, int argc, char **argv);

#endif
