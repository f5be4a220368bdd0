/*
 * crash — a report's file name carries its process and time
 * (NAME-20261124T093012.345Z.json), so a listing needs no index: `vigil
 * crashes` reads the folder. The engine, which writes, lists the folder once
 * (at its first report) and then keeps that list itself, so a crash loop
 * does not read the folder at every crash. Names of replicas ("worker:1")
 * are kept as they are (':' is allowed in file names).
 */
#include "core/crash.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CRASH_STAMP_LEN 20 /* "20261124T093012.345Z" */

/* "NAME-YYYYMMDDTHHMMSS.mmmZ" → name and ms; false when it is not a report's name. */
static bool
crash_parse_id(const char *id, char *name, size_t name_size, int64_t *ts_ms)
{
	size_t len = strlen(id);
	if (len < CRASH_STAMP_LEN + 2 || id[len - CRASH_STAMP_LEN - 1] != '-')
		return false;
	const char *st = id + len - CRASH_STAMP_LEN;
	struct tm tm = {0};
	int ms = 0;
	if (sscanf(st, "%4d%2d%2dT%2d%2d%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
	    &tm.tm_min, &tm.tm_sec, &ms) != 7)
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*ts_ms = (int64_t)timegm(&tm) * 1000 + ms;
	size_t nl = len - CRASH_STAMP_LEN - 1;
	if (nl >= name_size)
		nl = name_size - 1;
	memcpy(name, id, nl);
	name[nl] = '\0';
	return true;
}

static int
crash_cmp(const void *a, const void *b)
{
	const struct crash_entry *x = a, *y = b;
	if (x->ts_ms != y->ts_ms)
		return (x->ts_ms > y->ts_ms) - (x->ts_ms < y->ts_ms);
	return strcmp(x->id, y->id);
}

long
crash_list(const char *dir, const char *name, struct crash_entry **out)
{
	*out = NULL;
	DIR *d = opendir(dir);
	if (d == NULL)
		return -1;
	size_t n = 0, cap = 0;
	struct crash_entry *v = NULL;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0 || len - 5 >= sizeof(v->id))
			continue;
		struct crash_entry c = {0};
		memcpy(c.id, e->d_name, len - 5);
		c.id[len - 5] = '\0';
		if (!crash_parse_id(c.id, c.name, sizeof(c.name), &c.ts_ms))
			continue;
		if (name != NULL && strcmp(c.name, name) != 0)
			continue;
		struct stat st;
		c.bytes = fstatat(dirfd(d), e->d_name, &st, 0) == 0 ? (int64_t)st.st_size : 0;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			struct crash_entry *p = realloc(v, cap * sizeof(*p));
			if (p == NULL) {
				free(v);
				closedir(d);
				errno = ENOMEM;
				return -1;
			}
			v = p;
		}
		v[n++] = c;
	}
	closedir(d);
	if (n > 1)
		qsort(v, n, sizeof(*v), crash_cmp);
	*out = v;
	return (long)n;
}

/* One report the folder holds, as the index keeps it. */
struct crash_item {
	char *id;          /* owned: file name without .json */
	size_t name_len;   /* the process name is id's first name_len bytes */
	int64_t ts_ms;
	int64_t bytes;
};

struct crash_folder {
	char *dir;                /* owned */
	bool listed;              /* v holds what the folder held at the first report, and since */
	int keep;                 /* the per-process bound of the last report */
	struct crash_item *v;     /* oldest first (crash_cmp's order) */
	size_t n, cap;
	int64_t total;            /* bytes of the reports in v */
};

struct crash_folder *
crash_folder_new(const char *dir)
{
	struct crash_folder *f = calloc(1, sizeof(*f));
	if (f == NULL || (f->dir = strdup(dir)) == NULL) {
		free(f);
		return NULL;
	}
	return f;
}

void
crash_folder_free(struct crash_folder *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].id);
	free(f->v);
	free(f->dir);
	free(f);
}

const char *
crash_folder_dir(const struct crash_folder *f)
{
	return f->dir;
}

static int
crash_item_cmp(const struct crash_item *x, const struct crash_item *y)
{
	if (x->ts_ms != y->ts_ms)
		return (x->ts_ms > y->ts_ms) - (x->ts_ms < y->ts_ms);
	return strcmp(x->id, y->id);
}

/* Puts a report into the index at its place in time; false on out of memory. */
static bool
crash_index_add(struct crash_folder *f, const char *id, size_t name_len, int64_t ts_ms, int64_t bytes)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		struct crash_item *v = realloc(f->v, cap * sizeof(*v));
		if (v == NULL)
			return false;
		f->v = v;
		f->cap = cap;
	}
	struct crash_item it = {strdup(id), name_len, ts_ms, bytes};
	if (it.id == NULL)
		return false;
	size_t at = f->n;
	while (at > 0 && crash_item_cmp(&f->v[at - 1], &it) > 0)
		at--; /* reports come in time order: this loop rarely runs */
	memmove(&f->v[at + 1], &f->v[at], (f->n - at) * sizeof(*f->v));
	f->v[at] = it;
	f->n++;
	f->total += bytes;
	return true;
}

/* Takes entry i out of the index. */
static void
crash_index_forget(struct crash_folder *f, size_t i)
{
	f->total -= f->v[i].bytes;
	free(f->v[i].id);
	memmove(&f->v[i], &f->v[i + 1], (f->n - i - 1) * sizeof(*f->v));
	f->n--;
}

/* Removes report i, file and entry. */
static void
crash_index_drop(struct crash_folder *f, size_t i)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s.json", f->dir, f->v[i].id);
	(void)unlink(path); /* already gone (removed by hand): the entry goes all the same */
	crash_index_forget(f, i);
}

static bool
crash_item_of(const struct crash_item *it, const char *name, size_t name_len)
{
	return it->name_len == name_len && memcmp(it->id, name, name_len) == 0;
}

/* Removes the oldest reports of name (name_len bytes) beyond keep. */
static void
crash_trim_name(struct crash_folder *f, const char *name, size_t name_len, int keep)
{
	size_t count = 0;
	for (size_t i = 0; i < f->n; i++)
		count += crash_item_of(&f->v[i], name, name_len);
	for (size_t i = 0; i < f->n && count > (size_t)keep;) {
		if (crash_item_of(&f->v[i], name, name_len)) {
			crash_index_drop(f, i);
			count--;
		} else {
			i++;
		}
	}
}

/*
 * Removes, for every process, its oldest reports beyond keep: newest to
 * oldest, a report goes when keep newer ones of its process stand (the
 * entries a removal moves were seen already).
 */
static void
crash_trim_all(struct crash_folder *f, int keep)
{
	for (size_t i = f->n; i-- > 0;) {
		size_t newer = 0;
		for (size_t j = i + 1; j < f->n; j++)
			newer += crash_item_of(&f->v[j], f->v[i].id, f->v[i].name_len);
		if (newer >= (size_t)keep)
			crash_index_drop(f, i);
	}
}

/* Empties the index: the folder is listed again at the next report. */
static void
crash_index_drop_all(struct crash_folder *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].id);
	f->n = 0;
	f->total = 0;
	f->listed = false;
}

/* The folder as it is now, into the (empty) index; false with errno (the index left empty). */
static bool
crash_index_load(struct crash_folder *f)
{
	struct crash_entry *v;
	long n = crash_list(f->dir, NULL, &v);
	if (n < 0)
		return errno == ENOENT; /* nothing yet */
	bool ok = true;
	for (long i = 0; i < n && ok; i++)
		ok = crash_index_add(f, v[i].id, strlen(v[i].name), v[i].ts_ms, v[i].bytes);
	free(v);
	if (!ok) {
		crash_index_drop_all(f);
		errno = ENOMEM;
	}
	return ok;
}

int
crash_store(struct crash_folder *f, const char *name, int64_t ts_ms, const char *text, int keep,
    int64_t max_bytes, char *id, size_t id_size)
{
	if (keep <= 0)
		return 0;
	if (mkdir(f->dir, 0700) < 0 && errno != EEXIST)
		return -1;
	/* The first report, or bounds changed by a reload: every name is trimmed. */
	bool all = !f->listed || keep != f->keep;
	if (!f->listed) {
		if (!crash_index_load(f))
			return -1;
		f->listed = true;
	}
	f->keep = keep;
	time_t t = (time_t)(ts_ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	char stamp[32];
	size_t k = strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	snprintf(stamp + k, sizeof(stamp) - k, ".%03dZ", (int)(ts_ms % 1000));
	snprintf(id, id_size, "%s-%s", name, stamp);
	char path[4200], tmp[4300];
	snprintf(path, sizeof(path), "%s/%s.json", f->dir, id);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", f->dir, id);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	size_t len = strlen(text), done = 0;
	while (done < len) {
		ssize_t w = write(fd, text + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : ENOSPC;
			close(fd);
			unlink(tmp);
			errno = e;
			return -1;
		}
		done += (size_t)w;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		errno = e;
		return -1;
	}
	/* A report of the same name and millisecond replaced the file: one entry for it. */
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i].id, id) == 0) {
			crash_index_forget(f, i);
			break;
		}
	size_t name_len = strlen(name);
	if (!crash_index_add(f, id, name_len, ts_ms, (int64_t)len)) {
		crash_index_drop_all(f); /* written; out of memory: list again at the next report */
		return 0;
	}
	if (all)
		crash_trim_all(f, keep);
	else
		crash_trim_name(f, name, name_len, keep);
	while (f->total > max_bytes && f->n > 0)
		crash_index_drop(f, 0);
	return 0;
}
