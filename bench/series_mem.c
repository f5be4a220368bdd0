/*
 * series_mem — what the metric history (core/series) costs a stack of 100
 * processes: 100 series fed 24 hours of samples at 1 s (±3 ms of jitter),
 * then the memory they hold, the CPU time of series_add per call and of
 * series_fine for 600 points (and series_coarse for 288 buckets).
 *
 *   series_mem          an idle process: the same six values at every sample
 *   series_mem busy     values that change at every sample (CPU %, RSS in
 *                       pages, I/O rates: random within their ranges)
 *
 * Prints, after 10 minutes (the fine rings full) and after 24 hours, the
 * VmRSS growth since before series_new (the series and the allocator's
 * pages) and the heap in use (mallinfo2: what malloc hands out; 0 for the
 * fixed rings, which were one mmap per series); then the sum of
 * series_bytes and the CPU times (CLOCK_PROCESS_CPUTIME_ID). The add loop's
 * time includes making the samples: a few ns idle, three random() calls
 * busy.
 *
 * Built from the sources, against this tree's series.c or an older one
 * (the fixed rings: the last commit before the streams), from the top of
 * the tree:
 *
 *   cc -O2 -D_GNU_SOURCE -Isrc bench/series_mem.c src/core/series.c -lm -o /tmp/series_mem
 *   git show a8b5c90:src/core/series.c > /tmp/series_fixed.c
 *   cc -O2 -D_GNU_SOURCE -Isrc bench/series_mem.c /tmp/series_fixed.c -lm -o /tmp/series_mem_fixed
 *   /tmp/series_mem; /tmp/series_mem_fixed; /tmp/series_mem busy; /tmp/series_mem_fixed busy
 */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/series.h"

#define NSERIES 100
#define SAMPLES (24 * 3600)
#define T0 1795512000437LL /* a realtime 437 ms past a 5-minute mark */

/* This process's resident set, in bytes (VmRSS). */
static long
mem_rss(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return kib * 1024;
}

/* Bytes malloc has handed out and not had back. */
static size_t
mem_heap(void)
{
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}

/* CPU time of this process, in ns. */
static double
mem_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Sample i of process k: constant when idle, otherwise new values in each metric's range. */
static void
mem_sample(int busy, int k, double v[SERIES_METRICS])
{
	if (!busy) {
		const double idle[SERIES_METRICS] = {0.25, 0.5, 7340032, 25165824 + 4096.0 * k, 0, 0};
		memcpy(v, idle, sizeof(idle));
		return;
	}
	uint64_t r = (uint64_t)random() << 33 ^ (uint64_t)random() << 11 ^ (uint64_t)random();
	v[SERIES_CPU] = (double)(r % 10000) / 97;
	v[SERIES_TREE_CPU] = v[SERIES_CPU] + (double)(r >> 16 & 0xff) / 13;
	v[SERIES_RSS] = 4096.0 * (double)(20000 + (r >> 24 & 0x3ff));
	v[SERIES_TREE_RSS] = v[SERIES_RSS] + 4096.0 * (double)(r >> 34 & 0xfff);
	v[SERIES_IO_READ] = (double)(r >> 46 & 0xffff) * 1000.0 / (997 + (double)(r & 7));
	v[SERIES_IO_WRITE] = (double)(r >> 40 & 0xfff) * 4096.0 / (1.0 + (double)(r & 3) / 1000);
}

int
main(int argc, char **argv)
{
	int busy = argc > 1 && strcmp(argv[1], "busy") == 0;
	srandom(1);
	static struct series *s[NSERIES];
	/* Warm-up, so that the growth below is the series' alone: the code's
	 * pages, stdio's buffers and the allocator's first heap are in before. */
	struct series *w = series_new(1000);
	for (int64_t i = 0; i < 700; i++) {
		double v[SERIES_METRICS];
		mem_sample(busy, 0, v);
		series_add(w, T0 + i * 1000, v);
	}
	series_free(w);
	mem_rss();
	printf("%s, %d series, 24 h at 1 s\n", busy ? "busy" : "idle", NSERIES);
	long rss0 = mem_rss();
	size_t heap0 = mem_heap();
	for (int k = 0; k < NSERIES; k++)
		if ((s[k] = series_new(1000)) == NULL)
			return 1;

	double cpu0 = mem_cpu_ns();
	for (int64_t i = 0; i < SAMPLES; i++) {
		int64_t t = T0 + i * 1000 + random() % 7 - 3;
		for (int k = 0; k < NSERIES; k++) {
			double v[SERIES_METRICS];
			mem_sample(busy, k, v);
			series_add(s[k], t, v);
		}
		if (i == 600) /* the fine rings are full (not timed: a few reads) */
			printf("  after 10 min      VmRSS growth %ld bytes, heap in use %zu\n",
			    mem_rss() - rss0, mem_heap() - heap0);
	}
	double add_ns = (mem_cpu_ns() - cpu0) / ((double)SAMPLES * NSERIES);

	size_t bytes = 0;
	for (int k = 0; k < NSERIES; k++)
		bytes += series_bytes(s[k]);
	printf("  after 24 h:\n");
	printf("  VmRSS growth      %ld bytes (%.0f per series)\n", mem_rss() - rss0,
	    (double)(mem_rss() - rss0) / NSERIES);
	printf("  heap in use       %zu bytes (%.0f per series)\n", mem_heap() - heap0,
	    (double)(mem_heap() - heap0) / NSERIES);
	printf("  series_bytes sum  %zu bytes (%.0f per series)\n", bytes, (double)bytes / NSERIES);
	printf("  series_add        %.1f ns per call\n", add_ns);

	static struct series_point pts[SERIES_FINE_MAX];
	static struct series_bucket bks[SERIES_BUCKETS];
	const int reads = 20000;
	size_t n = 0;
	cpu0 = mem_cpu_ns();
	for (int r = 0; r < reads; r++)
		n += series_fine(s[r % NSERIES], SERIES_RSS, INT64_MIN, pts, 600);
	printf("  series_fine       %.2f us per call (%zu points)\n",
	    (mem_cpu_ns() - cpu0) / reads / 1000, n / reads);
	n = 0;
	cpu0 = mem_cpu_ns();
	for (int r = 0; r < reads; r++)
		n += series_coarse(s[r % NSERIES], SERIES_RSS, INT64_MIN, bks, SERIES_BUCKETS);
	printf("  series_coarse     %.2f us per call (%zu buckets)\n",
	    (mem_cpu_ns() - cpu0) / reads / 1000, n / reads);

	for (int k = 0; k < NSERIES; k++)
		series_free(s[k]);
	return 0;
}
