/* mxio.h — read a labelled numeric matrix CSV: the regret and value
 * matrices of min-max regret aggregation (mmra.h, `hetpref mmra`).
 *
 * Layout: a header "type,<policy names>", then one row per type: its name,
 * then one finite decimal number per policy column. Records come from the
 * one CSV reader (csvrec.h: BOM, LF/CRLF/CR, quoting, line numbers).
 * Validated completely: every problem is PREF_EINPUT "FILE:LINE: ..." naming
 * the column — empty file, first column not 'type', no policy columns,
 * empty or repeated policy or type name, the reserved type name
 * MMRA_GAME_WORST (result tables use it for the worst-type row), a wrong field count, a
 * NUL byte, an entry that is not a finite decimal number (hex, inf and nan
 * are refused), no type rows; with MXIO_NONNEG a negative entry; with
 * MXIO_SQUARE as many type rows as policy columns, row i named like
 * column i (policy i is type i's own policy).
 *
 * Not here: what the entries mean (mmra.h), writing matrices. */
#ifndef HETPREF_MXIO_H
#define HETPREF_MXIO_H

#include <stddef.h>

typedef struct mxio_matrix {
    size_t rows, cols;
    char **row_names;   /* (rows) type names, owned */
    char **col_names;   /* (cols) policy names, owned */
    double *v;          /* (rows, cols) row-major entries, owned; no -0 */
} mxio_matrix;

enum {
    MXIO_NONNEG = 1,    /* entries must be >= 0 (regrets) */
    MXIO_SQUARE = 2     /* square, row i named like column i (values) */
};

/* Read the matrix at path with flags (MXIO_*) into *m (zeroed first; on
 * error it holds nothing: free with mxio_matrix_free either way). Returns
 * PREF_OK, PREF_EINPUT (bad content, or "PATH: cannot open: ..." when the
 * file cannot be opened — a missing input is a user error), PREF_EIO
 * (read failure) or PREF_ENOMEM. */
int mxio_read(const char *path, unsigned flags, mxio_matrix *m);

/* Free the contents of m and zero it (safe on a zeroed matrix). */
void mxio_matrix_free(mxio_matrix *m);


#endif
