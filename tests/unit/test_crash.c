/*
 * test_crash — the crash report folder: a report written whole under its
 * name, listing in time order and by process, and the two bounds (per
 * process, total bytes) trimming the oldest first.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/crash.h"

#define T0 1795500000000LL

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vigil-crash-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void
test_store_and_list(void **state)
{
	(void)state;
	char sub[128], id[256];
	snprintf(sub, sizeof(sub), "%s/crashes", dir); /* made on first use */
	struct crash_folder *f = crash_folder_new(sub);
	assert_non_null(f);
	assert_string_equal(crash_folder_dir(f), sub);
	assert_int_equal(crash_store(f, "api", T0 + 1234, "{\"a\":1}", 10, 1 << 20, id, sizeof(id)), 0);
	assert_string_equal(id, "api-20261124T060001.234Z");
	assert_int_equal(crash_store(f, "worker:1", T0 + 5000, "{}", 10, 1 << 20, id, sizeof(id)), 0);
	assert_int_equal(crash_store(f, "api", T0 + 3000, "{\"b\":2}", 10, 1 << 20, id, sizeof(id)), 0);
	struct crash_entry *v;
	long n = crash_list(sub, NULL, &v);
	assert_int_equal(n, 3);
	/* Oldest first, whatever order the names sort in. */
	assert_string_equal(v[0].name, "api");
	assert_int_equal(v[0].ts_ms, T0 + 1234);
	assert_string_equal(v[1].name, "api");
	assert_string_equal(v[2].name, "worker:1");
	assert_int_equal(v[0].bytes, 7);
	free(v);
	n = crash_list(sub, "worker:1", &v);
	assert_int_equal(n, 1);
	free(v);
	/* No temporary file is left behind. */
	char tmp[300];
	snprintf(tmp, sizeof(tmp), "%s/.api-20261124T060001.234Z.tmp", sub);
	assert_int_equal(access(tmp, F_OK), -1);
	/* keep 0 writes nothing; a missing folder lists as ENOENT. */
	assert_int_equal(crash_store(f, "db", T0, "{}", 0, 1 << 20, id, sizeof(id)), 0);
	crash_folder_free(f);
	n = crash_list(sub, "db", &v);
	assert_int_equal(n, 0);
	free(v);
	snprintf(tmp, sizeof(tmp), "%s/nowhere", dir);
	assert_int_equal(crash_list(tmp, NULL, &v), -1);
	assert_int_equal(errno, ENOENT);
}

static void
test_bounds(void **state)
{
	(void)state;
	char sub[128], id[256];
	snprintf(sub, sizeof(sub), "%s/bounds", dir);
	struct crash_folder *f = crash_folder_new(sub);
	/* At most 3 per process: the oldest go; another process is untouched. */
	for (int i = 0; i < 6; i++)
		assert_int_equal(crash_store(f, "loop", T0 + i * 1000, "{}", 3, 1 << 20, id, sizeof(id)), 0);
	assert_int_equal(crash_store(f, "other", T0, "{}", 3, 1 << 20, id, sizeof(id)), 0);
	crash_folder_free(f);
	struct crash_entry *v;
	long n = crash_list(sub, "loop", &v);
	assert_int_equal(n, 3);
	assert_int_equal(v[0].ts_ms, T0 + 3000);
	free(v);
	assert_int_equal(crash_list(sub, "other", &v), 1);
	free(v);
	/* A total bound: 1000-byte reports under a 2500-byte cap keep the two newest. */
	char big[1001];
	memset(big, 'x', 1000);
	big[1000] = '\0';
	snprintf(sub, sizeof(sub), "%s/size", dir);
	f = crash_folder_new(sub);
	for (int i = 0; i < 5; i++)
		assert_int_equal(crash_store(f, "p", T0 + i * 1000, big, 100, 2500, id, sizeof(id)), 0);
	n = crash_list(sub, NULL, &v);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].ts_ms, T0 + 3000);
	free(v);
	crash_folder_free(f);
	/* A folder that cannot be made: -1 with errno, nothing else happens. */
	f = crash_folder_new("/proc/vigil-no/crashes");
	assert_int_equal(crash_store(f, "p", T0, "{}", 3, 1 << 20, id, sizeof(id)), -1);
	crash_folder_free(f);
}

/* How many reports of name the folder holds (from the folder, not an index). */
static long
count(const char *sub, const char *name)
{
	struct crash_entry *v;
	long n = crash_list(sub, name, &v);
	free(v);
	return n;
}

/*
 * A later run (a new folder object) finds reports of an earlier one: its
 * first report brings every process within the bounds; reports removed by
 * hand are skipped; the bounds hold at every later report without the
 * folder being listed again.
 */
static void
test_earlier_run(void **state)
{
	(void)state;
	char sub[128], id[256], path[400];
	snprintf(sub, sizeof(sub), "%s/again", dir);
	struct crash_folder *f = crash_folder_new(sub);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(crash_store(f, "loop", T0 + i * 1000, "{}", 10, 1 << 20, id, sizeof(id)), 0);
		assert_int_equal(crash_store(f, "quiet", T0 + i * 1000 + 1, "{}", 10, 1 << 20, id, sizeof(id)), 0);
	}
	crash_folder_free(f);
	assert_int_equal(count(sub, "loop"), 5);

	f = crash_folder_new(sub);
	assert_int_equal(crash_store(f, "other", T0 + 9000, "{}", 3, 1 << 20, id, sizeof(id)), 0);
	assert_int_equal(count(sub, "loop"), 3);
	assert_int_equal(count(sub, "quiet"), 3);
	assert_int_equal(count(sub, "other"), 1);
	struct crash_entry *v;
	assert_int_equal(crash_list(sub, "loop", &v), 3);
	assert_int_equal(v[0].ts_ms, T0 + 2000);
	free(v);

	/* The oldest "loop" removed by hand: the next reports still keep at most 3, newest kept. */
	snprintf(path, sizeof(path), "%s/loop-20261124T060002.000Z.json", sub);
	assert_int_equal(unlink(path), 0);
	for (int i = 10; i < 14; i++)
		assert_int_equal(crash_store(f, "loop", T0 + i * 1000, "{}", 3, 1 << 20, id, sizeof(id)), 0);
	assert_int_equal(crash_list(sub, "loop", &v), 3);
	assert_int_equal(v[0].ts_ms, T0 + 11000);
	assert_int_equal(v[2].ts_ms, T0 + 13000);
	free(v);
	assert_int_equal(count(sub, "quiet"), 3);
	/* A reload lowers the bound: the next report trims every process, not only its own. */
	assert_int_equal(crash_store(f, "other", T0 + 20000, "{}", 2, 1 << 20, id, sizeof(id)), 0);
	assert_int_equal(count(sub, "quiet"), 2);
	assert_int_equal(count(sub, "loop"), 2);
	assert_int_equal(crash_store(f, "loop", T0 + 21000, "{}", 3, 1 << 20, id, sizeof(id)), 0);
	/* Two reports in the same millisecond: one file, counted once. */
	assert_int_equal(crash_store(f, "loop", T0 + 21000, "{\"x\":1}", 3, 1 << 20, id, sizeof(id)), 0);
	assert_int_equal(count(sub, "loop"), 3);
	crash_folder_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_and_list),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_earlier_run),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
