/* idata.c — the design summary, the verdict and the parameter names of
 * idata.h; the information and the twin are in idata_law.c.
 * Not here: files (idataio.c), fits (mix.c). */
#include "idata.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

#include "err.h"

void idata_params_init(idata_params *p)
{
    p->exact_max = 4096;
    p->mc_draws = 4000;
    p->mc_batches = 10;
    p->zero_rel = 1e-9;
    p->weak_rel = 1e-2;
    p->rank_rel = 1e-9;
    p->twin_delta = 0.5;
    p->twin_equal = 1e-12;
    p->twin_iter = 3000;
    p->seed = 1;
}

const char *idata_params_check(const idata_params *p)
{
    if (p->exact_max < 1) return "exact_max must be at least 1";
    if (p->mc_batches < 2) return "mc_batches must be at least 2";
    if (p->mc_draws < p->mc_batches) return "mc_draws must be >= mc_batches";
    if (!(p->zero_rel > 0 && p->zero_rel < 1)) return "zero_rel must be in (0, 1)";
    if (!(p->weak_rel >= p->zero_rel && p->weak_rel < 1))
        return "weak_rel must be in [zero_rel, 1)";
    if (!(p->rank_rel > 0 && p->rank_rel < 1)) return "rank_rel must be in (0, 1)";
    if (!(p->twin_delta > 0 && isfinite(p->twin_delta)))
        return "twin_delta must be > 0";
    if (!(p->twin_equal >= 0)) return "twin_equal must be >= 0";
    return NULL;
}

const char *idata_status_name(idata_status s)
{
    return s == IDATA_IDENTIFIED ? "identified"
           : s == IDATA_WEAK     ? "weakly_identified"
                                 : "not_identified";
}

const char *idata_param_name(const data_set *ds, size_t K, size_t a,
                             char *buf, size_t n)
{
    size_t d = ds->d;
    if (a < K * d) {
        char fb[64];
        snprintf(buf, n, "theta_%zu[%s]", a / d + 1,
                 data_feature_name(ds, a % d, fb, sizeof fb));
    } else {
        snprintf(buf, n, "eta_%zu", a - K * d + 1);
    }
    return buf;
}

/* ---- design summary ----------------------------------------------------- */

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* The distribution of v[0..n) into h (v is sorted in place). */
static int hist_make(size_t *v, size_t n, idata_hist *h)
{
    qsort(v, n, sizeof *v, cmp_size);
    h->value = malloc((n ? n : 1) * sizeof(size_t));
    h->count = malloc((n ? n : 1) * sizeof(size_t));
    if (!h->value || !h->count)
        return pref_set_error(PREF_ENOMEM, "out of memory");
    h->n = 0;
    for (size_t i = 0; i < n; i++) {
        if (h->n && h->value[h->n - 1] == v[i]) {
            h->count[h->n - 1]++;
        } else {
            h->value[h->n] = v[i];
            h->count[h->n++] = 1;
        }
    }
    return PREF_OK;
}

void idata_design_free(idata_design *s)
{
    if (!s) return;
    free(s->answers.value);
    free(s->answers.count);
    free(s->m.value);
    free(s->m.count);
    free(s->r.value);
    free(s->r.count);
    free(s->sv);
    free(s->with);
    memset(s, 0, sizeof *s);
}

static int design_hists(const data_set *ds, idata_design *s)
{
    size_t n = ds->n_users > ds->n_queries ? ds->n_users : ds->n_queries;
    size_t *v = malloc((n ? n : 1) * sizeof(size_t));
    if (!v) return pref_set_error(PREF_ENOMEM, "out of memory");
    for (size_t i = 0; i < ds->n_users; i++)
        v[i] = ds->user_q[i + 1] - ds->user_q[i];
    int st = hist_make(v, ds->n_users, &s->answers);
    for (size_t q = 0; !st && q < ds->n_queries; q++) v[q] = data_m(ds, q);
    if (!st) st = hist_make(v, ds->n_queries, &s->m);
    for (size_t q = 0; !st && q < ds->n_queries; q++) v[q] = ds->q_r[q];
    if (!st) st = hist_make(v, ds->n_queries, &s->r);
    free(v);
    return st;
}

/* Name the collinear features from the first null right singular vector
 * (column rank of V). */
static void design_collinear(const gsl_matrix *V, idata_design *s)
{
    size_t d = s->d, c = s->rank, big = 0;
    for (size_t j = 1; j < d; j++)
        if (fabs(gsl_matrix_get(V, j, c)) > fabs(gsl_matrix_get(V, big, c)))
            big = j;
    s->collinear = big;
    s->n_with = 0;
    double vmax = fabs(gsl_matrix_get(V, big, c));
    for (size_t j = 0; j < d; j++)
        if (j != big && fabs(gsl_matrix_get(V, j, c)) > 1e-6 * vmax)
            s->with[s->n_with++] = j;
}

/* Singular values of the within-query centred features (rows padded with
 * zeros up to d so that GSL's M >= N holds). */
static int design_svd(const data_set *ds, const idata_params *p,
                      idata_design *s)
{
    size_t d = ds->d, rows = ds->n_cands > d ? ds->n_cands : d;
    gsl_matrix *A = gsl_matrix_calloc(rows, d);
    gsl_matrix *V = gsl_matrix_alloc(d, d);
    gsl_vector *S = gsl_vector_alloc(d), *w = gsl_vector_alloc(d);
    int st = PREF_OK;
    if (!A || !V || !S || !w) {
        st = pref_set_error(PREF_ENOMEM, "out of memory for the design SVD");
        goto done;
    }
    for (size_t q = 0; q < ds->n_queries; q++) {
        size_t c0 = ds->q_cand[q], m = data_m(ds, q);
        for (size_t a = 0; a < d; a++) {
            double mean = 0.0;
            for (size_t j = 0; j < m; j++) mean += ds->x[(c0 + j) * d + a];
            mean /= (double)m;
            for (size_t j = 0; j < m; j++)
                gsl_matrix_set(A, c0 + j, a, ds->x[(c0 + j) * d + a] - mean);
        }
    }
    if (gsl_linalg_SV_decomp(A, V, S, w)) {
        st = pref_set_error(PREF_ENUM, "the SVD of the design features failed");
        goto done;
    }
    double smax = gsl_vector_get(S, 0);
    s->rank = 0;
    for (size_t a = 0; a < d; a++) {
        s->sv[a] = gsl_vector_get(S, a);
        if (smax > 0 && s->sv[a] > p->rank_rel * smax) s->rank++;
    }
    s->cond = s->rank == d ? smax / s->sv[d - 1] : INFINITY;
    if (s->rank < d) design_collinear(V, s);
done:
    gsl_matrix_free(A);
    gsl_matrix_free(V);
    gsl_vector_free(S);
    gsl_vector_free(w);
    return st;
}

int idata_design_summary(const data_set *ds, const idata_params *p,
                         idata_design *out)
{
    memset(out, 0, sizeof *out);
    const char *why = idata_params_check(p);
    if (why) PREF_ERROR(PREF_EINPUT, "identify: %s", why);
    out->n_users = ds->n_users;
    out->n_queries = ds->n_queries;
    out->d = ds->d;
    out->sv = calloc(ds->d, sizeof(double));
    out->with = calloc(ds->d, sizeof(size_t));
    if (!out->sv || !out->with)
        return pref_set_error(PREF_ENOMEM, "out of memory");
    int st = design_hists(ds, out);
    if (!st) st = design_svd(ds, p, out);
    if (st) idata_design_free(out);
    return st;
}

/* ---- verdict ------------------------------------------------------------ */

/* The largest components of eigenvector j (|v| >= 0.3 max, at most 4),
 * named, into buf. */
static void flat_names(const data_set *ds, const idata_fisher *f, size_t j,
                       char *buf, size_t n)
{
    size_t D = f->dim, used = 0, shown = 0;
    double vmax = 0.0;
    for (size_t a = 0; a < D; a++)
        if (fabs(f->evec[a * D + j]) > vmax) vmax = fabs(f->evec[a * D + j]);
    buf[0] = '\0';
    for (size_t a = 0; a < D && shown < 4; a++) {
        if (fabs(f->evec[a * D + j]) < 0.3 * vmax) continue;
        char nb[128];
        idata_param_name(ds, f->K, a, nb, sizeof nb);
        int w = snprintf(buf + used, n - used, "%s%s", shown ? ", " : "", nb);
        if (w < 0 || (size_t)w >= n - used) break;
        used += (size_t)w;
        shown++;
    }
}

/* What would give more information, from the design's shape. */
static void fix_design(const idata_design *s, char *buf, size_t n)
{
    int pairs = s->m.n && s->m.value[s->m.n - 1] == 2;
    int single = s->answers.n && s->answers.value[0] == 1;
    if (pairs && single)
        snprintf(buf, n, "ask for the best of 3 instead of pairs, or two answers "
                 "per user");
    else if (pairs)
        snprintf(buf, n, "ask for the best of 3 instead of pairs");
    else if (single)
        snprintf(buf, n, "two answers per user");
    else
        snprintf(buf, n, "more answers per user or more candidates per query");
}

static void verdict_collinear(const data_set *ds, const idata_design *s,
                              idata_verdict *v)
{
    char nbuf[64], with[512] = "", nb[64];
    size_t used = 0;
    const char *name = data_feature_name(ds, s->collinear, nbuf, sizeof nbuf);
    for (size_t i = 0; i < s->n_with; i++) {
        int w = snprintf(with + used, sizeof with - used, "%s%s", i ? ", " : "",
                         data_feature_name(ds, s->with[i], nb, sizeof nb));
        if (w < 0 || (size_t)w >= sizeof with - used) break;
        used += (size_t)w;
    }
    char what[640];
    if (s->n_with)
        snprintf(what, sizeof what, "feature %s is collinear with %s", name, with);
    else
        snprintf(what, sizeof what, "feature %s does not vary within any query",
                 name);
    snprintf(v->reason, sizeof v->reason, "the within-query differences of the "
             "features have rank %zu < %zu: %s", s->rank, s->d, what);
    snprintf(v->fix, sizeof v->fix, "%s: drop it or vary it independently", what);
}

void idata_verdict_make(const data_set *ds, const idata_design *s,
                        const idata_fisher *f, const idata_twin *t,
                        const idata_params *p, idata_verdict *v)
{
    memset(v, 0, sizeof *v);
    size_t D = f->dim;
    double top = f->eval[D - 1];
    v->min_rel = top > 0 ? f->eval[0] / top : 0.0;
    char flat[512];
    flat_names(ds, f, 0, flat, sizeof flat);
    v->status = IDATA_NOT;
    int single_pairs = s->m.n == 1 && s->m.value[0] == 2 && s->answers.n == 1 &&
                       s->answers.value[0] == 1;
    if (s->rank < s->d) {
        verdict_collinear(ds, s, v);
        return;
    }
    if (f->n_zero) {
        if (single_pairs)
            snprintf(v->reason, sizeof v->reason, "each user answers a single "
                     "pair, which shows only the odd part of the type "
                     "distribution: the information has %zu flat direction(s) "
                     "(%s)", f->n_zero, flat);
        else
            snprintf(v->reason, sizeof v->reason, "the expected information has "
                     "%zu flat direction(s) (%s): the answers do not determine "
                     "the parameters along them", f->n_zero, flat);
        fix_design(s, v->fix, sizeof v->fix);
    } else if (t && t->max_diff <= p->twin_equal) {
        snprintf(v->reason, sizeof v->reason, "a mixture at parameter distance "
                 "%.3g has the same answer law on these queries (largest "
                 "difference %.3g)", t->distance, t->max_diff);
        fix_design(s, v->fix, sizeof v->fix);
    } else if (v->min_rel <= p->weak_rel) {
        v->status = IDATA_WEAK;
        snprintf(v->reason, sizeof v->reason, "the smallest eigenvalue of the "
                 "information is %.3g of the largest (threshold %g): the "
                 "flattest direction is %s", v->min_rel, p->weak_rel, flat);
        fix_design(s, v->fix, sizeof v->fix);
    } else {
        v->status = IDATA_IDENTIFIED;
        snprintf(v->reason, sizeof v->reason, "the expected information has "
                 "full rank %zu; smallest / largest eigenvalue %.3g", D,
                 v->min_rel);
    }
}
