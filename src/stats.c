/* stats.c — summaries via GSL (see stats.h). */
#include "stats.h"

#include <math.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_fit.h>
#include <gsl/gsl_statistics_double.h>

void stats_summarise(const double *x, size_t stride, size_t n, double *work,
                     stats_summary *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i * stride])) work[k++] = x[i * stride];
    out->n = k;
    out->mean = k ? gsl_stats_mean(work, 1, k) : NAN;
    out->sd = out->ci_low = out->ci_high = NAN;
    if (k >= 2) {
        out->sd = gsl_stats_sd_m(work, 1, k, out->mean);
        double t = gsl_cdf_tdist_Pinv(0.975, (double)(k - 1));
        double h = t * out->sd / sqrt((double)k);
        out->ci_low = out->mean - h;
        out->ci_high = out->mean + h;
    }
}

size_t stats_slope(const double *x, const double *y, size_t n, double *slope,
                   double *intercept, double *se_slope)
{
    /* Compact the finite pairs in place into a small stack buffer when
     * possible; sweeps have at most a few thousand points per curve. */
    size_t k = 0;
    double xs[4096], ys[4096];
    for (size_t i = 0; i < n && k < 4096; i++)
        if (isfinite(x[i]) && isfinite(y[i])) {
            xs[k] = x[i];
            ys[k] = y[i];
            k++;
        }
    *slope = *intercept = *se_slope = NAN;
    if (k < 2) return k;
    double c0, c1, cov00, cov01, cov11, sumsq;
    gsl_fit_linear(xs, 1, ys, 1, k, &c0, &c1, &cov00, &cov01, &cov11, &sumsq);
    *slope = c1;
    *intercept = c0;
    *se_slope = k > 2 ? sqrt(cov11) : NAN;
    return k;
}

void stats_wald_at(double est, double se, double level, stats_wald *out)
{
    out->z = out->p = out->ci_low = out->ci_high = NAN;
    if (!(se >= 0.0) || !isfinite(se) || !isfinite(est)) return;
    if (se == 0.0) {
        out->ci_low = out->ci_high = est;
        return;
    }
    double q = gsl_cdf_ugaussian_Pinv(0.5 + 0.5 * level);
    out->z = est / se;
    out->p = 2.0 * gsl_cdf_ugaussian_Q(fabs(out->z));
    out->ci_low = est - q * se;
    out->ci_high = est + q * se;
}
