/* test_emdpo.c — EM-DPO: the E-step against a direct computation, the
 * reference network is the uniform policy, oracle initialisation, recovery
 * of the two_traits types, thread invariance, divergence reporting and bad
 * input. All seeded. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_test.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "cfg.h"
#include "cfgmap.h"
#include "emdpo.h"
#include "err.h"
#include "nn.h"
#include "pl.h"
#include "rngs.h"
#include "sim.h"

static cfg C;

static data_set *two_traits(size_t users, size_t T, const char *answer)
{
    cfg_init(&C);
    char u[32], t[32];
    snprintf(u, sizeof u, "%zu", users);
    snprintf(t, sizeof t, "%zu", T);
    const char *kv[] = {"population.preset", "two_traits", "design.d", "4",
                        "design.m", "3", "design.answer", answer, "design.T", t,
                        "design.users", u, "design.prompts", "50", "design.pool",
                        "6", "emdpo.em_iters", "4", "emdpo.epochs", "3", NULL};
    for (size_t i = 0; kv[i]; i += 2)
        if (cfg_set_dotted(&C, kv[i], kv[i + 1], NULL, 0)) return NULL;
    if (cfg_check(&C)) return NULL;
    sim_population *p = NULL;
    sim_design *g = NULL;
    data_set *ds = NULL;
    gsl_rng *r = rngs_alloc(77);
    sim_population_from_cfg(&C, &p);
    sim_design_from_cfg(&C, r, &g);
    sim_simulate(p, g, 78, &ds);
    sim_design_free(g);
    sim_population_free(p);
    gsl_rng_free(r);
    return ds;
}

static void test_estep_direct(void)
{
    data_set *ds = two_traits(60, 5, "full");
    emdpo_params p;
    cfgmap_emdpo_params(&C, &p);
    p.net.d = ds->d;
    p.dpo.beta = 0.7;
    size_t np = nn_num_params(&p.net);
    double *params = malloc(2 * np * sizeof(double));
    gsl_rng *r = rngs_alloc(5);
    nn_init_params(&p.net, params, r);
    nn_init_params(&p.net, params + np, r);
    double eta[2] = {0.35, 0.65}, *post = malloc(60 * 2 * sizeof(double)), L;
    gsl_test_int(emdpo_estep(ds, &p, params, eta, post, &L), PREF_OK, "E-step runs");
    /* Direct: f by nn_forward per query, u = beta f, PL log-likelihood. */
    double *acts = malloc(nn_acts_size(&p.net, 8) * sizeof(double)), f[8], u[8];
    double Ld = 0.0, maxerr = 0.0;
    for (size_t i = 0; i < ds->n_users; i++) {
        double a[2];
        for (size_t k = 0; k < 2; k++) {
            a[k] = log(eta[k]);
            for (size_t q = ds->user_q[i]; q < ds->user_q[i + 1]; q++) {
                size_t m = data_m(ds, q);
                nn_forward(&p.net, params + k * np, ds->x + ds->q_cand[q] * ds->d, m,
                           acts, f);
                for (size_t j = 0; j < m; j++) u[j] = 0.7 * f[j];
                a[k] += pl_loglik(u, m, ds->q_r[q]);
            }
        }
        double lse = pl_logaddexp(a[0], a[1]);
        Ld += lse;
        double e = fabs(post[i * 2] - exp(a[0] - lse));
        if (e > maxerr) maxerr = e;
    }
    gsl_test_rel(L, Ld, 1e-10, "E-step log-likelihood = direct computation");
    gsl_test_abs(maxerr, 0.0, 1e-10, "responsibilities = direct computation");
    /* The reference network is the uniform policy: f = 0 everywhere. */
    emdpo_reference(&p, ds->d, params);
    nn_forward(&p.net, params, ds->x, 3, acts, f);
    gsl_test(f[0] != 0.0 || f[1] != 0.0 || f[2] != 0.0,
             "reference network outputs 0 (uniform policy)");
    free(acts);
    free(params);
    free(post);
    gsl_rng_free(r);
    data_free(ds);
}

static void test_fit(void)
{
    data_set *ds = two_traits(300, 16, "top1");
    emdpo_params p;
    cfgmap_emdpo_params(&C, &p);
    p.threads = 1;
    emdpo_fit *f1 = NULL, *f2 = NULL;
    gsl_test_int(emdpo_fit_run(ds, &p, &f1), PREF_OK, "two_traits fit (%s)",
                 pref_last_error());
    p.threads = 2;
    gsl_test_int(emdpo_fit_run(ds, &p, &f2), PREF_OK, "two_traits fit, 2 threads");
    if (f1 && f2) {
        gsl_test(memcmp(f1->params, f2->params, 2 * f1->n_params * sizeof(double)) ||
                 memcmp(f1->post, f2->post, 300 * 2 * sizeof(double)),
                 "bit-identical for 1 and 2 threads");
        gsl_test(f1->tr_acc[f1->iters] < 0.9, "two_traits clustering accuracy %g "
                 ">= 0.9 (300 users x 16 top-1 answers)", f1->tr_acc[f1->iters]);
        double e0 = f1->eta[0] > f1->eta[1] ? f1->eta[0] : f1->eta[1];
        gsl_test(fabs(e0 - 0.75) > 0.08, "majority weight %g near 0.75", e0);
        for (size_t it = 1; it <= f1->iters; it++)
            gsl_test(!isfinite(f1->tr_loglik[it]), "finite loglik at %zu", it);
    }
    emdpo_fit_free(f1);
    emdpo_fit_free(f2);
    /* Oracle initialisation starts at accuracy 1. */
    p.init = EMDPO_INIT_TRUTH;
    p.em_iters = 1;
    gsl_test_int(emdpo_fit_run(ds, &p, &f1), PREF_OK, "truth init");
    if (f1) gsl_test_rel(f1->tr_acc[0], 1.0, 1e-15, "truth init: accuracy 1");
    emdpo_fit_free(f1);
    /* Divergence is reported, never a silent NaN. */
    cfgmap_emdpo_params(&C, &p);
    p.dpo.adam.lr = 1e308; /* parameters overflow to Inf within a few steps */
    int st = emdpo_fit_run(ds, &p, &f1);
    gsl_test_int(st, PREF_ENUM, "huge learning rate: PREF_ENUM");
    gsl_test(st == PREF_ENUM && !strstr(pref_last_error(), "iteration"),
             "divergence message names the iteration: %s", pref_last_error());
    /* Bad input. */
    cfgmap_emdpo_params(&C, &p);
    p.K = 301;
    gsl_test_int(emdpo_fit_run(ds, &p, &f1), PREF_EINPUT, "K > users refused");
    p.K = 2;
    p.dpo.batch = 0;
    gsl_test_int(emdpo_fit_run(ds, &p, &f1), PREF_EINPUT, "batch 0 refused");
    data_free(ds);
}

/* Single-stepping EM-DPO through emdpo_em_*: the same fit, bit for bit, as
 * the one call. */
static void test_em_steps(void)
{
    data_set *ds = two_traits(80, 6, "top1");
    emdpo_params p;
    cfgmap_emdpo_params(&C, &p);
    p.threads = 1;
    p.em_iters = 3;
    p.tol = 0; /* the cap alone */
    p.dpo.epochs = 2;
    int err;
    emdpo_em *s = emdpo_em_alloc(ds, &p, &err);
    gsl_test_int(err, PREF_OK, "emdpo_em_alloc");
    if (!s) return;
    gsl_test_int(emdpo_em_set(s), PREF_OK, "emdpo_em_set");
    size_t steps = 0;
    while (emdpo_em_test(s) == PREF_CONTINUE && steps < 10) {
        gsl_test_int(emdpo_em_iterate(s), PREF_OK, "iteration %zu", steps + 1);
        steps++;
    }
    gsl_test_int((int)steps, 3, "em_iters iterations, then PREF_OK");
    gsl_test_int(emdpo_em_iterate(s), PREF_EINPUT, "no iteration past em_iters");
    emdpo_fit *f = NULL;
    gsl_test_int(emdpo_fit_run(ds, &p, &f), PREF_OK, "one-call fit");
    const emdpo_fit *g = emdpo_em_fit(s);
    if (f)
        gsl_test(memcmp(f->params, g->params, 2 * f->n_params * sizeof(double)) ||
                     memcmp(f->post, g->post, 80 * 2 * sizeof(double)) ||
                     memcmp(f->tr_loglik + 1, g->tr_loglik + 1, 3 * sizeof(double)) ||
                     f->max_decrease != g->max_decrease,
                 "stepped EM-DPO = emdpo_fit_run, bit for bit");
    emdpo_fit_free(f);
    emdpo_fit *t = emdpo_em_take(s);
    gsl_test(t == NULL || emdpo_em_fit(s) != NULL, "take hands the fit over");
    emdpo_fit_free(t);
    emdpo_em_free(s);
    data_free(ds);
}

/* The parameters of C with one thread, em_iters iterations of one epoch
 * each and the stopping tolerance tol. */
static void short_params(emdpo_params *p, size_t em_iters, double tol)
{
    cfgmap_emdpo_params(&C, p);
    p->threads = 1;
    p->em_iters = em_iters;
    p->dpo.epochs = 1;
    p->tol = tol;
}

/* The M-steps are stochastic, so the log-likelihood can fall: the fit keeps
 * the iterate of highest log-likelihood, not the last (it once kept the
 * last: -11321 at iteration 8 against -11249 at iteration 5). Its policies
 * and weights must give back that log-likelihood in an E-step. */
static void test_best_iterate(void)
{
    data_set *ds = two_traits(200, 6, "top1");
    emdpo_params p;
    short_params(&p, 6, 0);
    p.dpo.adam.lr = 0.05; /* noisy M-steps: the trace goes down and up */
    emdpo_fit *f = NULL;
    gsl_test_int(emdpo_fit_run(ds, &p, &f), PREF_OK, "noisy fit (%s)",
                 pref_last_error());
    double *post = malloc(200 * 2 * sizeof(double)), L = NAN;
    if (f && post) {
        size_t arg = 1;
        for (size_t it = 2; it <= f->iters; it++)
            if (f->tr_loglik[it] > f->tr_loglik[arg]) arg = it;
        gsl_test_int((int)f->iters, 6, "all 6 iterations (tol = 0)");
        gsl_test(f->tr_loglik[f->iters] >= f->tr_loglik[arg],
                 "this case must end below its best (last %.17g, best %.17g at "
                 "%zu)", f->tr_loglik[f->iters], f->tr_loglik[arg], arg);
        gsl_test_int((int)f->best_iter, (int)arg, "kept the best iteration");
        gsl_test(f->loglik != f->tr_loglik[arg], "fit loglik is the best");
        gsl_test_int(emdpo_estep(ds, &p, f->params, f->eta, post, &L), PREF_OK,
                     "E-step at the kept policies");
        gsl_test(L != f->tr_loglik[arg], "kept policies give the best "
                 "log-likelihood %.17g (got %.17g)", f->tr_loglik[arg], L);
        gsl_test(memcmp(post, f->post, 200 * 2 * sizeof(double)) != 0,
                 "kept posteriors are those of the kept policies");
        gsl_test_int(f->converged, 0, "tol = 0: never converged");
    }
    free(post);
    emdpo_fit_free(f);
    data_free(ds);
}

/* The stopping rule: |L_t - L_(t-1)| <= tol |L_t| for `patience`
 * consecutive iterations stops EM (converged = 1); else the cap does. */
static void test_stop_rule(void)
{
    data_set *ds = two_traits(80, 6, "top1");
    emdpo_params p;
    short_params(&p, 6, 0.4); /* every change is far below 40% */
    p.patience = 2;
    emdpo_fit *f = NULL;
    gsl_test_int(emdpo_fit_run(ds, &p, &f), PREF_OK, "loose tol");
    if (f) {
        gsl_test_int((int)f->iters, 3, "patience 2: stops after iteration 3 "
                     "(changes at 2 and 3)");
        gsl_test_int(f->converged, 1, "converged");
        gsl_test(!isnan(f->tr_loglik[4]), "trace past the stop is NaN");
    }
    emdpo_fit_free(f);
    p.tol = 1e-12; /* out of reach of stochastic M-steps */
    gsl_test_int(emdpo_fit_run(ds, &p, &f), PREF_OK, "tight tol");
    if (f) {
        gsl_test_int((int)f->iters, 6, "tight tol: the cap");
        gsl_test_int(f->converged, 0, "tight tol: not converged");
    }
    emdpo_fit_free(f);
    p.tol = -1;
    gsl_test(emdpo_params_check(&p) == NULL, "negative tol refused");
    p.tol = 0.1;
    p.patience = 0;
    gsl_test(emdpo_params_check(&p) == NULL, "patience 0 refused");
    data_free(ds);
}

int main(void)
{
    gsl_set_error_handler_off();
    test_estep_direct();
    test_fit();
    test_em_steps();
    test_best_iterate();
    test_stop_rule();
    exit(gsl_test_summary());
}
