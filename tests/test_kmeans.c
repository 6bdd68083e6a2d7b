/* test_kmeans.c — k-means: a hand-checkable case, seeded recovery of three
 * well-separated Gaussian clusters, determinism for a seed, and bad input. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_test.h>

#include "err.h"
#include "kmeans.h"
#include "rngs.h"

/* Six points on a line, two groups {0, 1, 2} and {10, 11, 12}: every
 * seeding converges to them (the nearest centre of each point is then its
 * group mean, 1 or 11), so the sum of squares is 4 * 1 = 4 by hand, and
 * points of one group share a label. */
static void test_hand(void)
{
    double x[6] = {0.0, 10.0, 1.0, 11.0, 2.0, 12.0};
    uint32_t lab[6];
    double sse = 0.0;
    gsl_rng *r = rngs_alloc(3);
    gsl_test_int(kmeans_cluster(x, 6, 1, 2, NULL, r, lab, &sse), PREF_OK, "hand case");
    gsl_test_rel(sse, 4.0, 1e-15, "hand case: within sum of squares 4");
    gsl_test(lab[0] != lab[2] || lab[2] != lab[4] || lab[1] != lab[3] ||
                 lab[3] != lab[5] || lab[0] == lab[1],
             "hand case: the two groups");
    /* K = 1: one cluster, sse = sum of squares about the mean 6. */
    gsl_test_int(kmeans_cluster(x, 6, 1, 1, NULL, r, lab, &sse), PREF_OK, "K = 1");
    gsl_test_rel(sse, 2 * (36.0 + 25.0 + 16.0), 1e-15, "K = 1: total sum of squares");
    gsl_rng_free(r);
}

/* 3 x 200 points in R^2 around (0, 0), (6, 0), (0, 6), sd 0.5: separated
 * by 12 standard deviations, so every point must be recovered. */
static void test_recovery(void)
{
    enum { G = 3, PER = 200, N = G * PER };
    static const double mu[G][2] = {{0, 0}, {6, 0}, {0, 6}};
    double *x = malloc(N * 2 * sizeof(double));
    uint32_t lab[N], lab2[N];
    gsl_rng *r = rngs_alloc(2024);
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < 2; j++)
            x[i * 2 + j] = mu[i % G][j] + gsl_ran_gaussian(r, 0.5);
    gsl_rng_set(r, 7);
    gsl_test_int(kmeans_cluster(x, N, 2, G, NULL, r, lab, NULL), PREF_OK, "recovery fit");
    /* The label of group g is the label of its first point; all others of
     * the group agree and the three labels differ. */
    int ok = lab[0] != lab[1] && lab[1] != lab[2] && lab[0] != lab[2];
    for (size_t i = 0; i < N; i++) ok &= lab[i] == lab[i % G];
    gsl_test(!ok, "three separated clusters recovered exactly");
    gsl_rng_set(r, 7);
    gsl_test_int(kmeans_cluster(x, N, 2, G, NULL, r, lab2, NULL), PREF_OK,
                 "the same fit again");
    gsl_test(memcmp(lab, lab2, sizeof lab) != 0, "same seed, same labels");
    gsl_test_int(kmeans_cluster(x, N, 2, 0, NULL, r, lab, NULL), PREF_EINPUT, "K = 0 refused");
    gsl_test_int(kmeans_cluster(x, 2, 2, 3, NULL, r, lab, NULL), PREF_EINPUT, "K > n refused");
    kmeans_params p;
    kmeans_params_init(&p);
    p.restarts = 0;
    gsl_test_int(kmeans_cluster(x, N, 2, G, &p, r, lab, NULL), PREF_EINPUT,
                 "restarts = 0 refused");
    gsl_rng_free(r);
    free(x);
}

int main(void)
{
    gsl_set_error_handler_off();
    test_hand();
    test_recovery();
    exit(gsl_test_summary());
}
