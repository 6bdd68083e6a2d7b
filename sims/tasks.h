/* tasks.h — the table of sweep tasks that [sweep] task names refer to.
 *
 * The sweep engine (src/sweep.h) knows no task; the experiments and the
 * `sweep`/`merge` commands hand it this table. A task is a pure function of
 * (cfg, rng stream) writing one row of metrics (see sweep_task). Not here:
 * the experiments' drivers and plots (reproduce.h). */
#ifndef HETPREF_TASKS_H
#define HETPREF_TASKS_H

#include "sweep.h"

/* The table of every registered task (static; never NULL). */
const sweep_task_table *tasks_table(void);

#endif
