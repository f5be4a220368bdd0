/*
 * loop — the engine's one event loop: epoll over file descriptors, signals
 * through a signalfd, deadlines on the monotonic clock through one timerfd,
 * child exits through pidfds and SIGCHLD, and a hook that runs before each
 * sleep (where batched work — flushing logs, sending events — belongs).
 * Nothing here sleeps except epoll_wait; an idle loop wakes only for its
 * timers and its file descriptors.
 *
 * Callbacks may add and remove watchers and timers, including their own.
 */
#ifndef VIGIL_CORE_LOOP_H
#define VIGIL_CORE_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/signalfd.h>
#include <sys/types.h>

struct loop;
struct loop_timer;

#define LOOP_READ 0x1u
#define LOOP_WRITE 0x2u
#define LOOP_HUP 0x4u /* reported only: the peer hung up or the fd errored */

typedef void (*loop_fd_fn)(struct loop *l, int fd, unsigned events, void *arg);
typedef void (*loop_timer_fn)(struct loop *l, void *arg);
typedef void (*loop_signal_fn)(struct loop *l, const struct signalfd_siginfo *si, void *arg);
/* status is as from waitpid (WIFEXITED, WEXITSTATUS, WIFSIGNALED...). */
typedef void (*loop_child_fn)(struct loop *l, pid_t pid, int status, void *arg);
typedef void (*loop_hook_fn)(struct loop *l, void *arg);

/*
 * A new loop. Blocks SIGCHLD in the calling thread (children are reaped
 * through the loop). NULL with errno on failure.
 */
struct loop *loop_new(void);
/* Closes the loop's own descriptors and frees its timers; NULL is fine. */
void loop_free(struct loop *l);

/* Nanoseconds on the monotonic clock. */
int64_t loop_now(void);

/* Calls fn when fd is ready for events (LOOP_READ | LOOP_WRITE). 0 or -1/errno. */
int loop_watch(struct loop *l, int fd, unsigned events, loop_fd_fn fn, void *arg);
/* Changes the events a watched fd waits for. */
int loop_rewatch(struct loop *l, int fd, unsigned events);
/* Stops watching fd (does not close it); a pending event for it is dropped. */
void loop_unwatch(struct loop *l, int fd);
/*
 * Stops watching fd and closes it: closing the last descriptor of a file
 * takes it out of the epoll set, so no epoll_ctl is made. A copy held
 * elsewhere (a forked child before its exec) keeps it there a moment; its
 * events are dropped as stale.
 */
void loop_close(struct loop *l, int fd);

/* Calls fn once at deadline (loop_now() nanoseconds). The handle stays valid until it fires or is cancelled. */
struct loop_timer *loop_timer_at(struct loop *l, int64_t deadline, loop_timer_fn fn, void *arg);
/* Calls fn once, ms milliseconds from now. */
struct loop_timer *loop_timer_after(struct loop *l, int64_t ms, loop_timer_fn fn, void *arg);
/* Cancels a timer that has not fired; NULL is fine. */
void loop_timer_cancel(struct loop *l, struct loop_timer *t);

/* Blocks these signals and delivers them to fn instead (SIGCHLD is the loop's own). */
int loop_signals(struct loop *l, const int *sigs, int n, loop_signal_fn fn, void *arg);

/*
 * Calls fn when child pid exits, with its status. A pidfd is opened for
 * the child where the kernel has them (see loop_pidfd); exits of children
 * nobody watches (e.g. orphans adopted as a subreaper) go to the orphan
 * callback, if any, and are reaped either way.
 */
int loop_watch_child(struct loop *l, pid_t pid, loop_child_fn fn, void *arg);
/* Forgets a watched child (its exit then goes to the orphan callback). */
void loop_unwatch_child(struct loop *l, pid_t pid);
/* The pidfd of a watched child, or -1 (no pidfd support, or not watched). */
int loop_pidfd(const struct loop *l, pid_t pid);
void loop_on_orphan(struct loop *l, loop_child_fn fn, void *arg);

/* Runs fn before every sleep. */
void loop_before_sleep(struct loop *l, loop_hook_fn fn, void *arg);

/* Runs until loop_stop; 0, or -1 with errno when epoll fails. */
int loop_run(struct loop *l);
/* Runs one pass: waits at most timeout_ms (-1 = until something happens). */
int loop_run_once(struct loop *l, int timeout_ms);
void loop_stop(struct loop *l);
/* Passes through epoll_wait so far (a measure of wake-ups). */
uint64_t loop_wakeups(const struct loop *l);

#endif
