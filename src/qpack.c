/* qpack.c — queries as fixed-size records over a table of distinct rows
 * (qpack.h).
 *
 * What it does: one pass over the candidates, each row (its d features and
 * its reference log-probability) looked up by a 64-bit hash in an
 * open-addressing table of the distinct rows found so far (linear probing,
 * doubled at half load), written into the query's record as a row index.
 * When the distinct rows pass a quarter of the candidates the lookups stop
 * and the records index the data set's own rows instead: a copy of rows
 * that rarely repeat would cost memory and save no cache misses.
 *
 * What it does not do: read the records (dpo.c), or judge which rows are
 * "the same response" by anything but their bits: equal features with
 * different labels are one row, and -0.0 and +0.0 are two. (A hand-written
 * table: GSL has no hash table, and the keys are short rows of doubles.) */
#include "qpack.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

#define QPACK_EMPTY UINT32_MAX

/* The hash of a row's bits: each 64-bit word folded in by multiply and
 * rotate, then the MurmurHash3 finaliser (fmix64) to spread the bits. */
static uint64_t qpack_hash(const double *x, size_t d, const double *lref)
{
    uint64_t h = 0x243f6a8885a308d3u, w;
    for (size_t k = 0; k < d; k++) {
        memcpy(&w, x + k, sizeof w);
        h = (h ^ w) * 0x9e3779b97f4a7c15u;
        h = (h << 27) | (h >> 37);
    }
    if (lref) {
        memcpy(&w, lref, sizeof w);
        h = (h ^ w) * 0x9e3779b97f4a7c15u;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53u;
    h ^= h >> 33;
    return h;
}

/* The distinct rows found so far: slot -> row index (QPACK_EMPTY), and
 * row index -> its first candidate (where its bits are). */
typedef struct rowset {
    const data_set *ds;
    uint32_t *slot;
    size_t cap;        /* slots, a power of two */
    uint32_t *first;   /* (n) first candidate of each row */
    size_t n, first_cap;
} rowset;

static int rowset_same(const rowset *s, size_t c, size_t c2)
{
    const data_set *ds = s->ds;
    if (memcmp(ds->x + c * ds->d, ds->x + c2 * ds->d, ds->d * sizeof(double)))
        return 0;
    return !ds->logp_ref ||
           !memcmp(ds->logp_ref + c, ds->logp_ref + c2, sizeof(double));
}

static uint64_t rowset_hash(const rowset *s, size_t c)
{
    const data_set *ds = s->ds;
    return qpack_hash(ds->x + c * ds->d, ds->d,
                      ds->logp_ref ? ds->logp_ref + c : NULL);
}

/* Double the slots and put every row back. PREF_OK or PREF_ENOMEM. */
static int rowset_grow(rowset *s)
{
    size_t cap = s->cap * 2;
    uint32_t *slot = malloc(cap * sizeof *slot);
    if (!slot) return PREF_ENOMEM;
    memset(slot, 0xff, cap * sizeof *slot);
    for (size_t i = 0; i < s->n; i++) {
        size_t h = (size_t)rowset_hash(s, s->first[i]) & (cap - 1);
        while (slot[h] != QPACK_EMPTY) h = (h + 1) & (cap - 1);
        slot[h] = (uint32_t)i;
    }
    free(s->slot);
    s->slot = slot;
    s->cap = cap;
    return PREF_OK;
}

/* The row index of candidate c, adding its row when new. PREF_OK or
 * PREF_ENOMEM. */
static int rowset_find(rowset *s, size_t c, uint32_t *row)
{
    size_t h = (size_t)rowset_hash(s, c) & (s->cap - 1);
    for (; s->slot[h] != QPACK_EMPTY; h = (h + 1) & (s->cap - 1))
        if (rowset_same(s, s->first[s->slot[h]], c)) {
            *row = s->slot[h];
            return PREF_OK;
        }
    if (s->n == s->first_cap) {
        size_t nc = s->first_cap * 2;
        uint32_t *f = realloc(s->first, nc * sizeof *f);
        if (!f) return PREF_ENOMEM;
        s->first = f;
        s->first_cap = nc;
    }
    s->first[s->n] = (uint32_t)c;
    s->slot[h] = (uint32_t)s->n;
    *row = (uint32_t)s->n++;
    if (2 * s->n > s->cap) return rowset_grow(s);
    return PREF_OK;
}

void qpack_free(qpack *p)
{
    if (!p) return;
    free(p->rec);
    free(p->x_own);
    free(p->lref_own);
    free(p);
}

/* Records with the data set's own rows (row c = candidate c). */
static void qpack_identity(qpack *p, const data_set *ds)
{
    for (size_t q = 0; q < ds->n_queries; q++) {
        uint32_t *rec = p->rec + q * p->stride;
        for (size_t j = 0; j < qpack_m(rec); j++)
            rec[2 + j] = (uint32_t)(ds->q_cand[q] + j);
    }
    p->n_rows = ds->n_cands;
    p->x = ds->x;
    p->logp_ref = ds->logp_ref;
}

/* Fill the records' row indices from a table of distinct rows, or (more
 * than limit rows) leave it and fill them with the data set's rows. */
static int qpack_table(qpack *p, const data_set *ds, size_t limit)
{
    rowset s = {ds, NULL, 1024, NULL, 0, 1024};
    s.slot = malloc(s.cap * sizeof *s.slot);
    s.first = malloc(s.first_cap * sizeof *s.first);
    int st = s.slot && s.first ? PREF_OK : PREF_ENOMEM;
    if (!st) memset(s.slot, 0xff, s.cap * sizeof *s.slot);
    for (size_t q = 0; !st && q < ds->n_queries && s.n <= limit; q++) {
        uint32_t *rec = p->rec + q * p->stride;
        for (size_t j = 0; !st && j < qpack_m(rec); j++)
            st = rowset_find(&s, ds->q_cand[q] + j, rec + 2 + j);
    }
    if (!st && s.n <= limit) {
        size_t d = ds->d;
        p->n_rows = s.n;
        p->x_own = malloc((s.n ? s.n : 1) * d * sizeof *p->x_own);
        if (ds->logp_ref) p->lref_own = malloc((s.n ? s.n : 1) * sizeof(double));
        if (!p->x_own || (ds->logp_ref && !p->lref_own)) {
            st = PREF_ENOMEM;
        } else {
            for (size_t i = 0; i < s.n; i++) {
                memcpy(p->x_own + i * d, ds->x + (size_t)s.first[i] * d,
                       d * sizeof(double));
                if (p->lref_own) p->lref_own[i] = ds->logp_ref[s.first[i]];
            }
            p->x = p->x_own;
            p->logp_ref = p->lref_own;
        }
    } else if (!st) {
        qpack_identity(p, ds);
    }
    free(s.slot);
    free(s.first);
    return st;
}

qpack *qpack_alloc(const data_set *ds, int *err)
{
    int dummy;
    if (!err) err = &dummy;
    *err = PREF_OK;
    size_t max_m = 2;
    for (size_t q = 0; q < ds->n_queries; q++)
        if (data_m(ds, q) > max_m) max_m = data_m(ds, q);
    if (ds->n_cands >= QPACK_EMPTY || ds->n_users > UINT32_MAX ||
        max_m > 0xffffu) {
        *err = pref_set_error(PREF_EINPUT, "cannot pack the queries: %zu "
                              "candidate rows, up to %zu per query", ds->n_cands,
                              max_m);
        return NULL;
    }
    qpack *p = calloc(1, sizeof *p);
    if (!p) {
        *err = pref_set_error(PREF_ENOMEM, "out of memory packing the queries");
        return NULL;
    }
    p->n_queries = ds->n_queries;
    p->d = ds->d;
    p->ds = ds;
    p->stride = 2 + max_m;
    if (p->stride <= 16)
        while (p->stride & (p->stride - 1)) p->stride++;
    size_t nrec = ds->n_queries ? ds->n_queries : 1;
    if (nrec > SIZE_MAX / sizeof(uint32_t) / p->stride ||
        !(p->rec = data_huge_alloc(nrec * p->stride * sizeof *p->rec))) {
        qpack_free(p);
        *err = pref_set_error(PREF_ENOMEM, "out of memory packing %zu queries",
                              ds->n_queries);
        return NULL;
    }
    memset(p->rec, 0, nrec * p->stride * sizeof *p->rec);
    for (size_t i = 0; i < ds->n_users; i++)
        for (size_t q = ds->user_q[i]; q < ds->user_q[i + 1]; q++) {
            p->rec[q * p->stride] = (uint32_t)data_m(ds, q) | ds->q_r[q] << 16;
            p->rec[q * p->stride + 1] = (uint32_t)i;
        }
    if (qpack_table(p, ds, ds->n_cands / 4)) {
        qpack_free(p);
        *err = pref_set_error(PREF_ENOMEM, "out of memory packing the rows "
                              "of %zu queries", ds->n_queries);
        return NULL;
    }
    return p;
}
