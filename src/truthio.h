/* truthio.h — the truth file of a simulation: truth.csv, written next to
 * the simulated prefs.csv and read back by `hetpref fit` to score recovery.
 *
 * Layout: a header "type,kind,weight[,theta1..thetad]", then one row per
 * type (types 1-based, numbers "%.17g" in the C locale). kind says what
 * the population is and so which columns are true:
 *   linear    finite point masses with linear utilities theta_k . x: the
 *             weights and coefficients are the truth;
 *   gaussian  a continuous population theta ~ N(mean, cov): one row of type
 *             "mean" with weight 1 and the mean (not a point mass);
 *   traits, teacher   nonlinear (neural) rewards: only the weights are
 *             written — there are no linear coefficients, so the file has
 *             no theta columns.
 * Records are read through the one CSV reader (csvrec.h).
 *
 * Not here: simulating (sim.h), the preference data itself (csvio.h). */
#ifndef HETPREF_TRUTHIO_H
#define HETPREF_TRUTHIO_H

#include <stddef.h>

#include "sim.h"

/* Write p's truth to path, atomically (fsutil.h). PREF_OK or PREF_EIO. */
int truthio_write(const sim_population *p, const char *path);

/* How far the weights of a truth file may sum from 1 (they are written with
 * 17 significant digits, so a file hetpref wrote is within 1e-15). */
#define TRUTHIO_WEIGHT_TOL 1e-6

typedef struct truthio_truth {
    size_t K;          /* rows (types) */
    size_t d;          /* theta columns (0: none, a nonlinear population) */
    char kind[16];     /* "linear", "gaussian", "traits" or "teacher" */
    double *eta;       /* (K) */
    double *theta;     /* (K, d); NULL when d = 0 */
} truthio_truth;

/* Read a truth.csv as written by truthio_write. On PREF_OK *out is the
 * truth (free with truthio_truth_free). PREF_EINPUT with "FILE:LINE: ..."
 * on a malformed file (a header other than type,kind,weight[,theta1..],
 * a wrong field count, an unknown kind or rows of different kinds, theta
 * columns for a nonlinear kind or none for a linear one, a weight or theta
 * that is not a finite number, a weight outside [0, 1], no types, weights
 * not summing to 1 within TRUTHIO_WEIGHT_TOL — named at the last line);
 * PREF_EIO when it cannot be opened or read; PREF_ENOMEM. */
int truthio_read(const char *path, truthio_truth **out);
void truthio_truth_free(truthio_truth *t); /* NULL is a no-op */

/* Whether a latent-class fit to data with d features can be scored against
 * t (a W1 distance between point-mass mixtures of linear coefficients):
 * NULL when it can, else a sentence saying why not (a static string, or
 * written into buf of n bytes). */
const char *truthio_comparable(const truthio_truth *t, size_t d, char *buf,
                               size_t n);

#endif
