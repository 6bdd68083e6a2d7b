/* mmra.c — min–max regret aggregation: the regret matrix, the LP through
 * lp.h, optimistic Hedge, and the comparison aggregators (see mmra.h).
 *
 * What it does
 *
 * Everything works on a dense row-major regret matrix R (K types, J
 * policies) and validates it (finite entries, sizes) before GLPK sees
 * anything; lp.h validates again and catches GLPK's own errors, so the
 * process never aborts.
 *
 * The LP has J + 1 columns (w_0..w_{J-1}, then t, free) and K + 1 rows
 * (R_k . w - t <= 0, then sum_j w_j = 1). For a minimisation GLPK's dual of
 * an active upper bound is <= 0 (lp.h), and the reduced cost of t is
 * 1 + sum_k y_k = 0 at the optimum, so -y_k is a probability vector over
 * types: the maximising player's optimal strategy. Rows with a positive
 * dual are binding by complementary slackness.
 *
 * Hedge keeps running sums of losses and gains instead of multiplying
 * weights, and normalises exp(-eta S) after shifting by the extreme value,
 * so long runs neither overflow nor underflow to an all-zero vector.
 *
 * Not here: building L (pool.c), files and flags (cli_mmra.c). */
#include "mmra.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

/* |sum(w) - 1| accepted for a mixture handed to mmra_aggregate (a mixture
 * read back from "%.17g" text sums to 1 within a few ulps). */
#define MMRA_SIMPLEX_TOL 1e-9

const char *mmra_solver_name(int solver)
{
    switch (solver) {
    case MMRA_LP: return "lp";
    case MMRA_HEDGE: return "hedge";
    default: return "?";
    }
}

void mmra_params_init(mmra_params *p)
{
    p->solver = MMRA_LP;
    p->hedge_iters = 100000;
    p->hedge_step = 1.0;
    lp_params_init(&p->lp);
}

const char *mmra_params_check(const mmra_params *p)
{
    if (p->solver != MMRA_LP && p->solver != MMRA_HEDGE)
        return "solver must be MMRA_LP or MMRA_HEDGE";
    if (p->hedge_iters < 1) return "hedge_iters must be >= 1";
    if (!(isfinite(p->hedge_step) && p->hedge_step > 0))
        return "hedge_step must be finite and > 0";
    return lp_params_check(&p->lp);
}

/* ---- results ---------------------------------------------------------------- */

/* K * J fits in size_t and a buffer of that many doubles. */
static int size_ok(size_t K, size_t J)
{
    return K >= 1 && J >= 1 && K <= SIZE_MAX / sizeof(double) / J;
}

mmra_result *mmra_result_alloc(size_t K, size_t J)
{
    if (!size_ok(K, J)) return NULL;
    mmra_result *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->K = K;
    r->J = J;
    r->w = calloc(J, sizeof *r->w);
    r->regret = calloc(K, sizeof *r->regret);
    r->dual = calloc(K, sizeof *r->dual);
    if (!r->w || !r->regret || !r->dual) {
        mmra_result_free(r);
        return NULL;
    }
    return r;
}

void mmra_result_free(mmra_result *r)
{
    if (!r) return;
    free(r->w);
    free(r->regret);
    free(r->dual);
    free(r);
}

/* ---- matrices ------------------------------------------------------------------ */

static int check_matrix(size_t K, size_t J, const double *R, const char *what)
{
    if (!size_ok(K, J))
        PREF_ERROR(PREF_EINPUT, "%s: bad size %zu x %zu", what, K, J);
    if (!R) PREF_ERROR(PREF_EINPUT, "%s: NULL matrix", what);
    for (size_t i = 0; i < K * J; i++)
        if (!isfinite(R[i]))
            PREF_ERROR(PREF_EINPUT, "%s: entry (%zu, %zu) is not finite", what,
                       i / J + 1, i % J + 1);
    return PREF_OK;
}

int mmra_regret_matrix(size_t K, const double *L, const double *c, double *R)
{
    PREF_TRY(check_matrix(K, K, L, "value matrix L"));
    if (c)
        for (size_t i = 0; i < K; i++)
            if (!(isfinite(c[i]) && c[i] > 0))
                PREF_ERROR(PREF_EINPUT, "regret weight %zu is %g: regret "
                           "weights must be finite and positive", i + 1, c[i]);
    for (size_t i = 0; i < K; i++) {
        double ci = c ? c[i] : 1.0, lii = L[i * K + i];
        for (size_t j = 0; j < K; j++)
            R[i * K + j] = j == i ? 0.0 : ci * (lii - L[i * K + j]);
    }
    return PREF_OK;
}

double mmra_mixture_regret(size_t K, size_t J, const double *R,
                           const double *w, double *regret)
{
    double worst = -INFINITY;
    for (size_t k = 0; k < K; k++) {
        const double *r = R + k * J;
        double s = 0;
        for (size_t j = 0; j < J; j++) s += r[j] * w[j];
        if (regret) regret[k] = s;
        if (s > worst) worst = s;
    }
    return worst;
}

/* min_j (y^T R)_j for a type mixture y. */
static double best_response_value(size_t K, size_t J, const double *R,
                                  const double *y)
{
    double lo = INFINITY;
    for (size_t j = 0; j < J; j++) {
        double s = 0;
        for (size_t k = 0; k < K; k++) s += y[k] * R[k * J + j];
        if (s < lo) lo = s;
    }
    return lo;
}

/* min_j max_k R_kj, the best single policy's worst regret; its j in *jp. */
static double best_single_policy(size_t K, size_t J, const double *R,
                                 size_t *jp)
{
    double best = INFINITY;
    *jp = 0;
    for (size_t j = 0; j < J; j++) {
        double w = -INFINITY;
        for (size_t k = 0; k < K; k++) w = fmax(w, R[k * J + j]);
        if (w < best) {
            best = w;
            *jp = j;
        }
    }
    return best;
}

/* Clip negatives to 0 and rescale to sum 1 (uniform if nothing is left). */
static void to_simplex(size_t n, double *v)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(v[i] > 0)) v[i] = 0;
        s += v[i];
    }
    for (size_t i = 0; i < n; i++) v[i] = s > 0 ? v[i] / s : 1.0 / (double)n;
}

static int check_result(const mmra_result *res, size_t K, size_t J)
{
    if (!res || res->K != K || res->J != J)
        PREF_ERROR(PREF_EINPUT, "MMRA result buffers are not sized %zu x %zu",
                   K, J);
    return PREF_OK;
}

/* ---- LP -------------------------------------------------------------------------- */

/* 1 when v (n) is a mixture: finite entries >= 0 summing to 1 within tol. */
static int is_mixture(size_t n, const double *v, double tol)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(isfinite(v[i]) && v[i] >= 0)) return 0;
        s += v[i];
    }
    return fabs(s - 1.0) <= tol;
}

/* A bound on the n sums s_l = sum_i v_i a_li (line l of R: element i at
 * R[l * sl + i * se], m elements) that holds despite their rounding: the
 * largest (sign = +1) or smallest (sign = -1) of s_l + sign g m_l, with
 * m_l = sum_i v_i |a_li| and g = 2 (m + 2) DBL_EPSILON, which covers the
 * rounding of each sum (Higham's gamma_m) and the mixture v summing to 1
 * only within a few ulps. *mag receives m_l of the extreme line. */
static double certified_extreme(size_t n, size_t m, const double *R,
                                size_t sl, size_t se, const double *v,
                                double sign, double *mag)
{
    double g = 2.0 * ((double)m + 2.0) * DBL_EPSILON, best = -INFINITY;
    *mag = 0;
    for (size_t l = 0; l < n; l++) {
        double s = 0, a = 0;
        for (size_t i = 0; i < m; i++) {
            double r = R[l * sl + i * se];
            s += v[i] * r;
            a += v[i] * fabs(r);
        }
        double b = sign * s + g * a;    /* sign * (the bound on line l) */
        if (b > best) {
            best = b;
            *mag = a;
        }
    }
    return sign * best;
}

int mmra_verify(size_t K, size_t J, const double *R, double tol,
                mmra_result *res, double *gap)
{
    PREF_TRY(check_matrix(K, J, R, "regret matrix"));
    PREF_TRY(check_result(res, K, J));
    if (!(tol > 0 && tol < 1))
        PREF_ERROR(PREF_EINPUT, "mmra_verify: tolerance %g not in (0, 1)", tol);
    if (gap) *gap = INFINITY;
    if (!is_mixture(J, res->w, tol) || !is_mixture(K, res->dual, tol))
        PREF_ERROR(PREF_ELP, "MMRA LP answer does not verify: the %s is not "
                   "a mixture (entries >= 0 summing to 1)",
                   is_mixture(J, res->w, tol) ? "type mixture (dual)"
                                              : "policy mixture");
    res->worst = mmra_mixture_regret(K, J, R, res->w, res->regret);
    res->lower = best_response_value(K, J, R, res->dual);
    /* The same two bounds, widened by their rounding: the binding type's
     * regret against w, the best policy's value against the duals. */
    double mag_w, mag_y;
    double up = certified_extreme(K, J, R, J, 1, res->w, +1.0, &mag_w);
    double lo = certified_extreme(J, K, R, 1, J, res->dual, -1.0, &mag_y);
    double scale = fmax(mag_w, mag_y), d = up - lo;
    if (gap) *gap = scale > 0 ? d / scale : d;
    if (!(d <= tol * scale))
        PREF_ERROR(PREF_ELP, "MMRA LP answer does not verify: the mixture's "
                   "worst regret %.17g and the duals' lower bound %.17g "
                   "differ by %g, more than %g of their magnitude %g",
                   res->worst, res->lower, d, tol, scale);
    /* A single policy's worst regret is exact (no arithmetic): with mixed
     * signs, cancellation in the binding sum can hide a gap from the test
     * above, never from this one. */
    size_t jp;
    double pure = best_single_policy(K, J, R, &jp);
    if (!(res->worst - pure <= tol * fmax(fabs(pure), fabs(res->worst)))) {
        if (gap) *gap = INFINITY;
        PREF_ERROR(PREF_ELP, "MMRA LP answer does not verify: the mixture's "
                   "worst regret %.17g is above policy %zu's %.17g (the game "
                   "is too ill-conditioned for double precision)",
                   res->worst, jp + 1, pure);
    }
    return PREF_OK;
}

/* The LP of the game R (see the file comment); NULL with the error in *st. */
static lp_problem *game_lp(size_t K, size_t J, const double *R, int *st)
{
    lp_problem *lp = lp_alloc(K + 1, J + 1, st);
    double *row = lp ? malloc((J + 1) * sizeof *row) : NULL;
    if (lp && !row)
        *st = pref_set_error(PREF_ENOMEM, "out of memory (MMRA LP %zu x %zu)",
                             K, J);
    /* minimise t; w >= 0 (the default column bound), t free */
    if (!*st) *st = lp_set_obj_coef(lp, J, 1.0);
    if (!*st) *st = lp_set_col_bounds(lp, J, LP_FREE, 0.0, 0.0);
    for (size_t k = 0; k < K && !*st; k++) {  /* R_k . w - t <= 0 */
        memcpy(row, R + k * J, J * sizeof *row);
        row[J] = -1.0;
        *st = lp_set_row(lp, k, row);
        if (!*st) *st = lp_set_row_bounds(lp, k, LP_UP, -INFINITY, 0.0);
    }
    if (!*st) {                               /* sum_j w_j = 1 */
        for (size_t j = 0; j < J; j++) row[j] = 1.0;
        row[J] = 0.0;
        *st = lp_set_row(lp, K, row);
    }
    if (!*st) *st = lp_set_row_bounds(lp, K, LP_FX, 1.0, 1.0);
    free(row);
    if (*st) {
        lp_free(lp);
        return NULL;
    }
    return lp;
}

/* What game_check needs (lp_verify_fn's ctx). */
typedef struct game_ctx {
    size_t K, J;
    const double *R;
    double tol;
    mmra_result *res;
} game_ctx;

/* lp_verify_fn: the LP's answer into res (cleaned), then mmra_verify. */
static int game_check(const lp_solution *sol, void *ctx)
{
    game_ctx *g = ctx;
    size_t K = g->K, J = g->J;
    mmra_result *res = g->res;
    memcpy(res->w, sol->x, J * sizeof *res->w);
    to_simplex(J, res->w);
    for (size_t k = 0; k < K; k++) res->dual[k] = -sol->row_dual[k];
    to_simplex(K, res->dual);
    res->lp_obj = sol->x[J];
    int st = mmra_verify(K, J, g->R, g->tol, res, NULL);
    if (st != PREF_ELP) return st;
    /* The best single policy is the one mixture evaluated without rounding:
     * when the duals certify it, it is the answer (e.g. a game of value 0
     * whose optimal mixture only reaches 1e-16 through cancellation). */
    char msg[512];
    snprintf(msg, sizeof msg, "%s", pref_last_error());
    size_t jp;
    best_single_policy(K, J, g->R, &jp);
    for (size_t j = 0; j < J; j++) res->w[j] = j == jp ? 1.0 : 0.0;
    if (mmra_verify(K, J, g->R, g->tol, res, NULL) == PREF_OK) return PREF_OK;
    return pref_set_error(PREF_ELP, "%s", msg);
}

int mmra_solve_lp(size_t K, size_t J, const double *R, const lp_params *lpp,
                  mmra_result *res)
{
    PREF_TRY(check_matrix(K, J, R, "regret matrix"));
    PREF_TRY(check_result(res, K, J));
    lp_params p;
    if (lpp) {
        const char *why = lp_params_check(lpp);
        if (why) PREF_ERROR(PREF_EINPUT, "lp_params: %s", why);
        p = *lpp;
    } else {
        lp_params_init(&p);
    }
    if (K + 1 > LP_MAX_DIM || J + 1 > LP_MAX_DIM || K > LP_MAX_NNZ / (J + 1))
        PREF_ERROR(PREF_EINPUT, "MMRA game %zu x %zu is too large for GLPK", K, J);
    int st = PREF_OK;
    lp_problem *lp = game_lp(K, J, R, &st);
    lp_solution *sol = lp ? lp_solution_alloc(K + 1, J + 1) : NULL;
    if (!sol) {
        lp_free(lp);
        if (st) return st;
        PREF_ERROR(PREF_ENOMEM, "out of memory (MMRA LP %zu x %zu)", K, J);
    }
    /* The game always has an optimum (K, J >= 1, R finite): a wrong answer,
     * "infeasible", "unbounded" or a numerical failure is the floating-point
     * simplex failing, and lp_solve_verified solves again exactly. */
    game_ctx g = {K, J, R, p.verify_tol, res};
    st = lp_solve_verified(lp, &p, sol, game_check, &g);
    if (!st) res->iterations = sol->iterations > 0 ? (size_t)sol->iterations : 0;
    lp_free(lp);
    lp_solution_free(sol);
    return st;
}

/* ---- optimistic Hedge ------------------------------------------------------------- */

struct mmra_hedge {
    size_t K, J;
    const double *R;   /* borrowed (K, J) */
    double eta;
    size_t rounds;
    double *w, *y;     /* (J), (K) current strategies */
    double *Sw, *Sy;   /* (J), (K) cumulative losses / gains */
    double *lw, *gy;   /* (J), (K) this round's losses / gains */
    double *aw, *ay;   /* (J), (K) sums of strategies (for averages) */
};

mmra_hedge *mmra_hedge_alloc(size_t K, size_t J)
{
    if (!size_ok(K, J)) return NULL;
    mmra_hedge *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->K = K;
    h->J = J;
    h->w = malloc(4 * J * sizeof(double));
    h->y = malloc(4 * K * sizeof(double));
    if (!h->w || !h->y) {
        mmra_hedge_free(h);
        return NULL;
    }
    h->Sw = h->w + J;
    h->lw = h->w + 2 * J;
    h->aw = h->w + 3 * J;
    h->Sy = h->y + K;
    h->gy = h->y + 2 * K;
    h->ay = h->y + 3 * K;
    return h;
}

void mmra_hedge_free(mmra_hedge *h)
{
    if (!h) return;
    free(h->w);
    free(h->y);
    free(h);
}

int mmra_hedge_set(mmra_hedge *h, const double *R, double step)
{
    PREF_TRY(check_matrix(h->K, h->J, R, "regret matrix"));
    if (!(isfinite(step) && step > 0))
        PREF_ERROR(PREF_EINPUT, "Hedge step %g must be finite and > 0", step);
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < h->K * h->J; i++) {
        if (R[i] < lo) lo = R[i];
        if (R[i] > hi) hi = R[i];
    }
    h->R = R;
    h->eta = hi > lo ? step / (hi - lo) : step;
    if (!isfinite(h->eta)) h->eta = step;  /* spread overflowed: huge R */
    h->rounds = 0;
    for (size_t j = 0; j < h->J; j++) {
        h->w[j] = 1.0 / (double)h->J;
        h->Sw[j] = h->aw[j] = 0;
    }
    for (size_t k = 0; k < h->K; k++) {
        h->y[k] = 1.0 / (double)h->K;
        h->Sy[k] = h->ay[k] = 0;
    }
    return PREF_OK;
}

/* p ∝ exp(sign * eta * (S + last)), shifted by the extreme exponent. */
static void hedge_weights(size_t n, const double *S, const double *last,
                          double sign, double eta, double *p)
{
    double mx = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        p[i] = sign * eta * (S[i] + last[i]);
        if (p[i] > mx) mx = p[i];
    }
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        p[i] = exp(p[i] - mx);
        s += p[i];
    }
    for (size_t i = 0; i < n; i++) p[i] /= s;
}

void mmra_hedge_iterate(mmra_hedge *h)
{
    size_t K = h->K, J = h->J;
    const double *R = h->R;
    /* gains of the types g = R w, losses of the policies l = R^T y */
    for (size_t j = 0; j < J; j++) h->lw[j] = 0;
    for (size_t k = 0; k < K; k++) {
        const double *r = R + k * J;
        double g = 0, yk = h->y[k];
        for (size_t j = 0; j < J; j++) {
            g += r[j] * h->w[j];
            h->lw[j] += yk * r[j];
        }
        h->gy[k] = g;
    }
    for (size_t j = 0; j < J; j++) {
        h->aw[j] += h->w[j];
        h->Sw[j] += h->lw[j];
    }
    for (size_t k = 0; k < K; k++) {
        h->ay[k] += h->y[k];
        h->Sy[k] += h->gy[k];
    }
    hedge_weights(J, h->Sw, h->lw, -1.0, h->eta, h->w);
    hedge_weights(K, h->Sy, h->gy, +1.0, h->eta, h->y);
    h->rounds++;
}

size_t mmra_hedge_rounds(const mmra_hedge *h) { return h->rounds; }

double mmra_hedge_get(const mmra_hedge *h, mmra_result *res)
{
    size_t K = h->K, J = h->J;
    for (size_t j = 0; j < J; j++)
        res->w[j] = h->rounds ? h->aw[j] / (double)h->rounds : h->w[j];
    for (size_t k = 0; k < K; k++)
        res->dual[k] = h->rounds ? h->ay[k] / (double)h->rounds : h->y[k];
    to_simplex(J, res->w);
    to_simplex(K, res->dual);
    res->worst = mmra_mixture_regret(K, J, h->R, res->w, res->regret);
    res->lower = best_response_value(K, J, h->R, res->dual);
    res->lp_obj = NAN;
    res->iterations = h->rounds;
    return res->worst - res->lower;
}

int mmra_solve_hedge(size_t K, size_t J, const double *R,
                     const mmra_params *p, mmra_result *res)
{
    mmra_params def;
    if (!p) {
        mmra_params_init(&def);
        p = &def;
    }
    const char *why = mmra_params_check(p);
    if (why) PREF_ERROR(PREF_EINPUT, "mmra_params: %s", why);
    PREF_TRY(check_matrix(K, J, R, "regret matrix"));
    PREF_TRY(check_result(res, K, J));
    mmra_hedge *h = mmra_hedge_alloc(K, J);
    if (!h) PREF_ERROR(PREF_ENOMEM, "out of memory (Hedge %zu x %zu)", K, J);
    int st = mmra_hedge_set(h, R, p->hedge_step);
    for (size_t t = 0; t < p->hedge_iters && !st; t++) mmra_hedge_iterate(h);
    if (!st) mmra_hedge_get(h, res);
    mmra_hedge_free(h);
    return st;
}

int mmra_solve(size_t K, size_t J, const double *R, const mmra_params *p,
               mmra_result *res)
{
    mmra_params def;
    if (!p) {
        mmra_params_init(&def);
        p = &def;
    }
    const char *why = mmra_params_check(p);
    if (why) PREF_ERROR(PREF_EINPUT, "mmra_params: %s", why);
    PREF_TRY(mmra_check_size(K, J, NULL));
    if (p->solver == MMRA_HEDGE) return mmra_solve_hedge(K, J, R, p, res);
    return mmra_solve_lp(K, J, R, &p->lp, res);
}

/* ---- aggregators ----------------------------------------------------------------- */

const char *mmra_agg_name(int kind)
{
    switch (kind) {
    case MMRA_AGG_SINGLE: return "single";
    case MMRA_AGG_UTILITARIAN: return "utilitarian";
    case MMRA_AGG_UNIFORM: return "uniform";
    case MMRA_AGG_MAXMIN: return "maxmin_utility";
    case MMRA_AGG_MMRA: return "mmra";
    default: return "?";
    }
}

mmra_aggs *mmra_aggs_alloc(size_t K, size_t J)
{
    if (!size_ok(K, J) || J > SIZE_MAX - 4) return NULL;
    size_t n = J + 4;
    if (!size_ok(n, K) || !size_ok(n, J)) return NULL;
    mmra_aggs *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->K = K;
    a->J = J;
    a->n = n;
    a->kind = calloc(n, sizeof *a->kind);
    a->policy = calloc(n, sizeof *a->policy);
    a->w = calloc(n * J, sizeof *a->w);
    a->regret = calloc(n * K, sizeof *a->regret);
    a->worst = calloc(n, sizeof *a->worst);
    if (!a->kind || !a->policy || !a->w || !a->regret || !a->worst) {
        mmra_aggs_free(a);
        return NULL;
    }
    return a;
}

void mmra_aggs_free(mmra_aggs *a)
{
    if (!a) return;
    free(a->kind);
    free(a->policy);
    free(a->w);
    free(a->regret);
    free(a->worst);
    free(a);
}

int mmra_check_size(size_t K, size_t J, const char *what)
{
    double m = (double)(K < J ? K : J);
    if (J <= MMRA_MAX_POLICIES && K <= MMRA_MAX_ENTRIES / (J ? J : 1))
        return PREF_OK;
    /* The LP's time measured at 500 x 500 (sizes in mmra.h), scaled. */
    double secs = 30.0 * pow(m / 500.0, 3.5);
    char est[64];
    if (secs < 60) snprintf(est, sizeof est, "under a minute");
    else if (secs < 3600) snprintf(est, sizeof est, "%.0f minutes", ceil(secs / 60));
    else if (secs < 86400) snprintf(est, sizeof est, "%.0f hours", secs / 3600);
    else snprintf(est, sizeof est, "%.2g days", secs / 86400);
    return pref_set_error(PREF_EINPUT, "%s%s%zu types x %zu policies is larger "
                          "than mmra solves (at most %d policies and %d "
                          "entries): its linear program would take %s%s, and "
                          "aggregator_weights.csv would have %.3g rows; keep "
                          "fewer policies", what ? what : "",
                          what ? ": " : "", K, J, MMRA_MAX_POLICIES,
                          MMRA_MAX_ENTRIES, secs < 60 ? "" : "some ", est,
                          ((double)J + 4) * (double)J);
}

/* Row r of a: kind, policy, mixture w (copied), regrets and worst. */
static void agg_row(mmra_aggs *a, const double *R, size_t r, int kind,
                    size_t policy, const double *w)
{
    a->kind[r] = kind;
    a->policy[r] = policy;
    memcpy(a->w + r * a->J, w, a->J * sizeof(double));
    a->worst[r] = mmra_mixture_regret(a->K, a->J, R, w, a->regret + r * a->K);
}

int mmra_aggregate(size_t K, size_t J, const double *R, const double *U,
                   const double *eta, const double *w_mmra,
                   const mmra_params *p, mmra_aggs *a)
{
    mmra_params def;
    if (!p) {
        mmra_params_init(&def);
        p = &def;
    }
    const char *why = mmra_params_check(p);
    if (why) PREF_ERROR(PREF_EINPUT, "mmra_params: %s", why);
    PREF_TRY(check_matrix(K, J, R, "regret matrix"));
    if (U) PREF_TRY(check_matrix(K, J, U, "utility matrix"));
    if (!a || a->K != K || a->J != J)
        PREF_ERROR(PREF_EINPUT, "aggregator buffers are not sized %zu x %zu", K, J);
    if (eta) {
        double s = 0;
        for (size_t k = 0; k < K; k++) {
            if (!(isfinite(eta[k]) && eta[k] >= 0))
                PREF_ERROR(PREF_EINPUT, "eta %zu is %g: type weights must be "
                           "finite and >= 0", k + 1, eta[k]);
            s += eta[k];
        }
        if (!(s > 0)) PREF_ERROR(PREF_EINPUT, "type weights eta sum to 0");
    }
    if (w_mmra) {
        double s = 0;
        for (size_t j = 0; j < J; j++) {
            if (!(isfinite(w_mmra[j]) && w_mmra[j] >= 0))
                PREF_ERROR(PREF_EINPUT, "MMRA weight %zu is %g", j + 1, w_mmra[j]);
            s += w_mmra[j];
        }
        if (fabs(s - 1.0) > MMRA_SIMPLEX_TOL)
            PREF_ERROR(PREF_EINPUT, "MMRA weights sum to %.17g, not 1", s);
    }

    double *w = calloc(J, sizeof *w);
    double *M = malloc(K * J * sizeof *M);
    mmra_result *res = mmra_result_alloc(K, J);
    if (!w || !M || !res) {
        free(w);
        free(M);
        mmra_result_free(res);
        PREF_ERROR(PREF_ENOMEM, "out of memory (aggregators %zu x %zu)", K, J);
    }
    /* single policies: a type's regret under policy j is R_kj, O(K) each
     * (the same number sum_j' R_kj' e_j' gives, exactly) */
    for (size_t j = 0; j < J; j++) {
        a->kind[j] = MMRA_AGG_SINGLE;
        a->policy[j] = j;
        memset(a->w + j * J, 0, J * sizeof(double));
        a->w[j * J + j] = 1.0;
        double worst = -INFINITY;
        for (size_t k = 0; k < K; k++) {
            a->regret[j * K + k] = R[k * J + j];
            if (R[k * J + j] > worst) worst = R[k * J + j];
        }
        a->worst[j] = worst;
    }
    /* utilitarian: argmin_j sum_k eta_k R_kj */
    size_t best = 0;
    double best_v = INFINITY;
    for (size_t j = 0; j < J; j++) {
        double v = 0;
        for (size_t k = 0; k < K; k++) v += (eta ? eta[k] : 1.0) * R[k * J + j];
        if (v < best_v) {
            best_v = v;
            best = j;
        }
    }
    w[best] = 1.0;
    agg_row(a, R, J, MMRA_AGG_UTILITARIAN, best, w);
    /* uniform */
    for (size_t j = 0; j < J; j++) w[j] = 1.0 / (double)J;
    agg_row(a, R, J + 1, MMRA_AGG_UNIFORM, SIZE_MAX, w);
    /* max-min utility: min_w max_k sum_j w_j (-U_kj) */
    for (size_t i = 0; i < K * J; i++) M[i] = U ? -U[i] : R[i];
    int st = mmra_solve_lp(K, J, M, &p->lp, res);
    if (!st) agg_row(a, R, J + 2, MMRA_AGG_MAXMIN, SIZE_MAX, res->w);
    /* MMRA */
    if (!st && !w_mmra) {
        st = mmra_solve_lp(K, J, R, &p->lp, res);
        w_mmra = res->w;
    }
    if (!st) agg_row(a, R, J + 3, MMRA_AGG_MMRA, SIZE_MAX, w_mmra);
    free(w);
    free(M);
    mmra_result_free(res);
    return st;
}
