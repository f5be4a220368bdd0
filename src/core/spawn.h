/*
 * spawn — starting one supervised process with the hygiene a supervisor
 * owes it: its own session and process group, stdin on /dev/null, stdout
 * and stderr on two pipes (the engine's ends non-blocking), no other
 * descriptor inherited, signal mask and dispositions reset, umask,
 * rlimits, user and group when the engine runs as root, and a parent-death
 * signal. A failed exec is reported with its reason, never a crash.
 */
#ifndef VIGIL_CORE_SPAWN_H
#define VIGIL_CORE_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

struct spec_command;
struct spec_limits;

struct spawn_opts {
	const struct spec_command *cmd; /* argv (PATH lookup) or a /bin/sh -c string */
	const char *cwd;                /* NULL = the engine's */
	char *const *envp;              /* the whole environment, NULL-terminated */
	const char *user;               /* "name", "uid", "name:group" or "uid:gid" (user.h); NULL = the engine's */
	int umask;                      /* -1 = inherit */
	const struct spec_limits *limits; /* nofile, nproc, core; NULL = inherit */
	const int *cg_fds;              /* cgroup.procs files the child writes "0" to first; borrowed */
	size_t ncg_fds;
};

struct spawn_result {
	pid_t pid;   /* also the process group and session id */
	int out_fd;  /* owned by the caller: the read end of stdout, O_NONBLOCK|O_CLOEXEC */
	int err_fd;  /* owned by the caller: the read end of stderr */
};

/*
 * Starts the process. 0 on success; -1 when it could not be started, with
 * a one-line reason in err ("./api: No such file or directory", "cwd
 * /srv/x: No such file or directory", "user bob: no such user"), the
 * child (if any) already reaped.
 */
int spawn_process(const struct spawn_opts *o, struct spawn_result *out, char *err, size_t err_size);

/*
 * Notes the descriptor limit the program was started with, which spawned
 * processes get back (where their limits do not say otherwise) though the
 * engine raises its own to keep /proc files open. Call once, first thing.
 */
void spawn_note_limits(void);
/* In a forked child of the engine (a probe, a notifier): puts that limit back. */
void spawn_restore_limits(void);
/*
 * In a child of the engine before exec: default dispositions for the
 * signals the engine set otherwise (all of them before the first spawn),
 * then an empty signal mask. Async-signal-safe.
 */
void spawn_reset_signals(void);

#endif
