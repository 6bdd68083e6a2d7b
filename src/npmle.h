/* npmle.h — the whole mixing distribution of a random-coefficient
 * Plackett–Luce model by nonparametric maximum likelihood on a fixed grid.
 *
 * Users' utility vectors theta are drawn from an unknown distribution F on
 * R^d. F is estimated as sum_r w_r delta_{theta_r} on G fixed support points
 * theta_1..theta_G, with the weights w on the simplex maximising
 *
 *     l(w) = sum_i log f_i(w),   f_i(w) = sum_r w_r L_i(theta_r),
 *
 * L_i(theta) the Plackett–Luce likelihood of all of user i's answers
 * (pl.h). This is the Kiefer–Wolfowitz NPMLE restricted to the grid
 * (Kiefer & Wolfowitz 1956; Koenker & Mizera 2014); l is concave in w.
 *
 * Optimality certificate. With c_r(w) = (1/N) sum_i L_i(theta_r) / f_i(w),
 * sum_r w_r c_r(w) = 1, so max_r c_r(w) >= 1 always, and w is optimal iff
 * max_r c_r(w) = 1 (the KKT conditions; Lindsay 1983). By concavity
 *     l(w*) - l(w) <= N (max_r c_r(w) - 1),
 * so a certificate 1 + gap bounds the log-likelihood shortfall by N gap.
 *
 * Solvers (npmle_params.accel). The default, constrained Newton (Wang
 * 2007, JRSS B 69, "CNM"): each step takes the support of w plus up to
 * newton_add grid points where c_r > 1 (largest first), solves the
 * second-order expansion of l there, min_{v >= 0, sum v = 1} |S v - 2|^2
 * with S_ir = L_i(theta_r) / f_i(w), by NNLS (nnls.h), and moves towards v
 * with an Armijo line search; a step that fails becomes an EM step. Points
 * the NNLS leaves at 0 drop out, so the support stays small and a step costs
 * O(N G + N s^2) for s active points. Measured on N = 16000 full rankings of
 * 3, G = 441, gap 1e-6: 12 steps and 1.4 s CPU, against 3303 SQUAREM steps
 * and 110 s. Alternatives: EM on the weights, w_r <- w_r c_r(w) (monotone
 * in l), and EM accelerated by SQUAREM (Varadhan & Roland 2008, scheme S3)
 * with a monotonicity safeguard: an extrapolated point is used only when
 * its log-likelihood is at least that of the plain EM step it replaces.
 * All three never decrease l.
 *
 * Log space: log L_i(theta_r) is computed in log space; per user the row is
 * stored as e_ir = exp(log L_ir - m_i), m_i = max_r log L_ir, so e_ir lies in
 * [0, 1] with at least one 1. Users with many answers (tiny L_i) therefore
 * never underflow; e_ir that underflow to 0 are below 1e-308 of the user's
 * best grid point. Memory: N G doubles for e (npmle_bytes).
 *
 * Users are processed in blocks of NPMLE_BLOCK; each block writes its
 * partial sums to its own slot and the slots are added in block order, so
 * the result is bit-for-bit the same for any number of OpenMP threads.
 * Nothing allocates after npmle_alloc.
 *
 * Not here: choosing the grid adaptively, smoothing, standard errors. */
#ifndef HETPREF_NPMLE_H
#define HETPREF_NPMLE_H

#include <stddef.h>

#include "data.h"

#define NPMLE_BLOCK 256

enum { NPMLE_EM = 0, NPMLE_SQUAREM = 1, NPMLE_NEWTON = 2 };

typedef struct npmle_params {
    double gap;       /* stop when max_r c_r(w) <= 1 + gap (default 1e-6) */
    size_t max_iter;  /* iterate() calls at most (default 100000) */
    int accel;        /* NPMLE_NEWTON (default), NPMLE_SQUAREM or NPMLE_EM */
    size_t newton_support; /* Newton: points in a step's active set at most
                              (default 256) */
    size_t newton_add;     /* Newton: new points a step may add (default 10) */
    int threads;      /* OpenMP threads, 0: the default */
} npmle_params;

void npmle_params_init(npmle_params *p);
/* NULL when p is valid, else a message. */
const char *npmle_params_check(const npmle_params *p);

/* The support points. For d <= 3 a regular grid: n points per axis,
 * n^d = G, evenly spaced on [-R, R] with both ends included (spacing
 * 2R/(n-1)), axis 1 varying slowest. For d > 3 the first G points of the
 * Halton sequence (bases the first d primes, indices 1..G) mapped from
 * [0,1)^d to [-R, R)^d. Both fill the cube [-R, R]^d.
 * npmle_grid_check returns NULL when (G, d, R) is valid (G >= 2, R > 0 and
 * finite, for d <= 3 G = n^d with n >= 2), else a message written into buf
 * (n bytes) naming the nearest valid sizes. */
const char *npmle_grid_check(size_t G, size_t d, double R, char *buf,
                             size_t n);
/* Write the G points, (G, d) row-major, into theta. PREF_OK or PREF_EINPUT
 * (the message from npmle_grid_check). O(G d). */
int npmle_grid(size_t G, size_t d, double R, double *theta);

/* Bytes npmle_alloc needs for N users, G points and d features (the
 * likelihood rows dominate: 8 N G), or SIZE_MAX when it would overflow
 * size_t. Per-thread scratch (8 (mmax + 3) min(G, 128) bytes a thread) is
 * not counted. */
size_t npmle_bytes(size_t n_users, size_t G, size_t d);

/* The atoms of weight >= min_w among G points (weights w, points theta
 * (G, d)), their weights renormalised to sum 1: written to w_out and
 * theta_out (room for G and G d), count returned (0 when none is kept).
 * For W1 (w1.h): EM leaves weights like 1e-250 on most grid points, which
 * the transportation LP cannot scale; dropping a total mass s moves the
 * distribution by at most s times the grid's diameter in W1. O(G d). */
size_t npmle_support(const double *w, const double *theta, size_t G, size_t d,
                     double min_w, double *w_out, double *theta_out);

typedef struct npmle_workspace npmle_workspace;

/* Workspace for N users, G points, d features, queries of at most mmax
 * candidates. p may be NULL (defaults; it is copied). NULL on out of memory
 * (or invalid p). Free with npmle_free (NULL is a no-op). */
npmle_workspace *npmle_alloc(size_t n_users, size_t G, size_t d, size_t mmax,
                             const npmle_params *p);
void npmle_free(npmle_workspace *w);

/* Compute the likelihood rows of ds's users at the G points theta ((G, d),
 * copied), start from w0 (G weights on the simplex; NULL: uniform) and
 * evaluate there. ds must match the sizes given to npmle_alloc. Returns
 * PREF_OK, PREF_EINPUT (sizes, a bad w0) or PREF_ENUM (a user with no finite
 * log-likelihood at any point, or every start weight on points where some
 * user's likelihood underflows). O(G * answers * m * d). */
int npmle_set(npmle_workspace *w, const data_set *ds, const double *theta,
              const double *w0);

/* One step: a Newton step (its line search evaluates l at most 40 times;
 * EM when it fails), a SQUAREM cycle (3 EM-map evaluations) or one EM step.
 * The log-likelihood never decreases. PREF_OK or PREF_ENUM. O(N G). */
int npmle_iterate(npmle_workspace *w);

/* PREF_OK when the certificate is <= 1 + gap, else PREF_CONTINUE. */
int npmle_test(const npmle_workspace *w, double gap);

/* npmle_set then iterate/test until the certificate is <= 1 + p->gap or
 * p->max_iter steps. Returns PREF_OK (converged or not: see
 * npmle_converged) or an error of npmle_set/npmle_iterate. */
int npmle_run(npmle_workspace *w, const data_set *ds, const double *theta,
              const double *w0);

/* The state: weights (G, owned by w, valid until the next call), the
 * log-likelihood sum_i log f_i(w) (including the per-user scales m_i), the
 * certificate max_r c_r(w), steps taken, EM-map evaluations, and whether
 * the last npmle_run met its gap. */
const double *npmle_weights(const npmle_workspace *w);
double npmle_loglik(const npmle_workspace *w);
double npmle_certificate(const npmle_workspace *w);
size_t npmle_iterations(const npmle_workspace *w);
size_t npmle_evaluations(const npmle_workspace *w);
int npmle_converged(const npmle_workspace *w);

/* User i's likelihood row after npmle_set: the G values
 * e_ir = exp(log L_i(theta_r) - m_i), and m_i = max_r log L_i(theta_r) in
 * *m (when m is not NULL). i < N. */
const double *npmle_row(const npmle_workspace *w, size_t i, double *m);

#endif
