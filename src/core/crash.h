/*
 * crash — the folder of crash reports (`.vigil/crashes/NAME-STAMP.json`):
 * writing one report whole (a temporary file renamed into place, so a
 * reader never sees half of one), then keeping the folder within its
 * bounds (reports per process, bytes in all), oldest first. A failure to
 * write never fails the caller beyond a -1: a full disk must not stop the
 * engine. Also the reading side, for `vigil crashes`.
 */
#ifndef VIGIL_CORE_CRASH_H
#define VIGIL_CORE_CRASH_H

#include <stddef.h>
#include <stdint.h>

struct crash_folder;

/*
 * The folder dir (made at the first report), and what it holds, listed once
 * at the first report and kept up to date as reports are written and
 * removed: a crash loop costs a file per crash, not a listing of the
 * folder. Reports removed by hand meanwhile are skipped when trimming.
 * NULL only on out of memory.
 */
struct crash_folder *crash_folder_new(const char *dir);
/* NULL is fine. */
void crash_folder_free(struct crash_folder *f);
/* The folder's path. */
const char *crash_folder_dir(const struct crash_folder *f);

/*
 * Writes text as the report of process name at realtime ts_ms into the
 * folder, then removes the oldest reports until each process has at most
 * keep and all of them together at most max_bytes. The file's name goes to
 * id (NAME-YYYYMMDDTHHMMSS.mmmZ, without .json). 0, or -1 with errno.
 */
int crash_store(struct crash_folder *f, const char *name, int64_t ts_ms, const char *text, int keep,
    int64_t max_bytes, char *id, size_t id_size);

/* One report as listed. */
struct crash_entry {
	char id[256];      /* file name without .json */
	char name[160];    /* the process */
	int64_t ts_ms;     /* from the name */
	int64_t bytes;
};

/*
 * The reports in dir, oldest first (those of name only when name is not
 * NULL); *out is malloc'd (the caller frees). Returns the count, or -1 with
 * errno (ENOENT: no folder, so no report yet).
 */
long crash_list(const char *dir, const char *name, struct crash_entry **out);

#endif
