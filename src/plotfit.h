/* plotfit.h — plots of one latent-class fit directory: the estimated types
 * (every coefficient with its interval, one series per type) and the
 * posterior certainty of the users (a histogram of max_k P(type k | answers)).
 *
 * estimates.csv is read by estread.h (its one reader); the interval drawn
 * is its ci_low..ci_high. posteriors.csv: a column "user", every other
 * column a type's posterior. Coefficients without a finite interval (NaN)
 * are drawn as a bare point, and plotfit_draw_types says so on stderr.
 * Drawing goes through plot.h only; the data are written into the .gp.
 * Not here: the fit itself (mix.h), writing the tables (fitout.h). */
#ifndef HETPREF_PLOTFIT_H
#define HETPREF_PLOTFIT_H

#include <stddef.h>

#include "estread.h"

/* Read path (a posteriors.csv) and give each user's largest posterior in
 * *maxpost (malloc'd, *n_users entries; caller frees) and the number of
 * types. PREF_OK, PREF_EINPUT, PREF_EIO, PREF_ENOMEM. */
int plotfit_read_certainty(const char *path, double **maxpost,
                           size_t *n_users, size_t *n_types);

/* dir/types.{gp,png,svg}: the coefficients of every type of e (from
 * estread_read) with their intervals.
 * dir/certainty.{gp,png,svg}: the histogram of maxpost (20 bins on
 * [1/K, 1]). *rendered as plot_render. PREF_OK, PREF_EIO, PREF_ENOMEM. */
int plotfit_draw_types(const estread_estimates *e, const char *dir,
                       int *rendered);
int plotfit_draw_certainty(const double *maxpost, size_t n_users,
                           size_t n_types, const char *dir, int *rendered);

#endif
