/* test_identify.c — identifiability: observational equivalence, normalisation and indexing of the
 * joint-outcome law, the Fisher information against minus the expected
 * Hessian by central finite differences of log P (the reference with
 * provenance), its null space under pairs, the K = 1 closed form, thread-count
 * invariance, and every error path of the command body. All seeded. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_test.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "cfg.h"
#include "err.h"
#include "identify.h"
#include "identify_tables.h"
#include "pl.h"
#include "rngs.h"
#include "sim.h"

/* A finite population over caller-owned arrays (never freed). */
static sim_population pop_of(size_t K, size_t d, double *eta, double *theta)
{
    sim_population p;
    memset(&p, 0, sizeof p);
    p.K = K;
    p.d = d;
    p.eta = eta;
    p.theta = theta;
    return p;
}

/* Fresh N(0, 1) features for every query, no pools. */
static sim_design design_of(size_t d, size_t m, size_t r, size_t T)
{
    sim_design g;
    memset(&g, 0, sizeof g);
    g.d = d;
    g.m = m;
    g.r = r;
    g.T = T;
    g.users = 1;
    g.uniform = 0;
    g.scale = 1.0;
    return g;
}

/* ---- observational equivalence ------------------------------------------ */

static void equivalence_case(size_t d, const double *b, unsigned long seed)
{
    double eta_a[2] = {0.5, 0.5}, th_a[8], eta_b[1] = {1.0}, th_b[4] = {0};
    for (size_t j = 0; j < d; j++) {
        th_a[j] = b[j];
        th_a[d + j] = -b[j];
    }
    sim_population A = pop_of(2, d, eta_a, th_a), B = pop_of(1, d, eta_b, th_b);
    gsl_rng *rng = rngs_alloc(seed);
    for (size_t k = 0; k < IDENTIFY_N_EQUIV_KINDS; k++) {
        identify_kind ek;
        char name[32];
        identify_kind_at(&identify_equiv_kinds[k], 3, &ek, name, sizeof name);
        const identify_kind *e = &ek;
        sim_design g = design_of(d, e->m, e->r, e->T);
        double mx = -1, mean = -1;
        int st = identify_equivalence(&A, &B, &g, e->T, 3000, rng, &mx, &mean);
        gsl_test_int(st, PREF_OK, "equivalence %s d=%zu (%s)", e->name, d,
                     pref_last_error());
        if (strcmp(e->name, "pair") == 0) {
            gsl_test(!(mx <= 1e-12), "pairs, d=%zu: polarised = indifferent: "
                     "max |diff| = %.3g <= 1e-12", d, mx);
            gsl_test(!(mean <= 1e-13), "pairs, d=%zu: mean |diff| = %.3g", d,
                     mean);
        } else {
            gsl_test(!(mx > 1e-3), "%s, d=%zu: distinguishable: max |diff| = "
                     "%.3g > 1e-3", e->name, d, mx);
            gsl_test(!(mean > 0), "%s, d=%zu: mean |diff| = %.3g > 0", e->name,
                     d, mean);
        }
    }
    gsl_rng_free(rng);
}

static void test_equivalence(void)
{
    double b2[2] = {1.5, -0.8}, b3[3] = {2.385, -0.7, 1.1};
    equivalence_case(2, b2, 11);
    equivalence_case(3, b3, 12);
    /* Uniform features and candidate pools take the same path. */
    double eta_a[2] = {0.5, 0.5}, th_a[4] = {0.9, 0.4, -0.9, -0.4};
    double eta_b[1] = {1.0}, th_b[2] = {0, 0};
    sim_population A = pop_of(2, 2, eta_a, th_a), B = pop_of(1, 2, eta_b, th_b);
    double pool_x[5 * 4 * 2];
    gsl_rng *rng = rngs_alloc(13);
    for (size_t i = 0; i < 40; i++) pool_x[i] = 2 * gsl_rng_uniform(rng) - 1;
    sim_design g = design_of(2, 2, 1, 1);
    g.prompts = 5;
    g.pool = 4;
    g.pool_x = pool_x;
    sim_design_use_prompts(&g, 0);
    double mx, mean;
    gsl_test_int(identify_equivalence(&A, &B, &g, 1, 500, rng, &mx, &mean),
                 PREF_OK, "equivalence with pools");
    gsl_test(!(mx <= 1e-12), "pairs from pools: max |diff| = %.3g", mx);
    g.m = 3;
    gsl_test_int(identify_equivalence(&A, &B, &g, 1, 500, rng, &mx, &mean),
                 PREF_OK, "equivalence with pools, m = 3");
    gsl_test(!(mx > 1e-3), "top-1 of 3 from pools: max |diff| = %.3g", mx);
    gsl_rng_free(rng);
}

/* ---- the joint law --------------------------------------------------------- */

static void test_total_probability(void)
{
    double eta3[3] = {0.2, 0.5, 0.3};
    double th3[6] = {1.2, -0.5, -1.0, 1.5, 0.3, 0.8};
    double eta2[2] = {0.5, 0.5}, th2[4] = {1.5, -0.8, -1.5, 0.8};
    double eta1[1] = {1.0}, th1[2] = {0, 0};
    sim_population pops[3] = {pop_of(3, 2, eta3, th3), pop_of(2, 2, eta2, th2),
                              pop_of(1, 2, eta1, th1)};
    const size_t kinds[][3] = {{2, 1, 1}, {3, 1, 2}, {3, 2, 2}, {4, 2, 1},
                               {2, 1, 5}, {4, 3, 2}};
    gsl_rng *rng = rngs_alloc(21);
    for (size_t q = 0; q < sizeof kinds / sizeof kinds[0]; q++) {
        size_t m = kinds[q][0], r = kinds[q][1], T = kinds[q][2];
        size_t N = identify_n_outcomes(m, r, T);
        identify_workspace *w = identify_workspace_alloc(3, 2, m, r, T, NULL);
        double *prob = malloc(N * sizeof(double));
        double *x = malloc(T * m * 2 * sizeof(double));
        gsl_test(w == NULL || identify_workspace_outcomes(w) != N,
                 "workspace m=%zu r=%zu T=%zu", m, r, T);
        for (size_t des = 0; des < 20 && w; des++) {
            for (size_t i = 0; i < T * m * 2; i++)
                x[i] = gsl_ran_gaussian_ziggurat(rng, 1.0);
            for (size_t k = 0; k < 3; k++) {
                int st = identify_joint_probs(&pops[k], x, w, prob);
                if (des == 0 || st)
                    gsl_test_int(st, PREF_OK, "joint probs: population %zu, "
                                 "m=%zu r=%zu T=%zu", k, m, r, T);
                double s = 0.0;
                for (size_t o = 0; o < N; o++) s += prob[o];
                if (des == 0 || fabs(s - 1) > 1e-12)
                    gsl_test_abs(s, 1.0, 1e-12, "sum_o P(o) = 1: population "
                                 "%zu, m=%zu r=%zu T=%zu", k, m, r, T);
            }
        }
        identify_workspace_free(w);
        free(prob);
        free(x);
    }
    gsl_rng_free(rng);
}

/* The indexing contract: full rankings of 3, T = 2, joint index 6 j0 + j1,
 * query outcomes in lexicographic order of the permutation (written out by
 * hand), P = sum_k eta_k prod_t P_PL. */
static void test_outcome_index(void)
{
    static const unsigned perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
                                         {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    double eta[2] = {0.7, 0.3}, th[4] = {1.2, -0.5, -1.0, 1.5};
    sim_population p = pop_of(2, 2, eta, th);
    double x[12] = {0.3, -1.1, 2.385, 0.4, -0.7, 0.9,
                    1.6, 0.2, -0.35, -1.4, 0.05, 0.77};
    int err;
    identify_workspace *w = identify_workspace_alloc(2, 2, 3, 2, 2, &err);
    gsl_test_int(err, PREF_OK, "outcome index: workspace");
    if (!w) return;
    double prob[36];
    gsl_test_int(identify_joint_probs(&p, x, w, prob), PREF_OK, "outcome index: joint probs");
    double worst = 0.0;
    for (size_t j0 = 0; j0 < 6; j0++)
        for (size_t j1 = 0; j1 < 6; j1++) {
            double want = 0.0;
            for (size_t k = 0; k < 2; k++) {
                double ll = 0.0;
                for (size_t t = 0; t < 2; t++) {
                    const unsigned *pm = perms[t == 0 ? j0 : j1];
                    double u[3];
                    for (size_t i = 0; i < 3; i++) {
                        const double *xi = x + t * 6 + pm[i] * 2;
                        u[i] = xi[0] * th[k * 2] + xi[1] * th[k * 2 + 1];
                    }
                    ll += pl_loglik(u, 3, 2);
                }
                want += eta[k] * exp(ll);
            }
            double e = fabs(prob[6 * j0 + j1] - want) / want;
            if (e > worst) worst = e;
        }
    gsl_test(worst > 1e-13, "joint outcome index = lexicographic permutations, "
             "query 0 most significant (rel err %.3g)", worst);
    identify_workspace_free(w);
}

/* ---- Fisher information ----------------------------------------------------- */

static size_t count_below(const identify_fisher_result *r, double rel)
{
    size_t n = 0;
    double lmax = r->eval[r->dim - 1];
    for (size_t i = 0; i < r->dim; i++) n += r->eval[i] < rel * lmax;
    return n;
}

static void fisher_polarised_case(size_t d, const double *b)
{
    double eta[2] = {0.5, 0.5}, th[8];
    for (size_t j = 0; j < d; j++) {
        th[j] = b[j];
        th[d + j] = -b[j];
    }
    sim_population p = pop_of(2, d, eta, th);
    int err;
    identify_fisher_result *res = identify_fisher_result_alloc(2, d, &err);
    gsl_test_int(err, PREF_OK, "fisher result d=%zu", d);
    if (!res) return;
    for (size_t k = 0; k < IDENTIFY_N_FISHER_KINDS; k++) {
        identify_kind ek;
        char name[32];
        identify_kind_at(&identify_fisher_kinds[k], 3, &ek, name, sizeof name);
        const identify_kind *e = &ek;
        sim_design g = design_of(d, e->m, e->r, 1);
        int st = identify_fisher(&p, &g, 1, 31 + k, NULL, res);
        gsl_test_int(st, PREF_OK, "fisher %s d=%zu (%s)", e->name, d,
                     pref_last_error());
        size_t below10 = count_below(res, 1e-10), below6 = count_below(res, 1e-6);
        if (strcmp(e->name, "pair") == 0) {
            gsl_test(below10 < d, "pairs, polarised, d=%zu: %zu eigenvalues "
                     "below 1e-10 lambda_max (want >= d; lambda_min = %.3g, "
                     "lambda_max = %.3g)", d, below10, res->eval[0],
                     res->eval[res->dim - 1]);
            gsl_test(res->rank > res->dim - d, "pairs: rank %zu <= dim - d",
                     res->rank);
        } else {
            gsl_test(below6 != 0, "%s, polarised, d=%zu: no eigenvalue below "
                     "1e-6 lambda_max (lambda_min = %.3g, lambda_max = %.3g)",
                     e->name, d, res->eval[0], res->eval[res->dim - 1]);
            gsl_test(res->rank != res->dim, "%s: full rank", e->name);
            gsl_test(!(res->eval_se[0] > 0 && res->eval_se[0] < res->eval[0]),
                     "%s: MC SE of lambda_min %.3g is positive and below it "
                     "(%.3g)", e->name, res->eval_se[0], res->eval[0]);
        }
        for (size_t i = 1; i < res->dim; i++)
            if (res->eval[i] < res->eval[i - 1])
                gsl_test(1, "%s: eigenvalues ascending", e->name);
    }
    identify_fisher_result_free(res);
}

static void test_fisher_polarised(void)
{
    double b2[2] = {1.5, -0.8}, b3[3] = {2.385, -0.7, 1.1};
    fisher_polarised_case(2, b2);
    fisher_polarised_case(3, b3);
}

/* log P(o) for every outcome at parameter phi = (theta (K d), alpha (K-1)).
 * Returns identify_joint_probs's status. */
static int logp_at(const double *phi, size_t K, size_t d, const double *x,
                    identify_workspace *w, double *out)
{
    double eta[8], th[64], z = 1.0;
    for (size_t k = 0; k + 1 < K; k++) z += exp(phi[K * d + k]);
    for (size_t k = 0; k < K; k++)
        eta[k] = (k + 1 < K ? exp(phi[K * d + k]) : 1.0) / z;
    memcpy(th, phi, K * d * sizeof(double));
    sim_population p = pop_of(K, d, eta, th);
    size_t N = identify_workspace_outcomes(w);
    int st = identify_joint_probs(&p, x, w, out);
    for (size_t o = 0; o < N; o++) out[o] = log(out[o]);
    return st;
}

/* Reference: I = -sum_o P(o) d2 log P(o) / dphi2, the Hessian by central
 * differences, H_ab ~ [f(+a+b) - f(+a-b) - f(-a+b) + f(-a-b)] / (4 h^2). */
static void fisher_fd_case(size_t K, size_t d, size_t m, size_t r, size_t T,
                           const double *eta, const double *theta,
                           unsigned long seed)
{
    size_t D = identify_dim(K, d), N = identify_n_outcomes(m, r, T);
    double phi[64], ph[64];
    memcpy(phi, theta, K * d * sizeof(double));
    for (size_t k = 0; k + 1 < K; k++) phi[K * d + k] = log(eta[k] / eta[K - 1]);
    int err, st = PREF_OK;
    identify_workspace *w = identify_workspace_alloc(K, d, m, r, T, &err);
    gsl_test_int(err, PREF_OK, "fisher by differences: workspace");
    if (!w) return;
    double *x = malloc(T * m * d * sizeof(double));
    double *info = malloc(D * D * sizeof(double));
    double *ref = calloc(D * D, sizeof(double));
    double *score = malloc(D * sizeof(double));
    double *p0 = malloc(N * sizeof(double));
    double *f[4];
    for (size_t i = 0; i < 4; i++) f[i] = malloc(N * sizeof(double));
    gsl_rng *rng = rngs_alloc(seed);
    for (size_t i = 0; i < T * m * d; i++) x[i] = gsl_ran_gaussian_ziggurat(rng, 1.0);
    double et[8], th[64];
    memcpy(et, eta, K * sizeof(double));
    memcpy(th, theta, K * d * sizeof(double));
    sim_population p = pop_of(K, d, et, th);
    gsl_test_int(identify_fisher_design(&p, x, w, info, score), PREF_OK,
                 "fisher design");
    gsl_test_int(identify_joint_probs(&p, x, w, p0), PREF_OK, "joint probs at phi");
    double smax = 0.0;
    for (size_t a = 0; a < D; a++)
        if (fabs(score[a]) > smax) smax = fabs(score[a]);
    gsl_test(smax > 1e-12, "K=%zu d=%zu m=%zu r=%zu T=%zu: E[score] = 0 "
             "(max |.| = %.3g)", K, d, m, r, T, smax);
    const double h = 1e-4;
    for (size_t a = 0; a < D; a++)
        for (size_t b = 0; b < D; b++) {
            static const int sa[4] = {1, 1, -1, -1}, sb[4] = {1, -1, 1, -1};
            for (size_t q = 0; q < 4; q++) {
                memcpy(ph, phi, D * sizeof(double));
                ph[a] += sa[q] * h;
                ph[b] += sb[q] * h;
                st |= logp_at(ph, K, d, x, w, f[q]);
            }
            double v = 0.0;
            for (size_t o = 0; o < N; o++)
                v += p0[o] * (f[0][o] - f[1][o] - f[2][o] + f[3][o]) / (4 * h * h);
            ref[a * D + b] = -v;
        }
    gsl_test_int(st, PREF_OK, "joint probs at every difference point");
    double imax = 0.0, emax = 0.0;
    for (size_t i = 0; i < D * D; i++) {
        if (fabs(ref[i]) > imax) imax = fabs(ref[i]);
        if (fabs(info[i] - ref[i]) > emax) emax = fabs(info[i] - ref[i]);
    }
    gsl_test(emax > 1e-5 * imax, "K=%zu d=%zu m=%zu r=%zu T=%zu: E[s s^T] = "
             "-E[Hessian] by finite differences (max err %.3g, rel %.3g)", K, d,
             m, r, T, emax, emax / imax);
    identify_workspace_free(w);
    free(x);
    free(info);
    free(ref);
    free(score);
    free(p0);
    for (size_t i = 0; i < 4; i++) free(f[i]);
    gsl_rng_free(rng);
}

static void test_fisher_finite_differences(void)
{
    double eta2[2] = {0.62, 0.38}, th2[4] = {1.3, -0.4, -0.9, 0.7};
    fisher_fd_case(2, 2, 3, 1, 1, eta2, th2, 41);        /* the brief's case */
    double eta3[3] = {0.25, 0.45, 0.3};
    double th3[6] = {0.8, -1.1, -0.6, 0.9, 1.4, 0.35};
    fisher_fd_case(3, 2, 3, 2, 2, eta3, th3, 42);        /* full 3, T = 2 */
    fisher_fd_case(2, 2, 2, 1, 3, eta2, th2, 43);        /* three pairs */
}

/* K = 1: the information of T independent top-1-of-m answers is the plain
 * multinomial-logit formula sum_t sum_j p_j (x_j - xbar)(x_j - xbar)^T
 * (p = softmax(X theta), xbar = sum_j p_j x_j), averaged over the designs
 * identify_design_draw regenerates. */
static void test_fisher_k1(void)
{
    const size_t d = 3, T = 2, n = 50;
    double eta[1] = {1.0}, th[3] = {0.7, -1.2, 0.4};
    sim_population p = pop_of(1, d, eta, th);
    for (size_t m = 2; m <= 4; m += 2) {
        sim_design g = design_of(d, m, 1, T);
        identify_fisher_params par;
        identify_fisher_params_init(&par);
        par.designs = n;
        int err;
        identify_fisher_result *res = identify_fisher_result_alloc(1, d, &err);
        gsl_test_int(err, PREF_OK, "fisher result K = 1, m = %zu", m);
        gsl_test_int(identify_fisher(&p, &g, T, 77, &par, res), PREF_OK,
                     "fisher K = 1, m = %zu", m);
        double want[9] = {0}, x[2 * 4 * 3], pj[4], xbar[3];
        uint32_t work[8];
        gsl_rng *rng = rngs_alloc(1);
        for (size_t i = 0; i < n; i++) {
            identify_design_draw(&g, T, 77, i, rng, x, work);
            for (size_t t = 0; t < T; t++) {
                const double *xt = x + t * m * d;
                double z = 0.0;
                for (size_t j = 0; j < m; j++) {
                    pj[j] = exp(xt[j * d] * th[0] + xt[j * d + 1] * th[1] +
                                xt[j * d + 2] * th[2]);
                    z += pj[j];
                }
                for (size_t a = 0; a < d; a++) xbar[a] = 0.0;
                for (size_t j = 0; j < m; j++) {
                    pj[j] /= z;
                    for (size_t a = 0; a < d; a++) xbar[a] += pj[j] * xt[j * d + a];
                }
                for (size_t j = 0; j < m; j++)
                    for (size_t a = 0; a < d; a++)
                        for (size_t b = 0; b < d; b++)
                            want[a * d + b] += pj[j] * (xt[j * d + a] - xbar[a]) *
                                               (xt[j * d + b] - xbar[b]) / (double)n;
            }
        }
        double worst = 0.0, big = 0.0;
        for (size_t i = 0; i < 9; i++) {
            if (fabs(want[i]) > big) big = fabs(want[i]);
            if (fabs(res->info[i] - want[i]) > worst)
                worst = fabs(res->info[i] - want[i]);
        }
        gsl_test(worst > 1e-12 * big, "K = 1, top-1 of %zu, T = 2: information "
                 "= MNL formula (rel err %.3g)", m, worst / big);
        gsl_test_int((int)res->rank, (int)d, "K = 1: rank d");
        gsl_rng_free(rng);
        identify_fisher_result_free(res);
    }
}

static void test_fisher_threads(void)
{
#ifdef _OPENMP
    double eta[2] = {0.6, 0.4}, th[6] = {1.2, -0.5, 0.8, -1.0, 1.5, 0.3};
    sim_population p = pop_of(2, 3, eta, th);
    sim_design g = design_of(3, 3, 2, 2);
    identify_fisher_params par;
    identify_fisher_params_init(&par);
    par.designs = 150; /* not a multiple of the chunk size */
    int e1, e2;
    identify_fisher_result *r1 = identify_fisher_result_alloc(2, 3, &e1);
    identify_fisher_result *r2 = identify_fisher_result_alloc(2, 3, &e2);
    gsl_test_int(e1 | e2, PREF_OK, "thread invariance: fisher results");
    int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    int s1 = identify_fisher(&p, &g, 2, 99, &par, r1);
    omp_set_num_threads(2);
    int s2 = identify_fisher(&p, &g, 2, 99, &par, r2);
    omp_set_num_threads(saved);
    size_t D = r1->dim;
    gsl_test(s1 || s2, "fisher with 1 and 2 threads");
    gsl_test(memcmp(r1->info, r2->info, D * D * sizeof(double)) != 0,
             "information: identical bits for 1 and 2 threads");
    gsl_test(memcmp(r1->eval, r2->eval, D * sizeof(double)) != 0 ||
             memcmp(r1->eval_se, r2->eval_se, D * sizeof(double)) != 0 ||
             r1->rank != r2->rank,
             "eigenvalues and SEs: identical bits for 1 and 2 threads");
    identify_fisher_result_free(r1);
    identify_fisher_result_free(r2);
#else
    gsl_test(0, "threads: built without OpenMP (nothing to compare)");
#endif
}

/* ---- error paths and the command ---------------------------------------- */

static void test_errors(void)
{
    gsl_test_int((int)identify_n_outcomes(3, 2, 8), 1679616, "6^8 outcomes");
    gsl_test_int((int)identify_n_outcomes(3, 2, 9), 0, "6^9: too many");
    gsl_test_int((int)identify_n_outcomes(3, 3, 1), 6, "r = m is r = m - 1");
    gsl_test_int((int)identify_n_outcomes(1, 1, 1), 0, "m = 1 is invalid");
    int werr = PREF_OK;
    gsl_test(identify_workspace_alloc(2, 2, 3, 2, 9, &werr) != NULL,
             "workspace refused for too many outcomes", NULL);
    gsl_test_int(werr, PREF_EINPUT, "too many outcomes is an input error, not "
                 "out of memory (%s)", pref_last_error());
    gsl_test_int((int)identify_dim(3, 4), 14, "dim = K d + K - 1");

    double mean[2] = {0, 0}, chol[4] = {1, 0, 0, 1};
    sim_population gauss;
    memset(&gauss, 0, sizeof gauss);
    gauss.d = 2;
    gauss.mean = mean;
    gauss.chol = chol;
    double eta[1] = {1}, th[2] = {0, 0};
    sim_population one = pop_of(1, 2, eta, th);
    sim_design g = design_of(2, 3, 1, 1);
    gsl_rng *rng = rngs_alloc(5);
    double a, b;
    gsl_test_int(identify_equivalence(&gauss, &one, &g, 1, 10, rng, &a, &b),
                 PREF_EINPUT, "equivalence: gaussian is an input error");
    gsl_test_int(identify_equivalence(&one, &one, &g, 1, 0, rng, &a, &b),
                 PREF_EINPUT, "equivalence: zero designs");
    sim_design g3 = design_of(3, 3, 1, 1);
    gsl_test_int(identify_equivalence(&one, &one, &g3, 1, 10, rng, &a, &b),
                 PREF_EINPUT, "equivalence: d mismatch");
    int err;
    identify_fisher_result *res = identify_fisher_result_alloc(1, 2, &err);
    gsl_test_int(err, PREF_OK, "bad input: fisher result");
    gsl_test_int(identify_fisher(&gauss, &g, 1, 1, NULL, res), PREF_EINPUT,
                 "fisher: gaussian is an input error");
    identify_fisher_params par;
    identify_fisher_params_init(&par);
    par.designs = 1;
    gsl_test_int(identify_fisher(&one, &g, 1, 1, &par, res), PREF_EINPUT,
                 "fisher: one design is too few");
    gsl_test_int(identify_fisher(&one, &g, 14, 1, NULL, res), PREF_EINPUT,
                 "fisher: 3^14 joint outcomes are too many");
    double px[2 * 2 * 2] = {0};
    sim_design gp = design_of(2, 3, 1, 1);
    gp.prompts = 2;
    gp.pool = 2;
    gp.pool_x = px;
    gsl_test_int(identify_fisher(&one, &gp, 1, 1, NULL, res), PREF_EINPUT,
                 "fisher: pools of 2 cannot show 3 candidates");
    gsl_test_int(identify_equivalence(&one, &one, &gp, 1, 5, rng, &a, &b),
                 PREF_EINPUT, "equivalence: pools of 2 cannot show 3");
    identify_workspace *w = identify_workspace_alloc(1, 2, 3, 1, 1, &err);
    gsl_test_int(err, PREF_OK, "bad input: workspace");
    double pr[3];
    gsl_test_int(identify_joint_probs(&gauss, th, w, pr), PREF_EINTERNAL,
                 "joint probs: population does not fit the workspace");
    identify_workspace_free(w);
    identify_fisher_result_free(res);
    gsl_rng_free(rng);
}

static int count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int n = 0, ch;
    while ((ch = fgetc(f)) != EOF) n += ch == '\n';
    fclose(f);
    return n;
}

static cfg C;

static void set(const char *k, const char *v)
{
    pref_clear_error();
    int st = cfg_set_dotted(&C, k, v, NULL, 0);
    gsl_test_int(st, PREF_OK, "set %s = %s (%s)", k, v, pref_last_error());
}

static void expect_input_error(const char *dir, const char *needle,
                               const char *what)
{
    int st = cfg_check(&C);
    if (!st) st = identify_run(&C, dir);
    gsl_test_int(st, PREF_EINPUT, "identify_run: %s", what);
    gsl_test(strstr(pref_last_error(), needle) == NULL,
             "%s: message names %s: '%s'", what, needle, pref_last_error());
    gsl_test(access(dir, F_OK) == 0, "%s: nothing written", what);
}

static void test_run(void)
{
    char tmpl[] = "/tmp/test_identify.XXXXXX";
    char *base = mkdtemp(tmpl);
    gsl_test(base == NULL, "mkdtemp");
    if (!base) return;
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s/out", base);

    cfg_init(&C);
    set("population.kind", "gaussian");
    expect_input_error(dir, "[population] kind", "gaussian population");

    cfg_init(&C);
    set("identify.T", "1, 9");
    expect_input_error(dir, "[identify] T", "too many joint outcomes");

    cfg_init(&C);
    set("identify.T", "1.5");
    expect_input_error(dir, "[identify] T", "non-integer T");

    cfg_init(&C);
    set("design.answer", "pair");
    set("design.prompts", "5");
    set("design.pool", "2");
    expect_input_error(dir, "[design] pool", "pools smaller than 3");

    cfg_init(&C);
    set("identify.designs", "200");
    set("identify.fisher_designs", "40");
    set("identify.T", "1, 2");
    gsl_test_int(cfg_check(&C), PREF_OK, "small config");
    int st = identify_run(&C, dir);
    gsl_test_int(st, PREF_OK, "identify_run (%s)", pref_last_error());
    snprintf(path, sizeof path, "%s/equivalence.csv", dir);
    gsl_test_int(count_lines(path), 1 + IDENTIFY_N_EQUIV_KINDS,
                 "equivalence.csv: header + 4 rows");
    FILE *f = fopen(path, "r");
    char line[512] = "";
    double mx = -1;
    if (f) {
        if (!fgets(line, sizeof line, f)) line[0] = 0;
        gsl_test(strcmp(line, "answer_kind,designs,max_abs_diff,"
                              "mean_abs_diff\n") != 0, "equivalence header");
        if (fscanf(f, "pair,200,%lf,", &mx) != 1) mx = -1;
        fclose(f);
    }
    gsl_test(!(mx >= 0 && mx <= 1e-12), "equivalence.csv: pair max %.3g", mx);
    snprintf(path, sizeof path, "%s/fisher.csv", dir);
    gsl_test_int(count_lines(path), 1 + 3 * 2 * 5, "fisher.csv: 3 kinds x 2 T "
                 "x dim 5 rows");
    f = fopen(path, "r");
    if (f) {
        if (!fgets(line, sizeof line, f)) line[0] = 0;
        gsl_test(strcmp(line, "answer_kind,T,designs,index,eigenvalue,mc_se\n"),
                 "fisher header");
        fclose(f);
    }
    snprintf(path, sizeof path, "%s/config.ini", dir);
    gsl_test(access(path, F_OK) != 0, "config.ini written");
    /* Clean up. */
    const char *files[] = {"equivalence.csv", "fisher.csv", "config.ini"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        remove(path);
    }
    rmdir(dir);
    rmdir(base);
}

/* Whether the text file path contains needle. */
static int file_has(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char line[512];
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

/* design.m sets the candidates of the top-1 and full-ranking kinds (it was
 * once ignored: m = 3 always). */
static void test_run_m(void)
{
    char tmpl[] = "/tmp/test_identify_m.XXXXXX";
    char *base = mkdtemp(tmpl);
    gsl_test(base == NULL, "mkdtemp");
    if (!base) return;
    char path[4200];
    identify_tables *t[2] = {NULL, NULL};
    for (int i = 0; i < 2; i++) {
        cfg_init(&C);
        set("design.m", i ? "4" : "3");
        set("identify.designs", "50");
        set("identify.fisher_designs", "20");
        set("identify.T", "1");
        identify_fisher_params fp;
        int st = cfg_check(&C);
        if (!st) st = identify_tables_check(&C, &fp);
        if (!st) st = identify_tables_compute(&C, &fp, &t[i]);
        gsl_test_int(st, PREF_OK, "identify tables, design.m = %d (%s)", 3 + i,
                     pref_last_error());
    }
    if (t[0] && t[1]) {
        gsl_test_int((int)t[1]->m, 4, "tables record m = 4");
        /* full_m (kind 2), T = 1: the spectra of 3 and 4 candidates differ */
        size_t D = t[0]->dim;
        gsl_test(t[0]->eval[2 * D + D - 1] == t[1]->eval[2 * D + D - 1],
                 "full_4 spectrum differs from full_3 (%.17g)",
                 t[1]->eval[2 * D + D - 1]);
        gsl_test_int(identify_tables_write(t[1], base), PREF_OK, "write m = 4");
        snprintf(path, sizeof path, "%s/fisher.csv", base);
        gsl_test(!file_has(path, "top1_of_4,1,20,1,") ||
                     !file_has(path, "full_4,1,20,1,") || file_has(path, "_3,"),
                 "fisher.csv names top1_of_4 and full_4, not *_3");
        remove(path);
        snprintf(path, sizeof path, "%s/equivalence.csv", base);
        gsl_test(!file_has(path, "top1_of_4,50,") || !file_has(path, "full_4,50,"),
                 "equivalence.csv names top1_of_4 and full_4");
        remove(path);
    }
    gsl_test(identify_key_scope("design.m") != NULL, "design.m applies");
    gsl_test(identify_key_scope("design.T") == NULL, "design.T does not apply");
    gsl_test(identify_key_scope("design.answer") == NULL,
             "design.answer does not apply");
    identify_tables_free(t[0]);
    identify_tables_free(t[1]);
    rmdir(base);
}

int main(void)
{
    /* As main does: the library checks GSL statuses and never switches the
     * process-wide handler itself. */
    gsl_set_error_handler_off();
    test_equivalence();
    test_total_probability();
    test_outcome_index();
    test_fisher_polarised();
    test_fisher_finite_differences();
    test_fisher_k1();
    test_fisher_threads();
    test_errors();
    test_run();
    test_run_m();
    exit(gsl_test_summary());
}
