/* fitdiag.h — is a fitted mixture to be trusted? The diagnostics that the
 * fit command reports on stderr and in fit.csv, computed from a finished
 * fit (latent-class, mix.h, or EM-DPO, emdpo.h).
 *
 * Flat directions (latent-class only): the eigenvalues lambda_1 <= ... <=
 * lambda_P of the observed information at the estimate (mix_fit.info_eval)
 * with lambda_j <= flat_rel * lambda_P. Each is a direction of the
 * parameters that the data do not identify (constant or collinear features,
 * single pairs from a polarised population, a class with no data): the
 * estimate moves along it at no cost in log-likelihood, and standard
 * errors are NaN or meaningless. identified = 1 when there is none and
 * the information could be inverted. A fit whose EM stopped as flat
 * (mix_fit.flat) is not identified and counts at least one flat
 * direction: the one it drifted along.
 *
 * Degenerate class: weight eta_k < min_weight (tiny), or exploding
 * coefficients: the class's utility scale, the root mean square over every
 * candidate of theta_k . (x_c - xbar_q) (xbar_q: the mean of the query's
 * candidates; the part of the utility Plackett-Luce sees), is above
 * max_utility — the class then answers (nearly) deterministically and its
 * coefficients run off towards infinity. EM-DPO fits check the weight only.
 *
 * A best log-likelihood reached by only one of several starts (K > 1) says
 * the likelihood surface has several local maxima and the best may not be
 * the global one. Not here: printing (the CLI), fitting. */
#ifndef HETPREF_FITDIAG_H
#define HETPREF_FITDIAG_H

#include <stddef.h>

#include "bounds.h"
#include "data.h"
#include "emdpo.h"
#include "mix.h"

typedef struct fitdiag_params {
    double flat_rel;    /* relative eigenvalue threshold (default 1e-8) */
    double min_weight;  /* class weight threshold (default 0.02) */
    double max_utility; /* utility-scale threshold (default 10) */
} fitdiag_params;

/* Defaults as documented above. */
void fitdiag_params_init(fitdiag_params *p);

/* NULL when p is usable, else a message naming the bad field. */
const char *fitdiag_params_check(const fitdiag_params *p);

typedef struct fitdiag {
    size_t K;
    int identified;        /* 1: no flat direction, information inverted;
                              0: not; -1: not analysed (EM-DPO, or the
                              eigenvalues could not be computed) */
    size_t n_flat;         /* flat directions (latent-class) */
    size_t n_negative;     /* of them, negative eigenvalues: the estimate is
                              a saddle, not a maximum (EM not converged) */
    size_t n_params;       /* dimension of the information (0: EM-DPO) */
    int converged;         /* of the fit (the best start, or EM-DPO's rule) */
    size_t degenerate;     /* classes that are tiny or exploding */
    unsigned char tiny[PREF_MAX_TYPES];      /* per class: eta_k < min_weight */
    unsigned char exploding[PREF_MAX_TYPES]; /* scale > max_utility */
    double scale[PREF_MAX_TYPES];  /* utility scale per class (NaN: EM-DPO) */
    int single_best;       /* K > 1, several starts, only one reached the best */
} fitdiag;

/* Diagnose latent-class fit f of ds (the data it was fitted to). p may be
 * NULL (defaults). Returns PREF_OK, or PREF_EINPUT (bad p, f and ds
 * disagree on d or the number of users, or f->n_params is not K d + K - 1).
 * O(n_cands d K + n_params). */
int fitdiag_lcl(const data_set *ds, const mix_fit *f, const fitdiag_params *p,
                fitdiag *out);

/* Diagnose EM-DPO fit f (weights and convergence). p may be NULL. Returns
 * PREF_OK or PREF_EINPUT (bad p). */
int fitdiag_emdpo(const emdpo_fit *f, const fitdiag_params *p, fitdiag *out);

#endif
