/*
 * cgroup — owns the discovered layout (one record per hierarchy the engine
 * is in, with its own directory and what it can do), the stack names this
 * engine has claimed under <own>/vigil, and each group's directories.
 *
 * Discovery. /proc/self/cgroup gives one line per hierarchy, "ID:ctrls:path"
 * ("0::path" is the unified v2 one); /proc/self/mountinfo gives where each is
 * mounted: a cgroup2 mount serves the v2 line, a cgroup mount whose super
 * options name all of a line's controllers serves that line. The own
 * directory is mount point + (own path below the mount's root); a mount
 * whose root is not above the own path (another container's view) is
 * skipped, and of several mounts of one hierarchy a writable one wins. A
 * hierarchy is usable only when its mount is not "ro" and access(W_OK)
 * allows its own directory. For v2, a controller is usable in groups below
 * the own directory when its cgroup.subtree_control already enables it, or
 * when the own directory is the true root (no cgroup.type file: the root
 * has no "no internal processes" rule) and cgroup.controllers offers it;
 * the engine then enables it when it makes a group.
 *
 * Fake trees. Tests point root at a plain directory tree that stands in for
 * cgroupfs (statfs tells: not CGROUP_SUPER_MAGIC / CGROUP2_SUPER_MAGIC).
 * There files do not appear by themselves, so writes create them, and a
 * removed directory takes its files with it, as the kernel's rmdir does.
 * On a real cgroupfs a missing file is an error (ENOENT), never created.
 *
 * Killing. cgroup.kill (v2, kernel >= 5.14) kills the whole subtree at
 * once. Otherwise every pid listed in cgroup.procs of the directory and its
 * subdirectories gets SIGKILL, round after round until a round finds no
 * pid it had not already signalled (a fork racing with the first read
 * shows up in the next), at most CG_KILL_ROUNDS rounds. A pid counts as
 * present only while kill(pid, 0) finds it, so a fake tree's stale list
 * does not keep a group "busy"; on cgroupfs every listed pid is alive.
 */
#include "core/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "core/strutil.h"

#define CG_KILL_ROUNDS 16       /* rounds of SIGKILL before cg_dir_kill gives up */
#define CG_MAX_DEPTH 8          /* subdirectories followed below a group */
#define CG_PROC_MAX (16u << 20) /* bytes read at most from a /proc file */
#define CG_SMALL 4096           /* bytes read from a cgroup control file */
#define CG_NAME_MAX 200         /* bytes in a stack or process name */
#define CG_V2_PERIOD 100000     /* us: cpu.max and cfs_period_us period */

/* One hierarchy the engine is in. */
struct cg_hier {
	enum cg_ver ver;
	char *ctrls;        /* owned: "memory", "cpu,cpuacct", "name=systemd"; "" for v2 */
	char *path;         /* owned: own path from /proc/self/cgroup */
	char *own;          /* owned: own directory as the machine names it; NULL = not mounted */
	char *dir;          /* owned: root + own; NULL = not mounted */
	bool writable;      /* not ro, and access(dir, W_OK) allows */
	int werr;           /* why not writable: EROFS, EACCES, ENOENT … */
	bool fake;          /* a plain directory standing in for cgroupfs (tests) */
	bool v2_mem, v2_cpu;       /* v2: the controller can be used in groups below dir */
	bool v2_mem_on, v2_cpu_on; /* v2: already in dir/cgroup.subtree_control */
	bool v2_cpustat;    /* v2: dir/cpu.stat exists (usage_usec without the cpu controller) */
};

/* A stack name this engine uses under <own>/vigil. */
struct cg_claim {
	char *stack;            /* owned: the name asked for */
	char *name;             /* owned: the directory used: stack, or stack@<engine pid> */
	int refs;               /* live groups using it */
	int lock_fd;            /* <placement>/vigil/<name>, shared-locked while claimed; -1 until made */
	struct cg_claim *next;  /* owned */
};

struct cg_env {
	char *root;              /* owned: "" for the real "/", else the fixture root without a trailing slash */
	enum cg_mode mode;
	struct cg_hier *h;       /* owned, nh records */
	size_t nh;
	int role[CG_NROLES];     /* index into h serving each role; -1 = none */
	char *desc;              /* owned: cg_env_describe's line */
	struct cg_claim *claims; /* owned list */
};

/* One directory of a group. */
struct cg_gdir {
	char *dir;                 /* owned: <own>/vigil/<name>/<proc> */
	char *sdir;                /* owned: <own>/vigil/<name> */
	char *vdir;                /* owned: <own>/vigil */
	const struct cg_hier *h;   /* borrowed from the env */
	bool reused;               /* the leaf existed (empty) before */
	int procs_w;               /* dir/cgroup.procs open for writing, -1 until first needed */
	bool procs_once;           /* procs_w is closed after the spawn (cg_keep_fd said no) */
};

struct cg_group {
	struct cg_env *env;        /* borrowed; outlives the group */
	struct cg_claim *claim;    /* borrowed from env->claims */
	struct cg_gdir d[CG_NROLES];
	size_t n;                  /* directories in d; d[0] is placement */
	int role[CG_NROLES];       /* index into d serving each role; -1 = none */
	/* Kept open from their first use, so a restart opens nothing (-1 until then): */
	int empty_fd;              /* d[0]'s cgroup.events (v2), to see it empty */
	int oom_fd;                /* the memory role's memory.events (v2) or memory.oom_control (v1) */
	bool empty_once, oom_once; /* closed after each use (cg_keep_fd said no) */
};

/* ---- small helpers ----------------------------------------------------- */

/* A malloc'd path made by printf; aborts on out of memory (as strbuf does). */
static char *
cg_pathf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
cg_pathf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = NULL;
	int n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	return p;
}

/* Appends a message to err ("; " between several), truncating to fit. */
static void
cg_msg(char *err, size_t err_size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
cg_msg(char *err, size_t err_size, const char *fmt, ...)
{
	if (err == NULL || err_size == 0)
		return;
	size_t len = strnlen(err, err_size - 1);
	if (len > 0 && len + 2 < err_size) {
		memcpy(err + len, "; ", 3);
		len += 2;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err + len, err_size - len, fmt, ap);
	va_end(ap);
}

/* True when tok is one of the items of list separated by any of seps. */
static bool
cg_has_token(const char *list, const char *tok, const char *seps)
{
	size_t tl = strlen(tok);
	const char *p = list;
	while (*p != '\0') {
		size_t n = strcspn(p, seps);
		if (n == tl && memcmp(p, tok, tl) == 0)
			return true;
		p += n;
		if (*p != '\0')
			p++;
	}
	return false;
}

/* Every comma-separated item of need is an item of have (comma-separated). */
static bool
cg_all_tokens(const char *need, const char *have)
{
	if (*need == '\0')
		return false;
	char tok[256];
	const char *p = need;
	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		if (n == 0 || n >= sizeof(tok))
			return false;
		memcpy(tok, p, n);
		tok[n] = '\0';
		if (!cg_has_token(have, tok, ","))
			return false;
		p += n;
		if (*p == ',')
			p++;
	}
	return true;
}

/* Reads a whole file of at most max bytes into a malloc'd NUL-terminated buffer; 0 or -1 errno. */
static int
cg_read_all(const char *path, size_t max, char **out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	if (buf == NULL)
		abort();
	for (;;) {
		if (n + 1 == cap) {
			if (cap >= max)
				break;
			cap *= 2;
			buf = realloc(buf, cap);
			if (buf == NULL)
				abort();
		}
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int saved = errno;
			close(fd);
			free(buf);
			errno = saved;
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	return 0;
}

/* Reads a small control file into buf (NUL-terminated, trailing newline kept); 0 or -1 errno. */
static int
cg_read_small(const char *dir, const char *file, char *buf, size_t size)
{
	char path[PATH_MAX];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t n = 0;
	while (n + 1 < size) {
		ssize_t r = read(fd, buf + n, size - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	return 0;
}

/* True when dir/file exists. */
static bool
cg_exists(const char *dir, const char *file)
{
	char path[PATH_MAX];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path))
		return false;
	return access(path, F_OK) == 0;
}

/*
 * Writes val to dir/file as the shell's "echo val > file" would, but
 * creates the file only in a fake tree. 0 or -1 errno.
 */
static int
cg_write(const char *dir, const char *file, const char *val, bool fake)
{
	char path[PATH_MAX];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int flags = O_WRONLY | O_CLOEXEC | (fake ? O_CREAT | O_TRUNC : 0);
	int fd = open(path, flags, 0644);
	if (fd < 0)
		return -1;
	size_t len = strlen(val);
	ssize_t w;
	do
		w = write(fd, val, len);
	while (w < 0 && errno == EINTR);
	int saved = errno;
	close(fd);
	if (w < 0) {
		errno = saved;
		return -1;
	}
	if ((size_t)w != len) {
		errno = EIO;
		return -1;
	}
	return 0;
}

/* True when pid names a process (zombies included). */
static bool
cg_pid_alive(pid_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* Called for each live pid; nonzero stops the walk (cg_each_pid returns it). */
typedef int (*cg_pid_fn)(pid_t pid, void *arg);

/* Calls fn for each live pid in dir/cgroup.procs; 0, fn's nonzero, or -1 errno. */
static int
cg_procs_walk(const char *dir, cg_pid_fn fn, void *arg)
{
	char path[PATH_MAX];
	if ((size_t)snprintf(path, sizeof(path), "%s/cgroup.procs", dir) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT && access(dir, F_OK) == 0 ? 0 : -1;
	/* Streamed in a fixed buffer: a big group costs no memory. */
	char buf[4096];
	long cur = -1;
	int rc = 0;
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -1;
			break;
		}
		if (r == 0) {
			if (cur > 0 && cg_pid_alive((pid_t)cur)) /* a last number without newline */
				rc = fn((pid_t)cur, arg);
			break;
		}
		for (ssize_t i = 0; i < r && rc == 0; i++) {
			char c = buf[i];
			if (c >= '0' && c <= '9') {
				cur = (cur < 0 ? 0 : cur) * 10 + (c - '0');
				if (cur > INT_MAX)
					cur = INT_MAX;
			} else {
				if (cur > 0 && cg_pid_alive((pid_t)cur))
					rc = fn((pid_t)cur, arg);
				cur = -1;
			}
		}
		if (rc != 0)
			break;
	}
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* cg_procs_walk over dir and its subdirectories (CG_MAX_DEPTH levels). */
static int
cg_each_pid(const char *dir, int depth, cg_pid_fn fn, void *arg)
{
	int rc = cg_procs_walk(dir, fn, arg);
	if (rc != 0 || depth >= CG_MAX_DEPTH)
		return rc;
	/* A directory's link count is 2 plus its subdirectories (cgroupfs, and
	 * the file systems of a fake tree; 1 on those that do not count them):
	 * 2 means nothing below, and no listing to read. */
	struct stat dst;
	if (stat(dir, &dst) == 0 && dst.st_nlink == 2)
		return 0;
	DIR *d = opendir(dir);
	if (d == NULL)
		return 0; /* listed just now, gone now: nothing below */
	struct dirent *de;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char sub[PATH_MAX];
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name) >= sizeof(sub))
			continue;
		bool is_dir = de->d_type == DT_DIR;
		if (de->d_type == DT_UNKNOWN) {
			struct stat st;
			is_dir = lstat(sub, &st) == 0 && S_ISDIR(st.st_mode);
		}
		if (is_dir) {
			rc = cg_each_pid(sub, depth + 1, fn, arg);
			if (rc == -1 && errno == ENOENT)
				rc = 0; /* removed while we walked */
		}
	}
	closedir(d);
	return rc;
}

static int
cg_found_fn(pid_t pid, void *arg)
{
	(void)pid;
	(void)arg;
	return 1;
}

/* 1 when dir or a subdirectory lists a live process, 0 when none, -1 errno (ENOENT: dir is gone). */
static int
cg_has_pids(const char *dir)
{
	return cg_each_pid(dir, 0, cg_found_fn, NULL);
}

/* rmdir; in a fake tree the directory's files go first, as with cgroupfs. Errors ignored. */
static void
cg_rmdir(const char *dir, bool fake)
{
	if (fake) {
		DIR *d = opendir(dir);
		if (d == NULL)
			return;
		struct dirent *de;
		bool subdir = false;
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			struct stat st;
			if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISDIR(st.st_mode))
				subdir = true;
		}
		if (!subdir) {
			rewinddir(d);
			while ((de = readdir(d)) != NULL)
				if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
					unlinkat(dirfd(d), de->d_name, 0);
		}
		closedir(d);
	}
	rmdir(dir);
}

/* ---- discovery --------------------------------------------------------- */

/* Decodes mountinfo's octal escapes (\040 space, \011 tab, \012 newline, \134 backslash) in place. */
static void
cg_unescape(char *s)
{
	char *w = s;
	for (char *r = s; *r != '\0'; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

/* Parses /proc/self/cgroup text into e->h. */
static void
cg_parse_self(struct cg_env *e, char *text)
{
	size_t cap = 0;
	char *save;
	for (char *line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':');
		if (c1 == NULL)
			continue;
		char *c2 = strchr(c1 + 1, ':');
		if (c2 == NULL || c2[1] != '/')
			continue;
		*c1 = *c2 = '\0';
		char *idend;
		long id = strtol(line, &idend, 10);
		if (*idend != '\0' || id < 0)
			continue;
		const char *ctrls = c1 + 1;
		bool v2 = id == 0 && *ctrls == '\0';
		if (!v2 && *ctrls == '\0')
			continue;
		if (e->nh == cap) {
			cap = cap ? cap * 2 : 16;
			e->h = realloc(e->h, cap * sizeof(*e->h));
			if (e->h == NULL)
				abort();
		}
		struct cg_hier *h = &e->h[e->nh++];
		*h = (struct cg_hier){.ver = v2 ? CG_VER_V2 : CG_VER_V1};
		h->ctrls = cg_pathf("%s", ctrls);
		h->path = cg_pathf("%s", c2 + 1);
	}
}

/* Fills the v2 facts (controllers usable below dir, cpu.stat). */
static void
cg_check_v2(struct cg_hier *h)
{
	char ctl[CG_SMALL] = "", sub[CG_SMALL] = "";
	cg_read_small(h->dir, "cgroup.controllers", ctl, sizeof(ctl));
	cg_read_small(h->dir, "cgroup.subtree_control", sub, sizeof(sub));
	/* Only the true root has no cgroup.type and no "no internal processes" rule. */
	bool root = !cg_exists(h->dir, "cgroup.type");
	h->v2_mem_on = cg_has_token(sub, "memory", " \n");
	h->v2_cpu_on = cg_has_token(sub, "cpu", " \n");
	h->v2_mem = h->v2_mem_on || (root && cg_has_token(ctl, "memory", " \n"));
	h->v2_cpu = h->v2_cpu_on || (root && cg_has_token(ctl, "cpu", " \n"));
	h->v2_cpustat = cg_exists(h->dir, "cpu.stat");
}

/* Sets own/dir/writable of h from a mount (root-relative point, mount root, read-only). */
static void
cg_try_mount(struct cg_env *e, struct cg_hier *h, const char *point, const char *mroot, bool ro)
{
	const char *rel;
	size_t rl = strlen(mroot);
	if (strcmp(mroot, "/") == 0)
		rel = h->path;
	else if (strncmp(h->path, mroot, rl) == 0 && (h->path[rl] == '\0' || h->path[rl] == '/'))
		rel = h->path + rl;
	else
		return; /* this mount shows another part of the hierarchy */
	if (strcmp(rel, "/") == 0)
		rel = "";
	if (h->own != NULL && h->writable)
		return; /* the first writable mount wins */
	char *own = strcmp(point, "/") == 0 && *rel != '\0' ? cg_pathf("%s", rel)
	                                                    : cg_pathf("%s%s", point, rel);
	char *dir = cg_pathf("%s%s", e->root, own);
	bool writable = !ro && access(dir, W_OK) == 0;
	int werr = ro ? EROFS : writable ? 0 : errno;
	if (h->own != NULL && !writable) {
		free(own);
		free(dir);
		return; /* keep the earlier one */
	}
	free(h->own);
	free(h->dir);
	h->own = own;
	h->dir = dir;
	h->writable = writable;
	h->werr = werr;
	struct statfs sf;
	h->fake = statfs(dir, &sf) != 0 ||
	    (sf.f_type != CGROUP_SUPER_MAGIC && sf.f_type != CGROUP2_SUPER_MAGIC);
	if (h->ver == CG_VER_V2)
		cg_check_v2(h);
}

/* Parses /proc/self/mountinfo text and resolves e->h; true when any cgroup mount was seen. */
static bool
cg_parse_mounts(struct cg_env *e, char *text)
{
	bool saw = false;
	char *lsave;
	for (char *line = strtok_r(text, "\n", &lsave); line != NULL;
	     line = strtok_r(NULL, "\n", &lsave)) {
		/* id parent maj:min root point opts [optional…] - fstype source superopts */
		char *f[8];
		size_t nf = 0;
		char *sep = strstr(line, " - ");
		if (sep == NULL)
			continue;
		*sep = '\0';
		char *save;
		for (char *t = strtok_r(line, " ", &save); t != NULL && nf < 6;
		     t = strtok_r(NULL, " ", &save))
			f[nf++] = t;
		if (nf < 6)
			continue;
		char *fstype = strtok_r(sep + 3, " ", &save);
		char *source = strtok_r(NULL, " ", &save);
		char *super = strtok_r(NULL, " ", &save);
		if (fstype == NULL || source == NULL || super == NULL)
			continue;
		bool v2 = strcmp(fstype, "cgroup2") == 0;
		if (!v2 && strcmp(fstype, "cgroup") != 0)
			continue;
		saw = true;
		cg_unescape(f[3]);
		cg_unescape(f[4]);
		bool ro = cg_has_token(f[5], "ro", ",") || cg_has_token(super, "ro", ",");
		for (size_t i = 0; i < e->nh; i++) {
			struct cg_hier *h = &e->h[i];
			if (v2 ? h->ver != CG_VER_V2 : h->ver != CG_VER_V1 || !cg_all_tokens(h->ctrls, super))
				continue;
			cg_try_mount(e, h, f[4], f[3], ro);
		}
	}
	return saw;
}

/* Placement rank of a v1 hierarchy (lower is better); -1 = never (cpuset needs setup first). */
static int
cg_place_rank(const struct cg_hier *h)
{
	static const char *const pref[] = {"pids", "memory", "cpu", "cpuacct", "freezer", NULL};
	if (cg_has_token(h->ctrls, "cpuset", ","))
		return -1;
	for (int i = 0; pref[i] != NULL; i++)
		if (cg_has_token(h->ctrls, pref[i], ","))
			return i;
	return strncmp(h->ctrls, "name=", 5) == 0 ? 7 : 6;
}

/* The writable v1 hierarchy with controller ctrl; -1 = none. */
static int
cg_find_v1(const struct cg_env *e, const char *ctrl)
{
	for (size_t i = 0; i < e->nh; i++)
		if (e->h[i].ver == CG_VER_V1 && e->h[i].writable && cg_has_token(e->h[i].ctrls, ctrl, ","))
			return (int)i;
	return -1;
}

/* The mounted v2 hierarchy; -1 = none. */
static int
cg_find_v2(const struct cg_env *e)
{
	for (size_t i = 0; i < e->nh; i++)
		if (e->h[i].ver == CG_VER_V2 && e->h[i].own != NULL)
			return (int)i;
	return -1;
}

/* Picks the hierarchy for each role. */
static void
cg_pick_roles(struct cg_env *e)
{
	for (int r = 0; r < CG_NROLES; r++)
		e->role[r] = -1;
	int v2 = cg_find_v2(e);
	const struct cg_hier *h2 = v2 >= 0 && e->h[v2].writable ? &e->h[v2] : NULL;
	if (h2 != NULL) {
		e->role[CG_ROLE_PLACE] = v2;
	} else {
		int best = -1, best_rank = 99;
		for (size_t i = 0; i < e->nh; i++) {
			const struct cg_hier *h = &e->h[i];
			if (h->ver != CG_VER_V1 || !h->writable)
				continue;
			int rank = cg_place_rank(h);
			if (rank >= 0 && rank < best_rank) {
				best = (int)i;
				best_rank = rank;
			}
		}
		e->role[CG_ROLE_PLACE] = best;
	}
	e->role[CG_ROLE_MEM_LIMIT] = h2 != NULL && h2->v2_mem ? v2 : cg_find_v1(e, "memory");
	e->role[CG_ROLE_CPU_LIMIT] = h2 != NULL && h2->v2_cpu ? v2 : cg_find_v1(e, "cpu");
	e->role[CG_ROLE_CPU_ACCT] = h2 != NULL && h2->v2_cpustat ? v2 : cg_find_v1(e, "cpuacct");
	e->role[CG_ROLE_MEM_ACCT] = h2 != NULL && h2->v2_mem ? v2 : cg_find_v1(e, "memory");
}

/* "v1", "v2" or "none" for the hierarchy serving role. */
static const char *
cg_role_ver(const struct cg_env *e, enum cg_role r)
{
	return e->role[r] < 0 ? "none" : e->h[e->role[r]].ver == CG_VER_V2 ? "v2" : "v1";
}

/* Why nothing can be placed: the best candidate's problem. */
static void
cg_reason_unusable(const struct cg_env *e, struct strbuf *sb)
{
	int pick = cg_find_v2(e);
	int best_rank = 99;
	if (pick < 0) {
		for (size_t i = 0; i < e->nh; i++) {
			int rank = cg_place_rank(&e->h[i]);
			if (e->h[i].own != NULL && rank >= 0 && rank < best_rank) {
				pick = (int)i;
				best_rank = rank;
			}
		}
	}
	if (pick < 0) {
		strbuf_add(sb, "no usable cgroup hierarchy (only cpuset is mounted)");
		return;
	}
	const struct cg_hier *h = &e->h[pick];
	if (h->werr == EROFS)
		strbuf_addf(sb, "%s is read-only", h->own);
	else if (h->werr == ENOENT)
		strbuf_addf(sb, "%s does not exist", h->own);
	else
		strbuf_addf(sb, "%s is not writable (%s)", h->own, strerror(h->werr));
}

struct cg_env *
cg_env_new(const char *root)
{
	struct cg_env *e = calloc(1, sizeof(*e));
	if (e == NULL)
		abort();
	for (int r = 0; r < CG_NROLES; r++)
		e->role[r] = -1;
	size_t rl = root != NULL ? strlen(root) : 0;
	while (rl > 0 && root[rl - 1] == '/')
		rl--;
	e->root = cg_pathf("%.*s", (int)rl, root != NULL ? root : "");

	struct strbuf why;
	strbuf_init(&why);
	char *text = NULL;
	char *path = cg_pathf("%s/proc/self/cgroup", e->root);
	if (cg_read_all(path, CG_PROC_MAX, &text) != 0) {
		strbuf_addf(&why, "cannot read /proc/self/cgroup: %s", strerror(errno));
	} else {
		cg_parse_self(e, text);
		free(text);
		free(path);
		path = cg_pathf("%s/proc/self/mountinfo", e->root);
		if (cg_read_all(path, CG_PROC_MAX, &text) != 0) {
			strbuf_addf(&why, "cannot read /proc/self/mountinfo: %s", strerror(errno));
		} else {
			bool saw = cg_parse_mounts(e, text);
			free(text);
			bool any = false;
			for (size_t i = 0; i < e->nh; i++)
				any = any || e->h[i].own != NULL;
			cg_pick_roles(e);
			if (!any)
				strbuf_add(&why, saw ? "the engine's cgroup is under no cgroup mount"
				                     : "no cgroup filesystem is mounted");
			else if (e->role[CG_ROLE_PLACE] < 0)
				cg_reason_unusable(e, &why);
		}
	}
	free(path);

	struct strbuf d;
	strbuf_init(&d);
	if (e->role[CG_ROLE_PLACE] < 0) {
		for (int r = 0; r < CG_NROLES; r++)
			e->role[r] = -1; /* nothing can be made: nothing is served */
		e->mode = CG_MODE_NONE;
		strbuf_addf(&d, "cgroup none: %s (ppid tree and rlimits only)", why.data);
	} else {
		bool v1 = false, v2 = false;
		for (size_t i = 0; i < e->nh; i++) {
			const struct cg_hier *h = &e->h[i];
			if (h->own == NULL)
				continue;
			if (h->ver == CG_VER_V2)
				v2 = true;
			else if (strncmp(h->ctrls, "name=", 5) != 0)
				v1 = true;
		}
		e->mode = v1 && v2 ? CG_MODE_HYBRID : v2 ? CG_MODE_V2 : CG_MODE_V1;
		const struct cg_hier *p = &e->h[e->role[CG_ROLE_PLACE]];
		strbuf_addf(&d, "cgroup %s: placement+kill %s %s; memory limit %s; cpu limit %s; "
		    "accounting: cpu %s, memory %s", cg_mode_name(e->mode),
		    p->ver == CG_VER_V2 ? "v2" : "v1", p->own, cg_role_ver(e, CG_ROLE_MEM_LIMIT),
		    cg_role_ver(e, CG_ROLE_CPU_LIMIT), cg_role_ver(e, CG_ROLE_CPU_ACCT),
		    cg_role_ver(e, CG_ROLE_MEM_ACCT));
	}
	e->desc = strbuf_take(&d);
	strbuf_fini(&why);
	return e;
}

void
cg_env_free(struct cg_env *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->nh; i++) {
		free(e->h[i].ctrls);
		free(e->h[i].path);
		free(e->h[i].own);
		free(e->h[i].dir);
	}
	free(e->h);
	while (e->claims != NULL) {
		struct cg_claim *c = e->claims;
		e->claims = c->next;
		if (c->lock_fd >= 0)
			close(c->lock_fd);
		free(c->stack);
		free(c->name);
		free(c);
	}
	free(e->desc);
	free(e->root);
	free(e);
}

enum cg_mode
cg_env_mode(const struct cg_env *e)
{
	return e->mode;
}

const char *
cg_mode_name(enum cg_mode m)
{
	switch (m) {
	case CG_MODE_V1:
		return "v1";
	case CG_MODE_V2:
		return "v2";
	case CG_MODE_HYBRID:
		return "hybrid";
	case CG_MODE_NONE:
		break;
	}
	return "none";
}

const char *
cg_env_describe(const struct cg_env *e)
{
	return e->desc;
}

const char *
cg_env_role_dir(const struct cg_env *e, enum cg_role role, enum cg_ver *ver)
{
	int i = role >= 0 && role < CG_NROLES ? e->role[role] : -1;
	if (ver != NULL)
		*ver = i < 0 ? CG_VER_NONE : e->h[i].ver;
	return i < 0 ? NULL : e->h[i].dir;
}

const char *
cg_env_own_dir(const struct cg_env *e, const char *ctrl)
{
	for (size_t i = 0; i < e->nh; i++) {
		const struct cg_hier *h = &e->h[i];
		if (h->own == NULL)
			continue;
		if (*ctrl == '\0' ? h->ver == CG_VER_V2
		                  : h->ver == CG_VER_V1 && cg_has_token(h->ctrls, ctrl, ","))
			return h->dir;
	}
	return NULL;
}

/* ---- a group ----------------------------------------------------------- */

/* A name usable as one directory: not empty, no '/', no leading '.', no newline, bounded. */
static bool
cg_name_ok(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n <= CG_NAME_MAX && s[0] != '.' && strpbrk(s, "/\n") == NULL;
}

static int cg_mkdir(const char *dir);

/*
 * True when another holds a lock on dir: an engine that uses it, or the
 * guardian of one that ended and is still emptying it (cg_lock_dir).
 */
static bool
cg_dir_locked(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool locked = flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd); /* lets go of the lock if it was had */
	return locked;
}

int
cg_lock_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* Blocks only while another engine's claim tests it (a moment). */
	if (fd >= 0 && flock(fd, LOCK_SH) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/*
 * The directory name for stack: the one this env already uses, else stack
 * itself unless <own>/vigil/<stack> is another's in one of the hierarchies
 * — it holds a live process, or it is locked (another engine uses it, or
 * the guardian of an engine that died is still killing and removing what
 * is in it: reusing it then would have the new processes killed) — then
 * stack@<pid>.
 */
static struct cg_claim *
cg_claim(struct cg_env *e, const char *stack)
{
	for (struct cg_claim *c = e->claims; c != NULL; c = c->next)
		if (strcmp(c->stack, stack) == 0)
			return c;
	/*
	 * Two engines claiming one name at the same moment: each tests and
	 * locks the stack's directory under an exclusive lock of vigil/ in the
	 * placement hierarchy, so the second sees the first's lock.
	 */
	const struct cg_hier *ph = &e->h[e->role[CG_ROLE_PLACE]];
	char *vdir = cg_pathf("%s/vigil", ph->dir);
	int vfd = cg_mkdir(vdir) >= 0 ? open(vdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (vfd >= 0 && flock(vfd, LOCK_EX) < 0) {
		close(vfd);
		vfd = -1;
	}
	bool taken = false;
	for (int r = 0; r < CG_NROLES && !taken; r++) {
		if (e->role[r] < 0)
			continue;
		char *sdir = cg_pathf("%s/vigil/%s", e->h[e->role[r]].dir, stack);
		taken = cg_has_pids(sdir) == 1 || cg_dir_locked(sdir);
		free(sdir);
	}
	struct cg_claim *c = calloc(1, sizeof(*c));
	if (c == NULL)
		abort();
	c->stack = cg_pathf("%s", stack);
	c->name = taken ? cg_pathf("%s@%ld", stack, (long)getpid()) : cg_pathf("%s", stack);
	c->lock_fd = -1;
	if (vfd >= 0) {
		/* Ours: locked before the other may look (the groups' directories are made later). */
		char *sdir = cg_pathf("%s/%s", vdir, c->name);
		if (cg_mkdir(sdir) >= 0)
			c->lock_fd = cg_lock_dir(sdir);
		free(sdir);
		close(vfd); /* lets the next claim in */
	}
	free(vdir);
	c->next = e->claims;
	e->claims = c;
	return c;
}

/* Drops one reference to c; the last one removes it from e. */
static void
cg_unclaim(struct cg_env *e, struct cg_claim *c)
{
	if (--c->refs > 0)
		return;
	for (struct cg_claim **pp = &e->claims; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	free(c->stack);
	free(c->name);
	free(c);
}

/* mkdir that accepts an existing directory; 0, 1 when it existed, or -1 errno. */
static int
cg_mkdir(const char *dir)
{
	if (mkdir(dir, 0755) == 0)
		return 0;
	if (errno != EEXIST)
		return -1;
	struct stat st;
	if (stat(dir, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = EEXIST; /* a control file of that name */
		return -1;
	}
	return 1;
}

/*
 * Enables the v2 controllers *mem and *cpu in dir/cgroup.subtree_control:
 * both in one write, else one at a time; what fails is cleared.
 */
static void
cg_enable(const char *dir, bool fake, bool *mem, bool *cpu)
{
	if (!*mem && !*cpu)
		return;
	const char *val = *mem && *cpu ? "+memory +cpu" : *mem ? "+memory" : "+cpu";
	if (cg_write(dir, "cgroup.subtree_control", val, fake) == 0)
		return;
	if (*mem && *cpu) {
		/* One may be refused alone (cpu, while a realtime task runs in the parent). */
		*mem = cg_write(dir, "cgroup.subtree_control", "+memory", fake) == 0;
		*cpu = cg_write(dir, "cgroup.subtree_control", "+cpu", fake) == 0;
	} else {
		*mem = *cpu = false;
	}
}

/*
 * Makes the directories of gd (vigil, vigil/<name>, the leaf). For v2,
 * *mem and *cpu say which controllers the group wants; they are enabled on
 * the way (in the own directory only when not yet on) and what could not
 * be is cleared. 0, or -1 errno with the path that failed in *what.
 */
static int
cg_gdir_make(struct cg_gdir *gd, bool *mem, bool *cpu, const char **what)
{
	const struct cg_hier *h = gd->h;
	bool own_mem = *mem && !h->v2_mem_on, own_cpu = *cpu && !h->v2_cpu_on;
	cg_enable(h->dir, h->fake, &own_mem, &own_cpu);
	*mem = *mem && (h->v2_mem_on || own_mem);
	*cpu = *cpu && (h->v2_cpu_on || own_cpu);
	*what = gd->vdir;
	if (cg_mkdir(gd->vdir) < 0)
		return -1;
	cg_enable(gd->vdir, h->fake, mem, cpu);
	*what = gd->sdir;
	if (cg_mkdir(gd->sdir) < 0)
		return -1;
	cg_enable(gd->sdir, h->fake, mem, cpu);
	*what = gd->dir;
	int rc = cg_mkdir(gd->dir);
	if (rc < 0)
		return -1;
	if (rc == 1) {
		int busy = cg_has_pids(gd->dir);
		if (busy != 0) {
			errno = busy == 1 ? EBUSY : errno;
			return -1;
		}
		gd->reused = true;
	}
	return 0;
}

/* Writes one memory limit (0 = none) to gd; 0 or -1 errno. */
static int
cg_write_mem(const struct cg_gdir *gd, int64_t bytes)
{
	char val[32];
	bool fake = gd->h->fake;
	if (gd->h->ver == CG_VER_V2) {
		if (bytes > 0)
			snprintf(val, sizeof(val), "%lld", (long long)bytes);
		else
			snprintf(val, sizeof(val), "max");
		return cg_write(gd->dir, "memory.max", val, fake);
	}
	snprintf(val, sizeof(val), "%lld", bytes > 0 ? (long long)bytes : -1LL);
	bool memsw = cg_exists(gd->dir, "memory.memsw.limit_in_bytes");
	if (cg_write(gd->dir, "memory.limit_in_bytes", val, fake) != 0) {
		/* Raising the limit above memory+swap's is refused: raise that one first. */
		if (errno != EINVAL || !memsw)
			return -1;
		if (cg_write(gd->dir, "memory.memsw.limit_in_bytes", val, fake) != 0 ||
		    cg_write(gd->dir, "memory.limit_in_bytes", val, fake) != 0)
			return -1;
	}
	if (memsw)
		(void)cg_write(gd->dir, "memory.memsw.limit_in_bytes", val, fake); /* best effort */
	return 0;
}

/* Writes one CPU limit (0 = none) to gd; 0 or -1 errno. */
static int
cg_write_cpu(const struct cg_gdir *gd, int pct_x100)
{
	/* pct_x100 / 10000 cores = quota / period, period 100000 us: quota = pct_x100 * 10. */
	long long quota = pct_x100 > 0 ? (long long)pct_x100 * CG_V2_PERIOD / 10000 : -1;
	if (quota >= 0 && quota < 1000)
		quota = 1000; /* the kernel's minimum */
	char val[64];
	bool fake = gd->h->fake;
	if (gd->h->ver == CG_VER_V2) {
		if (quota > 0)
			snprintf(val, sizeof(val), "%lld %d", quota, CG_V2_PERIOD);
		else
			snprintf(val, sizeof(val), "max %d", CG_V2_PERIOD);
		return cg_write(gd->dir, "cpu.max", val, fake);
	}
	snprintf(val, sizeof(val), "%d", CG_V2_PERIOD);
	if (cg_write(gd->dir, "cpu.cfs_period_us", val, fake) != 0)
		return -1;
	snprintf(val, sizeof(val), "%lld", quota);
	return cg_write(gd->dir, "cpu.cfs_quota_us", val, fake);
}

/*
 * Writes the limits of lim; a 0 is written (as "none") only when force or
 * the leaf was reused. Problems are appended to err; false when any.
 */
static bool
cg_apply_limits(struct cg_group *g, const struct cg_limits *lim, bool force, char *err,
    size_t err_size)
{
	static const struct cg_limits none = {0};
	if (lim == NULL)
		lim = &none;
	bool ok = true;
	int mi = g->role[CG_ROLE_MEM_LIMIT];
	if (mi < 0 && lim->memory_bytes > 0) {
		cg_msg(err, err_size, "memory limit not set: no cgroup memory controller available");
		ok = false;
	} else if (mi >= 0 && (lim->memory_bytes > 0 || force || g->d[mi].reused) &&
	    cg_write_mem(&g->d[mi], lim->memory_bytes) != 0) {
		cg_msg(err, err_size, "memory limit not set: %s: %s", g->d[mi].dir, strerror(errno));
		ok = false;
	}
	int ci = g->role[CG_ROLE_CPU_LIMIT];
	if (ci < 0 && lim->cpu_percent_x100 > 0) {
		cg_msg(err, err_size, "cpu limit not set: no cgroup cpu controller available");
		ok = false;
	} else if (ci >= 0 && (lim->cpu_percent_x100 > 0 || force || g->d[ci].reused) &&
	    cg_write_cpu(&g->d[ci], lim->cpu_percent_x100) != 0) {
		cg_msg(err, err_size, "cpu limit not set: %s: %s", g->d[ci].dir, strerror(errno));
		ok = false;
	}
	return ok;
}

/*
 * Whether to keep a descriptor the group opened: descriptors are numbered
 * lowest first, so a number beyond a quarter of the soft limit means the
 * table is getting full; then it is opened at each use, as the rest of the
 * engine (pipes, pidfds) must not run short.
 */
static bool
cg_keep_fd(int fd)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return true;
	return (rlim_t)fd < rl.rlim_cur / 4;
}

/*
 * Opens dir/file for the group to keep (*once: to close after its use
 * instead, cg_keep_fd said no); -1 with errno.
 */
static int
cg_open_kept(const char *dir, const char *file, int flags, bool *once)
{
	char *path = cg_pathf("%s/%s", dir, file);
	int fd = open(path, flags | O_CLOEXEC, 0644);
	int saved = errno;
	free(path);
	*once = fd >= 0 && !cg_keep_fd(fd);
	errno = saved;
	return fd;
}

/* After a use of *fd: closes it when it is not kept. */
static void
cg_done_kept(int *fd, bool once)
{
	if (*fd >= 0 && once) {
		close(*fd);
		*fd = -1;
	}
}

/* Closes what the group keeps open (before its directories go). */
static void
cg_group_close_fds(struct cg_group *g)
{
	for (size_t i = 0; i < g->n; i++) {
		if (g->d[i].procs_w >= 0)
			close(g->d[i].procs_w);
		g->d[i].procs_w = -1;
	}
	if (g->empty_fd >= 0)
		close(g->empty_fd);
	if (g->oom_fd >= 0)
		close(g->oom_fd);
	g->empty_fd = g->oom_fd = -1;
}

/* Frees a group's strings and drops its claim (no rmdir). */
static void
cg_group_release(struct cg_group *g)
{
	cg_group_close_fds(g);
	for (size_t i = 0; i < g->n; i++) {
		free(g->d[i].dir);
		free(g->d[i].sdir);
		free(g->d[i].vdir);
	}
	if (g->claim != NULL)
		cg_unclaim(g->env, g->claim);
	free(g);
}

/* Gives up directory k (not placement) of a group being made: its roles go, d stays dense. */
static void
cg_group_drop(struct cg_group *g, size_t k, int *hier_of)
{
	struct cg_gdir *gd = &g->d[k];
	cg_rmdir(gd->sdir, gd->h->fake);
	cg_rmdir(gd->vdir, gd->h->fake);
	free(gd->dir);
	free(gd->sdir);
	free(gd->vdir);
	for (size_t j = k + 1; j < g->n; j++) {
		g->d[j - 1] = g->d[j];
		hier_of[j - 1] = hier_of[j];
	}
	g->n--;
	for (int r = 0; r < CG_NROLES; r++) {
		if (g->role[r] == (int)k)
			g->role[r] = -1;
		else if (g->role[r] > (int)k)
			g->role[r]--;
	}
}

struct cg_group *
cg_group_new(struct cg_env *e, const char *stack, const char *proc,
    const struct cg_limits *lim, char *err, size_t err_size)
{
	if (err != NULL && err_size > 0)
		err[0] = '\0';
	if (e->role[CG_ROLE_PLACE] < 0) {
		cg_msg(err, err_size, "%s", e->desc);
		return NULL;
	}
	if (!cg_name_ok(stack) || !cg_name_ok(proc)) {
		cg_msg(err, err_size, "no cgroup: \"%s\" cannot name a cgroup directory",
		    cg_name_ok(stack) ? proc : stack);
		return NULL;
	}
	struct cg_group *g = calloc(1, sizeof(*g));
	if (g == NULL)
		abort();
	g->env = e;
	g->claim = cg_claim(e, stack);
	g->claim->refs++;
	g->empty_fd = g->oom_fd = -1;
	for (int r = 0; r < CG_NROLES; r++) {
		g->role[r] = -1;
		g->d[r].procs_w = -1;
	}

	/* One directory per hierarchy; placement (role 0) comes first. */
	int hier_of[CG_NROLES];
	for (int r = 0; r < CG_NROLES; r++) {
		int hi = e->role[r];
		if (hi < 0)
			continue;
		size_t k = 0;
		while (k < g->n && hier_of[k] != hi)
			k++;
		if (k == g->n) {
			struct cg_gdir *gd = &g->d[g->n];
			gd->h = &e->h[hi];
			gd->vdir = cg_pathf("%s/vigil", gd->h->dir);
			gd->sdir = cg_pathf("%s/%s", gd->vdir, g->claim->name);
			gd->dir = cg_pathf("%s/%s", gd->sdir, proc);
			hier_of[g->n++] = hi;
		}
		g->role[r] = (int)k;
	}

	for (size_t k = 0; k < g->n; k++) {
		struct cg_gdir *gd = &g->d[k];
		int hi = hier_of[k];
		bool v2 = gd->h->ver == CG_VER_V2;
		bool mem = v2 && (e->role[CG_ROLE_MEM_LIMIT] == hi || e->role[CG_ROLE_MEM_ACCT] == hi);
		bool cpu = v2 && e->role[CG_ROLE_CPU_LIMIT] == hi;
		bool want_mem = mem, want_cpu = cpu;
		const char *what = gd->dir;
		if (cg_gdir_make(gd, &mem, &cpu, &what) != 0) {
			int saved = errno;
			if (k == 0) {
				cg_msg(err, err_size, "no cgroup: %s: %s", what,
				    saved == EBUSY ? "still holds processes" : strerror(saved));
				for (size_t j = g->n; j-- > 0;) {
					/* Only what this call may have made; rmdir refuses anything busy. */
					cg_rmdir(g->d[j].sdir, g->d[j].h->fake);
					cg_rmdir(g->d[j].vdir, g->d[j].h->fake);
				}
				cg_group_release(g);
				return NULL;
			}
			cg_msg(err, err_size, "%s: %s", what,
			    saved == EBUSY ? "still holds processes" : strerror(saved));
			cg_group_drop(g, k, hier_of);
			k--; /* d[k] is now the next one */
			continue;
		}
		/* A controller that could not be enabled takes its roles out of this hierarchy. */
		if (want_mem && !mem) {
			cg_msg(err, err_size, "cgroup v2 memory controller not enabled under %s", gd->h->own);
			if (g->role[CG_ROLE_MEM_LIMIT] == (int)k)
				g->role[CG_ROLE_MEM_LIMIT] = -1;
			if (g->role[CG_ROLE_MEM_ACCT] == (int)k)
				g->role[CG_ROLE_MEM_ACCT] = -1;
		}
		if (want_cpu && !cpu) {
			cg_msg(err, err_size, "cgroup v2 cpu controller not enabled under %s", gd->h->own);
			if (g->role[CG_ROLE_CPU_LIMIT] == (int)k)
				g->role[CG_ROLE_CPU_LIMIT] = -1;
		}
	}
	/* Made: the stack's directory is this engine's for as long as it claims it. */
	if (g->claim->lock_fd < 0)
		g->claim->lock_fd = cg_lock_dir(g->d[0].sdir);
	cg_apply_limits(g, lim, false, err, err_size);
	return g;
}

bool
cg_group_set_limits(struct cg_group *g, const struct cg_limits *lim, char *err, size_t err_size)
{
	if (err != NULL && err_size > 0)
		err[0] = '\0';
	return cg_apply_limits(g, lim, true, err, err_size);
}

int
cg_group_procs_fds(struct cg_group *g, int *fds, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < g->n && n < cap; i++) {
		struct cg_gdir *gd = &g->d[i];
		if (gd->procs_w < 0) {
			gd->procs_w = cg_open_kept(gd->dir, "cgroup.procs",
			    O_WRONLY | (gd->h->fake ? O_CREAT : 0), &gd->procs_once);
			if (gd->procs_w < 0)
				return -1;
		}
		fds[n++] = gd->procs_w;
	}
	return (int)n;
}

void
cg_group_procs_done(struct cg_group *g)
{
	for (size_t i = 0; i < g->n; i++)
		cg_done_kept(&g->d[i].procs_w, g->d[i].procs_once);
}

int
cg_group_kill(const struct cg_group *g)
{
	return cg_dir_kill(g->d[0].dir);
}

bool
cg_group_empty(struct cg_group *g)
{
	const char *dir = g->d[0].dir;
	/* v2: "populated 0" in cgroup.events says the whole subtree is empty,
	 * in one read. (v1 lists pids, and an open v1 cgroup.procs serves the
	 * list built at its first read again until a second after its last: it
	 * is read afresh by the walk.) */
	if (g->d[0].h->ver == CG_VER_V2 && !g->d[0].h->fake) {
		if (g->empty_fd < 0)
			g->empty_fd = cg_open_kept(dir, "cgroup.events", O_RDONLY, &g->empty_once);
		char buf[256];
		ssize_t r = g->empty_fd >= 0 ? pread(g->empty_fd, buf, sizeof(buf) - 1, 0) : -1;
		cg_done_kept(&g->empty_fd, g->empty_once);
		if (r > 0) {
			buf[r] = '\0';
			const char *pop = strstr(buf, "populated ");
			if (pop != NULL && pop[10] == '0')
				return true;
		}
	}
	return cg_dir_empty(dir);
}

size_t
cg_group_dirs(const struct cg_group *g, const char **out, size_t cap)
{
	for (size_t i = 0; i < g->n && i < cap; i++)
		out[i] = g->d[i].dir;
	return g->n;
}

const char *
cg_group_dir(const struct cg_group *g, enum cg_role role, enum cg_ver *ver)
{
	int i = role >= 0 && role < CG_NROLES ? g->role[role] : -1;
	if (ver != NULL)
		*ver = i < 0 ? CG_VER_NONE : g->d[i].h->ver;
	return i < 0 ? NULL : g->d[i].dir;
}

void
cg_group_free(struct cg_group *g)
{
	if (g == NULL)
		return;
	for (size_t i = g->n; i-- > 0;) {
		bool fake = g->d[i].h->fake;
		cg_rmdir(g->d[i].dir, fake);
		cg_rmdir(g->d[i].sdir, fake);
		cg_rmdir(g->d[i].vdir, fake);
	}
	cg_group_release(g);
}

/* ---- killing ----------------------------------------------------------- */

/* The pids signalled so far by one cg_dir_kill. */
struct cg_killset {
	pid_t *v;     /* owned */
	size_t n, cap;
	bool fresh;   /* this round met a pid not signalled before */
	pid_t self;
};

static int
cg_kill_fn(pid_t pid, void *arg)
{
	struct cg_killset *ks = arg;
	if (pid <= 1 || pid == ks->self)
		return 0;
	(void)kill(pid, SIGKILL);
	for (size_t i = 0; i < ks->n; i++)
		if (ks->v[i] == pid)
			return 0;
	if (ks->n == ks->cap) {
		ks->cap = ks->cap ? ks->cap * 2 : 64;
		ks->v = realloc(ks->v, ks->cap * sizeof(*ks->v));
		if (ks->v == NULL)
			abort();
	}
	ks->v[ks->n++] = pid;
	ks->fresh = true;
	return 0;
}

/* Signals every pid of the walk with the signal in *arg. */
static int
cg_signal_fn(pid_t pid, void *arg)
{
	if (pid > 1 && pid != getpid())
		(void)kill(pid, *(const int *)arg);
	return 0;
}

int
cg_dir_walk(const char *dir, int (*fn)(pid_t pid, void *arg), void *arg)
{
	return cg_each_pid(dir, 0, fn, arg);
}

bool
cg_dir_empty(const char *dir)
{
	int rc = cg_has_pids(dir);
	return rc == 0 || (rc < 0 && errno == ENOENT);
}

int
cg_group_signal(const struct cg_group *g, int sig)
{
	const char *dir = cg_group_dir(g, CG_ROLE_PLACE, NULL);
	if (dir == NULL) {
		errno = ENOENT;
		return -1;
	}
	return cg_dir_walk(dir, cg_signal_fn, &sig);
}

int64_t
cg_group_oom_kills(struct cg_group *g)
{
	enum cg_ver ver;
	const char *dir = g != NULL ? cg_group_dir(g, CG_ROLE_MEM_ACCT, &ver) : NULL;
	if (dir == NULL)
		return -1;
	if (g->oom_fd < 0) {
		g->oom_fd = cg_open_kept(dir, ver == CG_VER_V2 ? "memory.events" : "memory.oom_control",
		    O_RDONLY, &g->oom_once);
		if (g->oom_fd < 0)
			return -1;
	}
	/* A few lines: one read from the start gives them all. */
	char buf[1024];
	ssize_t r = pread(g->oom_fd, buf, sizeof(buf) - 1, 0);
	cg_done_kept(&g->oom_fd, g->oom_once);
	if (r < 0)
		return -1;
	buf[r] = '\0';
	/* "oom_kill N" on a line of its own, in both formats. */
	for (const char *line = buf; *line != '\0';) {
		if (strncmp(line, "oom_kill ", 9) == 0)
			return strtoll(line + 9, NULL, 10);
		const char *nl = strchr(line, '\n');
		if (nl == NULL)
			break;
		line = nl + 1;
	}
	return -1;
}

int
cg_dir_kill(const char *dir)
{
	char path[PATH_MAX];
	if ((size_t)snprintf(path, sizeof(path), "%s/cgroup.kill", dir) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t w = write(fd, "1", 1);
		close(fd);
		if (w == 1)
			return 0;
		/* Refused (an old kernel's file of that name?): fall back to pids. */
	}
	if (access(dir, F_OK) != 0)
		return -1;
	struct cg_killset ks = {.self = getpid()};
	int rc = 0;
	for (int round = 0; round < CG_KILL_ROUNDS; round++) {
		ks.fresh = false;
		rc = cg_each_pid(dir, 0, cg_kill_fn, &ks);
		if (rc != 0 || !ks.fresh)
			break;
	}
	int saved = errno;
	free(ks.v);
	if (rc != 0 && saved == ENOENT)
		rc = 0; /* removed under us: nothing left to kill */
	errno = saved;
	return rc == 0 ? 0 : -1;
}
