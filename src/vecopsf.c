/* vecopsf.c — single-precision kernels of the network's training step (see
 * vecopsf.h).
 *
 * What it does: tanh over float arrays through a branch-free float expm1
 * (the reduction of vecops.c's, with float constants and a shorter
 * polynomial), its derivative, and the dense products of small layers as
 * loops across the contiguous output index, register-blocked like vecops.c
 * (four rows or four weight rows at a time, eight lanes: one AVX2 register,
 * so a block's accumulators stay in registers). Built into libcore_vec.a
 * with vecops.c's flags (-fno-trapping-math: GCC may then evaluate both
 * sides of a select in a vector loop; no function reads the floating-point
 * environment, so the flag changes no value).
 *
 * What it deliberately does not do: double precision (vecops.c), large
 * products (CBLAS sgemm in nnf.c), threads, or reassociated sums (the bits
 * must not depend on the vector width). */
#include "vecopsf.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "config.h"

#if defined(HAVE_TARGET_CLONES)
#define VECOPSF_CLONES \
    __attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#else
#define VECOPSF_CLONES
#endif

/* Helpers are inlined into each clone (a call would run their baseline
 * build from inside the wider ones). */
#if defined(__GNUC__)
#define VECOPSF_INLINE __attribute__((always_inline))
#else
#define VECOPSF_INLINE
#endif

#define VECOPSF_LANES 8

static inline float vecopsf_from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline uint32_t vecopsf_to_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* tanh through expm1, branch-free so that a loop of it vectorises.
 *   a = min(|z|, 9), x = -2a in [-18, 0];
 *   k = round(x / ln 2) by the 1.5 * 2^23 shifter (k in [-26, 0], 2^k a
 *       normal float), r = x - k ln2_hi - k ln2_lo with fdlibm's float split
 *       of ln 2 (k ln2_hi exact for |k| < 2^9), |r| <= ln2 / 2;
 *   expm1(r) = r (1 + r/2! + ... + r^6/7!) by Estrin's scheme (the first
 *       omitted term, r^8/8!, is below 1.5e-8 relative to r);
 *   expm1(x) = 2^k expm1(r) + (2^k - 1), exactly expm1(r) when k = 0, so
 *       small |z| keep full relative precision;
 *   tanh(a) = -expm1(x) / (2 + expm1(x)), and the sign of z copied back. */
static inline VECOPSF_INLINE float vecopsf_tanh_body(float z)
{
    const float shifter = 0x1.8p23f;
    const float ln2_hi = 6.9314575195e-01f; /* 0x3f317200 */
    const float ln2_lo = 1.4286067653e-06f; /* 0x35bfbe8e */
    const float log2e = 1.4426950216e+00f;
    float a = fabsf(z);
    a = a > 9.0f ? 9.0f : a;
    float x = -2.0f * a;
    float kd = x * log2e + shifter;
    uint32_t kbits = vecopsf_to_bits(kd) - vecopsf_to_bits(shifter); /* k mod 2^32 */
    kd -= shifter;
    float r = (x - kd * ln2_hi) - kd * ln2_lo;
    float r2 = r * r, r4 = r2 * r2;
    float q0 = 1.0f + 0.5f * r, q1 = (1.0f / 6.0f) + (1.0f / 24.0f) * r;
    float q2 = (1.0f / 120.0f) + (1.0f / 720.0f) * r, q3 = 1.0f / 5040.0f;
    float s0 = q0 + q1 * r2, s1 = q2 + q3 * r2;
    float p = s0 + s1 * r4;
    float two_k = vecopsf_from_bits((kbits + 127u) << 23);
    float em1 = two_k * (p * r) + (two_k - 1.0f);
    return copysignf(-em1 / (2.0f + em1), z);
}

float vecopsf_tanh1(float z) { return vecopsf_tanh_body(z); }

VECOPSF_CLONES
void vecopsf_tanh(float *y, const float *z, size_t n)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++) y[i] = vecopsf_tanh_body(z[i]);
}

VECOPSF_CLONES
void vecopsf_tanh_grad(float *dz, const float *da, const float *a, size_t n)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++) dz[i] = da[i] * (1.0f - a[i] * a[i]);
}

/* Y[i0 .. i0 + 4) for columns j0 .. j0 + 8: the four accumulators share
 * each load of W; every sum is b[j] + X[i, 0] W[0, j] + ... with k
 * ascending. The first product is added to the bias as the accumulators
 * are set (the same operations as starting from b), and the block always
 * has four rows: a copy of the bias through the stack, or stores under a
 * condition, would send the block through memory. */
static inline VECOPSF_INLINE void vecopsf_affine_rows4(float *restrict Y,
                                                       const float *restrict X,
                                                       const float *restrict W,
                                                       const float *restrict b,
                                                       size_t in, size_t out,
                                                       size_t j0)
{
    float a0[VECOPSF_LANES], a1[VECOPSF_LANES], a2[VECOPSF_LANES], a3[VECOPSF_LANES];
    const float *x0 = X, *x1 = X + in, *x2 = X + 2 * in, *x3 = X + 3 * in;
    const float *w = W + j0;
#pragma omp simd
    for (size_t l = 0; l < VECOPSF_LANES; l++) {
        a0[l] = b[j0 + l] + x0[0] * w[l];
        a1[l] = b[j0 + l] + x1[0] * w[l];
        a2[l] = b[j0 + l] + x2[0] * w[l];
        a3[l] = b[j0 + l] + x3[0] * w[l];
    }
    for (size_t k = 1; k < in; k++) {
        const float *wk = W + k * out + j0;
        const float v0 = x0[k], v1 = x1[k], v2 = x2[k], v3 = x3[k];
#pragma omp simd
        for (size_t l = 0; l < VECOPSF_LANES; l++) {
            a0[l] += v0 * wk[l];
            a1[l] += v1 * wk[l];
            a2[l] += v2 * wk[l];
            a3[l] += v3 * wk[l];
        }
    }
    float *y = Y + j0;
#pragma omp simd
    for (size_t l = 0; l < VECOPSF_LANES; l++) {
        y[l] = a0[l];
        y[out + l] = a1[l];
        y[2 * out + l] = a2[l];
        y[3 * out + l] = a3[l];
    }
}

/* The same for columns j0 .. j0 + 16 as two groups of eight lanes: eight
 * accumulators share each row's loads (1.3x faster than two 8-column
 * blocks at n = 192, in = 8, out = 32, with AVX2 and with AVX-512). */
static inline VECOPSF_INLINE void vecopsf_affine_rows4x16(float *restrict Y,
                                                          const float *restrict X,
                                                          const float *restrict W,
                                                          const float *restrict b,
                                                          size_t in, size_t out,
                                                          size_t j0)
{
    enum { L = VECOPSF_LANES };
    float a0[L], a1[L], a2[L], a3[L], c0[L], c1[L], c2[L], c3[L];
    const float *x0 = X, *x1 = X + in, *x2 = X + 2 * in, *x3 = X + 3 * in;
    const float *w = W + j0;
#pragma omp simd
    for (size_t l = 0; l < L; l++) {
        a0[l] = b[j0 + l] + x0[0] * w[l];
        a1[l] = b[j0 + l] + x1[0] * w[l];
        a2[l] = b[j0 + l] + x2[0] * w[l];
        a3[l] = b[j0 + l] + x3[0] * w[l];
        c0[l] = b[j0 + L + l] + x0[0] * w[L + l];
        c1[l] = b[j0 + L + l] + x1[0] * w[L + l];
        c2[l] = b[j0 + L + l] + x2[0] * w[L + l];
        c3[l] = b[j0 + L + l] + x3[0] * w[L + l];
    }
    for (size_t k = 1; k < in; k++) {
        const float *wk = W + k * out + j0;
        const float v0 = x0[k], v1 = x1[k], v2 = x2[k], v3 = x3[k];
#pragma omp simd
        for (size_t l = 0; l < L; l++) {
            a0[l] += v0 * wk[l];
            a1[l] += v1 * wk[l];
            a2[l] += v2 * wk[l];
            a3[l] += v3 * wk[l];
            c0[l] += v0 * wk[L + l];
            c1[l] += v1 * wk[L + l];
            c2[l] += v2 * wk[L + l];
            c3[l] += v3 * wk[L + l];
        }
    }
    float *y = Y + j0;
#pragma omp simd
    for (size_t l = 0; l < L; l++) {
        y[l] = a0[l];
        y[out + l] = a1[l];
        y[2 * out + l] = a2[l];
        y[3 * out + l] = a3[l];
        y[L + l] = c0[l];
        y[out + L + l] = c1[l];
        y[2 * out + L + l] = c2[l];
        y[3 * out + L + l] = c3[l];
    }
}

/* The same sums for one row (the rows past the last block of four). */
static inline VECOPSF_INLINE void vecopsf_affine_row(float *restrict y,
                                                     const float *restrict x,
                                                     const float *restrict W,
                                                     const float *restrict b,
                                                     size_t in, size_t out,
                                                     size_t j0)
{
    float a[VECOPSF_LANES];
#pragma omp simd
    for (size_t l = 0; l < VECOPSF_LANES; l++) a[l] = b[j0 + l] + x[0] * W[j0 + l];
    for (size_t k = 1; k < in; k++) {
        const float v = x[k], *wk = W + k * out + j0;
#pragma omp simd
        for (size_t l = 0; l < VECOPSF_LANES; l++) a[l] += v * wk[l];
    }
#pragma omp simd
    for (size_t l = 0; l < VECOPSF_LANES; l++) y[j0 + l] = a[l];
}

VECOPSF_CLONES
void vecopsf_affine(float *restrict Y, const float *restrict X,
                    const float *restrict W, const float *restrict b, size_t n,
                    size_t in, size_t out)
{
    size_t out8 = out - out % VECOPSF_LANES, n4 = n - n % 4;
    size_t out16 = out - out % (2 * VECOPSF_LANES);
    for (size_t j0 = 0; j0 < out16; j0 += 2 * VECOPSF_LANES)
        for (size_t i0 = 0; i0 < n4; i0 += 4)
            vecopsf_affine_rows4x16(Y + i0 * out, X + i0 * in, W, b, in, out, j0);
    if (out8 > out16)
        for (size_t i0 = 0; i0 < n4; i0 += 4)
            vecopsf_affine_rows4(Y + i0 * out, X + i0 * in, W, b, in, out, out16);
    for (size_t j0 = 0; j0 < out8; j0 += VECOPSF_LANES)
        for (size_t i = n4; i < n; i++)
            vecopsf_affine_row(Y + i * out, X + i * in, W, b, in, out, j0);
    for (size_t i = 0; i < n; i++)
        for (size_t j = out8; j < out; j++) { /* the same sums, one column */
            float acc = b[j];
            for (size_t k = 0; k < in; k++) acc += X[i * in + k] * W[k * out + j];
            Y[i * out + j] = acc;
        }
}

/* A dot product in eight interleaved partial sums, combined pairwise. */
static inline VECOPSF_INLINE float vecopsf_dot_body(const float *a, const float *b,
                                                    size_t n)
{
    float s[VECOPSF_LANES] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t j = 0;
    for (; j + VECOPSF_LANES <= n; j += VECOPSF_LANES) {
#pragma omp simd
        for (size_t l = 0; l < VECOPSF_LANES; l++) s[l] += a[j + l] * b[j + l];
    }
    for (size_t l = 0; j + l < n; l++) s[l] += a[j + l] * b[j + l];
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

VECOPSF_CLONES
void vecopsf_affine1(float *y, const float *X, const float *w, float b, size_t n,
                     size_t in)
{
    for (size_t i = 0; i < n; i++) y[i] = b + vecopsf_dot_body(X + i * in, w, in);
}

#define VG_T float
#define VG_LANES VECOPSF_LANES
#define VG_INLINE VECOPSF_INLINE
#define VG_FN(x) vecopsf_##x
#define VG_MADD(a, b, c) ((a) * (b) + (c)) /* two roundings: no FMA here */
#include "vecops_grad.h"

VECOPSF_CLONES
void vecopsf_affine_grad(float *restrict dW, float *restrict db,
                         const float *restrict X, const float *restrict dY,
                         size_t n, size_t in, size_t out)
{
    vecopsf_affine_grad_body(dW, db, X, dY, n, in, out);
}

VECOPSF_CLONES
void vecopsf_input_grad(float *dX, const float *dY, const float *W, size_t n,
                        size_t in, size_t out)
{
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < in; k++)
            dX[i * in + k] = vecopsf_dot_body(dY + i * out, W + k * out, out);
}

VECOPSF_CLONES
void vecopsf_outer(float *dX, const float *dy, const float *w, size_t n, size_t in)
{
    for (size_t i = 0; i < n; i++) {
        const float d = dy[i];
#pragma omp simd
        for (size_t k = 0; k < in; k++) dX[i * in + k] = d * w[k];
    }
}

VECOPSF_CLONES
void vecopsf_from_double(float *y, const double *x, size_t n)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++) y[i] = (float)x[i];
}

VECOPSF_CLONES
void vecopsf_to_double(double *y, const float *x, size_t n)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++) y[i] = (double)x[i];
}
