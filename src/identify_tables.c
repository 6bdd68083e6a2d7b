/* identify_tables.c — the `hetpref identify` command over library calls:
 * validate the config, compute the equivalence and Fisher tables
 * (identify.c does the science), write them as CSV (see identify_tables.h).
 * Not here: flag parsing, printing. */
#include "identify_tables.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "csvio.h"
#include "err.h"
#include "fsutil.h"
#include "rngs.h"
#include "sim.h"

/* Seed streams (the `cell` argument of rngs_seed). */
#define STREAM_POOLS 0x706f6f6cULL   /* "pool" */
#define STREAM_EQUIV 0x65717569ULL   /* "equi" + kind */
#define STREAM_FISHER 0x66697368ULL  /* "fish" + kind; replicate = T */

const identify_kind identify_equiv_kinds[IDENTIFY_N_EQUIV_KINDS] = {
    {"pair", 2, 1, 1},
    {"top1_of_", 0, 1, 1},
    {"full_", 0, 0, 1},
    {"pairs_T2", 2, 1, 2},
};

const identify_kind identify_fisher_kinds[IDENTIFY_N_FISHER_KINDS] = {
    {"pair", 2, 1, 0},
    {"top1_of_", 0, 1, 0},
    {"full_", 0, 0, 0},
};

void identify_kind_at(const identify_kind *e, size_t m, identify_kind *out,
                      char *name, size_t n)
{
    *out = *e;
    if (e->m == 0) {
        out->m = m;
        snprintf(name, n, "%s%zu", e->name, m);
    } else {
        snprintf(name, n, "%s", e->name);
    }
    if (e->r == 0) out->r = out->m - 1;
    out->name = name;
}

const char *identify_key_scope(const char *key)
{
    static const char *const unused[] = {"design.answer", "design.r",
                                         "design.users", "design.budget"};
    for (size_t i = 0; i < sizeof unused / sizeof unused[0]; i++)
        if (!strcmp(key, unused[i]))
            return "identify computes its own answer kinds (pair, top-1 of "
                   "design.m, full ranking of design.m, two pairs) exactly, "
                   "with no simulated users";
    if (!strcmp(key, "design.T"))
        return "identify takes the answers per user from identify.T";
    return NULL;
}

/* ---- validate ------------------------------------------------------------ */

int identify_tables_check(const cfg *c, identify_fisher_params *fp)
{
    const cfg_list *Tl = &c->identify_T;
    if (Tl->n == 0)
        CFG_ERROR(c, CFG_KEY_identify_T, "needs at least one value");
    for (size_t i = 0; i < Tl->n; i++) {
        double v = Tl->v[i];
        if (!(v >= 1 && v <= 1000000 && v == floor(v)))
            CFG_ERROR(c, CFG_KEY_identify_T, "value %.17g is not a "
                      "positive whole number of answers", v);
    }
    identify_kind e;
    char name[32];
    for (size_t k = 0; k < IDENTIFY_N_EQUIV_KINDS; k++) {
        identify_kind_at(&identify_equiv_kinds[k], (size_t)c->design_m, &e,
                         name, sizeof name);
        PREF_TRY(identify_check(c, e.m, e.r, e.T, CFG_KEY_identify_designs));
    }
    for (size_t k = 0; k < IDENTIFY_N_FISHER_KINDS; k++)
        for (size_t i = 0; i < Tl->n; i++) {
            identify_kind_at(&identify_fisher_kinds[k], (size_t)c->design_m,
                             &e, name, sizeof name);
            PREF_TRY(identify_check(c, e.m, e.r, (size_t)Tl->v[i],
                                    CFG_KEY_identify_T));
        }
    identify_fisher_params_init(fp); /* batches: the default, 10 */
    fp->designs = (size_t)c->identify_fisher_designs;
    if (fp->batches > fp->designs) fp->batches = fp->designs;
    const char *why = identify_fisher_params_check(fp);
    if (why) CFG_ERROR(c, CFG_KEY_identify_fisher_designs, "%s", why);
    return PREF_OK;
}

/* ---- compute ------------------------------------------------------------- */

void identify_tables_free(identify_tables *t)
{
    if (!t) return;
    free(t->T);
    free(t->eval);
    free(t->eval_se);
    free(t);
}

/* Storage for the tables of c with parameter dimension dim; NULL when out
 * of memory. */
static identify_tables *tables_alloc(const cfg *c,
                                     const identify_fisher_params *fp,
                                     size_t dim)
{
    identify_tables *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->m = (size_t)c->design_m;
    t->designs = c->identify_designs;
    t->fisher_designs = fp->designs;
    t->nT = c->identify_T.n;
    t->dim = dim;
    size_t nf = IDENTIFY_N_FISHER_KINDS * t->nT;
    t->T = malloc(t->nT * sizeof(size_t));
    t->eval = malloc(nf * dim * sizeof(double));
    t->eval_se = malloc(nf * dim * sizeof(double));
    if (!t->T || !t->eval || !t->eval_se) {
        identify_tables_free(t);
        return NULL;
    }
    for (size_t i = 0; i < t->nT; i++) t->T[i] = (size_t)c->identify_T.v[i];
    return t;
}

/* g with the answer kind (m, r) and T answers per user; shares g's pools. */
static sim_design design_of_kind(const sim_design *g, const identify_kind *e,
                                 size_t T)
{
    sim_design gk = *g;
    gk.m = e->m;
    gk.r = e->r;
    gk.T = T;
    return gk;
}

/* The equivalence table: rng reseeded per kind. */
static int equiv_table(uint64_t master, const sim_population *pop,
                       const sim_population *cmp, const sim_design *g,
                       gsl_rng *rng, identify_tables *t)
{
    for (size_t k = 0; k < IDENTIFY_N_EQUIV_KINDS; k++) {
        identify_kind e;
        char name[32];
        identify_kind_at(&identify_equiv_kinds[k], t->m, &e, name, sizeof name);
        sim_design gk = design_of_kind(g, &e, e.T);
        gsl_rng_set(rng, rngs_seed(master, STREAM_EQUIV + k, 0));
        PREF_TRY(identify_equivalence(pop, cmp, &gk, e.T, (size_t)t->designs,
                                      rng, &t->equiv[k][0], &t->equiv[k][1]));
    }
    return PREF_OK;
}

/* The Fisher table: one identify_fisher per (kind, T). */
static int fisher_table(uint64_t master, const sim_population *pop,
                        const sim_design *g, const identify_fisher_params *fp,
                        identify_tables *t)
{
    int err;
    identify_fisher_result *fr = identify_fisher_result_alloc(pop->K, pop->d, &err);
    if (!fr) return err;
    size_t D = t->dim, nT = t->nT;
    int st = PREF_OK;
    for (size_t k = 0; !st && k < IDENTIFY_N_FISHER_KINDS; k++)
        for (size_t i = 0; !st && i < nT; i++) {
            size_t T = t->T[i];
            identify_kind e;
            char name[32];
            identify_kind_at(&identify_fisher_kinds[k], t->m, &e, name,
                             sizeof name);
            sim_design gk = design_of_kind(g, &e, T);
            st = identify_fisher(pop, &gk, T,
                                 rngs_seed(master, STREAM_FISHER + k, T), fp,
                                 fr);
            if (!st) {
                memcpy(t->eval + (k * nT + i) * D, fr->eval,
                       D * sizeof(double));
                memcpy(t->eval_se + (k * nT + i) * D, fr->eval_se,
                       D * sizeof(double));
            }
        }
    identify_fisher_result_free(fr);
    return st;
}

int identify_tables_compute(const cfg *c, const identify_fisher_params *fp,
                            identify_tables **out)
{
    *out = NULL;
    uint64_t master = (uint64_t)c->run_seed;
    sim_population *pop = NULL, *cmp = NULL;
    sim_design *g = NULL;
    identify_tables *t = NULL;
    gsl_rng *rng = rngs_alloc(rngs_seed(master, STREAM_POOLS, 0));
    int st = rng ? PREF_OK : pref_set_error(PREF_ENOMEM, "out of memory");
    if (!st) st = sim_population_from_cfg(c, &pop);
    if (!st) st = sim_population_compare_from_cfg(c, &cmp);
    if (!st) st = sim_design_from_cfg(c, rng, &g);
    if (!st) {
        t = tables_alloc(c, fp, identify_dim(pop->K, pop->d));
        if (!t) st = pref_set_error(PREF_ENOMEM, "out of memory");
    }
    if (!st) st = equiv_table(master, pop, cmp, g, rng, t);
    if (!st) st = fisher_table(master, pop, g, fp, t);
    gsl_rng_free(rng);
    sim_population_free(pop);
    sim_population_free(cmp);
    sim_design_free(g);
    if (st) identify_tables_free(t);
    else *out = t;
    return st;
}

/* ---- write --------------------------------------------------------------- */

static void equiv_rows(FILE *f, const identify_tables *t)
{
    fputs("answer_kind,designs,max_abs_diff,mean_abs_diff\n", f);
    for (size_t k = 0; k < IDENTIFY_N_EQUIV_KINDS; k++) {
        identify_kind e;
        char name[32];
        identify_kind_at(&identify_equiv_kinds[k], t->m, &e, name, sizeof name);
        fprintf(f, "%s,%ld,", e.name, t->designs);
        csvio_put_num(f, t->equiv[k][0]);
        fputc(',', f);
        csvio_put_num(f, t->equiv[k][1]);
        fputc('\n', f);
    }
}

static void fisher_rows(FILE *f, const identify_tables *t)
{
    size_t D = t->dim, nT = t->nT;
    fputs("answer_kind,T,designs,index,eigenvalue,mc_se\n", f);
    for (size_t k = 0; k < IDENTIFY_N_FISHER_KINDS; k++) {
        identify_kind e;
        char name[32];
        identify_kind_at(&identify_fisher_kinds[k], t->m, &e, name, sizeof name);
        for (size_t i = 0; i < nT; i++)
            for (size_t j = 0; j < D; j++) {
                fprintf(f, "%s,%zu,%zu,%zu,", e.name,
                        t->T[i], t->fisher_designs, j + 1);
                csvio_put_num(f, t->eval[(k * nT + i) * D + j]);
                fputc(',', f);
                csvio_put_num(f, t->eval_se[(k * nT + i) * D + j]);
                fputc('\n', f);
            }
    }
}

/* dir/name, written whole by rows or not at all. */
static int write_file(const char *dir, const char *name,
                      void (*rows)(FILE *, const identify_tables *),
                      const identify_tables *t)
{
    char path[4096];
    fsutil_file o;
    PREF_TRY(fsutil_join(path, sizeof path, dir, name));
    PREF_TRY(fsutil_open(&o, path));
    rows(o.f, t);
    return fsutil_commit(&o);
}

int identify_tables_write(const identify_tables *t, const char *dir)
{
    PREF_TRY(fsutil_mkdirs(dir));
    PREF_TRY(write_file(dir, "equivalence.csv", equiv_rows, t));
    return write_file(dir, "fisher.csv", fisher_rows, t);
}

/* ---- the command --------------------------------------------------------- */

int identify_run(const cfg *c, const char *out_dir)
{
    identify_fisher_params fp;
    PREF_TRY(identify_tables_check(c, &fp));
    identify_tables *t = NULL;
    int st = identify_tables_compute(c, &fp, &t);
    if (!st) st = identify_tables_write(t, out_dir);
    if (!st) st = cfg_write_file(c, out_dir);
    identify_tables_free(t);
    return st;
}
