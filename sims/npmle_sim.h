/* npmle_sim.h — the whole mixing distribution from one answer per user:
 * the grid NPMLE (npmle.h) on simulated data, against the truth.
 *
 * The sweep task `npmle` simulates [design] users from [population]
 * (gaussian, or finite with linear utilities), fits the NPMLE on the
 * regular grid [npmle] grid / radius and reports W1 to the truth: a finite
 * truth exactly (its atoms), a gaussian one discretised on the same grid
 * (sim_population_discretise: its density at the grid points, normalised).
 * The experiment `npmle` sweeps the answer kind and N (log-log slopes as in
 * `recovery`) and, for the largest N of each answer kind, writes the
 * estimated and the true grid weights of replicate 1 (the same data as the
 * sweep's) for heat maps. The experiment `npmle_polarised` is the same on
 * the polarised population {+b, -b}, whose pair law is that of 0: only its
 * figures' texts differ. Deliberately not here: the solver (npmle.c). */
#ifndef HETPREF_NPMLE_SIM_H
#define HETPREF_NPMLE_SIM_H

#include <gsl/gsl_rng.h>

#include "cfg.h"
#include "sweep.h"

#define NPMLESIM_NMETRICS 3

/* "w1", "certificate", "support" (atoms of weight >= 1e-12). */
extern const char *const npmlesim_metric_names[NPMLESIM_NMETRICS];

/* PREF_OK or PREF_EINPUT naming the key: a linear population, at most 3
 * features (a regular grid), a valid grid. */
int npmlesim_check(const cfg *c);

/* The sweep task (see above). Data from data; the NPMLE draws nothing (rng
 * unused). PREF_OK, PREF_EINPUT, PREF_ENOMEM or PREF_ENUM. O(N G). */
int npmlesim_task(const cfg *c, gsl_rng *data, gsl_rng *rng, double *metrics);

/* The experiment: the sweep (runs.csv, summary.csv), slopes.csv (log W1 on
 * log N per answer kind) and heat.csv (answer, theta1, theta2, estimate,
 * truth, diff = estimate - truth, odd = (diff(theta) - diff(-theta)) / 2).
 * A finite truth's column holds its atoms' weights at their grid points.
 * The sweep must vary design.answer then design.users, d = 2, and a finite
 * population's atoms be grid points (else PREF_EINPUT, before the sweep
 * runs: the heat maps draw the truth on the grid). */
int npmlesim_experiment(const cfg *c, const char *res_dir, const sweep_params *sp);

/* plot_dir/npmle.png (W1 vs N with slopes) and npmle_heat.png (estimate,
 * truth, difference and its odd part per answer kind). PREF_OK (also
 * without gnuplot), PREF_EIO or PREF_ENOMEM. */
int npmlesim_plot(const char *res_dir, const char *plot_dir);

/* The same figures of `npmle_polarised`, npmle_polarised.png and
 * npmle_polarised_heat.png (the true atoms circled). Same returns. */
int npmlesim_polarised_plot(const char *res_dir, const char *plot_dir);

#endif
