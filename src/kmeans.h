/* kmeans.h — k-means clustering of points in R^d: Lloyd's algorithm with
 * k-means++ seeding (Arthur & Vassilvitskii 2007), several seeded restarts,
 * the lowest within-cluster sum of squares wins.
 *
 * Written here because neither GSL nor the other dependencies offer
 * k-means; EM-DPO uses it once per fit to start from a hard clustering of
 * per-user preference summaries. Deterministic for a given generator state.
 * Not here: choosing K, weighted points, other distances, or anything that
 * knows about preference data (the summaries are built in emdpo.c). */
#ifndef HETPREF_KMEANS_H
#define HETPREF_KMEANS_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

typedef struct kmeans_params {
    size_t restarts;  /* k-means++ seedings tried (default 10) */
    size_t max_iter;  /* Lloyd iterations per restart (default 100) */
} kmeans_params;

/* Defaults as documented above. */
void kmeans_params_init(kmeans_params *p);

/* Cluster the n points x (n, d) row-major into K clusters (1 <= K <= n,
 * n >= 1) and write each point's cluster to labels (n, values < K) and,
 * when sse is not NULL, the within-cluster sum of squares of the winner.
 * Each restart seeds by k-means++ from r, then alternates assignment (the
 * nearest centre, ties to the lower index) and centre update (an emptied
 * cluster is re-seeded at a random point) until no label changes or
 * max_iter. p may be NULL (defaults). Returns PREF_OK, PREF_EINPUT (bad
 * sizes or params) or PREF_ENOMEM. Time O(restarts * max_iter * n K d). */
int kmeans_cluster(const double *x, size_t n, size_t d, size_t K,
                   const kmeans_params *p, gsl_rng *r, uint32_t *labels,
                   double *sse);

#endif
