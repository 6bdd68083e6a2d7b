/* test_nnf.c — the network in single precision (nnf.h, vecopsf.h): float
 * tanh against double tanh (relative error), its special values and its
 * array loop against the scalar bit for bit; nnf_forward / nnf_backward
 * against nn_forward / nn_backward (double, itself tested against finite
 * differences in test_nn.c) on the same float-representable parameters and
 * features, for tanh and softplus, 0 to 3 hidden layers, widths that are
 * not multiples of the 8-lane blocks, row counts that are not multiples of
 * 4, the EM-DPO benchmark's shape and a layer on the CBLAS path; and that
 * backward accumulates.
 *
 * Tolerances, set from the arithmetic before running: a float rounding is
 * at most u = 2^-24 = 6.0e-8 relative. tanh: about ten roundings after a
 * polynomial truncated below 1.5e-8, so below 1e-6 relative. Network: a sum
 * of m products carries at most m u times the sum of the magnitudes of its
 * terms (Higham, Accuracy and Stability of Numerical Algorithms, eq. 3.5);
 * with m <= 192 rows (weight gradients) or <= 64 inputs (layer sums), three
 * layers, and terms of order one, every output and gradient entry agrees
 * with the double network within 1e-4 of the largest magnitude of its
 * array (the bound is ~1.2e-5 per sum; a wrong index or a dropped term is
 * an error of order one). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_test.h>

#include "nn.h"
#include "nnf.h"
#include "rngs.h"
#include "vecopsf.h"

static void test_tanh(gsl_rng *r)
{
    double worst = 0.0, at = 0.0;
    for (int i = 0; i < 200000; i++) {
        /* |z| log-uniform over [1e-8, 12], and a uniform sweep of [-10, 10] */
        float z = i % 2 ? (float)((gsl_rng_uniform(r) < 0.5 ? -1 : 1) *
                                  pow(10.0, -8.0 + 9.08 * gsl_rng_uniform(r)))
                        : (float)(-10.0 + 20.0 * gsl_rng_uniform(r));
        double ref = tanh((double)z), got = vecopsf_tanh1(z);
        double e = fabs(got - ref) / fabs(ref);
        if (ref != 0.0 && e > worst) {
            worst = e;
            at = z;
        }
    }
    gsl_test(!(worst < 1e-6), "vecopsf_tanh1 vs double tanh: worst relative error "
             "%.3g (at z = %.9g) below 1e-6", worst, at);
    float sp[8] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 9.5f, -9.5f, 1e30f}, y[8];
    vecopsf_tanh(y, sp, 8);
    gsl_test(!(y[0] == 0.0f && !signbit(y[0])), "float tanh(+0) = +0");
    gsl_test(!(y[1] == 0.0f && signbit(y[1])), "float tanh(-0) = -0");
    gsl_test(!(y[2] == 1.0f && y[3] == -1.0f), "float tanh(+-inf) = +-1");
    gsl_test(!isnan(y[4]), "float tanh(NaN) is NaN");
    gsl_test(!(y[5] == 1.0f && y[6] == -1.0f && y[7] == 1.0f), "float tanh(+-9.5), tanh(1e30)");
    enum { N = 37 }; /* a vector body and a remainder */
    float z[N], a[N];
    for (int i = 0; i < N; i++) z[i] = (float)(4.0 * gsl_ran_gaussian(r, 1.0));
    vecopsf_tanh(a, z, N);
    int same = 1;
    for (int i = 0; i < N; i++) same &= memcmp(&a[i], &(float){vecopsf_tanh1(z[i])}, sizeof(float)) == 0;
    gsl_test(!same, "vecopsf_tanh = vecopsf_tanh1 bit for bit (n = 37)");
}

/* max |a - b| / max(1, max |b|) over n entries. */
static double rel_dev(const float *a, const double *b, size_t n)
{
    double dev = 0.0, big = 1.0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)a[i] - b[i]);
        if (!(e <= dev)) dev = e; /* NaN propagates */
        if (fabs(b[i]) > big) big = fabs(b[i]);
    }
    return dev / big;
}

static void test_against_double(gsl_rng *r, nn_config c, size_t n, const char *name)
{
    size_t P = nn_num_params(&c), A = nn_acts_size(&c, n), S = nn_scratch_size(&c, n);
    double *p = malloc(P * sizeof *p), *X = malloc(n * c.d * sizeof *X);
    double *acts = malloc((A + 1) * sizeof *acts), *scr = malloc((S + 1) * sizeof *scr);
    double *f = malloc(n * sizeof *f), *dout = malloc(n * sizeof *dout);
    double *g = calloc(P, sizeof *g);
    float *pf = malloc(P * sizeof *pf), *Xf = malloc(n * c.d * sizeof *Xf);
    float *actsf = malloc((A + 1) * sizeof *actsf), *scrf = malloc((S + 1) * sizeof *scrf);
    float *ff = malloc(n * sizeof *ff), *doutf = malloc(n * sizeof *doutf);
    float *gf = calloc(P, sizeof *gf);
    nn_init_params(&c, p, r);
    for (size_t i = 0; i < P; i++) { /* biases nonzero too; float-representable */
        p[i] += 0.1 * gsl_ran_gaussian(r, 1.0);
        pf[i] = (float)p[i];
        p[i] = pf[i];
    }
    for (size_t i = 0; i < n * c.d; i++) {
        Xf[i] = (float)gsl_ran_gaussian(r, 1.0);
        X[i] = Xf[i];
    }
    for (size_t i = 0; i < n; i++) {
        doutf[i] = (float)gsl_ran_gaussian(r, 1.0);
        dout[i] = doutf[i];
    }
    nn_forward(&c, p, X, n, acts, f);
    nnf_forward(&c, pf, Xf, n, actsf, ff);
    double ef = rel_dev(ff, f, n), ea = rel_dev(actsf, acts, A);
    gsl_test(!(ef < 1e-4), "%s: float forward f within 1e-4 of double (%.3g)", name, ef);
    gsl_test(!(ea < 1e-4), "%s: float activations within 1e-4 of double (%.3g)", name, ea);
    nn_backward(&c, p, X, n, acts, dout, g, scr);
    nnf_backward(&c, pf, Xf, n, actsf, doutf, gf, scrf);
    double eg = rel_dev(gf, g, P);
    gsl_test(!(eg < 1e-4), "%s: float gradient within 1e-4 of double (%.3g)", name, eg);
    /* Backward accumulates: a second call adds the same gradient again. */
    nn_backward(&c, p, X, n, acts, dout, g, scr);
    nnf_backward(&c, pf, Xf, n, actsf, doutf, gf, scrf);
    double e2 = rel_dev(gf, g, P);
    gsl_test(!(e2 < 1e-4), "%s: float backward accumulates (%.3g)", name, e2);
    free(p); free(X); free(acts); free(scr); free(f); free(dout); free(g);
    free(pf); free(Xf); free(actsf); free(scrf); free(ff); free(doutf); free(gf);
}

int main(void)
{
    gsl_rng *r = rngs_alloc(20261201);
    test_tanh(r);
    test_against_double(r, (nn_config){8, 32, 1, NN_TANH}, 192, "d=8 H=32 L=1 tanh n=192 (benchmark shape)");
    test_against_double(r, (nn_config){5, 12, 2, NN_TANH}, 7, "d=5 H=12 L=2 tanh n=7");
    test_against_double(r, (nn_config){3, 10, 3, NN_SOFTPLUS}, 9, "d=3 H=10 L=3 softplus n=9");
    test_against_double(r, (nn_config){6, 64, 2, NN_TANH}, 20, "d=6 H=64 L=2 tanh n=20 (CBLAS layer)");
    test_against_double(r, (nn_config){4, 1, 0, NN_TANH}, 5, "d=4 L=0 linear n=5");
    test_against_double(r, (nn_config){7, 9, 1, NN_TANH}, 1, "d=7 H=9 L=1 tanh n=1");
    gsl_rng_free(r);
    exit(gsl_test_summary());
}
