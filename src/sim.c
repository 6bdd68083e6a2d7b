/* sim.c — populations, designs and exact answer simulation (see sim.h). */
#include "sim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>

#include "err.h"
#include "pl.h"
#include "rngs.h"

/* Users per block of the parallel simulation; part of the output contract
 * (changing it changes the simulated data for a given seed). */
#define SIM_BLOCK 1024

void sim_population_free(sim_population *p)
{
    if (!p) return;
    free(p->eta);
    free(p->theta);
    free(p->mean);
    free(p->chol);
    free(p->teacher);
    free(p);
}

static double vec_at(const cfg_list *l, size_t j)
{
    return l->n == 1 ? l->v[0] : l->v[j];
}

/* The finite populations, whichever section ([population] or [compare])
 * names them; ETA_ONLY is a nonlinear population's weights (rewards are set
 * apart). */
typedef enum finite_kind {
    FINITE_LATENT_CLASS, FINITE_ETA_ONLY, FINITE_POLARISED, FINITE_INDIFFERENT
} finite_kind;

static int finite_population(size_t d, finite_kind kind, size_t types,
                             const cfg_list *eta, const cfg_list *theta,
                             const cfg_list *b, sim_population **out);

static double draw_feature(const sim_design *g, const gsl_rng *rng);

/* Nonlinear rewards. traits: r_k(x) = s tanh(2 x_k). teacher: a random
 * one-hidden-layer tanh network per type, r_k(x) = s * v.tanh(W x + b) / sd,
 * with sd its standard deviation under the feature law (estimated on 4000
 * draws), so every type's reward has standard deviation ~ s. The teachers
 * are part of the truth: drawn from run.seed, identical for every task. */
static int make_rewards(sim_population *p, const cfg *c)
{
    size_t d = p->d, K = p->K, H = (size_t)c->population_teacher_hidden;
    p->reward_scale = c->population_reward_scale;
    if (c->population_kind == CFG_population_kind_traits) {
        p->reward = SIM_TRAITS;
        return PREF_OK;
    }
    p->reward = SIM_TEACHER;
    p->th = H;
    size_t stride = H * d + 2 * H + 1;
    p->teacher = malloc(K * stride * sizeof(double));
    gsl_rng *r = rngs_alloc(rngs_seed((uint64_t)c->run_seed, 0x7eac4e2ULL, 0));
    double *x = malloc(d * sizeof(double));
    if (!p->teacher || !r || !x) {
        gsl_rng_free(r);
        free(x);
        PREF_ERROR(PREF_ENOMEM, "out of memory");
    }
    sim_design fl = {.uniform = c->design_features == CFG_design_features_uniform,
                     .scale = c->design_feature_scale};
    for (size_t k = 0; k < K; k++) {
        double *t = p->teacher + k * stride;
        double *W = t, *b = W + H * d, *v = b + H;
        for (size_t j = 0; j < H * d; j++)
            W[j] = gsl_ran_gaussian(r, 2.0 / sqrt((double)d) / fl.scale);
        for (size_t j = 0; j < H; j++) b[j] = gsl_ran_gaussian(r, 0.5);
        for (size_t j = 0; j < H; j++) v[j] = gsl_ran_gaussian(r, 1.0);
        t[stride - 1] = 1.0;
        double s1 = 0, s2 = 0;
        for (int n = 0; n < 4000; n++) {
            for (size_t j = 0; j < d; j++) x[j] = draw_feature(&fl, r);
            double y = sim_reward(p, k, x) / p->reward_scale;
            s1 += y;
            s2 += y * y;
        }
        double var = s2 / 4000.0 - (s1 / 4000.0) * (s1 / 4000.0);
        t[stride - 1] = var > 0 ? 1.0 / sqrt(var) : 1.0;
    }
    gsl_rng_free(r);
    free(x);
    return PREF_OK;
}

double sim_reward(const sim_population *p, size_t k, const double *x)
{
    size_t d = p->d;
    switch (p->reward) {
    case SIM_TRAITS:
        return p->reward_scale * tanh(2.0 * x[k % d]);
    case SIM_TEACHER: {
        size_t H = p->th, stride = H * d + 2 * H + 1;
        const double *t = p->teacher + k * stride;
        const double *W = t, *b = W + H * d, *v = b + H;
        double y = 0.0;
        for (size_t h = 0; h < H; h++) {
            double z = b[h];
            for (size_t j = 0; j < d; j++) z += W[j * H + h] * x[j];
            y += v[h] * tanh(z);
        }
        return p->reward_scale * t[stride - 1] * y;
    }
    default: {
        double y = 0.0;
        for (size_t j = 0; j < d; j++) y += p->theta[k * d + j] * x[j];
        return y;
    }
    }
}

int sim_population_from_cfg(const cfg *c, sim_population **out)
{
    *out = NULL;
    size_t d = (size_t)c->design_d;
    sim_population *p = calloc(1, sizeof *p);
    if (!p) PREF_ERROR(PREF_ENOMEM, "out of memory");
    p->d = d;
    cfg_value kind = c->population_kind;
    if (kind == CFG_population_kind_gaussian) {
        p->mean = malloc(d * sizeof(double));
        p->chol = calloc(d * d, sizeof(double));
        if (!p->mean || !p->chol) {
            sim_population_free(p);
            PREF_ERROR(PREF_ENOMEM, "out of memory");
        }
        for (size_t j = 0; j < d; j++) p->mean[j] = vec_at(&c->population_mean, j);
        const cfg_list *v = &c->population_cov;
        gsl_matrix_view L = gsl_matrix_view_array(p->chol, d, d);
        for (size_t a = 0; a < d; a++)
            for (size_t b = 0; b < d; b++) {
                double s;
                if (v->n == 1) s = a == b ? v->v[0] : 0.0;
                else if (v->n == d && v->rows == 1) s = a == b ? v->v[a] : 0.0;
                else s = v->v[a * d + b];
                gsl_matrix_set(&L.matrix, a, b, s);
            }
        /* GSL's error handler is off (main turns it off once): a matrix
         * that is not positive definite comes back as a status. */
        int st = gsl_linalg_cholesky_decomp1(&L.matrix);
        if (st) {
            sim_population_free(p);
            if (c->line[CFG_KEY_population_cov] > 0)
                PREF_ERROR(PREF_EINPUT, "%s:%d: [population] cov: not positive "
                           "definite", c->file, c->line[CFG_KEY_population_cov]);
            PREF_ERROR(PREF_EINPUT, "[population] cov: not positive definite");
        }
        for (size_t a = 0; a < d; a++)
            for (size_t b = a + 1; b < d; b++) p->chol[a * d + b] = 0.0;
        *out = p;
        return PREF_OK;
    }
    free(p);
    int nonlinear = kind == CFG_population_kind_traits || kind == CFG_population_kind_teacher;
    finite_kind fk = nonlinear ? FINITE_ETA_ONLY
                     : kind == CFG_population_kind_latent_class ? FINITE_LATENT_CLASS
                     : kind == CFG_population_kind_polarised    ? FINITE_POLARISED
                                                                : FINITE_INDIFFERENT;
    PREF_TRY(finite_population(d, fk,
                               (size_t)c->population_types, &c->population_eta,
                               &c->population_theta, &c->population_b, out));
    if (nonlinear) {
        int st = make_rewards(*out, c);
        if (st) {
            sim_population_free(*out);
            *out = NULL;
            return st;
        }
    }
    return PREF_OK;
}

int sim_population_compare_from_cfg(const cfg *c, sim_population **out)
{
    *out = NULL;
    cfg_value kind = c->compare_kind;
    finite_kind fk = kind == CFG_compare_kind_latent_class ? FINITE_LATENT_CLASS
                     : kind == CFG_compare_kind_polarised  ? FINITE_POLARISED
                                                           : FINITE_INDIFFERENT;
    return finite_population((size_t)c->design_d, fk,
                             (size_t)c->compare_types, &c->compare_eta,
                             &c->compare_theta, &c->compare_b, out);
}

static int finite_population(size_t d, finite_kind kind, size_t types,
                             const cfg_list *eta, const cfg_list *theta,
                             const cfg_list *b, sim_population **out)
{
    sim_population *p = calloc(1, sizeof *p);
    if (!p) PREF_ERROR(PREF_ENOMEM, "out of memory");
    p->d = d;
    size_t K = 1;
    if (kind == FINITE_LATENT_CLASS || kind == FINITE_ETA_ONLY) K = types;
    else if (kind == FINITE_POLARISED) K = 2;
    p->K = K;
    p->eta = malloc(K * sizeof(double));
    p->theta = calloc(K * d, sizeof(double));
    if (!p->eta || !p->theta) {
        sim_population_free(p);
        PREF_ERROR(PREF_ENOMEM, "out of memory");
    }
    if (kind == FINITE_LATENT_CLASS) {
        memcpy(p->eta, eta->v, K * sizeof(double));
        memcpy(p->theta, theta->v, K * d * sizeof(double));
    } else if (kind == FINITE_ETA_ONLY) {
        memcpy(p->eta, eta->v, K * sizeof(double)); /* rewards set later */
    } else if (kind == FINITE_POLARISED) {
        p->eta[0] = p->eta[1] = 0.5;
        for (size_t j = 0; j < d; j++) {
            p->theta[j] = vec_at(b, j);
            p->theta[d + j] = -p->theta[j];
        }
    } else { /* indifferent: everyone has theta = 0 */
        p->eta[0] = 1.0;
    }
    *out = p;
    return PREF_OK;
}

void sim_design_free(sim_design *g)
{
    if (!g) return;
    free(g->pool_x);
    free(g->ref_w);
    free(g->pool_logp);
    free(g);
}

void sim_design_use_prompts(sim_design *g, int test)
{
    g->prompt_lo = test ? g->prompts : 0;
    g->prompt_hi = test ? g->prompts + g->test_prompts : g->prompts;
}

static double draw_feature(const sim_design *g, const gsl_rng *rng)
{
    if (g->uniform) return g->scale * (2.0 * gsl_rng_uniform(rng) - 1.0);
    return gsl_ran_gaussian_ziggurat(rng, g->scale);
}

int sim_design_from_cfg(const cfg *c, const gsl_rng *rng, sim_design **out)
{
    *out = NULL;
    sim_design *g = calloc(1, sizeof *g);
    if (!g) PREF_ERROR(PREF_ENOMEM, "out of memory");
    g->d = (size_t)c->design_d;
    g->m = (size_t)cfg_m(c);
    g->r = (size_t)cfg_r(c);
    g->T = (size_t)c->design_T;
    g->users = c->design_budget > 0 ? (size_t)(c->design_budget / c->design_T)
                                    : (size_t)c->design_users;
    g->uniform = c->design_features == CFG_design_features_uniform;
    g->scale = c->design_feature_scale;
    g->prompts = (size_t)c->design_prompts;
    g->test_prompts = g->prompts ? (size_t)c->design_test_prompts : 0;
    g->pool = g->prompts ? (size_t)c->design_pool : 0;
    sim_design_use_prompts(g, 0);
    size_t np = g->prompts + g->test_prompts;
    const cfg_list *q = &c->design_ref_quality;
    int ref = 0;
    for (size_t j = 0; j < q->n; j++) ref |= q->v[j] != 0.0;
    if (ref) {
        g->ref_w = malloc(g->d * sizeof(double));
        if (!g->ref_w) {
            sim_design_free(g);
            PREF_ERROR(PREF_ENOMEM, "out of memory");
        }
        for (size_t j = 0; j < g->d; j++) g->ref_w[j] = vec_at(q, j);
    }
    if (g->prompts) {
        size_t n = np * g->pool * g->d;
        g->pool_x = malloc(n * sizeof(double));
        g->pool_logp = malloc(np * g->pool * sizeof(double));
        if (!g->pool_x || !g->pool_logp) {
            sim_design_free(g);
            PREF_ERROR(PREF_ENOMEM, "out of memory for %zu pool features", n);
        }
        for (size_t i = 0; i < n; i++) g->pool_x[i] = draw_feature(g, rng);
        /* log pi_ref within each pool: log softmax of w . x (uniform if no w) */
        for (size_t pr = 0; pr < np; pr++) {
            double *lp = g->pool_logp + pr * g->pool, lse = -INFINITY;
            for (size_t y = 0; y < g->pool; y++) {
                double v = 0.0;
                if (g->ref_w)
                    for (size_t j = 0; j < g->d; j++)
                        v += g->ref_w[j] * g->pool_x[(pr * g->pool + y) * g->d + j];
                lp[y] = v;
                lse = pl_logaddexp(lse, v);
            }
            for (size_t y = 0; y < g->pool; y++) lp[y] -= lse;
        }
    }
    *out = g;
    return PREF_OK;
}

uint32_t sim_draw_user(const sim_population *p, const gsl_rng *rng,
                       double *theta)
{
    size_t d = p->d;
    if (p->K == 0) {
        /* theta = mean + L z, z ~ N(0, I) */
        for (size_t a = 0; a < d; a++) theta[a] = p->mean[a];
        for (size_t b = 0; b < d; b++) {
            double z = gsl_ran_gaussian_ziggurat(rng, 1.0);
            for (size_t a = b; a < d; a++) theta[a] += p->chol[a * d + b] * z;
        }
        return DATA_NONE;
    }
    size_t k = 0;
    if (p->K > 1) {
        double v = gsl_rng_uniform(rng), acc = 0.0;
        for (k = 0; k + 1 < p->K; k++) {
            acc += p->eta[k];
            if (v < acc) break;
        }
    }
    memcpy(theta, p->theta + k * d, d * sizeof(double));
    return (uint32_t)k;
}

int sim_population_discretise(const sim_population *p, const double *theta,
                              size_t G, double *w)
{
    size_t d = p->d;
    if (p->K != 0 || !p->mean || !p->chol)
        PREF_ERROR(PREF_EINPUT, "discretise: only a gaussian population");
    enum { MAXD = 64 }; /* a grid in more dimensions could not be stored */
    double s = 0.0, z[MAXD];
    if (d > MAXD) PREF_ERROR(PREF_EINPUT, "discretise: d = %zu > %d", d, (int)MAXD);
    for (size_t r = 0; r < G; r++) {
        /* z = L^{-1} (theta_r - mean) by forward substitution. */
        double q = 0.0;
        for (size_t a = 0; a < d; a++) {
            double v = theta[r * d + a] - p->mean[a];
            for (size_t b = 0; b < a; b++) v -= p->chol[a * d + b] * z[b];
            z[a] = v / p->chol[a * d + a];
            q += z[a] * z[a];
        }
        w[r] = exp(-0.5 * q);
        s += w[r];
    }
    if (!(s > 0)) PREF_ERROR(PREF_EINPUT, "discretise: no point has positive density");
    for (size_t r = 0; r < G; r++) w[r] /= s;
    return PREF_OK;
}

void sim_draw_query(const sim_design *g, const gsl_rng *rng, double *x,
                    uint32_t *prompt, uint32_t *items, uint32_t *work)
{
    size_t m = g->m, d = g->d;
    if (!g->prompts) {
        for (size_t i = 0; i < m * d; i++) x[i] = draw_feature(g, rng);
        *prompt = DATA_NONE;
        for (size_t j = 0; j < m; j++) items[j] = (uint32_t)j;
        return;
    }
    size_t pr = g->prompt_lo + gsl_rng_uniform_int(rng, g->prompt_hi - g->prompt_lo);
    /* m distinct pool members by a partial Fisher–Yates shuffle. */
    for (size_t j = 0; j < g->pool; j++) work[j] = (uint32_t)j;
    for (size_t j = 0; j < m; j++) {
        size_t t = j + gsl_rng_uniform_int(rng, g->pool - j);
        uint32_t tmp = work[j];
        work[j] = work[t];
        work[t] = tmp;
        items[j] = work[j];
        memcpy(x + j * d, g->pool_x + (pr * g->pool + work[j]) * d,
               d * sizeof(double));
    }
    *prompt = (uint32_t)pr;
}

/* One thread's scratch for sim_simulate, allocated once and reused for
 * every block it draws. */
typedef struct sim_scratch {
    gsl_rng *rng;
    double *theta, *x, *u;     /* (d), (m, d), (3 m) */
    unsigned char *chosen;     /* (m) */
    uint32_t *perm;            /* (m) order, (m) items, (max(pool, m)) work */
} sim_scratch;

static void scratch_free(sim_scratch *w)
{
    gsl_rng_free(w->rng);
    free(w->theta);
    free(w->x);
    free(w->u);
    free(w->chosen);
    free(w->perm);
}

static int scratch_alloc(sim_scratch *w, const sim_design *g)
{
    size_t m = g->m, d = g->d;
    w->rng = rngs_alloc(1);
    w->theta = malloc(d * sizeof(double));
    w->x = malloc(m * d * sizeof(double));
    w->u = malloc(3 * m * sizeof(double));
    w->chosen = malloc(m);
    w->perm = malloc((m + m + (g->pool > m ? g->pool : m)) * sizeof(uint32_t));
    return w->rng && w->theta && w->x && w->u && w->chosen && w->perm;
}

/* Reference log-probabilities lq[0..m) of the drawn candidates x: pool-
 * normalised with prompts (from the design's pool table), normalised over the
 * query without. */
static void sim_ref_logp(const sim_design *g, const double *x, uint32_t prompt,
                         const uint32_t *items, double *lq)
{
    size_t m = g->m, d = g->d;
    double lse = -INFINITY;
    for (size_t j = 0; j < m; j++) {
        if (g->prompts) {
            lq[j] = g->pool_logp[prompt * g->pool + items[j]];
        } else {
            double v = 0.0;
            for (size_t a = 0; a < d; a++) v += g->ref_w[a] * x[j * d + a];
            lq[j] = v;
            lse = pl_logaddexp(lse, v);
        }
    }
    if (!g->prompts)
        for (size_t j = 0; j < m; j++) lq[j] -= lse;
}

/* Copy drawn candidate j into slot c of ds. lq may be NULL. */
static void sim_put(data_set *ds, size_t c, size_t j, const double *x,
                    const uint32_t *items, const double *lq)
{
    data_copy_features(ds->x + c * ds->d, x + j * ds->d, ds->d);
    if (lq) ds->logp_ref[c] = lq[j];
    ds->c_item[c] = items[j];
}

/* Store the m drawn candidates of query q (slots q m .. q m + m) in canonical
 * order: the r chosen (perm[0..r)) in rank order, then the others in drawn
 * order. lq may be NULL (no reference column). */
static void sim_store_query(data_set *ds, size_t q, size_t m, size_t r,
                            const double *x, const uint32_t *perm,
                            const uint32_t *items, const double *lq,
                            unsigned char *chosen)
{
    size_t c = q * m;
    memset(chosen, 0, m);
    for (size_t s = 0; s < r; s++) {
        chosen[perm[s]] = 1;
        sim_put(ds, c++, perm[s], x, items, lq);
    }
    for (size_t j = 0; j < m; j++)
        if (!chosen[j]) sim_put(ds, c++, j, x, items, lq);
}

/* Draw users [lo, hi) of ds with w's generator (already seeded). */
static void sim_block(const sim_population *p, const sim_design *g,
                      data_set *ds, size_t lo, size_t hi, sim_scratch *w)
{
    size_t T = g->T, m = g->m, d = g->d, r = g->r;
    uint32_t *items = w->perm + m, *work = w->perm + 2 * m;
    double *u = w->u, *lq = w->u + m; /* lq reuses u[m..] after pl_sample */
    for (size_t i = lo; i < hi; i++) {
        uint32_t k = sim_draw_user(p, w->rng, w->theta);
        if (ds->user_type) ds->user_type[i] = k;
        ds->user_name[i] = (uint32_t)i;
        ds->user_q[i + 1] = (i + 1) * T;
        for (size_t t = 0; t < T; t++) {
            size_t q = i * T + t;
            uint32_t prompt;
            sim_draw_query(g, w->rng, w->x, &prompt, items, work);
            if (p->reward != SIM_LINEAR && k != DATA_NONE)
                for (size_t j = 0; j < m; j++) u[j] = sim_reward(p, k, w->x + j * d);
            else
                pl_utilities(w->x, m, d, w->theta, u);
            pl_sample(w->rng, u, m, r, w->perm, u + m);
            if (ds->logp_ref) sim_ref_logp(g, w->x, prompt, items, lq);
            ds->q_cand[q + 1] = (q + 1) * m;
            ds->q_r[q] = (uint32_t)r;
            ds->q_name[q] = (uint32_t)t;
            if (ds->q_prompt) ds->q_prompt[q] = prompt;
            sim_store_query(ds, q, m, r, w->x, w->perm, items,
                            ds->logp_ref ? lq : NULL, w->chosen);
        }
    }
}

int sim_simulate(const sim_population *p, const sim_design *g,
                 unsigned long seed, data_set **out)
{
    *out = NULL;
    size_t N = g->users, T = g->T, m = g->m;
    unsigned flags = 0;
    if (p->K > 0) flags |= DATA_HAS_TYPE;
    if (g->prompts) flags |= DATA_HAS_PROMPT;
    if (g->ref_w) flags |= DATA_HAS_LOGP;
    data_set *ds = data_alloc(N, N * T, N * T * m, g->d, flags);
    if (!ds) PREF_ERROR(PREF_ENOMEM, "out of memory for %zu users", N);
    size_t nblocks = (N + SIM_BLOCK - 1) / SIM_BLOCK;
    int fail = 0;
#pragma omp parallel
    {
        sim_scratch w;
        if (!scratch_alloc(&w, g)) {
#pragma omp atomic write
            fail = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (size_t b = 0; b < nblocks; b++) {
            int stop;
#pragma omp atomic read
            stop = fail;
            if (stop) continue;
            /* Seeded per block, never per thread: the data do not depend
             * on the thread count. */
            gsl_rng_set(w.rng, rngs_seed(seed, 0x51d0b10cULL, b));
            size_t hi = (b + 1) * SIM_BLOCK < N ? (b + 1) * SIM_BLOCK : N;
            sim_block(p, g, ds, b * SIM_BLOCK, hi, &w);
        }
        scratch_free(&w);
    }
    if (fail) {
        data_free(ds);
        PREF_ERROR(PREF_ENOMEM, "out of memory");
    }
    *out = ds;
    return PREF_OK;
}
