/* fuzz_csvtab.c — libFuzzer target: a small table read whole (csvtab.h),
 * as `hetpref report DIR` reads select.csv and fit.csv and `hetpref plot`
 * a fit's posteriors.csv: csvtab_read, then the columns report needs of
 * select.csv (csvtab_cols) and every cell as a number (csvtab_num).
 *
 * Properties: a failure is an input error naming the file; a table that
 * reads has >= 1 row and distinct column names; written back with every
 * cell quoted it reads again to the same cells; csvtab_num
 * succeeds exactly on the cells numparse reads (or "NA"), and a failure
 * names the file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvtab.h"
#include "err.h"
#include "fuzzutil.h"
#include "numparse.h"

/* s as a quoted CSV field (always quoted: a row of one empty field written
 * bare would be a blank line, which is no record). */
static void put_quoted(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void tab_write(const csvtab *t, const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    size_t nc = csvtab_n_cols(t);
    for (size_t r = 0; r <= csvtab_n_rows(t); r++)
        for (size_t c = 0; c < nc; c++) {
            put_quoted(f, r ? csvtab_cell(t, r - 1, c) : csvtab_name(t, c));
            fputc(c + 1 < nc ? ',' : '\n', f);
        }
    if (fclose(f) != 0) abort();
}

static void check_same(const csvtab *a, const csvtab *b)
{
    size_t nc = csvtab_n_cols(a), nr = csvtab_n_rows(a);
    FUZZ_CHECK(nc == csvtab_n_cols(b) && nr == csvtab_n_rows(b),
               "re-read: %zu x %zu became %zu x %zu", nr, nc, csvtab_n_rows(b),
               csvtab_n_cols(b));
    for (size_t c = 0; c < nc; c++) {
        FUZZ_CHECK(!strcmp(csvtab_name(a, c), csvtab_name(b, c)),
                   "re-read: column %zu renamed", c + 1);
        for (size_t r = 0; r < nr; r++)
            FUZZ_CHECK(!strcmp(csvtab_cell(a, r, c), csvtab_cell(b, r, c)),
                       "re-read: cell (%zu, %zu) differs", r + 1, c + 1);
    }
}

static void check_numbers(const csvtab *t, const char *path)
{
    static const char *const sel[] = {"K", "loglik", "n_params", "aic", "bic",
                                      "icl", "heldout_loglik", "heldout_se",
                                      "converged", "best_hits"};
    size_t col[10];
    int st = csvtab_cols(t, sel, 10, col);
    if (st) fuzz_check_input_error(st, path);
    for (size_t r = 0; r < csvtab_n_rows(t); r++)
        for (size_t c = 0; c < csvtab_n_cols(t); c++) {
            const char *s = csvtab_cell(t, r, c);
            double v, w;
            int ok = !strcmp(s, "NA") || numparse_double(s, strlen(s), &w) != -1;
            st = csvtab_num(t, r, c, &v);
            FUZZ_CHECK(ok == (st == PREF_OK), "csvtab_num of '%s': %d", s, st);
            if (st) fuzz_check_input_error(st, path);
            else FUZZ_CHECK(isnan(v) || isfinite(v), "an infinite number");
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[4200], again[4200];
    fuzz_input(path, sizeof path, "select.csv", data, size);
    fuzz_path(again, sizeof again, "again.csv");
    csvtab *t = NULL;
    int st = csvtab_read(path, &t);
    if (fuzz_read_failed(st, t, path)) return 0;
    FUZZ_CHECK(csvtab_n_rows(t) >= 1, "no rows");
    for (size_t c = 0; c < csvtab_n_cols(t); c++)
        FUZZ_CHECK(csvtab_col(t, csvtab_name(t, c)) == c, "column %zu twice", c + 1);
    tab_write(t, again);
    csvtab *b = NULL;
    st = csvtab_read(again, &b);
    FUZZ_CHECK(st == PREF_OK, "written back, it does not read: %s", pref_last_error());
    check_same(t, b);
    csvtab_free(b);
    check_numbers(t, path);
    csvtab_free(t);
    return 0;
}
