/* csvio.h — preference data as long CSV, through libcsv.
 *
 * Columns: user,query,item,rank and optionally prompt, logp_ref, type (the
 * reserved names), in any order; every other column is a feature (d >= 1).
 * Features all named x1..xd (no gaps) are numbered by their names and
 * carry no name table; otherwise they are taken in file order and their
 * names kept (data_set.features, data_feature_name). A name that looks like
 * a reserved one ("User", "ranks", "logp-ref") is an error listing the
 * reserved names; a feature name may not be empty, have a leading or
 * trailing blank, a control character, '[' or ']' (outputs print
 * theta[NAME]).
 * Rows may come in any order; the reader groups them by (user, query) and
 * stores candidates in canonical order (data.h): ranked first, by rank. A
 * full ranking may be given as 1..m-1 plus one 0, or as 1..m (the last rank
 * carries no information and is stored as r = m - 1).
 *
 * Validation: every malformed input returns PREF_EINPUT with the
 * message "FILE:LINE: ..." naming the column/field; nothing is half-built
 * (on error *out is NULL). Checked: empty file, missing or reserved-looking
 * or repeated column, a bad feature name, wrong field count, non-numeric / NaN / Inf feature or logp_ref,
 * non-integer or negative rank, repeated or gapped ranks, rank above m, a
 * query with one candidate or no rank 1, item repeated within a query, prompt
 * not constant within a query, type not a positive integer or not constant
 * within a user.
 *
 * Writing produces the canonical form (features under their names, or
 * x1..xd): users in order, their queries in
 * order, candidates in canonical order, ranks 1..r then 0, numbers "%.17g" in
 * the C locale, strings through csv_fwrite. Reading canonical output and
 * writing it again is byte-identical.
 *
 * Memory: the reader never allocates per row; it grows flat arrays by
 * doubling (realloc) and, when rows of one query are not contiguous, sorts
 * them with one extra uint32/size_t index per candidate. */
#ifndef HETPREF_CSVIO_H
#define HETPREF_CSVIO_H

#include <stdio.h>

#include "data.h"

/* Read the file at path. Returns PREF_OK and *out (owned by the caller, free
 * with data_free), PREF_EINPUT (message names path:line and field), PREF_EIO
 * (cannot open/read) or PREF_ENOMEM. */
int csvio_read(const char *path, data_set **out);

/* Same, from an open stream; name is used in messages; chunk is the read
 * buffer size in bytes (0: default 1 MiB) — exposed so tests can feed libcsv
 * every chunk size. */
int csvio_read_stream(FILE *f, const char *name, size_t chunk, data_set **out);

/* Write ds to path atomically (path.tmp then rename; nothing left on error).
 * Returns PREF_OK or PREF_EIO. */
int csvio_write(const char *path, const data_set *ds);

/* Write ds to an open stream. Returns PREF_OK or PREF_EIO. */
int csvio_write_stream(FILE *f, const data_set *ds);

/* Result-table conventions shared by every CSV hetpref writes: a number as
 * "%.17g" (exact round trip in the C locale), NaN as "NaN", infinities as
 * "Inf" / "-Inf" (the spellings R and pandas read); a text field as is, or
 * quoted through libcsv's csv_fwrite when it holds a comma, quote, CR, LF or
 * leading/trailing blank. Errors surface through ferror(f). */
void csvio_put_num(FILE *f, double v);
void csvio_put_text(FILE *f, const char *s);

/* ",v[0],v[1],...,v[n-1]" with csvio_put_num. */
void csvio_put_nums(FILE *f, const double *v, size_t n);

#endif
