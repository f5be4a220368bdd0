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
	{'d', "detach", NULL, "run the engine in the background; print one summary line"},
	{0, "no-tui", NULL, "no dashboard: print states and logs as lines (always so without a terminal)"},
	{0, "socket", "PATH", "the control socket (default .vigil/control.sock beside the file)"},
	{'h', "help", NULL, "show this help"},
	{0, NULL, NULL, NULL},
};

#define CLI_WHERE_OPTS \
	{'f', "file", "FILE", "the stack file whose engine to talk to"}, \
	{0, "socket", "PATH", "the engine's control socket (also VIGIL_SOCKET)"}

static const struct cli_opt cli_status_opts[] = {
	CLI_WHERE_OPTS,
	{'j', "json", NULL, "print JSON"},
	{'h', "help", NULL, "show this help"},
	{0, NULL, NULL, NULL},
};

static const struct cli_opt cli_target_opts[] = {
	CLI_WHERE_OPTS,
	{'h', "help", NULL, "show this help"},
	{0, NULL, NULL, NULL},
};

static const struct cli_opt cli_stop_opts[] = {
	CLI_WHERE_OPTS,
	{0, "timeout", "DURATION", "how long to wait for them (default 30s)"},
	{0, "no-wait", NULL, "return once it is asked for"},
	{'h', "help", NULL, "show this help"},
	{0, NULL, NULL, NULL},
};

/* -f is --follow here, as in tail; the stack file is --file. */
static const struct cli_opt cli_logs_opts[] = {
	{0, "file", "FILE", "the stack file whose engine to talk to"},
	{0, "socket", "PATH", "the engine's control socket (also VIGIL_SOCKET)"},
	{'f', "follow", NULL, "keep printing new lines until interrupted"},
	{'n', "lines", "N", "how many lines (default 100)"},
	{0, "grep", "RE", "only lines matching a POSIX extended regex"},
	{0, "since", "DURATION", "only lines newer than this (10m, 1h)"},
	{'j', "json", NULL, "one JSON object per line"},
	{'h', "help", NULL, "show this help"},
	{0, NULL, NULL, NULL},
};

/* In the order of cmd_monit.c's MONIT_* values. */
static const struct cli_opt cli_monit_opts[] = {
	{'f', "file", "FILE", "the stack file whose engine to attach to"},
	{0, "socket", "PATH", "the engine's control socket (also VIGIL_SOCKET)"},
	{0, "refresh", "SECONDS", "redraw period for clocks and uptimes (default 1; 0.5 allowed)"},
	{0, "ssh", "[USER@]HOST", "the stack on HOST, through `ssh HOST vigil attach --stdio` (repeat for more)"},
	{'h', "help", NULL, "show this help"},
	{0, NULL, NULL, NULL},
};

static const struct cli_opt cli_top_opts[] = {
	{0, "refresh", "SECONDS", "how often the host is sampled and redrawn (default 2)"},
	{'h', "help", NULL, "show this help"},
	{0, NULL, NULL, NULL},
};

static const struct cli_opt cli_alerts_opts[] = {
	CLI_WHERE_OPTS,
	{'a', "all", NULL, "the recently resolved alerts too"},
	{'j', "json", NULL, "print JSON"},
	{'h', "help", NULL, "show this help"},
	{0, NULL, NULL, NULL},
};

/* In the order of cmd_crashes.c's CRASH_* values. */
static const struct cli_opt cli_crashes_opts[] = {
	{'f', "file", "FILE", "the stack file whose reports to read"},
	{'j', "json", NULL, "print JSON"},
	{'h', "help", NULL, "show this help"},
	{0, NULL, NULL, NULL},
};

static const struct cli_opt cli_export_opts[] = {
	CLI_WHERE_OPTS,
	{0, "format", "json|csv", "the output format (default json)"},
	{0, "since", "DURATION", "how far back (default 1h; at most 24h are kept)"},
	{'h', "help", NULL, "show this help"},
	{0, NULL, NULL, NULL},
};

static const struct cli_opt cli_down_opts[] = {
	CLI_WHERE_OPTS,
	{0, "timeout", "DURATION", "how long to wait for the engine to exit (default 30s)"},
	{'h', "help", NULL, "show this help"},
	{0, NULL, NULL, NULL},
};

static const struct cli_opt cli_wait_opts[] = {
	CLI_WHERE_OPTS,
	{0, "for", "COND", "ready (default), healthy, completed or started"},
	{0, "timeout", "DURATION", "give up after this long (default 30s)"},
	{'h', "help", NULL, "show this help"},
	{0, NULL, NULL, NULL},
};

static const struct cli_opt cli_attach_opts[] = {
	CLI_WHERE_OPTS,
	{0, "stdio", NULL, "bridge stdin and stdout to the control socket"},
	{'h', "help", NULL, "show this help"},
	{0, NULL, NULL, NULL},
};

static const struct cli_opt cli_help_opts[] = {
	{'h', "help", NULL, "show this help"},
	{0, NULL, NULL, NULL},
};

const struct cli_cmd cli_commands[] = {
	{
		"up", "run a stack (with the dashboard on a terminal)",
		"vigil up [-f FILE] [-d] [--no-tui] [--socket PATH] [NAME...]",
		"Starts the stack's processes in dependency order and keeps them alive by\n"
		"policy. On a terminal the engine runs in the background and the dashboard\n"
		"shows it (q asks whether to stop the stack or detach). Otherwise, or with\n"
		"--no-tui, it runs in the foreground, printing each state change and each\n"
		"output line as `HH:MM:SS name | line` (`!` for stderr). Naming processes runs those and\n"
		"what they depend on (a named one even when disabled). Ctrl-C stops the stack in reverse dependency order,\n"
		"then runs its cleanup processes; a second Ctrl-C kills everything at once.\n"
		"The engine ends when told to, or when nothing is left to run; it exits 0\n"
		"when no process ended fatal, failed, or exited non-zero, and 1 otherwise.\n"
		"Logs go to the stack's log_dir (default .vigil/logs beside the file).\n"
		"With -d the engine runs in the background (its own output in\n"
		".vigil/engine.log); `vigil up -d` returns once every process has reached\n"
		"its first state, with a summary, and `vigil down` stops it.",
		cli_up_opts, cli_cmd_up,
	},
	{
		"status", "show the processes of the running stack",
		"vigil status [--json] [TARGET...]",
		"Prints NAME, STATE, PID, CPU%, MEM, UPTIME, RESTARTS, HEALTH, GROUP and\n"
		"TAGS of each process (or of those TARGETs name: name, name:N, @group,\n"
		"#tag, all), then a line about the host. CPU% (100 = one core) and MEM\n"
		"(resident) cover the process and all its descendants.\n"
		"Exit status 0 when every one is in a good state (running, or completed\n"
		"for a oneshot; disabled, left out of this run, or a cleanup waiting for\n"
		"the shutdown), 3 otherwise, 1 when no engine runs.",
		cli_status_opts, cli_cmd_status,
	},
	{
		"start", "start processes of the running stack",
		"vigil start TARGET...",
		"Starts the processes TARGETs name (name, name:N, @group, #tag, all) once\n"
		"their dependencies allow; a disabled one too, and one that `up NAME...`\n"
		"left out, with what it depends on.",
		cli_target_opts, cli_cmd_start,
	},
	{
		"stop", "stop processes of the running stack",
		"vigil stop TARGET... [--timeout 30s] [--no-wait]",
		"Stops the processes TARGETs name: stop_signal to the process group,\n"
		"SIGKILL after stop_timeout. They stay stopped until started. Waits\n"
		"until they are down and says how each ended (as systemctl stop);\n"
		"exit 1 if one is still stopping at the timeout.",
		cli_stop_opts, cli_cmd_stop,
	},
	{
		"restart", "restart processes of the running stack",
		"vigil restart TARGET... [--timeout 30s] [--no-wait]",
		"Stops, then starts, the processes TARGETs name. Waits until each runs\n"
		"a new process (ready, with a ready probe) or has ended, and says\n"
		"where each is; exit 1 if one is still on its way at the timeout.",
		cli_stop_opts, cli_cmd_restart,
	},
	{
		"signal", "send a signal to processes of the running stack",
		"vigil signal SIGNAL TARGET...",
		"Sends SIGNAL (HUP, SIGUSR1, 15, ...) to the process groups TARGETs name.",
		cli_target_opts, cli_cmd_signal,
	},
	{
		"logs", "print the captured output of the running stack",
		"vigil logs [TARGET...] [-f] [-n N] [--grep RE] [--since 10m] [--json]",
		"Prints the newest lines the engine keeps in memory, merged by time and\n"
		"prefixed like `vigil up`; -f keeps printing new lines. The whole history\n"
		"is in the log files (log_dir, default .vigil/logs beside the stack file).",
		cli_logs_opts, cli_cmd_logs,
	},
	{
		"monit", "the dashboard, attached to a running stack",
		"vigil monit [-f FILE] [--socket PATH] [--refresh SECONDS] [--ssh [USER@]HOST]...",
		"Shows the running stack found from here (like `vigil status`) full-screen:\n"
		"processes with CPU, memory and history, their logs, and keys to restart,\n"
		"stop, start and filter (? lists them). q detaches; the stack runs on.\n"
		"With --ssh, the stacks of those hosts together (names as host/name), each\n"
		"through `ssh HOST vigil attach --stdio` (-f names the remote stack file).",
		cli_monit_opts, cli_cmd_monit,
	},
	{
		"top", "the dashboard for every process on the host",
		"vigil top [--refresh SECONDS]",
		"Every process on this host with its CPU, memory, threads, state and\n"
		"history, sorted by CPU: > < F change the order, T shows the tree, /\n"
		"filters by name, k sends SIGTERM and K SIGKILL to the selected process\n"
		"(after a y). No stack is needed.",
		cli_top_opts, cli_cmd_top,
	},
	{
		"metrics", "print the current figures for Prometheus",
		"vigil metrics [TARGET...]",
		"Prints each process's CPU, memory, threads, descriptors, I/O, restarts\n"
		"and state, and the host's, in the Prometheus text exposition format\n"
		"(vigil_process_cpu_percent{stack=\"shop\",process=\"api\",replica=\"0\"} …).\n"
		"A figure not known yet (a process not running) has no sample.",
		cli_target_opts, cli_cmd_metrics,
	},
	{
		"export", "write the kept metric history as JSON or CSV",
		"vigil export [--format json|csv] [--since 1h] [TARGET...]",
		"Writes cpu, tree_cpu, rss, tree_rss, io_read and io_write of each process:\n"
		"every sample of the last 10 minutes, and 5-minute buckets (min, avg, max)\n"
		"before that, up to 24 hours. CSV has one row per time, process and metric:\n"
		"time,process,resolution,metric,min,avg,max.",
		cli_export_opts, cli_cmd_export,
	},
	{
		"alerts", "list the alerts of the running stack, or acknowledge one",
		"vigil alerts [--all] [--json] | vigil alerts ack ID|all",
		"Lists active alerts (with --all, the recently resolved ones too), newest\n"
		"first: id, severity, state, when it fired, and what it says. `alerts ack`\n"
		"acknowledges one (or all): it stays until its condition stops holding.",
		cli_alerts_opts, cli_cmd_alerts,
	},
	{
		"crashes", "list the crash reports, or show one",
		"vigil crashes [NAME] [--json] | vigil crashes show ID [--json]",
		"Each unexpected end of a process (a non-zero exit, a signal, an OOM kill,\n"
		"a restart after failed health checks) leaves .vigil/crashes/ID.json: how it\n"
		"ended, its last 200 lines, its last minute of figures and its process tree.\n"
		"Read from the folder: no engine needed. settings.crash_reports (10) and\n"
		"crash_reports_max_size (20MB) bound them; the oldest go first.",
		cli_crashes_opts, cli_cmd_crashes,
	},
	{
		"down", "stop the whole stack and its engine",
		"vigil down [--timeout 30s]",
		"Stops every process in reverse dependency order, runs the cleanup\n"
		"processes, and waits until the engine has exited. A stack that is not\n"
		"running is down already: it says so and exits 0.",
		cli_down_opts, cli_cmd_down,
	},
	{
		"reload", "re-read the stack file and apply the difference",
		"vigil reload",
		"Starts added processes, stops removed ones, restarts changed ones (a\n"
		"changed definition or effective environment), and leaves the others\n"
		"running. A file with errors changes nothing; its problems are printed.",
		cli_target_opts, cli_cmd_reload,
	},
	{
		"wait", "wait until processes reach a condition",
		"vigil wait [TARGET...] [--for ready|healthy|completed|started] [--timeout 30s]",
		"Returns 0 once every process TARGETs name (all by default) has reached\n"
		"the condition, 3 when one cannot any more (fatal, failed, stopped) or at\n"
		"the timeout, 2 at once when one never could (healthy without a health\n"
		"probe, completed for a service).",
		cli_wait_opts, cli_cmd_wait,
	},
	{
		"attach", "bridge stdin/stdout to the engine (for ssh)",
		"vigil attach --stdio",
		"Carries the control protocol between stdin/stdout and the engine's\n"
		"socket, so that `ssh host vigil attach --stdio` reaches a remote stack.",
		cli_attach_opts, cli_cmd_attach,
	},
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
	    "Exit status: 0 done, 1 failed, 2 bad usage or an invalid stack file,\n"
	    "3 (status, wait) a process is not in a good state.\n");
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
