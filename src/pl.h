/* pl.h — the Plackett–Luce kernel: log-likelihood, derivatives, sampling.
 *
 * Every estimator calls these. An answer to a query with m candidates is a
 * top-r ordering; by the canonical order of data.h the chosen candidates are
 * rows 0..r-1 in rank order, so the answer is implicit in (m, r):
 *
 *   log P = sum_{s<r} [ u_s - log sum_{j>=s} exp(u_j) ]
 *
 * Bradley–Terry is m = 2, r = 1. All work is in log space with a suffix
 * log-sum-exp, so nothing underflows however extreme the utilities.
 * No function here allocates; callers pass work buffers. Not here: mixtures,
 * responsibilities and optimisation (those live in the estimators). */
#ifndef HETPREF_PL_H
#define HETPREF_PL_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

/* log P(rows 0..r-1 ranked first, in order | utilities u[0..m)).
 * Requires 1 <= r <= m - 1 (r = m is accepted and equals r = m - 1). O(m). */
double pl_loglik(const double *u, size_t m, size_t r);

/* Same, and writes the gradient with respect to u into du (m entries,
 * overwritten). O(m r). */
double pl_loglik_du(const double *u, size_t m, size_t r, double *du);

/* Linear utilities u = X theta, X (m, d) row-major. Returns log P and
 * accumulates  grad += w * d logP/d theta  (d entries) and, when hess is not
 * NULL,  hess += w * d2 logP/d theta2  ((d, d) row-major, full symmetric;
 * negative semi-definite). work needs 2 m + d doubles. O(r m d^2). */
double pl_linear_accum(const double *x, size_t m, size_t d, size_t r,
                       const double *theta, double w, double *grad,
                       double *hess, double *work);

/* Same as pl_linear_accum but updates only the upper triangle of hess
 * (b >= a), about half the work; complete it with pl_sym_from_upper once
 * the accumulation is done. hess must not be NULL. */
double pl_linear_accum_upper(const double *x, size_t m, size_t d, size_t r,
                             const double *theta, double w, double *grad,
                             double *hess, double *work);

/* Bradley–Terry pairs on differences. A pair (m = 2, r = 1) depends on x
 * only through delta = x_winner - x_loser (row 0 minus row 1): its
 * log-likelihood is log sigma(z), z = theta . delta. pl_pair_delta writes
 * delta (d entries). */
void pl_pair_delta(const double *x, size_t d, double *delta);

/* For T pairs with differences delta (T, d) row-major: returns
 * sum_t log sigma(z_t), and accumulates grad += sum_t sigma(-z_t) delta_t and
 * the upper triangle (b >= a) of hess -= sum_t sigma(z_t) sigma(-z_t)
 * delta_t delta_t^T ((d, d) row-major; hess not NULL). One exp per pair
 * (vecops_expneg, vectorised across pairs) and one log per call:
 * log sigma(z) = min(z, 0) - log(1 + exp(-|z|)), and the
 * factors 1 + exp(-|z|) in [1, 2] are multiplied (their log taken whenever
 * the product passes 2^512, so it never overflows). The log-likelihood
 * agrees with the sum of log1p's to within T ulps of 1 in absolute terms; a
 * NaN z gives a NaN result. Nothing allocates. O(T d^2). */
double pl_pairs_accum_upper(const double *delta, size_t T, size_t d,
                            const double *theta, double *grad, double *hess);

/* pl_pairs_accum_upper for K classes at once (theta (K, d)): ll[k] (K),
 * grad (K, d) and the upper triangles of hess (K, d, d) as that function
 * computes them for theta_k, the same bits; one vecops_logistic call per
 * chunk of pairs serves every class. work needs pl_pairs_work(K) doubles. */
void pl_pairs_accum(const double *delta, size_t T, size_t d, const double *theta,
                    size_t K, double *ll, double *grad, double *hess, double *work);

/* Doubles of work pl_pairs_accum needs for K classes. */
size_t pl_pairs_work(size_t K);

/* A log-likelihood of pl_pairs_accum or pl_stages_accum from its parts:
 * lin the linear sum, lg the logs the guard took, lp the log of the
 * product of the normalisers left. */
static inline double pl_ll_parts(double lin, double lg, double lp)
{
    return lin - (lg + lp);
}

/* The log-likelihoods sum_t log sigma(z_t) of nu users' pairs from their
 * margins z and factors f (vecops_logistic), both (K, n) with user u's
 * pairs at columns uq[u] - uq[0] .. uq[u + 1] - uq[0] (n >= uq[nu] - uq[0]),
 * in parts, exactly as pl_pairs_accum sums them: for user u and class k,
 * at e = u K + k, acc[e] = the sum of min(z_t, 0), acc[na + e] = the logs
 * the guard took, acc[2 na + e] = the product of the f left (na >= nu K:
 * so the caller takes the logs of many products in one vecops_log call).
 * pl_ll_parts(acc[e], acc[na + e], vecops_log1(acc[2 na + e])) is the
 * log-likelihood, the bits of pl_pairs_accum for the same z. */
void pl_pairs_users(const double *z, const double *f, size_t n,
                    const size_t *uq, size_t nu, size_t K, double *acc, size_t na);

/* Rankings of few candidates on differences. A query of m <= PL_STAGES_M
 * candidates depends on x only through D_j = x_j - x_0 (j = 1..m-1, the
 * chosen row 0 subtracted): pl_stages_diff writes D ((m - 1, d)). */
#define PL_STAGES_M 8
#define PL_STAGES_D 32
void pl_stages_diff(const double *x, size_t m, size_t d, double *D);

/* For T queries of one user (query t: m_t = cand[t+1] - cand[t] candidates,
 * 2 <= m_t <= PL_STAGES_M, r[t] ranked, r >= m taken as m - 1; its D rows
 * at D + (cand[t] - cand[0] - t) d, as pl_stages_diff writes them) and K
 * classes (theta (K, d), d <= PL_STAGES_D): ll[k] = log P of all T answers,
 * and accumulates grad (K, d) and the upper triangles of hess (K, d, d)
 * as pl_linear_accum_upper does (w = 1). The stage exps of every class go
 * in one vecops_expneg call per chunk of queries (the maximum's is
 * exp(0) = 1 exactly); the stage normalisers z_s in [1, m] are multiplied
 * and one log taken per class (and whenever the product passes 2^512, so it
 * never overflows). Agrees with pl_linear_accum_upper to rounding (the
 * differences are exact where the utilities cancel, so where that path
 * loses digits to |u| this one does not); a NaN or infinite utility gives
 * NaN where that path does. Class k's results are the same bits for any K.
 * work needs pl_stages_work(K) doubles. Nothing allocates. O(T m r d^2). */
void pl_stages_accum(const double *D, const size_t *cand, const uint32_t *r,
                     size_t T, size_t d, const double *theta, size_t K,
                     double *ll, double *grad, double *hess, double *work);

/* Doubles of work pl_stages_accum needs for K classes. */
size_t pl_stages_work(size_t K);

/* pl_stages_accum split for a sub-block of several users' queries, so one
 * vecops_expneg call serves them all. pl_stages_exps: the exps a query of m
 * candidates and r ranked takes per class (r >= m taken as m - 1).
 * pl_stages_args: for T queries (cand, r and D as pl_stages_accum takes
 * them, any users) and K classes, class k's stage arguments (all <= 0) at
 * arg + k n in query order, n = the sum of their pl_stages_exps, and
 * lin[k T + t] = sum_s (v_s - max) of query t; returns their shape code
 * (0: mixed). Take y = vecops_expneg of the arguments, then
 * pl_stages_users for nu users among them: user u's queries uq[u] ..
 * uq[u + 1] - 1 (absolute indices: D, cand and r are the whole data set's,
 * the differences of query q at D + (cand[q] - q) d; slot[q] = the exps per
 * class of the queries before q; uq[0] the first query of the arguments);
 * u the shape code of pl_stages_args, or 0; class k's exps at e + k ne, its
 * lin at lin + k nl. For user u and class k it writes the sum of lin at
 * acc[u K + k], the logs its guard took at acc[na + u K + k] and the product
 * of its normalisers at acc[2 na + u K + k] (na >= nu K: so the caller takes
 * the logs of all users' products in one vecops_log call), and writes grad
 * (nu, K, d) and the upper hess (nu, K, d, d) (the sums from zero; the
 * lower triangles untouched). Then
 * pl_ll_parts(acc[t], acc[na + t], vecops_log1(acc[2 na + t])) is the
 * log-likelihood: the same bits as pl_stages_accum gives that user. Nothing
 * allocates. */
size_t pl_stages_exps(size_t m, size_t r);
size_t pl_stages_args(const double *D, const size_t *cand, const uint32_t *r,
                      size_t T, size_t d, const double *theta, size_t K, size_t n,
                      double *lin, double *arg);
void pl_stages_users(const double *D, const size_t *cand, const uint32_t *r,
                     const size_t *uq, const size_t *slot, size_t nu, size_t d,
                     size_t K, size_t u, const double *e, size_t ne,
                     const double *lin, size_t nl, double *acc, size_t na,
                     double *grad, double *hess);

/* Copy the upper triangle of the (d, d) row-major A onto its lower one. */
void pl_sym_from_upper(double *A, size_t d);

/* u[j] = x_j . theta for j < m (X (m, d) row-major). */
void pl_utilities(const double *x, size_t m, size_t d, const double *theta,
                  double *u);

/* Draw an exact Plackett–Luce top-r ordering: perturb each u_j with an
 * independent standard Gumbel variate and keep the r largest, best first
 * (Gumbel-max trick). Writes perm[0..r) (indices into 0..m-1, distinct).
 * work needs m doubles. Uses m uniform draws from rng. O(m r). */
void pl_sample(const gsl_rng *rng, const double *u, size_t m, size_t r,
               uint32_t *perm, double *work);

/* log(exp(a) + exp(b)) without overflow. */
static inline double pl_logaddexp(double a, double b);

#include <math.h>
static inline double pl_logaddexp(double a, double b)
{
    if (a < b) { double t = a; a = b; b = t; }
    if (b == -INFINITY) return a;
    return a + log1p(exp(b - a));
}

#endif
