/*
 * cgstat — what a process's cgroup has cost: CPU time, memory in use and
 * OOM kills, read from the group's accounting files (v2 cpu.stat,
 * memory.current, memory.events; v1 cpuacct.usage, memory.usage_in_bytes,
 * memory.oom_control). Only reads; the group itself belongs to core/cgroup.
 */
#ifndef VIGIL_COLLECTORS_CGSTAT_H
#define VIGIL_COLLECTORS_CGSTAT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/cgroup.h"

struct cgstat {
	bool has_cpu;
	uint64_t cpu_usec;   /* CPU time used by the group since it was made, microseconds */
	bool has_mem;
	uint64_t mem_bytes;  /* memory charged to the group now, bytes (page cache included) */
	bool has_oom;
	uint64_t oom_kills;  /* processes the OOM killer killed in the group */
};

/* Where to read (collectors get it from a group; tests point it at fixture files). */
struct cgstat_src {
	const char *cpu_dir;   /* borrowed; NULL = no CPU accounting */
	enum cg_ver cpu_ver;   /* v2: cpu.stat usage_usec; v1: cpuacct.usage (ns) */
	const char *mem_dir;   /* borrowed; NULL = no memory accounting */
	enum cg_ver mem_ver;   /* v2: memory.current, memory.events; v1: memory.usage_in_bytes, memory.oom_control */
};

/* Reads src into *out (unread items have has_* false); false when nothing could be read. */
bool cgstat_read_src(const struct cgstat_src *src, struct cgstat *out);
/* cgstat_read_src on the group's accounting directories. */
bool cgstat_read(const struct cg_group *g, struct cgstat *out);

/*
 * The group's CPU counter as a descriptor to keep and re-read every sweep
 * (cpu.stat or cpuacct.usage): -1 when it has none. The caller closes it.
 */
int cgstat_cpu_open(const struct cg_group *g, enum cg_ver *ver);
/* The same for a directory of format ver (a group's parent: the whole stack). */
int cgstat_cpu_open_dir(const char *dir, enum cg_ver ver);
/* Reads the counter through fd (from the start); false when it cannot. */
bool cgstat_cpu_read(int fd, enum cg_ver ver, uint64_t *usec);

/*
 * The group's members: its placement directory's cgroup.procs as a
 * descriptor to keep and re-read; -1 when it has none. The caller closes it.
 */
int cgstat_procs_open(const struct cg_group *g);
/*
 * Reads the pids in the group through fd (from the start) into out, sorted
 * and without repeats. Returns how many there are; when that exceeds cap,
 * out holds nothing useful and the caller reads again with room for them.
 * -1 with errno.
 */
ssize_t cgstat_procs_read(int fd, pid_t *out, size_t cap);

#endif
