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

/*
 * Writes text as the report of process name at realtime ts_ms into dir
 * (made when missing), then removes the oldest reports until each process
 * has at most keep and all of them together at most max_bytes. The file's
 * name goes to id (NAME-YYYYMMDDTHHMMSS.mmmZ, without .json). 0, or -1
 * with errno.
 */
int crash_store(const char *dir, const char *name, int64_t ts_ms, const char *text, int keep,
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
