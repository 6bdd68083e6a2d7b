/* lp.h — a small linear-programming API in front of GLPK's simplex solver.
 *
 * hetpref needs two kinds of LP: the min–max regret game of MMRA and the transportation LP behind the 1-Wasserstein
 * error metric. This module describes an LP in plain C
 * arrays and solves it with GLPK; src/lp.c is the only file in the project
 * that includes <glpk.h>.
 *
 * The problem is
 *
 *     minimise (or maximise)   c . x
 *     subject to               lo_i <= a_i . x <= hi_i    (rows i < n_rows)
 *                              lo_j <=    x_j  <= hi_j    (columns j < n_cols)
 *
 * where each row and column has a bound type (LP_FREE, LP_LO, LP_UP, LP_DB,
 * LP_FX) saying which of its two bounds apply. Indices are 0-based
 * everywhere. Every input is validated when it is set, before GLPK ever sees
 * it (GLPK calls abort() on bad arguments); a GLPK error that still happens is
 * caught by an error hook and returned as PREF_ELP — GLPK never terminates
 * the process and never writes to the terminal (unless lp_params.verbose).
 *
 * A min–max regret game min_w max_k sum_j w_j R_kj, w in the simplex, is
 *
 *     lp_problem *lp = lp_alloc(K + 1, J + 1, &err);  // columns w_0..w_{J-1}, t
 *     lp_set_obj_coef(lp, J, 1.0);                    // minimise t
 *     lp_set_col_bounds(lp, J, LP_FREE, 0, 0);        // t is free; w >= 0 by default
 *     for (k = 0; k < K; k++) {                       // R_k . w - t <= 0
 *         lp_set_row_sparse(lp, k, J, idx_0_to_J_minus_1, &R[k * J]);
 *         lp_set_coef(lp, k, J, -1.0);
 *         lp_set_row_bounds(lp, k, LP_UP, -INFINITY, 0.0);
 *     }
 *     lp_set_row(lp, K, ones_then_zero);              // sum_j w_j = 1
 *     lp_set_row_bounds(lp, K, LP_FX, 1.0, 1.0);
 *     lp_solve(lp, NULL, sol);                        // sol->x, sol->obj
 *
 * Threads. GLPK keeps all its state in one "environment". GLPK >= 4.61 built
 * with thread-local storage (glp_config("TLS") non-empty; Debian's GLPK 5.0
 * reports "_Thread_local") has one environment per thread, so independent
 * solves may run concurrently; lp_solve checks this at run time and, when
 * GLPK was built without TLS, serialises all GLPK use through one OpenMP
 * critical section. Every lp_solve creates and frees its own GLPK problem and
 * environment, so nothing GLPK-owned outlives a call and worker threads leak
 * nothing. An lp_problem is only read by lp_solve, so several threads may
 * solve the same problem at once; setters must not race with anything.
 *
 * Verification. A simplex answer is only as good as its floating-point
 * arithmetic: on badly scaled data (entries 1e-50 or 1e25 beside O(1) ones)
 * GLPK can declare a wrong basis optimal, or a feasible LP infeasible. So
 * every caller checks its answer with an optimality certificate of its own
 * (a primal upper and a dual lower bound recomputed from the data, agreeing
 * to lp_params.verify_tol) and, when it does not verify, solves again with
 * lp_params.exact = 1 (GLPK's rational simplex) and checks again.
 *
 * Deliberately not here: integer variables (MIP), interior point, warm starts
 * or basis reuse between solves, file formats (MPS/CPLEX LP), sensitivity
 * ranging, the certificates themselves (they depend on the problem). Only the
 * primal/dual simplex and, on request, the exact simplex; one cold solve per
 * call. */
#ifndef HETPREF_LP_H
#define HETPREF_LP_H

#include <stddef.h>

/* The largest n_rows and n_cols lp_alloc accepts: GLPK's own limits
 * (M_MAX = N_MAX = 100000000 in GLPK's prob.h). */
#define LP_MAX_DIM 100000000

/* The largest total number of nonzero constraint coefficients (GLPK's
 * NNZ_MAX). */
#define LP_MAX_NNZ 500000000

/* Bound types of rows and columns. Which of (lo, hi) is used:
 *   LP_FREE  neither            -inf <  v <  +inf
 *   LP_LO    lo                   lo <= v <  +inf
 *   LP_UP    hi                 -inf <  v <= hi
 *   LP_DB    both                 lo <= v <= hi     (lo <= hi; lo == hi is a
 *                                                    fixed value)
 *   LP_FX    both, lo == hi       v == lo
 * A bound that is used must be finite; a bound that is ignored may be any
 * finite value or +-INFINITY, but never NaN. Zero is not a valid type, so
 * an uninitialised type is caught. */
enum {
    LP_FREE = 1,
    LP_LO,
    LP_UP,
    LP_DB,
    LP_FX
};

/* Simplex variants (lp_params.method), as GLPK's glp_smcp.meth. */
enum {
    LP_PRIMAL = 1,  /* two-phase primal simplex (default) */
    LP_DUAL,        /* two-phase dual simplex */
    LP_DUALP        /* dual simplex; if it fails, primal */
};

/* Outcome of a solve (lp_solution.status). Only LP_OPTIMAL comes with
 * lp_solve returning PREF_OK; every other status comes with PREF_ELP (or
 * PREF_EINPUT for LP_NOT_SOLVED) and a message from pref_last_error(). */
enum {
    LP_OPTIMAL = 0,   /* an optimal basic solution was found */
    LP_INFEASIBLE,    /* "LP infeasible": no x satisfies the constraints */
    LP_UNBOUNDED,     /* "LP unbounded": objective improves without limit */
    LP_INF_OR_UNBD,   /* presolver: no dual feasible solution, so the LP is
                         unbounded or infeasible (not told apart) */
    LP_ITLIM,         /* iteration limit lp_params.it_lim reached */
    LP_TMLIM,         /* time limit lp_params.tm_lim_ms reached */
    LP_FAILED,        /* the simplex gave up: singular or ill-conditioned
                         basis, or no optimum for another reason */
    LP_GLPK_ERROR,    /* GLPK raised an internal error (caught by the hook) */
    LP_NOT_SOLVED     /* rejected before GLPK was called (bad arguments) */
};

/* Solver options, in the style of GLPK's glp_smcp. */
typedef struct lp_params {
    int method;       /* LP_PRIMAL (default), LP_DUAL or LP_DUALP */
    int presolve;     /* 1: run GLPK's LP presolver first; 0 (default).
                         With presolve, infeasible/unbounded are reported by
                         the presolver (LP_INFEASIBLE / LP_INF_OR_UNBD). */
    int scale;        /* 1 (default): scale the problem (GLP_SF_AUTO)
                         before solving; 0: solve it as given */
    double tol_bnd;   /* primal feasibility tolerance, in (0, 1); default
                         1e-7 (GLPK's) */
    double tol_dj;    /* dual feasibility tolerance, in (0, 1); default 1e-7 */
    double tol_piv;   /* pivot tolerance, in (0, 1); default 1e-9 */
    int it_lim;       /* simplex iteration limit, >= 0; default INT_MAX
                         (none) */
    int tm_lim_ms;    /* time limit in milliseconds, >= 0; default INT_MAX
                         (none) */
    int verbose;      /* 0 (default): GLPK prints nothing. 1: GLPK's normal
                         simplex log goes to stdout — for debugging only */
    int exact;        /* 0 (default): the floating-point simplex only.
                         1: then GLPK's exact rational simplex (glp_exact)
                         re-solves from the basis glp_simplex ended with (or
                         from the all-slack basis when that basis is not
                         usable, e.g. after a numerical failure), ignoring
                         `scale` and the three tolerances: the answer is the
                         exact optimum of the LP as given (its doubles),
                         rounded to double. (glp_exact itself would read
                         each non-integer double within 1e-9 relative, so
                         lp_solve first scales every row and the objective
                         by a power of two that makes their doubles
                         integers — exact, and undone in the answer; column
                         bounds, 0 or none in this project, are passed as
                         they are.) Immune to bad scaling, but each
                         pivot costs rational arithmetic: for re-solving an
                         answer that failed verification, not by default.
                         it_lim and tm_lim_ms apply to each of the two
                         solvers separately */
    double verify_tol;  /* relative tolerance of the optimality certificate
                         that callers check after lp_solve (mmra.h, w1.h):
                         the upper bound from the primal solution and the
                         lower bound from the dual one must agree to within
                         verify_tol times the magnitude of the terms that
                         make them up (each caller states its formula).
                         Finite, in (0, 1); default LP_VERIFY_TOL. lp_solve
                         itself does not use it */
} lp_params;

/* Default lp_params.verify_tol. GLPK's floating-point simplex works to
 * tol_bnd = tol_dj = 1e-7 relative to the scaled problem, so a correct
 * answer of it is certified only to about that: in the project's own
 * recovery experiment a W1 plan missed its marginals by 2e-8 and its
 * certificate's bounds differed by 5e-8 relative, while its value was
 * within 3e-11 of the exact one. 1e-6 accepts such answers as they are
 * (re-solving them exactly would only move their last digits) and catches
 * every answer off in its sixth significant digit; the wrong answers of
 * badly scaled games were off by factors. */
#define LP_VERIFY_TOL 1e-6

/* Set every field of p to its default (listed above; the tolerances and
 * limits are GLPK's own defaults). p must not be NULL. */
void lp_params_init(lp_params *p);

/* NULL if p is valid, else a static message naming the first bad field.
 * p must not be NULL. */
const char *lp_params_check(const lp_params *p);

/* An LP with a fixed number of rows and columns (opaque). */
typedef struct lp_problem lp_problem;

/* A new problem with n_rows constraints and n_cols variables: objective 0
 * (minimise), every column LP_LO with lo = 0 (x >= 0), every row LP_FREE
 * with no coefficients. Both sizes must be in 1..LP_MAX_DIM.
 * err may be NULL; it receives PREF_OK, PREF_EINPUT (bad size) or
 * PREF_ENOMEM. Returns NULL on failure (with the message in
 * pref_last_error()). Free with lp_free. O(n_rows + n_cols). */
lp_problem *lp_alloc(size_t n_rows, size_t n_cols, int *err);

/* Free the problem and everything it owns. NULL is a no-op. */
void lp_free(lp_problem *lp);

/* The sizes given to lp_alloc. lp must not be NULL. */
size_t lp_n_rows(const lp_problem *lp);
size_t lp_n_cols(const lp_problem *lp);

/* Set the objective: c has n_cols finite entries (NULL means all zero);
 * maximise != 0 maximises, 0 minimises. Returns PREF_OK or PREF_EINPUT (lp
 * NULL, a non-finite coefficient); on error nothing changes. O(n_cols). */
int lp_set_objective(lp_problem *lp, const double *c, int maximise);

/* Set one objective coefficient (finite) of column j < n_cols. Returns
 * PREF_OK or PREF_EINPUT. O(1). */
int lp_set_obj_coef(lp_problem *lp, size_t j, double c);

/* Set the bounds of column j < n_cols (see the bound types above). Returns
 * PREF_OK or PREF_EINPUT (bad index, bad type, NaN, a used bound infinite,
 * lo > hi for LP_DB, lo != hi for LP_FX); on error nothing changes. O(1). */
int lp_set_col_bounds(lp_problem *lp, size_t j, int type, double lo,
                      double hi);

/* Set the bounds of row i < n_rows; as lp_set_col_bounds. O(1). */
int lp_set_row_bounds(lp_problem *lp, size_t i, int type, double lo,
                      double hi);

/* Replace row i < n_rows by the dense coefficients a[0..n_cols) (all finite;
 * zeros are not stored). Returns PREF_OK, PREF_EINPUT (bad index, NULL a,
 * non-finite value) or PREF_ENOMEM; on error nothing changes. Allocates
 * only when the row grows beyond its largest size so far. O(n_cols). */
int lp_set_row(lp_problem *lp, size_t i, const double *a);

/* Replace row i < n_rows by n sparse entries: a_{i, idx[k]} = val[k] for
 * k < n. Indices must be in 0..n_cols-1 and distinct, values finite (zeros
 * are dropped); n may be 0 (an empty row), and then idx and val may be
 * NULL. Returns PREF_OK, PREF_EINPUT (out-of-range or duplicate index,
 * non-finite value, n > n_cols, NULL arrays with n > 0) or PREF_ENOMEM; on
 * error nothing changes. Duplicates are found with a scratch array
 * allocated by lp_alloc, so this is O(n) and not reentrant per problem. */
int lp_set_row_sparse(lp_problem *lp, size_t i, size_t n, const int *idx,
                      const double *val);

/* Set a single coefficient a_{i,j} (finite; 0 removes it), keeping the rest
 * of row i. Returns PREF_OK, PREF_EINPUT or PREF_ENOMEM. O(nnz of row i). */
int lp_set_coef(lp_problem *lp, size_t i, size_t j, double a);

/* Where lp_solve writes its answer. All arrays are owned by the struct. */
typedef struct lp_solution {
    size_t n_rows, n_cols;
    double *x;         /* (n_cols) primal values */
    double *col_dual;  /* (n_cols) reduced costs d_j = c_j - sum_i a_ij y_i */
    double *row_act;   /* (n_rows) row activities a_i . x */
    double *row_dual;  /* (n_rows) row duals y_i (GLPK's sign convention:
                          y_i = d(objective)/d(active bound of row i); for a
                          minimisation, >= 0 on an active lower bound and
                          <= 0 on an active upper bound; the signs flip when
                          maximising) */
    double obj;        /* objective value c . x */
    int status;        /* LP_OPTIMAL, ... (see above) */
    int iterations;    /* simplex iterations used (GLPK's glp_get_it_cnt) */
} lp_solution;

/* A solution buffer for problems of this size (sizes >= 1). Returns NULL on
 * out-of-memory or a zero size. Free with lp_solution_free. */
lp_solution *lp_solution_alloc(size_t n_rows, size_t n_cols);

/* NULL is a no-op. */
void lp_solution_free(lp_solution *sol);

/* Solve lp by the simplex method with options p (NULL means defaults) and
 * write the optimal basic solution into sol, whose sizes must match lp.
 * lp is not modified, so it may be solved again, after changes, any number
 * of times.
 *
 * With p->exact, glp_exact re-solves after glp_simplex whatever the latter
 * returned, and only glp_exact's outcome counts; sol->iterations is then
 * the total of both.
 *
 * Returns PREF_OK when GLPK's glp_simplex (glp_exact) returned 0 and the
 * solution status is optimal; then sol->status == LP_OPTIMAL and every field
 * is set.
 * Otherwise sol->status says why (when sol is not NULL), the arrays and
 * obj are NaN (left untouched if lp is NULL or the sizes do not match;
 * iterations is kept when known), and the return value is
 *   PREF_EINPUT  lp, sol or p invalid (NULL, size mismatch, bad field);
 *   PREF_ELP     infeasible ("LP infeasible"), unbounded ("LP unbounded"),
 *                iteration/time limit, solver failure, or a GLPK internal
 *                error (the message then quotes GLPK's own text);
 *   PREF_ENOMEM  out of memory outside GLPK.
 * (If GLPK cannot even allocate its environment it aborts; nothing can
 * intercept that.)
 *
 * Time complexity: each simplex iteration costs about O(nnz + n_rows^2)
 * (sparse LU updates); the number of iterations is typically a small
 * multiple of n_rows + n_cols, exponential only in contrived worst cases.
 * Setup is O(nnz + n_rows + n_cols). Safe to call from several threads at
 * once (see the file comment). */
int lp_solve(const lp_problem *lp, const lp_params *p, lp_solution *sol);

/* A caller's optimality certificate: given the solution of an lp_solve that
 * returned PREF_OK, return PREF_OK when it verifies, PREF_ELP (with a
 * message) when it does not, or any other code to stop. ctx is the
 * caller's. */
typedef int (*lp_verify_fn)(const lp_solution *sol, void *ctx);

/* lp_solve, then verify(sol, ctx). When either says PREF_ELP — GLPK's
 * floating-point simplex failed ("infeasible", "unbounded", a numerical
 * failure) or its answer does not verify — and p->exact is 0, the LP is
 * solved again with exact = 1 and verified again, unless the failure was
 * p's iteration or time limit (the caller's to choose). For LPs that always
 * have an optimum, so that any such failure is the arithmetic's. Returns
 * PREF_OK (sol verified; sol->iterations counts both solves), or the last
 * failure's code; an ELP message after the exact re-solve quotes both
 * failures. p NULL means defaults; verify must not be NULL. */
int lp_solve_verified(const lp_problem *lp, const lp_params *p,
                      lp_solution *sol, lp_verify_fn verify, void *ctx);

/* The version string of the linked GLPK, e.g. "5.0", for results files.
 * Never NULL. */
const char *lp_backend_version(void);

/* 1 if the linked GLPK keeps one environment per thread (built with TLS),
 * so that lp_solve runs concurrently; 0 if lp_solve serialises. */
int lp_backend_thread_local(void);

/* Testing only: run lp_solve's GLPK session on a tiny valid problem, but
 * make a deliberately invalid GLPK call (glp_set_obj_coef with a column
 * number out of range) inside it, so that GLPK raises an internal error.
 * Returns PREF_ELP with status LP_GLPK_ERROR through the same error-hook
 * path lp_solve uses; the process must survive and later solves must work.
 * Never use outside tests. */
int lp_test_provoke_error(void);

#endif
