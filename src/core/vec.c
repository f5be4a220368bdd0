/*
 * vec — see vec.h. The array is passed by the address of its pointer as
 * void *, so one function serves every element type.
 */
#include "core/vec.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
vec_reserve(void *arrp, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap != 0 ? *cap : 64;
	while (n < need) {
		if (n > SIZE_MAX / 2) {
			errno = ENOMEM;
			return -1;
		}
		n *= 2;
	}
	if (elem != 0 && n > SIZE_MAX / elem) {
		errno = ENOMEM;
		return -1;
	}
	void *old;
	memcpy(&old, arrp, sizeof(old));
	void *p = realloc(old, n * elem);
	if (p == NULL)
		return -1;
	memcpy(arrp, &p, sizeof(p));
	*cap = n;
	return 0;
}
