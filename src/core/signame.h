/*
 * signame — signal names both ways, as the stack file and the CLI write them.
 */
#ifndef VIGIL_CORE_SIGNAME_H
#define VIGIL_CORE_SIGNAME_H

/* The number for "SIGTERM", "TERM", "sigterm" or "15"; 0 when unknown. */
int signame_number(const char *name);
/* "SIGTERM" for 15; NULL when unknown. */
const char *signame_name(int sig);
/* The known name closest to a mistyped one ("TREM" -> "SIGTERM"); NULL for none or a number. */
const char *signame_suggest(const char *name);
/* Every known name ("SIGHUP", ...), NULL-terminated, for suggestions. */
extern const char *const signame_all[];

#endif
