/* mix.h — latent-class Plackett–Luce (mixed logit with K point masses),
 * fitted by EM.
 *
 * Model: user i has type k with probability eta_k; all of a user's answers
 * follow Plackett–Luce with linear utilities u = theta_k . x. The marginal
 * log-likelihood is sum_i log sum_k eta_k prod_q P(o_q | theta_k).
 *
 * EM: the E-step gives responsibilities gamma_ik; the M-step sets eta_k to
 * the mean responsibility and takes a damped Newton step on each theta_k's
 * gamma-weighted PL log-likelihood (concave: analytic gradient and Hessian,
 * Cholesky of -H + ridge I, step halving until the weighted log-likelihood
 * increases), so the observed log-likelihood never decreases. Once two EM
 * steps in a row each gained more than half the one before (EM slow, or
 * the classes still separating; pairs: see below), an iteration is a
 * Newton step on the observed log-likelihood in (theta, alpha), eta = softmax(alpha, 0):
 * direction J^{-1} s from the observed information J and score s at the
 * current point (summed in the same pass as the E-step: Louis' identity, J
 * = the complete-data information minus the variance of the users'
 * complete-data scores), length 1, 1/2, 1/4 or 1/8, kept at the first that
 * does not lower L; Newton steps follow while they are kept. When J is not
 * positive definite (over-fitted classes, a saddle) the direction is that
 * of J + lambda I, the smallest lambda of 1e-3, 1e-2, ... times J's largest
 * diagonal entry that makes it so (Levenberg–Marquardt). When no length is
 * kept, the iteration is an EM step instead — a SQUAREM cycle (Varadhan &
 * Roland 2008, scheme S3: two EM steps, then an extrapolation kept only
 * when it does not lower L) once EM is slow (gains shrinking at a linear
 * rate between 0.5 and 1, twice) — and, unless EM is slow (then Newton is
 * tried after every cycle), Newton waits for two such EM steps again;
 * after 3 refused Newton steps the start keeps to EM/SQUAREM. Data of
 * pairs only (m = 2: cheap vectorised passes) take Newton only once EM is
 * slow and without the ridge, so a non-identified start (single pairs from
 * a polarised population: J singular) keeps EM's path and its flat test.
 * mix_params.newton = 0: EM and SQUAREM only; accelerate = 0: EM only. In
 * every case L never decreases. Random starts
 * (random hard assignment of users to types, as R's flexmix does), stopping
 * on relative log-likelihood change, empty-class protection (a class whose
 * weight falls below min_weight is re-seeded by splitting the heaviest class
 * and the event is counted), standard errors from the observed information
 * of the marginal likelihood (or the sandwich with per-user scores), AIC,
 * BIC and ICL (flexmix's conventions, n = number of users).
 *
 * Warm starts (mix_params.warm_users = n, default 1000): on data of at
 * least 2n users whose queries are not all pairs, each start first runs
 * all of the above on n users drawn at random and continues on all users
 * from its end point, a Newton step first. A random hard assignment puts
 * every class at nearly the same theta — next to the saddle where all
 * classes are equal — and leaving it takes most of a start's passes
 * (gains growing about 3x per pass); on the subsample those passes cost
 * n/N each, and from its end point Newton needs 3 to 5 passes on all
 * users. Pair data take none: their passes are cheap, and a polarised
 * population's pairs are not identified (the flat test above).
 *
 * Stopping rule: a start stops when its last iteration changed L by at most
 * tol |L|. flexmix stops on the same relative change after each EM step;
 * for an EM step (linear rate r) the optimum is still about gain r / (1 - r)
 * away — up to 20 gains at the rates of weakly separated classes — whereas
 * after a Newton step (quadratic convergence) the gap left is of the order
 * of the square of the last relative gain, so at the same tol the Newton
 * fit stops closer to the optimum than an EM fit would. A SQUAREM cycle
 * is tested on its whole change (three EM maps). A Newton step refused at
 * full length whose predicted gain s . J^{-1} s / 2 is at most tol |L|
 * counts as a change of 0 (converged: the likelihood has no ascent left
 * beyond rounding).
 *
 * Determinism: users are processed in fixed blocks whose partial sums are
 * added in block order, so results are bit-identical for any thread count.
 * Threads: with at least as many starts as threads, whole starts run side
 * by side (POSIX threads, one each, joined: nothing spins while the last
 * start finishes; reduced in start order); else the passes split the user
 * blocks (OpenMP), never with more threads than blocks.
 * Each start s draws from its own generator rngs_seed(seed, s, MIX_STREAM)
 * (MIX_STREAM is the constant 0x6d69785f, "mix_").
 * logp_ref is ignored (linear utilities have no reference policy).
 * Not here: file output (fitout.h), evaluation against a truth (eval.h). */
#ifndef HETPREF_MIX_H
#define HETPREF_MIX_H

#include <stddef.h>
#include <stdint.h>

#include "data.h"

typedef struct mix_params {
    size_t starts;      /* random starts (default 20) */
    double tol;         /* stop when (L_new - L_old) <= tol * |L_new| (1e-9) */
    size_t max_iter;    /* E-step passes per start (default 500) */
    double ridge;       /* added to -H before Cholesky (default 1e-9) */
    double min_weight;  /* empty-class threshold on eta_k (default 1e-6) */
    double best_tol;    /* |L_s - L_best| counted as reaching the best (1e-6) */
    int sandwich;       /* 1: sandwich standard errors; 0: observed info */
    int accelerate;     /* 1: SQUAREM cycles once EM is slow (default);
                           0: plain EM steps throughout */
    int newton;         /* 1: with accelerate, Newton iterations on the
                           observed log-likelihood once EM is slow
                           (default); 0: SQUAREM only */
    double flat_tol;    /* a start stops as flat (not converged) after
                           flat_window iterations in a row that each gained
                           between tol and flat_tol * |L|, none less than
                           the one before (nor 1.1 times more): the
                           parameters drift along a direction the likelihood
                           barely rises on (default 1e-7; 0: never) */
    size_t flat_window; /* iterations in a row for that (default 10) */
    int threads;        /* 0: all cores */
    int subblocks;      /* 1: the passes take users in vectorised sub-blocks
                           where the data allow (default): pairs (the same
                           results to rounding), few candidates per query
                           (the same bits); 0: one kernel call per user
                           (the reference, for tests and benchmarks) */
    size_t warm_users;  /* warm starts: on data of at least 2 warm_users
                           users whose queries are not all pairs, each start
                           first runs to convergence on warm_users users
                           drawn at random and continues on all users from
                           there (default 1000; 0: off, every pass on all
                           users; else >= 100) */
    uint64_t seed;      /* master seed for the starts */
    /* Progress callback (GLPK's cb_func idea), NULL for none (the default):
     * called as progress(progress_ctx, n) when n more units of work are
     * done, possibly from several threads at once (it must be thread-safe).
     * Units: one per random start
     * (starts in all). It never changes the results. */
    void (*progress)(void *ctx, size_t n);
    void *progress_ctx;
} mix_params;

/* Defaults as documented above. */
void mix_params_init(mix_params *p);

/* NULL when p is usable, else a message naming the bad field. */
const char *mix_params_check(const mix_params *p);

/* Types are in the canonical order: decreasing weight; equal weights by
 * decreasing theta_1, then theta_2, ... (so the labels do not depend on
 * which random start won). */
typedef struct mix_fit {
    size_t K, d, n_users;
    double *eta;        /* (K) */
    double *theta;      /* (K, d) */
    double *post;       /* (n_users, K) posterior type probabilities */
    double *se_eta;     /* (K) delta-method standard errors */
    double *se_theta;   /* (K, d) */
    size_t n_out;       /* K (d + 1): the reported parameters, per type
                           weight_k, theta_k1..theta_kd, in that order */
    double *vcov;       /* (n_out, n_out) their covariance (delta method
                           for the weights); se_eta and se_theta are the
                           square roots of its diagonal. NaN where not
                           estimable (uninformative columns: their rows;
                           singular information: all) */
    double loglik, aic, bic, icl, entropy;
    size_t iterations;  /* of the best start */
    int converged;      /* of the best start */
    int flat;           /* the best start stopped as flat (see
                           mix_params.flat_tol; then converged = 0): the
                           data barely constrain the direction it drifted
                           along, the estimate is one point of a ridge */
    size_t starts;      /* starts run */
    size_t best_hits;   /* starts within best_tol of the best log-likelihood */
    size_t empty_events;/* classes re-seeded, over all starts */
    int se_ok;          /* 0 when the information was singular (SEs NaN) */
    size_t n_params;    /* K d + K - 1: theta_1..theta_K, alpha_1..alpha_{K-1} */
    double *info_eval;  /* (n_params) eigenvalues of the observed information
                           at the estimate, ascending (NaN: not computed);
                           the coefficients of uninformative columns count
                           as exact zeros */
    double max_decrease;/* largest log-likelihood decrease seen (>= 0) */
} mix_fit;

/* Fit a K-class model to ds. Returns PREF_OK and *out (free with
 * mix_fit_free), PREF_EINPUT (K < 1, K > users, bad params), PREF_ENUM
 * (non-finite log-likelihood), PREF_ENOMEM. p may be NULL (defaults).
 * Time: O(starts * iterations * answers * r * m * d^2 * K). */
int mix_fit_run(const data_set *ds, size_t K, const mix_params *p,
                mix_fit **out);
void mix_fit_free(mix_fit *f); /* NULL is a no-op */

/* ---- the EM one iteration at a time (alloc / set / iterate / test, as
 * GSL's multimin). mix_fit_run is a loop over these: for every start s,
 * mix_em_set(s) then mix_em_iterate until mix_em_test(tol) says PREF_OK
 * or max_iter E-steps; tests single-step it. */
typedef struct mix_em mix_em;

/* EM state for K classes on ds (which must outlive it) with params p (NULL:
 * defaults; copied). Returns NULL and sets *err to PREF_EINPUT (K < 1,
 * K > 64, K > users, bad params) or PREF_ENOMEM; else *err = PREF_OK. Free
 * with mix_em_free (NULL is a no-op). */
mix_em *mix_em_alloc(const data_set *ds, size_t K, const mix_params *p, int *err);
void mix_em_free(mix_em *s);

/* Begin random start `start`: a random hard assignment from the generator
 * rngs_seed(p->seed, start, MIX_STREAM), three M-steps on it, then the
 * first E-step (iterations = 1). With a warm start (p->warm_users, see
 * mix_params), that whole start — assignment, M-steps, iterations to
 * tol or max_iter — first runs on p->warm_users users drawn without
 * replacement by the generator rngs_seed(p->seed, start, MIX_WARM_STREAM),
 * and the first E-step on all users is at its end point (its passes on the
 * subsample are not counted in mix_em_iterations; its re-seeds and
 * decreases count in mix_em_empty and mix_em_max_decrease); the next
 * iteration tries a Newton step at once. Returns PREF_OK, PREF_ENUM (a
 * non-finite log-likelihood or a failed Newton direction) or PREF_ENOMEM
 * (warm start only). */
int mix_em_set(mix_em *s, size_t start);

/* One EM iteration: M-step (eta, damped Newton step per theta_k), empty-
 * class protection (a re-seed is counted in mix_em_empty and makes the
 * next mix_em_test continue), E-step. Once EM has been found slow (and
 * p->accelerate is set), a Newton iteration on the observed log-likelihood
 * instead (1 to 4 passes; see the top of this file), or when that is not
 * taken one SQUAREM cycle: two such steps and an extrapolation, 3 or 4
 * passes. Every pass is counted in mix_em_iterations. Returns PREF_OK or
 * PREF_ENUM. */
int mix_em_iterate(mix_em *s);

/* PREF_OK when the last iteration (EM step, Newton step or SQUAREM cycle)
 * changed the log-likelihood by at most tol * |L| (and was not the first
 * E-step or a re-seed), else PREF_CONTINUE. A Newton step refused at full
 * length with a predicted gain of at most tol |L| counts as a change of 0
 * (see the stopping rule at the top). */
int mix_em_test(const mix_em *s, double tol);

/* 1 when the start has been recognised as flat (mix_params.flat_tol): its
 * last flat_window iterations each gained more than tol * |L| but at most
 * flat_tol * |L|, and the gains did not shrink (rate between 1 and 1.1): EM
 * creeps along a ridge (typically a non-identified model, such as single
 * pairs from a polarised population) and would run to max_iter. mix_fit_run
 * stops such a start, not converged. Else 0. */
int mix_em_flat(const mix_em *s);

/* The Newton system at the current point, as mix_em_iterate uses it: the
 * observed information J (P, P) = -Hess of the marginal log-likelihood and
 * the score (P) in (theta_1..theta_K, alpha_1..alpha_{K-1}) (the order of
 * mix_information_at; uninformative columns' rows: identity in J, 0 in the
 * score), and the Newton direction dir = J^{-1} score (P), all
 * caller-provided. Computed from the last pass's sums, or, when that pass
 * summed no information, from one more pass at the same point (not
 * counted in mix_em_iterations; it changes no state: the same parameters
 * give the same bits). Returns PREF_OK or PREF_ENUM (J not positive
 * definite: J and score are written, dir is not). */
int mix_em_newton(mix_em *s, double *J, double *score, double *dir);

/* The current start: log-likelihood after the last E-step, E-steps so far,
 * classes re-seeded, largest log-likelihood decrease between iterations
 * (>= 0), and the parameters eta (K), theta (K, d) and responsibilities
 * (n_users, K) (owned by s, valid until the next call on s). Types are in
 * the start's order (mix_fit_run sorts them). */
double mix_em_loglik(const mix_em *s);
size_t mix_em_iterations(const mix_em *s);
size_t mix_em_empty(const mix_em *s);
double mix_em_max_decrease(const mix_em *s);
const double *mix_em_eta(const mix_em *s);
const double *mix_em_theta(const mix_em *s);
const double *mix_em_post(const mix_em *s);

/* Columns of ds->x that are constant (or all zero) across candidates of
 * every query carry no information in Plackett–Luce (utilities are shift
 * invariant within a query). Returns the number of such columns and sets
 * flags[j] = 1 for each (flags has d entries, may be NULL). */
size_t mix_uninformative_columns(const data_set *ds, unsigned char *flags);

/* Condition number (largest / smallest eigenvalue) of the Gram matrix of
 * within-query centred features, sum_q sum_j (x_qj - xbar_q)(x_qj - xbar_q)^T
 * — the directions Plackett–Luce can see. Columns flagged uninformative by
 * mix_uninformative_columns are left out. Returns PREF_OK and *cond
 * (INFINITY when singular), PREF_ENUM (the eigenvalue iteration failed) or
 * PREF_ENOMEM. O(n_cands d^2 + d^3). */
int mix_design_condition(const data_set *ds, double *cond);

/* ---- the likelihood and its information at given parameters (for checks
 * and diagnostics; mix_fit_run does not call these). Parameters: eta (K),
 * every eta_k > 0 and summing to 1 within 1e-9; theta (K, d), finite.
 * Neither function modifies its inputs. */

/* The marginal log-likelihood sum_i log sum_k eta_k prod_q P(o_q | theta_k)
 * into *loglik, summed as the EM sums it (users in fixed blocks: the same
 * bits for any thread count). At a fit's parameters it equals the fit's
 * loglik up to rounding (the types are summed in another order once
 * sorted). Returns PREF_OK,
 * PREF_EINPUT (K < 1, K > 64, bad eta or theta) or PREF_ENOMEM.
 * O(answers * r * m * d^2 * K). */
int mix_loglik_at(const data_set *ds, size_t K, const double *eta,
                  const double *theta, double *loglik);

/* The posterior type probabilities of every user at (eta, theta), as the
 * E-step computes them: post (n_users, K, caller-provided) gets
 * eta_k prod_q P(o_q | theta_k) normalised over k, and *loglik (may be
 * NULL) the marginal log-likelihood as mix_loglik_at. At a fit's
 * parameters post equals the fit's up to rounding. Returns as
 * mix_loglik_at. O(answers * r * m * d^2 * K). */
int mix_posterior_at(const data_set *ds, size_t K, const double *eta,
                     const double *theta, double *post, double *loglik);

/* Each user's marginal log-likelihood log sum_k eta_k prod_q P(o_q |
 * theta_k) into ll (n_users), for held-out scoring; their sum is
 * mix_loglik_at's value up to rounding (summed in another order). Every
 * entry depends only on its user, so the values are the same for any
 * thread count. Returns PREF_OK, PREF_EINPUT (as mix_loglik_at) or
 * PREF_ENOMEM. O(answers * r * m * d * K). */
int mix_user_loglik_at(const data_set *ds, size_t K, const double *eta,
                       const double *theta, double *ll);

/* The observed information J = -Hess of the marginal log-likelihood and the
 * sum of the users' score outer products B = sum_i s_i s_i^T (the sandwich's
 * middle), as mix_fit_run computes them for its standard errors, for the
 * P = K d + K - 1 parameters (theta_1, ..., theta_K, alpha_1, ...,
 * alpha_{K-1}) in that order, where eta = softmax(alpha_1, ..., alpha_{K-1},
 * 0). J and B are caller-provided (P, P) row-major arrays, fully written; B
 * may be NULL. Coefficients of columns that mix_uninformative_columns flags
 * get rows and columns that are zero up to rounding. Returns PREF_OK, PREF_EINPUT (as mix_loglik_at) or
 * PREF_ENOMEM. O(answers * r * m * d^2 * K + n_users * P^2). */
int mix_information_at(const data_set *ds, size_t K, const double *eta,
                       const double *theta, double *J, double *B);

#endif
