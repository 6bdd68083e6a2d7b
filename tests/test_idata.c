/* test_idata.c — identification on a data set's own queries (idata.h) and
 * its tables (idataio.h): the four designs of the verdict (single
 * pairs from a polarised population: not identified with d flat directions
 * and an exact twin; top-1 of 3 and two pairs per user: identified;
 * collinear features: not identified, naming the feature), the exact
 * information against identify.c's (the reference: identify_fisher_design,
 * itself checked against finite differences in test_identify.c), Monte
 * Carlo against exact within 5 standard errors, users with identical
 * designs sharing work. (Reading estimates.csv: test_estread.c.) Seeded. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_test.h>

#include "data.h"
#include "err.h"
#include "identify.h"
#include "idata.h"
#include "idataio.h"
#include "sim.h"
#include "strtab.h"

/* n users, each with T queries of m candidates ranked r deep, d gaussian
 * features (times 1.3); with collinear, feature d-1 = 0.5 feature 0. With
 * dup, user 2i+1 repeats user 2i's design. */
static data_set *make_ds(size_t n, size_t T, size_t m, size_t r, size_t d,
                         int collinear, int dup, gsl_rng *rng)
{
    data_set *ds = data_alloc(n, n * T, n * T * m, d, 0);
    for (size_t i = 0; i < n; i++) {
        ds->user_q[i + 1] = (i + 1) * T;
        ds->user_name[i] = (uint32_t)i;
    }
    for (size_t q = 0; q < n * T; q++) {
        ds->q_cand[q + 1] = (q + 1) * m;
        ds->q_r[q] = (uint32_t)r;
        ds->q_name[q] = (uint32_t)q;
    }
    for (size_t c = 0; c < n * T * m; c++) {
        ds->c_item[c] = (uint32_t)c;
        size_t q = c / m, i = q / T;
        for (size_t a = 0; a < d; a++)
            ds->x[c * d + a] = dup && i % 2
                                   ? ds->x[(c - T * m) * d + a]
                                   : 1.3 * gsl_ran_gaussian(rng, 1.0);
        if (collinear) ds->x[c * d + d - 1] = 0.5 * ds->x[c * d];
    }
    return ds;
}

static void test_polarised_pairs(gsl_rng *rng)
{
    data_set *ds = make_ds(40, 1, 2, 1, 2, 0, 0, rng);
    double eta[] = {0.5, 0.5}, theta[] = {1.5, -0.8, -1.5, 0.8};
    idata_params p;
    idata_params_init(&p);
    idata_design s;
    idata_fisher f;
    idata_twin t;
    idata_verdict v;
    gsl_test_int(idata_design_summary(ds, &p, &s), PREF_OK, "pairs: summary");
    gsl_test_int((int)s.rank, 2, "pairs: feature rank 2");
    gsl_test_int(idata_fisher_run(ds, 2, eta, theta, &p, &f), PREF_OK,
                 "pairs: fisher");
    gsl_test_int((int)f.n_zero, 2, "pairs: d = 2 flat directions");
    gsl_test_int((int)f.users_exact, 40, "pairs: all exact");
    gsl_test(!(f.eval[2] > 1e-3 * f.eval[4]), "pairs: the third eigenvalue "
             "%g is not flat", f.eval[2]);
    /* The flat directions are (v, -v, 0): theta_1 + theta_2 fixed. */
    for (size_t j = 0; j < 2; j++)
        for (size_t a = 0; a < 2; a++)
            gsl_test_abs(f.evec[a * 5 + j] + f.evec[(2 + a) * 5 + j], 0, 1e-9,
                         "pairs: flat vector %zu keeps theta_1 + theta_2", j);
    gsl_test_int(idata_twin_run(ds, 2, eta, theta, &f, &p, &t), PREF_OK,
                 "pairs: twin");
    gsl_test(!(t.max_diff <= 1e-12), "pairs: twin difference %g <= 1e-12",
             t.max_diff);
    gsl_test_rel(t.distance, 0.5, 1e-15, "pairs: twin at distance 0.5");
    gsl_test_int(t.joint, 1, "pairs: joint law compared");
    idata_verdict_make(ds, &s, &f, &t, &p, &v);
    gsl_test_int((int)v.status, IDATA_NOT, "pairs: not identified");
    gsl_test(!strstr(v.fix, "best of 3"), "pairs: fix '%s'", v.fix);
    gsl_test(!strstr(v.fix, "two answers per user"), "pairs: fix two answers");
    idata_design_free(&s);
    idata_fisher_free(&f);
    idata_twin_free(&t);
    data_free(ds);
}

/* Verdict of the polarised population on a design. */
static idata_status verdict_of(data_set *ds, double *min_rel)
{
    double eta[] = {0.5, 0.5}, theta[] = {1.5, -0.8, -1.5, 0.8};
    idata_params p;
    idata_params_init(&p);
    idata_design s;
    idata_fisher f;
    idata_twin t;
    idata_verdict v;
    int st = idata_design_summary(ds, &p, &s);
    if (!st) st = idata_fisher_run(ds, 2, eta, theta, &p, &f);
    if (!st) st = idata_twin_run(ds, 2, eta, theta, &f, &p, &t);
    gsl_test_int(st, PREF_OK, "verdict_of: runs");
    idata_verdict_make(ds, &s, &f, &t, &p, &v);
    *min_rel = v.min_rel;
    gsl_test(!(t.max_diff > 1e-4), "twin of an identified design differs "
             "(%g)", t.max_diff);
    idata_design_free(&s);
    idata_fisher_free(&f);
    idata_twin_free(&t);
    return v.status;
}

/* Users with more joint outcomes than exact_max: the twin compares the
 * joint law of their first queries, which still tells the polarised
 * population from its twin (each query's own law would not: it is the
 * indifferent one's for every b). */
static void test_twin_long_users(gsl_rng *rng)
{
    data_set *ds = make_ds(6, 14, 2, 1, 2, 0, 0, rng);
    double eta[] = {0.5, 0.5}, theta[] = {1.5, -0.8, -1.5, 0.8};
    idata_params p;
    idata_params_init(&p);
    p.exact_max = 64;
    p.mc_draws = 200;
    idata_fisher f;
    idata_twin t;
    gsl_test_int(idata_fisher_run(ds, 2, eta, theta, &p, &f), PREF_OK,
                 "14 pairs: fisher");
    gsl_test_int((int)f.users_mc, 6, "14 pairs: Monte Carlo (2^14 > 64)");
    gsl_test_int(idata_twin_run(ds, 2, eta, theta, &f, &p, &t), PREF_OK,
                 "14 pairs: twin");
    gsl_test_int(t.joint, 0, "14 pairs: first queries' joint law");
    gsl_test(!(t.max_diff > 1e-3), "14 pairs: the twin differs (%g)",
             t.max_diff);
    idata_fisher_free(&f);
    idata_twin_free(&t);
    data_free(ds);
}

static void test_identified(gsl_rng *rng)
{
    double rel;
    data_set *ds = make_ds(40, 1, 3, 1, 2, 0, 0, rng);
    idata_status vs = verdict_of(ds, &rel);
    gsl_test_int((int)vs, IDATA_IDENTIFIED, "top-1 of 3: identified (min rel "
                 "%g)", rel);
    data_free(ds);
    ds = make_ds(40, 2, 2, 1, 2, 0, 0, rng);
    vs = verdict_of(ds, &rel);
    gsl_test_int((int)vs, IDATA_IDENTIFIED, "two pairs per user: identified "
                 "(min rel %g)", rel);
    data_free(ds);
}

static void test_collinear(gsl_rng *rng)
{
    data_set *ds = make_ds(30, 2, 3, 1, 3, 1, 0, rng);
    ds->features = strtab_alloc();
    const char *nm[] = {"price", "time", "comfort"};
    for (size_t j = 0; j < 3; j++) {
        uint32_t idx;
        strtab_intern(ds->features, nm[j], strlen(nm[j]), &idx);
    }
    double eta[] = {0.4, 0.6}, theta[] = {1, 0.5, 0.2, -1, 0.3, 0.1};
    idata_params p;
    idata_params_init(&p);
    idata_design s;
    idata_fisher f;
    idata_verdict v;
    gsl_test_int(idata_design_summary(ds, &p, &s), PREF_OK, "collinear: summary");
    gsl_test_int((int)s.rank, 2, "collinear: rank 2 of 3");
    gsl_test(!isinf(s.cond), "collinear: condition number infinite");
    gsl_test_int(idata_fisher_run(ds, 2, eta, theta, &p, &f), PREF_OK,
                 "collinear: fisher");
    gsl_test_int((int)f.n_zero, 2, "collinear: one flat direction per type");
    idata_verdict_make(ds, &s, &f, NULL, &p, &v);
    gsl_test_int((int)v.status, IDATA_NOT, "collinear: not identified");
    gsl_test(!strstr(v.reason, "feature comfort is collinear with price"),
             "collinear: reason names the feature: %s", v.reason);
    char nb[64];
    gsl_test_str(idata_param_name(ds, 2, 5, nb, sizeof nb), "theta_2[comfort]",
                 "parameter name theta_2[comfort]");
    gsl_test_str(idata_param_name(ds, 2, 6, nb, sizeof nb), "eta_1",
                 "parameter name eta_1");
    idata_design_free(&s);
    idata_fisher_free(&f);
    data_free(ds);
}

/* One user, two top-1-of-3 queries: the information equals identify.c's. */
static void test_against_identify(gsl_rng *rng)
{
    data_set *ds = make_ds(1, 2, 3, 1, 2, 0, 0, rng);
    double eta[] = {0.3, 0.7}, theta[] = {0.9, -0.4, -0.7, 1.1};
    idata_params p;
    idata_params_init(&p);
    idata_fisher f;
    gsl_test_int(idata_fisher_run(ds, 2, eta, theta, &p, &f), PREF_OK,
                 "one user: fisher");
    sim_population pop;
    memset(&pop, 0, sizeof pop);
    pop.K = 2;
    pop.d = 2;
    pop.eta = eta;
    pop.theta = theta;
    int err;
    identify_workspace *w = identify_workspace_alloc(2, 2, 3, 1, 2, &err);
    double ref[25];
    gsl_test_int(identify_fisher_design(&pop, ds->x, w, ref, NULL), PREF_OK,
                 "identify_fisher_design");
    for (size_t i = 0; i < 25; i++)
        gsl_test_abs(f.info[i], ref[i], 1e-13, "info[%zu] = identify.c's", i);
    identify_workspace_free(w);
    idata_fisher_free(&f);
    data_free(ds);
}

/* Monte Carlo (exact_max = 1) against exact; identical designs grouped. */
static void test_mc_and_groups(gsl_rng *rng)
{
    data_set *ds = make_ds(20, 2, 3, 1, 2, 0, 1, rng);
    double eta[] = {0.45, 0.55}, theta[] = {1.2, -0.3, -0.8, 0.9};
    idata_params p;
    idata_params_init(&p);
    idata_fisher ex, mc;
    gsl_test_int(idata_fisher_run(ds, 2, eta, theta, &p, &ex), PREF_OK, "exact");
    gsl_test_int((int)ex.groups, 10, "10 groups of 2 identical designs");
    gsl_test_int((int)ex.max_outcomes, 9, "9 joint outcomes per user");
    p.exact_max = 1;
    p.mc_draws = 20000;
    gsl_test_int(idata_fisher_run(ds, 2, eta, theta, &p, &mc), PREF_OK, "mc");
    gsl_test_int((int)mc.users_mc, 20, "all users Monte Carlo");
    for (size_t j = 0; j < 5; j++) {
        gsl_test(!(mc.eval_se[j] > 0), "mc se[%zu] = %g > 0", j, mc.eval_se[j]);
        gsl_test(!(fabs(mc.eval[j] - ex.eval[j]) <= 5 * mc.eval_se[j]),
                 "eigenvalue %zu: mc %g vs exact %g within 5 se (%g)", j,
                 mc.eval[j], ex.eval[j], mc.eval_se[j]);
        gsl_test_abs(ex.eval_se[j], 0, 0, "exact se 0");
    }
    idata_fisher_free(&ex);
    idata_fisher_free(&mc);
    data_free(ds);
}

int main(void)
{
    gsl_set_error_handler_off();
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 20261130);
    test_polarised_pairs(rng);
    test_identified(rng);
    test_twin_long_users(rng);
    test_collinear(rng);
    test_against_identify(rng);
    test_mc_and_groups(rng);
    gsl_rng_free(rng);
    exit(gsl_test_summary());
}
