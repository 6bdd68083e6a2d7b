/* truthio.c — truth.csv writer and reader (see truthio.h). */
#include "truthio.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvrec.h"
#include "err.h"
#include "numparse.h"
#include "fsutil.h"

/* The kind column of p, and whether its coefficients are written. */
static const char *kind_of(const sim_population *p, int *has_theta)
{
    *has_theta = p->K == 0 || p->reward == SIM_LINEAR;
    if (p->K == 0) return "gaussian";
    if (p->reward == SIM_TRAITS) return "traits";
    if (p->reward == SIM_TEACHER) return "teacher";
    return "linear";
}

int truthio_write(const sim_population *p, const char *path)
{
    int has_theta;
    const char *kind = kind_of(p, &has_theta);
    size_t d = has_theta ? p->d : 0;
    fsutil_file o;
    PREF_TRY(fsutil_open(&o, path));
    FILE *f = o.f;
    fprintf(f, "type,kind,weight");
    for (size_t j = 0; j < d; j++) fprintf(f, ",theta%zu", j + 1);
    fputc('\n', f);
    if (p->K == 0) {
        fprintf(f, "mean,%s,1", kind);
        for (size_t j = 0; j < d; j++) fprintf(f, ",%.17g", p->mean[j]);
        fputc('\n', f);
    }
    for (size_t k = 0; k < p->K; k++) {
        fprintf(f, "%zu,%s,%.17g", k + 1, kind, p->eta[k]);
        for (size_t j = 0; j < d; j++)
            fprintf(f, ",%.17g", p->theta[k * p->d + j]);
        fputc('\n', f);
    }
    return fsutil_commit(&o);
}

void truthio_truth_free(truthio_truth *t)
{
    if (!t) return;
    free(t->eta);
    free(t->theta);
    free(t);
}

typedef struct truth_rd {
    csvrec *cr;
    truthio_truth *t;
    size_t cap;
} truth_rd;

/* Header: type,kind,weight,theta1,theta2,... (checked column by column);
 * sets t->d. */
static int tr_header(truth_rd *r, const csvrec_record *rec)
{
    static const char *const first[] = {"type", "kind", "weight"};
    for (size_t f = 0; f < rec->nf; f++) {
        char want[32];
        const char *s = csvrec_field(rec, f, NULL);
        if (f < 3) snprintf(want, sizeof want, "%s", first[f]);
        else snprintf(want, sizeof want, "theta%zu", f - 2);
        if (strcmp(s, want) != 0)
            return csvrec_error(r->cr, rec->line, "column %zu is '%s', "
                                "expected '%s' (header type,kind,weight"
                                "[,theta1..thetad])", f + 1, s, want);
    }
    if (rec->nf < 3)
        return csvrec_error(r->cr, rec->line, "%zu columns, expected at least "
                            "type,kind,weight", rec->nf);
    r->t->d = rec->nf - 3;
    return PREF_OK;
}

/* The kind of a row: known, the same on every row, with theta columns
 * exactly when it is linear or gaussian. */
static int tr_kind(truth_rd *r, const csvrec_record *rec)
{
    truthio_truth *t = r->t;
    const char *s = csvrec_field(rec, 1, NULL);
    int lin = !strcmp(s, "linear") || !strcmp(s, "gaussian");
    if (!lin && strcmp(s, "traits") && strcmp(s, "teacher"))
        return csvrec_error(r->cr, rec->line, "kind '%s': expected linear, "
                            "gaussian, traits or teacher", s);
    if (t->K > 0 && strcmp(s, t->kind))
        return csvrec_error(r->cr, rec->line, "kind '%s' after '%s': every "
                            "type of a population has the same kind", s, t->kind);
    if (lin != (t->d > 0))
        return csvrec_error(r->cr, rec->line, "kind '%s' %s theta columns", s,
                            lin ? "needs" : "has no linear coefficients: no");
    snprintf(t->kind, sizeof t->kind, "%s", s);
    return PREF_OK;
}

/* A type row: kind, weight then theta (the type name is not interpreted). */
static int tr_row(truth_rd *r, const csvrec_record *rec)
{
    truthio_truth *t = r->t;
    if (rec->nf != t->d + 3)
        return csvrec_error(r->cr, rec->line, "%zu fields, expected %zu (as "
                            "the header)", rec->nf, t->d + 3);
    PREF_TRY(tr_kind(r, rec));
    if (t->K == r->cap) {
        size_t nc = r->cap ? 2 * r->cap : 8;
        double *e = realloc(t->eta, nc * sizeof(double));
        if (e) t->eta = e;
        double *th = realloc(t->theta, nc * (t->d ? t->d : 1) * sizeof(double));
        if (th) t->theta = th;
        if (!e || !th) PREF_ERROR(PREF_ENOMEM, "out of memory");
        r->cap = nc;
    }
    for (size_t f = 2; f < rec->nf; f++) {
        size_t len;
        const char *s = csvrec_field(rec, f, &len);
        double v;
        if (numparse_double(s, len, &v) != 0)
            return csvrec_error(r->cr, rec->line, "column %zu: not a finite "
                                "number: '%s'", f + 1, s);
        if (f == 2 && !(v >= 0.0 && v <= 1.0))
            return csvrec_error(r->cr, rec->line, "column 3 (weight): %s is not "
                                "in [0, 1]", s);
        if (f == 2) t->eta[t->K] = v;
        else t->theta[t->K * t->d + f - 3] = v;
    }
    t->K++;
    return PREF_OK;
}

/* All records of the file. */
static int tr_records(truth_rd *r)
{
    const csvrec_record *rec;
    int st, header = 1;
    size_t last = 1;
    while (!(st = csvrec_next(r->cr, &rec)) && rec) {
        st = header ? tr_header(r, rec) : tr_row(r, rec);
        if (st) return st;
        header = 0;
        last = rec->line;
    }
    if (st) return st;
    if (r->t->K == 0)
        return csvrec_error(r->cr, last, "no types (a header and one row per "
                            "type expected)");
    double s = 0;
    for (size_t k = 0; k < r->t->K; k++) s += r->t->eta[k];
    if (fabs(s - 1.0) > TRUTHIO_WEIGHT_TOL)
        return csvrec_error(r->cr, last, "weights sum to %.17g, not 1 (within "
                            "%g)", s, TRUTHIO_WEIGHT_TOL);
    return PREF_OK;
}

int truthio_read(const char *path, truthio_truth **out)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) PREF_ERROR(PREF_EIO, "%s: cannot open", path);
    truth_rd r = {.t = calloc(1, sizeof(truthio_truth))};
    int st = r.t ? PREF_OK : pref_set_error(PREF_ENOMEM, "out of memory");
    if (!st) r.cr = csvrec_alloc(f, path, 0, ',', &st);
    if (!st) st = tr_records(&r);
    csvrec_free(r.cr);
    fclose(f);
    if (st) {
        truthio_truth_free(r.t);
        return st;
    }
    if (r.t->d == 0) {
        free(r.t->theta);
        r.t->theta = NULL;
    }
    *out = r.t;
    return PREF_OK;
}

const char *truthio_comparable(const truthio_truth *t, size_t d, char *buf,
                               size_t n)
{
    if (!strcmp(t->kind, "traits") || !strcmp(t->kind, "teacher"))
        snprintf(buf, n, "its population has nonlinear (%s) rewards, with no "
                 "linear coefficients to compare a latent-class fit with",
                 t->kind);
    else if (!strcmp(t->kind, "gaussian"))
        snprintf(buf, n, "its population is gaussian (continuous): its mean "
                 "is not a mixture of point masses to compare with");
    else if (t->d != d)
        snprintf(buf, n, "it has %zu coefficients per type but the data have "
                 "%zu features", t->d, d);
    else
        return NULL;
    return buf;
}
