/* dpo.c — weighted Plackett–Luce DPO loss and its Adam minibatch trainer
 * (see dpo.h).
 *
 * What it does. dpo_block_loss turns network outputs into DPO implicit
 * rewards u = beta (f - logp_ref) query by query and evaluates the
 * Plackett–Luce kernel pl_loglik_du on them (Rafailov et al. 2023, eq. 7,
 * with the Bradley–Terry term replaced by Plackett–Luce as in their
 * Appendix A.3):
 *
 *   L = - sum_q w_q log P_PL(o_q | u_q),   dL/df_c = - w_q beta dlogP/du_c.
 *
 * Top-1 answers (pairs included), the common case, go through the same
 * formulas 64 queries at a time: one vecops_expneg call for all their
 * candidates' exps and one vecops_log call for all their normalisers
 * (dpo_top1_lse), instead of libm's exp and log per candidate: the loss
 * and the E-step's likelihoods went from ~15% of an EM-DPO iteration's
 * profile to ~4% (bench/README.md). The results agree with pl_loglik_du's
 * to rounding (tests/test_dpo.c), not bit for bit.
 *
 * The trainer shuffles the query list every epoch (Fisher–Yates), gathers
 * each minibatch's candidates into one contiguous (n, d) block, and runs
 * nn_forward, dpo_block_loss, nn_backward and adam_step on it. The gradient
 * of a step is that of L_batch / n_batch (the batch mean of w_q * loss_q, a
 * stochastic estimate of the per-query average of the total weighted loss),
 * so each minibatch weighs in proportion to its responsibilities; not
 * L_batch / sum_batch(w), which would inflate batches of tiny
 * responsibilities. The loss *reported* for an epoch is, as dpo.h says, the
 * mean over its minibatches of L_batch / sum_batch(w) (minibatches whose
 * weights sum to 0 are left out of that mean).
 *
 * A trainer given a pack of the data set (dpo_trainer_set_pack, qpack.h)
 * gathers from its records instead: one 32-byte record per query (for
 * m = 3) and rows from the table of distinct rows, where the data set's
 * layout costs up to six random cache lines per query; the block, hence
 * every bit after it, is the same. Through the pack a query may also take
 * its user's weight (dpo_train_by_user), and dpo_forward_all evaluates each
 * distinct row once. At 10^6 users the pack took a quarter to a third off
 * an EM-DPO fit's user CPU (bench/README.md, "Packed queries").
 *
 * dpo_train ignores n_q when qidx is NULL (all queries), and leaves *loss
 * unwritten when it fails; the parameters are then those of the failing
 * step. dpo_trainer_alloc returns NULL with *err = PREF_EINPUT (message
 * saying why) for an invalid c or p, or a block that would exceed CBLAS's
 * int dimensions, and with *err = PREF_ENOMEM when memory runs out.
 *
 * Every buffer is sized in dpo_trainer_alloc (batch * max m candidate rows,
 * the query order, Adam moments; set_pack the outputs per distinct row);
 * train, total_loss, forward_all and forward_rows never allocate. Everything is sequential, so the same rng state, inputs and
 * parameters give identical bits.
 *
 * With precision DPO_SINGLE a step converts the parameters and the gathered
 * features to float, runs the network pass in float (nnf.h) and converts
 * f back and dL/df in: the loss, the gradient sum handed to Adam and the
 * parameters stay double (mixed precision, as PyTorch's autocast keeps float32
 * master weights under float16). dpo_total_loss and dpo_forward_all, which
 * evaluate a policy rather than train it, always run in double.
 *
 * What it deliberately does not do: EM or responsibilities (emdpo), skip
 * zero-weight queries (that would change the batch composition, hence the
 * results; their gradient is 0 anyway), learning-rate schedules, or early
 * stopping. dpo_block_loss also accepts df = NULL (loss only). */
#include "dpo.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "mathx.h"
#include "nnf.h"
#include "pl.h"
#include "vecops.h"
#include "vecopsf.h"

/* Queries with at most this many candidates go through pl_loglik_du on a
 * stack copy of their utilities; longer ones use the in-place evaluation
 * below (dpo_block_loss has no workspace argument). */
#define DPO_STACK_M 256

/* Loss and gradient of one long query (m > DPO_STACK_M) in place: on entry
 * u[0..m) holds the utilities, on exit dlogP/du; returns log P. Same formula
 * as pl.c, d logP/du_j = [j < r] - sum_{s < r, s <= j} exp(u_j - LSE_s),
 * evaluated in one forward sweep: the running A_k = log sum_{s<=k} exp(-LSE_s)
 * turns the inner sum into exp(u_j + A_{min(j, r-1)}), and u_j is overwritten
 * only after every LSE_s that needs it (s <= j) has been computed. O(m r). */
static double dpo_pl_inplace(double *u, size_t m, size_t r)
{
    if (r >= m) r = m - 1;
    double ll = 0.0, A = -INFINITY;
    for (size_t s = 0; s < m; s++) {
        if (s < r) {
            double lse = mathx_logsumexp(u + s, m - s);
            ll += u[s] - lse;
            A = pl_logaddexp(A, -lse);
            u[s] = 1.0 - exp(u[s] + A);
        } else {
            u[s] = -exp(u[s] + A);
        }
    }
    return ll;
}

/* Loss only of one long query (m > DPO_STACK_M) without a copy: the suffix
 * log-sum-exp of pl_loglik, on utilities formed on the fly. O(m). */
static double dpo_pl_suffix(const double *f, const double *lref, size_t m,
                            size_t r, double beta)
{
    if (r >= m) r = m - 1;
    double lse = -INFINITY, ll = 0.0;
    for (size_t s = m; s-- > 0;) {
        double us = beta * (f[s] - (lref ? lref[s] : 0.0));
        lse = pl_logaddexp(us, lse);
        if (s < r) ll += us - lse;
    }
    return ll;
}

/* Queries per chunk of dpo_top1_chunk (its stack arrays). */
#define DPO_CHUNK 64

int dpo_all_top1(const size_t *off, const uint32_t *r, size_t q0, size_t q1)
{
    for (size_t q = q0; q < q1; q++) {
        size_t m = off[q + 1] - off[q];
        if (m < 2 || m > DPO_STACK_M || r[q] < 1 || (r[q] > 1 && m > 2)) return 0;
    }
    return 1;
}

void dpo_top1_lse(double *e, const size_t *off, size_t nq, double *mx,
                  double *S, double *lg)
{
    for (size_t q = 0; q < nq; q++) {
        double *eq = e + (off[q] - off[0]);
        size_t m = off[q + 1] - off[q];
        double x = eq[0];
        for (size_t j = 1; j < m; j++)
            if (eq[j] > x) x = eq[j];
        mx[q] = x;
        for (size_t j = 0; j < m; j++) eq[j] -= x;
    }
    vecops_expneg(e, e, off[nq] - off[0]);
    for (size_t q = 0; q < nq; q++) {
        double sum = 0.0;
        for (size_t j = off[q] - off[0]; j < off[q + 1] - off[0]; j++) sum += e[j];
        S[q] = sum;
    }
    vecops_log(lg, S, nq);
}

/* pl_loglik_du for the top-1 queries [q0, q1) (dpo_all_top1), at most
 * DPO_CHUNK of them, vectorised across the chunk by dpo_top1_lse on u =
 * beta (f - logp_ref) in df, then
 *   log P = u_0 - (mx + log S),  dlogP/du_0 = 1 - e_0 / S,  du_j = -e_j / S:
 * pl_loglik_du's formulas for r = 1, with its libm exp and log replaced by
 * the vector ones (each within an ulp or two of libm: the bits differ).
 * Writes dL/df into df and subtracts each query's w_q log P from *L in
 * query order. */
static void dpo_top1_chunk(const double *f, const double *logp_ref,
                           const size_t *off, const double *w, size_t q0,
                           size_t q1, double beta, double *df, double *L)
{
    double u0[DPO_CHUNK], mx[DPO_CHUNK], S[DPO_CHUNK], lg[DPO_CHUNK];
    for (size_t c = off[q0]; c < off[q1]; c++)
        df[c] = beta * (f[c] - (logp_ref ? logp_ref[c] : 0.0));
    for (size_t q = q0; q < q1; q++) u0[q - q0] = df[off[q]];
    dpo_top1_lse(df + off[q0], off + q0, q1 - q0, mx, S, lg);
    for (size_t q = q0; q < q1; q++) {
        size_t i = q - q0;
        double wq = w ? w[q] : 1.0, F = 1.0 / S[i], *e = df + off[q];
        *L -= wq * (u0[i] - (mx[i] + lg[i]));
        e[0] = -wq * beta * (1.0 - e[0] * F);
        for (size_t j = 1; j < off[q + 1] - off[q]; j++) e[j] = -wq * beta * (-e[j] * F);
    }
}

double dpo_block_loss(const double *f, const double *logp_ref,
                      const size_t *off, const uint32_t *r, const double *w,
                      size_t n_q, double beta, double *df)
{
    double u[DPO_STACK_M], du[DPO_STACK_M];
    double L = 0.0;
    for (size_t q = 0; q < n_q; q++) {
        size_t q1 = n_q - q < DPO_CHUNK ? n_q : q + DPO_CHUNK;
        if (df && q % DPO_CHUNK == 0 && dpo_all_top1(off, r, q, q1)) {
            dpo_top1_chunk(f, logp_ref, off, w, q, q1, beta, df, &L);
            q = q1 - 1;
            continue;
        }
        size_t c0 = off[q], m = off[q + 1] - off[q];
        const double *fq = f + c0, *lq = logp_ref ? logp_ref + c0 : NULL;
        double wq = w ? w[q] : 1.0, ll;
        if (m <= DPO_STACK_M) {
            for (size_t j = 0; j < m; j++)
                u[j] = beta * (fq[j] - (lq ? lq[j] : 0.0));
            if (df) {
                ll = pl_loglik_du(u, m, r[q], du);
                for (size_t j = 0; j < m; j++) df[c0 + j] = -wq * beta * du[j];
            } else {
                ll = pl_loglik(u, m, r[q]);
            }
        } else if (df) {
            double *uq = df + c0;
            for (size_t j = 0; j < m; j++)
                uq[j] = beta * (fq[j] - (lq ? lq[j] : 0.0));
            ll = dpo_pl_inplace(uq, m, r[q]);
            for (size_t j = 0; j < m; j++) uq[j] *= -wq * beta;
        } else {
            ll = dpo_pl_suffix(fq, lq, m, r[q], beta);
        }
        L -= wq * ll;
    }
    return L;
}

void dpo_params_init(dpo_params *p)
{
    p->beta = 0.1;
    p->batch = 64;
    p->epochs = 1;
    adam_params_init(&p->adam);
    p->precision = DPO_DOUBLE;
}

const char *dpo_params_check(const dpo_params *p)
{
    if (!(p->beta > 0) || !isfinite(p->beta)) return "beta must be > 0 and finite";
    if (p->batch < 1) return "batch must be >= 1";
    if (p->batch > 1000000) return "batch must be <= 1000000";
    if (p->epochs < 1) return "epochs must be >= 1";
    if (p->precision != DPO_DOUBLE && p->precision != DPO_SINGLE)
        return "precision must be DPO_DOUBLE or DPO_SINGLE";
    return adam_params_check(&p->adam);
}

/* ---- trainer ------------------------------------------------------------- */

struct dpo_trainer {
    nn_config c;
    dpo_params p;
    size_t d, n_params;
    size_t cap_q, cap_n;  /* queries and candidate rows per block */
    size_t n_order;       /* capacity of order (ds->n_queries at alloc) */
    size_t t;             /* Adam steps taken since alloc / reset */
    double *grads, *m, *v;  /* (n_params) each, nn.h layout */
    double *X;            /* (cap_n, d) gathered features */
    double *lref;         /* (cap_n) gathered logp_ref */
    double *f, *df;       /* (cap_n) outputs and dL/df */
    double *w;            /* (cap_q) weights */
    size_t *off;          /* (cap_q + 1) block offsets */
    uint32_t *r;          /* (cap_q) ranked counts */
    double *acts;         /* nn_acts_size(c, cap_n) */
    double *scratch;      /* nn_scratch_size(c, cap_n) */
    size_t *order;        /* (n_order) query order of the current call */
    const qpack *pack;    /* borrowed; NULL: gather from the data set */
    double *fu;           /* (pack->n_rows) when the pack owns its rows:
                             dpo_forward_all's outputs per distinct row */
    /* DPO_SINGLE only (else NULL): the step's float copies */
    float *pf, *gf;       /* (n_params) parameters, gradient */
    float *Xf, *ff, *dff; /* (cap_n, d) features (gathered here instead of
                             X), (cap_n) f and dL/df */
    float *actsf, *scratchf; /* nn_acts_size, nn_scratch_size floats */
};

/* The weights of a dpo_train call: per query (q), or per user (u, user i's
 * at u[i * ustride], found through the pack's records), or 1 (both NULL). */
typedef struct dpo_weights {
    const double *q, *u;
    size_t ustride;
} dpo_weights;

/* malloc of n elements (at least one, so NULL means failure) of size sz. */
static void *dpo_array(size_t n, size_t sz)
{
    if (n == 0) n = 1;
    if (n > SIZE_MAX / sz) return NULL;
    return malloc(n * sz);
}

dpo_trainer *dpo_trainer_alloc(const nn_config *c, const data_set *ds,
                               const dpo_params *p, int *err)
{
    int dummy;
    if (!err) err = &dummy;
    *err = PREF_OK;
    dpo_params def;
    if (!p) {
        dpo_params_init(&def);
        p = &def;
    }
    const char *why = nn_config_check(c);
    if (!why) why = dpo_params_check(p);
    if (!why && ds->d != c->d) why = "the network's input size differs from d";
    if (why) {
        *err = pref_set_error(PREF_EINPUT, "DPO trainer: %s", why);
        return NULL;
    }
    size_t max_m = 2;
    for (size_t q = 0; q < ds->n_queries; q++)
        if (data_m(ds, q) > max_m) max_m = data_m(ds, q);
    size_t cap_n = p->batch * max_m;
    if (max_m > (size_t)INT_MAX / p->batch ||
        (c->d > 0 && cap_n > SIZE_MAX / c->d / 2)) {
        *err = pref_set_error(PREF_EINPUT, "DPO trainer: a batch of %zu queries "
                              "of up to %zu candidates is too large", p->batch,
                              max_m);
        return NULL;
    }
    dpo_trainer *t = calloc(1, sizeof *t);
    if (!t) {
        *err = pref_set_error(PREF_ENOMEM, "out of memory for a DPO trainer");
        return NULL;
    }
    t->c = *c;
    t->p = *p;
    t->d = c->d;
    t->n_params = nn_num_params(c);
    t->cap_q = p->batch;
    t->cap_n = cap_n;
    t->n_order = ds->n_queries;
    t->grads = dpo_array(t->n_params, sizeof *t->grads);
    t->m = dpo_array(t->n_params, sizeof *t->m);
    t->v = dpo_array(t->n_params, sizeof *t->v);
    if (p->precision != DPO_SINGLE) /* single precision gathers into Xf */
        t->X = dpo_array(cap_n * c->d, sizeof *t->X);
    t->lref = dpo_array(cap_n, sizeof *t->lref);
    t->f = dpo_array(cap_n, sizeof *t->f);
    t->df = dpo_array(cap_n, sizeof *t->df);
    t->w = dpo_array(t->cap_q, sizeof *t->w);
    t->off = dpo_array(t->cap_q + 1, sizeof *t->off);
    t->r = dpo_array(t->cap_q, sizeof *t->r);
    t->acts = dpo_array(nn_acts_size(c, cap_n), sizeof *t->acts);
    t->scratch = dpo_array(nn_scratch_size(c, cap_n), sizeof *t->scratch);
    /* shuffled in place at random: huge pages spare it the TLB misses */
    t->order = t->n_order > SIZE_MAX / sizeof *t->order ? NULL
             : data_huge_alloc(t->n_order * sizeof *t->order);
    if (!t->grads || !t->m || !t->v || (!t->X && p->precision != DPO_SINGLE) || !t->lref || !t->f || !t->df ||
        !t->w || !t->off || !t->r || !t->acts || !t->scratch || !t->order) {
        dpo_trainer_free(t);
        *err = pref_set_error(PREF_ENOMEM, "out of memory for a DPO trainer "
                              "(%zu parameters, %zu rows)", nn_num_params(c), cap_n);
        return NULL;
    }
    if (p->precision == DPO_SINGLE) {
        t->pf = dpo_array(t->n_params, sizeof *t->pf);
        t->gf = dpo_array(t->n_params, sizeof *t->gf);
        t->Xf = dpo_array(cap_n * c->d, sizeof *t->Xf);
        t->ff = dpo_array(cap_n, sizeof *t->ff);
        t->dff = dpo_array(cap_n, sizeof *t->dff);
        t->actsf = dpo_array(nn_acts_size(c, cap_n), sizeof *t->actsf);
        t->scratchf = dpo_array(nn_scratch_size(c, cap_n), sizeof *t->scratchf);
        if (!t->pf || !t->gf || !t->Xf || !t->ff || !t->dff || !t->actsf ||
            !t->scratchf) {
            dpo_trainer_free(t);
            *err = pref_set_error(PREF_ENOMEM, "out of memory for a DPO trainer "
                                  "in single precision (%zu rows)", cap_n);
            return NULL;
        }
    }
    dpo_trainer_reset(t);
    return t;
}

void dpo_trainer_free(dpo_trainer *t)
{
    if (!t) return;
    free(t->grads);
    free(t->m);
    free(t->v);
    free(t->X);
    free(t->lref);
    free(t->f);
    free(t->df);
    free(t->w);
    free(t->off);
    free(t->r);
    free(t->acts);
    free(t->scratch);
    free(t->order);
    free(t->fu);
    free(t->pf);
    free(t->gf);
    free(t->Xf);
    free(t->ff);
    free(t->dff);
    free(t->actsf);
    free(t->scratchf);
    free(t);
}

void dpo_trainer_reset(dpo_trainer *t)
{
    for (size_t i = 0; i < t->n_params; i++) t->m[i] = t->v[i] = 0.0;
    t->t = 0;
}

/* Fisher–Yates (Knuth vol. 2, 3.4.2, Algorithm P): i from n-1 down to 1,
 * j = gsl_rng_uniform_int(rng, i + 1). The same draws and swaps as GSL
 * 2.7's gsl_ran_shuffle (checked on 2.7.1), written out so the minibatch
 * order does not depend on the GSL version. The draws do not depend on the
 * array, so they are taken DPO_SHUFFLE_AHEAD at a time and a[j] is asked
 * of the caches before the swaps: for 10^5 users the random a[j] reads
 * waited on memory one at a time (a fifth of the gather's time). The same
 * draws in the same order, so the same permutation. 128 at a time: at 10^6
 * users (16·10^6 queries) a shuffle took 24-30 ns per query 16 at a time
 * and 14-17 ns 128 at a time (10-13 ns at 1.6·10^5 queries either way). */
#define DPO_SHUFFLE_AHEAD 128

static void dpo_shuffle(gsl_rng *rng, size_t *a, size_t n)
{
    size_t js[DPO_SHUFFLE_AHEAD];
    for (size_t i = n; i > 1;) {
        size_t nj = i - 1 < DPO_SHUFFLE_AHEAD ? i - 1 : DPO_SHUFFLE_AHEAD;
        for (size_t k = 0; k < nj; k++) {
            js[k] = gsl_rng_uniform_int(rng, i - k);
#if defined(__GNUC__)
            __builtin_prefetch(a + js[k], 1, 3);
#endif
        }
        for (size_t k = 0; k < nj; k++) {
            i--;
            size_t tmp = a[i];
            a[i] = a[js[k]];
            a[js[k]] = tmp;
        }
    }
}

static const char *dpo_nonfinite_name(double x)
{
    return isnan(x) ? "NaN" : (x > 0 ? "+inf" : "-inf");
}

/* Gather queries order[0..nb) into the trainer's block; returns the number
 * of candidate rows, or 0 if they do not fit (a data set other than the one
 * the trainer was sized for). Then asks the caches for what the next two
 * minibatches need (n_after queries follow this one in order): the rows of
 * the next one, order[nb..nb+n1), so that they arrive while this one is
 * trained, and the per-query entries (q_cand, q_r, qweight) of the one
 * after, so that the next call's row addresses and entries are at hand.
 * The shuffled order makes all these reads random; without the hints each
 * waits on memory once data sets outgrow the caches (for 10^5 users most
 * of the gather's time, and the part that grew with N). Only hints:
 * results do not depend on them. (They live here because GCC 12 deletes a
 * function whose only effect is a prefetch.) */
static size_t dpo_gather(dpo_trainer *t, const data_set *ds,
                         const size_t *order, size_t nb, const double *qweight,
                         size_t n_after)
{
    size_t n = 0, d = t->d;
    t->off[0] = 0;
    for (size_t i = 0; i < nb; i++) {
        size_t q = order[i], c0 = ds->q_cand[q], m = data_m(ds, q);
        if (m > t->cap_n - n) return 0;
        if (t->Xf) /* single precision: the rows go straight to float */
            vecopsf_from_double(t->Xf + n * d, ds->x + c0 * d, m * d);
        else
            data_copy_features(t->X + n * d, ds->x + c0 * d, m * d);
        if (ds->logp_ref)
            for (size_t j = 0; j < m; j++) t->lref[n + j] = ds->logp_ref[c0 + j];
        n += m;
        t->off[i + 1] = n;
        t->r[i] = ds->q_r[q];
        t->w[i] = qweight ? qweight[q] : 1.0;
    }
#if defined(__GNUC__)
    size_t n1 = n_after < t->cap_q ? n_after : t->cap_q;
    size_t n2 = n_after - n1 < t->cap_q ? n_after - n1 : t->cap_q;
    for (size_t i = nb; i < nb + n1; i++) {
        size_t q = order[i];
        const char *a = (const char *)(ds->x + ds->q_cand[q] * d);
        size_t bytes = data_m(ds, q) * d * sizeof(double);
        for (size_t o = 0; o < bytes; o += 64) __builtin_prefetch(a + o, 0, 2);
        if (ds->logp_ref) __builtin_prefetch(ds->logp_ref + ds->q_cand[q], 0, 2);
    }
    for (size_t i = nb + n1; i < nb + n1 + n2; i++) {
        size_t q = order[i];
        __builtin_prefetch(ds->q_cand + q, 0, 2);
        __builtin_prefetch(ds->q_r + q, 0, 2);
        if (qweight) __builtin_prefetch(qweight + q, 0, 2);
    }
#endif
    return n;
}

/* dpo_gather for a trainer with a pack of ds: each query is one record
 * (m, r, user, row indices) and its rows come from the pack's table, bit for bit
 * the data set's, so the block is the same as dpo_gather's. The hints ask
 * for the next minibatch's rows (whose indices this call's records, read
 * one minibatch ahead, have brought in) and for the records and weights of
 * the one after. */
static size_t dpo_gather_pack(dpo_trainer *t, const size_t *order, size_t nb,
                              const dpo_weights *wt, size_t n_after)
{
    const double *qweight = wt->q, *uweight = wt->u;
    const qpack *pk = t->pack;
    size_t n = 0, d = t->d;
    t->off[0] = 0;
    for (size_t i = 0; i < nb; i++) {
        size_t q = order[i];
        const uint32_t *rec = qpack_record(pk, q);
        size_t m = qpack_m(rec);
        if (m > t->cap_n - n) return 0;
        for (size_t j = 0; j < m; j++) {
            const double *row = pk->x + (size_t)qpack_rows(rec)[j] * d;
            if (t->Xf)
                vecopsf_from_double(t->Xf + (n + j) * d, row, d);
            else
                data_copy_features(t->X + (n + j) * d, row, d);
            if (pk->logp_ref) t->lref[n + j] = pk->logp_ref[qpack_rows(rec)[j]];
        }
        n += m;
        t->off[i + 1] = n;
        t->r[i] = qpack_r(rec);
        t->w[i] = uweight ? uweight[qpack_user(rec) * wt->ustride]
                          : qweight ? qweight[q] : 1.0;
    }
#if defined(__GNUC__)
    size_t n1 = n_after < t->cap_q ? n_after : t->cap_q;
    size_t n2 = n_after - n1 < t->cap_q ? n_after - n1 : t->cap_q;
    if (!pk->x_own || uweight)
        for (size_t i = nb; i < nb + n1; i++) {
            const uint32_t *rec = qpack_record(pk, order[i]);
            if (uweight)
                __builtin_prefetch(uweight + qpack_user(rec) * wt->ustride, 0, 2);
            if (pk->x_own) continue; /* else the data's rows: as large as it */
            for (size_t j = 0; j < qpack_m(rec); j++) {
                const char *a = (const char *)(pk->x + (size_t)qpack_rows(rec)[j] * d);
                for (size_t o = 0; o < d * sizeof(double); o += 64)
                    __builtin_prefetch(a + o, 0, 2);
            }
        }
    for (size_t i = nb + n1; i < nb + n1 + n2; i++) {
        __builtin_prefetch(qpack_record(pk, order[i]), 0, 2);
        if (qweight) __builtin_prefetch(qweight + order[i], 0, 2);
    }
#endif
    return n;
}

int dpo_trainer_set_pack(dpo_trainer *t, const qpack *pk)
{
    free(t->fu);
    t->fu = NULL;
    t->pack = NULL;
    if (!pk) return PREF_OK;
    if (pk->d != t->d)
        PREF_ERROR(PREF_EINPUT, "dpo_trainer_set_pack: the pack has d = %zu, "
                   "the trainer d = %zu", pk->d, t->d);
    if (pk->n_queries > t->n_order)
        PREF_ERROR(PREF_EINPUT, "dpo_trainer_set_pack: %zu queries, but the "
                   "trainer was sized for %zu", pk->n_queries, t->n_order);
    if (pk->x_own && !(t->fu = dpo_array(pk->n_rows, sizeof *t->fu)))
        PREF_ERROR(PREF_ENOMEM, "out of memory for %zu outputs", pk->n_rows);
    t->pack = pk;
    return PREF_OK;
}

/* dpo_train and dpo_train_by_user: the weights wt (per query, per user
 * through the pack, or 1). */
static int dpo_train_w(dpo_trainer *t, double *params, const data_set *ds,
                       const size_t *qidx, size_t n_q, const dpo_weights *wt,
                       gsl_rng *rng, double *loss)
{
    const double *qweight = wt->q;
    if (ds->d != t->d)
        PREF_ERROR(PREF_EINPUT, "dpo_train: data has d = %zu, the trainer d = %zu",
                   ds->d, t->d);
    if (!qidx) n_q = ds->n_queries;
    if (n_q > t->n_order)
        PREF_ERROR(PREF_EINPUT, "dpo_train: %zu queries, but the trainer was "
                   "sized for %zu", n_q, t->n_order);
    for (size_t i = 0; i < n_q; i++) {
        t->order[i] = qidx ? qidx[i] : i;
        if (t->order[i] >= ds->n_queries)
            PREF_ERROR(PREF_EINPUT, "dpo_train: query index %zu out of range "
                       "(%zu queries)", t->order[i], ds->n_queries);
    }
    const double *lref = ds->logp_ref ? t->lref : NULL;
    int packed = t->pack && t->pack->ds == ds;
    double epoch_loss = 0.0;
    for (size_t e = 0; e < t->p.epochs; e++) {
        dpo_shuffle(rng, t->order, n_q);
        double sum = 0.0;
        size_t counted = 0, step = 0;
        for (size_t b0 = 0; b0 < n_q; b0 += t->cap_q) {
            size_t nb = n_q - b0 < t->cap_q ? n_q - b0 : t->cap_q;
            step++;
            size_t n = packed ? dpo_gather_pack(t, t->order + b0, nb, wt,
                                                n_q - b0 - nb)
                              : dpo_gather(t, ds, t->order + b0, nb, qweight,
                                           n_q - b0 - nb);
            if (n == 0)
                PREF_ERROR(PREF_EINPUT, "dpo_train: a minibatch has more "
                           "candidates than the trainer was sized for");
            if (t->pf) {
                vecopsf_from_double(t->pf, params, t->n_params);
                nnf_forward(&t->c, t->pf, t->Xf, n, t->actsf, t->ff);
                vecopsf_to_double(t->f, t->ff, n);
            } else {
                nn_forward(&t->c, params, t->X, n, t->acts, t->f);
            }
            double L = dpo_block_loss(t->f, lref, t->off, t->r, t->w, nb,
                                      t->p.beta, t->df);
            if (!isfinite(L))
                PREF_ERROR(PREF_ENUM, "training diverged at epoch %zu, step %zu: "
                           "loss is %s", e + 1, step, dpo_nonfinite_name(L));
            double wsum = 0.0;
            for (size_t i = 0; i < nb; i++) wsum += t->w[i];
            if (wsum > 0) {
                sum += L / wsum;
                counted++;
            }
            double scale = 1.0 / (double)nb;
            for (size_t j = 0; j < n; j++) t->df[j] *= scale;
            if (t->pf) {
                vecopsf_from_double(t->dff, t->df, n);
                memset(t->gf, 0, t->n_params * sizeof *t->gf);
                nnf_backward(&t->c, t->pf, t->Xf, n, t->actsf, t->dff, t->gf,
                             t->scratchf);
                vecopsf_to_double(t->grads, t->gf, t->n_params);
            } else {
                nn_zero_grad(&t->c, t->grads);
                nn_backward(&t->c, params, t->X, n, t->acts, t->df, t->grads,
                            t->scratch);
            }
            t->t++;
            adam_step(&t->p.adam, params, t->grads, t->m, t->v, t->n_params,
                      t->t);
            for (size_t i = 0; i < t->n_params; i++)
                if (!isfinite(params[i]))
                    PREF_ERROR(PREF_ENUM, "training diverged at epoch %zu, "
                               "step %zu: parameter %zu is %s after the Adam "
                               "step", e + 1, step, i,
                               dpo_nonfinite_name(params[i]));
        }
        epoch_loss = counted ? sum / (double)counted : 0.0;
    }
    if (loss) *loss = epoch_loss;
    return PREF_OK;
}

int dpo_train(dpo_trainer *t, double *params, const data_set *ds,
              const size_t *qidx, size_t n_q, const double *qweight,
              gsl_rng *rng, double *loss)
{
    dpo_weights wt = {qweight, NULL, 0};
    return dpo_train_w(t, params, ds, qidx, n_q, &wt, rng, loss);
}

int dpo_train_by_user(dpo_trainer *t, double *params, const data_set *ds,
                      const double *uweight, size_t ustride, gsl_rng *rng,
                      double *loss)
{
    if (!t->pack || t->pack->ds != ds)
        PREF_ERROR(PREF_EINPUT, "dpo_train_by_user: the trainer has no pack "
                   "of this data set");
    dpo_weights wt = {NULL, uweight, ustride};
    return dpo_train_w(t, params, ds, NULL, ds->n_queries, &wt, rng, loss);
}

double dpo_total_loss(dpo_trainer *t, const double *params, const data_set *ds,
                      const double *qweight)
{
    double total = 0.0;
    size_t q0 = 0;
    while (q0 < ds->n_queries) {
        /* The largest run of consecutive queries that fits the block. */
        size_t c0 = ds->q_cand[q0], nb = 0;
        while (q0 + nb < ds->n_queries && nb < t->cap_q &&
               ds->q_cand[q0 + nb + 1] - c0 <= t->cap_n)
            nb++;
        if (nb == 0) return NAN; /* a query larger than the trainer's block */
        for (size_t i = 0; i <= nb; i++) t->off[i] = ds->q_cand[q0 + i] - c0;
        size_t n = t->off[nb];
        nn_forward(&t->c, params, ds->x + c0 * ds->d, n, t->acts, t->f);
        total += dpo_block_loss(t->f, ds->logp_ref ? ds->logp_ref + c0 : NULL,
                                t->off, ds->q_r + q0,
                                qweight ? qweight + q0 : NULL, nb, t->p.beta,
                                NULL);
        q0 += nb;
    }
    return total;
}

void dpo_forward_rows(dpo_trainer *t, const double *params, double *f)
{
    const qpack *pk = t->pack;
    for (size_t c0 = 0; c0 < pk->n_rows; c0 += t->cap_n) {
        size_t n = pk->n_rows - c0 < t->cap_n ? pk->n_rows - c0 : t->cap_n;
        nn_forward(&t->c, params, pk->x + c0 * pk->d, n, t->acts, f + c0);
    }
}

void dpo_forward_all(dpo_trainer *t, const double *params, const data_set *ds,
                     double *f)
{
    const qpack *pk = t->pack;
    if (pk && pk->ds == ds && pk->x_own) {
        /* each distinct row once, then each candidate its row's output */
        dpo_forward_rows(t, params, t->fu);
        for (size_t q = 0; q < ds->n_queries; q++) {
            const uint32_t *rec = qpack_record(pk, q);
            double *fq = f + ds->q_cand[q];
            for (size_t j = 0; j < qpack_m(rec); j++) fq[j] = t->fu[qpack_rows(rec)[j]];
        }
        return;
    }
    for (size_t c0 = 0; c0 < ds->n_cands; c0 += t->cap_n) {
        size_t n = ds->n_cands - c0 < t->cap_n ? ds->n_cands - c0 : t->cap_n;
        nn_forward(&t->c, params, ds->x + c0 * ds->d, n, t->acts, f + c0);
    }
}
