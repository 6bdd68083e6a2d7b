/* lcl.h — latent-class estimation experiments.
 *
 * The sweep task `lcl`: simulate a data set from [population] and [design]
 * with the task's generator, fit fit.types classes by EM (mix.h), and report
 * the 1-Wasserstein error of the estimated mixing distribution against the
 * truth (label-free), clustering accuracy and ARI, log-likelihood, AIC, BIC,
 * ICL, iterations, convergence, how many starts reached the best optimum,
 * emptied classes, and the coverage of the 95% Wald intervals (fraction of
 * the K*(d+1) parameters whose interval holds the truth, after aligning
 * labels; NaN unless fit.types equals the true K).
 *
 * Experiments on top of it: `recovery` (W1 vs N, log-log; the fitted slopes
 * with their intervals in slopes.csv beside summary.csv),
 * `budget` (W1 vs answers per user at fixed N*T), `select_k` (BIC and ICL vs
 * K), `coverage` (standard-error calibration). Not here: the estimator. */
#ifndef HETPREF_LCL_H
#define HETPREF_LCL_H

#include <gsl/gsl_rng.h>

#include "cfg.h"
#include "sweep.h"

#define LCL_NMETRICS 12
extern const char *const lcl_metric_names[LCL_NMETRICS];

int lcl_check(const cfg *c);
/* The sweep task: design and answers simulated from data, the EM starts'
 * seed from rng. */
int lcl_task(const cfg *c, gsl_rng *data, gsl_rng *rng, double *metrics);

int lcl_recovery_experiment(const cfg *c, const char *res_dir, const sweep_params *sp);
int lcl_recovery_plot(const char *res_dir, const char *plot_dir);
/* The recovery figure of any sweep laid out like recovery's (design.answer
 * pair/top1/full, then design.users; metric w1; slopes.csv beside):
 * plot_dir/<name>.{gp,png,svg} titled title (no single quotes). */
int lcl_w1_plot(const char *res_dir, const char *plot_dir, const char *name,
                const char *title);
int lcl_budget_experiment(const cfg *c, const char *res_dir, const sweep_params *sp);
int lcl_budget_plot(const char *res_dir, const char *plot_dir);
int lcl_selectk_experiment(const cfg *c, const char *res_dir, const sweep_params *sp);
int lcl_selectk_plot(const char *res_dir, const char *plot_dir);
int lcl_coverage_experiment(const cfg *c, const char *res_dir, const sweep_params *sp);
int lcl_coverage_plot(const char *res_dir, const char *plot_dir);

#endif
