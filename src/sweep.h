/* sweep.h — parameter sweeps: cells × replicates, in parallel, resumable.
 *
 * A [sweep] section lists "section.key = v1 | v2 | ..." entries and a number
 * of replicates. The cells are the cartesian product of the lists (the first
 * entry varies slowest); task t = cell * replicates + replicate.
 *
 * Common random numbers: a task gets two generators. Its data generator
 * (everything simulated: populations' draws, designs, answers, held-out
 * users) is seeded with the data seed rngs_seed(run.seed, H, replicate),
 * H a hash of the canonical text of the cell's data-defining keys
 * (cfg_key_defines_data, cfg_data_text), so cells that differ only in
 * estimator keys ([fit], [emdpo] but test_users, [mmra]) see the same data
 * in each replicate, and their metrics differ by the estimator alone. Its
 * task generator (estimator randomness: EM starts, minibatches) is seeded
 * with rngs_seed(run.seed, cell, replicate). Neither depends on thread
 * count, sharding or resumption.
 *
 * sweep_run executes the configured task (tasks.h) over every task of this
 * shard, journalling each finished task as one line of DIR/runs.journal
 * (written whole under a lock), then writes DIR/runs.csv (task, cell,
 * replicate, swept keys, seed, data_seed, metrics; rows in task order) and
 * DIR/summary.csv (per cell and metric: n, mean, sd, 95% t-interval) —
 * staged and committed together, both or neither (fsutil.h) — and then
 * removes the journal. On SIGINT the tasks in flight finish and are
 * journalled, no new task starts, and PREF_EINTR is returned; --resume
 * (p->resume) skips journalled tasks. sweep_merge rebuilds both tables from
 * shard directories; the result is byte-identical to a single run.
 *
 * The engine knows no task: callers pass the table of tasks (sweep_task,
 * below) that [sweep] task names are looked up in. The experiments' table
 * lives above this library (sims/tasks.c). Not here: what a task computes,
 * or plotting. */
#ifndef HETPREF_SWEEP_H
#define HETPREF_SWEEP_H

#include <stddef.h>
#include <stdio.h>

#include <gsl/gsl_rng.h>

#include "cfg.h"

/* A sweep task turns one resolved configuration (a sweep cell) and two
 * generators (its replicate's data and task seeds) into a fixed list of
 * named metrics, one row of runs.csv. Tasks must be pure functions of (cfg,
 * rng streams): no globals, no I/O, safe to run concurrently. Everything
 * simulated must come from data, and be a function of the data-defining
 * keys alone; everything an estimator draws comes from rng. */
typedef struct sweep_task {
    const char *name;               /* the [sweep] task value */
    size_t n_metrics;
    const char *const *metrics;     /* metric column names */
    /* Validate that cfg suits the task (PREF_OK or PREF_EINPUT); may be
     * NULL (nothing to check beyond cfg_check). */
    int (*check)(const cfg *c);
    /* Compute metrics[0..n_metrics). PREF_OK or an error code. */
    int (*run)(const cfg *c, gsl_rng *data, gsl_rng *rng, double *metrics);
} sweep_task;

/* A table of tasks: n entries at v (borrowed, static in practice). */
typedef struct sweep_task_table {
    const sweep_task *v;
    size_t n;
} sweep_task_table;

/* The task of t called name, or NULL. */
const sweep_task *sweep_task_find(const sweep_task_table *t, const char *name);

typedef struct sweep_plan sweep_plan;

/* The largest sweep a plan accepts: cells (the product of the [sweep] keys'
 * numbers of values) and tasks (cells x replicates). A sweep's memory is
 * O(tasks x metrics) (every result is held until runs.csv is written). */
#define SWEEP_MAX_CELLS 100000
#define SWEEP_MAX_TASKS 10000000

/* Build the plan of c's [sweep] section, checking every cell's config and
 * the task's own check; the task (sweep.task) is looked up in tasks. The
 * cells are counted first, before anything is allocated or checked: more
 * than SWEEP_MAX_CELLS cells or SWEEP_MAX_TASKS tasks is refused with the
 * count, naming the [sweep] line at which the product passed the limit.
 * Cost: O(n_keys) to count, then one config check per cell (some 5 us
 * each) and one hash of the data-defining keys per combination of their
 * values (some 40 us each; cells that differ only in estimator keys share
 * it) — measured on a loaded 2-core machine: 64 000 cells in 0.3 s, so at
 * most about 0.5 s (estimator keys) to 5 s (data keys) at the limit; memory
 * O(n_keys x values + data combinations). PREF_OK,
 * PREF_EINPUT (message names the [sweep] line; or a task not in tasks) or
 * PREF_ENOMEM. Free with sweep_plan_free (NULL is a no-op). */
int sweep_plan_build(const cfg *c, const sweep_task_table *tasks,
                     sweep_plan **out);
void sweep_plan_free(sweep_plan *p);

size_t sweep_plan_cells(const sweep_plan *p);
size_t sweep_plan_tasks(const sweep_plan *p);
size_t sweep_plan_keys(const sweep_plan *p);

/* Column name ("section.key") of swept key j. */
const char *sweep_plan_key_name(const sweep_plan *p, size_t j);

/* Number of values listed for swept key j. */
size_t sweep_plan_key_values(const sweep_plan *p, size_t j);

/* The task seed of (cell, replicate): rngs_seed(run.seed, cell, replicate),
 * the `seed` column of runs.csv. */
unsigned long sweep_plan_seed(const sweep_plan *p, size_t cell, size_t replicate);

/* The data seed of (cell, replicate): from run.seed, the cell's
 * data-defining key values and replicate only (see the top of this file),
 * the `data_seed` column of runs.csv. */
unsigned long sweep_plan_data_seed(const sweep_plan *p, size_t cell,
                                   size_t replicate);

/* Text value of swept key j in cell (trimmed, as written in the config). */
const char *sweep_plan_value(const sweep_plan *p, size_t cell, size_t j);

/* out = base with cell's values applied. PREF_OK or PREF_EINPUT. */
int sweep_plan_cell_cfg(const sweep_plan *p, const cfg *base, size_t cell,
                        cfg *out);

/* A per-task function for sweep_map: c is the task's cell configuration,
 * data and rng its generators (seeded sweep_plan_data_seed and
 * sweep_plan_seed, as for sweep tasks), task the task index (cell *
 * replicates + replicate). Returns PREF_OK or an error. */
typedef int (*sweep_map_fn)(const cfg *c, gsl_rng *data, gsl_rng *rng,
                            size_t task, void *user);

/* Run fn once for every task of p on `threads` threads (0: all cores), with
 * a progress bar labelled label on a terminal. Tasks write their results
 * into user memory indexed by task, so the caller can emit them in task
 * order: the result does not depend on the thread count. Returns PREF_OK or
 * the first error, prefixed "task T (cell C, replicate R): ". For
 * experiments whose per-task output is richer than a row of metrics; plain
 * sweeps use sweep_run. */
int sweep_map(const sweep_plan *p, const cfg *base, int threads,
              const char *label, sweep_map_fn fn, void *user);

typedef struct sweep_params {
    int threads;          /* 0: all cores (omp_get_max_threads) */
    unsigned shard_i;     /* this shard, 1..shard_n */
    unsigned shard_n;     /* number of shards (1: no sharding) */
    int resume;           /* skip tasks already in DIR/runs.journal */
    int force;            /* overwrite DIR holding another config's results */
    FILE *log;            /* NULL: quiet; else --resume says what it skipped */
} sweep_params;

void sweep_params_init(sweep_params *p);

/* Run the sweep of c, with its task looked up in tasks, into dir (created if
 * needed; config.ini written first). A dir holding the results of another
 * configuration (its config.ini differs, or a runs.csv without one) is
 * refused unless p->force. With p->resume and p->log, one line on p->log
 * says how many tasks of this shard the journal let it skip. PREF_OK,
 * PREF_EINPUT (bad plan, a dir of another configuration without force, or
 * --resume on a directory holding a different configuration), PREF_EINTR
 * (interrupted; journal kept), or the first task's error. p may be NULL
 * (defaults). */
int sweep_run(const cfg *c, const sweep_task_table *tasks, const char *dir,
              const sweep_params *p);

/* Merge the runs.csv of shard directories (identical config.ini) into out;
 * the task's metric names come from tasks. Every task must be present
 * exactly once. out's config.ini, runs.csv and summary.csv are committed
 * all together or not at all, and a runs.journal in out (an older,
 * interrupted run) is removed. */
int sweep_merge(const char *const *dirs, size_t n, const char *out,
                const sweep_task_table *tasks);

/* Progress of one shard directory of a sweep. */
typedef enum sweep_state {
    SWEEP_NOT_STARTED,   /* neither a journal nor a runs.csv */
    SWEEP_PARTIAL,       /* a journal: interrupted, failed or running */
    SWEEP_FINISHED       /* a runs.csv and no journal */
} sweep_state;

typedef struct sweep_status {
    sweep_state state;
    size_t done;         /* tasks of the shard in the journal or runs.csv */
    size_t total;        /* tasks of the shard: t with t % shard_n ==
                          * shard_i - 1 */
} sweep_status;

/* How far dir, shard shard_i of shard_n of the sweep planned by p, got:
 * from its journal (runs.journal) when there is one, else from its
 * runs.csv. The caller checks that dir's config.ini is p's configuration.
 * Returns PREF_OK, PREF_EINPUT (a corrupt journal or runs.csv, a bad
 * shard), PREF_ENOMEM. */
int sweep_dir_status(const sweep_plan *p, const char *dir, unsigned shard_i,
                     unsigned shard_n, sweep_status *s);

#endif
