/* testsim.h — a test helper: simulate the data set a few config keys
 * describe, checking every step with gsl_test. Shared by the unit tests
 * that need simulated data; not part of any library. */
#ifndef HETPREF_TESTSIM_H
#define HETPREF_TESTSIM_H

#include "cfg.h"
#include "data.h"

/* Reset c to the defaults, set the keys kv (pairs, NULL-terminated), check
 * them, and simulate with seed (the design's generator and the simulation
 * both). Returns the data set (free with data_free), or NULL after a failed
 * check when a step fails. c keeps the resolved config. */
data_set *testsim_data(cfg *c, const char *const *kv, unsigned long seed);

#endif
