/* slurm.c — Slurm job scripts for a sharded sweep (see slurm.h). Writes
 * text only: it never runs sbatch or any other program. */
#include "slurm.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "err.h"
#include "fsutil.h"

int slurm_quote(char *buf, size_t n, const char *s)
{
    size_t k = 0;
    if (n < 3) PREF_ERROR(PREF_EINPUT, "slurm_quote: buffer too small");
    buf[k++] = '\'';
    for (const char *p = s; *p; p++) {
        const char *piece = *p == '\'' ? "'\\''" : NULL;
        size_t len = piece ? 4 : 1;
        if (k + len + 2 > n)
            PREF_ERROR(PREF_EINPUT, "path too long: %.60s...", s);
        if (piece) memcpy(buf + k, piece, len);
        else buf[k] = *p;
        k += len;
    }
    buf[k++] = '\'';
    buf[k] = '\0';
    return PREF_OK;
}

/* Options this module writes itself; the user may not set them. */
static const char *const reserved[] = {
    "--array", "-a", "--dependency", "-d", "--parsable", "--output", "-o",
    "--job-name", "-J", "--kill-on-invalid-dep",
};

static int reserved_option(const char *w, size_t len)
{
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++) {
        size_t r = strlen(reserved[i]);
        if (len >= r && strncmp(w, reserved[i], r) == 0 &&
            (len == r || w[r] == '=' || (reserved[i][1] != '-' && len > r)))
            return 1;
    }
    return 0;
}

int slurm_check_sbatch(const char *sbatch)
{
    if (!sbatch) return PREF_OK;
    for (const char *p = sbatch; *p; p++)
        if (strchr("'\"$`\\;&|<>", *p) || iscntrl((unsigned char)*p)) {
            if (*p == '\t') continue;
            PREF_ERROR(PREF_EINPUT, "--sbatch '%s': character '%c' not allowed "
                       "(give plain sbatch options, e.g. '--partition=short "
                       "--time=02:00:00')", sbatch, isprint((unsigned char)*p) ? *p : '?');
        }
    int first = 1;
    for (const char *p = sbatch; *p;) {
        while (*p == ' ' || *p == '\t') p++;
        size_t len = strcspn(p, " \t");
        if (!len) break;
        if (first && p[0] != '-')
            PREF_ERROR(PREF_EINPUT, "--sbatch '%s': '%.*s' is not an option "
                       "(options start with '-')", sbatch, (int)len, p);
        if (p[0] == '-' && reserved_option(p, len))
            PREF_ERROR(PREF_EINPUT, "--sbatch '%s': %.*s is set by hetpref "
                       "itself", sbatch, (int)len, p);
        first = 0;
        p += len;
    }
    return PREF_OK;
}

/* The user's options as #SBATCH lines: a word not starting with '-' is the
 * value of the option before it ("-p short"). */
static void put_sbatch(FILE *f, const char *sbatch)
{
    int open = 0;
    for (const char *p = sbatch ? sbatch : ""; *p;) {
        while (*p == ' ' || *p == '\t') p++;
        size_t len = strcspn(p, " \t");
        if (!len) break;
        if (p[0] == '-') fprintf(f, "%s#SBATCH %.*s", open ? "\n" : "", (int)len, p);
        else fprintf(f, " %.*s", (int)len, p);
        open = 1;
        p += len;
    }
    if (open) fputc('\n', f);
}

/* First lines of a job script. log: the --output pattern. */
static void put_header(FILE *f, const char *what, const char *name,
                       const char *log, const char *sbatch)
{
    fprintf(f, "#!/bin/bash\n# %s, written by hetpref. Submit with submit.sh "
            "(next to this file).\n#SBATCH --job-name=hetpref-%s\n"
            "#SBATCH --output=%s\n", what, name, log);
    put_sbatch(f, sbatch);
}

/* The --array list of the shards that run, as ranges: "1-4", "2,5-6". */
static void put_array(FILE *f, const slurm_job *j)
{
    fputs("#SBATCH --array=", f);
    int sep = 0;
    for (unsigned i = 0; i < j->n_shards; i++) {
        if (j->run && !j->run[i]) continue;
        unsigned e = i;
        while (e + 1 < j->n_shards && (!j->run || j->run[e + 1])) e++;
        fprintf(f, sep ? ",%u" : "%u", i + 1);
        if (e > i) fprintf(f, "-%u", e + 1);
        sep = 1;
        i = e;
    }
    fputc('\n', f);
}

unsigned slurm_job_tasks(const slurm_job *j)
{
    unsigned n = 0;
    for (unsigned i = 0; i < j->n_shards; i++) n += !j->run || j->run[i];
    return n;
}

typedef struct quoted {
    char bin[4200], config[4200], out[4200], shards[4200];
} quoted;

static int write_array(const slurm_job *j, const quoted *q, FILE *f,
                       const char *log, const char *sbatch)
{
    put_header(f, j->ids ? "One experiment per array task"
                         : "One shard of the sweep per array task",
               j->name, log, sbatch);
    put_array(f, j);
    fprintf(f, "set -eu\n%s", j->setup ? j->setup : "");
    fprintf(f, "i=${SLURM_ARRAY_TASK_ID:?not run as a Slurm array task}\n"
            "threads=${SLURM_CPUS_PER_TASK:-1}\n");
    if (j->ids) {
        fputs("case $i in\n", f);
        for (unsigned i = 0; i < j->n_shards; i++)
            fprintf(f, "%u) id=%s ;;\n", i + 1, j->ids[i]);
        fputs("*) echo \"hetpref: no experiment for array task $i\" >&2; "
              "exit 2 ;;\nesac\n", f);
        fprintf(f, "exec %s reproduce --only \"$id\" -o %s --threads \"$threads\""
                "%s%s%s\n", q->bin, q->out, j->extra ? " " : "",
                j->extra ? j->extra : "", j->resume ? " --resume" : "");
        return PREF_OK;
    }
    /* N is written out: SLURM_ARRAY_TASK_COUNT is the size of the array
     * submitted, not N, once some shards are resubmitted. */
    fprintf(f, "# The shard count %u is written out: SLURM_ARRAY_TASK_COUNT is "
            "the size of the\n# array submitted, which is smaller when only "
            "some shards are resubmitted.\n# exec: scancel's and a time limit's "
            "SIGTERM reach hetpref, which journals\n# the finished tasks and "
            "exits 143 (resume with --slurm %u --resume).\n", j->n_shards,
            j->n_shards);
    fprintf(f, "exec %s sweep %s -o %s/\"$i\" --shard \"$i/%u\" "
            "--threads \"$threads\"%s%s%s\n", q->bin, q->config, q->shards,
            j->n_shards, j->extra ? " " : "", j->extra ? j->extra : "",
            j->resume ? " --resume" : "");
    return PREF_OK;
}

static int write_merge(const slurm_job *j, const quoted *q, FILE *f,
                       const char *log, const char *sbatch)
{
    char name[300];
    snprintf(name, sizeof name, "%s-merge", j->name);
    put_header(f, "Merges the shards of the sweep", name, log, sbatch);
    fprintf(f, "set -eu\n%sthreads=${SLURM_CPUS_PER_TASK:-1}\n%s%s merge",
            j->setup ? j->setup : "", j->then ? "" : "exec ", q->bin);
    for (unsigned i = 0; i < j->n_shards; i++)
        fprintf(f, " \\\n  %s/%u", q->shards, i + 1);
    fprintf(f, " \\\n  -o %s\n", q->out);
    if (j->then) fprintf(f, "exec %s\n", j->then);
    return PREF_OK;
}

/* Commit o (st == PREF_OK) as an executable file, or drop it. */
static int script_done(fsutil_file *o, int st)
{
    if (st) {
        fsutil_abort(o);
        return st;
    }
    PREF_TRY(fsutil_commit(o));
    chmod(o->path, 0755);
    return PREF_OK;
}

/* Write dir/name with writer; executable. */
static int write_script(const char *dir, const char *prefix, const char *name,
                        int (*writer)(const slurm_job *, const quoted *, FILE *,
                                      const char *, const char *),
                        const slurm_job *j, const quoted *q, const char *sbatch)
{
    char file[512], path[4096], log[4096], logname[512];
    snprintf(file, sizeof file, "%s%s.sbatch", prefix, name);
    snprintf(logname, sizeof logname, "logs/%s%s%s.out", prefix, name,
             writer == write_array ? "-%a" : "");
    PREF_TRY(fsutil_join(path, sizeof path, dir, file));
    PREF_TRY(fsutil_join(log, sizeof log, dir, logname));
    fsutil_file o;
    PREF_TRY(fsutil_open(&o, path));
    int st = writer(j, q, o.f, log, sbatch);
    return script_done(&o, st);
}

int slurm_write_job(const slurm_job *j, const char *dir, const char *sbatch)
{
    if (j->n_shards < 1) PREF_ERROR(PREF_EINPUT, "slurm: no shards");
    PREF_TRY(slurm_check_sbatch(sbatch));
    if (strpbrk(dir, " \t\n%"))
        PREF_ERROR(PREF_EINPUT, "%s: Slurm's #SBATCH --output cannot name a "
                   "directory with blanks or '%%' in it; choose another -o", dir);
    quoted q;
    PREF_TRY(slurm_quote(q.bin, sizeof q.bin, j->bin));
    PREF_TRY(slurm_quote(q.config, sizeof q.config, j->config ? j->config : ""));
    PREF_TRY(slurm_quote(q.out, sizeof q.out, j->out));
    PREF_TRY(slurm_quote(q.shards, sizeof q.shards, j->shards ? j->shards : ""));
    char logs[4096];
    PREF_TRY(fsutil_join(logs, sizeof logs, dir, "logs"));
    PREF_TRY(fsutil_mkdirs(logs));
    const char *prefix = j->prefix ? j->prefix : "";
    char path[4096], file[512];
    snprintf(file, sizeof file, "%sarray.sbatch", prefix);
    PREF_TRY(fsutil_join(path, sizeof path, dir, file));
    if (slurm_job_tasks(j))
        PREF_TRY(write_script(dir, prefix, "array", write_array, j, &q, sbatch));
    else
        remove(path);
    if (!j->ids)
        PREF_TRY(write_script(dir, prefix, "merge", write_merge, j, &q, sbatch));
    return PREF_OK;
}

/* Lines of submit.sh for job k. */
static int put_submit(FILE *f, const slurm_job *j, size_t k, const char *dir)
{
    char path[4096], qa[4200], qm[4200], file[512];
    const char *prefix = j->prefix ? j->prefix : "";
    unsigned n = slurm_job_tasks(j);
    snprintf(file, sizeof file, "%sarray.sbatch", prefix);
    PREF_TRY(fsutil_join(path, sizeof path, dir, file));
    PREF_TRY(slurm_quote(qa, sizeof qa, path));
    snprintf(file, sizeof file, "%smerge.sbatch", prefix);
    PREF_TRY(fsutil_join(path, sizeof path, dir, file));
    PREF_TRY(slurm_quote(qm, sizeof qm, path));
    if (n) {
        fprintf(f, "a%zu=$(sbatch --parsable %s)\na%zu=${a%zu%%%%;*}\n"
                "echo \"array job $a%zu: %s, %u task%s\"\n", k, qa, k, k, k,
                j->name, n, n == 1 ? "" : "s");
    }
    if (j->ids) return PREF_OK;
    if (n)
        fprintf(f, "m%zu=$(sbatch --parsable --dependency=afterok:$a%zu "
                "--kill-on-invalid-dep=yes %s)\n", k, k, qm);
    else
        fprintf(f, "m%zu=$(sbatch --parsable %s)\n", k, qm);
    fprintf(f, "m%zu=${m%zu%%%%;*}\necho \"merge job $m%zu: %s%s\"\n", k, k, k,
            j->name, n ? ", after the array succeeds" : "");
    return PREF_OK;
}

int slurm_write_submit(const slurm_job *jobs, size_t n, const char *dir)
{
    char path[4096];
    PREF_TRY(fsutil_join(path, sizeof path, dir, "submit.sh"));
    fsutil_file o;
    PREF_TRY(fsutil_open(&o, path));
    fputs("#!/bin/sh\n# Submits the job arrays and the merges that depend on "
          "them; written by hetpref.\n# A failed or cancelled array task "
          "cancels its merge (--kill-on-invalid-dep=yes).\nset -eu\n", o.f);
    int st = PREF_OK;
    for (size_t k = 0; !st && k < n; k++) st = put_submit(o.f, &jobs[k], k + 1, dir);
    return script_done(&o, st);
}
