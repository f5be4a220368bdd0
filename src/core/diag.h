/*
 * diag — the problems found in user input, each with a position
 * (FILE:LINE:COL) and a one-line message. Collected, not printed as they are
 * found, so every problem in a file is reported at once, in file order.
 */
#ifndef VIGIL_CORE_DIAG_H
#define VIGIL_CORE_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define DIAG_SHOW 20 /* at most this many are shown */
#define DIAG_KEEP 256 /* at most this many are kept */

struct diag_entry {
	char *file; /* owned */
	int line;   /* 1-based; 0 when the problem has no position */
	int col;    /* 1-based; 0 when unknown */
	char *msg;  /* owned, no trailing newline */
};

struct diag {
	struct diag_entry entries[DIAG_KEEP];
	size_t count;   /* entries kept */
	size_t dropped; /* problems past DIAG_KEEP */
};

void diag_init(struct diag *d);
void diag_fini(struct diag *d);
/* Records one problem; file may be NULL. */
void diag_add(struct diag *d, const char *file, int line, int col,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Total problems seen, kept or not. */
size_t diag_total(const struct diag *d);
/* Sorts by file order (stable) and prints up to DIAG_SHOW lines to f. */
void diag_print(struct diag *d, FILE *f);
/* The i-th entry after diag_sort, as "FILE:LINE:COL: message". */
void diag_format(const struct diag_entry *e, char *buf, size_t size);
/* Sorts the entries by file, line, column; equal positions keep their order. */
void diag_sort(struct diag *d);

#endif
