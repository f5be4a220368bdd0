/*
 * theme — the dashboard's colours: a fixed palette of curses colour pairs,
 * and a stable colour for each process name so a process keeps its colour
 * across runs and machines.
 */
#ifndef VIGIL_UI_THEME_H
#define VIGIL_UI_THEME_H

#include <stdbool.h>

#define THEME_NAME_COLORS 6 /* distinct colours for process names */

/* What a piece of the screen is; each has one attribute, in colour or not. */
enum theme_role {
	THEME_TITLE,     /* the header's stack name */
	THEME_DIM,       /* secondary text: units, stamps, separators */
	THEME_GOOD,      /* running, completed, healthy */
	THEME_WARN,      /* starting, backoff, stopping, exited */
	THEME_BAD,       /* fatal, failed, unhealthy, stderr marks */
	THEME_IDLE,      /* pending, stopped, disabled */
	THEME_SELECTED,  /* the selected row */
	THEME_COLUMNS,   /* the table's header line */
	THEME_MATCH,     /* a search match in the log pane */
	THEME_BAR,       /* filled part of a meter */
	THEME_KEY,       /* a key in the footer */
	THEME_ALERT_INFO, THEME_ALERT_WARNING, THEME_ALERT_CRITICAL,
	THEME_ROLES,
};

/*
 * Sets up colour pairs once curses is running; with color false (NO_COLOR,
 * a monochrome terminal) roles fall back to bold, reverse and dim. False
 * when colour was wanted but the terminal has none.
 */
bool theme_init(bool color);
/* The curses attributes for a role. */
int theme_attr(enum theme_role role);
/* The role for a process state name ("running", "fatal" …) or health ("healthy" …). */
enum theme_role theme_state_role(const char *state);
/* The palette slot (0 .. THEME_NAME_COLORS-1) for a process name. */
int theme_name_slot(const char *name);
/* The ANSI escape that colours a process name in line output (the same colours). */
const char *theme_name_ansi(const char *name);
/* The curses attribute (colour pair) for a process name; 0 without colour. */
int theme_name_attr(const char *name);

#endif
