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
	assert_int_equal(crash_store(sub, "api", T0 + 1234, "{\"a\":1}", 10, 1 << 20, id, sizeof(id)), 0);
	assert_string_equal(id, "api-20261124T060001.234Z");
	assert_int_equal(crash_store(sub, "worker:1", T0 + 5000, "{}", 10, 1 << 20, id, sizeof(id)), 0);
	assert_int_equal(crash_store(sub, "api", T0 + 3000, "{\"b\":2}", 10, 1 << 20, id, sizeof(id)), 0);
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
	assert_int_equal(crash_store(sub, "db", T0, "{}", 0, 1 << 20, id, sizeof(id)), 0);
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
	/* At most 3 per process: the oldest go; another process is untouched. */
	for (int i = 0; i < 6; i++)
		assert_int_equal(crash_store(sub, "loop", T0 + i * 1000, "{}", 3, 1 << 20, id, sizeof(id)), 0);
	assert_int_equal(crash_store(sub, "other", T0, "{}", 3, 1 << 20, id, sizeof(id)), 0);
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
	for (int i = 0; i < 5; i++)
		assert_int_equal(crash_store(sub, "p", T0 + i * 1000, big, 100, 2500, id, sizeof(id)), 0);
	n = crash_list(sub, NULL, &v);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].ts_ms, T0 + 3000);
	free(v);
	/* A folder that cannot be made: -1 with errno, nothing else happens. */
	assert_int_equal(crash_store("/proc/vigil-no/crashes", "p", T0, "{}", 3, 1 << 20, id, sizeof(id)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_and_list),
		cmocka_unit_test(test_bounds),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
