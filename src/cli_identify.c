/* cli_identify.c — `hetpref identify` and `hetpref describe` (see
 * cli_identify.h). */
#include "cli_identify.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "cfgmap.h"
#include "clicommon.h"
#include "cliutil.h"
#include "cli_prov.h"
#include "cli_npmle.h"
#include "csvio.h"
#include "data.h"
#include "emdpo.h"
#include "err.h"
#include "eval.h"
#include "fitdiag.h"
#include "fitout.h"
#include "fsutil.h"
#include "identify_tables.h"
#include "mix.h"
#include "policyio.h"
#include "progress.h"
#include "rngs.h"
#include "truthio.h"

/* ---- identify ------------------------------------------------------------ */

/* config.ini of identify keeps the sections it reads, less the keys it
 * replaces (identify_key_scope). */
static int identify_keep_key(int key, void *ctx)
{
    (void)ctx;
    static const char *const used[] = {"run.", "population.", "compare.",
                                       "design.", "identify."};
    const char *name = cfg_key_name(key);
    for (size_t k = 0; k < sizeof used / sizeof *used; k++)
        if (!strncmp(name, used[k], strlen(used[k])))
            return identify_key_scope(name) == NULL;
    return 0;
}

int cli_identify(int argc, char **argv)
{
    if (cli_has_help(argc, argv)) {
        printf("usage: hetpref identify CONFIG [-o DIR] [--seed S] [--set section.key=value]...\n\n"
               "Writes DIR/equivalence.csv ([population] vs [compare]: the largest and mean\n"
               "absolute difference of answer probabilities for pair, top1_of_m, full_m and\n"
               "pairs_T2 over identify.designs random query designs), DIR/fisher.csv (the\n"
               "eigenvalues of the expected per-user Fisher information of [population],\n"
               "exact over outcomes, averaged over identify.fisher_designs designs, for pair,\n"
               "top1_of_m, full_m and each T in identify.T; mc_se = batch-means Monte Carlo\n"
               "standard error) and DIR/config.ini. DIR defaults to results/<config name>.\n"
               "m is design.m (default 3: top1_of_3, full_3). These kinds and identify.T\n"
               "replace design.answer, r, T, users and budget: --set of any of them is an\n"
               "error, and so is a config with [sweep] lists (use hetpref sweep).\n"
               "       hetpref identify --config DIR/config.ini [-o OUT]\n"
               "reruns the command recorded in DIR/config.ini ([provenance]: command line,\n"
               "CONFIG's size and SHA-256, version) into OUT (default DIR), byte for byte;\n"
               "a changed CONFIG is an error naming it and both hashes.\n");
        return 0;
    }
    int rerun = cli_rerun("identify", argc, argv, cli_identify);
    if (rerun >= 0) return rerun;
    cli_common_opts o;
    int rc = cli_parse_common("identify", argc, argv, &o, 0);
    if (rc >= 0) return rc;
    for (int i = 0; i < o.n_sets; i++) {
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)strcspn(o.sets[i], "="), o.sets[i]);
        const char *why = identify_key_scope(key);
        if (why) {
            char msg[512];
            snprintf(msg, sizeof msg, "--set %s does not apply: %s", key, why);
            return cli_usage_error("identify", "%s", msg);
        }
    }
    char outbuf[4096];
    if (!o.out) cli_default_out(o.config, outbuf, sizeof outbuf);
    const char *out = o.out ? o.out : outbuf;
    cfg *c = malloc(sizeof *c);
    if (!c) return cli_fail(pref_set_error(PREF_ENOMEM, "out of memory"));
    int st = cli_load_cfg(&o, c);
    if (!st) st = cli_refuse_sweep_lists(c, "identify");
    static const char *const owned[] = {"equivalence.csv", "fisher.csv",
                                        "config.ini", NULL};
    fsutil_stage stage = {.dir = ""};
    if (!st) st = fsutil_stage_begin(&stage, out);
    if (!st) st = identify_run(c, stage.dir);
    /* Replaces the full dump of identify_run: the keys that apply, and the
     * provenance (the config file is the input). */
    const char *const inputs[] = {o.config};
    if (!st) st = cli_write_config(c, argc, argv, inputs, 1, identify_keep_key,
                                   NULL, stage.dir);
    if (!st) st = fsutil_stage_commit(&stage, owned);
    fsutil_stage_abort(&stage);
    free(c);
    return st ? cli_fail(st) : 0;
}

/* ---- describe ----------------------------------------------------------- */

int cli_describe(int argc, char **argv)
{
    if (cli_has_help(argc, argv)) {
        printf("usage: hetpref describe --data CSV\n\nReads and validates a "
               "preference file (long CSV, one row per candidate:\nuser,query,item,rank, "
               "the features (every other column, e.g. price or x1..xd) and\noptionally "
               "prompt,logp_ref,type) and prints its shape:\nusers, "
               "queries, answers by kind (m, r), features (feature_K,NAME for\nnamed "
               "columns), optional columns.\n");
        return 0;
    }
    const char *data = NULL;
    for (int i = 2; i < argc; i++) {
        int missing = 0;
        const char *v = cli_opt_value(argc, argv, &i, "--data", &missing);
        if (v) data = v;
        else if (missing) return cli_usage_error("describe", "--data needs a value%s", "");
        else return cli_usage_error("describe", "unknown argument '%s'", argv[i]);
    }
    if (!data) return cli_usage_error("describe", "missing --data CSV%s", "");
    data_set *ds = NULL;
    int st = cli_read_data(data, &ds);
    if (st) return cli_fail(st);
    printf("users,%zu\nqueries,%zu\ncandidates,%zu\nfeatures,%zu\n", ds->n_users,
           ds->n_queries, ds->n_cands, ds->d);
    for (size_t k = 0; ds->features && k < ds->d; k++) {
        char nb[24];
        printf("feature_%zu,", k + 1);
        csvio_put_text(stdout, data_feature_name(ds, k, nb, sizeof nb));
        putchar('\n');
    }
    /* Histogram of (m, r) kinds. */
    size_t kinds[16][3] = {{0}}, nk = 0, other = 0;
    for (size_t q = 0; q < ds->n_queries; q++) {
        size_t m = data_m(ds, q), r = ds->q_r[q], k;
        for (k = 0; k < nk; k++)
            if (kinds[k][0] == m && kinds[k][1] == r) break;
        if (k == nk) {
            if (nk == 16) { other++; continue; }
            kinds[nk][0] = m;
            kinds[nk][1] = r;
            kinds[nk++][2] = 0;
        }
        kinds[k][2]++;
    }
    for (size_t k = 0; k < nk; k++)
        printf("answers_m%zu_r%zu,%zu\n", kinds[k][0], kinds[k][1], kinds[k][2]);
    if (other) printf("answers_other,%zu\n", other);
    printf("has_type,%d\nhas_prompt,%d\nhas_logp_ref,%d\n", ds->user_type != NULL,
           ds->q_prompt != NULL, ds->logp_ref != NULL);
    data_free(ds);
    return 0;
}
