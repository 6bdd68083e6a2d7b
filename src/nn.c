/* nn.c — the compact policy network f: R^d -> R (see nn.h), llm.c style.
 *
 * What it does: counts, carves and initialises the one flat parameter buffer,
 * and runs a batch forward and backward through a stack of affine layers
 * with a smooth activation (tanh or softplus) between them. The X W
 * products of the forward pass, the weight gradients A^T dY and the input
 * deltas dY W^T of the backward pass of layers with at least 64 x 64 weights
 * go through CBLAS (GSL's CBLAS interface, row major; dgemv/dger for the
 * output unit), so linking a tuned CBLAS speeds them up without a code
 * change; smaller layers, where a BLAS call is mostly overhead, and tanh go
 * through the vectorised loops of vecops.c (NN_BLAS_MIN_WEIGHTS below).
 *
 * Parameter layout (nn_point_params), for l = 0..L (L = c->layers), with
 * in_0 = d, in_l = H for l > 0, out_l = H for l < L and out_L = 1:
 *
 *   [ W_0 (in_0, out_0) | b_0 (out_0) | W_1 | b_1 | ... | W_L (H, 1) | b_L (1) ]
 *
 * Activation layout (nn_acts_size = 2 L n H doubles) for a batch of n rows:
 * hidden layer l = 0..L-1 owns two (n, H) row-major blocks,
 *
 *   acts + (2 l)     n H :  Z_l = A_{l-1} W_l + b_l   (pre-activation)
 *   acts + (2 l + 1) n H :  A_l = act(Z_l)            (post-activation)
 *
 * with A_{-1} = X. The output f = A_{L-1} W_L + b_L is written to `out`, not
 * to acts; a linear network (L = 0) needs no activation storage at all.
 * Both Z and A are kept (as llm.c keeps fch and fch_gelu) so the backward
 * pass computes act'(Z) exactly without recomputing the forward pass.
 *
 * Backward scratch (nn_scratch_size = min(L, 2) n H doubles) holds the
 * deltas dA/dZ of two consecutive hidden layers, used ping-pong.
 *
 * What it deliberately does not do: allocate (every buffer is the caller's),
 * compute the gradient with respect to the input X (nobody needs it), compute
 * losses (dpo.c) or update parameters (adam.c), or use threads (callers
 * parallelise over policies or tasks, never inside one small product).
 *
 * CBLAS takes int dimensions: callers keep n, d and H below INT_MAX (the
 * trainer's chunks are a few thousand rows). */
#include "nn.h"

#include <math.h>

#include <gsl/gsl_cblas.h>

#include "vecops.h"

const char *nn_config_check(const nn_config *c)
{
    if (!c) return "network configuration is missing";
    if (c->d < 1) return "d (input features) must be >= 1";
    if (c->d > 1000000) return "d (input features) must be <= 1000000";
    if (c->layers > NN_MAX_LAYERS) return "layers must be <= 8 (NN_MAX_LAYERS)";
    if (c->layers > 0 && c->hidden < 1) return "hidden must be >= 1 when layers > 0";
    if (c->hidden > 1000000) return "hidden must be <= 1000000";
    if (c->act != NN_TANH && c->act != NN_SOFTPLUS)
        return "act must be NN_TANH or NN_SOFTPLUS";
    return NULL;
}

/* Width of the input and output of layer l (0..L). */
static size_t nn_in(const nn_config *c, size_t l) { return l == 0 ? c->d : c->hidden; }
static size_t nn_out(const nn_config *c, size_t l) { return l < c->layers ? c->hidden : 1; }

size_t nn_num_params(const nn_config *c)
{
    size_t n = 0;
    for (size_t l = 0; l <= c->layers; l++)
        n += nn_in(c, l) * nn_out(c, l) + nn_out(c, l);
    return n;
}

void nn_point_params(const nn_config *c, double *buf, nn_params *p)
{
    for (size_t l = 0; l <= NN_MAX_LAYERS; l++) {
        p->W[l] = NULL;
        p->b[l] = NULL;
    }
    for (size_t l = 0; l <= c->layers; l++) {
        p->W[l] = buf;
        buf += nn_in(c, l) * nn_out(c, l);
        p->b[l] = buf;
        buf += nn_out(c, l);
    }
}

void nn_init_params(const nn_config *c, double *params, const gsl_rng *r)
{
    /* Glorot & Bengio (2010), eq. 16: W ~ U[-a, a], a = sqrt(6 / (in + out));
     * layers in order 0..L, each W row major, then its bias (zero). */
    nn_params p;
    nn_point_params(c, params, &p);
    for (size_t l = 0; l <= c->layers; l++) {
        size_t in = nn_in(c, l), out = nn_out(c, l);
        double a = sqrt(6.0 / (double)(in + out));
        for (size_t k = 0; k < in * out; k++)
            p.W[l][k] = a * (2.0 * gsl_rng_uniform(r) - 1.0);
        for (size_t j = 0; j < out; j++) p.b[l][j] = 0.0;
    }
}

size_t nn_acts_size(const nn_config *c, size_t n)
{
    return 2 * c->layers * n * c->hidden;
}

size_t nn_scratch_size(const nn_config *c, size_t n)
{
    size_t k = c->layers < 2 ? c->layers : 2;
    return k * n * c->hidden;
}

void nn_zero_grad(const nn_config *c, double *grads)
{
    size_t n = nn_num_params(c);
    for (size_t i = 0; i < n; i++) grads[i] = 0.0;
}

/* ---- layers: forward / backward pairs ----------------------------------- */

/* Layers with at least this many weights (in x out) go through CBLAS; smaller
 * ones through vecops' vectorised loops. Measured with GSL's reference CBLAS
 * on the issue-4 shapes (n = 192 rows, 8 x 32 and 32 x 1 weights), the loops
 * were several times faster: at these sizes a BLAS call is mostly overhead
 * and the reference BLAS is not vectorised. From 64 x 64 on, a tuned CBLAS
 * linked in GSL's place (GSL's CBLAS interface) is the better engine, so
 * those shapes keep the BLAS call. Both paths are tested (tests/test_nn.c). */
#define NN_BLAS_MIN_WEIGHTS 4096

static int nn_use_blas(size_t in, size_t out) { return in * out >= NN_BLAS_MIN_WEIGHTS; }

/* Y (n, out) = X (n, in) W (in, out) + b (out). */
static void affine_forward(double *Y, const double *X, const double *W,
                           const double *b, size_t n, size_t in, size_t out)
{
    if (!nn_use_blas(in, out)) {
        if (out == 1) /* the output unit: n dot products */
            vecops_affine1(Y, X, W, b[0], n, in);
        else
            vecops_affine(Y, X, W, b, n, in, out);
        return;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < out; j++) Y[i * out + j] = b[j];
    if (out == 1) /* a matrix-vector product */
        cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)in, 1.0, X,
                    (int)in, W, 1, 1.0, Y, 1);
    else
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)out,
                    (int)in, 1.0, X, (int)in, W, (int)out, 1.0, Y, (int)out);
}

/* Given dY (n, out): dW (in, out) += X^T dY, db (out) += colsum dY, and, when
 * dX is not NULL, dX (n, in) = dY W^T (overwritten, not accumulated). */
static void affine_backward(double *dX, double *dW, double *db,
                            const double *dY, const double *X, const double *W,
                            size_t n, size_t in, size_t out)
{
    if (!nn_use_blas(in, out)) {
        vecops_affine_grad(dW, db, X, dY, n, in, out);
        if (dX && out == 1)
            vecops_outer(dX, dY, W, n, in);
        else if (dX)
            vecops_input_grad(dX, dY, W, n, in, out);
        return;
    }
    if (out == 1) /* dW = X^T dY is a matrix-vector product */
        cblas_dgemv(CblasRowMajor, CblasTrans, (int)n, (int)in, 1.0, X, (int)in,
                    dY, 1, 1.0, dW, 1);
    else
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)in, (int)out,
                    (int)n, 1.0, X, (int)in, dY, (int)out, 1.0, dW, (int)out);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < out; j++) db[j] += dY[i * out + j];
    if (dX && out == 1) { /* dX = dY w^T: a rank-one update of zeros */
        for (size_t i = 0; i < n * in; i++) dX[i] = 0.0;
        cblas_dger(CblasRowMajor, (int)n, (int)in, 1.0, dY, 1, W, 1, dX, (int)in);
    } else if (dX) {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)in,
                    (int)out, 1.0, dY, (int)out, W, (int)out, 0.0, dX, (int)in);
    }
}

/* softplus(z) = log(1 + e^z) = log1p(e^{-|z|}) + max(z, 0): no overflow for
 * large z, no loss of precision for very negative z. */
static double softplus(double z)
{
    return log1p(exp(-fabs(z))) + (z > 0.0 ? z : 0.0);
}

/* softplus'(z) = sigmoid(z), evaluated without overflow on either side. */
static double sigmoid(double z)
{
    if (z >= 0.0) return 1.0 / (1.0 + exp(-z));
    double e = exp(z);
    return e / (1.0 + e);
}

double nn_tanh(double z)
{
    return vecops_tanh1(z);
}

/* A (N) = act(Z (N)), N = n H. */
static void act_forward(double *A, const double *Z, size_t N, int act)
{
    if (act == NN_TANH)
        vecops_tanh(A, Z, N);
    else
        for (size_t i = 0; i < N; i++) A[i] = softplus(Z[i]);
}

/* dZ (N) = dA (N) * act'(Z); dZ may alias dA. tanh' = 1 - A^2 from the
 * stored output; softplus' = sigmoid(Z) from the stored input. */
static void act_backward(double *dZ, const double *dA, const double *Z,
                         const double *A, size_t N, int act)
{
    if (act == NN_TANH)
        vecops_tanh_grad(dZ, dA, A, N);
    else
        for (size_t i = 0; i < N; i++) dZ[i] = dA[i] * sigmoid(Z[i]);
}

/* ---- the network --------------------------------------------------------- */

void nn_forward(const nn_config *c, const double *params, const double *X,
                size_t n, double *acts, double *out)
{
    if (n == 0) return;
    nn_params p;
    nn_point_params(c, (double *)params, &p); /* read only below */
    size_t L = c->layers, H = c->hidden, nH = n * c->hidden;
    const double *in = X; /* (n, in_l) */
    for (size_t l = 0; l < L; l++) {
        double *Z = acts + 2 * l * nH;       /* (n, H) */
        double *A = Z + nH;                  /* (n, H) */
        affine_forward(Z, in, p.W[l], p.b[l], n, nn_in(c, l), H);
        act_forward(A, Z, nH, c->act);
        in = A;
    }
    affine_forward(out, in, p.W[L], p.b[L], n, nn_in(c, L), 1); /* (n, 1) */
}

void nn_backward(const nn_config *c, const double *params, const double *X,
                 size_t n, const double *acts, const double *dout,
                 double *grads, double *scratch)
{
    if (n == 0) return;
    nn_params p, g;
    nn_point_params(c, (double *)params, &p); /* read only below */
    nn_point_params(c, grads, &g);
    size_t L = c->layers, nH = n * c->hidden;
    const double *dY = dout; /* (n, out_l): delta at the output of layer l */
    for (size_t l = L + 1; l-- > 0;) {
        const double *in = l == 0 ? X : acts + (2 * (l - 1) + 1) * nH; /* (n, in_l) */
        double *dX = NULL;
        if (l > 0) dX = scratch + ((L - l) % 2) * nH; /* (n, H), not dY's */
        if (l == L && l > 0 && c->act == NN_TANH && !nn_use_blas(nn_in(c, l), 1)) {
            /* the output unit into a tanh layer: its delta and tanh' in one
             * pass (the same bits as affine_backward then act_backward) */
            vecops_affine_grad(g.W[l], g.b[l], in, dY, n, nn_in(c, l), 1);
            vecops_outer_tanh_grad(dX, dY, p.W[l], in, n, nn_in(c, l));
            dY = dX;
            continue;
        }
        affine_backward(dX, g.W[l], g.b[l], dY, in, p.W[l], n, nn_in(c, l),
                        nn_out(c, l));
        if (l > 0) {
            const double *Z = acts + 2 * (l - 1) * nH;
            act_backward(dX, dX, Z, Z + nH, nH, c->act);
            dY = dX;
        }
    }
}
