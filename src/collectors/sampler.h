/*
 * sampler — one sweep of the collectors into the model: every supervised
 * instance and its descendant tree (CPU, memory, threads, state every
 * sweep; descriptors and I/O on a slower cadence), then the host. Results
 * go in through sv_set_metrics and sv_set_host; the sampler decides
 * nothing.
 */
#ifndef VIGIL_COLLECTORS_SAMPLER_H
#define VIGIL_COLLECTORS_SAMPLER_H

#include <stdint.h>

struct sv;
struct sampler;

/*
 * A sampler for sv's instances. proc_root: NULL for the live /proc, or a
 * folder laid out like it (tests). slow_ms: the period of the slower
 * reads (descriptors, I/O); 0 = every sweep. NULL with errno.
 */
struct sampler *sampler_new(struct sv *sv, const char *proc_root, int64_t slow_ms);
void sampler_free(struct sampler *s);
/*
 * One sweep; 0, or -1 with errno when /proc could not be read (the model
 * keeps its last figures). The first sweep writes nothing: it is the base
 * the next one's rates are measured from.
 */
int sampler_sweep(struct sampler *s);
/* Reads the host's figures now into the supervisor (sv_put_host): the reader sv_want_host calls. */
void sampler_read_host(struct sampler *s);

#endif
