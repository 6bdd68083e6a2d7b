/* cli_slurm.c — `sweep --slurm` and `reproduce --slurm` (see cli_slurm.h). */
#define _XOPEN_SOURCE 700 /* realpath; before any header */
#include "cli_slurm.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cliutil.h"
#include "err.h"
#include "fsutil.h"
#include "prov.h"
#include "reproduce.h"
#include "slurm.h"
#include "sweep.h"
#include "tasks.h"

/* Absolute path of the running binary: /proc/self/exe, else argv0. */
static int self_path(const char *argv0, char *buf, size_t n)
{
    ssize_t k = readlink("/proc/self/exe", buf, n - 1);
    if (k > 0) {
        buf[k] = '\0';
        return PREF_OK;
    }
    char tmp[PATH_MAX];
    if (argv0 && strchr(argv0, '/') && realpath(argv0, tmp) && strlen(tmp) < n) {
        strcpy(buf, tmp);
        return PREF_OK;
    }
    PREF_ERROR(PREF_EIO, "cannot find the path of the hetpref binary (no "
               "/proc/self/exe); run it by its path");
}

/* 1 when prog is an executable file in a directory of $PATH. */
static int on_path(const char *prog)
{
    const char *path = getenv("PATH");
    for (const char *p = path ? path : ""; *p;) {
        size_t len = strcspn(p, ":");
        char file[4096];
        snprintf(file, sizeof file, "%.*s/%s", (int)(len ? len : 1),
                 len ? p : ".", prog);
        if (access(file, X_OK) == 0) return 1;
        p += len + (p[len] == ':');
    }
    return 0;
}

/* mkdir -p dir and its absolute path into abs. */
static int abs_dir(const char *dir, char *abs, size_t n)
{
    PREF_TRY(fsutil_mkdirs(dir));
    char tmp[PATH_MAX];
    if (!realpath(dir, tmp) || strlen(tmp) >= n)
        PREF_ERROR(PREF_EIO, "%s: cannot resolve: %s", dir, strerror(errno));
    strcpy(abs, tmp);
    return PREF_OK;
}

/* Run sh submit.sh in dir; its output (the job ids) goes to stdout. */
static int run_submit(const char *dir)
{
    char path[4096];
    PREF_TRY(fsutil_join(path, sizeof path, dir, "submit.sh"));
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) PREF_ERROR(PREF_EIO, "fork: %s", strerror(errno));
    if (pid == 0) {
        execl("/bin/sh", "sh", path, (char *)NULL);
        _exit(127);
    }
    int ws;
    while (waitpid(pid, &ws, 0) < 0)
        if (errno != EINTR) PREF_ERROR(PREF_EIO, "waitpid: %s", strerror(errno));
    if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
        PREF_ERROR(PREF_EIO, "%s failed (sbatch refused a job?); nothing more "
                   "was submitted after the failing sbatch", path);
    return PREF_OK;
}

/* Checks made before anything is written: the --sbatch text, and sbatch
 * itself when submitting. */
static int precheck(const cli_slurm_opts *o)
{
    PREF_TRY(slurm_check_sbatch(o->sbatch));
    if (o->submit && !on_path("sbatch"))
        PREF_ERROR(PREF_EINPUT, "--submit: sbatch is not on PATH (run this on "
                   "a Slurm login node, or drop --submit and run the written "
                   "submit.sh there)");
    return PREF_OK;
}

/* The resolved configuration's text (cfg_write), malloc'd. */
static int cfg_text(const cfg *c, char **text)
{
    size_t n = 0;
    *text = NULL;
    FILE *f = open_memstream(text, &n);
    if (!f) PREF_ERROR(PREF_ENOMEM, "out of memory");
    cfg_write(c, f);
    if (fclose(f) != 0) PREF_ERROR(PREF_ENOMEM, "out of memory");
    return PREF_OK;
}

/* PREF_OK when path does not exist or holds text; else PREF_EINPUT. */
static int same_config(const char *path, const char *text, const char *out)
{
    if (!fsutil_exists(path)) return PREF_OK;
    char *old = NULL;
    int same = fsutil_read_file(path, &old, NULL) == PREF_OK &&
               prov_same_config(old, text);
    free(old);
    if (!same)
        PREF_ERROR(PREF_EINPUT, "%s: holds a sweep of a different configuration "
                   "(%s differs); use --force to replace it", out, path);
    return PREF_OK;
}

static int write_file(const char *path, const char *text)
{
    fsutil_file f;
    PREF_TRY(fsutil_open(&f, path));
    fputs(text, f.f);
    return fsutil_commit(&f);
}

long cli_slurm_read_shards(const char *sdir)
{
    char path[4096], *text = NULL;
    long n = 0;
    if (fsutil_join(path, sizeof path, sdir, "shards") ||
        fsutil_read_file(path, &text, NULL))
        return 0;
    char *e;
    n = strtol(text, &e, 10);
    if (*e != '\n' || n < 1) n = 0;
    free(text);
    return n;
}

/* With resume: run[i] = 0 for every finished shard under shards (shard
 * I in shards/I); else all 1. */
static int shards_to_run(const cfg *c, const char *shards, unsigned n,
                         int resume, unsigned char *run)
{
    sweep_plan *p = NULL;
    PREF_TRY(sweep_plan_build(c, tasks_table(), &p));
    int st = PREF_OK;
    for (unsigned i = 0; !st && i < n; i++) {
        char dir[4096], sub[64];
        sweep_status s;
        run[i] = 1;
        snprintf(sub, sizeof sub, "%u", i + 1);
        st = fsutil_join(dir, sizeof dir, shards, sub);
        if (!st && resume) st = sweep_dir_status(p, dir, i + 1, n, &s);
        if (!st && resume && s.state == SWEEP_FINISHED && s.done == s.total)
            run[i] = 0;
    }
    sweep_plan_free(p);
    return st;
}

/* The checks of `sweep --slurm` on the directory, before writing: a
 * resume needs the same configuration and shard count; a fresh start may
 * not replace another configuration's results without --force. */
static int check_out(const char *out, const char *text, const cli_slurm_opts *o)
{
    char sdir[4096], path[4096];
    PREF_TRY(fsutil_join(sdir, sizeof sdir, out, "slurm"));
    PREF_TRY(fsutil_join(path, sizeof path, sdir, "config.ini"));
    if (o->resume) {
        if (!fsutil_exists(path))
            PREF_ERROR(PREF_EINPUT, "--resume: %s: no Slurm sweep to resume "
                       "(%s missing); start one without --resume", out, path);
        PREF_TRY(same_config(path, text, out));
        long had = cli_slurm_read_shards(sdir);
        if (had != o->n)
            PREF_ERROR(PREF_EINPUT, "--resume: %s was split into %ld shards, "
                       "not %ld; resume with --slurm %ld", out, had, o->n, had);
        return PREF_OK;
    }
    if (o->force) return PREF_OK;
    PREF_TRY(same_config(path, text, out));
    PREF_TRY(fsutil_join(path, sizeof path, out, "config.ini"));
    return same_config(path, text, out);
}

/* Print what was written and how to go on. */
static void report(const char *sdir, const slurm_job *j, const char *outarg,
                   int submit)
{
    unsigned n = slurm_job_tasks(j);
    if (n)
        printf("hetpref: wrote %s/array.sbatch: %u array task%s (shards of "
               "%u)\n", sdir, n, n == 1 ? "" : "s", j->n_shards);
    else
        printf("hetpref: all %u shards finished; only the merge is left\n",
               j->n_shards);
    printf("hetpref: wrote %s/merge.sbatch: merges into %s after the array\n"
           "hetpref: wrote %s/submit.sh\n", sdir, j->out, sdir);
    if (!submit)
        printf("submit with:   sh %s/submit.sh\nprogress:      hetpref "
               "status %s\n", sdir, outarg);
}

static int sweep_write(const cfg *c, const char *outarg, const cli_slurm_opts *o,
                       char *sdir, size_t sn)
{
    char out[4096], bin[4096], path[4096], shards[4096], num[32], *text = NULL;
    unsigned n = (unsigned)o->n;
    sweep_plan *p = NULL;
    PREF_TRY(precheck(o));
    PREF_TRY(sweep_plan_build(c, tasks_table(), &p));
    sweep_plan_free(p);
    PREF_TRY(self_path(o->argv0, bin, sizeof bin));
    PREF_TRY(cfg_text(c, &text));
    unsigned char *run = malloc(n);
    int st = run ? check_out(outarg, text, o) : pref_set_error(PREF_ENOMEM, "out of memory");
    if (!st) st = abs_dir(outarg, out, sizeof out);
    if (!st) st = fsutil_join(sdir, sn, out, "slurm");
    if (!st) st = fsutil_mkdirs(sdir);
    if (!st) st = fsutil_join(shards, sizeof shards, out, "shards");
    if (!st) st = shards_to_run(c, shards, n, o->resume, run);
    if (!st) st = fsutil_join(path, sizeof path, sdir, "shards");
    snprintf(num, sizeof num, "%u\n", n);
    if (!st) st = write_file(path, num);
    if (!st) st = fsutil_join(path, sizeof path, sdir, "config.ini");
    if (!st) st = write_file(path, text);
    const char *base = strrchr(out, '/');
    slurm_job j = {.name = base && base[1] ? base + 1 : "sweep", .prefix = "",
                   .bin = bin, .config = path, .shards = shards, .out = out,
                   .extra = o->force && !o->resume ? "--force" : NULL,
                   .n_shards = n, .run = run, .resume = o->resume};
    if (!st) st = slurm_write_job(&j, sdir, o->sbatch);
    if (!st) st = slurm_write_submit(&j, 1, sdir);
    if (!st) report(sdir, &j, outarg, o->submit);
    free(run);
    free(text);
    return st;
}

int cli_slurm_sweep(const cfg *c, const char *out, const cli_slurm_opts *o)
{
    char sdir[4096];
    int st = sweep_write(c, out, o, sdir, sizeof sdir);
    if (!st && o->submit) st = run_submit(sdir);
    return st ? cli_fail(st) : 0;
}

/* ---- reproduce --slurm -------------------------------------------------- */

/* The storage behind one slurm_job of reproduce. */
typedef struct repro_slot {
    char name[64], prefix[80], config[4096], shards[4096], res[4096];
    char then[8800];
    unsigned char *run;
} repro_slot;

/* The job of plain-sweep experiment e: its sweep in n shards under
 * out/shards/<id>, merged into out/results/<id>, then `reproduce --only id
 * --resume` finds every task done and writes the rest and the plot. */
static int repro_sweep_job(const repro_exp *e, const char *out, const char *sdir,
                           const char *bin, int full, const cli_slurm_opts *o,
                           repro_slot *s, slurm_job *j)
{
    char path[4096], sub[300], qb[4200], qo[4200], *text = NULL;
    unsigned n = (unsigned)o->n;
    cfg *c = malloc(sizeof *c);
    s->run = malloc(n);
    if (!c || !s->run) {
        free(c);
        PREF_ERROR(PREF_ENOMEM, "out of memory");
    }
    snprintf(s->name, sizeof s->name, "%s", e->id);
    snprintf(s->prefix, sizeof s->prefix, "%s.", e->id);
    snprintf(sub, sizeof sub, "%s.ini", e->id);
    int st = repro_load(e, full, c, path, sizeof path);
    if (!st) st = cfg_text(c, &text);
    if (!st) st = fsutil_join(s->config, sizeof s->config, sdir, sub);
    if (!st && o->resume) st = same_config(s->config, text, out);
    if (!st) st = write_file(s->config, text);
    snprintf(sub, sizeof sub, "shards/%s", e->id);
    if (!st) st = fsutil_join(s->shards, sizeof s->shards, out, sub);
    snprintf(sub, sizeof sub, "results/%s", e->id);
    if (!st) st = fsutil_join(s->res, sizeof s->res, out, sub);
    if (!st) st = shards_to_run(c, s->shards, n, o->resume, s->run);
    if (!st) st = slurm_quote(qb, sizeof qb, bin);
    if (!st) st = slurm_quote(qo, sizeof qo, out);
    snprintf(s->then, sizeof s->then, "%s reproduce --only %s -o %s --threads "
             "\"$threads\" --resume%s", qb, e->id, qo, full ? " --full" : "");
    *j = (slurm_job){.name = s->name, .prefix = s->prefix, .bin = bin,
                     .config = s->config, .shards = s->shards, .out = s->res,
                     .then = s->then, .extra = o->resume ? NULL : "--force",
                     .n_shards = n, .run = s->run, .resume = o->resume};
    free(text);
    free(c);
    return st;
}

/* Write the jobs of every experiment (only: one) still to do. */
static int repro_write(const char *out, const char *sdir, const char *bin,
                       int full, const char *only, const cli_slurm_opts *o,
                       repro_slot *slots, slurm_job *jobs, size_t *n_jobs,
                       const char **whole, unsigned *n_whole)
{
    int st = PREF_OK;
    for (size_t i = 0; !st && i < repro_count(); i++) {
        const repro_exp *e = repro_at(i);
        char res[4096], sub[300];
        if (only && strcmp(only, e->id) != 0) continue;
        snprintf(sub, sizeof sub, "results/%s", e->id);
        st = fsutil_join(res, sizeof res, out, sub);
        if (!st && o->resume && repro_is_done(res, full)) {
            printf("hetpref: %s: already done (%s), skipped\n", e->id,
                   full ? "full" : "quick");
        } else if (!st && !e->plain_sweep) {
            whole[(*n_whole)++] = e->id;
        } else if (!st) {
            st = repro_sweep_job(e, out, sdir, bin, full, o, &slots[*n_jobs],
                                 &jobs[*n_jobs]);
            (*n_jobs)++;
        }
    }
    return st;
}

/* "export HETPREF_CONFIGS='DIR'\n" with the absolute directory this run
 * finds configs/<id>.ini in, so jobs running `reproduce` on a compute node,
 * from whatever directory, read the same configurations. */
static int configs_setup(char *buf, size_t n)
{
    char path[4096], dir[PATH_MAX], q[4200];
    PREF_TRY(repro_config_path(repro_at(0)->id, path, sizeof path));
    char *slash = strrchr(path, '/');
    if (slash) *slash = '\0';
    if (!realpath(slash ? path : ".", dir))
        PREF_ERROR(PREF_EIO, "%s: cannot resolve: %s", path, strerror(errno));
    PREF_TRY(slurm_quote(q, sizeof q, dir));
    if ((size_t)snprintf(buf, n, "export HETPREF_CONFIGS=%s\n", q) >= n)
        PREF_ERROR(PREF_EINPUT, "%s: path too long", dir);
    return PREF_OK;
}

/* Print the jobs written and how to submit them. */
static void repro_report(const slurm_job *jobs, size_t n, const char *sdir,
                         const char *outarg, int submit)
{
    for (size_t k = 0; k < n; k++) {
        if (jobs[k].ids) {
            printf("hetpref: %s/whole.array.sbatch: %u experiment%s that cannot "
                   "be sharded (they use sweep_map, which keeps no journal), one "
                   "array task each:", sdir, jobs[k].n_shards,
                   jobs[k].n_shards == 1 ? "" : "s");
            for (unsigned i = 0; i < jobs[k].n_shards; i++)
                printf(" %s", jobs[k].ids[i]);
            putchar('\n');
        } else {
            printf("hetpref: %s/%sarray.sbatch: %u of %u shards, then %smerge."
                   "sbatch (merge, rest of the experiment, plot)\n", sdir,
                   jobs[k].prefix, slurm_job_tasks(&jobs[k]), jobs[k].n_shards,
                   jobs[k].prefix);
        }
    }
    if (!n) printf("hetpref: nothing left to run\n");
    else if (!submit)
        printf("submit with:   sh %s/submit.sh\nprogress:      hetpref status "
               "%s\n", sdir, outarg);
}

int cli_slurm_reproduce(const char *outarg, int full, const char *only,
                        const cli_slurm_opts *o)
{
    char out[4096], sdir[4096], bin[4096], num[32];
    size_t ne = repro_count(), n_jobs = 0;
    unsigned n_whole = 0;
    int st = precheck(o);
    if (!st && only && !repro_find(only))
        st = pref_set_error(PREF_EINPUT, "reproduce: --only %s: unknown "
                            "experiment (see hetpref reproduce --help)", only);
    if (!st) st = self_path(o->argv0, bin, sizeof bin);
    if (st) return cli_fail(st);
    repro_slot *slots = calloc(ne, sizeof *slots);
    slurm_job *jobs = calloc(ne + 1, sizeof *jobs);
    const char **whole = calloc(ne, sizeof *whole);
    if (!slots || !jobs || !whole) st = pref_set_error(PREF_ENOMEM, "out of memory");
    if (!st) st = abs_dir(outarg, out, sizeof out);
    if (!st) st = fsutil_join(sdir, sizeof sdir, out, "slurm");
    if (!st) st = fsutil_mkdirs(sdir);
    if (!st && o->resume && cli_slurm_read_shards(sdir) != o->n)
        st = pref_set_error(PREF_EINPUT, "--resume: %s was split into %ld shards, "
                            "not %ld", out, cli_slurm_read_shards(sdir), o->n);
    if (!st) st = repro_write(out, sdir, bin, full, only, o, slots, jobs,
                              &n_jobs, whole, &n_whole);
    if (!st && n_whole)
        jobs[n_jobs++] = (slurm_job){.name = "whole", .prefix = "whole.",
            .bin = bin, .out = out, .extra = full ? "--full" : NULL,
            .n_shards = n_whole, .ids = whole, .resume = o->resume};
    char setup[4400];
    if (!st) st = configs_setup(setup, sizeof setup);
    for (size_t k = 0; !st && k < n_jobs; k++) jobs[k].setup = setup;
    snprintf(num, sizeof num, "%ld\n", o->n);
    char path[4096];
    if (!st) st = fsutil_join(path, sizeof path, sdir, "shards");
    if (!st) st = write_file(path, num);
    for (size_t k = 0; !st && k < n_jobs; k++)
        st = slurm_write_job(&jobs[k], sdir, o->sbatch);
    if (!st) st = slurm_write_submit(jobs, n_jobs, sdir);
    if (!st) repro_report(jobs, n_jobs, sdir, outarg, o->submit);
    if (!st && o->submit && n_jobs) st = run_submit(sdir);
    for (size_t k = 0; slots && k < ne; k++) free(slots[k].run);
    free(slots);
    free(jobs);
    free(whole);
    return st ? cli_fail(st) : 0;
}
