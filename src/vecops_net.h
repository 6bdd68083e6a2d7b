/* vecops_net.h — the policy network's kernels (tanh, its derivative and the
 * small dense products of a training step), written once with every
 * product-and-sum as VN_MADD(a, b, c) = a b + c rounded once (a fused
 * multiply-add).
 *
 * Not a public header: vecops.c includes it once per instruction-set level
 * (baseline x86-64, x86-64-v3, x86-64-v4; or once where there are no
 * levels), after its helpers (vecops_to_bits, vecops_from_bits,
 * VECOPS_DEFINE_EXPM1_REDUCED, VECOPS_LANES) and after defining
 *   VN_FN(x)          the name of kernel x at that level (static),
 *   VN_MADD(a, b, c)  the fused multiply-add: the FMA instruction where the
 *                     level has it, else vecops.c's exact emulation,
 *   VN_INLINE         the always-inline attribute of the helpers,
 * and undefines them after. The public functions of vecops.h call the
 * level the CPU runs. Every level computes the same operations in the same
 * order, and a fused multiply-add has one correct result, so the bits do
 * not depend on the level (tests/test_vecops.c runs each level the machine
 * has against scalar loops with libm's fma). It deliberately holds nothing
 * the latent-class passes use: their kernels (vecops.c) keep separate
 * products and sums. */
#if !defined(VN_FN) || !defined(VN_MADD) || !defined(VN_INLINE)
#error "vecops_net.h: define VN_FN, VN_MADD and VN_INLINE first"
#endif

/* The dot product a . b with eight fixed partial sums s_l (j = l mod 8 in
 * order, each a chain of fused multiply-adds), combined as
 * ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)). */
static inline VN_INLINE double VN_FN(dot)(const double *a, const double *b, size_t n)
{
    double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t j = 0;
    for (; j + 8 <= n; j += 8) {
#pragma omp simd
        for (size_t l = 0; l < 8; l++) s[l] = VN_MADD(a[j + l], b[j + l], s[l]);
    }
    for (size_t l = 0; j + l < n; l++) s[l] = VN_MADD(a[j + l], b[j + l], s[l]);
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

VECOPS_DEFINE_EXPM1_REDUCED(VN_FN(expm1_reduced), VN_MADD)

/* tanh through expm1, branch-free so a loop of it vectorises.
 *
 * With a = min(|z|, 20) and x = -2a in [-40, 0], k and r as in vecops.c's
 * VECOPS_DEFINE_EXPM1_REDUCED (here in fused multiply-adds; k >= -58, so
 * 2^k is normal):
 *   expm1(x) = 2^k expm1(r) + (2^k - 1), exactly expm1(r) when k = 0, so
 *       small |z| keep full relative precision without a separate branch;
 *   tanh(a) = -expm1(x) / (2 + expm1(x)), and the sign of z copied back.
 * |z| > 20 gives 1 to double precision (1 - tanh(20) < 1e-17); NaN
 * propagates (the clamp keeps it, the polynomial spreads it). Relative
 * error < 1e-15 against libm (tests/test_vecops.c). */
static inline VN_INLINE double VN_FN(tanh_body)(double z)
{
    double a = fabs(z);
    a = a > 20.0 ? 20.0 : a;
    double two_k;
    double em1_r = VN_FN(expm1_reduced)(-2.0 * a, &two_k);
    double em1 = VN_MADD(two_k, em1_r, two_k - 1.0);
    return copysign(-em1 / (2.0 + em1), z);
}

static void VN_FN(tanh)(double *y, const double *z, size_t n)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++) y[i] = VN_FN(tanh_body)(z[i]);
}

/* dz = da (1 - a^2), the factor one fused multiply-add. */
static void VN_FN(tanh_grad)(double *dz, const double *da, const double *a, size_t n)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++) dz[i] = da[i] * VN_MADD(-a[i], a[i], 1.0);
}

static void VN_FN(outer_tanh_grad)(double *dX, const double *dy, const double *w,
                                   const double *A, size_t n, size_t in)
{
    for (size_t i = 0; i < n; i++) {
        const double d = dy[i], *a = A + i * in;
        double *x = dX + i * in;
#pragma omp simd
        for (size_t k = 0; k < in; k++) x[k] = (d * w[k]) * VN_MADD(-a[k], a[k], 1.0);
    }
}

/* Y[i0 .. i0 + R) for R rows, R <= 4, columns j0 .. j0 + 8 G, G = 1 or 2
 * groups of eight lanes (a constant at each call, so the unused group
 * folds away): 4 G accumulators share each row's loads of W (k ascending
 * in every sum). Measured at n = 192, in = 8, out = 32: G = 2 is 13%
 * faster than two G = 1 blocks with AVX-512, 4x with AVX2 (where GCC
 * keeps a G = 1 block's accumulators on the stack). */
static inline VN_INLINE void VN_FN(affine_block)(double *restrict Y,
                                                     const double *restrict X,
                                                     const double *restrict W,
                                                     const double *restrict b,
                                                     size_t R, size_t in,
                                                     size_t out, size_t j0, size_t G)
{
    enum { L = VECOPS_LANES };
    const size_t o1 = (G > 1) * L; /* the second group, or the first again */
    double a0[L], a1[L], a2[L], a3[L], c0[L], c1[L], c2[L], c3[L];
#pragma omp simd
    for (size_t l = 0; l < L; l++) {
        a0[l] = a1[l] = a2[l] = a3[l] = b[j0 + l];
        c0[l] = c1[l] = c2[l] = c3[l] = b[j0 + o1 + l];
    }
    const double *x0 = X, *x1 = X + (R > 1) * in, *x2 = X + (R > 2) * 2 * in,
                 *x3 = X + (R > 3) * 3 * in;
    for (size_t k = 0; k < in; k++) {
        const double *w = W + k * out + j0;
        const double v0 = x0[k], v1 = x1[k], v2 = x2[k], v3 = x3[k];
#pragma omp simd
        for (size_t l = 0; l < L; l++) {
            a0[l] = VN_MADD(v0, w[l], a0[l]);
            a1[l] = VN_MADD(v1, w[l], a1[l]);
            a2[l] = VN_MADD(v2, w[l], a2[l]);
            a3[l] = VN_MADD(v3, w[l], a3[l]);
            if (G > 1) {
                c0[l] = VN_MADD(v0, w[L + l], c0[l]);
                c1[l] = VN_MADD(v1, w[L + l], c1[l]);
                c2[l] = VN_MADD(v2, w[L + l], c2[l]);
                c3[l] = VN_MADD(v3, w[L + l], c3[l]);
            }
        }
    }
    double *y = Y + j0; /* G = 1: o1 = 0, both stores write the same group */
#pragma omp simd
    for (size_t l = 0; l < L; l++) {
        y[l] = a0[l];
        y[o1 + l] = G > 1 ? c0[l] : a0[l];
    }
    if (R > 1) {
#pragma omp simd
        for (size_t l = 0; l < L; l++) {
            y[out + l] = a1[l];
            y[out + o1 + l] = G > 1 ? c1[l] : a1[l];
        }
    }
    if (R > 2) {
#pragma omp simd
        for (size_t l = 0; l < L; l++) {
            y[2 * out + l] = a2[l];
            y[2 * out + o1 + l] = G > 1 ? c2[l] : a2[l];
        }
    }
    if (R > 3) {
#pragma omp simd
        for (size_t l = 0; l < L; l++) {
            y[3 * out + l] = a3[l];
            y[3 * out + o1 + l] = G > 1 ? c3[l] : a3[l];
        }
    }
}

static void VN_FN(affine)(double *restrict Y, const double *restrict X,
                   const double *restrict W, const double *restrict b,
                   size_t n, size_t in, size_t out)
{
    size_t out8 = out - out % VECOPS_LANES, out16 = out - out % (2 * VECOPS_LANES);
    for (size_t i0 = 0; i0 < n; i0 += 4) {
        size_t R = n - i0 < 4 ? n - i0 : 4;
        for (size_t j0 = 0; j0 < out16; j0 += 2 * VECOPS_LANES)
            VN_FN(affine_block)(Y + i0 * out, X + i0 * in, W, b, R, in, out, j0, 2);
        if (out8 > out16)
            VN_FN(affine_block)(Y + i0 * out, X + i0 * in, W, b, R, in, out, out16, 1);
        for (size_t i = i0; i < i0 + R; i++)
            for (size_t j = out8; j < out; j++) { /* the same sums, one column */
                double acc = b[j];
                for (size_t k = 0; k < in; k++) acc = VN_MADD(X[i * in + k], W[k * out + j], acc);
                Y[i * out + j] = acc;
            }
    }
}

/* y[0 .. R) = b + the dot products of R <= 4 rows of X with w, each exactly
 * VN_FN(dot)'s sums: the rows share the loads of w and their partial
 * sums run side by side instead of one chain after another. */
static inline VN_INLINE void VN_FN(affine1_rows4)(double *restrict y,
                                                      const double *restrict X,
                                                      const double *restrict w,
                                                      double b, size_t R, size_t in)
{
    double s0[8] = {0, 0, 0, 0, 0, 0, 0, 0}, s1[8] = {0, 0, 0, 0, 0, 0, 0, 0},
           s2[8] = {0, 0, 0, 0, 0, 0, 0, 0}, s3[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    const double *x0 = X, *x1 = X + (R > 1) * in, *x2 = X + (R > 2) * 2 * in,
                 *x3 = X + (R > 3) * 3 * in;
    size_t j = 0;
    for (; j + 8 <= in; j += 8) {
#pragma omp simd
        for (size_t l = 0; l < 8; l++) {
            s0[l] = VN_MADD(x0[j + l], w[j + l], s0[l]);
            s1[l] = VN_MADD(x1[j + l], w[j + l], s1[l]);
            s2[l] = VN_MADD(x2[j + l], w[j + l], s2[l]);
            s3[l] = VN_MADD(x3[j + l], w[j + l], s3[l]);
        }
    }
    for (size_t l = 0; j + l < in; l++) {
        s0[l] = VN_MADD(x0[j + l], w[j + l], s0[l]);
        s1[l] = VN_MADD(x1[j + l], w[j + l], s1[l]);
        s2[l] = VN_MADD(x2[j + l], w[j + l], s2[l]);
        s3[l] = VN_MADD(x3[j + l], w[j + l], s3[l]);
    }
#define VECOPS_TREE(s) (((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])))
    y[0] = b + VECOPS_TREE(s0);
    if (R > 1) y[1] = b + VECOPS_TREE(s1);
    if (R > 2) y[2] = b + VECOPS_TREE(s2);
    if (R > 3) y[3] = b + VECOPS_TREE(s3);
#undef VECOPS_TREE
}

static void VN_FN(affine1)(double *y, const double *X, const double *w, double b,
                    size_t n, size_t in)
{
    for (size_t i0 = 0; i0 < n; i0 += 4)
        VN_FN(affine1_rows4)(y + i0, X + i0 * in, w, b, n - i0 < 4 ? n - i0 : 4, in);
}

#define VG_T double
#define VG_LANES VECOPS_LANES
#define VG_INLINE VN_INLINE
#define VG_FN(x) VN_FN(x)
#define VG_MADD VN_MADD
#include "vecops_grad.h"
#undef VG_T
#undef VG_LANES
#undef VG_INLINE
#undef VG_FN
#undef VG_MADD

static void VN_FN(affine_grad)(double *restrict dW, double *restrict db,
                        const double *restrict X, const double *restrict dY,
                        size_t n, size_t in, size_t out)
{
    VN_FN(affine_grad_body)(dW, db, X, dY, n, in, out);
}

static void VN_FN(input_grad)(double *dX, const double *dY, const double *W,
                       size_t n, size_t in, size_t out)
{
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < in; k++)
            dX[i * in + k] = VN_FN(dot)(dY + i * out, W + k * out, out);
}

