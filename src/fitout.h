/* fitout.h — the result tables of `hetpref fit` (latent-class model).
 *
 * estimates.csv  type,parameter,estimate,se,z,p,ci_low,ci_high — long
 *                form, one row per type and parameter: types 1..K in the
 *                canonical order of mix.h (decreasing weight), and for
 *                each the parameters "weight", then "theta[NAME]" for
 *                every feature in data order (NAME from data_feature_name:
 *                the column name, or x1..xd). z = estimate / se, p its
 *                two-sided normal p-value, [ci_low, ci_high] the Wald
 *                interval at the fit's level (stats_wald_at); se = 0
 *                (the weight of a single type) gives z and p NaN.
 *                estread.h reads it back.
 * vcov.csv       type,parameter,T:PARAM,... — the covariance matrix of
 *                the estimates, rows in the order of estimates.csv, one
 *                column per row named "type:parameter" ("1:weight",
 *                "1:theta[price]", ...); NaN where not estimable.
 * posteriors.csv user,p1..pK             (user ids as in the input; types
 *                in the order of estimates.csv)
 * fit.csv        loglik,aic,bic,icl,iterations,starts,best_start_hits,
 *                converged,empty_classes,identified,n_flat_directions,
 *                degenerate_classes,users,answers (identified,
 *                n_flat_directions, degenerate_classes from fitdiag.h;
 *                the first two NA when not analysed; users and answers
 *                (queries answered) of the data fitted)
 * evaluation.csv accuracy,ari,w1,w1_note (only with a type column; w1 NaN
 *                and w1_note saying why when there is no usable truth,
 *                w1_note empty when w1 is computed)
 * Numbers "%.17g" (NaN as "NaN"); every file written atomically.
 * Not here: fitting (mix.h), argument parsing (cli.c). */
#ifndef HETPREF_FITOUT_H
#define HETPREF_FITOUT_H

#include "data.h"
#include "fitdiag.h"
#include "mix.h"

/* Longest feature name fitout_param_name prints in full. */
#define FITOUT_NAME_MAX 256

/* The name of reported parameter j of a type (j = 0: "weight"; j >= 1:
 * "theta[NAME]" of feature j - 1) into buf (n bytes; cut to fit). */
const char *fitout_param_name(const data_set *ds, size_t j, char *buf, size_t n);

/* Write estimates.csv (intervals at level, 0 < level < 1), vcov.csv,
 * posteriors.csv and fit.csv (with the diagnostics dg of f) into dir
 * (which must exist). PREF_OK, PREF_EINPUT (bad level) or PREF_EIO. */
int fitout_write(const data_set *ds, const mix_fit *f, const fitdiag *dg,
                 double level, const char *dir);

/* Write posteriors.csv (user,p1..pK; post (n_users, K)) into dir. PREF_OK
 * or PREF_EIO. */
int fitout_write_posteriors(const data_set *ds, const double *post, size_t K,
                            const char *dir);

/* Write evaluation.csv into dir. w1_note: NULL when w1 was computed, else
 * why there is none (w1 is then written as NaN beside it). */
int fitout_write_eval(const char *dir, double accuracy, double ari, double w1,
                      const char *w1_note);

#endif
