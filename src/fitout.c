/* fitout.c — CSV tables of a latent-class fit (see fitout.h). */
#include "fitout.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <csv.h>

#include "csvio.h"
#include "err.h"
#include "fsutil.h"
#include "stats.h"

static int open_in(fsutil_file *o, const char *dir, const char *name)
{
    char path[4096];
    PREF_TRY(fsutil_join(path, sizeof path, dir, name));
    return fsutil_open(o, path);
}

const char *fitout_param_name(const data_set *ds, size_t j, char *buf, size_t n)
{
    if (j == 0) {
        snprintf(buf, n, "weight");
        return buf;
    }
    char name[FITOUT_NAME_MAX];
    snprintf(buf, n, "theta[%s]", data_feature_name(ds, j - 1, name, sizeof name));
    return buf;
}

/* estimates.csv: one row per type and parameter (see fitout.h). */
static int write_estimates(const data_set *ds, const mix_fit *fit, double level,
                           const char *dir)
{
    size_t K = fit->K, d = fit->d;
    fsutil_file o;
    PREF_TRY(open_in(&o, dir, "estimates.csv"));
    fputs("type,parameter,estimate,se,z,p,ci_low,ci_high\n", o.f);
    char name[FITOUT_NAME_MAX + 8];
    for (size_t k = 0; k < K; k++)
        for (size_t j = 0; j <= d; j++) {
            double est = j ? fit->theta[k * d + j - 1] : fit->eta[k];
            double se = j ? fit->se_theta[k * d + j - 1] : fit->se_eta[k];
            stats_wald w;
            stats_wald_at(est, se, level, &w);
            fprintf(o.f, "%zu,", k + 1);
            csvio_put_text(o.f, fitout_param_name(ds, j, name, sizeof name));
            double row[6] = {est, se, w.z, w.p, w.ci_low, w.ci_high};
            csvio_put_nums(o.f, row, 6);
            fputc('\n', o.f);
        }
    return fsutil_commit(&o);
}

/* vcov.csv: the covariance of the rows of estimates.csv (see fitout.h). */
static int write_vcov(const data_set *ds, const mix_fit *fit, const char *dir)
{
    size_t d = fit->d, P = fit->n_out;
    fsutil_file o;
    PREF_TRY(open_in(&o, dir, "vcov.csv"));
    char name[FITOUT_NAME_MAX + 8], col[FITOUT_NAME_MAX + 40];
    fputs("type,parameter", o.f);
    for (size_t v = 0; v < P; v++) {
        snprintf(col, sizeof col, "%zu:%s", v / (d + 1) + 1,
                 fitout_param_name(ds, v % (d + 1), name, sizeof name));
        fputc(',', o.f);
        csvio_put_text(o.f, col);
    }
    fputc('\n', o.f);
    for (size_t u = 0; u < P; u++) {
        fprintf(o.f, "%zu,", u / (d + 1) + 1);
        csvio_put_text(o.f, fitout_param_name(ds, u % (d + 1), name, sizeof name));
        csvio_put_nums(o.f, fit->vcov + u * P, P);
        fputc('\n', o.f);
    }
    return fsutil_commit(&o);
}

int fitout_write_posteriors(const data_set *ds, const double *post, size_t K,
                            const char *dir)
{
    fsutil_file o;
    PREF_TRY(open_in(&o, dir, "posteriors.csv"));
    FILE *f = o.f;
    fputs("user", f);
    for (size_t k = 0; k < K; k++) fprintf(f, ",p%zu", k + 1);
    fputc('\n', f);
    char buf[32];
    for (size_t i = 0; i < ds->n_users; i++) {
        csvio_put_text(f, data_label(ds->users, ds->user_name[i], buf, sizeof buf));
        csvio_put_nums(f, post + i * K, K);
        fputc('\n', f);
    }
    return fsutil_commit(&o);
}

int fitout_write(const data_set *ds, const mix_fit *fit, const fitdiag *dg,
                 double level, const char *dir)
{
    size_t K = fit->K;
    fsutil_file o;
    FILE *f;
    if (!(level > 0.0 && level < 1.0))
        PREF_ERROR(PREF_EINPUT, "confidence level %g: need 0 < level < 1", level);
    PREF_TRY(write_estimates(ds, fit, level, dir));
    PREF_TRY(write_vcov(ds, fit, dir));
    PREF_TRY(fitout_write_posteriors(ds, fit->post, K, dir));
    PREF_TRY(open_in(&o, dir, "fit.csv"));
    f = o.f;
    fputs("loglik,aic,bic,icl,iterations,starts,best_start_hits,converged,"
          "empty_classes,identified,n_flat_directions,degenerate_classes,users,"
          "answers\n", f);
    csvio_put_num(f, fit->loglik);
    fputc(',', f);
    csvio_put_num(f, fit->aic);
    fputc(',', f);
    csvio_put_num(f, fit->bic);
    fputc(',', f);
    csvio_put_num(f, fit->icl);
    fprintf(f, ",%zu,%zu,%zu,%d,%zu,", fit->iterations, fit->starts,
            fit->best_hits, fit->converged, fit->empty_events);
    if (dg->identified < 0) fputs("NA,NA,", f);
    else fprintf(f, "%d,%zu,", dg->identified, dg->n_flat);
    fprintf(f, "%zu,%zu,%zu\n", dg->degenerate, ds->n_users, ds->n_queries);
    return fsutil_commit(&o);
}

int fitout_write_eval(const char *dir, double accuracy, double ari, double w1,
                      const char *w1_note)
{
    fsutil_file o;
    PREF_TRY(open_in(&o, dir, "evaluation.csv"));
    fputs("accuracy,ari,w1,w1_note\n", o.f);
    csvio_put_num(o.f, accuracy);
    fputc(',', o.f);
    csvio_put_num(o.f, ari);
    fputc(',', o.f);
    csvio_put_num(o.f, w1_note ? NAN : w1);
    fputc(',', o.f);
    csvio_put_text(o.f, w1_note ? w1_note : "");
    fputc('\n', o.f);
    return fsutil_commit(&o);
}
