/*
 * spawn — vfork and exec: the child reports a failure before exec (which
 * step, and errno) in the parent's memory, which it shares until it execs
 * or leaves; the parent, suspended meanwhile, reads it when it resumes.
 *
 * vfork, not fork: the engine is suspended only until the child execs, and
 * no page of the engine is copied (a fork costs a copy-on-write fault per
 * page the engine touches afterwards: most of a restart's cost). The child
 * therefore only makes system calls through libc's thin wrappers, with
 * everything it needs (user, groups, argv, envp) prepared by the parent.
 */
#include "core/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/config.h"
#include "core/user.h"

enum spawn_step { SPAWN_DEVNULL, SPAWN_CWD, SPAWN_LIMITS, SPAWN_USER, SPAWN_EXEC, SPAWN_CGROUP };

/* What the child writes on the error pipe when a step fails. */
struct spawn_failure {
	int step;
	int err;
};

#define SPAWN_MAX_GROUPS 256

/* The user and groups to switch to, resolved in the parent: the child runs
 * on the parent's memory (vfork) and may only make system calls. */
struct spawn_ids {
	bool set;
	uid_t uid;
	gid_t gid;
	gid_t groups[SPAWN_MAX_GROUPS]; /* supplementary groups of the user */
	int ngroups;
};

static int
spawn_resolve_user(const char *spec, struct spawn_ids *ids, char *err, size_t err_size)
{
	memset(ids, 0, sizeof(*ids));
	if (spec == NULL || geteuid() != 0)
		return 0;
	struct user_ids u;
	const char *colon = strchr(spec, ':');
	switch (user_resolve(spec, &u)) {
	case USER_NO_USER:
		snprintf(err, err_size, "user %.*s: no such user",
		    (int)(colon != NULL ? (size_t)(colon - spec) : strlen(spec)), spec);
		return -1;
	case USER_NO_GROUP:
		snprintf(err, err_size, "group %s: no such group", colon + 1);
		return -1;
	case USER_FOUND:
		break;
	}
	ids->uid = u.uid;
	ids->gid = u.gid;
	/* A bare uid has no entry to list groups for: its one group only. */
	ids->ngroups = SPAWN_MAX_GROUPS;
	if (!u.known || getgrouplist(u.name, u.gid, ids->groups, &ids->ngroups) < 0) {
		ids->ngroups = 1;
		ids->groups[0] = u.gid;
	}
	ids->set = true;
	return 0;
}

/* The descriptor limit the program started with (spawn_note_limits). */
static struct rlimit spawn_nofile;
static bool spawn_nofile_noted;

void
spawn_note_limits(void)
{
	spawn_nofile_noted = getrlimit(RLIMIT_NOFILE, &spawn_nofile) == 0;
}

void
spawn_restore_limits(void)
{
	if (spawn_nofile_noted)
		setrlimit(RLIMIT_NOFILE, &spawn_nofile);
}

static void
spawn_limit(int resource, int64_t v)
{
	if (v < 0)
		return;
	struct rlimit rl;
	rl.rlim_cur = rl.rlim_max = v == INT64_MAX ? RLIM_INFINITY : (rlim_t)v;
	if (setrlimit(resource, &rl) < 0) {
		/* Without privilege the hard limit cannot rise: keep it, set the soft one. */
		getrlimit(resource, &rl);
		rl.rlim_cur = (rlim_t)v < rl.rlim_max ? (rlim_t)v : rl.rlim_max;
		setrlimit(resource, &rl);
	}
}

/*
 * The signals whose disposition is not the default in the engine, learnt
 * at the first spawn (the engine sets its own before it starts anything),
 * SIGPIPE always among them. Only those need resetting in a child: exec
 * resets caught signals itself, but an ignored one stays ignored (and a
 * caught one must not run its handler in the child before exec).
 */
static sigset_t spawn_touched;
static bool spawn_touched_known;

static void
spawn_learn_signals(void)
{
	sigemptyset(&spawn_touched);
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction sa;
		if (sig != SIGKILL && sig != SIGSTOP && sigaction(sig, NULL, &sa) == 0 &&
		    ((sa.sa_flags & SA_SIGINFO) != 0 || sa.sa_handler != SIG_DFL))
			sigaddset(&spawn_touched, sig);
	}
	sigaddset(&spawn_touched, SIGPIPE);
	spawn_touched_known = true;
}

void
spawn_reset_signals(void)
{
	struct sigaction dfl;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && (!spawn_touched_known || sigismember(&spawn_touched, sig) == 1))
			sigaction(sig, &dfl, NULL); /* glibc's reserved ones fail: fine */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL); /* the loop blocks SIGCHLD and more */
}

/* The 32-bit id calls where the plain ones take 16-bit ids (i386, 32-bit ARM). */
#ifdef SYS_setuid32
#define SPAWN_SYS_SETUID SYS_setuid32
#define SPAWN_SYS_SETGID SYS_setgid32
#define SPAWN_SYS_SETGROUPS SYS_setgroups32
#else
#define SPAWN_SYS_SETUID SYS_setuid
#define SPAWN_SYS_SETGID SYS_setgid
#define SPAWN_SYS_SETGROUPS SYS_setgroups
#endif

/* In the child: report the failed step in the parent's memory (vfork) and leave. */
static void __attribute__((noreturn))
spawn_child_fail(volatile struct spawn_failure *f, int step)
{
	f->err = errno;
	f->step = step;
	_exit(127);
}

static void __attribute__((noreturn))
spawn_child(const struct spawn_opts *o, const struct spawn_ids *ids, int out_w, int err_w,
    volatile struct spawn_failure *fail, pid_t parent)
{
	/* Own session and group, so signals reach the whole tree and a
	 * terminal's Ctrl-C does not. */
	setsid();
	/* Into its cgroup(s) before anything else runs: whatever it forks is counted and killed with it. */
	for (size_t i = 0; i < o->ncg_fds; i++)
		if (write(o->cg_fds[i], "0", 1) != 1)
			spawn_child_fail(fail, SPAWN_CGROUP);
	spawn_reset_signals();

	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out_w, 1) < 0 || dup2(err_w, 2) < 0)
		spawn_child_fail(fail, SPAWN_DEVNULL);
	/* Nothing else crosses exec, whoever opened it and however. */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	if (o->umask >= 0)
		umask((mode_t)o->umask);
	spawn_restore_limits();
	if (o->limits != NULL) {
		spawn_limit(RLIMIT_NOFILE, o->limits->nofile);
		spawn_limit(RLIMIT_NPROC, o->limits->nproc);
		spawn_limit(RLIMIT_CORE, o->limits->core);
	}
	if (o->cwd != NULL && chdir(o->cwd) < 0)
		spawn_child_fail(fail, SPAWN_CWD);
	if (ids->set) {
		/*
		 * The system calls themselves, not libc's wrappers: in a process
		 * with threads (libcurl's resolver) those make every thread change
		 * its ids too, and this child — one thread on the engine's memory
		 * — would wait on threads it does not have.
		 */
		if (syscall(SPAWN_SYS_SETGROUPS, (long)ids->ngroups, ids->groups) < 0 ||
		    syscall(SPAWN_SYS_SETGID, (long)ids->gid) < 0 || syscall(SPAWN_SYS_SETUID, (long)ids->uid) < 0)
			spawn_child_fail(fail, SPAWN_USER);
	}
	/* After the switch of ids, which clears it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127); /* the engine died before the line above took effect */
	if (o->cmd->shell) {
		char *const argv[] = {(char *)"sh", (char *)"-c", (char *)o->cmd->argv[0], NULL};
		execve("/bin/sh", argv, o->envp);
	} else {
		execvpe(o->cmd->argv[0], (char *const *)o->cmd->argv, o->envp);
	}
	spawn_child_fail(fail, SPAWN_EXEC);
}

int
spawn_process(const struct spawn_opts *o, struct spawn_result *out, char *err, size_t err_size)
{
	struct spawn_ids ids;
	if (spawn_resolve_user(o->user, &ids, err, err_size) < 0)
		return -1;
	int outp[2] = {-1, -1}, errp[2] = {-1, -1};
	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		snprintf(err, err_size, "pipe: %s", strerror(errno));
		goto fail;
	}
	if (!spawn_touched_known)
		spawn_learn_signals();
	pid_t parent = getpid();
	/* The child runs on this memory until it execs or leaves (vfork): a
	 * failed step is written here, and read once it is gone. */
	volatile struct spawn_failure f = {-1, 0};
	pid_t pid = vfork();
	if (pid < 0) {
		snprintf(err, err_size, "vfork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		/* The read ends are close-on-exec: they go at exec. */
		spawn_child(o, &ids, outp[1], errp[1], &f, parent);
	}
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;

	if (f.step >= 0) {
		waitpid(pid, NULL, 0);
		const char *what = o->cmd->shell ? "/bin/sh" : o->cmd->argv[0];
		switch (f.step) {
		case SPAWN_CWD:
			snprintf(err, err_size, "cwd %s: %s", o->cwd, strerror(f.err));
			break;
		case SPAWN_USER:
			snprintf(err, err_size, "user %s: %s", o->user, strerror(f.err));
			break;
		case SPAWN_DEVNULL:
			snprintf(err, err_size, "standard streams: %s", strerror(f.err));
			break;
		case SPAWN_CGROUP:
			snprintf(err, err_size, "joining its cgroup: %s", strerror(f.err));
			break;
		default:
			snprintf(err, err_size, "%s: %s", what, strerror(f.err));
			break;
		}
		goto fail;
	}
	fcntl(outp[0], F_SETFL, O_NONBLOCK);
	fcntl(errp[0], F_SETFL, O_NONBLOCK);
	out->pid = pid;
	out->out_fd = outp[0];
	out->err_fd = errp[0];
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	return -1;
}
