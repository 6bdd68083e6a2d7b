/* tasks.h — the registry of sweep tasks.
 *
 * A task turns one resolved configuration (a sweep cell) and one generator
 * (its replicate's seed) into a fixed list of named metrics, one row of
 * runs.csv. Tasks must be pure functions of (cfg, rng stream): no globals,
 * no I/O, safe to run concurrently. Later modules (fits, EM-DPO, MMRA) add
 * their tasks to the table in tasks.c. */
#ifndef HETPREF_TASKS_H
#define HETPREF_TASKS_H

#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "cfg.h"

typedef struct task_def {
    const char *name;               /* the [sweep] task value */
    size_t n_metrics;
    const char *const *metrics;     /* metric column names */
    /* Validate that cfg suits the task (PREF_OK or PREF_EINPUT). */
    int (*check)(const cfg *c);
    /* Compute metrics[0..n_metrics). PREF_OK or an error code. */
    int (*run)(const cfg *c, gsl_rng *rng, double *metrics);
} task_def;

/* The task called name, or NULL. */
const task_def *tasks_find(const char *name);

#endif
