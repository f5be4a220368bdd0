/*
 * test_view — golden screens: the dashboard drawn from a fixture replica at
 * fixed sizes, its text compared with tests/golden/NAME.txt
 * (VIGIL_UPDATE_GOLDEN=1 rewrites them). Also the pieces with rules of
 * their own: view_clean on hostile output, filters, sorting that keeps the
 * selection, search.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <curses.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include <cjson/cJSON.h>

#include "ui/replica.h"
#include "ui/theme.h"
#include "ui/view.h"

#define GOLDEN VIGIL_FIXTURES "/../golden"
#define T0 1795500000000LL /* realtime of the fixture, ms */

static SCREEN *scr;
static FILE *scr_out, *scr_in;

static int
setup(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	setlocale(LC_ALL, "C.UTF-8");
	scr_out = fopen("/dev/null", "w");
	scr_in = fopen("/dev/null", "r");
	scr = newterm("xterm-256color", scr_out, scr_in);
	assert_non_null(scr);
	theme_init(true);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	endwin();
	delscreen(scr);
	fclose(scr_out);
	fclose(scr_in);
	return 0;
}

static void
proc(struct replica *r, const char *name, const char *state, int pid, int restarts,
    const char *group, const char *tags, double cpu, uint64_t rss, const char *health)
{
	struct replica_proc *p = &r->procs[r->nprocs++];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->process, sizeof(p->process), "%s", name);
	snprintf(p->state, sizeof(p->state), "%s", state);
	snprintf(p->kind, sizeof(p->kind), "service");
	snprintf(p->health, sizeof(p->health), "%s", health);
	p->health_probe = strcmp(health, "unknown") != 0; /* the fixture's "unknown" ones have none */
	snprintf(p->group, sizeof(p->group), "%s", group);
	snprintf(p->tags, sizeof(p->tags), "%s", tags);
	snprintf(p->reason, sizeof(p->reason), "pid %d", pid);
	p->pid = pid;
	p->restarts = restarts;
	p->present = true;
	p->uptime_ms = pid > 0 ? 3723000 : -1;
	p->uptime_at = 0;
	if (pid > 0) {
		p->has_metrics = true;
		p->m = (struct proc_metrics){.at_ms = T0, .cpu = cpu / 2, .tree_cpu = cpu, .rss = rss / 2,
		    .tree_rss = rss, .threads = 2, .tree_threads = 4, .fds = 9, .tree_fds = 20,
		    .io_read = 0, .io_write = 4096, .tree_procs = 2, .kstate = 'S', .cg_memory = -1,
		    .oom_kills = -1};
		for (int i = 0; i < 60; i++) {
			p->hist[i] = (float)(cpu * (0.5 + 0.5 * ((i * 7) % 10) / 10.0));
			p->nhist++;
		}
	}
}

/* The fixture: a small shop stack. */
static void
fixture(struct replica *r)
{
	replica_init(r);
	r->procs = calloc(16, sizeof(*r->procs));
	r->capprocs = 16;
	snprintf(r->stack, sizeof(r->stack), "shop");
	snprintf(r->engine, sizeof(r->engine), "engine pid 4242");
	proc(r, "db", "running", 101, 0, "storage", "data,critical", 3.5, 52428800, "healthy");
	proc(r, "migrate", "completed", 0, 0, "storage", "data", 0, 0, "unknown");
	proc(r, "api", "running", 103, 2, "web", "http", 41.2, 104857600, "healthy");
	proc(r, "worker:0", "running", 104, 0, "jobs", "", 97.0, 31457280, "unknown");
	proc(r, "worker:1", "backoff", 0, 5, "jobs", "", 0, 0, "unknown");
	proc(r, "flaky", "fatal", 0, 6, "", "demo", 0, 0, "unhealthy");
	r->host = (struct model_host){.at_ms = T0, .cpu = 37.5, .ncores = 2, .core_cpu = {50, 25},
	    .mem_total = 25276026880ULL, .mem_available = 20000000000ULL, .load = {0.61, 0.42, 0.30},
	    .uptime_s = 16000, .procs = 180};
	const char *texts[] = {
		"Ready to accept connections tcp", "GET /health 200 4ms", "\033[31mERROR\033[0m timeout talking to db",
		"progress 10%\rprogress 50%\rprogress 100%", "job 7 done\tin 3ms", "bell\007 and nul-ish \x01 bytes",
	};
	const char *names[] = {"db", "api", "api", "worker:0", "worker:0", "api"};
	for (int i = 0; i < 30; i++)
		replica_add_line(r, names[i % 6], T0 - 30000 + i * 1000, i % 6 == 2, texts[i % 6]);
}

/* Frees what fixture and view_fixture made. */
static void
fixture_fini(struct replica *r, struct view *v)
{
	view_fini(v);
	free(r->procs);
	r->procs = NULL;
	replica_fini(r);
}

/* The screen's text, one line per row, trailing spaces removed. */
static char *
dump(void)
{
	int rows, cols;
	getmaxyx(stdscr, rows, cols);
	size_t cap = (size_t)rows * ((size_t)cols * 4 + 2) + 1, n = 0;
	char *out = malloc(cap);
	assert_non_null(out);
	for (int y = 0; y < rows; y++) {
		wchar_t line[512];
		int got = mvwinnwstr(stdscr, y, 0, line, cols < 511 ? cols : 511);
		if (got == ERR)
			got = 0;
		line[got] = L'\0';
		char mb[2048];
		size_t len = wcstombs(mb, line, sizeof(mb));
		if (len == (size_t)-1)
			len = 0;
		while (len > 0 && mb[len - 1] == ' ')
			len--;
		memcpy(out + n, mb, len);
		n += len;
		out[n++] = '\n';
	}
	out[n] = '\0';
	return out;
}

static void
golden(const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s.txt", GOLDEN, name);
	if (getenv("VIGIL_UPDATE_GOLDEN") != NULL) {
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fputs(text, f);
		fclose(f);
		return;
	}
	FILE *f = fopen(path, "r");
	if (f == NULL)
		fail_msg("missing %s (VIGIL_UPDATE_GOLDEN=1 writes it)", path);
	static char want[1 << 20];
	size_t n = fread(want, 1, sizeof(want) - 1, f);
	want[n] = '\0';
	fclose(f);
	if (strcmp(want, text) != 0) {
		fprintf(stderr, "---- %s: got ----\n%s---- want ----\n%s", name, text, want);
		fail_msg("%s differs from %s", name, path);
	}
}

/* A view of the fixture as the dashboard starts it (UTF-8, the fixture's clock), name selected. */
static void
view_fixture(struct view *v, const char *name)
{
	view_init(v);
	v->utf8 = true;
	v->clock_ms = T0;
	snprintf(v->selected, sizeof(v->selected), "%s", name);
}

/* The fixture and its view on a screen of rows×cols, sel selected. */
static void
fixture_at(struct replica *r, struct view *v, int rows, int cols, const char *sel)
{
	resize_term(rows, cols);
	fixture(r);
	view_fixture(v, sel);
}

/* Draws the fixture at rows×cols with view settings applied by fn, and compares. */
static void
screen(const char *name, int rows, int cols, void (*fn)(struct replica *, struct view *))
{
	resize_term(rows, cols);
	struct replica r;
	fixture(&r);
	struct view v;
	view_fixture(&v, "api");
	if (fn != NULL)
		fn(&r, &v);
	view_draw(stdscr, &r, &v, 0);
	char *text = dump();
	golden(name, text);
	free(text);
	fixture_fini(&r, &v);
}

static void
all_logs(struct replica *r, struct view *v)
{
	(void)r;
	v->logmode = VIEW_LOG_ALL;
	view_set_search(v, "api|timeout");
}

static void
by_cpu(struct replica *r, struct view *v)
{
	(void)r;
	v->sort = VIEW_SORT_CPU;
	v->desc = true;
	v->tag[0] = '\0';
	snprintf(v->group, sizeof(v->group), "jobs");
}

static void
detail(struct replica *r, struct view *v)
{
	v->detail = true;
	struct replica_detail *d = &r->detail;
	snprintf(d->name, sizeof(d->name), "api");
	snprintf(d->command, sizeof(d->command), "python3 -m http.server 8080");
	snprintf(d->cwd, sizeof(d->cwd), "/srv/shop/web");
	/* sh with two children, the first with one of its own. */
	const struct proc_member tree[] = {{103, 1, "sh"}, {110, 103, "python3"}, {111, 110, "python3"},
		{112, 103, "awk"}};
	memcpy(d->tree, tree, sizeof(tree));
	d->ntree = 4;
	snprintf(d->exits, sizeof(d->exits), "05:58:01 status 1 · 05:40:12 killed by SIGKILL");
	for (int i = 0; i < 120; i++)
		d->io[d->nio++] = (float)((i % 10) * 40960);
	for (int i = 0; i < 100; i++)
		d->io_day[d->nio_day++] = (float)((i % 7) * 10240);
	for (int i = 0; i < 120; i++) {
		d->cpu[d->ncpu++] = (float)(20 + (i * 13) % 40);
		d->mem[d->nmem++] = (float)(100 + i) * 1048576.0f;
	}
	for (int i = 0; i < 100; i++) {
		d->cpu_day[d->ncpu_day++] = (float)(10 + (i * 7) % 50);
		d->mem_day[d->nmem_day++] = (float)(80 + i / 2) * 1048576.0f;
	}
	d->span_ms = 119 * 5000;         /* 120 points at 5 s: 10 minutes */
	d->span_day_ms = 99 * 300000;    /* 100 buckets: 8 hours and 20 minutes */
}

static void
detail_fresh(struct replica *r, struct view *v)
{
	(void)r;
	v->detail = true; /* no history yet: this session's samples */
}

static void
help(struct replica *r, struct view *v)
{
	(void)r;
	v->help = true;
	v->utf8 = false;
	v->owns_stack = true; /* vigil up */
}

static void
alerting(struct replica *r, struct view *v)
{
	(void)v;
	r->alerts[0] = (struct replica_alert){.id = 3, .severity = 1, .message = "api: cpu > 80% for 5 samples (now 93.1%)"};
	r->alerts[1] = (struct replica_alert){.id = 4, .severity = 2, .message = "flaky: restarts > 3 in 5m (now 6)"};
	r->alerts[2] = (struct replica_alert){.id = 5, .severity = 2, .acked = true, .message = "db: state == fatal"};
	r->nalerts = 3;
}

static void
gone(struct replica *r, struct view *v)
{
	(void)r;
	snprintf(v->status, sizeof(v->status), "engine gone — reconnecting (attempt 3)");
	snprintf(v->prompt, sizeof(v->prompt), "Stop the stack? [y/N/d=detach]");
}

static void
test_golden(void **state)
{
	(void)state;
	screen("main-80x24", 24, 80, NULL);
	screen("main-132x43", 43, 132, NULL);
	screen("main-200x60", 60, 200, NULL);
	screen("all-logs-search-132x43", 43, 132, all_logs);
	screen("sorted-cpu-group-132x43", 43, 132, by_cpu);
	screen("detail-132x43", 43, 132, detail);
	screen("detail-80x30", 30, 80, detail); /* narrow charts: each title cut before its scale */
	screen("detail-fresh-80x24", 24, 80, detail_fresh);
	screen("help-ascii-80x24", 24, 80, help);
	screen("gone-prompt-80x24", 24, 80, gone);
	screen("alert-132x43", 43, 132, alerting);
	screen("too-small-60x20", 20, 60, NULL);
}

/* A replica fed by two sweeps of vigil top's agent ("top" events) of these rows, as the agent writes them. */
static void
top_replica(struct replica *r, const char *rows)
{
	replica_init(r);
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "event", "top");
	cJSON *data = cJSON_AddObjectToObject(j, "data");
	cJSON *host = cJSON_Parse("{\"at\":1795500000000,\"cpu\":30,\"cores\":[40,20],"
	    "\"mem_total\":8589934592,\"mem_available\":4294967296,\"load\":[1,0.5,0.25],\"procs\":5}");
	assert_non_null(host);
	cJSON_AddItemToObject(data, "host", host);
	cJSON_AddStringToObject(data, "rows", rows);
	replica_apply(r, j, 0);
	replica_apply(r, j, 1000); /* a second sweep: histories carried over by pid and start */
	cJSON_Delete(j);
}

/* A top view as vigil top starts it. */
static void
top_view(struct view *v)
{
	view_init(v);
	v->utf8 = true;
	v->clock_ms = T0;
	v->title = "vigil top";
	v->host = true;
	v->logmode = VIEW_LOG_HIDDEN;
	v->sort = VIEW_SORT_CPU;
	v->desc = true;
}

/* vigil top's header counts every process by state: the counts add up to the processes. */
static void
test_top_counts(void **state)
{
	(void)state;
	resize_term(24, 160);
	struct replica r;
	top_replica(&r, "1 0 S 0.5 1048576 1 1795490000000 init\n"
	    "2 1 R 9.0 1048576 1 1795490000000 busy\n"
	    "3 1 T 0.0 1048576 1 1795490000000 stopped\n"
	    "4 1 t 0.0 1048576 1 1795490000000 debugged\n"
	    "5 1 Z 0.0 0 1 1795490000000 defunct\n"
	    "6 1 I 0.0 0 1 1795490000000 kworker\n"
	    "7 1 P 0.0 0 1 1795490000000 parked\n"
	    "8 1 D 0.0 0 1 1795490000000 flush\n"
	    "9 1 ~ 0.0 0 1 1795490000000 odd\n");
	struct view v;
	top_view(&v);
	view_draw(stdscr, &r, &v, 1000);
	char *text = dump();
	assert_non_null(strstr(text, "9 processes  1 running  1 disk-wait  1 zombie  1 stopped  1 traced  1 parked  "
	    "1 sleeping  1 idle  1 other"));
	free(text);
	view_fini(&v);
	replica_fini(&r);
}

/* vigil top sorted by THR: its header shows the arrow, the most threads first. */
static void
test_top_threads(void **state)
{
	(void)state;
	resize_term(24, 120);
	struct replica r;
	top_replica(&r, "1 0 S 0.5 1048576 1 1795490000000 init\n"
	    "10 1 S 1.0 2097152 14 1795499000000 many\n"
	    "20 1 S 3.0 4194304 2 1795499900000 few\n");
	struct view v;
	top_view(&v);
	v.sort = VIEW_SORT_THREADS;
	view_draw(stdscr, &r, &v, 1000);
	char *text = dump();
	assert_non_null(strstr(text, "THR▼"));
	size_t rows[4];
	assert_int_equal(view_rows(&r, &v, rows, 4), 3);
	assert_string_equal(r.procs[rows[0]].name, "many");
	assert_string_equal(r.procs[rows[1]].name, "few");
	free(text);
	view_fini(&v);
	replica_fini(&r);
}

/* vigil top's screen: a replica fed by the agent's "top" event, in tree order. */
static void
test_top(void **state)
{
	(void)state;
	resize_term(24, 100);
	struct replica r;
	top_replica(&r, "1 0 S 0.5 1048576 1 1795490000000 init\n"
	    "10 1 R 55.0 2097152 4 1795499000000 server\n"
	    "11 10 S 0.0 1048576 1 1795499500000 worker one\n"
	    "12 10 Z 0.0 0 1 1795499600000 defunct\n"
	    "20 1 S 3.0 4194304 2 1795499900000 shell\n");
	assert_true(r.host_mode);
	assert_int_equal(r.nprocs, 5);
	assert_string_equal(r.procs[2].name, "worker one");
	assert_string_equal(r.procs[3].state, "zombie");
	assert_int_equal(r.procs[1].nhist, 2);
	struct view v;
	top_view(&v);
	v.tree = true;
	view_draw(stdscr, &r, &v, 1000);
	char *text = dump();
	golden("top-tree-100x24", text);
	/* Tree order: init, then its children by CPU (server with its two, then shell). */
	size_t rows[8];
	assert_int_equal(view_rows(&r, &v, rows, 8), 5);
	const char *want[] = {"init", "server", "worker one", "defunct", "shell"};
	for (int i = 0; i < 5; i++)
		assert_string_equal(r.procs[rows[i]].name, want[i]);
	/* The footer and the help name the keys top handles, none of the stack's. */
	const char *stack_only[] = {"restart", " stop", "start", "tag", "group", "follow", "logs", "acknowledge"};
	const char *top_keys[] = {"k SIGTERM", "K SIGKILL", "T tree", "/ filter", "q quit"};
	for (size_t i = 0; i < sizeof(stack_only) / sizeof(stack_only[0]); i++)
		assert_null(strstr(text, stack_only[i]));
	for (size_t i = 0; i < sizeof(top_keys) / sizeof(top_keys[0]); i++)
		assert_non_null(strstr(text, top_keys[i]));
	free(text);
	v.help = true;
	view_draw(stdscr, &r, &v, 1000);
	text = dump();
	for (size_t i = 0; i < sizeof(stack_only) / sizeof(stack_only[0]); i++)
		assert_null(strstr(text, stack_only[i]));
	assert_non_null(strstr(text, "Keys (vigil top)"));
	assert_non_null(strstr(text, "SIGKILL to the selected process"));
	assert_non_null(strstr(text, "children under their parent"));
	free(text);
	/* Enter: what a host process has, none of a stack process's fields. */
	v.help = false;
	v.detail = true;
	snprintf(v.selected, sizeof(v.selected), "11");
	v.picked = true;
	view_draw(stdscr, &r, &v, 1000);
	text = dump();
	assert_non_null(strstr(text, "pid 11 · parent 10 · up "));
	assert_non_null(strstr(text, "cpu 0.0% · memory 1.0M · threads 1"));
	const char *stack_fields[] = {"kind ", "restarts ", "health ", "group ", "tags ", "· processes", "(tree)"};
	for (size_t i = 0; i < sizeof(stack_fields) / sizeof(stack_fields[0]); i++)
		if (strstr(text, stack_fields[i]) != NULL)
			fail_msg("%s in vigil top's details", stack_fields[i]);
	free(text);
	v.detail = false;
	/* The stack's footer keeps its keys. */
	v.host = false;
	v.help = false;
	view_draw(stdscr, &r, &v, 1000);
	text = dump();
	assert_non_null(strstr(text, "r restart s stop S start"));
	free(text);
	view_fini(&v);
	replica_fini(&r);
}

/* A partial redraw touches only its region: after new log lines, the same screen as a full draw. */
static void
test_regions(void **state)
{
	(void)state;
	struct replica r;
	struct view v;
	fixture_at(&r, &v, 43, 132, "api");
	view_draw(stdscr, &r, &v, 0);
	replica_add_line(&r, "api", T0, false, "a new line");
	view_draw_regions(stdscr, &r, &v, 0, VIEW_REGION_LOGS);
	char *partial = dump();
	assert_non_null(strstr(partial, "a new line"));
	view_draw(stdscr, &r, &v, 0);
	char *full = dump();
	assert_string_equal(partial, full);
	/* The header alone: the table keeps what it showed. */
	snprintf(r.procs[2].state, sizeof(r.procs[2].state), "stopped");
	view_draw_regions(stdscr, &r, &v, 0, VIEW_REGION_HEADER);
	char *hdr = dump();
	assert_non_null(strstr(hdr, "1 stopped"));
	assert_null(strstr(hdr, "api      stopped"));
	free(partial);
	free(full);
	free(hdr);
	fixture_fini(&r, &v);
}

/* A chatty process beside a quiet one: the quiet one's lines are still in its pane when it is selected. */
static void
test_quiet_beside_chatty(void **state)
{
	(void)state;
	resize_term(43, 132);
	struct replica r;
	fixture(&r);
	char text[64];
	for (int i = 0; i < 3 * REPLICA_LOG_LINES; i++) {
		snprintf(text, sizeof(text), "spam line %d", i);
		replica_add_line(&r, "worker:0", T0 + i, false, text);
	}
	struct view v;
	view_fixture(&v, "db");
	view_draw(stdscr, &r, &v, 0);
	char *text_db = dump();
	assert_null(strstr(text_db, "no output yet"));
	assert_non_null(strstr(text_db, "| Ready to accept connections tcp"));
	free(text_db);
	/* The merged pane has the newest of both. */
	v.logmode = VIEW_LOG_ALL;
	view_draw(stdscr, &r, &v, 0);
	char *all = dump();
	assert_non_null(strstr(all, "spam line 29999"));
	free(all);
	fixture_fini(&r, &v);
}

/* Draws the fixture with two long names at rows×cols and returns the screen (the caller frees). */
static char *
long_names(int rows, int cols, bool utf8, enum view_logmode mode, const char *third)
{
	resize_term(rows, cols);
	struct replica r;
	fixture(&r);
	snprintf(r.procs[3].name, sizeof(r.procs[3].name), "worker-payments-eu-west-1");
	snprintf(r.procs[4].name, sizeof(r.procs[4].name), "worker-payments-eu-west-2");
	snprintf(r.procs[5].name, sizeof(r.procs[5].name), "%s", third);
	replica_add_line(&r, "worker-payments-eu-west-1", T0, false, "from one");
	replica_add_line(&r, third, T0 + 1, false, "from the third");
	struct view v;
	view_fixture(&v, "db");
	v.utf8 = utf8;
	v.logmode = mode;
	view_draw(stdscr, &r, &v, 0);
	char *text = dump();
	fixture_fini(&r, &v);
	return text;
}

/* Long names: whole where there is room, else cut in the middle with an ellipsis, their ends kept. */
static void
test_long_names(void **state)
{
	(void)state;
	/* 64 characters, the longest a stack allows, with a replica suffix. */
	const char *longest = "ingest-pipeline-stage-transform-normalise-enrich-dedupe-store:12";
	assert_int_equal(strlen(longest), 64);
	char *s = long_names(43, 160, true, VIEW_LOG_ALL, longest);
	assert_non_null(strstr(s, "\nworker-payments-eu-west-1 "));
	assert_non_null(strstr(s, "\nworker-payments-eu-west-2 "));
	assert_non_null(strstr(s, longest));
	/* The other columns still fit beside it. */
	assert_non_null(strstr(s, "RESTARTS"));
	assert_non_null(strstr(s, "HEALTH"));
	/* The merged log's prefix: up to a third of the width (53), the tail kept. */
	assert_non_null(strstr(s, "ingest-pipeline-stage-tran…ise-enrich-dedupe-store:12 | from the third"));
	assert_non_null(strstr(s, "worker-payments-eu-west-1"));
	free(s);
	/* 80 columns: cut with an ellipsis, the ends distinguishable. */
	s = long_names(24, 80, true, VIEW_LOG_SELECTED, longest);
	assert_non_null(strstr(s, "\nworker-payments-eu-west-1 "));
	assert_non_null(strstr(s, "\ningest-pipeli…dupe-store:12 fatal"));
	assert_non_null(strstr(s, "…"));
	assert_non_null(strstr(s, "-store:12 "));
	assert_null(strstr(s, longest));
	assert_non_null(strstr(s, "RESTARTS")); /* kept, as with short names */
	free(s);
	/* Without UTF-8: "~". */
	s = long_names(24, 80, false, VIEW_LOG_SELECTED, longest);
	assert_non_null(strstr(s, "\ningest-pipeli~dupe-store:12 fatal"));
	assert_null(strstr(s, "…"));
	assert_non_null(strstr(s, "-store:12 "));
	free(s);
}

/* The text of the pane's k-th line from the newest (the selected process's, or all). */
static const char *
pane_line(const struct replica *r, const struct view *v, const char *sel, size_t k)
{
	struct replica_walk w;
	replica_walk_init(&w, r, v->logmode == VIEW_LOG_ALL ? NULL : sel, NULL, NULL);
	const struct replica_line *l = NULL;
	for (size_t i = 0; i <= k && (l = replica_walk_next(&w)) != NULL; i++)
		;
	replica_walk_fini(&w);
	return l != NULL ? l->text : "";
}

/* The last row of the log pane on screen (the bottom line shown). */
static char *
pane_bottom(void)
{
	char *text = dump();
	size_t len = strlen(text);
	/* The footer is the last row; the pane's bottom line the one before it. */
	char *end = text + len - 1, *p = end;
	while (p > text && p[-1] != '\n')
		p--;
	*p = '\0';
	p--;
	while (p > text && p[-1] != '\n')
		p--;
	char *out = strdup(p);
	free(text);
	out[strlen(out) - 1] = '\0';
	return out;
}

/*
 * The fixture at 132x43 with 200 more lines of api ("line N", every tenth
 * "ERROR number N/10"), api selected; returns the time for the next line.
 */
static int64_t
busy_fixture(struct replica *r, struct view *v)
{
	fixture_at(r, v, 43, 132, "api");
	char text[64];
	int64_t ts = T0;
	for (int i = 0; i < 200; i++) {
		snprintf(text, sizeof(text), i % 10 == 0 ? "ERROR number %d" : "line %d", i % 10 == 0 ? i / 10 : i);
		replica_add_line(r, "api", ts++, false, text);
	}
	return ts;
}

/* Scrolled back, the pane stays on its lines as new ones arrive; following, it follows. */
static void
test_log_scroll(void **state)
{
	(void)state;
	struct replica r;
	struct view v;
	char text[64];
	int64_t ts = busy_fixture(&r, &v);
	v.focus_logs = true;
	/* PgUp: ten lines up; the bottom line is line 189. */
	v.follow = false;
	v.log_back = 10;
	view_draw(stdscr, &r, &v, 0);
	char *before = pane_bottom();
	assert_non_null(strstr(before, "| line 189"));
	for (int i = 200; i < 260; i++) {
		snprintf(text, sizeof(text), "line %d", i);
		replica_add_line(&r, "api", ts++, false, text);
		replica_add_line(&r, "db", ts++, false, "db busy"); /* another process's lines change nothing here */
		if (i % 7 == 0)
			view_draw_regions(stdscr, &r, &v, 0, VIEW_REGION_LOGS);
	}
	view_draw(stdscr, &r, &v, 0);
	char *after = pane_bottom();
	assert_string_equal(after, before);
	free(after);
	char *screen_text = dump();
	assert_non_null(strstr(screen_text, "scrolled, 70 newer"));
	free(screen_text);
	/* The merged pane stays put too, with every process's lines arriving. */
	v.logmode = VIEW_LOG_ALL;
	view_scroll_logs(&r, &v, 5);
	view_draw(stdscr, &r, &v, 0);
	char *merged = pane_bottom();
	for (int i = 0; i < 40; i++) {
		replica_add_line(&r, "db", ts++, false, "db again");
		replica_add_line(&r, "worker:0", ts++, false, "worker again");
	}
	view_draw(stdscr, &r, &v, 0);
	after = pane_bottom();
	assert_string_equal(after, merged);
	free(after);
	free(merged);
	/* Following: the newest line at the bottom as lines come. */
	v.logmode = VIEW_LOG_SELECTED;
	view_follow(&r, &v, true);
	replica_add_line(&r, "api", ts++, false, "the newest");
	view_draw(stdscr, &r, &v, 0);
	after = pane_bottom();
	assert_non_null(strstr(after, "| the newest"));
	free(after);
	/* Home, then more lines than a process keeps: the oldest held page, not an empty pane. */
	view_scroll_logs(&r, &v, LONG_MAX / 2);
	view_draw(stdscr, &r, &v, 0);
	for (int i = 0; i < REPLICA_PROC_LINES; i++) {
		snprintf(text, sizeof(text), "flood %d", i);
		replica_add_line(&r, "api", ts++, false, text);
	}
	view_draw(stdscr, &r, &v, 0);
	screen_text = dump();
	assert_non_null(strstr(screen_text, "| flood 0\n"));
	free(screen_text);
	assert_false(v.follow);
	free(before);
	fixture_fini(&r, &v);
}

/* n and N step through the matches from the line shown, however many lines arrive meanwhile. */
static void
test_search_steps(void **state)
{
	(void)state;
	struct replica r;
	struct view v;
	char text[64];
	int64_t ts = busy_fixture(&r, &v);
	assert_true(view_set_search(&v, "ERROR number 1"));
	assert_true(view_search_next(&r, &v, 1));
	assert_string_equal(pane_line(&r, &v, "api", v.log_back), "ERROR number 19");
	assert_true(view_search_next(&r, &v, 1));
	assert_string_equal(pane_line(&r, &v, "api", v.log_back), "ERROR number 18");
	/* Lines arrive, some of them matches: n goes on to older ones, N back to newer ones, one at a time. */
	for (int i = 0; i < 50; i++) {
		snprintf(text, sizeof(text), i % 10 == 0 ? "ERROR number 1%02d" : "more %d", i);
		replica_add_line(&r, "api", ts++, false, text);
		if (i % 9 == 0)
			view_draw(stdscr, &r, &v, 0);
	}
	assert_true(view_search_next(&r, &v, 1));
	assert_string_equal(pane_line(&r, &v, "api", v.log_back), "ERROR number 17");
	assert_true(view_search_next(&r, &v, -1));
	assert_string_equal(pane_line(&r, &v, "api", v.log_back), "ERROR number 18");
	assert_true(view_search_next(&r, &v, -1));
	assert_string_equal(pane_line(&r, &v, "api", v.log_back), "ERROR number 19");
	assert_true(view_search_next(&r, &v, -1));
	assert_string_equal(pane_line(&r, &v, "api", v.log_back), "ERROR number 100");
	fixture_fini(&r, &v);
}

/* The detail view's tree: siblings under their parent, not a chain; cut to the room there is. */
static void
test_detail_tree(void **state)
{
	(void)state;
	struct replica r;
	struct view v;
	fixture_at(&r, &v, 43, 132, "api");
	detail(&r, &v);
	view_draw(stdscr, &r, &v, 0);
	char *s = dump();
	assert_non_null(strstr(s, "\ntree 103 sh\n     ├─ 110 python3\n     │  └─ 111 python3\n     └─ 112 awk\n"));
	free(s);
	/* 24 members on 80x24: three lines, the last counting the rest. */
	resize_term(24, 80);
	struct replica_detail *d = &r.detail;
	for (d->ntree = 4; d->ntree < 24; d->ntree++)
		d->tree[d->ntree] = (struct proc_member){(pid_t)(200 + d->ntree), 103, "worker"};
	v.utf8 = false;
	view_draw(stdscr, &r, &v, 0);
	s = dump();
	assert_non_null(strstr(s, "\ntree 103 sh\n     |- 110 python3\n     ... 22 more\n"));
	free(s);
	fixture_fini(&r, &v);
}

/* The banner's third line of the screen. */
static char *
banner_line(struct replica *r, struct view *v)
{
	view_draw(stdscr, r, v, 0);
	char *s = dump();
	char *line = strchr(strchr(s, '\n') + 1, '\n') + 1;
	*strchr(line, '\n') = '\0';
	char *out = strdup(line);
	free(s);
	return out;
}

/* The filters stay in sight while an alert, acknowledged or not, or the connection's state holds the banner. */
static void
test_banner_filters(void **state)
{
	(void)state;
	struct replica r;
	struct view v;
	fixture_at(&r, &v, 24, 80, "api");
	snprintf(v.group, sizeof(v.group), "jobs");
	assert_true(view_set_name_filter(&v, "^w"));
	char *b = banner_line(&r, &v);
	assert_non_null(strstr(b, "filter: @jobs /^w  (Esc clears)"));
	free(b);
	alerting(&r, &v);
	b = banner_line(&r, &v);
	assert_non_null(strstr(b, "CRITICAL: flaky: restarts"));
	assert_non_null(strstr(b, "│ filter: @jobs /^w"));
	free(b);
	for (size_t i = 0; i < r.nalerts; i++)
		r.alerts[i].acked = true;
	b = banner_line(&r, &v);
	assert_non_null(strstr(b, "(acknowledged)"));
	assert_non_null(strstr(b, "│ filter: @jobs /^w"));
	free(b);
	snprintf(v.status, sizeof(v.status), "engine gone (connection refused) — reconnecting");
	b = banner_line(&r, &v);
	assert_non_null(strstr(b, "engine gone"));
	assert_non_null(strstr(b, "│ filter: @jobs /^w"));
	free(b);
	fixture_fini(&r, &v);
}

/* The help says what q does in each mode: vigil up asks, monit and top leave. */
static void
test_help_modes(void **state)
{
	(void)state;
	struct replica r;
	struct view v;
	fixture_at(&r, &v, 24, 80, "api");
	v.help = true;
	v.owns_stack = true;
	view_draw(stdscr, &r, &v, 0);
	char *s = dump();
	assert_non_null(strstr(s, "quit (asks: stop the stack, or detach)"));
	free(s);
	v.owns_stack = false;
	view_draw(stdscr, &r, &v, 0);
	s = dump();
	assert_null(strstr(s, "stop the stack"));
	assert_non_null(strstr(s, "quit (the stack runs on)"));
	assert_non_null(strstr(s, "restart, stop, start the selected process"));
	free(s);
	v.host = true;
	view_draw(stdscr, &r, &v, 0);
	s = dump();
	assert_null(strstr(s, "stop the stack"));
	assert_non_null(strstr(s, "Keys (vigil top)"));
	free(s);
	fixture_fini(&r, &v);
}

/* Every sorted column shows its arrow; text columns get their room before the sparkline's spare width. */
static void
test_columns(void **state)
{
	(void)state;
	struct replica r;
	struct view v;
	fixture_at(&r, &v, 43, 132, "api");
	snprintf(r.procs[0].tags, sizeof(r.procs[0].tags), "web,python,critical");
	for (int s = VIEW_SORT_NAME; s < VIEW_SORT_COUNT; s++) {
		if (s == VIEW_SORT_THREADS)
			continue; /* vigil top's column only: below */
		v.sort = (enum view_sort)s;
		for (int d = 0; d < 2; d++) {
			v.desc = d;
			view_draw(stdscr, &r, &v, 0);
			char *text = dump();
			char *head = strstr(text, "\nNAME");
			assert_non_null(head);
			*strchr(head + 1, '\n') = '\0';
			if (strstr(head, d ? "▼" : "▲") == NULL)
				fail_msg("sort %d: no arrow in %s", s, head);
			free(text);
		}
	}
	char *text = dump();
	assert_non_null(strstr(text, " web,python,critical\n"));
	free(text);
	fixture_fini(&r, &v);
}

/* vigil top's tree: names indented, whole where the width allows. */
static void
test_top_tree_names(void **state)
{
	(void)state;
	resize_term(24, 160);
	struct replica r;
	top_replica(&r, "1 0 S 0.5 1048576 1 1795490000000 systemd\n"
	    "10 1 S 0.0 2097152 4 1795499000000 containerd-shim\n"
	    "11 10 S 0.0 1048576 1 1795499500000 gunicorn-worker\n"
	    "12 11 S 0.0 1048576 1 1795499600000 python3.11-conf\n"
	    "13 12 R 1.0 1048576 1 1795499600000 kube-apiserver1\n");
	struct view v;
	top_view(&v);
	v.tree = true;
	view_draw(stdscr, &r, &v, 1000);
	char *text = dump();
	assert_non_null(strstr(text, "      └ kube-apiserver1 "));
	free(text);
	view_fini(&v);
	replica_fini(&r);
}

/* True when a full block is drawn on row y between columns x0 and x1. */
static bool
full_block(int y, int x0, int x1)
{
	for (int x = x0; x < x1; x++) {
		cchar_t cc;
		wchar_t wc[CCHARW_MAX + 1];
		attr_t a;
		short pair;
		if (mvwin_wch(stdscr, y, x, &cc) == ERR || getcchar(&cc, wc, &a, &pair, NULL) == ERR)
			continue;
		if (wc[0] == L'█')
			return true;
	}
	return false;
}

/* The row where text starts on screen, -1 when it is not there. */
static int
row_of(const char *text)
{
	char *s = dump();
	const char *at = strstr(s, text);
	int y = -1;
	if (at != NULL) {
		y = 0;
		for (const char *p = s; p < at; p++)
			y += *p == '\n';
	}
	free(s);
	return y;
}

/* The detail charts squeeze the whole window into their width: an old spike shows, the scale is what is drawn. */
static void
test_charts(void **state)
{
	(void)state;
	struct replica r;
	struct view v;
	fixture_at(&r, &v, 43, 132, "api");
	v.detail = true;
	struct replica_detail *d = &r.detail;
	snprintf(d->name, sizeof(d->name), "api");
	/* Ten minutes at 1 s: CPU one 100 % second early on, memory high for the first five minutes. */
	for (int i = 0; i < REPLICA_DETAIL_POINTS; i++) {
		d->cpu[d->ncpu++] = i == 30 ? 100.0f : 1.0f;
		d->mem[d->nmem++] = (i < 300 ? 800.0f : 100.0f) * 1048576.0f;
		d->io[d->nio++] = i == 590 ? 4096.0f : 0.0f;
	}
	for (int i = 0; i < 288; i++) {
		d->cpu_day[d->ncpu_day++] = i == 3 ? 100.0f : 2.0f;
		d->mem_day[d->nmem_day++] = 100.0f * 1048576.0f;
		d->io_day[d->nio_day++] = 0;
	}
	d->span_ms = 599000;
	d->span_day_ms = 287 * 300000;
	view_draw(stdscr, &r, &v, 0);
	int y = row_of("CPU % (tree), 10 min");
	assert_true(y > 0);
	/* Charts of 42 columns at 0, 44 and 88: the spike and the high memory reach the top row. */
	assert_true(full_block(y + 1, 0, 42));
	assert_true(full_block(y + 1, 44, 86));
	assert_true(full_block(y + 1, 88, 132));
	int yd = row_of("CPU %, 24 h");
	assert_true(yd > y);
	assert_true(full_block(yd + 1, 0, 42));
	char *s = dump();
	assert_non_null(strstr(s, "800M"));
	free(s);
	/* A process 42 s old: its charts say 42 s, not the window they could hold. */
	d->ncpu = d->nmem = d->nio = 42;
	d->span_ms = 41000;
	d->ncpu_day = d->nmem_day = d->nio_day = 0;
	d->span_day_ms = 0;
	view_draw(stdscr, &r, &v, 0);
	assert_true(row_of("CPU % (tree), 42s") > 0);
	assert_true(row_of("memory (tree), 42s") > 0);
	assert_int_equal(row_of("10 min"), -1);
	fixture_fini(&r, &v);
}

static void
test_clean(void **state)
{
	(void)state;
	char out[256];
	view_clean("\033[1;31mred\033[0m plain", out, sizeof(out));
	assert_string_equal(out, "red plain");
	view_clean("\033]0;title\007after", out, sizeof(out));
	assert_string_equal(out, "after");
	view_clean("\033]8;;http://x\033\\link\033]8;;\033\\", out, sizeof(out));
	assert_string_equal(out, "link");
	view_clean("a\rb\rc", out, sizeof(out));
	assert_string_equal(out, "c");
	view_clean("ends\r", out, sizeof(out));
	assert_string_equal(out, "ends");
	view_clean("tab\there\x01\x7f", out, sizeof(out));
	assert_string_equal(out, "tab here??");
	view_clean("caf\xc3\xa9 \xff\xfe ok", out, sizeof(out));
	assert_string_equal(out, "caf\xc3\xa9 ?? ok");
	view_clean("\033[", out, sizeof(out)); /* cut off mid-sequence */
	assert_string_equal(out, "");
	/* Bounded: a long line is cut, and the result is terminated. */
	char big[1000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(view_clean(big, out, 10), 9);
	assert_int_equal(strlen(out), 9);
}

static void
test_rows_and_selection(void **state)
{
	(void)state;
	struct replica r;
	fixture(&r);
	struct view v;
	view_init(&v);
	size_t rows[16];
	assert_int_equal(view_rows(&r, &v, rows, 16), 6);
	snprintf(v.selected, sizeof(v.selected), "api");
	/* Sorting by CPU moves rows; the selection stays on api; replicas stay together. */
	snprintf(r.procs[3].process, sizeof(r.procs[3].process), "worker");
	snprintf(r.procs[4].process, sizeof(r.procs[4].process), "worker");
	v.sort = VIEW_SORT_CPU;
	v.desc = true;
	assert_int_equal(view_rows(&r, &v, rows, 16), 6);
	assert_string_equal(r.procs[rows[0]].name, "worker:0");
	assert_string_equal(r.procs[rows[1]].name, "worker:1"); /* 0 % CPU, yet beside its sibling */
	assert_string_equal(view_selected(&r, &v)->name, "api");
	view_move(&r, &v, 1);
	assert_string_equal(v.selected, "db");
	view_move(&r, &v, INT_MIN);
	assert_string_equal(v.selected, "worker:0");
	view_move(&r, &v, INT_MAX);
	view_move(&r, &v, 5);
	assert_string_equal(view_selected(&r, &v)->name, r.procs[rows[5]].name);
	/* Sorting by health puts the unhealthy first; by group, alphabetically ("" first). */
	v.sort = VIEW_SORT_HEALTH;
	v.desc = false;
	view_rows(&r, &v, rows, 16);
	assert_string_equal(r.procs[rows[0]].name, "flaky");
	v.sort = VIEW_SORT_GROUP;
	view_rows(&r, &v, rows, 16);
	assert_string_equal(r.procs[rows[0]].group, "");
	assert_string_equal(r.procs[rows[1]].group, "jobs");
	v.sort = VIEW_SORT_CPU;
	v.desc = true;
	/* Filters: a tag, a group, a name regex; the selection moves to a shown row. */
	snprintf(v.tag, sizeof(v.tag), "data");
	assert_int_equal(view_rows(&r, &v, rows, 16), 2);
	v.tag[0] = '\0';
	assert_true(view_set_name_filter(&v, "^worker"));
	assert_int_equal(view_rows(&r, &v, rows, 16), 2);
	assert_true(strncmp(view_selected(&r, &v)->name, "worker", 6) == 0);
	assert_false(view_set_name_filter(&v, "(unclosed"));
	assert_true(view_set_name_filter(&v, ""));
	assert_int_equal(view_rows(&r, &v, rows, 16), 6);
	/* Search walks back through the selected process's lines. */
	snprintf(v.selected, sizeof(v.selected), "api");
	assert_true(view_set_search(&v, "timeout"));
	assert_true(view_search_next(&r, &v, 1));
	assert_false(v.follow);
	size_t first = v.log_back;
	assert_true(view_search_next(&r, &v, 1));
	assert_true(v.log_back > first);
	assert_true(view_search_next(&r, &v, -1));
	assert_int_equal(v.log_back, first);
	assert_true(view_set_search(&v, "no such text"));
	assert_false(view_search_next(&r, &v, 1));
	fixture_fini(&r, &v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_top),
		cmocka_unit_test(test_top_threads),
		cmocka_unit_test(test_top_counts),
		cmocka_unit_test(test_regions),
		cmocka_unit_test(test_quiet_beside_chatty),
		cmocka_unit_test(test_long_names),
		cmocka_unit_test(test_log_scroll),
		cmocka_unit_test(test_search_steps),
		cmocka_unit_test(test_detail_tree),
		cmocka_unit_test(test_charts),
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_top_tree_names),
		cmocka_unit_test(test_help_modes),
		cmocka_unit_test(test_banner_filters),
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_rows_and_selection),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
