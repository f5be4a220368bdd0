/*
 * user — owns nothing: reads the user and group databases for a `user:`
 * value and copies what it needs out of libc's static records at once.
 */
#include "core/user.h"

#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* A whole decimal id, below (id_t)-1 (which the kernel reads as "no change"). */
static bool
user_parse_id(const char *s, uint32_t *out)
{
	uint64_t v = 0;
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v >= UINT32_MAX)
			return false;
	}
	*out = (uint32_t)v;
	return true;
}

enum user_status
user_resolve(const char *spec, struct user_ids *ids)
{
	char user[256];
	const char *colon = strchr(spec, ':');
	size_t ulen = colon != NULL ? (size_t)(colon - spec) : strlen(spec);
	if (ulen >= sizeof(user))
		return USER_NO_USER;
	memcpy(user, spec, ulen);
	user[ulen] = '\0';
	uint32_t id;
	const struct passwd *pw = getpwnam(user);
	if (pw == NULL && user_parse_id(user, &id))
		pw = getpwuid((uid_t)id);
	if (pw != NULL) {
		ids->uid = pw->pw_uid;
		ids->gid = pw->pw_gid;
		ids->known = true;
		snprintf(ids->name, sizeof(ids->name), "%s", pw->pw_name);
		snprintf(ids->home, sizeof(ids->home), "%s", pw->pw_dir != NULL && *pw->pw_dir != '\0' ? pw->pw_dir : "/");
		snprintf(ids->shell, sizeof(ids->shell), "%s",
		    pw->pw_shell != NULL && *pw->pw_shell != '\0' ? pw->pw_shell : "/bin/sh");
	} else if (user_parse_id(user, &id)) {
		ids->uid = (uid_t)id;
		ids->gid = (gid_t)id;
		ids->known = false;
		snprintf(ids->name, sizeof(ids->name), "%u", (unsigned)id);
		snprintf(ids->home, sizeof(ids->home), "/");
		snprintf(ids->shell, sizeof(ids->shell), "/bin/sh");
	} else {
		return USER_NO_USER;
	}
	if (colon != NULL) {
		const struct group *gr = getgrnam(colon + 1);
		if (gr != NULL)
			ids->gid = gr->gr_gid;
		else if (user_parse_id(colon + 1, &id))
			ids->gid = (gid_t)id;
		else
			return USER_NO_GROUP;
	}
	return USER_FOUND;
}
