/* array.h - growing an array by doubling, for the few places that keep one
 * (the link's senders, the relay's destinations and pending sends).
 *
 *     void *v = array_grow(xs, n, &cap, sizeof *xs, 16);
 *     if (!v)
 *         return -1;      // out of memory; xs is untouched
 *     xs = v;             // now xs[n] may be written
 */
#ifndef BANGDAI_ARRAY_H
#define BANGDAI_ARRAY_H

#include <stdlib.h>

/* Returns v with room for at least n + 1 elements of elem bytes: v itself
 * when *cap > n, else v reallocated to twice *cap (first when *cap is 0),
 * with *cap updated. Returns NULL when out of memory, leaving v and *cap
 * as they were (the caller still owns v). */
static inline void *array_grow(void *v, size_t n, size_t *cap, size_t elem, size_t first)
{
    if (n < *cap)
        return v;
    size_t c = *cap ? 2 * *cap : first;
    void *nv = realloc(v, c * elem);
    if (nv)
        *cap = c;
    return nv;
}

#endif
