/* test_nnls.c — Lawson–Hanson NNLS against brute force: on random seeded
 * problems every one of the 2^s passive sets is solved by a direct linear
 * solve (GSL LU) and the feasible one of least objective is the reference;
 * the KKT conditions of the returned point; a duplicated column (singular
 * Q) still gives a feasible point whose objective matches the optimum; bad
 * sizes are refused. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_test.h>

#include "err.h"
#include "nnls.h"

enum { S = 6, ROWS = 9 };

static double objective(const double *Q, const double *b, const double *x, size_t s)
{
    double v = 0.0;
    for (size_t a = 0; a < s; a++) {
        double qx = 0.0;
        for (size_t c = 0; c < s; c++) qx += Q[a * s + c] * x[c];
        v += 0.5 * x[a] * qx - b[a] * x[a];
    }
    return v;
}

/* The least objective over feasible passive-set solutions (brute force). */
static double brute(const double *Q, const double *b, size_t s)
{
    double best = 0.0; /* x = 0 */
    for (unsigned mask = 1; mask < (1u << s); mask++) {
        size_t idx[S], k = 0;
        for (size_t j = 0; j < s; j++)
            if (mask & (1u << j)) idx[k++] = j;
        gsl_matrix *A = gsl_matrix_alloc(k, k);
        gsl_vector *r = gsl_vector_alloc(k), *z = gsl_vector_alloc(k);
        gsl_permutation *p = gsl_permutation_alloc(k);
        for (size_t a = 0; a < k; a++) {
            gsl_vector_set(r, a, b[idx[a]]);
            for (size_t c = 0; c < k; c++) gsl_matrix_set(A, a, c, Q[idx[a] * s + idx[c]]);
        }
        int sg, ok = gsl_linalg_LU_decomp(A, p, &sg) == 0 &&
                     gsl_linalg_LU_solve(A, p, r, z) == 0;
        double x[S] = {0};
        for (size_t a = 0; ok && a < k; a++) {
            x[idx[a]] = gsl_vector_get(z, a);
            ok = isfinite(x[idx[a]]) && x[idx[a]] >= 0;
        }
        if (ok && objective(Q, b, x, s) < best) best = objective(Q, b, x, s);
        gsl_matrix_free(A);
        gsl_vector_free(r);
        gsl_vector_free(z);
        gsl_permutation_free(p);
    }
    return best;
}

/* Q = A'A for a random (ROWS, s) A, b = A'y for a random y; with dup,
 * column s-1 repeats column 0. */
static void problem(gsl_rng *r, size_t s, int dup, double *Q, double *b)
{
    double A[ROWS * S], y[ROWS];
    for (size_t i = 0; i < ROWS; i++) {
        y[i] = gsl_ran_gaussian(r, 1.0);
        for (size_t j = 0; j < s; j++) A[i * s + j] = gsl_ran_gaussian(r, 1.0);
        if (dup) A[i * s + s - 1] = A[i * s];
    }
    for (size_t a = 0; a < s; a++) {
        b[a] = 0.0;
        for (size_t i = 0; i < ROWS; i++) b[a] += A[i * s + a] * y[i];
        for (size_t c = 0; c < s; c++) {
            Q[a * s + c] = 0.0;
            for (size_t i = 0; i < ROWS; i++) Q[a * s + c] += A[i * s + a] * A[i * s + c];
        }
    }
}

static void test_random(gsl_rng *r, nnls_workspace *w, int dup)
{
    double Q[S * S], b[S], x[S];
    int kkt = 1, feas = 1, same = 1;
    for (int rep = 0; rep < 200; rep++) {
        problem(r, S, dup, Q, b);
        gsl_test_int(nnls_solve(w, S, Q, b, 1e-12, 4 * S, x), PREF_OK, "nnls: solve");
        for (size_t a = 0; a < S; a++) {
            double g = b[a];
            for (size_t c = 0; c < S; c++) g -= Q[a * S + c] * x[c];
            feas &= x[a] >= 0;
            /* KKT: g <= 0 at zero, g = 0 where positive (rounding 1e-9). */
            if (!dup) kkt &= x[a] > 0 ? fabs(g) < 1e-9 : g < 1e-9;
        }
        double ref = brute(Q, b, S), got = objective(Q, b, x, S);
        if (fabs(got - ref) > 1e-9 * (1.0 + fabs(ref))) {
            same = 0;
            fprintf(stderr, "rep %d: nnls %.17g, brute force %.17g\n", rep, got, ref);
        }
    }
    gsl_test(!feas, "nnls%s: x >= 0", dup ? " (singular)" : "");
    gsl_test(!kkt, "nnls%s: KKT conditions", dup ? " (singular)" : "");
    gsl_test(!same, "nnls%s: objective equals the brute-force optimum",
             dup ? " (singular)" : "");
}

int main(void)
{
    gsl_set_error_handler_off();
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 20261130);
    nnls_workspace *w = nnls_alloc(S);
    test_random(r, w, 0);
    test_random(r, w, 1);
    double Q[1] = {1}, b[1] = {1}, x[1];
    gsl_test_int(nnls_solve(w, S + 1, Q, b, 1e-12, 10, x), PREF_EINPUT,
                 "nnls: more variables than the workspace");
    gsl_test_int(nnls_solve(w, 0, Q, b, 1e-12, 10, x), PREF_EINPUT, "nnls: no variables");
    gsl_test(nnls_alloc(0) != NULL, "nnls: alloc(0) is NULL");
    nnls_free(NULL);
    nnls_free(w);
    gsl_rng_free(r);
    exit(gsl_test_summary());
}
