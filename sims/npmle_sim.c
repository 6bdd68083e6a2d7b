/* npmle_sim.c — the NPMLE sweep task, experiment and figures (see
 * npmle_sim.h). */
#include "npmle_sim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "csvio.h"
#include "err.h"
#include "fsutil.h"
#include "lcl.h"
#include "npmle.h"
#include "plot.h"
#include "rngs.h"
#include "sim.h"
#include "tasks.h"
#include "w1.h"

/* Atoms lighter than this are left out of W1 (npmle_support). */
#define NPMLESIM_MIN_WEIGHT 1e-12

const char *const npmlesim_metric_names[NPMLESIM_NMETRICS] = {"w1", "certificate",
                                                              "support"};

int npmlesim_check(const cfg *c)
{
    if (c->population_kind == CFG_population_kind_traits ||
        c->population_kind == CFG_population_kind_teacher)
        PREF_ERROR(PREF_EINPUT, "%s:%d: [population] kind: the npmle task needs "
                   "linear utilities", c->file, c->line[CFG_KEY_population_kind]);
    char buf[256];
    const char *why = c->design_d > 3 ? "the npmle task uses a regular grid: d <= 3"
                      : npmle_grid_check((size_t)c->npmle_grid, (size_t)c->design_d,
                                         c->npmle_radius, buf, sizeof buf);
    if (why)
        PREF_ERROR(PREF_EINPUT, "%s:%d: [npmle] grid: %s", c->file,
                   c->line[CFG_KEY_npmle_grid], why);
    return PREF_OK;
}

/* One fit: the data of c drawn with data, the grid into theta (G, d), the
 * estimate into west and the truth on the grid (a gaussian population's;
 * zeros for a finite one) into wtrue, metrics into met. */
typedef struct fit_out {
    double *theta, *west, *wtrue, *sw, *sth;
    size_t G, d;
} fit_out;

static void fit_out_free(fit_out *o)
{
    free(o->theta);
    free(o->west);
    free(o->wtrue);
    free(o->sw);
    free(o->sth);
    *o = (fit_out){0};
}

static int fit_out_alloc(fit_out *o, size_t G, size_t d)
{
    o->G = G;
    o->d = d;
    o->theta = malloc(G * d * sizeof(double));
    o->sth = malloc(2 * G * d * sizeof(double));
    o->west = malloc(G * sizeof(double));
    o->wtrue = calloc(G, sizeof(double));
    o->sw = malloc(2 * G * sizeof(double));
    if (o->theta && o->sth && o->west && o->wtrue && o->sw) return PREF_OK;
    fit_out_free(o);
    PREF_ERROR(PREF_ENOMEM, "out of memory for %zu grid points", G);
}

/* A finite truth's mass on the grid theta (G, d): each atom's weight added
 * to its nearest grid point in w (G, zeroed here). Returns the largest
 * distance from an atom to its grid point (0 when every atom is one).
 * O(K G d). */
static double atoms_on_grid(const sim_population *p, const double *theta,
                            size_t G, double *w)
{
    size_t d = p->d;
    double far = 0.0;
    memset(w, 0, G * sizeof(double));
    for (size_t k = 0; k < p->K; k++) {
        size_t best = 0;
        double bd = INFINITY;
        for (size_t r = 0; r < G; r++) {
            double s = 0.0;
            for (size_t j = 0; j < d; j++) {
                double e = theta[r * d + j] - p->theta[k * d + j];
                s += e * e;
            }
            if (s < bd) {
                bd = s;
                best = r;
            }
        }
        w[best] += p->eta[k];
        if (sqrt(bd) > far) far = sqrt(bd);
    }
    return far;
}

/* W1 between the estimate and the truth (finite: its atoms, exactly;
 * gaussian: its discretisation, both restricted to atoms >=
 * NPMLESIM_MIN_WEIGHT). Also fills o->wtrue, the truth on the grid (a
 * finite truth's atoms at their nearest grid points: heat maps only). */
static int fit_w1(const sim_population *p, fit_out *o, double *w1)
{
    size_t G = o->G, d = o->d;
    size_t ka = npmle_support(o->west, o->theta, G, d, NPMLESIM_MIN_WEIGHT, o->sw, o->sth);
    if (p->K > 0) {
        atoms_on_grid(p, o->theta, G, o->wtrue);
        return w1_distance(ka, o->sw, o->sth, p->K, p->eta, p->theta, d, w1);
    }
    PREF_TRY(sim_population_discretise(p, o->theta, G, o->wtrue));
    size_t kb = npmle_support(o->wtrue, o->theta, G, d, NPMLESIM_MIN_WEIGHT,
                              o->sw + G, o->sth + G * d);
    return w1_distance(ka, o->sw, o->sth, kb, o->sw + G, o->sth + G * d, d, w1);
}

static int fit_one(const cfg *c, gsl_rng *data, fit_out *o, double *met)
{
    PREF_TRY(npmlesim_check(c));
    size_t G = (size_t)c->npmle_grid, d = (size_t)c->design_d;
    PREF_TRY(fit_out_alloc(o, G, d));
    sim_population *p = NULL;
    sim_design *g = NULL;
    data_set *ds = NULL;
    npmle_workspace *w = NULL;
    int st = sim_population_from_cfg(c, &p);
    if (!st) st = sim_design_from_cfg(c, data, &g);
    if (!st) st = sim_simulate(p, g, gsl_rng_get(data), &ds);
    if (!st) st = npmle_grid(G, d, c->npmle_radius, o->theta);
    if (!st) {
        npmle_params np;
        npmle_params_init(&np);
        np.gap = c->npmle_gap;
        np.max_iter = (size_t)c->npmle_max_iter;
        np.threads = 1; /* tasks already run in parallel */
        w = npmle_alloc(ds->n_users, G, d, g->m, &np);
        st = w ? npmle_run(w, ds, o->theta, NULL)
               : pref_set_error(PREF_ENOMEM, "out of memory");
    }
    if (!st && !npmle_converged(w))
        st = pref_set_error(PREF_ENUM, "npmle: certificate %.10g above 1 + %g "
                            "after npmle.max_iter steps", npmle_certificate(w),
                            c->npmle_gap);
    if (!st) {
        memcpy(o->west, npmle_weights(w), G * sizeof(double));
        met[1] = npmle_certificate(w);
        met[2] = 0;
        for (size_t r = 0; r < G; r++) met[2] += o->west[r] >= NPMLESIM_MIN_WEIGHT;
        st = fit_w1(p, o, &met[0]);
    }
    npmle_free(w);
    data_free(ds);
    sim_design_free(g);
    sim_population_free(p);
    return st;
}

int npmlesim_task(const cfg *c, gsl_rng *data, gsl_rng *rng, double *metrics)
{
    (void)rng; /* the NPMLE is deterministic */
    fit_out o = {0};
    int st = fit_one(c, data, &o, metrics);
    fit_out_free(&o);
    return st;
}

/* heat.csv rows of one answer kind: the cell of the largest N, replicate
 * 1's data (the sweep's own). The grid is symmetric about 0 and ordered
 * axis 1 slowest, so -theta_r is point G - 1 - r. */
static int heat_rows(const sweep_plan *plan, const cfg *base, size_t cell,
                     cfg *cc, FILE *f)
{
    PREF_TRY(sweep_plan_cell_cfg(plan, base, cell, cc));
    gsl_rng *data = rngs_alloc(sweep_plan_data_seed(plan, cell, 0));
    if (!data) PREF_ERROR(PREF_ENOMEM, "out of memory");
    fit_out o = {0};
    double met[NPMLESIM_NMETRICS];
    int st = fit_one(cc, data, &o, met);
    for (size_t r = 0; !st && r < o.G; r++) {
        double diff = o.west[r] - o.wtrue[r];
        double mirror = o.west[o.G - 1 - r] - o.wtrue[o.G - 1 - r];
        csvio_put_text(f, sweep_plan_value(plan, cell, 0)); /* nums add ',' */
        double v[6] = {o.theta[r * o.d], o.d > 1 ? o.theta[r * o.d + 1] : 0.0,
                       o.west[r], o.wtrue[r], diff, 0.5 * (diff - mirror)};
        csvio_put_nums(f, v, 6);
        fputc('\n', f);
    }
    fit_out_free(&o);
    gsl_rng_free(data);
    return st;
}

static int write_heat(const cfg *c, const char *res_dir)
{
    sweep_plan *plan = NULL;
    PREF_TRY(sweep_plan_build(c, tasks_table(), &plan));
    char path[4096];
    cfg *cc = malloc(sizeof *cc);
    int st = cc ? PREF_OK : pref_set_error(PREF_ENOMEM, "out of memory");
    if (!st) st = fsutil_join(path, sizeof path, res_dir, "heat.csv");
    fsutil_file o;
    if (!st) st = fsutil_open(&o, path);
    if (st) {
        free(cc);
        sweep_plan_free(plan);
        return st;
    }
    fputs("answer,theta1,theta2,estimate,truth,diff,odd\n", o.f);
    size_t kinds = sweep_plan_key_values(plan, 0);
    size_t per = sweep_plan_cells(plan) / kinds;
    for (size_t k = 0; !st && k < kinds; k++)
        st = heat_rows(plan, c, k * per + per - 1, cc, o.f);
    if (st) fsutil_abort(&o);
    else st = fsutil_commit(&o);
    free(cc);
    sweep_plan_free(plan);
    return st;
}

/* PREF_OK when c's population is gaussian or every atom of its finite
 * population is a point of c's grid (to 1e-9 R), so that the heat maps draw
 * the truth where it is; else PREF_EINPUT with the distance. */
static int check_truth_on_grid(const cfg *c)
{
    PREF_TRY(npmlesim_check(c));
    if (c->population_kind == CFG_population_kind_gaussian) return PREF_OK;
    size_t G = (size_t)c->npmle_grid, d = (size_t)c->design_d;
    sim_population *p = NULL;
    double *theta = malloc(G * d * sizeof(double)), *w = malloc(G * sizeof(double));
    int st = theta && w ? PREF_OK : pref_set_error(PREF_ENOMEM, "out of memory");
    if (!st) st = sim_population_from_cfg(c, &p);
    if (!st) st = npmle_grid(G, d, c->npmle_radius, theta);
    double far = st ? 0.0 : atoms_on_grid(p, theta, G, w);
    if (!st && far > 1e-9 * c->npmle_radius)
        st = pref_set_error(PREF_EINPUT, "%s:%d: [population]: an atom lies %g "
                            "from the nearest point of the %zu-point grid of radius "
                            "%g; the heat maps draw the truth on the grid: choose "
                            "atoms on it", c->file, c->line[CFG_KEY_population_kind],
                            far, G, c->npmle_radius);
    sim_population_free(p);
    free(theta);
    free(w);
    return st;
}

int npmlesim_experiment(const cfg *c, const char *res_dir, const sweep_params *sp)
{
    /* Checked before the sweep: a refused config leaves nothing behind. */
    int ok = c->design_d == 2 && c->sweep.n == 2 &&
             c->sweep.e[0].key == CFG_KEY_design_answer &&
             c->sweep.e[1].key == CFG_KEY_design_users;
    if (!ok)
        PREF_ERROR(PREF_EINPUT, "%s: the npmle experiment sweeps design.answer "
                   "then design.users, with design.d = 2 (its heat maps are 2-D)",
                   c->file);
    PREF_TRY(check_truth_on_grid(c));
    PREF_TRY(lcl_recovery_experiment(c, res_dir, sp));
    return write_heat(c, res_dir);
}

/* The texts of one experiment's figures: plot names <name>.png (W1 vs N)
 * and <name>_heat.png, their titles, and whether the truth is finite (its
 * atoms are then circled on every panel). */
typedef struct heat_text {
    const char *name, *w1_title, *heat_title;
    int atoms;
} heat_text;

/* One heat map panel: column col of answer kind k (or the truth). */
static int heat_panel(plot_script *s, int k, int col, const char *title,
                      int diverging, int atoms)
{
    char range[64];
    snprintf(range, sizeof range, "every ::(%d*G)::(%d*G-1)", k, k + 1);
    int st = plot_printf(s, "set title '%s'\nset palette %s\n%s"
                            "plot f skip 1 %s using 2:3:%d with image notitle", title,
                         diverging ? "defined (-1 'blue', 0 'white', 1 'red')"
                                   : "rgb 21,22,23",
                         diverging ? "set cbrange [-cmax:cmax]\n" : "set autoscale cb\n",
                         range, col);
    if (!st && atoms)
        st = plot_printf(s, ", f skip 1 %s using ($5 > 0 ? $2 : NaN):3 with points "
                            "pt 6 ps 3 lw 2 lc rgb 'black' notitle", range);
    return st ? st : plot_printf(s, "\n");
}

static int heat_plot(const char *res_dir, const char *plot_dir, const heat_text *ht)
{
    char path[4096], name[128];
    PREF_TRY(fsutil_join(path, sizeof path, res_dir, "heat.csv"));
    snprintf(name, sizeof name, "%s_heat", ht->name);
    plot_script *s = plot_script_alloc(name, 2000, 1500);
    if (!s) PREF_ERROR(PREF_ENOMEM, "out of memory");
    int st = plot_printf(s, "f = ");
    if (!st) st = plot_path(s, plot_dir, path);
    if (!st)
        st = plot_printf(s, "\nset datafile separator ','\n"
                            "stats f skip 1 using 6 nooutput\nG = STATS_records / 3\n"
                            "cmax = (abs(STATS_min) > STATS_max ? abs(STATS_min) : STATS_max)\n"
                            "set size ratio -1\nset xlabel 'theta1'\nset ylabel 'theta2'\n"
                            "set multiplot layout 3,4 title \"%s, largest N, one replicate"
                            "\\nestimate, truth, estimate - truth and its odd part "
                            "(diff(theta) - diff(-theta)) / 2%s\"\n", ht->heat_title,
                         ht->atoms ? "; circles: the true atoms" : "");
    static const char *const names[3] = {"pairs", "top-1 of 3", "full ranking of 3"};
    char t[128];
    for (int k = 0; !st && k < 3; k++) {
        snprintf(t, sizeof t, "%s: estimate", names[k]);
        st = heat_panel(s, k, 4, t, 0, ht->atoms);
        snprintf(t, sizeof t, "truth (same for every row)");
        if (!st) st = heat_panel(s, k, 5, t, 0, 0);
        snprintf(t, sizeof t, "%s: estimate - truth", names[k]);
        if (!st) st = heat_panel(s, k, 6, t, 1, ht->atoms);
        snprintf(t, sizeof t, "%s: odd part of the difference", names[k]);
        if (!st) st = heat_panel(s, k, 7, t, 1, ht->atoms);
    }
    if (!st) st = plot_printf(s, "unset multiplot\n");
    if (!st) st = plot_render(s, plot_dir, NULL);
    plot_script_free(s);
    return st;
}

static int plot_both(const char *res_dir, const char *plot_dir, const heat_text *ht)
{
    PREF_TRY(lcl_w1_plot(res_dir, plot_dir, ht->name, ht->w1_title));
    return heat_plot(res_dir, plot_dir, ht);
}

int npmlesim_plot(const char *res_dir, const char *plot_dir)
{
    static const heat_text ht = {
        "npmle", "NPMLE of a gaussian mixing distribution: W1 to the truth "
        "(discretised on the grid) vs users",
        "NPMLE of the gaussian mixing distribution on the grid (truth: its "
        "density at the grid points, normalised)", 0};
    return plot_both(res_dir, plot_dir, &ht);
}

int npmlesim_polarised_plot(const char *res_dir, const char *plot_dir)
{
    static const heat_text ht = {
        "npmle_polarised", "NPMLE of a polarised population {+b, -b}: W1 to its "
        "two atoms vs users",
        "NPMLE of the polarised population {+b, -b} (weight 1/2 each) on the grid", 1};
    return plot_both(res_dir, plot_dir, &ht);
}
