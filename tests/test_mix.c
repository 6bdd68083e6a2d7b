/* test_mix.c — latent-class EM: first-order conditions, recovery within
 * standard errors, EM monotonicity, thread invariance, the information
 * matrix against finite differences, single-stepped EM (never
 * decreasing, equal to the one-call fit), empty classes and bad input
 * (evaluation helpers: test_eval.c). All data simulated with fixed seeds. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_test.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "cfg.h"
#include "err.h"
#include "eval.h"
#include "mix.h"
#include "pl.h"
#include "rngs.h"
#include "sim.h"

static cfg C;

static data_set *make_data(const char *const *kv, unsigned long seed,
                           sim_population **pop)
{
    cfg_init(&C);
    for (size_t i = 0; kv[i]; i += 2)
        if (cfg_set_dotted(&C, kv[i], kv[i + 1], NULL, 0)) return NULL;
    if (cfg_check(&C)) return NULL;
    sim_design *g = NULL;
    data_set *ds = NULL;
    gsl_rng *r = rngs_alloc(seed);
    sim_population_from_cfg(&C, pop);
    sim_design_from_cfg(&C, r, &g);
    sim_simulate(*pop, g, seed, &ds);
    sim_design_free(g);
    gsl_rng_free(r);
    return ds;
}

/* Observed log-likelihood of a fit's parameters, computed directly. */
static double loglik_at(const data_set *ds, size_t K, const double *eta,
                        const double *theta)
{
    double L = 0.0, u[16];
    for (size_t i = 0; i < ds->n_users; i++) {
        double lse = -INFINITY;
        for (size_t k = 0; k < K; k++) {
            double a = log(eta[k]);
            for (size_t q = ds->user_q[i]; q < ds->user_q[i + 1]; q++) {
                pl_utilities(ds->x + ds->q_cand[q] * ds->d, data_m(ds, q), ds->d,
                             theta + k * ds->d, u);
                a += pl_loglik(u, data_m(ds, q), ds->q_r[q]);
            }
            lse = pl_logaddexp(lse, a);
        }
        L += lse;
    }
    return L;
}

static void test_k1_first_order(void)
{
    const char *kv[] = {"population.kind", "latent_class", "population.types", "1",
                        "population.eta", "1", "population.theta", "0.7, -1.1",
                        "design.answer", "full", "design.m", "4", "design.T", "3",
                        "design.users", "800", NULL};
    sim_population *p = NULL;
    data_set *ds = make_data(kv, 17, &p);
    mix_params mp;
    mix_params_init(&mp);
    mp.starts = 2;
    mix_fit *f = NULL;
    gsl_test_int(mix_fit_run(ds, 1, &mp, &f), PREF_OK, "K = 1 fit");
    /* Score at the MLE is zero. */
    double g[2] = {0, 0}, H[4] = {0, 0, 0, 0}, work[16];
    for (size_t q = 0; q < ds->n_queries; q++)
        pl_linear_accum(ds->x + ds->q_cand[q] * 2, data_m(ds, q), 2, ds->q_r[q],
                        f->theta, 1.0, g, H, work);
    gsl_test_abs(g[0], 0.0, 1e-6, "K = 1: score 1 at the MLE");
    gsl_test_abs(g[1], 0.0, 1e-6, "K = 1: score 2 at the MLE");
    /* SE = sqrt(diag((-H)^-1)) for K = 1 (2 x 2 inverse by hand). */
    double a = -H[0], b = -H[1], d = -H[3], det = a * d - b * b;
    gsl_test_rel(f->se_theta[0], sqrt(d / det), 1e-8, "K = 1: SE 1 = inverse information");
    gsl_test_rel(f->se_theta[1], sqrt(a / det), 1e-8, "K = 1: SE 2 = inverse information");
    gsl_test_rel(f->loglik, loglik_at(ds, 1, f->eta, f->theta), 1e-12,
                 "reported loglik matches a direct computation");
    gsl_test_rel(f->bic, -2 * f->loglik + 2 * log(800.0), 1e-12, "BIC, n = users");
    gsl_test_rel(f->aic, -2 * f->loglik + 4, 1e-12, "AIC");
    gsl_test_abs(f->icl - f->bic, 0.0, 1e-12, "ICL = BIC for K = 1");
    /* Within 4 standard errors of the truth. */
    for (int j = 0; j < 2; j++)
        gsl_test(fabs(f->theta[j] - p->theta[j]) > 4 * f->se_theta[j],
                 "K = 1: theta %d = %g within 4 SE (%g) of %g", j, f->theta[j],
                 f->se_theta[j], p->theta[j]);
    mix_fit_free(f);
    data_free(ds);
    sim_population_free(p);
}

/* Two latent classes answering top-1 of 3 (eta, theta as config strings);
 * mp gets defaults with starts, seed and one thread. */
static data_set *two_classes(const char *eta, const char *theta, const char *T,
                             const char *users, unsigned long seed,
                             sim_population **p, mix_params *mp, size_t starts,
                             uint64_t fit_seed)
{
    const char *kv[] = {"population.kind", "latent_class", "population.eta", eta,
                        "population.theta", theta, "design.answer", "top1",
                        "design.T", T, "design.users", users, NULL};
    mix_params_init(mp);
    mp->starts = starts;
    mp->seed = fit_seed;
    mp->threads = 1;
    return make_data(kv, seed, p);
}

static void test_k2_recovery_and_invariance(void)
{
    sim_population *p = NULL;
    mix_params mp;
    data_set *ds = two_classes("0.65, 0.35", "1.3, -0.7; -0.9, 1.1", "3", "3000", 23,
                               &p, &mp, 6, 99);
    mix_fit *f1 = NULL, *f2 = NULL;
    gsl_test_int(mix_fit_run(ds, 2, &mp, &f1), PREF_OK, "K = 2 fit");
    mp.threads = 2;
    gsl_test_int(mix_fit_run(ds, 2, &mp, &f2), PREF_OK, "K = 2 fit, 2 threads");
    if (!f1 || !f2) return;
    gsl_test(memcmp(f1->theta, f2->theta, 4 * sizeof(double)) != 0 ||
             memcmp(f1->post, f2->post, ds->n_users * 2 * sizeof(double)) != 0 ||
             f1->loglik != f2->loglik || memcmp(f1->se_theta, f2->se_theta,
                                                4 * sizeof(double)) != 0,
             "bit-identical for 1 and 2 threads");
    gsl_test(!f1->converged, "converged");
    gsl_test(f1->max_decrease > 1e-9 * fabs(f1->loglik),
             "EM never decreased the log-likelihood (largest drop %g)",
             f1->max_decrease);
    gsl_test(f1->best_hits < 2, "several starts reach the best optimum (%zu)",
             f1->best_hits);
    /* Types sorted by weight: type 1 is the 0.65 class. */
    for (int k = 0; k < 2; k++) {
        gsl_test(fabs(f1->eta[k] - p->eta[k]) > 4 * f1->se_eta[k],
                 "eta %d = %g within 4 SE (%g) of %g", k, f1->eta[k],
                 f1->se_eta[k], p->eta[k]);
        for (int j = 0; j < 2; j++)
            gsl_test(fabs(f1->theta[k * 2 + j] - p->theta[k * 2 + j]) >
                         4 * f1->se_theta[k * 2 + j],
                     "theta %d,%d = %g within 4 SE (%g) of %g", k, j,
                     f1->theta[k * 2 + j], f1->se_theta[k * 2 + j],
                     p->theta[k * 2 + j]);
    }
    gsl_test_abs(f1->eta[0] + f1->eta[1], 1.0, 1e-12, "weights sum to 1");
    gsl_test_abs(f1->se_eta[0], f1->se_eta[1], 1e-12,
                 "K = 2: the two weights have one standard error");
    /* Posteriors are probabilities. */
    int okp = 1;
    for (size_t i = 0; i < ds->n_users; i++) {
        double s = f1->post[2 * i] + f1->post[2 * i + 1];
        if (fabs(s - 1) > 1e-12 || f1->post[2 * i] < 0) okp = 0;
    }
    gsl_test(!okp, "posteriors sum to 1");
    double acc, ari, w1;
    gsl_test_int(eval_mix_fit(f1, ds->user_type, 2, p->eta, p->theta, &acc, &ari, &w1),
                 PREF_OK, "evaluate");
    gsl_test(acc < 0.8, "accuracy %g >= 0.8", acc);
    gsl_test(w1 > 0.2, "W1 error %g <= 0.2", w1);
    /* The sandwich agrees with the observed information at the truth's
     * scale (same model, correctly specified): within 25%. */
    mp.sandwich = 1;
    mix_fit *f3 = NULL;
    mix_fit_run(ds, 2, &mp, &f3);
    for (int j = 0; f3 && j < 4; j++)
        gsl_test_rel(f3->se_theta[j], f1->se_theta[j], 0.25,
                     "sandwich SE %d close to observed-information SE", j);
    mix_fit_free(f3);
    mix_fit_free(f1);
    mix_fit_free(f2);
    data_free(ds);
    sim_population_free(p);
}

/* Single-stepping the EM through mix_em_*: the observed log-likelihood
 * never decreases from one EM iteration to the next, and stepping start 0
 * to convergence gives exactly (bit for bit) the one-call fit with
 * starts = 1, whose types are only sorted by weight. */
static void test_em_steps(void)
{
    sim_population *p = NULL;
    mix_params mp;
    data_set *ds = two_classes("0.6, 0.4", "1.2, -0.5; -0.8, 0.9", "4", "1500", 41,
                               &p, &mp, 1, 8);
    int err;
    mix_em *s = mix_em_alloc(ds, 2, &mp, &err);
    gsl_test_int(err, PREF_OK, "mix_em_alloc");
    if (!s) return;
    gsl_test_int(mix_em_set(s, 0), PREF_OK, "mix_em_set");
    gsl_test_int(mix_em_test(s, mp.tol), PREF_CONTINUE,
                 "no convergence test after the first E-step");
    double prev = mix_em_loglik(s), worst = 0.0;
    int converged = 0, st = PREF_OK;
    while (!st && mix_em_iterations(s) < mp.max_iter) {
        if (mix_em_test(s, mp.tol) == PREF_OK) {
            converged = 1;
            break;
        }
        size_t e0 = mix_em_empty(s);
        st = mix_em_iterate(s);
        double L = mix_em_loglik(s);
        /* a re-seeded empty class is not an EM step (none expected here) */
        if (mix_em_empty(s) == e0 && prev - L > worst) worst = prev - L;
        prev = L;
    }
    gsl_test_int(st, PREF_OK, "every iteration runs");
    gsl_test(!converged, "stepped EM converged (%zu iterations)", mix_em_iterations(s));
    /* Tolerance: the M-step accepts a class's Newton step when its weighted
     * log-likelihood Q_k falls by at most 1e-12 |Q_k| (the last bits of sums
     * over 1500 users), so the observed log-likelihood may fall by rounding
     * of that order; a real EM failure is many orders larger. */
    gsl_test(worst > 1e-11 * fabs(prev), "log-likelihood never decreases "
             "(largest drop %g at L = %g)", worst, prev);
    gsl_test(mix_em_empty(s) != 0, "no empty class on this data");
    mix_fit *f = NULL;
    gsl_test_int(mix_fit_run(ds, 2, &mp, &f), PREF_OK, "one-call fit");
    if (f) {
        const double *eta = mix_em_eta(s), *theta = mix_em_theta(s);
        const double *post = mix_em_post(s);
        /* sort_types: decreasing weight, ties by the larger theta_1 */
        size_t o = eta[1] > eta[0] || (eta[1] == eta[0] && theta[2] > theta[0]);
        int same = f->loglik == mix_em_loglik(s) &&
                   f->iterations == mix_em_iterations(s) && f->converged &&
                   f->eta[0] == eta[o] && f->eta[1] == eta[1 - o];
        for (size_t j = 0; j < 2; j++) {
            same &= f->theta[j] == theta[o * 2 + j];
            same &= f->theta[2 + j] == theta[(1 - o) * 2 + j];
        }
        for (size_t i = 0; i < ds->n_users; i++)
            same &= f->post[i * 2] == post[i * 2 + o] &&
                    f->post[i * 2 + 1] == post[i * 2 + 1 - o];
        gsl_test(!same, "stepped EM = mix_fit_run with one start, bit for bit");
        gsl_test(f->max_decrease != mix_em_max_decrease(s), "same largest decrease");
    }
    mix_fit_free(f);
    mix_em_free(s);
    s = mix_em_alloc(ds, 0, &mp, &err);
    gsl_test(s != NULL || err != PREF_EINPUT, "mix_em_alloc: K = 0 refused");
    data_free(ds);
    sim_population_free(p);
}

static void test_edge_cases(void)
{
    const char *kv[] = {"population.kind", "indifferent", "design.answer", "pair",
                        "design.users", "30", NULL};
    sim_population *p = NULL;
    data_set *ds = make_data(kv, 5, &p);
    mix_params mp;
    mix_params_init(&mp);
    mp.starts = 5;
    mix_fit *f = NULL;
    gsl_test_int(mix_fit_run(ds, 31, &mp, &f), PREF_EINPUT, "K > users refused");
    gsl_test_int(mix_fit_run(ds, 0, &mp, &f), PREF_EINPUT, "K = 0 refused");
    mp.starts = 0;
    gsl_test_int(mix_fit_run(ds, 2, &mp, &f), PREF_EINPUT, "starts = 0 refused");
    /* Many classes on tiny structureless data: finite output, never NaN in
     * the estimates, emptied classes re-seeded and counted. */
    mp.starts = 3;
    int st = mix_fit_run(ds, 6, &mp, &f);
    gsl_test_int(st, PREF_OK, "K = 6 on 30 indifferent users runs");
    if (f) {
        int finite = isfinite(f->loglik);
        for (size_t j = 0; j < 6 * 2; j++) finite &= isfinite(f->theta[j]);
        for (size_t k = 0; k < 6; k++) finite &= isfinite(f->eta[k]) && f->eta[k] >= 0;
        gsl_test(!finite, "estimates finite");
    }
    mix_fit_free(f);
    data_free(ds);
    sim_population_free(p);
}

int main(void)
{
    gsl_set_error_handler_off();
    test_k1_first_order();
    test_k2_recovery_and_invariance();
    test_em_steps();
    test_edge_cases();
    exit(gsl_test_summary());
}
