/*
 * forkcost — what process creation costs on this machine, to read the
 * other figures against. For each way, over N rounds (default 500): wall
 * time per round, the parent's CPU time per round and its page faults:
 *   fork + _exit + waitpid,
 *   fork + exec /bin/true + waitpid,
 *   the same, the parent writing to 16 of its pages between fork and
 *     waitpid (each write is a copy-on-write fault: what one costs here),
 *   posix_spawn /bin/true + waitpid (glibc: clone(CLONE_VM|CLONE_VFORK)).
 *
 *	forkcost [N]
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum { PAGES = 16 };
static char *pages;

static double
now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static double
cpu_us(long *faults)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	*faults = ru.ru_minflt;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static void
one(int how)
{
	char *const targv[] = {"true", NULL};
	pid_t p;
	if (how == 3) {
		if (posix_spawn(&p, "/bin/true", NULL, NULL, targv, environ) == 0)
			waitpid(p, NULL, 0);
		return;
	}
	p = fork();
	if (p == 0) {
		if (how == 0)
			_exit(0);
		execv("/bin/true", targv);
		_exit(127);
	}
	if (how == 2)
		for (int i = 0; i < PAGES; i++)
			pages[i * 4096]++;
	waitpid(p, NULL, 0);
}

int
main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 500;
	static const char *const names[] = {
		"fork + _exit + waitpid",
		"fork + exec /bin/true + waitpid",
		"fork + exec /bin/true + waitpid, parent writes 16 pages after fork",
		"posix_spawn /bin/true + waitpid",
	};
	pages = malloc(PAGES * 4096);
	memset(pages, 1, PAGES * 4096);
	double cpu[4];
	long flt[4];
	for (int how = 0; how < 4; how++) {
		long f0, f1;
		double c0 = cpu_us(&f0), t = now_us();
		for (int i = 0; i < n; i++)
			one(how);
		double wall = (now_us() - t) / n;
		cpu[how] = (cpu_us(&f1) - c0) / n;
		flt[how] = (f1 - f0) / n;
		printf("%s: %.0f µs wall, parent CPU %.0f µs, %ld page faults in the parent\n",
		    names[how], wall, cpu[how], flt[how]);
	}
	if (flt[2] > flt[1])
		printf("one copy-on-write fault in the parent: about %.0f µs of CPU\n",
		    (cpu[2] - cpu[1]) / (double)(flt[2] - flt[1]));
	return 0;
}
