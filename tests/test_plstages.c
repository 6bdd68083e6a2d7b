/* test_plstages.c — pl_stages_accum (rankings of few candidates on
 * differences, K classes per call) against the general Plackett–Luce path
 * pl_linear_accum_upper: random queries (m = 2..8, every r, r = m too),
 * ties, extreme utilities, non-finite ones, the normalisers' product
 * against the sum of logs, and K classes = K one-class calls bit for bit. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>
#include <gsl/gsl_test.h>

#include "pl.h"
#include "rngs.h"

enum { TM = 40, MM = PL_STAGES_M, DM = 11, KM = 3 };

typedef struct {
    size_t T, d, cand[TM + 1];
    uint32_t r[TM];
    double x[TM * MM * DM], D[TM * MM * DM];
} queries;

/* T random queries (every one m = 3 with r = r3 when r3 > 0: the kernel's
 * bodies for one shape); ties (a candidate copying another) with
 * probability 1/4; features 2.385 U(-1/2, 1/2) + off. */
static void draw(queries *Q, size_t T, size_t d, double off, uint32_t r3, gsl_rng *g)
{
    Q->T = T;
    Q->d = d;
    Q->cand[0] = 0;
    for (size_t t = 0; t < T; t++) {
        size_t m = 2 + gsl_rng_uniform_int(g, MM - 1);
        Q->r[t] = (uint32_t)(1 + gsl_rng_uniform_int(g, m)); /* r = m allowed */
        if (r3) {
            m = 3;
            Q->r[t] = r3 + (r3 == 2 && t % 2 ? 1 : 0); /* r = 3 is r = 2 */
        }
        Q->cand[t + 1] = Q->cand[t] + m;
        double *xt = Q->x + Q->cand[t] * d;
        for (size_t j = 0; j < m * d; j++)
            xt[j] = 2.385 * (gsl_rng_uniform(g) - 0.5) + off;
        if (gsl_rng_uniform(g) < 0.25) {
            size_t a = gsl_rng_uniform_int(g, m), b = gsl_rng_uniform_int(g, m);
            memcpy(xt + a * d, xt + b * d, d * sizeof *xt);
        }
        pl_stages_diff(xt, m, d, Q->D + (Q->cand[t] - t) * d);
    }
}

/* The general path for one class: sums of pl_linear_accum_upper; *scale
 * gets sum_t r_t max_j |u_j| (the size of what its u_s - max cancels). */
static double general(const queries *Q, const double *th, double *g, double *H,
                      double *scale)
{
    double work[2 * MM + DM], ll = 0.0;
    *scale = 0.0;
    for (size_t t = 0; t < Q->T; t++) {
        size_t m = Q->cand[t + 1] - Q->cand[t];
        const double *xt = Q->x + Q->cand[t] * Q->d;
        double u[MM], um = 0.0;
        pl_utilities(xt, m, Q->d, th, u);
        for (size_t j = 0; j < m; j++) um = fmax(um, fabs(u[j]));
        *scale += (Q->r[t] < m ? Q->r[t] : m - 1) * um;
        ll += pl_linear_accum_upper(xt, m, Q->d, Q->r[t], th, 1.0, g, H, work);
    }
    return ll;
}

/* Class k of a K-class call against the general path: ll to 1e-12 of
 * (|ll| + scale), the gradient and upper Hessian to 1e-12 of their
 * uncancelled sizes (sum over stages of max |x|, max |x|^2, times 4: the
 * centred x_j - xbar of both paths lose digits to |x| alike); the lower
 * triangle untouched. */
static void compare(const queries *Q, const double *th, size_t K, const char *what)
{
    size_t d = Q->d;
    double ll[KM], g[KM * DM] = {0}, H[KM * DM * DM] = {0}, work[KM * 200];
    gsl_test(pl_stages_work(K) > KM * 200, "pl_stages_work fits the buffer");
    pl_stages_accum(Q->D, Q->cand, Q->r, Q->T, d, th, K, ll, g, H, work);
    double xm = 0.0, stages = 0.0;
    for (size_t j = 0; j < Q->cand[Q->T] * d; j++) xm = fmax(xm, fabs(Q->x[j]));
    for (size_t t = 0; t < Q->T; t++) {
        size_t m = Q->cand[t + 1] - Q->cand[t];
        stages += Q->r[t] < m ? Q->r[t] : m - 1;
    }
    for (size_t k = 0; k < K; k++) {
        double g1[DM] = {0}, H1[DM * DM] = {0}, sc;
        double l1 = general(Q, th + k * d, g1, H1, &sc);
        gsl_test_abs(ll[k], l1, 1e-12 * (fabs(l1) + sc), "%s: loglik k=%zu", what, k);
        int gok = 1, hok = 1, low = 1;
        for (size_t a = 0; a < d; a++) {
            gok &= fabs(g[k * d + a] - g1[a]) <= 1e-12 * (fabs(g1[a]) + 4 * stages * xm);
            for (size_t b = 0; b < d; b++) {
                double h = H[k * d * d + a * d + b];
                if (b < a) low &= h == 0.0;
                else hok &= fabs(h - H1[a * d + b]) <=
                           1e-12 * (fabs(H1[a * d + b]) + 4 * stages * xm * xm);
            }
        }
        gsl_test(!gok, "%s: gradient k=%zu", what, k);
        gsl_test(!hok, "%s: upper Hessian k=%zu", what, k);
        gsl_test(!low, "%s: lower triangle untouched k=%zu", what, k);
    }
}

static void test_random(gsl_rng *g)
{
    static queries Q;
    const size_t ds[] = {1, 2, 3, 4, 5, 8, 11};
    const double spread[] = {0.3, 1.7, 40.0, 600.0}; /* 600: |u| in the hundreds */
    for (size_t i = 0; i < sizeof ds / sizeof *ds; i++)
        for (size_t s = 0; s < 4; s++)
            for (size_t rep = 0; rep < 5; rep++) {
                size_t d = ds[i], T = 1 + gsl_rng_uniform_int(g, TM);
                draw(&Q, T, d, rep == 2 ? 3.1 : 0.0, rep > 2 ? (uint32_t)rep - 2 : 0, g);
                double th[KM * DM];
                for (size_t j = 0; j < KM * d; j++)
                    th[j] = spread[s] * (gsl_rng_uniform(g) - 0.5);
                if (rep == 1) memset(th, 0, d * sizeof *th); /* class 0: all tie */
                char what[64];
                snprintf(what, sizeof what, "d=%zu spread=%g rep=%zu", d, spread[s], rep);
                compare(&Q, th, KM, what);
            }
}

/* K classes in one call = K one-class calls, bit for bit (T = 40: several
 * chunks; d = 2 (mixed shapes) and 8 (full rankings of 3) inlined, d = 5
 * (top-1 of 3) the general loops). */
static void test_classes(gsl_rng *g)
{
    static queries Q;
    for (size_t d = 2; d <= 8; d += 3) {
        draw(&Q, TM, d, 0.0, (uint32_t)(d - 2) / 3, g); /* mixed, top-1, full */
        double th[KM * DM], ll[KM], G[KM * DM] = {0}, H[KM * DM * DM] = {0};
        double work[KM * 200];
        for (size_t j = 0; j < KM * d; j++) th[j] = 3.0 * (gsl_rng_uniform(g) - 0.5);
        pl_stages_accum(Q.D, Q.cand, Q.r, Q.T, d, th, KM, ll, G, H, work);
        int same = 1;
        for (size_t k = 0; k < KM; k++) {
            double l1, g1[DM] = {0}, H1[DM * DM] = {0};
            pl_stages_accum(Q.D, Q.cand, Q.r, Q.T, d, th + k * d, 1, &l1, g1, H1, work);
            same &= memcmp(&l1, &ll[k], sizeof l1) == 0;
            same &= memcmp(g1, G + k * d, d * sizeof *g1) == 0;
            same &= memcmp(H1, H + k * d * d, d * d * sizeof *H1) == 0;
        }
        gsl_test(!same, "K = 3 in one call = three one-class calls, d=%zu", d);
    }
}

/* One log per class: at theta = 0 every stage is a tie, log P = -sum_s
 * log(m - s); 2000 full rankings of 8 (8! ~ 2^15.3 each, product 2^30600)
 * would overflow an unguarded product. Then non-finite utilities give NaN
 * as the general path does. */
static void test_product_and_nan(void)
{
    enum { T = 2000, M = 8, D = 2 };
    static double Dm[T * (M - 1) * D];
    static size_t cand[T + 1];
    static uint32_t r[T];
    double th[D] = {0.0, 0.0}, ll, g[D] = {0}, H[D * D] = {0}, work[200];
    double ref = 0.0;
    for (size_t t = 0; t <= T; t++) cand[t] = t * M;
    for (size_t t = 0; t < T; t++) {
        r[t] = M - 1 - (uint32_t)(t % 3); /* r = 7, 6, 5 */
        for (size_t s = 0; s < r[t]; s++) ref -= log((double)(M - s));
    }
    pl_stages_accum(Dm, cand, r, T, D, th, 1, &ll, g, H, work);
    gsl_test_rel(ll, ref, 1e-13, "2000 tied rankings of 8: product vs sum of logs");
    queries Q = {0};
    double x[3 * D] = {0.4, -1.2, INFINITY, 0.3, -0.7, 2.2};
    Q.T = 1;
    Q.d = D;
    Q.cand[1] = 3;
    memcpy(Q.x, x, sizeof x);
    pl_stages_diff(x, 3, D, Q.D);
    double t1[D] = {0.8, -0.5}, t2[D] = {NAN, 0.5};
    for (uint32_t rr = 1; rr <= 2; rr++) {
        Q.r[0] = rr;
        for (int c = 0; c < 2; c++) {
            double l1, gg[D] = {0}, HH[D * D] = {0}, wk[2 * 3 + D];
            const double *tt = c ? t2 : t1;
            l1 = pl_linear_accum_upper(Q.x, 3, D, rr, tt, 1.0, gg, HH, wk);
            pl_stages_accum(Q.D, Q.cand, Q.r, 1, D, tt, 1, &ll, g, H, work);
            gsl_test(isnan(ll) != isnan(l1) || !isnan(ll),
                     "non-finite utility (r=%u, %s): NaN as the general path",
                     (unsigned)rr, c ? "NaN theta" : "infinite x");
        }
    }
}

int main(void)
{
    gsl_rng *g = rngs_alloc(20261130);
    test_random(g);
    test_classes(g);
    test_product_and_nan();
    gsl_rng_free(g);
    exit(gsl_test_summary());
}
