/* nnf.c — the network's forward and backward pass in float (see nnf.h).
 *
 * What it does: nn.c's forward / backward pairs, line for line, on float
 * buffers; the parameter and activation layouts are nn.c's (nn.c's header
 * comment draws them), so a float copy of a double parameter buffer is
 * carved by the same offsets.
 *
 * What it deliberately does not do: initialise, count or carve parameters
 * (nn.c), losses, optimisation, allocation, threads. */
#include "nnf.h"

#include <math.h>

#include <gsl/gsl_cblas.h>

#include "vecopsf.h"

/* nn.c's choice: CBLAS from 64 x 64 weights on, the loops below that. */
#define NNF_BLAS_MIN_WEIGHTS 4096

static size_t nnf_in(const nn_config *c, size_t l) { return l == 0 ? c->d : c->hidden; }
static size_t nnf_out(const nn_config *c, size_t l) { return l < c->layers ? c->hidden : 1; }

/* Offsets of W_l and b_l in a buffer of nn.c's layout. */
static void nnf_offsets(const nn_config *c, size_t *oW, size_t *ob)
{
    size_t o = 0;
    for (size_t l = 0; l <= c->layers; l++) {
        oW[l] = o;
        o += nnf_in(c, l) * nnf_out(c, l);
        ob[l] = o;
        o += nnf_out(c, l);
    }
}

/* Pointers to W_l and b_l of a read-only float buffer. */
static void nnf_point(const nn_config *c, const float *buf, const float **W,
                      const float **b)
{
    size_t oW[NN_MAX_LAYERS + 1], ob[NN_MAX_LAYERS + 1];
    nnf_offsets(c, oW, ob);
    for (size_t l = 0; l <= c->layers; l++) {
        W[l] = buf + oW[l];
        b[l] = buf + ob[l];
    }
}

static void affinef_forward(float *Y, const float *X, const float *W,
                            const float *b, size_t n, size_t in, size_t out)
{
    if (in * out < NNF_BLAS_MIN_WEIGHTS) {
        if (out == 1)
            vecopsf_affine1(Y, X, W, b[0], n, in);
        else
            vecopsf_affine(Y, X, W, b, n, in, out);
        return;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < out; j++) Y[i * out + j] = b[j];
    if (out == 1)
        cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)in, 1.0f, X,
                    (int)in, W, 1, 1.0f, Y, 1);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)out,
                    (int)in, 1.0f, X, (int)in, W, (int)out, 1.0f, Y, (int)out);
}

static void affinef_backward(float *dX, float *dW, float *db, const float *dY,
                             const float *X, const float *W, size_t n,
                             size_t in, size_t out)
{
    if (in * out < NNF_BLAS_MIN_WEIGHTS) {
        vecopsf_affine_grad(dW, db, X, dY, n, in, out);
        if (dX && out == 1)
            vecopsf_outer(dX, dY, W, n, in);
        else if (dX)
            vecopsf_input_grad(dX, dY, W, n, in, out);
        return;
    }
    if (out == 1)
        cblas_sgemv(CblasRowMajor, CblasTrans, (int)n, (int)in, 1.0f, X, (int)in,
                    dY, 1, 1.0f, dW, 1);
    else
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)in, (int)out,
                    (int)n, 1.0f, X, (int)in, dY, (int)out, 1.0f, dW, (int)out);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < out; j++) db[j] += dY[i * out + j];
    if (dX && out == 1) {
        for (size_t i = 0; i < n * in; i++) dX[i] = 0.0f;
        cblas_sger(CblasRowMajor, (int)n, (int)in, 1.0f, dY, 1, W, 1, dX, (int)in);
    } else if (dX) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)in,
                    (int)out, 1.0f, dY, (int)out, W, (int)out, 0.0f, dX, (int)in);
    }
}

/* softplus and its derivative in float, overflow-free as nn.c's. */
static float softplusf(float z) { return log1pf(expf(-fabsf(z))) + (z > 0.0f ? z : 0.0f); }

static float sigmoidf(float z)
{
    if (z >= 0.0f) return 1.0f / (1.0f + expf(-z));
    float e = expf(z);
    return e / (1.0f + e);
}

void nnf_forward(const nn_config *c, const float *params, const float *X,
                 size_t n, float *acts, float *out)
{
    if (n == 0) return;
    const float *W[NN_MAX_LAYERS + 1], *b[NN_MAX_LAYERS + 1];
    nnf_point(c, params, W, b);
    size_t L = c->layers, H = c->hidden, nH = n * c->hidden;
    const float *in = X;
    for (size_t l = 0; l < L; l++) {
        float *Z = acts + 2 * l * nH, *A = Z + nH;
        affinef_forward(Z, in, W[l], b[l], n, nnf_in(c, l), H);
        if (c->act == NN_TANH)
            vecopsf_tanh(A, Z, nH);
        else
            for (size_t i = 0; i < nH; i++) A[i] = softplusf(Z[i]);
        in = A;
    }
    affinef_forward(out, in, W[L], b[L], n, nnf_in(c, L), 1);
}

void nnf_backward(const nn_config *c, const float *params, const float *X,
                  size_t n, const float *acts, const float *dout, float *grads,
                  float *scratch)
{
    if (n == 0) return;
    const float *W[NN_MAX_LAYERS + 1], *b[NN_MAX_LAYERS + 1];
    size_t oW[NN_MAX_LAYERS + 1], ob[NN_MAX_LAYERS + 1]; /* into grads */
    nnf_point(c, params, W, b);
    nnf_offsets(c, oW, ob);
    size_t L = c->layers, nH = n * c->hidden;
    const float *dY = dout;
    for (size_t l = L + 1; l-- > 0;) {
        const float *in = l == 0 ? X : acts + (2 * (l - 1) + 1) * nH;
        float *dX = NULL;
        if (l > 0) dX = scratch + ((L - l) % 2) * nH;
        affinef_backward(dX, grads + oW[l], grads + ob[l], dY, in, W[l], n,
                         nnf_in(c, l), nnf_out(c, l));
        if (l > 0) {
            const float *Z = acts + 2 * (l - 1) * nH, *A = Z + nH;
            if (c->act == NN_TANH)
                vecopsf_tanh_grad(dX, dX, A, nH);
            else
                for (size_t i = 0; i < nH; i++) dX[i] *= sigmoidf(Z[i]);
            dY = dX;
        }
    }
}
