/* dpo.h — the weighted Plackett–Luce DPO loss and its minibatch trainer.
 *
 * For one policy f (nn.h) and a set of queries with weights w_q (the E-step
 * responsibilities gamma_ik of the query's user, or 1), the loss is
 *
 *   L = - sum_q w_q log P_PL(o_q | u),   u_c = beta (f(x_c) - logp_ref_c)
 *
 *: pairs, top-1 and full rankings are one code path because the
 * answer is "the first r of m" in the canonical candidate order (data.h).
 * The trainer runs epochs of Adam over shuffled minibatches of `batch`
 * queries: it gathers the batch's candidates into a contiguous (n, d) block,
 * calls nn_forward / dpo loss / nn_backward / adam_step, and never allocates
 * after dpo_trainer_alloc. The loss reported for an epoch is the mean of
 * L / sum(w) over its minibatches. A non-finite loss or parameter stops
 * training with PREF_ENUM naming the epoch and step.
 * Not here: EM (emdpo.h), choosing weights. */
#ifndef HETPREF_DPO_H
#define HETPREF_DPO_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "adam.h"
#include "data.h"
#include "nn.h"
#include "qpack.h"

/* Loss of a block of queries already evaluated: f (n_cands) network outputs
 * for the candidates of n_q queries laid out contiguously, query q owning
 * [off[q], off[q+1]) with r[q] ranked first; logp_ref (n_cands) may be NULL
 * (0); w (n_q) may be NULL (1). Writes dL/df into df (n_cands) and returns
 * L. O(n_cands * r). */
double dpo_block_loss(const double *f, const double *logp_ref,
                      const size_t *off, const uint32_t *r, const double *w,
                      size_t n_q, double beta, double *df);

/* 1 when every query q in [q0, q1) (candidates [off[q], off[q+1]), r[q]
 * ranked) ranks exactly its first candidate among 2 <= m <= 256 (r clamped to
 * m - 1: pairs and top 1 of m), else 0. */
int dpo_all_top1(const size_t *off, const uint32_t *r, size_t q0, size_t q1);

/* The log-sum-exps of nq queries' utilities, vectorised across them: query
 * q's m = off[q+1] - off[q] utilities at e + (off[q] - off[0]) on entry;
 * on exit there e_j = exp(u_j - mx[q]) with mx[q] their maximum, S[q] =
 * sum_j e_j (in candidate order) and lg[q] = log S[q], so that the query's
 * log-sum-exp is mx[q] + lg[q]. exp and log are vecops_expneg and vecops_log
 * (one call each for all queries). mx, S, lg: nq doubles each. */
void dpo_top1_lse(double *e, const size_t *off, size_t nq, double *mx,
                  double *S, double *lg);

/* Arithmetic of a training step's network pass (dpo_params.precision). */
enum { DPO_DOUBLE = 0, DPO_SINGLE = 1 };

typedef struct dpo_params {
    double beta;     /* DPO temperature (default 0.1) */
    size_t batch;    /* queries per minibatch (default 64) */
    size_t epochs;   /* epochs per call of dpo_train (default 1) */
    adam_params adam;
    int precision;   /* DPO_DOUBLE (default) or DPO_SINGLE: mixed precision,
                        the minibatch's forward and backward pass in float
                        (nnf.h), parameters, Adam and the loss in double;
                        dpo_total_loss and dpo_forward_all stay double */
} dpo_params;

void dpo_params_init(dpo_params *p);
const char *dpo_params_check(const dpo_params *p);

typedef struct dpo_trainer dpo_trainer;

/* A trainer for networks c on data ds (sizes read from ds: the largest
 * batch of candidates is batch * max m). Owns Adam moments and scratch.
 * p may be NULL (defaults). On failure NULL, with *err = PREF_EINPUT (c or p
 * invalid, or a batch too large: the message says which) or PREF_ENOMEM;
 * else *err = PREF_OK. err may be NULL. */
dpo_trainer *dpo_trainer_alloc(const nn_config *c, const data_set *ds,
                               const dpo_params *p, int *err);
void dpo_trainer_free(dpo_trainer *t); /* NULL is a no-op */

/* Read ds's queries through the pack pk (qpack.h; borrowed, NULL: none)
 * whenever dpo_train or dpo_forward_all is given the data set pk was built
 * from: one record per query instead of its scattered entries and rows,
 * and, when pk holds the distinct rows, dpo_forward_all evaluates each
 * distinct row once. The same numbers either way, bit for bit. Allocates
 * pk->n_rows outputs when pk owns its rows. PREF_OK, PREF_EINPUT (pk has
 * another d, or more queries than the trainer was sized for) or
 * PREF_ENOMEM; on error the trainer has no pack. */
int dpo_trainer_set_pack(dpo_trainer *t, const qpack *pk);

/* Zero the Adam moments and step counter (for a restart from scratch). */
void dpo_trainer_reset(dpo_trainer *t);

/* Train params for p->epochs epochs over the queries listed in qidx
 * (n_q indices into ds; NULL = all queries) with per-query weights
 * qweight (indexed by query index into ds, NULL = 1). Minibatch order is
 * drawn from rng. *loss (may be NULL) receives the last epoch's mean loss.
 * PREF_OK, or PREF_ENUM on a non-finite loss/parameter. */
int dpo_train(dpo_trainer *t, double *params, const data_set *ds,
              const size_t *qidx, size_t n_q, const double *qweight,
              gsl_rng *rng, double *loss);

/* dpo_train over all queries of ds with the weight of each query its
 * user's, uweight[i * ustride] for user i (the E-step's responsibilities of
 * one type: ustride = K), read through the trainer's pack, which must be
 * of ds (else PREF_EINPUT). The same bits as dpo_train given each query its
 * user's weight. */
int dpo_train_by_user(dpo_trainer *t, double *params, const data_set *ds,
                      const double *uweight, size_t ustride, gsl_rng *rng,
                      double *loss);

/* Total weighted loss over all queries of ds (no training), for monitoring. */
double dpo_total_loss(dpo_trainer *t, const double *params, const data_set *ds,
                      const double *qweight);

/* Network outputs f(x_c) for every candidate of ds (f: ds->n_cands),
 * computed in chunks through the trainer's buffers (no allocation). */
void dpo_forward_all(dpo_trainer *t, const double *params, const data_set *ds,
                     double *f);

/* Network outputs for each row of the trainer's pack (which must be set;
 * f: pack->n_rows), through the trainer's buffers (no allocation). */
void dpo_forward_rows(dpo_trainer *t, const double *params, double *f);

#endif
