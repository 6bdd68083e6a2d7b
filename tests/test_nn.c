/* test_nn.c — the policy network: parameter counts and layout, a forward
 * pass against hand-computed values, backward against central finite
 * differences for every parameter (tanh and softplus, 0 to 3 hidden layers,
 * the issue-4 shape, and a layer large enough for the CBLAS path), forward
 * against the definition on both paths, accumulation semantics, nn_zero_grad and the Glorot initialisation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_test.h>

#include "nn.h"
#include "rngs.h"
#include "vecops.h"

static void test_counts(void)
{
    /* By hand: (d=3, H=4, L=2): W0 3*4 + b0 4 + W1 4*4 + b1 4 + W2 4*1 + b2 1
     * = 12 + 4 + 16 + 4 + 4 + 1 = 41. */
    nn_config c = {3, 4, 2, NN_TANH};
    gsl_test_int((int)nn_num_params(&c), 41, "num_params (d=3, H=4, L=2)");
    /* Linear score: d weights + 1 bias; hidden is ignored. */
    nn_config lin = {5, 17, 0, NN_SOFTPLUS};
    gsl_test_int((int)nn_num_params(&lin), 6, "num_params (d=5, L=0)");
    /* (d=2, H=2, L=1): 4 + 2 + 2 + 1 = 9. */
    nn_config tiny = {2, 2, 1, NN_TANH};
    gsl_test_int((int)nn_num_params(&tiny), 9, "num_params (d=2, H=2, L=1)");
    /* (d=8, H=32, L=1): 256 + 32 + 32 + 1 = 321. */
    nn_config mid = {8, 32, 1, NN_TANH};
    gsl_test_int((int)nn_num_params(&mid), 321, "num_params (d=8, H=32, L=1)");
    /* (d=8, H=32, L=3): 288 + 2 * (1024 + 32) + 33 = 2433. */
    nn_config deep = {8, 32, 3, NN_SOFTPLUS};
    gsl_test_int((int)nn_num_params(&deep), 2433, "num_params (d=8, H=32, L=3)");

    gsl_test_int((int)nn_acts_size(&c, 7), 2 * 2 * 7 * 4, "acts_size = 2 L n H");
    gsl_test_int((int)nn_acts_size(&lin, 7), 0, "acts_size of a linear net is 0");
    gsl_test_int((int)nn_scratch_size(&c, 7), 2 * 7 * 4, "scratch_size, L = 2");
    gsl_test_int((int)nn_scratch_size(&tiny, 7), 7 * 2, "scratch_size, L = 1");
    gsl_test_int((int)nn_scratch_size(&lin, 7), 0, "scratch_size, L = 0");

    /* Layout: W0 | b0 | W1 | b1 | W2 | b2, contiguous, unused slots NULL. */
    double buf[41];
    nn_params p;
    nn_point_params(&c, buf, &p);
    gsl_test(p.W[0] != buf, "W0 at offset 0");
    gsl_test(p.b[0] != buf + 12, "b0 at offset 12");
    gsl_test(p.W[1] != buf + 16, "W1 at offset 16");
    gsl_test(p.b[1] != buf + 32, "b1 at offset 32");
    gsl_test(p.W[2] != buf + 36, "W2 at offset 36");
    gsl_test(p.b[2] != buf + 40, "b2 at offset 40 (the last double)");
    gsl_test(p.W[3] != NULL || p.b[NN_MAX_LAYERS] != NULL, "unused layers are NULL");
}

static void test_config_check(void)
{
    nn_config ok = {3, 4, 2, NN_TANH};
    gsl_test(nn_config_check(&ok) != NULL, "a valid config passes");
    nn_config c = ok;
    c.d = 0;
    gsl_test(nn_config_check(&c) == NULL, "d = 0 is rejected");
    c = ok;
    c.layers = NN_MAX_LAYERS + 1;
    gsl_test(nn_config_check(&c) == NULL, "layers > NN_MAX_LAYERS is rejected");
    c = ok;
    c.hidden = 0;
    gsl_test(nn_config_check(&c) == NULL, "hidden = 0 with layers > 0 is rejected");
    c.layers = 0;
    gsl_test(nn_config_check(&c) != NULL, "hidden = 0 is fine for a linear net");
    c = ok;
    c.act = 7;
    gsl_test(nn_config_check(&c) == NULL, "an unknown activation is rejected");
}

/* A (d=2, H=2, L=1) network with explicit weights:
 *   W0 = [[0.5, -0.25], [0.75, 0.125]] (row i = input i), b0 = (0.1, -0.2),
 *   W1 = (1.5, -2.0), b1 = 0.3.
 * Row x = (1.2, -0.4):
 *   z = (1.2*0.5 - 0.4*0.75 + 0.1, -1.2*0.25 - 0.4*0.125 - 0.2) = (0.4, -0.55)
 *   tanh:     h = (0.379948962255225, -0.500520211190235)
 *             f = 1.5 h0 - 2 h1 + 0.3 = 1.870963865763308
 *   softplus: h = (log(1+e^0.4), log(1+e^-0.55)) = (0.913015252399953, 0.455492481463338)
 *             f = 0.758537915673254
 * Row x = (-0.7, 2.1): z = (1.325, 0.2375);
 *   tanh f = 1.135766953441067, softplus f = 1.003197101244332.
 * (Arithmetic by hand; digits checked with Python 3.11 math.tanh/log1p.) */
static void test_forward_hand(void)
{
    double params[9] = {0.5, -0.25, 0.75, 0.125, 0.1, -0.2, 1.5, -2.0, 0.3};
    double X[4] = {1.2, -0.4, -0.7, 2.1};
    double acts[8], out[2];
    nn_config c = {2, 2, 1, NN_TANH};
    nn_forward(&c, params, X, 2, acts, out);
    gsl_test_rel(out[0], 1.8709638657633079, 1e-14, "hand forward, tanh, row 1");
    gsl_test_rel(out[1], 1.1357669534410666, 1e-14, "hand forward, tanh, row 2");
    gsl_test_rel(acts[0], 0.4, 1e-14, "acts: Z_0 row 1 first");
    gsl_test_rel(acts[1], -0.55, 1e-14, "acts: Z_0 row 1 second");
    gsl_test_rel(acts[2], 1.325, 1e-14, "acts: Z_0 row 2 first");
    gsl_test_rel(acts[4], 0.37994896225522484, 1e-14, "acts: A_0 after Z_0");
    gsl_test_rel(acts[7], 0.2331330090426386, 1e-14, "acts: A_0 row 2 last");
    c.act = NN_SOFTPLUS;
    nn_forward(&c, params, X, 2, acts, out);
    gsl_test_rel(out[0], 0.7585379156732535, 1e-14, "hand forward, softplus, row 1");
    gsl_test_rel(out[1], 1.0031971012443315, 1e-14, "hand forward, softplus, row 2");

    /* Linear (L = 0): f = w.x + b. */
    nn_config lin = {2, 0, 0, NN_TANH};
    double lp[3] = {0.25, -1.5, 0.125};
    nn_forward(&lin, lp, X, 2, NULL, out);
    gsl_test_rel(out[0], 0.25 * 1.2 + 1.5 * 0.4 + 0.125, 1e-15, "linear forward row 1");
    gsl_test_rel(out[1], -0.25 * 0.7 - 1.5 * 2.1 + 0.125, 1e-15, "linear forward row 2");

    /* Softplus stays finite and accurate at extreme pre-activations. */
    double big[9] = {800.0, -800.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0};
    double x1[2] = {1.0, 0.0};
    nn_forward(&c, big, x1, 1, acts, out);
    gsl_test_rel(out[0], 800.0 + exp(-800.0), 1e-15, "softplus(800) + softplus(-800)");
}

/* S(params) = sum_i dout_i f_i(params) for the FD check. */
static double weighted_out(const nn_config *c, const double *params,
                           const double *X, size_t n, const double *dout,
                           double *acts, double *out)
{
    nn_forward(c, params, X, n, acts, out);
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += dout[i] * out[i];
    return s;
}

/* Backward against central differences, Richardson-extrapolated
 * (D = (4 D(h/2) - D(h)) / 3, error O(h^4)), for every stride-th parameter
 * (stride 1: all). Acceptance criterion: relative error <= 1e-6 for each.
 * n rows of d inputs, `layers` hidden layers of width H. */
static void test_backward_fd_shape(int act, size_t layers, size_t d, size_t H,
                                   size_t n, size_t stride)
{
    nn_config c = {d, H, layers, act};
    size_t P = nn_num_params(&c);
    gsl_rng *r = rngs_alloc(1000 + 10 * layers + (size_t)act);
    double *params = malloc(P * sizeof *params);
    double *grads = malloc(P * sizeof *grads);
    double *acts = malloc((nn_acts_size(&c, n) + 1) * sizeof *acts);
    double *scratch = malloc((nn_scratch_size(&c, n) + 1) * sizeof *scratch);
    double *X = malloc(n * d * sizeof *X), *dout = malloc(n * sizeof *dout),
           *out = malloc(n * sizeof *out);
    /* Glorot weights plus non-zero biases so every parameter matters. */
    nn_init_params(&c, params, r);
    nn_params p;
    nn_point_params(&c, params, &p);
    for (size_t l = 0; l <= layers; l++)
        for (size_t j = 0; j < (l < layers ? H : 1); j++)
            p.b[l][j] = gsl_ran_flat(r, -0.5, 0.5);
    for (size_t i = 0; i < n * d; i++) X[i] = gsl_ran_gaussian(r, 1.0);
    for (size_t i = 0; i < n; i++) dout[i] = gsl_ran_flat(r, -1.5, 1.5);

    nn_zero_grad(&c, grads);
    nn_forward(&c, params, X, n, acts, out);
    nn_backward(&c, params, X, n, acts, dout, grads, scratch);

    double worst = 0.0;
    size_t worst_i = 0;
    for (size_t i = 0; i < P; i += stride) {
        double p0 = params[i], h = 1e-3 * (fabs(p0) > 1 ? fabs(p0) : 1.0);
        double D[2];
        for (int k = 0; k < 2; k++) {
            double hk = k == 0 ? h : h / 2;
            params[i] = p0 + hk;
            double sp = weighted_out(&c, params, X, n, dout, acts, out);
            params[i] = p0 - hk;
            double sm = weighted_out(&c, params, X, n, dout, acts, out);
            params[i] = p0;
            D[k] = (sp - sm) / (2 * hk);
        }
        double fd = (4 * D[1] - D[0]) / 3;
        double scale = fmax(fabs(fd), fabs(grads[i]));
        double rel = scale > 0 ? fabs(fd - grads[i]) / scale : 0.0;
        if (rel > worst) {
            worst = rel;
            worst_i = i;
        }
    }
    gsl_test(!(worst <= 1e-6),
             "backward vs finite differences, %s, layers = %zu, d = %zu, H = %zu: "
             "worst relative error %.2e (parameter %zu of %zu, stride %zu)",
             act == NN_TANH ? "tanh" : "softplus", layers, d, H, worst, worst_i, P,
             stride);

    /* Accumulation: a second backward call adds the same gradient again. */
    double *g1 = malloc(P * sizeof *g1);
    memcpy(g1, grads, P * sizeof *g1);
    nn_backward(&c, params, X, n, acts, dout, grads, scratch);
    double wacc = 0.0;
    for (size_t i = 0; i < P; i++) {
        double e = fabs(grads[i] - 2 * g1[i]);
        if (g1[i] != 0) e /= fabs(2 * g1[i]);
        if (e > wacc) wacc = e;
    }
    gsl_test(!(wacc <= 1e-13), "two backward calls accumulate 2x (%s, L = %zu): %.1e",
             act == NN_TANH ? "tanh" : "softplus", layers, wacc);
    nn_zero_grad(&c, grads);
    int zero = 1;
    for (size_t i = 0; i < P; i++) zero &= grads[i] == 0.0;
    gsl_test(!zero, "nn_zero_grad zeroes all %zu gradients", P);

    free(g1);
    free(params);
    free(grads);
    free(acts);
    free(scratch);
    free(X);
    free(dout);
    free(out);
    gsl_rng_free(r);
}

static void test_backward_fd(int act, size_t layers)
{
    test_backward_fd_shape(act, layers, 3, 4, 5, 1);
}

/* f by the definition, in plain loops with libm's tanh / log1p: the
 * reference for nn_forward on both of its paths. */
static void naive_forward(const nn_config *c, const double *params,
                          const double *X, size_t n, double *out)
{
    nn_params p;
    nn_point_params(c, (double *)params, &p);
    size_t H = c->hidden, L = c->layers;
    double *a = malloc((c->d > H ? c->d : H) * sizeof *a);
    double *z = malloc((H ? H : 1) * sizeof *z);
    for (size_t i = 0; i < n; i++) {
        size_t in = c->d;
        memcpy(a, X + i * c->d, c->d * sizeof *a);
        for (size_t l = 0; l < L; l++) {
            for (size_t j = 0; j < H; j++) {
                double s = p.b[l][j];
                for (size_t k = 0; k < in; k++) s += a[k] * p.W[l][k * H + j];
                z[j] = c->act == NN_TANH ? tanh(s)
                                         : log1p(exp(-fabs(s))) + (s > 0 ? s : 0);
            }
            memcpy(a, z, H * sizeof *a);
            in = H;
        }
        double f = p.b[L][0];
        for (size_t k = 0; k < in; k++) f += a[k] * p.W[L][k];
        out[i] = f;
    }
    free(a);
    free(z);
}

/* nn_forward against the definition on networks whose layers take the
 * vectorised-loop path (weights below 64 x 64) and the CBLAS path (64 x 64
 * hidden-to-hidden weights; a 70 x 64 input layer): relative error of f
 * <= 1e-12 (sums of ~70 terms; different summation order and tanh). */
static void test_forward_paths(void)
{
    const struct { size_t d, H, L; int act; const char *what; } cases[] = {
        {8, 32, 1, NN_TANH, "loops (8 x 32, 32 x 1)"},
        {3, 5, 3, NN_SOFTPLUS, "loops (3 layers, softplus)"},
        {5, 64, 2, NN_TANH, "CBLAS for the 64 x 64 layer"},
        {70, 64, 1, NN_SOFTPLUS, "CBLAS for the 70 x 64 input layer"},
    };
    const size_t n = 37;
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        nn_config c = {cases[t].d, cases[t].H, cases[t].L, cases[t].act};
        size_t P = nn_num_params(&c);
        gsl_rng *r = rngs_alloc(500 + t);
        double *params = malloc(P * sizeof *params), *X = malloc(n * c.d * sizeof *X);
        double *acts = malloc(nn_acts_size(&c, n) * sizeof *acts);
        double *out = malloc(n * sizeof *out), *ref = malloc(n * sizeof *ref);
        nn_init_params(&c, params, r);
        nn_params p;
        nn_point_params(&c, params, &p);
        for (size_t l = 0; l <= c.layers; l++)
            for (size_t j = 0; j < (l < c.layers ? c.hidden : 1); j++)
                p.b[l][j] = gsl_ran_flat(r, -0.5, 0.5);
        for (size_t i = 0; i < n * c.d; i++) X[i] = gsl_ran_gaussian(r, 1.0);
        nn_forward(&c, params, X, n, acts, out);
        naive_forward(&c, params, X, n, ref);
        double worst = 0.0;
        for (size_t i = 0; i < n; i++) {
            double e = fabs(out[i] - ref[i]) / fmax(fabs(ref[i]), 1e-300);
            if (e > worst) worst = e;
        }
        gsl_test(!(worst <= 1e-12), "nn_forward vs the definition, %s: worst "
                 "relative error %.2e", cases[t].what, worst);
        free(params);
        free(X);
        free(acts);
        free(out);
        free(ref);
        gsl_rng_free(r);
    }
}

static void test_init(void)
{
    nn_config c = {6, 10, 2, NN_TANH};
    size_t P = nn_num_params(&c);
    double *a = malloc(P * sizeof *a), *b = malloc(P * sizeof *b);
    gsl_rng *r1 = rngs_alloc(77), *r2 = rngs_alloc(77);
    nn_init_params(&c, a, r1);
    nn_init_params(&c, b, r2);
    gsl_test(memcmp(a, b, P * sizeof *a) != 0, "init is deterministic in the rng");
    nn_params p;
    nn_point_params(&c, a, &p);
    size_t ins[3] = {6, 10, 10}, outs[3] = {10, 10, 1};
    int in_bounds = 1, biases_zero = 1;
    double maxabs[3] = {0, 0, 0};
    for (size_t l = 0; l < 3; l++) {
        double lim = sqrt(6.0 / (double)(ins[l] + outs[l]));
        for (size_t k = 0; k < ins[l] * outs[l]; k++) {
            in_bounds &= fabs(p.W[l][k]) <= lim;
            maxabs[l] = fmax(maxabs[l], fabs(p.W[l][k]) / lim);
        }
        for (size_t j = 0; j < outs[l]; j++) biases_zero &= p.b[l][j] == 0.0;
    }
    gsl_test(!in_bounds, "Glorot weights lie in +-sqrt(6 / (in + out))");
    gsl_test(!biases_zero, "biases start at 0");
    /* 60 and 100 uniform draws: the largest |w| / a is above 0.8 with
     * probability 1 - 0.8^60 > 0.99999. */
    gsl_test(!(maxabs[0] > 0.8 && maxabs[1] > 0.8), "Glorot weights fill the interval");
    /* First weight is the first draw (fixed order: W0 row major first). */
    gsl_rng *r3 = rngs_alloc(77);
    double u0 = gsl_rng_uniform(r3);
    gsl_test_rel(a[0], sqrt(6.0 / 16.0) * (2 * u0 - 1), 1e-15,
                 "W0[0][0] is the first draw");
    gsl_rng_free(r1);
    gsl_rng_free(r2);
    gsl_rng_free(r3);
    free(a);
    free(b);
}

/* nn_tanh is the kernel's scalar tanh (its accuracy against libm and its
 * special values are tests/test_vecops.c's): the same bits at points on
 * both sides of every former branch point, and tanh(0) = 0. */
static void test_tanh_alias(void)
{
    const double pts[] = {0.125, -0.125, 0.12499999999999999, 0.3, -0.9, 2.5,
                          20.0, 20.000000000000004, -35.0, 1e-200};
    int same = 1;
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        double a = nn_tanh(pts[i]), b = vecops_tanh1(pts[i]);
        same &= memcmp(&a, &b, sizeof a) == 0 && fabs(a - tanh(pts[i])) <= 1e-15;
    }
    gsl_test(!same, "nn_tanh = vecops_tanh1 (and within 1e-15 of libm)");
    gsl_test(nn_tanh(0.0) != 0.0 || nn_tanh(-0.0) != 0.0, "nn_tanh(0) = 0");
}

int main(void)
{
    test_tanh_alias();
    gsl_set_error_handler_off();
    test_counts();
    test_config_check();
    test_forward_hand();
    for (size_t L = 0; L <= 3; L++) {
        test_backward_fd(NN_TANH, L);
        test_backward_fd(NN_SOFTPLUS, L);
    }
    /* The issue-4 shape (vectorised loops, register-block tails at n = 5)
     * and a network whose 64 x 64 layer goes through CBLAS. */
    test_backward_fd_shape(NN_TANH, 1, 8, 32, 5, 1);
    test_backward_fd_shape(NN_TANH, 2, 2, 64, 3, 3);
    test_forward_paths();
    test_init();
    exit(gsl_test_summary());
}
