/*
 * host — what the machine as a whole looks like right now: CPU (total and
 * per core, from tick deltas between two reads), memory, swap, load,
 * uptime, read through libproc2 (the library behind procps' top and free).
 */
#ifndef VIGIL_COLLECTORS_HOST_H
#define VIGIL_COLLECTORS_HOST_H

#include <stdbool.h>

#include "core/model.h"

struct host_reader;

/* A reader holding libproc2's meminfo and stat contexts; NULL on failure (errno set). */
struct host_reader *host_reader_new(void);
void host_reader_free(struct host_reader *r);
/*
 * Fills *out (all but procs, which the process sweep knows). CPU figures
 * cover the time since the previous read (0 at the first). False with
 * errno set when /proc cannot be read.
 */
bool host_read(struct host_reader *r, struct model_host *out);

#endif
