/*
 * test_cgstat — the accounting files as the kernel writes them (v2
 * cpu.stat, memory.current, memory.events; v1 cpuacct.usage,
 * memory.usage_in_bytes, memory.oom_control, with and without its
 * oom_kill line), files that are missing or do not parse, a group made on
 * a copy of the hybrid fixture (CPU from v2, memory from v1), and that
 * reading writes nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collectors/cgstat.h"
#include "core/cgroup.h"

#define STAT_DIR VIGIL_FIXTURES "/cgroup/stat"

static void
test_v2_files(void **state)
{
	(void)state;
	struct cgstat st;
	struct cgstat_src src = {
		.cpu_dir = STAT_DIR "/v2", .cpu_ver = CG_VER_V2,
		.mem_dir = STAT_DIR "/v2", .mem_ver = CG_VER_V2,
	};
	assert_true(cgstat_read_src(&src, &st));
	assert_true(st.has_cpu);
	assert_int_equal(st.cpu_usec, 7654321);
	assert_true(st.has_mem);
	assert_int_equal(st.mem_bytes, 52428800);
	assert_true(st.has_oom);
	assert_int_equal(st.oom_kills, 2); /* oom_kill, not oom or oom_group_kill */
}

/* The CPU counter through a kept descriptor, re-read from the start each time. */
static void
test_cpu_fd(void **state)
{
	(void)state;
	uint64_t usec = 0;
	int fd = open(STAT_DIR "/v2/cpu.stat", O_RDONLY);
	assert_true(fd >= 0);
	assert_true(cgstat_cpu_read(fd, CG_VER_V2, &usec));
	assert_int_equal(usec, 7654321);
	usec = 0;
	assert_true(cgstat_cpu_read(fd, CG_VER_V2, &usec)); /* again: pread from 0 */
	assert_int_equal(usec, 7654321);
	close(fd);
	fd = open(STAT_DIR "/v1/cpuacct.usage", O_RDONLY);
	assert_true(fd >= 0);
	assert_true(cgstat_cpu_read(fd, CG_VER_V1, &usec));
	close(fd);
	fd = open(STAT_DIR "/v2/memory.current", O_RDONLY); /* no usage_usec line */
	assert_true(fd >= 0);
	assert_false(cgstat_cpu_read(fd, CG_VER_V2, &usec));
	close(fd);
	assert_false(cgstat_cpu_read(-1, CG_VER_V2, &usec));
}

static void
test_v1_files(void **state)
{
	(void)state;
	struct cgstat st;
	struct cgstat_src src = {
		.cpu_dir = STAT_DIR "/v1", .cpu_ver = CG_VER_V1,
		.mem_dir = STAT_DIR "/v1", .mem_ver = CG_VER_V1,
	};
	assert_true(cgstat_read_src(&src, &st));
	assert_true(st.has_cpu);
	assert_int_equal(st.cpu_usec, 7654321); /* cpuacct.usage is in ns */
	assert_true(st.has_mem);
	assert_int_equal(st.mem_bytes, 52424704);
	assert_true(st.has_oom);
	assert_int_equal(st.oom_kills, 1);

	/* Kernels before 4.13 have no oom_kill line in memory.oom_control. */
	src.cpu_dir = src.mem_dir = STAT_DIR "/v1-old";
	assert_true(cgstat_read_src(&src, &st));
	assert_int_equal(st.cpu_usec, 1);
	assert_true(st.has_mem);
	assert_int_equal(st.mem_bytes, 4096);
	assert_false(st.has_oom);
	assert_int_equal(st.oom_kills, 0);
}

static void
test_missing_and_bad(void **state)
{
	(void)state;
	struct cgstat st;
	/* Nothing to read at all. */
	struct cgstat_src none = {0};
	assert_false(cgstat_read_src(&none, &st));
	assert_false(st.has_cpu || st.has_mem || st.has_oom);
	struct cgstat_src gone = {
		.cpu_dir = STAT_DIR "/nonexistent", .cpu_ver = CG_VER_V2,
		.mem_dir = STAT_DIR "/nonexistent", .mem_ver = CG_VER_V1,
	};
	assert_false(cgstat_read_src(&gone, &st));
	/* Only whole keys and whole numbers count. */
	struct cgstat_src bad = {
		.cpu_dir = STAT_DIR "/bad", .cpu_ver = CG_VER_V2,
		.mem_dir = STAT_DIR "/bad", .mem_ver = CG_VER_V2,
	};
	assert_false(cgstat_read_src(&bad, &st));
	/* The wrong format for the files present reads nothing. */
	struct cgstat_src mixed = {
		.cpu_dir = STAT_DIR "/v2", .cpu_ver = CG_VER_V1,
		.mem_dir = STAT_DIR "/v1", .mem_ver = CG_VER_V2,
	};
	assert_false(cgstat_read_src(&mixed, &st));
	/* One item is enough for true. */
	struct cgstat_src cpu_only = {.cpu_dir = STAT_DIR "/v2", .cpu_ver = CG_VER_V2};
	assert_true(cgstat_read_src(&cpu_only, &st));
	assert_true(st.has_cpu);
	assert_false(st.has_mem);
	assert_false(st.has_oom);
}

/* ---- a group on a fake tree -------------------------------------------- */

static void
rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	if (d != NULL) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			char p[4096];
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			struct stat st;
			if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
				rm_tree(p);
			else
				unlink(p);
		}
		closedir(d);
	}
	rmdir(dir);
}

static void
copy_tree(const char *src, const char *dst)
{
	assert_true(mkdir(dst, 0755) == 0 || errno == EEXIST);
	DIR *d = opendir(src);
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char s[4096], t[4096];
		snprintf(s, sizeof(s), "%s/%s", src, e->d_name);
		snprintf(t, sizeof(t), "%s/%s", dst, e->d_name);
		struct stat st;
		assert_int_equal(lstat(s, &st), 0);
		if (S_ISDIR(st.st_mode)) {
			copy_tree(s, t);
			continue;
		}
		int in = open(s, O_RDONLY);
		int out = open(t, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		assert_true(in >= 0 && out >= 0);
		char buf[8192];
		ssize_t r;
		while ((r = read(in, buf, sizeof(buf))) > 0)
			assert_int_equal(write(out, buf, (size_t)r), r);
		close(in);
		close(out);
	}
	closedir(d);
}

static void
put(const char *dir, const char *file, const char *text)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* Latest modification time of the files in dir. */
static int64_t
newest_mtime(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	int64_t newest = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		if (fstatat(dirfd(d), e->d_name, &st, 0) == 0) {
			int64_t t = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
			if (t > newest)
				newest = t;
		}
	}
	closedir(d);
	return newest;
}

/* A group shop/api made in a copy of the hybrid fixture at root (a mkdtemp template). */
static struct cg_group *
hybrid_group(char *root, struct cg_env **e)
{
	assert_non_null(mkdtemp(root));
	copy_tree(VIGIL_FIXTURES "/cgroup/hybrid", root);
	*e = cg_env_new(root);
	char err[256];
	struct cg_group *g = cg_group_new(*e, "shop", "api", NULL, err, sizeof(err));
	assert_non_null(g);
	return g;
}

static void
test_group_hybrid(void **state)
{
	(void)state;
	char root[] = "/tmp/vigil-cgstat-XXXXXX";
	struct cg_env *e;
	struct cg_group *g = hybrid_group(root, &e);
	enum cg_ver cv, mv;
	const char *cdir = cg_group_dir(g, CG_ROLE_CPU_ACCT, &cv);
	const char *mdir = cg_group_dir(g, CG_ROLE_MEM_ACCT, &mv);
	assert_int_equal(cv, CG_VER_V2);
	assert_int_equal(mv, CG_VER_V1);

	/* A new group before the kernel (here: the test) has written anything. */
	struct cgstat st;
	assert_false(cgstat_read(g, &st));

	put(cdir, "cpu.stat", "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n");
	put(mdir, "memory.usage_in_bytes", "33554432\n");
	put(mdir, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
	int64_t before_c = newest_mtime(cdir), before_m = newest_mtime(mdir);
	assert_true(cgstat_read(g, &st));
	assert_true(st.has_cpu && st.has_mem && st.has_oom);
	assert_int_equal(st.cpu_usec, 2500000);
	assert_int_equal(st.mem_bytes, 33554432);
	assert_int_equal(st.oom_kills, 3);
	/* Reading wrote nothing. */
	assert_int_equal(newest_mtime(cdir), before_c);
	assert_int_equal(newest_mtime(mdir), before_m);

	cg_group_free(g);
	cg_env_free(e);
	rm_tree(root);
}

/* Members from cgroup.procs: unsorted and repeated (v1), longer than one read, a cap too small. */
static void
test_procs(void **state)
{
	(void)state;
	char root[] = "/tmp/vigil-cgstat-XXXXXX";
	struct cg_env *e;
	struct cg_group *g = hybrid_group(root, &e);
	const char *pdir = cg_group_dir(g, CG_ROLE_PLACE, NULL);
	assert_non_null(pdir);
	/* 2000 pids from 100000 down, each twice, and one that is not a pid. */
	size_t len = 0, cap = 64 * 1024;
	char *text = malloc(cap);
	assert_non_null(text);
	for (int i = 0; i < 2000; i++)
		len += (size_t)snprintf(text + len, cap - len, "%d\n%d\n", 100000 - i, 100000 - i);
	len += (size_t)snprintf(text + len, cap - len, "99999999999\n42");
	put(pdir, "cgroup.procs", text);
	free(text);
	int fd = cgstat_procs_open(g);
	assert_true(fd >= 0);
	pid_t small[10];
	assert_int_equal(cgstat_procs_read(fd, small, 10), 4001); /* before sorting and merging */
	pid_t *pids = calloc(4001, sizeof(*pids));
	assert_non_null(pids);
	ssize_t n = cgstat_procs_read(fd, pids, 4001);
	assert_int_equal(n, 2001);
	assert_int_equal(pids[0], 42);
	assert_int_equal(pids[1], 98001);
	assert_int_equal(pids[2000], 100000);
	for (ssize_t i = 2; i < n; i++)
		assert_true(pids[i - 1] < pids[i]);
	/* Empty: none. */
	put(pdir, "cgroup.procs", "");
	assert_int_equal(cgstat_procs_read(fd, pids, 4001), 0);
	close(fd);
	free(pids);
	/* The stack's counter: the group's parent, read the same way. */
	enum cg_ver cv;
	const char *cdir = cg_group_dir(g, CG_ROLE_CPU_ACCT, &cv);
	char parent[4096];
	snprintf(parent, sizeof(parent), "%s", cdir);
	*strrchr(parent, '/') = '\0';
	put(parent, "cpu.stat", "usage_usec 900\n");
	fd = cgstat_cpu_open_dir(parent, cv);
	assert_true(fd >= 0);
	uint64_t usec = 0;
	assert_true(cgstat_cpu_read(fd, cv, &usec));
	assert_int_equal(usec, 900);
	close(fd);
	cg_group_free(g);
	cg_env_free(e);
	rm_tree(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v2_files),
		cmocka_unit_test(test_v1_files),
		cmocka_unit_test(test_cpu_fd),
		cmocka_unit_test(test_missing_and_bad),
		cmocka_unit_test(test_group_hybrid),
		cmocka_unit_test(test_procs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
