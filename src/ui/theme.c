/*
 * theme — owns the colour pairs it sets up in curses.
 */
#include "ui/theme.h"

#include <curses.h>
#include <stdint.h>
#include <string.h>

/* Pairs 1..THEME_NAME_COLORS are the process-name colours. */
static const short theme_name_fg[THEME_NAME_COLORS] = {
	COLOR_CYAN, COLOR_GREEN, COLOR_YELLOW, COLOR_MAGENTA, COLOR_BLUE, COLOR_RED,
};

/* The same colours as escapes, for `vigil up` and `vigil logs` lines. */
static const char *const theme_name_esc[THEME_NAME_COLORS] = {
	"\033[36m", "\033[32m", "\033[33m", "\033[35m", "\033[34m", "\033[31m",
};

static bool theme_has_color;

/* The one table of the screen's looks: colour (pair foreground, extra attributes) and the monochrome fallback. */
static const struct {
	short fg, bg;
	int attr;       /* added to the colour pair */
	int mono;       /* without colour */
} theme_roles[THEME_ROLES] = {
	[THEME_TITLE] = {COLOR_CYAN, -1, A_BOLD, A_BOLD},
	[THEME_DIM] = {-1, -1, A_DIM, A_DIM},
	[THEME_GOOD] = {COLOR_GREEN, -1, 0, 0},
	[THEME_WARN] = {COLOR_YELLOW, -1, 0, A_BOLD},
	[THEME_BAD] = {COLOR_RED, -1, A_BOLD, A_BOLD | A_UNDERLINE},
	[THEME_IDLE] = {-1, -1, A_DIM, A_DIM},
	[THEME_SELECTED] = {COLOR_BLACK, COLOR_CYAN, 0, A_REVERSE},
	[THEME_COLUMNS] = {COLOR_BLACK, COLOR_GREEN, 0, A_REVERSE},
	[THEME_MATCH] = {COLOR_BLACK, COLOR_YELLOW, 0, A_REVERSE},
	[THEME_BAR] = {COLOR_GREEN, -1, A_BOLD, A_BOLD},
	[THEME_KEY] = {COLOR_BLACK, COLOR_CYAN, 0, A_REVERSE},
	[THEME_ALERT_INFO] = {COLOR_BLACK, COLOR_BLUE, 0, A_REVERSE},
	[THEME_ALERT_WARNING] = {COLOR_BLACK, COLOR_YELLOW, 0, A_REVERSE},
	[THEME_ALERT_CRITICAL] = {COLOR_WHITE, COLOR_RED, A_BOLD, A_REVERSE | A_BOLD},
};

#define THEME_ROLE_PAIR0 (THEME_NAME_COLORS + 1) /* pairs after the name colours */

bool
theme_init(bool color)
{
	theme_has_color = false;
	if (!color)
		return true;
	if (!has_colors() || start_color() == ERR)
		return false;
	use_default_colors();
	for (int i = 0; i < THEME_NAME_COLORS; i++)
		init_pair((short)(i + 1), theme_name_fg[i], -1);
	for (int r = 0; r < THEME_ROLES; r++)
		init_pair((short)(THEME_ROLE_PAIR0 + r), theme_roles[r].fg, theme_roles[r].bg);
	theme_has_color = true;
	return true;
}

int
theme_attr(enum theme_role role)
{
	if ((int)role < 0 || role >= THEME_ROLES)
		return 0;
	if (!theme_has_color)
		return theme_roles[role].mono;
	return (int)COLOR_PAIR(THEME_ROLE_PAIR0 + (int)role) | theme_roles[role].attr;
}

enum theme_role
theme_state_role(const char *s)
{
	static const struct {
		const char *name;
		enum theme_role role;
	} map[] = {
		{"running", THEME_GOOD}, {"completed", THEME_GOOD}, {"healthy", THEME_GOOD},
		{"starting", THEME_WARN}, {"backoff", THEME_WARN}, {"stopping", THEME_WARN},
		{"exited", THEME_WARN}, {"fatal", THEME_BAD}, {"failed", THEME_BAD},
		{"unhealthy", THEME_BAD}, {"zombie", THEME_BAD}, {"disk-wait", THEME_WARN},
		{"traced", THEME_WARN},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].name, s) == 0)
			return map[i].role;
	return THEME_IDLE;
}

int
theme_name_slot(const char *name)
{
	/* FNV-1a: stable across runs and machines, unlike pointer hashes. */
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	return (int)(h % THEME_NAME_COLORS);
}

const char *
theme_name_ansi(const char *name)
{
	return theme_name_esc[theme_name_slot(name)];
}

int
theme_name_attr(const char *name)
{
	if (!theme_has_color)
		return 0;
	return (int)COLOR_PAIR(theme_name_slot(name) + 1);
}
