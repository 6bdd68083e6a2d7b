/* cli_identify.c — `hetpref identify` and `hetpref describe` (see
 * cli_identify.h). */
#include "cli_identify.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "cfgmap.h"
#include "clicommon.h"
#include "cliutil.h"
#include "cli_prov.h"
#include "cli_npmle.h"
#include "csvio.h"
#include "data.h"
#include "emdpo.h"
#include "estread.h"
#include "err.h"
#include "eval.h"
#include "fitdiag.h"
#include "fitout.h"
#include "fsutil.h"
#include "identify_tables.h"
#include "idata.h"
#include "idataio.h"
#include "mix.h"
#include "policyio.h"
#include "progress.h"
#include "rngs.h"
#include "truthio.h"

/* ---- identify ------------------------------------------------------------ */

/* config.ini of identify keeps the sections it reads, less the keys it
 * replaces (identify_key_scope). */
static int identify_keep_key(int key, void *ctx)
{
    (void)ctx;
    static const char *const used[] = {"run.", "population.", "compare.",
                                       "design.", "identify."};
    const char *name = cfg_key_name(key);
    for (size_t k = 0; k < sizeof used / sizeof *used; k++)
        if (!strncmp(name, used[k], strlen(used[k])))
            return identify_key_scope(name) == NULL;
    return 0;
}

/* ---- identify --data: the researcher's own design --------------------- */

static const char usage_identify_data[] =
    "usage: hetpref identify --data CSV [--estimates FILE|DIR | --types K]\n"
    "                        [--starts S] [--seed S] [-o DIR]\n\n"
    "Is the K-type latent-class model identified on this data set's own queries?\n"
    "At the estimates in FILE (a fit's estimates.csv, or DIR/estimates.csv of a fit\n"
    "directory DIR; wide or long form; its\n"
    "feature names and count must match the data) or, without --estimates, at a\n"
    "latent-class fit it runs as hetpref fit --model lcl (--types K, default 2;\n"
    "--starts S, default 20; --seed S, default 1), it writes into DIR (default\n"
    "results/identify), all or nothing:\n"
    "  design.csv   users, answers per user, m and r (distributions), rank and\n"
    "               condition number of the within-query centred features (a\n"
    "               singular value <= 1e-9 of the largest counts as zero);\n"
    "  fisher.csv   eigenvalues of the expected Fisher information per user, on\n"
    "               each user's own queries: exact over the joint answers when a\n"
    "               user has at most 4096 joint outcomes, else Monte Carlo (4000\n"
    "               draws per user, seed 1; mc_se = batch-means standard error);\n"
    "               method says which. An eigenvalue <= 1e-9 of the largest is\n"
    "               zero (a flat direction); each row holds its eigenvector in\n"
    "               columns named by parameter (theta_k[feature], eta_j = the\n"
    "               logit log(eta_j / eta_K));\n"
    "  twin.csv     the mixture at parameter distance 0.5 (or half the distance\n"
    "               to a relabelling of the types, if smaller) whose answer law\n"
    "               on these queries is closest to the estimates', and the\n"
    "               largest difference of any answer probability: <= 1e-12 means\n"
    "               no number of users can tell the two apart;\n"
    "  verdict.csv  identified, weakly_identified (smallest eigenvalue <= 1e-2\n"
    "               of the largest) or not_identified (feature rank below d, a\n"
    "               flat direction, or a twin within 1e-12), the reason and a\n"
    "               fix; also printed;\n"
    "  config.ini   the settings (as comments) and [provenance]: the command\n"
    "               line, the data CSV and the estimates file with their size\n"
    "               and SHA-256, and the version; hetpref identify --config\n"
    "               DIR/config.ini [-o OUT] reruns it byte for byte.\n";

typedef struct idata_args {
    const char *data, *estimates, *out;
    long types, starts, seed;
} idata_args;

static int idata_parse(int argc, char **argv, idata_args *a)
{
    a->types = a->starts = a->seed = -1;
    static const char *const names[] = {"--data", "--estimates", "-o",
                                        "--types", "--starts", "--seed"};
    for (int i = 2; i < argc; i++) {
        int missing = 0, k;
        const char *v = NULL;
        for (k = 0; k < 6 && !v && !missing; k++)
            v = cli_opt_value(argc, argv, &i, names[k], &missing);
        k--;
        if (missing) return cli_usage_error("identify", "%s needs a value", names[k]);
        if (!v) return cli_usage_error("identify", "unknown argument '%s'", argv[i]);
        long *num[] = {NULL, NULL, NULL, &a->types, &a->starts, &a->seed};
        long hi[] = {0, 0, 0, 64, 100000, 4294967295L};
        if (k == 0) a->data = v;
        else if (k == 1) a->estimates = v;
        else if (k == 2) a->out = v;
        else if (cli_parse_long(v, k == 5 ? 0 : 1, hi[k], num[k]))
            return cli_usage_error("identify", "bad value for %s", names[k]);
    }
    if (!a->data) return cli_usage_error("identify", "missing --data CSV%s", "");
    if (a->estimates && (a->types >= 0 || a->starts >= 0 || a->seed >= 0))
        return cli_usage_error("identify", "--estimates gives the parameters: "
                               "--types, --starts and --seed (of a fit) do not "
                               "apply%s", "");
    if (!a->out) a->out = "results/identify";
    return -1;
}

/* The weights and coefficients of the estimates.csv at path (estread.h),
 * owned by the caller; the weights rescaled to sum to exactly 1. */
static int est_take(const char *path, const data_set *ds, size_t *K,
                    double **eta, double **theta)
{
    estread_estimates *e;
    PREF_TRY(estread_read(path, ds, &e));
    double sum = 0.0;
    for (size_t k = 0; k < e->K; k++) sum += e->weight[k];
    for (size_t k = 0; k < e->K; k++) e->weight[k] /= sum;
    *K = e->K;
    *eta = e->weight;
    *theta = e->theta;
    e->weight = e->theta = NULL; /* taken: estread_free leaves them */
    estread_free(e);
    return PREF_OK;
}

/* The parameters: read from --estimates, or a latent-class fit. */
static int idata_params_at(const idata_args *a, const data_set *ds,
                           idataio_run *run, double **eta, double **theta)
{
    if (a->estimates) {
        /* a fit's directory stands for its estimates.csv (as predict takes) */
        struct stat sb;
        static char path[4096 + 16];
        if (stat(a->estimates, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            snprintf(path, sizeof path, "%s/estimates.csv", a->estimates);
            run->estimates = path;
        }
        PREF_TRY(est_take(run->estimates, ds, &run->K, eta, theta));
        if (run->K > ds->n_users)
            PREF_ERROR(PREF_EINPUT, "%s: %zu types but %s has %zu users",
                       a->estimates, run->K, a->data, ds->n_users);
        return PREF_OK;
    }
    cfg *c = malloc(sizeof *c);
    if (!c) return pref_set_error(PREF_ENOMEM, "out of memory");
    cfg_init(c);
    if (a->types > 0) c->fit_types = a->types;
    if (a->starts > 0) c->fit_starts = a->starts;
    if (a->seed >= 0) c->run_seed = a->seed;
    mix_params mp;
    cfgmap_mix_params(c, &mp);
    run->K = (size_t)c->fit_types;
    run->starts = mp.starts;
    run->fit_seed = (unsigned long)mp.seed;
    free(c);
    if (run->K > ds->n_users)
        PREF_ERROR(PREF_EINPUT, "--types %zu: more types than users in %s (%zu)",
                   run->K, a->data, ds->n_users);
    mix_fit *fit = NULL;
    PREF_TRY(mix_fit_run(ds, run->K, &mp, &fit));
    *eta = malloc(run->K * sizeof(double));
    *theta = malloc(run->K * ds->d * sizeof(double));
    int st = *eta && *theta ? PREF_OK : pref_set_error(PREF_ENOMEM, "out of memory");
    run->fit_converged = fit->converged;
    if (!fit->converged)
        fprintf(stderr, "hetpref: warning: the latent-class fit did not converge "
                "in %zu iterations: the identification is judged at a point "
                "that is not a maximum (verdict.csv fit_converged = 0)\n",
                fit->iterations);
    if (!st) {
        memcpy(*eta, fit->eta, run->K * sizeof(double));
        memcpy(*theta, fit->theta, run->K * ds->d * sizeof(double));
    }
    mix_fit_free(fit);
    return st;
}

static void idata_print(const idata_fisher *f, const idata_twin *t,
                        const idata_verdict *v, const idataio_run *run)
{
    printf("verdict: %s\nreason: %s\n", idata_status_name(v->status), v->reason);
    if (v->fix[0]) printf("fix: %s\n", v->fix);
    printf("at: %s (K = %zu)\nflat directions: %zu of %zu (smallest / largest "
           "eigenvalue %.3g; %s)\ntwin: largest answer-probability difference "
           "%.3g at parameter distance %.3g\n",
           run->estimates ? run->estimates : "a latent-class fit", run->K,
           f->n_zero, f->dim, v->min_rel,
           f->users_mc ? "Monte Carlo for some users" : "exact", t->max_diff,
           t->distance);
    if (v->status != IDATA_IDENTIFIED)
        fprintf(stderr, "hetpref: warning: %s: %s\n",
                idata_status_name(v->status), v->reason);
}

/* config.ini of identify --data: its settings as comments and the
 * provenance (the data and the estimates file are the inputs); no keys. */
static int idata_keep_none(int key, void *ctx)
{
    (void)key;
    (void)ctx;
    return 0;
}

static void idata_notes(FILE *f, const void *run)
{
    idataio_put_settings(f, run);
}

static int idata_write_config(const idataio_run *run, int argc, char **argv,
                              const char *dir)
{
    cfg *c = malloc(sizeof *c);
    if (!c) PREF_ERROR(PREF_ENOMEM, "out of memory");
    cfg_init(c);
    const char *const inputs[] = {run->data, run->estimates};
    int st = cli_write_config_notes(c, argc, argv, inputs, 2, idata_keep_none,
                                    NULL, idata_notes, run, dir);
    free(c);
    return st;
}

static int cli_identify_data(int argc, char **argv)
{
    idata_args a = {0};
    int rc = idata_parse(argc, argv, &a);
    if (rc >= 0) return rc;
    data_set *ds = NULL;
    double *eta = NULL, *theta = NULL;
    idata_params p;
    idata_params_init(&p);
    idataio_run run = {.data = a.data, .estimates = a.estimates, .p = &p};
    idata_design s = {0};
    idata_fisher f = {0};
    idata_twin t = {0};
    idata_verdict v;
    static const char *const owned[] = {"design.csv", "fisher.csv", "twin.csv",
                                        "verdict.csv", "config.ini", NULL};
    fsutil_stage stage = {.dir = ""};
    int st = cli_read_data(a.data, &ds);
    if (!st) st = idata_params_at(&a, ds, &run, &eta, &theta);
    if (!st) st = idata_design_summary(ds, &p, &s);
    if (!st) st = idata_fisher_run(ds, run.K, eta, theta, &p, &f);
    if (!st) st = idata_twin_run(ds, run.K, eta, theta, &f, &p, &t);
    if (!st) idata_verdict_make(ds, &s, &f, &t, &p, &v);
    if (!st) st = fsutil_stage_begin(&stage, a.out);
    if (!st) st = idataio_write(stage.dir, ds, &s, &f, &t, eta, theta, &v, &run);
    if (!st) st = idata_write_config(&run, argc, argv, stage.dir);
    if (!st) st = fsutil_stage_commit(&stage, owned);
    fsutil_stage_abort(&stage);
    if (!st) idata_print(&f, &t, &v, &run);
    idata_design_free(&s);
    idata_fisher_free(&f);
    idata_twin_free(&t);
    free(eta);
    free(theta);
    data_free(ds);
    return st ? cli_fail(st) : 0;
}

/* 1 when the command line is the --data form (an option only it has). */
static int is_data_form(int argc, char **argv)
{
    static const char *const own[] = {"--data", "--estimates", "--types",
                                      "--starts"};
    for (int i = 2; i < argc; i++)
        for (size_t k = 0; k < 4; k++) {
            size_t n = strlen(own[k]);
            if (!strncmp(argv[i], own[k], n) &&
                (argv[i][n] == '\0' || argv[i][n] == '='))
                return 1;
        }
    return 0;
}

int cli_identify(int argc, char **argv)
{
    if (is_data_form(argc, argv) && !cli_has_help(argc, argv))
        return cli_identify_data(argc, argv);
    if (cli_has_help(argc, argv)) {
        fputs(usage_identify_data, stdout);
        printf("\n   or: hetpref identify CONFIG [-o DIR] [--seed S] [--set section.key=value]...\n\n"
               "Writes DIR/equivalence.csv ([population] vs [compare]: the largest and mean\n"
               "absolute difference of answer probabilities for pair, top1_of_m, full_m and\n"
               "pairs_T2 over identify.designs random query designs), DIR/fisher.csv (the\n"
               "eigenvalues of the expected per-user Fisher information of [population],\n"
               "exact over outcomes, averaged over identify.fisher_designs designs, for pair,\n"
               "top1_of_m, full_m and each T in identify.T; mc_se = batch-means Monte Carlo\n"
               "standard error) and DIR/config.ini. DIR defaults to results/<config name>.\n"
               "m is design.m (default 3: top1_of_3, full_3). These kinds and identify.T\n"
               "replace design.answer, r, T, users and budget: --set of any of them is an\n"
               "error, and so is a config with [sweep] lists (use hetpref sweep).\n"
               "       hetpref identify --config DIR/config.ini [-o OUT]\n"
               "reruns the command recorded in DIR/config.ini ([provenance]: command line,\n"
               "CONFIG's size and SHA-256, version) into OUT (default DIR), byte for byte;\n"
               "a changed CONFIG is an error naming it and both hashes.\n");
        return 0;
    }
    int rerun = cli_rerun("identify", argc, argv, cli_identify);
    if (rerun >= 0) return rerun;
    cli_common_opts o;
    int rc = cli_parse_common("identify", argc, argv, &o, 0);
    if (rc >= 0) return rc;
    for (int i = 0; i < o.n_sets; i++) {
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)strcspn(o.sets[i], "="), o.sets[i]);
        const char *why = identify_key_scope(key);
        if (why) {
            char msg[512];
            snprintf(msg, sizeof msg, "--set %s does not apply: %s", key, why);
            return cli_usage_error("identify", "%s", msg);
        }
    }
    char outbuf[4096];
    if (!o.out) cli_default_out(o.config, outbuf, sizeof outbuf);
    const char *out = o.out ? o.out : outbuf;
    cfg *c = malloc(sizeof *c);
    if (!c) return cli_fail(pref_set_error(PREF_ENOMEM, "out of memory"));
    int st = cli_load_cfg(&o, c);
    if (!st) st = cli_refuse_sweep_lists(c, "identify");
    static const char *const owned[] = {"equivalence.csv", "fisher.csv",
                                        "config.ini", NULL};
    fsutil_stage stage = {.dir = ""};
    if (!st) st = fsutil_stage_begin(&stage, out);
    if (!st) st = identify_run(c, stage.dir);
    /* Replaces the full dump of identify_run: the keys that apply, and the
     * provenance (the config file is the input). */
    const char *const inputs[] = {o.config};
    if (!st) st = cli_write_config(c, argc, argv, inputs, 1, identify_keep_key,
                                   NULL, stage.dir);
    if (!st) st = fsutil_stage_commit(&stage, owned);
    fsutil_stage_abort(&stage);
    free(c);
    return st ? cli_fail(st) : 0;
}

/* ---- describe ----------------------------------------------------------- */

int cli_describe(int argc, char **argv)
{
    if (cli_has_help(argc, argv)) {
        printf("usage: hetpref describe --data CSV\n\nReads and validates a "
               "preference file (long CSV, one row per candidate:\nuser,query,item,rank, "
               "the features (every other column, e.g. price or x1..xd) and\noptionally "
               "prompt,logp_ref,type) and prints its shape:\nusers, "
               "queries, answers by kind (m, r), features (feature_K,NAME for\nnamed "
               "columns), optional columns.\n");
        return 0;
    }
    const char *data = NULL;
    for (int i = 2; i < argc; i++) {
        int missing = 0;
        const char *v = cli_opt_value(argc, argv, &i, "--data", &missing);
        if (v) data = v;
        else if (missing) return cli_usage_error("describe", "--data needs a value%s", "");
        else return cli_usage_error("describe", "unknown argument '%s'", argv[i]);
    }
    if (!data) return cli_usage_error("describe", "missing --data CSV%s", "");
    data_set *ds = NULL;
    int st = cli_read_data(data, &ds);
    if (st) return cli_fail(st);
    printf("users,%zu\nqueries,%zu\ncandidates,%zu\nfeatures,%zu\n", ds->n_users,
           ds->n_queries, ds->n_cands, ds->d);
    for (size_t k = 0; ds->features && k < ds->d; k++) {
        char nb[24];
        printf("feature_%zu,", k + 1);
        csvio_put_text(stdout, data_feature_name(ds, k, nb, sizeof nb));
        putchar('\n');
    }
    /* Histogram of (m, r) kinds. */
    size_t kinds[16][3] = {{0}}, nk = 0, other = 0;
    for (size_t q = 0; q < ds->n_queries; q++) {
        size_t m = data_m(ds, q), r = ds->q_r[q], k;
        for (k = 0; k < nk; k++)
            if (kinds[k][0] == m && kinds[k][1] == r) break;
        if (k == nk) {
            if (nk == 16) { other++; continue; }
            kinds[nk][0] = m;
            kinds[nk][1] = r;
            kinds[nk++][2] = 0;
        }
        kinds[k][2]++;
    }
    for (size_t k = 0; k < nk; k++)
        printf("answers_m%zu_r%zu,%zu\n", kinds[k][0], kinds[k][1], kinds[k][2]);
    if (other) printf("answers_other,%zu\n", other);
    printf("has_type,%d\nhas_prompt,%d\nhas_logp_ref,%d\n", ds->user_type != NULL,
           ds->q_prompt != NULL, ds->logp_ref != NULL);
    data_free(ds);
    return 0;
}
