/*
 * cmd_ctl — the commands that drive a running engine through its control
 * socket: status, start, stop, restart, signal, logs, down, reload, wait,
 * attach. Each finds the engine (from --socket, VIGIL_SOCKET, -f FILE, or
 * the nearest .vigil/control.sock up from here), sends one request and
 * prints the answer. Exit statuses: 0 done, 1 the engine said no or is not
 * there, 2 bad usage, 3 (status, wait) some process is not in a good state.
 */
#include "cli/ctl.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/client.h"
#include "core/config.h"
#include "core/model.h"
#include "core/signame.h"
#include "core/strutil.h"
#include "core/units.h"
#include "ui/theme.h"

enum {
	CTL_OPT_FILE, CTL_OPT_SOCKET, CTL_OPT_JSON, CTL_OPT_FOLLOW, CTL_OPT_LINES, CTL_OPT_GREP,
	CTL_OPT_SINCE, CTL_OPT_FOR, CTL_OPT_TIMEOUT, CTL_OPT_STDIO, CTL_OPT_HELP,
};

/* Every option a control command may take; each command's table lists its own. */
int
ctl_parse(const struct cli_cmd *cmd, int argc, char **argv, struct ctl_args *a)
{
	memset(a, 0, sizeof(*a));
	a->lines = 100;
	a->timeout_ms = 30000;
	struct cli_parser p;
	cli_parser_init(&p, cmd, argc, argv);
	for (int r; (r = cli_next(&p)) != CLI_END;) {
		if (r == CLI_ERROR)
			return CLI_USAGE;
		if (r == CLI_ARG) {
			if (a->nargs == sizeof(a->args) / sizeof(a->args[0]))
				return cli_usage_error("too many arguments");
			a->args[a->nargs++] = p.value;
			continue;
		}
		const char *name = cmd->opts[r].long_name;
		const char *err;
		if (strcmp(name, "file") == 0) {
			a->file = p.value;
		} else if (strcmp(name, "socket") == 0) {
			a->socket = p.value;
		} else if (strcmp(name, "json") == 0) {
			a->json = true;
		} else if (strcmp(name, "follow") == 0) {
			a->follow = true;
		} else if (strcmp(name, "all") == 0) {
			a->all = true;
		} else if (strcmp(name, "lines") == 0) {
			if (!units_int(p.value, 0, 100000, &a->lines, &err))
				return cli_usage_error("option '-n': '%s' %s", p.value, err);
		} else if (strcmp(name, "grep") == 0) {
			regex_t re;
			if (regcomp(&re, p.value, REG_EXTENDED | REG_NOSUB) != 0)
				return cli_usage_error("option '--grep': invalid regular expression '%s'", p.value);
			regfree(&re);
			a->grep = p.value;
		} else if (strcmp(name, "since") == 0) {
			int64_t ms;
			if (!units_duration(p.value, &ms, &err))
				return cli_usage_error("option '--since': %s", err);
			a->since = p.value;
		} else if (strcmp(name, "for") == 0) {
			static const char *const conds[] = {"ready", "healthy", "completed", "started", NULL};
			if (!str_in(p.value, conds))
				return cli_usage_error("option '--for': '%s' is not one of ready, healthy, completed, started",
				    p.value);
			a->wait_for = p.value;
		} else if (strcmp(name, "timeout") == 0) {
			if (!units_duration(p.value, &a->timeout_ms, &err))
				return cli_usage_error("option '--timeout': %s", err);
		} else if (strcmp(name, "format") == 0) {
			if (strcmp(p.value, "json") != 0 && strcmp(p.value, "csv") != 0)
				return cli_usage_error("option '--format': '%s' is not json or csv", p.value);
			a->format = p.value;
		} else if (strcmp(name, "no-wait") == 0) {
			a->no_wait = true;
		} else if (strcmp(name, "stdio") == 0) {
			/* attach's only mode */
		} else if (strcmp(name, "help") == 0) {
			cli_print_command_help(cmd, stdout);
			return -1;
		}
	}
	return CLI_OK;
}

static struct client *
ctl_connect(const struct ctl_args *a)
{
	char path[4096], err[4200];
	if (!client_find_socket(a->socket, a->file, path, sizeof(path), err, sizeof(err))) {
		fprintf(stderr, "vigil: %s\n", err);
		return NULL;
	}
	struct client *c = client_connect(path, err, sizeof(err));
	if (c == NULL)
		fprintf(stderr, "vigil: %s\n", err);
	return c;
}


/*
 * Parses the arguments and connects: CTL_GO with *c set, or the exit
 * status to return (help printed, bad usage, no engine).
 */
int
ctl_begin(const struct cli_cmd *cmd, int argc, char **argv, struct ctl_args *a,
    struct client **c)
{
	int r = ctl_parse(cmd, argc, argv, a);
	if (r != CLI_OK)
		return r < 0 ? CLI_OK : r;
	*c = ctl_connect(a);
	return *c != NULL ? CTL_GO : CLI_FAILED;
}

/* A request object with cmd and the positional targets from index first on. */
cJSON *
ctl_request(const char *cmd, const struct ctl_args *a, size_t first)
{
	cJSON *req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "cmd", cmd);
	if (a->nargs > first) {
		cJSON *t = cJSON_AddArrayToObject(req, "targets");
		for (size_t i = first; i < a->nargs; i++)
			cJSON_AddItemToArray(t, cJSON_CreateString(a->args[i]));
	}
	return req;
}

/* Sends req and returns the result of an ok reply; NULL (message printed) otherwise. */
/* What a failed ctl_call means for the exit status: CLI_USAGE for a target that names nothing. */
static int ctl_fail_status = CLI_FAILED;

int
ctl_failed(void)
{
	return ctl_fail_status;
}

cJSON *
ctl_call(struct client *c, cJSON *req, cJSON **reply_out)
{
	char err[512];
	cJSON *reply = client_call(c, req, CTL_TIMEOUT_MS, err, sizeof(err));
	*reply_out = reply;
	if (reply == NULL) {
		fprintf(stderr, "vigil: %s\n", err);
		return NULL;
	}
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(reply, "ok"))) {
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(reply, "error");
		fprintf(stderr, "vigil: %s\n", cJSON_IsString(e) ? e->valuestring : "the engine refused");
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(reply, "code");
		if (cJSON_IsString(code) && strcmp(code->valuestring, "unknown_target") == 0)
			ctl_fail_status = CLI_USAGE;
		return NULL;
	}
	cJSON *res = cJSON_GetObjectItemCaseSensitive(reply, "result");
	return res != NULL ? res : reply;
}

const char *
ctl_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

double
ctl_num(const cJSON *o, const char *key, double dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static void
ctl_print_table(const cJSON *procs)
{
	int w = 4;
	const cJSON *p;
	cJSON_ArrayForEach(p, procs) {
		const char *n = ctl_str(p, "name");
		if (n != NULL && (int)strlen(n) > w)
			w = (int)strlen(n);
	}
	printf("%-*s  %-9s %7s %6s %7s %8s %8s  %-9s %-10s %s\n", w, "NAME", "STATE", "PID", "CPU%",
	    "MEM", "UPTIME", "RESTARTS", "HEALTH", "GROUP", "TAGS");
	cJSON_ArrayForEach(p, procs) {
		char pid[24] = "-", up[48], cpu[24] = "-", mem[24] = "-";
		double pv = ctl_num(p, "pid", -1);
		if (pv > 0)
			snprintf(pid, sizeof(pid), "%.0f", pv);
		/* The process and its descendants, as `top` would need a tree view to show. */
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(p, "metrics");
		if (cJSON_IsObject(m)) {
			snprintf(cpu, sizeof(cpu), "%.1f", ctl_num(m, "tree_cpu", 0));
			units_fmt_mem((uint64_t)ctl_num(m, "tree_rss", 0), mem, sizeof(mem));
		}
		units_fmt_age((int64_t)ctl_num(p, "uptime_ms", -1), up, sizeof(up));
		struct strbuf tags;
		strbuf_init(&tags);
		const cJSON *t;
		cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(p, "tags"))
			if (cJSON_IsString(t))
				strbuf_addf(&tags, "%s%s", tags.len ? "," : "", t->valuestring);
		const char *group = ctl_str(p, "group");
		const char *name = ctl_str(p, "name"), *st = ctl_str(p, "state");
		const char *health = ctl_str(p, "health");
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "health_probe")))
			health = "-"; /* no probe: no health to know, not "unknown" */
		printf("%-*s  %-9s %7s %6s %7s %8s %8.0f  %-9s %-10s %s\n", w, name != NULL ? name : "?",
		    st != NULL ? st : "?", pid, cpu, mem, up, ctl_num(p, "restarts", 0),
		    health != NULL ? health : "?",
		    group != NULL ? group : "-", tags.len ? tags.data : "-");
		strbuf_fini(&tags);
	}
}

/* One line about the machine under the table. */
static void
ctl_print_host(const cJSON *h)
{
	if (!cJSON_IsObject(h) || ctl_num(h, "at", 0) <= 0)
		return;
	char used[24], total[24];
	double mt = ctl_num(h, "mem_total", 0), ma = ctl_num(h, "mem_available", 0);
	units_fmt_mem((uint64_t)(mt - ma), used, sizeof(used));
	units_fmt_mem((uint64_t)mt, total, sizeof(total));
	const cJSON *load = cJSON_GetObjectItemCaseSensitive(h, "load");
	double l[3] = {0, 0, 0};
	for (int i = 0; i < 3; i++) {
		const cJSON *v = cJSON_GetArrayItem(load, i);
		if (cJSON_IsNumber(v))
			l[i] = v->valuedouble;
	}
	char cpu[16] = "-"; /* not known yet: the first reading has no tick to measure */
	if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(h, "cpu")))
		snprintf(cpu, sizeof(cpu), "%.1f%%", ctl_num(h, "cpu", 0));
	printf("\nhost: cpu %s of %d cores, memory %s used of %s, load %.2f %.2f %.2f, %.0f processes\n",
	    cpu, cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(h, "cores")),
	    used, total, l[0], l[1], l[2], ctl_num(h, "procs", 0));
}

/* status: the table (or JSON); exit 3 when a process is not in a good state. */
static int
ctl_show_status(const struct ctl_args *a, const cJSON *res)
{
	const cJSON *procs = cJSON_GetObjectItemCaseSensitive(res, "processes");
	int rc = CLI_OK;
	const cJSON *p;
	cJSON_ArrayForEach(p, procs)
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "good")))
			rc = CTL_NOT_GOOD;
	if (a->json) {
		char *text = cJSON_Print(res);
		printf("%s\n", text);
		free(text);
	} else {
		ctl_print_table(procs);
		ctl_print_host(cJSON_GetObjectItemCaseSensitive(res, "host"));
		const char *cg = ctl_str(res, "cgroups");
		if (cg != NULL)
			printf("%s\n", cg);
	}
	return rc;
}

int
ctl_run(const struct ctl_args *a, const char *verb, size_t first, const char *default_since,
    int (*show)(const struct ctl_args *a, const cJSON *res))
{
	struct client *c = ctl_connect(a);
	if (c == NULL)
		return CLI_FAILED;
	cJSON *req = ctl_request(verb, a, first);
	const char *since = a->since != NULL ? a->since : default_since;
	if (since != NULL)
		cJSON_AddStringToObject(req, "since", since);
	cJSON *reply;
	cJSON *res = ctl_call(c, req, &reply);
	int rc = res != NULL ? show(a, res) : ctl_failed();
	cJSON_Delete(reply);
	client_free(c);
	return rc;
}

int
ctl_query(const struct cli_cmd *cmd, int argc, char **argv, const char *verb,
    const char *default_since, int (*show)(const struct ctl_args *a, const cJSON *res))
{
	struct ctl_args a;
	int r = ctl_parse(cmd, argc, argv, &a);
	if (r != CLI_OK)
		return r < 0 ? CLI_OK : r;
	return ctl_run(&a, verb, 0, default_since, show);
}

int
cli_cmd_status(const struct cli_cmd *cmd, int argc, char **argv)
{
	return ctl_query(cmd, argc, argv, "status", NULL, ctl_show_status);
}

/* Monotonic milliseconds, for the waits' deadlines. */
static int64_t
ctl_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The pid status gave for name in procs (a status result's "processes"); 0 when none. */
static double
ctl_pid_of(const cJSON *procs, const char *name)
{
	const cJSON *p;
	cJSON_ArrayForEach(p, procs) {
		const char *n = ctl_str(p, "name");
		if (n != NULL && name != NULL && strcmp(n, name) == 0)
			return ctl_num(p, "pid", 0);
	}
	return 0;
}

/*
 * After a stop or a restart: asks until each matched instance has got
 * there (stop: none is up any more; restart: none is stopping, starting or
 * pending, and none runs the pid it had before), or the timeout; then says
 * where each is: "api: stopped (status 0)", "api: running (pid 4242)".
 * before: the instances as status gave them before the request (restart).
 */
static int
ctl_wait_settled(struct client *c, const struct ctl_args *a, const cJSON *matched, const cJSON *before)
{
	int64_t t0 = ctl_mono_ms();
	static const char *const up[] = {"starting", "running", "stopping", NULL};
	static const char *const moving[] = {"starting", "stopping", "pending", NULL};
	for (;;) {
		cJSON *req = cJSON_CreateObject();
		cJSON_AddStringToObject(req, "cmd", "status");
		cJSON_AddItemToObject(req, "targets", cJSON_Duplicate(matched, 1));
		cJSON *reply;
		cJSON *res = ctl_call(c, req, &reply);
		if (res == NULL) {
			cJSON_Delete(reply);
			return CLI_FAILED;
		}
		const cJSON *procs = cJSON_GetObjectItemCaseSensitive(res, "processes"), *p, *late = NULL;
		cJSON_ArrayForEach(p, procs) {
			const char *st = ctl_str(p, "state");
			if (late != NULL || st == NULL)
				continue;
			if (before == NULL ? str_in(st, up) :
			    str_in(st, moving) || (strcmp(st, "running") == 0 &&
			    ctl_num(p, "pid", 0) == ctl_pid_of(before, ctl_str(p, "name"))))
				late = p;
		}
		int64_t ms = ctl_mono_ms() - t0;
		if (late == NULL || ms >= a->timeout_ms) {
			cJSON_ArrayForEach(p, procs) {
				const char *why = ctl_str(p, "reason");
				if (why != NULL && why[0] != '\0')
					printf("%s: %s (%s)\n", ctl_str(p, "name"), ctl_str(p, "state"), why);
				else
					printf("%s: %s\n", ctl_str(p, "name"), ctl_str(p, "state"));
			}
			if (late != NULL) {
				char t[32];
				units_fmt_duration(a->timeout_ms, t, sizeof(t));
				fprintf(stderr, "vigil: %s is still %s after %s\n", ctl_str(late, "name"), ctl_str(late, "state"), t);
			}
			cJSON_Delete(reply);
			return late == NULL ? CLI_OK : CLI_FAILED;
		}
		cJSON_Delete(reply);
		poll(NULL, 0, 50);
	}
}

/* start, stop, restart: the same shape. */
static int
ctl_simple(const struct cli_cmd *cmd, int argc, char **argv, const char *verb, size_t first,
    int signo)
{
	struct ctl_args a;
	int r = ctl_parse(cmd, argc, argv, &a);
	if (r != CLI_OK)
		return r < 0 ? CLI_OK : r;
	if (a.nargs <= first)
		return cli_usage_error("'%s' needs a TARGET (a name, name:N, @group, #tag or all)", verb);
	struct client *c = ctl_connect(&a);
	if (c == NULL)
		return CLI_FAILED;
	bool stop = strcmp(verb, "stop") == 0, restart = strcmp(verb, "restart") == 0;
	/* A restart is over once each runs a new process: the pids before tell. */
	cJSON *before = NULL, *before_reply = NULL;
	if (restart && !a.no_wait) {
		cJSON *st = ctl_call(c, ctl_request("status", &a, first), &before_reply);
		if (st == NULL) {
			cJSON_Delete(before_reply);
			client_free(c);
			return ctl_failed();
		}
		before = cJSON_GetObjectItemCaseSensitive(st, "processes");
	}
	cJSON *req = ctl_request(verb, &a, first);
	if (signo > 0)
		cJSON_AddNumberToObject(req, "signal", signo);
	cJSON *reply;
	cJSON *res = ctl_call(c, req, &reply);
	int rc = ctl_failed();
	if (res != NULL && (stop || restart) && !a.no_wait) {
		rc = ctl_wait_settled(c, &a, cJSON_GetObjectItemCaseSensitive(res, "matched"), restart ? before : NULL);
	} else if (res != NULL) {
		const cJSON *n;
		cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(res, "matched"))
			if (cJSON_IsString(n))
				printf("%s: %s\n", n->valuestring, verb);
		rc = CLI_OK;
	}
	cJSON_Delete(reply);
	cJSON_Delete(before_reply);
	client_free(c);
	return rc;
}

int
cli_cmd_start(const struct cli_cmd *cmd, int argc, char **argv)
{
	return ctl_simple(cmd, argc, argv, "start", 0, 0);
}

int
cli_cmd_stop(const struct cli_cmd *cmd, int argc, char **argv)
{
	return ctl_simple(cmd, argc, argv, "stop", 0, 0);
}

int
cli_cmd_restart(const struct cli_cmd *cmd, int argc, char **argv)
{
	return ctl_simple(cmd, argc, argv, "restart", 0, 0);
}

int
cli_cmd_signal(const struct cli_cmd *cmd, int argc, char **argv)
{
	if (argc < 2 || argv[1][0] == '-') {
		if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
			cli_print_command_help(cmd, stdout);
			return CLI_OK;
		}
		return cli_usage_error("'signal' needs a SIGNAL and a TARGET (vigil signal HUP api)");
	}
	int sig = signame_number(argv[1]);
	if (sig == 0) {
		const char *hint = signame_suggest(argv[1]);
		if (hint != NULL)
			return cli_usage_error("unknown signal '%s' (did you mean '%s'?)", argv[1], hint);
		return cli_usage_error("unknown signal '%s'", argv[1]);
	}
	return ctl_simple(cmd, argc - 1, argv + 1, "signal", 0, sig);
}

/* One log line object: "HH:MM:SS name | text". */
static void
ctl_print_line(const cJSON *l, int width, bool color)
{
	const char *name = ctl_str(l, "name");
	const char *text = ctl_str(l, "text");
	const char *stream = ctl_str(l, "stream");
	if (name == NULL || text == NULL)
		return;
	char ts[16];
	units_fmt_local((int64_t)ctl_num(l, "ts", 0), "%H:%M:%S", ts, sizeof(ts));
	bool err = stream != NULL && strcmp(stream, "err") == 0;
	const char *shown;
	int len = (int)str_cr_tail(text, strlen(text), &shown); /* a progress line: as a terminal shows it */
	if (color)
		printf("\033[2m%s\033[0m %s%-*s\033[0m %s %.*s\n", ts, theme_name_ansi(name), width,
		    name, err ? "\033[31m!\033[0m" : "|", len, shown);
	else
		printf("%s %-*s %s %.*s\n", ts, width, name, err ? "!" : "|", len, shown);
}

static int
ctl_cmp_ts(const void *pa, const void *pb)
{
	double a = ctl_num(*(cJSON *const *)pa, "ts", 0), b = ctl_num(*(cJSON *const *)pb, "ts", 0);
	return (a > b) - (a < b);
}

int
cli_cmd_logs(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct ctl_args a;
	struct client *c;
	int r = ctl_begin(cmd, argc, argv, &a, &c);
	if (r != CTL_GO)
		return r;
	cJSON *req = ctl_request("logs", &a, 0);
	/* -n 0 (with -f: only what comes): the engine sends one, none is shown. */
	cJSON_AddNumberToObject(req, "lines", (double)(a.lines > 0 ? a.lines : 1));
	if (a.grep != NULL)
		cJSON_AddStringToObject(req, "grep", a.grep);
	if (a.since != NULL)
		cJSON_AddStringToObject(req, "since", a.since);
	cJSON *reply;
	cJSON *res = ctl_call(c, req, &reply);
	if (res == NULL) {
		cJSON_Delete(reply);
		client_free(c);
		return ctl_failed();
	}
	bool color = !a.json && cli_color(STDOUT_FILENO);
	/* Merge by time: the engine sends each process's lines in order. */
	const cJSON *lines = cJSON_GetObjectItemCaseSensitive(res, "lines");
	int n = cJSON_GetArraySize(lines), width = 4;
	cJSON **sorted = calloc((size_t)n + 1, sizeof(*sorted));
	int k = 0;
	cJSON *l;
	cJSON_ArrayForEach(l, lines) {
		sorted[k++] = l;
		const char *name = ctl_str(l, "name");
		if (name != NULL && (int)strlen(name) > width)
			width = (int)strlen(name);
	}
	qsort(sorted, (size_t)n, sizeof(*sorted), ctl_cmp_ts);
	int skip = n > a.lines ? n - (int)a.lines : 0;
	for (int i = skip; i < n; i++) {
		if (a.json) {
			char *text = cJSON_PrintUnformatted(sorted[i]);
			printf("%s\n", text);
			free(text);
		} else {
			ctl_print_line(sorted[i], width, color);
		}
	}
	free(sorted);
	/* Which instances the targets name, to filter followed lines. */
	cJSON *names = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(res, "names"), 1);
	cJSON_Delete(reply);
	int rc = CLI_OK;
	if (a.follow) {
		fflush(stdout);
		cJSON *sub = cJSON_CreateObject();
		cJSON_AddStringToObject(sub, "cmd", "subscribe");
		cJSON *topics = cJSON_AddArrayToObject(sub, "topics");
		cJSON_AddItemToArray(topics, cJSON_CreateString("logs"));
		res = ctl_call(c, sub, &reply);
		cJSON_Delete(reply);
		if (res == NULL) {
			rc = CLI_FAILED;
		} else {
			regex_t re;
			bool grep = a.grep != NULL && regcomp(&re, a.grep, REG_EXTENDED | REG_NOSUB) == 0;
			char err[256];
			cJSON *ev;
			while ((ev = client_read(c, -1, err, sizeof(err))) != NULL) {
				const cJSON *data = cJSON_GetObjectItemCaseSensitive(ev, "data");
				const char *name = ctl_str(data, "name");
				bool wanted = name != NULL;
				if (wanted && names != NULL) {
					wanted = false;
					const cJSON *nm;
					cJSON_ArrayForEach(nm, names)
						if (cJSON_IsString(nm) && strcmp(nm->valuestring, name) == 0)
							wanted = true;
				}
				const char *text = ctl_str(data, "text");
				if (wanted && grep && (text == NULL || regexec(&re, text, 0, NULL, 0) != 0))
					wanted = false;
				if (wanted && a.json) {
					char *t = cJSON_PrintUnformatted(data);
					printf("%s\n", t);
					free(t);
				} else if (wanted) {
					ctl_print_line(data, width, color);
				}
				fflush(stdout);
				cJSON_Delete(ev);
			}
			if (grep)
				regfree(&re);
			fprintf(stderr, "vigil: %s\n", err);
		}
	}
	cJSON_Delete(names);
	client_free(c);
	return rc;
}

int
cli_cmd_down(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct ctl_args a;
	int r = ctl_parse(cmd, argc, argv, &a);
	if (r != CLI_OK)
		return r < 0 ? CLI_OK : r;
	if (a.nargs > 0)
		return cli_usage_error("'down' takes no TARGET (use 'vigil stop TARGET')");
	if (a.file != NULL && access(a.file, F_OK) < 0) {
		fprintf(stderr, "vigil: %s: %s\n", a.file, strerror(errno));
		return CLI_FAILED;
	}
	/* A stack that is not running is down already: nothing to do, as systemctl stop and compose down. */
	char path[4096], err[4200], file[4096];
	struct client *c = NULL;
	const char *env_socket = getenv("VIGIL_SOCKET");
	bool explicit_socket = a.socket != NULL || (env_socket != NULL && env_socket[0] != '\0');
	if (!client_find_socket(a.socket, a.file, path, sizeof(path), err, sizeof(err))) {
		if (!explicit_socket && config_find(a.file, file, sizeof(file), NULL, 0) &&
		    access(file, F_OK) == 0) {
			fprintf(stderr, "vigil: %s: the stack is not running; nothing to stop\n", file);
			return CLI_OK;
		}
		fprintf(stderr, "vigil: %s\n", err);
		return CLI_FAILED;
	}
	c = client_connect(path, err, sizeof(err));
	if (c == NULL) {
		/* A stale socket, or none where the stack file says: not running. A socket named by hand
		 * that is not there may be a typo. */
		bool gone = errno == ECONNREFUSED || (errno == ENOENT && !explicit_socket);
		if (gone && a.file != NULL)
			fprintf(stderr, "vigil: %s: the stack is not running; nothing to stop\n", a.file);
		else
			fprintf(stderr, "vigil: %s%s\n", err, gone ? "; nothing to stop" : "");
		return gone ? CLI_OK : CLI_FAILED;
	}
	cJSON *reply;
	cJSON *res = ctl_call(c, ctl_request("down", &a, 0), &reply);
	cJSON_Delete(reply);
	int rc = CLI_FAILED;
	if (res != NULL) {
		/* The engine closes the connection when it exits. */
		cJSON *ev;
		while ((ev = client_read(c, (int)a.timeout_ms, err, sizeof(err))) != NULL)
			cJSON_Delete(ev);
		if (strstr(err, "timed out") != NULL) {
			fprintf(stderr, "vigil: the engine is still stopping after %lldms\n",
			    (long long)a.timeout_ms);
		} else {
			printf("stack is down\n");
			rc = CLI_OK;
		}
	}
	client_free(c);
	return rc;
}

int
cli_cmd_reload(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct ctl_args a;
	int r = ctl_parse(cmd, argc, argv, &a);
	if (r != CLI_OK)
		return r < 0 ? CLI_OK : r;
	if (a.nargs > 0)
		return cli_usage_error("'reload' takes no TARGET (it re-reads the whole stack file): '%s'", a.args[0]);
	struct client *c = ctl_connect(&a);
	if (c == NULL)
		return CLI_FAILED;
	cJSON *reply;
	cJSON *res = ctl_call(c, ctl_request("reload", &a, 0), &reply);
	int rc = CLI_FAILED;
	if (res != NULL) {
		static const char *const keys[] = {"added", "removed", "changed"};
		for (int i = 0; i < 3; i++) {
			const cJSON *n;
			cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(res, keys[i]))
				if (cJSON_IsString(n))
					printf("%s: %s\n", n->valuestring, keys[i]);
		}
		const cJSON *n;
		cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(res, "settings_later"))
			if (cJSON_IsString(n))
				printf("applies later: %s\n", n->valuestring);
		rc = CLI_OK;
	} else if (reply != NULL) {
		/* A stack file with problems: every one, as `vigil check` prints them. */
		const cJSON *e;
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(reply, "problems"))
			if (cJSON_IsString(e))
				fprintf(stderr, "%s\n", e->valuestring);
		if (cJSON_GetObjectItemCaseSensitive(reply, "problems") != NULL)
			rc = CLI_USAGE;
	}
	cJSON_Delete(reply);
	client_free(c);
	return rc;
}

/* True when process object p has reached the condition. */
static bool
ctl_reached(const cJSON *p, const char *cond)
{
	const char *st = ctl_str(p, "state");
	const char *kind = ctl_str(p, "kind");
	if (st == NULL)
		return false;
	bool job = kind != NULL && strcmp(kind, "service") != 0;
	if (strcmp(cond, "completed") == 0)
		return strcmp(st, "completed") == 0;
	if (strcmp(cond, "started") == 0)
		return strcmp(st, "starting") == 0 || strcmp(st, "running") == 0 ||
		    (job && strcmp(st, "completed") == 0);
	if (strcmp(cond, "healthy") == 0)
		return strcmp(st, "running") == 0 && strcmp(ctl_str(p, "health"), "healthy") == 0;
	return strcmp(st, "running") == 0 || (job && strcmp(st, "completed") == 0);
}

/* Why p can never reach cond whatever it does (no health probe, a service never completes), or NULL. */
static const char *
ctl_never(const cJSON *p, const char *cond)
{
	const char *kind = ctl_str(p, "kind");
	if (strcmp(cond, "healthy") == 0 &&
	    !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "health_probe")))
		return "has no health probe";
	if (strcmp(cond, "completed") == 0 && kind != NULL && strcmp(kind, "service") == 0)
		return "is a service: it does not complete";
	return NULL;
}

/* True when p can no longer reach it (so waiting longer is pointless). */
static bool
ctl_hopeless(const cJSON *p)
{
	const char *st = ctl_str(p, "state");
	static const char *const dead[] = {"fatal", "failed", "stopped", "exited", "disabled", NULL};
	if (st != NULL && str_in(st, dead))
		return true;
	/* Pending on a dependency that went fatal, failed or stopped ("waiting: db is fatal"): blocked for good. */
	const char *why = ctl_str(p, "reason");
	return st != NULL && strcmp(st, "pending") == 0 && why != NULL && strncmp(why, "waiting: ", 9) == 0;
}

int
cli_cmd_wait(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct ctl_args a;
	int r = ctl_parse(cmd, argc, argv, &a);
	if (r != CLI_OK)
		return r < 0 ? CLI_OK : r;
	const char *cond = a.wait_for != NULL ? a.wait_for : "ready";
	struct client *c = ctl_connect(&a);
	if (c == NULL)
		return CLI_FAILED;
	int64_t t0 = ctl_mono_ms();
	int rc = CLI_FAILED;
	for (;;) {
		cJSON *reply;
		cJSON *res = ctl_call(c, ctl_request("status", &a, 0), &reply);
		if (res == NULL) {
			cJSON_Delete(reply);
			rc = ctl_failed();
			break;
		}
		bool all = true, hopeless = false;
		const cJSON *p, *bad = NULL, *waiting = NULL;
		const char *never = NULL;
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(res, "processes")) {
			if (ctl_reached(p, cond))
				continue;
			all = false;
			waiting = waiting != NULL ? waiting : p;
			if (never == NULL && (never = ctl_never(p, cond)) != NULL)
				bad = p;
			if (never == NULL && ctl_hopeless(p)) {
				hopeless = true;
				bad = p;
			}
		}
		int64_t ms = ctl_mono_ms() - t0;
		bool late = !all && never == NULL && !hopeless && ms >= a.timeout_ms;
		if (never != NULL) {
			fprintf(stderr, "vigil: %s %s; it cannot be %s\n", ctl_str(bad, "name"), never, cond);
			rc = CLI_USAGE;
		} else if (all) {
			rc = CLI_OK;
		} else if (hopeless) {
			fprintf(stderr, "vigil: %s is %s (%s)\n", ctl_str(bad, "name"), ctl_str(bad, "state"),
			    ctl_str(bad, "reason"));
			rc = CTL_NOT_GOOD;
		} else if (late) {
			char t[32];
			units_fmt_duration(a.timeout_ms, t, sizeof(t));
			const char *why = ctl_str(waiting, "reason");
			fprintf(stderr, "vigil: %s is not %s after %s (%s%s%s)\n", ctl_str(waiting, "name"), cond,
			    t, ctl_str(waiting, "state"), why != NULL && why[0] ? ": " : "", why != NULL ? why : "");
			rc = CTL_NOT_GOOD;
		}
		cJSON_Delete(reply);
		if (never != NULL || all || hopeless || late)
			break;
		/* A command-line tool may wait; it asks again in a moment. */
		poll(NULL, 0, 100);
	}
	client_free(c);
	return rc;
}

/* Copies what is readable from in to out; false at EOF or on an error. */
static bool
ctl_pump(int in, int out)
{
	char buf[65536];
	ssize_t n = read(in, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(out, buf + off, (size_t)(n - off));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		off += w;
	}
	return true;
}

int
cli_cmd_attach(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct ctl_args a;
	struct client *c;
	int r = ctl_begin(cmd, argc, argv, &a, &c);
	if (r != CTL_GO)
		return r;
	signal(SIGPIPE, SIG_IGN);
	int fd = client_fd(c);
	struct pollfd p[2] = {{.fd = STDIN_FILENO, .events = POLLIN}, {.fd = fd, .events = POLLIN}};
	bool in_open = true;
	for (;;) {
		p[0].fd = in_open ? STDIN_FILENO : -1;
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (in_open && (p[0].revents & (POLLIN | POLLHUP))) {
			if (!ctl_pump(STDIN_FILENO, fd)) {
				in_open = false;
				shutdown(fd, SHUT_WR);
			}
		}
		if ((p[1].revents & (POLLIN | POLLHUP)) && !ctl_pump(fd, STDOUT_FILENO))
			break;
	}
	client_free(c);
	return CLI_OK;
}
