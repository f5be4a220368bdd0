/*
 * test_user — `user:` values against the user and group databases: names,
 * numbers with and without entries (as under systemd: a bare uid's group is
 * the same number, its home "/"), and what is not found.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "core/user.h"

static void
test_names_and_numbers(void **state)
{
	(void)state;
	const struct passwd *pw = getpwuid(0);
	assert_non_null(pw);
	char home[PATH_MAX], name[64];
	snprintf(home, sizeof(home), "%s", pw->pw_dir);
	snprintf(name, sizeof(name), "%s", pw->pw_name);
	struct user_ids ids;
	/* By name and by uid, the same entry. */
	assert_int_equal(user_resolve(name, &ids), USER_FOUND);
	assert_true(ids.known);
	assert_int_equal(ids.uid, 0);
	assert_int_equal(ids.gid, 0);
	assert_string_equal(ids.home, home);
	assert_int_equal(user_resolve("0", &ids), USER_FOUND);
	assert_string_equal(ids.name, name);
	/* A number without an entry: its own group, home "/". */
	assert_null(getpwuid(54321));
	assert_int_equal(user_resolve("54321", &ids), USER_FOUND);
	assert_false(ids.known);
	assert_int_equal(ids.uid, 54321);
	assert_int_equal(ids.gid, 54321);
	assert_string_equal(ids.name, "54321");
	assert_string_equal(ids.home, "/");
	assert_string_equal(ids.shell, "/bin/sh");
	/* The group after ':', by number (no entry needed) or by name. */
	assert_int_equal(user_resolve("54321:54322", &ids), USER_FOUND);
	assert_int_equal(ids.gid, 54322);
	const struct group *gr = getgrgid(0);
	assert_non_null(gr);
	char spec[128];
	snprintf(spec, sizeof(spec), "54321:%s", gr->gr_name);
	assert_int_equal(user_resolve(spec, &ids), USER_FOUND);
	assert_int_equal(ids.gid, 0);
}

static void
test_not_found(void **state)
{
	(void)state;
	struct user_ids ids;
	assert_int_equal(user_resolve("no-such-user-xyz", &ids), USER_NO_USER);
	assert_int_equal(user_resolve("no-such-user-xyz:0", &ids), USER_NO_USER);
	assert_int_equal(user_resolve("0:no-such-group-xyz", &ids), USER_NO_GROUP);
	/* (id_t)-1 means "no change" to the kernel: not an id. */
	assert_int_equal(user_resolve("4294967295", &ids), USER_NO_USER);
	assert_int_equal(user_resolve("99999999999", &ids), USER_NO_USER);
	assert_int_equal(user_resolve("0:4294967295", &ids), USER_NO_GROUP);
	assert_int_equal(user_resolve("-1", &ids), USER_NO_USER);
	char longname[300];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(user_resolve(longname, &ids), USER_NO_USER);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_and_numbers),
		cmocka_unit_test(test_not_found),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
