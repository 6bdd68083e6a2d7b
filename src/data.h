/* data.h — preference data in memory.
 *
 * A data set is N users, each with a run of queries; each query a run of
 * m >= 2 candidates. Everything is flat: candidates of a query are contiguous,
 * queries of a user are contiguous, and offsets (CSR style) index the runs.
 *
 * Canonical candidate order: inside a query the ranked candidates come first,
 * in rank order (row 0 is rank 1), followed by the unranked ones in their
 * input order. So a Plackett–Luce answer is just "the first r of m" and the
 * likelihood kernels (pl.h) never need an index indirection.
 *
 * Ids are kept for output: each of user, query, item and prompt has a uint32
 * per entity indexing a string table; a NULL table means "the label is the
 * index plus one, printed in decimal" — used by the simulator (user i is
 * "i+1", query t of a user is "t+1", the candidate drawn j-th is "j+1"), so
 * simulated data carry no strings at all.
 *
 * This module only holds and checks data; reading and writing CSV is csvio.h,
 * generating it is sim.h. */
#ifndef HETPREF_DATA_H
#define HETPREF_DATA_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "strtab.h"

#define DATA_NONE UINT32_MAX /* "absent" for prompt and type */

typedef struct data_set {
    size_t d;          /* features per candidate */
    size_t n_users;
    size_t n_queries;
    size_t n_cands;

    /* per user (n_users), plus offsets (n_users + 1) */
    size_t *user_q;    /* queries of user i: [user_q[i], user_q[i+1]) */
    uint32_t *user_name;  /* id index into users */
    uint32_t *user_type;  /* true type 0..K-1, DATA_NONE; NULL: no type column */

    /* per query (n_queries), plus offsets (n_queries + 1) */
    size_t *q_cand;    /* candidates of query q: [q_cand[q], q_cand[q+1]) */
    uint32_t *q_r;     /* ranked candidates r, 1 <= r <= m - 1 */
    uint32_t *q_name;  /* id index into queries */
    uint32_t *q_prompt;/* index into prompts, DATA_NONE; NULL: no prompt column */

    /* per candidate (n_cands) */
    double *x;         /* (n_cands, d) row-major features */
    double *logp_ref;  /* (n_cands) reference log-probabilities; NULL: all 0 */
    uint32_t *c_item;  /* id index into items */

    /* id tables; each may be NULL (see above) */
    strtab *users, *queries, *items, *prompts;

    /* feature names: d strings in feature order (the CSV column names), or
     * NULL for the default names x1..xd */
    strtab *features;
} data_set;

/* Flags for data_alloc: which optional arrays to allocate. */
enum {
    DATA_HAS_TYPE = 1u << 0,
    DATA_HAS_PROMPT = 1u << 1,
    DATA_HAS_LOGP = 1u << 2
};

/* Allocate a data set with the given sizes; arrays are uninitialised except
 * that user_q[0] = q_cand[0] = 0. The string tables are NULL. Returns NULL on
 * out-of-memory. Free with data_free. */
data_set *data_alloc(size_t n_users, size_t n_queries, size_t n_cands,
                     size_t d, unsigned flags);

/* bytes (> 0) of heap memory for a large array: from 4 MiB on, 2 MiB-aligned
 * and marked for transparent huge pages (madvise MADV_HUGEPAGE, where the
 * system has it), so that writing it takes 512 times fewer page faults and
 * reading it at random misses the TLB less; pages never written are never
 * resident. Free with free() (realloc works too). NULL when out of memory. */
void *data_huge_alloc(size_t bytes);

/* Move the whole pages of [p, p + bytes), a heap array already written
 * (a reader's features, grown by realloc), to transparent huge pages when
 * bytes is at least 4 MiB: madvise MADV_HUGEPAGE, then MADV_COLLAPSE
 * (Linux >= 6.1), which copies them into 2 MiB pages now, one at a time
 * (no lasting extra memory). Random reads of the array (the EM-DPO
 * minibatch gather) then miss the TLB far less. A hint: where the system
 * lacks it, or has no huge page free, nothing changes. data_alloc gives
 * its large arrays huge pages from the start instead. */
void data_huge_collapse(void *p, size_t bytes);

/* Free everything the set owns, including its string tables. NULL is a no-op. */
void data_free(data_set *ds);

/* Check every structural invariant (offsets monotone and consistent, m >= 2,
 * 1 <= r <= m - 1, finite features, type/prompt within range). Returns PREF_OK
 * or PREF_EINPUT with a message naming the first broken invariant. */
int data_check(const data_set *ds);

/* A new data set holding only the users users[0..n) of ds (each index <
 * ds->n_users), in that order, with all their queries, candidates, features,
 * types, prompts and reference log-probabilities, and copies of ds's string
 * tables (so labels and feature names are unchanged). A user may appear
 * more than once. Returns NULL and sets *err (may be NULL) to PREF_EINPUT
 * (n = 0 or an index out of range) or PREF_ENOMEM; else *err = PREF_OK.
 * The caller frees the result with data_free. O(rows of the chosen users +
 * string table bytes). */
data_set *data_subset_users(const data_set *ds, const size_t *users, size_t n,
                            int *err);

/* Bytes of the raw data: features, logp_ref, offsets, ranks, ids and string
 * tables — the yardstick for the memory targets of bench/. */
size_t data_raw_bytes(const data_set *ds);

/* The largest |x| of any feature, and (when col is not NULL) its 0-based
 * column; 0 for a data set without candidates. */
double data_max_abs_feature(const data_set *ds, size_t *col);

/* Number of candidates of query q. */
static inline size_t data_m(const data_set *ds, size_t q)
{
    return ds->q_cand[q + 1] - ds->q_cand[q];
}

/* dst[0..n) = src[0..n) (not overlapping), for the few hundred bytes of a
 * candidate's or a query's feature rows: blocks of 8 and then 2 doubles,
 * each a memcpy of constant size that the compiler inlines, since a libc
 * memcpy call per row costs more than the copy (the gather of EM-DPO's
 * minibatches, the simulator's candidates). */
static inline void data_copy_features(double *dst, const double *src, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) memcpy(dst + i, src + i, 8 * sizeof(double));
    for (; i + 2 <= n; i += 2) memcpy(dst + i, src + i, 2 * sizeof(double));
    if (i < n) dst[i] = src[i];
}

/* The label of id index idx in table t: the stored string when t is not
 * NULL, else idx + 1 formatted into buf (size n >= 12). Never NULL. */
const char *data_label(const strtab *t, uint32_t idx, char *buf, size_t n);

/* The name of feature k (k < ds->d): the stored column name when the data
 * has names, else "x<k+1>" formatted into buf (size n >= 24). Never NULL. */
const char *data_feature_name(const data_set *ds, size_t k, char *buf,
                              size_t n);

#endif
