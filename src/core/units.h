/*
 * units — the quantities of the stack file: durations ("250ms", "1m30s";
 * a bare number is seconds), sizes ("512KB" = 512 000 bytes, "1GiB" or "1G"
 * = 2^30 bytes; a bare number is bytes) and percents ("50%"; a bare number
 * is a percent). Parsers return false and point *err at a static message.
 */
#ifndef VIGIL_CORE_UNITS_H
#define VIGIL_CORE_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UNITS_MAX_MS ((int64_t)100 * 365 * 24 * 3600 * 1000) /* 100 years */
#define UNITS_MAX_BYTES ((int64_t)1 << 60)                    /* 1 EiB */

bool units_duration(const char *s, int64_t *ms, const char **err);
bool units_size(const char *s, int64_t *bytes, const char **err);
bool units_percent(const char *s, double *percent, const char **err);
/* A whole number in [min, max], decimal, optional sign. */
bool units_int(const char *s, int64_t min, int64_t max, int64_t *out, const char **err);
/* A finite decimal number, e.g. "2" or "1.5". */
bool units_number(const char *s, double *out, const char **err);

/* "250ms", "10s", "1m30s", "2h"; ms = 0 gives "0s". */
void units_fmt_duration(int64_t ms, char *buf, size_t size);
/* Realtime ms as local time with strftime's fmt ("%H:%M:%S"); "" when it cannot be. */
void units_fmt_local(int64_t ms, const char *fmt, char *buf, size_t size);
/* An age for tables, two units at most: "45s", "3m07s", "2h05m", "3d04h"; "-" when ms < 0. */
void units_fmt_age(int64_t ms, char *buf, size_t size);
/* The shortest exact form: "512KiB", "10MB", "1000B". */
void units_fmt_size(int64_t bytes, char *buf, size_t size);
/* A measured size, short and rounded for tables: "0", "980K", "12.3M", "1.5G" (powers of 1024). */
void units_fmt_mem(uint64_t bytes, char *buf, size_t size);
/*
 * A measured size beside a threshold, in the threshold's kind of unit: powers
 * of 1000 ("52.3MB") when like is a round decimal size (50MB), else of 1024
 * ("49.9MiB") — so "memory > 50MB (now 52.3MB)" does not read as below it.
 */
void units_fmt_mem_like(uint64_t bytes, int64_t like, char *buf, size_t size);

#endif
