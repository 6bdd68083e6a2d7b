/* mmra_sim.h — the `mmra` experiment: EM-DPO
 * policies of both scenarios aggregated by min–max regret, with the regret
 * matrix, MMRA weights as one type's regret weight v runs over {1, 2, 4, 8},
 * and every aggregator's worst-type TRUE regret (true rewards, KL included:
 * Regret_t(pi) = beta E_p KL(pi || pi_t*)) on held-out prompts, KL-exact
 * MMRA (mmra_kl.h, on the estimated policies) among the aggregators, with
 * its cutting-plane rounds and gap, and every aggregator's paired
 * difference to it.
 * Policies are relabelled so that policy t is the one EM-DPO matched to true
 * type t (best permutation of the training posteriors).
 * Not here: the LP and aggregators (mmra.h), EM-DPO (emdpo.h). */
#ifndef HETPREF_MMRA_SIM_H
#define HETPREF_MMRA_SIM_H

#include "cfg.h"
#include "sweep.h"

int mmrasim_experiment(const cfg *c, const char *res_dir, const sweep_params *sp);
int mmrasim_plot(const char *res_dir, const char *plot_dir);

#endif
