/* fitout.c — CSV tables of a latent-class fit (see fitout.h). */
#include "fitout.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <csv.h>

#include "csvio.h"
#include "err.h"
#include "fsutil.h"



static int open_in(fsutil_file *o, const char *dir, const char *name)
{
    char path[4096];
    PREF_TRY(fsutil_join(path, sizeof path, dir, name));
    return fsutil_open(o, path);
}

int fitout_write(const data_set *ds, const mix_fit *fit, const fitdiag *dg,
                 const char *dir)
{
    size_t K = fit->K, d = fit->d;
    fsutil_file o;
    PREF_TRY(open_in(&o, dir, "estimates.csv"));
    FILE *f = o.f;
    fputs("type,weight", f);
    for (size_t j = 0; j < d; j++) fprintf(f, ",theta%zu", j + 1);
    fputs(",se_weight", f);
    for (size_t j = 0; j < d; j++) fprintf(f, ",se_theta%zu", j + 1);
    fputc('\n', f);
    for (size_t k = 0; k < K; k++) {
        fprintf(f, "%zu,", k + 1);
        csvio_put_num(f, fit->eta[k]);
        for (size_t j = 0; j < d; j++) {
            fputc(',', f);
            csvio_put_num(f, fit->theta[k * d + j]);
        }
        fputc(',', f);
        csvio_put_num(f, fit->se_eta[k]);
        for (size_t j = 0; j < d; j++) {
            fputc(',', f);
            csvio_put_num(f, fit->se_theta[k * d + j]);
        }
        fputc('\n', f);
    }
    PREF_TRY(fsutil_commit(&o));

    PREF_TRY(open_in(&o, dir, "posteriors.csv"));
    f = o.f;
    fputs("user", f);
    for (size_t k = 0; k < K; k++) fprintf(f, ",p%zu", k + 1);
    fputc('\n', f);
    char buf[32];
    for (size_t i = 0; i < ds->n_users; i++) {
        csvio_put_text(f, data_label(ds->users, ds->user_name[i], buf, sizeof buf));
        for (size_t k = 0; k < K; k++) {
            fputc(',', f);
            csvio_put_num(f, fit->post[i * K + k]);
        }
        fputc('\n', f);
    }
    PREF_TRY(fsutil_commit(&o));

    PREF_TRY(open_in(&o, dir, "fit.csv"));
    f = o.f;
    fputs("loglik,aic,bic,icl,iterations,starts,best_start_hits,converged,"
          "empty_classes,identified,n_flat_directions,degenerate_classes\n", f);
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
    fprintf(f, "%zu\n", dg->degenerate);
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
