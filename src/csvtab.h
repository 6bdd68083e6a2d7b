/* csvtab.h — a small CSV table read whole: a header of distinct column
 * names and rows of text cells, columns found by name, numbers on demand.
 *
 * For the small tables hetpref writes and reads back as a whole: a fit's
 * posteriors.csv and fit.csv, a model comparison's select.csv. Every row
 * must have the header's number of fields; a field may not hold a NUL byte;
 * at least one row is required. Cells are interned in one strtab.
 * Not here: tables with a format of their own (estread.h reads
 * estimates.csv, plotsweep.h summary.csv), large inputs (csvio.h). */
#ifndef HETPREF_CSVTAB_H
#define HETPREF_CSVTAB_H

#include <stddef.h>
#include <stdint.h>

typedef struct csvtab csvtab;

/* Read the CSV at path. Returns PREF_OK and *out (free with csvtab_free);
 * PREF_EINPUT "PATH: cannot open ..." or "PATH:LINE: ..." (malformed CSV,
 * a column name twice, a row with another field count, a NUL byte, no
 * row below the header); PREF_EIO; PREF_ENOMEM. *out is NULL on error.
 * Time linear in the file's size. */
int csvtab_read(const char *path, csvtab **out);
void csvtab_free(csvtab *t); /* NULL is a no-op */

size_t csvtab_n_rows(const csvtab *t); /* rows below the header (>= 1) */
size_t csvtab_n_cols(const csvtab *t);
const char *csvtab_name(const csvtab *t, size_t c); /* column c's name */
const char *csvtab_cell(const csvtab *t, size_t r, size_t c); /* row r < n_rows */
size_t csvtab_line(const csvtab *t, size_t r); /* physical line of row r */
size_t csvtab_header_line(const csvtab *t);   /* physical line of the header */

/* The column named name, or SIZE_MAX. */
size_t csvtab_col(const csvtab *t, const char *name);

/* The columns names[0..n) into col; PREF_EINPUT "PATH:LINE: no column
 * 'NAME'" (LINE: the header's) for the first that is absent. */
int csvtab_cols(const csvtab *t, const char *const *names, size_t n, size_t *col);

/* The number in row r, column c (numparse.h); "NA" and numbers that are
 * not finite ("NaN", "Inf": hetpref writes them for missing values) give
 * NaN. PREF_OK, or PREF_EINPUT "PATH:LINE: COLUMN: 'TEXT' is not a number". */
int csvtab_num(const csvtab *t, size_t r, size_t c, double *v);

#endif
