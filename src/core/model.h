/*
 * model — the public face of a supervised process: plain records the
 * supervisor owns and updates, and everything else (the headless printer,
 * the control socket, the dashboard) reads, const.
 */
#ifndef VIGIL_CORE_MODEL_H
#define VIGIL_CORE_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct spec_process;
struct series;
struct cJSON;

/* The states of DESIGN.md; see supervisor.c for the transitions. */
enum proc_state {
	PROC_DISABLED,
	PROC_PENDING,   /* waiting for its dependencies */
	PROC_STARTING,  /* spawned, its ready probe has not passed yet */
	PROC_RUNNING,   /* ready */
	PROC_STOPPING,  /* stop signal sent, waiting for the exit */
	PROC_STOPPED,   /* stopped on request */
	PROC_EXITED,    /* exited and will not be restarted */
	PROC_BACKOFF,   /* exited; restarts when its delay ends */
	PROC_FATAL,     /* restarted too often */
	PROC_COMPLETED, /* a oneshot or cleanup that exited 0 */
	PROC_FAILED,    /* a oneshot or cleanup that did not */
	PROC_STATE_COUNT,
};

enum proc_health { HEALTH_UNKNOWN, HEALTH_HEALTHY, HEALTH_UNHEALTHY };

/*
 * What a process costs, as of the last sample (the collectors write it
 * through sv_set_metrics). "tree" figures cover the process and every
 * descendant; tree CPU comes from its cgroup when it has one (exact, dead
 * children included), from the ppid tree otherwise.
 */
struct proc_metrics {
	int64_t at_ms;           /* realtime of the sample; 0 = none while this instance ran */
	double cpu;              /* % of one core, the process alone */
	double tree_cpu;         /* % of one core, the process and its descendants */
	uint64_t rss;            /* bytes, the process alone */
	uint64_t tree_rss;       /* bytes, summed over the tree */
	int threads, tree_threads;
	int fds, tree_fds;       /* open descriptors; -1 = unknown */
	double io_read;          /* bytes/s read from storage by the tree; < 0 = unknown */
	double io_write;         /* bytes/s written to storage by the tree; < 0 = unknown */
	int tree_procs;          /* processes in the tree, itself included */
	char kstate;             /* the kernel's state letter: R, S, D, Z, T …; 0 = unknown */
	bool cgroup;             /* tree CPU and memory from a cgroup */
	int64_t cg_memory;       /* bytes charged to its cgroup (page cache included); -1 = none */
	int64_t oom_kills;       /* OOM kills in its cgroup; -1 = unknown */
};

/* One health check's result (the last MODEL_HEALTH_LOG are kept). */
#define MODEL_HEALTH_LOG 20
struct proc_check {
	int64_t at_ms;            /* realtime */
	bool ok;
	char detail[96];          /* "http 200 in 4.1ms", "no output for 12000ms" */
};

#define MODEL_EXIT_LOG 10

/* One member of a process's tree, as the last sample saw it (for crash reports). */
#define MODEL_TREE_MAX 32
struct proc_member {
	pid_t pid, ppid;
	char comm[16];
};

#define MODEL_MAX_CORES 256

/* The machine as a whole, as of the last sample. */
struct model_host {
	int64_t at_ms;           /* realtime of the sample; 0 = none yet */
	double cpu;              /* % of all cores together (100 = all busy) */
	int ncores;              /* entries in core_cpu (at most MODEL_MAX_CORES) */
	double core_cpu[MODEL_MAX_CORES]; /* % of each core */
	uint64_t mem_total, mem_available, swap_total, swap_free; /* bytes */
	double load[3];          /* 1, 5, 15 minutes */
	double uptime_s;
	int procs;               /* processes on the host */
};

struct proc_info {
	const char *name;                 /* "api", or "worker:1" for a replica */
	const struct spec_process *spec;  /* borrowed from the spec */
	int replica;                      /* 0 … replicas-1 */
	enum proc_state state;
	enum proc_health health;
	bool selected;                    /* takes part in this run: named by `up NAME…` (or
	                                     none named), a dependency of one, or started since */
	pid_t pid;                        /* also the process group; 0 when not running */
	int restarts;                     /* restarts since the engine started */
	int last_status;                  /* waitpid status of the last exit; -1 = none yet */
	int64_t since_ms;                 /* realtime of the last state change */
	int64_t started_ms;               /* realtime of the last spawn; 0 = never */
	char reason[192];                 /* why it is in this state ("waiting: db is fatal") */
	struct proc_metrics metrics;      /* zeroed at each spawn */
	/* Rings made at their first entry (NULL until then: most instances
	 * have no health check, and many never end), owned by the supervisor. */
	struct proc_check *checks;        /* health results, MODEL_HEALTH_LOG from check_head */
	int nchecks, check_head;
	struct proc_check *exits;         /* how its last runs ended (ok = clean), MODEL_EXIT_LOG from exit_head */
	int nexits, exit_head;
	const struct series *history;     /* owned by the supervisor; NULL when out of memory */
};

/*
 * True when target names this instance: "name" (every replica), "name:2"
 * (one replica), "@group", "#tag", or "all".
 */
bool model_match(const struct proc_info *p, const char *target);
/*
 * True for a state a healthy stack can be in: running, or completed for a
 * oneshot — and for what is not meant to run now: disabled, not in this
 * run, or a cleanup waiting for the shutdown.
 */
bool model_state_good(const struct proc_info *p);

/* The record as JSON for the control protocol (a new object; the caller owns it). */
struct cJSON *model_json(const struct proc_info *p, int64_t now_ms);

/* The metrics as a JSON object (a new object; the caller owns it). */
struct cJSON *model_metrics_json(const struct proc_metrics *m);
/* The host figures as a JSON object (a new object; the caller owns it). */
struct cJSON *model_host_json(const struct model_host *h);

const char *model_state_name(enum proc_state s);
const char *model_health_name(enum proc_health h);
/* Milliseconds since the epoch, for stamps. */
int64_t model_realtime_ms(void);

#endif
