/* csvio.c — preference data as long CSV, through libcsv.
 *
 * What it does
 *
 * Reading. Records come from the one CSV reader (csvrec.h: libcsv in
 * strict mode, BOM, LF/CRLF/CR, the line where each record starts, no
 * field-length limit); a record is processed whole, so a wrong field count
 * is reported before any field is interpreted. Each row is appended to
 * flat arrays: features and logp_ref go straight to their final arrays,
 * plus a rank, a line number (only once rows stop sitting on consecutive
 * lines) and a query number (only once rows are out of order) per row.
 * For a regular file the arrays are sized once from the bytes left (on
 * huge pages, resident only where written); otherwise they grow by
 * doubling. Ids are interned in four string tables; a (user, query) key
 * maps to a query number through an open-addressing table of uint64 keys
 * (while rows are grouped, only the current user's keys).
 *
 * At the end of input the rows are grouped. Fast path: when every query's
 * rows are contiguous and every user's queries are contiguous (simulated
 * output, or any file sorted by user and query), the rows are already
 * grouped in place. Otherwise each row gets its destination (users by first
 * appearance, queries within a user by first appearance, rows of a query in
 * input order) and the flat arrays are permuted in place by following
 * cycles. Then every query is checked (count, ranks, items) and put in
 * canonical order (ranked rows by rank, then unranked rows in input order)
 * in place, with two scratch arrays sized for the largest query. No step
 * allocates per row.
 *
 * Writing. One buffered pass over users, queries, candidates. Numbers are
 * "%.17g" in the C locale; ids are written bare unless they need quoting,
 * in which case they go through csv_fwrite.
 *
 * Numbers. Fields are read by numparse_double (the one number syntax,
 * with its own exact fast path). Writing has an exact integer fast path
 * (128-bit arithmetic, where the compiler has it) for the common range and
 * falls back to snprintf outside it; the text is bit-for-bit the C
 * library's "%.17g" (tests/test_csvio.c checks this on random input).
 *
 * What it does not do: call setlocale (the C locale is assumed), check
 * statistical sanity, or validate a data set before writing it (that is
 * data_check's job; the writer writes what it is given). */
#include "csvio.h"

#include <csv.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "csvrec.h"
#include "err.h"
#include "numparse.h"
#include "fsutil.h"

#define CSVIO_WBUF (1u << 16)       /* writer buffer (bytes, on the stack) */
#define CSVIO_SHOW 40               /* bytes of a bad field quoted in errors */
#define CSVIO_MIN_ROWS 1024u        /* initial row capacity */
#define CSVIO_NONE SIZE_MAX         /* "no such column" */

/* ------------------------------------------------------------------------ */
/* Numbers                                                                  */
/* ------------------------------------------------------------------------ */

#if defined(__SIZEOF_INT128__) && defined(__GNUC__) && \
    FLT_EVAL_METHOD == 0 && DBL_MANT_DIG == 53 && FLT_RADIX == 2
#define CSVIO_FAST_NUM 1
__extension__ typedef unsigned __int128 csvio_u128;
#else
#define CSVIO_FAST_NUM 0
#endif

#if CSVIO_FAST_NUM
static const uint64_t csvio_p10[20] = {
    1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
    10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
    100000000000ULL, 1000000000000ULL, 10000000000000ULL,
    100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
    100000000000000000ULL, 1000000000000000000ULL, 10000000000000000000ULL};

#endif /* CSVIO_FAST_NUM */

/* Decimal digits of v into dst (no NUL); returns the count (1..20). */
static size_t csvio_fmt_u64(char *dst, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++) dst[i] = tmp[n - 1 - i];
    return n;
}

#if CSVIO_FAST_NUM
/* The 17 significant digits of a = M * 2^E (a normal double with
 * 2^e2 <= a < 2^(e2+1)) as an integer q in [10^16, 10^17), rounded half to
 * even, and its decimal exponent X (a ~ q * 10^(X-16)). Returns 0, or -1
 * when a is outside the range this handles (caller falls back). */
static int csvio_digits17(uint64_t M, int E, int e2, uint64_t *q_out,
                          int *X_out)
{
    /* floor(e2 * log10(2)) (78913 / 2^18 ~ log10 2); off by at most one,
     * which the loop below corrects. */
    int X = e2 >= 0 ? (e2 * 78913) >> 18
                    : -((-e2 * 78913 + (1 << 18) - 1) >> 18);
    for (int it = 0; it < 4; it++) {
        int k = 16 - X;               /* 10^16 <= a * 10^k < 10^17 */
        if (k < 0 || k > 22) return -1;
        csvio_u128 N = k <= 19 ? (csvio_u128)M * csvio_p10[k]
                               : (csvio_u128)(M * csvio_p10[k - 19]) *
                                     csvio_p10[19];
        csvio_u128 q, rem = 0, half = 0;
        if (E >= 0) {
            q = N << E;
        } else {
            q = N >> -E;
            rem = N & (((csvio_u128)1 << -E) - 1);
            half = (csvio_u128)1 << (-E - 1);
        }
        if (q >= csvio_p10[17]) { X++; continue; }
        if (q < csvio_p10[16]) { X--; continue; }
        uint64_t q64 = (uint64_t)q;
        if (E < 0 && (rem > half || (rem == half && (q64 & 1)))) q64++;
        if (q64 == csvio_p10[17]) {
            q64 = csvio_p10[16];
            X++;
        }
        *q_out = q64;
        *X_out = X;
        return 0;
    }
    return -1;
}

/* Write -? q (17 digits) * 10^(X-16) into dst as "%.17g" does for
 * -4 <= X < 17 (fixed) or X < -4 (exponent). Returns the length. */
static size_t csvio_fmt_sig(char *dst, int neg, uint64_t q64, int X)
{
    char D[17], *p = dst;
    for (int i = 16; i >= 0; i--) {
        D[i] = (char)('0' + q64 % 10);
        q64 /= 10;
    }
    int nd = 17;
    while (nd > 1 && D[nd - 1] == '0') nd--;
    if (neg) *p++ = '-';
    if (X < -4) {                 /* %e style (X >= 17 not here) */
        *p++ = D[0];
        if (nd > 1) {
            *p++ = '.';
            memcpy(p, D + 1, (size_t)nd - 1);
            p += nd - 1;
        }
        *p++ = 'e';
        *p++ = '-';
        int ax = -X;
        if (ax < 10) *p++ = '0';
        p += csvio_fmt_u64(p, (uint64_t)ax);
    } else if (X >= 0) {          /* ddd[.ddd] */
        memcpy(p, D, (size_t)X + 1);
        p += X + 1;
        if (nd > X + 1) {
            *p++ = '.';
            memcpy(p, D + X + 1, (size_t)(nd - X - 1));
            p += nd - X - 1;
        }
    } else {                      /* 0.000ddd */
        *p++ = '0';
        *p++ = '.';
        for (int i = 0; i < -X - 1; i++) *p++ = '0';
        memcpy(p, D, (size_t)nd);
        p += nd;
    }
    return (size_t)(p - dst);
}
#endif /* CSVIO_FAST_NUM */

/* v formatted exactly as printf("%.17g") in the C locale, into dst (at
 * least 32 bytes; no NUL). Returns the length. Fast path for zero and
 * 1e-5 <= |v| < 1e17: the 17 significant digits are the exact value times
 * 10^k, rounded half to even, computed in 128-bit integers. */
static size_t csvio_fmt_double(char *dst, double v)
{
#if CSVIO_FAST_NUM
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    unsigned be = (unsigned)(bits >> 52) & 0x7ff;
    uint64_t frac = bits & ((1ULL << 52) - 1);
    int neg = (int)(bits >> 63);
    if (be == 0 && frac == 0) {
        char *p = dst;
        if (neg) *p++ = '-';
        *p++ = '0';
        return (size_t)(p - dst);
    }
    double a = fabs(v);
    uint64_t q64;
    int X;
    if (be != 0 && be != 0x7ff && a >= 1e-5 && a < 1e17 &&
        csvio_digits17(frac | (1ULL << 52), (int)be - 1075, (int)be - 1023,
                       &q64, &X) == 0)
        return csvio_fmt_sig(dst, neg, q64, X);
#endif
    int n = snprintf(dst, 32, "%.17g", v);
    return n > 0 ? (size_t)n : 0;
}

/* ------------------------------------------------------------------------ */
/* Reader                                                                   */
/* ------------------------------------------------------------------------ */

enum { COL_USER, COL_QUERY, COL_ITEM, COL_RANK, COL_PROMPT, COL_LOGP,
       COL_TYPE, COL_NAMED };

static const char *const csvio_colname[COL_NAMED] = {
    "user", "query", "item", "rank", "prompt", "logp_ref", "type"};

typedef struct csvio_reader {
    const char *name;   /* for messages */
    int status;         /* first error */
    size_t row_line;    /* line of the current record */
    size_t header_line;
    int have_header;
    csvrec *cr;         /* the file's records */
    uint32_t last_id[COL_NAMED]; /* id of the previous row, or DATA_NONE */
    size_t hint_bytes;  /* bytes left in the file when known, else 0 */
    int presized;       /* row arrays sized from hint_bytes, huge pages */
    const csvrec_record *rec;  /* the current record */

    /* header: column of each role (CSVIO_NONE when absent), features */
    size_t ncols, d;
    size_t col[COL_NAMED];
    size_t *xcol;       /* (d) column of feature k */
    strtab *features;   /* feature names, or NULL for x1..xd */

    /* rows, in input order until grouped */
    size_t n, cap;
    double *x;          /* (cap, d) */
    double *logp;       /* (cap) when the column exists */
    uint32_t *item, *rank;
    size_t *rline;      /* line of each row; NULL while lines are dense */
    size_t line0;       /* while dense: row k is on line line0 + k */
    size_t *qrow;       /* query of each row; NULL while rows are grouped */

    /* queries, by first appearance */
    size_t nq, qcap;
    uint32_t *q_user, *q_name, *q_prompt;
    size_t *q_m;        /* rows so far */
    size_t *q_first;    /* first row (meaningful while grouped) */

    /* users, by first appearance (= index in the users table) */
    size_t ucap;
    uint32_t *u_type;
    size_t *u_nq;       /* queries of the user */

    /* (user << 32 | query name) -> query number; while rows are grouped,
     * only the current user's queries (those from ufirst on) */
    uint64_t *kkey;     /* CSVIO_KEY_EMPTY when free */
    size_t *kval;
    size_t kcap;        /* power of two */
    unsigned kbits;

    strtab *users, *queries, *items, *prompts;

    /* contiguity state for the fast path */
    int grouped;
    uint64_t cur_key;
    size_t cur_g;
    uint32_t cur_user;
    size_t ufirst;      /* first query of the current user */

    /* scratch for the per-query pass */
    size_t *spos, *sdest;
    size_t scap;
} csvio_reader;

#define CSVIO_KEY_EMPTY UINT64_MAX

/* Printable copy of a field for messages: at most CSVIO_SHOW bytes, control
 * bytes as '?', "..." when cut. */
static const char *rd_show(char *buf, size_t n, const char *s, size_t len)
{
    size_t k = 0;
    for (size_t i = 0; i < len && k + 4 < n; i++) {
        if (i == CSVIO_SHOW) {
            memcpy(buf + k, "...", 3);
            k += 3;
            break;
        }
        unsigned char c = (unsigned char)s[i];
        buf[k++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    buf[k] = '\0';
    return buf;
}

/* Record "NAME:LINE: message" (no LINE when line is 0) and return
 * PREF_EINPUT (csvrec_error, through the reader of the file). */
#define rd_error(r, line, ...) csvrec_error((r)->cr, (line), __VA_ARGS__)

static void rd_init(csvio_reader *r, const char *name)
{
    memset(r, 0, sizeof *r);
    r->name = name;
    r->grouped = 1;
    for (int i = 0; i < COL_NAMED; i++) {
        r->col[i] = CSVIO_NONE;
        r->last_id[i] = DATA_NONE;
    }
}

static void rd_free(csvio_reader *r)
{
    free(r->xcol);
    free(r->x);
    free(r->logp);
    free(r->item);
    free(r->rank);
    free(r->rline);
    free(r->qrow);
    free(r->q_user);
    free(r->q_name);
    free(r->q_prompt);
    free(r->q_m);
    free(r->q_first);
    free(r->u_type);
    free(r->u_nq);
    free(r->kkey);
    free(r->kval);
    strtab_free(r->users);
    strtab_free(r->queries);
    strtab_free(r->items);
    strtab_free(r->prompts);
    strtab_free(r->features);
    free(r->spos);
    free(r->sdest);
}

/* realloc *p to n elements of size sz (n > 0). PREF_OK or PREF_ENOMEM; *p
 * is unchanged on failure. */
static int rd_resize(void *pp, size_t n, size_t sz)
{
    void **p = pp;
    if (n > SIZE_MAX / sz) return PREF_ENOMEM;
    void *q = realloc(*p, n * sz);
    if (!q) return PREF_ENOMEM;
    *p = q;
    return PREF_OK;
}

static int rd_nomem(const csvio_reader *r)
{
    PREF_ERROR(PREF_ENOMEM, "%s: out of memory", r->name);
}

/* Field i of the current record and its length. */
static inline const char *rd_f(const csvio_reader *r, size_t i, size_t *len)
{
    return csvrec_field(r->rec, i, len);
}

/* --- header -------------------------------------------------------------- */

/* Feature number of a column named x<k> (k >= 1, no leading zero, at most
 * 9 digits), else 0. */
static size_t rd_xname(const char *s, size_t len)
{
    if (len < 2 || len > 10 || s[0] != 'x' || s[1] == '0') return 0;
    size_t k = 0;
    for (size_t i = 1; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        k = 10 * k + (size_t)(s[i] - '0');
    }
    return k;
}

/* A name that looks like a reserved column without being one: the letters
 * and digits of a reserved name up to case, with blanks, '_', '-' or '.'
 * anywhere, or with a plural 's' ("User", "logp-ref", "ranks"). Such a
 * column is almost surely a misspelling, not a feature. */
static int rd_reserved_like(const char *s, size_t len)
{
    char k[64];
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == ' ' || ch == '\t' || ch == '_' || ch == '-' || ch == '.')
            continue;
        if (n + 1 >= sizeof k) return 0;
        k[n++] = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
    }
    if (n > 1 && k[n - 1] == 's') n--;
    for (int c = 0; c < COL_NAMED; c++) {
        const char *w = csvio_colname[c];
        size_t m = 0;
        for (size_t i = 0; w[i]; i++)
            if (w[i] != '_') m++;
        if (m != n) continue;
        size_t j = 0;
        for (size_t i = 0; w[i]; i++)
            if (w[i] != '_' && w[i] == k[j]) j++;
        if (j == n) return 1;
    }
    return 0;
}

/* A feature name must be printable in outputs as theta[NAME]: not empty,
 * no control character, no '[' or ']', no leading or trailing blank.
 * Returns NULL when it is, else why not. */
static const char *rd_feature_name_problem(const char *s, size_t len)
{
    if (len == 0) return "it is empty";
    if (s[0] == ' ' || s[len - 1] == ' ')
        return "it has a leading or trailing blank";
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7f) return "it has a control character";
        if (ch == '[' || ch == ']') return "it has '[' or ']'";
    }
    return NULL;
}

/* Pass 1 over the header: the reserved columns' roles; every other column
 * is a feature. Sets *nx and *named (some feature is not called x<k>). */
static int rd_header_roles(csvio_reader *r, size_t *nx, int *named)
{
    char show[64];
    for (size_t j = 0; j < r->ncols; j++) {
        size_t len;
        const char *s = rd_f(r, j, &len);
        int role = -1;
        for (int k = 0; k < COL_NAMED; k++)
            if (strlen(csvio_colname[k]) == len &&
                memcmp(csvio_colname[k], s, len) == 0)
                role = k;
        if (role >= 0) {
            if (r->col[role] != CSVIO_NONE)
                return rd_error(r, r->row_line, "column '%s' repeated",
                                csvio_colname[role]);
            r->col[role] = j;
            continue;
        }
        if (rd_reserved_like(s, len))
            return rd_error(r, r->row_line, "column '%s' looks like a "
                            "reserved column but is not one (reserved: "
                            "user, query, item, rank, prompt, logp_ref, "
                            "type; every other column is a feature)",
                            rd_show(show, sizeof show, s, len));
        const char *why = rd_feature_name_problem(s, len);
        if (why)
            return rd_error(r, r->row_line, "column %zu ('%s'): not a "
                            "feature name: %s", j + 1,
                            rd_show(show, sizeof show, s, len), why);
        if (!rd_xname(s, len)) *named = 1;
        (*nx)++;
    }
    for (int k = COL_USER; k <= COL_RANK; k++)
        if (r->col[k] == CSVIO_NONE)
            return rd_error(r, r->row_line, "missing column '%s'",
                            csvio_colname[k]);
    if (*nx == 0)
        return rd_error(r, r->row_line, "missing column 'x1' (no feature "
                        "column: every column other than user, query, item, "
                        "rank, prompt, logp_ref and type is a feature)");
    return PREF_OK;
}

/* Features named x1..xd (in any column order) are numbered by their names. */
static int rd_header_numbered(csvio_reader *r, size_t nx)
{
    /* nx distinct names within 1..nx are exactly x1..xnx; a name above nx
     * leaves a gap that the scan below reports. */
    for (size_t j = 0; j < r->ncols; j++) {
        size_t len;
        const char *s = rd_f(r, j, &len);
        size_t k = rd_xname(s, len);
        if (k == 0 || k > nx) continue;
        if (r->xcol[k - 1] != CSVIO_NONE)
            return rd_error(r, r->row_line, "column 'x%zu' repeated", k);
        r->xcol[k - 1] = j;
    }
    for (size_t k = 0; k < nx; k++)
        if (r->xcol[k] == CSVIO_NONE)
            return rd_error(r, r->row_line, "missing column 'x%zu'", k + 1);
    return PREF_OK;
}

/* Named features are taken in file order, their names kept. */
static int rd_header_named(csvio_reader *r)
{
    char show[64];
    size_t k = 0;
    r->features = strtab_alloc();
    if (!r->features) return rd_nomem(r);
    for (size_t j = 0; j < r->ncols; j++) {
        int reserved = 0;
        for (int c = 0; c < COL_NAMED; c++) reserved |= r->col[c] == j;
        if (reserved) continue;
        size_t len;
        const char *s = rd_f(r, j, &len);
        uint32_t idx;
        if (strtab_intern(r->features, s, len, &idx)) return rd_nomem(r);
        if (idx != k)
            return rd_error(r, r->row_line, "column '%s' repeated",
                            rd_show(show, sizeof show, s, len));
        r->xcol[k++] = j;
    }
    return PREF_OK;
}

static int rd_header(csvio_reader *r)
{
    size_t nx = 0;
    int named = 0;
    r->header_line = r->row_line;
    r->ncols = r->rec->nf;
    PREF_TRY(rd_header_roles(r, &nx, &named));
    r->xcol = malloc(nx * sizeof *r->xcol);
    if (!r->xcol) return rd_nomem(r);
    for (size_t k = 0; k < nx; k++) r->xcol[k] = CSVIO_NONE;
    PREF_TRY(named ? rd_header_named(r) : rd_header_numbered(r, nx));
    r->d = nx;

    r->users = strtab_alloc();
    r->queries = strtab_alloc();
    r->items = strtab_alloc();
    if (r->col[COL_PROMPT] != CSVIO_NONE) r->prompts = strtab_alloc();
    if (!r->users || !r->queries || !r->items ||
        (r->col[COL_PROMPT] != CSVIO_NONE && !r->prompts))
        return rd_nomem(r);
    r->kcap = 1024;
    r->kbits = 10;
    r->kkey = malloc(r->kcap * sizeof *r->kkey);
    r->kval = malloc(r->kcap * sizeof *r->kval);
    if (!r->kkey || !r->kval) return rd_nomem(r);
    for (size_t i = 0; i < r->kcap; i++) r->kkey[i] = CSVIO_KEY_EMPTY;
    r->have_header = 1;
    return PREF_OK;
}

/* --- rows ---------------------------------------------------------------- */

/* First row arrays of a file of known size: room for as many rows as the
 * file can hold (each row has d + 4 non-empty fields and ncols separators
 * or line ends), on huge pages (data_huge_alloc). Only the pages written
 * become resident, there is never a copy to grow, and the features stay
 * on huge pages for the fitters. Returns 1 when done, 0 to grow as usual
 * (no hint, a small file, or the memory refused). */
static int rd_presize(csvio_reader *r)
{
    size_t min_row = r->ncols + r->d + 4 + (r->logp != NULL);
    size_t cap = r->hint_bytes / min_row + 1;
    if (!r->hint_bytes || cap <= CSVIO_MIN_ROWS || cap > SIZE_MAX / 8 / r->d)
        return 0;
    r->x = data_huge_alloc(cap * r->d * sizeof *r->x);
    r->item = data_huge_alloc(cap * sizeof *r->item);
    r->rank = data_huge_alloc(cap * sizeof *r->rank);
    if (r->col[COL_LOGP] != CSVIO_NONE)
        r->logp = data_huge_alloc(cap * sizeof *r->logp);
    if (!r->x || !r->item || !r->rank ||
        (r->col[COL_LOGP] != CSVIO_NONE && !r->logp)) {
        free(r->x);
        free(r->item);
        free(r->rank);
        free(r->logp);
        r->x = r->logp = NULL;
        r->item = r->rank = NULL;
        return 0;
    }
    r->cap = cap;
    r->presized = 1;
    return 1;
}

static int rd_grow_rows(csvio_reader *r)
{
    if (r->cap == 0 && rd_presize(r)) return PREF_OK;
    size_t cap = r->cap ? 2 * r->cap : CSVIO_MIN_ROWS;
    if (cap < r->cap || cap > SIZE_MAX / r->d) return rd_nomem(r);
    if (rd_resize(&r->x, cap * r->d, sizeof *r->x) ||
        (r->col[COL_LOGP] != CSVIO_NONE &&
         rd_resize(&r->logp, cap, sizeof *r->logp)) ||
        rd_resize(&r->item, cap, sizeof *r->item) ||
        rd_resize(&r->rank, cap, sizeof *r->rank) ||
        (r->rline && rd_resize(&r->rline, cap, sizeof *r->rline)) ||
        (r->qrow && rd_resize(&r->qrow, cap, sizeof *r->qrow)))
        return rd_nomem(r);
    r->cap = cap;
    return PREF_OK;
}

static int rd_grow_queries(csvio_reader *r)
{
    size_t cap = r->qcap ? 2 * r->qcap : 256;
    if (rd_resize(&r->q_user, cap, sizeof *r->q_user) ||
        rd_resize(&r->q_name, cap, sizeof *r->q_name) ||
        (r->prompts && rd_resize(&r->q_prompt, cap, sizeof *r->q_prompt)) ||
        rd_resize(&r->q_m, cap, sizeof *r->q_m) ||
        rd_resize(&r->q_first, cap, sizeof *r->q_first))
        return rd_nomem(r);
    r->qcap = cap;
    return PREF_OK;
}

static int rd_grow_users(csvio_reader *r)
{
    size_t cap = r->ucap ? 2 * r->ucap : 256;
    if ((r->col[COL_TYPE] != CSVIO_NONE &&
         rd_resize(&r->u_type, cap, sizeof *r->u_type)) ||
        rd_resize(&r->u_nq, cap, sizeof *r->u_nq))
        return rd_nomem(r);
    r->ucap = cap;
    return PREF_OK;
}

static size_t rd_kslot(const csvio_reader *r, uint64_t key)
{
    /* Fibonacci hashing: the top kbits of key * 2^64 / phi. */
    size_t mask = r->kcap - 1;
    size_t i = (size_t)((key * 0x9E3779B97F4A7C15ULL) >> (64 - r->kbits));
    while (r->kkey[i] != CSVIO_KEY_EMPTY && r->kkey[i] != key)
        i = (i + 1) & mask;
    return i;
}

/* Rebuild the key table at capacity cap (a power of two) from queries
 * [from, nq), inserted in order. */
static int rd_rekey(csvio_reader *r, size_t from, size_t cap)
{
    if (cap != r->kcap) {
        uint64_t *k = cap <= SIZE_MAX / sizeof *r->kval
                          ? malloc(cap * sizeof *k) : NULL;
        size_t *v = k ? malloc(cap * sizeof *v) : NULL;
        if (!v) {
            free(k);
            return rd_nomem(r);
        }
        free(r->kkey);
        free(r->kval);
        r->kkey = k;
        r->kval = v;
        r->kcap = cap;
        for (r->kbits = 0; ((size_t)1 << r->kbits) < cap; r->kbits++) {}
    }
    for (size_t i = 0; i < r->kcap; i++) r->kkey[i] = CSVIO_KEY_EMPTY;
    for (size_t g = from; g < r->nq; g++) {
        uint64_t key = (uint64_t)r->q_user[g] << 32 | r->q_name[g];
        size_t sl = rd_kslot(r, key);
        r->kkey[sl] = key;
        r->kval[sl] = g;
    }
    return PREF_OK;
}

/* Grouped rows, a new user: the key table forgets the previous user's
 * queries (their keys cannot come back while rows stay grouped: an
 * earlier user's row ends the grouping, and rd_ungroup puts every key
 * back). Removing in reverse insertion order keeps linear probing right. */
static void rd_next_user(csvio_reader *r)
{
    size_t k = r->nq - r->ufirst;
    if (4 * k >= r->kcap)
        for (size_t i = 0; i < r->kcap; i++) r->kkey[i] = CSVIO_KEY_EMPTY;
    else
        for (size_t g = r->nq; g-- > r->ufirst;)
            r->kkey[rd_kslot(r, (uint64_t)r->q_user[g] << 32 |
                                    r->q_name[g])] = CSVIO_KEY_EMPTY;
    r->ufirst = r->nq;
}

/* Give every row so far its own line number (lines stop being dense). */
static int rd_lines(csvio_reader *r)
{
    if (rd_resize(&r->rline, r->cap, sizeof *r->rline)) return rd_nomem(r);
    for (size_t k = 0; k < r->n; k++) r->rline[k] = r->line0 + k;
    return PREF_OK;
}

/* Line of row k. */
static inline size_t rd_line(const csvio_reader *r, size_t k)
{
    return r->rline ? r->rline[k] : r->line0 + k;
}

/* Rows stop being grouped: give every row so far its query number and
 * line, and put every query's key in the table. While grouped, query g
 * owns rows [q_first[g], q_first[g] + q_m[g]). */
static int rd_ungroup(csvio_reader *r)
{
    if (rd_resize(&r->qrow, r->cap, sizeof *r->qrow)) return rd_nomem(r);
    if (!r->rline) PREF_TRY(rd_lines(r));
    for (size_t g = 0; g < r->nq; g++)
        for (size_t k = 0; k < r->q_m[g]; k++) r->qrow[r->q_first[g] + k] = g;
    r->grouped = 0;
    size_t cap = r->kcap;
    while ((r->nq + 1) * 2 > cap) {
        if (cap > SIZE_MAX / 4) return rd_nomem(r);
        cap *= 2;
    }
    return rd_rekey(r, 0, cap);
}

/* Intern id field col into t. Ids may not be empty or contain NUL. */
static int rd_id(csvio_reader *r, int role, strtab *t, uint32_t *idx)
{
    size_t len;
    const char *s = rd_f(r, r->col[role], &len);
    if (len == 0)
        return rd_error(r, r->row_line, "column '%s': empty id",
                        csvio_colname[role]);
    if (memchr(s, '\0', len))
        return rd_error(r, r->row_line, "column '%s': id contains a NUL "
                        "byte", csvio_colname[role]);
    /* Rows repeat the previous row's user and query: compare before
     * hashing (the table's strings are NUL-terminated; ids have no NUL). */
    uint32_t last = r->last_id[role];
    if (last != DATA_NONE) {
        const char *p = strtab_get(t, last);
        if (strncmp(p, s, len) == 0 && p[len] == '\0') {
            *idx = last;
            return PREF_OK;
        }
    }
    if (strtab_intern(t, s, len, idx)) return rd_nomem(r);
    r->last_id[role] = *idx;
    return PREF_OK;
}

static int rd_number(csvio_reader *r, size_t col, const char *colname,
                     double *out)
{
    char show[64];
    size_t len;
    const char *s = rd_f(r, col, &len);
    int rc = numparse_double(s, len, out);
    if (rc == 0) return PREF_OK;
    return rd_error(r, r->row_line, "column '%s': %s: '%s'", colname,
                    rc == -2 ? "not a finite number" : "not a number",
                    rd_show(show, sizeof show, s, len));
}

/* Parse a decimal integer field (optional sign, digits only). Returns 0 and
 * *v, or -1 when it is not an integer. */
static int rd_integer(const char *s, size_t len, long long *v)
{
    if (len == 0 || !((s[0] >= '0' && s[0] <= '9') || s[0] == '-' ||
                      s[0] == '+'))
        return -1;
    char *e;
    errno = 0;
    long long w = strtoll(s, &e, 10);
    if (e != s + len || e == s) return -1;
    if (errno == ERANGE) w = w < 0 ? -1 : LLONG_MAX;
    *v = w;
    return 0;
}

/* The query of the current row: interns user and query ids and finds or
 * creates the (user, query) entry; ends the grouped fast path when rows
 * stop being contiguous. */
static int rd_row_query(csvio_reader *r, uint32_t *u_out, size_t *g_out,
                        int *new_user, int *new_query)
{
    size_t nu = strtab_size(r->users);
    uint32_t u, qn;
    PREF_TRY(rd_id(r, COL_USER, r->users, &u));
    *new_user = u == nu;
    *new_query = 0;
    if (*new_user && nu == r->ucap) PREF_TRY(rd_grow_users(r));
    PREF_TRY(rd_id(r, COL_QUERY, r->queries, &qn));
    uint64_t key = (uint64_t)u << 32 | qn;
    *u_out = u;
    if (r->nq > 0 && key == r->cur_key) {
        *g_out = r->cur_g;
        return PREF_OK;
    }
    if (r->grouped && r->nq > 0 && u != r->cur_user) {
        if (*new_user) rd_next_user(r);
        else PREF_TRY(rd_ungroup(r));
    }
    size_t g, from = r->grouped ? r->ufirst : 0;
    if ((r->nq - from + 1) * 2 > r->kcap) {
        if (r->kcap > SIZE_MAX / 4) return rd_nomem(r);
        PREF_TRY(rd_rekey(r, from, 2 * r->kcap));
    }
    size_t sl = rd_kslot(r, key);
    if (r->kkey[sl] == CSVIO_KEY_EMPTY) {
        if (r->nq == r->qcap) PREF_TRY(rd_grow_queries(r));
        g = r->nq++;
        r->kkey[sl] = key;
        r->kval[sl] = g;
        r->q_user[g] = u;
        r->q_name[g] = qn;
        r->q_m[g] = 0;
        r->q_first[g] = r->n;
        if (*new_user) r->u_nq[u] = 0;
        r->u_nq[u]++;
        *new_query = 1;
    } else {
        g = r->kval[sl];
        if (r->grouped) PREF_TRY(rd_ungroup(r));
    }
    r->cur_key = key;
    r->cur_g = g;
    r->cur_user = u;
    *g_out = g;
    return PREF_OK;
}

/* The rank field: a non-negative integer below UINT32_MAX. */
static int rd_rank(csvio_reader *r, uint32_t *rank)
{
    char show[64];
    size_t len;
    long long v;
    const char *s = rd_f(r, r->col[COL_RANK], &len);
    if (rd_integer(s, len, &v) != 0)
        return rd_error(r, r->row_line, "column 'rank': not an integer: '%s'",
                        rd_show(show, sizeof show, s, len));
    if (v < 0)
        return rd_error(r, r->row_line, "column 'rank': negative rank: '%s'",
                        rd_show(show, sizeof show, s, len));
    if (v >= (long long)UINT32_MAX)
        return rd_error(r, r->row_line, "column 'rank': rank too large: "
                        "'%s'", rd_show(show, sizeof show, s, len));
    *rank = (uint32_t)v;
    return PREF_OK;
}

/* Features x1..xd into xk, then logp_ref (when the column exists). */
static int rd_features(csvio_reader *r, double *xk, size_t k)
{
    for (size_t j = 0; j < r->d; j++) {
        char nm[24];
        size_t col = r->xcol[j], flen;
        const char *fs = rd_f(r, col, &flen);
        if (numparse_double(fs, flen, xk + j) == 0) continue;
        const char *name = r->features
            ? strtab_get(r->features, (uint32_t)j)
            : (snprintf(nm, sizeof nm, "x%zu", j + 1), nm);
        return rd_number(r, col, name, xk + j);
    }
    if (r->logp)
        PREF_TRY(rd_number(r, r->col[COL_LOGP], "logp_ref", r->logp + k));
    return PREF_OK;
}

/* prompt: constant within query g; empty means none. */
static int rd_prompt(csvio_reader *r, size_t g, uint32_t u, int new_query)
{
    char show[64], show2[64], show3[64], show4[64];
    size_t len;
    uint32_t pr = DATA_NONE;
    const char *s = rd_f(r, r->col[COL_PROMPT], &len);
    if (len > 0) PREF_TRY(rd_id(r, COL_PROMPT, r->prompts, &pr));
    if (new_query) {
        r->q_prompt[g] = pr;
        return PREF_OK;
    }
    if (r->q_prompt[g] == pr) return PREF_OK;
    uint32_t p0 = r->q_prompt[g];
    const char *s0 = p0 == DATA_NONE ? "" : strtab_get(r->prompts, p0);
    const char *qs = strtab_get(r->queries, r->q_name[g]);
    const char *us = strtab_get(r->users, u);
    return rd_error(r, r->row_line,
                    "query '%s' of user '%s': column 'prompt': '%s' differs "
                    "from the query's earlier prompt '%s'",
                    rd_show(show, sizeof show, qs, strlen(qs)),
                    rd_show(show2, sizeof show2, us, strlen(us)),
                    rd_show(show3, sizeof show3, s, len),
                    rd_show(show4, sizeof show4, s0, strlen(s0)));
}

/* type: a positive integer (stored 0-based), constant within user u;
 * empty means unknown. */
static int rd_type(csvio_reader *r, uint32_t u, int new_user)
{
    char show[64], show2[64];
    size_t len;
    long long v;
    uint32_t ty = DATA_NONE;
    const char *s = rd_f(r, r->col[COL_TYPE], &len);
    if (len > 0) {
        if (rd_integer(s, len, &v) != 0 || v < 1)
            return rd_error(r, r->row_line, "column 'type': not a positive "
                            "integer: '%s'", rd_show(show, sizeof show, s, len));
        if (v >= (long long)UINT32_MAX)
            return rd_error(r, r->row_line, "column 'type': type too large: "
                            "'%s'", rd_show(show, sizeof show, s, len));
        ty = (uint32_t)(v - 1);
    }
    if (new_user) {
        r->u_type[u] = ty;
        return PREF_OK;
    }
    if (r->u_type[u] == ty) return PREF_OK;
    char t0[24] = "";
    if (r->u_type[u] != DATA_NONE)
        snprintf(t0, sizeof t0, "%llu", (unsigned long long)r->u_type[u] + 1);
    const char *us = strtab_get(r->users, u);
    return rd_error(r, r->row_line, "user '%s': column 'type': '%s' differs "
                    "from the user's earlier type '%s'",
                    rd_show(show, sizeof show, us, strlen(us)),
                    rd_show(show2, sizeof show2, s, len), t0);
}

static int rd_row(csvio_reader *r)
{
    if (r->rec->nf != r->ncols)
        return rd_error(r, r->row_line, "expected %zu fields (as in the "
                        "header), found %zu", r->ncols, r->rec->nf);
    if (r->n == r->cap) PREF_TRY(rd_grow_rows(r));
    size_t k = r->n, g = 0;
    if (k == 0) r->line0 = r->row_line;
    uint32_t u, it, rank = 0;
    int new_user, new_query;
    PREF_TRY(rd_row_query(r, &u, &g, &new_user, &new_query));
    PREF_TRY(rd_id(r, COL_ITEM, r->items, &it));
    PREF_TRY(rd_rank(r, &rank));
    PREF_TRY(rd_features(r, r->x + k * r->d, k));
    if (r->prompts) PREF_TRY(rd_prompt(r, g, u, new_query));
    if (r->u_type) PREF_TRY(rd_type(r, u, new_user));
    r->item[k] = it;
    r->rank[k] = rank;
    if (!r->rline && r->row_line != r->line0 + k) PREF_TRY(rd_lines(r));
    if (r->rline) r->rline[k] = r->row_line;
    if (r->qrow) r->qrow[k] = g;
    r->q_m[g]++;
    r->n++;
    return PREF_OK;
}

/* --- grouping and per-query checks ---------------------------------------- */

static void rd_swap_rows(csvio_reader *r, size_t a, size_t b)
{
    double *xa = r->x + a * r->d, *xb = r->x + b * r->d;
    for (size_t j = 0; j < r->d; j++) {
        double t = xa[j];
        xa[j] = xb[j];
        xb[j] = t;
    }
    if (r->logp) {
        double t = r->logp[a];
        r->logp[a] = r->logp[b];
        r->logp[b] = t;
    }
    uint32_t t32 = r->item[a];
    r->item[a] = r->item[b];
    r->item[b] = t32;
    t32 = r->rank[a];
    r->rank[a] = r->rank[b];
    r->rank[b] = t32;
    if (r->rline) {
        size_t tl = r->rline[a];
        r->rline[a] = r->rline[b];
        r->rline[b] = tl;
    }
}

/* Move row base + k to base + dest[k] for k < n, in place, by following
 * cycles (each swap puts one row in its final place). dest must be a
 * permutation of 0..n-1; it is left as the identity. */
static void rd_permute(csvio_reader *r, size_t base, size_t *dest, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        while (dest[k] != k) {
            size_t j = dest[k];
            rd_swap_rows(r, base + k, base + j);
            dest[k] = dest[j];
            dest[j] = j;
        }
    }
}

/* Check query q (rows [b, b + m), input order) and sort it canonically.
 * stamp[item] is 1 + the last row where item was seen. */
static int rd_query(csvio_reader *r, data_set *ds, size_t q, uint32_t user,
                    size_t *stamp)
{
    char su[64], sq[64], si[64];
    size_t b = ds->q_cand[q], m = ds->q_cand[q + 1] - b;
    const char *un = strtab_get(r->users, user);
    const char *qn = strtab_get(r->queries, ds->q_name[q]);
#define RD_QUERY_ERROR(line, ...)                                            \
    do {                                                                     \
        char what_[512];                                                     \
        snprintf(what_, sizeof what_, __VA_ARGS__);                          \
        return rd_error(r, (line), "query '%s' of user '%s': %s",            \
                        rd_show(sq, sizeof sq, qn, strlen(qn)),              \
                        rd_show(su, sizeof su, un, strlen(un)), what_);      \
    } while (0)

    if (m < 2)
        RD_QUERY_ERROR(rd_line(r, b), "only one candidate (a query needs at "
                       "least 2)");
    if (m > r->scap) {
        size_t cap = r->scap ? r->scap : 64;
        while (cap < m) cap *= 2;
        if (rd_resize(&r->spos, cap, sizeof *r->spos) ||
            rd_resize(&r->sdest, cap, sizeof *r->sdest))
            return rd_nomem(r);
        r->scap = cap;
    }
    size_t *pos = r->spos, *dest = r->sdest;
    for (size_t j = 0; j < m; j++) pos[j] = CSVIO_NONE;
    size_t nr = 0, rmax = 0;
    for (size_t j = 0; j < m; j++) {
        size_t rk = r->rank[b + j];
        if (rk == 0) continue;
        if (rk > m)
            RD_QUERY_ERROR(rd_line(r, b), "rank %zu above the number of "
                           "candidates (%zu)", rk, m);
        if (pos[rk - 1] != CSVIO_NONE)
            RD_QUERY_ERROR(rd_line(r, b + j), "rank %zu repeated", rk);
        pos[rk - 1] = j;
        nr++;
        if (rk > rmax) rmax = rk;
    }
    if (nr == 0 || pos[0] == CSVIO_NONE)
        RD_QUERY_ERROR(rd_line(r, b), "no rank 1 (every query needs a best "
                       "candidate)");
    if (rmax > nr)
        for (size_t j = 0; j < rmax; j++)
            if (pos[j] == CSVIO_NONE)
                RD_QUERY_ERROR(rd_line(r, b), "ranks not consecutive: rank %zu "
                               "missing", j + 1);
    for (size_t j = 0; j < m; j++) {
        uint32_t it = r->item[b + j];
        if (stamp[it] > b) {
            const char *s = strtab_get(r->items, it);
            RD_QUERY_ERROR(rd_line(r, b + j), "column 'item': '%s' repeated "
                           "(also on line %zu)",
                           rd_show(si, sizeof si, s, strlen(s)),
                           rd_line(r, stamp[it] - 1));
        }
        stamp[it] = b + j + 1;
    }
#undef RD_QUERY_ERROR

    /* Canonical order: rank k to slot k - 1, unranked after, in order. */
    size_t next = nr;
    int moved = 0;
    for (size_t j = 0; j < m; j++) {
        size_t rk = r->rank[b + j];
        dest[j] = rk ? rk - 1 : next++;
        moved |= dest[j] != j;
    }
    if (moved) rd_permute(r, b, dest, m);
    ds->q_r[q] = (uint32_t)(nr == m ? m - 1 : nr);
    return PREF_OK;
}

/* Rows not grouped: give each query its final position (users in order,
 * a user's queries by first appearance) and move every row to its place.
 * u_nq is reused as each user's next free query slot, q_first as each
 * query's final position and then its row cursor. */
static void rd_regroup(csvio_reader *r, data_set *ds)
{
    size_t nu = ds->n_users, nq = r->nq, n = r->n;
    for (size_t i = 0; i < nu; i++) r->u_nq[i] = ds->user_q[i];
    for (size_t g = 0; g < nq; g++) {
        size_t pq = r->u_nq[r->q_user[g]]++;
        r->q_first[g] = pq;  /* temporarily: final position */
        ds->q_cand[pq + 1] = r->q_m[g];
        ds->q_name[pq] = r->q_name[g];
        if (ds->q_prompt) ds->q_prompt[pq] = r->q_prompt[g];
    }
    for (size_t q = 0; q < nq; q++) ds->q_cand[q + 1] += ds->q_cand[q];
    for (size_t g = 0; g < nq; g++)
        r->q_first[g] = ds->q_cand[r->q_first[g]];
    for (size_t k = 0; k < n; k++) r->qrow[k] = r->q_first[r->qrow[k]]++;
    rd_permute(r, 0, r->qrow, n);
}

/* Check and sort every query of ds (rows grouped). */
static int rd_queries(csvio_reader *r, data_set *ds)
{
    size_t *stamp = calloc(strtab_size(r->items), sizeof *stamp);
    if (!stamp) return rd_nomem(r);
    int rc = PREF_OK;
    for (size_t i = 0; i < ds->n_users && !rc; i++)
        for (size_t q = ds->user_q[i]; q < ds->user_q[i + 1] && !rc; q++)
            rc = rd_query(r, ds, q, (uint32_t)i, stamp);
    free(stamp);
    return rc;
}

/* Hand the candidate arrays (trimmed) and the string tables to ds. */
static void rd_handover(csvio_reader *r, data_set *ds)
{
    size_t n = r->n;
    double *x = realloc(r->x, n * r->d * sizeof *x);
    if (x) r->x = x;
    uint32_t *it = realloc(r->item, n * sizeof *it);
    if (it) r->item = it;
    free(ds->x);
    free(ds->c_item);
    ds->x = r->x;
    ds->c_item = r->item;
    if (!r->presized) data_huge_collapse(ds->x, n * r->d * sizeof *ds->x);
    r->x = NULL;
    r->item = NULL;
    if (r->logp) {
        double *lp = realloc(r->logp, n * sizeof *lp);
        if (lp) r->logp = lp;
        free(ds->logp_ref);
        ds->logp_ref = r->logp;
        r->logp = NULL;
    }
    ds->n_cands = n;
    ds->users = r->users;
    ds->queries = r->queries;
    ds->items = r->items;
    ds->prompts = r->prompts;
    ds->features = r->features;
    r->users = r->queries = r->items = r->prompts = r->features = NULL;
}

/* Rows grouped: the queries are in final order already and the rows of
 * each contiguous, so the reader's arrays become the data set's (q_first,
 * with n appended, is q_cand) instead of being copied, and what only the
 * reading needed is freed before the queries are checked. */
static int rd_take_queries(csvio_reader *r, data_set *ds)
{
    size_t nq = r->nq;
    if (rd_resize(&r->q_first, nq + 1, sizeof *r->q_first))
        return rd_nomem(r);
    r->q_first[nq] = r->n;
    free(ds->q_cand);
    free(ds->q_name);
    ds->q_cand = r->q_first;
    ds->q_name = r->q_name;
    r->q_first = NULL;
    r->q_name = NULL;
    if (ds->q_prompt) {
        free(ds->q_prompt);
        ds->q_prompt = r->q_prompt;
        r->q_prompt = NULL;
    }
    free(r->q_m);
    free(r->q_user);
    free(r->kkey);
    free(r->kval);
    r->q_m = r->q_first = NULL;
    r->q_user = NULL;
    r->kkey = NULL;
    r->kval = NULL;
    return PREF_OK;
}

/* All rows read: group them, check each query, hand the arrays to *out. */
static int rd_finish(csvio_reader *r, data_set **out)
{
    if (!r->have_header)
        return rd_error(r, 1, "empty file (expected a header: user,query,item,"
                        "rank,x1..xd)");
    if (r->n == 0)
        return rd_error(r, r->header_line, "no data rows after the header");
    size_t nu = strtab_size(r->users), nq = r->nq;
    unsigned flags = (r->col[COL_TYPE] != CSVIO_NONE ? DATA_HAS_TYPE : 0) |
                     (r->col[COL_PROMPT] != CSVIO_NONE ? DATA_HAS_PROMPT : 0) |
                     (r->col[COL_LOGP] != CSVIO_NONE ? DATA_HAS_LOGP : 0);
    data_set *ds = data_alloc(nu, nq, 0, r->d, flags);
    if (!ds) return rd_nomem(r);

    /* users: offsets by query count; names are their own indices */
    for (size_t i = 0; i < nu; i++) {
        ds->user_q[i + 1] = ds->user_q[i] + r->u_nq[i];
        ds->user_name[i] = (uint32_t)i;
        if (ds->user_type) ds->user_type[i] = r->u_type[i];
    }
    int rc = PREF_OK;
    if (r->grouped) rc = rd_take_queries(r, ds);
    else rd_regroup(r, ds);
    if (!rc) rc = rd_queries(r, ds);
    if (rc) {
        data_free(ds);
        return rc;
    }
    rd_handover(r, ds);
    *out = ds;
    return PREF_OK;
}

/* Bytes from f's position to the end when f is a regular file, else 0. */
static size_t rd_file_left(FILE *f)
{
    struct stat st;
    int fd = fileno(f);
    off_t pos = fd >= 0 ? ftello(f) : -1;
    if (pos < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        st.st_size <= pos)
        return 0;
    uintmax_t left = (uintmax_t)(st.st_size - pos);
    return left < SIZE_MAX ? (size_t)left : SIZE_MAX;
}

int csvio_read_stream(FILE *f, const char *name, size_t chunk, data_set **out)
{
    *out = NULL;
    int rc;
    csvrec *cr = csvrec_alloc(f, name, chunk, ',', &rc);
    if (!cr) return rc;
    csvio_reader r;
    rd_init(&r, name);
    r.cr = cr;
    r.hint_bytes = rd_file_left(f);
    while (!r.status) {
        r.status = csvrec_next(cr, &r.rec);
        if (r.status || !r.rec) break;
        r.row_line = r.rec->line;
        r.status = r.have_header ? rd_row(&r) : rd_header(&r);
    }
    if (!r.status) r.status = rd_finish(&r, out);
    csvrec_free(cr);
    rd_free(&r);
    return r.status;
}

int csvio_read(const char *path, data_set **out)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        PREF_ERROR(PREF_EIO, "%s: cannot open: %s", path, strerror(e));
    }
    int rc = csvio_read_stream(f, path, 0, out);
    fclose(f);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Writer                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct csvio_writer {
    FILE *f;
    char *buf;
    size_t n;
    int err;            /* errno of the first failed write, or -1 */
} csvio_writer;

static void wr_flush(csvio_writer *w)
{
    if (w->n && !w->err && fwrite(w->buf, 1, w->n, w->f) != w->n)
        w->err = errno ? errno : -1;
    w->n = 0;
}

/* Room for k more bytes (k <= CSVIO_WBUF). */
static inline char *wr_room(csvio_writer *w, size_t k)
{
    if (CSVIO_WBUF - w->n < k) wr_flush(w);
    return w->buf + w->n;
}

static void wr_bytes(csvio_writer *w, const char *s, size_t len)
{
    if (len > CSVIO_WBUF / 2) {
        wr_flush(w);
        if (!w->err && fwrite(s, 1, len, w->f) != len)
            w->err = errno ? errno : -1;
        return;
    }
    memcpy(wr_room(w, len), s, len);
    w->n += len;
}

static inline void wr_char(csvio_writer *w, char c)
{
    *wr_room(w, 1) = c;
    w->n++;
}

static inline void wr_u64(csvio_writer *w, uint64_t v)
{
    w->n += csvio_fmt_u64(wr_room(w, 20), v);
}

static inline void wr_double(csvio_writer *w, double v)
{
    w->n += csvio_fmt_double(wr_room(w, 32), v);
}

/* A string field: bare when libcsv reads it back unchanged, else quoted by
 * csv_fwrite (comma, quote, CR, LF, or leading/trailing space or tab). */
static void wr_string(csvio_writer *w, const char *s)
{
    size_t len = strlen(s);
    int quote = len > 0 && (s[0] == ' ' || s[0] == '\t' ||
                            s[len - 1] == ' ' || s[len - 1] == '\t');
    for (size_t i = 0; i < len && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (!quote) {
        wr_bytes(w, s, len);
        return;
    }
    wr_flush(w);
    if (!w->err && csv_fwrite(w->f, s, len) != 0) w->err = errno ? errno : -1;
}

/* The label of id idx in t (see data_label), without formatting through
 * stdio when there is no table. */
static void wr_label(csvio_writer *w, const strtab *t, uint32_t idx)
{
    if (t && idx < strtab_size(t))
        wr_string(w, strtab_get(t, idx));
    else
        wr_u64(w, (uint64_t)idx + 1);
}

int csvio_write_stream(FILE *f, const data_set *ds)
{
    char buf[CSVIO_WBUF];
    csvio_writer w = {f, buf, 0, 0};
    size_t d = ds->d;

    wr_bytes(&w, "user,query,item,rank", 20);
    for (size_t j = 0; j < d; j++) {
        if (ds->features) {
            wr_char(&w, ',');
            wr_string(&w, strtab_get(ds->features, (uint32_t)j));
        } else {
            wr_bytes(&w, ",x", 2);
            wr_u64(&w, j + 1);
        }
    }
    if (ds->q_prompt) wr_bytes(&w, ",prompt", 7);
    if (ds->logp_ref) wr_bytes(&w, ",logp_ref", 9);
    if (ds->user_type) wr_bytes(&w, ",type", 5);
    wr_char(&w, '\n');

    for (size_t i = 0; i < ds->n_users && !w.err; i++) {
        for (size_t q = ds->user_q[i]; q < ds->user_q[i + 1]; q++) {
            size_t b = ds->q_cand[q], e = ds->q_cand[q + 1];
            for (size_t c = b; c < e; c++) {
                wr_label(&w, ds->users, ds->user_name[i]);
                wr_char(&w, ',');
                wr_label(&w, ds->queries, ds->q_name[q]);
                wr_char(&w, ',');
                wr_label(&w, ds->items, ds->c_item[c]);
                wr_char(&w, ',');
                wr_u64(&w, c - b < ds->q_r[q] ? c - b + 1 : 0);
                const double *xc = ds->x + c * d;
                for (size_t j = 0; j < d; j++) {
                    wr_char(&w, ',');
                    wr_double(&w, xc[j]);
                }
                if (ds->q_prompt) {
                    wr_char(&w, ',');
                    if (ds->q_prompt[q] != DATA_NONE)
                        wr_label(&w, ds->prompts, ds->q_prompt[q]);
                }
                if (ds->logp_ref) {
                    wr_char(&w, ',');
                    wr_double(&w, ds->logp_ref[c]);
                }
                if (ds->user_type) {
                    wr_char(&w, ',');
                    if (ds->user_type[i] != DATA_NONE)
                        wr_u64(&w, (uint64_t)ds->user_type[i] + 1);
                }
                wr_char(&w, '\n');
            }
        }
    }
    wr_flush(&w);
    if (w.err || ferror(f))
        PREF_ERROR(PREF_EIO, "csv write failed: %s",
                   w.err > 0 ? strerror(w.err) : "stream error");
    return PREF_OK;
}

int csvio_write(const char *path, const data_set *ds)
{
    fsutil_file o;
    PREF_TRY(fsutil_open(&o, path));
    int rc = csvio_write_stream(o.f, ds);
    if (rc != PREF_OK) {
        fsutil_abort(&o);
        if (rc == PREF_EIO) {
            char msg[512];
            snprintf(msg, sizeof msg, "%s", pref_last_error());
            PREF_ERROR(PREF_EIO, "%s: %s", path, msg);
        }
        return rc;
    }
    return fsutil_commit(&o);
}

void csvio_put_num(FILE *f, double v)
{
    if (isnan(v)) fputs("NaN", f);
    else if (isinf(v)) fputs(v > 0 ? "Inf" : "-Inf", f);
    else fprintf(f, "%.17g", v);
}

void csvio_put_text(FILE *f, const char *s)
{
    size_t n = strlen(s);
    if (strpbrk(s, ",\"\r\n") || (n && (s[0] == ' ' || s[0] == '\t' ||
                                        s[n - 1] == ' ' || s[n - 1] == '\t')))
        csv_fwrite(f, s, n);
    else
        fputs(s, f);
}

void csvio_put_nums(FILE *f, const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        fputc(',', f);
        csvio_put_num(f, v[i]);
    }
}
