/* test_npmle.c — the grid NPMLE against independent solutions and its
 * properties: a brute-force search over the simplex and a generic
 * quasi-Newton solver (GSL BFGS on softmax weights) on a tiny 5-point
 * problem, the log-likelihood recomputed directly from pl.h, the
 * certificate (>= 1 at every iterate, <= 1 + gap at the end), monotone
 * log-likelihood under EM, SQUAREM and constrained Newton, the same answer for any thread
 * count, no underflow for users with many answers, recovery of a discrete
 * truth whose atoms are grid points, and the grid itself. Seeded. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_multimin.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_test.h>

#include "cfg.h"
#include "err.h"
#include "npmle.h"
#include "pl.h"
#include "rngs.h"
#include "sim.h"
#include "testsim.h"
#include "w1.h"

static cfg C;

static data_set *make_data(const char *const *kv, unsigned long seed)
{
    return testsim_data(&C, kv, seed);
}

/* Two latent classes, full rankings of 3 candidates. */
static data_set *latent2(const char *eta, const char *theta, const char *d,
                         const char *T, const char *users, unsigned long seed)
{
    const char *const kv[] = {
        "population.kind", "latent_class", "population.types", "2",
        "population.eta", eta, "population.theta", theta, "design.d", d,
        "design.m", "3", "design.answer", "full", "design.T", T,
        "design.users", users, NULL};
    return make_data(kv, seed);
}

static size_t max_m(const data_set *ds)
{
    size_t m = 2;
    for (size_t q = 0; q < ds->n_queries; q++)
        if (data_m(ds, q) > m) m = data_m(ds, q);
    return m;
}

/* log L_i(theta) directly from pl.h (independent of npmle.c). */
static double user_ll(const data_set *ds, size_t i, const double *theta)
{
    double u[64], ll = 0.0;
    for (size_t q = ds->user_q[i]; q < ds->user_q[i + 1]; q++) {
        size_t m = data_m(ds, q);
        pl_utilities(ds->x + ds->q_cand[q] * ds->d, m, ds->d, theta, u);
        ll += pl_loglik(u, m, ds->q_r[q]);
    }
    return ll;
}

/* sum_i log sum_r w_r exp(LL[i, r]), LL (N, G) of plain log-likelihoods. */
static double mix_ll(const double *LL, size_t N, size_t G, const double *w)
{
    double s = 0.0;
    for (size_t i = 0; i < N; i++) {
        double mx = -INFINITY, f = 0.0;
        for (size_t r = 0; r < G; r++)
            if (LL[i * G + r] > mx) mx = LL[i * G + r];
        for (size_t r = 0; r < G; r++) f += w[r] * exp(LL[i * G + r] - mx);
        s += mx + log(f);
    }
    return s;
}

/* ---- the tiny problem ------------------------------------------------------ */

#define TINY_N 7
#define TINY_G 5
static double tiny_LL[TINY_N * TINY_G];

static void softmax5(const double *z, double *w)
{
    double mx = z[0], s = 0.0;
    for (size_t r = 1; r < TINY_G; r++) if (z[r] > mx) mx = z[r];
    for (size_t r = 0; r < TINY_G; r++) s += (w[r] = exp(z[r] - mx));
    for (size_t r = 0; r < TINY_G; r++) w[r] /= s;
}

static double neg_ll(const gsl_vector *z, void *par)
{
    (void)par;
    double w[TINY_G];
    softmax5(z->data, w);
    return -mix_ll(tiny_LL, TINY_N, TINY_G, w);
}

/* d(-l)/dz_r = -w_r (sum_i e_ir / f_i - N): the softmax chain rule. */
static void neg_ll_df(const gsl_vector *z, void *par, gsl_vector *g)
{
    (void)par;
    double w[TINY_G], c[TINY_G] = {0};
    softmax5(z->data, w);
    for (size_t i = 0; i < TINY_N; i++) {
        double f = 0.0;
        for (size_t r = 0; r < TINY_G; r++) f += w[r] * exp(tiny_LL[i * TINY_G + r]);
        for (size_t r = 0; r < TINY_G; r++) c[r] += exp(tiny_LL[i * TINY_G + r]) / f;
    }
    for (size_t r = 0; r < TINY_G; r++)
        gsl_vector_set(g, r, -w[r] * (c[r] - (double)TINY_N));
}

static void neg_ll_fdf(const gsl_vector *z, void *par, double *f, gsl_vector *g)
{
    *f = neg_ll(z, par);
    neg_ll_df(z, par, g);
}

/* The optimum by BFGS on softmax weights (a generic smooth solver). */
static double bfgs_max(void)
{
    gsl_multimin_function_fdf F = {neg_ll, neg_ll_df, neg_ll_fdf, TINY_G, NULL};
    gsl_vector *z = gsl_vector_calloc(TINY_G);
    gsl_multimin_fdfminimizer *s =
        gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, TINY_G);
    gsl_multimin_fdfminimizer_set(s, &F, z, 0.1, 0.1);
    for (int it = 0; it < 5000; it++) {
        if (gsl_multimin_fdfminimizer_iterate(s)) break;
        if (gsl_multimin_test_gradient(s->gradient, 1e-12) == GSL_SUCCESS) break;
    }
    double v = -s->f;
    gsl_multimin_fdfminimizer_free(s);
    gsl_vector_free(z);
    return v;
}

/* The best grid point of the simplex {w = k / S, sum k = S}. */
static double brute_max(size_t S)
{
    double best = -INFINITY, w[TINY_G];
    for (size_t a = 0; a <= S; a++)
        for (size_t b = 0; a + b <= S; b++)
            for (size_t c = 0; a + b + c <= S; c++)
                for (size_t d = 0; a + b + c + d <= S; d++) {
                    w[0] = (double)a / S;
                    w[1] = (double)b / S;
                    w[2] = (double)c / S;
                    w[3] = (double)d / S;
                    w[4] = (double)(S - a - b - c - d) / S;
                    double v = mix_ll(tiny_LL, TINY_N, TINY_G, w);
                    if (v > best) best = v;
                }
    return best;
}

static void test_tiny(void)
{
    data_set *ds = latent2("0.6, 0.4", "1.3; -0.7", "1", "3", "7", 20251);
    if (!ds) return;
    double theta[TINY_G];
    gsl_test_int(npmle_grid(TINY_G, 1, 2.0, theta), PREF_OK, "tiny: grid");
    for (size_t i = 0; i < TINY_N; i++)
        for (size_t r = 0; r < TINY_G; r++)
            tiny_LL[i * TINY_G + r] = user_ll(ds, i, theta + r);
    npmle_params p;
    npmle_params_init(&p);
    p.gap = 1e-10;
    npmle_workspace *w = npmle_alloc(TINY_N, TINY_G, 1, max_m(ds), &p);
    gsl_test_int(npmle_run(w, ds, theta, NULL), PREF_OK, "tiny: run");
    gsl_test(!npmle_converged(w), "tiny: converged (certificate %.17g)",
             npmle_certificate(w));
    double L = npmle_loglik(w);
    /* npmle's own log-likelihood against a direct evaluation. */
    gsl_test_rel(L, mix_ll(tiny_LL, TINY_N, TINY_G, npmle_weights(w)), 1e-13,
                 "tiny: loglik recomputed from pl.h");
    /* The certificate bounds the shortfall by N gap = 7e-10. */
    double bf = bfgs_max(), bs = brute_max(60);
    gsl_test(bf > L + TINY_N * p.gap, "tiny: BFGS %.17g <= NPMLE %.17g + N gap", bf, L);
    gsl_test_abs(L, bf, 1e-8, "tiny: NPMLE equals the BFGS optimum");
    gsl_test(bs > L + TINY_N * p.gap, "tiny: brute force %.17g <= NPMLE %.17g + N gap",
             bs, L);
    gsl_test(L - bs > 0.05, "tiny: brute force (step 1/60) within 0.05 of NPMLE "
             "(%.6g vs %.6g)", bs, L);
    npmle_free(w);
    data_free(ds);
}

/* ---- properties ------------------------------------------------------------ */

/* Certificate >= 1 and log-likelihood non-decreasing at every step, for
 * plain EM, SQUAREM and constrained Newton, which end at the same optimum;
 * and for Newton with its active set capped at 3 points (its steps are then
 * short, Frank-Wolfe-like: only 300 steps are checked, and that it gains). */
static void test_monotone(void)
{
    data_set *ds = latent2("0.3, 0.7", "1, -1; -1, 1", "2", "4", "1500", 77);
    if (!ds) return;
    static const char *const name[] = {"EM", "SQUAREM", "Newton", "Newton (3)"};
    static const int accel[] = {NPMLE_EM, NPMLE_SQUAREM, NPMLE_NEWTON, NPMLE_NEWTON};
    double theta[25 * 2], Lend[4];
    size_t evals[4];
    npmle_grid(25, 2, 2.0, theta);
    for (int m = 0; m < 4; m++) {
        npmle_params p;
        npmle_params_init(&p);
        p.accel = accel[m];
        if (m == 3) p.newton_support = 3;
        p.gap = 1e-7;
        npmle_workspace *w = npmle_alloc(ds->n_users, 25, 2, max_m(ds), &p);
        gsl_test_int(npmle_set(w, ds, theta, NULL), PREF_OK, "monotone: set");
        double prev = npmle_loglik(w);
        int mono = 1, cert1 = 1;
        size_t it = 0;
        double L0 = prev;
        size_t cap = m == 3 ? 300 : 200000;
        for (; it < cap && npmle_test(w, p.gap) == PREF_CONTINUE; it++) {
            gsl_test_int(npmle_iterate(w), PREF_OK, "monotone: iterate");
            /* Exact ascent up to the rounding of a sum over 1500 users. */
            if (npmle_loglik(w) < prev - 1e-12 * fabs(prev)) mono = 0;
            if (npmle_certificate(w) < 1.0 - 1e-12) cert1 = 0;
            prev = npmle_loglik(w);
        }
        gsl_test(!mono, "monotone: loglik never decreases (%s)", name[m]);
        gsl_test(!cert1, "monotone: certificate >= 1 (%s)", name[m]);
        if (m < 3)
            gsl_test(npmle_test(w, p.gap) != PREF_OK, "monotone: certificate %.12g "
                     "<= 1 + 1e-7 (%s)", npmle_certificate(w), name[m]);
        else
            gsl_test(!(npmle_loglik(w) > L0 + 1.0), "monotone: %s gains (%.10g "
                     "from %.10g)", name[m], npmle_loglik(w), L0);
        Lend[m] = npmle_loglik(w);
        evals[m] = npmle_evaluations(w);
        npmle_free(w);
    }
    /* Each is within N gap of the optimum, so two within 2 N gap. */
    for (int m = 1; m < 3; m++)
        gsl_test_abs(Lend[m], Lend[0], 2 * 1500 * 1e-7, "monotone: %s and EM agree",
                     name[m]);
    gsl_test(evals[1] >= evals[0], "monotone: SQUAREM (%zu EM maps) faster than EM (%zu)",
             evals[1], evals[0]);
    gsl_test(evals[2] >= evals[1], "monotone: Newton (%zu EM maps) faster than "
             "SQUAREM (%zu)", evals[2], evals[1]);
    fprintf(stderr, "test_npmle: N 1500, G 25, gap 1e-7: EM maps: EM %zu, SQUAREM "
            "%zu, Newton %zu\n", evals[0], evals[1], evals[2]);
    data_free(ds);
}

/* A discrete truth on grid points is recovered: W1 to the truth small. */
static void test_recovery_threads(void)
{
    data_set *ds = latent2("0.3, 0.7", "1, -1; -1, 1", "2", "10", "3000", 4242);
    if (!ds) return;
    enum { G = 81 };
    double theta[G * 2], w1, wt[2][G];
    npmle_grid(G, 2, 2.0, theta); /* spacing 0.5: (1, -1) and (-1, 1) are points */
    for (int t = 0; t < 2; t++) {
        npmle_params p;
        npmle_params_init(&p);
        p.threads = t + 1;
        npmle_workspace *w = npmle_alloc(ds->n_users, G, 2, max_m(ds), &p);
        gsl_test_int(npmle_run(w, ds, theta, NULL), PREF_OK, "recovery: run");
        gsl_test(!npmle_converged(w), "recovery: converged");
        memcpy(wt[t], npmle_weights(w), sizeof wt[t]);
        npmle_free(w);
    }
    gsl_test(memcmp(wt[0], wt[1], sizeof wt[0]) != 0,
             "recovery: identical weights for 1 and 2 threads");
    const double teta[2] = {0.3, 0.7}, tth[4] = {1, -1, -1, 1};
    double sw[G], sth[G * 2];
    size_t k = npmle_support(wt[0], theta, G, 2, 1e-12, sw, sth);
    gsl_test_int(w1_distance(k, sw, sth, 2, teta, tth, 2, &w1), PREF_OK,
                 "recovery: W1 (%s)", pref_last_error());
    /* Measured 0.0324 at this seed (N 3000, 10 full rankings of 3 each);
     * 0.1 is a fifth of the distance between a grid point and its
     * neighbour, so a wrong atom or a misplaced 10% of the mass fails. */
    gsl_test(!(w1 < 0.1), "recovery: W1 to the truth %.4g < 0.1", w1);
    fprintf(stderr, "test_npmle: recovery W1 %.4g\n", w1);
    data_free(ds);
}

/* A user with 3000 answers: L_i underflows double, the NPMLE does not. */
static void test_underflow(void)
{
    static const char *const kv[] = {
        "population.kind", "polarised", "population.b", "1, -0.5",
        "design.d", "2", "design.m", "3", "design.answer", "full",
        "design.T", "3000", "design.users", "4", NULL};
    data_set *ds = make_data(kv, 9);
    if (!ds) return;
    double theta[9 * 2];
    npmle_grid(9, 2, 1.5, theta);
    double LL[4 * 9], uw[9];
    for (size_t i = 0; i < 4; i++)
        for (size_t r = 0; r < 9; r++) LL[i * 9 + r] = user_ll(ds, i, theta + 2 * r);
    gsl_test(exp(LL[0]) != 0.0, "underflow: exp(log L) is 0 here (%g)", LL[0]);
    for (size_t r = 0; r < 9; r++) uw[r] = 1.0 / 9;
    npmle_workspace *w = npmle_alloc(4, 9, 2, max_m(ds), NULL);
    gsl_test_int(npmle_set(w, ds, theta, NULL), PREF_OK, "underflow: set");
    gsl_test_rel(npmle_loglik(w), mix_ll(LL, 4, 9, uw), 1e-13,
                 "underflow: loglik at uniform weights finite and right");
    npmle_free(w);
    data_free(ds);
}

/* The likelihood rows against their plain computation: pl_utilities,
 * pl_loglik and libm exp, user by user and point by point. npmle.c takes
 * the same log-sum-exps with vecops_expneg and vecops_log over many points
 * at once, so each of a user's K log-sum-exp steps (m - 1 a query) may
 * differ by a few ulps: the exp (relative 4e-16, vecops.h), the rounding of
 * 1 + exp and the log (1 ulp each) give < 4 eps absolute in the step, and
 * adding the larger argument (|u| <= U) rounds to 2 eps (1 + U) more.
 * Each step moves log L_ir by at most that (a log-sum-exp has slopes <= 1),
 * and e_ir = exp(log L_ir - m_i) relatively by the error of log L_ir plus
 * that of m_i plus its own exp's: hence the relative tolerance
 * 4 eps (3 + K (3 + 3 U)) per user, about 1e-13 here. 169 points: two
 * chunks of the row. */
static void test_rows(void)
{
    static const char *const kv[] = {
        "population.kind", "polarised", "population.b", "1, -0.5",
        "design.d", "2", "design.m", "5", "design.answer", "topk",
        "design.r", "3", "design.T", "6", "design.users", "40", NULL};
    data_set *ds = make_data(kv, 17);
    if (!ds) return;
    enum { G = 169 };
    double theta[G * 2], u[64], worst = 0.0;
    npmle_grid(G, 2, 3.0, theta);
    npmle_workspace *w = npmle_alloc(ds->n_users, G, 2, max_m(ds), NULL);
    gsl_test_int(npmle_set(w, ds, theta, NULL), PREF_OK, "rows: set");
    size_t fails = 0;
    for (size_t i = 0; i < ds->n_users; i++) {
        double LL[G], mref = -INFINITY, mi, U = 0.0, K = 0.0;
        for (size_t r = 0; r < G; r++) {
            LL[r] = user_ll(ds, i, theta + 2 * r);
            if (LL[r] > mref) mref = LL[r];
            for (size_t q = ds->user_q[i]; q < ds->user_q[i + 1]; q++) {
                size_t m = data_m(ds, q);
                pl_utilities(ds->x + ds->q_cand[q] * ds->d, m, ds->d,
                             theta + 2 * r, u);
                for (size_t j = 0; j < m; j++)
                    if (fabs(u[j]) > U) U = fabs(u[j]);
            }
        }
        for (size_t q = ds->user_q[i]; q < ds->user_q[i + 1]; q++)
            K += (double)(data_m(ds, q) - 1);
        double tol = 4 * DBL_EPSILON * (3 + K * (3 + 3 * U));
        const double *row = npmle_row(w, i, &mi);
        if (fabs(mi - mref) > tol * (1 + fabs(mref))) fails++;
        for (size_t r = 0; r < G; r++) {
            double ref = exp(LL[r] - mref);
            if (ref < 1e-300) continue;
            double rel = fabs(row[r] - ref) / ref;
            if (rel / tol > worst) worst = rel / tol;
            if (!(rel <= tol)) fails++;
        }
    }
    gsl_test_int((int)fails, 0, "rows: e_ir and m_i match pl_loglik and exp");
    fprintf(stderr, "test_npmle: rows' largest relative difference %.3g of the tolerance\n", worst);
    npmle_free(w);
    data_free(ds);
}

static void test_grid(void)
{
    double th[27 * 3], h[3 * 5];
    char buf[256];
    gsl_test_int(npmle_grid(27, 3, 1.5, th), PREF_OK, "grid: 3^3");
    /* Point 5 = (0, 1, 2) in base 3: (-1.5, 0, 1.5). */
    gsl_test_abs(th[5 * 3 + 0], -1.5, 0, "grid: axis 1 slowest");
    gsl_test_abs(th[5 * 3 + 1], 0.0, 0, "grid: axis 2");
    gsl_test_abs(th[5 * 3 + 2], 1.5, 0, "grid: axis 3 fastest");
    gsl_test(npmle_grid_check(30, 2, 1, buf, sizeof buf) == NULL, "grid: 30 not square");
    gsl_test(strstr(buf, "25 or 36") == NULL, "grid: message names 25 or 36: %s", buf);
    gsl_test(npmle_grid_check(1, 1, 1, buf, sizeof buf) == NULL, "grid: G 1 refused");
    gsl_test(npmle_grid_check(9, 2, 0, buf, sizeof buf) == NULL, "grid: R 0 refused");
    gsl_test(npmle_grid_check(9, 2, -1, buf, sizeof buf) == NULL, "grid: R < 0 refused");
    gsl_test(npmle_grid_check(3, 2, 1, buf, sizeof buf) == NULL, "grid: n 1 refused");
    /* Halton, d = 5: index 1 gives 1/2, 1/3, 1/5, 1/7, 1/11 in the unit cube;
     * index 3 gives 3/4, 1/9 + 0/3 ... (hand: 3 = 11_2 -> 3/4; 3 = 10_3 -> 1/9). */
    gsl_test_int(npmle_grid(3, 5, 2.0, h), PREF_OK, "grid: Halton");
    gsl_test_abs(h[0], 0.0, 1e-15, "grid: Halton (1, base 2)");
    gsl_test_abs(h[1], 2.0 * (2.0 / 3 - 1), 1e-15, "grid: Halton (1, base 3)");
    gsl_test_abs(h[4], 2.0 * (2.0 / 11 - 1), 1e-15, "grid: Halton (1, base 11)");
    gsl_test_abs(h[10], 2.0 * (1.5 - 1), 1e-15, "grid: Halton (3, base 2)");
    gsl_test_abs(h[11], 2.0 * (2.0 / 9 - 1), 1e-15, "grid: Halton (3, base 3)");
    gsl_test(npmle_bytes((size_t)1 << 40, (size_t)1 << 40, 2) != SIZE_MAX,
             "grid: npmle_bytes overflow is SIZE_MAX");
    gsl_test(npmle_bytes(1000, 400, 2) < 1000 * 400 * 8, "grid: bytes >= 8 N G");
}

int main(void)
{
    gsl_set_error_handler_off();
    test_grid();
    test_rows();
    test_tiny();
    test_monotone();
    test_underflow();
    test_recovery_threads();
    exit(gsl_test_summary());
}
