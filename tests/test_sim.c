/* test_sim.c — the simulator: answer frequencies through the full
 * sim_simulate path against exact mixture probabilities, persistence of a
 * user's type across answers, Gaussian random coefficients, feature laws,
 * and identical output for any thread count. All seeded; statistical checks
 * use a 5-standard-deviation bound. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_test.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "cfg.h"
#include "data.h"
#include "err.h"
#include "pl.h"
#include "rngs.h"
#include "sim.h"

static cfg C;

static void within(double got, double want, double sd, const char *what)
{
    gsl_test(fabs(got - want) > 5 * sd, "%s: %.6g vs %.6g (5 sd = %.3g)", what,
             got, want, 5 * sd);
}

/* Fixture: C reset to the defaults, then the keys kv (pairs, NULL-
 * terminated) set and cross-checked; every status is a check. */
static void config(const char *const *kv, const char *what)
{
    cfg_init(&C);
    int st = PREF_OK;
    for (size_t i = 0; kv[i] && !st; i += 2)
        st = cfg_set_dotted(&C, kv[i], kv[i + 1], NULL, 0);
    if (!st) st = cfg_check(&C);
    gsl_test_int(st, PREF_OK, "%s config (%s)", what, st ? pref_last_error() : "ok");
}

static data_set *simulate(const cfg *c, unsigned long seed, sim_population **pp,
                          sim_design **gg)
{
    sim_population *p = NULL;
    sim_design *g = NULL;
    data_set *ds = NULL;
    gsl_rng *r = rngs_alloc(seed);
    int st = r ? sim_population_from_cfg(c, &p) : PREF_ENOMEM;
    if (!st) st = sim_design_from_cfg(c, r, &g);
    if (!st) st = sim_simulate(p, g, seed + 1, &ds);
    gsl_test_int(st, PREF_OK, "simulate (%s)", pref_last_error());
    gsl_rng_free(r);
    *pp = p;
    *gg = g;
    return ds;
}

/* One prompt with a pool of exactly m candidates: every query shows the same
 * candidates, so outcome frequencies can be checked against exact PL. */
static void test_full_ranking_frequencies(void)
{
    const char *kv[] = {"population.kind", "latent_class", "population.eta", "0.7, 0.3",
                        "population.theta", "1.2, -0.5; -1.0, 1.5", "design.answer",
                        "full", "design.prompts", "1", "design.pool", "3",
                        "design.users", "200000", NULL};
    config(kv, "full ranking");
    sim_population *p;
    sim_design *g;
    data_set *ds = simulate(&C, 99, &p, &g);
    if (!ds) return;
    gsl_test_int(data_check(ds), PREF_OK, "simulated data pass data_check");
    size_t count[9] = {0};
    for (size_t q = 0; q < ds->n_queries; q++) {
        size_t c0 = ds->q_cand[q];
        count[ds->c_item[c0] * 3 + ds->c_item[c0 + 1]]++;
    }
    double u[2][3], v[3];
    for (int k = 0; k < 2; k++)
        pl_utilities(g->pool_x, 3, 2, p->theta + 2 * k, u[k]);
    double n = (double)ds->n_queries;
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) {
            if (a == b) {
                gsl_test(count[a * 3 + b] != 0, "no repeated candidate");
                continue;
            }
            int c = 3 - a - b;
            double prob = 0.0;
            for (int k = 0; k < 2; k++) {
                v[0] = u[k][a];
                v[1] = u[k][b];
                v[2] = u[k][c];
                prob += p->eta[k] * exp(pl_loglik(v, 3, 2));
            }
            within((double)count[a * 3 + b], n * prob,
                   sqrt(n * prob * (1 - prob)), "full-ranking outcome count");
        }
    /* Type frequencies follow eta. */
    size_t k0 = 0;
    for (size_t i = 0; i < ds->n_users; i++) k0 += ds->user_type[i] == 0;
    within((double)k0, 0.7 * (double)ds->n_users,
           sqrt(0.21 * (double)ds->n_users), "type 1 frequency");
    data_free(ds);
    sim_population_free(p);
    sim_design_free(g);
}

/* Polarised population, the same pair asked twice per user: the two answers
 * agree with probability E[s^2 + (1 - s)^2], s = sigma(theta . delta) — above
 * 1/2, which is what independent users would give. */
static void test_type_persists(void)
{
    const char *kv[] = {"population.kind", "polarised", "population.b", "1.5, -0.8",
                        "design.answer", "pair", "design.prompts", "1", "design.pool",
                        "2", "design.T", "2", "design.users", "100000", NULL};
    config(kv, "polarised pair");
    sim_population *p;
    sim_design *g;
    data_set *ds = simulate(&C, 7, &p, &g);
    if (!ds) return;
    size_t agree = 0, first = 0;
    for (size_t i = 0; i < ds->n_users; i++) {
        size_t q = ds->user_q[i];
        uint32_t w1 = ds->c_item[ds->q_cand[q]], w2 = ds->c_item[ds->q_cand[q + 1]];
        agree += w1 == w2;
        first += w1 == 0;
    }
    double u[2];
    pl_utilities(g->pool_x, 2, 2, p->theta, u);
    double s = 1.0 / (1.0 + exp(-(u[0] - u[1])));
    double pa = s * s + (1 - s) * (1 - s), n = (double)ds->n_users;
    within((double)agree, n * pa, sqrt(n * pa * (1 - pa)), "within-user agreement");
    gsl_test(pa < 0.55, "design makes agreement informative (%.3f)", pa);
    /* Marginally a polarised population is indifferent: P(first wins) = 1/2. */
    within((double)first, 0.5 * n, sqrt(0.25 * n), "marginal pair probability 1/2");
    data_free(ds);
    sim_population_free(p);
    sim_design_free(g);
}

static void test_gaussian_population(void)
{
    const char *kv[] = {"design.d", "2", "population.kind", "gaussian",
                        "population.mean", "0.5, -1.5", "population.cov",
                        "2.0, 0.6; 0.6, 0.5", NULL};
    config(kv, "gaussian population");
    sim_population *p = NULL;
    gsl_test_int(sim_population_from_cfg(&C, &p), PREF_OK, "gaussian population");
    if (!p) return;
    gsl_rng *r = rngs_alloc(5);
    gsl_test(r == NULL, "rngs_alloc");
    if (!r) {
        sim_population_free(p);
        return;
    }
    size_t n = 200000;
    double s0 = 0, s1 = 0, s00 = 0, s01 = 0, s11 = 0, th[2];
    size_t typed = 0;
    for (size_t i = 0; i < n; i++) {
        typed += sim_draw_user(p, r, th) != DATA_NONE;
        s0 += th[0];
        s1 += th[1];
        s00 += (th[0] - 0.5) * (th[0] - 0.5);
        s01 += (th[0] - 0.5) * (th[1] + 1.5);
        s11 += (th[1] + 1.5) * (th[1] + 1.5);
    }
    double dn = (double)n;
    gsl_test_int((int)typed, 0, "gaussian users have no discrete type");
    within(s0 / dn, 0.5, sqrt(2.0 / dn), "gaussian mean 1");
    within(s1 / dn, -1.5, sqrt(0.5 / dn), "gaussian mean 2");
    /* Var of a sample (co)variance: (s_aa s_bb + s_ab^2) / n. */
    within(s00 / dn, 2.0, sqrt(2 * 4.0 / dn), "gaussian var 1");
    within(s01 / dn, 0.6, sqrt((2.0 * 0.5 + 0.36) / dn), "gaussian cov 12");
    within(s11 / dn, 0.5, sqrt(2 * 0.25 / dn), "gaussian var 2");
    gsl_rng_free(r);
    sim_population_free(p);

    /* Not positive definite: an input error naming the key. */
    snprintf(C.file, sizeof C.file, "x.ini");
    gsl_test_int(cfg_set_dotted(&C, "population.cov", "1, 2; 2, 1", "x.ini", 9),
                 PREF_OK, "an indefinite covariance parses (it is refused later)");
    gsl_test_int(sim_population_from_cfg(&C, &p), PREF_EINPUT, "indefinite cov");
    gsl_test(!strstr(pref_last_error(), "x.ini:9:"), "message names the line: %s",
             pref_last_error());
}

static void test_feature_laws(void)
{
    const char *law[2] = {"gaussian", "uniform"};
    for (int l = 0; l < 2; l++) {
        const char *kv[] = {"design.features", law[l], "design.feature_scale", "2.5",
                            "design.users", "20000", NULL};
        config(kv, law[l]);
        sim_population *p;
        sim_design *g;
        data_set *ds = simulate(&C, 11, &p, &g);
        if (!ds) return;
        size_t n = ds->n_cands * ds->d;
        double s = 0, ss = 0, s4 = 0;
        for (size_t i = 0; i < n; i++) {
            s += ds->x[i];
            ss += ds->x[i] * ds->x[i];
            s4 += pow(ds->x[i], 4);
        }
        double var = l == 0 ? 6.25 : 6.25 / 3.0;
        double m4 = l == 0 ? 3 * 6.25 * 6.25 : pow(2.5, 4) / 5.0;
        within(s / (double)n, 0.0, sqrt(var / (double)n), "feature mean");
        within(ss / (double)n, var, sqrt((m4 - var * var) / (double)n),
               "feature variance");
        data_free(ds);
        sim_population_free(p);
        sim_design_free(g);
    }
}

/* Same seed, 1 thread vs 2 threads: identical data, byte for byte. */
static void test_thread_invariance(void)
{
#ifdef _OPENMP
    const char *kv[] = {"design.users", "5000", "design.T", "3", "design.d", "4",
                        "population.b", "1", NULL};
    config(kv, "thread invariance");
    sim_population *p1, *p2;
    sim_design *g1, *g2;
    omp_set_num_threads(1);
    data_set *a = simulate(&C, 3, &p1, &g1);
    omp_set_num_threads(2);
    data_set *b = simulate(&C, 3, &p2, &g2);
    if (a && b) {
        gsl_test(memcmp(a->x, b->x, a->n_cands * a->d * sizeof(double)) != 0,
                 "features identical for 1 and 2 threads");
        gsl_test(memcmp(a->c_item, b->c_item, a->n_cands * 4) != 0,
                 "answers identical for 1 and 2 threads");
        gsl_test(memcmp(a->user_type, b->user_type, a->n_users * 4) != 0,
                 "types identical for 1 and 2 threads");
    }
    data_free(a);
    data_free(b);
    sim_population_free(p1);
    sim_population_free(p2);
    sim_design_free(g1);
    sim_design_free(g2);
#endif
}

/* The gaussian population discretised on a fine regular grid (spacing 0.2,
 * the mean 6.7 standard deviations from the edge): weights sum to 1 and
 * their mean and covariance are the population's (lattice and truncation
 * errors are below 1e-10 here: Poisson summation, exp(-2 pi^2 s^2 / h^2)
 * for the smallest standard deviation s = 0.6). A finite population is
 * refused. */
static void test_discretise(void)
{
    const char *kv[] = {"design.d", "2", "population.kind", "gaussian",
                        "population.mean", "0.5, -1.5", "population.cov",
                        "2.0, 0.6; 0.6, 0.5", NULL};
    config(kv, "discretise");
    sim_population *p = NULL;
    gsl_test_int(sim_population_from_cfg(&C, &p), PREF_OK, "discretise: population");
    if (!p) return;
    enum { N = 101, G = N * N };
    static double theta[G * 2], w[G];
    for (size_t a = 0; a < N; a++)
        for (size_t b = 0; b < N; b++) {
            theta[(a * N + b) * 2] = -10.0 + 0.2 * (double)a;
            theta[(a * N + b) * 2 + 1] = -10.0 + 0.2 * (double)b;
        }
    gsl_test_int(sim_population_discretise(p, theta, G, w), PREF_OK, "discretise");
    double s = 0, m0 = 0, m1 = 0, c00 = 0, c01 = 0, c11 = 0;
    for (size_t r = 0; r < G; r++) {
        double x = theta[2 * r], y = theta[2 * r + 1];
        s += w[r];
        m0 += w[r] * x;
        m1 += w[r] * y;
        c00 += w[r] * (x - 0.5) * (x - 0.5);
        c01 += w[r] * (x - 0.5) * (y + 1.5);
        c11 += w[r] * (y + 1.5) * (y + 1.5);
    }
    gsl_test_abs(s, 1.0, 1e-12, "discretise: weights sum to 1");
    gsl_test_abs(m0, 0.5, 1e-9, "discretise: mean 1");
    gsl_test_abs(m1, -1.5, 1e-9, "discretise: mean 2");
    gsl_test_abs(c00, 2.0, 1e-8, "discretise: variance 1");
    gsl_test_abs(c01, 0.6, 1e-8, "discretise: covariance");
    gsl_test_abs(c11, 0.5, 1e-8, "discretise: variance 2");
    sim_population_free(p);
    const char *kf[] = {"design.d", "2", "population.kind", "polarised", NULL};
    config(kf, "discretise: polarised");
    gsl_test_int(sim_population_from_cfg(&C, &p), PREF_OK, "discretise: polarised");
    if (p)
        gsl_test_int(sim_population_discretise(p, theta, G, w), PREF_EINPUT,
                     "discretise: a finite population is refused");
    sim_population_free(p);
}

int main(void)
{
    /* As hetpref's main does: GSL errors come back as status codes. */
    gsl_set_error_handler_off();
    test_full_ranking_frequencies();
    test_type_persists();
    test_gaussian_population();
    test_discretise();
    test_feature_laws();
    test_thread_invariance();
    exit(gsl_test_summary());
}
