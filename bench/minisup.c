/*
 * minisup — the floor for bench/respawn.py: the least a supervisor can do
 * to restart a child that exits, fork + exec + waitpid in a loop, no pipes,
 * no logging, no bookkeeping. Runs until SIGINT or SIGTERM.
 *
 *	minisup [-v] PROGRAM [ARG...]
 *
 * -v spawns with posix_spawn (glibc: clone(CLONE_VM|CLONE_VFORK), no copy
 * of the address space) instead of fork. Built with -DMINISUP_FAT and
 * linked with the engine's libraries (bench/profile.sh does), it loads
 * them and initializes libcurl first, so its address space looks like the
 * engine's: that shows what fork costs because of the size of the process.
 */
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef MINISUP_FAT
#include <curl/curl.h>
#endif

extern char **environ;

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int
main(int argc, char **argv)
{
	int a = 1, use_spawn = 0;
	if (argc > 1 && strcmp(argv[1], "-v") == 0) {
		use_spawn = 1;
		a = 2;
	}
	if (argc - a < 1) {
		fprintf(stderr, "usage: minisup [-v] PROGRAM [ARG...]\n");
		return 2;
	}
#ifdef MINISUP_FAT
	curl_global_init(CURL_GLOBAL_DEFAULT);
#endif
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	posix_spawnattr_t attr;
	posix_spawnattr_init(&attr);
	sigset_t dfl;
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGTERM);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
	while (!stop) {
		pid_t pid;
		if (use_spawn) {
			if (posix_spawn(&pid, argv[a], NULL, &attr, argv + a, environ) != 0) {
				perror("posix_spawn");
				return 1;
			}
		} else {
			pid = fork();
			if (pid < 0) {
				perror("fork");
				return 1;
			}
			if (pid == 0) {
				signal(SIGINT, SIG_DFL);
				signal(SIGTERM, SIG_DFL);
				execv(argv[a], argv + a);
				_exit(127);
			}
		}
		int status;
		while (waitpid(pid, &status, 0) < 0 && !stop)
			;
	}
	return 0;
}
