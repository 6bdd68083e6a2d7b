/* sweep.c — sweep plans, the parallel task loop, journal, merge (sweep.h).
 *
 * Determinism: rows are rebuilt from (plan, task index, seed, metrics) at the
 * end, never in completion order; metrics are stored and re-read as "%.17g"
 * text, which round-trips doubles exactly, so a merged or resumed sweep
 * writes the same bytes as one uninterrupted run. */
#include "sweep.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "bounds.h"
#include "csvio.h"
#include "csvrec.h"
#include "err.h"
#include "fsutil.h"
#include "progress.h"
#include "prov.h"
#include "rngs.h"
#include "stats.h"

#define SWEEP_MAX_VALUES 512

struct sweep_plan {
    const sweep_task *task;
    size_t n_keys, n_cells, reps, n_tasks;
    int key[CFG_EXTRA_MAX];
    int line[CFG_EXTRA_MAX];
    size_t n_vals[CFG_EXTRA_MAX];
    char *text[CFG_EXTRA_MAX];                    /* owned copies */
    const char *vals[CFG_EXTRA_MAX][SWEEP_MAX_VALUES];
    uint64_t master;
    unsigned char is_data[CFG_EXTRA_MAX];        /* key j defines data */
    uint64_t *data_hash;  /* hash of the data-defining keys, per combination
                           * of their values (data_cell) */
};

void sweep_params_init(sweep_params *p)
{
    p->threads = 0;
    p->shard_i = 1;
    p->shard_n = 1;
    p->resume = 0;
    p->force = 0;
    p->log = NULL;
}

void sweep_plan_free(sweep_plan *p)
{
    if (!p) return;
    for (size_t j = 0; j < p->n_keys; j++) free(p->text[j]);
    free(p->data_hash);
    free(p);
}

size_t sweep_plan_cells(const sweep_plan *p) { return p->n_cells; }
size_t sweep_plan_tasks(const sweep_plan *p) { return p->n_tasks; }
size_t sweep_plan_keys(const sweep_plan *p) { return p->n_keys; }

const char *sweep_plan_key_name(const sweep_plan *p, size_t j)
{
    return cfg_key_name(p->key[j]);
}

unsigned long sweep_plan_seed(const sweep_plan *p, size_t cell, size_t replicate)
{
    return rngs_seed(p->master, cell, replicate);
}

static size_t data_cell(const sweep_plan *p, size_t cell);

unsigned long sweep_plan_data_seed(const sweep_plan *p, size_t cell,
                                   size_t replicate)
{
    return rngs_seed(p->master, p->data_hash[data_cell(p, cell)], replicate);
}

/* 64-bit hash of the canonical text of c's data-defining keys (FNV-1a,
 * then one splitmix64 step so the hash is never a small cell index). 0 and
 * PREF_ENOMEM when out of memory. */
static int data_hash(const cfg *c, uint64_t *h)
{
    char *text = cfg_data_text(c);
    if (!text) PREF_ERROR(PREF_ENOMEM, "out of memory");
    uint64_t x = 1469598103934665603ULL;
    for (const unsigned char *b = (const unsigned char *)text; *b; b++)
        x = (x ^ *b) * 1099511628211ULL;
    free(text);
    *h = rngs_mix(x);
    return PREF_OK;
}

static size_t value_index(const sweep_plan *p, size_t cell, size_t j)
{
    for (size_t i = p->n_keys; i-- > j + 1;) cell /= p->n_vals[i];
    return cell % p->n_vals[j];
}

size_t sweep_plan_key_values(const sweep_plan *p, size_t j)
{
    return p->n_vals[j];
}

const char *sweep_plan_value(const sweep_plan *p, size_t cell, size_t j)
{
    return p->vals[j][value_index(p, cell, j)];
}

int sweep_plan_cell_cfg(const sweep_plan *p, const cfg *base, size_t cell,
                        cfg *out)
{
    if (out != base) memcpy(out, base, sizeof *out);
    for (size_t j = 0; j < p->n_keys; j++)
        PREF_TRY(cfg_set_dotted(out, cfg_key_name(p->key[j]),
                                sweep_plan_value(p, cell, j), base->file,
                                p->line[j]));
    return cfg_check(out);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = '\0';
    return s;
}

const sweep_task *sweep_task_find(const sweep_task_table *t, const char *name)
{
    for (size_t i = 0; t && i < t->n; i++)
        if (strcmp(t->v[i].name, name) == 0) return &t->v[i];
    return NULL;
}

/* Split key j's value list (e) into p->vals[j]. PREF_OK or PREF_EINPUT. */
static int plan_split(sweep_plan *p, const cfg *c, const cfg_entry *e, size_t j)
{
    p->key[j] = e->key;
    p->line[j] = e->line;
    p->text[j] = strdup(e->value);
    p->n_keys = j + 1;
    if (!p->text[j]) PREF_ERROR(PREF_ENOMEM, "out of memory");
    char *s = p->text[j];
    for (;;) {
        char *bar = strchr(s, '|');
        if (bar) *bar = '\0';
        if (p->n_vals[j] >= SWEEP_MAX_VALUES)
            PREF_ERROR(PREF_EINPUT, "%s:%d: [sweep] %s: more than %d values",
                       c->file, e->line, cfg_key_name(e->key), SWEEP_MAX_VALUES);
        p->vals[j][p->n_vals[j]++] = trim(s);
        if (!bar) break;
        s = bar + 1;
    }
    return PREF_OK;
}

/* Count the cells and tasks of p before anything is built: refuse beyond
 * SWEEP_MAX_CELLS / SWEEP_MAX_TASKS with the count (exact while it fits 64
 * bits), naming the [sweep] line at which the product passed the limit. */
static int plan_count(sweep_plan *p, const cfg *c)
{
    uint64_t n = 1;
    double approx = 1;
    size_t over = SIZE_MAX;  /* the key at which the product passed the limit */
    int wrapped = 0;
    for (size_t j = 0; j < p->n_keys; j++) {
        approx *= (double)p->n_vals[j];
        if (n > UINT64_MAX / p->n_vals[j]) wrapped = 1;
        n *= p->n_vals[j];
        if (over == SIZE_MAX && (wrapped || n > SWEEP_MAX_CELLS)) over = j;
    }
    if (over != SIZE_MAX) {
        char count[64];
        if (wrapped) snprintf(count, sizeof count, "about %.3g", approx);
        else snprintf(count, sizeof count, "%llu", (unsigned long long)n);
        PREF_ERROR(PREF_EINPUT, "%s:%d: [sweep] %s: the sweep has %s cells "
                   "(the product of every key's number of values), more than "
                   "the %d a sweep may have; split it into smaller sweeps",
                   c->file, p->line[over], cfg_key_name(p->key[over]), count,
                   SWEEP_MAX_CELLS);
    }
    p->n_cells = (size_t)n;
    if (p->reps > SWEEP_MAX_TASKS / p->n_cells)
        PREF_ERROR(PREF_EINPUT, "%s:%d: [sweep] replicates = %zu: %zu cells x "
                   "%zu replicates = %llu tasks, more than the %d a sweep may "
                   "have", c->file, c->line[CFG_KEY_sweep_replicates], p->reps,
                   p->n_cells, p->reps,
                   (unsigned long long)p->n_cells * p->reps, SWEEP_MAX_TASKS);
    p->n_tasks = p->n_cells * p->reps;
    return PREF_OK;
}

/* Index of cell's combination of data-defining values (0 .. n_data). */
static size_t data_cell(const sweep_plan *p, size_t cell)
{
    size_t d = 0;
    for (size_t j = 0; j < p->n_keys; j++)
        if (p->is_data[j]) d = d * p->n_vals[j] + value_index(p, cell, j);
    return d;
}

/* Say which cell failed: "FILE:LINE: [sweep] cell 2 (k = v, ...): why". */
static int cell_error(const sweep_plan *p, const cfg *c, size_t cell, int st)
{
    char desc[1024];
    size_t used = 0;
    for (size_t j = 0; j < p->n_keys && used < sizeof desc; j++)
        used += (size_t)snprintf(desc + used, sizeof desc - used, "%s%s = %s",
                                 j ? ", " : "", sweep_plan_key_name(p, j),
                                 sweep_plan_value(p, cell, j));
    char why[1400];
    snprintf(why, sizeof why, "%s", pref_last_error());
    return pref_set_error(st, "%s:%d: [sweep] cell %zu (%s): %s", c->file,
                          p->line[0], cell, desc, why);
}

/* Check every cell now, so a bad combination fails before any work, and
 * hash the data-defining keys once per combination of their values (cells
 * differing in estimator keys alone share it). */
static int plan_check(sweep_plan *p, const cfg *c)
{
    size_t n_data = 1;
    for (size_t j = 0; j < p->n_keys; j++) {
        p->is_data[j] = cfg_key_defines_data(p->key[j]) != 0;
        if (p->is_data[j]) n_data *= p->n_vals[j];
    }
    cfg *cc = malloc(sizeof *cc);
    unsigned char *done = calloc(n_data, 1);
    p->data_hash = malloc(n_data * sizeof *p->data_hash);
    int st = cc && done && p->data_hash ? PREF_OK
           : pref_set_error(PREF_ENOMEM, "out of memory");
    for (size_t cell = 0; cell < p->n_cells && !st; cell++) {
        size_t d = data_cell(p, cell);
        st = sweep_plan_cell_cfg(p, c, cell, cc);
        if (!st && p->task->check) st = p->task->check(cc);
        if (!st && !done[d]) st = data_hash(cc, &p->data_hash[d]);
        done[d] = 1;
        if (st && p->n_keys) st = cell_error(p, c, cell, st);
    }
    free(done);
    free(cc);
    return st;
}

int sweep_plan_build(const cfg *c, const sweep_task_table *tasks,
                     sweep_plan **out)
{
    *out = NULL;
    const char *name = cfg_value_name(c->sweep_task);
    const sweep_task *task = sweep_task_find(tasks, name);
    if (!task) PREF_ERROR(PREF_EINTERNAL, "task '%s' not registered", name);
    sweep_plan *p = calloc(1, sizeof *p);
    if (!p) PREF_ERROR(PREF_ENOMEM, "out of memory");
    p->task = task;
    p->reps = (size_t)c->sweep_replicates;
    p->master = (uint64_t)c->run_seed;
    int st = PREF_OK;
    for (size_t j = 0; j < c->sweep.n && !st; j++)
        st = plan_split(p, c, &c->sweep.e[j], j);
    if (!st) st = plan_count(p, c);
    if (!st) st = plan_check(p, c);
    if (st) {
        sweep_plan_free(p);
        return st;
    }
    *out = p;
    return PREF_OK;
}

/* ---- output tables ------------------------------------------------------ */

typedef struct results {
    size_t n_tasks, n_metrics;
    unsigned char *have;
    unsigned long *seed;
    double *met;       /* (n_tasks, n_metrics) */
} results;

static void results_free(results *r)
{
    free(r->have);
    free(r->seed);
    free(r->met);
}

static int results_alloc(results *r, size_t n_tasks, size_t n_metrics)
{
    r->n_tasks = n_tasks;
    r->n_metrics = n_metrics;
    r->have = calloc(n_tasks ? n_tasks : 1, 1);
    r->seed = calloc(n_tasks ? n_tasks : 1, sizeof *r->seed);
    r->met = calloc(n_tasks * n_metrics + 1, sizeof *r->met);
    if (!r->have || !r->seed || !r->met) {
        results_free(r);
        PREF_ERROR(PREF_ENOMEM, "out of memory for %zu tasks", n_tasks);
    }
    return PREF_OK;
}

static int write_runs(const sweep_plan *p, const results *r, const char *dir)
{
    char path[4096];
    PREF_TRY(fsutil_join(path, sizeof path, dir, "runs.csv"));
    fsutil_file o;
    PREF_TRY(fsutil_open(&o, path));
    FILE *f = o.f;
    fputs("task,cell,replicate", f);
    for (size_t j = 0; j < p->n_keys; j++) {
        fputc(',', f);
        csvio_put_text(f, sweep_plan_key_name(p, j));
    }
    fputs(",seed,data_seed", f);
    for (size_t k = 0; k < r->n_metrics; k++) fprintf(f, ",%s", p->task->metrics[k]);
    fputc('\n', f);
    for (size_t t = 0; t < r->n_tasks; t++) {
        if (!r->have[t]) continue;
        size_t cell = t / p->reps, rep = t % p->reps;
        fprintf(f, "%zu,%zu,%zu", t, cell, rep);
        for (size_t j = 0; j < p->n_keys; j++) {
            fputc(',', f);
            csvio_put_text(f, sweep_plan_value(p, cell, j));
        }
        fprintf(f, ",%lu,%lu", r->seed[t], sweep_plan_data_seed(p, cell, rep));
        for (size_t k = 0; k < r->n_metrics; k++) {
            fputc(',', f);
            csvio_put_num(f, r->met[t * r->n_metrics + k]);
        }
        fputc('\n', f);
    }
    return fsutil_commit(&o);
}

static int write_summary(const sweep_plan *p, const results *r, const char *dir)
{
    char path[4096];
    PREF_TRY(fsutil_join(path, sizeof path, dir, "summary.csv"));
    double *vals = malloc((p->reps + 1) * 2 * sizeof(double));
    if (!vals) PREF_ERROR(PREF_ENOMEM, "out of memory");
    fsutil_file o;
    int st = fsutil_open(&o, path);
    if (st) {
        free(vals);
        return st;
    }
    FILE *f = o.f;
    fputs("cell", f);
    for (size_t j = 0; j < p->n_keys; j++) {
        fputc(',', f);
        csvio_put_text(f, sweep_plan_key_name(p, j));
    }
    fputs(",metric,n,mean,sd,ci_low,ci_high\n", f);
    for (size_t cell = 0; cell < p->n_cells; cell++) {
        size_t any = 0;
        for (size_t rep = 0; rep < p->reps; rep++) any += r->have[cell * p->reps + rep];
        if (!any) continue;
        for (size_t k = 0; k < r->n_metrics; k++) {
            size_t n = 0;
            for (size_t rep = 0; rep < p->reps; rep++) {
                size_t t = cell * p->reps + rep;
                if (r->have[t]) vals[n++] = r->met[t * r->n_metrics + k];
            }
            stats_summary s;
            stats_summarise(vals, 1, n, vals + p->reps + 1, &s);
            fprintf(f, "%zu", cell);
            for (size_t j = 0; j < p->n_keys; j++) {
                fputc(',', f);
                csvio_put_text(f, sweep_plan_value(p, cell, j));
            }
            fprintf(f, ",%s,%zu,", p->task->metrics[k], s.n);
            csvio_put_num(f, s.mean);
            fputc(',', f);
            csvio_put_num(f, s.sd);
            fputc(',', f);
            csvio_put_num(f, s.ci_low);
            fputc(',', f);
            csvio_put_num(f, s.ci_high);
            fputc('\n', f);
        }
    }
    free(vals);
    return fsutil_commit(&o);
}

/* ---- the journal ------------------------------------------------------- */

/* Whole-field numbers: 0 and *v, or -1 when s is not one. */
static int field_size(const char *s, size_t *v)
{
    char *e;
    errno = 0;
    unsigned long long x = strtoull(s, &e, 10);
    if (e == s || *e || errno || *s == '-' || x > SIZE_MAX) return -1;
    *v = (size_t)x;
    return 0;
}

static int field_ulong(const char *s, unsigned long *v)
{
    char *e;
    errno = 0;
    *v = strtoul(s, &e, 10);
    return e == s || *e || errno || *s == '-' ? -1 : 0;
}

static int field_double(const char *s, double *v)
{
    char *e;
    *v = strtod(s, &e);
    return e == s || *e ? -1 : 0;
}

/* Metrics m[0..n) from fields first.. of rec. 0, or -1 on a bad field (one
 * holding a NUL byte too: it would be read only up to the NUL). */
static int fields_metrics(const csvrec_record *rec, size_t first, double *m,
                          size_t n)
{
    for (size_t k = 0; k < n; k++) {
        size_t len;
        const char *f = csvrec_field(rec, first + k, &len);
        if (strlen(f) != len || field_double(f, &m[k])) return -1;
    }
    return 0;
}

/* One journal line: task, seed, metrics, tab-separated. */
static int journal_line(const csvrec_record *rec, const sweep_plan *p,
                        results *r)
{
    size_t t, nm = r->n_metrics;
    unsigned long seed;
    if (rec->nf != 2 + nm ||
        field_size(csvrec_field(rec, 0, NULL), &t) || t >= p->n_tasks ||
        field_ulong(csvrec_field(rec, 1, NULL), &seed) ||
        seed != sweep_plan_seed(p, t / p->reps, t % p->reps) ||
        fields_metrics(rec, 2, r->met + t * nm, nm))
        return -1; /* a line this configuration cannot have written */
    r->have[t] = 1;
    r->seed[t] = seed;
    return 0;
}

/* Tasks finished by an earlier run, from the journal (tab-separated lines
 * "task seed metrics..." read through csvrec). A missing journal means
 * nothing was done; a torn last line (no line end) is dropped, so that
 * task runs again. */
static int journal_load(const char *path, const sweep_plan *p, results *r)
{
    FILE *f = fopen(path, "rb");
    if (!f) return PREF_OK; /* nothing done yet */
    int st;
    csvrec *cr = csvrec_alloc(f, path, 0, '\t', &st);
    const csvrec_record *rec;
    while (!st && !(st = csvrec_next(cr, &rec)) && rec && rec->terminated)
        if (journal_line(rec, p, r))
            st = csvrec_error(cr, rec->line, "corrupt journal line");
    csvrec_free(cr);
    fclose(f);
    return st;
}

/* The signal that stopped the sweep (SIGINT or SIGTERM), 0 while none. */
static volatile sig_atomic_t sweep_stop;

static void on_stop_signal(int sig)
{
    sweep_stop = sig;
}

/* The resolved config as text, for writing and for --resume comparisons. */
static char *config_text(const cfg *c)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f) return NULL;
    cfg_write(c, f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* The whole file, or NULL (the caller words the error). */
static char *read_file(const char *path)
{
    char *buf;
    return fsutil_read_file(path, &buf, NULL) == PREF_OK ? buf : NULL;
}

static int write_text(const char *dir, const char *name, const char *text)
{
    char path[4096];
    PREF_TRY(fsutil_join(path, sizeof path, dir, name));
    fsutil_file o;
    PREF_TRY(fsutil_open(&o, path));
    fputs(text, o.f);
    return fsutil_commit(&o);
}

/* runs.csv and summary.csv (and config.ini holding config, when not NULL)
 * into dir, all or nothing: staged beside dir and committed together
 * (fsutil.h), replacing the files named in owned and removing those of
 * them this call did not write. */
static int write_results(const sweep_plan *p, const results *r, const char *dir,
                         const char *config, const char *const *owned)
{
    fsutil_stage stage = {.dir = ""};
    int st = fsutil_stage_begin(&stage, dir);
    if (!st && config) st = write_text(stage.dir, "config.ini", config);
    if (!st) st = write_runs(p, r, stage.dir);
    if (!st) st = write_summary(p, r, stage.dir);
    if (!st) st = fsutil_stage_commit(&stage, owned);
    fsutil_stage_abort(&stage);
    return st;
}

/* One sweep in progress: the plan, the results so far, the tasks of this
 * shard still to run and the open journal. */
typedef struct sweep_exec {
    sweep_plan *p;
    results r;
    size_t *pending, n_pending, n_shard;
    FILE *journal;
    char jpath[4096];
} sweep_exec;

static void exec_free(sweep_exec *x)
{
    if (x->journal) fclose(x->journal);
    free(x->pending);
    if (x->p) results_free(&x->r);
    sweep_plan_free(x->p);
}

/* PREF_OK when dir may take a sweep of the configuration text: it holds no
 * results, results of the same configuration, or force is set; else
 * PREF_EINPUT naming the way out. */
static int exec_may_write(const char *dir, const char *cpath, const char *text,
                          int force)
{
    char runs[4096];
    PREF_TRY(fsutil_join(runs, sizeof runs, dir, "runs.csv"));
    int have_cfg = fsutil_exists(cpath);
    char *old = have_cfg ? read_file(cpath) : NULL;
    int other = old ? !prov_same_config(old, text) : have_cfg;
    free(old);
    if (force) return PREF_OK;
    if (other)
        PREF_ERROR(PREF_EINPUT, "%s: holds the results of a different "
                   "configuration (%s differs from this one); use --force to "
                   "overwrite them, or --resume to finish an interrupted sweep "
                   "of the same configuration", dir, cpath);
    if (!have_cfg && fsutil_exists(runs))
        PREF_ERROR(PREF_EINPUT, "%s: holds a runs.csv without a config.ini "
                   "(not a sweep of this configuration); use --force to "
                   "overwrite it", dir);
    return PREF_OK;
}

static int merge_one(const char *dir, const sweep_plan *p, results *r);

/* With resume and no journal: the tasks of this shard in a finished
 * runs.csv of the same configuration (cpath holds text) are done too, so a
 * finished sweep resumed, or shards merged into dir, run nothing again. */
static int exec_load_runs(sweep_exec *x, const char *dir, const char *cpath,
                          const char *text, const sweep_params *sp)
{
    char runs[4096];
    PREF_TRY(fsutil_join(runs, sizeof runs, dir, "runs.csv"));
    char *old = fsutil_exists(runs) ? read_file(cpath) : NULL;
    int same = old && prov_same_config(old, text);
    free(old);
    if (!same) return PREF_OK;
    PREF_TRY(merge_one(dir, x->p, &x->r));
    for (size_t t = 0; t < x->r.n_tasks; t++)
        if (t % sp->shard_n != sp->shard_i - 1) x->r.have[t] = 0;
    return PREF_OK;
}

/* Write config.ini into dir; with resume, load the journal of a previous run
 * of the same configuration, else start a fresh journal. A directory holding
 * the results of another configuration is only overwritten with force. */
static int exec_config(sweep_exec *x, const cfg *c, const char *dir,
                       const sweep_params *sp)
{
    char cpath[4096];
    char *text = config_text(c);
    int st = text ? PREF_OK : pref_set_error(PREF_ENOMEM, "out of memory");
    if (!st) st = fsutil_mkdirs(dir);
    if (!st) st = fsutil_join(x->jpath, sizeof x->jpath, dir, "runs.journal");
    if (!st) st = fsutil_join(cpath, sizeof cpath, dir, "config.ini");
    if (!st && sp->resume && fsutil_exists(x->jpath)) {
        char *old = read_file(cpath);
        if (!old || !prov_same_config(old, text))
            st = pref_set_error(PREF_EINPUT, "%s: --resume: the directory holds "
                                "a sweep with a different configuration", dir);
        free(old);
        if (!st) st = journal_load(x->jpath, x->p, &x->r);
    } else if (!st) {
        st = exec_may_write(dir, cpath, text, sp->force);
        if (!st) remove(x->jpath);
        if (!st && sp->resume) st = exec_load_runs(x, dir, cpath, text, sp);
    }
    if (!st) st = write_text(dir, "config.ini", text);
    free(text);
    return st;
}

/* Plan, config.ini, journal, and the pending tasks of shard sp. */
static int exec_prepare(sweep_exec *x, const cfg *c, const sweep_task_table *tasks,
                        const char *dir, const sweep_params *sp)
{
    if (sp->shard_n < 1 || sp->shard_i < 1 || sp->shard_i > sp->shard_n)
        PREF_ERROR(PREF_EINPUT, "--shard %u/%u: need 1 <= I <= N", sp->shard_i,
                   sp->shard_n);
    PREF_TRY(sweep_plan_build(c, tasks, &x->p));
    int st = results_alloc(&x->r, x->p->n_tasks, x->p->task->n_metrics);
    if (st) {
        sweep_plan_free(x->p);
        x->p = NULL;
        return st;
    }
    PREF_TRY(exec_config(x, c, dir, sp));
    x->pending = malloc((x->p->n_tasks + 1) * sizeof *x->pending);
    if (!x->pending) PREF_ERROR(PREF_ENOMEM, "out of memory");
    for (size_t t = 0; t < x->p->n_tasks; t++) {
        if (t % sp->shard_n != sp->shard_i - 1) continue;
        x->n_shard++;
        if (!x->r.have[t]) x->pending[x->n_pending++] = t;
    }
    if (sp->resume && sp->log)
        fprintf(sp->log, "hetpref: sweep: --resume: skipped %zu of %zu tasks "
                "(done: %s); %zu to run\n", x->n_shard - x->n_pending,
                x->n_shard, fsutil_exists(x->jpath) ? x->jpath
                : x->n_shard > x->n_pending ? "a finished runs.csv"
                : "no journal", x->n_pending);
    x->journal = fopen(x->jpath, "a");
    if (!x->journal)
        PREF_ERROR(PREF_EIO, "%s: cannot write: %s", x->jpath, strerror(errno));
    return PREF_OK;
}

/* Record task t's result: in memory and as one whole, flushed journal line,
 * so an interrupted run keeps every finished task. Caller holds the lock. */
static void exec_record(sweep_exec *x, size_t t, unsigned long seed,
                        const double *met)
{
    size_t nm = x->r.n_metrics;
    fprintf(x->journal, "%zu\t%lu", t, seed);
    for (size_t k = 0; k < nm; k++) {
        fputc('\t', x->journal);
        csvio_put_num(x->journal, met[k]);
        x->r.met[t * nm + k] = met[k];
    }
    fputc('\n', x->journal);
    fflush(x->journal);
    x->r.have[t] = 1;
    x->r.seed[t] = seed;
}

/* Inside the task-parallel region: a task's own parallel regions run on
 * the calling thread alone. With nt > 1 they are nested (inactive) anyway;
 * with nt = 1 the task region is inactive, so without this they would
 * start omp_get_max_threads() threads and spin on work too small to share
 * (7 s of CPU for 0.8 s of work in the fisher experiment). */
static void tasks_run_alone(void)
{
#ifdef _OPENMP
    omp_set_num_threads(1);
#endif
}

/* Run the pending tasks on nt threads. Returns the first task error (its
 * message in fail_msg) or 0; SIGINT stops new tasks from starting. */
static int exec_tasks(sweep_exec *x, const cfg *c, int nt, char *fail_msg,
                      size_t fail_n)
{
    const sweep_plan *p = x->p;
    /* Test hooks: raise a real SIGINT (or SIGTERM) after this many tasks
     * finish, so the interrupt/resume path is tested deterministically. */
    const char *hook = getenv("HETPREF_TEST_SIGINT_AFTER");
    const char *hook_term = getenv("HETPREF_TEST_SIGTERM_AFTER");
    int hook_sig = hook_term && *hook_term ? SIGTERM : SIGINT;
    if (hook_sig == SIGTERM) hook = hook_term;
    long sigint_after = hook && *hook ? strtol(hook, NULL, 10) : -1;
    size_t finished = 0;
    progress bar;
    progress_start(&bar, "sweep", x->n_pending);
    int failed = 0;
#pragma omp parallel num_threads(nt)
    {
        tasks_run_alone();
        cfg *cc = malloc(sizeof *cc);
        gsl_rng *rng = rngs_alloc(1), *data = rngs_alloc(1);
        double met[PREF_MAX_METRICS];
        if (!cc || !rng || !data || x->r.n_metrics > PREF_MAX_METRICS) {
#pragma omp critical(hetpref_sweep)
            if (!failed) {
#pragma omp atomic write
                failed = PREF_ENOMEM;
                snprintf(fail_msg, fail_n, "out of memory");
            }
        }
#pragma omp for schedule(dynamic, 1)
        for (size_t i = 0; i < x->n_pending; i++) {
            int stop;
#pragma omp atomic read
            stop = failed;
            if (stop || sweep_stop) continue;
            size_t t = x->pending[i], cell = t / p->reps, rep = t % p->reps;
            unsigned long seed = sweep_plan_seed(p, cell, rep);
            int ts = sweep_plan_cell_cfg(p, c, cell, cc);
            if (!ts) {
                gsl_rng_set(rng, seed);
                gsl_rng_set(data, sweep_plan_data_seed(p, cell, rep));
                ts = p->task->run(cc, data, rng, met);
            }
#pragma omp critical(hetpref_sweep)
            {
                if (ts && !failed) {
#pragma omp atomic write
                    failed = ts;
                    snprintf(fail_msg, fail_n, "task %zu (cell %zu, replicate "
                             "%zu): %s", t, cell, rep, pref_last_error());
                } else if (!ts) {
                    exec_record(x, t, seed, met);
                    if (++finished == (size_t)sigint_after) raise(hook_sig);
                }
            }
            progress_tick(&bar, 1);
        }
        free(cc);
        gsl_rng_free(rng);
        gsl_rng_free(data);
    }
    progress_end(&bar);
    return failed;
}

int sweep_run(const cfg *c, const sweep_task_table *tasks, const char *dir,
              const sweep_params *pp)
{
    sweep_params defaults;
    sweep_params_init(&defaults);
    const sweep_params *sp = pp ? pp : &defaults;
    sweep_exec x = {0};
    int st = exec_prepare(&x, c, tasks, dir, sp);
    if (st) {
        exec_free(&x);
        return st;
    }
    int nt = sp->threads;
#ifdef _OPENMP
    if (nt <= 0) nt = omp_get_max_threads();
#else
    nt = 1;
#endif
    /* SIGINT (Ctrl-C) and SIGTERM (scancel, time limits, preemption, docker
     * stop) alike: tasks in flight finish and are journalled, none starts. */
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sweep_stop = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    char fail_msg[1400] = "";
    int failed = exec_tasks(&x, c, nt, fail_msg, sizeof fail_msg);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    int jerr = ferror(x.journal);
    if (fclose(x.journal) != 0) jerr = 1;
    x.journal = NULL;

    size_t done = 0;
    for (size_t i = 0; i < x.n_pending; i++) done += x.r.have[x.pending[i]];
    if (failed) st = pref_set_error(failed, "%s", fail_msg);
    else if (jerr) st = pref_set_error(PREF_EIO, "%s: write failed", x.jpath);
    else if (sweep_stop || done < x.n_pending)
        st = pref_set_error(sweep_stop == SIGTERM ? PREF_ETERM : PREF_EINTR,
                            "%s: %zu of %zu tasks done (journal %s); rerun with "
                            "--resume to finish", sweep_stop == SIGTERM
                            ? "terminated (SIGTERM)" : "interrupted",
                            x.n_shard - x.n_pending + done, x.n_shard, x.jpath);
    /* The journal goes only once both tables are in place. */
    static const char *const owned[] = {"runs.csv", "summary.csv", NULL};
    if (!st) st = write_results(x.p, &x.r, dir, NULL, owned);
    if (!st) remove(x.jpath);
    exec_free(&x);
    return st;
}

/* ---- map ---------------------------------------------------------------- */

int sweep_map(const sweep_plan *p, const cfg *base, int threads,
              const char *label, sweep_map_fn fn, void *user)
{
    int nt = threads;
#ifdef _OPENMP
    if (nt <= 0) nt = omp_get_max_threads();
#else
    nt = 1;
#endif
    int failed = 0;
    char msg[1400] = "";
    progress bar;
    progress_start(&bar, label, p->n_tasks);
#pragma omp parallel num_threads(nt)
    {
        tasks_run_alone();
        cfg *cc = malloc(sizeof *cc);
        gsl_rng *rng = rngs_alloc(1), *data = rngs_alloc(1);
#pragma omp for schedule(dynamic, 1)
        for (size_t t = 0; t < p->n_tasks; t++) {
            int stop;
#pragma omp atomic read
            stop = failed;
            if (stop) continue;
            size_t cell = t / p->reps, rep = t % p->reps;
            int s = (!cc || !rng || !data)
                        ? pref_set_error(PREF_ENOMEM, "out of memory")
                        : sweep_plan_cell_cfg(p, base, cell, cc);
            if (!s) {
                gsl_rng_set(rng, sweep_plan_seed(p, cell, rep));
                gsl_rng_set(data, sweep_plan_data_seed(p, cell, rep));
                s = fn(cc, data, rng, t, user);
            }
            progress_tick(&bar, 1);
            if (s) {
#pragma omp critical(hetpref_sweep_map)
                if (!failed) {
                    failed = s;
                    snprintf(msg, sizeof msg, "task %zu (cell %zu, replicate %zu): %s",
                             t, cell, rep, pref_last_error());
                }
            }
        }
        free(cc);
        gsl_rng_free(rng);
        gsl_rng_free(data);
    }
    progress_end(&bar);
    if (failed) PREF_ERROR(failed, "%s", msg);
    return PREF_OK;
}

/* ---- merge -------------------------------------------------------------- */

/* One row of a shard's runs.csv:
 * task,cell,replicate,keys...,seed,data_seed,metrics. */
static int merge_row(csvrec *cr, const csvrec_record *rec,
                     const sweep_plan *p, results *r)
{
    size_t nk = p->n_keys, nm = r->n_metrics, want = 5 + nk + nm, task;
    unsigned long seed, data_seed;
    double met[PREF_MAX_METRICS];
    if (rec->nf != want)
        return csvrec_error(cr, rec->line, "expected %zu fields, got %zu",
                            want, rec->nf);
    if (nm > sizeof met / sizeof met[0])
        PREF_ERROR(PREF_EINTERNAL, "merge: %zu metrics (at most 64)", nm);
    if (field_size(csvrec_field(rec, 0, NULL), &task) ||
        field_ulong(csvrec_field(rec, 3 + nk, NULL), &seed) ||
        field_ulong(csvrec_field(rec, 4 + nk, NULL), &data_seed) ||
        fields_metrics(rec, 5 + nk, met, nm))
        return csvrec_error(cr, rec->line, "not a number");
    if (task >= r->n_tasks)
        return csvrec_error(cr, rec->line, "task %zu out of range", task);
    size_t cell = task / p->reps, rep = task % p->reps;
    if (data_seed != sweep_plan_data_seed(p, cell, rep) ||
        seed != sweep_plan_seed(p, cell, rep))
        return csvrec_error(cr, rec->line, "task %zu: seed %lu / data_seed %lu "
                            "are not the ones its config.ini gives (written by "
                            "another version, or edited?)", task, seed, data_seed);
    size_t c2, r2;
    if (field_size(csvrec_field(rec, 1, NULL), &c2) || c2 != cell ||
        field_size(csvrec_field(rec, 2, NULL), &r2) || r2 != rep)
        return csvrec_error(cr, rec->line, "task %zu: cell and replicate are "
                            "not %zu and %zu", task, cell, rep);
    for (size_t j = 0; j < nk; j++)
        if (strcmp(csvrec_field(rec, 3 + j, NULL), sweep_plan_value(p, cell, j)))
            return csvrec_error(cr, rec->line, "task %zu: %s is '%s', not '%s' "
                                "as its config.ini gives", task,
                                sweep_plan_key_name(p, j),
                                csvrec_field(rec, 3 + j, NULL),
                                sweep_plan_value(p, cell, j));
    if (r->have[task])
        return csvrec_error(cr, rec->line, "task %zu appears in more than one "
                            "shard", task);
    r->have[task] = 1;
    r->seed[task] = seed;
    memcpy(r->met + task * nm, met, nm * sizeof(double));
    return PREF_OK;
}

/* Read dir/runs.csv into r (the header is checked by its field count). */
static int merge_one(const char *dir, const sweep_plan *p, results *r)
{
    char path[4096];
    PREF_TRY(fsutil_join(path, sizeof path, dir, "runs.csv"));
    FILE *f = fopen(path, "rb");
    if (!f) PREF_ERROR(PREF_EINPUT, "%s: cannot open: %s", path, strerror(errno));
    int st;
    csvrec *cr = csvrec_alloc(f, path, 0, ',', &st);
    const csvrec_record *rec;
    size_t want = 5 + p->n_keys + r->n_metrics;
    for (int header = 1; !st && !(st = csvrec_next(cr, &rec)) && rec;
         header = 0) {
        if (!header) st = merge_row(cr, rec, p, r);
        else if (rec->nf != want)
            st = csvrec_error(cr, rec->line, "expected %zu fields, got %zu",
                              want, rec->nf);
    }
    csvrec_free(cr);
    fclose(f);
    return st;
}

int sweep_merge(const char *const *dirs, size_t n, const char *out,
                const sweep_task_table *tasks)
{
    if (n == 0) PREF_ERROR(PREF_EINPUT, "merge: no directories given");
    char path[4096];
    PREF_TRY(fsutil_join(path, sizeof path, dirs[0], "config.ini"));
    char *text = read_file(path);
    if (!text) PREF_ERROR(PREF_EINPUT, "%s: cannot read", path);
    for (size_t i = 1; i < n; i++) {
        char p2[4096];
        int s = fsutil_join(p2, sizeof p2, dirs[i], "config.ini");
        char *t2 = s ? NULL : read_file(p2);
        int same = t2 && prov_same_config(t2, text);
        free(t2);
        if (!same) {
            free(text);
            PREF_ERROR(PREF_EINPUT, "%s: config differs from %s (not shards of "
                       "one sweep)", p2, path);
        }
    }
    cfg *c = malloc(sizeof *c);
    if (!c) {
        free(text);
        PREF_ERROR(PREF_ENOMEM, "out of memory");
    }
    cfg_init(c);
    int st = cfg_load(c, path);
    sweep_plan *p = NULL;
    results r = {0};
    if (!st) st = sweep_plan_build(c, tasks, &p);
    if (!st) st = results_alloc(&r, p->n_tasks, p->task->n_metrics);
    for (size_t i = 0; !st && i < n; i++) st = merge_one(dirs[i], p, &r);
    for (size_t t = 0; !st && p && t < p->n_tasks; t++)
        if (!r.have[t])
            st = pref_set_error(PREF_EINPUT, "merge: task %zu is in none of the "
                                "%zu directories (a shard missing?)", t, n);
    /* A journal in out belongs to an older, interrupted run: not kept
     * beside the merged result. */
    static const char *const owned[] = {"config.ini", "runs.csv",
                                        "summary.csv", "runs.journal", NULL};
    if (!st) st = write_results(p, &r, out, text, owned);
    free(text);
    free(c);
    if (p) results_free(&r);
    sweep_plan_free(p);
    return st;
}

/* ---- status ------------------------------------------------------------- */

int sweep_dir_status(const sweep_plan *p, const char *dir, unsigned shard_i,
                     unsigned shard_n, sweep_status *s)
{
    if (shard_n < 1 || shard_i < 1 || shard_i > shard_n)
        PREF_ERROR(PREF_EINPUT, "shard %u/%u: need 1 <= I <= N", shard_i, shard_n);
    char jpath[4096], runs[4096];
    PREF_TRY(fsutil_join(jpath, sizeof jpath, dir, "runs.journal"));
    PREF_TRY(fsutil_join(runs, sizeof runs, dir, "runs.csv"));
    memset(s, 0, sizeof *s);
    for (size_t t = shard_i - 1; t < p->n_tasks; t += shard_n) s->total++;
    if (fsutil_exists(jpath)) s->state = SWEEP_PARTIAL;
    else if (fsutil_exists(runs)) s->state = SWEEP_FINISHED;
    else return PREF_OK;
    results r;
    PREF_TRY(results_alloc(&r, p->n_tasks, p->task->n_metrics));
    int st = s->state == SWEEP_PARTIAL ? journal_load(jpath, p, &r)
                                       : merge_one(dir, p, &r);
    for (size_t t = shard_i - 1; !st && t < p->n_tasks; t += shard_n)
        s->done += r.have[t];
    results_free(&r);
    return st;
}
