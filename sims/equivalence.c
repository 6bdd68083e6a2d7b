/* equivalence.c — observational equivalence task, experiment and plot
 * (see equivalence.h). */
#include "equivalence.h"

#include <stdlib.h>

#include "err.h"
#include "fsutil.h"
#include "identify.h"
#include "plot.h"
#include "sim.h"
#include "sweep.h"
#include "tasks.h"

const char *const equiv_metric_names[EQUIV_NMETRICS] = {"max_abs_diff",
                                                        "mean_abs_diff"};

int equiv_check(const cfg *c)
{
    return identify_check(c, (size_t)cfg_m(c), (size_t)cfg_r(c),
                          (size_t)c->design_T, CFG_KEY_design_T);
}

int equiv_task(const cfg *c, gsl_rng *data, gsl_rng *rng, double *metrics)
{
    (void)rng; /* nothing is estimated: the designs are the data */
    PREF_TRY(equiv_check(c));
    sim_population *a = NULL, *b = NULL;
    sim_design *g = NULL;
    int st = sim_population_from_cfg(c, &a);
    if (!st) st = sim_population_compare_from_cfg(c, &b);
    if (!st) st = sim_design_from_cfg(c, data, &g);
    if (!st)
        st = identify_equivalence(a, b, g, g->T, (size_t)c->identify_designs,
                                  data, &metrics[0], &metrics[1]);
    sim_population_free(a);
    sim_population_free(b);
    sim_design_free(g);
    return st;
}

int equiv_experiment(const cfg *c, const char *res_dir, const sweep_params *sp)
{
    return sweep_run(c, tasks_table(), res_dir, sp);
}

/* One series: answer kind a with T answers per user, metric met. */
static int series(plot_script *s, const char *a, int T, const char *met,
                  const char *title, int lt, int first)
{
    return plot_printf(s, "%s f using (strcol('design.answer') eq '%s' && "
                          "column('design.T') == %d && strcol('metric') eq "
                          "'%s' ? column('population.b') : NaN):"
                          "(fl(column('mean'))) with linespoints lt %d "
                          "title '%s'",
                       first ? "plot" : ",", a, T, met, lt, title);
}

int equiv_plot(const char *res_dir, const char *plot_dir)
{
    char sum[4096];
    PREF_TRY(fsutil_join(sum, sizeof sum, res_dir, "summary.csv"));
    PREF_TRY(fsutil_mkdirs(plot_dir));
    plot_script *s = plot_script_alloc("equivalence", 1200, 560);
    if (!s) PREF_ERROR(PREF_ENOMEM, "out of memory");
    static const char *const answers[] = {"pair", "pair", "top1", "top1",
                                          "full", "full"};
    static const int Ts[] = {1, 2, 1, 2, 1, 2};
    static const char *const titles[] = {
        "pairs, T = 1 (identical up to rounding)", "pairs, T = 2",
        "top-1 of 3, T = 1", "top-1 of 3, T = 2", "full ranking of 3, T = 1",
        "full ranking of 3, T = 2"};
    static const int lts[] = {1, 6, 2, 4, 3, 5};
    static const char *const mets[] = {"max_abs_diff", "mean_abs_diff"};
    static const char *const ylab[] = {
        "max over designs and outcomes of |P_A(o) - P_B(o)|",
        "mean over designs and outcomes of |P_A(o) - P_B(o)|"};
    /* Double-quoted title: gnuplot turns \n into a line break there. */
    int st = plot_printf(s, "set multiplot layout 1,2 title \"Polarised "
                            "(b, -b) vs indifferent (theta = 0): exact "
                            "probabilities of a user's joint answers\\n"
                            "pairs (T = 1) differ only by rounding; values "
                            "below 1e-17 are drawn at 1e-17\"\n"
                            "fl(y) = y > 1e-17 ? y : 1e-17\nf = ");
    if (!st) st = plot_path(s, plot_dir, sum);
    /* Rows of other kinds are filtered to NaN; "missing" keeps lines
     * connected across them. */
    if (!st) st = plot_printf(s, "\nset datafile missing NaN\n"
                                 "set logscale y\nset format y '1e%%T'\n"
                                 "set yrange [1e-18:1]\nset logscale x 2\n"
                                 "set xlabel 'polarisation b (each coordinate)'\n"
                                 "set key center right\n");
    for (size_t p = 0; !st && p < 2; p++) {
        st = plot_printf(s, "set title '%s'\nset ylabel '%s'\n",
                         p == 0 ? "largest difference" : "mean difference",
                         ylab[p]);
        for (size_t i = 0; !st && i < 6; i++)
            st = series(s, answers[i], Ts[i], mets[p], titles[i], lts[i], i == 0);
        if (!st && p == 0)
            st = plot_printf(s, ", 1e-12 with lines lt 8 dt 2 title "
                                "'1e-12 (bound for equivalent)'");
        if (!st) st = plot_printf(s, "\n");
    }
    if (!st) st = plot_printf(s, "unset multiplot\n");
    if (!st) st = plot_render(s, plot_dir, NULL);
    plot_script_free(s);
    return st;
}
