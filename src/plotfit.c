/* plotfit.c — plots of a latent-class fit directory (see plotfit.h).
 *
 * Both tables are small (a row per type and parameter; a row per user), so
 * each is read whole through csvrec into a table of interned strings, and
 * the columns are then looked up by name. Deliberately not here: anything
 * about how the estimates were computed. */
#include "plotfit.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "csvrec.h"
#include "err.h"
#include "fsutil.h"
#include "numparse.h"
#include "plot.h"
#include "strtab.h"

#define PF_BINS 20

/* A whole CSV: row 0 is the header; every row has nf fields. */
typedef struct pf_table {
    const char *path;
    size_t nf, n_rows, cap;  /* n_rows counts the header */
    uint32_t *cell;          /* (n_rows * nf) into s */
    size_t *line;            /* (n_rows) */
    strtab *s;
} pf_table;

static void pf_table_free(pf_table *t)
{
    free(t->cell);
    free(t->line);
    strtab_free(t->s);
}

static int pf_add(pf_table *t, csvrec *cr, const csvrec_record *rec)
{
    if (t->n_rows == 0) t->nf = rec->nf;
    if (rec->nf != t->nf)
        return csvrec_error(cr, rec->line, "%zu fields, the header has %zu",
                            rec->nf, t->nf);
    if (t->n_rows == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 16;
        uint32_t *c = realloc(t->cell, cap * t->nf * sizeof *c);
        if (c) t->cell = c;
        size_t *l = realloc(t->line, cap * sizeof *l);
        if (l) t->line = l;
        if (!c || !l) PREF_ERROR(PREF_ENOMEM, "out of memory");
        t->cap = cap;
    }
    for (size_t j = 0; j < t->nf; j++) {
        size_t len;
        const char *f = csvrec_field(rec, j, &len);
        PREF_TRY(strtab_intern(t->s, f, len, &t->cell[t->n_rows * t->nf + j]));
    }
    t->line[t->n_rows++] = rec->line;
    return PREF_OK;
}

static int pf_load(const char *path, pf_table *t)
{
    memset(t, 0, sizeof *t);
    t->path = path;
    FILE *f;
    PREF_TRY(fsutil_open_input(path, &f));
    int st = PREF_OK;
    t->s = strtab_alloc();
    if (!t->s) st = pref_set_error(PREF_ENOMEM, "out of memory");
    csvrec *cr = NULL;
    if (!st) cr = csvrec_alloc(f, path, 0, ',', &st);
    const csvrec_record *rec;
    while (!st && !(st = csvrec_next(cr, &rec)) && rec) st = pf_add(t, cr, rec);
    csvrec_free(cr);
    fclose(f);
    if (!st && t->n_rows < 2)
        st = pref_set_error(PREF_EINPUT, "%s: no rows", path);
    if (st) pf_table_free(t);
    return st;
}

static const char *pf_at(const pf_table *t, size_t row, size_t col)
{
    return strtab_get(t->s, t->cell[row * t->nf + col]);
}

static size_t pf_col(const pf_table *t, const char *name)
{
    for (size_t j = 0; j < t->nf; j++)
        if (strcmp(pf_at(t, 0, j), name) == 0) return j;
    return SIZE_MAX;
}

/* The number in (row, col): not finite (NaN, Inf) gives NaN. */
static int pf_num(const pf_table *t, size_t row, size_t col, double *out)
{
    const char *v = pf_at(t, row, col);
    int r = numparse_double(v, strlen(v), out);
    if (r == -2) *out = NAN;
    if (r == -1)
        PREF_ERROR(PREF_EINPUT, "%s:%zu: column %s: '%s' is not a number",
                   t->path, t->line[row], pf_at(t, 0, col), v);
    return PREF_OK;
}

void plotfit_estimates_free(plotfit_estimates *e)
{
    if (!e) return;
    for (size_t k = 0; e->type && k < e->n_types; k++) free(e->type[k]);
    for (size_t j = 0; e->param && j < e->n_params; j++) free(e->param[j]);
    free(e->type);
    free(e->param);
    free(e->weight);
    free(e->est);
    free(e->lo);
    free(e->hi);
    free(e);
}

static char *pf_strdup(const char *s)
{
    char *c = malloc(strlen(s) + 1);
    if (c) strcpy(c, s);
    return c;
}

/* An estimates struct of K types and P parameters, all values NaN. */
static plotfit_estimates *pf_est_alloc(size_t K, size_t P)
{
    plotfit_estimates *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->n_types = K;
    e->n_params = P;
    e->type = calloc(K + 1, sizeof *e->type);
    e->param = calloc(P + 1, sizeof *e->param);
    e->weight = malloc((K + 1) * sizeof *e->weight);
    e->est = malloc((K * P + 1) * sizeof *e->est);
    e->lo = malloc((K * P + 1) * sizeof *e->lo);
    e->hi = malloc((K * P + 1) * sizeof *e->hi);
    if (!e->type || !e->param || !e->weight || !e->est || !e->lo || !e->hi) {
        plotfit_estimates_free(e);
        return NULL;
    }
    for (size_t k = 0; k < K; k++) e->weight[k] = NAN;
    for (size_t i = 0; i < K * P; i++) e->est[i] = e->lo[i] = e->hi[i] = NAN;
    return e;
}

/* Index of v among the first *n entries of seen, added when new. */
static size_t pf_intern_idx(uint32_t *seen, size_t *n, uint32_t v)
{
    size_t i = 0;
    while (i < *n && seen[i] != v) i++;
    if (i == *n) seen[(*n)++] = v;
    return i;
}

/* Fill an interval from an estimate and a standard error (Wald 95%). */
static void pf_wald(double est, double se, double *lo, double *hi)
{
    double z = gsl_cdf_ugaussian_Pinv(0.975);
    *lo = est - z * se;
    *hi = est + z * se;
}

static int pf_long_row(const pf_table *t, size_t r, const size_t c[6],
                       double v[4])
{
    for (size_t i = 0; i < 4; i++) {
        v[i] = NAN;
        if (c[2 + i] != SIZE_MAX) PREF_TRY(pf_num(t, r, c[2 + i], &v[i]));
    }
    if (c[4] == SIZE_MAX || c[5] == SIZE_MAX) pf_wald(v[0], v[1], &v[2], &v[3]);
    return PREF_OK;
}

/* Long form: type,parameter,estimate[,se][,ci_low,ci_high]. */
static int pf_from_long(const pf_table *t, plotfit_estimates **out)
{
    static const char *const names[6] = {"type", "parameter", "estimate",
                                         "se", "ci_low", "ci_high"};
    size_t c[6], n = t->n_rows - 1, K = 0, P = 0;
    for (size_t i = 0; i < 6; i++) c[i] = pf_col(t, names[i]);
    if (c[0] == SIZE_MAX || c[2] == SIZE_MAX ||
        (c[3] == SIZE_MAX && (c[4] == SIZE_MAX || c[5] == SIZE_MAX)))
        PREF_ERROR(PREF_EINPUT, "%s: a long-form estimates table needs the "
                   "columns type, parameter, estimate and se or ci_low, ci_high",
                   t->path);
    uint32_t *ty = malloc(2 * (n + 1) * sizeof *ty), *pa = ty + n + 1;
    if (!ty) PREF_ERROR(PREF_ENOMEM, "out of memory");
    uint32_t w = strtab_find(t->s, "weight", 6);
    for (size_t r = 1; r <= n; r++) {
        pf_intern_idx(ty, &K, t->cell[r * t->nf + c[0]]);
        if (t->cell[r * t->nf + c[1]] != w) pf_intern_idx(pa, &P, t->cell[r * t->nf + c[1]]);
    }
    plotfit_estimates *e = pf_est_alloc(K, P);
    int st = e ? PREF_OK : pref_set_error(PREF_ENOMEM, "out of memory");
    for (size_t k = 0; !st && k < K; k++)
        if (!(e->type[k] = pf_strdup(strtab_get(t->s, ty[k]))))
            st = pref_set_error(PREF_ENOMEM, "out of memory");
    for (size_t j = 0; !st && j < P; j++)
        if (!(e->param[j] = pf_strdup(strtab_get(t->s, pa[j]))))
            st = pref_set_error(PREF_ENOMEM, "out of memory");
    for (size_t r = 1; !st && r <= n; r++) {
        double v[4];
        st = pf_long_row(t, r, c, v);
        size_t k = pf_intern_idx(ty, &K, t->cell[r * t->nf + c[0]]);
        uint32_t p = t->cell[r * t->nf + c[1]];
        if (st) break;
        if (p == w) {
            e->weight[k] = v[0];
            continue;
        }
        size_t j = pf_intern_idx(pa, &P, p);
        e->est[k * P + j] = v[0];
        e->lo[k * P + j] = v[2];
        e->hi[k * P + j] = v[3];
    }
    free(ty);
    if (!st) e->interval = c[4] == SIZE_MAX || c[5] == SIZE_MAX
                               ? "Wald 95% intervals" : "ci_low..ci_high";
    if (st) plotfit_estimates_free(e);
    else *out = e;
    return st;
}

/* The display name of wide column X: thetaJ is theta[xJ], others as is. */
static char *pf_wide_name(const char *col)
{
    size_t n = strlen(col);
    int theta = n > 5 && strncmp(col, "theta", 5) == 0 &&
                strspn(col + 5, "0123456789") == n - 5;
    char *c = malloc(n + 4);
    if (!c) return NULL;
    if (theta) snprintf(c, n + 4, "theta[x%s]", col + 5);
    else strcpy(c, col);
    return c;
}

/* Wide form: type, X..., se_X...: the parameter columns and their se. */
static int pf_wide_cols(const pf_table *t, size_t *pc, size_t *sc, size_t *P,
                        size_t *wc, size_t *wse)
{
    char buf[512];
    *P = 0;
    *wc = *wse = SIZE_MAX;
    for (size_t j = 0; j < t->nf; j++) {
        const char *h = pf_at(t, 0, j);
        if (!strcmp(h, "type") || !strncmp(h, "se_", 3)) continue;
        snprintf(buf, sizeof buf, "se_%s", h);
        size_t se = pf_col(t, buf);
        if (!strcmp(h, "weight")) {
            *wc = j;
            *wse = se;
            continue;
        }
        pc[*P] = j;
        sc[(*P)++] = se;
    }
    return PREF_OK;
}

/* Wide form: type,weight,theta1..,se_weight,se_theta1.. (a row per type). */
static int pf_from_wide(const pf_table *t, plotfit_estimates **out)
{
    size_t tc = pf_col(t, "type"), K = t->n_rows - 1, P, wc, wse;
    size_t *pc = malloc(2 * (t->nf + 1) * sizeof *pc), *sc = pc + t->nf + 1;
    if (!pc) PREF_ERROR(PREF_ENOMEM, "out of memory");
    pf_wide_cols(t, pc, sc, &P, &wc, &wse);
    plotfit_estimates *e = pf_est_alloc(K, P);
    int st = e ? PREF_OK : pref_set_error(PREF_ENOMEM, "out of memory");
    for (size_t j = 0; !st && j < P; j++)
        if (!(e->param[j] = pf_wide_name(pf_at(t, 0, pc[j]))))
            st = pref_set_error(PREF_ENOMEM, "out of memory");
    for (size_t k = 0; !st && k < K; k++) {
        if (!(e->type[k] = pf_strdup(pf_at(t, k + 1, tc))))
            st = pref_set_error(PREF_ENOMEM, "out of memory");
        if (!st && wc != SIZE_MAX) st = pf_num(t, k + 1, wc, &e->weight[k]);
        for (size_t j = 0; !st && j < P; j++) {
            double se = NAN, *v = &e->est[k * P + j];
            st = pf_num(t, k + 1, pc[j], v);
            if (!st && sc[j] != SIZE_MAX) st = pf_num(t, k + 1, sc[j], &se);
            pf_wald(*v, se, &e->lo[k * P + j], &e->hi[k * P + j]);
        }
    }
    free(pc);
    if (!st) e->interval = "Wald 95% intervals";
    if (st) plotfit_estimates_free(e);
    else *out = e;
    return st;
}

int plotfit_read_estimates(const char *path, plotfit_estimates **out)
{
    *out = NULL;
    pf_table t;
    PREF_TRY(pf_load(path, &t));
    int st;
    if (pf_col(&t, "parameter") != SIZE_MAX)
        st = pf_from_long(&t, out);
    else if (pf_col(&t, "type") != SIZE_MAX)
        st = pf_from_wide(&t, out);
    else
        st = pref_set_error(PREF_EINPUT, "%s:%zu: not a fit's estimates table "
                            "(no column 'type': expected type,parameter,"
                            "estimate,... or type,weight,theta1,...)",
                            path, t.line[0]);
    pf_table_free(&t);
    return st;
}

int plotfit_read_certainty(const char *path, double **maxpost,
                           size_t *n_users, size_t *n_types)
{
    *maxpost = NULL;
    pf_table t;
    PREF_TRY(pf_load(path, &t));
    size_t uc = pf_col(&t, "user"), n = t.n_rows - 1;
    int st = PREF_OK;
    if (uc == SIZE_MAX || t.nf < 2)
        st = pref_set_error(PREF_EINPUT, "%s:%zu: not a fit's posteriors table "
                            "(expected user,p1,...,pK)", path, t.line[0]);
    double *m = st ? NULL : malloc((n + 1) * sizeof *m);
    if (!st && !m) st = pref_set_error(PREF_ENOMEM, "out of memory");
    for (size_t i = 0; !st && i < n; i++) {
        m[i] = NAN;
        for (size_t j = 0; !st && j < t.nf; j++) {
            double p;
            if (j == uc || (st = pf_num(&t, i + 1, j, &p))) continue;
            if (isnan(m[i]) || p > m[i]) m[i] = p;
        }
    }
    pf_table_free(&t);
    if (st) {
        free(m);
        return st;
    }
    *maxpost = m;
    *n_users = n;
    *n_types = t.nf - 1;
    return PREF_OK;
}

/* Arrays tK_x, tK_y, tK_lo, tK_hi of type k (x: parameter j shifted by the
 * type's offset). buf: 4 * n_params doubles. Returns the count of finite
 * estimates without a finite interval (drawn as a bare point) in *bare. */
static int pf_type_arrays(plot_script *s, const plotfit_estimates *e,
                          size_t k, double *buf, size_t *bare)
{
    size_t P = e->n_params, K = e->n_types;
    double *a[4] = {buf, buf + P, buf + 2 * P, buf + 3 * P};
    double off = K > 1 ? ((double)k - (K - 1) / 2.0) * 0.6 / (double)K : 0;
    for (size_t j = 0; j < P; j++) {
        size_t i = k * P + j;
        a[0][j] = (double)j + off;
        a[1][j] = e->est[i];
        a[2][j] = e->lo[i];
        a[3][j] = e->hi[i];
        if (!isnan(e->est[i]) && (isnan(e->lo[i]) || isnan(e->hi[i]))) {
            a[2][j] = a[3][j] = e->est[i];
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

static int pf_types_body(plot_script *s, const plotfit_estimates *e,
                         double *buf, size_t *bare)
{
    char text[512];
    snprintf(text, sizeof text, "Estimated types: coefficients with %s",
             e->interval);
    PREF_TRY(plot_printf(s, "set title "));
    PREF_TRY(plot_quoted(s, text));
    PREF_TRY(plot_printf(s, "\nset ylabel 'coefficient'\nset key outside right top\n"
                         "set xzeroaxis lt 1 lc rgb '#7F7F7F' dt 2\n"
                         "set xrange [-0.5:%g]\nset xtics %s(", e->n_params - 0.5,
                         e->n_params > 6 ? "rotate by -30 " : ""));
    for (size_t j = 0; j < e->n_params; j++) {
        if (j) PREF_TRY(plot_printf(s, ", "));
        PREF_TRY(plot_quoted(s, e->param[j]));
        PREF_TRY(plot_printf(s, " %zu", j));
    }
    PREF_TRY(plot_printf(s, ")\n"));
    for (size_t k = 0; k < e->n_types; k++)
        PREF_TRY(pf_type_arrays(s, e, k, buf, bare));
    PREF_TRY(plot_printf(s, "plot \\\n"));
    for (size_t k = 0; k < e->n_types; k++) {
        /* "sample" only before the first range: later ones are plain. */
        PREF_TRY(plot_printf(s, "  %s[i=1:%zu:1] '+' using (t%zu_x[i]):"
                             "(t%zu_y[i]):(t%zu_lo[i]):(t%zu_hi[i]) with "
                             "yerrorbars lt %zu title ", k ? "" : "sample ",
                             e->n_params, k + 1, k + 1, k + 1, k + 1, k + 1));
        if (isnan(e->weight[k]))
            snprintf(text, sizeof text, "type %s", e->type[k]);
        else
            snprintf(text, sizeof text, "type %s (weight %.3g)", e->type[k],
                     e->weight[k]);
        PREF_TRY(plot_quoted(s, text));
        PREF_TRY(plot_printf(s, "%s\n", k + 1 < e->n_types ? ", \\" : ""));
    }
    return PREF_OK;
}

int plotfit_draw_types(const plotfit_estimates *e, const char *dir,
                       int *rendered)
{
    if (rendered) *rendered = 0;
    if (e->n_params == 0)
        PREF_ERROR(PREF_EINPUT, "estimates: no coefficient to plot");
    plot_script *s = plot_script_alloc("types", 900, 560);
    double *buf = malloc(4 * e->n_params * sizeof *buf);
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
