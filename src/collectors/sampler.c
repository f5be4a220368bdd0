/*
 * sampler — owns a proc_scan, a host_reader, what it keeps of each
 * instance's cgroup from sweep to sweep (CPU counter and members, their
 * files kept open), and the I/O totals of the last slow sweep (per pid, to
 * turn totals into rates).
 *
 * Two ways to find an instance's tree, chosen per sweep:
 * - by cgroup, when every running instance has one: the members are the
 *   pids in its cgroup.procs (daemons that left their parent included) and
 *   only their stat files are read, so the cost does not grow with the
 *   host. A group whose CPU counter has not moved since the last sweep ran
 *   nothing in between: its members are not read and its figures stand
 *   (CPU 0). When the stack's own counter (the groups' parent) has not
 *   moved, not even the groups' counters are read; an idle stack costs one
 *   read per sweep. What can change while nothing runs (memory given back
 *   under pressure) is read again at the first slow sweep after
 *   SAMPLER_REFRESH_MS.
 * - by ppid, otherwise: every process on the host is read once (the ppid
 *   map has to see them all to find descendants) and each instance's tree
 *   is walked in memory.
 * Descriptors (the size of /proc/PID/fd) and I/O (/proc/PID/io) are read
 * for tree members only, every slow_ms.
 */
#include "collectors/sampler.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collectors/cgstat.h"
#include "collectors/host.h"
#include "collectors/proc.h"
#include "core/cgroup.h"
#include "core/model.h"
#include "core/supervisor.h"
#include "core/vec.h"

/* I/O totals of one process at the last slow sweep. */
struct sampler_io {
	pid_t pid;
	uint64_t start_ticks;
	uint64_t read_bytes, write_bytes;
};

/* Figures that can change while nothing in a group runs are read again after this long. */
#define SAMPLER_HOST_MIN_NS ((int64_t)100 * 1000000) /* host readings at least this far apart */
#define SAMPLER_REFRESH_MS 30000

/* What is kept of one instance's cgroup from sweep to sweep. */
struct sampler_cg {
	const struct cg_group *cg;   /* borrowed: the key */
	size_t inst;                 /* the instance's index in the supervisor, this sweep */
	pid_t root;                  /* the instance's pid when the group was last read */
	uint64_t usec;               /* the CPU counter at the last sweep */
	bool has_usec;
	bool cg_cpu;                 /* this sweep: the tree's CPU comes from the counter, as tree_cpu */
	double tree_cpu;             /* % of one core since the last sweep, when cg_cpu */
	int fd;                      /* owned: cpu.stat or cpuacct.usage; -1 = none */
	enum cg_ver ver;
	int procs_fd;                /* owned: the placement directory's cgroup.procs; -1 = not open */
	pid_t *pids;                 /* owned: the members at the last read, sorted */
	size_t npids, cap_pids;
	int64_t full_ns;             /* monotonic: the last slow sweep that read the group in full; 0 = none */
	uint64_t slow_usec;          /* the CPU counter at the last slow sweep (I/O totals are as of then) */
	bool has_slow_usec;
	bool quiet;                  /* this sweep: nothing in the group ran since the last one */
};

struct sampler {
	struct sv *sv;               /* borrowed */
	struct sampler_cg *cgs, *cgs_next; /* owned: last sweep's groups; this one's */
	size_t ncgs, ncgs_next, cap_cgs, cap_cgs_next;
	char *stack_dir;             /* owned: the groups' parent (the stack's cgroup); NULL = none */
	int stack_fd;                /* owned: its CPU counter; -1 = none */
	enum cg_ver stack_ver;
	uint64_t stack_usec;
	bool has_stack_usec;
	struct proc_want *wants;     /* owned: scratch of a sweep by cgroup */
	size_t cap_wants;
	int64_t last_ns;             /* monotonic time of the last sweep */
	struct proc_scan *scan;      /* owned */
	struct host_reader *host;    /* owned; NULL until the host's figures are wanted, or when it cannot be read */
	int64_t host_ns;             /* monotonic time of the last host reading; 0 = none */
	bool no_host;                /* it could not be: not tried again */
	int host_procs;              /* processes on the host at the last count */
	int64_t slow_ns;
	int64_t last_slow_ns;        /* monotonic; 0 = never */
	struct sampler_io *io, *io_next; /* owned: last slow sweep's totals, sorted by pid; the next one being built */
	size_t nio, nio_next, cap_io, cap_io_next;
};

/* What a tree walk adds up. */
struct sampler_acc {
	struct sampler *s;
	bool slow;                   /* read descriptors and I/O this sweep */
	uint64_t ticks;              /* CPU ticks since the last sweep */
	uint64_t rss_pages;
	int threads, procs;
	int fds;                     /* -1 once a member's descriptors could not be counted */
	int root_fds;                /* the process's own */
	struct proc_member members[MODEL_TREE_MAX]; /* the tree, itself first (for crash reports) */
	size_t nmembers;
	double io_read, io_write;    /* bytes since the last slow sweep */
	bool io_known;
	int64_t io_dt_ns;
};

static int64_t
sampler_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct sampler *
sampler_new(struct sv *sv, const char *proc_root, int64_t slow_ms)
{
	struct sampler *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->sv = sv;
	s->slow_ns = slow_ms * 1000000;
	s->stack_fd = -1;
	s->scan = proc_scan_new(proc_root);
	if (s->scan == NULL) {
		int e = errno;
		free(s);
		errno = e;
		return NULL;
	}
	return s;
}

/* Closes and frees what a group's record owns. */
static void
sampler_cg_fini(struct sampler_cg *g)
{
	if (g->fd >= 0)
		close(g->fd);
	if (g->procs_fd >= 0)
		close(g->procs_fd);
	free(g->pids);
	*g = (struct sampler_cg){.fd = -1, .procs_fd = -1};
}

void
sampler_free(struct sampler *s)
{
	if (s == NULL)
		return;
	proc_scan_free(s->scan);
	host_reader_free(s->host);
	free(s->io);
	free(s->io_next);
	for (size_t i = 0; i < s->ncgs; i++)
		sampler_cg_fini(&s->cgs[i]);
	free(s->cgs);
	free(s->cgs_next);
	free(s->wants);
	if (s->stack_fd >= 0)
		close(s->stack_fd);
	free(s->stack_dir);
	free(s);
}

static const struct sampler_io *
sampler_io_find(const struct sampler *s, pid_t pid, uint64_t start_ticks)
{
	size_t lo = 0, hi = s->nio;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->io[mid].pid == pid)
			return s->io[mid].start_ticks == start_ticks ? &s->io[mid] : NULL;
		if (s->io[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Records one member's I/O totals for the next slow sweep; false when out of memory. */
static bool
sampler_io_keep(struct sampler *s, pid_t pid, uint64_t start_ticks, uint64_t rb, uint64_t wb)
{
	if (vec_reserve(&s->io_next, &s->cap_io_next, s->nio_next + 1, sizeof(*s->io_next)) < 0)
		return false;
	s->io_next[s->nio_next++] = (struct sampler_io){
		.pid = pid, .start_ticks = start_ticks, .read_bytes = rb, .write_bytes = wb,
	};
	return true;
}

static int
sampler_io_cmp(const void *a, const void *b)
{
	pid_t x = ((const struct sampler_io *)a)->pid, y = ((const struct sampler_io *)b)->pid;
	return (x > y) - (x < y);
}

/* Adds one member of a tree. */
static void
sampler_on_member(const struct proc_rec *r, void *arg)
{
	struct sampler_acc *a = arg;
	a->ticks += proc_scan_delta(a->s->scan, r);
	a->rss_pages += r->rss_pages;
	a->threads += r->threads;
	a->procs++;
	if (a->nmembers < MODEL_TREE_MAX) {
		struct proc_member *m = &a->members[a->nmembers++];
		m->pid = r->pid;
		m->ppid = r->ppid;
		memcpy(m->comm, r->comm, sizeof(m->comm));
	}
	if (!a->slow)
		return;
	int n = proc_count_fds(a->s->scan, r->pid);
	if (a->procs == 1)
		a->root_fds = n; /* every walk starts at the process itself */
	if (n < 0 || a->fds < 0)
		a->fds = -1;
	else
		a->fds += n;
	uint64_t rb, wb;
	if (proc_read_io(a->s->scan, r->pid, &rb, &wb) < 0)
		return; /* gone, or not ours to read: it adds nothing */
	sampler_io_keep(a->s, r->pid, r->start_ticks, rb, wb);
	if (a->io_dt_ns <= 0)
		return;
	const struct sampler_io *o = sampler_io_find(a->s, r->pid, r->start_ticks);
	/* A member not seen at the last slow sweep is taken as new: all its I/O is recent. */
	uint64_t r0 = o != NULL ? o->read_bytes : 0, w0 = o != NULL ? o->write_bytes : 0;
	a->io_read += rb >= r0 ? (double)(rb - r0) : 0;
	a->io_write += wb >= w0 ? (double)(wb - w0) : 0;
	a->io_known = true;
}

/* Percent of one core for ticks spent over interval_ns. */
static double
sampler_pct(const struct sampler *s, uint64_t ticks, int64_t interval_ns)
{
	if (interval_ns <= 0)
		return 0;
	return 100.0 * ((double)ticks / (double)proc_scan_hz(s->scan)) / ((double)interval_ns / 1e9);
}

/* The figures of the process r from the sums of its tree in a. */
static void
sampler_figures(const struct sampler *s, const struct proc_rec *r, const struct sampler_acc *a,
    struct proc_metrics *m)
{
	int64_t dt = proc_scan_interval_ns(s->scan);
	long page = proc_scan_page_size(s->scan);
	*m = (struct proc_metrics){
		.at_ms = model_realtime_ms(),
		.cpu = sampler_pct(s, proc_scan_delta(s->scan, r), dt),
		.tree_cpu = sampler_pct(s, a->ticks, dt),
		.rss = r->rss_pages * (uint64_t)page,
		.tree_rss = a->rss_pages * (uint64_t)page,
		.threads = r->threads,
		.tree_threads = a->threads,
		.fds = a->slow ? a->root_fds : -1,
		.tree_fds = a->slow ? a->fds : -1,
		.io_read = a->io_known ? a->io_read / ((double)a->io_dt_ns / 1e9) : -1,
		.io_write = a->io_known ? a->io_write / ((double)a->io_dt_ns / 1e9) : -1,
		.tree_procs = a->procs,
		.kstate = r->state,
		.cg_memory = -1,
		.oom_kills = -1,
	};
}

/* Between slow sweeps, the slower figures of m stay as last read (old). */
static void
sampler_keep_slow(struct proc_metrics *m, const struct proc_metrics *old)
{
	bool had = old->at_ms != 0;
	m->cg_memory = had ? old->cg_memory : -1;
	m->oom_kills = had ? old->oom_kills : -1;
	m->fds = had ? old->fds : -1;
	m->tree_fds = had ? old->tree_fds : -1;
	m->io_read = had ? old->io_read : -1;
	m->io_write = had ? old->io_write : -1;
}

/* The group's memory and OOM kills (a slow figure). */
static void
sampler_cg_memory(const struct cg_group *cg, struct proc_metrics *m)
{
	struct cgstat_src src = {0};
	src.mem_dir = cg_group_dir(cg, CG_ROLE_MEM_ACCT, &src.mem_ver);
	struct cgstat st;
	if (src.mem_dir != NULL && cgstat_read_src(&src, &st)) {
		if (st.has_mem)
			m->cg_memory = (int64_t)st.mem_bytes;
		if (st.has_oom)
			m->oom_kills = (int64_t)st.oom_kills;
	}
}

/*
 * This sweep's record of instance i's group cg: last sweep's carried over
 * (its files and members handed on), or a new one with its counter opened.
 * Its index in cgs_next, or SIZE_MAX when out of memory.
 */
static size_t
sampler_cg_take(struct sampler *s, const struct cg_group *cg, size_t i)
{
	if (vec_reserve(&s->cgs_next, &s->cap_cgs_next, s->ncgs_next + 1, sizeof(*s->cgs_next)) < 0)
		return SIZE_MAX;
	/* Instances keep their order from sweep to sweep: look where it was first. */
	struct sampler_cg *old = NULL;
	if (i < s->ncgs && s->cgs[i].cg == cg)
		old = &s->cgs[i];
	for (size_t k = 0; k < s->ncgs && old == NULL; k++)
		if (s->cgs[k].cg == cg)
			old = &s->cgs[k];
	struct sampler_cg *g = &s->cgs_next[s->ncgs_next];
	if (old != NULL) {
		*g = *old;
		*old = (struct sampler_cg){.fd = -1, .procs_fd = -1}; /* handed on */
	} else {
		*g = (struct sampler_cg){.cg = cg, .procs_fd = -1};
		g->fd = cgstat_cpu_open(cg, &g->ver);
	}
	g->inst = i;
	g->quiet = false;
	g->cg_cpu = false;
	return s->ncgs_next++;
}

/*
 * Reads g's CPU counter and, with its value at the last sweep, the tree's
 * CPU (the cgroup counts every process it held, short-lived ones
 * included) into g->tree_cpu and g->cg_cpu. The counter's last value stays
 * when it cannot be read.
 */
static void
sampler_cg_cpu(struct sampler_cg *g, int64_t dt_ns)
{
	g->cg_cpu = false;
	uint64_t usec;
	if (g->fd < 0)
		g->fd = cgstat_cpu_open(g->cg, &g->ver);
	if (g->fd < 0 || !cgstat_cpu_read(g->fd, g->ver, &usec)) {
		/* Opened anew next time: the directory may have been made again since. */
		if (g->fd >= 0)
			close(g->fd);
		g->fd = -1;
		g->has_usec = false;
		return;
	}
	if (g->has_usec && dt_ns > 0 && usec >= g->usec) {
		g->tree_cpu = 100.0 * (double)(usec - g->usec) / ((double)dt_ns / 1000);
		g->cg_cpu = true;
	}
	g->usec = usec;
	g->has_usec = true;
}

/* The tree's CPU in m from g's counter, when this sweep read one. */
static void
sampler_cg_apply(const struct sampler_cg *g, struct proc_metrics *m)
{
	if (g->cg_cpu) {
		m->tree_cpu = g->tree_cpu;
		m->cgroup = true;
	}
}

/* True when pid is among g's members (sorted) as last read. */
static bool
sampler_cg_has(const struct sampler_cg *g, pid_t pid)
{
	size_t lo = 0, hi = g->npids;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (g->pids[mid] == pid)
			return true;
		if (g->pids[mid] < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* Last sweep's groups not carried over are closed; this sweep's become the next one's base. */
static void
sampler_cg_turn(struct sampler *s)
{
	for (size_t k = 0; k < s->ncgs; k++)
		sampler_cg_fini(&s->cgs[k]);
	struct sampler_cg *tc = s->cgs;
	size_t tcap = s->cap_cgs;
	s->cgs = s->cgs_next;
	s->ncgs = s->ncgs_next;
	s->cap_cgs = s->cap_cgs_next;
	s->cgs_next = tc;
	s->cap_cgs_next = tcap;
	s->ncgs_next = 0;
}

/* One sweep by ppid: every process on the host, each instance's tree walked in memory. */
static int
sampler_sweep_ppid(struct sampler *s, bool slow, int64_t dt, int64_t io_dt)
{
	if (proc_scan_run(s->scan) < 0)
		return -1;
	size_t n;
	proc_scan_recs(s->scan, &n);
	s->host_procs = (int)n;
	if (proc_scan_interval_ns(s->scan) == 0)
		return 0; /* the first sweep only sets the base of the next one's CPU figures */
	for (size_t i = 0; i < sv_count(s->sv); i++) {
		const struct proc_info *p = sv_proc(s->sv, i);
		const struct proc_rec *r = p->pid > 0 ? proc_scan_find(s->scan, p->pid) : NULL;
		if (r == NULL) {
			sv_set_metrics(s->sv, i, 0, NULL);
			continue;
		}
		/* The caller's record: its members (the tree) go on to the supervisor without a copy. */
		struct sampler_acc acc = {.s = s, .slow = slow, .io_dt_ns = io_dt, .root_fds = -1};
		proc_scan_tree(s->scan, p->pid, sampler_on_member, &acc);
		struct proc_metrics m;
		sampler_figures(s, r, &acc, &m);
		const struct cg_group *cg = sv_cgroup(s->sv, i);
		size_t gi = cg != NULL ? sampler_cg_take(s, cg, i) : SIZE_MAX;
		if (gi != SIZE_MAX) {
			s->cgs_next[gi].npids = 0; /* members by ppid here: none kept for the cgroup way */
			sampler_cg_cpu(&s->cgs_next[gi], dt);
			sampler_cg_apply(&s->cgs_next[gi], &m);
			if (slow)
				sampler_cg_memory(cg, &m);
		}
		if (!slow)
			sampler_keep_slow(&m, &p->metrics);
		sv_set_metrics(s->sv, i, p->pid, &m);
		sv_set_tree(s->sv, i, p->pid, acc.members, acc.nmembers);
	}
	return 0;
}

/* True when every running instance has a cgroup to read its members and CPU from. */
static bool
sampler_by_cgroup(const struct sampler *s)
{
	size_t running = 0;
	for (size_t i = 0; i < sv_count(s->sv); i++) {
		if (sv_proc(s->sv, i)->pid <= 0)
			continue;
		const struct cg_group *cg = sv_cgroup(s->sv, i);
		if (cg == NULL || cg_group_dir(cg, CG_ROLE_PLACE, NULL) == NULL ||
		    cg_group_dir(cg, CG_ROLE_CPU_ACCT, NULL) == NULL)
			return false;
		running++;
	}
	return running > 0;
}

/*
 * The stack's counter (the parent of every group's CPU directory): true
 * when it has not moved since the last sweep, so no group ran.
 */
static bool
sampler_stack_quiet(struct sampler *s)
{
	const char *dir = NULL;
	size_t dl = 0;
	enum cg_ver ver = CG_VER_NONE;
	for (size_t i = 0; i < sv_count(s->sv); i++) {
		if (sv_proc(s->sv, i)->pid <= 0)
			continue;
		enum cg_ver v;
		const char *d = cg_group_dir(sv_cgroup(s->sv, i), CG_ROLE_CPU_ACCT, &v);
		const char *slash = strrchr(d, '/');
		if (slash == NULL || slash == d)
			return false;
		if (dir == NULL) {
			dir = d;
			dl = (size_t)(slash - d);
			ver = v;
		} else if ((size_t)(slash - d) != dl || v != ver || strncmp(d, dir, dl) != 0) {
			return false; /* not all under one parent: no stack counter to go by */
		}
	}
	if (dir == NULL)
		return false;
	if (s->stack_dir == NULL || strlen(s->stack_dir) != dl || strncmp(s->stack_dir, dir, dl) != 0) {
		if (s->stack_fd >= 0)
			close(s->stack_fd);
		free(s->stack_dir);
		s->stack_dir = strndup(dir, dl);
		s->stack_fd = s->stack_dir != NULL ? cgstat_cpu_open_dir(s->stack_dir, ver) : -1;
		s->stack_ver = ver;
		s->has_stack_usec = false;
	}
	uint64_t usec;
	if (s->stack_fd < 0 || !cgstat_cpu_read(s->stack_fd, s->stack_ver, &usec)) {
		s->has_stack_usec = false;
		return false;
	}
	bool quiet = s->has_stack_usec && usec == s->stack_usec;
	s->stack_usec = usec;
	s->has_stack_usec = true;
	return quiet;
}

/* Reads g's members from its cgroup.procs; false when it cannot (then it has none). */
static bool
sampler_cg_members(struct sampler_cg *g)
{
	if (g->procs_fd < 0)
		g->procs_fd = cgstat_procs_open(g->cg);
	ssize_t n = -1;
	for (int round = 0; round < 4 && g->procs_fd >= 0; round++) {
		n = cgstat_procs_read(g->procs_fd, g->pids, g->cap_pids);
		if (n < 0 || (size_t)n <= g->cap_pids)
			break;
		/* Half again, for members added meanwhile; then read again. */
		if (vec_reserve(&g->pids, &g->cap_pids, (size_t)n + (size_t)n / 2, sizeof(*g->pids)) < 0) {
			n = -1;
			break;
		}
		n = -1;
	}
	if (n < 0) {
		if (g->procs_fd >= 0)
			close(g->procs_fd); /* opened anew next time */
		g->procs_fd = -1;
		g->npids = 0;
		return false;
	}
	g->npids = (size_t)n;
	/* v1 keeps the pid list an open file built at its first read and
	 * serves it again until a second after the last read: a kept
	 * descriptor read every second would never see a new member. */
	enum cg_ver ver;
	if (cg_group_dir(g->cg, CG_ROLE_PLACE, &ver) != NULL && ver != CG_VER_V2) {
		close(g->procs_fd);
		g->procs_fd = -1;
	}
	return true;
}

/* Adds pid to the sweep's wants; false when out of memory. */
static bool
sampler_want(struct sampler *s, size_t *n, pid_t pid, bool carry)
{
	if (vec_reserve(&s->wants, &s->cap_wants, *n + 1, sizeof(*s->wants)) < 0)
		return false;
	s->wants[(*n)++] = (struct proc_want){.pid = pid, .carry = carry};
	return true;
}

static int
sampler_want_cmp(const void *a, const void *b)
{
	const struct proc_want *x = a, *y = b;
	if (x->pid != y->pid)
		return (x->pid > y->pid) - (x->pid < y->pid);
	return (int)x->carry - (int)y->carry; /* a read before a carry of the same pid */
}

/* A quiet group's figures: as last read, with no CPU (and no I/O) since. */
static void
sampler_cg_still(struct sampler *s, const struct sampler_cg *g, bool slow,
    const struct proc_metrics *old, struct proc_metrics *m)
{
	*m = *old;
	m->at_ms = model_realtime_ms();
	m->cpu = 0;
	m->tree_cpu = 0;
	if (!slow)
		return;
	if (m->io_read >= 0)
		m->io_read = 0;
	if (m->io_write >= 0)
		m->io_write = 0;
	/* Its members' I/O totals stay the base of the next slow sweep's rates. */
	for (size_t k = 0; k < g->npids; k++) {
		const struct proc_rec *r = proc_scan_find(s->scan, g->pids[k]);
		const struct sampler_io *o = r != NULL ? sampler_io_find(s, r->pid, r->start_ticks) : NULL;
		if (o != NULL)
			sampler_io_keep(s, o->pid, o->start_ticks, o->read_bytes, o->write_bytes);
	}
}

/* One sweep by cgroup: the members of the groups that ran, read; the others' figures stand. */
static int
sampler_sweep_cgroup(struct sampler *s, bool slow, int64_t now, int64_t dt, int64_t io_dt)
{
	bool stack_quiet = sampler_stack_quiet(s);
	size_t nw = 0;
	for (size_t i = 0; i < sv_count(s->sv); i++) {
		const struct proc_info *p = sv_proc(s->sv, i);
		if (p->pid <= 0)
			continue;
		size_t gi = sampler_cg_take(s, sv_cgroup(s->sv, i), i);
		if (gi == SIZE_MAX)
			continue;
		struct sampler_cg *g = &s->cgs_next[gi];
		/* The root among the members read last: a root that left its group is not covered by its counter. */
		bool same = g->root == p->pid && g->has_usec && sampler_cg_has(g, p->pid) &&
		    p->metrics.at_ms != 0;
		uint64_t before = g->usec;
		if (stack_quiet && same) {
			g->cg_cpu = true; /* nothing in the stack ran: no CPU since */
			g->tree_cpu = 0;
		} else {
			sampler_cg_cpu(g, dt);
		}
		bool due = slow && now - g->full_ns >= (int64_t)SAMPLER_REFRESH_MS * 1000000;
		/* At a slow sweep, quiet only if nothing ran since the last one: its I/O totals are as of then. */
		bool io_still = !slow || (g->has_slow_usec && g->usec == g->slow_usec);
		g->quiet = same && g->has_usec && g->usec == before && !due && io_still;
		if (!g->quiet) {
			sampler_cg_members(g);
			/* The root is read whether or not cgroup.procs could be. */
			if (!sampler_cg_has(g, p->pid) && !sampler_want(s, &nw, p->pid, false))
				return -1;
		}
		g->root = p->pid;
		for (size_t k = 0; k < g->npids; k++)
			if (!sampler_want(s, &nw, g->pids[k], g->quiet))
				return -1;
	}
	/* Groups do not share members; should a pid show twice, one read serves both. */
	if (nw > 1)
		qsort(s->wants, nw, sizeof(*s->wants), sampler_want_cmp);
	size_t u = 0;
	for (size_t k = 0; k < nw; k++)
		if (u == 0 || s->wants[u - 1].pid != s->wants[k].pid)
			s->wants[u++] = s->wants[k];
	if (proc_scan_pids(s->scan, s->wants, u) < 0)
		return -1;
	if (sv_host_wanted(s->sv) && slow) {
		int n = proc_scan_count(s->scan);
		if (n >= 0)
			s->host_procs = n;
	}
	if (proc_scan_interval_ns(s->scan) == 0)
		return 0; /* the first sweep only sets the base of the next one's CPU figures */
	for (size_t gi = 0; gi < s->ncgs_next; gi++) {
		struct sampler_cg *g = &s->cgs_next[gi];
		size_t i = g->inst;
		const struct proc_info *p = sv_proc(s->sv, i);
		struct proc_metrics m;
		if (slow) {
			g->slow_usec = g->usec;
			g->has_slow_usec = g->has_usec;
		}
		if (g->quiet) {
			sampler_cg_still(s, g, slow, &p->metrics, &m);
			sv_set_metrics(s->sv, i, p->pid, &m);
			continue;
		}
		const struct proc_rec *r = proc_scan_find(s->scan, p->pid);
		if (r == NULL) {
			sv_set_metrics(s->sv, i, 0, NULL);
			continue;
		}
		struct sampler_acc acc = {.s = s, .slow = slow, .io_dt_ns = io_dt, .root_fds = -1};
		sampler_on_member(r, &acc);
		for (size_t k = 0; k < g->npids; k++) {
			const struct proc_rec *q = g->pids[k] != p->pid ? proc_scan_find(s->scan, g->pids[k]) : NULL;
			if (q != NULL)
				sampler_on_member(q, &acc);
		}
		sampler_figures(s, r, &acc, &m);
		sampler_cg_apply(g, &m); /* else the members' ticks, as sampler_figures set */
		if (slow) {
			sampler_cg_memory(g->cg, &m);
			g->full_ns = now;
		} else {
			sampler_keep_slow(&m, &p->metrics);
		}
		sv_set_metrics(s->sv, i, p->pid, &m);
		sv_set_tree(s->sv, i, p->pid, acc.members, acc.nmembers);
	}
	/* Instances that are not running have no figures. */
	for (size_t i = 0; i < sv_count(s->sv); i++)
		if (sv_proc(s->sv, i)->pid <= 0)
			sv_set_metrics(s->sv, i, 0, NULL);
	return 0;
}

/*
 * The host's figures into h (always the live host: fixture roots describe
 * processes only). libproc2 is loaded at the first call, once something
 * uses them (sv_want_host): a stack nobody looks at never loads it. Its
 * first read is the base of its CPU figures (CPU since boot until then).
 */
static void
sampler_host(struct sampler *s, struct model_host *h)
{
	if (s->host == NULL && !s->no_host) {
		s->host = host_reader_new();
		s->no_host = s->host == NULL;
	}
	if (s->host_procs == 0) { /* not counted yet (the ppid way counts at every sweep) */
		int n = proc_scan_count(s->scan);
		if (n >= 0)
			s->host_procs = n;
	}
	/* A reading a moment after the last (a request just before this
	 * sweep) would cover no tick of CPU time: the last one stands. */
	int64_t now = sampler_mono_ns();
	if (s->host != NULL && now - s->host_ns >= SAMPLER_HOST_MIN_NS && host_read(s->host, h)) {
		h->at_ms = model_realtime_ms();
		s->host_ns = now;
	}
	h->procs = s->host_procs;
}

int
sampler_sweep(struct sampler *s)
{
	int64_t now = sampler_mono_ns();
	int64_t dt = s->last_ns != 0 ? now - s->last_ns : 0;
	bool slow = s->last_slow_ns == 0 || now - s->last_slow_ns >= s->slow_ns;
	int64_t io_dt = s->last_slow_ns != 0 ? now - s->last_slow_ns : 0;
	s->ncgs_next = 0;
	s->nio_next = 0;
	int rc = sampler_by_cgroup(s) ? sampler_sweep_cgroup(s, slow, now, dt, io_dt) :
	    sampler_sweep_ppid(s, slow, dt, io_dt);
	if (rc < 0) {
		/*
		 * The model keeps its last figures. No counter read in this sweep
		 * may serve as a base (the members were not read with it): every
		 * group is read in full next time.
		 */
		int e = errno;
		for (size_t k = 0; k < s->ncgs_next; k++)
			sampler_cg_fini(&s->cgs_next[k]);
		s->ncgs_next = 0;
		for (size_t k = 0; k < s->ncgs; k++)
			s->cgs[k].has_usec = false;
		s->has_stack_usec = false;
		errno = e;
		return -1;
	}
	bool first = s->last_ns == 0;
	s->last_ns = now;
	sampler_cg_turn(s);
	if (slow && !first) {
		/* This slow sweep's totals become the base of the next one's rates. */
		if (s->nio_next > 1)
			qsort(s->io_next, s->nio_next, sizeof(*s->io_next), sampler_io_cmp);
		struct sampler_io *tio = s->io;
		size_t tiocap = s->cap_io;
		s->io = s->io_next;
		s->nio = s->nio_next;
		s->cap_io = s->cap_io_next;
		s->io_next = tio;
		s->cap_io_next = tiocap;
		s->nio_next = 0;
		s->last_slow_ns = now;
	}
	if (first)
		return 0;
	/* The host's figures, while something uses them; the event all the same. */
	struct model_host h = *sv_host(s->sv);
	if (sv_host_wanted(s->sv))
		sampler_host(s, &h);
	sv_set_host(s->sv, &h);
	return 0;
}

void
sampler_read_host(struct sampler *s)
{
	struct model_host h = *sv_host(s->sv);
	sampler_host(s, &h);
	sv_put_host(s->sv, &h);
}
