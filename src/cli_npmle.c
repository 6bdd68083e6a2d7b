/* cli_npmle.c — `hetpref fit --model npmle` (see cli_npmle.h). Thin like
 * cli.c: checks, one call into npmle.h, W1 through w1.h, and the output
 * tables. */
#include "cli_npmle.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfgmap.h"
#include "cliutil.h"
#include "csvio.h"
#include "err.h"
#include "fsutil.h"
#include "npmle.h"
#include "truthio.h"
#include "w1.h"

/* Atoms lighter than this are left out of W1 (npmle_support). */
#define NPMLE_W1_MIN_WEIGHT 1e-12
/* Coordinates beyond this fraction of R count as the grid's edge. */
#define NPMLE_EDGE 0.9
/* Warn when more mass than this sits at the edge. */
#define NPMLE_EDGE_WARN 0.05

const char cli_npmle_help[] =
    "--model npmle: the whole distribution F of the users' utility vectors\n"
    "theta (random-coefficient Plackett-Luce), by nonparametric maximum\n"
    "likelihood on --grid G fixed points: for d <= 3 features a regular grid\n"
    "of n^d points (G must be n^d, n >= 2 per axis, ends included) on the cube\n"
    "[-R, R]^d, R = --grid-radius (default 3); for d > 3 the first G Halton\n"
    "points in [-R, R)^d. The weights maximise sum_i log sum_r w_r L_i(theta_r)\n"
    "(constrained Newton steps, log-likelihood never decreasing) until the\n"
    "certificate max_r (1/N) sum_i L_i(theta_r) / f_i (always >= 1, 1 at the\n"
    "optimum) is <= 1 + --gap (default 1e-6; the log-likelihood is then within\n"
    "N x gap of the grid's optimum). Writes DIR/grid.csv (theta1..thetad,weight:\n"
    "every grid point; theta[NAME] columns when the data names its\n"
    "features), DIR/fit.csv (loglik,certificate,gap,iterations,em_maps,\n"
    "converged,grid,grid_points,grid_radius,edge_mass,w1,w1_truth,w1_note) and\n"
    "DIR/config.ini. edge_mass is the weight on points with a coordinate beyond\n"
    "0.9 R (a warning above 0.05: widen the grid). w1 is the exact W1 distance\n"
    "(transportation LP) between the estimate (its atoms of weight >= 1e-12,\n"
    "renormalised) and a discrete truth (--truth, default truth.csv beside the\n"
    "data); a gaussian truth.csv records only the mean, so its w1 is NaN and\n"
    "w1_note says why. The fit needs about 8 x N x (G + min(G, 256)) bytes: a\n"
    "grid that does not fit in this machine's memory is refused. Other keys: --set\n"
    "npmle.max_iter=..., npmle.accel=newton|squarem|em.\n";

typedef struct npmle_out {
    double loglik, cert, gap, w1, edge;
    size_t G, iters, evals;
    int converged;
    const char *grid;   /* "regular" or "halton" */
    const char *w1_truth;
    char note[512];
} npmle_out;

/* The grid must be valid for the data's d and fit in memory. */
static int check_size(const cfg *c, const data_set *ds)
{
    char buf[256];
    size_t G = (size_t)c->npmle_grid, d = ds->d;
    const char *why = npmle_grid_check(G, d, c->npmle_radius, buf, sizeof buf);
    if (why) PREF_ERROR(PREF_EINPUT, "--grid %zu --grid-radius %g: %s", G,
                        c->npmle_radius, why);
    size_t need = npmle_bytes(ds->n_users, G, d);
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    double have = pages > 0 && psize > 0 ? (double)pages * (double)psize : INFINITY;
    if (need == SIZE_MAX || (double)need > have)
        PREF_ERROR(PREF_EINPUT, "--grid %zu: the fit would need %.3g GiB "
                   "(8 bytes per user and grid point, plus Newton's active set: %zu users "
                   "x %zu points), "
                   "more than this machine's %.3g GiB of memory", G,
                   need == SIZE_MAX ? 8.0 * (double)ds->n_users * (double)G / 1073741824.0
                                    : (double)need / 1073741824.0,
                   ds->n_users, G, have / 1073741824.0);
    return PREF_OK;
}

/* The truth, when there is one to compare with (else *t = NULL and o->note
 * says why). An explicit --truth that cannot be compared is an error. */
static int read_truth(const char *given, const char *data, size_t d,
                      truthio_truth **t, npmle_out *o)
{
    char path[4096], why[256];
    snprintf(o->note, sizeof o->note, "no truth file (give --truth)");
    PREF_TRY(cli_truth_read(given, data, path, sizeof path, t));
    if (!*t) return PREF_OK;
    const char *no = !strcmp((*t)->kind, "gaussian")
        ? "its population is gaussian and truth.csv records only its mean "
          "(no covariance)"
        : truthio_comparable(*t, d, why, sizeof why);
    if (!no) return PREF_OK;
    truthio_truth_free(*t);
    *t = NULL;
    if (given)
        PREF_ERROR(PREF_EINPUT, "--truth %s: cannot compute W1 to it: %s", path, no);
    fprintf(stderr, "hetpref: warning: %s: no W1 against it: %s (fit.csv: w1 "
            "NaN, w1_note says why)\n", path, no);
    snprintf(o->note, sizeof o->note, "truth.csv not comparable: %s", no);
    return PREF_OK;
}

/* W1 between the fitted weights and the truth t; mass at the edge. */
static int evaluate(const npmle_workspace *w, const double *theta, size_t G,
                    size_t d, double R, const truthio_truth *t, npmle_out *o)
{
    const double *wt = npmle_weights(w);
    o->edge = 0.0;
    for (size_t r = 0; r < G; r++) {
        int edge = 0;
        for (size_t j = 0; j < d; j++) edge |= fabs(theta[r * d + j]) > NPMLE_EDGE * R;
        if (edge) o->edge += wt[r];
    }
    o->w1 = NAN;
    o->w1_truth = "";
    if (!t) return PREF_OK;
    double *sw = malloc(G * sizeof(double)), *sth = malloc(G * d * sizeof(double));
    int st = sw && sth ? PREF_OK : pref_set_error(PREF_ENOMEM, "out of memory");
    size_t k = st ? 0 : npmle_support(wt, theta, G, d, NPMLE_W1_MIN_WEIGHT, sw, sth);
    if (!st) st = w1_distance(k, sw, sth, t->K, t->eta, t->theta, d, &o->w1);
    free(sw);
    free(sth);
    o->w1_truth = "discrete truth: exact";
    o->note[0] = '\0';
    return st;
}

/* Columns theta1..thetad, or theta[name] when the data names its features
 * (data_feature_name). */
static int write_grid(const char *dir, const data_set *ds, const double *theta,
                      const double *w, size_t G, size_t d)
{
    char path[4096], buf[64], col[600];
    fsutil_file o;
    PREF_TRY(fsutil_join(path, sizeof path, dir, "grid.csv"));
    PREF_TRY(fsutil_open(&o, path));
    for (size_t j = 0; j < d; j++) {
        if (ds->features)
            snprintf(col, sizeof col, "theta[%s]", data_feature_name(ds, j, buf, sizeof buf));
        else
            snprintf(col, sizeof col, "theta%zu", j + 1);
        csvio_put_text(o.f, col);
        fputc(',', o.f);
    }
    fputs("weight\n", o.f);
    for (size_t r = 0; r < G; r++) {
        for (size_t j = 0; j < d; j++) {
            csvio_put_num(o.f, theta[r * d + j]);
            fputc(',', o.f);
        }
        csvio_put_num(o.f, w[r]);
        fputc('\n', o.f);
    }
    return fsutil_commit(&o);
}

static int write_fit(const char *dir, const npmle_out *s, double R)
{
    char path[4096];
    fsutil_file o;
    PREF_TRY(fsutil_join(path, sizeof path, dir, "fit.csv"));
    PREF_TRY(fsutil_open(&o, path));
    fputs("loglik,certificate,gap,iterations,em_maps,converged,grid,grid_points,"
          "grid_radius,edge_mass,w1,w1_truth,w1_note\n", o.f);
    const double a[3] = {s->loglik, s->cert, s->gap};
    for (size_t k = 0; k < 3; k++) {
        csvio_put_num(o.f, a[k]);
        fputc(',', o.f);
    }
    fprintf(o.f, "%zu,%zu,%d,%s,%zu,", s->iters, s->evals, s->converged, s->grid, s->G);
    csvio_put_num(o.f, R);
    csvio_put_nums(o.f, (const double[]){s->edge, s->w1}, 2);
    fputc(',', o.f);
    csvio_put_text(o.f, s->w1_truth);
    fputc(',', o.f);
    csvio_put_text(o.f, s->note);
    fputc('\n', o.f);
    return fsutil_commit(&o);
}

static void report(const npmle_out *s, size_t N)
{
    fprintf(stderr, "hetpref: fit: NPMLE on %zu %s grid points: log-likelihood "
            "%.10g, certificate %.10g (%s 1 + %g) after %zu steps (%zu EM maps)",
            s->G, s->grid, s->loglik, s->cert, s->converged ? "<=" : ">", s->gap,
            s->iters, s->evals);
    if (!isnan(s->w1)) fprintf(stderr, "; W1 to the truth %.6g", s->w1);
    fputc('\n', stderr);
    if (!s->converged)
        fprintf(stderr, "hetpref: warning: the NPMLE did not reach its certificate "
                "(%.10g > 1 + %g) within npmle.max_iter: the weights are not at "
                "the optimum (the log-likelihood is within %.3g of it)\n",
                s->cert, s->gap, (double)N * (s->cert - 1.0));
    if (s->edge > NPMLE_EDGE_WARN)
        fprintf(stderr, "hetpref: warning: %.3g of the mass sits on grid points "
                "beyond 0.9 R: F may reach outside the grid (a larger "
                "--grid-radius?)\n", s->edge);
}

int cli_fit_npmle(const cfg *c, const data_set *ds, const char *data,
                  const char *truth, const char *out, long threads)
{
    PREF_TRY(check_size(c, ds));
    npmle_out s = {.G = (size_t)c->npmle_grid, .gap = c->npmle_gap,
                   .grid = ds->d <= 3 ? "regular" : "halton"};
    truthio_truth *t = NULL;
    PREF_TRY(read_truth(truth, data, ds->d, &t, &s));
    npmle_params p;
    cfgmap_npmle_params(c, &p);
    p.threads = (int)threads;
    size_t mmax = 2, G = s.G, d = ds->d;
    for (size_t q = 0; q < ds->n_queries; q++)
        if (data_m(ds, q) > mmax) mmax = data_m(ds, q);
    double *theta = malloc(G * d * sizeof(double));
    npmle_workspace *w = npmle_alloc(ds->n_users, G, d, mmax, &p);
    int st = theta && w ? PREF_OK : pref_set_error(PREF_ENOMEM, "out of memory "
                                                   "for %zu grid points", G);
    if (!st) st = npmle_grid(G, d, c->npmle_radius, theta);
    if (!st) st = npmle_run(w, ds, theta, NULL);
    if (!st) {
        s.loglik = npmle_loglik(w);
        s.cert = npmle_certificate(w);
        s.iters = npmle_iterations(w);
        s.evals = npmle_evaluations(w);
        s.converged = npmle_converged(w);
        st = evaluate(w, theta, G, d, c->npmle_radius, t, &s);
    }
    if (!st) st = fsutil_mkdirs(out);
    if (!st) st = write_grid(out, ds, theta, npmle_weights(w), G, d);
    if (!st) st = write_fit(out, &s, c->npmle_radius);
    if (!st) st = cfg_write_file(c, out);
    if (!st) report(&s, ds->n_users);
    npmle_free(w);
    free(theta);
    truthio_truth_free(t);
    return st;
}
