/* test_qpack.c — packed queries (qpack.h): every record names rows whose
 * bits are its candidates' (features and reference log-probabilities), in
 * the canonical order, with the query's m and r; the distinct rows counted
 * by hand (a pool of rows drawn with repeats, and the table's growth past
 * its first 1024 slots); rows compared by their bits (-0.0 against +0.0,
 * equal features with other log-probabilities); the quarter limit on both
 * sides; the record stride; and a query too long to pack. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_test.h>

#include "data.h"
#include "err.h"
#include "qpack.h"
#include "rngs.h"

/* n_q queries (users of three) of m = 2 + (q % span) candidates (r = 1 + q % (m - 1)), each
 * candidate a row of a pool of n_pool random rows (row (7 q + 3 j) mod
 * n_pool), with its log-probability when with_logp. *distinct: the pool
 * rows used. */
static data_set *pool_data(size_t n_q, size_t span, size_t n_pool, size_t d,
                           int with_logp, unsigned long seed, size_t *distinct)
{
    size_t n_c = 0;
    for (size_t q = 0; q < n_q; q++) n_c += 2 + q % span;
    size_t n_u = (n_q + 2) / 3;
    data_set *ds = data_alloc(n_u, n_q, n_c, d, with_logp ? DATA_HAS_LOGP : 0);
    gsl_rng *rng = rngs_alloc(seed);
    double *pool = malloc(n_pool * (d + 1) * sizeof *pool);
    unsigned char *used = calloc(n_pool, 1);
    for (size_t i = 0; i < n_pool * (d + 1); i++)
        pool[i] = gsl_ran_gaussian(rng, 1.0);
    for (size_t i = 0; i < n_u; i++) { /* users of 3 queries, the last fewer */
        ds->user_q[i + 1] = 3 * (i + 1) < n_q ? 3 * (i + 1) : n_q;
        ds->user_name[i] = (uint32_t)i;
    }
    size_t c = 0;
    *distinct = 0;
    for (size_t q = 0; q < n_q; q++) {
        size_t m = 2 + q % span;
        ds->q_r[q] = (uint32_t)(1 + q % (m - 1));
        ds->q_name[q] = (uint32_t)q;
        for (size_t j = 0; j < m; j++, c++) {
            size_t row = (7 * q + 3 * j) % n_pool;
            memcpy(ds->x + c * d, pool + row * (d + 1), d * sizeof *pool);
            if (with_logp) ds->logp_ref[c] = pool[row * (d + 1) + d];
            ds->c_item[c] = (uint32_t)j;
            if (!used[row]) (*distinct)++;
            used[row] = 1;
        }
        ds->q_cand[q + 1] = c;
    }
    free(pool);
    free(used);
    gsl_rng_free(rng);
    return ds;
}

/* Every record against the data set: m, r, user and bitwise rows; and the row
 * indices numbered in order of first appearance (a new row is the largest
 * index so far plus one). Returns the number of records that fail. */
static size_t check_records(const qpack *p, const data_set *ds)
{
    size_t bad = 0, next = 0, d = ds->d;
    for (size_t q = 0; q < ds->n_queries; q++) {
        const uint32_t *rec = qpack_record(p, q);
        size_t u = qpack_user(rec);
        int ok = qpack_m(rec) == data_m(ds, q) && qpack_r(rec) == ds->q_r[q] &&
                 u < ds->n_users && ds->user_q[u] <= q && q < ds->user_q[u + 1];
        for (size_t j = 0; ok && j < qpack_m(rec); j++) {
            size_t c = ds->q_cand[q] + j, row = qpack_rows(rec)[j];
            ok = row < p->n_rows &&
                 !memcmp(p->x + row * d, ds->x + c * d, d * sizeof(double)) &&
                 (!ds->logp_ref ||
                  !memcmp(p->logp_ref + row, ds->logp_ref + c, sizeof(double)));
            if (ok && row == next) next++;
            else if (ok && row > next) ok = 0;
        }
        bad += !ok;
    }
    return bad;
}

static void test_pool(size_t n_q, size_t span, size_t n_pool, int with_logp)
{
    size_t distinct;
    data_set *ds = pool_data(n_q, span, n_pool, 5, with_logp, 77 + n_pool, &distinct);
    gsl_test(data_check(ds) != PREF_OK, "pool data (%zu queries) pass data_check", n_q);
    int err;
    qpack *p = qpack_alloc(ds, &err);
    gsl_test(!p || err != PREF_OK, "packs %zu queries", n_q);
    if (!p) {
        data_free(ds);
        return;
    }
    gsl_test(4 * distinct > ds->n_cands, "(the pool repeats: %zu of %zu rows)",
             distinct, ds->n_cands);
    gsl_test_int((int)p->n_rows, (int)distinct,
                 "distinct rows of a pool of %zu, logp %d", n_pool, with_logp);
    gsl_test(p->x != p->x_own || p->x == ds->x, "the distinct rows are a copy");
    gsl_test((p->logp_ref != NULL) != with_logp, "logp_ref present iff the data's");
    gsl_test_int((int)check_records(p, ds), 0,
                 "records of %zu queries: m, r, user, bitwise rows, first-appearance "
                 "order", n_q);
    qpack_free(p);
    data_free(ds);
}

/* d = 2, queries of 2: the rows given, logp_ref when lref != NULL. */
static data_set *pairs_data(const double *x, const double *lref, size_t n_q)
{
    data_set *ds = data_alloc(1, n_q, 2 * n_q, 2, lref ? DATA_HAS_LOGP : 0);
    ds->user_q[1] = n_q;
    ds->user_name[0] = 0;
    memcpy(ds->x, x, 4 * n_q * sizeof *x);
    if (lref) memcpy(ds->logp_ref, lref, 2 * n_q * sizeof *lref);
    for (size_t q = 0; q < n_q; q++) {
        ds->q_cand[q + 1] = 2 * (q + 1);
        ds->q_r[q] = 1;
        ds->q_name[q] = (uint32_t)q;
        ds->c_item[2 * q] = ds->c_item[2 * q + 1] = 0;
    }
    return ds;
}

/* Rows are the same when their bits are: 16 candidates of which the first
 * two differ in the sign of a zero, and the next two only in logp_ref. */
static void test_bits(void)
{
    double x[32], lref[16];
    for (size_t c = 0; c < 16; c++) {
        x[2 * c] = 1.5;
        x[2 * c + 1] = 0.25;
        lref[c] = -1.0;
    }
    x[1] = -0.0;
    x[3] = 0.0;
    lref[2] = -1.5;
    data_set *ds = pairs_data(x, lref, 8);
    qpack *p = qpack_alloc(ds, NULL);
    /* rows: (1.5, -0), (1.5, +0), (1.5, .25 | -1.5), (1.5, .25 | -1) */
    gsl_test_int(p ? (int)p->n_rows : -1, 4, "-0.0 and +0.0 are two rows, so "
                 "are equal features with other logp_ref");
    gsl_test_int(p ? (int)check_records(p, ds) : -1, 0, "their records");
    qpack_free(p);
    data_free(ds);
    ds = pairs_data(x, NULL, 8); /* without logp_ref: 3 rows */
    p = qpack_alloc(ds, NULL);
    gsl_test_int(p ? (int)p->n_rows : -1, 3, "without logp_ref, 3 rows");
    gsl_test(!p || p->logp_ref != NULL, "no logp_ref in the pack");
    qpack_free(p);
    data_free(ds);
}

/* A quarter of the candidates distinct: a table; one more: the data's own
 * rows, candidate c as row c. 8 pairs = 16 candidates, limit 4. */
static void test_limit(void)
{
    for (size_t extra = 0; extra < 2; extra++) {
        double x[32];
        for (size_t c = 0; c < 16; c++) { /* rows 0..3, then row 4 once */
            x[2 * c] = (double)(c % 4);
            x[2 * c + 1] = 0.5;
        }
        if (extra) x[30] = 4.0;
        data_set *ds = pairs_data(x, NULL, 8);
        qpack *p = qpack_alloc(ds, NULL);
        gsl_test(!p, "packs 8 pairs");
        if (!p) {
            data_free(ds);
            continue;
        }
        if (!extra) {
            gsl_test(p->n_rows != 4 || p->x != p->x_own,
                     "4 distinct of 16 (a quarter): a table of 4 rows");
        } else {
            int ident = p->n_rows == 16 && p->x == ds->x && !p->x_own;
            for (size_t q = 0; ident && q < 8; q++)
                ident = qpack_rows(qpack_record(p, q))[0] == 2 * q &&
                        qpack_rows(qpack_record(p, q))[1] == 2 * q + 1;
            gsl_test(!ident, "5 distinct of 16: the data's own rows, row c = "
                     "candidate c");
        }
        gsl_test_int((int)check_records(p, ds), 0, "records at the limit %+d",
                     (int)extra);
        qpack_free(p);
        data_free(ds);
    }
}

/* Stride: 2 + max m, rounded up to a power of two up to 16. */
static void test_stride(void)
{
    const size_t span[4] = {2, 4, 13, 16}, want[4] = {8, 8, 16, 19};
    for (size_t i = 0; i < 4; i++) {
        size_t distinct;
        data_set *ds = pool_data(40, span[i], 50, 2, 0, 5, &distinct);
        qpack *p = qpack_alloc(ds, NULL);
        gsl_test_int(p ? (int)p->stride : -1, (int)want[i],
                     "stride for m up to %zu", span[i] + 1);
        gsl_test_int(p ? (int)check_records(p, ds) : -1, 0,
                     "records for m up to %zu", span[i] + 1);
        qpack_free(p);
        data_free(ds);
    }
}

/* A query of 65536 candidates does not fit a record's 16 bits. */
static void test_too_long(void)
{
    size_t m = 65536;
    data_set *ds = data_alloc(1, 1, m, 1, 0);
    ds->user_q[1] = 1;
    ds->user_name[0] = 0;
    ds->q_cand[1] = m;
    ds->q_r[0] = 1;
    ds->q_name[0] = 0;
    for (size_t c = 0; c < m; c++) {
        ds->x[c] = (double)c;
        ds->c_item[c] = 0;
    }
    int err = PREF_OK;
    qpack *p = qpack_alloc(ds, &err);
    gsl_test(p != NULL || err != PREF_EINPUT,
             "a query of 65536 candidates: PREF_EINPUT");
    qpack_free(p);
    qpack_free(NULL);
    data_free(ds);
}

int main(void)
{
    gsl_set_error_handler_off();
    test_pool(200, 3, 60, 1);
    test_pool(200, 3, 60, 0);
    test_pool(12000, 4, 5003, 1); /* the table doubles from 1024 to 16384 */
    test_bits();
    test_limit();
    test_stride();
    test_too_long();
    exit(gsl_test_summary());
}
