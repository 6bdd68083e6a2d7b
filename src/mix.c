/* mix.c — latent-class Plackett–Luce EM (see mix.h for the method).
 *
 * Data passes are organised in blocks of MIX_BLOCK users; each block writes
 * its partial sums into its own slot and the slots are added in block order
 * afterwards, so OpenMP scheduling never changes a single bit of the result.
 * Pair data go through a block in sub-blocks of whole users (subblock_end,
 * fixed by the data), each one vectorised across all its pairs.
 * With Newton on (mix_params.newton), every E-step pass also sums the
 * missing information (user_missing, O(P^2) per user), so each pass gives
 * the observed information and score the Newton iterations need
 * (newton_system): no separate information pass.
 * All buffers are allocated once per fit (mix_ws); the passes never
 * allocate. */
#include "mix.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort_vector.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "bounds.h"
#include "err.h"
#include "mathx.h"
#include "pl.h"
#include "rngs.h"
#include "vecops.h"

#define MIX_BLOCK 256
#define MIX_PCHUNK 256 /* pairs per sub-block of the pair pass (block_pairs) */
#define MIX_SCHUNK 768 /* stage exps per class per sub-block (subblock_stages) */
/* doubles per class of a thread's sub-block scratch: subblock_pairs' z, f,
 * g, h; subblock_stages' exps and per-query sums */
#define MIX_SUBWORK (4 * MIX_PCHUNK > 2 * MIX_SCHUNK ? 4 * MIX_PCHUNK : 2 * MIX_SCHUNK)
/* doubles of a thread's scratch for subblock_stages' per-user results
 * (stages_user_n each): its sub-blocks hold at most MIX_BLOCK users and
 * at most this many doubles of them */
#define MIX_SUBUSERS 32768
#define MIX_STREAM 0x6d69785fULL /* "mix_" */
#define MIX_WARM_STREAM 0x77726d5fULL /* "wrm_": the warm start's users */
#define MIX_WARM_MIN 100 /* the smallest warm-start subsample */

/* The per-user steps of a pass are inlined into user_finish with K and d
 * constant for the common d = 2, K = 2, 3, 4, so their short loops unroll (the
 * same operations in the same order: the same bits). */
#if defined(__GNUC__)
#define MIX_INLINE __attribute__((always_inline)) inline
#else
#define MIX_INLINE inline
#endif

void mix_params_init(mix_params *p)
{
    p->starts = 20;
    p->tol = 1e-9;
    p->max_iter = 500;
    p->ridge = 1e-9;
    p->min_weight = 1e-6;
    p->best_tol = 1e-6;
    p->sandwich = 0;
    p->accelerate = 1;
    p->newton = 1;
    p->flat_tol = 1e-7;
    p->flat_window = 10;
    p->threads = 0;
    p->subblocks = 1;
    p->warm_users = 1000;
    p->seed = 1;
    p->progress = NULL;
    p->progress_ctx = NULL;
}

const char *mix_params_check(const mix_params *p)
{
    if (p->starts < 1) return "starts must be >= 1";
    if (!(p->tol > 0) || !isfinite(p->tol)) return "tol must be > 0";
    if (p->max_iter < 1) return "max_iter must be >= 1";
    if (!(p->ridge >= 0) || !isfinite(p->ridge)) return "ridge must be >= 0";
    if (!(p->min_weight >= 0) || p->min_weight >= 1) return "min_weight must be in [0, 1)";
    if (!(p->best_tol >= 0)) return "best_tol must be >= 0";
    if (!(p->flat_tol >= 0) || !isfinite(p->flat_tol)) return "flat_tol must be >= 0";
    if (p->flat_window < 1) return "flat_window must be >= 1";
    if (p->newton != 0 && p->newton != 1) return "newton must be 0 or 1";
    if (p->subblocks != 0 && p->subblocks != 1) return "subblocks must be 0 or 1";
    if (p->warm_users != 0 && p->warm_users < MIX_WARM_MIN)
        return "warm_users must be 0 (off) or >= 100";
    return NULL;
}

void mix_fit_free(mix_fit *f)
{
    if (!f) return;
    free(f->eta);
    free(f->theta);
    free(f->post);
    free(f->se_eta);
    free(f->se_theta);
    free(f->vcov);
    free(f->info_eval);
    free(f);
}

/* ---- workspace ----------------------------------------------------------- */

typedef struct mix_ws {
    size_t K, d, n_users, n_blocks, mmax, nthreads;
    size_t P;           /* K d + K - 1 parameters (theta, alpha) */
    size_t base;        /* per-block partial of a pass: K*(d + d*d + 3) + 1 */
    size_t stride;      /* base + P*P (the info part M) */
    int info;           /* passes (given = 0) also sum M: see user_missing */
    int info_ok;        /* the last pass summed M (at the current point) */
    double *part;       /* (n_blocks, stride) */
    double *scratch;    /* (nthreads, per-thread scratch) */
    size_t scratch_n;
    size_t nwork;       /* kernel work at the start of each thread's scratch */
    double *post;       /* (n_users, K) current responsibilities */
    double *post_old;   /* (n_users, K) responsibilities of the last M-step */
    double *Qchk;       /* (K) sum_i gamma_old log L_ik at the new theta */
    double *theta_old;  /* (K, d) parameters before the last M-step */
    unsigned char *flat;/* (d) columns constant within every query: fixed at 0 */
    double *Qold;       /* (K) Q_k at theta_old: the ascent check's reference */
    double *delta;      /* (n_queries, d) winner minus loser when every query is
                         * a pair (pl_pairs_accum; transposed per sub-block
                         * when pblock: ws_pairs); NULL otherwise */
    int pblock;         /* pairs with d <= VECOPS_PAIR_D: block_pairs */
    int sub;            /* mix_params.subblocks */
    double *diff;       /* (n_cand - n_queries, d) x_j - x_0 of every query
                         * (pl_stages_diff) when no delta and every query
                         * has m <= PL_STAGES_M (pl_stages_accum); or NULL */
    size_t *qslot;      /* (n_queries + 1) with diff and sub: the stage exps
                         * per class of queries before q (pl_stages_exps),
                         * for subblock_stages; else NULL */
    size_t sub_users;   /* the most users of one subblock_stages call */
    double *scale;      /* (K) step length of each class in the M-step */
    double *eta, *theta, *step, *g, *H, *Q, *sumg;
    double *M;          /* (P, P) upper: sum_i s_i s_i^T - sum_k gamma_ik
                         * a_ik a_ik^T (w->info passes), a_ik = grad log
                         * (eta_k L_ik) */
    /* A pass's results kept aside while a Newton trial point is evaluated
     * (ws_swap): the same shapes as post, g, H, Q, sumg, M. */
    double *post_sv, *g_sv, *H_sv, *Q_sv, *sumg_sv, *M_sv;
    double *J, *sc, *dir; /* (P, P), (P), (P): the Newton system */
} mix_ws;

static void ws_free(mix_ws *w)
{
    if (!w) return;
    free(w->part);
    free(w->scratch);
    free(w->post);
    free(w->eta);
    free(w->theta);
    free(w->Qold);
    free(w->scale);
    free(w->step);
    free(w->g);
    free(w->H);
    free(w->Q);
    free(w->sumg);
    free(w->flat);
    free(w->post_old);
    free(w->Qchk);
    free(w->theta_old);
    free(w->delta);
    free(w->diff);
    free(w->qslot);
    free(w->M);
    free(w->post_sv);
    free(w->g_sv);
    free(w->H_sv);
    free(w->Q_sv);
    free(w->sumg_sv);
    free(w->M_sv);
    free(w->J);
    free(w->sc);
    free(w->dir);
    free(w);
}

/* The end j of the sub-block starting at user i of a block ending at i1:
 * whole users with at most MIX_PCHUNK pairs in all and at most MIX_PCHUNK
 * users (w->pblock), or at most MIX_SCHUNK stage exps per class and
 * w->sub_users users (w->qslot); j == i when user i alone has more, or the
 * data take neither (user i takes its own kernel call). */
static size_t subblock_end(const data_set *ds, const mix_ws *w, size_t i, size_t i1)
{
    size_t j = i;
    const size_t *uq = ds->user_q, *c = w->qslot;
    if (w->pblock)
        while (j < i1 && j - i < MIX_PCHUNK && uq[j + 1] - uq[i] <= MIX_PCHUNK) j++;
    else if (c)
        while (j < i1 && j - i < w->sub_users && c[uq[j + 1]] - c[uq[i]] <= MIX_SCHUNK)
            j++;
    return j;
}

/* Pair data (every query m = 2, r = 1): the differences x_0 - x_1 once per
 * workspace, so the passes take the Bradley–Terry kernel. With d <=
 * VECOPS_PAIR_D (w->pblock) each sub-block's differences are stored
 * transposed ((d, n) for its n pairs, at the offset of its first pair), the
 * layout block_pairs reads; a user alone (subblock_end) stays row-major.
 * Returns 0, or -1 when out of memory; other data leave w->delta NULL. */
static int ws_pairs(const data_set *ds, mix_ws *w)
{
    size_t d = ds->d;
    for (size_t q = 0; q < ds->n_queries; q++)
        if (data_m(ds, q) != 2) return 0;
    size_t n = ds->n_queries * d;
    w->delta = malloc((n > 0 ? n : 1) * sizeof(double));
    if (!w->delta) return -1;
    w->pblock = d <= VECOPS_PAIR_D && w->sub;
    double x[VECOPS_PAIR_D];
    for (size_t b = 0; b < w->n_blocks; b++) {
        size_t i1 = (b + 1) * MIX_BLOCK < ds->n_users ? (b + 1) * MIX_BLOCK
                                                     : ds->n_users;
        for (size_t i = b * MIX_BLOCK, j; i < i1; i = j > i ? j : i + 1) {
            j = subblock_end(ds, w, i, i1);
            size_t q0 = ds->user_q[i], q1 = ds->user_q[j > i ? j : i + 1];
            for (size_t q = q0; q < q1; q++) {
                double *dq = w->delta + q * d;
                if (j == i) {
                    pl_pair_delta(ds->x + ds->q_cand[q] * d, d, dq);
                    continue;
                }
                pl_pair_delta(ds->x + ds->q_cand[q] * d, d, x);
                for (size_t a = 0; a < d; a++)
                    w->delta[q0 * d + a * (q1 - q0) + (q - q0)] = x[a];
            }
        }
    }
    return 0;
}

/* Other data of few candidates per query (every m <= PL_STAGES_M, d <=
 * PL_STAGES_D): each query's differences x_j - x_0 once per workspace, so
 * the passes take pl_stages_accum. Returns 0, or -1 when out of memory. */
static int ws_stages(const data_set *ds, mix_ws *w)
{
    size_t d = ds->d, nq = ds->n_queries;
    if (w->delta || d > PL_STAGES_D) return 0;
    for (size_t q = 0; q < nq; q++)
        if (data_m(ds, q) > PL_STAGES_M) return 0;
    size_t n = (ds->q_cand[nq] - nq) * d;
    w->diff = malloc((n > 0 ? n : 1) * sizeof(double));
    if (!w->diff) return -1;
    for (size_t q = 0; q < nq; q++)
        pl_stages_diff(ds->x + ds->q_cand[q] * d, data_m(ds, q), d,
                       w->diff + (ds->q_cand[q] - q) * d);
    if (!w->sub) return 0;
    w->qslot = malloc((nq + 1) * sizeof(size_t));
    if (!w->qslot) return -1;
    w->qslot[0] = 0;
    for (size_t q = 0; q < nq; q++)
        w->qslot[q + 1] = w->qslot[q] + pl_stages_exps(data_m(ds, q), ds->q_r[q]);
    return 0;
}

/* Doubles per user of subblock_stages' results: acc (3 K, then la in its
 * last K), the class exps (K), their sum, log-sum-exp and maximum, the
 * gradients (K d) and upper Hessians (K d d). */
static size_t stages_user_n(size_t K, size_t d)
{
    return K * (4 + d + d * d) + 3;
}

/* The Newton buffers of w (P, n_users, K, d set). Returns 0 or -1. */
static int ws_alloc_newton(mix_ws *w)
{
    size_t K = w->K, d = w->d, P = w->P, nK = w->n_users * K;
    w->M = malloc(P * P * sizeof(double));
    w->M_sv = malloc(P * P * sizeof(double));
    w->J = malloc(P * P * sizeof(double));
    w->sc = malloc(P * sizeof(double));
    w->dir = malloc(P * sizeof(double));
    w->post_sv = malloc(nK * sizeof(double));
    w->g_sv = malloc(K * d * sizeof(double) + 1);
    w->H_sv = malloc(K * d * d * sizeof(double) + 1);
    w->Q_sv = malloc(K * sizeof(double));
    w->sumg_sv = malloc(K * sizeof(double));
    return w->M && w->M_sv && w->J && w->sc && w->dir && w->post_sv &&
                   w->g_sv && w->H_sv && w->Q_sv && w->sumg_sv ? 0 : -1;
}

static void swap_ptr(double **a, double **b)
{
    double *t = *a;
    *a = *b;
    *b = t;
}

/* Swap a pass's results (posteriors, g, H, Q, sumg, M) with the saved
 * ones: before a trial pass, to keep the current point's; after a refused
 * trial, to restore them (no pass). */
static void ws_swap(mix_ws *w)
{
    swap_ptr(&w->post, &w->post_sv);
    swap_ptr(&w->g, &w->g_sv);
    swap_ptr(&w->H, &w->H_sv);
    swap_ptr(&w->Q, &w->Q_sv);
    swap_ptr(&w->sumg, &w->sumg_sv);
    swap_ptr(&w->M, &w->M_sv);
}

static mix_ws *ws_alloc(const data_set *ds, size_t K, int threads, int sub)
{
    mix_ws *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->sub = sub;
    size_t d = ds->d;
    w->K = K;
    w->d = d;
    w->n_users = ds->n_users;
    w->n_blocks = (ds->n_users + MIX_BLOCK - 1) / MIX_BLOCK;
    for (size_t q = 0; q < ds->n_queries; q++)
        if (data_m(ds, q) > w->mmax) w->mmax = data_m(ds, q);
#ifdef _OPENMP
    w->nthreads = threads > 0 ? (size_t)threads : (size_t)omp_get_max_threads();
    /* Never more threads than blocks: an idle thread only waits (spinning,
     * under OpenMP's default policy) at every pass's barrier. */
    if (w->nthreads > w->n_blocks) w->nthreads = w->n_blocks ? w->n_blocks : 1;
#else
    (void)threads;
    w->nthreads = 1;
#endif
    w->P = K * d + K - 1;
    w->base = K * (d + d * d + 3) + 1;
    w->stride = w->base + w->P * w->P;
    /* per thread: work (2 mmax + d for pl_linear_accum, pl_pairs_work(K)
     * for pairs, pl_stages_work(K) for few candidates), la (K), gi (K d),
     * Hi (K d d), lt (K) */
    w->nwork = 2 * w->mmax + d;
    if (w->nwork < pl_pairs_work(K)) w->nwork = pl_pairs_work(K);
    if (w->nwork < pl_stages_work(K)) w->nwork = pl_stages_work(K);
    w->scratch_n = w->nwork + K + K * d + K * d * d + K;
    w->scratch_n += K * d; /* user_missing: u (K d) */
    /* subblock_pairs, subblock_stages */
    w->scratch_n += K * MIX_SUBWORK;
    /* subblock_stages' per-user results */
    w->sub_users = MIX_SUBUSERS / stages_user_n(K, d);
    if (w->sub_users > MIX_BLOCK) w->sub_users = MIX_BLOCK;
    if (w->sub_users < 1) w->sub_users = 1;
    size_t nres = w->sub_users * stages_user_n(K, d);
    /* subblock_pairs' per-user results: la, ex, sum, lse, lg of
     * scratch_users for MIX_PCHUNK users */
    if (nres < MIX_PCHUNK * (4 * K + 3)) nres = MIX_PCHUNK * (4 * K + 3);
    w->scratch_n += nres;
    w->scratch_n = (w->scratch_n + 7) / 8 * 8 + 8; /* own cache lines per thread */
    w->part = malloc(w->n_blocks * w->stride * sizeof(double));
    w->scratch = malloc(w->nthreads * w->scratch_n * sizeof(double));
    w->post = malloc(ds->n_users * K * sizeof(double));
    w->eta = malloc(K * sizeof(double));
    w->theta = malloc(K * d * sizeof(double));
    w->Qold = malloc(K * sizeof(double));
    w->scale = malloc(K * sizeof(double));
    w->step = malloc(K * d * sizeof(double));
    w->g = malloc(K * d * sizeof(double));
    w->H = malloc(K * d * d * sizeof(double));
    w->Q = malloc(K * sizeof(double));
    w->sumg = malloc(K * sizeof(double));
    w->post_old = malloc(ds->n_users * K * sizeof(double));
    w->Qchk = malloc(K * sizeof(double));
    w->theta_old = malloc(K * d * sizeof(double));
    w->flat = calloc(d ? d : 1, 1);
    if (w->flat) mix_uninformative_columns(ds, w->flat);
    if (ws_alloc_newton(w) != 0) {
        ws_free(w);
        return NULL;
    }
    if (!w->post_old || !w->Qchk || !w->theta_old || ws_pairs(ds, w) != 0 ||
        ws_stages(ds, w) != 0) {
        ws_free(w);
        return NULL;
    }
    if (!w->flat || !w->part || !w->scratch || !w->post || !w->eta || !w->theta ||
        !w->Qold || !w->scale || !w->step || !w->g || !w->H || !w->Q ||
        !w->sumg) {
        ws_free(w);
        return NULL;
    }
    return w;
}

static double *thread_scratch(const mix_ws *w)
{
#ifdef _OPENMP
    return w->scratch + (size_t)omp_get_thread_num() * w->scratch_n;
#else
    return w->scratch;
#endif
}

/* ---- the passes ---------------------------------------------------------- */

/* User i's log-likelihood under class k; accumulates its gradient into gi
 * (d) and the upper triangle of its Hessian into Hi (d, d). The general
 * path: pair data take pl_pairs_accum, few candidates pl_stages_accum. */
static double user_class_accum(const data_set *ds, const mix_ws *w, size_t i,
                               size_t k, double *gi, double *Hi, double *work)
{
    size_t d = w->d;
    const double *th = w->theta + k * d;
    double ll = 0.0;
    for (size_t q = ds->user_q[i]; q < ds->user_q[i + 1]; q++)
        ll += pl_linear_accum_upper(ds->x + ds->q_cand[q] * d, data_m(ds, q), d,
                                    ds->q_r[q], th, 1.0, gi, Hi, work);
    return ll;
}

/* User i's log-likelihoods la (K), gradients gi (K, d) and upper Hessians
 * Hi (K, d, d) by pl_stages_accum on the workspace's differences. */
static void user_stages_accum(const data_set *ds, const mix_ws *w, size_t i,
                              double *la, double *gi, double *Hi, double *work)
{
    size_t q0 = ds->user_q[i], q1 = ds->user_q[i + 1];
    pl_stages_accum(w->diff + (ds->q_cand[q0] - q0) * w->d, ds->q_cand + q0,
                    ds->q_r + q0, q1 - q0, w->d, w->theta, w->K, la, gi, Hi, work);
}

/* The maximum of lt (K), as class_lse and stages_lse take it. */
static MIX_INLINE double class_max(const double *lt, size_t K)
{
    double mx = lt[0];
    for (size_t k = 1; k < K; k++)
        if (lt[k] > mx) mx = lt[k];
    return mx;
}

/* The exps e_k = exp(lt_k - mx) (vecops_expneg1; exp(0) = 1 exactly at a
 * finite maximum mx, so K = 2 takes one exp) and their sum *s; returns
 * log sum_k exp(lt_k) = mx + log(*s) (vecops_log1). stages_lse gives the
 * same bits for many users at once. */
static MIX_INLINE double class_lse(const double *lt, size_t K, double *e, double *s)
{
    double mx = class_max(lt, K);
    int fin = isfinite(mx);
    double sum = 0.0;
    for (size_t k = 0; k < K; k++) {
        e[k] = fin && lt[k] == mx ? 1.0 : vecops_expneg1(lt[k] - mx);
        sum += e[k];
    }
    *s = sum;
    return mx + vecops_log1(sum);
}

/* The end of user i's pass from its log-likelihoods la (K), class exps e
 * (K), their sum s and log-sum-exp lse (class_lse): the check sum pC, lse
 * into *pL and the responsibilities gamma = e / s (written to post unless
 * given), pS += gamma and pQ += gamma la. Returns gamma. */
static MIX_INLINE const double *user_tail(mix_ws *w, size_t K, size_t i,
                                          const double *la, const double *e,
                                          double s, double lse, int given,
                                          int check, double *pQ, double *pS,
                                          double *pC, double *pL)
{
    double *gam = w->post + i * K;
    for (size_t k = 0; k < K; k++)
        if (check) pC[k] += w->post_old[i * K + k] * la[k];
    if (!given) {
        double is = 1.0 / s;
        for (size_t k = 0; k < K; k++) gam[k] = e[k] * is;
    }
    *pL += lse;
    for (size_t k = 0; k < K; k++) {
        if (gam[k] == 0.0) continue;
        pS[k] += gam[k];
        pQ[k] += gam[k] * la[k];
    }
    return gam;
}

/* user_tail from user i's log-likelihoods la (K) alone: lt = leta + la
 * and class_lse. lt: K doubles of scratch. Returns gamma. */
static MIX_INLINE const double *user_post(mix_ws *w, size_t K, size_t i,
                                          const double *la, double *lt,
                                          const double *leta, int given, int check,
                                          double *pQ, double *pS, double *pC,
                                          double *pL)
{
    double e[PREF_MAX_TYPES], s;
    for (size_t k = 0; k < K; k++) lt[k] = leta[k] + la[k];
    double lse = class_lse(lt, K, e, &s);
    return user_tail(w, K, i, la, e, s, lse, given, check, pQ, pS, pC, pL);
}

/* The pointers of a block's partial pt: g (K d), H (K d d), Q, S, C (K), L,
 * M (P, P: used by info passes only). */
typedef struct pass_part {
    double *g, *H, *Q, *S, *C, *L, *M;
} pass_part;

static pass_part part_of(const mix_ws *w, double *pt)
{
    size_t K = w->K, d = w->d;
    pass_part p;
    p.g = pt;
    p.H = p.g + K * d;
    p.Q = p.H + K * d * d;
    p.S = p.Q + K;
    p.C = p.S + K;
    p.L = p.C + K;
    p.M = p.L + 1;
    return p;
}

/* The running sums Q, S, C (K each) and L of a partial p, copied into the
 * locals at t (3 K + 1 doubles) for a run of users, so that each user adds
 * to registers instead of through p's pointers, which the compiler must
 * assume alias the responsibilities it writes (a store-to-load chain per
 * user and sum); part_put writes them back. The additions keep their
 * order: the same bits. */
static MIX_INLINE pass_part part_local(pass_part p, size_t K, double *t)
{
    pass_part q = p;
    q.Q = t;
    q.S = t + K;
    q.C = t + 2 * K;
    q.L = t + 3 * K;
    for (size_t k = 0; k < K; k++) {
        q.Q[k] = p.Q[k];
        q.S[k] = p.S[k];
        q.C[k] = p.C[k];
    }
    *q.L = *p.L;
    return q;
}

static MIX_INLINE void part_put(pass_part p, pass_part q, size_t K)
{
    for (size_t k = 0; k < K; k++) {
        p.Q[k] = q.Q[k];
        p.S[k] = q.S[k];
        p.C[k] = q.C[k];
    }
    *p.L = *q.L;
}

/* The K d doubles of a thread's scratch s that user_missing uses. */
static double *scratch_u(const mix_ws *w, double *s)
{
    size_t K = w->K, d = w->d;
    return s + w->nwork + 2 * K + K * d + K * d * d + K * MIX_SUBWORK;
}

/* User i's part of the missing information (info passes): with
 * responsibilities gam (K), class gradients gi (K, d) and a_k = grad log
 * (eta_k L_ik) in (theta, alpha) (gi_k in theta_k's slots, e_k - eta in
 * alpha's), M += s s^T - sum_k gam_k a_k a_k^T, s = sum_k gam_k a_k (the
 * user's score), upper triangle. In closed form (eta cancels): theta-theta
 * u_k u_l^T - [k = l] u_k gi_k^T = u_k (u_l - [k = l] gi_l)^T with
 * u_k = gam_k gi_k; theta_k-alpha_j
 * u_k (gam_j - [j = k]); alpha_i-alpha_j gam_i gam_j - [i = j] gam_i. u:
 * K d doubles of scratch. O(P^2). */
static MIX_INLINE void user_missing(size_t K, size_t d, const double *gam,
                                    const double *gi, double *u, double *M)
{
    size_t Kd = K * d, P = Kd + K - 1;
    for (size_t k = 0; k < K; k++)
        for (size_t a = 0; a < d; a++) u[k * d + a] = gam[k] * gi[k * d + a];
    for (size_t k = 0; k < K; k++)
        for (size_t a = 0, r = k * d; a < d; a++, r++) {
            double ur = u[r], *Mr = M + r * P;
            size_t c = r;
            for (; c < (k + 1) * d; c++) Mr[c] += ur * (u[c] - gi[c]);
            for (; c < Kd; c++) Mr[c] += ur * u[c];
            for (size_t j = 0; j + 1 < K; j++) Mr[Kd + j] += ur * (gam[j] - (j == k));
        }
    for (size_t i = 0; i + 1 < K; i++)
        for (size_t j = i; j + 1 < K; j++)
            M[(Kd + i) * P + Kd + j] += gam[i] * gam[j] - (i == j ? gam[i] : 0.0);
}

/* The first double of a thread's scratch s after user_missing's u: the
 * per-user results of subblock_stages (stages_user_n each). */
/* The per-user results of subblock_stages in a thread's scratch s, after
 * user_missing's u, for N users (w->sub_users, stages_user_n each; the
 * pair path uses la .. lg for N = MIX_PCHUNK): class
 * k of user u's stage sums at acc[u K + k] (pl_stages_users' acc, na = N K),
 * its log-likelihood la, class exp ex (na each), the sums of the exps, the
 * log-sum-exps and the logs (N each), the gradients gi (N K d) and the upper
 * Hessians Hi (N K d d). */
typedef struct sub_res {
    double *acc, *la, *ex, *sum, *lse, *lg, *gi, *Hi;
} sub_res;

static sub_res scratch_users(const mix_ws *w, double *s, size_t N)
{
    size_t na = N * w->K;
    sub_res r;
    r.acc = scratch_u(w, s) + w->K * w->d;
    r.la = r.acc + 2 * na;
    r.ex = r.la + na;
    r.sum = r.ex + na;
    r.lse = r.sum + N;
    r.lg = r.lse + N;
    r.gi = r.lg + N;
    r.Hi = r.gi + na * w->d;
    return r;
}

/* User i's results for finish_body: log-likelihoods la (K), gradients gi
 * (K, d), upper Hessians Hi (K, d, d) and, from stages_lse, its class exps
 * e (K), their sum and its log-sum-exp (e NULL: finish_body takes them by
 * user_post). */
typedef struct user_res {
    const double *la, *gi, *Hi, *e;
    double sum, lse;
} user_res;

/* The end of user i's pass from its results r, with the scratch s:
 * responsibilities (user_post or user_tail), the missing information (info
 * passes), and the gamma-weighted sums into the partial p. */
static MIX_INLINE void finish_body(mix_ws *w, size_t K, size_t d, size_t i,
                                   user_res r, const double *leta, int given,
                                   int check, pass_part p, double *s)
{
    size_t dd = d * d;
    const double *gi = r.gi, *Hi = r.Hi, *gam;
    if (r.e)
        gam = user_tail(w, K, i, r.la, r.e, r.sum, r.lse, given, check, p.Q, p.S,
                        p.C, p.L);
    else
        gam = user_post(w, K, i, r.la, s + w->nwork + K + K * d + K * dd, leta,
                        given, check, p.Q, p.S, p.C, p.L);
    if (w->info && !given) user_missing(K, d, gam, gi, scratch_u(w, s), p.M);
    for (size_t k = 0; k < K; k++) {
        double gk = gam[k];
        if (gk == 0.0) continue;
        for (size_t j = 0; j < d; j++) p.g[k * d + j] += gk * gi[k * d + j];
        for (size_t a = 0; a < d; a++) /* upper triangle only */
            for (size_t b2 = a; b2 < d; b2++)
                p.H[k * dd + a * d + b2] += gk * Hi[k * dd + a * d + b2];
    }
}

/* finish_body, with K and d constant for d = 2, K = 2, 3, 4. */
static void user_finish(mix_ws *w, size_t i, user_res r, const double *leta,
                        int given, int check, pass_part p, double *s)
{
    if (w->K == 2 && w->d == 2)
        finish_body(w, 2, 2, i, r, leta, given, check, p, s);
    else if (w->K == 3 && w->d == 2)
        finish_body(w, 3, 2, i, r, leta, given, check, p, s);
    else if (w->K == 4 && w->d == 2)
        finish_body(w, 4, 2, i, r, leta, given, check, p, s);
    else
        finish_body(w, w->K, w->d, i, r, leta, given, check, p, s);
}

/* User i's pass by its own kernel call: la, the gradients and upper
 * Hessians of every class, then user_finish. */
static void user_accum(const data_set *ds, mix_ws *w, size_t i,
                       const double *leta, int given, int check, pass_part p,
                       double *s)
{
    size_t K = w->K, d = w->d, dd = d * d;
    double *work = s, *la = s + w->nwork, *gi = la + K, *Hi = gi + K * d;
    memset(gi, 0, K * (d + dd) * sizeof(double));
    if (w->delta)
        pl_pairs_accum(w->delta + ds->user_q[i] * d,
                       ds->user_q[i + 1] - ds->user_q[i], d, w->theta, K, la, gi,
                       Hi, work);
    else if (w->diff)
        user_stages_accum(ds, w, i, la, gi, Hi, work);
    else
        for (size_t k = 0; k < K; k++)
            la[k] = user_class_accum(ds, w, i, k, gi + k * d, Hi + k * dd, work);
    user_res r = {la, gi, Hi, NULL, 0.0, 0.0};
    user_finish(w, i, r, leta, given, check, p, s);
}

/* The log-sum-exps of the nu users of subblock_stages from their
 * log-likelihoods la (nu, K): per user mx = the maximum of lt = leta + la,
 * the exps e (nu, K) of lt - mx in one vecops_expneg call, their sums sum
 * (nu) and lse = mx + log(sum) with one vecops_log call (lg: nu doubles of
 * scratch): class_lse's bits (its exp(0) = 1 is vecops_expneg1(0)). */
static void stages_lse(size_t nu, size_t K, const double *la, const double *leta,
                       double *e, double *sum, double *lse, double *lg)
{
    for (size_t u = 0; u < nu; u++) {
        double *eu = e + u * K;
        for (size_t k = 0; k < K; k++) eu[k] = leta[k] + la[u * K + k];
        lse[u] = class_max(eu, K);
        for (size_t k = 0; k < K; k++) eu[k] -= lse[u];
    }
    vecops_expneg(e, e, nu * K);
    for (size_t u = 0; u < nu; u++) {
        double v = 0.0;
        for (size_t k = 0; k < K; k++) v += e[u * K + k];
        sum[u] = v;
    }
    vecops_log(lg, sum, nu);
    for (size_t u = 0; u < nu; u++) lse[u] += lg[u];
}

/* The nu users' log-likelihoods la from their parts b.acc (na apart: the
 * logs of all products in one vecops_log call, pl_ll_parts), then their
 * log-sum-exps (stages_lse). */
static void sub_post(sub_res b, size_t nu, size_t K, size_t na, const double *leta)
{
    vecops_log(b.la, b.la, nu * K);
    for (size_t t = 0; t < nu * K; t++)
        b.la[t] = pl_ll_parts(b.acc[t], b.acc[na + t], b.la[t]);
    stages_lse(nu, K, b.la, leta, b.ex, b.sum, b.lse, b.lg);
}

/* finish_body for the nu users i.. of subblock_stages, their results
 * at b, K and d constant once inlined. */
static MIX_INLINE void stages_finish(mix_ws *w, size_t K, size_t d, size_t i,
                                     size_t nu, sub_res b, const double *leta,
                                     int given, int check, pass_part p, double *s)
{
    double t[3 * PREF_MAX_TYPES + 1];
    pass_part q = part_local(p, K, t);
    for (size_t u = 0; u < nu; u++) {
        user_res r = {b.la + u * K, b.gi + u * K * d, b.Hi + u * K * d * d,
                      b.ex + u * K, b.sum[u], b.lse[u]};
        finish_body(w, K, d, i + u, r, leta, given, check, q, s);
    }
    part_put(p, q, K);
}

/* Few candidates per query (w->qslot) for users [i, j), at most
 * w->sub_users of them, their stage exps per class <= MIX_SCHUNK: every
 * query's stage arguments for every class (pl_stages_args), one
 * vecops_expneg call for all of them, each user's sums, gradients and
 * Hessians (pl_stages_users: the bits of pl_stages_accum), one vecops_log
 * call for the logs of all their normalisers' products and the
 * log-sum-exps of all users (sub_post), then each user's tail
 * (stages_finish): the same results as user by user (user_accum). */
static void subblock_stages(const data_set *ds, mix_ws *w, size_t i, size_t j,
                            const double *leta, int given, int check,
                            pass_part p, double *s)
{
    size_t K = w->K, d = w->d, dd = d * d, q0 = ds->user_q[i], nu = j - i;
    size_t nq = ds->user_q[j] - q0, n = w->qslot[ds->user_q[j]] - w->qslot[q0];
    size_t na = w->sub_users * K;
    double *e = s + w->nwork + 2 * K + K * d + K * dd, *lin = e + K * n;
    sub_res b = scratch_users(w, s, w->sub_users);
    const size_t *cand = ds->q_cand;
    size_t shape = pl_stages_args(w->diff + (cand[q0] - q0) * d, cand + q0,
                                  ds->q_r + q0, nq, d, w->theta, K, n, lin, e);
    vecops_expneg(e, e, K * n);
    pl_stages_users(w->diff, cand, ds->q_r, ds->user_q + i, w->qslot, nu, d, K,
                    shape, e, n, lin, nq, b.acc, na, b.gi, b.Hi);
    sub_post(b, nu, K, na, leta);
    if (K == 2 && d == 2)
        stages_finish(w, 2, 2, i, nu, b, leta, given, check, p, s);
    else if (K == 3 && d == 2)
        stages_finish(w, 3, 2, i, nu, b, leta, given, check, p, s);
    else if (K == 4 && d == 2)
        stages_finish(w, 4, 2, i, nu, b, leta, given, check, p, s);
    else
        stages_finish(w, K, d, i, nu, b, leta, given, check, p, s);
}

/* The users [i, j) of subblock_pairs, K and d constant once inlined: each
 * user's log-likelihoods, their logs and log-sum-exps all at once
 * (sub_post), then each user's responsibilities (user_tail), its
 * gradients and missing information (info passes), and its g and h
 * weighted by gamma. */
static MIX_INLINE void pairs_users(const data_set *ds, mix_ws *w, size_t K,
                                   size_t d, size_t i, size_t j, const double *leta,
                                   int given, int check, pass_part p, double *s)
{
    size_t q0 = ds->user_q[i], n = ds->user_q[j] - q0;
    double *z = s + w->nwork + 2 * K + K * d + K * d * d;
    double *f = z + K * n, *g = f + K * n, *h = g + K * n;
    const double *X = w->delta + q0 * d;
    sub_res b = scratch_users(w, s, MIX_PCHUNK);
    pl_pairs_users(z, f, n, ds->user_q + i, j - i, K, b.acc, MIX_PCHUNK * K);
    sub_post(b, j - i, K, MIX_PCHUNK * K, leta);
    double tl[3 * PREF_MAX_TYPES + 1];
    pass_part q = part_local(p, K, tl);
    for (size_t u = i; u < j; u++) {
        size_t a = ds->user_q[u] - q0, T = ds->user_q[u + 1] - ds->user_q[u];
        size_t o = u - i;
        const double *gam = user_tail(w, K, u, b.la + o * K, b.ex + o * K, b.sum[o],
                                      b.lse[o], given, check, q.Q, q.S, q.C, q.L);
        if (w->info && !given) { /* the user's gradients: sum_t g_t delta_t */
            double *gi = s + w->nwork + K;
            for (size_t k = 0; k < K; k++)
                for (size_t c = 0; c < d; c++) {
                    double v = 0.0;
                    for (size_t t = a; t < a + T; t++)
                        v += g[k * n + t] * X[c * n + t];
                    gi[k * d + c] = v;
                }
            user_missing(K, d, gam, gi, scratch_u(w, s), p.M);
        }
        for (size_t k = 0; k < K; k++)
            for (size_t t = a; t < a + T; t++) {
                g[k * n + t] *= gam[k];
                h[k * n + t] *= gam[k];
            }
    }
    part_put(p, q, K);
}

/* Pairs (w->pblock) of users [i, j), n = their pairs <= MIX_PCHUNK: the
 * margins and logistic parts of all n pairs and K classes at once from
 * their transposed differences (ws_pairs), each user's log-likelihoods
 * (pl_pairs_users: the bits of pl_pairs_accum) and responsibilities
 * (pairs_users, K and d constant for d = 2, K = 2, 3, 4), then the gradient and
 * upper Hessian of the whole sub-block as sums over its pairs weighted by
 * gamma_ik g_t and gamma_ik h_t (vecops_pair_sums: vectorised across
 * pairs, no per-user sums). */
static void subblock_pairs(const data_set *ds, mix_ws *w, size_t i, size_t j,
                           const double *leta, int given, int check, pass_part p,
                           double *s)
{
    size_t K = w->K, d = w->d, q0 = ds->user_q[i], n = ds->user_q[j] - q0;
    double *z = s + w->nwork + 2 * K + K * d + K * d * d;
    double *f = z + K * n, *g = f + K * n, *h = g + K * n;
    const double *X = w->delta + q0 * d;
    vecops_pair_margins(z, X, w->theta, n, d, K);
    vecops_logistic(f, g, h, z, K * n);
    if (K == 2 && d == 2)
        pairs_users(ds, w, 2, 2, i, j, leta, given, check, p, s);
    else if (K == 3 && d == 2)
        pairs_users(ds, w, 3, 2, i, j, leta, given, check, p, s);
    else if (K == 4 && d == 2)
        pairs_users(ds, w, 4, 2, i, j, leta, given, check, p, s);
    else
        pairs_users(ds, w, K, d, i, j, leta, given, check, p, s);
    vecops_pair_sums(p.g, p.H, X, g, h, n, d, K);
}

/* Users [i0, i1) of one block into its partial p: pairs and few
 * candidates in sub-blocks (subblock_end), other data user by user. */
static void block_accum(const data_set *ds, mix_ws *w, size_t i0, size_t i1,
                        const double *leta, int given, int check, pass_part p,
                        double *s)
{
    for (size_t i = i0; i < i1;) {
        size_t j = subblock_end(ds, w, i, i1);
        if (j > i) {
            if (w->pblock)
                subblock_pairs(ds, w, i, j, leta, given, check, p, s);
            else
                subblock_stages(ds, w, i, j, leta, given, check, p, s);
            i = j;
        } else {
            user_accum(ds, w, i, leta, given, check, p, s);
            i++;
        }
    }
}

/* E-step + accumulation. For every user: log L_ik, responsibilities (written
 * to post unless given = 1, in which case post holds fixed weights), and the
 * weighted sums per class: g_k, H_k, Q_k = sum gamma log L_k, sum gamma.
 * With check = 1 it also sums Qchk_k = sum_i post_old_ik log L_ik: the
 * M-step objective of the previous responsibilities at the current theta,
 * which lets the M-step's ascent be verified in this same pass instead of a
 * separate one. With w->info (and given = 0) it also sums the missing
 * information M (user_missing), so that with g, H and sumg it gives the
 * observed information and score at these parameters (newton_system).
 * Returns the observed log-likelihood
 * sum_i log sum_k eta_k L_ik. */
static double pass_accumulate(const data_set *ds, mix_ws *w, int given,
                              int check)
{
    size_t K = w->K, d = w->d, nb = w->n_blocks;
    const size_t dd = d * d;
    double leta[PREF_MAX_TYPES];
    int info = w->info && !given;
    for (size_t k = 0; k < K; k++) leta[k] = log(w->eta[k]);
#pragma omp parallel for schedule(dynamic, 1) num_threads(w->nthreads)
    for (size_t b = 0; b < nb; b++) {
        double *pt = w->part + b * w->stride;
        memset(pt, 0, (info ? w->stride : w->base) * sizeof(double));
        size_t i_end = (b + 1) * MIX_BLOCK < w->n_users ? (b + 1) * MIX_BLOCK
                                                         : w->n_users;
        block_accum(ds, w, b * MIX_BLOCK, i_end, leta, given, check,
                    part_of(w, pt), thread_scratch(w));
    }
    /* Ordered reduction. */
    memset(w->g, 0, K * d * sizeof(double));
    memset(w->H, 0, K * dd * sizeof(double));
    memset(w->Q, 0, K * sizeof(double));
    memset(w->sumg, 0, K * sizeof(double));
    memset(w->Qchk, 0, K * sizeof(double));
    double L = 0.0;
    for (size_t b = 0; b < nb; b++) {
        const double *pt = w->part + b * w->stride;
        for (size_t j = 0; j < K * d; j++) w->g[j] += pt[j];
        for (size_t j = 0; j < K * dd; j++) w->H[j] += pt[K * d + j];
        for (size_t k = 0; k < K; k++) {
            w->Q[k] += pt[K * (d + dd) + k];
            w->sumg[k] += pt[K * (d + dd) + K + k];
            w->Qchk[k] += pt[K * (d + dd) + 2 * K + k];
        }
        L += pt[K * (d + dd) + 3 * K];
    }
    w->info_ok = info;
    if (info) {
        size_t PP = w->P * w->P;
        memset(w->M, 0, PP * sizeof(double));
        for (size_t b = 0; b < nb; b++)
            for (size_t j = 0; j < PP; j++) w->M[j] += w->part[b * w->stride + w->base + j];
    }
    for (size_t k = 0; k < K; k++) pl_sym_from_upper(w->H + k * dd, d);
    return L;
}

/* Newton direction for class k: (-H_k + ridge' I) step = g_k, with ridge'
 * scaled to the Hessian and raised until the Cholesky succeeds. */
static int newton_direction(mix_ws *w, size_t k, double ridge)
{
    size_t d = w->d;
    enum { STACK_D = 64 }; /* d x d on the stack up to this d */
    double A[STACK_D * STACK_D], *Ap = A;
    double *heap = NULL;
    if (d > STACK_D) {
        heap = malloc(d * d * sizeof(double)); /* only for large d: not hot */
        if (!heap) return PREF_ENOMEM;
        Ap = heap;
    }
    const double *Hk = w->H + k * d * d;
    double tr = 0.0;
    for (size_t j = 0; j < d; j++) tr -= Hk[j * d + j];
    double lam = ridge * (tr > 1.0 ? tr / (double)d : 1.0);
    if (lam == 0.0) lam = 1e-300;
    int st = PREF_ENUM;
    for (int attempt = 0; attempt < 20; attempt++) {
        for (size_t j = 0; j < d * d; j++) Ap[j] = -Hk[j];
        for (size_t j = 0; j < d; j++) Ap[j * d + j] += lam;
        /* Uninformative columns: their coefficient stays exactly at 0
         * (identity row/column, zero gradient), so rounding noise in a
         * direction the data cannot see is never amplified by the ridge. */
        for (size_t j = 0; j < d; j++)
            if (w->flat[j]) {
                for (size_t c = 0; c < d; c++) Ap[j * d + c] = Ap[c * d + j] = 0.0;
                Ap[j * d + j] = 1.0;
                w->g[k * d + j] = 0.0;
            }
        gsl_matrix_view Av = gsl_matrix_view_array(Ap, d, d);
        gsl_vector_const_view gv = gsl_vector_const_view_array(w->g + k * d, d);
        gsl_vector_view sv = gsl_vector_view_array(w->step + k * d, d);
        if (gsl_linalg_cholesky_decomp1(&Av.matrix) == 0 &&
            gsl_linalg_cholesky_solve(&Av.matrix, &gv.vector, &sv.vector) == 0) {
            st = PREF_OK;
            break;
        }
        lam = lam < 1e-12 ? 1e-12 : lam * 100.0;
    }
    free(heap);
    return st;
}

/* The M-step (one for the whole EM): eta_k = mean responsibility, a Newton
 * direction for every theta_k and the full step taken. theta_old, post_old
 * and Qold (the weighted log-likelihood at theta_old) are kept, and every
 * step length set to 1, for m_step_check. */
static int m_step(mix_ws *w, const mix_params *p)
{
    size_t K = w->K, d = w->d;
    for (size_t k = 0; k < K; k++) w->eta[k] = w->sumg[k] / (double)w->n_users;
    for (size_t k = 0; k < K; k++) {
        if (w->sumg[k] <= 0.0) memset(w->step + k * d, 0, d * sizeof(double));
        else PREF_TRY(newton_direction(w, k, p->ridge));
        w->scale[k] = 1.0;
        w->Qold[k] = w->Q[k];
    }
    memcpy(w->theta_old, w->theta, K * d * sizeof(double));
    memcpy(w->post_old, w->post, w->n_users * K * sizeof(double));
    for (size_t j = 0; j < K * d; j++) w->theta[j] += w->step[j];
    return PREF_OK;
}

/* The M-step's ascent check (damped Newton): Qtry (K) holds each class's
 * weighted log-likelihood at the current theta, with the responsibilities
 * of the M-step. Where it fell below Qold (beyond rounding, 1e-12 relative),
 * halve that class's step from theta_old; the last of MIX_HALVINGS tries
 * gives up the step. Returns 1 when a class was halved (evaluate again). */
#define MIX_HALVINGS 40
#define MIX_SQUAREM_MAX 64.0 /* largest SQUAREM step length |alpha| */
#define MIX_SLOW_RATE 0.5 /* EM slower than this linear rate: SQUAREM */
#define MIX_FLAT_GROWTH 1.1 /* gains growing faster than this: escaping, not flat */
#define MIX_WARMUP 3 /* M-steps on the random assignment before the first E-step */
static int m_step_check(mix_ws *w, const double *Qtry, int attempt)
{
    size_t d = w->d;
    int again = 0;
    for (size_t k = 0; k < w->K; k++) {
        double tolq = 1e-12 * fabs(w->Qold[k]) + 1e-300;
        if (w->scale[k] == 0.0 || Qtry[k] >= w->Qold[k] - tolq) continue;
        w->scale[k] = attempt == MIX_HALVINGS - 1 ? 0.0 : 0.5 * w->scale[k];
        for (size_t j = 0; j < d; j++)
            w->theta[k * d + j] = w->theta_old[k * d + j] + w->scale[k] * w->step[k * d + j];
        again = 1;
    }
    return again;
}

/* Re-seed classes whose weight fell below min_weight by splitting the
 * heaviest class. Returns the number re-seeded. */
static size_t protect_empty(mix_ws *w, const mix_params *p, gsl_rng *rng)
{
    size_t K = w->K, d = w->d, n = 0;
    for (size_t k = 0; k < K; k++) {
        if (w->eta[k] >= p->min_weight && w->eta[k] * (double)w->n_users >= 0.5)
            continue;
        size_t h = mathx_argmax(w->eta, K);
        if (h == k) continue;
        w->eta[h] *= 0.5;
        w->eta[k] = w->eta[h];
        for (size_t j = 0; j < d; j++)
            w->theta[k * d + j] = w->theta[h * d + j] + gsl_ran_gaussian(rng, 0.1);
        n++;
    }
    return n;
}

/* ---- the EM state (alloc / set / iterate / test) ------------------------- */

struct mix_em {
    const data_set *ds;
    mix_params p;
    mix_ws *w;
    gsl_rng *rng;       /* the start's generator: assignment, re-seeds */
    double loglik;      /* after the last E-step */
    double prev;        /* the one before (-inf: not comparable) */
    double max_decrease;
    size_t iterations, empty;
    int proposed;       /* an M-step awaits its ascent check */
    int slow;           /* EM found slow: SQUAREM cycles from now on */
    double gain;        /* the last EM step's gain in L (NaN: none yet) */
    int slow_steps;     /* successive EM steps at a slow linear rate */
    int grow_steps;     /* successive EM steps gaining more than
                           MIX_SLOW_RATE times the one before (slow, or
                           gains growing): Newton is tried after 2 */
    double *x0, *x1, *x2; /* (K d + K) SQUAREM: theta and log eta at the
                           cycle's start and after its two EM steps */
    double *eta2;       /* (K) the weights at x2 as they were (no log/exp) */
    double fgain;       /* the last iteration's gain for the flat test */
    size_t flat_steps;  /* iterations in a row that looked flat */
    int flat;           /* recognised as flat (mix_em_flat) */
    size_t newton_fails;/* Newton iterations refused in this start */
    int newton_on;      /* Newton iterations allowed in this start */
    size_t *warm_all;   /* (n_users) 0, 1, ..., n_users - 1; NULL: no warm
                           starts on this data (mix_params.warm_users) */
    size_t *warm_pick;  /* (warm_users) the users of a start's warm start */
};

void mix_em_free(mix_em *s)
{
    if (!s) return;
    ws_free(s->w);
    gsl_rng_free(s->rng);
    free(s->x0);
    free(s->x1);
    free(s->x2);
    free(s->eta2);
    free(s->warm_all);
    free(s->warm_pick);
    free(s);
}

mix_em *mix_em_alloc(const data_set *ds, size_t K, const mix_params *pp, int *err)
{
    mix_params defaults;
    mix_params_init(&defaults);
    const mix_params *p = pp ? pp : &defaults;
    const char *why = mix_params_check(p);
    *err = PREF_EINPUT;
    if (why) {
        pref_set_error(PREF_EINPUT, "fit: %s", why);
        return NULL;
    }
    if (K < 1 || K > PREF_MAX_TYPES) {
        pref_set_error(PREF_EINPUT, "--types %zu: need 1 <= K <= %d", K,
                       PREF_MAX_TYPES);
        return NULL;
    }
    if (K > ds->n_users) {
        pref_set_error(PREF_EINPUT, "--types %zu: more types than users (%zu)", K,
                       ds->n_users);
        return NULL;
    }
    mix_em *s = calloc(1, sizeof *s);
    if (s) {
        s->ds = ds;
        s->p = *p;
        s->w = ws_alloc(ds, K, p->threads, p->subblocks);
        s->rng = rngs_alloc(1);
        s->x0 = malloc(K * (ds->d + 1) * sizeof(double));
        s->x1 = malloc(K * (ds->d + 1) * sizeof(double));
        s->x2 = malloc(K * (ds->d + 1) * sizeof(double));
        s->eta2 = malloc(K * sizeof(double));
    }
    int warm = s && s->w && !s->w->delta && p->warm_users > 0 &&
               ds->n_users >= 2 * p->warm_users;
    if (warm) {
        s->warm_all = malloc(ds->n_users * sizeof(size_t));
        s->warm_pick = malloc(p->warm_users * sizeof(size_t));
        for (size_t i = 0; s->warm_all && i < ds->n_users; i++) s->warm_all[i] = i;
    }
    if (!s || !s->w || !s->rng || !s->x0 || !s->x1 || !s->x2 || !s->eta2 ||
        (warm && (!s->warm_all || !s->warm_pick))) {
        mix_em_free(s);
        *err = pref_set_error(PREF_ENOMEM, "out of memory for the fit");
        return NULL;
    }
    *err = PREF_OK;
    return s;
}

/* Random hard assignment of users to classes (every class non-empty when
 * N >= K), as R's flexmix starts. */
static void random_assignment(mix_ws *w, gsl_rng *rng)
{
    size_t K = w->K, N = w->n_users;
    for (size_t i = 0; i < N; i++) {
        size_t k = i < K ? i : gsl_rng_uniform_int(rng, K);
        memset(w->post + i * K, 0, K * sizeof(double));
        w->post[i * K + k] = 1.0;
    }
    for (size_t i = N; i-- > 1;) { /* shuffle so the forced ones are random */
        size_t j = gsl_rng_uniform_int(rng, i + 1);
        for (size_t k = 0; k < K; k++) {
            double t = w->post[i * K + k];
            w->post[i * K + k] = w->post[j * K + k];
            w->post[j * K + k] = t;
        }
    }
}

/* E-step at the current parameters. After an M-step this pass also measured
 * each class's weighted log-likelihood at the full Newton steps (Qchk);
 * where it fell, the step is halved and the pass redone: the damped Newton
 * ascent of a separate line search, without its extra pass when (as almost
 * always) the full step is accepted. */
static int e_step(mix_em *s)
{
    mix_ws *w = s->w;
    double L = pass_accumulate(s->ds, w, 0, s->proposed);
    for (int h = 0; s->proposed && h < MIX_HALVINGS; h++) {
        if (!m_step_check(w, w->Qchk, h)) break;
        L = pass_accumulate(s->ds, w, 0, 1);
    }
    s->proposed = 0;
    s->iterations++;
    if (!isfinite(L))
        PREF_ERROR(PREF_ENUM, "EM: log-likelihood not finite at iteration %zu",
                   s->iterations);
    s->loglik = L;
    if (s->iterations > 1 && -(L - s->prev) > s->max_decrease)
        s->max_decrease = -(L - s->prev);
    return PREF_OK;
}

static int run_start(mix_em *s, size_t start, int *converged);

/* The warm start of start `start` (see mix_em_set): the start run on
 * warm_users users drawn by its own generator, one thread (so its result
 * does not depend on the thread count), then its end point copied into s
 * with its re-seeds and largest decrease. The subsample and its EM state
 * are allocated per start (not per pass). PREF_OK, PREF_ENUM or
 * PREF_ENOMEM. */
static int warm_run(mix_em *s, size_t start)
{
    mix_ws *w = s->w;
    size_t K = w->K, n = s->p.warm_users;
    gsl_rng_set(s->rng, rngs_seed(s->p.seed, start, MIX_WARM_STREAM));
    gsl_ran_choose(s->rng, s->warm_pick, n, s->warm_all, s->ds->n_users,
                   sizeof(size_t));
    gsl_rng_set(s->rng, rngs_seed(s->p.seed, start, MIX_STREAM));
    int st, conv;
    data_set *sub = data_subset_users(s->ds, s->warm_pick, n, &st);
    mix_params p1 = s->p;
    p1.threads = 1;
    p1.warm_users = 0;
    p1.progress = NULL;
    mix_em *e = sub ? mix_em_alloc(sub, K, &p1, &st) : NULL;
    if (e) st = run_start(e, start, &conv);
    if (e && !st) {
        memcpy(w->theta, e->w->theta, K * w->d * sizeof(double));
        memcpy(w->eta, e->w->eta, K * sizeof(double));
        s->empty = e->empty;
        s->max_decrease = e->max_decrease;
    }
    mix_em_free(e);
    data_free(sub);
    return st;
}

int mix_em_set(mix_em *s, size_t start)
{
    mix_ws *w = s->w;
    size_t K = w->K;
    gsl_rng_set(s->rng, rngs_seed(s->p.seed, start, MIX_STREAM));
    s->loglik = NAN;
    s->prev = -INFINITY;
    s->max_decrease = 0.0;
    s->iterations = s->empty = 0;
    s->proposed = 0;
    s->slow = s->slow_steps = s->grow_steps = 0;
    s->gain = s->fgain = NAN;
    s->flat_steps = 0;
    s->flat = 0;
    s->newton_fails = 0;
    s->newton_on = s->p.accelerate && s->p.newton;
    w->info = 0;
    if (s->warm_all) {
        PREF_TRY(warm_run(s, start));
        w->info = s->newton_on; /* a Newton step next (Newton's region) */
        s->grow_steps = 2;
        return e_step(s);
    }
    random_assignment(w, s->rng);
    memset(w->theta, 0, K * w->d * sizeof(double));
    for (size_t k = 0; k < K; k++) w->eta[k] = 1.0 / (double)K;
    /* Initial M-steps on the fixed assignment. Each accumulation after an
     * M-step also checks that step's ascent (Qchk with post_old = the fixed
     * assignment), and the first E-step checks the last one, so the damped
     * Newton steps cost no pass of their own. */
    pass_accumulate(s->ds, w, 1, 0);
    for (int it = 0; it < MIX_WARMUP; it++) {
        PREF_TRY(m_step(w, &s->p));
        if (it == MIX_WARMUP - 1) break;
        pass_accumulate(s->ds, w, 1, 1);
        for (int h = 0; h < MIX_HALVINGS; h++) {
            if (!m_step_check(w, w->Qchk, h)) break;
            pass_accumulate(s->ds, w, 1, 1);
        }
    }
    s->proposed = 1;
    return e_step(s);
}

/* One EM step: M-step, empty-class protection, E-step (with the M-step's
 * ascent check). Sets *reseeded when a class was re-seeded. */
static int em_step(mix_em *s, int *reseeded)
{
    s->prev = s->loglik;
    PREF_TRY(m_step(s->w, &s->p));
    s->proposed = 1;
    size_t e = protect_empty(s->w, &s->p, s->rng);
    *reseeded = e > 0;
    if (e) {
        s->empty += e;
        s->prev = -INFINITY; /* a re-seed may lower L: not an EM step */
        s->proposed = 0;
    }
    return e_step(s);
}

/* x = (theta, log eta): the point SQUAREM extrapolates (log weights keep
 * the extrapolated weights positive; they are renormalised). */
static void squarem_get(const mix_ws *w, double *x)
{
    size_t Kd = w->K * w->d;
    memcpy(x, w->theta, Kd * sizeof(double));
    for (size_t k = 0; k < w->K; k++) x[Kd + k] = log(w->eta[k]);
}

static void squarem_put(mix_ws *w, const double *x)
{
    size_t Kd = w->K * w->d;
    memcpy(w->theta, x, Kd * sizeof(double));
    double mx = x[Kd + mathx_argmax(x + Kd, w->K)], z = 0.0;
    for (size_t k = 0; k < w->K; k++) z += w->eta[k] = exp(x[Kd + k] - mx);
    for (size_t k = 0; k < w->K; k++) w->eta[k] /= z;
}

/* The SQUAREM step length (Varadhan and Roland 2008, scheme S3) from the
 * cycle's start x0, first step x1 and second step x2 (the current point):
 * r = x1 - x0, v = x2 - 2 x1 + x0, alpha = -|r| / |v|. Returns 0 (no
 * extrapolation) when alpha >= -1, which gives back x2, or when a
 * difference is not finite. */
static double squarem_alpha(const double *x0, const double *x1, const double *x2,
                            size_t n)
{
    double rr = 0.0, vv = 0.0;
    for (size_t j = 0; j < n; j++) {
        double r = x1[j] - x0[j], v = x2[j] - 2.0 * x1[j] + x0[j];
        rr += r * r;
        vv += v * v;
    }
    if (!isfinite(rr) || !isfinite(vv) || !(vv > 0.0)) return 0.0;
    double a = -sqrt(rr / vv);
    if (a > -1.0) return 0.0;
    return a < -MIX_SQUAREM_MAX ? -MIX_SQUAREM_MAX : a;
}

/* One SQUAREM cycle: two EM steps x0 -> x1 -> x2, then the extrapolated
 * x0 - 2 alpha r + alpha^2 v, kept only when its log-likelihood is not
 * below x2's (else x2 is restored), so the cycle never lowers L. Three
 * passes (four when the extrapolation is refused) for what are often many
 * EM steps' progress on slow (flat) likelihoods. The convergence test then
 * compares L with its value at the cycle's start. */
static int squarem_cycle(mix_em *s)
{
    mix_ws *w = s->w;
    size_t n = w->K * (w->d + 1);
    double L0 = s->loglik;
    int re;
    squarem_get(w, s->x0);
    PREF_TRY(em_step(s, &re));
    if (re) return PREF_OK;
    squarem_get(w, s->x1);
    PREF_TRY(em_step(s, &re));
    if (re) return PREF_OK;
    double L2 = s->loglik;
    squarem_get(w, s->x2);
    memcpy(s->eta2, w->eta, w->K * sizeof(double));
    double a = squarem_alpha(s->x0, s->x1, s->x2, n);
    if (a == 0.0) return PREF_OK;
    double *x = s->x0; /* x0 becomes the extrapolated point */
    for (size_t j = 0; j < n; j++) {
        double r = s->x1[j] - s->x0[j], v = s->x2[j] - 2.0 * s->x1[j] + s->x0[j];
        x[j] = s->x0[j] - 2.0 * a * r + a * a * v;
    }
    squarem_put(w, x);
    double L = pass_accumulate(s->ds, w, 0, 0);
    s->iterations++;
    if (!(isfinite(L) && L >= L2)) {
        memcpy(w->theta, s->x2, w->K * w->d * sizeof(double));
        memcpy(w->eta, s->eta2, w->K * sizeof(double));
        L = pass_accumulate(s->ds, w, 0, 0);
        s->iterations++;
        if (L != L2) /* the same parameters as before the extrapolation */
            PREF_ERROR(PREF_ENUM, "EM: log-likelihood %.17g at a restored point, "
                       "was %.17g", L, L2);
    }
    s->loglik = L;
    s->prev = L0;
    return PREF_OK;
}

/* Plain EM steps while they converge fast; once the gain in L has shrunk
 * by a ratio between MIX_SLOW_RATE and 1 (the linear rate of EM, estimated
 * from successive gains) twice in a row, SQUAREM cycles for the rest of the
 * start. Growing gains (the classes still separating) are not slowness. Fast EM (rates
 * near 0.1 on well-identified data) gains nothing from extrapolation, and
 * the per-step test stays as flexmix's. */
static int em_plain(mix_em *s)
{
    int re;
    double L0 = s->loglik;
    PREF_TRY(em_step(s, &re));
    double gain = s->loglik - L0;
    if (re || !isfinite(gain)) {
        s->gain = NAN;
        s->slow_steps = s->grow_steps = 0;
        return PREF_OK;
    }
    double rate = gain / s->gain;
    s->slow_steps = s->gain > 0.0 && rate > MIX_SLOW_RATE && rate < 1.0
                        ? s->slow_steps + 1 : 0;
    s->grow_steps = s->gain > 0.0 && rate > MIX_SLOW_RATE ? s->grow_steps + 1 : 0;
    if (s->slow_steps >= 2) s->slow = 1;
    s->gain = gain;
    return PREF_OK;
}

/* The flat test after an iteration (EM step or SQUAREM cycle) that gained
 * g: flat when flat_window iterations in a row each gained more than
 * tol |L| (not converged) but at most flat_tol |L|, each between 1 and
 * MIX_FLAT_GROWTH times the one before. Converging EM has shrinking gains
 * (a linear rate below 1) and escaping a saddle of an identified model
 * grows them fast; constant tiny gains mean a slope along a direction of
 * near-zero curvature. A re-seed (prev = -inf) restarts the count. */
static void flat_update(mix_em *s, double g)
{
    double aL = fabs(s->loglik), r = g / s->fgain;
    int flatish = isfinite(s->prev) && isfinite(g) && s->p.flat_tol > 0.0 &&
                  g > s->p.tol * aL && g <= s->p.flat_tol * aL &&
                  s->fgain > 0.0 && r >= 1.0 && r <= MIX_FLAT_GROWTH;
    s->flat_steps = flatish ? s->flat_steps + 1 : 0;
    s->fgain = isfinite(s->prev) ? g : NAN;
    if (s->flat_steps >= s->p.flat_window) s->flat = 1;
}

/* The Newton system at the current point from its info pass, into w->J
 * and w->sc: J = -Hess l
 * in (theta, alpha) = M (minus the variance of the users' a_ik: the
 * missing information), minus the gamma-weighted class
 * Hessians H_k on theta_k's block, plus N (diag(eta) - eta eta^T) on
 * alpha's (the curvature of log eta_k, the same for every k); the score
 * sc = (g_k, sumg_j - N eta_j). The coefficients of uninformative
 * columns get identity rows and a zero score (they stay at 0). O(P^2). */
static void newton_system(mix_ws *w)
{
    size_t K = w->K, d = w->d, P = w->P, Kd = K * d, dd = d * d;
    double N = (double)w->n_users, *J = w->J;
    for (size_t r = 0; r < P; r++)
        for (size_t c = r; c < P; c++) J[r * P + c] = w->M[r * P + c];
    for (size_t k = 0; k < K; k++)
        for (size_t a = 0; a < d; a++)
            for (size_t b = a; b < d; b++)
                J[(k * d + a) * P + k * d + b] -= w->H[k * dd + a * d + b];
    for (size_t i = 0; i + 1 < K; i++)
        for (size_t j = i; j + 1 < K; j++)
            J[(Kd + i) * P + Kd + j] +=
                N * ((i == j ? w->eta[i] : 0.0) - w->eta[i] * w->eta[j]);
    for (size_t r = 0; r < P; r++)
        for (size_t c = 0; c < r; c++) J[r * P + c] = J[c * P + r];
    memcpy(w->sc, w->g, Kd * sizeof(double));
    for (size_t j = 0; j + 1 < K; j++) w->sc[Kd + j] = w->sumg[j] - N * w->eta[j];
    for (size_t r = 0; r < Kd; r++)
        if (w->flat[r % d]) {
            for (size_t c = 0; c < P; c++) J[r * P + c] = J[c * P + r] = 0.0;
            J[r * P + r] = 1.0;
            w->sc[r] = 0.0;
        }
}

/* dir = J^{-1} sc by Cholesky of w->J (overwritten). Returns 0, or -1 when
 * J is not positive definite or the direction is not finite. O(P^3),
 * nothing allocates. */
static int newton_solve(mix_ws *w)
{
    size_t P = w->P;
    gsl_matrix_view Jv = gsl_matrix_view_array(w->J, P, P);
    gsl_vector_const_view sv = gsl_vector_const_view_array(w->sc, P);
    gsl_vector_view dv = gsl_vector_view_array(w->dir, P);
    if (gsl_linalg_cholesky_decomp1(&Jv.matrix) != 0 ||
        gsl_linalg_cholesky_solve(&Jv.matrix, &sv.vector, &dv.vector) != 0)
        return -1;
    for (size_t j = 0; j < P; j++)
        if (!isfinite(w->dir[j])) return -1;
    return 0;
}

/* Set theta = x + t dir_theta and eta = softmax(x_alpha + t dir_alpha, 0)
 * (x: theta, then alpha_1..alpha_{K-1}). */
static void newton_point(mix_ws *w, const double *x, double t)
{
    size_t K = w->K, Kd = K * w->d;
    for (size_t j = 0; j < Kd; j++) w->theta[j] = x[j] + t * w->dir[j];
    double a[PREF_MAX_TYPES], mx = 0.0, z = 0.0;
    a[K - 1] = 0.0;
    for (size_t j = 0; j + 1 < K; j++) {
        a[j] = x[Kd + j] + t * w->dir[Kd + j];
        if (a[j] > mx) mx = a[j];
    }
    for (size_t k = 0; k < K; k++) z += w->eta[k] = exp(a[k] - mx);
    for (size_t k = 0; k < K; k++) w->eta[k] /= z;
}

/* When J is not positive definite (over-fitted classes, a saddle): the
 * direction of J + lambda I, lambda = 1e-3, 1e-2, ..., 10 times J's largest
 * diagonal entry, the first whose Cholesky succeeds (Levenberg–Marquardt:
 * shorter, turned toward the score; the step search guards it). Returns 0,
 * or -1 when none does. */
static int newton_ridge(mix_ws *w)
{
    size_t P = w->P;
    double dm = 0.0;
    newton_system(w);
    for (size_t j = 0; j < P; j++)
        if (fabs(w->J[j * P + j]) > dm) dm = fabs(w->J[j * P + j]);
    for (double lam = 1e-3 * dm; lam > 0.0 && lam <= 10.0 * dm; lam *= 10.0) {
        newton_system(w);
        for (size_t j = 0; j < P; j++) w->J[j * P + j] += lam;
        if (newton_solve(w) == 0) return 0;
    }
    return -1;
}

/* One Newton iteration on the observed log-likelihood from the current
 * point (whose info pass is in w): direction J^{-1} score, steps of
 * length 1, 1/2, ... (MIX_NEWTON_TRIALS, one pass each) until L does not
 * fall; the first such point is kept (*took = 1, prev = the L before).
 * When J is not positive definite, the direction of newton_ridge (not for
 * pair data: their ridges are left to EM and the flat test); when there
 * is none, *took = -1 and nothing changes. A
 * refused iteration (no trial kept) restores the point and its pass
 * without a pass (ws_swap) and sets *took = 0;
 * except when the full step was refused and predicted a gain sc . dir / 2
 * of at most tol |L|: the point is kept as converged (L unchanged,
 * *took = 1) — the likelihood has no ascent left beyond rounding. */
#define MIX_NEWTON_TRIALS 4
static int newton_iter(mix_em *s, int *took)
{
    mix_ws *w = s->w;
    size_t K = w->K, Kd = K * w->d, P = w->P;
    double L0 = s->loglik, pred = 0.0, *x = s->x0;
    *took = -1;
    newton_system(w);
    if (newton_solve(w) != 0 && (w->delta || newton_ridge(w) != 0)) return PREF_OK;
    *took = 0;
    for (size_t j = 0; j < P; j++) pred += 0.5 * w->sc[j] * w->dir[j];
    memcpy(x, w->theta, Kd * sizeof(double));
    for (size_t j = 0; j + 1 < K; j++) x[Kd + j] = log(w->eta[j] / w->eta[K - 1]);
    memcpy(s->eta2, w->eta, K * sizeof(double));
    ws_swap(w); /* the current point's pass aside */
    double t = 1.0;
    for (int h = 0; h < MIX_NEWTON_TRIALS && s->iterations < s->p.max_iter;
         h++, t *= 0.5) {
        newton_point(w, x, t);
        double L = pass_accumulate(s->ds, w, 0, 0);
        s->iterations++;
        if (isfinite(L) && L >= L0) {
            s->prev = L0;
            s->loglik = L;
            *took = 1;
            return PREF_OK;
        }
        if (h == 0 && pred <= s->p.tol * fabs(L0)) {
            *took = 1; /* converged: no ascent beyond rounding */
            break;
        }
    }
    memcpy(w->theta, x, Kd * sizeof(double));
    memcpy(w->eta, s->eta2, K * sizeof(double));
    ws_swap(w);
    if (*took) s->prev = L0; /* converged: a change of 0 */
    return PREF_OK;
}

/* An EM step, or a SQUAREM cycle once EM is slow (at most 4 passes: only
 * within max_iter). */
static int em_or_squarem(mix_em *s)
{
    return s->p.accelerate && s->slow && s->iterations + 4 <= s->p.max_iter
               ? squarem_cycle(s)
               : em_plain(s);
}

/* Newton iterations (newton_iter) while they are taken, once two EM steps
 * in a row gained more than MIX_SLOW_RATE times the one before (EM slow,
 * or the classes still separating: gains growing) or EM was found slow
 * (SQUAREM's rule). One not taken (J not positive definite, or refused)
 * falls back to an EM step from the same point — a SQUAREM cycle once EM
 * is slow — and, unless EM is slow,
 * Newton waits for two such EM steps again; after
 * MIX_NEWTON_FAILS refused steps the start keeps to EM/SQUAREM. So a
 * non-identified start (J singular: pairs from a polarised population)
 * keeps EM's path and its flat test. The passes sum M (w->info) only from
 * the first such EM step on, so a fast EM (or a start that gave Newton up)
 * pays nothing for it. Pair data (w->delta) take Newton only once EM is
 * slow: their vectorised passes are cheap next to the per-user sums of M
 * (on bench/lcl_pairs.ini, 5 starts, Newton on growing gains too cut the
 * best start's passes 14 -> 9 but cost 10% more instructions in all).
 * Then the flat test on the iteration's gain. */
#define MIX_NEWTON_FAILS 3
int mix_em_iterate(mix_em *s)
{
    double L0 = s->loglik;
    int st = PREF_OK, took = 0;
    /* pairs: only once EM is slow (their passes are cheap next to M's sums) */
    int grow = s->w->delta ? 0 : s->grow_steps;
    if (s->newton_on && (s->slow || grow >= 2) && s->w->info_ok) {
        st = newton_iter(s, &took);
        if (!st && took == 0 && ++s->newton_fails >= MIX_NEWTON_FAILS)
            s->newton_on = 0;
        if (took != 1) s->grow_steps = 0;
    }
    if (!st && took != 1 && s->iterations < s->p.max_iter) st = em_or_squarem(s);
    if (took) s->gain = NAN; /* EM's rate is measured afresh */
    grow = s->w->delta ? 0 : s->grow_steps;
    s->w->info = s->newton_on && (s->slow || s->slow_steps > 0 || grow > 0);
    if (!st) flat_update(s, s->loglik - L0);
    return st;
}

int mix_em_flat(const mix_em *s) { return s->flat; }

int mix_em_newton(mix_em *s, double *J, double *score, double *dir)
{
    mix_ws *w = s->w;
    size_t P = w->P;
    if (!w->info_ok) { /* the same point again, summing M this time */
        int info = w->info;
        w->info = 1;
        pass_accumulate(s->ds, w, 0, 0);
        w->info = info;
    }
    newton_system(w);
    memcpy(J, w->J, P * P * sizeof(double));
    memcpy(score, w->sc, P * sizeof(double));
    if (newton_solve(w) != 0)
        PREF_ERROR(PREF_ENUM, "Newton: the information is not positive definite");
    memcpy(dir, w->dir, P * sizeof(double));
    return PREF_OK;
}

int mix_em_test(const mix_em *s, double tol)
{
    if (s->iterations > 1 && fabs(s->loglik - s->prev) <= tol * fabs(s->loglik))
        return PREF_OK;
    return PREF_CONTINUE;
}

double mix_em_loglik(const mix_em *s) { return s->loglik; }
size_t mix_em_iterations(const mix_em *s) { return s->iterations; }
size_t mix_em_empty(const mix_em *s) { return s->empty; }
double mix_em_max_decrease(const mix_em *s) { return s->max_decrease; }
const double *mix_em_eta(const mix_em *s) { return s->w->eta; }
const double *mix_em_theta(const mix_em *s) { return s->w->theta; }
const double *mix_em_post(const mix_em *s) { return s->w->post; }

/* ---- standard errors ----------------------------------------------------- */

/* User i's terms of the information at the current parameters: Jb +=
 * -Hess l_i, Bb += s_i s_i^T, for P parameters. The class log-likelihoods,
 * gradients and Hessians come from the passes' kernel for few candidates
 * (pl_stages_accum: every class in one call, one log per class; its
 * Hessian made symmetric), else from pl_linear_accum class by class; the two
 * agree to rounding. scr: the thread's scratch; sv: 2 P doubles (the score,
 * then one class's gradient). */
static void user_information(const data_set *ds, const mix_ws *w, size_t i,
                             size_t P, double *scr, double *sv, double *Jb,
                             double *Bb)
{
    size_t K = w->K, d = w->d, dd = d * d;
    double *work = scr, *la = scr + w->nwork, *gi = la + K, *Hi = gi + K * d;
    double *ak = sv + P;  /* gradient of a_k */
    memset(gi, 0, K * (d + dd) * sizeof(double));
    double mx = -INFINITY;
    if (w->diff) { /* few candidates: the passes' kernel, all classes at once */
        user_stages_accum(ds, w, i, la, gi, Hi, work);
        for (size_t k = 0; k < K; k++) {
            pl_sym_from_upper(Hi + k * dd, d);
            la[k] += log(w->eta[k]);
            if (la[k] > mx) mx = la[k];
        }
    } else {
        for (size_t k = 0; k < K; k++) {
            double ll = 0.0;
            for (size_t q = ds->user_q[i]; q < ds->user_q[i + 1]; q++)
                ll += pl_linear_accum(ds->x + ds->q_cand[q] * d, data_m(ds, q),
                                      d, ds->q_r[q], w->theta + k * d, 1.0,
                                      gi + k * d, Hi + k * dd, work);
            la[k] = log(w->eta[k]) + ll;
            if (la[k] > mx) mx = la[k];
        }
    }
    /* gamma = exp(a_k - mx) / z: a softmax, not mathx_logsumexp
     * (exp(a_k - lse) would round differently in the last bit) */
    double z = 0.0;
    for (size_t k = 0; k < K; k++) z += exp(la[k] - mx);
    for (size_t k = 0; k < K; k++) la[k] = exp(la[k] - mx) / z; /* gamma */
    /* score s = sum_k gamma_k grad a_k */
    memset(sv, 0, P * sizeof(double));
    for (size_t k = 0; k < K; k++) {
        for (size_t j = 0; j < d; j++) sv[k * d + j] = la[k] * gi[k * d + j];
        for (size_t j = 0; j + 1 < K; j++)
            sv[K * d + j] += la[k] * ((j == k) - w->eta[j]);
    }
    /* -Hess l_i = -sum_k gamma_k (Hess a_k + ga ga^T) + s s^T */
    for (size_t k = 0; k < K; k++) {
        double gk = la[k];
        memset(ak, 0, P * sizeof(double));
        for (size_t j = 0; j < d; j++) ak[k * d + j] = gi[k * d + j];
        for (size_t j = 0; j + 1 < K; j++) ak[K * d + j] = (j == k) - w->eta[j];
        for (size_t a = 0; a < P; a++) {
            if (ak[a] == 0.0) continue;
            double ca = gk * ak[a];
            for (size_t c = 0; c < P; c++) Jb[a * P + c] -= ca * ak[c];
        }
        for (size_t a = 0; a < d; a++)
            for (size_t c = 0; c < d; c++)
                Jb[(k * d + a) * P + k * d + c] -= gk * Hi[k * dd + a * d + c];
    }
    /* Hess of log eta wrt alpha: -(diag(eta') - eta' eta'^T), same
     * for every k, weights sum to 1. */
    for (size_t a = 0; a + 1 < K; a++)
        for (size_t c = 0; c + 1 < K; c++)
            Jb[(K * d + a) * P + K * d + c] +=
                (a == c ? w->eta[a] : 0.0) - w->eta[a] * w->eta[c];
    for (size_t a = 0; a < P; a++)
        for (size_t c = 0; c < P; c++) {
            Jb[a * P + c] += sv[a] * sv[c];
            Bb[a * P + c] += sv[a] * sv[c];
        }
}

/* Observed information J = -sum_i Hess l_i and B = sum_i s_i s_i^T at the
 * current parameters (w->theta, w->eta), for parameters (theta_1..theta_K,
 * alpha_1..alpha_{K-1}), eta = softmax(alpha, 0). Users in fixed blocks,
 * partial sums added in block order (thread-count invariant). */
static int information(const data_set *ds, mix_ws *w, double *J, double *B)
{
    size_t K = w->K, d = w->d, P = K * d + K - 1;
    size_t blk = 1024, nb = (w->n_users + blk - 1) / blk;
    double *part = malloc(nb * 2 * P * P * sizeof(double));
    double *ps = malloc(w->nthreads * (2 * P + P * P) * sizeof(double));
    if (!part || !ps) {
        free(part);
        free(ps);
        PREF_ERROR(PREF_ENOMEM, "out of memory for the information matrix");
    }
#pragma omp parallel for schedule(dynamic, 1) num_threads(nb < w->nthreads ? nb : w->nthreads)
    for (size_t b = 0; b < nb; b++) {
#ifdef _OPENMP
        double *sv = ps + (size_t)omp_get_thread_num() * (2 * P + P * P);
#else
        double *sv = ps;
#endif
        double *Jb = part + b * 2 * P * P, *Bb = Jb + P * P;
        memset(Jb, 0, 2 * P * P * sizeof(double));
        size_t i_end = (b + 1) * blk < w->n_users ? (b + 1) * blk : w->n_users;
        for (size_t i = b * blk; i < i_end; i++)
            user_information(ds, w, i, P, thread_scratch(w), sv, Jb, Bb);
    }
    memset(J, 0, P * P * sizeof(double));
    memset(B, 0, P * P * sizeof(double));
    for (size_t b = 0; b < nb; b++)
        for (size_t j = 0; j < P * P; j++) {
            J[j] += part[b * 2 * P * P + j];
            B[j] += part[b * 2 * P * P + P * P + j];
        }
    free(part);
    free(ps);
    return PREF_OK;
}

/* The eigenvalues of the symmetric P x P matrix J (left untouched),
 * ascending, into ev; NaN when the eigen-solver fails or memory runs out
 * (the fit then reports its information as not analysed). */
static void info_spectrum(const double *J, size_t P, double *ev)
{
    gsl_matrix *E = gsl_matrix_alloc(P, P);
    gsl_vector *v = gsl_vector_alloc(P);
    gsl_eigen_symm_workspace *ws = gsl_eigen_symm_alloc(P);
    int ok = E && v && ws;
    for (size_t a = 0; ok && a < P; a++)
        for (size_t c = 0; c < P; c++)
            gsl_matrix_set(E, a, c, 0.5 * (J[a * P + c] + J[c * P + a]));
    ok = ok && gsl_eigen_symm(E, v, ws) == 0;
    if (ok) gsl_sort_vector(v);
    for (size_t a = 0; a < P; a++) ev[a] = ok ? gsl_vector_get(v, a) : NAN;
    gsl_eigen_symm_free(ws);
    gsl_vector_free(v);
    gsl_matrix_free(E);
}

/* The covariance of the reported parameters (per type: weight, theta) from
 * the covariance C (A x A) of the active parameters (theta_1..theta_K,
 * alpha_1..alpha_{K-1}; pos maps a parameter to its active row, SIZE_MAX
 * for the coefficients of uninformative columns, whose rows stay NaN), by
 * the delta method: weight_k = softmax(alpha, 0)_k has gradient
 * d eta_k / d alpha_a = eta_k (delta_ka - eta_a); theta is itself. The
 * standard errors are the square roots of its diagonal (one source). */
static void fill_vcov(const mix_ws *w, const double *C, size_t A,
                      const size_t *pos, mix_fit *f)
{
    size_t K = w->K, d = w->d, P = f->n_out;
    for (size_t u = 0; u < P; u++)
        for (size_t v = 0; v < P; v++) {
            size_t ku = u / (d + 1), ju = u % (d + 1);
            size_t kv = v / (d + 1), jv = v % (d + 1);
            double s = 0.0;
            if (ju && jv) {
                size_t a = pos[ku * d + ju - 1], c = pos[kv * d + jv - 1];
                s = a == SIZE_MAX || c == SIZE_MAX ? NAN : C[a * A + c];
            } else if (ju || jv) {
                size_t kw = ju ? kv : ku, t = ju ? pos[ku * d + ju - 1]
                                                 : pos[kv * d + jv - 1];
                for (size_t a = 0; a + 1 < K; a++) {
                    double g = w->eta[kw] * ((kw == a) - w->eta[a]);
                    s += t == SIZE_MAX ? NAN : g * C[pos[K * d + a] * A + t];
                }
                if (t == SIZE_MAX) s = NAN;
            } else {
                for (size_t a = 0; a + 1 < K; a++)
                    for (size_t c = 0; c + 1 < K; c++) {
                        double ga = w->eta[ku] * ((ku == a) - w->eta[a]);
                        double gc = w->eta[kv] * ((kv == c) - w->eta[c]);
                        s += ga * C[pos[K * d + a] * A + pos[K * d + c]] * gc;
                    }
            }
            f->vcov[u * P + v] = s;
        }
    for (size_t k = 0; k < K; k++) {
        f->se_eta[k] = sqrt(f->vcov[k * (d + 1) * P + k * (d + 1)]);
        for (size_t j = 0; j < d; j++) {
            size_t u = k * (d + 1) + 1 + j;
            f->se_theta[k * d + j] = sqrt(f->vcov[u * P + u]);
        }
    }
}

static void standard_errors(const data_set *ds, mix_ws *w, const mix_params *p,
                            mix_fit *f)
{
    size_t K = w->K, d = w->d, P = K * d + K - 1;
    for (size_t j = 0; j < K * d; j++) f->se_theta[j] = NAN;
    for (size_t k = 0; k < K; k++) f->se_eta[k] = NAN;
    for (size_t j = 0; j < f->n_out * f->n_out; j++) f->vcov[j] = NAN;
    f->se_ok = 0;
    double *J = malloc(P * P * sizeof(double)), *B = malloc(P * P * sizeof(double));
    double *C = malloc(P * P * sizeof(double));
    size_t *act = malloc(P * sizeof(size_t)), *pos = malloc(P * sizeof(size_t));
    for (size_t a = 0; a < P; a++) f->info_eval[a] = NAN;
    if (!J || !B || !C || !act || !pos || information(ds, w, J, B) != PREF_OK)
        goto out;
    info_spectrum(J, P, f->info_eval);
    /* Active parameters: all but the coefficients of uninformative columns,
     * whose standard errors stay NaN (not identified). */
    size_t A = 0;
    for (size_t a = 0; a < P; a++) {
        int flat = a < K * d && w->flat[a % d];
        pos[a] = flat ? SIZE_MAX : A;
        if (!flat) act[A++] = a;
    }
    /* Compact J and B to the active block (in place, row by row). */
    for (size_t r = 0; r < A; r++)
        for (size_t c = 0; c < A; c++) {
            J[r * A + c] = J[act[r] * P + act[c]];
            B[r * A + c] = B[act[r] * P + act[c]];
        }
    gsl_matrix_view Jv = gsl_matrix_view_array(J, A, A);
    /* Symmetrise against rounding, then invert by Cholesky. */
    for (size_t a = 0; a < A; a++)
        for (size_t c = 0; c < a; c++) {
            double v = 0.5 * (J[a * A + c] + J[c * A + a]);
            J[a * A + c] = J[c * A + a] = v;
        }
    if (gsl_linalg_cholesky_decomp1(&Jv.matrix) != 0) goto out;
    /* Reject near-singular information (collinear features, a model the data
     * cannot identify): the smallest squared pivot relative to the largest. */
    double dmin = INFINITY, dmax = 0.0;
    for (size_t a = 0; a < A; a++) {
        double v = J[a * A + a] * J[a * A + a];
        if (v < dmin) dmin = v;
        if (v > dmax) dmax = v;
    }
    if (!(dmin > 1e-12 * dmax)) goto out;
    if (gsl_linalg_cholesky_invert(&Jv.matrix) != 0) goto out;
    if (p->sandwich) {
        /* C = Jinv B Jinv */
        gsl_matrix_view Bv = gsl_matrix_view_array(B, A, A);
        gsl_matrix_view Cv = gsl_matrix_view_array(C, A, A);
        gsl_matrix *T = gsl_matrix_alloc(A, A);
        if (!T) goto out;
        gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, &Jv.matrix, &Bv.matrix, 0.0, T);
        gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, T, &Jv.matrix, 0.0, &Cv.matrix);
        gsl_matrix_free(T);
    } else {
        memcpy(C, J, A * A * sizeof(double));
    }
    fill_vcov(w, C, A, pos, f);
    f->se_ok = 1;
out:
    free(J);
    free(B);
    free(C);
    free(act);
    free(pos);
}

/* ---- driver -------------------------------------------------------------- */

/* 1 when type j comes before type i in the canonical order: larger weight
 * first; equal weights: the larger coefficient first, comparing theta_1,
 * then theta_2, ... (types equal in all of these are interchangeable). */
static int type_before(const mix_fit *f, size_t j, size_t i)
{
    if (f->eta[j] != f->eta[i]) return f->eta[j] > f->eta[i];
    for (size_t c = 0; c < f->d; c++)
        if (f->theta[j * f->d + c] != f->theta[i * f->d + c])
            return f->theta[j * f->d + c] > f->theta[i * f->d + c];
    return 0;
}

/* Present types in the canonical order (type_before), so output order does
 * not depend on which random start won: permutes the estimates, their
 * standard errors, the posteriors and the blocks of vcov. */
static int sort_types(mix_fit *f)
{
    size_t K = f->K, d = f->d, P = f->n_out;
    size_t ord[PREF_MAX_TYPES];
    for (size_t k = 0; k < K; k++) ord[k] = k;
    for (size_t a = 1; a < K; a++) /* insertion sort: stable */
        for (size_t b = a; b > 0 && type_before(f, ord[b], ord[b - 1]); b--) {
            size_t t = ord[b];
            ord[b] = ord[b - 1];
            ord[b - 1] = t;
        }
    size_t n = f->n_users * K > P * P ? f->n_users * K : P * P;
    double *tmp = malloc((n > K * d ? n : K * d) * sizeof(double) + 8);
    if (!tmp) PREF_ERROR(PREF_ENOMEM, "out of memory sorting the types");
#define PERMUTE(arr, rows, width) do { \
        for (size_t r_ = 0; r_ < (rows); r_++) \
            for (size_t k_ = 0; k_ < K; k_++) \
                memcpy(tmp + (r_ * K + k_) * (width), \
                       (arr) + (r_ * K + ord[k_]) * (width), \
                       (width) * sizeof(double)); \
        memcpy((arr), tmp, (rows) * K * (width) * sizeof(double)); \
    } while (0)
    PERMUTE(f->eta, 1, 1);
    PERMUTE(f->se_eta, 1, 1);
    PERMUTE(f->theta, 1, d);
    PERMUTE(f->se_theta, 1, d);
    PERMUTE(f->post, f->n_users, 1);
    PERMUTE(f->vcov, P, d + 1);  /* columns: row r of vcov, block k_ */
#undef PERMUTE
    /* then the rows: block k of rows comes from block ord[k] */
    for (size_t k = 0; k < K; k++)
        memcpy(tmp + k * (d + 1) * P, f->vcov + ord[k] * (d + 1) * P,
               (d + 1) * P * sizeof(double));
    memcpy(f->vcov, tmp, P * P * sizeof(double));
    free(tmp);
    return PREF_OK;
}

static mix_fit *fit_alloc(size_t K, size_t d, size_t n)
{
    mix_fit *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->K = K;
    f->d = d;
    f->n_users = n;
    f->eta = malloc(K * sizeof(double));
    f->theta = malloc(K * d * sizeof(double));
    f->post = malloc(n * K * sizeof(double));
    f->se_eta = malloc(K * sizeof(double));
    f->se_theta = malloc(K * d * sizeof(double));
    f->n_params = K * d + K - 1;
    f->info_eval = malloc(f->n_params * sizeof(double) + 1);
    f->n_out = K * (d + 1);
    f->vcov = malloc(f->n_out * f->n_out * sizeof(double));
    if (!f->eta || !f->theta || !f->post || !f->se_eta || !f->se_theta ||
        !f->info_eval || !f->vcov) {
        mix_fit_free(f);
        return NULL;
    }
    return f;
}

/* One start: the thin loop over the EM state. */
static int run_start(mix_em *s, size_t start, int *converged)
{
    *converged = 0;
    PREF_TRY(mix_em_set(s, start));
    for (;;) {
        if (mix_em_test(s, s->p.tol) == PREF_OK) {
            *converged = 1;
            return PREF_OK;
        }
        if (s->iterations >= s->p.max_iter || s->flat) return PREF_OK;
        PREF_TRY(mix_em_iterate(s));
    }
}

/* What one start leaves for the reduction over starts. */
typedef struct start_out {
    double L, max_decrease;
    size_t iterations, empty;
    int converged, flat, st;
} start_out;

/* Start k on the state s: its results into o, its parameters into eta (K)
 * and theta (K, d). */
static void one_start(mix_em *s, size_t k, start_out *o, double *eta, double *theta)
{
    o->st = run_start(s, k, &o->converged);
    if (o->st) return;
    if (s->p.progress) s->p.progress(s->p.progress_ctx, 1);
    o->L = s->loglik;
    o->iterations = s->iterations;
    o->flat = s->flat;
    o->empty = s->empty;
    o->max_decrease = s->max_decrease;
    memcpy(theta, s->w->theta, s->w->K * s->w->d * sizeof(double));
    memcpy(eta, s->w->eta, s->w->K * sizeof(double));
}

/* Threads for running whole starts side by side: when there are at least
 * as many starts as threads (and more than one thread), each start runs on
 * one thread with no barrier per pass; else 1 (the passes parallelise over
 * user blocks instead). Each start's arithmetic is the same either way.
 * Without OpenMP, p->threads alone (0 is 1). */
static size_t start_threads(const mix_params *p)
{
#ifdef _OPENMP
    size_t t = p->threads > 0 ? (size_t)p->threads : (size_t)omp_get_max_threads();
#else
    size_t t = p->threads > 0 ? (size_t)p->threads : 1;
#endif
    return t > 1 && p->starts >= t ? t : 1;
}

/* A worker running whole starts: it takes the next start from the shared
 * counter until none is left (which start lands on which worker never
 * changes a result: each writes only its own start's slots). */
typedef struct start_job {
    mix_em *s;              /* this worker's state (one thread) */
    atomic_size_t *next;    /* shared: the next start to run */
    start_out *o;
    double *eta_all, *theta_all;
    char (*msg)[256];       /* per start: a worker's error message */
} start_job;

static void *start_worker(void *arg)
{
    start_job *j = arg;
    size_t K = j->s->w->K, d = j->s->w->d, n = j->s->p.starts;
    for (size_t k; (k = atomic_fetch_add(j->next, 1)) < n;) {
        one_start(j->s, k, &j->o[k], j->eta_all + k * K, j->theta_all + k * K * d);
        /* error messages are thread-local: keep the worker's */
        if (j->o[k].st) snprintf(j->msg[k], sizeof j->msg[k], "%s", pref_last_error());
    }
    return NULL;
}

/* Every start (sequentially on s, or on nt POSIX threads with a state of
 * one thread each: joined, so nothing spins while a start is finishing),
 * into o (starts) and eta_all (starts, K), theta_all (starts, K, d). */
static int starts_map(mix_em *s, size_t nt, start_out *o, double *eta_all,
                      double *theta_all)
{
    const mix_params *p = &s->p;
    size_t K = s->w->K, n = p->starts;
    if (nt == 1) {
        for (size_t k = 0; k < n; k++) {
            one_start(s, k, &o[k], eta_all + k * K, theta_all + k * K * s->w->d);
            if (o[k].st) return o[k].st;
        }
        return PREF_OK;
    }
    mix_params p1 = *p;
    p1.threads = 1;
    atomic_size_t next = 0;
    start_job *jobs = calloc(nt, sizeof *jobs);
    pthread_t *tid = calloc(nt, sizeof *tid);
    char (*msg)[256] = calloc(n, sizeof *msg);
    int st = jobs && tid && msg ? PREF_OK : pref_set_error(PREF_ENOMEM, "out of memory");
    for (size_t t = 0; !st && t < nt; t++) {
        jobs[t] = (start_job){NULL, &next, o, eta_all, theta_all, msg};
        jobs[t].s = mix_em_alloc(s->ds, K, &p1, &st);
    }
    size_t started = 0;
    for (; !st && started < nt; started++)
        if (pthread_create(&tid[started], NULL, start_worker, &jobs[started]) != 0) {
            /* the started ones finish every start between them */
            if (!started) st = pref_set_error(PREF_ENOMEM, "cannot start a thread");
            break;
        }
    for (size_t t = 0; t < started; t++) pthread_join(tid[t], NULL);
    for (size_t k = 0; !st && k < n; k++)
        if (o[k].st) st = pref_set_error(o[k].st, "%s", msg[k]);
    for (size_t t = 0; jobs && t < nt; t++) mix_em_free(jobs[t].s);
    free(jobs);
    free(tid);
    free(msg);
    return st;
}

/* Every start; the best one's parameters into best_eta/best_theta and its
 * counts into f, reduced in start order (the same for any thread count). */
static int run_starts(mix_em *s, mix_fit *f, double *best_eta, double *best_theta)
{
    const mix_params *p = &s->p;
    size_t K = f->K, d = f->d, n = p->starts;
    start_out *o = malloc(n * sizeof *o);
    double *eta_all = malloc(n * K * sizeof(double));
    double *theta_all = malloc(n * K * d * sizeof(double) + 1);
    int st = o && eta_all && theta_all
                 ? starts_map(s, start_threads(p), o, eta_all, theta_all)
                 : pref_set_error(PREF_ENOMEM, "out of memory");
    double bestL = -INFINITY;
    for (size_t k = 0; !st && k < n; k++) {
        f->empty_events += o[k].empty;
        if (o[k].max_decrease > f->max_decrease) f->max_decrease = o[k].max_decrease;
        if (o[k].L > bestL) {
            bestL = o[k].L;
            f->iterations = o[k].iterations;
            f->converged = o[k].converged;
            f->flat = o[k].flat;
            memcpy(best_theta, theta_all + k * K * d, K * d * sizeof(double));
            memcpy(best_eta, eta_all + k * K, K * sizeof(double));
        }
    }
    if (!st) {
        f->starts = n;
        for (size_t k = 0; k < n; k++)
            f->best_hits += fabs(o[k].L - bestL) <= p->best_tol * (1.0 + fabs(bestL));
    }
    free(o);
    free(eta_all);
    free(theta_all);
    return st;
}

/* Restore the best start, recompute the posteriors at it, information
 * criteria, standard errors, types in the canonical order. PREF_OK or
 * PREF_ENOMEM. */
static int fit_finish(mix_em *s, mix_fit *f, const double *best_eta,
                       const double *best_theta)
{
    mix_ws *w = s->w;
    size_t K = f->K, d = f->d, n_users = f->n_users;
    memcpy(w->theta, best_theta, K * d * sizeof(double));
    memcpy(w->eta, best_eta, K * sizeof(double));
    f->loglik = pass_accumulate(s->ds, w, 0, 0);
    memcpy(f->theta, w->theta, K * d * sizeof(double));
    memcpy(f->eta, w->eta, K * sizeof(double));
    memcpy(f->post, w->post, n_users * K * sizeof(double));
    double ent = 0.0;
    for (size_t j = 0; j < n_users * K; j++)
        if (f->post[j] > 0) ent -= f->post[j] * log(f->post[j]);
    double np = (double)(K * d + K - 1), n = (double)n_users;
    f->entropy = ent;
    f->aic = -2.0 * f->loglik + 2.0 * np;
    f->bic = -2.0 * f->loglik + np * log(n);
    f->icl = f->bic + 2.0 * ent;
    standard_errors(s->ds, w, &s->p, f);
    return sort_types(f);
}

int mix_fit_run(const data_set *ds, size_t K, const mix_params *p,
                mix_fit **out)
{
    *out = NULL;
    int st;
    mix_em *s = mix_em_alloc(ds, K, p, &st);
    if (!s) return st;
    mix_fit *f = fit_alloc(K, ds->d, ds->n_users);
    double *best_theta = malloc(K * ds->d * sizeof(double) + 1);
    double *best_eta = malloc(K * sizeof(double));
    st = (!f || !best_theta || !best_eta)
             ? pref_set_error(PREF_ENOMEM, "out of memory for the fit") : PREF_OK;
    if (!st) st = run_starts(s, f, best_eta, best_theta);
    if (!st) st = fit_finish(s, f, best_eta, best_theta);
    free(best_theta);
    free(best_eta);
    mix_em_free(s);
    if (st) {
        mix_fit_free(f);
        return st;
    }
    *out = f;
    return PREF_OK;
}

size_t mix_uninformative_columns(const data_set *ds, unsigned char *flags)
{
    size_t d = ds->d, n = 0;
    for (size_t j = 0; j < d; j++) {
        int varies = 0;
        for (size_t q = 0; q < ds->n_queries && !varies; q++) {
            const double *x0 = ds->x + ds->q_cand[q] * d;
            for (size_t c = 1; c < data_m(ds, q); c++)
                if (x0[c * d + j] != x0[j]) { varies = 1; break; }
        }
        if (flags) flags[j] = !varies;
        n += !varies;
    }
    return n;
}

int mix_design_condition(const data_set *ds, double *cond)
{
    size_t d = ds->d;
    unsigned char *flat = calloc(d ? d : 1, 1);
    size_t *col = malloc(d * sizeof(size_t) + 1);
    double *xbar = malloc(d * sizeof(double) + 8);
    if (!flat || !col || !xbar) {
        free(flat);
        free(col);
        free(xbar);
        PREF_ERROR(PREF_ENOMEM, "out of memory");
    }
    mix_uninformative_columns(ds, flat);
    size_t a = 0;
    for (size_t j = 0; j < d; j++)
        if (!flat[j]) col[a++] = j;
    *cond = 1.0;
    gsl_matrix *G = a ? gsl_matrix_calloc(a, a) : NULL;
    gsl_vector *ev = a ? gsl_vector_alloc(a) : NULL;
    gsl_eigen_symm_workspace *ws = a ? gsl_eigen_symm_alloc(a) : NULL;
    int st = PREF_OK;
    if (a && (!G || !ev || !ws)) st = pref_set_error(PREF_ENOMEM, "out of memory");
    for (size_t q = 0; !st && a && q < ds->n_queries; q++) {
        size_t m = data_m(ds, q);
        const double *x = ds->x + ds->q_cand[q] * d;
        for (size_t k = 0; k < a; k++) {
            double s = 0.0;
            for (size_t c = 0; c < m; c++) s += x[c * d + col[k]];
            xbar[k] = s / (double)m;
        }
        for (size_t c = 0; c < m; c++)
            for (size_t k = 0; k < a; k++)
                for (size_t l = 0; l <= k; l++) {
                    double v = (x[c * d + col[k]] - xbar[k]) * (x[c * d + col[l]] - xbar[l]);
                    *gsl_matrix_ptr(G, k, l) += v;
                }
    }
    if (!st && a) {
        for (size_t k = 0; k < a; k++)
            for (size_t l = 0; l < k; l++) gsl_matrix_set(G, l, k, gsl_matrix_get(G, k, l));
        if (gsl_eigen_symm(G, ev, ws) != 0)
            st = pref_set_error(PREF_ENUM, "the eigenvalues of the design's Gram "
                                "matrix did not converge");
    }
    if (!st && a) {
        double mn = INFINITY, mx = 0.0;
        for (size_t k = 0; k < a; k++) {
            double v = gsl_vector_get(ev, k);
            if (v < mn) mn = v;
            if (v > mx) mx = v;
        }
        *cond = mn > 0 ? mx / mn : INFINITY;
    }
    gsl_eigen_symm_free(ws);
    gsl_vector_free(ev);
    gsl_matrix_free(G);
    free(flat);
    free(col);
    free(xbar);
    return st;
}

/* ---- the likelihood and information at given parameters ------------------ */

/* A workspace holding K classes at (eta, theta), after checking them. */
static mix_ws *ws_at(const data_set *ds, size_t K, const double *eta,
                     const double *theta, int *err)
{
    *err = PREF_EINPUT;
    if (K < 1 || K > PREF_MAX_TYPES) {
        pref_set_error(PREF_EINPUT, "K = %zu: need 1 <= K <= %d", K, PREF_MAX_TYPES);
        return NULL;
    }
    double sum = 0.0;
    for (size_t k = 0; k < K; k++) {
        if (!(eta[k] > 0.0) || !isfinite(eta[k])) {
            pref_set_error(PREF_EINPUT, "eta %zu = %g: weights must be > 0", k + 1,
                           eta[k]);
            return NULL;
        }
        sum += eta[k];
    }
    if (fabs(sum - 1.0) > 1e-9) {
        pref_set_error(PREF_EINPUT, "weights sum to %.17g, not 1", sum);
        return NULL;
    }
    for (size_t j = 0; j < K * ds->d; j++)
        if (!isfinite(theta[j])) {
            pref_set_error(PREF_EINPUT, "theta[%zu] is not finite", j);
            return NULL;
        }
    mix_ws *w = ws_alloc(ds, K, 0, 1);
    if (!w) {
        *err = pref_set_error(PREF_ENOMEM, "out of memory");
        return NULL;
    }
    memcpy(w->eta, eta, K * sizeof(double));
    memcpy(w->theta, theta, K * ds->d * sizeof(double));
    *err = PREF_OK;
    return w;
}

int mix_loglik_at(const data_set *ds, size_t K, const double *eta,
                  const double *theta, double *loglik)
{
    int st;
    mix_ws *w = ws_at(ds, K, eta, theta, &st);
    if (!w) return st;
    *loglik = pass_accumulate(ds, w, 0, 0);
    ws_free(w);
    return PREF_OK;
}

int mix_posterior_at(const data_set *ds, size_t K, const double *eta,
                     const double *theta, double *post, double *loglik)
{
    int st;
    mix_ws *w = ws_at(ds, K, eta, theta, &st);
    if (!w) return st;
    double L = pass_accumulate(ds, w, 0, 0);
    if (loglik) *loglik = L;
    memcpy(post, w->post, ds->n_users * K * sizeof(double));
    ws_free(w);
    return PREF_OK;
}

int mix_user_loglik_at(const data_set *ds, size_t K, const double *eta,
                       const double *theta, double *ll)
{
    int st;
    mix_ws *w = ws_at(ds, K, eta, theta, &st);
    if (!w) return st;
    size_t d = ds->d;
    double leta[PREF_MAX_TYPES];
    for (size_t k = 0; k < K; k++) leta[k] = log(eta[k]);
#pragma omp parallel for schedule(static) num_threads(w->nthreads)
    for (size_t i = 0; i < ds->n_users; i++) {
        double *u = thread_scratch(w), lt[PREF_MAX_TYPES] = {0};
        for (size_t k = 0; k < K; k++) {
            lt[k] = leta[k];
            for (size_t q = ds->user_q[i]; q < ds->user_q[i + 1]; q++) {
                size_t c0 = ds->q_cand[q], m = data_m(ds, q);
                pl_utilities(ds->x + c0 * d, m, d, theta + k * d, u);
                lt[k] += pl_loglik(u, m, ds->q_r[q]);
            }
        }
        ll[i] = mathx_logsumexp(lt, K);
    }
    ws_free(w);
    return PREF_OK;
}

int mix_information_at(const data_set *ds, size_t K, const double *eta,
                       const double *theta, double *J, double *B)
{
    int st;
    mix_ws *w = ws_at(ds, K, eta, theta, &st);
    if (!w) return st;
    size_t P = K * ds->d + K - 1;
    double *Bw = B ? B : malloc(P * P * sizeof(double));
    st = Bw ? information(ds, w, J, Bw) : pref_set_error(PREF_ENOMEM, "out of memory");
    if (!B) free(Bw);
    ws_free(w);
    return st;
}
