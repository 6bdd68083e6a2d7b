/* predict.h — scoring data with a fitted mixture: per-candidate choice
 * probabilities under each type and under the mixture, and the files of
 * `hetpref predict`.
 *
 * The choice probability of candidate j of a query under type k is the
 * Plackett–Luce probability that j is ranked first, softmax_j(u_k) over the
 * query's candidates, for utilities u_k (linear: theta_k . x; EM-DPO:
 * beta (f_k(x) - logp_ref)); under the mixture it is sum_k eta_k times
 * those, with the population weights eta (the prediction for a user whose
 * type is unknown). Posteriors and the held-out log-likelihood come from
 * the models themselves (mix_posterior_at, emdpo_estep).
 * Not here: fitting (mix.h, emdpo.h), reading estimates (estread.h). */
#ifndef HETPREF_PREDICT_H
#define HETPREF_PREDICT_H

#include <stddef.h>

#include "data.h"

/* Choice probabilities from utilities u (K, n_cands) and weights eta (K)
 * into p (n_cands, K + 1): columns 0..K-1 the types, column K the mixture.
 * Every query's probabilities sum to 1 in each column. O(n_cands K). */
void predict_choices(const data_set *ds, size_t K, const double *eta,
                     const double *u, double *p);

/* Linear utilities theta_k . x of every candidate into u (K, n_cands). */
void predict_linear_utilities(const data_set *ds, size_t K, const double *theta,
                              double *u);

/* Write into dir (which must exist): posteriors.csv (user,p1..pK; post
 * (n_users, K)), choices.csv (user,query,item,p_type1..p_typeK,p_mixture;
 * p from predict_choices, one row per candidate in the data's canonical
 * order) and summary.csv (users,answers,loglik,loglik_per_answer).
 * PREF_OK or PREF_EIO. */
int predict_write(const data_set *ds, size_t K, const double *post,
                  const double *p, double loglik, const char *dir);

#endif
