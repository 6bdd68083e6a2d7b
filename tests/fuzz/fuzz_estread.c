/* fuzz_estread.c — libFuzzer target: a fit's estimates.csv as `hetpref
 * predict`, `report`, `plot` and `identify --estimates` read it
 * (estread_read, estread.h).
 *
 * Properties: a failure is an input error naming the file; estimates that
 * read have K >= 1 types and d >= 1 named features, weights > 0 summing to
 * 1 within ESTREAD_WEIGHT_TOL and finite estimates; written back in the
 * canonical form (names quoted by csvio, numbers "%.17g", NaN as "NaN")
 * they read again to the same names and bit-identical numbers; they match
 * data whose features are their names, and are refused (naming the file)
 * for data with one feature more. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvio.h"
#include "data.h"
#include "err.h"
#include "estread.h"
#include "fuzzutil.h"
#include "strtab.h"

/* e in the canonical form at path. */
static void est_write(const estread_estimates *e, const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    fputs("type,parameter,estimate,se,z,p,ci_low,ci_high\n", f);
    for (size_t k = 0; k < e->K; k++)
        for (size_t j = 0; j <= e->d; j++) {
            const char *nm = j ? strtab_get(e->names, (uint32_t)(j - 1)) : "";
            char *par = malloc(strlen(nm) + 8);
            if (!par) abort();
            if (j) sprintf(par, "theta[%s]", nm);
            else strcpy(par, "weight");
            fprintf(f, "%zu,", k + 1);
            csvio_put_text(f, par);
            csvio_put_nums(f, e->row + (k * (e->d + 1) + j) * ESTREAD_NCOL,
                           ESTREAD_NCOL);
            fputc('\n', f);
            free(par);
        }
    if (fclose(f) != 0) abort();
}

static void check_same(const estread_estimates *a, const estread_estimates *b)
{
    FUZZ_CHECK(a->K == b->K && a->d == b->d, "re-read: K, d %zu, %zu became %zu, %zu",
               a->K, a->d, b->K, b->d);
    for (size_t j = 0; j < a->d; j++)
        FUZZ_CHECK(!strcmp(strtab_get(a->names, (uint32_t)j),
                           strtab_get(b->names, (uint32_t)j)),
                   "re-read: feature %zu renamed", j + 1);
    size_t n = a->K * (a->d + 1) * ESTREAD_NCOL;
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK((isnan(a->row[i]) && isnan(b->row[i])) ||
                       !memcmp(&a->row[i], &b->row[i], sizeof(double)),
                   "re-read: value %zu %.17g became %.17g", i, a->row[i], b->row[i]);
}

/* Data with e's feature names (plus, when extra, one more: a run of 'x'
 * longer than every name, so a new one). */
static data_set *named_data(const estread_estimates *e, int extra)
{
    data_set *ds = data_alloc(2, 0, 0, e->d + (extra != 0), 0);
    if (!ds || !(ds->features = strtab_alloc())) abort();
    uint32_t idx;
    size_t longest = 0;
    for (size_t j = 0; j < e->d; j++) {
        const char *nm = strtab_get(e->names, (uint32_t)j);
        if (strlen(nm) > longest) longest = strlen(nm);
        if (strtab_intern(ds->features, nm, strlen(nm), &idx)) abort();
    }
    if (extra) {
        char *x = malloc(longest + 2);
        if (!x) abort();
        memset(x, 'x', longest + 1);
        if (strtab_intern(ds->features, x, longest + 1, &idx)) abort();
        free(x);
    }
    return ds;
}

static void check_match(const estread_estimates *e, const char *path)
{
    estread_estimates *m = NULL;
    data_set *ds = named_data(e, 0);
    int st = estread_read(path, ds, &m);
    FUZZ_CHECK(st == PREF_OK, "refused for data of its own features: %s",
               pref_last_error());
    estread_free(m);
    data_free(ds);
    ds = named_data(e, 1);
    st = estread_read(path, ds, &m);
    FUZZ_CHECK(st != PREF_OK && m == NULL, "read for data with one more feature");
    fuzz_check_input_error(st, path);
    data_free(ds);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[4200], again[4200];
    fuzz_input(path, sizeof path, "estimates.csv", data, size);
    fuzz_path(again, sizeof again, "again.csv");
    estread_estimates *e = NULL;
    int st = estread_read(path, NULL, &e);
    if (fuzz_read_failed(st, e, path)) return 0;
    FUZZ_CHECK(e->K >= 1 && e->d >= 1, "K = %zu, d = %zu", e->K, e->d);
    double sum = 0;
    for (size_t k = 0; k < e->K; k++) {
        FUZZ_CHECK(e->weight[k] > 0 && isfinite(e->weight[k]),
                   "weight %zu is %.17g", k + 1, e->weight[k]);
        sum += e->weight[k];
        for (size_t j = 0; j < e->d; j++)
            FUZZ_CHECK(isfinite(e->theta[k * e->d + j]), "theta not finite");
    }
    FUZZ_CHECK(fabs(sum - 1) <= ESTREAD_WEIGHT_TOL, "weights sum to %.17g", sum);
    est_write(e, again);
    estread_estimates *b = NULL;
    st = estread_read(again, NULL, &b);
    FUZZ_CHECK(st == PREF_OK, "the canonical form does not read: %s",
               pref_last_error());
    check_same(e, b);
    estread_free(b);
    check_match(e, path);
    estread_free(e);
    return 0;
}
