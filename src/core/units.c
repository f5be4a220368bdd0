/*
 * units — parsing and printing of durations, sizes and percents.
 */
#include "core/units.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>

/* Reads a non-negative decimal ("12", "1.5") at *p; advances *p. */
static bool
units_read_number(const char **p, double *out)
{
	const char *s = *p;
	if (!isdigit((unsigned char)*s) && !(*s == '.' && isdigit((unsigned char)s[1])))
		return false;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	/* strtod accepts hex, inf and exponents; the stack file does not. */
	for (const char *q = s; q < end; q++)
		if (!isdigit((unsigned char)*q) && *q != '.')
			return false;
	if (errno != 0 || !isfinite(v))
		return false;
	*out = v;
	*p = end;
	return true;
}

static const char *
units_trim(const char *s, char *buf, size_t size)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= size)
		return NULL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}

bool
units_duration(const char *in, int64_t *ms, const char **err)
{
	char buf[64];
	const char *s = units_trim(in, buf, sizeof(buf));
	if (s == NULL || *s == '\0') {
		*err = "expected a duration such as 500ms, 10s, 5m or 1h";
		return false;
	}
	if (*s == '-') {
		*err = "a duration cannot be negative";
		return false;
	}
	double total = 0;
	bool any = false;
	while (*s != '\0') {
		double v;
		if (!units_read_number(&s, &v)) {
			*err = "expected a duration such as 500ms, 10s, 5m or 1h";
			return false;
		}
		double scale;
		if (*s == '\0' && !any) {
			scale = 1000; /* a bare number is seconds */
		} else if (strncmp(s, "ms", 2) == 0) {
			scale = 1, s += 2;
		} else if (*s == 's') {
			scale = 1000, s += 1;
		} else if (*s == 'm') {
			scale = 60e3, s += 1;
		} else if (*s == 'h') {
			scale = 3600e3, s += 1;
		} else if (*s == 'd') {
			scale = 86400e3, s += 1;
		} else {
			*err = "unknown duration unit (use ms, s, m, h or d)";
			return false;
		}
		total += v * scale;
		any = true;
		if (total > (double)UNITS_MAX_MS) {
			*err = "duration is too long";
			return false;
		}
	}
	*ms = (int64_t)llround(total);
	return true;
}

bool
units_size(const char *in, int64_t *bytes, const char **err)
{
	char buf[64];
	const char *s = units_trim(in, buf, sizeof(buf));
	if (s == NULL || *s == '\0' || *s == '-') {
		*err = s != NULL && *s == '-' ? "a size cannot be negative"
		    : "expected a size such as 512KB, 10MB or 1GiB";
		return false;
	}
	double v;
	if (!units_read_number(&s, &v)) {
		*err = "expected a size such as 512KB, 10MB or 1GiB";
		return false;
	}
	while (*s == ' ')
		s++;
	static const struct {
		const char *suffix;
		double scale;
	} units[] = {
		{"", 1}, {"B", 1},
		{"K", 1024.0}, {"KiB", 1024.0}, {"KB", 1e3},
		{"M", 1048576.0}, {"MiB", 1048576.0}, {"MB", 1e6},
		{"G", 1073741824.0}, {"GiB", 1073741824.0}, {"GB", 1e9},
		{"T", 1099511627776.0}, {"TiB", 1099511627776.0}, {"TB", 1e12},
	};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(s, units[i].suffix) != 0)
			continue;
		double total = v * units[i].scale;
		if (total > (double)UNITS_MAX_BYTES) {
			*err = "size is too large";
			return false;
		}
		*bytes = (int64_t)llround(total);
		return true;
	}
	*err = "unknown size unit (use B, KB, MB, GB, KiB, MiB, GiB)";
	return false;
}

bool
units_percent(const char *in, double *percent, const char **err)
{
	char buf[64];
	const char *s = units_trim(in, buf, sizeof(buf));
	double v;
	if (s == NULL || *s == '-') {
		*err = "a percent cannot be negative";
		return false;
	}
	if (!units_read_number(&s, &v) || (*s != '\0' && strcmp(s, "%") != 0)) {
		*err = "expected a percent such as 50%";
		return false;
	}
	if (v > 1e6) {
		*err = "percent is too large";
		return false;
	}
	*percent = v;
	return true;
}

bool
units_int(const char *in, int64_t min, int64_t max, int64_t *out, const char **err)
{
	char buf[64];
	const char *s = units_trim(in, buf, sizeof(buf));
	if (s == NULL || *s == '\0') {
		*err = "expected a whole number";
		return false;
	}
	const char *d = s + (*s == '-' || *s == '+');
	for (const char *q = d; *q != '\0'; q++) {
		if (!isdigit((unsigned char)*q)) {
			*err = "expected a whole number";
			return false;
		}
	}
	if (*d == '\0') {
		*err = "expected a whole number";
		return false;
	}
	errno = 0;
	long long v = strtoll(s, NULL, 10);
	if (errno != 0 || v < min || v > max) {
		static char range[96];
		snprintf(range, sizeof(range), "must be between %lld and %lld",
		    (long long)min, (long long)max);
		*err = range;
		return false;
	}
	*out = v;
	return true;
}

bool
units_number(const char *in, double *out, const char **err)
{
	char buf[64];
	const char *s = units_trim(in, buf, sizeof(buf));
	bool neg = false;
	if (s != NULL && *s == '-') {
		neg = true;
		s++;
	}
	double v;
	if (s == NULL || !units_read_number(&s, &v) || *s != '\0') {
		*err = "expected a number";
		return false;
	}
	*out = neg ? -v : v;
	return true;
}

void
units_fmt_local(int64_t ms, const char *fmt, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (size == 0)
		return;
	if (localtime_r(&t, &tm) == NULL || strftime(buf, size, fmt, &tm) == 0)
		buf[0] = '\0';
}

void
units_fmt_age(int64_t ms, char *buf, size_t size)
{
	if (ms < 0) {
		snprintf(buf, size, "-");
		return;
	}
	int64_t s = ms / 1000;
	if (s < 60)
		snprintf(buf, size, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(buf, size, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
	else if (s < 86400)
		snprintf(buf, size, "%lldh%02lldm", (long long)(s / 3600), (long long)(s / 60 % 60));
	else
		snprintf(buf, size, "%lldd%02lldh", (long long)(s / 86400), (long long)(s / 3600 % 24));
}

void
units_fmt_duration(int64_t ms, char *buf, size_t size)
{
	if (ms == 0) {
		snprintf(buf, size, "0s");
		return;
	}
	if (ms % 1000 != 0 && ms < 60000) {
		snprintf(buf, size, "%lldms", (long long)ms);
		return;
	}
	int64_t s = ms / 1000;
	int64_t rest_ms = ms % 1000;
	int64_t h = s / 3600, m = (s / 60) % 60, sec = s % 60;
	size_t n = 0;
	buf[0] = '\0';
	if (h > 0)
		n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "%lldh", (long long)h);
	if (m > 0 && n < size)
		n += (size_t)snprintf(buf + n, size - n, "%lldm", (long long)m);
	if ((sec > 0 || rest_ms > 0) && n < size) {
		if (rest_ms > 0)
			snprintf(buf + n, size - n, "%lld.%03llds", (long long)sec,
			    (long long)rest_ms);
		else
			snprintf(buf + n, size - n, "%llds", (long long)sec);
	}
}

void
units_fmt_size(int64_t bytes, char *buf, size_t size)
{
	static const char *const bin[] = {"KiB", "MiB", "GiB", "TiB"};
	static const char *const dec[] = {"KB", "MB", "GB", "TB"};
	if (bytes == 0) {
		snprintf(buf, size, "0B");
		return;
	}
	for (int i = 3; i >= 0; i--) {
		int64_t b = (int64_t)1 << (10 * (i + 1));
		int64_t d = 1;
		for (int k = 0; k <= i; k++)
			d *= 1000;
		if (bytes % b == 0) {
			snprintf(buf, size, "%lld%s", (long long)(bytes / b), bin[i]);
			return;
		}
		if (bytes % d == 0) {
			snprintf(buf, size, "%lld%s", (long long)(bytes / d), dec[i]);
			return;
		}
	}
	snprintf(buf, size, "%lldB", (long long)bytes);
}

void
units_fmt_mem_like(uint64_t bytes, int64_t like, char *buf, size_t size)
{
	static const char *const bin[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
	static const char *const dec[] = {"KB", "MB", "GB", "TB", "PB"};
	bool decimal = like > 0 && like % 1000 == 0 && like % 1024 != 0;
	double k = decimal ? 1000 : 1024;
	if ((double)bytes < k) {
		snprintf(buf, size, "%lluB", (unsigned long long)bytes);
		return;
	}
	double v = (double)bytes / k;
	int i = 0;
	while (v >= 999.95 && i < 4) {
		v /= k;
		i++;
	}
	snprintf(buf, size, v < 99.95 ? "%.1f%s" : "%.0f%s", v, decimal ? dec[i] : bin[i]);
}

void
units_fmt_mem(uint64_t bytes, char *buf, size_t size)
{
	static const char units[] = "KMGTP";
	if (bytes < 1024) {
		snprintf(buf, size, "%lluB", (unsigned long long)bytes);
		return;
	}
	double v = (double)bytes / 1024;
	int i = 0;
	while (v >= 1000 && i < 4) {
		v /= 1024;
		i++;
	}
	/* One decimal below 100 (9.5M, 95.3M), none above (953M). */
	if (v < 99.95)
		snprintf(buf, size, "%.1f%c", v, units[i]);
	else
		snprintf(buf, size, "%.0f%c", v, units[i]);
}
