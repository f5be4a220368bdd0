/*
 * main — subcommand dispatch only: finds the command named by argv[1] and
 * hands it the rest. Everything a command does lives in src/cli/.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/spawn.h"
#include "core/strutil.h"

int
main(int argc, char **argv)
{
	/* Before anything raises it (the process collector does): what supervised processes get. */
	spawn_note_limits();
	if (argc < 2) {
		cli_print_help(stderr);
		return CLI_USAGE;
	}
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
		cli_print_help(stdout);
		return CLI_OK;
	}
	if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0)
		name = "version";
	const struct cli_cmd *cmd = cli_find(name);
	if (cmd != NULL)
		return cmd->run(cmd, argc - 1, argv + 1);

	const char *names[32];
	size_t n = 0;
	for (const struct cli_cmd *c = cli_commands; c->name != NULL && n < 31; c++)
		names[n++] = c->name;
	names[n] = NULL;
	if (name[0] == '-') {
		const char *globals[] = {"--help", "--version", NULL};
		const char *hint = str_suggest(name, globals);
		if (hint != NULL)
			return cli_usage_error("unknown option '%s' (did you mean '%s'?)", name, hint);
		return cli_usage_error("unknown option '%s' (see 'vigil --help')", name);
	}
	const char *hint = str_suggest(name, names);
	if (hint != NULL)
		return cli_usage_error("unknown command '%s' (did you mean '%s'?)", name, hint);
	return cli_usage_error("unknown command '%s' (see 'vigil --help')", name);
}
