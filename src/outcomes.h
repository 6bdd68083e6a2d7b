/* outcomes.h — numbering every possible answer: the top-r orderings of one
 * query's m candidates, and the joint outcomes of a user's T answers.
 *
 * What it does. An answer to a query is an ordered tuple of r distinct
 * candidates out of m; there are m!/(m-r)! of them. Outcome j is numbered in
 * mixed radix (m, m-1, ..., m-r+1), most significant digit first: digit s is
 * the position of the s-th ranked candidate among the candidates not yet
 * ranked. Increasing j therefore lists the tuples in lexicographic order of
 * the candidate indices (for full rankings of 3: 012, 021, 102, 120, 201,
 * 210). A joint outcome of T queries with n1 outcomes each is numbered in
 * mixed radix (n1, ..., n1) over the queries, query 0 the most significant
 * digit; outcomes_next walks them in that order as an odometer.
 *
 * The candidate order of an outcome is the canonical order of pl.h / data.h
 * (the r ranked candidates best first, then the others in their original
 * order), so pl_loglik of the utilities permuted by it is log P(outcome).
 *
 * Deliberately not here: probabilities (pl.c, identify.c), sampling answers
 * (pl_sample). Nothing here allocates or reports errors. */
#ifndef HETPREF_OUTCOMES_H
#define HETPREF_OUTCOMES_H

#include <stddef.h>
#include <stdint.h>

/* m!/(m-r)!, the outcomes of one query (1 when r = 0). Returns 0 when r > m
 * or when the count exceeds max. O(r). */
size_t outcomes_count(size_t m, size_t r, size_t max);

/* n1^T, the joint outcomes of T queries of n1 outcomes each (1 when T = 0).
 * Returns 0 when n1 = 0 or the count exceeds max. O(T). */
size_t outcomes_joint_count(size_t n1, size_t T, size_t max);

/* The candidate order of outcome j (0 <= j < outcomes_count(m, r, ...)):
 * ord[0..r) the ranked candidates best first, ord[r..m) the others in
 * increasing order; ord has m entries, used m bytes of scratch (on return
 * used[i] = 1 exactly for the ranked candidates). r <= m. O(r m). */
void outcomes_decode(size_t j, size_t m, size_t r, uint32_t *ord,
                     unsigned char *used);

/* The number of the outcome whose ranked candidates are ranked[0..r)
 * (distinct, each < m): the inverse of outcomes_decode. used: m bytes of
 * scratch. O(r m). */
size_t outcomes_index(const uint32_t *ranked, size_t m, size_t r,
                      unsigned char *used);

/* Advance the odometer digit[0..T) (each digit in 0..n1-1, query T-1 the
 * fastest) to the next joint outcome. Returns the most significant query
 * whose digit changed; after the last outcome every digit wraps to 0 and the
 * return value is 0. O(T) worst case, O(1) amortised. */
size_t outcomes_next(size_t *digit, size_t T, size_t n1);

#endif
