/* cli_slurm.h — the command-line side of running sweeps on Slurm:
 * `sweep --slurm N` and `reproduce --slurm N`. It resolves paths,
 * decides which shards still have to run, writes the scripts through
 * slurm.h and, with --submit, runs the generated submit.sh. Not here: the
 * text of the scripts (slurm.c), the sweep itself (sweep.c). */
#ifndef HETPREF_CLI_SLURM_H
#define HETPREF_CLI_SLURM_H

#include "cfg.h"

typedef struct cli_slurm_opts {
    long n;              /* --slurm N (0: not given) */
    int submit;          /* --submit */
    const char *sbatch;  /* --sbatch 'ARGS', may be NULL */
    int resume, force;   /* --resume, --force */
    const char *argv0;   /* how hetpref was called (binary fallback path) */
} cli_slurm_opts;

/* Write OUT/slurm/ for the sweep of c (the resolved configuration) into
 * out, and submit with o->submit. Returns an exit status. */
int cli_slurm_sweep(const cfg *c, const char *out, const cli_slurm_opts *o);

/* Write OUT/slurm/ for `reproduce` (one array task per experiment, only
 * the ones not done with resume); only may be NULL. Returns an exit
 * status. */
int cli_slurm_reproduce(const char *out, int full, const char *only,
                        const cli_slurm_opts *o);

/* The shard count a previous `--slurm N` wrote into sdir/shards (sdir is
 * OUT/slurm), or 0 when there is none or it is not a positive number. */
long cli_slurm_read_shards(const char *sdir);

#endif
