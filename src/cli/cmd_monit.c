/*
 * cmd_monit — `vigil monit`: the dashboard attached to a stack that is
 * already running (found like the other control commands: --socket,
 * VIGIL_SOCKET, -f FILE, or .vigil/control.sock up from here). q detaches;
 * the stack runs on.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/client.h"
#include "ui/tui.h"

enum { MONIT_FILE, MONIT_SOCKET, MONIT_REFRESH, MONIT_SSH, MONIT_HELP };

#define MONIT_HOSTS 8

int
cli_cmd_monit(const struct cli_cmd *cmd, int argc, char **argv)
{
	const char *file = NULL, *socket = NULL;
	int64_t refresh_ms = 1000;
	const char *hosts[MONIT_HOSTS];
	size_t nhosts = 0;
	struct cli_parser p;
	cli_parser_init(&p, cmd, argc, argv);
	for (int r; (r = cli_next(&p)) != CLI_END;) {
		switch (r) {
		case CLI_ERROR:
			return CLI_USAGE;
		case CLI_ARG:
			return cli_usage_error("'monit' takes no argument ('%s'); it shows the whole stack", p.value);
		case MONIT_FILE:
			file = p.value;
			break;
		case MONIT_SOCKET:
			socket = p.value;
			break;
		case MONIT_REFRESH:
			if (cli_refresh_arg(p.value, &refresh_ms) != CLI_OK)
				return CLI_USAGE;
			break;
		case MONIT_SSH:
			if (nhosts == MONIT_HOSTS)
				return cli_usage_error("option '--ssh': at most %d hosts", MONIT_HOSTS);
			if (p.value[0] == '\0' || p.value[0] == '-')
				return cli_usage_error("option '--ssh': '%s' is not a host", p.value);
			hosts[nhosts++] = p.value;
			break;
		case MONIT_HELP:
			cli_print_command_help(cmd, stdout);
			return CLI_OK;
		}
	}
	if (nhosts > 0) {
		if (socket != NULL)
			return cli_usage_error("option '--socket' does not go with '--ssh' (use --file for the remote stack)");
		if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
			fprintf(stderr, "vigil: monit needs a terminal\n");
			return CLI_FAILED;
		}
		/* OpenSSH does the transport and the authentication: nothing listens on a port. */
		struct tui_opts o = {.refresh_ms = refresh_ms, .ssh_hosts = hosts, .nssh = nhosts,
		    .remote_file = file};
		return tui_run(&o);
	}
	char path[4096], err[4200];
	if (!client_find_socket(socket, file, path, sizeof(path), err, sizeof(err))) {
		fprintf(stderr, "vigil: %s\n", err);
		fprintf(stderr, "vigil: start one with `vigil up`, or see the whole host with `vigil top`\n");
		return CLI_FAILED;
	}
	struct client *c = client_connect(path, err, sizeof(err));
	if (c == NULL) {
		fprintf(stderr, "vigil: %s\n", err);
		fprintf(stderr, "vigil: start one with `vigil up`, or see the whole host with `vigil top`\n");
		return CLI_FAILED;
	}
	client_free(c);
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "vigil: monit needs a terminal; `vigil status` and `vigil logs -f` work anywhere\n");
		return CLI_FAILED;
	}
	struct tui_opts o = {.socket_path = path, .refresh_ms = refresh_ms, .owns_stack = false};
	return tui_run(&o);
}
