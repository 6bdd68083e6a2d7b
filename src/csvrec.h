/* csvrec.h — the one CSV record reader: libcsv underneath, records out.
 *
 * Every CSV (or tab-separated) file hetpref reads goes through here:
 * preference data (csvio.c), labelled matrices (mxio.c), truth files
 * (truthio.c), sweep journals and shards (sweep.c), summaries (sims/).
 *
 * What it does. Reads a stream in chunks, feeds libcsv (strict mode) and
 * yields one record at a time: its fields as NUL-terminated strings with
 * their lengths, the field count, and the 1-based physical line where the
 * record starts. A UTF-8 byte order mark at the start of the file is
 * dropped. LF, CRLF and CR all end a line (a CRLF is one line end), also
 * inside quoted fields, so the line of every record is right after records
 * with quoted newlines. Blank lines (and lines of blanks) yield no record
 * but count as lines. Fields have no length limit (libcsv and the record
 * buffer grow as needed).
 *
 * Why a pull iterator over an internal record buffer (not a callback per
 * record): the preference reader is the hot path (hundreds of MB/s), and a
 * pull loop lets it keep its state in locals and its errors as plain
 * returns, with no context struct threaded through callbacks. The fields
 * are copied once from libcsv's entry buffer into one reusable buffer (the
 * copy the old per-module readers made too); the buffer and the offset
 * array only grow, so there is no allocation per record in steady state.
 * The returned record is valid until the next csvrec_next or csvrec_free.
 *
 * Errors: malformed CSV (a stray quote, text after a closing quote, a
 * quoted field still open at end of file) is PREF_EINPUT "NAME:LINE: ...";
 * a read failure is PREF_EIO "NAME: read error: ..."; PREF_ENOMEM.
 *
 * Not here: opening files (callers choose the message and code for a
 * missing file), interpreting fields (numbers, headers), writing CSV
 * (csvio_put_* and csv_fwrite). */
#ifndef HETPREF_CSVREC_H
#define HETPREF_CSVREC_H

#include <stddef.h>
#include <stdio.h>

typedef struct csvrec csvrec;

/* One record. buf holds the fields back to back, each NUL-terminated;
 * field i starts at buf + off[i] and is off[i + 1] - off[i] - 1 bytes long
 * (a field may itself contain NUL bytes: use the length). */
typedef struct csvrec_record {
    size_t nf;          /* number of fields (>= 1) */
    size_t line;        /* physical line where the record starts, 1-based */
    int terminated;     /* 1: ended by a line end; 0: by the end of file */
    const char *buf;
    const size_t *off;  /* (nf + 1) */
} csvrec_record;

/* Field i (< rec->nf) of rec; *len receives its length when len is not
 * NULL. The pointer is into rec's buffer. */
static inline const char *csvrec_field(const csvrec_record *rec, size_t i,
                                       size_t *len)
{
    if (len) *len = rec->off[i + 1] - rec->off[i] - 1;
    return rec->buf + rec->off[i];
}

/* Default read chunk in bytes. A fuzzing build (configure --enable-fuzzing)
 * defines it as 64 KiB: under AddressSanitizer every 1 MiB buffer is a
 * fresh mmap, which made each read of a small file cost milliseconds. The
 * records do not depend on the chunk (tests/fuzz/fuzz_csvrec.c checks). */
#ifndef CSVREC_CHUNK
#define CSVREC_CHUNK ((size_t)1 << 20)
#endif

/* A reader of f (not owned: the caller closes it after csvrec_free). name
 * is used in messages and must outlive the reader. chunk is the read size
 * in bytes (0: CSVREC_CHUNK), exposed so tests can feed every chunk size.
 * delim is the field separator (',' for CSV, '\t' for TSV). Returns NULL
 * and *err = PREF_ENOMEM (message recorded) when out of memory. */
csvrec *csvrec_alloc(FILE *f, const char *name, size_t chunk, char delim,
                     int *err);

/* Free r (NULL is a no-op). */
void csvrec_free(csvrec *r);

/* The next record: PREF_OK with *rec set, or PREF_OK with *rec = NULL at
 * the end of input; PREF_EINPUT (malformed CSV, "NAME:LINE: ..."),
 * PREF_EIO or PREF_ENOMEM, with *rec = NULL. After an error or the end,
 * every further call returns the same. */
int csvrec_next(csvrec *r, const csvrec_record **rec);

/* Physical lines seen so far (the line being read, 1-based). */
size_t csvrec_line(const csvrec *r);

/* Record "NAME:LINE: message" (or "NAME: message" when line is 0) and
 * return PREF_EINPUT; the message is cut to about 900 bytes. */
int csvrec_error(const csvrec *r, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Name given to csvrec_alloc. */
const char *csvrec_name(const csvrec *r);

#endif
