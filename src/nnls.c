/* nnls.c — Lawson–Hanson active-set NNLS on the normal equations (see
 * nnls.h). The passive subproblem is refactorised by Cholesky at every
 * change of the passive set: the sets here are small (tens of variables),
 * so an updating factorisation would not pay. Callers turn GSL's error
 * handler off (main does) so that a failed Cholesky returns a status. */
#include "nnls.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_linalg.h>

#include "err.h"

struct nnls_workspace {
    size_t smax;
    double *chol;   /* (smax, smax) Cholesky factor of Q_PP */
    double *rhs;    /* (smax) b_P, then z_P */
    double *z;      /* (smax) the passive solution, 0 elsewhere */
    size_t *pidx;   /* (smax) the passive set */
    char *state;    /* (smax) 0 free at zero, 1 passive, 2 left out */
};

void nnls_free(nnls_workspace *w)
{
    if (!w) return;
    free(w->chol);
    free(w->rhs);
    free(w->z);
    free(w->pidx);
    free(w->state);
    free(w);
}

nnls_workspace *nnls_alloc(size_t smax)
{
    if (smax == 0 || smax > ((size_t)1 << 20)) return NULL;
    nnls_workspace *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->smax = smax;
    w->chol = malloc(smax * smax * sizeof(double));
    w->rhs = malloc(smax * sizeof(double));
    w->z = malloc(smax * sizeof(double));
    w->pidx = malloc(smax * sizeof(size_t));
    w->state = malloc(smax);
    if (!w->chol || !w->rhs || !w->z || !w->pidx || !w->state) {
        nnls_free(w);
        return NULL;
    }
    return w;
}

/* z = the solution of Q_PP z_P = b_P (0 off P). Returns 0, or -1 when
 * Q_PP is not numerically positive definite. */
static int passive_solve(nnls_workspace *w, size_t s, const double *Q,
                         const double *b)
{
    size_t k = 0;
    for (size_t j = 0; j < s; j++)
        if (w->state[j] == 1) w->pidx[k++] = j;
    for (size_t a = 0; a < k; a++) {
        for (size_t c = 0; c < k; c++)
            w->chol[a * k + c] = Q[w->pidx[a] * s + w->pidx[c]];
        w->rhs[a] = b[w->pidx[a]];
    }
    memset(w->z, 0, s * sizeof(double));
    if (k == 0) return 0;
    gsl_matrix_view A = gsl_matrix_view_array(w->chol, k, k);
    gsl_vector_view v = gsl_vector_view_array(w->rhs, k);
    if (gsl_linalg_cholesky_decomp1(&A.matrix) != 0 ||
        gsl_linalg_cholesky_svx(&A.matrix, &v.vector) != 0)
        return -1;
    for (size_t a = 0; a < k; a++) {
        if (!isfinite(w->rhs[a])) return -1;
        w->z[w->pidx[a]] = w->rhs[a];
    }
    return 0;
}

/* The free variable with the largest gradient b_j - (Qx)_j above tol, or s
 * when there is none (x is optimal over the variables not left out). */
static size_t entering(const nnls_workspace *w, size_t s, const double *Q,
                       const double *b, const double *x, double tol)
{
    size_t best = s;
    double gmax = tol;
    for (size_t j = 0; j < s; j++) {
        if (w->state[j] != 0) continue;
        double g = b[j];
        for (size_t c = 0; c < s; c++) g -= Q[j * s + c] * x[c];
        if (g > gmax) {
            gmax = g;
            best = j;
        }
    }
    return best;
}

/* Move from x towards z until the first passive variable reaches 0 and free
 * the variables that did; repeat until z_P > 0 (Lawson–Hanson inner loop).
 * Returns 0, or -1 when a passive solve fails. */
static int inner_loop(nnls_workspace *w, size_t s, const double *Q,
                      const double *b, double *x)
{
    while (1) {
        if (passive_solve(w, s, Q, b)) return -1;
        double alpha = 1.0;
        size_t hit = s; /* the variable that reaches 0 first */
        for (size_t j = 0; j < s; j++) {
            if (w->state[j] != 1 || w->z[j] > 0) continue;
            double a = x[j] / (x[j] - w->z[j]);
            if (hit == s || a < alpha) {
                alpha = a;
                hit = j;
            }
        }
        if (hit == s) {
            memcpy(x, w->z, s * sizeof(double));
            return 0;
        }
        for (size_t j = 0; j < s; j++) {
            if (w->state[j] != 1) continue;
            x[j] += alpha * (w->z[j] - x[j]);
            if (j == hit || x[j] <= 0) {
                x[j] = 0.0;
                w->state[j] = 0;
            }
        }
    }
}

int nnls_solve(nnls_workspace *w, size_t s, const double *Q, const double *b,
               double tol, size_t max_iter, double *x)
{
    if (s == 0 || s > w->smax)
        PREF_ERROR(PREF_EINPUT, "nnls: %zu variables, workspace for %zu", s, w->smax);
    memset(w->state, 0, s);
    memset(x, 0, s * sizeof(double));
    for (size_t it = 0; it < max_iter; it++) {
        size_t j = entering(w, s, Q, b, x, tol);
        if (j == s) return PREF_OK;
        w->state[j] = 1;
        if (inner_loop(w, s, Q, b, x)) {
            /* Q_PP singular with j: leave j out; restore a feasible x by
             * re-solving on the passive set without it. */
            w->state[j] = 2;
            for (size_t c = 0; c < s; c++)
                if (w->state[c] == 1 && x[c] <= 0) w->state[c] = 0;
            if (inner_loop(w, s, Q, b, x)) return PREF_CONTINUE;
        }
    }
    return PREF_CONTINUE;
}
