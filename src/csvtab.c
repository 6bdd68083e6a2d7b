/* csvtab.c — a small CSV table read whole (see csvtab.h). */
#include "csvtab.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvrec.h"
#include "err.h"
#include "numparse.h"
#include "strtab.h"

struct csvtab {
    const char *path;
    size_t nf, n_rows, cap;  /* n_rows counts the header (row 0) */
    uint32_t *cell;          /* (cap, nf) into s */
    size_t *line;            /* (cap) */
    strtab *s;
};

void csvtab_free(csvtab *t)
{
    if (!t) return;
    free(t->cell);
    free(t->line);
    strtab_free(t->s);
    free(t);
}

static int ct_grow(csvtab *t)
{
    if (t->n_rows < t->cap) return PREF_OK;
    size_t cap = t->cap ? 2 * t->cap : 16;
    uint32_t *c = realloc(t->cell, cap * t->nf * sizeof *c);
    if (c) t->cell = c;
    size_t *l = realloc(t->line, cap * sizeof *l);
    if (l) t->line = l;
    if (!c || !l) PREF_ERROR(PREF_ENOMEM, "out of memory");
    t->cap = cap;
    return PREF_OK;
}

/* One record: the header (its names distinct) or a row. */
static int ct_add(csvtab *t, csvrec *cr, const csvrec_record *rec)
{
    if (t->n_rows == 0) t->nf = rec->nf;
    if (rec->nf != t->nf)
        return csvrec_error(cr, rec->line, "%zu fields, the header has %zu",
                            rec->nf, t->nf);
    PREF_TRY(ct_grow(t));
    for (size_t j = 0; j < t->nf; j++) {
        size_t len;
        const char *f = csvrec_field(rec, j, &len);
        if (memchr(f, '\0', len))
            return csvrec_error(cr, rec->line, "field %zu holds a NUL byte", j + 1);
        if (t->n_rows == 0 && strtab_find(t->s, f, len) != UINT32_MAX)
            return csvrec_error(cr, rec->line, "column '%s' appears twice", f);
        PREF_TRY(strtab_intern(t->s, f, len, &t->cell[t->n_rows * t->nf + j]));
    }
    t->line[t->n_rows++] = rec->line;
    return PREF_OK;
}

static int ct_records(csvtab *t, csvrec *cr)
{
    const csvrec_record *rec;
    int st;
    size_t last = 1;
    while (!(st = csvrec_next(cr, &rec)) && rec) {
        PREF_TRY(ct_add(t, cr, rec));
        last = rec->line;
    }
    if (!st && t->n_rows < 2)
        st = csvrec_error(cr, last, t->n_rows ? "no rows below the header"
                                              : "empty file (no header)");
    return st;
}

int csvtab_read(const char *path, csvtab **out)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) PREF_ERROR(PREF_EINPUT, "%s: cannot open: %s", path, strerror(errno));
    csvtab *t = calloc(1, sizeof *t);
    int st = t && (t->s = strtab_alloc()) ? PREF_OK
                                          : pref_set_error(PREF_ENOMEM, "out of memory");
    csvrec *cr = NULL;
    if (!st) {
        t->path = path;
        cr = csvrec_alloc(f, path, 0, ',', &st);
    }
    if (!st) st = ct_records(t, cr);
    csvrec_free(cr);
    fclose(f);
    if (st) {
        csvtab_free(t);
        return st;
    }
    *out = t;
    return PREF_OK;
}

size_t csvtab_n_rows(const csvtab *t) { return t->n_rows - 1; }
size_t csvtab_n_cols(const csvtab *t) { return t->nf; }
size_t csvtab_line(const csvtab *t, size_t r) { return t->line[r + 1]; }
size_t csvtab_header_line(const csvtab *t) { return t->line[0]; }

const char *csvtab_name(const csvtab *t, size_t c)
{
    return strtab_get(t->s, t->cell[c]);
}

const char *csvtab_cell(const csvtab *t, size_t r, size_t c)
{
    return strtab_get(t->s, t->cell[(r + 1) * t->nf + c]);
}

size_t csvtab_col(const csvtab *t, const char *name)
{
    uint32_t id = strtab_find(t->s, name, strlen(name));
    for (size_t j = 0; id != UINT32_MAX && j < t->nf; j++)
        if (t->cell[j] == id) return j;
    return SIZE_MAX;
}

int csvtab_cols(const csvtab *t, const char *const *names, size_t n, size_t *col)
{
    for (size_t k = 0; k < n; k++)
        if ((col[k] = csvtab_col(t, names[k])) == SIZE_MAX)
            PREF_ERROR(PREF_EINPUT, "%s:%zu: no column '%s'", t->path, t->line[0],
                       names[k]);
    return PREF_OK;
}

int csvtab_num(const csvtab *t, size_t r, size_t c, double *v)
{
    const char *s = csvtab_cell(t, r, c);
    int rc = strcmp(s, "NA") ? numparse_double(s, strlen(s), v) : -2;
    if (rc == -2) *v = NAN;
    if (rc == -1)
        PREF_ERROR(PREF_EINPUT, "%s:%zu: %s: '%s' is not a number", t->path,
                   csvtab_line(t, r), csvtab_name(t, c), s);
    return PREF_OK;
}
