/* bounds.h — the sizes hetpref fixes at compile time, named once.
 *
 * Hot loops keep small per-type and per-metric arrays on the stack; these
 * are their sizes. Every input that could exceed one is refused where it
 * enters, with a message naming the limit: the config table's ranges
 * (cfg.def), the estimators' parameter checks (mix.c, emdpo.c) and the
 * sweep engine (sweep.c). Not here: limits that follow from the data. */
#ifndef HETPREF_BOUNDS_H
#define HETPREF_BOUNDS_H

/* Latent types K of a population or of a fit. */
#define PREF_MAX_TYPES 64

/* Metrics one sweep task reports (one row of runs.csv). */
#define PREF_MAX_METRICS 64

#endif
