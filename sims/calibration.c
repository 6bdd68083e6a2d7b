/* calibration.c — empirical answer frequencies versus exact Plackett–Luce
 * probabilities (see calibration.h). The experiment behind
 * `reproduce`'s `calibration` figure. */
#include "calibration.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "err.h"
#include "fsutil.h"
#include "outcomes.h"
#include "pl.h"
#include "plot.h"
#include "rngs.h"
#include "sim.h"
#include "sweep.h"
#include "tasks.h"

const char *const calib_metric_names[CALIB_NMETRICS] = {
    "chi2", "df", "p_value", "max_abs_diff", "max_abs_z", "answers"};

int calib_check(const cfg *c)
{
    if (c->population_kind == CFG_population_kind_gaussian) {
        int line = c->line[CFG_KEY_population_kind];
        PREF_ERROR(PREF_EINPUT, "%s:%d: [population] kind: calibration needs a "
                   "finite population (latent_class, polarised, indifferent)",
                   c->file, line);
    }
    size_t m = (size_t)cfg_m(c), r = (size_t)cfg_r(c);
    if (!outcomes_count(m, r, CALIB_MAX_OUTCOMES))
        PREF_ERROR(PREF_EINPUT, "%s:%d: [design] m: %zu candidates ranked %zu "
                   "deep have more than %d outcomes; calibration enumerates "
                   "them all", c->file, c->line[CFG_KEY_design_m], m, r,
                   CALIB_MAX_OUTCOMES);
    return PREF_OK;
}

static void kind_label(const cfg *c, char *buf, size_t n)
{
    long m = cfg_m(c), r = cfg_r(c);
    cfg_value a = c->design_answer;
    if (a == CFG_design_answer_pair) snprintf(buf, n, "pair");
    else if (a == CFG_design_answer_full) snprintf(buf, n, "full_%ld", m);
    else snprintf(buf, n, "top%ld_of_%ld", r, m);
}

/* Scratch of one run, allocated once: the answer loop never allocates. */
typedef struct calib_work {
    size_t m, r, d, n_out;
    double *x;            /* (m, d) features of the current query */
    double *theta;        /* (d) a drawn user's parameters */
    double *u;            /* (3 m) utilities and pl_sample scratch */
    double *ut;           /* (K, m) utilities of each type */
    double *p;            /* (n_out) exact outcome probabilities */
    size_t *count;        /* (n_out) simulated answers per outcome */
    uint32_t *perm;       /* (2 m + pool) outcome order, sim_draw_query work */
    unsigned char *used;  /* (m) */
} calib_work;

/* Running totals over designs. */
typedef struct calib_stats {
    double chi2, df, max_diff, max_z;
} calib_stats;

static void calib_work_free(calib_work *w)
{
    free(w->x);
    free(w->theta);
    free(w->u);
    free(w->ut);
    free(w->p);
    free(w->count);
    free(w->perm);
    free(w->used);
}

/* PREF_OK or PREF_ENOMEM; w is always safe to calib_work_free. */
static int calib_work_init(calib_work *w, const sim_population *pop,
                           const sim_design *g)
{
    size_t m = g->m, d = g->d, pool = g->pool > m ? g->pool : m;
    w->m = m;
    w->r = g->r;
    w->d = d;
    w->n_out = outcomes_count(m, g->r, CALIB_MAX_OUTCOMES);
    w->x = malloc(m * d * sizeof(double));
    w->theta = malloc(d * sizeof(double));
    w->u = malloc(3 * m * sizeof(double));
    w->ut = malloc(pop->K * m * sizeof(double));
    w->p = malloc(w->n_out * sizeof(double));
    w->count = malloc(w->n_out * sizeof(size_t));
    w->perm = malloc((2 * m + pool) * sizeof(uint32_t));
    w->used = malloc(m);
    if (!w->x || !w->theta || !w->u || !w->ut || !w->p || !w->count ||
        !w->perm || !w->used)
        return pref_set_error(PREF_ENOMEM, "out of memory");
    return PREF_OK;
}

/* p = the exact probability of each outcome of the query w->x under the
 * mixture, sum_k eta_k P_PL(o | u_k); counts reset. */
static void exact_probs(const sim_population *pop, calib_work *w)
{
    size_t m = w->m, r = w->r, d = w->d;
    for (size_t k = 0; k < pop->K; k++)
        for (size_t j = 0; j < m; j++)
            w->ut[k * m + j] = sim_reward(pop, k, w->x + j * d);
    for (size_t o = 0; o < w->n_out; o++) {
        outcomes_decode(o, m, r, w->perm, w->used);
        double prob = 0.0;
        for (size_t k = 0; k < pop->K; k++) {
            const double *uk = w->ut + k * m;
            for (size_t j = 0; j < m; j++) w->u[j] = uk[w->perm[j]];
            prob += pop->eta[k] * exp(pl_loglik(w->u, m, r));
        }
        w->p[o] = prob;
        w->count[o] = 0;
    }
}

/* n_ans fresh users answer the query w->x through the simulator's own path
 * (sim_draw_user, pl_sample); count the outcomes. */
static void simulate(const sim_population *pop, gsl_rng *rng, size_t n_ans,
                     calib_work *w)
{
    size_t m = w->m, r = w->r, d = w->d;
    for (size_t a = 0; a < n_ans; a++) {
        uint32_t k = sim_draw_user(pop, rng, w->theta);
        for (size_t j = 0; j < m; j++)
            w->u[j] = sim_reward(pop, k, w->x + j * d);
        pl_sample(rng, w->u, m, r, w->perm, w->u + m);
        w->count[outcomes_index(w->perm, m, r, w->used)]++;
    }
}

/* Add design des's counts to the totals; one detail row per outcome when
 * detail is not NULL. */
static void score(calib_work *w, size_t n_ans, long des, calib_stats *t,
                  FILE *detail, const char *label)
{
    double n = (double)n_ans;
    for (size_t o = 0; o < w->n_out; o++) {
        size_t cnt = w->count[o];
        double po = w->p[o], f = (double)cnt / n, e = n * po;
        double se = sqrt(po * (1.0 - po) / n);
        if (e > 0) t->chi2 += ((double)cnt - e) * ((double)cnt - e) / e;
        double diff = fabs(f - po);
        if (diff > t->max_diff) t->max_diff = diff;
        if (se > 0 && diff / se > t->max_z) t->max_z = diff / se;
        if (detail) {
            char lab[256];
            size_t len = 0;
            outcomes_decode(o, w->m, w->r, w->perm, w->used);
            for (size_t s = 0; s < w->r && len < sizeof lab - 16; s++)
                len += (size_t)snprintf(lab + len, sizeof lab - len,
                                        s ? ">%u" : "%u", w->perm[s] + 1);
            fprintf(detail, "%s,%ld,%s,%.17g,%.17g,%.17g,%zu,%zu\n", label,
                    des + 1, lab, po, f, se, cnt, n_ans);
        }
    }
    t->df += (double)(w->n_out - 1);
}

int calib_run(const cfg *c, gsl_rng *rng, double *metrics, FILE *detail,
              const char *label)
{
    PREF_TRY(calib_check(c));
    sim_population *pop = NULL;
    sim_design *g = NULL;
    calib_work w = {0};
    size_t n_ans = (size_t)c->calibration_answers;
    int st = sim_population_from_cfg(c, &pop);
    if (!st) st = sim_design_from_cfg(c, rng, &g);
    if (!st) st = calib_work_init(&w, pop, g);
    calib_stats t = {0.0, 0.0, 0.0, 0.0};
    for (long des = 0; !st && des < c->calibration_designs; des++) {
        uint32_t prompt, *items = w.perm + w.m, *work = w.perm + 2 * w.m;
        sim_draw_query(g, rng, w.x, &prompt, items, work);
        exact_probs(pop, &w);
        simulate(pop, rng, n_ans, &w);
        score(&w, n_ans, des, &t, detail, label);
    }
    if (!st) {
        metrics[0] = t.chi2;
        metrics[1] = t.df;
        metrics[2] = gsl_cdf_chisq_Q(t.chi2, t.df);
        metrics[3] = t.max_diff;
        metrics[4] = t.max_z;
        metrics[5] = (double)(n_ans * (size_t)c->calibration_designs);
    }
    calib_work_free(&w);
    sim_population_free(pop);
    sim_design_free(g);
    return st;
}

int calib_task(const cfg *c, gsl_rng *data, gsl_rng *rng, double *metrics)
{
    (void)rng; /* no estimator: nothing but data is drawn */
    return calib_run(c, data, metrics, NULL, NULL);
}

int calib_experiment(const cfg *c, const char *res_dir, const sweep_params *sp)
{
    PREF_TRY(sweep_run(c, tasks_table(), res_dir, sp));
    /* The detail table: replicate 0 of every cell, same data seed as
     * runs.csv. */
    sweep_plan *plan = NULL;
    PREF_TRY(sweep_plan_build(c, tasks_table(), &plan));
    char path[4096];
    int st = fsutil_join(path, sizeof path, res_dir, "frequencies.csv");
    fsutil_file o;
    if (!st) st = fsutil_open(&o, path);
    if (st) {
        sweep_plan_free(plan);
        return st;
    }
    fprintf(o.f, "answer,design,outcome,exact,empirical,se,count,n\n");
    cfg *cc = malloc(sizeof *cc);
    if (!cc) st = pref_set_error(PREF_ENOMEM, "out of memory");
    for (size_t cell = 0; !st && cell < sweep_plan_cells(plan); cell++) {
        st = sweep_plan_cell_cfg(plan, c, cell, cc);
        if (st) break;
        gsl_rng *rng = rngs_alloc(sweep_plan_data_seed(plan, cell, 0));
        if (!rng) {
            st = pref_set_error(PREF_ENOMEM, "out of memory");
            break;
        }
        double met[CALIB_NMETRICS];
        char lab[64];
        kind_label(cc, lab, sizeof lab);
        st = calib_run(cc, rng, met, o.f, lab);
        gsl_rng_free(rng);
    }
    free(cc);
    sweep_plan_free(plan);
    if (st) {
        fsutil_abort(&o);
        return st;
    }
    return fsutil_commit(&o);
}

int calib_plot(const char *res_dir, const char *plot_dir)
{
    char freq[4096];
    PREF_TRY(fsutil_join(freq, sizeof freq, res_dir, "frequencies.csv"));
    PREF_TRY(fsutil_mkdirs(plot_dir));
    plot_script *s = plot_script_alloc("calibration", 1200, 720);
    if (!s) PREF_ERROR(PREF_ENOMEM, "out of memory");
    static const char *const kinds[] = {"pair", "top1_of_3", "full_3"};
    static const char *const titles[] = {
        "pairs (Bradley-Terry)", "top-1 of 3", "full ranking of 3"};
    /* Top row: empirical vs exact with the diagonal. Bottom row: the
     * standardised residual z = (empirical - exact) / SE, which should look
     * like N(0, 1) noise inside the +-2 band. */
    int st = plot_printf(s, "set multiplot layout 2,3 title "
                            "'Simulated answer frequencies vs exact "
                            "Plackett-Luce probabilities (the first replicate, "
                            "replicate 0 in runs.csv, of each answer kind)'\n"
                            "f = ");
    if (!st) st = plot_path(s, plot_dir, freq);
    if (!st) st = plot_printf(s, "\nset key top left\n");
    for (size_t i = 0; !st && i < 3; i++) {
        st = plot_printf(s, "set title '%s'\nset xlabel 'exact probability'\n"
                            "set ylabel 'empirical frequency'\n"
                            "set xrange [0:*]\nset yrange [0:*]\n"
                            "plot f using (strcol(1) eq '%s' ? $4 : NaN):5 "
                            "skip 1 with points lt 1 title 'outcomes', x with "
                            "lines lt 2 dt 2 title 'y = x'\n",
                         titles[i], kinds[i]);
    }
    for (size_t i = 0; !st && i < 3; i++) {
        st = plot_printf(s, "set title '%s: standardised residuals'\n"
                            "set xlabel 'exact probability'\n"
                            "set ylabel '(empirical - exact) / SE'\n"
                            "set xrange [0:*]\nset yrange [-4:4]\n"
                            "plot f using (strcol(1) eq '%s' ? $4 : NaN):"
                            "(($5 - $4) / $6) skip 1 with points lt 1 "
                            "notitle, 2 with lines lt 8 dt 2 title '+-2', "
                            "-2 with lines lt 8 dt 2 notitle, 0 with lines "
                            "lt 7 notitle\n",
                         titles[i], kinds[i]);
    }
    if (!st) st = plot_printf(s, "unset multiplot\n");
    if (!st) st = plot_render(s, plot_dir, NULL);
    plot_script_free(s);
    return st;
}
