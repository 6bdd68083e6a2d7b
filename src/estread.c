/* estread.c — reader of estimates.csv (see estread.h). */
#include "estread.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvrec.h"
#include "err.h"
#include "fitout.h"
#include "numparse.h"

static const char *const est_header[] = {"type", "parameter", "estimate", "se",
                                         "z", "p", "ci_low", "ci_high"};
#define EST_NF (sizeof est_header / sizeof est_header[0])

typedef struct est_rd {
    csvrec *cr;
    estread_estimates *e;
    size_t n_rows, cap;  /* rows read, rows allocated */
    size_t *line;        /* (cap) the line of each row, for messages */
    size_t type, j;      /* the current type (1-based) and its rows so far */
} est_rd;

void estread_free(estread_estimates *e)
{
    if (!e) return;
    free(e->weight);
    free(e->theta);
    free(e->row);
    strtab_free(e->names);
    free(e);
}

static int est_check_header(est_rd *r, const csvrec_record *rec)
{
    /* hetpref fit wrote a row per type (type,weight,theta1,..,se_weight,..)
     * before the long form; nothing writes it now, and nothing reads it. */
    if (rec->nf >= 2 && !strcmp(csvrec_field(rec, 0, NULL), "type") &&
        !strcmp(csvrec_field(rec, 1, NULL), "weight"))
        return csvrec_error(r->cr, rec->line, "column 2 is 'weight', expected "
                            "'parameter': this is the wide form (a row per "
                            "type) of an older hetpref fit, which is no longer "
                            "read; fit again to get type,parameter,estimate,se,"
                            "z,p,ci_low,ci_high");
    for (size_t f = 0; f < EST_NF; f++) {
        const char *s = f < rec->nf ? csvrec_field(rec, f, NULL) : "(missing)";
        if (strcmp(s, est_header[f]))
            return csvrec_error(r->cr, rec->line, "column %zu is '%s', expected "
                                "'%s' (header type,parameter,estimate,se,z,p,"
                                "ci_low,ci_high)", f + 1, s, est_header[f]);
    }
    if (rec->nf != EST_NF)
        return csvrec_error(r->cr, rec->line, "%zu columns, expected 8", rec->nf);
    return PREF_OK;
}

/* weight and theta out of the rows; the weights must be > 0 and sum to 1. */
static int est_split(est_rd *r, size_t last)
{
    estread_estimates *e = r->e;
    size_t K = e->K = r->type, d = e->d;
    e->weight = malloc(K * sizeof(double));
    e->theta = malloc(K * d * sizeof(double));
    if (!e->weight || !e->theta) PREF_ERROR(PREF_ENOMEM, "out of memory");
    double sum = 0.0;
    for (size_t k = 0; k < K; k++) {
        const double *w = e->row + k * (d + 1) * ESTREAD_NCOL;
        if (!(w[ESTREAD_EST] > 0.0))
            return csvrec_error(r->cr, r->line[k * (d + 1)], "the weight of type %zu is %.17g, not > 0",
                                k + 1, w[ESTREAD_EST]);
        e->weight[k] = w[ESTREAD_EST];
        sum += w[ESTREAD_EST];
        for (size_t j = 0; j < d; j++)
            e->theta[k * d + j] = w[(j + 1) * ESTREAD_NCOL + ESTREAD_EST];
    }
    if (fabs(sum - 1.0) > ESTREAD_WEIGHT_TOL)
        return csvrec_error(r->cr, last, "weights sum to %.17g, not 1 (within %g)",
                            sum, ESTREAD_WEIGHT_TOL);
    return PREF_OK;
}

/* The numbers of a row into r->e->row. */
static int est_numbers(est_rd *r, const csvrec_record *rec)
{
    if (r->n_rows == r->cap) {
        size_t nc = r->cap ? 2 * r->cap : 16;
        double *p = realloc(r->e->row, nc * ESTREAD_NCOL * sizeof(double));
        if (p) r->e->row = p;
        size_t *l = realloc(r->line, nc * sizeof *l);
        if (l) r->line = l;
        if (!p || !l) PREF_ERROR(PREF_ENOMEM, "out of memory");
        r->cap = nc;
    }
    r->line[r->n_rows] = rec->line;
    double *v = r->e->row + r->n_rows * ESTREAD_NCOL;
    for (size_t c = 0; c < ESTREAD_NCOL; c++) {
        size_t len;
        const char *s = csvrec_field(rec, c + 2, &len);
        /* "NaN" is how fitout writes what is not estimable (csvio_put_num) */
        int nan = c != ESTREAD_EST && !strcmp(s, "NaN");
        int rc = nan ? 0 : numparse_double(s, len, &v[c]);
        if (nan) v[c] = NAN;
        if (rc)
            return csvrec_error(r->cr, rec->line, "%s: '%s' is not a%s number",
                                est_header[c + 2], s, c == ESTREAD_EST ? " finite" : "");
    }
    r->n_rows++;
    return PREF_OK;
}

/* The end of type r->type (before the next weight row or at the end of
 * the file, line): it must have type 1's number of coefficients. */
static int est_end_type(est_rd *r, size_t line)
{
    if (r->type > 1 && r->j != r->e->d + 1)
        return csvrec_error(r->cr, line, "type %zu has %zu coefficients, type 1 "
                            "has %zu", r->type, r->j - 1, r->e->d);
    return PREF_OK;
}

/* A theta[NAME] row: type 1 collects the names (which fix d); every later
 * type must repeat them in order. */
static int est_theta(est_rd *r, const csvrec_record *rec, const char *par)
{
    estread_estimates *e = r->e;
    size_t len = strlen(par);
    if (strncmp(par, "theta[", 6) || len < 8 || par[len - 1] != ']')
        return csvrec_error(r->cr, rec->line, "parameter: '%s', expected "
                            "'weight' or 'theta[NAME]'", par);
    const char *nm = par + 6;
    size_t n = len - 7;
    if (r->type == 1) {
        uint32_t idx;
        if (strtab_find(e->names, nm, n) != UINT32_MAX)
            return csvrec_error(r->cr, rec->line, "parameter: '%s' repeated", par);
        PREF_TRY(strtab_intern(e->names, nm, n, &idx));
        e->d++;
        return PREF_OK;
    }
    const char *want = r->j - 1 < e->d ? strtab_get(e->names, (uint32_t)(r->j - 1))
                                       : NULL;
    if (!want || strlen(want) != n || memcmp(want, nm, n))
        return csvrec_error(r->cr, rec->line, "parameter: '%s', expected '%s%s%s' "
                            "(every type lists type 1's features in order)", par,
                            want ? "theta[" : "weight", want ? want : "",
                            want ? "]" : "");
    return PREF_OK;
}

/* The type and parameter of a row: types 1, 2, ... in order, each starting
 * with its "weight" row. */
static int est_label(est_rd *r, const csvrec_record *rec)
{
    size_t tl, pl;
    const char *t = csvrec_field(rec, 0, &tl), *par = csvrec_field(rec, 1, &pl);
    if (strlen(t) != tl || strlen(par) != pl) /* compared as C strings below */
        return csvrec_error(r->cr, rec->line, "%s holds a NUL byte",
                            strlen(t) != tl ? "type" : "parameter");
    int weight = !strcmp(par, "weight");
    if (weight) {
        PREF_TRY(est_end_type(r, rec->line));
        r->type++;
        r->j = 0;
    }
    char want[32];
    snprintf(want, sizeof want, "%zu", r->type ? r->type : 1);
    if (r->type == 0)
        return csvrec_error(r->cr, rec->line, "parameter: '%s', expected 'weight' "
                            "(each type starts with its weight row)", par);
    if (strcmp(t, want))
        return csvrec_error(r->cr, rec->line, "type: '%s', expected '%s' (types "
                            "1..K in order)", t, want);
    if (!weight) PREF_TRY(est_theta(r, rec, par));
    r->j++;
    return PREF_OK;
}

/* All records; then the weights and coefficients split out of the rows. */
static int est_records(est_rd *r)
{
    const csvrec_record *rec;
    int st, header = 1;
    size_t last = 1;
    while (!(st = csvrec_next(r->cr, &rec)) && rec) {
        if (header) st = est_check_header(r, rec);
        else if (rec->nf != EST_NF)
            st = csvrec_error(r->cr, rec->line, "%zu fields, expected 8 (as the "
                              "header)", rec->nf);
        else if (!(st = est_label(r, rec)))
            st = est_numbers(r, rec);
        if (st) return st;
        header = 0;
        last = rec->line;
    }
    if (st) return st;
    if (header || r->type == 0)
        return csvrec_error(r->cr, last, "no estimates (a header and, per type, a "
                            "weight row and a theta[NAME] row per feature expected)");
    PREF_TRY(est_end_type(r, last));
    if (r->e->d == 0)
        return csvrec_error(r->cr, last, "no theta[NAME] rows: no features");
    return est_split(r, last);
}

/* The estimates must be of ds's features: the same d and names. The
 * messages name type 1's theta row where the two first differ. */
static int est_match(const est_rd *r, const data_set *ds)
{
    const estread_estimates *e = r->e;
    char buf[FITOUT_NAME_MAX];
    if (e->d != ds->d) {
        const char *first = data_feature_name(ds, 0, buf, sizeof buf);
        size_t row = e->d > ds->d ? ds->d + 1 : e->d;
        return csvrec_error(r->cr, r->line[row], "the estimates have %zu features "
                            "(theta[%s], ...) but the data have %zu (%s, ...): "
                            "estimates of another data set", e->d,
                            strtab_get(e->names, 0), ds->d, first);
    }
    for (size_t k = 0; k < e->d; k++) {
        const char *want = data_feature_name(ds, k, buf, sizeof buf);
        const char *have = strtab_get(e->names, (uint32_t)k);
        if (strcmp(want, have))
            return csvrec_error(r->cr, r->line[k + 1], "feature %zu of the "
                                "estimates is '%s' but the data's is '%s': "
                                "estimates of another data set (or columns in "
                                "another order)", k + 1, have, want);
    }
    return PREF_OK;
}

int estread_read(const char *path, const data_set *ds, estread_estimates **out)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        PREF_ERROR(PREF_EINPUT, "%s: cannot open the estimates file: %s", path,
                   strerror(errno));
    est_rd r = {.e = calloc(1, sizeof(estread_estimates))};
    int st = r.e ? PREF_OK : pref_set_error(PREF_ENOMEM, "out of memory");
    if (!st && !(r.e->names = strtab_alloc()))
        st = pref_set_error(PREF_ENOMEM, "out of memory");
    if (!st) r.cr = csvrec_alloc(f, path, 0, ',', &st);
    if (!st) st = est_records(&r);
    if (!st && ds) st = est_match(&r, ds);
    csvrec_free(r.cr);
    free(r.line);
    fclose(f);
    if (st) {
        estread_free(r.e);
        return st;
    }
    *out = r.e;
    return PREF_OK;
}
