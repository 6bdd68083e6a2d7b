/* plotsweep.c — plots of a sweep's summary.csv (see plotsweep.h).
 *
 * The table is read once through csvrec into flat arrays (one row per
 * record: a value index per key, a metric index, mean and interval); every
 * string is interned in one strtab. Drawing groups the rows of one metric
 * into series by a signature (the value indices of the series keys), orders
 * the points, and writes each series as four gnuplot arrays plotted with
 * yerrorlines. Deliberately not here: computing the summary (sweep.c). */
#include "plotsweep.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvrec.h"
#include "err.h"
#include "fsutil.h"
#include "numparse.h"
#include "plot.h"
#include "strtab.h"

/* Columns of summary.csv that are not swept keys. */
static const char *const ps_reserved[] = {"cell", "metric", "n", "mean",
                                          "sd", "ci_low", "ci_high"};
enum { PS_CELL, PS_METRIC, PS_N, PS_MEAN, PS_SD, PS_LO, PS_HI, PS_NRES };
#define PS_STEM_MAX 128 /* longest file stem of a metric's plot */

struct plotsweep_table {
    size_t n_cols, n_keys, n_rows, cap;
    size_t res_col[PS_NRES];  /* column of each reserved name */
    size_t *key_col;          /* (n_keys) column of key j */
    uint32_t *key_name;       /* (n_keys) into strs */
    int *key_numeric;         /* (n_keys) */
    uint32_t *kv;             /* (n_rows * n_keys) value of key j, into strs */
    uint32_t *metric;         /* (n_rows) into strs */
    double *val;              /* (n_rows * 3) mean, ci_low, ci_high */
    uint32_t *metrics;        /* distinct metrics in order, into strs */
    size_t n_metrics;
    unsigned char *is_metric; /* (is_cap) by strs index: a metric already */
    size_t is_cap;
    strtab *files;            /* the file stem of each metric (ps_stem) */
    uint32_t *file_metric;    /* (n_metrics) metric of file stem i */
    strtab *strs;
};

void plotsweep_table_free(plotsweep_table *t)
{
    if (!t) return;
    free(t->key_col);
    free(t->key_name);
    free(t->key_numeric);
    free(t->kv);
    free(t->metric);
    free(t->val);
    free(t->metrics);
    free(t->is_metric);
    strtab_free(t->files);
    free(t->file_metric);
    strtab_free(t->strs);
    free(t);
}

size_t plotsweep_n_metrics(const plotsweep_table *t) { return t->n_metrics; }
const char *plotsweep_metric(const plotsweep_table *t, size_t i)
{
    return strtab_get(t->strs, t->metrics[i]);
}
size_t plotsweep_n_keys(const plotsweep_table *t) { return t->n_keys; }
const char *plotsweep_key(const plotsweep_table *t, size_t j)
{
    return strtab_get(t->strs, t->key_name[j]);
}
int plotsweep_key_numeric(const plotsweep_table *t, size_t j)
{
    return t->key_numeric[j];
}

/* The header: reserved columns by name, every other column a key. */
static int ps_header(plotsweep_table *t, csvrec *cr, const csvrec_record *h)
{
    t->n_cols = h->nf;
    for (size_t r = 0; r < PS_NRES; r++) t->res_col[r] = SIZE_MAX;
    t->key_col = malloc(h->nf * sizeof *t->key_col);
    t->key_name = malloc(h->nf * sizeof *t->key_name);
    if (!t->key_col || !t->key_name) PREF_ERROR(PREF_ENOMEM, "out of memory");
    for (size_t c = 0; c < h->nf; c++) {
        size_t len;
        const char *f = csvrec_field(h, c, &len);
        size_t r = 0;
        while (r < PS_NRES && strcmp(f, ps_reserved[r]) != 0) r++;
        if (r < PS_NRES) {
            if (t->res_col[r] != SIZE_MAX)
                return csvrec_error(cr, h->line, "column '%s' appears twice", f);
            t->res_col[r] = c;
            continue;
        }
        if (strtab_find(t->strs, f, len) != UINT32_MAX)
            return csvrec_error(cr, h->line, "column '%s' appears twice", f);
        t->key_col[t->n_keys] = c;
        PREF_TRY(strtab_intern(t->strs, f, len, &t->key_name[t->n_keys]));
        t->n_keys++;
    }
    static const int need[] = {PS_METRIC, PS_MEAN, PS_LO, PS_HI};
    for (size_t i = 0; i < sizeof need / sizeof *need; i++)
        if (t->res_col[need[i]] == SIZE_MAX)
            return csvrec_error(cr, h->line,
                                "no column '%s' (not a sweep's summary.csv: "
                                "it needs metric, mean, ci_low, ci_high)",
                                ps_reserved[need[i]]);
    return PREF_OK;
}

static int ps_grow(plotsweep_table *t)
{
    if (t->n_rows < t->cap) return PREF_OK;
    size_t cap = t->cap ? 2 * t->cap : 64;
    uint32_t *kv = realloc(t->kv, (cap * t->n_keys + 1) * sizeof *kv);
    if (kv) t->kv = kv;
    uint32_t *m = realloc(t->metric, cap * sizeof *m);
    if (m) t->metric = m;
    double *v = realloc(t->val, cap * 3 * sizeof *v);
    if (v) t->val = v;
    uint32_t *ms = realloc(t->metrics, cap * sizeof *ms);
    if (ms) t->metrics = ms;
    uint32_t *fm = realloc(t->file_metric, cap * sizeof *fm);
    if (fm) t->file_metric = fm;
    if (!kv || !m || !v || !ms || !fm) PREF_ERROR(PREF_ENOMEM, "out of memory");
    t->cap = cap;
    return PREF_OK;
}

/* A number of summary.csv: hetpref writes NaN/Inf for missing values, which
 * become NaN (a gap); anything else that is not a number is an error. */
static int ps_number(csvrec *cr, const csvrec_record *rec, size_t col,
                     double *out)
{
    size_t len;
    const char *f = csvrec_field(rec, col, &len);
    int r = numparse_double(f, len, out);
    if (r == -2) *out = NAN;
    if (r == -1)
        return csvrec_error(cr, rec->line, "column %zu: '%s' is not a number",
                            col + 1, f);
    return PREF_OK;
}

/* The file stem of metric y: y[0..128) with every character outside
 * [A-Za-z0-9_-] replaced by '_' ("metric" for an empty name). */
static void ps_stem(const char *y, char name[PS_STEM_MAX + 1])
{
    snprintf(name, PS_STEM_MAX + 1, "%s", y[0] ? y : "metric");
    for (char *c = name; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
              (*c >= '0' && *c <= '9') || *c == '_' || *c == '-'))
            *c = '_';
}

/* Metric m (a strs index) of the row at line: when new, it joins the
 * metrics, in order of first appearance, and must have a file stem of its
 * own (two metrics drawn into one file would lose a plot). Constant time
 * per row (amortised). */
static int ps_new_metric(plotsweep_table *t, csvrec *cr, size_t line, uint32_t m)
{
    if (m >= t->is_cap) {
        size_t cap = 2 * (size_t)m + 64;
        unsigned char *p = realloc(t->is_metric, cap);
        if (!p) PREF_ERROR(PREF_ENOMEM, "out of memory");
        memset(p + t->is_cap, 0, cap - t->is_cap);
        t->is_metric = p;
        t->is_cap = cap;
    }
    if (t->is_metric[m]) return PREF_OK;
    t->is_metric[m] = 1;
    char stem[PS_STEM_MAX + 1];
    ps_stem(strtab_get(t->strs, m), stem);
    size_t before = strtab_size(t->files);
    uint32_t f;
    PREF_TRY(strtab_intern(t->files, stem, strlen(stem), &f));
    if (strtab_size(t->files) == before)
        return csvrec_error(cr, line, "metric '%s' would be drawn into %s.gp, "
                            "the file of metric '%s' (rename one)",
                            strtab_get(t->strs, m), stem,
                            strtab_get(t->strs, t->file_metric[f]));
    t->file_metric[f] = m;
    t->metrics[t->n_metrics++] = m;
    return PREF_OK;
}

/* Names and values are C strings (compared, printed, used in file names):
 * a NUL byte inside a field would cut them silently. */
static int ps_no_nul(csvrec *cr, const csvrec_record *rec)
{
    for (size_t c = 0; c < rec->nf; c++) {
        size_t len;
        const char *f = csvrec_field(rec, c, &len);
        if (memchr(f, '\0', len))
            return csvrec_error(cr, rec->line, "field %zu holds a NUL byte", c + 1);
    }
    return PREF_OK;
}

static int ps_row(plotsweep_table *t, csvrec *cr, const csvrec_record *rec)
{
    if (rec->nf != t->n_cols)
        return csvrec_error(cr, rec->line, "%zu fields, the header has %zu",
                            rec->nf, t->n_cols);
    PREF_TRY(ps_no_nul(cr, rec));
    PREF_TRY(ps_grow(t));
    size_t i = t->n_rows, len;
    for (size_t j = 0; j < t->n_keys; j++) {
        const char *f = csvrec_field(rec, t->key_col[j], &len);
        PREF_TRY(strtab_intern(t->strs, f, len, &t->kv[i * t->n_keys + j]));
    }
    const char *m = csvrec_field(rec, t->res_col[PS_METRIC], &len);
    PREF_TRY(strtab_intern(t->strs, m, len, &t->metric[i]));
    PREF_TRY(ps_new_metric(t, cr, rec->line, t->metric[i]));
    static const int cols[3] = {PS_MEAN, PS_LO, PS_HI};
    for (size_t k = 0; k < 3; k++)
        PREF_TRY(ps_number(cr, rec, t->res_col[cols[k]], &t->val[3 * i + k]));
    t->n_rows++;
    return PREF_OK;
}

/* Numeric keys. */
static int ps_index(plotsweep_table *t)
{
    t->key_numeric = malloc((t->n_keys + 1) * sizeof *t->key_numeric);
    if (!t->key_numeric) PREF_ERROR(PREF_ENOMEM, "out of memory");
    for (size_t j = 0; j < t->n_keys; j++) {
        t->key_numeric[j] = 1;
        for (size_t i = 0; i < t->n_rows && t->key_numeric[j]; i++) {
            const char *v = strtab_get(t->strs, t->kv[i * t->n_keys + j]);
            double x;
            t->key_numeric[j] = numparse_double(v, strlen(v), &x) == 0;
        }
    }
    return PREF_OK;
}

static int ps_records(plotsweep_table *t, csvrec *cr, const char *path)
{
    const csvrec_record *rec;
    PREF_TRY(csvrec_next(cr, &rec));
    if (!rec) PREF_ERROR(PREF_EINPUT, "%s: empty file (no header)", path);
    PREF_TRY(ps_no_nul(cr, rec));
    PREF_TRY(ps_header(t, cr, rec));
    for (;;) {
        PREF_TRY(csvrec_next(cr, &rec));
        if (!rec) break;
        PREF_TRY(ps_row(t, cr, rec));
    }
    if (t->n_rows == 0) PREF_ERROR(PREF_EINPUT, "%s: no rows", path);
    return ps_index(t);
}

int plotsweep_read(const char *path, plotsweep_table **out)
{
    *out = NULL;
    FILE *f;
    PREF_TRY(fsutil_open_input(path, &f));
    int st = PREF_OK;
    plotsweep_table *t = calloc(1, sizeof *t);
    if (t) t->strs = strtab_alloc();
    if (t) t->files = strtab_alloc();
    if (!t || !t->strs || !t->files)
        st = pref_set_error(PREF_ENOMEM, "out of memory");
    csvrec *cr = NULL;
    if (!st) cr = csvrec_alloc(f, path, 0, ',', &st);
    if (!st) st = ps_records(t, cr, path);
    csvrec_free(cr);
    fclose(f);
    if (st) {
        plotsweep_table_free(t);
        return st;
    }
    *out = t;
    return PREF_OK;
}

void plotsweep_opts_init(plotsweep_opts *o)
{
    o->y = o->x = o->by = NULL;
    o->logx = o->logy = 0;
}

static size_t ps_find_key(const plotsweep_table *t, const char *name)
{
    for (size_t j = 0; j < t->n_keys; j++)
        if (strcmp(plotsweep_key(t, j), name) == 0) return j;
    return SIZE_MAX;
}

/* "a, b, c" of the metrics (keys = 0) or keys (keys = 1) into buf. */
static const char *ps_names(const plotsweep_table *t, int keys, char *buf,
                            size_t n)
{
    size_t m = keys ? t->n_keys : t->n_metrics, at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < m && at < n; i++)
        at += (size_t)snprintf(buf + at, n - at, "%s%s", i ? ", " : "",
                               keys ? plotsweep_key(t, i) : plotsweep_metric(t, i));
    return m ? buf : "(none)";
}

static int ps_resolve_key(const plotsweep_table *t, const char *flag,
                          const char *name, size_t *j)
{
    char buf[1024];
    *j = ps_find_key(t, name);
    if (*j == SIZE_MAX)
        PREF_ERROR(PREF_EINPUT, "%s %s: not a swept key of summary.csv (its keys: %s)",
                   flag, name, ps_names(t, 1, buf, sizeof buf));
    return PREF_OK;
}

/* --logx needs a numeric key whose values are all > 0. */
static int ps_check_logx(const plotsweep_table *t, size_t jx)
{
    const char *name = plotsweep_key(t, jx);
    if (!t->key_numeric[jx])
        PREF_ERROR(PREF_EINPUT, "--logx: swept key %s is not numeric", name);
    for (size_t i = 0; i < t->n_rows; i++) {
        const char *v = strtab_get(t->strs, t->kv[i * t->n_keys + jx]);
        double x = 0;
        numparse_double(v, strlen(v), &x);
        if (!(x > 0))
            PREF_ERROR(PREF_EINPUT, "--logx: swept key %s has the value %s "
                       "(a log scale needs values > 0)", name, v);
    }
    return PREF_OK;
}

int plotsweep_resolve(const plotsweep_table *t, plotsweep_opts *o)
{
    char buf[1024];
    if (o->y) {
        size_t k = 0;
        while (k < t->n_metrics && strcmp(plotsweep_metric(t, k), o->y) != 0) k++;
        if (k == t->n_metrics)
            PREF_ERROR(PREF_EINPUT, "--y %s: no such metric in summary.csv "
                       "(metrics there: %s)", o->y, ps_names(t, 0, buf, sizeof buf));
    }
    if (t->n_keys == 0)
        PREF_ERROR(PREF_EINPUT, "summary.csv has no swept key to plot against");
    size_t jx = 0, jb;
    if (o->x) {
        PREF_TRY(ps_resolve_key(t, "--x", o->x, &jx));
    } else {
        while (jx < t->n_keys && !t->key_numeric[jx]) jx++;
        if (jx == t->n_keys) jx = 0;
    }
    o->x = plotsweep_key(t, jx);
    if (o->by) {
        PREF_TRY(ps_resolve_key(t, "--by", o->by, &jb));
        if (jb == jx)
            PREF_ERROR(PREF_EINPUT, "--by %s: the same key as --x", o->by);
    } else {
        jb = jx == 0 ? 1 : 0;
        o->by = jb < t->n_keys ? plotsweep_key(t, jb) : NULL;
    }
    if (o->logx) PREF_TRY(ps_check_logx(t, jx));
    return PREF_OK;
}

/* The rows of one metric, grouped into series and placed on the x axis. */
typedef struct ps_draw {
    const plotsweep_table *t;
    size_t jx, *sk, n_sk;  /* x key; series keys (by first) */
    size_t *rows, n;       /* rows of the metric */
    size_t *series, n_series, *first; /* series of each row; its first row */
    uint32_t *xcat;        /* category x: distinct values, in order */
    size_t n_xcat;
    double *x;             /* (n) x position of each row */
} ps_draw;

static void ps_draw_free(ps_draw *d)
{
    free(d->sk);
    free(d->rows);
    free(d->series);
    free(d->first);
    free(d->xcat);
    free(d->x);
}

static uint32_t ps_kv(const ps_draw *d, size_t row, size_t j)
{
    return d->t->kv[row * d->t->n_keys + j];
}

/* Series keys: by first, then every other key (not x) that varies among
 * the rows, with a warning for those, since they were not asked for. */
static void ps_series_keys(ps_draw *d, const plotsweep_opts *o, const char *y)
{
    size_t jb = o->by ? ps_find_key(d->t, o->by) : SIZE_MAX;
    if (jb != SIZE_MAX) d->sk[d->n_sk++] = jb;
    for (size_t j = 0; j < d->t->n_keys; j++) {
        if (j == d->jx || j == jb) continue;
        size_t i = 1;
        while (i < d->n && ps_kv(d, d->rows[i], j) == ps_kv(d, d->rows[0], j)) i++;
        if (i == d->n) continue;
        d->sk[d->n_sk++] = j;
        fprintf(stderr, "hetpref: warning: plot %s: swept key %s varies too "
                "(neither --x nor --by): one series per combination\n", y,
                plotsweep_key(d->t, j));
    }
}

static int ps_same_series(const ps_draw *d, size_t r1, size_t r2)
{
    for (size_t s = 0; s < d->n_sk; s++)
        if (ps_kv(d, r1, d->sk[s]) != ps_kv(d, r2, d->sk[s])) return 0;
    return 1;
}

/* Series of each row, and its x position. */
static void ps_assign(ps_draw *d)
{
    for (size_t i = 0; i < d->n; i++) {
        size_t r = d->rows[i], s = 0;
        while (s < d->n_series && !ps_same_series(d, d->first[s], r)) s++;
        if (s == d->n_series) d->first[d->n_series++] = r;
        d->series[i] = s;
        uint32_t v = ps_kv(d, r, d->jx);
        if (d->t->key_numeric[d->jx]) {
            const char *txt = strtab_get(d->t->strs, v);
            numparse_double(txt, strlen(txt), &d->x[i]);
            continue;
        }
        size_t c = 0;
        while (c < d->n_xcat && d->xcat[c] != v) c++;
        if (c == d->n_xcat) d->xcat[d->n_xcat++] = v;
        d->x[i] = (double)c;
    }
}

static int ps_draw_alloc(ps_draw *d, const plotsweep_table *t, uint32_t ym)
{
    memset(d, 0, sizeof *d);
    d->t = t;
    size_t m = t->n_rows + 1;
    d->sk = malloc((t->n_keys + 1) * sizeof *d->sk);
    d->rows = malloc(m * sizeof *d->rows);
    d->series = malloc(m * sizeof *d->series);
    d->first = malloc(m * sizeof *d->first);
    d->xcat = malloc(m * sizeof *d->xcat);
    d->x = malloc(m * sizeof *d->x);
    if (!d->sk || !d->rows || !d->series || !d->first || !d->xcat || !d->x)
        PREF_ERROR(PREF_ENOMEM, "out of memory");
    for (size_t i = 0; i < t->n_rows; i++)
        if (t->metric[i] == ym) d->rows[d->n++] = i;
    return PREF_OK;
}

/* Write series k as arrays sK_x, sK_y, sK_lo, sK_hi (sorted by x);
 * buf holds 4 * d->n doubles. *n_pts receives the point count, *n_nan the
 * points without a finite mean, *n_nonpos those with a mean <= 0. */
static int ps_emit_series(plot_script *s, const ps_draw *d, size_t k,
                          double *buf, size_t *n_pts, size_t *n_nan,
                          size_t *n_nonpos)
{
    double *x = buf, *y = buf + d->n, *lo = buf + 2 * d->n, *hi = buf + 3 * d->n;
    size_t m = 0;
    for (size_t i = 0; i < d->n; i++) {
        if (d->series[i] != k) continue;
        const double *v = &d->t->val[3 * d->rows[i]];
        size_t at = m++;
        while (at > 0 && x[at - 1] > d->x[i]) { /* insertion sort by x */
            x[at] = x[at - 1];
            y[at] = y[at - 1];
            lo[at] = lo[at - 1];
            hi[at] = hi[at - 1];
            at--;
        }
        x[at] = d->x[i];
        y[at] = v[0];
        lo[at] = v[1];
        hi[at] = v[2];
        if (isnan(v[0])) (*n_nan)++;
        else if (!(v[0] > 0)) (*n_nonpos)++;
    }
    static const char *const suffix[] = {"x", "y", "lo", "hi"};
    const double *arr[] = {x, y, lo, hi};
    char name[64];
    for (size_t a = 0; a < 4; a++) {
        snprintf(name, sizeof name, "s%zu_%s", k + 1, suffix[a]);
        PREF_TRY(plot_array(s, name, arr[a], m));
    }
    *n_pts = m;
    return PREF_OK;
}

/* "key=value, key=value" of series k, into buf. */
static const char *ps_series_title(const ps_draw *d, size_t k, char *buf,
                                   size_t n)
{
    size_t at = 0;
    buf[0] = '\0';
    for (size_t s = 0; s < d->n_sk && at < n; s++)
        at += (size_t)snprintf(buf + at, n - at, "%s%s=%s", s ? ", " : "",
                               plotsweep_key(d->t, d->sk[s]),
                               strtab_get(d->t->strs, ps_kv(d, d->first[k], d->sk[s])));
    return buf;
}

/* Axes, labels and the category tics. */
static int ps_axes(plot_script *s, const ps_draw *d, const plotsweep_opts *o,
                   const char *y)
{
    char title[512];
    snprintf(title, sizeof title, "%s: mean and 95%% t interval over replicates",
             y);
    PREF_TRY(plot_printf(s, "set title "));
    PREF_TRY(plot_quoted(s, title));
    PREF_TRY(plot_printf(s, "\nset xlabel "));
    PREF_TRY(plot_quoted(s, plotsweep_key(d->t, d->jx)));
    PREF_TRY(plot_printf(s, "\nset ylabel "));
    PREF_TRY(plot_quoted(s, y));
    PREF_TRY(plot_printf(s, "\nset key outside right top\n%s%s",
                         o->logx ? "set logscale x\n" : "",
                         o->logy ? "set logscale y\n" : ""));
    if (d->n_xcat == 0) return plot_printf(s, "set offsets graph 0.03, graph 0.03, 0, 0\n");
    PREF_TRY(plot_printf(s, "set xrange [-0.5:%g]\nset xtics (", d->n_xcat - 0.5));
    for (size_t c = 0; c < d->n_xcat; c++) {
        if (c) PREF_TRY(plot_printf(s, ", "));
        PREF_TRY(plot_quoted(s, strtab_get(d->t->strs, d->xcat[c])));
        PREF_TRY(plot_printf(s, " %zu", c));
    }
    return plot_printf(s, ")\n");
}

static int ps_body(plot_script *s, const ps_draw *d, const plotsweep_opts *o,
                   const char *y)
{
    double *buf = malloc((4 * d->n + 1) * sizeof *buf);
    if (!buf) PREF_ERROR(PREF_ENOMEM, "out of memory");
    size_t n_nan = 0, n_nonpos = 0, *npts = malloc((d->n_series + 1) * sizeof *npts);
    int st = npts ? ps_axes(s, d, o, y) : pref_set_error(PREF_ENOMEM, "out of memory");
    for (size_t k = 0; !st && k < d->n_series; k++)
        st = ps_emit_series(s, d, k, buf, &npts[k], &n_nan, &n_nonpos);
    if (!st) st = plot_printf(s, "plot \\\n");
    char title[1024];
    for (size_t k = 0; !st && k < d->n_series; k++) {
        /* "sample" only before the first range: later ones are plain. */
        st = plot_printf(s, "  %s[i=1:%zu:1] '+' using (s%zu_x[i]):(s%zu_y[i])"
                         ":(s%zu_lo[i]):(s%zu_hi[i]) with yerrorlines lt %zu title ",
                         k ? "" : "sample ", npts[k], k + 1, k + 1, k + 1, k + 1,
                         k + 1);
        if (!st) st = plot_quoted(s, d->n_sk ? ps_series_title(d, k, title, sizeof title) : y);
        if (!st) st = plot_printf(s, "%s\n", k + 1 < d->n_series ? ", \\" : "");
    }
    free(buf);
    free(npts);
    if (!st && n_nan)
        fprintf(stderr, "hetpref: warning: plot %s: %zu of %zu points have no "
                "finite mean and are not drawn\n", y, n_nan, d->n);
    if (!st && o->logy && n_nonpos)
        fprintf(stderr, "hetpref: warning: plot %s: %zu of %zu means are <= 0 "
                "and are not drawn on --logy\n", y, n_nonpos, d->n);
    return st;
}

int plotsweep_draw(const plotsweep_table *t, const plotsweep_opts *o,
                   const char *y, const char *dir, int *rendered)
{
    if (rendered) *rendered = 0;
    uint32_t ym = strtab_find(t->strs, y, strlen(y));
    size_t jx = o->x ? ps_find_key(t, o->x) : SIZE_MAX;
    if (ym == UINT32_MAX || jx == SIZE_MAX)
        PREF_ERROR(PREF_EINTERNAL, "plotsweep_draw: options not resolved");
    char name[PS_STEM_MAX + 1];
    ps_stem(y, name);
    ps_draw d;
    int st = ps_draw_alloc(&d, t, ym);
    d.jx = jx;
    plot_script *s = NULL;
    if (!st) {
        ps_series_keys(&d, o, y);
        ps_assign(&d);
        s = plot_script_alloc(name, 900, 560);
        if (!s) st = PREF_ENOMEM; /* the name is valid by construction */
    }
    if (!st) st = ps_body(s, &d, o, y);
    if (!st) st = plot_render(s, dir, rendered);
    plot_script_free(s);
    ps_draw_free(&d);
    return st;
}
