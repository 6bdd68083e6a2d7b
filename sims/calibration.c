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

const char *const calib_metric_names[CALIB_NMETRICS] = {
    "chi2", "df", "p_value", "max_abs_diff", "max_abs_z", "answers"};

int calib_check(const cfg *c)
{
    if (strcmp(c->population_kind, "gaussian") == 0) {
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
    const char *a = c->design_answer;
    if (strcmp(a, "pair") == 0) snprintf(buf, n, "pair");
    else if (strcmp(a, "full") == 0) snprintf(buf, n, "full_%ld", m);
    else snprintf(buf, n, "top%ld_of_%ld", r, m);
}

int calib_run(const cfg *c, gsl_rng *rng, double *metrics, FILE *detail,
              const char *label)
{
    PREF_TRY(calib_check(c));
    sim_population *pop = NULL;
    sim_design *g = NULL;
    PREF_TRY(sim_population_from_cfg(c, &pop));
    int st = sim_design_from_cfg(c, rng, &g);
    if (st) {
        sim_population_free(pop);
        return st;
    }
    size_t m = g->m, r = g->r, d = g->d;
    size_t n_out = outcomes_count(m, r, CALIB_MAX_OUTCOMES);
    size_t n_ans = (size_t)c->calibration_answers;
    size_t pool = g->pool > m ? g->pool : m;
    /* All scratch up front: the answer loop below never allocates. */
    double *x = malloc(m * d * sizeof(double));
    double *theta = malloc(d * sizeof(double));
    double *u = malloc(3 * m * sizeof(double));
    double *ut = malloc(pop->K * m * sizeof(double));
    double *p = malloc(n_out * sizeof(double));
    size_t *count = malloc(n_out * sizeof(size_t));
    uint32_t *perm = malloc((2 * m + pool) * sizeof(uint32_t));
    unsigned char *used = malloc(m);
    if (!x || !theta || !u || !ut || !p || !count || !perm || !used) {
        st = pref_set_error(PREF_ENOMEM, "out of memory");
        goto done;
    }
    double chi2 = 0.0, df = 0.0, max_diff = 0.0, max_z = 0.0;
    for (long des = 0; des < c->calibration_designs; des++) {
        uint32_t prompt, *items = perm + m, *work = perm + 2 * m;
        sim_draw_query(g, rng, x, &prompt, items, work);
        for (size_t k = 0; k < pop->K; k++)
            for (size_t j = 0; j < m; j++)
                ut[k * m + j] = sim_reward(pop, k, x + j * d);
        /* Exact probability of each outcome under the mixture. */
        for (size_t o = 0; o < n_out; o++) {
            outcomes_decode(o, m, r, perm, used);
            double prob = 0.0;
            for (size_t k = 0; k < pop->K; k++) {
                const double *uk = ut + k * m;
                for (size_t j = 0; j < m; j++) u[j] = uk[perm[j]];
                prob += pop->eta[k] * exp(pl_loglik(u, m, r));
            }
            p[o] = prob;
            count[o] = 0;
        }
        /* Simulate through the simulator's own path. */
        for (size_t a = 0; a < n_ans; a++) {
            uint32_t k = sim_draw_user(pop, rng, theta);
            for (size_t j = 0; j < m; j++) u[j] = sim_reward(pop, k, x + j * d);
            pl_sample(rng, u, m, r, perm, u + m);
            count[outcomes_index(perm, m, r, used)]++;
        }
        double n = (double)n_ans;
        for (size_t o = 0; o < n_out; o++) {
            double f = (double)count[o] / n, e = n * p[o];
            double se = sqrt(p[o] * (1.0 - p[o]) / n);
            if (e > 0) chi2 += ((double)count[o] - e) * ((double)count[o] - e) / e;
            double diff = fabs(f - p[o]);
            if (diff > max_diff) max_diff = diff;
            if (se > 0 && diff / se > max_z) max_z = diff / se;
            if (detail) {
                char lab[256];
                size_t len = 0;
                outcomes_decode(o, m, r, perm, used);
                for (size_t s = 0; s < r && len < sizeof lab - 16; s++)
                    len += (size_t)snprintf(lab + len, sizeof lab - len,
                                            s ? ">%u" : "%u", perm[s] + 1);
                fprintf(detail, "%s,%ld,%s,%.17g,%.17g,%.17g,%zu,%zu\n", label,
                        des + 1, lab, p[o], f, se, count[o], n_ans);
            }
        }
        df += (double)(n_out - 1);
    }
    metrics[0] = chi2;
    metrics[1] = df;
    metrics[2] = gsl_cdf_chisq_Q(chi2, df);
    metrics[3] = max_diff;
    metrics[4] = max_z;
    metrics[5] = (double)(n_ans * (size_t)c->calibration_designs);
    st = PREF_OK;
done:
    free(x);
    free(theta);
    free(u);
    free(ut);
    free(p);
    free(count);
    free(perm);
    free(used);
    sim_population_free(pop);
    sim_design_free(g);
    return st;
}

int calib_task(const cfg *c, gsl_rng *rng, double *metrics)
{
    return calib_run(c, rng, metrics, NULL, NULL);
}

int calib_experiment(const cfg *c, const char *res_dir, const sweep_params *sp)
{
    PREF_TRY(sweep_run(c, res_dir, sp));
    /* The detail table: replicate 0 of every cell, same seed as runs.csv. */
    sweep_plan *plan = NULL;
    PREF_TRY(sweep_plan_build(c, &plan));
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
        gsl_rng *rng = rngs_alloc(rngs_seed((uint64_t)c->run_seed, cell, 0));
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
                            "Plackett-Luce probabilities (replicate 1 of each "
                            "answer kind)'\n"
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
