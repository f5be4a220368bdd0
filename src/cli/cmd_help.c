/*
 * cmd_help — the command table, `vigil --help`, `vigil help CMD` and
 * `vigil version`.
 */
#include "cli/cli.h"

#include <string.h>

#include "core/strutil.h"

static const struct cli_opt cli_check_opts[] = {
	{'f', "file", "FILE", "the stack file (default: vigil.yaml or vigil.yml here)"},
	{'j', "json", NULL, "print the normalized stack as JSON"},
	{0, "show-secrets", NULL, "do not mask values of *KEY*, *TOKEN*, *SECRET*, *PASSWORD*"},
	{'q', "quiet", NULL, "print nothing when the file is valid"},
	{'h', "help", NULL, "show this help"},
	{0, NULL, NULL, NULL},
};

static const struct cli_opt cli_up_opts[] = {
	{'f', "file", "FILE", "the stack file (default: vigil.yaml or vigil.yml here)"},
	{0, "no-tui", NULL, "print states and logs as lines (the default without a terminal)"},
	{'h', "help", NULL, "show this help"},
	{0, NULL, NULL, NULL},
};

static const struct cli_opt cli_help_opts[] = {
	{'h', "help", NULL, "show this help"},
	{0, NULL, NULL, NULL},
};

const struct cli_cmd cli_commands[] = {
	{
		"check", "validate a stack file and print the resolved stack",
		"vigil check [-f FILE] [--json] [--show-secrets] [-q]",
		"Reads the stack file, reports every problem as FILE:LINE:COL: message\n"
		"(exit status 2), and otherwise prints the stack as vigil will run it:\n"
		"processes in start order with their dependencies, effective environment\n"
		"(secrets masked), restart policies and probes.",
		cli_check_opts, cli_cmd_check,
	},
	{
		"up", "run a stack in the foreground",
		"vigil up [-f FILE] [--no-tui] [NAME...]",
		"Starts the stack's processes in dependency order and keeps them alive by\n"
		"policy, printing each state change and each output line as\n"
		"`HH:MM:SS name | line` (`!` for stderr). Naming processes runs those and\n"
		"what they depend on. Ctrl-C stops the stack in reverse dependency order,\n"
		"then runs its cleanup processes; a second Ctrl-C kills everything at once.\n"
		"The engine ends when told to, or when nothing is left to run; it exits 0\n"
		"when no process ended fatal, failed, or exited non-zero, and 1 otherwise.\n"
		"Logs go to the stack's log_dir (default .vigil/logs beside the file).",
		cli_up_opts, cli_cmd_up,
	},
	{
		"help", "show help for vigil or one of its commands",
		"vigil help [COMMAND]",
		"Shows the list of commands, or the options of one command.",
		cli_help_opts, cli_cmd_help,
	},
	{
		"version", "print the version",
		"vigil version",
		"Prints vigil's version.",
		cli_help_opts, cli_cmd_version,
	},
	{0},
};

const struct cli_cmd *
cli_find(const char *name)
{
	for (const struct cli_cmd *c = cli_commands; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

void
cli_print_help(FILE *f)
{
	fprintf(f, "vigil %s — a process supervisor with a terminal dashboard\n\n"
	    "usage: vigil COMMAND [OPTIONS]\n\ncommands:\n", VIGIL_VERSION);
	for (const struct cli_cmd *c = cli_commands; c->name != NULL; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fprintf(f, "\n'vigil help COMMAND' shows a command's options.\n"
	    "Exit status: 0 done, 1 failed, 2 bad usage or an invalid stack file.\n");
}

void
cli_print_command_help(const struct cli_cmd *cmd, FILE *f)
{
	fprintf(f, "usage: %s\n\n%s\n", cmd->usage, cmd->description);
	if (cmd->opts == NULL || cmd->opts[0].long_name == NULL)
		return;
	fprintf(f, "\noptions:\n");
	for (const struct cli_opt *o = cmd->opts; o->long_name != NULL; o++) {
		char left[48];
		if (o->short_name != 0)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name, o->long_name,
			    o->arg ? " " : "", o->arg ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->long_name,
			    o->arg ? " " : "", o->arg ? o->arg : "");
		fprintf(f, "  %-26s %s\n", left, o->help);
	}
}

/* Handles the options every simple command shares (-h); CLI_OK to go on. */
static int
cli_plain_args(const struct cli_cmd *cmd, int argc, char **argv, const char **arg,
    int max_args)
{
	struct cli_parser p;
	cli_parser_init(&p, cmd, argc, argv);
	int nargs = 0;
	for (int r; (r = cli_next(&p)) != CLI_END;) {
		if (r == CLI_ERROR)
			return CLI_USAGE;
		if (r == CLI_ARG) {
			if (nargs++ >= max_args)
				return cli_usage_error("unexpected argument '%s' for '%s' (see 'vigil help %s')",
				    p.value, cmd->name, cmd->name);
			*arg = p.value;
			continue;
		}
		cli_print_command_help(cmd, stdout);
		return -1;
	}
	return CLI_OK;
}

int
cli_cmd_help(const struct cli_cmd *cmd, int argc, char **argv)
{
	const char *topic = NULL;
	int r = cli_plain_args(cmd, argc, argv, &topic, 1);
	if (r != CLI_OK)
		return r < 0 ? CLI_OK : r;
	if (topic == NULL) {
		cli_print_help(stdout);
		return CLI_OK;
	}
	const struct cli_cmd *c = cli_find(topic);
	if (c == NULL) {
		const char *names[32];
		size_t n = 0;
		for (const struct cli_cmd *k = cli_commands; k->name != NULL && n < 31; k++)
			names[n++] = k->name;
		names[n] = NULL;
		const char *hint = str_suggest(topic, names);
		if (hint != NULL)
			return cli_usage_error("no help for unknown command '%s' (did you mean '%s'?)",
			    topic, hint);
		return cli_usage_error("no help for unknown command '%s' (see 'vigil --help')", topic);
	}
	cli_print_command_help(c, stdout);
	return CLI_OK;
}

int
cli_cmd_version(const struct cli_cmd *cmd, int argc, char **argv)
{
	const char *unused = NULL;
	int r = cli_plain_args(cmd, argc, argv, &unused, 0);
	if (r != CLI_OK)
		return r < 0 ? CLI_OK : r;
	printf("vigil %s\n", VIGIL_VERSION);
	return CLI_OK;
}
