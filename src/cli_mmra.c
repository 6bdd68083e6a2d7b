/* cli_mmra.c — `hetpref mmra` (see cli_mmra.h).
 *
 * Three ways in, one game out:
 *   --regret R.csv             a K x J regret matrix (any shape, R >= 0);
 *   --values L.csv             a square value matrix L, R_ij = c_i (L_ii -
 *                              L_ij) with --weights c (default all 1);
 *   --policies DIR --data CSV  policies.txt (policyio.h) evaluated exactly
 *                              on the data's prompt pools (mmra_game.h)
 *                              into L, then as --values.
 * The matrix files are "type,<policy names>" then one row per type, read
 * with libcsv (strict mode, fed one physical line at a time so every record
 * knows its line) and validated completely before anything is solved:
 * every problem is an input error (exit 2) naming FILE:LINE and the column,
 * and nothing is written. Flags are checked the same way.
 *
 * The command is parse flags -> validate them -> build the game -> solve
 * (mmra.h) -> write, in DIR (default results/mmra): the six result tables
 * of mmraout.h, each written to a temporary and renamed only after every
 * table was written successfully, then config.ini (the resolved [mmra]
 * keys and the command line).
 *
 * Not here: the mathematics (mmra.c, pool.c), the policies -> pools -> L
 * -> R pipeline (mmra_game.c), the result tables (mmraout.c), the policy
 * file (policyio.c). */
#include "cli_mmra.h"
#include "cfg.h"
#include "cliutil.h"

#include <csv.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "fsutil.h"
#include "mmra.h"
#include "mmra_game.h"
#include "mmraout.h"

#define MX_CHUNK 65536   /* read buffer (bytes) */
#define MX_SHOW 40       /* bytes of a bad field quoted in messages */
#define WORST_ROW MMRA_GAME_WORST

static const char usage_mmra[] =
    "usage: hetpref mmra --regret R.csv [options]\n"
    "       hetpref mmra --values L.csv [--weights c1,...,cK] [options]\n"
    "       hetpref mmra --policies DIR --data CSV [--weights c1,...,cK] [options]\n"
    "options: [--solver lp|hedge] [--iters N] [--step S] [--eta e1,...,eK]\n"
    "         [-o DIR]\n"
    "\n"
    "Min-max regret aggregation (SPEC section 5): the mixture w of policies\n"
    "minimising the worst type's regret max_k sum_j w_j R_kj, by GLPK's simplex\n"
    "(--solver lp, default) or optimistic Hedge for both players (--solver\n"
    "hedge, --iters rounds, default 100000, --step relative step, default 1).\n"
    "\n"
    "--regret R.csv: header 'type,<policy names>', one row per type, entries\n"
    "  the regrets R_kj >= 0 (any number of types and policies).\n"
    "--values L.csv: the same layout, square: L_ij is type i's value (implicit\n"
    "  reward) of policy j, and the i-th row's type must carry the same name as\n"
    "  the i-th policy column (policy i is type i's own policy). Then\n"
    "  R_ij = c_i (L_ii - L_ij) with --weights c (positive; default all 1).\n"
    "--policies DIR --data CSV: DIR/policies.txt (hetpref fit --model emdpo)\n"
    "  and preference data with a prompt column; L is computed exactly over\n"
    "  each prompt's pool of candidates (the distinct items of its queries).\n"
    "--eta: type weights of the utilitarian aggregator (>= 0; default the\n"
    "  policies' weights with --policies, else uniform).\n"
    "\n"
    "Writes DIR/weights.csv (policy,weight), DIR/regrets.csv (type,regret),\n"
    "DIR/summary.csv (solver,worst_regret,iterations), DIR/duals.csv\n"
    "(type,dual: which types bind), DIR/aggregators.csv (aggregator,type,regret\n"
    "for each single policy, utilitarian, uniform, maxmin_utility and mmra, with\n"
    "a 'worst' row each) and DIR/aggregator_weights.csv (aggregator,policy,\n"
    "weight). maxmin_utility maximises the worst type's value L; with --regret\n"
    "(no values) the utilities are -R and it coincides with MMRA.\n"
    "DIR defaults to results/mmra. Bad input: exit 2, nothing written.\n";

/* The matrix reader below (mx_*, read_matrix) keeps its own names for the
 * number parser and the game while it waits to move onto the common CSV
 * reader (issue 9). */
#define parse_number cli_parse_number
typedef mmra_game game;

/* ---- reading a labelled matrix with libcsv ------------------------------------------ */

typedef struct mx_reader {
    const char *path;
    int values;          /* 1: --values (square, names match); 0: --regret */
    size_t line;         /* physical line being fed (1-based) */
    size_t row_line;     /* line where the current record started */
    size_t end_line;     /* line where the last complete record ended */
    size_t header_line;
    /* fields of the current record: NUL-terminated strings in buf */
    char *buf;
    size_t len, cap;
    size_t *foff;
    size_t nf, fcap;
    int nul;             /* a field of this record contains a NUL byte */
    int status;
    size_t rows, rcap;   /* type rows so far */
    game *g;
} mx_reader;

static int mx_error(const mx_reader *r, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int mx_error(const mx_reader *r, size_t line, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    PREF_ERROR(PREF_EINPUT, "%s:%zu: %s", r->path, line, msg);
}

static int mx_nomem(const mx_reader *r)
{
    PREF_ERROR(PREF_ENOMEM, "%s: out of memory", r->path);
}

static void mx_field(void *s, size_t len, void *data)
{
    mx_reader *r = data;
    if (r->status) return;
    if (r->nf == 0) {
        r->row_line = r->line;
        r->len = 0;
        r->nul = 0;
    }
    if (r->nf == r->fcap) {
        size_t nc = r->fcap ? 2 * r->fcap : 16;
        size_t *p = realloc(r->foff, nc * sizeof *p);
        if (!p) {
            r->status = mx_nomem(r);
            return;
        }
        r->foff = p;
        r->fcap = nc;
    }
    if (r->len + len + 1 > r->cap) {
        size_t nc = r->cap ? r->cap : 256;
        while (nc < r->len + len + 1) nc *= 2;
        char *p = realloc(r->buf, nc);
        if (!p) {
            r->status = mx_nomem(r);
            return;
        }
        r->buf = p;
        r->cap = nc;
    }
    /* A UTF-8 byte-order mark before the header is ignored (as csvio.c). */
    if (!r->g->policies && r->nf == 0 && len >= 3 &&
        memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
        s = (char *)s + 3;
        len -= 3;
    }
    if (len && memchr(s, '\0', len)) r->nul = 1;
    if (len) memcpy(r->buf + r->len, s, len);
    r->buf[r->len + len] = '\0';
    r->foff[r->nf++] = r->len;
    r->len += len + 1;
}

static const char *mx_get(const mx_reader *r, size_t i) { return r->buf + r->foff[i]; }

static int mx_header(mx_reader *r)
{
    game *g = r->g;
    r->header_line = r->row_line;
    if (strcmp(mx_get(r, 0), "type") != 0)
        return mx_error(r, r->row_line, "header: first column must be 'type', "
                        "got '%.*s'", MX_SHOW, mx_get(r, 0));
    if (r->nf < 2)
        return mx_error(r, r->row_line, "header: no policy columns after "
                        "'type'");
    g->J = r->nf - 1;
    g->policies = calloc(g->J, sizeof *g->policies);
    if (!g->policies) return mx_nomem(r);
    for (size_t j = 0; j < g->J; j++) {
        const char *s = mx_get(r, j + 1);
        if (!*s) return mx_error(r, r->row_line, "header: policy column %zu "
                                 "has an empty name", j + 1);
        for (size_t i = 0; i < j; i++)
            if (strcmp(g->policies[i], s) == 0)
                return mx_error(r, r->row_line, "header: policy '%.*s' "
                                "repeated (columns %zu and %zu)", MX_SHOW, s,
                                i + 2, j + 2);
        if (!(g->policies[j] = strdup(s))) return mx_nomem(r);
    }
    return PREF_OK;
}

static int mx_row(mx_reader *r)
{
    game *g = r->g;
    size_t J = g->J, k = r->rows;
    if (r->nf != J + 1)
        return mx_error(r, r->row_line, "expected %zu fields (as in the "
                        "header), got %zu", J + 1, r->nf);
    const char *name = mx_get(r, 0);
    if (!*name) return mx_error(r, r->row_line, "column 'type': empty type name");
    if (strcmp(name, WORST_ROW) == 0)
        return mx_error(r, r->row_line, "column 'type': the name '%s' is "
                        "reserved (aggregators.csv uses it for the worst-type "
                        "row)", WORST_ROW);
    for (size_t i = 0; i < k; i++)
        if (strcmp(g->types[i], name) == 0)
            return mx_error(r, r->row_line, "column 'type': type '%.*s' "
                            "repeated (rows %zu and %zu)", MX_SHOW, name, i + 1,
                            k + 1);
    if (r->values) {
        if (k >= J)
            return mx_error(r, r->row_line, "more type rows than policy "
                            "columns (%zu): --values needs a square L, one "
                            "policy per type", J);
        if (strcmp(name, g->policies[k]) != 0)
            return mx_error(r, r->row_line, "column 'type': row %zu is type "
                            "'%.*s' but policy column %zu is '%.*s' (--values: "
                            "policy i is type i's own policy, so row i and "
                            "column i must carry the same name)", k + 1, MX_SHOW,
                            name, k + 1, MX_SHOW, g->policies[k]);
    }
    if (k == r->rcap) {
        size_t nc = r->rcap ? 2 * r->rcap : 16;
        char **t = realloc(g->types, nc * sizeof *t);
        if (!t) return mx_nomem(r);
        g->types = t;
        if (nc > SIZE_MAX / sizeof(double) / J) return mx_nomem(r);
        double *v = realloc(g->R, nc * J * sizeof *v);
        if (!v) return mx_nomem(r);
        g->R = v;
        r->rcap = nc;
    }
    g->types[k] = NULL;
    g->K = k + 1;   /* so game_free releases the name */
    if (!(g->types[k] = strdup(name))) return mx_nomem(r);
    for (size_t j = 0; j < J; j++) {
        const char *s = mx_get(r, j + 1);
        double v = 0;
        int bad = parse_number(s, &v);
        if (bad == -1)
            return mx_error(r, r->row_line, "column '%.*s': not a number: "
                            "'%.*s'", MX_SHOW, g->policies[j], MX_SHOW, s);
        if (bad == -2)
            return mx_error(r, r->row_line, "column '%.*s': not finite: "
                            "'%.*s'", MX_SHOW, g->policies[j], MX_SHOW, s);
        if (!r->values && v < 0)
            return mx_error(r, r->row_line, "column '%.*s': negative regret "
                            "%.17g (regrets are >= 0 by definition: the loss of "
                            "type '%.*s' against its best)", MX_SHOW,
                            g->policies[j], v, MX_SHOW, name);
        g->R[k * J + j] = v == 0 ? 0.0 : v;   /* no -0 */
    }
    r->rows++;
    return PREF_OK;
}

static void mx_record(int c, void *data)
{
    (void)c;
    mx_reader *r = data;
    if (r->status) return;
    size_t nf = r->nf;
    r->nf = 0;
    r->end_line = r->line;
    if (nf == 0) return;
    r->nf = nf;
    if (r->nul)
        r->status = mx_error(r, r->row_line, "a field contains a NUL byte");
    else if (!r->g->policies)
        r->status = mx_header(r);
    else
        r->status = mx_row(r);
    r->nf = 0;
}

static void mx_feed(mx_reader *r, struct csv_parser *p, const char *s, size_t len)
{
    while (len > 0 && !r->status) {
        const char *nl = memchr(s, '\n', len);
        size_t k = nl ? (size_t)(nl - s) + 1 : len;
        if (csv_parse(p, s, k, mx_field, mx_record, r) != k && !r->status) {
            int e = csv_error(p);
            if (e == CSV_ENOMEM || e == CSV_ETOOBIG) r->status = mx_nomem(r);
            else r->status = mx_error(r, r->line, "malformed CSV: stray quote "
                                      "or text after a closing quote");
        }
        if (nl) r->line++;
        s += k;
        len -= k;
    }
}

/* Read path into g (names, R holding the entries as read). values: the
 * --values rules (square, row i named like column i; entries of any sign);
 * else --regret (any shape, entries >= 0). */
static int read_matrix(const char *path, int values, game *g)
{
    if (!fsutil_exists(path))
        PREF_ERROR(PREF_EINPUT, "%s: cannot open: no such file", path);
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        PREF_ERROR(PREF_EINPUT, "%s: cannot open: %s", path, strerror(e));
    }
    mx_reader r;
    memset(&r, 0, sizeof r);
    r.path = path;
    r.values = values;
    r.line = 1;
    r.g = g;
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_APPEND_NULL | CSV_STRICT_FINI) != 0) {
        fclose(f);
        PREF_ERROR(PREF_ENOMEM, "%s: cannot start the CSV parser", path);
    }
    char *buf = malloc(MX_CHUNK);
    if (!buf) r.status = mx_nomem(&r);
    while (!r.status) {
        size_t got = fread(buf, 1, MX_CHUNK, f);
        if (got > 0) mx_feed(&r, &p, buf, got);
        if (got < MX_CHUNK) {
            if (ferror(f)) {
                int e = errno;
                r.status = pref_set_error(PREF_EIO, "%s: read error: %s", path,
                                          strerror(e));
            }
            break;
        }
    }
    size_t open_line = r.nf > 0 ? r.row_line : r.end_line + 1;
    if (!r.status && csv_fini(&p, mx_field, mx_record, &r) != 0 && !r.status)
        r.status = mx_error(&r, open_line, "malformed CSV: quoted field not "
                            "closed at end of file");
    if (!r.status && !g->policies)
        r.status = mx_error(&r, 1, "empty file (expected a header "
                            "'type,<policy names>')");
    if (!r.status && r.rows == 0)
        r.status = mx_error(&r, r.header_line, "no type rows after the header");
    if (!r.status && values && r.rows != g->J)
        r.status = mx_error(&r, r.end_line, "%zu policy columns but %zu type "
                            "rows: --values needs a square L, one policy per "
                            "type", g->J, r.rows);
    csv_free(&p);
    free(buf);
    free(r.buf);
    free(r.foff);
    fclose(f);
    return r.status;
}

/* ---- the three inputs --------------------------------------------------------------- */

/* Warn (stderr) about negative regrets computed from L. */
static void warn_negative(const game *g)
{
    size_t n = 0, at = 0;
    for (size_t i = 0; i < g->K * g->J; i++)
        if (g->R[i] < 0) {
            if (n == 0 || g->R[i] < g->R[at]) at = i;
            n++;
        }
    if (n)
        fprintf(stderr, "hetpref: warning: %zu negative regret(s), the "
                "smallest %.6g for type '%s' under policy '%s': that policy "
                "scores higher on the type's implicit reward than the type's "
                "own policy; the LP still finds the min-max mixture\n", n,
                g->R[at], g->types[at / g->J], g->policies[at % g->J]);
}

/* From L in g->L (--values, --policies): R with the regret weights of the
 * list weights (may be NULL: all 1); what says where K comes from. */
static int values_to_regret(game *g, const char *weights, const char *what)
{
    double *c = NULL;
    int st = PREF_OK;
    if (weights) {
        c = malloc(g->K * sizeof *c);
        if (!c) PREF_ERROR(PREF_ENOMEM, "out of memory");
        st = cli_parse_weights("--weights", weights, g->K, 1,
                               "regret weights must be > 0", what, c);
    }
    if (!st) st = mmra_game_set_regret(g, c);
    free(c);
    if (!st) warn_negative(g);
    return st;
}

/* The flags of one run (NULL: not given). */
typedef struct mmra_opts {
    const char *regret, *values, *policies, *data;
    const char *weights, *eta, *solver, *out, *iters, *step;
} mmra_opts;

/* g from the input the flags name, R included. */
static int load_game(const mmra_opts *o, game *g)
{
    char what[4200];
    if (o->regret) return read_matrix(o->regret, 0, g);
    if (o->values) {
        PREF_TRY(read_matrix(o->values, 1, g));
        g->L = g->R;   /* the reader leaves the entries in R */
        g->R = NULL;
        snprintf(what, sizeof what, "%s has %zu types", o->values, g->K);
        return values_to_regret(g, o->weights, what);
    }
    PREF_TRY(mmra_game_from_policies(o->policies, o->data, g));
    char ppath[4096];
    PREF_TRY(fsutil_join(ppath, sizeof ppath, o->policies, "policies.txt"));
    snprintf(what, sizeof what, "%s has %zu policies", ppath, g->K);
    return values_to_regret(g, o->weights, what);
}

/* --eta into *eta (K, allocated), or *eta NULL without it. */
static int load_eta(const mmra_opts *o, const game *g, double **eta)
{
    if (!o->eta) return PREF_OK;
    char what[4200];
    snprintf(what, sizeof what, "%s has %zu types",
             o->regret ? o->regret : o->values ? o->values : o->policies, g->K);
    *eta = malloc(g->K * sizeof **eta);
    if (!*eta) PREF_ERROR(PREF_ENOMEM, "out of memory");
    return cli_parse_weights("--eta", o->eta, g->K, 0,
                             "type weights must be >= 0", what, *eta);
}

/* ---- output ------------------------------------------------------------------------- */

/* DIR/config.ini: the resolved [mmra] keys (every other key at its
 * default) and, as comments, the command line that produced the outputs. */
static int write_config(const char *dir, const mmra_params *mp, int argc,
                        char **argv)
{
    cfg *c = malloc(sizeof *c);
    if (!c) PREF_ERROR(PREF_ENOMEM, "out of memory");
    cfg_init(c);
    char buf[64];
    int st = cfg_set_dotted(c, "mmra.solver", mmra_solver_name(mp->solver),
                            NULL, 0);
    snprintf(buf, sizeof buf, "%zu", mp->hedge_iters);
    if (!st) st = cfg_set_dotted(c, "mmra.hedge_iters", buf, NULL, 0);
    snprintf(buf, sizeof buf, "%.17g", mp->hedge_step);
    if (!st) st = cfg_set_dotted(c, "mmra.hedge_step", buf, NULL, 0);
    char path[4096];
    fsutil_file o;
    if (!st) st = fsutil_join(path, sizeof path, dir, "config.ini");
    if (!st) st = fsutil_open(&o, path);
    if (!st) {
        fputs("; command line:", o.f);
        for (int i = 0; i < argc; i++) fprintf(o.f, " %s", argv[i]);
        fputc('\n', o.f);
        st = cfg_write(c, o.f);
        if (st) fsutil_abort(&o);
        else st = fsutil_commit(&o);
    }
    free(c);
    return st;
}

/* The tables and config.ini into dir, created when missing (and removed
 * again, when it was created here, if writing fails). */
static int write_all(const char *dir, const game *g, const mmra_params *mp,
                     const mmra_result *res, const mmra_aggs *a, int argc,
                     char **argv)
{
    int existed = fsutil_exists(dir);
    int st = fsutil_mkdirs(dir);
    if (!st) st = mmraout_write(dir, g, mp->solver, res, a);
    if (!st) st = write_config(dir, mp, argc, argv);
    if (st && !existed) rmdir(dir);
    return st;
}

/* ---- the command ---------------------------------------------------------------------- */

static int wants_help(int argc, char **argv)
{
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

/* argv[2..] into o. Returns 0, or 2 after a usage message. */
static int parse_flags(int argc, char **argv, mmra_opts *o)
{
    memset(o, 0, sizeof *o);
    o->solver = "lp";
    o->out = "results/mmra";
    for (int i = 2; i < argc; i++) {
        int missing = 0;
        const char *v;
        if ((v = cli_opt_value(argc, argv, &i, "--regret", &missing))) o->regret = v;
        else if ((v = cli_opt_value(argc, argv, &i, "--values", &missing))) o->values = v;
        else if ((v = cli_opt_value(argc, argv, &i, "--policies", &missing))) o->policies = v;
        else if ((v = cli_opt_value(argc, argv, &i, "--data", &missing))) o->data = v;
        else if ((v = cli_opt_value(argc, argv, &i, "--weights", &missing))) o->weights = v;
        else if ((v = cli_opt_value(argc, argv, &i, "--eta", &missing))) o->eta = v;
        else if ((v = cli_opt_value(argc, argv, &i, "--solver", &missing))) o->solver = v;
        else if ((v = cli_opt_value(argc, argv, &i, "--iters", &missing))) o->iters = v;
        else if ((v = cli_opt_value(argc, argv, &i, "--step", &missing))) o->step = v;
        else if ((v = cli_opt_value(argc, argv, &i, "-o", &missing))) o->out = v;
        else if (missing) return cli_usage_error("mmra", "%s needs a value", argv[i]);
        else return cli_usage_error("mmra", "unknown argument '%s'", argv[i]);
    }
    return 0;
}

/* Which flags go together. Returns 0, or 2 after a usage message. */
static int check_modes(const mmra_opts *o)
{
    int modes = !!o->regret + !!o->values + !!o->policies;
    if (modes == 0)
        return cli_usage_error("mmra", "missing --regret CSV, --values CSV or --policies "
                           "DIR%s", "");
    if (modes > 1)
        return cli_usage_error("mmra", "--regret, --values and --policies exclude each "
                           "other%s", "");
    if (o->policies && !o->data)
        return cli_usage_error("mmra", "--policies needs --data CSV (the prompts' candidate "
                           "pools)%s", "");
    if (o->data && !o->policies)
        return cli_usage_error("mmra", "--data goes with --policies DIR%s", "");
    if (o->regret && o->weights)
        return cli_usage_error("mmra", "--weights applies to --values and --policies (a "
                           "regret matrix already includes them)%s", "");
    return 0;
}

/* The solver flags into mp. Returns 0, or 2 after a usage message. */
static int check_solver(const mmra_opts *o, mmra_params *mp)
{
    mmra_params_init(mp);
    if (strcmp(o->solver, "lp") == 0) mp->solver = MMRA_LP;
    else if (strcmp(o->solver, "hedge") == 0) mp->solver = MMRA_HEDGE;
    else return cli_usage_error("mmra", "--solver: expected lp or hedge, got '%s'", o->solver);
    if ((o->iters || o->step) && mp->solver != MMRA_HEDGE)
        return cli_usage_error("mmra", "%s applies to --solver hedge only",
                           o->iters ? "--iters" : "--step");
    if (o->iters) {
        long long n;
        if (cli_parse_llong(o->iters, 1, 1000000000000LL, &n))
            return cli_usage_error("mmra", "--iters: expected a positive integer, got '%s'",
                               o->iters);
        mp->hedge_iters = (size_t)n;
    }
    if (o->step && (cli_parse_number(o->step, &mp->hedge_step) || !(mp->hedge_step > 0)))
        return cli_usage_error("mmra", "--step: expected a positive number, got '%s'", o->step);
    return 0;
}

int cli_mmra(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        fputs(usage_mmra, stdout);
        return 0;
    }
    mmra_opts o;
    mmra_params mp;
    int rc = parse_flags(argc, argv, &o);
    if (!rc) rc = check_modes(&o);
    if (!rc) rc = check_solver(&o, &mp);
    if (rc) return rc;

    game g = {0};
    double *eta = NULL;
    mmra_result *res = NULL;
    mmra_aggs *a = NULL;
    int st = load_game(&o, &g);
    if (!st) st = load_eta(&o, &g, &eta);
    if (st) goto done;
    res = mmra_result_alloc(g.K, g.J);
    a = mmra_aggs_alloc(g.K, g.J);
    if (!res || !a) st = pref_set_error(PREF_ENOMEM, "out of memory");
    if (!st) st = mmra_solve(g.K, g.J, g.R, &mp, res);
    if (!st) st = mmra_aggregate(g.K, g.J, g.R, g.L, eta ? eta : g.eta, res->w,
                                 &mp, a);
    if (!st) st = write_all(o.out, &g, &mp, res, a, argc, argv);
done:
    mmra_result_free(res);
    mmra_aggs_free(a);
    free(eta);
    mmra_game_free(&g);
    return st ? cli_fail(st) : 0;
}
