/*
 * cmd_top — `vigil top`: the dashboard for every process on the host, no
 * stack needed. The screen never reads /proc itself (the UI is a client):
 * a small agent process, forked here, sweeps the host with the collectors
 * every refresh and speaks the control protocol over a socketpair — a
 * "top" event with the host and every process, and a "signal" request
 * (pid, signal) for the keys that send signals.
 */
#include "cli/cli.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "collectors/host.h"
#include "collectors/proc.h"
#include "core/loop.h"
#include "core/model.h"
#include "core/signame.h"
#include "core/stream.h"
#include "core/strutil.h"
#include "ui/tui.h"

enum { TOP_REFRESH, TOP_HELP };

struct top_agent {
	struct loop *loop;
	struct stream *stream;
	struct proc_scan *scan;
	struct host_reader *host;
	int64_t refresh_ms;
	bool done;
};

/* One sweep, sent as a "top" event. */
static void
top_send(struct top_agent *a)
{
	if (proc_scan_run(a->scan) < 0)
		return;
	size_t n;
	const struct proc_rec *recs = proc_scan_recs(a->scan, &n);
	int64_t dt = proc_scan_interval_ns(a->scan);
	double hz = (double)proc_scan_hz(a->scan);
	uint64_t page = (uint64_t)proc_scan_page_size(a->scan);
	cJSON *data = cJSON_CreateObject();
	struct model_host h = {0};
	if (a->host != NULL && host_read(a->host, &h))
		h.at_ms = model_realtime_ms();
	h.procs = (int)n;
	cJSON_AddItemToObject(data, "host", model_host_json(&h));
	/*
	 * One text of rows, "pid ppid state cpu rss threads start name\n" each,
	 * not a JSON value per field: at 3000 processes, building and parsing
	 * 24,000 JSON values cost more than the sweep itself.
	 */
	struct strbuf rows;
	strbuf_init(&rows);
	for (size_t i = 0; i < n; i++) {
		const struct proc_rec *r = &recs[i];
		double pct = dt > 0 ? 100.0 * ((double)proc_scan_delta(a->scan, r) / hz) / ((double)dt / 1e9) : 0;
		char name[sizeof(r->comm)];
		for (size_t k = 0; k < sizeof(name); k++)
			name[k] = r->comm[k] != '\0' && (unsigned char)r->comm[k] < 0x20 ? '?' : r->comm[k];
		strbuf_addf(&rows, "%d %d %c %.1f %llu %d %lld %s\n", (int)r->pid, (int)r->ppid, r->state, pct,
		    (unsigned long long)(r->rss_pages * page), r->threads,
		    (long long)proc_scan_start_ms(a->scan, r->start_ticks), name);
	}
	cJSON_AddStringToObject(data, "rows", rows.data != NULL ? rows.data : "");
	strbuf_fini(&rows);
	cJSON *ev = cJSON_CreateObject();
	cJSON_AddStringToObject(ev, "event", "top");
	cJSON_AddItemToObject(ev, "data", data);
	char *text = cJSON_PrintUnformatted(ev);
	cJSON_Delete(ev);
	if (text != NULL)
		stream_send_line(a->stream, text, strlen(text));
	free(text);
}

static void
top_on_timer(struct loop *l, void *arg)
{
	struct top_agent *a = arg;
	top_send(a);
	loop_timer_after(l, a->refresh_ms, top_on_timer, a);
}

/* Requests from the screen: signal (pid, signal). */
static void
top_on_msg(const cJSON *msg, void *arg)
{
	struct top_agent *a = arg;
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(msg, "id");
	const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(msg, "cmd");
	const cJSON *pid = cJSON_GetObjectItemCaseSensitive(msg, "pid");
	const cJSON *sig = cJSON_GetObjectItemCaseSensitive(msg, "signal");
	cJSON *reply = cJSON_CreateObject();
	if (cJSON_IsNumber(id))
		cJSON_AddNumberToObject(reply, "id", id->valuedouble);
	if (!cJSON_IsString(cmd) || strcmp(cmd->valuestring, "signal") != 0 || !cJSON_IsNumber(pid) ||
	    !cJSON_IsNumber(sig) || pid->valuedouble < 2 || sig->valuedouble < 1 || sig->valuedouble > 64) {
		cJSON_AddBoolToObject(reply, "ok", false);
		cJSON_AddStringToObject(reply, "error", "top understands only signal with a pid and a signal");
	} else if (kill((pid_t)pid->valuedouble, (int)sig->valuedouble) < 0) {
		cJSON_AddBoolToObject(reply, "ok", false);
		cJSON_AddStringToObject(reply, "error", strerror(errno));
	} else {
		cJSON_AddBoolToObject(reply, "ok", true);
		cJSON_AddObjectToObject(reply, "result");
	}
	char *text = cJSON_PrintUnformatted(reply);
	cJSON_Delete(reply);
	if (text != NULL)
		stream_send_line(a->stream, text, strlen(text));
	free(text);
	top_send(a); /* show the effect at once */
}

static void
top_on_end(const char *why, void *arg)
{
	(void)why;
	struct top_agent *a = arg;
	a->done = true;
	loop_stop(a->loop);
}

/* The agent: until the screen closes its end. */
static int __attribute__((noreturn))
top_agent_main(int fd, int64_t refresh_ms)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	struct top_agent a = {.refresh_ms = refresh_ms};
	a.loop = loop_new();
	a.scan = proc_scan_new(NULL);
	a.host = host_reader_new();
	if (a.loop == NULL || a.scan == NULL)
		_exit(1);
	a.stream = stream_new(a.loop, fd, fd, top_on_msg, top_on_end, &a);
	if (a.stream == NULL)
		_exit(1);
	proc_scan_run(a.scan); /* a base for the first CPU figures */
	if (a.host != NULL) {
		struct model_host h;
		host_read(a.host, &h);
	}
	loop_timer_after(a.loop, 200, top_on_timer, &a); /* the first figures soon */
	while (!a.done && loop_run(a.loop) < 0 && errno == EINTR)
		;
	_exit(0);
}

int
cli_cmd_top(const struct cli_cmd *cmd, int argc, char **argv)
{
	int64_t refresh_ms = 2000;
	struct cli_parser p;
	cli_parser_init(&p, cmd, argc, argv);
	for (int r; (r = cli_next(&p)) != CLI_END;) {
		switch (r) {
		case CLI_ERROR:
			return CLI_USAGE;
		case CLI_ARG:
			return cli_usage_error("'top' takes no argument ('%s')", p.value);
		case TOP_REFRESH:
			if (cli_refresh_arg(p.value, &refresh_ms) != CLI_OK)
				return CLI_USAGE;
			break;
		case TOP_HELP:
			cli_print_command_help(cmd, stdout);
			return CLI_OK;
		}
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "vigil: top needs a terminal\n");
		return CLI_FAILED;
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		fprintf(stderr, "vigil: socketpair: %s\n", strerror(errno));
		return CLI_FAILED;
	}
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "vigil: fork: %s\n", strerror(errno));
		return CLI_FAILED;
	}
	if (pid == 0) {
		close(sv[0]);
		top_agent_main(sv[1], refresh_ms);
	}
	close(sv[1]);
	struct tui_opts o = {.has_fd = true, .fd = sv[0], .refresh_ms = refresh_ms, .host_mode = true};
	int rc = tui_run(&o);
	/* tui_run closed our end: the agent sees EOF and leaves. */
	waitpid(pid, NULL, 0);
	return rc;
}
