/* cli_plot.c — the plot command (see cli_plot.h).
 *
 * Which directory is which: with no flag, a directory named after a
 * built-in experiment (results/<id>) is redrawn by the experiment's own
 * plot into DIR/../../plots, as before. Otherwise a directory holding
 * summary.csv is a sweep, and one holding estimates.csv a latent-class
 * fit. Options that do not apply to the kind found are usage errors, never
 * ignored. Bad input (exit 2) is found before any file is written. */
#include "cli_plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clicommon.h"
#include "cliutil.h"
#include "err.h"
#include "estread.h"
#include "csvtab.h"
#include "fsutil.h"
#include "kselectout.h"
#include "plotfit.h"
#include "plotsweep.h"
#include "reproduce.h"

static const char plot_usage[] =
    "usage: hetpref plot DIR [--y METRIC] [--x KEY] [--by KEY] [--logx] [--logy]\n"
    "                        [-o OUTDIR]\n"
    "\n"
    "Draws the figures of a results directory, each as NAME.gp (a gnuplot script\n"
    "that redraws it by hand), NAME.png and NAME.svg, into DIR itself or OUTDIR.\n"
    "\n"
    "A sweep directory (with summary.csv): the mean and 95% t interval over\n"
    "replicates of a metric against a swept key, one series per value of another\n"
    "key, into METRIC.{gp,png,svg}. Columns are found by name. Defaults: every\n"
    "metric (one plot each), x = the first numeric swept key (else the first\n"
    "key), by = the next key. A key whose values are not all numbers is drawn as\n"
    "categories. When a key other than --x and --by varies too, each combination\n"
    "is its own series (with a warning).\n"
    "  --y METRIC   only this metric (a value of the metric column)\n"
    "  --x KEY      the swept key on the horizontal axis\n"
    "  --by KEY     the swept key whose values are the series\n"
    "  --logx, --logy  logarithmic axes (--logx needs a numeric key > 0)\n"
    "\n"
    "A fit directory (hetpref fit --model lcl: estimates.csv, posteriors.csv):\n"
    "types.{gp,png,svg}, every coefficient of every type with its interval, and\n"
    "certainty.{gp,png,svg}, the histogram over users of their largest posterior\n"
    "type probability.\n"
    "\n"
    "A choice of K (a fit of a range of K: select.csv, picks.csv): redraws\n"
    "select.{gp,png,svg} in DIR, BIC and the held-out log-likelihood against K\n"
    "(DIR/K holds each K's fit: plot DIR/K draws it).\n"
    "\n"
    "An experiment's results directory (results/<id> of hetpref reproduce), with\n"
    "no option: redraws the experiment's figure into DIR/../../plots as <id>.gp,\n"
    ".png, .svg.\n"
    "\n"
    "Images appear only when gnuplot succeeds (a failed run leaves none); without\n"
    "gnuplot the .gp scripts are written with a warning. Exit 2 (nothing written)\n"
    "for an unknown metric or key, or a directory of none of these kinds.\n";

typedef struct plot_args {
    const char *dir, *out;
    plotsweep_opts o;
    int sweep_flags;  /* how many sweep-only options were given */
} plot_args;

static int plot_parse(int argc, char **argv, plot_args *a)
{
    memset(a, 0, sizeof *a);
    plotsweep_opts_init(&a->o);
    static const char *const names[] = {"--y", "--x", "--by", "-o"};
    const char **slots[] = {&a->o.y, &a->o.x, &a->o.by, &a->out};
    for (int i = 2; i < argc; i++) {
        int missing = 0;
        const char *v = NULL;
        for (size_t q = 0; q < 4 && !v && !missing; q++) {
            v = cli_opt_value(argc, argv, &i, names[q], &missing);
            if (v) *slots[q] = v;
            if (v && q < 3) a->sweep_flags++;
        }
        if (missing)
            return cli_usage_error("plot", "option %s needs a value", argv[i]);
        if (v) continue;
        if (!strcmp(argv[i], "--logx")) a->o.logx = 1;
        else if (!strcmp(argv[i], "--logy")) a->o.logy = 1;
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage_error("plot", "unknown option %s", argv[i]);
        else if (a->dir)
            return cli_usage_error("plot", "one DIR only (also got %s)", argv[i]);
        else a->dir = argv[i];
    }
    a->sweep_flags += a->o.logx + a->o.logy;
    if (!a->dir) return cli_usage_error("plot", "%s", "no DIR given");
    return -1;
}

/* Read and check a sweep's summary, then draw each plot asked for. */
static int plot_sweep(plot_args *a, const char *summary)
{
    plotsweep_table *t = NULL;
    int st = plotsweep_read(summary, &t);
    if (!st) st = plotsweep_resolve(t, &a->o);
    const char *out = a->out ? a->out : a->dir;
    if (!st && a->out) st = fsutil_mkdirs(out);
    size_t n = t ? plotsweep_n_metrics(t) : 0;
    for (size_t k = 0; !st && k < n; k++) {
        const char *y = plotsweep_metric(t, k);
        if (a->o.y && strcmp(a->o.y, y) != 0) continue;
        st = plotsweep_draw(t, &a->o, y, out, NULL);
    }
    plotsweep_table_free(t);
    return st;
}

static int plot_fit(const plot_args *a, const char *estimates)
{
    char post[4096];
    int st = fsutil_join(post, sizeof post, a->dir, "posteriors.csv");
    estread_estimates *e = NULL;
    double *maxpost = NULL;
    size_t n_users = 0, n_types = 0;
    if (!st) st = estread_read(estimates, NULL, &e);
    if (!st) st = plotfit_read_certainty(post, &maxpost, &n_users, &n_types);
    const char *out = a->out ? a->out : a->dir;
    if (!st && a->out) st = fsutil_mkdirs(out);
    if (!st) st = plotfit_draw_types(e, out, NULL);
    if (!st) st = plotfit_draw_certainty(maxpost, n_users, n_types, out, NULL);
    estread_free(e);
    free(maxpost);
    return st;
}

/* The last component of dir (trailing slashes ignored) into buf. */
static const char *plot_base(const char *dir, char *buf, size_t n)
{
    size_t e = strlen(dir);
    while (e > 1 && dir[e - 1] == '/') e--;
    size_t b = e;
    while (b > 0 && dir[b - 1] != '/') b--;
    snprintf(buf, n, "%.*s", (int)(e - b), dir + b);
    return buf;
}

/* A choice of K: redraw DIR/select.* from select.csv (BIC drawn when any K
 * has one) and the fold count in picks.csv. */
static int plot_select(const char *dir, const char *select)
{
    char picks[4096];
    csvtab *ts = NULL, *tp = NULL;
    size_t bic, folds;
    double v, nf = NAN;
    int has_bic = 0;
    int st = fsutil_join(picks, sizeof picks, dir, "picks.csv");
    if (!st) st = csvtab_read(select, &ts);
    if (!st) st = csvtab_read(picks, &tp);
    if (!st) st = csvtab_cols(ts, (const char *const[]){"bic"}, 1, &bic);
    if (!st) st = csvtab_cols(tp, (const char *const[]){"folds"}, 1, &folds);
    for (size_t r = 0; !st && r < csvtab_n_rows(ts); r++) {
        st = csvtab_num(ts, r, bic, &v);
        has_bic |= !st && isfinite(v);
    }
    if (!st) st = csvtab_num(tp, 0, folds, &nf);
    if (!st && !(nf >= 2 && nf <= 1e6 && nf == floor(nf)))
        st = pref_set_error(PREF_EINPUT, "%s: folds: not a number of folds", picks);
    csvtab_free(ts);
    csvtab_free(tp);
    return st ? st : kselectout_plot(dir, has_bic, (size_t)nf, NULL);
}

int cli_plot(int argc, char **argv)
{
    if (cli_has_help(argc, argv)) {
        fputs(plot_usage, stdout);
        return 0;
    }
    plot_args a;
    int rc = plot_parse(argc, argv, &a);
    if (rc >= 0) return rc;
    if (!fsutil_exists(a.dir))
        return cli_fail(pref_set_error(PREF_EINPUT, "%s: no such directory", a.dir));
    char base[256], summary[4096], est[4096], select[4096];
    int st = fsutil_join(summary, sizeof summary, a.dir, "summary.csv");
    if (!st) st = fsutil_join(est, sizeof est, a.dir, "estimates.csv");
    if (!st) st = fsutil_join(select, sizeof select, a.dir, "select.csv");
    if (st) return cli_fail(st);
    if (!a.sweep_flags && !a.out && repro_find(plot_base(a.dir, base, sizeof base))) {
        char plots[4096];
        snprintf(plots, sizeof plots, "%s/../../plots", a.dir);
        st = repro_plot(a.dir, plots);
    } else if (fsutil_exists(summary)) {
        st = plot_sweep(&a, summary);
    } else if (fsutil_exists(select) && !fsutil_exists(est)) {
        if (a.sweep_flags || a.out)
            return cli_usage_error("plot", "%s is a choice of K: it is redrawn in "
                                   "place, without --y, --x, --by, --logx, "
                                   "--logy or -o", a.dir);
        st = plot_select(a.dir, select);
    } else if (fsutil_exists(est)) {
        if (a.sweep_flags)
            return cli_usage_error("plot", "%s is a fit directory: --y, --x, "
                                   "--by, --logx and --logy apply to sweeps",
                                   a.dir);
        st = plot_fit(&a, est);
    } else {
        st = pref_set_error(PREF_EINPUT, "%s: not a sweep directory (no summary.csv), "
                            "a latent-class fit directory (no estimates.csv), a choice "
                            "of K (no select.csv) or an "
                            "experiment's results directory", a.dir);
    }
    return st ? cli_fail(st) : 0;
}
