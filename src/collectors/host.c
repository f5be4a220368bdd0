/*
 * host — owns libproc2's meminfo and stat contexts and copies their
 * results out at once (libproc2 reuses its result storage on the next
 * read). CPU percentages come from libproc2's own tick deltas between
 * consecutive reaps (the first one's: since boot).
 *
 * libproc2 is loaded with dlopen by the first host_reader_new: it brings
 * libsystemd and what that links (libgcrypt, liblzma, libzstd, liblz4,
 * libcap), 2.7 ms of CPU to load and relocate at every start of the
 * program here — every `vigil status` paid it, for a library only the
 * engine's sampler and `vigil top` use.
 */
#include "collectors/host.h"

#include <dlfcn.h>
#include <errno.h>
#include <libproc2/meminfo.h>
#include <libproc2/misc.h>
#include <libproc2/stat.h>
#include <stdlib.h>
#include <string.h>

/* libproc2's functions, once loaded. */
static struct {
	void *lib; /* the dlopen handle; NULL until loaded */
	int (*meminfo_new)(struct meminfo_info **info);
	int (*meminfo_unref)(struct meminfo_info **info);
	struct meminfo_result *(*meminfo_get)(struct meminfo_info *info, enum meminfo_item item);
	int (*stat_new)(struct stat_info **info);
	int (*stat_unref)(struct stat_info **info);
	struct stat_reaped *(*stat_reap)(struct stat_info *info, enum stat_reap_type what,
	    enum stat_item *items, int numitems);
	int (*loadavg)(double *av1, double *av5, double *av15);
	int (*uptime)(double *uptime_secs, double *idle_secs);
} host_lib;

/* Loads libproc2 (once); 0, or -1 with errno ELIBACC. */
static int
host_lib_load(void)
{
	if (host_lib.lib != NULL)
		return 0;
	void *lib = dlopen("libproc2.so.0", RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL) {
		errno = ELIBACC;
		return -1;
	}
	static const char *const names[] = {
		"procps_meminfo_new", "procps_meminfo_unref", "procps_meminfo_get", "procps_stat_new",
		"procps_stat_unref", "procps_stat_reap", "procps_loadavg", "procps_uptime",
	};
	void **slots[] = {
		(void **)&host_lib.meminfo_new, (void **)&host_lib.meminfo_unref,
		(void **)&host_lib.meminfo_get, (void **)&host_lib.stat_new,
		(void **)&host_lib.stat_unref, (void **)&host_lib.stat_reap,
		(void **)&host_lib.loadavg, (void **)&host_lib.uptime,
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		*slots[i] = dlsym(lib, names[i]);
		if (*slots[i] == NULL) {
			dlclose(lib);
			memset(&host_lib, 0, sizeof(host_lib));
			errno = ELIBACC;
			return -1;
		}
	}
	host_lib.lib = lib;
	return 0;
}

struct host_reader {
	struct meminfo_info *meminfo; /* owned (libproc2 reference) */
	struct stat_info *stat;       /* owned (libproc2 reference) */
};

/* The stat items: PROC_HOST_* index them. */
static enum stat_item host_stat_items[] = {STAT_TIC_SUM_DELTA_BUSY, STAT_TIC_SUM_DELTA_TOTAL};
enum { HOST_BUSY, HOST_TOTAL };

struct host_reader *
host_reader_new(void)
{
	if (host_lib_load() < 0)
		return NULL;
	struct host_reader *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	int rc = host_lib.meminfo_new(&r->meminfo);
	if (rc >= 0)
		rc = host_lib.stat_new(&r->stat);
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
		host_lib.meminfo_unref(&r->meminfo);
	if (r->stat != NULL)
		host_lib.stat_unref(&r->stat);
	free(r);
}

/* One meminfo item in bytes (libproc2 reports KiB); 0 when unavailable. */
static uint64_t
host_kib(struct host_reader *r, enum meminfo_item item)
{
	struct meminfo_result *res = host_lib.meminfo_get(r->meminfo, item);
	return res != NULL ? (uint64_t)res->result.ul_int * 1024 : 0;
}

/* Busy ticks over total ticks as a percentage; -1 (unknown) when no tick passed. */
static double
host_pct(struct stat_stack *st)
{
	long busy = STAT_VAL(HOST_BUSY, sl_int, st, NULL);
	long total = STAT_VAL(HOST_TOTAL, sl_int, st, NULL);
	if (total <= 0 || busy < 0)
		return -1;
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
	int rc = host_lib.loadavg(&out->load[0], &out->load[1], &out->load[2]);
	if (rc < 0) {
		errno = -rc;
		return false;
	}
	double idle;
	rc = host_lib.uptime(&out->uptime_s, &idle);
	if (rc < 0) {
		errno = -rc;
		return false;
	}
	struct stat_reaped *st = host_lib.stat_reap(r->stat, STAT_REAP_CPUS_ONLY, host_stat_items, 2);
	if (st == NULL) {
		errno = EIO;
		return false;
	}
	/* Deltas since the last read; the first read's, since the reader was made a
	 * moment ago, hold no tick: unknown until the next one, not a made-up 0. */
	out->cpu = host_pct(st->summary);
	int n = st->cpus->total < MODEL_MAX_CORES ? st->cpus->total : MODEL_MAX_CORES;
	out->ncores = n;
	for (int i = 0; i < n; i++)
		out->core_cpu[i] = host_pct(st->cpus->stacks[i]);
	return true;
}
