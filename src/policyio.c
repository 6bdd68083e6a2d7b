/* policyio.c — reading and writing DIR/policies.txt (see policyio.h).
 *
 * What it does
 *
 * Writing checks the set first (so that everything written can be read
 * back: names non-empty without whitespace or control characters and not
 * repeated, beta finite and positive, weights finite, non-negative and
 * summing to 1, every parameter finite, n_params matching the network),
 * then prints the items of policyio.h in order, numbers "%.17g" (C locale
 * assumed), through fsutil's temporary-file-and-rename so the file appears
 * whole or not at all. Reading "%.17g" back with strtod is exact, so a
 * write→read round trip is bit for bit (test_policyio.c checks it).
 *
 * Reading loads the whole file (one allocation) and walks it line by line
 * in the fixed order of the format. Every item is validated where it is
 * read and a problem is reported as "FILE:LINE: message" with the 1-based
 * line number of the offending item (a truncated file is reported at the
 * line after the last one). Tokens are separated by spaces or tabs; a
 * trailing CR (CRLF files) is ignored; blank lines are allowed only after
 * "end". The declared sizes are checked against the file size before
 * anything is allocated, so a corrupted count cannot ask for gigabytes.
 *
 * Limits (reported as input errors): d and hidden at most POLICYIO_MAX_DIM
 * (so nn_num_params cannot overflow); weights must sum to 1 within
 * POLICYIO_WEIGHT_TOL.
 *
 * Deviation from the header's letter, deliberately: policyio_write returns
 * PREF_EINPUT (with a message) for a set it could not read back, besides
 * PREF_EIO.
 *
 * Not here: evaluating policies on pools (pool.h), training (dpo.h). */
#include "policyio.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fsutil.h"
#include "numparse.h"
#include "strtab.h"

#define POLICYIO_FILE "policies.txt"
#define POLICYIO_MAGIC "hetpref-policies"
#define POLICYIO_VERSION 1
/* Largest d and hidden accepted: keeps nn_num_params far from overflow
 * (8 layers of 2^24 x 2^24 weights is 2^51 parameters). */
#define POLICYIO_MAX_DIM ((size_t)1 << 24)
/* |sum(weights) - 1| allowed: the weights are written with 17 significant
 * digits, so a set summing to 1 in double precision passes with room. */
#define POLICYIO_WEIGHT_TOL 1e-9

/* ---- the set ------------------------------------------------------------ */

policy_set *policy_set_alloc(const nn_config *net, double beta, size_t K,
                             int *err)
{
    const char *why = !net ? "no network" : nn_config_check(net);
    if (!why && K == 0) why = "no policies";
    if (!why && !isfinite(beta)) why = "beta is not finite";
    size_t np = why ? 0 : nn_num_params(net);
    if (!why && (np == 0 || K > SIZE_MAX / sizeof(double) / np))
        why = "too many parameters";
    if (why) return pref_fail_null(err, PREF_EINPUT, "policies: %s", why);
    policy_set *s = calloc(1, sizeof *s);
    if (!s) return pref_fail_null(err, PREF_ENOMEM, "out of memory for %zu "
                                  "policies", K);
    s->net = *net;
    s->beta = beta;
    s->K = K;
    s->n_params = np;
    s->names = calloc(K, sizeof *s->names);
    s->weights = malloc(K * sizeof *s->weights);
    s->params = calloc(K * np, sizeof *s->params);
    if (!s->names || !s->weights || !s->params) {
        policy_set_free(s);
        return pref_fail_null(err, PREF_ENOMEM, "out of memory for %zu policies "
                              "of %zu parameters", K, np);
    }
    if (err) *err = PREF_OK;
    for (size_t k = 0; k < K; k++) {
        snprintf(s->names[k], POLICYIO_MAX_NAME, "type%zu", k + 1);
        s->weights[k] = 1.0 / (double)K;
    }
    return s;
}

void policy_set_free(policy_set *s)
{
    if (!s) return;
    free(s->names);
    free(s->weights);
    free(s->params);
    free(s);
}

static const char *act_name(int act)
{
    return act == NN_TANH ? "tanh" : act == NN_SOFTPLUS ? "softplus" : NULL;
}

/* NULL when name is usable in the file (and in CSV headers), else why not. */
static const char *name_problem(const char *name, size_t cap)
{
    size_t n = strnlen(name, cap);
    if (n == 0) return "empty name";
    if (n == cap) return "name too long";
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (ch == ' ' || ch == '\t' || ch < 0x20 || ch == 0x7f)
            return "name contains whitespace or a control character";
    }
    return NULL;
}

/* The first repeated name of names[0..K) through a hash table (linear in
 * K): 1 with the two positions, 0 when all differ, -1 when out of memory. */
static int find_repeat(char (*names)[POLICYIO_MAX_NAME], size_t K,
                       size_t *first, size_t *second)
{
    strtab *t = strtab_alloc();
    int found = t ? 0 : -1;
    for (size_t k = 0; k < K && !found; k++) {
        size_t len = strlen(names[k]);
        uint32_t i = strtab_find(t, names[k], len);
        if (i != UINT32_MAX) {
            *first = i;
            *second = k;
            found = 1;
        } else if (strtab_intern(t, names[k], len, &i)) {
            found = -1;
        }
    }
    strtab_free(t);
    return found;
}

/* Everything policyio_read would reject in an in-memory set. */
static int check_set(const policy_set *s)
{
    const char *why = nn_config_check(&s->net);
    if (why) PREF_ERROR(PREF_EINPUT, "policyio_write: bad network: %s", why);
    if (!act_name(s->net.act))
        PREF_ERROR(PREF_EINPUT, "policyio_write: unknown activation %d", s->net.act);
    if (s->net.d > POLICYIO_MAX_DIM || s->net.hidden > POLICYIO_MAX_DIM)
        PREF_ERROR(PREF_EINPUT, "policyio_write: d or hidden above %zu",
                   POLICYIO_MAX_DIM);
    if (s->K == 0) PREF_ERROR(PREF_EINPUT, "policyio_write: no policies");
    if (!(isfinite(s->beta) && s->beta > 0))
        PREF_ERROR(PREF_EINPUT, "policyio_write: beta %g is not positive and "
                   "finite", s->beta);
    if (s->n_params != nn_num_params(&s->net))
        PREF_ERROR(PREF_EINPUT, "policyio_write: n_params %zu but the network "
                   "has %zu", s->n_params, nn_num_params(&s->net));
    double sum = 0;
    for (size_t k = 0; k < s->K; k++) {
        if ((why = name_problem(s->names[k], POLICYIO_MAX_NAME)))
            PREF_ERROR(PREF_EINPUT, "policyio_write: policy %zu: %s", k + 1, why);
        if (!(isfinite(s->weights[k]) && s->weights[k] >= 0))
            PREF_ERROR(PREF_EINPUT, "policyio_write: weight %zu is %g", k + 1,
                       s->weights[k]);
        sum += s->weights[k];
    }
    if (fabs(sum - 1.0) > POLICYIO_WEIGHT_TOL)
        PREF_ERROR(PREF_EINPUT, "policyio_write: weights sum to %.17g, not 1", sum);
    size_t a, b;
    int rep = find_repeat(s->names, s->K, &a, &b);
    if (rep < 0) PREF_ERROR(PREF_ENOMEM, "policyio_write: out of memory");
    if (rep)
        PREF_ERROR(PREF_EINPUT, "policyio_write: name '%s' repeated", s->names[b]);
    for (size_t i = 0; i < s->K * s->n_params; i++)
        if (!isfinite(s->params[i]))
            PREF_ERROR(PREF_EINPUT, "policyio_write: policy '%s': parameter %zu "
                       "is not finite", s->names[i / s->n_params],
                       i % s->n_params + 1);
    return PREF_OK;
}

/* ---- writing ------------------------------------------------------------ */

int policyio_write(const policy_set *s, const char *dir)
{
    if (!s || !dir) PREF_ERROR(PREF_EINPUT, "policyio_write: NULL argument");
    PREF_TRY(check_set(s));
    char path[4096];
    PREF_TRY(fsutil_join(path, sizeof path, dir, POLICYIO_FILE));
    fsutil_file o;
    PREF_TRY(fsutil_open(&o, path));
    FILE *f = o.f;
    fprintf(f, "%s %d\n", POLICYIO_MAGIC, POLICYIO_VERSION);
    fprintf(f, "d %zu\nlayers %zu\nhidden %zu\nactivation %s\n", s->net.d,
            s->net.layers, s->net.hidden, act_name(s->net.act));
    fprintf(f, "beta %.17g\npolicies %zu\nnames", s->beta, s->K);
    for (size_t k = 0; k < s->K; k++) fprintf(f, " %s", s->names[k]);
    fputs("\nweights", f);
    for (size_t k = 0; k < s->K; k++) fprintf(f, " %.17g", s->weights[k]);
    fprintf(f, "\nparams %zu\n", s->n_params);
    for (size_t k = 0; k < s->K; k++) {
        fprintf(f, "policy %s\n", s->names[k]);
        const double *p = s->params + k * s->n_params;
        for (size_t i = 0; i < s->n_params; i++) fprintf(f, "%.17g\n", p[i]);
    }
    fputs("end\n", f);
    return fsutil_commit(&o);
}

/* ---- reading ------------------------------------------------------------ */

typedef struct reader {
    const char *path;
    char *buf;        /* whole file, NUL-terminated */
    size_t size;      /* bytes in the file */
    char *next;       /* start of the next line, NULL at end of file */
    size_t line;      /* number of the line last returned (1-based) */
    char *tok;        /* cursor inside the current line (tokens) */
} reader;

static int rd_error(const reader *r, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int rd_error(const reader *r, size_t line, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    PREF_ERROR(PREF_EINPUT, "%s:%zu: %s", r->path, line, msg);
}

/* The next line (without its newline or a trailing CR), or NULL at the end
 * of the file (then r->line is left at the last line). */
static char *rd_line(reader *r)
{
    if (!r->next) return NULL;
    char *s = r->next;
    char *nl = strchr(s, '\n');
    if (nl) {
        *nl = '\0';
        r->next = nl + 1 < r->buf + r->size ? nl + 1 : NULL;
    } else {
        r->next = NULL;
        if (*s == '\0') return NULL;
    }
    size_t n = strlen(s);
    if (n > 0 && s[n - 1] == '\r') s[n - 1] = '\0';
    r->line++;
    r->tok = s;
    return s;
}

/* The next space- or tab-separated token of the current line, or NULL. */
static char *rd_token(reader *r)
{
    char *s = r->tok;
    if (!s) return NULL;
    while (*s == ' ' || *s == '\t') s++;
    if (*s == '\0') {
        r->tok = s;
        return NULL;
    }
    char *e = s;
    while (*e && *e != ' ' && *e != '\t') e++;
    if (*e) *e++ = '\0';
    r->tok = e;
    return s;
}

/* Read the next line, which must start with key; the rest stays in the
 * token cursor. */
static int rd_key(reader *r, const char *key)
{
    if (!rd_line(r))
        return rd_error(r, r->line + 1, "truncated file: expected '%s'", key);
    const char *t = rd_token(r);
    if (!t) return rd_error(r, r->line, "expected '%s', got an empty line", key);
    if (strcmp(t, key) != 0)
        return rd_error(r, r->line, "expected '%s', got '%.40s'", key, t);
    return PREF_OK;
}

/* No more tokens on the current line. */
static int rd_end_of_line(reader *r, const char *key)
{
    const char *t = rd_token(r);
    if (t) return rd_error(r, r->line, "'%s': unexpected '%.40s' at the end of "
                           "the line", key, t);
    return PREF_OK;
}

/* A decimal count (digits only) on the current line. */
static int rd_count(reader *r, const char *key, size_t *out)
{
    const char *t = rd_token(r);
    if (!t) return rd_error(r, r->line, "'%s': missing number", key);
    for (const char *c = t; *c; c++)
        if (!isdigit((unsigned char)*c))
            return rd_error(r, r->line, "'%s': not a non-negative integer: "
                            "'%.40s'", key, t);
    errno = 0;
    unsigned long long v = strtoull(t, NULL, 10);
    if (errno || v > SIZE_MAX)
        return rd_error(r, r->line, "'%s': number too large: '%.40s'", key, t);
    *out = (size_t)v;
    return rd_end_of_line(r, key);
}

/* A finite double token. */
static int rd_double(reader *r, const char *t, const char *what, double *out)
{
    double v;
    int bad = numparse_double(t, strlen(t), &v);
    if (bad == -1)
        return rd_error(r, r->line, "%s: not a number: '%.40s'", what, t);
    if (bad)
        return rd_error(r, r->line, "%s: non-finite number '%.40s'", what, t);
    *out = v;
    return PREF_OK;
}

static int rd_header(reader *r, nn_config *net, double *beta, size_t *K,
                     size_t *np)
{
    size_t v;
    PREF_TRY(rd_key(r, POLICYIO_MAGIC));
    const char *t = rd_token(r);
    if (!t) return rd_error(r, r->line, "missing format version");
    if (strcmp(t, "1") != 0)
        return rd_error(r, r->line, "unsupported format version '%.40s' (this "
                        "hetpref reads version %d)", t, POLICYIO_VERSION);
    PREF_TRY(rd_end_of_line(r, POLICYIO_MAGIC));

    memset(net, 0, sizeof *net);
    PREF_TRY(rd_key(r, "d"));
    PREF_TRY(rd_count(r, "d", &net->d));
    if (net->d < 1 || net->d > POLICYIO_MAX_DIM)
        return rd_error(r, r->line, "'d': %zu features (expected 1..%zu)",
                        net->d, POLICYIO_MAX_DIM);
    PREF_TRY(rd_key(r, "layers"));
    PREF_TRY(rd_count(r, "layers", &net->layers));
    if (net->layers > NN_MAX_LAYERS)
        return rd_error(r, r->line, "'layers': %zu hidden layers (expected "
                        "0..%d)", net->layers, NN_MAX_LAYERS);
    PREF_TRY(rd_key(r, "hidden"));
    PREF_TRY(rd_count(r, "hidden", &v));
    if ((net->layers > 0 && v < 1) || v > POLICYIO_MAX_DIM)
        return rd_error(r, r->line, "'hidden': width %zu (expected 1..%zu)", v,
                        POLICYIO_MAX_DIM);
    net->hidden = v;
    PREF_TRY(rd_key(r, "activation"));
    t = rd_token(r);
    if (!t) return rd_error(r, r->line, "'activation': missing value");
    if (strcmp(t, "tanh") == 0) net->act = NN_TANH;
    else if (strcmp(t, "softplus") == 0) net->act = NN_SOFTPLUS;
    else return rd_error(r, r->line, "'activation': unknown activation "
                         "'%.40s' (expected tanh or softplus)", t);
    PREF_TRY(rd_end_of_line(r, "activation"));
    const char *why = nn_config_check(net);
    if (why) return rd_error(r, r->line, "network: %s", why);

    PREF_TRY(rd_key(r, "beta"));
    t = rd_token(r);
    if (!t) return rd_error(r, r->line, "'beta': missing value");
    PREF_TRY(rd_double(r, t, "'beta'", beta));
    if (!(*beta > 0))
        return rd_error(r, r->line, "'beta': %.17g is not positive", *beta);
    PREF_TRY(rd_end_of_line(r, "beta"));

    PREF_TRY(rd_key(r, "policies"));
    PREF_TRY(rd_count(r, "policies", K));
    if (*K < 1) return rd_error(r, r->line, "'policies': need at least 1");
    /* Before anything is allocated: each parameter takes a line of at
     * least 2 bytes, so the declared sizes must fit in the file. */
    *np = nn_num_params(net);
    if (*K > r->size / 2 || *np > r->size / 2 / *K)
        return rd_error(r, r->line, "truncated file: %zu policies of %zu "
                        "parameters (d %zu, layers %zu, hidden %zu) cannot "
                        "fit in %zu bytes", *K, *np, net->d, net->layers,
                        net->hidden, r->size);
    return PREF_OK;
}

static int rd_names_weights(reader *r, policy_set *s)
{
    PREF_TRY(rd_key(r, "names"));
    for (size_t k = 0; k < s->K; k++) {
        const char *t = rd_token(r);
        if (!t) return rd_error(r, r->line, "'names': %zu names for %zu "
                                "policies", k, s->K);
        const char *why = name_problem(t, POLICYIO_MAX_NAME);
        if (why) return rd_error(r, r->line, "'names': name %zu '%.40s': %s",
                                 k + 1, t, why);
        strcpy(s->names[k], t);
    }
    size_t a, b;
    int rep = find_repeat(s->names, s->K, &a, &b);
    if (rep < 0) PREF_ERROR(PREF_ENOMEM, "%s: out of memory", r->path);
    if (rep)
        return rd_error(r, r->line, "'names': name '%s' repeated (policies %zu "
                        "and %zu)", s->names[b], a + 1, b + 1);
    if (rd_token(r))
        return rd_error(r, r->line, "'names': more than %zu names", s->K);

    PREF_TRY(rd_key(r, "weights"));
    double sum = 0;
    for (size_t k = 0; k < s->K; k++) {
        const char *t = rd_token(r);
        if (!t) return rd_error(r, r->line, "'weights': %zu weights for %zu "
                                "policies", k, s->K);
        char what[64];
        snprintf(what, sizeof what, "'weights': weight %zu", k + 1);
        PREF_TRY(rd_double(r, t, what, &s->weights[k]));
        if (s->weights[k] < 0)
            return rd_error(r, r->line, "%s is negative: %.17g", what,
                            s->weights[k]);
        sum += s->weights[k];
    }
    if (rd_token(r))
        return rd_error(r, r->line, "'weights': more than %zu weights", s->K);
    if (fabs(sum - 1.0) > POLICYIO_WEIGHT_TOL)
        return rd_error(r, r->line, "'weights': sum to %.17g, not 1", sum);
    return PREF_OK;
}

static int rd_params(reader *r, policy_set *s)
{
    for (size_t k = 0; k < s->K; k++) {
        PREF_TRY(rd_key(r, "policy"));
        const char *t = rd_token(r);
        if (!t || strcmp(t, s->names[k]) != 0)
            return rd_error(r, r->line, "'policy': expected name '%s' (policy "
                            "%zu of 'names'), got '%.40s'", s->names[k], k + 1,
                            t ? t : "");
        PREF_TRY(rd_end_of_line(r, "policy"));
        double *p = s->params + k * s->n_params;
        for (size_t i = 0; i < s->n_params; i++) {
            if (!rd_line(r))
                return rd_error(r, r->line + 1, "truncated file: policy '%s' "
                                "has %zu of %zu parameters", s->names[k], i,
                                s->n_params);
            t = rd_token(r);
            char what[POLICYIO_MAX_NAME + 64];
            snprintf(what, sizeof what, "policy '%s' parameter %zu",
                     s->names[k], i + 1);
            if (!t) return rd_error(r, r->line, "%s: empty line", what);
            PREF_TRY(rd_double(r, t, what, &p[i]));
            if (rd_token(r))
                return rd_error(r, r->line, "%s: more than one number on the "
                                "line", what);
        }
    }
    PREF_TRY(rd_key(r, "end"));
    PREF_TRY(rd_end_of_line(r, "end"));
    const char *line;
    while ((line = rd_line(r)))
        if (rd_token(r)) return rd_error(r, r->line, "text after 'end'");
    return PREF_OK;
}

int policyio_read(const char *dir, policy_set **out)
{
    *out = NULL;
    char path[4096];
    PREF_TRY(fsutil_join(path, sizeof path, dir, POLICYIO_FILE));
    reader r;
    memset(&r, 0, sizeof r);
    r.path = path;
    PREF_TRY(fsutil_read_file(path, &r.buf, &r.size));
    r.next = r.size ? r.buf : NULL;
    if (r.size >= 3 && memcmp(r.buf, "\xEF\xBB\xBF", 3) == 0)
        r.next = r.buf + 3; /* a UTF-8 byte-order mark, as the CSV readers skip */
    int st = PREF_OK;
    char *nul = memchr(r.buf, '\0', r.size);
    if (nul) {
        size_t line = 1;
        for (const char *c = r.buf; c < nul; c++) line += *c == '\n';
        st = rd_error(&r, line, "NUL byte in a text file");
    }
    if (!st && r.size == 0) st = rd_error(&r, 1, "empty file");

    nn_config net;
    double beta = 0;
    size_t K = 0, np = 0;
    policy_set *s = NULL;
    if (!st) st = rd_header(&r, &net, &beta, &K, &np);
    if (!st) {
        int err;
        s = policy_set_alloc(&net, beta, K, &err);
        if (!s) {
            char why[512];
            snprintf(why, sizeof why, "%s", pref_last_error());
            st = pref_set_error(err, "%s: %s", path, why);
        }
    }
    if (!st) st = rd_names_weights(&r, s);
    if (!st) {
        st = rd_key(&r, "params");
        if (!st) st = rd_count(&r, "params", &np);
        if (!st && np != s->n_params)
            st = rd_error(&r, r.line, "'params': %zu parameters per policy, but "
                          "the network (d %zu, layers %zu, hidden %zu) has %zu",
                          np, net.d, net.layers, net.hidden, s->n_params);
    }
    if (!st) st = rd_params(&r, s);
    free(r.buf);
    if (st) {
        policy_set_free(s);
        return st;
    }
    *out = s;
    return PREF_OK;
}
