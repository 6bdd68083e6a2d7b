/* vecops.h — vectorised kernels for the compact policy network (nn.c) and
 * the Bradley–Terry pair kernel (pl.c, and the latent-class pass over pairs
 * in mix.c): tanh, exp and log over an array (exp and log also serve the
 * latent-class passes over few candidates), the small dense products of a
 * training step, and the pair pass's margins and weighted sums.
 *
 * Why these exist instead of library calls: a training step of the issue-4
 * network multiplies (192 x 8) by (8 x 32) and (192 x 32) by (32 x 1). GSL's
 * CBLAS is the unblocked, unvectorised reference BLAS, and at these shapes
 * its call and loop overhead made it ~30% of EM-DPO's time; libm has no
 * vector tanh or exp we can reach without -ffast-math (glibc's libmvec is
 * only declared under __FAST_MATH__, which would change results elsewhere),
 * and scalar tanh/exp were another ~50% (profiles in bench/README.md). The
 * loops below are written so GCC vectorises them (`omp simd`, compiled with
 * -fno-trapping-math so branch-free selects are if-converted) and are built
 * for three x86-64 levels at once (target_clones: baseline SSE2, x86-64-v3
 * with AVX2, x86-64-v4 with AVX-512), the loader picking one.
 *
 * Bits do not depend on the level chosen: every loop is element-wise across
 * the vector lanes, sums over rows or over k run in a fixed sequential order,
 * and dot products use eight fixed partial sums combined by a fixed tree;
 * the build uses ISO C floating point (-std=c11: no FMA contraction, no
 * reassociation). The network's kernels (tanh, tanh_grad, affine, affine1,
 * affine_grad, input_grad, outer_tanh_grad) write every product-and-sum as
 * a fused multiply-add, one rounding: the instruction at x86-64-v3 and v4,
 * an exact emulation at the baseline (vecops.c), so their bits do not depend
 * on the level either. The latent-class kernels (exp, log, logistic, dot,
 * outer, the pair and stage kernels) round products and sums separately.
 * tests/test_vecops.c checks the kernels bit for bit against plain scalar
 * loops written in the test, at every level the machine runs.
 *
 * Matrices are row major, dense (leading dimension = number of columns).
 * Pointers are never NULL unless a count is 0; outputs must not alias
 * inputs except where stated. Nothing allocates, nothing fails. Not here:
 * large products (nn.c sends those to CBLAS), softplus, anything stochastic. */
#ifndef HETPREF_VECOPS_H
#define HETPREF_VECOPS_H

#include <stddef.h>

/* The level of the network's kernels: 4 (x86-64-v4), 3 (x86-64-v3) or 0
 * (baseline, FMA emulated; also where there are no levels). cap >= 0 first
 * caps the level for the whole process (tests compare the levels with it;
 * not thread-safe: call it before any kernel runs); cap < 0 only reads. */
int vecops_net_level(int cap);

/* tanh(z) through one expm1 evaluated by a degree-13 polynomial (relative
 * error < 1e-15 against libm's tanh); NaN in, NaN out. */
double vecops_tanh1(double z);

/* y[i] = vecops_tanh1(z[i]), i < n; y may equal z. */
void vecops_tanh(double *y, const double *z, size_t n);

/* exp(x) for x <= 0 by the same reduction and polynomial as tanh (relative
 * error < 4e-16 against libm's exp where the result is normal: 2.2e-16
 * measured); 0 where the result would be subnormal (x < -708.3964...),
 * x > 0 taken as 0, NaN in, NaN out. Serves the Bradley–Terry pair kernel
 * (pl.c). */
double vecops_expneg1(double x);

/* y[i] = vecops_expneg1(x[i]), i < n; y may equal x. */
void vecops_expneg(double *y, const double *x, size_t n);

/* log(x) by the classic reduction x = 2^k m, m in [sqrt(1/2), sqrt(2)), and
 * a minimax polynomial in s = (m - 1) / (m + 1) (error < 1 ulp against the
 * exact log: 0.78 ulp measured, tests/test_vecops.c). Subnormal x are
 * handled (scaled first); log(+-0) = -inf, log(+inf) = +inf, x < 0 gives
 * NaN, NaN in, NaN out. Serves the latent-class passes (mix.c, pl.c). */
double vecops_log1(double x);

/* y[i] = vecops_log1(x[i]), i < n; y may equal x. */
void vecops_log(double *y, const double *x, size_t n);

/* The logistic function's parts at z[i], i < n, from one exp each:
 * f[i] = 1 + e with e = vecops_expneg1(-|z_i|), hi = 1 / f[i], lo = e * hi,
 * g[i] = sigma(-z_i) (hi if z_i < 0, else lo: NaN z gives NaN) and
 * h[i] = hi * lo = sigma(z_i) sigma(-z_i). log sigma(z_i) is
 * min(z_i, 0) - log f[i]. Outputs must not alias z or each other. */
void vecops_logistic(double *f, double *g, double *h, const double *z, size_t n);

/* dz[i] = da[i] * fma(-a[i], a[i], 1) (tanh' from its output), i < n; dz may
 * equal da. */
void vecops_tanh_grad(double *dz, const double *da, const double *a, size_t n);

/* Y (n, out) = b (out) + X (n, in) W (in, out), each entry a chain of fused
 * multiply-adds fma(x_1, w_1j, fma(x_0, w_0j, b_j)) ... (k ascending). */
void vecops_affine(double *Y, const double *X, const double *W,
                   const double *b, size_t n, size_t in, size_t out);

/* y (n) = b + X (n, in) w (in): dot products summed as vecops_dot's, each
 * partial sum a chain of fused multiply-adds. */
void vecops_affine1(double *y, const double *X, const double *w, double b,
                    size_t n, size_t in);

/* The dot product a . b of length n with eight fixed partial sums
 * s_l = sum_{j = l mod 8} a_j b_j (j ascending), combined as
 * ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)). */
double vecops_dot(const double *a, const double *b, size_t n);

/* dW (in, out) += X^T dY and, when db is not NULL, db (out) += column sums
 * of dY; rows i = 0..n-1 added in order, dW's by fused multiply-adds.
 * X (n, in), dY (n, out). */
void vecops_affine_grad(double *dW, double *db, const double *X,
                        const double *dY, size_t n, size_t in, size_t out);

/* dX (n, in) = dY (n, out) W^T for W (in, out): dX_ik = dY_i . W_k summed
 * as vecops_affine1's dot products (overwritten). */
void vecops_input_grad(double *dX, const double *dY, const double *W,
                       size_t n, size_t in, size_t out);

/* dX (n, in) = dy (n) w^T (overwritten): the input delta of the output unit. */
void vecops_outer(double *dX, const double *dy, const double *w, size_t n,
                  size_t in);

/* dX (n, in) = (dy (n) w^T) * fma(-A, A, 1) element-wise (overwritten): the
 * output unit's delta through a tanh layer with outputs A (n, in), the
 * same bits as vecops_outer followed by vecops_tanh_grad in one pass. */
void vecops_outer_tanh_grad(double *dX, const double *dy, const double *w,
                            const double *A, size_t n, size_t in);

/* The Bradley–Terry pair kernel's weighted sums over a transposed chunk
 * X (d, n) (row a holds x_a of the n items), for K classes with weights
 * g, h (K, n) and 1 <= d <= VECOPS_PAIR_D: for class k,
 * grad[k d + a] += sum_t g_kt x_at and, for b >= a,
 * hess[k d d + a d + b] -= sum_t (h_kt x_at) x_bt (the lower triangle
 * untouched). Each sum runs over four fixed partial sums s_l (the items
 * t = l mod 4 in order, starting from 0) combined as (s0 + s2) + (s1 + s3),
 * so the bits do not depend on the vector width; with n <= 3 that is the
 * plain sum in order. */
#define VECOPS_PAIR_D 8
void vecops_pair_sums(double *grad, double *hess, const double *X, const double *g,
                      const double *h, size_t n, size_t d, size_t K);

/* The margins z (K, n) of K classes theta (K, d) on the transposed chunk
 * X (d, n): z[k n + t] = sum_j theta[k d + j] x_jt, summed in order
 * ((0 + theta_0 x_0t) + theta_1 x_1t) + ... like a scalar dot product. */
void vecops_pair_margins(double *z, const double *X, const double *theta,
                         size_t n, size_t d, size_t K);

/* The stage arguments of nq queries that all rank r of m = 3 candidates
 * (r = 1 or 2), for K classes theta (K, d), d = 2 or 8: what
 * pl_stages_args (pl.c) writes for them, the same operations in the same
 * order per query, vectorised across queries. Query t has its differences
 * at D + 2 t d (rows D_1, D_2); with v_0 = 0, v_j = theta_k . D_j (summed
 * from 0, a ascending) and mx_s = the maximum of v_s .. v_2 (a NaN v_j,
 * j > s, skipped), class k's arguments v_j - mx_s (j >= s, stages in
 * order) go to arg + k n + t ns (ns = 3 r - r (r - 1) / 2) and
 * lin[k nq + t] = sum_s (v_s - mx_s), summed from 0. */
void vecops_stages3_args(const double *D, size_t nq, size_t r, size_t d,
                         const double *theta, size_t K, size_t n, double *lin,
                         double *arg);

/* The stage sums of nu users whose queries all rank r of m = 3 candidates
 * (r = 1 or 2), T >= 1 queries each, for K classes and d = 2 or 8:
 * what pl_stages_users (pl.c) computes for them when their T queries make
 * one chunk (T (3 r - r (r - 1) / 2) <= 64 exps per class), the same
 * operations in the same order per user, vectorised across users. User u's
 * query t has its differences at D + (u T + t) 2 d (rows D_1, D_2), class
 * k's stage exps at e + k ne + (u T + t) ns (ns exps per query, stages in
 * order) and its linear sum at lin[k nl + u T + t]. For user u and class k,
 * with o = u K + k: acc[o] = the sum of its lin (t ascending from 0),
 * acc[na + o] = 0 (T r normalisers in [1, 3] multiply to below 2^512, so
 * pl.c's guard never takes a log), acc[2 na + o] = the product of its
 * normalisers (from 1, in order), grad[o d ..] and the upper
 * hess[o d d ..] = 0 + its sums (from 0, in order): written, as adding
 * them to zeros would (the lower triangle untouched). */
void vecops_stages3_users(const double *D, size_t nu, size_t T, size_t r, size_t d,
                          size_t K, const double *e, size_t ne, const double *lin,
                          size_t nl, double *acc, size_t na, double *grad,
                          double *hess);

#endif
