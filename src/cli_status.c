/* cli_status.c — `hetpref status DIR` (see cli_status.h): how far a local
 * sweep, a `sweep --slurm` run or a `reproduce --slurm` run has got, read
 * from the journals, runs.csv files and reproduce.done stamps it left. It
 * only reads: it never repairs, merges or submits anything. */
#include "cli_status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "cli_slurm.h"
#include "cliutil.h"
#include "err.h"
#include "fsutil.h"
#include "reproduce.h"
#include "sweep.h"
#include "tasks.h"

static const char *state_text(sweep_state s)
{
    return s == SWEEP_FINISHED ? "finished"
           : s == SWEEP_PARTIAL ? "journal: interrupted, failed or running"
                                : "not started";
}

/* One line per shard (prefixed by ind) of the sweep planned by p: n == 0,
 * dir itself is a local, unsharded run; else shard I is shards/I and the
 * merge writes dir/runs.csv. */
static int status_print(const sweep_plan *p, const char *dir,
                        const char *shards, unsigned n, const char *ind)
{
    size_t done = 0;
    for (unsigned i = 0; i < (n ? n : 1); i++) {
        char sd[4096], sub[64];
        sweep_status s;
        snprintf(sub, sizeof sub, "%u", i + 1);
        PREF_TRY(n ? fsutil_join(sd, sizeof sd, shards, sub)
                   : fsutil_join(sd, sizeof sd, dir, "."));
        PREF_TRY(sweep_dir_status(p, sd, i + 1, n ? n : 1, &s));
        printf("%s", ind);
        if (n) printf("shard %u/%u: ", i + 1, n);
        printf("%zu of %zu tasks done (%s)\n", s.done, s.total, state_text(s.state));
        done += s.done;
    }
    if (n) {
        char runs[4096];
        PREF_TRY(fsutil_join(runs, sizeof runs, dir, "runs.csv"));
        printf("%stotal: %zu of %zu tasks done; merged into %s: %s\n", ind, done,
               sweep_plan_tasks(p), runs, fsutil_exists(runs) ? "yes" : "no");
    }
    return PREF_OK;
}

/* Load the configuration at path and plan its sweep into *p (the caller
 * frees it); replicates into *reps. */
static int plan_load(const char *path, sweep_plan **p, long *reps)
{
    cfg *c = malloc(sizeof *c);
    if (!c) PREF_ERROR(PREF_ENOMEM, "out of memory");
    cfg_init(c);
    int st = cfg_load(c, path);
    if (!st) st = sweep_plan_build(c, tasks_table(), p);
    *reps = c->sweep_replicates;
    free(c);
    return st;
}

/* A local run (n == 0, config.ini in dir) or a `sweep --slurm n` run. */
static int status_sweep(const char *dir, const char *sdir, unsigned n)
{
    char path[4096], shards[4096];
    PREF_TRY(fsutil_join(path, sizeof path, n ? sdir : dir, "config.ini"));
    PREF_TRY(fsutil_join(shards, sizeof shards, dir, "shards"));
    sweep_plan *p = NULL;
    long reps = 0;
    int st = plan_load(path, &p, &reps);
    if (!st)
        printf("%s: sweep of %zu tasks (%zu cells x %ld replicates)%s\n", dir,
               sweep_plan_tasks(p), sweep_plan_cells(p), reps,
               n ? ", on Slurm" : "");
    if (!st) st = status_print(p, dir, shards, n, "");
    sweep_plan_free(p);
    return st;
}

/* 1 when sdir/whole.array.sbatch runs experiment id. */
static int runs_whole(const char *sdir, const char *id)
{
    char path[4096], pat[128], *text = NULL;
    if (fsutil_join(path, sizeof path, sdir, "whole.array.sbatch") ||
        fsutil_read_file(path, &text, NULL))
        return 0;
    snprintf(pat, sizeof pat, " id=%s ;;\n", id);
    int yes = strstr(text, pat) != NULL;
    free(text);
    return yes;
}

/* Experiment e of a `reproduce --slurm n` run in out (scripts in sdir). */
static int status_experiment(const repro_exp *e, const char *out,
                             const char *sdir, unsigned n)
{
    char res[4096], cfgp[4096], shards[4096], sub[300];
    snprintf(sub, sizeof sub, "results/%s", e->id);
    PREF_TRY(fsutil_join(res, sizeof res, out, sub));
    snprintf(sub, sizeof sub, "shards/%s", e->id);
    PREF_TRY(fsutil_join(shards, sizeof shards, out, sub));
    snprintf(sub, sizeof sub, "%s.ini", e->id);
    PREF_TRY(fsutil_join(cfgp, sizeof cfgp, sdir, sub));
    const char *mode = repro_is_done(res, 1) ? "full"
                       : repro_is_done(res, 0) ? "quick" : NULL;
    int sharded = e->plain_sweep && fsutil_exists(cfgp);
    printf("%s: ", e->id);
    if (mode) printf("finished (%s)\n", mode);
    else if (sharded) printf("not finished\n");
    else if (runs_whole(sdir, e->id))
        printf("not finished (runs whole, in one task of whole.array.sbatch)\n");
    else printf("not part of this run\n");
    if (!sharded) return PREF_OK;
    sweep_plan *p = NULL;
    long reps = 0;
    int st = plan_load(cfgp, &p, &reps);
    if (!st) st = status_print(p, res, shards, n, "  ");
    sweep_plan_free(p);
    return st;
}

/* A `reproduce --slurm n` run: every experiment of the registry. */
static int status_reproduce(const char *dir, const char *sdir, unsigned n)
{
    printf("%s: reproduce on Slurm, %u shards per sharded experiment\n", dir, n);
    for (size_t i = 0; i < repro_count(); i++)
        PREF_TRY(status_experiment(repro_at(i), dir, sdir, n));
    return PREF_OK;
}

static int status_run(const char *dir)
{
    char sdir[4096], path[4096];
    PREF_TRY(fsutil_join(sdir, sizeof sdir, dir, "slurm"));
    long n = cli_slurm_read_shards(sdir);
    PREF_TRY(fsutil_join(path, sizeof path, n ? sdir : dir, "config.ini"));
    if (fsutil_exists(path)) return status_sweep(dir, sdir, (unsigned)n);
    if (n) return status_reproduce(dir, sdir, (unsigned)n);
    PREF_ERROR(PREF_EINPUT, "%s: not a sweep or reproduce directory (no "
               "config.ini, no slurm/shards)", dir);
}

int cli_status(int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0) {
        printf("usage: hetpref status DIR\n\nSays how many tasks of a sweep are "
               "done: for a local run (hetpref sweep -o DIR),\nfrom DIR's journal "
               "or runs.csv; for a Slurm run (hetpref sweep --slurm N -o DIR),\n"
               "for each shard DIR/shards/I, and whether DIR/runs.csv is merged;\n"
               "for hetpref reproduce --slurm N -o DIR, per experiment: finished\n"
               "or not, and for each sharded one its shards DIR/shards/ID/I and\n"
               "whether DIR/results/ID/runs.csv is merged.\n");
        return argc == 3 ? 0 : 2;
    }
    int st = status_run(argv[2]);
    return st ? cli_fail(st) : 0;
}
