/* test_lp.c — lp.h against hand-solved LPs, random min–max games verified
 * independently of GLPK, every validation path, and the GLPK error hook.
 *
 * Reference values: the three small LPs are solved by hand in the comments
 * (vertex enumeration plus the dual system A_B^T y = c_B); the games are
 * checked by an exact breakpoint enumeration over a 1-D simplex (K x 2 and
 * 2 x J games) and, for every size, by a duality-gap certificate computed
 * from the matrix alone: for any w, y in the simplices,
 *     min_j (y^T R)_j  <=  value  <=  max_k (R w)_k,
 * so a gap <= 1e-9 certifies both halves of the LP's answer. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_rng.h>
#include <gsl/gsl_test.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "err.h"
#include "lp.h"

static int has(const char *s, const char *sub) { return strstr(s, sub) != NULL; }

/* ---- stdout capture (to prove GLPK prints nothing) ----------------------- */

typedef struct capture { int saved; FILE *tmp; } capture;

static void capture_begin(capture *c)
{
    fflush(stdout);
    c->tmp = tmpfile();
    c->saved = dup(STDOUT_FILENO);
    if (c->tmp != NULL && c->saved >= 0)
        dup2(fileno(c->tmp), STDOUT_FILENO);
}

/* Bytes written to stdout since capture_begin; -1 if capture failed. */
static long capture_end(capture *c)
{
    long n = -1;
    fflush(stdout);
    if (c->saved >= 0) {
        dup2(c->saved, STDOUT_FILENO);
        close(c->saved);
    }
    if (c->tmp != NULL) {
        if (fseek(c->tmp, 0, SEEK_END) == 0) n = ftell(c->tmp);
        fclose(c->tmp);
    }
    return c->saved >= 0 ? n : -1;
}

/* ---- hand-solved LPs ----------------------------------------------------- */

/* Wyndor Glass (Hillier & Lieberman, Introduction to Operations Research,
 * §3.1 and §4.7):  max 3 x1 + 5 x2  s.t.  x1 <= 4,  2 x2 <= 12,
 * 3 x1 + 2 x2 <= 18,  x >= 0.
 * By hand: the vertices are (0,0)=0, (4,0)=12, (4,3)=27, (2,6)=36, (0,6)=30,
 * so x* = (2, 6), z* = 36, activities (2, 12, 18). Rows 2 and 3 are tight;
 * the duals solve [0 3; 2 2] (y2, y3) = (3, 5): y3 = 1, y2 = 3/2, and y1 = 0
 * (row 1 slack). Reduced costs of the basic x1, x2 are 0. */
static lp_problem *wyndor(void)
{
    int err;
    lp_problem *lp = lp_alloc(3, 2, &err);
    if (lp == NULL) return NULL;
    const double c[2] = {3, 5}, r1[2] = {1, 0}, r2[2] = {0, 2},
                 r3[2] = {3, 2};
    int rc = lp_set_objective(lp, c, 1);
    rc |= lp_set_row(lp, 0, r1);
    rc |= lp_set_row(lp, 1, r2);
    rc |= lp_set_row(lp, 2, r3);
    rc |= lp_set_row_bounds(lp, 0, LP_UP, -INFINITY, 4);
    rc |= lp_set_row_bounds(lp, 1, LP_UP, -INFINITY, 12);
    rc |= lp_set_row_bounds(lp, 2, LP_UP, -INFINITY, 18);
    if (rc != 0) { lp_free(lp); return NULL; }
    return lp;
}

static void check_wyndor(const lp_solution *s, const char *tag)
{
    gsl_test_int(s->status, LP_OPTIMAL, "wyndor %s: optimal", tag);
    gsl_test_abs(s->obj, 36.0, 1e-12, "wyndor %s: z* = 36", tag);
    gsl_test_abs(s->x[0], 2.0, 1e-12, "wyndor %s: x1 = 2", tag);
    gsl_test_abs(s->x[1], 6.0, 1e-12, "wyndor %s: x2 = 6", tag);
    gsl_test_abs(s->row_act[0], 2.0, 1e-12, "wyndor %s: act1", tag);
    gsl_test_abs(s->row_act[1], 12.0, 1e-12, "wyndor %s: act2", tag);
    gsl_test_abs(s->row_act[2], 18.0, 1e-12, "wyndor %s: act3", tag);
    gsl_test_abs(s->row_dual[0], 0.0, 1e-12, "wyndor %s: y1 = 0", tag);
    gsl_test_abs(s->row_dual[1], 1.5, 1e-12, "wyndor %s: y2 = 3/2", tag);
    gsl_test_abs(s->row_dual[2], 1.0, 1e-12, "wyndor %s: y3 = 1", tag);
    gsl_test_abs(s->col_dual[0], 0.0, 1e-12, "wyndor %s: d1 = 0", tag);
    gsl_test_abs(s->col_dual[1], 0.0, 1e-12, "wyndor %s: d2 = 0", tag);
    /* Complementary slackness: y_i (hi_i - act_i) = 0. */
    const double hi[3] = {4, 12, 18};
    double cs = 0;
    for (int i = 0; i < 3; i++) cs += fabs(s->row_dual[i] * (hi[i] - s->row_act[i]));
    gsl_test_abs(cs, 0.0, 1e-12, "wyndor %s: complementary slackness", tag);
    /* Strong duality: b . y = c . x. */
    gsl_test_abs(4 * s->row_dual[0] + 12 * s->row_dual[1] + 18 * s->row_dual[2],
                 s->obj, 1e-12, "wyndor %s: b.y = z*", tag);
}

/* Free variables:  min t  s.t.  t + u >= 2.385,  t - u >= -0.615,  t, u free.
 * By hand: t >= max(2.385 - u, u - 0.615), minimised where the two are
 * equal: u* = 1.5, t* = 0.885. Both rows tight; duals from
 * [1 1; 1 -1] (y1, y2) = (1, 0): y1 = y2 = 1/2 (>= 0 on active lower bounds
 * of a minimisation); b . y = (2.385 - 0.615) / 2 = 0.885. */
static lp_problem *freevars(void)
{
    int err;
    lp_problem *lp = lp_alloc(2, 2, &err);
    if (lp == NULL) return NULL;
    int rc = lp_set_obj_coef(lp, 0, 1.0);
    rc |= lp_set_col_bounds(lp, 0, LP_FREE, -INFINITY, INFINITY);
    rc |= lp_set_col_bounds(lp, 1, LP_FREE, 0, 0);
    rc |= lp_set_coef(lp, 0, 0, 1.0);
    rc |= lp_set_coef(lp, 0, 1, 1.0);
    rc |= lp_set_coef(lp, 1, 0, 1.0);
    rc |= lp_set_coef(lp, 1, 1, -1.0);
    rc |= lp_set_row_bounds(lp, 0, LP_LO, 2.385, INFINITY);
    rc |= lp_set_row_bounds(lp, 1, LP_LO, -0.615, INFINITY);
    if (rc != 0) { lp_free(lp); return NULL; }
    return lp;
}

static void check_freevars(const lp_solution *s, const char *tag)
{
    gsl_test_int(s->status, LP_OPTIMAL, "free %s: optimal", tag);
    gsl_test_abs(s->obj, 0.885, 1e-12, "free %s: t* = 0.885", tag);
    gsl_test_abs(s->x[0], 0.885, 1e-12, "free %s: t", tag);
    gsl_test_abs(s->x[1], 1.5, 1e-12, "free %s: u = 1.5", tag);
    gsl_test_abs(s->row_dual[0], 0.5, 1e-12, "free %s: y1 = 1/2", tag);
    gsl_test_abs(s->row_dual[1], 0.5, 1e-12, "free %s: y2 = 1/2", tag);
    gsl_test_abs(s->col_dual[0], 0.0, 1e-12, "free %s: d_t = 0", tag);
    gsl_test_abs(s->col_dual[1], 0.0, 1e-12, "free %s: d_u = 0", tag);
}

/* Equality row and a double-bounded column:
 *   min 2 x1 + 3 x2 + x3  s.t.  x1 + x2 + x3 = 10,  x1 - x2 >= 1.5,
 *   x1, x2 >= 0,  0 <= x3 <= 4.
 * By hand: x3 is cheapest, so x3 = 4 (upper bound); the remaining 6 units go
 * to the cheaper of x1 (2) and x2 (3): x1 = 6, x2 = 0, and x1 - x2 = 6 > 1.5
 * (slack). z* = 12 + 4 = 16. Basic x1 gives y1 = 2 from 2 - y1 = 0; the slack
 * row has y2 = 0. Reduced costs d = c - A^T y = (0, 3 - 2, 1 - 2) =
 * (0, 1, -1): x2 at its lower bound with d >= 0, x3 at its upper bound with
 * d <= 0 — optimal for a minimisation. */
static lp_problem *eqrow(void)
{
    int err;
    lp_problem *lp = lp_alloc(2, 3, &err);
    if (lp == NULL) return NULL;
    const double c[3] = {2, 3, 1};
    const int i0[3] = {2, 0, 1}, i1[2] = {1, 0};
    const double v0[3] = {1, 1, 1}, v1[2] = {-1, 1};
    int rc = lp_set_objective(lp, c, 0);
    rc |= lp_set_col_bounds(lp, 2, LP_DB, 0, 4);
    rc |= lp_set_row_sparse(lp, 0, 3, i0, v0);
    rc |= lp_set_row_sparse(lp, 1, 2, i1, v1);
    rc |= lp_set_row_bounds(lp, 0, LP_FX, 10, 10);
    rc |= lp_set_row_bounds(lp, 1, LP_LO, 1.5, INFINITY);
    if (rc != 0) { lp_free(lp); return NULL; }
    return lp;
}

static void check_eqrow(const lp_solution *s, const char *tag)
{
    gsl_test_int(s->status, LP_OPTIMAL, "eq %s: optimal", tag);
    gsl_test_abs(s->obj, 16.0, 1e-12, "eq %s: z* = 16", tag);
    gsl_test_abs(s->x[0], 6.0, 1e-12, "eq %s: x1 = 6", tag);
    gsl_test_abs(s->x[1], 0.0, 1e-12, "eq %s: x2 = 0", tag);
    gsl_test_abs(s->x[2], 4.0, 1e-12, "eq %s: x3 = 4", tag);
    gsl_test_abs(s->row_act[0], 10.0, 1e-12, "eq %s: equality holds", tag);
    gsl_test_abs(s->row_dual[0], 2.0, 1e-12, "eq %s: y1 = 2", tag);
    gsl_test_abs(s->row_dual[1], 0.0, 1e-12, "eq %s: y2 = 0", tag);
    gsl_test_abs(s->col_dual[0], 0.0, 1e-12, "eq %s: d1 = 0", tag);
    gsl_test_abs(s->col_dual[1], 1.0, 1e-12, "eq %s: d2 = 1", tag);
    gsl_test_abs(s->col_dual[2], -1.0, 1e-12, "eq %s: d3 = -1", tag);
    /* Complementary slackness on the columns: d_j x_j = 0 at lower bound 0,
     * and on the slack row. */
    gsl_test_abs(s->col_dual[1] * s->x[1], 0.0, 1e-12, "eq %s: d2 x2 = 0", tag);
    gsl_test_abs(s->row_dual[1] * (s->row_act[1] - 1.5), 0.0, 1e-12,
                 "eq %s: y2 slack = 0", tag);
}

/* ---- min–max games ------------------------------------------------------- */

/* The MMRA LP without the t >= 0 bound: columns w_0..w_{J-1}, t;
 * rows k < K: R_k . w - t <= 0; row K: sum w = 1. */
static lp_problem *game_lp(const double *R, size_t K, size_t J)
{
    int err;
    lp_problem *lp = lp_alloc(K + 1, J + 1, &err);
    if (lp == NULL) return NULL;
    int idx[64];
    double ones[64];
    for (size_t j = 0; j < J; j++) { idx[j] = (int)j; ones[j] = 1.0; }
    int rc = lp_set_obj_coef(lp, J, 1.0);
    rc |= lp_set_col_bounds(lp, J, LP_FREE, 0, 0);
    for (size_t k = 0; k < K && rc == 0; k++) {
        rc |= lp_set_row_sparse(lp, k, J, idx, &R[k * J]);
        rc |= lp_set_coef(lp, k, J, -1.0);
        rc |= lp_set_row_bounds(lp, k, LP_UP, -INFINITY, 0.0);
    }
    rc |= lp_set_row_sparse(lp, K, J, idx, ones);
    rc |= lp_set_row_bounds(lp, K, LP_FX, 1.0, 1.0);
    if (rc != 0) { lp_free(lp); return NULL; }
    return lp;
}

/* Convex piecewise-linear f(p) = max_k (a_k + b_k p) on [0, 1]: its minimum
 * is at 0, 1 or a crossing of two lines. Exact (up to rounding). */
static double pwl_min_max(const double *a, const double *b, size_t n)
{
    double best = INFINITY;
    for (size_t s = 0; s < 2 + n * n; s++) {
        double p;
        if (s == 0) p = 0.0;
        else if (s == 1) p = 1.0;
        else {
            size_t k = (s - 2) / n, l = (s - 2) % n;
            if (k >= l || b[k] == b[l]) continue;
            p = (a[l] - a[k]) / (b[k] - b[l]);
            if (!(p >= 0.0 && p <= 1.0)) continue;
        }
        double f = -INFINITY;
        for (size_t k = 0; k < n; k++) f = fmax(f, a[k] + b[k] * p);
        best = fmin(best, f);
    }
    return best;
}

/* Value of min_w max_k (R w)_k by the 1-D simplex: J = 2 (w = (p, 1 - p))
 * or K = 2 (the dual, max_q min_j (q R_0j + (1 - q) R_1j) =
 * -min_q max_j (-...)). Also checks a 10001-point grid never goes below. */
static double game_value_1d(const double *R, size_t K, size_t J,
                            double *grid_min)
{
    double a[8], b[8];
    if (J == 2) {
        for (size_t k = 0; k < K; k++) {
            a[k] = R[k * 2 + 1];
            b[k] = R[k * 2] - R[k * 2 + 1];
        }
        double g = INFINITY;
        for (int s = 0; s <= 10000; s++) {
            double p = s / 10000.0, f = -INFINITY;
            for (size_t k = 0; k < K; k++) f = fmax(f, a[k] + b[k] * p);
            g = fmin(g, f);
        }
        *grid_min = g;
        return pwl_min_max(a, b, K);
    }
    /* K == 2: negate to turn the max-min into a min-max. */
    for (size_t j = 0; j < J; j++) {
        a[j] = -R[J + j];
        b[j] = -(R[j] - R[J + j]);
    }
    double g = -INFINITY;
    for (int s = 0; s <= 10000; s++) {
        double q = s / 10000.0, f = INFINITY;
        for (size_t j = 0; j < J; j++) f = fmin(f, -(a[j] + b[j] * q));
        g = fmax(g, f);
    }
    *grid_min = g;   /* for K = 2 this is a lower bound: grid max of min */
    return -pwl_min_max(a, b, J);
}

typedef struct game_check {
    double v_primal, v_dual;   /* max_k (R w)_k and min_j (y^T R)_j */
    double w_neg, w_sum_err;   /* most negative w_j, |sum w - 1| */
    double y_neg, y_sum_err;
    double cs;                 /* max_k y_k |t - (R w)_k| */
} game_check;

/* Certificate from R alone: w from the primal, y_k = -row_dual_k (duals of
 * the <= rows of a minimisation are <= 0; the t column's zero reduced cost
 * 1 + sum_k row_dual_k = 0 makes y a distribution). */
static void game_certify(const double *R, size_t K, size_t J,
                         const lp_solution *s, game_check *c)
{
    c->w_neg = 0; c->y_neg = 0; c->cs = 0;
    double sw = 0, sy = 0;
    for (size_t j = 0; j < J; j++) { c->w_neg = fmin(c->w_neg, s->x[j]); sw += s->x[j]; }
    for (size_t k = 0; k < K; k++) { double y = -s->row_dual[k]; c->y_neg = fmin(c->y_neg, y); sy += y; }
    c->w_sum_err = fabs(sw - 1);
    c->y_sum_err = fabs(sy - 1);
    c->v_primal = -INFINITY;
    for (size_t k = 0; k < K; k++) {
        double rw = 0;
        for (size_t j = 0; j < J; j++) rw += R[k * J + j] * s->x[j];
        c->v_primal = fmax(c->v_primal, rw);
        c->cs = fmax(c->cs, -s->row_dual[k] * fabs(s->x[J] - rw));
    }
    c->v_dual = INFINITY;
    for (size_t j = 0; j < J; j++) {
        double yr = 0;
        for (size_t k = 0; k < K; k++) yr += -s->row_dual[k] * R[k * J + j];
        c->v_dual = fmin(c->v_dual, yr);
    }
}

static void test_games(gsl_rng *rng)
{
    lp_params prm;
    int n_1d = 0;
    for (int trial = 0; trial < 400; trial++) {
        size_t K = 2 + gsl_rng_uniform_int(rng, 5);
        size_t J = 2 + gsl_rng_uniform_int(rng, 5);
        if (trial % 4 == 0) J = 2;       /* make sure the 1-D cases recur */
        if (trial % 4 == 1) K = 2;
        double R[36];
        for (size_t e = 0; e < K * J; e++)
            R[e] = 2.385 * (2 * gsl_rng_uniform(rng) - 1);
        lp_params_init(&prm);
        prm.method = 1 + trial % 3;      /* primal, dual, dual-then-primal */
        prm.scale = (trial / 3) % 2;
        lp_problem *lp = game_lp(R, K, J);
        lp_solution *s = lp_solution_alloc(K + 1, J + 1);
        int rc = lp != NULL && s != NULL ? lp_solve(lp, &prm, s) : -1;
        gsl_test_int(rc, PREF_OK, "game %d (%zux%zu): solved", trial, K, J);
        if (rc == PREF_OK) {
            game_check c;
            game_certify(R, K, J, s, &c);
            gsl_test(!(c.w_neg >= -1e-12 && c.w_sum_err <= 1e-12),
                     "game %d: w in the simplex (min %g, sum err %g)", trial,
                     c.w_neg, c.w_sum_err);
            gsl_test(!(c.y_neg >= -1e-12 && c.y_sum_err <= 1e-9),
                     "game %d: y in the simplex (min %g, sum err %g)", trial,
                     c.y_neg, c.y_sum_err);
            gsl_test(!(c.v_primal - c.v_dual <= 1e-9 &&
                       c.v_primal - c.v_dual >= -1e-12),
                     "game %d: duality gap %g <= 1e-9", trial,
                     c.v_primal - c.v_dual);
            gsl_test_abs(s->obj, c.v_primal, 1e-9, "game %d: t* = max_k (Rw)_k",
                         trial);
            gsl_test_abs(c.cs, 0.0, 1e-9, "game %d: complementary slackness",
                         trial);
            if (J == 2 || K == 2) {
                double g, v = game_value_1d(R, K, J, &g);
                gsl_test_abs(s->obj, v, 1e-9, "game %d (%zux%zu): closed form "
                             "over the 1-D simplex", trial, K, J);
                if (J == 2)
                    gsl_test(!(g >= v - 1e-12 && g <= v + 1e-3),
                             "game %d: grid min %.12g vs %.12g", trial, g, v);
                else
                    gsl_test(!(g <= v + 1e-12 && g >= v - 1e-3),
                             "game %d: grid max-min %.12g vs %.12g", trial, g, v);
                n_1d++;
            }
        }
        lp_solution_free(s);
        lp_free(lp);
    }
    gsl_test(n_1d < 150, "enough 1-D games checked (%d)", n_1d);
}

/* The same games solved concurrently must give the serial answers. */
static void test_threads(gsl_rng *rng)
{
    enum { NG = 64 };
    static double R[NG][36], serial[NG], par[NG];
    static size_t KK[NG], JJ[NG];
    static int rcs[NG], provoked[NG];
    for (int g = 0; g < NG; g++) {
        KK[g] = 2 + gsl_rng_uniform_int(rng, 5);
        JJ[g] = 2 + gsl_rng_uniform_int(rng, 5);
        for (size_t e = 0; e < KK[g] * JJ[g]; e++)
            R[g][e] = gsl_rng_uniform(rng);
        lp_problem *lp = game_lp(R[g], KK[g], JJ[g]);
        lp_solution *s = lp_solution_alloc(KK[g] + 1, JJ[g] + 1);
        serial[g] = (lp && s && lp_solve(lp, NULL, s) == PREF_OK) ? s->obj : NAN;
        lp_solution_free(s);
        lp_free(lp);
    }
    int nthreads = 1;
#ifdef _OPENMP
    _Pragma("omp parallel for schedule(dynamic, 1) num_threads(4)")
#endif
    for (int g = 0; g < NG; g++) {
#ifdef _OPENMP
        if (g == 0) nthreads = omp_get_num_threads();
#endif
        /* Every fourth task also trips the error hook on its own thread. */
        provoked[g] = g % 4 == 0 ? lp_test_provoke_error() : PREF_ELP;
        lp_problem *lp = game_lp(R[g], KK[g], JJ[g]);
        lp_solution *s = lp_solution_alloc(KK[g] + 1, JJ[g] + 1);
        rcs[g] = (lp && s) ? lp_solve(lp, NULL, s) : -1;
        par[g] = rcs[g] == PREF_OK ? s->obj : NAN;
        lp_solution_free(s);
        lp_free(lp);
    }
    int bad = 0;
    for (int g = 0; g < NG; g++)
        bad += rcs[g] != PREF_OK || provoked[g] != PREF_ELP ||
               !(fabs(par[g] - serial[g]) <= 1e-12);
    gsl_test_int(bad, 0, "%d concurrent games on %d threads match serial "
                 "(GLPK TLS: %d)", NG, nthreads, lp_backend_thread_local());
}

/* ---- failures and validation --------------------------------------------- */

static void test_infeasible_unbounded(void)
{
    static const struct { int method, presolve; const char *tag; } v[] = {
        {LP_PRIMAL, 0, "primal"}, {LP_DUAL, 0, "dual"}, {LP_DUALP, 0, "dualp"},
        {LP_PRIMAL, 1, "presolve"}};
    for (size_t t = 0; t < sizeof v / sizeof v[0]; t++) {
        lp_params p;
        lp_params_init(&p);
        p.method = v[t].method;
        p.presolve = v[t].presolve;

        /* x + y <= 1 and x + y >= 2: infeasible. */
        int err;
        lp_problem *lp = lp_alloc(2, 2, &err);
        lp_solution *s = lp_solution_alloc(2, 2);
        const double one[2] = {1, 1};
        lp_set_obj_coef(lp, 0, 1.0);
        lp_set_row(lp, 0, one);
        lp_set_row(lp, 1, one);
        lp_set_row_bounds(lp, 0, LP_UP, -INFINITY, 1);
        lp_set_row_bounds(lp, 1, LP_LO, 2, INFINITY);
        int rc = lp_solve(lp, &p, s);
        gsl_test_int(rc, PREF_ELP, "infeasible %s: PREF_ELP", v[t].tag);
        gsl_test_int(s->status, LP_INFEASIBLE, "infeasible %s: status", v[t].tag);
        gsl_test(!has(pref_last_error(), "LP infeasible"),
                 "infeasible %s: message '%s'", v[t].tag, pref_last_error());
        gsl_test(!isnan(s->obj) || !isnan(s->x[0]), "infeasible %s: NaN "
                 "outputs", v[t].tag);

        /* max x + y  s.t.  x - y <= 1: unbounded along (1, 1). */
        const double c[2] = {1, 1}, r[2] = {1, -1};
        lp_set_objective(lp, c, 1);
        lp_set_row(lp, 0, r);
        lp_set_row_bounds(lp, 0, LP_UP, -INFINITY, 1);
        lp_set_row_bounds(lp, 1, LP_FREE, -INFINITY, INFINITY);
        rc = lp_solve(lp, &p, s);
        gsl_test_int(rc, PREF_ELP, "unbounded %s: PREF_ELP", v[t].tag);
        if (v[t].presolve) {
            gsl_test_int(s->status, LP_INF_OR_UNBD, "unbounded %s: status",
                         v[t].tag);
            gsl_test(!has(pref_last_error(), "LP unbounded or infeasible"),
                     "unbounded %s: message '%s'", v[t].tag, pref_last_error());
        } else {
            gsl_test_int(s->status, LP_UNBOUNDED, "unbounded %s: status",
                         v[t].tag);
            gsl_test(strcmp(pref_last_error(), "LP unbounded") != 0,
                     "unbounded %s: message '%s'", v[t].tag, pref_last_error());
        }
        lp_solution_free(s);
        lp_free(lp);
    }

    /* Iteration limit 0: the all-slack start (x = 0) is not optimal. */
    lp_problem *w = wyndor();
    lp_solution *s = lp_solution_alloc(3, 2);
    lp_params p;
    lp_params_init(&p);
    p.it_lim = 0;
    int rc = lp_solve(w, &p, s);
    gsl_test_int(rc, PREF_ELP, "it_lim 0: PREF_ELP");
    gsl_test_int(s->status, LP_ITLIM, "it_lim 0: status LP_ITLIM");
    gsl_test(!has(pref_last_error(), "iteration limit"), "it_lim 0: message "
             "'%s'", pref_last_error());
    lp_solution_free(s);
    lp_free(w);
}

/* Expect PREF_EINPUT and a non-empty message. */
#define EXPECT_EINPUT(expr, what) do { \
        pref_clear_error(); \
        int rc_ = (expr); \
        gsl_test_int(rc_, PREF_EINPUT, "rejects %s", what); \
        gsl_test(pref_last_error()[0] == '\0', "%s: message '%s'", what, \
                 pref_last_error()); \
    } while (0)

static void test_validation(void)
{
    int err = -1;
    gsl_test(lp_alloc(0, 3, &err) != NULL || err != PREF_EINPUT, "alloc 0 rows");
    gsl_test(lp_alloc(3, 0, &err) != NULL || err != PREF_EINPUT, "alloc 0 cols");
    gsl_test(lp_alloc(LP_MAX_DIM + (size_t)1, 1, &err) != NULL ||
             err != PREF_EINPUT, "alloc rows > LP_MAX_DIM");
    gsl_test(lp_alloc(1, SIZE_MAX, NULL) != NULL, "alloc SIZE_MAX cols, "
             "err NULL");
    gsl_test(lp_solution_alloc(0, 1) != NULL, "solution_alloc 0 rows");
    lp_free(NULL);
    lp_solution_free(NULL);

    lp_problem *lp = wyndor();
    lp_solution *s = lp_solution_alloc(3, 2);
    const double nan2[2] = {1, NAN}, inf2[2] = {INFINITY, 1}, ok2[2] = {1, 1};
    const int dup[2] = {1, 1}, neg[1] = {-1}, big[1] = {2}, pair[2] = {0, 1};
    const double v2[2] = {1, 2}, vnan[2] = {1, NAN};

    EXPECT_EINPUT(lp_set_objective(NULL, ok2, 0), "objective: NULL problem");
    EXPECT_EINPUT(lp_set_objective(lp, nan2, 0), "objective: NaN");
    EXPECT_EINPUT(lp_set_objective(lp, inf2, 0), "objective: infinity");
    EXPECT_EINPUT(lp_set_obj_coef(lp, 2, 1.0), "obj coef: bad index");
    EXPECT_EINPUT(lp_set_obj_coef(lp, 0, NAN), "obj coef: NaN");
    EXPECT_EINPUT(lp_set_row(lp, 3, ok2), "dense row: bad index");
    EXPECT_EINPUT(lp_set_row(lp, 0, NULL), "dense row: NULL");
    EXPECT_EINPUT(lp_set_row(lp, 0, nan2), "dense row: NaN coefficient");
    EXPECT_EINPUT(lp_set_row(lp, 0, inf2), "dense row: infinite coefficient");
    EXPECT_EINPUT(lp_set_row_sparse(lp, 5, 2, pair, v2), "sparse: bad row");
    EXPECT_EINPUT(lp_set_row_sparse(lp, 0, 2, dup, v2), "sparse: duplicate index");
    EXPECT_EINPUT(lp_set_row_sparse(lp, 0, 1, neg, v2), "sparse: index -1");
    EXPECT_EINPUT(lp_set_row_sparse(lp, 0, 1, big, v2), "sparse: index n_cols");
    EXPECT_EINPUT(lp_set_row_sparse(lp, 0, 2, pair, vnan), "sparse: NaN value");
    EXPECT_EINPUT(lp_set_row_sparse(lp, 0, 3, pair, v2), "sparse: n > n_cols");
    EXPECT_EINPUT(lp_set_row_sparse(lp, 0, 2, NULL, v2), "sparse: NULL idx");
    EXPECT_EINPUT(lp_set_row_sparse(lp, 0, 2, pair, NULL), "sparse: NULL val");
    EXPECT_EINPUT(lp_set_coef(lp, 3, 0, 1.0), "coef: bad row");
    EXPECT_EINPUT(lp_set_coef(lp, 0, 2, 1.0), "coef: bad column");
    EXPECT_EINPUT(lp_set_coef(lp, 0, 0, NAN), "coef: NaN");
    EXPECT_EINPUT(lp_set_col_bounds(lp, 2, LP_LO, 0, 0), "col bounds: bad index");
    EXPECT_EINPUT(lp_set_col_bounds(lp, 0, 0, 0, 1), "col bounds: type 0");
    EXPECT_EINPUT(lp_set_col_bounds(lp, 0, 99, 0, 1), "col bounds: type 99");
    EXPECT_EINPUT(lp_set_col_bounds(lp, 0, LP_DB, 2, 1), "col bounds: lo > hi");
    EXPECT_EINPUT(lp_set_col_bounds(lp, 0, LP_LO, -INFINITY, 0),
                  "col bounds: LP_LO lo = -inf");
    EXPECT_EINPUT(lp_set_col_bounds(lp, 0, LP_LO, NAN, 0), "col bounds: NaN lo");
    EXPECT_EINPUT(lp_set_col_bounds(lp, 0, LP_FREE, 0, NAN),
                  "col bounds: NaN even where ignored");
    EXPECT_EINPUT(lp_set_col_bounds(lp, 0, LP_FX, 1, 2), "col bounds: LP_FX lo != hi");
    EXPECT_EINPUT(lp_set_col_bounds(lp, 0, LP_DB, 0, INFINITY),
                  "col bounds: LP_DB hi = inf");
    EXPECT_EINPUT(lp_set_row_bounds(lp, 3, LP_UP, 0, 1), "row bounds: bad index");
    EXPECT_EINPUT(lp_set_row_bounds(lp, 0, LP_UP, 0, INFINITY),
                  "row bounds: LP_UP hi = inf");
    EXPECT_EINPUT(lp_set_row_bounds(lp, 0, LP_DB, 5, 4), "row bounds: lo > hi");
    EXPECT_EINPUT(lp_set_row_bounds(NULL, 0, LP_UP, 0, 1), "row bounds: NULL");

    /* lp_solve's own checks. */
    lp_solution *wrong = lp_solution_alloc(2, 2);
    EXPECT_EINPUT(lp_solve(lp, NULL, wrong), "solve: size mismatch");
    EXPECT_EINPUT(lp_solve(NULL, NULL, s), "solve: NULL problem");
    EXPECT_EINPUT(lp_solve(lp, NULL, NULL), "solve: NULL solution");
    lp_solution_free(wrong);
    lp_params p;
    struct { const char *what; int field; double val; } bad[] = {
        {"method 0", 0, 0}, {"presolve 2", 1, 2}, {"scale -1", 2, -1},
        {"tol_bnd 0", 3, 0}, {"tol_bnd 1", 3, 1}, {"tol_dj NaN", 4, NAN},
        {"tol_piv -1", 5, -1}, {"it_lim -1", 6, -1}, {"tm_lim -1", 7, -1},
        {"verbose 3", 8, 3}, {"exact 2", 9, 2}, {"verify_tol 0", 10, 0},
        {"verify_tol 1", 10, 1}, {"verify_tol NaN", 10, NAN}};
    for (size_t t = 0; t < sizeof bad / sizeof bad[0]; t++) {
        lp_params_init(&p);
        switch (bad[t].field) {
        case 0: p.method = (int)bad[t].val; break;
        case 1: p.presolve = (int)bad[t].val; break;
        case 2: p.scale = (int)bad[t].val; break;
        case 3: p.tol_bnd = bad[t].val; break;
        case 4: p.tol_dj = bad[t].val; break;
        case 5: p.tol_piv = bad[t].val; break;
        case 6: p.it_lim = (int)bad[t].val; break;
        case 7: p.tm_lim_ms = (int)bad[t].val; break;
        case 8: p.verbose = (int)bad[t].val; break;
        case 9: p.exact = (int)bad[t].val; break;
        default: p.verify_tol = bad[t].val; break;
        }
        gsl_test(lp_params_check(&p) == NULL, "params_check: %s", bad[t].what);
        EXPECT_EINPUT(lp_solve(lp, &p, s), bad[t].what);
        gsl_test_int(s->status, LP_NOT_SOLVED, "%s: status LP_NOT_SOLVED",
                     bad[t].what);
    }
    lp_params_init(&p);
    gsl_test(lp_params_check(&p) != NULL, "defaults pass lp_params_check");

    /* Nothing above changed the problem, and the duplicate-detection
     * scratch is clean: (1, 0) is accepted after the failed (1, 1). */
    const int rev[2] = {1, 0};
    const double r3[2] = {2, 3};   /* 3 x1 + 2 x2, given as (x2, x1) */
    gsl_test_int(lp_set_row_sparse(lp, 2, 2, rev, r3), PREF_OK,
                 "sparse row accepted after the failures");
    gsl_test_int(lp_solve(lp, NULL, s), PREF_OK, "wyndor still solves");
    check_wyndor(s, "after rejected calls");

    /* Ignored infinities are accepted; LP_DB with lo == hi is a fixed value:
     * fixing x1 = 1 gives x2 = 6 (row 2), z = 3 + 30 = 33. */
    gsl_test_int(lp_set_col_bounds(lp, 1, LP_LO, 0, INFINITY), PREF_OK,
                 "LP_LO with hi = +inf");
    gsl_test_int(lp_set_col_bounds(lp, 0, LP_DB, 1, 1), PREF_OK, "LP_DB lo == hi");
    gsl_test_int(lp_solve(lp, NULL, s), PREF_OK, "solve with x1 fixed");
    gsl_test_abs(s->obj, 33.0, 1e-12, "x1 = 1 fixed: z = 33");
    gsl_test_abs(s->x[0], 1.0, 1e-15, "x1 = 1 fixed");
    lp_solution_free(s);
    lp_free(lp);
}

static void test_error_hook(void)
{
    capture cap;
    capture_begin(&cap);
    int rc1 = lp_test_provoke_error();
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", pref_last_error());
    lp_problem *lp = wyndor();
    lp_solution *s = lp_solution_alloc(3, 2);
    int rc2 = lp_solve(lp, NULL, s);
    int rc3 = lp_test_provoke_error();
    int rc4 = lp_solve(lp, NULL, s);
    long printed = capture_end(&cap);

    gsl_test_int(rc1, PREF_ELP, "provoked GLPK error: PREF_ELP");
    gsl_test(!(has(msg, "GLPK internal error") && has(msg, "glp_set_obj_coef")
               && has(msg, "out of range")),
             "provoked error quotes GLPK: '%s'", msg);
    gsl_test_int(rc2, PREF_OK, "LP after the hook solves");
    gsl_test_int(rc3, PREF_ELP, "second provoked error");
    gsl_test_int(rc4, PREF_OK, "LP after the second hook solves");
    check_wyndor(s, "after the error hook");
    gsl_test(printed != 0, "GLPK printed nothing on stdout (%ld bytes), even "
             "on its error path", printed);

    /* Control for the capture: verbose = 1 does reach stdout. */
    lp_params p;
    lp_params_init(&p);
    p.verbose = 1;
    capture_begin(&cap);
    int rc5 = lp_solve(lp, &p, s);
    printed = capture_end(&cap);
    gsl_test_int(rc5, PREF_OK, "verbose solve");
    gsl_test(!(printed > 0), "verbose = 1 prints GLPK's log (%ld bytes)",
             printed);
    lp_solution_free(s);
    lp_free(lp);
}

/* GLPK's floating-point simplex (with its automatic scaling) on
 * the game R = [[15, 1], [0, eps]] returns w = (0.5, 0.5), t = 8 as
 * "optimal" for eps = 1e-50, "LP infeasible" for 1e-20 and a numerical
 * failure for 1e-16. The optimum is w = (0, 1), t = 1 (policy b: regrets 1
 * and eps; any weight on a costs type a 14 per unit), with type a binding
 * (row dual -1). The exact simplex finds it, from whatever basis the
 * floating-point one left. */
static void test_exact(void)
{
    const double eps[3] = {1e-50, 1e-20, 1e-16};
    lp_params p;
    lp_params_init(&p);
    p.exact = 1;
    for (int e = 0; e < 3; e++) {
        const double R[4] = {15, 1, 0, eps[e]};
        lp_problem *lp = game_lp(R, 2, 2);
        lp_solution *s = lp_solution_alloc(3, 3);
        gsl_test_int(lp_solve(lp, &p, s), PREF_OK, "exact, eps %g: solved",
                     eps[e]);
        gsl_test_int(s->status, LP_OPTIMAL, "exact, eps %g: optimal", eps[e]);
        gsl_test_abs(s->x[0], 0.0, 0.0, "exact, eps %g: w_a = 0", eps[e]);
        gsl_test_abs(s->x[1], 1.0, 0.0, "exact, eps %g: w_b = 1", eps[e]);
        gsl_test_abs(s->obj, 1.0, 0.0, "exact, eps %g: t = 1", eps[e]);
        gsl_test_abs(s->row_dual[0], -1.0, 0.0, "exact, eps %g: type a binds",
                     eps[e]);
        gsl_test(s->iterations < 1, "exact, eps %g: iterations counted (%d)",
                 eps[e], s->iterations);
        lp_solution_free(s);
        lp_free(lp);
    }
    /* The exact simplex reports infeasibility as the float one does. */
    int err;
    lp_problem *lp = lp_alloc(1, 1, &err);
    lp_solution *s = lp_solution_alloc(1, 1);
    double one = 1.0;
    lp_set_row(lp, 0, &one);
    lp_set_row_bounds(lp, 0, LP_UP, -INFINITY, -1.0);  /* x <= -1, x >= 0 */
    gsl_test_int(lp_solve(lp, &p, s), PREF_ELP, "exact: infeasible refused");
    gsl_test_int(s->status, LP_INFEASIBLE, "exact: status LP_INFEASIBLE");
    lp_solution_free(s);
    lp_free(lp);
}

/* lp_verify_fn for the tests: counts its calls; rejects the first
 * *(int *)ctx of them. */
typedef struct vctx { int reject, calls; } vctx;
static int reject_first(const lp_solution *sol, void *ctx)
{
    vctx *v = ctx;
    (void)sol;
    if (v->calls++ < v->reject)
        return pref_set_error(PREF_ELP, "test verifier: no (%d)", v->calls);
    return PREF_OK;
}

/* lp_solve_verified: a verified answer is kept, one that does not verify
 * is solved again exactly, and two failures are reported with both
 * messages; the exact re-solve sees data glp_exact would otherwise round:
 * min x s.t. x = 1 - 2.5e-11 (glp_exact's own reading of 1 - 2.5e-11 is 1,
 * within its 1e-9; the power-of-two scaling keeps it exact). */
static void test_verified(void)
{
    int err;
    lp_problem *lp = lp_alloc(1, 1, &err);
    lp_solution *s = lp_solution_alloc(1, 1);
    const double b = 1 - 2.5e-11, one = 1.0;
    lp_set_obj_coef(lp, 0, 1.0);
    lp_set_row(lp, 0, &one);
    lp_set_row_bounds(lp, 0, LP_FX, b, b);
    vctx v = {0, 0};
    gsl_test_int(lp_solve_verified(lp, NULL, s, reject_first, &v), PREF_OK,
                 "verified: accepted at once");
    gsl_test_int(v.calls, 1, "verified: one check");
    v = (vctx){1, 0};
    gsl_test_int(lp_solve_verified(lp, NULL, s, reject_first, &v), PREF_OK,
                 "verified: accepted after the exact re-solve");
    gsl_test_int(v.calls, 2, "verified: two checks");
    gsl_test_abs(s->x[0], b, 0.0, "verified: exact x = 1 - 2.5e-11");
    gsl_test_abs(s->row_dual[0], 1.0, 0.0, "verified: exact dual 1");
    v = (vctx){2, 0};
    gsl_test_int(lp_solve_verified(lp, NULL, s, reject_first, &v), PREF_ELP,
                 "verified: two failures refused");
    gsl_test(strstr(pref_last_error(), "no (2)") == NULL ||
             strstr(pref_last_error(), "no (1)") == NULL,
             "verified: both messages: %s", pref_last_error());
    lp_params p;
    lp_params_init(&p);
    p.exact = 1;
    v = (vctx){1, 0};
    gsl_test_int(lp_solve_verified(lp, &p, s, reject_first, &v), PREF_ELP,
                 "verified: exact already, no second solve");
    gsl_test_int(v.calls, 1, "verified: exact: one check");
    gsl_test_int(lp_solve_verified(lp, NULL, s, NULL, NULL), PREF_EINPUT,
                 "verified: NULL verifier refused");
    /* the scaling for exact mode: an objective and a row of mixed
     * magnitudes come back unscaled */
    lp_set_obj_coef(lp, 0, 3e-30);
    lp_set_row(lp, 0, &b);
    lp_set_row_bounds(lp, 0, LP_LO, 7e20, INFINITY);  /* b x >= 7e20 */
    gsl_test_int(lp_solve(lp, &p, s), PREF_OK, "exact scaled: solved");
    gsl_test_rel(s->x[0], 7e20 / b, 1e-15, "exact scaled: x = 7e20 / b");
    gsl_test_rel(s->obj, 3e-30 * 7e20 / b, 1e-15, "exact scaled: objective");
    gsl_test_rel(s->row_act[0], 7e20, 1e-15, "exact scaled: activity");
    gsl_test_rel(s->row_dual[0], 3e-30 / b, 1e-15, "exact scaled: dual");
    lp_solution_free(s);
    lp_free(lp);
}

int main(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 20240917);

    /* Hand-solved LPs under every method / presolve / scaling option. */
    for (int method = LP_PRIMAL; method <= LP_DUALP; method++)
        for (int pre = 0; pre <= 1; pre++)
            for (int scale = 0; scale <= 3; scale++) {
                char tag[64];
                snprintf(tag, sizeof tag, "m%d p%d s%d x%d", method, pre,
                         scale % 2, scale / 2);
                lp_params p;
                lp_params_init(&p);
                p.method = method;
                p.presolve = pre;
                p.scale = scale % 2;
                p.exact = scale / 2;
                lp_problem *a = wyndor(), *b = freevars(), *c = eqrow();
                lp_solution *sa = lp_solution_alloc(3, 2),
                            *sb = lp_solution_alloc(2, 2),
                            *sc = lp_solution_alloc(2, 3);
                gsl_test_int(lp_solve(a, &p, sa), PREF_OK, "wyndor %s", tag);
                check_wyndor(sa, tag);
                gsl_test_int(lp_solve(b, &p, sb), PREF_OK, "free %s", tag);
                check_freevars(sb, tag);
                gsl_test_int(lp_solve(c, &p, sc), PREF_OK, "eq %s", tag);
                check_eqrow(sc, tag);
                lp_solution_free(sa); lp_solution_free(sb); lp_solution_free(sc);
                lp_free(a); lp_free(b); lp_free(c);
            }

    /* Re-solving after a change: Wyndor with row 3 relaxed to 25 moves the
     * optimum to (4, 6) (rows 1 and 2 tight, row 3 at 24 < 25), z = 42. */
    lp_problem *w = wyndor();
    lp_solution *s = lp_solution_alloc(3, 2);
    lp_set_row_bounds(w, 2, LP_UP, -INFINITY, 25);
    gsl_test_int(lp_solve(w, NULL, s), PREF_OK, "wyndor relaxed");
    gsl_test_abs(s->obj, 42.0, 1e-12, "wyndor relaxed: z = 42");
    gsl_test(s->iterations < 1, "iterations counted (%d)", s->iterations);
    lp_solution_free(s);
    lp_free(w);

    test_exact();
    test_verified();
    test_infeasible_unbounded();
    test_validation();
    test_error_hook();
    test_games(rng);
    test_threads(rng);

    gsl_rng_free(rng);
    exit(gsl_test_summary());
}
