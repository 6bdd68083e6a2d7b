/* test_csvtab.c — csvtab.h: a table read whole, columns by name, numbers
 * ("NA" and not-finite numbers as NaN), and every error path with
 * "FILE:LINE: ..." and no table. Files under a mkdtemp directory. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_test.h>

#include "csvtab.h"
#include "err.h"

static char dir[4096], path[4200];

static void put(const char *text, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) exit(99);
    fwrite(text, 1, n, f);
    fclose(f);
}

static void bad(const char *what, const char *text, size_t n, const char *want)
{
    put(text, n);
    csvtab *t = (csvtab *)1;
    gsl_test_int(csvtab_read(path, &t), PREF_EINPUT, "%s: PREF_EINPUT", what);
    gsl_test(t != NULL, "%s: no table", what);
    gsl_test(!strstr(pref_last_error(), want), "%s: '%s' in '%s'", what, want,
             pref_last_error());
}
#define BAD(what, lit, want) bad(what, lit, sizeof lit - 1, want)

int main(void)
{
    snprintf(dir, sizeof dir, "%s/test_csvtab.XXXXXX",
             getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir)) return 99;
    snprintf(path, sizeof path, "%s/t.csv", dir);
    static const char good[] = "\nK,bic,note\n1,-2.385,\"a,b\"\n2,NA,x\n3,Inf,y\n";
    put(good, sizeof good - 1);
    csvtab *t = NULL;
    gsl_test_int(csvtab_read(path, &t), PREF_OK, "read (%s)", pref_last_error());
    if (!t) return 1;
    gsl_test_int((int)csvtab_n_rows(t), 3, "3 rows");
    gsl_test_int((int)csvtab_header_line(t), 2, "header on line 2 (after a blank)");
    gsl_test_int((int)csvtab_line(t, 2), 5, "row 3 on line 5");
    gsl_test(strcmp(csvtab_cell(t, 0, 2), "a,b"), "quoted cell");
    size_t col[2];
    static const char *const need[] = {"bic", "K"}, *const miss[] = {"aic"};
    gsl_test_int(csvtab_cols(t, need, 2, col), PREF_OK, "columns");
    gsl_test(col[0] != 1 || col[1] != 0, "columns by name");
    gsl_test_int(csvtab_cols(t, miss, 1, col), PREF_EINPUT, "missing column");
    gsl_test(!strstr(pref_last_error(), "t.csv:2: no column 'aic'"), "%s",
             pref_last_error());
    double v;
    gsl_test(csvtab_num(t, 0, 1, &v) || v != -2.385, "a number");
    gsl_test(csvtab_num(t, 1, 1, &v) || !isnan(v), "NA is NaN");
    gsl_test(csvtab_num(t, 2, 1, &v) || !isnan(v), "Inf is NaN (missing)");
    gsl_test_int(csvtab_num(t, 1, 2, &v), PREF_EINPUT, "text is not a number");
    gsl_test(!strstr(pref_last_error(), "t.csv:4: note: 'x' is not a number"), "%s",
             pref_last_error());
    csvtab_free(t);
    BAD("column twice", "K,a,K\n1,2,3\n", "t.csv:1: column 'K' appears twice");
    BAD("field count", "K,a\n1,2\n3\n", "t.csv:3: 1 fields, the header has 2");
    BAD("NUL byte", "K,a\n1,2\0x\n", "t.csv:2: field 2 holds a NUL byte");
    BAD("no rows", "K,a\n", "t.csv:1: no rows below the header");
    BAD("empty", "", "empty file");
    BAD("stray quote", "K\n1\"x\n", "t.csv:2: malformed CSV");
    remove(path);
    csvtab_free(NULL);
    gsl_test_int(csvtab_read(path, &t), PREF_EINPUT, "missing file");
    gsl_test(!strstr(pref_last_error(), "cannot open"), "%s", pref_last_error());
    rmdir(dir);
    exit(gsl_test_summary());
}
