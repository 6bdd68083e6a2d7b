/* strtab.c — interning table of short strings (see strtab.h).
 *
 * What it does: maps byte strings to dense uint32 indices in order of first
 * appearance. Storage is three flat arrays, each grown by doubling:
 *   pool  — every string's bytes followed by a NUL, back to back;
 *   off   — off[i] is where string i starts in pool (off[n] = pool length),
 *           so the length of string i is off[i + 1] - off[i] - 1;
 *   hash  — a cached 32-bit hash per string (makes probing and rehashing
 *           cheap: no string is rehashed when the index grows);
 * plus an open-addressing index `slot` (linear probing, power-of-two
 * capacity, kept at most 5/8 full) whose entries are string indices or
 * STRTAB_EMPTY. The hash is 64-bit FNV-1a folded to 32 bits.
 *
 * What it does not do: remove strings, or allocate per string. Strings may
 * contain any byte, including NUL (strtab_get then shows only the prefix up
 * to the first NUL; callers that need such strings must reject them first).
 * UINT32_MAX is never an index (it means "absent" in strtab_find). */
#include "strtab.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

#define STRTAB_EMPTY UINT32_MAX
#define STRTAB_MIN_SLOTS 64u  /* initial capacity of the hash index */
#define STRTAB_MIN_POOL 256u  /* initial capacity of the pool (bytes) */
#define STRTAB_MIN_STRS 16u   /* initial capacity of off/hash (strings) */

struct strtab {
    char *pool;        /* (pool_cap) bytes, pool_len used */
    size_t pool_len, pool_cap;
    size_t *off;       /* (str_cap + 1) offsets, n + 1 used */
    uint32_t *hash;    /* (str_cap) cached hashes, n used */
    size_t n, str_cap;
    uint32_t *slot;    /* (slot_cap) string index or STRTAB_EMPTY */
    size_t slot_cap;   /* power of two */
};

/* 64-bit FNV-1a (Fowler, Noll, Vo), folded to 32 bits. */
static uint32_t strtab_hash(const char *s, size_t len)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return (uint32_t)(h ^ (h >> 32));
}

strtab *strtab_alloc(void)
{
    strtab *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->pool = malloc(STRTAB_MIN_POOL);
    t->off = malloc((STRTAB_MIN_STRS + 1) * sizeof *t->off);
    t->hash = malloc(STRTAB_MIN_STRS * sizeof *t->hash);
    t->slot = malloc(STRTAB_MIN_SLOTS * sizeof *t->slot);
    if (!t->pool || !t->off || !t->hash || !t->slot) {
        strtab_free(t);
        return NULL;
    }
    t->pool_cap = STRTAB_MIN_POOL;
    t->str_cap = STRTAB_MIN_STRS;
    t->slot_cap = STRTAB_MIN_SLOTS;
    t->off[0] = 0;
    for (size_t i = 0; i < t->slot_cap; i++) t->slot[i] = STRTAB_EMPTY;
    return t;
}

void strtab_free(strtab *t)
{
    if (!t) return;
    free(t->pool);
    free(t->off);
    free(t->hash);
    free(t->slot);
    free(t);
}

/* Slot holding s, or the empty slot where it would go. */
static size_t strtab_probe(const strtab *t, const char *s, size_t len,
                           uint32_t h)
{
    size_t mask = t->slot_cap - 1;
    size_t i = h & mask;
    for (;;) {
        uint32_t k = t->slot[i];
        if (k == STRTAB_EMPTY) return i;
        if (t->hash[k] == h && t->off[k + 1] - t->off[k] - 1 == len &&
            memcmp(t->pool + t->off[k], s, len) == 0)
            return i;
        i = (i + 1) & mask;
    }
}

/* Double the hash index and reinsert every string by its cached hash. */
static int strtab_grow_slots(strtab *t)
{
    size_t cap = t->slot_cap * 2;
    if (cap > SIZE_MAX / sizeof *t->slot) return PREF_ENOMEM;
    uint32_t *slot = malloc(cap * sizeof *slot);
    if (!slot) return PREF_ENOMEM;
    for (size_t i = 0; i < cap; i++) slot[i] = STRTAB_EMPTY;
    size_t mask = cap - 1;
    for (size_t k = 0; k < t->n; k++) {
        size_t i = t->hash[k] & mask;
        while (slot[i] != STRTAB_EMPTY) i = (i + 1) & mask;
        slot[i] = (uint32_t)k;
    }
    free(t->slot);
    t->slot = slot;
    t->slot_cap = cap;
    return PREF_OK;
}

int strtab_intern(strtab *t, const char *s, size_t len, uint32_t *idx)
{
    uint32_t h = strtab_hash(s, len);
    size_t i = strtab_probe(t, s, len, h);
    if (t->slot[i] != STRTAB_EMPTY) {
        *idx = t->slot[i];
        return PREF_OK;
    }
    if (t->n >= (size_t)UINT32_MAX - 1)
        PREF_ERROR(PREF_ENOMEM, "string table full (%zu strings)", t->n);

    /* Make room: pool, per-string arrays, then the index (load <= 5/8). */
    if (len >= SIZE_MAX - t->pool_len)
        PREF_ERROR(PREF_ENOMEM, "string table: string too long");
    size_t need = t->pool_len + len + 1;
    if (need > t->pool_cap) {
        size_t cap = t->pool_cap;
        while (cap < need) cap = cap > SIZE_MAX / 2 ? need : 2 * cap;
        char *p = realloc(t->pool, cap);
        if (!p) PREF_ERROR(PREF_ENOMEM, "string table: out of memory");
        t->pool = p;
        t->pool_cap = cap;
    }
    if (t->n == t->str_cap) {
        size_t cap = 2 * t->str_cap;
        if (cap + 1 > SIZE_MAX / sizeof *t->off)
            PREF_ERROR(PREF_ENOMEM, "string table: out of memory");
        size_t *off = realloc(t->off, (cap + 1) * sizeof *off);
        if (!off) PREF_ERROR(PREF_ENOMEM, "string table: out of memory");
        t->off = off;
        uint32_t *hash = realloc(t->hash, cap * sizeof *hash);
        if (!hash) PREF_ERROR(PREF_ENOMEM, "string table: out of memory");
        t->hash = hash;
        t->str_cap = cap;
    }
    if ((t->n + 1) * 8 > t->slot_cap * 5) {
        if (strtab_grow_slots(t) != PREF_OK)
            PREF_ERROR(PREF_ENOMEM, "string table: out of memory");
        i = strtab_probe(t, s, len, h);
    }

    uint32_t k = (uint32_t)t->n;
    memcpy(t->pool + t->pool_len, s, len);
    t->pool[t->pool_len + len] = '\0';
    t->pool_len += len + 1;
    t->off[k + 1] = t->pool_len;
    t->hash[k] = h;
    t->slot[i] = k;
    t->n++;
    *idx = k;
    return PREF_OK;
}

uint32_t strtab_find(const strtab *t, const char *s, size_t len)
{
    size_t i = strtab_probe(t, s, len, strtab_hash(s, len));
    return t->slot[i];
}

const char *strtab_get(const strtab *t, uint32_t i)
{
    return t->pool + t->off[i];
}

size_t strtab_size(const strtab *t)
{
    return t->n;
}

size_t strtab_bytes(const strtab *t)
{
    return sizeof *t + t->pool_cap + (t->str_cap + 1) * sizeof *t->off +
           t->str_cap * sizeof *t->hash + t->slot_cap * sizeof *t->slot;
}
