/* pool.h — candidate pools per prompt, and exact policy evaluation on them
 *.
 *
 * A pool is the finite set of candidate answers y of one prompt p. Policies
 * are distributions over a pool: pi(y | p) = softmax_y f(x_y) for a policy
 * network f (nn.h, policyio.h), and the reference pi_ref(y | p) is stored as
 * log-probabilities normalised within the pool. Pools are flat, CSR style:
 * pool p owns items [off[p], off[p+1]) of x and logp_ref.
 *
 * Built from preference data by pool_from_data: the pool of a prompt is the
 * set of distinct items (by item id) of the queries asked with that prompt.
 * Not here: reading policies (policyio.h), the MMRA game (mmra.h). */
#ifndef HETPREF_POOL_H
#define HETPREF_POOL_H

#include <stddef.h>

#include "data.h"
#include "nn.h"
#include "policyio.h"

typedef struct pool_set {
    size_t n_prompts;  /* pools (prompts with at least one query) */
    size_t d;          /* features per item */
    size_t *off;       /* (n_prompts + 1): pool p is [off[p], off[p+1]) */
    double *x;         /* (n_items, d) row-major features */
    double *logp_ref;  /* (n_items) log pi_ref(y | p), log-sum-exp 0 per pool */
} pool_set;

/* Number of items over all pools, off[n_prompts]. */
static inline size_t pool_n_items(const pool_set *ps)
{
    return ps->off[ps->n_prompts];
}

/* A pool set with the given sizes (n_prompts >= 1, n_items >= 1, d >= 1);
 * off, x and logp_ref are zeroed for the caller to fill (off[n_prompts]
 * must end up n_items). NULL on failure, with *err = PREF_EINPUT (a zero
 * or overflowing size) or PREF_ENOMEM; else *err = PREF_OK. err may be
 * NULL. Free with pool_free. */
pool_set *pool_alloc(size_t n_prompts, size_t n_items, size_t d, int *err);

/* NULL is a no-op. */
void pool_free(pool_set *ps);

/* Build the pools of ds. Prompts are taken in increasing prompt index (the
 * order of first appearance in a CSV file); a prompt none of whose queries
 * survive (possible only for hand-built sets) and queries with an empty
 * prompt (DATA_NONE) are skipped. The pool of prompt p holds each distinct
 * item id of p's queries once, in increasing item index, with its features
 * and its logp_ref (ds->logp_ref, or 0 when ds has none) renormalised within
 * the pool by log-sum-exp, so logp_ref = 0 everywhere gives the uniform
 * reference.
 *
 * Returns PREF_OK and *out (caller frees with pool_free), or PREF_EINPUT with
 * a message (the caller prefixes the data file's name) when ds has no prompt
 * column, no query has a prompt, or one item id has different features (or
 * different logp_ref) in two queries of the same prompt, or PREF_ENOMEM. On
 * error *out is NULL. O(n_cands log n_cands + n_cands d) time, one index
 * array of n_cands entries. */
int pool_from_data(const data_set *ds, pool_set **out);

/* Doubles of work buffer pool_policy_logprobs needs for network net on ps:
 * nn_acts_size(net, largest pool). */
size_t pool_work_size(const pool_set *ps, const nn_config *net);

/* log pi(y | p) = f(x_y) - log sum_{y' in pool p} exp f(x_y') for every item
 * of every pool, for the network net with parameters params (net->d must
 * equal ps->d). logp: (n_items) output; work: pool_work_size(ps, net)
 * doubles. Never allocates. Returns PREF_OK, PREF_EINPUT (dimension
 * mismatch) or PREF_ENUM (a non-finite network output; logp is then
 * partly written). O(n_items * cost of one forward row). */
int pool_policy_logprobs(const pool_set *ps, const nn_config *net,
                         const double *params, double *logp, double *work);

/* The value matrix of MMRA, exact over the pools:
 *
 *   L[i][j] = (1 / n_prompts) sum_p sum_{y in pool p}
 *             pi_j(y | p) (log pi_i(y | p) - log pi_ref(y | p)),
 *
 * i.e. type i's implicit reward (divided by beta) of what policy j
 * produces, for the K policies of pols. L: (K, K) row-major output.
 * Allocates K * n_items + pool_work_size doubles for the call.
 * Returns PREF_OK, PREF_EINPUT (pols->net.d != ps->d; message names both),
 * PREF_ENOMEM or PREF_ENUM (a non-finite network output). O(K n_items
 * forward + K^2 n_items). */
int pool_value_matrix(const pool_set *ps, const policy_set *pols, double *L);

#endif
