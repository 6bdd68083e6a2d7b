/* fisher.h — local identifiability: the Fisher information's spectrum.
 *
 * The sweep task computes the expected Fisher information per user of the
 * latent-class model at the finite [population] (identify_fisher: exact over
 * joint outcomes, Monte Carlo over identify.fisher_designs random designs of
 * design.T queries of the kind design.answer / design.m / design.r) and
 * reports its smallest and largest eigenvalue, their ratio, the numerical
 * rank, the number of eigenvalues below 1e-10 lambda_max, and the batch-means
 * Monte Carlo SE of the smallest eigenvalue. The experiment `fisher`
 * sweeps the asymmetry eta = (1/2 + eps, 1/2 - eps) of a two-type
 * population theta = (b, -b), T, and pairs vs top-1 of 3 vs full rankings
 * of 3. Deliberately not here: the information itself (src/identify.c). */
#ifndef HETPREF_FISHER_H
#define HETPREF_FISHER_H

#include <gsl/gsl_rng.h>

#include "cfg.h"
#include "sweep.h"

#define FISHER_NMETRICS 6

/* Eigenvalues below this times lambda_max count as zero (rank, n_small). */
#define FISHER_RANK_TOL 1e-10

/* Batches of designs for the Monte Carlo SE (fewer when fewer designs). */
#define FISHER_BATCHES 10

/* "lambda_min", "lambda_max", "ratio", "rank", "n_small", "lambda_min_se". */
extern const char *const fisher_metric_names[FISHER_NMETRICS];

/* Check the config suits the task: PREF_OK or PREF_EINPUT naming the key. */
int fisher_check(const cfg *c);

/* The sweep task. The designs' master seed is one draw of data (pools, if
 * any, are drawn from data first; the designs are the data, nothing is
 * estimated, rng is unused). metrics: lambda_min, lambda_max,
 * ratio = lambda_min / lambda_max (NaN when lambda_max <= 0), rank (> 1e-10
 * lambda_max), n_small (< 1e-10 lambda_max; = dim - rank), lambda_min_se.
 * PREF_OK, PREF_EINPUT, PREF_ENOMEM or PREF_ENUM. Time
 * O(fisher_designs N (K d + D^2)), N = (m!/(m-r)!)^T, D = K d + K - 1. */
int fisher_task(const cfg *c, gsl_rng *data, gsl_rng *rng, double *metrics);

/* The reproduce experiment: sweep_run of c into res_dir with the sweep
 * parameters sp. The sweep must vary design.answer, design.T and
 * population.eta (two types); the plot reads those columns of runs.csv. */
int fisher_experiment(const cfg *c, const char *res_dir, const sweep_params *sp);

/* Plot res_dir/runs.csv (replicate 0 of each cell) into
 * plot_dir/fisher.{gp,png,svg}: smallest eigenvalue vs eps at T = 1 (and
 * pairs at T = 2), and vs T at eps = 0; log y axis; error bars +-2 Monte
 * Carlo SE. PREF_OK (also without gnuplot), PREF_EIO or PREF_ENOMEM. */
int fisher_plot(const char *res_dir, const char *plot_dir);

#endif
