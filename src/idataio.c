/* idataio.c — estimates.csv reader (wide and long forms) and the output
 * tables of `hetpref identify --data` (see idataio.h). */
#include "idataio.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "csvio.h"
#include "csvrec.h"
#include "err.h"
#include "fsutil.h"
#include "numparse.h"

/* ---- reading estimates ------------------------------------------------- */

typedef struct est_rd {
    csvrec *cr;
    const data_set *ds;
    size_t d;
    int longform;
    size_t c_type, c_weight, c_par, c_est; /* columns */
    size_t *c_theta;        /* (d) wide form: the column of feature j */
    size_t K;
    double eta[PREF_MAX_TYPES];
    double *theta;          /* (PREF_MAX_TYPES, d) */
    unsigned char *seen;    /* (PREF_MAX_TYPES, d + 1): theta_j..., weight */
} est_rd;

/* The feature named name[0..len) (or -1). */
static long feature_index(const data_set *ds, const char *name, size_t len)
{
    char buf[64];
    for (size_t j = 0; j < ds->d; j++) {
        const char *f = data_feature_name(ds, j, buf, sizeof buf);
        if (strlen(f) == len && !memcmp(f, name, len)) return (long)j;
    }
    return -1;
}

/* The feature of a column or parameter "theta[<name>]" or "theta<j>"
 * (1-based; its index may be d or more), or -1 when s is neither; -2 when
 * the name is no feature of ds. */
static long theta_feature(const data_set *ds, const char *s)
{
    if (strncmp(s, "theta", 5)) return -1;
    s += 5;
    size_t n = strlen(s);
    if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
        long j = feature_index(ds, s + 1, n - 2);
        return j < 0 ? -2 : j;
    }
    if (n == 0 || n > 6 || strspn(s, "0123456789") != n || s[0] == '0') return -1;
    return strtol(s, NULL, 10) - 1; /* may be >= d: a count mismatch */
}

/* A comma-separated list of the data's features into buf. */
static const char *feature_list(const data_set *ds, char *buf, size_t n)
{
    size_t used = 0;
    char nb[64];
    buf[0] = '\0';
    for (size_t j = 0; j < ds->d; j++) {
        int w = snprintf(buf + used, n - used, "%s%s", j ? ", " : "",
                         data_feature_name(ds, j, nb, sizeof nb));
        if (w < 0 || (size_t)w >= n - used) break;
        used += (size_t)w;
    }
    return buf;
}

static int est_header(est_rd *r, const csvrec_record *rec)
{
    size_t none = (size_t)-1, nth = 0;
    char fl[512];
    r->c_type = r->c_weight = r->c_par = r->c_est = none;
    for (size_t c = 0; c < rec->nf; c++) {
        const char *s = csvrec_field(rec, c, NULL);
        long j = theta_feature(r->ds, s);
        if (!strcmp(s, "type")) r->c_type = c;
        else if (!strcmp(s, "weight")) r->c_weight = c;
        else if (!strcmp(s, "parameter")) r->c_par = c;
        else if (!strcmp(s, "estimate")) r->c_est = c;
        else if (j == -2 || (j >= 0 && (size_t)j != nth))
            return csvrec_error(r->cr, rec->line, "column '%s' does not match "
                                "the data's feature %zu of %zu (features: %s)",
                                s, nth + 1, r->d,
                                feature_list(r->ds, fl, sizeof fl));
        else if (j >= 0 && (size_t)j < r->d) r->c_theta[nth++] = c;
        else if (j >= 0) nth++;
    }
    r->longform = r->c_par != none && r->c_est != none;
    if (r->c_type == none || (!r->longform && r->c_weight == none))
        return csvrec_error(r->cr, rec->line, "not an estimates file: expected "
                            "the columns type,weight,theta1..thetad or "
                            "type,parameter,estimate");
    if (!r->longform && nth != r->d)
        return csvrec_error(r->cr, rec->line, "%zu coefficients per type but "
                            "the data have %zu features (%s)", nth, r->d,
                            feature_list(r->ds, fl, sizeof fl));
    return PREF_OK;
}

static int est_number(est_rd *r, const csvrec_record *rec, size_t c,
                      const char *what, double *out)
{
    size_t len;
    const char *s = csvrec_field(rec, c, &len);
    if (numparse_double(s, len, out))
        return csvrec_error(r->cr, rec->line, "%s '%s' is not a finite number",
                            what, s);
    return PREF_OK;
}

/* Store value v for type k, parameter j (j = d: the weight). */
static int est_store(est_rd *r, size_t line, size_t k, size_t j, double v)
{
    unsigned char *seen = r->seen + k * (r->d + 1) + j;
    if (*seen) return csvrec_error(r->cr, line, "type %zu: parameter given twice",
                                   k + 1);
    *seen = 1;
    if (j == r->d) r->eta[k] = v;
    else r->theta[k * r->d + j] = v;
    if (k + 1 > r->K) r->K = k + 1;
    return PREF_OK;
}

static int est_row(est_rd *r, const csvrec_record *rec)
{
    size_t need = r->c_type;
    size_t cols[] = {r->c_weight, r->c_par, r->c_est};
    for (size_t i = 0; i < 3; i++)
        if (cols[i] != (size_t)-1 && cols[i] > need) need = cols[i];
    for (size_t j = 0; !r->longform && j < r->d; j++)
        if (r->c_theta[j] > need) need = r->c_theta[j];
    if (rec->nf <= need)
        return csvrec_error(r->cr, rec->line, "%zu fields, fewer than the header",
                            rec->nf);
    const char *ts = csvrec_field(rec, r->c_type, NULL);
    size_t tl = strlen(ts);
    if (tl == 0 || tl > 2 || strspn(ts, "0123456789") != tl || atoi(ts) < 1 ||
        atoi(ts) > PREF_MAX_TYPES)
        return csvrec_error(r->cr, rec->line, "type '%s' is not a number in "
                            "1..%d", ts, PREF_MAX_TYPES);
    size_t k = (size_t)atoi(ts) - 1;
    double v;
    if (!r->longform) {
        PREF_TRY(est_number(r, rec, r->c_weight, "weight", &v));
        PREF_TRY(est_store(r, rec->line, k, r->d, v));
        for (size_t j = 0; j < r->d; j++) {
            PREF_TRY(est_number(r, rec, r->c_theta[j], "coefficient", &v));
            PREF_TRY(est_store(r, rec->line, k, j, v));
        }
        return PREF_OK;
    }
    const char *par = csvrec_field(rec, r->c_par, NULL);
    long j = theta_feature(r->ds, par);
    if (!strcmp(par, "weight")) j = (long)r->d;
    else if (j >= (long)r->d) j = -1;
    char fl[512];
    if (j < 0)
        return csvrec_error(r->cr, rec->line, "parameter '%s' is neither weight "
                            "nor theta[<feature>] of the data (features: %s)",
                            par, feature_list(r->ds, fl, sizeof fl));
    PREF_TRY(est_number(r, rec, r->c_est, "estimate", &v));
    return est_store(r, rec->line, k, (size_t)j, v);
}

/* Every type 1..K complete, weights positive and summing to 1. */
static int est_complete(est_rd *r)
{
    const char *path = csvrec_name(r->cr);
    char nb[64];
    if (r->K == 0) PREF_ERROR(PREF_EINPUT, "%s: no estimates", path);
    double sum = 0.0;
    for (size_t k = 0; k < r->K; k++) {
        for (size_t i = 0; i <= r->d; i++) {
            size_t j = (i + r->d) % (r->d + 1); /* the weight first */
            if (!r->seen[k * (r->d + 1) + j])
                PREF_ERROR(PREF_EINPUT, "%s: type %zu of %zu has no %s%s%s", path,
                           k + 1, r->K, j == r->d ? "weight" : "theta[",
                           j == r->d ? "" : data_feature_name(r->ds, j, nb, sizeof nb),
                           j == r->d ? "" : "]");
        }
        if (!(r->eta[k] > 0))
            PREF_ERROR(PREF_EINPUT, "%s: type %zu has weight %g (need > 0)", path,
                       k + 1, r->eta[k]);
        sum += r->eta[k];
    }
    if (fabs(sum - 1.0) > 1e-6)
        PREF_ERROR(PREF_EINPUT, "%s: the weights sum to %.17g, not 1", path, sum);
    for (size_t k = 0; k < r->K; k++) r->eta[k] /= sum;
    return PREF_OK;
}

static int est_records(est_rd *r)
{
    const csvrec_record *rec;
    int st, header = 1;
    while (!(st = csvrec_next(r->cr, &rec)) && rec) {
        st = header ? est_header(r, rec) : est_row(r, rec);
        header = 0;
        if (st) return st;
    }
    if (!st && header) PREF_ERROR(PREF_EINPUT, "%s: empty file", csvrec_name(r->cr));
    return st ? st : est_complete(r);
}

int idataio_read_estimates(const char *path, const data_set *ds, size_t *K,
                           double **eta, double **theta)
{
    *eta = *theta = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) PREF_ERROR(PREF_EINPUT, "%s: cannot open the estimates file", path);
    size_t d = ds->d;
    est_rd r = {.ds = ds, .d = d};
    r.c_theta = calloc(d + 1, sizeof(size_t));
    r.theta = calloc(PREF_MAX_TYPES * d + 1, sizeof(double));
    r.seen = calloc(PREF_MAX_TYPES * (d + 1), 1);
    int st = r.c_theta && r.theta && r.seen
                 ? PREF_OK : pref_set_error(PREF_ENOMEM, "out of memory");
    if (!st) r.cr = csvrec_alloc(f, path, 0, ',', &st);
    if (!st) st = est_records(&r);
    csvrec_free(r.cr);
    fclose(f);
    if (!st) {
        *eta = malloc(r.K * sizeof(double));
        *theta = malloc(r.K * d * sizeof(double));
        if (!*eta || !*theta) {
            free(*eta);
            free(*theta);
            *eta = *theta = NULL;
            st = pref_set_error(PREF_ENOMEM, "out of memory");
        }
    }
    if (!st) {
        memcpy(*eta, r.eta, r.K * sizeof(double));
        memcpy(*theta, r.theta, r.K * d * sizeof(double));
        *K = r.K;
    }
    free(r.c_theta);
    free(r.theta);
    free(r.seen);
    return st;
}

/* ---- writing ------------------------------------------------------------ */

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
