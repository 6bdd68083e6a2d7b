/* w1.h — 1-Wasserstein distance between two discrete distributions in R^d.
 *
 * The recovery metric of the estimation experiments: the error of an estimated mixing
 * distribution sum_k eta_hat_k delta_{theta_hat_k} against the truth is
 *
 *     W1(a, b) = min_{pi >= 0}  sum_ij pi_ij |xa_i - xb_j|_2
 *                s.t.  sum_j pi_ij = wa_i,  sum_i pi_ij = wb_j,
 *
 * the optimal-transport cost with Euclidean ground cost (Villani, "Optimal
 * Transport: Old and New", Def. 6.1 with p = 1). It ignores labels (any
 * permutation of the atoms gives the same value) and compares supports of
 * different sizes, e.g. K = 2 fitted types against K = 3 true ones.
 *
 * The transportation LP is solved exactly by the simplex method through
 * lp.h, and every answer is verified (w1_certify); one that does not
 * verify is solved again with GLPK's exact simplex, or refused. When either
 * side is a single point mass the LP has the closed form
 * sum_j w_j |x - x_j| and is skipped. Not here: entropic/Sinkhorn
 * approximations, other ground costs or powers (W2), continuous
 * distributions, and the 1-D sorted-CDF shortcut (the tests use it as an
 * independent reference). */
#ifndef HETPREF_W1_H
#define HETPREF_W1_H

#include <stddef.h>

/* How far each weight vector's sum may be from 1 before it is rejected. */
#define W1_SUM_TOL 1e-9

/* W1 between a = sum_i wa_i delta_{xa_i} (na atoms) and
 * b = sum_j wb_j delta_{xb_j} (nb atoms), points in R^d stored row-major:
 * xa is (na, d), xb is (nb, d). Weights must be finite and >= 0, and each
 * weight vector must sum to 1 within W1_SUM_TOL; the weights are then
 * divided by their sum (the caller's arrays are not modified). Zero weights
 * are allowed. Points must be finite. No pointer may be NULL and na, nb,
 * d >= 1; na * nb must not exceed LP_MAX_DIM (lp.h).
 *
 * Writes the distance (>= 0) to *out. Returns PREF_OK, PREF_EINPUT (bad
 * sizes, weights or points; a distance between two atoms overflowing
 * double), PREF_ELP (the LP failed or its answer did not verify, even
 * after GLPK's exact simplex; the message says why) or PREF_ENOMEM.
 * Allocates O(na nb) temporary memory per call (the LP).
 *
 * Time complexity: O(na nb d) to build the cost matrix, plus one simplex
 * solve of an LP with na nb columns and na + nb - 1 rows; O((na + nb) d)
 * when na == 1 or nb == 1. Thread-safe (see lp.h). */
int w1_distance(size_t na, const double *wa, const double *xa, size_t nb,
                const double *wb, const double *xb, size_t d, double *out);

/* The optimality certificate of a transportation LP: costs cost (na, nb,
 * row-major, finite, >= 0), marginals wa (na) and wb (nb) (>= 0, each
 * summing to 1), a plan (na, nb) and potentials v (nb) of b's atoms (e.g.
 * the LP's row duals). Computes
 *     upper = sum_ij c_ij max(0, plan_ij) + 2 (|r|_1 + |s|_1) max_ij c_ij
 * with r, s the plan's row and column residuals — a feasible plan that
 * close exists (Altschuler, Weed & Rigollet 2017, "Near-linear time
 * approximation algorithms for optimal transport", Lemma 7), so upper
 * bounds the optimum even when the plan misses its marginals — and
 *     lower = sum_i wa_i u_i + sum_j wb_j v_j,  u_i = min_j (c_ij - v_j)
 * (the c-transform makes any v dual feasible: a lower bound by weak
 * duality). Verified when
 *     upper - lower <= tol * max(upper, |lower|)
 *                      + 8 (na + nb + 2) DBL_EPSILON (m + max c),
 * m = sum_i wa_i |u_i| + sum_j wb_j |v_j|: tol relative to the value, plus
 * the rounding of the dual sum, whose terms may cancel. tol in (0, 1);
 * w1_distance uses lp_params.verify_tol's default LP_VERIFY_TOL. Returns
 * PREF_OK, PREF_ELP (not verified; the message gives both bounds) or
 * PREF_EINPUT (NULL, zero size, bad tol). Inputs are not otherwise
 * validated. O(na nb). */
int w1_certify(size_t na, const double *wa, size_t nb, const double *wb,
               const double *cost, const double *plan, const double *v,
               double tol, double *upper, double *lower);

/* As w1_distance, but always solves the transportation LP, even when a side
 * has a single atom. For cross-checking the closed form in tests. */
int w1_distance_lp(size_t na, const double *wa, const double *xa, size_t nb,
                   const double *wb, const double *xb, size_t d, double *out);

#endif
