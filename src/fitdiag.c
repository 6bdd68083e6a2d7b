/* fitdiag.c — trust diagnostics of a finished fit (see fitdiag.h). Pure
 * computation on the fit and the data; it never prints. */
#include "fitdiag.h"

#include <math.h>
#include <string.h>

#include "err.h"

void fitdiag_params_init(fitdiag_params *p)
{
    p->flat_rel = 1e-8;
    p->min_weight = 0.02;
    p->max_utility = 10.0;
}

const char *fitdiag_params_check(const fitdiag_params *p)
{
    if (!(p->flat_rel >= 0 && p->flat_rel < 1)) return "flat_rel must be in [0, 1)";
    if (!(p->min_weight >= 0 && p->min_weight < 1))
        return "min_weight must be in [0, 1)";
    if (!(p->max_utility > 0)) return "max_utility must be > 0";
    return NULL;
}

/* Common start: defaults for p, a checked copy, zeroed output. */
static int diag_begin(const fitdiag_params *p, fitdiag_params *q, size_t K,
                      fitdiag *out)
{
    if (p) *q = *p;
    else fitdiag_params_init(q);
    const char *why = fitdiag_params_check(q);
    if (why) PREF_ERROR(PREF_EINPUT, "fit diagnostics: %s", why);
    if (K < 1 || K > PREF_MAX_TYPES)
        PREF_ERROR(PREF_EINPUT, "fit diagnostics: %zu types", K);
    memset(out, 0, sizeof *out);
    out->K = K;
    for (size_t k = 0; k < K; k++) out->scale[k] = NAN;
    return PREF_OK;
}

/* Root mean square over all candidates of theta_k . (x_c - xbar_q), for
 * every class k, into scale (K). */
static void utility_scales(const data_set *ds, const double *theta, size_t K,
                           double *scale)
{
    size_t d = ds->d;
    for (size_t k = 0; k < K; k++) {
        const double *th = theta + k * d;
        double ss = 0.0;
        for (size_t q = 0; q < ds->n_queries; q++) {
            size_t m = data_m(ds, q);
            const double *x = ds->x + ds->q_cand[q] * d;
            double mean = 0.0;
            for (size_t c = 0; c < m; c++)
                for (size_t j = 0; j < d; j++) mean += th[j] * x[c * d + j];
            mean /= (double)m;
            for (size_t c = 0; c < m; c++) {
                double u = -mean;
                for (size_t j = 0; j < d; j++) u += th[j] * x[c * d + j];
                ss += u * u;
            }
        }
        scale[k] = ds->n_cands ? sqrt(ss / (double)ds->n_cands) : 0.0;
    }
}

/* Flag tiny classes and count the degenerate ones. */
static void classes(const double *eta, const fitdiag_params *q, fitdiag *out)
{
    out->degenerate = 0;
    for (size_t k = 0; k < out->K; k++) {
        out->tiny[k] = eta[k] < q->min_weight;
        out->degenerate += out->tiny[k] || out->exploding[k];
    }
}

int fitdiag_lcl(const data_set *ds, const mix_fit *f, const fitdiag_params *p,
                fitdiag *out)
{
    fitdiag_params q;
    PREF_TRY(diag_begin(p, &q, f->K, out));
    if (f->d != ds->d || f->n_users != ds->n_users ||
        f->n_params != f->K * f->d + f->K - 1)
        PREF_ERROR(PREF_EINPUT, "fit diagnostics: the fit (d = %zu, %zu users, "
                   "%zu parameters) is not of these data (d = %zu, %zu users)",
                   f->d, f->n_users, f->n_params, ds->d, ds->n_users);
    out->n_params = f->n_params;
    double top = f->n_params ? f->info_eval[f->n_params - 1] : 0.0;
    int analysed = isfinite(top);
    for (size_t a = 0; analysed && a < f->n_params; a++) {
        out->n_flat += !(f->info_eval[a] > q.flat_rel * top);
        out->n_negative += f->info_eval[a] < 0;
    }
    /* EM stopped on a flat ridge (mix_fit.flat): at least the direction it
     * drifted along is not identified, whatever the spectrum there says. */
    if (f->flat && out->n_flat == 0) out->n_flat = 1;
    out->identified = f->flat ? 0 : !analysed ? -1 : out->n_flat == 0 && f->se_ok;
    out->converged = f->converged;
    utility_scales(ds, f->theta, f->K, out->scale);
    for (size_t k = 0; k < f->K; k++)
        out->exploding[k] = !(out->scale[k] <= q.max_utility);
    classes(f->eta, &q, out);
    out->single_best = f->K > 1 && f->starts > 1 && f->best_hits < 2;
    return PREF_OK;
}

int fitdiag_emdpo(const emdpo_fit *f, const fitdiag_params *p, fitdiag *out)
{
    fitdiag_params q;
    PREF_TRY(diag_begin(p, &q, f->K, out));
    out->identified = -1;
    out->converged = f->converged;
    classes(f->eta, &q, out);
    return PREF_OK;
}
