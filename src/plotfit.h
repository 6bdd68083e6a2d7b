/* plotfit.h — plots of one latent-class fit directory: the estimated types
 * (every coefficient with its interval, one series per type) and the
 * posterior certainty of the users (a histogram of max_k P(type k | answers)).
 *
 * estimates.csv is read in either of the two forms hetpref has written, by
 * one reader (columns found by name, never by position):
 *   long:  type,parameter,estimate,se,z,p,ci_low,ci_high  with parameter
 *          "weight" or "theta[NAME]" (the interval is ci_low..ci_high; when
 *          those columns are absent, estimate +- z_0.975 se);
 *   wide:  type,weight,theta1..thetad,se_weight,se_theta1..se_thetad (any
 *          column X with a partner se_X is a parameter; thetaJ is shown as
 *          theta[xJ]; the interval is the Wald 95% estimate +- z_0.975 se).
 * posteriors.csv: a column "user", every other column a type's posterior.
 * Missing (NaN) estimates or standard errors are drawn without a point or an
 * interval, and plotfit_draw_types says so on stderr.
 * Drawing goes through plot.h only; the data are written into the .gp.
 * Not here: the fit itself (mix.h), writing the tables (fitout.h). */
#ifndef HETPREF_PLOTFIT_H
#define HETPREF_PLOTFIT_H

#include <stddef.h>

typedef struct plotfit_estimates {
    size_t n_types, n_params;  /* parameters other than the weight */
    char **type;               /* (n_types) type labels as in the file */
    char **param;              /* (n_params) names, e.g. theta[price] */
    double *weight;            /* (n_types) NaN when the file has none */
    double *est, *lo, *hi;     /* (n_types * n_params) row-major by type */
    const char *interval;      /* how lo..hi were obtained (static text) */
} plotfit_estimates;

/* Read path (an estimates.csv, long or wide) into *e (free with
 * plotfit_estimates_free). PREF_OK; PREF_EINPUT "PATH:LINE: ..." for a
 * file in neither form or a malformed row; PREF_EIO; PREF_ENOMEM. */
int plotfit_read_estimates(const char *path, plotfit_estimates **e);
void plotfit_estimates_free(plotfit_estimates *e); /* NULL is a no-op */

/* Read path (a posteriors.csv) and give each user's largest posterior in
 * *maxpost (malloc'd, *n_users entries; caller frees) and the number of
 * types. PREF_OK, PREF_EINPUT, PREF_EIO, PREF_ENOMEM. */
int plotfit_read_certainty(const char *path, double **maxpost,
                           size_t *n_users, size_t *n_types);

/* dir/types.{gp,png,svg}: the coefficients of every type with intervals.
 * dir/certainty.{gp,png,svg}: the histogram of maxpost (20 bins on
 * [1/K, 1]). *rendered as plot_render. PREF_OK, PREF_EIO, PREF_ENOMEM. */
int plotfit_draw_types(const plotfit_estimates *e, const char *dir,
                       int *rendered);
int plotfit_draw_certainty(const double *maxpost, size_t n_users,
                           size_t n_types, const char *dir, int *rendered);

#endif
