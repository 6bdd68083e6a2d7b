/* test_stats.c — summaries and slopes against hand-computed values. */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_test.h>

#include "stats.h"

/* Wald statistics of the glm coefficients of tests/fit_cli.sh (R's
 * estimates and standard errors there). Hand values from Python 3.11,
 * independent of GSL: z = est / se; p = math.erfc(|z| / sqrt(2));
 * q = statistics.NormalDist().inv_cdf(0.5 + level / 2), which is
 * 1.9599639845400536 at 0.95 and 1.6448536269514715 at 0.90; CI = est -+ q se. */
static void test_wald(void)
{
    stats_wald w;
    stats_wald_at(0.745842919708, 0.192285462953, 0.95, &w);
    gsl_test_rel(w.z, 3.8788315468772856, 1e-14, "Wald z");
    gsl_test_rel(w.p, 0.00010495940304887648, 1e-10, "Wald p, two-sided");
    gsl_test_rel(w.ci_low, 0.36897033756950925, 1e-12, "95%% CI low");
    gsl_test_rel(w.ci_high, 1.1227155018464907, 1e-12, "95%% CI high");
    stats_wald_at(0.745842919708, 0.192285462953, 0.90, &w);
    gsl_test_rel(w.ci_low, 0.4295614785597151, 1e-12, "90%% CI low");
    gsl_test_rel(w.ci_high, 1.062124360856285, 1e-12, "90%% CI high");
    stats_wald_at(-0.468929890588, 0.165177802802, 0.95, &w);
    gsl_test_rel(w.z, -2.838940115640781, 1e-14, "Wald z, negative estimate");
    gsl_test_rel(w.p, 0.00452636506900847, 1e-10, "Wald p, negative estimate");
    stats_wald_at(1.0, 0.0, 0.95, &w);
    gsl_test(!isnan(w.z) || !isnan(w.p), "se = 0: z and p NaN");
    gsl_test(w.ci_low != 1.0 || w.ci_high != 1.0, "se = 0: interval [est, est]");
    stats_wald_at(0.5, NAN, 0.95, &w);
    gsl_test(!isnan(w.z) || !isnan(w.ci_low) || !isnan(w.ci_high),
             "se NaN: everything NaN");
}

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
    test_wald();
    exit(gsl_test_summary());
}
