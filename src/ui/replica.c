/*
 * replica — owns the process records (updated in place by name, so a view's
 * selection survives), the log ring (each text malloc'd, freed when the
 * ring overwrites it) and the interned names lines point at.
 */
#include "ui/replica.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/units.h"

void
replica_init(struct replica *r)
{
	memset(r, 0, sizeof(*r));
	r->lines = calloc(REPLICA_LOG_LINES, sizeof(*r->lines));
	if (r->lines == NULL)
		abort();
}

void
replica_reset(struct replica *r)
{
	for (size_t i = 0; i < r->nlines; i++)
		free(r->lines[(r->line_head + i) % REPLICA_LOG_LINES].text);
	r->nlines = r->line_head = 0;
	r->nprocs = 0;
	r->nalerts = 0;
	memset(&r->host, 0, sizeof(r->host));
	r->dirty = REPLICA_DIRTY_HEADER | REPLICA_DIRTY_TABLE | REPLICA_DIRTY_LOGS;
}

void
replica_fini(struct replica *r)
{
	replica_reset(r);
	free(r->lines);
	free(r->procs);
	for (size_t i = 0; i < r->nnames; i++)
		free(r->names[i]);
	free(r->names);
	memset(r, 0, sizeof(*r));
}

static const char *
replica_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : "";
}

static double
replica_num(const cJSON *o, const char *key, double dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

/* Copies src into dst, cut to fit (records have fixed fields). */
static void
replica_copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The record named so, made when new. */
static struct replica_proc *
replica_slot(struct replica *r, const char *name)
{
	for (size_t i = 0; i < r->nprocs; i++)
		if (strcmp(r->procs[i].name, name) == 0)
			return &r->procs[i];
	if (r->nprocs == r->capprocs) {
		size_t cap = r->capprocs ? r->capprocs * 2 : 32;
		struct replica_proc *p = realloc(r->procs, cap * sizeof(*p));
		if (p == NULL)
			abort();
		r->procs = p;
		r->capprocs = cap;
	}
	struct replica_proc *p = &r->procs[r->nprocs++];
	memset(p, 0, sizeof(*p));
	replica_copy(p->name, sizeof(p->name), name);
	return p;
}

/* The figures of a "metrics" object into m; false when it is not one. */
static bool
replica_metrics(const cJSON *o, struct proc_metrics *m)
{
	if (!cJSON_IsObject(o))
		return false;
	m->at_ms = (int64_t)replica_num(o, "at", 0);
	m->cpu = replica_num(o, "cpu", -1);
	m->tree_cpu = replica_num(o, "tree_cpu", -1);
	m->rss = (uint64_t)replica_num(o, "rss", 0);
	m->tree_rss = (uint64_t)replica_num(o, "tree_rss", 0);
	m->threads = (int)replica_num(o, "threads", 0);
	m->tree_threads = (int)replica_num(o, "tree_threads", 0);
	m->fds = (int)replica_num(o, "fds", -1);
	m->tree_fds = (int)replica_num(o, "tree_fds", -1);
	m->io_read = replica_num(o, "io_read", -1);
	m->io_write = replica_num(o, "io_write", -1);
	m->tree_procs = (int)replica_num(o, "tree_procs", 0);
	m->kstate = replica_str(o, "kstate")[0];
	m->cgroup = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "cgroup"));
	m->cg_memory = (int64_t)replica_num(o, "cgroup_memory", -1);
	m->oom_kills = (int64_t)replica_num(o, "oom_kills", -1);
	return true;
}

static void
replica_push_hist(struct replica_proc *p, double v)
{
	float f = v < 0 ? 0 : (float)v;
	if (p->nhist < REPLICA_HIST) {
		p->hist[(p->hist_head + p->nhist++) % REPLICA_HIST] = f;
	} else {
		p->hist[p->hist_head] = f;
		p->hist_head = (p->hist_head + 1) % REPLICA_HIST;
	}
}

/* One process object of status/subscribe/state (model_json). */
static void
replica_proc_json(struct replica *r, const cJSON *o, int64_t now_ms)
{
	const char *raw = replica_str(o, "name");
	if (raw[0] == '\0')
		return;
	char name[160];
	snprintf(name, sizeof(name), "%s%s", r->prefix, raw);
	struct replica_proc *p = replica_slot(r, name);
	p->present = true;
	p->origin = r->origin;
	replica_copy(p->process, sizeof(p->process), replica_str(o, "process"));
	p->replica = (int)replica_num(o, "replica", 0);
	replica_copy(p->kind, sizeof(p->kind), replica_str(o, "kind"));
	replica_copy(p->state, sizeof(p->state), replica_str(o, "state"));
	replica_copy(p->health, sizeof(p->health), replica_str(o, "health"));
	replica_copy(p->group, sizeof(p->group), replica_str(o, "group"));
	replica_copy(p->reason, sizeof(p->reason), replica_str(o, "reason"));
	p->pid = (pid_t)replica_num(o, "pid", 0);
	p->restarts = (int)replica_num(o, "restarts", 0);
	p->good = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "good"));
	p->uptime_ms = (int64_t)replica_num(o, "uptime_ms", -1);
	p->uptime_at = now_ms;
	size_t tl = 0;
	p->tags[0] = '\0';
	const cJSON *t;
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(o, "tags")) {
		if (!cJSON_IsString(t))
			continue;
		int n = snprintf(p->tags + tl, sizeof(p->tags) - tl, "%s%s", tl ? "," : "", t->valuestring);
		if (n < 0 || (size_t)n >= sizeof(p->tags) - tl)
			break;
		tl += (size_t)n;
	}
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "metrics");
	p->has_metrics = replica_metrics(m, &p->m);
	r->dirty |= REPLICA_DIRTY_TABLE | REPLICA_DIRTY_HEADER;
}

/* A "host" object. */
static void
replica_host_json(struct replica *r, const cJSON *h)
{
	if (!cJSON_IsObject(h))
		return;
	struct model_host *o = &r->host;
	o->at_ms = (int64_t)replica_num(h, "at", 0);
	o->cpu = replica_num(h, "cpu", 0);
	o->mem_total = (uint64_t)replica_num(h, "mem_total", 0);
	o->mem_available = (uint64_t)replica_num(h, "mem_available", 0);
	o->swap_total = (uint64_t)replica_num(h, "swap_total", 0);
	o->swap_free = (uint64_t)replica_num(h, "swap_free", 0);
	o->uptime_s = replica_num(h, "uptime_s", 0);
	o->procs = (int)replica_num(h, "procs", 0);
	const cJSON *load = cJSON_GetObjectItemCaseSensitive(h, "load");
	for (int i = 0; i < 3; i++) {
		const cJSON *v = cJSON_GetArrayItem(load, i);
		o->load[i] = cJSON_IsNumber(v) ? v->valuedouble : 0;
	}
	o->ncores = 0;
	const cJSON *c;
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(h, "cores")) {
		if (o->ncores >= MODEL_MAX_CORES)
			break;
		o->core_cpu[o->ncores++] = cJSON_IsNumber(c) ? c->valuedouble : 0;
	}
	r->dirty |= REPLICA_DIRTY_HEADER;
}

static uint16_t
replica_intern(struct replica *r, const char *name)
{
	for (size_t i = 0; i < r->nnames; i++)
		if (strcmp(r->names[i], name) == 0)
			return (uint16_t)i;
	if (r->nnames >= UINT16_MAX)
		return 0;
	if (r->nnames == r->capnames) {
		size_t cap = r->capnames ? r->capnames * 2 : 32;
		char **p = realloc(r->names, cap * sizeof(*p));
		if (p == NULL)
			abort();
		r->names = p;
		r->capnames = cap;
	}
	r->names[r->nnames] = strdup(name);
	if (r->names[r->nnames] == NULL)
		abort();
	return (uint16_t)r->nnames++;
}

void
replica_add_line(struct replica *r, const char *name, int64_t ts_ms, bool err, const char *text)
{
	struct replica_line *l;
	if (r->nlines < REPLICA_LOG_LINES) {
		l = &r->lines[(r->line_head + r->nlines++) % REPLICA_LOG_LINES];
	} else {
		l = &r->lines[r->line_head];
		free(l->text);
		r->line_head = (r->line_head + 1) % REPLICA_LOG_LINES;
	}
	l->ts_ms = ts_ms;
	l->text = strdup(text);
	if (l->text == NULL)
		abort();
	l->name = replica_intern(r, name);
	l->err = err;
	l->split = false;
	r->lines_total++;
	r->dirty |= REPLICA_DIRTY_LOGS;
}

static void
replica_line_json(struct replica *r, const cJSON *o)
{
	char name[160];
	snprintf(name, sizeof(name), "%s%s", r->prefix, replica_str(o, "name"));
	replica_add_line(r, name, (int64_t)replica_num(o, "ts", 0),
	    strcmp(replica_str(o, "stream"), "err") == 0, replica_str(o, "text"));
	r->lines[(r->line_head + r->nlines - 1) % REPLICA_LOG_LINES].split =
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "split"));
}

/* Every process object of a list; records not in it are dropped (a reload removed them). */
static void
replica_procs_json(struct replica *r, const cJSON *procs, int64_t now_ms, bool whole)
{
	if (whole)
		for (size_t i = 0; i < r->nprocs; i++)
			if (r->procs[i].origin == r->origin)
				r->procs[i].present = false;
	const cJSON *p;
	cJSON_ArrayForEach(p, procs)
		replica_proc_json(r, p, now_ms);
	if (!whole)
		return;
	size_t k = 0;
	for (size_t i = 0; i < r->nprocs; i++)
		if (r->procs[i].present)
			r->procs[k++] = r->procs[i];
	r->nprocs = k;
}

/* A metrics event: the host, and each running process's figures. */
static void
replica_metrics_json(struct replica *r, const cJSON *data)
{
	replica_host_json(r, cJSON_GetObjectItemCaseSensitive(data, "host"));
	for (size_t i = 0; i < r->nprocs; i++)
		if (r->procs[i].origin == r->origin)
			r->procs[i].has_metrics = false;
	const cJSON *p;
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(data, "processes")) {
		char name[160];
		snprintf(name, sizeof(name), "%s%s", r->prefix, replica_str(p, "name"));
		for (size_t i = 0; i < r->nprocs; i++) {
			struct replica_proc *q = &r->procs[i];
			if (strcmp(q->name, name) != 0)
				continue;
			q->has_metrics = replica_metrics(p, &q->m);
			break;
		}
	}
	/* One sample per process per sweep: a gap (0) while it does not run. */
	for (size_t i = 0; i < r->nprocs; i++)
		if (r->procs[i].origin == r->origin)
			replica_push_hist(&r->procs[i], r->procs[i].has_metrics ? r->procs[i].m.tree_cpu : 0);
	r->dirty |= REPLICA_DIRTY_TABLE;
}

/* The kernel's state letter as a word. */
static const char *
replica_kstate(char c)
{
	switch (c) {
	case 'R': return "running";
	case 'S': return "sleeping";
	case 'D': return "disk-wait";
	case 'Z': return "zombie";
	case 'T': return "stopped";
	case 't': return "traced";
	case 'I': return "idle";
	case 'X': return "dead";
	default: return "?";
	}
}

/*
 * vigil top's event: every process of the host as rows of text ("pid ppid
 * state cpu rss threads start name"), sorted by pid. Merged with the old
 * records (also by pid) so each keeps its CPU history while it is the same
 * process (same start time).
 */
static void
replica_top_json(struct replica *r, const cJSON *data, int64_t now_ms)
{
	r->host_mode = true;
	replica_host_json(r, cJSON_GetObjectItemCaseSensitive(data, "host"));
	const char *text = replica_str(data, "rows");
	size_t n = 0;
	for (const char *p = text; *p != '\0'; p++)
		n += *p == '\n';
	struct replica_proc *next = calloc(n > 0 ? n : 1, sizeof(*next));
	if (next == NULL)
		abort();
	size_t o = 0, k = 0;
	int64_t realnow = r->host.at_ms > 0 ? r->host.at_ms : 0;
	for (const char *line = text; *line != '\0' && k < n;) {
		const char *nl = strchr(line, '\n');
		if (nl == NULL)
			break;
		struct replica_proc *p = &next[k];
		char *end;
		p->pid = (pid_t)strtol(line, &end, 10);
		p->ppid = (pid_t)strtol(end, &end, 10);
		while (*end == ' ')
			end++;
		char st = *end != '\0' ? *end++ : '?';
		double cpu = strtod(end, &end);
		uint64_t rss = strtoull(end, &end, 10);
		int threads = (int)strtol(end, &end, 10);
		int64_t start = strtoll(end, &end, 10);
		if (*end == ' ')
			end++;
		size_t nlen = (size_t)(nl - end) < sizeof(p->name) ? (size_t)(nl - end) : sizeof(p->name) - 1;
		memcpy(p->name, end, nlen);
		p->name[nlen] = '\0';
		line = nl + 1;
		if (p->pid <= 0)
			continue;
		while (o < r->nprocs && r->procs[o].pid < p->pid)
			o++;
		if (o < r->nprocs && r->procs[o].pid == p->pid && r->procs[o].m.at_ms == start) {
			size_t keep = r->procs[o].nhist;
			for (size_t h = 0; h < keep; h++)
				p->hist[h] = replica_hist(&r->procs[o], h);
			p->nhist = keep;
		}
		snprintf(p->id, sizeof(p->id), "%d", (int)p->pid);
		replica_copy(p->state, sizeof(p->state), replica_kstate(st));
		p->has_metrics = true;
		p->m.kstate = st;
		p->m.cpu = p->m.tree_cpu = cpu;
		p->m.rss = p->m.tree_rss = rss;
		p->m.threads = p->m.tree_threads = threads;
		p->m.at_ms = start; /* the start time tells a reused pid from the same process */
		p->m.fds = p->m.tree_fds = -1;
		p->m.io_read = p->m.io_write = -1;
		p->uptime_ms = realnow > 0 && start > 0 ? realnow - start : -1;
		p->uptime_at = now_ms;
		p->present = true;
		replica_copy(p->health, sizeof(p->health), "unknown");
		replica_push_hist(p, cpu);
		k++;
	}
	free(r->procs);
	r->procs = next;
	r->nprocs = k;
	r->capprocs = n > 0 ? n : 1;
	snprintf(r->stack, sizeof(r->stack), "host");
	r->dirty |= REPLICA_DIRTY_TABLE | REPLICA_DIRTY_HEADER;
}

/* Values of one metric's points ([t, v] fine or [t, min, avg, max] coarse: the avg). */
static size_t
replica_series(const cJSON *rows, float *out, size_t cap)
{
	size_t n = 0;
	const cJSON *row;
	cJSON_ArrayForEach(row, rows) {
		int len = cJSON_GetArraySize(row);
		const cJSON *v = cJSON_GetArrayItem(row, len >= 4 ? 2 : 1);
		if (!cJSON_IsNumber(v))
			continue;
		if (n == cap) {
			memmove(out, out + 1, (cap - 1) * sizeof(*out)); /* keep the newest */
			n--;
		}
		out[n++] = (float)v->valuedouble;
	}
	return n;
}

static void
replica_detail_json(struct replica *r, const cJSON *p, int64_t now_ms)
{
	struct replica_detail *d = &r->detail;
	char name[160];
	snprintf(name, sizeof(name), "%s%s", r->prefix, replica_str(p, "name"));
	replica_copy(d->name, sizeof(d->name), name);
	replica_copy(d->command, sizeof(d->command), replica_str(p, "command"));
	replica_copy(d->cwd, sizeof(d->cwd), replica_str(p, "cwd"));
	const cJSON *fine = cJSON_GetObjectItemCaseSensitive(p, "fine");
	const cJSON *coarse = cJSON_GetObjectItemCaseSensitive(p, "coarse");
	d->ncpu = replica_series(cJSON_GetObjectItemCaseSensitive(fine, "tree_cpu"), d->cpu, REPLICA_DETAIL_POINTS);
	d->nmem = replica_series(cJSON_GetObjectItemCaseSensitive(fine, "tree_rss"), d->mem, REPLICA_DETAIL_POINTS);
	d->ncpu_day = replica_series(cJSON_GetObjectItemCaseSensitive(coarse, "tree_cpu"), d->cpu_day, 288);
	d->nmem_day = replica_series(cJSON_GetObjectItemCaseSensitive(coarse, "tree_rss"), d->mem_day, 288);
	/* I/O: read and write added, point by point (both come from the same samples). */
	float rd[REPLICA_DETAIL_POINTS], wr[REPLICA_DETAIL_POINTS];
	size_t nr = replica_series(cJSON_GetObjectItemCaseSensitive(fine, "io_read"), rd, REPLICA_DETAIL_POINTS);
	size_t nw = replica_series(cJSON_GetObjectItemCaseSensitive(fine, "io_write"), wr, REPLICA_DETAIL_POINTS);
	d->nio = nr < nw ? nr : nw;
	for (size_t k = 0; k < d->nio; k++)
		d->io[k] = rd[nr - d->nio + k] + wr[nw - d->nio + k];
	float rdd[288], wrd[288];
	size_t nrd = replica_series(cJSON_GetObjectItemCaseSensitive(coarse, "io_read"), rdd, 288);
	size_t nwd = replica_series(cJSON_GetObjectItemCaseSensitive(coarse, "io_write"), wrd, 288);
	d->nio_day = nrd < nwd ? nrd : nwd;
	for (size_t k = 0; k < d->nio_day; k++)
		d->io_day[k] = rdd[nrd - d->nio_day + k] + wrd[nwd - d->nio_day + k];
	d->tree[0] = '\0';
	size_t tl = 0;
	const cJSON *m;
	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(p, "tree")) {
		int k = snprintf(d->tree + tl, sizeof(d->tree) - tl, "%s%.0f %s", tl ? " > " : "",
		    replica_num(m, "pid", 0), replica_str(m, "name"));
		if (k < 0 || (size_t)k >= sizeof(d->tree) - tl)
			break;
		tl += (size_t)k;
	}
	d->exits[0] = '\0';
	size_t el = 0;
	const cJSON *exits = cJSON_GetObjectItemCaseSensitive(p, "exits");
	for (int k = cJSON_GetArraySize(exits) - 1; k >= 0; k--) {
		const cJSON *ex = cJSON_GetArrayItem(exits, k);
		char ts[16];
		units_fmt_local((int64_t)replica_num(ex, "at", 0), "%H:%M:%S", ts, sizeof(ts));
		int w = snprintf(d->exits + el, sizeof(d->exits) - el, "%s%s %s", el ? " · " : "", ts,
		    replica_str(ex, "how"));
		if (w < 0 || (size_t)w >= sizeof(d->exits) - el)
			break;
		el += (size_t)w;
	}
	const cJSON *checks = cJSON_GetObjectItemCaseSensitive(p, "health_checks");
	int nc = cJSON_GetArraySize(checks);
	d->nchecks = 0;
	for (int k = nc - 1; k >= 0 && d->nchecks < 6; k--) {
		const cJSON *ck = cJSON_GetArrayItem(checks, k);
		char ts[16];
		units_fmt_local((int64_t)replica_num(ck, "at", 0), "%H:%M:%S", ts, sizeof(ts));
		snprintf(d->checks[d->nchecks++], sizeof(d->checks[0]), "%s %s %.90s", ts,
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ck, "ok")) ? "ok  " : "FAIL", replica_str(ck, "detail"));
	}
	d->at_ms = now_ms;
	r->dirty |= REPLICA_DIRTY_TABLE;
}

/* One alert object (alert_json) into the active list, or out of it once resolved. */
static void
replica_alert_json(struct replica *r, const cJSON *a)
{
	long id = (long)replica_num(a, "id", 0);
	bool active = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "active"));
	size_t i = 0;
	while (i < r->nalerts && !(r->alerts[i].id == id && r->alerts[i].origin == r->origin))
		i++;
	if (!active) {
		if (i < r->nalerts)
			r->alerts[i] = r->alerts[--r->nalerts];
		r->dirty |= REPLICA_DIRTY_HEADER;
		return;
	}
	if (i == r->nalerts) {
		if (r->nalerts == REPLICA_ALERTS)
			return;
		r->nalerts++;
	}
	struct replica_alert *x = &r->alerts[i];
	x->id = id;
	x->origin = r->origin;
	const char *sev = replica_str(a, "severity");
	x->severity = strcmp(sev, "critical") == 0 ? 2 : strcmp(sev, "warning") == 0 ? 1 : 0;
	x->acked = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "acknowledged"));
	char msg[300];
	snprintf(msg, sizeof(msg), "%s%s", r->prefix, replica_str(a, "message"));
	replica_copy(x->message, sizeof(x->message), msg);
	r->dirty |= REPLICA_DIRTY_HEADER;
}

const struct replica_alert *
replica_top_alert(const struct replica *r)
{
	const struct replica_alert *best = NULL;
	for (size_t i = 0; i < r->nalerts; i++) {
		const struct replica_alert *a = &r->alerts[i];
		if (best == NULL || (!a->acked && best->acked) ||
		    (a->acked == best->acked && a->severity > best->severity) ||
		    (a->acked == best->acked && a->severity == best->severity && a->id > best->id))
			best = a;
	}
	return best;
}

void
replica_apply(struct replica *r, const cJSON *msg, int64_t now_ms)
{
	replica_apply_from(r, msg, now_ms, 0, NULL);
}

void
replica_apply_from(struct replica *r, const cJSON *msg, int64_t now_ms, int origin, const char *label)
{
	r->origin = origin;
	if (label != NULL && label[0] != '\0')
		snprintf(r->prefix, sizeof(r->prefix), "%.60s/", label);
	else
		r->prefix[0] = '\0';
	r->now_ms = now_ms;
	const char *ev = replica_str(msg, "event");
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(msg, "data");
	if (strcmp(ev, "state") == 0) {
		replica_proc_json(r, data, now_ms);
		return;
	}
	if (strcmp(ev, "logs") == 0) {
		replica_line_json(r, data);
		return;
	}
	if (strcmp(ev, "metrics") == 0) {
		replica_metrics_json(r, data);
		return;
	}
	if (strcmp(ev, "top") == 0) {
		replica_top_json(r, data, now_ms);
		return;
	}
	if (strcmp(ev, "alerts") == 0) {
		replica_alert_json(r, cJSON_GetObjectItemCaseSensitive(data, "alert"));
		return;
	}
	const cJSON *res = cJSON_GetObjectItemCaseSensitive(msg, "result");
	if (!cJSON_IsObject(res))
		return;
	const char *stack = replica_str(res, "stack");
	if (stack[0] != '\0' && r->prefix[0] == '\0') {
		replica_copy(r->stack, sizeof(r->stack), stack);
	} else if (stack[0] != '\0') {
		/* Several engines: "shop@a shop@b", each named once. */
		char item[160];
		snprintf(item, sizeof(item), "%s@%.*s", stack, (int)strlen(r->prefix) - 1, r->prefix);
		if (strstr(r->stack, item) == NULL) {
			size_t len = strlen(r->stack);
			snprintf(r->stack + len, sizeof(r->stack) - len, "%s%s", len ? " " : "", item);
		}
	}
	double pid = replica_num(res, "engine_pid", 0);
	if (pid > 0)
		snprintf(r->engine, sizeof(r->engine), "engine pid %.0f", pid);
	const cJSON *procs = cJSON_GetObjectItemCaseSensitive(res, "processes");
	const cJSON *first = cJSON_GetArrayItem(procs, 0);
	bool history = cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(first, "fine"));
	const cJSON *alerts = cJSON_GetObjectItemCaseSensitive(res, "alerts");
	if (cJSON_IsArray(alerts) && cJSON_IsArray(procs)) {
		/* A snapshot: its engine's active alerts replace what we had from it. */
		size_t k = 0;
		for (size_t i = 0; i < r->nalerts; i++)
			if (r->alerts[i].origin != r->origin)
				r->alerts[k++] = r->alerts[i];
		r->nalerts = k;
		const cJSON *a;
		cJSON_ArrayForEach(a, alerts)
			replica_alert_json(r, a);
	}
	if (cJSON_IsArray(procs) && !history) {
		replica_procs_json(r, procs, now_ms, true);
		replica_host_json(r, cJSON_GetObjectItemCaseSensitive(res, "host"));
	}
	/* A history reply (the detail view asked): its first process. */
	const cJSON *hp = cJSON_GetArrayItem(procs, 0);
	if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(hp, "fine")))
		replica_detail_json(r, hp, now_ms);
	const cJSON *lines = cJSON_GetObjectItemCaseSensitive(res, "lines");
	if (cJSON_IsArray(lines)) {
		/* A backlog: older than anything live, so it goes first. */
		struct replica_line *old = NULL;
		size_t nold = r->nlines;
		if (nold > 0) {
			old = malloc(nold * sizeof(*old));
			if (old == NULL)
				abort();
			for (size_t i = 0; i < nold; i++)
				old[i] = r->lines[(r->line_head + i) % REPLICA_LOG_LINES];
			r->nlines = r->line_head = 0;
		}
		const cJSON *l;
		cJSON_ArrayForEach(l, lines)
			replica_line_json(r, l);
		for (size_t i = 0; i < nold; i++) {
			replica_add_line(r, replica_line_name(r, &old[i]), old[i].ts_ms, old[i].err, old[i].text);
			free(old[i].text);
		}
		free(old);
	}
}

const struct replica_line *
replica_line(const struct replica *r, size_t i)
{
	return i < r->nlines ? &r->lines[(r->line_head + i) % REPLICA_LOG_LINES] : NULL;
}

const char *
replica_line_name(const struct replica *r, const struct replica_line *l)
{
	return l->name < r->nnames ? r->names[l->name] : "?";
}

const char *
replica_key(const struct replica_proc *p)
{
	return p->id[0] != '\0' ? p->id : p->name;
}

const struct replica_proc *
replica_find(const struct replica *r, const char *name)
{
	for (size_t i = 0; i < r->nprocs; i++)
		if (strcmp(r->procs[i].name, name) == 0)
			return &r->procs[i];
	return NULL;
}

float
replica_hist(const struct replica_proc *p, size_t i)
{
	return i < p->nhist ? p->hist[(p->hist_head + i) % REPLICA_HIST] : 0;
}

int64_t
replica_uptime(const struct replica_proc *p, int64_t now_ms)
{
	if (p->uptime_ms < 0)
		return -1;
	return p->uptime_ms + (now_ms - p->uptime_at);
}
