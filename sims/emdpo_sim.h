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
 *   Regret_t(pi) = V_t* - V_t(pi) = beta E_p KL(pi || pi_t*),
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

#define EMDPOSIM_NBASE 5
#define EMDPOSIM_MAXT 4
#define EMDPOSIM_NMETRICS (6 + 2 * EMDPOSIM_NBASE * EMDPOSIM_MAXT)

extern const char *const emdposim_metric_names[EMDPOSIM_NMETRICS];
extern const char *const emdposim_base_names[EMDPOSIM_NBASE];

#include "sim.h"

/* One simulated world: population, design (with pools), training users on
 * the training prompts and emdpo.test_users held-out users on the test
 * prompts. */
typedef struct emdposim_world {
    sim_population *pop;
    sim_design *g;
    data_set *train, *test;
} emdposim_world;

/* Simulate a world from c with the data generator data. PREF_OK or an
 * error (nothing to free). */
int emdposim_world_make(const cfg *c, gsl_rng *data, emdposim_world *w);
void emdposim_world_free(emdposim_world *w);

int emdposim_check(const cfg *c);
/* The sweep task: the world from data, the EM-DPO fit's seed from rng. */
int emdposim_task(const cfg *c, gsl_rng *data, gsl_rng *rng, double *metrics);

int emdposim_clusters_experiment(const cfg *c, const char *res_dir, const sweep_params *sp);
int emdposim_clusters_plot(const char *res_dir, const char *plot_dir);
int emdposim_groups_experiment(const cfg *c, const char *res_dir, const sweep_params *sp);
int emdposim_groups_plot(const char *res_dir, const char *plot_dir);

#endif
