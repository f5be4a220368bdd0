/*
 * proc — one sweep over every process on the host: what /proc/PID/stat
 * says about each (parent, state, threads, CPU ticks, start time, RSS),
 * sorted by pid, with the previous sweep kept for deltas and a children
 * index for walking descendant trees. One file per process per sweep; the
 * other files (io, fd/) are read only for the processes a caller asks
 * about.
 *
 * Any root works the same: the live /proc, or a folder laid out like it
 * (tests' fixture trees). Each process's stat file stays open between
 * sweeps and is re-read in place (see proc.c for why this is not
 * libproc2's reap).
 */
#ifndef VIGIL_COLLECTORS_PROC_H
#define VIGIL_COLLECTORS_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One process as /proc/PID/stat shows it. */
struct proc_rec {
	pid_t pid;
	pid_t ppid;
	pid_t pgrp;
	char state;             /* R, S, D, Z, T, t, I … */
	int threads;
	uint64_t ticks;         /* utime + stime, clock ticks */
	uint64_t start_ticks;   /* clock ticks after boot */
	uint64_t rss_pages;     /* statm's (exact) where there is one, else stat's */
	uint64_t faults;        /* minor + major page faults: the resident set grows by them */
	char comm[16];          /* the command name, NUL-terminated */
};

struct proc_scan;

/* root: NULL or "/proc" = the live host; otherwise a folder laid out like /proc. NULL with errno. */
struct proc_scan *proc_scan_new(const char *root);
void proc_scan_free(struct proc_scan *s);

/* One sweep; the last one becomes the previous. 0, or -1 with errno (the old records stay). */
int proc_scan_run(struct proc_scan *s);

/* One process of a targeted sweep: its stat read anew, or its last record carried over. */
struct proc_want {
	pid_t pid;
	bool carry;             /* the caller knows it has not run since the last sweep */
};

/*
 * A sweep of the given processes only (sorted by pid, no duplicates): each
 * one's stat is read, or with carry its record from the last sweep stands
 * as it is (read when there is none). Afterwards everything works as after
 * proc_scan_run, over these records. 0, or -1 with errno (EINVAL when w is
 * not sorted; the old records stay).
 */
int proc_scan_pids(struct proc_scan *s, const struct proc_want *w, size_t n);

/* Processes on the host now (entries of the root), without reading them; -1 with errno. */
int proc_scan_count(const struct proc_scan *s);

/* This sweep's records, sorted by pid. */
const struct proc_rec *proc_scan_recs(const struct proc_scan *s, size_t *n);
/* The record of pid in this sweep; NULL when it is gone. */
const struct proc_rec *proc_scan_find(const struct proc_scan *s, pid_t pid);
/* The same process (pid and start time) in the previous sweep; NULL when it is new. */
const struct proc_rec *proc_scan_prev(const struct proc_scan *s, const struct proc_rec *r);
/* CPU ticks r spent since the previous sweep (all of them when r is new). */
uint64_t proc_scan_delta(const struct proc_scan *s, const struct proc_rec *r);
/* Monotonic nanoseconds between the previous sweep and this one; 0 after the first. */
int64_t proc_scan_interval_ns(const struct proc_scan *s);

/*
 * Calls fn for pid and every descendant (children by ppid, depth first),
 * in this sweep. Returns how many it visited (0 when pid is gone).
 */
size_t proc_scan_tree(const struct proc_scan *s, pid_t pid,
    void (*fn)(const struct proc_rec *r, void *arg), void *arg);

/* Clock ticks per second and bytes per page, for converting records. */
long proc_scan_hz(const struct proc_scan *s);
long proc_scan_page_size(const struct proc_scan *s);
/* Realtime ms at which a process with this start_ticks started (needs the root's boot time). */
int64_t proc_scan_start_ms(const struct proc_scan *s, uint64_t start_ticks);

/* Bytes read from and written to storage by pid (/proc/PID/io); -1 with errno. */
int proc_read_io(const struct proc_scan *s, pid_t pid, uint64_t *read_bytes, uint64_t *write_bytes);
/* Open file descriptors of pid (entries of /proc/PID/fd); -1 with errno. */
int proc_count_fds(const struct proc_scan *s, pid_t pid);

/* Parses the text of a /proc/PID/stat file into *r; false when it is malformed. */
bool proc_parse_stat(const char *text, size_t len, struct proc_rec *r);

#endif
