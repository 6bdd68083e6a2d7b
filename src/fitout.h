/* fitout.h — the result tables of `hetpref fit` (latent-class model).
 *
 * estimates.csv  type,weight,theta1..thetad,se_weight,se_theta1..se_thetad
 * posteriors.csv user,p1..pK             (user ids as in the input)
 * fit.csv        loglik,aic,bic,icl,iterations,starts,best_start_hits,
 *                converged,empty_classes,identified,n_flat_directions,
 *                degenerate_classes   (the last three from fitdiag.h;
 *                identified and n_flat_directions NA when not analysed)
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

/* Write estimates.csv, posteriors.csv and fit.csv (with the diagnostics
 * dg of f) into dir (which must exist). PREF_OK or PREF_EIO. */
int fitout_write(const data_set *ds, const mix_fit *f, const fitdiag *dg,
                 const char *dir);

/* Write evaluation.csv into dir. w1_note: NULL when w1 was computed, else
 * why there is none (w1 is then written as NaN beside it). */
int fitout_write_eval(const char *dir, double accuracy, double ari, double w1,
                      const char *w1_note);

#endif
