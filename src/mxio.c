/* mxio.c — labelled numeric matrix CSV (see mxio.h).
 *
 * Records come from csvrec; each is checked whole (field count, names,
 * entries) before the next is read, and the matrix grows by doubling its
 * row capacity. Repeated names are found through hash tables (strtab), so
 * the work is linear in the file for any number of rows and columns.
 * Messages quote at most MXIO_SHOW bytes of a bad field. */
#include "mxio.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvrec.h"
#include "err.h"
#include "fsutil.h"
#include "mmra_game.h"
#include "numparse.h"
#include "strtab.h"

#define MXIO_CHUNK 65536   /* read chunk (bytes) */
#define MXIO_SHOW 40       /* bytes of a bad field quoted in messages */

typedef struct mx_state {
    csvrec *cr;
    unsigned flags;
    mxio_matrix *m;
    size_t rcap;           /* row capacity of m */
    size_t header_line, last_line;
    strtab *col_ids, *row_ids; /* names seen so far, for repeats */
} mx_state;

/* The first occurrence (0-based) of name in t, or adds it. Returns PREF_OK
 * with *first = SIZE_MAX for a new name, or PREF_ENOMEM. */
static int mx_seen(strtab *t, const char *name, size_t *first)
{
    size_t len = strlen(name);
    uint32_t i = strtab_find(t, name, len);
    *first = i == UINT32_MAX ? SIZE_MAX : (size_t)i;
    return i == UINT32_MAX ? strtab_intern(t, name, len, &i) : PREF_OK;
}


void mxio_matrix_free(mxio_matrix *m)
{
    if (m->row_names)
        for (size_t k = 0; k < m->rows; k++) free(m->row_names[k]);
    if (m->col_names)
        for (size_t j = 0; j < m->cols; j++) free(m->col_names[j]);
    free(m->row_names);
    free(m->col_names);
    free(m->v);
    memset(m, 0, sizeof *m);
}

static int mx_nomem(const mx_state *s)
{
    PREF_ERROR(PREF_ENOMEM, "%s: out of memory", csvrec_name(s->cr));
}

static int mx_header(mx_state *s, const csvrec_record *rec)
{
    mxio_matrix *m = s->m;
    size_t line = rec->line;
    s->header_line = line;
    if (strcmp(csvrec_field(rec, 0, NULL), "type") != 0)
        return csvrec_error(s->cr, line, "header: first column must be "
                            "'type', got '%.*s'", MXIO_SHOW,
                            csvrec_field(rec, 0, NULL));
    if (rec->nf < 2)
        return csvrec_error(s->cr, line, "header: no policy columns after "
                            "'type'");
    m->col_names = calloc(rec->nf - 1, sizeof *m->col_names);
    if (!m->col_names) return mx_nomem(s);
    m->cols = rec->nf - 1;
    for (size_t j = 0; j < m->cols; j++) {
        const char *f = csvrec_field(rec, j + 1, NULL);
        if (!*f) return csvrec_error(s->cr, line, "header: policy column "
                                     "%zu has an empty name", j + 1);
        size_t i;
        if (mx_seen(s->col_ids, f, &i)) return mx_nomem(s);
        if (i != SIZE_MAX)
            return csvrec_error(s->cr, line, "header: policy '%.*s' "
                                "repeated (columns %zu and %zu)",
                                MXIO_SHOW, f, i + 2, j + 2);
        if (!(m->col_names[j] = strdup(f))) return mx_nomem(s);
    }
    return PREF_OK;
}

/* Check the type name of row k (the record's first field). */
static int mx_row_name(mx_state *s, size_t line, const char *name)
{
    mxio_matrix *m = s->m;
    size_t k = m->rows, J = m->cols;
    if (!*name)
        return csvrec_error(s->cr, line, "column 'type': empty type name");
    if (strcmp(name, MMRA_GAME_WORST) == 0)
        return csvrec_error(s->cr, line, "column 'type': the name '%s' is "
                            "reserved (aggregators.csv uses it for the "
                            "worst-type row)", MMRA_GAME_WORST);
    size_t i;
    if (mx_seen(s->row_ids, name, &i)) return mx_nomem(s);
    if (i != SIZE_MAX)
        return csvrec_error(s->cr, line, "column 'type': type '%.*s' "
                            "repeated (rows %zu and %zu)", MXIO_SHOW,
                            name, i + 1, k + 1);
    if (!(s->flags & MXIO_SQUARE)) return PREF_OK;
    if (k >= J)
        return csvrec_error(s->cr, line, "more type rows than policy columns "
                            "(%zu): --values needs a square L, one policy "
                            "per type", J);
    if (strcmp(name, m->col_names[k]) != 0)
        return csvrec_error(s->cr, line, "column 'type': row %zu is type "
                            "'%.*s' but policy column %zu is '%.*s' (--values: "
                            "policy i is type i's own policy, so row i and "
                            "column i must carry the same name)", k + 1,
                            MXIO_SHOW, name, k + 1, MXIO_SHOW,
                            m->col_names[k]);
    return PREF_OK;
}

/* Room for one more row, named name (copied). */
static int mx_add_row(mx_state *s, const char *name)
{
    mxio_matrix *m = s->m;
    size_t k = m->rows, J = m->cols;
    if (k == s->rcap) {
        size_t nc = s->rcap ? 2 * s->rcap : 16;
        char **t = realloc(m->row_names, nc * sizeof *t);
        if (!t) return mx_nomem(s);
        m->row_names = t;
        if (nc > SIZE_MAX / sizeof(double) / J) return mx_nomem(s);
        double *v = realloc(m->v, nc * J * sizeof *v);
        if (!v) return mx_nomem(s);
        m->v = v;
        s->rcap = nc;
    }
    m->row_names[k] = NULL;
    m->rows = k + 1;   /* so mxio_matrix_free releases the name */
    if (!(m->row_names[k] = strdup(name))) return mx_nomem(s);
    return PREF_OK;
}

static int mx_row(mx_state *s, const csvrec_record *rec)
{
    mxio_matrix *m = s->m;
    size_t J = m->cols, k = m->rows, line = rec->line;
    if (rec->nf != J + 1)
        return csvrec_error(s->cr, line, "expected %zu fields (as in the "
                            "header), got %zu", J + 1, rec->nf);
    const char *name = csvrec_field(rec, 0, NULL);
    PREF_TRY(mx_row_name(s, line, name));
    PREF_TRY(mx_add_row(s, name));
    for (size_t j = 0; j < J; j++) {
        const char *f = csvrec_field(rec, j + 1, NULL);
        const char *col = m->col_names[j];
        double v = 0;
        int bad = numparse_double(f, strlen(f), &v);
        if (bad == -1)
            return csvrec_error(s->cr, line, "column '%.*s': not a number: "
                                "'%.*s'", MXIO_SHOW, col, MXIO_SHOW, f);
        if (bad == -2)
            return csvrec_error(s->cr, line, "column '%.*s': not finite: "
                                "'%.*s'", MXIO_SHOW, col, MXIO_SHOW, f);
        if ((s->flags & MXIO_NONNEG) && v < 0)
            return csvrec_error(s->cr, line, "column '%.*s': negative regret "
                                "%.17g (regrets are >= 0 by definition: the "
                                "loss of type '%.*s' against its best)",
                                MXIO_SHOW, col, v, MXIO_SHOW, name);
        m->v[k * J + j] = v == 0 ? 0.0 : v;   /* no -0 */
    }
    return PREF_OK;
}

/* One record: NUL bytes refused, then the header or a row. */
static int mx_record(mx_state *s, const csvrec_record *rec)
{
    for (size_t i = 0; i < rec->nf; i++) {
        size_t len;
        const char *f = csvrec_field(rec, i, &len);
        if (len && memchr(f, '\0', len))
            return csvrec_error(s->cr, rec->line, "a field contains a NUL "
                                "byte");
    }
    s->last_line = rec->line;
    return s->m->col_names ? mx_row(s, rec) : mx_header(s, rec);
}

/* Whole-file checks after the last record. */
static int mx_finish(mx_state *s)
{
    mxio_matrix *m = s->m;
    if (!m->col_names)
        return csvrec_error(s->cr, 1, "empty file (expected a header "
                            "'type,<policy names>')");
    if (m->rows == 0)
        return csvrec_error(s->cr, s->header_line, "no type rows after the "
                            "header");
    if ((s->flags & MXIO_SQUARE) && m->rows != m->cols)
        return csvrec_error(s->cr, s->last_line, "%zu policy columns but %zu "
                            "type rows: --values needs a square L, one policy "
                            "per type", m->cols, m->rows);
    return PREF_OK;
}

int mxio_read(const char *path, unsigned flags, mxio_matrix *m)
{
    memset(m, 0, sizeof *m);
    if (!fsutil_exists(path))
        PREF_ERROR(PREF_EINPUT, "%s: cannot open: no such file", path);
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        PREF_ERROR(PREF_EINPUT, "%s: cannot open: %s", path, strerror(e));
    }
    int st;
    mx_state s = {.flags = flags, .m = m};
    s.cr = csvrec_alloc(f, path, MXIO_CHUNK, ',', &st);
    s.col_ids = strtab_alloc();
    s.row_ids = strtab_alloc();
    if (!st && (!s.col_ids || !s.row_ids)) st = mx_nomem(&s);
    const csvrec_record *rec;
    while (!st && !(st = csvrec_next(s.cr, &rec)) && rec)
        st = mx_record(&s, rec);
    if (!st) st = mx_finish(&s);
    csvrec_free(s.cr);
    strtab_free(s.col_ids);
    strtab_free(s.row_ids);
    fclose(f);
    if (st) mxio_matrix_free(m);
    return st;
}
