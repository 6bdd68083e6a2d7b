/* idata.h — is the researcher's own design identified? Identification of
 * the K-type latent-class Plackett–Luce model (mix.h) on the queries of one
 * data set, at given parameters.
 *
 * What it does.
 *   1. The design summary (idata_design_summary): users, answers per user,
 *      candidates m and ranked positions r per query (distributions), and the
 *      rank and condition number of the within-query centred features (GSL
 *      SVD of the stacked rows x_qj - xbar_q); a rank below d names the
 *      collinear features.
 *   2. The expected Fisher information per user (idata_fisher), on each
 *      user's own query set: I = (1/N) sum_i sum_o P_i(o) s_i(o) s_i(o)^T,
 *      o the joint answers of user i, with the score of identify.h (the
 *      parameters theta_1..theta_K, alpha_1..alpha_{K-1}, eta =
 *      softmax(alpha, 0)). The expectation is exact by enumeration when a
 *      user's joint outcomes number at most exact_max, else Monte Carlo
 *      (draws answers per user) with a batch-means standard error per
 *      eigenvalue. Users with identical designs (same queries, bit for bit)
 *      share one computation. All eigenvalues and eigenvectors (GSL
 *      symmetric eigensolver); an eigenvalue <= zero_rel * lambda_max is
 *      numerically zero: a flat direction.
 *   3. The twin (idata_twin): a mixture at parameter distance delta from the
 *      given one whose answer law on this design is as close as it can be
 *      found. Why a search and not only the analytic construction: pairs see
 *      only the odd part of the type distribution (sigma(z) - 1/2 is odd), so
 *      at a polarised point {b, -b} (1/2 each) every {b', -b'} has the same
 *      pair law — but that is one case; a search on the sphere
 *      |phi' - phi| = delta, started from every eigenvector of the
 *      information (both signs) and refined by Nelder–Mead (GSL multimin),
 *      finds that twin exactly (its start is a flat eigenvector) and reports
 *      an honest closest candidate elsewhere. The law compared is each
 *      user's joint answer law (for a user with more than exact_max joint
 *      outcomes, the joint law of the longest first run of her queries with
 *      at most exact_max); the objective is the sum of squared
 *      differences, the reported figure the largest absolute one.
 *      delta is capped at half the distance from phi to its nearest type
 *      relabelling, so a relabelled copy of the fit is never the twin.
 *   4. The verdict (idata_verdict): identified, weakly_identified (smallest
 *      eigenvalue <= weak_rel * largest) or not_identified (feature rank
 *      below d, a flat direction, or a twin within twin_equal), with a
 *      reason and, when not identified, a fix.
 *
 * Limits: a query with more than IDATA_MAX_QUERY_OUTCOMES answers (m!/(m-r)!)
 * is PREF_EINPUT. Deliberately not here: reading estimates and writing the
 * CSV files (idataio.h), fitting (mix.h), printing. */
#ifndef HETPREF_IDATA_H
#define HETPREF_IDATA_H

#include <stddef.h>
#include <stdint.h>

#include "data.h"

/* Answers of one query (m!/(m-r)!) beyond which the tables are refused. */
#define IDATA_MAX_QUERY_OUTCOMES ((size_t)5040)

typedef struct idata_params {
    size_t exact_max;   /* joint outcomes per user enumerated exactly (4096) */
    size_t mc_draws;    /* Monte Carlo draws per user beyond that (4000) */
    size_t mc_batches;  /* batches for the Monte Carlo SE (10) */
    double zero_rel;    /* eigenvalue <= zero_rel * lambda_max: zero (1e-9) */
    double weak_rel;    /* smallest <= weak_rel * largest: weak (1e-2) */
    double rank_rel;    /* singular value <= rank_rel * largest: zero (1e-9) */
    double twin_delta;  /* parameter distance of the twin (0.5) */
    double twin_equal;  /* twin law difference counted as equal (1e-12) */
    size_t twin_iter;   /* Nelder–Mead iterations of the twin search (3000) */
    uint64_t seed;      /* Monte Carlo master seed (1) */
} idata_params;

void idata_params_init(idata_params *p);

/* NULL when p is usable, else a static message naming the bad field. */
const char *idata_params_check(const idata_params *p);

/* A distribution of a count: n distinct values, ascending, with counts. */
typedef struct idata_hist {
    size_t n;
    size_t *value;
    size_t *count;
} idata_hist;

typedef struct idata_design {
    size_t n_users, n_queries, d;
    idata_hist answers;  /* answers per user */
    idata_hist m, r;     /* candidates, ranked positions per query */
    size_t rank;         /* of the within-query centred features */
    double cond;         /* s_max / s_min (INFINITY when rank < d) */
    double *sv;          /* (d) singular values, descending */
    /* When rank < d: the feature with the largest weight in the first null
     * vector, and the others with weight above 1e-6 of it (may be none:
     * then the feature is constant within every query). */
    size_t collinear;
    size_t n_with;
    size_t *with;        /* (d) */
} idata_design;

/* Summarise ds into *out (free with idata_design_free). PREF_OK,
 * PREF_EINPUT (bad p), PREF_ENUM (SVD failure) or PREF_ENOMEM.
 * O(n_cands d^2). */
int idata_design_summary(const data_set *ds, const idata_params *p,
                         idata_design *out);
void idata_design_free(idata_design *s); /* frees the arrays; NULL ok */

typedef struct idata_fisher {
    size_t K, d, dim;        /* dim = K d + K - 1 */
    double *info;            /* (dim, dim) mean information per user */
    double *eval;            /* (dim) ascending */
    double *eval_se;         /* (dim) Monte Carlo SE (0: all exact) */
    double *evec;            /* (dim, dim): column j is eval[j]'s vector */
    size_t n_zero;           /* eval[j] <= zero_rel * eval[dim - 1] */
    size_t users_exact, users_mc, groups;
    size_t max_outcomes;     /* largest joint outcome count of a user */
} idata_fisher;

/* Expected Fisher information per user of the K-type model at (eta (K),
 * theta (K, d)) on ds's own queries. eta_k > 0 summing to 1 within 1e-9.
 * *out is overwritten (free with idata_fisher_free). PREF_OK, PREF_EINPUT
 * (bad sizes, parameters or p; a query with too many answers), PREF_ENUM
 * (eigensolver failure or a non-finite information) or PREF_ENOMEM.
 * Time O(groups (N_i T_i K d + N_i D^2) + D^3 batches), N_i the joint
 * outcomes (or draws) of a user. Deterministic given p->seed. */
int idata_fisher_run(const data_set *ds, size_t K, const double *eta,
                     const double *theta, const idata_params *p,
                     idata_fisher *out);
void idata_fisher_free(idata_fisher *f); /* frees the arrays; NULL ok */

typedef struct idata_twin {
    size_t K, d;
    double *eta, *theta;    /* (K), (K, d): the twin */
    double max_diff;        /* largest |P(o) - P'(o)| over the compared law */
    double distance;        /* |phi' - phi| (theta, alpha coordinates) */
    int joint;              /* 1: every user's whole joint law; 0: some
                               users' joint law of their first queries only
                               (their joint outcomes beyond exact_max) */
} idata_twin;

/* The twin of (eta, theta) on ds (see the header comment). fisher from
 * idata_fisher_run at the same parameters (its eigenvectors are the
 * starts). PREF_OK, PREF_EINPUT, PREF_ENUM or PREF_ENOMEM. */
int idata_twin_run(const data_set *ds, size_t K, const double *eta,
                   const double *theta, const idata_fisher *fisher,
                   const idata_params *p, idata_twin *out);
void idata_twin_free(idata_twin *t); /* NULL ok */

typedef enum {
    IDATA_IDENTIFIED,
    IDATA_WEAK,
    IDATA_NOT
} idata_status;

typedef struct idata_verdict {
    idata_status status;
    double min_rel;      /* smallest / largest eigenvalue */
    char reason[768];
    char fix[768];       /* "" when identified */
} idata_verdict;

/* "identified", "weakly_identified", "not_identified". */
const char *idata_status_name(idata_status s);

/* The verdict from the three results (twin may be NULL: not run). */
void idata_verdict_make(const data_set *ds, const idata_design *s,
                        const idata_fisher *f, const idata_twin *t,
                        const idata_params *p, idata_verdict *v);

/* The name of parameter a of the layout theta_1..theta_K, alpha_1..
 * alpha_{K-1}: "theta_<k>[<feature>]" or "eta_<j>" (the logit coordinate
 * log(eta_j / eta_K)), into buf (n bytes). */
const char *idata_param_name(const data_set *ds, size_t K, size_t a,
                             char *buf, size_t n);

#endif
