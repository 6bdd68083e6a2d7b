/* cli_mmra.c — `hetpref mmra` (see cli_mmra.h).
 *
 * Three ways in, one game out:
 *   --regret R.csv             a K x J regret matrix (any shape, R >= 0);
 *   --values L.csv             a square value matrix L, R_ij = c_i (L_ii -
 *                              L_ij) with --weights c (default all 1);
 *   --policies DIR --data CSV  policies.txt (policyio.h) evaluated exactly
 *                              on the data's prompt pools (pool.h) into L,
 *                              then as --values.
 * The matrix files are "type,<policy names>" then one row per type, read
 * and validated completely by mxio.h before anything is solved: every
 * problem is an input error (exit 2) naming FILE:LINE and the column, and
 * nothing is written. Flags are checked the same way.
 *
 * Output, all in DIR (default results/mmra), each file written to a
 * temporary and renamed only after every table was written successfully:
 *   weights.csv            policy,weight            the chosen mixture
 *   regrets.csv            type,regret              each type under it
 *   summary.csv            solver,worst_regret,iterations
 *   duals.csv              type,dual                LP duals / Hedge's
 *                                                   averaged type strategy
 *   aggregators.csv        aggregator,type,regret   every aggregator, one
 *                                                   row per type plus a
 *                                                   'worst' row
 *   aggregator_weights.csv aggregator,policy,weight their mixtures
 * Aggregator names: "single:<policy>", "utilitarian", "uniform",
 * "maxmin_utility", "mmra" (mmra.h). Numbers "%.17g" (C locale), names
 * through csv_fwrite when they need quoting.
 *
 * Not here: the mathematics (mmra.c, pool.c), the policy file (policyio.c). */
#include "cli_mmra.h"
#include "cfg.h"
#include "cliutil.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csvio.h"
#include "data.h"
#include "err.h"
#include "fsutil.h"
#include "mmra.h"
#include "mxio.h"
#include "policyio.h"
#include "pool.h"

#define WORST_ROW MXIO_WORST

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

/* ---- command-line helpers (the conventions of cli.c) ------------------------ */

/* A finite decimal number filling all of s (no hex, no inf/nan).
 * Returns 0, or -1 (not a number) or -2 (not finite / out of range). */
static int parse_number(const char *s, double *out)
{
    return mxio_parse_number(s, out);
}

/* A comma-separated list of n numbers for flag (e.g. --weights), checked:
 * positive when strict, else >= 0 with a positive sum. what names the count
 * it must match. */
static int parse_list(const char *flag, const char *s, size_t n, int strict,
                      const char *what, double *out)
{
    size_t k = 0;
    const char *p = s;
    for (;;) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        char tok[128];
        if (len >= sizeof tok)
            PREF_ERROR(PREF_EINPUT, "%s: entry %zu is too long", flag, k + 1);
        memcpy(tok, p, len);
        tok[len] = '\0';
        double v = 0;
        int r = parse_number(tok, &v);
        if (r == -1)
            PREF_ERROR(PREF_EINPUT, "%s: entry %zu: not a number: '%s'", flag,
                       k + 1, tok);
        if (r == -2)
            PREF_ERROR(PREF_EINPUT, "%s: entry %zu: not finite: '%s'", flag,
                       k + 1, tok);
        if (strict ? !(v > 0) : v < 0)
            PREF_ERROR(PREF_EINPUT, "%s: entry %zu is %s: '%s' (%s)", flag,
                       k + 1, strict ? "not positive" : "negative", tok,
                       strict ? "regret weights must be > 0"
                              : "type weights must be >= 0");
        if (k < n) out[k] = v;
        k++;
        if (!c) break;
        p = c + 1;
    }
    if (k != n)
        PREF_ERROR(PREF_EINPUT, "%s: %zu values for %zu types (%s)", flag, k,
                   n, what);
    if (!strict) {
        double sum = 0;
        for (size_t i = 0; i < n; i++) sum += out[i];
        if (!(sum > 0)) PREF_ERROR(PREF_EINPUT, "%s: all zero", flag);
    }
    return PREF_OK;
}

/* ---- the game being solved -------------------------------------------------------- */

typedef struct game {
    size_t K, J;
    char **types, **policies;  /* (K), (J) owned copies */
    double *R;                 /* (K, J) regrets */
    double *L;                 /* (K, K) values, or NULL (--regret) */
    double *eta;               /* (K) default utilitarian weights, or NULL */
} game;

static void game_free(game *g)
{
    if (g->types)
        for (size_t k = 0; k < g->K; k++) free(g->types[k]);
    if (g->policies)
        for (size_t j = 0; j < g->J; j++) free(g->policies[j]);
    free(g->types);
    free(g->policies);
    free(g->R);
    free(g->L);
    free(g->eta);
    memset(g, 0, sizeof *g);
}

/* Read path into g (names, R holding the entries as read) through mxio.h:
 * values: the --values rules (square, row i named like column i; entries
 * of any sign); else --regret (any shape, entries >= 0). */
static int read_matrix(const char *path, int values, game *g)
{
    mxio_matrix m;
    PREF_TRY(mxio_read(path, values ? MXIO_SQUARE : MXIO_NONNEG, &m));
    g->K = m.rows;
    g->J = m.cols;
    g->types = m.row_names;
    g->policies = m.col_names;
    g->R = m.v;
    return PREF_OK;
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

/* From L already in g->R (--values): keep L, form R with weights c. */
static int values_to_regret(game *g, const char *weights, const char *what)
{
    size_t K = g->K;
    double *c = malloc(K * sizeof *c);
    g->L = malloc(K * K * sizeof *g->L);
    if (!c || !g->L) {
        free(c);
        PREF_ERROR(PREF_ENOMEM, "out of memory");
    }
    int st = PREF_OK;
    if (weights) st = parse_list("--weights", weights, K, 1, what, c);
    else
        for (size_t k = 0; k < K; k++) c[k] = 1.0;
    if (!st) {
        memcpy(g->L, g->R, K * K * sizeof *g->L);
        st = mmra_regret_matrix(K, g->L, c, g->R);
    }
    free(c);
    if (!st) warn_negative(g);
    return st;
}

/* The current message again, with code: a missing or unreadable input file
 * is the user's input error (exit 2), not a runtime failure. The message is
 * copied first: pref_set_error must not format its own buffer into itself. */
static int as_input_error(const char *prefix)
{
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", pref_last_error());
    if (prefix) return pref_set_error(PREF_EINPUT, "%s: %s", prefix, msg);
    return pref_set_error(PREF_EINPUT, "%s", msg);
}

static int load_policies(const char *dir, const char *data, const char *weights,
                         game *g)
{
    policy_set *ps = NULL;
    data_set *ds = NULL;
    pool_set *pools = NULL;
    char ppath[4096];
    int st = fsutil_join(ppath, sizeof ppath, dir, "policies.txt");
    if (!st) {
        st = policyio_read(dir, &ps);
        if (st == PREF_EIO) st = as_input_error(NULL);
    }
    if (!st && !fsutil_exists(data))
        st = pref_set_error(PREF_EINPUT, "%s: cannot open: no such file", data);
    if (!st) {
        st = csvio_read(data, &ds);
        if (st == PREF_EIO) st = as_input_error(NULL);
    }
    if (!st && ps->net.d != ds->d)
        st = pref_set_error(PREF_EINPUT, "%s:2: 'd': the policies take %zu "
                            "features but %s has %zu (x1..x%zu): policies and "
                            "data must have the same features", ppath,
                            ps->net.d, data, ds->d, ds->d);
    for (size_t k = 0; !st && k < ps->K; k++)
        if (strcmp(ps->names[k], WORST_ROW) == 0)
            st = pref_set_error(PREF_EINPUT, "%s: policy name '%s' is reserved "
                                "(aggregators.csv uses it for the worst-type "
                                "row)", ppath, WORST_ROW);
    if (!st) {
        st = pool_from_data(ds, &pools);
        if (st == PREF_EINPUT) st = as_input_error(data);
    }
    if (!st) {
        size_t K = ps->K;
        g->K = g->J = K;
        g->types = calloc(K, sizeof *g->types);
        g->policies = calloc(K, sizeof *g->policies);
        g->R = malloc(K * K * sizeof *g->R);
        g->eta = malloc(K * sizeof *g->eta);
        if (!g->types || !g->policies || !g->R || !g->eta)
            st = pref_set_error(PREF_ENOMEM, "out of memory");
        for (size_t k = 0; !st && k < K; k++) {
            g->types[k] = strdup(ps->names[k]);
            g->policies[k] = strdup(ps->names[k]);
            if (!g->types[k] || !g->policies[k])
                st = pref_set_error(PREF_ENOMEM, "out of memory");
            g->eta[k] = ps->weights[k];
        }
    }
    if (!st) st = pool_value_matrix(pools, ps, g->R);   /* L into R for now */
    if (!st) {
        char what[4200];
        snprintf(what, sizeof what, "%s has %zu policies", ppath, ps->K);
        st = values_to_regret(g, weights, what);
    }
    pool_free(pools);
    data_free(ds);
    policy_set_free(ps);
    return st;
}

/* ---- output ------------------------------------------------------------------------- */

/* The aggregator's name: "single:<policy>" or the kind's name. */
static void put_agg(FILE *f, const game *g, const mmra_aggs *a, size_t i)
{
    if (a->kind[i] == MMRA_AGG_SINGLE) {
        const char *p = g->policies[a->policy[i]];
        size_t n = strlen(p) + 8;
        char *s = malloc(n);
        if (s) {
            snprintf(s, n, "single:%s", p);
            csvio_put_text(f, s);
            free(s);
        } else {
            fputs("single:", f);
            csvio_put_text(f, p);
        }
    } else {
        csvio_put_text(f, mmra_agg_name(a->kind[i]));
    }
}

enum { OUT_WEIGHTS, OUT_REGRETS, OUT_SUMMARY, OUT_DUALS, OUT_AGGS,
       OUT_AGG_WEIGHTS, N_OUT };

static int write_outputs(const char *dir, const game *g, const char *solver,
                         const mmra_result *res, const mmra_aggs *a)
{
    static const char *names[N_OUT] = {
        "weights.csv", "regrets.csv", "summary.csv", "duals.csv",
        "aggregators.csv", "aggregator_weights.csv"};
    fsutil_file o[N_OUT];
    int opened = 0, st = PREF_OK;
    for (; opened < N_OUT && !st; opened++) {
        char path[4096];
        st = fsutil_join(path, sizeof path, dir, names[opened]);
        if (!st) st = fsutil_open(&o[opened], path);
        if (st) break;
    }
    if (!st) {
        FILE *f = o[OUT_WEIGHTS].f;
        fputs("policy,weight\n", f);
        for (size_t j = 0; j < g->J; j++) {
            csvio_put_text(f, g->policies[j]);
            fputc(',', f);
            csvio_put_num(f, res->w[j]);
            fputc('\n', f);
        }
        f = o[OUT_REGRETS].f;
        fputs("type,regret\n", f);
        for (size_t k = 0; k < g->K; k++) {
            csvio_put_text(f, g->types[k]);
            fputc(',', f);
            csvio_put_num(f, res->regret[k]);
            fputc('\n', f);
        }
        f = o[OUT_DUALS].f;
        fputs("type,dual\n", f);
        for (size_t k = 0; k < g->K; k++) {
            csvio_put_text(f, g->types[k]);
            fputc(',', f);
            csvio_put_num(f, res->dual[k]);
            fputc('\n', f);
        }
        f = o[OUT_SUMMARY].f;
        fprintf(f, "solver,worst_regret,iterations\n%s,", solver);
        csvio_put_num(f, res->worst);
        fprintf(f, ",%zu\n", res->iterations);
        f = o[OUT_AGGS].f;
        fputs("aggregator,type,regret\n", f);
        for (size_t i = 0; i < a->n; i++) {
            for (size_t k = 0; k <= g->K; k++) {
                put_agg(f, g, a, i);
                fputc(',', f);
                csvio_put_text(f, k < g->K ? g->types[k] : WORST_ROW);
                fputc(',', f);
                csvio_put_num(f, k < g->K ? a->regret[i * g->K + k] : a->worst[i]);
                fputc('\n', f);
            }
        }
        f = o[OUT_AGG_WEIGHTS].f;
        fputs("aggregator,policy,weight\n", f);
        for (size_t i = 0; i < a->n; i++)
            for (size_t j = 0; j < g->J; j++) {
                put_agg(f, g, a, i);
                fputc(',', f);
                csvio_put_text(f, g->policies[j]);
                fputc(',', f);
                csvio_put_num(f, a->w[i * g->J + j]);
                fputc('\n', f);
            }
    }
    /* Commit only when every table was opened and written. */
    for (int i = 0; i < N_OUT && !st; i++)
        if (ferror(o[i].f))
            st = pref_set_error(PREF_EIO, "%s: write failed", o[i].path);
    int i = 0;
    for (; i < opened && !st; i++) st = fsutil_commit(&o[i]);
    for (; i < opened; i++) fsutil_abort(&o[i]);
    return st;
}

/* ---- the command ---------------------------------------------------------------------- */

/* DIR/config.ini: the resolved [mmra] keys (every other key at its
 * default) and, as comments, the command line that produced the outputs. */
static int write_config(const char *dir, const mmra_params *mp, int argc,
                        char **argv)
{
    cfg *c = malloc(sizeof *c);
    if (!c) PREF_ERROR(PREF_ENOMEM, "out of memory");
    cfg_init(c);
    char buf[64];
    int st = cfg_set_dotted(c, "mmra.solver", mp->solver == MMRA_HEDGE ? "hedge" : "lp",
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

int cli_mmra(int argc, char **argv)
{
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_mmra, stdout);
            return 0;
        }
    const char *regret = NULL, *values = NULL, *policies = NULL, *data = NULL;
    const char *weights = NULL, *eta_s = NULL, *solver = "lp";
    const char *out = "results/mmra";
    const char *iters_s = NULL, *step_s = NULL;
    for (int i = 2; i < argc; i++) {
        int missing = 0;
        const char *v;
        if ((v = cli_opt_value(argc, argv, &i, "--regret", &missing))) regret = v;
        else if ((v = cli_opt_value(argc, argv, &i, "--values", &missing))) values = v;
        else if ((v = cli_opt_value(argc, argv, &i, "--policies", &missing))) policies = v;
        else if ((v = cli_opt_value(argc, argv, &i, "--data", &missing))) data = v;
        else if ((v = cli_opt_value(argc, argv, &i, "--weights", &missing))) weights = v;
        else if ((v = cli_opt_value(argc, argv, &i, "--eta", &missing))) eta_s = v;
        else if ((v = cli_opt_value(argc, argv, &i, "--solver", &missing))) solver = v;
        else if ((v = cli_opt_value(argc, argv, &i, "--iters", &missing))) iters_s = v;
        else if ((v = cli_opt_value(argc, argv, &i, "--step", &missing))) step_s = v;
        else if ((v = cli_opt_value(argc, argv, &i, "-o", &missing))) out = v;
        else if (missing) return cli_usage_error("mmra", "%s needs a value", argv[i]);
        else return cli_usage_error("mmra", "unknown argument '%s'", argv[i]);
    }
    int modes = !!regret + !!values + !!policies;
    if (modes == 0)
        return cli_usage_error("mmra", "missing --regret CSV, --values CSV or --policies "
                           "DIR%s", "");
    if (modes > 1)
        return cli_usage_error("mmra", "--regret, --values and --policies exclude each "
                           "other%s", "");
    if (policies && !data)
        return cli_usage_error("mmra", "--policies needs --data CSV (the prompts' candidate "
                           "pools)%s", "");
    if (data && !policies)
        return cli_usage_error("mmra", "--data goes with --policies DIR%s", "");
    if (regret && weights)
        return cli_usage_error("mmra", "--weights applies to --values and --policies (a "
                           "regret matrix already includes them)%s", "");
    mmra_params mp;
    mmra_params_init(&mp);
    if (strcmp(solver, "lp") == 0) mp.solver = MMRA_LP;
    else if (strcmp(solver, "hedge") == 0) mp.solver = MMRA_HEDGE;
    else return cli_usage_error("mmra", "--solver: expected lp or hedge, got '%s'", solver);
    if ((iters_s || step_s) && mp.solver != MMRA_HEDGE)
        return cli_usage_error("mmra", "%s applies to --solver hedge only",
                           iters_s ? "--iters" : "--step");
    if (iters_s) {
        char *e;
        errno = 0;
        long long n = strtoll(iters_s, &e, 10);
        if (!*iters_s || *e || errno || n < 1 || n > 1000000000000LL)
            return cli_usage_error("mmra", "--iters: expected a positive integer, got '%s'",
                               iters_s);
        mp.hedge_iters = (size_t)n;
    }
    if (step_s && (parse_number(step_s, &mp.hedge_step) || !(mp.hedge_step > 0)))
        return cli_usage_error("mmra", "--step: expected a positive number, got '%s'", step_s);

    game g;
    memset(&g, 0, sizeof g);
    int st = PREF_OK;
    if (regret) {
        st = read_matrix(regret, 0, &g);
    } else if (values) {
        st = read_matrix(values, 1, &g);
        if (!st) {
            char what[4200];
            snprintf(what, sizeof what, "%s has %zu types", values, g.K);
            st = values_to_regret(&g, weights, what);
        }
    } else {
        st = load_policies(policies, data, weights, &g);
    }
    double *eta = NULL;
    if (!st && eta_s) {
        char what[4200];
        snprintf(what, sizeof what, "%s has %zu types",
                 regret ? regret : values ? values : policies, g.K);
        eta = malloc(g.K * sizeof *eta);
        if (!eta) st = pref_set_error(PREF_ENOMEM, "out of memory");
        else st = parse_list("--eta", eta_s, g.K, 0, what, eta);
    }
    if (st) {
        free(eta);
        game_free(&g);
        return cli_fail(st);
    }

    mmra_result *res = mmra_result_alloc(g.K, g.J);
    mmra_aggs *a = mmra_aggs_alloc(g.K, g.J);
    if (!res || !a) st = pref_set_error(PREF_ENOMEM, "out of memory");
    if (!st) st = mmra_solve(g.K, g.J, g.R, &mp, res);
    if (!st) st = mmra_aggregate(g.K, g.J, g.R, g.L, eta ? eta : g.eta, res->w,
                                 &mp, a);
    if (!st) {
        int existed = fsutil_exists(out);
        st = fsutil_mkdirs(out);
        if (!st) st = write_outputs(out, &g, solver, res, a);
        if (!st) st = write_config(out, &mp, argc, argv);
        if (st && !existed) rmdir(out);
    }
    mmra_result_free(res);
    mmra_aggs_free(a);
    free(eta);
    game_free(&g);
    return st ? cli_fail(st) : 0;
}
