/* pl.c — Plackett–Luce log-likelihood, derivatives and sampling (see pl.h).
 *
 * Derivation used below. With stage s's choice set S_s = {s..m-1} and
 * p_{s,j} = exp(u_j - LSE_s), LSE_s = log sum_{j in S_s} exp(u_j):
 *   d logP / d u_j   = [j < r] - sum_{s < r, s <= j} p_{s,j}
 *   d2 logP / d theta2 = - sum_{s<r} sum_{j>=s} p_{s,j} (x_j - xbar_s)(x_j - xbar_s)^T
 * with xbar_s = sum_{j>=s} p_{s,j} x_j (the covariance of x under stage s's
 * choice probabilities). Checked against finite differences in tests/test_pl.c. */
#include "pl.h"

#include <math.h>

#include <gsl/gsl_randist.h>

#include "mathx.h"
#include "vecops.h"

#define PL_PAIR_D 32 /* pairs with more features take the general path */

void pl_utilities(const double *x, size_t m, size_t d, const double *theta,
                  double *u)
{
    for (size_t j = 0; j < m; j++) {
        const double *xj = x + j * d;
        double s = 0.0;
        for (size_t k = 0; k < d; k++) s += xj[k] * theta[k];
        u[j] = s;
    }
}

double pl_loglik(const double *u, size_t m, size_t r)
{
    if (r >= m) r = m - 1;
    /* Suffix log-sum-exp from the back; add stage terms for s < r. */
    double lse = u[m - 1];
    double ll = 0.0;
    for (size_t s = m - 1; s-- > 0;) {
        lse = pl_logaddexp(u[s], lse);
        if (s < r) ll += u[s] - lse;
    }
    return ll;
}

/* One exp per candidate and stage, kept in du: at stage s (max mx_s,
 * e_j = exp(u_j - mx_s) in du[j], S_s = sum_{j>=s} e_j) every p_{s',j}
 * with s' <= s is e_j exp(mx_s - mx_s') / S_s', so with
 *   F_s = sum_{s'<=s} exp(mx_s - mx_s') / S_s' = exp(mx_s - mx_{s-1}) F_{s-1} + 1/S_s
 * (mx_s never grows with s: no overflow) candidate s's derivative is final
 * after its stage, du_s = 1 - e_s F_s, and the unranked ones' after the
 * last, du_j = -e_j F_{r-1}. LSE_s = mx_s + log S_s as in mathx_logsumexp,
 * so log P is the same bits as with it; the derivatives agree with
 * exp(u_j - LSE_s) to rounding (half the exps of evaluating that). */
double pl_loglik_du(const double *u, size_t m, size_t r, double *du)
{
    if (r >= m) r = m - 1;
    double ll = 0.0, F = 0.0, mx_prev = 0.0;
    for (size_t s = 0; s < r; s++) {
        double mx = u[s];
        for (size_t j = s + 1; j < m; j++)
            if (u[j] > mx) mx = u[j];
        double S = 0.0;
        for (size_t j = s; j < m; j++) {
            du[j] = exp(u[j] - mx);
            S += du[j];
        }
        ll += u[s] - (mx + log(S));
        F = (s > 0 && mx != mx_prev ? F * exp(mx - mx_prev) : F) + 1.0 / S;
        mx_prev = mx;
        du[s] = 1.0 - du[s] * F;
    }
    for (size_t j = r; j < m; j++) du[j] = r > 0 ? -du[j] * F : 0.0;
    return ll;
}

/* The pair (m = 2, r = 1) case of linear_accum: the same operations in the
 * same order, so the same bits, without the general loops — no stage loop,
 * no zeroing of xbar, and no exp for the larger utility (its term is
 * exp(0) = 1 exactly). Pairs are Bradley–Terry data, the common case.
 * A utility that is infinite or NaN takes both exps, as the general path
 * does, so its NaNs are the same too. Requires d <= PL_PAIR_D. */
static double pair_accum(const double *x, size_t d, const double *theta,
                         double w, double *grad, double *hess, int upper)
{
    const double *x0 = x, *x1 = x + d;
    double u0 = 0.0, u1 = 0.0;
    for (size_t k = 0; k < d; k++) u0 += x0[k] * theta[k];
    for (size_t k = 0; k < d; k++) u1 += x1[k] * theta[k];
    double mx = u1 > u0 ? u1 : u0;
    double p0, p1;
    if (!isfinite(mx)) {
        p0 = exp(u0 - mx);
        p1 = exp(u1 - mx);
    } else if (u1 > u0) {
        p0 = exp(u0 - mx);
        p1 = 1.0;
    } else {
        p0 = 1.0;
        p1 = exp(u1 - mx);
    }
    double z = p0 + p1;
    double ll = u0 - mx - log(z);
    double iz = 1.0 / z;
    p0 *= iz;
    p1 *= iz;
    double wp0 = w * p0, wp1 = w * p1;
    double c0[PL_PAIR_D], c1[PL_PAIR_D]; /* x_j - xbar */
    for (size_t k = 0; k < d; k++) {
        double xb = 0.0;
        xb += p0 * x0[k];
        xb += p1 * x1[k];
        c0[k] = x0[k] - xb;
        c1[k] = x1[k] - xb;
        grad[k] += w * c0[k];
    }
    if (!hess) return ll;
    for (size_t a = 0; a < d; a++) {
        double ca0 = wp0 * c0[a], ca1 = wp1 * c1[a];
        double *row = hess + a * d;
        for (size_t b = upper ? a : 0; b < d; b++) {
            row[b] -= ca0 * c0[b];
            row[b] -= ca1 * c1[b];
        }
    }
    return ll;
}

static double linear_accum(const double *x, size_t m, size_t d, size_t r,
                           const double *theta, double w, double *grad,
                           double *hess, double *work, int upper)
{
    if (r >= m) r = m - 1;
    if (m == 2 && d <= PL_PAIR_D) return pair_accum(x, d, theta, w, grad, hess, upper);
    double *u = work;            /* (m) utilities */
    double *p = work + m;        /* (m) stage choice probabilities */
    double *xbar = work + 2 * m; /* (d) */
    pl_utilities(x, m, d, theta, u);
    double ll = 0.0;
    for (size_t s = 0; s < r; s++) {
        /* One exp per candidate and one log per stage: p_j = e_j / z. Not
         * mathx_logsumexp: the e_j are kept for the probabilities. */
        double mx = u[s];
        for (size_t j = s + 1; j < m; j++) if (u[j] > mx) mx = u[j];
        /* exp(u_j - mx) = exp(0) = 1 exactly at the maximum (finite mx) */
        int fin = isfinite(mx);
        double z = 0.0;
        for (size_t j = s; j < m; j++) {
            p[j] = fin && u[j] == mx ? 1.0 : exp(u[j] - mx);
            z += p[j];
        }
        ll += u[s] - mx - log(z);
        double iz = 1.0 / z;
        /* xbar = sum_j p_j x_j, first term written (0.0 + t: the bits of
         * a sum started at zero) rather than zeroing xbar first */
        p[s] *= iz;
        for (size_t k = 0; k < d; k++) xbar[k] = 0.0 + p[s] * x[s * d + k];
        for (size_t j = s + 1; j < m; j++) {
            p[j] *= iz;
            const double *xj = x + j * d;
            for (size_t k = 0; k < d; k++) xbar[k] += p[j] * xj[k];
        }
        const double *xs = x + s * d;
        for (size_t k = 0; k < d; k++) grad[k] += w * (xs[k] - xbar[k]);
        if (hess) {
            for (size_t j = s; j < m; j++) {
                double wp = w * p[j];
                const double *xj = x + j * d;
                for (size_t a = 0; a < d; a++) {
                    double ca = wp * (xj[a] - xbar[a]);
                    double *row = hess + a * d;
                    for (size_t b = upper ? a : 0; b < d; b++)
                        row[b] -= ca * (xj[b] - xbar[b]);
                }
            }
        }
    }
    return ll;
}

double pl_linear_accum(const double *x, size_t m, size_t d, size_t r,
                       const double *theta, double w, double *grad,
                       double *hess, double *work)
{
    return linear_accum(x, m, d, r, theta, w, grad, hess, work, 0);
}

double pl_linear_accum_upper(const double *x, size_t m, size_t d, size_t r,
                             const double *theta, double w, double *grad,
                             double *hess, double *work)
{
    return linear_accum(x, m, d, r, theta, w, grad, hess, work, 1);
}

void pl_pair_delta(const double *x, size_t d, double *delta)
{
    for (size_t k = 0; k < d; k++) delta[k] = x[k] - x[d + k];
}

#define PL_PROD_MAX 0x1p512 /* the factor product's log is taken above this */

#if defined(__GNUC__)
#define PL_INLINE __attribute__((always_inline)) inline
#else
#define PL_INLINE inline
#endif

#define PL_CHUNK 32 /* pairs per class per vecops_logistic call */

/* The local sums of a chunk kernel for d <= 8 (gl (d), the upper hl (d, d)):
 * zeroed when grad is NULL, else added to grad and the upper hess. Inlined
 * with a constant d, so the loops unroll. */
static PL_INLINE void local_sums(double *restrict gl, double *restrict hl, size_t d,
                                 double *restrict grad, double *restrict hess)
{
#pragma GCC unroll 8
    for (size_t a = 0; a < d; a++) {
        if (grad) grad[a] += gl[a];
        else gl[a] = 0.0;
#pragma GCC unroll 8
        for (size_t b = a; b < d; b++) {
            if (grad) hess[a * d + b] += hl[a * d + b];
            else hl[a * d + b] = 0.0;
        }
    }
}

/* One pair's log-likelihood parts: lin += min(z, 0), prod *= f, its log
 * taken into lg above PL_PROD_MAX. */
static PL_INLINE void pairs_ll_step(double z, double f, double *lin, double *prod,
                                    double *lg)
{
    if (z < 0.0) *lin += z;
    *prod *= f;
    if (*prod > PL_PROD_MAX) {
        *lg += log(*prod);
        *prod = 1.0;
    }
}

void pl_pairs_users(const double *z, const double *f, size_t n,
                    const size_t *uq, size_t nu, size_t K, double *acc, size_t na)
{
    for (size_t u = 0; u < nu; u++) {
        size_t a = uq[u] - uq[0], T = uq[u + 1] - uq[u];
        for (size_t k = 0; k < K; k++) {
            const double *zk = z + k * n + a, *fk = f + k * n + a;
            double lin = 0.0, prod = 1.0, lg = 0.0;
            for (size_t t = 0; t < T; t++) pairs_ll_step(zk[t], fk[t], &lin, &prod, &lg);
            acc[u * K + k] = lin;
            acc[na + u * K + k] = lg;
            acc[2 * na + u * K + k] = prod;
        }
    }
}

/* The sums of one class over one chunk of n pairs with logistic parts
 * f, g, h (vecops_logistic) and margins z: lin += min(z, 0), the product of
 * the f (its log taken into *lg above PL_PROD_MAX), grad += g delta and the
 * upper hess -= h delta delta^T. Inlined with a constant d for small d, so
 * its loops unroll; the sums are kept in locals (registers once unrolled)
 * and added to grad and hess at the end. */
static PL_INLINE void pairs_chunk(const double *restrict dc, size_t n, size_t d,
                                  const double *restrict z, const double *restrict f,
                                  const double *restrict g, const double *restrict h,
                                  double *restrict acc, double *restrict grad,
                                  double *restrict hess)
{
    double lin = acc[0], prod = acc[1], lg = acc[2]; /* see pairs_body */
    double gl[8], hl[8 * 8];
    int loc = d <= 8;
    double *gs = loc ? gl : grad, *hs = loc ? hl : hess;
    if (loc) local_sums(gl, hl, d, NULL, NULL);
    for (size_t t = 0; t < n; t++) {
        const double *dt = dc + t * d;
        pairs_ll_step(z[t], f[t], &lin, &prod, &lg);
#pragma GCC unroll 8
        for (size_t k = 0; k < d; k++) gs[k] += g[t] * dt[k];
#pragma GCC unroll 8
        for (size_t a = 0; a < d; a++) {
            double ha = h[t] * dt[a];
            double *row = hs + a * d;
#pragma GCC unroll 8
            for (size_t b = a; b < d; b++) row[b] -= ha * dt[b];
        }
    }
    acc[0] = lin;
    acc[1] = prod;
    acc[2] = lg;
    if (loc) local_sums(gl, hl, d, grad, hess);
}

/* The body of pl_pairs_accum (see pl.h), inlined with a constant d for
 * small d. Per chunk of pairs: the margins of every class, one vectorised
 * call for all their logistic parts (vecops_logistic: the exp and the
 * division; several vectors per call, so their latencies overlap), then the
 * sums with no call in the loop (a call would spill every accumulator: all
 * vector registers are caller-saved). acc holds (lin, prod, lg) per class. */
static PL_INLINE void pairs_body(const double *delta, size_t T, size_t d,
                                 const double *theta, size_t K, double *ll,
                                 double *grad, double *hess, double *work)
{
    double *zc = work, *fc = zc + K * PL_CHUNK, *gc = fc + K * PL_CHUNK,
           *hc = gc + K * PL_CHUNK, *acc = hc + K * PL_CHUNK;
    for (size_t k = 0; k < K; k++) {
        acc[3 * k] = 0.0;     /* lin */
        acc[3 * k + 1] = 1.0; /* prod */
        acc[3 * k + 2] = 0.0; /* lg */
    }
    for (size_t t0 = 0; t0 < T; t0 += PL_CHUNK) {
        size_t n = T - t0 < PL_CHUNK ? T - t0 : PL_CHUNK;
        const double *dc = delta + t0 * d;
        for (size_t k = 0; k < K; k++)
            for (size_t t = 0; t < n; t++) {
                double z = 0.0;
#pragma GCC unroll 8
                for (size_t j = 0; j < d; j++) z += theta[k * d + j] * dc[t * d + j];
                zc[k * n + t] = z;
            }
        vecops_logistic(fc, gc, hc, zc, K * n);
        for (size_t k = 0; k < K; k++)
            pairs_chunk(dc, n, d, zc + k * n, fc + k * n, gc + k * n, hc + k * n,
                        acc + 3 * k, grad + k * d, hess + k * d * d);
    }
    for (size_t k = 0; k < K; k++)
        ll[k] = pl_ll_parts(acc[3 * k], acc[3 * k + 2], vecops_log1(acc[3 * k + 1]));
}

void pl_pairs_accum(const double *delta, size_t T, size_t d, const double *theta,
                    size_t K, double *ll, double *grad, double *hess, double *work)
{
    switch (d) {
    case 2: pairs_body(delta, T, 2, theta, K, ll, grad, hess, work); break;
    case 3: pairs_body(delta, T, 3, theta, K, ll, grad, hess, work); break;
    case 4: pairs_body(delta, T, 4, theta, K, ll, grad, hess, work); break;
    case 5: pairs_body(delta, T, 5, theta, K, ll, grad, hess, work); break;
    case 6: pairs_body(delta, T, 6, theta, K, ll, grad, hess, work); break;
    case 8: pairs_body(delta, T, 8, theta, K, ll, grad, hess, work); break;
    default: pairs_body(delta, T, d, theta, K, ll, grad, hess, work); break;
    }
}

size_t pl_pairs_work(size_t K) { return K * (4 * PL_CHUNK + 3); }

double pl_pairs_accum_upper(const double *delta, size_t T, size_t d,
                            const double *theta, double *grad, double *hess)
{
    double work[4 * PL_CHUNK + 3], ll;
    pl_pairs_accum(delta, T, d, theta, 1, &ll, grad, hess, work);
    return ll;
}

/* ---- rankings of small m on differences (pl_stages_accum) --------------- */

#define PL_SLOTS 64 /* exps per class per vecops_expneg call */

void pl_stages_diff(const double *x, size_t m, size_t d, double *D)
{
    for (size_t j = 1; j < m; j++)
        for (size_t k = 0; k < d; k++) D[(j - 1) * d + k] = x[j * d + k] - x[k];
}

/* exps one query of m candidates and r stages needs: sum_{s<r} (m - s). */
static size_t stages_slots(size_t m, size_t r)
{
    return r * m - r * (r - 1) / 2;
}

/* Class k's v_j = theta . D_j (v_0 = 0) of one query into v (m), and its
 * stage arguments v_j - mx_s (j >= s, mx_s = max_{j>=s} v_j, found as
 * linear_accum finds it: a NaN v_j, j > s, is skipped and then spreads
 * through its argument) into arg; returns sum_s (v_s - mx_s). */
static PL_INLINE double stages_args(const double *restrict D, size_t m, size_t r,
                                    size_t d, const double *restrict th,
                                    double *restrict v, double *restrict arg)
{
    v[0] = 0.0;
#pragma GCC unroll 8
    for (size_t j = 1; j < m; j++) {
        double z = 0.0;
#pragma GCC unroll 8
        for (size_t a = 0; a < d; a++) z += th[a] * D[(j - 1) * d + a];
        v[j] = z;
    }
    double lin = 0.0;
#pragma GCC unroll 8
    for (size_t s = 0; s < r; s++) {
        double mx = v[s];
#pragma GCC unroll 8
        for (size_t j = s + 1; j < m; j++)
            if (v[j] > mx) mx = v[j];
        lin += v[s] - mx;
#pragma GCC unroll 8
        for (size_t j = s; j < m; j++) *arg++ = v[j] - mx;
    }
    return lin;
}

/* The sums of one class over one query with stage exps e (stages_args'
 * order): the product of the normalisers z_s into acc (its log taken into
 * acc[2] above PL_PROD_MAX; z_s in [1, m]: it only grows), gs += c_s and
 * the upper hs -= sum_{j>=s} p_j c_j c_j^T per stage, c_j = D_j - dbar_s
 * = x_j - xbar_s (D_0 = 0). Inlined with a constant d for small d. */
static PL_INLINE void stages_query(const double *restrict D, size_t m, size_t r,
                                   size_t d, const double *restrict e,
                                   double *restrict acc, double *restrict gs,
                                   double *restrict hs)
{
    static const double zero[PL_STAGES_D]; /* D_0 */
    double db[PL_STAGES_D];
#pragma GCC unroll 8
    for (size_t s = 0; s < r; s++) {
        double z = 0.0;
#pragma GCC unroll 8
        for (size_t j = s; j < m; j++) z += e[j - s];
        acc[1] *= z;
        if (acc[1] > PL_PROD_MAX) {
            acc[2] += log(acc[1]);
            acc[1] = 1.0;
        }
        double iz = 1.0 / z;
#pragma GCC unroll 8
        for (size_t a = 0; a < d; a++) db[a] = 0.0;
#pragma GCC unroll 8
        for (size_t j = s > 0 ? s : 1; j < m; j++) {
            double pj = e[j - s] * iz;
#pragma GCC unroll 8
            for (size_t a = 0; a < d; a++) db[a] += pj * D[(j - 1) * d + a];
        }
#pragma GCC unroll 8
        for (size_t j = s; j < m; j++) {
            double pj = e[j - s] * iz;
            const double *Dj = j > 0 ? D + (j - 1) * d : zero;
#pragma GCC unroll 8
            for (size_t a = 0; a < d; a++) {
                double ca = Dj[a] - db[a];
                if (j == s) gs[a] += ca;
                double pa = pj * ca;
#pragma GCC unroll 8
                for (size_t b = a; b < d; b++)
                    hs[a * d + b] -= pa * (Dj[b] - db[b]);
            }
        }
        e += m - s;
    }
}

/* Query t's shape: m candidates, r stages and its D rows' offset. um > 0
 * (a constant once inlined) says every query has m = um and r = ur. */
static PL_INLINE void stages_shape(const size_t *cand, const uint32_t *rq, size_t t,
                                   size_t um, size_t ur, size_t *m, size_t *r,
                                   size_t *off)
{
    if (um) {
        *m = um;
        *r = ur;
        *off = t * (um - 1);
        return;
    }
    *m = cand[t + 1] - cand[t];
    *r = rq[t] < *m ? rq[t] : *m - 1;
    *off = cand[t] - cand[0] - t;
}

/* One class over one chunk of queries [t0, t1) (exps e in query order):
 * the sums kept in locals for d <= 8 (registers once unrolled), then added
 * to grad and hess, as pairs_chunk does. */
static PL_INLINE void stages_chunk(const double *D, const size_t *cand,
                                   const uint32_t *rq, size_t um, size_t ur,
                                   size_t t0, size_t t1, size_t d, const double *e,
                                   double *acc, double *grad, double *hess)
{
    double gl[8], hl[8 * 8];
    int loc = d <= 8;
    double *gs = loc ? gl : grad, *hs = loc ? hl : hess;
    if (loc) local_sums(gl, hl, d, NULL, NULL);
    for (size_t t = t0; t < t1; t++) {
        size_t m, r, off;
        stages_shape(cand, rq, t, um, ur, &m, &r, &off);
        stages_query(D + off * d, m, r, d, e, acc, gs, hs);
        e += stages_slots(m, r);
    }
    if (loc) local_sums(gl, hl, d, grad, hess);
}

/* The body of pl_stages_accum (see pl.h), inlined with a constant d for
 * small d and constant shapes (um, ur; 0 for mixed ones). Per chunk of
 * queries (at most PL_SLOTS exps per class, the same chunks for any shape
 * argument): every class's arguments, one vecops_expneg call for all of
 * them, then the sums with no libm call but the guard's log. acc holds
 * (lin, prod, lg). */
static PL_INLINE void stages_body(const double *D, const size_t *cand,
                                  const uint32_t *rq, size_t um, size_t ur,
                                  size_t T, size_t d, const double *theta,
                                  size_t K, double *ll, double *grad, double *hess,
                                  double *work)
{
    double *v = work, *ea = v + K * PL_SLOTS, *acc = ea + K * PL_SLOTS;
    for (size_t k = 0; k < K; k++) {
        acc[3 * k] = 0.0;
        acc[3 * k + 1] = 1.0;
        acc[3 * k + 2] = 0.0;
    }
    for (size_t t0 = 0, t1; t0 < T; t0 = t1) {
        size_t n = 0; /* exps per class in this chunk */
        for (t1 = t0; t1 < T; t1++) {
            size_t m, r, off;
            stages_shape(cand, rq, t1, um, ur, &m, &r, &off);
            size_t ns = stages_slots(m, r);
            if (t1 > t0 && n + ns > PL_SLOTS) break;
            n += ns;
        }
        for (size_t k = 0; k < K; k++) {
            double *arg = ea + k * n;
            for (size_t t = t0; t < t1; t++) {
                size_t m, r, off;
                stages_shape(cand, rq, t, um, ur, &m, &r, &off);
                acc[3 * k] += stages_args(D + off * d, m, r, d, theta + k * d,
                                          v + k * PL_SLOTS, arg);
                arg += stages_slots(m, r);
            }
        }
        vecops_expneg(ea, ea, K * n);
        for (size_t k = 0; k < K; k++)
            stages_chunk(D, cand, rq, um, ur, t0, t1, d, ea + k * n, acc + 3 * k,
                         grad + k * d, hess + k * d * d);
    }
    for (size_t k = 0; k < K; k++)
        ll[k] = pl_ll_parts(acc[3 * k], acc[3 * k + 2], vecops_log1(acc[3 * k + 1]));
}

/* stages_body for one shape (um, ur) with d constant for d = 2, 3, 4, 8. */
static PL_INLINE void stages_d(const double *D, const size_t *cand, const uint32_t *r,
                               size_t um, size_t ur, size_t T, size_t d,
                               const double *th, size_t K, double *ll, double *g,
                               double *H, double *w)
{
    switch (d) {
    case 2: stages_body(D, cand, r, um, ur, T, 2, th, K, ll, g, H, w); break;
    case 3: stages_body(D, cand, r, um, ur, T, 3, th, K, ll, g, H, w); break;
    case 4: stages_body(D, cand, r, um, ur, T, 4, th, K, ll, g, H, w); break;
    case 8: stages_body(D, cand, r, um, ur, T, 8, th, K, ll, g, H, w); break;
    default: stages_body(D, cand, r, um, ur, T, d, th, K, ll, g, H, w); break;
    }
}

/* Every query top-1 of 3 (shape 1), or every one a ranking of 3 (shape 2)
 * take bodies with constant m and r, so their loops unroll; others 0. */
static size_t stages_uniform(const size_t *cand, const uint32_t *r, size_t T)
{
    size_t r0 = 0;
    for (size_t t = 0; t < T; t++) {
        size_t m = cand[t + 1] - cand[t], rt = r[t] < m ? r[t] : m - 1;
        if (m != 3 || (t > 0 && rt != r0)) return 0;
        r0 = rt;
    }
    return r0;
}

void pl_stages_accum(const double *D, const size_t *cand, const uint32_t *r,
                     size_t T, size_t d, const double *theta, size_t K,
                     double *ll, double *grad, double *hess, double *work)
{
    switch (stages_uniform(cand, r, T)) {
    case 1: stages_d(D, cand, r, 3, 1, T, d, theta, K, ll, grad, hess, work); break;
    case 2: stages_d(D, cand, r, 3, 2, T, d, theta, K, ll, grad, hess, work); break;
    default: stages_d(D, cand, r, 0, 0, T, d, theta, K, ll, grad, hess, work); break;
    }
}

size_t pl_stages_work(size_t K) { return K * (2 * PL_SLOTS + 3); }

/* ---- sub-blocks of users (pl_stages_args, pl_stages_users) -------------- */

size_t pl_stages_exps(size_t m, size_t r)
{
    return stages_slots(m, r < m ? r : m - 1);
}

/* The body of pl_stages_args (see pl.h): stages_body's arguments for every
 * query of the sub-block, class by class. */
static PL_INLINE void args_body(const double *D, const size_t *cand,
                                const uint32_t *rq, size_t um, size_t ur, size_t T,
                                size_t d, const double *theta, size_t K, size_t n,
                                double *lin, double *arg)
{
    double v[PL_STAGES_M];
    for (size_t k = 0; k < K; k++) {
        double *a = arg + k * n;
        for (size_t t = 0; t < T; t++) {
            size_t m, r, off;
            stages_shape(cand, rq, t, um, ur, &m, &r, &off);
            lin[k * T + t] = stages_args(D + off * d, m, r, d, theta + k * d, v, a);
            a += stages_slots(m, r);
        }
    }
}

size_t pl_stages_args(const double *D, const size_t *cand, const uint32_t *r,
                      size_t T, size_t d, const double *theta, size_t K, size_t n,
                      double *lin, double *arg)
{
    size_t u = stages_uniform(cand, r, T);
    if (u && (d == 2 || d == 8)) { /* vectorised across queries, the same bits */
        vecops_stages3_args(D, T, u, d, theta, K, n, lin, arg);
        return u;
    }
#define PL_ARGS(um, ur, dd) args_body(D, cand, r, um, ur, T, dd, theta, K, n, lin, arg)
    switch (d) { /* mixed shapes here for d = 2, 8: d unrolls (stages_d) */
    case 2: PL_ARGS(0, 0, 2); break;
    case 8: PL_ARGS(0, 0, 8); break;
    default: PL_ARGS(u ? 3 : 0, u, d); break;
    }
#undef PL_ARGS
    return u;
}

/* One user of pl_stages_users (see pl.h): stages_body's sums class by
 * class, in its chunks of queries, into its gradients and upper Hessians
 * zeroed first; the log of the product left to the caller. */
static PL_INLINE void user_body(const double *D, const size_t *cand,
                                const uint32_t *rq, size_t um, size_t ur, size_t T,
                                size_t d, size_t K, const double *e, size_t ne,
                                const double *lin, size_t nl, double *acc3,
                                size_t na, double *grad, double *hess)
{
    for (size_t k = 0; k < K; k++) {
        double acc[3] = {0.0, 1.0, 0.0};
        const double *ek = e + k * ne;
        for (size_t a = 0; a < d; a++) {
            grad[k * d + a] = 0.0;
            for (size_t b = a; b < d; b++) hess[k * d * d + a * d + b] = 0.0;
        }
        for (size_t t0 = 0, t1; t0 < T; t0 = t1) {
            size_t n = 0;
            if (um) { /* whole queries of um exps each, at least one */
                size_t ns = stages_slots(um, ur), c = PL_SLOTS / ns;
                t1 = t0 + (c > 0 ? c : 1) < T ? t0 + (c > 0 ? c : 1) : T;
                n = (t1 - t0) * ns;
            }
            for (t1 = um ? t1 : t0; !um && t1 < T; t1++) {
                size_t m, r, off;
                stages_shape(cand, rq, t1, um, ur, &m, &r, &off);
                size_t ns = stages_slots(m, r);
                if (t1 > t0 && n + ns > PL_SLOTS) break;
                n += ns;
            }
            for (size_t t = t0; t < t1; t++) acc[0] += lin[k * nl + t];
            stages_chunk(D, cand, rq, um, ur, t0, t1, d, ek, acc, grad + k * d,
                         hess + k * d * d);
            ek += n;
        }
        acc3[k] = acc[0];
        acc3[na + k] = acc[2];
        acc3[2 * na + k] = acc[1];
    }
}

/* user_body for the nu users of pl_stages_users, the shape and d constant
 * once inlined. */
static PL_INLINE void users_body(const double *D, const size_t *cand,
                                 const uint32_t *rq, const size_t *uq,
                                 const size_t *slot, size_t nu, size_t um,
                                 size_t ur, size_t d, size_t K, const double *e,
                                 size_t ne, const double *lin, size_t nl,
                                 double *acc, size_t na, double *grad, double *hess)
{
    size_t q0 = uq[0];
    for (size_t u = 0; u < nu; u++) {
        size_t q = uq[u], T = uq[u + 1] - q;
        user_body(D + (cand[q] - q) * d, cand + q, rq + q, um, ur, T, d, K,
                  e + (slot[q] - slot[q0]), ne, lin + (q - q0), nl, acc + u * K, na,
                  grad + u * K * d, hess + u * K * d * d);
    }
}

/* The number of queries T of each of the nu users when they all have the
 * same T >= 1, their queries one chunk of a constant shape (um, ur) in
 * user_body; else 0. */
static size_t users_equal_T(const size_t *uq, size_t nu, size_t ur)
{
    size_t T = nu > 0 ? uq[1] - uq[0] : 0;
    if (T == 0 || T * stages_slots(3, ur) > PL_SLOTS) return 0;
    for (size_t u = 1; u < nu; u++)
        if (uq[u + 1] - uq[u] != T) return 0;
    return T;
}

void pl_stages_users(const double *D, const size_t *cand, const uint32_t *r,
                     const size_t *uq, const size_t *slot, size_t nu, size_t d,
                     size_t K, size_t u, const double *e, size_t ne,
                     const double *lin, size_t nl, double *acc, size_t na,
                     double *grad, double *hess)
{
    size_t T = u && (d == 2 || d == 8) ? users_equal_T(uq, nu, u) : 0;
    if (T) { /* every user alike: vectorised across users, the same bits */
        size_t q0 = uq[0];
        vecops_stages3_users(D + (cand[q0] - q0) * d, nu, T, u, d, K, e, ne, lin,
                             nl, acc, na, grad, hess);
        return;
    }
#define PL_USERS(um, ur, dd, KK) users_body(D, cand, r, uq, slot, nu, um, ur, dd, \
                                            KK, e, ne, lin, nl, acc, na, grad, hess)
    size_t um = u ? 3 : 0;
    switch (d) { /* constant shapes and d = 2, 8 unroll (stages_d) */
    case 2:
        if (u == 1 && K == 2) PL_USERS(3, 1, 2, 2); /* K = 2 too: the common case */
        else if (u == 1) PL_USERS(3, 1, 2, K);
        else if (u == 2) PL_USERS(3, 2, 2, K);
        else PL_USERS(0, 0, 2, K);
        break;
    case 8:
        if (u == 1) PL_USERS(3, 1, 8, K);
        else if (u == 2) PL_USERS(3, 2, 8, K);
        else PL_USERS(0, 0, 8, K);
        break;
    default: PL_USERS(um, u, d, K); break;
    }
#undef PL_USERS
}

void pl_sym_from_upper(double *A, size_t d)
{
    for (size_t a = 1; a < d; a++)
        for (size_t b = 0; b < a; b++) A[a * d + b] = A[b * d + a];
}

void pl_sample(const gsl_rng *rng, const double *u, size_t m, size_t r,
               uint32_t *perm, double *work)
{
    if (r > m) r = m;
    for (size_t j = 0; j < m; j++) {
        /* Standard Gumbel: -log(-log U), U uniform on (0,1). */
        double v = gsl_rng_uniform_pos(rng);
        work[j] = u[j] - log(-log(v));
    }
    /* Partial selection sort (r and m are small). Chosen slots are set to
     * -inf; unchosen ones are finite because u and the Gumbel draws are. */
    for (size_t s = 0; s < r; s++) {
        size_t best = 0;
        double bv = -INFINITY;
        for (size_t j = 0; j < m; j++)
            if (work[j] > bv) { best = j; bv = work[j]; }
        perm[s] = (uint32_t)best;
        work[best] = -INFINITY;
    }
}
