/*
 * vec — room in a growable array: the doubling realloc that arrays kept
 * from sweep to sweep (the collectors' records, descriptors and scratch)
 * all need, written once.
 */
#ifndef VIGIL_CORE_VEC_H
#define VIGIL_CORE_VEC_H

#include <stddef.h>

/*
 * Makes *arrp (an array of elements of elem bytes with room for *cap of
 * them; NULL and 0 at first) hold at least need: doubles from 64 until it
 * does. arrp is the address of the array pointer. 0, or -1 with errno
 * (ENOMEM; the array and *cap are left as they were).
 */
int vec_reserve(void *arrp, size_t *cap, size_t need, size_t elem);

#endif
