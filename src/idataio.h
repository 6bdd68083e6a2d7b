/* idataio.h — the files `hetpref identify --data` writes: design.csv,
 * fisher.csv, twin.csv, verdict.csv and the settings part of config.ini,
 * as comment lines (idataio_put_settings; the caller adds the provenance).
 * See idata.h for what the numbers mean.
 * Not here: the computations (idata.h), reading a fit's estimates.csv
 * (estread.h, the one reader of it), printing. */
#ifndef HETPREF_IDATAIO_H
#define HETPREF_IDATAIO_H

#include <stddef.h>
#include <stdio.h>

#include "data.h"
#include "idata.h"

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
