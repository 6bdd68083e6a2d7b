/* policyio.h — the file format of trained policies (EM-DPO output, MMRA
 * input), and exact policy evaluation on candidate pools.
 *
 * DIR/policies.txt is plain text, one item per line, numbers "%.17g": the
 * magic and version line "hetpref-policies 1", the architecture (d, layers,
 * hidden, activation), beta, the number of policies, their names and
 * weights, the parameter count, then each policy's parameters in the nn.h
 * flat layout, and "end". The format is specified for users, with an
 * example, in doc/formats.md ("Trained policies"); keep the two in step.
 *
 * A policy's distribution over a prompt's pool of candidates is
 * pi(y | p) = softmax_y f(x_y); the reference is pi_ref(y | p) =
 * softmax_y logp_ref_y over the same pool (uniform when logp_ref is 0).
 * Not here: training (dpo.h, emdpo.h). */
#ifndef HETPREF_POLICYIO_H
#define HETPREF_POLICYIO_H

#include <stddef.h>

#include "nn.h"

#define POLICYIO_MAX_NAME 64

typedef struct policy_set {
    nn_config net;
    double beta;
    size_t K;
    size_t n_params;               /* per policy */
    char (*names)[POLICYIO_MAX_NAME];  /* (K) */
    double *weights;               /* (K) */
    double *params;                /* (K, n_params) */
} policy_set;

/* Allocate a set of K policies of network net (params zeroed, names
 * "type1".., weights 1/K). NULL on failure, with *err = PREF_EINPUT (K = 0,
 * beta not finite, an invalid network) or PREF_ENOMEM; else *err = PREF_OK.
 * err may be NULL. */
policy_set *policy_set_alloc(const nn_config *net, double beta, size_t K,
                             int *err);
void policy_set_free(policy_set *s); /* NULL is a no-op */

/* Write DIR/policies.txt atomically. PREF_OK or PREF_EIO. */
int policyio_write(const policy_set *s, const char *dir);

/* Read DIR/policies.txt. PREF_OK and *out (caller frees), PREF_EINPUT with
 * "FILE:LINE: ..." on any malformed item (bad magic or version, unknown
 * activation, parameter count not matching the architecture, non-finite
 * number, repeated name, weights not summing to 1, truncated file), PREF_EIO
 * when it cannot be opened. */
int policyio_read(const char *dir, policy_set **out);

#endif
