/*
 * tui — the full-screen dashboard: a client of one engine's control socket
 * (it never touches /proc or fork), with the screen, the keys and the
 * reconnection. One event loop: stdin, the engine's stream, signals
 * (SIGWINCH, SIGTERM, SIGINT, SIGHUP) through a signalfd, a redraw timer.
 */
#ifndef VIGIL_UI_TUI_H
#define VIGIL_UI_TUI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tui_opts {
	const char *socket_path;  /* the engine's control socket (unless has_fd) */
	bool has_fd;              /* talk over fd instead (vigil top's agent); it is not reopened */
	int fd;                   /* owned by tui_run when has_fd */
	bool host_mode;           /* every process of the host (vigil top), not a stack */
	const char *const *ssh_hosts; /* vigil monit --ssh: [user@]host of each engine (at most 8) */
	size_t nssh;
	const char *remote_file;  /* --file for the remote `vigil attach --stdio`; NULL = its home folder's */
	int64_t refresh_ms;       /* redraw period for clocks and uptimes (events redraw at once) */
	bool owns_stack;          /* started by `vigil up`: q asks whether to stop the stack or detach */
};

/* Runs until the user quits; the exit status. The terminal is restored on every path. */
int tui_run(const struct tui_opts *o);

#endif
