/* idataio.h — the files of `hetpref identify --data`: reading a fit's
 * estimates.csv, writing design.csv, fisher.csv, twin.csv, verdict.csv and
 * the settings part of config.ini (see idata.h for what the numbers mean).
 *
 * config.ini is the caller's (it adds the provenance); idataio_put_settings
 * writes the settings it records, as comment lines.
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
#include <stdio.h>

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

/* What config.ini records (and verdict.csv states). */
typedef struct idataio_run {
    const char *data;       /* the data file */
    const char *estimates;  /* the estimates file, or NULL: a fit was run */
    size_t K;
    size_t starts;          /* of the fit (when estimates is NULL) */
    unsigned long fit_seed; /* of the fit */
    int fit_converged;      /* of the fit's best start */
    const idata_params *p;
} idataio_run;

/* Write design.csv, fisher.csv, twin.csv and verdict.csv into dir (a
 * staging directory: each file is whole or absent). t may be NULL (no
 * twin.csv). PREF_OK or PREF_EIO. */
int idataio_write(const char *dir, const data_set *ds, const idata_design *s,
                  const idata_fisher *f, const idata_twin *t,
                  const double *eta, const double *theta,
                  const idata_verdict *v, const idataio_run *run);

/* Write the settings of run to f as INI comment lines (the data and
 * estimates paths, K, the fit's starts and seed, the thresholds of p), for
 * the head of config.ini. */
void idataio_put_settings(FILE *f, const idataio_run *run);

#endif
