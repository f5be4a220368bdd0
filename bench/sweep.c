/*
 * sweep — what one sweep of every process on the host costs.
 *
 *   sweep N            N sweeps with vigil's collector (proc_scan_run on one
 *                      proc_scan of the live host: /proc/PID/stat through
 *                      kept descriptors behind the schedstat gate, records
 *                      sorted, children index), after two untimed ones
 *   sweep --floor2 N   the two-file floor: for every pid in /proc, open + read +
 *                      close of PID/stat and PID/statm (what top reads at least)
 *   sweep --floor1 N   the one-file floor: the same with PID/stat only
 *   sweep --floor1-keep N
 *                      one file, descriptors kept: PID/stat opened once and read
 *                      again with pread(fd, 0) each sweep (fresh figures; a
 *                      pid not seen in a sweep has its descriptor closed), as a
 *                      collector that keeps one descriptor per process could
 *
 * Prints one line, "PROCS NS_PER_SWEEP WARM_NS": the processes seen by the
 * last sweep, this program's CPU time (CLOCK_PROCESS_CPUTIME_ID, user +
 * system) per sweep over the N sweeps only (start-up is not in it), and
 * the CPU time of the untimed first sweeps (vigil's two that open the
 * descriptors; 0 for the floors).
 *
 * Built by bench/sampling.py against build-bench/libvigil_collectors.a and
 * libvigil_core.a (proc.c needs only libc and core/vec).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "collectors/proc.h"

static long long
cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* A listing of /proc from its start; exits on failure. */
static DIR *
proc_listing(int procfd)
{
	int dfd = openat(procfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (d == NULL) {
		perror("sweep: /proc");
		exit(1);
	}
	return d;
}

/* One floor sweep: every numeric entry of /proc, files[0..nfiles) each opened, read once, closed. */
static size_t
floor_sweep(int procfd, const char *const *files, int nfiles)
{
	DIR *d = proc_listing(procfd);
	size_t n = 0;
	struct dirent *e;
	char rel[300], buf[1024];
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		int seen = 0;
		for (int i = 0; i < nfiles; i++) {
			snprintf(rel, sizeof(rel), "%s/%s", e->d_name, files[i]);
			int fd = openat(procfd, rel, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue; /* gone since readdir */
			if (read(fd, buf, sizeof(buf)) > 0)
				seen = 1;
			close(fd);
		}
		n += (size_t)seen;
	}
	closedir(d);
	return n;
}

/* Descriptors kept across sweeps, by pid. */
static int *kept_fd;
static uint32_t *kept_seen;
static long kept_max;

/* One sweep of the kept-descriptor floor (sweep number gen, from 1). */
static size_t
floor_keep_sweep(int procfd, uint32_t gen)
{
	DIR *d = proc_listing(procfd);
	size_t n = 0;
	struct dirent *e;
	char rel[300], buf[1024];
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		long pid = strtol(e->d_name, NULL, 10);
		if (pid <= 0 || pid >= kept_max)
			continue;
		for (int attempt = 0; attempt < 2; attempt++) {
			if (kept_fd[pid] < 0) {
				snprintf(rel, sizeof(rel), "%s/stat", e->d_name);
				kept_fd[pid] = openat(procfd, rel, O_RDONLY | O_CLOEXEC);
				if (kept_fd[pid] < 0)
					break; /* gone since readdir */
			}
			if (pread(kept_fd[pid], buf, sizeof(buf), 0) > 0) {
				kept_seen[pid] = gen;
				n++;
				break;
			}
			close(kept_fd[pid]); /* a reused pid: the old process's descriptor */
			kept_fd[pid] = -1;
		}
	}
	closedir(d);
	for (long pid = 1; pid < kept_max; pid++)
		if (kept_fd[pid] >= 0 && kept_seen[pid] != gen) {
			close(kept_fd[pid]);
			kept_fd[pid] = -1;
		}
	return n;
}

int
main(int argc, char **argv)
{
	int mode = 0; /* 0 vigil, 1 floor1, 2 floor2, 3 floor1 with descriptors kept */
	int a = 1;
	if (argc > a && strcmp(argv[a], "--floor1-keep") == 0) {
		mode = 3;
		a++;
	} else if (argc > a && strcmp(argv[a], "--floor2") == 0) {
		mode = 2;
		a++;
	} else if (argc > a && strcmp(argv[a], "--floor1") == 0) {
		mode = 1;
		a++;
	}
	long sweeps = argc > a ? strtol(argv[a], NULL, 10) : 0;
	if (sweeps <= 0) {
		fprintf(stderr, "usage: sweep [--floor1|--floor2|--floor1-keep] N\n");
		return 2;
	}
	size_t procs = 0;
	long long t0, t1, warm = 0;
	if (mode == 0) {
		struct proc_scan *s = proc_scan_new(NULL);
		if (s == NULL) {
			perror("sweep: proc_scan_new");
			return 1;
		}
		/*
		 * The first two sweeps open every descriptor (stat, then schedstat
		 * for the gate); timed apart, like the kept-descriptor floor's first
		 * sweep and top's first refresh.
		 */
		long long w0 = cpu_ns();
		for (int i = 0; i < 2; i++)
			if (proc_scan_run(s) < 0) {
				perror("sweep: proc_scan_run");
				return 1;
			}
		warm = cpu_ns() - w0;
		t0 = cpu_ns();
		for (long i = 0; i < sweeps; i++)
			if (proc_scan_run(s) < 0) {
				perror("sweep: proc_scan_run");
				return 1;
			}
		t1 = cpu_ns();
		proc_scan_recs(s, &procs);
		proc_scan_free(s);
	} else {
		static const char *const files[] = {"stat", "statm"};
		int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (procfd < 0) {
			perror("sweep: /proc");
			return 1;
		}
		if (mode == 3) {
			/* room for a descriptor per pid */
			struct rlimit rl;
			if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
				rl.rlim_cur = rl.rlim_max;
				setrlimit(RLIMIT_NOFILE, &rl);
			}
			FILE *f = fopen("/proc/sys/kernel/pid_max", "r");
			if (f == NULL || fscanf(f, "%ld", &kept_max) != 1)
				kept_max = 4194304;
			if (f != NULL)
				fclose(f);
			kept_max++;
			kept_fd = malloc((size_t)kept_max * sizeof(*kept_fd));
			kept_seen = calloc((size_t)kept_max, sizeof(*kept_seen));
			if (kept_fd == NULL || kept_seen == NULL)
				return 1;
			memset(kept_fd, 0xff, (size_t)kept_max * sizeof(*kept_fd));
			/* the first sweep opens every descriptor; it is not timed */
			floor_keep_sweep(procfd, 1);
		}
		t0 = cpu_ns();
		for (long i = 0; i < sweeps; i++)
			procs = mode == 3 ? floor_keep_sweep(procfd, (uint32_t)i + 2) : floor_sweep(procfd, files, mode);
		t1 = cpu_ns();
		close(procfd);
	}
	printf("%zu %lld %lld\n", procs, (t1 - t0) / sweeps, warm);
	return 0;
}
