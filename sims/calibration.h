/* calibration.h — does the simulator answer with the right frequencies?
 *
 * For random query designs drawn from the configured design, every possible
 * answer (ordered top-r tuple of m candidates) gets its exact probability
 * under the configured finite population, sum_k eta_k P_PL(o | theta_k); then
 * `answers` fresh users (type drawn from eta) answer the query through
 * sim_draw_user + pl_sample, and the counts are compared with the exact
 * probabilities: Pearson chi-square (df = outcomes - 1 per design, summed over
 * independent designs) and its p-value, the largest absolute frequency
 * difference, and the largest |z| = |f - p| / sqrt(p (1 - p) / n).
 * Needs a finite population (latent_class, polarised, indifferent) and at
 * most CALIB_MAX_OUTCOMES outcomes per query. */
#ifndef HETPREF_CALIBRATION_H
#define HETPREF_CALIBRATION_H

#include <stdio.h>

#include <gsl/gsl_rng.h>

#include "cfg.h"
#include "sweep.h"

#define CALIB_NMETRICS 6
#define CALIB_MAX_OUTCOMES 40320

extern const char *const calib_metric_names[CALIB_NMETRICS];

/* Check the config suits calibration: PREF_OK or PREF_EINPUT. */
int calib_check(const cfg *c);

/* The sweep task: metrics = chi2, df, p_value, max_abs_diff, max_abs_z,
 * answers. Everything is simulated (from data); there is no estimator, rng
 * is unused. */
int calib_task(const cfg *c, gsl_rng *data, gsl_rng *rng, double *metrics);

/* Same with the data generator data, and when detail is not NULL writes one
 * CSV row per (design, outcome): answer,design,outcome,exact,empirical,se,
 * count,n — answer is label. */
int calib_run(const cfg *c, gsl_rng *data, double *metrics, FILE *detail,
              const char *label);

/* The reproduce experiment: a sweep over answer kinds plus one frequency
 * table, written to res_dir; plot into plot_dir. */
int calib_experiment(const cfg *c, const char *res_dir, const sweep_params *sp);
int calib_plot(const char *res_dir, const char *plot_dir);

#endif
