/* fuzz_truthio.c — libFuzzer target: the truth reader (truthio.h), as
 * `hetpref fit --truth FILE` reads it, for d = 1, 2 and 3 features.
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
    for (size_t d = 1; d <= 3; d++) {
        size_t K;
        double *eta, *theta;
        int st = truthio_read(path, d, &K, &eta, &theta);
        if (st) {
            fuzz_check_input_error(st, path);
            continue;
        }
        FUZZ_CHECK(K >= 1, "no types");
        double sum = 0;
        for (size_t k = 0; k < K; k++) {
            FUZZ_CHECK(isfinite(eta[k]) && eta[k] >= 0 && eta[k] <= 1,
                       "type %zu: weight %.17g is not in [0, 1]", k + 1, eta[k]);
            sum += eta[k];
        }
        FUZZ_CHECK(fabs(sum - 1) <= 1e-6, "weights sum to %.17g", sum);
        for (size_t i = 0; i < K * d; i++)
            FUZZ_CHECK(isfinite(theta[i]), "theta %zu not finite", i);
        free(eta);
        free(theta);
    }
    return 0;
}
