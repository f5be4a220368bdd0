/*
 * host — what the machine as a whole looks like right now: memory, load,
 * uptime, read through libproc2 (the library behind procps' top and free).
 */
#ifndef VIGIL_COLLECTORS_HOST_H
#define VIGIL_COLLECTORS_HOST_H

#include <stdbool.h>
#include <stdint.h>

struct host_sample {
	uint64_t mem_total;     /* bytes */
	uint64_t mem_available; /* bytes */
	uint64_t swap_total;    /* bytes */
	uint64_t swap_free;     /* bytes */
	double load[3];         /* 1, 5 and 15 minute load averages */
	double uptime_s;        /* seconds since boot */
};

struct host_reader;

/* A reader holding libproc2's meminfo context; NULL on failure (errno set). */
struct host_reader *host_reader_new(void);
void host_reader_free(struct host_reader *r);
/* Fills *out; false with errno set when /proc cannot be read. */
bool host_read(struct host_reader *r, struct host_sample *out);

#endif
