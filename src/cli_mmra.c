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
 * and validated completely by mxio.h before anything is solved: every
 * problem is an input error (exit 2) naming FILE:LINE and the column, and
 * nothing is written. Flags are checked the same way.
 *
 * The command is parse flags -> validate them -> build the game -> solve
 * (mmra.h) -> write, in DIR (default results/mmra): the six result tables
 * of mmraout.h and config.ini (the resolved [mmra] keys and the command
 * line), staged beside DIR and committed all together or not at all.
 *
 * Not here: the mathematics (mmra.c, pool.c), the policies -> pools -> L
 * -> R pipeline (mmra_game.c), the result tables (mmraout.c), the policy
 * file (policyio.c). */
#include "cli_mmra.h"
#include "cfg.h"
#include "cliutil.h"
#include "cli_prov.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fsutil.h"
#include "mmra.h"
#include "mmra_game.h"
#include "mmra_kl.h"
#include "mmraout.h"
#include "mxio.h"

static const char usage_mmra[] =
    "usage: hetpref mmra --regret R.csv [options]\n"
    "       hetpref mmra --values L.csv [--weights c1,...,cK] [options]\n"
    "       hetpref mmra --policies DIR --data CSV [--weights c1,...,cK] [options]\n"
    "       hetpref mmra --objective kl --policies DIR --data CSV [--weights ...]\n"
    "            [--gap G] [options]\n"
    "options: [--solver lp|hedge] [--iters N] [--step S] [--eta e1,...,eK]\n"
    "         [-o DIR]\n"
    "       hetpref mmra --config DIR/config.ini [-o OUT]\n"
    "            reruns the command recorded in DIR/config.ini ([provenance]:\n"
    "            command line, input files with size and SHA-256, version) into\n"
    "            OUT (default DIR), byte for byte; a changed input is an error\n"
    "            naming it and both hashes.\n"
    "\n"
    "Min-max regret aggregation: the mixture w of policies\n"
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
    "--objective kl (with --policies and --data only): minimise instead the\n"
    "  worst type's exact KL-regularised regret c_k beta E_x KL(pi_w || pi_k)\n"
    "  of the mixture policy pi_w = sum_j w_j pi_j (convex, not linear, in w)\n"
    "  by cutting planes on GLPK until the upper and lower bounds agree to\n"
    "  --gap (relative, default 1e-8). summary.csv then has objective,\n"
    "  worst_regret (the upper bound, attained by the weights), lower_bound,\n"
    "  rounds, relative_gap, converged, lp_iterations; regrets.csv and\n"
    "  aggregators.csv hold KL regrets, with an extra aggregator mmra_kl.\n"
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
    "DIR defaults to results/mmra; its files are committed all together or\n"
    "not at all. Bad input: exit 2, nothing written.\n"
    "\n"
    "Size: at most 1000 policies and 1000000 entries K x J. The dense LP takes\n"
    "about 30 s at 500 x 500 and grows about as min(K, J)^3.5;\n"
    "aggregator_weights.csv has (J + 4) x J rows. A larger game is refused\n"
    "(exit 2) with its estimated cost, before the data is read.\n";

typedef mmra_game game;

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

/* From L in g->L (--values, --policies): R with the regret weights of the
 * list weights (may be NULL: all 1); what says where K comes from. The
 * weights (NULL without the list) go to *c_out, the caller's to free. */
static int values_to_regret(game *g, const char *weights, const char *what,
                            double **c_out)
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
    *c_out = c;
    if (!st) warn_negative(g);
    return st;
}

/* The flags of one run (NULL: not given). */
typedef struct mmra_opts {
    const char *regret, *values, *policies, *data;
    const char *weights, *eta, *solver, *out, *iters, *step;
    const char *objective, *gap;
    int solver_given;
} mmra_opts;

/* g from the input the flags name, R included; *c the regret weights
 * (NULL: all 1; the caller frees). */
static int load_game(const mmra_opts *o, game *g, double **c)
{
    char what[4200];
    if (o->regret) {
        PREF_TRY(read_matrix(o->regret, 0, g));
        return mmra_check_size(g->K, g->J, o->regret);
    }
    if (o->values) {
        PREF_TRY(read_matrix(o->values, 1, g));
        PREF_TRY(mmra_check_size(g->K, g->J, o->values));
        g->L = g->R;   /* the reader leaves the entries in R */
        g->R = NULL;
        snprintf(what, sizeof what, "%s has %zu types", o->values, g->K);
        return values_to_regret(g, o->weights, what, c);
    }
    PREF_TRY(mmra_game_from_policies(o->policies, o->data, g));
    char ppath[4096];
    PREF_TRY(fsutil_join(ppath, sizeof ppath, o->policies, "policies.txt"));
    snprintf(what, sizeof what, "%s has %zu policies", ppath, g->K);
    return values_to_regret(g, o->weights, what, c);
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

/* config.ini of mmra keeps the [mmra] keys. */
static int mmra_keep_key(int key, void *ctx)
{
    (void)ctx;
    return !strncmp(cfg_key_name(key), "mmra.", 5);
}

/* DIR/config.ini: the resolved [mmra] keys and the provenance (command
 * line, input files with their SHA-256, version). */
static int write_config(const char *dir, const mmra_params *mp,
                        const mmra_opts *op, int argc, char **argv)
{
    cfg *c = malloc(sizeof *c);
    if (!c) PREF_ERROR(PREF_ENOMEM, "out of memory");
    cfg_init(c);
    char buf[64], ppath[4096] = "";
    int st = cfg_set_dotted(c, "mmra.solver", mmra_solver_name(mp->solver),
                            NULL, 0);
    snprintf(buf, sizeof buf, "%zu", mp->hedge_iters);
    if (!st) st = cfg_set_dotted(c, "mmra.hedge_iters", buf, NULL, 0);
    snprintf(buf, sizeof buf, "%.17g", mp->hedge_step);
    if (!st) st = cfg_set_dotted(c, "mmra.hedge_step", buf, NULL, 0);
    if (!st && op->policies)
        st = fsutil_join(ppath, sizeof ppath, op->policies, "policies.txt");
    const char *const inputs[] = {op->regret, op->values,
                                  ppath[0] ? ppath : NULL, op->data};
    if (!st) st = cli_write_config(c, argc, argv, inputs, 4, mmra_keep_key, NULL,
                                   dir);
    free(c);
    return st;
}

/* The tables and config.ini into dir, all or nothing: written into a
 * staging directory beside dir and committed whole (fsutil.h), so a later
 * table that cannot be written leaves none of the others, and no file of an
 * earlier run is left beside the new ones. */
static int write_all(const char *dir, const game *g, const mmra_params *mp,
                     const mmra_result *res, const mmra_kl_result *kl,
                     const mmra_aggs *a, const mmra_opts *op, int argc,
                     char **argv)
{
    static const char *const owned[] = {
        "weights.csv", "regrets.csv", "summary.csv", "duals.csv",
        "aggregators.csv", "aggregator_weights.csv", "config.ini", NULL};
    fsutil_stage stage = {.dir = ""};
    int st = fsutil_stage_begin(&stage, dir);
    if (!st) st = kl ? mmraout_write_kl(stage.dir, g, kl, a)
                     : mmraout_write(stage.dir, g, mp->solver, res, a);
    if (!st) st = write_config(stage.dir, mp, op, argc, argv);
    if (!st) st = fsutil_stage_commit(&stage, owned);
    fsutil_stage_abort(&stage);
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
    o->objective = "linear";
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
        else if ((v = cli_opt_value(argc, argv, &i, "--solver", &missing))) o->solver = v, o->solver_given = 1;
        else if ((v = cli_opt_value(argc, argv, &i, "--objective", &missing))) o->objective = v;
        else if ((v = cli_opt_value(argc, argv, &i, "--gap", &missing))) o->gap = v;
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
    int kl = strcmp(o->objective, "kl") == 0;
    if (!kl && strcmp(o->objective, "linear") != 0)
        return cli_usage_error("mmra", "--objective: expected linear or kl, got '%s'",
                               o->objective);
    if (kl && !o->policies)
        return cli_usage_error("mmra", "--objective kl needs --policies DIR --data CSV: "
                               "a regret or value matrix carries no KL divergence "
                               "between the policies%s", "");
    if (kl && o->solver_given)
        return cli_usage_error("mmra", "--solver applies to --objective linear (kl is "
                               "solved by cutting planes)%s", "");
    if (!kl && o->gap)
        return cli_usage_error("mmra", "--gap applies to --objective kl only%s", "");
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

/* --gap into kp (defaults otherwise). Returns 0, or 2 after a usage
 * message. */
static int check_kl(const mmra_opts *o, mmra_kl_params *kp)
{
    mmra_kl_params_init(kp);
    if (o->gap && (cli_parse_number(o->gap, &kp->gap) || !(kp->gap > 0 && kp->gap < 1)))
        return cli_usage_error("mmra", "--gap: expected a number in (0, 1), got '%s'",
                               o->gap);
    return 0;
}

/* The KL-exact solve of g (built from policies) with regret weights c (may
 * be NULL) into *kl (allocated), and every aggregator's KL regrets in place
 * of its linear ones in a. Warns on stderr when the gap was not reached. */
static int solve_kl(const game *g, const double *c, const mmra_kl_params *kp,
                    mmra_aggs *a, mmra_kl_result **kl)
{
    mmra_kl_problem pr = {g->K, g->n_prompts, g->off, g->logp, c, g->beta};
    size_t K = g->K, n = g->off[g->n_prompts];
    *kl = mmra_kl_result_alloc(K);
    double *work = malloc(mmra_kl_work_size(K, n) * sizeof *work);
    int st = *kl && work ? PREF_OK : pref_set_error(PREF_ENOMEM, "out of memory");
    if (!st) st = mmra_kl_solve(&pr, kp, *kl);
    for (size_t i = 0; !st && i < a->n; i++)
        a->worst[i] = mmra_kl_eval(&pr, a->w + i * K, a->regret + i * K, NULL, work);
    free(work);
    if (!st && !(*kl)->converged)
        fprintf(stderr, "hetpref: warning: KL-exact MMRA stopped after %zu rounds "
                "with bounds [%.17g, %.17g], relative gap %.3g > --gap %.3g: the "
                "weights are not certified optimal (summary.csv: converged = 0)\n",
                (*kl)->rounds, (*kl)->lower, (*kl)->worst,
                ((*kl)->worst - (*kl)->lower) / (*kl)->worst, kp->gap);
    return st;
}

int cli_mmra(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        fputs(usage_mmra, stdout);
        return 0;
    }
    int rerun = cli_rerun("mmra", argc, argv, cli_mmra);
    if (rerun >= 0) return rerun;
    mmra_opts o;
    mmra_params mp;
    mmra_kl_params kp;
    int rc = parse_flags(argc, argv, &o);
    if (!rc) rc = check_modes(&o);
    if (!rc) rc = check_solver(&o, &mp);
    if (!rc) rc = check_kl(&o, &kp);
    if (rc) return rc;

    int kl = strcmp(o.objective, "kl") == 0;
    game g = {0};
    double *eta = NULL, *c = NULL;
    mmra_result *res = NULL;
    mmra_kl_result *klres = NULL;
    mmra_aggs *a = NULL;
    int st = load_game(&o, &g, &c);
    if (!st) st = load_eta(&o, &g, &eta);
    if (st) goto done;
    res = mmra_result_alloc(g.K, g.J);
    a = mmra_aggs_alloc(g.K, g.J);
    if (!res || !a) st = pref_set_error(PREF_ENOMEM, "out of memory");
    if (!st) st = mmra_solve(g.K, g.J, g.R, &mp, res);
    if (!st) st = mmra_aggregate(g.K, g.J, g.R, g.L, eta ? eta : g.eta, res->w,
                                 &mp, a);
    if (!st && kl) st = solve_kl(&g, c, &kp, a, &klres);
    if (!st) st = write_all(o.out, &g, &mp, res, klres, a, &o, argc, argv);
done:
    mmra_result_free(res);
    mmra_kl_result_free(klres);
    free(c);
    mmra_aggs_free(a);
    free(eta);
    mmra_game_free(&g);
    return st ? cli_fail(st) : 0;
}
