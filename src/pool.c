/* pool.c — candidate pools per prompt and exact policy evaluation on them
 * (see pool.h).
 *
 * pool_from_data sorts the candidates of all prompted queries by (prompt,
 * item, position) with one qsort over a small key array, then walks the
 * runs: each run of equal (prompt, item) becomes one pool item, and every
 * later member of a run must carry exactly the same features and logp_ref
 * as the first (else PREF_EINPUT naming both queries). The log-reference is
 * renormalised per pool with a max-shifted log-sum-exp.
 *
 * pool_policy_logprobs runs the network pool by pool (so the activation
 * buffer is sized by the largest pool, not the whole set) and turns scores
 * into log-probabilities with a max-shifted log-sum-exp. pool_value_matrix
 * evaluates every policy once and forms the K x K expectations as dot
 * products of contiguous vectors.
 *
 * Not here: reading policies (policyio.c), the min–max game (mmra.c). */
#include "pool.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "mathx.h"

pool_set *pool_alloc(size_t n_prompts, size_t n_items, size_t d, int *err)
{
    if (n_prompts == 0 || n_items == 0 || d == 0)
        return pref_fail_null(err, PREF_EINPUT, "pools: %zu prompts, %zu items, "
                              "d = %zu (need all > 0)", n_prompts, n_items, d);
    if (n_items > SIZE_MAX / sizeof(double) / d)
        return pref_fail_null(err, PREF_EINPUT, "pools: %zu items of %zu "
                              "features do not fit in memory", n_items, d);
    pool_set *ps = calloc(1, sizeof *ps);
    if (!ps) return pref_fail_null(err, PREF_ENOMEM, "out of memory (%zu pools)",
                                   n_prompts);
    ps->n_prompts = n_prompts;
    ps->d = d;
    ps->off = calloc(n_prompts + 1, sizeof *ps->off);
    ps->x = calloc(n_items * d, sizeof *ps->x);
    ps->logp_ref = calloc(n_items, sizeof *ps->logp_ref);
    if (!ps->off || !ps->x || !ps->logp_ref) {
        pool_free(ps);
        return pref_fail_null(err, PREF_ENOMEM, "out of memory (%zu pools, %zu "
                              "items)", n_prompts, n_items);
    }
    if (err) *err = PREF_OK;
    return ps;
}

void pool_free(pool_set *ps)
{
    if (!ps) return;
    free(ps->off);
    free(ps->x);
    free(ps->logp_ref);
    free(ps);
}

/* ---- building from data --------------------------------------------------- */

typedef struct pool_key {
    uint32_t prompt, item;
    size_t cand;   /* candidate index in ds (also the tie-break) */
    size_t query;
} pool_key;

static int key_cmp(const void *a, const void *b)
{
    const pool_key *x = a, *y = b;
    if (x->prompt != y->prompt) return x->prompt < y->prompt ? -1 : 1;
    if (x->item != y->item) return x->item < y->item ? -1 : 1;
    return (x->cand > y->cand) - (x->cand < y->cand);
}

/* The user owning query q (binary search in the CSR offsets). */
static size_t user_of_query(const data_set *ds, size_t q)
{
    size_t lo = 0, hi = ds->n_users;   /* user_q[lo] <= q < user_q[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (ds->user_q[mid] <= q) lo = mid;
        else hi = mid;
    }
    return lo;
}

/* Message for two occurrences a (first) and b of one (prompt, item) that
 * disagree in feature column col (or in logp_ref when col == d). */
static int conflict(const data_set *ds, const pool_key *a, const pool_key *b,
                    size_t col)
{
    char bp[16], bi[16], bq1[16], bu1[16], bq2[16], bu2[16];
    const char *pr = data_label(ds->prompts, a->prompt, bp, sizeof bp);
    const char *it = data_label(ds->items, a->item, bi, sizeof bi);
    const char *q1 = data_label(ds->queries, ds->q_name[a->query], bq1, sizeof bq1);
    const char *q2 = data_label(ds->queries, ds->q_name[b->query], bq2, sizeof bq2);
    const char *u1 = data_label(ds->users, ds->user_name[user_of_query(ds, a->query)],
                                bu1, sizeof bu1);
    const char *u2 = data_label(ds->users, ds->user_name[user_of_query(ds, b->query)],
                                bu2, sizeof bu2);
    if (col < ds->d)
        PREF_ERROR(PREF_EINPUT, "prompt '%s': item '%s' has different features "
                   "in query '%s' of user '%s' and query '%s' of user '%s' "
                   "(column 'x%zu': %.17g vs %.17g); an item id must name one "
                   "candidate of its prompt's pool", pr, it, q1, u1, q2, u2,
                   col + 1, ds->x[a->cand * ds->d + col],
                   ds->x[b->cand * ds->d + col]);
    PREF_ERROR(PREF_EINPUT, "prompt '%s': item '%s' has different logp_ref in "
               "query '%s' of user '%s' and query '%s' of user '%s' (%.17g vs "
               "%.17g)", pr, it, q1, u1, q2, u2, ds->logp_ref[a->cand],
               ds->logp_ref[b->cand]);
}

/* Index of the first column where candidates a and b differ (features,
 * then logp_ref as column d), or SIZE_MAX when they agree. */
static size_t first_difference(const data_set *ds, size_t a, size_t b)
{
    const double *xa = ds->x + a * ds->d, *xb = ds->x + b * ds->d;
    for (size_t j = 0; j < ds->d; j++)
        if (xa[j] != xb[j]) return j;
    if (ds->logp_ref && ds->logp_ref[a] != ds->logp_ref[b]) return ds->d;
    return SIZE_MAX;
}

int pool_from_data(const data_set *ds, pool_set **out)
{
    *out = NULL;
    if (!ds->q_prompt)
        PREF_ERROR(PREF_EINPUT, "queries have no prompt column; --policies "
                   "needs prompts with candidate pools");
    size_t n = 0;
    for (size_t q = 0; q < ds->n_queries; q++)
        if (ds->q_prompt[q] != DATA_NONE) n += data_m(ds, q);
    if (n == 0)
        PREF_ERROR(PREF_EINPUT, "no query has a prompt (the prompt column is "
                   "empty); --policies needs prompts with candidate pools");
    pool_key *keys = malloc(n * sizeof *keys);
    if (!keys) PREF_ERROR(PREF_ENOMEM, "out of memory (%zu pool keys)", n);
    size_t k = 0;
    for (size_t q = 0; q < ds->n_queries; q++) {
        if (ds->q_prompt[q] == DATA_NONE) continue;
        for (size_t c = ds->q_cand[q]; c < ds->q_cand[q + 1]; c++) {
            keys[k].prompt = ds->q_prompt[q];
            keys[k].item = ds->c_item[c];
            keys[k].cand = c;
            keys[k].query = q;
            k++;
        }
    }
    qsort(keys, n, sizeof *keys, key_cmp);

    /* Count pools and items; check that repeated items agree. */
    size_t n_prompts = 0, n_items = 0, first = 0;
    for (size_t i = 0; i < n; i++) {
        int new_prompt = i == 0 || keys[i].prompt != keys[i - 1].prompt;
        if (new_prompt || keys[i].item != keys[i - 1].item) {
            first = i;
            n_items++;
            n_prompts += new_prompt;
            continue;
        }
        size_t col = first_difference(ds, keys[first].cand, keys[i].cand);
        if (col != SIZE_MAX) {
            int st = conflict(ds, &keys[first], &keys[i], col);
            free(keys);
            return st;
        }
    }

    int err;
    pool_set *ps = pool_alloc(n_prompts, n_items, ds->d, &err);
    if (!ps) {
        free(keys);
        return err;
    }
    size_t p = 0, y = 0;
    for (size_t i = 0; i < n; i++) {
        int new_prompt = i == 0 || keys[i].prompt != keys[i - 1].prompt;
        if (!new_prompt && keys[i].item == keys[i - 1].item) continue;
        if (new_prompt && i > 0) ps->off[++p] = y;
        memcpy(ps->x + y * ds->d, ds->x + keys[i].cand * ds->d,
               ds->d * sizeof(double));
        ps->logp_ref[y] = ds->logp_ref ? ds->logp_ref[keys[i].cand] : 0.0;
        y++;
    }
    ps->off[n_prompts] = n_items;
    free(keys);

    /* log pi_ref = logp_ref - log sum exp logp_ref, per pool. */
    for (p = 0; p < n_prompts; p++) {
        double *lr = ps->logp_ref + ps->off[p];
        size_t m = ps->off[p + 1] - ps->off[p];
        if (m == 0) continue;
        double lse = mathx_logsumexp(lr, m);
        for (size_t j = 0; j < m; j++) lr[j] -= lse;
    }
    *out = ps;
    return PREF_OK;
}

/* ---- policies on pools ------------------------------------------------------ */

static size_t largest_pool(const pool_set *ps)
{
    size_t m = 0;
    for (size_t p = 0; p < ps->n_prompts; p++)
        if (ps->off[p + 1] - ps->off[p] > m) m = ps->off[p + 1] - ps->off[p];
    return m;
}

size_t pool_work_size(const pool_set *ps, const nn_config *net)
{
    return nn_acts_size(net, largest_pool(ps));
}

int pool_policy_logprobs(const pool_set *ps, const nn_config *net,
                         const double *params, double *logp, double *work)
{
    if (net->d != ps->d)
        PREF_ERROR(PREF_EINPUT, "policy takes %zu features but the pools have "
                   "%zu", net->d, ps->d);
    for (size_t p = 0; p < ps->n_prompts; p++) {
        size_t o = ps->off[p], m = ps->off[p + 1] - o;
        if (m == 0) continue;
        double *f = logp + o;
        nn_forward(net, params, ps->x + o * ps->d, m, work, f);
        for (size_t j = 0; j < m; j++)
            if (!isfinite(f[j]))
                PREF_ERROR(PREF_ENUM, "policy network output is not finite "
                           "(pool %zu, item %zu)", p + 1, j + 1);
        double lse = mathx_logsumexp(f, m);
        for (size_t j = 0; j < m; j++) f[j] -= lse;
    }
    return PREF_OK;
}

int pool_value_matrix(const pool_set *ps, const policy_set *pols, double *L)
{
    if (pols->net.d != ps->d)
        PREF_ERROR(PREF_EINPUT, "policies take d = %zu features but the data "
                   "have %zu", pols->net.d, ps->d);
    size_t K = pols->K, n = pool_n_items(ps);
    size_t nw = pool_work_size(ps, &pols->net);
    if (K > SIZE_MAX / sizeof(double) / n - 1)
        PREF_ERROR(PREF_ENOMEM, "out of memory (%zu policies x %zu items)", K, n);
    double *lp = malloc((K + 1) * n * sizeof *lp);
    double *work = malloc((nw ? nw : 1) * sizeof *work);
    if (!lp || !work) {
        free(lp);
        free(work);
        PREF_ERROR(PREF_ENOMEM, "out of memory (%zu policies x %zu items)", K, n);
    }
    double *pj = lp + K * n;  /* pi_j(y | p) for the current j */
    int st = PREF_OK;
    for (size_t k = 0; k < K && !st; k++)
        st = pool_policy_logprobs(ps, &pols->net,
                                  pols->params + k * pols->n_params, lp + k * n,
                                  work);
    const double *ref = ps->logp_ref;
    for (size_t j = 0; j < K && !st; j++) {
        for (size_t y = 0; y < n; y++) pj[y] = exp(lp[j * n + y]);
        for (size_t i = 0; i < K; i++) {
            const double *li = lp + i * n;  /* log pi_i */
            double s = 0;
            for (size_t y = 0; y < n; y++) s += pj[y] * (li[y] - ref[y]);
            L[i * K + j] = s / (double)ps->n_prompts;
        }
    }
    free(lp);
    free(work);
    return st;
}
