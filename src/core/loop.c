/*
 * loop — owns the epoll instance, the signalfd, the timerfd, the timer heap,
 * the table of fd watchers and the list of watched children.
 *
 * Watchers are a table indexed by fd. Each epoll event carries the fd and
 * the watcher's generation, so an event for a watcher that a callback
 * removed (or replaced) earlier in the same pass is dropped, never
 * delivered to the wrong owner. Timers are a binary min-heap; the timerfd is
 * armed at the earliest deadline before each sleep.
 */
#include "core/loop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LOOP_MAX_EVENTS 64

struct loop_watcher {
	loop_fd_fn fn;    /* NULL = slot free */
	void *arg;        /* borrowed */
	unsigned events;
	uint32_t gen;     /* bumped on every watch and unwatch */
};

struct loop_timer {
	int64_t deadline; /* loop_now() nanoseconds */
	uint64_t seq;     /* ties fire in the order they were added */
	size_t slot;      /* index in the heap */
	loop_timer_fn fn;
	void *arg;        /* borrowed */
};

struct loop_child {
	pid_t pid;
	int pidfd;        /* owned; -1 without pidfd support */
	loop_child_fn fn;
	void *arg;        /* borrowed */
};

struct loop {
	int epfd;                      /* owned */
	int sigfd;                     /* owned */
	int timerfd;                   /* owned */
	sigset_t sigmask;              /* signals routed to sigfd */
	loop_signal_fn sig_fn;
	void *sig_arg;
	struct loop_watcher *watchers; /* owned, indexed by fd */
	size_t nwatchers;
	struct loop_timer **heap;      /* owned, and the timers in it */
	size_t nheap, capheap;
	uint64_t timer_seq;
	int64_t armed;                 /* deadline the timerfd is set to; 0 = none */
	struct loop_child *children;   /* owned */
	size_t nchildren, capchildren;
	loop_child_fn orphan_fn;
	void *orphan_arg;
	loop_hook_fn hook_fn;
	void *hook_arg;
	bool stop;
	uint64_t wakeups;
};

int64_t
loop_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- fd watchers ------------------------------------------------------- */

static int
loop_epoll_events(unsigned events)
{
	return (int)((events & LOOP_READ ? EPOLLIN : 0) | (events & LOOP_WRITE ? EPOLLOUT : 0));
}

int
loop_watch(struct loop *l, int fd, unsigned events, loop_fd_fn fn, void *arg)
{
	if (fd < 0 || fn == NULL) {
		errno = EINVAL;
		return -1;
	}
	if ((size_t)fd >= l->nwatchers) {
		size_t n = l->nwatchers ? l->nwatchers : 64;
		while (n <= (size_t)fd)
			n *= 2;
		struct loop_watcher *w = realloc(l->watchers, n * sizeof(*w));
		if (w == NULL)
			return -1;
		memset(w + l->nwatchers, 0, (n - l->nwatchers) * sizeof(*w));
		l->watchers = w;
		l->nwatchers = n;
	}
	struct loop_watcher *w = &l->watchers[fd];
	if (w->fn != NULL) {
		errno = EEXIST;
		return -1;
	}
	w->gen++;
	struct epoll_event ev = {
		.events = (uint32_t)loop_epoll_events(events),
		.data.u64 = (uint64_t)(uint32_t)fd | (uint64_t)w->gen << 32,
	};
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -1;
	w->fn = fn;
	w->arg = arg;
	w->events = events;
	return 0;
}

int
loop_rewatch(struct loop *l, int fd, unsigned events)
{
	if (fd < 0 || (size_t)fd >= l->nwatchers || l->watchers[fd].fn == NULL) {
		errno = ENOENT;
		return -1;
	}
	struct loop_watcher *w = &l->watchers[fd];
	struct epoll_event ev = {
		.events = (uint32_t)loop_epoll_events(events),
		.data.u64 = (uint64_t)(uint32_t)fd | (uint64_t)w->gen << 32,
	};
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return -1;
	w->events = events;
	return 0;
}

/* Forgets fd's watcher; its events still queued or to come are stale (gen). */
static void
loop_forget(struct loop *l, int fd)
{
	l->watchers[fd].fn = NULL;
	l->watchers[fd].arg = NULL;
	l->watchers[fd].gen++;
}

void
loop_unwatch(struct loop *l, int fd)
{
	if (fd < 0 || (size_t)fd >= l->nwatchers || l->watchers[fd].fn == NULL)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	loop_forget(l, fd);
}

void
loop_close(struct loop *l, int fd)
{
	if (fd < 0)
		return;
	if ((size_t)fd < l->nwatchers && l->watchers[fd].fn != NULL)
		loop_forget(l, fd);
	close(fd);
}

/* ---- timers ------------------------------------------------------------ */

static bool
loop_timer_less(const struct loop_timer *a, const struct loop_timer *b)
{
	return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
}

static void
loop_heap_set(struct loop *l, size_t i, struct loop_timer *t)
{
	l->heap[i] = t;
	t->slot = i;
}

static void
loop_heap_up(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!loop_timer_less(t, l->heap[parent]))
			break;
		loop_heap_set(l, i, l->heap[parent]);
		i = parent;
	}
	loop_heap_set(l, i, t);
}

static void
loop_heap_down(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= l->nheap)
			break;
		if (c + 1 < l->nheap && loop_timer_less(l->heap[c + 1], l->heap[c]))
			c++;
		if (!loop_timer_less(l->heap[c], t))
			break;
		loop_heap_set(l, i, l->heap[c]);
		i = c;
	}
	loop_heap_set(l, i, t);
}

/* Takes t out of the heap (does not free it). */
static void
loop_heap_remove(struct loop *l, struct loop_timer *t)
{
	size_t i = t->slot;
	struct loop_timer *last = l->heap[--l->nheap];
	if (i == l->nheap)
		return;
	loop_heap_set(l, i, last);
	loop_heap_up(l, i);
	loop_heap_down(l, last->slot);
}

struct loop_timer *
loop_timer_at(struct loop *l, int64_t deadline, loop_timer_fn fn, void *arg)
{
	if (l->nheap == l->capheap) {
		size_t cap = l->capheap ? l->capheap * 2 : 32;
		struct loop_timer **h = realloc(l->heap, cap * sizeof(*h));
		if (h == NULL)
			return NULL;
		l->heap = h;
		l->capheap = cap;
	}
	struct loop_timer *t = malloc(sizeof(*t));
	if (t == NULL)
		return NULL;
	t->deadline = deadline;
	t->seq = l->timer_seq++;
	t->fn = fn;
	t->arg = arg;
	l->heap[l->nheap++] = t;
	loop_heap_up(l, l->nheap - 1);
	return t;
}

struct loop_timer *
loop_timer_after(struct loop *l, int64_t ms, loop_timer_fn fn, void *arg)
{
	return loop_timer_at(l, loop_now() + ms * 1000000, fn, arg);
}

void
loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	if (t == NULL)
		return;
	loop_heap_remove(l, t);
	free(t);
}

/* Sets the timerfd to the earliest deadline (or disarms it). */
static void
loop_arm(struct loop *l)
{
	int64_t want = l->nheap > 0 ? l->heap[0]->deadline : 0;
	if (want == l->armed)
		return;
	struct itimerspec its = {0};
	if (want > 0) {
		/* Absolute: a deadline already past fires at once. */
		its.it_value.tv_sec = want / 1000000000;
		its.it_value.tv_nsec = want % 1000000000;
	}
	timerfd_settime(l->timerfd, TFD_TIMER_ABSTIME, &its, NULL);
	l->armed = want;
}

/* Fires every timer whose deadline has passed, earliest first. */
static void
loop_fire_timers(struct loop *l)
{
	int64_t now = loop_now();
	/* Timers added by callbacks for "now" wait for the next pass. */
	uint64_t seq_limit = l->timer_seq;
	while (l->nheap > 0 && l->heap[0]->deadline <= now && l->heap[0]->seq < seq_limit) {
		struct loop_timer *t = l->heap[0];
		loop_heap_remove(l, t);
		loop_timer_fn fn = t->fn;
		void *arg = t->arg;
		free(t);
		fn(l, arg);
	}
}

static void
loop_timerfd_ready(struct loop *l, int fd, unsigned events, void *arg)
{
	(void)events;
	(void)arg;
	uint64_t expirations;
	while (read(fd, &expirations, sizeof(expirations)) > 0)
		;
	l->armed = 0;
}

/* ---- children and signals ---------------------------------------------- */

static struct loop_child *
loop_find_child(const struct loop *l, pid_t pid)
{
	for (size_t i = 0; i < l->nchildren; i++)
		if (l->children[i].pid == pid)
			return &l->children[i];
	return NULL;
}

/* Hands a reaped child to its watcher (or the orphan callback). */
static void
loop_child_done(struct loop *l, pid_t pid, int status)
{
	struct loop_child *c = loop_find_child(l, pid);
	if (c == NULL) {
		if (l->orphan_fn != NULL)
			l->orphan_fn(l, pid, status, l->orphan_arg);
		return;
	}
	struct loop_child done = *c;
	*c = l->children[--l->nchildren];
	loop_close(l, done.pidfd);
	done.fn(l, pid, status, done.arg);
}

/* Reaps every exited child. */
static void
loop_reap(struct loop *l)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid <= 0)
			break;
		loop_child_done(l, pid, status);
	}
}

#ifndef P_PIDFD
#define P_PIDFD 3 /* linux/wait.h, Linux 5.4 */
#endif

/* A child's pidfd is readable: it exited. Reaped through the pidfd, or with every other one. */
static void
loop_pidfd_ready(struct loop *l, int fd, unsigned events, void *arg)
{
	(void)events;
	(void)arg;
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	if (waitid((idtype_t)P_PIDFD, (id_t)fd, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0) {
		loop_reap(l); /* an older kernel, or reaped already */
		return;
	}
	/* The wait status waitpid would have given. */
	int status = si.si_code == CLD_EXITED ? W_EXITCODE(si.si_status, 0) :
	    si.si_code == CLD_DUMPED ? si.si_status | WCOREFLAG : si.si_status;
	loop_child_done(l, si.si_pid, status);
}

int
loop_watch_child(struct loop *l, pid_t pid, loop_child_fn fn, void *arg)
{
	if (loop_find_child(l, pid) != NULL) {
		errno = EEXIST;
		return -1;
	}
	if (l->nchildren == l->capchildren) {
		size_t cap = l->capchildren ? l->capchildren * 2 : 16;
		struct loop_child *c = realloc(l->children, cap * sizeof(*c));
		if (c == NULL)
			return -1;
		l->children = c;
		l->capchildren = cap;
	}
	int pidfd = -1;
#ifdef SYS_pidfd_open
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd >= 0 && loop_watch(l, pidfd, LOOP_READ, loop_pidfd_ready, NULL) < 0) {
		close(pidfd);
		pidfd = -1;
	}
#endif
	/* Without a pidfd, SIGCHLD through the signalfd still reaps it. */
	l->children[l->nchildren++] = (struct loop_child){pid, pidfd, fn, arg};
	return 0;
}

void
loop_unwatch_child(struct loop *l, pid_t pid)
{
	struct loop_child *c = loop_find_child(l, pid);
	if (c == NULL)
		return;
	if (c->pidfd >= 0) {
		loop_unwatch(l, c->pidfd);
		close(c->pidfd);
	}
	*c = l->children[--l->nchildren];
}

int
loop_pidfd(const struct loop *l, pid_t pid)
{
	const struct loop_child *c = loop_find_child(l, pid);
	return c != NULL ? c->pidfd : -1;
}

void
loop_on_orphan(struct loop *l, loop_child_fn fn, void *arg)
{
	l->orphan_fn = fn;
	l->orphan_arg = arg;
}

static void
loop_signalfd_ready(struct loop *l, int fd, unsigned events, void *arg)
{
	(void)events;
	(void)arg;
	struct signalfd_siginfo si[8];
	bool chld = false;
	ssize_t r;
	do {
		r = read(fd, si, sizeof(si));
		for (ssize_t i = 0; r > 0 && i < r / (ssize_t)sizeof(si[0]); i++) {
			if (si[i].ssi_signo == SIGCHLD)
				chld = true;
			else if (l->sig_fn != NULL)
				l->sig_fn(l, &si[i], l->sig_arg);
		}
	} while (r == (ssize_t)sizeof(si)); /* a short read: nothing more queued */
	if (chld)
		loop_reap(l);
}

int
loop_signals(struct loop *l, const int *sigs, int n, loop_signal_fn fn, void *arg)
{
	sigset_t add;
	sigemptyset(&add);
	for (int i = 0; i < n; i++) {
		sigaddset(&add, sigs[i]);
		sigaddset(&l->sigmask, sigs[i]);
	}
	if (sigprocmask(SIG_BLOCK, &add, NULL) < 0)
		return -1;
	if (signalfd(l->sigfd, &l->sigmask, SFD_NONBLOCK | SFD_CLOEXEC) < 0)
		return -1;
	l->sig_fn = fn;
	l->sig_arg = arg;
	return 0;
}

/* ---- the loop itself --------------------------------------------------- */

struct loop *
loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));
	if (l == NULL)
		return NULL;
	l->epfd = l->sigfd = l->timerfd = -1;
	sigemptyset(&l->sigmask);
	sigaddset(&l->sigmask, SIGCHLD);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (l->epfd < 0 || l->timerfd < 0 || sigprocmask(SIG_BLOCK, &l->sigmask, NULL) < 0)
		goto fail;
	l->sigfd = signalfd(-1, &l->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (l->sigfd < 0 ||
	    loop_watch(l, l->sigfd, LOOP_READ, loop_signalfd_ready, NULL) < 0 ||
	    loop_watch(l, l->timerfd, LOOP_READ, loop_timerfd_ready, NULL) < 0)
		goto fail;
	return l;
fail:;
	int saved = errno;
	loop_free(l);
	errno = saved;
	return NULL;
}

void
loop_free(struct loop *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->nchildren; i++)
		if (l->children[i].pidfd >= 0)
			close(l->children[i].pidfd);
	free(l->children);
	for (size_t i = 0; i < l->nheap; i++)
		free(l->heap[i]);
	free(l->heap);
	free(l->watchers);
	if (l->sigfd >= 0)
		close(l->sigfd);
	if (l->timerfd >= 0)
		close(l->timerfd);
	if (l->epfd >= 0)
		close(l->epfd);
	free(l);
}

void
loop_before_sleep(struct loop *l, loop_hook_fn fn, void *arg)
{
	l->hook_fn = fn;
	l->hook_arg = arg;
}

int
loop_run_once(struct loop *l, int timeout_ms)
{
	if (l->hook_fn != NULL)
		l->hook_fn(l, l->hook_arg);
	loop_arm(l);
	struct epoll_event evs[LOOP_MAX_EVENTS];
	int n = epoll_wait(l->epfd, evs, LOOP_MAX_EVENTS, timeout_ms);
	l->wakeups++;
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	for (int i = 0; i < n; i++) {
		int fd = (int)(uint32_t)evs[i].data.u64;
		uint32_t gen = (uint32_t)(evs[i].data.u64 >> 32);
		if ((size_t)fd >= l->nwatchers)
			continue;
		struct loop_watcher *w = &l->watchers[fd];
		if (w->fn == NULL || w->gen != gen)
			continue; /* removed or replaced earlier in this pass */
		unsigned events = 0;
		if (evs[i].events & EPOLLIN)
			events |= LOOP_READ;
		if (evs[i].events & EPOLLOUT)
			events |= LOOP_WRITE;
		if (evs[i].events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP))
			events |= LOOP_HUP | (w->events & LOOP_READ);
		w->fn(l, fd, events, w->arg);
	}
	loop_fire_timers(l);
	return 0;
}

int
loop_run(struct loop *l)
{
	l->stop = false;
	while (!l->stop)
		if (loop_run_once(l, -1) < 0)
			return -1;
	return 0;
}

void
loop_stop(struct loop *l)
{
	l->stop = true;
}

uint64_t
loop_wakeups(const struct loop *l)
{
	return l->wakeups;
}
