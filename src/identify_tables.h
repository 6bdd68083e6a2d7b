/* identify_tables.h — the two tables of `hetpref identify`: observational
 * equivalence of [population] and [compare] per answer kind, and the Fisher
 * spectrum of [population] per answer kind and T.
 *
 * What it does. identify_tables_check validates a configuration for the
 * command, identify_tables_compute fills an identify_tables from library
 * calls (identify_equivalence, identify_fisher), identify_tables_write writes
 * it as CSV, and identify_run is the command body: check, compute, write.
 * Seeds: pools from rngs_seed(run.seed, stream, 0); each (table, kind, T)
 * has its own stream, so the tables do not depend on the thread count.
 *
 * Deliberately not here: the science (identify.c), flag parsing and printing
 * (the CLI prints pref_last_error()). */
#ifndef HETPREF_IDENTIFY_TABLES_H
#define HETPREF_IDENTIFY_TABLES_H

#include <stddef.h>

#include "cfg.h"
#include "identify.h"

/* The answer kinds of the tables. m = 0 stands for design.m (the kind's
 * name is then a prefix to which m is appended: "top1_of_" + "4"), r = 0
 * for a full ranking (m - 1). */
typedef struct identify_kind {
    const char *name;   /* "pair", "top1_of_", "full_", "pairs_T2" */
    size_t m, r, T;     /* T = 0: taken from identify.T (Fisher table) */
} identify_kind;

#define IDENTIFY_N_EQUIV_KINDS 4
#define IDENTIFY_N_FISHER_KINDS 3
/* pair (2,1,1), top1_of_m (m,1,1), full_m (m,m-1,1), pairs_T2 (2,1,2),
 * m = design.m (default 3). */
extern const identify_kind identify_equiv_kinds[IDENTIFY_N_EQUIV_KINDS];
/* pair (2,1), top1_of_m (m,1), full_m (m,m-1); T from identify.T. */
extern const identify_kind identify_fisher_kinds[IDENTIFY_N_FISHER_KINDS];

/* Kind e with design.m = m filled in: *out gets m and r, and its name
 * points to name (n bytes: "top1_of_4"). */
void identify_kind_at(const identify_kind *e, size_t m, identify_kind *out,
                      char *name, size_t n);

/* Why config key `key` (section.key), given on the command line, does not
 * apply to identify, or NULL when it does: the answer kinds are the
 * tables' own, so design.answer, design.r, design.T (identify.T sets the
 * answers per user), design.users and design.budget are not used. */
const char *identify_key_scope(const char *key);

typedef struct identify_tables {
    size_t m;               /* design.m: candidates of the m-kinds */
    long designs;           /* identify.designs (equivalence table) */
    size_t fisher_designs;  /* identify.fisher_designs */
    size_t nT;              /* entries of identify.T */
    size_t *T;              /* (nT) answers per user of the Fisher rows */
    size_t dim;             /* identify_dim of [population] */
    /* max_abs_diff and mean_abs_diff per identify_equiv_kinds entry */
    double equiv[IDENTIFY_N_EQUIV_KINDS][2];
    double *eval;           /* (N_FISHER_KINDS, nT, dim) ascending */
    double *eval_se;        /* (N_FISHER_KINDS, nT, dim) batch-means SE */
} identify_tables;

/* Check that c suits the command: identify.T holds whole numbers, every
 * kind passes identify_check, identify.fisher_designs makes valid Fisher
 * parameters. On success *fp holds those parameters (batches = min(designs,
 * the default 10)). Returns PREF_OK or PREF_EINPUT ("FILE:LINE: [section] key: why"). */
int identify_tables_check(const cfg *c, identify_fisher_params *fp);

/* Compute both tables for c (already checked, fp from identify_tables_check).
 * On PREF_OK *out is a new identify_tables owned by the caller (free with
 * identify_tables_free); otherwise *out is NULL and the code is
 * PREF_EINPUT, PREF_ENOMEM or PREF_ENUM. Nothing is written. */
int identify_tables_compute(const cfg *c, const identify_fisher_params *fp,
                            identify_tables **out);

/* NULL is a no-op. */
void identify_tables_free(identify_tables *t);

/* Write t into dir (created if needed):
 *   dir/equivalence.csv  answer_kind,designs,max_abs_diff,mean_abs_diff
 *   dir/fisher.csv       answer_kind,T,designs,index,eigenvalue,mc_se
 *                        (index 1 = smallest eigenvalue)
 * each whole (fsutil) or not at all. PREF_OK, PREF_EINPUT (path too long) or
 * PREF_EIO. */
int identify_tables_write(const identify_tables *t, const char *dir);

/* `hetpref identify CONFIG -o DIR`: identify_tables_check, _compute, _write
 * into out_dir, then DIR/config.ini (the resolved configuration).
 * Design features follow [design] (law, scale, pools, d, and m for the
 * top-1 and full-ranking kinds); r and T come from the kind. Everything is validated and computed before anything is
 * written. Returns PREF_OK, PREF_EINPUT (naming the config key),
 * PREF_ENOMEM, PREF_ENUM or PREF_EIO. */
int identify_run(const cfg *c, const char *out_dir);

#endif
