/* mmra_game.h — a labelled min–max regret game and the pipeline
 * that builds one from trained policies.
 *
 * A game is K named types, J named policies and the regret matrix R (K, J)
 * that mmra.h solves, with what it came from when known: the value matrix
 * L (K, K; then J = K and policy i is type i's own policy) and the type
 * weights eta the policies were fitted with. The pipeline is
 *
 *     policies.txt (policyio.h) + preference data with prompts (csvio.h)
 *       -> one candidate pool per prompt (pool_from_data)
 *       -> L, exact over the pools (pool_value_matrix)
 *       -> R_ij = c_i (L_ii - L_ij) (mmra_regret_matrix)
 *
 * in two calls, mmra_game_from_policies (up to L) and mmra_game_set_regret
 * (L -> R with the regret weights c), so a caller can check c against K in
 * between.
 *
 * Not here: solving the game and the aggregators (mmra.h), the result
 * tables (mmraout.h), reading a matrix file, command-line flags (the
 * `mmra` command, cli_mmra.c). */
#ifndef HETPREF_MMRA_GAME_H
#define HETPREF_MMRA_GAME_H

#include <stddef.h>

/* The type name reserved for the worst-type row of aggregators.csv
 * (mmraout.h): no type or policy may carry it. */
#define MMRA_GAME_WORST "worst"

/* A labelled game. The caller owns the struct (usually on the stack, zeroed
 * with memset or = {0}); every pointer member is owned by it and released
 * by mmra_game_free. */
typedef struct mmra_game {
    size_t K, J;
    char **types;     /* (K) NUL-terminated names; an entry may be NULL
                         only while a reader is filling the game */
    char **policies;  /* (J) NUL-terminated names, likewise */
    double *R;        /* (K, J) regrets, row-major; NULL until known */
    double *L;        /* (K, K) values (J = K), or NULL when the game was
                         given as a regret matrix */
    double *eta;      /* (K) the policies' type weights, or NULL */
    /* What the KL-exact objective (mmra_kl.h) needs, known only for a game
     * built from policies (else n_prompts = 0 and both pointers NULL): */
    size_t n_prompts; /* candidate pools, one per prompt */
    size_t *off;      /* (n_prompts + 1) pool p is items [off[p], off[p+1]) */
    double *logp;     /* (K, off[n_prompts]) log pi_k on every pool item */
    double beta;      /* the policies' KL temperature */
} mmra_game;

/* Free every member of g and zero it (K = J = 0, pointers NULL), so it can
 * be filled again. Entries of types/policies up to K/J may be NULL. g NULL
 * is a no-op. */
void mmra_game_free(mmra_game *g);

/* Build the game of the trained policies in dir/policies.txt evaluated on
 * the candidate pools of the preference data at data_path: K = J = the
 * number of policies, types and policies both named after them, eta their
 * weights, L their exact value matrix over the pools, and the pools'
 * offsets, every policy's log-probabilities on them and beta (for
 * mmra_kl.h); R stays NULL (call mmra_game_set_regret). g must be zeroed on entry.
 *
 * Returns PREF_OK, or on error leaves g zeroed and returns
 *   PREF_EINPUT  the user's inputs are wrong or missing: policies.txt or
 *                the data cannot be opened or is malformed, the feature
 *                counts differ, a policy is named MMRA_GAME_WORST, the data
 *                has no prompts or an item with two feature vectors in one
 *                prompt (messages name the file, and the line when known);
 *                an unreadable file counts as the user's input error too;
 *   PREF_ENOMEM, or PREF_ENUM (a non-finite network output).
 * Time: reading both files, then O(K n_items forward + K^2 n_items)
 * (pool_value_matrix). */
int mmra_game_from_policies(const char *dir, const char *data_path,
                            mmra_game *g);

/* The regrets R_ij = c_i (L_ii - L_ij) from g->L (requires g->L and
 * K = J >= 1) with regret weights c (K, may be NULL: all 1), into g->R
 * (allocated here when NULL). Returns PREF_OK, PREF_EINPUT (no L, not
 * square, a non-finite entry of L, a weight not finite and positive; R
 * then untouched) or PREF_ENOMEM. O(K^2). */
int mmra_game_set_regret(mmra_game *g, const double *c);

#endif
