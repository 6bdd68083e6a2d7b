/* test_pl.c — the Plackett–Luce kernel against hand values, finite
 * differences, normalisation and sampling frequencies. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>
#include <gsl/gsl_test.h>

#include "pl.h"
#include "rngs.h"
#include "vecops.h"

/* Reference values computed with Python 3.11's math module:
 *   u = (2.385, -0.7, 1.1): l1 = u0 - log(sum exp u),
 *   l2 = l1 + u1 - log(exp u1 + exp u2); BT: -log1p(exp(-(0.413 + 1.27))). */
static void test_hand_values(void)
{
    double u[3] = {2.385, -0.7, 1.1};
    gsl_test_rel(pl_loglik(u, 3, 1), -0.2794336103786894, 1e-14, "top-1 of 3");
    gsl_test_rel(pl_loglik(u, 3, 2), -2.2324112209047637, 1e-14, "full 3");
    gsl_test_rel(pl_loglik(u, 3, 3), -2.2324112209047637, 1e-14,
                 "r = m equals r = m - 1");
    double b[2] = {0.413, -1.27};
    gsl_test_rel(pl_loglik(b, 2, 1), -0.17043088542682178, 1e-14,
                 "Bradley-Terry pair");
    /* Extreme utilities: exact answer -2400 (each stage loses exp(800)). */
    double e[3] = {-800.0, 0.0, 800.0};
    gsl_test_rel(pl_loglik(e, 3, 2), -2400.0, 1e-12, "no underflow at |u| = 800");
    double big[3] = {1000.0, -1000.0, 0.0};
    gsl_test_abs(pl_loglik(big, 3, 1), 0.0, 1e-12, "no overflow at u = 1000");
}

/* Sum of exp(loglik) over every ordered r-tuple must be 1. */
static double total_prob(const double *u, size_t m, size_t r, size_t depth,
                         unsigned char *used, double *v, size_t *pos)
{
    if (depth == r) {
        size_t t = r;
        for (size_t j = 0; j < m; j++)
            if (!used[j]) v[t++] = u[j];
        return exp(pl_loglik(v, m, r));
    }
    double s = 0.0;
    for (size_t j = 0; j < m; j++) {
        if (used[j]) continue;
        used[j] = 1;
        v[depth] = u[j];
        pos[depth] = j;
        s += total_prob(u, m, r, depth + 1, used, v, pos);
        used[j] = 0;
    }
    return s;
}

static void test_normalisation(void)
{
    double u[5] = {0.31, -1.7, 2.2, 0.05, -0.44};
    unsigned char used[5] = {0};
    double v[5];
    size_t pos[5];
    for (size_t m = 2; m <= 5; m++)
        for (size_t r = 1; r < m; r++)
            gsl_test_abs(total_prob(u, m, r, 0, used, v, pos), 1.0, 1e-13,
                         "probabilities sum to 1 (m=%zu r=%zu)", m, r);
}

static void test_relabel_invariance(void)
{
    /* Swapping two unranked candidates does not change the likelihood. */
    double u[5] = {0.7, -0.2, 1.9, -1.1, 0.4}, w[5];
    memcpy(w, u, sizeof u);
    w[3] = u[4];
    w[4] = u[3];
    gsl_test_rel(pl_loglik(w, 5, 2), pl_loglik(u, 5, 2), 1e-15,
                 "invariant to relabelling unranked candidates");
    /* Adding a constant to all utilities does not change it. */
    for (size_t j = 0; j < 5; j++) w[j] = u[j] + 3.7;
    gsl_test_rel(pl_loglik(w, 5, 3), pl_loglik(u, 5, 3), 1e-13,
                 "invariant to a common shift of utilities");
}

/* The derivative by its definition, [j < r] - sum_{s<r, s<=j} exp(u_j - LSE_s),
 * LSE_s by a max-shifted sum: the reference for pl_loglik_du's one-exp
 * recurrence. */
static void du_reference(const double *u, size_t m, size_t r, double *du)
{
    for (size_t j = 0; j < m; j++) du[j] = j < r ? 1.0 : 0.0;
    for (size_t s = 0; s < r; s++) {
        double mx = u[s], S = 0.0;
        for (size_t j = s; j < m; j++) mx = u[j] > mx ? u[j] : mx;
        for (size_t j = s; j < m; j++) S += exp(u[j] - mx);
        for (size_t j = s; j < m; j++) du[j] -= exp(u[j] - (mx + log(S)));
    }
}

/* pl_loglik_du against the reference on random utilities, m = 2..12, every
 * r, spreads up to 200 (stage maxima far apart: the recurrence's rescaling
 * exp(mx_s - mx_{s-1}) far below 1), and m = 1 (no stage: du = 0). */
static void test_du_reference(void)
{
    gsl_rng *rng = rngs_alloc(77);
    double u[12], du[12], ref[12], worst = 0.0;
    for (int rep = 0; rep < 300; rep++) {
        size_t m = 2 + (size_t)(rep % 11);
        double spread = rep % 3 == 0 ? 200.0 : (rep % 3 == 1 ? 5.0 : 0.5);
        for (size_t j = 0; j < m; j++)
            u[j] = spread * (2.0 * gsl_rng_uniform(rng) - 1.0);
        for (size_t r = 1; r <= m; r++) {
            double ll = pl_loglik_du(u, m, r, du);
            du_reference(u, m, r < m ? r : m - 1, ref);
            /* log P and the reference's exponents u_j - LSE_s are
             * differences of numbers of size `spread`: rounding of that
             * size is all either can promise, so errors are measured in
             * units of spread * DBL_EPSILON. */
            double unit = (1.0 + spread) * DBL_EPSILON;
            gsl_test_abs(ll, pl_loglik(u, m, r), 16 * m * unit, "loglik_du value");
            for (size_t j = 0; j < m; j++) {
                double e = fabs(du[j] - ref[j]) / unit;
                worst = e > worst ? e : worst;
            }
        }
    }
    gsl_test(!(worst < 16.0), "loglik_du vs the definition: max abs diff %.2g "
             "x (1 + spread) DBL_EPSILON", worst);
    double one = 0.7, d1 = 5.0;
    gsl_test(pl_loglik_du(&one, 1, 1, &d1) != 0.0 || d1 != 0.0,
             "m = 1: log P = 0, du = 0");
    gsl_rng_free(rng);
}

static void test_du_fd(void)
{
    /* the second has stage maxima 3, 2.5, 0.2 (the recurrence rescales) */
    static const double us[2][4] = {{0.3, -1.2, 0.9, 2.1}, {3.0, 2.5, -1.0, 0.2}};
    double u[4], du[4], tmp[4];
    for (size_t k = 0; k < 8; k++) {
        size_t r = 1 + k % 4;
        if (r == 4) continue;
        memcpy(u, us[k / 4], sizeof u);
        double ll = pl_loglik_du(u, 4, r, du);
        gsl_test_rel(ll, pl_loglik(u, 4, r), 1e-14, "loglik_du value r=%zu", r);
        for (size_t j = 0; j < 4; j++) {
            double h = 1e-5;
            memcpy(tmp, u, sizeof u);
            tmp[j] += h;
            double fp = pl_loglik(tmp, 4, r);
            tmp[j] -= 2 * h;
            double fm = pl_loglik(tmp, 4, r);
            gsl_test_abs(du[j], (fp - fm) / (2 * h), 1e-9,
                         "d logP/du_%zu vs central difference (r=%zu)", j, r);
        }
    }
}

static void test_linear_fd(void)
{
    enum { M = 4, D = 3 };
    const double x[M * D] = {0.5, -1.3, 0.2, 1.1, 0.4, -0.7, -0.9, 0.8, 1.6,
                             0.3, -0.2, -1.4};
    const double theta[D] = {0.8, -0.35, 1.25};
    double work[2 * M + D], u[M];
    for (size_t r = 1; r < M; r++) {
        double g[D] = {0}, H[D * D] = {0};
        double ll = pl_linear_accum(x, M, D, r, theta, 1.0, g, H, work);
        pl_utilities(x, M, D, theta, u);
        gsl_test_rel(ll, pl_loglik(u, M, r), 1e-14, "linear loglik r=%zu", r);
        for (size_t k = 0; k < D; k++) {
            double h = 1e-5, tp[D], tm[D], gp[D] = {0}, gm[D] = {0};
            memcpy(tp, theta, sizeof tp);
            memcpy(tm, theta, sizeof tm);
            tp[k] += h;
            tm[k] -= h;
            double fp = pl_linear_accum(x, M, D, r, tp, 1.0, gp, NULL, work);
            double fm = pl_linear_accum(x, M, D, r, tm, 1.0, gm, NULL, work);
            gsl_test_abs(g[k], (fp - fm) / (2 * h), 1e-9,
                         "gradient %zu vs central difference (r=%zu)", k, r);
            for (size_t l = 0; l < D; l++)
                gsl_test_abs(H[l * D + k], (gp[l] - gm[l]) / (2 * h), 1e-8,
                             "Hessian (%zu,%zu) vs central difference of the "
                             "gradient (r=%zu)", l, k, r);
        }
        /* Accumulation with a weight scales both. */
        double g2[D] = {0}, H2[D * D] = {0};
        pl_linear_accum(x, M, D, r, theta, 2.5, g2, H2, work);
        gsl_test_rel(g2[1], 2.5 * g[1], 1e-14, "weighted gradient accumulates");
        gsl_test_rel(H2[4], 2.5 * H[4], 1e-14, "weighted Hessian accumulates");
        /* Negative semi-definite: the diagonal is <= 0. */
        for (size_t k = 0; k < D; k++)
            gsl_test(H[k * D + k] > 0, "Hessian diagonal %zu <= 0", k);
    }
}

/* Pairs (m = 2) take their own path in pl.c: check it against the
 * Bradley-Terry closed form, with z = (x0 - x1) . theta and s = sigma(z):
 *   log P = -log1p(exp(-z)), grad = (1 - s) (x0 - x1),
 *   Hess = -s (1 - s) (x0 - x1)(x0 - x1)^T,
 * for the winner's utility above and below the loser's, full and upper
 * Hessians, and a weight; an infinite utility gives NaN as in general. */
static void test_pair_closed_form(void)
{
    enum { D = 3 };
    const double x[2 * D] = {0.5, -1.3, 0.2, 1.1, 0.4, -0.7};
    const double thetas[2][D] = {{0.8, -0.35, 1.25}, {-0.6, 0.9, 0.15}};
    double work[2 * 2 + D];
    for (int c = 0; c < 2; c++) {
        const double *th = thetas[c];
        double dx[D], z = 0.0;
        for (size_t k = 0; k < D; k++) {
            dx[k] = x[k] - x[D + k];
            z += dx[k] * th[k];
        }
        double sg = 1.0 / (1.0 + exp(-z));
        for (int upper = 0; upper < 2; upper++) {
            double g[D] = {0}, H[D * D] = {0};
            double ll = upper ? pl_linear_accum_upper(x, 2, D, 1, th, 1.7, g, H, work)
                              : pl_linear_accum(x, 2, D, 1, th, 1.7, g, H, work);
            gsl_test_rel(ll, -log1p(exp(-z)), 1e-13, "pair loglik (case %d)", c);
            for (size_t a = 0; a < D; a++) {
                gsl_test_rel(g[a], 1.7 * (1 - sg) * dx[a], 1e-12,
                             "pair gradient %zu (case %d)", a, c);
                for (size_t b = upper ? a : 0; b < D; b++)
                    gsl_test_rel(H[a * D + b], -1.7 * sg * (1 - sg) * dx[a] * dx[b],
                                 1e-12, "pair Hessian (%zu,%zu) (case %d, upper %d)",
                                 a, b, c, upper);
                for (size_t b = 0; upper && b < a; b++)
                    gsl_test(H[a * D + b] != 0.0, "upper: (%zu,%zu) untouched", a, b);
            }
        }
    }
    double th_inf[D] = {INFINITY, 0.0, 0.0}, g[D] = {0};
    gsl_test(!isnan(pl_linear_accum(x, 2, D, 1, th_inf, 1.0, g, NULL, work)),
             "pair with an infinite utility: NaN log-likelihood");
}

/* Frequencies of sampled orderings against exact probabilities: every count
 * within 5 binomial standard deviations (a false alarm has probability
 * ~ 1e-6 per outcome; the seed is fixed, so the test is deterministic). */
static void test_sampling(size_t m, size_t r, const double *u, size_t n)
{
    gsl_rng *rng = rngs_alloc(rngs_seed(12345, m, r));
    size_t n_out = 1;
    for (size_t s = 0; s < r; s++) n_out *= m;
    size_t *count = calloc(n_out, sizeof *count);
    uint32_t perm[8];
    double work[8];
    for (size_t i = 0; i < n; i++) {
        pl_sample(rng, u, m, r, perm, work);
        size_t code = 0;
        for (size_t s = 0; s < r; s++) code = code * m + perm[s];
        count[code]++;
    }
    int distinct_ok = 1;
    double v[8];
    for (size_t code = 0; code < n_out; code++) {
        size_t digits[8], c = code;
        for (size_t s = r; s-- > 0;) {
            digits[s] = c % m;
            c /= m;
        }
        unsigned char used[8] = {0};
        int valid = 1;
        for (size_t s = 0; s < r; s++) {
            if (used[digits[s]]) valid = 0;
            used[digits[s]] = 1;
        }
        if (!valid) {
            if (count[code]) distinct_ok = 0;
            continue;
        }
        size_t t = 0;
        for (size_t s = 0; s < r; s++) v[t++] = u[digits[s]];
        for (size_t j = 0; j < m; j++)
            if (!used[j]) v[t++] = u[j];
        double p = exp(pl_loglik(v, m, r));
        double sd = sqrt((double)n * p * (1 - p));
        double diff = fabs((double)count[code] - (double)n * p);
        gsl_test(diff > 5 * sd, "sampling m=%zu r=%zu outcome %zu: count %zu, "
                 "expected %.1f (5 sd = %.1f)", m, r, code, count[code],
                 (double)n * p, 5 * sd);
    }
    gsl_test(!distinct_ok, "sampled orderings never repeat a candidate");
    free(count);
    gsl_rng_free(rng);
}

/* The Bradley–Terry pair kernel on differences against the general PL path:
 * T pairs summed through pl_linear_accum (d = 5 takes the previous pair
 * path, d = 33 > PL_PAIR_D the general m-candidate loops), values,
 * gradients and the upper Hessian to 1e-12; the lower triangle untouched. */
static void pairs_vs_linear(size_t d, size_t T, double scale, gsl_rng *r)
{
    enum { DM = 33, TM = 64 };
    double x[TM * 2 * DM], delta[TM * DM], th[DM], work[2 * 2 + DM];
    double g[DM] = {0}, H[DM * DM] = {0}, g2[DM] = {0}, H2[DM * DM] = {0};
    for (size_t k = 0; k < d; k++) th[k] = scale * (gsl_rng_uniform(r) - 0.5);
    double ll = 0.0;
    for (size_t t = 0; t < T; t++) {
        double *xt = x + t * 2 * d;
        for (size_t k = 0; k < 2 * d; k++) xt[k] = 2.385 * gsl_rng_uniform(r) - 1.1;
        pl_pair_delta(xt, d, delta + t * d);
        ll += pl_linear_accum(xt, 2, d, 1, th, 1.0, g, H, work);
    }
    double ll2 = pl_pairs_accum_upper(delta, T, d, th, g2, H2);
    gsl_test_rel(ll2, ll, 1e-12, "pairs kernel loglik d=%zu scale=%g", d, scale);
    double gmax = 0.0, hmax = 0.0;
    for (size_t k = 0; k < d * d; k++) hmax = fmax(hmax, fabs(H[k]));
    for (size_t k = 0; k < d; k++) gmax = fmax(gmax, fabs(g[k]));
    for (size_t a = 0; a < d; a++) {
        gsl_test_abs(g2[a], g[a], 1e-12 * gmax, "pairs grad d=%zu [%zu]", d, a);
        for (size_t b = 0; b < d; b++) {
            if (b >= a)
                gsl_test_abs(H2[a * d + b], H[a * d + b], 1e-12 * hmax,
                             "pairs Hessian d=%zu (%zu,%zu)", d, a, b);
            else
                gsl_test(H2[a * d + b] != 0.0, "pairs lower (%zu,%zu) untouched", a, b);
        }
    }
}

/* One log per call: the product of the factors 1 + exp(-|z|) against the
 * sum of log1p's, over enough pairs that the unguarded product would
 * overflow (2^3000 at z = 0), at extreme z, and NaN. */
static void test_pairs_product(gsl_rng *r)
{
    enum { T = 3000 };
    static double delta[T], zs[T];
    double th = 1.0, g = 0.0, H = 0.0, ref = 0.0;
    for (size_t t = 0; t < T; t++) delta[t] = 0.0;
    gsl_test_rel(pl_pairs_accum_upper(delta, T, 1, &th, &g, &H), -T * log(2.0), 1e-14,
                 "3000 ties: -3000 log 2 (no overflow)");
    for (size_t t = 0; t < T; t++) {
        double z = 12.0 * (gsl_rng_uniform(r) - 0.3);
        if (t % 97 == 0) z = (t % 2 ? 800.0 : -800.0);
        delta[t] = zs[t] = z;
        ref += z < 0 ? z - log1p(exp(z)) : -log1p(exp(-z));
    }
    gsl_test_rel(pl_pairs_accum_upper(delta, T, 1, &th, &g, &H), ref, 1e-13,
                 "3000 pairs: product vs sum of logs");
    /* z >= 0 (the linear part is 0): the product's only error is one
     * rounding of each factor in [1, 2], against a long double sum */
    long double refl = 0.0L;
    for (size_t t = 0; t < T; t++) {
        delta[t] = fabs(zs[t]);
        refl -= log1pl(expl(-(long double)delta[t]));
    }
    gsl_test_abs(pl_pairs_accum_upper(delta, T, 1, &th, &g, &H), (double)refl,
                 T * 2.3e-16, "3000 pairs, z >= 0: within T ulps of 1");
    double hz = -800.0;
    gsl_test_rel(pl_pairs_accum_upper(&hz, 1, 1, &th, &g, &H), -800.0, 1e-15,
                 "z = -800: log sigma = -800, no underflow");
    th = NAN;
    gsl_test(!isnan(pl_pairs_accum_upper(delta, 3, 1, &th, &g, &H)), "NaN theta: NaN");
}

/* K classes at once give each class's pl_pairs_accum_upper bits (T = 45:
 * two chunks; d = 4 inlined, d = 7 the general loops). */
static void test_pairs_classes(gsl_rng *r)
{
    enum { T = 45, K = 3, DM = 7 };
    static double delta[T * DM], th[K * DM], work[K * 200];
    gsl_test(pl_pairs_work(K) > K * 200, "pl_pairs_work(3) fits the test's buffer");
    for (size_t d = 4; d <= DM; d += 3) {
        for (size_t j = 0; j < T * d; j++) delta[j] = 3.0 * (gsl_rng_uniform(r) - 0.5);
        for (size_t j = 0; j < K * d; j++) th[j] = 2.0 * (gsl_rng_uniform(r) - 0.5);
        double ll[K], g[K * DM] = {0}, H[K * DM * DM] = {0};
        pl_pairs_accum(delta, T, d, th, K, ll, g, H, work);
        int same = 1;
        for (size_t k = 0; k < K; k++) {
            double g1[DM] = {0}, H1[DM * DM] = {0};
            double l1 = pl_pairs_accum_upper(delta, T, d, th + k * d, g1, H1);
            same &= memcmp(&l1, &ll[k], sizeof l1) == 0;
            same &= memcmp(g1, g + k * d, d * sizeof *g1) == 0;
            same &= memcmp(H1, H + k * d * d, d * d * sizeof *H1) == 0;
        }
        gsl_test(!same, "pl_pairs_accum (K = 3, d = %zu) = per-class bits", d);
    }
}

/* The sub-block pass's parts of a pair log-likelihood (pl_pairs_users on
 * vecops_logistic's factors, combined by pl_ll_parts with vecops_log1) give
 * pl_pairs_accum's bits: 600 sub-blocks of 5 random users of 1..20 pairs
 * and K = 2 classes (each user and class checked: a wrong column or slot
 * is caught; vecops_log1 and libm's log differ in ~1% of their last bits,
 * so a kernel taking the other log is caught too). */
static void test_pairs_parts(gsl_rng *r)
{
    enum { TM = 20, D = 3, NU = 5, K = 2, NA = NU * K + 1 };
    double delta[NU * TM * D], th[K * D], z[K * NU * TM], f[K * NU * TM];
    double g[K * NU * TM], h[K * NU * TM], work[4 * 64 + 8], acc[3 * NA];
    gsl_test(pl_pairs_work(1) > sizeof work / sizeof *work, "pl_pairs_work(1) fits");
    size_t bad = 0, uq[NU + 1];
    for (size_t trial = 0; trial < 600; trial++) {
        uq[0] = 7; /* the sub-block's first pair need not be 0 */
        for (size_t u = 0; u < NU; u++) uq[u + 1] = uq[u] + 1 + gsl_rng_uniform_int(r, TM);
        size_t n = uq[NU] - uq[0];
        for (size_t j = 0; j < n * D; j++) delta[j] = 3.0 * (gsl_rng_uniform(r) - 0.5);
        for (size_t j = 0; j < K * D; j++) th[j] = 2.0 * (gsl_rng_uniform(r) - 0.5);
        for (size_t k = 0; k < K; k++)
            for (size_t t = 0; t < n; t++) {
                z[k * n + t] = 0.0;
                for (size_t j = 0; j < D; j++)
                    z[k * n + t] += th[k * D + j] * delta[t * D + j];
            }
        vecops_logistic(f, g, h, z, K * n);
        pl_pairs_users(z, f, n, uq, NU, K, acc, NA);
        for (size_t u = 0; u < NU; u++)
            for (size_t k = 0; k < K; k++) {
                double ll, gg[D] = {0}, H[D * D] = {0};
                size_t a = uq[u] - uq[0], e = u * K + k;
                pl_pairs_accum(delta + a * D, uq[u + 1] - uq[u], D, th + k * D, 1,
                               &ll, gg, H, work);
                double l = pl_ll_parts(acc[e], acc[NA + e], vecops_log1(acc[2 * NA + e]));
                bad += memcmp(&l, &ll, sizeof l) != 0;
            }
    }
    gsl_test(bad != 0, "pl_pairs_users' parts = pl_pairs_accum's bits (%zu of "
             "6000 differ)", bad);
}

static void test_pairs_kernel(void)
{
    gsl_rng *r = rngs_alloc(20261130);
    pairs_vs_linear(5, 7, 1.3, r);
    pairs_vs_linear(5, 64, 9.0, r);
    pairs_vs_linear(1, 3, 0.4, r);
    pairs_vs_linear(33, 11, 0.7, r);
    test_pairs_product(r);
    test_pairs_classes(r);
    test_pairs_parts(r);
    gsl_rng_free(r);
}

int main(void)
{
    test_hand_values();
    test_normalisation();
    test_relabel_invariance();
    test_du_fd();
    test_du_reference();
    test_linear_fd();
    test_pair_closed_form();
    test_pairs_kernel();
    const double u2[2] = {0.8, -0.3};
    const double u3[3] = {1.2, -0.4, 0.3};
    const double u4[4] = {0.2, 1.7, -1.0, 0.6};
    test_sampling(2, 1, u2, 400000);
    test_sampling(3, 1, u3, 400000);
    test_sampling(3, 2, u3, 400000);
    test_sampling(4, 3, u4, 400000);
    exit(gsl_test_summary());
}
