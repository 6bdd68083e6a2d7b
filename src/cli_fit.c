/* cli_fit.c — `hetpref fit`: flag parsing and scope checks, the
 * latent-class and EM-DPO fits, their summaries and warnings (see cli_fit.h). */
#include "cli_fit.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "cfg.h"
#include "cfgmap.h"
#include "clicommon.h"
#include "cliutil.h"
#include "cli_npmle.h"
#include "cli_prov.h"
#include "csvio.h"
#include "data.h"
#include "emdpo.h"
#include "err.h"
#include "eval.h"
#include "fitdiag.h"
#include "fitout.h"
#include "fsutil.h"
#include "identify_tables.h"
#include "kselect.h"
#include "kselectout.h"
#include "mix.h"
#include "policyio.h"
#include "progress.h"
#include "rngs.h"
#include "truthio.h"

/* ---- fit ---------------------------------------------------------------- */

static const char usage_fit[] =
    "usage: hetpref fit --data CSV --model lcl --types K [--starts S] [--seed S]\n"
    "                   [--tol x] [--max-iter n] [--warm-users n]\n"
    "                   [--se observed|sandwich] [--level x] [--threads N]\n"
    "                   [--truth CSV]\n"
    "                   [--set section.key=value] [-o DIR]\n"
    "       hetpref fit --data CSV --model emdpo --types K [--beta b] [--lr x]\n"
    "                   [--batch B] [--epochs E] [--em-iters I] [--em-tol x]\n"
    "                   [--em-patience P] [--hidden H] [--layers L]\n"
    "                   [--init dirichlet|kmeans|truth] [--m-step warm|restart]\n"
    "                   [--precision double|single]\n"
    "                   [--threads N] [--seed S] [--set section.key=value] [-o DIR]\n"
    "       hetpref fit --data CSV --model lcl|emdpo --types K1:K2 [--folds V]\n"
    "                   [options of the model] [-o DIR]\n"
    "       hetpref fit --data CSV --model npmle --grid G [--grid-radius R]\n"
    "                   [--gap x] [--threads N] [--truth CSV]\n"
    "                   [--set section.key=value] [-o DIR]\n"
    "       hetpref fit --config DIR/config.ini [-o OUT]\n"
    "\n"
    "DIR/config.ini holds the keys that apply to the fit and, in [provenance], the\n"
    "command line, each input file (data, truth) with its size and SHA-256, and\n"
    "the version. --config reruns that command into OUT (default DIR) and gives\n"
    "the same files byte for byte; an input that changed is an error naming it\n"
    "and both hashes.\n"
    "\n"
    "--model lcl: latent-class Plackett-Luce by EM on any data in the\n"
    "long CSV format: pairs, top-k and full rankings together. --types 1 is the\n"
    "ordinary Plackett-Luce / Bradley-Terry / conditional-logit MLE. Types are\n"
    "labelled 1..K in a canonical order: by decreasing weight; equal weights by\n"
    "decreasing first coefficient, then the next ones in feature order. Writes\n"
    "DIR/estimates.csv (type,parameter,estimate,se,z,p,ci_low,ci_high: one row\n"
    "per type and parameter, `weight` then `theta[NAME]` per feature, NAME the\n"
    "data's column name; z = estimate/se, p two-sided, Wald interval at --level,\n"
    "default 0.95; a single type's weight has se 0 and z, p NaN), DIR/vcov.csv\n"
    "(the covariance of those estimates, rows and columns in the same order,\n"
    "columns named TYPE:PARAMETER), DIR/posteriors.csv (user,p1..pK),\n"
    "DIR/config.ini, DIR/fit.csv\n"
    "(loglik,aic,bic,icl,iterations,starts,best_start_hits,converged,\n"
    "empty_classes,identified,n_flat_directions,degenerate_classes,users,\n"
    "answers) and, when\n"
    "the data have a type column, DIR/evaluation.csv (accuracy,ari,w1,w1_note:\n"
    "accuracy and ARI after aligning labels; w1 against --truth, default\n"
    "truth.csv beside the data; when there is no usable truth, w1 is NaN and\n"
    "w1_note says why, else w1_note is empty). --truth with a truth that cannot\n"
    "be compared (a neural or gaussian population, another number of features)\n"
    "is an error; such a truth.csv found beside the data gives a warning.\n"
    "Warm starts: on data of at least 2n users, not all of them pairs\n"
    "(--warm-users n, default 1000), each start first runs to convergence on n\n"
    "users drawn at random and continues on all users from there: the same\n"
    "optima in fewer passes over all users. --warm-users 0 runs every pass on\n"
    "all users (as flexmix does). fit.csv's iterations counts the passes over\n"
    "all users of the best start.\n"
    "\n"
    "--model emdpo: EM-DPO: one compact neural policy per latent\n"
    "type, trained by EM on the weighted Plackett-Luce DPO loss with utility\n"
    "beta (f - logp_ref). EM stops when the relative log-likelihood change\n"
    "|L_t - L_(t-1)| / |L_t| is <= --em-tol (default 1e-3) for --em-patience\n"
    "(default 2) consecutive iterations, or after --em-iters (the cap), and keeps\n"
    "the iterate of highest log-likelihood (the M-steps are stochastic: the last\n"
    "is not always the best). Writes DIR/posteriors.csv and DIR/policies.txt of\n"
    "the kept iterate (format in doc/formats.md; read by hetpref mmra --policies),\n"
    "DIR/fit.csv (per EM iteration: iteration,loglik,eta1..etaK[,accuracy,ari]\n"
    ",kept,converged: kept = 1 on the kept iterate; converged = 1 when the\n"
    "tolerance rule stopped EM, 0 at the cap) and DIR/config.ini. Flags are the\n"
    "[emdpo] config keys of the same names.\n"
    "\n"
    "Choosing K: --types K1:K2 (1 <= K1 <= K2 <= 64) fits every K from K1 to\n"
    "K2, writing DIR/K/ exactly as a fit of that K writes DIR, and scores each\n"
    "K by V-fold cross-validation by user (--folds V, default 5; 2 <= V <=\n"
    "users): the folds are drawn from --seed, and for each fold the model is\n"
    "fitted on the other folds' users and each held-out user is scored by the\n"
    "log of its marginal likelihood over that fit's types. DIR/select.csv has\n"
    "one row per K: K,loglik,n_params,aic,bic,icl (the full-data fit),\n"
    "heldout_loglik (the total over users of the held-out log-likelihoods),\n"
    "heldout_se (its standard error: sqrt(users) x the sd of the per-user\n"
    "values), converged (1 when the full-data fit and every fold fit\n"
    "converged), best_hits (starts reaching the best). EM-DPO has no AIC, BIC\n"
    "or ICL (a network's parameter count does not measure its complexity) and\n"
    "one start: those columns are NaN (its n_params counts the K networks'\n"
    "weights and the K - 1 free type weights). The picks are printed and\n"
    "written to\n"
    "DIR/picks.csv (pick_bic,pick_heldout,heldout_best_k,heldout_threshold,\n"
    "folds): the K of smallest BIC (NaN for EM-DPO) and, by the\n"
    "one-standard-error rule, the smallest K whose held-out log-likelihood is\n"
    "within one standard error of the best K's. DIR/select.png (.svg, .gp)\n"
    "draws BIC and the held-out log-likelihood against K. --folds without a\n"
    "range is an error.\n"
    "\n"
    "A flag or --set key that the chosen model does not use is an error. Every\n"
    "fit prints a summary on stderr (K, log-likelihood, BIC, starts reaching the\n"
    "best, convergence; for EM-DPO the kept iteration) and a warning for each\n"
    "reason not to trust it: information singular or nearly so (eigenvalues\n"
    "below 1e-8 x the largest, each a direction of the parameters the data do\n"
    "not identify), EM not converged or stopped on a flat likelihood (10\n"
    "iterations in a row each gaining at most 1e-7 x |log-likelihood| without\n"
    "slowing down: identified = 0 in fit.csv), a degenerate class (weight below 0.02, or\n"
    "exploding coefficients: a utility scale, the RMS over candidates of\n"
    "theta_k . (x - query mean), above 10), the best log-likelihood reached by\n"
    "only one of the starts.\n"
    "\n"
    "Identical output for any --threads. DIR defaults to results/fit.\n";

static int write_emdpo(const data_set *ds, const emdpo_fit *f, const char *dir)
{
    size_t K = f->K;
    char path[4096];
    fsutil_file o;
    PREF_TRY(fitout_write_posteriors(ds, f->post, K, dir));
    PREF_TRY(fsutil_join(path, sizeof path, dir, "fit.csv"));
    PREF_TRY(fsutil_open(&o, path));
    fputs("iteration,loglik", o.f);
    for (size_t k = 0; k < K; k++) fprintf(o.f, ",eta%zu", k + 1);
    if (ds->user_type) fputs(",accuracy,ari", o.f);
    fputs(",kept,converged\n", o.f);
    for (size_t it = 0; it <= f->iters; it++) {
        fprintf(o.f, "%zu,", it);
        csvio_put_num(o.f, f->tr_loglik[it]);
        csvio_put_nums(o.f, f->tr_eta + it * K, K);
        if (ds->user_type) {
            double q[2] = {f->tr_acc[it], f->tr_ari[it]};
            csvio_put_nums(o.f, q, 2);
        }
        fprintf(o.f, ",%d,%d\n", it == f->best_iter, f->converged);
    }
    PREF_TRY(fsutil_commit(&o));
    int err;
    policy_set *ps = policy_set_alloc(&f->net, f->beta, K, &err);
    if (!ps) return err;
    memcpy(ps->params, f->params, K * f->n_params * sizeof(double));
    memcpy(ps->weights, f->eta, K * sizeof(double));
    int st = policyio_write(ps, dir);
    policy_set_free(ps);
    return st;
}

/* Map a fit flag to its config key and set it (messages name the flag). */
static int set_flag(cfg *c, const char *flag, const char *key, const char *v)
{
    char dotted[64];
    snprintf(dotted, sizeof dotted, "%s", key);
    if (cfg_find(dotted) < 0)
        PREF_ERROR(PREF_EINTERNAL, "unknown key %s", key);
    return cfg_set_dotted(c, dotted, v, flag, 0);
}

/* The fit's progress callback: a bar on a terminal (progress.h). */
static void fit_progress(void *ctx, size_t n)
{
    progress_tick(ctx, n);
}

#define FIT_MAX_GIVEN 96
/* The largest feature magnitude fit accepts: squares and sums of squares of
 * features up to 1e100 stay far from double overflow (1.8e308). */
#define FIT_MAX_ABS_FEATURE 1e100

/* The fit command's arguments beyond the config keys it sets in c, and
 * every option that set a key (checked against the model once it is
 * known). */
typedef struct fit_args {
    const char *data, *out, *truth;
    long threads;
    int range;          /* --types K1:K2 given: choose K (kselect.h) */
    size_t k_lo, k_hi;  /* the range, K1 <= K2 */
    long folds;         /* --folds V (0: not given; default 5 with a range) */
    int argc;           /* the command line, for config.ini's provenance */
    char **argv;
    size_t n_given;
    struct { const char *opt; char key[64]; } given[FIT_MAX_GIVEN];
} fit_args;

/* Record that option opt set key (for fit_check_scope). */
static void fit_given(fit_args *a, const char *opt, const char *key)
{
    if (a->n_given == FIT_MAX_GIVEN) return; /* fit_parse refuses more */
    a->given[a->n_given].opt = opt;
    snprintf(a->given[a->n_given].key, sizeof a->given[0].key, "%.*s",
             (int)strcspn(key, "="), key);
    a->n_given++;
}

/* --types K or --types K1:K2 (a range: 1 <= K1 <= K2 <= the type limit)
 * into c (fit.types = K or K1) and a. Returns -1 to go on, else the exit
 * status. */
static int fit_types(cfg *c, fit_args *a, const char *v)
{
    const char *colon = strchr(v, ':');
    fit_given(a, "--types", "fit.types");
    int st;
    if (!colon) return (st = set_flag(c, "--types", "fit.types", v)) ? cli_fail(st) : -1;
    char lo[32];
    long k1, k2;
    snprintf(lo, sizeof lo, "%.*s", (int)(colon - v < 31 ? colon - v : 31), v);
    if (cli_parse_long(lo, 1, PREF_MAX_TYPES, &k1) ||
        cli_parse_long(colon + 1, 1, PREF_MAX_TYPES, &k2) || k1 > k2) {
        char msg[256];
        snprintf(msg, sizeof msg, "--types %.64s: expected K or a range K1:K2 "
                 "with 1 <= K1 <= K2 <= %d", v, PREF_MAX_TYPES);
        return cli_usage_error("fit", "%s", msg);
    }
    a->range = 1;
    a->k_lo = (size_t)k1;
    a->k_hi = (size_t)k2;
    return (st = set_flag(c, "--types", "fit.types", lo)) ? cli_fail(st) : -1;
}

/* Parse fit's command line into c and a. Returns -1 to go on, or the exit
 * status (usage error, bad value). */
static int fit_parse(int argc, char **argv, cfg *c, fit_args *a)
{
    static const struct { const char *flag, *key; } flags[] = {
        {"--model", "fit.model"},
        {"--starts", "fit.starts"},   {"--seed", "run.seed"},
        {"--tol", "fit.tol"},         {"--max-iter", "fit.max_iter"},
        {"--warm-users", "fit.warm_users"},
        {"--se", "fit.se"},           {"--level", "fit.level"},
        {"--beta", "emdpo.beta"},
        {"--lr", "emdpo.lr"},         {"--batch", "emdpo.batch"},
        {"--epochs", "emdpo.epochs"}, {"--em-iters", "emdpo.em_iters"},
        {"--em-tol", "emdpo.em_tol"}, {"--em-patience", "emdpo.em_patience"},
        {"--hidden", "emdpo.hidden"}, {"--layers", "emdpo.layers"},
        {"--init", "emdpo.init"},     {"--m-step", "emdpo.m_step"},
        {"--precision", "emdpo.precision"},
        {"--grid", "npmle.grid"},     {"--grid-radius", "npmle.radius"},
        {"--gap", "npmle.gap"},
    };
    int st = PREF_OK, have_types = 0, have_grid = 0;
    for (int i = 2; i < argc && !st; i++) {
        int missing = 0, done = 0;
        const char *v;
        if (a->n_given == FIT_MAX_GIVEN)
            return cli_usage_error("fit", "too many options%s", "");
        for (size_t f = 0; f < sizeof flags / sizeof flags[0] && !done; f++)
            if ((v = cli_opt_value(argc, argv, &i, flags[f].flag, &missing))) {
                st = set_flag(c, flags[f].flag, flags[f].key, v);
                fit_given(a, flags[f].flag, flags[f].key);
                have_grid |= strcmp(flags[f].flag, "--grid") == 0;
                done = 1;
            }
        if (missing) return cli_usage_error("fit", "%s needs a value", argv[i]);
        if (done) continue;
        if ((v = cli_opt_value(argc, argv, &i, "--types", &missing))) {
            int rc = fit_types(c, a, v);
            if (rc >= 0) return rc;
            have_types = 1;
        } else if ((v = cli_opt_value(argc, argv, &i, "--folds", &missing))) {
            if (cli_parse_long(v, 2, 1000000, &a->folds))
                return cli_usage_error("fit", "--folds: expected a number of "
                                       "folds >= 2, got '%s'", v);
        } else if ((v = cli_opt_value(argc, argv, &i, "--data", &missing))) a->data = v;
        else if ((v = cli_opt_value(argc, argv, &i, "-o", &missing))) a->out = v;
        else if ((v = cli_opt_value(argc, argv, &i, "--truth", &missing))) a->truth = v;
        else if ((v = cli_opt_value(argc, argv, &i, "--set", &missing))) {
            st = cli_apply_set(c, v);
            fit_given(a, "--set", v);
        } else if ((v = cli_opt_value(argc, argv, &i, "--threads", &missing))) {
            if (cli_parse_long(v, 1, 4096, &a->threads))
                return cli_usage_error("fit", "--threads: expected 1..4096, got '%s'", v);
        } else {
            return cli_usage_error("fit", missing ? "%s needs a value"
                                              : "unknown argument '%s'", argv[i]);
        }
    }
    if (st) return cli_fail(st);
    if (!a->data) return cli_usage_error("fit", "missing --data CSV%s", "");
    if (a->folds && !a->range)
        return cli_usage_error("fit", "--folds needs a range of K: cross-"
                               "validation chooses among several K (give "
                               "--types K1:K2)%s", "");
    if (c->fit_model == CFG_fit_model_npmle)
        return have_grid ? -1 : cli_usage_error("fit", "missing --grid G (--model "
                                                "npmle)%s", "");
    if (!have_types) return cli_usage_error("fit", "missing --types K%s", "");
    return -1;
}

/* Why config key (section.key) does not apply to a fit of the model (a
 * CFG_fit_model_* constant), or NULL when it does. */
static const char *fit_key_scope(const char *key, long model)
{
    int npmle = model == CFG_fit_model_npmle, emdpo = model == CFG_fit_model_emdpo;
    if (!strcmp(key, "fit.model")) return NULL;
    if (npmle && !strcmp(key, "run.seed"))
        return "the NPMLE is deterministic: it uses no random numbers";
    if (npmle && !strcmp(key, "fit.types"))
        return "the NPMLE estimates a whole distribution on a grid, not K types";
    if (!strcmp(key, "run.seed") || !strcmp(key, "fit.types")) return NULL;
    if (!strcmp(key, "emdpo.test_users"))
        return "it sets the held-out users of simulations, not a fit";
    if (!strncmp(key, "fit.", 4))
        return model != CFG_fit_model_lcl ? "it is a latent-class (--model lcl) "
                                            "setting" : NULL;
    if (!strncmp(key, "emdpo.", 6))
        return emdpo ? NULL : "it is an EM-DPO (--model emdpo) setting";
    if (!strncmp(key, "npmle.", 6))
        return npmle ? NULL : "it is an NPMLE (--model npmle) setting";
    return "it describes a simulation or another command, not a fit";
}

/* Every option given must apply to the chosen model. Returns -1 to go on,
 * or 2 after a message naming the option and why. */
static int fit_check_scope(const cfg *c, const fit_args *a)
{
    int emdpo = c->fit_model == CFG_fit_model_emdpo;
    const char *model = cfg_value_name((cfg_value)c->fit_model);
    char msg[512];
    for (size_t g = 0; g < a->n_given; g++) {
        const char *why = fit_key_scope(a->given[g].key, c->fit_model);
        if (!why) continue;
        int set = !strcmp(a->given[g].opt, "--set");
        snprintf(msg, sizeof msg, "%s%s%s does not apply to --model %s: %s",
                 a->given[g].opt, set ? " " : "", set ? a->given[g].key : "",
                 model, why);
        return cli_usage_error("fit", "%s", msg);
    }
    if (emdpo && a->truth)
        return cli_usage_error("fit", "--truth does not apply to --model emdpo: "
                               "EM-DPO is scored by accuracy and ARI in fit.csv "
                               "(with a type column), not against a truth "
                               "file%s", "");
    return -1;
}

/* The warnings shared by both models: degenerate classes. */
static void fit_warn_classes(const fitdiag *dg, const double *eta,
                             const fitdiag_params *q)
{
    for (size_t k = 0; k < dg->K; k++) {
        if (!dg->tiny[k] && !dg->exploding[k]) continue;
        char why[160] = "";
        if (dg->tiny[k])
            snprintf(why, sizeof why, "weight %.3g < %g", eta[k], q->min_weight);
        if (dg->exploding[k])
            snprintf(why + strlen(why), sizeof why - strlen(why),
                     "%sutility scale %.3g > %g (exploding coefficients)",
                     dg->tiny[k] ? ", " : "", dg->scale[k], q->max_utility);
        fprintf(stderr, "hetpref: warning: type %zu is degenerate: %s; its "
                "estimates are not to be trusted (fewer --types?)\n", k + 1, why);
    }
}

/* Summary and warnings of an EM-DPO fit on stderr. */
static void fit_report_emdpo(const emdpo_fit *f, const emdpo_params *ep)
{
    fitdiag dg;
    fitdiag_params q;
    fitdiag_params_init(&q);
    if (fitdiag_emdpo(f, &q, &dg) != PREF_OK) return;
    double last = f->tr_loglik[f->iters];
    fprintf(stderr, "hetpref: fit: EM-DPO, K = %zu: kept iteration %zu of %zu "
            "(log-likelihood %.6g, the highest; last %.6g); %s\n", f->K,
            f->best_iter, f->iters, f->loglik, last,
            f->converged ? "converged" : "stopped at --em-iters, not converged");
    if (!f->converged) {
        double prev = f->iters > 1 ? f->tr_loglik[f->iters - 1] : NAN;
        fprintf(stderr, "hetpref: warning: EM-DPO did not converge in %zu "
                "iterations: last relative log-likelihood change %.2g (rule: "
                "<= --em-tol %g for %zu iterations in a row)\n", f->iters,
                fabs(last - prev) / fabs(last), ep->tol, ep->patience);
    }
    fit_warn_classes(&dg, f->eta, &q);
}

/* fit --model emdpo on ds; row (may be NULL) gets the fit's line of
 * select.csv. */
static int fit_emdpo(const cfg *c, const fit_args *a, const data_set *ds,
                     kselectout_row *row)
{
    emdpo_params ep;
    cfgmap_emdpo_params(c, &ep);
    ep.net.d = ds->d;
    ep.threads = (int)a->threads;
    const char *why = emdpo_params_check(&ep);
    if (why) return pref_set_error(PREF_EINPUT, "fit: %s", why);
    if (ep.init == EMDPO_INIT_TRUTH && !ds->user_type)
        return pref_set_error(PREF_EINPUT, "--init truth: %s has no type column",
                              a->data);
    emdpo_fit *ef = NULL;
    progress bar;
    progress_start(&bar, "fit (EM-DPO policy M-steps)", ep.em_iters * ep.K);
    ep.progress = fit_progress;
    ep.progress_ctx = &bar;
    int st = emdpo_fit_run(ds, &ep, &ef);
    progress_end(&bar);
    if (!st) st = fsutil_mkdirs(a->out);
    if (!st) st = write_emdpo(ds, ef, a->out);
    if (!st) fit_report_emdpo(ef, &ep);
    if (!st && row) {
        /* EM-DPO has no AIC, BIC or ICL (a neural likelihood's parameter
         * count is no measure of its complexity) and a single start. */
        *row = (kselectout_row){.K = ef->K, .loglik = ef->loglik,
                                .n_params = (double)(ef->K * ef->n_params + ef->K - 1),
                                .aic = NAN, .bic = NAN, .icl = NAN,
                                .converged = ef->converged, .best_hits = NAN};
    }
    emdpo_fit_free(ef);
    return st;
}

/* Warn about feature columns the latent-class fit cannot use. */
static void fit_warn_design(const data_set *ds, const char *data)
{
    unsigned char flat[4096];
    size_t nflat = ds->d <= 4096 ? mix_uninformative_columns(ds, flat) : 0;
    for (size_t j = 0; j < ds->d && j < 4096 && nflat; j++)
        if (flat[j])
            fprintf(stderr, "hetpref: warning: %s: column 'x%zu' is constant "
                    "within every query: it carries no information (its "
                    "coefficients are fixed at 0, standard errors NaN)\n", data, j + 1);
    double cond;
    if (mix_design_condition(ds, &cond) == PREF_OK && !(cond < 1e10))
        fprintf(stderr, "hetpref: warning: %s: the features are (nearly) "
                "collinear within queries (condition number %.3g): the "
                "coefficients along the collinear direction are not "
                "identified (ridge-stabilised; standard errors huge or NaN)\n",
                data, cond);
}

/* The true mixture for W1, read before fitting so a bad file writes nothing:
 * --truth, else truth.csv beside the data when present (only for data with
 * a type column: --truth without one is an error). *t = NULL when there is
 * no usable truth; note (n bytes) then says why, for evaluation.csv. A
 * --truth that cannot be compared with this fit is an error; a truth.csv
 * beside the data that cannot is a warning. */
static int fit_read_truth(const fit_args *a, const data_set *ds,
                          truthio_truth **t, char *note, size_t n)
{
    *t = NULL;
    snprintf(note, n, "no truth file (give --truth)");
    if (!ds->user_type) {
        if (a->truth)
            PREF_ERROR(PREF_EINPUT, "--truth %s: %s has no type column, and "
                       "the evaluation (accuracy, ARI, W1) needs the true types",
                       a->truth, a->data);
        return PREF_OK;
    }
    char truth[4096], why[256];
    PREF_TRY(cli_truth_read(a->truth, a->data, truth, sizeof truth, t));
    if (!*t) return PREF_OK;
    const char *no = truthio_comparable(*t, ds->d, why, sizeof why);
    if (!no) return PREF_OK;
    truthio_truth_free(*t);
    *t = NULL;
    if (a->truth)
        PREF_ERROR(PREF_EINPUT, "--truth %s: cannot score a latent-class fit "
                   "against it: %s", truth, no);
    fprintf(stderr, "hetpref: warning: %s: no W1 against it: %s (evaluation.csv: "
            "w1 NaN, w1_note says why)\n", truth, no);
    snprintf(note, n, "truth.csv not comparable: %s", no);
    return PREF_OK;
}

/* evaluation.csv of a latent-class fit against the data's type column and,
 * when there is one, the truth t (else w1 is NaN and note says why). */
static int fit_lcl_evaluate(const data_set *ds, const mix_fit *fit,
                            const truthio_truth *t, const char *note,
                            const char *out)
{
    uint32_t kmax = 0;
    for (size_t i = 0; i < ds->n_users; i++)
        if (ds->user_type[i] != DATA_NONE && ds->user_type[i] + 1 > kmax)
            kmax = ds->user_type[i] + 1;
    double acc, ari, w1;
    PREF_TRY(eval_mix_fit(fit, ds->user_type, t ? t->K : kmax, t ? t->eta : NULL,
                          t ? t->theta : NULL, &acc, &ari, &w1));
    return fitout_write_eval(out, acc, ari, w1, t ? NULL : note);
}

/* Summary and warnings of a latent-class fit on stderr. */
static void fit_report_lcl(const mix_fit *f, const mix_params *mp,
                           const fitdiag *dg, const fitdiag_params *q)
{
    fprintf(stderr, "hetpref: fit: K = %zu, log-likelihood %.6g, BIC %.6g; "
            "best reached by %zu of %zu starts; %s after %zu iterations\n",
            f->K, f->loglik, f->bic, f->best_hits, f->starts,
            f->converged ? "converged"
            : f->flat    ? "stopped on a flat likelihood (not converged)"
                         : "not converged", f->iterations);
    if (dg->identified == 0 && dg->n_flat > 0)
        fprintf(stderr, "hetpref: warning: the information matrix is singular "
                "or nearly so: %zu of its %zu eigenvalues are below %g x the "
                "largest (%zu negative), i.e. %zu directions of the parameters "
                "are not identified by these data (standard errors NaN or "
                "meaningless)\n", dg->n_flat, dg->n_params, q->flat_rel,
                dg->n_negative, dg->n_flat);
    else if (dg->identified == 0)
        fprintf(stderr, "hetpref: warning: the information matrix could not be "
                "inverted (near-singular): standard errors are NaN\n");
    else if (dg->identified < 0)
        fprintf(stderr, "hetpref: warning: the eigenvalues of the information "
                "matrix could not be computed: identification not checked\n");
    if (f->flat)
        fprintf(stderr, "hetpref: warning: EM stopped after %zu iterations on a "
                "flat likelihood: %zu iterations in a row each raised it by at "
                "most %g x |log-likelihood|, without slowing down: the "
                "parameters drift along a direction these data barely "
                "constrain; the fit is not identified and the estimates are "
                "one point of a ridge, not a maximum\n", f->iterations,
                mp->flat_window, mp->flat_tol);
    else if (!f->converged)
        fprintf(stderr, "hetpref: warning: EM did not converge in %zu "
                "iterations (--max-iter %zu, --tol %g): the estimates are not "
                "at a maximum\n", f->iterations, mp->max_iter, mp->tol);
    fit_warn_classes(dg, f->eta, q);
    if (dg->single_best)
        fprintf(stderr, "hetpref: warning: the best log-likelihood was reached "
                "by only 1 of %zu starts: it may be a local maximum (more "
                "--starts?)\n", f->starts);
}

/* fit --model lcl on ds; row (may be NULL) gets the fit's line of
 * select.csv. */
static int fit_lcl(const cfg *c, const fit_args *a, const data_set *ds,
                   kselectout_row *row)
{
    fit_warn_design(ds, a->data);
    truthio_truth *t = NULL;
    mix_fit *fit = NULL;
    char note[512];
    int st = fit_read_truth(a, ds, &t, note, sizeof note);
    if (st) goto done;
    mix_params mp;
    cfgmap_mix_params(c, &mp);
    mp.threads = (int)a->threads;
    progress bar;
    progress_start(&bar, "fit (latent-class EM starts)", mp.starts);
    mp.progress = fit_progress;
    mp.progress_ctx = &bar;
    st = mix_fit_run(ds, (size_t)c->fit_types, &mp, &fit);
    progress_end(&bar);
    fitdiag dg;
    fitdiag_params q;
    fitdiag_params_init(&q);
    if (!st) st = fitdiag_lcl(ds, fit, &q, &dg);
    if (!st) st = fsutil_mkdirs(a->out);
    if (!st) st = fitout_write(ds, fit, &dg, c->fit_level, a->out);
    if (!st && ds->user_type) st = fit_lcl_evaluate(ds, fit, t, note, a->out);
    if (!st) fit_report_lcl(fit, &mp, &dg, &q);
    if (!st && row)
        *row = (kselectout_row){.K = fit->K, .loglik = fit->loglik,
                                .n_params = (double)fit->n_params,
                                .aic = fit->aic, .bic = fit->bic, .icl = fit->icl,
                                .converged = fit->converged,
                                .best_hits = (double)fit->best_hits};
done:
    truthio_truth_free(t);
    mix_fit_free(fit);
    return st;
}

/* config.ini keeps the keys that apply to the model (fit_key_scope). */
static int fit_keep_key(int key, void *ctx)
{
    return fit_key_scope(cfg_key_name(key), *(const long *)ctx) == NULL;
}

/* config.ini of the fit, with provenance: the data, --truth, and the
 * truth.csv beside data that fit_read_truth reads when there is none. It
 * replaces the full dump the NPMLE writes. */
static int fit_write_config(const cfg *c, const fit_args *a, const data_set *ds,
                            int argc, char **argv, const char *dir)
{
    char beside[4096] = "";
    if (!a->truth && ds->user_type && c->fit_model == CFG_fit_model_lcl) {
        const char *slash = strrchr(a->data, '/');
        snprintf(beside, sizeof beside, "%.*struth.csv",
                 slash ? (int)(slash - a->data + 1) : 0, a->data);
        if (!fsutil_exists(beside)) beside[0] = '\0';
    }
    const char *inputs[] = {a->data, a->truth, beside[0] ? beside : NULL};
    long model = c->fit_model;
    return cli_write_config(c, argc, argv, inputs, 3, fit_keep_key, &model, dir);
}

/* Bad input of a choice of K, before anything is fitted: more folds than
 * users, or a K above the users a fold trains on. */
static int fit_select_check(fit_args *a, const data_set *ds)
{
    size_t n = ds->n_users;
    if (!a->folds) a->folds = 5;
    size_t V = (size_t)a->folds, train = n - (n + V - 1) / V;
    if (V > n)
        return pref_set_error(PREF_EINPUT, "--folds %zu: more folds than users "
                              "in %s (%zu)", V, a->data, n);
    if (a->k_hi > train)
        return pref_set_error(PREF_EINPUT, "--types %zu:%zu: K = %zu is more "
                              "types than the %zu users a fold trains on (%zu "
                              "users, %zu folds)", a->k_lo, a->k_hi, a->k_hi,
                              train, n, V);
    return PREF_OK;
}

/* The cross-validation of K = c->fit_types into row's held-out columns
 * (converged cleared when a fold fit did not converge, with a warning). */
static int fit_cv(const cfg *c, const fit_args *a, const data_set *ds,
                  const size_t *fold, kselectout_row *row)
{
    size_t V = (size_t)a->folds, n = ds->n_users, K = (size_t)c->fit_types;
    double *ll = malloc(n * sizeof *ll);
    if (!ll) PREF_ERROR(PREF_ENOMEM, "out of memory");
    int conv = 1, st;
    progress bar;
    if (c->fit_model == CFG_fit_model_emdpo) {
        emdpo_params ep;
        cfgmap_emdpo_params(c, &ep);
        ep.net.d = ds->d;
        ep.threads = (int)a->threads;
        progress_start(&bar, "cross-validation (EM-DPO)", V * ep.em_iters * K);
        ep.progress = fit_progress;
        ep.progress_ctx = &bar;
        st = kselect_cv_emdpo(ds, fold, V, &ep, ll, &conv);
    } else {
        mix_params mp;
        cfgmap_mix_params(c, &mp);
        mp.threads = (int)a->threads;
        progress_start(&bar, "cross-validation (latent-class EM starts)",
                       V * mp.starts);
        mp.progress = fit_progress;
        mp.progress_ctx = &bar;
        st = kselect_cv_lcl(ds, fold, V, K, &mp, ll, &conv);
    }
    progress_end(&bar);
    if (!st) kselect_total(ll, n, &row->heldout, &row->heldout_se);
    if (!st && !conv)
        fprintf(stderr, "hetpref: warning: K = %zu: a fit on the training "
                "users of a cross-validation fold did not converge: its "
                "held-out log-likelihood may be too low (select.csv: "
                "converged = 0)\n", K);
    row->converged &= conv;
    free(ll);
    return st;
}

/* Print the picks and write picks.csv, select.csv and the plot into
 * a->out. */
static int fit_select_write(const cfg *c, const fit_args *a,
                            const kselectout_row *rows, size_t nk)
{
    double bic[PREF_MAX_TYPES], ho[PREF_MAX_TYPES], se[PREF_MAX_TYPES];
    for (size_t j = 0; j < nk; j++) {
        bic[j] = rows[j].bic;
        ho[j] = rows[j].heldout;
        se[j] = rows[j].heldout_se;
    }
    int emdpo = c->fit_model == CFG_fit_model_emdpo;
    size_t best, pb = kselect_pick_min(bic, nk),
                 ph = kselect_pick_1se(ho, se, nk, &best);
    if (ph == SIZE_MAX)
        PREF_ERROR(PREF_ENUM, "no K has a finite held-out log-likelihood");
    double thr = ho[best] - (isnan(se[best]) ? 0.0 : se[best]);
    if (emdpo || pb == SIZE_MAX)
        fprintf(stderr, "hetpref: fit: pick by BIC: none (%s)\n", emdpo ?
                "EM-DPO has no BIC" : "no K has a finite BIC");
    else
        fprintf(stderr, "hetpref: fit: pick by BIC: K = %zu (BIC %.6g)\n",
                rows[pb].K, rows[pb].bic);
    fprintf(stderr, "hetpref: fit: pick by held-out log-likelihood (%ld-fold "
            "cross-validation, one-standard-error rule): K = %zu (best K = %zu: "
            "%.6g, standard error %.3g)\n", a->folds, rows[ph].K, rows[best].K,
            ho[best], se[best]);
    PREF_TRY(kselectout_write(a->out, rows, nk));
    PREF_TRY(kselectout_write_picks(a->out, pb == SIZE_MAX ? NAN : (double)rows[pb].K,
                                    rows[ph].K, rows[best].K, thr, (size_t)a->folds));
    return kselectout_plot(a->out, !emdpo, (size_t)a->folds, NULL);
}

/* The command line of the single fit DIR/K holds: a's with --types K and
 * without --folds, into kargv (a->argc entries; the strings stay a's or
 * kbuf's). Returns the entry count. */
static int fit_single_k_argv(const fit_args *a, size_t K, char *kbuf,
                             size_t n, char **kargv)
{
    int k = 0;
    snprintf(kbuf, n, "%zu", K);
    for (int i = 0; i < a->argc; i++) {
        const char *s = a->argv[i];
        int types = strcmp(s, "--types") == 0, folds = strcmp(s, "--folds") == 0;
        if (strncmp(s, "--folds=", 8) == 0) continue;
        if (folds) { i++; continue; }
        if (strncmp(s, "--types=", 8) == 0) {
            kargv[k++] = "--types";
            kargv[k++] = kbuf;
            continue;
        }
        kargv[k++] = a->argv[i];
        if (types && i + 1 < a->argc) {
            kargv[k++] = kbuf;
            i++;
        }
    }
    return k;
}

/* fit --types K1:K2: every K into a->out/K (as a single fit writes a->out),
 * its cross-validation, then select.csv, picks.csv and the plot. */
static int fit_select(cfg *c, fit_args *a, const data_set *ds)
{
    size_t nk = a->k_hi - a->k_lo + 1, *fold = malloc(ds->n_users * sizeof *fold);
    kselectout_row rows[PREF_MAX_TYPES];
    if (!fold) PREF_ERROR(PREF_ENOMEM, "out of memory");
    int st = kselect_folds(ds->n_users, (size_t)a->folds, (uint64_t)c->run_seed, fold);
    const char *top = a->out;
    char sub[4096 + 64];
    for (size_t j = 0; j < nk && !st; j++) {
        size_t K = a->k_lo + j;
        c->fit_types = (long)K;
        snprintf(sub, sizeof sub, "%s/%zu", top, K);
        a->out = sub;
        st = c->fit_model == CFG_fit_model_emdpo ? fit_emdpo(c, a, ds, &rows[j])
                                                : fit_lcl(c, a, ds, &rows[j]);
        a->out = top;
        if (!st) {
            /* DIR/K/config.ini: the single fit it holds, rerunnable alone */
            char kbuf[24], *kargv[256];
            int kn = a->argc < 120 ? fit_single_k_argv(a, K, kbuf, sizeof kbuf, kargv) : 0;
            st = kn ? fit_write_config(c, a, ds, kn, kargv, sub)
                    : fit_write_config(c, a, ds, a->argc, a->argv, sub);
        }
        if (!st) st = fit_cv(c, a, ds, fold, &rows[j]);
    }
    c->fit_types = (long)a->k_lo;
    if (!st) st = fit_select_write(c, a, rows, nk);
    free(fold);
    return st;
}

int cli_fit(int argc, char **argv)
{
    if (cli_has_help(argc, argv)) {
        fputs(usage_fit, stdout);
        fputs("\n", stdout);
        fputs(cli_npmle_help, stdout);
        return 0;
    }
    int rerun = cli_rerun("fit", argc, argv, cli_fit);
    if (rerun >= 0) return rerun;
    cfg *c = malloc(sizeof *c);
    if (!c) return cli_fail(pref_set_error(PREF_ENOMEM, "out of memory"));
    cfg_init(c);
    fit_args *a = calloc(1, sizeof *a);
    data_set *ds = NULL;
    int rc = a ? fit_parse(argc, argv, c, a)
               : cli_fail(pref_set_error(PREF_ENOMEM, "out of memory"));
    if (rc < 0) rc = fit_check_scope(c, a);
    if (rc >= 0) goto done;
    a->argc = argc;
    a->argv = argv;
    if (!a->out) a->out = "results/fit";
    int st = cli_read_data(a->data, &ds);
    /* Features so large that their squares overflow cannot be fitted (the
     * information matrix and the Newton steps hold x x^T): refuse them. */
    size_t col = 0;
    double big = st ? 0.0 : data_max_abs_feature(ds, &col);
    if (!st && big > FIT_MAX_ABS_FEATURE)
        st = pref_set_error(PREF_EINPUT, "%s: column 'x%zu' holds %g: features "
                            "beyond +-%g overflow the fit; rescale the column",
                            a->data, col + 1, big, FIT_MAX_ABS_FEATURE);
    int npmle = c->fit_model == CFG_fit_model_npmle;
    if (!st && !npmle && (size_t)c->fit_types > ds->n_users)
        st = pref_set_error(PREF_EINPUT, "--types %ld: more types than users "
                            "in %s (%zu)", c->fit_types, a->data, ds->n_users);
    if (!st && a->range) st = fit_select_check(a, ds);
    /* Every output is written into a staging directory and committed whole;
     * a rerun leaves no file of another fit's kind beside the new ones (nor
     * a K directory of an earlier choice of K). */
    char kdirs[PREF_MAX_TYPES][4];
    const char *owned[16 + PREF_MAX_TYPES] = {
        "estimates.csv", "vcov.csv", "posteriors.csv", "fit.csv",
        "evaluation.csv", "policies.txt", "grid.csv", "config.ini",
        "select.csv", "picks.csv", "select.gp", "select.png", "select.svg"};
    for (size_t k = 0, o = 13; a->range && k < PREF_MAX_TYPES; k++) {
        snprintf(kdirs[k], sizeof kdirs[k], "%zu", k + 1);
        owned[o++] = kdirs[k];
    }
    fsutil_stage stage = {.dir = ""};
    const char *out = a->out;
    if (!st) st = fsutil_stage_begin(&stage, out);
    if (!st) {
        a->out = stage.dir;
        if (npmle)
            st = cli_fit_npmle(c, ds, a->data, a->truth, a->out, a->threads);
        else if (a->range)
            st = fit_select(c, a, ds);
        else
            st = c->fit_model == CFG_fit_model_emdpo ? fit_emdpo(c, a, ds, NULL)
                                                    : fit_lcl(c, a, ds, NULL);
        a->out = out;
    }
    if (!st) st = fit_write_config(c, a, ds, argc, argv, stage.dir);
    if (!st) st = fsutil_stage_commit(&stage, (const char *const *)owned);
    fsutil_stage_abort(&stage);
    rc = st ? cli_fail(st) : 0;
done:
    data_free(ds);
    free(a);
    free(c);
    return rc;
}
