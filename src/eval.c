/* eval.c — evaluation against a known truth (see eval.h).
 *
 * Matching, ARI and the latent-class summary moved here from mix.c, the
 * exact regret from the two experiment files that each carried a copy; the
 * arithmetic is unchanged, so every reported number is bit-for-bit what it
 * was. Not here: anything that fits a model. */
#include "eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "mathx.h"
#include "mix.h"
#include "pl.h"
#include "w1.h"

/* ---- label matching ----------------------------------------------------- */

/* Advance perm (n entries) to the next permutation in lexicographic order;
 * 0 when perm was the last one. */
static int next_permutation(size_t *perm, size_t n)
{
    size_t i = n - 1;
    while (i > 0 && perm[i - 1] >= perm[i]) i--;
    if (i == 0) return 0;
    size_t j = n - 1;
    while (perm[j] <= perm[i - 1]) j--;
    size_t t = perm[i - 1];
    perm[i - 1] = perm[j];
    perm[j] = t;
    for (size_t a = i, b = n - 1; a < b; a++, b--) {
        t = perm[a];
        perm[a] = perm[b];
        perm[b] = t;
    }
    return 1;
}

static double assign_exact(const double *score, size_t n, size_t *best)
{
    size_t perm[EVAL_EXACT_MAX];
    for (size_t j = 0; j < n; j++) perm[j] = best[j] = j;
    double bestv = -INFINITY;
    do {
        double s = 0;
        for (size_t j = 0; j < n; j++) s += score[j * n + perm[j]];
        if (s > bestv) {
            bestv = s;
            memcpy(best, perm, n * sizeof(size_t));
        }
    } while (next_permutation(perm, n));
    return bestv;
}

static double assign_greedy(const double *score, size_t n, size_t *best)
{
    unsigned char used_r[EVAL_MAX_LABELS] = {0}, used_c[EVAL_MAX_LABELS] = {0};
    double tot = 0.0;
    for (size_t j = 0; j < n; j++) best[j] = j;
    for (size_t step = 0; step < n; step++) {
        double bv = -INFINITY;
        size_t br = 0, bc = 0;
        for (size_t r = 0; r < n; r++)
            for (size_t c = 0; c < n; c++)
                if (!used_r[r] && !used_c[c] && score[r * n + c] > bv) {
                    bv = score[r * n + c];
                    br = r;
                    bc = c;
                }
        used_r[br] = used_c[bc] = 1;
        best[br] = bc;
        tot += bv;
    }
    return tot;
}

double eval_assign(const double *score, size_t n, size_t *perm)
{
    return n <= EVAL_EXACT_MAX ? assign_exact(score, n, perm)
                               : assign_greedy(score, n, perm);
}

void eval_map_labels(const double *post, size_t n, size_t K, uint32_t *labels)
{
    for (size_t i = 0; i < n; i++) labels[i] = (uint32_t)mathx_argmax(post + i * K, K);
}

uint32_t eval_n_labels(const uint32_t *truth, size_t n)
{
    uint32_t kmax = 0;
    for (size_t i = 0; i < n; i++)
        if (truth[i] != DATA_NONE && truth[i] + 1 > kmax) kmax = truth[i] + 1;
    return kmax;
}

double eval_align(const double *post, size_t n, size_t K, const uint32_t *truth,
                  size_t Kt, size_t *perm_out)
{
    enum { L = EVAL_MAX_LABELS };
    size_t Km = K > Kt ? K : Kt;
    if (Km > L) Km = L;
    double conf[L * L];
    memset(conf, 0, sizeof conf);
    size_t counted = 0;
    for (size_t i = 0; i < n; i++) {
        if (truth[i] >= Kt || truth[i] >= L) continue;
        conf[mathx_argmax(post + i * K, K) * Km + truth[i]] += 1.0;
        counted++;
    }
    size_t bestp[L];
    double best = eval_assign(conf, Km, bestp);
    if (perm_out)
        for (size_t k = 0; k < K; k++)
            perm_out[k] = k < Km && bestp[k] < Kt ? bestp[k] : SIZE_MAX;
    return counted ? best / (double)counted : NAN;
}

/* ---- adjusted Rand index ------------------------------------------------ */

double eval_ari(const uint32_t *a, const uint32_t *b, size_t n)
{
    enum { L = EVAL_MAX_LABELS };
    static _Thread_local double tab[L][L];
    double ra[L] = {0}, rb[L] = {0};
    memset(tab, 0, sizeof tab);
    for (size_t i = 0; i < n; i++) {
        if (a[i] >= L || b[i] >= L) return NAN;
        tab[a[i]][b[i]] += 1.0;
        ra[a[i]] += 1.0;
        rb[b[i]] += 1.0;
    }
    double sij = 0, sa = 0, sb = 0;
    for (size_t i = 0; i < L; i++) {
        sa += ra[i] * (ra[i] - 1) / 2;
        sb += rb[i] * (rb[i] - 1) / 2;
        for (size_t j = 0; j < L; j++) sij += tab[i][j] * (tab[i][j] - 1) / 2;
    }
    double tot = (double)n * ((double)n - 1) / 2;
    double expct = sa * sb / tot, mx = 0.5 * (sa + sb);
    if (mx == expct) return 1.0;
    return (sij - expct) / (mx - expct);
}

int eval_ari_post(const double *post, size_t n, size_t K, const uint32_t *truth,
                  double *ari)
{
    *ari = NAN;
    uint32_t *hat = malloc((n ? n : 1) * sizeof *hat);
    if (!hat) PREF_ERROR(PREF_ENOMEM, "out of memory");
    eval_map_labels(post, n, K, hat);
    *ari = eval_ari(hat, truth, n);
    free(hat);
    return PREF_OK;
}

/* ---- latent-class fits -------------------------------------------------- */

int eval_mix_fit(const mix_fit *f, const uint32_t *true_type, size_t Kt,
                 const double *true_eta, const double *true_theta,
                 double *accuracy, double *ari, double *w1)
{
    size_t K = f->K, n = f->n_users;
    PREF_TRY(eval_ari_post(f->post, n, K, true_type, ari));
    *accuracy = eval_align(f->post, n, K, true_type, Kt, NULL);
    *w1 = NAN;
    if (true_eta && true_theta)
        return w1_distance(K, f->eta, f->theta, Kt, true_eta, true_theta, f->d, w1);
    return PREF_OK;
}

/* ---- exact regret on simulated pools ------------------------------------ */

double eval_pool_regret(size_t P, const double *pi, const double *lp,
                        const double *r, const double *lref, double beta)
{
    double lse_star = -INFINITY, V = 0.0;
    for (size_t y = 0; y < P; y++) lse_star = pl_logaddexp(lse_star, lref[y] + r[y] / beta);
    for (size_t y = 0; y < P; y++)
        if (pi[y] > 0) V += pi[y] * (r[y] - beta * (lp[y] - lref[y]));
    return beta * lse_star - V;
}

size_t eval_regret_work_size(const nn_config *net, size_t P)
{
    return 3 * P + nn_acts_size(net, P);
}

/* pi and lp of the single policy softmax f (params; NULL: lref). */
static void single_policy(const nn_config *net, const double *params,
                          const double *X, const double *lref, size_t P,
                          double *pi, double *lp, double *acts)
{
    if (params) nn_forward(net, params, X, P, acts, lp);
    else memcpy(lp, lref, P * sizeof(double));
    double lse = -INFINITY;
    for (size_t y = 0; y < P; y++) lse = pl_logaddexp(lse, lp[y]);
    for (size_t y = 0; y < P; y++) {
        lp[y] -= lse;
        pi[y] = exp(lp[y]);
    }
}

/* pi and lp of the mixture sum_j w_j softmax f_j; lp is also the scratch
 * for each f_j. */
static void mixture_policy(const nn_config *net, const double *params, size_t np,
                           size_t K, const double *w, const double *X, size_t P,
                           double *pi, double *lp, double *acts)
{
    memset(pi, 0, P * sizeof(double));
    for (size_t j = 0; j < K; j++) {
        if (w[j] == 0.0) continue;
        nn_forward(net, params + j * np, X, P, acts, lp);
        double lse = -INFINITY;
        for (size_t y = 0; y < P; y++) lse = pl_logaddexp(lse, lp[y]);
        for (size_t y = 0; y < P; y++) pi[y] += w[j] * exp(lp[y] - lse);
    }
    for (size_t y = 0; y < P; y++) lp[y] = pi[y] > 0 ? log(pi[y]) : -INFINITY;
}

double eval_true_regret(const sim_population *pop, const sim_design *g,
                        size_t lo, size_t hi, const nn_config *net,
                        const double *params, size_t np, size_t K,
                        const double *w, size_t t, double beta, double *work)
{
    size_t P = g->pool, d = g->d;
    double *pi = work, *lp = work + P, *r = work + 2 * P, *acts = work + 3 * P;
    double tot = 0.0;
    for (size_t pr = lo; pr < hi; pr++) {
        const double *X = g->pool_x + pr * P * d, *lref = g->pool_logp + pr * P;
        if (w) mixture_policy(net, params, np, K, w, X, P, pi, lp, acts);
        else single_policy(net, params, X, lref, P, pi, lp, acts);
        for (size_t y = 0; y < P; y++) r[y] = sim_reward(pop, t, X + y * d);
        tot += eval_pool_regret(P, pi, lp, r, lref, beta);
    }
    return tot / (double)(hi - lo);
}
