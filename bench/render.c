/*
 * render — the dashboard's cost per frame: a replica of N processes (each
 * with metrics and a CPU history) whose log pane follows a process writing
 * LINES lines per frame (10,000 lines a second at the default one frame a
 * second), drawn with view_draw and sent to a terminal that is /dev/null
 * (curses still computes and writes every change). Prints the CPU time per
 * frame: drawing alone, and drawing plus taking in the lines.
 *
 *   render N [FRAMES] [LINES] [COLS ROWS]
 *
 * With RENDER_SCROLL=K it then scrolls the log pane up K times by one line
 * (from 1000 lines back; RENDER_ALL=1 for the merged pane), each step
 * drawn, and prints the CPU per step as a fourth figure.
 *
 * Built by bench/render.sh against build-bench's libraries.
 */
#include <curses.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ui/replica.h"
#include "ui/theme.h"
#include "ui/view.h"

static double
cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int
main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100;
	int frames = argc > 2 ? atoi(argv[2]) : 50;
	int lines = argc > 3 ? atoi(argv[3]) : 10000;
	int cols = argc > 5 ? atoi(argv[4]) : 200, rows = argc > 5 ? atoi(argv[5]) : 60;
	setlocale(LC_ALL, "C.UTF-8");
	FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
	SCREEN *scr = newterm("xterm-256color", out, in);
	if (scr == NULL)
		return 1;
	resize_term(rows, cols);
	theme_init(true);
	struct replica r;
	replica_init(&r);
	snprintf(r.stack, sizeof(r.stack), "bench");
	r.procs = calloc((size_t)n, sizeof(*r.procs));
	r.capprocs = (size_t)n;
	for (int i = 0; i < n; i++) {
		struct replica_proc *p = &r.procs[r.nprocs++];
		snprintf(p->name, sizeof(p->name), "proc-%d", i);
		snprintf(p->state, sizeof(p->state), i % 17 == 0 ? "backoff" : "running");
		snprintf(p->health, sizeof(p->health), "unknown");
		snprintf(p->group, sizeof(p->group), "g%d", i % 5);
		snprintf(p->tags, sizeof(p->tags), "t%d,web", i % 3);
		p->pid = 1000 + i;
		p->uptime_ms = 60000;
		p->has_metrics = true;
		p->m.tree_cpu = p->m.cpu = (double)(i % 100);
		p->m.tree_rss = p->m.rss = (uint64_t)(i + 1) << 20;
		p->present = true;
	}
	r.host = (struct model_host){.at_ms = 1, .cpu = 40, .ncores = 2, .core_cpu = {40, 40},
	    .mem_total = 1ULL << 34, .mem_available = 1ULL << 33, .load = {1, 1, 1}};
	struct view v;
	view_init(&v);
	v.utf8 = true;
	snprintf(v.selected, sizeof(v.selected), "proc-0");
	double draw = 0, total = 0;
	char text[128];
	long seq = 0;
	for (int f = 0; f < frames; f++) {
		double t0 = cpu_ms();
		/* What arrives between two frames: lines, and one sample per process. */
		for (int k = 0; k < lines; k++) {
			snprintf(text, sizeof(text), "GET /api/items/%ld 200 in 3ms \033[32mok\033[0m", seq++);
			replica_add_line(&r, "proc-0", 1795500000000LL + seq, false, text);
		}
		for (int i = 0; i < n; i++) {
			struct replica_proc *p = &r.procs[i];
			p->hist[(p->hist_head + p->nhist) % REPLICA_HIST] = (float)((f + i) % 100);
			if (p->nhist < REPLICA_HIST)
				p->nhist++;
			else
				p->hist_head = (p->hist_head + 1) % REPLICA_HIST;
		}
		double t1 = cpu_ms();
		view_draw(stdscr, &r, &v, f * 1000);
		wnoutrefresh(stdscr);
		doupdate();
		double t2 = cpu_ms();
		if (f > 0) { /* the first frame paints everything */
			draw += t2 - t1;
			total += t2 - t0;
		}
	}
	/* RENDER_SCROLL=K: K steps of one line up through the log pane, from 1000 lines back, each drawn. */
	const char *sc = getenv("RENDER_SCROLL");
	double scroll = 0;
	int steps = sc != NULL ? atoi(sc) : 0;
	if (steps > 0) {
		v.logmode = getenv("RENDER_ALL") != NULL ? VIEW_LOG_ALL : VIEW_LOG_SELECTED;
		view_scroll_logs(&r, &v, 1000);
		double t0 = cpu_ms();
		for (int k = 0; k < steps; k++) {
			view_scroll_logs(&r, &v, 1);
			view_draw(stdscr, &r, &v, frames * 1000);
			wnoutrefresh(stdscr);
			doupdate();
		}
		scroll = (cpu_ms() - t0) / steps;
	}
	endwin();
	delscreen(scr);
	if (steps > 0)
		printf("%d %.3f %.3f %.3f\n", n, draw / (frames - 1), total / (frames - 1), scroll);
	else
		printf("%d %.3f %.3f\n", n, draw / (frames - 1), total / (frames - 1));
	view_fini(&v);
	replica_fini(&r);
	return 0;
}
