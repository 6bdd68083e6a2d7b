/* gather_floor.c — how fast this machine's memory serves EM-DPO's minibatch
 * gather alone: random reads of whole queries, no arithmetic. The floor that
 * the cost per answer of `hetpref fit --model emdpo` meets once the data
 * outgrow the caches (bench/README.md, "EM-DPO at 10^6 users").
 *
 *   gcc -O2 -o gather_floor bench/gather_floor.c
 *   gather_floor [queries] [row_bytes] [reps]
 *
 * Lays out `queries` rows of row_bytes bytes (default 16000000 x 192: 10^6
 * users x 16 top-1-of-3 answers, d = 8 doubles per candidate), with three
 * per-query entries in separate arrays as a data set holds them (an 8-byte
 * first-candidate offset, a 4-byte rank, an 8-byte weight), on transparent
 * huge pages where the system has them (madvise; a hint). Shuffles the query
 * order (Fisher–Yates on a xorshift64 stream), then, for each query in that
 * order, reads its entries and copies its row into a small buffer:
 *   plain:    no prefetching (the core still overlaps the reads of the
 *             queries its out-of-order window holds: they are independent);
 *   ahead_D:  the entries of the query 2D ahead and the row of the query D
 *             ahead asked for with __builtin_prefetch, D = 16, 64, 256,
 *             so that D queries' reads are in flight.
 * Then the same reads as hetpref makes them (src/qpack.h): each query one
 * 32-byte record (m and r, its user, three row indices) on huge pages, its
 * weight its user's (one double per user, 16 queries a user; on huge pages
 * too, as hetpref's responsibilities), and its rows
 * copied from a table of 1600 distinct rows (the two-traits design: 200
 * prompts x 8 responses) at the record's indices ("packed_" keys; ahead_D
 * asks for the record 2D ahead and the user's weight D ahead).
 * The same at queries / 100 (10^4 users' worth) for comparison. Prints
 * key=value lines: ns per query for each mode and size (user CPU, median of
 * reps runs: the machine is shared) and a checksum. Helpers from
 * benchutil.h, which needs no library. Not measured here: the network
 * arithmetic the real gather overlaps with, or the shuffle. */
#define _DEFAULT_SOURCE /* madvise, MADV_HUGEPAGE */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "benchutil.h"

static void *huge(size_t bytes)
{
    void *p = NULL;
    if (posix_memalign(&p, (size_t)2 << 20, bytes) != 0) return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE);
#endif
    return p;
}

static uint64_t xs(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

enum { DISTINCT = 1600, PER_USER = 16 };

typedef struct {
    size_t nq, row;
    unsigned char *x;
    uint64_t *off;
    uint32_t *rank;
    double *w;
    size_t *order;
    uint32_t *rec;       /* packed: (nq, 8) m | r << 16, user, 3 rows */
    double *uw;          /* packed: (nq / PER_USER + 1) user weights */
    unsigned char *tab;  /* packed: (DISTINCT, row) distinct rows */
} layout;

static int layout_alloc(layout *L, size_t nq, size_t row)
{
    L->nq = nq;
    L->row = row;
    L->x = huge(nq * row);
    L->off = huge(nq * sizeof *L->off);
    L->rank = huge(nq * sizeof *L->rank);
    L->w = huge(nq * sizeof *L->w);
    L->order = huge(nq * sizeof *L->order);
    L->rec = huge(nq * 8 * sizeof *L->rec);
    L->uw = huge((nq / PER_USER + 1) * sizeof *L->uw);
    L->tab = malloc(DISTINCT * row);
    if (!L->x || !L->off || !L->rank || !L->w || !L->order || !L->rec ||
        !L->uw || !L->tab)
        return -1;
    uint64_t s = 88172645463325252ull;
    memset(L->tab, 7, DISTINCT * row);
    for (size_t u = 0; u <= nq / PER_USER; u++) L->uw[u] = 0.5;
    for (size_t q = 0; q < nq; q++) {
        uint32_t *r = L->rec + 8 * q;
        r[0] = 3u | 1u << 16;
        r[1] = (uint32_t)(q / PER_USER);
        for (int j = 0; j < 6; j++) r[2 + j] = (uint32_t)(xs(&s) % DISTINCT);
    }
    for (size_t q = 0; q < nq; q++) {
        memset(L->x + q * row, (int)(q & 0xff), row);
        L->off[q] = q * row;
        L->rank[q] = 1;
        L->w[q] = 0.5;
        L->order[q] = q;
    }
    for (size_t i = nq - 1; i > 0; i--) {
        size_t j = (size_t)(xs(&s) % (i + 1)), t = L->order[i];
        L->order[i] = L->order[j];
        L->order[j] = t;
    }
    return 0;
}

static void layout_free(layout *L)
{
    free(L->x);
    free(L->off);
    free(L->rank);
    free(L->w);
    free(L->order);
    free(L->rec);
    free(L->uw);
    free(L->tab);
}

/* pass() for the packed layout: a record, its user's weight, and its three
 * rows (row / 3 bytes each) from the table. */
static double pass_packed(const layout *L, size_t ahead, unsigned char *buf)
{
    double acc = 0.0;
    size_t part = L->row / 3;
    for (size_t i = 0; i < L->nq; i++) {
        if (ahead) {
            if (i + 2 * ahead < L->nq)
                __builtin_prefetch(L->rec + 8 * L->order[i + 2 * ahead], 0, 2);
            if (i + ahead < L->nq)
                __builtin_prefetch(L->uw + L->rec[8 * L->order[i + ahead] + 1], 0, 2);
        }
        const uint32_t *r = L->rec + 8 * L->order[i];
        for (size_t j = 0; j < 3; j++)
            memcpy(buf + j * part, L->tab + (size_t)r[2 + j] * L->row, part);
        acc += L->uw[r[1]] * (double)((r[0] >> 16) + buf[L->row - 1]);
    }
    return acc;
}

/* One pass in the shuffled order; ahead = 0: no prefetching. Returns a
 * checksum so that nothing is optimised away. */
static double pass(const layout *L, size_t ahead, unsigned char *buf)
{
    double acc = 0.0;
    for (size_t i = 0; i < L->nq; i++) {
        if (ahead) {
            if (i + 2 * ahead < L->nq) {
                size_t q = L->order[i + 2 * ahead];
                __builtin_prefetch(L->off + q, 0, 2);
                __builtin_prefetch(L->rank + q, 0, 2);
                __builtin_prefetch(L->w + q, 0, 2);
            }
            if (i + ahead < L->nq) {
                const unsigned char *a = L->x + L->off[L->order[i + ahead]];
                for (size_t o = 0; o < L->row; o += 64) __builtin_prefetch(a + o, 0, 2);
            }
        }
        size_t q = L->order[i];
        memcpy(buf, L->x + L->off[q], L->row);
        acc += L->w[q] * (double)(L->rank[q] + buf[L->row - 1]);
    }
    return acc;
}

int main(int argc, char **argv)
{
    size_t nq = argc > 1 ? strtoull(argv[1], NULL, 10) : 16000000;
    size_t row = argc > 2 ? strtoull(argv[2], NULL, 10) : 192;
    int reps = argc > 3 ? atoi(argv[3]) : 3;
    if (nq < 1000 || row < 8 || row > 65536 || reps < 1 || reps > 99) {
        fprintf(stderr, "usage: gather_floor [queries >= 1000] [row_bytes 8..65536] [reps 1..99]\n");
        return 2;
    }
    static const size_t ahead[] = {0, 16, 64, 256};
    unsigned char *buf = malloc(row);
    if (!buf) return 1;
    double check = 0.0;
    printf("row_bytes=%zu\n", row);
    for (int size = 0; size < 2; size++) {
        layout L;
        size_t n = size == 0 ? nq : nq / 100;
        if (layout_alloc(&L, n, row)) {
            fprintf(stderr, "gather_floor: out of memory for %zu queries\n", n);
            return 1;
        }
        printf("%s_queries=%zu\n", size == 0 ? "large" : "small", n);
        for (size_t a = 0; a < 2 * sizeof ahead / sizeof *ahead; a++) {
            size_t ah = ahead[a % (sizeof ahead / sizeof *ahead)];
            int packed = a >= sizeof ahead / sizeof *ahead;
            double t[99];
            for (int r = 0; r < reps; r++) {
                double t0 = bench_user_cpu();
                check += packed ? pass_packed(&L, ah, buf) : pass(&L, ah, buf);
                t[r] = bench_user_cpu() - t0;
            }
            qsort(t, (size_t)reps, sizeof *t, bench_cmp_double);
            char name[32];
            if (ah) snprintf(name, sizeof name, "ahead_%zu", ah);
            else snprintf(name, sizeof name, "plain");
            printf("%s_%s%s_ns_per_query=%.1f\n", size == 0 ? "large" : "small",
                   packed ? "packed_" : "", name, 1e9 * t[reps / 2] / (double)n);
        }
        layout_free(&L);
    }
    printf("checksum=%.17g\n", check);
    free(buf);
    return 0;
}
