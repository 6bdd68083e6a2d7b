/* fuzz_truthio.c — libFuzzer target: the truth reader (truthio.h), as
 * `hetpref fit --truth FILE` reads it (its d from the header).
 *
 * Properties: a failure is an input error naming the file; a truth that
 * reads has K >= 1 types, finite weights in [0, 1] summing to 1 within
 * 1e-6 (a mixture's weights) and finite theta. */
#include <math.h>
#include <stdlib.h>

#include "err.h"
#include "fuzzutil.h"
#include "truthio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[4200];
    fuzz_path(path, sizeof path, "truth.csv");
    fuzz_write(path, data, size);
    truthio_truth *t = NULL;
    int st = truthio_read(path, &t);
    if (st) {
        fuzz_check_input_error(st, path);
        return 0;
    }
    FUZZ_CHECK(t->K >= 1, "no types");
    double sum = 0;
    for (size_t k = 0; k < t->K; k++) {
        FUZZ_CHECK(isfinite(t->eta[k]) && t->eta[k] >= 0 && t->eta[k] <= 1,
                   "type %zu: weight %.17g is not in [0, 1]", k + 1, t->eta[k]);
        sum += t->eta[k];
    }
    FUZZ_CHECK(fabs(sum - 1) <= TRUTHIO_WEIGHT_TOL, "weights sum to %.17g", sum);
    for (size_t i = 0; t->theta && i < t->K * t->d; i++)
        FUZZ_CHECK(isfinite(t->theta[i]), "theta %zu not finite", i);
    truthio_truth_free(t);
    return 0;
}
