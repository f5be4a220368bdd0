/*
 * diag — owns the list of problems found while reading user input.
 */
#include "core/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void
diag_init(struct diag *d)
{
	memset(d, 0, sizeof(*d));
}

void
diag_fini(struct diag *d)
{
	for (size_t i = 0; i < d->count; i++) {
		free(d->entries[i].file);
		free(d->entries[i].msg);
	}
	d->count = 0;
	d->dropped = 0;
}

void
diag_add(struct diag *d, const char *file, int line, int col,
    const char *fmt, ...)
{
	if (d->count == DIAG_KEEP) {
		d->dropped++;
		return;
	}
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	struct diag_entry *e = &d->entries[d->count++];
	e->file = file != NULL ? strdup(file) : NULL;
	e->line = line;
	e->col = col;
	e->msg = strdup(buf);
}

size_t
diag_total(const struct diag *d)
{
	return d->count + d->dropped;
}

static int
diag_cmp_pos(const struct diag_entry *a, const struct diag_entry *b)
{
	int c = strcmp(a->file != NULL ? a->file : "", b->file != NULL ? b->file : "");
	if (c != 0)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	return 0;
}

void
diag_sort(struct diag *d)
{
	/* Insertion sort: stable, and the list is short. */
	for (size_t i = 1; i < d->count; i++) {
		struct diag_entry e = d->entries[i];
		size_t j = i;
		while (j > 0 && diag_cmp_pos(&d->entries[j - 1], &e) > 0) {
			d->entries[j] = d->entries[j - 1];
			j--;
		}
		d->entries[j] = e;
	}
}

void
diag_format(const struct diag_entry *e, char *buf, size_t size)
{
	const char *file = e->file != NULL ? e->file : "vigil";
	if (e->line > 0 && e->col > 0)
		snprintf(buf, size, "%s:%d:%d: %s", file, e->line, e->col, e->msg);
	else if (e->line > 0)
		snprintf(buf, size, "%s:%d: %s", file, e->line, e->msg);
	else
		snprintf(buf, size, "%s: %s", file, e->msg);
}

void
diag_print(struct diag *d, FILE *f)
{
	diag_sort(d);
	size_t shown = d->count < DIAG_SHOW ? d->count : DIAG_SHOW;
	char buf[1400];
	for (size_t i = 0; i < shown; i++) {
		diag_format(&d->entries[i], buf, sizeof(buf));
		fprintf(f, "%s\n", buf);
	}
	size_t total = diag_total(d);
	if (total > shown)
		fprintf(f, "vigil: %zu more problems not shown\n", total - shown);
}
