/* idataio.c — the output tables of `hetpref identify --data` (see
 * idataio.h). */
#include "idataio.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvio.h"
#include "err.h"
#include "fsutil.h"

static int open_in(fsutil_file *o, const char *dir, const char *name)
{
    char path[4096];
    PREF_TRY(fsutil_join(path, sizeof path, dir, name));
    return fsutil_open(o, path);
}

static void put_hist(FILE *f, const char *name, const idata_hist *h)
{
    for (size_t i = 0; i < h->n; i++)
        fprintf(f, "%s,%zu,%zu\n", name, h->value[i], h->count[i]);
}

/* design.csv: statistic,value,count (count empty for a single value). */
static int write_design(const char *dir, const data_set *ds,
                        const idata_design *s)
{
    fsutil_file o;
    PREF_TRY(open_in(&o, dir, "design.csv"));
    FILE *f = o.f;
    char nb[64];
    fprintf(f, "statistic,value,count\nusers,%zu,\nqueries,%zu,\nfeatures,%zu,\n",
            s->n_users, s->n_queries, s->d);
    put_hist(f, "answers_per_user", &s->answers);
    put_hist(f, "m", &s->m);
    put_hist(f, "r", &s->r);
    fprintf(f, "feature_rank,%zu,\ncondition_number,", s->rank);
    csvio_put_num(f, s->cond);
    fputs(",\n", f);
    for (size_t a = 0; a < s->d; a++) {
        fprintf(f, "singular_value_%zu,", a + 1);
        csvio_put_num(f, s->sv[a]);
        fputs(",\n", f);
    }
    if (s->rank < s->d) {
        fputs("collinear_feature,", f);
        csvio_put_text(f, data_feature_name(ds, s->collinear, nb, sizeof nb));
        fputs(",\n", f);
        for (size_t i = 0; i < s->n_with; i++) {
            fputs("collinear_with,", f);
            csvio_put_text(f, data_feature_name(ds, s->with[i], nb, sizeof nb));
            fputs(",\n", f);
        }
    }
    return fsutil_commit(&o);
}

/* fisher.csv: one row per eigenvalue, ascending, with its eigenvector in
 * columns named by parameter. */
static int write_fisher(const char *dir, const data_set *ds,
                        const idata_fisher *fi, const idata_params *p)
{
    size_t D = fi->dim;
    fsutil_file o;
    PREF_TRY(open_in(&o, dir, "fisher.csv"));
    FILE *f = o.f;
    char nb[128];
    const char *method = !fi->users_mc      ? "exact"
                         : !fi->users_exact ? "monte_carlo"
                                            : "exact+monte_carlo";
    fputs("index,eigenvalue,relative,mc_se,method,outcome_limit,mc_draws,"
          "zero,zero_rel", f);
    for (size_t a = 0; a < D; a++) {
        fputc(',', f);
        csvio_put_text(f, idata_param_name(ds, fi->K, a, nb, sizeof nb));
    }
    fputc('\n', f);
    double top = fi->eval[D - 1];
    for (size_t j = 0; j < D; j++) {
        fprintf(f, "%zu,", j + 1);
        csvio_put_num(f, fi->eval[j]);
        fputc(',', f);
        csvio_put_num(f, top > 0 ? fi->eval[j] / top : NAN);
        fputc(',', f);
        csvio_put_num(f, fi->eval_se[j]);
        fprintf(f, ",%s,%zu,%zu,%d,", method, p->exact_max,
                fi->users_mc ? p->mc_draws : (size_t)0,
                fi->eval[j] <= p->zero_rel * top);
        csvio_put_num(f, p->zero_rel);
        for (size_t a = 0; a < D; a++) {
            fputc(',', f);
            csvio_put_num(f, fi->evec[a * D + j]);
        }
        fputc('\n', f);
    }
    return fsutil_commit(&o);
}

static void twin_row(FILE *f, size_t k, const char *par, double a, double b,
                     const idata_twin *t, const idata_params *p)
{
    fprintf(f, "%zu,", k + 1);
    csvio_put_text(f, par);
    fputc(',', f);
    csvio_put_num(f, a);
    fputc(',', f);
    csvio_put_num(f, b);
    fputc(',', f);
    csvio_put_num(f, t->max_diff);
    fputc(',', f);
    csvio_put_num(f, t->distance);
    fprintf(f, ",%s,%d\n", t->joint ? "joint" : "joint_first_queries",
            t->max_diff <= p->twin_equal);
}

/* twin.csv: the fit and its twin, parameter by parameter (long form). */
static int write_twin(const char *dir, const data_set *ds, const idata_twin *t,
                      const double *eta, const double *theta,
                      const idata_params *p)
{
    fsutil_file o;
    PREF_TRY(open_in(&o, dir, "twin.csv"));
    FILE *f = o.f;
    char nb[64], par[80];
    fputs("type,parameter,fit,twin,max_prob_diff,param_distance,law,"
          "indistinguishable\n", f);
    for (size_t k = 0; k < t->K; k++) {
        twin_row(f, k, "weight", eta[k], t->eta[k], t, p);
        for (size_t j = 0; j < t->d; j++) {
            snprintf(par, sizeof par, "theta[%s]",
                     data_feature_name(ds, j, nb, sizeof nb));
            twin_row(f, k, par, theta[k * t->d + j], t->theta[k * t->d + j], t, p);
        }
    }
    return fsutil_commit(&o);
}

static int write_verdict(const char *dir, const idata_design *s,
                         const idata_fisher *fi, const idata_twin *t,
                         const idata_verdict *v, const idataio_run *run)
{
    fsutil_file o;
    PREF_TRY(open_in(&o, dir, "verdict.csv"));
    FILE *f = o.f;
    fputs("verdict,min_rel_eigenvalue,weak_rel,n_zero,zero_rel,feature_rank,"
          "features,twin_max_prob_diff,twin_equal,at,fit_converged,reason,fix\n",
          f);
    fputs(idata_status_name(v->status), f);
    const double rel[] = {v->min_rel, run->p->weak_rel}, zr = run->p->zero_rel;
    const double tw[] = {t ? t->max_diff : NAN, run->p->twin_equal};
    csvio_put_nums(f, rel, 2);
    fprintf(f, ",%zu", fi->n_zero);
    csvio_put_nums(f, &zr, 1);
    fprintf(f, ",%zu,%zu", s->rank, s->d);
    csvio_put_nums(f, tw, 2);
    if (run->estimates) fputs(",estimates,NA,", f);
    else fprintf(f, ",fit,%d,", run->fit_converged);
    csvio_put_text(f, v->reason);
    fputc(',', f);
    csvio_put_text(f, v->fix);
    fputc('\n', f);
    return fsutil_commit(&o);
}

void idataio_put_settings(FILE *f, const idataio_run *run)
{
    const idata_params *p = run->p;
    fprintf(f, "; hetpref identify --data: the inputs and settings of this run\n"
            "; (a record: hetpref identify --config reruns the command in "
            "[provenance])\n; data = %s\n", run->data);
    if (run->estimates)
        fprintf(f, "; estimates = %s\n; types = %zu\n", run->estimates, run->K);
    else
        fprintf(f, "; a latent-class fit as hetpref fit --model lcl\n"
                "; types = %zu\n; starts = %zu\n; fit_seed = %lu\n", run->K,
                run->starts, run->fit_seed);
    fprintf(f, "; outcome_limit = %zu\n; mc_draws = %zu\n; mc_batches = %zu\n"
            "; mc_seed = %llu\n; zero_rel = %.17g\n; weak_rel = %.17g\n"
            "; rank_rel = %.17g\n; twin_delta = %.17g\n; twin_equal = %.17g\n",
            p->exact_max, p->mc_draws, p->mc_batches,
            (unsigned long long)p->seed, p->zero_rel, p->weak_rel, p->rank_rel,
            p->twin_delta, p->twin_equal);
}

int idataio_write(const char *dir, const data_set *ds, const idata_design *s,
                  const idata_fisher *f, const idata_twin *t,
                  const double *eta, const double *theta,
                  const idata_verdict *v, const idataio_run *run)
{
    PREF_TRY(write_design(dir, ds, s));
    PREF_TRY(write_fisher(dir, ds, f, run->p));
    if (t) PREF_TRY(write_twin(dir, ds, t, eta, theta, run->p));
    return write_verdict(dir, s, f, t, v, run);
}
