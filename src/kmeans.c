/* kmeans.c — k-means++ seeding and Lloyd iterations (see kmeans.h). The
 * buffers are allocated once per call; the iterations never allocate. */
#include "kmeans.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

void kmeans_params_init(kmeans_params *p)
{
    p->restarts = 10;
    p->max_iter = 100;
}

static double sqdist(const double *a, const double *b, size_t d)
{
    double e = 0.0;
    for (size_t j = 0; j < d; j++) {
        double t = a[j] - b[j];
        e += t * t;
    }
    return e;
}

/* k-means++: the first centre uniformly, each next one with probability
 * proportional to the squared distance to the nearest chosen centre.
 * dist (n) is scratch. */
static void seed_plusplus(const double *x, size_t n, size_t d, size_t K,
                          gsl_rng *r, double *cen, double *dist)
{
    size_t first = gsl_rng_uniform_int(r, n);
    memcpy(cen, x + first * d, d * sizeof(double));
    for (size_t i = 0; i < n; i++) dist[i] = INFINITY;
    for (size_t k = 1; k < K; k++) {
        double tot = 0.0;
        for (size_t i = 0; i < n; i++) {
            double e = sqdist(x + i * d, cen + (k - 1) * d, d);
            if (e < dist[i]) dist[i] = e;
            tot += dist[i];
        }
        double u = gsl_rng_uniform(r) * tot, acc = 0.0;
        size_t pick = n - 1;
        for (size_t i = 0; i < n; i++) {
            acc += dist[i];
            if (acc > u) {
                pick = i;
                break;
            }
        }
        memcpy(cen + k * d, x + pick * d, d * sizeof(double));
    }
}

/* Assign every point to its nearest centre; returns the sum of squares and
 * sets *changed when a label moved (always on the first pass). */
static double assign(const double *x, size_t n, size_t d, size_t K,
                     const double *cen, int first, uint32_t *lab, int *changed)
{
    double sse = 0.0;
    *changed = 0;
    for (size_t i = 0; i < n; i++) {
        double be = INFINITY;
        uint32_t bk = 0;
        for (size_t k = 0; k < K; k++) {
            double e = sqdist(x + i * d, cen + k * d, d);
            if (e < be) {
                be = e;
                bk = (uint32_t)k;
            }
        }
        if (first || lab[i] != bk) *changed = 1;
        lab[i] = bk;
        sse += be;
    }
    return sse;
}

/* Centres as the means of their points; an empty cluster is re-seeded at a
 * random point. cnt (K) is scratch. */
static void update(const double *x, size_t n, size_t d, size_t K,
                   const uint32_t *lab, gsl_rng *r, double *cen, double *cnt)
{
    memset(cen, 0, K * d * sizeof(double));
    memset(cnt, 0, K * sizeof(double));
    for (size_t i = 0; i < n; i++) {
        cnt[lab[i]] += 1.0;
        for (size_t j = 0; j < d; j++) cen[lab[i] * d + j] += x[i * d + j];
    }
    for (size_t k = 0; k < K; k++) {
        if (cnt[k] == 0) {
            memcpy(cen + k * d, x + gsl_rng_uniform_int(r, n) * d, d * sizeof(double));
            continue;
        }
        for (size_t j = 0; j < d; j++) cen[k * d + j] /= cnt[k];
    }
}

int kmeans_cluster(const double *x, size_t n, size_t d, size_t K,
                   const kmeans_params *pp, gsl_rng *r, uint32_t *labels,
                   double *sse_out)
{
    kmeans_params defaults;
    kmeans_params_init(&defaults);
    const kmeans_params *p = pp ? pp : &defaults;
    if (n < 1 || K < 1 || K > n || p->restarts < 1)
        PREF_ERROR(PREF_EINPUT, "k-means: need 1 <= K (%zu) <= n (%zu) and "
                   "restarts >= 1", K, n);
    double *cen = malloc(K * d * sizeof(double) + 1), *dist = malloc(n * sizeof(double));
    double *cnt = malloc(K * sizeof(double));
    uint32_t *lab = malloc(n * sizeof(uint32_t));
    if (!cen || !dist || !cnt || !lab) {
        free(cen);
        free(dist);
        free(cnt);
        free(lab);
        PREF_ERROR(PREF_ENOMEM, "out of memory for k-means");
    }
    double best = INFINITY;
    for (size_t rep = 0; rep < p->restarts; rep++) {
        seed_plusplus(x, n, d, K, r, cen, dist);
        double sse = 0.0;
        for (size_t it = 0; it < p->max_iter; it++) {
            int changed;
            sse = assign(x, n, d, K, cen, it == 0, lab, &changed);
            if (!changed) break;
            update(x, n, d, K, lab, r, cen, cnt);
        }
        if (sse < best) {
            best = sse;
            memcpy(labels, lab, n * sizeof(uint32_t));
        }
    }
    if (sse_out) *sse_out = best;
    free(cen);
    free(dist);
    free(cnt);
    free(lab);
    return PREF_OK;
}
