/* vecops_grad.h — the weight-gradient kernels of vecops.c and vecopsf.c,
 * written once for both element types.
 *
 * Not a public header: vecops.c (double: once per instruction-set level of
 * its network kernels, through vecops_net.h) and vecopsf.c (float: once)
 * include it after defining
 *   VG_T       the element type,
 *   VG_LANES   the lanes of a register block (8),
 *   VG_INLINE  their always-inline attribute (so every helper is inlined
 *              into each target clone of the caller),
 *   VG_FN(x)   the name of helper x in that file (vecops_x, vecopsf_x),
 *   VG_MADD(a, b, c)  a b + c: rounded once (a fused multiply-add) in
 *              vecops.c, twice (a plain product and sum) in vecopsf.c;
 * it defines static inline helpers only, and VG_FN(affine_grad_body), which
 * the file's public affine_grad calls. The sums are the same in both types:
 * every entry of dW and db adds its rows i = 0..n-1 in order, so the bits do
 * not depend on the register blocking or the vector width (test_vecops and
 * test_nnf check them against scalar loops). It deliberately holds nothing
 * else: the forward products differ between the two files. */
#if !defined(VG_T) || !defined(VG_LANES) || !defined(VG_INLINE) || !defined(VG_FN) || \
    !defined(VG_MADD)
#error "vecops_grad.h: define VG_T, VG_LANES, VG_INLINE, VG_FN and VG_MADD first"
#endif

/* dW[k0 .. k0 + 4, j0 .. j0 + 8) += X[:, k0 .. k0 + 4]^T dY[:, j0 .. j0 + 8):
 * the block stays in registers while the rows go by in order, so every
 * entry still sums its rows i = 0..n-1 in sequence. */
static inline VG_INLINE void VG_FN(grad_block4)(VG_T *restrict dW,
                                                    const VG_T *restrict X,
                                                    const VG_T *restrict dY,
                                                    size_t n, size_t in,
                                                    size_t out, size_t k0,
                                                    size_t j0)
{
    VG_T a0[VG_LANES], a1[VG_LANES], a2[VG_LANES],
        a3[VG_LANES];
    VG_T *w0 = dW + k0 * out + j0, *w1 = w0 + out, *w2 = w1 + out,
           *w3 = w2 + out;
#pragma omp simd
    for (size_t l = 0; l < VG_LANES; l++) {
        a0[l] = w0[l];
        a1[l] = w1[l];
        a2[l] = w2[l];
        a3[l] = w3[l];
    }
    for (size_t i = 0; i < n; i++) {
        const VG_T *x = X + i * in + k0, *dy = dY + i * out + j0;
        const VG_T x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
#pragma omp simd
        for (size_t l = 0; l < VG_LANES; l++) {
            a0[l] = VG_MADD(x0, dy[l], a0[l]);
            a1[l] = VG_MADD(x1, dy[l], a1[l]);
            a2[l] = VG_MADD(x2, dy[l], a2[l]);
            a3[l] = VG_MADD(x3, dy[l], a3[l]);
        }
    }
#pragma omp simd
    for (size_t l = 0; l < VG_LANES; l++) {
        w0[l] = a0[l];
        w1[l] = a1[l];
        w2[l] = a2[l];
        w3[l] = a3[l];
    }
}

/* The same for rows k0 .. k0 + 8 of dW: eight accumulators per row of X.
 * Measured at n = 192, in = 8, out = 32: 18% faster than two blocks of
 * four with AVX-512, 28% with AVX2. */
static inline VG_INLINE void VG_FN(grad_block8)(VG_T *restrict dW,
                                                    const VG_T *restrict X,
                                                    const VG_T *restrict dY,
                                                    size_t n, size_t in,
                                                    size_t out, size_t k0,
                                                    size_t j0)
{
    enum { L = VG_LANES };
    VG_T a0[L], a1[L], a2[L], a3[L], a4[L], a5[L], a6[L], a7[L];
    VG_T *w0 = dW + k0 * out + j0, *w1 = w0 + out, *w2 = w1 + out,
           *w3 = w2 + out, *w4 = w3 + out, *w5 = w4 + out, *w6 = w5 + out,
           *w7 = w6 + out;
#pragma omp simd
    for (size_t l = 0; l < L; l++) {
        a0[l] = w0[l];
        a1[l] = w1[l];
        a2[l] = w2[l];
        a3[l] = w3[l];
        a4[l] = w4[l];
        a5[l] = w5[l];
        a6[l] = w6[l];
        a7[l] = w7[l];
    }
    for (size_t i = 0; i < n; i++) {
        const VG_T *x = X + i * in + k0, *dy = dY + i * out + j0;
        const VG_T x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3], x4 = x[4],
                     x5 = x[5], x6 = x[6], x7 = x[7];
#pragma omp simd
        for (size_t l = 0; l < L; l++) {
            a0[l] = VG_MADD(x0, dy[l], a0[l]);
            a1[l] = VG_MADD(x1, dy[l], a1[l]);
            a2[l] = VG_MADD(x2, dy[l], a2[l]);
            a3[l] = VG_MADD(x3, dy[l], a3[l]);
            a4[l] = VG_MADD(x4, dy[l], a4[l]);
            a5[l] = VG_MADD(x5, dy[l], a5[l]);
            a6[l] = VG_MADD(x6, dy[l], a6[l]);
            a7[l] = VG_MADD(x7, dy[l], a7[l]);
        }
    }
#pragma omp simd
    for (size_t l = 0; l < L; l++) {
        w0[l] = a0[l];
        w1[l] = a1[l];
        w2[l] = a2[l];
        w3[l] = a3[l];
        w4[l] = a4[l];
        w5[l] = a5[l];
        w6[l] = a6[l];
        w7[l] = a7[l];
    }
}

/* The same for one row k of dW (the rows past the last block of four). */
static inline VG_INLINE void VG_FN(grad_row)(VG_T *restrict dW,
                                                 const VG_T *restrict X,
                                                 const VG_T *restrict dY,
                                                 size_t n, size_t in, size_t out,
                                                 size_t k, size_t j0)
{
    VG_T a[VG_LANES], *w = dW + k * out + j0;
#pragma omp simd
    for (size_t l = 0; l < VG_LANES; l++) a[l] = w[l];
    for (size_t i = 0; i < n; i++) {
        const VG_T xk = X[i * in + k], *dy = dY + i * out + j0;
#pragma omp simd
        for (size_t l = 0; l < VG_LANES; l++) a[l] = VG_MADD(xk, dy[l], a[l]);
    }
#pragma omp simd
    for (size_t l = 0; l < VG_LANES; l++) w[l] = a[l];
}

/* db += the column sums of dY, rows in order. */
static inline VG_INLINE void VG_FN(grad_bias)(VG_T *restrict db,
                                                  const VG_T *restrict dY,
                                                  size_t n, size_t out)
{
    size_t out8 = out - out % VG_LANES;
    for (size_t j0 = 0; j0 < out8; j0 += VG_LANES) {
        VG_T a[VG_LANES];
#pragma omp simd
        for (size_t l = 0; l < VG_LANES; l++) a[l] = db[j0 + l];
        for (size_t i = 0; i < n; i++) {
#pragma omp simd
            for (size_t l = 0; l < VG_LANES; l++) a[l] += dY[i * out + j0 + l];
        }
#pragma omp simd
        for (size_t l = 0; l < VG_LANES; l++) db[j0 + l] = a[l];
    }
    for (size_t j = out8; j < out; j++) {
        VG_T a = db[j];
        for (size_t i = 0; i < n; i++) a += dY[i * out + j];
        db[j] = a;
    }
}

/* The output unit's dW[k0 .. k0 + 8 G) += sum_i X[i, k] dY[i] (rows in
 * order) for G <= 4 groups of eight entries, held in registers while the
 * rows go by. */
static inline VG_INLINE void VG_FN(grad1_block)(VG_T *restrict dW,
                                                    const VG_T *restrict X,
                                                    const VG_T *restrict dY,
                                                    size_t n, size_t in,
                                                    size_t k0, size_t G)
{
    const size_t o1 = (G > 1) * VG_LANES, o2 = (G > 2) * 2 * VG_LANES,
                 o3 = (G > 3) * 3 * VG_LANES;
    VG_T a0[VG_LANES], a1[VG_LANES], a2[VG_LANES], a3[VG_LANES];
    VG_T *w = dW + k0;
#pragma omp simd
    for (size_t l = 0; l < VG_LANES; l++) {
        a0[l] = w[l];
        a1[l] = w[o1 + l];
        a2[l] = w[o2 + l];
        a3[l] = w[o3 + l];
    }
    for (size_t i = 0; i < n; i++) {
        const VG_T *x = X + i * in + k0, dy = dY[i];
#pragma omp simd
        for (size_t l = 0; l < VG_LANES; l++) {
            a0[l] = VG_MADD(x[l], dy, a0[l]);
            a1[l] = VG_MADD(x[o1 + l], dy, a1[l]);
            a2[l] = VG_MADD(x[o2 + l], dy, a2[l]);
            a3[l] = VG_MADD(x[o3 + l], dy, a3[l]);
        }
    }
#pragma omp simd
    for (size_t l = 0; l < VG_LANES; l++) w[l] = a0[l];
    if (G > 1) {
#pragma omp simd
        for (size_t l = 0; l < VG_LANES; l++) w[o1 + l] = a1[l];
    }
    if (G > 2) {
#pragma omp simd
        for (size_t l = 0; l < VG_LANES; l++) w[o2 + l] = a2[l];
    }
    if (G > 3) {
#pragma omp simd
        for (size_t l = 0; l < VG_LANES; l++) w[o3 + l] = a3[l];
    }
}

/* The body of the public affine_grad (vecops.h, vecopsf.h): dW (in, out)
 * += X^T dY and, when db is not NULL, db (out) += the column sums of dY,
 * every entry summing its rows i = 0..n-1 in order. */
static inline VG_INLINE void VG_FN(affine_grad_body)(VG_T *restrict dW, VG_T *restrict db,
                                                     const VG_T *restrict X,
                                                     const VG_T *restrict dY,
                                                     size_t n, size_t in, size_t out)
{
    if (out == 1) { /* the output unit: vectorise across in instead */
        size_t k0 = 0;
        for (; k0 + 4 * VG_LANES <= in; k0 += 4 * VG_LANES)
            VG_FN(grad1_block)(dW, X, dY, n, in, k0, 4);
        if (k0 + VG_LANES <= in) {
            size_t G = (in - k0) / VG_LANES;
            VG_FN(grad1_block)(dW, X, dY, n, in, k0, G);
            k0 += G * VG_LANES;
        }
        for (size_t k = k0; k < in; k++) { /* the same sums, one entry */
            VG_T a = dW[k];
            for (size_t i = 0; i < n; i++) a = VG_MADD(X[i * in + k], dY[i], a);
            dW[k] = a;
        }
        if (db) {
            VG_T sb = db[0];
            for (size_t i = 0; i < n; i++) sb += dY[i];
            db[0] = sb;
        }
        return;
    }
    size_t out8 = out - out % VG_LANES, in4 = in - in % 4, in8 = in - in % 8;
    for (size_t j0 = 0; j0 < out8; j0 += VG_LANES) {
        for (size_t k0 = 0; k0 < in8; k0 += 8)
            VG_FN(grad_block8)(dW, X, dY, n, in, out, k0, j0);
        if (in4 > in8) VG_FN(grad_block4)(dW, X, dY, n, in, out, in8, j0);
        for (size_t k = in4; k < in; k++) VG_FN(grad_row)(dW, X, dY, n, in, out, k, j0);
    }
    for (size_t j = out8; j < out; j++) /* the same sums, one column */
        for (size_t k = 0; k < in; k++) {
            VG_T a = dW[k * out + j];
            for (size_t i = 0; i < n; i++) a = VG_MADD(X[i * in + k], dY[i * out + j], a);
            dW[k * out + j] = a;
        }
    if (db) VG_FN(grad_bias)(db, dY, n, out);
}
