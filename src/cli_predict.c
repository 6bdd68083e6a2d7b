/* cli_predict.c — `hetpref predict` (see cli_predict.h). */
#include "cli_predict.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clicommon.h"
#include "cliutil.h"
#include "data.h"
#include "emdpo.h"
#include "err.h"
#include "estread.h"
#include "fsutil.h"
#include "mix.h"
#include "nn.h"
#include "policyio.h"
#include "predict.h"

static const char usage_predict[] =
    "usage: hetpref predict --estimates DIR --data CSV [-o DIR]\n"
    "       hetpref predict --policies DIR --data CSV [--threads N] [-o DIR]\n"
    "\n"
    "Scores the users and queries of CSV (new data, or the training data) with\n"
    "a fitted model: --estimates DIR, a latent-class fit (DIR/estimates.csv;\n"
    "its features must be the data's, by name and order), or --policies DIR,\n"
    "EM-DPO policies (DIR/policies.txt; DIR/policies.txt itself is accepted).\n"
    "Writes into -o DIR (default results/predict), all or nothing:\n"
    "  posteriors.csv  user,p1..pK: each user's posterior type probabilities\n"
    "                  given their answers (on the training data: the fit's\n"
    "                  posteriors.csv)\n"
    "  choices.csv     user,query,item,p_type1..p_typeK,p_mixture: for every\n"
    "                  candidate the probability that it is chosen first among\n"
    "                  its query's candidates under each type, and under the\n"
    "                  mixture with the population weights (a user of unknown\n"
    "                  type); each column sums to 1 over a query\n"
    "  summary.csv     users,answers,loglik,loglik_per_answer: the held-out\n"
    "                  log-likelihood of the data, sum over users of log sum_k\n"
    "                  weight_k P(answers | type k)\n"
    "and prints the log-likelihood on stderr.\n";

typedef struct predict_args {
    const char *estimates, *policies, *data, *out;
    long threads;
} predict_args;

/* Returns -1 to go on, or the exit status. */
static int predict_parse(int argc, char **argv, predict_args *a)
{
    for (int i = 2; i < argc; i++) {
        int missing = 0;
        const char *v;
        if ((v = cli_opt_value(argc, argv, &i, "--estimates", &missing))) a->estimates = v;
        else if ((v = cli_opt_value(argc, argv, &i, "--policies", &missing))) a->policies = v;
        else if ((v = cli_opt_value(argc, argv, &i, "--data", &missing))) a->data = v;
        else if ((v = cli_opt_value(argc, argv, &i, "-o", &missing))) a->out = v;
        else if ((v = cli_opt_value(argc, argv, &i, "--threads", &missing))) {
            if (cli_parse_long(v, 1, 4096, &a->threads))
                return cli_usage_error("predict", "--threads: expected 1..4096, "
                                       "got '%s'", v);
        } else {
            return cli_usage_error("predict", missing ? "%s needs a value"
                                   : "unknown argument '%s'", argv[i]);
        }
    }
    if (!a->data) return cli_usage_error("predict", "missing --data CSV%s", "");
    if (!a->estimates == !a->policies)
        return cli_usage_error("predict", "give exactly one of --estimates DIR "
                               "and --policies DIR%s", "");
    if (a->estimates && a->threads)
        return cli_usage_error("predict", "--threads does not apply to "
                               "--estimates (a latent-class prediction is "
                               "single-threaded)%s", "");
    if (!a->out) a->out = "results/predict";
    return -1;
}

/* The model's outputs on ds, before writing. */
typedef struct predict_out {
    size_t K;
    double *post, *u, *p, loglik;
} predict_out;

static int out_alloc(predict_out *o, const data_set *ds, size_t K)
{
    o->K = K;
    o->post = malloc(ds->n_users * K * sizeof(double) + 1);
    o->u = malloc(K * ds->n_cands * sizeof(double) + 1);
    o->p = malloc(ds->n_cands * (K + 1) * sizeof(double) + 1);
    if (!o->post || !o->u || !o->p) PREF_ERROR(PREF_ENOMEM, "out of memory");
    return PREF_OK;
}

static void out_free(predict_out *o)
{
    free(o->post);
    free(o->u);
    free(o->p);
}

/* A latent-class fit: estimates.csv of dir (or dir itself when it is the
 * file). */
static int predict_lcl(const predict_args *a, const data_set *ds, predict_out *o)
{
    char path[4096];
    size_t n = strlen(a->estimates);
    if (n >= 4 && !strcmp(a->estimates + n - 4, ".csv"))
        snprintf(path, sizeof path, "%s", a->estimates);
    else
        PREF_TRY(fsutil_join(path, sizeof path, a->estimates, "estimates.csv"));
    estread_estimates *e = NULL;
    PREF_TRY(estread_read(path, ds, &e));
    int st = out_alloc(o, ds, e->K);
    if (!st) st = mix_posterior_at(ds, e->K, e->weight, e->theta, o->post, &o->loglik);
    if (!st) {
        predict_linear_utilities(ds, e->K, e->theta, o->u);
        predict_choices(ds, e->K, e->weight, o->u, o->p);
    }
    estread_free(e);
    return st;
}

/* EM-DPO policies: DIR/policies.txt (or the file itself). */
static int predict_emdpo(const predict_args *a, const data_set *ds, predict_out *o)
{
    char dir[4096];
    size_t n = strlen(a->policies), t = strlen("policies.txt");
    snprintf(dir, sizeof dir, "%s", a->policies);
    if (n >= t && !strcmp(a->policies + n - t, "policies.txt"))
        snprintf(dir, sizeof dir, "%.*s", n > t ? (int)(n - t) : 1,
                 n > t ? a->policies : ".");
    policy_set *ps = NULL;
    PREF_TRY(policyio_read(dir, &ps));
    int st = PREF_OK;
    if (ps->net.d != ds->d)
        st = pref_set_error(PREF_EINPUT, "%s: the policies take %zu features but "
                            "%s has %zu", a->policies, ps->net.d, a->data, ds->d);
    emdpo_params ep;
    emdpo_params_init(&ep);
    ep.net = ps->net;
    ep.dpo.beta = ps->beta;
    ep.K = ps->K;
    ep.threads = (int)a->threads;
    if (!st) st = out_alloc(o, ds, ps->K);
    if (!st) st = emdpo_estep(ds, &ep, ps->params, ps->weights, o->post, &o->loglik);
    if (!st) st = emdpo_utilities(ds, &ep, ps->params, o->u);
    if (!st) predict_choices(ds, ps->K, ps->weights, o->u, o->p);
    policy_set_free(ps);
    return st;
}

int cli_predict(int argc, char **argv)
{
    if (cli_has_help(argc, argv)) {
        fputs(usage_predict, stdout);
        return 0;
    }
    predict_args a = {0};
    int rc = predict_parse(argc, argv, &a);
    if (rc >= 0) return rc;
    data_set *ds = NULL;
    predict_out o = {0};
    fsutil_stage stage = {.dir = ""};
    static const char *const owned[] = {"posteriors.csv", "choices.csv",
                                        "summary.csv", NULL};
    int st = cli_read_data(a.data, &ds);
    if (!st) st = a.estimates ? predict_lcl(&a, ds, &o) : predict_emdpo(&a, ds, &o);
    if (!st) st = fsutil_stage_begin(&stage, a.out);
    if (!st) st = predict_write(ds, o.K, o.post, o.p, o.loglik, stage.dir);
    if (!st) st = fsutil_stage_commit(&stage, owned);
    fsutil_stage_abort(&stage);
    if (!st)
        fprintf(stderr, "hetpref: predict: %zu users, %zu answers: held-out "
                "log-likelihood %.6g (%.6g per answer)\n", ds->n_users,
                ds->n_queries, o.loglik, o.loglik / (double)ds->n_queries);
    out_free(&o);
    data_free(ds);
    return st ? cli_fail(st) : 0;
}
