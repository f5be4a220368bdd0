/*
 * host — owns a libproc2 meminfo context and copies its results out at once
 * (libproc2 reuses its result storage on the next read).
 */
#include "collectors/host.h"

#include <errno.h>
#include <libproc2/meminfo.h>
#include <libproc2/misc.h>
#include <stdlib.h>

struct host_reader {
	struct meminfo_info *meminfo; /* owned (libproc2 reference) */
};

struct host_reader *
host_reader_new(void)
{
	struct host_reader *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	int rc = procps_meminfo_new(&r->meminfo);
	if (rc < 0) {
		free(r);
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
	procps_meminfo_unref(&r->meminfo);
	free(r);
}

/* One meminfo item in bytes (libproc2 reports KiB); 0 when unavailable. */
static uint64_t
host_kib(struct host_reader *r, enum meminfo_item item)
{
	struct meminfo_result *res = procps_meminfo_get(r->meminfo, item);
	return res != NULL ? (uint64_t)res->result.ul_int * 1024 : 0;
}

bool
host_read(struct host_reader *r, struct host_sample *out)
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
	return true;
}
