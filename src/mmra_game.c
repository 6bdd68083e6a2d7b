/* mmra_game.c — labelled MMRA games and the policies -> pools -> value
 * matrix -> regret matrix pipeline (see mmra_game.h).
 *
 * It reads the two input files (through policyio.h and csvio.h) and checks
 * that they fit together; it does not read matrix files, parse flags, solve
 * the game or write anything. */
#include "mmra_game.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvio.h"
#include "data.h"
#include "err.h"
#include "fsutil.h"
#include "mmra.h"
#include "mmra_kl.h"
#include "policyio.h"
#include "pool.h"

void mmra_game_free(mmra_game *g)
{
    if (!g) return;
    if (g->types)
        for (size_t k = 0; k < g->K; k++) free(g->types[k]);
    if (g->policies)
        for (size_t j = 0; j < g->J; j++) free(g->policies[j]);
    free(g->types);
    free(g->policies);
    free(g->R);
    free(g->L);
    free(g->eta);
    free(g->off);
    free(g->logp);
    memset(g, 0, sizeof *g);
}

/* The current message again, with code PREF_EINPUT: a missing or unreadable
 * input file is the user's input error (exit 2), not a runtime failure.
 * The message is copied first: pref_set_error must not format its own
 * buffer into itself. prefix (may be NULL) is put in front. */
static int as_input_error(const char *prefix)
{
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", pref_last_error());
    if (prefix) return pref_set_error(PREF_EINPUT, "%s: %s", prefix, msg);
    return pref_set_error(PREF_EINPUT, "%s", msg);
}

/* Read dir/policies.txt into *ps and data_path into *ds and check that they
 * fit together (same features, no reserved policy name). ppath is
 * dir/policies.txt, for messages. On error the caller frees both. */
static int read_inputs(const char *dir, const char *ppath, const char *data_path,
                       policy_set **ps, data_set **ds)
{
    int st = policyio_read(dir, ps);
    if (st == PREF_EIO) st = as_input_error(NULL);
    /* Before the data is read and K^2 values computed. */
    if (!st) st = mmra_check_size((*ps)->K, (*ps)->K, ppath);
    if (!st && !fsutil_exists(data_path))
        st = pref_set_error(PREF_EINPUT, "%s: cannot open: no such file",
                            data_path);
    if (!st) {
        st = csvio_read(data_path, ds);
        if (st == PREF_EIO) st = as_input_error(NULL);
    }
    if (!st && (*ps)->net.d != (*ds)->d)
        st = pref_set_error(PREF_EINPUT, "%s:2: 'd': the policies take %zu "
                            "features but %s has %zu (x1..x%zu): policies and "
                            "data must have the same features", ppath,
                            (*ps)->net.d, data_path, (*ds)->d, (*ds)->d);
    for (size_t k = 0; !st && k < (*ps)->K; k++)
        if (strcmp((*ps)->names[k], MMRA_GAME_WORST) == 0)
            st = pref_set_error(PREF_EINPUT, "%s: policy name '%s' is reserved "
                                "(aggregators.csv uses it for the worst-type "
                                "row)", ppath, MMRA_GAME_WORST);
    return st;
}

/* K = J = ps->K, both name lists from the policies, eta their weights, L
 * allocated (not filled). */
static int game_from_set(const policy_set *ps, mmra_game *g)
{
    size_t K = ps->K;
    g->K = g->J = K;
    g->types = calloc(K, sizeof *g->types);
    g->policies = calloc(K, sizeof *g->policies);
    g->L = malloc(K * K * sizeof *g->L);
    g->eta = malloc(K * sizeof *g->eta);
    if (!g->types || !g->policies || !g->L || !g->eta)
        PREF_ERROR(PREF_ENOMEM, "out of memory");
    for (size_t k = 0; k < K; k++) {
        g->types[k] = strdup(ps->names[k]);
        g->policies[k] = strdup(ps->names[k]);
        if (!g->types[k] || !g->policies[k])
            PREF_ERROR(PREF_ENOMEM, "out of memory");
        g->eta[k] = ps->weights[k];
    }
    return PREF_OK;
}

/* The pools' offsets, the policies' log-probabilities on them and beta
 * into g (for the KL-exact objective). */
static int keep_pools(const pool_set *pools, const policy_set *ps, mmra_game *g)
{
    size_t n = pool_n_items(pools);
    g->n_prompts = pools->n_prompts;
    g->beta = ps->beta;
    g->off = malloc((pools->n_prompts + 1) * sizeof *g->off);
    g->logp = n > SIZE_MAX / sizeof(double) / ps->K ? NULL
                                                    : malloc(ps->K * n * sizeof *g->logp);
    if (!g->off || !g->logp)
        PREF_ERROR(PREF_ENOMEM, "out of memory (%zu policies x %zu items)", ps->K, n);
    memcpy(g->off, pools->off, (pools->n_prompts + 1) * sizeof *g->off);
    return mmra_kl_logprobs(pools, ps, g->logp);
}

int mmra_game_from_policies(const char *dir, const char *data_path,
                            mmra_game *g)
{
    policy_set *ps = NULL;
    data_set *ds = NULL;
    pool_set *pools = NULL;
    char ppath[4096];
    int st = fsutil_join(ppath, sizeof ppath, dir, "policies.txt");
    if (!st) st = read_inputs(dir, ppath, data_path, &ps, &ds);
    if (!st) {
        st = pool_from_data(ds, &pools);
        if (st == PREF_EINPUT) st = as_input_error(data_path);
    }
    if (!st) st = game_from_set(ps, g);
    if (!st) st = pool_value_matrix(pools, ps, g->L);
    if (!st) st = keep_pools(pools, ps, g);
    if (st) mmra_game_free(g);
    pool_free(pools);
    data_free(ds);
    policy_set_free(ps);
    return st;
}

int mmra_game_set_regret(mmra_game *g, const double *c)
{
    if (!g->L || g->K != g->J || g->K == 0)
        PREF_ERROR(PREF_EINPUT, "regret from values: needs a square value "
                   "matrix L (got %zu types, %zu policies%s)", g->K, g->J,
                   g->L ? "" : ", no L");
    double *R = g->R ? g->R : malloc(g->K * g->K * sizeof *R);
    if (!R) PREF_ERROR(PREF_ENOMEM, "out of memory");
    int st = mmra_regret_matrix(g->K, g->L, c, R);
    if (!g->R && st) free(R);
    else g->R = R;
    return st;
}
