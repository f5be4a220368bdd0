/*
 * control — owns the server on the control socket and a copy of the stack
 * file's path; borrows the loop and the supervisor. Requests are answered at
 * once (no command waits on the loop): `stop` and `restart` start the stop
 * and reply; clients that want to see it happen subscribe or ask again.
 */
#include "core/control.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alert.h"
#include "core/config.h"
#include "core/diag.h"
#include "core/logstore.h"
#include "core/model.h"
#include "core/proto.h"
#include "core/series.h"
#include "core/specjson.h"
#include "core/server.h"
#include "core/strutil.h"
#include "core/supervisor.h"

struct control {
	struct alert_engine *alerts; /* borrowed; NULL = none */
	struct loop *loop;   /* borrowed */
	struct sv *sv;       /* borrowed */
	struct server *server; /* owned */
	char *stack_file;    /* owned */
	bool down;
};

/* The host's figures as JSON; from now on they are read at every sample. */
static cJSON *
control_host_json(const struct control *c)
{
	sv_want_host(c->sv);
	return model_host_json(sv_host(c->sv));
}

/* Instances named by the request's targets (all when none); false with a message. */
static bool
control_select(struct control *c, const struct proto_req *req, size_t **out, size_t *n,
    char *err, size_t err_size)
{
	size_t total = sv_count(c->sv);
	size_t *idx = calloc(total + 1, sizeof(*idx));
	bool *seen = calloc(total + 1, sizeof(*seen));
	size_t *tmp = calloc(total + 1, sizeof(*tmp));
	size_t count = 0;
	bool ok = true;
	if (req->ntargets == 0) {
		for (size_t i = 0; i < total; i++)
			idx[count++] = i;
	}
	for (size_t t = 0; t < req->ntargets && ok; t++) {
		size_t m = sv_match(c->sv, req->targets[t], tmp, total);
		if (m == 0) {
			const char *s = req->targets[t];
			snprintf(err, err_size, "no %s named %s",
			    s[0] == '@' ? "group" : s[0] == '#' ? "tag" : "process or group",
			    s[0] == '@' || s[0] == '#' ? s + 1 : s);
			ok = false;
		}
		for (size_t k = 0; k < m; k++) {
			if (!seen[tmp[k]]) {
				seen[tmp[k]] = true;
				idx[count++] = tmp[k];
			}
		}
	}
	free(seen);
	free(tmp);
	if (!ok) {
		free(idx);
		return false;
	}
	*out = idx;
	*n = count;
	return true;
}

static cJSON *
control_processes(struct control *c, const size_t *idx, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	int64_t now = model_realtime_ms();
	for (size_t i = 0; i < n; i++)
		if (!sv_replacing(c->sv, idx[i]))
			cJSON_AddItemToArray(a, model_json(sv_proc(c->sv, idx[i]), now));
	return a;
}

/* A log line as the protocol carries it. */
static cJSON *
control_line_json(const char *name, const struct log_line *l)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddNumberToObject(o, "ts", (double)l->ts_ms);
	cJSON_AddStringToObject(o, "stream", l->stream == LOG_ERR ? "err" : "out");
	char *text = str_dup_text(l->text, l->len);
	cJSON_AddStringToObject(o, "text", text != NULL ? text : "");
	free(text);
	if (l->flags & LOG_SPLIT)
		cJSON_AddBoolToObject(o, "split", true);
	if (l->flags & LOG_NOEOL)
		cJSON_AddBoolToObject(o, "noeol", true);
	return o;
}

/* Collects the lines of one instance that pass the request's filters. */
struct control_tail {
	const char *name;
	const struct proto_req *req;
	regex_t re;
	bool grep;
	cJSON *out;
};

static void
control_on_tail(const struct log_line *l, void *arg)
{
	struct control_tail *t = arg;
	if (t->req->since_ms > 0 && l->ts_ms < t->req->since_ms)
		return;
	if (t->grep) {
		char *s = str_dup_text(l->text, l->len);
		bool match = s != NULL && regexec(&t->re, s, 0, NULL, 0) == 0;
		free(s);
		if (!match)
			return;
	}
	cJSON_AddItemToArray(t->out, control_line_json(t->name, l));
}

static cJSON *
control_logs(struct control *c, const struct proto_req *req, const size_t *idx, size_t n)
{
	cJSON *res = cJSON_CreateObject();
	cJSON *lines = cJSON_AddArrayToObject(res, "lines");
	cJSON *names = cJSON_AddArrayToObject(res, "names");
	struct control_tail t = {.req = req, .out = lines};
	t.grep = req->grep != NULL && regcomp(&t.re, req->grep, REG_EXTENDED | REG_NOSUB) == 0;
	for (size_t i = 0; i < n; i++) {
		t.name = sv_proc(c->sv, idx[i])->name;
		cJSON_AddItemToArray(names, cJSON_CreateString(t.name));
		/* With a filter, look further back so N matching lines can be found. */
		size_t want = (size_t)req->lines;
		logstore_tail(sv_log(c->sv, idx[i]), t.grep || req->since_ms > 0 ? SIZE_MAX : want,
		    control_on_tail, &t);
	}
	if (t.grep)
		regfree(&t.re);
	return res;
}

/*
 * The history of the selected instances newer than since: per metric, fine
 * points [t, v] for the last 10 minutes and, before the oldest fine point,
 * 5-minute buckets [t, min, avg, max].
 */
static cJSON *
control_history(struct control *c, const struct proto_req *req, const size_t *idx, size_t n)
{
	cJSON *res = cJSON_CreateObject();
	cJSON_AddStringToObject(res, "stack", sv_spec(c->sv)->name);
	cJSON_AddNumberToObject(res, "interval_ms", (double)sv_spec(c->sv)->settings.sample_interval_ms);
	cJSON *procs = cJSON_AddArrayToObject(res, "processes");
	static struct series_point pts[SERIES_FINE_MAX];
	static struct series_bucket bks[SERIES_BUCKETS];
	for (size_t i = 0; i < n; i++) {
		const struct proc_info *p = sv_proc(c->sv, idx[i]);
		cJSON *o = cJSON_CreateObject();
		cJSON_AddItemToArray(procs, o);
		cJSON_AddStringToObject(o, "name", p->name);
		/* What the detail view shows beside the charts. */
		specjson_add_command(o, sv_spec(c->sv), p->spec);
		cJSON *checks = cJSON_AddArrayToObject(o, "health_checks");
		for (int k = 0; k < p->nchecks; k++) {
			const struct proc_check *ck = &p->checks[(p->check_head + k) % MODEL_HEALTH_LOG];
			cJSON *e = cJSON_CreateObject();
			cJSON_AddNumberToObject(e, "at", (double)ck->at_ms);
			cJSON_AddBoolToObject(e, "ok", ck->ok);
			cJSON_AddStringToObject(e, "detail", ck->detail);
			cJSON_AddItemToArray(checks, e);
		}
		cJSON *exits = cJSON_AddArrayToObject(o, "exits");
		for (int k = 0; k < p->nexits; k++) {
			const struct proc_check *ex = &p->exits[(p->exit_head + k) % MODEL_EXIT_LOG];
			cJSON *e = cJSON_CreateObject();
			cJSON_AddNumberToObject(e, "at", (double)ex->at_ms);
			cJSON_AddBoolToObject(e, "clean", ex->ok);
			cJSON_AddStringToObject(e, "how", ex->detail);
			cJSON_AddItemToArray(exits, e);
		}
		size_t ntree;
		const struct proc_member *tree = sv_tree(c->sv, idx[i], &ntree);
		cJSON *ta = cJSON_AddArrayToObject(o, "tree");
		for (size_t k = 0; k < ntree; k++) {
			cJSON *e = cJSON_CreateObject();
			cJSON_AddNumberToObject(e, "pid", tree[k].pid);
			cJSON_AddNumberToObject(e, "ppid", tree[k].ppid);
			cJSON_AddStringToObject(e, "name", tree[k].comm);
			cJSON_AddItemToArray(ta, e);
		}
		cJSON *fine = cJSON_AddObjectToObject(o, "fine");
		cJSON *coarse = cJSON_AddObjectToObject(o, "coarse");
		for (int m = 0; m < SERIES_METRICS && p->history != NULL; m++) {
			const char *mn = series_metric_name((enum series_metric)m);
			size_t np = series_fine(p->history, (enum series_metric)m, req->since_ms, pts,
			    SERIES_FINE_MAX);
			cJSON *fa = cJSON_AddArrayToObject(fine, mn);
			for (size_t k = 0; k < np; k++) {
				double row[2] = {(double)pts[k].t_ms, round(pts[k].v * 100) / 100};
				cJSON_AddItemToArray(fa, cJSON_CreateDoubleArray(row, 2));
			}
			/* Buckets for the time before the fine points (the last may overlap them). */
			size_t nb = series_coarse(p->history, (enum series_metric)m, req->since_ms, bks,
			    SERIES_BUCKETS);
			/* None while the fine ring still holds every sample: they are the whole history. */
			nb = series_fine_dropped_ms(p->history) == INT64_MIN ? 0 :
			    series_coarse_before(bks, nb, np > 0 ? pts[0].t_ms : INT64_MAX);
			cJSON *ca = cJSON_AddArrayToObject(coarse, mn);
			for (size_t k = 0; k < nb; k++) {
				double row[4] = {(double)bks[k].t_ms, round(bks[k].min * 100) / 100,
					round(bks[k].avg * 100) / 100, round(bks[k].max * 100) / 100};
				cJSON_AddItemToArray(ca, cJSON_CreateDoubleArray(row, 4));
			}
		}
	}
	return res;
}

/* A reply to reload when the file has problems: the error plus every problem. */
static char *
control_reload_error(const struct proto_req *req, struct diag *d)
{
	char msg[96];
	snprintf(msg, sizeof(msg), "the stack file has %zu problem%s; nothing changed",
	    diag_total(d), diag_total(d) == 1 ? "" : "s");
	cJSON *problems = cJSON_CreateArray();
	diag_sort(d);
	char line[1400];
	for (size_t i = 0; i < d->count && i < DIAG_SHOW; i++) {
		diag_format(&d->entries[i], line, sizeof(line));
		cJSON_AddItemToArray(problems, cJSON_CreateString(line));
	}
	return proto_reply_error_details(req->has_id, req->id, msg, "problems", problems);
}

static void
control_on_request(struct server_conn *conn, const struct proto_req *req, void *arg)
{
	struct control *c = arg;
	char err[512];
	size_t *idx = NULL, n = 0;
	bool needs_targets = req->cmd == PROTO_STATUS || req->cmd == PROTO_START ||
	    req->cmd == PROTO_STOP || req->cmd == PROTO_RESTART || req->cmd == PROTO_SIGNAL ||
	    req->cmd == PROTO_LOGS || req->cmd == PROTO_HISTORY;
	if (needs_targets && !control_select(c, req, &idx, &n, err, sizeof(err))) {
		/* A code beside the message: the CLI makes it a usage error (exit 2), as for `up NAME`. */
		server_send(conn, proto_reply_error_details(req->has_id, req->id, err, "code",
		    cJSON_CreateString("unknown_target")));
		return;
	}
	cJSON *res = NULL;
	switch (req->cmd) {
	case PROTO_STATUS:
		res = cJSON_CreateObject();
		cJSON_AddStringToObject(res, "stack", sv_spec(c->sv)->name);
		cJSON_AddStringToObject(res, "file", c->stack_file);
		cJSON_AddNumberToObject(res, "engine_pid", getpid());
		cJSON_AddItemToObject(res, "processes", control_processes(c, idx, n));
		cJSON_AddItemToObject(res, "host", control_host_json(c));
		cJSON_AddStringToObject(res, "cgroups", sv_cgroups_describe(c->sv));
		break;
	case PROTO_START:
	case PROTO_STOP:
	case PROTO_RESTART:
	case PROTO_SIGNAL: {
		res = cJSON_CreateObject();
		cJSON *matched = cJSON_AddArrayToObject(res, "matched");
		size_t signalled = 0;
		const char *cleanup = NULL;
		for (size_t i = 0; i < n; i++) {
			/* A cleanup runs when the stack stops, not on request. */
			if ((req->cmd == PROTO_START || req->cmd == PROTO_RESTART) &&
			    sv_proc(c->sv, idx[i])->spec->kind == SPEC_CLEANUP) {
				cleanup = sv_proc(c->sv, idx[i])->name;
				continue;
			}
			if (req->cmd == PROTO_START)
				sv_start_proc(c->sv, idx[i]);
			else if (req->cmd == PROTO_STOP)
				sv_stop_proc(c->sv, idx[i]);
			else if (req->cmd == PROTO_RESTART)
				sv_restart_proc(c->sv, idx[i]);
			else if (sv_signal_proc(c->sv, idx[i], req->signal) < 0)
				continue;
			signalled++;
			cJSON_AddItemToArray(matched, cJSON_CreateString(sv_proc(c->sv, idx[i])->name));
		}
		if (cleanup != NULL && signalled == 0) {
			server_send(conn, proto_reply_error(req->has_id, req->id,
			    "%s is a cleanup: it runs when the stack stops (vigil down)", cleanup));
			cJSON_Delete(res);
			free(idx);
			return;
		}
		if (req->cmd == PROTO_SIGNAL && signalled == 0) {
			cJSON_Delete(res);
			free(idx);
			server_send(conn, proto_reply_error(req->has_id, req->id,
			    "nothing to signal: no matching process is running"));
			return;
		}
		break;
	}
	case PROTO_LOGS:
		res = control_logs(c, req, idx, n);
		break;
	case PROTO_SUBSCRIBE: {
		server_subscribe(conn, req->topics);
		res = cJSON_CreateObject();
		cJSON_AddStringToObject(res, "stack", sv_spec(c->sv)->name);
		cJSON_AddNumberToObject(res, "engine_pid", getpid());
		size_t total = sv_count(c->sv);
		size_t *all = calloc(total + 1, sizeof(*all));
		for (size_t i = 0; i < total; i++)
			all[i] = i;
		cJSON_AddItemToObject(res, "processes", control_processes(c, all, total));
		cJSON_AddItemToObject(res, "host", control_host_json(c));
		cJSON *active = cJSON_AddArrayToObject(res, "alerts");
		const struct alert *list[256];
		size_t na = c->alerts != NULL ? alert_list(c->alerts, false, list, 256) : 0;
		for (size_t i = 0; i < na; i++)
			cJSON_AddItemToArray(active, alert_json(list[i]));
		free(all);
		break;
	}
	case PROTO_RELOAD: {
		if (!sv_running(c->sv)) {
			server_send(conn, proto_reply_error(req->has_id, req->id,
			    "the stack is shutting down; nothing to reload"));
			return;
		}
		struct diag d;
		diag_init(&d);
		struct spec *next = config_load(c->stack_file, &d);
		if (next == NULL) {
			server_send(conn, control_reload_error(req, &d));
			diag_fini(&d);
			return;
		}
		diag_fini(&d);
		if (strcmp(next->name, sv_spec(c->sv)->name) != 0) {
			server_send(conn, proto_reply_error(req->has_id, req->id,
			    "the stack file now names stack '%s', not '%s'; nothing changed", next->name,
			    sv_spec(c->sv)->name));
			config_free(next);
			return;
		}
		res = cJSON_CreateObject();
		cJSON *later = cJSON_AddArrayToObject(res, "settings_later");
		if (!sv_reload_check(c->sv, next, later, err, sizeof(err))) {
			server_send(conn, proto_reply_error(req->has_id, req->id, "%s; nothing changed", err));
			cJSON_Delete(res);
			config_free(next);
			return;
		}
		cJSON *added = cJSON_AddArrayToObject(res, "added");
		cJSON *removed = cJSON_AddArrayToObject(res, "removed");
		cJSON *changed = cJSON_AddArrayToObject(res, "changed");
		sv_reload(c->sv, next, added, removed, changed);
		break;
	}
	case PROTO_DOWN:
		c->down = true;
		res = cJSON_CreateObject();
		cJSON_AddStringToObject(res, "stack", sv_spec(c->sv)->name);
		server_send(conn, proto_reply_ok(req, res));
		sv_shutdown(c->sv);
		return;
	case PROTO_HISTORY:
		res = control_history(c, req, idx, n);
		break;
	case PROTO_ALERTS: {
		res = cJSON_CreateObject();
		cJSON *arr = cJSON_AddArrayToObject(res, "alerts");
		const struct alert *list[256];
		size_t na = c->alerts != NULL ? alert_list(c->alerts, true, list, 256) : 0;
		for (size_t i = 0; i < na; i++)
			cJSON_AddItemToArray(arr, alert_json(list[i]));
		break;
	}
	case PROTO_ACK: {
		if (c->alerts == NULL || req->ntargets != 1) {
			server_send(conn, proto_reply_error(req->has_id, req->id,
			    "ack needs one target: an alert's id, or all"));
			return;
		}
		char *end;
		unsigned long long id = strtoull(req->targets[0], &end, 10);
		if (strcmp(req->targets[0], "all") != 0 && (*end != '\0' || id == 0)) {
			server_send(conn, proto_reply_error(req->has_id, req->id,
			    "'%s' is not an alert's id (vigil alerts lists them) or all", req->targets[0]));
			return;
		}
		bool all = strcmp(req->targets[0], "all") == 0;
		size_t na = alert_ack(c->alerts, all ? 0 : id);
		if (na == 0 && !all) { /* all with nothing to acknowledge: done already */
			server_send(conn, proto_reply_error(req->has_id, req->id,
			    "no active, unacknowledged alert %s", req->targets[0]));
			return;
		}
		res = cJSON_CreateObject();
		cJSON_AddNumberToObject(res, "acknowledged", (double)na);
		break;
	}
	case PROTO_VERSION:
		res = cJSON_CreateObject();
		cJSON_AddStringToObject(res, "version", VIGIL_VERSION);
		cJSON_AddNumberToObject(res, "engine_pid", getpid());
		break;
	default:
		res = cJSON_CreateObject();
		break;
	}
	free(idx);
	server_send(conn, proto_reply_ok(req, res));
}

struct control *
control_new(struct loop *l, struct sv *sv, const char *path, const char *stack_file, char *err,
    size_t err_size)
{
	struct control *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	c->loop = l;
	c->sv = sv;
	c->stack_file = strdup(stack_file);
	c->server = server_new(l, path, control_on_request, c, err, err_size);
	if (c->server == NULL) {
		free(c->stack_file);
		free(c);
		return NULL;
	}
	return c;
}

void
control_free(struct control *c)
{
	if (c == NULL)
		return;
	server_free(c->server);
	free(c->stack_file);
	free(c);
}

/* The metrics event: the host and every running instance's figures. */
static cJSON *
control_metrics_json(const struct control *c)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "host", control_host_json(c));
	cJSON *procs = cJSON_AddArrayToObject(o, "processes");
	for (size_t i = 0; i < sv_count(c->sv); i++) {
		const struct proc_info *p = sv_proc(c->sv, i);
		if (p->pid <= 0 || p->metrics.at_ms == 0)
			continue;
		cJSON *m = model_metrics_json(&p->metrics);
		cJSON_AddStringToObject(m, "name", p->name);
		cJSON_AddNumberToObject(m, "pid", p->pid);
		cJSON_AddItemToArray(procs, m);
	}
	return o;
}

void
control_on_event(struct control *c, const struct sv_event *ev)
{
	if (c == NULL)
		return;
	unsigned topic = ev->kind == SV_EV_LOG ? PROTO_TOPIC_LOGS :
	    ev->kind == SV_EV_METRICS ? PROTO_TOPIC_METRICS : PROTO_TOPIC_STATE;
	if (!server_has_subscribers(c->server, topic))
		return;
	cJSON *data;
	const char *name;
	if (ev->kind == SV_EV_LOG) {
		data = control_line_json(ev->proc->name, ev->line);
		name = "logs";
	} else if (ev->kind == SV_EV_METRICS) {
		data = control_metrics_json(c);
		name = "metrics";
	} else {
		data = model_json(ev->proc, model_realtime_ms());
		name = "state";
	}
	char *line = proto_event(name, data);
	server_broadcast(c->server, topic, line);
	free(line);
}

void
control_set_alerts(struct control *c, struct alert_engine *ae)
{
	if (c != NULL)
		c->alerts = ae;
}

void
control_on_alert(struct control *c, const char *what, const struct alert *a, const char *why)
{
	if (c == NULL || !server_has_subscribers(c->server, PROTO_TOPIC_ALERTS))
		return;
	cJSON *data = cJSON_CreateObject();
	cJSON_AddStringToObject(data, "change", what);
	if (why != NULL)
		cJSON_AddStringToObject(data, "why", why);
	cJSON_AddItemToObject(data, "alert", alert_json(a));
	char *line = proto_event("alerts", data);
	server_broadcast(c->server, PROTO_TOPIC_ALERTS, line);
	free(line);
}

void
control_on_end(struct control *c, int status)
{
	if (c == NULL || !server_has_subscribers(c->server, PROTO_TOPIC_STATE))
		return;
	cJSON *data = cJSON_CreateObject();
	cJSON_AddNumberToObject(data, "status", status);
	char *line = proto_event("end", data);
	server_broadcast(c->server, PROTO_TOPIC_STATE, line);
	free(line);
}

bool
control_wants_lines(const struct control *c)
{
	return c != NULL && server_has_subscribers(c->server, PROTO_TOPIC_LOGS);
}

bool
control_down_requested(const struct control *c)
{
	return c != NULL && c->down;
}
