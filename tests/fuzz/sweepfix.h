/* sweepfix.h — the fixed sweep the sweep fuzz targets read journals and
 * shards of: [sweep] task = calibration, design.m = 3 | 4, 2 replicates
 * (4 tasks), run.seed = 7, with a cheap stand-in task of two metrics (the
 * engine only looks the name up; the real experiment is not run).
 *
 * Not here: the fuzz targets themselves (fuzz_sweep_*.c). */
#ifndef HETPREF_SWEEPFIX_H
#define HETPREF_SWEEPFIX_H

#include "cfg.h"
#include "sweep.h"

/* The config (loaded once from the scratch directory) and the task table. */
const cfg *sweepfix_cfg(void);
const sweep_task_table *sweepfix_tasks(void);

/* Check a runs.csv written by sweep_run or sweep_merge: every row's cell and
 * replicate follow from its task, and its seed is the one the task was run
 * with (rngs_seed(run.seed, cell, replicate)). */
void sweepfix_check_runs(const char *runs_csv);

/* Merge dir into scratch directory "remerge" and check that runs.csv and
 * summary.csv come out byte-identical (merging a merged sweep is a no-op). */
void sweepfix_check_remerge(const char *dir);

#endif
