/* cfg.c — the configuration table, its INI parser, checks and dump.
 *
 * Everything is generated from cfg.def: the struct (cfg.h), a static table of
 * key metadata with each field's offset in the struct, the defaults, and the
 * dump. iniread.c does the INI syntax (inih's rules, lines of any length)
 * and gives the handler the line of every key. Integers go through strtoll with
 * full end-pointer checks, reals through numparse (the inputs' one syntax). */
#include "cfg.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>


#include "err.h"
#include "fsutil.h"
#include "iniread.h"
#include "numparse.h"

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

enum { T_INT, T_REAL, T_ENUM, T_LIST };
#define CFG_TYPE_INT T_INT
#define CFG_TYPE_REAL T_REAL
#define CFG_TYPE_ENUM T_ENUM
#define CFG_TYPE_LIST T_LIST

typedef struct key_info {
    const char *section, *key, *dotted;
    int type;
    const char *def;
    double lo, hi;
    const char *help;
    size_t offset;
} key_info;

static const key_info keys[CFG_NKEYS] = {
#define CFG(s, k, t, def, lo, hi, ch, help) \
    {#s, #k, #s "." #k, CFG_TYPE_##t, def, lo, hi, help, offsetof(cfg, s##_##k)},
#define CFGV(s, k, v)
#include "cfg.def"
#undef CFGV
#undef CFG
};

/* Every ENUM value: the key it belongs to and its text (cfg.def's CFGV). */
static const struct value_info {
    int key;
    const char *name;
} values[CFG_NVALUES] = {
#define CFG(s, k, t, def, lo, hi, ch, help)
#define CFGV(s, k, v) {CFG_KEY_##s##_##k, #v},
#include "cfg.def"
#undef CFGV
#undef CFG
};

const char *cfg_value_name(cfg_value v)
{
    return (int)v >= 0 && v < CFG_NVALUES ? values[v].name : "?";
}

/* "a|b|c": the values of ENUM key i, for messages and --help. */
static void enum_choices(int i, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int v = 0; v < CFG_NVALUES; v++) {
        if (values[v].key != i) continue;
        int w = snprintf(buf + used, n - used, "%s%s", used ? "|" : "",
                         values[v].name);
        if (w < 0 || (size_t)w >= n - used) break;
        used += (size_t)w;
    }
}

static const char *origin_name(const char *origin)
{
    return origin ? origin : "command line";
}

/* "FILE:LINE: " or "FILE: " or "command line: " prefix for messages. */
static void where(char *buf, size_t n, const char *origin, int line)
{
    if (line > 0) snprintf(buf, n, "%s:%d", origin_name(origin), line);
    else snprintf(buf, n, "%s", origin_name(origin));
}

int cfg_find(const char *dotted)
{
    for (int i = 0; i < CFG_NKEYS; i++)
        if (strcmp(keys[i].dotted, dotted) == 0) return i;
    return -1;
}

const char *cfg_key_name(int i) { return keys[i].dotted; }

static int section_known(const char *s)
{
    for (int i = 0; i < CFG_NKEYS; i++)
        if (strcmp(keys[i].section, s) == 0) return 1;
    return strcmp(s, "full") == 0;
}

/* ---- interned values (see cfg.h) --------------------------------------- */

typedef struct intern_node {
    struct intern_node *next;
    uint64_t hash;
    size_t len;
    double data[]; /* len bytes; double-typed so numbers are aligned */
} intern_node;

#define INTERN_BUCKETS 1024
static intern_node *intern_table[INTERN_BUCKETS];

/* The interned copy of len bytes (equal contents give the same pointer), or
 * NULL when out of memory. Safe to call from parallel sweep tasks. */
static const void *intern(const void *bytes, size_t len)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    const unsigned char *b = bytes;
    for (size_t i = 0; i < len; i++) h = (h ^ b[i]) * 1099511628211ULL;
    const void *found = NULL;
#pragma omp critical(hetpref_cfg_intern)
    {
        intern_node **slot = &intern_table[h % INTERN_BUCKETS];
        for (intern_node *n = *slot; n && !found; n = n->next)
            if (n->hash == h && n->len == len && memcmp(n->data, bytes, len) == 0)
                found = n->data;
        intern_node *n = found ? NULL : malloc(sizeof *n + len);
        if (n) {
            n->next = *slot;
            n->hash = h;
            n->len = len;
            memcpy(n->data, bytes, len);
            *slot = n;
            found = n->data;
        }
    }
    return found;
}

/* Trim leading/trailing white space in place; returns the start. */
static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
    return s;
}

/* Parse a list into out, its numbers interned. */
static int parse_list(const char *text, cfg_list *out, const key_info *k,
                      const char *w)
{
    size_t cap = 1;
    for (const char *q = text; *q; q++) cap += *q == ',' || *q == ';';
    char *buf = strdup(text);
    double *v = malloc(cap * sizeof *v);
    int st = buf && v ? PREF_OK : pref_set_error(PREF_ENOMEM, "out of memory");
    out->n = 0;
    out->rows = 0;
    out->v = NULL;
    size_t row_len = 0, first_len = 0;
    for (char *p = buf; !st;) {
        char *end = p + strcspn(p, ",;");
        char sep = *end;
        *end = '\0';
        char *tok = trim(p);
        double x = 0.0;
        int bad = *tok ? numparse_double(tok, strlen(tok), &x) : 0;
        if (*tok == '\0')
            st = pref_set_error(PREF_EINPUT, "%s: [%s] %s: empty number in list "
                                "'%s'", w, k->section, k->key, text);
        else if (bad)
            st = pref_set_error(PREF_EINPUT, "%s: [%s] %s: not a finite number: "
                                "'%s'", w, k->section, k->key, tok);
        else if (x < k->lo || x > k->hi)
            st = pref_set_error(PREF_EINPUT, "%s: [%s] %s: %g is outside [%g, %g]",
                                w, k->section, k->key, x, k->lo, k->hi);
        if (st) break;
        v[out->n++] = x;
        row_len++;
        if (sep != ',') {
            if (out->rows == 0) first_len = row_len;
            else if (row_len != first_len)
                st = pref_set_error(PREF_EINPUT, "%s: [%s] %s: row %zu has %zu "
                                    "numbers, row 1 has %zu", w, k->section,
                                    k->key, out->rows + 1, row_len, first_len);
            out->rows++;
            row_len = 0;
        }
        if (sep == '\0') break;
        p = end + 1;
    }
    if (!st && !(out->v = intern(v, out->n * sizeof *v)))
        st = pref_set_error(PREF_ENOMEM, "out of memory");
    free(buf);
    free(v);
    return st;
}

/* Parse t (trimmed) into a scratch value of key k, checking type and
 * range. */
static int parse_trimmed(const key_info *k, const char *t, void *dst,
                         const char *w)
{
    char *e;
    switch (k->type) {
    case T_INT: {
        errno = 0;
        long long v = strtoll(t, &e, 10);
        if (*t == '\0' || *e != '\0' || errno == ERANGE)
            PREF_ERROR(PREF_EINPUT, "%s: [%s] %s: not an integer: '%s'", w,
                       k->section, k->key, t);
        if ((double)v < k->lo || (double)v > k->hi)
            PREF_ERROR(PREF_EINPUT, "%s: [%s] %s: %lld is outside [%.0f, %.0f]",
                       w, k->section, k->key, v, k->lo, k->hi);
        *(long *)dst = (long)v;
        return PREF_OK;
    }
    case T_REAL: {
        double v = 0.0;
        if (numparse_double(t, strlen(t), &v) != 0)
            PREF_ERROR(PREF_EINPUT, "%s: [%s] %s: not a finite number: '%s'",
                       w, k->section, k->key, t);
        if (v < k->lo || v > k->hi)
            PREF_ERROR(PREF_EINPUT, "%s: [%s] %s: %g is outside [%g, %g]", w,
                       k->section, k->key, v, k->lo, k->hi);
        *(double *)dst = v;
        return PREF_OK;
    }
    case T_ENUM: {
        int i = (int)(k - keys);
        for (int v = 0; v < CFG_NVALUES; v++)
            if (values[v].key == i && strcmp(values[v].name, t) == 0) {
                *(cfg_value *)dst = (cfg_value)v;
                return PREF_OK;
            }
        char ch[512];
        enum_choices(i, ch, sizeof ch);
        PREF_ERROR(PREF_EINPUT, "%s: [%s] %s: '%s' is not one of %s", w,
                   k->section, k->key, t, ch);
    }
    case T_LIST:
        return parse_list(t, (cfg_list *)dst, k, w);
    }
    PREF_ERROR(PREF_EINTERNAL, "bad key type");
}

/* Parse text (any length; surrounding blanks ignored) into a scratch value
 * of key k. */
static int parse_value(const key_info *k, const char *text, void *dst,
                       const char *w)
{
    char *buf = strdup(text);
    if (!buf) PREF_ERROR(PREF_ENOMEM, "out of memory");
    int st = parse_trimmed(k, trim(buf), dst, w);
    free(buf);
    return st;
}

static int set_key(cfg *c, int i, const char *value, const char *origin,
                   int line);

/* Scenario presets (population.preset): set the keys they stand for, as if
 * written at the preset's line. */
static int apply_preset(cfg *c, const char *origin, int line)
{
    static const struct { cfg_value id; const char *kv[4][2]; } presets[] = {
        {CFG_population_preset_two_traits, {{"population.kind", "traits"}, {"population.types", "2"},
                        {"population.eta", "0.75, 0.25"}, {"fit.types", "2"}}},
        {CFG_population_preset_four_groups, {{"population.kind", "teacher"}, {"population.types", "4"},
                         {"population.eta", "0.4, 0.3, 0.2, 0.1"},
                         {"fit.types", "4"}}},
    };
    for (size_t p = 0; p < sizeof presets / sizeof presets[0]; p++) {
        if (c->population_preset != presets[p].id) continue;
        for (size_t j = 0; j < 4; j++)
            PREF_TRY(set_key(c, cfg_find(presets[p].kv[j][0]), presets[p].kv[j][1],
                             origin, line));
    }
    return PREF_OK;
}

static int set_key(cfg *c, int i, const char *value, const char *origin,
                   int line)
{
    char w[1200];
    where(w, sizeof w, origin, line);
    const key_info *k = &keys[i];
    /* Parse into scratch first so a failed set leaves c unchanged. */
    union { long i; double r; cfg_value e; cfg_list l; } scratch;
    void *tmp = &scratch;
    PREF_TRY(parse_value(k, value, tmp, w));
    char *dst = (char *)c + k->offset;
    switch (k->type) {
    case T_INT: memcpy(dst, tmp, sizeof(long)); break;
    case T_REAL: memcpy(dst, tmp, sizeof(double)); break;
    case T_ENUM: memcpy(dst, tmp, sizeof(cfg_value)); break;
    case T_LIST: memcpy(dst, tmp, sizeof(cfg_list)); break;
    }
    c->line[i] = line;
    if (i == CFG_KEY_population_preset) return apply_preset(c, origin, line);
    return PREF_OK;
}

void cfg_init(cfg *c)
{
    memset(c, 0, sizeof *c);
    for (int i = 0; i < CFG_NKEYS; i++) {
        int s = set_key(c, i, keys[i].def, "cfg.def", 0);
        (void)s; /* defaults are valid by construction (tests/test_cfg.c) */
    }
}

int cfg_set(cfg *c, const char *section, const char *key, const char *value,
            const char *origin, int line)
{
    char w[1200];
    where(w, sizeof w, origin, line);
    char dotted[160];
    snprintf(dotted, sizeof dotted, "%s.%s", section, key);
    int i = cfg_find(dotted);
    if (i < 0) {
        if (!section_known(section) && strcmp(section, "sweep") != 0)
            PREF_ERROR(PREF_EINPUT, "%s: unknown section [%s]", w, section);
        PREF_ERROR(PREF_EINPUT, "%s: unknown key '%s' in [%s]", w, key,
                   section);
    }
    return set_key(c, i, value, origin, line);
}

int cfg_set_dotted(cfg *c, const char *dotted, const char *value,
                   const char *origin, int line)
{
    char w[1200];
    where(w, sizeof w, origin, line);
    int i = cfg_find(dotted);
    if (i < 0)
        PREF_ERROR(PREF_EINPUT, "%s: unknown key '%s' (expected section.key)",
                   w, dotted);
    return set_key(c, i, value, origin, line);
}

/* ---- INI parsing ----------------------------------------------------- */

typedef struct parse_ctx {
    cfg *c;
    FILE *f;
    int line;         /* line of the current key */
    int err;          /* first error code */
    char msg[1400];   /* first error message */
    unsigned char seen[CFG_NKEYS];
} parse_ctx;

static int fail(parse_ctx *p, int code)
{
    if (!p->err) {
        p->err = code;
        snprintf(p->msg, sizeof p->msg, "%s", pref_last_error());
    }
    return 0;
}

static int add_extra(parse_ctx *p, cfg_extra *x, const char *section,
                     const char *name, const char *value, int is_sweep)
{
    cfg *c = p->c;
    char w[1200];
    where(w, sizeof w, c->file, p->line);
    int i = cfg_find(name);
    if (i < 0)
        return fail(p, pref_set_error(PREF_EINPUT,
            "%s: unknown key '%s' in [%s] (expected section.key)", w, name,
            section));
    if ((is_sweep && strcmp(keys[i].section, "sweep") == 0) || (is_sweep && strcmp(keys[i].section, "run") == 0))
        return fail(p, pref_set_error(PREF_EINPUT,
            "%s: [%s] %s: this key cannot be swept", w, section, name));
    for (size_t j = 0; j < x->n; j++)
        if (x->e[j].key == i)
            return fail(p, pref_set_error(PREF_EINPUT,
                "%s: [%s] %s: given twice (first on line %d)", w, section,
                name, x->e[j].line));
    if (x->n >= CFG_EXTRA_MAX)
        return fail(p, pref_set_error(PREF_EINPUT, "%s: [%s]: more than %d entries",
                                      w, section, CFG_EXTRA_MAX));
    /* Check every value parses now, so errors point at this line. */
    char *buf = strdup(value);
    if (!buf) return fail(p, pref_set_error(PREF_ENOMEM, "out of memory"));
    int st = PREF_OK;
    for (char *s = buf; !st;) {
        char *bar = is_sweep ? strchr(s, '|') : NULL;
        if (bar) *bar = '\0';
        union { long i; double r; cfg_value e; cfg_list l; } scratch;
        char *t = trim(s);
        if (*t == '\0')
            st = pref_set_error(PREF_EINPUT, "%s: [%s] %s: empty value in list",
                                w, section, name);
        else
            st = parse_value(&keys[i], t, &scratch, w);
        if (!bar) break;
        s = bar + 1;
    }
    free(buf);
    const char *text = st ? NULL : intern(value, strlen(value) + 1);
    if (!st && !text) st = pref_set_error(PREF_ENOMEM, "out of memory");
    if (st) return fail(p, st);
    cfg_entry *e = &x->e[x->n++];
    e->key = i;
    e->line = p->line;
    e->value = text;
    return 1;
}

const char *cfg_intern_text(const char *s)
{
    return intern(s, strlen(s) + 1);
}

/* An input line "SIZE SHA256 PATH": digits, 64 hex digits, a non-empty
 * path. */
static int prov_input_ok(const char *v)
{
    size_t n = strspn(v, "0123456789");
    if (n == 0 || v[n] != ' ') return 0;
    v += n + 1;
    if (strspn(v, "0123456789abcdef") != 64 || v[64] != ' ') return 0;
    return v[65] != '\0';
}

/* [provenance]: version and command once each, input repeatable. */
static int prov_entry(parse_ctx *p, const char *name, const char *value)
{
    cfg_prov *pv = &p->c->prov;
    char w[1200];
    where(w, sizeof w, p->c->file, p->line);
    const char **slot = !strcmp(name, "version") ? &pv->version
                      : !strcmp(name, "command") ? &pv->command : NULL;
    if (!slot && strcmp(name, "input") != 0)
        return fail(p, pref_set_error(PREF_EINPUT, "%s: unknown key '%s' in "
                                      "[provenance] (version, command, input)",
                                      w, name));
    if (slot && *slot)
        return fail(p, pref_set_error(PREF_EINPUT, "%s: [provenance] %s: "
                                      "given twice", w, name));
    if (!slot && (!prov_input_ok(value) || pv->n_inputs >= CFG_EXTRA_MAX))
        return fail(p, pref_set_error(PREF_EINPUT, "%s: [provenance] input: "
                                      "expected 'SIZE SHA256 PATH' (at most %d)",
                                      w, CFG_EXTRA_MAX));
    const char *text = cfg_intern_text(value);
    if (!text) return fail(p, pref_set_error(PREF_ENOMEM, "out of memory"));
    if (slot) *slot = text;
    else pv->input[pv->n_inputs++] = text;
    if (slot == &pv->command) pv->command_line = p->line;
    return 1;
}

static int handler(void *user, int line, const char *section, const char *name,
                   const char *value)
{
    parse_ctx *p = user;
    p->line = line;
    cfg *c = p->c;
    if (p->err) return 1; /* report the first error only */
    char w[1200];
    where(w, sizeof w, c->file, p->line);
    if (strcmp(section, "sweep") == 0 && strchr(name, '.'))
        return add_extra(p, &c->sweep, section, name, value, 1);
    if (strcmp(section, "full") == 0)
        return add_extra(p, &c->full, section, name, value, 0);
    if (strcmp(section, "provenance") == 0) return prov_entry(p, name, value);
    if (!section_known(section))
        return fail(p, pref_set_error(PREF_EINPUT, "%s: unknown section [%s]",
                                      w, section));
    char dotted[160];
    snprintf(dotted, sizeof dotted, "%s.%s", section, name);
    int i = cfg_find(dotted);
    if (i < 0)
        return fail(p, pref_set_error(PREF_EINPUT,
                                      "%s: unknown key '%s' in [%s]", w, name,
                                      section));
    if (p->seen[i])
        return fail(p, pref_set_error(PREF_EINPUT,
            "%s: [%s] %s: given twice (first on line %d)", w, section, name,
            c->line[i]));
    p->seen[i] = 1;
    if (set_key(c, i, value, c->file, p->line) != PREF_OK)
        return fail(p, PREF_EINPUT);
    return 1;
}

int cfg_load(cfg *c, const char *path)
{
    parse_ctx p;
    memset(&p, 0, sizeof p);
    p.c = c;
    snprintf(c->file, sizeof c->file, "%s", path);
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
        PREF_ERROR(PREF_EINPUT, "%s: is a directory, not a config file", path);
    p.f = fopen(path, "r");
    if (!p.f) {
        int e = errno;
        PREF_ERROR(e == ENOENT ? PREF_EINPUT : PREF_EIO, "%s: cannot open: %s",
                   path, strerror(e));
    }
    int rc = iniread_stream(p.f, handler, &p);
    fclose(p.f);
    if (p.err) PREF_ERROR(p.err, "%s", p.msg);
    if (rc > 0)
        PREF_ERROR(PREF_EINPUT, "%s:%d: syntax error (expected [section] or "
                   "key = value)", path, rc);
    if (rc == -2) PREF_ERROR(PREF_ENOMEM, "%s: out of memory", path);
    if (rc < 0) PREF_ERROR(PREF_EIO, "%s: cannot read", path);
    return cfg_check(c);
}

/* ---- cross-key checks ------------------------------------------------- */

static void key_where(const cfg *c, int i, char *buf, size_t n)
{
    if (c->line[i] > 0) snprintf(buf, n, "%s:%d", c->file, c->line[i]);
    else if (c->file[0]) snprintf(buf, n, "%s", c->file);
    else snprintf(buf, n, "config");
}

/* PREF_EINPUT "WHERE: [section] key: why" about key, WHERE the place where
 * key `at` was set (key_where); origin file:line as PREF_ERROR records it. */
static int key_verror(const char *file, int line, const cfg *c, int key,
                      int at, const char *fmt, va_list ap)
{
    char w[1200], m[1000];
    key_where(c, at, w, sizeof w);
    vsnprintf(m, sizeof m, fmt, ap);
    return pref_set_error_at(file, line, PREF_EINPUT, "%s: [%s] %s: %s", w,
                             keys[key].section, keys[key].key, m);
}

int cfg_error_at(const char *file, int line, const cfg *c, int key,
                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int st = key_verror(file, line, c, key, key, fmt, ap);
    va_end(ap);
    return st;
}

/* Same about key i, placed where key alt was set when i kept its default (the
 * mismatch was then caused by alt, e.g. types without eta). */
static int error2_at(const char *file, int line, const cfg *c, int i, int alt,
                     const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static int error2_at(const char *file, int line, const cfg *c, int i, int alt,
                     const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int st = key_verror(file, line, c, i, c->line[i] > 0 ? i : alt, fmt, ap);
    va_end(ap);
    return st;
}

#define CHECK_FAIL2(i, alt, ...) \
    return error2_at(__FILE__, __LINE__, c, (i), (alt), __VA_ARGS__)
#define CHECK_FAIL(i, ...) CFG_ERROR(c, (i), __VA_ARGS__)

/* A list that must have d numbers (or 1, broadcast). */
static int check_vec(const cfg *c, int i, const cfg_list *l, long d)
{
    if (l->n != 1 && l->n != (size_t)d)
        CHECK_FAIL(i, "has %zu numbers; design.d = %ld needs %ld (or 1)", l->n,
                   d, d);
    return PREF_OK;
}

/* Mixing weights: types_key's count of them, summing to 1. */
static int check_eta(const cfg *c, int eta_key, int types_key,
                     const cfg_list *eta, long K)
{
    if (eta->n != (size_t)K)
        CHECK_FAIL2(eta_key, types_key, "has %zu numbers; types = %ld", eta->n, K);
    double s = 0.0;
    for (size_t k = 0; k < eta->n; k++) s += eta->v[k];
    if (fabs(s - 1.0) > 1e-9) CHECK_FAIL(eta_key, "sums to %.17g, not 1", s);
    return PREF_OK;
}

/* A latent-class population (the main one or [compare]): K weights and a
 * K x d matrix of coefficients. */
static int check_latent_class(const cfg *c, int eta_key, int types_key,
                              int theta_key, const cfg_list *eta,
                              const cfg_list *theta, long K)
{
    long d = c->design_d;
    PREF_TRY(check_eta(c, eta_key, types_key, eta, K));
    if (theta->rows != (size_t)K)
        CHECK_FAIL2(theta_key, types_key, "has %zu rows; types = %ld",
                    theta->rows, K);
    if (theta->n != (size_t)(K * d))
        CHECK_FAIL2(theta_key, CFG_KEY_design_d,
                    "rows have %zu numbers; design.d = %ld", theta->n / theta->rows,
                    d);
    return PREF_OK;
}

/* A Gaussian population's covariance: 1 variance, d variances, or a
 * symmetric d x d matrix (positive definiteness is checked by the Cholesky
 * in sim.c). */
static int check_cov(const cfg *c)
{
    long d = c->design_d;
    const cfg_list *v = &c->population_cov;
    if (v->n == 1) {
        if (!(v->v[0] > 0)) CHECK_FAIL(CFG_KEY_population_cov, "variance must be > 0");
    } else if (v->n == (size_t)d && v->rows == 1) {
        for (size_t k = 0; k < v->n; k++)
            if (!(v->v[k] > 0))
                CHECK_FAIL(CFG_KEY_population_cov,
                           "diagonal entry %zu must be > 0", k + 1);
    } else if (v->n == (size_t)(d * d) && v->rows == (size_t)d) {
        for (long a = 0; a < d; a++)
            for (long b = 0; b < a; b++)
                if (v->v[a * d + b] != v->v[b * d + a])
                    CHECK_FAIL(CFG_KEY_population_cov,
                               "not symmetric at (%ld, %ld)", a + 1, b + 1);
    } else {
        CHECK_FAIL(CFG_KEY_population_cov,
                   "needs 1 number, %ld numbers or %ld rows of %ld", d, d, d);
    }
    return PREF_OK;
}

/* The nonlinear (EM-DPO) populations: weights, and enough features for
 * one trait per type. */
static int check_nonlinear(const cfg *c)
{
    long d = c->design_d, K = c->population_types;
    cfg_value kind = c->population_kind;
    if (kind != CFG_population_kind_traits && kind != CFG_population_kind_teacher)
        return PREF_OK;
    PREF_TRY(check_eta(c, CFG_KEY_population_eta, CFG_KEY_population_types,
                       &c->population_eta, K));
    if (kind == CFG_population_kind_traits && K > d)
        CHECK_FAIL(CFG_KEY_population_types,
                   "traits: %ld types need d >= %ld (design.d = %ld)", K, K, d);
    return PREF_OK;
}

/* The linear populations ([population] and [compare]) against design.d. */
static int check_populations(const cfg *c)
{
    long d = c->design_d, K = c->population_types;
    cfg_value kind = c->population_kind;
    if (kind == CFG_population_kind_latent_class)
        PREF_TRY(check_latent_class(c, CFG_KEY_population_eta,
                                    CFG_KEY_population_types,
                                    CFG_KEY_population_theta, &c->population_eta,
                                    &c->population_theta, K));
    if (kind == CFG_population_kind_polarised)
        PREF_TRY(check_vec(c, CFG_KEY_population_b, &c->population_b, d));
    if (c->compare_kind == CFG_compare_kind_latent_class)
        PREF_TRY(check_latent_class(c, CFG_KEY_compare_eta, CFG_KEY_compare_types,
                                    CFG_KEY_compare_theta, &c->compare_eta,
                                    &c->compare_theta, c->compare_types));
    if (c->compare_kind == CFG_compare_kind_polarised)
        PREF_TRY(check_vec(c, CFG_KEY_compare_b, &c->compare_b, d));
    if (kind == CFG_population_kind_gaussian) {
        PREF_TRY(check_vec(c, CFG_KEY_population_mean, &c->population_mean, d));
        PREF_TRY(check_cov(c));
    }
    return PREF_OK;
}

int cfg_check(const cfg *c)
{
    long d = c->design_d, m = cfg_m(c);
    PREF_TRY(check_nonlinear(c));
    if (c->design_test_prompts > 0 && c->design_prompts == 0)
        CHECK_FAIL(CFG_KEY_design_test_prompts, "needs design.prompts > 0");
    if (c->design_ref_quality.n != 1 && c->design_ref_quality.n != (size_t)d)
        CHECK_FAIL(CFG_KEY_design_ref_quality,
                   "has %zu numbers; design.d = %ld needs %ld (or 1)",
                   c->design_ref_quality.n, d, d);
    PREF_TRY(check_populations(c));
    if (c->design_answer == CFG_design_answer_topk && c->design_r >= m)
        CHECK_FAIL(CFG_KEY_design_r, "r = %ld must be below m = %ld",
                   c->design_r, m);
    if (c->design_budget > 0 && c->design_budget < c->design_T)
        CHECK_FAIL(CFG_KEY_design_budget, "budget %ld is below T = %ld",
                   c->design_budget, c->design_T);
    if (c->fit_warm_users > 0 && c->fit_warm_users < 100)
        CHECK_FAIL(CFG_KEY_fit_warm_users, "%ld: 0 (off) or at least 100",
                   c->fit_warm_users);
    if (c->design_prompts > 0 && c->design_pool < m)
        CHECK_FAIL(CFG_KEY_design_pool, "pool = %ld is smaller than m = %ld",
                   c->design_pool, m);
    return PREF_OK;
}

long cfg_m(const cfg *c)
{
    return c->design_answer == CFG_design_answer_pair ? 2 : c->design_m;
}

long cfg_r(const cfg *c)
{
    cfg_value a = c->design_answer;
    if (a == CFG_design_answer_topk) return c->design_r;
    if (a == CFG_design_answer_full) return cfg_m(c) - 1;
    return 1;
}

/* ---- dump -------------------------------------------------------------- */

/* Shortest "%.Ng" (N = 15..17) that reads back as exactly v: exact like
 * "%.17g" but 0.6 stays "0.6" in a file people read and edit. */
static int fmt_real(char *buf, size_t n, double v)
{
    int w = 0;
    for (int prec = 15; prec <= 17; prec++) {
        w = snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) break;
    }
    return w;
}

/* Write key i's value to f in the config.ini format. */
static void put_value(FILE *f, const cfg *c, int i)
{
    const key_info *k = &keys[i];
    const char *src = (const char *)c + k->offset;
    char num[64];
    switch (k->type) {
    case T_INT: fprintf(f, "%ld", *(const long *)src); break;
    case T_REAL:
        fmt_real(num, sizeof num, *(const double *)src);
        fputs(num, f);
        break;
    case T_ENUM: fputs(cfg_value_name(*(const cfg_value *)src), f); break;
    case T_LIST: {
        const cfg_list *l = (const cfg_list *)src;
        size_t per = l->rows ? l->n / l->rows : l->n;
        for (size_t j = 0; j < l->n; j++) {
            fmt_real(num, sizeof num, l->v[j]);
            fprintf(f, "%s%s", j == 0 ? "" : (j % per == 0 ? "; " : ", "), num);
        }
        break;
    }
    }
}

void cfg_format(const cfg *c, int i, char *buf, size_t n)
{
    FILE *f = fmemopen(buf, n, "w");
    if (!f) {
        if (n) buf[0] = '\0';
        return;
    }
    setvbuf(f, NULL, _IONBF, 0);
    put_value(f, c, i);
    fclose(f); /* fmemopen keeps buf NUL-terminated, cutting what does not fit */
}

/* What the keys of each section are to a simulation (cfg_key_defines_data):
 * 1 = they define the simulated data, 0 = only how they are analysed. */
static const struct {
    const char *section;
    int data;
} section_role[] = {
    {"run", 1},         /* the master seed */
    {"population", 1},  /* who answers */
    {"compare", 1},     /* the second population of `identify` */
    {"design", 1},      /* what is asked, of how many users */
    {"identify", 1},    /* how many random query designs are drawn */
    {"calibration", 1}, /* how many designs and answers are simulated */
    {"fit", 0},         /* the latent-class estimator */
    {"emdpo", 0},       /* the EM-DPO estimator (but test_users, below) */
    {"mmra", 0},        /* the aggregation solver */
    {"npmle", 0},       /* the grid NPMLE estimator */
    {"sweep", 0},       /* the task and the number of replicates */
};

/* Keys whose role differs from their section's. */
static const struct {
    const char *dotted;
    int data;
} key_role[] = {
    {"emdpo.test_users", 1}, /* held-out users simulated for evaluation */
};

int cfg_key_defines_data(int i)
{
    for (size_t j = 0; j < sizeof key_role / sizeof key_role[0]; j++)
        if (strcmp(keys[i].dotted, key_role[j].dotted) == 0) return key_role[j].data;
    for (size_t j = 0; j < sizeof section_role / sizeof section_role[0]; j++)
        if (strcmp(keys[i].section, section_role[j].section) == 0)
            return section_role[j].data;
    return -1;
}

char *cfg_data_text(const cfg *c)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f) return NULL;
    for (int i = 0; i < CFG_NKEYS; i++) {
        if (cfg_key_defines_data(i) == 0) continue;
        fprintf(f, "%s = ", keys[i].dotted);
        put_value(f, c, i);
        fputc('\n', f);
    }
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        free(buf);
        return NULL;
    }
    return buf;
}

static void write_prov(const cfg_prov *pv, FILE *f)
{
    if (!pv->command) return;
    fprintf(f, "\n[provenance]\n");
    if (pv->version) fprintf(f, "version = %s\n", pv->version);
    fprintf(f, "command = %s\n", pv->command);
    for (size_t j = 0; j < pv->n_inputs; j++)
        fprintf(f, "input = %s\n", pv->input[j]);
}

int cfg_write_keys(const cfg *c, FILE *f, int (*keep)(int key, void *ctx),
                   void *ctx)
{
    fprintf(f, "; resolved configuration written by hetpref %s\n"
               "; every key is spelled out; feed this file back to rerun\n",
            PACKAGE_VERSION);
    const char *sec = "";
    for (int i = 0; i < CFG_NKEYS; i++) {
        if (!keep || keep(i, ctx)) {
            if (strcmp(sec, keys[i].section) != 0) {
                sec = keys[i].section;
                fprintf(f, "\n[%s]\n", sec);
            }
            fprintf(f, "%s = ", keys[i].key);
            put_value(f, c, i);
            fputc('\n', f);
        }
        /* The entries follow the last key of [sweep], when it was written. */
        if (strcmp(sec, "sweep") == 0 && !strcmp(keys[i].section, "sweep") &&
            (i + 1 == CFG_NKEYS || strcmp(keys[i + 1].section, "sweep")))
            for (size_t j = 0; j < c->sweep.n; j++)
                fprintf(f, "%s = %s\n", keys[c->sweep.e[j].key].dotted,
                        c->sweep.e[j].value);
    }
    if (c->full.n) {
        fprintf(f, "\n[full]\n");
        for (size_t j = 0; j < c->full.n; j++)
            fprintf(f, "%s = %s\n", keys[c->full.e[j].key].dotted,
                    c->full.e[j].value);
    }
    write_prov(&c->prov, f);
    return ferror(f) ? pref_set_error(PREF_EIO, "config write failed") : PREF_OK;
}

int cfg_write(const cfg *c, FILE *f)
{
    return cfg_write_keys(c, f, NULL, NULL);
}

int cfg_write_file(const cfg *c, const char *dir)
{
    char path[4096];
    PREF_TRY(fsutil_join(path, sizeof path, dir, "config.ini"));
    fsutil_file o;
    PREF_TRY(fsutil_open(&o, path));
    int s = cfg_write(c, o.f);
    if (s != PREF_OK) {
        fsutil_abort(&o);
        return s;
    }
    return fsutil_commit(&o);
}

void cfg_help(FILE *f)
{
    const char *sec = "";
    for (int i = 0; i < CFG_NKEYS; i++) {
        if (strcmp(sec, keys[i].section) != 0) {
            sec = keys[i].section;
            fprintf(f, "\n[%s]\n", sec);
        }
        fprintf(f, "  %-16s default %-22s %s", keys[i].key, keys[i].def,
                keys[i].help);
        if (keys[i].type == T_ENUM) {
            char ch[512];
            enum_choices(i, ch, sizeof ch);
            fprintf(f, " (%s)", ch);
        }
        fputc('\n', f);
    }
    fprintf(f, "\n[sweep] also takes section.key = v1 | v2 | ... (one cell per "
               "combination)\n[full] takes section.key = value overrides for "
               "`reproduce --full`\n");
}
