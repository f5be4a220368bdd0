/*
 * theme — the dashboard's colours: a fixed palette of curses colour pairs,
 * and a stable colour for each process name so a process keeps its colour
 * across runs and machines.
 */
#ifndef VIGIL_UI_THEME_H
#define VIGIL_UI_THEME_H

#include <stdbool.h>

#define THEME_NAME_COLORS 6 /* distinct colours for process names */

/* Sets up colour pairs once curses is running; false when the terminal has no colour. */
bool theme_init(void);
/* The palette slot (0 .. THEME_NAME_COLORS-1) for a process name. */
int theme_name_slot(const char *name);
/* The ANSI escape that colours a process name in line output (the same colours). */
const char *theme_name_ansi(const char *name);
/* The curses attribute (colour pair) for a process name; 0 without colour. */
int theme_name_attr(const char *name);

#endif
