/* test_dpo.c — the weighted Plackett–Luce DPO loss, Adam, and the minibatch
 * trainer: the loss against pl_loglik, its gradient against finite
 * differences, weight and beta scaling, the long-query path, Adam against a
 * hand-computed two-step example, parameter recovery of a linear reward,
 * determinism, the minibatch order (gsl_ran_shuffle), divergence detection, dpo_forward_all and dpo_total_loss
 * against direct evaluation, the vectorised top-1 path against pl_loglik_du,
 * packed queries (qpack.h) against the data set read directly, and the
 * error paths. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_test.h>

#include "adam.h"
#include "data.h"
#include "dpo.h"
#include "err.h"
#include "nn.h"
#include "pl.h"
#include "rngs.h"

/* ---- dpo_block_loss ------------------------------------------------------ */

/* One block, three queries: a pair (m = 2, r = 1), a top-1 of 3 and a full
 * ranking of 3 (r = 2), with reference log-probabilities and weights. */
static const double B_F[8] = {0.413, -1.27, 2.385, -0.7, 1.1, 0.31, 1.72, -0.44};
static const double B_LREF[8] = {-0.69, -0.71, -1.2, -0.9, -1.3, -1.05, -1.15, -0.95};
static const size_t B_OFF[4] = {0, 2, 5, 8};
static const uint32_t B_R[3] = {1, 1, 2};
static const double B_W[3] = {0.7, 1.3, 2.1};

/* Direct: - sum_q w_q pl_loglik(beta (f - lref)). */
static double direct_loss(const double *f, const double *lref, const double *w,
                          double beta)
{
    double L = 0.0, u[3];
    for (size_t q = 0; q < 3; q++) {
        size_t m = B_OFF[q + 1] - B_OFF[q];
        for (size_t j = 0; j < m; j++)
            u[j] = beta * (f[B_OFF[q] + j] - (lref ? lref[B_OFF[q] + j] : 0.0));
        L -= (w ? w[q] : 1.0) * pl_loglik(u, m, B_R[q]);
    }
    return L;
}

static void test_block_loss(void)
{
    const double beta = 0.37;
    double df[8], df2[8], f[8];
    double L = dpo_block_loss(B_F, B_LREF, B_OFF, B_R, B_W, 3, beta, df);
    gsl_test_rel(L, direct_loss(B_F, B_LREF, B_W, beta), 1e-14,
                 "block loss = - sum w pl_loglik (pair, top-1 of 3, full 3)");
    gsl_test_rel(dpo_block_loss(B_F, B_LREF, B_OFF, B_R, B_W, 3, beta, NULL),
                 L, 1e-15, "df = NULL gives the same loss");

    /* dL/df against central differences, every candidate. */
    double worst = 0.0;
    for (size_t c = 0; c < 8; c++) {
        const double h = 1e-5;
        memcpy(f, B_F, sizeof f);
        f[c] = B_F[c] + h;
        double lp = direct_loss(f, B_LREF, B_W, beta);
        f[c] = B_F[c] - h;
        double lm = direct_loss(f, B_LREF, B_W, beta);
        double fd = (lp - lm) / (2 * h);
        double e = fabs(fd - df[c]) / fmax(fabs(fd), 1e-12);
        if (e > worst) worst = e;
    }
    gsl_test(!(worst < 1e-8), "df vs finite differences: worst rel. error %.1e", worst);

    /* Gradient sums to 0 within each query (a common shift of f is free). */
    for (size_t q = 0; q < 3; q++) {
        double s = 0.0;
        for (size_t c = B_OFF[q]; c < B_OFF[q + 1]; c++) s += df[c];
        gsl_test_abs(s, 0.0, 1e-15, "df sums to 0 in query %zu", q);
    }

    /* Weights scale the loss and its gradient linearly; NULL means 1. */
    double w2[3];
    for (size_t q = 0; q < 3; q++) w2[q] = 2.5 * B_W[q];
    gsl_test_rel(dpo_block_loss(B_F, B_LREF, B_OFF, B_R, w2, 3, beta, df2),
                 2.5 * L, 1e-14, "weights x 2.5 scale the loss");
    gsl_test_rel(df2[6], 2.5 * df[6], 1e-14, "weights x 2.5 scale df");
    double ones[3] = {1, 1, 1};
    gsl_test_rel(dpo_block_loss(B_F, B_LREF, B_OFF, B_R, NULL, 3, beta, df2),
                 dpo_block_loss(B_F, B_LREF, B_OFF, B_R, ones, 3, beta, df),
                 1e-15, "w = NULL means weights 1");
    double wz[3] = {0.0, 1.3, 0.0};
    dpo_block_loss(B_F, B_LREF, B_OFF, B_R, wz, 3, beta, df2);
    gsl_test(df2[0] != 0.0 || df2[1] != 0.0 || df2[5] != 0.0 || df2[7] != 0.0,
             "a zero weight gives a zero gradient");

    /* logp_ref = NULL means 0. */
    double zeros[8] = {0};
    gsl_test_rel(dpo_block_loss(B_F, NULL, B_OFF, B_R, B_W, 3, beta, df),
                 dpo_block_loss(B_F, zeros, B_OFF, B_R, B_W, 3, beta, df2),
                 1e-15, "logp_ref = NULL means 0");

    /* beta scales the utilities: L(beta, f) = L(1, beta f) and
     * df(beta, f) = beta df(1, beta f) (chain rule). */
    double bf[8];
    for (size_t c = 0; c < 8; c++) bf[c] = beta * B_F[c];
    gsl_test_rel(dpo_block_loss(B_F, NULL, B_OFF, B_R, B_W, 3, beta, df),
                 dpo_block_loss(bf, NULL, B_OFF, B_R, B_W, 3, 1.0, df2), 1e-14,
                 "L(beta, f) = L(1, beta f)");
    gsl_test_rel(df[3], beta * df2[3], 1e-14, "df(beta, f) = beta df(1, beta f)");
    /* Hand value: the pair alone with beta = 1, f = (0.413, -1.27), no
     * reference: -log sigma(1.683) = 0.17043088542682178 (Python 3.11,
     * -log(1/(1+exp(-1.683)))). */
    gsl_test_rel(dpo_block_loss(B_F, NULL, B_OFF, B_R, NULL, 1, 1.0, df),
                 0.17043088542682178, 1e-14, "Bradley-Terry pair, hand value");
}

/* Blocks of top-1 queries (pairs with r = 1 or 2, top 1 of 3 to 5) take
 * the vectorised path in chunks of 64 queries; a block whose middle chunk
 * holds one full ranking takes the per-query path for that chunk. Both
 * against pl_loglik_du query by query: libm exp and log there, the vector
 * ones here, which differ in the last bits; so L to relative 1e-13 and every
 * df to 1e-14 w_q beta (|dlogP/du| <= 1). Each top-1 query's df sums to 0
 * within 1e-14 w_q beta (m <= 5 terms, each rounded). */
static void test_top1_blocks(void)
{
    enum { NQ = 150, MMAX = 5 };
    gsl_rng *rng = rngs_alloc(2612);
    size_t off[NQ + 1];
    uint32_t r[NQ];
    double f[NQ * MMAX], lref[NQ * MMAX], w[NQ], df[NQ * MMAX], u[MMAX], du[MMAX];
    for (int mixed = 0; mixed < 2; mixed++) {
        off[0] = 0;
        for (size_t q = 0; q < NQ; q++) {
            size_t m = 2 + gsl_rng_uniform_int(rng, MMAX - 1);
            r[q] = m == 2 ? 1 + (uint32_t)gsl_rng_uniform_int(rng, 2) : 1;
            if (mixed && q == 100) r[q] = (uint32_t)m; /* a full ranking */
            off[q + 1] = off[q] + m;
            w[q] = q % 17 == 3 ? 0.0 : gsl_rng_uniform(rng) * 2.0;
        }
        for (size_t c = 0; c < off[NQ]; c++) {
            f[c] = gsl_ran_gaussian(rng, 3.0);
            lref[c] = -gsl_rng_uniform(rng) * 2.0;
        }
        const double beta = 0.8;
        double L = dpo_block_loss(f, lref, off, r, w, NQ, beta, df), ref = 0.0;
        double worst = 0.0, worst_sum = 0.0;
        for (size_t q = 0; q < NQ; q++) {
            size_t m = off[q + 1] - off[q];
            for (size_t j = 0; j < m; j++)
                u[j] = beta * (f[off[q] + j] - lref[off[q] + j]);
            ref -= w[q] * pl_loglik_du(u, m, r[q], du);
            double scale = w[q] * beta, sum = 0.0;
            if (scale == 0.0) continue;
            for (size_t j = 0; j < m; j++) {
                double e = fabs(df[off[q] + j] + scale * du[j]) / scale;
                if (e > worst) worst = e;
                sum += df[off[q] + j];
            }
            int top1 = r[q] == 1 || m == 2;
            if (top1 && fabs(sum) / scale > worst_sum) worst_sum = fabs(sum) / scale;
        }
        gsl_test_rel(L, ref, 1e-13, "top-1 block (%s): loss vs pl_loglik_du",
                     mixed ? "one full ranking" : "all top-1");
        gsl_test(!(worst < 1e-14), "top-1 block (%s): df vs pl_loglik_du, worst %.1e",
                 mixed ? "one full ranking" : "all top-1", worst);
        gsl_test(!(worst_sum < 1e-14), "top-1 block (%s): df sums to 0 per query, "
                 "worst %.1e", mixed ? "one full ranking" : "all top-1", worst_sum);
    }
    gsl_rng_free(rng);
}

/* Queries longer than the stack buffer take the in-place path: compare it
 * with pl_loglik_du on a heap copy. */
static void test_long_query(void)
{
    const size_t m = 300;
    const double beta = 0.8;
    gsl_rng *rng = rngs_alloc(4242);
    double *f = malloc(m * sizeof *f), *lref = malloc(m * sizeof *lref);
    double *u = malloc(m * sizeof *u), *du = malloc(m * sizeof *du);
    double *df = malloc(m * sizeof *df);
    for (size_t j = 0; j < m; j++) {
        f[j] = gsl_ran_gaussian(rng, 3.0);
        lref[j] = gsl_ran_gaussian(rng, 1.0);
        u[j] = beta * (f[j] - lref[j]);
    }
    size_t off[2] = {0, m};
    uint32_t rs[3] = {1, 7, 299};
    for (size_t k = 0; k < 3; k++) {
        double w = 1.7;
        double L = dpo_block_loss(f, lref, off, &rs[k], &w, 1, beta, df);
        double ll = pl_loglik_du(u, m, rs[k], du);
        gsl_test_rel(L, -w * ll, 1e-12, "long query (m = 300, r = %u): loss", rs[k]);
        gsl_test_rel(dpo_block_loss(f, lref, off, &rs[k], &w, 1, beta, NULL),
                     -w * ll, 1e-12, "long query (m = 300, r = %u): loss only", rs[k]);
        double worst = 0.0;
        for (size_t j = 0; j < m; j++) {
            double e = fabs(df[j] + w * beta * du[j]);
            if (e > worst) worst = e;
        }
        /* |df| <= w beta r; the in-place sweep sums the r stage terms in
         * log space, pl_loglik_du directly: they agree to rounding. */
        gsl_test(!(worst < 1e-12), "long query (m = 300, r = %u): df, max abs "
                 "error %.1e", rs[k], worst);
    }
    gsl_rng_free(rng);
    free(f);
    free(lref);
    free(u);
    free(du);
    free(df);
}

/* ---- Adam ---------------------------------------------------------------- */

/* Two steps on p = (0.5, -1.3) with gradients g1 = (0.2, -0.05),
 * g2 = (-0.4, 0.3), lr = 0.01, betas (0.9, 0.999), eps = 1e-8, by the torch
 * formula (torch.optim.AdamW, _single_tensor_adamw):
 *   p *= 1 - lr wd;  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
 *   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
 * Step 1 by hand: m = 0.1 g, v = 0.001 g^2, so the corrected ratio is
 * g / (|g| + 1e-8) and p1 = p0 - 0.01 * 0.2 / (0.2 + 1e-8) = 0.4900000005.
 * Step 2 by hand for p[0]: m = 0.018 - 0.04 = -0.022, v = 3.996e-5 + 1.6e-4
 * = 1.9996e-4, m/0.19 = -0.1157895, sqrt(v/0.001999) = 0.3162752, so
 * p2 = 0.49 + 0.01 * 0.1157895 / 0.3162752 = 0.4936610.
 * The 17-digit values are the same formula evaluated in Python 3.11 floats. */
static void test_adam(void)
{
    adam_params ap;
    adam_params_init(&ap);
    gsl_test(ap.lr != 1e-3 || ap.beta1 != 0.9 || ap.beta2 != 0.999 ||
             ap.eps != 1e-8 || ap.weight_decay != 0.0, "adam defaults are torch's");
    gsl_test(adam_params_check(&ap) != NULL, "adam defaults pass the check");
    ap.lr = 0.01;
    double p[2] = {0.5, -1.3}, m[2] = {0, 0}, v[2] = {0, 0};
    double g1[2] = {0.2, -0.05}, g2[2] = {-0.4, 0.3};
    adam_step(&ap, p, g1, m, v, 2, 1);
    gsl_test_rel(p[0], 0.4900000005, 1e-15, "adam step 1, p[0]");
    gsl_test_rel(p[1], -1.2900000019999998, 1e-15, "adam step 1, p[1]");
    adam_step(&ap, p, g2, m, v, 2, 2);
    gsl_test_rel(p[0], 0.4936610356546037, 1e-15, "adam step 2, p[0]");
    gsl_test_rel(p[1], -1.296239188374618, 1e-15, "adam step 2, p[1]");
    gsl_test_rel(m[0], -0.021999999999999995, 1e-15, "adam step 2, m[0]");
    gsl_test_rel(v[1], 9.249750000000008e-05, 1e-15, "adam step 2, v[1]");

    /* AdamW, weight_decay = 0.1: step 1 first shrinks p by 1 - 0.001, so
     * p1[0] = 0.5 * 0.999 - 0.0099999995 = 0.4895000005. */
    ap.weight_decay = 0.1;
    double q[2] = {0.5, -1.3}, mq[2] = {0, 0}, vq[2] = {0, 0};
    adam_step(&ap, q, g1, mq, vq, 2, 1);
    gsl_test_rel(q[0], 0.4895000005, 1e-15, "adamw step 1, p[0]");
    adam_step(&ap, q, g2, mq, vq, 2, 2);
    gsl_test_rel(q[0], 0.49267153565410365, 1e-15, "adamw step 2, p[0]");
    gsl_test_rel(q[1], -1.2936504883726179, 1e-15, "adamw step 2, p[1]");

    adam_params_init(&ap);
    ap.lr = 0;
    gsl_test(adam_params_check(&ap) == NULL, "lr = 0 is rejected");
    adam_params_init(&ap);
    ap.beta1 = 1.0;
    gsl_test(adam_params_check(&ap) == NULL, "beta1 = 1 is rejected");
    adam_params_init(&ap);
    ap.beta2 = -0.1;
    gsl_test(adam_params_check(&ap) == NULL, "beta2 < 0 is rejected");
    adam_params_init(&ap);
    ap.eps = NAN;
    gsl_test(adam_params_check(&ap) == NULL, "eps = NaN is rejected");
    adam_params_init(&ap);
    ap.weight_decay = -1;
    gsl_test(adam_params_check(&ap) == NULL, "weight_decay < 0 is rejected");
}

/* ---- the trainer --------------------------------------------------------- */

static const double THETA[4] = {1.2, -0.7, 0.5, 0.9};

/* n_q top-r-of-m queries, one user each, features N(0, 1) in d = 4 and
 * answers drawn from Plackett–Luce with u = x . THETA (pl_sample), stored
 * in the canonical order: ranked candidates first, then the rest in their
 * drawn order. */
static data_set *make_data(size_t n_q, size_t m, size_t r, unsigned long seed,
                           int with_logp)
{
    const size_t d = 4;
    data_set *ds = data_alloc(n_q, n_q, n_q * m, d, with_logp ? DATA_HAS_LOGP : 0);
    gsl_rng *rng = rngs_alloc(seed);
    double x[16 * 4], u[16], work[16];
    uint32_t perm[16];
    unsigned char used[16];
    for (size_t q = 0; q < n_q; q++) {
        ds->user_q[q + 1] = q + 1;
        ds->user_name[q] = (uint32_t)q;
        ds->q_cand[q + 1] = (q + 1) * m;
        ds->q_r[q] = (uint32_t)r;
        ds->q_name[q] = 0;
        for (size_t j = 0; j < m * d; j++) x[j] = gsl_ran_gaussian(rng, 1.0);
        pl_utilities(x, m, d, THETA, u);
        pl_sample(rng, u, m, r, perm, work);
        memset(used, 0, sizeof used);
        size_t row = q * m;
        for (size_t s = 0; s < r; s++) {
            memcpy(ds->x + row++ * d, x + perm[s] * d, d * sizeof *x);
            used[perm[s]] = 1;
        }
        for (size_t j = 0; j < m; j++)
            if (!used[j]) memcpy(ds->x + row++ * d, x + j * d, d * sizeof *x);
        for (size_t j = 0; j < m; j++) {
            ds->c_item[q * m + j] = (uint32_t)j;
            if (with_logp) ds->logp_ref[q * m + j] = gsl_ran_flat(rng, -2.0, -0.5);
        }
    }
    gsl_rng_free(rng);
    return ds;
}

static double cosine(const double *a, const double *b, size_t n)
{
    double ab = 0, aa = 0, bb = 0;
    for (size_t i = 0; i < n; i++) {
        ab += a[i] * b[i];
        aa += a[i] * a[i];
        bb += b[i] * b[i];
    }
    return ab / sqrt(aa * bb);
}

/* A linear network (layers = 0) trained with beta = 1 on top-1-of-3 answers
 * of the reward x . THETA recovers THETA's direction. */
static void test_recovery(void)
{
    data_set *ds = make_data(2000, 3, 1, 20240501, 0);
    gsl_test(data_check(ds) != PREF_OK, "simulated data pass data_check");
    nn_config c = {4, 0, 0, NN_TANH};
    dpo_params p;
    dpo_params_init(&p);
    p.beta = 1.0;
    p.adam.lr = 0.01;
    dpo_trainer *t = dpo_trainer_alloc(&c, ds, &p, NULL);
    gsl_test(t == NULL, "trainer allocates");
    double params[5];
    gsl_rng *rng = rngs_alloc(99);
    nn_init_params(&c, params, rng);
    double start = dpo_total_loss(t, params, ds, NULL);
    /* "Monotonically-ish": no epoch's loss rises more than 0.02 nats above
     * the best earlier epoch (the minibatch noise of an epoch mean at this
     * learning rate once the fit has converged, after about 3 epochs). */
    const size_t epochs = 30;
    double first = 0, last = 0, best = INFINITY, worst_rise = 0;
    for (size_t e = 0; e < epochs; e++) {
        double loss;
        int s = dpo_train(t, params, ds, NULL, 0, NULL, rng, &loss);
        gsl_test(s != PREF_OK, "epoch %zu trains", e + 1);
        if (e == 0) first = loss;
        if (loss - best > worst_rise) worst_rise = loss - best;
        if (loss < best) best = loss;
        last = loss;
    }
    double cosv = cosine(params, THETA, 4);
    gsl_test(!(cosv > 0.98), "recovered direction: cosine %.5f > 0.98", cosv);
    gsl_test(!(last < first), "last epoch loss %.4f < first %.4f", last, first);
    gsl_test(!(worst_rise < 0.02), "loss decreases monotonically-ish (largest "
             "rise above the best earlier epoch %.4f)", worst_rise);
    double end = dpo_total_loss(t, params, ds, NULL);
    gsl_test(!(end < start), "total loss falls from %.1f to %.1f", start, end);
    /* The MLE is consistent: each coefficient within 0.25 of the truth
     * (standard errors are about 0.05 at N = 2000). */
    for (size_t k = 0; k < 4; k++)
        gsl_test_abs(params[k], THETA[k], 0.25, "recovered theta[%zu]", k);

    /* dpo_total_loss is the weighted sum of per-query losses. */
    double *w = malloc(ds->n_queries * sizeof *w);
    for (size_t q = 0; q < ds->n_queries; q++) w[q] = (double)(q % 7) / 3.0;
    double direct = 0.0, f[3];
    for (size_t q = 0; q < ds->n_queries; q++) {
        nn_forward(&c, params, ds->x + q * 3 * 4, 3, NULL, f);
        double u[3] = {f[0], f[1], f[2]};
        direct -= w[q] * pl_loglik(u, 3, 1);
    }
    gsl_test_rel(dpo_total_loss(t, params, ds, w), direct, 1e-12,
                 "dpo_total_loss = direct weighted sum");
    free(w);
    gsl_rng_free(rng);
    dpo_trainer_free(t);
    data_free(ds);
}

/* Train a small tanh network; return its parameters in out (n_params). */
static int train_once(const data_set *ds, const nn_config *c,
                      const dpo_params *p, unsigned long seed,
                      const size_t *qidx, size_t n_q, const double *qw,
                      double *params, double *loss)
{
    dpo_trainer *t = dpo_trainer_alloc(c, ds, p, NULL);
    gsl_rng *rng = rngs_alloc(seed);
    nn_init_params(c, params, rng);
    int s = dpo_train(t, params, ds, qidx, n_q, qw, rng, loss);
    gsl_rng_free(rng);
    dpo_trainer_free(t);
    return s;
}

/* One step of the reference trainer below on queries q[0..nb): the rows
 * gathered in order, the loss gradient scaled by 1 / nb, backward, Adam. */
static void ref_step(const data_set *ds, const nn_config *c, const dpo_params *p,
                     const size_t *q, size_t nb, double *params, double *buf,
                     size_t step)
{
    size_t P = nn_num_params(c), cap = 5 * 3, d = ds->d;
    double *X = buf, *lref = X + cap * d, *f = lref + cap, *df = f + cap;
    double *grads = df + cap, *m = grads + P, *v = m + P, *acts = v + P;
    double *scratch = acts + nn_acts_size(c, cap);
    size_t off[6] = {0}, n = 0;
    uint32_t r[5];
    for (size_t i = 0; i < nb; i++) {
        size_t c0 = ds->q_cand[q[i]], mq = data_m(ds, q[i]);
        memcpy(X + n * d, ds->x + c0 * d, mq * d * sizeof *X);
        memcpy(lref + n, ds->logp_ref + c0, mq * sizeof *lref);
        n += mq;
        off[i + 1] = n;
        r[i] = ds->q_r[q[i]];
    }
    nn_forward(c, params, X, n, acts, f);
    dpo_block_loss(f, lref, off, r, NULL, nb, p->beta, df);
    for (size_t j = 0; j < n; j++) df[j] *= 1.0 / (double)nb;
    nn_zero_grad(c, grads);
    nn_backward(c, params, X, n, acts, df, grads, scratch);
    adam_step(&p->adam, params, grads, m, v, P, step);
}

/* The minibatches are those of GSL's gsl_ran_shuffle of the query list,
 * shuffled again every epoch, cut into batches in order: dpo_train against
 * a reference trainer built on gsl_ran_shuffle, bit for bit (37 queries in
 * batches of 5, so a short last batch, two epochs, reference
 * log-probabilities). A change of the draws or swaps (the shuffle draws
 * its indices ahead to prefetch) would change the bits. */
static void test_minibatch_order(void)
{
    /* 300 queries: the trainer's shuffle draws 128 at a time, so this
     * covers whole blocks and a last partial one */
    data_set *ds = make_data(300, 3, 1, 808, 1);
    nn_config c = {4, 5, 1, NN_TANH};
    size_t P = nn_num_params(&c), nq = ds->n_queries;
    dpo_params p;
    dpo_params_init(&p);
    p.batch = 5;
    p.epochs = 2;
    double *a = malloc(P * sizeof *a), *b = malloc(P * sizeof *b);
    double *buf = calloc(15 * 7 + 3 * P + nn_acts_size(&c, 15) +
                         nn_scratch_size(&c, 15), sizeof *buf);
    size_t *order = malloc(nq * sizeof *order), step = 0;
    train_once(ds, &c, &p, 4711, NULL, 0, NULL, a, NULL);
    gsl_rng *rng = rngs_alloc(4711);
    nn_init_params(&c, b, rng);
    for (size_t i = 0; i < nq; i++) order[i] = i;
    for (size_t e = 0; e < p.epochs; e++) {
        gsl_ran_shuffle(rng, order, nq, sizeof *order);
        for (size_t b0 = 0; b0 < nq; b0 += p.batch)
            ref_step(ds, &c, &p, order + b0, nq - b0 < 5 ? nq - b0 : 5, b, buf,
                     ++step);
    }
    gsl_test(memcmp(a, b, P * sizeof *a) != 0,
             "minibatches = gsl_ran_shuffle per epoch, cut in order (bit for bit)");
    gsl_rng_free(rng);
    free(a);
    free(b);
    free(buf);
    free(order);
    data_free(ds);
}

static void test_trainer_properties(void)
{
    data_set *ds = make_data(300, 3, 2, 555, 1);
    nn_config c = {4, 6, 2, NN_SOFTPLUS};
    size_t P = nn_num_params(&c);
    dpo_params p;
    dpo_params_init(&p);
    p.batch = 16;
    p.epochs = 3;
    double *a = malloc(P * sizeof *a), *b = malloc(P * sizeof *b);
    double *init = malloc(P * sizeof *init);
    double la, lb;

    /* Determinism: same seed, same bits. */
    int sa = train_once(ds, &c, &p, 31, NULL, 0, NULL, a, &la);
    int sb = train_once(ds, &c, &p, 31, NULL, 0, NULL, b, &lb);
    gsl_test(sa != PREF_OK || sb != PREF_OK, "training runs");
    gsl_test(memcmp(a, b, P * sizeof *a) != 0 || la != lb,
             "same rng state and inputs give identical bits");
    train_once(ds, &c, &p, 32, NULL, 0, NULL, b, &lb);
    gsl_test(memcmp(a, b, P * sizeof *a) == 0, "another seed gives other parameters");

    /* All weights 0: zero gradients, so Adam leaves every parameter as it
     * was (m = v = 0, step 0 / (0 + eps) = 0), bit for bit. */
    double *w = malloc(ds->n_queries * sizeof *w);
    for (size_t q = 0; q < ds->n_queries; q++) w[q] = 0.0;
    gsl_rng *rng = rngs_alloc(31);
    nn_init_params(&c, init, rng);
    gsl_rng_free(rng);
    double lz;
    train_once(ds, &c, &p, 31, NULL, 0, w, b, &lz);
    gsl_test(memcmp(init, b, P * sizeof *b) != 0,
             "all-zero weights leave the parameters unchanged");
    gsl_test(lz != 0.0, "all-zero weights report loss 0");

    /* Only the listed queries are touched: the others carry NaN weights. */
    size_t *qidx = malloc(150 * sizeof *qidx);
    for (size_t i = 0; i < 150; i++) {
        qidx[i] = 2 * i;
        w[2 * i] = 1.0;
        w[2 * i + 1] = NAN;
    }
    double ls;
    int ss = train_once(ds, &c, &p, 31, qidx, 150, w, b, &ls);
    gsl_test(ss != PREF_OK || !isfinite(ls), "qidx restricts training to its queries");

    /* Constant weights 2 versus 1: the same Adam trajectory up to eps, and
     * the reported loss (normalised by sum w) is the same. */
    for (size_t q = 0; q < ds->n_queries; q++) w[q] = 2.0;
    train_once(ds, &c, &p, 31, NULL, 0, w, b, &lb);
    gsl_test_rel(lb, la, 1e-6, "reported loss is normalised by the weights");

    /* Out-of-range query index and a mismatched data set are input errors. */
    dpo_trainer *t = dpo_trainer_alloc(&c, ds, &p, NULL);
    rng = rngs_alloc(1);
    size_t bad[2] = {0, 300};
    gsl_test(dpo_train(t, a, ds, bad, 2, NULL, rng, NULL) != PREF_EINPUT,
             "a query index out of range is PREF_EINPUT");
    data_set *other = data_alloc(1, 1, 2, 5, 0);
    other->user_q[1] = 1;
    other->q_cand[1] = 2;
    other->q_r[0] = 1;
    for (size_t i = 0; i < 10; i++) other->x[i] = 0.1 * (double)i;
    gsl_test(dpo_train(t, a, other, NULL, 0, NULL, rng, NULL) != PREF_EINPUT,
             "a data set of another d is PREF_EINPUT");
    /* More queries than the trainer was sized for. */
    size_t *many = malloc(301 * sizeof *many);
    for (size_t i = 0; i < 301; i++) many[i] = i % 300;
    gsl_test(dpo_train(t, a, ds, many, 301, NULL, rng, NULL) != PREF_EINPUT,
             "more queries than the trainer holds is PREF_EINPUT");
    /* Restart from scratch: reset + same init + same rng = same bits. */
    dpo_trainer_reset(t);
    gsl_rng_free(rng);
    rng = rngs_alloc(31);
    nn_init_params(&c, b, rng);
    gsl_test_int(dpo_train(t, b, ds, NULL, 0, NULL, rng, &lb), PREF_OK,
                 "training after dpo_trainer_reset");
    gsl_test(memcmp(a, b, P * sizeof *a) != 0,
             "dpo_trainer_reset restarts Adam (same bits as a fresh trainer)");

    /* dpo_forward_all equals nn_forward query by query (chunks of
     * batch * max m = 48 rows do not align with the 900 candidates' queries
     * in any special way: 900 = 18 * 48 + 36). */
    double *fa = malloc(ds->n_cands * sizeof *fa);
    double acts[2 * 2 * 3 * 6], fq[3];
    dpo_forward_all(t, a, ds, fa);
    double worst = 0.0;
    for (size_t q = 0; q < ds->n_queries; q++) {
        nn_forward(&c, a, ds->x + q * 3 * 4, 3, acts, fq);
        for (size_t j = 0; j < 3; j++) {
            double e = fabs(fa[q * 3 + j] - fq[j]) / fmax(fabs(fq[j]), 1e-300);
            if (e > worst) worst = e;
        }
    }
    gsl_test(!(worst <= 1e-14), "dpo_forward_all = per-query nn_forward (%.1e)", worst);

    /* Parameter checks. */
    dpo_params q;
    dpo_params_init(&q);
    gsl_test(q.beta != 0.1 || q.batch != 64 || q.epochs != 1 || q.adam.lr != 1e-3,
             "dpo defaults: beta 0.1, batch 64, epochs 1, lr 1e-3");
    gsl_test(dpo_params_check(&q) != NULL, "defaults pass the check");
    q.beta = 0;
    gsl_test(dpo_params_check(&q) == NULL, "beta = 0 is rejected");
    dpo_params_init(&q);
    q.batch = 0;
    gsl_test(dpo_params_check(&q) == NULL, "batch = 0 is rejected");
    dpo_params_init(&q);
    q.epochs = 0;
    gsl_test(dpo_params_check(&q) == NULL, "epochs = 0 is rejected");
    dpo_params_init(&q);
    q.adam.lr = -1;
    gsl_test(dpo_params_check(&q) == NULL, "a bad Adam lr is rejected");
    int err = PREF_OK;
    gsl_test(dpo_trainer_alloc(&c, ds, &q, &err) != NULL, "alloc refuses bad params");
    gsl_test_int(err, PREF_EINPUT, "bad params are an input error, not out of "
                 "memory (%s)", pref_last_error());
    dpo_trainer *td = dpo_trainer_alloc(&c, ds, NULL, &err);
    gsl_test_int(err, PREF_OK, "alloc with default params: PREF_OK");
    gsl_test(td == NULL, "alloc with NULL params uses the defaults");
    dpo_trainer_free(td);
    dpo_trainer_free(NULL);

    free(many);
    data_free(other);
    gsl_rng_free(rng);
    dpo_trainer_free(t);
    free(fa);
    free(qidx);
    free(w);
    free(a);
    free(b);
    free(init);
    data_free(ds);
}

/* Divergence. Adam moves each parameter by at most about lr per step, so
 * lr = 1e10 gives absurd but finite losses (about 1e8 nats per query after
 * 1000 epochs of this problem): under dpo.h's contract that is not a
 * failure. lr = 1e200 makes the one-hidden-layer softplus network overflow
 * at step 2 (hidden units of 1e200 times output weights of 1e200: inf - inf
 * = NaN), and training must stop with PREF_ENUM, saying where. */
/* train_once with the trainer reading pk (NULL: none), on data `on`. */
static int train_pk(const data_set *on, const qpack *pk, const nn_config *c,
                    const dpo_params *p, const size_t *qidx, size_t n_q,
                    const double *qw, double *params, double *loss)
{
    dpo_trainer *t = dpo_trainer_alloc(c, on, p, NULL);
    int s = dpo_trainer_set_pack(t, pk);
    gsl_rng *rng = rngs_alloc(41);
    nn_init_params(c, params, rng);
    if (!s) s = dpo_train(t, params, on, qidx, n_q, qw, rng, loss);
    gsl_rng_free(rng);
    dpo_trainer_free(t);
    return s;
}

/* A trainer reading packed queries (qpack.h) computes the same bits as one
 * reading the data set: with a table of distinct rows (300 queries whose
 * rows and logp_ref repeat those of the first 30) and with the data's own
 * rows (no repeats), in double and single precision, with weights and a
 * subset of queries; dpo_forward_all too. A pack of another data set is
 * not used; a pack of another d is refused. */
static void test_packed(void)
{
    nn_config c = {4, 6, 2, NN_TANH};
    size_t P = nn_num_params(&c);
    double *a = malloc(P * sizeof *a), *b = malloc(P * sizeof *b);
    data_set *plain = make_data(300, 3, 2, 556, 1);
    data_set *rep = make_data(300, 3, 2, 557, 1);
    for (size_t q = 30; q < 300; q++) {
        memcpy(rep->x + q * 12, rep->x + (q % 30) * 12, 12 * sizeof(double));
        memcpy(rep->logp_ref + q * 3, rep->logp_ref + (q % 30) * 3,
               3 * sizeof(double));
    }
    double *w = malloc(300 * sizeof *w);
    size_t qidx[120];
    for (size_t q = 0; q < 300; q++) w[q] = 0.25 + (double)(q % 5) / 4.0;
    for (size_t i = 0; i < 120; i++) qidx[i] = (7 * i) % 300;
    data_set *sets[2] = {rep, plain};
    for (size_t s = 0; s < 2; s++) { /* 100 users of 3 queries */
        sets[s]->n_users = 100;
        for (size_t i = 0; i <= 100; i++) sets[s]->user_q[i] = 3 * i;
    }
    double uw[200], *qw = malloc(300 * sizeof *qw);
    for (size_t i = 0; i < 200; i++) uw[i] = 0.1 + (double)((7 * i) % 11) / 5.0;
    for (size_t q = 0; q < 300; q++) qw[q] = uw[(q / 3) * 2 + 1];
    for (size_t s = 0; s < 2; s++) {
        data_set *ds = sets[s];
        qpack *pk = qpack_alloc(ds, NULL);
        gsl_test(!pk, "packs");
        gsl_test(pk && (pk->x_own != NULL) != (s == 0),
                 s ? "no repeats: the data's rows" : "repeats: a table of rows");
        if (pk && s == 0) gsl_test_int((int)pk->n_rows, 90, "90 distinct rows");
        for (int prec = DPO_DOUBLE; prec <= DPO_SINGLE; prec++) {
            dpo_params p;
            dpo_params_init(&p);
            p.batch = 16;
            p.epochs = 2;
            p.precision = prec;
            double la, lb;
            int sa = train_pk(ds, NULL, &c, &p, NULL, 0, w, a, &la);
            int sb = train_pk(ds, pk, &c, &p, NULL, 0, w, b, &lb);
            gsl_test(sa || sb || memcmp(a, b, P * sizeof *a) || la != lb,
                     "packed = direct, %s rows, precision %d, all queries",
                     s ? "own" : "distinct", prec);
            /* by user: column 1 of uw (stride 2) against its expansion */
            sa = train_pk(ds, NULL, &c, &p, NULL, 0, qw, a, &la);
            dpo_trainer *t = dpo_trainer_alloc(&c, ds, &p, NULL);
            sb = dpo_trainer_set_pack(t, pk);
            gsl_rng *rng = rngs_alloc(41);
            nn_init_params(&c, b, rng);
            if (!sb) sb = dpo_train_by_user(t, b, ds, uw + 1, 2, rng, &lb);
            gsl_test(sa || sb || memcmp(a, b, P * sizeof *a) || la != lb,
                     "weights by user = per query, %s rows, precision %d",
                     s ? "own" : "distinct", prec);
            dpo_trainer_set_pack(t, NULL);
            gsl_test(dpo_train_by_user(t, b, ds, uw, 2, rng, &lb) != PREF_EINPUT,
                     "weights by user without a pack: PREF_EINPUT");
            gsl_rng_free(rng);
            dpo_trainer_free(t);
            sa = train_pk(ds, NULL, &c, &p, qidx, 120, NULL, a, &la);
            sb = train_pk(ds, pk, &c, &p, qidx, 120, NULL, b, &lb);
            gsl_test(sa || sb || memcmp(a, b, P * sizeof *a) || la != lb,
                     "packed = direct, %s rows, precision %d, 120 queries",
                     s ? "own" : "distinct", prec);
        }
        /* dpo_forward_all */
        dpo_trainer *t = dpo_trainer_alloc(&c, ds, NULL, NULL);
        double *f1 = malloc(ds->n_cands * sizeof *f1);
        double *f2 = malloc(ds->n_cands * sizeof *f2);
        gsl_rng *rng = rngs_alloc(8);
        nn_init_params(&c, a, rng);
        gsl_rng_free(rng);
        dpo_forward_all(t, a, ds, f1);
        gsl_test(dpo_trainer_set_pack(t, pk) != PREF_OK, "set_pack");
        dpo_forward_all(t, a, ds, f2);
        gsl_test(memcmp(f1, f2, ds->n_cands * sizeof *f1) != 0,
                 "dpo_forward_all packed = direct (%s rows)", s ? "own" : "distinct");
        if (pk && pk->x_own) { /* dpo_forward_rows: row j = its candidates' */
            double *fr = malloc(pk->n_rows * sizeof *fr);
            dpo_forward_rows(t, a, fr);
            int same = 1;
            for (size_t q = 0; q < ds->n_queries; q++)
                for (size_t j = 0; j < 3; j++)
                    same &= !memcmp(fr + qpack_rows(qpack_record(pk, q))[j],
                                    f1 + 3 * q + j, sizeof *fr);
            gsl_test(!same, "dpo_forward_rows: each row's output is its "
                     "candidates'");
            free(fr);
        }
        dpo_forward_all(t, a, sets[1 - s], f2); /* another data set: direct */
        dpo_trainer_set_pack(t, NULL);
        dpo_forward_all(t, a, sets[1 - s], f1);
        gsl_test(memcmp(f1, f2, ds->n_cands * sizeof *f1) != 0,
                 "a pack of another data set is not read");
        dpo_trainer_free(t);
        free(f1);
        free(f2);
        if (s == 0) { /* rep's pack on plain's trainer and data */
            dpo_params p;
            dpo_params_init(&p);
            double la, lb;
            train_pk(plain, NULL, &c, &p, NULL, 0, NULL, a, &la);
            train_pk(plain, pk, &c, &p, NULL, 0, NULL, b, &lb);
            gsl_test(memcmp(a, b, P * sizeof *a) != 0,
                     "dpo_train ignores a pack of another data set");
        }
        qpack_free(pk);
    }
    /* A pack of d = 4 on a trainer of d = 3. */
    data_set *d3 = data_alloc(1, 1, 2, 3, 0); /* one pair */
    d3->user_q[1] = 1;
    d3->q_cand[1] = 2;
    d3->q_r[0] = 1;
    nn_config c3 = {3, 2, 1, NN_TANH};
    dpo_trainer *t3 = dpo_trainer_alloc(&c3, d3, NULL, NULL);
    gsl_test(t3 == NULL, "a trainer of d = 3");
    qpack *pk = qpack_alloc(rep, NULL);
    gsl_test(!t3 || dpo_trainer_set_pack(t3, pk) != PREF_EINPUT,
             "a pack of d = 4 on a trainer of d = 3: PREF_EINPUT");
    qpack_free(pk);
    dpo_trainer_free(t3);
    data_free(d3);
    data_free(plain);
    data_free(rep);
    free(qw);
    free(w);
    free(a);
    free(b);
}

static void test_divergence(void)
{
    data_set *ds = make_data(40, 3, 1, 8080, 0);
    nn_config c = {4, 8, 1, NN_SOFTPLUS};
    size_t P = nn_num_params(&c);
    double *params = malloc(P * sizeof *params);
    dpo_params p;
    dpo_params_init(&p);
    p.batch = 8;
    p.epochs = 5;
    p.adam.lr = 1e200;
    double loss = 0.0;
    pref_clear_error();
    int s = train_once(ds, &c, &p, 3, NULL, 0, NULL, params, &loss);
    gsl_test(s != PREF_ENUM, "lr = 1e200 diverges with PREF_ENUM (got %d)", s);
    gsl_test(strstr(pref_last_error(), "training diverged at epoch 1, step ") == NULL,
             "the message names epoch and step: \"%s\"", pref_last_error());

    /* A NaN feature (which data_check would have refused) poisons the very
     * first loss: the exact message. */
    ds->x[5 * 3 * 4 + 2] = NAN; /* query 5; one batch holds all 40 */
    p.adam.lr = 1e-3;
    p.batch = 40;
    pref_clear_error();
    s = train_once(ds, &c, &p, 3, NULL, 0, NULL, params, &loss);
    gsl_test(s != PREF_ENUM, "a NaN feature gives PREF_ENUM");
    gsl_test(strcmp(pref_last_error(),
                    "training diverged at epoch 1, step 1: loss is NaN") != 0,
             "message: \"%s\"", pref_last_error());
    free(params);
    data_free(ds);
}

int main(void)
{
    gsl_set_error_handler_off();
    test_block_loss();
    test_top1_blocks();
    test_long_query();
    test_adam();
    test_recovery();
    test_trainer_properties();
    test_minibatch_order();
    test_divergence();
    test_packed();
    exit(gsl_test_summary());
}
