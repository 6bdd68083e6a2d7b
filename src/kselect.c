/* kselect.c — V-fold cross-validation by user and the picks of K (see
 * kselect.h). It fits through mix.h and emdpo.h and scores through their
 * per-user log-likelihoods; it writes no file and prints nothing. */
#include "kselect.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>

#include "err.h"
#include "rngs.h"

int kselect_folds(size_t n_users, size_t V, uint64_t seed, size_t *fold)
{
    if (V < 2 || V > n_users)
        PREF_ERROR(PREF_EINPUT, "%zu folds for %zu users: need 2 <= folds <= "
                   "users", V, n_users);
    size_t *perm = malloc(n_users * sizeof *perm);
    gsl_rng *r = rngs_alloc(rngs_seed(seed, 0, KSELECT_STREAM));
    if (!perm || !r) {
        free(perm);
        gsl_rng_free(r);
        PREF_ERROR(PREF_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n_users; i++) perm[i] = i;
    gsl_ran_shuffle(r, perm, n_users, sizeof *perm);
    for (size_t j = 0; j < n_users; j++) fold[perm[j]] = j % V;
    free(perm);
    gsl_rng_free(r);
    return PREF_OK;
}

size_t kselect_fold_users(const size_t *fold, size_t n, size_t v, int test,
                          size_t *idx)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if ((fold[i] == v) == (test != 0)) idx[c++] = i;
    return c;
}

uint64_t kselect_fold_seed(uint64_t seed, size_t v)
{
    return rngs_seed(seed, (uint64_t)v + 1, KSELECT_STREAM);
}

/* One fold of either model: the training and test subsets of fold v. */
typedef struct kselect_split {
    data_set *train, *test;
    size_t *test_idx, n_test;
} kselect_split;

static void split_free(kselect_split *s)
{
    data_free(s->train);
    data_free(s->test);
    free(s->test_idx);
}

static int split_make(const data_set *ds, const size_t *fold, size_t v,
                      kselect_split *s)
{
    size_t n = ds->n_users, *tr = malloc(n * sizeof *tr);
    s->test_idx = malloc(n * sizeof *s->test_idx);
    s->train = s->test = NULL;
    int st = PREF_OK;
    if (!tr || !s->test_idx) st = pref_set_error(PREF_ENOMEM, "out of memory");
    size_t n_train = st ? 0 : kselect_fold_users(fold, n, v, 0, tr);
    s->n_test = st ? 0 : kselect_fold_users(fold, n, v, 1, s->test_idx);
    if (!st && (n_train == 0 || s->n_test == 0))
        st = pref_set_error(PREF_EINPUT, "fold %zu: %zu training and %zu "
                            "held-out users (each needs one)", v + 1, n_train,
                            s->n_test);
    if (!st) s->train = data_subset_users(ds, tr, n_train, &st);
    if (!st) s->test = data_subset_users(ds, s->test_idx, s->n_test, &st);
    free(tr);
    return st;
}

/* Spread the held-out values of a fold (n_test, in test order) into ll. */
static void scatter(const kselect_split *s, const double *part, double *ll)
{
    for (size_t j = 0; j < s->n_test; j++) ll[s->test_idx[j]] = part[j];
}

/* Fit K types on the training users of s and score its test users. */
static int fold_lcl(const kselect_split *s, size_t K, const mix_params *p,
                    double *part, int *converged)
{
    mix_fit *f = NULL;
    PREF_TRY(mix_fit_run(s->train, K, p, &f));
    int st = mix_user_loglik_at(s->test, K, f->eta, f->theta, part);
    *converged = f->converged;
    mix_fit_free(f);
    return st;
}

static int fold_emdpo(const kselect_split *s, const emdpo_params *p,
                      double *part, int *converged)
{
    emdpo_fit *f = NULL;
    PREF_TRY(emdpo_fit_run(s->train, p, &f));
    int st = emdpo_user_loglik(s->test, p, f->params, f->eta, part);
    *converged = f->converged;
    emdpo_fit_free(f);
    return st;
}

/* The fold loop shared by both models: lcl when mp is not NULL, else
 * EM-DPO with ep. */
static int cv_run(const data_set *ds, const size_t *fold, size_t V, size_t K,
                  const mix_params *mp, const emdpo_params *ep, double *ll,
                  int *converged)
{
    double *part = malloc(ds->n_users * sizeof *part);
    if (!part) PREF_ERROR(PREF_ENOMEM, "out of memory");
    int st = PREF_OK, all = 1;
    for (size_t v = 0; v < V && !st; v++) {
        kselect_split s;
        int conv = 0;
        st = split_make(ds, fold, v, &s);
        if (!st && mp) {
            mix_params q = *mp;
            q.seed = kselect_fold_seed(mp->seed, v);
            st = fold_lcl(&s, K, &q, part, &conv);
        } else if (!st) {
            emdpo_params q = *ep;
            q.seed = kselect_fold_seed(ep->seed, v);
            st = fold_emdpo(&s, &q, part, &conv);
        }
        if (st) {
            char why[1024];
            snprintf(why, sizeof why, "%s", pref_last_error());
            pref_set_error(st, "cross-validation fold %zu of %zu, K = %zu: %s",
                           v + 1, V, K, why);
        } else {
            scatter(&s, part, ll);
        }
        all &= conv;
        split_free(&s);
    }
    free(part);
    if (converged) *converged = all;
    return st;
}

int kselect_cv_lcl(const data_set *ds, const size_t *fold, size_t V, size_t K,
                   const mix_params *p, double *ll, int *converged)
{
    mix_params def;
    if (!p) {
        mix_params_init(&def);
        p = &def;
    }
    return cv_run(ds, fold, V, K, p, NULL, ll, converged);
}

int kselect_cv_emdpo(const data_set *ds, const size_t *fold, size_t V,
                     const emdpo_params *p, double *ll, int *converged)
{
    return cv_run(ds, fold, V, p->K, NULL, p, ll, converged);
}

void kselect_total(const double *ll, size_t n, double *total, double *se)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += ll[i];
    *total = s;
    *se = NAN;
    if (n < 2) return;
    double mean = s / (double)n, ss = 0.0;
    for (size_t i = 0; i < n; i++) ss += (ll[i] - mean) * (ll[i] - mean);
    *se = sqrt((double)n) * sqrt(ss / (double)(n - 1));
}

size_t kselect_pick_min(const double *crit, size_t n)
{
    size_t b = SIZE_MAX;
    for (size_t j = 0; j < n; j++)
        if (!isnan(crit[j]) && (b == SIZE_MAX || crit[j] < crit[b])) b = j;
    return b;
}

size_t kselect_pick_1se(const double *ll, const double *se, size_t n,
                        size_t *best)
{
    size_t b = SIZE_MAX;
    for (size_t j = 0; j < n; j++)
        if (!isnan(ll[j]) && (b == SIZE_MAX || ll[j] > ll[b])) b = j;
    if (best) *best = b;
    if (b == SIZE_MAX) return b;
    double bar = ll[b] - (isnan(se[b]) ? 0.0 : se[b]);
    for (size_t j = 0; j < n; j++)
        if (!isnan(ll[j]) && ll[j] >= bar) return j;
    return b;
}
