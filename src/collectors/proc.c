/*
 * proc — owns the records of the last two sweeps (two arrays swapped at
 * each sweep), a children index over the current one, and one open
 * descriptor per process's stat file, kept from sweep to sweep and re-read
 * with pread: the kernel's path walk for /proc/PID/stat (most of a sweep's
 * cost when each file is opened anew) is paid once per process, not once
 * per sweep. A descriptor whose process is gone reads ESRCH (or 0 bytes)
 * and is closed; a reused pid is a new /proc entry, so its old descriptor
 * fails the same way and a new one is opened.
 *
 * The children index: recs sorted by pid; kids[] holds, for each record,
 * the indexes of its children, grouped by parent (first_kid[i] .. first_kid[i+1]).
 * Built in O(n log n) per sweep; tree walks are then O(tree size).
 */
#include "collectors/proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "core/vec.h"

#define PROC_STAT_MAX 1024 /* a stat line is ~300 bytes; comm is at most 64 */

#define PROC_FDS_MAX 65536 /* stat descriptors kept open at most (beyond: opened per sweep) */

/* How often each process is read in full whatever the gate says, statm included (sweeps). */
#define PROC_REFRESH 16

/*
 * What is kept of one process from sweep to sweep: its stat descriptor and,
 * for the schedstat gate, its schedstat descriptor and the time on the CPU
 * it read there.
 */
struct proc_fd {
	pid_t pid;
	int fd;                 /* owned: PID/stat; -1 = none */
	int sfd;                /* owned: PID/schedstat; -1 = none */
	int mfd;                /* owned: PID/statm; -1 = none */
	uint64_t run_ns;        /* schedstat's time on the CPU when the record was last read */
	bool armed;             /* run_ns was read just before the record: the gate may skip it */
	uint8_t skip;           /* sweeps left to read it without the gate (it was running) */
	uint8_t streak;         /* gate checks in a row that found it had run */
};

struct proc_scan {
	char *root;                 /* owned; "/proc" for the live host */
	int root_fd;                /* owned: the root folder */
	struct proc_fd *fds, *fds_next; /* owned: kept descriptors by pid (last sweep's, this one's) */
	size_t nfds, nfds_next, cap_fds, cap_fds_next;
	size_t ndesc_next;          /* descriptors held by fds_next */
	size_t fds_max;             /* descriptors RLIMIT_NOFILE leaves for them */
	bool procfs;                /* the root is a real procfs (not a fixture folder) */
	long hz, page;
	int64_t boot_ms;            /* realtime of boot (btime), 0 = unknown */

	struct proc_rec *cur, *old; /* owned, sorted by pid */
	size_t ncur, nold, cap_cur, cap_old;
	int64_t cur_ns, old_ns;     /* monotonic time of each sweep; 0 = none */

	size_t *first_kid;          /* owned, ncur + 1 entries */
	size_t *kids;               /* owned, ncur entries: record indexes grouped by parent */
	size_t *parent, *next;      /* owned scratch of the index's build */
	size_t *carried;            /* owned scratch: indexes in cur of records the gate carried */
	size_t cap_carried;
	unsigned sweeps;            /* sweeps so far, targeted ones too (staggers full reads) */
	bool no_schedstat;          /* the kernel has no PID/schedstat: no gate */
	int64_t old_boot_ticks;     /* clock ticks since boot at the previous sweep; 0 = unknown */
	int64_t cur_boot_ticks;     /* the same at this sweep */
	size_t cap_index;
};

static ssize_t proc_index(const struct proc_rec *recs, size_t n, pid_t pid);

static int64_t
proc_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Reads a small file under the root into buf (NUL-terminated); its length, or -1 with errno. */
static ssize_t
proc_slurp(const struct proc_scan *s, const char *rel, char *buf, size_t size)
{
	int fd = openat(s->root_fd, rel, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, size - 1);
	int e = errno;
	close(fd);
	if (n < 0) {
		errno = e;
		return -1;
	}
	buf[n] = '\0';
	return n;
}

bool
proc_parse_stat(const char *text, size_t len, struct proc_rec *r)
{
	/* "PID (COMM) S PPID PGRP …": comm may hold spaces and ')', so the last ')' ends it. */
	const char *open = memchr(text, '(', len);
	const char *close_paren = NULL;
	for (const char *p = text + len; p > text; p--)
		if (p[-1] == ')') {
			close_paren = p - 1;
			break;
		}
	if (open == NULL || close_paren == NULL || close_paren < open)
		return false;
	memset(r, 0, sizeof(*r));
	char *end;
	long pid = strtol(text, &end, 10);
	if (end == text || pid <= 0)
		return false;
	r->pid = (pid_t)pid;
	size_t cl = (size_t)(close_paren - open - 1);
	if (cl >= sizeof(r->comm))
		cl = sizeof(r->comm) - 1;
	memcpy(r->comm, open + 1, cl);
	/* Fields from 3 on, numbered as in proc(5). */
	const char *p = close_paren + 1;
	const char *stop = text + len;
	unsigned long long f[25] = {0};
	int field = 3;
	while (p < stop && field <= 24) {
		while (p < stop && *p == ' ')
			p++;
		if (p >= stop)
			break;
		if (field == 3) {
			r->state = *p;
			while (p < stop && *p != ' ')
				p++;
		} else {
			/* Some fields are signed (nice, priority): strtoll keeps them apart from ours. */
			long long v = strtoll(p, &end, 10);
			if (end == p)
				return false;
			f[field] = (unsigned long long)v;
			p = end;
		}
		field++;
	}
	if (field <= 24)
		return false;
	r->ppid = (pid_t)f[4];
	r->pgrp = (pid_t)f[5];
	r->ticks = f[14] + f[15];
	r->threads = (int)f[20];
	r->start_ticks = f[22];
	r->rss_pages = (long long)f[24] < 0 ? 0 : f[24];
	r->faults = f[10] + f[12];
	return true;
}

/* Boot time from the root's stat file ("btime SECONDS"); 0 when unknown. */
static int64_t
proc_boot_ms(const struct proc_scan *s)
{
	char buf[16384];
	if (proc_slurp(s, "stat", buf, sizeof(buf)) < 0)
		return 0;
	const char *b = strstr(buf, "\nbtime ");
	return b != NULL ? (int64_t)strtoll(b + 7, NULL, 10) * 1000 : 0;
}

struct proc_scan *
proc_scan_new(const char *root)
{
	struct proc_scan *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->root = strdup(root != NULL ? root : "/proc");
	s->root_fd = s->root != NULL ? open(s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (s->root_fd < 0)
		goto fail;
	struct statfs fs;
	s->procfs = fstatfs(s->root_fd, &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC;
	/* Room for a descriptor per process: the soft limit up to the hard one, keeping a quarter for the rest. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur < rl.rlim_max && rl.rlim_cur < PROC_FDS_MAX * 2) {
			rlim_t want = rl.rlim_max < PROC_FDS_MAX * 2 ? rl.rlim_max : PROC_FDS_MAX * 2;
			struct rlimit nl = {want, rl.rlim_max};
			if (setrlimit(RLIMIT_NOFILE, &nl) == 0)
				rl.rlim_cur = want;
		}
		size_t room = rl.rlim_cur == RLIM_INFINITY ? PROC_FDS_MAX : (size_t)(rl.rlim_cur * 3 / 4);
		s->fds_max = room < PROC_FDS_MAX ? room : PROC_FDS_MAX;
	}
	s->hz = sysconf(_SC_CLK_TCK);
	s->page = sysconf(_SC_PAGESIZE);
	if (s->hz <= 0)
		s->hz = 100;
	if (s->page <= 0)
		s->page = 4096;
	s->boot_ms = proc_boot_ms(s);
	return s;
fail:;
	int e = errno;
	proc_scan_free(s);
	errno = e;
	return NULL;
}

/* Closes what an entry holds. */
static void
proc_fd_close(struct proc_fd *e)
{
	if (e->fd >= 0)
		close(e->fd);
	if (e->sfd >= 0)
		close(e->sfd);
	if (e->mfd >= 0)
		close(e->mfd);
	e->fd = e->sfd = e->mfd = -1;
	e->armed = false;
}

void
proc_scan_free(struct proc_scan *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nfds; i++)
		proc_fd_close(&s->fds[i]);
	free(s->fds);
	free(s->fds_next);
	if (s->root_fd >= 0)
		close(s->root_fd);
	free(s->root);
	free(s->cur);
	free(s->old);
	free(s->first_kid);
	free(s->kids);
	free(s->parent);
	free(s->next);
	free(s->carried);
	free(s);
}

static int
proc_fd_cmp(const void *a, const void *b)
{
	pid_t x = ((const struct proc_fd *)a)->pid, y = ((const struct proc_fd *)b)->pid;
	return (x > y) - (x < y);
}

/* Keeps e for the next sweep; past the room for descriptors, its own are closed instead. */
static void
proc_fd_keep(struct proc_scan *s, struct proc_fd *e)
{
	if (e->fd < 0 && e->sfd < 0 && e->mfd < 0)
		return;
	/* Short of room, statm's and the gate's descriptors go first (opened per use instead). */
	if (e->mfd >= 0 && s->ndesc_next + 1 + (e->sfd >= 0) + 1 > s->fds_max) {
		close(e->mfd);
		e->mfd = -1;
	}
	if (e->sfd >= 0 && s->ndesc_next + 2 > s->fds_max) {
		close(e->sfd);
		e->sfd = -1;
		e->armed = false;
	}
	if (s->ndesc_next + 1 > s->fds_max)
		goto full;
	if (vec_reserve(&s->fds_next, &s->cap_fds_next, s->nfds_next + 1, sizeof(*s->fds_next)) < 0)
		goto full;
	s->fds_next[s->nfds_next++] = *e;
	s->ndesc_next += (size_t)(e->fd >= 0) + (size_t)(e->sfd >= 0) + (size_t)(e->mfd >= 0);
	return;
full:
	proc_fd_close(e);
}

/*
 * pid's entry from the last sweep (the kept list is by pid and so are the
 * callers' pids: *k walks it as a merge, closing the entries of pids passed
 * over, whose processes are gone); one with no descriptors when there is none.
 */
static struct proc_fd
proc_fd_take(struct proc_scan *s, pid_t pid, size_t *k)
{
	while (*k < s->nfds && s->fds[*k].pid < pid)
		proc_fd_close(&s->fds[(*k)++]);
	if (*k < s->nfds && s->fds[*k].pid == pid)
		return s->fds[(*k)++];
	return (struct proc_fd){.pid = pid, .fd = -1, .sfd = -1, .mfd = -1};
}

/*
 * Reads e's stat file into buf (NUL-terminated) through its descriptor,
 * opened when it has none or when the process it was opened for is gone (a
 * pid reused since). The length, or -1 when the process is gone (e's
 * descriptors then closed).
 */
static ssize_t
proc_stat_pread(struct proc_scan *s, struct proc_fd *e, char *buf, size_t size)
{
	ssize_t len = -1;
	if (e->fd >= 0) {
		len = pread(e->fd, buf, size - 1, 0);
		if (len <= 0)
			proc_fd_close(e); /* its schedstat descriptor is just as stale */
	}
	if (e->fd < 0) {
		char rel[32];
		snprintf(rel, sizeof(rel), "%d/stat", (int)e->pid);
		e->fd = openat(s->root_fd, rel, O_RDONLY | O_CLOEXEC);
		if (e->fd < 0)
			return -1;
		len = pread(e->fd, buf, size - 1, 0);
		if (len <= 0) {
			proc_fd_close(e);
			return -1;
		}
	}
	buf[len] = '\0';
	return len;
}

/* e's time on the CPU in ns (schedstat's first field), opening the file when needed; false when it cannot. */
static bool
proc_run_ns(struct proc_scan *s, struct proc_fd *e, uint64_t *ns)
{
	if (s->no_schedstat)
		return false;
	if (e->sfd < 0) {
		char rel[32];
		snprintf(rel, sizeof(rel), "%d/schedstat", (int)e->pid);
		e->sfd = openat(s->root_fd, rel, O_RDONLY | O_CLOEXEC);
		if (e->sfd < 0) {
			if (errno == ENOENT && faccessat(s->root_fd, "self/schedstat", R_OK, 0) < 0)
				s->no_schedstat = true; /* a kernel without it: no gate */
			return false;
		}
	}
	char buf[96];
	ssize_t n = pread(e->sfd, buf, sizeof(buf) - 1, 0);
	if (n <= 0) {
		close(e->sfd);
		e->sfd = -1;
		return false;
	}
	buf[n] = '\0';
	char *end;
	*ns = strtoull(buf, &end, 10);
	/* Without schedstats and delay accounting, older kernels print zeros: nothing to go by. */
	return end != buf && *ns != 0;
}

/* True on the sweep where pid is read in full whatever it did (staggered by pid). */
static bool
proc_due(const struct proc_scan *s, pid_t pid)
{
	return ((unsigned)pid + s->sweeps) % PROC_REFRESH == 0;
}

/*
 * The resident set from PID/statm (its second field), into r. Since Linux
 * 6.2 the stat line's figure is the approximate sum of per-CPU counters (a
 * small process reads a few hundred KiB low); statm's is exact, as ps, top
 * and htop show it. Without a statm (a fixture tree) the stat figure stays.
 * o, the last record of the process (or NULL): when it has had neither a
 * tick on the CPU nor a page fault since, its figure stands (a sleeping
 * process costs no second read) but every PROC_REFRESH sweeps.
 */
static void
proc_read_statm(struct proc_scan *s, struct proc_fd *e, const struct proc_rec *o, struct proc_rec *r)
{
	if (o != NULL && o->start_ticks == r->start_ticks && o->ticks == r->ticks &&
	    o->faults == r->faults && !proc_due(s, r->pid)) {
		r->rss_pages = o->rss_pages;
		return;
	}
	if (e->mfd < 0) {
		char rel[32];
		snprintf(rel, sizeof(rel), "%d/statm", (int)e->pid);
		e->mfd = openat(s->root_fd, rel, O_RDONLY | O_CLOEXEC);
		if (e->mfd < 0)
			return;
	}
	char buf[128];
	ssize_t n = pread(e->mfd, buf, sizeof(buf) - 1, 0);
	if (n <= 0) {
		close(e->mfd); /* gone, or opened for an earlier process of this pid */
		e->mfd = -1;
		return;
	}
	buf[n] = '\0';
	char *size_end, *end;
	(void)strtoull(buf, &size_end, 10);
	unsigned long long res = strtoull(size_end, &end, 10);
	if (end != size_end)
		r->rss_pages = res;
}

/*
 * Reads pid's record into *r through its kept entry (see proc_fd_take for
 * *k) and keeps it; o: its last record, or NULL. False when gone or bad.
 */
static bool
proc_read_rec(struct proc_scan *s, pid_t pid, size_t *k, const struct proc_rec *o, struct proc_rec *r)
{
	char buf[PROC_STAT_MAX];
	struct proc_fd e = proc_fd_take(s, pid, k);
	ssize_t len = proc_stat_pread(s, &e, buf, sizeof(buf));
	if (len < 0) {
		proc_fd_close(&e);
		return false;
	}
	bool ok = proc_parse_stat(buf, (size_t)len, r);
	if (ok)
		proc_read_statm(s, &e, o, r);
	proc_fd_keep(s, &e);
	return ok;
}

/* Keeps pid's entry for the next sweep without reading it (see proc_fd_take for *k). */
static void
proc_pass_stat(struct proc_scan *s, pid_t pid, size_t *k)
{
	struct proc_fd e = proc_fd_take(s, pid, k);
	proc_fd_keep(s, &e);
}

/* Closes the descriptors the sweep passed over; this sweep's become the next one's kept list. */
static void
proc_fds_swap(struct proc_scan *s, size_t k)
{
	while (k < s->nfds)
		proc_fd_close(&s->fds[k++]);
	struct proc_fd *t = s->fds;
	size_t tc = s->cap_fds;
	s->fds = s->fds_next;
	s->nfds = s->nfds_next;
	s->cap_fds = s->cap_fds_next;
	s->fds_next = t;
	s->cap_fds_next = tc;
	s->nfds_next = s->ndesc_next = 0;
	/* Fixture trees need not list in pid order: keep the list sorted for the merge. */
	for (size_t i = 1; i < s->nfds; i++) {
		if (s->fds[i - 1].pid > s->fds[i].pid) {
			qsort(s->fds, s->nfds, sizeof(*s->fds), proc_fd_cmp);
			break;
		}
	}
}

/* A listing of the root from its start (a new stream over the kept descriptor); NULL with errno. */
static DIR *
proc_open_root(const struct proc_scan *s)
{
	int dfd = dup(s->root_fd);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (d == NULL) {
		int e = errno;
		if (dfd >= 0)
			close(dfd);
		errno = e;
		return NULL;
	}
	rewinddir(d);
	return d;
}

/*
 * The gate: a single-threaded process whose time on the CPU (schedstat,
 * ns) has not moved since its record was read did not run, so nothing in
 * its stat line can have changed but what others do to it (memory
 * reclaimed, a new parent when its own exits); its record stands. A
 * schedstat line costs the kernel about half of a stat line. Threads are
 * not covered (schedstat counts the main thread only), nor is a process
 * that ran at the last check: it is read directly for a few sweeps (1 <<
 * streak), so a busy process costs one read, not two. Each process is
 * read in full every PROC_REFRESH sweeps (staggered by pid), and a
 * carried record whose parent has gone is read again after the sweep.
 */

/* Reads pid for this sweep into *r; with the gate, maybe by carrying o. 1 = read, 2 = carried, 0 = gone or bad. */
static int
proc_gated(struct proc_scan *s, pid_t pid, size_t *k, const struct proc_rec *o, struct proc_rec *r)
{
	struct proc_fd e = proc_fd_take(s, pid, k);
	bool due = proc_due(s, pid);
	bool single = o != NULL && o->threads == 1;
	uint64_t ns = 0;
	bool have_ns = false;
	if (e.armed && single && !due) {
		have_ns = proc_run_ns(s, &e, &ns);
		if (have_ns && ns == e.run_ns) {
			*r = *o;
			e.streak = 0;
			proc_fd_keep(s, &e);
			return 2;
		}
		/* It ran: read it directly for a while. */
		e.armed = false;
		if (e.streak < 4)
			e.streak++;
		e.skip = (uint8_t)(1u << e.streak);
		have_ns = false;
	} else if (e.skip > 0) {
		e.skip--;
	} else if (single) {
		/* Armed from here on: the time on the CPU read before the record. */
		have_ns = proc_run_ns(s, &e, &ns);
	}
	char buf[PROC_STAT_MAX];
	ssize_t len = proc_stat_pread(s, &e, buf, sizeof(buf));
	if (len < 0) {
		proc_fd_close(&e); /* gone: its schedstat descriptor too */
		return 0;
	}
	bool ok = proc_parse_stat(buf, (size_t)len, r);
	if (ok)
		proc_read_statm(s, &e, o, r);
	e.armed = ok && have_ns && r->threads == 1 && r->start_ticks == o->start_ticks;
	e.run_ns = ns;
	if (!e.armed && e.sfd >= 0 && !single) {
		close(e.sfd); /* not single-threaded (or new): no gate for it */
		e.sfd = -1;
	}
	proc_fd_keep(s, &e);
	return ok ? 1 : 0;
}

/*
 * A carried record whose parent is no longer in this sweep may have a new
 * one (the subreaper or init): read again. carried holds their indexes.
 */
static void
proc_reparent(struct proc_scan *s, const size_t *carried, size_t nc)
{
	char buf[PROC_STAT_MAX];
	for (size_t c = 0; c < nc; c++) {
		struct proc_rec *r = &s->cur[carried[c]];
		if (r->ppid <= 0 || proc_index(s->cur, s->ncur, r->ppid) >= 0)
			continue;
		/* Its kept entry is in this sweep's list, by pid. */
		size_t lo = 0, hi = s->nfds_next;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (s->fds_next[mid].pid < r->pid)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo >= s->nfds_next || s->fds_next[lo].pid != r->pid || s->fds_next[lo].fd < 0)
			continue;
		ssize_t len = pread(s->fds_next[lo].fd, buf, sizeof(buf) - 1, 0);
		struct proc_rec n;
		if (len > 0) {
			buf[len] = '\0';
			if (proc_parse_stat(buf, (size_t)len, &n) && n.start_ticks == r->start_ticks) {
				n.rss_pages = r->rss_pages; /* statm's, read when it last ran */
				*r = n;
			}
		}
		s->fds_next[lo].armed = false; /* its run_ns no longer goes with the record */
	}
}

/* Fills cur by reading ROOT/PID/stat for every numeric entry of the root (through the gate on procfs). */
static int
proc_sweep(struct proc_scan *s)
{
	DIR *d = proc_open_root(s);
	if (d == NULL)
		return -1;
	size_t n = 0, k = 0, j = 0, nc = 0;
	s->nfds_next = s->ndesc_next = 0;
	struct dirent *e;
	int rc = 0;
	pid_t last = 0;
	bool ordered = true;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		pid_t pid = (pid_t)strtol(e->d_name, NULL, 10);
		ordered = ordered && pid > last;
		last = pid;
		if (vec_reserve(&s->cur, &s->cap_cur, n + 1, sizeof(*s->cur)) < 0) {
			rc = -1;
			break;
		}
		if (s->procfs && ordered) {
			/* The last sweep's record of pid, by merge: both lists are by pid. */
			while (j < s->nold && s->old[j].pid < pid)
				j++;
			const struct proc_rec *o = j < s->nold && s->old[j].pid == pid ? &s->old[j] : NULL;
			int got = proc_gated(s, pid, &k, o, &s->cur[n]);
			if (got == 2 && vec_reserve(&s->carried, &s->cap_carried, nc + 1, sizeof(*s->carried)) == 0)
				s->carried[nc++] = n;
			if (got != 0)
				n++;
			continue;
		}
		if (proc_read_rec(s, pid, &k, NULL, &s->cur[n]))
			n++; /* else gone since readdir */
	}
	s->ncur = n;
	if (nc > 0)
		proc_reparent(s, s->carried, nc);
	proc_fds_swap(s, k);
	closedir(d);
	s->sweeps++;
	return rc;
}

static int
proc_cmp_pid(const void *a, const void *b)
{
	pid_t x = ((const struct proc_rec *)a)->pid, y = ((const struct proc_rec *)b)->pid;
	return (x > y) - (x < y);
}

/* Index of pid in cur, or -1. */
static ssize_t
proc_index(const struct proc_rec *recs, size_t n, pid_t pid)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (recs[mid].pid == pid)
			return (ssize_t)mid;
		if (recs[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Builds first_kid/kids over cur (counting sort by parent index). */
static int
proc_build_index(struct proc_scan *s)
{
	size_t n = s->ncur;
	if (n + 1 > s->cap_index) {
		/* The index and its scratch grow together and are kept from sweep to sweep. */
		size_t cap = n + 1 + n / 2;
		size_t **arrays[] = {&s->first_kid, &s->kids, &s->parent, &s->next};
		for (size_t a = 0; a < sizeof(arrays) / sizeof(arrays[0]); a++) {
			size_t *p = realloc(*arrays[a], cap * sizeof(*p));
			if (p == NULL)
				return -1;
			*arrays[a] = p;
		}
		s->cap_index = cap;
	}
	size_t *fk = s->first_kid;
	memset(fk, 0, (n + 1) * sizeof(*fk));
	/* Each record's parent (its index, SIZE_MAX for none), counted per parent. */
	for (size_t i = 0; i < n; i++) {
		ssize_t pi = s->cur[i].ppid > 0 && s->cur[i].ppid != s->cur[i].pid ?
		    proc_index(s->cur, n, s->cur[i].ppid) : -1;
		s->parent[i] = pi < 0 ? SIZE_MAX : (size_t)pi;
		if (pi >= 0)
			fk[pi + 1]++;
	}
	for (size_t i = 0; i < n; i++)
		fk[i + 1] += fk[i];
	/* Each child at its parent's next free slot. */
	memcpy(s->next, fk, (n + 1) * sizeof(*s->next));
	for (size_t i = 0; i < n; i++)
		if (s->parent[i] != SIZE_MAX)
			s->kids[s->next[s->parent[i]]++] = i;
	return 0;
}

/* Clock ticks since boot now, as start times count them; 0 when unknown. */
static int64_t
proc_boot_ticks(const struct proc_scan *s)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_BOOTTIME, &ts) < 0)
		return 0;
	return (int64_t)ts.tv_sec * s->hz + (int64_t)ts.tv_nsec / (1000000000 / s->hz);
}

/* The current sweep becomes the old one; the old array is reused for the next. */
static void
proc_turn(struct proc_scan *s)
{
	struct proc_rec *t = s->old;
	size_t tc = s->cap_old;
	s->old = s->cur;
	s->cap_old = s->cap_cur;
	s->nold = s->ncur;
	s->old_ns = s->cur_ns;
	s->old_boot_ticks = s->cur_boot_ticks;
	s->cur_boot_ticks = proc_boot_ticks(s);
	s->cur = t;
	s->cap_cur = tc;
	s->ncur = 0;
}

/* After a sweep that returned rc: puts the old sweep back on failure, else sorts and indexes. */
static int
proc_finish(struct proc_scan *s, int rc)
{
	if (rc < 0) {
		int e = errno;
		/* The kept entries' run times go with this failed sweep, not with the records put back. */
		for (size_t i = 0; i < s->nfds; i++)
			s->fds[i].armed = false;
		struct proc_rec *t = s->cur;
		size_t tc = s->cap_cur;
		s->cur = s->old;
		s->ncur = s->nold;
		s->cap_cur = s->cap_old;
		s->cur_ns = s->old_ns;
		s->cur_boot_ticks = s->old_boot_ticks;
		s->old_boot_ticks = 0;
		s->old = t;
		s->cap_old = tc;
		s->nold = 0;
		s->old_ns = 0;
		errno = e;
		return -1;
	}
	s->cur_ns = proc_mono_ns();
	/* /proc lists by pid; a fixture tree's readdir order is the file system's. */
	bool sorted = true;
	for (size_t i = 1; i < s->ncur && sorted; i++)
		sorted = s->cur[i - 1].pid < s->cur[i].pid;
	if (!sorted)
		qsort(s->cur, s->ncur, sizeof(*s->cur), proc_cmp_pid);
	return proc_build_index(s);
}

int
proc_scan_run(struct proc_scan *s)
{
	proc_turn(s);
	return proc_finish(s, proc_sweep(s));
}

int
proc_scan_pids(struct proc_scan *s, const struct proc_want *w, size_t n)
{
	proc_turn(s);
	size_t k = 0, j = 0, nc = 0;
	s->nfds_next = s->ndesc_next = 0;
	int rc = 0;
	if (vec_reserve(&s->cur, &s->cap_cur, n, sizeof(*s->cur)) < 0)
		rc = -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		pid_t pid = w[i].pid;
		if (i > 0 && pid <= w[i - 1].pid) {
			errno = EINVAL; /* not sorted, or a duplicate */
			rc = -1;
			break;
		}
		while (j < s->nold && s->old[j].pid < pid)
			j++;
		if (w[i].carry && j < s->nold && s->old[j].pid == pid) {
			/* It has not run since: its record stands, and its descriptor is kept. */
			s->cur[nc++] = s->old[j];
			proc_pass_stat(s, pid, &k);
			continue;
		}
		if (proc_read_rec(s, pid, &k, j < s->nold && s->old[j].pid == pid ? &s->old[j] : NULL,
		    &s->cur[nc]))
			nc++;
	}
	proc_fds_swap(s, k);
	s->ncur = nc;
	s->sweeps++; /* staggers statm's refresh here too */
	return proc_finish(s, rc);
}

int
proc_scan_count(const struct proc_scan *s)
{
	DIR *d = proc_open_root(s);
	if (d == NULL)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9')
			n++;
	closedir(d);
	return n;
}

const struct proc_rec *
proc_scan_recs(const struct proc_scan *s, size_t *n)
{
	*n = s->ncur;
	return s->cur;
}

const struct proc_rec *
proc_scan_find(const struct proc_scan *s, pid_t pid)
{
	ssize_t i = proc_index(s->cur, s->ncur, pid);
	return i < 0 ? NULL : &s->cur[i];
}

const struct proc_rec *
proc_scan_prev(const struct proc_scan *s, const struct proc_rec *r)
{
	ssize_t i = proc_index(s->old, s->nold, r->pid);
	if (i < 0 || s->old[i].start_ticks != r->start_ticks)
		return NULL; /* a new process, perhaps with a reused pid */
	return &s->old[i];
}

uint64_t
proc_scan_delta(const struct proc_scan *s, const struct proc_rec *r)
{
	if (s->old_ns == 0)
		return 0; /* the first sweep: no interval to speak of */
	const struct proc_rec *o = proc_scan_prev(s, r);
	if (o == NULL) {
		/* Started before the last sweep began, yet not read by it (a sweep of other pids): no base. */
		if (s->procfs && s->old_boot_ticks > 0 && (int64_t)r->start_ticks < s->old_boot_ticks)
			return 0;
		return r->ticks; /* started since the last sweep: all its time is in the interval */
	}
	return r->ticks >= o->ticks ? r->ticks - o->ticks : 0;
}

int64_t
proc_scan_interval_ns(const struct proc_scan *s)
{
	return s->old_ns != 0 ? s->cur_ns - s->old_ns : 0;
}

/* Depth-first walk from record i; depth-bounded by the record count (a ppid loop cannot recur). */
static size_t
proc_walk(const struct proc_scan *s, size_t i, size_t depth,
    void (*fn)(const struct proc_rec *r, void *arg), void *arg)
{
	if (depth > s->ncur)
		return 0;
	fn(&s->cur[i], arg);
	size_t n = 1;
	for (size_t k = s->first_kid[i]; k < s->first_kid[i + 1]; k++)
		n += proc_walk(s, s->kids[k], depth + 1, fn, arg);
	return n;
}

size_t
proc_scan_tree(const struct proc_scan *s, pid_t pid,
    void (*fn)(const struct proc_rec *r, void *arg), void *arg)
{
	ssize_t i = proc_index(s->cur, s->ncur, pid);
	return i < 0 ? 0 : proc_walk(s, (size_t)i, 0, fn, arg);
}

long
proc_scan_hz(const struct proc_scan *s)
{
	return s->hz;
}

long
proc_scan_page_size(const struct proc_scan *s)
{
	return s->page;
}

int64_t
proc_scan_start_ms(const struct proc_scan *s, uint64_t start_ticks)
{
	if (s->boot_ms == 0)
		return 0;
	return s->boot_ms + (int64_t)(start_ticks * 1000 / (uint64_t)s->hz);
}

int
proc_read_io(const struct proc_scan *s, pid_t pid, uint64_t *read_bytes, uint64_t *write_bytes)
{
	char rel[64], buf[1024];
	snprintf(rel, sizeof(rel), "%d/io", (int)pid);
	if (proc_slurp(s, rel, buf, sizeof(buf)) < 0)
		return -1;
	const char *r = strstr(buf, "\nread_bytes: ");
	const char *w = strstr(buf, "\nwrite_bytes: ");
	if (r == NULL || w == NULL) {
		errno = EINVAL;
		return -1;
	}
	*read_bytes = strtoull(r + 13, NULL, 10);
	*write_bytes = strtoull(w + 14, NULL, 10);
	return 0;
}

int
proc_count_fds(const struct proc_scan *s, pid_t pid)
{
	char rel[64];
	snprintf(rel, sizeof(rel), "%d/fd", (int)pid);
	/* Linux 6.2 and later report the count as the folder's size: one stat instead of a listing. */
	struct stat st;
	if (s->procfs && fstatat(s->root_fd, rel, &st, 0) == 0 && st.st_size > 0)
		return (int)st.st_size;
	int fd = openat(s->root_fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	DIR *d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return -1;
	}
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}
