/*
 * test_cgroup — discovery on fixture trees (hybrid as on a v1+unified
 * machine, systemd-style v2, v2 from the true root, a v1 container whose
 * mounts show only its own subtree, docker's read-only v2, no cgroupfs at
 * all, a mount point with an escaped space): mode, describe line, own
 * directories, placement preference. Groups on temp copies of the trees,
 * where plain directories stand in for cgroupfs: directories, limit files,
 * controller enabling, reuse, another engine's stack, kill by pid list and
 * by cgroup.kill, removal. Then the real machine (root only, skipped with a
 * reason otherwise): placement of a child and a setsid'ed grandchild, a
 * memory limit read back, kill, removal, and an OOM kill under 50 MB.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "collectors/cgstat.h"
#include "core/cgroup.h"

#define MB (1024 * 1024)

static int64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- files and trees --------------------------------------------------- */

/* Removes a tree (files and folders). */
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

/* Copies the tree src into dst (which is made). */
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

/* A copy of fixture tests/fixtures/cgroup/NAME in a fresh temp folder; free it with fixture_drop. */
static char *
fixture(const char *name)
{
	char *dir = strdup("/tmp/vigil-cgroup-XXXXXX");
	assert_non_null(dir);
	assert_non_null(mkdtemp(dir));
	char src[4096];
	snprintf(src, sizeof(src), "%s/cgroup/%s", VIGIL_FIXTURES, name);
	copy_tree(src, dir);
	return dir;
}

static void
fixture_drop(char *dir)
{
	rm_tree(dir);
	free(dir);
}

/* The file's text (NUL-terminated, static buffer), or NULL when it cannot be read. */
static const char *
read_text(const char *fmt, ...)
{
	static char text[8192];
	char path[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	ssize_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n < 0)
		return NULL;
	text[n] = '\0';
	return text;
}

static void
write_text(const char *text, const char *fmt, ...)
{
	char path[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static bool
exists(const char *fmt, ...)
{
	char path[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return access(path, F_OK) == 0;
}

/* mkdir -p */
static void
mkdir_p(const char *dir)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s", dir);
	for (char *s = p + 1; *s != '\0'; s++) {
		if (*s == '/') {
			*s = '\0';
			assert_true(mkdir(p, 0755) == 0 || errno == EEXIST);
			*s = '/';
		}
	}
	assert_true(mkdir(p, 0755) == 0 || errno == EEXIST);
}

/* Replaces every "from" with "to" in a file of the tree. */
static void
edit_file(const char *root, const char *file, const char *from, const char *to)
{
	const char *old = read_text("%s/%s", root, file);
	assert_non_null(old);
	char out[8192] = "";
	size_t fl = strlen(from);
	for (const char *p = old; *p != '\0';) {
		if (strncmp(p, from, fl) == 0) {
			strcat(out, to);
			p += fl;
		} else {
			strncat(out, p, 1);
			p++;
		}
	}
	write_text(out, "%s/%s", root, file);
}

/* Asserts s equals root followed by rel. */
static void
assert_under(const char *s, const char *root, const char *rel)
{
	assert_non_null(s);
	char want[4096];
	snprintf(want, sizeof(want), "%s%s", root, rel);
	assert_string_equal(s, want);
}

/* ---- discovery --------------------------------------------------------- */

#define HYB_ID "53c0d625ac412c1ef756724fa49da679"
#define V2_OWN "/sys/fs/cgroup/user.slice/user-1000.slice/session-3.scope"

static void
test_discover_hybrid(void **state)
{
	(void)state;
	char *root = fixture("hybrid");
	struct cg_env *e = cg_env_new(root);
	assert_int_equal(cg_env_mode(e), CG_MODE_HYBRID);
	assert_string_equal(cg_env_describe(e),
	    "cgroup hybrid: placement+kill v2 /sys/fs/cgroup/unified; memory limit v1; "
	    "cpu limit v1; accounting: cpu v2, memory v1");
	assert_under(cg_env_own_dir(e, ""), root, "/sys/fs/cgroup/unified");
	assert_under(cg_env_own_dir(e, "memory"), root, "/sys/fs/cgroup/memory/process_api/" HYB_ID);
	assert_under(cg_env_own_dir(e, "cpuacct"), root, "/sys/fs/cgroup/cpuacct");
	assert_under(cg_env_own_dir(e, "name=systemd"), root, "/sys/fs/cgroup/systemd");
	assert_null(cg_env_own_dir(e, "hugetlb"));
	enum cg_ver v;
	assert_under(cg_env_role_dir(e, CG_ROLE_PLACE, &v), root, "/sys/fs/cgroup/unified");
	assert_int_equal(v, CG_VER_V2);
	assert_under(cg_env_role_dir(e, CG_ROLE_MEM_LIMIT, &v), root,
	    "/sys/fs/cgroup/memory/process_api/" HYB_ID);
	assert_int_equal(v, CG_VER_V1);
	assert_under(cg_env_role_dir(e, CG_ROLE_CPU_LIMIT, &v), root, "/sys/fs/cgroup/cpu");
	assert_int_equal(v, CG_VER_V1);
	assert_under(cg_env_role_dir(e, CG_ROLE_CPU_ACCT, &v), root, "/sys/fs/cgroup/unified");
	assert_int_equal(v, CG_VER_V2);
	assert_under(cg_env_role_dir(e, CG_ROLE_MEM_ACCT, &v), root,
	    "/sys/fs/cgroup/memory/process_api/" HYB_ID);
	assert_int_equal(v, CG_VER_V1);
	cg_env_free(e);

	/* Without cpu.stat in the unified own directory, CPU accounting falls back to cpuacct. */
	char cpustat[4096];
	snprintf(cpustat, sizeof(cpustat), "%s/sys/fs/cgroup/unified/cpu.stat", root);
	assert_int_equal(unlink(cpustat), 0);
	e = cg_env_new(root);
	assert_string_equal(cg_env_describe(e),
	    "cgroup hybrid: placement+kill v2 /sys/fs/cgroup/unified; memory limit v1; "
	    "cpu limit v1; accounting: cpu v1, memory v1");
	assert_under(cg_env_role_dir(e, CG_ROLE_CPU_ACCT, &v), root, "/sys/fs/cgroup/cpuacct");
	cg_env_free(e);

	/* A read-only unified mount: placement goes to the best v1 hierarchy, pids. */
	edit_file(root, "proc/self/mountinfo", "/sys/fs/cgroup/unified rw", "/sys/fs/cgroup/unified ro");
	e = cg_env_new(root);
	assert_int_equal(cg_env_mode(e), CG_MODE_HYBRID);
	assert_string_equal(cg_env_describe(e),
	    "cgroup hybrid: placement+kill v1 /sys/fs/cgroup/pids; memory limit v1; "
	    "cpu limit v1; accounting: cpu v1, memory v1");
	cg_env_free(e);
	fixture_drop(root);
}

static void
test_discover_v2(void **state)
{
	(void)state;
	char *root = fixture("v2");
	struct cg_env *e = cg_env_new(root);
	assert_int_equal(cg_env_mode(e), CG_MODE_V2);
	assert_string_equal(cg_env_describe(e),
	    "cgroup v2: placement+kill v2 " V2_OWN "; memory limit v2; cpu limit v2; "
	    "accounting: cpu v2, memory v2");
	assert_under(cg_env_own_dir(e, ""), root, V2_OWN);
	assert_null(cg_env_own_dir(e, "memory"));
	for (int r = 0; r < CG_NROLES; r++) {
		enum cg_ver v;
		assert_under(cg_env_role_dir(e, (enum cg_role)r, &v), root, V2_OWN);
		assert_int_equal(v, CG_VER_V2);
	}
	cg_env_free(e);

	/* Controllers offered but not enabled, below a non-root cgroup: no limits. */
	write_text("\n", "%s%s/cgroup.subtree_control", root, V2_OWN);
	e = cg_env_new(root);
	assert_string_equal(cg_env_describe(e),
	    "cgroup v2: placement+kill v2 " V2_OWN "; memory limit none; cpu limit none; "
	    "accounting: cpu v2, memory none");
	assert_null(cg_env_role_dir(e, CG_ROLE_MEM_LIMIT, NULL));
	cg_env_free(e);

	/* The own directory is missing: nothing usable, and the reason says so. */
	char own[4096];
	snprintf(own, sizeof(own), "%s%s", root, V2_OWN);
	rm_tree(own);
	e = cg_env_new(root);
	assert_int_equal(cg_env_mode(e), CG_MODE_NONE);
	assert_string_equal(cg_env_describe(e),
	    "cgroup none: " V2_OWN " does not exist (ppid tree and rlimits only)");
	cg_env_free(e);
	fixture_drop(root);
}

static void
test_discover_v2root(void **state)
{
	(void)state;
	char *root = fixture("v2root");
	struct cg_env *e = cg_env_new(root);
	assert_int_equal(cg_env_mode(e), CG_MODE_V2);
	/* The true root (no cgroup.type) may enable what cgroup.controllers offers. */
	assert_string_equal(cg_env_describe(e),
	    "cgroup v2: placement+kill v2 /sys/fs/cgroup; memory limit v2; cpu limit v2; "
	    "accounting: cpu v2, memory v2");
	cg_env_free(e);
	fixture_drop(root);
}

static void
test_discover_v1(void **state)
{
	(void)state;
	char *root = fixture("v1");
	struct cg_env *e = cg_env_new(root);
	assert_int_equal(cg_env_mode(e), CG_MODE_V1);
	assert_string_equal(cg_env_describe(e),
	    "cgroup v1: placement+kill v1 /sys/fs/cgroup/pids; memory limit v1; cpu limit v1; "
	    "accounting: cpu v1, memory v1");
	/* Mount roots are the container's cgroup: own dirs are the mount points (plus the rest). */
	assert_under(cg_env_own_dir(e, "pids"), root, "/sys/fs/cgroup/pids");
	assert_under(cg_env_own_dir(e, "memory"), root, "/sys/fs/cgroup/memory/engine");
	assert_under(cg_env_own_dir(e, "cpu"), root, "/sys/fs/cgroup/cpu,cpuacct");
	assert_under(cg_env_own_dir(e, "cpuacct"), root, "/sys/fs/cgroup/cpu,cpuacct");
	assert_under(cg_env_own_dir(e, "name=systemd"), root, "/sys/fs/cgroup/systemd");
	assert_null(cg_env_own_dir(e, ""));
	enum cg_ver v;
	assert_under(cg_env_role_dir(e, CG_ROLE_CPU_ACCT, &v), root, "/sys/fs/cgroup/cpu,cpuacct");
	assert_int_equal(v, CG_VER_V1);
	cg_env_free(e);

	/* Placement preference: pids, then memory, cpu, freezer; a named one last; never cpuset. */
	static const struct {
		const char *mount;  /* made read-only */
		const char *place;  /* then placement is here */
	} steps[] = {
		{"/sys/fs/cgroup/pids rw", "/sys/fs/cgroup/memory/engine"},
		{"/sys/fs/cgroup/memory rw", "/sys/fs/cgroup/cpu,cpuacct"},
		{"/sys/fs/cgroup/cpu,cpuacct rw", "/sys/fs/cgroup/freezer"},
		{"/sys/fs/cgroup/freezer rw", "/sys/fs/cgroup/systemd"},
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		char ro[256];
		snprintf(ro, sizeof(ro), "%.*s ro", (int)strlen(steps[i].mount) - 3, steps[i].mount);
		edit_file(root, "proc/self/mountinfo", steps[i].mount, ro);
		e = cg_env_new(root);
		assert_int_equal(cg_env_mode(e), CG_MODE_V1);
		assert_under(cg_env_role_dir(e, CG_ROLE_PLACE, NULL), root, steps[i].place);
		cg_env_free(e);
	}
	e = cg_env_new(root);
	assert_string_equal(cg_env_describe(e),
	    "cgroup v1: placement+kill v1 /sys/fs/cgroup/systemd; memory limit none; "
	    "cpu limit none; accounting: cpu none, memory none");
	cg_env_free(e);
	/* Only cpuset left: it needs cpus and mems set up first, so it is not used. */
	edit_file(root, "proc/self/mountinfo", "/sys/fs/cgroup/systemd rw", "/sys/fs/cgroup/systemd ro");
	e = cg_env_new(root);
	assert_int_equal(cg_env_mode(e), CG_MODE_NONE);
	assert_string_equal(cg_env_describe(e),
	    "cgroup none: /sys/fs/cgroup/pids is read-only (ppid tree and rlimits only)");
	cg_env_free(e);
	fixture_drop(root);
}

static void
test_discover_none(void **state)
{
	(void)state;
	char *root = fixture("none-ro");
	struct cg_env *e = cg_env_new(root);
	assert_int_equal(cg_env_mode(e), CG_MODE_NONE);
	assert_string_equal(cg_mode_name(cg_env_mode(e)), "none");
	assert_string_equal(cg_env_describe(e),
	    "cgroup none: /sys/fs/cgroup is read-only (ppid tree and rlimits only)");
	for (int r = 0; r < CG_NROLES; r++) {
		enum cg_ver v = CG_VER_V1;
		assert_null(cg_env_role_dir(e, (enum cg_role)r, &v));
		assert_int_equal(v, CG_VER_NONE);
	}
	/* It is mounted, only not writable: the own dir is still known. */
	assert_under(cg_env_own_dir(e, ""), root, "/sys/fs/cgroup");
	char err[256];
	assert_null(cg_group_new(e, "shop", "api", NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "read-only"));
	cg_env_free(e);
	fixture_drop(root);

	root = fixture("none-nomount");
	e = cg_env_new(root);
	assert_int_equal(cg_env_mode(e), CG_MODE_NONE);
	assert_string_equal(cg_env_describe(e),
	    "cgroup none: no cgroup filesystem is mounted (ppid tree and rlimits only)");
	cg_env_free(e);
	fixture_drop(root);

	e = cg_env_new("/nonexistent/vigil-cgroup-root");
	assert_int_equal(cg_env_mode(e), CG_MODE_NONE);
	assert_string_equal(cg_env_describe(e),
	    "cgroup none: cannot read /proc/self/cgroup: No such file or directory "
	    "(ppid tree and rlimits only)");
	cg_env_free(e);
	cg_env_free(NULL);
}

static void
test_discover_escaped(void **state)
{
	(void)state;
	char *root = fixture("escaped");
	/* A trailing slash on the root is fine. */
	char slashed[4096];
	snprintf(slashed, sizeof(slashed), "%s/", root);
	struct cg_env *e = cg_env_new(slashed);
	assert_int_equal(cg_env_mode(e), CG_MODE_V2);
	/* "\040" in the mount point is a space; the mount's root /machine.slice is cut from the own path. */
	assert_under(cg_env_own_dir(e, ""), root, "/run/cgroup two/app one.scope");
	assert_string_equal(cg_env_describe(e),
	    "cgroup v2: placement+kill v2 /run/cgroup two/app one.scope; memory limit none; "
	    "cpu limit none; accounting: cpu v2, memory none");
	cg_env_free(e);
	fixture_drop(root);
}

/* ---- groups on fake trees ---------------------------------------------- */

static void
test_group_hybrid(void **state)
{
	(void)state;
	char *root = fixture("hybrid");
	struct cg_env *e = cg_env_new(root);
	char err[512];
	struct cg_limits lim = {.memory_bytes = 50 * MB, .cpu_percent_x100 = 5000};
	struct cg_group *api = cg_group_new(e, "shop", "api", &lim, err, sizeof(err));
	assert_non_null(api);
	assert_string_equal(err, "");

	const char *dirs[8];
	assert_int_equal(cg_group_dirs(api, dirs, 8), 3);
	assert_under(dirs[0], root, "/sys/fs/cgroup/unified/vigil/shop/api");
	assert_under(dirs[1], root, "/sys/fs/cgroup/memory/process_api/" HYB_ID "/vigil/shop/api");
	assert_under(dirs[2], root, "/sys/fs/cgroup/cpu/vigil/shop/api");
	assert_int_equal(cg_group_dirs(api, dirs, 1), 3); /* the count even when cap is smaller */
	enum cg_ver v;
	assert_string_equal(cg_group_dir(api, CG_ROLE_PLACE, &v), dirs[0]);
	assert_int_equal(v, CG_VER_V2);
	assert_string_equal(cg_group_dir(api, CG_ROLE_CPU_ACCT, &v), dirs[0]);
	assert_int_equal(v, CG_VER_V2);
	assert_string_equal(cg_group_dir(api, CG_ROLE_MEM_LIMIT, &v), dirs[1]);
	assert_int_equal(v, CG_VER_V1);
	assert_string_equal(cg_group_dir(api, CG_ROLE_MEM_ACCT, NULL), dirs[1]);
	assert_string_equal(cg_group_dir(api, CG_ROLE_CPU_LIMIT, &v), dirs[2]);
	assert_int_equal(v, CG_VER_V1);

	assert_string_equal(read_text("%s/memory.limit_in_bytes", dirs[1]), "52428800");
	/* memsw is written only when the kernel offers it (it does not appear in a fake tree). */
	assert_false(exists("%s/memory.memsw.limit_in_bytes", dirs[1]));
	assert_string_equal(read_text("%s/cpu.cfs_period_us", dirs[2]), "100000");
	assert_string_equal(read_text("%s/cpu.cfs_quota_us", dirs[2]), "50000");
	/* The unified hierarchy has no memory or cpu controller: nothing enabled there. */
	assert_false(exists("%s/sys/fs/cgroup/unified/vigil/cgroup.subtree_control", root));
	assert_string_equal(read_text("%s/sys/fs/cgroup/unified/cgroup.subtree_control", root), "\n");

	/* The child's descriptors: one per directory, write-only, close-on-exec,
	 * kept by the group: the next spawn gets the same ones. */
	int fds[8], again[8];
	assert_int_equal(cg_group_procs_fds(api, fds, 8), 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(fcntl(fds[i], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
		assert_int_equal(fcntl(fds[i], F_GETFL) & O_ACCMODE, O_WRONLY);
	}
	assert_int_equal(cg_group_procs_fds(api, again, 2), 2);
	assert_int_equal(again[0], fds[0]);
	assert_int_equal(again[1], fds[1]);
	cg_group_procs_done(api);
	assert_int_equal(fcntl(fds[0], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC); /* still open */

	/* A nearly full descriptor table (numbers beyond a quarter of the soft
	 * limit): opened for the spawn, closed after it. */
	struct cg_group *tight = cg_group_new(e, "shop", "tight", NULL, err, sizeof(err));
	assert_non_null(tight);
	struct rlimit rl, low;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	low = rl;
	low.rlim_cur = 16; /* a quarter: 4, below any descriptor opened here */
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	int tfds[8];
	int nt = cg_group_procs_fds(tight, tfds, 8);
	assert_true(nt > 0);
	cg_group_procs_done(tight);
	for (int i = 0; i < nt; i++)
		assert_int_equal(fcntl(tfds[i], F_GETFD), -1);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	cg_group_free(tight);

	/* A second process of the stack: no limits asked, none written. */
	struct cg_group *db = cg_group_new(e, "shop", "db", NULL, err, sizeof(err));
	assert_non_null(db);
	assert_int_equal(cg_group_dirs(db, dirs, 8), 3);
	assert_under(dirs[1], root, "/sys/fs/cgroup/memory/process_api/" HYB_ID "/vigil/shop/db");
	assert_false(exists("%s/memory.limit_in_bytes", dirs[1]));
	assert_false(exists("%s/cpu.cfs_quota_us", dirs[2]));
	assert_true(cg_group_empty(db));

	/* Limits can change later; 0 lifts them. */
	assert_true(cg_group_set_limits(db, &(struct cg_limits){.memory_bytes = 4096 * 1000},
	    err, sizeof(err)));
	assert_string_equal(read_text("%s/memory.limit_in_bytes", dirs[1]), "4096000");
	assert_string_equal(read_text("%s/cpu.cfs_quota_us", dirs[2]), "-1");
	assert_true(cg_group_set_limits(db, &(struct cg_limits){0}, err, sizeof(err)));
	assert_string_equal(read_text("%s/memory.limit_in_bytes", dirs[1]), "-1");

	/* Removing api leaves db and the stack folder; removing db takes vigil/ too. */
	cg_group_free(api);
	assert_false(exists("%s/sys/fs/cgroup/unified/vigil/shop/api", root));
	assert_false(exists("%s/sys/fs/cgroup/cpu/vigil/shop/api", root));
	assert_true(exists("%s/sys/fs/cgroup/unified/vigil/shop/db", root));
	cg_group_free(db);
	assert_false(exists("%s/sys/fs/cgroup/unified/vigil", root));
	assert_false(exists("%s/sys/fs/cgroup/memory/process_api/" HYB_ID "/vigil", root));
	assert_false(exists("%s/sys/fs/cgroup/cpu/vigil", root));
	/* The engine's own cgroup is untouched. */
	assert_true(exists("%s/sys/fs/cgroup/memory/process_api/" HYB_ID "/memory.limit_in_bytes", root));
	cg_group_free(NULL);
	cg_env_free(e);
	fixture_drop(root);
}

static void
test_group_v2(void **state)
{
	(void)state;
	char *root = fixture("v2");
	struct cg_env *e = cg_env_new(root);
	char err[512];
	struct cg_limits lim = {.memory_bytes = 50 * MB, .cpu_percent_x100 = 20000};
	struct cg_group *g = cg_group_new(e, "shop", "api", &lim, err, sizeof(err));
	assert_non_null(g);
	assert_string_equal(err, "");
	const char *dirs[8];
	assert_int_equal(cg_group_dirs(g, dirs, 8), 1);
	assert_under(dirs[0], root, V2_OWN "/vigil/shop/api");
	/* Controllers are passed down through vigil/ and vigil/shop/; the own cgroup already had them. */
	assert_string_equal(read_text("%s%s/vigil/cgroup.subtree_control", root, V2_OWN), "+memory +cpu");
	assert_string_equal(read_text("%s%s/vigil/shop/cgroup.subtree_control", root, V2_OWN),
	    "+memory +cpu");
	assert_string_equal(read_text("%s%s/cgroup.subtree_control", root, V2_OWN), "cpu memory\n");
	assert_string_equal(read_text("%s/memory.max", dirs[0]), "52428800");
	assert_string_equal(read_text("%s/cpu.max", dirs[0]), "200000 100000");

	assert_true(cg_group_set_limits(g, &(struct cg_limits){.cpu_percent_x100 = 50}, err,
	    sizeof(err)));
	assert_string_equal(read_text("%s/cpu.max", dirs[0]), "1000 100000"); /* the kernel's minimum */
	assert_string_equal(read_text("%s/memory.max", dirs[0]), "max");
	assert_true(cg_group_set_limits(g, NULL, err, sizeof(err)));
	assert_string_equal(read_text("%s/cpu.max", dirs[0]), "max 100000");

	/* cgroup.kill where the kernel has it: written, no pid list needed. */
	write_text("", "%s/cgroup.kill", dirs[0]);
	assert_int_equal(cg_group_kill(g), 0);
	assert_string_equal(read_text("%s/cgroup.kill", dirs[0]), "1");
	cg_group_free(g);
	assert_false(exists("%s%s/vigil", root, V2_OWN));
	cg_env_free(e);

	/* Controllers offered but not enabled below a non-root cgroup: limits are refused with a warning. */
	write_text("\n", "%s%s/cgroup.subtree_control", root, V2_OWN);
	e = cg_env_new(root);
	g = cg_group_new(e, "shop", "api", &lim, err, sizeof(err));
	assert_non_null(g);
	assert_string_equal(err, "memory limit not set: no cgroup memory controller available; "
	    "cpu limit not set: no cgroup cpu controller available");
	assert_null(cg_group_dir(g, CG_ROLE_MEM_ACCT, NULL));
	assert_non_null(cg_group_dir(g, CG_ROLE_CPU_ACCT, NULL));
	assert_false(exists("%s%s/vigil/cgroup.subtree_control", root, V2_OWN));
	cg_group_free(g);
	cg_env_free(e);
	fixture_drop(root);
}

static void
test_group_v2root(void **state)
{
	(void)state;
	char *root = fixture("v2root");
	struct cg_env *e = cg_env_new(root);
	char err[512];
	struct cg_group *g = cg_group_new(e, "shop", "api",
	    &(struct cg_limits){.memory_bytes = 100 * MB}, err, sizeof(err));
	assert_non_null(g);
	assert_string_equal(err, "");
	/* From the true root the engine enables what it needs at every level. */
	assert_string_equal(read_text("%s/sys/fs/cgroup/cgroup.subtree_control", root), "+memory +cpu");
	assert_string_equal(read_text("%s/sys/fs/cgroup/vigil/shop/cgroup.subtree_control", root),
	    "+memory +cpu");
	assert_string_equal(read_text("%s/sys/fs/cgroup/vigil/shop/api/memory.max", root), "104857600");
	cg_group_free(g);
	cg_env_free(e);
	fixture_drop(root);
}

static void
test_group_v1_reuse(void **state)
{
	(void)state;
	char *root = fixture("v1");
	/* A leaf left by an earlier run, with a stale limit and the kernel's memsw file. */
	char leaf[4096];
	snprintf(leaf, sizeof(leaf), "%s/sys/fs/cgroup/memory/engine/vigil/shop/api", root);
	mkdir_p(leaf);
	write_text("1048576\n", "%s/memory.limit_in_bytes", leaf);
	write_text("1048576\n", "%s/memory.memsw.limit_in_bytes", leaf);
	write_text("", "%s/cgroup.procs", leaf);

	struct cg_env *e = cg_env_new(root);
	char err[512];
	struct cg_group *g = cg_group_new(e, "shop", "api",
	    &(struct cg_limits){.memory_bytes = 50 * MB, .cpu_percent_x100 = 2500}, err, sizeof(err));
	assert_non_null(g);
	assert_string_equal(err, "");
	const char *dirs[8];
	assert_int_equal(cg_group_dirs(g, dirs, 8), 3);
	assert_under(dirs[0], root, "/sys/fs/cgroup/pids/vigil/shop/api");
	assert_string_equal(dirs[1], leaf);
	assert_under(dirs[2], root, "/sys/fs/cgroup/cpu,cpuacct/vigil/shop/api");
	assert_string_equal(cg_group_dir(g, CG_ROLE_CPU_ACCT, NULL), dirs[2]);
	assert_string_equal(read_text("%s/memory.limit_in_bytes", leaf), "52428800");
	assert_string_equal(read_text("%s/memory.memsw.limit_in_bytes", leaf), "52428800");
	assert_string_equal(read_text("%s/cpu.cfs_quota_us", dirs[2]), "25000");
	cg_group_free(g);
	assert_false(exists("%s", leaf));

	/* Reused again without limits: the stale one is lifted (a fresh leaf gets no writes). */
	mkdir_p(leaf);
	write_text("1048576\n", "%s/memory.limit_in_bytes", leaf);
	g = cg_group_new(e, "shop", "api", NULL, err, sizeof(err));
	assert_non_null(g);
	assert_string_equal(err, "");
	cg_group_dirs(g, dirs, 8);
	assert_string_equal(read_text("%s/memory.limit_in_bytes", leaf), "-1");
	assert_false(exists("%s/cpu.cfs_quota_us", dirs[2]));
	cg_group_free(g);
	cg_env_free(e);
	fixture_drop(root);
}

/* What cannot be made in one hierarchy is left out with a warning; placement alone is enough. */
static void
test_group_partial(void **state)
{
	(void)state;
	char *root = fixture("hybrid");
	/* A file where the memory hierarchy's vigil/ folder should go. */
	write_text("", "%s/sys/fs/cgroup/memory/process_api/" HYB_ID "/vigil", root);
	struct cg_env *e = cg_env_new(root);
	char err[512];
	struct cg_group *g = cg_group_new(e, "shop", "api",
	    &(struct cg_limits){.memory_bytes = 50 * MB}, err, sizeof(err));
	assert_non_null(g);
	char want[1024];
	snprintf(want, sizeof(want), "%s/sys/fs/cgroup/memory/process_api/" HYB_ID "/vigil: File exists; "
	    "memory limit not set: no cgroup memory controller available", root);
	assert_string_equal(err, want);
	const char *dirs[8];
	assert_int_equal(cg_group_dirs(g, dirs, 8), 2);
	assert_under(dirs[0], root, "/sys/fs/cgroup/unified/vigil/shop/api");
	assert_under(dirs[1], root, "/sys/fs/cgroup/cpu/vigil/shop/api");
	assert_null(cg_group_dir(g, CG_ROLE_MEM_LIMIT, NULL));
	assert_null(cg_group_dir(g, CG_ROLE_MEM_ACCT, NULL));
	assert_string_equal(cg_group_dir(g, CG_ROLE_CPU_LIMIT, NULL), dirs[1]);
	cg_group_free(g);
	cg_env_free(e);
	fixture_drop(root);

	/* v2: controllers that cannot be passed down (here the file is a folder) are reported. */
	root = fixture("v2");
	char ctl[4096];
	snprintf(ctl, sizeof(ctl), "%s%s/vigil/cgroup.subtree_control", root, V2_OWN);
	mkdir_p(ctl);
	e = cg_env_new(root);
	g = cg_group_new(e, "shop", "api", &(struct cg_limits){.cpu_percent_x100 = 5000}, err,
	    sizeof(err));
	assert_non_null(g);
	assert_string_equal(err, "cgroup v2 memory controller not enabled under " V2_OWN "; "
	    "cgroup v2 cpu controller not enabled under " V2_OWN "; "
	    "cpu limit not set: no cgroup cpu controller available");
	assert_null(cg_group_dir(g, CG_ROLE_MEM_ACCT, NULL));
	assert_non_null(cg_group_dir(g, CG_ROLE_CPU_ACCT, NULL)); /* cpu.stat needs no controller */
	/* Placement does not fail: the group is still a place to kill from. */
	assert_non_null(cg_group_dir(g, CG_ROLE_PLACE, NULL));
	cg_group_free(g);
	cg_env_free(e);
	fixture_drop(root);

	/* Placement itself cannot be made: no group, and nothing is left behind. */
	root = fixture("v2");
	write_text("", "%s%s/vigil", root, V2_OWN);
	e = cg_env_new(root);
	assert_null(cg_group_new(e, "shop", "api", NULL, err, sizeof(err)));
	snprintf(want, sizeof(want), "no cgroup: %s%s/vigil: File exists", root, V2_OWN);
	assert_string_equal(err, want);
	cg_env_free(e);
	fixture_drop(root);
}

static void
test_group_names(void **state)
{
	(void)state;
	char *root = fixture("v2");
	struct cg_env *e = cg_env_new(root);
	char err[256];
	static const char *const bad[] = {"", "a/b", "..", ".hidden", "x\ny"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_null(cg_group_new(e, bad[i], "api", NULL, err, sizeof(err)));
		assert_non_null(strstr(err, "cannot name a cgroup directory"));
		assert_null(cg_group_new(e, "shop", bad[i], NULL, err, sizeof(err)));
	}
	/* A name that is a control file of the parent cannot be a directory. */
	char shop[4096];
	snprintf(shop, sizeof(shop), "%s%s/vigil/shop", root, V2_OWN);
	mkdir_p(shop);
	write_text("", "%s%s/vigil/shop/cgroup.procs", root, V2_OWN);
	assert_null(cg_group_new(e, "shop", "cgroup.procs", NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "File exists"));
	cg_env_free(e);
	fixture_drop(root);
}

/* A child that waits to be killed. */
static pid_t
idle_child(void)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

static void
reap_killed(pid_t pid)
{
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
}

/* A new env (engine) places stack's proc at want (under root). */
static void
expect_placed(const char *root, const char *stack, const char *proc, const char *want)
{
	struct cg_env *e = cg_env_new(root);
	char err[512];
	struct cg_group *g = cg_group_new(e, stack, proc, NULL, err, sizeof(err));
	assert_non_null(g);
	const char *dirs[8];
	cg_group_dirs(g, dirs, 8);
	assert_under(dirs[0], root, want);
	cg_group_free(g);
	cg_env_free(e);
}

static void
test_group_taken_stack(void **state)
{
	(void)state;
	char *root = fixture("hybrid");
	/* Another engine's process lives in vigil/shop (any hierarchy counts). */
	pid_t other = idle_child();
	char d[4096];
	snprintf(d, sizeof(d), "%s/sys/fs/cgroup/memory/process_api/" HYB_ID "/vigil/shop/db", root);
	mkdir_p(d);
	char pidtxt[32];
	snprintf(pidtxt, sizeof(pidtxt), "%ld\n", (long)other);
	write_text(pidtxt, "%s/cgroup.procs", d);

	struct cg_env *e = cg_env_new(root);
	char err[512];
	struct cg_group *a = cg_group_new(e, "shop", "api", NULL, err, sizeof(err));
	assert_non_null(a);
	char want[256];
	snprintf(want, sizeof(want), "/sys/fs/cgroup/unified/vigil/shop@%ld/api", (long)getpid());
	const char *dirs[8];
	cg_group_dirs(a, dirs, 8);
	assert_under(dirs[0], root, want);
	/* The same env keeps its choice for the stack, even though its own groups now hold pids. */
	struct cg_group *b = cg_group_new(e, "shop", "web", NULL, err, sizeof(err));
	cg_group_dirs(b, dirs, 8);
	snprintf(want, sizeof(want), "/sys/fs/cgroup/unified/vigil/shop@%ld/web", (long)getpid());
	assert_under(dirs[0], root, want);
	/* A leaf that still holds a live process is not taken over. */
	struct cg_group *c = cg_group_new(e, "other", "x", NULL, err, sizeof(err));
	assert_non_null(c);
	cg_group_dirs(c, dirs, 8);
	write_text(pidtxt, "%s/cgroup.procs", dirs[0]);
	assert_false(cg_group_empty(c));
	assert_null(cg_group_new(e, "other", "x", NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "still holds processes"));
	write_text("", "%s/cgroup.procs", dirs[0]);
	cg_group_free(c);
	cg_group_free(a);
	cg_group_free(b);
	cg_env_free(e);

	/* Once that process is gone, the plain name is used again. */
	kill(other, SIGKILL);
	reap_killed(other);
	e = cg_env_new(root);
	a = cg_group_new(e, "shop", "api", NULL, err, sizeof(err));
	cg_group_dirs(a, dirs, 8);
	assert_under(dirs[0], root, "/sys/fs/cgroup/unified/vigil/shop/api");

	/* No process in it, but another engine (env) uses it: its lock says so. */
	struct cg_env *e2 = cg_env_new(root);
	b = cg_group_new(e2, "shop", "web", NULL, err, sizeof(err));
	assert_non_null(b);
	cg_group_dirs(b, dirs, 8);
	snprintf(want, sizeof(want), "/sys/fs/cgroup/unified/vigil/shop@%ld/web", (long)getpid());
	assert_under(dirs[0], root, want);
	cg_group_free(b);
	cg_env_free(e2);
	cg_group_free(a);
	cg_env_free(e);

	/* Nobody uses it now, but a guardian still empties it (a shared lock
	 * on it, as cg_lock_dir takes): not taken over either. */
	char sdir[4096];
	snprintf(sdir, sizeof(sdir), "%s/sys/fs/cgroup/unified/vigil/shop", root);
	mkdir_p(sdir);
	int held = cg_lock_dir(sdir);
	assert_true(held >= 0);
	snprintf(want, sizeof(want), "/sys/fs/cgroup/unified/vigil/shop@%ld/api", (long)getpid());
	expect_placed(root, "shop", "api", want);
	close(held);
	expect_placed(root, "shop", "api", "/sys/fs/cgroup/unified/vigil/shop/api");
	fixture_drop(root);
}

/*
 * Two engines claiming one stack name at once: while another's claim holds
 * vigil/ (it has tested the name and not yet locked the stack's directory),
 * a claim waits for it, then sees its lock and takes stack@pid.
 */
static void
test_group_claim_race(void **state)
{
	(void)state;
	char *root = fixture("hybrid");
	char vdir[4096], sdir[4200];
	snprintf(vdir, sizeof(vdir), "%s/sys/fs/cgroup/unified/vigil", root);
	snprintf(sdir, sizeof(sdir), "%s/shop", vdir);
	mkdir_p(vdir);
	int sync[2];
	assert_int_equal(pipe(sync), 0);
	pid_t other = fork();
	assert_true(other >= 0);
	if (other == 0) {
		/* The other engine's claim, slow between its test and its lock. */
		int v = open(vdir, O_RDONLY | O_DIRECTORY);
		if (v < 0 || flock(v, LOCK_EX) < 0)
			_exit(1);
		if (write(sync[1], "x", 1) != 1)
			_exit(1);
		usleep(300 * 1000);
		mkdir(sdir, 0755);
		if (cg_lock_dir(sdir) < 0)
			_exit(1);
		close(v);
		pause(); /* holds the stack's lock as a running engine does */
		_exit(0);
	}
	char x;
	assert_int_equal(read(sync[0], &x, 1), 1);
	char want[256];
	snprintf(want, sizeof(want), "/sys/fs/cgroup/unified/vigil/shop@%ld/api", (long)getpid());
	expect_placed(root, "shop", "api", want);
	kill(other, SIGKILL);
	waitpid(other, NULL, 0);
	close(sync[0]);
	close(sync[1]);
	fixture_drop(root);
}

static void
test_group_kill_pids(void **state)
{
	(void)state;
	char *root = fixture("v1");
	struct cg_env *e = cg_env_new(root);
	char err[512];
	struct cg_group *g = cg_group_new(e, "shop", "api", NULL, err, sizeof(err));
	assert_non_null(g);
	const char *dir = cg_group_dir(g, CG_ROLE_PLACE, NULL);
	assert_true(cg_group_empty(g));
	/* No cgroup.kill (v1): the pids listed, in the leaf and below it, get SIGKILL. */
	pid_t a = idle_child(), b = idle_child();
	char txt[64];
	snprintf(txt, sizeof(txt), "%ld\n%ld", (long)a, (long)getpid()); /* never kills the caller */
	write_text(txt, "%s/cgroup.procs", dir);
	char sub[4096];
	snprintf(sub, sizeof(sub), "%s/nested", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(txt, sizeof(txt), "%ld\n", (long)b);
	write_text(txt, "%s/cgroup.procs", sub);
	assert_false(cg_group_empty(g));
	/* Its own list empty, a live pid in a subdirectory only: not empty. */
	write_text("", "%s/cgroup.procs", dir);
	assert_false(cg_group_empty(g));
	snprintf(txt, sizeof(txt), "%ld\n%ld", (long)a, (long)getpid());
	write_text(txt, "%s/cgroup.procs", dir);
	assert_int_equal(cg_group_kill(g), 0);
	reap_killed(a);
	reap_killed(b);
	/* Listed but gone: empty. */
	write_text("", "%s/cgroup.procs", dir);
	assert_true(cg_group_empty(g));
	rm_tree(sub);
	cg_group_free(g);
	errno = 0;
	assert_int_equal(cg_dir_kill("/nonexistent/vigil-cgroup"), -1);
	assert_int_equal(errno, ENOENT);
	cg_env_free(e);
	fixture_drop(root);
}

/* ---- the real machine -------------------------------------------------- */

/* What a real-machine test made, undone by real_teardown even after a failed assertion. */
struct real_ctx {
	struct cg_env *env;
	struct cg_group *group;
	pid_t pids[4];
	size_t npids;
};

static struct real_ctx real;

/* Waits (polling, bounded) until the group is empty, reaping our own children meanwhile. */
static bool
real_wait_empty(int64_t ms)
{
	int64_t end = now_ms() + ms;
	for (;;) {
		for (size_t i = 0; i < real.npids; i++)
			if (real.pids[i] > 0 && waitpid(real.pids[i], NULL, WNOHANG) == real.pids[i])
				real.pids[i] = 0;
		if (real.group == NULL || cg_group_empty(real.group))
			return true;
		if (now_ms() >= end)
			return false;
		poll(NULL, 0, 10);
	}
}

static int
real_teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < real.npids; i++)
		if (real.pids[i] > 0)
			kill(real.pids[i], SIGKILL);
	if (real.group != NULL) {
		cg_group_kill(real.group);
		real_wait_empty(5000);
	}
	for (size_t i = 0; i < real.npids; i++)
		if (real.pids[i] > 0)
			waitpid(real.pids[i], NULL, 0);
	cg_group_free(real.group);
	cg_env_free(real.env);
	real = (struct real_ctx){0};
	return 0;
}

/* Discovers "/" and makes a group; false (with the reason printed) when the test must be skipped. */
static bool
real_setup(const char *proc, const struct cg_limits *lim, char *err, size_t err_size)
{
	if (geteuid() != 0) {
		print_message("[   INFO   ] skipped: not root, cgroups cannot be written\n");
		return false;
	}
	real.env = cg_env_new(NULL);
	print_message("[   INFO   ] %s\n", cg_env_describe(real.env));
	if (cg_env_mode(real.env) == CG_MODE_NONE) {
		print_message("[   INFO   ] skipped: nothing writable\n");
		return false;
	}
	char stack[64];
	snprintf(stack, sizeof(stack), "vigil-test-%ld", (long)getpid());
	real.group = cg_group_new(real.env, stack, proc, lim, err, err_size);
	if (real.group == NULL) {
		print_message("[   INFO   ] skipped: %s\n", err);
		return false;
	}
	return true;
}

/* True when pid is listed in dir/cgroup.procs. */
static bool
listed(const char *dir, pid_t pid)
{
	const char *t = read_text("%s/cgroup.procs", dir);
	if (t == NULL)
		return false;
	for (const char *p = t; *p != '\0';) {
		char *end;
		long v = strtol(p, &end, 10);
		if (end == p)
			break;
		if (v == pid)
			return true;
		p = end;
	}
	return false;
}

/*
 * Starts a child in the group (it writes "0" to the group's cgroup.procs
 * files) running sleep 30, and a grandchild that calls setsid() first, so
 * that only the cgroup still holds it. Both are tracked for the teardown.
 */
static void
real_spawn_pair(pid_t *child_out, pid_t *gc_out)
{
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0); /* the grandchild is reparented to us */
	int fds[8];
	int nfd = cg_group_procs_fds(real.group, fds, 8);
	assert_true(nfd >= 1);
	assert_int_equal((size_t)nfd, cg_group_dirs(real.group, NULL, 0));
	int pfd[2];
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		for (int i = 0; i < nfd; i++)
			if (write(fds[i], "0", 1) != 1)
				_exit(120);
		pid_t gc = fork();
		if (gc == 0) {
			long v = setsid() > 0 ? (long)getpid() : -1;
			if (write(pfd[1], &v, sizeof(v)) != sizeof(v))
				_exit(121);
			execlp("sleep", "sleep", "30", (char *)NULL);
			_exit(127);
		}
		if (gc < 0)
			_exit(121);
		close(pfd[1]);
		execlp("sleep", "sleep", "30", (char *)NULL);
		_exit(127);
	}
	real.pids[real.npids++] = child;
	/* The descriptors stay with the group. */
	close(pfd[1]);
	long gcv = 0;
	ssize_t r = read(pfd[0], &gcv, sizeof(gcv));
	close(pfd[0]);
	assert_int_equal(r, sizeof(gcv));
	assert_true(gcv > 0);
	real.pids[real.npids++] = (pid_t)gcv;
	assert_true(getpgid((pid_t)gcv) != getpgid(child));
	*child_out = child;
	*gc_out = (pid_t)gcv;
}

/* Reaps the tracked children, each of which must have died by SIGKILL. */
static void
real_reap_killed(void)
{
	for (size_t i = 0; i < real.npids; i++) {
		if (real.pids[i] > 0) {
			int ws;
			assert_int_equal(waitpid(real.pids[i], &ws, 0), real.pids[i]);
			real.pids[i] = 0;
			assert_true(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL);
		}
	}
}

static void
test_real_place_kill(void **state)
{
	(void)state;
	char err[512];
	if (!real_setup("sleeper", NULL, err, sizeof(err))) {
		skip();
		return;
	}
	pid_t child, gc;
	real_spawn_pair(&child, &gc);

	const char *dirs[8];
	size_t nd = cg_group_dirs(real.group, dirs, 8);

	for (size_t i = 0; i < nd; i++) {
		print_message("[   INFO   ] group dir %s\n", dirs[i]);
		assert_true(listed(dirs[i], child));
		assert_true(listed(dirs[i], gc));
	}
	assert_false(cg_group_empty(real.group));
	assert_false(listed(dirs[0], getpid()));

	/* A memory limit set now reads back (page-aligned, so exactly). */
	enum cg_ver mv;
	const char *mdir = cg_group_dir(real.group, CG_ROLE_MEM_LIMIT, &mv);
	if (mdir != NULL) {
		assert_true(cg_group_set_limits(real.group, &(struct cg_limits){.memory_bytes = 50 * MB},
		    err, sizeof(err)));
		const char *t = read_text("%s/%s", mdir,
		    mv == CG_VER_V2 ? "memory.max" : "memory.limit_in_bytes");
		assert_non_null(t);
		assert_int_equal(strtoll(t, NULL, 10), 50 * MB);
		print_message("[   INFO   ] memory limit %s", t);
		if (mv == CG_VER_V1 && (t = read_text("%s/memory.memsw.limit_in_bytes", mdir)) != NULL) {
			assert_int_equal(strtoll(t, NULL, 10), 50 * MB);
			print_message("[   INFO   ] memory+swap limit %s", t);
		}
	} else {
		print_message("[   INFO   ] no memory limit on this machine\n");
	}

	struct cgstat st;
	assert_true(cgstat_read(real.group, &st));

	int64_t t0 = now_ms();
	assert_int_equal(cg_group_kill(real.group), 0);
	assert_true(real_wait_empty(5000));
	print_message("[   INFO   ] group empty %lld ms after kill\n", (long long)(now_ms() - t0));
	/* Both died by SIGKILL (reaped here or already by real_wait_empty). */
	real_reap_killed();

	char gone[8][4096];
	for (size_t i = 0; i < nd; i++)
		snprintf(gone[i], sizeof(gone[i]), "%s", dirs[i]);
	cg_group_free(real.group);
	real.group = NULL;
	for (size_t i = 0; i < nd; i++) {
		assert_false(exists("%s", gone[i]));
		char *slash = strrchr(gone[i], '/');
		*slash = '\0';
		assert_false(exists("%s", gone[i])); /* vigil/vigil-test-PID */
	}
}

/* The pid-list kill on the real kernel: through a v1 directory of the group, which has no cgroup.kill. */
static void
test_real_kill_pids(void **state)
{
	(void)state;
	char err[512];
	if (!real_setup("pidkill", NULL, err, sizeof(err))) {
		skip();
		return;
	}
	const char *dirs[8];
	size_t nd = cg_group_dirs(real.group, dirs, 8);
	const char *v1dir = NULL;
	for (size_t i = 0; i < nd && v1dir == NULL; i++)
		if (!exists("%s/cgroup.kill", dirs[i]))
			v1dir = dirs[i];
	if (v1dir == NULL) {
		print_message("[   INFO   ] skipped: every directory of the group has cgroup.kill\n");
		skip();
		return;
	}
	pid_t child, gc;
	real_spawn_pair(&child, &gc);
	assert_true(listed(v1dir, child) && listed(v1dir, gc));
	assert_int_equal(cg_dir_kill(v1dir), 0);
	assert_true(real_wait_empty(5000));
	real_reap_killed();
	char gone[4096];
	snprintf(gone, sizeof(gone), "%s", v1dir);
	cg_group_free(real.group);
	real.group = NULL;
	assert_false(exists("%s", gone));
}

static void
test_real_oom(void **state)
{
	(void)state;
	char err[512];
	struct cg_limits lim = {.memory_bytes = 50 * MB};
	if (!real_setup("hog", &lim, err, sizeof(err))) {
		skip();
		return;
	}
	if (err[0] != '\0' || cg_group_dir(real.group, CG_ROLE_MEM_ACCT, NULL) == NULL) {
		print_message("[   INFO   ] skipped: memory limit not enforceable here (%s)\n",
		    err[0] != '\0' ? err : "no memory accounting");
		skip();
		return;
	}
	int fds[8];
	int nfd = cg_group_procs_fds(real.group, fds, 8);
	assert_true(nfd >= 1);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		for (int i = 0; i < nfd; i++)
			if (write(fds[i], "0", 1) != 1)
				_exit(120);
		/* 100 MB touched page by page, under a 50 MB limit. */
		for (int i = 0; i < 100; i++) {
			char *p = malloc(MB);
			if (p == NULL)
				_exit(122);
			memset(p, i + 1, MB);
		}
		_exit(0);
	}
	real.pids[real.npids++] = child;
	/* The descriptors stay with the group. */
	int ws = 0;
	int64_t end = now_ms() + 30000;
	pid_t w;
	while ((w = waitpid(child, &ws, WNOHANG)) == 0 && now_ms() < end)
		poll(NULL, 0, 10);
	assert_int_equal(w, child);
	real.pids[0] = 0;
	assert_true(WIFSIGNALED(ws));
	assert_int_equal(WTERMSIG(ws), SIGKILL);
	struct cgstat st;
	assert_true(cgstat_read(real.group, &st));
	assert_true(st.has_oom);
	print_message("[   INFO   ] oom_kills %llu, memory now %llu bytes\n",
	    (unsigned long long)st.oom_kills, (unsigned long long)st.mem_bytes);
	assert_true(st.oom_kills >= 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discover_hybrid),
		cmocka_unit_test(test_discover_v2),
		cmocka_unit_test(test_discover_v2root),
		cmocka_unit_test(test_discover_v1),
		cmocka_unit_test(test_discover_none),
		cmocka_unit_test(test_discover_escaped),
		cmocka_unit_test(test_group_hybrid),
		cmocka_unit_test(test_group_v2),
		cmocka_unit_test(test_group_v2root),
		cmocka_unit_test(test_group_v1_reuse),
		cmocka_unit_test(test_group_partial),
		cmocka_unit_test(test_group_names),
		cmocka_unit_test(test_group_taken_stack),
		cmocka_unit_test(test_group_claim_race),
		cmocka_unit_test(test_group_kill_pids),
		cmocka_unit_test_teardown(test_real_place_kill, real_teardown),
		cmocka_unit_test_teardown(test_real_kill_pids, real_teardown),
		cmocka_unit_test_teardown(test_real_oom, real_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
