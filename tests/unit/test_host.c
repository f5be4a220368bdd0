/*
 * test_host — the host collector against the kernel's own numbers in /proc.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collectors/host.h"

/* A /proc/meminfo field in bytes, read directly. */
static uint64_t
meminfo_field(const char *name)
{
	FILE *f = fopen("/proc/meminfo", "r");
	assert_non_null(f);
	char line[256];
	unsigned long long kib = 0;
	size_t n = strlen(name);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, name, n) == 0 && line[n] == ':')
			sscanf(line + n + 1, "%llu", &kib);
	fclose(f);
	return (uint64_t)kib * 1024;
}

static void
test_host_matches_proc(void **state)
{
	(void)state;
	struct host_reader *r = host_reader_new();
	assert_non_null(r);
	struct model_host s;
	assert_true(host_read(r, &s));
	assert_int_equal(s.mem_total, meminfo_field("MemTotal"));
	assert_int_equal(s.swap_total, meminfo_field("SwapTotal"));
	/* Available moves; it stays within the total. */
	assert_true(s.mem_available > 0 && s.mem_available <= s.mem_total);
	assert_true(s.load[0] >= 0 && s.load[1] >= 0 && s.load[2] >= 0);
	double up = 0;
	FILE *f = fopen("/proc/uptime", "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%lf", &up), 1);
	fclose(f);
	assert_true(s.uptime_s > 0 && s.uptime_s <= up + 1.0 && s.uptime_s >= up - 60.0);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	assert_int_equal(s.ncores, cores);
	/* A second read works on the same context; with a core kept busy in
	 * between, the CPU figures are deltas that show it. */
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	volatile unsigned long spin = 0;
	do {
		for (int i = 0; i < 100000; i++)
			spin++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < 300);
	assert_true(host_read(r, &s));
	/* One busy core of `cores`: at least most of 100/cores percent overall. */
	assert_true(s.cpu >= 80.0 / (double)cores);
	assert_true(s.cpu <= 100.0);
	double max = 0;
	for (int i = 0; i < s.ncores; i++) {
		assert_true(s.core_cpu[i] >= 0 && s.core_cpu[i] <= 100.0);
		if (s.core_cpu[i] > max)
			max = s.core_cpu[i];
	}
	assert_true(max >= 40.0); /* the spinning thread may move between cores */
	host_reader_free(r);
	host_reader_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_matches_proc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
