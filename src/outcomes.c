/* outcomes.c — counting, decoding and indexing the answers to queries, and
 * the odometer over joint outcomes (see outcomes.h for the numbering).
 * Not here: any probability. */
#include "outcomes.h"

#include <string.h>

size_t outcomes_count(size_t m, size_t r, size_t max)
{
    if (r > m) return 0;
    size_t n = 1;
    for (size_t s = 0; s < r; s++) {
        n *= m - s;
        if (n > max) return 0;
    }
    return n;
}

size_t outcomes_joint_count(size_t n1, size_t T, size_t max)
{
    if (n1 == 0) return 0;
    size_t n = 1;
    for (size_t t = 0; t < T; t++) {
        if (n > max / n1) return 0;
        n *= n1;
    }
    return n > max ? 0 : n;
}

void outcomes_decode(size_t j, size_t m, size_t r, uint32_t *ord,
                     unsigned char *used)
{
    /* The mixed-radix digits go into ord[0..r) first; each is read just
     * before its slot is overwritten with the candidate it selects. */
    for (size_t s = r; s-- > 0;) {
        ord[s] = (uint32_t)(j % (m - s));
        j /= m - s;
    }
    memset(used, 0, m);
    for (size_t s = 0; s < r; s++) {
        size_t pos = ord[s];
        for (size_t i = 0; i < m; i++) {
            if (used[i]) continue;
            if (pos == 0) {
                ord[s] = (uint32_t)i;
                used[i] = 1;
                break;
            }
            pos--;
        }
    }
    size_t t = r;
    for (size_t i = 0; i < m; i++)
        if (!used[i]) ord[t++] = (uint32_t)i;
}

size_t outcomes_index(const uint32_t *ranked, size_t m, size_t r,
                      unsigned char *used)
{
    memset(used, 0, m);
    size_t idx = 0;
    for (size_t s = 0; s < r; s++) {
        size_t pos = 0;
        for (size_t i = 0; i < ranked[s]; i++) pos += !used[i];
        used[ranked[s]] = 1;
        idx = idx * (m - s) + pos;
    }
    return idx;
}

size_t outcomes_next(size_t *digit, size_t T, size_t n1)
{
    size_t t = T;
    while (t > 0) {
        t--;
        if (++digit[t] < n1) return t;
        digit[t] = 0;
    }
    return 0;
}
