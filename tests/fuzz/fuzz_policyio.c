/* fuzz_policyio.c — libFuzzer target: the policies.txt reader (policyio.h),
 * as `hetpref mmra --policies DIR` reads it.
 *
 * Properties: a failure is an input error naming DIR/policies.txt; a set
 * that reads has K >= 1 policies with unique non-empty names, weights
 * summing to 1 and finite parameters; written (policyio_write) and read
 * again, it writes the same bytes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fsutil.h"
#include "fuzzutil.h"
#include "policyio.h"

static void check_set(const policy_set *s)
{
    FUZZ_CHECK(s->K >= 1, "no policies");
    double sum = 0;
    for (size_t k = 0; k < s->K; k++) {
        FUZZ_CHECK(s->names[k][0], "policy %zu has no name", k);
        for (size_t j = 0; j < k; j++)
            FUZZ_CHECK(strcmp(s->names[k], s->names[j]) != 0,
                       "policy name '%s' twice", s->names[k]);
        FUZZ_CHECK(isfinite(s->weights[k]), "weight %zu not finite", k);
        sum += s->weights[k];
    }
    FUZZ_CHECK(fabs(sum - 1) < 1e-6, "weights sum to %.17g", sum);
    for (size_t i = 0; i < s->K * s->n_params; i++)
        FUZZ_CHECK(isfinite(s->params[i]), "parameter %zu not finite", i);
}

/* Write s into scratch directory name and return policies.txt's bytes. */
static char *write_set(const policy_set *s, const char *name, size_t *len)
{
    char dir[4200], path[4300];
    fuzz_path(dir, sizeof dir, name);
    FUZZ_CHECK(fsutil_mkdirs(dir) == PREF_OK, "mkdir %s", dir);
    FUZZ_CHECK(policyio_write(s, dir) == PREF_OK, "policyio_write: %s",
               pref_last_error());
    snprintf(path, sizeof path, "%s/policies.txt", dir);
    return fuzz_slurp(path, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char dir[4200], path[4300], dir2[4200];
    fuzz_path(dir, sizeof dir, "in");
    fuzz_path(dir2, sizeof dir2, "out1");
    snprintf(path, sizeof path, "%s/policies.txt", dir);
    FUZZ_CHECK(fsutil_mkdirs(dir) == PREF_OK, "mkdir %s", dir);
    fuzz_write(path, data, size);
    policy_set *s = NULL, *s2 = NULL;
    int st = policyio_read(dir, &s);
    if (st) {
        fuzz_check_input_error(st, path);
        return 0;
    }
    check_set(s);
    size_t n1, n2;
    char *a = write_set(s, "out1", &n1);
    st = policyio_read(dir2, &s2);
    FUZZ_CHECK(st == PREF_OK, "written policies do not read back: %s",
               pref_last_error());
    char *b = write_set(s2, "out2", &n2);
    FUZZ_CHECK(n1 == n2 && memcmp(a, b, n1) == 0,
               "policies written, read and written again differ");
    free(a);
    free(b);
    policy_set_free(s);
    policy_set_free(s2);
    return 0;
}
