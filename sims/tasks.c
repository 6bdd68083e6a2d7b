/* tasks.c — the table of sweep tasks (see tasks.h). */
#include "tasks.h"

#include "calibration.h"
#include "emdpo_sim.h"
#include "equivalence.h"
#include "fisher.h"
#include "lcl.h"
#include "npmle_sim.h"

static const sweep_task table[] = {
    {"calibration", CALIB_NMETRICS, calib_metric_names, calib_check,
     calib_task},
    {"lcl", LCL_NMETRICS, lcl_metric_names, lcl_check, lcl_task},
    {"equivalence", EQUIV_NMETRICS, equiv_metric_names, equiv_check, equiv_task},
    {"fisher", FISHER_NMETRICS, fisher_metric_names, fisher_check, fisher_task},
    {"emdpo", EMDPOSIM_NMETRICS, emdposim_metric_names, emdposim_check, emdposim_task},
    {"npmle", NPMLESIM_NMETRICS, npmlesim_metric_names, npmlesim_check, npmlesim_task},
};

static const sweep_task_table tasks = {table, sizeof table / sizeof table[0]};

const sweep_task_table *tasks_table(void) { return &tasks; }
