/* test_fitdiag.c — the trust diagnostics of a fit: flat directions counted
 * against the stated relative threshold (negative eigenvalues among them),
 * the utility scale of a class against a hand formula for pairs, tiny and
 * exploding classes, a best reached by one start, a real fit with a
 * constant feature (one exact flat direction), EM-DPO weights, and bad
 * input. All seeded. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_test.h>

#include "csvio.h"
#include "err.h"
#include "fitdiag.h"
#include "mix.h"

/* Hand formula for pairs: the centred utilities are +-theta.(x1 - x2)/2. */
static double pair_scale(const data_set *ds, const double *th)
{
    size_t d = ds->d;
    double ss = 0.0;
    for (size_t q = 0; q < ds->n_queries; q++) {
        const double *x = ds->x + ds->q_cand[q] * d;
        double u = 0.0;
        for (size_t j = 0; j < d; j++) u += 0.5 * th[j] * (x[j] - x[d + j]);
        ss += u * u;
    }
    return sqrt(ss / (double)ds->n_queries);
}

static void test_synthetic(const data_set *ds)
{
    double eta[3] = {0.6, 0.385, 0.015};
    double theta[9] = {1.5, -0.8, 0.3, -1.2, 0.4, 0.1, 1160.6, -425.5, 20};
    /* ascending, the largest 100: the threshold is 1e-8 x 100 = 1e-6 */
    double ev[11] = {-0.5, 2e-7, 9.9e-7, 1.01e-6, 0.3, 4, 5, 6, 7, 50, 100};
    mix_fit f;
    memset(&f, 0, sizeof f);
    f.K = 3;
    f.d = 3;
    f.n_users = ds->n_users;
    f.eta = eta;
    f.theta = theta;
    f.n_params = 11;
    f.info_eval = ev;
    f.se_ok = 1;
    f.converged = 1;
    f.starts = 5;
    f.best_hits = 1;
    fitdiag dg;
    fitdiag_params q;
    fitdiag_params_init(&q);
    gsl_test_rel(q.flat_rel, 1e-8, 0, "flat_rel default");
    gsl_test_rel(q.min_weight, 0.02, 0, "min_weight default");
    gsl_test_rel(q.max_utility, 10, 0, "max_utility default");
    gsl_test_int(fitdiag_lcl(ds, &f, &q, &dg), PREF_OK, "diagnose");
    gsl_test_int((int)dg.n_flat, 3, "three eigenvalues <= 1e-6 (1.01e-6 is not)");
    gsl_test_int((int)dg.n_negative, 1, "one negative");
    gsl_test_int(dg.identified, 0, "not identified");
    gsl_test_int((int)dg.n_params, 11, "dimension 11");
    for (size_t k = 0; k < 3; k++)
        gsl_test_rel(dg.scale[k], pair_scale(ds, theta + 3 * k), 1e-12,
                     "utility scale of class %zu = hand formula", k + 1);
    gsl_test(!(dg.scale[0] > 0.5 && dg.scale[0] < 3), "class 1 scale %g is "
             "ordinary", dg.scale[0]);
    gsl_test(dg.tiny[0] || dg.tiny[1] || !dg.tiny[2], "only class 3 is tiny "
             "(0.015 < 0.02)");
    gsl_test(dg.exploding[0] || dg.exploding[1] || !dg.exploding[2],
             "only class 3 explodes (scale %g)", dg.scale[2]);
    gsl_test_int((int)dg.degenerate, 1, "one degenerate class");
    gsl_test_int(dg.single_best, 1, "best reached by 1 of 5 starts");
    /* A clean case: all eigenvalues well above, two classes, two hits. */
    for (size_t a = 0; a < 11; a++) ev[a] = 1.0 + (double)a;
    eta[2] = 0.02; /* at the threshold: not tiny */
    theta[6] = 1.0;
    theta[7] = 2.0;
    theta[8] = 0.5;
    f.best_hits = 2;
    gsl_test_int(fitdiag_lcl(ds, &f, &q, &dg), PREF_OK, "clean");
    gsl_test(dg.identified != 1 || dg.n_flat || dg.degenerate || dg.single_best,
             "clean: identified, no flat direction, no degenerate class, "
             "several starts at the best");
    /* EM stopped as flat: not identified, one flat direction at least,
     * though the spectrum there is clean. */
    f.flat = 1;
    f.converged = 0;
    gsl_test_int(fitdiag_lcl(ds, &f, &q, &dg), PREF_OK, "stopped flat");
    gsl_test(dg.identified != 0 || dg.n_flat != 1 || dg.converged != 0,
             "stopped flat: identified 0 (got %d), 1 flat direction (got %zu), "
             "not converged", dg.identified, dg.n_flat);
    f.flat = 0;
    f.converged = 1;
    f.se_ok = 0;
    gsl_test_int(fitdiag_lcl(ds, &f, &q, &dg), PREF_OK, "se failed");
    gsl_test_int(dg.identified, 0, "information not inverted: not identified");
    f.se_ok = 1;
    ev[10] = NAN;
    gsl_test_int(fitdiag_lcl(ds, &f, &q, &dg), PREF_OK, "no spectrum");
    gsl_test_int(dg.identified, -1, "no spectrum: not analysed");
    /* K = 1 and a single start never warn about the starts. */
    f.K = 1;
    f.n_params = 3;
    f.best_hits = 1;
    gsl_test_int(fitdiag_lcl(ds, &f, &q, &dg), PREF_OK, "K = 1");
    gsl_test_int(dg.single_best, 0, "K = 1: one optimum, no warning");
    /* Bad input. */
    f.d = 2;
    gsl_test_int(fitdiag_lcl(ds, &f, &q, &dg), PREF_EINPUT, "d mismatch");
    f.d = 3;
    q.flat_rel = 1;
    gsl_test_int(fitdiag_lcl(ds, &f, &q, &dg), PREF_EINPUT, "flat_rel 1 refused");
    fitdiag_params_init(&q);
    q.max_utility = 0;
    gsl_test(fitdiag_params_check(&q) == NULL, "max_utility 0 refused");
}

/* A real fit with a constant feature: exactly one flat direction (the
 * fit with varying features is R's glm, see tests/fit_cli.sh). */
static void test_constant_column(data_set *ds)
{
    mix_params p;
    mix_params_init(&p);
    p.starts = 2;
    mix_fit *f = NULL;
    fitdiag dg;
    gsl_test_int(mix_fit_run(ds, 1, &p, &f), PREF_OK, "K = 1 fit");
    if (f) {
        gsl_test_int(fitdiag_lcl(ds, f, NULL, &dg), PREF_OK, "diagnose K = 1");
        gsl_test(dg.identified != 1 || dg.n_flat != 0 || !dg.converged,
                 "K = 1 on varying features: identified, converged (lambda_min "
                 "%.3g)", f->info_eval[0]);
    }
    mix_fit_free(f);
    for (size_t c = 0; c < ds->n_cands; c++) ds->x[c * 3 + 1] = 0.7;
    gsl_test_int(mix_fit_run(ds, 1, &p, &f), PREF_OK, "K = 1 fit, x2 constant");
    if (f) {
        gsl_test_int(fitdiag_lcl(ds, f, NULL, &dg), PREF_OK, "diagnose x2 constant");
        gsl_test_int((int)dg.n_flat, 1, "x2 constant: one flat direction");
        gsl_test_int(dg.identified, 0, "x2 constant: not identified");
    }
    mix_fit_free(f);
}

static void test_emdpo_weights(void)
{
    double eta[2] = {0.995, 0.005};
    emdpo_fit f;
    memset(&f, 0, sizeof f);
    f.K = 2;
    f.eta = eta;
    f.converged = 0;
    fitdiag dg;
    gsl_test_int(fitdiag_emdpo(&f, NULL, &dg), PREF_OK, "EM-DPO diagnose");
    gsl_test(!dg.tiny[1] || dg.tiny[0] || dg.degenerate != 1, "EM-DPO: type 2 "
             "tiny");
    gsl_test_int(dg.identified, -1, "EM-DPO: identification not analysed");
    gsl_test_int(dg.converged, 0, "EM-DPO: converged copied");
}

int main(void)
{
    gsl_set_error_handler_off();
    /* 120 pairs of 60 users, d = 3 (the glm reference data of fit_cli.sh) */
    const char *dir = getenv("TESTDATA");
    char path[4096];
    snprintf(path, sizeof path, "%s/pairs_glm.csv", dir ? dir : "tests/data");
    data_set *ds = NULL;
    gsl_test_int(csvio_read(path, &ds), PREF_OK, "read %s (%s)", path,
                 pref_last_error());
    if (ds) {
        test_synthetic(ds);
        test_constant_column(ds);
    }
    test_emdpo_weights();
    data_free(ds);
    exit(gsl_test_summary());
}
