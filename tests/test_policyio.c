/* test_policyio.c — the policy file format (policyio.h) and candidate pools
 * (pool.h).
 *
 * Checks:
 *  - write -> read is bit for bit (awkward doubles: signed zero, subnormal,
 *    extreme magnitudes, random values) for a hidden-layer and a linear
 *    network, and write -> read -> write is byte-identical;
 *  - every malformed-file class of policyio.h (and a few more) gives
 *    PREF_EINPUT, no set, and "policies.txt:LINE: " with the right line; a
 *    missing file gives PREF_EIO;
 *  - pool_from_data on a hand-made CSV (expected pools worked out by hand
 *    below), and its error paths: no prompt column, no prompt at all, an
 *    item with two feature vectors or two logp_ref in one prompt;
 *  - pool_policy_logprobs and pool_value_matrix on a linear network (layers
 *    = 0) whose softmaxes are computed by hand in the comments.
 * Temporary files go under a mkdtemp directory in $TMPDIR (or /tmp),
 * removed at the end. Randomness: gsl_rng mt19937, fixed seed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_test.h>

#include "csvio.h"
#include "data.h"
#include "err.h"
#include "nn.h"
#include "policyio.h"
#include "pool.h"

static char tmpdir[4096];

static int has(const char *s, const char *sub) { return strstr(s, sub) != NULL; }

/* Bytes of DIR/policies.txt into a malloc'd string (NULL on failure). */
static char *slurp(const char *dir, size_t *n)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/policies.txt", dir);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = malloc(1 << 20);
    *n = buf ? fread(buf, 1, 1 << 20, f) : 0;
    fclose(f);
    return buf;
}

/* ---- round trip ------------------------------------------------------------- */

static void round_trip(gsl_rng *r, const nn_config *net, size_t K, const char *tag)
{
    policy_set *s = policy_set_alloc(net, 0.1, K, NULL);
    gsl_test(s == NULL, "%s: alloc", tag);
    if (!s) return;
    gsl_test(strcmp(s->names[K - 1], K == 3 ? "type3" : "type1") != 0 ||
             s->weights[0] != 1.0 / (double)K, "%s: default names and weights", tag);
    static const double awkward[] = {-0.0, 4.9406564584124654e-324,
                                     2.2250738585072014e-308, 1.7976931348623157e308,
                                     -1e-300, 0.1, 1.0 / 3.0, -2.385};
    for (size_t i = 0; i < K * s->n_params; i++)
        s->params[i] = i < sizeof awkward / sizeof awkward[0]
                           ? awkward[i]
                           : (gsl_rng_uniform(r) - 0.5) * pow(10, (double)(i % 9) - 4);
    if (K == 3) {
        strcpy(s->names[0], "alpha");
        strcpy(s->names[1], "b-2,\"q\"");
        s->weights[0] = 0.5;
        s->weights[1] = 0.3;
        s->weights[2] = 0.2;
    }
    s->beta = 0.123456789012345678;
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/%s", tmpdir, tag);
    mkdir(dir, 0777);
    gsl_test_int(policyio_write(s, dir), PREF_OK, "%s: write", tag);
    policy_set *t = NULL;
    int st = policyio_read(dir, &t);
    gsl_test_int(st, PREF_OK, "%s: read back (%s)", tag, st ? pref_last_error() : "");
    if (t) {
        gsl_test(t->K != s->K || t->n_params != s->n_params || t->net.d != net->d ||
                 t->net.layers != net->layers || t->net.act != net->act ||
                 (net->layers && t->net.hidden != net->hidden),
                 "%s: sizes and network", tag);
        gsl_test(memcmp(&t->beta, &s->beta, sizeof(double)) != 0, "%s: beta bit-exact", tag);
        gsl_test(memcmp(t->weights, s->weights, K * sizeof(double)) != 0,
                 "%s: weights bit-exact", tag);
        gsl_test(memcmp(t->params, s->params, K * s->n_params * sizeof(double)) != 0,
                 "%s: parameters bit-exact", tag);
        int names = 1;
        for (size_t k = 0; k < K; k++) names &= strcmp(t->names[k], s->names[k]) == 0;
        gsl_test(!names, "%s: names", tag);
        /* write again: the same bytes */
        size_t n1 = 0, n2 = 0;
        char *b1 = slurp(dir, &n1);
        gsl_test_int(policyio_write(t, dir), PREF_OK, "%s: write again", tag);
        char *b2 = slurp(dir, &n2);
        gsl_test(!b1 || !b2 || n1 != n2 || memcmp(b1, b2, n1) != 0,
                 "%s: write -> read -> write is byte-identical", tag);
        free(b1);
        free(b2);
    }
    /* writing refuses sets it could not read back */
    strcpy(s->names[0], "has space");
    gsl_test_int(policyio_write(s, dir), PREF_EINPUT, "%s: name with a space refused", tag);
    snprintf(s->names[0], POLICYIO_MAX_NAME, "%s", "ok");
    s->params[0] = NAN;
    gsl_test_int(policyio_write(s, dir), PREF_EINPUT, "%s: NaN parameter refused", tag);
    policy_set_free(s);
    policy_set_free(t);
}

/* ---- malformed files ---------------------------------------------------------- */

/* A valid file: d 2, linear network (3 parameters), two policies. */
static const char *good[] = {
    "hetpref-policies 1", /* 1 */
    "d 2",                /* 2 */
    "layers 0",           /* 3 */
    "hidden 0",           /* 4 */
    "activation tanh",    /* 5 */
    "beta 0.5",           /* 6 */
    "policies 2",         /* 7 */
    "names a b",          /* 8 */
    "weights 0.25 0.75",  /* 9 */
    "params 3",           /* 10 */
    "policy a",           /* 11 */
    "1.5",                /* 12 */
    "-2",                 /* 13 */
    "0.25",               /* 14 */
    "policy b",           /* 15 */
    "0",                  /* 16 */
    "1",                  /* 17 */
    "-1",                 /* 18 */
    "end",                /* 19 */
};
#define N_GOOD (sizeof good / sizeof good[0])

/* Write the good file with line `line` (1-based) replaced by `text`
 * (NULL: the file stops before that line), then `extra` appended. */
static void write_variant(const char *dir, size_t line, const char *text,
                          const char *extra)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/policies.txt", dir);
    FILE *f = fopen(path, "w");
    if (!f) return;
    for (size_t i = 1; i <= N_GOOD; i++) {
        if (i == line && !text) break;
        fprintf(f, "%s\n", i == line ? text : good[i - 1]);
    }
    if (extra) fputs(extra, f);
    fclose(f);
}

static void expect_bad(const char *dir, size_t line, const char *text,
                       const char *extra, size_t want_line, const char *frag)
{
    write_variant(dir, line, text, extra);
    policy_set *s = (policy_set *)1;
    int st = policyio_read(dir, &s);
    char where[64];
    snprintf(where, sizeof where, "policies.txt:%zu: ", want_line);
    const char *msg = pref_last_error();
    gsl_test_int(st, PREF_EINPUT, "bad file (line %zu -> '%s'): PREF_EINPUT", line,
                 text ? text : "(cut)");
    gsl_test(s != NULL, "bad file (line %zu -> '%s'): no set", line, text ? text : "(cut)");
    gsl_test(!has(msg, where) || !has(msg, frag),
             "bad file (line %zu -> '%s'): message names line %zu and '%s': %s",
             line, text ? text : "(cut)", want_line, frag, msg);
}

static void test_malformed(void)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/bad", tmpdir);
    mkdir(dir, 0777);
    policy_set *s = NULL;
    write_variant(dir, 0, NULL, NULL);
    int st = policyio_read(dir, &s);
    gsl_test_int(st, PREF_OK, "good file reads (%s)", st ? pref_last_error() : "");
    if (s) {
        gsl_test(s->K != 2 || s->n_params != 3 || s->params[3] != 0 ||
                 s->params[5] != -1 || s->weights[1] != 0.75 || s->beta != 0.5 ||
                 strcmp(s->names[1], "b") != 0, "good file: contents");
        policy_set_free(s);
    }
    write_variant(dir, 0, NULL, "\n\n");
    st = policyio_read(dir, &s);
    gsl_test_int(st, PREF_OK, "blank lines after 'end' are fine");
    policy_set_free(s);
    write_variant(dir, 1, "\xEF\xBB\xBFhetpref-policies 1", NULL);
    st = policyio_read(dir, &s);
    gsl_test_int(st, PREF_OK, "a UTF-8 byte-order mark is skipped (%s)",
                 st ? pref_last_error() : "");
    policy_set_free(s);
    expect_bad(dir, 8, "names a a", NULL, 8, "name 'a' repeated (policies 1 and 2)");

    expect_bad(dir, 1, "hetpref-policy 1", NULL, 1, "expected 'hetpref-policies'");
    expect_bad(dir, 1, "hetpref-policies 2", NULL, 1, "unsupported format version");
    expect_bad(dir, 1, "hetpref-policies", NULL, 1, "missing format version");
    expect_bad(dir, 2, "d 0", NULL, 2, "'d'");
    expect_bad(dir, 2, "d two", NULL, 2, "not a non-negative integer");
    expect_bad(dir, 2, "d -2", NULL, 2, "'d'");
    expect_bad(dir, 2, "d 99999999999999999999999", NULL, 2, "too large");
    expect_bad(dir, 2, "d 999999999", NULL, 2, "'d'");
    expect_bad(dir, 2, "layers 0", NULL, 2, "expected 'd'");
    expect_bad(dir, 3, "layers 9", NULL, 3, "'layers'");
    expect_bad(dir, 3, "layers 0 1", NULL, 3, "unexpected '1'");
    expect_bad(dir, 5, "activation relu", NULL, 5, "unknown activation 'relu'");
    expect_bad(dir, 6, "beta -0.5", NULL, 6, "not positive");
    expect_bad(dir, 6, "beta 0", NULL, 6, "not positive");
    expect_bad(dir, 6, "beta nan", NULL, 6, "non-finite");
    expect_bad(dir, 6, "beta 1e999", NULL, 6, "non-finite");
    expect_bad(dir, 7, "policies 0", NULL, 7, "at least 1");
    expect_bad(dir, 7, "policies 1000000000", NULL, 7, "truncated file");
    expect_bad(dir, 8, "names a", NULL, 8, "1 names for 2");
    expect_bad(dir, 8, "names a b c", NULL, 8, "more than 2 names");
    expect_bad(dir, 8, "names a a", NULL, 8, "'a' repeated");
    expect_bad(dir, 9, "weights 0.5 0.75", NULL, 9, "not 1");
    expect_bad(dir, 9, "weights -0.25 1.25", NULL, 9, "negative");
    expect_bad(dir, 9, "weights 0.25", NULL, 9, "1 weights for 2");
    expect_bad(dir, 9, "weights 0.25 NaN", NULL, 9, "non-finite");
    expect_bad(dir, 9, "weights 0.25 x", NULL, 9, "not a number");
    expect_bad(dir, 10, "params 4", NULL, 10, "has 3");
    expect_bad(dir, 11, "policy b", NULL, 11, "expected name 'a'");
    expect_bad(dir, 13, "inf", NULL, 13, "non-finite");
    expect_bad(dir, 13, "abc", NULL, 13, "not a number");
    expect_bad(dir, 13, "1 2", NULL, 13, "more than one number");
    expect_bad(dir, 13, "", NULL, 13, "empty line");
    expect_bad(dir, 17, NULL, NULL, 17, "truncated file");
    expect_bad(dir, 19, NULL, NULL, 19, "truncated file: expected 'end'");
    expect_bad(dir, 19, "fin", NULL, 19, "expected 'end'");
    expect_bad(dir, 0, NULL, "policy c\n", 20, "text after 'end'");
    expect_bad(dir, 1, NULL, NULL, 1, "empty file");
    /* a hidden layer of width 0 */
    good[2] = "layers 1";
    expect_bad(dir, 4, "hidden 0", NULL, 4, "'hidden'");
    good[2] = "layers 0";

    char nodir[4200];
    snprintf(nodir, sizeof nodir, "%s/nowhere", tmpdir);
    s = (policy_set *)1;
    gsl_test_int(policyio_read(nodir, &s), PREF_EIO, "missing file: PREF_EIO");
    gsl_test(s != NULL || !has(pref_last_error(), "nowhere/policies.txt"),
             "missing file: message names the path: %s", pref_last_error());
}

/* ---- pools from data ------------------------------------------------------------- */

static int read_text(const char *text, data_set **out)
{
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    if (!f) return PREF_EIO;
    int rc = csvio_read_stream(f, "prefs.csv", 0, out);
    fclose(f);
    return rc;
}

static void test_pool_from_data(void)
{
    /* Items get indices in order of first appearance: A 0, B 1, C 2, D 3,
     * E 4. Pools, by hand:
     *   prompt P (index 0): items A, B, E with logp_ref (-1, -2, -3), so
     *     log pi_ref = logp_ref - (-1 + log(1 + e^-1 + e^-2));
     *   prompt Q (index 1): items A (features 3, 3: a different candidate
     *     from P's A), C, D with logp_ref (0, 0.5, 0.5), so
     *     log pi_ref = logp_ref - log(1 + 2 e^0.5).
     * The query of u3 has an empty prompt and is skipped. */
    const char *csv =
        "user,query,item,rank,x1,x2,prompt,logp_ref\n"
        "u1,q1,A,1,1.0,0.5,P,-1.0\n"
        "u1,q1,B,0,0.0,1.0,P,-2.0\n"
        "u1,q2,C,1,2.0,0.0,Q,0.5\n"
        "u1,q2,D,0,-1.0,0.25,Q,0.5\n"
        "u2,q1,B,1,0.0,1.0,P,-2.0\n"
        "u2,q1,E,0,0.5,0.5,P,-3.0\n"
        "u2,q2,C,1,2.0,0.0,Q,0.5\n"
        "u2,q2,A,0,3.0,3.0,Q,0.0\n"
        "u3,q1,F,1,9.0,9.0,,0\n"
        "u3,q1,G,0,8.0,8.0,,0\n";
    data_set *ds = NULL;
    int st = read_text(csv, &ds);
    gsl_test_int(st, PREF_OK, "pool data: read (%s)", st ? pref_last_error() : "");
    if (!ds) return;
    pool_set *ps = NULL;
    st = pool_from_data(ds, &ps);
    gsl_test_int(st, PREF_OK, "pool_from_data: ok (%s)", st ? pref_last_error() : "");
    if (ps) {
        gsl_test(ps->n_prompts != 2 || ps->d != 2 || ps->off[0] != 0 ||
                 ps->off[1] != 3 || ps->off[2] != 6 || pool_n_items(ps) != 6,
                 "pools: two pools of three items");
        const double x[12] = {1.0, 0.5, 0.0, 1.0, 0.5, 0.5,    /* P: A B E */
                              3.0, 3.0, 2.0, 0.0, -1.0, 0.25}; /* Q: A C D */
        int xs = 1;
        for (int i = 0; i < 12; i++) xs &= ps->x[i] == x[i];
        gsl_test(!xs, "pools: features in item order");
        double lp = -1 + log(1 + exp(-1) + exp(-2)), lq = log(1 + 2 * exp(0.5));
        const double ref[6] = {-1 - lp, -2 - lp, -3 - lp, 0 - lq, 0.5 - lq, 0.5 - lq};
        for (int i = 0; i < 6; i++)
            gsl_test_abs(ps->logp_ref[i], ref[i], 1e-15, "pools: log pi_ref %d", i);
        pool_free(ps);
    }
    data_free(ds);

    /* No logp_ref column: uniform reference. */
    st = read_text("user,query,item,rank,x1,prompt\n"
                   "u,q,a,1,0.5,p\nu,q,b,0,1.5,p\nu,q,c,0,2.5,p\n", &ds);
    ps = NULL;
    if (!st) st = pool_from_data(ds, &ps);
    gsl_test_int(st, PREF_OK, "pools without logp_ref: ok");
    if (ps) {
        gsl_test_abs(ps->logp_ref[1], -log(3.0), 1e-15, "pools: uniform reference");
        pool_free(ps);
    }
    data_free(ds);

    /* Error paths. */
    struct { const char *csv, *frag; } bad[] = {
        {"user,query,item,rank,x1\nu,q,a,1,0.5\nu,q,b,0,1.5\n",
         "no prompt column"},
        {"user,query,item,rank,x1,prompt\nu,q,a,1,0.5,\nu,q,b,0,1.5,\n",
         "no query has a prompt"},
        {"user,query,item,rank,x1,x2,prompt\nu,q,a,1,0.5,1,p\nu,q,b,0,1.5,1,p\n"
         "v,q,b,1,1.5,2,p\nv,q,c,0,1.5,1,p\n",
         "item 'b' has different features in query 'q' of user 'u' and query "
         "'q' of user 'v' (column 'x2'"},
        {"user,query,item,rank,x1,prompt,logp_ref\nu,q,a,1,0.5,p,0\nu,q,b,0,1.5,p,0\n"
         "v,r,b,1,1.5,p,-1\nv,r,c,0,1.5,p,0\n",
         "item 'b' has different logp_ref"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        st = read_text(bad[i].csv, &ds);
        gsl_test_int(st, PREF_OK, "pool error %zu: data read", i);
        ps = (pool_set *)1;
        if (!st) st = pool_from_data(ds, &ps);
        gsl_test_int(st, PREF_EINPUT, "pool error %zu: PREF_EINPUT", i);
        gsl_test(ps != NULL || !has(pref_last_error(), bad[i].frag),
                 "pool error %zu: no pools, message '%s': %s", i, bad[i].frag,
                 pref_last_error());
        data_free(ds);
    }
}

/* ---- exact evaluation on pools --------------------------------------------------- */

static void test_value_matrix(void)
{
    /* d = 1, linear policies f(x) = w x + b (layers = 0):
     *   policy 1: w = 1,  b = 0.7 (a constant shift: softmax ignores it)
     *   policy 2: w = -1, b = 0
     * Pool P: x = (0, ln 3), logp_ref = (0, 0) -> pi_ref = (1/2, 1/2);
     *   pi_1 = (1, 3) / 4 = (1/4, 3/4), pi_2 = (3, 1) / 4 = (3/4, 1/4).
     *   log pi_1 - log pi_ref = (ln 1/2, ln 3/2); log pi_2 - log pi_ref =
     *   (ln 3/2, ln 1/2). So
     *     P11 = P22 = 1/4 ln(1/2) + 3/4 ln(3/2) = 0.130812035941...
     *     P12 = P21 = 3/4 ln(1/2) + 1/4 ln(3/2) = -0.418494108393...
     * Pool Q: x = (0, 0, 0): both policies uniform (1/3 each);
     *   logp_ref = (0, ln 2, 0) -> pi_ref = (1/4, 1/2, 1/4), so for every
     *   i, j: Q = 1/3 (2 ln(4/3) + ln(2/3)) = 0.056633012265...
     * L = (P + Q) / 2 (the mean over the two prompts). */
    pool_set *ps = pool_alloc(2, 5, 1, NULL);
    gsl_test(ps == NULL, "pool_alloc");
    if (!ps) return;
    ps->off[1] = 2;
    ps->off[2] = 5;
    const double x[5] = {0, log(3.0), 0, 0, 0};
    const double lr[5] = {log(0.5), log(0.5), log(0.25), log(0.5), log(0.25)};
    memcpy(ps->x, x, sizeof x);
    memcpy(ps->logp_ref, lr, sizeof lr);
    nn_config net = {.d = 1, .hidden = 0, .layers = 0, .act = NN_TANH};
    policy_set *pol = policy_set_alloc(&net, 0.1, 2, NULL);
    gsl_test(pol == NULL, "policy_set_alloc (linear)");
    if (!pol) {
        pool_free(ps);
        return;
    }
    nn_params np;
    nn_point_params(&net, pol->params, &np);
    np.W[0][0] = 1.0;
    np.b[0][0] = 0.7;
    nn_point_params(&net, pol->params + pol->n_params, &np);
    np.W[0][0] = -1.0;
    np.b[0][0] = 0.0;

    size_t nw = pool_work_size(ps, &net);
    double *work = malloc((nw ? nw : 1) * sizeof *work), logp[5];
    int st = pool_policy_logprobs(ps, &net, pol->params, logp, work);
    gsl_test_int(st, PREF_OK, "logprobs: ok");
    gsl_test_abs(logp[0], log(0.25), 1e-15, "logprobs: pi_1(P, 1) = 1/4");
    gsl_test_abs(logp[1], log(0.75), 1e-15, "logprobs: pi_1(P, 2) = 3/4");
    gsl_test_abs(logp[3], -log(3.0), 1e-15, "logprobs: pi_1(Q, .) = 1/3");

    double L[4];
    st = pool_value_matrix(ps, pol, L);
    gsl_test_int(st, PREF_OK, "value matrix: ok");
    double P11 = 0.25 * log(0.5) + 0.75 * log(1.5);
    double P12 = 0.75 * log(0.5) + 0.25 * log(1.5);
    double Q = (2 * log(4.0 / 3.0) + log(2.0 / 3.0)) / 3;
    gsl_test_abs(P11, 0.130812035941, 1e-12, "hand value P11");
    gsl_test_abs(P12, -0.418494108393, 1e-12, "hand value P12");
    gsl_test_abs(Q, 0.056633012265, 1e-12, "hand value Q");
    gsl_test_rel(L[0], (P11 + Q) / 2, 1e-14, "L[1][1] by hand");
    gsl_test_rel(L[1], (P12 + Q) / 2, 1e-14, "L[1][2] by hand");
    gsl_test_rel(L[2], (P12 + Q) / 2, 1e-14, "L[2][1] by hand");
    gsl_test_rel(L[3], (P11 + Q) / 2, 1e-14, "L[2][2] by hand");

    /* errors: dimension mismatch, non-finite network output */
    nn_config net2 = net;
    net2.d = 2;
    policy_set *pol2 = policy_set_alloc(&net2, 0.1, 2, NULL);
    gsl_test_int(pool_value_matrix(ps, pol2, L), PREF_EINPUT,
                 "value matrix: d mismatch refused");
    gsl_test(!has(pref_last_error(), "d = 2") || !has(pref_last_error(), "have 1"),
             "value matrix: message names both dimensions: %s", pref_last_error());
    gsl_test_int(pool_policy_logprobs(ps, &net2, pol2->params, logp, work),
                 PREF_EINPUT, "logprobs: d mismatch refused");
    nn_point_params(&net, pol->params, &np);
    np.b[0][0] = INFINITY;
    gsl_test_int(pool_value_matrix(ps, pol, L), PREF_ENUM,
                 "value matrix: infinite output is PREF_ENUM");
    policy_set_free(pol2);
    policy_set_free(pol);
    free(work);
    pool_free(ps);

    int err = PREF_OK;
    gsl_test(pool_alloc(0, 1, 1, &err) != NULL || pool_alloc(1, 0, 1, NULL) != NULL,
             "pool_alloc: zero sizes give NULL");
    gsl_test_int(err, PREF_EINPUT, "pool_alloc: a zero size is an input error "
                 "(%s)", pref_last_error());
    pool_free(NULL);
    policy_set_free(NULL);
    gsl_test(policy_set_alloc(&net, 0.1, 0, &err) != NULL,
             "policy_set_alloc: K = 0 is NULL");
    gsl_test_int(err, PREF_EINPUT, "policy_set_alloc: K = 0 is an input error, "
                 "not out of memory (%s)", pref_last_error());
    policy_set *one = policy_set_alloc(&net, 0.1, 1, &err);
    gsl_test_int(err, PREF_OK, "policy_set_alloc: success sets PREF_OK");
    policy_set_free(one);
}

/* Remove what the tests created: SUB/policies.txt and SUB for each SUB. */
static void cleanup(void)
{
    static const char *subs[] = {"mlp", "linear", "bad"};
    char path[4300];
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        snprintf(path, sizeof path, "%s/%s/policies.txt", tmpdir, subs[i]);
        remove(path);
        snprintf(path, sizeof path, "%s/%s", tmpdir, subs[i]);
        rmdir(path);
    }
    if (rmdir(tmpdir) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
}

int main(void)
{
    gsl_set_error_handler_off();
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/test_policyio.XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 4242);
    nn_config mlp = {.d = 5, .hidden = 7, .layers = 2, .act = NN_SOFTPLUS};
    nn_config lin = {.d = 3, .hidden = 0, .layers = 0, .act = NN_TANH};
    round_trip(r, &mlp, 3, "mlp");
    round_trip(r, &lin, 1, "linear");
    test_malformed();
    test_pool_from_data();
    test_value_matrix();
    gsl_rng_free(r);
    cleanup();
    exit(gsl_test_summary());
}
