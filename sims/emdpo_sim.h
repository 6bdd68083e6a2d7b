/* emdpo_sim.h — EM-DPO in simulation: the `emdpo` sweep task (every
 * baseline, exact per-type evaluation on held-out users and prompts) and the
 * experiments `emdpo_clusters` and `emdpo_groups`.
 *
 * Baselines: reference (the uniform/quality reference policy), dpo (one
 * policy on everyone), cluster_dpo (one M-step on the initial hard
 * clustering: EM iteration 0), emdpo, oracle (one M-step on the true
 * types). For each true type t (up to 4): held-out answer accuracy (does
 * the policy's top candidate match the annotator's first choice, ties
 * split) and exact regret over the held-out prompts' pools,
 *   Regret_t(pi) = V_t* - V_t(pi) = beta E_p KL(pi || pi_t*)  (SPEC §4),
 * where type t is served by the policy matched to it (best permutation of
 * the training posteriors; oracle: its own; dpo, reference: the single one).
 * Not here: the EM engine (src/emdpo.h). */
#ifndef HETPREF_EMDPO_SIM_H
#define HETPREF_EMDPO_SIM_H

#include <stdio.h>

#include <gsl/gsl_rng.h>

#include "cfg.h"
#include "sweep.h"
#include "emdpo.h"

#define EMDPO_NBASE 5
#define EMDPO_MAXT 4
#define EMDPO_NMETRICS (6 + 2 * EMDPO_NBASE * EMDPO_MAXT)

extern const char *const emdpo_metric_names[EMDPO_NMETRICS];
extern const char *const emdpo_base_names[EMDPO_NBASE];

#include "sim.h"

/* One simulated world: population, design (with pools), training users on
 * the training prompts and emdpo.test_users held-out users on the test
 * prompts. */
typedef struct emdpo_world {
    sim_population *pop;
    sim_design *g;
    data_set *train, *test;
} emdpo_world;

/* Simulate a world from c with rng. PREF_OK or an error (nothing to free). */
int emdpo_world_make(const cfg *c, gsl_rng *rng, emdpo_world *w);
void emdpo_world_free(emdpo_world *w);

int emdpo_sim_check(const cfg *c);
int emdpo_sim_task(const cfg *c, gsl_rng *rng, double *metrics);

int emdpo_clusters_experiment(const cfg *c, const char *res_dir, const sweep_params *sp);
int emdpo_clusters_plot(const char *res_dir, const char *plot_dir);
int emdpo_groups_experiment(const cfg *c, const char *res_dir, const sweep_params *sp);
int emdpo_groups_plot(const char *res_dir, const char *plot_dir);

#endif
