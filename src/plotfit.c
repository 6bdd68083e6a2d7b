/* plotfit.c — plots of a latent-class fit directory (see plotfit.h).
 *
 * estimates.csv is read by estread.h, posteriors.csv (a row per user) whole
 * by csvtab.h. Deliberately not here: anything about how the estimates
 * were computed. */
#include "plotfit.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvtab.h"
#include "err.h"
#include "estread.h"
#include "plot.h"
#include "strtab.h"

#define PF_BINS 20

int plotfit_read_certainty(const char *path, double **maxpost,
                           size_t *n_users, size_t *n_types)
{
    *maxpost = NULL;
    csvtab *t;
    PREF_TRY(csvtab_read(path, &t));
    size_t uc = csvtab_col(t, "user"), n = csvtab_n_rows(t), nf = csvtab_n_cols(t);
    int st = PREF_OK;
    if (uc == SIZE_MAX || nf < 2)
        st = pref_set_error(PREF_EINPUT, "%s:%zu: not a fit's posteriors table "
                            "(expected user,p1,...,pK)", path, csvtab_header_line(t));
    double *m = st ? NULL : malloc((n + 1) * sizeof *m);
    if (!st && !m) st = pref_set_error(PREF_ENOMEM, "out of memory");
    for (size_t i = 0; !st && i < n; i++) {
        m[i] = NAN;
        for (size_t j = 0; !st && j < nf; j++) {
            double p;
            if (j == uc || (st = csvtab_num(t, i, j, &p))) continue;
            if (isnan(m[i]) || p > m[i]) m[i] = p;
        }
    }
    csvtab_free(t);
    if (st) {
        free(m);
        return st;
    }
    *maxpost = m;
    *n_users = n;
    *n_types = nf - 1;
    return PREF_OK;
}

/* Arrays tK_x, tK_y, tK_lo, tK_hi of type k (x: parameter j shifted by the
 * type's offset). buf: 4 * d doubles. Returns the count of finite
 * estimates without a finite interval (drawn as a bare point) in *bare. */
static int pf_type_arrays(plot_script *s, const estread_estimates *e,
                          size_t k, double *buf, size_t *bare)
{
    size_t P = e->d, K = e->K;
    double *a[4] = {buf, buf + P, buf + 2 * P, buf + 3 * P};
    double off = K > 1 ? ((double)k - (K - 1) / 2.0) * 0.6 / (double)K : 0;
    for (size_t j = 0; j < P; j++) {
        const double *r = e->row + (k * (P + 1) + j + 1) * ESTREAD_NCOL;
        a[0][j] = (double)j + off;
        a[1][j] = r[ESTREAD_EST];
        a[2][j] = r[ESTREAD_CI_LOW];
        a[3][j] = r[ESTREAD_CI_HIGH];
        if (isnan(a[2][j]) || isnan(a[3][j])) {
            a[2][j] = a[3][j] = r[ESTREAD_EST];
            (*bare)++;
        }
    }
    static const char *const suffix[] = {"x", "y", "lo", "hi"};
    char name[64];
    for (size_t q = 0; q < 4; q++) {
        snprintf(name, sizeof name, "t%zu_%s", k + 1, suffix[q]);
        PREF_TRY(plot_array(s, name, a[q], P));
    }
    return PREF_OK;
}

static int pf_types_body(plot_script *s, const estread_estimates *e,
                         double *buf, size_t *bare)
{
    char text[512];
    PREF_TRY(plot_printf(s, "set title "));
    PREF_TRY(plot_quoted(s, "Estimated types: coefficients with ci_low..ci_high"));
    PREF_TRY(plot_printf(s, "\nset ylabel 'coefficient'\nset key outside right top\n"
                         "set xzeroaxis lt 1 lc rgb '#7F7F7F' dt 2\n"
                         "set xrange [-0.5:%g]\nset xtics %s(", e->d - 0.5,
                         e->d > 6 ? "rotate by -30 " : ""));
    for (size_t j = 0; j < e->d; j++) {
        if (j) PREF_TRY(plot_printf(s, ", "));
        snprintf(text, sizeof text, "theta[%s]", strtab_get(e->names, (uint32_t)j));
        PREF_TRY(plot_quoted(s, text));
        PREF_TRY(plot_printf(s, " %zu", j));
    }
    PREF_TRY(plot_printf(s, ")\n"));
    for (size_t k = 0; k < e->K; k++)
        PREF_TRY(pf_type_arrays(s, e, k, buf, bare));
    PREF_TRY(plot_printf(s, "plot \\\n"));
    for (size_t k = 0; k < e->K; k++) {
        /* "sample" only before the first range: later ones are plain. */
        PREF_TRY(plot_printf(s, "  %s[i=1:%zu:1] '+' using (t%zu_x[i]):"
                             "(t%zu_y[i]):(t%zu_lo[i]):(t%zu_hi[i]) with "
                             "yerrorbars lt %zu title ", k ? "" : "sample ",
                             e->d, k + 1, k + 1, k + 1, k + 1, k + 1));
        snprintf(text, sizeof text, "type %zu (weight %.3g)", k + 1, e->weight[k]);
        PREF_TRY(plot_quoted(s, text));
        PREF_TRY(plot_printf(s, "%s\n", k + 1 < e->K ? ", \\" : ""));
    }
    return PREF_OK;
}

int plotfit_draw_types(const estread_estimates *e, const char *dir,
                       int *rendered)
{
    if (rendered) *rendered = 0;
    plot_script *s = plot_script_alloc("types", 900, 560);
    double *buf = malloc(4 * e->d * sizeof *buf);
    size_t bare = 0;
    int st = s && buf ? PREF_OK : pref_set_error(PREF_ENOMEM, "out of memory");
    if (!st) st = pf_types_body(s, e, buf, &bare);
    if (!st && bare)
        fprintf(stderr, "hetpref: warning: plot types: %zu coefficients have no "
                "finite interval (no standard error) and are drawn without one\n",
                bare);
    if (!st) st = plot_render(s, dir, rendered);
    free(buf);
    plot_script_free(s);
    return st;
}

/* Bin centres and counts of maxpost on [1/K, 1] (K = 1: [0, 1]) into
 * c[PF_BINS], n[PF_BINS]; returns the count of NaN values (not binned). */
static size_t pf_bin(const double *maxpost, size_t n_users, size_t K,
                     double *c, double *n, double *width, double *mean)
{
    double lo = K > 1 ? 1.0 / (double)K : 0.0, w = (1.0 - lo) / PF_BINS, sum = 0;
    size_t n_nan = 0;
    for (size_t b = 0; b < PF_BINS; b++) {
        c[b] = lo + (b + 0.5) * w;
        n[b] = 0;
    }
    for (size_t i = 0; i < n_users; i++) {
        double v = maxpost[i];
        if (isnan(v)) {
            n_nan++;
            continue;
        }
        long b = (long)floor((v - lo) / w);
        n[b < 0 ? 0 : (b >= PF_BINS ? PF_BINS - 1 : b)] += 1;
        sum += v;
    }
    *width = w;
    *mean = n_users > n_nan ? sum / (double)(n_users - n_nan) : NAN;
    return n_nan;
}

int plotfit_draw_certainty(const double *maxpost, size_t n_users,
                           size_t n_types, const char *dir, int *rendered)
{
    if (rendered) *rendered = 0;
    double c[PF_BINS], n[PF_BINS], w, mean;
    size_t n_nan = pf_bin(maxpost, n_users, n_types, c, n, &w, &mean);
    if (n_nan)
        fprintf(stderr, "hetpref: warning: plot certainty: %zu of %zu users "
                "have no finite posterior and are not counted\n", n_nan, n_users);
    plot_script *s = plot_script_alloc("certainty", 800, 500);
    if (!s) PREF_ERROR(PREF_ENOMEM, "out of memory");
    char title[256];
    snprintf(title, sizeof title, "Posterior certainty of %zu users (%zu types): "
             "mean %.3f", n_users - n_nan, n_types, mean);
    int st = plot_printf(s, "set title ");
    if (!st) st = plot_quoted(s, title);
    if (!st) st = plot_printf(s, "\nset xlabel 'largest posterior type probability "
                              "of a user'\nset ylabel 'users'\nset xrange [%g:1]\n"
                              "set yrange [0:*]\nset boxwidth %.17g absolute\n"
                              "set style fill solid 0.6 border lc rgb '#404040'\n"
                              "unset key\n", n_types > 1 ? 1.0 / n_types : 0.0, w);
    if (!st) st = plot_array(s, "bin_x", c, PF_BINS);
    if (!st) st = plot_array(s, "bin_n", n, PF_BINS);
    if (!st) st = plot_printf(s, "plot sample [i=1:%d:1] '+' using (bin_x[i]):"
                              "(bin_n[i]) with boxes lt 1\n", PF_BINS);
    if (!st) st = plot_render(s, dir, rendered);
    plot_script_free(s);
    return st;
}
