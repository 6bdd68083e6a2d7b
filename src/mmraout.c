/* mmraout.c — the `mmra` result tables (see mmraout.h). Writes only: the
 * numbers come solved. */
#include "mmraout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvio.h"
#include "err.h"
#include "fsutil.h"

enum { OUT_WEIGHTS, OUT_REGRETS, OUT_SUMMARY, OUT_DUALS, OUT_AGGS,
       OUT_AGG_WEIGHTS, N_OUT };

static const char *const out_names[N_OUT] = {
    "weights.csv", "regrets.csv", "summary.csv", "duals.csv",
    "aggregators.csv", "aggregator_weights.csv"};

/* The aggregator's name: "single:<policy>" or the kind's name. */
static void put_agg(FILE *f, const mmra_game *g, const mmra_aggs *a, size_t i)
{
    if (a->kind[i] == MMRA_AGG_SINGLE) {
        const char *p = g->policies[a->policy[i]];
        size_t n = strlen(p) + 8;
        char *s = malloc(n);
        if (s) {
            snprintf(s, n, "single:%s", p);
            csvio_put_text(f, s);
            free(s);
        } else {
            fputs("single:", f);
            csvio_put_text(f, p);
        }
    } else {
        csvio_put_text(f, mmra_agg_name(a->kind[i]));
    }
}

/* header, then one "name,value" row per i < n. */
static void put_named(FILE *f, const char *header, char *const *names,
                      const double *v, size_t n)
{
    fputs(header, f);
    for (size_t i = 0; i < n; i++) {
        csvio_put_text(f, names[i]);
        fputc(',', f);
        csvio_put_num(f, v[i]);
        fputc('\n', f);
    }
}

/* aggregators.csv: each aggregator's regret per type, then its worst;
 * then the KL-exact mixture's rows when kl is not NULL. */
static void put_aggregators(FILE *f, const mmra_game *g, const mmra_aggs *a,
                            const mmra_kl_result *kl)
{
    fputs("aggregator,type,regret\n", f);
    for (size_t i = 0; i < a->n + !!kl; i++) {
        for (size_t k = 0; k <= g->K; k++) {
            if (i < a->n) put_agg(f, g, a, i);
            else fputs(MMRAOUT_KL_NAME, f);
            fputc(',', f);
            csvio_put_text(f, k < g->K ? g->types[k] : MMRA_GAME_WORST);
            fputc(',', f);
            if (i < a->n)
                csvio_put_num(f, k < g->K ? a->regret[i * g->K + k] : a->worst[i]);
            else
                csvio_put_num(f, k < g->K ? kl->regret[k] : kl->worst);
            fputc('\n', f);
        }
    }
}

/* aggregator_weights.csv: each aggregator's mixture. */
static void put_aggregator_weights(FILE *f, const mmra_game *g,
                                   const mmra_aggs *a, const mmra_kl_result *kl)
{
    fputs("aggregator,policy,weight\n", f);
    for (size_t i = 0; i < a->n + !!kl; i++)
        for (size_t j = 0; j < g->J; j++) {
            if (i < a->n) put_agg(f, g, a, i);
            else fputs(MMRAOUT_KL_NAME, f);
            fputc(',', f);
            csvio_put_text(f, g->policies[j]);
            fputc(',', f);
            csvio_put_num(f, i < a->n ? a->w[i * g->J + j] : kl->w[j]);
            fputc('\n', f);
        }
}

static int mmraout_write_any(const char *dir, const mmra_game *g, int solver,
                             const mmra_result *res, const mmra_kl_result *kl,
                             const mmra_aggs *a);

/* summary.csv of a KL-exact solve. */
static void put_kl_summary(FILE *f, const mmra_kl_result *kl)
{
    fputs("objective,worst_regret,lower_bound,rounds,relative_gap,converged,"
          "lp_iterations\nkl", f);
    double gap = kl->worst > 0 ? (kl->worst - kl->lower) / kl->worst
                               : kl->worst - kl->lower;
    double q[2] = {kl->worst, kl->lower};
    csvio_put_nums(f, q, 2);
    fprintf(f, ",%zu,", kl->rounds);
    csvio_put_num(f, gap);
    fprintf(f, ",%d,%zu\n", kl->converged, kl->lp_iterations);
}

/* Every table into its opened file o[OUT_*]: the linear solve res, or the
 * KL-exact one when kl is not NULL. */
static void put_tables(fsutil_file *o, const mmra_game *g, int solver,
                       const mmra_result *res, const mmra_kl_result *kl,
                       const mmra_aggs *a)
{
    put_named(o[OUT_WEIGHTS].f, "policy,weight\n", g->policies,
              kl ? kl->w : res->w, g->J);
    put_named(o[OUT_REGRETS].f, "type,regret\n", g->types,
              kl ? kl->regret : res->regret, g->K);
    put_named(o[OUT_DUALS].f, "type,dual\n", g->types, kl ? kl->dual : res->dual,
              g->K);
    FILE *f = o[OUT_SUMMARY].f;
    if (kl) {
        put_kl_summary(f, kl);
    } else {
        fprintf(f, "solver,worst_regret,iterations\n%s,", mmra_solver_name(solver));
        csvio_put_num(f, res->worst);
        fprintf(f, ",%zu\n", res->iterations);
    }
    put_aggregators(o[OUT_AGGS].f, g, a, kl);
    put_aggregator_weights(o[OUT_AGG_WEIGHTS].f, g, a, kl);
}

int mmraout_write(const char *dir, const mmra_game *g, int solver,
                  const mmra_result *res, const mmra_aggs *a)
{
    return mmraout_write_any(dir, g, solver, res, NULL, a);
}

int mmraout_write_kl(const char *dir, const mmra_game *g,
                     const mmra_kl_result *kl, const mmra_aggs *a)
{
    return mmraout_write_any(dir, g, MMRA_LP, NULL, kl, a);
}

/* mmraout_write or mmraout_write_kl. */
static int mmraout_write_any(const char *dir, const mmra_game *g, int solver,
                             const mmra_result *res, const mmra_kl_result *kl,
                             const mmra_aggs *a)
{
    fsutil_file o[N_OUT];
    int opened = 0, st = PREF_OK;
    for (; opened < N_OUT && !st; opened++) {
        char path[4096];
        st = fsutil_join(path, sizeof path, dir, out_names[opened]);
        if (!st) st = fsutil_open(&o[opened], path);
        if (st) break;
    }
    if (!st) put_tables(o, g, solver, res, kl, a);
    /* Commit only when every table was opened and written. */
    for (int i = 0; i < N_OUT && !st; i++)
        if (ferror(o[i].f))
            st = pref_set_error(PREF_EIO, "%s: write failed", o[i].path);
    int i = 0;
    for (; i < opened && !st; i++) st = fsutil_commit(&o[i]);
    for (; i < opened; i++) fsutil_abort(&o[i]);
    return st;
}
