/* lcl.c — latent-class estimation task and its experiments (see lcl.h). */
#include "lcl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "csvio.h"
#include "csvrec.h"
#include "cfgmap.h"
#include "err.h"
#include "eval.h"
#include "fsutil.h"
#include "mix.h"
#include "plot.h"
#include "rngs.h"
#include "sim.h"
#include "stats.h"
#include "sweep.h"
#include "tasks.h"

const char *const lcl_metric_names[LCL_NMETRICS] = {
    "w1", "accuracy", "ari", "loglik", "aic", "bic", "icl", "iterations",
    "converged", "best_start_hits", "empty_classes", "coverage"};

int lcl_check(const cfg *c)
{
    if (c->population_kind == CFG_population_kind_traits ||
        c->population_kind == CFG_population_kind_teacher)
        PREF_ERROR(PREF_EINPUT, "%s:%d: [population] kind: the lcl task fits "
                   "linear utilities; %s rewards are for EM-DPO", c->file,
                   c->line[CFG_KEY_population_kind],
                   cfg_value_name(c->population_kind));
    if (c->fit_model != CFG_fit_model_lcl)
        PREF_ERROR(PREF_EINPUT, "%s:%d: [fit] model: the lcl task needs model = lcl",
                   c->file, c->line[CFG_KEY_fit_model]);
    long users = c->design_budget > 0 ? c->design_budget / c->design_T
                                      : c->design_users;
    if (c->fit_types > users)
        PREF_ERROR(PREF_EINPUT, "%s:%d: [fit] types: %ld types for %ld users",
                   c->file, c->line[CFG_KEY_fit_types], c->fit_types, users);
    return PREF_OK;
}

/* Fraction of parameters whose 95% Wald interval covers the truth, labels
 * aligned by the permutation minimising the squared theta distance. */
static double coverage(const mix_fit *f, const sim_population *p)
{
    size_t K = f->K, d = f->d;
    if (p->K != K || K > EVAL_EXACT_MAX || !f->se_ok) return NAN;
    /* score = minus the squared distance of true type k to estimate e */
    double score[EVAL_EXACT_MAX * EVAL_EXACT_MAX];
    size_t best[EVAL_EXACT_MAX];
    for (size_t k = 0; k < K; k++)
        for (size_t e = 0; e < K; e++) {
            double v = 0;
            for (size_t j = 0; j < d; j++) {
                double t = f->theta[e * d + j] - p->theta[k * d + j];
                v += t * t;
            }
            score[k * K + e] = -v;
        }
    eval_assign(score, K, best);
    double z = gsl_cdf_ugaussian_Pinv(0.975);
    size_t n = 0, hit = 0;
    for (size_t k = 0; k < K; k++) {
        size_t e = best[k];
        for (size_t j = 0; j < d; j++) {
            hit += fabs(f->theta[e * d + j] - p->theta[k * d + j]) <=
                   z * f->se_theta[e * d + j];
            n++;
        }
        if (K > 1) {
            hit += fabs(f->eta[e] - p->eta[k]) <= z * f->se_eta[e];
            n++;
        }
    }
    return (double)hit / (double)n;
}

int lcl_task(const cfg *c, gsl_rng *data, gsl_rng *rng, double *met)
{
    PREF_TRY(lcl_check(c));
    for (size_t k = 0; k < LCL_NMETRICS; k++) met[k] = NAN;
    sim_population *p = NULL;
    sim_design *g = NULL;
    data_set *ds = NULL;
    mix_fit *f = NULL;
    int st = sim_population_from_cfg(c, &p);
    if (!st) st = sim_design_from_cfg(c, data, &g);
    if (!st) st = sim_simulate(p, g, gsl_rng_get(data), &ds);
    if (!st) {
        mix_params mp;
        cfgmap_mix_params(c, &mp);
        mp.threads = 1; /* tasks already run in parallel */
        mp.seed = gsl_rng_get(rng);
        st = mix_fit_run(ds, (size_t)c->fit_types, &mp, &f);
    }
    if (!st && p->K > 0) {
        double acc, ari, w1;
        st = eval_mix_fit(f, ds->user_type, p->K, p->eta, p->theta, &acc, &ari, &w1);
        met[0] = w1;
        met[1] = acc;
        met[2] = ari;
        met[11] = coverage(f, p);
    }
    if (!st) {
        met[3] = f->loglik;
        met[4] = f->aic;
        met[5] = f->bic;
        met[6] = f->icl;
        met[7] = (double)f->iterations;
        met[8] = f->converged;
        met[9] = (double)f->best_hits;
        met[10] = (double)f->empty_events;
    }
    mix_fit_free(f);
    data_free(ds);
    sim_design_free(g);
    sim_population_free(p);
    return st;
}

/* ---- recovery: W1 vs N with log-log slopes -------------------------------- */

/* slopes.csv, beside summary.csv: for each value of the first swept key
 * (the answer kind), regress log(metric) on log(x) over every replicate of
 * runs.csv, x being the value of the second swept key. Columns (each of one
 * type): <first key's name> (the kind), x (the second key's name), metric,
 * n (points in the fit), slope, se (its standard error), ci_low, ci_high
 * (slope -+ t(0.975, n - 2) se). summary.csv holds the sweep's rows only. */
/* Points of a log-log regression: (log x, log y) and the cell of each. */
typedef struct slope_points {
    double *lx, *ly;
    size_t *cell;
    size_t n, cap;
} slope_points;

/* Column of metric in runs.csv's header record (csvrec_error when the
 * metric is not one of its columns). */
static int slope_column(csvrec *cr, const csvrec_record *h, const char *metric,
                        size_t *col)
{
    for (size_t j = 6; j < h->nf; j++)
        if (strcmp(csvrec_field(h, j, NULL), metric) == 0) {
            *col = j;
            return PREF_OK;
        }
    return csvrec_error(cr, h->line, "unknown metric '%s' (not a column of "
                        "the header)", metric);
}

/* Read runs.csv (task,cell,replicate,key1,key2,seed,metrics...): one point
 * per row with x = key2 > 0 and a finite metric > 0. */
static int slope_read(const char *path, const char *metric, size_t n_cells,
                      slope_points *pt)
{
    FILE *in = fopen(path, "rb");
    if (!in) PREF_ERROR(PREF_EIO, "%s: cannot read", path);
    int st;
    csvrec *cr = csvrec_alloc(in, path, 0, ',', &st);
    const csvrec_record *rec;
    size_t col = 0, nf = 0;
    if (!st) st = csvrec_next(cr, &rec);
    if (!st && !rec) st = pref_set_error(PREF_EIO, "%s: empty", path);
    if (!st) st = slope_column(cr, rec, metric, &col);
    if (!st) nf = rec->nf;
    while (!st && !(st = csvrec_next(cr, &rec)) && rec) {
        if (rec->nf != nf) {
            st = csvrec_error(cr, rec->line, "expected %zu fields (as in the "
                              "header), got %zu", nf, rec->nf);
            break;
        }
        size_t cell = strtoul(csvrec_field(rec, 1, NULL), NULL, 10);
        double x = strtod(csvrec_field(rec, 4, NULL), NULL);
        double y = strtod(csvrec_field(rec, col, NULL), NULL);
        if (cell < n_cells && x > 0 && y > 0 && isfinite(y) &&
            pt->n < pt->cap) {
            pt->lx[pt->n] = log(x);
            pt->ly[pt->n] = log(y);
            pt->cell[pt->n++] = cell;
        }
    }
    csvrec_free(cr);
    fclose(in);
    return st;
}

/* Write slopes.csv's header and one row per answer kind to f. Returns
 * PREF_OK or PREF_ENOMEM. */
static int slope_write(FILE *f, const sweep_plan *plan, const slope_points *pt,
                       const char *metric)
{
    size_t n = pt->n;
    double *xs = malloc(n * sizeof(double) + 1), *ys = malloc(n * sizeof(double) + 1);
    if (!xs || !ys) {
        free(xs);
        free(ys);
        PREF_ERROR(PREF_ENOMEM, "out of memory");
    }
    fprintf(f, "%s,x,metric,n,slope,se,ci_low,ci_high\n",
            sweep_plan_key_name(plan, 0));
    /* Cells are ordered with the first key slowest. */
    size_t n_kinds = sweep_plan_key_values(plan, 0);
    size_t per = sweep_plan_cells(plan) / n_kinds;
    for (size_t kk = 0; kk < n_kinds; kk++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (pt->cell[i] / per == kk) {
                xs[m] = pt->lx[i];
                ys[m++] = pt->ly[i];
            }
        double slope, icpt, se;
        stats_slope(xs, ys, m, &slope, &icpt, &se);
        double t = m > 2 ? gsl_cdf_tdist_Pinv(0.975, (double)(m - 2)) : NAN;
        csvio_put_text(f, sweep_plan_value(plan, kk * per, 0));
        fputc(',', f);
        csvio_put_text(f, sweep_plan_key_name(plan, 1));
        fprintf(f, ",%s,%zu", metric, m);
        double q[4] = {slope, se, slope - t * se, slope + t * se};
        csvio_put_nums(f, q, 4);
        fputc('\n', f);
    }
    free(xs);
    free(ys);
    return PREF_OK;
}

/* Write res_dir/slopes.csv from res_dir/runs.csv (see above). */
static int write_slopes(const cfg *c, const char *res_dir, const char *metric)
{
    sweep_plan *plan = NULL;
    PREF_TRY(sweep_plan_build(c, tasks_table(), &plan));
    size_t n_cells = sweep_plan_cells(plan), reps = (size_t)c->sweep_replicates;
    slope_points pt = {0};
    pt.cap = n_cells * reps;
    pt.lx = malloc(pt.cap * sizeof(double));
    pt.ly = malloc(pt.cap * sizeof(double));
    pt.cell = malloc(pt.cap * sizeof(size_t));
    char path[4096];
    int st = sweep_plan_keys(plan) == 2
                 ? fsutil_join(path, sizeof path, res_dir, "runs.csv")
                 : pref_set_error(PREF_EINPUT, "log-log slopes need two swept "
                                  "keys (answer kind, x)");
    if (!st && (!pt.lx || !pt.ly || !pt.cell))
        st = pref_set_error(PREF_ENOMEM, "out of memory");
    if (!st) st = slope_read(path, metric, n_cells, &pt);
    if (!st) st = fsutil_join(path, sizeof path, res_dir, "slopes.csv");
    fsutil_file o;
    if (!st) st = fsutil_open(&o, path);
    if (!st) {
        st = slope_write(o.f, plan, &pt, metric);
        if (st) fsutil_abort(&o);
        else st = fsutil_commit(&o);
    }
    free(pt.lx);
    free(pt.ly);
    free(pt.cell);
    sweep_plan_free(plan);
    return st;
}


int lcl_recovery_experiment(const cfg *c, const char *res_dir, const sweep_params *sp)
{
    PREF_TRY(sweep_run(c, tasks_table(), res_dir, sp));
    return write_slopes(c, res_dir, "w1");
}

/* Common start of a plot reading DIR/csv as `f`. */
static plot_script *start_plot_csv(const char *name, int w, int h,
                                   const char *res_dir, const char *csv,
                                   const char *plot_dir, int *st)
{
    char sum[4096];
    *st = fsutil_join(sum, sizeof sum, res_dir, csv);
    if (!*st) *st = fsutil_mkdirs(plot_dir);
    if (*st) return NULL;
    plot_script *s = plot_script_alloc(name, w, h);
    if (!s) {
        *st = pref_set_error(PREF_ENOMEM, "out of memory");
        return NULL;
    }
    *st = plot_printf(s, "f = ");
    if (!*st) *st = plot_path(s, plot_dir, sum);
    if (!*st) *st = plot_printf(s, "\n");
    if (*st) {
        plot_script_free(s);
        return NULL;
    }
    return s;
}

/* Common start of a plot reading DIR/summary.csv as `f`. */
static plot_script *start_plot(const char *name, int w, int h,
                               const char *res_dir, const char *plot_dir,
                               int *st)
{
    return start_plot_csv(name, w, h, res_dir, "summary.csv", plot_dir, st);
}

static const char *const kinds[3] = {"pair", "top1", "full"};
static const char *const kind_titles[3] = {"pairs", "top-1 of 3", "full ranking of 3"};

/* Datablocks $<kind>_<metric> of (x, mean, ci_low, ci_high) rows for one
 * answer kind and metric of a summary.csv whose first two keys are the kind
 * and the x variable. The lower bound is clipped for log axes. */
static int filter_series(plot_script *s, const char *kind, const char *metric,
                         int clip)
{
    char name[64], cond[160];
    snprintf(name, sizeof name, "%s_%s", kind, metric);
    snprintf(cond, sizeof cond, "strcol(2) eq '%s' && strcol(4) eq '%s'", kind,
             metric);
    return plot_filter(s, name, "f",
                       clip ? "3:6:($8 > 0 ? $8 : $6 / 10):9" : "3:6:8:9", cond);
}

/* The gnuplot string variable nrep: how many replicates the summary rows
 * matching cond (a gnuplot expression) average, from their n column (ncol):
 * "20 replicates", or "18 to 20 replicates" when some gave no value.
 * Leaves the data separator at whitespace, for datablocks. */
static int put_nrep(plot_script *s, const char *cond, int ncol)
{
    return plot_printf(s,
        "set datafile separator ','\n"
        "stats f using (%s ? $%d : NaN) nooutput\n"
        "nrep = STATS_min == STATS_max ? sprintf('%%d replicates', STATS_max) : "
        "sprintf('%%d to %%d replicates', STATS_min, STATS_max)\n"
        "set datafile separator whitespace\n", cond, ncol);
}

/* The design of a finished run, from res_dir/config.ini (the resolved
 * configuration the experiment wrote): users N, answers per user T and the
 * budget N*T (design.budget when set, else N*T), fitted types K and the
 * answer kind's name. T and N are -1 when T is swept. */
typedef struct run_design {
    long users, T, budget, K, m;
    char answer[32];
} run_design;

static int read_design(const char *res_dir, run_design *d)
{
    char path[4096];
    PREF_TRY(fsutil_join(path, sizeof path, res_dir, "config.ini"));
    cfg *c = malloc(sizeof *c);
    if (!c) PREF_ERROR(PREF_ENOMEM, "out of memory");
    cfg_init(c);
    int st = cfg_load(c, path);
    if (!st) {
        int sweptT = 0;
        for (size_t j = 0; j < c->sweep.n; j++)
            sweptT |= c->sweep.e[j].key == CFG_KEY_design_T;
        d->T = sweptT ? -1 : c->design_T;
        d->budget = c->design_budget > 0 ? c->design_budget
                                         : c->design_users * c->design_T;
        d->users = sweptT ? -1 : c->design_budget > 0 ? d->budget / d->T
                                                      : c->design_users;
        d->K = c->fit_types;
        d->m = c->design_m;
        snprintf(d->answer, sizeof d->answer, "%s",
                 cfg_value_name(c->design_answer));
    }
    free(c);
    return st;
}

int lcl_recovery_plot(const char *res_dir, const char *plot_dir)
{
    return lcl_w1_plot(res_dir, plot_dir, "recovery",
                       "Recovery of the polarised mixture: W1 error vs users");
}

int lcl_w1_plot(const char *res_dir, const char *plot_dir, const char *name,
                const char *title)
{
    int st;
    plot_script *s = start_plot(name, 900, 600, res_dir, plot_dir, &st);
    if (!s) return st;
    /* summary.csv: cell,design.answer,design.users,metric,n,mean,sd,lo,hi;
     * slopes.csv: design.answer,x,metric,n,slope,se,ci_low,ci_high */
    char slopes[4096];
    if (!st) st = fsutil_join(slopes, sizeof slopes, res_dir, "slopes.csv");
    if (!st) st = plot_printf(s, "sl = ");
    if (!st) st = plot_path(s, plot_dir, slopes);
    static const char *const sl_col[3][2] = {{"5", ""}, {"7", "_lo"}, {"8", "_hi"}};
    for (int k = 0; !st && k < 3; k++)
        for (int q = 0; !st && q < 3; q++)
            st = plot_printf(s,
                "\nset datafile separator ','\n"
                "stats sl using (strcol(1) eq '%s' && strcol(3) eq 'w1' ? $%s : NaN) "
                "nooutput\nslope_%s%s = STATS_max", kinds[k], sl_col[q][0], kinds[k],
                sl_col[q][1]);
    if (!st) st = plot_printf(s, "\n");
    for (int k = 0; !st && k < 3; k++) st = filter_series(s, kinds[k], "w1", 1);
    if (!st) st = put_nrep(s, "strcol(4) eq 'w1'", 5);
    if (!st)
        st = plot_printf(s,
            "stats $pair_w1 using 1 nooutput\n"
            "set logscale xy\nset xrange [STATS_min / 1.4:STATS_max * 1.4]\n"
            "set title '%s' . "
            "\"\\n\" . '(mean, 95%% CI over ' . nrep . '; slopes of log W1 on log N "
            "with 95%% CI)'\n"
            "set xlabel 'users N (one answer each)'\n"
            "set ylabel '1-Wasserstein error of the estimated mixing distribution'\n"
            "set key top right\nplot ", title);
    for (int k = 0; !st && k < 3; k++)
        st = plot_printf(s,
            "%s$%s_w1 using 1:2:3:4%s with yerrorlines lt %d title "
            "sprintf('%s: slope %%.2f (%%.2f to %%.2f)', slope_%s, slope_%s_lo, "
            "slope_%s_hi)", k ? ", " : "", kinds[k], k ? "" : ":xtic(1)", k + 1,
            kind_titles[k], kinds[k], kinds[k], kinds[k]);
    if (!st) st = plot_printf(s, ", 0.5 * (x / 500.0)**(-0.5) with lines lt 8 dt 2 "
                                 "title 'slope -1/2 (reference)'\n");
    if (!st) st = plot_render(s, plot_dir, NULL);
    plot_script_free(s);
    return st;
}

/* ---- budget: W1 vs answers per user at fixed N*T ------------------------- */

int lcl_budget_experiment(const cfg *c, const char *res_dir, const sweep_params *sp)
{
    return sweep_run(c, tasks_table(), res_dir, sp);
}

int lcl_budget_plot(const char *res_dir, const char *plot_dir)
{
    run_design d;
    PREF_TRY(read_design(res_dir, &d));
    int st;
    plot_script *s = start_plot("budget", 900, 600, res_dir, plot_dir, &st);
    if (!s) return st;
    /* summary.csv: cell,design.answer,design.T,metric,n,mean,sd,lo,hi */
    for (int k = 0; !st && k < 3; k++) st = filter_series(s, kinds[k], "w1", 1);
    if (!st) st = put_nrep(s, "strcol(4) eq 'w1'", 5);
    if (!st)
        st = plot_printf(s,
            "set logscale xy\nset xrange [0.8:20]\nset xtics (1, 2, 4, 8, 16)\n"
            "set title 'The price of pairs: W1 error at a fixed budget of N*T = %ld "
            "answers' . \"\\n\" . '(mean, 95%% CI over ' . nrep . ')'\n"
            "set xlabel 'answers per user T (users N = %ld / T)'\n"
            "set ylabel '1-Wasserstein error'\nset key top right\nplot ",
            d.budget, d.budget);
    for (int k = 0; !st && k < 3; k++)
        st = plot_printf(s, "%s$%s_w1 using 1:2:3:4 with yerrorlines lt %d title '%s'",
                         k ? ", " : "", kinds[k], k + 1, kind_titles[k]);
    if (!st) st = plot_printf(s, "\n");
    if (!st) st = plot_render(s, plot_dir, NULL);
    plot_script_free(s);
    return st;
}

/* ---- select_k: paired BIC and ICL differences vs K ------------------------ */

/* The columns of runs.csv select_k reads, per task: bic, icl, converged and
 * the data seed (the pairing check). */
enum { SK_BIC, SK_ICL, SK_CONV, SK_NCOL };
static const char *const sk_cols[SK_NCOL] = {"bic", "icl", "converged"};

typedef struct selectk_runs {
    size_t n_tasks;
    double *v;              /* (n_tasks, SK_NCOL) */
    unsigned long *dseed;   /* (n_tasks) */
    unsigned char *have;    /* (n_tasks) */
} selectk_runs;

/* Column of name in the header h, or csvrec_error. */
static int header_column(csvrec *cr, const csvrec_record *h, const char *name,
                         size_t *col)
{
    for (size_t j = 0; j < h->nf; j++)
        if (strcmp(csvrec_field(h, j, NULL), name) == 0) {
            *col = j;
            return PREF_OK;
        }
    return csvrec_error(cr, h->line, "no column '%s'", name);
}

/* One record of runs.csv into r, the columns at col[] (task, data_seed,
 * sk_cols...). */
static int selectk_row(csvrec *cr, const csvrec_record *rec, const size_t *col,
                       selectk_runs *r)
{
    char *e;
    size_t t = strtoul(csvrec_field(rec, col[0], NULL), &e, 10);
    if (*e || t >= r->n_tasks)
        return csvrec_error(cr, rec->line, "bad task number");
    r->dseed[t] = strtoul(csvrec_field(rec, col[1], NULL), &e, 10);
    if (*e) return csvrec_error(cr, rec->line, "bad data_seed");
    for (size_t k = 0; k < SK_NCOL; k++)
        r->v[t * SK_NCOL + k] = strtod(csvrec_field(rec, col[2 + k], NULL), NULL);
    r->have[t] = 1;
    return PREF_OK;
}

static int selectk_read(const char *path, selectk_runs *r)
{
    FILE *in = fopen(path, "rb");
    if (!in) PREF_ERROR(PREF_EIO, "%s: cannot read", path);
    int st;
    csvrec *cr = csvrec_alloc(in, path, 0, ',', &st);
    const csvrec_record *rec;
    size_t col[2 + SK_NCOL], nf = 0;
    if (!st) st = csvrec_next(cr, &rec);
    if (!st && !rec) st = pref_set_error(PREF_EIO, "%s: empty", path);
    if (!st) st = header_column(cr, rec, "task", &col[0]);
    if (!st) st = header_column(cr, rec, "data_seed", &col[1]);
    for (size_t k = 0; !st && k < SK_NCOL; k++)
        st = header_column(cr, rec, sk_cols[k], &col[2 + k]);
    if (!st) nf = rec->nf;
    while (!st && !(st = csvrec_next(cr, &rec)) && rec)
        st = rec->nf == nf ? selectk_row(cr, rec, col, r)
                           : csvrec_error(cr, rec->line, "expected %zu fields "
                                          "(as in the header), got %zu", nf, rec->nf);
    csvrec_free(cr);
    fclose(in);
    return st;
}

/* The plan must sweep design.answer then fit.types, the first value 1. */
static int selectk_check_plan(const sweep_plan *p)
{
    if (sweep_plan_keys(p) != 2 ||
        strcmp(sweep_plan_key_name(p, 0), "design.answer") != 0 ||
        strcmp(sweep_plan_key_name(p, 1), "fit.types") != 0 ||
        strcmp(sweep_plan_value(p, 0, 1), "1") != 0)
        PREF_ERROR(PREF_EINPUT, "select_k: the sweep must list design.answer "
                   "then fit.types, whose first value is 1");
    return PREF_OK;
}

/* Rows of paired.csv for the cell of answer a and K index k: per metric,
 * the summary over replicates of metric(K) - metric(K = 1) for bic and icl
 * (same replicate, same data: checked by the data seed) and of converged. */
static int selectk_cell(FILE *f, const sweep_plan *p, const selectk_runs *r,
                        size_t a, size_t k, double *vals)
{
    static const char *const names[SK_NCOL] = {"bic_minus_k1", "icl_minus_k1",
                                               "converged"};
    size_t nk = sweep_plan_key_values(p, 1), reps = sweep_plan_tasks(p) /
                                                    sweep_plan_cells(p);
    size_t cell = a * nk + k, base = a * nk;
    for (size_t m = 0; m < SK_NCOL; m++) {
        size_t n = 0;
        for (size_t rep = 0; rep < reps; rep++) {
            size_t t = cell * reps + rep, tb = base * reps + rep;
            if (!r->have[t] || !r->have[tb]) continue;
            if (r->dseed[t] != r->dseed[tb])
                PREF_ERROR(PREF_EINPUT, "select_k: replicate %zu of K = %s and "
                           "K = 1 were fitted to different data (data seeds "
                           "%lu, %lu)", rep, sweep_plan_value(p, cell, 1),
                           r->dseed[t], r->dseed[tb]);
            double v = r->v[t * SK_NCOL + m];
            vals[n++] = m == SK_CONV ? v : v - r->v[tb * SK_NCOL + m];
        }
        stats_summary s;
        stats_summarise(vals, 1, n, vals + reps, &s);
        csvio_put_text(f, sweep_plan_value(p, cell, 0));
        fprintf(f, ",%s,%s,%zu", sweep_plan_value(p, cell, 1), names[m], s.n);
        double q[4] = {s.mean, s.sd, s.ci_low, s.ci_high};
        csvio_put_nums(f, q, 4);
        fputc('\n', f);
    }
    return PREF_OK;
}

/* Write res_dir/paired.csv from res_dir/runs.csv. */
static int selectk_paired(const cfg *c, const char *res_dir)
{
    sweep_plan *p = NULL;
    PREF_TRY(sweep_plan_build(c, tasks_table(), &p));
    size_t nt = sweep_plan_tasks(p);
    selectk_runs r = {nt, malloc(nt * SK_NCOL * sizeof(double) + 1),
                      malloc(nt * sizeof(unsigned long) + 1), calloc(nt + 1, 1)};
    double *vals = malloc(2 * nt * sizeof(double) + 1);
    char path[4096];
    int st = selectk_check_plan(p);
    if (!st && (!r.v || !r.dseed || !r.have || !vals))
        st = pref_set_error(PREF_ENOMEM, "out of memory");
    if (!st) st = fsutil_join(path, sizeof path, res_dir, "runs.csv");
    if (!st) st = selectk_read(path, &r);
    if (!st) st = fsutil_join(path, sizeof path, res_dir, "paired.csv");
    fsutil_file o;
    if (!st) st = fsutil_open(&o, path);
    if (!st) {
        fputs("design.answer,fit.types,metric,n,mean,sd,ci_low,ci_high\n", o.f);
        for (size_t a = 0; !st && a < sweep_plan_key_values(p, 0); a++)
            for (size_t k = 0; !st && k < sweep_plan_key_values(p, 1); k++)
                st = selectk_cell(o.f, p, &r, a, k, vals);
        if (st) fsutil_abort(&o);
        else st = fsutil_commit(&o);
    }
    free(r.v);
    free(r.dseed);
    free(r.have);
    free(vals);
    sweep_plan_free(p);
    return st;
}

int lcl_selectk_experiment(const cfg *c, const char *res_dir, const sweep_params *sp)
{
    PREF_TRY(sweep_run(c, tasks_table(), res_dir, sp));
    return selectk_paired(c, res_dir);
}

int lcl_selectk_plot(const char *res_dir, const char *plot_dir)
{
    int st;
    plot_script *s = start_plot_csv("select_k", 1400, 500, res_dir, "paired.csv",
                                    plot_dir, &st);
    if (!s) return st;
    /* paired.csv: design.answer,fit.types,metric,n,mean,sd,ci_low,ci_high */
    static const char *const met[3] = {"bic_minus_k1", "icl_minus_k1", "converged"};
    st = plot_printf(s, "set datafile separator ','\n"
                        "stats f using (strcol(3) eq 'bic_minus_k1' ? "
                                 "$4 : NaN) nooutput\nnrep = int(STATS_max)\n");
    for (int m = 0; !st && m < 3; m++)
        for (int k = 0; !st && k < 2; k++) {
            char name[64], cond[160];
            snprintf(name, sizeof name, "%s_%d", kinds[k], m);
            snprintf(cond, sizeof cond, "strcol(1) eq '%s' && strcol(3) eq '%s'",
                     kinds[k], met[m]);
            st = plot_filter(s, name, "f", "2:5:7:8", cond);
        }
    if (!st)
        st = plot_printf(s,
            "set multiplot layout 1,3 title sprintf(\"Choosing K (truth: 2 "
            "types, one answer per user). Per replicate, K and K = 1 are fitted "
            "to the same simulated data;\\nplotted: the paired difference "
            "criterion(K) - criterion(1), mean and 95%%%% t-interval over %%d "
            "replicates (below 0: K preferred to 1)\", nrep)\n"
            "set xlabel 'fitted types K'\nset xtics 1\nset xrange [0.7:4.3]\n"
            "set key top left\n");
    /* The converged panel: the fraction itself, no interval (0/1 values). */
    static const char *const ttl[3] = {
        "BIC(K) - BIC(1), paired", "ICL(K) - ICL(1), paired",
        "EM converged (gain <= fit.tol |loglik|) within fit.max_iter"};
    for (int m = 0; !st && m < 3; m++) {
        st = plot_printf(s, "set title '%s'\nset ylabel '%s'\n%splot ", ttl[m],
                         m < 2 ? ttl[m] : "fraction of the fits (over replicates)",
                         m < 2 ? "" : "set yrange [-0.05:1.05]\nset key bottom left\n");
        for (int k = 0; !st && k < 2; k++)
            st = plot_printf(s, "%s$%s_%d using ($1 %s 0.06):2%s lt %d title '%s'",
                             k ? ", " : "", kinds[k], m, k ? "+" : "-",
                             m < 2 ? ":3:4 with yerrorlines" : " with linespoints",
                             k + 1, kind_titles[k]);
        if (!st) st = plot_printf(s, m < 2 ? ", 0 with lines lt 8 dt 2 notitle\n"
                                           : "\n");
    }
    if (!st) st = plot_printf(s, "unset multiplot\n");
    if (!st) st = plot_render(s, plot_dir, NULL);
    plot_script_free(s);
    return st;
}

/* ---- coverage of the 95% intervals --------------------------------------- */

int lcl_coverage_experiment(const cfg *c, const char *res_dir, const sweep_params *sp)
{
    return sweep_run(c, tasks_table(), res_dir, sp);
}

int lcl_coverage_plot(const char *res_dir, const char *plot_dir)
{
    run_design d;
    PREF_TRY(read_design(res_dir, &d));
    int st;
    plot_script *s = start_plot("coverage", 800, 500, res_dir, plot_dir, &st);
    if (!s) return st;
    /* summary.csv: cell,fit.se,metric,n,mean,sd,lo,hi. Coverage is a
     * fraction: its CI is clipped to [0, 1], so y > 1 is free for the key. */
    st = put_nrep(s, "strcol(3) eq 'coverage'", 4);
    if (!st)
        st = plot_filter(s, "cov", "f", "1:5:(clip01($7)):(clip01($8)):(strcol(2))",
                         "strcol(3) eq 'coverage'");
    if (!st)
        st = plot_printf(s,
            "stats $cov using 3 nooutput\n"
            "ylo = STATS_min < 0.8 ? floor(10 * STATS_min) / 10.0 : 0.8\n"
            "set title 'Coverage of 95%% Wald intervals (K = %ld types, answer %s "
            "of m = %ld)' . \"\\n\" . 'N = %ld users x T = %ld answers, budget "
            "N*T = %ld; mean and 95%% CI (clipped to [0, 1]) over ' . nrep\n"
            "set xlabel 'standard errors (fit.se)'\n"
            "set ylabel 'fraction of parameters covered'\n"
            "set yrange [ylo:1.06]\nset ytics ylo, (1 - ylo) / 10, 1\n"
            "set xrange [-0.5:1.5]\nset key top right horizontal\n"
            "plot $cov using 1:2:3:4:xtic(5) with yerrorbars lt 1 pt 7 ps 1.5 title "
            "'estimated coverage', 0.95 with lines lt 2 dt 2 title 'nominal 0.95'\n",
            d.K, d.answer, d.m, d.users, d.T, d.budget);
    if (!st) st = plot_render(s, plot_dir, NULL);
    plot_script_free(s);
    return st;
}
