/*
 * cmd_crashes — `vigil crashes`: the crash reports of a stack, read from
 * its .vigil/crashes folder (no engine needed: they are most wanted after
 * something died). `vigil crashes [NAME] [--json]` lists them, newest
 * last; `vigil crashes show ID [--json]` prints one.
 */
#include "cli/cli.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/crash.h"
#include "core/diag.h"
#include "core/units.h"

enum { CRASH_FILE, CRASH_JSON, CRASH_HELP };

/* The stack's crash folder: beside -f FILE, else the nearest .vigil up from here. */
static bool
crashes_dir(const char *file, char *out, size_t size)
{
	char here[PATH_MAX];
	if (file != NULL) {
		char real[PATH_MAX];
		if (realpath(file, real) == NULL) {
			fprintf(stderr, "vigil: %s: %s\n", file, strerror(errno));
			return false;
		}
		char *slash = strrchr(real, '/');
		if (slash != NULL)
			*slash = '\0';
		snprintf(out, size, "%.4000s/.vigil/crashes", real[0] ? real : "/");
		return true;
	}
	if (getcwd(here, sizeof(here)) == NULL)
		return false;
	for (;;) {
		struct stat st;
		snprintf(out, size, "%.4000s/.vigil", here);
		if (stat(out, &st) == 0 && S_ISDIR(st.st_mode)) {
			snprintf(out, size, "%.4000s/.vigil/crashes", here);
			return true;
		}
		char *slash = strrchr(here, '/');
		if (slash == NULL || slash == here)
			break;
		*slash = '\0';
	}
	fprintf(stderr, "vigil: no stack here (no .vigil folder in this folder or above); use -f FILE\n");
	return false;
}

static cJSON *
crashes_load(const char *dir, const char *id)
{
	char path[4400];
	snprintf(path, sizeof(path), "%s/%s.json", dir, id);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = n > 0 && n < (64 << 20) ? malloc((size_t)n + 1) : NULL;
	cJSON *j = NULL;
	if (buf != NULL && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		buf[n] = '\0';
		j = cJSON_Parse(buf);
	}
	free(buf);
	fclose(f);
	return j;
}

static const char *
crashes_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : "";
}

static int
crashes_show(const char *dir, const char *id, bool json)
{
	cJSON *j = crashes_load(dir, id);
	if (j == NULL) {
		fprintf(stderr, "vigil: no crash report '%s' in %s (vigil crashes lists them)\n", id, dir);
		return CLI_FAILED;
	}
	if (json) {
		char *t = cJSON_Print(j);
		printf("%s\n", t);
		free(t);
		cJSON_Delete(j);
		return CLI_OK;
	}
	char when[64];
	units_fmt_local((int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(j, "at")),
	    "%Y-%m-%d %H:%M:%S", when, sizeof(when));
	printf("%s (stack %s): %s at %s\n", crashes_str(j, "name"), crashes_str(j, "stack"),
	    crashes_str(j, "ended"), when);
	double up_ms = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(j, "uptime_ms"));
	char up[32];
	if (up_ms < 60000)
		snprintf(up, sizeof(up), "%.1fs", up_ms / 1000);
	else
		units_fmt_age((int64_t)up_ms, up, sizeof(up));
	printf("pid %.0f · up %s · restarts %.0f · oom kill %s · core dumped %s\n",
	    cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(j, "pid")), up,
	    cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(j, "restarts")),
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "oom_kill")) ? "yes" : "no",
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "core_dumped")) ? "yes" : "no");
	printf("command %s\ncwd %s\n", crashes_str(j, "command"), crashes_str(j, "cwd"));
	const cJSON *e;
	printf("\ntree as last seen:\n");
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(j, "tree"))
		printf("  %7.0f %7.0f %s\n", cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(e, "pid")),
		    cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(e, "ppid")), crashes_str(e, "name"));
	const cJSON *cpu = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "metrics"), "tree_cpu");
	const cJSON *rss = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "metrics"), "tree_rss");
	int nc = cJSON_GetArraySize(cpu), nr = cJSON_GetArraySize(rss);
	if (nc > 0 && nr > 0) {
		char m0[24], m1[24];
		units_fmt_mem((uint64_t)cJSON_GetNumberValue(cJSON_GetArrayItem(cJSON_GetArrayItem(rss, 0), 1)),
		    m0, sizeof(m0));
		units_fmt_mem((uint64_t)cJSON_GetNumberValue(cJSON_GetArrayItem(cJSON_GetArrayItem(rss, nr - 1), 1)),
		    m1, sizeof(m1));
		printf("\nlast minute: cpu %.1f%% -> %.1f%%, memory %s -> %s (%d samples)\n",
		    cJSON_GetNumberValue(cJSON_GetArrayItem(cJSON_GetArrayItem(cpu, 0), 1)),
		    cJSON_GetNumberValue(cJSON_GetArrayItem(cJSON_GetArrayItem(cpu, nc - 1), 1)), m0, m1, nc);
	}
	printf("\nlast lines:\n");
	/* Lines of earlier runs come first: where this run's begin is marked. */
	double started = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(j, "at")) - up_ms;
	bool earlier = false, marked = false;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(j, "logs")) {
		double t = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(e, "ts"));
		if (t < started) {
			earlier = true;
		} else if (earlier && !marked) {
			printf("  -- this run (pid %.0f) --\n", cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(j, "pid")));
			marked = true;
		}
		char ts[64];
		units_fmt_local((int64_t)t, "%Y-%m-%d %H:%M:%S", ts, sizeof(ts));
		printf("  %s %s %s\n", ts + 11, strcmp(crashes_str(e, "stream"), "err") == 0 ? "!" : "|",
		    crashes_str(e, "text"));
	}
	cJSON_Delete(j);
	return CLI_OK;
}

/*
 * False only when the stack file (-f, or the one beside the .vigil folder)
 * loads and has no process of that name ("api:1" is api's replica): a
 * name with no reports is then a typo, not a process that never crashed.
 */
static bool
crashes_known(const char *file, const char *dir, const char *name)
{
	char path[4300];
	/* dir is <stack folder>/.vigil/crashes: the file is vigil.yaml, or vigil.yml, beside .vigil. */
	int folder = (int)(strlen(dir) - strlen("/.vigil/crashes"));
	snprintf(path, sizeof(path), "%.*s/vigil.yaml", folder, dir);
	if (file != NULL)
		snprintf(path, sizeof(path), "%s", file);
	else if (access(path, F_OK) != 0)
		snprintf(path, sizeof(path), "%.*s/vigil.yml", folder, dir);
	struct diag d;
	diag_init(&d);
	struct spec *s = config_load(path, &d);
	diag_fini(&d);
	if (s == NULL)
		return true; /* cannot tell */
	char base[256];
	snprintf(base, sizeof(base), "%s", name);
	char *colon = strrchr(base, ':');
	if (colon != NULL)
		*colon = '\0';
	bool known = config_process_index(s, base) != SIZE_MAX;
	config_free(s);
	return known;
}

int
cli_cmd_crashes(const struct cli_cmd *cmd, int argc, char **argv)
{
	const char *file = NULL, *args[3] = {NULL, NULL, NULL};
	bool json = false;
	int nargs = 0;
	struct cli_parser p;
	cli_parser_init(&p, cmd, argc, argv);
	for (int r; (r = cli_next(&p)) != CLI_END;) {
		switch (r) {
		case CLI_ERROR:
			return CLI_USAGE;
		case CLI_ARG:
			if (nargs == 2)
				return cli_usage_error("too many arguments ('%s')", p.value);
			args[nargs++] = p.value;
			break;
		case CRASH_FILE:
			file = p.value;
			break;
		case CRASH_JSON:
			json = true;
			break;
		case CRASH_HELP:
			cli_print_command_help(cmd, stdout);
			return CLI_OK;
		}
	}
	char dir[4200];
	if (!crashes_dir(file, dir, sizeof(dir)))
		return CLI_FAILED;
	bool show = nargs >= 1 && strcmp(args[0], "show") == 0;
	if (show && nargs == 1) {
		/* A process may be named show: with reports of its own on file, they are what is asked. */
		struct crash_entry *mine;
		long n = crash_list(dir, "show", &mine);
		free(mine);
		show = n <= 0;
	}
	if (show) {
		if (nargs != 2)
			return cli_usage_error("'crashes show' needs an ID (vigil crashes lists them)");
		return crashes_show(dir, args[1], json);
	}
	if (nargs == 2)
		return cli_usage_error("'%s' is not a subcommand of crashes (only show)", args[0]);
	struct crash_entry *v;
	long n = crash_list(dir, args[0], &v);
	if (n < 0 && errno != ENOENT) {
		fprintf(stderr, "vigil: %s: %s\n", dir, strerror(errno));
		return CLI_FAILED;
	}
	if (n < 0)
		n = 0;
	if (n == 0 && args[0] != NULL && !crashes_known(file, dir, args[0])) {
		free(v);
		return cli_usage_error("no process named '%s' in the stack (vigil status lists them)", args[0]);
	}
	cJSON *arr = json ? cJSON_CreateArray() : NULL;
	if (!json && n == 0)
		printf("no crash reports%s%s\n", args[0] ? " for " : "", args[0] ? args[0] : "");
	else if (!json)
		printf("%-40s %-20s %-19s %s\n", "ID", "PROCESS", "WHEN", "ENDED");
	for (long i = 0; i < n; i++) {
		cJSON *j = crashes_load(dir, v[i].id);
		char when[64];
		units_fmt_local(v[i].ts_ms, "%Y-%m-%d %H:%M:%S", when, sizeof(when));
		if (json) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "id", v[i].id);
			cJSON_AddStringToObject(o, "name", v[i].name);
			cJSON_AddNumberToObject(o, "at", (double)v[i].ts_ms);
			cJSON_AddStringToObject(o, "ended", j != NULL ? crashes_str(j, "ended") : "");
			cJSON_AddBoolToObject(o, "oom_kill", j != NULL && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "oom_kill")));
			cJSON_AddNumberToObject(o, "bytes", (double)v[i].bytes);
			cJSON_AddItemToArray(arr, o);
		} else {
			printf("%-40s %-20s %-19s %s\n", v[i].id, v[i].name, when, j != NULL ? crashes_str(j, "ended") : "?");
		}
		cJSON_Delete(j);
	}
	if (json) {
		char *t = cJSON_Print(arr);
		printf("%s\n", t);
		free(t);
		cJSON_Delete(arr);
	}
	free(v);
	return CLI_OK;
}
