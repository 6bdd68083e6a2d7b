/* qpack.h — every query of a data set as one small fixed-size record of
 * row indices into a table of the data's distinct candidate rows.
 *
 * Why: EM-DPO's trainer reads its minibatches' queries in a shuffled order.
 * Read from the data set itself, one query costs up to six random cache
 * lines (its candidate offset, its rank count, its m feature rows, its
 * reference log-probabilities), and from 10^6 users on (gigabytes of rows)
 * each of them is a miss in DRAM and in the TLB: the one cost of a fit that
 * grew faster than the data. Packed, a query is one record (m, r, its
 * user and m row indices: 32 bytes for m = 3), and where candidates repeat (the same
 * response shown to many annotators: the usual design) the rows come from
 * a table small enough to stay in the caches. The rows are bit-for-bit the
 * data set's, so everything computed from them is unchanged.
 *
 * The table holds the distinct (features, logp_ref) rows, compared
 * bitwise, in order of first appearance, when there are at most a quarter
 * as many as candidates; else (rows rarely repeat) it is the data set's own
 * feature array, borrowed, and row c is candidate c.
 *
 * Not here: training, the order of reads (dpo.h); changing the data set. */
#ifndef HETPREF_QPACK_H
#define HETPREF_QPACK_H

#include <stddef.h>
#include <stdint.h>

#include "data.h"

typedef struct qpack {
    size_t n_queries, d;
    size_t stride;      /* uint32 per record: 2 + the largest m, rounded up
                           to a power of two when that is at most 16 (so
                           a record never straddles two cache lines) */
    uint32_t *rec;      /* (n_queries, stride): rec[0] = m | r << 16,
                           rec[1] the query's user, then the m row indices
                           of its candidates in the data set's (canonical)
                           order */
    size_t n_rows;      /* rows in the table */
    const double *x;    /* (n_rows, d) the rows: x_own or the data set's x */
    const double *logp_ref; /* (n_rows), or NULL when the data set has none */
    double *x_own, *lref_own; /* owned copies; NULL when borrowed */
    const data_set *ds; /* the data set it was built from (borrowed: it
                           must outlive the pack) */
} qpack;

/* Pack the queries of ds (checked by data_check). O(n_cands * d) time:
 * one hash of each candidate row. Returns NULL and sets *err (may be NULL)
 * to PREF_ENOMEM, or to PREF_EINPUT when ds cannot be packed (more than
 * 2^32 - 1 rows or users, or a query of more than 65535 candidates: callers then
 * read the data set directly); else *err = PREF_OK. */
qpack *qpack_alloc(const data_set *ds, int *err);

/* Free the pack and what it owns (not the data set). NULL is a no-op. */
void qpack_free(qpack *p);

/* The record of query q. */
static inline const uint32_t *qpack_record(const qpack *p, size_t q)
{
    return p->rec + q * p->stride;
}

/* Candidates (m), ranked candidates (r), user and row indices (m of them)
 * of a record. */
static inline size_t qpack_m(const uint32_t *rec) { return rec[0] & 0xffffu; }
static inline uint32_t qpack_r(const uint32_t *rec) { return rec[0] >> 16; }
static inline size_t qpack_user(const uint32_t *rec) { return rec[1]; }
static inline const uint32_t *qpack_rows(const uint32_t *rec) { return rec + 2; }

#endif
