/* test_vecops.c — the network's vector kernels against plain scalar loops.
 *
 * The reference for every kernel is the loop in this file that performs the
 * same IEEE operations in the same order (this file is compiled once, for
 * the baseline ISA, without target clones), so the check is bit for bit:
 * whichever clone the loader picked on this machine (SSE2, AVX2 or AVX-512)
 * must give the baseline's bits. The network's kernels (tanh, the products
 * and their gradients) are fused multiply-adds: their references call libm's
 * fma (correctly rounded with or without the instruction), and they run at
 * every level of vecops_net_level this machine has, the baseline's emulated
 * FMA included, which is also checked on its own against libm's fma. Shapes cover the register-block tails
 * (columns not a multiple of 8, rows not a multiple of 4, inputs not a
 * multiple of 4). tanh and exp are also checked against libm (relative error,
 * whole line) and at its special values, log against logl in ulps. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_test.h>

#include "rngs.h"
#include "vecops.h"

/* The level of the network's kernels under test (vecops_net_level). */
static int level_now;

static int same_bits(const double *a, const double *b, size_t n, size_t *at)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(a + i, b + i, sizeof(double)) != 0) {
            *at = i;
            return 0;
        }
    return 1;
}

static double *draw(gsl_rng *r, size_t n, double sd)
{
    double *v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; i < n; i++) v[i] = gsl_ran_gaussian(r, sd);
    return v;
}

/* The eight-partial-sum dot product, as vecops.h specifies it; fused: each
 * partial sum a chain of fused multiply-adds (the network's kernels). */
static double ref_dot_mode(const double *a, const double *b, size_t n, int fused)
{
    double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (size_t j = 0; j < n; j++)
        s[j % 8] = fused ? fma(a[j], b[j], s[j % 8]) : s[j % 8] + a[j] * b[j];
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

static double ref_dot(const double *a, const double *b, size_t n)
{
    return ref_dot_mode(a, b, n, 0);
}

static double ref_dotf(const double *a, const double *b, size_t n)
{
    return ref_dot_mode(a, b, n, 1);
}

/* The vector loop gives the scalar function's bits: n draws, every length
 * 0..40 (every vector tail), and in place. Writes the scalar values to s;
 * v is scratch (n). */
static void check_map(void (*vec)(double *, const double *, size_t),
                      double (*one)(double), const double *z, double *v,
                      double *s, size_t n, const char *name)
{
    size_t at_i = 0;
    vec(v, z, n);
    for (size_t i = 0; i < n; i++) s[i] = one(z[i]);
    gsl_test(!same_bits(v, s, n, &at_i), "%s = %s1 bit for bit (%zu draws; "
             "first difference at %zu)", name, name, n, at_i);
    int tails = 1;
    for (size_t len = 0; len <= 40; len++) {
        vec(v, z + 3, len);
        tails &= same_bits(v, s + 3, len, &at_i);
    }
    gsl_test(!tails, "%s bit for bit at lengths 0..40 (vector tails)", name);
    memcpy(v, z, n * sizeof *v);
    vec(v, v, n);
    gsl_test(!same_bits(v, s, n, &at_i), "%s in place", name);
}

/* The fused multiply-add of the network's kernels at the current level:
 * vecops_affine with one row, one input and one column is fma(x, w, b).
 * Against libm's fma (correctly rounded, with or without the instruction)
 * on 10^6 triples: random exponents, near-cancelling c = -(a b)(1 + j 2^-52),
 * exact products of 26-bit mantissas (ties of the final rounding), the
 * false ties that rounding to odd exists for (without it, half of those
 * differ), and a few zeros. */
/* +-m 2^e with a full 53-bit significand m in [1, 2) (two 32-bit draws) and
 * e uniform in [emin, emax]; the sign + with probability 1/2. */
static double draw_full(gsl_rng *r, int emin, int emax)
{
    uint64_t hi = gsl_rng_uniform_int(r, 1ul << 26), lo = gsl_rng_uniform_int(r, 1ul << 26);
    double m = 1.0 + ldexp((double)((hi << 26) | lo), -52);
    double v = ldexp(m, emin + (int)gsl_rng_uniform_int(r, (unsigned long)(emax - emin + 1)));
    return gsl_rng_uniform(r) < 0.5 ? -v : v;
}

static void test_fma(gsl_rng *r)
{
    size_t bad = 0, n = 1000000;
    double first[3] = {0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        double a = draw_full(r, -30, 30), b = draw_full(r, -30, 30);
        double c = draw_full(r, -60, 60);
        switch (i % 4) {
        case 1: /* c cancels a b to a few ulps */
            c = -(a * b) * (1.0 + ((double)gsl_rng_uniform_int(r, 9) - 4.0) * 0x1p-52);
            break;
        case 2: /* a b exact: ties decide */
            a = ldexp(floor(ldexp(a, 25 - ilogb(a))), ilogb(a) - 25);
            b = ldexp(floor(ldexp(b, 25 - ilogb(b))), ilogb(b) - 25);
            break;
        case 3: { /* t + e rounds to a false tie unless rounded to odd */
            double p, e, h;
            for (;;) { /* |e| in (3/4, 7/8) of half an ulp of p: 1 draw in 8 */
                p = a * b;
                e = fma(a, b, -p);
                h = copysign(ldexp(1.0, ilogb(p) - 53), e);
                if (fabs(e) > 0.75 * fabs(h) && fabs(e) < 0.875 * fabs(h)) break;
                a = draw_full(r, -10, 10);
                b = draw_full(r, -10, 10);
            }
            /* c + e = h +- ulp(h) / 8, both exact: s = p, and t + e rounds
             * to h, a tie in s + h that the exact sum is not */
            c = (h - e) + (i % 8 == 3 ? 1.0 : -1.0) * ldexp(fabs(h), -55);
            if (i % 1000 == 3) c = 0.0;
            if (i % 1000 == 7) a = 0.0;
            break;
        }
        }
        double y = 0.0, want = fma(a, b, c);
        vecops_affine(&y, &a, &b, &c, 1, 1, 1);
        if (memcmp(&y, &want, sizeof y) != 0 && !bad++) {
            first[0] = a;
            first[1] = b;
            first[2] = c;
        }
    }
    gsl_test(bad != 0, "level %d: the kernels' FMA = libm's fma on %zu triples (%zu "
             "differ; first a = %a, b = %a, c = %a)", level_now, n, bad, first[0],
             first[1], first[2]);
}

static void test_tanh(gsl_rng *r)
{
    /* Accuracy against libm over the whole line: log-spaced magnitudes from
     * 1e-300 to 40, both signs (covers the k = 0 range |z| < ln2/4, every
     * k down to the clamp at 20, and beyond it). */
    double worst = 0.0, at = 0.0;
    for (int sgn = -1; sgn <= 1; sgn += 2)
        for (double a = 1e-300; a < 40.0; a *= 1.0009765625) {
            double z = sgn * a, ref = tanh(z), got = vecops_tanh1(z);
            double rel = fabs(got - ref) / fabs(ref);
            if (rel > worst) {
                worst = rel;
                at = z;
            }
        }
    gsl_test(!(worst < 1e-15), "vecops_tanh1 vs libm tanh (level %d): worst relative "
             "error %.3g at z = %.17g", level_now, worst, at);

    /* Special values. */
    double sp[] = {0.0, -0.0, INFINITY, -INFINITY, NAN, 20.0, -20.0, 1e300, 5e-324};
    double y[sizeof sp / sizeof sp[0]];
    size_t ns = sizeof sp / sizeof sp[0];
    vecops_tanh(y, sp, ns);
    gsl_test(!(y[0] == 0.0 && !signbit(y[0])), "tanh(+0) = +0");
    gsl_test(!(y[1] == 0.0 && signbit(y[1])), "tanh(-0) = -0");
    gsl_test(!(y[2] == 1.0 && y[3] == -1.0), "tanh(+-inf) = +-1");
    gsl_test(!isnan(y[4]), "tanh(NaN) is NaN");
    gsl_test(!(y[5] == 1.0 && y[6] == -1.0 && y[7] == 1.0), "tanh(+-20), tanh(1e300)");
    gsl_test(!(y[8] == 5e-324), "tanh(smallest subnormal) = itself");

    size_t n = 100000, at_i = 0;
    double *z = draw(r, n, 3.0), *v = malloc(n * sizeof *v), *s = malloc(n * sizeof *s);
    for (size_t i = 0; i < n; i += 7) z[i] *= 1e-3; /* small |z| too */
    check_map(vecops_tanh, vecops_tanh1, z, v, s, n, "vecops_tanh");

    /* tanh' from the output. */
    double *da = draw(r, n, 1.0), *g = malloc(n * sizeof *g);
    vecops_tanh_grad(g, da, s, n);
    for (size_t i = 0; i < n; i++) v[i] = da[i] * fma(-s[i], s[i], 1.0);
    gsl_test(!same_bits(g, v, n, &at_i), "vecops_tanh_grad bit for bit (level %d)", level_now);
    free(z);
    free(v);
    free(s);
    free(da);
    free(g);
}

/* exp for x <= 0 (the pair kernel's exp(-|z|)): against libm over the
 * whole normal range, the subnormal cut, special values, and the vector
 * loop against the scalar function bit for bit. */
static void test_expneg(gsl_rng *r)
{
    double worst = 0.0, at = 0.0;
    for (double a = 1e-300; a < 708.3; a *= 1.0009765625) {
        double x = -a, ref = exp(x), got = vecops_expneg1(x);
        double rel = fabs(got - ref) / ref;
        if (rel > worst) {
            worst = rel;
            at = x;
        }
    }
    gsl_test(!(worst < 4e-16), "vecops_expneg1 vs libm exp: worst relative error "
             "%.3g at x = %.17g", worst, at);
    double sp[] = {0.0, -0.0, -INFINITY, NAN, -708.3964185322641, -708.4, -745.2,
                   -1e300, 3.5};
    size_t ns = sizeof sp / sizeof sp[0];
    double y[sizeof sp / sizeof sp[0]];
    vecops_expneg(y, sp, ns);
    gsl_test(!(y[0] == 1.0 && y[1] == 1.0), "exp(+-0) = 1");
    gsl_test(!(y[2] == 0.0), "exp(-inf) = 0");
    gsl_test(!isnan(y[3]), "exp(NaN) is NaN");
    gsl_test_rel(y[4], exp(-708.3964185322641), 1e-15, "exp(ln DBL_MIN) (normal)");
    gsl_test(!(y[5] == 0.0 && y[6] == 0.0 && y[7] == 0.0),
             "subnormal results and below give 0");
    gsl_test(!(y[8] == 1.0), "x > 0 is taken as 0");
    size_t n = 100000;
    double *x = draw(r, n, 30.0), *v = malloc(n * sizeof *v), *s = malloc(n * sizeof *s);
    for (size_t i = 0; i < n; i++) x[i] = -fabs(x[i]) * (i % 5 ? 1.0 : 1e-4);
    check_map(vecops_expneg, vecops_expneg1, x, v, s, n, "vecops_expneg");
    free(x);
    free(v);
    free(s);
}

/* The error of vecops_log1(x) in ulps of the exact log (logl, 64-bit
 * mantissa on x86-64; 11 more bits than the result). */
static double log_ulps(double x)
{
    long double ref = logl((long double)x);
    double got = vecops_log1(x), a = fabs((double)ref);
    double ulp = nextafter(a, INFINITY) - a;
    return (double)(fabsl((long double)got - ref) / ulp);
}

/* log: against the exact log over random doubles of every exponent
 * (subnormals too), near 1 (where the result is small) and at powers of
 * two; special values; the vector loop against the scalar bit for bit. */
static void test_log(gsl_rng *r)
{
    double worst = 0.0, at = 0.0;
    size_t n = 200000;
    double *x = malloc(n * sizeof *x), *v = malloc(n * sizeof *v),
           *s = malloc(n * sizeof *s);
    for (size_t i = 0; i < n; i++) {
        double u = gsl_rng_uniform(r);
        if (i % 4 == 0) /* every binade, subnormals included */
            x[i] = ldexp(1.0 + u, (int)gsl_rng_uniform_int(r, 2098) - 1074);
        else if (i % 4 == 1) /* near 1 */
            x[i] = 1.0 + ldexp(u - 0.5, -(int)gsl_rng_uniform_int(r, 52));
        else if (i % 4 == 2) /* the passes' range: [1, 2^512] and (0, 1] */
            x[i] = ldexp(1.0 + u, (int)gsl_rng_uniform_int(r, 512));
        else
            x[i] = u > 0.0 ? u : 0.5;
        double e = log_ulps(x[i]);
        if (e > worst) {
            worst = e;
            at = x[i];
        }
    }
    for (int k = -1074; k <= 1023; k++) {
        double e = log_ulps(ldexp(1.0, k));
        if (e > worst) {
            worst = e;
            at = ldexp(1.0, k);
        }
    }
    gsl_test(!(worst < 1.0), "vecops_log1 vs the exact log: worst %.3g ulp at "
             "x = %.17g", worst, at);
    gsl_test(!(vecops_log1(1.0) == 0.0 && vecops_log1(2.0) == log(2.0) &&
               vecops_log1(0x1p-1074) == log(0x1p-1074)),
             "log(1) = 0, log(2) and log(2^-1074) as libm's");
    double sp[] = {0.0, -0.0, INFINITY, NAN, -1.0, -INFINITY, DBL_MAX, -0x1p-1074};
    size_t ns = sizeof sp / sizeof sp[0];
    double y[sizeof sp / sizeof sp[0]];
    vecops_log(y, sp, ns);
    gsl_test(!(y[0] == -INFINITY && y[1] == -INFINITY), "log(+-0) = -inf");
    gsl_test(!(y[2] == INFINITY), "log(inf) = inf");
    gsl_test(!(isnan(y[3]) && isnan(y[4]) && isnan(y[5]) && isnan(y[7])),
             "log(NaN) and log(x < 0) are NaN");
    gsl_test(!(y[6] == log(DBL_MAX)), "log(DBL_MAX) as libm's");
    check_map(vecops_log, vecops_log1, x, v, s, n, "vecops_log");
    free(x);
    free(v);
    free(s);
}

/* The logistic parts: bit for bit against the same operations written here
 * on vecops_expneg1 (every vector tail), and against libm's exp. */
static void test_logistic(gsl_rng *r)
{
    size_t n = 1000;
    double *z = draw(r, n, 8.0), *f = malloc(n * sizeof *f), *g = malloc(n * sizeof *g),
           *h = malloc(n * sizeof *h);
    z[0] = NAN; /* outside the bit-for-bit loop: NaN payloads may differ */
    z[1] = -800.0;
    z[2] = 800.0;
    z[3] = 0.0;
    int same = 1, near = 1;
    for (size_t len = 0; len <= 40; len++) {
        vecops_logistic(f, g, h, z + 1, len);
        for (size_t i = 0; i < len; i++) {
            double zi = z[1 + i], e = vecops_expneg1(-fabs(zi)), fi = 1.0 + e;
            double hi = 1.0 / fi, lo = e * hi, gi = zi < 0.0 ? hi : lo;
            same &= memcmp(&f[i], &fi, sizeof fi) == 0 && memcmp(&g[i], &gi, sizeof gi) == 0;
            double hh = hi * lo;
            same &= memcmp(&h[i], &hh, sizeof hh) == 0;
        }
    }
    gsl_test(!same, "vecops_logistic bit for bit against its definition (lengths 0..40)");
    vecops_logistic(f, g, h, z, n);
    gsl_test(!(isnan(g[0]) && isnan(h[0]) && isnan(f[0])), "vecops_logistic(NaN) is NaN");
    gsl_test(!(g[1] == 1.0 && g[2] == 0.0 && h[1] == 0.0), "vecops_logistic at z = +-800");
    for (size_t i = 0; i < n; i++) {
        if (i == 0) continue;
        double ez = exp(-fabs(z[i]));
        double gref = z[i] < 0 ? 1.0 / (1.0 + ez) : ez / (1.0 + ez);
        double href = ez / ((1.0 + ez) * (1.0 + ez));
        near &= fabs(f[i] - (1.0 + ez)) <= 4e-16 * (1.0 + ez);
        near &= fabs(g[i] - gref) <= 1e-15 * gref && fabs(h[i] - href) <= 1e-15 * href;
    }
    gsl_test(!near, "vecops_logistic within 1e-15 of libm's exp (relative)");
    free(z);
    free(f);
    free(g);
    free(h);
}

/* One shape: every product kernel against its scalar reference. */
static int check_shape(gsl_rng *r, size_t n, size_t in, size_t out, char *why,
                       size_t why_len)
{
    double *X = draw(r, n * in, 1.0), *W = draw(r, in * out, 0.5);
    double *b = draw(r, out, 0.3), *dY = draw(r, n * out, 1.0);
    double *Y = malloc((n * out + 1) * sizeof *Y), *R = malloc((n * out + 1) * sizeof *R);
    double *dW = draw(r, in * out, 1.0), *dWr = malloc((in * out + 1) * sizeof *dWr);
    double *db = draw(r, out, 1.0), *dbr = malloc((out + 1) * sizeof *dbr);
    double *dX = malloc((n * in + 1) * sizeof *dX), *dXr = malloc((n * in + 1) * sizeof *dXr);
    size_t at = 0;
    int ok = 1;

    /* Y = b + X W, k ascending, fused. */
    vecops_affine(Y, X, W, b, n, in, out);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < out; j++) {
            double a = b[j];
            for (size_t k = 0; k < in; k++) a = fma(X[i * in + k], W[k * out + j], a);
            R[i * out + j] = a;
        }
    if (ok && !same_bits(Y, R, n * out, &at)) {
        snprintf(why, why_len, "vecops_affine, entry %zu", at);
        ok = 0;
    }

    /* y = b + X w (out = 1 view of W's first column... use W as (in) vector). */
    vecops_affine1(Y, X, W, b[0], n, in);
    for (size_t i = 0; i < n; i++) R[i] = b[0] + ref_dotf(X + i * in, W, in);
    if (ok && !same_bits(Y, R, n, &at)) {
        snprintf(why, why_len, "vecops_affine1, row %zu", at);
        ok = 0;
    }
    if (ok && !(vecops_dot(X, W, in) == ref_dot(X, W, in))) {
        snprintf(why, why_len, "vecops_dot");
        ok = 0;
    }

    /* dW += X^T dY, db += colsum dY, rows in order. */
    memcpy(dWr, dW, in * out * sizeof *dW);
    memcpy(dbr, db, out * sizeof *db);
    vecops_affine_grad(dW, db, X, dY, n, in, out);
    for (size_t k = 0; k < in; k++)
        for (size_t j = 0; j < out; j++)
            for (size_t i = 0; i < n; i++)
                dWr[k * out + j] = fma(X[i * in + k], dY[i * out + j], dWr[k * out + j]);
    for (size_t j = 0; j < out; j++)
        for (size_t i = 0; i < n; i++) dbr[j] += dY[i * out + j];
    if (ok && !same_bits(dW, dWr, in * out, &at)) {
        snprintf(why, why_len, "vecops_affine_grad dW, entry %zu", at);
        ok = 0;
    }
    if (ok && !same_bits(db, dbr, out, &at)) {
        snprintf(why, why_len, "vecops_affine_grad db, entry %zu", at);
        ok = 0;
    }
    /* db = NULL leaves the bias alone and still accumulates dW. */
    vecops_affine_grad(dW, NULL, X, dY, n, in, out);
    for (size_t k = 0; k < in; k++)
        for (size_t j = 0; j < out; j++)
            for (size_t i = 0; i < n; i++)
                dWr[k * out + j] = fma(X[i * in + k], dY[i * out + j], dWr[k * out + j]);
    if (ok && !same_bits(dW, dWr, in * out, &at)) {
        snprintf(why, why_len, "vecops_affine_grad (db NULL) dW, entry %zu", at);
        ok = 0;
    }

    /* dX = dY W^T by eight-partial-sum dots; dX = dy w^T. */
    vecops_input_grad(dX, dY, W, n, in, out);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < in; k++) dXr[i * in + k] = ref_dotf(dY + i * out, W + k * out, out);
    if (ok && !same_bits(dX, dXr, n * in, &at)) {
        snprintf(why, why_len, "vecops_input_grad, entry %zu", at);
        ok = 0;
    }
    vecops_outer(dX, dY, W, n, in);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < in; k++) dXr[i * in + k] = dY[i] * W[k];
    if (ok && !same_bits(dX, dXr, n * in, &at)) {
        snprintf(why, why_len, "vecops_outer, entry %zu", at);
        ok = 0;
    }
    /* The fused output delta through tanh: outer, then tanh', the same
     * operations (X stands in for the layer's outputs A). */
    vecops_outer_tanh_grad(dX, dY, W, X, n, in);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < in; k++) {
            double a = X[i * in + k];
            dXr[i * in + k] = (dY[i] * W[k]) * fma(-a, a, 1.0);
        }
    if (ok && !same_bits(dX, dXr, n * in, &at)) {
        snprintf(why, why_len, "vecops_outer_tanh_grad, entry %zu", at);
        ok = 0;
    }
    free(X);
    free(W);
    free(b);
    free(dY);
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

static void test_products(gsl_rng *r)
{
    const size_t ns[] = {1, 3, 4, 5, 192}, ins[] = {1, 3, 4, 8, 9, 17, 32, 35, 64},
                 outs[] = {1, 2, 7, 8, 9, 32, 33};
    char why[320] = "";
    size_t shapes = 0, bad = 0;
    for (size_t a = 0; a < sizeof ns / sizeof ns[0]; a++)
        for (size_t c = 0; c < sizeof ins / sizeof ins[0]; c++)
            for (size_t e = 0; e < sizeof outs / sizeof outs[0]; e++) {
                char w[128];
                shapes++;
                if (!check_shape(r, ns[a], ins[c], outs[e], w, sizeof w)) {
                    if (!bad++)
                        snprintf(why, sizeof why, "n = %zu, in = %zu, out = %zu: %s",
                                 ns[a], ins[c], outs[e], w);
                }
            }
    gsl_test(bad != 0, "products bit for bit against scalar loops on %zu shapes, level %d "
             "(%zu differ; first: %s)", shapes, level_now, bad, bad ? why : "none");
    /* n = 0 touches nothing. */
    double y = 7.0;
    vecops_affine(&y, NULL, NULL, NULL, 0, 3, 3);
    vecops_affine1(&y, NULL, NULL, 0.0, 0, 3);
    gsl_test(y != 7.0, "n = 0 writes nothing");
}

/* The pair pass's kernels against their definitions written as scalar
 * loops, bit for bit (the four partial sums t mod 4 and their fixed tree;
 * the margins in order), for every d <= VECOPS_PAIR_D, K = 2 and lengths
 * 0..41 (vector tails); the lower triangle untouched. */
static void test_pair_kernels(gsl_rng *r)
{
    enum { N = 41, D = VECOPS_PAIR_D, K = 2 };
    static double X[D * N], g[K * N], h[K * N], th[K * D], z[K * N], zs[K * N];
    int bad = 0;
    for (size_t d = 1; d <= D; d++)
        for (size_t n = 0; n <= N; n++) {
            for (size_t j = 0; j < d * n; j++) X[j] = 4.0 * gsl_rng_uniform(r) - 2.0;
            for (size_t j = 0; j < K * n; j++) {
                g[j] = gsl_rng_uniform(r);
                h[j] = 0.25 * gsl_rng_uniform(r);
            }
            for (size_t j = 0; j < K * d; j++) th[j] = gsl_rng_uniform(r) - 0.5;
            double G[K * D], H[K * D * D], Gs[K * D], Hs[K * D * D];
            for (size_t j = 0; j < K * D; j++) G[j] = Gs[j] = 0.5 * (double)j;
            for (size_t j = 0; j < K * D * D; j++) H[j] = Hs[j] = -0.25 * (double)j;
            vecops_pair_sums(G, H, X, g, h, n, d, K);
            vecops_pair_margins(z, X, th, n, d, K);
            for (size_t k = 0; k < K; k++) {
                const double *gk = g + k * n, *hk = h + k * n;
                for (size_t a = 0; a < d; a++) {
                    double s[4] = {0, 0, 0, 0};
                    for (size_t t = 0; t < n; t++) s[t % 4] += gk[t] * X[a * n + t];
                    Gs[k * d + a] += (s[0] + s[2]) + (s[1] + s[3]);
                    for (size_t b = a; b < d; b++) {
                        double u[4] = {0, 0, 0, 0};
                        for (size_t t = 0; t < n; t++)
                            u[t % 4] += (hk[t] * X[a * n + t]) * X[b * n + t];
                        Hs[k * d * d + a * d + b] -= (u[0] + u[2]) + (u[1] + u[3]);
                    }
                }
                for (size_t t = 0; t < n; t++) {
                    double zz = 0.0;
                    for (size_t j = 0; j < d; j++) zz += th[k * d + j] * X[j * n + t];
                    zs[k * n + t] = zz;
                }
            }
            bad += memcmp(G, Gs, sizeof G) != 0 || memcmp(H, Hs, sizeof H) != 0 ||
                   (n && memcmp(z, zs, K * n * sizeof *z) != 0);
        }
    gsl_test(bad != 0, "vecops_pair_sums and vecops_pair_margins bit for bit "
             "against their definitions (%d of %d shapes differ)", bad, D * (N + 1));
}

int main(void)
{
    gsl_rng *r = rngs_alloc(20261127);
    /* The network's kernels at every level this machine runs, widest first;
     * the reference loops are the same at each. */
    int seen[5] = {0, 0, 0, 0, 0}, levels = 0;
    for (int cap = 4; cap >= 0; cap--) {
        level_now = vecops_net_level(cap);
        if (seen[level_now]) continue;
        seen[level_now] = 1;
        levels++;
        test_fma(r);
        test_tanh(r);
        test_products(r);
    }
    gsl_test(!seen[0] || levels < 1, "the baseline level (emulated FMA) ran (%d levels)",
             levels);
    vecops_net_level(4);
    test_expneg(r);
    test_log(r);
    test_logistic(r);
    test_pair_kernels(r);
    gsl_rng_free(r);
    exit(gsl_test_summary());
}
