/* test_w1.c — the 1-Wasserstein distance against independent references
 * (the 1-D formula W1 = ∫ |F - G| dx, Vallender 1973 / Villani "Topics in
 * Optimal Transportation" Thm 2.18 remark; hand-computed transports) and
 * against the metric's properties: identity, symmetry, triangle inequality,
 * label invariance, scaling and translation. All randomness is seeded. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_test.h>

#include "err.h"
#include "w1.h"

#define NMAX 16
#define DMAX 8

typedef struct dist {
    size_t n, d;
    double w[NMAX], x[NMAX * DMAX];
} dist;

/* Random distribution: n atoms, Gaussian points (on a coarse grid when grid
 * != 0, so that atoms of different distributions coincide), weights uniform
 * then normalised, with an occasional zero weight. */
static void rand_dist(gsl_rng *r, size_t n, size_t d, int grid, dist *p)
{
    p->n = n;
    p->d = d;
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        p->w[i] = gsl_rng_uniform(r) < 0.1 ? 0.0 : gsl_rng_uniform_pos(r);
        s += p->w[i];
        for (size_t k = 0; k < d; k++) {
            double v = 1.7 * gsl_ran_ugaussian(r);
            p->x[i * d + k] = grid ? round(v * 2) / 2 : v;
        }
    }
    if (s == 0) { p->w[0] = 1; s = 1; }
    for (size_t i = 0; i < n; i++) p->w[i] /= s;
}

static int w1(const dist *a, const dist *b, double *out)
{
    return w1_distance(a->n, a->w, a->x, b->n, b->w, b->x, a->d, out);
}

static double w1v(const dist *a, const dist *b)
{
    double v = NAN;
    int rc = w1(a, b, &v);
    if (rc != PREF_OK) {
        gsl_test(1, "w1_distance failed: %s", pref_last_error());
        return NAN;
    }
    return v;
}

/* ∫ |F - G| dx over the merged support (1-D only). */
typedef struct atom { double x, da, db; } atom;
static int atom_cmp(const void *p, const void *q)
{
    double a = ((const atom *)p)->x, b = ((const atom *)q)->x;
    return (a > b) - (a < b);
}
static double cdf_w1(const dist *a, const dist *b)
{
    atom at[2 * NMAX];
    size_t m = 0;
    for (size_t i = 0; i < a->n; i++) at[m++] = (atom){a->x[i], a->w[i], 0};
    for (size_t j = 0; j < b->n; j++) at[m++] = (atom){b->x[j], 0, b->w[j]};
    qsort(at, m, sizeof at[0], atom_cmp);
    double F = 0, G = 0, s = 0;
    for (size_t k = 0; k + 1 < m; k++) {
        F += at[k].da;
        G += at[k].db;
        s += fabs(F - G) * (at[k + 1].x - at[k].x);
    }
    return s;
}

static void test_hand(void)
{
    /* Two point masses: |x - y| with x - y = (0.9, -1.8, 2.785), so
     * W1 = sqrt(0.81 + 3.24 + 7.756225) = sqrt(11.806225). */
    const double one = 1.0, x[3] = {1.2, -0.7, 2.385}, y[3] = {0.3, 1.1, -0.4};
    double v = NAN, vl = NAN;
    gsl_test_int(w1_distance(1, &one, x, 1, &one, y, 3, &v), PREF_OK,
                 "point masses");
    gsl_test_rel(v, sqrt(11.806225), 1e-15, "point masses: |x - y|");
    gsl_test_int(w1_distance_lp(1, &one, x, 1, &one, y, 3, &vl), PREF_OK,
                 "point masses (LP)");
    gsl_test_rel(vl, sqrt(11.806225), 1e-14, "point masses (LP): |x - y|");

    /* K = 2 vs K = 3 in 1-D: a = 1/2 d_0 + 1/2 d_1, b = 1/3 (d_0 + d_.5 +
     * d_1). F - G = 1/2 - 1/3 on [0, .5) and 1/2 - 2/3 on [.5, 1), so
     * W1 = (1/6)(1/2) + (1/6)(1/2) = 1/6. */
    const double wa[2] = {0.5, 0.5}, xa[2] = {0, 1};
    const double wb[3] = {1.0 / 3, 1.0 / 3, 1.0 / 3}, xb[3] = {0, 0.5, 1};
    gsl_test_int(w1_distance(2, wa, xa, 3, wb, xb, 1, &v), PREF_OK, "2 vs 3");
    gsl_test_rel(v, 1.0 / 6, 1e-14, "K = 2 vs K = 3 (1-D): 1/6");

    /* K = 2 vs K = 3 in 2-D: a = 1/2 d_(0,0) + 1/2 d_(3,4),
     * b = 1/4 d_(0,0) + 1/2 d_(3,0) + 1/4 d_(3,4). b's mass at (3,0) must
     * come from (0,0) (distance 3) or (3,4) (distance 4); with s moved from
     * (0,0) the cost is 3 s + 4 (1/2 - s) + 5 |1/4 - s| (the excess crosses
     * the diagonal of length 5), minimised at s = 1/4: 3/4 + 1 = 7/4. */
    const double wa2[2] = {0.5, 0.5}, xa2[4] = {0, 0, 3, 4};
    const double wb2[3] = {0.25, 0.5, 0.25}, xb2[6] = {0, 0, 3, 0, 3, 4};
    gsl_test_int(w1_distance(2, wa2, xa2, 3, wb2, xb2, 2, &v), PREF_OK,
                 "2 vs 3 (2-D)");
    gsl_test_rel(v, 1.75, 1e-14, "K = 2 vs K = 3 (2-D): 7/4");
    gsl_test_int(w1_distance(3, wb2, xb2, 2, wa2, xa2, 2, &v), PREF_OK,
                 "3 vs 2 (2-D)");
    gsl_test_rel(v, 1.75, 1e-14, "K = 3 vs K = 2 (2-D): 7/4");
}

/* The polarised truth 1/2 d_b + 1/2 d_-b against an estimate
 * 1/2 d_b' + 1/2 d_-b'. With equal weights an optimal coupling is a
 * permutation (Birkhoff), so W1 = min(|b - b'|, |b + b'|): |b - b'| when
 * b . b' >= 0, and |b + b'| when the estimate's labels are flipped. */
static void test_polarised(gsl_rng *r)
{
    const double half[2] = {0.5, 0.5};
    for (int t = 0; t < 50; t++) {
        size_t d = 1 + gsl_rng_uniform_int(r, DMAX);
        double b[DMAX], bp[DMAX], pa[2 * DMAX], pb[2 * DMAX], dm = 0, dp = 0,
               dot = 0;
        for (size_t k = 0; k < d; k++) {
            b[k] = 2 * gsl_ran_ugaussian(r);
            bp[k] = b[k] + 0.3 * gsl_ran_ugaussian(r);
        }
        if (t % 2) for (size_t k = 0; k < d; k++) bp[k] = -bp[k];
        for (size_t k = 0; k < d; k++) {
            pa[k] = b[k]; pa[d + k] = -b[k];
            pb[k] = bp[k]; pb[d + k] = -bp[k];
            dm += (b[k] - bp[k]) * (b[k] - bp[k]);
            dp += (b[k] + bp[k]) * (b[k] + bp[k]);
            dot += b[k] * bp[k];
        }
        double v = NAN;
        gsl_test_int(w1_distance(2, half, pa, 2, half, pb, d, &v), PREF_OK,
                     "polarised %d", t);
        double expect = dot >= 0 ? sqrt(dm) : sqrt(dp);
        gsl_test_rel(v, expect, 1e-12, "polarised %d (d = %zu, b.b' %s 0): "
                     "|b %s b'|", t, d, dot >= 0 ? ">=" : "<",
                     dot >= 0 ? "-" : "+");
        if (t == 0) {
            /* Against the indifferent population d_0 (closed form): |b|. */
            double zero[DMAX] = {0}, one = 1.0, nb = 0;
            for (size_t k = 0; k < d; k++) nb += b[k] * b[k];
            gsl_test_int(w1_distance(2, half, pa, 1, &one, zero, d, &v),
                         PREF_OK, "polarised vs d_0");
            gsl_test_rel(v, sqrt(nb), 1e-14, "polarised vs d_0 = |b|");
        }
    }
}

static void test_random(gsl_rng *r)
{
    /* 1-D against ∫|F - G|, with and without shared atoms. */
    for (int t = 0; t < 300; t++) {
        dist a, b;
        rand_dist(r, 1 + gsl_rng_uniform_int(r, 8), 1, t % 3 == 0, &a);
        rand_dist(r, 1 + gsl_rng_uniform_int(r, 8), 1, t % 3 == 0, &b);
        gsl_test_abs(w1v(&a, &b), cdf_w1(&a, &b), 1e-10,
                     "1-D trial %d (%zu vs %zu atoms): = ∫|F - G|", t, a.n, b.n);
    }

    for (int t = 0; t < 100; t++) {
        size_t d = 1 + gsl_rng_uniform_int(r, 4);
        dist a, b, c, ap;
        rand_dist(r, 1 + gsl_rng_uniform_int(r, 6), d, t % 4 == 0, &a);
        rand_dist(r, 1 + gsl_rng_uniform_int(r, 6), d, t % 4 == 0, &b);
        rand_dist(r, 1 + gsl_rng_uniform_int(r, 6), d, t % 4 == 0, &c);
        double ab = w1v(&a, &b), ba = w1v(&b, &a), bc = w1v(&b, &c),
               ac = w1v(&a, &c), aa = w1v(&a, &a);
        gsl_test_abs(aa, 0.0, 1e-12, "trial %d: W1(a, a) = 0", t);
        gsl_test_abs(ab, ba, 1e-12, "trial %d: symmetric", t);
        gsl_test(!(ac <= ab + bc + 1e-12), "trial %d: triangle %.17g <= "
                 "%.17g + %.17g", t, ac, ab, bc);
        gsl_test(!(ab >= 0), "trial %d: non-negative", t);

        /* Relabel a's atoms. */
        size_t perm[NMAX];
        for (size_t i = 0; i < a.n; i++) perm[i] = i;
        gsl_ran_shuffle(r, perm, a.n, sizeof perm[0]);
        ap = a;
        for (size_t i = 0; i < a.n; i++) {
            ap.w[i] = a.w[perm[i]];
            memcpy(&ap.x[i * d], &a.x[perm[i] * d], d * sizeof(double));
        }
        gsl_test_abs(w1v(&ap, &b), ab, 1e-12, "trial %d: label invariance", t);

        /* W1(s a + v, s b + v) = s W1(a, b). */
        dist as = a, bs = b;
        const double s = 2.385;
        for (size_t e = 0; e < a.n * d; e++) as.x[e] = s * a.x[e] + 0.75 * (double)(e % d);
        for (size_t e = 0; e < b.n * d; e++) bs.x[e] = s * b.x[e] + 0.75 * (double)(e % d);
        gsl_test_abs(w1v(&as, &bs), s * ab, 1e-11, "trial %d: scaling and "
                     "translation", t);

        /* Closed form (a single atom) against the LP. */
        dist one;
        rand_dist(r, 1, d, 0, &one);
        double v1 = NAN, v2 = NAN, v3 = NAN, v4 = NAN;
        int rc = w1_distance(1, one.w, one.x, b.n, b.w, b.x, d, &v1);
        rc |= w1_distance_lp(1, one.w, one.x, b.n, b.w, b.x, d, &v2);
        rc |= w1_distance(b.n, b.w, b.x, 1, one.w, one.x, d, &v3);
        rc |= w1_distance_lp(b.n, b.w, b.x, 1, one.w, one.x, d, &v4);
        gsl_test_int(rc, PREF_OK, "trial %d: single atom", t);
        gsl_test_abs(v1, v2, 1e-12, "trial %d: closed form = LP (na = 1)", t);
        gsl_test_abs(v3, v4, 1e-12, "trial %d: closed form = LP (nb = 1)", t);
        gsl_test_abs(v1, v3, 1e-12, "trial %d: closed form symmetric", t);
    }

    /* Larger supports (the sizes timed in the report): 16 x 16 in d = 8,
     * symmetric and zero on the diagonal. */
    dist a, b;
    rand_dist(r, 16, 8, 0, &a);
    rand_dist(r, 16, 8, 0, &b);
    gsl_test_abs(w1v(&a, &b), w1v(&b, &a), 1e-12, "16 x 16, d = 8: symmetric");
    gsl_test_abs(w1v(&a, &a), 0.0, 1e-12, "16 x 16, d = 8: W1(a, a) = 0");
}

#define EXPECT_EINPUT(expr, what) do { \
        pref_clear_error(); \
        int rc_ = (expr); \
        gsl_test_int(rc_, PREF_EINPUT, "rejects %s", what); \
        gsl_test(pref_last_error()[0] == '\0', "%s: message '%s'", what, \
                 pref_last_error()); \
    } while (0)

static void test_bad(void)
{
    const double x[2] = {0, 1}, w[2] = {0.5, 0.5};
    const double neg[2] = {1.5, -0.5}, short_[2] = {0.5, 0.4},
                 over[2] = {0.5, 0.5 + 2e-9}, nanw[2] = {0.5, NAN},
                 infw[2] = {INFINITY, 0.5}, nanx[2] = {0, NAN},
                 infx[2] = {-INFINITY, 1}, huge[2] = {-1e308, 1e308},
                 huge2[2] = {1e308, 0};
    double v = -1;
    EXPECT_EINPUT(w1_distance(2, neg, x, 2, w, x, 1, &v), "negative weight");
    EXPECT_EINPUT(w1_distance(2, w, x, 2, short_, x, 1, &v),
                  "weights summing to 0.9");
    EXPECT_EINPUT(w1_distance(2, over, x, 2, w, x, 1, &v),
                  "weights summing to 1 + 2e-9");
    EXPECT_EINPUT(w1_distance(2, nanw, x, 2, w, x, 1, &v), "NaN weight");
    EXPECT_EINPUT(w1_distance(2, w, x, 2, infw, x, 1, &v), "infinite weight");
    EXPECT_EINPUT(w1_distance(2, w, nanx, 2, w, x, 1, &v), "NaN point");
    EXPECT_EINPUT(w1_distance(2, w, x, 2, w, infx, 1, &v), "infinite point");
    /* |-1e308 - 1e308| overflows; distances within one side do not
     * matter. */
    EXPECT_EINPUT(w1_distance(2, w, huge, 2, w, huge2, 1, &v),
                  "distance overflow (LP)");
    const double one = 1.0;
    EXPECT_EINPUT(w1_distance(2, w, huge, 1, &one, huge2, 1, &v),
                  "distance overflow (closed form)");
    EXPECT_EINPUT(w1_distance(0, w, x, 2, w, x, 1, &v), "na = 0");
    EXPECT_EINPUT(w1_distance(2, w, x, 0, w, x, 1, &v), "nb = 0");
    EXPECT_EINPUT(w1_distance(2, w, x, 2, w, x, 0, &v), "d = 0");
    EXPECT_EINPUT(w1_distance(2, NULL, x, 2, w, x, 1, &v), "NULL weights");
    EXPECT_EINPUT(w1_distance(2, w, x, 2, w, NULL, 1, &v), "NULL points");
    EXPECT_EINPUT(w1_distance(2, w, x, 2, w, x, 1, NULL), "NULL out");
    EXPECT_EINPUT(w1_distance(20000, w, x, 20000, w, x, 1, &v),
                  "na * nb > LP_MAX_DIM");
    gsl_test(v != -1, "out untouched on errors");

    /* Huge but finite costs (up to 1.6e308): a = 1/2 d_-8e307 + 1/2 d_0,
     * b = 1/2 d_0 + 1/2 d_8e307; |F - G| = 1/2 on both halves, so
     * W1 = 8e307. */
    const double hx[2] = {-8e307, 0}, hy[2] = {0, 8e307};
    gsl_test_int(w1_distance(2, w, hx, 2, w, hy, 1, &v), PREF_OK,
                 "huge finite costs");
    gsl_test_rel(v, 8e307, 1e-14, "huge finite costs: W1 = 8e307");

    /* All atoms at one point: W1 = 0 without an LP. */
    const double same[2] = {2.385, 2.385};
    gsl_test_int(w1_distance(2, w, same, 2, w, same, 1, &v), PREF_OK,
                 "coincident atoms");
    gsl_test_abs(v, 0.0, 0, "coincident atoms: 0");

    /* Within tolerance: a sum of 1 + 5e-10 is accepted and renormalised. */
    const double near[2] = {0.25, 0.75 + 5e-10}, exact[2] = {0.25, 0.75};
    const double xb[2] = {0.3, 2.0};
    double v1 = NAN, v2 = NAN;
    gsl_test_int(w1_distance(2, near, x, 2, w, xb, 1, &v1), PREF_OK,
                 "sum 1 + 5e-10 accepted");
    gsl_test_int(w1_distance(2, exact, x, 2, w, xb, 1, &v2), PREF_OK, "exact");
    gsl_test_abs(v1, v2, 1e-9, "renormalised weights give the same W1");
}

/* A tiny mass far away. GLPK's floating-point simplex (primal
 * feasibility tolerance 1e-7 after scaling) left a mass of 1e-10 or
 * 2.5e-11 where it was, so W1 came out 100 or 1.75e10 too small, at
 * PREF_OK. References by the 1-D formula W1 = int |F - G| (by hand):
 *  - a = (1 - d) delta_0 + d delta_1e12, b = (delta_-1 + delta_1) / 2,
 *    d = 1e-10: 0.5 + (0.5 - d) + d (1e12 - 1) = 101 - 2e-10;
 *  - a = (1 - d) delta_5 + d delta_7e20, d = 2.5e-11, b = 0.8 delta_-9 +
 *    0.1 delta_2 + 0.1 delta_4: 0.8 * 11 + 0.9 * 2 + 1 + d (7e20 - 5)
 *    = 11.6 + 1.75e10 - 1.25e-10. */
static void test_tiny_far_mass(void)
{
    const double d = 1e-10, wa[2] = {1 - d, d}, xa[2] = {0, 1e12};
    const double wb[2] = {0.5, 0.5}, xb[2] = {1, -1};
    double v = NAN;
    gsl_test_int(w1_distance_lp(2, wa, xa, 2, wb, xb, 1, &v), PREF_OK,
                 "tiny far mass: solved (%s)", pref_last_error());
    gsl_test_rel(v, 101 - 2e-10, 1e-12, "tiny far mass: W1 = 101 - 2e-10");
    const double e = 2.5e-11, wa3[2] = {1 - e, e}, xa3[2] = {5, 7e20};
    const double wb3[3] = {0.1, 0.8, 0.1}, xb3[3] = {4, -9, 2};
    gsl_test_int(w1_distance_lp(2, wa3, xa3, 3, wb3, xb3, 1, &v), PREF_OK,
                 "tiny far mass 2: solved (%s)", pref_last_error());
    gsl_test_rel(v, 11.6 + 1.75e10, 1e-12, "tiny far mass 2: W1 = 1.75e10 "
                 "+ 11.6");
}

/* w1_certify on plans given to it: two atoms each side, a at 0 and 1, b
 * at 0 and 1 (costs [[0, 1], [1, 0]]), wa = (0.75, 0.25), wb = (0.5, 0.5):
 * the optimal plan [[0.5, 0.25], [0, 0.25]] costs 0.25; potentials
 * v = (0, 1) give u = c-transform = (min(0, 0), min(1, -1)) = (0, -1),
 * lower = 0.75 * 0 + 0.25 * (-1) + 0.5 * 1 = 0.25 (by hand). */
static void test_certify(void)
{
    const double c[4] = {0, 1, 1, 0}, wa[2] = {0.75, 0.25};
    const double wb[2] = {0.5, 0.5}, v[2] = {0, 1};
    const double good[4] = {0.5, 0.25, 0, 0.25};
    double up = NAN, lo = NAN;
    gsl_test_int(w1_certify(2, wa, 2, wb, c, good, v, 1e-9, &up, &lo),
                 PREF_OK, "certify: the optimum passes");
    gsl_test_abs(up, 0.25, 1e-15, "certify: upper 0.25");
    gsl_test_abs(lo, 0.25, 1e-15, "certify: lower 0.25");
    /* feasible but not optimal: moves 0.25 more than needed */
    const double worse[4] = {0.25, 0.5, 0.25, 0};
    gsl_test_int(w1_certify(2, wa, 2, wb, c, worse, v, 1e-9, &up, &lo),
                 PREF_ELP, "certify: a suboptimal plan caught");
    gsl_test(strstr(pref_last_error(), "does not verify") == NULL,
             "certify: message: %s", pref_last_error());
    /* cheap because infeasible: leaves a's second atom (0.25) unshipped */
    const double short_[4] = {0.5, 0.25, 0, 0};
    gsl_test_int(w1_certify(2, wa, 2, wb, c, short_, v, 1e-9, &up, &lo),
                 PREF_ELP, "certify: a plan missing its marginals caught");
    gsl_test(!(up >= 0.25 + 0.25), "certify: the residual is charged "
             "(upper %g)", up);
    /* the right plan with useless potentials: lower bound too low */
    const double v0[2] = {0, 0};
    gsl_test_int(w1_certify(2, wa, 2, wb, c, good, v0, 1e-9, &up, &lo),
                 PREF_ELP, "certify: weak potentials caught");
    gsl_test_abs(lo, 0.0, 0.0, "certify: lower 0 from v = 0");
    gsl_test_int(w1_certify(2, wa, 2, wb, c, good, v, 0, &up, &lo),
                 PREF_EINPUT, "certify: tol 0 refused");
    gsl_test_int(w1_certify(2, wa, 2, wb, c, NULL, v, 1e-9, &up, &lo),
                 PREF_EINPUT, "certify: NULL plan refused");
}

int main(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 20240917);
    test_hand();
    test_polarised(r);
    test_random(r);
    test_bad();
    test_tiny_far_mass();
    test_certify();
    gsl_rng_free(r);
    exit(gsl_test_summary());
}
