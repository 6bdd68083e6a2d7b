/* idata_law.c — the answer law of each user's own queries under a
 * latent-class mixture: the expected Fisher information and the twin
 * search of idata.h.
 *
 * How the information is computed (the score is that of identify.c, whose
 * derivation and finite-difference check it shares): per user, a table of
 * log P_PL(o | theta_k) and its gradient for every answer o of every query
 * (outcomes.h numbering: outcome j puts the candidates of outcomes_decode(j)
 * first, so pl_linear_accum of the reordered features is its likelihood);
 * then each joint outcome (a digit per query, queries of unequal m and r
 * allowed) gives log L_k = sum_t table, gamma_k, and the score
 *   d/dtheta_k = gamma_k sum_t grad_t,k,   d/dalpha_j = gamma_j - eta_j.
 * Exact: every joint outcome weighted by P(o). Monte Carlo: draws of a type
 * from eta and of each answer from the type's table, weight 1/draws, split
 * into batches for the standard error (as identify.h: the SD over batches of
 * each eigenvalue of the batch-mean information, over sqrt(batches)).
 * Not here: the design summary and verdict (idata.c), files (idataio.c). */
#include "idata.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_vector.h>

#include "err.h"
#include "mathx.h"
#include "outcomes.h"
#include "pl.h"
#include "rngs.h"

#define IDATA_STREAM 0x69646174ULL /* "idat" */

/* ---- per-user answer tables --------------------------------------------- */

typedef struct uwork {
    size_t K, d;
    double *lp;           /* (sum_t n1_t, K) log P_PL(answer j | theta_k) */
    double *gr;           /* (sum_t n1_t, K, d) its gradient in theta_k */
    size_t *off;          /* (T + 1) first table row of query t */
    size_t *n1;           /* (T) answers of query t */
    size_t *digit;        /* (T) the joint outcome being visited */
    double *xq, *plw;     /* (m, d) reordered features; pl scratch */
    double *ut;           /* (K, m) utilities of one query */
    int grad;             /* 1: fill gr too (the information) */
    double *logeta, *lw;  /* (K) */
    double *score;        /* (D) */
    uint32_t *ord;        /* (m) */
    unsigned char *used;  /* (m) */
} uwork;

static void uwork_free(uwork *w)
{
    if (!w) return;
    free(w->lp);
    free(w->gr);
    free(w->off);
    free(w->n1);
    free(w->digit);
    free(w->xq);
    free(w->plw);
    free(w->ut);
    free(w->logeta);
    free(w->lw);
    free(w->score);
    free(w->ord);
    free(w->used);
    free(w);
}

/* Scratch for any user of ds; PREF_EINPUT names a query with too many
 * answers. */
static uwork *uwork_alloc(const data_set *ds, size_t K, int *err)
{
    size_t d = ds->d, tmax = 1, rows = 1, mmax = 2;
    for (size_t i = 0; i < ds->n_users; i++) {
        size_t T = ds->user_q[i + 1] - ds->user_q[i], sum = 0;
        if (T > tmax) tmax = T;
        for (size_t q = ds->user_q[i]; q < ds->user_q[i + 1]; q++) {
            size_t m = data_m(ds, q);
            size_t n1 = outcomes_count(m, ds->q_r[q], IDATA_MAX_QUERY_OUTCOMES);
            if (!n1)
                return pref_fail_null(err, PREF_EINPUT, "identify: a query with "
                                      "%zu candidates ranked %u deep has more "
                                      "than %zu answers (the limit of identify "
                                      "--data)", m, (unsigned)ds->q_r[q],
                                      IDATA_MAX_QUERY_OUTCOMES);
            if (m > mmax) mmax = m;
            sum += n1;
        }
        if (sum > rows) rows = sum;
    }
    uwork *w = calloc(1, sizeof *w);
    if (!w) return pref_fail_null(err, PREF_ENOMEM, "out of memory");
    w->K = K;
    w->d = d;
    w->lp = malloc(rows * K * sizeof(double));
    w->gr = malloc(rows * K * d * sizeof(double));
    w->off = malloc((tmax + 1) * sizeof(size_t));
    w->n1 = malloc(tmax * sizeof(size_t));
    w->digit = malloc(tmax * sizeof(size_t));
    w->xq = malloc(mmax * d * sizeof(double));
    w->plw = malloc((2 * mmax + d) * sizeof(double));
    w->ut = malloc(K * mmax * sizeof(double));
    w->logeta = malloc(K * sizeof(double));
    w->lw = malloc(K * sizeof(double));
    w->score = malloc((K * d + K) * sizeof(double));
    w->ord = malloc(mmax * sizeof(uint32_t));
    w->used = malloc(mmax);
    if (!w->lp || !w->gr || !w->off || !w->n1 || !w->digit || !w->xq ||
        !w->plw || !w->ut || !w->logeta || !w->lw || !w->score || !w->ord || !w->used) {
        uwork_free(w);
        return pref_fail_null(err, PREF_ENOMEM, "out of memory for the "
                              "identification tables");
    }
    if (err) *err = PREF_OK;
    return w;
}

/* log P_PL only (w->grad = 0): utilities once per type, then each answer's
 * reordering of them. */
static void tables_nograd(uwork *w, const double *x, size_t m, size_t r,
                          size_t row0, size_t n1, const double *theta)
{
    size_t K = w->K, d = w->d;
    for (size_t k = 0; k < K; k++)
        pl_utilities(x, m, d, theta + k * d, w->ut + k * m);
    for (size_t j = 0; j < n1; j++) {
        outcomes_decode(j, m, r, w->ord, w->used);
        for (size_t k = 0; k < K; k++) {
            for (size_t c = 0; c < m; c++)
                w->plw[c] = w->ut[k * m + w->ord[c]];
            w->lp[(row0 + j) * K + k] = pl_loglik(w->plw, m, r);
        }
    }
}

/* Tables of user i at (eta, theta) (gradients when w->grad); returns the joint outcome count,
 * saturated at cap + 1. */
static size_t uwork_tables(uwork *w, const data_set *ds, size_t i,
                           const double *eta, const double *theta, size_t cap)
{
    size_t K = w->K, d = w->d, T = ds->user_q[i + 1] - ds->user_q[i], N = 1;
    for (size_t k = 0; k < K; k++) w->logeta[k] = log(eta[k]);
    w->off[0] = 0;
    for (size_t t = 0; t < T; t++) {
        size_t q = ds->user_q[i] + t, m = data_m(ds, q), r = ds->q_r[q];
        const double *x = ds->x + ds->q_cand[q] * d;
        size_t n1 = outcomes_count(m, r, IDATA_MAX_QUERY_OUTCOMES);
        w->n1[t] = n1;
        w->off[t + 1] = w->off[t] + n1;
        N = N > (cap + 1) / n1 ? cap + 1 : N * n1;
        if (!w->grad) {
            tables_nograd(w, x, m, r, w->off[t], n1, theta);
            continue;
        }
        for (size_t j = 0; j < n1; j++) {
            outcomes_decode(j, m, r, w->ord, w->used);
            for (size_t c = 0; c < m; c++)
                memcpy(w->xq + c * d, x + (size_t)w->ord[c] * d,
                       d * sizeof(double));
            size_t row = w->off[t] + j;
            for (size_t k = 0; k < K; k++) {
                double *g = w->gr + (row * K + k) * d;
                memset(g, 0, d * sizeof(double));
                w->lp[row * K + k] = pl_linear_accum(w->xq, m, d, r,
                                                     theta + k * d, 1.0, g,
                                                     NULL, w->plw);
            }
        }
    }
    return N > cap ? cap + 1 : N;
}

/* log P of the joint outcome w->digit[0..T); w->lw = log eta_k L_k. */
static double uwork_logp(uwork *w, size_t T)
{
    size_t K = w->K;
    for (size_t k = 0; k < K; k++) {
        double s = w->logeta[k];
        for (size_t t = 0; t < T; t++)
            s += w->lp[(w->off[t] + w->digit[t]) * K + k];
        w->lw[k] = s;
    }
    return mathx_logsumexp(w->lw, K);
}

/* log P of the joint outcome w->digit[0..T) and its score into w->score
 * (needs the gradient tables). */
static double uwork_score(uwork *w, size_t T, const double *eta)
{
    size_t K = w->K, d = w->d, Kd = K * d;
    double lp = uwork_logp(w, T);
    for (size_t k = 0; k < K; k++) {
        double gk = exp(w->lw[k] - lp), *s = w->score + k * d;
        for (size_t a = 0; a < d; a++) s[a] = 0.0;
        for (size_t t = 0; t < T; t++) {
            const double *g = w->gr + ((w->off[t] + w->digit[t]) * K + k) * d;
            for (size_t a = 0; a < d; a++) s[a] += g[a];
        }
        for (size_t a = 0; a < d; a++) s[a] *= gk;
        if (k + 1 < K) w->score[Kd + k] = gk - eta[k];
    }
    return lp;
}

/* Advance the mixed-radix odometer; 0 after the last outcome. */
static int uwork_next(uwork *w, size_t T)
{
    for (size_t t = T; t-- > 0;) {
        if (++w->digit[t] < w->n1[t]) return 1;
        w->digit[t] = 0;
    }
    return 0;
}

/* acc (D, D) upper triangle += c s s^T. */
static void add_outer(double *acc, const double *s, size_t D, double c)
{
    for (size_t a = 0; a < D; a++) {
        double ca = c * s[a];
        for (size_t b = a; b < D; b++) acc[a * D + b] += ca * s[b];
    }
}

static void exact_accum(uwork *w, size_t T, const double *eta, double wt,
                        double *acc, size_t D)
{
    memset(w->digit, 0, T * sizeof(size_t));
    do {
        double lp = uwork_score(w, T, eta);
        add_outer(acc, w->score, D, wt * exp(lp));
    } while (uwork_next(w, T));
}

/* Draw one joint outcome into w->digit: a type from eta, then each answer
 * from that type's table. */
static void mc_draw(uwork *w, size_t T, const double *eta, gsl_rng *rng)
{
    size_t K = w->K, k = 0;
    double u = gsl_rng_uniform(rng), c = eta[0];
    while (k + 1 < K && u >= c) c += eta[++k];
    for (size_t t = 0; t < T; t++) {
        size_t j = 0, n1 = w->n1[t];
        u = gsl_rng_uniform(rng);
        c = exp(w->lp[w->off[t] * K + k]);
        while (j + 1 < n1 && u >= c) c += exp(w->lp[(w->off[t] + ++j) * K + k]);
        w->digit[t] = j;
    }
}

static void mc_accum(uwork *w, size_t T, const double *eta, gsl_rng *rng,
                     const idata_params *p, double wt, double *bacc, size_t D)
{
    size_t B = p->mc_batches, per = p->mc_draws / B;
    for (size_t b = 0; b < B; b++)
        for (size_t s = 0; s < per; s++) {
            mc_draw(w, T, eta, rng);
            uwork_score(w, T, eta);
            add_outer(bacc + b * D * D, w->score, D, wt / (double)per);
        }
}

/* ---- grouping users with identical designs ------------------------------ */

typedef struct ukey {
    uint64_t h;
    size_t user;
} ukey;

static int cmp_ukey(const void *a, const void *b)
{
    const ukey *x = a, *y = b;
    if (x->h != y->h) return x->h < y->h ? -1 : 1;
    return x->user < y->user ? -1 : x->user > y->user;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) h = (h ^ c[i]) * 0x100000001b3ULL;
    return h;
}

static uint64_t design_hash(const data_set *ds, size_t i)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    size_t T = ds->user_q[i + 1] - ds->user_q[i];
    h = fnv(h, &T, sizeof T);
    for (size_t q = ds->user_q[i]; q < ds->user_q[i + 1]; q++) {
        size_t m = data_m(ds, q);
        h = fnv(h, &m, sizeof m);
        h = fnv(h, &ds->q_r[q], sizeof ds->q_r[q]);
        h = fnv(h, ds->x + ds->q_cand[q] * ds->d, m * ds->d * sizeof(double));
    }
    return h;
}

static int design_equal(const data_set *ds, size_t i, size_t j)
{
    size_t T = ds->user_q[i + 1] - ds->user_q[i];
    if (T != ds->user_q[j + 1] - ds->user_q[j]) return 0;
    for (size_t t = 0; t < T; t++) {
        size_t a = ds->user_q[i] + t, b = ds->user_q[j] + t, m = data_m(ds, a);
        if (m != data_m(ds, b) || ds->q_r[a] != ds->q_r[b]) return 0;
        if (memcmp(ds->x + ds->q_cand[a] * ds->d, ds->x + ds->q_cand[b] * ds->d,
                   m * ds->d * sizeof(double)))
            return 0;
    }
    return 1;
}

/* rep[i] = the smallest user with user i's design; returns the group count
 * (0 when out of memory). */
static size_t group_users(const data_set *ds, size_t *rep)
{
    size_t n = ds->n_users, groups = 0;
    ukey *key = malloc((n ? n : 1) * sizeof *key);
    if (!key) return 0;
    for (size_t i = 0; i < n; i++) {
        key[i].h = design_hash(ds, i);
        key[i].user = i;
    }
    qsort(key, n, sizeof *key, cmp_ukey);
    for (size_t a = 0; a < n; a++) {
        size_t u = key[a].user, b = a;
        rep[u] = u;
        while (b-- > 0 && key[b].h == key[a].h)
            if (rep[key[b].user] == key[b].user && design_equal(ds, u, key[b].user))
                rep[u] = key[b].user;
        groups += rep[u] == u;
    }
    free(key);
    return groups;
}

/* ---- Fisher information ------------------------------------------------- */

void idata_fisher_free(idata_fisher *f)
{
    if (!f) return;
    free(f->info);
    free(f->eval);
    free(f->eval_se);
    free(f->evec);
    memset(f, 0, sizeof *f);
}

static int check_params(const data_set *ds, size_t K, const double *eta,
                        const double *theta, const idata_params *p)
{
    const char *why = idata_params_check(p);
    if (why) PREF_ERROR(PREF_EINPUT, "identify: %s", why);
    if (K < 1 || K > 64 || ds->d < 1 || ds->n_users < 1)
        PREF_ERROR(PREF_EINPUT, "identify: K = %zu types, d = %zu features, "
                   "%zu users", K, ds->d, ds->n_users);
    double sum = 0.0;
    for (size_t k = 0; k < K; k++) {
        if (!(eta[k] > 0 && eta[k] <= 1))
            PREF_ERROR(PREF_EINPUT, "identify: weight of type %zu is %g (need "
                       "0 < weight <= 1)", k + 1, eta[k]);
        sum += eta[k];
    }
    if (fabs(sum - 1.0) > 1e-9)
        PREF_ERROR(PREF_EINPUT, "identify: the weights sum to %.17g, not 1", sum);
    for (size_t i = 0; i < K * ds->d; i++)
        if (!isfinite(theta[i]))
            PREF_ERROR(PREF_EINPUT, "identify: a coefficient is not finite");
    return PREF_OK;
}

/* Mirror the upper triangle of the (D, D) matrix a. */
static void sym_upper(double *a, size_t D)
{
    for (size_t i = 0; i < D; i++)
        for (size_t j = i + 1; j < D; j++) a[j * D + i] = a[i * D + j];
}

/* Ascending eigenvalues (and vectors into evec when not NULL) of the
 * symmetric (D, D) a (destroyed). */
static int eigen(double *a, size_t D, double *eval, double *evec)
{
    gsl_matrix_view A = gsl_matrix_view_array(a, D, D);
    gsl_vector *ev = gsl_vector_alloc(D);
    gsl_matrix *V = gsl_matrix_alloc(D, D);
    gsl_eigen_symmv_workspace *ws = gsl_eigen_symmv_alloc(D);
    int st = PREF_OK;
    if (!ev || !V || !ws) st = pref_set_error(PREF_ENOMEM, "out of memory");
    else if (gsl_eigen_symmv(&A.matrix, ev, V, ws) ||
             gsl_eigen_symmv_sort(ev, V, GSL_EIGEN_SORT_VAL_ASC))
        st = pref_set_error(PREF_ENUM, "identify: the eigensolver failed");
    for (size_t i = 0; !st && i < D; i++) {
        eval[i] = gsl_vector_get(ev, i);
        for (size_t j = 0; evec && j < D; j++)
            evec[i * D + j] = gsl_matrix_get(V, i, j);
    }
    gsl_vector_free(ev);
    gsl_matrix_free(V);
    if (ws) gsl_eigen_symmv_free(ws);
    return st;
}

/* The batch-means SE of each eigenvalue: batch b's information is
 * exact + bacc_b. */
static int fisher_se(const double *exact, const double *bacc, size_t B,
                     size_t D, double *se)
{
    double *m = malloc(D * D * sizeof(double));
    double *ev = malloc(B * D * sizeof(double));
    int st = m && ev ? PREF_OK : pref_set_error(PREF_ENOMEM, "out of memory");
    for (size_t b = 0; !st && b < B; b++) {
        for (size_t i = 0; i < D * D; i++) m[i] = exact[i] + bacc[b * D * D + i];
        sym_upper(m, D);
        st = eigen(m, D, ev + b * D, NULL);
    }
    for (size_t i = 0; !st && i < D; i++) {
        double mean = 0.0, ss = 0.0;
        for (size_t b = 0; b < B; b++) mean += ev[b * D + i] / (double)B;
        for (size_t b = 0; b < B; b++)
            ss += (ev[b * D + i] - mean) * (ev[b * D + i] - mean);
        se[i] = sqrt(ss / (double)(B - 1)) / sqrt((double)B);
    }
    free(m);
    free(ev);
    return st;
}

/* Sum every group's information into exact (upper) and, for Monte Carlo
 * groups, into bacc (B batches). */
static int fisher_accum(const data_set *ds, size_t K, const double *eta,
                        const double *theta, const idata_params *p,
                        const size_t *rep, double *exact, double *bacc,
                        idata_fisher *out)
{
    size_t n = ds->n_users, D = out->dim;
    size_t *cnt = calloc(n, sizeof(size_t));
    int st = PREF_OK;
    uwork *w = cnt ? uwork_alloc(ds, K, &st) : NULL;
    if (w) w->grad = 1;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!st && (!cnt || !rng)) st = pref_set_error(PREF_ENOMEM, "out of memory");
    for (size_t i = 0; !st && i < n; i++) cnt[rep[i]]++;
    for (size_t i = 0; !st && i < n; i++) {
        if (rep[i] != i) continue;
        size_t T = ds->user_q[i + 1] - ds->user_q[i];
        size_t N = uwork_tables(w, ds, i, eta, theta, p->exact_max);
        double wt = (double)cnt[i] / (double)n;
        if (N > out->max_outcomes) out->max_outcomes = N;
        if (N <= p->exact_max) {
            exact_accum(w, T, eta, wt, exact, D);
            out->users_exact += cnt[i];
        } else {
            gsl_rng_set(rng, rngs_seed(p->seed, i, IDATA_STREAM));
            mc_accum(w, T, eta, rng, p, wt, bacc, D);
            out->users_mc += cnt[i];
        }
    }
    uwork_free(w);
    if (rng) gsl_rng_free(rng);
    free(cnt);
    return st;
}

static int fisher_alloc(idata_fisher *out, size_t K, size_t d)
{
    memset(out, 0, sizeof *out);
    out->K = K;
    out->d = d;
    out->dim = K * d + K - 1;
    size_t D = out->dim;
    out->info = calloc(D * D, sizeof(double));
    out->eval = calloc(D, sizeof(double));
    out->eval_se = calloc(D, sizeof(double));
    out->evec = calloc(D * D, sizeof(double));
    if (!out->info || !out->eval || !out->eval_se || !out->evec) {
        idata_fisher_free(out);
        return pref_set_error(PREF_ENOMEM, "out of memory");
    }
    return PREF_OK;
}

int idata_fisher_run(const data_set *ds, size_t K, const double *eta,
                     const double *theta, const idata_params *p,
                     idata_fisher *out)
{
    memset(out, 0, sizeof *out);
    PREF_TRY(check_params(ds, K, eta, theta, p));
    PREF_TRY(fisher_alloc(out, K, ds->d));
    size_t D = out->dim, B = p->mc_batches;
    size_t *rep = malloc(ds->n_users * sizeof(size_t));
    double *exact = calloc(D * D, sizeof(double));
    double *bacc = calloc(B * D * D, sizeof(double));
    double *a = malloc(D * D * sizeof(double));
    int st = rep && exact && bacc && a ? PREF_OK
                                       : pref_set_error(PREF_ENOMEM, "out of memory");
    if (!st && !(out->groups = group_users(ds, rep)))
        st = pref_set_error(PREF_ENOMEM, "out of memory");
    if (!st) st = fisher_accum(ds, K, eta, theta, p, rep, exact, bacc, out);
    for (size_t i = 0; !st && i < D * D; i++) {
        double mc = 0.0;
        for (size_t b = 0; b < B; b++) mc += bacc[b * D * D + i];
        out->info[i] = exact[i] + mc / (double)B;
        if (!isfinite(out->info[i]))
            st = pref_set_error(PREF_ENUM, "identify: non-finite information");
    }
    if (!st) {
        sym_upper(out->info, D);
        memcpy(a, out->info, D * D * sizeof(double));
        st = eigen(a, D, out->eval, out->evec);
    }
    if (!st && out->users_mc) st = fisher_se(exact, bacc, B, D, out->eval_se);
    for (size_t j = 0; !st && j < D; j++)
        out->n_zero += out->eval[j] <= p->zero_rel * out->eval[D - 1];
    free(rep);
    free(exact);
    free(bacc);
    free(a);
    if (st) idata_fisher_free(out);
    return st;
}

/* ---- the twin ------------------------------------------------------------ */

typedef struct twin_ctx {
    const data_set *ds;
    size_t K, d, D, ng, len;
    const size_t *grp;    /* (ng) representative users */
    const double *phi;    /* (D) the fit */
    double delta;
    int joint;
    const double *law0;   /* (len) the fit's law */
    double *law, *phi1, *eta, *theta; /* scratch */
    uwork *w;
    size_t cap;
} twin_ctx;

/* (eta, theta) from phi = (theta, alpha). */
static void phi_split(const double *phi, size_t K, size_t d, double *eta,
                      double *theta)
{
    memcpy(theta, phi, K * d * sizeof(double));
    double mx = 0.0, s = 0.0;
    for (size_t k = 0; k + 1 < K; k++)
        if (phi[K * d + k] > mx) mx = phi[K * d + k];
    for (size_t k = 0; k < K; k++) {
        eta[k] = exp((k + 1 < K ? phi[K * d + k] : 0.0) - mx);
        s += eta[k];
    }
    for (size_t k = 0; k < K; k++) eta[k] /= s;
}

/* phi from (eta, theta), types in the order perm (NULL: identity). */
static void phi_join(const double *eta, const double *theta, size_t K,
                     size_t d, const size_t *perm, double *phi)
{
    for (size_t k = 0; k < K; k++) {
        size_t s = perm ? perm[k] : k;
        memcpy(phi + k * d, theta + s * d, d * sizeof(double));
        if (k + 1 < K)
            phi[K * d + k] = log(eta[s] / eta[perm ? perm[K - 1] : K - 1]);
    }
}

/* The first queries of the user in w whose joint outcomes number at most
 * cap (at least one query), and that count into *N. */
static size_t prefix_len(const uwork *w, size_t T, size_t cap, size_t *N)
{
    size_t n = 1, t = 0;
    while (t < T && (t == 0 || n <= cap / w->n1[t])) n *= w->n1[t++];
    *N = n;
    return t;
}

/* The compared law at (eta, theta) into law (c->len entries): the joint
 * law of each group's answers to its first prefix_len queries. */
static void twin_law(twin_ctx *c, const double *eta, const double *theta,
                     double *law)
{
    uwork *w = c->w;
    size_t o = 0, N;
    for (size_t g = 0; g < c->ng; g++) {
        size_t i = c->grp[g], T = c->ds->user_q[i + 1] - c->ds->user_q[i];
        uwork_tables(w, c->ds, i, eta, theta, c->cap);
        size_t Tp = prefix_len(w, T, c->cap, &N);
        memset(w->digit, 0, Tp * sizeof(size_t));
        do
            law[o++] = exp(uwork_logp(w, Tp));
        while (uwork_next(w, Tp));
    }
}

/* Sum of squared law differences at phi + delta v / |v|. */
static double twin_f(const gsl_vector *v, void *ctx)
{
    twin_ctx *c = ctx;
    double nv = gsl_blas_dnrm2(v);
    if (!(nv > 0) || !isfinite(nv)) return GSL_POSINF;
    for (size_t a = 0; a < c->D; a++)
        c->phi1[a] = c->phi[a] + c->delta * gsl_vector_get(v, a) / nv;
    phi_split(c->phi1, c->K, c->d, c->eta, c->theta);
    twin_law(c, c->eta, c->theta, c->law);
    double s = 0.0;
    for (size_t i = 0; i < c->len; i++)
        s += (c->law[i] - c->law0[i]) * (c->law[i] - c->law0[i]);
    return s;
}

/* The smallest nonzero |phi - phi(relabelled)| over the relabellings
 * perm[i..K) of the types, into *best. */
static void perm_walk(size_t *perm, size_t i, size_t K, const double *eta,
                      const double *theta, size_t d, const double *phi,
                      double *tmp, double *best)
{
    if (i + 1 >= K) {
        size_t D = K * d + K - 1;
        phi_join(eta, theta, K, d, perm, tmp);
        double s = 0.0;
        for (size_t a = 0; a < D; a++) s += (tmp[a] - phi[a]) * (tmp[a] - phi[a]);
        if (s > 0 && sqrt(s) < *best) *best = sqrt(s);
        return;
    }
    for (size_t j = i; j < K; j++) {
        size_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
        perm_walk(perm, i + 1, K, eta, theta, d, phi, tmp, best);
        perm[j] = perm[i];
        perm[i] = t;
    }
}

/* Every permutation for K <= 8 (40320), else only the transpositions. */
static double relabel_distance(size_t K, size_t d, const double *eta,
                               const double *theta, const double *phi,
                               double *tmp)
{
    size_t perm[64];
    double best = INFINITY;
    for (size_t k = 0; k < K; k++) perm[k] = k;
    if (K <= 8) {
        perm_walk(perm, 0, K, eta, theta, d, phi, tmp, &best);
        return best;
    }
    for (size_t a = 0; a < K; a++)
        for (size_t b = a + 1; b < K; b++) {
            perm[a] = b;
            perm[b] = a;
            perm_walk(perm, K, K, eta, theta, d, phi, tmp, &best);
            perm[a] = a;
            perm[b] = b;
        }
    return best;
}

/* Nelder–Mead on the sphere from the best eigenvector start; v receives
 * the best direction found. */
static int twin_search(twin_ctx *c, const idata_fisher *f,
                       const idata_params *p, gsl_vector *v)
{
    size_t D = c->D;
    gsl_vector *u = gsl_vector_alloc(D), *step = gsl_vector_alloc(D);
    gsl_multimin_fminimizer *m =
        gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, D);
    int st = u && step && m ? PREF_OK : pref_set_error(PREF_ENOMEM, "out of memory");
    double best = GSL_POSINF;
    for (size_t j = 0; !st && j < D; j++)
        for (int sg = -1; sg <= 1; sg += 2) {
            for (size_t a = 0; a < D; a++)
                gsl_vector_set(u, a, sg * f->evec[a * D + j]);
            double val = twin_f(u, c);
            if (val < best) {
                best = val;
                gsl_vector_memcpy(v, u);
            }
        }
    gsl_multimin_function F = {twin_f, D, c};
    if (!st) gsl_vector_set_all(step, 0.1);
    if (!st && best > 0 && gsl_multimin_fminimizer_set(m, &F, v, step))
        st = pref_set_error(PREF_ENUM, "identify: the twin search failed to start");
    for (size_t it = 0; !st && best > 0 && it < p->twin_iter; it++) {
        if (gsl_multimin_fminimizer_iterate(m)) break;
        if (gsl_multimin_test_size(gsl_multimin_fminimizer_size(m), 1e-6) !=
            GSL_CONTINUE)
            break;
    }
    if (!st && best > 0 && m->fval < best) gsl_vector_memcpy(v, m->x);
    gsl_vector_free(u);
    gsl_vector_free(step);
    if (m) gsl_multimin_fminimizer_free(m);
    return st;
}

void idata_twin_free(idata_twin *t)
{
    if (!t) return;
    free(t->eta);
    free(t->theta);
    memset(t, 0, sizeof *t);
}

/* The group representatives, whether every user's whole joint law is
 * compared (else some only on their first queries), and the law's length. */
static int twin_layout(twin_ctx *c, size_t *rep, size_t *grp)
{
    if (!(c->ng = group_users(c->ds, rep)))
        return pref_set_error(PREF_ENOMEM, "out of memory");
    size_t ng = 0, N;
    c->joint = 1;
    c->len = 0;
    for (size_t i = 0; i < c->ds->n_users; i++) {
        if (rep[i] != i) continue;
        grp[ng++] = i;
        size_t T = c->ds->user_q[i + 1] - c->ds->user_q[i];
        uwork_tables(c->w, c->ds, i, c->eta, c->theta, c->cap);
        if (prefix_len(c->w, T, c->cap, &N) < T) c->joint = 0;
        c->len += N;
    }
    c->grp = grp;
    return PREF_OK;
}

int idata_twin_run(const data_set *ds, size_t K, const double *eta,
                   const double *theta, const idata_fisher *fisher,
                   const idata_params *p, idata_twin *out)
{
    memset(out, 0, sizeof *out);
    PREF_TRY(check_params(ds, K, eta, theta, p));
    size_t d = ds->d, D = K * d + K - 1, n = ds->n_users;
    if (fisher->dim != D) PREF_ERROR(PREF_EINTERNAL, "identify: fisher size");
    twin_ctx c = {.ds = ds, .K = K, .d = d, .D = D, .cap = p->exact_max};
    size_t *rep = malloc(n * sizeof(size_t)), *grp = malloc(n * sizeof(size_t));
    double *phi = malloc(D * sizeof(double)), *tmp = malloc(D * sizeof(double));
    double *law0 = NULL;
    c.phi1 = malloc(D * sizeof(double));
    c.eta = malloc(K * sizeof(double));
    c.theta = malloc(K * d * sizeof(double));
    out->eta = malloc(K * sizeof(double));
    out->theta = malloc(K * d * sizeof(double));
    gsl_vector *v = gsl_vector_alloc(D);
    int st = PREF_OK;
    c.w = uwork_alloc(ds, K, &st);
    if (!st && (!rep || !grp || !phi || !tmp || !c.phi1 || !c.eta || !c.theta ||
                !out->eta || !out->theta || !v))
        st = pref_set_error(PREF_ENOMEM, "out of memory");
    if (!st) {
        memcpy(c.eta, eta, K * sizeof(double));
        memcpy(c.theta, theta, K * d * sizeof(double));
        st = twin_layout(&c, rep, grp);
    }
    if (!st) {
        law0 = malloc(c.len * sizeof(double));
        c.law = malloc(c.len * sizeof(double));
        if (!law0 || !c.law) st = pref_set_error(PREF_ENOMEM, "out of memory");
    }
    if (!st) {
        phi_join(eta, theta, K, d, NULL, phi);
        double half = relabel_distance(K, d, eta, theta, phi, tmp) / 2;
        c.phi = phi;
        c.delta = half < p->twin_delta ? half : p->twin_delta;
        c.law0 = law0;
        twin_law(&c, eta, theta, law0);
        st = twin_search(&c, fisher, p, v);
    }
    if (!st) {
        twin_f(v, &c); /* leaves the twin in c.eta, c.theta, c.law */
        memcpy(out->eta, c.eta, K * sizeof(double));
        memcpy(out->theta, c.theta, K * d * sizeof(double));
        out->K = K;
        out->d = d;
        out->joint = c.joint;
        out->distance = c.delta;
        for (size_t i = 0; i < c.len; i++)
            if (!(fabs(c.law[i] - law0[i]) <= out->max_diff))
                out->max_diff = fabs(c.law[i] - law0[i]);
        if (!isfinite(out->max_diff))
            st = pref_set_error(PREF_ENUM, "identify: non-finite twin law");
    }
    uwork_free(c.w);
    free(rep);
    free(grp);
    free(phi);
    free(tmp);
    free(law0);
    free(c.law);
    free(c.phi1);
    free(c.eta);
    free(c.theta);
    gsl_vector_free(v);
    if (st) idata_twin_free(out);
    return st;
}

