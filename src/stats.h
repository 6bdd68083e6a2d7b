/* stats.h — small summaries for sweep output: mean, sd, t-interval, and a
 * least-squares slope (for log–log error curves); and the Wald statistics
 * of an estimate with a standard error (fit and report tables). GSL does the arithmetic
 * (gsl_stats_*, gsl_cdf_tdist_Pinv, gsl_fit_linear); this module only fixes
 * the conventions: NaN values are skipped, sd uses n - 1, the 95% interval is
 * mean ± t_{0.975, n-1} sd / sqrt(n), and n < 2 gives NaN for sd and the
 * interval. Not here: anything that reads or writes files. */
#ifndef HETPREF_STATS_H
#define HETPREF_STATS_H

#include <stddef.h>

typedef struct stats_summary {
    size_t n;          /* finite values used */
    double mean, sd, ci_low, ci_high;
} stats_summary;

/* Summarise x[0], x[stride], ... (n values). work needs n doubles. */
void stats_summarise(const double *x, size_t stride, size_t n, double *work,
                     stats_summary *out);

/* Least-squares slope and intercept of y on x over the pairs where both are
 * finite, with the slope's standard error. Returns the number of pairs used;
 * with fewer than 2 pairs the outputs are NaN. */
size_t stats_slope(const double *x, const double *y, size_t n, double *slope,
                   double *intercept, double *se_slope);

/* Wald statistics of estimate est with standard error se at confidence
 * level (0 < level < 1): z = est / se, the two-sided p = 2 Q(|z|) (Q the
 * standard normal upper tail, gsl_cdf_ugaussian_Q) and the interval
 * est -+ z_{(1+level)/2} se (gsl_cdf_ugaussian_Pinv). se = 0 (a parameter
 * fixed by the model, such as the weight of a single type): z and p NaN,
 * the interval [est, est]. se NaN or negative: all NaN. */
typedef struct stats_wald {
    double z, p, ci_low, ci_high;
} stats_wald;

void stats_wald_at(double est, double se, double level, stats_wald *out);

#endif
