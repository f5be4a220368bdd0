/*
 * user — a process's `user:` value ("name", "uid", "name:group",
 * "uid:gid") resolved against the user and group databases, the one
 * reading both the stack file's check (as root) and spawn use. As under
 * systemd and docker, a number needs no entry: a uid without one gets the
 * same number as its group, "/" as its home and no supplementary groups.
 */
#ifndef VIGIL_CORE_USER_H
#define VIGIL_CORE_USER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum user_status {
	USER_FOUND,
	USER_NO_USER,  /* a name that is not in the user database */
	USER_NO_GROUP, /* the group after ':' is neither a known name nor a number */
};

struct user_ids {
	uid_t uid;
	gid_t gid;             /* the group given after ':', else the entry's, else the uid */
	bool known;            /* the user has an entry (else a bare uid) */
	char name[64];         /* the entry's name, or the uid in digits */
	char home[PATH_MAX];   /* the entry's home folder; "/" without one */
	char shell[PATH_MAX];  /* the entry's shell; "/bin/sh" without one */
};

/*
 * Resolves spec (checked for its form by config: no ':' at either end).
 * A name is looked up first, then a number is taken as an id. Not for a
 * vforked child: it reads the databases (NSS) and may allocate.
 */
enum user_status user_resolve(const char *spec, struct user_ids *ids);

#endif
