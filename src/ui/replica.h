/*
 * replica — the dashboard's copy of an engine's model, fed by the control
 * protocol: the subscribe snapshot, then state, metrics and logs events.
 * Plain records the views read; no curses, no /proc. Bounded: a log ring of
 * REPLICA_LOG_LINES lines and REPLICA_HIST samples of CPU per process.
 */
#ifndef VIGIL_UI_REPLICA_H
#define VIGIL_UI_REPLICA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/model.h"

struct cJSON;

#define REPLICA_LOG_LINES 10000
#define REPLICA_HIST 240          /* CPU samples kept per process for sparklines */

/* What changed since the view last looked: which regions to redraw. */
#define REPLICA_DIRTY_HEADER 0x1u
#define REPLICA_DIRTY_TABLE 0x2u
#define REPLICA_DIRTY_LOGS 0x4u

/* One process instance as the engine last described it. */
struct replica_proc {
	char id[16];               /* host mode: the pid as text (names repeat); "" = name is the key */
	char name[96];             /* "api" or "worker:1"; in host mode the command name */
	pid_t ppid;                /* host mode */
	char process[64];          /* its name in the stack file */
	int replica;
	char kind[16];             /* service, oneshot, cleanup */
	char state[16];
	char health[16];
	char group[64];            /* "" = none */
	char tags[256];            /* comma-separated */
	char reason[192];
	pid_t pid;                 /* 0 = not running */
	int restarts;
	bool good;
	int64_t uptime_ms;         /* -1 = not up; as of uptime_at (monotonic ms) */
	int64_t uptime_at;
	bool has_metrics;
	struct proc_metrics m;
	float hist[REPLICA_HIST];  /* tree CPU %, oldest first once full (ring from hist_head) */
	size_t nhist, hist_head;
	bool present;              /* still in the engine's list */
	int origin;                /* which connection it came from (vigil monit --ssh a --ssh b) */
};

/* One captured line. */
struct replica_line {
	int64_t ts_ms;
	char *text;                /* owned, as sent (may hold escapes: views sanitize) */
	uint16_t name;             /* index into the replica's names */
	bool err;                  /* stderr */
	bool split;                /* continues on the next line */
};

/* An active alert, as the engine announced it. */
#define REPLICA_ALERTS 64
struct replica_alert {
	long id;
	int severity;              /* 0 info, 1 warning, 2 critical */
	bool acked;
	int origin;
	char message[240];
};

/* The history of one process, for the detail view (from a `history` reply). */
#define REPLICA_DETAIL_POINTS 600
struct replica_detail {
	char name[160];            /* whose; "" = none loaded */
	char command[512];
	char cwd[256];
	int64_t at_ms;             /* monotonic ms when it arrived */
	float cpu[REPLICA_DETAIL_POINTS];      /* tree CPU %, last 10 minutes, oldest first */
	float mem[REPLICA_DETAIL_POINTS];      /* tree RSS bytes */
	size_t ncpu, nmem;
	char checks[6][112];       /* the newest health results, newest first: "12:00:01 ok http 200 in 4ms" */
	size_t nchecks;
	char tree[240];            /* "4242 sh > 4250 python3 > …" as last sampled */
	char exits[240];           /* the newest ends first: "12:00:01 status 1 · 11:58:40 killed by SIGKILL" */
	float io[REPLICA_DETAIL_POINTS]; /* tree disk I/O (read + write) bytes/s, last 10 minutes */
	size_t nio;
	float io_day[288];         /* its 5-minute averages over 24 hours */
	size_t nio_day;
	float cpu_day[288];        /* 5-minute averages over 24 hours, oldest first */
	float mem_day[288];
	size_t ncpu_day, nmem_day;
};

struct replica {
	bool host_mode;            /* fed by vigil top's agent: every process of the host */
	char stack[128];
	char engine[64];           /* "pid 4421" or "host" (for vigil top) */
	struct replica_proc *procs; /* owned, in the engine's order */
	size_t nprocs, capprocs;
	struct model_host host;
	struct replica_line *lines; /* owned ring of REPLICA_LOG_LINES */
	size_t line_head, nlines;  /* oldest at line_head */
	uint64_t lines_total;      /* lines ever added: a position that survives the ring turning */
	char **names;              /* owned: interned process names for lines */
	size_t nnames, capnames;
	unsigned dirty;            /* REPLICA_DIRTY_* since replica_clean */
	int64_t now_ms;            /* monotonic ms of the last message (for uptimes) */
	struct replica_detail detail;
	struct replica_alert alerts[REPLICA_ALERTS]; /* active ones */
	size_t nalerts;
	int origin;                /* of the message being applied */
	char prefix[64];           /* "host/" put before its names; "" for one engine */
};

void replica_init(struct replica *r);
void replica_fini(struct replica *r);
/* Forgets everything (a reconnect starts from a new snapshot). */
void replica_reset(struct replica *r);

/*
 * Applies one message from the engine: a reply whose result holds
 * "processes" (status, subscribe) or "lines" (logs), or an event (state,
 * metrics, logs). Unknown messages are ignored. now_ms: monotonic ms.
 */
void replica_apply(struct replica *r, const struct cJSON *msg, int64_t now_ms);
/*
 * The same for one of several engines: its records are marked with origin,
 * and its names (of processes and lines) get "label/" in front, so two
 * hosts' "api" stay apart. A snapshot replaces only that origin's records.
 */
void replica_apply_from(struct replica *r, const struct cJSON *msg, int64_t now_ms, int origin,
    const char *label);

/* The i-th line of the ring, 0 = oldest kept. */
const struct replica_line *replica_line(const struct replica *r, size_t i);
const char *replica_line_name(const struct replica *r, const struct replica_line *l);
/* The active alert to show first: the most severe, unacknowledged before acknowledged; NULL = none. */
const struct replica_alert *replica_top_alert(const struct replica *r);
/* The key a view selects by: id in host mode, else the name. */
const char *replica_key(const struct replica_proc *p);
/* The process named so, or NULL. */
const struct replica_proc *replica_find(const struct replica *r, const char *name);
/* The i-th CPU sample of p, 0 = oldest kept. */
float replica_hist(const struct replica_proc *p, size_t i);
/* Its uptime now (ms), -1 when not up. */
int64_t replica_uptime(const struct replica_proc *p, int64_t now_ms);
/* Adds one line (for fixtures and tests; the engine's lines come through replica_apply). */
void replica_add_line(struct replica *r, const char *name, int64_t ts_ms, bool err, const char *text);

#endif
