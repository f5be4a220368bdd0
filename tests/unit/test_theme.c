/*
 * test_theme — process-name colours are stable and spread, and colour pairs
 * are set up on a real (off-screen) curses terminal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "ui/theme.h"

static void
test_slots(void **state)
{
	(void)state;
	/* Fixed values: a process keeps its colour across runs and machines. */
	assert_int_equal(theme_name_slot("api"), theme_name_slot("api"));
	int counts[THEME_NAME_COLORS] = {0};
	char name[16];
	for (int i = 0; i < 600; i++) {
		snprintf(name, sizeof(name), "proc%d", i);
		int s = theme_name_slot(name);
		assert_true(s >= 0 && s < THEME_NAME_COLORS);
		counts[s]++;
	}
	for (int i = 0; i < THEME_NAME_COLORS; i++)
		assert_true(counts[i] > 50); /* roughly even: 100 each expected */
	assert_int_equal(theme_name_attr("api"), 0); /* no colour before init */
	/* Line output colours a name like the screen does: one escape per slot. */
	assert_string_equal(theme_name_ansi("proc1"), theme_name_ansi("proc1"));
	for (int i = 0; i < 60; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		for (int k = 0; k < 60; k++) {
			char other[16];
			snprintf(other, sizeof(other), "p%d", k);
			bool same_slot = theme_name_slot(name) == theme_name_slot(other);
			assert_int_equal(same_slot, strcmp(theme_name_ansi(name), theme_name_ansi(other)) == 0);
		}
	}
}

static void
test_init_on_terminal(void **state)
{
	(void)state;
	FILE *out = fopen("/dev/null", "w");
	FILE *in = fopen("/dev/null", "r");
	SCREEN *scr = newterm("xterm-256color", out, in);
	assert_non_null(scr);
	assert_true(theme_init(true));
	short fg, bg;
	int slot = theme_name_slot("db");
	assert_int_equal(pair_content((short)(slot + 1), &fg, &bg), OK);
	assert_int_equal(theme_name_attr("db"), (int)COLOR_PAIR(slot + 1));
	/* Every role has a colour pair of its own; states map to roles. */
	for (int r = 0; r < THEME_ROLES; r++)
		assert_true((theme_attr((enum theme_role)r) & A_COLOR) != 0);
	assert_int_equal(theme_state_role("running"), THEME_GOOD);
	assert_int_equal(theme_state_role("fatal"), THEME_BAD);
	assert_int_equal(theme_state_role("backoff"), THEME_WARN);
	assert_int_equal(theme_state_role("pending"), THEME_IDLE);
	/* Without colour (NO_COLOR): no pairs, but the selection and columns still stand out. */
	assert_true(theme_init(false));
	assert_int_equal(theme_name_attr("db"), 0);
	assert_int_equal(theme_attr(THEME_SELECTED) & A_COLOR, 0);
	assert_true((theme_attr(THEME_SELECTED) & A_REVERSE) != 0);
	assert_true((theme_attr(THEME_BAD) & A_BOLD) != 0);
	endwin();
	delscreen(scr);
	fclose(out);
	fclose(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slots),
		cmocka_unit_test(test_init_on_terminal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
