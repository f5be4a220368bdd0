/*
 * signame — a fixed table of the Linux signals a user may name.
 */
#include "core/signame.h"

#include <ctype.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/strutil.h"

/* Names and numbers, index for index; names ends with NULL for suggestions. */
const char *const signame_all[] = {
	"SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS",
	"SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE",
	"SIGALRM", "SIGTERM", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP",
	"SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM",
	"SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS", NULL,
};

static const int signame_numbers[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS,
	SIGFPE, SIGKILL, SIGUSR1, SIGSEGV, SIGUSR2, SIGPIPE,
	SIGALRM, SIGTERM, SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP,
	SIGTTIN, SIGTTOU, SIGURG, SIGXCPU, SIGXFSZ, SIGVTALRM,
	SIGPROF, SIGWINCH, SIGIO, SIGPWR, SIGSYS,
};

#define SIGNAME_COUNT (sizeof(signame_numbers) / sizeof(signame_numbers[0]))

_Static_assert(sizeof(signame_all) / sizeof(signame_all[0]) == SIGNAME_COUNT + 1,
    "signame_all and signame_numbers must match");

int
signame_number(const char *name)
{
	if (name == NULL || *name == '\0')
		return 0;
	if (isdigit((unsigned char)*name)) {
		char *end;
		long v = strtol(name, &end, 10);
		if (*end != '\0' || v < 1 || v > SIGRTMAX)
			return 0;
		return (int)v;
	}
	const char *bare = strncasecmp(name, "SIG", 3) == 0 ? name + 3 : name;
	for (size_t i = 0; i < SIGNAME_COUNT; i++)
		if (strcasecmp(bare, signame_all[i] + 3) == 0)
			return signame_numbers[i];
	/* Real-time signals as systemd and kill(1) name them: RTMIN, RTMIN+N, RTMAX-N. */
	bool min = strncasecmp(bare, "RTMIN", 5) == 0, max = strncasecmp(bare, "RTMAX", 5) == 0;
	if (!min && !max)
		return 0;
	const char *rest = bare + 5;
	long n = 0;
	if (*rest != '\0') {
		if (*rest != (min ? '+' : '-') || !isdigit((unsigned char)rest[1]))
			return 0;
		char *end;
		n = strtol(rest + 1, &end, 10);
		if (*end != '\0' || n > SIGRTMAX - SIGRTMIN)
			return 0;
	}
	return min ? SIGRTMIN + (int)n : SIGRTMAX - (int)n;
}

const char *
signame_suggest(const char *name)
{
	/* A number is not a typo of a name. */
	if (name == NULL || isdigit((unsigned char)*name))
		return NULL;
	char up[32];
	snprintf(up, sizeof(up), "%s%.20s", strncasecmp(name, "SIG", 3) ? "SIG" : "", name);
	for (char *q = up; *q != '\0'; q++)
		*q = (char)toupper((unsigned char)*q);
	return str_suggest(up, signame_all);
}

const char *
signame_name(int sig)
{
	for (size_t i = 0; i < SIGNAME_COUNT; i++)
		if (signame_numbers[i] == sig)
			return signame_all[i];
	return NULL;
}
