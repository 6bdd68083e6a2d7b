/* test_mix.c — latent-class EM: first-order conditions, recovery within
 * standard errors, EM monotonicity, thread invariance, the information
 * matrix against finite differences, empty classes and bad input
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

static void test_k2_recovery_and_invariance(void)
{
    const char *kv[] = {"population.kind", "latent_class", "population.eta",
                        "0.65, 0.35", "population.theta", "1.3, -0.7; -0.9, 1.1",
                        "design.answer", "top1", "design.T", "3", "design.users",
                        "3000", NULL};
    sim_population *p = NULL;
    data_set *ds = make_data(kv, 23, &p);
    mix_params mp;
    mix_params_init(&mp);
    mp.starts = 6;
    mp.seed = 99;
    mp.threads = 1;
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
    test_edge_cases();
    exit(gsl_test_summary());
}
