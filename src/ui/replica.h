/*
 * replica — the dashboard's copy of an engine's model, fed by the control
 * protocol: the subscribe snapshot, then state, metrics and logs events.
 * Plain records the views read; no curses, no /proc. Bounded: each
 * process's lines in a ring of its own (at most REPLICA_PROC_LINES), all of
 * them together at most REPLICA_LOG_LINES lines and REPLICA_LOG_BYTES of
 * text, room made by dropping the oldest lines of the process that holds
 * the most (so a chatty process cannot push a quiet one's lines out); and
 * REPLICA_HIST samples of CPU per process.
 */
#ifndef VIGIL_UI_REPLICA_H
#define VIGIL_UI_REPLICA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/model.h"

struct cJSON;

#define REPLICA_LOG_LINES 10000          /* lines held, every process together */
#define REPLICA_PROC_LINES 5000          /* lines held of one process */
#define REPLICA_LOG_BYTES ((size_t)8 << 20) /* text held, every process together */
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
	bool health_probe;        /* it has a health probe (without one, health shows as "-") */
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
	uint64_t seq;              /* arrival order of live lines (0 = from a backlog): ties of ts_ms */
	char *text;                /* owned, as sent (may hold escapes: views sanitize) */
	uint32_t len;              /* bytes of text */
	uint16_t name;             /* index into the replica's sources (its process) */
	bool err;                  /* stderr */
	bool split;                /* continues on the next line */
};

/* The lines of one process (by name), oldest first from head. */
struct replica_src {
	char *name;                /* owned */
	struct replica_line *ring; /* owned, cap slots (grows up to REPLICA_PROC_LINES) */
	size_t cap, head, n;
	size_t bytes;              /* text held */
	bool trimmed;              /* lines dropped to make room for other processes' */
};

/*
 * A walk through held lines, newest first: one process's, or every
 * process's merged by time. Borrows the replica: no line may be added
 * while it lasts.
 */
struct replica_walk {
	const struct replica *r;
	size_t *left;              /* per source walked: lines not yet returned (owned when not &one) */
	size_t nleft;
	uint16_t base;             /* source of left[0] */
	size_t one;
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
	int64_t span_ms;           /* the time the fine points cover (shorter than 10 minutes for a young process) */
	int64_t span_day_ms;       /* and the 5-minute averages */
	char checks[6][112];       /* the newest health results, newest first: "12:00:01 ok http 200 in 4ms" */
	size_t nchecks;
	struct proc_member tree[MODEL_TREE_MAX]; /* its processes as last sampled, itself first */
	size_t ntree;
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
	struct replica_src *srcs;  /* owned: lines by process, indexed by replica_line.name */
	size_t nsrcs, capsrcs;
	size_t nlines, nbytes;     /* held, every source together */
	uint64_t lines_total;      /* live lines ever added (their seq) */
	int held;                  /* source never trimmed for others (the selection); -1 = none */
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

/*
 * Starts a walk: the lines of the process named so, or with name NULL every
 * process's for which keep (when not NULL) is true, merged newest first.
 */
void replica_walk_init(struct replica_walk *w, const struct replica *r, const char *name,
    bool (*keep)(const char *name, void *arg), void *arg);
/* The next older line, NULL at the end. */
const struct replica_line *replica_walk_next(struct replica_walk *w);
void replica_walk_fini(struct replica_walk *w);
/* Lines held of the process named so (NULL: of all). */
size_t replica_nlines(const struct replica *r, const char *name);
const char *replica_line_name(const struct replica *r, const struct replica_line *l);
/*
 * The process whose lines are kept when room is made for others' (the
 * selection; NULL = none). Returns true when some of its lines were dropped
 * before: the caller may ask the engine for its tail (a logs request), whose
 * reply replica_apply merges in.
 */
bool replica_hold(struct replica *r, const char *name);
/* The active alert to show first: the most severe, unacknowledged before acknowledged; NULL = none. */
const struct replica_alert *replica_top_alert(const struct replica *r);
/* Every word host mode gives a process's state, the busy first; NULL-terminated (others: "?"). */
extern const char *const replica_kstates[];
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
