/* vecopsf.h — single-precision kernels of the policy network's training
 * step (nnf.h): tanh, its derivative, and the dense products of small
 * layers, on float arrays.
 *
 * The float counterparts of vecops.h's network kernels, for
 * `--precision single` (mixed precision: parameters, Adam and the loss stay
 * in double; only a minibatch's forward and backward pass run in float). The
 * same discipline as vecops.c: built for three x86-64 levels at once
 * (baseline SSE2, x86-64-v3, x86-64-v4), loops across the contiguous output
 * index, no sum reordered and no contraction into fused multiply-adds, so
 * every level gives the same bits. Eight floats per lane block: one AVX2
 * register.
 *
 * Every function writes only its outputs; none allocates, and none accepts
 * NULL arrays except where stated. Shapes are row-major (rows, columns). */
#ifndef HETPREF_VECOPSF_H
#define HETPREF_VECOPSF_H

#include <stddef.h>

/* tanh(z) in float: relative error below 1e-6 against double tanh (tested;
 * about 10 float roundings after a polynomial whose truncation error is
 * below 2e-8). |z| > 9 gives +-1 (1 - tanh(9) < 3.1e-8, below half a float
 * ulp of 1); NaN propagates. */
float vecopsf_tanh1(float z);

/* y[i] = vecopsf_tanh1(z[i]) for i < n; y may alias z. */
void vecopsf_tanh(float *y, const float *z, size_t n);

/* dz[i] = da[i] * (1 - a[i]^2): tanh' from the stored output a = tanh(z). */
void vecopsf_tanh_grad(float *dz, const float *da, const float *a, size_t n);

/* Y (n, out) = X (n, in) W (in, out) + b (out); each entry b[j] + the
 * products summed over k ascending. */
void vecopsf_affine(float *Y, const float *X, const float *W, const float *b,
                    size_t n, size_t in, size_t out);

/* y (n) = X (n, in) w (in) + b: the output unit (out = 1). */
void vecopsf_affine1(float *y, const float *X, const float *w, float b,
                     size_t n, size_t in);

/* dW (in, out) += X^T dY, rows summed in order; db (out) += the column sums
 * of dY when db is not NULL. */
void vecopsf_affine_grad(float *dW, float *db, const float *X, const float *dY,
                         size_t n, size_t in, size_t out);

/* dX (n, in) = dY (n, out) W^T (overwritten). */
void vecopsf_input_grad(float *dX, const float *dY, const float *W, size_t n,
                        size_t in, size_t out);

/* dX (n, in) = dy (n) w^T (overwritten): input_grad for out = 1. */
void vecopsf_outer(float *dX, const float *dy, const float *w, size_t n,
                   size_t in);

/* y[i] = (float)x[i] (round to nearest), and back: y[i] = (double)x[i]
 * (exact), for i < n. */
void vecopsf_from_double(float *y, const double *x, size_t n);
void vecopsf_to_double(double *y, const float *x, size_t n);

#endif
