/*
 * view — the dashboard's screen drawn from a replica: header (stack, counts
 * by state, host CPU and memory meters, load, clock), a banner line, the
 * process table (sortable, filtered by tag, group or name, with a CPU
 * sparkline per row), the log pane (the selected process or all of them,
 * follow mode, search with highlighted matches) and a footer of the keys
 * that apply. Also the help and detail overlays, a one-line prompt, and a
 * clear message when the terminal is too small. It only draws: keys are
 * tui.c's; the view's state is a plain record both share.
 */
#ifndef VIGIL_UI_VIEW_H
#define VIGIL_UI_VIEW_H

#include <curses.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ui/replica.h"

#define VIEW_MIN_COLS 80
#define VIEW_MIN_ROWS 24

enum view_logmode { VIEW_LOG_SELECTED, VIEW_LOG_ALL, VIEW_LOG_HIDDEN };

/* Sortable columns, in the order F and < > cycle through them. */
enum view_sort {
	VIEW_SORT_NONE,   /* the engine's order: dependency order */
	VIEW_SORT_NAME, VIEW_SORT_STATE, VIEW_SORT_PID, VIEW_SORT_CPU, VIEW_SORT_MEM,
	VIEW_SORT_RESTARTS, VIEW_SORT_UPTIME, VIEW_SORT_HEALTH, VIEW_SORT_GROUP, VIEW_SORT_TAGS,
	VIEW_SORT_THREADS, /* vigil top's THR */
	VIEW_SORT_COUNT,
};

struct view {
	/* the table */
	char selected[96];         /* key of the selected row; kept across sorts and refreshes */
	bool picked;               /* the user moved the selection (vigil top follows the first row until then) */
	size_t top;                /* first row shown */
	enum view_sort sort;
	bool desc;
	bool own;                  /* the process alone instead of its tree */
	bool tree;                 /* host mode: children under their parent, indented */
	char tag[64];              /* filter: "" = none */
	char group[64];
	char name_src[128];        /* filter: a regex over names, "" = none */
	regex_t name_re;
	bool has_name_re;
	/* the log pane */
	enum view_logmode logmode;
	bool follow;               /* stick to the newest line */
	size_t log_back;           /* lines scrolled up from the newest (when not following) */
	/*
	 * The bottom line shown while not following, so the pane stays on it as
	 * lines arrive or old ones are dropped (log_back is found again from it
	 * before each use; a line that is gone: its place by time).
	 */
	struct {
		uintptr_t text;            /* the line's text pointer (compared, never read) */
		int64_t ts_ms;
		uint64_t seq;
		uint16_t name;
		bool set;
	} log_at;
	bool focus_logs;           /* Tab: keys scroll the log pane */
	char search_src[128];      /* "" = none */
	regex_t search_re;
	bool has_search;
	/* overlays and lines */
	bool help;
	bool detail;
	char prompt[200];          /* a question or an input line; "" = none */
	char input[128];           /* what is typed after the prompt */
	bool input_mode;           /* the prompt reads text (filters, search) */
	char message[200];         /* the result of the last action */
	int64_t message_until;     /* monotonic ms */
	bool message_bad;
	/* environment */
	bool utf8;                 /* block characters and ▸; ASCII otherwise */
	bool host;                 /* vigil top: its keys in the footer and the help */
	bool owns_stack;           /* vigil up: q asks whether to stop the stack (monit: q leaves) */
	const char *title;         /* "vigil" */
	char status[96];           /* connection state shown in the header ("engine gone — reconnecting") */
	int64_t clock_ms;          /* realtime shown in the header; 0 = now */
};

void view_init(struct view *v);
void view_fini(struct view *v);

/* Screen regions, redrawn separately when only some changed. */
#define VIEW_REGION_HEADER 0x1u  /* header, meters, banner */
#define VIEW_REGION_TABLE 0x2u   /* the table (and the log pane below it, which moves with it) */
#define VIEW_REGION_LOGS 0x4u
#define VIEW_REGION_FOOTER 0x8u
#define VIEW_REGION_ALL 0xfu

/* Draws everything into w (its size decides the layout). now_ms: monotonic, for uptimes and messages. */
void view_draw(WINDOW *w, const struct replica *r, struct view *v, int64_t now_ms);
/* Draws only the regions named (VIEW_REGION_*); overlays draw everything. */
void view_draw_regions(WINDOW *w, const struct replica *r, struct view *v, int64_t now_ms,
    unsigned regions);

/*
 * The rows the table shows now (filters and sort applied): indexes into
 * r->procs, at most cap; returns how many.
 */
size_t view_rows(const struct replica *r, const struct view *v, size_t *out, size_t cap);
/* Moves the selection by delta rows (clamped), or to the first/last with INT_MIN/INT_MAX. */
void view_move(const struct replica *r, struct view *v, int delta);
/* The selected process, or NULL when the table is empty. */
const struct replica_proc *view_selected(const struct replica *r, struct view *v);
/* Sets a filter regex (names) or a search regex (logs); false with a message for a bad one. */
bool view_set_name_filter(struct view *v, const char *src);
bool view_set_search(struct view *v, const char *src);
/*
 * Scrolls the log pane to the next older (dir 1, n) or newer (-1, N) line
 * matching the search, counted from the bottom line shown; false when none.
 */
bool view_search_next(const struct replica *r, struct view *v, int dir);
/*
 * Scrolls the log pane by delta lines (up > 0, clamped to the oldest held);
 * reaching the newest line follows again. While scrolled, the lines shown
 * stay put as new ones arrive.
 */
void view_scroll_logs(const struct replica *r, struct view *v, long delta);
/* Follow mode on (the newest line at the bottom), or off (the pane holds the lines it shows). */
void view_follow(const struct replica *r, struct view *v, bool on);
/* Shows a message in the footer for a few seconds. */
void view_say(struct view *v, int64_t now_ms, bool bad, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * A line of captured output made safe for the screen: ANSI escape
 * sequences removed, a progress line's \r keeps only what follows the last
 * \r, tabs become spaces, other control bytes and invalid UTF-8 become '?'.
 * Returns the length written (out is NUL-terminated).
 */
size_t view_clean(const char *in, char *out, size_t size);

#endif
