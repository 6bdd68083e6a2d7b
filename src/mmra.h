/* mmra.h — min–max regret aggregation and the aggregators it is
 * compared with.
 *
 * Given K types and J candidate policies, a regret matrix R (K, J) holds the
 * regret R_kj >= 0 of type k when policy j is deployed. For policies built
 * per type (J = K) from the value matrix L (pool.h) it is
 *
 *     R_ij = c_i (L[i][i] - L[i][j])         (mmra_regret_matrix)
 *
 * with positive regret weights c. A mixture w in simplex(J) deploys policy j
 * with probability w_j, so type k's regret is (R w)_k, linear in w. MMRA is
 * the mixture minimising the worst type's regret, the value of the zero-sum
 * game min_w max_k (R w)_k, found as the linear program
 *
 *     minimise t   over w in simplex(J), t free,
 *     subject to   sum_j w_j R_kj - t <= 0      for every type k
 *
 * with GLPK (lp.h), and the answer is verified (mmra_verify: the primal
 * mixture's worst regret and the duals' lower bound must agree) and solved
 * again exactly when it is not. t is left free rather than bounded by t >= 0:
 * the two agree whenever R >= 0 (then t >= 0 is implied), and for an R from
 * L with negative off-diagonal entries (possible: policy j may score higher
 * than policy i on type i's implicit reward log pi_i / pi_ref) the free t is
 * the true min–max instead of a tie at 0. The LP's row duals form a mixture
 * over types (the maximising player's optimal strategy): types with a
 * positive dual are the ones that bind.
 *
 * The authors solve the same game with optimistic Hedge; mmra_hedge is that
 * cross-check: both players run optimistic multiplicative weights (OMWU =
 * optimistic FTRL with the entropy regulariser; Rakhlin & Sridharan 2013,
 * Syrgkanis et al. 2015, "Fast convergence of regularized learning in
 * games", NeurIPS) simultaneously, and the time averages of both players'
 * strategies are returned; their duality gap is an O(log(KJ) / (eta T))
 * certificate.
 *
 * Aggregators compared (mmra_aggregate): each single policy, the
 * eta-weighted utilitarian choice, the uniform mixture, the max–min utility
 * mixture and MMRA; for each, the mixture, every type's regret and the worst.
 *
 * Not here: building L from policies (pool.h, mmra_game.h), reading files
 * (cli_mmra.c), writing result tables (mmraout.h), true-regret evaluation
 * in simulation. */
#ifndef HETPREF_MMRA_H
#define HETPREF_MMRA_H

#include <stddef.h>

#include "lp.h"

/* Solvers (mmra_params.solver). */
enum { MMRA_LP = 0, MMRA_HEDGE = 1 };

typedef struct mmra_params {
    int solver;          /* MMRA_LP (default) or MMRA_HEDGE */
    size_t hedge_iters;  /* rounds of optimistic Hedge, >= 1 (default
                            100000) */
    double hedge_step;   /* Hedge step relative to the spread of R: the
                            step is eta = hedge_step / (max R - min R)
                            (hedge_step itself when R is constant); finite,
                            > 0. Default 1: on random games steps 1..4
                            converge fastest and above ~8 the averages
                            start to degrade; the RVU analysis of
                            Syrgkanis et al. guarantees the fast rate for
                            steps up to about 1/4, slower in practice */
    lp_params lp;        /* GLPK options (lp_params_init defaults) */
} mmra_params;

/* The solver's name: "lp" (MMRA_LP), "hedge" (MMRA_HEDGE), "?" else. */
const char *mmra_solver_name(int solver);

/* Set every field of p to its default. */
void mmra_params_init(mmra_params *p);

/* NULL when p is valid, else a static message naming the first bad field. */
const char *mmra_params_check(const mmra_params *p);

/* A solution of the min–max regret game. */
typedef struct mmra_result {
    size_t K, J;
    double *w;          /* (J) mixture over policies, in the simplex */
    double *regret;     /* (K) each type's regret under w: (R w)_k */
    double *dual;       /* (K) mixture over types: the LP's row duals (types
                           with dual > 0 bind), or Hedge's averaged type
                           strategy */
    double worst;       /* max_k regret[k]: the worst-type regret of w */
    double lower;       /* min_j (dual^T R)_j: a lower bound on the game
                           value, so worst - lower >= 0 is the duality gap
                           (~0 for the LP) */
    double lp_obj;      /* the LP's objective t (NaN for Hedge) */
    size_t iterations;  /* simplex iterations, or Hedge rounds */
} mmra_result;

/* Buffers for a K x J game (K, J >= 1); NULL on out-of-memory or a zero
 * size. Free with mmra_result_free (NULL is a no-op). */
mmra_result *mmra_result_alloc(size_t K, size_t J);
void mmra_result_free(mmra_result *res);

/* R (K, K) from the square value matrix L (K, K), both row-major:
 * R_ij = c_i (L[i][i] - L[i][j]). c (K) may be NULL (all 1). Returns
 * PREF_OK, or PREF_EINPUT when K = 0, an entry of L is not finite, or a
 * weight is not finite and positive (R untouched). O(K^2). */
int mmra_regret_matrix(size_t K, const double *L, const double *c, double *R);

/* Every type's regret under mixture w (J): regret[k] = (R w)_k (regret may
 * be NULL). Returns the worst, max_k (R w)_k. No validation. O(K J). */
double mmra_mixture_regret(size_t K, size_t J, const double *R,
                           const double *w, double *regret);

/* The optimality certificate of a solution of the game R (K, J). From
 * res->w and res->dual (which must be mixtures: entries finite and >= 0,
 * summing to 1 within tol) it recomputes, directly from R,
 *     upper = max_k (R w)_k           -> res->worst (and res->regret)
 *     lower = min_j (dual^T R)_j      -> res->lower
 * By weak duality lower <= game value <= upper for ANY two mixtures. For
 * the test each sum is widened by a bound on its own rounding,
 * 2 (n + 2) DBL_EPSILON sum |terms| (n terms), so that rounding cannot make
 * a wrong answer look right; with U and L the widened bounds, k* the type
 * attaining U and j* the policy attaining L, the answer is verified when
 *     U - L <= tol * max(sum_j w_j |R_k*j|, sum_k dual_k |R_kj*|):
 * tol relative to the magnitude of the terms of the binding type's and the
 * best policy's sums. For R >= 0 that is max(upper, lower) itself; with
 * mixed signs a value near 0 by cancellation is still verified, while huge
 * entries of types and policies that do not bind do not loosen the test.
 * Also, since cancellation can hide a gap from that test, upper must not
 * exceed the best single policy's worst regret min_j max_k R_kj (computed
 * without rounding) by more than tol * max(|upper|, |that|): a game whose
 * optimal mixture cannot be evaluated in double precision is refused.
 * Invariant to scaling R by a positive factor. tol in (0, 1); mmra_solve_lp
 * uses lp_params.verify_tol (LP_VERIFY_TOL = 1e-6 by default). gap (may be
 * NULL) receives (U - L) / magnitude (U - L itself when the magnitude is
 * 0; +inf when w or dual is not a mixture). Returns PREF_OK, PREF_ELP (not
 * verified; the message gives both bounds) or PREF_EINPUT (sizes,
 * non-finite R, bad tol). res->lp_obj and res->iterations are untouched.
 * O(K J). */
int mmra_verify(size_t K, size_t J, const double *R, double tol,
                mmra_result *res, double *gap);

/* Solve the MMRA LP for R (K, J), K, J >= 1, with GLPK options lpp (NULL:
 * defaults). The LP's w and duals are cleaned (entries below 0 set to 0,
 * then renormalised to sum 1) and the answer is verified by mmra_verify
 * with lpp->verify_tol. When GLPK's floating-point simplex fails on this
 * always-solvable LP (a wrong answer, "infeasible", "unbounded", a
 * numerical failure: all seen on badly scaled R, entries 1e-50 or 1e25
 * beside O(1) ones) the LP is solved again with lpp->exact = 1 (GLPK's
 * exact rational simplex) and verified again; iterations counts both
 * solves. Never returns an unverified answer. Returns PREF_OK, PREF_EINPUT
 * (zero size, a non-finite entry, res of another size, bad lpp),
 * PREF_ENOMEM or PREF_ELP (the iteration or time limit of lpp reached, or
 * even the exact re-solve failed or did not verify: the message says which
 * and quotes the first failure). GLPK never aborts the process. Simplex,
 * typically O(K + J) iterations of O(K J) work, plus O(K J) to verify; the
 * exact re-solve, when needed, costs rational arithmetic per pivot. */
int mmra_solve_lp(size_t K, size_t J, const double *R, const lp_params *lpp,
                  mmra_result *res);

/* Optimistic Hedge for both players, alloc / set / iterate / gap style. */
typedef struct mmra_hedge mmra_hedge;

/* State for a K x J game; NULL on out-of-memory or a zero size. */
mmra_hedge *mmra_hedge_alloc(size_t K, size_t J);
void mmra_hedge_free(mmra_hedge *h); /* NULL is a no-op */

/* Start a run on R (K, J), borrowed: it must stay alive and unchanged until
 * the next mmra_hedge_set. The step is eta = step / (max R - min R) (or step
 * when R is constant): the updates are invariant to adding a constant to R
 * and this makes them invariant to scaling it too. Both players start
 * uniform. Returns PREF_OK or PREF_EINPUT (non-finite entry, step not
 * finite and positive). O(K J). */
int mmra_hedge_set(mmra_hedge *h, const double *R, double step);

/* One simultaneous round. With policy strategy w_t and type strategy y_t,
 * losses l_t = R^T y_t (policies, minimising) and gains g_t = R w_t
 * (types, maximising) are added to the running sums S, and
 *     w_{t+1} ∝ exp(-eta (S^w_t + l_t)),   y_{t+1} ∝ exp(eta (S^y_t + g_t))
 * — optimistic FTRL: the last loss is the prediction of the next one. The
 * averages of w_1..w_T and y_1..y_T are kept. O(K J), no allocation. */
void mmra_hedge_iterate(mmra_hedge *h);

/* Rounds done since mmra_hedge_set. */
size_t mmra_hedge_rounds(const mmra_hedge *h);

/* The averaged strategies so far into res (sizes K, J): w, regret, worst,
 * dual (the averaged type strategy), lower, iterations = rounds; lp_obj =
 * NaN. Before the first round the averages are the uniform starts. Returns
 * the duality gap worst - lower (>= 0 up to rounding). O(K J). */
double mmra_hedge_get(const mmra_hedge *h, mmra_result *res);

/* Convenience: set, then p->hedge_iters rounds, then get. Returns PREF_OK,
 * PREF_EINPUT (bad p, zero size, non-finite entry, res of another size) or
 * PREF_ENOMEM. O(hedge_iters K J). */
int mmra_solve_hedge(size_t K, size_t J, const double *R,
                     const mmra_params *p, mmra_result *res);

/* mmra_solve_lp (with p->lp) or mmra_solve_hedge, as p->solver says;
 * p NULL means defaults (LP). */
int mmra_solve(size_t K, size_t J, const double *R, const mmra_params *p,
               mmra_result *res);

/* ---- size ----------------------------------------------------------------- */

/* The largest game mmra solves: J policies and K x J entries. The cost of
 * a game is its dense LP (K rows, J columns, K x J nonzeros, solved twice
 * with the aggregators: measured about 1 s at 200 x 200 and 30 s at 500 x
 * 500 on a loaded 2-core machine, growing about as min(K, J)^3.5, so some
 * minutes at 1000 x 1000), Hedge's O(iters K J), the aggregators' O(K J)
 * and their tables (aggregator_weights.csv: (J + 4) x J rows). */
#define MMRA_MAX_POLICIES 1000
#define MMRA_MAX_ENTRIES 1000000

/* PREF_OK when a K x J game is within MMRA_MAX_POLICIES and
 * MMRA_MAX_ENTRIES, else PREF_EINPUT with a message, prefixed by what (may
 * be NULL; e.g. the input file), giving the size, the limits and the
 * estimated cost. O(1). */
int mmra_check_size(size_t K, size_t J, const char *what);

/* ---- aggregators ------------------------------------------------------- */

/* Kinds of aggregator, in the order mmra_aggregate lists them. */
enum {
    MMRA_AGG_SINGLE = 0,   /* one row per policy j: w = e_j */
    MMRA_AGG_UTILITARIAN,  /* argmin_j sum_k eta_k R_kj (ties: lowest j) */
    MMRA_AGG_UNIFORM,      /* w_j = 1 / J */
    MMRA_AGG_MAXMIN,       /* argmax_w min_k sum_j w_j U_kj (LP) */
    MMRA_AGG_MMRA          /* the min–max regret mixture */
};

/* Short name of a kind: "single", "utilitarian", "uniform",
 * "maxmin_utility", "mmra"; "?" for anything else. */
const char *mmra_agg_name(int kind);

/* The aggregators of a K x J game: n = J + 4 rows, singles first (row j is
 * policy j), then utilitarian, uniform, max–min utility, MMRA. */
typedef struct mmra_aggs {
    size_t K, J, n;
    int *kind;       /* (n) MMRA_AGG_* */
    size_t *policy;  /* (n) the policy chosen by a single or the
                        utilitarian row; SIZE_MAX for mixtures */
    double *w;       /* (n, J) mixtures */
    double *regret;  /* (n, K) each type's regret under the row's mixture */
    double *worst;   /* (n) max over types */
} mmra_aggs;

/* Buffers for a K x J game; NULL on out-of-memory or a zero size. */
mmra_aggs *mmra_aggs_alloc(size_t K, size_t J);
void mmra_aggs_free(mmra_aggs *a); /* NULL is a no-op */

/* Fill a (sized K x J) with every aggregator on regret matrix R (K, J).
 *
 * eta (K, may be NULL: uniform) weighs the types for the utilitarian
 * choice; entries finite and >= 0 with a positive sum (scale is
 * irrelevant). The utilitarian row is the single policy minimising
 * sum_k eta_k R_kj; since that objective is linear in w, it is also the
 * best eta-weighted mixture (a vertex of the simplex), so no separate row.
 *
 * U (K, J, may be NULL) are the utilities of the max–min utility mixture,
 * argmax_w min_k sum_j w_j U_kj, solved as an LP (with p->lp). Pass the
 * value matrix L (J = K) when it is known: then the utilities are the
 * types' values including how well each type can be served at all, and the
 * mixture differs from MMRA. With U NULL (a regret matrix alone, any shape)
 * the utilities are U = -R — values are known only up to a per-type
 * constant, and this choice measures each from the type's regret-free
 * benchmark — so the max–min utility mixture is an MMRA solution by
 * construction (possibly a different optimal vertex).
 *
 * w_mmra (J, may be NULL) is the MMRA mixture to report (e.g. from
 * mmra_solve with the solver the user chose); NULL solves the LP here.
 *
 * p may be NULL (defaults). Returns PREF_OK, PREF_EINPUT (sizes, non-finite
 * R or U, bad eta, a w_mmra not in the simplex), PREF_ENOMEM or PREF_ELP.
 * O(K J) (a single policy's regrets are its column of R) plus up to two
 * LPs; memory O((J + 4)(J + K)) for a. */
int mmra_aggregate(size_t K, size_t J, const double *R, const double *U,
                   const double *eta, const double *w_mmra,
                   const mmra_params *p, mmra_aggs *a);

#endif
