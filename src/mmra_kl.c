/* mmra_kl.c — KL-exact MMRA by Kelley's cutting planes (see mmra_kl.h).
 *
 * The mixture's log-probabilities are formed by log-sum-exp over the
 * policies with positive weight, so pi_w never underflows to 0 where a
 * policy gives an item positive probability, and every log in the regret
 * and its gradient is finite. Each round's cut LP is a min–max game over
 * the rows G_k(w_l) and is handed to mmra_solve_lp, which solves it with
 * lp_solve_verified and certifies it by its duals; GLPK is never included
 * here. Not here: level-method stabilisation (plain Kelley converges in a
 * few dozen rounds on the experiment's games, K <= 4), files and flags. */
#include "mmra_kl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include <stdint.h>
#include "mmra.h"

void mmra_kl_params_init(mmra_kl_params *p)
{
    p->gap = 1e-8;
    p->max_rounds = 500;
    lp_params_init(&p->lp);
    p->lp.exact = 1;
}

const char *mmra_kl_params_check(const mmra_kl_params *p)
{
    if (!(isfinite(p->gap) && p->gap > 0 && p->gap < 1))
        return "gap must be in (0, 1)";
    if (p->max_rounds < 1) return "max_rounds must be >= 1";
    return lp_params_check(&p->lp);
}

const char *mmra_kl_problem_check(const mmra_kl_problem *pr)
{
    static _Thread_local char msg[160];
    if (pr->K == 0 || pr->n_prompts == 0 || !pr->off || !pr->logp)
        return "KL game: no policies, no prompts or missing arrays";
    if (!(isfinite(pr->beta) && pr->beta > 0)) return "KL game: beta must be > 0";
    if (pr->off[0] != 0) return "KL game: off[0] must be 0";
    size_t n = pr->off[pr->n_prompts];
    for (size_t k = 0; k < pr->K; k++) {
        if (pr->c && !(isfinite(pr->c[k]) && pr->c[k] > 0))
            return "KL game: regret weights must be finite and > 0";
        for (size_t p = 0; p < pr->n_prompts; p++) {
            size_t lo = pr->off[p], hi = pr->off[p + 1];
            if (hi < lo) return "KL game: pool offsets decrease";
            double s = 0;
            for (size_t y = lo; y < hi; y++) {
                double l = pr->logp[k * n + y];
                if (!isfinite(l)) return "KL game: log-probability not finite";
                s += exp(l);
            }
            if (hi > lo && fabs(s - 1) > 1e-9) {
                snprintf(msg, sizeof msg, "KL game: policy %zu sums to %.17g on "
                         "pool %zu (must be normalised)", k + 1, s, p + 1);
                return msg;
            }
        }
    }
    return NULL;
}

int mmra_kl_logprobs(const pool_set *ps, const policy_set *pols, double *logp)
{
    size_t nw = pool_work_size(ps, &pols->net), n = pool_n_items(ps);
    double *work = malloc((nw ? nw : 1) * sizeof *work);
    if (!work) PREF_ERROR(PREF_ENOMEM, "out of memory");
    int st = PREF_OK;
    for (size_t k = 0; k < pols->K && !st; k++)
        st = pool_policy_logprobs(ps, &pols->net, pols->params + k * pols->n_params,
                                  logp + k * n, work);
    free(work);
    return st;
}

size_t mmra_kl_work_size(size_t K, size_t n_items)
{
    return n_items + 2 * K;
}

/* log pi_w(y) for every item into lw (n), by log-sum-exp over the policies
 * with w_j > 0; lwj: K scratch. */
static void mixture_logprobs(const mmra_kl_problem *pr, const double *w,
                             size_t n, double *lw, double *lwj)
{
    size_t K = pr->K;
    for (size_t j = 0; j < K; j++) lwj[j] = w[j] > 0 ? log(w[j]) : -INFINITY;
    for (size_t y = 0; y < n; y++) {
        double m = -INFINITY, s = 0;
        for (size_t j = 0; j < K; j++)
            if (lwj[j] + pr->logp[j * n + y] > m) m = lwj[j] + pr->logp[j * n + y];
        for (size_t j = 0; j < K; j++)
            if (w[j] > 0) s += exp(lwj[j] + pr->logp[j * n + y] - m);
        lw[y] = m + log(s);
    }
}

double mmra_kl_eval(const mmra_kl_problem *pr, const double *w, double *R,
                    double *G, double *work)
{
    size_t K = pr->K, n = pr->off[pr->n_prompts];
    double *lw = work, *lwj = work + n, *pj = lwj + K;
    mixture_logprobs(pr, w, n, lw, lwj);
    memset(R, 0, K * sizeof *R);
    if (G) memset(G, 0, K * K * sizeof *G);
    for (size_t y = 0; y < n; y++) {
        double piw = exp(lw[y]);
        if (G)
            for (size_t j = 0; j < K; j++) pj[j] = exp(pr->logp[j * n + y]);
        for (size_t k = 0; k < K; k++) {
            double diff = lw[y] - pr->logp[k * n + y]; /* log pi_w - log pi_k */
            R[k] += piw * diff;
            if (G)
                for (size_t j = 0; j < K; j++) G[k * K + j] += pj[j] * diff;
        }
    }
    double worst = -INFINITY;
    for (size_t k = 0; k < K; k++) {
        double sc = (pr->c ? pr->c[k] : 1.0) * pr->beta / (double)pr->n_prompts;
        R[k] *= sc;
        if (G)
            for (size_t j = 0; j < K; j++) G[k * K + j] *= sc;
        if (R[k] > worst) worst = R[k];
    }
    return worst;
}

/* ---- Kelley's method ------------------------------------------------------- */

struct mmra_kl_solver {
    size_t K, n_items, max_rounds, rounds, lp_iters;
    mmra_kl_problem pr;
    mmra_kl_params p;
    double *G;        /* (max_rounds K, K) the cuts' rows */
    double *w;        /* (K) the next point */
    double *best_w;   /* (K) the point of the upper bound */
    double *best_R;   /* (K) its regrets */
    double *dual;     /* (K) last LP's duals per type */
    double *R;        /* (K) scratch */
    double *work;     /* mmra_kl_work_size */
    double upper, lower;
};

mmra_kl_solver *mmra_kl_alloc(size_t K, size_t n_items, size_t max_rounds)
{
    if (K == 0 || n_items == 0 || max_rounds == 0) return NULL;
    if (max_rounds > SIZE_MAX / sizeof(double) / K / K) return NULL;
    mmra_kl_solver *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->K = K;
    s->n_items = n_items;
    s->max_rounds = max_rounds;
    s->G = malloc(max_rounds * K * K * sizeof *s->G);
    s->w = malloc(5 * K * sizeof *s->w);
    s->work = malloc(mmra_kl_work_size(K, n_items) * sizeof *s->work);
    if (!s->G || !s->w || !s->work) {
        mmra_kl_free(s);
        return NULL;
    }
    s->best_w = s->w + K;
    s->best_R = s->w + 2 * K;
    s->dual = s->w + 3 * K;
    s->R = s->w + 4 * K;
    return s;
}

void mmra_kl_free(mmra_kl_solver *s)
{
    if (!s) return;
    free(s->G);
    free(s->w);
    free(s->work);
    free(s);
}

/* PREF_OK, or PREF_EINPUT naming what is wrong with p or pr. */
static int check_inputs(const mmra_kl_problem *pr, const mmra_kl_params *p)
{
    const char *why = mmra_kl_params_check(p);
    if (why) PREF_ERROR(PREF_EINPUT, "KL-exact MMRA: %s", why);
    why = mmra_kl_problem_check(pr);
    if (why) PREF_ERROR(PREF_EINPUT, "%s", why);
    return PREF_OK;
}

int mmra_kl_set(mmra_kl_solver *s, const mmra_kl_problem *pr,
                const mmra_kl_params *p)
{
    mmra_kl_params def;
    if (!p) {
        mmra_kl_params_init(&def);
        p = &def;
    }
    PREF_TRY(check_inputs(pr, p));
    if (pr->K != s->K || pr->off[pr->n_prompts] != s->n_items || p->max_rounds > s->max_rounds)
        PREF_ERROR(PREF_EINPUT, "KL-exact MMRA: problem of %zu types, %zu items, "
                   "%zu rounds for a solver of %zu, %zu, %zu", pr->K,
                   pr->off[pr->n_prompts], p->max_rounds, s->K, s->n_items,
                   s->max_rounds);
    s->pr = *pr;
    s->p = *p;
    s->rounds = s->lp_iters = 0;
    s->upper = INFINITY;
    s->lower = -INFINITY;
    for (size_t k = 0; k < s->K; k++) {
        s->w[k] = s->best_w[k] = 1.0 / (double)s->K;
        s->dual[k] = 1.0 / (double)s->K;
        s->best_R[k] = NAN;
    }
    return PREF_OK;
}

/* The cut LP over the s->rounds * K rows of s->G: its verified lower bound,
 * the next point and the per-type duals. */
static int solve_cuts(mmra_kl_solver *s)
{
    size_t K = s->K, rows = s->rounds * K;
    mmra_result *res = mmra_result_alloc(rows, K);
    if (!res) PREF_ERROR(PREF_ENOMEM, "out of memory (%zu cuts)", rows);
    int st = mmra_solve_lp(rows, K, s->G, &s->p.lp, res);
    if (!st) {
        s->lp_iters += res->iterations;
        if (res->lower > s->lower) s->lower = res->lower;
        memcpy(s->w, res->w, K * sizeof *s->w);
        memset(s->dual, 0, K * sizeof *s->dual);
        for (size_t r = 0; r < rows; r++) s->dual[r % K] += res->dual[r];
    }
    mmra_result_free(res);
    return st;
}

int mmra_kl_iterate(mmra_kl_solver *s)
{
    size_t K = s->K;
    if (s->rounds >= s->p.max_rounds)
        PREF_ERROR(PREF_EINPUT, "KL-exact MMRA: all %zu rounds done", s->p.max_rounds);
    double *G = s->G + s->rounds * K * K;
    double worst = mmra_kl_eval(&s->pr, s->w, s->R, G, s->work);
    for (size_t i = 0; i < K * K; i++)
        if (!isfinite(G[i]))
            PREF_ERROR(PREF_ENUM, "KL-exact MMRA: non-finite regret gradient "
                       "at round %zu", s->rounds + 1);
    if (!isfinite(worst))
        PREF_ERROR(PREF_ENUM, "KL-exact MMRA: non-finite regret at round %zu",
                   s->rounds + 1);
    if (worst < s->upper) {
        s->upper = worst;
        memcpy(s->best_w, s->w, K * sizeof *s->w);
        memcpy(s->best_R, s->R, K * sizeof *s->R);
    }
    s->rounds++;
    return solve_cuts(s);
}

int mmra_kl_test(const mmra_kl_solver *s)
{
    if (s->rounds == 0) return PREF_CONTINUE;
    if (s->upper <= s->lower || s->upper - s->lower <= s->p.gap * s->upper)
        return PREF_OK;
    return PREF_CONTINUE;
}

size_t mmra_kl_rounds(const mmra_kl_solver *s)
{
    return s->rounds;
}

mmra_kl_result *mmra_kl_result_alloc(size_t K)
{
    if (K == 0) return NULL;
    mmra_kl_result *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->K = K;
    r->w = malloc(3 * K * sizeof *r->w);
    if (!r->w) {
        free(r);
        return NULL;
    }
    r->regret = r->w + K;
    r->dual = r->w + 2 * K;
    return r;
}

void mmra_kl_result_free(mmra_kl_result *res)
{
    if (!res) return;
    free(res->w);
    free(res);
}

void mmra_kl_get(const mmra_kl_solver *s, mmra_kl_result *res)
{
    size_t K = s->K;
    memcpy(res->w, s->best_w, K * sizeof *res->w);
    memcpy(res->regret, s->best_R, K * sizeof *res->regret);
    memcpy(res->dual, s->dual, K * sizeof *res->dual);
    res->worst = s->upper;
    res->lower = s->lower;
    res->rounds = s->rounds;
    res->lp_iterations = s->lp_iters;
    res->converged = mmra_kl_test(s) == PREF_OK;
}

int mmra_kl_solve(const mmra_kl_problem *pr, const mmra_kl_params *p,
                  mmra_kl_result *res)
{
    mmra_kl_params def;
    if (!p) {
        mmra_kl_params_init(&def);
        p = &def;
    }
    PREF_TRY(check_inputs(pr, p));
    if (res->K != pr->K)
        PREF_ERROR(PREF_EINPUT, "KL-exact MMRA: result sized for %zu types, "
                   "problem has %zu", res->K, pr->K);
    mmra_kl_solver *s = mmra_kl_alloc(pr->K, pr->off[pr->n_prompts], p->max_rounds);
    if (!s) PREF_ERROR(PREF_ENOMEM, "out of memory (KL-exact MMRA)");
    int st = mmra_kl_set(s, pr, p);
    while (!st && mmra_kl_test(s) == PREF_CONTINUE && s->rounds < p->max_rounds)
        st = mmra_kl_iterate(s);
    if (!st) mmra_kl_get(s, res);
    mmra_kl_free(s);
    return st;
}
