/*
 * guardian — makes sure nothing outlives the engine. A tiny process forked
 * at start holds the list of supervised process groups; the engine tells it
 * of each group it starts and stops over a pipe. If that pipe closes without
 * a goodbye — the engine was killed with SIGKILL, or crashed — the guardian
 * sends SIGTERM to every group it holds, waits up to their stop timeout, and
 * sends SIGKILL to whatever is left. Grandchildren in the same group and
 * processes that ignore SIGTERM go with them.
 */
#ifndef VIGIL_CORE_GUARDIAN_H
#define VIGIL_CORE_GUARDIAN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct guardian;

/*
 * Forks the guardian. run_dir (may be NULL) is the engine's private folder
 * of sockets: after an abrupt end the guardian empties and removes it too.
 * NULL with errno on failure.
 */
struct guardian *guardian_start(const char *run_dir);
/* The guardian's pid (the engine reaps it when it exits). */
pid_t guardian_pid(const struct guardian *g);
/* The group pgid is ours now; on an abrupt end it gets stop_timeout_ms after SIGTERM. */
void guardian_track(struct guardian *g, pid_t pgid, int64_t stop_timeout_ms);
/* The group is gone (or was stopped by the engine). */
void guardian_untrack(struct guardian *g, pid_t pgid);
/* Sends what is held back (untracks wait for the next message: call this
 * before the loop sleeps). NULL is fine. */
void guardian_flush(struct guardian *g);
/*
 * A cgroup directory whose processes die with the engine too, SIGKILL
 * after stop_timeout_ms (as a tracked group); those of a placement
 * directory (place: the one a process joins first, one per process) that
 * are in no tracked group — daemons that left theirs — get SIGTERM first,
 * so every process gets one SIGTERM, however many directories list it.
 * Tracking it again updates the timeout. NULL is ignored.
 */
void guardian_track_cgroup(struct guardian *g, const char *dir, bool place, int64_t stop_timeout_ms);
void guardian_untrack_cgroup(struct guardian *g, const char *dir);
/* Orderly end: the guardian exits without killing anything. Frees g; NULL is fine. */
void guardian_release(struct guardian *g);
/* Test hook: close the pipe without a goodbye, as a crash would. Frees g. */
void guardian_abandon(struct guardian *g);

#endif
