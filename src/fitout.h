/* fitout.h — the result tables of `hetpref fit` (latent-class model).
 *
 * estimates.csv  type,weight,theta1..thetad,se_weight,se_theta1..se_thetad
 * posteriors.csv user,p1..pK             (user ids as in the input)
 * fit.csv        loglik,aic,bic,icl,iterations,starts,best_start_hits,
 *                converged,empty_classes
 * evaluation.csv accuracy,ari,w1         (only with a known truth)
 * Numbers "%.17g" (NaN as "NaN"); every file written atomically.
 * Not here: fitting (mix.h), argument parsing (cli.c). */
#ifndef HETPREF_FITOUT_H
#define HETPREF_FITOUT_H

#include "data.h"
#include "mix.h"

/* Write estimates.csv, posteriors.csv and fit.csv into dir (which must
 * exist). PREF_OK or PREF_EIO. */
int fitout_write(const data_set *ds, const mix_fit *f, const char *dir);

/* Write evaluation.csv into dir. */
int fitout_write_eval(const char *dir, double accuracy, double ari, double w1);

#endif
