/* mmra_sim.c — the `mmra` experiment (see mmra_sim.h). */
#include "mmra_sim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "bounds.h"
#include "emdpo.h"
#include "csvio.h"
#include "cfgmap.h"
#include "err.h"
#include "fsutil.h"
#include "eval.h"
#include "mmra.h"
#include "mmra_kl.h"
#include "nn.h"
#include "plot.h"
#include "policyio.h"
#include "pool.h"
#include "progress.h"
#include "rngs.h"
#include "stats.h"
#include "sweep.h"
#include "tasks.h"

#include "emdpo_sim.h"

#define MAXK 8
#define NV 4
static const double vs[NV] = {1, 2, 4, 8};

/* Aggregator rows reported: single policies 1..K, then these (the first
 * four from mmra_aggregate, then KL-exact MMRA). */
#define NAGG 5
static const char *const agg_names[NAGG] = {"utilitarian", "uniform",
                                            "maxmin_utility", "mmra", "mmra_kl"};

/* Per-task results, fixed layout. */
typedef struct task_out {
    size_t K;
    double R[MAXK * MAXK];            /* regret matrix, c = 1 */
    double w[NV][MAXK][MAXK];         /* MMRA weights: [v][weighted type][policy] */
    double true_reg[MAXK + NAGG][MAXK];  /* [aggregator row][true type] */
    double est_worst[MAXK + NAGG];    /* worst estimated (linear) regret per row */
    double est_kl[MAXK + NAGG];       /* worst estimated KL regret per row */
    double w_kl[MAXK];                /* the KL-exact MMRA mixture */
    double kl_rounds, kl_gap, kl_converged; /* its cutting-plane run */
} task_out;

/* KL-exact MMRA on the held-out pools for the relabelled policies ps
 * (c = 1): its mixture and run into o, and every aggregator row's
 * estimated worst KL regret (rows of ag, then the KL row), and the KL
 * row's linear estimated worst regret under R. */
static int kl_rows(const pool_set *pools, const policy_set *ps,
                   const mmra_aggs *ag, const double *R, task_out *o)
{
    size_t K = ps->K, n = pool_n_items(pools);
    double *logp = malloc((K * n + mmra_kl_work_size(K, n)) * sizeof *logp);
    mmra_kl_result *res = mmra_kl_result_alloc(K);
    int st = logp && res ? PREF_OK : pref_set_error(PREF_ENOMEM, "out of memory");
    if (!st) st = mmra_kl_logprobs(pools, ps, logp);
    mmra_kl_problem pr = {K, pools->n_prompts, pools->off, logp, NULL, ps->beta};
    if (!st) st = mmra_kl_solve(&pr, NULL, res);
    if (!st) {
        double Rk[MAXK];
        for (size_t row = 0; row < ag->n; row++)
            o->est_kl[row] = mmra_kl_eval(&pr, ag->w + row * K, Rk, NULL, logp + K * n);
        o->est_kl[ag->n] = res->worst;
        o->est_worst[ag->n] = mmra_mixture_regret(K, K, R, res->w, NULL);
        memcpy(o->w_kl, res->w, K * sizeof *res->w);
        o->kl_rounds = (double)res->rounds;
        o->kl_gap = res->worst > 0 ? (res->worst - res->lower) / res->worst : 0;
        o->kl_converged = res->converged;
    }
    mmra_kl_result_free(res);
    free(logp);
    return st;
}

/* The held-out prompts' pools as a pool_set (for the value matrix L); NULL
 * with *err set on failure (pool_alloc). */
static pool_set *test_pools(const sim_design *g, int *err)
{
    size_t n = g->test_prompts, P = g->pool, d = g->d;
    pool_set *ps = pool_alloc(n, n * P, d, err);
    if (!ps) return NULL;
    for (size_t p = 0; p <= n; p++) ps->off[p] = p * P;
    memcpy(ps->x, g->pool_x + g->prompts * P * d, n * P * d * sizeof(double));
    memcpy(ps->logp_ref, g->pool_logp + g->prompts * P, n * P * sizeof(double));
    return ps;
}

/* Every aggregator row's exact true regret per type on the held-out
 * prompts (rows: singles, utilitarian, uniform, maxmin, mmra from ag, then
 * mmra_kl from o->w_kl) and the rows' linear estimated worst regrets. buf:
 * eval_regret_work_size doubles. */
static void true_rows(const emdposim_world *wd, const emdpo_fit *fit,
                      const policy_set *ps, const mmra_aggs *ag, task_out *o,
                      double *buf)
{
    size_t K = ps->K;
    for (size_t row = 0; row <= ag->n; row++) {
        if (row < ag->n) o->est_worst[row] = ag->worst[row];
        for (size_t t = 0; t < K; t++)
            o->true_reg[row][t] = eval_true_regret(
                wd->pop, wd->g, wd->g->prompts, wd->g->prompts + wd->g->test_prompts,
                &fit->net, ps->params, fit->n_params, K,
                row < ag->n ? ag->w + row * K : o->w_kl, t, fit->beta, buf);
    }
}

static int run_task(const cfg *c, gsl_rng *data, gsl_rng *rng, task_out *o)
{
    emdposim_world wd;
    PREF_TRY(emdposim_world_make(c, data, &wd));
    emdpo_params p;
    cfgmap_emdpo_params(c, &p);
    p.threads = 1;
    p.seed = gsl_rng_get(rng);
    size_t K = p.K, N = wd.train->n_users;
    o->K = K;
    emdpo_fit *fit = NULL;
    policy_set *ps = NULL;
    pool_set *pools = NULL;
    mmra_aggs *ag = NULL;
    mmra_result *res = NULL;
    double *buf = NULL;
    int st = K > MAXK || wd.pop->K != K
                 ? pref_set_error(PREF_EINPUT, "mmra experiment: fit.types must "
                                  "equal the true number of types (<= %d)", MAXK)
                 : PREF_OK;
    if (!st) st = emdpo_fit_run(wd.train, &p, &fit);
    size_t perm[PREF_MAX_TYPES];
    if (!st) {
        eval_align(fit->post, N, K, wd.train->user_type, K, perm);
        for (size_t k = 0; k < K && !st; k++)
            if (perm[k] >= K)
                st = pref_set_error(PREF_ENUM, "mmra experiment: EM-DPO left a "
                                    "type unmatched");
    }
    if (!st) {
        ps = policy_set_alloc(&fit->net, fit->beta, K, &st);
        if (!st) pools = test_pools(wd.g, &st);
    }
    if (!st) {
        ag = mmra_aggs_alloc(K, K);
        res = mmra_result_alloc(K, K);
        buf = malloc(eval_regret_work_size(&fit->net, wd.g->pool) * sizeof(double));
        if (!ag || !res || !buf)
            st = pref_set_error(PREF_ENOMEM, "out of memory");
    }
    double L[MAXK * MAXK], eta[MAXK], cvec[MAXK];
    if (!st) {
        /* policy t = the estimated policy matched to true type t */
        for (size_t k = 0; k < K; k++) {
            memcpy(ps->params + perm[k] * fit->n_params,
                   fit->params + k * fit->n_params, fit->n_params * sizeof(double));
            ps->weights[perm[k]] = fit->eta[k];
            eta[perm[k]] = fit->eta[k];
        }
        st = pool_value_matrix(pools, ps, L);
    }
    if (!st) st = mmra_regret_matrix(K, L, NULL, o->R);
    for (size_t vi = 0; !st && vi < NV; vi++)
        for (size_t j = 0; !st && j < K; j++) {
            double Rv[MAXK * MAXK];
            for (size_t k = 0; k < K; k++) cvec[k] = k == j ? vs[vi] : 1.0;
            st = mmra_regret_matrix(K, L, cvec, Rv);
            if (!st) st = mmra_solve_lp(K, K, Rv, NULL, res);
            for (size_t q = 0; !st && q < K; q++) o->w[vi][j][q] = res->w[q];
        }
    if (!st) st = mmra_aggregate(K, K, o->R, L, eta, NULL, NULL, ag);
    if (!st) st = kl_rows(pools, ps, ag, o->R, o);
    if (!st) true_rows(&wd, fit, ps, ag, o, buf);
    free(buf);
    mmra_result_free(res);
    mmra_aggs_free(ag);
    pool_free(pools);
    policy_set_free(ps);
    emdpo_fit_free(fit);
    emdposim_world_free(&wd);
    return st;
}

static int map_task(const cfg *c, gsl_rng *data, gsl_rng *rng, size_t t,
                    void *user)
{
    return run_task(c, data, rng, (task_out *)user + t);
}


/* ---- the experiment's tables: compute (the sweep) apart from write ---- */

/* The tasks' results and how they are laid out: task t is replicate
 * t % reps of scenario (cell) t / reps. Every table and title numbers
 * replicates from 1 (replicate r + 1 is task cell * reps + r). */
typedef struct mmrasim_runs {
    const sweep_plan *plan;
    const task_out *out;
    size_t n_cells, reps;
} mmrasim_runs;

/* Open res_dir/name and write its header line. */
static int open_table(const char *res_dir, const char *name,
                      const char *header, fsutil_file *o)
{
    char path[4096];
    PREF_TRY(fsutil_join(path, sizeof path, res_dir, name));
    PREF_TRY(fsutil_open(o, path));
    fputs(header, o->f);
    return PREF_OK;
}

/* Aggregator row names: single policies 1..K, then agg_names. */
static void row_name(char *buf, size_t n, size_t row, size_t K)
{
    if (row < K) snprintf(buf, n, "policy_%zu", row + 1);
    else snprintf(buf, n, "%s", agg_names[row - K]);
}

/* "scenario,replicate," of task t (replicates numbered from 1). */
static void put_task(FILE *f, const mmrasim_runs *m, size_t t)
{
    fprintf(f, "%s,%zu,", sweep_plan_value(m->plan, t / m->reps, 0),
            t % m->reps + 1);
}

/* The last field of a row and the newline. */
static void put_last(FILE *f, double x)
{
    csvio_put_num(f, x);
    fputc('\n', f);
}

/* regret_matrix.csv: replicate 1 of each scenario, R[type i][policy j]. */
static int write_regret_matrix(const char *res_dir, const mmrasim_runs *m)
{
    fsutil_file o;
    PREF_TRY(open_table(res_dir, "regret_matrix.csv",
                        "scenario,replicate,type,policy,regret\n", &o));
    for (size_t cell = 0; cell < m->n_cells; cell++) {
        const task_out *r = &m->out[cell * m->reps];
        for (size_t i = 0; i < r->K; i++)
            for (size_t j = 0; j < r->K; j++) {
                put_task(o.f, m, cell * m->reps);
                fprintf(o.f, "%zu,%zu,", i + 1, j + 1);
                put_last(o.f, r->R[i * r->K + j]);
            }
    }
    return fsutil_commit(&o);
}

/* weights.csv: every task. */
static int write_weights(const char *res_dir, const mmrasim_runs *m)
{
    fsutil_file o;
    PREF_TRY(open_table(res_dir, "weights.csv",
                        "scenario,replicate,v,weighted_type,policy,weight\n", &o));
    for (size_t t = 0; t < m->n_cells * m->reps; t++)
        for (size_t vi = 0; vi < NV; vi++)
            for (size_t j = 0; j < m->out[t].K; j++)
                for (size_t q = 0; q < m->out[t].K; q++) {
                    put_task(o.f, m, t);
                    fprintf(o.f, "%g,%zu,%zu,", vs[vi], j + 1, q + 1);
                    put_last(o.f, m->out[t].w[vi][j][q]);
                }
    return fsutil_commit(&o);
}

/* true_regrets.csv: every task, aggregator and type. */
static int write_true_regrets(const char *res_dir, const mmrasim_runs *m)
{
    fsutil_file o;
    PREF_TRY(open_table(res_dir, "true_regrets.csv",
                        "scenario,replicate,aggregator,type,true_regret\n", &o));
    for (size_t t = 0; t < m->n_cells * m->reps; t++) {
        size_t K = m->out[t].K;
        for (size_t row = 0; row < K + NAGG; row++)
            for (size_t ty = 0; ty < K; ty++) {
                char name[32];
                row_name(name, sizeof name, row, K);
                put_task(o.f, m, t);
                fprintf(o.f, "%s,%zu,", name, ty + 1);
                put_last(o.f, m->out[t].true_reg[row][ty]);
            }
    }
    return fsutil_commit(&o);
}

/* The end of a summary row: ",n,mean,sd,ci_low,ci_high" of x (reps values;
 * work: reps doubles). */
static void put_stats(FILE *f, const double *x, size_t reps, double *work)
{
    stats_summary sm;
    stats_summarise(x, 1, reps, work, &sm);
    fprintf(f, ",%zu", sm.n);
    double q[4] = {sm.mean, sm.sd, sm.ci_low, sm.ci_high};
    csvio_put_nums(f, q, 4);
    fputc('\n', f);
}

/* The worst type's true regret of aggregator row row of one task. */
static double worst_true(const task_out *o, size_t row)
{
    double worst = -INFINITY;
    for (size_t ty = 0; ty < o->K; ty++)
        if (o->true_reg[row][ty] > worst) worst = o->true_reg[row][ty];
    return worst;
}

/* Summary rows of scenario cell: per aggregator, the worst-type true,
 * estimated (linear) and estimated KL regret, and the paired difference of
 * its worst true regret minus KL-exact MMRA's (same replicate, same
 * policies); per weighted type and v, the
 * MMRA weight on that type's own policy; KL-exact MMRA's rounds, relative
 * gap and converged fraction. v: 2 reps doubles of work. */
static void put_summary_cell(FILE *f, const mmrasim_runs *m, size_t cell, double *v)
{
    size_t reps = m->reps;
    const task_out *to = &m->out[cell * reps];
    const char *sc = sweep_plan_value(m->plan, cell, 0);
    size_t K = to->K;
    static const char *const metric[4] = {
        "worst_true_regret", "worst_estimated_regret", "worst_estimated_kl_regret",
        "worst_true_regret_minus_mmra_kl"};
    for (int which = 0; which < 4; which++)
        for (size_t row = 0; row < K + NAGG; row++) {
            for (size_t r = 0; r < reps; r++)
                v[r] = which == 3 ? worst_true(&to[r], row) - worst_true(&to[r], K + NAGG - 1)
                       : which == 2 ? to[r].est_kl[row]
                       : which ? to[r].est_worst[row] : worst_true(&to[r], row);
            char name[32];
            row_name(name, sizeof name, row, K);
            fprintf(f, "%s,%s,%s,", sc, metric[which], name);
            put_stats(f, v, reps, v + reps);
        }
    static const char *const kl_metric[3] = {"kl_rounds", "kl_relative_gap",
                                             "kl_converged"};
    for (int which = 0; which < 3; which++) {
        for (size_t r = 0; r < reps; r++)
            v[r] = which == 0 ? to[r].kl_rounds
                              : which == 1 ? to[r].kl_gap : to[r].kl_converged;
        fprintf(f, "%s,%s,mmra_kl,", sc, kl_metric[which]);
        put_stats(f, v, reps, v + reps);
    }
    for (size_t j = 0; j < K; j++)
        for (size_t vi = 0; vi < NV; vi++) {
            for (size_t r = 0; r < reps; r++) v[r] = to[r].w[vi][j][j];
            fprintf(f, "%s,own_weight,type_%zu,%g", sc, j + 1, vs[vi]);
            put_stats(f, v, reps, v + reps);
        }
}

/* summary.csv: rows scenario,metric,name,v,n,mean,sd,ci_low,ci_high. */
static int write_summary(const char *res_dir, const mmrasim_runs *m)
{
    double *v = malloc(2 * m->reps * sizeof(double) + 8);
    if (!v) PREF_ERROR(PREF_ENOMEM, "out of memory");
    fsutil_file o;
    int st = open_table(res_dir, "summary.csv",
                        "scenario,metric,name,v,n,mean,sd,ci_low,ci_high\n", &o);
    if (!st) {
        for (size_t cell = 0; cell < m->n_cells; cell++)
            put_summary_cell(o.f, m, cell, v);
        st = fsutil_commit(&o);
    }
    free(v);
    return st;
}

int mmrasim_experiment(const cfg *c, const char *res_dir, const sweep_params *sp)
{
    sweep_plan *plan = NULL;
    PREF_TRY(sweep_plan_build(c, tasks_table(), &plan));
    mmrasim_runs m = {plan, NULL, sweep_plan_cells(plan), (size_t)c->sweep_replicates};
    task_out *out = calloc(m.n_cells * m.reps, sizeof *out);
    m.out = out;
    int st = out ? PREF_OK : pref_set_error(PREF_ENOMEM, "out of memory");
    if (!st) st = sweep_map(plan, c, sp->threads, "mmra", map_task, out);
    if (!st) st = write_regret_matrix(res_dir, &m);
    if (!st) st = write_weights(res_dir, &m);
    if (!st) st = write_true_regrets(res_dir, &m);
    if (!st) st = write_summary(res_dir, &m);
    if (!st) st = cfg_write_file(c, res_dir);
    free(out);
    sweep_plan_free(plan);
    return st;
}

/* ---- the figure: per scenario, the regret matrix, MMRA weights and the
 * worst-type true regret per aggregator ---- */

static const char *const plot_scen[2] = {"two_traits", "four_groups"};

/* Datablocks of scenario sc (gnuplot cannot build them inside a multiplot):
 * $mat<sc> = (policy j, type i, R_ij) of regret_matrix.csv, so the heat map
 * draws x = policy and y = type; $w<sc>_<j> = (v, mean, ci_low, ci_high) of
 * the own-policy weight of type j, the CI clipped to [0, 1] (a weight);
 * $worst<sc> = (mean, ci_low, ci_high) per aggregator; the variables
 * cbmin<sc> (colour scale start: 0, or the smallest regret if negative) and
 * nrep<sc> (the replicate count behind the means, as text). */
static int plot_data(plot_script *s, int sc)
{
    char name[64], cond[256];
    snprintf(name, sizeof name, "mat%d", sc);
    snprintf(cond, sizeof cond, "strcol(1) eq '%s'", plot_scen[sc]);
    /* regret_matrix.csv: scenario,replicate,type,policy,regret */
    int st = plot_filter(s, name, "m", "4:3:5", cond);
    for (int j = 0; !st && j < 4; j++) {
        snprintf(name, sizeof name, "w%d_%d", sc, j + 1);
        snprintf(cond, sizeof cond,
                 "strcol(1) eq '%s' && strcol(2) eq 'own_weight' && "
                 "strcol(3) eq 'type_%d'", plot_scen[sc], j + 1);
        st = plot_filter(s, name, "f", "4:6:(clip01($8)):(clip01($9))", cond);
    }
    snprintf(name, sizeof name, "worst%d", sc);
    snprintf(cond, sizeof cond,
             "strcol(1) eq '%s' && strcol(2) eq 'worst_true_regret'", plot_scen[sc]);
    if (!st) st = plot_filter(s, name, "f", "6:8:9", cond);
    /* summary.csv: scenario,metric,name,v,n,mean,sd,ci_low,ci_high */
    if (!st)
        st = plot_printf(s,
            "stats $mat%d using 3 nooutput\ncbmin%d = STATS_min < 0 ? STATS_min : 0\n"
            "set datafile separator ','\n"
            "stats f using (strcol(1) eq '%s' && strcol(2) eq 'worst_true_regret' ? "
            "$5 : NaN) nooutput\nnrep%d = STATS_min == STATS_max ? sprintf('%%d "
            "replicates', STATS_max) : sprintf('%%d to %%d replicates', STATS_min, "
            "STATS_max)\nset datafile separator whitespace\n",
            sc, sc, plot_scen[sc], sc);
    return st;
}

/* The heat map of R (replicate 1), with each cell's value printed in it. */
static int plot_matrix(plot_script *s, int sc)
{
    int K = sc ? 4 : 2;
    return plot_printf(s,
        "set title '%s: regret matrix R (replicate 1)'\n"
        "set xlabel 'policy j'\nset ylabel 'type i'\nset xtics 1\nset ytics 1\n"
        "set xrange [0.5:%d.5]\nset yrange [0.5:%d.5]\nunset key\n"
        "set palette defined (0 '#ffffff', 1 '#56B4E9', 2 '#0072B2')\n"
        "set cbrange [cbmin%d:*]\n"
        "set cblabel 'R_ij = L_ii - L_ij (regret of type i under policy j)'\n"
        "plot $mat%d using 1:2:3 with image, $mat%d using 1:2:(sprintf('%%.2f', "
        "$3)) with labels\nunset cblabel\n",
        plot_scen[sc], K, K, sc, sc, sc);
}

/* The MMRA weight on each weighted type's own policy against its weight v. */
static int plot_weights(plot_script *s, int sc)
{
    int st = plot_printf(s,
        "set autoscale\nset title '%s: MMRA weight on the weighted type''s own "
        "policy' . \"\\n\" . '(mean, 95%% CI clipped to [0, 1]; ' . nrep%d . ')'\n"
        "set xlabel 'regret weight v of that type'\n"
        "set ylabel 'weight'\nset logscale x 2\nset xrange [0.8:10]\n"
        "set xtics (1, 2, 4, 8)\nset ytics 0, 0.2, 1\n"
        /* weights and their clipped CIs stay <= 1: the key goes above */
        "set yrange [0:1.3]\nset key top left horizontal maxrows 2\nplot ",
        plot_scen[sc], sc);
    for (int j = 0; !st && j < (sc ? 4 : 2); j++)
        st = plot_printf(s, "%s$w%d_%d using 1:2:3:4 with yerrorlines lt %d "
                            "title 'type %d weighted'", j ? ", " : "", sc, j + 1,
                         j + 1, j + 1);
    return st ? st : plot_printf(s, "\nunset logscale x\n");
}

/* Bars: the worst type's true regret for each aggregator. */
static int plot_worst(plot_script *s, int sc)
{
    return plot_printf(s,
        "set autoscale\nset ytics auto\nset title '%s: worst-type TRUE regret per "
        "aggregator' . \"\\n\" . '(mean, 95%% CI; ' . nrep%d . ')'\nset xlabel ''\n"
        "set ylabel 'max over types of the true regret'\nset yrange [0:*]\n"
        "set style data histogram\n"
        "set style histogram errorbars gap 1 lw 1\n"
        "set style fill solid 0.8 border -1\nunset key\n"
        "set xtics rotate by -30 (%s)\n"
        "plot $worst%d using 1:2:3 lt 1\n"
        "set style data points\nset xtics norotate\n", plot_scen[sc], sc,
        sc ? "'policy 1' 0, 'policy 2' 1, 'policy 3' 2, 'policy 4' 3, "
             "'utilitarian' 4, 'uniform' 5, 'max-min utility' 6, 'MMRA' 7, "
             "'MMRA (KL)' 8"
           : "'policy 1' 0, 'policy 2' 1, 'utilitarian' 2, 'uniform' 3, "
             "'max-min utility' 4, 'MMRA' 5, 'MMRA (KL)' 6",
        sc);
}

int mmrasim_plot(const char *res_dir, const char *plot_dir)
{
    char sum[4096], mat[4096];
    PREF_TRY(fsutil_join(sum, sizeof sum, res_dir, "summary.csv"));
    PREF_TRY(fsutil_join(mat, sizeof mat, res_dir, "regret_matrix.csv"));
    PREF_TRY(fsutil_mkdirs(plot_dir));
    plot_script *s = plot_script_alloc("mmra", 1500, 860);
    if (!s) PREF_ERROR(PREF_ENOMEM, "out of memory");
    int st = plot_printf(s, "f = ");
    if (!st) st = plot_path(s, plot_dir, sum);
    if (!st) st = plot_printf(s, "\nm = ");
    if (!st) st = plot_path(s, plot_dir, mat);
    if (!st) st = plot_printf(s, "\n");
    for (int sc = 0; !st && sc < 2; sc++) st = plot_data(s, sc);
    if (!st)
        st = plot_printf(s,
            "set multiplot layout 2,3 title 'Min-max regret aggregation of EM-DPO "
            "policies (top: two_traits, bottom: four_groups)'\n");
    for (int sc = 0; !st && sc < 2; sc++) {
        st = plot_matrix(s, sc);
        if (!st) st = plot_weights(s, sc);
        if (!st) st = plot_worst(s, sc);
    }
    if (!st) st = plot_printf(s, "unset multiplot\n");
    if (!st) st = plot_render(s, plot_dir, NULL);
    plot_script_free(s);
    return st;
}
