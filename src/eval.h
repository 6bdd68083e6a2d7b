/* eval.h — evaluation of estimates against a known (simulated) truth.
 *
 * One copy of each piece of scoring that the estimators' tests, the
 * experiments in sims/ and `hetpref fit` share:
 *   - label matching: the best one-to-one assignment of estimated to true
 *     labels (all permutations for up to EVAL_EXACT_MAX labels, greedy
 *     above), and the clustering accuracy under it (eval_align);
 *   - the adjusted Rand index (Hubert & Arabie 1985) of two labelings;
 *   - the latent-class summary (accuracy, ARI and the W1 error of the
 *     mixing distribution) of a mix_fit;
 *   - the exact per-type value and regret of a policy (or a mixture of
 *     policies) over simulated candidate pools:
 *       Regret_t(pi) = V_t* - V_t(pi),
 *       V_t(pi) = E_p[sum_y pi(y|p) r_t(y) - beta KL(pi || pi_ref)],
 *       V_t* = beta E_p log sum_y pi_ref(y|p) exp(r_t(y) / beta).
 * Not here: fitting (mix.h, emdpo.h), the W1 linear program itself (w1.h),
 * file output, and estimated (rather than exact) regret (pool.h, mmra.h). */
#ifndef HETPREF_EVAL_H
#define HETPREF_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "nn.h"
#include "sim.h"

struct mix_fit; /* mix.h; only a pointer is needed here */

/* Label counts up to which eval_assign tries every permutation. */
#define EVAL_EXACT_MAX 8
/* Largest number of labels the matching and the ARI handle. */
#define EVAL_MAX_LABELS 64

/* Best one-to-one assignment: perm (n entries) maximising
 * sum_k score[k * n + perm[k]] over the permutations of 0..n-1. For
 * n <= EVAL_EXACT_MAX every permutation is tried in lexicographic order and
 * the first best is kept (so ties favour the identity); above, greedily:
 * the largest remaining entry (first in row-major order) is taken until
 * every row is matched. score is (n, n) row-major, 1 <= n <= EVAL_MAX_LABELS.
 * Returns the total score of perm. Time O(n! n) exact, O(n^3) greedy. */
double eval_assign(const double *score, size_t n, size_t *perm);

/* The most likely label of each row of post (n, K): labels[i] = argmax_k
 * post[i * K + k], ties to the lower label. */
void eval_map_labels(const double *post, size_t n, size_t K, uint32_t *labels);

/* 1 + the largest label in truth (n entries, DATA_NONE skipped); 0 if none. */
uint32_t eval_n_labels(const uint32_t *truth, size_t n);

/* Accuracy of the MAP labels of posteriors post (n, K) against truth
 * (n, labels < Kt, DATA_NONE skipped) under the best matching of estimated
 * to true labels (eval_assign on the confusion counts of
 * max(K, Kt) <= EVAL_MAX_LABELS labels). perm (may be NULL, K entries)
 * receives the true label matched to each estimated label (or SIZE_MAX
 * when unmatched). Returns the accuracy (NaN when no user has a label). */
double eval_align(const double *post, size_t n, size_t K, const uint32_t *truth,
                  size_t Kt, size_t *perm);

/* Adjusted Rand index of two labelings of n items (labels <
 * EVAL_MAX_LABELS, else NaN); 1 for identical partitions. */
double eval_ari(const uint32_t *a, const uint32_t *b, size_t n);

/* ARI of the MAP labels of post (n, K) against truth into *ari. Returns
 * PREF_OK or PREF_ENOMEM (*ari is then NaN). */
int eval_ari_post(const double *post, size_t n, size_t K, const uint32_t *truth,
                  double *ari);

/* Latent-class fit f against a known truth. true_type (f->n_users, 0-based,
 * DATA_NONE skipped) with Kt types; true_eta/true_theta (Kt, d; may be NULL:
 * *w1 is then NaN). Writes the accuracy (eval_align), the ARI of the MAP
 * labels and the W1 distance between the fitted and true mixing
 * distributions. Returns PREF_OK, PREF_ENOMEM or an error from w1_distance
 * (PREF_EINPUT, PREF_ELP). */
int eval_mix_fit(const struct mix_fit *f, const uint32_t *true_type, size_t Kt,
                 const double *true_eta, const double *true_theta,
                 double *accuracy, double *ari, double *w1);

/* Regret V_t* - V_t(pi) of one pool of P candidates, given the policy's
 * probabilities pi and log-probabilities lp (P each: candidates with
 * pi = 0 contribute nothing, 0 log 0 = 0), the rewards r_t (P) of the type,
 * the reference log-probabilities lref (P) and beta > 0. */
double eval_pool_regret(size_t P, const double *pi, const double *lp,
                        const double *r, const double *lref, double beta);

/* Doubles of work that eval_true_regret needs for pools of P candidates. */
size_t eval_regret_work_size(const nn_config *net, size_t P);

/* Exact regret of true type t (< pop->K) averaged over the pools of the
 * prompts [lo, hi) of design g (lo < hi), for beta > 0, of
 *   - w == NULL: the single policy pi(y|p) = softmax_y f(x_y) with network
 *     params (net; NULL: the reference policy pi_ref itself), K and np
 *     unused;
 *   - w != NULL: the mixture sum_j w_j pi_j of the K policies params
 *     (K, np) (weights w (K) >= 0 summing to 1; zero weights skipped).
 * work: eval_regret_work_size(net, g->pool) doubles. Never allocates.
 * Time O((hi - lo) * K * cost of one forward pass over a pool). */
double eval_true_regret(const sim_population *pop, const sim_design *g,
                        size_t lo, size_t hi, const nn_config *net,
                        const double *params, size_t np, size_t K,
                        const double *w, size_t t, double beta, double *work);

#endif
