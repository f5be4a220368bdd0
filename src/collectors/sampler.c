/*
 * sampler — owns a proc_scan (the host's processes, one file each per
 * sweep), a host_reader, and the I/O totals of the last slow sweep (per
 * pid, to turn totals into rates).
 *
 * Per sweep: every process on the host is read once (the ppid map has to
 * see them all to find descendants); each running instance's tree is then
 * walked in memory. Descriptors (a readdir of /proc/PID/fd) and I/O
 * (/proc/PID/io) are read for tree members only, every slow_ms.
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

/* I/O totals of one process at the last slow sweep. */
struct sampler_io {
	pid_t pid;
	uint64_t start_ticks;
	uint64_t read_bytes, write_bytes;
};

/* A cgroup's CPU counter at the last sweep, and its file kept open. */
struct sampler_cg {
	const struct cg_group *cg;   /* borrowed: the key */
	uint64_t usec;
	int fd;                      /* owned: cpu.stat or cpuacct.usage */
	enum cg_ver ver;
};

struct sampler {
	struct sv *sv;               /* borrowed */
	struct sampler_cg *cgs, *cgs_next; /* owned: last sweep's counters; the next ones */
	size_t ncgs, ncgs_next, cap_cgs, cap_cgs_next;
	int64_t last_ns;             /* monotonic time of the last sweep */
	struct proc_scan *scan;      /* owned */
	struct host_reader *host;    /* owned; NULL when the host cannot be read */
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
	s->scan = proc_scan_new(proc_root);
	if (s->scan == NULL) {
		int e = errno;
		free(s);
		errno = e;
		return NULL;
	}
	/* The host is always the live one: fixture roots describe processes only. */
	s->host = host_reader_new();
	return s;
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
		close(s->cgs[i].fd);
	free(s->cgs);
	free(s->cgs_next);
	free(s);
}

static const struct sampler_io *
sampler_io_find(const struct sampler *s, const struct proc_rec *r)
{
	size_t lo = 0, hi = s->nio;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->io[mid].pid == r->pid)
			return s->io[mid].start_ticks == r->start_ticks ? &s->io[mid] : NULL;
		if (s->io[mid].pid < r->pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Records one member's I/O totals for the next slow sweep; false when out of memory. */
static bool
sampler_io_keep(struct sampler *s, const struct proc_rec *r, uint64_t rb, uint64_t wb)
{
	if (s->nio_next == s->cap_io_next) {
		size_t cap = s->cap_io_next != 0 ? s->cap_io_next * 2 : 64;
		struct sampler_io *p = realloc(s->io_next, cap * sizeof(*p));
		if (p == NULL)
			return false;
		s->io_next = p;
		s->cap_io_next = cap;
	}
	s->io_next[s->nio_next++] = (struct sampler_io){
		.pid = r->pid, .start_ticks = r->start_ticks, .read_bytes = rb, .write_bytes = wb,
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
		a->root_fds = n; /* the walk starts at the process itself */
	if (n < 0 || a->fds < 0)
		a->fds = -1;
	else
		a->fds += n;
	uint64_t rb, wb;
	if (proc_read_io(a->s->scan, r->pid, &rb, &wb) < 0)
		return; /* gone, or not ours to read: it adds nothing */
	sampler_io_keep(a->s, r, rb, wb);
	if (a->io_dt_ns <= 0)
		return;
	const struct sampler_io *o = sampler_io_find(a->s, r);
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

/* The figures of one running instance, or false when its pid is gone. */
static bool
sampler_instance(struct sampler *s, pid_t pid, bool slow, int64_t io_dt_ns,
    struct proc_metrics *m, struct sampler_acc *acc)
{
	const struct proc_rec *r = proc_scan_find(s->scan, pid);
	if (r == NULL)
		return false;
	int64_t dt = proc_scan_interval_ns(s->scan);
	long page = proc_scan_page_size(s->scan);
	/* The caller's record: its members (the tree) go on to the supervisor without a copy. */
	*acc = (struct sampler_acc){.s = s, .slow = slow, .io_dt_ns = io_dt_ns, .root_fds = -1};
	const struct sampler_acc *a = acc;
	proc_scan_tree(s->scan, pid, sampler_on_member, acc);
	*m = (struct proc_metrics){
		.at_ms = model_realtime_ms(),
		.cpu = sampler_pct(s, proc_scan_delta(s->scan, r), dt),
		.tree_cpu = sampler_pct(s, a->ticks, dt),
		.rss = r->rss_pages * (uint64_t)page,
		.tree_rss = a->rss_pages * (uint64_t)page,
		.threads = r->threads,
		.tree_threads = a->threads,
		.fds = slow ? a->root_fds : -1,
		.tree_fds = slow ? a->fds : -1,
		.io_read = a->io_known ? a->io_read / ((double)io_dt_ns / 1e9) : -1,
		.io_write = a->io_known ? a->io_write / ((double)io_dt_ns / 1e9) : -1,
		.tree_procs = a->procs,
		.kstate = r->state,
		.cg_memory = -1,
		.oom_kills = -1,
	};
	return true;
}

/*
 * The cgroup's figures replace the ppid tree's CPU (the cgroup counts every
 * process it ever held, short-lived ones included) and add its memory and
 * OOM kills.
 */
static void
sampler_cgroup(struct sampler *s, const struct cg_group *cg, bool slow, int64_t dt_ns,
    struct proc_metrics *m)
{
	if (cg == NULL)
		return;
	/* Memory and OOM kills with the other slow figures. */
	if (slow) {
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
	/* CPU every sweep, through the descriptor kept from the last one. */
	struct sampler_cg *old = NULL;
	for (size_t k = 0; k < s->ncgs && old == NULL; k++)
		if (s->cgs[k].cg == cg)
			old = &s->cgs[k];
	struct sampler_cg now = {.cg = cg, .fd = -1};
	if (old != NULL) {
		now.fd = old->fd;
		now.ver = old->ver;
		old->fd = -1; /* handed on */
	} else {
		now.fd = cgstat_cpu_open(cg, &now.ver);
	}
	if (now.fd < 0 || !cgstat_cpu_read(now.fd, now.ver, &now.usec)) {
		if (now.fd >= 0)
			close(now.fd);
		return;
	}
	if (old != NULL && dt_ns > 0 && now.usec >= old->usec) {
		m->tree_cpu = 100.0 * (double)(now.usec - old->usec) / ((double)dt_ns / 1000);
		m->cgroup = true;
	}
	if (s->ncgs_next == s->cap_cgs_next) {
		size_t cap = s->cap_cgs_next ? s->cap_cgs_next * 2 : 32;
		struct sampler_cg *p = realloc(s->cgs_next, cap * sizeof(*p));
		if (p == NULL) {
			close(now.fd);
			return;
		}
		s->cgs_next = p;
		s->cap_cgs_next = cap;
	}
	s->cgs_next[s->ncgs_next++] = now;
}

int
sampler_sweep(struct sampler *s)
{
	if (proc_scan_run(s->scan) < 0)
		return -1;
	if (proc_scan_interval_ns(s->scan) == 0) {
		/* The first sweep only sets the base the next one's CPU figures are taken from. */
		if (s->host != NULL) {
			struct model_host h;
			host_read(s->host, &h);
		}
		s->last_ns = sampler_mono_ns();
		return 0;
	}
	int64_t now = sampler_mono_ns();
	int64_t dt = s->last_ns != 0 ? now - s->last_ns : 0;
	s->last_ns = now;
	s->ncgs_next = 0;
	bool slow = s->last_slow_ns == 0 || now - s->last_slow_ns >= s->slow_ns;
	int64_t io_dt = s->last_slow_ns != 0 ? now - s->last_slow_ns : 0;
	s->nio_next = 0;
	for (size_t i = 0; i < sv_count(s->sv); i++) {
		const struct proc_info *p = sv_proc(s->sv, i);
		struct proc_metrics m;
		struct sampler_acc acc;
		if (p->pid <= 0 || !sampler_instance(s, p->pid, slow, io_dt, &m, &acc)) {
			sv_set_metrics(s->sv, i, 0, NULL);
			continue;
		}
		sampler_cgroup(s, sv_cgroup(s->sv, i), slow, dt, &m);
		if (!slow) {
			/* Between slow sweeps, the slower figures stay as last read. */
			const struct proc_metrics *old = &p->metrics;
			m.cg_memory = old->at_ms != 0 ? old->cg_memory : -1;
			m.oom_kills = old->at_ms != 0 ? old->oom_kills : -1;
			m.fds = old->at_ms != 0 ? old->fds : -1;
			m.tree_fds = old->at_ms != 0 ? old->tree_fds : -1;
			m.io_read = old->at_ms != 0 ? old->io_read : -1;
			m.io_write = old->at_ms != 0 ? old->io_write : -1;
		}
		pid_t pid = p->pid;
		sv_set_metrics(s->sv, i, pid, &m);
		sv_set_tree(s->sv, i, pid, acc.members, acc.nmembers);
	}
	/* This sweep's cgroup counters are the base of the next one's; files of groups gone are closed. */
	for (size_t k = 0; k < s->ncgs; k++)
		if (s->cgs[k].fd >= 0)
			close(s->cgs[k].fd);
	struct sampler_cg *tc = s->cgs;
	size_t tcap = s->cap_cgs;
	s->cgs = s->cgs_next;
	s->ncgs = s->ncgs_next;
	s->cap_cgs = s->cap_cgs_next;
	s->cgs_next = tc;
	s->cap_cgs_next = tcap;
	s->ncgs_next = 0;
	if (slow) {
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
	struct model_host h = *sv_host(s->sv);
	if (s->host != NULL && host_read(s->host, &h))
		h.at_ms = model_realtime_ms();
	size_t n;
	proc_scan_recs(s->scan, &n);
	h.procs = (int)n;
	sv_set_host(s->sv, &h);
	return 0;
}
