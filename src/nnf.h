/* nnf.h — the policy network's forward and backward pass in single
 * precision, for mixed-precision training (`--precision single`).
 *
 * The same network as nn.h (layout of parameters, activations and scratch,
 * with float for double): a trainer converts its double parameters to float
 * once per step, runs a minibatch through nnf_forward / nnf_backward on
 * float features, and adds the float gradient into its double one; Adam, the
 * loss and every evaluation of a trained policy (E-step, log-likelihoods,
 * predictions) stay in double (nn.h). Products of layers with at least
 * 64 x 64 weights go through CBLAS sgemm/sgemv/sger, smaller ones and tanh
 * through vecopsf.h; softplus through libm's float functions.
 *
 * Nothing here allocates: every buffer is the caller's, sized by nn.h's
 * nn_num_params, nn_acts_size and nn_scratch_size (counted in floats).
 * The config must pass nn_config_check. */
#ifndef HETPREF_NNF_H
#define HETPREF_NNF_H

#include <stddef.h>

#include "nn.h"

/* f for n rows of X (n, d) in float: writes out[0..n) and acts. */
void nnf_forward(const nn_config *c, const float *params, const float *X,
                 size_t n, float *acts, float *out);

/* ACCUMULATES dL/dparams into grads from dL/df (dout, n); acts from
 * nnf_forward on the same X and params; scratch: nn_scratch_size floats. */
void nnf_backward(const nn_config *c, const float *params, const float *X,
                  size_t n, const float *acts, const float *dout, float *grads,
                  float *scratch);

#endif
