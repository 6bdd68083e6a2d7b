/* fuzz_mxio.c — libFuzzer target: the regret/values matrix reader (mxio.h),
 * as `hetpref mmra --regret/--values` read it.
 *
 * The input is read with each set of flags (none, MXIO_NONNEG, MXIO_SQUARE,
 * both). Properties: a failure is an input error naming the file; a matrix
 * that passes stricter checks passes weaker ones with the same content;
 * names are non-empty and unique per axis; entries are finite and never -0,
 * >= 0 with MXIO_NONNEG; with MXIO_SQUARE row i is named like column i. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fuzzutil.h"
#include "mxio.h"

static void check_names(char **v, size_t n, const char *axis)
{
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(v[i] && v[i][0], "%s %zu: empty name", axis, i);
        for (size_t j = 0; j < i; j++)
            FUZZ_CHECK(strcmp(v[i], v[j]) != 0, "%s name '%s' twice", axis, v[i]);
    }
}

static void check_matrix(const mxio_matrix *m, unsigned flags)
{
    FUZZ_CHECK(m->rows > 0 && m->cols > 0, "empty matrix %zux%zu", m->rows,
               m->cols);
    check_names(m->row_names, m->rows, "row");
    check_names(m->col_names, m->cols, "column");
    for (size_t i = 0; i < m->rows * m->cols; i++) {
        double v = m->v[i];
        FUZZ_CHECK(isfinite(v), "entry %zu not finite", i);
        FUZZ_CHECK(!(v == 0 && signbit(v)), "entry %zu is -0", i);
        FUZZ_CHECK(!(flags & MXIO_NONNEG) || v >= 0, "entry %zu negative", i);
    }
    if (flags & MXIO_SQUARE) {
        FUZZ_CHECK(m->rows == m->cols, "not square");
        for (size_t i = 0; i < m->rows; i++)
            FUZZ_CHECK(strcmp(m->row_names[i], m->col_names[i]) == 0,
                       "row %zu named unlike column %zu", i, i);
    }
}

static int same(const mxio_matrix *a, const mxio_matrix *b)
{
    if (a->rows != b->rows || a->cols != b->cols) return 0;
    for (size_t i = 0; i < a->rows; i++)
        if (strcmp(a->row_names[i], b->row_names[i])) return 0;
    for (size_t j = 0; j < a->cols; j++)
        if (strcmp(a->col_names[j], b->col_names[j])) return 0;
    return memcmp(a->v, b->v, a->rows * a->cols * sizeof(double)) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[4200];
    fuzz_path(path, sizeof path, "matrix.csv");
    fuzz_write(path, data, size);
    mxio_matrix m[4];
    int st[4];
    for (unsigned flags = 0; flags < 4; flags++) {
        st[flags] = mxio_read(path, flags, &m[flags]);
        if (st[flags]) fuzz_check_input_error(st[flags], path);
        else check_matrix(&m[flags], flags);
    }
    /* flags are bits: a set that passes passes each of its subsets */
    for (unsigned f = 1; f < 4; f++)
        for (unsigned g = 0; g < 4; g++)
            if ((g & f) == g && g != f && !st[f]) {
                FUZZ_CHECK(!st[g], "passes flags %u but not %u: %s", f, g,
                           pref_last_error());
                FUZZ_CHECK(same(&m[f], &m[g]), "flags %u and %u read different "
                           "matrices", f, g);
            }
    for (unsigned f = 0; f < 4; f++) mxio_matrix_free(&m[f]);
    return 0;
}
