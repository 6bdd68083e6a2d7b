/* fuzz_csvrec.c — libFuzzer target: the one CSV record reader (csvrec.h)
 * under every CSV and TSV file hetpref reads.
 *
 * Properties: records do not depend on the read chunk (1 MiB and 1-byte
 * chunks yield the same records, lines and status, or the same message);
 * a failure is an input error naming the stream; line numbers never go
 * down and never pass the number of line ends + 1; only the last record
 * may be unterminated. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvrec.h"
#include "err.h"
#include "fuzzutil.h"

/* Records of data as one flat text (fields and lines spelled out) and the
 * status; *out is malloc'ed. */
static int records(const uint8_t *data, size_t size, size_t chunk, char delim,
                   char **out, size_t *len)
{
    char *copy = malloc(size + 1);
    if (!copy) abort();
    memcpy(copy, data, size);
    FILE *f = fmemopen(copy, size ? size : 1, "rb");
    if (!f) abort();
    if (!size) fgetc(f);
    FILE *o = open_memstream(out, len);
    int st;
    csvrec *r = csvrec_alloc(f, "in", chunk, delim, &st);
    FUZZ_CHECK(r, "csvrec_alloc");
    size_t last = 0, ends = 0;
    for (size_t i = 0; i < size; i++)
        ends += data[i] == '\n' || (data[i] == '\r' &&
                                    (i + 1 == size || data[i + 1] != '\n'));
    const csvrec_record *rec;
    int unterminated = 0;
    while (!(st = csvrec_next(r, &rec)) && rec) {
        FUZZ_CHECK(!unterminated, "a record after an unterminated one");
        unterminated = !rec->terminated;
        FUZZ_CHECK(rec->nf >= 1 && rec->line >= 1, "nf %zu line %zu", rec->nf,
                   rec->line);
        FUZZ_CHECK(rec->line > last && rec->line <= ends + 1,
                   "line %zu after line %zu, %zu line ends", rec->line, last,
                   ends);
        last = rec->line;
        fprintf(o, "%zu %zu %d:", rec->line, rec->nf, rec->terminated);
        for (size_t i = 0; i < rec->nf; i++) {
            size_t n;
            const char *s = csvrec_field(rec, i, &n);
            fprintf(o, "%zu[", n);
            fwrite(s, 1, n, o);
            fputc(']', o);
        }
        fputc('\n', o);
    }
    if (st) {
        fuzz_check_input_error(st, "in");
        fprintf(o, "error %d %s\n", st, pref_last_error());
    }
    csvrec_free(r);
    fclose(f);
    fclose(o);
    free(copy);
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int tsv = 0; tsv < 2; tsv++) {
        char *a, *b;
        size_t na, nb;
        char delim = tsv ? '\t' : ',';
        int sa = records(data, size, 0, delim, &a, &na);
        int sb = records(data, size, 1, delim, &b, &nb);
        FUZZ_CHECK(sa == sb && na == nb && memcmp(a, b, na) == 0,
                   "records differ between chunk 1 MiB and 1 byte:\n%s---\n%s",
                   a, b);
        free(a);
        free(b);
    }
    return 0;
}
