/*
 * args — the option parser shared by every subcommand: short and long
 * options, "--opt=value", "--" to end options, and one-line errors with a
 * suggestion for typos; and loading the stack file a command names.
 */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/diag.h"
#include "core/strutil.h"
#include "core/units.h"

void
cli_parser_init(struct cli_parser *p, const struct cli_cmd *cmd, int argc, char **argv)
{
	memset(p, 0, sizeof(*p));
	p->cmd = cmd;
	p->argc = argc;
	p->argv = argv;
	p->i = 1;
}

int
cli_usage_error(const char *fmt, ...)
{
	va_list ap;
	fputs("vigil: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_USAGE;
}

/* Prints the unknown-option line, with the closest long option if any. */
static int
cli_unknown(struct cli_parser *p, const char *arg)
{
	const char *names[64];
	char spelled[64][40];
	size_t n = 0;
	for (const struct cli_opt *o = p->cmd->opts; o != NULL && o->long_name != NULL && n < 63; o++) {
		snprintf(spelled[n], sizeof(spelled[n]), "--%s", o->long_name);
		names[n] = spelled[n];
		n++;
	}
	names[n] = NULL;
	char word[64];
	size_t len = strcspn(arg, "=");
	snprintf(word, sizeof(word), "%.*s", (int)(len < 63 ? len : 63), arg);
	const char *hint = word[1] == '-' ? str_suggest(word, names) : NULL;
	if (hint != NULL)
		cli_usage_error("unknown option '%s' (did you mean '%s'?)", word, hint);
	else
		cli_usage_error("unknown option '%s' for '%s' (see 'vigil help %s')", word,
		    p->cmd->name, p->cmd->name);
	return CLI_ERROR;
}

static int
cli_take_value(struct cli_parser *p, int idx, const char *spelled, const char *inline_value)
{
	const struct cli_opt *o = &p->cmd->opts[idx];
	if (o->arg == NULL) {
		if (inline_value != NULL) {
			cli_usage_error("option '%s' takes no value", spelled);
			return CLI_ERROR;
		}
		p->value = NULL;
		return idx;
	}
	if (inline_value != NULL) {
		p->value = inline_value;
		return idx;
	}
	if (p->i >= p->argc) {
		cli_usage_error("option '%s' needs a %s", spelled, o->arg);
		return CLI_ERROR;
	}
	p->value = p->argv[p->i++];
	return idx;
}

int
cli_next(struct cli_parser *p)
{
	if (p->i >= p->argc)
		return CLI_END;
	const char *a = p->argv[p->i++];
	if (p->only_args || a[0] != '-' || a[1] == '\0') {
		p->value = a;
		return CLI_ARG;
	}
	if (strcmp(a, "--") == 0) {
		p->only_args = true;
		return cli_next(p);
	}
	const struct cli_opt *opts = p->cmd->opts;
	if (a[1] == '-') {
		const char *name = a + 2;
		const char *eq = strchr(name, '=');
		size_t len = eq != NULL ? (size_t)(eq - name) : strlen(name);
		for (int i = 0; opts != NULL && opts[i].long_name != NULL; i++) {
			if (strlen(opts[i].long_name) == len &&
			    strncmp(opts[i].long_name, name, len) == 0) {
				char spelled[64];
				snprintf(spelled, sizeof(spelled), "--%s", opts[i].long_name);
				return cli_take_value(p, i, spelled, eq != NULL ? eq + 1 : NULL);
			}
		}
		return cli_unknown(p, a);
	}
	for (int i = 0; opts != NULL && opts[i].long_name != NULL; i++) {
		if (opts[i].short_name != 0 && opts[i].short_name == a[1]) {
			char spelled[3] = {'-', a[1], '\0'};
			if (a[2] != '\0' && opts[i].arg == NULL)
				break; /* "-jx": not a known bundle */
			return cli_take_value(p, i, spelled, a[2] != '\0' ? a + 2 : NULL);
		}
	}
	return cli_unknown(p, a);
}

int
cli_load_stack(const char *file, struct spec **out)
{
	char path[4096], err[256];
	if (!config_find(file, path, sizeof(path), err, sizeof(err))) {
		fprintf(stderr, "vigil: %s\n", err);
		return CLI_USAGE;
	}
	struct diag d;
	diag_init(&d);
	*out = config_load(path, &d);
	if (*out == NULL)
		diag_print(&d, stderr);
	diag_fini(&d);
	return *out != NULL ? CLI_OK : CLI_USAGE;
}

int
cli_refresh_arg(const char *value, int64_t *ms)
{
	double s;
	const char *err;
	if (!units_number(value, &s, &err) || s < 0.1 || s > 3600)
		return cli_usage_error("option '--refresh': '%s' is not a number of seconds from 0.1 to 3600", value);
	*ms = (int64_t)(s * 1000 + 0.5);
	return CLI_OK;
}

bool
cli_color(int fd)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
	return isatty(fd) && (nc == NULL || nc[0] == '\0') && term != NULL && term[0] != '\0' &&
	    strcmp(term, "dumb") != 0;
}
