/* equivalence.h — are two populations distinguishable from answers of a kind?
 *
 * The sweep task compares [population] with [compare] (both finite) by the
 * exact law of a user's T answers (identify_equivalence): over
 * identify.designs random designs drawn per [design] (answer kind from
 * design.answer / design.m / design.r, T = design.T), the largest and the
 * mean absolute difference of joint-outcome probabilities. The experiment
 * `equivalence` sweeps answer kinds, T and the polarisation b of
 * the polarised population against the indifferent one: pairs give
 * differences at rounding level (~1e-16), everything else clearly positive.
 * Deliberately not here: the exact joint law (src/identify.c) and the
 * numbering of outcomes (src/outcomes.c). */
#ifndef HETPREF_EQUIVALENCE_H
#define HETPREF_EQUIVALENCE_H

#include <gsl/gsl_rng.h>

#include "cfg.h"
#include "sweep.h"

#define EQUIV_NMETRICS 2

/* "max_abs_diff", "mean_abs_diff". */
extern const char *const equiv_metric_names[EQUIV_NMETRICS];

/* Check the config suits the task: PREF_OK or PREF_EINPUT naming the key
 * (gaussian [population], pools smaller than m, too many joint outcomes). */
int equiv_check(const cfg *c);

/* The sweep task: metrics = max_abs_diff, mean_abs_diff (identify.h).
 * Candidate pools (design.prompts > 0) and designs are drawn with data (the
 * random designs are the simulated input; nothing is estimated, rng is
 * unused). PREF_OK, PREF_EINPUT, PREF_ENOMEM or PREF_ENUM. Time
 * O(identify.designs N (K_A + K_B)), N = (m!/(m-r)!)^T. */
int equiv_task(const cfg *c, gsl_rng *data, gsl_rng *rng, double *metrics);

/* The reproduce experiment: sweep_run of c into res_dir (runs.csv,
 * summary.csv, config.ini) with the sweep parameters sp. The sweep must
 * vary design.answer, design.T and population.b (the plot reads those
 * columns of summary.csv). */
int equiv_experiment(const cfg *c, const char *res_dir, const sweep_params *sp);

/* Plot res_dir/summary.csv into plot_dir/equivalence.{gp,png,svg}: the
 * largest and the mean absolute difference per answer kind versus b, log y
 * axis, values below 1e-17 drawn at 1e-17. PREF_OK (also without gnuplot),
 * PREF_EIO or PREF_ENOMEM. */
int equiv_plot(const char *res_dir, const char *plot_dir);

#endif
