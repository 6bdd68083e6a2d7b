/* truthio.c — truth.csv writer and reader (see truthio.h). */
#include "truthio.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvrec.h"
#include "err.h"
#include "fsutil.h"

int truthio_write(const sim_population *p, const char *path)
{
    fsutil_file o;
    PREF_TRY(fsutil_open(&o, path));
    FILE *f = o.f;
    fprintf(f, "type,weight");
    for (size_t j = 0; j < p->d; j++) fprintf(f, ",theta%zu", j + 1);
    fputc('\n', f);
    if (p->K == 0) {
        fprintf(f, "mean,1");
        for (size_t j = 0; j < p->d; j++) fprintf(f, ",%.17g", p->mean[j]);
        fputc('\n', f);
    }
    for (size_t k = 0; k < p->K; k++) {
        fprintf(f, "%zu,%.17g", k + 1, p->eta[k]);
        for (size_t j = 0; j < p->d; j++)
            fprintf(f, ",%.17g", p->theta[k * p->d + j]);
        fputc('\n', f);
    }
    return fsutil_commit(&o);
}

typedef struct truth_rd {
    csvrec *cr;
    size_t d, K, cap;
    double *eta, *theta;
} truth_rd;

/* The field count every record must have. */
static int tr_count(const truth_rd *t, const csvrec_record *rec)
{
    if (rec->nf == t->d + 2) return PREF_OK;
    return csvrec_error(t->cr, rec->line, "%zu fields, expected %zu "
                        "(type,weight,theta1..theta%zu)", rec->nf, t->d + 2,
                        t->d);
}

/* Header: type,weight,theta1,theta2,... (checked column by column). */
static int tr_header(const truth_rd *t, const csvrec_record *rec)
{
    for (size_t f = 0; f < rec->nf; f++) {
        char want[32];
        const char *s = csvrec_field(rec, f, NULL);
        if (f == 0) snprintf(want, sizeof want, "type");
        else if (f == 1) snprintf(want, sizeof want, "weight");
        else snprintf(want, sizeof want, "theta%zu", f - 1);
        if (strcmp(s, want) != 0)
            return csvrec_error(t->cr, rec->line, "column %zu is '%s', "
                                "expected '%s'", f + 1, s, want);
    }
    return tr_count(t, rec);
}

/* A type row: weight then theta (the type name is not interpreted). */
static int tr_row(truth_rd *t, const csvrec_record *rec)
{
    if (t->K == t->cap) {
        size_t nc = t->cap ? 2 * t->cap : 8;
        double *e = realloc(t->eta, nc * sizeof(double));
        if (e) t->eta = e;
        double *th = realloc(t->theta, nc * t->d * sizeof(double));
        if (th) t->theta = th;
        if (!e || !th) PREF_ERROR(PREF_ENOMEM, "out of memory");
        t->cap = nc;
    }
    for (size_t f = 1; f < rec->nf && f <= t->d + 1; f++) {
        const char *s = csvrec_field(rec, f, NULL);
        char *e;
        double v = strtod(s, &e);
        if (e == s || *e || !isfinite(v))
            return csvrec_error(t->cr, rec->line, "column %zu: not a finite "
                                "number: '%s'", f + 1, s);
        if (f == 1) t->eta[t->K] = v;
        else t->theta[t->K * t->d + f - 2] = v;
    }
    PREF_TRY(tr_count(t, rec));
    t->K++;
    return PREF_OK;
}

/* All records of the file. */
static int tr_records(truth_rd *t)
{
    const csvrec_record *rec;
    int st, header = 1;
    while (!(st = csvrec_next(t->cr, &rec)) && rec) {
        st = header ? tr_header(t, rec) : tr_row(t, rec);
        if (st) return st;
        header = 0;
    }
    if (st) return st;
    if (t->K == 0) PREF_ERROR(PREF_EINPUT, "%s: no types", csvrec_name(t->cr));
    double s = 0;
    for (size_t k = 0; k < t->K; k++) s += t->eta[k];
    if (fabs(s - 1.0) > 1e-6)
        PREF_ERROR(PREF_EINPUT, "%s: weights sum to %g, not 1",
                   csvrec_name(t->cr), s);
    return PREF_OK;
}

int truthio_read(const char *path, size_t d, size_t *K, double **eta,
                 double **theta)
{
    *eta = *theta = NULL;
    *K = 0;
    FILE *f = fopen(path, "rb");
    if (!f) PREF_ERROR(PREF_EIO, "%s: cannot open", path);
    truth_rd t = {.d = d};
    int st;
    t.cr = csvrec_alloc(f, path, 0, ',', &st);
    if (!st) st = tr_records(&t);
    csvrec_free(t.cr);
    fclose(f);
    if (st) {
        free(t.eta);
        free(t.theta);
        return st;
    }
    *K = t.K;
    *eta = t.eta;
    *theta = t.theta;
    return PREF_OK;
}
