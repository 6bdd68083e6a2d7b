/* identify.c — exact joint-outcome laws, observational equivalence and the
 * expected Fisher information of the latent-class model (see identify.h).
 *
 * What it does. For one design it builds, per query t and per outcome j of
 * that query, the table log P_PL(o_j | theta_k) (and, for the information,
 * its gradient in theta_k, from pl_linear_accum), then walks all joint
 * outcomes with the odometer of outcomes.h (query T-1 the fastest digit),
 * keeping prefix sums over queries so only the queries whose digit changed
 * are re-added.
 * Per joint outcome: log L_k = sum_t table, log P = LSE_k(log eta_k + log
 * L_k), gamma_k = exp(log eta_k + log L_k - log P), and the score of
 * identify.h; the information accumulates P s s^T (upper triangle, mirrored
 * at the end).
 *
 * Why the score is right: log P(o) = log sum_k eta_k L_k(o), so
 *   d/dtheta_k log P = eta_k L_k / P * d log L_k / dtheta_k
 *                    = gamma_k sum_t d log P_PL(o_t | theta_k) / dtheta,
 *   d/dalpha_j log P = sum_k L_k (d eta_k / d alpha_j) / P
 *                    = sum_k L_k eta_k (delta_kj - eta_j) / P = gamma_j - eta_j,
 * with eta = softmax(alpha_1..alpha_{K-1}, 0). E[s] = 0 and
 * E[s s^T] = -E[d2 log P] are checked in tests/test_identify.c against
 * central finite differences of log P.
 *
 * What it deliberately does not do: sample answers (everything is exact
 * over outcomes; only the designs are random), handle gaussian populations,
 * write files (identify_tables.c), print, or touch GSL's error handler (main
 * turns it off once; every GSL status is checked here). */
#include "identify.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_sort_vector.h>
#include <gsl/gsl_vector.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "err.h"
#include "mathx.h"
#include "outcomes.h"
#include "pl.h"
#include "rngs.h"

/* Designs whose matrices are computed in parallel before being summed in
 * order. Any value gives the same bits; it only bounds memory (CHUNK D^2). */
#define IDENTIFY_CHUNK 64

size_t identify_n_outcomes(size_t m, size_t r, size_t T)
{
    if (m < 2 || r < 1 || T < 1) return 0;
    if (r >= m) r = m - 1;
    return outcomes_joint_count(outcomes_count(m, r, IDENTIFY_MAX_OUTCOMES), T,
                                IDENTIFY_MAX_OUTCOMES);
}

size_t identify_dim(size_t K, size_t d)
{
    return K * d + (K ? K - 1 : 0);
}

/* ---- workspace ---------------------------------------------------------- */

struct identify_workspace {
    size_t K, d, m, r, T, n1, N, D;
    double *lp;       /* (T, n1, K) log P_PL(outcome j of query t | theta_k) */
    double *gr;       /* (T, n1, K, d) its gradient in theta_k */
    double *cum_lp;   /* (T + 1, K) prefix sums over queries */
    double *cum_gr;   /* (T + 1, K, d) */
    double *ut;       /* (K, m) utilities of one query */
    double *uq;       /* (m) utilities in outcome order */
    double *xq;       /* (m, d) features in outcome order */
    double *plw;      /* (2 m + d) pl_linear_accum scratch */
    double *logeta;   /* (K) */
    double *lw;       /* (K) log eta_k + log L_k */
    double *score;    /* (D) */
    double *acc;      /* (D, D) upper triangle of sum P s s^T */
    double *sacc;     /* (D) sum P s */
    uint32_t *ord;    /* (m) candidate order of one outcome */
    unsigned char *used; /* (m) */
    size_t *digit;    /* (T) odometer */
};

void identify_workspace_free(identify_workspace *w)
{
    if (!w) return;
    free(w->lp);
    free(w->gr);
    free(w->cum_lp);
    free(w->cum_gr);
    free(w->ut);
    free(w->uq);
    free(w->xq);
    free(w->plw);
    free(w->logeta);
    free(w->lw);
    free(w->score);
    free(w->acc);
    free(w->sacc);
    free(w->ord);
    free(w->used);
    free(w->digit);
    free(w);
}

identify_workspace *identify_workspace_alloc(size_t K, size_t d, size_t m,
                                             size_t r, size_t T, int *err)
{
    if (K < 1 || d < 1)
        return pref_fail_null(err, PREF_EINPUT, "identify: K = %zu, d = %zu "
                              "(need both >= 1)", K, d);
    size_t N = identify_n_outcomes(m, r, T);
    if (!N)
        return pref_fail_null(err, PREF_EINPUT, "identify: %zu answers of the "
                              "top %zu of %zu have too many joint outcomes "
                              "(or bad sizes)", T, r, m);
    if (r >= m) r = m - 1;
    identify_workspace *w = calloc(1, sizeof *w);
    if (!w) return pref_fail_null(err, PREF_ENOMEM, "out of memory");
    w->K = K;
    w->d = d;
    w->m = m;
    w->r = r;
    w->T = T;
    w->n1 = outcomes_count(m, r, IDENTIFY_MAX_OUTCOMES);
    w->N = N;
    w->D = identify_dim(K, d);
    size_t D = w->D;
    w->lp = malloc(T * w->n1 * K * sizeof(double));
    w->gr = malloc(T * w->n1 * K * d * sizeof(double));
    w->cum_lp = calloc((T + 1) * K, sizeof(double));
    w->cum_gr = calloc((T + 1) * K * d, sizeof(double));
    w->ut = malloc(K * m * sizeof(double));
    w->uq = malloc(m * sizeof(double));
    w->xq = malloc(m * d * sizeof(double));
    w->plw = malloc((2 * m + d) * sizeof(double));
    w->logeta = malloc(K * sizeof(double));
    w->lw = malloc(K * sizeof(double));
    w->score = malloc(D * sizeof(double));
    w->acc = malloc(D * D * sizeof(double));
    w->sacc = malloc(D * sizeof(double));
    w->ord = malloc(m * sizeof(uint32_t));
    w->used = malloc(m);
    w->digit = malloc(T * sizeof(size_t));
    if (!w->lp || !w->gr || !w->cum_lp || !w->cum_gr || !w->ut || !w->uq ||
        !w->xq || !w->plw || !w->logeta || !w->lw || !w->score || !w->acc ||
        !w->sacc || !w->ord || !w->used || !w->digit) {
        identify_workspace_free(w);
        return pref_fail_null(err, PREF_ENOMEM, "out of memory for the "
                              "identification workspace");
    }
    if (err) *err = PREF_OK;
    return w;
}

size_t identify_workspace_outcomes(const identify_workspace *w)
{
    return w->N;
}

static int fits(const sim_population *p, const identify_workspace *w)
{
    return p->K >= 1 && p->K <= w->K && p->d == w->d;
}

/* Per-query outcome tables for population p: lp always, gr when grad. */
static void build_tables(const sim_population *p, const double *x,
                         identify_workspace *w, int grad)
{
    size_t K = p->K, d = w->d, m = w->m, r = w->r, n1 = w->n1;
    for (size_t k = 0; k < K; k++)
        w->logeta[k] = p->eta[k] > 0 ? log(p->eta[k]) : -INFINITY;
    for (size_t t = 0; t < w->T; t++) {
        const double *xt = x + t * m * d;
        if (!grad)
            for (size_t k = 0; k < K; k++)
                pl_utilities(xt, m, d, p->theta + k * d, w->ut + k * m);
        for (size_t j = 0; j < n1; j++) {
            outcomes_decode(j, m, r, w->ord, w->used);
            double *lp = w->lp + (t * n1 + j) * K;
            if (grad) {
                for (size_t i = 0; i < m; i++)
                    memcpy(w->xq + i * d, xt + (size_t)w->ord[i] * d,
                           d * sizeof(double));
                for (size_t k = 0; k < K; k++) {
                    double *g = w->gr + ((t * n1 + j) * K + k) * d;
                    for (size_t a = 0; a < d; a++) g[a] = 0.0;
                    lp[k] = pl_linear_accum(w->xq, m, d, r, p->theta + k * d,
                                            1.0, g, NULL, w->plw);
                }
            } else {
                for (size_t k = 0; k < K; k++) {
                    const double *uk = w->ut + k * m;
                    for (size_t i = 0; i < m; i++) w->uq[i] = uk[w->ord[i]];
                    lp[k] = pl_loglik(w->uq, m, r);
                }
            }
        }
    }
}

/* Re-add queries from..T-1 into the prefix sums for the current digits. */
static void prefix_update(identify_workspace *w, size_t K, size_t from, int grad)
{
    size_t d = w->d, n1 = w->n1;
    for (size_t t = from; t < w->T; t++) {
        const double *l = w->lp + (t * n1 + w->digit[t]) * K;
        const double *c0 = w->cum_lp + t * K;
        double *c1 = w->cum_lp + (t + 1) * K;
        for (size_t k = 0; k < K; k++) c1[k] = c0[k] + l[k];
        if (grad) {
            const double *g = w->gr + (t * n1 + w->digit[t]) * K * d;
            const double *h0 = w->cum_gr + t * K * d;
            double *h1 = w->cum_gr + (t + 1) * K * d;
            for (size_t i = 0; i < K * d; i++) h1[i] = h0[i] + g[i];
        }
    }
}

int identify_joint_probs(const sim_population *p, const double *x,
                         identify_workspace *w, double *prob)
{
    if (!fits(p, w))
        PREF_ERROR(PREF_EINTERNAL, "identify: population (K = %zu, d = %zu) "
                   "does not fit the workspace (K <= %zu, d = %zu)", p->K, p->d,
                   w->K, w->d);
    size_t K = p->K, T = w->T;
    build_tables(p, x, w, 0);
    for (size_t t = 0; t < T; t++) w->digit[t] = 0;
    for (size_t k = 0; k < K; k++) w->cum_lp[k] = 0.0;
    const double *last = w->cum_lp + T * K;
    size_t from = 0;
    for (size_t o = 0; o < w->N; o++) {
        prefix_update(w, K, from, 0);
        for (size_t k = 0; k < K; k++) w->lw[k] = w->logeta[k] + last[k];
        prob[o] = exp(mathx_logsumexp(w->lw, K));
        from = outcomes_next(w->digit, w->T, w->n1);
    }
    return PREF_OK;
}

int identify_fisher_design(const sim_population *p, const double *x,
                           identify_workspace *w, double *info,
                           double *score_mean)
{
    if (!fits(p, w))
        PREF_ERROR(PREF_EINTERNAL, "identify: population (K = %zu, d = %zu) "
                   "does not fit the workspace (K <= %zu, d = %zu)", p->K, p->d,
                   w->K, w->d);
    size_t K = p->K, d = w->d, T = w->T, Kd = K * d;
    size_t D = identify_dim(K, d);
    build_tables(p, x, w, 1);
    for (size_t t = 0; t < T; t++) w->digit[t] = 0;
    for (size_t k = 0; k < K; k++) w->cum_lp[k] = 0.0;
    for (size_t i = 0; i < Kd; i++) w->cum_gr[i] = 0.0;
    for (size_t i = 0; i < D * D; i++) w->acc[i] = 0.0;
    for (size_t i = 0; i < D; i++) w->sacc[i] = 0.0;
    const double *last = w->cum_lp + T * K;
    const double *glast = w->cum_gr + T * Kd;
    double *s = w->score;
    size_t from = 0;
    for (size_t o = 0; o < w->N; o++) {
        prefix_update(w, K, from, 1);
        for (size_t k = 0; k < K; k++) w->lw[k] = w->logeta[k] + last[k];
        double lp = mathx_logsumexp(w->lw, K), P = exp(lp);
        for (size_t k = 0; k < K; k++) {
            double gk = exp(w->lw[k] - lp);
            for (size_t a = 0; a < d; a++) s[k * d + a] = gk * glast[k * d + a];
            if (k + 1 < K) s[Kd + k] = gk - p->eta[k];
        }
        for (size_t a = 0; a < D; a++) {
            double pa = P * s[a];
            double *row = w->acc + a * D;
            for (size_t b = a; b < D; b++) row[b] += pa * s[b];
            w->sacc[a] += pa;
        }
        from = outcomes_next(w->digit, w->T, w->n1);
    }
    for (size_t a = 0; a < D; a++)
        for (size_t b = a; b < D; b++)
            info[a * D + b] = info[b * D + a] = w->acc[a * D + b];
    if (score_mean) memcpy(score_mean, w->sacc, D * sizeof(double));
    return PREF_OK;
}

void identify_design_draw(const sim_design *g, size_t T, unsigned long seed,
                          size_t index, gsl_rng *rng, double *x,
                          uint32_t *work)
{
    size_t m = g->m, d = g->d;
    gsl_rng_set(rng, rngs_seed(seed, index, IDENTIFY_STREAM_DESIGN));
    for (size_t t = 0; t < T; t++) {
        uint32_t prompt;
        sim_draw_query(g, rng, x + t * m * d, &prompt, work, work + m);
    }
}

/* ---- observational equivalence ----------------------------------------- */

int identify_equivalence(const sim_population *A, const sim_population *B,
                         const sim_design *g, size_t T, size_t n_designs,
                         gsl_rng *rng, double *max_abs_diff,
                         double *mean_abs_diff)
{
    if (A->K < 1 || B->K < 1)
        PREF_ERROR(PREF_EINPUT, "identify: observational equivalence needs "
                   "finite populations (latent_class, polarised, indifferent)");
    if (A->d != g->d || B->d != g->d)
        PREF_ERROR(PREF_EINPUT, "identify: populations have d = %zu and %zu, "
                   "the design d = %zu", A->d, B->d, g->d);
    size_t m = g->m, r = g->r, d = g->d;
    size_t N = identify_n_outcomes(m, r, T);
    if (!N)
        PREF_ERROR(PREF_EINPUT, "identify: %zu queries of %zu candidates ranked "
                   "%zu deep: too many joint outcomes (limit %zu) or bad sizes",
                   T, m, r, IDENTIFY_MAX_OUTCOMES);
    if (n_designs == 0) PREF_ERROR(PREF_EINPUT, "identify: no designs");
    if (g->prompts && g->pool < m)
        PREF_ERROR(PREF_EINPUT, "identify: pools of %zu candidates cannot show "
                   "%zu", g->pool, m);
    size_t K = A->K > B->K ? A->K : B->K;
    size_t pool = g->pool > m ? g->pool : m;
    int st = PREF_OK;
    identify_workspace *w = identify_workspace_alloc(K, d, m, r, T, &st);
    double *pa = malloc(N * sizeof(double));
    double *pb = malloc(N * sizeof(double));
    double *x = malloc(T * m * d * sizeof(double));
    uint32_t *work = malloc((m + pool) * sizeof(uint32_t));
    if (!st && (!pa || !pb || !x || !work))
        st = pref_set_error(PREF_ENOMEM, "out of memory for %zu joint outcomes",
                            N);
    if (st) goto done;
    double mx = 0.0, mean = 0.0;
    for (size_t des = 0; des < n_designs && !st; des++) {
        for (size_t t = 0; t < T; t++) {
            uint32_t prompt;
            sim_draw_query(g, rng, x + t * m * d, &prompt, work, work + m);
        }
        st = identify_joint_probs(A, x, w, pa);
        if (!st) st = identify_joint_probs(B, x, w, pb);
        double sum = 0.0;
        for (size_t o = 0; !st && o < N; o++) {
            double df = fabs(pa[o] - pb[o]);
            if (!(df <= mx)) mx = df; /* also propagates NaN */
            sum += df;
        }
        mean += sum / (double)N;
    }
    if (!st && !(isfinite(mx) && isfinite(mean)))
        st = pref_set_error(PREF_ENUM, "identify: non-finite answer probability");
    if (!st) {
        *max_abs_diff = mx;
        *mean_abs_diff = mean / (double)n_designs;
    }
done:
    identify_workspace_free(w);
    free(pa);
    free(pb);
    free(x);
    free(work);
    return st;
}

/* ---- Fisher information ------------------------------------------------- */

void identify_fisher_params_init(identify_fisher_params *p)
{
    p->designs = 400;
    p->batches = 10;
    p->tol = 1e-10;
}

const char *identify_fisher_params_check(const identify_fisher_params *p)
{
    if (p->designs < 2) return "designs must be at least 2";
    if (p->batches < 2 || p->batches > p->designs)
        return "batches must be in 2..designs";
    if (!(p->tol >= 0.0 && p->tol < 1.0)) return "tol must be in [0, 1)";
    return NULL;
}

void identify_fisher_result_free(identify_fisher_result *r)
{
    if (!r) return;
    free(r->info);
    free(r->eval);
    free(r->eval_se);
    free(r);
}

identify_fisher_result *identify_fisher_result_alloc(size_t K, size_t d,
                                                     int *err)
{
    if (K < 1 || d < 1)
        return pref_fail_null(err, PREF_EINPUT, "identify: K = %zu, d = %zu "
                              "(need both >= 1)", K, d);
    identify_fisher_result *r = calloc(1, sizeof *r);
    if (!r) return pref_fail_null(err, PREF_ENOMEM, "out of memory");
    r->K = K;
    r->d = d;
    r->dim = identify_dim(K, d);
    r->info = calloc(r->dim * r->dim, sizeof(double));
    r->eval = calloc(r->dim, sizeof(double));
    r->eval_se = calloc(r->dim, sizeof(double));
    if (!r->info || !r->eval || !r->eval_se) {
        identify_fisher_result_free(r);
        return pref_fail_null(err, PREF_ENOMEM, "out of memory");
    }
    if (err) *err = PREF_OK;
    return r;
}

/* Scratch of identify_fisher: per-chunk design matrices, batch sums and the
 * eigen-solver, allocated once. */
typedef struct fisher_work {
    size_t D, DD, n, B;  /* dim, dim^2, designs, batches */
    double *buf;         /* (IDENTIFY_CHUNK, D, D) matrices of one chunk */
    double *bsum;        /* (B, D, D) sum over each batch's designs */
    double *bev;         /* (B, D) eigenvalues of each batch average */
    size_t *bn;          /* (B) designs per batch */
    gsl_matrix *A;
    gsl_vector *ev;
    gsl_eigen_symm_workspace *ew;
} fisher_work;

static void fisher_work_free(fisher_work *f)
{
    free(f->buf);
    free(f->bsum);
    free(f->bev);
    free(f->bn);
    gsl_matrix_free(f->A);
    gsl_vector_free(f->ev);
    if (f->ew) gsl_eigen_symm_free(f->ew);
}

/* PREF_OK or PREF_ENOMEM; f is always safe to fisher_work_free. */
static int fisher_work_init(fisher_work *f, size_t D, size_t n, size_t B)
{
    f->D = D;
    f->DD = D * D;
    f->n = n;
    f->B = B;
    f->buf = malloc(IDENTIFY_CHUNK * f->DD * sizeof(double));
    f->bsum = calloc(B * f->DD, sizeof(double));
    f->bev = malloc(B * D * sizeof(double));
    f->bn = calloc(B, sizeof(size_t));
    f->A = gsl_matrix_alloc(D, D);
    f->ev = gsl_vector_alloc(D);
    f->ew = gsl_eigen_symm_alloc(D);
    if (!f->buf || !f->bsum || !f->bev || !f->bn || !f->A || !f->ev || !f->ew)
        return pref_set_error(PREF_ENOMEM, "out of memory");
    return PREF_OK;
}

/* Ascending eigenvalues of the symmetric (D, D) matrix a into out. The GSL
 * error handler is main's (off): the status is checked here. */
static int eigenvalues(const double *a, fisher_work *f, double *out)
{
    size_t D = f->D;
    for (size_t i = 0; i < D; i++)
        for (size_t j = 0; j < D; j++) gsl_matrix_set(f->A, i, j, a[i * D + j]);
    int s = gsl_eigen_symm(f->A, f->ev, f->ew);
    if (s) PREF_ERROR(PREF_ENUM, "identify: eigenvalues: %s", gsl_strerror(s));
    gsl_sort_vector(f->ev);
    for (size_t i = 0; i < D; i++) out[i] = gsl_vector_get(f->ev, i);
    return PREF_OK;
}

/* identify_fisher's argument checks: PREF_OK or PREF_EINPUT. */
static int fisher_args(const sim_population *p, const sim_design *g, size_t T,
                       const identify_fisher_params *par,
                       const identify_fisher_result *res)
{
    const char *why = identify_fisher_params_check(par);
    if (why) PREF_ERROR(PREF_EINPUT, "identify: Fisher information: %s", why);
    if (p->K < 1)
        PREF_ERROR(PREF_EINPUT, "identify: the Fisher information needs a "
                   "finite population (latent_class, polarised, indifferent)");
    if (p->d != g->d || res->K != p->K || res->d != p->d)
        PREF_ERROR(PREF_EINPUT, "identify: sizes differ: population K = %zu, "
                   "d = %zu; design d = %zu; result K = %zu, d = %zu", p->K,
                   p->d, g->d, res->K, res->d);
    size_t m = g->m, r = g->r >= g->m ? g->m - 1 : g->r;
    if (!identify_n_outcomes(m, r, T))
        PREF_ERROR(PREF_EINPUT, "identify: %zu queries of %zu candidates ranked "
                   "%zu deep: too many joint outcomes (limit %zu) or bad sizes",
                   T, m, r, IDENTIFY_MAX_OUTCOMES);
    if (g->prompts && g->pool < m)
        PREF_ERROR(PREF_EINPUT, "identify: pools of %zu candidates cannot show "
                   "%zu", g->pool, m);
    return PREF_OK;
}

/* The information of designs 0..n-1 in parallel, chunk by chunk; one thread
 * adds each chunk into the batch sums in design order (design i belongs to
 * batch i B / n), so the sums do not depend on the thread count. */
static int fisher_sums(const sim_population *p, const sim_design *g, size_t T,
                       unsigned long seed, fisher_work *f)
{
    size_t m = g->m, r = g->r >= g->m ? g->m - 1 : g->r, d = g->d, K = p->K;
    size_t pool = g->pool > m ? g->pool : m, n = f->n, DD = f->DD;
    int fail = PREF_OK;
    char fail_msg[1024] = "";
#pragma omp parallel
    {
        identify_workspace *w = identify_workspace_alloc(K, d, m, r, T, NULL);
        gsl_rng *rng = rngs_alloc(1);
        double *x = malloc(T * m * d * sizeof(double));
        uint32_t *work = malloc((m + pool) * sizeof(uint32_t));
        int ok = w && rng && x && work;
        if (!ok) {
#pragma omp critical(identify_fisher)
            if (!fail) {
#pragma omp atomic write
                fail = PREF_ENOMEM;
                snprintf(fail_msg, sizeof fail_msg, "out of memory");
            }
        }
        for (size_t c0 = 0; c0 < n; c0 += IDENTIFY_CHUNK) {
            size_t c1 = c0 + IDENTIFY_CHUNK < n ? c0 + IDENTIFY_CHUNK : n;
#pragma omp for schedule(dynamic, 1)
            for (size_t i = c0; i < c1; i++) {
                int stop;
#pragma omp atomic read
                stop = fail;
                if (stop || !ok) continue;
                identify_design_draw(g, T, seed, i, rng, x, work);
                int s = identify_fisher_design(p, x, w, f->buf + (i - c0) * DD,
                                               NULL);
                if (s) {
#pragma omp critical(identify_fisher)
                    if (!fail) {
#pragma omp atomic write
                        fail = s;
                        snprintf(fail_msg, sizeof fail_msg, "%s",
                                 pref_last_error());
                    }
                }
            }
            /* Implicit barrier above; one thread sums in design order. */
#pragma omp single
            {
                if (!fail)
                    for (size_t i = c0; i < c1; i++) {
                        size_t b = i * f->B / n;
                        const double *src = f->buf + (i - c0) * DD;
                        double *dst = f->bsum + b * DD;
                        for (size_t j = 0; j < DD; j++) dst[j] += src[j];
                        f->bn[b]++;
                    }
            }
        }
        identify_workspace_free(w);
        gsl_rng_free(rng);
        free(x);
        free(work);
    }
    if (fail) pref_set_error(fail, "%s", fail_msg);
    return fail;
}

/* info = the total of the batch sums (in batch order) over n designs;
 * PREF_ENUM when an entry is not finite. */
static int fisher_average(const fisher_work *f, double *info)
{
    size_t DD = f->DD;
    for (size_t j = 0; j < DD; j++) info[j] = 0.0;
    for (size_t b = 0; b < f->B; b++)
        for (size_t j = 0; j < DD; j++) info[j] += f->bsum[b * DD + j];
    for (size_t j = 0; j < DD; j++) {
        info[j] /= (double)f->n;
        if (!isfinite(info[j]))
            PREF_ERROR(PREF_ENUM, "identify: non-finite Fisher information");
    }
    return PREF_OK;
}

/* res->eval, the batch-means SE of each eigenvalue and the rank, from
 * res->info and the batch sums (turned into batch averages in place). */
static int fisher_spectrum(fisher_work *f, double tol,
                           identify_fisher_result *res)
{
    size_t D = f->D, DD = f->DD, B = f->B;
    PREF_TRY(eigenvalues(res->info, f, res->eval));
    for (size_t b = 0; b < B; b++) {
        double *mb = f->bsum + b * DD;
        for (size_t j = 0; j < DD; j++) mb[j] /= (double)f->bn[b];
        PREF_TRY(eigenvalues(mb, f, f->bev + b * D));
    }
    for (size_t i = 0; i < D; i++) {
        double mean = 0.0, ss = 0.0;
        for (size_t b = 0; b < B; b++) mean += f->bev[b * D + i];
        mean /= (double)B;
        for (size_t b = 0; b < B; b++) {
            double e = f->bev[b * D + i] - mean;
            ss += e * e;
        }
        res->eval_se[i] = sqrt(ss / (double)(B - 1) / (double)B);
    }
    double lmax = res->eval[D - 1];
    res->rank = 0;
    if (lmax > 0)
        for (size_t i = 0; i < D; i++)
            if (res->eval[i] > tol * lmax) res->rank++;
    res->designs = f->n;
    res->batches = B;
    return PREF_OK;
}

int identify_fisher(const sim_population *p, const sim_design *g, size_t T,
                    unsigned long seed, const identify_fisher_params *par,
                    identify_fisher_result *res)
{
    identify_fisher_params defaults;
    identify_fisher_params_init(&defaults);
    if (!par) par = &defaults;
    PREF_TRY(fisher_args(p, g, T, par, res));
    fisher_work f;
    int st = fisher_work_init(&f, res->dim, par->designs, par->batches);
    if (!st) st = fisher_sums(p, g, T, seed, &f);
    if (!st) st = fisher_average(&f, res->info);
    if (!st) st = fisher_spectrum(&f, par->tol, res);
    fisher_work_free(&f);
    return st;
}

/* ---- configuration ------------------------------------------------------ */

int identify_check(const cfg *c, size_t m, size_t r, size_t T, int blame_key)
{
    cfg_value k = c->population_kind;
    if (k == CFG_population_kind_gaussian || k == CFG_population_kind_traits ||
        k == CFG_population_kind_teacher)
        CFG_ERROR(c, CFG_KEY_population_kind, "identifiability needs a "
                  "finite population with linear utilities "
                  "(latent_class, polarised, indifferent), not %s",
                  cfg_value_name(k));
    if (c->design_prompts > 0 && (size_t)c->design_pool < m)
        CFG_ERROR(c, CFG_KEY_design_pool, "pool = %ld is smaller than "
                  "the %zu candidates of a query", c->design_pool, m);
    if (!identify_n_outcomes(m, r, T))
        CFG_ERROR(c, blame_key, "%zu answers per user to queries of %zu "
                  "candidates ranked %zu deep have more than %zu joint "
                  "outcomes; they are enumerated exactly", T, m,
                  r >= m ? m - 1 : r, IDENTIFY_MAX_OUTCOMES);
    return PREF_OK;
}
