/*
 * config — owns the conversion of a YAML tree into a validated struct spec.
 *
 * Each section has one reader (cfg_settings, cfg_process, cfg_probe, ...)
 * that checks its keys against a list, converts values with the helpers
 * below and records problems instead of stopping, so one run reports every
 * mistake in the file. Cross-process checks (dependencies, cycles, start
 * order) run once every process is read.
 */
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/diag.h"
#include "core/expand.h"
#include "core/signame.h"
#include "core/strutil.h"
#include "core/units.h"
#include "core/user.h"
#include "core/yamltree.h"

#define CFG_MAX_PROCESSES 1000
#define CFG_MAX_REPLICAS 256
#define CFG_NAME_MAX 64

/* The loader's state for one file. */
struct cfg {
	const char *file;   /* borrowed: for messages */
	const char *dir;    /* borrowed: relative paths start here */
	struct arena *arena; /* borrowed: the spec's */
	struct diag *diag;  /* borrowed */
	struct spec *spec;  /* being filled */
};

static const char *const cfg_top_keys[] = {
	"version", "name", "settings", "env", "env_file", "processes", "alerts", NULL,
};
static const char *const cfg_settings_keys[] = {
	"sample_interval", "log_dir", "log_max_size", "log_max_files", "log_buffer",
	"shutdown_timeout", "crash_reports", "crash_reports_max_size", NULL,
};
static const char *const cfg_process_keys[] = {
	"command", "cwd", "env", "env_file", "user", "umask", "tags", "group",
	"depends_on", "ready", "health", "restart", "backoff", "max_restarts",
	"restart_window", "stop_signal", "stop_timeout", "kind", "replicas",
	"limits", "alerts", "disabled", NULL,
};
static const char *const cfg_probe_keys[] = {
	"log", "exec", "tcp", "http", "notify", "silence", "timeout", "interval",
	"initial_delay", "retries", "on_fail", NULL,
};
static const char *const cfg_backoff_keys[] = {"initial", "max", "factor", NULL};
static const char *const cfg_limits_keys[] = {
	"memory", "cpu", "nofile", "nproc", "core", NULL,
};
static const char *const cfg_alerts_keys[] = {"cooldown", "notify", "rules", NULL};
static const char *const cfg_notify_keys[] = {"exec", "webhook", "timeout", NULL};
static const char *const cfg_rule_keys[] = {"rule", "severity", "target", NULL};

static const char *const cfg_kind_names[] = {"service", "oneshot", "cleanup", NULL};
static const char *const cfg_restart_names[] = {
	"no", "always", "on-failure", "unless-stopped", NULL,
};
static const char *const cfg_cond_names[] = {
	"started", "ready", "healthy", "completed", "completed_successfully", NULL,
};
static const char *const cfg_probe_names[] = {
	"none", "log", "exec", "tcp", "http", "notify", "silence", NULL,
};
static const char *const cfg_on_fail_names[] = {"restart", "alert", "none", NULL};

/* ---- messages ---------------------------------------------------------- */

static void __attribute__((format(printf, 3, 4)))
cfg_err(struct cfg *c, const struct ynode *n, const char *fmt, ...)
{
	char msg[900];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_add(c->diag, c->file, n != NULL ? n->line : 0, n != NULL ? n->col : 0,
	    "%s", msg);
}

/* An error at byte off inside scalar n, when the column can be known. */
static void __attribute__((format(printf, 4, 5)))
cfg_err_in(struct cfg *c, const struct ynode *n, size_t off, const char *fmt, ...)
{
	char msg[900];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	int col = n->col;
	if (!n->multiline && (n->plain || n->quoted) && off <= n->len) {
		/* Columns count characters: skip UTF-8 continuation bytes. */
		for (size_t i = 0; i < off; i++)
			if (((unsigned char)n->str[i] & 0xC0) != 0x80)
				col++;
		col += n->quoted ? 1 : 0;
	}
	diag_add(c->diag, c->file, n->line, col, "%s", msg);
}

/* ---- scalars ----------------------------------------------------------- */

static const char *
cfg_kind_word(const struct ynode *n)
{
	return ytree_type_name(n);
}

/* Reports unknown keys of mapping m, suggesting the closest known one. */
static void
cfg_check_keys(struct cfg *c, const struct ynode *m, const char *const *allowed,
    const char *where)
{
	for (size_t i = 0; i < m->count; i++) {
		const struct ynode *k = m->pairs[i].key;
		/* x-…: an extension field, ignored (compose's place for anchors of shared settings). */
		if (str_in(k->str, allowed) || strncmp(k->str, "x-", 2) == 0)
			continue;
		const char *hint = str_suggest(k->str, allowed);
		if (hint != NULL)
			cfg_err(c, k, "unknown key '%s' in %s (did you mean '%s'?)", k->str,
			    where, hint);
		else
			cfg_err(c, k, "unknown key '%s' in %s", k->str, where);
	}
}

static bool
cfg_is_map(struct cfg *c, const struct ynode *n, const char *what)
{
	if (n->type == YNODE_MAP)
		return true;
	cfg_err(c, n, "'%s' must be a mapping, not %s", what, cfg_kind_word(n));
	return false;
}

/* The scalar as written (no ${} expansion); NULL with an error otherwise. */
static const char *
cfg_raw(struct cfg *c, const struct ynode *n, const char *what)
{
	if (n->type != YNODE_SCALAR) {
		cfg_err(c, n, "'%s' must be a string, not %s", what, cfg_kind_word(n));
		return NULL;
	}
	if (strlen(n->str) != n->len) {
		cfg_err(c, n, "'%s' contains a NUL character", what);
		return NULL;
	}
	return n->str;
}

/* The scalar with ${VAR} expanded, in the arena; NULL with an error. */
static const char *
cfg_str(struct cfg *c, const struct ynode *n, const char *what)
{
	const char *raw = cfg_raw(c, n, what);
	if (raw == NULL)
		return NULL;
	if (strchr(raw, '$') == NULL)
		return raw;
	char *out, err[300];
	size_t off;
	if (!expand_string(raw, expand_getenv, NULL, &out, err, sizeof(err), &off)) {
		cfg_err_in(c, n, off, "%s", err);
		return NULL;
	}
	const char *s = arena_strdup(c->arena, out);
	free(out);
	return s;
}

/* The scalar of a typed value (noun: "a duration", ...), ${VAR} expanded. */
static const char *
cfg_typed(struct cfg *c, const struct ynode *n, const char *what, const char *noun)
{
	if (n->type != YNODE_SCALAR) {
		cfg_err(c, n, "'%s' must be %s, not %s", what, noun, cfg_kind_word(n));
		return NULL;
	}
	return cfg_str(c, n, what);
}

/* A non-empty string. */
static const char *
cfg_nonempty(struct cfg *c, const struct ynode *n, const char *what)
{
	const char *s = cfg_str(c, n, what);
	if (s != NULL && *s == '\0') {
		cfg_err(c, n, "'%s' must not be empty", what);
		return NULL;
	}
	return s;
}

static bool
cfg_duration(struct cfg *c, const struct ynode *n, const char *what, int64_t *out)
{
	const char *s = cfg_typed(c, n, what, "a duration");
	const char *err;
	if (s == NULL)
		return false;
	if (!units_duration(s, out, &err)) {
		cfg_err(c, n, "'%s': %s", what, err);
		return false;
	}
	return true;
}

static bool
cfg_size(struct cfg *c, const struct ynode *n, const char *what, int64_t *out)
{
	const char *s = cfg_typed(c, n, what, "a size");
	const char *err;
	if (s == NULL)
		return false;
	if (!units_size(s, out, &err)) {
		cfg_err(c, n, "'%s': %s", what, err);
		return false;
	}
	return true;
}

static bool
cfg_int(struct cfg *c, const struct ynode *n, const char *what, int64_t min,
    int64_t max, int64_t *out)
{
	const char *s = cfg_typed(c, n, what, "a whole number");
	const char *err;
	if (s == NULL)
		return false;
	if (!units_int(s, min, max, out, &err)) {
		/* err is "must be between ..." or "expected a whole number". */
		if (strncmp(err, "must ", 5) == 0)
			cfg_err(c, n, "'%s' %s", what, err);
		else
			cfg_err(c, n, "'%s' must be a whole number", what);
		return false;
	}
	return true;
}

static bool
cfg_bool(struct cfg *c, const struct ynode *n, const char *what, bool *out)
{
	static const char *const yes[] = {"true", "True", "TRUE", "yes", "on", NULL};
	static const char *const no[] = {"false", "False", "FALSE", "no", "off", NULL};
	if (n->type == YNODE_SCALAR && str_in(n->str, yes)) {
		*out = true;
		return true;
	}
	if (n->type == YNODE_SCALAR && str_in(n->str, no)) {
		*out = false;
		return true;
	}
	cfg_err(c, n, "'%s' must be true or false", what);
	return false;
}

/* One of names (NULL-terminated); the index in *out. */
static bool
cfg_enum(struct cfg *c, const struct ynode *n, const char *what,
    const char *const *names, int *out)
{
	const char *s = cfg_str(c, n, what);
	if (s == NULL)
		return false;
	for (int i = 0; names[i] != NULL; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = i;
			return true;
		}
	}
	struct strbuf list;
	strbuf_init(&list);
	for (int i = 0; names[i] != NULL; i++)
		strbuf_addf(&list, "%s%s", i ? ", " : "", names[i]);
	const char *hint = str_suggest(s, names);
	if (hint != NULL)
		cfg_err(c, n, "invalid %s '%s' (did you mean '%s'?)", what, s, hint);
	else
		cfg_err(c, n, "invalid %s '%s' (expected one of: %s)", what, s, list.data);
	strbuf_fini(&list);
	return false;
}

static bool
cfg_valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > CFG_NAME_MAX)
		return false;
	if (!isalnum((unsigned char)s[0]) && s[0] != '_')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

/* Checks s, the text of n, as a name (what: "tag", "process name"...); false with an error. */
static bool
cfg_check_name(struct cfg *c, const struct ynode *n, const char *s, const char *what)
{
	if (cfg_valid_name(s))
		return true;
	cfg_err(c, n, "invalid %s '%s' (use up to %d letters, digits, '_', '-' or '.', "
	    "starting with a letter, digit or '_')", what, s, CFG_NAME_MAX);
	return false;
}

/* A stack name, tag or group: letters, digits, '_', '-', '.'. */
static const char *
cfg_name(struct cfg *c, const struct ynode *n, const char *what)
{
	const char *s = cfg_str(c, n, what);
	return s != NULL && cfg_check_name(c, n, s, what) ? s : NULL;
}

/* A path made absolute against the stack file's folder. */
static const char *
cfg_path(struct cfg *c, const struct ynode *n, const char *what)
{
	const char *s = cfg_nonempty(c, n, what);
	if (s == NULL)
		return NULL;
	if (s[0] == '/')
		return s;
	if (s[0] == '~' && (s[1] == '/' || s[1] == '\0')) {
		const char *home = getenv("HOME");
		if (home != NULL)
			return arena_printf(c->arena, "%s%s", home, s + 1);
	}
	if (strcmp(s, ".") == 0)
		return c->dir;
	if (strncmp(s, "./", 2) == 0)
		s += 2;
	return arena_printf(c->arena, "%s/%s", c->dir, s);
}

/* ---- commands and environments ----------------------------------------- */

static bool
cfg_command(struct cfg *c, const struct ynode *n, const char *what,
    struct spec_command *cmd)
{
	if (n->type == YNODE_SCALAR) {
		if (ytree_is_null(n)) {
			cfg_err(c, n, "'%s' is empty", what);
			return false;
		}
		const char *s = cfg_str(c, n, what);
		if (s == NULL)
			return false;
		const char *p = s;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0') {
			cfg_err(c, n, "'%s' is empty", what);
			return false;
		}
		const char **argv = arena_calloc(c->arena, 2, sizeof(*argv));
		argv[0] = s;
		cmd->shell = true;
		cmd->argv = argv;
		cmd->argc = 1;
		return true;
	}
	if (n->type != YNODE_SEQ) {
		cfg_err(c, n, "'%s' must be a string or a list of strings, not %s", what,
		    cfg_kind_word(n));
		return false;
	}
	if (n->count == 0) {
		cfg_err(c, n, "'%s' is empty", what);
		return false;
	}
	const char **argv = arena_calloc(c->arena, n->count + 1, sizeof(*argv));
	bool ok = true;
	for (size_t i = 0; i < n->count; i++) {
		argv[i] = cfg_str(c, n->items[i], what);
		if (argv[i] == NULL)
			ok = false;
	}
	if (ok && argv[0][0] == '\0') {
		cfg_err(c, n->items[0], "'%s': the program name is empty", what);
		ok = false;
	}
	cmd->shell = false;
	cmd->argv = argv;
	cmd->argc = n->count;
	return ok;
}

static bool
cfg_valid_env_key(const char *k)
{
	if (*k == '\0' || isdigit((unsigned char)*k))
		return false;
	for (; *k != '\0'; k++)
		if (!isalnum((unsigned char)*k) && *k != '_')
			return false;
	return true;
}

/* A growable list of variables while one environment is read. */
struct cfg_envlist {
	struct spec_kv *vars; /* arena */
	size_t count, cap;
};

static void
cfg_env_put(struct cfg *c, struct cfg_envlist *l, const char *k, const char *v)
{
	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct spec_kv *vars = arena_calloc(c->arena, cap, sizeof(*vars));
		if (l->count)
			memcpy(vars, l->vars, l->count * sizeof(*vars));
		l->vars = vars;
		l->cap = cap;
	}
	l->vars[l->count].key = k;
	l->vars[l->count].value = v;
	l->count++;
}

/* The value of a scalar for an environment: numbers and booleans as written. */
static const char *
cfg_env_value(struct cfg *c, const struct ynode *n, const char *key)
{
	if (ytree_is_null(n))
		return "";
	char what[CFG_NAME_MAX + 16];
	snprintf(what, sizeof(what), "env %.64s", key);
	return cfg_str(c, n, what);
}

/* `env:` as a mapping {K: V} or a list ["K=V"]. */
static void
cfg_env(struct cfg *c, const struct ynode *n, struct cfg_envlist *l)
{
	if (n->type == YNODE_MAP) {
		for (size_t i = 0; i < n->count; i++) {
			const struct ynode *k = n->pairs[i].key;
			if (!cfg_valid_env_key(k->str)) {
				cfg_err(c, k, "invalid environment variable name '%s'", k->str);
				continue;
			}
			const char *v = cfg_env_value(c, n->pairs[i].value, k->str);
			if (v != NULL)
				cfg_env_put(c, l, k->str, v);
		}
	} else if (n->type == YNODE_SEQ) {
		for (size_t i = 0; i < n->count; i++) {
			const char *s = cfg_str(c, n->items[i], "env");
			if (s == NULL)
				continue;
			const char *eq = strchr(s, '=');
			char *key = arena_strndup(c->arena, s, eq ? (size_t)(eq - s) : strlen(s));
			if (eq == NULL || !cfg_valid_env_key(key)) {
				cfg_err(c, n->items[i], "'env' entries must look like NAME=value");
				continue;
			}
			cfg_env_put(c, l, key, eq + 1);
		}
	} else if (!ytree_is_null(n)) {
		cfg_err(c, n, "'env' must be a mapping or a list of NAME=value, not %s",
		    cfg_kind_word(n));
	}
}

/* One value of a dotenv line: quotes removed, "..." escapes applied. */
static const char *
cfg_dotenv_value(struct cfg *c, const char *v, const char **err)
{
	size_t n = strlen(v);
	if (n > 0 && (v[0] == '"' || v[0] == '\'')) {
		char q = v[0];
		const char *end = v + 1;
		while (*end != '\0' && *end != q)
			end += q == '"' && end[0] == '\\' && end[1] != '\0' ? 2 : 1;
		if (*end == '\0') {
			*err = "unterminated quote";
			return NULL;
		}
		const char *rest = end + 1;
		while (isspace((unsigned char)*rest))
			rest++;
		if (*rest != '\0' && *rest != '#') {
			*err = "unexpected text after the closing quote";
			return NULL;
		}
		struct strbuf sb;
		strbuf_init(&sb);
		for (const char *p = v + 1; p < end; p++) {
			if (q == '"' && *p == '\\' && p + 1 < end) {
				p++;
				strbuf_addc(&sb, *p == 'n' ? '\n' : *p == 't' ? '\t' : *p);
			} else {
				strbuf_addc(&sb, *p);
			}
		}
		const char *s = arena_strdup(c->arena, sb.data != NULL ? sb.data : "");
		strbuf_fini(&sb);
		return s;
	}
	/* Unquoted: up to a " #" comment, trimmed. */
	const char *hash = NULL;
	for (const char *p = v; *p != '\0'; p++)
		if (*p == '#' && (p == v || isspace((unsigned char)p[-1]))) {
			hash = p;
			break;
		}
	size_t len = hash ? (size_t)(hash - v) : n;
	while (len > 0 && isspace((unsigned char)v[len - 1]))
		len--;
	return arena_strndup(c->arena, v, len);
}

/* Reads a dotenv file (KEY=VALUE lines) into l; problems name the file's own lines. */
static void
cfg_dotenv(struct cfg *c, const struct ynode *n, const char *path, struct cfg_envlist *l)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		cfg_err(c, n, "env_file '%s': %s", path, strerror(errno));
		return;
	}
	char line[8192];
	int lineno = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		size_t len = strlen(line);
		size_t bom = lineno == 1 ? str_bom_len(line, len) : 0;
		if (bom > 0) {
			memmove(line, line + bom, len - bom + 1);
			len -= bom;
		}
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		const char *p = line;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		if (strncmp(p, "export ", 7) == 0)
			p += 7;
		while (isspace((unsigned char)*p))
			p++;
		const char *eq = strchr(p, '=');
		size_t klen = eq != NULL ? (size_t)(eq - p) : 0;
		while (klen > 0 && isspace((unsigned char)p[klen - 1]))
			klen--;
		char *key = arena_strndup(c->arena, p, klen);
		int col = (int)(p - line) + 1;
		if (eq == NULL || !cfg_valid_env_key(key)) {
			diag_add(c->diag, path, lineno, col, "expected NAME=value");
			continue;
		}
		const char *v = eq + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		const char *err = NULL;
		const char *value = cfg_dotenv_value(c, v, &err);
		if (value == NULL) {
			diag_add(c->diag, path, lineno, (int)(v - line) + 1, "%s", err);
			continue;
		}
		cfg_env_put(c, l, key, value);
	}
	fclose(f);
}

static void
cfg_env_files(struct cfg *c, const struct ynode *n, struct cfg_envlist *l)
{
	if (n->type == YNODE_SEQ) {
		for (size_t i = 0; i < n->count; i++) {
			const char *path = cfg_path(c, n->items[i], "env_file");
			if (path != NULL)
				cfg_dotenv(c, n->items[i], path, l);
		}
		return;
	}
	const char *path = cfg_path(c, n, "env_file");
	if (path != NULL)
		cfg_dotenv(c, n, path, l);
}

/* Reads env_file then env of mapping m into *out. */
static void
cfg_environment(struct cfg *c, const struct ynode *m, struct spec_env *out)
{
	struct cfg_envlist l = {0};
	const struct ynode *files = ytree_get(m, "env_file");
	const struct ynode *env = ytree_get(m, "env");
	if (files != NULL)
		cfg_env_files(c, files, &l);
	if (env != NULL)
		cfg_env(c, env, &l);
	out->vars = l.vars;
	out->count = l.count;
}

/* ---- probes ------------------------------------------------------------ */

/* "host:port" or "[v6]:port"; true with host and port filled in. */
static bool
cfg_hostport(struct cfg *c, const char *s, const char **host, int *port,
    const char **err)
{
	const char *colon;
	const char *h = s;
	size_t hlen;
	if (*s == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || close[1] != ':') {
			*err = "expected [address]:port";
			return false;
		}
		h = s + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL) {
			*err = "expected host:port";
			return false;
		}
		hlen = (size_t)(colon - s);
		if (memchr(s, ':', hlen) != NULL) {
			*err = "an IPv6 address must be written in brackets: [::1]:port";
			return false;
		}
	}
	if (hlen == 0) {
		*err = "the host is empty";
		return false;
	}
	for (size_t i = 0; i < hlen; i++) {
		unsigned char ch = (unsigned char)h[i];
		if (!(isalnum(ch) || ch == '.' || ch == '-' || ch == '_' || ch == ':' || ch == '%')) {
			*err = "the host has characters a host name cannot have";
			return false;
		}
	}
	int64_t p;
	const char *perr;
	if (!units_int(colon + 1, 1, 65535, &p, &perr)) {
		*err = "the port must be a number between 1 and 65535";
		return false;
	}
	*host = arena_strndup(c->arena, h, hlen);
	*port = (int)p;
	return true;
}

static bool
cfg_url(struct cfg *c, const char *s, struct spec_probe *pr, const char **err)
{
	const char *rest;
	int default_port;
	if (strncasecmp(s, "http://", 7) == 0) {
		rest = s + 7;
		default_port = 80;
	} else if (strncasecmp(s, "https://", 8) == 0) {
		rest = s + 8;
		default_port = 443;
	} else {
		*err = "the URL must start with http:// or https://";
		return false;
	}
	size_t alen = strcspn(rest, "/?#");
	if (alen == 0) {
		*err = "the URL has no host";
		return false;
	}
	const char *at = memchr(rest, '@', alen);
	if (at != NULL) {
		alen -= (size_t)(at + 1 - rest);
		rest = at + 1;
	}
	char *auth = arena_strndup(c->arena, rest, alen);
	bool has_port = auth[0] == '[' ? strstr(auth, "]:") != NULL : strchr(auth, ':') != NULL;
	if (has_port)
		return cfg_hostport(c, auth, &pr->host, &pr->port, err);
	char *withport = arena_printf(c->arena, "%s:%d", auth, default_port);
	return cfg_hostport(c, withport, &pr->host, &pr->port, err);
}

/* The one kind key a probe mapping has; NULL with an error when zero or two. */
static const struct ynode *
cfg_probe_kind(struct cfg *c, const struct ynode *m, const char *what,
    enum spec_probe_kind *kind)
{
	static const char *const kinds[] = {"log", "exec", "tcp", "http", "notify", "silence"};
	static const enum spec_probe_kind values[] = {
		SPEC_PROBE_LOG, SPEC_PROBE_EXEC, SPEC_PROBE_TCP, SPEC_PROBE_HTTP,
		SPEC_PROBE_NOTIFY, SPEC_PROBE_SILENCE,
	};
	const struct ynode *found = NULL, *first_key = NULL;
	for (size_t i = 0; i < m->count; i++) {
		const struct ynode *k = m->pairs[i].key;
		for (size_t j = 0; j < sizeof(kinds) / sizeof(kinds[0]); j++) {
			if (strcmp(k->str, kinds[j]) != 0)
				continue;
			if (found != NULL) {
				cfg_err(c, k, "'%s' has two probe kinds ('%s' and '%s'); use one",
				    what, first_key->str, k->str);
				return NULL;
			}
			found = m->pairs[i].value;
			first_key = k;
			*kind = values[j];
		}
	}
	if (found == NULL)
		cfg_err(c, m, "'%s' needs a probe kind: one of log, exec, tcp, http, notify%s",
		    what, strcmp(what, "health") == 0 ? ", silence" : "");
	return found;
}

static void
cfg_probe(struct cfg *c, const struct ynode *m, bool health, struct spec_probe *pr)
{
	const char *what = health ? "health" : "ready";
	pr->kind = SPEC_PROBE_NONE;
	pr->pos.line = m->line;
	pr->pos.col = m->col;
	/* Defaults: a ready probe waits up to a minute, retrying twice a second;
	 * a health probe checks every 10 s, 5 s each, unhealthy after 3 misses. */
	pr->timeout_ms = health ? 5000 : 60000;
	pr->interval_ms = health ? 10000 : 500;
	pr->retries = 3;
	pr->on_fail = SPEC_ON_FAIL_RESTART;
	if (!cfg_is_map(c, m, what))
		return;
	cfg_check_keys(c, m, cfg_probe_keys, what);
	enum spec_probe_kind kind = SPEC_PROBE_NONE;
	const struct ynode *v = cfg_probe_kind(c, m, what, &kind);
	if (v == NULL)
		return;
	const char *s, *err;
	switch (kind) {
	case SPEC_PROBE_LOG:
		if (health) {
			cfg_err(c, v, "a health probe cannot be 'log'; 'silence: 5m' checks "
			    "that output keeps coming");
			return;
		}
		if ((s = cfg_nonempty(c, v, "log")) == NULL)
			return;
		regex_t rx;
		int rc = regcomp(&rx, s, REG_EXTENDED | REG_NOSUB);
		if (rc != 0) {
			char msg[200];
			regerror(rc, &rx, msg, sizeof(msg));
			cfg_err(c, v, "invalid regular expression in '%s.log': %s", what, msg);
			return;
		}
		regfree(&rx);
		pr->log = s;
		break;
	case SPEC_PROBE_EXEC:
		if (!cfg_command(c, v, "exec", &pr->exec))
			return;
		break;
	case SPEC_PROBE_TCP:
		if ((s = cfg_nonempty(c, v, "tcp")) == NULL)
			return;
		if (!cfg_hostport(c, s, &pr->host, &pr->port, &err)) {
			cfg_err(c, v, "invalid address '%s' in '%s.tcp': %s", s, what, err);
			return;
		}
		break;
	case SPEC_PROBE_HTTP:
		if ((s = cfg_nonempty(c, v, "http")) == NULL)
			return;
		if (!cfg_url(c, s, pr, &err)) {
			cfg_err(c, v, "invalid URL '%s' in '%s.http': %s", s, what, err);
			return;
		}
		pr->url = s;
		break;
	case SPEC_PROBE_NOTIFY: {
		bool on;
		if (!cfg_bool(c, v, "notify", &on))
			return;
		if (!on) {
			cfg_err(c, v, "'%s.notify' must be true (remove the probe to turn it off)", what);
			return;
		}
		break;
	}
	case SPEC_PROBE_SILENCE:
		if (!health) {
			cfg_err(c, v, "'silence' is a health probe; a ready probe on output is 'log'");
			return;
		}
		if (!cfg_duration(c, v, "silence", &pr->silence_ms))
			return;
		if (pr->silence_ms <= 0) {
			cfg_err(c, v, "'silence' must be above zero");
			return;
		}
		break;
	default:
		return;
	}
	pr->kind = kind;

	const struct ynode *n;
	if ((n = ytree_get(m, "timeout")) != NULL && cfg_duration(c, n, "timeout", &pr->timeout_ms) &&
	    pr->timeout_ms <= 0)
		cfg_err(c, n, "'timeout' must be above zero");
	if ((n = ytree_get(m, "interval")) != NULL && cfg_duration(c, n, "interval", &pr->interval_ms) &&
	    pr->interval_ms < 10)
		cfg_err(c, n, "'interval' must be at least 10ms");
	if ((n = ytree_get(m, "initial_delay")) != NULL)
		cfg_duration(c, n, "initial_delay", &pr->initial_delay_ms);
	int64_t v64;
	if ((n = ytree_get(m, "retries")) != NULL) {
		if (!health)
			cfg_err(c, n, "'retries' applies to health probes; a ready probe retries until its timeout");
		else if (cfg_int(c, n, "retries", 1, 1000, &v64))
			pr->retries = (int)v64;
	}
	int e;
	if ((n = ytree_get(m, "on_fail")) != NULL) {
		if (!health)
			cfg_err(c, n, "'on_fail' applies to health probes; a failed ready probe fails the start");
		else if (cfg_enum(c, n, "on_fail", cfg_on_fail_names, &e))
			pr->on_fail = (enum spec_on_fail)e;
	}
}

/* ---- alert rules ------------------------------------------------------- */

/* health.on_fail: alert — the process's rules get "unhealthy" (critical) unless they have it. */
static void
cfg_alert_unhealthy(struct cfg *c, struct spec_process *p)
{
	for (size_t i = 0; i < p->nalerts; i++)
		if (p->alerts[i].kind == RULE_UNHEALTHY)
			return;
	struct rule *rules = arena_calloc(c->arena, p->nalerts + 1, sizeof(*rules));
	char err[300];
	size_t off;
	if (!rule_parse("unhealthy", c->arena, &rules[p->nalerts], err, sizeof(err), &off))
		return; /* not for this fixed rule */
	if (p->nalerts > 0)
		memcpy(rules, p->alerts, p->nalerts * sizeof(*rules));
	rules[p->nalerts].severity = RULE_CRITICAL;
	p->alerts = rules;
	p->nalerts++;
}

/* Reads a list of rules (strings or {rule, severity[, target]}). */
static void
cfg_rules(struct cfg *c, const struct ynode *n, bool top, const struct rule **out,
    size_t *nout)
{
	if (n->type != YNODE_SEQ) {
		cfg_err(c, n, "'%s' must be a list of rules, not %s", top ? "rules" : "alerts",
		    cfg_kind_word(n));
		return;
	}
	struct rule *rules = arena_calloc(c->arena, n->count + 1, sizeof(*rules));
	size_t count = 0;
	for (size_t i = 0; i < n->count; i++) {
		const struct ynode *item = n->items[i], *text = item;
		if (item->type == YNODE_MAP) {
			cfg_check_keys(c, item, cfg_rule_keys, "an alert rule");
			text = ytree_get(item, "rule");
			if (text == NULL) {
				cfg_err(c, item, "an alert rule needs 'rule'");
				continue;
			}
		}
		const char *s = cfg_str(c, text, "rule");
		if (s == NULL)
			continue;
		char err[300];
		size_t off;
		struct rule *r = &rules[count];
		if (!rule_parse(s, c->arena, r, err, sizeof(err), &off)) {
			/* off is in the expanded text: a column only when nothing expanded. */
			if (strcmp(s, text->str) == 0)
				cfg_err_in(c, text, off, "invalid alert rule: %s", err);
			else
				cfg_err(c, text, "invalid alert rule: %s", err);
			continue;
		}
		bool ok = true;
		if (item->type == YNODE_MAP) {
			const struct ynode *sev = ytree_get(item, "severity");
			const struct ynode *target = ytree_get(item, "target");
			int e;
			static const char *const sevs[] = {"info", "warning", "critical", NULL};
			if (sev != NULL && cfg_enum(c, sev, "severity", sevs, &e))
				r->severity = (enum rule_severity)e;
			else if (sev != NULL)
				ok = false;
			if (target != NULL && !top) {
				cfg_err(c, target, "'target' belongs to top-level alert rules; "
				    "a process's own rules apply to it");
				ok = false;
			} else if (target != NULL) {
				const char *t = cfg_str(c, target, "target");
				if (t == NULL || (t[0] != '@' && t[0] != '#' && strcmp(t, "all") != 0) ||
				    (t[0] != 'a' && !cfg_valid_name(t + 1))) {
					if (t != NULL)
						cfg_err(c, target, "invalid target '%s' (expected @group, #tag or all)", t);
					ok = false;
				} else {
					r->target = strcmp(t, "all") == 0 ? NULL : t;
				}
			}
		}
		if (ok)
			count++;
	}
	*out = rules;
	*nout = count;
}

static void
cfg_alerts(struct cfg *c, const struct ynode *m, struct spec_alerts *al)
{
	al->cooldown_ms = 5 * 60 * 1000;
	al->webhook_timeout_ms = 5000;
	if (!cfg_is_map(c, m, "alerts"))
		return;
	cfg_check_keys(c, m, cfg_alerts_keys, "alerts");
	const struct ynode *n;
	if ((n = ytree_get(m, "cooldown")) != NULL)
		cfg_duration(c, n, "cooldown", &al->cooldown_ms);
	if ((n = ytree_get(m, "rules")) != NULL)
		cfg_rules(c, n, true, &al->rules, &al->nrules);
	if ((n = ytree_get(m, "notify")) != NULL && cfg_is_map(c, n, "notify")) {
		cfg_check_keys(c, n, cfg_notify_keys, "alerts.notify");
		const struct ynode *v;
		if ((v = ytree_get(n, "exec")) != NULL)
			cfg_command(c, v, "exec", &al->notify_exec);
		if ((v = ytree_get(n, "timeout")) != NULL)
			cfg_duration(c, v, "timeout", &al->webhook_timeout_ms);
		if ((v = ytree_get(n, "webhook")) != NULL) {
			const char *url = cfg_nonempty(c, v, "webhook"), *err;
			struct spec_probe tmp = {0};
			if (url != NULL && !cfg_url(c, url, &tmp, &err))
				cfg_err(c, v, "invalid URL '%s' in 'alerts.notify.webhook': %s", url, err);
			else
				al->webhook = url;
		}
	}
}

/* ---- processes --------------------------------------------------------- */

static void
cfg_tags(struct cfg *c, const struct ynode *n, struct spec_process *p)
{
	if (n->type == YNODE_SCALAR && !ytree_is_null(n)) {
		const char **tags = arena_calloc(c->arena, 2, sizeof(*tags));
		if ((tags[0] = cfg_name(c, n, "tag")) != NULL) {
			p->tags = tags;
			p->ntags = 1;
		}
		return;
	}
	if (n->type != YNODE_SEQ) {
		if (!ytree_is_null(n))
			cfg_err(c, n, "'tags' must be a list of names, not %s", cfg_kind_word(n));
		return;
	}
	const char **tags = arena_calloc(c->arena, n->count + 1, sizeof(*tags));
	size_t count = 0;
	for (size_t i = 0; i < n->count; i++) {
		const char *t = cfg_name(c, n->items[i], "tag");
		if (t != NULL)
			tags[count++] = t;
	}
	p->tags = tags;
	p->ntags = count;
}

/* depends_on: {name: condition} or [name, ...] (= started). Names resolve later. */
static void
cfg_depends(struct cfg *c, const struct ynode *n, struct spec_process *p)
{
	if (ytree_is_null(n))
		return; /* `depends_on:` with nothing: no dependencies */
	size_t max = n->type == YNODE_MAP || n->type == YNODE_SEQ ? n->count : 1;
	struct spec_dep *deps = arena_calloc(c->arena, max + 1, sizeof(*deps));
	size_t count = 0;
	if (n->type == YNODE_MAP) {
		for (size_t i = 0; i < n->count; i++) {
			const struct ynode *k = n->pairs[i].key, *v = n->pairs[i].value;
			int cond = SPEC_COND_STARTED;
			if (!ytree_is_null(v) && !cfg_enum(c, v, "condition", cfg_cond_names, &cond))
				continue;
			deps[count].name = k->str;
			deps[count].cond = (enum spec_cond)cond;
			deps[count].pos.line = k->line;
			deps[count].pos.col = k->col;
			count++;
		}
	} else if (n->type == YNODE_SEQ || n->type == YNODE_SCALAR) {
		for (size_t i = 0; i < max; i++) {
			const struct ynode *item = n->type == YNODE_SEQ ? n->items[i] : n;
			if (ytree_is_null(item)) {
				cfg_err(c, item, "'depends_on' lists an empty process name");
				continue;
			}
			const char *name = cfg_str(c, item, "depends_on");
			if (name == NULL)
				continue;
			deps[count].name = name;
			deps[count].cond = SPEC_COND_STARTED;
			deps[count].pos.line = item->line;
			deps[count].pos.col = item->col;
			count++;
		}
	}
	p->deps = deps;
	p->ndeps = count;
}

static void
cfg_limits(struct cfg *c, const struct ynode *m, struct spec_limits *l)
{
	if (!cfg_is_map(c, m, "limits"))
		return;
	cfg_check_keys(c, m, cfg_limits_keys, "limits");
	const struct ynode *n;
	if ((n = ytree_get(m, "memory")) != NULL && cfg_size(c, n, "memory", &l->memory) &&
	    l->memory < 4096) {
		cfg_err(c, n, "'memory' limit must be at least 4KiB");
		l->memory = -1;
	}
	if ((n = ytree_get(m, "cpu")) != NULL) {
		const char *s = cfg_typed(c, n, "cpu", "a percent"), *err;
		if (s != NULL && !units_percent(s, &l->cpu, &err))
			cfg_err(c, n, "'cpu': %s", err);
		else if (s != NULL && l->cpu <= 0)
			cfg_err(c, n, "'cpu' limit must be above 0%%");
	}
	if ((n = ytree_get(m, "nofile")) != NULL)
		cfg_int(c, n, "nofile", 1, 1 << 30, &l->nofile);
	if ((n = ytree_get(m, "nproc")) != NULL)
		cfg_int(c, n, "nproc", 1, 1 << 30, &l->nproc);
	if ((n = ytree_get(m, "core")) != NULL) {
		if (n->type == YNODE_SCALAR && strcmp(n->str, "unlimited") == 0)
			l->core = INT64_MAX;
		else
			cfg_size(c, n, "core", &l->core);
	}
}

static void
cfg_backoff(struct cfg *c, const struct ynode *m, struct spec_backoff *b)
{
	if (!cfg_is_map(c, m, "backoff"))
		return;
	cfg_check_keys(c, m, cfg_backoff_keys, "backoff");
	const struct ynode *n;
	if ((n = ytree_get(m, "initial")) != NULL)
		cfg_duration(c, n, "initial", &b->initial_ms);
	if ((n = ytree_get(m, "max")) != NULL)
		cfg_duration(c, n, "max", &b->max_ms);
	if ((n = ytree_get(m, "factor")) != NULL) {
		const char *s = cfg_typed(c, n, "factor", "a number"), *err;
		if (s != NULL && !units_number(s, &b->factor, &err))
			cfg_err(c, n, "'factor': %s", err);
		else if (s != NULL && (b->factor < 1 || b->factor > 100))
			cfg_err(c, n, "'factor' must be between 1 and 100");
	}
	if (b->max_ms < b->initial_ms)
		cfg_err(c, m, "backoff 'max' is below 'initial'");
}

static void
cfg_user(struct cfg *c, const struct ynode *n, struct spec_process *p)
{
	const char *s = cfg_nonempty(c, n, "user");
	if (s == NULL)
		return;
	for (const char *q = s; *q != '\0'; q++) {
		if (!isalnum((unsigned char)*q) && *q != '_' && *q != '-' && *q != '.' &&
		    *q != ':' && *q != '$') {
			cfg_err(c, n, "invalid user '%s' (expected NAME, UID, or NAME:GROUP)", s);
			return;
		}
	}
	const char *colon = strchr(s, ':');
	if (colon == s || (colon != NULL && (colon[1] == '\0' || strchr(colon + 1, ':')))) {
		cfg_err(c, n, "invalid user '%s' (expected NAME, UID, or NAME:GROUP)", s);
		return;
	}
	p->user = s;
	/* As root the user is switched to: a name that does not exist is found
	 * now, before anything starts (spawn still says so if it goes later). */
	if (geteuid() != 0)
		return;
	struct user_ids ids;
	enum user_status st = user_resolve(s, &ids);
	if (st == USER_NO_USER) {
		cfg_err(c, n, "unknown user '%.*s' (not in this system's user database; a number "
		    "is taken as a uid)", (int)(colon != NULL ? (size_t)(colon - s) : strlen(s)), s);
	} else if (st == USER_NO_GROUP) {
		char msg[CFG_NAME_MAX * 4 + 100];
		snprintf(msg, sizeof(msg), "unknown group '%.200s' (not in this system's group "
		    "database; a number is taken as a gid)", colon + 1);
		/* At the group when the text is as written (no ${} expanded). */
		if (s == n->str)
			cfg_err_in(c, n, (size_t)(colon + 1 - s), "%s", msg);
		else
			cfg_err(c, n, "%s", msg);
	}
}

static void
cfg_process(struct cfg *c, const struct ynode *key, const struct ynode *m,
    struct spec_process *p)
{
	p->name = key->str;
	p->pos.line = key->line;
	p->pos.col = key->col;
	p->kind = SPEC_SERVICE;
	p->cwd = c->dir;
	p->umask = -1;
	p->restart = SPEC_RESTART_ON_FAILURE;
	p->backoff = (struct spec_backoff){.initial_ms = 1000, .max_ms = 30000, .factor = 2};
	p->max_restarts = 5;
	p->restart_window_ms = 60000;
	p->stop_signal = 15; /* SIGTERM */
	p->stop_timeout_ms = 10000;
	p->replicas = 1;
	p->limits = (struct spec_limits){.memory = -1, .cpu = -1, .nofile = -1,
	    .nproc = -1, .core = -1};
	/* '@', '#' and ':' (targets' @group, #tag, name:N) are not name characters;
	 * "all" is the one target word. */
	if (cfg_check_name(c, key, key->str, "process name") && strcmp(key->str, "all") == 0)
		cfg_err(c, key, "'all' cannot be a process name: as a target (vigil stop all, "
		    "restart all, ...) it means every process");
	char where[CFG_NAME_MAX + 32];
	snprintf(where, sizeof(where), "process '%.64s'", key->str);
	if (ytree_is_null(m)) {
		cfg_err(c, key, "process '%s' has no 'command'", key->str);
		return;
	}
	if (m->type == YNODE_SCALAR || m->type == YNODE_SEQ) {
		/* The short form: `name: "command"`. */
		cfg_command(c, m, "command", &p->command);
		return;
	}
	cfg_check_keys(c, m, cfg_process_keys, where);

	const struct ynode *n;
	int e;
	int64_t v;
	/* kind first: it decides the restart default. */
	if ((n = ytree_get(m, "kind")) != NULL && cfg_enum(c, n, "kind", cfg_kind_names, &e))
		p->kind = (enum spec_kind)e;
	if (p->kind != SPEC_SERVICE)
		p->restart = SPEC_RESTART_NO;
	if ((n = ytree_get(m, "command")) != NULL)
		cfg_command(c, n, "command", &p->command);
	else
		cfg_err(c, key, "process '%s' has no 'command'", key->str);
	if ((n = ytree_get(m, "cwd")) != NULL)
		if ((p->cwd = cfg_path(c, n, "cwd")) == NULL)
			p->cwd = c->dir;
	cfg_environment(c, m, &p->env);
	if ((n = ytree_get(m, "user")) != NULL)
		cfg_user(c, n, p);
	if ((n = ytree_get(m, "umask")) != NULL) {
		const char *s = cfg_str(c, n, "umask");
		char *end = NULL;
		long u = s != NULL ? strtol(s, &end, 8) : -1;
		if (s != NULL && (*s == '\0' || *end != '\0' || u < 0 || u > 0777))
			cfg_err(c, n, "'umask' must be an octal number such as 022");
		else if (s != NULL)
			p->umask = (int)u;
	}
	if ((n = ytree_get(m, "tags")) != NULL)
		cfg_tags(c, n, p);
	if ((n = ytree_get(m, "group")) != NULL && !ytree_is_null(n))
		p->group = cfg_name(c, n, "group");
	if ((n = ytree_get(m, "depends_on")) != NULL)
		cfg_depends(c, n, p);
	if ((n = ytree_get(m, "ready")) != NULL)
		cfg_probe(c, n, false, &p->ready);
	if ((n = ytree_get(m, "health")) != NULL)
		cfg_probe(c, n, true, &p->health);
	if ((n = ytree_get(m, "restart")) != NULL) {
		/* YAML reads a bare `no` as false; both mean "no". */
		if (n->type == YNODE_SCALAR && n->plain && strcmp(n->str, "false") == 0)
			p->restart = SPEC_RESTART_NO;
		else if (cfg_enum(c, n, "restart policy", cfg_restart_names, &e))
			p->restart = (enum spec_restart)e;
	}
	if ((n = ytree_get(m, "backoff")) != NULL)
		cfg_backoff(c, n, &p->backoff);
	if ((n = ytree_get(m, "max_restarts")) != NULL &&
	    cfg_int(c, n, "max_restarts", 0, 1000000, &v))
		p->max_restarts = (int)v;
	if ((n = ytree_get(m, "restart_window")) != NULL &&
	    cfg_duration(c, n, "restart_window", &p->restart_window_ms) &&
	    p->restart_window_ms <= 0)
		cfg_err(c, n, "'restart_window' must be above zero");
	if ((n = ytree_get(m, "stop_signal")) != NULL) {
		const char *s = cfg_str(c, n, "stop_signal");
		int sig = s != NULL ? signame_number(s) : 0;
		if (s != NULL && sig == 0) {
			const char *hint = signame_suggest(s);
			if (hint != NULL)
				cfg_err(c, n, "unknown signal '%s' (did you mean '%s'?)", s, hint);
			else
				cfg_err(c, n, "unknown signal '%s'", s);
		} else if (sig != 0) {
			p->stop_signal = sig;
		}
	}
	if ((n = ytree_get(m, "stop_timeout")) != NULL)
		cfg_duration(c, n, "stop_timeout", &p->stop_timeout_ms);
	if ((n = ytree_get(m, "replicas")) != NULL) {
		const char *s = cfg_typed(c, n, "replicas", "a whole number"), *err;
		if (s != NULL && !units_int(s, INT_MIN, INT_MAX, &v, &err))
			cfg_err(c, n, "'replicas' must be a whole number");
		else if (s != NULL && v < 1)
			cfg_err(c, n, "'replicas' must be at least 1");
		else if (s != NULL && v > CFG_MAX_REPLICAS)
			cfg_err(c, n, "'replicas' must be at most %d", CFG_MAX_REPLICAS);
		else if (s != NULL)
			p->replicas = (int)v;
		if (p->kind == SPEC_CLEANUP && p->replicas > 1)
			cfg_err(c, n, "a cleanup process runs once; 'replicas' must be 1");
	}
	if ((n = ytree_get(m, "limits")) != NULL)
		cfg_limits(c, n, &p->limits);
	if ((n = ytree_get(m, "alerts")) != NULL)
		cfg_rules(c, n, false, &p->alerts, &p->nalerts);
	if ((n = ytree_get(m, "disabled")) != NULL)
		cfg_bool(c, n, "disabled", &p->disabled);
	if (p->health.kind != SPEC_PROBE_NONE && p->health.on_fail == SPEC_ON_FAIL_ALERT)
		cfg_alert_unhealthy(c, p);
	if (p->kind != SPEC_SERVICE && p->health.kind != SPEC_PROBE_NONE)
		cfg_err(c, ytree_get(m, "health"), "a %s process cannot have a health probe",
		    config_kind_name(p->kind));
}

/* ---- the whole stack --------------------------------------------------- */

static void
cfg_settings(struct cfg *c, const struct ynode *m, struct spec_settings *s)
{
	if (!cfg_is_map(c, m, "settings"))
		return;
	cfg_check_keys(c, m, cfg_settings_keys, "settings");
	const struct ynode *n;
	int64_t v;
	if ((n = ytree_get(m, "sample_interval")) != NULL &&
	    cfg_duration(c, n, "sample_interval", &s->sample_interval_ms) &&
	    s->sample_interval_ms < 100)
		cfg_err(c, n, "'sample_interval' must be at least 100ms");
	if ((n = ytree_get(m, "log_dir")) != NULL) {
		const char *p = cfg_path(c, n, "log_dir");
		if (p != NULL)
			s->log_dir = p;
	}
	if ((n = ytree_get(m, "log_max_size")) != NULL &&
	    cfg_size(c, n, "log_max_size", &s->log_max_size) && s->log_max_size < 4096)
		cfg_err(c, n, "'log_max_size' must be at least 4KiB");
	if ((n = ytree_get(m, "log_max_files")) != NULL &&
	    cfg_int(c, n, "log_max_files", 0, 1000, &v))
		s->log_max_files = (int)v;
	if ((n = ytree_get(m, "log_buffer")) != NULL &&
	    cfg_size(c, n, "log_buffer", &s->log_buffer) &&
	    (s->log_buffer < 4096 || s->log_buffer > ((int64_t)1 << 30)))
		cfg_err(c, n, "'log_buffer' must be between 4KiB and 1GiB");
	if ((n = ytree_get(m, "shutdown_timeout")) != NULL)
		cfg_duration(c, n, "shutdown_timeout", &s->shutdown_timeout_ms);
	if ((n = ytree_get(m, "crash_reports")) != NULL &&
	    cfg_int(c, n, "crash_reports", 0, 1000, &v))
		s->crash_reports = (int)v;
	if ((n = ytree_get(m, "crash_reports_max_size")) != NULL &&
	    cfg_size(c, n, "crash_reports_max_size", &s->crash_reports_max_size) &&
	    s->crash_reports_max_size < 65536)
		cfg_err(c, n, "'crash_reports_max_size' must be at least 64KiB");
}

size_t
config_process_index(const struct spec *s, const char *name)
{
	for (size_t i = 0; i < s->nprocesses; i++)
		if (strcmp(s->processes[i].name, name) == 0)
			return i;
	return SIZE_MAX;
}

/* Resolves dependency names and checks what each condition needs. */
static void
cfg_resolve_deps(struct cfg *c)
{
	struct spec *s = c->spec;
	/* Suggestions name the other processes: a process never depends on itself. */
	const char **others = arena_calloc(c->arena, s->nprocesses + 1, sizeof(*others));
	for (size_t i = 0; i < s->nprocesses; i++) {
		const struct spec_process *p = &s->processes[i];
		size_t nothers = 0;
		for (size_t k = 0; k < s->nprocesses; k++)
			if (k != i)
				others[nothers++] = s->processes[k].name;
		others[nothers] = NULL;
		for (size_t j = 0; j < p->ndeps; j++) {
			struct spec_dep *d = (struct spec_dep *)&p->deps[j];
			struct ynode at = {.line = d->pos.line, .col = d->pos.col};
			d->index = config_process_index(s, d->name);
			if (d->index == SIZE_MAX) {
				const char *hint = str_suggest(d->name, others);
				if (hint != NULL)
					cfg_err(c, &at, "'%s' depends on '%s', which is not a process "
					    "of this stack (did you mean '%s'?)", p->name, d->name, hint);
				else
					cfg_err(c, &at, "'%s' depends on '%s', which is not a process "
					    "of this stack", p->name, d->name);
				continue;
			}
			const struct spec_process *dep = &s->processes[d->index];
			for (size_t k = 0; k < j; k++)
				if (strcmp(p->deps[k].name, d->name) == 0)
					cfg_err(c, &at, "'%s' is listed twice in depends_on", d->name);
			if (dep->kind == SPEC_CLEANUP && d->index != i)
				cfg_err(c, &at, "'%s' cannot depend on '%s': cleanup processes "
				    "run only at shutdown", p->name, d->name);
			else if (d->cond == SPEC_COND_HEALTHY && dep->health.kind == SPEC_PROBE_NONE)
				cfg_err(c, &at, "'%s' waits for '%s' to be healthy, but '%s' has "
				    "no health probe", p->name, d->name, d->name);
			else if ((d->cond == SPEC_COND_COMPLETED ||
			    d->cond == SPEC_COND_COMPLETED_SUCCESSFULLY) &&
			    dep->kind == SPEC_SERVICE && dep->restart == SPEC_RESTART_ALWAYS)
				cfg_err(c, &at, "'%s' waits for '%s' to complete, but '%s' "
				    "restarts always", p->name, d->name, d->name);
		}
	}
}

/* Depth-first search for cycles; each back edge is reported once, whole. */
static void
cfg_cycles_visit(struct cfg *c, size_t u, unsigned char *color, size_t *stack,
    size_t depth)
{
	const struct spec *s = c->spec;
	color[u] = 1;
	stack[depth] = u;
	const struct spec_process *p = &s->processes[u];
	for (size_t j = 0; j < p->ndeps; j++) {
		size_t v = p->deps[j].index;
		if (v == SIZE_MAX)
			continue;
		if (color[v] == 0) {
			cfg_cycles_visit(c, v, color, stack, depth + 1);
		} else if (color[v] == 1) {
			/* v is on the stack: the cycle is v ... u -> v. */
			size_t from = depth;
			while (stack[from] != v)
				from--;
			struct strbuf sb;
			strbuf_init(&sb);
			for (size_t k = from; k <= depth; k++)
				strbuf_addf(&sb, "%s -> ", s->processes[stack[k]].name);
			strbuf_add(&sb, s->processes[v].name);
			struct ynode at = {.line = p->deps[j].pos.line, .col = p->deps[j].pos.col};
			cfg_err(c, &at, "dependency cycle: %s", sb.data);
			strbuf_fini(&sb);
		}
	}
	color[u] = 2;
}

/* Dependencies first, in file order where free to choose; cleanups last. */
static void
cfg_order(struct cfg *c)
{
	struct spec *s = c->spec;
	size_t n = s->nprocesses;
	size_t *order = arena_calloc(c->arena, n + 1, sizeof(*order));
	unsigned char *done = arena_calloc(c->arena, n + 1, 1);
	size_t count = 0;
	for (int pass = 0; pass < 2; pass++) {
		bool progress = true;
		while (progress) {
			progress = false;
			for (size_t i = 0; i < n; i++) {
				const struct spec_process *p = &s->processes[i];
				if (done[i] || (p->kind == SPEC_CLEANUP) != (pass == 1))
					continue;
				bool ready = true;
				for (size_t j = 0; j < p->ndeps && ready; j++) {
					size_t d = p->deps[j].index;
					if (d != SIZE_MAX && d != i && !done[d])
						ready = false;
				}
				if (ready) {
					done[i] = 1;
					order[count++] = i;
					progress = true;
					break;
				}
			}
		}
	}
	/* With a cycle (already reported) some are left: append them in file order. */
	for (size_t i = 0; i < n; i++)
		if (!done[i])
			order[count++] = i;
	s->start_order = order;
}

static void
cfg_processes(struct cfg *c, const struct ynode *m)
{
	struct spec *s = c->spec;
	if (m->type != YNODE_MAP) {
		cfg_err(c, m, "'processes' must be a mapping of names to processes, not %s",
		    cfg_kind_word(m));
		return;
	}
	if (m->count == 0) {
		cfg_err(c, m, "'processes' is empty: a stack needs at least one process");
		return;
	}
	if (m->count > CFG_MAX_PROCESSES) {
		cfg_err(c, m, "too many processes (%zu; the limit is %d)", m->count,
		    CFG_MAX_PROCESSES);
		return;
	}
	struct spec_process *procs = arena_calloc(c->arena, m->count, sizeof(*procs));
	for (size_t i = 0; i < m->count; i++)
		cfg_process(c, m->pairs[i].key, m->pairs[i].value, &procs[i]);
	s->processes = procs;
	s->nprocesses = m->count;
	cfg_resolve_deps(c);
	unsigned char *color = arena_calloc(c->arena, m->count, 1);
	size_t *stack = arena_calloc(c->arena, m->count, sizeof(*stack));
	for (size_t i = 0; i < m->count; i++)
		if (color[i] == 0)
			cfg_cycles_visit(c, i, color, stack, 0);
	cfg_order(c);
}

/* The stack's default name: its folder's name. */
static const char *
cfg_default_name(struct cfg *c)
{
	const char *slash = strrchr(c->dir, '/');
	const char *base = slash != NULL && slash[1] != '\0' ? slash + 1 : "stack";
	char buf[CFG_NAME_MAX + 1];
	size_t n = 0;
	for (const char *p = base; *p != '\0' && n < CFG_NAME_MAX; p++) {
		unsigned char ch = (unsigned char)*p;
		buf[n++] = ch < 0x80 && (isalnum(ch) || ch == '-' || ch == '.') ? *p : '_';
		while (ch >= 0xc0 && ((unsigned char)p[1] & 0xc0) == 0x80)
			p++; /* one _ for a whole UTF-8 character, not one per byte */
	}
	buf[n] = '\0';
	if (!cfg_valid_name(buf))
		return "stack";
	return arena_strdup(c->arena, buf);
}

static void
cfg_top(struct cfg *c, const struct ynode *root)
{
	struct spec *s = c->spec;
	s->version = 1;
	s->settings = (struct spec_settings){
		.sample_interval_ms = 1000,
		.log_dir = arena_printf(c->arena, "%s/.vigil/logs", c->dir),
		.log_max_size = 10 * 1000 * 1000,
		.log_max_files = 5,
		.log_buffer = 1 << 20,
		.shutdown_timeout_ms = 15000,
		.crash_reports = 10,
		.crash_reports_max_size = 20 * 1000 * 1000,
	};
	s->alerts.cooldown_ms = 5 * 60 * 1000;
	s->alerts.webhook_timeout_ms = 5000;
	if (root->type != YNODE_MAP) {
		cfg_err(c, root, "a stack file must be a mapping with 'processes', not %s",
		    cfg_kind_word(root));
		return;
	}
	cfg_check_keys(c, root, cfg_top_keys, "the stack file");
	const struct ynode *n;
	int64_t v;
	if ((n = ytree_get(root, "version")) != NULL) {
		const char *ver = cfg_typed(c, n, "version", "a whole number"), *err;
		if (ver != NULL && !units_int(ver, 1, 1, &v, &err))
			cfg_err(c, n, "unsupported version '%s' (this vigil reads version 1)", ver);
		else if (ver != NULL)
			s->version = (int)v;
	}
	s->name = cfg_default_name(c);
	if ((n = ytree_get(root, "name")) != NULL) {
		const char *name = cfg_name(c, n, "stack name");
		if (name != NULL)
			s->name = name;
	}
	if ((n = ytree_get(root, "settings")) != NULL)
		cfg_settings(c, n, &s->settings);
	cfg_environment(c, root, &s->env);
	if ((n = ytree_get(root, "alerts")) != NULL)
		cfg_alerts(c, n, &s->alerts);
	if ((n = ytree_get(root, "processes")) != NULL)
		cfg_processes(c, n);
	else
		cfg_err(c, root, "the stack file has no 'processes'");
}

struct spec *
config_parse(const char *file, const char *dir, const char *data, size_t len,
    struct diag *d)
{
	struct arena *a = arena_new();
	if (a == NULL) {
		diag_add(d, file, 0, 0, "out of memory");
		return NULL;
	}
	struct spec *s = arena_alloc(a, sizeof(*s));
	s->arena = a;
	s->file = arena_strdup(a, file);
	s->dir = arena_strdup(a, dir);
	struct cfg c = {.file = s->file, .dir = s->dir, .arena = a, .diag = d, .spec = s};
	size_t before = diag_total(d);
	struct ynode *root = ytree_parse(file, data, len, a, d);
	if (root != NULL)
		cfg_top(&c, root);
	if (root == NULL || diag_total(d) > before) {
		arena_free(a);
		return NULL;
	}
	return s;
}

/* The absolute folder holding path. */
static char *
cfg_dirname_abs(const char *path)
{
	char *copy = strdup(path);
	if (copy == NULL)
		return NULL;
	char *slash = strrchr(copy, '/');
	const char *dir = ".";
	if (slash == copy)
		dir = "/";
	else if (slash != NULL) {
		*slash = '\0';
		dir = copy;
	}
	char *abs = realpath(dir, NULL);
	free(copy);
	return abs;
}

struct spec *
config_load(const char *file, struct diag *d)
{
	FILE *f = fopen(file, "rb");
	if (f == NULL) {
		diag_add(d, file, 0, 0, "cannot open: %s", strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		diag_add(d, file, 0, 0, "is a folder, not a stack file");
		fclose(f);
		return NULL;
	}
	/* Read at most one byte past the limit: enough to know it is too big. */
	size_t cap = YTREE_MAX_BYTES + 1;
	if (S_ISREG(st.st_mode) && (size_t)st.st_size < cap)
		cap = (size_t)st.st_size + 1;
	char *data = malloc(cap);
	if (data == NULL) {
		fclose(f);
		diag_add(d, file, 0, 0, "out of memory");
		return NULL;
	}
	size_t len = 0, got;
	while (len < cap && (got = fread(data + len, 1, cap - len, f)) > 0)
		len += got;
	bool err = ferror(f);
	fclose(f);
	if (err) {
		diag_add(d, file, 0, 0, "cannot read: %s", strerror(errno));
		free(data);
		return NULL;
	}
	if (len > YTREE_MAX_BYTES || (S_ISREG(st.st_mode) && (size_t)st.st_size > YTREE_MAX_BYTES)) {
		diag_add(d, file, 0, 0, "file is too large (the limit for a stack file is 4 MiB)");
		free(data);
		return NULL;
	}
	char *dir = cfg_dirname_abs(file);
	if (dir == NULL) {
		diag_add(d, file, 0, 0, "cannot resolve its folder: %s", strerror(errno));
		free(data);
		return NULL;
	}
	struct spec *s = config_parse(file, dir, data, len, d);
	free(dir);
	free(data);
	return s;
}

void
config_free(struct spec *s)
{
	if (s != NULL)
		arena_free(s->arena);
}

bool
config_find(const char *explicit_path, char *buf, size_t size, char *err,
    size_t err_size)
{
	if (explicit_path != NULL) {
		snprintf(buf, size, "%s", explicit_path);
		return true;
	}
	static const char *const names[] = {"vigil.yaml", "vigil.yml"};
	for (size_t i = 0; i < 2; i++) {
		if (access(names[i], F_OK) == 0) {
			snprintf(buf, size, "%s", names[i]);
			return true;
		}
	}
	snprintf(err, err_size, "no stack file: vigil.yaml or vigil.yml not found in "
	    "this folder (use -f FILE)");
	return false;
}

static void
config_env_merge(struct cfg_envlist *l, struct arena *a, const struct spec_env *e)
{
	for (size_t i = 0; i < e->count; i++) {
		size_t j;
		for (j = 0; j < l->count; j++)
			if (strcmp(l->vars[j].key, e->vars[i].key) == 0)
				break;
		if (j < l->count) {
			l->vars[j].value = e->vars[i].value;
			continue;
		}
		struct cfg c = {.arena = a};
		cfg_env_put(&c, l, e->vars[i].key, e->vars[i].value);
	}
}

struct spec_env
config_process_env(const struct spec *s, const struct spec_process *p, struct arena *a)
{
	struct cfg_envlist l = {0};
	config_env_merge(&l, a, &s->env);
	config_env_merge(&l, a, &p->env);
	return (struct spec_env){.vars = l.vars, .count = l.count};
}

bool
config_is_secret(const char *key)
{
	static const char *const words[] = {"KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", NULL};
	for (size_t i = 0; words[i] != NULL; i++)
		if (strcasestr(key, words[i]) != NULL)
			return true;
	return false;
}

const char *
config_kind_name(enum spec_kind k)
{
	return cfg_kind_names[k];
}

const char *
config_restart_name(enum spec_restart r)
{
	return cfg_restart_names[r];
}

const char *
config_cond_name(enum spec_cond c)
{
	return cfg_cond_names[c];
}

const char *
config_probe_name(enum spec_probe_kind k)
{
	return cfg_probe_names[k];
}

const char *
config_on_fail_name(enum spec_on_fail f)
{
	return cfg_on_fail_names[f];
}
