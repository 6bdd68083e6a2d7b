/* mmraout.h — the result tables of `hetpref mmra` for a solved labelled
 * game (mmra_game.h), all written into one directory:
 *
 *   weights.csv            policy,weight            the chosen mixture
 *   regrets.csv            type,regret              each type under it
 *   summary.csv            solver,worst_regret,iterations (see
 *                          mmraout_write_kl for the KL-exact objective's)
 *   duals.csv              type,dual                LP duals / Hedge's
 *                                                   averaged type strategy
 *   aggregators.csv        aggregator,type,regret   every aggregator, one
 *                                                   row per type plus a
 *                                                   MMRA_GAME_WORST row
 *   aggregator_weights.csv aggregator,policy,weight their mixtures
 *
 * Aggregator names: "single:<policy>", "utilitarian", "uniform",
 * "maxmin_utility", "mmra" (mmra_agg_name). Numbers "%.17g" (C locale),
 * names through csv_fwrite when they need quoting (csvio_put_*).
 *
 * Not here: solving (mmra.h), building the game (mmra_game.h), the run's
 * config.ini and the output directory's creation (the `mmra` command). */
#ifndef HETPREF_MMRAOUT_H
#define HETPREF_MMRAOUT_H

#include "mmra.h"
#include "mmra_game.h"
#include "mmra_kl.h"

/* The aggregator name of the KL-exact mixture in aggregators.csv. */
#define MMRAOUT_KL_NAME "mmra_kl"

/* Write the six tables for game g (names only are read), solved by solver
 * (MMRA_LP or MMRA_HEDGE) into res (sized g->K x g->J), with the
 * aggregators a (sized likewise), into dir, which must exist. Each file is
 * written to a temporary and renamed only after every table was opened and
 * written, so on error none of them appears (a stale file of an earlier
 * run is left as it was). Returns PREF_OK or PREF_EIO (message names the
 * file). */
int mmraout_write(const char *dir, const mmra_game *g, int solver,
                  const mmra_result *res, const mmra_aggs *a);

/* The same six tables for a KL-exact solve kl (sized g->K), with
 * weights.csv, regrets.csv and duals.csv from kl (regrets: c_k beta
 * E KL(pi_w || pi_k)), summary.csv
 *   objective,worst_regret,lower_bound,rounds,relative_gap,converged,
 *   lp_iterations
 * ("kl"; worst_regret the upper bound attained by the weights, lower_bound
 * the cutting planes' verified lower bound, relative_gap (worst - lower) /
 * worst, converged 0 when the gap was not reached), and the aggregator
 * tables with a's rows (the caller puts the KL regrets of each
 * aggregator's mixture into a->regret and a->worst) followed by the
 * MMRAOUT_KL_NAME rows of kl. Same atomicity and return codes as
 * mmraout_write. */
int mmraout_write_kl(const char *dir, const mmra_game *g,
                     const mmra_kl_result *kl, const mmra_aggs *a);

#endif
