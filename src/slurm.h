/* slurm.h — Slurm job scripts for a sharded sweep.
 *
 * A sweep of N shards runs on a cluster as one job array of N tasks (task I
 * runs `hetpref sweep CONFIG -o OUT/shards/I --shard I/N`), then one merge
 * job that runs only when every array task succeeded
 * (--dependency=afterok, --kill-on-invalid-dep=yes so a failed or cancelled
 * shard cancels the merge instead of leaving it pending forever). This
 * module writes those scripts as text files:
 *
 *   DIR/PREFIXarray.sbatch  the array (omitted when no shard is to run)
 *   DIR/PREFIXmerge.sbatch  the merge, plus any commands after it
 *   DIR/submit.sh           sbatch --parsable of every array, then of every
 *                           merge depending on its array; prints job ids
 *
 * The shard count N is written into the array script: Slurm's
 * SLURM_ARRAY_TASK_COUNT is the size of the submitted array, which is not N
 * when only some shards are resubmitted. The scripts `exec` hetpref, so the
 * SIGTERM of scancel or a time limit reaches it (it then journals and exits
 * 143). Every path written is used as given: callers pass absolute ones.
 *
 * Not here: running sbatch (the CLI does), deciding which shards finished
 * (sweep.h), or what a sweep computes. */
#ifndef HETPREF_SLURM_H
#define HETPREF_SLURM_H

#include <stddef.h>

/* One array + merge pair. Strings are borrowed. */
typedef struct slurm_job {
    const char *name;        /* job name suffix, e.g. "sweep" or an id */
    const char *prefix;      /* file name prefix in DIR ("" for one job) */
    const char *bin;         /* absolute path of the hetpref binary */
    const char *config;      /* absolute path of the config every task reads */
    const char *shards;      /* absolute directory of the shards: task I
                              * writes shards/I */
    const char *out;         /* absolute output directory of the merge (of
                              * reproduce, with ids) */
    const char *then;        /* a shell command the merge job runs after
                              * the merge (its last: exec'd), or NULL;
                              * $threads holds SLURM_CPUS_PER_TASK */
    const char *extra;       /* extra arguments for every task's command
                              * line (e.g. "--full"), already shell-quoted,
                              * or NULL */
    const char *setup;       /* shell lines run first by both scripts
                              * (e.g. an export), or NULL */
    unsigned n_shards;       /* N >= 1 */
    const unsigned char *run;/* n_shards flags, 1 = shard I+1 runs in the
                              * array; NULL = every shard */
    int resume;              /* tasks continue from their shard's journal */
    const char *const *ids;  /* non-NULL: a reproduce job: array task I
                              * runs `hetpref reproduce --only ids[I-1]
                              * -o out` (n_shards ids; no merge job) */
} slurm_job;

/* Check the user's --sbatch text: whitespace-separated sbatch options, each
 * starting with '-' (a value may follow as its own word, as in "-p short").
 * Options that this module sets itself (--array, --dependency, --parsable,
 * --output, --job-name and their short forms) are refused, and so are
 * quotes, '$', '`', '\\' and control characters. Returns PREF_OK or
 * PREF_EINPUT naming the word. sbatch may be NULL (nothing to check). */
int slurm_check_sbatch(const char *sbatch);

/* Shell single-quote s into buf (size n): 'it'\''s'. PREF_OK or PREF_EINPUT
 * when it does not fit. */
int slurm_quote(char *buf, size_t n, const char *s);

/* Write j's array script (when at least one shard runs) and merge script
 * into dir, with the user's sbatch options (may be NULL) as #SBATCH lines
 * of both and the logs in dir/logs/. Returns PREF_OK, PREF_EINPUT (bad
 * job: n_shards 0, a path too long) or PREF_EIO. */
int slurm_write_job(const slurm_job *j, const char *dir, const char *sbatch);

/* Write dir/submit.sh for the n jobs written into dir with
 * slurm_write_job. PREF_OK or PREF_EIO. */
int slurm_write_submit(const slurm_job *jobs, size_t n, const char *dir);

/* Number of shards of j that run in its array. */
unsigned slurm_job_tasks(const slurm_job *j);

#endif
