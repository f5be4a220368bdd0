/*
 * proc — owns the records of the last two sweeps (two arrays swapped at
 * each sweep), a children index over the current one, and, for the live
 * host, a libproc2 pids context whose results are copied out at once
 * (libproc2 reuses its stacks on the next reap).
 *
 * The children index: recs sorted by pid; kids[] holds, for each record,
 * the indexes of its children, grouped by parent (first_kid[i] .. first_kid[i+1]).
 * Built in O(n log n) per sweep; tree walks are then O(tree size).
 */
#include "collectors/proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libproc2/pids.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROC_STAT_MAX 1024 /* a stat line is ~300 bytes; comm is at most 64 */

/* The libproc2 items, all from /proc/PID/stat; PROC_I_* index them. */
static enum pids_item proc_items[] = {
	PIDS_ID_PID, PIDS_ID_PPID, PIDS_ID_PGRP, PIDS_STATE, PIDS_NLWP,
	PIDS_TICS_ALL, PIDS_TICS_BEGAN, PIDS_RSS, PIDS_CMD,
};
enum { PROC_I_PID, PROC_I_PPID, PROC_I_PGRP, PROC_I_STATE, PROC_I_NLWP, PROC_I_TICS,
	PROC_I_BEGAN, PROC_I_RSS, PROC_I_CMD, PROC_I_COUNT };

struct proc_scan {
	char *root;                 /* owned; "/proc" for the live host */
	int root_fd;                /* owned: the root folder */
	struct pids_info *pids;     /* owned; NULL when the root is not the live /proc */
	long hz, page;
	int64_t boot_ms;            /* realtime of boot (btime), 0 = unknown */

	struct proc_rec *cur, *old; /* owned, sorted by pid */
	size_t ncur, nold, cap_cur, cap_old;
	int64_t cur_ns, old_ns;     /* monotonic time of each sweep; 0 = none */

	size_t *first_kid;          /* owned, ncur + 1 entries */
	size_t *kids;               /* owned, ncur entries: record indexes grouped by parent */
	size_t cap_index;
};

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
	bool live = root == NULL || strcmp(root, "/proc") == 0 || strcmp(root, "/proc/") == 0;
	s->root = strdup(live ? "/proc" : root);
	s->root_fd = s->root != NULL ? open(s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (s->root_fd < 0)
		goto fail;
	if (live) {
		int rc = procps_pids_new(&s->pids, proc_items, PROC_I_COUNT);
		if (rc < 0) {
			errno = -rc;
			goto fail;
		}
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

void
proc_scan_free(struct proc_scan *s)
{
	if (s == NULL)
		return;
	if (s->pids != NULL)
		procps_pids_unref(&s->pids);
	if (s->root_fd >= 0)
		close(s->root_fd);
	free(s->root);
	free(s->cur);
	free(s->old);
	free(s->first_kid);
	free(s->kids);
	free(s);
}

/* Room for n records in the current array. */
static int
proc_reserve(struct proc_scan *s, size_t n)
{
	if (n <= s->cap_cur)
		return 0;
	size_t cap = s->cap_cur != 0 ? s->cap_cur : 256;
	while (cap < n)
		cap *= 2;
	struct proc_rec *p = realloc(s->cur, cap * sizeof(*p));
	if (p == NULL)
		return -1;
	s->cur = p;
	s->cap_cur = cap;
	return 0;
}

/* Fills cur from libproc2 (live host). */
static int
proc_sweep_live(struct proc_scan *s)
{
	struct pids_fetch *f = procps_pids_reap(s->pids, PIDS_FETCH_TASKS_ONLY);
	if (f == NULL)
		return -1;
	size_t n = (size_t)f->counts->total;
	if (proc_reserve(s, n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct pids_stack *st = f->stacks[i];
		struct proc_rec *r = &s->cur[i];
		r->pid = PIDS_VAL(PROC_I_PID, s_int, st, s->pids);
		r->ppid = PIDS_VAL(PROC_I_PPID, s_int, st, s->pids);
		r->pgrp = PIDS_VAL(PROC_I_PGRP, s_int, st, s->pids);
		r->state = PIDS_VAL(PROC_I_STATE, s_ch, st, s->pids);
		r->threads = PIDS_VAL(PROC_I_NLWP, s_int, st, s->pids);
		r->ticks = PIDS_VAL(PROC_I_TICS, ull_int, st, s->pids);
		r->start_ticks = PIDS_VAL(PROC_I_BEGAN, ull_int, st, s->pids);
		r->rss_pages = PIDS_VAL(PROC_I_RSS, ul_int, st, s->pids);
		const char *cmd = PIDS_VAL(PROC_I_CMD, str, st, s->pids);
		snprintf(r->comm, sizeof(r->comm), "%s", cmd != NULL ? cmd : "");
	}
	s->ncur = n;
	return 0;
}

/* Fills cur by reading ROOT/PID/stat for every numeric entry (fixture trees). */
static int
proc_sweep_root(struct proc_scan *s)
{
	int dfd = dup(s->root_fd);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (d == NULL) {
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	rewinddir(d);
	size_t n = 0;
	struct dirent *e;
	char rel[300], buf[PROC_STAT_MAX];
	int rc = 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(rel, sizeof(rel), "%s/stat", e->d_name);
		ssize_t len = proc_slurp(s, rel, buf, sizeof(buf));
		if (len <= 0)
			continue; /* gone since readdir */
		if (proc_reserve(s, n + 1) < 0) {
			rc = -1;
			break;
		}
		if (proc_parse_stat(buf, (size_t)len, &s->cur[n]))
			n++;
	}
	closedir(d);
	s->ncur = n;
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
		size_t cap = n + 1 + n / 2;
		size_t *fk = realloc(s->first_kid, cap * sizeof(*fk));
		if (fk == NULL)
			return -1;
		s->first_kid = fk;
		size_t *k = realloc(s->kids, cap * sizeof(*k));
		if (k == NULL)
			return -1;
		s->kids = k;
		s->cap_index = cap;
	}
	size_t *fk = s->first_kid;
	memset(fk, 0, (n + 1) * sizeof(*fk));
	/* parent index per record, kept temporarily in kids[] */
	for (size_t i = 0; i < n; i++) {
		ssize_t pi = s->cur[i].ppid > 0 && s->cur[i].ppid != s->cur[i].pid ?
		    proc_index(s->cur, n, s->cur[i].ppid) : -1;
		s->kids[i] = pi < 0 ? SIZE_MAX : (size_t)pi;
		if (pi >= 0)
			fk[pi + 1]++;
	}
	for (size_t i = 0; i < n; i++)
		fk[i + 1] += fk[i];
	/* Second pass: place each child at its parent's next slot; pos[] reuses a scratch copy. */
	size_t *parent = malloc((n > 0 ? n : 1) * sizeof(*parent));
	size_t *next = malloc((n + 1) * sizeof(*next));
	if (parent == NULL || next == NULL) {
		free(parent);
		free(next);
		return -1;
	}
	memcpy(parent, s->kids, n * sizeof(*parent));
	memcpy(next, fk, (n + 1) * sizeof(*next));
	for (size_t i = 0; i < n; i++)
		if (parent[i] != SIZE_MAX)
			s->kids[next[parent[i]]++] = i;
	free(parent);
	free(next);
	return 0;
}

int
proc_scan_run(struct proc_scan *s)
{
	/* The current sweep becomes the old one; the old array is reused. */
	struct proc_rec *t = s->old;
	size_t tc = s->cap_old;
	s->old = s->cur;
	s->cap_old = s->cap_cur;
	s->nold = s->ncur;
	s->old_ns = s->cur_ns;
	s->cur = t;
	s->cap_cur = tc;
	s->ncur = 0;
	int rc = s->pids != NULL ? proc_sweep_live(s) : proc_sweep_root(s);
	if (rc < 0) {
		int e = errno;
		/* Put the old sweep back as the current one. */
		t = s->cur;
		s->cur = s->old;
		s->ncur = s->nold;
		s->cap_cur = s->cap_old;
		s->cur_ns = s->old_ns;
		s->old = t;
		s->cap_old = tc;
		s->nold = 0;
		s->old_ns = 0;
		errno = e;
		return -1;
	}
	s->cur_ns = proc_mono_ns();
	/* libproc2 returns /proc's order, which is by pid, but the hand reader's readdir order is not. */
	bool sorted = true;
	for (size_t i = 1; i < s->ncur && sorted; i++)
		sorted = s->cur[i - 1].pid < s->cur[i].pid;
	if (!sorted)
		qsort(s->cur, s->ncur, sizeof(*s->cur), proc_cmp_pid);
	return proc_build_index(s);
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
	if (o == NULL)
		return r->ticks; /* started since the last sweep: all its time is in the interval */
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
