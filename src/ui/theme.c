/*
 * theme — owns the colour pairs it sets up in curses.
 */
#include "ui/theme.h"

#include <curses.h>
#include <stdint.h>

/* Pairs 1..THEME_NAME_COLORS are the process-name colours. */
static const short theme_name_fg[THEME_NAME_COLORS] = {
	COLOR_CYAN, COLOR_GREEN, COLOR_YELLOW, COLOR_MAGENTA, COLOR_BLUE, COLOR_RED,
};

/* The same colours as escapes, for `vigil up` and `vigil logs` lines. */
static const char *const theme_name_esc[THEME_NAME_COLORS] = {
	"\033[36m", "\033[32m", "\033[33m", "\033[35m", "\033[34m", "\033[31m",
};

static bool theme_has_color;

bool
theme_init(void)
{
	theme_has_color = false;
	if (!has_colors() || start_color() == ERR)
		return false;
	use_default_colors();
	for (int i = 0; i < THEME_NAME_COLORS; i++)
		init_pair((short)(i + 1), theme_name_fg[i], -1);
	theme_has_color = true;
	return true;
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
