/*
 * arena — a bump allocator for data that lives and dies together (a parsed
 * stack file and everything hanging off it). Freeing the arena frees all.
 */
#ifndef VIGIL_CORE_ARENA_H
#define VIGIL_CORE_ARENA_H

#include <stddef.h>

struct arena;

/* A new, empty arena; NULL when out of memory. */
struct arena *arena_new(void);
/* Frees every block the arena handed out, then the arena; NULL is fine. */
void arena_free(struct arena *a);
/* Zeroed memory for n bytes, aligned for any type; aborts on out of memory. */
void *arena_alloc(struct arena *a, size_t n);
/* Zeroed memory for count elements of size bytes, checked for overflow. */
void *arena_calloc(struct arena *a, size_t count, size_t size);
/* A copy of the n bytes at s, NUL-terminated. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* A copy of the string s; NULL stays NULL. */
char *arena_strdup(struct arena *a, const char *s);
/* printf into arena memory. */
char *arena_printf(struct arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Bytes handed out so far (for bounds on hostile input). */
size_t arena_used(const struct arena *a);

#endif
