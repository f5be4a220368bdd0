/*
 * crash — owns nothing between calls: the folder is the state. A report's
 * file name carries its process and time (NAME-20261124T093012.345Z.json),
 * so listing, ordering and trimming need no index; names of replicas
 * ("worker:1") are kept as they are (':' is allowed in file names).
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

/* Removes the oldest reports until the bounds hold. */
static void
crash_trim(const char *dir, int keep, int64_t max_bytes)
{
	struct crash_entry *v;
	long n = crash_list(dir, NULL, &v);
	if (n <= 0)
		return;
	int64_t total = 0;
	for (long i = 0; i < n; i++)
		total += v[i].bytes;
	char path[4200];
	for (long i = 0; i < n; i++) {
		/* Reports of the same process newer than this one. */
		int newer = 0;
		for (long j = i + 1; j < n; j++)
			newer += strcmp(v[j].name, v[i].name) == 0;
		bool drop = newer >= keep || total > max_bytes;
		if (!drop)
			continue;
		snprintf(path, sizeof(path), "%s/%s.json", dir, v[i].id);
		if (unlink(path) == 0)
			total -= v[i].bytes;
	}
	free(v);
}

int
crash_store(const char *dir, const char *name, int64_t ts_ms, const char *text, int keep,
    int64_t max_bytes, char *id, size_t id_size)
{
	if (keep <= 0)
		return 0;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -1;
	time_t t = (time_t)(ts_ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	char stamp[32];
	size_t k = strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	snprintf(stamp + k, sizeof(stamp) - k, ".%03dZ", (int)(ts_ms % 1000));
	snprintf(id, id_size, "%s-%s", name, stamp);
	char path[4200], tmp[4300];
	snprintf(path, sizeof(path), "%s/%s.json", dir, id);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, id);
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
	crash_trim(dir, keep, max_bytes);
	return 0;
}
