/* fuzz_csvio.c — libFuzzer target: the preference CSV reader (csvio.h), as
 * `hetpref describe/fit --data` read it.
 *
 * Properties: a failure is an input error naming the file; the result does
 * not depend on the read chunk (libcsv is fed 1 MiB and 7-byte chunks: same
 * data, or the same message); data that reads, written canonically and read
 * again, writes the same bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvio.h"
#include "err.h"
#include "fuzzutil.h"

/* Read data[0..size) with the given chunk; *msg gets a copy of the message
 * on failure (caller frees). */
static int read_mem(const uint8_t *data, size_t size, size_t chunk,
                    data_set **ds, char **msg)
{
    char *copy = malloc(size + 1); /* fmemopen refuses a size of 0 */
    if (!copy) abort();
    memcpy(copy, data, size);
    FILE *f = fmemopen(copy, size ? size : 1, "rb");
    if (!f) abort();
    if (!size) fgetc(f); /* the one byte is not input */
    int st = csvio_read_stream(f, "in.csv", chunk, ds);
    fclose(f);
    free(copy);
    *msg = st ? strdup(pref_last_error()) : NULL;
    return st;
}

/* The canonical bytes of ds (caller frees). */
static char *canonical(const data_set *ds, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f) abort();
    FUZZ_CHECK(csvio_write_stream(f, ds) == PREF_OK, "write failed");
    if (fclose(f) != 0) abort();
    return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    data_set *a = NULL, *b = NULL, *c = NULL;
    char *ma, *mb, *mc;
    int sa = read_mem(data, size, 0, &a, &ma);
    int sb = read_mem(data, size, 7, &b, &mb);
    if (sa) fuzz_check_input_error(sa, "in.csv");
    FUZZ_CHECK(sa == sb, "chunk 1 MiB: status %d, chunk 7: %d", sa, sb);
    if (sa) {
        FUZZ_CHECK(strcmp(ma, mb) == 0, "messages differ by chunk: '%s' / '%s'",
                   ma, mb);
    } else {
        size_t na, nb, nc;
        char *ca = canonical(a, &na), *cb = canonical(b, &nb);
        FUZZ_CHECK(na == nb && memcmp(ca, cb, na) == 0,
                   "canonical output differs by chunk");
        int sc = read_mem((const uint8_t *)ca, na, 0, &c, &mc);
        FUZZ_CHECK(sc == PREF_OK, "canonical output does not read back: %s", mc);
        char *cc = canonical(c, &nc);
        FUZZ_CHECK(na == nc && memcmp(ca, cc, na) == 0,
                   "canonical output read and written again differs");
        free(ca);
        free(cb);
        free(cc);
        free(mc);
        data_free(c);
    }
    free(ma);
    free(mb);
    data_free(a);
    data_free(b);
    return 0;
}
