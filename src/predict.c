/* predict.c — choice probabilities and prediction files (see predict.h). */
#include "predict.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "csvio.h"
#include "err.h"
#include "fitout.h"
#include "fsutil.h"
#include "mathx.h"
#include "pl.h"

void predict_linear_utilities(const data_set *ds, size_t K, const double *theta,
                              double *u)
{
    for (size_t k = 0; k < K; k++)
        for (size_t q = 0; q < ds->n_queries; q++) {
            size_t c0 = ds->q_cand[q];
            pl_utilities(ds->x + c0 * ds->d, data_m(ds, q), ds->d,
                         theta + k * ds->d, u + k * ds->n_cands + c0);
        }
}

void predict_choices(const data_set *ds, size_t K, const double *eta,
                     const double *u, double *p)
{
    for (size_t q = 0; q < ds->n_queries; q++) {
        size_t c0 = ds->q_cand[q], m = data_m(ds, q);
        for (size_t j = 0; j < m; j++) p[(c0 + j) * (K + 1) + K] = 0.0;
        for (size_t k = 0; k < K; k++) {
            const double *uk = u + k * ds->n_cands + c0;
            double lse = mathx_logsumexp(uk, m);
            for (size_t j = 0; j < m; j++) {
                double v = exp(uk[j] - lse);
                p[(c0 + j) * (K + 1) + k] = v;
                p[(c0 + j) * (K + 1) + K] += eta[k] * v;
            }
        }
    }
}

static int write_choices(const data_set *ds, size_t K, const double *p,
                         const char *dir)
{
    char path[4096], b1[32], b2[32], b3[32];
    fsutil_file o;
    PREF_TRY(fsutil_join(path, sizeof path, dir, "choices.csv"));
    PREF_TRY(fsutil_open(&o, path));
    fputs("user,query,item", o.f);
    for (size_t k = 0; k < K; k++) fprintf(o.f, ",p_type%zu", k + 1);
    fputs(",p_mixture\n", o.f);
    for (size_t i = 0; i < ds->n_users; i++)
        for (size_t q = ds->user_q[i]; q < ds->user_q[i + 1]; q++)
            for (size_t c = ds->q_cand[q]; c < ds->q_cand[q + 1]; c++) {
                csvio_put_text(o.f, data_label(ds->users, ds->user_name[i], b1, sizeof b1));
                fputc(',', o.f);
                csvio_put_text(o.f, data_label(ds->queries, ds->q_name[q], b2, sizeof b2));
                fputc(',', o.f);
                csvio_put_text(o.f, data_label(ds->items, ds->c_item[c], b3, sizeof b3));
                csvio_put_nums(o.f, p + c * (K + 1), K + 1);
                fputc('\n', o.f);
            }
    return fsutil_commit(&o);
}

int predict_write(const data_set *ds, size_t K, const double *post,
                  const double *p, double loglik, const char *dir)
{
    PREF_TRY(fitout_write_posteriors(ds, post, K, dir));
    PREF_TRY(write_choices(ds, K, p, dir));
    char path[4096];
    fsutil_file o;
    PREF_TRY(fsutil_join(path, sizeof path, dir, "summary.csv"));
    PREF_TRY(fsutil_open(&o, path));
    fprintf(o.f, "users,answers,loglik,loglik_per_answer\n%zu,%zu,", ds->n_users,
            ds->n_queries);
    csvio_put_num(o.f, loglik);
    fputc(',', o.f);
    csvio_put_num(o.f, loglik / (double)ds->n_queries);
    fputc('\n', o.f);
    return fsutil_commit(&o);
}
