/* kselect.h — choosing the number of latent types K: V-fold
 * cross-validation by user and the picks by BIC and by held-out
 * log-likelihood.
 *
 * Folds are drawn by user (all of a user's answers are in one fold), from
 * the seed alone, so a configuration and seed give the same folds for any
 * thread count. For fold v the model is fitted on the users of the other
 * folds and every user of fold v is scored by the log of its marginal
 * likelihood over the types of that fit, log sum_k eta_k L_k(user). Over
 * the V folds every user is scored exactly once.
 *
 * The held-out criterion of a K is the total of the per-user values (the
 * same scale as a log-likelihood); its standard error is sqrt(n) times the
 * standard deviation of the n per-user values (the sd of a sum of n
 * exchangeable terms). K is picked by the one-standard-error rule: the
 * smallest K whose total is within one standard error of the best total
 * (Hastie, Tibshirani and Friedman, The Elements of Statistical Learning,
 * 2nd ed., sec. 7.10). The BIC pick is the K of smallest BIC.
 * Not here: the output files (kselectout.h) and the command line
 * (cli_fit.c). */
#ifndef HETPREF_KSELECT_H
#define HETPREF_KSELECT_H

#include <stddef.h>
#include <stdint.h>

#include "data.h"
#include "emdpo.h"
#include "mix.h"

#define KSELECT_STREAM 0x6b73656cULL /* "ksel": the fold and fold-fit seeds */

/* Fold of every user into fold (n_users entries, values 0..V-1): a
 * uniformly random permutation of the users from the generator
 * rngs_seed(seed, 0, KSELECT_STREAM); the user at position j of it goes to
 * fold j mod V, so fold sizes differ by at most one. Returns PREF_OK,
 * PREF_EINPUT (V < 2 or V > n_users) or PREF_ENOMEM. O(n_users). */
int kselect_folds(size_t n_users, size_t V, uint64_t seed, size_t *fold);

/* The users of fold v (test = 1) or of every other fold (test = 0), in
 * increasing order, into idx (room for n entries). Returns their count. */
size_t kselect_fold_users(const size_t *fold, size_t n, size_t v, int test,
                          size_t *idx);

/* The seed of the fits on the training users of fold v:
 * rngs_seed(seed, v + 1, KSELECT_STREAM). */
uint64_t kselect_fold_seed(uint64_t seed, size_t v);

/* Cross-validated per-user log-likelihoods of the K-type latent-class
 * model: for each fold v, mix_fit_run on the other folds' users with p
 * (its seed replaced by kselect_fold_seed(p->seed, v)), then
 * mix_user_loglik_at on fold v's users, into ll (n_users). *converged
 * (may be NULL) is 1 when every fold fit converged. Returns PREF_OK,
 * PREF_EINPUT (bad folds, K above the training users of a fold: the
 * message names the fold), PREF_ENUM or PREF_ENOMEM.
 * Time: V fits on about (V - 1) / V of the data. */
int kselect_cv_lcl(const data_set *ds, const size_t *fold, size_t V, size_t K,
                   const mix_params *p, double *ll, int *converged);

/* The same for EM-DPO with p->K types (its seed replaced per fold as
 * above), scoring by emdpo_user_loglik at the kept iterate; *converged is
 * 1 when EM-DPO's tolerance rule stopped every fold fit. */
int kselect_cv_emdpo(const data_set *ds, const size_t *fold, size_t V,
                     const emdpo_params *p, double *ll, int *converged);

/* The held-out total sum_i ll[i] and its standard error sqrt(n) * sd(ll)
 * (sd with divisor n - 1; NaN for n < 2). */
void kselect_total(const double *ll, size_t n, double *total, double *se);

/* Index of the smallest non-NaN crit[0..n), or SIZE_MAX when all are NaN
 * (the earliest on ties). */
size_t kselect_pick_min(const double *crit, size_t n);

/* One-standard-error rule on totals ll and their standard errors se,
 * ordered by increasing K: with b the index of the largest non-NaN ll (the
 * earliest on ties; into *best, which may be NULL), the smallest index j
 * with ll[j] >= ll[b] - se[b] (se[b] NaN counts as 0). SIZE_MAX (both)
 * when every ll is NaN. */
size_t kselect_pick_1se(const double *ll, const double *se, size_t n,
                        size_t *best);

#endif
