/* emdpo.c — EM-DPO (see emdpo.h). */
#include "emdpo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "bounds.h"
#include "err.h"
#include "eval.h"
#include "kmeans.h"
#include "mathx.h"
#include "pl.h"
#include "rngs.h"

#define EMDPO_STREAM_M 0x656d5f6dULL  /* M-step generators */
#define EMDPO_STREAM_I 0x656d5f69ULL  /* initialisation */
#define EMDPO_STREAM_R 0x656d5f72ULL  /* reference network */

void emdpo_params_init(emdpo_params *p)
{
    memset(p, 0, sizeof *p);
    p->net.hidden = 32;
    p->net.layers = 1;
    p->net.act = NN_TANH;
    dpo_params_init(&p->dpo);
    p->K = 2;
    p->em_iters = 8;
    p->tol = 1e-3;
    p->patience = 2;
    p->init = EMDPO_INIT_KMEANS;
    p->warm = 0;
    p->threads = 0;
    p->seed = 1;
}

const char *emdpo_params_check(const emdpo_params *p)
{
    if (p->K < 1 || p->K > PREF_MAX_TYPES)
        return "types must be in 1..64 (PREF_MAX_TYPES)";
    if (p->em_iters < 1) return "em_iters must be >= 1";
    if (!(p->tol >= 0 && p->tol < 1)) return "em_tol must be in [0, 1)";
    if (p->patience < 1) return "em_patience must be >= 1";
    if (p->init < 0 || p->init > 2) return "unknown init";
    const char *w = dpo_params_check(&p->dpo);
    if (w) return w;
    nn_config c = p->net;
    if (c.d == 0) c.d = 1;
    return nn_config_check(&c);
}

void emdpo_fit_free(emdpo_fit *f)
{
    if (!f) return;
    free(f->params);
    free(f->ref);
    free(f->eta);
    free(f->post);
    free(f->init_post);
    free(f->tr_loglik);
    free(f->tr_eta);
    free(f->tr_acc);
    free(f->tr_ari);
    free(f);
}

int emdpo_reference(const emdpo_params *p, size_t d, double *ref)
{
    nn_config c = p->net;
    c.d = d;
    gsl_rng *r = rngs_alloc(rngs_seed(p->seed, 0, EMDPO_STREAM_R));
    if (!r) PREF_ERROR(PREF_ENOMEM, "out of memory for the reference network");
    nn_init_params(&c, ref, r);
    gsl_rng_free(r);
    /* Zero output layer: f = 0, the uniform policy, so every policy starts
     * at the reference and only learns what the preferences say. */
    nn_params v;
    nn_point_params(&c, ref, &v);
    size_t in = c.layers ? c.hidden : c.d;
    memset(v.W[c.layers], 0, in * sizeof(double));
    v.b[c.layers][0] = 0.0;
    return PREF_OK;
}

/* ---- initialisation ------------------------------------------------------ */

/* Per-user preference summary: mean over the user's answers of the chosen
 * (rank-1) candidate's features minus the query's mean features. */
static void user_summaries(const data_set *ds, double *s)
{
    size_t d = ds->d;
    for (size_t i = 0; i < ds->n_users; i++) {
        double *si = s + i * d;
        memset(si, 0, d * sizeof(double));
        size_t nq = ds->user_q[i + 1] - ds->user_q[i];
        for (size_t q = ds->user_q[i]; q < ds->user_q[i + 1]; q++) {
            size_t c0 = ds->q_cand[q], m = data_m(ds, q);
            for (size_t j = 0; j < d; j++) {
                double mean = 0.0;
                for (size_t c = 0; c < m; c++) mean += ds->x[(c0 + c) * d + j];
                si[j] += ds->x[c0 * d + j] - mean / (double)m;
            }
        }
        for (size_t j = 0; j < d && nq; j++) si[j] /= (double)nq;
    }
}

int emdpo_initial(const data_set *ds, const emdpo_params *p, double *post)
{
    size_t N = ds->n_users, K = p->K;
    gsl_rng *r = rngs_alloc(rngs_seed(p->seed, 0, EMDPO_STREAM_I));
    if (!r) PREF_ERROR(PREF_ENOMEM, "out of memory");
    int st = PREF_OK;
    if (p->init == EMDPO_INIT_TRUTH) {
        if (!ds->user_type) {
            st = pref_set_error(PREF_EINPUT, "--init truth needs a type column");
        } else {
            for (size_t i = 0; i < N && !st; i++) {
                uint32_t t = ds->user_type[i];
                if (t >= K) {
                    st = pref_set_error(PREF_EINPUT, "--init truth: user %zu has "
                                        "type %u > --types %zu", i + 1, t + 1, K);
                    break;
                }
                for (size_t k = 0; k < K; k++) post[i * K + k] = k == t;
            }
        }
    } else if (p->init == EMDPO_INIT_DIRICHLET) {
        double alpha[PREF_MAX_TYPES];
        for (size_t k = 0; k < K; k++) alpha[k] = 1.0;
        for (size_t i = 0; i < N; i++) gsl_ran_dirichlet(r, K, alpha, post + i * K);
    } else {
        double *s = malloc(N * ds->d * sizeof(double));
        uint32_t *lab = malloc(N * sizeof(uint32_t));
        if (!s || !lab) st = pref_set_error(PREF_ENOMEM, "out of memory");
        if (!st) {
            user_summaries(ds, s);
            st = kmeans_cluster(s, N, ds->d, K, NULL, r, lab, NULL);
        }
        for (size_t i = 0; !st && i < N; i++)
            for (size_t k = 0; k < K; k++) post[i * K + k] = k == lab[i];
        free(s);
        free(lab);
    }
    gsl_rng_free(r);
    return st;
}

/* ---- M- and E-steps ------------------------------------------------------ */

static int n_threads(const emdpo_params *p)
{
#ifdef _OPENMP
    return p->threads > 0 ? p->threads : omp_get_max_threads();
#else
    (void)p;
    return 1;
#endif
}

typedef struct trainers {
    size_t K;
    dpo_trainer **t;
    qpack *pack; /* the data's queries packed, shared by the K trainers;
                    NULL where the data cannot be packed */
} trainers;

static void trainers_free(trainers *ts)
{
    if (!ts->t) return;
    for (size_t k = 0; k < ts->K; k++) dpo_trainer_free(ts->t[k]);
    free(ts->t);
    ts->t = NULL;
    qpack_free(ts->pack);
    ts->pack = NULL;
}

static int trainers_alloc(trainers *ts, const data_set *ds, const emdpo_params *p,
                          size_t K)
{
    nn_config c = p->net;
    c.d = ds->d;
    ts->K = K;
    ts->pack = NULL;
    ts->t = calloc(K, sizeof *ts->t);
    if (!ts->t) PREF_ERROR(PREF_ENOMEM, "out of memory");
    int err;
    ts->pack = qpack_alloc(ds, &err);
    if (!ts->pack && err != PREF_EINPUT) { /* EINPUT: read ds directly */
        trainers_free(ts);
        return err;
    }
    for (size_t k = 0; k < K; k++) {
        ts->t[k] = dpo_trainer_alloc(&c, ds, &p->dpo, &err);
        if (ts->t[k]) err = dpo_trainer_set_pack(ts->t[k], ts->pack);
        if (!ts->t[k] || err) {
            trainers_free(ts);
            return err;
        }
    }
    return PREF_OK;
}

/* Train the K policies on responsibilities w (N, K), from ref unless warm.
 * With a pack the trainers weight each query by its user's column of w;
 * without one qw (K, queries) is their per-query scratch. */
static int mstep(const data_set *ds, const emdpo_params *p, trainers *ts,
                 const double *w, const double *ref, size_t iteration,
                 int warm, double *params, double *qw)
{
    size_t K = ts->K, N = ds->n_users, np;
    nn_config c = p->net;
    c.d = ds->d;
    np = nn_num_params(&c);
    int st = PREF_OK;
    char msg[1024] = "";
#pragma omp parallel for schedule(dynamic, 1) num_threads(n_threads(p))
    for (size_t k = 0; k < K; k++) {
        double *qwk = ts->pack ? NULL : qw + k * ds->n_queries;
        for (size_t i = 0; qwk && i < N; i++)
            for (size_t q = ds->user_q[i]; q < ds->user_q[i + 1]; q++)
                qwk[q] = w[i * K + k];
        double *pk = params + k * np;
        if (!warm) {
            memcpy(pk, ref, np * sizeof(double));
            dpo_trainer_reset(ts->t[k]);
        }
        gsl_rng *r = rngs_alloc(rngs_seed(p->seed, iteration, EMDPO_STREAM_M + k));
        int s = !r ? pref_set_error(PREF_ENOMEM, "out of memory")
              : qwk ? dpo_train(ts->t[k], pk, ds, NULL, ds->n_queries, qwk, r, NULL)
                    : dpo_train_by_user(ts->t[k], pk, ds, w + k, K, r, NULL);
        gsl_rng_free(r);
        if (!s && p->progress) p->progress(p->progress_ctx, 1);
        if (s) {
#pragma omp critical(hetpref_emdpo)
            if (!st) {
                st = s;
                snprintf(msg, sizeof msg, "EM iteration %zu, policy %zu: %s",
                         iteration, k + 1, pref_last_error());
            }
        }
    }
    if (st) PREF_ERROR(st, "%s", msg);
    return PREF_OK;
}

/* Outputs per type that loglik_table keeps: one per distinct row when the
 * pack holds the distinct rows, else one per candidate. */
static size_t n_outputs(const trainers *ts, const data_set *ds)
{
    return ts->pack && ts->pack->x_own ? ts->pack->n_rows : ds->n_cands;
}

/* u[0..m) = beta (f - logp_ref) for the m <= 256 candidates of query q:
 * fk holds one output per candidate, or, when pk is not NULL (a pack
 * holding the distinct rows), one per row of pk. */
static void query_utilities(const data_set *ds, const qpack *pk,
                            const double *fk, size_t q, double beta, double *u)
{
    size_t m = data_m(ds, q);
    if (pk) {
        const uint32_t *rows = qpack_rows(qpack_record(pk, q));
        for (size_t j = 0; j < m; j++)
            u[j] = beta * (fk[rows[j]] -
                           (pk->logp_ref ? pk->logp_ref[rows[j]] : 0.0));
        return;
    }
    size_t c0 = ds->q_cand[q];
    for (size_t j = 0; j < m; j++)
        u[j] = beta * (fk[c0 + j] - (ds->logp_ref ? ds->logp_ref[c0 + j] : 0.0));
}

/* A user's queries and candidate rows up to which loglik_table takes
 * dpo_top1_lse (top-1 data) on the stack. */
enum { LL_QUERIES = 256, LL_ROWS = 2048 };

/* log L_ik for all users and types; f: (K, n_outputs) scratch; la: (N, K).
 * A user whose answers are all top 1 of m (pairs included) within
 * LL_QUERIES and LL_ROWS takes its log-sum-exps from dpo_top1_lse (vector
 * exp and log), log P = u_0 - (mx + log S); others pl_loglik (libm). */
static void loglik_table(const data_set *ds, const emdpo_params *p,
                         trainers *ts, const double *params, size_t np,
                         double *f, double *la)
{
    size_t K = ts->K, N = ds->n_users, nf = n_outputs(ts, ds);
    const qpack *pk = ts->pack && ts->pack->x_own ? ts->pack : NULL;
    double beta = p->dpo.beta;
#pragma omp parallel for schedule(dynamic, 1) num_threads(n_threads(p))
    for (size_t k = 0; k < K; k++) {
        if (pk)
            dpo_forward_rows(ts->t[k], params + k * np, f + k * nf);
        else
            dpo_forward_all(ts->t[k], params + k * np, ds, f + k * nf);
    }
#pragma omp parallel num_threads(n_threads(p))
    {
        double u[256], e[LL_ROWS], mx[LL_QUERIES], S[LL_QUERIES], lg[LL_QUERIES];
#pragma omp for schedule(static)
        for (size_t i = 0; i < N; i++) {
            size_t q0 = ds->user_q[i], q1 = ds->user_q[i + 1];
            size_t r0 = ds->q_cand[q0], n = ds->q_cand[q1] - r0;
            int top1 = q1 - q0 <= LL_QUERIES && n <= LL_ROWS &&
                       dpo_all_top1(ds->q_cand, ds->q_r, q0, q1);
            for (size_t k = 0; k < K; k++) {
                const double *fk = f + k * nf;
                double ll = 0.0;
                if (top1) {
                    for (size_t q = q0; q < q1; q++) {
                        double *eq = e + (ds->q_cand[q] - r0);
                        query_utilities(ds, pk, fk, q, beta, eq);
                        u[q - q0] = eq[0];
                    }
                    dpo_top1_lse(e, ds->q_cand + q0, q1 - q0, mx, S, lg);
                    for (size_t q = 0; q < q1 - q0; q++) ll += u[q] - (mx[q] + lg[q]);
                    la[i * K + k] = ll;
                    continue;
                }
                for (size_t q = q0; q < q1; q++) {
                    query_utilities(ds, pk, fk, q, beta, u);
                    ll += pl_loglik(u, data_m(ds, q), ds->q_r[q]);
                }
                la[i * K + k] = ll;
            }
        }
    }
}

/* Responsibilities from the table and eta; returns the log-likelihood
 * (summed in user order: deterministic). */
static double responsibilities(size_t N, size_t K, const double *la,
                               const double *eta, double *post)
{
    double L = 0.0, a[PREF_MAX_TYPES]; /* K checked by emdpo_params_check */
    for (size_t i = 0; i < N; i++) {
        for (size_t k = 0; k < K; k++) a[k] = log(eta[k]) + la[i * K + k];
        double lse = mathx_logsumexp(a, K);
        L += lse;
        for (size_t k = 0; k < K; k++) post[i * K + k] = exp(a[k] - lse);
    }
    return L;
}

static int check_data(const data_set *ds, size_t K)
{
    if (K > ds->n_users)
        PREF_ERROR(PREF_EINPUT, "--types %zu: more types than users (%zu)", K,
                   ds->n_users);
    for (size_t q = 0; q < ds->n_queries; q++)
        if (data_m(ds, q) > 256)
            PREF_ERROR(PREF_EINPUT, "query %zu has %zu candidates; EM-DPO "
                       "supports up to 256", q + 1, data_m(ds, q));
    return PREF_OK;
}

int emdpo_train_weighted(const data_set *ds, const emdpo_params *p,
                         const double *w, const double *ref, size_t iteration,
                         double *params)
{
    const char *why = emdpo_params_check(p);
    if (why) PREF_ERROR(PREF_EINPUT, "emdpo: %s", why);
    PREF_TRY(check_data(ds, 1));
    nn_config c = p->net;
    c.d = ds->d;
    size_t np = nn_num_params(&c);
    trainers ts = {0};
    double *own = NULL, *qw = NULL;
    if (!ref) ref = own = malloc(np * sizeof(double));
    int st = !ref ? pref_set_error(PREF_ENOMEM, "out of memory") : PREF_OK;
    if (!st && own) st = emdpo_reference(p, ds->d, own);
    if (!st) st = trainers_alloc(&ts, ds, p, p->K);
    if (!st && !ts.pack && !(qw = malloc(p->K * ds->n_queries * sizeof(double))))
        st = pref_set_error(PREF_ENOMEM, "out of memory");
    if (!st) st = mstep(ds, p, &ts, w, ref, iteration, 0, params, qw);
    trainers_free(&ts);
    free(own);
    free(qw);
    return st;
}

/* log L_ik (N, K) of policies params for every user of ds into la. */
static int estep_table(const data_set *ds, const emdpo_params *p,
                       const double *params, double *la)
{
    nn_config c = p->net;
    c.d = ds->d;
    size_t np = nn_num_params(&c), K = p->K;
    PREF_TRY(check_data(ds, 1));
    trainers ts = {0};
    double *f = NULL;
    int st = trainers_alloc(&ts, ds, p, K);
    if (!st && !(f = malloc(K * n_outputs(&ts, ds) * sizeof(double))))
        st = pref_set_error(PREF_ENOMEM, "out of memory");
    if (!st) loglik_table(ds, p, &ts, params, np, f, la);
    trainers_free(&ts);
    free(f);
    return st;
}

int emdpo_estep(const data_set *ds, const emdpo_params *p, const double *params,
                const double *eta, double *post, double *loglik)
{
    double *la = malloc(ds->n_users * p->K * sizeof(double));
    if (!la) PREF_ERROR(PREF_ENOMEM, "out of memory");
    int st = estep_table(ds, p, params, la);
    if (!st) *loglik = responsibilities(ds->n_users, p->K, la, eta, post);
    free(la);
    return st;
}

int emdpo_user_loglik(const data_set *ds, const emdpo_params *p,
                      const double *params, const double *eta, double *ll)
{
    size_t K = p->K;
    double *la = malloc(ds->n_users * K * sizeof(double));
    if (!la) PREF_ERROR(PREF_ENOMEM, "out of memory");
    int st = estep_table(ds, p, params, la);
    double a[PREF_MAX_TYPES]; /* K checked by emdpo_params_check */
    for (size_t i = 0; !st && i < ds->n_users; i++) {
        for (size_t k = 0; k < K; k++) a[k] = log(eta[k]) + la[i * K + k];
        ll[i] = mathx_logsumexp(a, K);
    }
    free(la);
    return st;
}

int emdpo_utilities(const data_set *ds, const emdpo_params *p,
                    const double *params, double *u)
{
    nn_config c = p->net;
    c.d = ds->d;
    size_t np = nn_num_params(&c), K = p->K, n = ds->n_cands;
    trainers ts = {0};
    int st = trainers_alloc(&ts, ds, p, K);
    for (size_t k = 0; !st && k < K; k++) {
        dpo_forward_all(ts.t[k], params + k * np, ds, u + k * n);
        for (size_t j = 0; j < n; j++) /* as loglik_table */
            u[k * n + j] = p->dpo.beta * (u[k * n + j] -
                                          (ds->logp_ref ? ds->logp_ref[j] : 0.0));
    }
    trainers_free(&ts);
    return st;
}

/* ---- the EM driver -------------------------------------------------------- */

static void trace_eval(const data_set *ds, emdpo_fit *f, size_t it,
                       const double *post)
{
    size_t K = f->K, N = ds->n_users;
    f->tr_acc[it] = f->tr_ari[it] = NAN;
    if (!ds->user_type) return;
    f->tr_acc[it] = eval_align(post, N, K, ds->user_type,
                               eval_n_labels(ds->user_type, N), NULL);
    /* out of memory leaves the ARI NaN: a trace entry, not worth failing */
    (void)eval_ari_post(post, N, K, ds->user_type, &f->tr_ari[it]);
}

/* ---- the EM state (alloc / set / iterate / test) ------------------------- */

struct emdpo_em {
    const data_set *ds;
    emdpo_params p;
    emdpo_fit *f;       /* the fit so far (owned until emdpo_em_take) */
    trainers ts;
    double *qw, *fo, *la; /* query weights (K, queries; NULL when the
                             trainers have a pack), outputs (K, n_outputs),
                             log L_ik (N, K) */
    /* the current iterate (the fit holds the best one) */
    double *params, *eta, *post; /* (K, n_params), (K), (N, K) */
    size_t it;          /* EM iterations done */
    size_t calm;        /* consecutive iterations with a change <= tol */
    double prev;        /* log-likelihood of the last iteration (NaN: none) */
};

void emdpo_em_free(emdpo_em *s)
{
    if (!s) return;
    trainers_free(&s->ts);
    emdpo_fit_free(s->f);
    free(s->qw);
    free(s->fo);
    free(s->la);
    free(s->params);
    free(s->eta);
    free(s->post);
    free(s);
}

static emdpo_fit *fit_alloc(size_t K, size_t N, size_t np, size_t I)
{
    emdpo_fit *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->K = K;
    f->n_users = N;
    f->n_params = np;
    f->iters = I;
    f->params = malloc(K * np * sizeof(double));
    f->ref = malloc(np * sizeof(double));
    f->eta = malloc(K * sizeof(double));
    f->post = malloc(N * K * sizeof(double));
    f->init_post = malloc(N * K * sizeof(double));
    f->tr_loglik = malloc((I + 1) * sizeof(double));
    f->tr_eta = malloc((I + 1) * K * sizeof(double));
    f->tr_acc = malloc((I + 1) * sizeof(double));
    f->tr_ari = malloc((I + 1) * sizeof(double));
    if (!f->params || !f->ref || !f->eta || !f->post || !f->init_post ||
        !f->tr_loglik || !f->tr_eta || !f->tr_acc || !f->tr_ari) {
        emdpo_fit_free(f);
        return NULL;
    }
    return f;
}

emdpo_em *emdpo_em_alloc(const data_set *ds, const emdpo_params *p, int *err)
{
    const char *why = emdpo_params_check(p);
    if (why) {
        *err = pref_set_error(PREF_EINPUT, "emdpo: %s", why);
        return NULL;
    }
    if ((*err = check_data(ds, p->K)) != PREF_OK) return NULL;
    size_t K = p->K, N = ds->n_users;
    nn_config c = p->net;
    c.d = ds->d;
    emdpo_em *s = calloc(1, sizeof *s);
    if (s) {
        s->ds = ds;
        s->p = *p;
        s->prev = NAN;
        s->f = fit_alloc(K, N, nn_num_params(&c), p->em_iters);
        s->la = malloc(N * K * sizeof(double));
        s->params = malloc(K * nn_num_params(&c) * sizeof(double));
        s->eta = malloc(K * sizeof(double));
        /* read at random by the trainers (each query's user's weight):
         * huge pages spare those reads the TLB misses */
        s->post = data_huge_alloc(N * K * sizeof(double));
    }
    if (!s || !s->f || !s->la || !s->params || !s->eta || !s->post) {
        emdpo_em_free(s);
        *err = pref_set_error(PREF_ENOMEM, "out of memory");
        return NULL;
    }
    s->f->net = c;
    s->f->beta = p->dpo.beta;
    if ((*err = trainers_alloc(&s->ts, ds, p, K)) != PREF_OK) {
        emdpo_em_free(s);
        return NULL;
    }
    /* per-query weights only where the queries are not packed */
    if (!s->ts.pack) s->qw = malloc(K * ds->n_queries * sizeof(double));
    s->fo = malloc(K * n_outputs(&s->ts, ds) * sizeof(double));
    if ((!s->ts.pack && !s->qw) || !s->fo) {
        emdpo_em_free(s);
        *err = pref_set_error(PREF_ENOMEM, "out of memory");
        return NULL;
    }
    return s;
}

int emdpo_em_set(emdpo_em *s)
{
    emdpo_fit *f = s->f;
    size_t K = f->K, N = f->n_users, np = f->n_params;
    s->it = s->calm = 0;
    s->prev = NAN;
    f->max_decrease = 0.0;
    f->iters = f->best_iter = 0;
    f->converged = 0;
    f->loglik = NAN;
    for (size_t t = 0; t <= s->p.em_iters; t++) {
        f->tr_loglik[t] = f->tr_acc[t] = f->tr_ari[t] = NAN;
        for (size_t k = 0; k < K; k++) f->tr_eta[t * K + k] = NAN;
    }
    PREF_TRY(emdpo_initial(s->ds, &s->p, s->post));
    PREF_TRY(emdpo_reference(&s->p, s->ds->d, f->ref));
    memcpy(f->init_post, s->post, N * K * sizeof(double));
    memcpy(f->post, s->post, N * K * sizeof(double));
    for (size_t k = 0; k < K * np; k++) s->params[k] = f->params[k] = f->ref[k % np];
    for (size_t k = 0; k < K; k++) {
        double sum = 0.0;
        for (size_t i = 0; i < N; i++) sum += s->post[i * K + k];
        s->eta[k] = f->eta[k] = f->tr_eta[k] = sum / (double)N;
    }
    trace_eval(s->ds, f, 0, s->post);
    return PREF_OK;
}

/* After iteration it with log-likelihood L: the convergence count, the
 * largest decrease, and the fit's kept iterate (the best so far). */
static void em_record(emdpo_em *s, size_t it, double L)
{
    emdpo_fit *f = s->f;
    size_t K = f->K, N = f->n_users;
    if (!isnan(s->prev)) {
        if (s->prev - L > f->max_decrease) f->max_decrease = s->prev - L;
        s->calm = fabs(L - s->prev) <= s->p.tol * fabs(L) ? s->calm + 1 : 0;
    }
    if (f->best_iter == 0 || L > f->loglik) {
        f->best_iter = it;
        f->loglik = L;
        memcpy(f->params, s->params, K * f->n_params * sizeof(double));
        memcpy(f->eta, s->eta, K * sizeof(double));
        memcpy(f->post, s->post, N * K * sizeof(double));
    }
    s->prev = L;
    s->it = f->iters = it;
    f->converged = s->p.tol > 0 && s->calm >= s->p.patience;
}

int emdpo_em_iterate(emdpo_em *s)
{
    const emdpo_params *p = &s->p;
    emdpo_fit *f = s->f;
    size_t K = f->K, N = f->n_users, it = s->it + 1;
    if (it > p->em_iters)
        PREF_ERROR(PREF_EINPUT, "EM-DPO: all %zu iterations are done", p->em_iters);
    PREF_TRY(mstep(s->ds, p, &s->ts, s->post, f->ref, it, p->warm && it > 1,
                   s->params, s->qw));
    for (size_t k = 0; k < K; k++) {
        double sum = 0.0;
        for (size_t i = 0; i < N; i++) sum += s->post[i * K + k];
        /* floor keeps log(eta) finite for an emptied type */
        s->eta[k] = sum / (double)N > 1e-12 ? sum / (double)N : 1e-12;
    }
    loglik_table(s->ds, p, &s->ts, s->params, f->n_params, s->fo, s->la);
    double L = responsibilities(N, K, s->la, s->eta, s->post);
    if (!isfinite(L))
        PREF_ERROR(PREF_ENUM, "EM iteration %zu: log-likelihood is not finite "
                   "(training diverged?)", it);
    f->tr_loglik[it] = L;
    memcpy(f->tr_eta + it * K, s->eta, K * sizeof(double));
    trace_eval(s->ds, f, it, s->post);
    em_record(s, it, L);
    return PREF_OK;
}

int emdpo_em_test(const emdpo_em *s)
{
    int converged = s->p.tol > 0 && s->calm >= s->p.patience;
    return converged || s->it >= s->p.em_iters ? PREF_OK : PREF_CONTINUE;
}

size_t emdpo_em_iterations(const emdpo_em *s) { return s->it; }

const emdpo_fit *emdpo_em_fit(const emdpo_em *s) { return s->f; }

emdpo_fit *emdpo_em_take(emdpo_em *s)
{
    emdpo_fit *f = s->f;
    s->f = NULL;
    return f;
}

int emdpo_fit_run(const data_set *ds, const emdpo_params *p, emdpo_fit **out)
{
    *out = NULL;
    int st;
    emdpo_em *s = emdpo_em_alloc(ds, p, &st);
    if (!s) return st;
    st = emdpo_em_set(s);
    while (!st && emdpo_em_test(s) == PREF_CONTINUE) st = emdpo_em_iterate(s);
    if (!st) *out = emdpo_em_take(s);
    emdpo_em_free(s);
    return st;
}
