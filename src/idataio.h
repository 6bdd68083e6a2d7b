/* idataio.h — the files of `hetpref identify --data`: reading a fit's
 * estimates.csv, writing design.csv, fisher.csv, twin.csv, verdict.csv and
 * config.ini (see idata.h for what the numbers mean).
 *
 * estimates.csv comes in two forms, both read by idataio_read_estimates:
 *   wide: type,weight,theta1..thetad[,se_weight,se_theta1..] (the theta
 *         columns may also be named theta[<feature>]); one row per type;
 *   long: type,parameter,estimate[,se,z,p,ci_low,ci_high], parameter =
 *         weight or theta[<feature>]; one row per type and parameter.
 * Other columns are ignored. Feature names are those of data_feature_name.
 * Not here: the computations (idata.h), printing. */
#ifndef HETPREF_IDATAIO_H
#define HETPREF_IDATAIO_H

#include <stddef.h>

#include "data.h"
#include "idata.h"

/* Read the estimates at path for the data ds: *K types, *eta (K) and
 * *theta (K, d), both malloc'd and owned by the caller. The types must be
 * 1..K, each with a weight > 0 and every one of ds's d coefficients; the
 * weights must sum to 1 within 1e-6 (they are then rescaled to sum to 1).
 * Returns PREF_OK; PREF_EINPUT "PATH[:LINE]: why" (missing or unreadable
 * file, malformed CSV, a coefficient count or feature name that does not
 * match the data, a missing type or parameter); PREF_ENOMEM. */
int idataio_read_estimates(const char *path, const data_set *ds, size_t *K,
                           double **eta, double **theta);

/* What config.ini records. */
typedef struct idataio_run {
    const char *data;       /* the data file */
    const char *estimates;  /* the estimates file, or NULL: a fit was run */
    size_t K;
    size_t starts;          /* of the fit (when estimates is NULL) */
    unsigned long fit_seed; /* of the fit */
    int fit_converged;      /* of the fit's best start */
    const idata_params *p;
} idataio_run;

/* Write the five files into dir (a staging directory: each file is whole
 * or absent). twin may be NULL (not written). PREF_OK or PREF_EIO. */
int idataio_write(const char *dir, const data_set *ds, const idata_design *s,
                  const idata_fisher *f, const idata_twin *t,
                  const double *eta, const double *theta,
                  const idata_verdict *v, const idataio_run *run);

#endif
