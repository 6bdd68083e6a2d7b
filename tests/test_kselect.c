/* test_kselect.c — choosing K (kselect.h) and its seams in data.h, mix.h
 * and emdpo.h, on data simulated with fixed seeds:
 * - folds: every user in exactly one fold, sizes within one, the same for
 *   the same seed and not for another, V = 1 and V > users refused;
 * - data_subset_users: the chosen users' rows copied in the order given,
 *   labels kept, an index out of range refused;
 * - mix_user_loglik_at and emdpo_user_loglik sum to mix_loglik_at and
 *   emdpo_estep's log-likelihood;
 * - the held-out log-likelihood of a fold equals a hand computation: the
 *   fit on the other folds' users (mix_fit_run with the fold's seed), then
 *   mix_loglik_at on the fold's users; bit-identical for 1 and 2 threads;
 *   EM-DPO cross-validation runs and scores every user;
 * - the total and its standard error, and both picks, against hand values.
 * Every status a library call returns is checked. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_test.h>

#include "cfg.h"
#include "cfgmap.h"
#include "emdpo.h"
#include "err.h"
#include "kselect.h"
#include "mix.h"
#include "nn.h"
#include "rngs.h"
#include "sim.h"
#include "testsim.h"

static cfg C;

static data_set *make_data(const char *const *kv, unsigned long seed)
{
    return testsim_data(&C, kv, seed);
}

static data_set *two_classes(const char *users)
{
    const char *kv[] = {"population.kind", "latent_class", "population.eta",
                        "0.6, 0.4", "population.theta", "1.3, -0.7; -0.9, 1.1",
                        "design.answer", "top1", "design.T", "3", "design.users",
                        users, NULL};
    return make_data(kv, 2385);
}

static void test_folds(void)
{
    size_t n = 103, V = 5, f1[103], f2[103], f3[103], count[5] = {0};
    gsl_test_int(kselect_folds(n, V, 42, f1), PREF_OK, "folds: 103 users, 5 folds");
    gsl_test_int(kselect_folds(n, V, 42, f2), PREF_OK, "folds: again");
    gsl_test_int(kselect_folds(n, V, 43, f3), PREF_OK, "folds: another seed");
    int same = 1, other = 1, range = 1;
    for (size_t i = 0; i < n; i++) {
        range &= f1[i] < V;
        if (f1[i] < V) count[f1[i]]++;
        same &= f1[i] == f2[i];
        other &= f1[i] == f3[i];
    }
    gsl_test(!range, "folds: every user in a fold 0..V-1");
    gsl_test(!same, "folds: the same seed gives the same folds");
    gsl_test(other, "folds: another seed gives other folds");
    size_t lo = n, hi = 0, tot = 0, idx[103];
    for (size_t v = 0; v < V; v++) {
        lo = count[v] < lo ? count[v] : lo;
        hi = count[v] > hi ? count[v] : hi;
        size_t nt = kselect_fold_users(f1, n, v, 1, idx),
               nr = kselect_fold_users(f1, n, v, 0, idx);
        gsl_test_int((int)(nt + nr), (int)n, "folds: fold %zu test + train = n", v);
        tot += nt;
    }
    gsl_test_int((int)tot, (int)n, "folds: the test sets cover every user once");
    gsl_test(hi - lo > 1, "folds: sizes %zu..%zu differ by at most 1", lo, hi);
    gsl_test_int(kselect_folds(n, 1, 42, f1), PREF_EINPUT, "folds: V = 1 refused");
    gsl_test_int(kselect_folds(4, 5, 42, f1), PREF_EINPUT, "folds: V > users refused");
}

static void test_subset(void)
{
    data_set *ds = two_classes("40");
    if (!ds) return;
    size_t pick[2] = {7, 3};
    int err;
    data_set *s = data_subset_users(ds, pick, 2, &err);
    gsl_test_int(err, PREF_OK, "subset: two users");
    if (s) {
        gsl_test_int((int)s->n_users, 2, "subset: 2 users");
        gsl_test_int(data_check(s), PREF_OK, "subset: a valid data set");
        int ok = 1;
        for (size_t j = 0; j < 2; j++) {
            size_t i = pick[j], q0 = ds->user_q[i], sq0 = s->user_q[j];
            ok &= s->user_name[j] == ds->user_name[i];
            ok &= s->user_type[j] == ds->user_type[i];
            ok &= s->user_q[j + 1] - sq0 == ds->user_q[i + 1] - q0;
            for (size_t t = 0; ok && t < ds->user_q[i + 1] - q0; t++) {
                size_t q = q0 + t, sq = sq0 + t, m = data_m(ds, q);
                ok &= data_m(s, sq) == m && s->q_r[sq] == ds->q_r[q];
                ok &= !memcmp(s->x + s->q_cand[sq] * ds->d,
                              ds->x + ds->q_cand[q] * ds->d, m * ds->d * sizeof(double));
            }
        }
        gsl_test(!ok, "subset: the users' rows, types and names, in order");
    }
    data_free(s);
    size_t bad[1] = {40};
    s = data_subset_users(ds, bad, 1, &err);
    gsl_test(s != NULL || err != PREF_EINPUT, "subset: index out of range refused");
    data_free(s);
    data_free(ds);
}

/* Sum of per-user values against the library's total. */
static void test_user_loglik(void)
{
    data_set *ds = two_classes("150");
    if (!ds) return;
    double eta[2] = {0.385, 0.615}, theta[4] = {1.1, -0.45, -0.8, 0.93};
    double *ll = malloc(ds->n_users * sizeof *ll), L = NAN, S = 0.0;
    gsl_test_int(mix_user_loglik_at(ds, 2, eta, theta, ll), PREF_OK, "mix: per user");
    gsl_test_int(mix_loglik_at(ds, 2, eta, theta, &L), PREF_OK, "mix: total");
    for (size_t i = 0; i < ds->n_users; i++) S += ll[i];
    gsl_test_rel(S, L, 1e-12, "mix: per-user values sum to the total");
    free(ll);
    data_free(ds);
}

static data_set *two_traits(emdpo_params *p)
{
    const char *kv[] = {"population.preset", "two_traits", "design.d", "4",
                        "design.m", "3", "design.answer", "full", "design.T", "4",
                        "design.users", "40", "design.prompts", "20", "design.pool",
                        "6", "emdpo.em_iters", "2", "emdpo.epochs", "2",
                        "emdpo.hidden", "8", NULL};
    data_set *ds = make_data(kv, 77);
    if (!ds) return NULL;
    cfgmap_emdpo_params(&C, p);
    p->net.d = ds->d;
    p->K = 2;
    p->threads = 1;
    return ds;
}

static void test_emdpo(void)
{
    emdpo_params p;
    data_set *ds = two_traits(&p);
    if (!ds) return;
    size_t np = nn_num_params(&p.net), n = ds->n_users;
    double *params = malloc(2 * np * sizeof(double)), eta[2] = {0.35, 0.65};
    double *post = malloc(2 * n * sizeof(double)), *ll = malloc(n * sizeof(double));
    gsl_rng *r = rngs_alloc(5);
    nn_init_params(&p.net, params, r);
    nn_init_params(&p.net, params + np, r);
    double L = NAN, S = 0.0;
    gsl_test_int(emdpo_estep(ds, &p, params, eta, post, &L), PREF_OK, "emdpo: E-step");
    gsl_test_int(emdpo_user_loglik(ds, &p, params, eta, ll), PREF_OK, "emdpo: per user");
    for (size_t i = 0; i < n; i++) S += ll[i];
    gsl_test_rel(S, L, 1e-12, "emdpo: per-user values sum to the E-step's");
    size_t fold[40];
    int conv = -1;
    for (size_t i = 0; i < n; i++) ll[i] = NAN;
    gsl_test_int(kselect_folds(n, 3, 9, fold), PREF_OK, "emdpo: folds");
    gsl_test_int(kselect_cv_emdpo(ds, fold, 3, &p, ll, &conv), PREF_OK, "emdpo: CV");
    int fin = 1;
    for (size_t i = 0; i < n; i++) fin &= isfinite(ll[i]) && ll[i] < 0.0;
    gsl_test(!fin, "emdpo: every user scored (finite, negative)");
    gsl_test(conv != 0 && conv != 1, "emdpo: converged flag set");
    gsl_rng_free(r);
    free(params);
    free(post);
    free(ll);
    data_free(ds);
}

/* The held-out values of fold v recomputed by hand from the library's
 * pieces: fit on the other users with the fold's seed, total on the fold. */
static double fold_by_hand(const data_set *ds, const size_t *fold, size_t v,
                           const mix_params *mp)
{
    size_t n = ds->n_users, *idx = malloc(n * sizeof *idx);
    mix_params q = *mp;
    q.seed = kselect_fold_seed(mp->seed, v);
    int err;
    data_set *tr = data_subset_users(ds, idx, kselect_fold_users(fold, n, v, 0, idx), &err);
    mix_fit *f = NULL;
    double L = NAN;
    if (tr) gsl_test_int(mix_fit_run(tr, 2, &q, &f), PREF_OK, "hand: training fit");
    data_set *te = data_subset_users(ds, idx, kselect_fold_users(fold, n, v, 1, idx), &err);
    if (f && te)
        gsl_test_int(mix_loglik_at(te, 2, f->eta, f->theta, &L), PREF_OK,
                     "hand: mix_loglik_at on the held-out users");
    mix_fit_free(f);
    data_free(tr);
    data_free(te);
    free(idx);
    return L;
}

static void test_cv_lcl(void)
{
    data_set *ds = two_classes("200");
    if (!ds) return;
    size_t n = ds->n_users, V = 4, fold[200];
    mix_params mp;
    mix_params_init(&mp);
    mp.starts = 3;
    mp.seed = 11;
    mp.threads = 1;
    double *ll1 = malloc(n * sizeof(double)), *ll2 = malloc(n * sizeof(double));
    int conv = -1;
    gsl_test_int(kselect_folds(n, V, 7, fold), PREF_OK, "cv: folds");
    gsl_test_int(kselect_cv_lcl(ds, fold, V, 2, &mp, ll1, &conv), PREF_OK, "cv: K = 2");
    gsl_test_int(conv, 1, "cv: every fold fit converged");
    mp.threads = 2;
    gsl_test_int(kselect_cv_lcl(ds, fold, V, 2, &mp, ll2, NULL), PREF_OK, "cv: 2 threads");
    gsl_test(memcmp(ll1, ll2, n * sizeof(double)) != 0,
             "cv: bit-identical for 1 and 2 threads");
    mp.threads = 1;
    for (size_t v = 0; v < V; v++) {
        double S = 0.0, H = fold_by_hand(ds, fold, v, &mp);
        for (size_t i = 0; i < n; i++)
            if (fold[i] == v) S += ll1[i];
        gsl_test_rel(S, H, 1e-12, "cv: fold %zu held-out total = hand computation", v);
    }
    gsl_test_int(kselect_cv_lcl(ds, fold, V, 151, &mp, ll1, NULL), PREF_EINPUT,
                 "cv: K above the training users refused");
    free(ll1);
    free(ll2);
    data_free(ds);
}

static void test_picks(void)
{
    /* Hand: total -12; mean -3, squared deviations 4 + 1 + 0 + 9 = 14,
     * sd = sqrt(14 / 3), se = sqrt(4) sd. */
    double v[4] = {-1, -2, -3, -6}, tot, se;
    kselect_total(v, 4, &tot, &se);
    gsl_test_rel(tot, -12.0, 1e-15, "total");
    gsl_test_rel(se, 2.0 * sqrt(14.0 / 3.0), 1e-15, "standard error");
    /* Best -89.5 (index 2, se 1): threshold -90.5; index 1 (-90) passes. */
    double ll[4] = {-100, -90, -89.5, -89.8}, s[4] = {2, 2, 1, 3};
    size_t best = 9;
    gsl_test_int((int)kselect_pick_1se(ll, s, 4, &best), 1, "one-SE rule picks the smaller K");
    gsl_test_int((int)best, 2, "one-SE rule: the best index");
    s[2] = 0.25;
    gsl_test_int((int)kselect_pick_1se(ll, s, 4, NULL), 2, "one-SE rule: tight se keeps the best");
    double bic[4] = {NAN, 310.2, 305.1, 305.1};
    gsl_test_int((int)kselect_pick_min(bic, 4), 2, "BIC pick: smallest, earliest tie");
    double none[2] = {NAN, NAN};
    gsl_test(kselect_pick_min(none, 2) != SIZE_MAX, "BIC pick: none when all NaN");
    gsl_test(kselect_pick_1se(none, none, 2, NULL) != SIZE_MAX, "1-SE pick: none when all NaN");
}

int main(void)
{
    gsl_set_error_handler_off();
    test_folds();
    test_subset();
    test_user_loglik();
    test_emdpo();
    test_cv_lcl();
    test_picks();
    exit(gsl_test_summary());
}
