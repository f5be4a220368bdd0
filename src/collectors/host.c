/*
 * host — owns libproc2's meminfo and stat contexts and copies their
 * results out at once (libproc2 reuses its result storage on the next
 * read). CPU percentages come from libproc2's own tick deltas between
 * consecutive reaps.
 */
#include "collectors/host.h"

#include <errno.h>
#include <libproc2/meminfo.h>
#include <libproc2/misc.h>
#include <libproc2/stat.h>
#include <stdlib.h>

struct host_reader {
	struct meminfo_info *meminfo; /* owned (libproc2 reference) */
	struct stat_info *stat;       /* owned (libproc2 reference) */
	bool primed;                  /* a first reap was done: deltas mean something */
};

/* The stat items: PROC_HOST_* index them. */
static enum stat_item host_stat_items[] = {STAT_TIC_SUM_DELTA_BUSY, STAT_TIC_SUM_DELTA_TOTAL};
enum { HOST_BUSY, HOST_TOTAL };

struct host_reader *
host_reader_new(void)
{
	struct host_reader *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	int rc = procps_meminfo_new(&r->meminfo);
	if (rc >= 0)
		rc = procps_stat_new(&r->stat);
	if (rc < 0) {
		host_reader_free(r);
		errno = -rc;
		return NULL;
	}
	return r;
}

void
host_reader_free(struct host_reader *r)
{
	if (r == NULL)
		return;
	if (r->meminfo != NULL)
		procps_meminfo_unref(&r->meminfo);
	if (r->stat != NULL)
		procps_stat_unref(&r->stat);
	free(r);
}

/* One meminfo item in bytes (libproc2 reports KiB); 0 when unavailable. */
static uint64_t
host_kib(struct host_reader *r, enum meminfo_item item)
{
	struct meminfo_result *res = procps_meminfo_get(r->meminfo, item);
	return res != NULL ? (uint64_t)res->result.ul_int * 1024 : 0;
}

/* Busy ticks over total ticks as a percentage; 0 when no time passed. */
static double
host_pct(struct stat_stack *st)
{
	long busy = STAT_VAL(HOST_BUSY, sl_int, st, NULL);
	long total = STAT_VAL(HOST_TOTAL, sl_int, st, NULL);
	if (total <= 0 || busy < 0)
		return 0;
	return 100.0 * (double)busy / (double)total;
}

bool
host_read(struct host_reader *r, struct model_host *out)
{
	out->mem_total = host_kib(r, MEMINFO_MEM_TOTAL);
	out->mem_available = host_kib(r, MEMINFO_MEM_AVAILABLE);
	out->swap_total = host_kib(r, MEMINFO_SWAP_TOTAL);
	out->swap_free = host_kib(r, MEMINFO_SWAP_FREE);
	if (out->mem_total == 0) {
		errno = EIO;
		return false;
	}
	int rc = procps_loadavg(&out->load[0], &out->load[1], &out->load[2]);
	if (rc < 0) {
		errno = -rc;
		return false;
	}
	double idle;
	rc = procps_uptime(&out->uptime_s, &idle);
	if (rc < 0) {
		errno = -rc;
		return false;
	}
	struct stat_reaped *st = procps_stat_reap(r->stat, STAT_REAP_CPUS_ONLY, host_stat_items, 2);
	if (st == NULL) {
		errno = EIO;
		return false;
	}
	out->cpu = r->primed ? host_pct(st->summary) : 0;
	int n = st->cpus->total < MODEL_MAX_CORES ? st->cpus->total : MODEL_MAX_CORES;
	out->ncores = n;
	for (int i = 0; i < n; i++)
		out->core_cpu[i] = r->primed ? host_pct(st->cpus->stacks[i]) : 0;
	r->primed = true;
	return true;
}
