/* test_mix.c — the latent-class EM of mix.h, on data simulated with fixed
 * seeds (evaluation helpers: test_eval.c):
 * - K = 1: zero score at the estimate, standard errors equal to the inverse
 *   information computed by hand, the log-likelihood against a direct sum,
 *   AIC, BIC and ICL, the truth within 4 standard errors;
 * - K = 2: the truth within 4 standard errors, bit-identical results for 1
 *   and 2 threads, convergence, no log-likelihood decrease, several starts
 *   reaching the best, weights and posteriors that are probabilities,
 *   accuracy and W1 through eval_mix_fit, sandwich standard errors within
 *   25% of the observed-information ones, no class emptied;
 * - the EM single-stepped through mix_em_*: never decreasing, converging,
 *   equal bit for bit to the one-call fit;
 * - the information: mix_information_at's observed information and score
 *   outer products against central finite differences of the marginal
 *   log-likelihood (mix_loglik_at; a direct per-user sum), at a fixed point
 *   and at a K = 3 fit, whose observed and sandwich standard errors must be
 *   those of J^-1 and J^-1 B J^-1;
 * - empty classes: a class whose weight falls under half a user, or under
 *   min_weight, is re-seeded (split off another, every weight above the
 *   threshold after it, log-likelihood finite, the fit still converging)
 *   and counted in empty_events, equal to the single-stepped count; none
 *   with the true K, or when min_weight is not reached;
 * - bad input refused (K = 0, K > users, starts = 0, weights not summing to
 *   1), and K = 6 on 30 indifferent users giving finite estimates.
 * Every status a library call returns is checked. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_test.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "cfg.h"
#include "err.h"
#include "eval.h"
#include "mix.h"
#include "pl.h"
#include "rngs.h"
#include "sim.h"

static cfg C;

/* Simulate the data set that the config keys kv (pairs, NULL-terminated)
 * describe; *pop receives the population. Every step's status is a check;
 * NULL when one failed. */
static data_set *make_data(const char *const *kv, unsigned long seed,
                           sim_population **pop)
{
    cfg_init(&C);
    int st = PREF_OK;
    *pop = NULL;
    for (size_t i = 0; kv[i] && !st; i += 2)
        st = cfg_set_dotted(&C, kv[i], kv[i + 1], NULL, 0);
    gsl_test_int(st, PREF_OK, "make_data: config keys accepted");
    if (!st) gsl_test_int(st = cfg_check(&C), PREF_OK, "make_data: cfg_check");
    if (st) return NULL;
    sim_design *g = NULL;
    data_set *ds = NULL;
    gsl_rng *r = rngs_alloc(seed);
    gsl_test(r == NULL, "make_data: rngs_alloc");
    if (!r) return NULL;
    gsl_test_int(sim_population_from_cfg(&C, pop), PREF_OK, "make_data: population");
    gsl_test_int(sim_design_from_cfg(&C, r, &g), PREF_OK, "make_data: design");
    if (*pop && g)
        gsl_test_int(sim_simulate(*pop, g, seed, &ds), PREF_OK, "make_data: simulate");
    sim_design_free(g);
    gsl_rng_free(r);
    return ds;
}

/* User i's marginal log-likelihood log sum_k eta_k prod_q P(o_q | theta_k),
 * computed directly from pl.h (independently of mix.c's passes). */
static double user_loglik(const data_set *ds, size_t i, size_t K,
                          const double *eta, const double *theta)
{
    double lse = -INFINITY, u[16];
    for (size_t k = 0; k < K; k++) {
        double a = log(eta[k]);
        for (size_t q = ds->user_q[i]; q < ds->user_q[i + 1]; q++) {
            pl_utilities(ds->x + ds->q_cand[q] * ds->d, data_m(ds, q), ds->d,
                         theta + k * ds->d, u);
            a += pl_loglik(u, data_m(ds, q), ds->q_r[q]);
        }
        lse = pl_logaddexp(lse, a);
    }
    return lse;
}

/* Observed log-likelihood of a fit's parameters, computed directly. */
static double loglik_at(const data_set *ds, size_t K, const double *eta,
                        const double *theta)
{
    double L = 0.0;
    for (size_t i = 0; i < ds->n_users; i++) L += user_loglik(ds, i, K, eta, theta);
    return L;
}

static void test_k1_first_order(void)
{
    const char *kv[] = {"population.kind", "latent_class", "population.types", "1",
                        "population.eta", "1", "population.theta", "0.7, -1.1",
                        "design.answer", "full", "design.m", "4", "design.T", "3",
                        "design.users", "800", NULL};
    sim_population *p = NULL;
    data_set *ds = make_data(kv, 17, &p);
    mix_params mp;
    mix_params_init(&mp);
    mp.starts = 2;
    mix_fit *f = NULL;
    if (ds) gsl_test_int(mix_fit_run(ds, 1, &mp, &f), PREF_OK, "K = 1 fit");
    if (!f) {
        data_free(ds);
        sim_population_free(p);
        return;
    }
    /* Score at the MLE is zero. */
    double g[2] = {0, 0}, H[4] = {0, 0, 0, 0}, work[16];
    for (size_t q = 0; q < ds->n_queries; q++)
        pl_linear_accum(ds->x + ds->q_cand[q] * 2, data_m(ds, q), 2, ds->q_r[q],
                        f->theta, 1.0, g, H, work);
    gsl_test_abs(g[0], 0.0, 1e-6, "K = 1: score 1 at the MLE");
    gsl_test_abs(g[1], 0.0, 1e-6, "K = 1: score 2 at the MLE");
    /* SE = sqrt(diag((-H)^-1)) for K = 1 (2 x 2 inverse by hand). */
    double a = -H[0], b = -H[1], d = -H[3], det = a * d - b * b;
    gsl_test_rel(f->se_theta[0], sqrt(d / det), 1e-8, "K = 1: SE 1 = inverse information");
    gsl_test_rel(f->se_theta[1], sqrt(a / det), 1e-8, "K = 1: SE 2 = inverse information");
    gsl_test_rel(f->loglik, loglik_at(ds, 1, f->eta, f->theta), 1e-12,
                 "reported loglik matches a direct computation");
    gsl_test_rel(f->bic, -2 * f->loglik + 2 * log(800.0), 1e-12, "BIC, n = users");
    gsl_test_rel(f->aic, -2 * f->loglik + 4, 1e-12, "AIC");
    gsl_test_abs(f->icl - f->bic, 0.0, 1e-12, "ICL = BIC for K = 1");
    /* Within 4 standard errors of the truth. */
    for (int j = 0; j < 2; j++)
        gsl_test(fabs(f->theta[j] - p->theta[j]) > 4 * f->se_theta[j],
                 "K = 1: theta %d = %g within 4 SE (%g) of %g", j, f->theta[j],
                 f->se_theta[j], p->theta[j]);
    mix_fit_free(f);
    data_free(ds);
    sim_population_free(p);
}

/* Two latent classes answering top-1 of 3 (eta, theta as config strings);
 * mp gets defaults with starts, seed and one thread. */
static data_set *two_classes(const char *eta, const char *theta, const char *T,
                             const char *users, unsigned long seed,
                             sim_population **p, mix_params *mp, size_t starts,
                             uint64_t fit_seed)
{
    const char *kv[] = {"population.kind", "latent_class", "population.eta", eta,
                        "population.theta", theta, "design.answer", "top1",
                        "design.T", T, "design.users", users, NULL};
    mix_params_init(mp);
    mp->starts = starts;
    mp->seed = fit_seed;
    mp->threads = 1;
    return make_data(kv, seed, p);
}

static void test_k2_recovery_and_invariance(void)
{
    sim_population *p = NULL;
    mix_params mp;
    data_set *ds = two_classes("0.65, 0.35", "1.3, -0.7; -0.9, 1.1", "3", "3000", 23,
                               &p, &mp, 6, 99);
    mix_fit *f1 = NULL, *f2 = NULL, *f3 = NULL;
    if (ds) gsl_test_int(mix_fit_run(ds, 2, &mp, &f1), PREF_OK, "K = 2 fit");
    mp.threads = 2;
    if (ds) gsl_test_int(mix_fit_run(ds, 2, &mp, &f2), PREF_OK, "K = 2 fit, 2 threads");
    if (!f1 || !f2) goto out;
    gsl_test(memcmp(f1->theta, f2->theta, 4 * sizeof(double)) != 0 ||
             memcmp(f1->post, f2->post, ds->n_users * 2 * sizeof(double)) != 0 ||
             f1->loglik != f2->loglik || memcmp(f1->se_theta, f2->se_theta,
                                                4 * sizeof(double)) != 0,
             "bit-identical for 1 and 2 threads");
    gsl_test(!f1->converged, "converged");
    gsl_test(f1->max_decrease > 1e-9 * fabs(f1->loglik),
             "EM never decreased the log-likelihood (largest drop %g)",
             f1->max_decrease);
    gsl_test(f1->best_hits < 2, "several starts reach the best optimum (%zu)",
             f1->best_hits);
    gsl_test_int(f1->empty_events, 0, "K = 2 on two types: no class emptied");
    /* Types sorted by weight: type 1 is the 0.65 class. */
    for (int k = 0; k < 2; k++) {
        gsl_test(fabs(f1->eta[k] - p->eta[k]) > 4 * f1->se_eta[k],
                 "eta %d = %g within 4 SE (%g) of %g", k, f1->eta[k],
                 f1->se_eta[k], p->eta[k]);
        for (int j = 0; j < 2; j++)
            gsl_test(fabs(f1->theta[k * 2 + j] - p->theta[k * 2 + j]) >
                         4 * f1->se_theta[k * 2 + j],
                     "theta %d,%d = %g within 4 SE (%g) of %g", k, j,
                     f1->theta[k * 2 + j], f1->se_theta[k * 2 + j],
                     p->theta[k * 2 + j]);
    }
    gsl_test_abs(f1->eta[0] + f1->eta[1], 1.0, 1e-12, "weights sum to 1");
    gsl_test_abs(f1->se_eta[0], f1->se_eta[1], 1e-12,
                 "K = 2: the two weights have one standard error");
    /* Posteriors are probabilities. */
    int okp = 1;
    for (size_t i = 0; i < ds->n_users; i++) {
        double s = f1->post[2 * i] + f1->post[2 * i + 1];
        if (fabs(s - 1) > 1e-12 || f1->post[2 * i] < 0) okp = 0;
    }
    gsl_test(!okp, "posteriors sum to 1");
    double acc, ari, w1;
    gsl_test_int(eval_mix_fit(f1, ds->user_type, 2, p->eta, p->theta, &acc, &ari, &w1),
                 PREF_OK, "evaluate");
    gsl_test(acc < 0.8, "accuracy %g >= 0.8", acc);
    gsl_test(w1 > 0.2, "W1 error %g <= 0.2", w1);
    /* The sandwich agrees with the observed information at the truth's
     * scale (same model, correctly specified): within 25%. */
    mp.sandwich = 1;
    gsl_test_int(mix_fit_run(ds, 2, &mp, &f3), PREF_OK, "K = 2 sandwich fit");
    for (int j = 0; f3 && j < 4; j++)
        gsl_test_rel(f3->se_theta[j], f1->se_theta[j], 0.25,
                     "sandwich SE %d close to observed-information SE", j);
out:
    mix_fit_free(f3);
    mix_fit_free(f1);
    mix_fit_free(f2);
    data_free(ds);
    sim_population_free(p);
}

/* Single-stepping the EM through mix_em_*: the observed log-likelihood
 * never decreases from one EM iteration to the next, and stepping start 0
 * to convergence gives exactly (bit for bit) the one-call fit with
 * starts = 1, whose types are only sorted by weight. */
static void test_em_steps(void)
{
    sim_population *p = NULL;
    mix_params mp;
    data_set *ds = two_classes("0.6, 0.4", "1.2, -0.5; -0.8, 0.9", "4", "1500", 41,
                               &p, &mp, 1, 8);
    int err = PREF_EINPUT;
    mix_em *s = ds ? mix_em_alloc(ds, 2, &mp, &err) : NULL;
    gsl_test_int(err, PREF_OK, "mix_em_alloc");
    if (!s) {
        data_free(ds);
        sim_population_free(p);
        return;
    }
    gsl_test_int(mix_em_set(s, 0), PREF_OK, "mix_em_set");
    gsl_test_int(mix_em_test(s, mp.tol), PREF_CONTINUE,
                 "no convergence test after the first E-step");
    double prev = mix_em_loglik(s), worst = 0.0;
    int converged = 0, st = PREF_OK;
    while (!st && mix_em_iterations(s) < mp.max_iter) {
        if (mix_em_test(s, mp.tol) == PREF_OK) {
            converged = 1;
            break;
        }
        size_t e0 = mix_em_empty(s);
        st = mix_em_iterate(s);
        double L = mix_em_loglik(s);
        /* a re-seeded empty class is not an EM step (none expected here) */
        if (mix_em_empty(s) == e0 && prev - L > worst) worst = prev - L;
        prev = L;
    }
    gsl_test_int(st, PREF_OK, "every iteration runs");
    gsl_test(!converged, "stepped EM converged (%zu iterations)", mix_em_iterations(s));
    /* Tolerance: the M-step accepts a class's Newton step when its weighted
     * log-likelihood Q_k falls by at most 1e-12 |Q_k| (the last bits of sums
     * over 1500 users), so the observed log-likelihood may fall by rounding
     * of that order; a real EM failure is many orders larger. */
    gsl_test(worst > 1e-11 * fabs(prev), "log-likelihood never decreases "
             "(largest drop %g at L = %g)", worst, prev);
    gsl_test(mix_em_empty(s) != 0, "no empty class on this data");
    mix_fit *f = NULL;
    gsl_test_int(mix_fit_run(ds, 2, &mp, &f), PREF_OK, "one-call fit");
    if (f) {
        const double *eta = mix_em_eta(s), *theta = mix_em_theta(s);
        const double *post = mix_em_post(s);
        /* sort_types: decreasing weight, ties by the larger theta_1 */
        size_t o = eta[1] > eta[0] || (eta[1] == eta[0] && theta[2] > theta[0]);
        int same = f->loglik == mix_em_loglik(s) &&
                   f->iterations == mix_em_iterations(s) && f->converged &&
                   f->eta[0] == eta[o] && f->eta[1] == eta[1 - o];
        for (size_t j = 0; j < 2; j++) {
            same &= f->theta[j] == theta[o * 2 + j];
            same &= f->theta[2 + j] == theta[(1 - o) * 2 + j];
        }
        for (size_t i = 0; i < ds->n_users; i++)
            same &= f->post[i * 2] == post[i * 2 + o] &&
                    f->post[i * 2 + 1] == post[i * 2 + 1 - o];
        gsl_test(!same, "stepped EM = mix_fit_run with one start, bit for bit");
        gsl_test(f->max_decrease != mix_em_max_decrease(s), "same largest decrease");
    }
    mix_fit_free(f);
    mix_em_free(s);
    s = mix_em_alloc(ds, 0, &mp, &err);
    gsl_test(s != NULL || err != PREF_EINPUT, "mix_em_alloc: K = 0 refused");
    mix_em_free(s);
    data_free(ds);
    sim_population_free(p);
}

/* Right after EM iteration that re-seeded an emptied class: every weight is
 * back above min_weight (and above half a user), the class was split off
 * the heaviest (two classes now share a weight exactly, their coefficients
 * differ by the N(0, 0.1^2) jitter: under 0.6 = 6 sigma), the
 * log-likelihood is finite and the next test continues (a re-seed is not a
 * converged EM step). */
static void check_reseed(const mix_em *s, size_t K, size_t d, size_t n,
                         const mix_params *mp)
{
    const double *eta = mix_em_eta(s), *theta = mix_em_theta(s);
    int above = 1, split = 0;
    for (size_t k = 0; k < K; k++) {
        above &= eta[k] >= mp->min_weight && eta[k] * (double)n >= 0.5;
        for (size_t h = k + 1; h < K; h++) {
            double gap = 0.0;
            for (size_t j = 0; j < d; j++)
                gap = fmax(gap, fabs(theta[k * d + j] - theta[h * d + j]));
            split |= eta[k] == eta[h] && gap < 0.6;
        }
    }
    gsl_test(!above, "K = %zu, n = %zu, min_weight %g: after a re-seed every "
             "weight >= min_weight and half a user", K, n, mp->min_weight);
    gsl_test(!split, "K = %zu, n = %zu: the re-seeded class is split off another "
             "(equal weights, nearby coefficients)", K, n);
    gsl_test(!isfinite(mix_em_loglik(s)), "K = %zu, n = %zu: after a re-seed the "
             "log-likelihood is finite (%g)", K, n, mix_em_loglik(s));
    gsl_test_int(mix_em_test(s, mp->tol), PREF_CONTINUE,
                 "K = %zu, n = %zu: a re-seed is not a converged step", K, n);
}

/* Single-step every start as mix_fit_run does; returns the classes
 * re-seeded over all starts (checking the first re-seed with check_reseed),
 * or SIZE_MAX when a call failed. */
static size_t stepped_empty_events(const data_set *ds, size_t K, const mix_params *mp)
{
    int err, st = PREF_OK, seen = 0;
    size_t total = 0;
    mix_em *s = mix_em_alloc(ds, K, mp, &err);
    gsl_test_int(err, PREF_OK, "mix_em_alloc (K = %zu)", K);
    if (!s) return SIZE_MAX;
    for (size_t start = 0; !st && start < mp->starts; start++) {
        st = mix_em_set(s, start);
        while (!st && mix_em_test(s, mp->tol) != PREF_OK &&
               mix_em_iterations(s) < mp->max_iter) {
            size_t e0 = mix_em_empty(s);
            st = mix_em_iterate(s);
            if (!st && !seen && mix_em_empty(s) > e0) {
                seen = 1;
                check_reseed(s, K, ds->d, ds->n_users, mp);
            }
        }
        total += mix_em_empty(s);
    }
    gsl_test_int(st, PREF_OK, "every EM call runs (K = %zu)", K);
    mix_em_free(s);
    return st ? SIZE_MAX : total;
}

/* One empty-class case: two well-separated types (ten answers a user:
 * posteriors nearly 0 or 1) answering top-1 of 3, fitted with K classes
 * and min_weight mw. With empty = 1 classes must empty and be re-seeded
 * (stepped and in the one-call fit, the same number), leaving every final
 * weight above the threshold and a finite log-likelihood; with empty = 0
 * none may. */
static void empty_case(const char *users, unsigned long seed, uint64_t fit_seed,
                       size_t K, double mw, int empty, const char *what)
{
    sim_population *p = NULL;
    mix_params mp;
    data_set *ds = two_classes("0.5, 0.5", "4.1, -3.3; -3.7, 2.9", "10", users, seed,
                               &p, &mp, 3, fit_seed);
    mp.min_weight = mw;
    mix_fit *f = NULL;
    size_t stepped = ds ? stepped_empty_events(ds, K, &mp) : SIZE_MAX;
    if (ds) gsl_test_int(mix_fit_run(ds, K, &mp, &f), PREF_OK, "%s: fit", what);
    if (f) {
        gsl_test(empty ? f->empty_events == 0 : f->empty_events != 0,
                 "%s: empty_events = %zu", what, f->empty_events);
        gsl_test(f->empty_events != stepped, "%s: empty_events (%zu) = the "
                 "re-seeds of the single-stepped starts (%zu)", what,
                 f->empty_events, stepped);
        int above = 1;
        for (size_t k = 0; k < K; k++)
            above &= f->eta[k] >= mw && f->eta[k] * (double)f->n_users >= 0.5;
        gsl_test(!above, "%s: every final weight >= min_weight and half a user "
                 "(smallest %g)", what, f->eta[K - 1]);
        gsl_test(!isfinite(f->loglik), "%s: log-likelihood finite (%g)", what,
                 f->loglik);
        gsl_test(!f->converged, "%s: converged", what);
    }
    mix_fit_free(f);
    data_free(ds);
    sim_population_free(p);
}

/* Empty classes, for seeds found by trying seeds. K = 3 on two types: a
 * class squeezed between the types loses its users. With 200 users its
 * weight falls to 9e-4, under half a user (1/400) though above the default
 * min_weight (1e-6); with 1000 users and min_weight = 0.005 it falls to
 * 4e-3, above half a user (5e-4) but under min_weight, while with the
 * default min_weight the same fit re-seeds nothing: so both arms of the
 * rule re-seed. The true K = 2 never empties a class. */
static void test_empty_classes(void)
{
    empty_case("200", 907, 2, 3, 1e-6, 1, "K = 3, 200 users: under half a user");
    empty_case("1000", 2385, 2, 3, 0.005, 1, "K = 3, 1000 users: under min_weight 0.005");
    empty_case("1000", 2385, 2, 3, 1e-6, 0, "K = 3, 1000 users, min_weight 1e-6");
    empty_case("200", 907, 2, 2, 1e-6, 0, "K = 2, 200 users");
}

/* ---- the information matrix against finite differences --------------------
 * Parameters phi = (theta_1, ..., theta_K, alpha_1, ..., alpha_{K-1}) with
 * eta = softmax(alpha, 0), in mix_information_at's order. */
#define PMAX 16

static void eta_of_phi(const double *phi, size_t K, size_t d, double *eta)
{
    double z = 1.0; /* exp(alpha_K), alpha_K = 0 */
    for (size_t k = 0; k + 1 < K; k++) z += exp(phi[K * d + k]);
    for (size_t k = 0; k + 1 < K; k++) eta[k] = exp(phi[K * d + k]) / z;
    eta[K - 1] = 1.0 / z;
}

static void phi_of(const double *eta, const double *theta, size_t K, size_t d,
                   double *phi)
{
    memcpy(phi, theta, K * d * sizeof(double));
    for (size_t k = 0; k + 1 < K; k++) phi[K * d + k] = log(eta[k] / eta[K - 1]);
}

/* Minus the Hessian of the marginal log-likelihood (mix_loglik_at) by
 * central differences, [L(+a+b) - L(+a-b) - L(-a+b) + L(-a-b)] / (4 h^2)
 * (a step of 2h on the diagonal). Returns mix_loglik_at's first failure. */
static int fd_information(const data_set *ds, size_t K, const double *phi0,
                          double h, double *Jfd)
{
    size_t d = ds->d, P = K * d + K - 1;
    double phi[PMAX], eta[PMAX];
    int st = PREF_OK;
    for (size_t a = 0; a < P; a++)
        for (size_t b = a; b < P; b++) {
            double s = 0.0;
            for (int sa = -1; sa <= 1; sa += 2)
                for (int sb = -1; sb <= 1; sb += 2) {
                    double L = NAN;
                    memcpy(phi, phi0, P * sizeof(double));
                    phi[a] += sa * h;
                    phi[b] += sb * h;
                    eta_of_phi(phi, K, d, eta);
                    if (!st) st = mix_loglik_at(ds, K, eta, phi, &L);
                    s += sa * sb * L;
                }
            Jfd[a * P + b] = Jfd[b * P + a] = -s / (4.0 * h * h);
        }
    return st;
}

/* B = sum_i s_i s_i^T, each user's score s_i by central differences
 * (l_i(+h) - l_i(-h)) / 2h of user_loglik. */
static void fd_score_products(const data_set *ds, size_t K, const double *phi0,
                              double h, double *Bfd)
{
    size_t d = ds->d, P = K * d + K - 1;
    double phi[PMAX], eta[PMAX], sc[PMAX];
    memset(Bfd, 0, P * P * sizeof(double));
    for (size_t i = 0; i < ds->n_users; i++) {
        for (size_t a = 0; a < P; a++) {
            double l[2];
            for (int t = 0; t < 2; t++) {
                memcpy(phi, phi0, P * sizeof(double));
                phi[a] += t ? -h : h;
                eta_of_phi(phi, K, d, eta);
                l[t] = user_loglik(ds, i, K, eta, phi);
            }
            sc[a] = (l[0] - l[1]) / (2.0 * h);
        }
        for (size_t a = 0; a < P; a++)
            for (size_t b = 0; b < P; b++) Bfd[a * P + b] += sc[a] * sc[b];
    }
}

/* Largest |X - Y| over n entries (NaN if any is NaN); *ymax the largest |Y|. */
static double max_abs_diff(const double *X, const double *Y, size_t n, double *ymax)
{
    double e = 0.0;
    *ymax = 0.0;
    for (size_t j = 0; j < n; j++) {
        if (!(fabs(X[j] - Y[j]) <= e)) e = fabs(X[j] - Y[j]);
        if (fabs(Y[j]) > *ymax) *ymax = fabs(Y[j]);
    }
    return e;
}

/* Steps and tolerances of the finite-difference checks, for the data set of
 * test_information_fd (400 users, |L| ~ 2.8e3, largest entries of J and B
 * ~ 6e2). J: the second difference errs by truncation ~ c h^2 (c ~ |L''''|
 * ~ 2e2 here) plus rounding ~ 4 delta / (4 h^2), delta ~ 1.5 eps |L| ~ 1e-12
 * the rounding of one L. Measured largest error at the fixed point: 3.5e-3
 * at h = 4e-3, quartering with every halving of h down to 5.6e-5 at 5e-4
 * (truncation), then 5.3e-5 at 1.25e-4 and 1.0e-3 at 3e-5, growing as
 * 1 / h^2 (rounding); at the balance h = 2.5e-4 it is 2e-5, 3e-8 of the
 * largest entry. A tolerance of 1e-6 of the largest entry leaves a margin
 * of thirty and fails any information wrong beyond its sixth digit (a wrong
 * term is O(1) of an entry). B: central first differences with h = 1e-5 err
 * by ~ h^2 / 6 |l_i'''| + eps |l_i| / h ~ 2e-10 per score, at most ~ 4e-7
 * (7e-10 of the largest entry) after the sum of products over 400 users;
 * measured 3e-8 (5e-11). A tolerance of 1e-8 of the largest entry. */
#define FD_H_J 2.5e-4
#define FD_TOL_J 1e-6
#define FD_H_B 1e-5
#define FD_TOL_B 1e-8

/* mix_information_at's J and B at (eta, theta) against finite differences
 * of the marginal log-likelihood; J and B (P, P) receive the library's. */
static void check_information_at(const data_set *ds, size_t K, const double *eta,
                                 const double *theta, const char *what,
                                 double *J, double *B)
{
    size_t P = K * ds->d + K - 1;
    double phi[PMAX], Jfd[PMAX * PMAX], Bfd[PMAX * PMAX], mx, L = NAN;
    gsl_test_int(mix_information_at(ds, K, eta, theta, J, B), PREF_OK,
                 "mix_information_at (%s)", what);
    gsl_test_int(mix_loglik_at(ds, K, eta, theta, &L), PREF_OK,
                 "mix_loglik_at (%s)", what);
    gsl_test_rel(L, loglik_at(ds, K, eta, theta), 1e-12,
                 "mix_loglik_at = the direct sum over users (%s)", what);
    phi_of(eta, theta, K, ds->d, phi);
    gsl_test_int(fd_information(ds, K, phi, FD_H_J, Jfd), PREF_OK,
                 "mix_loglik_at at the finite-difference points (%s)", what);
    double e = max_abs_diff(J, Jfd, P * P, &mx);
    gsl_test(!(e <= FD_TOL_J * mx), "%s: observed information = -Hessian by "
             "finite differences (largest error %.3g, %.2g of the largest "
             "entry %.6g)", what, e, e / mx, mx);
    fd_score_products(ds, K, phi, FD_H_B, Bfd);
    e = max_abs_diff(B, Bfd, P * P, &mx);
    gsl_test(!(e <= FD_TOL_B * mx), "%s: score outer products = finite "
             "differences (largest error %.3g, %.2g of the largest entry "
             "%.6g)", what, e, e / mx, mx);
}

/* The fit's vcov (per type: weight, theta) is G V G^T for V = J^-1 (or the
 * sandwich) of (theta_1..theta_K, alpha_1..alpha_{K-1}) and G the Jacobian
 * of (eta_k, theta_k) in those (eta = softmax(alpha, 0)), written out here
 * independently of mix.c; the weights sum to 1, so the variance of their
 * sum is 0 (a property, not a recomputation). */
static void check_fit_vcov(const mix_fit *f, const gsl_matrix *V, const char *what)
{
    size_t K = f->K, d = f->d, Kd = K * d, P = Kd + K - 1, n = f->n_out;
    gsl_test_int((int)n, (int)(K * (d + 1)), "%s: n_out = K (d + 1)", what);
    double G[64 * 64] = {0}, W[64 * 64] = {0};
    if (n > 64 || P > 64) return;
    for (size_t k = 0; k < K; k++) {
        for (size_t a = 0; a + 1 < K; a++)
            G[k * (d + 1) * P + Kd + a] = f->eta[k] * ((k == a) - f->eta[a]);
        for (size_t j = 0; j < d; j++) G[(k * (d + 1) + 1 + j) * P + k * d + j] = 1.0;
    }
    double emax = 0.0, vmax = 0.0, wsum = 0.0;
    for (size_t u = 0; u < n; u++)
        for (size_t v = 0; v < n; v++) {
            double s = 0.0;
            for (size_t a = 0; a < P; a++)
                for (size_t c = 0; c < P; c++)
                    s += G[u * P + a] * gsl_matrix_get(V, a, c) * G[v * P + c];
            W[u * n + v] = s;
            double e = fabs(f->vcov[u * n + v] - s);
            if (!(e <= emax)) emax = e;
            if (fabs(s) > vmax) vmax = fabs(s);
            if (u % (d + 1) == 0 && v % (d + 1) == 0) wsum += f->vcov[u * n + v];
        }
    gsl_test(!(emax <= 1e-9 * vmax), "%s: vcov = G V G^T (largest error %.3g "
             "of %.3g)", what, emax, vmax);
    gsl_test(!(fabs(wsum) <= 1e-12 * vmax), "%s: Var(sum of weights) = %.3g, 0 "
             "up to rounding", what, wsum);
    for (size_t k = 0; k < K; k++)
        gsl_test_rel(f->se_eta[k] * f->se_eta[k], W[k * (d + 1) * (n + 1)], 1e-9,
                     "%s: se_weight[%zu]^2 = the vcov diagonal", what, k);
    for (size_t k = 0; k + 1 < K; k++)
        gsl_test(!(f->eta[k] >= f->eta[k + 1]), "%s: types by decreasing weight "
                 "(%g then %g)", what, f->eta[k], f->eta[k + 1]);
}

/* The fit's standard errors are those of J (observed) and J^-1 B J^-1
 * (sandwich, fs) at its parameters: sqrt of the diagonal for theta, the
 * delta method through eta = softmax(alpha, 0) for eta. */
static void check_fit_se(const mix_fit *f, const mix_fit *fs, const double *J,
                         const double *B)
{
    size_t K = f->K, Kd = K * f->d, P = Kd + K - 1;
    gsl_matrix *Ji = gsl_matrix_alloc(P, P), *T = gsl_matrix_alloc(P, P),
               *S = gsl_matrix_alloc(P, P); /* J^-1, J^-1 B, J^-1 B J^-1 */
    gsl_test(!Ji || !T || !S, "SE check: gsl_matrix_alloc");
    if (!Ji || !T || !S) goto out;
    gsl_matrix_const_view Bv = gsl_matrix_const_view_array(B, P, P);
    memcpy(Ji->data, J, P * P * sizeof(double));
    gsl_test_int(gsl_linalg_cholesky_decomp1(Ji), GSL_SUCCESS, "SE check: Cholesky of J");
    gsl_test_int(gsl_linalg_cholesky_invert(Ji), GSL_SUCCESS, "SE check: J^-1");
    gsl_test_int(gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, Ji, &Bv.matrix,
                                0.0, T), GSL_SUCCESS, "SE check: J^-1 B");
    gsl_test_int(gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, T, Ji, 0.0, S),
                 GSL_SUCCESS, "SE check: J^-1 B J^-1");
    for (size_t j = 0; j < Kd; j++) {
        gsl_test_rel(f->se_theta[j], sqrt(gsl_matrix_get(Ji, j, j)), 1e-9,
                     "observed SE of theta[%zu] = sqrt of J^-1's diagonal", j);
        gsl_test_rel(fs->se_theta[j], sqrt(gsl_matrix_get(S, j, j)), 1e-9,
                     "sandwich SE of theta[%zu] = sqrt of (J^-1 B J^-1)'s diagonal", j);
    }
    for (size_t k = 0; k < K; k++) {
        double v = 0.0, vs = 0.0;
        for (size_t a = 0; a + 1 < K; a++)
            for (size_t c = 0; c + 1 < K; c++) {
                double ga = f->eta[k] * ((k == a) - f->eta[a]);
                double gc = f->eta[k] * ((k == c) - f->eta[c]);
                v += ga * gsl_matrix_get(Ji, Kd + a, Kd + c) * gc;
                vs += ga * gsl_matrix_get(S, Kd + a, Kd + c) * gc;
            }
        gsl_test_rel(f->se_eta[k], sqrt(v), 1e-9, "observed SE of eta[%zu]", k);
        gsl_test_rel(fs->se_eta[k], sqrt(vs), 1e-9, "sandwich SE of eta[%zu]", k);
    }
    check_fit_vcov(f, Ji, "observed");
    check_fit_vcov(fs, S, "sandwich");
out:
    gsl_matrix_free(Ji);
    gsl_matrix_free(T);
    gsl_matrix_free(S);
}

/* Three classes answering top-2 of 4 (so r > 1 and K - 1 = 2 weights, whose
 * cross terms the information must get right), at a fixed point away from
 * the optimum (J = -Hess holds everywhere, not only where the score
 * vanishes) and at the fit, whose standard errors must be J's. */
/* Pair data take the Bradley–Terry kernel on differences and the
 * responsibilities from the log-sum-exp's own exps: the passes' log-likelihood
 * and posteriors against the direct computation from pl_loglik (mixed signs
 * of the margins, K = 3, 9 pairs per user). */
static void test_pairs_path(void)
{
    const char *kv[] = {"population.kind", "latent_class", "population.types", "3",
                        "population.eta", "0.47, 0.32, 0.21", "population.theta",
                        "1.85, -0.62, 0.4; -1.37, 1.14, 0.2; 0.29, -1.93, -0.7",
                        "design.d", "3", "design.m", "2", "design.T", "9",
                        "design.users", "300", NULL};
    sim_population *p = NULL;
    data_set *ds = make_data(kv, 4471, &p);
    if (!ds) {
        sim_population_free(p);
        return;
    }
    const double eta[3] = {0.4385, 0.3172, 0.2443};
    const double theta[9] = {1.385, -0.7213, 0.31, -0.9137, 1.2291, 0.4373,
                             -1.6571, 0.52, -2.9};
    double L = 0.0, *post = malloc(ds->n_users * 3 * sizeof *post);
    gsl_test_int(mix_posterior_at(ds, 3, eta, theta, post, &L), PREF_OK,
                 "pairs: mix_posterior_at");
    gsl_test_rel(L, loglik_at(ds, 3, eta, theta), 1e-12,
                 "pairs: the pass's log-likelihood = the direct sum");
    double worst = 0.0, u[2];
    for (size_t i = 0; i < ds->n_users; i++) {
        double a[3];
        for (size_t k = 0; k < 3; k++) {
            a[k] = log(eta[k]);
            for (size_t q = ds->user_q[i]; q < ds->user_q[i + 1]; q++) {
                pl_utilities(ds->x + ds->q_cand[q] * ds->d, 2, ds->d, theta + k * 3, u);
                a[k] += pl_loglik(u, 2, 1);
            }
        }
        double lse = pl_logaddexp(pl_logaddexp(a[0], a[1]), a[2]);
        for (size_t k = 0; k < 3; k++)
            worst = fmax(worst, fabs(post[i * 3 + k] - exp(a[k] - lse)));
    }
    gsl_test(!(worst < 1e-12), "pairs: posteriors = the direct ones (worst %.3g)", worst);
    free(post);
    data_free(ds);
    sim_population_free(p);
}

/* One class on pairs: the fit is the Bradley–Terry MLE, so the score,
 * summed directly with pl_linear_accum, vanishes there: with 9 pairs per
 * user (the passes' vectorised sub-blocks of users) and with 300 (more than
 * a sub-block holds: each user by its own kernel call). */
static void test_pairs_score(void)
{
    const char *users[2] = {"300", "9"}, *T[2] = {"9", "300"};
    for (int c = 0; c < 2; c++) {
        const char *kv[] = {"population.kind", "latent_class", "population.types", "1",
                            "population.eta", "1", "population.theta", "0.9, -0.6, 0.3",
                            "design.d", "3", "design.m", "2", "design.T", T[c],
                            "design.users", users[c], NULL};
        sim_population *p = NULL;
        data_set *ds = make_data(kv, 5309 + c, &p);
        mix_params mp;
        mix_params_init(&mp);
        mp.starts = 1;
        mix_fit *f = NULL;
        if (ds) gsl_test_int(mix_fit_run(ds, 1, &mp, &f), PREF_OK, "pairs K = 1 fit");
        if (f) {
            double g[3] = {0, 0, 0}, H[9] = {0}, work[16];
            for (size_t q = 0; q < ds->n_queries; q++)
                pl_linear_accum(ds->x + ds->q_cand[q] * 3, 2, 3, 1, f->theta, 1.0, g,
                                H, work);
            for (size_t j = 0; j < 3; j++)
                gsl_test_abs(g[j], 0.0, 1e-7, "pairs K = 1, T = %s: score %zu at the MLE",
                             T[c], j);
        }
        mix_fit_free(f);
        data_free(ds);
        sim_population_free(p);
    }
}

/* K = 3 classes answering top-2 of 4, 400 users: test_information_fd's and
 * test_newton_system's data. */
static const char *const KV_K3_TOP2[] = {
    "population.kind", "latent_class", "population.types", "3",
    "population.eta", "0.47, 0.32, 0.21", "population.theta",
    "1.85, -0.62; -1.37, 1.14; 0.29, -1.93", "design.answer", "topk",
    "design.r", "2", "design.m", "4", "design.T", "4", "design.users", "400", NULL};

static void test_information_fd(void)
{
    const char *const *kv = KV_K3_TOP2;
    sim_population *p = NULL;
    data_set *ds = make_data(kv, 2385, &p);
    if (!ds) {
        sim_population_free(p);
        return;
    }
    double J[PMAX * PMAX], B[PMAX * PMAX];
    const double eta0[3] = {0.4385, 0.3172, 0.2443};
    const double theta0[6] = {1.385, -0.7213, -0.9137, 1.2291, 0.4373, -1.6571};
    check_information_at(ds, 3, eta0, theta0, "a fixed point", J, B);
    const double eta_bad[3] = {0.5, 0.5, 0.1};
    gsl_test_int(mix_information_at(ds, 3, eta_bad, theta0, J, NULL), PREF_EINPUT,
                 "mix_information_at: weights summing to 1.1 refused");
    gsl_test_int(mix_loglik_at(ds, 0, eta0, theta0, J), PREF_EINPUT,
                 "mix_loglik_at: K = 0 refused");
    mix_params mp;
    mix_params_init(&mp);
    mp.starts = 4;
    mp.seed = 71;
    mp.threads = 1;
    mix_fit *f = NULL, *fs = NULL;
    gsl_test_int(mix_fit_run(ds, 3, &mp, &f), PREF_OK, "K = 3 fit");
    mp.sandwich = 1;
    gsl_test_int(mix_fit_run(ds, 3, &mp, &fs), PREF_OK, "K = 3 sandwich fit");
    if (f && fs) {
        gsl_test(!f->se_ok || !fs->se_ok, "K = 3: standard errors computed");
        gsl_test(memcmp(f->theta, fs->theta, 6 * sizeof(double)) != 0,
                 "the sandwich changes no estimate");
        check_information_at(ds, 3, f->eta, f->theta, "the fit", J, B);
        check_fit_se(f, fs, J, B);
    }
    mix_fit_free(f);
    mix_fit_free(fs);
    data_free(ds);
    sim_population_free(p);
}

static void test_edge_cases(void)
{
    const char *kv[] = {"population.kind", "indifferent", "design.answer", "pair",
                        "design.users", "30", NULL};
    sim_population *p = NULL;
    data_set *ds = make_data(kv, 5, &p);
    if (!ds) {
        sim_population_free(p);
        return;
    }
    mix_params mp;
    mix_params_init(&mp);
    mp.starts = 5;
    mix_fit *f = NULL;
    gsl_test_int(mix_fit_run(ds, 31, &mp, &f), PREF_EINPUT, "K > users refused");
    gsl_test_int(mix_fit_run(ds, 0, &mp, &f), PREF_EINPUT, "K = 0 refused");
    mp.starts = 0;
    gsl_test_int(mix_fit_run(ds, 2, &mp, &f), PREF_EINPUT, "starts = 0 refused");
    /* Many classes on tiny structureless data: finite output, never NaN in
     * the estimates (no class empties here: test_empty_classes does that). */
    mp.starts = 3;
    int st = mix_fit_run(ds, 6, &mp, &f);
    gsl_test_int(st, PREF_OK, "K = 6 on 30 indifferent users runs");
    if (f) {
        int finite = isfinite(f->loglik);
        for (size_t j = 0; j < 6 * 2; j++) finite &= isfinite(f->theta[j]);
        for (size_t k = 0; k < 6; k++) finite &= isfinite(f->eta[k]) && f->eta[k] >= 0;
        gsl_test(!finite, "estimates finite");
    }
    mix_fit_free(f);
    data_free(ds);
    sim_population_free(p);
}

/* SQUAREM on a slowly converging fit (one top-1-of-3 answer per user, a
 * polarised truth: EM's linear rate is near 1 there). The accelerated EM
 * must reach a log-likelihood at least as high as plain EM's at the same
 * tolerance (minus tol |L|: both stop within it) in fewer passes, never
 * decrease, and give the same bits for 1 and 2 threads. Measured: plain
 * EM 100 passes, SQUAREM 70, L higher by 1.2e-5. */
/* One answer per user from the polarised population (half b, half -b,
 * b = (1.5, -0.8)). */
static data_set *polarised_one(const char *answer, const char *users,
                               unsigned long seed, sim_population **p)
{
    const char *kv[] = {"population.kind", "polarised", "population.b", "1.5, -0.8",
                        "design.answer", answer, "design.T", "1", "design.users",
                        users, NULL};
    return make_data(kv, seed, p);
}

/* Defaults on one thread with max_iter E-steps per start. */
static void params_one_thread(mix_params *mp, size_t max_iter)
{
    mix_params_init(mp);
    mp->threads = 1;
    mp->max_iter = max_iter;
    mp->warm_users = 0; /* every pass on all users (warm starts: test_warm) */
}

/* The identified data of test_squarem and test_newton_fit (top-1 of 3,
 * 3000 users) and one start (seed 5) on one thread. */
static data_set *top1_one_start(sim_population **p, mix_params *mp, size_t max_iter)
{
    params_one_thread(mp, max_iter);
    mp->starts = 1;
    mp->seed = 5;
    return polarised_one("top1", "3000", 23, p);
}

static void test_squarem(void)
{
    sim_population *p = NULL;
    mix_params mp;
    data_set *ds = top1_one_start(&p, &mp, 1000);
    mix_fit *fe = NULL, *fs = NULL, *f2 = NULL;
    mp.newton = 0; /* SQUAREM alone here; Newton: test_newton_fit */
    mp.accelerate = 0;
    if (ds) gsl_test_int(mix_fit_run(ds, 2, &mp, &fe), PREF_OK, "plain EM fit");
    mp.accelerate = 1;
    if (ds) gsl_test_int(mix_fit_run(ds, 2, &mp, &fs), PREF_OK, "SQUAREM fit");
    mp.threads = 2;
    if (ds) gsl_test_int(mix_fit_run(ds, 2, &mp, &f2), PREF_OK, "SQUAREM, 2 threads");
    if (fe && fs && f2) {
        gsl_test(!fe->converged || !fs->converged, "both converge");
        gsl_test(fs->loglik < fe->loglik - mp.tol * fabs(fe->loglik),
                 "SQUAREM log-likelihood %.17g >= plain EM's %.17g", fs->loglik,
                 fe->loglik);
        gsl_test(fs->iterations >= fe->iterations,
                 "SQUAREM: fewer passes (%zu) than plain EM (%zu)", fs->iterations,
                 fe->iterations);
        gsl_test(fs->max_decrease > 1e-11 * fabs(fs->loglik),
                 "SQUAREM never decreases L (largest drop %g)", fs->max_decrease);
        gsl_test(fs->loglik != f2->loglik ||
                     memcmp(fs->theta, f2->theta, 4 * sizeof(double)) != 0,
                 "SQUAREM: bit-identical for 1 and 2 threads");
    }
    mix_fit_free(fe);
    mix_fit_free(fs);
    mix_fit_free(f2);
    data_free(ds);
    sim_population_free(p);
}

/* Single pairs from a polarised population (half b, half -b) are not
 * identified: every (theta, -theta, 1/2) gives each pair probability 1/2.
 * EM started near the saddle theta = 0 creeps with constant tiny gains; the
 * flat rule must stop such a start after flat_window iterations whose gains
 * were each in (tol |L|, flat_tol |L|] and not shrinking, converged = 0,
 * where without the rule it runs on. Identified data (top-1 of 3, test_squarem's)
 * never look flat. */
/* The first of starts 0..n-1 that mix_em_flat stops (its E-steps into
 * *iters), checking its last window of gains; SIZE_MAX when none. */
static size_t flat_start(const data_set *ds, const mix_params *mp, size_t n_starts,
                         size_t *iters)
{
    int err;
    mix_em *s = mix_em_alloc(ds, 2, mp, &err);
    size_t found = SIZE_MAX, bad = 0;
    for (size_t k = 0; s && k < n_starts && found == SIZE_MAX; k++) {
        double g[1000];
        size_t n = 0;
        gsl_test_int(mix_em_set(s, k), PREF_OK, "flat: set start %zu", k);
        while (mix_em_test(s, mp->tol) != PREF_OK && !mix_em_flat(s) &&
               mix_em_iterations(s) < mp->max_iter && n < 1000) {
            double L0 = mix_em_loglik(s);
            if (mix_em_iterate(s)) break;
            g[n++] = mix_em_loglik(s) - L0;
        }
        if (!mix_em_flat(s)) continue;
        found = k;
        *iters = mix_em_iterations(s);
        double aL = fabs(mix_em_loglik(s));
        for (size_t j = n - mp->flat_window; j < n; j++)
            bad += !(g[j] > mp->tol * aL && g[j] <= mp->flat_tol * aL &&
                     g[j] >= g[j - 1] && g[j] <= 1.1 * g[j - 1]);
    }
    gsl_test(bad != 0, "flat: %zu of the last window's gains break the rule", bad);
    mix_em_free(s);
    return found;
}

static void test_flat(void)
{
    sim_population *p = NULL;
    data_set *ds = polarised_one("pair", "4000", 20261128, &p);
    mix_params mp;
    params_one_thread(&mp, 200);
    size_t it = 0, k = ds ? flat_start(ds, &mp, 16, &it) : SIZE_MAX; /* start 12 */
    gsl_test(k == SIZE_MAX, "flat: a start of single polarised pairs stops as "
             "flat (start %zu)", k);
    gsl_test(k != SIZE_MAX && it > 50, "flat: recognised early (%zu iterations)", it);
    if (k != SIZE_MAX) { /* the same start without the rule runs on */
        mix_params m0 = mp;
        m0.flat_tol = 0.0;
        int err;
        mix_em *s = mix_em_alloc(ds, 2, &m0, &err);
        gsl_test_int(s ? mix_em_set(s, k) : -1, PREF_OK, "flat: set, rule off");
        while (s && mix_em_test(s, m0.tol) != PREF_OK && !mix_em_flat(s) &&
               mix_em_iterations(s) <= it && !mix_em_iterate(s)) {}
        gsl_test(!s || mix_em_flat(s) || mix_em_iterations(s) <= it,
                 "flat: without the rule the start neither stops flat nor "
                 "converges by iteration %zu", it);
        mix_em_free(s);
    }
    data_free(ds);
    sim_population_free(p);
    ds = polarised_one("top1", "3000", 23, &p);
    mp.max_iter = 1000;
    k = ds ? flat_start(ds, &mp, 8, &it) : 0;
    gsl_test(k != SIZE_MAX, "flat: identified top-1 data never look flat (start %zu)", k);
    data_free(ds);
    sim_population_free(p);
}

/* ---- Newton iterations on the observed log-likelihood ------------------- */

/* The score of the marginal log-likelihood at phi0 by central differences
 * (h = 1e-5: truncation h^2 / 6 |L'''| ~ 1e-8, rounding eps |L| / h ~
 * 1e-7 for |L| ~ 3e3). */
static void fd_score(const data_set *ds, size_t K, const double *phi0, double h,
                     double *sc)
{
    size_t d = ds->d, P = K * d + K - 1;
    double phi[PMAX], eta[PMAX], l[2] = {NAN, NAN};
    for (size_t a = 0; a < P; a++) {
        for (int t = 0; t < 2; t++) {
            memcpy(phi, phi0, P * sizeof(double));
            phi[a] += t ? -h : h;
            eta_of_phi(phi, K, d, eta);
            mix_loglik_at(ds, K, eta, phi, &l[t]);
        }
        sc[a] = (l[0] - l[1]) / (2.0 * h);
    }
}

/* mix_em_newton's J and score at the state's point against
 * mix_information_at (analytic, another code path: to rounding, 1e-10 of
 * the largest entry) and finite differences of mix_loglik_at (J as
 * check_information_at; the score to 1e-6 absolute, the differences' error
 * ~ 1e-7); when J is positive definite, J dir = score to 1e-10 of
 * |J| |dir|. Returns mix_em_newton's status. */
static int check_newton_at(mix_em *s, const data_set *ds, size_t K, const char *what)
{
    size_t P = K * ds->d + K - 1;
    double J[PMAX * PMAX], sc[PMAX], dir[PMAX], Ji[PMAX * PMAX], phi[PMAX];
    double Jfd[PMAX * PMAX], scfd[PMAX], mx, e;
    int st = mix_em_newton(s, J, sc, dir);
    gsl_test(st != PREF_OK && st != PREF_ENUM, "%s: mix_em_newton (%d)", what, st);
    if (st != PREF_OK && st != PREF_ENUM) return st;
    gsl_test_int(mix_information_at(ds, K, mix_em_eta(s), mix_em_theta(s), Ji, NULL),
                 PREF_OK, "%s: mix_information_at", what);
    e = max_abs_diff(J, Ji, P * P, &mx);
    gsl_test(!(e <= 1e-10 * mx), "%s: Newton's J = mix_information_at's (largest "
             "error %.3g of %.6g)", what, e, mx);
    phi_of(mix_em_eta(s), mix_em_theta(s), K, ds->d, phi);
    fd_information(ds, K, phi, FD_H_J, Jfd);
    e = max_abs_diff(J, Jfd, P * P, &mx);
    gsl_test(!(e <= FD_TOL_J * mx), "%s: Newton's J = -Hessian by finite "
             "differences (largest error %.3g of %.6g)", what, e, mx);
    fd_score(ds, K, phi, 1e-5, scfd);
    e = max_abs_diff(sc, scfd, P, &mx);
    gsl_test(!(e <= 1e-6), "%s: Newton's score = finite differences (largest "
             "error %.3g, largest entry %.6g)", what, e, mx);
    if (st == PREF_OK) {
        double r = 0.0, jm = 0.0, dm = 0.0;
        for (size_t a = 0; a < P; a++) {
            double v = -sc[a];
            for (size_t c = 0; c < P; c++) {
                v += J[a * P + c] * dir[c];
                if (fabs(J[a * P + c]) > jm) jm = fabs(J[a * P + c]);
            }
            if (fabs(v) > r) r = fabs(v);
            if (fabs(dir[a]) > dm) dm = fabs(dir[a]);
        }
        gsl_test(!(r <= 1e-10 * jm * dm * (double)P), "%s: J dir = score "
                 "(residual %.3g)", what, r);
    }
    return st;
}

/* (1) the Newton system against the information and finite differences,
 * on the general path (top-2 of 4, K = 3: test_information_fd's data) and
 * the pair path (vectorised sub-blocks: per-user gradients rebuilt), at an
 * early point (large score) and at convergence (J positive definite). */
static void test_newton_system(void)
{
    const char *const *kv = KV_K3_TOP2;
    const char *kvp[] = {"population.kind", "latent_class", "population.eta",
                         "0.6, 0.4", "population.theta", "1.5, -0.5; -1, 1",
                         "design.answer", "pair", "design.T", "6",
                         "design.users", "700", NULL};
    for (int c = 0; c < 2; c++) {
        sim_population *p = NULL;
        data_set *ds = make_data(c ? kvp : kv, 2385, &p);
        size_t K = c ? 2 : 3;
        const char *what = c ? "pairs, K = 2" : "top-2 of 4, K = 3";
        mix_params mp;
        params_one_thread(&mp, 500);
        int err;
        mix_em *s = ds ? mix_em_alloc(ds, K, &mp, &err) : NULL;
        gsl_test(!s, "Newton system (%s): alloc", what);
        if (s && !mix_em_set(s, 1)) {
            for (int i = 0; i < 2; i++) mix_em_iterate(s);
            char buf[96];
            snprintf(buf, sizeof buf, "%s, early", what);
            check_newton_at(s, ds, K, buf);
            while (mix_em_test(s, mp.tol) != PREF_OK && mix_em_iterations(s) < 500 &&
                   !mix_em_iterate(s)) {}
            snprintf(buf, sizeof buf, "%s, converged", what);
            gsl_test_int(check_newton_at(s, ds, K, buf), PREF_OK,
                         "%s: J positive definite at convergence", what);
        }
        mix_em_free(s);
        data_free(ds);
        sim_population_free(p);
    }
}

/* (2), (4) on identified data (test_squarem's top-1 of 3): the Newton fit
 * reaches the optimum of an EM fit run to tol 1e-14: its theta and eta
 * within 1e-5, its L not below EM's by more than 1e-12 |L| (measured: 2.6e-10
 * above it, and theta 3.7e-6 apart — EM's linear rate is near 1 here, so
 * even at 1e-14 it stops ~ gain rate / (1 - rate) short, sqrt(2 x 2.6e-10 /
 * the smallest curvature ~ 40) ~ 4e-6 in theta; Newton's last step gained
 * 5e-7 and its error is of the order of that step's square), with fewer
 * passes than EM and than SQUAREM at tol 1e-9, its largest decrease 0; the
 * same bits on 1 and 2 threads (12 blocks). */
static void test_newton_fit(void)
{
    sim_population *p = NULL;
    mix_params mp;
    data_set *ds = top1_one_start(&p, &mp, 5000);
    mix_fit *fn = NULL, *f2 = NULL, *fe = NULL, *fq = NULL, *fx = NULL;
    if (!ds) {
        sim_population_free(p);
        return;
    }
    gsl_test_int(mix_fit_run(ds, 2, &mp, &fn), PREF_OK, "Newton fit");
    mp.threads = 2;
    gsl_test_int(mix_fit_run(ds, 2, &mp, &f2), PREF_OK, "Newton fit, 2 threads");
    mp.threads = 1;
    mp.newton = 0;
    gsl_test_int(mix_fit_run(ds, 2, &mp, &fq), PREF_OK, "SQUAREM fit");
    mp.accelerate = 0;
    gsl_test_int(mix_fit_run(ds, 2, &mp, &fe), PREF_OK, "EM fit");
    mp.tol = 1e-14;
    gsl_test_int(mix_fit_run(ds, 2, &mp, &fx), PREF_OK, "EM fit to 1e-14");
    if (fn && f2 && fe && fq && fx) {
        gsl_test(!fn->converged || !fx->converged, "Newton and exact EM converge");
        double e = 0.0;
        for (size_t j = 0; j < 4; j++)
            if (!(fabs(fn->theta[j] - fx->theta[j]) <= e))
                e = fabs(fn->theta[j] - fx->theta[j]);
        gsl_test(!(e <= 1e-5), "Newton's theta = EM's optimum (largest "
                 "difference %.3g)", e);
        gsl_test(!(fabs(fn->eta[0] - fx->eta[0]) <= 1e-5), "Newton's eta %.9g = "
                 "EM's optimum %.9g", fn->eta[0], fx->eta[0]);
        gsl_test(!(fn->loglik >= fe->loglik && fn->loglik >= fx->loglik -
                   1e-12 * fabs(fx->loglik)), "Newton's L %.17g >= EM's at tol "
                 "1e-9 (%.17g), = EM's at 1e-14 (%.17g)", fn->loglik, fe->loglik,
                 fx->loglik);
        gsl_test(!(fn->iterations < fq->iterations && fq->iterations < fe->iterations),
                 "passes: Newton %zu < SQUAREM %zu < EM %zu", fn->iterations,
                 fq->iterations, fe->iterations);
        gsl_test(fn->max_decrease != 0.0, "Newton: L never decreases (largest "
                 "drop %g)", fn->max_decrease);
        gsl_test(fn->loglik != f2->loglik || fn->iterations != f2->iterations ||
                     memcmp(fn->theta, f2->theta, 4 * sizeof(double)) != 0 ||
                     memcmp(fn->eta, f2->eta, 2 * sizeof(double)) != 0,
                 "Newton: bit-identical for 1 and 2 threads");
    }
    mix_fit_free(fn);
    mix_fit_free(f2);
    mix_fit_free(fe);
    mix_fit_free(fq);
    mix_fit_free(fx);
    data_free(ds);
    sim_population_free(p);
}

/* (3) stepped: over 8 starts each of top-1 (identified) and single pairs
 * (not identified: Newton is refused or J singular there, and the
 * fallbacks must keep the rule), L after every iteration >= L before. */
static void test_newton_monotone(void)
{
    const char *answers[2] = {"top1", "pair"};
    for (int c = 0; c < 2; c++) {
        sim_population *p = NULL;
        data_set *ds = polarised_one(answers[c], "2000", 20261128, &p);
        mix_params mp;
        params_one_thread(&mp, 200);
        int err;
        mix_em *s = ds ? mix_em_alloc(ds, 2, &mp, &err) : NULL;
        size_t drops = 0, steps = 0;
        double worst = 0.0;
        for (size_t k = 0; s && k < 8; k++) {
            if (mix_em_set(s, k)) break;
            while (mix_em_test(s, mp.tol) != PREF_OK && !mix_em_flat(s) &&
                   mix_em_iterations(s) < mp.max_iter) {
                double L0 = mix_em_loglik(s);
                size_t e0 = mix_em_empty(s);
                if (mix_em_iterate(s)) break;
                steps++;
                if (mix_em_empty(s) == e0 && mix_em_loglik(s) < L0) {
                    drops++;
                    if (L0 - mix_em_loglik(s) > worst) worst = L0 - mix_em_loglik(s);
                }
            }
        }
        gsl_test(!s || drops != 0, "Newton, %s: L never falls (%zu drops of %zu "
                 "iterations, worst %g)", answers[c], drops, steps, worst);
        mix_em_free(s);
        data_free(ds);
        sim_population_free(p);
    }
}

/* Warm starts (mix_params.warm_users): 8000 users answering top-1 of 3
 * from the polarised population, 4 starts. With warm starts of 1000 users
 * the fit must reach the log-likelihood of the fit without (each stops
 * within about tol |L| of the same maximum: 2 tol |L| allowed) and the
 * same estimates (to 1e-6: Newton ends quadratically, and the two stop points differ by 1.8e-9 here), in
 * fewer passes over all users (measured: 5 against 18 for the best start),
 * with the same bits on 1 and 2 threads; every start single-stepped on all
 * users after its warm start never lowers L. Data of pairs only take no
 * warm start: the same bits with and without. warm_users 1..99 refused. */
static void warm_pair(const data_set *ds, mix_params *mp, mix_fit **fc,
                      mix_fit **fw)
{
    mp->warm_users = 0;
    gsl_test_int(mix_fit_run(ds, 2, mp, fc), PREF_OK, "warm: fit without");
    mp->warm_users = 1000;
    gsl_test_int(mix_fit_run(ds, 2, mp, fw), PREF_OK, "warm: fit with");
}

static void warm_monotone(const data_set *ds, const mix_params *mp)
{
    int err;
    mix_em *s = mix_em_alloc(ds, 2, mp, &err);
    size_t drops = 0, steps = 0;
    for (size_t k = 0; s && k < mp->starts; k++) {
        if (mix_em_set(s, k)) break;
        while (mix_em_test(s, mp->tol) != PREF_OK && !mix_em_flat(s) &&
               mix_em_iterations(s) < mp->max_iter) {
            double L0 = mix_em_loglik(s);
            size_t e0 = mix_em_empty(s);
            if (mix_em_iterate(s)) break;
            steps++;
            drops += mix_em_empty(s) == e0 && mix_em_loglik(s) < L0;
        }
    }
    gsl_test(!s || drops != 0 || steps == 0,
             "warm: L never falls on all users (%zu drops in %zu iterations)",
             drops, steps);
    mix_em_free(s);
}

static void test_warm(void)
{
    sim_population *p = NULL;
    data_set *ds = polarised_one("top1", "8000", 20261201, &p);
    mix_params mp;
    params_one_thread(&mp, 200);
    mp.starts = 4;
    mix_fit *fc = NULL, *fw = NULL, *f2 = NULL;
    if (ds) warm_pair(ds, &mp, &fc, &fw);
    mp.threads = 2;
    if (ds) gsl_test_int(mix_fit_run(ds, 2, &mp, &f2), PREF_OK, "warm: 2 threads");
    if (fc && fw && f2) {
        gsl_test(!fc->converged || !fw->converged, "warm: both converge");
        gsl_test(fabs(fw->loglik - fc->loglik) > 2 * mp.tol * fabs(fc->loglik),
                 "warm: log-likelihood %.17g, without %.17g", fw->loglik,
                 fc->loglik);
        double dmax = fabs(fw->eta[0] - fc->eta[0]);
        for (size_t j = 0; j < 4; j++)
            dmax = fmax(dmax, fabs(fw->theta[j] - fc->theta[j]));
        gsl_test(dmax > 1e-6, "warm: the same estimates (largest difference %g)", dmax);
        gsl_test(fw->iterations >= fc->iterations,
                 "warm: fewer passes over all users (%zu, without %zu)",
                 fw->iterations, fc->iterations);
        gsl_test(fw->loglik != f2->loglik ||
                     memcmp(fw->theta, f2->theta, 4 * sizeof(double)) != 0 ||
                     memcmp(fw->eta, f2->eta, 2 * sizeof(double)) != 0,
                 "warm: bit-identical for 1 and 2 threads");
    }
    mp.threads = 1;
    if (ds) warm_monotone(ds, &mp);
    mix_fit_free(fc);
    mix_fit_free(fw);
    mix_fit_free(f2);
    data_free(ds);
    sim_population_free(p);
    ds = polarised_one("pair", "4000", 20261201, &p);
    fc = fw = NULL;
    if (ds) warm_pair(ds, &mp, &fc, &fw);
    if (fc && fw)
        gsl_test(fw->loglik != fc->loglik || fw->iterations != fc->iterations ||
                     memcmp(fw->theta, fc->theta, 4 * sizeof(double)) != 0,
                 "warm: pairs only take no warm start (the same bits)");
    mix_fit_free(fc);
    mix_fit_free(fw);
    data_free(ds);
    sim_population_free(p);
    mix_params_init(&mp);
    mp.warm_users = 99;
    gsl_test(mix_params_check(&mp) == NULL, "warm: warm_users = 99 refused");
    mp.warm_users = 100;
    gsl_test(mix_params_check(&mp) != NULL, "warm: warm_users = 100 accepted");
    mp.warm_users = 0;
    gsl_test(mix_params_check(&mp) != NULL, "warm: warm_users = 0 accepted");
}

/* A random data set for test_subblocks: n users of T queries each, but
 * user 1 with 12 (more stage exps than one kernel chunk) and, when n > 2,
 * user n / 2 with 50 full rankings of 6 (1000 exps: more than a sub-block
 * holds, so it takes its own kernel call). Queries: top-r of m with
 * (m, r) = (3, r3) or, when mixed, m in 2..6 and r in 1..m-1 at random;
 * features standard normal. */
static data_set *random_stages(size_t n, size_t T, size_t d, int mixed, size_t r3,
                               unsigned long seed)
{
    gsl_rng *rng = rngs_alloc(seed);
    size_t *Tu = malloc(n * sizeof(size_t)), nq = 0;
    if (!rng || !Tu) {
        gsl_rng_free(rng);
        free(Tu);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        Tu[i] = i == 1 ? 12 : n > 2 && i == n / 2 ? 50 : T;
        nq += Tu[i];
    }
    data_set *ds = data_alloc(n, nq, 6 * nq, d, 0);
    for (size_t i = 0, q = 0; ds && i < n; i++) {
        ds->user_q[i + 1] = ds->user_q[i] + Tu[i];
        for (; q < ds->user_q[i + 1]; q++) {
            int big = n > 2 && i == n / 2;
            size_t m = big ? 6 : mixed ? 2 + gsl_rng_uniform_int(rng, 5) : 3;
            ds->q_r[q] = (uint32_t)(big ? 5 : mixed ? 1 + gsl_rng_uniform_int(rng, m - 1)
                                                    : r3);
            ds->q_cand[q + 1] = ds->q_cand[q] + m;
        }
    }
    if (ds) {
        ds->n_cands = ds->q_cand[nq];
        for (size_t j = 0; j < ds->n_cands * d; j++) ds->x[j] = gsl_ran_gaussian(rng, 1.0);
        gsl_test_int(data_check(ds), PREF_OK, "random_stages: data_check");
    }
    gsl_rng_free(rng);
    free(Tu);
    return ds;
}

/* The passes' sub-blocks of users with few candidates per query give the
 * same bits as one kernel call per user (mix_params.subblocks = 0), on 1
 * and 2 threads: after a start and 6 iterations, the log-likelihood,
 * parameters and responsibilities, and the Newton system (the information
 * sums of user_missing) J and score (not the direction: J may not be
 * positive definite yet). */
static void check_subblocks(const data_set *ds, size_t K, const char *what)
{
    mix_params mp;
    params_one_thread(&mp, 50);
    mp.starts = 1;
    mp.seed = 3;
    mix_em *s[3];
    size_t P = K * ds->d + K - 1, d = ds->d;
    double *J = calloc(3 * (P * P + 2 * P), sizeof(double));
    int err, same = J != NULL;
    for (int c = 0; c < 3; c++) {
        mp.subblocks = c != 0;
        mp.threads = c == 2 ? 2 : 1;
        s[c] = mix_em_alloc(ds, K, &mp, &err);
        if (!s[c] || mix_em_set(s[c], 0) != PREF_OK) same = 0;
        for (int it = 0; it < 6 && same; it++) mix_em_iterate(s[c]);
        if (same) mix_em_newton(s[c], J + c * (P * P + 2 * P),
                                J + c * (P * P + 2 * P) + P * P,
                                J + c * (P * P + 2 * P) + P * P + P);
    }
    for (int c = 1; c < 3 && same; c++) {
        same = mix_em_loglik(s[c]) == mix_em_loglik(s[0]) &&
               !memcmp(mix_em_eta(s[c]), mix_em_eta(s[0]), K * sizeof(double)) &&
               !memcmp(mix_em_theta(s[c]), mix_em_theta(s[0]), K * d * sizeof(double)) &&
               !memcmp(mix_em_post(s[c]), mix_em_post(s[0]),
                       ds->n_users * K * sizeof(double)) &&
               !memcmp(J + c * (P * P + 2 * P), J, (P * P + P) * sizeof(double));
    }
    gsl_test(!same, "sub-blocks = user by user, bit for bit (%s, K = %zu, L %.17g)",
             what, K, s[0] ? mix_em_loglik(s[0]) : NAN);
    for (int c = 0; c < 3; c++) mix_em_free(s[c]);
    free(J);
}

static void test_subblocks(void)
{
    const size_t users[] = {1, 255, 256, 257, 700};
    for (size_t u = 0; u < sizeof users / sizeof *users; u++)
        for (int c = 0; c < 8; c++) {
            size_t T = c % 2 ? 3 : 1, d = c == 5 ? 3 : c >= 6 ? 8 : 2;
            size_t r3 = c < 2 || c == 7 ? 1 : 2;
            int mixed = c == 4 || c == 5;
            data_set *ds = random_stages(users[u], T, d, mixed, r3, 100 * u + c);
            char what[96];
            snprintf(what, sizeof what, "%zu users, T = %zu, d = %zu, %s", users[u],
                     T, d, mixed ? "mixed m, r" : r3 == 1 ? "top-1 of 3" : "ranking of 3");
            if (ds) check_subblocks(ds, users[u] == 1 ? 1 : c == 3 ? 3 : 2, what);
            data_free(ds);
        }
}

int main(void)
{
    gsl_set_error_handler_off();
    test_k1_first_order();
    test_k2_recovery_and_invariance();
    test_em_steps();
    test_squarem();
    test_newton_system();
    test_newton_fit();
    test_newton_monotone();
    test_flat();
    test_information_fd();
    test_pairs_path();
    test_pairs_score();
    test_subblocks();
    test_warm();
    test_empty_classes();
    test_edge_cases();
    exit(gsl_test_summary());
}
