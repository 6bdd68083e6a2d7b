/* test_mmra_kl.c — KL-exact MMRA (mmra_kl.h) against the project's value
 * and regret code and against independent solvers.
 *
 * References and their provenance:
 *  - the identity Regret_k(e_j) = beta (L_jj - L_kj) with L from
 *    pool_value_matrix (pool.h), on random pools and random one-hidden-layer
 *    policies with a non-uniform reference (derivation in mmra_kl.h);
 *  - Regret_k(w) = eval_true_regret (eval.h) for mixtures w, where type k's
 *    true reward is linear, theta_k . x, and policy k is the linear policy
 *    log pi_k = (theta_k / beta + rho) . x + const for the reference
 *    log pi_ref = rho . x + const: then theta_k . x = beta log(pi_k / pi_ref)
 *    up to a per-prompt constant, which no regret sees;
 *  - the simplex gradient G against central finite differences along
 *    e_j - e_l (directions inside the simplex);
 *  - K = 2: the problem is min over l in [0, 1] of a convex function of
 *    one variable; golden-section search to |dl| < 1e-13 gives the optimum;
 *  - K = 3, 4: projected subgradient descent (Euclidean projection onto the
 *    simplex, step 1 / sqrt(t)), 200000 steps, best value kept; it is an
 *    upper bound, so the cutting-plane lower bound must lie below it and
 *    the cutting-plane upper bound within 1e-5 relative of it.
 * Every validation path is provoked on purpose. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_test.h>

#include "err.h"
#include "eval.h"
#include "mmra_kl.h"
#include "nn.h"
#include "policyio.h"
#include "pool.h"
#include "sim.h"

/* A world: pools of P candidates for n prompts in d features with the
 * reference log pi_ref = rho . x + const, and K policies of network net. */
typedef struct world {
    pool_set *ps;
    policy_set *pols;
    double rho[8];
    double *logp;   /* (K, n_items) */
    size_t K, n, P, d;
} world;

static void world_free(world *w)
{
    pool_free(w->ps);
    policy_set_free(w->pols);
    free(w->logp);
}

/* Random world; scale multiplies the policies' parameters (larger: more
 * distinct policies). layers 0 makes the policies linear. */
static void world_make(world *w, gsl_rng *r, size_t K, size_t n, size_t P,
                       size_t layers, double scale, double beta)
{
    size_t d = 3;
    memset(w, 0, sizeof *w);
    w->K = K, w->n = n, w->P = P, w->d = d;
    int err;
    w->ps = pool_alloc(n, n * P, d, &err);
    nn_config net = {d, layers ? 5 : 0, layers, NN_TANH};
    w->pols = policy_set_alloc(&net, beta, K, &err);
    w->logp = malloc(K * n * P * sizeof *w->logp);
    for (size_t j = 0; j < d; j++) w->rho[j] = gsl_ran_gaussian(r, 0.7);
    for (size_t p = 0; p <= n; p++) w->ps->off[p] = p * P;
    for (size_t y = 0; y < n * P; y++) {
        double s = 0;
        for (size_t j = 0; j < d; j++) {
            w->ps->x[y * d + j] = gsl_ran_gaussian(r, 1.0);
            s += w->rho[j] * w->ps->x[y * d + j];
        }
        w->ps->logp_ref[y] = s;
    }
    for (size_t p = 0; p < n; p++) {   /* normalise the reference per pool */
        double m = -INFINITY, s = 0, *l = w->ps->logp_ref + p * P;
        for (size_t y = 0; y < P; y++) m = l[y] > m ? l[y] : m;
        for (size_t y = 0; y < P; y++) s += exp(l[y] - m);
        for (size_t y = 0; y < P; y++) l[y] -= m + log(s);
    }
    size_t np = w->pols->n_params;
    for (size_t k = 0; k < K; k++)
        for (size_t i = 0; i < np; i++)
            w->pols->params[k * np + i] = scale * gsl_ran_gaussian(r, 1.0);
    gsl_test_int(mmra_kl_logprobs(w->ps, w->pols, w->logp), PREF_OK, "logprobs");
}

static mmra_kl_problem problem_of(const world *w, const double *c)
{
    mmra_kl_problem pr = {w->K, w->n, w->ps->off, w->logp, c, w->pols->beta};
    return pr;
}

/* Regret at vertices against the value matrix of pool.h. */
static void test_vertices(gsl_rng *r)
{
    for (size_t K = 2; K <= 4; K++) {
        world w;
        world_make(&w, r, K, 7, 5, 1, 0.9, 0.37);
        double L[16], R[4], e[4], work[64];
        gsl_test_int(pool_value_matrix(w.ps, w.pols, L), PREF_OK, "value matrix");
        mmra_kl_problem pr = problem_of(&w, NULL);
        gsl_test(mmra_kl_problem_check(&pr) != NULL, "problem valid");
        for (size_t j = 0; j < K; j++) {
            for (size_t i = 0; i < K; i++) e[i] = i == j;
            mmra_kl_eval(&pr, e, R, NULL, work);
            for (size_t k = 0; k < K; k++)
                gsl_test_abs(R[k], 0.37 * (L[j * K + j] - L[k * K + j]), 1e-12,
                             "K=%zu regret of type %zu at vertex %zu = beta(L_jj - L_kj)",
                             K, k, j);
        }
        world_free(&w);
    }
}

/* The simplex gradient against finite differences along e_j - e_l. */
static void test_gradient(gsl_rng *r)
{
    world w;
    world_make(&w, r, 4, 6, 4, 1, 1.1, 0.6);
    double c[4] = {1.3, 0.7, 2.1, 1.0};
    mmra_kl_problem pr = problem_of(&w, c);
    double wt[4] = {0.31, 0.17, 0.29, 0.23}, G[16], R[4], Rp[4], Rm[4], work[64];
    mmra_kl_eval(&pr, wt, R, G, work);
    double s[4] = {0};
    for (size_t k = 0; k < 4; k++)
        for (size_t j = 0; j < 4; j++) s[k] += wt[j] * G[k * 4 + j];
    for (size_t k = 0; k < 4; k++)
        gsl_test_rel(s[k], R[k], 1e-12, "w . G_k = R_k (cuts through the origin)");
    double h = 1e-5;
    for (size_t j = 0; j < 4; j++) {
        size_t l = (j + 1) % 4;
        double wp[4], wm[4];
        memcpy(wp, wt, sizeof wp);
        memcpy(wm, wt, sizeof wm);
        wp[j] += h, wp[l] -= h, wm[j] -= h, wm[l] += h;
        mmra_kl_eval(&pr, wp, Rp, NULL, work);
        mmra_kl_eval(&pr, wm, Rm, NULL, work);
        for (size_t k = 0; k < 4; k++)
            gsl_test_abs((Rp[k] - Rm[k]) / (2 * h), G[k * 4 + j] - G[k * 4 + l],
                         1e-8, "gradient of type %zu along e_%zu - e_%zu", k, j, l);
    }
    world_free(&w);
}

/* Mixture regret against eval_true_regret with linear true rewards. */
static void test_true_regret(gsl_rng *r)
{
    size_t K = 3, n = 9, P = 6, d = 3;
    double beta = 0.45;
    world w;
    world_make(&w, r, K, n, P, 0, 0.8, beta);
    /* policy k: f_k = a_k . x + b_k; true reward theta_k = beta (a_k - rho) */
    double theta[3 * 3], eta[3] = {0.2, 0.3, 0.5};
    size_t np = w.pols->n_params;   /* d weights, then the bias */
    for (size_t k = 0; k < K; k++)
        for (size_t j = 0; j < d; j++)
            theta[k * d + j] = beta * (w.pols->params[k * np + j] - w.rho[j]);
    sim_population pop = {0};
    pop.d = d, pop.K = K, pop.eta = eta, pop.theta = theta;
    pop.reward = SIM_LINEAR, pop.reward_scale = 1;
    sim_design g = {0};
    g.d = d, g.pool = P, g.prompts = n;
    g.pool_x = w.ps->x, g.pool_logp = w.ps->logp_ref;
    mmra_kl_problem pr = problem_of(&w, NULL);
    double *buf = malloc(eval_regret_work_size(&w.pols->net, P) * sizeof *buf);
    double R[3], work[64];
    double mixes[3][3] = {{0.2, 0.5, 0.3}, {1, 0, 0}, {0, 0.61, 0.39}};
    for (int m = 0; m < 3; m++) {
        mmra_kl_eval(&pr, mixes[m], R, NULL, work);
        for (size_t t = 0; t < K; t++) {
            double tr = eval_true_regret(&pop, &g, 0, n, &w.pols->net,
                                         w.pols->params, np, K, mixes[m], t,
                                         beta, buf);
            gsl_test_abs(R[t], tr, 1e-10 * (1e-6 + fabs(tr)), "mixture %d: beta E KL(pi_w || pi_%zu) "
                         "= eval_true_regret (%.6g)", m, t, tr);
        }
    }
    free(buf);
    world_free(&w);
}

/* max_k R_k at w = (l, 1 - l). */
static double f2(const mmra_kl_problem *pr, double l, double *work)
{
    double w[2] = {l, 1 - l}, R[2];
    return mmra_kl_eval(pr, w, R, NULL, work);
}

/* K = 2 against golden-section search on l. */
static void test_k2(gsl_rng *r)
{
    for (int rep = 0; rep < 6; rep++) {
        world w;
        world_make(&w, r, 2, 5 + rep, 4, 1, 0.5 + 0.4 * rep, 0.2 + 0.1 * rep);
        double c[2] = {1.0, 1.0 + rep};
        mmra_kl_problem pr = problem_of(&w, c);
        double work[64], a = 0, b = 1, g = (sqrt(5) - 1) / 2;
        double x1 = b - g * (b - a), x2 = a + g * (b - a);
        double f1 = f2(&pr, x1, work), fx2 = f2(&pr, x2, work);
        while (b - a > 1e-13) {
            if (f1 < fx2) {
                b = x2, x2 = x1, fx2 = f1, x1 = b - g * (b - a), f1 = f2(&pr, x1, work);
            } else {
                a = x1, x1 = x2, f1 = fx2, x2 = a + g * (b - a), fx2 = f2(&pr, x2, work);
            }
        }
        double best = fmin(f2(&pr, (a + b) / 2, work), fmin(f2(&pr, 0, work), f2(&pr, 1, work)));
        mmra_kl_result *res = mmra_kl_result_alloc(2);
        mmra_kl_params p;
        mmra_kl_params_init(&p);
        for (int tight = 0; tight < 2; tight++) {
            /* default gap 1e-8: the guarantee is worst - optimum <= gap worst;
             * gap 1e-11: the optimum to 1e-9 */
            if (tight) p.gap = 1e-11;
            gsl_test_int(mmra_kl_solve(&pr, &p, res), PREF_OK, "K=2 solve");
            gsl_test(!res->converged, "K=2 rep %d gap %g converged in %zu rounds",
                     rep, p.gap, res->rounds);
            gsl_test(res->worst - best > p.gap * res->worst + 1e-15 * best,
                     "K=2 rep %d gap %g: upper bound within the gap of the golden "
                     "section optimum", rep, p.gap);
            if (tight)
                gsl_test_rel(res->worst, best, 1e-9, "K=2 rep %d: optimum to 1e-9", rep);
            gsl_test(res->lower > best * (1 + 1e-12), "K=2 rep %d: lower bound "
                     "%.17g <= optimum %.17g", rep, res->lower, best);
            double R[2];
            gsl_test_rel(mmra_kl_eval(&pr, res->w, R, NULL, work), res->worst, 1e-14,
                         "K=2: worst attained by the returned weights");
            printf("K=2 rep %d gap %g: rounds %zu, upper %.17g, golden %.17g, rel "
                   "gap %.2g, rel err %.2g\n", rep, p.gap, res->rounds, res->worst,
                   best, (res->worst - res->lower) / res->worst,
                   fabs(res->worst - best) / best);
        }
        mmra_kl_result_free(res);
        world_free(&w);
    }
}

/* Euclidean projection onto the simplex (sort-free bisection on the
 * threshold, 100 halvings: exact to rounding for K <= 8). */
static void project(size_t K, double *v)
{
    double lo = -1e300, hi = 1e300;
    for (size_t j = 0; j < K; j++) {
        lo = j == 0 || v[j] - 1 < lo ? v[j] - 1 : lo;
        hi = j == 0 || v[j] > hi ? v[j] : hi;
    }
    for (int it = 0; it < 200; it++) {
        double m = (lo + hi) / 2, s = 0;
        for (size_t j = 0; j < K; j++) s += fmax(v[j] - m, 0);
        if (s > 1) lo = m;
        else hi = m;
    }
    double s = 0;
    for (size_t j = 0; j < K; j++) s += v[j] = fmax(v[j] - hi, 0);
    for (size_t j = 0; j < K; j++) v[j] /= s;
}

/* K = 3, 4 against projected subgradient descent. */
static void test_subgradient(gsl_rng *r)
{
    for (size_t K = 3; K <= 4; K++)
        for (int rep = 0; rep < 2; rep++) {
            world w;
            world_make(&w, r, K, 8, 5, 1, 0.8 + 0.5 * rep, 0.3);
            double c[4] = {1.0, 1.7, 0.8, 1.2};
            mmra_kl_problem pr = problem_of(&w, rep ? c : NULL);
            double x[4], R[4], G[16], work[64], best = INFINITY;
            for (size_t j = 0; j < K; j++) x[j] = 1.0 / (double)K;
            double gmax = 0;
            mmra_kl_eval(&pr, x, R, G, work);
            for (size_t i = 0; i < K * K; i++) gmax = fmax(gmax, fabs(G[i]));
            for (size_t t = 1; t <= 200000; t++) {
                double f = mmra_kl_eval(&pr, x, R, G, work);
                size_t k = 0;
                for (size_t i = 1; i < K; i++) k = R[i] > R[k] ? i : k;
                best = fmin(best, f);
                double step = 0.5 / (gmax * sqrt((double)t));
                for (size_t j = 0; j < K; j++) x[j] -= step * G[k * K + j];
                project(K, x);
            }
            mmra_kl_result *res = mmra_kl_result_alloc(K);
            gsl_test_int(mmra_kl_solve(&pr, NULL, res), PREF_OK, "K=%zu solve", K);
            gsl_test(!res->converged, "K=%zu rep %d converged", K, rep);
            gsl_test(res->lower > best * (1 + 1e-12), "K=%zu rep %d: lower bound "
                     "below the subgradient value", K, rep);
            gsl_test(res->worst > best * (1 + 1e-12), "K=%zu rep %d: cutting plane "
                     "no worse than subgradient", K, rep);
            gsl_test_rel(res->worst, best, 1e-5, "K=%zu rep %d: subgradient "
                         "agrees", K, rep);
            printf("K=%zu rep %d: rounds %zu, upper %.17g, lower %.17g, "
                   "subgradient %.17g, rel diff %.2g\n", K, rep, res->rounds,
                   res->worst, res->lower, best, (best - res->worst) / res->worst);
            mmra_kl_result_free(res);
            world_free(&w);
        }
}

/* Every validation path, and not converging as a status. */
static void test_errors(gsl_rng *r)
{
    mmra_kl_params p;
    mmra_kl_params_init(&p);
    gsl_test(mmra_kl_params_check(&p) != NULL, "defaults valid");
    p.gap = 0;
    gsl_test(mmra_kl_params_check(&p) == NULL, "gap 0 refused");
    p.gap = NAN;
    gsl_test(mmra_kl_params_check(&p) == NULL, "gap NaN refused");
    p.gap = 1;
    gsl_test(mmra_kl_params_check(&p) == NULL, "gap 1 refused");
    mmra_kl_params_init(&p);
    p.max_rounds = 0;
    gsl_test(mmra_kl_params_check(&p) == NULL, "max_rounds 0 refused");

    world w;
    world_make(&w, r, 3, 4, 3, 1, 1.5, 0.5);
    mmra_kl_problem pr = problem_of(&w, NULL);
    mmra_kl_result *res = mmra_kl_result_alloc(3);
    mmra_kl_result *res2 = mmra_kl_result_alloc(2);
    gsl_test_int(mmra_kl_solve(&pr, NULL, res2), PREF_EINPUT, "result size");
    pr.beta = 0;
    gsl_test_int(mmra_kl_solve(&pr, NULL, res), PREF_EINPUT, "beta 0");
    pr.beta = 0.5;
    double c[3] = {1, -1, 1};
    pr.c = c;
    gsl_test_int(mmra_kl_solve(&pr, NULL, res), PREF_EINPUT, "negative weight");
    pr.c = NULL;
    w.logp[4] += 0.1;
    gsl_test_int(mmra_kl_solve(&pr, NULL, res), PREF_EINPUT, "unnormalised: %s",
                 pref_last_error());
    w.logp[4] -= 0.1;
    mmra_kl_params_init(&p);
    p.max_rounds = 1;
    gsl_test_int(mmra_kl_solve(&pr, &p, res), PREF_OK, "one round");
    gsl_test(res->converged, "one round is not converged (a status)");
    gsl_test(!(res->lower <= res->worst), "one round: lower <= upper");
    mmra_kl_solver *s = mmra_kl_alloc(3, 12, 1);
    gsl_test_int(mmra_kl_set(s, &pr, &p), PREF_OK, "set");
    gsl_test_int(mmra_kl_iterate(s), PREF_OK, "iterate");
    gsl_test_int(mmra_kl_iterate(s), PREF_EINPUT, "iterate past max_rounds");
    p.max_rounds = 2;
    gsl_test_int(mmra_kl_set(s, &pr, &p), PREF_EINPUT, "more rounds than allocated");
    mmra_kl_free(s);
    gsl_test(mmra_kl_alloc(0, 1, 1) != NULL, "K = 0 refused");
    mmra_kl_result_free(res);
    mmra_kl_result_free(res2);
    world_free(&w);

    /* one type: regret 0, converged at once */
    world_make(&w, r, 1, 3, 3, 1, 1.0, 0.5);
    pr = problem_of(&w, NULL);
    res = mmra_kl_result_alloc(1);
    gsl_test_int(mmra_kl_solve(&pr, NULL, res), PREF_OK, "K=1");
    gsl_test(!res->converged || res->worst != 0 || res->w[0] != 1, "K=1: w = 1, 0 regret");
    mmra_kl_result_free(res);
    world_free(&w);
}

int main(void)
{
    gsl_set_error_handler_off();
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 20261130);
    test_vertices(r);
    test_gradient(r);
    test_true_regret(r);
    test_k2(r);
    test_subgradient(r);
    test_errors(r);
    gsl_rng_free(r);
    exit(gsl_test_summary());
}
