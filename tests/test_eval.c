/* test_eval.c — evaluation against a truth: the assignment search (hand
 * cases, exact versus greedy), label alignment with unmatched and missing
 * labels, ARI hand values, and the exact regret (zero for the optimal
 * policy, the KL identity for the reference policy, a one-policy mixture
 * equal to the single policy) on a seeded two_traits world. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_test.h>

#include "cfg.h"
#include "data.h"
#include "err.h"
#include "eval.h"
#include "nn.h"
#include "rngs.h"
#include "sim.h"

static void test_assign(void)
{
    /* Hand case: the diagonal sums to 3, the best permutation (1, 2, 0)
     * to 9 + 8 + 7 = 24. */
    double s[9] = {1, 9, 0,
                   0, 1, 8,
                   7, 0, 1};
    size_t perm[3];
    gsl_test_rel(eval_assign(s, 3, perm), 24.0, 1e-15, "assign: best total 24");
    gsl_test(perm[0] != 1 || perm[1] != 2 || perm[2] != 0, "assign: (1, 2, 0)");
    /* Ties keep the first permutation in lexicographic order: identity. */
    double z[4] = {0, 0, 0, 0};
    size_t pz[2];
    eval_assign(z, 2, pz);
    gsl_test(pz[0] != 0 || pz[1] != 1, "assign: ties keep the identity");
    /* Negative scores (minus costs) work: min cost = max of -cost. */
    double c[4] = {-5, -1, -2, -6};
    eval_assign(c, 2, pz);
    gsl_test(pz[0] != 1 || pz[1] != 0, "assign: negative scores");
    /* Above EVAL_EXACT_MAX the greedy rule: a permuted diagonal of large
     * entries over small noise is found exactly. */
    enum { N = 10 };
    double g[N * N];
    for (size_t r = 0; r < N; r++)
        for (size_t k = 0; k < N; k++) g[r * N + k] = 0.01 * (double)((r * 7 + k * 3) % 5);
    for (size_t r = 0; r < N; r++) g[r * N + (r * 3 + 1) % N] = 10.0 + (double)r;
    size_t pg[N];
    eval_assign(g, N, pg);
    int ok = 1;
    for (size_t r = 0; r < N; r++) ok &= pg[r] == (r * 3 + 1) % N;
    gsl_test(!ok, "assign: greedy above %d labels", EVAL_EXACT_MAX);
}

static void test_align(void)
{
    /* Six users, estimated labels (by posterior) 1,1,0,0,0,1; truth
     * 0,0,1,1,0,DATA_NONE. Matching 1->0, 0->1 gets 4 of the 5 counted. */
    double post[12] = {0.2, 0.8, 0.1, 0.9, 0.7, 0.3,
                       0.6, 0.4, 0.55, 0.45, 0.3, 0.7};
    uint32_t truth[6] = {0, 0, 1, 1, 0, DATA_NONE};
    size_t perm[2];
    gsl_test_rel(eval_align(post, 6, 2, truth, 2, perm), 0.8, 1e-15,
                 "align: accuracy 4/5 (missing label skipped)");
    gsl_test(perm[0] != 1 || perm[1] != 0, "align: labels swapped");
    gsl_test_int((int)eval_n_labels(truth, 6), 2, "two true labels");
    /* Three estimated classes against two true ones: one is unmatched. */
    double p3[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    uint32_t t3[3] = {1, 0, 0};
    size_t perm3[3];
    gsl_test_rel(eval_align(p3, 3, 3, t3, 2, perm3), 2.0 / 3.0, 1e-15,
                 "align: 3 classes on 2 types");
    gsl_test(perm3[0] != 1 || perm3[2] != SIZE_MAX, "align: unmatched class");
    gsl_test(!isnan(eval_align(post, 6, 2, (uint32_t[6]){DATA_NONE, DATA_NONE,
                                                        DATA_NONE, DATA_NONE,
                                                        DATA_NONE, DATA_NONE},
                               2, NULL)),
             "align: NaN without any label");
}

static void test_ari(void)
{
    /* Hand values: identical partitions 1 (any relabelling); (0,0,1,1) vs
     * (0,1,0,1): sum_ij C(n_ij,2) = 0, expected 2*2/6, max 2, so
     * ARI = (0 - 2/3) / (2 - 2/3) = -1/2. */
    uint32_t a[4] = {0, 0, 1, 1}, b[4] = {0, 1, 0, 1}, c[4] = {1, 1, 0, 0};
    gsl_test_rel(eval_ari(a, c, 4), 1.0, 1e-15, "ARI of a relabelling is 1");
    gsl_test_rel(eval_ari(a, b, 4), -0.5, 1e-15, "ARI hand value -1/2");
    uint32_t big[2] = {0, EVAL_MAX_LABELS};
    gsl_test(!isnan(eval_ari(big, big, 2)), "ARI: a label >= %d is NaN",
             EVAL_MAX_LABELS);
    double post[8] = {0.9, 0.1, 0.8, 0.2, 0.3, 0.7, 0.4, 0.6}, ari;
    gsl_test_int(eval_ari_post(post, 4, 2, c, &ari), PREF_OK, "ARI of posteriors");
    gsl_test_rel(ari, 1.0, 1e-15, "ARI of MAP labels (0,0,1,1) vs (1,1,0,0)");
}

static void test_pool_regret(void)
{
    /* One pool of three: pi* = pi_ref exp(r / beta) / Z has regret 0, and
     * the reference policy has regret beta KL(pi_ref || pi*);
     * both computed by hand below. */
    double beta = 0.6, lref[3], r[3] = {0.3, -1.1, 0.85}, pr[3] = {0.5, 0.3, 0.2};
    for (int y = 0; y < 3; y++) lref[y] = log(pr[y]);
    double Z = 0, ps[3], lps[3];
    for (int y = 0; y < 3; y++) Z += pr[y] * exp(r[y] / beta);
    double kl = 0;
    for (int y = 0; y < 3; y++) {
        ps[y] = pr[y] * exp(r[y] / beta) / Z;
        lps[y] = log(ps[y]);
        kl += pr[y] * (lref[y] - lps[y]);
    }
    gsl_test_abs(eval_pool_regret(3, ps, lps, r, lref, beta), 0.0, 1e-14,
                 "regret of the optimal policy is 0");
    gsl_test_rel(eval_pool_regret(3, pr, lref, r, lref, beta), beta * kl, 1e-13,
                 "regret of the reference = beta KL(pi_ref || pi*)");
    /* A candidate with pi = 0 (log -inf) contributes nothing. */
    double p0[3] = {0.0, 0.6, 0.4}, l0[3] = {-INFINITY, log(0.6), log(0.4)};
    gsl_test(!isfinite(eval_pool_regret(3, p0, l0, r, lref, beta)),
             "pi = 0 terms are skipped (0 log 0 = 0)");
}

static void test_true_regret(void)
{
    cfg c;
    cfg_init(&c);
    const char *kv[] = {"population.preset", "two_traits", "design.d", "4",
                        "design.m", "3", "design.users", "20", "design.prompts",
                        "12", "design.test_prompts", "5", "design.pool", "6", NULL};
    for (size_t i = 0; kv[i]; i += 2) cfg_set_dotted(&c, kv[i], kv[i + 1], NULL, 0);
    gsl_test_int(cfg_check(&c), PREF_OK, "world config");
    sim_population *pop = NULL;
    sim_design *g = NULL;
    gsl_rng *rng = rngs_alloc(31);
    gsl_test_int(sim_population_from_cfg(&c, &pop), PREF_OK, "population");
    gsl_test_int(sim_design_from_cfg(&c, rng, &g), PREF_OK, "design with pools");
    if (!pop || !g) return;
    nn_config net = {.d = g->d, .hidden = 5, .layers = 1, .act = NN_TANH};
    size_t np = nn_num_params(&net);
    double *params = malloc(2 * np * sizeof(double));
    double *work = malloc(eval_regret_work_size(&net, g->pool) * sizeof(double));
    nn_init_params(&net, params, rng);
    nn_init_params(&net, params + np, rng);
    size_t lo = g->prompts, hi = g->prompts + g->test_prompts;
    double one[2] = {0.0, 1.0}, half[2] = {0.5, 0.5};
    double single = eval_true_regret(pop, g, lo, hi, &net, params + np, np, 1, NULL,
                                     0, 0.8, work);
    double mixed = eval_true_regret(pop, g, lo, hi, &net, params, np, 2, one, 0, 0.8,
                                    work);
    gsl_test_rel(mixed, single, 1e-12, "a mixture with weight 1 on one policy "
                                       "is that policy (%.17g)", single);
    double ref = eval_true_regret(pop, g, lo, hi, &net, NULL, np, 1, NULL, 1, 0.8, work);
    double both = eval_true_regret(pop, g, lo, hi, &net, params, np, 2, half, 1, 0.8,
                                   work);
    gsl_test(!(ref >= 0) || !(both >= 0) || !(single >= 0),
             "regrets are >= 0 (%g, %g, %g)", ref, both, single);
    free(params);
    free(work);
    gsl_rng_free(rng);
    sim_design_free(g);
    sim_population_free(pop);
}

int main(void)
{
    gsl_set_error_handler_off();
    test_assign();
    test_align();
    test_ari();
    test_pool_regret();
    test_true_regret();
    exit(gsl_test_summary());
}
