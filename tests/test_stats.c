/* test_stats.c — summaries and slopes against hand-computed values. */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_test.h>

#include "stats.h"

int main(void)
{
    /* x = 1..5: mean 3, sd sqrt(2.5); t_{0.975,4} = 2.7764451051977987
     * (R: qt(0.975, 4)), so the half-width is 2.7764451051977987 *
     * sqrt(2.5) / sqrt(5). */
    double x[5] = {1, 2, 3, 4, 5}, work[5];
    stats_summary s;
    stats_summarise(x, 1, 5, work, &s);
    gsl_test_int((int)s.n, 5, "n");
    gsl_test_rel(s.mean, 3.0, 1e-15, "mean");
    gsl_test_rel(s.sd, sqrt(2.5), 1e-15, "sd (n - 1)");
    double h = 2.7764451051977987 * sqrt(2.5) / sqrt(5.0);
    gsl_test_rel(s.ci_low, 3.0 - h, 1e-12, "ci low");
    gsl_test_rel(s.ci_high, 3.0 + h, 1e-12, "ci high");

    double y[4] = {2.0, NAN, 4.0, 6.0};
    stats_summarise(y, 1, 4, work, &s);
    gsl_test_int((int)s.n, 3, "NaN skipped");
    gsl_test_rel(s.mean, 4.0, 1e-15, "mean without NaN");

    double one = 7.0;
    stats_summarise(&one, 1, 1, work, &s);
    gsl_test(!isnan(s.sd) || !isnan(s.ci_low), "n = 1: sd and interval NaN");

    /* Strided access. */
    double z[6] = {1, 100, 3, 100, 5, 100};
    stats_summarise(z, 2, 3, work, &s);
    gsl_test_rel(s.mean, 3.0, 1e-15, "stride 2");

    /* Slope of an exact line y = -0.5 x + 2 on log-spaced points. */
    double lx[4], ly[4], slope, icpt, se;
    for (int i = 0; i < 4; i++) {
        lx[i] = log(500.0 * pow(2.0, i));
        ly[i] = -0.5 * lx[i] + 2.0;
    }
    gsl_test_int((int)stats_slope(lx, ly, 4, &slope, &icpt, &se), 4, "pairs");
    gsl_test_rel(slope, -0.5, 1e-12, "slope");
    gsl_test_rel(icpt, 2.0, 1e-12, "intercept");
    gsl_test_abs(se, 0.0, 1e-12, "exact line: zero standard error");
    exit(gsl_test_summary());
}
