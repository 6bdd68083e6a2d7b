/* vecops.c — vectorised kernels for the policy network (see vecops.h).
 *
 * What it does: tanh over arrays through a branch-free expm1, exp and log
 * over arrays by branch-free reductions, and the dense products of small
 * layers, each written as loops across the contiguous output index so that
 * GCC vectorises them (`omp simd`) without changing the order of any sum.
 * Built into its own convenience library with -fno-trapping-math
 * (Makefile.am): with trapping math GCC may not evaluate
 * both sides of a select in a vector loop. No function here reads or sets
 * the floating-point environment, so the flag changes no value.
 *
 * What it deliberately does not do: block for cache (the shapes it serves fit
 * in L1), use threads, reassociate sums (bits must not depend on the vector
 * width), or handle large products (CBLAS in nn.c). */
#include "vecops.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "config.h"

/* One body, three builds: the loader picks the widest the CPU runs. */
#if defined(HAVE_TARGET_CLONES)
#define VECOPS_CLONES \
    __attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#else
#define VECOPS_CLONES
#endif

/* Helpers must be inlined into each clone: a call would run the baseline
 * build of the helper from inside the AVX2 or AVX-512 build. */
#if defined(__GNUC__)
#define VECOPS_INLINE __attribute__((always_inline))
#else
#define VECOPS_INLINE
#endif

static inline double vecops_from_bits(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static inline uint64_t vecops_to_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* expm1 of the reduced argument, the core of exp below and of the network's
 * tanh (vecops_net.h), written once for both roundings: MADD(a, b, c) is
 * a b + c, two roundings in exp (VECOPS_MUL_ADD), one in tanh (a fused
 * multiply-add).
 *   k = round(x / ln 2) (the 1.5 * 2^52 shifter: after the addition the low
 *       mantissa bits hold k), r = x - k ln2_hi - k ln2_lo, |r| <= ln2 / 2,
 *       with fdlibm's split of ln 2 (k ln2_hi is exact for |k| < 2^11);
 *   expm1(r) = r + r^2/2! + ... + r^13/13! (the first omitted term is below
 *       (ln2/2)^14 / 14! < 4.1e-18 relative to e^r), as r times a
 *       polynomial evaluated by Estrin's scheme: the same terms as Horner's
 *       rule in a tree of depth 4 instead of a chain of 12, so consecutive
 *       elements overlap in the pipeline (34% faster, the same accuracy).
 * NAME(x, &two_k) returns expm1(r) and writes 2^k (k >= -1022 for a normal
 * result; x must be in [-1022 ln 2, 1023 ln 2]). */
#define VECOPS_DEFINE_EXPM1_REDUCED(NAME, MADD)                                  \
    static inline VECOPS_INLINE double NAME(double x, double *two_k)             \
    {                                                                            \
        const double shifter = 0x1.8p52;                                         \
        const double ln2_hi = 6.93147180369123816490e-01; /* 0x3fe62e42fee00000 */ \
        const double ln2_lo = 1.90821492927058770002e-10; /* 0x3dea39ef35793c76 */ \
        const double log2e = 1.44269504088896338700e+00;                         \
        double kd = MADD(x, log2e, shifter);                                     \
        uint64_t kbits = vecops_to_bits(kd) - vecops_to_bits(shifter); /* k mod 2^64 */ \
        kd -= shifter;                                                           \
        double r = MADD(-kd, ln2_lo, MADD(-kd, ln2_hi, x));                      \
        double r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;                           \
        double q0 = MADD(0.5, r, 1.0), q1 = MADD(1.0 / 24.0, r, 1.0 / 6.0);      \
        double q2 = MADD(1.0 / 720.0, r, 1.0 / 120.0);                           \
        double q3 = MADD(1.0 / 40320.0, r, 1.0 / 5040.0);                        \
        double q4 = MADD(1.0 / 3628800.0, r, 1.0 / 362880.0);                    \
        double q5 = MADD(1.0 / 479001600.0, r, 1.0 / 39916800.0);                \
        double q6 = 1.0 / 6227020800.0;                                          \
        double s0 = MADD(q1, r2, q0), s1 = MADD(q3, r2, q2), s2 = MADD(q5, r2, q4); \
        double t0 = MADD(s1, r4, s0), t1 = MADD(q6, r4, s2);                     \
        *two_k = vecops_from_bits((kbits + 1023u) << 52);                        \
        return MADD(t1, r8, t0) * r;                                             \
    }

/* a b + c in two roundings (the product, then the sum). */
#define VECOPS_MUL_ADD(a, b, c) ((a) * (b) + (c))

VECOPS_DEFINE_EXPM1_REDUCED(vecops_expm1_reduced, VECOPS_MUL_ADD)

/* exp(x) for x <= 0: 2^k (1 + expm1(r)). x below ln(DBL_MIN) (a subnormal
 * or zero result) gives 0, selected after the clamp that keeps k >= -1022;
 * x > 0 is clamped to 0; NaN propagates. Branch-free. */
static inline VECOPS_INLINE double vecops_expneg_body(double x)
{
    const double lo = -708.3964185322641; /* ln(DBL_MIN), rounded */
    double xc = x < lo ? lo : x;
    xc = xc > 0.0 ? 0.0 : xc;
    double two_k;
    double em1_r = vecops_expm1_reduced(xc, &two_k);
    double y = two_k * (1.0 + em1_r);
    return x < lo ? 0.0 : y;
}

/* Natural log by the classic reduction of Cody & Waite as fdlibm's e_log.c
 * arranges it (written here branch-free, so a loop of it vectorises):
 *   x = 2^k m with m in [sqrt(1/2), sqrt(2)): k read from the exponent bits
 *       of x / sqrt(1/2) (adding the bit distance of sqrt(1/2) from 1 moves
 *       the exponent exactly when m would leave the interval), m = x 2^-k by
 *       subtracting k from the exponent field; k converted to double through
 *       the 2^52 shifter (|k| < 1100, exact);
 *   f = m - 1 (exact), s = f / (2 + f), so log(1 + f) = 2 atanh(s)
 *       = f - (hfsq - s (hfsq + R(s^2))), hfsq = f^2 / 2, with R the
 *       degree-14 minimax polynomial in s (even powers, |s| < 0.1716) of
 *       fdlibm's Lg1..Lg7 (error < 2^-58.45 on that interval);
 *   log x = k ln2_hi - ((hfsq - (s (hfsq + R) + k ln2_lo)) - f), ln 2 split
 *       so k ln2_hi is exact.
 * Subnormal x are scaled by 2^54 first (k less 54). Selects after the fast
 * path: +-0 gives -inf, +inf gives +inf, x < 0 gives NaN, NaN gives NaN. */
static inline VECOPS_INLINE double vecops_log_body(double x)
{
    const double ln2_hi = 6.93147180369123816490e-01; /* 0x3fe62e42fee00000 */
    const double ln2_lo = 1.90821492927058770002e-10; /* 0x3dea39ef35793c76 */
    const double Lg1 = 6.666666666666735130e-01, Lg2 = 3.999999999940941908e-01;
    const double Lg3 = 2.857142874366239149e-01, Lg4 = 2.222219843214978396e-01;
    const double Lg5 = 1.818357216161805012e-01, Lg6 = 1.531383769920937332e-01;
    const double Lg7 = 1.479819860511658591e-01;
    const uint64_t one = 0x3ff0000000000000u, rt_half = 0x3fe6a09e667f3bcdu;
    int sub = x < 0x1p-1022;
    double xs = sub ? x * 0x1p54 : x;
    uint64_t ix = vecops_to_bits(xs);
    uint64_t e = (ix + (one - rt_half)) >> 52; /* biased exponent of x / sqrt(1/2) */
    double m = vecops_from_bits(ix + one - (e << 52));
    double kd = (vecops_from_bits(0x4330000000000000u | e) - 0x1p52) - 1023.0;
    kd = sub ? kd - 54.0 : kd;
    double f = m - 1.0;
    double hfsq = 0.5 * f * f, s = f / (2.0 + f), z = s * s, w = z * z;
    double t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
    double t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
    double R = t2 + t1;
    double y = kd * ln2_hi - ((hfsq - (s * (hfsq + R) + kd * ln2_lo)) - f);
    y = x == INFINITY ? x : y;
    y = x == 0.0 ? -INFINITY : y;
    y = x < 0.0 ? NAN : y;
    return x != x ? x : y;
}

/* The scalar entry point NAME1 and the target-cloned array loop NAME of one
 * element-wise body: the same inlined operations, so the same bits. */
#define VECOPS_MAP(NAME, BODY)                                            \
    double NAME##1(double x) { return BODY(x); }                          \
    VECOPS_CLONES void NAME(double *y, const double *x, size_t n)         \
    {                                                                     \
        _Pragma("omp simd") for (size_t i = 0; i < n; i++) y[i] = BODY(x[i]); \
    }

VECOPS_MAP(vecops_expneg, vecops_expneg_body)
VECOPS_MAP(vecops_log, vecops_log_body)

VECOPS_CLONES
void vecops_logistic(double *f, double *g, double *h, const double *z, size_t n)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        double zi = z[i];
        double e = vecops_expneg_body(-fabs(zi));
        double fi = 1.0 + e;
        double hi = 1.0 / fi, lo = e * hi; /* sigma(|z|), sigma(-|z|) */
        f[i] = fi;
        g[i] = zi < 0.0 ? hi : lo;
        h[i] = hi * lo;
    }
}

/* Lanes of the register blocks below: eight doubles, one AVX-512 register,
 * two AVX2 or four SSE2 registers; GCC keeps each block in registers. */
#define VECOPS_LANES 8

/* ---- the network's kernels, one build per level (vecops_net.h) ----------
 *
 * The network's products and tanh use fused multiply-adds. A training step
 * is bound by arithmetic, not memory, and with the instruction an EM-DPO
 * fit takes about 10% less CPU (tanh 20% less; bench/README.md). An FMA
 * has one correct result, so every level gives the same bits if the level
 * without the instruction computes it exactly: vecops_fma_emul below, at
 * a price: there an EM-DPO fit takes about 12 times the CPU it took with
 * separate products and sums (x86-64 CPUs without FMA: before 2013, and
 * some low-power or emulated ones). GCC's target_clones cannot do that (one
 * body for every clone), so the header is compiled once per level under
 * `#pragma GCC target`, and the public functions call the level
 * __builtin_cpu_supports reports. */

/* fma(a, b, c) = a b + c rounded once, without the instruction:
 * Dekker's exact product a b = p + e (Veltkamp's split by 2^27 + 1), Knuth's
 * TwoSum c + p = s + t, then t + e rounded to odd (rounded to nearest, then
 * moved one ulp towards the exact sum when that was inexact and the
 * nearest is even), and s plus that rounded to nearest. Boldo and
 * Melquiond (IEEE Trans. Computers 57(4), 2008, "Emulation of FMA and
 * correctly rounded sums: proved algorithms using rounding to odd") prove
 * the last two steps give the correctly rounded a b + c when nothing
 * overflows or underflows: here |a|, |b| < 2^995 and |a b| > 2^-968, far
 * beyond a network's weights and activations. Infinite or NaN operands give
 * NaN (the instruction may give an infinity). Branch-free, so the loops
 * still vectorise; about 40 operations instead of one.
 * tests/test_vecops.c checks it against libm's fma on 10^6 triples. */
static inline VECOPS_INLINE double vecops_fma_emul(double a, double b, double c)
{
    const double split = 134217729.0; /* 2^27 + 1 */
    double ta = split * a, ah = ta - (ta - a), al = a - ah;
    double tb = split * b, bh = tb - (tb - b), bl = b - bh;
    double p = a * b;
    double e = ((ah * bh - p) + ah * bl + al * bh) + al * bl; /* p + e = a b */
    double s = c + p, sb = s - c, t = (c - (s - sb)) + (p - sb); /* s + t = c + p */
    double u = t + e, uv = u - t, v = (t - (u - uv)) + (e - uv); /* u + v = t + e */
    /* Rounding to odd in integer operations only (SSE2 has no 64-bit
     * compare, and a select would keep GCC from vectorising the baseline):
     * move = 1 when v != 0 and u's last bit is 0; the step is +1 (away from
     * 0) when v has u's sign, else -1. */
    uint64_t ubits = vecops_to_bits(u), vbits = vecops_to_bits(v);
    uint64_t vmag = vbits << 1, nonzero = (vmag | (0u - vmag)) >> 63;
    uint64_t move = nonzero & ~ubits & 1u, opposite = (ubits ^ vbits) >> 63;
    return s + vecops_from_bits(ubits + move - ((move & opposite) << 1));
}

#if defined(HAVE_FMA_LEVELS)
#define VN_INLINE VECOPS_INLINE
#define VN_FN(x) vecops_net0_##x
#define VN_MADD(a, b, c) vecops_fma_emul(a, b, c)
#include "vecops_net.h"
#undef VN_FN
#undef VN_MADD
#pragma GCC push_options
#pragma GCC target("arch=x86-64-v3")
#define VN_FN(x) vecops_net3_##x
#define VN_MADD(a, b, c) __builtin_fma(a, b, c)
#include "vecops_net.h"
#undef VN_FN
#undef VN_MADD
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("arch=x86-64-v4")
#define VN_FN(x) vecops_net4_##x
#define VN_MADD(a, b, c) __builtin_fma(a, b, c)
#include "vecops_net.h"
#undef VN_FN
#undef VN_MADD
#pragma GCC pop_options
#undef VN_INLINE

static int vecops_net_cap = 4;

int vecops_net_level(int cap)
{
    if (cap >= 0) vecops_net_cap = cap;
    int level = __builtin_cpu_supports("x86-64-v4")   ? 4
                : __builtin_cpu_supports("x86-64-v3") ? 3
                                                      : 0;
    if (level > vecops_net_cap) level = vecops_net_cap >= 3 ? 3 : 0;
    return level;
}

/* The public kernel NAME calls the build of the level in use. */
#define VECOPS_NET_CALL(NAME, ...)                          \
    do {                                                    \
        int level_ = vecops_net_level(-1);                  \
        if (level_ == 4) vecops_net4_##NAME(__VA_ARGS__);   \
        else if (level_ == 3) vecops_net3_##NAME(__VA_ARGS__); \
        else vecops_net0_##NAME(__VA_ARGS__);               \
    } while (0)
#else
/* No levels: one build, the instruction where the target has a fast one. */
#define VN_INLINE VECOPS_INLINE
#define VN_FN(x) vecops_net0_##x
#if defined(FP_FAST_FMA)
#define VN_MADD(a, b, c) fma(a, b, c)
#else
#define VN_MADD(a, b, c) vecops_fma_emul(a, b, c)
#endif
#include "vecops_net.h"
#undef VN_FN
#undef VN_MADD
#undef VN_INLINE

int vecops_net_level(int cap)
{
    (void)cap;
    return 0;
}

#define VECOPS_NET_CALL(NAME, ...) vecops_net0_##NAME(__VA_ARGS__)
#endif

double vecops_tanh1(double z)
{
    double y;
    VECOPS_NET_CALL(tanh, &y, &z, 1);
    return y;
}

void vecops_tanh(double *y, const double *z, size_t n)
{
    VECOPS_NET_CALL(tanh, y, z, n);
}

void vecops_tanh_grad(double *dz, const double *da, const double *a, size_t n)
{
    VECOPS_NET_CALL(tanh_grad, dz, da, a, n);
}

void vecops_affine(double *restrict Y, const double *restrict X,
                   const double *restrict W, const double *restrict b,
                   size_t n, size_t in, size_t out)
{
    VECOPS_NET_CALL(affine, Y, X, W, b, n, in, out);
}

void vecops_affine1(double *y, const double *X, const double *w, double b,
                    size_t n, size_t in)
{
    VECOPS_NET_CALL(affine1, y, X, w, b, n, in);
}

void vecops_affine_grad(double *restrict dW, double *restrict db,
                        const double *restrict X, const double *restrict dY,
                        size_t n, size_t in, size_t out)
{
    VECOPS_NET_CALL(affine_grad, dW, db, X, dY, n, in, out);
}

void vecops_input_grad(double *dX, const double *dY, const double *W,
                       size_t n, size_t in, size_t out)
{
    VECOPS_NET_CALL(input_grad, dX, dY, W, n, in, out);
}

void vecops_outer_tanh_grad(double *dX, const double *dy, const double *w,
                            const double *A, size_t n, size_t in)
{
    VECOPS_NET_CALL(outer_tanh_grad, dX, dy, w, A, n, in);
}

/* The body of vecops_dot, inlined into the callers' loops. */
static inline VECOPS_INLINE double vecops_dot_body(const double *a, const double *b, size_t n)
{
    double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t j = 0;
    for (; j + 8 <= n; j += 8) {
#pragma omp simd
        for (size_t l = 0; l < 8; l++) s[l] += a[j + l] * b[j + l];
    }
    for (size_t l = 0; j + l < n; l++) s[l] += a[j + l] * b[j + l];
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

VECOPS_CLONES
double vecops_dot(const double *a, const double *b, size_t n)
{
    return vecops_dot_body(a, b, n);
}

VECOPS_CLONES
void vecops_outer(double *dX, const double *dy, const double *w, size_t n,
                  size_t in)
{
    for (size_t i = 0; i < n; i++) {
        const double d = dy[i];
        double *x = dX + i * in;
#pragma omp simd
        for (size_t k = 0; k < in; k++) x[k] = d * w[k];
    }
}

/* ---- the pair kernel's weighted sums (vecops_pair_sums) ------------------ */

#define VECOPS_PAIR_LANES 4 /* fixed partial sums: bits independent of level */

/* The body of vecops_pair_sums for d <= VECOPS_PAIR_D and one class,
 * inlined with a constant d so every loop but the lanes' unrolls and the
 * 4-lane sums of the gradient and the upper Hessian stay in vector
 * registers. Lane l sums the items t = l mod 4 in order: full groups of
 * four as vectors, the tail (n mod 4 items) lane by lane. */
static inline VECOPS_INLINE void vecops_pair_body(double *restrict grad,
                                                  double *restrict hess,
                                                  const double *restrict X,
                                                  const double *restrict g,
                                                  const double *restrict h,
                                                  size_t n, size_t d)
{
    enum { L = VECOPS_PAIR_LANES, E = VECOPS_PAIR_D * (VECOPS_PAIR_D + 1) / 2 };
    double G[VECOPS_PAIR_D][L], H[E][L];
#pragma GCC unroll 8
    for (size_t a = 0; a < d; a++)
#pragma omp simd
        for (size_t l = 0; l < L; l++) G[a][l] = 0.0;
#pragma GCC unroll 36
    for (size_t e = 0; e < d * (d + 1) / 2; e++)
#pragma omp simd
        for (size_t l = 0; l < L; l++) H[e][l] = 0.0;
    size_t t0 = 0, e;
    for (; t0 + L <= n; t0 += L) {
        e = 0;
#pragma GCC unroll 8
        for (size_t a = 0; a < d; a++) {
            const double *xa = X + a * n + t0;
            double ha[L];
#pragma omp simd
            for (size_t l = 0; l < L; l++) {
                G[a][l] += g[t0 + l] * xa[l];
                ha[l] = h[t0 + l] * xa[l];
            }
#pragma GCC unroll 8
            for (size_t b = a; b < d; b++, e++)
#pragma omp simd
                for (size_t l = 0; l < L; l++) H[e][l] += ha[l] * X[b * n + t0 + l];
        }
    }
    for (size_t l = 0; t0 + l < n; l++) {
        const double *xt = X + t0 + l;
        e = 0;
#pragma GCC unroll 8
        for (size_t a = 0; a < d; a++) {
            double ha = h[t0 + l] * xt[a * n];
            G[a][l] += g[t0 + l] * xt[a * n];
#pragma GCC unroll 8
            for (size_t b = a; b < d; b++, e++) H[e][l] += ha * xt[b * n];
        }
    }
    e = 0;
#pragma GCC unroll 8
    for (size_t a = 0; a < d; a++) {
        grad[a] += (G[a][0] + G[a][2]) + (G[a][1] + G[a][3]);
#pragma GCC unroll 8
        for (size_t b = a; b < d; b++, e++)
            hess[a * d + b] -= (H[e][0] + H[e][2]) + (H[e][1] + H[e][3]);
    }
}

/* z[k n + t] = sum_j theta[k d + j] x_jt, j ascending from 0, for every
 * class k: vectorised across t, each z in order as a scalar loop would. */
static inline VECOPS_INLINE void vecops_pair_z(double *restrict z,
                                               const double *restrict X,
                                               const double *restrict theta,
                                               size_t n, size_t d, size_t K)
{
    for (size_t k = 0; k < K; k++) {
        double *zk = z + k * n;
#pragma omp simd
        for (size_t t = 0; t < n; t++) zk[t] = 0.0;
#pragma GCC unroll 8
        for (size_t j = 0; j < d; j++) {
            const double th = theta[k * d + j], *xj = X + j * n;
#pragma omp simd
            for (size_t t = 0; t < n; t++) zk[t] += th * xj[t];
        }
    }
}

VECOPS_CLONES
void vecops_pair_margins(double *z, const double *X, const double *theta,
                         size_t n, size_t d, size_t K)
{
    switch (d) {
    case 1: vecops_pair_z(z, X, theta, n, 1, K); break;
    case 2: vecops_pair_z(z, X, theta, n, 2, K); break;
    case 3: vecops_pair_z(z, X, theta, n, 3, K); break;
    case 4: vecops_pair_z(z, X, theta, n, 4, K); break;
    default: vecops_pair_z(z, X, theta, n, d, K); break;
    }
}

/* vecops_pair_sums for a constant d: every class in turn. */
static inline VECOPS_INLINE void vecops_pair_classes(double *grad, double *hess,
                                                     const double *X,
                                                     const double *g,
                                                     const double *h, size_t n,
                                                     size_t d, size_t K)
{
    for (size_t k = 0; k < K; k++)
        vecops_pair_body(grad + k * d, hess + k * d * d, X, g + k * n, h + k * n,
                         n, d);
}

VECOPS_CLONES
void vecops_pair_sums(double *grad, double *hess, const double *X, const double *g,
                      const double *h, size_t n, size_t d, size_t K)
{
    switch (d) {
    case 1: vecops_pair_classes(grad, hess, X, g, h, n, 1, K); break;
    case 2: vecops_pair_classes(grad, hess, X, g, h, n, 2, K); break;
    case 3: vecops_pair_classes(grad, hess, X, g, h, n, 3, K); break;
    case 4: vecops_pair_classes(grad, hess, X, g, h, n, 4, K); break;
    case 5: vecops_pair_classes(grad, hess, X, g, h, n, 5, K); break;
    case 6: vecops_pair_classes(grad, hess, X, g, h, n, 6, K); break;
    case 7: vecops_pair_classes(grad, hess, X, g, h, n, 7, K); break;
    default: vecops_pair_classes(grad, hess, X, g, h, n, 8, K); break;
    }
}

/* ---- stage arguments of queries of equal shape (vecops_stages3_args) ---- */

/* vecops_stages3_args for a constant d (2 or 8) and r, vectorised across
 * queries: per query the operations of stages_args in pl.c in its order. */
static inline VECOPS_INLINE void vecops_stages3_args_body(
    const double *restrict D, size_t nq, size_t r, size_t d,
    const double *restrict theta, size_t K, size_t n, double *restrict lin,
    double *restrict arg)
{
    size_t ns = r * 3 - r * (r - 1) / 2;
    for (size_t k = 0; k < K; k++) {
        const double *th = theta + k * d;
        double *ak = arg + k * n, *lk = lin + k * nq;
#pragma omp simd
        for (size_t t = 0; t < nq; t++) {
            const double *Dt = D + t * 2 * d;
            double v[3], ls = 0.0, *at = ak + t * ns;
            v[0] = 0.0;
#pragma GCC unroll 2
            for (size_t j = 1; j < 3; j++) {
                double z = 0.0;
#pragma GCC unroll 8
                for (size_t a = 0; a < d; a++) z += th[a] * Dt[(j - 1) * d + a];
                v[j] = z;
            }
#pragma GCC unroll 2
            for (size_t s = 0; s < r; s++) {
                double mx = v[s];
#pragma GCC unroll 2
                for (size_t j = s + 1; j < 3; j++) mx = v[j] > mx ? v[j] : mx;
                ls += v[s] - mx;
#pragma GCC unroll 3
                for (size_t j = s; j < 3; j++) at[3 * s + j - s] = v[j] - mx;
            }
            lk[t] = ls;
        }
    }
}

VECOPS_CLONES
void vecops_stages3_args(const double *D, size_t nq, size_t r, size_t d,
                         const double *theta, size_t K, size_t n, double *lin,
                         double *arg)
{
#define VECOPS_S3A(rr, dd) \
    vecops_stages3_args_body(D, nq, rr, dd, theta, K, n, lin, arg)
    if (d == 2 && r == 1) VECOPS_S3A(1, 2);
    else if (d == 2) VECOPS_S3A(2, 2);
    else if (r == 1) VECOPS_S3A(1, 8);
    else VECOPS_S3A(2, 8);
#undef VECOPS_S3A
}

/* ---- stage sums of users of equal shape (vecops_stages3_users) ---------- */

/* Lanes l < nl of one block of users: user u0 + l's query t of class k,
 * m = 3, r stages, d constant once inlined, the sums of stages_query in
 * pl.c with the same operations in the same order per lane: ls += its lin,
 * prod *= z_s, gs += c_s, the upper hs -= p_j c_j c_j^T. Lane l's sums live
 * at ls[l], prod[l], gs[a L + l], hs[(a d + b) L + l]. */
static inline VECOPS_INLINE void vecops_stages3_query(
    const double *restrict D, const double *restrict e, const double *restrict lin,
    size_t su, size_t se, size_t T, size_t nl, size_t r, size_t d,
    double *restrict ls, double *restrict prod, double *restrict gs,
    double *restrict hs)
{
    enum { L = VECOPS_LANES };
#pragma omp simd
    for (size_t l = 0; l < nl; l++) {
        const double *Dl = D + l * su, *el = e + l * se;
        double p = prod[l];
        ls[l] += lin[l * T];
#pragma GCC unroll 2
        for (size_t s = 0; s < r; s++) {
            const double *es = el + 3 * s;
            double z = 0.0;
#pragma GCC unroll 3
            for (size_t j = s; j < 3; j++) z += es[j - s];
            p *= z;
            double iz = 1.0 / z, db[VECOPS_PAIR_D];
#pragma GCC unroll 8
            for (size_t a = 0; a < d; a++) db[a] = 0.0;
#pragma GCC unroll 3
            for (size_t j = s > 0 ? s : 1; j < 3; j++) {
                double pj = es[j - s] * iz;
#pragma GCC unroll 8
                for (size_t a = 0; a < d; a++) db[a] += pj * Dl[(j - 1) * d + a];
            }
#pragma GCC unroll 3
            for (size_t j = s; j < 3; j++) {
                double pj = es[j - s] * iz;
#pragma GCC unroll 8
                for (size_t a = 0; a < d; a++) {
                    double ca = (j > 0 ? Dl[(j - 1) * d + a] : 0.0) - db[a];
                    if (j == s) gs[a * L + l] += ca;
                    double pa = pj * ca;
#pragma GCC unroll 8
                    for (size_t b = a; b < d; b++)
                        hs[(a * d + b) * L + l] -=
                            pa * ((j > 0 ? Dl[(j - 1) * d + b] : 0.0) - db[b]);
                }
            }
        }
        prod[l] = p;
    }
}

/* vecops_stages3_users for a constant d (2 or 8) and r: blocks of L users, each
 * user's T queries in order, its sums in vectors across the block. */
static inline VECOPS_INLINE void vecops_stages3_body(
    const double *D, size_t nu, size_t T, size_t r, size_t d, size_t K,
    const double *e, size_t ne, const double *lin, size_t nl, double *acc,
    size_t na, double *grad, double *hess)
{
    enum { L = VECOPS_LANES };
    size_t ns = r * 3 - r * (r - 1) / 2, su = T * 2 * d, se = T * ns;
    double ls[L], prod[L], gs[VECOPS_PAIR_D * L];
    double hs[VECOPS_PAIR_D * VECOPS_PAIR_D * L];
    for (size_t u0 = 0; u0 < nu; u0 += L) {
        size_t nb = nu - u0 < L ? nu - u0 : L;
        for (size_t k = 0; k < K; k++) {
            const double *ek = e + k * ne + u0 * se, *lk = lin + k * nl + u0 * T;
#pragma omp simd
            for (size_t l = 0; l < L; l++) {
                ls[l] = 0.0;
                prod[l] = 1.0;
            }
#pragma GCC unroll 8
            for (size_t a = 0; a < d; a++) {
#pragma omp simd
                for (size_t l = 0; l < L; l++) gs[a * L + l] = 0.0;
#pragma GCC unroll 8
                for (size_t b = a; b < d; b++)
#pragma omp simd
                    for (size_t l = 0; l < L; l++) hs[(a * d + b) * L + l] = 0.0;
            }
            for (size_t t = 0; t < T; t++)
                vecops_stages3_query(D + u0 * su + t * 2 * d, ek + t * ns, lk + t, su,
                                     se, T, nb, r, d, ls, prod, gs, hs);
            for (size_t l = 0; l < nb; l++) {
                size_t o = (u0 + l) * K + k;
                acc[o] = ls[l];
                acc[na + o] = 0.0;
                acc[2 * na + o] = prod[l];
#pragma GCC unroll 8
                for (size_t a = 0; a < d; a++) {
                    grad[o * d + a] = 0.0 + gs[a * L + l];
#pragma GCC unroll 8
                    for (size_t b = a; b < d; b++)
                        hess[o * d * d + a * d + b] = 0.0 + hs[(a * d + b) * L + l];
                }
            }
        }
    }
}

VECOPS_CLONES
void vecops_stages3_users(const double *D, size_t nu, size_t T, size_t r, size_t d,
                          size_t K, const double *e, size_t ne, const double *lin,
                          size_t nl, double *acc, size_t na, double *grad,
                          double *hess)
{
#define VECOPS_S3(rr, dd) \
    vecops_stages3_body(D, nu, T, rr, dd, K, e, ne, lin, nl, acc, na, grad, hess)
    if (d == 2 && r == 1) VECOPS_S3(1, 2);
    else if (d == 2) VECOPS_S3(2, 2);
    else if (r == 1) VECOPS_S3(1, 8);
    else VECOPS_S3(2, 8);
#undef VECOPS_S3
}
