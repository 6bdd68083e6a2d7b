/* test_mmra.c — min–max regret aggregation (mmra.h) against independent
 * solutions.
 *
 * References and their provenance:
 *  - the regret matrix of a 3 x 3 value matrix, computed by hand in the
 *    comments (dyadic numbers, so the check is exact);
 *  - the 2 x 2 game R = [[0, a], [b, 0]]: equalising the two types gives
 *    w_1 = a / (a + b), value ab / (a + b), type mixture y_1 = b / (a + b)
 *    (by hand);
 *  - K x 2 games: the value min_{l in [0,1]} max_k (l R_k1 + (1 - l) R_k2)
 *    is attained at l = 0, l = 1 or where two lines cross, so enumerating
 *    those breakpoints solves the game exactly without any LP; 2 x J games
 *    the same way on the type side, by duality (max over the type mixture
 *    of min over policies);
 *  - K x J games of every size: a duality certificate from the matrix
 *    alone: for any w, y in the simplices min_j (y^T R)_j <= value <=
 *    max_k (R w)_k, so a gap <= 1e-9 proves the LP's value and both
 *    strategies;
 *  - aggregators: every other aggregator's mixture is feasible for the
 *    MMRA LP, so MMRA's worst regret can be no larger (property, many
 *    seeded random instances, square and not).
 * Hedge after 1e5 rounds must be within 1e-3 of the LP on a 4 x 4 game.
 * Degenerate games (one type, one policy, a dominant policy, all zeros) and
 * every validation path are provoked on purpose. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_test.h>

#include "err.h"
#include "mmra.h"

#define TOL 1e-9

static void random_matrix(gsl_rng *r, size_t K, size_t J, double scale,
                          double *R)
{
    for (size_t i = 0; i < K * J; i++) R[i] = scale * gsl_rng_uniform(r);
}

/* Exact value of a K x 2 game by breakpoint enumeration. */
static double value_k_by_2(size_t K, const double *R)
{
    /* f(l) = max_k (l R_k0 + (1 - l) R_k1), convex piecewise linear */
    double cand[2 + 64 * 64];
    size_t n = 0;
    cand[n++] = 0.0;
    cand[n++] = 1.0;
    for (size_t a = 0; a < K; a++)
        for (size_t b = a + 1; b < K; b++) {
            /* l Ra0 + (1-l) Ra1 = l Rb0 + (1-l) Rb1 */
            double da = R[a * 2] - R[a * 2 + 1], db = R[b * 2] - R[b * 2 + 1];
            if (da != db) {
                double l = (R[b * 2 + 1] - R[a * 2 + 1]) / (da - db);
                if (l > 0 && l < 1) cand[n++] = l;
            }
        }
    double best = INFINITY;
    for (size_t i = 0; i < n; i++) {
        double mx = -INFINITY;
        for (size_t k = 0; k < K; k++) {
            double v = cand[i] * R[k * 2] + (1 - cand[i]) * R[k * 2 + 1];
            if (v > mx) mx = v;
        }
        if (mx < best) best = mx;
    }
    return best;
}

/* Exact value of a 2 x J game: max over y = (m, 1 - m) of min_j. */
static double value_2_by_j(size_t J, const double *R)
{
    double cand[2 + 64 * 64];
    size_t n = 0;
    cand[n++] = 0.0;
    cand[n++] = 1.0;
    for (size_t a = 0; a < J; a++)
        for (size_t b = a + 1; b < J; b++) {
            double da = R[a] - R[J + a], db = R[b] - R[J + b];
            if (da != db) {
                double m = (R[J + b] - R[J + a]) / (da - db);
                if (m > 0 && m < 1) cand[n++] = m;
            }
        }
    double best = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double mn = INFINITY;
        for (size_t j = 0; j < J; j++) {
            double v = cand[i] * R[j] + (1 - cand[i]) * R[J + j];
            if (v < mn) mn = v;
        }
        if (mn > best) best = mn;
    }
    return best;
}

/* w and y are probability vectors; regret = R w; worst = max; lower =
 * min_j (y^T R)_j recomputed here from the matrix. */
static void check_solution(size_t K, size_t J, const double *R,
                           const mmra_result *s, double gap_tol,
                           const char *tag)
{
    double sw = 0, sy = 0, mn = INFINITY, worst = -INFINITY;
    int neg = 0;
    for (size_t j = 0; j < J; j++) {
        sw += s->w[j];
        neg |= s->w[j] < 0;
    }
    for (size_t k = 0; k < K; k++) {
        sy += s->dual[k];
        neg |= s->dual[k] < 0;
        double v = 0;
        for (size_t j = 0; j < J; j++) v += R[k * J + j] * s->w[j];
        gsl_test_abs(s->regret[k], v, 1e-12, "%s: regret %zu = (R w)_k", tag, k);
        if (v > worst) worst = v;
    }
    for (size_t j = 0; j < J; j++) {
        double v = 0;
        for (size_t k = 0; k < K; k++) v += s->dual[k] * R[k * J + j];
        if (v < mn) mn = v;
    }
    gsl_test(neg, "%s: w and dual non-negative", tag);
    gsl_test_abs(sw, 1.0, 1e-12, "%s: w sums to 1", tag);
    gsl_test_abs(sy, 1.0, 1e-12, "%s: dual sums to 1", tag);
    gsl_test_abs(s->worst, worst, 1e-12, "%s: worst = max_k (R w)_k", tag);
    gsl_test_abs(s->lower, mn, 1e-12, "%s: lower = min_j (y^T R)_j", tag);
    gsl_test(!(worst - mn <= gap_tol && worst - mn >= -1e-12),
             "%s: duality gap %.3g within %.3g", tag, worst - mn, gap_tol);
}

/* ---- regret matrix by hand --------------------------------------------------- */

static void test_regret_matrix(void)
{
    /* L and c are dyadic so every product below is exact:
     *   row 0: c = 2.5,   L = ( 1.5,  0.25, -0.5 ) -> 2.5 * (1.5 - L) =
     *          ( 0, 3.125, 5 )
     *   row 1: c = 1,     L = ( 0.75, 2.0,  1.25 ) -> ( 1.25, 0, 0.75 )
     *   row 2: c = 0.375, L = ( 0.125, 0.5, 1.0  ) -> ( 0.328125, 0.1875, 0 ) */
    const double L[9] = {1.5, 0.25, -0.5, 0.75, 2.0, 1.25, 0.125, 0.5, 1.0};
    const double c[3] = {2.5, 1.0, 0.375};
    const double want[9] = {0, 3.125, 5, 1.25, 0, 0.75, 0.328125, 0.1875, 0};
    double R[9];
    int st = mmra_regret_matrix(3, L, c, R);
    gsl_test_int(st, PREF_OK, "regret matrix: ok");
    for (int i = 0; i < 9; i++)
        gsl_test_abs(R[i], want[i], 0.0, "regret matrix entry %d by hand", i);
    /* c NULL: all weights 1 (row 0 becomes 1.5 - L). */
    st = mmra_regret_matrix(3, L, NULL, R);
    gsl_test(st || R[1] != 1.25 || R[2] != 2.0, "regret matrix: c NULL is 1");

    double bad_c[3] = {1, 0, 1};
    double before = R[4] = 42;
    gsl_test_int(mmra_regret_matrix(3, L, bad_c, R), PREF_EINPUT,
                 "regret matrix: zero weight refused");
    gsl_test(R[4] != before, "regret matrix: R untouched on error");
    bad_c[1] = -1;
    gsl_test_int(mmra_regret_matrix(3, L, bad_c, R), PREF_EINPUT,
                 "regret matrix: negative weight refused");
    bad_c[1] = NAN;
    gsl_test_int(mmra_regret_matrix(3, L, bad_c, R), PREF_EINPUT,
                 "regret matrix: NaN weight refused");
    double badL[9];
    memcpy(badL, L, sizeof badL);
    badL[5] = INFINITY;
    gsl_test_int(mmra_regret_matrix(3, badL, c, R), PREF_EINPUT,
                 "regret matrix: Inf in L refused");
    gsl_test(strstr(pref_last_error(), "(2, 3)") == NULL,
             "regret matrix: message names entry (2, 3): %s", pref_last_error());
    gsl_test_int(mmra_regret_matrix(0, L, c, R), PREF_EINPUT,
                 "regret matrix: K = 0 refused");
}

/* ---- closed form ----------------------------------------------------------------- */

static void test_closed_form(void)
{
    const double a = 2.385, b = 0.917;
    const double R[4] = {0, a, b, 0};
    mmra_result *s = mmra_result_alloc(2, 2);
    int st = mmra_solve_lp(2, 2, R, NULL, s);
    gsl_test_int(st, PREF_OK, "2x2: solved");
    gsl_test_abs(s->w[0], a / (a + b), 1e-12, "2x2: w_1 = a / (a + b)");
    gsl_test_abs(s->worst, a * b / (a + b), 1e-12, "2x2: value ab / (a + b)");
    gsl_test_abs(s->lp_obj, a * b / (a + b), 1e-12, "2x2: LP objective");
    gsl_test_abs(s->dual[0], b / (a + b), 1e-12, "2x2: dual y_1 = b / (a + b)");
    gsl_test_abs(s->regret[0], s->regret[1], 1e-12, "2x2: both types bind");
    gsl_test(s->iterations < 1, "2x2: simplex iterations reported (%zu)",
             s->iterations);
    check_solution(2, 2, R, s, 1e-12, "2x2");
    mmra_result_free(s);
}

/* ---- random games against independent solutions ------------------------------ */

static void test_random_lp(gsl_rng *r)
{
    double R[64 * 64];
    for (int rep = 0; rep < 200; rep++) {
        size_t K = 1 + gsl_rng_uniform_int(r, 12);
        random_matrix(r, K, 2, 3.7, R);
        mmra_result *s = mmra_result_alloc(K, 2);
        int st = mmra_solve_lp(K, 2, R, NULL, s);
        gsl_test_int(st, PREF_OK, "Kx2 #%d: solved", rep);
        double v = value_k_by_2(K, R);
        gsl_test_abs(s->worst, v, TOL, "Kx2 #%d (K=%zu): worst = breakpoint "
                     "enumeration", rep, K);
        gsl_test_abs(s->lp_obj, v, TOL, "Kx2 #%d: LP objective", rep);
        check_solution(K, 2, R, s, TOL, "Kx2");
        mmra_result_free(s);

        size_t J = 1 + gsl_rng_uniform_int(r, 12);
        random_matrix(r, 2, J, 2.2, R);
        s = mmra_result_alloc(2, J);
        st = mmra_solve_lp(2, J, R, NULL, s);
        gsl_test_int(st, PREF_OK, "2xJ #%d: solved", rep);
        gsl_test_abs(s->worst, value_2_by_j(J, R), TOL, "2xJ #%d (J=%zu): "
                     "worst = dual breakpoint enumeration", rep, J);
        check_solution(2, J, R, s, TOL, "2xJ");
        mmra_result_free(s);
    }
    /* Every shape, square with a zero diagonal (as from L) and not. */
    for (int rep = 0; rep < 300; rep++) {
        size_t K = 1 + gsl_rng_uniform_int(r, 20), J = 1 + gsl_rng_uniform_int(r, 20);
        if (rep % 3 == 0) J = K;
        random_matrix(r, K, J, 0.5 + 10 * gsl_rng_uniform(r), R);
        if (J == K)
            for (size_t k = 0; k < K; k++) R[k * J + k] = 0;
        mmra_result *s = mmra_result_alloc(K, J);
        int st = mmra_solve_lp(K, J, R, NULL, s);
        gsl_test_int(st, PREF_OK, "KxJ #%d: solved", rep);
        char tag[64];
        snprintf(tag, sizeof tag, "KxJ #%d (%zux%zu)", rep, K, J);
        check_solution(K, J, R, s, TOL, tag);
        gsl_test_abs(s->lp_obj, s->worst, TOL, "%s: LP objective = worst", tag);
        /* Complementary slackness: a type with positive dual binds. */
        int ok = 1;
        for (size_t k = 0; k < K; k++)
            if (s->dual[k] > 1e-9 && s->regret[k] < s->worst - TOL) ok = 0;
        gsl_test(!ok, "%s: types with positive dual bind", tag);
        mmra_result_free(s);
    }
    /* Negative entries (from an L whose implicit rewards prefer another
     * type's policy): t is free, so the value can be negative. */
    const double Rn[4] = {0, -1.5, -0.5, 0};
    mmra_result *s = mmra_result_alloc(2, 2);
    gsl_test_int(mmra_solve_lp(2, 2, Rn, NULL, s), PREF_OK, "negative R: ok");
    /* w0 * 0 + w1 * (-1.5) vs w0 * (-0.5): equal at w1 = 0.25, value -0.375 */
    gsl_test_abs(s->worst, -0.375, 1e-12, "negative R: value -0.375 (by hand)");
    mmra_result_free(s);
}

/* ---- aggregators ------------------------------------------------------------------- */

static void test_aggregators(gsl_rng *r)
{
    double R[32 * 32], U[32 * 32], L[32 * 32], c[32], eta[32];
    for (int rep = 0; rep < 300; rep++) {
        size_t K = 1 + gsl_rng_uniform_int(r, 10), J = 1 + gsl_rng_uniform_int(r, 10);
        int square = rep % 2 == 0;
        const double *Up = NULL;
        if (square) {
            J = K;
            random_matrix(r, K, K, 2.0, L);
            for (size_t k = 0; k < K; k++) {
                L[k * K + k] += 1.0;
                c[k] = 0.5 + gsl_rng_uniform(r);
            }
            gsl_test_int(mmra_regret_matrix(K, L, c, R), PREF_OK, "agg: R from L");
            memcpy(U, L, K * K * sizeof *U);
            Up = U;
        } else {
            random_matrix(r, K, J, 4.0, R);
        }
        for (size_t k = 0; k < K; k++) eta[k] = gsl_rng_uniform(r) + 0.01;
        mmra_aggs *a = mmra_aggs_alloc(K, J);
        int st = mmra_aggregate(K, J, R, Up, rep % 3 ? eta : NULL, NULL, NULL, a);
        gsl_test_int(st, PREF_OK, "agg #%d: ok", rep);
        gsl_test_int((int)a->n, (int)(J + 4), "agg #%d: J + 4 rows", rep);
        size_t mm = J + 3;
        gsl_test_int(a->kind[mm], MMRA_AGG_MMRA, "agg #%d: last row is MMRA", rep);
        int never_above = 1;
        for (size_t i = 0; i < a->n; i++)
            if (a->worst[mm] > a->worst[i] + TOL) never_above = 0;
        gsl_test(!never_above, "agg #%d (%zux%zu%s): MMRA worst regret is never "
                 "above another aggregator's", rep, K, J, square ? ", from L" : "");
        /* singles are the columns; uniform is the row mean */
        int cols = 1;
        for (size_t j = 0; j < J; j++)
            for (size_t k = 0; k < K; k++)
                if (a->regret[j * K + k] != R[k * J + j]) cols = 0;
        gsl_test(!cols || a->kind[0] != MMRA_AGG_SINGLE,
                 "agg #%d: single rows are R's columns", rep);
        /* utilitarian = argmin of the eta-weighted column sums */
        size_t u = a->policy[J];
        int util = a->kind[J] == MMRA_AGG_UTILITARIAN && u < J;
        for (size_t j = 0; j < J && util; j++) {
            double vj = 0, vu = 0;
            for (size_t k = 0; k < K; k++) {
                double e = rep % 3 ? eta[k] : 1.0;
                vj += e * R[k * J + j];
                vu += e * R[k * J + u];
            }
            if (vj < vu) util = 0;
        }
        gsl_test(!util, "agg #%d: utilitarian minimises the eta-weighted regret", rep);
        gsl_test(a->kind[J + 1] != MMRA_AGG_UNIFORM ||
                 fabs(a->w[(J + 1) * J] - 1.0 / (double)J) > 1e-15,
                 "agg #%d: uniform mixture", rep);
        /* max-min utility: its worst utility beats every single policy's */
        size_t x = J + 2;
        if (Up) {
            double mine = INFINITY;
            for (size_t k = 0; k < K; k++) {
                double v = 0;
                for (size_t j = 0; j < J; j++) v += U[k * J + j] * a->w[x * J + j];
                if (v < mine) mine = v;
            }
            int ok = 1;
            for (size_t j = 0; j < J; j++) {
                double mj = INFINITY;
                for (size_t k = 0; k < K; k++)
                    if (U[k * J + j] < mj) mj = U[k * J + j];
                if (mj > mine + TOL) ok = 0;
            }
            gsl_test(!ok, "agg #%d: max-min utility beats every single policy "
                     "on the worst type's value", rep);
        } else {
            gsl_test_abs(a->worst[x], a->worst[mm], TOL, "agg #%d: with U = -R "
                         "max-min utility ties MMRA", rep);
        }
        mmra_aggs_free(a);
    }
    /* A reported MMRA mixture is used as given. */
    const double R2[4] = {0, 2, 1, 0};
    const double w[2] = {0.25, 0.75};
    mmra_aggs *a = mmra_aggs_alloc(2, 2);
    gsl_test_int(mmra_aggregate(2, 2, R2, NULL, NULL, w, NULL, a), PREF_OK,
                 "agg: given w_mmra");
    /* type 1: 2 * 0.75 = 1.5, type 2: 1 * 0.25 = 0.25 (by hand) */
    gsl_test_abs(a->worst[5], 1.5, 1e-15, "agg: given w_mmra used (worst 1.5)");
    /* validation */
    const double bad_w[2] = {0.5, 0.6}, neg_eta[2] = {1, -1}, zero_eta[2] = {0, 0};
    gsl_test_int(mmra_aggregate(2, 2, R2, NULL, NULL, bad_w, NULL, a), PREF_EINPUT,
                 "agg: w_mmra off the simplex refused");
    gsl_test_int(mmra_aggregate(2, 2, R2, NULL, neg_eta, NULL, NULL, a), PREF_EINPUT,
                 "agg: negative eta refused");
    gsl_test_int(mmra_aggregate(2, 2, R2, NULL, zero_eta, NULL, NULL, a), PREF_EINPUT,
                 "agg: all-zero eta refused");
    const double R23[6] = {0, 1, 2, 3, 4, 5};
    gsl_test_int(mmra_aggregate(2, 3, R23, NULL, NULL, NULL, NULL, a), PREF_EINPUT,
                 "agg: buffers of another size refused");
    const double Rnan[4] = {0, NAN, 1, 0};
    gsl_test_int(mmra_aggregate(2, 2, Rnan, NULL, NULL, NULL, NULL, a), PREF_EINPUT,
                 "agg: NaN refused");
    gsl_test_int(mmra_aggregate(2, 2, R2, Rnan, NULL, NULL, NULL, a), PREF_EINPUT,
                 "agg: NaN utility refused");
    gsl_test(strcmp(mmra_agg_name(MMRA_AGG_MAXMIN), "maxmin_utility") != 0 ||
             strcmp(mmra_agg_name(99), "?") != 0, "agg: names");
    mmra_aggs_free(a);
}

/* ---- Hedge ---------------------------------------------------------------------- */

static void test_hedge(gsl_rng *r)
{
    double R[16];
    mmra_params p;
    mmra_params_init(&p);
    gsl_test(p.hedge_iters != 100000 || p.solver != MMRA_LP ||
             mmra_params_check(&p) != NULL, "hedge: defaults");
    for (int rep = 0; rep < 5; rep++) {
        random_matrix(r, 4, 4, 1.0 + rep, R);
        for (size_t k = 0; k < 4; k++) R[k * 4 + k] = 0;
        mmra_result *lp = mmra_result_alloc(4, 4), *h = mmra_result_alloc(4, 4);
        p.solver = MMRA_LP;
        gsl_test_int(mmra_solve(4, 4, R, &p, lp), PREF_OK, "hedge #%d: LP", rep);
        p.solver = MMRA_HEDGE;
        gsl_test_int(mmra_solve(4, 4, R, &p, h), PREF_OK, "hedge #%d: Hedge", rep);
        double gap = h->worst - lp->worst;
        gsl_test(!(gap >= -TOL && gap <= 1e-3), "hedge #%d: 1e5 rounds within "
                 "1e-3 of the LP optimum (gap %.3g)", rep, gap);
        gsl_test(h->iterations != 100000, "hedge #%d: rounds reported", rep);
        gsl_test(!isnan(h->lp_obj), "hedge #%d: no LP objective", rep);
        check_solution(4, 4, R, h, 2e-3, "hedge");
        mmra_result_free(lp);
        mmra_result_free(h);
    }
    /* Single-stepping: the gap certificate shrinks. */
    random_matrix(r, 3, 5, 2.0, R);
    mmra_hedge *hh = mmra_hedge_alloc(3, 5);
    mmra_result *s = mmra_result_alloc(3, 5);
    gsl_test_int(mmra_hedge_set(hh, R, 1.0), PREF_OK, "hedge: set");
    double g0 = mmra_hedge_get(hh, s);
    gsl_test(s->iterations != 0 || fabs(s->w[0] - 0.2) > 1e-15,
             "hedge: uniform before the first round");
    for (int t = 0; t < 1000; t++) mmra_hedge_iterate(hh);
    double g1 = mmra_hedge_get(hh, s);
    gsl_test(mmra_hedge_rounds(hh) != 1000 || !(g1 >= -1e-12 && g1 < g0),
             "hedge: gap %.3g after 1000 rounds below %.3g at the start", g1, g0);
    gsl_test_int(mmra_hedge_set(hh, R, 0.0), PREF_EINPUT, "hedge: step 0 refused");
    gsl_test_int(mmra_hedge_set(hh, R, NAN), PREF_EINPUT, "hedge: NaN step refused");
    mmra_hedge_free(hh);
    mmra_result_free(s);

    mmra_params q;
    mmra_params_init(&q);
    q.hedge_iters = 0;
    gsl_test(mmra_params_check(&q) == NULL, "params: 0 iterations refused");
    mmra_params_init(&q);
    q.hedge_step = -1;
    gsl_test(mmra_params_check(&q) == NULL, "params: negative step refused");
    mmra_params_init(&q);
    q.solver = 7;
    gsl_test(mmra_params_check(&q) == NULL, "params: unknown solver refused");
    mmra_params_init(&q);
    q.lp.tol_bnd = 2;
    gsl_test(mmra_params_check(&q) == NULL, "params: bad LP field refused");
    mmra_result *t = mmra_result_alloc(2, 2);
    gsl_test_int(mmra_solve(2, 2, R, &q, t), PREF_EINPUT, "solve: bad params refused");
    mmra_result_free(t);
}

/* ---- degenerate games ---------------------------------------------------------- */

static void test_degenerate(void)
{
    for (int solver = MMRA_LP; solver <= MMRA_HEDGE; solver++) {
        const char *nm = solver == MMRA_LP ? "lp" : "hedge";
        double tol = solver == MMRA_LP ? 1e-12 : 1e-3;
        mmra_params p;
        mmra_params_init(&p);
        p.solver = solver;
        p.hedge_iters = 20000;
        /* One type: the best single policy (value min_j R_0j = 0.25). */
        const double R1[4] = {1.5, 0.25, 3.0, 0.75};
        mmra_result *s = mmra_result_alloc(1, 4);
        gsl_test_int(mmra_solve(1, 4, R1, &p, s), PREF_OK, "%s one type: ok", nm);
        gsl_test_abs(s->worst, 0.25, tol, "%s one type: value = min_j R_0j", nm);
        gsl_test_abs(s->w[1], 1.0, solver == MMRA_LP ? 1e-12 : 1e-2,
                     "%s one type: weight on policy 2", nm);
        gsl_test_abs(s->dual[0], 1.0, 1e-12, "%s one type: the type binds", nm);
        mmra_result_free(s);
        /* One policy: w = 1, value max_k R_k0 = 3. */
        s = mmra_result_alloc(4, 1);
        gsl_test_int(mmra_solve(4, 1, R1, &p, s), PREF_OK, "%s one policy: ok", nm);
        gsl_test_abs(s->w[0], 1.0, 0.0, "%s one policy: w = 1", nm);
        gsl_test_abs(s->worst, 3.0, 1e-15, "%s one policy: worst = max_k", nm);
        gsl_test_abs(s->dual[2], 1.0, solver == MMRA_LP ? 1e-12 : 1e-2,
                     "%s one policy: the worst type binds", nm);
        mmra_result_free(s);
        /* A dominant policy (column 2 below every other column): weight 1. */
        const double Rd[9] = {0.9, 0.1, 0.5, 1.2, 0.3, 0.4, 2.0, 0.2, 0.8};
        s = mmra_result_alloc(3, 3);
        gsl_test_int(mmra_solve(3, 3, Rd, &p, s), PREF_OK, "%s dominant: ok", nm);
        gsl_test_abs(s->w[1], 1.0, solver == MMRA_LP ? 1e-12 : 1e-3,
                     "%s dominant policy gets weight 1", nm);
        gsl_test_abs(s->worst, 0.3, tol, "%s dominant: value 0.3", nm);
        mmra_result_free(s);
        /* All zeros: value 0, any mixture. */
        const double Rz[6] = {0};
        s = mmra_result_alloc(2, 3);
        gsl_test_int(mmra_solve(2, 3, Rz, &p, s), PREF_OK, "%s zeros: ok", nm);
        gsl_test_abs(s->worst, 0.0, 0.0, "%s zeros: value 0", nm);
        gsl_test_abs(s->lower, 0.0, 0.0, "%s zeros: lower 0", nm);
        check_solution(2, 3, Rz, s, 0.0, nm);
        mmra_result_free(s);
    }
    /* Validation before GLPK. */
    const double Rn[4] = {0, NAN, 1, 0};
    mmra_result *s = mmra_result_alloc(2, 2), *s3 = mmra_result_alloc(3, 2);
    gsl_test_int(mmra_solve_lp(2, 2, Rn, NULL, s), PREF_EINPUT, "lp: NaN refused");
    gsl_test_int(mmra_solve_hedge(2, 2, Rn, NULL, s), PREF_EINPUT, "hedge: NaN refused");
    const double Ri[4] = {0, 1, -INFINITY, 0};
    gsl_test_int(mmra_solve_lp(2, 2, Ri, NULL, s), PREF_EINPUT, "lp: -Inf refused");
    gsl_test_int(mmra_solve_lp(2, 2, Ri + 0, NULL, s3), PREF_EINPUT,
                 "lp: result of another size refused");
    gsl_test_int(mmra_solve_lp(0, 2, Ri, NULL, s), PREF_EINPUT, "lp: K = 0 refused");
    gsl_test(mmra_result_alloc(0, 3) != NULL || mmra_aggs_alloc(3, 0) != NULL ||
             mmra_hedge_alloc(0, 0) != NULL, "alloc: zero sizes give NULL");
    mmra_result_free(s);
    mmra_result_free(s3);
    mmra_result_free(NULL);
    mmra_aggs_free(NULL);
    mmra_hedge_free(NULL);
}

/* ---- badly scaled games ------------------------------------------------------ */

/* GLPK's floating-point simplex with automatic scaling answered these
 * wrongly at PREF_OK, or refused them, before the answer was verified:
 *  - R = [[15, 1], [0, eps]], eps = 1e-50: w = (0.5, 0.5), worst 8 after 0
 *    iterations; eps = 1e-20: "LP infeasible"; eps = 1e-16: "numerical
 *    failure". By hand: any weight on policy a costs type a 14 per unit
 *    more than b does, and b's regrets are (1, eps), so the optimum is
 *    w = (0, 1) with worst 1, type a binding (dual (1, 0)).
 *  - R = [[1, 1e25, 4], [0, 2, 5], [4, 5, 1e25]]: the uniform mixture,
 *    worst 3.3e24. Type c's regrets are all >= 4, so no mixture is below 4,
 *    and policy a reaches it (regrets 1, 0, 4); any other weight raises
 *    type c above 4: the unique optimum w = (1, 0, 0), worst 4. */
static void test_badly_scaled(void)
{
    const double eps[3] = {1e-50, 1e-20, 1e-16};
    mmra_result *s = mmra_result_alloc(2, 2);
    for (int e = 0; e < 3; e++) {
        const double R[4] = {15, 1, 0, eps[e]};
        gsl_test_int(mmra_solve_lp(2, 2, R, NULL, s), PREF_OK,
                     "eps %g: solved (%s)", eps[e], pref_last_error());
        gsl_test_abs(s->w[0], 0.0, 1e-12, "eps %g: w_a = 0", eps[e]);
        gsl_test_abs(s->w[1], 1.0, 1e-12, "eps %g: w_b = 1", eps[e]);
        gsl_test_rel(s->worst, 1.0, 1e-12, "eps %g: worst regret 1", eps[e]);
        gsl_test_rel(s->lower, 1.0, 1e-12, "eps %g: lower bound 1", eps[e]);
        gsl_test_abs(s->dual[0], 1.0, 1e-12, "eps %g: type a binds", eps[e]);
    }
    mmra_result_free(s);

    const double R3[9] = {1, 1e25, 4, 0, 2, 5, 4, 5, 1e25};
    s = mmra_result_alloc(3, 3);
    gsl_test_int(mmra_solve_lp(3, 3, R3, NULL, s), PREF_OK,
                 "1e25: solved (%s)", pref_last_error());
    gsl_test_rel(s->worst, 4.0, 1e-12, "1e25: worst regret 4");
    gsl_test_abs(s->w[0], 1.0, 1e-12, "1e25: policy a");
    mmra_result_free(s);

    /* The max-min aggregator solves the same LP (on -U, or on R when U is
     * NULL): verified too. */
    mmra_aggs *a = mmra_aggs_alloc(3, 3);
    double U3[9];
    for (int i = 0; i < 9; i++) U3[i] = -R3[i];
    gsl_test_int(mmra_aggregate(3, 3, R3, U3, NULL, NULL, NULL, a), PREF_OK,
                 "1e25 aggregators: ok (%s)", pref_last_error());
    gsl_test_rel(a->worst[3 + 2], 4.0, 1e-12, "1e25: max-min worst 4");
    gsl_test_rel(a->worst[3 + 3], 4.0, 1e-12, "1e25: mmra worst 4");
    mmra_aggs_free(a);
}

/* Mixed signs and entries up to 6e53 (found by a random search): the
 * exact optimum reaches a worst regret <= 4 only through cancellation of
 * +-1e53 terms, which no mixture in double precision reproduces (rounded,
 * it gives 2e37). Refused, or (should it ever verify) not above policy 6's
 * exact 4; never a wrong number with PREF_OK. */
static void test_ill_conditioned(void)
{
    const double R[36] = {5, 5, -1e-40, 1, 1, -3,
                          -3e43, 1, 2, 6, -4, 0,
                          0, 6, -5, -1, 5, 4,
                          1e-55, -2e54, 6e31, 6e53, 5, 3,
                          4, 0, -5, 0, 6e52, 4e-52,
                          3, 3, 2, -4, 6, 6e-54};
    mmra_result *s = mmra_result_alloc(6, 6);
    int st = mmra_solve_lp(6, 6, R, NULL, s);
    gsl_test(st != PREF_OK && st != PREF_ELP, "ill-conditioned: ok or ELP");
    if (st == PREF_OK)
        gsl_test(!(s->worst <= 4.0 * (1 + 1e-9)), "ill-conditioned: worst "
                 "%g not above policy 6's 4", s->worst);
    else
        gsl_test(strstr(pref_last_error(), "does not verify") == NULL,
                 "ill-conditioned: message says why: %s", pref_last_error());
    mmra_result_free(s);
}

/* The verifier on answers given to it: right ones pass, wrong ones fail
 * with PREF_ELP, whichever bound is off. */
static void test_verify(void)
{
    const double a = 2.385, b = 0.917;  /* the 2 x 2 game of test_closed_form */
    const double R[4] = {0, a, b, 0};
    mmra_result *s = mmra_result_alloc(2, 2);
    double gap = -1;
    s->w[0] = a / (a + b);
    s->w[1] = b / (a + b);
    s->dual[0] = b / (a + b);
    s->dual[1] = a / (a + b);
    gsl_test_int(mmra_verify(2, 2, R, 1e-9, s, &gap), PREF_OK,
                 "verify: the optimum passes");
    gsl_test(!(gap >= 0 && gap < 1e-14), "verify: gap %g ~ 0", gap);
    gsl_test_abs(s->worst, a * b / (a + b), 1e-15, "verify: sets worst");
    gsl_test_abs(s->lower, a * b / (a + b), 1e-15, "verify: sets lower");
    /* a wrong mixture (uniform): worst (a / 2) above the value */
    s->w[0] = s->w[1] = 0.5;
    gsl_test_int(mmra_verify(2, 2, R, 1e-9, s, &gap), PREF_ELP,
                 "verify: uniform w caught");
    gsl_test(strstr(pref_last_error(), "does not verify") == NULL,
             "verify: message: %s", pref_last_error());
    gsl_test(!(gap > 0.1), "verify: gap %g reported", gap);
    /* the right mixture with wrong duals: the lower bound is too low */
    s->w[0] = a / (a + b);
    s->w[1] = b / (a + b);
    s->dual[0] = 1;
    s->dual[1] = 0;
    gsl_test_int(mmra_verify(2, 2, R, 1e-9, s, NULL), PREF_ELP,
                 "verify: wrong duals caught");
    /* off by 1e-6 relative: caught at 1e-9, passes at 1e-5 */
    s->dual[0] = b / (a + b);
    s->dual[1] = a / (a + b);
    s->w[0] = a / (a + b) * (1 + 1e-6);
    s->w[1] = 1 - s->w[0];
    gsl_test_int(mmra_verify(2, 2, R, 1e-9, s, NULL), PREF_ELP,
                 "verify: 1e-6 off caught at tol 1e-9");
    gsl_test_int(mmra_verify(2, 2, R, 1e-5, s, NULL), PREF_OK,
                 "verify: 1e-6 off passes at tol 1e-5");
    /* the wrong answers, fed back */
    const double R2[4] = {15, 1, 0, 1e-50};
    s->w[0] = s->w[1] = 0.5;
    s->dual[0] = s->dual[1] = 0.5;
    gsl_test_int(mmra_verify(2, 2, R2, 1e-9, s, NULL), PREF_ELP,
                 "verify: (0.5, 0.5) on [[15, 1], [0, 1e-50]] caught");
    /* not mixtures */
    s->w[0] = 0.7;
    s->w[1] = 0.7;
    gsl_test_int(mmra_verify(2, 2, R2, 1e-9, s, &gap), PREF_ELP,
                 "verify: w summing to 1.4 refused");
    gsl_test(!isinf(gap), "verify: gap inf for a non-mixture");
    s->w[0] = 1.5;
    s->w[1] = -0.5;
    gsl_test_int(mmra_verify(2, 2, R2, 1e-9, s, NULL), PREF_ELP,
                 "verify: negative weight refused");
    s->w[0] = 0;
    s->w[1] = 1;
    s->dual[0] = NAN;
    gsl_test_int(mmra_verify(2, 2, R2, 1e-9, s, NULL), PREF_ELP,
                 "verify: NaN dual refused");
    s->dual[0] = 1;
    s->dual[1] = 0;
    gsl_test_int(mmra_verify(2, 2, R2, 1e-9, s, NULL), PREF_OK,
                 "verify: the optimum of [[15, 1], [0, 1e-50]] passes");
    gsl_test_int(mmra_verify(2, 2, R2, 0, s, NULL), PREF_EINPUT,
                 "verify: tol 0 refused");
    gsl_test_int(mmra_verify(2, 2, R2, NAN, s, NULL), PREF_EINPUT,
                 "verify: tol NaN refused");
    /* a 3 x 2 game (a real 3 x 2 buffer) against the 2 x 2 result */
    const double R32[6] = {15, 1, 0, 1e-50, 2.5, 3.5};
    gsl_test_int(mmra_verify(3, 2, R32, 1e-9, s, NULL), PREF_EINPUT,
                 "verify: wrong size refused");
    /* a game of value 0 reached by cancellation: verified without exact
     * zeros (tolerance relative to the binding terms) */
    const double Rc[4] = {0.1, -0.3, -0.2, 0.6};  /* w = (3/4, 1/4) */
    s->w[0] = 0.75;
    s->w[1] = 0.25;
    s->dual[0] = 2.0 / 3;
    s->dual[1] = 1.0 / 3;
    gsl_test_int(mmra_verify(2, 2, Rc, 1e-9, s, &gap), PREF_OK,
                 "verify: value 0 by cancellation passes (gap %g)", gap);
    mmra_result_free(s);
}

int main(void)
{
    gsl_set_error_handler_off();
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 20240611);
    test_regret_matrix();
    test_closed_form();
    test_random_lp(r);
    test_aggregators(r);
    test_hedge(r);
    test_degenerate();
    test_badly_scaled();
    test_ill_conditioned();
    test_verify();
    gsl_rng_free(r);
    exit(gsl_test_summary());
}
