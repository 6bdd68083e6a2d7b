/* nnls.h — non-negative least squares in normal-equation form.
 *
 * Minimises q(w) = (1/2) w'Qw - b'w subject to w >= 0 for a symmetric
 * positive semidefinite Q (s, s), by the active-set method of Lawson and
 * Hanson (1974, ch. 23) in the normal-equation form of Bro and de Jong
 * (1997): variables enter the passive set one at a time by the largest
 * gradient component b - Qw, and the passive subproblem Q_PP z = b_P is
 * solved by Cholesky (GSL). A variable whose entry makes Q_PP numerically
 * singular (Cholesky fails) is left out for the rest of the solve; the
 * result then satisfies the KKT conditions on the variables that remain.
 *
 * Used by the constrained-Newton step of the NPMLE (npmle.c), where Q is
 * S'S for the N x s matrix of likelihood ratios. Nothing allocates after
 * nnls_alloc. Not here: the least-squares matrix itself, bounds other than
 * zero. */
#ifndef HETPREF_NNLS_H
#define HETPREF_NNLS_H

#include <stddef.h>

typedef struct nnls_workspace nnls_workspace;

/* Workspace for problems of at most smax variables. NULL on out of memory
 * or smax = 0. Free with nnls_free (NULL is a no-op). */
nnls_workspace *nnls_alloc(size_t smax);
void nnls_free(nnls_workspace *w);

/* Solve for s <= smax variables: Q (s, s) row-major, symmetric (only read),
 * b (s). Writes the minimiser into x (s). Stops when every variable outside
 * the passive set has b_j - (Qx)_j <= tol or after max_iter entries.
 * Returns PREF_OK, PREF_EINPUT (s > smax, s = 0) or PREF_CONTINUE (max_iter
 * reached; x is feasible and q(x) <= q(0) = 0 but not optimal). Time
 * O(max_iter s^3) at worst, O(k s^2 + k^4) for a passive set of k. */
int nnls_solve(nnls_workspace *w, size_t s, const double *Q, const double *b,
               double tol, size_t max_iter, double *x);

#endif
