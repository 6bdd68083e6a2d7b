/* estread.h — the one reader of a latent-class fit's estimates.csv.
 *
 * The format is fitout.h's: a header type,parameter,estimate,se,z,p,ci_low,
 * ci_high, then for each type 1..K in order the rows "weight" and
 * "theta[NAME]" for every feature, the features in the same order for every
 * type. Every number is read with numparse.h; an estimate must be finite,
 * the other columns may be NaN (written "NaN": not estimable). Weights must
 * be > 0 and sum to 1 within ESTREAD_WEIGHT_TOL.
 * It is the only reader of estimates.csv: predict, report, plot and
 * identify --estimates all call estread_read. The wide form an older fit
 * wrote (a row per type: type,weight,theta1..,se_weight,..) is refused with
 * a message saying so.
 * Not here: writing (fitout.h), using the estimates (mix.h, predict.h). */
#ifndef HETPREF_ESTREAD_H
#define HETPREF_ESTREAD_H

#include <stddef.h>

#include "data.h"
#include "strtab.h"

#define ESTREAD_WEIGHT_TOL 1e-9

/* Columns of a row after type and parameter, in file order. */
enum { ESTREAD_EST, ESTREAD_SE, ESTREAD_Z, ESTREAD_P, ESTREAD_CI_LOW,
       ESTREAD_CI_HIGH, ESTREAD_NCOL };

typedef struct estread_estimates {
    size_t K, d;
    double *weight;     /* (K) estimated weights */
    double *theta;      /* (K, d) estimated coefficients */
    double *row;        /* (K (d + 1), ESTREAD_NCOL): every row of the file
                           (per type: weight, then theta in feature order) */
    strtab *names;      /* the d feature names, in order */
} estread_estimates;

/* Read the estimates.csv at path. When ds is not NULL the estimates must
 * fit it: the same number of features with the same names in the same
 * order (data_feature_name). Returns PREF_OK and *out (free with
 * estread_free); PREF_EINPUT "PATH:LINE: ..." naming the field (a header
 * other than the above, a type out of sequence, a parameter other than the
 * one expected, a number that is not one, weights not summing to 1, no
 * rows, a feature count or name that does not match ds: the line of type
 * 1's row where they first differ) or "PATH: ..." for a file that cannot
 * be opened; PREF_EIO (read error); PREF_ENOMEM. *out is NULL on error.
 * Time and memory are linear in the file's size. */
int estread_read(const char *path, const data_set *ds, estread_estimates **out);

void estread_free(estread_estimates *e); /* NULL is a no-op */

#endif
