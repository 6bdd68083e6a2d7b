/* kselectout.c — select.csv, picks.csv and the select plot (see
 * kselectout.h). Formats and draws; computes nothing. */
#include "kselectout.h"

#include <stdio.h>

#include "csvio.h"
#include "err.h"
#include "fsutil.h"
#include "plot.h"

int kselectout_write(const char *dir, const kselectout_row *rows, size_t n)
{
    fsutil_file o;
    PREF_TRY(fsutil_open_in(&o, dir, "select.csv"));
    fputs("K,loglik,n_params,aic,bic,icl,heldout_loglik,heldout_se,converged,"
          "best_hits\n", o.f);
    for (size_t j = 0; j < n; j++) {
        const kselectout_row *r = rows + j;
        double v[7] = {r->loglik, r->n_params, r->aic, r->bic, r->icl,
                       r->heldout, r->heldout_se};
        fprintf(o.f, "%zu", r->K);
        csvio_put_nums(o.f, v, 7);
        fprintf(o.f, ",%d", r->converged);
        csvio_put_nums(o.f, &r->best_hits, 1);
        fputc('\n', o.f);
    }
    return fsutil_commit(&o);
}

int kselectout_write_picks(const char *dir, double pick_bic, size_t pick_heldout,
                           size_t best_k, double threshold, size_t folds)
{
    fsutil_file o;
    PREF_TRY(fsutil_open_in(&o, dir, "picks.csv"));
    fputs("pick_bic,pick_heldout,heldout_best_k,heldout_threshold,folds\n", o.f);
    csvio_put_num(o.f, pick_bic);
    fprintf(o.f, ",%zu,%zu,", pick_heldout, best_k);
    csvio_put_num(o.f, threshold);
    fprintf(o.f, ",%zu\n", folds);
    return fsutil_commit(&o);
}

int kselectout_plot(const char *dir, int has_bic, size_t folds, int *rendered)
{
    plot_script *s = plot_script_alloc("select", 1000, 600);
    if (!s) PREF_ERROR(PREF_ENOMEM, "out of memory");
    /* With BIC: BIC on the left axis, held-out on the right; without, the
     * held-out log-likelihood alone on the left axis. */
    const char *ho_axis = has_bic ? "y2" : "y";
    char csv[4096];
    int st = fsutil_join(csv, sizeof csv, dir, "select.csv");
    if (!st)
        st = plot_printf(s, "set title \"Choosing the number of types K\\n%s"
                            "held-out log-likelihood: %zu-fold cross-"
                            "validation by user, bars +-1 standard error\"\n"
                            "set xlabel 'number of types K'\nset xtics 1\nset offsets 0.25, 0.25, 0, 0\n"
                            "set key top center\nset datafile missing 'NaN'\n"
                            "set %slabel 'held-out log-likelihood, total over "
                            "users (higher is better)'\nset %stics\n",
                         has_bic ? "BIC (left axis, lower is better); " : "",
                         folds, ho_axis, ho_axis);
    if (!st && has_bic)
        st = plot_printf(s, "set ylabel 'BIC (lower is better)'\n"
                            "set ytics nomirror\n");
    if (!st) st = plot_printf(s, "f = ");
    if (!st) st = plot_path(s, dir, csv);
    if (!st) st = plot_printf(s, "\nplot ");
    if (!st && has_bic)
        st = plot_printf(s, "f skip 1 using 1:5 axes x1y1 with linespoints lt 1 "
                            "title 'BIC', ");
    if (!st)
        st = plot_printf(s, "f skip 1 using 1:7:8 axes x1%s with yerrorlines "
                            "lt 2 title 'held-out log-likelihood +- 1 SE'\n",
                         has_bic ? "y2" : "y1");
    if (!st) st = plot_render(s, dir, rendered);
    plot_script_free(s);
    return st;
}
