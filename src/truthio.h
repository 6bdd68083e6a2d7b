/* truthio.h — the truth file of a simulation: truth.csv, written next to
 * the simulated prefs.csv and read back by `hetpref fit` to score recovery.
 *
 * Layout: a header "type,weight,theta1..thetad", then one row per type
 * (types 1-based, numbers "%.17g" in the C locale); a gaussian population
 * writes one row of type "mean" with weight 1 and its mean. Records are
 * read through the one CSV reader (csvrec.h).
 *
 * Not here: simulating (sim.h), the preference data itself (csvio.h). */
#ifndef HETPREF_TRUTHIO_H
#define HETPREF_TRUTHIO_H

#include <stddef.h>

#include "sim.h"

/* Write p's truth to path, atomically (fsutil.h). PREF_OK or PREF_EIO. */
int truthio_write(const sim_population *p, const char *path);

/* Read a truth.csv as written by truthio_write, expecting d features. On
 * success *K, *eta (K) and *theta (K, d) are set (caller frees eta and
 * theta). PREF_EINPUT with "FILE:LINE: ..." on a malformed file (a header
 * other than type,weight,theta1..thetad, a wrong field count, a weight or
 * theta that is not a finite number, no types, weights not summing to 1
 * within 1e-6); PREF_EIO when it cannot be opened or read; PREF_ENOMEM. */
int truthio_read(const char *path, size_t d, size_t *K, double **eta,
                 double **theta);

#endif
