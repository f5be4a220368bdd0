/*
 * specjson — a validated stack as JSON: the normalized form `vigil check
 * --json` prints and scripts read. Durations are in milliseconds (keys end
 * in _ms), sizes in bytes; processes come in start order.
 */
#ifndef VIGIL_CORE_SPECJSON_H
#define VIGIL_CORE_SPECJSON_H

#include <stdbool.h>

struct spec;
struct spec_process;
struct cJSON;

/* One process as JSON (with its effective environment), e.g. to compare definitions. */
struct cJSON *specjson_process(const struct spec *s, const struct spec_process *p,
    bool show_secrets);
/*
 * Adds "command" (its words joined by spaces, as shown to people) and
 * "cwd" (the stack's folder when it has none) of p to the object o.
 */
void specjson_add_command(struct cJSON *o, const struct spec *s, const struct spec_process *p);
/* A new JSON tree (free with cJSON_Delete); secrets masked unless show_secrets. */
struct cJSON *specjson_build(const struct spec *s, bool show_secrets);

#endif
