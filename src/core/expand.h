/*
 * expand — "${VAR}" substitution in stack-file strings.
 *
 *   ${VAR}          the value, or "" when unset
 *   ${VAR:-word}    word when VAR is unset or empty    ${VAR-word}: only unset
 *   ${VAR:?message} an error when VAR is unset or empty ${VAR?message}: only unset
 *   $$              a literal "$"
 * A "$" followed by anything else is kept as it is, so "$HOME" reaches a
 * shell untouched. word may itself contain ${...}.
 */
#ifndef VIGIL_CORE_EXPAND_H
#define VIGIL_CORE_EXPAND_H

#include <stdbool.h>
#include <stddef.h>

/* Looks a variable up; NULL when unset. */
typedef const char *(*expand_lookup_fn)(const char *name, void *ctx);

/* The process environment, for expand_string. */
const char *expand_getenv(const char *name, void *ctx);

/*
 * Expands in into *out (malloc'd; the caller frees). On error returns false,
 * sets *out to NULL, writes a one-line message to err and the byte offset of
 * the offending "$" to *err_off.
 */
bool expand_string(const char *in, expand_lookup_fn lookup, void *ctx,
    char **out, char *err, size_t err_size, size_t *err_off);

#endif
