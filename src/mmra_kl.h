/* mmra_kl.h — KL-exact min–max regret aggregation: the worst type's
 * KL-regularised regret of a mixture of policies, minimised over the
 * mixture weights by Kelley's cutting-plane method on GLPK.
 *
 * The regret is exact, not linearised. Type k's (estimated) optimal policy
 * pi_k and the reference pi_ref define the type's implicit reward
 * r_k(y|x) = beta log(pi_k(y|x) / pi_ref(y|x)). Its KL-regularised value of
 * a policy pi is
 *
 *     V_k(pi) = E_x [ sum_y pi(y|x) r_k(y|x) - beta KL(pi(.|x) || pi_ref(.|x)) ]
 *             = beta E_x sum_y pi (log pi_k - log pi_ref - log pi + log pi_ref)
 *             = -beta E_x KL(pi(.|x) || pi_k(.|x)),
 *
 * and the best policy for r_k is pi_ref exp(r_k / beta) / Z = pi_k itself
 * (Z = sum_y pi_k = 1), with value V_k* = beta E_x log Z = 0. So the regret
 * of type k under the deployed mixture pi_w(.|x) = sum_j w_j pi_j(.|x) is
 * exactly
 *
 *     Regret_k(w) = V_k* - V_k(pi_w) = beta E_x KL(pi_w(.|x) || pi_k(.|x)),
 *
 * which is convex in w (KL is jointly convex, pi_w linear in w) and not
 * linear. Splitting log(pi_w / pi_k) at pi_ref,
 *
 *     Regret_k(w) = beta (E_x KL(pi_w || pi_ref) - sum_j w_j L_kj)
 *
 * with the value matrix L of pool.h, L_kj = E_x sum_y pi_j (log pi_k -
 * log pi_ref); at a vertex, w = e_j, that is beta (L_jj - L_kj). So with
 * equal regret weights the types differ only in the linear term, and the
 * problem is max-min utility on L penalised by the mixture's own KL cost.
 * (The linear MMRA of mmra.h uses R_kj = L_kk - L_kj instead: reward only,
 * without pi_j's own KL cost L_jj, and linear in w.) The tests check both
 * identities numerically against pool_value_matrix and eval_true_regret.
 *
 * KL-exact MMRA is min_{w in simplex} max_k R_k(w) with R_k = c_k
 * Regret_k (regret weights c_k > 0). On the pools of a data set, E_x is the
 * mean over prompts and the sums run over each prompt's pool. Its
 * derivative, restricted to the simplex (the component along (1, ..., 1),
 * which is c_k beta for every j, is dropped: it does not change any cut on
 * the simplex) is
 *
 *     G_kj(w) = c_k beta E_x sum_y pi_j(y|x) (log pi_w(y|x) - log pi_k(y|x)),
 *
 * and sum_j w_j G_kj(w) = R_k(w), so every cut of Kelley's method,
 * t >= R_k(w_i) + G_k(w_i) . (w - w_i), is simply t >= G_k(w_i) . w. Round
 * i evaluates R and G at w_i, adds the K cuts, and solves
 *
 *     min t  over w in simplex, t free,  s.t.  G_k(w_l) . w <= t  (all l <= i, k)
 *
 * — a min–max game with the cuts as rows — with mmra_solve_lp (GLPK behind
 * lp.h's lp_solve_verified, certified by its duals). Its verified dual
 * lower bound min_j (lambda^T G)_j bounds the KL problem from below (every
 * cut under-estimates its R_k), and min_i max_k R_k(w_i) from above; the
 * method stops when they agree to the relative gap (Kelley 1960, "The
 * cutting-plane method for solving convex programs", J. SIAM 8(4)). The
 * cut duals, summed per type, are the binding types.
 *
 * Not here: reading policies and pools (pool.h, mmra_game.h), the linear
 * game (mmra.h), files and flags (cli_mmra.c, mmraout.h). */
#ifndef HETPREF_MMRA_KL_H
#define HETPREF_MMRA_KL_H

#include <stddef.h>

#include "lp.h"
#include "policyio.h"
#include "pool.h"

typedef struct mmra_kl_params {
    double gap;          /* stop when upper - lower <= gap * upper; finite,
                            in (0, 1); default 1e-8 */
    size_t max_rounds;   /* cutting-plane rounds, >= 1; default 500 */
    lp_params lp;        /* GLPK options (lp_params_init defaults) */
} mmra_kl_params;

/* Set every field of p to its default. */
void mmra_kl_params_init(mmra_kl_params *p);

/* NULL when p is valid, else a static message naming the first bad field. */
const char *mmra_kl_params_check(const mmra_kl_params *p);

/* The problem, all arrays borrowed (they must outlive every call that
 * gets the problem). K policies = K types; policy k is type k's own. */
typedef struct mmra_kl_problem {
    size_t K;            /* >= 1 */
    size_t n_prompts;    /* >= 1 */
    const size_t *off;   /* (n_prompts + 1) pool p is items [off[p], off[p+1]),
                            off[0] = 0, nondecreasing */
    const double *logp;  /* (K, n_items) log pi_k(y|p), each pool normalised */
    const double *c;     /* (K) regret weights > 0, or NULL (all 1) */
    double beta;         /* KL temperature, finite, > 0 */
} mmra_kl_problem;

/* NULL when pr is valid (sizes, finite logp normalised per pool within
 * 1e-9, positive weights, beta), else a message (static or in a
 * thread-local buffer valid until the next call). O(K n_items). */
const char *mmra_kl_problem_check(const mmra_kl_problem *pr);

/* log pi_k of every policy of pols on every item of ps into logp (pols->K,
 * pool_n_items(ps)). Returns PREF_OK, PREF_EINPUT (feature counts differ),
 * PREF_ENOMEM or PREF_ENUM (a non-finite network output). */
int mmra_kl_logprobs(const pool_set *ps, const policy_set *pols, double *logp);

/* Doubles of work mmra_kl_eval needs: n_items + 2 K. */
size_t mmra_kl_work_size(size_t K, size_t n_items);

/* Every type's weighted regret R_k(w) = c_k beta E_x KL(pi_w || pi_k) into
 * R (K), and when G is not NULL the simplex gradient G (K, K) of the file
 * comment. w (K) must be in the simplex (not checked). work:
 * mmra_kl_work_size doubles. Never allocates. Returns max_k R_k(w).
 * O(K^2 n_items) with G, O(K n_items) without. */
double mmra_kl_eval(const mmra_kl_problem *pr, const double *w, double *R,
                    double *G, double *work);

/* The answer. */
typedef struct mmra_kl_result {
    size_t K;
    double *w;          /* (K) the mixture attaining `worst` */
    double *regret;     /* (K) R_k(w) */
    double *dual;       /* (K) the last LP's cut duals summed per type: a
                           mixture over types, positive for binding types */
    double worst;       /* the upper bound max_k R_k(w) = min over the
                           evaluated points of their worst regret */
    double lower;       /* the largest verified LP lower bound */
    size_t rounds;      /* cutting-plane rounds (points evaluated) */
    size_t lp_iterations; /* simplex iterations over all rounds */
    int converged;      /* 1 when worst - lower <= gap * worst */
} mmra_kl_result;

/* NULL on out-of-memory or K = 0. Free with mmra_kl_result_free (NULL is a
 * no-op). */
mmra_kl_result *mmra_kl_result_alloc(size_t K);
void mmra_kl_result_free(mmra_kl_result *res);

/* Kelley's method, alloc / set / iterate / test / get. */
typedef struct mmra_kl_solver mmra_kl_solver;

/* State for K types on n_items pool items, for at most max_rounds rounds
 * (>= 1). NULL on out-of-memory or a zero size. O(max_rounds K^2) memory. */
mmra_kl_solver *mmra_kl_alloc(size_t K, size_t n_items, size_t max_rounds);
void mmra_kl_free(mmra_kl_solver *s); /* NULL is a no-op */

/* Start on pr (borrowed: it and its arrays must stay unchanged until the
 * next set) with options p (NULL: defaults; copied), at the uniform mixture.
 * Returns PREF_OK or PREF_EINPUT (bad p, bad problem, sizes not those of
 * the alloc). */
int mmra_kl_set(mmra_kl_solver *s, const mmra_kl_problem *pr,
                const mmra_kl_params *p);

/* One round: evaluate R and G at the current point, update the upper bound,
 * add the K cuts, solve the cut LP (its verified lower bound, its mixture
 * the next point). Returns PREF_OK, PREF_ENUM (a non-finite regret),
 * PREF_ELP (the LP failed even exactly: message from mmra_solve_lp),
 * PREF_ENOMEM, or PREF_EINPUT when max_rounds rounds are already done.
 * O(K^2 n_items) plus one LP of rounds K rows and K + 1 columns. */
int mmra_kl_iterate(mmra_kl_solver *s);

/* PREF_OK when upper - lower <= gap * upper (or upper <= lower), else
 * PREF_CONTINUE. */
int mmra_kl_test(const mmra_kl_solver *s);

/* Rounds done since set. */
size_t mmra_kl_rounds(const mmra_kl_solver *s);

/* The best point so far into res (sized K): see mmra_kl_result. */
void mmra_kl_get(const mmra_kl_solver *s, mmra_kl_result *res);

/* Convenience: alloc, set, iterate until the test passes or max_rounds,
 * get. Not converging within max_rounds is not an error: PREF_OK with
 * res->converged = 0 (the caller must say so loudly). Returns PREF_OK,
 * PREF_EINPUT, PREF_ENOMEM, PREF_ENUM or PREF_ELP. */
int mmra_kl_solve(const mmra_kl_problem *pr, const mmra_kl_params *p,
                  mmra_kl_result *res);

#endif
