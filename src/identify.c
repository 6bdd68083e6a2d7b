/* identify.c — exact joint-outcome enumeration, observational equivalence,
 * expected Fisher information of the latent-class model, and the
 * `hetpref identify` command body (see identify.h).
 *
 * What it does. For one design it builds, per query t and per outcome j of
 * that query, the table log P_PL(o_j | theta_k) (and, for the information,
 * its gradient in theta_k, from pl_linear_accum), then walks all joint
 * outcomes with an odometer (query T-1 the fastest digit), keeping prefix
 * sums over queries so only the queries whose digit changed are re-added.
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
 * with eta = softmax(alpha_1..alpha_{K-1}, 0) (SPEC §2 item 2). E[s] = 0 and
 * E[s s^T] = -E[d2 log P] are checked in tests/test_identify.c against
 * central finite differences of log P.
 *
 * What it deliberately does not do: sample answers (everything is exact
 * over outcomes; only the designs are random), handle gaussian populations,
 * print. */
#include "identify.h"

#include <math.h>
#include <stdarg.h>
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

#include "csvio.h"
#include "err.h"
#include "fsutil.h"
#include "mathx.h"
#include "outcomes.h"
#include "pl.h"
#include "rngs.h"

/* Designs whose matrices are computed in parallel before being summed in
 * order. Any value gives the same bits; it only bounds memory (CHUNK D^2). */
#define IDENTIFY_CHUNK 64

/* Seed streams of identify_run (the `cell` argument of rngs_seed). */
#define STREAM_POOLS 0x706f6f6cULL   /* "pool" */
#define STREAM_EQUIV 0x65717569ULL   /* "equi" + kind */
#define STREAM_FISHER 0x66697368ULL  /* "fish" + kind; replicate = T */

const identify_kind identify_equiv_kinds[IDENTIFY_N_EQUIV_KINDS] = {
    {"pair", 2, 1, 1},
    {"top1_of_3", 3, 1, 1},
    {"full_3", 3, 2, 1},
    {"pairs_T2", 2, 1, 2},
};

const identify_kind identify_fisher_kinds[IDENTIFY_N_FISHER_KINDS] = {
    {"pair", 2, 1, 0},
    {"top1_of_3", 3, 1, 0},
    {"full_3", 3, 2, 0},
};

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
                                             size_t r, size_t T)
{
    if (K < 1 || d < 1) return NULL;
    size_t N = identify_n_outcomes(m, r, T);
    if (!N) return NULL;
    if (r >= m) r = m - 1;
    identify_workspace *w = calloc(1, sizeof *w);
    if (!w) return NULL;
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
        return NULL;
    }
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
    identify_workspace *w = identify_workspace_alloc(K, d, m, r, T);
    double *pa = malloc(N * sizeof(double));
    double *pb = malloc(N * sizeof(double));
    double *x = malloc(T * m * d * sizeof(double));
    uint32_t *work = malloc((m + pool) * sizeof(uint32_t));
    int st = PREF_OK;
    if (!w || !pa || !pb || !x || !work) {
        st = pref_set_error(PREF_ENOMEM, "out of memory for %zu joint outcomes",
                            N);
        goto done;
    }
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

identify_fisher_result *identify_fisher_result_alloc(size_t K, size_t d)
{
    if (K < 1 || d < 1) return NULL;
    identify_fisher_result *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->K = K;
    r->d = d;
    r->dim = identify_dim(K, d);
    r->info = calloc(r->dim * r->dim, sizeof(double));
    r->eval = calloc(r->dim, sizeof(double));
    r->eval_se = calloc(r->dim, sizeof(double));
    if (!r->info || !r->eval || !r->eval_se) {
        identify_fisher_result_free(r);
        return NULL;
    }
    return r;
}

/* Ascending eigenvalues of the symmetric (D, D) matrix a into ev. */
static int eigenvalues(const double *a, size_t D, gsl_matrix *A, gsl_vector *ev,
                       gsl_eigen_symm_workspace *ew, double *out)
{
    for (size_t i = 0; i < D; i++)
        for (size_t j = 0; j < D; j++) gsl_matrix_set(A, i, j, a[i * D + j]);
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int s = gsl_eigen_symm(A, ev, ew);
    gsl_set_error_handler(old);
    if (s) PREF_ERROR(PREF_ENUM, "identify: eigenvalues: %s", gsl_strerror(s));
    gsl_sort_vector(ev);
    for (size_t i = 0; i < D; i++) out[i] = gsl_vector_get(ev, i);
    return PREF_OK;
}

int identify_fisher(const sim_population *p, const sim_design *g, size_t T,
                    unsigned long seed, const identify_fisher_params *par,
                    identify_fisher_result *res)
{
    identify_fisher_params defaults;
    identify_fisher_params_init(&defaults);
    if (!par) par = &defaults;
    const char *why = identify_fisher_params_check(par);
    if (why) PREF_ERROR(PREF_EINPUT, "identify: Fisher information: %s", why);
    if (p->K < 1)
        PREF_ERROR(PREF_EINPUT, "identify: the Fisher information needs a "
                   "finite population (latent_class, polarised, indifferent)");
    if (p->d != g->d || res->K != p->K || res->d != p->d)
        PREF_ERROR(PREF_EINPUT, "identify: sizes differ: population K = %zu, "
                   "d = %zu; design d = %zu; result K = %zu, d = %zu", p->K,
                   p->d, g->d, res->K, res->d);
    size_t m = g->m, r = g->r >= g->m ? g->m - 1 : g->r, d = g->d, K = p->K;
    size_t N = identify_n_outcomes(m, r, T);
    if (!N)
        PREF_ERROR(PREF_EINPUT, "identify: %zu queries of %zu candidates ranked "
                   "%zu deep: too many joint outcomes (limit %zu) or bad sizes",
                   T, m, r, IDENTIFY_MAX_OUTCOMES);
    if (g->prompts && g->pool < m)
        PREF_ERROR(PREF_EINPUT, "identify: pools of %zu candidates cannot show "
                   "%zu", g->pool, m);
    size_t D = res->dim, DD = D * D, n = par->designs, B = par->batches;
    size_t pool = g->pool > m ? g->pool : m;
    double *buf = malloc(IDENTIFY_CHUNK * DD * sizeof(double));
    double *bsum = calloc(B * DD, sizeof(double));
    double *bev = malloc(B * D * sizeof(double));
    size_t *bn = calloc(B, sizeof(size_t));
    gsl_matrix *A = gsl_matrix_alloc(D, D);
    gsl_vector *ev = gsl_vector_alloc(D);
    gsl_eigen_symm_workspace *ew = gsl_eigen_symm_alloc(D);
    int fail = PREF_OK;
    char fail_msg[1024] = "";
    if (!buf || !bsum || !bev || !bn || !A || !ev || !ew)
        fail = pref_set_error(PREF_ENOMEM, "out of memory");
    if (!fail) {
#pragma omp parallel
        {
            identify_workspace *w = identify_workspace_alloc(K, d, m, r, T);
            gsl_rng *rng = rngs_alloc(1);
            double *x = malloc(T * m * d * sizeof(double));
            uint32_t *work = malloc((m + pool) * sizeof(uint32_t));
            int ok = w && rng && x && work;
            if (!ok) {
#pragma omp critical(identify_fisher)
                if (!fail) {
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
                    int s = identify_fisher_design(p, x, w, buf + (i - c0) * DD,
                                                   NULL);
                    if (s) {
#pragma omp critical(identify_fisher)
                        if (!fail) {
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
                            size_t b = i * B / n;
                            const double *src = buf + (i - c0) * DD;
                            double *dst = bsum + b * DD;
                            for (size_t j = 0; j < DD; j++) dst[j] += src[j];
                            bn[b]++;
                        }
                }
            }
            identify_workspace_free(w);
            gsl_rng_free(rng);
            free(x);
            free(work);
        }
    }
    int st = fail;
    if (st && fail_msg[0]) pref_set_error(st, "%s", fail_msg);
    if (!st) {
        /* Total in batch order; then the average. */
        for (size_t j = 0; j < DD; j++) res->info[j] = 0.0;
        for (size_t b = 0; b < B; b++)
            for (size_t j = 0; j < DD; j++) res->info[j] += bsum[b * DD + j];
        for (size_t j = 0; j < DD; j++) {
            res->info[j] /= (double)n;
            if (!isfinite(res->info[j])) {
                st = pref_set_error(PREF_ENUM, "identify: non-finite Fisher "
                                    "information");
                break;
            }
        }
    }
    if (!st) st = eigenvalues(res->info, D, A, ev, ew, res->eval);
    for (size_t b = 0; !st && b < B; b++) {
        double *mb = bsum + b * DD;
        for (size_t j = 0; j < DD; j++) mb[j] /= (double)bn[b];
        st = eigenvalues(mb, D, A, ev, ew, bev + b * D);
    }
    if (!st) {
        for (size_t i = 0; i < D; i++) {
            double mean = 0.0, ss = 0.0;
            for (size_t b = 0; b < B; b++) mean += bev[b * D + i];
            mean /= (double)B;
            for (size_t b = 0; b < B; b++) {
                double e = bev[b * D + i] - mean;
                ss += e * e;
            }
            res->eval_se[i] = sqrt(ss / (double)(B - 1) / (double)B);
        }
        double lmax = res->eval[D - 1];
        res->rank = 0;
        if (lmax > 0)
            for (size_t i = 0; i < D; i++)
                if (res->eval[i] > par->tol * lmax) res->rank++;
        res->designs = n;
        res->batches = B;
    }
    free(buf);
    free(bsum);
    free(bev);
    free(bn);
    gsl_matrix_free(A);
    gsl_vector_free(ev);
    if (ew) gsl_eigen_symm_free(ew);
    return st;
}

/* ---- configuration and the command -------------------------------------- */

/* PREF_EINPUT "FILE:LINE: [section] key: why", as cfg_check words it. */
static int cfg_fail(const cfg *c, int key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int cfg_fail(const cfg *c, int key, const char *fmt, ...)
{
    char where[1200], msg[1000], sect[128];
    if (c->line[key] > 0) snprintf(where, sizeof where, "%s:%d", c->file,
                                   c->line[key]);
    else if (c->file[0]) snprintf(where, sizeof where, "%s", c->file);
    else snprintf(where, sizeof where, "config");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *name = cfg_key_name(key);
    const char *dot = strchr(name, '.');
    size_t ls = dot ? (size_t)(dot - name) : strlen(name);
    snprintf(sect, sizeof sect, "%.*s", (int)ls, name);
    return pref_set_error(PREF_EINPUT, "%s: [%s] %s: %s", where, sect,
                          dot ? dot + 1 : name, msg);
}

int identify_check(const cfg *c, size_t m, size_t r, size_t T, int blame_key)
{
    const char *k = c->population_kind;
    if (strcmp(k, "gaussian") == 0 || strcmp(k, "traits") == 0 ||
        strcmp(k, "teacher") == 0)
        return cfg_fail(c, CFG_KEY_population_kind, "identifiability needs a "
                        "finite population with linear utilities (latent_class, "
                        "polarised, indifferent), not %s", k);
    if (c->design_prompts > 0 && (size_t)c->design_pool < m)
        return cfg_fail(c, CFG_KEY_design_pool, "pool = %ld is smaller than "
                        "the %zu candidates of a query", c->design_pool, m);
    if (!identify_n_outcomes(m, r, T))
        return cfg_fail(c, blame_key, "%zu answers per user to queries of %zu "
                        "candidates ranked %zu deep have more than %zu joint "
                        "outcomes; they are enumerated exactly", T, m,
                        r >= m ? m - 1 : r, IDENTIFY_MAX_OUTCOMES);
    return PREF_OK;
}


int identify_run(const cfg *c, const char *out_dir)
{
    /* 1. Validate everything. */
    const cfg_list *Tl = &c->identify_T;
    if (Tl->n == 0)
        return cfg_fail(c, CFG_KEY_identify_T, "needs at least one value");
    for (size_t i = 0; i < Tl->n; i++) {
        double v = Tl->v[i];
        if (!(v >= 1 && v <= 1000000 && v == floor(v)))
            return cfg_fail(c, CFG_KEY_identify_T, "value %.17g is not a "
                            "positive whole number of answers", v);
    }
    for (size_t k = 0; k < IDENTIFY_N_EQUIV_KINDS; k++) {
        const identify_kind *e = &identify_equiv_kinds[k];
        PREF_TRY(identify_check(c, e->m, e->r, e->T, CFG_KEY_identify_designs));
    }
    for (size_t k = 0; k < IDENTIFY_N_FISHER_KINDS; k++)
        for (size_t i = 0; i < Tl->n; i++) {
            const identify_kind *e = &identify_fisher_kinds[k];
            PREF_TRY(identify_check(c, e->m, e->r, (size_t)Tl->v[i],
                                    CFG_KEY_identify_T));
        }
    identify_fisher_params fp;
    identify_fisher_params_init(&fp);
    fp.designs = (size_t)c->identify_fisher_designs;
    fp.batches = fp.designs < 10 ? fp.designs : 10;
    if (identify_fisher_params_check(&fp))
        return cfg_fail(c, CFG_KEY_identify_fisher_designs, "%s",
                        identify_fisher_params_check(&fp));

    /* 2. Compute. */
    uint64_t master = (uint64_t)c->run_seed;
    size_t nT = Tl->n, nf = IDENTIFY_N_FISHER_KINDS * nT;
    sim_population *pop = NULL, *cmp = NULL;
    sim_design *g = NULL;
    gsl_rng *rng = rngs_alloc(rngs_seed(master, STREAM_POOLS, 0));
    identify_fisher_result *fr = NULL;
    double eq[IDENTIFY_N_EQUIV_KINDS][2];
    double *fev = NULL, *fse = NULL;
    size_t D = 0;
    int st = rng ? PREF_OK : pref_set_error(PREF_ENOMEM, "out of memory");
    if (!st) st = sim_population_from_cfg(c, &pop);
    if (!st) st = sim_population_compare_from_cfg(c, &cmp);
    if (!st) st = sim_design_from_cfg(c, rng, &g);
    if (!st) {
        D = identify_dim(pop->K, pop->d);
        fr = identify_fisher_result_alloc(pop->K, pop->d);
        fev = malloc(nf * D * sizeof(double));
        fse = malloc(nf * D * sizeof(double));
        if (!fr || !fev || !fse) st = pref_set_error(PREF_ENOMEM, "out of memory");
    }
    for (size_t k = 0; !st && k < IDENTIFY_N_EQUIV_KINDS; k++) {
        const identify_kind *e = &identify_equiv_kinds[k];
        sim_design gk = *g; /* shares g's pools; never freed */
        gk.m = e->m;
        gk.r = e->r;
        gk.T = e->T;
        gsl_rng_set(rng, rngs_seed(master, STREAM_EQUIV + k, 0));
        st = identify_equivalence(pop, cmp, &gk, e->T,
                                  (size_t)c->identify_designs, rng, &eq[k][0],
                                  &eq[k][1]);
    }
    for (size_t k = 0; !st && k < IDENTIFY_N_FISHER_KINDS; k++)
        for (size_t i = 0; !st && i < nT; i++) {
            const identify_kind *e = &identify_fisher_kinds[k];
            size_t T = (size_t)Tl->v[i];
            sim_design gk = *g;
            gk.m = e->m;
            gk.r = e->r;
            gk.T = T;
            st = identify_fisher(pop, &gk, T,
                                 rngs_seed(master, STREAM_FISHER + k, T), &fp,
                                 fr);
            if (!st) {
                memcpy(fev + (k * nT + i) * D, fr->eval, D * sizeof(double));
                memcpy(fse + (k * nT + i) * D, fr->eval_se, D * sizeof(double));
            }
        }

    /* 3. Write. */
    char path[4096];
    fsutil_file o;
    if (!st) st = fsutil_mkdirs(out_dir);
    if (!st) st = fsutil_join(path, sizeof path, out_dir, "equivalence.csv");
    if (!st) st = fsutil_open(&o, path);
    if (!st) {
        fputs("answer_kind,designs,max_abs_diff,mean_abs_diff\n", o.f);
        for (size_t k = 0; k < IDENTIFY_N_EQUIV_KINDS; k++) {
            fprintf(o.f, "%s,%ld,", identify_equiv_kinds[k].name,
                    c->identify_designs);
            csvio_put_num(o.f, eq[k][0]);
            fputc(',', o.f);
            csvio_put_num(o.f, eq[k][1]);
            fputc('\n', o.f);
        }
        st = fsutil_commit(&o);
    }
    if (!st) st = fsutil_join(path, sizeof path, out_dir, "fisher.csv");
    if (!st) st = fsutil_open(&o, path);
    if (!st) {
        fputs("answer_kind,T,designs,index,eigenvalue,mc_se\n", o.f);
        for (size_t k = 0; k < IDENTIFY_N_FISHER_KINDS; k++)
            for (size_t i = 0; i < nT; i++)
                for (size_t j = 0; j < D; j++) {
                    fprintf(o.f, "%s,%zu,%zu,%zu,", identify_fisher_kinds[k].name,
                            (size_t)Tl->v[i], fp.designs, j + 1);
                    csvio_put_num(o.f, fev[(k * nT + i) * D + j]);
                    fputc(',', o.f);
                    csvio_put_num(o.f, fse[(k * nT + i) * D + j]);
                    fputc('\n', o.f);
                }
        st = fsutil_commit(&o);
    }
    if (!st) st = cfg_write_file(c, out_dir);
    gsl_rng_free(rng);
    sim_population_free(pop);
    sim_population_free(cmp);
    sim_design_free(g);
    identify_fisher_result_free(fr);
    free(fev);
    free(fse);
    return st;
}
