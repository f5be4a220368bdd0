/*
 * cmd_metrics — the figures of a running stack for other tools: `vigil
 * metrics` prints the current values in the Prometheus text exposition
 * format (version 0.0.4), `vigil export` writes the kept history as JSON or
 * CSV.
 */
#include "cli/ctl.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/strutil.h"
#include "core/units.h"

/* A label value with \, " and newline escaped, as the exposition format wants. */
static void
metrics_label(struct strbuf *b, const char *v)
{
	for (const char *p = v; *p != '\0'; p++) {
		if (*p == '\\' || *p == '"')
			strbuf_addc(b, '\\');
		if (*p == '\n') {
			strbuf_add(b, "\\n");
			continue;
		}
		strbuf_addc(b, *p);
	}
}

/* One family: HELP and TYPE once, then a sample per call of metrics_sample. */
static void
metrics_family(const char *name, const char *type, const char *help)
{
	printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
metrics_value(double v)
{
	if (isnan(v))
		printf("NaN\n");
	else if (v == floor(v) && fabs(v) < 1e15)
		printf("%.0f\n", v);
	else
		printf("%.3f\n", v);
}

/* The labels of a process instance: stack, process (its name in the file) and replica. */
static void
metrics_proc_labels(struct strbuf *b, const char *stack, const cJSON *p)
{
	strbuf_add(b, "{stack=\"");
	metrics_label(b, stack);
	strbuf_add(b, "\",process=\"");
	const char *proc = ctl_str(p, "process");
	metrics_label(b, proc != NULL ? proc : "?");
	strbuf_addf(b, "\",replica=\"%.0f\"", ctl_num(p, "replica", 0));
}

struct metrics_def {
	const char *name, *type, *help;
	const char *key;     /* in "metrics" of a process; NULL = special */
};

static const struct metrics_def metrics_proc_defs[] = {
	{"vigil_process_cpu_percent", "gauge", "CPU use of the process alone, percent of one core.", "cpu"},
	{"vigil_process_tree_cpu_percent", "gauge", "CPU use of the process and its descendants, percent of one core.", "tree_cpu"},
	{"vigil_process_memory_bytes", "gauge", "Resident memory of the process alone.", "rss"},
	{"vigil_process_tree_memory_bytes", "gauge", "Resident memory of the process and its descendants.", "tree_rss"},
	{"vigil_process_threads", "gauge", "Threads of the process alone.", "threads"},
	{"vigil_process_tree_threads", "gauge", "Threads of the process and its descendants.", "tree_threads"},
	{"vigil_process_open_fds", "gauge", "Open file descriptors of the process alone.", "fds"},
	{"vigil_process_tree_open_fds", "gauge", "Open file descriptors of the process and its descendants.", "tree_fds"},
	{"vigil_process_io_read_bytes_per_second", "gauge", "Bytes read from storage per second by the process tree.", "io_read"},
	{"vigil_process_io_write_bytes_per_second", "gauge", "Bytes written to storage per second by the process tree.", "io_write"},
	{"vigil_process_tree_processes", "gauge", "Processes in the tree, the process itself included.", "tree_procs"},
	{"vigil_process_cgroup_memory_bytes", "gauge", "Memory charged to the process's cgroup (page cache included).", "cgroup_memory"},
	{"vigil_process_oom_kills_total", "counter", "OOM kills in the process's cgroup.", "oom_kills"},
};

/* Prints every family for the processes in procs, and the host's. */
static void
metrics_print(const char *stack, const cJSON *procs, const cJSON *host)
{
	struct strbuf lb;
	strbuf_init(&lb);
	const cJSON *p;
	metrics_family("vigil_process_up", "gauge", "1 when the process is running (ready), 0 otherwise.");
	cJSON_ArrayForEach(p, procs) {
		lb.len = 0;
		metrics_proc_labels(&lb, stack, p);
		const char *st = ctl_str(p, "state");
		printf("vigil_process_up%s} %d\n", lb.data, st != NULL && strcmp(st, "running") == 0);
	}
	metrics_family("vigil_process_state", "gauge", "The process's state as a label; the value is always 1.");
	cJSON_ArrayForEach(p, procs) {
		lb.len = 0;
		metrics_proc_labels(&lb, stack, p);
		const char *st = ctl_str(p, "state");
		printf("vigil_process_state%s,state=\"%s\"} 1\n", lb.data, st != NULL ? st : "?");
	}
	metrics_family("vigil_process_restarts_total", "counter", "Restarts since the engine started.");
	cJSON_ArrayForEach(p, procs) {
		lb.len = 0;
		metrics_proc_labels(&lb, stack, p);
		printf("vigil_process_restarts_total%s} %.0f\n", lb.data, ctl_num(p, "restarts", 0));
	}
	for (size_t d = 0; d < sizeof(metrics_proc_defs) / sizeof(metrics_proc_defs[0]); d++) {
		const struct metrics_def *def = &metrics_proc_defs[d];
		bool header = false;
		cJSON_ArrayForEach(p, procs) {
			const cJSON *m = cJSON_GetObjectItemCaseSensitive(p, "metrics");
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, def->key);
			if (!cJSON_IsNumber(v))
				continue; /* not running, or not known: no sample rather than a made-up 0 */
			if (!header)
				metrics_family(def->name, def->type, def->help);
			header = true;
			lb.len = 0;
			metrics_proc_labels(&lb, stack, p);
			printf("%s%s} ", def->name, lb.data);
			metrics_value(v->valuedouble);
		}
	}
	if (cJSON_IsObject(host) && ctl_num(host, "at", 0) > 0) {
		lb.len = 0;
		metrics_label(&lb, stack);
		const char *sl = lb.data != NULL ? lb.data : "";
		static const struct metrics_def host_defs[] = {
			{"vigil_host_cpu_percent", "gauge", "CPU use of the host, percent of all cores together.", "cpu"},
			{"vigil_host_memory_total_bytes", "gauge", "Memory of the host.", "mem_total"},
			{"vigil_host_memory_available_bytes", "gauge", "Memory available for new work (MemAvailable).", "mem_available"},
			{"vigil_host_swap_total_bytes", "gauge", "Swap of the host.", "swap_total"},
			{"vigil_host_swap_free_bytes", "gauge", "Free swap.", "swap_free"},
			{"vigil_host_uptime_seconds", "gauge", "Seconds since the host booted.", "uptime_s"},
			{"vigil_host_processes", "gauge", "Processes on the host.", "procs"},
		};
		for (size_t d = 0; d < sizeof(host_defs) / sizeof(host_defs[0]); d++) {
			metrics_family(host_defs[d].name, host_defs[d].type, host_defs[d].help);
			double v = ctl_num(host, host_defs[d].key, NAN);
			if (isnan(v))
				continue; /* not known yet: no sample */
			printf("%s{stack=\"%s\"} ", host_defs[d].name, sl);
			metrics_value(v);
		}
		metrics_family("vigil_host_load", "gauge", "Load average over 1, 5 and 15 minutes.");
		const cJSON *load = cJSON_GetObjectItemCaseSensitive(host, "load");
		static const char *const spans[] = {"1m", "5m", "15m"};
		for (int i = 0; i < 3; i++) {
			const cJSON *v = cJSON_GetArrayItem(load, i);
			printf("vigil_host_load{stack=\"%s\",span=\"%s\"} ", sl, spans[i]);
			metrics_value(cJSON_IsNumber(v) ? v->valuedouble : NAN);
		}
		metrics_family("vigil_host_core_cpu_percent", "gauge", "CPU use of each core, percent.");
		const cJSON *c;
		int core = 0;
		cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(host, "cores")) {
			if (!cJSON_IsNumber(c)) {
				core++;
				continue;
			}
			printf("vigil_host_core_cpu_percent{stack=\"%s\",core=\"%d\"} ", sl, core++);
			metrics_value(c->valuedouble);
		}
	}
	strbuf_fini(&lb);
}

static int
metrics_show(const struct ctl_args *a, const cJSON *res)
{
	(void)a;
	const char *stack = ctl_str(res, "stack");
	metrics_print(stack != NULL ? stack : "?", cJSON_GetObjectItemCaseSensitive(res, "processes"),
	    cJSON_GetObjectItemCaseSensitive(res, "host"));
	return fflush(stdout) == 0 ? CLI_OK : CLI_FAILED;
}

int
cli_cmd_metrics(const struct cli_cmd *cmd, int argc, char **argv)
{
	return ctl_query(cmd, argc, argv, "status", NULL, metrics_show);
}

/* "2026-11-24T09:21:49.123Z" */
static void
export_time(double ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%03dZ", (int)fmod(ms, 1000));
}

/* CSV in long form: one row per time, process and metric; fine rows have min = avg = max. */
static void
export_csv(const cJSON *procs)
{
	printf("time,process,resolution,metric,min,avg,max\n");
	const cJSON *p;
	cJSON_ArrayForEach(p, procs) {
		const char *name = ctl_str(p, "name");
		static const char *const res[] = {"coarse", "fine"}; /* older first */
		for (int k = 0; k < 2; k++) {
			const cJSON *set = cJSON_GetObjectItemCaseSensitive(p, res[k]);
			const cJSON *metric;
			cJSON_ArrayForEach(metric, set) {
				const cJSON *row;
				cJSON_ArrayForEach(row, metric) {
					int n = cJSON_GetArraySize(row);
					if (n < 2)
						continue;
					char ts[40];
					export_time(cJSON_GetArrayItem(row, 0)->valuedouble, ts, sizeof(ts));
					double lo = cJSON_GetArrayItem(row, 1)->valuedouble;
					double avg = n >= 4 ? cJSON_GetArrayItem(row, 2)->valuedouble : lo;
					double hi = n >= 4 ? cJSON_GetArrayItem(row, 3)->valuedouble : lo;
					/* Names are [A-Za-z0-9_:-]: no quoting needed. */
					printf("%s,%s,%s,%s,%.15g,%.15g,%.15g\n", ts, name != NULL ? name : "?", res[k],
					    metric->string, lo, avg, hi);
				}
			}
		}
	}
}

static int
export_show(const struct ctl_args *a, const cJSON *res)
{
	if (a->format != NULL && strcmp(a->format, "csv") == 0) {
		export_csv(cJSON_GetObjectItemCaseSensitive(res, "processes"));
	} else {
		char *text = cJSON_PrintUnformatted(res);
		printf("%s\n", text);
		free(text);
	}
	return fflush(stdout) == 0 ? CLI_OK : CLI_FAILED;
}

int
cli_cmd_export(const struct cli_cmd *cmd, int argc, char **argv)
{
	return ctl_query(cmd, argc, argv, "history", "1h", export_show);
}

/* `vigil alerts`: active alerts (--all: the recently resolved too), newest first. */
static int
alerts_show(const struct ctl_args *a, const cJSON *res)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(res, "alerts");
	if (a->json) {
		cJSON *out = cJSON_CreateArray();
		const cJSON *e;
		cJSON_ArrayForEach(e, list)
			if (a->all || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "active")))
				cJSON_AddItemToArray(out, cJSON_Duplicate(e, true));
		char *text = cJSON_Print(out);
		printf("%s\n", text);
		free(text);
		cJSON_Delete(out);
		return CLI_OK;
	}
	int shown = 0;
	const cJSON *e;
	cJSON_ArrayForEach(e, list) {
		bool active = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "active"));
		if (!active && !a->all)
			continue;
		if (shown++ == 0)
			printf("%-5s %-9s %-12s %-8s %s\n", "ID", "SEVERITY", "STATE", "FIRED", "ALERT");
		char when[16];
		units_fmt_local((int64_t)ctl_num(e, "fired", 0), "%H:%M:%S", when, sizeof(when));
		const char *st = active ? (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "acknowledged")) ?
		    "acknowledged" : "active") : "resolved";
		printf("%-5.0f %-9s %-12s %-8s %s\n", ctl_num(e, "id", 0), ctl_str(e, "severity"), st, when,
		    ctl_str(e, "message"));
	}
	if (shown == 0)
		printf("no %salerts\n", a->all ? "" : "active ");
	return CLI_OK;
}

static int
alerts_acked(const struct ctl_args *a, const cJSON *res)
{
	(void)a;
	double n = ctl_num(res, "acknowledged", 0);
	if (n == 0)
		printf("no alert to acknowledge\n");
	else
		printf("acknowledged %.0f alert%s\n", n, n == 1 ? "" : "s");
	return CLI_OK;
}

int
cli_cmd_alerts(const struct cli_cmd *cmd, int argc, char **argv)
{
	/* `vigil alerts ack ID|all` acknowledges; otherwise the list. */
	struct ctl_args a;
	int r = ctl_parse(cmd, argc, argv, &a);
	if (r != CLI_OK)
		return r < 0 ? CLI_OK : r;
	if (a.nargs == 0)
		return ctl_run(&a, "alerts", 0, NULL, alerts_show);
	if (strcmp(a.args[0], "ack") != 0)
		return cli_usage_error("'%s' is not a subcommand of alerts (only ack ID|all)", a.args[0]);
	if (a.nargs < 2)
		return cli_usage_error("'alerts ack' needs an alert's ID (vigil alerts lists them) or all");
	const char *id = a.args[1];
	if (strcmp(id, "all") != 0 && (id[strspn(id, "0123456789")] != '\0' || strspn(id, "0") == strlen(id)))
		return cli_usage_error("'%s' is not an alert's ID (vigil alerts lists them) or all", id);
	if (a.nargs > 2)
		return cli_usage_error("'alerts ack' takes one ID or all, not also '%s'", a.args[2]);
	return ctl_run(&a, "ack", 1, NULL, alerts_acked);
}
