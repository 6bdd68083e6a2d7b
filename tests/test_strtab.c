/* test_strtab.c — tests of the string interning table (src/strtab.h).
 *
 * Checks: indices are dense and in order of first appearance; interning a
 * string again returns the same index; strtab_find agrees and reports
 * absent strings; input need not be NUL-terminated; the empty string and
 * strings with embedded bytes like ',' and '"' are ordinary strings; the
 * table survives growth across 100000 strings (pool, offsets and hash index
 * all reallocate) with every string still readable; strtab_bytes grows.
 * Not here: strings with embedded NUL bytes as seen through strtab_get
 * (documented as shown only up to the NUL). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_test.h>

#include "err.h"
#include "strtab.h"

static void test_basic(void)
{
    strtab *t = strtab_alloc();
    gsl_test(t == NULL, "strtab_alloc returns a table");
    if (!t) return;
    gsl_test_int((int)strtab_size(t), 0, "new table is empty");
    gsl_test(strtab_find(t, "a", 1) != UINT32_MAX, "find in empty table");

    uint32_t i0 = 99, i1 = 99, i2 = 99, j = 99;
    gsl_test_int(strtab_intern(t, "alpha", 5, &i0), PREF_OK, "intern alpha");
    gsl_test_int(strtab_intern(t, "beta", 4, &i1), PREF_OK, "intern beta");
    gsl_test_int(strtab_intern(t, "alpha", 5, &j), PREF_OK, "intern again");
    gsl_test_int((int)i0, 0, "first string gets index 0");
    gsl_test_int((int)i1, 1, "second string gets index 1");
    gsl_test_int((int)j, 0, "repeated string keeps its index");
    gsl_test_int((int)strtab_size(t), 2, "two distinct strings");

    /* Not NUL-terminated: only the first len bytes count. */
    const char raw[] = {'a', 'l', 'p', 'h', 'a', 'X', 'Y'};
    gsl_test_int(strtab_intern(t, raw, 5, &j), PREF_OK, "intern prefix");
    gsl_test_int((int)j, 0, "prefix of a longer buffer matches alpha");
    gsl_test_int(strtab_intern(t, raw, 7, &i2), PREF_OK, "intern full");
    gsl_test_int((int)i2, 2, "longer buffer is a new string");
    gsl_test_str(strtab_get(t, i2), "alphaXY", "stored copy is terminated");
    gsl_test_str(strtab_get(t, 1), "beta", "get beta");

    /* Prefix relations and lengths are distinguished. */
    gsl_test_int((int)strtab_find(t, "alph", 4), (int)UINT32_MAX,
                 "shorter prefix absent");
    gsl_test_int((int)strtab_find(t, "beta", 4), 1, "find beta");
    gsl_test_int((int)strtab_find(t, "betas", 5), (int)UINT32_MAX,
                 "longer string absent");

    /* The empty string and CSV-special bytes are ordinary strings. */
    uint32_t ie, iq;
    gsl_test_int(strtab_intern(t, "", 0, &ie), PREF_OK, "intern empty");
    gsl_test_int((int)ie, 3, "empty string gets the next index");
    gsl_test_str(strtab_get(t, ie), "", "empty string stored");
    gsl_test_int(strtab_intern(t, "a,\"b\"\n", 6, &iq), PREF_OK,
                 "intern CSV-special bytes");
    gsl_test_str(strtab_get(t, iq), "a,\"b\"\n", "special bytes stored");
    gsl_test_int((int)strtab_find(t, "", 0), 3, "find empty string");
    gsl_test(strtab_bytes(t) < 5 * sizeof(size_t), "strtab_bytes positive");
    strtab_free(t);
    strtab_free(NULL); /* a no-op */
}

/* 100000 distinct strings, interned twice in different orders: indices
 * stable, every string readable after all the growth. */
static void test_growth(void)
{
    enum { N = 100000 };
    strtab *t = strtab_alloc();
    if (!t) {
        gsl_test(1, "strtab_alloc for growth");
        return;
    }
    size_t b0 = strtab_bytes(t);
    char buf[64];
    int bad_new = 0, bad_again = 0, bad_get = 0, bad_find = 0;
    for (int i = 0; i < N; i++) {
        /* Mixed lengths (1..~40 bytes) so the pool grows unevenly. */
        int len = snprintf(buf, sizeof buf, "%d:%.*s", i, i % 31,
                           "abcdefghijklmnopqrstuvwxyz0123456789");
        uint32_t k;
        if (strtab_intern(t, buf, (size_t)len, &k) != PREF_OK ||
            k != (uint32_t)i)
            bad_new++;
    }
    gsl_test_int((int)strtab_size(t), N, "100000 strings interned");
    gsl_test_int(bad_new, 0, "indices are dense, in order of first appearance");
    for (int i = N - 1; i >= 0; i--) {
        int len = snprintf(buf, sizeof buf, "%d:%.*s", i, i % 31,
                           "abcdefghijklmnopqrstuvwxyz0123456789");
        uint32_t k;
        if (strtab_intern(t, buf, (size_t)len, &k) != PREF_OK ||
            k != (uint32_t)i)
            bad_again++;
        if (strcmp(strtab_get(t, (uint32_t)i), buf) != 0) bad_get++;
        if (strtab_find(t, buf, (size_t)len) != (uint32_t)i) bad_find++;
    }
    gsl_test_int(bad_again, 0, "re-interning returns the same indices");
    gsl_test_int(bad_get, 0, "every string readable after growth");
    gsl_test_int(bad_find, 0, "strtab_find finds every string");
    gsl_test_int((int)strtab_size(t), N, "no string added twice");
    gsl_test_int((int)strtab_find(t, "100000:", 7), (int)UINT32_MAX,
                 "absent string after growth");
    gsl_test(strtab_bytes(t) <= b0 + (size_t)N * 8, "strtab_bytes grew");
    strtab_free(t);
}

int main(void)
{
    test_basic();
    test_growth();
    exit(gsl_test_summary());
}
