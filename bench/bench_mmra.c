/* bench_mmra.c — MMRA solvers side by side: GLPK's simplex
 * against optimistic Hedge (10^5 rounds, default step) on random regret
 * matrices R (K = J, entries uniform on [0, 1], zero diagonal: every type's
 * own policy has no regret). Reports the Hedge–LP gap in worst-type regret
 * and the time of each solver (mean and minimum over the games, the first
 * game excluded as warm-up). Usage: bench_mmra [games4 games64]. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "err.h"
#include "mmra.h"
#include "rngs.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    gsl_rng *r = rngs_alloc(20261127);
    size_t sizes[2] = {4, 64};
    int games[2] = {argc > 1 ? atoi(argv[1]) : 21, argc > 2 ? atoi(argv[2]) : 6};
    printf("K=J,games,max_gap,mean_gap,lp_ms_mean,lp_ms_min,hedge_ms_mean,hedge_ms_min\n");
    for (int s = 0; s < 2; s++) {
        size_t n = sizes[s];
        double maxgap = 0, sumgap = 0, tlp = 0, th = 0, tlp_min = 1e9, th_min = 1e9;
        double *R = malloc(n * n * sizeof(double));
        mmra_result *a = mmra_result_alloc(n, n), *b = mmra_result_alloc(n, n);
        mmra_params p;
        mmra_params_init(&p);
        if (!R || !a || !b || games[s] < 2) return 1;
        for (int g = 0; g < games[s]; g++) {
            for (size_t i = 0; i < n * n; i++)
                R[i] = (i / n == i % n) ? 0.0 : gsl_rng_uniform(r);
            double t0 = now();
            if (mmra_solve_lp(n, n, R, NULL, a) != PREF_OK) return 1;
            double t1 = now();
            if (mmra_solve_hedge(n, n, R, &p, b) != PREF_OK) return 1;
            double t2 = now();
            if (g > 0) {
                tlp += t1 - t0;
                th += t2 - t1;
                if (t1 - t0 < tlp_min) tlp_min = t1 - t0;
                if (t2 - t1 < th_min) th_min = t2 - t1;
            }
            double gap = b->worst - a->worst;
            sumgap += gap;
            if (gap > maxgap) maxgap = gap;
        }
        int m = games[s] - 1;
        printf("%zu,%d,%.3g,%.3g,%.4f,%.4f,%.2f,%.2f\n", n, games[s], maxgap,
               sumgap / games[s], 1e3 * tlp / m, 1e3 * tlp_min, 1e3 * th / m,
               1e3 * th_min);
        free(R);
        mmra_result_free(a);
        mmra_result_free(b);
    }
    gsl_rng_free(r);
    return 0;
}
