/* tasks.c — the table of sweep tasks (see tasks.h). */
#include "tasks.h"

#include <string.h>

#include "../sims/calibration.h"
#include "../sims/emdpo_sim.h"
#include "../sims/equivalence.h"
#include "../sims/fisher.h"
#include "../sims/lcl.h"

static const task_def table[] = {
    {"calibration", CALIB_NMETRICS, calib_metric_names, calib_check,
     calib_task},
    {"lcl", LCL_NMETRICS, lcl_metric_names, lcl_check, lcl_task},
    {"equivalence", EQUIV_NMETRICS, equiv_metric_names, equiv_check, equiv_task},
    {"fisher", FISHER_NMETRICS, fisher_metric_names, fisher_check, fisher_task},
    {"emdpo", EMDPO_NMETRICS, emdpo_metric_names, emdpo_sim_check, emdpo_sim_task},
};

const task_def *tasks_find(const char *name)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].name, name) == 0) return &table[i];
    return NULL;
}
