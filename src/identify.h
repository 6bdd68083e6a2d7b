/* identify.h — identifiability of finite latent-class populations.
 *
 * What it does. A "design" is T queries shown to one user, each with m
 * candidates (features x (m, d)) answered by an ordered top-r tuple. Because
 * a user keeps her type for all her answers, the law of a user's
 * joint answer o = (o_1..o_T) under a finite population (eta_k, theta_k) is
 *
 *   P(o) = sum_k eta_k prod_t P_PL(o_t | theta_k).
 *
 * This module enumerates every joint outcome of a design exactly (there are
 * (m!/(m-r)!)^T of them) and computes
 *   1. observational equivalence: |P_A(o) - P_B(o)| for two populations over
 *      many random designs (identify_equivalence);
 *   2. the expected Fisher information per user of the latent-class model with
 *      parameters phi = (theta_1..theta_K, alpha_1..alpha_{K-1}),
 *      eta = softmax(alpha_1..alpha_{K-1}, 0):
 *          I = E_design sum_o P(o) s(o) s(o)^T,   s = d log P(o) / d phi,
 *          d/dtheta_k = gamma_k(o) sum_t d log P_PL(o_t | theta_k)/dtheta,
 *          d/dalpha_j = gamma_j(o) - eta_j,  gamma_k = eta_k L_k / sum_l eta_l L_l,
 *      exact over outcomes, Monte Carlo over designs, with its eigenvalues,
 *      numerical rank and a batch-means standard error per eigenvalue
 *      (identify_fisher);
 *   3. whether a configuration suits these computations (identify_check).
 * All products are sums of logs; mixtures are log-sum-exp. Outcomes are
 * enumerated by an odometer over per-query outcome tables with prefix sums,
 * so one joint outcome costs O(K d + D^2) (D = K d + K - 1) and the loops over
 * outcomes never allocate (workspaces are allocated once).
 *
 * Index conventions. Outcomes are numbered as in outcomes.h: those of one
 * query in mixed radix (m, m-1, ..., m-r+1), digit s the position of the
 * s-th ranked candidate among the candidates not yet ranked (so 0 ..
 * m!/(m-r)! - 1, lexicographic in the candidates); a joint outcome in mixed
 * radix over the queries, query 0 the most significant digit. The parameter
 * vector is laid out as theta_1 (d), ..., theta_K (d), alpha_1, ...,
 * alpha_{K-1}.
 *
 * Deliberately not here: the numbering of outcomes (outcomes.h); Gaussian
 * (continuous) populations — their joint law is an integral, not a finite
 * sum; estimation; the `hetpref identify` tables and their CSV files
 * (identify_tables.h); printing (the command layer prints
 * pref_last_error()). */
#ifndef HETPREF_IDENTIFY_H
#define HETPREF_IDENTIFY_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "cfg.h"
#include "sim.h"

/* Largest number of joint outcomes of one design that is enumerated
 * (2^22: pairs up to T = 12, top-1 of 3 up to T = 12, full rankings of 3 up
 * to T = 8). More is PREF_EINPUT. */
#define IDENTIFY_MAX_OUTCOMES ((size_t)1 << 22)

/* Joint outcomes of a design: (m!/(m-r)!)^T, with r clamped to m - 1 (a
 * ranking of all m is a ranking of m - 1). Returns 0 when the count exceeds
 * IDENTIFY_MAX_OUTCOMES or the arguments are invalid (m < 2, r < 1, T < 1). */
size_t identify_n_outcomes(size_t m, size_t r, size_t T);

/* Dimension of the latent-class parameter vector: K d + K - 1. */
size_t identify_dim(size_t K, size_t d);

/* ---- one design -------------------------------------------------------- */

typedef struct identify_workspace identify_workspace;

/* Scratch for designs of T queries with m candidates ranked r deep, d
 * features, and populations of at most K types. NULL on failure, with
 * *err = PREF_EINPUT (K or d is 0, or identify_n_outcomes(m, r, T) is 0:
 * too many outcomes or bad sizes) or PREF_ENOMEM; else *err = PREF_OK (err
 * may be NULL). Memory O(T n1 K d + D^2), n1 = m!/(m-r)!; it does not store
 * the joint outcomes. Free with identify_workspace_free (NULL is a no-op). */
identify_workspace *identify_workspace_alloc(size_t K, size_t d, size_t m,
                                             size_t r, size_t T, int *err);
void identify_workspace_free(identify_workspace *w);

/* Number of joint outcomes of w's designs. */
size_t identify_workspace_outcomes(const identify_workspace *w);

/* The exact probability of every joint outcome of one design.
 * p: finite population (1 <= p->K <= the workspace's K, p->d = its d).
 * x: (T, m, d) row-major features, query t at x + t m d.
 * prob: identify_workspace_outcomes(w) entries, overwritten (index as in the
 * header comment). Returns PREF_OK, or PREF_EINTERNAL when p does not fit w
 * (gaussian, more types than w was sized for, other d). Time
 * O(N K + T n1 K r m), N joint outcomes; no allocation. */
int identify_joint_probs(const sim_population *p, const double *x,
                         identify_workspace *w, double *prob);

/* The Fisher information of one design: info (D, D) row-major, D =
 * identify_dim(p->K, p->d), overwritten with sum_o P(o) s(o) s(o)^T (full
 * symmetric). score_mean (D entries, may be NULL) is overwritten with
 * sum_o P(o) s(o), which is 0 up to rounding at any parameter value (a check).
 * Same requirements and return codes as identify_joint_probs. Time
 * O(N (K d + D^2)); no allocation. */
int identify_fisher_design(const sim_population *p, const double *x,
                           identify_workspace *w, double *info,
                           double *score_mean);

/* Draw the features of design number index of a Monte Carlo run with master
 * seed seed: rng (any generator; it is reseeded) is set to
 * rngs_seed(seed, index, IDENTIFY_STREAM_DESIGN) and T queries are drawn with
 * sim_draw_query from g (g->m is used, g->T is ignored). x: (T, g->m, g->d);
 * work: g->m + max(g->pool, g->m) uint32s. This is the contract that makes
 * identify_fisher independent of the thread count, exposed for tests. */
#define IDENTIFY_STREAM_DESIGN 0x46697368ULL
void identify_design_draw(const sim_design *g, size_t T, unsigned long seed,
                          size_t index, gsl_rng *rng, double *x,
                          uint32_t *work);

/* ---- many designs ------------------------------------------------------ */

/* Observational equivalence of populations A and B (both finite, same d as
 * g) over n_designs random designs of T queries drawn from g (g->m and g->r
 * give the answer kind; g->T is ignored) one after another with rng.
 * *max_abs_diff = max over designs and joint outcomes of |P_A(o) - P_B(o)|;
 * *mean_abs_diff = the mean over designs of the mean over joint outcomes.
 * Returns PREF_OK, PREF_EINPUT (gaussian population, mismatched d, too many
 * outcomes, n_designs = 0, pools smaller than m), PREF_ENOMEM or PREF_ENUM
 * (a non-finite probability). Allocates O(N) once.
 * Time O(n_designs N (K_A + K_B)). */
int identify_equivalence(const sim_population *A, const sim_population *B,
                         const sim_design *g, size_t T, size_t n_designs,
                         gsl_rng *rng, double *max_abs_diff,
                         double *mean_abs_diff);

typedef struct identify_fisher_params {
    size_t designs;   /* random designs averaged (>= 2); default 400 */
    size_t batches;   /* batches for the Monte Carlo SE (2..designs); 10 */
    double tol;       /* rank: eigenvalues > tol * lambda_max; 1e-10 */
} identify_fisher_params;

void identify_fisher_params_init(identify_fisher_params *p);

/* NULL when p is valid, else a static message. */
const char *identify_fisher_params_check(const identify_fisher_params *p);

typedef struct identify_fisher_result {
    size_t K, d, dim;     /* dim = K d + K - 1 */
    size_t designs, batches;
    double *info;         /* (dim, dim) average information per user */
    double *eval;         /* (dim) eigenvalues of info, ascending */
    double *eval_se;      /* (dim) Monte Carlo SE of each eigenvalue */
    size_t rank;          /* eigenvalues > tol * lambda_max */
} identify_fisher_result;

/* Result storage for K types and d features. NULL on failure, with *err =
 * PREF_EINPUT (K or d is 0) or PREF_ENOMEM; else *err = PREF_OK (err may be
 * NULL). Free with identify_fisher_result_free (NULL is a no-op). */
identify_fisher_result *identify_fisher_result_alloc(size_t K, size_t d,
                                                     int *err);
void identify_fisher_result_free(identify_fisher_result *r);

/* Expected Fisher information per user of the latent-class model at the
 * finite population p, for designs of T queries of kind (g->m, g->r) drawn
 * from g. Design i is drawn by identify_design_draw(g, T, seed, i, ...); the
 * per-design matrices are computed in parallel (OpenMP) and summed in design
 * order, so the result is bit-identical for any thread count.
 * Monte Carlo SE (batch means): the designs are split into `batches`
 * contiguous batches of (nearly) equal size; eval_se[i] is the sample
 * standard deviation over batches of the i-th smallest eigenvalue of the
 * batch-average information, divided by sqrt(batches).
 * par may be NULL (defaults). res must come from
 * identify_fisher_result_alloc(p->K, p->d). Returns PREF_OK, PREF_EINPUT
 * (gaussian population, mismatched sizes, bad params, too many outcomes,
 * pools smaller than m),
 * PREF_ENOMEM or PREF_ENUM (eigen-solver failure or a non-finite
 * information). Time O(designs N (K d + D^2) / threads + batches D^3). */
int identify_fisher(const sim_population *p, const sim_design *g, size_t T,
                    unsigned long seed, const identify_fisher_params *par,
                    identify_fisher_result *res);

/* ---- configuration ----------------------------------------------------- */

/* Check that c suits an identifiability computation for designs of T
 * queries of m candidates ranked r deep: [population] finite, the candidate
 * pools (design.prompts > 0) hold at least m candidates, and the joint
 * outcomes can be enumerated. blame_key (a CFG_KEY_... index) is named when
 * there are too many outcomes. PREF_OK or PREF_EINPUT ("FILE:LINE: [section]
 * key: why"). */
int identify_check(const cfg *c, size_t m, size_t r, size_t T, int blame_key);

#endif
