/* test_csvio.c — tests of the CSV reader/writer (src/csvio.h) and of the
 * data set helpers it builds on (src/data.h).
 *
 * Checks:
 *  - a hand-written file (tests/data/csv/small.csv; expected arrays worked
 *    out by hand in the comments below) is read into exactly the expected
 *    offsets, r, canonical candidate order, features, ids, prompts,
 *    logp_ref and types — both with contiguous rows (fast path) and with the
 *    same rows scattered (small_scattered.csv, with a blank line and quoted
 *    fields), and with rows interleaved across users;
 *  - any row order gives the same data set (random shuffles, compared by
 *    names, since first appearance fixes the indices);
 *  - a full ranking 1..m reads the same as 1..m-1 plus 0;
 *  - write -> read -> write is byte-identical (synthetic data with every
 *    optional column, awkward ids that need quoting, signed zeros and
 *    extreme magnitudes), and reading through every chunk size 1..64 and a
 *    few large ones gives the same bytes again;
 *  - numbers are written exactly as printf("%.17g") and read exactly as
 *    strtod, on random doubles of every magnitude and random decimal text;
 *  - every bad-input class of csvio.h gives PREF_EINPUT, no data set, and
 *    a message "prefs.csv:LINE: ..." with the right line (LF, CRLF or CR
 *    line ends; a record's line is where it starts), naming the column
 *    or field, identical for chunk sizes 1, 7 and the default;
 *  - I/O errors (missing file, unwritable path) give PREF_EIO and leave no
 *    file behind; data_alloc/data_check/data_label behave as documented.
 * Randomness comes from gsl_rng (mt19937) with fixed seeds. Temporary files
 * go under a mkdtemp directory in $TMPDIR (or /tmp), removed at the end. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_rng.h>
#include <gsl/gsl_test.h>

#include "csvio.h"
#include "data.h"
#include "err.h"
#include "strtab.h"

static char tmpdir[4096];
static const char *testdata;

/* --- helpers --------------------------------------------------------------- */

/* Read CSV text through csvio_read_stream, named "prefs.csv". */
static int read_text(const char *text, size_t chunk, data_set **out)
{
    size_t len = strlen(text);
    FILE *f = len ? fmemopen((void *)text, len, "r") : fopen("/dev/null", "r");
    if (!f) {
        *out = NULL;
        return PREF_EIO;
    }
    int rc = csvio_read_stream(f, "prefs.csv", chunk, out);
    fclose(f);
    return rc;
}

/* Write ds into a malloc'd NUL-terminated string (NULL on failure). */
static char *write_text(const data_set *ds, size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f) return NULL;
    int rc = csvio_write_stream(f, ds);
    fclose(f);
    if (rc != PREF_OK) {
        free(buf);
        return NULL;
    }
    if (len) *len = n;
    return buf;
}

static void path_in(char *buf, size_t n, const char *dir, const char *name)
{
    if ((size_t)snprintf(buf, n, "%.2048s/%.1024s", dir, name) >= n) abort();
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    size_t k;
    while (buf && (k = fread(buf + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) {
            char *b2 = realloc(buf, 2 * cap + 1);
            if (!b2) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = b2;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf) buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

static const char *lab(const strtab *t, uint32_t idx, char *buf)
{
    return data_label(t, idx, buf, 24);
}

/* Expected contents of a data set, by names (indices depend on the order
 * of first appearance, names do not). */
typedef struct expect {
    size_t n_users, n_queries, n_cands, d;
    const char *users[4];
    const size_t *user_q;
    const char *types[4];      /* 1-based as text; "" for none */
    const size_t *q_cand;
    const uint32_t *q_r;
    const char *qnames[8];
    const char *prompts[8];    /* "" for none */
    const char *items[16];
    const double *x;
    const double *logp;
} expect;

static void check_expect(const data_set *ds, const expect *e, const char *what)
{
    char b1[24];
    gsl_test_int((int)ds->n_users, (int)e->n_users, "%s: n_users", what);
    gsl_test_int((int)ds->n_queries, (int)e->n_queries, "%s: n_queries", what);
    gsl_test_int((int)ds->n_cands, (int)e->n_cands, "%s: n_cands", what);
    gsl_test_int((int)ds->d, (int)e->d, "%s: d", what);
    if (ds->n_users != e->n_users || ds->n_queries != e->n_queries ||
        ds->n_cands != e->n_cands || ds->d != e->d)
        return;
    gsl_test_int(data_check(ds), PREF_OK, "%s: data_check", what);
    for (size_t i = 0; i < e->n_users; i++) {
        gsl_test_str(lab(ds->users, ds->user_name[i], b1), e->users[i],
                     "%s: user %zu name", what, i);
        if (ds->user_type) {
            char t[24] = "";
            if (ds->user_type[i] != DATA_NONE)
                snprintf(t, sizeof t, "%u", (unsigned)ds->user_type[i] + 1);
            gsl_test_str(t, e->types[i], "%s: user %zu type", what, i);
        }
    }
    for (size_t i = 0; i <= e->n_users; i++)
        gsl_test_int((int)ds->user_q[i], (int)e->user_q[i],
                     "%s: user_q[%zu]", what, i);
    for (size_t q = 0; q <= e->n_queries; q++)
        gsl_test_int((int)ds->q_cand[q], (int)e->q_cand[q],
                     "%s: q_cand[%zu]", what, q);
    for (size_t q = 0; q < e->n_queries; q++) {
        gsl_test_int((int)ds->q_r[q], (int)e->q_r[q], "%s: q_r[%zu]", what,
                     q);
        gsl_test_str(lab(ds->queries, ds->q_name[q], b1), e->qnames[q],
                     "%s: query %zu name", what, q);
        if (ds->q_prompt) {
            const char *p = ds->q_prompt[q] == DATA_NONE
                                ? ""
                                : lab(ds->prompts, ds->q_prompt[q], b1);
            gsl_test_str(p, e->prompts[q], "%s: query %zu prompt", what, q);
        }
    }
    for (size_t c = 0; c < e->n_cands; c++) {
        gsl_test_str(lab(ds->items, ds->c_item[c], b1), e->items[c],
                     "%s: candidate %zu item", what, c);
        for (size_t k = 0; k < e->d; k++)
            gsl_test_rel(ds->x[c * e->d + k], e->x[c * e->d + k], 0.0,
                         "%s: x[%zu][%zu]", what, c, k);
        if (e->logp)
            gsl_test_rel(ds->logp_ref[c], e->logp[c], 0.0,
                         "%s: logp_ref[%zu]", what, c);
    }
}

/* Semantic equality of two data sets: same users (by name, in any order)
 * with the same types, the same queries (by name) with the same prompt, m,
 * r, ranked candidates in the same order and unranked ones as a set (their
 * order follows the input). Returns the number of differences. */
static int same_data(const data_set *a, const data_set *b)
{
    char b1[24], b2[24];
    int bad = 0;
    if (a->n_users != b->n_users || a->n_queries != b->n_queries ||
        a->n_cands != b->n_cands || a->d != b->d)
        return 1;
    for (size_t i = 0; i < a->n_users; i++) {
        const char *un = lab(a->users, a->user_name[i], b1);
        size_t j = 0;
        while (j < b->n_users &&
               strcmp(lab(b->users, b->user_name[j], b2), un) != 0)
            j++;
        if (j == b->n_users) return bad + 1;
        if ((a->user_type != NULL) != (b->user_type != NULL)) return bad + 1;
        if (a->user_type && a->user_type[i] != b->user_type[j]) bad++;
        if (a->user_q[i + 1] - a->user_q[i] != b->user_q[j + 1] - b->user_q[j])
            return bad + 1;
        for (size_t q = a->user_q[i]; q < a->user_q[i + 1]; q++) {
            const char *qn = lab(a->queries, a->q_name[q], b1);
            size_t p = b->user_q[j];
            while (p < b->user_q[j + 1] &&
                   strcmp(lab(b->queries, b->q_name[p], b2), qn) != 0)
                p++;
            if (p == b->user_q[j + 1]) return bad + 1;
            size_t m = data_m(a, q);
            if (m != data_m(b, p) || a->q_r[q] != b->q_r[p]) {
                bad++;
                continue;
            }
            if (a->q_prompt) {
                char p1[24], p2[24];
                const char *s1 = a->q_prompt[q] == DATA_NONE
                    ? "" : lab(a->prompts, a->q_prompt[q], p1);
                const char *s2 = b->q_prompt[p] == DATA_NONE
                    ? "" : lab(b->prompts, b->q_prompt[p], p2);
                if (strcmp(s1, s2) != 0) bad++;
            }
            for (size_t c = 0; c < m; c++) {
                size_t ca = a->q_cand[q] + c, cb = b->q_cand[p] + c;
                const char *it = lab(a->items, a->c_item[ca], b1);
                if (c >= a->q_r[q]) { /* unranked: find by item */
                    cb = b->q_cand[p] + a->q_r[q];
                    while (cb < b->q_cand[p + 1] &&
                           strcmp(lab(b->items, b->c_item[cb], b2), it) != 0)
                        cb++;
                    if (cb == b->q_cand[p + 1]) {
                        bad++;
                        continue;
                    }
                } else if (strcmp(lab(b->items, b->c_item[cb], b2), it) != 0) {
                    bad++;
                    continue;
                }
                if (memcmp(a->x + ca * a->d, b->x + cb * b->d,
                           a->d * sizeof(double)) != 0)
                    bad++;
                if (a->logp_ref && a->logp_ref[ca] != b->logp_ref[cb]) bad++;
            }
        }
    }
    return bad;
}

/* --- the hand-checked file ------------------------------------------------- */

/* small.csv, worked by hand:
 *   u1/q1: rows a(rank 2) b(0) c(1): canonical c, a, b; r = 2 (m = 3)
 *   u1/q2: rows a(1) d(2): a full ranking 1..m, stored r = m - 1 = 1
 *   u2/q1: rows e(0) a(1) f(0): canonical a, e, f; r = 1
 * x1 and x2 are swapped in the header (x2 comes first). */
static const size_t small_user_q[] = {0, 2, 3};
static const size_t small_q_cand[] = {0, 3, 5, 8};
static const uint32_t small_q_r[] = {2, 1, 1};
static const double small_x[] = {
    3.75, 1e-3, 1.25, 0.5, 2.5, -0.75,   /* u1/q1: c a b */
    -1, 4, -2, 5,                        /* u1/q2: a d */
    9, 8, 7, 6, 11, 10};                 /* u2/q1: a e f */
static const double small_logp[] = {-2, -1.5, -0.25, 0, 0.125, 2, 1, 3};

static const expect small_expect = {
    2, 3, 8, 2,
    {"u1", "u2"}, small_user_q, {"2", "1"},
    small_q_cand, small_q_r,
    {"q1", "q2", "q1"}, {"p1", "p2", ""},
    {"c", "a", "b", "a", "d", "a", "e", "f"},
    small_x, small_logp};

static void test_small(void)
{
    char path[4096];
    data_set *ds = NULL;
    path_in(path, sizeof path, testdata, "csv/small.csv");
    int rc = csvio_read(path, &ds);
    gsl_test_int(rc, PREF_OK, "read small.csv (%s)", pref_last_error());
    if (rc == PREF_OK) {
        check_expect(ds, &small_expect, "small.csv");
        gsl_test(ds->users == NULL || ds->items == NULL ||
                 ds->queries == NULL || ds->prompts == NULL,
                 "small.csv: string tables present");
        gsl_test_int((int)strtab_size(ds->items), 6, "small.csv: 6 items");
        gsl_test_int((int)ds->c_item[0], 2, "small.csv: item c is index 2");
        gsl_test(data_raw_bytes(ds) < 8 * 2 * sizeof(double),
                 "small.csv: data_raw_bytes counts features");
    }

    /* Same rows scattered (plus a blank line and quoted fields). */
    data_set *ds2 = NULL;
    path_in(path, sizeof path, testdata, "csv/small_scattered.csv");
    rc = csvio_read(path, &ds2);
    gsl_test_int(rc, PREF_OK, "read small_scattered.csv (%s)",
                 pref_last_error());
    if (rc == PREF_OK) check_expect(ds2, &small_expect, "small_scattered.csv");
    if (ds && ds2) {
        char *t1 = write_text(ds, NULL), *t2 = write_text(ds2, NULL);
        gsl_test(!t1 || !t2 || strcmp(t1, t2) != 0,
                 "small: contiguous and scattered files write the same");
        free(t1);
        free(t2);
    }
    data_free(ds);
    data_free(ds2);

    /* Users interleaved: u1's queries must still be contiguous. */
    const char *inter =
        "user,query,item,rank,x1\n"
        "u1,q1,a,1,1\n"
        "u2,q1,a,1,2\n"
        "u1,q2,a,0,3\n"
        "u2,q1,b,0,4\n"
        "u1,q2,b,1,5\n"
        "u1,q1,b,0,6\n";
    static const size_t iu[] = {0, 2, 3}, iq[] = {0, 2, 4, 6};
    static const uint32_t ir[] = {1, 1, 1};
    static const double ix[] = {1, 6, 5, 3, 2, 4};
    static const expect ie = {2, 3, 6, 1, {"u1", "u2"}, iu, {""}, iq, ir,
                              {"q1", "q2", "q1"}, {""},
                              {"a", "b", "b", "a", "a", "b"}, ix, NULL};
    rc = read_text(inter, 0, &ds);
    gsl_test_int(rc, PREF_OK, "read interleaved users (%s)",
                 pref_last_error());
    if (rc == PREF_OK) {
        check_expect(ds, &ie, "interleaved users");
        gsl_test(ds->user_type || ds->q_prompt || ds->logp_ref ||
                 ds->prompts, "no optional arrays without their columns");
    }
    data_free(ds);
}

/* --- row order ------------------------------------------------------------- */

/* A valid file of 12 users with 1-3 queries of 2-5 candidates each, some
 * incomplete rankings, some full 1..m; rows in user/query order. */
static void make_rows(gsl_rng *rng, char ***rows, size_t *nrows)
{
    size_t cap = 512, n = 0;
    char **r = malloc(cap * sizeof *r);
    for (int u = 0; u < 12; u++) {
        int nq = 1 + (int)gsl_rng_uniform_int(rng, 3);
        for (int q = 0; q < nq; q++) {
            int m = 2 + (int)gsl_rng_uniform_int(rng, 4);
            int full = gsl_rng_uniform(rng) < 0.3;
            int rr = full ? m : 1 + (int)gsl_rng_uniform_int(rng, m - 1);
            /* ranks 1..rr assigned to a random subset of candidates */
            int rank[8] = {0}, perm[8];
            for (int j = 0; j < m; j++) perm[j] = j;
            for (int j = m - 1; j > 0; j--) {
                int k = (int)gsl_rng_uniform_int(rng, (unsigned long)j + 1);
                int t = perm[j];
                perm[j] = perm[k];
                perm[k] = t;
            }
            for (int s = 0; s < rr; s++) rank[perm[s]] = s + 1;
            for (int j = 0; j < m; j++) {
                char line[256];
                snprintf(line, sizeof line,
                         "user%d,Q%d,item%d,%d,%.17g,%.17g,P%d,%.17g,%d\n",
                         u, q, (j * 7 + q) % 11, rank[j],
                         gsl_rng_uniform(rng) * 4 - 2,
                         gsl_rng_uniform(rng) * 1e-3, (u + q) % 3,
                         -gsl_rng_uniform(rng) * 3, 1 + u % 3);
                r[n++] = strdup(line);
            }
        }
    }
    *rows = r;
    *nrows = n;
}

static char *join_rows(char **rows, size_t n, const size_t *order)
{
    const char *hdr = "user,query,item,rank,x1,x2,prompt,logp_ref,type\n";
    size_t len = strlen(hdr) + 1;
    for (size_t i = 0; i < n; i++) len += strlen(rows[i]);
    char *s = malloc(len), *p = s;
    if (!s) abort();
    p += sprintf(p, "%s", hdr);
    for (size_t i = 0; i < n; i++) p += sprintf(p, "%s", rows[order[i]]);
    return s;
}

static void test_row_order(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 20240517);
    char **rows;
    size_t n;
    make_rows(rng, &rows, &n);
    size_t *order = malloc(n * sizeof *order);
    for (size_t i = 0; i < n; i++) order[i] = i;
    char *text = join_rows(rows, n, order);
    data_set *ref = NULL;
    int rc = read_text(text, 0, &ref);
    gsl_test_int(rc, PREF_OK, "row order: sorted file reads (%s)",
                 pref_last_error());
    free(text);
    int bad = 0, fail = 0;
    for (int rep = 0; rep < 50 && ref; rep++) {
        for (size_t j = n - 1; j > 0; j--) {
            size_t k = gsl_rng_uniform_int(rng, j + 1), t = order[j];
            order[j] = order[k];
            order[k] = t;
        }
        text = join_rows(rows, n, order);
        data_set *ds = NULL;
        size_t chunk = rep % 5 == 0 ? 1 + (size_t)rep : 0;
        if (read_text(text, chunk, &ds) != PREF_OK) {
            fail++;
        } else {
            bad += same_data(ref, ds) != 0;
            bad += same_data(ds, ref) != 0;
            bad += data_check(ds) != PREF_OK;
        }
        data_free(ds);
        free(text);
    }
    gsl_test_int(fail, 0, "row order: 50 shuffles all read");
    gsl_test_int(bad, 0, "row order: every shuffle gives the same data set");
    /* the comparison itself notices a changed feature or rank count */
    text = join_rows(rows, n, order);
    data_set *other = NULL;
    if (ref && read_text(text, 0, &other) == PREF_OK) {
        other->x[3] += 1.0;
        gsl_test(same_data(ref, other) == 0, "row order: same_data sees a "
                 "changed feature");
        other->x[3] -= 1.0;
        other->q_r[0] = other->q_r[0] == 1 ? 2 : 1;
        gsl_test(same_data(ref, other) == 0, "row order: same_data sees a "
                 "changed r");
    }
    data_free(other);
    free(text);
    data_free(ref);
    for (size_t i = 0; i < n; i++) free(rows[i]);
    free(rows);
    free(order);
    gsl_rng_free(rng);
}

static void test_full_ranking(void)
{
    const char *a =
        "user,query,item,rank,x1\n"
        "u,q,i1,2,0.25\nu,q,i2,3,0.5\nu,q,i3,1,0.75\n"
        "u,r,i1,0,1\nu,r,i2,1,2\n";
    const char *b =
        "user,query,item,rank,x1\n"
        "u,q,i1,2,0.25\nu,q,i2,0,0.5\nu,q,i3,1,0.75\n"
        "u,r,i1,2,1\nu,r,i2,1,2\n";
    data_set *da = NULL, *db = NULL;
    gsl_test_int(read_text(a, 0, &da), PREF_OK, "full ranking 1..m reads");
    gsl_test_int(read_text(b, 0, &db), PREF_OK, "ranking 1..m-1,0 reads");
    if (da && db) {
        gsl_test_int((int)da->q_r[0], 2, "1..3 of 3 stored as r = 2");
        gsl_test_int((int)da->q_r[1], 1, "1 of 2 stored as r = 1");
        gsl_test_int((int)db->q_r[1], 1, "1..2 of 2 stored as r = 1");
        char *ta = write_text(da, NULL), *tb = write_text(db, NULL);
        gsl_test(!ta || !tb || strcmp(ta, tb) != 0,
                 "1..m and 1..m-1,0 write the same canonical file");
        gsl_test(!ta || !strstr(ta, "u,q,i3,1,0.75\nu,q,i1,2,0.25\n"
                                    "u,q,i2,0,0.5\n"),
                 "canonical order and ranks 1..r then 0");
        free(ta);
        free(tb);
    }
    data_free(da);
    data_free(db);
}

/* --- round trips ----------------------------------------------------------- */

/* Doubles that stress the formatter: signed zeros, subnormals, extremes,
 * values near the fast path's limits, and random bit patterns. */
static double odd_double(gsl_rng *rng, size_t i)
{
    static const double fixed[] = {
        0.0, -0.0, 1.0, -1.0, 0.1, 1e-5, 9.9999999999999991e-06, 1e17,
        99999999999999984.0, 4.9406564584124654e-324, 2.2250738585072014e-308,
        1.7976931348623157e308, 1e-300, 123456789.125, 0.30000000000000004,
        9007199254740993.0, 1e16, 1e22, 1e23};
    size_t nf = sizeof fixed / sizeof fixed[0];
    if (i < nf) return fixed[i];
    if (i % 3 == 0) return gsl_rng_uniform(rng) * 6 - 3;
    uint64_t bits = ((uint64_t)gsl_rng_get(rng) << 32) ^ gsl_rng_get(rng);
    double v;
    memcpy(&v, &bits, sizeof v);
    return isfinite(v) ? v : 0.5;
}

/* A canonical data set without string tables, like the simulator's. */
static data_set *make_ds(gsl_rng *rng, size_t nu, size_t d, unsigned flags)
{
    size_t nq = 0, nc = 0;
    size_t qpu[64], mq[512];
    for (size_t i = 0; i < nu; i++) {
        qpu[i] = 1 + gsl_rng_uniform_int(rng, 4);
        for (size_t t = 0; t < qpu[i]; t++)
            nc += mq[nq++] = 2 + gsl_rng_uniform_int(rng, 4);
    }
    data_set *ds = data_alloc(nu, nq, nc, d, flags);
    if (!ds) return NULL;
    size_t q = 0, c = 0, vi = 0;
    for (size_t i = 0; i < nu; i++) {
        ds->user_name[i] = (uint32_t)i;
        ds->user_q[i + 1] = ds->user_q[i] + qpu[i];
        if (ds->user_type)
            ds->user_type[i] = i % 4 == 3 ? DATA_NONE : (uint32_t)(i % 3);
        for (size_t t = 0; t < qpu[i]; t++, q++) {
            size_t m = mq[q];
            ds->q_cand[q + 1] = ds->q_cand[q] + m;
            ds->q_r[q] = (uint32_t)(1 + gsl_rng_uniform_int(rng, m - 1));
            ds->q_name[q] = (uint32_t)t;
            if (ds->q_prompt)
                ds->q_prompt[q] = q % 5 == 4 ? DATA_NONE : (uint32_t)(q % 3);
            size_t off = gsl_rng_uniform_int(rng, 10);
            for (size_t j = 0; j < m; j++, c++) {
                ds->c_item[c] = (uint32_t)(off + 3 * j);
                for (size_t k = 0; k < d; k++)
                    ds->x[c * d + k] = odd_double(rng, vi++);
                if (ds->logp_ref) ds->logp_ref[c] = -gsl_rng_uniform(rng) * 5;
            }
        }
    }
    return ds;
}

/* Attach string tables with awkward ids (need quoting, spaces, quotes). */
static int add_tables(data_set *ds)
{
    static const char *names[] = {
        "plain", "with,comma", "say \"hi\"", " lead", "trail ", "two\nlines",
        "tab\tinside", "cr\rhere", "'single'", "ü-utf8", "x"};
    size_t nn = sizeof names / sizeof names[0];
    strtab **tabs[4] = {&ds->users, &ds->queries, &ds->items, &ds->prompts};
    size_t need[4] = {ds->n_users, 4, 32, 3};
    for (int t = 0; t < 4; t++) {
        *tabs[t] = strtab_alloc();
        if (!*tabs[t]) return -1;
        for (size_t i = 0; i < need[t]; i++) {
            char buf[64];
            const char *nm = names[(i + t) % nn];
            /* keep a trailing space trailing: the number goes in front */
            int len = nm[strlen(nm) - 1] == ' '
                          ? snprintf(buf, sizeof buf, "%zu%s", i, nm)
                          : snprintf(buf, sizeof buf, "%s%zu", nm, i);
            uint32_t k;
            if (strtab_intern(*tabs[t], buf, (size_t)len, &k) != PREF_OK)
                return -1;
        }
    }
    return 0;
}

static void test_round_trip(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7391);
    for (int variant = 0; variant < 3; variant++) {
        unsigned flags = variant == 0 ? 0
                                      : DATA_HAS_TYPE | DATA_HAS_PROMPT |
                                            DATA_HAS_LOGP;
        data_set *ds = make_ds(rng, 40, variant == 0 ? 1 : 5, flags);
        if (!ds || (variant == 2 && add_tables(ds) != 0)) {
            gsl_test(1, "round trip %d: build data", variant);
            data_free(ds);
            continue;
        }
        gsl_test_int(data_check(ds), PREF_OK, "round trip %d: input valid",
                     variant);
        char path[4096], path2[4096];
        path_in(path, sizeof path, tmpdir, "rt1.csv");
        path_in(path2, sizeof path2, tmpdir, "rt2.csv");
        gsl_test_int(csvio_write(path, ds), PREF_OK, "round trip %d: write",
                     variant);
        data_set *back = NULL;
        int rc = csvio_read(path, &back);
        gsl_test_int(rc, PREF_OK, "round trip %d: read back (%s)", variant,
                     pref_last_error());
        if (rc != PREF_OK) {
            data_free(ds);
            remove(path);
            continue;
        }
        gsl_test_int(csvio_write(path2, back), PREF_OK,
                     "round trip %d: write again", variant);
        size_t n1 = 0, n2 = 0;
        char *t1 = slurp(path, &n1), *t2 = slurp(path2, &n2);
        gsl_test(!t1 || !t2 || n1 != n2 || memcmp(t1, t2, n1) != 0,
                 "round trip %d: write-read-write byte-identical (%zu bytes)",
                 variant, n1);
        gsl_test(memcmp(ds->x, back->x, ds->n_cands * ds->d * sizeof(double))
                     != 0,
                 "round trip %d: features bit-identical", variant);
        gsl_test(same_data(ds, back) != 0, "round trip %d: same data",
                 variant);
        if (variant == 2) {
            gsl_test(!t1 || !strstr(t1, "\n\" lead3\","),
                     "ids with a leading space are quoted");
            gsl_test(!t1 || !strstr(t1, "\"say \"\"hi\"\"2\""),
                     "quotes inside ids are doubled");
            gsl_test(!t1 || !strstr(t1, "\nplain"), "plain ids are bare");
        } else {
            gsl_test(!t1 || strchr(t1, '"') != NULL,
                     "round trip %d: numeric ids never quoted", variant);
        }

        /* Every chunk size 1..64 and a few large ones: same bytes. */
        int bad = 0;
        size_t sizes[64 + 5];
        size_t ns = 0;
        for (size_t k = 1; k <= 64; k++) sizes[ns++] = k;
        sizes[ns++] = 1000;
        sizes[ns++] = 4096;
        sizes[ns++] = 65536;
        sizes[ns++] = n1 + 1;
        sizes[ns++] = 0;
        for (size_t s = 0; s < ns && t1; s++) {
            FILE *f = fmemopen(t1, n1, "r");
            data_set *cs = NULL;
            if (!f || csvio_read_stream(f, "rt1.csv", sizes[s], &cs) != 0) {
                bad++;
            } else {
                size_t n3 = 0;
                char *t3 = write_text(cs, &n3);
                bad += !t3 || n3 != n1 || memcmp(t3, t1, n1) != 0;
                free(t3);
            }
            if (f) fclose(f);
            data_free(cs);
        }
        gsl_test_int(bad, 0, "round trip %d: chunk sizes 1..64, 1000, 4096, "
                     "65536, whole, default all give the same bytes",
                     variant);
        free(t1);
        free(t2);
        data_free(ds);
        data_free(back);
        remove(path);
        remove(path2);
    }
    gsl_rng_free(rng);
}

/* The writer prints exactly printf("%.17g"); the reader reads exactly
 * strtod — on random doubles and random decimal text. */
static void test_numbers(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 31337);
    enum { NV = 40000 };
    data_set *ds = data_alloc(NV / 4, NV / 4, NV / 2, 2, 0);
    if (!ds) {
        gsl_test(1, "numbers: alloc");
        gsl_rng_free(rng);
        return;
    }
    for (size_t i = 0; i < NV / 4; i++) {
        ds->user_name[i] = (uint32_t)i;
        ds->user_q[i + 1] = i + 1;
        ds->q_cand[i + 1] = 2 * (i + 1);
        ds->q_r[i] = 1;
        ds->q_name[i] = 0;
        ds->c_item[2 * i] = 0;
        ds->c_item[2 * i + 1] = 1;
    }
    for (size_t k = 0; k < NV; k++) {
        double v = odd_double(rng, k);
        /* a third of them scaled into the everyday range */
        if (k % 3 == 1) v = ldexp(gsl_rng_uniform(rng) - 0.5,
                                  (int)gsl_rng_uniform_int(rng, 120) - 60);
        ds->x[k] = v;
    }
    char *text = write_text(ds, NULL);
    int bad = 0;
    size_t k = 0;
    for (char *p = text ? strchr(text, '\n') + 1 : NULL; p && *p && k < NV;) {
        /* user,query,item,rank,x1,x2 */
        for (int f = 0; f < 4; f++) p = strchr(p, ',') + 1;
        for (int f = 0; f < 2; f++, k++) {
            size_t len = strcspn(p, ",\n");
            char want[40];
            snprintf(want, sizeof want, "%.17g", ds->x[k]);
            if (strlen(want) != len || memcmp(want, p, len) != 0) {
                if (bad++ < 5)
                    fprintf(stderr, "wrote %.*s, printf gives %s\n",
                            (int)len, p, want);
            }
            p += len + 1;
        }
    }
    gsl_test_int((int)k, NV, "numbers: all fields seen");
    gsl_test_int(bad, 0, "numbers: every double written as %%.17g");
    free(text);
    data_free(ds);

    /* Reading: random decimal strings of every shape. */
    size_t cap = (size_t)NV * 64, len = 0;
    char *csv = malloc(cap);
    double *want = malloc(NV * sizeof *want);
    len += (size_t)sprintf(csv, "user,query,item,rank,x1\n");
    for (size_t i = 0; i < NV; i++) {
        char s[48];
        int shape = (int)(i % 5);
        double v = odd_double(rng, i);
        if (shape == 0) {
            snprintf(s, sizeof s, "%.17g", v);
        } else if (shape == 1) {
            snprintf(s, sizeof s, "%.*e",
                     (int)gsl_rng_uniform_int(rng, 18), v);
        } else if (shape == 2) {
            snprintf(s, sizeof s, "%.*f",
                     (int)gsl_rng_uniform_int(rng, 12),
                     gsl_rng_uniform(rng) * 2000 - 1000);
        } else {
            /* up to 20 random digits, a point somewhere, an exponent */
            int nd = 1 + (int)gsl_rng_uniform_int(rng, 20);
            int pt = (int)gsl_rng_uniform_int(rng, (unsigned long)nd + 1);
            int n = 0;
            if (gsl_rng_uniform(rng) < 0.5) s[n++] = '-';
            for (int j = 0; j < nd; j++) {
                if (j == pt) s[n++] = '.';
                s[n++] = (char)('0' + gsl_rng_uniform_int(rng, 10));
            }
            if (shape == 4)
                n += sprintf(s + n, "e%d",
                             (int)gsl_rng_uniform_int(rng, 90) - 45);
            s[n] = '\0';
        }
        want[i] = strtod(s, NULL);
        if (!isfinite(want[i])) {
            snprintf(s, sizeof s, "0.5");
            want[i] = 0.5;
        }
        len += (size_t)sprintf(csv + len, "u%zu,q,%s,%d,%s\n", i / 2,
                               i % 2 ? "b" : "a", i % 2 ? 0 : 1, s);
    }
    data_set *rd = NULL;
    int rc = read_text(csv, 0, &rd);
    gsl_test_int(rc, PREF_OK, "numbers: random decimal text reads (%s)",
                 pref_last_error());
    bad = 0;
    for (size_t i = 0; rd && i < NV; i++)
        if (memcmp(&rd->x[i], &want[i], sizeof(double)) != 0 && bad++ < 5)
            fprintf(stderr, "read %.17g, strtod gives %.17g\n", rd->x[i],
                    want[i]);
    gsl_test_int(bad, 0, "numbers: every number read exactly as strtod");
    data_free(rd);
    free(csv);
    free(want);
    gsl_rng_free(rng);
}

/* --- bad input ------------------------------------------------------------- */

typedef struct bad_case {
    const char *what;
    const char *text;
    int line;           /* expected line, 0 when there is none */
    const char *needle; /* must appear in the message */
} bad_case;

#define H "user,query,item,rank,x1,x2\n"
#define HT "user,query,item,rank,x1,prompt,logp_ref,type\n"

static const bad_case bad_cases[] = {
    {"blank lines only", "\n\n  \n", 1, "empty file"},
    {"header only", H, 1, "no data rows"},
    {"header only after blank lines", "\n\n" H, 3, "no data rows"},
    {"reserved-looking column", "user,query,item,rank,x1,Type\nu,q,a,1,1,1\n",
     1, "column 'Type' looks like a reserved column"},
    {"reserved-looking plural", "user,query,item,rank,price,ranks\n", 1,
     "column 'ranks' looks like a reserved column"},
    {"reserved-looking spelling", "user,query,item,rank,logp-ref,price\n", 1,
     "reserved: user, query, item, rank, prompt, logp_ref, type"},
    {"repeated named feature", "user,query,item,rank,price,size,price\n", 1,
     "column 'price' repeated"},
    {"feature name with a bracket", "user,query,item,rank,a[1]\n", 1,
     "not a feature name: it has '[' or ']'"},
    {"empty feature name", "user,query,item,rank,,x1\n", 1,
     "column 5 (''): not a feature name: it is empty"},
    {"non-numeric named feature", "user,query,item,rank,price\nu,q,a,1,1\n"
     "u,q,b,0,cheap\n", 3, "column 'price': not a number: 'cheap'"},
    {"missing x1", "user,query,item,rank,x2\nu,q,a,1,1\n", 1,
     "missing column 'x1'"},
    {"no features", "user,query,item,rank\nu,q,a,1\n", 1,
     "missing column 'x1' (no feature column"},
    {"gapped x columns", "user,query,item,rank,x1,x3\n", 1,
     "missing column 'x2'"},
    {"missing item", "user,query,rank,x1\n", 1, "missing column 'item'"},
    {"missing rank", "user,query,item,x1\n", 1, "missing column 'rank'"},
    {"repeated column", "user,query,item,rank,x1,user\n", 1,
     "column 'user' repeated"},
    {"repeated x column", "user,query,item,rank,x1,x2,x1\n", 1,
     "column 'x1' repeated"},
    {"too few fields", H "u,q,a,1,0.5,1\nu,q,b,0,0.5\n", 3,
     "expected 6 fields"},
    {"too many fields", H "u,q,a,1,0.5,1\nu,q,b,0,0.5,1,9\n", 3,
     "found 7"},
    {"non-numeric feature", H "u,q,a,1,0.5,1\nu,q,b,0,0.5,abc\n", 3,
     "column 'x2': not a number: 'abc'"},
    {"trailing junk in feature", H "u,q,a,1,0.5,1\nu,q,b,0,1.5x,1\n", 3,
     "column 'x1': not a number: '1.5x'"},
    {"empty feature", H "u,q,a,1,,1\nu,q,b,0,1,1\n", 2,
     "column 'x1': not a number: ''"},
    {"NaN feature", H "u,q,a,1,0.5,1\nu,q,b,0,nan,1\n", 3,
     "column 'x1': not a finite number: 'nan'"},
    {"Inf feature", H "u,q,a,1,-Infinity,1\nu,q,b,0,1,1\n", 2,
     "column 'x1': not a finite number: '-Infinity'"},
    {"overflowing feature", H "u,q,a,1,0.5,1e999\nu,q,b,0,1,1\n", 2,
     "column 'x2': not a finite number: '1e999'"},
    {"negative rank", H "u,q,a,1,0.5,1\nu,q,b,-1,0.5,1\n", 3,
     "column 'rank': negative rank: '-1'"},
    {"non-integer rank", H "u,q,a,1.0,0.5,1\nu,q,b,0,0.5,1\n", 2,
     "column 'rank': not an integer: '1.0'"},
    {"word rank", H "u,q,a,1,0.5,1\nu,q,b,two,0.5,1\n", 3,
     "column 'rank': not an integer: 'two'"},
    {"empty rank", H "u,q,a,,0.5,1\nu,q,b,1,0.5,1\n", 2,
     "column 'rank': not an integer: ''"},
    {"huge rank", H "u,q,a,99999999999,0.5,1\nu,q,b,1,0.5,1\n", 2,
     "column 'rank': rank too large"},
    {"repeated rank", H "u,q,a,1,0.5,1\nu,q,b,0,0.5,1\nu,q,c,1,0.5,1\n", 4,
     "query 'q' of user 'u': rank 1 repeated"},
    {"gapped ranks", H "v,q,a,1,0.5,1\nv,q,b,0,0.5,1\nu,q,a,1,0.5,1\n"
     "u,q,b,3,0.5,1\nu,q,c,0,0.5,1\nu,q,d,0,0.5,1\n", 4,
     "query 'q' of user 'u': ranks not consecutive: rank 2 missing"},
    {"rank above m", H "u,q,a,1,0.5,1\nu,q,b,3,0.5,1\n", 2,
     "query 'q' of user 'u': rank 3 above the number of candidates (2)"},
    {"no rank 1", H "u,q,a,1,0.5,1\nu,q,b,0,0.5,1\n"
     "u,r,a,0,0.5,1\nu,r,b,0,0.5,1\n", 4,
     "query 'r' of user 'u': no rank 1"},
    {"only rank 2", H "u,q,a,2,0.5,1\nu,q,b,0,0.5,1\n", 2,
     "query 'q' of user 'u': no rank 1"},
    {"single-candidate query", H "u,q,a,1,0.5,1\nu,q,b,0,0.5,1\n"
     "w,q,a,1,0.5,1\n", 4, "query 'q' of user 'w': only one candidate"},
    {"duplicate item", H "u,q,a,1,0.5,1\nu,q,b,0,0.5,1\nu,q,a,0,0.5,1\n", 4,
     "column 'item': 'a' repeated (also on line 2)"},
    {"empty user id", H "u,q,a,1,0.5,1\n,q,b,0,0.5,1\n", 3,
     "column 'user': empty id"},
    {"prompt not constant", HT "u,q,a,1,0.5,p1,0,1\nu,q,b,0,0.5,p2,0,1\n", 3,
     "query 'q' of user 'u': column 'prompt': 'p2' differs"},
    {"prompt missing on one row", HT "u,q,a,1,0.5,p1,0,1\nu,q,b,0,0.5,,0,1\n",
     3, "column 'prompt': '' differs from the query's earlier prompt 'p1'"},
    {"type 0", HT "u,q,a,1,0.5,p,0,0\nu,q,b,0,0.5,p,0,0\n", 2,
     "column 'type': not a positive integer: '0'"},
    {"type non-integer", HT "u,q,a,1,0.5,p,0,1.5\nu,q,b,0,0.5,p,0,1\n", 2,
     "column 'type': not a positive integer: '1.5'"},
    {"type negative", HT "u,q,a,1,0.5,p,0,-2\nu,q,b,0,0.5,p,0,1\n", 2,
     "column 'type': not a positive integer: '-2'"},
    {"type not constant in user", HT "u,q,a,1,0.5,p,0,1\nu,q,b,0,0.5,p,0,1\n"
     "u,r,a,1,0.5,p,0,2\nu,r,b,0,0.5,p,0,2\n", 4,
     "user 'u': column 'type': '2' differs from the user's earlier type '1'"},
    {"logp_ref non-numeric", HT "u,q,a,1,0.5,p,zero,1\nu,q,b,0,0.5,p,0,1\n",
     2, "column 'logp_ref': not a number: 'zero'"},
    {"logp_ref NaN", HT "u,q,a,1,0.5,p,0,1\nu,q,b,0,0.5,p,NAN,1\n", 3,
     "column 'logp_ref': not a finite number: 'NAN'"},
    {"stray quote", H "u,q,a,1,0.5,1\nu,q\"x,b,0,0.5,1\n", 3,
     "malformed CSV"},
    {"unterminated quote", H "u,q,a,1,0.5,1\nu,\"q,b,0,0.5,1\n", 3,
     "malformed CSV"},
    /* line numbers: blank lines, CRLF, quoted newlines, scattered rows */
    {"line after blank lines", "\n" H "\nu,q,a,1,0.5,1\n\nu,q,b,0,x,1\n", 6,
     "column 'x1': not a number: 'x'"},
    {"line with CRLF", "user,query,item,rank,x1\r\nu,q,a,1,0.5\r\n"
     "u,q,b,0,bad\r\n", 3, "column 'x1': not a number: 'bad'"},
    {"line after quoted newline", H "u,q,\"a\nb\",1,0.5,1\nu,q,b,0,0.5,?\n",
     4, "column 'x2': not a number: '?'"},
    /* regressions (csvrec): CR-only line ends count lines; a record whose
     * first field is a quoted newline is reported where it starts */
    {"line with CR only", "user,query,item,rank,x1\ru,q,a,1,0.5\r"
     "u,q,b,0,bad\r", 3, "column 'x1': not a number: 'bad'"},
    {"record starting with a quoted newline", H "\"u\nv\",q,a,1,0.5,zz\n", 2,
     "column 'x2': not a number: 'zz'"},
    {"scattered repeated rank", H "u,q,a,1,0.5,1\nv,q,a,1,0.5,1\n"
     "v,q,b,0,0.5,1\nu,q,b,1,0.5,1\n", 5,
     "query 'q' of user 'u': rank 1 repeated"},
    {"scattered no rank 1", H "u,q,a,0,0.5,1\nv,q,a,1,0.5,1\n"
     "v,q,b,0,0.5,1\nu,q,b,0,0.5,1\n", 2, "query 'q' of user 'u': no rank 1"},
    {"scattered duplicate item", H "u,q,a,1,0.5,1\nv,q,a,1,0.5,1\n"
     "v,q,b,0,0.5,1\nu,q,a,0,0.5,1\n", 5,
     "column 'item': 'a' repeated (also on line 2)"},
    {"scattered single candidate", H "u,q,a,1,0.5,1\nv,q,a,1,0.5,1\n"
     "u,q,b,0,0.5,1\nu,r,a,1,0.5,1\nv,q,b,0,0.5,1\n", 5,
     "query 'r' of user 'u': only one candidate"},
};

static void test_bad_input(void)
{
    size_t n = sizeof bad_cases / sizeof bad_cases[0];
    for (size_t i = 0; i < n; i++) {
        const bad_case *b = &bad_cases[i];
        char first[1024];
        first[0] = '\0';
        size_t chunks[3] = {0, 1, 7};
        for (int c = 0; c < 3; c++) {
            data_set *ds = (data_set *)1;
            pref_clear_error();
            int rc = read_text(b->text, chunks[c], &ds);
            const char *msg = pref_last_error();
            if (c == 0) {
                char pre[64];
                if (b->line)
                    snprintf(pre, sizeof pre, "prefs.csv:%d: ", b->line);
                else
                    snprintf(pre, sizeof pre, "prefs.csv: ");
                gsl_test_int(rc, PREF_EINPUT, "bad input '%s': PREF_EINPUT",
                             b->what);
                gsl_test(ds != NULL, "bad input '%s': no data set", b->what);
                gsl_test(strncmp(msg, pre, strlen(pre)) != 0,
                         "bad input '%s': message starts with '%s' (%s)",
                         b->what, pre, msg);
                gsl_test(strstr(msg, b->needle) == NULL,
                         "bad input '%s': message names '%s' (%s)", b->what,
                         b->needle, msg);
                snprintf(first, sizeof first, "%s", msg);
            } else {
                gsl_test(rc != PREF_EINPUT || strcmp(msg, first) != 0,
                         "bad input '%s': same message with chunk %zu (%s)",
                         b->what, chunks[c], msg);
            }
            data_free(ds);
        }
    }

    /* Files: the name in messages is the path as given. */
    char path[4096], pre[4200];
    data_set *ds = NULL;
    path_in(path, sizeof path, testdata, "csv/empty.csv");
    gsl_test_int(csvio_read(path, &ds), PREF_EINPUT, "empty.csv: PREF_EINPUT");
    snprintf(pre, sizeof pre, "%s:1: empty file (expected a header: user,query,"
             "item,rank,x1..xd)", path);
    gsl_test_str(pref_last_error(), pre, "empty.csv: message");
    path_in(path, sizeof path, testdata, "csv/bad_gap.csv");
    gsl_test_int(csvio_read(path, &ds), PREF_EINPUT, "bad_gap.csv: EINPUT");
    snprintf(pre, sizeof pre, "%s:4: query 'q7' of user 'u2': ranks not "
             "consecutive: rank 2 missing", path);
    gsl_test_str(pref_last_error(), pre, "bad_gap.csv: message");
    path_in(path, sizeof path, testdata, "csv/no-such-file.csv");
    gsl_test_int(csvio_read(path, &ds), PREF_EIO, "missing file: PREF_EIO");
    gsl_test(strncmp(pref_last_error(), path, strlen(path)) != 0,
             "missing file: message names the path");
    gsl_test(ds != NULL, "missing file: no data set");
}

/* --- writer errors and data helpers ------------------------------------------ */

static void test_write_errors(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 5);
    data_set *ds = make_ds(rng, 3, 2, 0);
    char path[4096];
    path_in(path, sizeof path, tmpdir, "no/such/dir/out.csv");
    gsl_test_int(csvio_write(path, ds), PREF_EIO,
                 "write into a missing directory: PREF_EIO");
    gsl_test(strstr(pref_last_error(), "no/such/dir/out.csv") == NULL,
             "write error names the path");
    path_in(path, sizeof path, tmpdir, "ok.csv");
    gsl_test_int(csvio_write(path, ds), PREF_OK, "write ok.csv");
    gsl_test(access(path, F_OK) != 0, "ok.csv exists after commit");
    remove(path);

    /* A full device: the error surfaces as PREF_EIO. */
    FILE *full = fopen("/dev/full", "w");
    if (full) {
        setvbuf(full, NULL, _IONBF, 0);
        gsl_test_int(csvio_write_stream(full, ds), PREF_EIO,
                     "write to /dev/full: PREF_EIO");
        fclose(full);
    }
    data_free(ds);
    gsl_rng_free(rng);
}

static void test_data(void)
{
    data_set *ds = data_alloc(2, 3, 7, 2, 0);
    gsl_test(ds == NULL, "data_alloc");
    if (!ds) return;
    gsl_test(ds->user_type || ds->q_prompt || ds->logp_ref,
             "data_alloc without flags: no optional arrays");
    gsl_test(ds->users || ds->queries || ds->items || ds->prompts,
             "data_alloc: no string tables");
    gsl_test_int((int)(ds->user_q[0] + ds->q_cand[0]), 0, "offsets start at 0");
    size_t uq[] = {0, 2, 3}, qc[] = {0, 2, 5, 7};
    memcpy(ds->user_q, uq, sizeof uq);
    memcpy(ds->q_cand, qc, sizeof qc);
    for (size_t q = 0; q < 3; q++) {
        ds->q_r[q] = 1;
        ds->q_name[q] = (uint32_t)q;
    }
    for (size_t i = 0; i < 2; i++) ds->user_name[i] = (uint32_t)i;
    for (size_t c = 0; c < 7; c++) {
        ds->c_item[c] = (uint32_t)c;
        ds->x[2 * c] = 0.25 * (double)c;
        ds->x[2 * c + 1] = -1.5;
    }
    gsl_test_int(data_check(ds), PREF_OK, "data_check on a valid set");
    ds->q_r[1] = 3;
    gsl_test_int(data_check(ds), PREF_EINPUT, "data_check: r = m");
    gsl_test(strstr(pref_last_error(), "query 1") == NULL,
             "data_check names the query (%s)", pref_last_error());
    ds->q_r[1] = 0;
    gsl_test_int(data_check(ds), PREF_EINPUT, "data_check: r = 0");
    ds->q_r[1] = 2;
    ds->x[5] = NAN;
    gsl_test_int(data_check(ds), PREF_EINPUT, "data_check: NaN feature");
    ds->x[5] = 1;
    ds->q_cand[1] = 1;
    gsl_test_int(data_check(ds), PREF_EINPUT, "data_check: m = 1");
    ds->q_cand[1] = 2;
    ds->user_q[1] = 0;
    gsl_test_int(data_check(ds), PREF_EINPUT, "data_check: user without "
                 "queries");
    ds->user_q[1] = 2;
    gsl_test_int(data_check(ds), PREF_OK, "data_check: valid again");
    size_t raw = data_raw_bytes(ds);
    gsl_test(raw < 7 * 2 * sizeof(double) + 7 * sizeof(uint32_t),
             "data_raw_bytes counts features and items (%zu)", raw);
    data_free(ds);
    data_free(NULL);

    ds = data_alloc(1, 1, 2, 1, DATA_HAS_TYPE | DATA_HAS_PROMPT |
                    DATA_HAS_LOGP);
    gsl_test(!ds || !ds->user_type || !ds->q_prompt || !ds->logp_ref,
             "data_alloc with flags: optional arrays");
    data_free(ds);
    gsl_test(data_alloc(SIZE_MAX / 2, 1, SIZE_MAX / 2, 4, 0) != NULL,
             "data_alloc: impossible size returns NULL");

    char buf[24];
    gsl_test_str(data_label(NULL, 0, buf, sizeof buf), "1", "label 0 is '1'");
    gsl_test_str(data_label(NULL, UINT32_MAX, buf, sizeof buf), "4294967296",
                 "label of UINT32_MAX does not overflow");
    strtab *t = strtab_alloc();
    uint32_t k = 0;
    if (t) strtab_intern(t, "alice", 5, &k);
    gsl_test_str(data_label(t, k, buf, sizeof buf), "alice",
                 "label from a table");
    strtab_free(t);
}

/* --- main ------------------------------------------------------------------ */

/* Named features: every non-reserved column, in file order, names kept and
 * written back; columns all called x<k> keep their numbering. */
static void test_named_features(void)
{
    const char *text = "user,price,query,item,rank,size,x1,type\n"
                       "u,1.5,q,a,1,2,7,1\nu,0.5,q,b,0,3,8,1\n";
    data_set *ds = NULL;
    int rc = read_text(text, 0, &ds);
    gsl_test_int(rc, PREF_OK, "named features read");
    if (rc != PREF_OK) return;
    char buf[24];
    gsl_test_int((int)ds->d, 3, "named features: d = 3 (price, size, x1)");
    gsl_test_str(data_feature_name(ds, 0, buf, sizeof buf), "price",
                 "feature 1 is the first non-reserved column");
    gsl_test_str(data_feature_name(ds, 1, buf, sizeof buf), "size",
                 "feature 2 is the second");
    gsl_test_str(data_feature_name(ds, 2, buf, sizeof buf), "x1",
                 "an x-name among named features keeps its place");
    gsl_test_rel(ds->x[0 * 3 + 0], 1.5, 0, "price of a");
    gsl_test_rel(ds->x[1 * 3 + 1], 3, 0, "size of b");
    gsl_test_rel(ds->x[1 * 3 + 2], 8, 0, "x1 of b");
    size_t len;
    char *out = write_text(ds, &len);
    gsl_test(!out || strncmp(out, "user,query,item,rank,price,size,x1,type\n",
                             40) != 0, "the writer names the features");
    data_set *back = NULL;
    gsl_test_int(out ? read_text(out, 0, &back) : -1, PREF_OK,
                 "written named data reads back");
    char *again = back ? write_text(back, &len) : NULL;
    gsl_test(!again || strcmp(out, again) != 0,
             "named data: write, read, write is byte-identical");
    free(again);
    free(out);
    data_free(back);
    data_free(ds);

    ds = NULL;
    rc = read_text("user,query,item,rank,x2,x1\nu,q,a,1,5,6\nu,q,b,0,0,0\n",
                   0, &ds);
    gsl_test_int(rc, PREF_OK, "x-named columns read");
    if (rc != PREF_OK) return;
    gsl_test(ds->features != NULL, "x1..xd carry no name table");
    gsl_test_rel(ds->x[0], 6, 0, "x1 numbered by its name, not its column");
    gsl_test_str(data_feature_name(ds, 1, buf, sizeof buf), "x2",
                 "default name x2");
    data_free(ds);
}

int main(void)
{
    testdata = getenv("TESTDATA");
    if (!testdata || !testdata[0]) testdata = "tests/data";
    const char *tmp = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/test_csvio.XXXXXX",
             tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        exit(1);
    }
    test_small();
    test_row_order();
    test_full_ranking();
    test_round_trip();
    test_numbers();
    test_bad_input();
    test_named_features();
    test_write_errors();
    test_data();
    rmdir(tmpdir);
    exit(gsl_test_summary());
}
