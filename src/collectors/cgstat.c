/*
 * cgstat — parses a group's accounting files; opens nothing for writing.
 * Each file is small (a few hundred bytes) and read whole into a stack
 * buffer; "key value" files are searched for one whole key.
 */
#include "collectors/cgstat.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CGSTAT_BUF 4096 /* bytes read from one accounting file */
#define CGSTAT_LINE_MAX 32 /* longer than any line of cgroup.procs */

/* Reads dir/file into buf (NUL-terminated); true when something was read. */
static bool
cgstat_slurp(const char *dir, const char *file, char *buf, size_t size)
{
	char path[PATH_MAX];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path))
		return false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	size_t n = 0;
	while (n + 1 < size) {
		ssize_t r = read(fd, buf + n, size - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n + 1 < size)
			break; /* these files are one record each: a short read is their end */
	}
	close(fd);
	buf[n] = '\0';
	return n > 0;
}

/* Parses an unsigned decimal that makes up the whole of s (up to a newline). */
static bool
cgstat_number(const char *s, uint64_t *out)
{
	if (*s < '0' || *s > '9')
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || (*end != '\0' && *end != '\n'))
		return false;
	*out = v;
	return true;
}

/* A single-number file (memory.current, cpuacct.usage …). */
static bool
cgstat_file_number(const char *dir, const char *file, uint64_t *out)
{
	char buf[64];
	return cgstat_slurp(dir, file, buf, sizeof(buf)) && cgstat_number(buf, out);
}

/* The value of key in a "key value" per line file (cpu.stat, memory.events, memory.oom_control). */
static bool
cgstat_keyed(const char *dir, const char *file, const char *key, uint64_t *out)
{
	char buf[CGSTAT_BUF];
	if (!cgstat_slurp(dir, file, buf, sizeof(buf)))
		return false;
	size_t kl = strlen(key);
	for (const char *line = buf; *line != '\0';) {
		const char *nl = strchr(line, '\n');
		if (strncmp(line, key, kl) == 0 && line[kl] == ' ')
			return cgstat_number(line + kl + 1, out);
		if (nl == NULL)
			break;
		line = nl + 1;
	}
	return false;
}

bool
cgstat_read_src(const struct cgstat_src *src, struct cgstat *out)
{
	*out = (struct cgstat){0};
	if (src->cpu_dir != NULL) {
		if (src->cpu_ver == CG_VER_V2) {
			out->has_cpu = cgstat_keyed(src->cpu_dir, "cpu.stat", "usage_usec", &out->cpu_usec);
		} else if (src->cpu_ver == CG_VER_V1) {
			uint64_t ns = 0;
			out->has_cpu = cgstat_file_number(src->cpu_dir, "cpuacct.usage", &ns);
			out->cpu_usec = ns / 1000;
		}
	}
	if (src->mem_dir != NULL) {
		if (src->mem_ver == CG_VER_V2) {
			out->has_mem = cgstat_file_number(src->mem_dir, "memory.current", &out->mem_bytes);
			out->has_oom = cgstat_keyed(src->mem_dir, "memory.events", "oom_kill", &out->oom_kills);
		} else if (src->mem_ver == CG_VER_V1) {
			out->has_mem = cgstat_file_number(src->mem_dir, "memory.usage_in_bytes",
			    &out->mem_bytes);
			out->has_oom = cgstat_keyed(src->mem_dir, "memory.oom_control", "oom_kill",
			    &out->oom_kills);
		}
	}
	return out->has_cpu || out->has_mem || out->has_oom;
}

bool
cgstat_read(const struct cg_group *g, struct cgstat *out)
{
	struct cgstat_src src;
	src.cpu_dir = cg_group_dir(g, CG_ROLE_CPU_ACCT, &src.cpu_ver);
	src.mem_dir = cg_group_dir(g, CG_ROLE_MEM_ACCT, &src.mem_ver);
	return cgstat_read_src(&src, out);
}

int
cgstat_cpu_open_dir(const char *dir, enum cg_ver ver)
{
	char path[PATH_MAX];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
	    ver == CG_VER_V2 ? "cpu.stat" : "cpuacct.usage") >= sizeof(path))
		return -1;
	return open(path, O_RDONLY | O_CLOEXEC);
}

int
cgstat_cpu_open(const struct cg_group *g, enum cg_ver *ver)
{
	const char *dir = cg_group_dir(g, CG_ROLE_CPU_ACCT, ver);
	return dir != NULL ? cgstat_cpu_open_dir(dir, *ver) : -1;
}

int
cgstat_procs_open(const struct cg_group *g)
{
	const char *dir = cg_group_dir(g, CG_ROLE_PLACE, NULL);
	char path[PATH_MAX];
	if (dir == NULL || (size_t)snprintf(path, sizeof(path), "%s/cgroup.procs", dir) >= sizeof(path))
		return -1;
	return open(path, O_RDONLY | O_CLOEXEC);
}

static int
cgstat_pid_cmp(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return (x > y) - (x < y);
}

ssize_t
cgstat_procs_read(int fd, pid_t *out, size_t cap)
{
	/* One pid per line; read in chunks from the start, a number may straddle two. */
	char buf[CGSTAT_BUF];
	size_t n = 0;
	off_t off = 0;
	uint64_t cur = 0;
	bool in_num = false;
	for (;;) {
		ssize_t r = pread(fd, buf, sizeof(buf), off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		for (ssize_t i = 0; i < r; i++) {
			if (buf[i] >= '0' && buf[i] <= '9') {
				if (cur <= INT32_MAX) /* past it: not a pid, and skipped below */
					cur = cur * 10 + (uint64_t)(buf[i] - '0');
				in_num = true;
				continue;
			}
			if (in_num && cur > 0 && cur <= INT32_MAX) {
				if (n < cap)
					out[n] = (pid_t)cur;
				n++;
			}
			cur = 0;
			in_num = false;
		}
		/*
		 * cgroup.procs is a seq_file: a read ends where the next line does
		 * not fit, so a read short by less than a line may not be the end.
		 * A line is a pid and a newline (at most 11 bytes): a read short by
		 * more than CGSTAT_LINE_MAX is, which saves the call that returns 0.
		 */
		if (r == 0 || (size_t)r + CGSTAT_LINE_MAX < sizeof(buf))
			break;
		off += r;
	}
	if (in_num && cur > 0 && cur <= INT32_MAX) {
		if (n < cap)
			out[n] = (pid_t)cur;
		n++;
	}
	if (n > cap)
		return (ssize_t)n; /* the caller makes room and reads again */
	/* v1 lists in no particular order and may repeat a pid. */
	if (n > 1)
		qsort(out, n, sizeof(*out), cgstat_pid_cmp);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (u == 0 || out[u - 1] != out[i])
			out[u++] = out[i];
	return (ssize_t)u;
}

bool
cgstat_cpu_read(int fd, enum cg_ver ver, uint64_t *usec)
{
	char buf[CGSTAT_BUF];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	if (ver == CG_VER_V1) {
		uint64_t ns;
		if (!cgstat_number(buf, &ns))
			return false;
		*usec = ns / 1000;
		return true;
	}
	const char *k = strstr(buf, "usage_usec ");
	return k != NULL && (k == buf || k[-1] == '\n') && cgstat_number(k + 11, usec);
}
