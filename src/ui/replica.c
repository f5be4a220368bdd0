/*
 * replica — owns the process records (updated in place by name, so a view's
 * selection survives), the lines of each process (a ring per process, each
 * text malloc'd and freed when its line is dropped) and the names they
 * carry.
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
	r->held = -1;
}

/* Forgets every line; the sources (names) stay, so indexes held elsewhere stay valid. */
static void
replica_clear_lines(struct replica *r)
{
	for (size_t i = 0; i < r->nsrcs; i++) {
		struct replica_src *s = &r->srcs[i];
		for (size_t k = 0; k < s->n; k++)
			free(s->ring[(s->head + k) % s->cap].text);
		s->n = s->head = s->bytes = 0;
		s->trimmed = false;
	}
	r->nlines = r->nbytes = 0;
}

void
replica_reset(struct replica *r)
{
	replica_clear_lines(r);
	r->nprocs = 0;
	r->nalerts = 0;
	memset(&r->host, 0, sizeof(r->host));
	r->dirty = REPLICA_DIRTY_HEADER | REPLICA_DIRTY_TABLE | REPLICA_DIRTY_LOGS;
}

void
replica_fini(struct replica *r)
{
	replica_reset(r);
	free(r->procs);
	for (size_t i = 0; i < r->nsrcs; i++) {
		free(r->srcs[i].ring);
		free(r->srcs[i].name);
	}
	free(r->srcs);
	memset(r, 0, sizeof(*r));
	r->held = -1;
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
	p->health_probe = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "health_probe"));
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
	o->cpu = replica_num(h, "cpu", -1); /* -1: not known yet */
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
		o->core_cpu[o->ncores++] = cJSON_IsNumber(c) ? c->valuedouble : -1;
	}
	r->dirty |= REPLICA_DIRTY_HEADER;
}

/* ---- lines ---------------------------------------------------------------- */

/* The source named so, or -1. */
static int
replica_src_find(const struct replica *r, const char *name)
{
	for (size_t i = 0; i < r->nsrcs; i++)
		if (strcmp(r->srcs[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* The source named so, made when new; -1 when there are too many to index. */
static int
replica_src_get(struct replica *r, const char *name)
{
	int i = replica_src_find(r, name);
	if (i >= 0)
		return i;
	if (r->nsrcs >= UINT16_MAX)
		return -1;
	if (r->nsrcs == r->capsrcs) {
		size_t cap = r->capsrcs ? r->capsrcs * 2 : 32;
		struct replica_src *p = realloc(r->srcs, cap * sizeof(*p));
		if (p == NULL)
			abort();
		r->srcs = p;
		r->capsrcs = cap;
	}
	struct replica_src *s = &r->srcs[r->nsrcs];
	memset(s, 0, sizeof(*s));
	s->name = strdup(name);
	if (s->name == NULL)
		abort();
	return (int)r->nsrcs++;
}

/* The i-th line of s, 0 = oldest held. */
static struct replica_line *
replica_src_line(const struct replica_src *s, size_t i)
{
	return &s->ring[(s->head + i) % s->cap];
}

/* Makes s's ring hold at least want lines (at most REPLICA_PROC_LINES), oldest first at 0. */
static void
replica_src_grow(struct replica_src *s, size_t want)
{
	if (s->cap >= want)
		return;
	size_t cap = s->cap ? s->cap : 16;
	while (cap < want)
		cap *= 2;
	if (cap > REPLICA_PROC_LINES)
		cap = REPLICA_PROC_LINES;
	struct replica_line *ring = malloc(cap * sizeof(*ring));
	if (ring == NULL)
		abort();
	for (size_t i = 0; i < s->n; i++)
		ring[i] = *replica_src_line(s, i);
	free(s->ring);
	s->ring = ring;
	s->cap = cap;
	s->head = 0;
}

static void
replica_drop_oldest(struct replica *r, struct replica_src *s)
{
	struct replica_line *l = &s->ring[s->head];
	s->bytes -= l->len;
	r->nbytes -= l->len;
	free(l->text);
	s->head = (s->head + 1) % s->cap;
	s->n--;
	r->nlines--;
}

/* Lines held if every source other than the held one is cut to level. */
static size_t
replica_at_level(const struct replica *r, size_t level)
{
	size_t sum = 0;
	for (size_t i = 0; i < r->nsrcs; i++)
		if ((int)i != r->held)
			sum += r->srcs[i].n < level ? r->srcs[i].n : level;
	return sum;
}

/*
 * Keeps the bounds of every source together: the sources that hold the
 * most lines are cut to one level (so a quiet process keeps its lines
 * however much another prints), the held one last; then, while the text is
 * over its bound, the oldest line of the source holding the most bytes.
 */
static void
replica_fit(struct replica *r)
{
	if (r->nlines > REPLICA_LOG_LINES) {
		size_t held_n = r->held >= 0 ? r->srcs[r->held].n : 0;
		size_t budget = REPLICA_LOG_LINES > held_n ? REPLICA_LOG_LINES - held_n : 0;
		/* The highest level at which the others fit: binary search, each step O(sources). */
		size_t lo = 0, hi = REPLICA_PROC_LINES;
		while (lo < hi) {
			size_t mid = lo + (hi - lo + 1) / 2;
			if (replica_at_level(r, mid) <= budget)
				lo = mid;
			else
				hi = mid - 1;
		}
		for (size_t i = 0; i < r->nsrcs; i++) {
			struct replica_src *s = &r->srcs[i];
			if ((int)i == r->held || s->n <= lo)
				continue;
			while (s->n > lo)
				replica_drop_oldest(r, s);
			s->trimmed = true;
		}
		/* Only the held source is left over the bound. */
		while (r->nlines > REPLICA_LOG_LINES && r->held >= 0 && r->srcs[r->held].n > 0) {
			replica_drop_oldest(r, &r->srcs[r->held]);
			r->srcs[r->held].trimmed = true;
		}
	}
	while (r->nbytes > REPLICA_LOG_BYTES) {
		struct replica_src *v = NULL;
		for (size_t i = 0; i < r->nsrcs; i++) {
			struct replica_src *s = &r->srcs[i];
			if (s->n > 0 && (int)i != r->held && (v == NULL || s->bytes > v->bytes))
				v = s;
		}
		if (v == NULL)
			v = r->held >= 0 && r->srcs[r->held].n > 0 ? &r->srcs[r->held] : NULL;
		if (v == NULL)
			break;
		replica_drop_oldest(r, v);
		v->trimmed = true;
	}
}

/* Fills l with a copy of text. */
static void
replica_line_set(struct replica *r, struct replica_line *l, uint16_t src, int64_t ts_ms, uint64_t seq,
    bool err, bool split, const char *text)
{
	size_t len = strlen(text);
	if (len > UINT32_MAX)
		len = UINT32_MAX;
	l->text = strndup(text, len);
	if (l->text == NULL)
		abort();
	l->len = (uint32_t)len;
	l->ts_ms = ts_ms;
	l->seq = seq;
	l->name = src;
	l->err = err;
	l->split = split;
	r->srcs[src].bytes += len;
	r->nbytes += len;
	r->nlines++;
}

/* A live line: the newest of its process. */
static void
replica_push_line(struct replica *r, const char *name, int64_t ts_ms, bool err, bool split, const char *text)
{
	int si = replica_src_get(r, name);
	if (si < 0)
		return;
	struct replica_src *s = &r->srcs[si];
	if (s->n == REPLICA_PROC_LINES)
		replica_drop_oldest(r, s); /* its own bound: not trimmed for others */
	replica_src_grow(s, s->n + 1);
	struct replica_line *l = replica_src_line(s, s->n++);
	replica_line_set(r, l, (uint16_t)si, ts_ms, ++r->lines_total, err, split, text);
	replica_fit(r);
	r->dirty |= REPLICA_DIRTY_LOGS;
}

void
replica_add_line(struct replica *r, const char *name, int64_t ts_ms, bool err, const char *text)
{
	replica_push_line(r, name, ts_ms, err, false, text);
}

static void
replica_line_json(struct replica *r, const cJSON *o)
{
	char name[160];
	snprintf(name, sizeof(name), "%s%s", r->prefix, replica_str(o, "name"));
	replica_push_line(r, name, (int64_t)replica_num(o, "ts", 0), strcmp(replica_str(o, "stream"), "err") == 0,
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "split")), replica_str(o, "text"));
}

/* True when the backlog's line o is the held line l. */
static bool
replica_same_line(const cJSON *o, const struct replica_line *l)
{
	return (int64_t)replica_num(o, "ts", 0) == l->ts_ms &&
	    (strcmp(replica_str(o, "stream"), "err") == 0) == l->err && strcmp(replica_str(o, "text"), l->text) == 0;
}

/*
 * Puts a backlog of source si (lines[0..n), oldest first, as the engine
 * had them when it answered) before the lines held: those the engine sent
 * that we also got live are found by the newest held line (the live events
 * of lines it had were sent before its answer), so none is held twice.
 */
static void
replica_src_backlog(struct replica *r, int si, const cJSON *const *lines, size_t n)
{
	struct replica_src *s = &r->srcs[si];
	size_t take = n; /* the backlog's first `take` lines are older than anything held */
	if (s->n > 0) {
		const struct replica_line *newest = replica_src_line(s, s->n - 1), *oldest = replica_src_line(s, 0);
		size_t j = n;
		while (j-- > 0 && !replica_same_line(lines[j], newest))
			;
		if (j < n && j + 1 >= s->n && replica_same_line(lines[j + 1 - s->n], oldest)) {
			take = j + 1 - s->n;
		} else if (j < n && j + 1 < s->n) {
			take = 0; /* we hold more than it sent */
		} else {
			/* No alignment (live lines were lost): what is older than the oldest held. */
			take = 0;
			while (take < n && (int64_t)replica_num(lines[take], "ts", 0) < oldest->ts_ms)
				take++;
		}
	}
	size_t room = REPLICA_PROC_LINES - s->n;
	size_t from = take > room ? take - room : 0;
	if (from < take) {
		/* A new ring: the backlog's part, then what was held. */
		size_t add = take - from;
		struct replica_line *ring = malloc((s->n + add) * sizeof(*ring));
		if (ring == NULL)
			abort();
		for (size_t k = 0; k < s->n; k++)
			ring[add + k] = *replica_src_line(s, k);
		for (size_t k = 0; k < add; k++) {
			const cJSON *o = lines[from + k];
			replica_line_set(r, &ring[k], (uint16_t)si, (int64_t)replica_num(o, "ts", 0), 0,
			    strcmp(replica_str(o, "stream"), "err") == 0,
			    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "split")), replica_str(o, "text"));
		}
		free(s->ring);
		s->ring = ring;
		s->n += add;
		s->cap = s->n;
		s->head = 0;
	}
	s->trimmed = false;
	r->dirty |= REPLICA_DIRTY_LOGS;
}

/* A logs reply: its lines, grouped by process, go before what each process's ring holds. */
static void
replica_backlog_json(struct replica *r, const cJSON *lines)
{
	size_t n = (size_t)cJSON_GetArraySize(lines);
	if (n == 0)
		return;
	const cJSON **items = malloc(n * sizeof(*items));
	const cJSON **sorted = malloc(n * sizeof(*sorted));
	int *src = malloc(n * sizeof(*src));
	if (items == NULL || sorted == NULL || src == NULL)
		abort();
	/* Each line's source (the engine sends them a process at a time: one lookup a run). */
	size_t k = 0;
	int last = -1;
	const char *last_name = NULL;
	const cJSON *o;
	cJSON_ArrayForEach(o, lines) {
		const char *raw = replica_str(o, "name");
		if (last_name == NULL || strcmp(raw, last_name) != 0) {
			char name[160];
			snprintf(name, sizeof(name), "%s%s", r->prefix, raw);
			last = replica_src_get(r, name);
			last_name = raw;
		}
		if (last < 0)
			continue;
		items[k] = o;
		src[k++] = last;
	}
	/* Grouped by source, in order within each (a counting sort). */
	size_t *start = calloc(r->nsrcs + 1, sizeof(*start));
	if (start == NULL)
		abort();
	for (size_t i = 0; i < k; i++)
		start[src[i] + 1]++;
	for (size_t i = 0; i < r->nsrcs; i++)
		start[i + 1] += start[i];
	size_t *fill = calloc(r->nsrcs, sizeof(*fill));
	if (fill == NULL)
		abort();
	for (size_t i = 0; i < k; i++)
		sorted[start[src[i]] + fill[src[i]]++] = items[i];
	for (size_t i = 0; i < r->nsrcs; i++)
		if (start[i + 1] > start[i])
			replica_src_backlog(r, (int)i, sorted + start[i], start[i + 1] - start[i]);
	replica_fit(r);
	free(fill);
	free(start);
	free(src);
	free(sorted);
	free(items);
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

/* The words in the order the header counts them; each one's letters (proc(5), every kernel's) beside it. */
const char *const replica_kstates[] = {"running", "disk-wait", "zombie", "stopped", "traced", "parked",
	"sleeping", "idle", "dead", "waking", "wakekill", NULL};
static const char *const replica_kletters[] = {"R", "D", "Z", "T", "t", "P",
	"S", "I", "Xx", "W" /* 2.6.33 to 3.13 */, "K" /* 2.6.33 to 3.13 */};
_Static_assert(sizeof(replica_kletters) / sizeof(replica_kletters[0]) + 1 ==
    sizeof(replica_kstates) / sizeof(replica_kstates[0]), "a word for each letter string");

/* The kernel's state letter as a word of replica_kstates, or "?". */
static const char *
replica_kstate(char c)
{
	for (size_t i = 0; c != '\0' && replica_kstates[i] != NULL; i++)
		if (strchr(replica_kletters[i], c) != NULL)
			return replica_kstates[i];
	return "?";
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

/* How much time a series covers: its last point's time less its first's (ms; 0 for under two). */
static int64_t
replica_span(const cJSON *rows)
{
	int n = cJSON_GetArraySize(rows);
	if (n < 2)
		return 0;
	const cJSON *t0 = cJSON_GetArrayItem(cJSON_GetArrayItem(rows, 0), 0);
	const cJSON *t1 = cJSON_GetArrayItem(cJSON_GetArrayItem(rows, n - 1), 0);
	if (!cJSON_IsNumber(t0) || !cJSON_IsNumber(t1) || t1->valuedouble < t0->valuedouble)
		return 0;
	return (int64_t)(t1->valuedouble - t0->valuedouble);
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
	d->span_ms = replica_span(cJSON_GetObjectItemCaseSensitive(fine, "tree_cpu"));
	d->span_day_ms = replica_span(cJSON_GetObjectItemCaseSensitive(coarse, "tree_cpu"));
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
	d->ntree = 0;
	const cJSON *m;
	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(p, "tree")) {
		if (d->ntree == MODEL_TREE_MAX)
			break;
		struct proc_member *t = &d->tree[d->ntree++];
		t->pid = (pid_t)replica_num(m, "pid", 0);
		t->ppid = (pid_t)replica_num(m, "ppid", 0);
		replica_copy(t->comm, sizeof(t->comm), replica_str(m, "name"));
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
	if (cJSON_IsArray(lines))
		replica_backlog_json(r, lines); /* older than anything live */
}

/* ---- reading lines --------------------------------------------------------- */

void
replica_walk_init(struct replica_walk *w, const struct replica *r, const char *name,
    bool (*keep)(const char *name, void *arg), void *arg)
{
	memset(w, 0, sizeof(*w));
	w->r = r;
	w->left = &w->one;
	if (name != NULL) {
		int i = replica_src_find(r, name);
		if (i >= 0) {
			w->base = (uint16_t)i;
			w->one = r->srcs[i].n;
			w->nleft = 1;
		}
		return;
	}
	if (r->nsrcs == 0)
		return;
	w->left = malloc(r->nsrcs * sizeof(*w->left));
	if (w->left == NULL)
		abort();
	w->nleft = r->nsrcs;
	for (size_t i = 0; i < r->nsrcs; i++) {
		const struct replica_src *s = &r->srcs[i];
		w->left[i] = s->n > 0 && (keep == NULL || keep(s->name, arg)) ? s->n : 0;
	}
}

const struct replica_line *
replica_walk_next(struct replica_walk *w)
{
	/* The newest of each source's next line: by time, then arrival, then source. */
	const struct replica_line *best = NULL;
	size_t bi = 0;
	for (size_t i = 0; i < w->nleft; i++) {
		if (w->left[i] == 0)
			continue;
		const struct replica_line *l = replica_src_line(&w->r->srcs[w->base + i], w->left[i] - 1);
		if (best == NULL || l->ts_ms > best->ts_ms || (l->ts_ms == best->ts_ms && l->seq >= best->seq)) {
			best = l;
			bi = i;
		}
	}
	if (best != NULL)
		w->left[bi]--;
	return best;
}

void
replica_walk_fini(struct replica_walk *w)
{
	if (w->left != &w->one)
		free(w->left);
	w->left = &w->one;
	w->nleft = 0;
}

size_t
replica_nlines(const struct replica *r, const char *name)
{
	if (name == NULL)
		return r->nlines;
	int i = replica_src_find(r, name);
	return i >= 0 ? r->srcs[i].n : 0;
}

bool
replica_hold(struct replica *r, const char *name)
{
	/* Made now when it has printed nothing yet, so its first lines are held too. */
	r->held = name != NULL ? replica_src_get(r, name) : -1;
	return r->held >= 0 && r->srcs[r->held].trimmed;
}

const char *
replica_line_name(const struct replica *r, const struct replica_line *l)
{
	return l->name < r->nsrcs ? r->srcs[l->name].name : "?";
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
