/*
 * view — draws; owns only the compiled regexes in struct view. Every
 * region is laid out from the window's size at each draw, so a resize
 * reflows everything at once. Text from processes goes through view_clean
 * before it reaches curses: no escape sequence of a process ever reaches
 * the terminal.
 */
#include "ui/view.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "core/strutil.h"
#include "core/units.h"
#include "ui/theme.h"

#define VIEW_ROWS_MAX 16384 /* rows the table considers (vigil top: processes on the host) */

void
view_init(struct view *v)
{
	memset(v, 0, sizeof(*v));
	v->follow = true;
	v->logmode = VIEW_LOG_SELECTED;
	v->title = "vigil";
}

void
view_fini(struct view *v)
{
	if (v->has_name_re)
		regfree(&v->name_re);
	if (v->has_search)
		regfree(&v->search_re);
	v->has_name_re = v->has_search = false;
}

void
view_say(struct view *v, int64_t now_ms, bool bad, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->message, sizeof(v->message), fmt, ap);
	va_end(ap);
	v->message_until = now_ms + 4000;
	v->message_bad = bad;
}

/* ---- text ----------------------------------------------------------------- */

size_t
view_clean(const char *in, char *out, size_t size)
{
	if (size == 0)
		return 0;
	/* A progress line: its last redraw, as the line output shows it. */
	const char *start;
	str_cr_tail(in, strlen(in), &start);
	size_t n = 0;
	mbstate_t ps;
	memset(&ps, 0, sizeof(ps));
	for (const unsigned char *p = (const unsigned char *)start; *p != '\0' && n + 1 < size;) {
		if (*p == 0x1b) {
			/* ESC [ … final byte (CSI), ESC ] … BEL or ESC \ (OSC), or ESC and one byte. */
			p++;
			if (*p == '[') {
				p++;
				while (*p != '\0' && !(*p >= 0x40 && *p <= 0x7e))
					p++;
				if (*p != '\0')
					p++;
			} else if (*p == ']') {
				while (*p != '\0' && *p != 0x07 && !(p[0] == 0x1b && p[1] == '\\'))
					p++;
				if (*p == 0x07)
					p++;
				else if (*p == 0x1b)
					p += 2;
			} else if (*p != '\0') {
				p++;
			}
			continue;
		}
		if (*p == '\t') {
			out[n++] = ' ';
			p++;
			continue;
		}
		if (*p == '\r') {
			p++;
			continue;
		}
		if (*p < 0x20 || *p == 0x7f) {
			out[n++] = '?';
			p++;
			continue;
		}
		if (*p < 0x80) {
			out[n++] = (char)*p++;
			continue;
		}
		/* A multibyte character: kept whole when valid and printable, else '?'. */
		wchar_t wc;
		size_t k = mbrtowc(&wc, (const char *)p, MB_CUR_MAX, &ps);
		if (k == (size_t)-1 || k == (size_t)-2 || k == 0 || wcwidth(wc) < 0) {
			memset(&ps, 0, sizeof(ps));
			out[n++] = '?';
			p++;
			continue;
		}
		if (n + k >= size)
			break;
		memcpy(out + n, p, k);
		n += k;
		p += k;
	}
	out[n] = '\0';
	return n;
}

/* Columns text takes on screen. */
static int
view_width(const char *s)
{
	int w = 0;
	mbstate_t ps;
	memset(&ps, 0, sizeof(ps));
	for (const char *p = s; *p != '\0';) {
		if ((unsigned char)*p < 0x80) {
			w++;
			p++;
			continue;
		}
		wchar_t wc;
		size_t k = mbrtowc(&wc, p, MB_CUR_MAX, &ps);
		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			memset(&ps, 0, sizeof(ps));
			w++;
			p++;
			continue;
		}
		int cw = wcwidth(wc);
		w += cw > 0 ? cw : 0;
		p += k;
	}
	return w;
}

/* Puts s at (y, x), cut to at most max columns; returns the columns used. */
static int
view_put(WINDOW *w, int y, int x, int max, int attr, const char *s)
{
	if (max <= 0)
		return 0;
	wattr_on(w, (attr_t)attr, NULL);
	int used = 0;
	mbstate_t ps;
	memset(&ps, 0, sizeof(ps));
	wmove(w, y, x);
	for (const char *p = s; *p != '\0';) {
		size_t k = 1;
		int cw = 1;
		if ((unsigned char)*p >= 0x80) {
			wchar_t wc;
			k = mbrtowc(&wc, p, MB_CUR_MAX, &ps);
			if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
				memset(&ps, 0, sizeof(ps));
				k = 1;
			} else {
				cw = wcwidth(wc);
				if (cw < 0)
					cw = 1;
			}
		}
		if (used + cw > max)
			break;
		waddnstr(w, p, (int)k);
		used += cw;
		p += k;
	}
	wattr_off(w, (attr_t)attr, NULL);
	return used;
}

/* Puts a formatted string. */
static int __attribute__((format(printf, 6, 7)))
view_putf(WINDOW *w, int y, int x, int max, int attr, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return view_put(w, y, x, max, attr, buf);
}

/* Pads s on the left to width (right-aligned numbers). */
static void
view_rpad(char *out, size_t size, const char *s, int width)
{
	int w = view_width(s);
	int pad = width > w ? width - w : 0;
	snprintf(out, size, "%*s%s", pad, "", s);
}

/*
 * A name cut to width columns: whole when it fits, else its head and tail
 * around an ellipsis ("…", "~" in ASCII), so names that differ only at the
 * end (worker-payments-eu-west-1 and -2, replicas :1 and :2) stay apart.
 * Names that are not plain ASCII (vigil top's commands) are left to view_put.
 */
static const char *
view_fit_name(const struct view *v, const char *name, int width, char *out, size_t size)
{
	size_t len = strlen(name);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)name[i] >= 0x80)
			return name;
	if (width < 3 || len <= (size_t)width)
		return name;
	size_t keep = (size_t)width - 1, tail = keep / 2, head = keep - tail;
	snprintf(out, size, "%.*s%s%s", (int)head, name, v->utf8 ? "…" : "~", name + len - tail);
	return out;
}

/* Columns the name column wants: the longest name's, within cap (and at least 4). */
static int
view_name_width(const struct replica *r, int cap)
{
	int w = 4;
	for (size_t i = 0; i < r->nprocs; i++) {
		int l = view_width(r->procs[i].name);
		if (l > w)
			w = l;
	}
	return w < cap ? w : cap;
}

/* ---- pieces ------------------------------------------------------------- */

/* A horizontal rule of n columns: box drawing in UTF-8, '-' otherwise (never the terminal's ACS mode). */
static void
view_hline(WINDOW *w, int y, int x, int n, const struct view *v, int attr)
{
	for (int i = 0; i < n; i++)
		view_put(w, y, x + i, 1, attr, v->utf8 ? "─" : "-");
}

static const char *const view_spark_utf8[] = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
static const char view_spark_ascii[] = " .:-=+*#%";

/* One sparkline cell for v of max. */
static const char *
view_spark_cell(const struct view *v, double val, double max, char *buf)
{
	int lvl = max > 0 ? (int)(val / max * 8 + 0.5) : 0;
	if (lvl < 0)
		lvl = 0;
	if (lvl > 8)
		lvl = 8;
	if (val > 0 && lvl == 0)
		lvl = 1; /* something, however little, shows */
	if (v->utf8)
		return view_spark_utf8[lvl];
	buf[0] = view_spark_ascii[lvl];
	buf[1] = '\0';
	return buf;
}

/* A meter: "[|||||     ]" of width cols filled to frac. */
static void
view_meter(WINDOW *w, int y, int x, int cols, double frac)
{
	if (cols < 3)
		return;
	if (frac < 0)
		frac = 0;
	if (frac > 1)
		frac = 1;
	int inner = cols - 2;
	int fill = (int)(frac * inner + 0.5);
	mvwaddch(w, y, x, '[');
	wattr_on(w, (attr_t)theme_attr(THEME_BAR), NULL);
	for (int i = 0; i < fill; i++)
		mvwaddch(w, y, x + 1 + i, '|');
	wattr_off(w, (attr_t)theme_attr(THEME_BAR), NULL);
	for (int i = fill; i < inner; i++)
		mvwaddch(w, y, x + 1 + i, ' ');
	mvwaddch(w, y, x + cols - 1, ']');
}

/* ---- rows: filter and sort ---------------------------------------------- */

static bool
view_has_tag(const char *tags, const char *tag)
{
	size_t n = strlen(tag);
	for (const char *p = tags; *p != '\0';) {
		const char *c = strchr(p, ',');
		size_t len = c != NULL ? (size_t)(c - p) : strlen(p);
		if (len == n && strncmp(p, tag, n) == 0)
			return true;
		if (c == NULL)
			break;
		p = c + 1;
	}
	return false;
}

static bool
view_shown(const struct view *v, const struct replica_proc *p)
{
	if (v->tag[0] != '\0' && !view_has_tag(p->tags, v->tag))
		return false;
	if (v->group[0] != '\0' && strcmp(p->group, v->group) != 0)
		return false;
	if (v->has_name_re && regexec(&v->name_re, p->name, 0, NULL, 0) != 0)
		return false;
	return true;
}

/* For qsort_r-less sorting: the replica and view in statics for the comparison. */
static const struct replica *view_cmp_r;
static const struct view *view_cmp_v;

static int
view_state_rank(const char *s)
{
	/* The troubled first; health names rank among the states. */
	static const char *const order[] = {"fatal", "failed", "unhealthy", "backoff", "exited",
		"starting", "stopping", "running", "healthy", "pending", "completed", "stopped", "disabled"};
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (strcmp(order[i], s) == 0)
			return (int)i;
	return 99;
}

static int
view_cmp(const void *pa, const void *pb)
{
	size_t ia = *(const size_t *)pa, ib = *(const size_t *)pb;
	const struct replica_proc *a = &view_cmp_r->procs[ia], *b = &view_cmp_r->procs[ib];
	const struct view *v = view_cmp_v;
	double x = 0, y = 0;
	int c = 0;
	switch (v->sort) {
	case VIEW_SORT_NAME:
		c = strcmp(a->name, b->name);
		break;
	case VIEW_SORT_STATE:
		c = view_state_rank(a->state) - view_state_rank(b->state);
		break;
	case VIEW_SORT_PID:
		x = a->pid, y = b->pid;
		break;
	case VIEW_SORT_CPU:
		x = a->has_metrics ? (v->own ? a->m.cpu : a->m.tree_cpu) : -1;
		y = b->has_metrics ? (v->own ? b->m.cpu : b->m.tree_cpu) : -1;
		break;
	case VIEW_SORT_MEM:
		x = a->has_metrics ? (double)(v->own ? a->m.rss : a->m.tree_rss) : -1;
		y = b->has_metrics ? (double)(v->own ? b->m.rss : b->m.tree_rss) : -1;
		break;
	case VIEW_SORT_RESTARTS:
		x = a->restarts, y = b->restarts;
		break;
	case VIEW_SORT_UPTIME:
		x = (double)a->uptime_ms, y = (double)b->uptime_ms;
		break;
	case VIEW_SORT_HEALTH:
		c = view_state_rank(a->health) - view_state_rank(b->health);
		if (c == 0)
			c = strcmp(a->health, b->health);
		break;
	case VIEW_SORT_GROUP:
		c = strcmp(a->group, b->group);
		break;
	case VIEW_SORT_TAGS:
		c = strcmp(a->tags, b->tags);
		break;
	case VIEW_SORT_THREADS:
		x = a->has_metrics ? a->m.threads : -1;
		y = b->has_metrics ? b->m.threads : -1;
		break;
	default:
		break;
	}
	if (c == 0)
		c = (x > y) - (x < y);
	if (v->desc)
		c = -c;
	/* Ties keep the engine's order (dependency order, replicas together). */
	return c != 0 ? c : (ia > ib) - (ia < ib);
}

/* Depth of each row in tree order (host mode), by position in the last view_rows. */
static unsigned char view_depth[VIEW_ROWS_MAX];

struct view_pidpos {
	pid_t pid;
	size_t pos;
};

static int
view_pidpos_cmp(const void *a, const void *b)
{
	pid_t x = ((const struct view_pidpos *)a)->pid, y = ((const struct view_pidpos *)b)->pid;
	return (x > y) - (x < y);
}

/*
 * Host mode's tree: rows reordered parent first, children under it (in the
 * sort's order), with depths. O(n log n): parents found by binary search,
 * children grouped by a counting sort, then an explicit-stack walk.
 */
static size_t
view_tree(const struct replica *r, size_t *rows, size_t n)
{
	static struct view_pidpos byp[VIEW_ROWS_MAX];
	static size_t parent[VIEW_ROWS_MAX], first[VIEW_ROWS_MAX + 1], kids[VIEW_ROWS_MAX],
	    fill[VIEW_ROWS_MAX + 1], tmp[VIEW_ROWS_MAX], stack[VIEW_ROWS_MAX];
	static unsigned char sdepth[VIEW_ROWS_MAX];
	for (size_t i = 0; i < n; i++)
		byp[i] = (struct view_pidpos){r->procs[rows[i]].pid, i};
	qsort(byp, n, sizeof(*byp), view_pidpos_cmp);
	memset(first, 0, (n + 1) * sizeof(*first));
	for (size_t i = 0; i < n; i++) {
		struct view_pidpos key = {r->procs[rows[i]].ppid, 0};
		const struct view_pidpos *hit = key.pid > 0 ?
		    bsearch(&key, byp, n, sizeof(*byp), view_pidpos_cmp) : NULL;
		parent[i] = hit != NULL && hit->pos != i ? hit->pos : SIZE_MAX;
		if (parent[i] != SIZE_MAX)
			first[parent[i] + 1]++;
	}
	for (size_t i = 0; i < n; i++)
		first[i + 1] += first[i];
	memcpy(fill, first, (n + 1) * sizeof(*fill));
	for (size_t i = 0; i < n; i++)
		if (parent[i] != SIZE_MAX)
			kids[fill[parent[i]]++] = i;
	size_t out = 0;
	for (size_t root = 0; root < n; root++) {
		if (parent[root] != SIZE_MAX)
			continue;
		size_t sp = 0;
		stack[sp] = root;
		sdepth[sp++] = 0;
		while (sp > 0 && out < n) {
			sp--;
			size_t k = stack[sp];
			unsigned char d = sdepth[sp];
			view_depth[out] = d;
			tmp[out++] = rows[k];
			for (size_t c = first[k + 1]; c-- > first[k] && sp < VIEW_ROWS_MAX;) {
				stack[sp] = kids[c];
				sdepth[sp++] = d < 40 ? (unsigned char)(d + 1) : d;
			}
		}
	}
	/* A ppid cycle (not on a real host) leaves rows unvisited: they follow, flat. */
	if (out < n) {
		static bool seen[VIEW_ROWS_MAX];
		memset(seen, 0, n * sizeof(*seen));
		for (size_t i = 0; i < out; i++)
			for (size_t j = 0; j < n; j++)
				if (rows[j] == tmp[i]) {
					seen[j] = true;
					break;
				}
		for (size_t j = 0; j < n && out < n; j++)
			if (!seen[j]) {
				view_depth[out] = 0;
				tmp[out++] = rows[j];
			}
	}
	memcpy(rows, tmp, out * sizeof(*rows));
	return out;
}

/*
 * Replicas stay together under any sort: each set moves to where its first
 * member sorted, the others right after it in the sort's order.
 */
static void
view_group_replicas(const struct replica *r, size_t *rows, size_t n)
{
	static size_t tmp[VIEW_ROWS_MAX];
	static bool used[VIEW_ROWS_MAX];
	memset(used, 0, n * sizeof(*used));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (used[i])
			continue;
		const struct replica_proc *p = &r->procs[rows[i]];
		for (size_t j = i; j < n; j++) {
			const struct replica_proc *q = &r->procs[rows[j]];
			if (!used[j] && q->origin == p->origin && p->process[0] != '\0' &&
			    strcmp(q->process, p->process) == 0) {
				used[j] = true;
				tmp[k++] = rows[j];
			}
		}
		if (!used[i]) {
			used[i] = true;
			tmp[k++] = rows[i];
		}
	}
	memcpy(rows, tmp, k * sizeof(*rows));
}

size_t
view_rows(const struct replica *r, const struct view *v, size_t *out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nprocs && n < cap; i++)
		if (view_shown(v, &r->procs[i]))
			out[n++] = i;
	if (v->sort != VIEW_SORT_NONE && n > 1) {
		view_cmp_r = r;
		view_cmp_v = v;
		qsort(out, n, sizeof(*out), view_cmp);
	}
	if (r->host_mode && v->tree && n > 1)
		n = view_tree(r, out, n);
	if (!r->host_mode && v->sort != VIEW_SORT_NONE && n > 2)
		view_group_replicas(r, out, n);
	return n;
}

/* Index (in rows) of the selected name; the first row when it is not shown. */
static size_t
view_sel_index(const struct replica *r, struct view *v, const size_t *rows, size_t n)
{
	/* vigil top before any move: the cursor stays on the first row, as in top. */
	if (r->host_mode && !v->picked) {
		if (n > 0)
			snprintf(v->selected, sizeof(v->selected), "%s", replica_key(&r->procs[rows[0]]));
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(replica_key(&r->procs[rows[i]]), v->selected) == 0)
			return i;
	if (n > 0)
		snprintf(v->selected, sizeof(v->selected), "%s", replica_key(&r->procs[rows[0]]));
	return 0;
}

void
view_move(const struct replica *r, struct view *v, int delta)
{
	static size_t rows[VIEW_ROWS_MAX];
	size_t n = view_rows(r, v, rows, VIEW_ROWS_MAX);
	if (n == 0)
		return;
	long i = (long)view_sel_index(r, v, rows, n);
	if (delta == INT_MIN)
		i = 0;
	else if (delta == INT_MAX)
		i = (long)n - 1;
	else
		i += delta;
	v->picked = true;
	if (i < 0)
		i = 0;
	if (i >= (long)n)
		i = (long)n - 1;
	snprintf(v->selected, sizeof(v->selected), "%s", replica_key(&r->procs[rows[i]]));
}

const struct replica_proc *
view_selected(const struct replica *r, struct view *v)
{
	static size_t rows[VIEW_ROWS_MAX];
	size_t n = view_rows(r, v, rows, VIEW_ROWS_MAX);
	if (n == 0)
		return NULL;
	return &r->procs[rows[view_sel_index(r, v, rows, n)]];
}

static bool
view_compile(regex_t *re, bool *has, const char *src, char *store, size_t store_size)
{
	if (src[0] == '\0') {
		if (*has)
			regfree(re);
		*has = false;
		store[0] = '\0';
		return true;
	}
	regex_t n;
	if (regcomp(&n, src, REG_EXTENDED | REG_ICASE) != 0)
		return false;
	if (*has)
		regfree(re);
	*re = n;
	*has = true;
	snprintf(store, store_size, "%s", src);
	return true;
}

bool
view_set_name_filter(struct view *v, const char *src)
{
	return view_compile(&v->name_re, &v->has_name_re, src, v->name_src, sizeof(v->name_src));
}

bool
view_set_search(struct view *v, const char *src)
{
	return view_compile(&v->search_re, &v->has_search, src, v->search_src, sizeof(v->search_src));
}

/* ---- the log pane's lines ------------------------------------------------ */

/* All processes' pane: the table's filters apply to the merged log too. */
static bool
view_src_shown(const char *name, void *arg)
{
	const struct replica *r = ((const void *const *)arg)[0];
	const struct view *v = ((const void *const *)arg)[1];
	const struct replica_proc *p = replica_find(r, name);
	return p == NULL || view_shown(v, p);
}

/* Starts a walk over the pane's lines, newest first: the selected process's (sel), or all shown. */
static void
view_walk_init(struct replica_walk *w, const struct replica *r, const struct view *v, const char *sel,
    const void *ctx[2])
{
	ctx[0] = r;
	ctx[1] = v;
	bool filtered = v->tag[0] != '\0' || v->group[0] != '\0' || v->has_name_re;
	if (v->logmode == VIEW_LOG_ALL)
		replica_walk_init(w, r, NULL, filtered ? view_src_shown : NULL, (void *)ctx);
	else
		replica_walk_init(w, r, sel != NULL ? sel : "", NULL, NULL);
}

/* The pane's process (the selection), or NULL with none. */
static const char *
view_log_sel(const struct replica *r, struct view *v)
{
	const struct replica_proc *sp = view_selected(r, v);
	return sp != NULL ? sp->name : NULL;
}

/* Makes l the bottom line the pane stays on. */
static void
view_log_pin(struct view *v, const struct replica_line *l)
{
	v->log_at.set = l != NULL;
	if (l == NULL)
		return;
	v->log_at.text = (uintptr_t)l->text;
	v->log_at.ts_ms = l->ts_ms;
	v->log_at.seq = l->seq;
	v->log_at.name = l->name;
}

/*
 * log_back found again from the pinned line: its place counted from the
 * newest line of the pane now. A line no longer held (dropped to make
 * room, or not in this pane) gives the place of the first line no newer
 * than it, in the walk's order (time, then arrival); past the oldest, the
 * draw clamps.
 */
static void
view_log_settle(const struct replica *r, struct view *v, const char *sel)
{
	if (v->follow || !v->log_at.set)
		return;
	struct replica_walk w;
	const void *ctx[2];
	view_walk_init(&w, r, v, sel, ctx);
	size_t k = 0, at = SIZE_MAX;
	const struct replica_line *l;
	for (; (l = replica_walk_next(&w)) != NULL; k++) {
		if ((uintptr_t)l->text == v->log_at.text && l->ts_ms == v->log_at.ts_ms &&
		    l->seq == v->log_at.seq && l->name == v->log_at.name) {
			at = k;
			break;
		}
		bool newer = l->ts_ms > v->log_at.ts_ms || (l->ts_ms == v->log_at.ts_ms && l->seq > v->log_at.seq);
		if (newer)
			continue;
		if (at == SIZE_MAX)
			at = k;
		if (l->ts_ms < v->log_at.ts_ms || l->seq < v->log_at.seq)
			break; /* older: the pinned line, if held, came before */
	}
	replica_walk_fini(&w);
	v->log_back = at != SIZE_MAX ? at : k;
}

/*
 * The k-th line of the pane from the newest (0 = newest). Past the oldest:
 * the oldest (NULL when the pane has none), with *past set and *total the
 * pane's count. The walk stops at the k-th line.
 */
static const struct replica_line *
view_log_nth(const struct replica *r, const struct view *v, const char *sel, size_t k, bool *past,
    size_t *total)
{
	struct replica_walk w;
	const void *ctx[2];
	view_walk_init(&w, r, v, sel, ctx);
	const struct replica_line *l, *last = NULL;
	size_t i = 0;
	for (; (l = replica_walk_next(&w)) != NULL; i++) {
		last = l;
		if (i == k)
			break;
	}
	replica_walk_fini(&w);
	*past = l == NULL;
	*total = i;
	return last;
}

void
view_scroll_logs(const struct replica *r, struct view *v, long delta)
{
	const char *sel = view_log_sel(r, v);
	view_log_settle(r, v, sel);
	long back = v->follow ? 0 : (long)v->log_back;
	back += delta;
	if (back <= 0) {
		view_follow(r, v, true);
		return;
	}
	bool past;
	size_t total;
	const struct replica_line *l = view_log_nth(r, v, sel, (size_t)back, &past, &total);
	if (past)
		back = (long)total - 1; /* the oldest line held; the draw fills the pane above it */
	if (back <= 0) {
		view_follow(r, v, true);
		return;
	}
	v->follow = false;
	v->log_back = (size_t)back;
	view_log_pin(v, l);
}

void
view_follow(const struct replica *r, struct view *v, bool on)
{
	v->follow = on;
	v->log_back = 0;
	v->log_at.set = false;
	if (!on) {
		bool past;
		size_t total;
		view_log_pin(v, view_log_nth(r, v, view_log_sel(r, v), 0, &past, &total));
	}
}

bool
view_search_next(const struct replica *r, struct view *v, int dir)
{
	if (!v->has_search)
		return false;
	const char *sel = view_log_sel(r, v);
	if (v->logmode == VIEW_LOG_SELECTED && sel == NULL)
		return false;
	view_log_settle(r, v, sel);
	/*
	 * Shown lines, newest first: index k = from is the bottom line now.
	 * Following, the bottom line itself is the first candidate of n.
	 */
	size_t k = 0;
	size_t from = v->follow ? 0 : v->log_back;
	char clean[4096];
	struct replica_walk w;
	const void *ctx[2];
	view_walk_init(&w, r, v, sel, ctx);
	const struct replica_line *l, *hit = NULL;
	size_t at = 0;
	for (; (l = replica_walk_next(&w)) != NULL; k++) {
		if (dir < 0 && k >= from)
			break;
		if (dir > 0 && (k < from || (k == from && !v->follow)))
			continue;
		view_clean(l->text, clean, sizeof(clean));
		if (regexec(&v->search_re, clean, 0, NULL, 0) != 0)
			continue;
		/* Older: the first match above; newer: the last one below, the closest. */
		hit = l;
		at = k;
		if (dir > 0)
			break;
	}
	replica_walk_fini(&w);
	if (hit == NULL)
		return false;
	v->follow = false;
	v->log_back = at;
	view_log_pin(v, hit);
	return true;
}

/* Draws one log line at row y; with the search's matches highlighted. */
static void
view_log_line(WINDOW *w, int y, int cols, const struct replica *r, const struct view *v,
    const struct replica_line *l, bool with_name, int name_w)
{
	char ts[16];
	units_fmt_local(l->ts_ms, "%H:%M:%S", ts, sizeof(ts));
	int x = view_put(w, y, 0, cols, theme_attr(THEME_DIM), ts);
	x++;
	if (with_name) {
		const char *name = replica_line_name(r, l);
		char fit[128];
		const char *shown = view_fit_name(v, name, name_w, fit, sizeof(fit));
		view_put(w, y, x, name_w, theme_name_attr(name), shown);
		x += name_w + 1;
	}
	x += view_put(w, y, x, cols - x, l->err ? theme_attr(THEME_BAD) : theme_attr(THEME_DIM),
	    l->err ? "!" : "|");
	x++;
	char clean[4096];
	view_clean(l->text, clean, sizeof(clean));
	if (!v->has_search) {
		view_put(w, y, x, cols - x, 0, clean);
		return;
	}
	/* Text and matches in turn. */
	const char *p = clean;
	regmatch_t m;
	int eflags = 0;
	while (x < cols && *p != '\0' && regexec(&v->search_re, p, 1, &m, eflags) == 0 && m.rm_eo > 0) {
		char part[4096];
		snprintf(part, sizeof(part), "%.*s", (int)m.rm_so, p);
		x += view_put(w, y, x, cols - x, 0, part);
		snprintf(part, sizeof(part), "%.*s", (int)(m.rm_eo - m.rm_so), p + m.rm_so);
		x += view_put(w, y, x, cols - x, theme_attr(THEME_MATCH), part);
		p += m.rm_eo;
		eflags = REG_NOTBOL;
	}
	if (x < cols)
		view_put(w, y, x, cols - x, 0, p);
}

static void
view_logs(WINDOW *w, int y0, int h, int cols, const struct replica *r, struct view *v,
    const struct replica_proc *sel)
{
	if (h <= 0)
		return;
	int lines_h = h - 1;
	const char *selname = sel != NULL ? sel->name : NULL;
	/* The prefix of the merged pane: the longest name, up to a third of the width. */
	int name_w = v->logmode == VIEW_LOG_ALL ? view_name_width(r, cols / 3 > 24 ? cols / 3 : 24) : 0;
	/* Collect the newest shown lines, skipping log_back of them (found again from the pinned line). */
	if (!v->follow)
		view_log_settle(r, v, selname);
	const struct replica_line *shown[512];
	int n = 0;
	size_t skip = v->follow ? 0 : v->log_back;
	size_t total = 0;
	for (int pass = 0; pass < 2; pass++) {
		n = 0;
		total = 0;
		struct replica_walk walk;
		const void *ctx[2];
		view_walk_init(&walk, r, v, selname, ctx);
		const struct replica_line *l;
		while (n < lines_h && n < 512 && (l = replica_walk_next(&walk)) != NULL)
			if (total++ >= skip)
				shown[n++] = l;
		replica_walk_fini(&walk);
		/* Scrolled past the oldest line (dropped, or a shorter pane): the oldest page instead. */
		if (n == lines_h || n == 512 || skip == 0)
			break;
		skip = total > (size_t)lines_h ? total - (size_t)lines_h : 0;
	}
	if (!v->follow && n > 0) {
		v->log_back = skip;
		view_log_pin(v, shown[0]);
	}
	/* The title line: scrolled, how many lines are below the pane. */
	char title[512], where[48];
	const char *what = v->logmode == VIEW_LOG_ALL ? "all processes" : sel != NULL ? sel->name : "-";
	if (v->follow)
		snprintf(where, sizeof(where), " · follow");
	else
		snprintf(where, sizeof(where), " · scrolled, %zu newer", v->log_back);
	snprintf(title, sizeof(title), " logs: %s%s%s%s%s ", what, where, v->has_search ? " · /" : "",
	    v->has_search ? v->search_src : "", v->focus_logs ? " · focus" : "");
	view_hline(w, y0, 0, cols, v, theme_attr(THEME_DIM));
	view_put(w, y0, 2, cols - 4, v->focus_logs ? theme_attr(THEME_TITLE) : 0, title);
	if (lines_h <= 0)
		return;
	if (n == 0 && total == 0) {
		view_put(w, y0 + 1, 1, cols - 2, theme_attr(THEME_DIM),
		    v->logmode == VIEW_LOG_SELECTED && sel == NULL ? "no process selected" : "no output yet");
		return;
	}
	/* Oldest at the top; the newest on the last row once the pane is full. */
	for (int i = 0; i < n; i++)
		view_log_line(w, y0 + 1 + (n - 1 - i), cols, r, v, shown[i], v->logmode == VIEW_LOG_ALL,
		    name_w);
}

/* ---- header, table, footer --------------------------------------------- */

static void
view_header(WINDOW *w, int cols, const struct replica *r, const struct view *v)
{
	int x = view_put(w, 0, 0, cols, theme_attr(THEME_TITLE), v->title);
	x += view_putf(w, 0, x, cols - x, theme_attr(THEME_TITLE), " %s", r->stack[0] ? r->stack : "-");
	if (r->engine[0] != '\0')
		x += view_putf(w, 0, x, cols - x, theme_attr(THEME_DIM), " (%s)", r->engine);
	x += 2;
	/* Counts by state, the troubled ones first. */
	static const char *const order[] = {"fatal", "failed", "backoff", "exited", "starting",
		"stopping", "running", "completed", "pending", "stopped", "disabled"};
	if (r->host_mode) {
		x += view_putf(w, 0, x, cols - x - 10, 0, "%zu processes", r->nprocs);
		x += 2;
	}
	const char *const *states = r->host_mode ? replica_kstates : order;
	size_t nstates = sizeof(order) / sizeof(order[0]);
	if (r->host_mode)
		for (nstates = 0; replica_kstates[nstates] != NULL; nstates++)
			;
	/* Every state counted, so the counts add up: what no word names is "other". */
	size_t counted = 0;
	for (size_t k = 0; k <= nstates; k++) {
		size_t c = 0;
		if (k < nstates) {
			for (size_t i = 0; i < r->nprocs; i++)
				c += strcmp(r->procs[i].state, states[k]) == 0;
			counted += c;
		} else {
			c = r->nprocs - counted;
		}
		if (c == 0)
			continue;
		const char *name = k < nstates ? states[k] : "other";
		x += view_putf(w, 0, x, cols - x - 10, theme_attr(theme_state_role(name)), "%zu %s", c, name);
		x += 2;
	}
	/* The clock, right-aligned. */
	char clock[16];
	units_fmt_local(v->clock_ms > 0 ? v->clock_ms : (int64_t)time(NULL) * 1000, "%H:%M:%S", clock,
	    sizeof(clock));
	if (cols > 10)
		view_put(w, 0, cols - 8, 8, theme_attr(THEME_DIM), clock);

	/* Line 2: host meters. */
	const struct model_host *h = &r->host;
	x = view_put(w, 1, 0, cols, 0, "CPU ");
	int mw = cols >= 120 ? 24 : 14;
	view_meter(w, 1, x, mw, h->cpu > 0 ? h->cpu / 100 : 0);
	x += mw;
	if (h->cpu >= 0)
		x += view_putf(w, 1, x, cols - x, 0, " %5.1f%%  MEM ", h->cpu);
	else
		x += view_put(w, 1, x, cols - x, 0, "     -   MEM "); /* not known yet */
	double mf = h->mem_total > 0 ? (double)(h->mem_total - h->mem_available) / (double)h->mem_total : 0;
	view_meter(w, 1, x, mw, mf);
	x += mw;
	char used[24], total[24];
	units_fmt_mem(h->mem_total - h->mem_available, used, sizeof(used));
	units_fmt_mem(h->mem_total, total, sizeof(total));
	x += view_putf(w, 1, x, cols - x, 0, " %s/%s", used, total);
	if (h->swap_total > 0) {
		char sw[24];
		units_fmt_mem(h->swap_total - h->swap_free, sw, sizeof(sw));
		x += view_putf(w, 1, x, cols - x, theme_attr(THEME_DIM), " swap %s", sw);
	}
	x += view_putf(w, 1, x, cols - x, 0, "  load %.2f %.2f %.2f", h->load[0], h->load[1], h->load[2]);
	/* Per-core usage, one cell each, when there is room. */
	if (h->ncores > 0 && cols - x > h->ncores + 8) {
		x += view_put(w, 1, x, cols - x, theme_attr(THEME_DIM), "  cores ");
		char b[4];
		for (int i = 0; i < h->ncores && x < cols; i++)
			x += view_put(w, 1, x, 1, theme_attr(THEME_BAR),
			    view_spark_cell(v, h->core_cpu[i] > 0 ? h->core_cpu[i] : 0, 100, b));
	}
}

/*
 * The banner line: the connection's state, else the most severe alert,
 * each with the filters in force at its right end; else the filters alone.
 */
static void
view_banner(WINDOW *w, int y, int cols, const struct replica *r, const struct view *v)
{
	char f[512] = "";
	if (v->tag[0] != '\0' || v->group[0] != '\0' || v->has_name_re)
		snprintf(f, sizeof(f), "filter:%s%s%s%s%s%s", v->tag[0] ? " #" : "", v->tag, v->group[0] ? " @" : "",
		    v->group, v->has_name_re ? " /" : "", v->name_src);
	const struct replica_alert *al = replica_top_alert(r);
	if (v->status[0] == '\0' && al == NULL) {
		if (f[0] != '\0')
			view_putf(w, y, 0, cols, theme_attr(THEME_WARN), "%s  (Esc clears)", f);
		return;
	}
	/* The filters take the right end (a third of the line at most); the rest is laid out before them. */
	int fw = f[0] != '\0' ? view_width(f) + 3 : 0;
	if (fw > cols / 3)
		fw = cols / 3;
	int end = cols - fw;
	int attr = theme_attr(THEME_ALERT_WARNING);
	if (v->status[0] == '\0')
		attr = theme_attr(al->severity == 2 ? THEME_ALERT_CRITICAL :
		    al->severity == 1 ? THEME_ALERT_WARNING : THEME_ALERT_INFO);
	wattr_on(w, (attr_t)attr, NULL);
	mvwhline(w, y, 0, ' ', cols);
	wattr_off(w, (attr_t)attr, NULL);
	if (fw > 0)
		view_putf(w, y, end, fw - 1, attr, "%s %s", v->utf8 ? "│" : "|", f);
	if (v->status[0] != '\0') {
		view_putf(w, y, 1, end - 2, attr, "%s", v->status);
		return;
	}
	static const char *const sev[] = {"info", "warning", "CRITICAL"};
	char more[48] = "";
	if (r->nalerts > 1)
		snprintf(more, sizeof(more), "  (+%zu more)", r->nalerts - 1);
	view_putf(w, y, 1, end - 2, attr, "%s %s%s%s%s", v->utf8 ? "▲" : "!", sev[al->severity],
	    al->acked ? " (acknowledged)" : "", ": ", al->message);
	int used = view_width(al->message) + 20;
	if (more[0] != '\0' && used + (int)strlen(more) < end)
		view_put(w, y, end - (int)strlen(more) - 12, (int)strlen(more), attr, more);
	if (!al->acked && end > 12)
		view_put(w, y, end - 10, 9, attr, "a: ack");
}

enum view_col { COL_NAME, COL_STATE, COL_PID, COL_CPU, COL_MEM, COL_RESTARTS, COL_UPTIME,
	COL_HEALTH, COL_SPARK, COL_GROUP, COL_TAGS, COL_THREADS, COL_COUNT };

struct view_colspec {
	const char *head;
	int width;       /* 0 = computed */
	bool right;
	int priority;    /* lower stays longer as the width shrinks */
	enum view_sort sort;
};

static const struct view_colspec view_cols[COL_COUNT] = {
	[COL_NAME] = {"NAME", 0, false, 0, VIEW_SORT_NAME},
	[COL_STATE] = {"STATE", 9, false, 0, VIEW_SORT_STATE},
	[COL_PID] = {"PID", 7, true, 0, VIEW_SORT_PID},
	[COL_CPU] = {"CPU%", 6, true, 0, VIEW_SORT_CPU},
	[COL_MEM] = {"MEM", 7, true, 0, VIEW_SORT_MEM},
	[COL_RESTARTS] = {"RESTARTS", 8, true, 1, VIEW_SORT_RESTARTS},
	[COL_UPTIME] = {"UPTIME", 8, true, 0, VIEW_SORT_UPTIME},
	[COL_HEALTH] = {"HEALTH", 9, false, 2, VIEW_SORT_HEALTH},
	[COL_SPARK] = {"CPU HISTORY", 0, false, 3, VIEW_SORT_NONE},
	[COL_GROUP] = {"GROUP", 10, false, 4, VIEW_SORT_GROUP},
	[COL_TAGS] = {"TAGS", 0, false, 5, VIEW_SORT_TAGS},
	[COL_THREADS] = {"THR", 4, true, 1, VIEW_SORT_THREADS},
};

/* The columns, left to right, of each mode. */
static const enum view_col view_order_stack[] = {COL_NAME, COL_STATE, COL_PID, COL_CPU, COL_MEM,
	COL_RESTARTS, COL_UPTIME, COL_HEALTH, COL_SPARK, COL_GROUP, COL_TAGS};
static const enum view_col view_order_host[] = {COL_PID, COL_NAME, COL_STATE, COL_CPU, COL_MEM,
	COL_THREADS, COL_UPTIME, COL_SPARK};

/*
 * Decides which columns fit and their widths. want: the columns the
 * longest shown name (in vigil top's tree, with its indent), group and
 * tags take.
 */
static void
view_layout_cols(const struct replica *r, int cols, const int want[COL_COUNT], bool on[COL_COUNT],
    int width[COL_COUNT])
{
	bool in_mode[COL_COUNT] = {false};
	const enum view_col *order = r->host_mode ? view_order_host : view_order_stack;
	size_t norder = r->host_mode ? sizeof(view_order_host) / sizeof(view_order_host[0]) :
	    sizeof(view_order_stack) / sizeof(view_order_stack[0]);
	for (size_t i = 0; i < norder; i++)
		in_mode[order[i]] = true;
	for (int c = 0; c < COL_COUNT; c++) {
		on[c] = false;
		width[c] = view_cols[c].width;
		/* A sortable column has room for its head and the sort's arrow. */
		int head = (int)strlen(view_cols[c].head) + 1;
		if (view_cols[c].sort != VIEW_SORT_NONE && width[c] > 0 && width[c] < head)
			width[c] = head;
	}
	/*
	 * The longest name, as long as the columns that stay longest (priority
	 * 0 and 1) still fit beside it; never narrower than 24 (vigil top: 20,
	 * its command names indented in the tree).
	 */
	int cap = cols - 1;
	for (size_t i = 0; i < norder; i++)
		if (order[i] != COL_NAME && view_cols[order[i]].priority <= 1)
			cap -= width[order[i]] + 1;
	int least = r->host_mode ? 20 : 5;
	int name_w = want[COL_NAME] > least ? want[COL_NAME] : least;
	int most = cap > 24 ? cap : 24;
	width[COL_NAME] = name_w < most ? name_w : most;
	width[COL_SPARK] = 12;
	width[COL_TAGS] = 8;
	int used = 0;
	/* Add by priority while they fit (one space between columns). */
	for (int prio = 0; prio <= 5; prio++) {
		for (int c = 0; c < COL_COUNT; c++) {
			if (view_cols[c].priority != prio || !in_mode[c])
				continue;
			if (used + width[c] + 1 <= cols) {
				on[c] = true;
				used += width[c] + 1;
			}
		}
	}
	/* What is left goes to text first (the longest group and tags whole), then the sparkline, then tags. */
	int left = cols - used;
	const enum view_col text[] = {COL_GROUP, COL_TAGS};
	for (size_t i = 0; i < 2; i++) {
		enum view_col c = text[i];
		int more = want[c] - width[c];
		if (on[c] && more > 0 && left > 0) {
			int add = more < left ? more : left;
			width[c] += add;
			left -= add;
		}
	}
	if (on[COL_SPARK] && left > 0) {
		int add = left < 48 ? left : 48;
		width[COL_SPARK] += add;
		left -= add;
	}
	if (on[COL_TAGS] && left > 0)
		width[COL_TAGS] += left;
}

static void
view_cell(WINDOW *w, int y, int x, int width, bool right, int attr, const char *s)
{
	char buf[512];
	if (right) {
		view_rpad(buf, sizeof(buf), s, width);
		view_put(w, y, x, width, attr, buf);
	} else {
		view_put(w, y, x, width, attr, s);
	}
}

/* The table of rows (view_rows' order, computed once per draw by the caller). */
static void
view_table(WINDOW *w, int y0, int h, int cols, const struct replica *r, struct view *v,
    const size_t *rows, size_t n, int64_t now_ms)
{
	bool on[COL_COUNT];
	int width[COL_COUNT];
	/* The longest shown name (vigil top's tree: with its indent, as drawn below), group and tags. */
	int want[COL_COUNT] = {0};
	for (size_t i = 0; i < n; i++) {
		const struct replica_proc *p = &r->procs[rows[i]];
		int d = r->host_mode && v->tree ? view_depth[i] : 0;
		/* A stack's name column is every name's (below), so the name is measured for vigil top only. */
		int l[3] = {r->host_mode ? view_width(p->name) + (d > 0 ? 2 * (d - 1) + 2 : 0) : 0,
			view_width(p->group), view_width(p->tags)};
		const enum view_col c[3] = {COL_NAME, COL_GROUP, COL_TAGS};
		for (int k = 0; k < 3; k++)
			if (l[k] > want[c[k]])
				want[c[k]] = l[k];
	}
	if (!r->host_mode)
		want[COL_NAME] = view_name_width(r, INT_MAX); /* every name's, filtered or not: no jump on a filter */
	view_layout_cols(r, cols, want, on, width);
	/* Header line. */
	wattr_on(w, (attr_t)theme_attr(THEME_COLUMNS), NULL);
	mvwhline(w, y0, 0, ' ', cols);
	wattr_off(w, (attr_t)theme_attr(THEME_COLUMNS), NULL);
	const enum view_col *order = r->host_mode ? view_order_host : view_order_stack;
	size_t norder = r->host_mode ? sizeof(view_order_host) / sizeof(view_order_host[0]) :
	    sizeof(view_order_stack) / sizeof(view_order_stack[0]);
	int x = 0;
	for (size_t oi = 0; oi < norder; oi++) {
		enum view_col c = order[oi];
		if (!on[c])
			continue;
		char head[64];
		const char *mark = "";
		if (v->sort != VIEW_SORT_NONE && view_cols[c].sort == v->sort)
			mark = v->desc ? (v->utf8 ? "▼" : "v") : (v->utf8 ? "▲" : "^");
		snprintf(head, sizeof(head), "%s%s", view_cols[c].head, mark);
		view_cell(w, y0, x, width[c], view_cols[c].right, theme_attr(THEME_COLUMNS), head);
		x += width[c] + 1;
	}
	int body = h - 1;
	if (n == 0) {
		view_put(w, y0 + 1, 1, cols - 2, theme_attr(THEME_DIM),
		    r->nprocs == 0 ? "no processes" : "no process matches the filter (Esc clears it)");
		return;
	}
	size_t sel = view_sel_index(r, v, rows, n);
	/* Keep the selection in view. */
	if (sel < v->top)
		v->top = sel;
	if (body > 0 && sel >= v->top + (size_t)body)
		v->top = sel - (size_t)body + 1;
	if (v->top + (size_t)body > n)
		v->top = n > (size_t)body ? n - (size_t)body : 0;
	for (int row = 0; row < body && v->top + (size_t)row < n; row++) {
		size_t idx = v->top + (size_t)row;
		const struct replica_proc *p = &r->procs[rows[idx]];
		int y = y0 + 1 + row;
		bool selected = idx == sel;
		int base = selected ? theme_attr(THEME_SELECTED) : 0;
		if (selected) {
			wattr_on(w, (attr_t)base, NULL);
			mvwhline(w, y, 0, ' ', cols);
			wattr_off(w, (attr_t)base, NULL);
		}
		x = 0;
		char buf[320], fit[128];
		for (size_t oi = 0; oi < norder; oi++) {
			enum view_col c = order[oi];
			if (!on[c])
				continue;
			int attr = base;
			buf[0] = '\0';
			switch (c) {
			case COL_NAME:
				if (r->host_mode && v->tree && view_depth[idx] > 0)
					snprintf(buf, sizeof(buf), "%*s%s%s", 2 * (view_depth[idx] - 1), "",
					    v->utf8 ? "└ " : "` ", p->name);
				else
					snprintf(buf, sizeof(buf), "%s", view_fit_name(v, p->name, width[c], fit, sizeof(fit)));
				if (!selected)
					attr = r->host_mode ? 0 : theme_name_attr(p->name);
				break;
			case COL_THREADS:
				snprintf(buf, sizeof(buf), "%d", p->m.threads);
				break;
			case COL_STATE:
				snprintf(buf, sizeof(buf), "%s", p->state);
				if (!selected)
					attr = theme_attr(theme_state_role(p->state));
				break;
			case COL_PID:
				snprintf(buf, sizeof(buf), p->pid > 0 ? "%d" : "-", (int)p->pid);
				break;
			case COL_CPU:
				if (p->has_metrics && p->pid > 0)
					snprintf(buf, sizeof(buf), "%.1f", v->own ? p->m.cpu : p->m.tree_cpu);
				else
					snprintf(buf, sizeof(buf), "-");
				break;
			case COL_MEM:
				if (p->has_metrics && p->pid > 0)
					units_fmt_mem(v->own ? p->m.rss : p->m.tree_rss, buf, sizeof(buf));
				else
					snprintf(buf, sizeof(buf), "-");
				break;
			case COL_RESTARTS:
				snprintf(buf, sizeof(buf), "%d", p->restarts);
				if (!selected && p->restarts > 0)
					attr = theme_attr(THEME_WARN);
				break;
			case COL_UPTIME:
				units_fmt_age(replica_uptime(p, now_ms), buf, sizeof(buf));
				break;
			case COL_HEALTH:
				snprintf(buf, sizeof(buf), "%s", p->health_probe ? p->health : "-");
				if (!selected)
					attr = theme_attr(theme_state_role(p->health));
				break;
			case COL_SPARK: {
				/* The newest samples that fit, scaled to 100 % or the highest seen. */
				int cells = width[c];
				size_t first = p->nhist > (size_t)cells ? p->nhist - (size_t)cells : 0;
				double max = 100;
				for (size_t k = first; k < p->nhist; k++)
					if (replica_hist(p, k) > max)
						max = replica_hist(p, k);
				int sx = x + cells - (int)(p->nhist - first);
				char b[4];
				for (size_t k = first; k < p->nhist; k++, sx++)
					view_put(w, y, sx, 1, selected ? base : theme_attr(THEME_BAR),
					    view_spark_cell(v, replica_hist(p, k), max, b));
				x += width[c] + 1;
				continue;
			}
			case COL_GROUP:
				snprintf(buf, sizeof(buf), "%s", p->group[0] ? p->group : "-");
				break;
			case COL_TAGS:
				snprintf(buf, sizeof(buf), "%s", p->tags[0] ? p->tags : "-");
				break;
			default:
				break;
			}
			view_cell(w, y, x, width[c], view_cols[c].right, attr, buf);
			x += width[c] + 1;
		}
	}
}

/* The footer: the prompt, else a recent message, else the keys that apply. */
static void
view_footer(WINDOW *w, int y, int cols, const struct view *v, int64_t now_ms)
{
	if (v->prompt[0] != '\0') {
		int x = view_put(w, y, 0, cols, theme_attr(THEME_TITLE), v->prompt);
		x += view_put(w, y, x + 1, cols - x - 1, 0, v->input);
		if (v->input_mode)
			wmove(w, y, x + 1 < cols ? x + 1 : cols - 1);
		return;
	}
	if (v->message[0] != '\0' && now_ms < v->message_until) {
		view_put(w, y, 0, cols, v->message_bad ? theme_attr(THEME_BAD) : theme_attr(THEME_GOOD),
		    v->message);
		return;
	}
	static const char *const keys[][2] = {
		{"q", "quit"}, {"r", "restart"}, {"s", "stop"}, {"S", "start"}, {"/", "filter"},
		{"t", "tag"}, {"g", "group"}, {"l", "logs"}, {"f", "follow"}, {"Tab", "focus"},
		{"Enter", "details"}, {">", "sort"}, {"?", "help"}, {NULL, NULL},
	};
	static const char *const log_keys[][2] = {
		{"q", "quit"}, {"↑↓", "scroll"}, {"/", "search"}, {"n/N", "next/prev"}, {"f", "follow"},
		{"l", "logs"}, {"Tab", "table"}, {"?", "help"}, {NULL, NULL},
	};
	/* vigil top's own (tui_key): k is SIGTERM there, so moving up is the arrow only. */
	static const char *const top_keys[][2] = {
		{"q", "quit"}, {"↑↓", "move"}, {"k", "SIGTERM"}, {"K", "SIGKILL"}, {"T", "tree"},
		{"/", "filter"}, {"Enter", "details"}, {">", "sort"}, {"F", "reverse"}, {"?", "help"},
		{NULL, NULL},
	};
	const char *const (*set)[2] = v->host ? top_keys : v->focus_logs ? log_keys : keys;
	int x = 0;
	for (size_t i = 0; set[i][0] != NULL && x < cols; i++) {
		const char *k = set[i][0];
		const char *d = set[i][1];
		if (!v->utf8 && strcmp(k, "↑↓") == 0)
			k = v->host ? "Up/Down" : "j/k";
		if (x + view_width(k) + view_width(d) + 2 > cols)
			break;
		x += view_put(w, y, x, cols - x, theme_attr(THEME_KEY), k);
		x += view_putf(w, y, x, cols - x, 0, " %s ", d);
	}
}

/* ---- overlays ----------------------------------------------------------- */

static void
view_box(WINDOW *w, int y, int x, int h, int wd, const struct view *v)
{
	for (int i = 0; i < h; i++)
		mvwhline(w, y + i, x, ' ', wd);
	const char *tl = v->utf8 ? "┌" : "+", *tr = v->utf8 ? "┐" : "+";
	const char *bl = v->utf8 ? "└" : "+", *br = v->utf8 ? "┘" : "+";
	const char *vl = v->utf8 ? "│" : "|";
	view_put(w, y, x, 1, 0, tl);
	view_hline(w, y, x + 1, wd - 2, v, 0);
	view_put(w, y, x + wd - 1, 1, 0, tr);
	view_put(w, y + h - 1, x, 1, 0, bl);
	view_hline(w, y + h - 1, x + 1, wd - 2, v, 0);
	view_put(w, y + h - 1, x + wd - 1, 1, 0, br);
	for (int i = 1; i < h - 1; i++) {
		view_put(w, y + i, x, 1, 0, vl);
		view_put(w, y + i, x + wd - 1, 1, 0, vl);
	}
}

static void
view_help(WINDOW *w, int rows, int cols, const struct view *v)
{
	static const char *const lines[] = {
		"Keys",
		"",
		"  Up/Down, j/k    move the selection (or scroll the logs with Tab)",
		"  PgUp/PgDn       a page; Home/End the first and last",
		"  r  s  S         restart, stop, start the selected process; with a",
		"                  tag or group filter, the whole tag or group (asks)",
		"  t / g           filter by a tag / a group (asks which)",
		"  /               filter by name (a regex); in the logs: search",
		"  n / N           the next older / newer search match",
		"  Esc             clear filters and search",
		"  l               log pane: selected process, all, hidden",
		"  f               follow the newest log line",
		"  Tab             switch focus between table and logs",
		"  Enter           details of the selected process",
		"  > / <  F        sort by the next / previous column; F reverses",
		"  o               CPU and memory of the process alone or its tree",
		"  a               acknowledge the alert in the banner",
		"  q               quit (asks: stop the stack, or detach)",
		"  ?               this help (any key closes it)",
		NULL,
	};
	/* vigil monit: the same keys, but q leaves and the stack runs on. */
	static const char *const q_monit = "  q               quit (the stack runs on)";
	/* vigil top: only what tui_key does in host mode. */
	static const char *const top_lines[] = {
		"Keys (vigil top)",
		"",
		"  Up/Down         move the selection (j down too; k signals here)",
		"  PgUp/PgDn       a page; Home/End the first and last",
		"  k  x            send SIGTERM to the selected process (asks)",
		"  K               send SIGKILL to the selected process (asks)",
		"  T               children under their parent, or a flat list",
		"  /               filter by name (a regex)",
		"  Esc             clear the filter",
		"  Enter           details of the selected process",
		"  > / <  F        sort by the next / previous column; F reverses",
		"  q               quit",
		"  ?               this help (any key closes it)",
		NULL,
	};
	const char *const *shown = v->host ? top_lines : lines;
	int n = 0;
	while (shown[n] != NULL)
		n++;
	int wd = 72 < cols - 2 ? 72 : cols - 2;
	int h = n + 2 < rows - 2 ? n + 2 : rows - 2;
	int y = (rows - h) / 2, x = (cols - wd) / 2;
	view_box(w, y, x, h, wd, v);
	for (int i = 0; i < n && i < h - 2; i++) {
		const char *line = shown[i];
		if (!v->host && !v->owns_stack && strncmp(line, "  q ", 4) == 0)
			line = q_monit;
		view_put(w, y + 1 + i, x + 2, wd - 4, i == 0 ? theme_attr(THEME_TITLE) : 0, line);
	}
}

/*
 * A chart of a whole series, oldest left, newest right. With more samples
 * than columns, each column stands for an equal run of them and shows the
 * highest (not the average: a one-sample spike in ten minutes squeezed into
 * 40 columns stays visible); with fewer, one column each, against the right
 * edge. The scale (top right) is the highest value drawn, at least floor_max.
 */
static void
view_chart(WINDOW *w, int y, int x, int h, int wd, const struct view *v, const char *title,
    const float *vals, size_t n, double floor_max, const char *(*fmt)(double, char *, size_t))
{
	if (h < 2 || wd < 4) {
		view_put(w, y, x, wd, theme_attr(THEME_TITLE), title);
		return;
	}
	float col[1024];
	size_t cells = (size_t)wd < sizeof(col) / sizeof(col[0]) ? (size_t)wd : sizeof(col) / sizeof(col[0]);
	size_t ncol = n < cells ? n : cells;
	for (size_t c = 0; c < ncol; c++) {
		size_t from = c * n / ncol, to = (c + 1) * n / ncol;
		col[c] = vals[from];
		for (size_t i = from + 1; i < to; i++)
			if (vals[i] > col[c])
				col[c] = vals[i];
	}
	double max = floor_max;
	for (size_t c = 0; c < ncol; c++)
		if (col[c] > max)
			max = col[c];
	/* The scale at the right end, the title cut to what is left before it. */
	char label[32];
	const char *scale = fmt(max, label, sizeof(label));
	int lw = view_width(scale);
	view_put(w, y, x, wd - lw - 1, theme_attr(THEME_TITLE), title);
	view_put(w, y, x + wd - lw, lw, theme_attr(THEME_DIM), scale);
	int plot_h = h - 1;
	for (size_t c = 0; c < ncol; c++) {
		int cx = x + (int)(cells - ncol + c);
		double frac = max > 0 ? col[c] / max : 0;
		int eighths = (int)(frac * plot_h * 8 + 0.5);
		for (int row = 0; row < plot_h; row++) {
			int level = eighths - row * 8;
			if (level <= 0)
				break;
			if (level > 8)
				level = 8;
			char b[4];
			view_put(w, y + plot_h - row, cx, 1, theme_attr(THEME_BAR),
			    view_spark_cell(v, level, 8, b));
		}
	}
}

static const char *
view_fmt_pct(double v, char *buf, size_t size)
{
	snprintf(buf, size, "%.0f%%", v);
	return buf;
}

static const char *
view_fmt_mem(double v, char *buf, size_t size)
{
	units_fmt_mem((uint64_t)v, buf, size);
	return buf;
}

/*
 * The detail view's process tree, children under their parent (by ppid),
 * drawn as `ps f` and htop do: "tree 1460 sh", then "├─ 1467 awk" and
 * "└─ 1479 awk" under it. At most rows lines: the last says how many more.
 * Returns the lines drawn.
 */
static int
view_detail_tree(WINDOW *w, int y, int cols, int rows, const struct view *v, const struct replica_detail *d)
{
	size_t n = d->ntree < MODEL_TREE_MAX ? d->ntree : MODEL_TREE_MAX;
	if (n == 0 || rows < 1)
		return 0;
	int parent[MODEL_TREE_MAX];
	bool last[MODEL_TREE_MAX], seen[MODEL_TREE_MAX] = {false};
	for (size_t i = 0; i < n; i++) {
		parent[i] = -1;
		for (size_t j = 0; j < n; j++)
			if (j != i && d->tree[j].pid == d->tree[i].ppid)
				parent[i] = (int)j;
	}
	for (size_t i = 0; i < n; i++) {
		last[i] = true;
		for (size_t j = i + 1; j < n; j++)
			if (parent[j] == parent[i])
				last[i] = false;
	}
	/* Depth first, siblings in the engine's order; a ppid cycle (not on a real host) follows flat. */
	size_t order[MODEL_TREE_MAX], stack[MODEL_TREE_MAX], norder = 0, sp = 0;
	for (size_t pass = 0; pass < 2 && norder < n; pass++)
		for (size_t root = 0; root < n; root++) {
			if (seen[root] || (pass == 0 && parent[root] >= 0))
				continue;
			stack[sp++] = root;
			seen[root] = true;
			while (sp > 0) {
				size_t k = stack[--sp];
				order[norder++] = k;
				for (size_t c = n; c-- > 0;)
					if (parent[c] == (int)k && !seen[c]) {
						seen[c] = true;
						stack[sp++] = c;
					}
			}
		}
	const char *mid = v->utf8 ? "├─ " : "|- ", *end = v->utf8 ? "└─ " : "`- ";
	const char *bar = v->utf8 ? "│  " : "|  ";
	int drawn = 0;
	for (size_t o = 0; o < norder && drawn < rows; o++) {
		if (drawn == rows - 1 && o + 1 < norder) {
			view_putf(w, y + drawn++, 5, cols - 5, theme_attr(THEME_DIM), "%s %zu more", v->utf8 ? "…" : "...",
			    norder - o);
			break;
		}
		size_t k = order[o];
		/* The prefix: for each ancestor below the top, a bar while it has siblings to come. */
		size_t chain[MODEL_TREE_MAX], depth = 0;
		for (int a = parent[k]; a >= 0 && depth < n; a = parent[a])
			chain[depth++] = (size_t)a;
		char prefix[MODEL_TREE_MAX * 8] = "";
		size_t pl = 0;
		for (size_t a = depth; a-- > 0;) {
			if (a + 1 == depth)
				continue; /* the top one draws no column */
			pl += (size_t)snprintf(prefix + pl, sizeof(prefix) - pl, "%s", last[chain[a]] ? "   " : bar);
			if (pl >= sizeof(prefix))
				break;
		}
		if (depth > 0 && pl < sizeof(prefix))
			snprintf(prefix + pl, sizeof(prefix) - pl, "%s", last[k] ? end : mid);
		view_putf(w, y + drawn, 0, cols, 0, "%s%s%d %s", drawn == 0 ? "tree " : "     ", prefix,
		    (int)d->tree[k].pid, d->tree[k].comm);
		drawn++;
	}
	return drawn;
}

/* A chart of the CPU samples this screen has of p (its sparkline's). */
static void
view_session_chart(WINDOW *w, int y, int h, int cols, const struct view *v, const struct replica_proc *p,
    const char *title)
{
	float vals[REPLICA_HIST];
	for (size_t i = 0; i < p->nhist; i++)
		vals[i] = replica_hist(p, i);
	view_chart(w, y, 0, h, cols, v, title, vals, p->nhist, 100, view_fmt_pct);
}

/*
 * Puts a line of "a · b · c" items at row y, going on to the next rows at
 * the separators where it does not fit (a narrow screen); the rows used.
 */
static int __attribute__((format(printf, 5, 6)))
view_put_items(WINDOW *w, int y, int cols, int attr, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	static const char sep[] = " \xc2\xb7 "; /* " · " */
	int rows = 0, x = 0;
	for (char *item = text; item != NULL;) {
		char *next = strstr(item, sep);
		if (next != NULL) {
			*next = '\0';
			next += sizeof(sep) - 1;
		}
		int iw = view_width(item);
		if (x > 0 && x + 3 + iw > cols) {
			rows++;
			x = 0;
		}
		if (x > 0)
			x += view_put(w, y + rows, x, cols - x, attr, " · ");
		x += view_put(w, y + rows, x, cols - x, attr, item);
		item = next;
	}
	return rows + 1;
}

/* A chart's window in its title: "42s", "10 min", "24 h" (what its points cover, not what they could). */
static void
view_span(int64_t ms, char *buf, size_t size)
{
	if (ms < 60000)
		snprintf(buf, size, "%llds", (long long)((ms + 500) / 1000));
	else if (ms < 3600000)
		snprintf(buf, size, "%lld min", (long long)((ms + 30000) / 60000));
	else
		snprintf(buf, size, "%lld h", (long long)((ms + 1800000) / 3600000));
}

static void
view_detail(WINDOW *w, int y0, int h, int cols, const struct replica *r, struct view *v,
    int64_t now_ms)
{
	const struct replica_proc *p = view_selected(r, v);
	if (p == NULL) {
		view_put(w, y0, 1, cols - 2, theme_attr(THEME_DIM), "no process selected");
		return;
	}
	int y = y0;
	int x = view_put(w, y, 0, cols, theme_name_attr(p->name) | A_BOLD, p->name);
	x += view_putf(w, y, x + 1, cols - x - 1, theme_attr(theme_state_role(p->state)), " %s", p->state);
	view_putf(w, y, x + 2, cols - x - 2, theme_attr(THEME_DIM), " %s  (Enter or Esc closes)", p->reason);
	y++;
	char up[32], a[24], b[24];
	units_fmt_age(replica_uptime(p, now_ms), up, sizeof(up));
	if (r->host_mode) {
		/* vigil top: a host process has no kind, restarts, health, group or tags, nor a tree of figures. */
		units_fmt_mem(p->m.rss, a, sizeof(a));
		view_putf(w, y++, 0, cols, 0, "pid %d · parent %d · up %s · state %s", (int)p->pid, (int)p->ppid, up,
		    p->state);
		view_putf(w, y++, 0, cols, 0, "cpu %.1f%% · memory %s · threads %d", p->m.cpu, a, p->m.threads);
		y++;
		if (y0 + h - y >= 6)
			view_session_chart(w, y, y0 + h - y - 1, cols, v, p, "CPU %, this session, newest right");
		return;
	}
	y += view_put_items(w, y, cols, 0, "kind %s · pid %s · restarts %d · up %s · health %s · group %s · tags %s",
	    p->kind, p->pid > 0 ? (snprintf(a, sizeof(a), "%d", (int)p->pid), a) : "-", p->restarts, up,
	    p->health_probe ? p->health : "-", p->group[0] ? p->group : "-", p->tags[0] ? p->tags : "-");
	if (p->has_metrics) {
		const struct proc_metrics *m = &p->m;
		units_fmt_mem(m->rss, a, sizeof(a));
		units_fmt_mem(m->tree_rss, b, sizeof(b));
		y += view_put_items(w, y, cols, 0,
		    "cpu %.1f%% (tree %.1f%%) · memory %s (tree %s) · threads %d (tree %d) · processes %d · state %c",
		    m->cpu, m->tree_cpu, a, b, m->threads, m->tree_threads, m->tree_procs,
		    m->kstate ? m->kstate : '?');
		char io[96] = "";
		if (m->io_read >= 0) {
			units_fmt_mem((uint64_t)m->io_read, a, sizeof(a));
			units_fmt_mem((uint64_t)m->io_write, b, sizeof(b));
			snprintf(io, sizeof(io), " · disk read %s/s write %s/s", a, b);
		}
		char cg[96] = "";
		if (m->cgroup && m->cg_memory >= 0) {
			units_fmt_mem((uint64_t)m->cg_memory, a, sizeof(a));
			snprintf(cg, sizeof(cg), " · cgroup memory %s, OOM kills %lld", a, (long long)m->oom_kills);
		}
		char fds[32] = "-";
		if (m->fds >= 0)
			snprintf(fds, sizeof(fds), "%d (tree %d)", m->fds, m->tree_fds);
		y += view_put_items(w, y, cols, 0, "descriptors %s%s%s", fds, io, cg);
	} else {
		view_put(w, y++, 0, cols, theme_attr(THEME_DIM), "no figures while it does not run");
	}
	const struct replica_detail *d = &r->detail;
	bool have = strcmp(d->name, p->name) == 0;
	if (have) {
		view_putf(w, y++, 0, cols, 0, "command %s", d->command);
		view_putf(w, y++, 0, cols, theme_attr(THEME_DIM), "cwd %s", d->cwd);
		/* The tree: up to 8 lines, fewer on a short screen (at least 3, the charts keep the rest). */
		int room = (y0 + h - y - 12) / 2;
		y += view_detail_tree(w, y, cols, room < 3 ? 3 : room > 8 ? 8 : room, v, d);
		if (d->exits[0] != '\0')
			view_putf(w, y++, 0, cols, theme_attr(THEME_WARN), "ended %s", d->exits);
		if (d->nchecks > 0) {
			/* The newest health results on one line each, as room allows. */
			int cx = view_put(w, y, 0, cols, 0, "health checks: ");
			for (size_t k = 0; k < d->nchecks && k < 2; k++)
				cx += view_putf(w, y, cx, cols - cx, strstr(d->checks[k], "FAIL") ? theme_attr(THEME_BAD) : 0,
				    "%s%s", k ? "  ·  " : "", d->checks[k]);
			y++;
		}
	}
	y++;
	int left = y0 + h - y;
	if (left < 6)
		return;
	int ch = left >= 16 ? left / 2 : left;
	/* Three charts a row: CPU, memory, disk I/O; the fine samples (10 minutes at most), then 24 hours. */
	int third = (cols - 4) / 3;
	int x2 = third + 2, x3 = 2 * third + 4, w3 = cols - x3;
	char span[24], t1[64], t2[64], t3[64];
	if (have && d->ncpu > 0) {
		/* Each point stands for one sample interval: n points cover n intervals. */
		int64_t covered = d->ncpu > 1 ? d->span_ms * (int64_t)d->ncpu / (int64_t)(d->ncpu - 1) : 0;
		view_span(covered, span, sizeof(span));
		snprintf(t1, sizeof(t1), "CPU %% (tree), %s", span);
		snprintf(t2, sizeof(t2), "memory (tree), %s", span);
		snprintf(t3, sizeof(t3), "disk I/O /s (tree), %s", span);
		view_chart(w, y, 0, ch - 1, third, v, t1, d->cpu, d->ncpu, 100, view_fmt_pct);
		view_chart(w, y, x2, ch - 1, third, v, t2, d->mem, d->nmem, 1, view_fmt_mem);
		view_chart(w, y, x3, ch - 1, w3, v, t3, d->io, d->nio, 1, view_fmt_mem);
	} else {
		/* Until the history arrives: this session's samples. */
		view_session_chart(w, y, ch - 1, cols, v, p, "CPU % (tree), newest right");
	}
	y += ch;
	left = y0 + h - y;
	if (!have || left < 4)
		return;
	if (d->ncpu_day == 0) {
		view_put(w, y, 0, cols, theme_attr(THEME_DIM),
		    "24 hours: 5-minute averages appear once it has run longer than the fine samples");
		return;
	}
	view_span(d->span_day_ms + 5 * 60000, span, sizeof(span)); /* a bucket is 5 minutes */
	snprintf(t1, sizeof(t1), "CPU %%, %s (5-min avg)", span);
	snprintf(t2, sizeof(t2), "memory, %s", span);
	snprintf(t3, sizeof(t3), "disk I/O /s, %s", span);
	view_chart(w, y, 0, left - 1, third, v, t1, d->cpu_day, d->ncpu_day, 100, view_fmt_pct);
	view_chart(w, y, x2, left - 1, third, v, t2, d->mem_day, d->nmem_day, 1, view_fmt_mem);
	view_chart(w, y, x3, left - 1, w3, v, t3, d->io_day, d->nio_day, 1, view_fmt_mem);
}

/* ---- the whole screen ---------------------------------------------------- */

/* Blanks rows y0 .. y0+h-1 before a region is drawn again. */
static void
view_clear_rows(WINDOW *w, int y0, int h)
{
	for (int y = y0; y < y0 + h; y++) {
		wmove(w, y, 0);
		wclrtoeol(w);
	}
}

void
view_draw(WINDOW *w, const struct replica *r, struct view *v, int64_t now_ms)
{
	view_draw_regions(w, r, v, now_ms, VIEW_REGION_ALL);
}

void
view_draw_regions(WINDOW *w, const struct replica *r, struct view *v, int64_t now_ms, unsigned regions)
{
	int rows, cols;
	getmaxyx(w, rows, cols);
	/* Overlays and the small-terminal message cover everything: no partial redraw then. */
	if (v->help || v->detail || cols < VIEW_MIN_COLS || rows < VIEW_MIN_ROWS)
		regions = VIEW_REGION_ALL;
	if (v->input_mode)
		regions |= VIEW_REGION_FOOTER; /* drawn last: the cursor stays on the input line */
	if (regions == VIEW_REGION_ALL)
		werase(w);
	if (cols < VIEW_MIN_COLS || rows < VIEW_MIN_ROWS) {
		char msg[128];
		snprintf(msg, sizeof(msg), "vigil needs at least %dx%d; this terminal is %dx%d", VIEW_MIN_COLS,
		    VIEW_MIN_ROWS, cols, rows);
		int len = (int)strlen(msg);
		int y = rows / 2, x = cols > len ? (cols - len) / 2 : 0;
		view_put(w, y, x, cols - x, A_BOLD, msg);
		if (rows > y + 1)
			view_put(w, y + 1, cols > 14 ? (cols - 14) / 2 : 0, cols, 0, "(q quits)");
		return;
	}
	if (regions & VIEW_REGION_HEADER) {
		if (regions != VIEW_REGION_ALL)
			view_clear_rows(w, 0, 3);
		view_header(w, cols, r, v);
		view_banner(w, 2, cols, r, v);
	}
	int body_y = 3, body_h = rows - 4; /* header 2, banner 1, footer 1 */
	if (v->detail) {
		view_detail(w, body_y, body_h, cols, r, v, now_ms);
	} else if (regions & (VIEW_REGION_TABLE | VIEW_REGION_LOGS)) {
		/* Filtered and sorted once for the table and the log pane's selection. */
		static size_t rowsv[VIEW_ROWS_MAX];
		size_t n = view_rows(r, v, rowsv, VIEW_ROWS_MAX);
		const struct replica_proc *sel = n > 0 ? &r->procs[rowsv[view_sel_index(r, v, rowsv, n)]] : NULL;
		int table_h = body_h;
		if (v->logmode != VIEW_LOG_HIDDEN) {
			int want = (int)n + 1;
			int cap = body_h / 2 > 6 ? body_h / 2 : 6;
			table_h = want < cap ? want : cap;
			if (table_h < 2)
				table_h = 2;
		}
		/* The table's height follows its rows: a table change moves the log pane too. */
		if (regions & VIEW_REGION_TABLE) {
			if (regions != VIEW_REGION_ALL)
				view_clear_rows(w, body_y, table_h);
			view_table(w, body_y, table_h, cols, r, v, rowsv, n, now_ms);
		}
		if (v->logmode != VIEW_LOG_HIDDEN && (regions & (VIEW_REGION_TABLE | VIEW_REGION_LOGS))) {
			if (regions != VIEW_REGION_ALL)
				view_clear_rows(w, body_y + table_h, body_h - table_h);
			view_logs(w, body_y + table_h, body_h - table_h, cols, r, v, sel);
		}
	}
	if (v->help)
		view_help(w, rows, cols, v);
	if (regions & VIEW_REGION_FOOTER) {
		if (regions != VIEW_REGION_ALL)
			view_clear_rows(w, rows - 1, 1);
		view_footer(w, rows - 1, cols, v, now_ms);
	}
}
