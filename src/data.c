#define _DEFAULT_SOURCE /* madvise, MADV_HUGEPAGE (Linux); before any header */
/* data.c — allocation, checking and accounting of preference data (data.h).
 *
 * What it does: allocates the flat arrays of a data_set (only the optional
 * ones the flags ask for), frees them with the string tables, checks every
 * structural invariant with a message naming the first broken one, counts
 * raw bytes, and formats id labels.
 *
 * What it does not do: read, write or generate data (csvio.c, sim.c), or
 * check what needs a model: a true type is any uint32 (0..K-1, or DATA_NONE
 * for "unknown"), and only its user knows K. Prompt, name and item indices
 * are checked against their string tables when those exist. */
#include "data.h"

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "err.h"

void *data_huge_alloc(size_t bytes)
{
#ifdef MADV_HUGEPAGE
    if (bytes >= ((size_t)4 << 20)) {
        void *p = NULL;
        if (posix_memalign(&p, (size_t)2 << 20, bytes) != 0) return NULL;
        madvise(p, bytes, MADV_HUGEPAGE); /* a hint: failure is harmless */
        return p;
    }
#endif
    return malloc(bytes ? bytes : 1);
}

/* malloc of n elements of size sz, at least one element so that NULL always
 * means failure; NULL also on overflow. Large arrays (the simulator's
 * features: gigabytes for 10^6 users) go on huge pages (data_huge_alloc);
 * the memory stays ordinary heap memory (free and realloc work on it). */
static void *data_array(size_t n, size_t sz)
{
    if (n == 0) n = 1;
    if (n > SIZE_MAX / sz) return NULL;
    size_t bytes = n * sz;
    return bytes >= ((size_t)64 << 20) ? data_huge_alloc(bytes)
                                       : malloc(bytes);
}

void data_huge_collapse(void *p, size_t bytes)
{
#if defined(MADV_HUGEPAGE) && defined(__linux__)
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25 /* Linux 6.1; older glibc headers lack it */
#endif
    const uintptr_t page = 4096; /* the smallest page size madvise wants */
    if (!p || bytes < ((size_t)4 << 20)) return;
    uintptr_t a = ((uintptr_t)p + page - 1) & ~(page - 1);
    uintptr_t e = ((uintptr_t)p + bytes) & ~(page - 1);
    if (e <= a) return;
    /* hints: a failure (old kernel, no huge page free) changes nothing */
    madvise((void *)a, e - a, MADV_HUGEPAGE);
    madvise((void *)a, e - a, MADV_COLLAPSE);
#else
    (void)p;
    (void)bytes;
#endif
}

data_set *data_alloc(size_t n_users, size_t n_queries, size_t n_cands,
                     size_t d, unsigned flags)
{
    if (n_users == SIZE_MAX || n_queries == SIZE_MAX) return NULL;
    if (d != 0 && n_cands > SIZE_MAX / d) return NULL;
    data_set *ds = calloc(1, sizeof *ds);
    if (!ds) return NULL;
    ds->d = d;
    ds->n_users = n_users;
    ds->n_queries = n_queries;
    ds->n_cands = n_cands;

    ds->user_q = data_array(n_users + 1, sizeof *ds->user_q);
    ds->user_name = data_array(n_users, sizeof *ds->user_name);
    ds->q_cand = data_array(n_queries + 1, sizeof *ds->q_cand);
    ds->q_r = data_array(n_queries, sizeof *ds->q_r);
    ds->q_name = data_array(n_queries, sizeof *ds->q_name);
    ds->x = data_array(n_cands * d, sizeof *ds->x);
    ds->c_item = data_array(n_cands, sizeof *ds->c_item);
    int bad = !ds->user_q || !ds->user_name || !ds->q_cand || !ds->q_r ||
              !ds->q_name || !ds->x || !ds->c_item;
    if (flags & DATA_HAS_TYPE) {
        ds->user_type = data_array(n_users, sizeof *ds->user_type);
        bad |= !ds->user_type;
    }
    if (flags & DATA_HAS_PROMPT) {
        ds->q_prompt = data_array(n_queries, sizeof *ds->q_prompt);
        bad |= !ds->q_prompt;
    }
    if (flags & DATA_HAS_LOGP) {
        ds->logp_ref = data_array(n_cands, sizeof *ds->logp_ref);
        bad |= !ds->logp_ref;
    }
    if (bad) {
        data_free(ds);
        return NULL;
    }
    ds->user_q[0] = 0;
    ds->q_cand[0] = 0;
    return ds;
}

void data_free(data_set *ds)
{
    if (!ds) return;
    free(ds->user_q);
    free(ds->user_name);
    free(ds->user_type);
    free(ds->q_cand);
    free(ds->q_r);
    free(ds->q_name);
    free(ds->q_prompt);
    free(ds->x);
    free(ds->logp_ref);
    free(ds->c_item);
    strtab_free(ds->users);
    strtab_free(ds->queries);
    strtab_free(ds->items);
    strtab_free(ds->prompts);
    strtab_free(ds->features);
    free(ds);
}

/* 1 when id index idx is valid for table t (any index is, without one). */
static int data_id_ok(const strtab *t, uint32_t idx)
{
    return !t || idx < strtab_size(t);
}

int data_check(const data_set *ds)
{
    if (ds->d == 0) PREF_ERROR(PREF_EINPUT, "data: no features (d = 0)");
    if (ds->n_users == 0) PREF_ERROR(PREF_EINPUT, "data: no users");
    if (ds->user_q[0] != 0)
        PREF_ERROR(PREF_EINPUT, "data: user_q[0] = %zu, not 0", ds->user_q[0]);
    if (ds->user_q[ds->n_users] != ds->n_queries)
        PREF_ERROR(PREF_EINPUT, "data: user_q[%zu] = %zu, not n_queries = %zu",
                   ds->n_users, ds->user_q[ds->n_users], ds->n_queries);
    if (ds->q_cand[0] != 0)
        PREF_ERROR(PREF_EINPUT, "data: q_cand[0] = %zu, not 0", ds->q_cand[0]);
    if (ds->q_cand[ds->n_queries] != ds->n_cands)
        PREF_ERROR(PREF_EINPUT, "data: q_cand[%zu] = %zu, not n_cands = %zu",
                   ds->n_queries, ds->q_cand[ds->n_queries], ds->n_cands);

    for (size_t i = 0; i < ds->n_users; i++) {
        if (ds->user_q[i + 1] <= ds->user_q[i])
            PREF_ERROR(PREF_EINPUT, "data: user %zu has no queries", i);
        if (!data_id_ok(ds->users, ds->user_name[i]))
            PREF_ERROR(PREF_EINPUT, "data: user %zu: name index %" PRIu32
                       " out of range", i, ds->user_name[i]);
    }
    for (size_t q = 0; q < ds->n_queries; q++) {
        if (ds->q_cand[q + 1] < ds->q_cand[q] ||
            ds->q_cand[q + 1] > ds->n_cands)
            PREF_ERROR(PREF_EINPUT, "data: query %zu: bad candidate offsets",
                       q);
        size_t m = data_m(ds, q);
        if (m < 2)
            PREF_ERROR(PREF_EINPUT, "data: query %zu: %zu candidate(s), "
                       "need at least 2", q, m);
        if (ds->q_r[q] < 1 || ds->q_r[q] > m - 1)
            PREF_ERROR(PREF_EINPUT, "data: query %zu: r = %" PRIu32
                       " not in 1..%zu", q, ds->q_r[q], m - 1);
        if (!data_id_ok(ds->queries, ds->q_name[q]))
            PREF_ERROR(PREF_EINPUT, "data: query %zu: name index %" PRIu32
                       " out of range", q, ds->q_name[q]);
        if (ds->q_prompt && ds->q_prompt[q] != DATA_NONE &&
            !data_id_ok(ds->prompts, ds->q_prompt[q]))
            PREF_ERROR(PREF_EINPUT, "data: query %zu: prompt index %" PRIu32
                       " out of range", q, ds->q_prompt[q]);
    }
    for (size_t c = 0; c < ds->n_cands; c++) {
        for (size_t k = 0; k < ds->d; k++)
            if (!isfinite(ds->x[c * ds->d + k]))
                PREF_ERROR(PREF_EINPUT, "data: candidate %zu: feature x%zu "
                           "not finite", c, k + 1);
        if (ds->logp_ref && !isfinite(ds->logp_ref[c]))
            PREF_ERROR(PREF_EINPUT, "data: candidate %zu: logp_ref not "
                       "finite", c);
        if (!data_id_ok(ds->items, ds->c_item[c]))
            PREF_ERROR(PREF_EINPUT, "data: candidate %zu: item index %" PRIu32
                       " out of range", c, ds->c_item[c]);
    }
    return PREF_OK;
}

double data_max_abs_feature(const data_set *ds, size_t *col)
{
    double mx = 0.0;
    size_t at = 0, n = ds->q_cand[ds->n_queries] * ds->d;
    for (size_t i = 0; i < n; i++)
        if (fabs(ds->x[i]) > mx) {
            mx = fabs(ds->x[i]);
            at = i % ds->d;
        }
    if (col) *col = at;
    return mx;
}

size_t data_raw_bytes(const data_set *ds)
{
    size_t b = sizeof *ds;
    b += (ds->n_users + 1) * sizeof *ds->user_q;
    b += ds->n_users * sizeof *ds->user_name;
    if (ds->user_type) b += ds->n_users * sizeof *ds->user_type;
    b += (ds->n_queries + 1) * sizeof *ds->q_cand;
    b += ds->n_queries * (sizeof *ds->q_r + sizeof *ds->q_name);
    if (ds->q_prompt) b += ds->n_queries * sizeof *ds->q_prompt;
    b += ds->n_cands * ds->d * sizeof *ds->x;
    if (ds->logp_ref) b += ds->n_cands * sizeof *ds->logp_ref;
    b += ds->n_cands * sizeof *ds->c_item;
    if (ds->users) b += strtab_bytes(ds->users);
    if (ds->queries) b += strtab_bytes(ds->queries);
    if (ds->items) b += strtab_bytes(ds->items);
    if (ds->prompts) b += strtab_bytes(ds->prompts);
    return b;
}

const char *data_label(const strtab *t, uint32_t idx, char *buf, size_t n)
{
    if (t && idx < strtab_size(t)) return strtab_get(t, idx);
    /* idx + 1 without 32-bit overflow (DATA_NONE + 1 = 4294967296). */
    snprintf(buf, n, "%llu", (unsigned long long)idx + 1);
    return buf;
}

const char *data_feature_name(const data_set *ds, size_t k, char *buf,
                              size_t n)
{
    if (ds->features && k < strtab_size(ds->features))
        return strtab_get(ds->features, (uint32_t)k);
    snprintf(buf, n, "x%zu", k + 1);
    return buf;
}

/* A copy of t with the same indices (NULL stays NULL). Returns PREF_OK or
 * PREF_ENOMEM. */
static int data_copy_table(const strtab *t, strtab **out)
{
    *out = NULL;
    if (!t) return PREF_OK;
    strtab *c = strtab_alloc();
    if (!c) PREF_ERROR(PREF_ENOMEM, "out of memory");
    uint32_t idx;
    for (size_t i = 0; i < strtab_size(t); i++) {
        const char *s = strtab_get(t, (uint32_t)i);
        if (strtab_intern(c, s, strlen(s), &idx) != PREF_OK) {
            strtab_free(c);
            return PREF_ENOMEM;
        }
    }
    *out = c;
    return PREF_OK;
}

/* Copy user i of src into user j of dst at query q and candidate c (the
 * running offsets, advanced). */
static void data_copy_user(const data_set *src, size_t i, data_set *dst,
                           size_t j, size_t *q, size_t *c)
{
    size_t d = src->d;
    dst->user_name[j] = src->user_name[i];
    if (dst->user_type) dst->user_type[j] = src->user_type[i];
    for (size_t sq = src->user_q[i]; sq < src->user_q[i + 1]; sq++, (*q)++) {
        size_t c0 = src->q_cand[sq], m = data_m(src, sq);
        dst->q_r[*q] = src->q_r[sq];
        dst->q_name[*q] = src->q_name[sq];
        if (dst->q_prompt) dst->q_prompt[*q] = src->q_prompt[sq];
        memcpy(dst->x + *c * d, src->x + c0 * d, m * d * sizeof(double));
        memcpy(dst->c_item + *c, src->c_item + c0, m * sizeof(uint32_t));
        if (dst->logp_ref)
            memcpy(dst->logp_ref + *c, src->logp_ref + c0, m * sizeof(double));
        *c += m;
        dst->q_cand[*q + 1] = *c;
    }
    dst->user_q[j + 1] = *q;
}

data_set *data_subset_users(const data_set *ds, const size_t *users, size_t n,
                            int *err)
{
    int e = PREF_EINPUT;
    size_t nq = 0, nc = 0;
    if (n == 0) pref_set_error(e, "a subset needs at least one user");
    for (size_t j = 0; j < n && e == PREF_EINPUT; j++) {
        if (users[j] >= ds->n_users) {
            pref_set_error(e, "user index %zu: the data have %zu users",
                           users[j], ds->n_users);
            n = 0;
            break;
        }
        size_t i = users[j];
        nq += ds->user_q[i + 1] - ds->user_q[i];
        nc += ds->q_cand[ds->user_q[i + 1]] - ds->q_cand[ds->user_q[i]];
    }
    data_set *out = NULL;
    if (n > 0) {
        unsigned flags = (ds->user_type ? DATA_HAS_TYPE : 0) |
                         (ds->q_prompt ? DATA_HAS_PROMPT : 0) |
                         (ds->logp_ref ? DATA_HAS_LOGP : 0);
        out = data_alloc(n, nq, nc, ds->d, flags);
        e = out ? PREF_OK : pref_set_error(PREF_ENOMEM, "out of memory");
    }
    size_t q = 0, c = 0;
    for (size_t j = 0; out && j < n; j++) data_copy_user(ds, users[j], out, j, &q, &c);
    if (!e) e = data_copy_table(ds->users, &out->users);
    if (!e) e = data_copy_table(ds->queries, &out->queries);
    if (!e) e = data_copy_table(ds->items, &out->items);
    if (!e) e = data_copy_table(ds->prompts, &out->prompts);
    if (!e) e = data_copy_table(ds->features, &out->features);
    if (e && out) {
        data_free(out);
        out = NULL;
    }
    if (err) *err = e;
    return out;
}
