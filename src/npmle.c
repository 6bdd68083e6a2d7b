/* npmle.c — grid NPMLE of a random-coefficient Plackett–Luce mixing
 * distribution by SQUAREM-accelerated EM (see npmle.h for the method and
 * the certificate). Every pass over the users runs in blocks whose partial
 * sums are added in block order (thread-count invariant); all buffers are
 * allocated in npmle_alloc. */
#include "npmle.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "err.h"
#include "nnls.h"
#include "pl.h"
#include "vecops.h"

#define NPMLE_BACKTRACK 60 /* halvings of the SQUAREM step towards EM */
#define NPMLE_ARMIJO 0.25  /* sufficient-increase fraction of the Newton step */
#define NPMLE_RIDGE 1e-10  /* relative ridge on the Newton normal equations */
#define NPMLE_SUMROW 1e3  /* weight of the row sum v = 1, relative to max Q_aa */
#define NPMLE_HALVINGS 40  /* halvings of the Newton step before EM instead */
#define NPMLE_RCHUNK 128   /* grid points of a user's row computed together */

void npmle_params_init(npmle_params *p)
{
    p->gap = 1e-6;
    p->max_iter = 100000;
    p->accel = NPMLE_NEWTON;
    p->newton_support = 256;
    p->newton_add = 10;
    p->threads = 0;
}

const char *npmle_params_check(const npmle_params *p)
{
    if (!(p->gap > 0) || !isfinite(p->gap)) return "gap must be > 0";
    if (p->max_iter < 1) return "max_iter must be >= 1";
    if (p->accel != NPMLE_EM && p->accel != NPMLE_SQUAREM && p->accel != NPMLE_NEWTON)
        return "accel must be NPMLE_EM, NPMLE_SQUAREM or NPMLE_NEWTON";
    if (p->newton_support < 2) return "newton_support must be >= 2";
    if (p->newton_add < 1) return "newton_add must be >= 1";
    if (p->threads < 0) return "threads must be >= 0";
    return NULL;
}

/* ---- grid ----------------------------------------------------------------- */

/* n with n^d = G when there is one (0 otherwise); *lo = the largest n with
 * n^d <= G. d <= 3. */
static size_t grid_side(size_t G, size_t d, size_t *lo)
{
    size_t n = 1;
    while (1) {
        size_t p = 1;
        for (size_t j = 0; j < d; j++) p *= n + 1;
        if (p > G) break;
        n++;
    }
    *lo = n;
    size_t p = 1;
    for (size_t j = 0; j < d; j++) p *= n;
    return p == G ? n : 0;
}

const char *npmle_grid_check(size_t G, size_t d, double R, char *buf, size_t n)
{
    if (d < 1) return "the data have no features";
    if (!(R > 0) || !isfinite(R)) {
        snprintf(buf, n, "the grid radius must be a finite number > 0, got %g", R);
        return buf;
    }
    if (G < 2) {
        snprintf(buf, n, "the grid needs at least 2 points, got %zu", G);
        return buf;
    }
    if (d > 3) return NULL;
    if (G > (size_t)1 << 40) {
        snprintf(buf, n, "%zu grid points is more than 2^40", G);
        return buf;
    }
    size_t lo, side = grid_side(G, d, &lo);
    if (side >= 2) return NULL;
    size_t a = 1, b = 1, na = lo < 2 ? 2 : lo;
    for (size_t j = 0; j < d; j++) {
        a *= na;
        b *= na + 1;
    }
    snprintf(buf, n, "with d = %zu features the grid is regular: G must be n^%zu "
             "with n >= 2 points per axis (e.g. %zu or %zu), got %zu", d, d, a,
             b, G);
    return buf;
}

/* The radical inverse of i in base b (van der Corput). */
static double radical_inverse(size_t i, unsigned b)
{
    double f = 1.0, x = 0.0;
    while (i > 0) {
        f /= b;
        x += f * (double)(i % b);
        i /= b;
    }
    return x;
}

int npmle_grid(size_t G, size_t d, double R, double *theta)
{
    char buf[256];
    const char *why = npmle_grid_check(G, d, R, buf, sizeof buf);
    if (why) PREF_ERROR(PREF_EINPUT, "%s", why);
    if (d > 3) {
        unsigned prime = 1;
        for (size_t j = 0; j < d; j++) {
            int isp = 0;
            while (!isp) { /* next prime */
                prime++;
                isp = 1;
                for (unsigned q = 2; q * q <= prime; q++)
                    if (prime % q == 0) isp = 0;
            }
            for (size_t g = 0; g < G; g++)
                theta[g * d + j] = R * (2.0 * radical_inverse(g + 1, prime) - 1.0);
        }
        return PREF_OK;
    }
    size_t lo, n = grid_side(G, d, &lo);
    for (size_t g = 0; g < G; g++) {
        size_t rest = g;
        for (size_t j = d; j-- > 0;) {
            theta[g * d + j] = -R + 2.0 * R * (double)(rest % n) / (double)(n - 1);
            rest /= n;
        }
    }
    return PREF_OK;
}

size_t npmle_support(const double *w, const double *theta, size_t G, size_t d,
                     double min_w, double *w_out, double *theta_out)
{
    size_t k = 0;
    double s = 0.0;
    for (size_t r = 0; r < G; r++) {
        if (!(w[r] >= min_w)) continue;
        w_out[k] = w[r];
        memcpy(theta_out + k * d, theta + r * d, d * sizeof(double));
        s += w[r];
        k++;
    }
    for (size_t r = 0; r < k; r++) w_out[r] /= s;
    return k;
}

/* ---- workspace ------------------------------------------------------------ */

struct npmle_workspace {
    npmle_params p;
    size_t N, G, d, mmax, nb, nthreads, scratch_n;
    double *e;       /* (N, G) exp(log L_ir - m_i) */
    double *lm;      /* (N) m_i = max_r log L_ir */
    double *theta;   /* (G, d) */
    double *tt;      /* (d, G) theta transposed */
    double *part;    /* (nb, G + 2) per-block sums of e_ir / f_i, log f_i, bad */
    double *scratch; /* (nthreads, scratch_n) a row chunk's utilities and
                        stages; a block's log f_i */
    double *x, *fx, *c, *t1, *t2, *tp, *ftp; /* (G) each */
    double *f;       /* (N) f_i(x) / exp(m_i) at the current weights */
    size_t smax;     /* Newton: most points in one step's active set */
    double *st;      /* (smax, N) e_ir / f_i for the active points r */
    double *q, *qb, *qw; /* (smax, smax), (smax), (smax) the NNLS problem */
    size_t *act;     /* (smax) the active points */
    nnls_workspace *nn;
    double loglik, cert;
    size_t iters, evals;
    int converged;
};

static size_t mul_or_max(size_t a, size_t b)
{
    return (a != 0 && b > SIZE_MAX / a) ? SIZE_MAX : a * b;
}

size_t npmle_bytes(size_t n_users, size_t G, size_t d)
{
    npmle_params p;
    npmle_params_init(&p);
    size_t nb = (n_users + NPMLE_BLOCK - 1) / NPMLE_BLOCK;
    size_t sm = G < p.newton_support ? G : p.newton_support;
    size_t terms[6] = {mul_or_max(n_users, G), mul_or_max(nb, G + 2),
                       mul_or_max(G, 2 * d + 7), 2 * n_users,
                       mul_or_max(sm, n_users), mul_or_max(sm, sm + 6)};
    size_t total = 0;
    for (size_t k = 0; k < 6; k++) {
        if (terms[k] == SIZE_MAX || total > SIZE_MAX - terms[k]) return SIZE_MAX;
        total += terms[k];
    }
    return mul_or_max(total, sizeof(double));
}

void npmle_free(npmle_workspace *w)
{
    if (!w) return;
    free(w->e);
    free(w->lm);
    free(w->theta);
    free(w->tt);
    free(w->part);
    free(w->scratch);
    free(w->x);
    free(w->fx);
    free(w->c);
    free(w->t1);
    free(w->t2);
    free(w->tp);
    free(w->ftp);
    free(w->f);
    free(w->st);
    free(w->q);
    free(w->qb);
    free(w->qw);
    free(w->act);
    nnls_free(w->nn);
    free(w);
}

npmle_workspace *npmle_alloc(size_t n_users, size_t G, size_t d, size_t mmax,
                             const npmle_params *p)
{
    npmle_params def;
    npmle_params_init(&def);
    if (!p) p = &def;
    if (npmle_params_check(p) || n_users == 0 || G < 2 || d == 0 || mmax < 2 ||
        npmle_bytes(n_users, G, d) == SIZE_MAX)
        return NULL;
    npmle_workspace *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->p = *p;
    w->N = n_users;
    w->G = G;
    w->d = d;
    w->mmax = mmax;
    w->nb = (n_users + NPMLE_BLOCK - 1) / NPMLE_BLOCK;
#ifdef _OPENMP
    w->nthreads = p->threads > 0 ? (size_t)p->threads : (size_t)omp_get_max_threads();
#else
    w->nthreads = 1;
#endif
    size_t c = G < NPMLE_RCHUNK ? G : NPMLE_RCHUNK;
    size_t sn = (mmax + 3) * c > NPMLE_BLOCK ? (mmax + 3) * c : NPMLE_BLOCK;
    w->scratch_n = (sn + 7) / 8 * 8 + 8; /* own cache lines per thread */
    w->e = malloc(n_users * G * sizeof(double));
    w->lm = malloc(n_users * sizeof(double));
    w->theta = malloc(G * d * sizeof(double));
    w->tt = malloc(G * d * sizeof(double));
    w->part = malloc(w->nb * (G + 2) * sizeof(double));
    w->scratch = malloc(w->nthreads * w->scratch_n * sizeof(double));
    double **vec[] = {&w->x, &w->fx, &w->c, &w->t1, &w->t2, &w->tp, &w->ftp};
    int ok = w->e && w->lm && w->theta && w->tt && w->part && w->scratch;
    w->f = malloc(n_users * sizeof(double));
    ok &= w->f != NULL;
    if (p->accel == NPMLE_NEWTON) {
        size_t sm = w->smax = G < p->newton_support ? G : p->newton_support;
        w->st = malloc(sm * n_users * sizeof(double));
        w->q = malloc(sm * sm * sizeof(double));
        w->qb = malloc(sm * sizeof(double));
        w->qw = malloc(sm * sizeof(double));
        w->act = malloc(sm * sizeof(size_t));
        w->nn = nnls_alloc(sm);
        ok &= w->st && w->q && w->qb && w->qw && w->act && w->nn;
    }
    for (size_t k = 0; k < sizeof vec / sizeof vec[0]; k++)
        ok &= (*vec[k] = malloc(G * sizeof(double))) != NULL;
    if (!ok) {
        npmle_free(w);
        return NULL;
    }
    return w;
}

/* ---- the passes ----------------------------------------------------------- */

static double *thread_scratch(const npmle_workspace *w)
{
#ifdef _OPENMP
    return w->scratch + (size_t)omp_get_thread_num() * w->scratch_n;
#else
    return w->scratch;
#endif
}

/* The log-likelihoods of user i at the c grid points r0..r0+c-1, added to
 * ll[0..c) (one query after the other, each query's stage terms summed
 * first, as pl_loglik does): the utilities of a candidate at all c points
 * (from tt, the grid transposed), then per stage the log-sum-exp
 * lse = hi + log(1 + exp(lo - hi)) of pl_logaddexp with the exps and logs
 * of all c points in one vecops_expneg and one vecops_log call. s holds
 * (mmax + 3) c doubles. */
static void rows_ll(const npmle_workspace *w, const data_set *ds, size_t i,
                    size_t r0, size_t c, double *ll, double *s)
{
    size_t d = w->d, G = w->G;
    double *lse = s, *hi = s + c, *ql = s + 2 * c, *u = s + 3 * c;
    for (size_t q = ds->user_q[i]; q < ds->user_q[i + 1]; q++) {
        size_t m = data_m(ds, q), rq = ds->q_r[q] < m ? ds->q_r[q] : m - 1;
        const double *x = ds->x + ds->q_cand[q] * d;
        for (size_t j = 0; j < m; j++) { /* u_j = x_j . theta, k in order */
            double *uj = u + j * c;
            for (size_t r = 0; r < c; r++) uj[r] = 0.0;
            for (size_t k = 0; k < d; k++) {
                const double xk = x[j * d + k], *tk = w->tt + k * G + r0;
#pragma omp simd
                for (size_t r = 0; r < c; r++) uj[r] += xk * tk[r];
            }
        }
        memcpy(lse, u + (m - 1) * c, c * sizeof(double));
        for (size_t r = 0; r < c; r++) ql[r] = 0.0;
        for (size_t st = m - 1; st-- > 0;) {
            const double *us = u + st * c;
            for (size_t r = 0; r < c; r++) {
                double a = us[r], b = lse[r];
                if (a < b) { double t = a; a = b; b = t; }
                hi[r] = a;
                lse[r] = b == -INFINITY ? -INFINITY : b - a;
            }
            vecops_expneg(lse, lse, c);
#pragma omp simd
            for (size_t r = 0; r < c; r++) lse[r] += 1.0;
            vecops_log(lse, lse, c);
#pragma omp simd
            for (size_t r = 0; r < c; r++) lse[r] += hi[r];
            if (st < rq)
#pragma omp simd
                for (size_t r = 0; r < c; r++) ql[r] += us[r] - lse[r];
        }
#pragma omp simd
        for (size_t r = 0; r < c; r++) ll[r] += ql[r];
    }
}

/* e and lm for every user, NPMLE_RCHUNK grid points at a time. Returns the
 * number of users with no finite log-likelihood at any point. */
static size_t pass_rows(npmle_workspace *w, const data_set *ds)
{
    size_t G = w->G, bad = 0;
#pragma omp parallel for schedule(dynamic, 16) num_threads(w->nthreads) reduction(+ : bad)
    for (size_t i = 0; i < w->N; i++) {
        double *s = thread_scratch(w), *row = w->e + i * G, mx = -INFINITY;
        for (size_t r0 = 0; r0 < G; r0 += NPMLE_RCHUNK) {
            size_t c = G - r0 < NPMLE_RCHUNK ? G - r0 : NPMLE_RCHUNK;
            for (size_t r = 0; r < c; r++) row[r0 + r] = 0.0;
            rows_ll(w, ds, i, r0, c, row + r0, s);
        }
        for (size_t r = 0; r < G; r++)
            if (row[r] > mx) mx = row[r]; /* NaN never becomes the max */
        w->lm[i] = mx;
        if (!isfinite(mx)) {
            bad++;
            continue;
        }
        for (size_t r = 0; r < G; r++) /* <= 0, or NaN: 0 below */
            row[r] = isnan(row[r]) ? 0.0 : row[r] - mx;
        vecops_expneg(row, row, G);
    }
    return bad;
}

/* One EM-map evaluation at weights x: c_r = (1/N) sum_i e_ir / f_i(x),
 * fx = x * c (renormalised onto the simplex), *L = l(x), *cert = max c.
 * Returns PREF_ENUM (and *L = -inf) when some f_i(x) = 0. O(N G). Per
 * block, f_i is vecops_dot of x and the row, and the logs of the block's
 * f_i are one vecops_log call (in the thread's scratch). */
static int pass_em(npmle_workspace *w, const double *x, double *fx, double *L,
                   double *cert)
{
    int keep_f = x == w->x; /* f_i is kept for the current weights only */
    size_t G = w->G, nb = w->nb, st = G + 2;
    w->evals++;
#pragma omp parallel for schedule(dynamic, 1) num_threads(w->nthreads)
    for (size_t b = 0; b < nb; b++) {
        double *pt = w->part + b * st, *lf = thread_scratch(w);
        memset(pt, 0, st * sizeof(double));
        size_t i0 = b * NPMLE_BLOCK;
        size_t i_end = i0 + NPMLE_BLOCK < w->N ? i0 + NPMLE_BLOCK : w->N;
        for (size_t i = i0; i < i_end; i++) {
            const double *row = w->e + i * G;
            double f = vecops_dot(x, row, G);
            if (keep_f) w->f[i] = f;
            if (!(f > 0)) {
                pt[G + 1] += 1.0;
                lf[i - i0] = -1.0; /* log: NaN, skipped below */
                continue;
            }
            double inv = 1.0 / f;
#pragma omp simd
            for (size_t r = 0; r < G; r++) pt[r] += row[r] * inv;
            lf[i - i0] = f;
        }
        vecops_log(lf, lf, i_end - i0);
        for (size_t i = i0; i < i_end; i++)
            if (!isnan(lf[i - i0])) pt[G] += w->lm[i] + lf[i - i0];
    }
    memset(w->c, 0, G * sizeof(double));
    double l = 0.0, bad = 0.0;
    for (size_t b = 0; b < nb; b++) { /* ordered reduction */
        const double *pt = w->part + b * st;
        for (size_t r = 0; r < G; r++) w->c[r] += pt[r];
        l += pt[G];
        bad += pt[G + 1];
    }
    if (bad > 0) {
        *L = -INFINITY;
        return PREF_ENUM;
    }
    double s = 0.0, mx = 0.0;
    for (size_t r = 0; r < G; r++) {
        w->c[r] /= (double)w->N;
        if (w->c[r] > mx) mx = w->c[r];
        fx[r] = x[r] * w->c[r];
        s += fx[r];
    }
    for (size_t r = 0; r < G; r++) fx[r] /= s;
    *L = l;
    if (cert) *cert = mx;
    return PREF_OK;
}

/* ---- set / iterate / test ------------------------------------------------- */

int npmle_set(npmle_workspace *w, const data_set *ds, const double *theta,
              const double *w0)
{
    if (ds->n_users != w->N || ds->d != w->d)
        PREF_ERROR(PREF_EINPUT, "npmle: data of %zu users and %zu features, "
                   "workspace for %zu and %zu", ds->n_users, ds->d, w->N, w->d);
    for (size_t q = 0; q < ds->n_queries; q++)
        if (data_m(ds, q) > w->mmax)
            PREF_ERROR(PREF_EINPUT, "npmle: a query has %zu candidates, the "
                       "workspace at most %zu", data_m(ds, q), w->mmax);
    double s = 0.0;
    for (size_t r = 0; r < w->G; r++) {
        w->x[r] = w0 ? w0[r] : 1.0 / (double)w->G;
        if (!(w->x[r] >= 0) || !isfinite(w->x[r]))
            PREF_ERROR(PREF_EINPUT, "npmle: start weight %zu is %g", r + 1, w->x[r]);
        s += w->x[r];
    }
    if (fabs(s - 1.0) > 1e-9)
        PREF_ERROR(PREF_EINPUT, "npmle: start weights sum to %.17g, not 1", s);
    memcpy(w->theta, theta, w->G * w->d * sizeof(double));
    for (size_t r = 0; r < w->G; r++)
        for (size_t k = 0; k < w->d; k++) w->tt[k * w->G + r] = theta[r * w->d + k];
    w->iters = w->evals = 0;
    w->converged = 0;
    size_t bad = pass_rows(w, ds);
    if (bad)
        PREF_ERROR(PREF_ENUM, "npmle: %zu users have no finite log-likelihood "
                   "at any grid point", bad);
    if (pass_em(w, w->x, w->fx, &w->loglik, &w->cert))
        PREF_ERROR(PREF_ENUM, "npmle: the start weights give some user "
                   "likelihood 0 (numerically)");
    return PREF_OK;
}

/* The SQUAREM S3 point x - 2 a r + a^2 v (r = t1 - x, v = t2 - 2 t1 + x)
 * with a = -|r|/|v| (at most -1), halved towards -1 until every weight is
 * >= 0 (a = -1 gives t2, the second EM step). Writes tp; returns 0 when the
 * extrapolation is t2 itself (nothing to try). */
static int squarem_point(npmle_workspace *w)
{
    size_t G = w->G;
    double rr = 0.0, vv = 0.0;
    for (size_t r = 0; r < G; r++) {
        double a = w->t1[r] - w->x[r], v = w->t2[r] - 2.0 * w->t1[r] + w->x[r];
        rr += a * a;
        vv += v * v;
    }
    if (!(vv > 0) || !(rr > 0)) return 0;
    double al = -sqrt(rr / vv);
    if (al > -1.0) return 0;
    for (int k = 0; k < NPMLE_BACKTRACK; k++, al = (al - 1.0) / 2.0) {
        int neg = 0;
        double s = 0.0;
        for (size_t r = 0; r < G; r++) {
            double a = w->t1[r] - w->x[r], v = w->t2[r] - 2.0 * w->t1[r] + w->x[r];
            w->tp[r] = w->x[r] - 2.0 * al * a + al * al * v;
            neg |= w->tp[r] < 0;
            s += w->tp[r];
        }
        if (!neg) {
            for (size_t r = 0; r < G; r++) w->tp[r] /= s;
            return 1;
        }
    }
    return 0;
}

/* ---- constrained Newton (Wang 2007) -------------------------------------- */

/* The active set of a Newton step into w->act: the support of x, then up to
 * newton_add points off it with c_r > 1 (largest first: where the
 * likelihood would grow fastest), at most smax in all; a support larger
 * than smax keeps its smax points of largest c_r. Returns its size. */
static size_t newton_active(npmle_workspace *w)
{
    size_t s = 0, added = 0;
    double *in = w->t2; /* marks; t2 is SQUAREM's, free here */
    memset(in, 0, w->G * sizeof(double));
    for (int pass = 0; pass < 2; pass++) {
        while (s < w->smax && (pass == 0 || added < w->p.newton_add)) {
            size_t best = w->G;
            for (size_t r = 0; r < w->G; r++) {
                if (in[r] != 0 || (pass == 0) != (w->x[r] > 0)) continue;
                if (pass == 1 && !(w->c[r] > 1.0)) continue;
                if (best == w->G || w->c[r] > w->c[best]) best = r;
            }
            if (best == w->G) break;
            in[best] = 1.0;
            w->act[s++] = best;
            added += (size_t)pass;
        }
    }
    return s;
}

/* The NNLS problem of the step: st_a = (e_{i,act_a} / f_i)_i, Q = st st',
 * qb = 2 st 1 (so that q(v) = |S v - 2|^2 / 2 + const). Every entry is one
 * ordered sum: thread-count invariant. O(N s^2). */
static void newton_problem(npmle_workspace *w, size_t s)
{
    size_t N = w->N, G = w->G;
    /* S by rows of e (user by user: one cache line per user and not s,
     * the active points being few), each column summed in user order */
    for (size_t a = 0; a < s; a++) w->qb[a] = 0.0;
    for (size_t i = 0; i < N; i++) {
        const double *ei = w->e + i * G;
        double fi = w->f[i];
        for (size_t a = 0; a < s; a++) {
            double v = ei[w->act[a]] / fi;
            w->st[a * N + i] = v;
            w->qb[a] += v;
        }
    }
    for (size_t a = 0; a < s; a++) w->qb[a] *= 2.0;
    /* S^T S by vecops_dot: vectorised, the same bits on every x86-64 level */
#pragma omp parallel for schedule(dynamic, 1) num_threads(w->nthreads)
    for (size_t a = 0; a < s; a++)
        for (size_t b = a; b < s; b++)
            w->q[a * s + b] = w->q[b * s + a] =
                vecops_dot(w->st + a * N, w->st + b * N, N);
    /* Neighbouring grid points give nearly collinear columns: a relative
     * ridge keeps Q_PP factorisable (the line search keeps l monotone). */
    double dmax = 0.0;
    for (size_t a = 0; a < s; a++)
        if (w->q[a * s + a] > dmax) dmax = w->q[a * s + a];
    for (size_t a = 0; a < s; a++) w->q[a * s + a] += NPMLE_RIDGE * dmax;
    /* sum v = 1 as a weighted extra row (Lawson & Hanson 1974, ch. 22):
     * without it v = 2x solves S v = 2 exactly and the step never moves. */
    double lam = NPMLE_SUMROW * dmax;
    for (size_t a = 0; a < s; a++) {
        for (size_t b = 0; b < s; b++) w->q[a * s + b] += lam;
        w->qb[a] += lam;
    }
}

/* One constrained-Newton step (Wang 2007, "On fast computation of the
 * non-parametric maximum likelihood estimate of a mixing distribution",
 * JRSS B 69): the second-order expansion of l around x on the active set,
 * min_{v >= 0} |S v - 2|^2 with S_ir = L_i(theta_r) / f_i(x), by NNLS; v
 * renormalised to the simplex is the target y, and x + a (y - x) is taken
 * for the largest a = 2^-k with l increasing by at least NPMLE_ARMIJO a D
 * (D = N (sum_r y_r c_r - 1) > 0, the directional derivative). Returns 1
 * when a step was taken into w->x, 0 when the target is no ascent
 * direction or no a passed (the caller then takes an EM step). */
static int newton_step(npmle_workspace *w)
{
    size_t G = w->G, s = newton_active(w);
    if (s < 1) return 0;
    newton_problem(w, s);
    double tol = 1e-12 * (double)w->N;
    if (nnls_solve(w->nn, s, w->q, w->qb, tol, 4 * s, w->qw) == PREF_EINPUT)
        return 0;
    double sum = 0.0, D = 0.0;
    for (size_t a = 0; a < s; a++) sum += w->qw[a];
    if (!(sum > 0) || !isfinite(sum)) return 0;
    memset(w->t1, 0, G * sizeof(double));
    for (size_t a = 0; a < s; a++) w->t1[w->act[a]] = w->qw[a] / sum;
    for (size_t r = 0; r < G; r++) D += w->t1[r] * w->c[r];
    D = (double)w->N * (D - 1.0);
    if (!(D > 0)) return 0;
    double al = 1.0, L0 = w->loglik, L;
    for (int k = 0; k < NPMLE_HALVINGS; k++, al /= 2.0) {
        for (size_t r = 0; r < G; r++)
            w->tp[r] = al == 1.0 ? w->t1[r] : w->x[r] + al * (w->t1[r] - w->x[r]);
        if (pass_em(w, w->tp, w->ftp, &L, NULL) == PREF_OK &&
            L >= L0 + NPMLE_ARMIJO * al * D) {
            memcpy(w->x, w->tp, G * sizeof(double));
            return 1;
        }
    }
    return 0;
}

int npmle_iterate(npmle_workspace *w)
{
    size_t G = w->G;
    w->iters++;
    if (w->p.accel == NPMLE_NEWTON && newton_step(w))
        return pass_em(w, w->x, w->fx, &w->loglik, &w->cert);
    if (w->p.accel != NPMLE_SQUAREM) { /* EM, or Newton's fallback */
        memcpy(w->x, w->fx, G * sizeof(double));
        return pass_em(w, w->x, w->fx, &w->loglik, &w->cert);
    }
    double L1, Lp;
    memcpy(w->t1, w->fx, G * sizeof(double));
    PREF_TRY(pass_em(w, w->t1, w->t2, &L1, NULL));
    /* Use F(tp) when l(tp) >= l(t1), else t2 = F(t1): l never decreases. */
    const double *next = w->t2;
    if (squarem_point(w) && pass_em(w, w->tp, w->ftp, &Lp, NULL) == PREF_OK &&
        Lp >= L1)
        next = w->ftp;
    memcpy(w->x, next, G * sizeof(double));
    return pass_em(w, w->x, w->fx, &w->loglik, &w->cert);
}

int npmle_test(const npmle_workspace *w, double gap)
{
    return w->cert <= 1.0 + gap ? PREF_OK : PREF_CONTINUE;
}

int npmle_run(npmle_workspace *w, const data_set *ds, const double *theta,
              const double *w0)
{
    PREF_TRY(npmle_set(w, ds, theta, w0));
    while (npmle_test(w, w->p.gap) == PREF_CONTINUE && w->iters < w->p.max_iter)
        PREF_TRY(npmle_iterate(w));
    w->converged = npmle_test(w, w->p.gap) == PREF_OK;
    return PREF_OK;
}

const double *npmle_weights(const npmle_workspace *w) { return w->x; }
double npmle_loglik(const npmle_workspace *w) { return w->loglik; }

const double *npmle_row(const npmle_workspace *w, size_t i, double *m)
{
    if (m) *m = w->lm[i];
    return w->e + i * w->G;
}
double npmle_certificate(const npmle_workspace *w) { return w->cert; }
size_t npmle_iterations(const npmle_workspace *w) { return w->iters; }
size_t npmle_evaluations(const npmle_workspace *w) { return w->evals; }
int npmle_converged(const npmle_workspace *w) { return w->converged; }
