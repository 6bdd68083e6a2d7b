/* test_nnf.c — the network in single precision (nnf.h, vecopsf.h): float
 * tanh against double tanh (relative error), its special values and its
 * array loop against the scalar bit for bit; nnf_forward / nnf_backward
 * against nn_forward / nn_backward (double, itself tested against finite
 * differences in test_nn.c) on the same float-representable parameters and
 * features, for tanh and softplus, 0 to 3 hidden layers, widths that are
 * not multiples of the 8-lane blocks, row counts that are not multiples of
 * 4, the EM-DPO benchmark's shape and a layer on the CBLAS path; and that
 * backward accumulates; and every float product kernel bit for bit against
 * the scalar float loop in this file (the same operations in the same
 * order), on 280 shapes.
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
#include <stdio.h>
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

/* ---- the float products bit for bit against scalar loops ----------------
 * As test_vecops does for the double kernels: this file is built once, for
 * the baseline ISA, so each loop below is the reference whose bits the
 * clone the loader picked (SSE2, AVX2 or AVX-512) must give. */

static int same_bits_f(const float *a, const float *b, size_t n, size_t *at)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(a + i, b + i, sizeof(float)) != 0) {
            *at = i;
            return 0;
        }
    return 1;
}

static float *draw_f(gsl_rng *r, size_t n, double sd)
{
    float *v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; i < n; i++) v[i] = (float)gsl_ran_gaussian(r, sd);
    return v;
}

/* vecopsf's dot product: eight partial sums s_{j mod 8}, paired as a tree. */
static float ref_dot_f(const float *a, const float *b, size_t n)
{
    float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (size_t j = 0; j < n; j++) s[j % 8] += a[j] * b[j];
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

/* One shape: every float product kernel against its loop; 0 and a message
 * naming the first difference when one differs. */
static int check_products_f(gsl_rng *r, size_t n, size_t in, size_t out,
                            char *why, size_t why_len)
{
    float *X = draw_f(r, n * in, 1.0), *W = draw_f(r, in * out, 0.5);
    float *b = draw_f(r, out, 0.3), *dY = draw_f(r, n * out, 1.0);
    float *A = draw_f(r, n * out, 0.5);
    float *Y = malloc((n * out + 1) * sizeof *Y), *R = malloc((n * out + 1) * sizeof *R);
    float *dW = draw_f(r, in * out, 1.0), *dWr = malloc((in * out + 1) * sizeof *dWr);
    float *db = draw_f(r, out, 1.0), *dbr = malloc((out + 1) * sizeof *dbr);
    float *dX = malloc((n * in + 1) * sizeof *dX), *dXr = malloc((n * in + 1) * sizeof *dXr);
    size_t at = 0;
    int ok = 1;
#define FAIL_IF(cond, ...)                                                   \
    do {                                                                     \
        if (ok && (cond)) {                                                  \
            snprintf(why, why_len, __VA_ARGS__);                             \
            ok = 0;                                                          \
        }                                                                    \
    } while (0)

    vecopsf_affine(Y, X, W, b, n, in, out);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < out; j++) {
            float a = b[j];
            for (size_t k = 0; k < in; k++) a += X[i * in + k] * W[k * out + j];
            R[i * out + j] = a;
        }
    FAIL_IF(!same_bits_f(Y, R, n * out, &at), "vecopsf_affine, entry %zu", at);

    vecopsf_affine1(Y, X, W, b[0], n, in);
    for (size_t i = 0; i < n; i++) R[i] = b[0] + ref_dot_f(X + i * in, W, in);
    FAIL_IF(!same_bits_f(Y, R, n, &at), "vecopsf_affine1, row %zu", at);

    for (int with_db = 1; with_db >= 0; with_db--) {
        memcpy(dWr, dW, in * out * sizeof *dW);
        memcpy(dbr, db, out * sizeof *db);
        vecopsf_affine_grad(dW, with_db ? db : NULL, X, dY, n, in, out);
        for (size_t k = 0; k < in; k++)
            for (size_t j = 0; j < out; j++) {
                float a = dWr[k * out + j];
                for (size_t i = 0; i < n; i++) a += X[i * in + k] * dY[i * out + j];
                dWr[k * out + j] = a;
            }
        if (with_db)
            for (size_t j = 0; j < out; j++)
                for (size_t i = 0; i < n; i++) dbr[j] += dY[i * out + j];
        FAIL_IF(!same_bits_f(dW, dWr, in * out, &at), "vecopsf_affine_grad%s dW, entry %zu",
                with_db ? "" : " (db NULL)", at);
        FAIL_IF(!same_bits_f(db, dbr, out, &at), "vecopsf_affine_grad%s db, entry %zu",
                with_db ? "" : " (db NULL)", at);
    }

    vecopsf_input_grad(dX, dY, W, n, in, out);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < in; k++)
            dXr[i * in + k] = ref_dot_f(dY + i * out, W + k * out, out);
    FAIL_IF(!same_bits_f(dX, dXr, n * in, &at), "vecopsf_input_grad, entry %zu", at);

    vecopsf_outer(dX, dY, W, n, in);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < in; k++) dXr[i * in + k] = dY[i] * W[k];
    FAIL_IF(!same_bits_f(dX, dXr, n * in, &at), "vecopsf_outer, entry %zu", at);

    vecopsf_tanh_grad(Y, dY, A, n * out);
    for (size_t i = 0; i < n * out; i++) R[i] = dY[i] * (1.0f - A[i] * A[i]);
    FAIL_IF(!same_bits_f(Y, R, n * out, &at), "vecopsf_tanh_grad, entry %zu", at);
#undef FAIL_IF
    free(X);
    free(W);
    free(b);
    free(dY);
    free(A);
    free(Y);
    free(R);
    free(dW);
    free(dWr);
    free(db);
    free(dbr);
    free(dX);
    free(dXr);
    return ok;
}

static void test_products_f(gsl_rng *r)
{
    const size_t ns[] = {1, 3, 4, 5, 192}, ins[] = {1, 3, 4, 8, 9, 17, 32, 35},
                 outs[] = {1, 2, 7, 8, 9, 32, 33};
    char why[320] = "";
    size_t shapes = 0, bad = 0;
    for (size_t a = 0; a < sizeof ns / sizeof ns[0]; a++)
        for (size_t c = 0; c < sizeof ins / sizeof ins[0]; c++)
            for (size_t e = 0; e < sizeof outs / sizeof outs[0]; e++) {
                char w[160];
                shapes++;
                if (!check_products_f(r, ns[a], ins[c], outs[e], w, sizeof w) && !bad++)
                    snprintf(why, sizeof why, "n = %zu, in = %zu, out = %zu: %s", ns[a],
                             ins[c], outs[e], w);
            }
    gsl_test(bad != 0, "float products bit for bit against scalar loops on %zu shapes "
             "(%zu differ; first: %s)", shapes, bad, bad ? why : "none");
}

int main(void)
{
    gsl_rng *r = rngs_alloc(20261201);
    test_tanh(r);
    test_products_f(r);
    test_against_double(r, (nn_config){8, 32, 1, NN_TANH}, 192, "d=8 H=32 L=1 tanh n=192 (benchmark shape)");
    test_against_double(r, (nn_config){5, 12, 2, NN_TANH}, 7, "d=5 H=12 L=2 tanh n=7");
    test_against_double(r, (nn_config){3, 10, 3, NN_SOFTPLUS}, 9, "d=3 H=10 L=3 softplus n=9");
    test_against_double(r, (nn_config){6, 64, 2, NN_TANH}, 20, "d=6 H=64 L=2 tanh n=20 (CBLAS layer)");
    test_against_double(r, (nn_config){4, 1, 0, NN_TANH}, 5, "d=4 L=0 linear n=5");
    test_against_double(r, (nn_config){7, 9, 1, NN_TANH}, 1, "d=7 H=9 L=1 tanh n=1");
    gsl_rng_free(r);
    exit(gsl_test_summary());
}
