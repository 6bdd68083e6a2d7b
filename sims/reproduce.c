/* reproduce.c — the experiment registry and its driver (see reproduce.h). */
#include "reproduce.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "fsutil.h"
#include "plot.h"
#include "sweep.h"
#include "tasks.h"

#include "calibration.h"
#include "emdpo_sim.h"
#include "equivalence.h"
#include "fisher.h"
#include "lcl.h"
#include "mmra_sim.h"
#include "npmle_sim.h"

static const repro_exp table[] = {
    {"calibration",
     "simulated answer frequencies vs exact Plackett-Luce probabilities",
     calib_experiment, calib_plot, 1},
    {"equivalence", "polarised vs indifferent: identical pair probabilities, "
     "different ternary ones", equiv_experiment, equiv_plot, 1},
    {"fisher", "smallest Fisher eigenvalue vs asymmetry and vs T, pairs vs "
     "triples", fisher_experiment, fisher_plot, 1},
    {"recovery", "W1 error of the estimated mixture vs N: pairs / top-1 of 3 / "
     "full 3, log-log slopes", lcl_recovery_experiment, lcl_recovery_plot, 1},
    {"budget", "W1 error vs answers per user at a fixed budget N*T",
     lcl_budget_experiment, lcl_budget_plot, 1},
    {"select_k", "paired BIC and ICL differences vs the number of fitted "
     "types, pairs vs triples",
     lcl_selectk_experiment, lcl_selectk_plot, 1},
    {"coverage", "coverage of 95% Wald intervals (observed information, "
     "sandwich)", lcl_coverage_experiment, lcl_coverage_plot, 1},
    {"emdpo_clusters", "EM-DPO clustering accuracy and eta across iterations: "
     "pairs vs top-1 of 3 vs full 3", emdposim_clusters_experiment,
     emdposim_clusters_plot, 0},
    {"emdpo_groups", "per-type held-out accuracy and regret: reference, DPO, "
     "cluster-DPO, EM-DPO, oracle", emdposim_groups_experiment, emdposim_groups_plot, 1},
    {"mmra", "regret matrix, MMRA weights vs regret weights, worst-type true "
     "regret per aggregator", mmrasim_experiment, mmrasim_plot, 0},
    {"npmle", "the whole gaussian mixing distribution by grid NPMLE: heat maps "
     "and W1 vs N, pairs / top-1 of 3 / full 3", npmlesim_experiment, npmlesim_plot, 1},
    {"npmle_polarised", "grid NPMLE of a polarised population, b and its mirror: pairs "
     "cannot tell it from 0, triples recover it", npmlesim_experiment,
     npmlesim_polarised_plot, 1},
};
#define N_EXP (sizeof table / sizeof table[0])

const repro_exp *repro_find(const char *id)
{
    for (size_t i = 0; i < N_EXP; i++)
        if (strcmp(table[i].id, id) == 0) return &table[i];
    return NULL;
}

void repro_list(FILE *f)
{
    for (size_t i = 0; i < N_EXP; i++)
        fprintf(f, "  %-16s %s\n", table[i].id, table[i].what);
}

int repro_config_path(const char *id, char *buf, size_t n)
{
    char name[256];
    snprintf(name, sizeof name, "%s.ini", id);
    const char *env = getenv("HETPREF_CONFIGS");
    const char *dirs[] = {env, "configs", HETPREF_DATADIR "/configs"};
    for (size_t i = 0; i < 3; i++) {
        if (!dirs[i] || !dirs[i][0]) continue;
        if (fsutil_join(buf, n, dirs[i], name) == PREF_OK && fsutil_exists(buf))
            return PREF_OK;
    }
    PREF_ERROR(PREF_EINPUT, "configs/%s: not found (looked in $HETPREF_CONFIGS, "
               "./configs and %s/configs)", name, HETPREF_DATADIR);
}

/* PREF_OK when only is NULL or an experiment's id; else PREF_EINPUT with a
 * message listing the valid ids. */
static int check_only(const char *only)
{
    if (!only || repro_find(only)) return PREF_OK;
    char ids[1024];
    size_t used = 0;
    for (size_t i = 0; i < N_EXP && used < sizeof ids; i++)
        used += (size_t)snprintf(ids + used, sizeof ids - used, "%s%s",
                                 i ? ", " : "", table[i].id);
    PREF_ERROR(PREF_EINPUT, "reproduce: --only %s: unknown experiment; the "
               "experiments are: %s", only, ids);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

size_t repro_count(void)
{
    return N_EXP;
}

const repro_exp *repro_at(size_t i)
{
    return i < N_EXP ? &table[i] : NULL;
}

/* Load configs/<id>.ini with the [full] overrides when full, and check it. */
int repro_load(const repro_exp *e, int full, cfg *c, char *path,
                           size_t n)
{
    PREF_TRY(repro_config_path(e->id, path, n));
    cfg_init(c);
    PREF_TRY(cfg_load(c, path));
    for (size_t j = 0; full && j < c->full.n; j++)
        PREF_TRY(cfg_set_dotted(c, cfg_key_name(c->full.e[j].key),
                                c->full.e[j].value, path, c->full.e[j].line));
    return cfg_check(c);
}

#define REPRO_STAMP "reproduce.done"

int repro_is_done(const char *res_dir, int full)
{
    char stamp[4096], line[16] = "";
    if (fsutil_join(stamp, sizeof stamp, res_dir, REPRO_STAMP)) return 0;
    FILE *f = fopen(stamp, "r");
    if (!f) return 0;
    int ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    return ok && strcmp(line, full ? "full\n" : "quick\n") == 0;
}

/* Write (mode != NULL) or delete (NULL) the stamp. */
static int repro_stamp(const char *res_dir, const char *mode)
{
    char stamp[4096];
    PREF_TRY(fsutil_join(stamp, sizeof stamp, res_dir, REPRO_STAMP));
    if (!mode) {
        if (remove(stamp) != 0 && fsutil_exists(stamp))
            PREF_ERROR(PREF_EIO, "%s: cannot remove", stamp);
        return PREF_OK;
    }
    FILE *f = fopen(stamp, "w");
    if (!f) PREF_ERROR(PREF_EIO, "%s: cannot write", stamp);
    int bad = fprintf(f, "%s\n", mode) < 0;
    bad |= fclose(f) != 0;
    if (bad) PREF_ERROR(PREF_EIO, "%s: write failed", stamp);
    return PREF_OK;
}

static int run_one(const repro_exp *e, const char *out_dir, int full,
                   int threads, int resume, FILE *log)
{
    char path[4096], res[4096], plots[4096], sub[512];
    cfg *c = malloc(sizeof *c);
    if (!c) PREF_ERROR(PREF_ENOMEM, "out of memory");
    int st = repro_load(e, full, c, path, sizeof path);
    snprintf(sub, sizeof sub, "results/%s", e->id);
    if (!st) st = fsutil_join(res, sizeof res, out_dir, sub);
    if (!st) st = fsutil_join(plots, sizeof plots, out_dir, "plots");
    if (!st) st = fsutil_mkdirs(res);
    if (!st && resume && repro_is_done(res, full)) {
        /* Its plot is drawn again: a run stopped after the stamp but before
         * repro_run drew the plots left none. */
        if (log) fprintf(log, "hetpref: %s: already done (%s), skipped\n", e->id,
                         full ? "full" : "quick");
        free(c);
        return e->plot(res, plots);
    }
    if (!st) st = repro_stamp(res, NULL);
    double t0 = now();
    if (log && !st) {
        fprintf(log, "hetpref: %s: %s (%s) ...\n", e->id,
                resume ? "running or resuming" : "running", full ? "full" : "quick");
        fflush(log);
    }
    sweep_params sp;
    sweep_params_init(&sp);
    sp.threads = threads;
    sp.resume = resume;
    sp.force = 1; /* results/<id> is reproduce's own: a rerun replaces it */
    sp.log = log;
    if (!st) st = e->run(c, res, &sp);
    if (!st) st = e->plot(res, plots);
    if (!st) st = repro_stamp(res, full ? "full" : "quick");
    if (log && !st)
        fprintf(log, "hetpref: %s: done in %.1f s -> %s (plot: %s/%s.gp)\n",
                e->id, now() - t0, res, plots, e->id);
    free(c);
    return st;
}

int repro_dry_run(int full, const char *only, FILE *out)
{
    PREF_TRY(check_only(only));
    cfg *c = malloc(sizeof *c);
    if (!c) PREF_ERROR(PREF_ENOMEM, "out of memory");
    int st = PREF_OK;
    for (size_t i = 0; !st && i < N_EXP; i++) {
        if (only && strcmp(only, table[i].id) != 0) continue;
        char path[4096];
        sweep_plan *plan = NULL;
        st = repro_load(&table[i], full, c, path, sizeof path);
        if (!st) st = sweep_plan_build(c, tasks_table(), &plan);
        if (!st)
            fprintf(out, "%s: %s: %zu cells x %ld replicates = %zu tasks (task %s)\n",
                    table[i].id, path, sweep_plan_cells(plan), c->sweep_replicates,
                    sweep_plan_tasks(plan), cfg_value_name(c->sweep_task));
        sweep_plan_free(plan);
    }
    free(c);
    return st;
}

int repro_run(const char *out_dir, int full, int threads, int resume,
              const char *only, FILE *log)
{
    PREF_TRY(check_only(only));
    /* The plots are drawn at the end by one gnuplot (plot_defer_end): also
     * those of the experiments finished before an error or interruption. */
    plot_defer_begin();
    int st = PREF_OK;
    for (size_t i = 0; i < N_EXP && !st; i++) {
        if (only && strcmp(only, table[i].id) != 0) continue;
        st = run_one(&table[i], out_dir, full, threads, resume, log);
    }
    char msg[1024] = "";
    if (st) snprintf(msg, sizeof msg, "%s", pref_last_error());
    double t0 = now();
    size_t drawn = 0;
    int pst = plot_defer_end(&drawn);
    if (log && drawn)
        fprintf(log, "hetpref: %zu plot%s drawn in %.1f s -> %s/plots\n", drawn,
                drawn == 1 ? "" : "s", now() - t0, out_dir);
    if (st && pst) /* the experiment's error comes first */
        return pref_set_error(st, "%s", msg);
    return st ? st : pst;
}

int repro_plot(const char *res_dir, const char *plot_dir)
{
    size_t n = strlen(res_dir);
    while (n > 1 && res_dir[n - 1] == '/') n--;
    size_t b = n;
    while (b > 0 && res_dir[b - 1] != '/') b--;
    char id[256];
    snprintf(id, sizeof id, "%.*s", (int)(n - b), res_dir + b);
    const repro_exp *e = repro_find(id);
    if (!e)
        PREF_ERROR(PREF_EINPUT, "%s: not an experiment's results directory "
                   "(its name must be an experiment id; see hetpref reproduce "
                   "--help)", res_dir);
    return e->plot(res_dir, plot_dir);
}
