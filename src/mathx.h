/* mathx.h — the two numeric kernels every estimator shares: log-sum-exp and
 * the index of the largest entry (the most likely type of a posterior row).
 *
 * They are static inline because they sit in the innermost loops of the
 * Plackett–Luce likelihood and the E-steps; one definition here replaces the
 * copies that each module used to carry, so a numerical fix reaches them all.
 * The arithmetic order is fixed (max first, then the exponentials summed in
 * index order, then max + log(sum)), so results are bit-for-bit those of the
 * loops this replaced. Not here: anything that allocates or reports errors. */
#ifndef HETPREF_MATHX_H
#define HETPREF_MATHX_H

#include <math.h>
#include <stddef.h>

/* log sum_j exp(x[j]) for n >= 1 terms, stabilised by the largest term.
 * Terms may be -inf (not all of them: then the result is NaN). */
static inline double mathx_logsumexp(const double *x, size_t n)
{
    double mx = x[0];
    for (size_t j = 1; j < n; j++)
        if (x[j] > mx) mx = x[j];
    double s = 0.0;
    for (size_t j = 0; j < n; j++) s += exp(x[j] - mx);
    return mx + log(s);
}

/* The first index of the largest of x[0..n), n >= 1 (ties go to the lower
 * index; NaN entries are never chosen over x[0]). */
static inline size_t mathx_argmax(const double *x, size_t n)
{
    size_t b = 0;
    for (size_t j = 1; j < n; j++)
        if (x[j] > x[b]) b = j;
    return b;
}

#endif
