/* emdpo_sim.c — EM-DPO task, baselines, exact evaluation, experiments
 * (see emdpo_sim.h). */
#include "emdpo_sim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "bounds.h"
#include "csvio.h"
#include "cfgmap.h"
#include "err.h"
#include "fsutil.h"
#include "eval.h"
#include "mathx.h"
#include "nn.h"
#include "plot.h"
#include "progress.h"
#include "rngs.h"
#include "sim.h"
#include "stats.h"
#include "sweep.h"
#include "tasks.h"

const char *const emdposim_base_names[EMDPOSIM_NBASE] = {
    "reference", "dpo", "cluster_dpo", "emdpo", "oracle"};

#define B_REF 0
#define B_DPO 1
#define B_CLU 2
#define B_EM 3
#define B_ORA 4

#define M(b, t) "accuracy_" #b "_t" #t
#define R(b, t) "regret_" #b "_t" #t
#define FOUR(X, b) X(b, 1), X(b, 2), X(b, 3), X(b, 4)
const char *const emdposim_metric_names[EMDPOSIM_NMETRICS] = {
    "train_accuracy", "train_ari", "test_accuracy", "test_ari", "max_decrease",
    "final_loglik",
    FOUR(M, reference), FOUR(M, dpo), FOUR(M, cluster_dpo), FOUR(M, emdpo),
    FOUR(M, oracle),
    FOUR(R, reference), FOUR(R, dpo), FOUR(R, cluster_dpo), FOUR(R, emdpo),
    FOUR(R, oracle)};
#undef M
#undef R
#undef FOUR

static size_t acc_index(size_t b, size_t t) { return 6 + b * EMDPOSIM_MAXT + t; }
static size_t reg_index(size_t b, size_t t)
{
    return 6 + EMDPOSIM_NBASE * EMDPOSIM_MAXT + b * EMDPOSIM_MAXT + t;
}

int emdposim_check(const cfg *c)
{
    cfg_value k = c->population_kind;
    if (k == CFG_population_kind_gaussian)
        PREF_ERROR(PREF_EINPUT, "%s:%d: [population] kind: EM-DPO simulations "
                   "need discrete types", c->file, c->line[CFG_KEY_population_kind]);
    if (c->design_prompts == 0 || c->design_test_prompts == 0)
        PREF_ERROR(PREF_EINPUT, "%s:%d: [design] prompts: EM-DPO evaluation needs "
                   "prompts with pools and test_prompts > 0", c->file,
                   c->line[CFG_KEY_design_prompts]);
    if (c->emdpo_test_users < 1)
        PREF_ERROR(PREF_EINPUT, "%s:%d: [emdpo] test_users: need >= 1", c->file,
                   c->line[CFG_KEY_emdpo_test_users]);
    if (c->fit_types > c->design_users)
        PREF_ERROR(PREF_EINPUT, "%s:%d: [fit] types: more types than users",
                   c->file, c->line[CFG_KEY_fit_types]);
    if (c->population_types > EMDPOSIM_MAXT && k != CFG_population_kind_latent_class)
        PREF_ERROR(PREF_EINPUT, "%s:%d: [population] types: the emdpo task "
                   "reports up to %d types", c->file,
                   c->line[CFG_KEY_population_types], EMDPOSIM_MAXT);
    emdpo_params p;
    cfgmap_emdpo_params(c, &p);
    const char *why = emdpo_params_check(&p);
    if (why) PREF_ERROR(PREF_EINPUT, "%s: [emdpo]: %s", c->file, why);
    return PREF_OK;
}

/* ---- exact evaluation --------------------------------------------------- */

/* Held-out answer accuracy of a policy for the users of true type t: the
 * share of queries whose top candidate under f (params; NULL = logp_ref)
 * is the annotator's first choice (ties share the credit). */
static double answer_accuracy(const data_set *ts, const nn_config *c,
                              const double *params, uint32_t t, double *buf)
{
    double hit = 0.0, n = 0.0;
    double *f = buf, *acts = buf + 256;
    for (size_t i = 0; i < ts->n_users; i++) {
        if (ts->user_type[i] != t) continue;
        for (size_t q = ts->user_q[i]; q < ts->user_q[i + 1]; q++) {
            size_t c0 = ts->q_cand[q], m = data_m(ts, q);
            if (params) nn_forward(c, params, ts->x + c0 * ts->d, m, acts, f);
            else
                for (size_t j = 0; j < m; j++)
                    f[j] = ts->logp_ref ? ts->logp_ref[c0 + j] : 0.0;
            double mx = f[0];
            for (size_t j = 1; j < m; j++)
                if (f[j] > mx) mx = f[j];
            size_t ties = 0;
            for (size_t j = 0; j < m; j++) ties += f[j] == mx;
            hit += f[0] == mx ? 1.0 / (double)ties : 0.0; /* row 0 = rank 1 */
            n += 1.0;
        }
    }
    return n > 0 ? hit / n : NAN;
}

/* Index of the estimated type matched to true type t, or -1. */
static long served_by(const size_t *perm, size_t K, size_t t)
{
    for (size_t k = 0; k < K; k++)
        if (perm[k] == t) return (long)k;
    return -1;
}

typedef emdposim_world sim_run;

void emdposim_world_free(emdposim_world *s)
{
    data_free(s->train);
    data_free(s->test);
    sim_design_free(s->g);
    sim_population_free(s->pop);
}

int emdposim_world_make(const cfg *c, gsl_rng *data, emdposim_world *s)
{
    memset(s, 0, sizeof *s);
    PREF_TRY(sim_population_from_cfg(c, &s->pop));
    int st = sim_design_from_cfg(c, data, &s->g);
    if (!st) st = sim_simulate(s->pop, s->g, gsl_rng_get(data), &s->train);
    if (!st) {
        sim_design held = *s->g;
        held.users = (size_t)c->emdpo_test_users;
        sim_design_use_prompts(&held, 1);
        st = sim_simulate(s->pop, &held, gsl_rng_get(data), &s->test);
    }
    if (st) emdposim_world_free(s);
    return st;
}

/* The baselines of one world, each trained from the EM-DPO fit's reference
 * network: cluster-DPO pc (K, np), one M-step on the hard initial
 * clustering; oracle po (Kt, np), one M-step on the true types; single DPO
 * pd (np) on everyone. */
static int train_baselines(const emdposim_world *s, const emdpo_params *p,
                           const emdpo_fit *fit, double *pc, double *po,
                           double *pd)
{
    size_t K = p->K, Kt = s->pop->K, N = s->train->n_users;
    double *hard = malloc(N * (K > Kt ? K : Kt) * sizeof(double));
    double *ones = malloc(N * sizeof(double));
    int st = (!hard || !ones) ? pref_set_error(PREF_ENOMEM, "out of memory") : PREF_OK;
    if (!st) {
        for (size_t i = 0; i < N; i++) {
            size_t b = mathx_argmax(fit->init_post + i * K, K);
            for (size_t k = 0; k < K; k++) hard[i * K + k] = k == b;
        }
        st = emdpo_train_weighted(s->train, p, hard, fit->ref, 0, pc);
    }
    if (!st) {
        emdpo_params po_p = *p;
        po_p.K = Kt;
        for (size_t i = 0; i < N; i++)
            for (size_t k = 0; k < Kt; k++) hard[i * Kt + k] = s->train->user_type[i] == k;
        st = emdpo_train_weighted(s->train, &po_p, hard, fit->ref, 0, po);
    }
    if (!st) {
        emdpo_params p1 = *p;
        p1.K = 1;
        for (size_t i = 0; i < N; i++) ones[i] = 1.0;
        st = emdpo_train_weighted(s->train, &p1, ones, fit->ref, 0, pd);
    }
    free(hard);
    free(ones);
    return st;
}

/* Per true type t: held-out answer accuracy and exact regret of every
 * baseline, type t served by the policy matched to it. */
static void per_type_metrics(const emdposim_world *s, const emdpo_params *p,
                             const emdpo_fit *fit, const nn_config *net,
                             const double *pc, const double *po, const double *pd,
                             double *buf, double *met)
{
    size_t K = p->K, Kt = s->pop->K, N = s->train->n_users, np = fit->n_params;
    size_t perm_em[PREF_MAX_TYPES], perm_cl[PREF_MAX_TYPES];
    eval_align(fit->post, N, K, s->train->user_type, Kt, perm_em);
    eval_align(fit->init_post, N, K, s->train->user_type, Kt, perm_cl);
    size_t lo = s->g->prompts, hi = s->g->prompts + s->g->test_prompts;
    for (size_t t = 0; t < Kt && t < EMDPOSIM_MAXT; t++) {
        const double *pol[EMDPOSIM_NBASE];
        long ke = served_by(perm_em, K, t), kc = served_by(perm_cl, K, t);
        pol[B_REF] = NULL;
        pol[B_DPO] = pd;
        pol[B_CLU] = kc >= 0 ? pc + (size_t)kc * np : pd;
        pol[B_EM] = ke >= 0 ? fit->params + (size_t)ke * np : pd;
        pol[B_ORA] = po + t * np;
        for (size_t b = 0; b < EMDPOSIM_NBASE; b++) {
            /* a type no estimated class serves gets no policy: NaN */
            if ((b == B_EM && ke < 0) || (b == B_CLU && kc < 0)) continue;
            met[acc_index(b, t)] = answer_accuracy(s->test, net, pol[b], (uint32_t)t, buf);
            met[reg_index(b, t)] = eval_true_regret(s->pop, s->g, lo, hi, net, pol[b],
                                                    np, 1, NULL, t, p->dpo.beta, buf);
        }
    }
}

int emdposim_task(const cfg *c, gsl_rng *data, gsl_rng *rng, double *met)
{
    PREF_TRY(emdposim_check(c));
    for (size_t j = 0; j < EMDPOSIM_NMETRICS; j++) met[j] = NAN;
    sim_run s;
    PREF_TRY(emdposim_world_make(c, data, &s));
    emdpo_params p;
    cfgmap_emdpo_params(c, &p);
    p.threads = 1; /* sweep tasks already run in parallel */
    p.seed = gsl_rng_get(rng);
    size_t K = p.K, Kt = s.pop->K, N = s.train->n_users;
    nn_config net = p.net;
    net.d = s.train->d;
    size_t np = nn_num_params(&net), pool = s.g->pool;
    emdpo_fit *fit = NULL;
    double *pc = malloc(K * np * sizeof(double));       /* cluster-DPO */
    double *po = malloc(Kt * np * sizeof(double));      /* oracle */
    double *pd = malloc(np * sizeof(double));           /* single DPO */
    double *tpost = malloc(s.test->n_users * K * sizeof(double));
    /* shared by answer_accuracy (256 + acts(256)) and eval_true_regret */
    size_t nbuf = eval_regret_work_size(&net, pool > 256 ? pool : 256);
    double *buf = malloc(nbuf * sizeof(double));
    int st = (!pc || !po || !pd || !tpost || !buf)
                 ? pref_set_error(PREF_ENOMEM, "out of memory") : PREF_OK;
    if (!st) st = emdpo_fit_run(s.train, &p, &fit);
    if (!st) st = train_baselines(&s, &p, fit, pc, po, pd);
    /* held-out clustering with the EM-DPO policies */
    double test_L = NAN;
    if (!st) st = emdpo_estep(s.test, &p, fit->params, fit->eta, tpost, &test_L);
    if (!st) {
        met[0] = eval_align(fit->post, N, K, s.train->user_type, Kt, NULL);
        met[1] = fit->tr_ari[fit->best_iter]; /* the kept iterate's */
        met[2] = eval_align(tpost, s.test->n_users, K, s.test->user_type, Kt, NULL);
        /* out of memory leaves the ARI NaN, as the other missing metrics */
        (void)eval_ari_post(tpost, s.test->n_users, K, s.test->user_type, &met[3]);
        met[4] = fit->max_decrease;
        met[5] = fit->loglik; /* of the kept iterate */
        per_type_metrics(&s, &p, fit, &net, pc, po, pd, buf, met);
    }
    emdpo_fit_free(fit);
    free(pc);
    free(po);
    free(pd);
    free(tpost);
    free(buf);
    emdposim_world_free(&s);
    return st;
}

/* ---- emdpo_clusters: accuracy and eta across EM iterations ---------------- */

/* Per-task trace of emdpo_clusters: one EM run. */
typedef struct clusters_ctx {
    size_t I, Kf, row;
    double *res; /* (tasks, I + 1, row) */
} clusters_ctx;

static int clusters_task(const cfg *cc, gsl_rng *data, gsl_rng *rng, size_t t,
                         void *user)
{
    clusters_ctx *x = user;
    size_t I = x->I, Kf = x->Kf, row = x->row;
    sim_run sr;
    PREF_TRY(emdposim_world_make(cc, data, &sr));
    emdpo_params p;
    cfgmap_emdpo_params(cc, &p);
    p.threads = 1;
    p.seed = gsl_rng_get(rng);
    p.tol = 0; /* a trace of every one of the em_iters iterations */
    emdpo_fit *fit = NULL;
    int s = emdpo_fit_run(sr.train, &p, &fit);
    /* eta in the order of the true types (labels matched on the final
     * posteriors), so replicates can be averaged despite label switching */
    size_t perm[PREF_MAX_TYPES];
    if (!s) {
        uint32_t kt = eval_n_labels(sr.train->user_type, sr.train->n_users);
        eval_align(fit->post, sr.train->n_users, Kf, sr.train->user_type, kt, perm);
    }
    for (size_t it = 0; !s && it <= I; it++) {
        double *o = x->res + (t * (I + 1) + it) * row;
        o[0] = fit->tr_loglik[it];
        o[1] = fit->tr_acc[it];
        o[2] = fit->tr_ari[it];
        o[3] = fit->max_decrease;
        for (size_t k = 0; k < Kf; k++) o[4 + k] = NAN;
        for (size_t k = 0; k < Kf; k++)
            if (perm[k] < Kf) o[4 + perm[k]] = fit->tr_eta[it * Kf + k];
    }
    emdpo_fit_free(fit);
    emdposim_world_free(&sr);
    return s;
}

int emdposim_clusters_experiment(const cfg *c, const char *res_dir,
                              const sweep_params *sp)
{
    /* Cells: the [sweep] values (answer kinds) x replicates, each a full EM
     * run whose trace goes into iterations.csv in task order. */
    sweep_plan *plan = NULL;
    PREF_TRY(sweep_plan_build(c, tasks_table(), &plan));
    size_t n_cells = sweep_plan_cells(plan), reps = (size_t)c->sweep_replicates;
    size_t n_tasks = n_cells * reps, I = (size_t)c->emdpo_em_iters;
    size_t Kf = (size_t)c->fit_types;
    size_t row = 4 + Kf;  /* loglik, accuracy, ari, max_decrease, eta1..K */
    clusters_ctx x = {I, Kf, row, malloc(n_tasks * (I + 1) * row * sizeof(double))};
    double *res = x.res;
    int st = res ? PREF_OK : pref_set_error(PREF_ENOMEM, "out of memory");
    if (!st) st = sweep_map(plan, c, sp->threads, "emdpo_clusters", clusters_task, &x);
    char path[4096];
    fsutil_file o;
    if (!st) st = fsutil_join(path, sizeof path, res_dir, "iterations.csv");
    if (!st) st = fsutil_open(&o, path);
    if (!st) {
        fprintf(o.f, "cell");
        for (size_t j = 0; j < sweep_plan_keys(plan); j++)
            fprintf(o.f, ",%s", sweep_plan_key_name(plan, j));
        fprintf(o.f, ",replicate,iteration,loglik,accuracy,ari,max_decrease");
        for (size_t k = 0; k < Kf; k++) fprintf(o.f, ",eta%zu", k + 1);
        fputc('\n', o.f);
        for (size_t t = 0; t < n_tasks; t++)
            for (size_t it = 0; it <= I; it++) {
                const double *r = res + (t * (I + 1) + it) * row;
                fprintf(o.f, "%zu", t / reps);
                for (size_t j = 0; j < sweep_plan_keys(plan); j++)
                    fprintf(o.f, ",%s", sweep_plan_value(plan, t / reps, j));
                fprintf(o.f, ",%zu,%zu", t % reps, it);
                csvio_put_nums(o.f, r, row);
                fputc('\n', o.f);
            }
        st = fsutil_commit(&o);
    }
    /* Per (cell, iteration) means and 95% intervals of accuracy and eta1. */
    if (!st) st = fsutil_join(path, sizeof path, res_dir, "summary.csv");
    if (!st) st = fsutil_open(&o, path);
    if (!st) {
        double *v = malloc(2 * reps * sizeof(double) + 8);
        fprintf(o.f, "cell");
        for (size_t j = 0; j < sweep_plan_keys(plan); j++)
            fprintf(o.f, ",%s", sweep_plan_key_name(plan, j));
        fprintf(o.f, ",iteration,metric,n,mean,sd,ci_low,ci_high\n");
        const char *mn[3] = {"accuracy", "eta1", "loglik"};
        size_t mi[3] = {1, 4, 0};
        for (size_t cell = 0; v && cell < n_cells; cell++)
            for (size_t it = 0; it <= I; it++)
                for (size_t m = 0; m < 3; m++) {
                    for (size_t r = 0; r < reps; r++)
                        v[r] = res[((cell * reps + r) * (I + 1) + it) * row + mi[m]];
                    stats_summary sm;
                    stats_summarise(v, 1, reps, v + reps, &sm);
                    fprintf(o.f, "%zu", cell);
                    for (size_t j = 0; j < sweep_plan_keys(plan); j++)
                        fprintf(o.f, ",%s", sweep_plan_value(plan, cell, j));
                    fprintf(o.f, ",%zu,%s,%zu", it, mn[m], sm.n);
                    double q[4] = {sm.mean, sm.sd, sm.ci_low, sm.ci_high};
                    csvio_put_nums(o.f, q, 4);
                    fputc('\n', o.f);
                }
        free(v);
        st = fsutil_commit(&o);
    }
    if (!st) st = cfg_write_file(c, res_dir);
    free(res);
    sweep_plan_free(plan);
    return st;
}

int emdposim_clusters_plot(const char *res_dir, const char *plot_dir)
{
    char sum[4096];
    PREF_TRY(fsutil_join(sum, sizeof sum, res_dir, "summary.csv"));
    PREF_TRY(fsutil_mkdirs(plot_dir));
    plot_script *s = plot_script_alloc("emdpo_clusters", 1100, 480);
    if (!s) PREF_ERROR(PREF_ENOMEM, "out of memory");
    static const char *const kinds[3] = {"pair", "top1", "full"};
    static const char *const titles[3] = {"pairs", "top-1 of 3", "full ranking of 3"};
    int st = plot_printf(s, "f = ");
    if (!st) st = plot_path(s, plot_dir, sum);
    if (!st) st = plot_printf(s, "\n");
    /* summary.csv: cell,design.answer,iteration,metric,n,mean,sd,lo,hi */
    for (int k = 0; !st && k < 3; k++) {
        char name[32], cond[128];
        snprintf(name, sizeof name, "acc_%s", kinds[k]);
        snprintf(cond, sizeof cond, "strcol(2) eq '%s' && strcol(4) eq 'accuracy'", kinds[k]);
        /* accuracy and eta are fractions: CIs clipped to [0, 1] */
        st = plot_filter(s, name, "f", "3:6:(clip01($8)):(clip01($9))", cond);
        snprintf(name, sizeof name, "eta_%s", kinds[k]);
        snprintf(cond, sizeof cond, "strcol(2) eq '%s' && strcol(4) eq 'eta1'", kinds[k]);
        if (!st) st = plot_filter(s, name, "f", "3:6:(clip01($8)):(clip01($9))", cond);
    }
    if (!st)
        st = plot_printf(s,
            "set datafile separator ','\n"
            "stats f using (strcol(4) eq 'accuracy' ? $5 : NaN) nooutput\n"
            "nrep = STATS_min == STATS_max ? sprintf('%%d replicates', STATS_max) : "
            "sprintf('%%d to %%d replicates', STATS_min, STATS_max)\n"
            "stats f using (strcol(4) eq 'accuracy' ? clip01($8) : NaN) nooutput\n"
            "acc_lo = floor(10 * STATS_min) / 10.0\n"
            "stats f using (strcol(4) eq 'eta1' ? clip01($8) : NaN) nooutput\n"
            "eta_lo = floor(10 * STATS_min) / 10.0\n"
            "set datafile separator whitespace\n");
    if (!st)
        /* Both quantities and their clipped CIs stay <= 1: the keys go
         * above 1, clear of the data. */
        st = plot_printf(s, "set multiplot layout 1,2 title 'EM-DPO: clustering "
                            "across EM iterations, same number of answers per user' . "
                            "\"\\n\" . '(mean, 95%% CI clipped to [0, 1], over ' . "
                            "nrep . ')'\n"
                            "set xlabel 'EM iteration (0 = initial clustering)'\n"
                            "set key top left horizontal Left reverse samplen 1.5\n"
                            "set title 'clustering accuracy (best label matching)'\n"
                            "set ylabel 'accuracy'\nset yrange [acc_lo:1.1]\n"
                            "set ytics 0, 0.1, 1\nplot ");
    for (int k = 0; !st && k < 3; k++)
        st = plot_printf(s, "%s$acc_%s using 1:2:3:4 with yerrorlines lt %d title '%s'",
                         k ? ", " : "", kinds[k], k + 1, titles[k]);
    if (!st)
        st = plot_printf(s, "\nset title 'estimated weight of the majority type "
                            "(truth 0.75)'\nset ylabel 'eta (type 1)'\n"
                            "set yrange [eta_lo:1.1]\nplot ");
    for (int k = 0; !st && k < 3; k++)
        st = plot_printf(s, "%s$eta_%s using 1:2:3:4 with yerrorlines lt %d title '%s'",
                         k ? ", " : "", kinds[k], k + 1, titles[k]);
    if (!st) st = plot_printf(s, ", 0.75 with lines lt 8 dt 2 title 'truth'\n"
                                 "unset multiplot\n");
    if (!st) st = plot_render(s, plot_dir, NULL);
    plot_script_free(s);
    return st;
}

/* ---- emdpo_groups: every baseline, both scenarios ------------------------- */

int emdposim_groups_experiment(const cfg *c, const char *res_dir, const sweep_params *sp)
{
    return sweep_run(c, tasks_table(), res_dir, sp);
}

/* Datablocks $s<sc>_<what>_<base> = (type - 1, mean, ci_low, ci_high) of
 * emdpo_groups' summary.csv (cell,population.preset,metric,n,mean,sd,lo,hi;
 * cell 0 = two_traits, 1 = four_groups), for what = accuracy (CI clipped to
 * [0, 1]) and regret (drawn on a log axis from rmin<sc>, a power of ten
 * below the smallest positive mean: interval ends below it are drawn at it). */
static int groups_data(plot_script *s, int sc)
{
    static const char *const what[2] = {"accuracy", "regret"};
    int st = plot_printf(s,
        "set datafile separator ','\n"
        "stats f using (strcol(1) eq '%d' && strstrt(strcol(3), 'regret_') == 1 "
        "&& $5 > 0 ? $5 : NaN) nooutput\n"
        "rmin%d = 10.0**floor(log10(STATS_min / 2))\n"
        "set datafile separator whitespace\n", sc, sc);
    for (int w = 0; !st && w < 2; w++)
        for (int b = 0; !st && b < EMDPOSIM_NBASE; b++) {
            char name[64], cond[200], cols[96];
            snprintf(name, sizeof name, "s%d_%s_%s", sc, what[w],
                     emdposim_base_names[b]);
            snprintf(cond, sizeof cond,
                     "strcol(1) eq '%d' && strstrt(strcol(3), '%s_%s_t') == 1 "
                     "&& $5 == $5", sc, what[w], emdposim_base_names[b]);
            if (w) snprintf(cols, sizeof cols, "5:($7 > rmin%d ? $7 : rmin%d):8",
                            sc, sc);
            else snprintf(cols, sizeof cols, "5:(clip01($7)):(clip01($8))");
            st = plot_filter(s, name, "f", cols, cond);
        }
    return st;
}

/* One row of the figure: accuracy (with the key, above the bars: accuracies
 * and their clipped CIs stay <= 1) and regret on a log axis. */
static int groups_row(plot_script *s, int sc)
{
    static const char *const scen[2] = {"two_traits (eta = 0.75, 0.25)",
                                        "four_groups (eta = 0.4, 0.3, 0.2, 0.1)"};
    static const char *const what[2] = {"accuracy", "regret"};
    int st = PREF_OK;
    for (int w = 0; !st && w < 2; w++) {
        st = w ? plot_printf(s,
                     "set title '%s: regret (log scale)'\nset ylabel 'regret (lower is "
                     "better)'\nset logscale y\nset yrange [rmin%d:*]\n"
                     "set ytics auto\nunset key\n", scen[sc], sc)
               : plot_printf(s,
                     "set title '%s: accuracy'\n"
                     "set ylabel 'held-out accuracy'\nunset logscale y\n"
                     "set yrange [0:1.25]\nset ytics 0, 0.2, 1\n"
                     "set key top left horizontal Left reverse samplen 1.5 "
                     "maxrows 2\n", scen[sc]);
        if (!st) st = plot_printf(s, "set xrange [-0.5:%s]\nplot ", sc ? "3.5" : "1.5");
        for (int b = 0; !st && b < EMDPOSIM_NBASE; b++)
            st = plot_printf(s, "%s$s%d_%s_%s using 1:2:3 lt %d %s '%s'",
                             b ? ", " : "", sc, what[w], emdposim_base_names[b],
                             b + 1, w ? "notitle" : "title", emdposim_base_names[b]);
        if (!st) st = plot_printf(s, "\n");
    }
    return st;
}

int emdposim_groups_plot(const char *res_dir, const char *plot_dir)
{
    char sum[4096];
    PREF_TRY(fsutil_join(sum, sizeof sum, res_dir, "summary.csv"));
    PREF_TRY(fsutil_mkdirs(plot_dir));
    plot_script *s = plot_script_alloc("emdpo_groups", 1200, 800);
    if (!s) PREF_ERROR(PREF_ENOMEM, "out of memory");
    int st = plot_printf(s, "f = ");
    if (!st) st = plot_path(s, plot_dir, sum);
    if (!st) st = plot_printf(s, "\n");
    /* Tables first (gnuplot cannot build datablocks inside a multiplot). */
    for (int sc = 0; !st && sc < 2; sc++) st = groups_data(s, sc);
    if (!st)
        st = plot_printf(s,
            "set datafile separator ','\n"
            "stats f using ($4 > 0 ? $4 : NaN) nooutput\n"
            "nrep = STATS_min == STATS_max ? sprintf('%%d replicates', STATS_max) : "
            "sprintf('%%d to %%d replicates', STATS_min, STATS_max)\n"
            "set datafile separator whitespace\n"
            "set multiplot layout 2,2 title 'Per-type held-out answer accuracy and "
            "exact regret of each policy (mean, 95%% CI over ' . nrep . ')' . "
            "\"\\n\" . 'accuracy CIs clipped to [0, 1]; regret CI ends below "
            "the log axis drawn at its bottom'\n"
            "set style data histogram\nset style histogram errorbars gap 1 lw 1\n"
            "set style fill solid 0.8 border -1\n"
            "set xtics ('type 1' 0, 'type 2' 1, 'type 3' 2, 'type 4' 3)\n");
    for (int sc = 0; !st && sc < 2; sc++) st = groups_row(s, sc);
    if (!st) st = plot_printf(s, "unset multiplot\n");
    if (!st) st = plot_render(s, plot_dir, NULL);
    plot_script_free(s);
    return st;
}
