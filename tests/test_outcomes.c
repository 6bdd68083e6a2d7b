/* test_outcomes.c — the outcome enumerator: m!/(m-r)! outcomes per query and
 * n1^T joint outcomes (counted by hand), lexicographic order of the decoded
 * tuples, the canonical order of the unranked rest, index as the inverse of
 * decode, the odometer, and exact Plackett–Luce probabilities (pl.c) over
 * all outcomes summing to 1. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_test.h>

#include "outcomes.h"
#include "pl.h"

#define MMAX 7

/* Counts: m!/(m-r)! by hand, the limit, r > m. */
static void test_counts(void)
{
    gsl_test_int((int)outcomes_count(2, 1, 100), 2, "pairs: 2 outcomes");
    gsl_test_int((int)outcomes_count(3, 1, 100), 3, "top-1 of 3: 3");
    gsl_test_int((int)outcomes_count(3, 2, 100), 6, "full 3: 6");
    gsl_test_int((int)outcomes_count(3, 3, 100), 6, "r = m: 3! = 6");
    gsl_test_int((int)outcomes_count(7, 3, 1000), 210, "top-3 of 7: 7*6*5");
    gsl_test_int((int)outcomes_count(5, 0, 100), 1, "r = 0: one outcome");
    gsl_test_int((int)outcomes_count(8, 8, 40320), 40320, "8! at the limit");
    gsl_test_int((int)outcomes_count(9, 8, 40320), 0, "9!/1! above the limit");
    gsl_test_int((int)outcomes_count(3, 4, 100), 0, "r > m");
    gsl_test_int((int)outcomes_joint_count(6, 2, 100), 36, "6^2");
    gsl_test_int((int)outcomes_joint_count(2, 22, (size_t)1 << 22),
                 1 << 22, "2^22 at the limit");
    gsl_test_int((int)outcomes_joint_count(2, 23, (size_t)1 << 22), 0,
                 "2^23 above the limit");
    gsl_test_int((int)outcomes_joint_count(0, 2, 100), 0, "no outcomes");
    gsl_test_int((int)outcomes_joint_count(5, 0, 100), 1, "T = 0");
}

/* Full rankings of 3 written out by hand in lexicographic order. */
static void test_hand_order(void)
{
    static const uint32_t want[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
                                        {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    uint32_t ord[3];
    unsigned char used[3];
    int bad = 0;
    for (size_t j = 0; j < 6; j++) {
        outcomes_decode(j, 3, 2, ord, used);
        bad |= memcmp(ord, want[j], sizeof ord) != 0;
    }
    gsl_test(bad, "full rankings of 3 decode to 012 021 102 120 201 210");
    /* Top-1 of 4, outcome 2: candidate 2 first, then 0 1 3. */
    uint32_t o4[4], w4[4] = {2, 0, 1, 3};
    unsigned char u4[4];
    outcomes_decode(2, 4, 1, o4, u4);
    gsl_test(memcmp(o4, w4, sizeof o4) != 0, "top-1 of 4: 2 | 0 1 3");
}

/* For every (m, r): tuples strictly increasing lexicographically, each a
 * permutation with the rest ascending, index(decode(j)) = j. */
static void test_order_and_inverse(void)
{
    for (size_t m = 1; m <= 6; m++)
        for (size_t r = 0; r <= m; r++) {
            size_t n = outcomes_count(m, r, 100000);
            uint32_t ord[MMAX], prev[MMAX];
            unsigned char used[MMAX], seen[MMAX];
            int bad_perm = 0, bad_lex = 0, bad_inv = 0, bad_rest = 0;
            for (size_t j = 0; j < n; j++) {
                outcomes_decode(j, m, r, ord, used);
                memset(seen, 0, sizeof seen);
                for (size_t i = 0; i < m; i++) {
                    bad_perm |= ord[i] >= m || seen[ord[i]];
                    if (ord[i] < m) seen[ord[i]] = 1;
                }
                for (size_t i = r + 1; i < m; i++)
                    bad_rest |= ord[i - 1] > ord[i];
                if (j > 0 && r > 0) {
                    size_t s = 0;
                    while (s < r && prev[s] == ord[s]) s++;
                    bad_lex |= s == r || prev[s] > ord[s];
                }
                memcpy(prev, ord, sizeof ord);
                bad_inv |= outcomes_index(ord, m, r, used) != j;
            }
            gsl_test(bad_perm, "m = %zu, r = %zu: every outcome a permutation",
                     m, r);
            gsl_test(bad_rest, "m = %zu, r = %zu: unranked rest ascending", m,
                     r);
            gsl_test(bad_lex, "m = %zu, r = %zu: lexicographic order", m, r);
            gsl_test(bad_inv, "m = %zu, r = %zu: index inverts decode", m, r);
        }
}

/* The odometer visits n1^T digit vectors in mixed-radix order. */
static void test_odometer(void)
{
    size_t T = 3, n1 = 4, digit[3] = {0, 0, 0};
    size_t N = outcomes_joint_count(n1, T, 1000);
    int bad = 0;
    for (size_t o = 0; o < N; o++) {
        size_t code = (digit[0] * n1 + digit[1]) * n1 + digit[2];
        bad |= code != o;
        size_t from = outcomes_next(digit, T, n1);
        size_t nxt = o + 1, want = 0;
        /* The most significant changed digit: the first that differs. */
        for (size_t t = 0, p = n1 * n1; t < T; t++, p /= n1)
            if ((nxt / p) % n1 != (o / p) % n1) {
                want = t;
                break;
            }
        if (nxt < N) bad |= from != want;
    }
    gsl_test(bad, "odometer: joint index = mixed radix, query 0 most "
             "significant; returns the first changed digit");
    gsl_test(digit[0] || digit[1] || digit[2], "odometer wraps to 0");
}

/* Sum over every outcome of exp(pl_loglik(u permuted by the outcome)) = 1. */
static void test_probabilities(void)
{
    static const double u0[MMAX] = {0.31, -1.7, 2.385, 0.05, -0.44, 1.3, -0.9};
    for (size_t m = 2; m <= 6; m++)
        for (size_t r = 1; r < m; r++) {
            size_t n = outcomes_count(m, r, 100000);
            uint32_t ord[MMAX];
            unsigned char used[MMAX];
            double u[MMAX], tot = 0.0;
            for (size_t j = 0; j < n; j++) {
                outcomes_decode(j, m, r, ord, used);
                for (size_t i = 0; i < m; i++) u[i] = u0[ord[i]];
                tot += exp(pl_loglik(u, m, r));
            }
            gsl_test_rel(tot, 1.0, 1e-13, "m = %zu, r = %zu: probabilities "
                         "sum to 1", m, r);
        }
}

int main(void)
{
    test_counts();
    test_hand_order();
    test_order_and_inverse();
    test_odometer();
    test_probabilities();
    exit(gsl_test_summary());
}
