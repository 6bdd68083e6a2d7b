/* emdpo.h — EM-DPO: a mixture of compact neural policies fitted by
 * expectation–maximisation on the weighted Plackett–Luce DPO loss.
 *
 * Responsibilities gamma_ik start from a random Dirichlet(1) draw, a k-means
 * clustering of per-user preference summaries (the mean over a user's
 * answers of x_chosen - mean_j x_j), or the true types (oracle diagnostics).
 * Each iteration runs an M-step — policy k trained by dpo_train on every
 * query with weight gamma_(user of q),k, from its previous parameters (warm)
 * or from the reference network (restart: the common initial network whose
 * output layer is zero, i.e. the uniform policy) — then eta_k = mean_i
 * gamma_ik, then an E-step with the new policies:
 *   log L_ik = sum_q log P_PL(o_q | u = beta (f_k - logp_ref)).
 * The K policies train in parallel (one OpenMP thread each); every policy k
 * of iteration t draws from its own generator rngs_seed(seed, t, k), so the
 * result is identical for any thread count. The queries are packed once
 * (qpack.h) and the pack shared by the K trainers: they read each query's
 * weight gamma_(user of q),k through it, and the E-step evaluates each
 * distinct candidate row once instead of every candidate (the same bits
 * as reading the data set; data that cannot be packed are read directly).
 *
 * The M-steps are stochastic (minibatch Adam), so the log-likelihood can
 * fall between iterations: the fit keeps the best iterate by observed
 * log-likelihood (the earliest on ties), not the last, and says which
 * (emdpo_fit.best_iter). Stopping rule: EM stops after iteration t when
 * |L_t - L_(t-1)| <= tol * |L_t| held for `patience` consecutive
 * iterations (converged = 1), or at em_iters iterations (the cap;
 * converged = 0). tol = 0 turns the rule off.
 *
 * emdpo_train_weighted is the M-step alone: it also gives the baselines —
 * single DPO (K = 1, weights 1), cluster-DPO (one M-step on a hard initial
 * clustering) and oracle-type DPO (one M-step on the true types).
 * Not here: network internals (nn.h), the DPO loss and Adam (dpo.h),
 * k-means (kmeans.h), evaluation against a simulated truth (eval.h). */
#ifndef HETPREF_EMDPO_H
#define HETPREF_EMDPO_H

#include <stddef.h>
#include <stdint.h>

#include "data.h"
#include "dpo.h"
#include "nn.h"

enum { EMDPO_INIT_DIRICHLET = 0, EMDPO_INIT_KMEANS = 1, EMDPO_INIT_TRUTH = 2 };

typedef struct emdpo_params {
    nn_config net;       /* d is taken from the data */
    dpo_params dpo;      /* beta, batch, epochs (per M-step), Adam */
    size_t K;            /* types */
    size_t em_iters;     /* EM iterations, the cap (default 8) */
    double tol;          /* relative log-likelihood change counted as
                            converged (default 1e-3; 0: cap only) */
    size_t patience;     /* consecutive iterations below tol (default 2) */
    int init;            /* EMDPO_INIT_* (default kmeans) */
    int warm;            /* 1: warm-start M-steps; 0: restart (default) */
    int threads;         /* 0: all cores */
    uint64_t seed;
    /* Progress callback (GLPK's cb_func idea), NULL for none (the default):
     * called as progress(progress_ctx, n) when n more units of work are
     * done, possibly from several threads at once (it must be thread-safe).
     * Units: one per policy M-step,
     * K per EM iteration (em_iters * K in all). It never changes the results. */
    void (*progress)(void *ctx, size_t n);
    void *progress_ctx;
} emdpo_params;

void emdpo_params_init(emdpo_params *p);
const char *emdpo_params_check(const emdpo_params *p);

typedef struct emdpo_fit {
    size_t K, n_users, n_params;
    size_t iters;        /* EM iterations run (<= em_iters) */
    size_t best_iter;    /* the kept iterate (1..iters; 0 before any) */
    int converged;       /* 1: the tol/patience rule stopped EM; 0: the cap */
    nn_config net;
    double beta;
    double loglik;       /* of the kept iterate (= tr_loglik[best_iter]) */
    double *params;      /* (K, n_params) policies of the kept iterate */
    double *ref;         /* (n_params) the reference network */
    double *eta;         /* (K) of the kept iterate */
    double *post;        /* (n_users, K) responsibilities of the kept iterate */
    double *init_post;   /* (n_users, K) initial responsibilities */
    /* traces, index 0 = initialisation, 1..iters = after each E-step;
     * allocated for em_iters + 1 entries, NaN past iters */
    double *tr_loglik;   /* [0] = NaN */
    double *tr_eta;      /* (em_iters + 1, K) */
    double *tr_acc;      /* NaN without a type column */
    double *tr_ari;
    double max_decrease; /* largest drop of the log-likelihood between
                            consecutive iterations (>= 0) */
} emdpo_fit;

/* Fit. PREF_OK and *out (free with emdpo_fit_free), PREF_EINPUT (bad params,
 * K > users, init = truth without a type column), PREF_ENUM (training
 * diverged: the message names the EM iteration, policy and epoch),
 * PREF_ENOMEM. */
int emdpo_fit_run(const data_set *ds, const emdpo_params *p, emdpo_fit **out);
void emdpo_fit_free(emdpo_fit *f);

/* ---- EM-DPO one iteration at a time (alloc / set / iterate / test, as
 * GSL's multimin); emdpo_fit_run is the loop set, then iterate while test
 * says PREF_CONTINUE. */
typedef struct emdpo_em emdpo_em;

/* State for fitting p->K policies to ds (which must outlive it); p is
 * copied. Returns NULL and sets *err to PREF_EINPUT (bad params, K > users,
 * a query over 256 candidates) or PREF_ENOMEM; else *err = PREF_OK. Free
 * with emdpo_em_free (NULL is a no-op). */
emdpo_em *emdpo_em_alloc(const data_set *ds, const emdpo_params *p, int *err);
void emdpo_em_free(emdpo_em *s);

/* Initial responsibilities (emdpo_initial), the reference network, every
 * policy at it, trace entry 0. Returns PREF_OK, PREF_EINPUT (init = truth
 * without usable types) or PREF_ENOMEM. */
int emdpo_em_set(emdpo_em *s);

/* One EM iteration t = iterations + 1 <= em_iters: M-step on the current
 * responsibilities (policies trained with generator streams tagged t), eta,
 * E-step, trace entry t; the fit's kept iterate becomes t when its
 * log-likelihood is higher than the kept one's. Returns PREF_OK, PREF_ENUM
 * (training diverged; non-finite log-likelihood), PREF_ENOMEM, or
 * PREF_EINPUT when all em_iters are done. */
int emdpo_em_iterate(emdpo_em *s);

/* PREF_OK when EM should stop: the convergence rule held (tol > 0 and the
 * relative change was <= tol for `patience` consecutive iterations; the
 * fit's converged = 1) or em_iters iterations are done; else
 * PREF_CONTINUE. */
int emdpo_em_test(const emdpo_em *s);

/* EM iterations done; the fit so far (owned by s: traces filled up to
 * emdpo_em_iterations, params/eta/post those of the best iterate so far);
 * emdpo_em_take hands the fit to the caller (free with emdpo_fit_free) and
 * leaves s without one (only emdpo_em_free may follow). */
size_t emdpo_em_iterations(const emdpo_em *s);
const emdpo_fit *emdpo_em_fit(const emdpo_em *s);
emdpo_fit *emdpo_em_take(emdpo_em *s);

/* The M-step alone: K policies trained from the reference network ref
 * (n_params; NULL: a fresh reference from p->seed) with user weights
 * w (n_users, K). params receives (K, n_params). iteration tags the
 * generator streams. */
int emdpo_train_weighted(const data_set *ds, const emdpo_params *p,
                         const double *w, const double *ref, size_t iteration,
                         double *params);

/* The E-step alone: responsibilities post (n_users, K) and the observed
 * log-likelihood for policies params (K, n_params) and weights eta. */
int emdpo_estep(const data_set *ds, const emdpo_params *p, const double *params,
                const double *eta, double *post, double *loglik);

/* The Plackett-Luce utilities beta (f_k(x) - logp_ref) of every candidate
 * under policies params (K, n_params) into u (K, n_cands), computed as the
 * E-step computes them. Returns PREF_OK or PREF_ENOMEM. */
int emdpo_utilities(const data_set *ds, const emdpo_params *p,
                    const double *params, double *u);

/* Each user's marginal log-likelihood log sum_k eta_k prod_q P_PL(o_q |
 * u = beta (f_k - logp_ref)) into ll (n_users) for policies params
 * (K, n_params) and weights eta (K, each > 0): held-out scoring of a fit
 * on other users (K may exceed the users of ds). Their sum is
 * emdpo_estep's log-likelihood. Same values for any thread count.
 * Returns PREF_OK, PREF_EINPUT (a query over 256 candidates) or
 * PREF_ENOMEM. */
int emdpo_user_loglik(const data_set *ds, const emdpo_params *p,
                      const double *params, const double *eta, double *ll);

/* The reference network of p (Glorot init from p->seed, output layer zero)
 * into ref (nn_num_params). Returns PREF_OK or PREF_ENOMEM (no generator). */
int emdpo_reference(const emdpo_params *p, size_t d, double *ref);

/* Initial responsibilities (n_users, K) per p->init. */
int emdpo_initial(const data_set *ds, const emdpo_params *p, double *post);

#endif
