/* nn.h — the compact policy network f: R^d -> R, llm.c style.
 *
 * An MLP with `layers` hidden layers of width `hidden` and a smooth
 * activation, then a linear output unit: x -> h1 -> ... -> hL -> f(x).
 * layers = 0 is a linear score f(x) = w.x + b. All parameters live in ONE
 * contiguous buffer of nn_num_params(c) doubles, carved into named pointers
 * by nn_point_params; gradients and Adam moments use the same layout, so an
 * optimiser step is one flat loop. Layer l has W_l (in_l, out_l) row-major
 * and b_l (out_l); a batch X (n, d) goes forward as X W_1 + b_1 through
 * CBLAS dgemm (GSL's CBLAS interface) for layers of 64 x 64 weights or more,
 * through vectorised loops (vecops.h) below that.
 *
 * Forward stores every layer's output in a caller-provided activation buffer
 * (nn_acts_size doubles for n rows) so backward needs no recomputation;
 * backward ACCUMULATES into grads (call nn_zero_grad first) and uses a
 * caller-provided scratch buffer. Nothing here allocates after
 * nn_workspace_alloc. Not here: losses (dpo.h), optimisation (adam.h). */
#ifndef HETPREF_NN_H
#define HETPREF_NN_H

#include <stddef.h>

#include <gsl/gsl_rng.h>

#define NN_MAX_LAYERS 8

enum { NN_TANH = 0, NN_SOFTPLUS = 1 };

typedef struct nn_config {
    size_t d;        /* input features */
    size_t hidden;   /* width of each hidden layer (>= 1 when layers > 0) */
    size_t layers;   /* hidden layers, 0..NN_MAX_LAYERS */
    int act;         /* NN_TANH or NN_SOFTPLUS */
} nn_config;

/* Named views into a flat parameter (or gradient, or moment) buffer. */
typedef struct nn_params {
    double *W[NN_MAX_LAYERS + 1];  /* (in_l, out_l) row-major */
    double *b[NN_MAX_LAYERS + 1];  /* (out_l) */
} nn_params;

/* NULL when c is usable, else a message naming the bad field. */
const char *nn_config_check(const nn_config *c);

/* Parameters in all. */
size_t nn_num_params(const nn_config *c);

/* Carve buf (nn_num_params doubles) into named pointers. */
void nn_point_params(const nn_config *c, double *buf, nn_params *p);

/* Initialise: weights uniform in +-sqrt(6 / (in + out)) (Glorot), biases 0,
 * drawn from r in a fixed order. */
void nn_init_params(const nn_config *c, double *params, const gsl_rng *r);

/* Doubles of activation storage for a batch of n rows. */
size_t nn_acts_size(const nn_config *c, size_t n);

/* Doubles of backward scratch for a batch of n rows. */
size_t nn_scratch_size(const nn_config *c, size_t n);

/* f for n rows of X (n, d): writes out[0..n) and fills acts (for backward).
 * O(n * (d H + (L-1) H^2 + H)). */
void nn_forward(const nn_config *c, const double *params, const double *X,
                size_t n, double *acts, double *out);

/* Given dL/df for each row (dout, n), ACCUMULATE dL/dparams into grads
 * (same layout as params). acts must come from nn_forward on the same X
 * and params. scratch: nn_scratch_size(c, n) doubles. */
void nn_backward(const nn_config *c, const double *params, const double *X,
                 size_t n, const double *acts, const double *dout,
                 double *grads, double *scratch);

/* The tanh the network uses (vecops_tanh1: one polynomial expm1; relative
 * error < 1e-15 against libm's tanh, tested), bit for bit the value of the
 * network's vectorised tanh. Exposed for tests and for evaluating f
 * elsewhere. */
double nn_tanh(double z);

/* grads[0..nn_num_params) = 0. */
void nn_zero_grad(const nn_config *c, double *grads);

#endif
