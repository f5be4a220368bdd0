/*
 * cgroup — the machine's cgroup layout and the acting side of it: where the
 * engine may put a supervised process, how to limit its memory and CPU,
 * how to kill everything it started (setsid'ed and double-forked
 * descendants included), and where its accounting can be read.
 *
 * Discovery reads ROOT/proc/self/cgroup and ROOT/proc/self/mountinfo and
 * looks at the cgroup filesystems where mountinfo says they are (under
 * ROOT): ROOT is "/" in the engine and a fixture tree in tests. It handles
 * cgroup v2, v1 (one hierarchy per controller or co-mounted) and hybrid
 * machines; a machine where nothing is writable is mode none, which the
 * caller treats as "no cgroups" (ppid tree and rlimits only).
 *
 * A group is <own cgroup>/vigil/<stack>/<proc> in each hierarchy it needs:
 * one for placement and kill, one each for the memory and CPU limits and
 * for CPU and memory accounting (often the same hierarchy serves several).
 * The spawned child moves itself in by writing "0" to each cgroup.procs.
 */
#ifndef VIGIL_CORE_CGROUP_H
#define VIGIL_CORE_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The machine's layout; none = nothing usable (no mount, or read-only). */
enum cg_mode { CG_MODE_NONE = 0, CG_MODE_V1, CG_MODE_V2, CG_MODE_HYBRID };

/* The file format of one hierarchy. */
enum cg_ver { CG_VER_NONE = 0, CG_VER_V1 = 1, CG_VER_V2 = 2 };

/* What a hierarchy is used for. */
enum cg_role {
	CG_ROLE_PLACE = 0, /* placement and kill: cgroup.procs, cgroup.kill */
	CG_ROLE_MEM_LIMIT, /* v2 memory.max, v1 memory.limit_in_bytes */
	CG_ROLE_CPU_LIMIT, /* v2 cpu.max, v1 cpu.cfs_quota_us */
	CG_ROLE_CPU_ACCT,  /* v2 cpu.stat usage_usec, v1 cpuacct.usage */
	CG_ROLE_MEM_ACCT,  /* v2 memory.current + memory.events, v1 memory.usage_in_bytes + memory.oom_control */
	CG_NROLES
};

struct cg_limits {
	int64_t memory_bytes;  /* 0 = none */
	int cpu_percent_x100;  /* 0 = none; 5000 = 50% of one core, 20000 = 2 cores */
};

struct cg_env;
struct cg_group;

/* ---- discovery --------------------------------------------------------- */

/*
 * The layout seen from root ("" or NULL = the real "/"). Never fails: for
 * lack of cgroups the env is in mode none with a reason (like strbuf, the
 * module aborts when memory runs out).
 */
struct cg_env *cg_env_new(const char *root);
/* Frees; every group made from e must be freed first. NULL is fine. */
void cg_env_free(struct cg_env *e);
enum cg_mode cg_env_mode(const struct cg_env *e);
/* "none", "v1", "v2", "hybrid". */
const char *cg_mode_name(enum cg_mode m);
/*
 * One line for `vigil check` and `vigil status`, e.g.
 * "cgroup hybrid: placement+kill v2 /sys/fs/cgroup/unified; memory limit v1;
 * cpu limit v1; accounting: cpu v2, memory v1" or "cgroup none:
 * /sys/fs/cgroup is read-only (ppid tree and rlimits only)". Paths are as
 * the machine names them (without root). Borrowed from e.
 */
const char *cg_env_describe(const struct cg_env *e);
/*
 * The engine's own cgroup directory (root + mount point + own path below
 * the mount's root) in the hierarchy serving role, and its format in *ver
 * (may be NULL). NULL (and CG_VER_NONE) when nothing serves the role.
 * Borrowed from e.
 */
const char *cg_env_role_dir(const struct cg_env *e, enum cg_role role, enum cg_ver *ver);
/*
 * The engine's own cgroup directory in the hierarchy with controller ctrl
 * ("memory", "cpuacct", "name=systemd"; "" = the unified v2 one), whether
 * or not it is writable. NULL when there is no such mounted hierarchy.
 */
const char *cg_env_own_dir(const struct cg_env *e, const char *ctrl);

/* ---- a group ----------------------------------------------------------- */

/*
 * Makes <own>/vigil/<stack>/<proc> in each hierarchy the env uses and
 * writes the limits (lim may be NULL = none). When <own>/vigil/<stack>
 * already holds a live process that is not this env's (another engine runs
 * a stack of that name), vigil/<stack>@<engine pid> is used instead. An
 * existing empty leaf is reused (its limits are reset). NULL with a message
 * in err when not even placement could be made (the caller then runs the
 * process without a cgroup). On success err holds "" or a warning about
 * what could not be done ("memory limit not set: …").
 * e must outlive the group.
 */
struct cg_group *cg_group_new(struct cg_env *e, const char *stack, const char *proc,
    const struct cg_limits *lim, char *err, size_t err_size);
/*
 * Writes new limits (0 = none, which also lifts an earlier one). False
 * with a message when one could not be written or no hierarchy serves it.
 */
bool cg_group_set_limits(struct cg_group *g, const struct cg_limits *lim, char *err,
    size_t err_size);
/*
 * cgroup.procs of every directory of the group (O_WRONLY|O_CLOEXEC) into
 * fds (at most cap); the spawned child writes "0" to each before exec to
 * move itself in. Opened at the first call and kept by the group (a
 * restart opens nothing) unless the descriptor table is getting full: the
 * caller does not close them, and calls cg_group_procs_done once the child
 * has them. The count, or -1 with errno.
 */
int cg_group_procs_fds(struct cg_group *g, int *fds, size_t cap);
/* After a spawn: closes those of cg_group_procs_fds the group does not keep. */
void cg_group_procs_done(struct cg_group *g);
/*
 * Opens dir and takes a shared lock on it (flock), which tells another
 * engine the directory is in use: an engine holds one on its stack's
 * directory while it claims it, the guardian on the parents of the
 * directories it tracks until it has emptied them. The descriptor
 * (close-on-exec; closing it lets go), or -1 with errno.
 */
int cg_lock_dir(const char *dir);
/*
 * Kills every process in the group: 1 to cgroup.kill where the kernel has
 * it, otherwise SIGKILL to every pid in the placement directory's
 * cgroup.procs (and its subdirectories), for a bounded number of rounds
 * since a fork can race. Does not wait. 0 or -1 with errno.
 */
int cg_group_kill(const struct cg_group *g);
/* Sends sig to every process in the group (placement hierarchy); 0 or -1 with errno. */
int cg_group_signal(const struct cg_group *g, int sig);
/* OOM kills counted in the group's memory hierarchy (memory.events or memory.oom_control); -1 when unknown. */
int64_t cg_group_oom_kills(struct cg_group *g);
/* True when no process is left in the group (placement cgroup.procs empty, subdirectories too). */
bool cg_group_empty(struct cg_group *g);
/* The directories of the group (at most CG_NROLES), placement first; returns how many there are (may exceed cap). Borrowed. */
size_t cg_group_dirs(const struct cg_group *g, const char **out, size_t cap);
/* The group's directory serving role and its format in *ver (may be NULL); NULL when none. Borrowed. */
const char *cg_group_dir(const struct cg_group *g, enum cg_role role, enum cg_ver *ver);
/*
 * Removes the group's directories (rmdir: the leaf, then vigil/<stack> and
 * vigil when empty; failures are ignored) and frees. NULL is fine.
 */
void cg_group_free(struct cg_group *g);

/*
 * For the guardian, with nothing but a directory: 1 to dir/cgroup.kill when
 * it exists, otherwise SIGKILL to every pid in dir/cgroup.procs and its
 * subdirectories, in bounded rounds. Never signals the caller itself. 0 or
 * -1 with errno (ENOENT when dir is gone).
 */
int cg_dir_kill(const char *dir);
/* Calls fn for every live process in dir and its subdirectories (nonzero stops); 0, fn's nonzero, or -1 with errno. */
int cg_dir_walk(const char *dir, int (*fn)(pid_t pid, void *arg), void *arg);
/* True when no live process is in dir or its subdirectories (or dir is gone). */
bool cg_dir_empty(const char *dir);

#endif
