/* fisher.c — Fisher-information spectrum task, experiment and plot
 * (see fisher.h). */
#include "fisher.h"

#include <math.h>
#include <stdlib.h>

#include "err.h"
#include "fsutil.h"
#include "identify.h"
#include "plot.h"
#include "sim.h"
#include "sweep.h"
#include "tasks.h"

const char *const fisher_metric_names[FISHER_NMETRICS] = {
    "lambda_min", "lambda_max", "ratio", "rank", "n_small", "lambda_min_se"};

int fisher_check(const cfg *c)
{
    return identify_check(c, (size_t)cfg_m(c), (size_t)cfg_r(c),
                          (size_t)c->design_T, CFG_KEY_design_T);
}

int fisher_task(const cfg *c, gsl_rng *data, gsl_rng *rng, double *metrics)
{
    (void)rng; /* nothing is estimated: the designs are the data */
    PREF_TRY(fisher_check(c));
    sim_population *p = NULL;
    sim_design *g = NULL;
    identify_fisher_result *res = NULL;
    int st = sim_population_from_cfg(c, &p);
    if (!st) st = sim_design_from_cfg(c, data, &g);
    if (!st) {
        res = identify_fisher_result_alloc(p->K, p->d, &st);
    }
    if (!st) {
        identify_fisher_params par;
        identify_fisher_params_init(&par);
        par.designs = (size_t)c->identify_fisher_designs;
        par.batches = par.designs < FISHER_BATCHES ? par.designs : FISHER_BATCHES;
        par.tol = FISHER_RANK_TOL;
        unsigned long seed = gsl_rng_get(data);
        st = identify_fisher(p, g, g->T, seed, &par, res);
    }
    if (!st) {
        size_t D = res->dim, small = 0;
        double lmin = res->eval[0], lmax = res->eval[D - 1];
        for (size_t i = 0; i < D; i++)
            if (res->eval[i] < FISHER_RANK_TOL * lmax) small++;
        metrics[0] = lmin;
        metrics[1] = lmax;
        metrics[2] = lmax > 0 ? lmin / lmax : NAN;
        metrics[3] = (double)res->rank;
        metrics[4] = (double)small;
        metrics[5] = res->eval_se[0];
    }
    identify_fisher_result_free(res);
    sim_population_free(p);
    sim_design_free(g);
    return st;
}

int fisher_experiment(const cfg *c, const char *res_dir, const sweep_params *sp)
{
    return sweep_run(c, tasks_table(), res_dir, sp);
}

/* Smallest eigenvalues below this are drawn at it (log axis). */
#define FLOOR "1e-16"

/* One series of replicate 0: answer a, the filter cond (gnuplot expression)
 * and the x expression. Error bars: lambda_min +- 2 Monte Carlo SE. */
static int series(plot_script *s, const char *a, const char *cond,
                  const char *x, const char *title, int lt, int first)
{
    return plot_printf(s, "%s f using (strcol('design.answer') eq '%s' && "
                          "column('replicate') == 0 && %s ? %s : NaN):"
                          "(fl(column('lambda_min'))):"
                          "(fl(column('lambda_min') - 2 * "
                          "column('lambda_min_se'))):"
                          "(fl(column('lambda_min') + 2 * "
                          "column('lambda_min_se'))) with yerrorlines lt %d "
                          "title '%s'",
                       first ? "plot" : ",", a, cond, x, lt, title);
}

int fisher_plot(const char *res_dir, const char *plot_dir)
{
    char runs[4096];
    PREF_TRY(fsutil_join(runs, sizeof runs, res_dir, "runs.csv"));
    PREF_TRY(fsutil_mkdirs(plot_dir));
    plot_script *s = plot_script_alloc("fisher", 1200, 560);
    if (!s) PREF_ERROR(PREF_ENOMEM, "out of memory");
    /* Double-quoted title: gnuplot turns \n into a line break there. */
    int st = plot_printf(s, "set multiplot layout 1,2 title \"Smallest "
                            "eigenvalue of the expected Fisher information per "
                            "user, two types theta = (b, -b)\\nerror bars: "
                            "+-2 Monte Carlo SE; values below " FLOOR
                            " are numerically zero and drawn at " FLOOR "\"\n"
                            "fl(y) = y > " FLOOR " ? y : " FLOOR "\n"
                            "eps(s) = real(s) - 0.5\nf = ");
    if (!st) st = plot_path(s, plot_dir, runs);
    /* Rows of other cells are filtered to NaN; "missing" keeps lines
     * connected across them. */
    if (!st) st = plot_printf(s, "\nset datafile missing NaN\n"
                                 "set logscale y\nset format y '1e%%T'\n"
                                 "set key center right\nset yrange [5e-17:1]\n"
                                 "set ylabel 'smallest eigenvalue'\n");
    /* Panel 1: versus the asymmetry eps of eta = (1/2 + eps, 1/2 - eps). */
    const char *xe = "eps(strcol('population.eta'))";
    if (!st) st = plot_printf(s, "set title 'vs asymmetry, eta = (1/2 + eps, "
                                 "1/2 - eps)'\nset xlabel 'eps'\n"
                                 "set xrange [-0.02:*]\n");
    if (!st) st = series(s, "pair", "column('design.T') == 1", xe,
                         "pairs, T = 1", 1, 1);
    if (!st) st = series(s, "pair", "column('design.T') == 2", xe,
                         "pairs, T = 2", 6, 0);
    if (!st) st = series(s, "top1", "column('design.T') == 1", xe,
                         "top-1 of 3, T = 1", 2, 0);
    if (!st) st = series(s, "full", "column('design.T') == 1", xe,
                         "full ranking of 3, T = 1", 3, 0);
    if (!st) st = plot_printf(s, "\n");
    /* Panel 2: versus T at the polarised truth eps = 0. */
    const char *c0 = "abs(eps(strcol('population.eta'))) < 1e-9";
    if (!st) st = plot_printf(s, "set title 'vs answers per user T, eps = 0 "
                                 "(polarised)'\nset xlabel 'T (answers per "
                                 "user)'\nset xrange [0.8:*]\nset xtics 1\n");
    if (!st) st = series(s, "pair", c0, "column('design.T')", "pairs", 1, 1);
    if (!st) st = series(s, "top1", c0, "column('design.T')", "top-1 of 3", 2, 0);
    if (!st) st = series(s, "full", c0, "column('design.T')",
                         "full ranking of 3", 3, 0);
    if (!st) st = plot_printf(s, "\nunset multiplot\n");
    if (!st) st = plot_render(s, plot_dir, NULL);
    plot_script_free(s);
    return st;
}
