/* bench_nn.c — one EM-DPO training step's network work, timed in isolation,
 * for the issue-4 speed benchmark (bench/run_emdpo.sh).
 *
 *   make bench/bench_nn && bench/bench_nn [rows] [steps]
 *
 * For a minibatch of `rows` candidate rows (default 192 = 64 queries of 3)
 * and the benchmark's network (d = 8, one hidden layer of 32, tanh):
 *   products: the five products of a step exactly as bench/dgemm_peak.c times
 *     them through CBLAS (X W1, Z w2, Z^T f, f w2^T, X^T dZ), here through
 *     the vecops kernels nn.c uses at these shapes; same flop count
 *     (rows H (4 d + 6)), so small_gflops lines compare directly;
 *   step: nn_forward + nn_backward (products, tanh, tanh', biases), the
 *     network part of a training step.
 * Prints key=value lines: the median over 7 blocks of `steps` steps. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "benchutil.h"
#include "nn.h"
#include "vecops.h"

#define BLOCKS 7

int main(int argc, char **argv)
{
    int rows = argc > 1 ? atoi(argv[1]) : 192;
    int steps = argc > 2 ? atoi(argv[2]) : 20000;
    if (rows < 1 || steps < 1) {
        fprintf(stderr, "usage: bench_nn [rows >= 1] [steps >= 1]\n");
        return 2;
    }
    const size_t d = 8, H = 32, n = (size_t)rows;
    nn_config c = {d, H, 1, NN_TANH};
    size_t P = nn_num_params(&c);
    double *X = malloc(n * d * sizeof *X), *W1 = malloc(d * H * sizeof *W1);
    double *b1 = calloc(H, sizeof *b1), *w2 = malloc(H * sizeof *w2);
    double *Z = malloc(n * H * sizeof *Z), *f = malloc(n * sizeof *f);
    double *dW1 = calloc(d * H, sizeof *dW1), *dw2 = calloc(H, sizeof *dw2);
    double *dZ = malloc(n * H * sizeof *dZ), *params = malloc(P * sizeof *params);
    double *grads = malloc(P * sizeof *grads), *dout = malloc(n * sizeof *dout);
    double *acts = malloc(nn_acts_size(&c, n) * sizeof *acts);
    double *scratch = malloc(nn_scratch_size(&c, n) * sizeof *scratch);
    if (!X || !W1 || !b1 || !w2 || !Z || !f || !dW1 || !dw2 || !dZ || !params ||
        !grads || !dout || !acts || !scratch) {
        fprintf(stderr, "bench_nn: out of memory\n");
        return 1;
    }
    unsigned s = 12345u;
    bench_fill(X, n * d, &s);
    bench_fill(W1, d * H, &s);
    bench_fill(w2, H, &s);
    bench_fill(Z, n * H, &s);
    bench_fill(f, n, &s);
    bench_fill(params, P, &s);
    bench_fill(dout, n, &s);

    double tp[BLOCKS], ts[BLOCKS];
    for (int b = 0; b < BLOCKS; b++) {
        double t0 = bench_now();
        for (int it = 0; it < steps; it++) {
            vecops_affine(Z, X, W1, b1, n, d, H);            /* X W1 */
            vecops_affine1(f, Z, w2, 0.0, n, H);              /* Z w2 */
            vecops_affine_grad(dw2, NULL, Z, f, n, H, 1);     /* Z^T f */
            vecops_outer(dZ, f, w2, n, H);                    /* f w2^T */
            vecops_affine_grad(dW1, NULL, X, dZ, n, d, H);    /* X^T dZ */
        }
        tp[b] = bench_now() - t0;
        t0 = bench_now();
        for (int it = 0; it < steps; it++) {
            nn_zero_grad(&c, grads);
            nn_forward(&c, params, X, n, acts, f);
            nn_backward(&c, params, X, n, acts, dout, grads, scratch);
        }
        ts[b] = bench_now() - t0;
    }
    qsort(tp, BLOCKS, sizeof *tp, bench_cmp_double);
    qsort(ts, BLOCKS, sizeof *ts, bench_cmp_double);
    double step_flops = (double)n * (double)H * (4.0 * (double)d + 6.0);
    double p_us = tp[BLOCKS / 2] / steps * 1e6, s_us = ts[BLOCKS / 2] / steps * 1e6;
    printf("small_rows=%d\nsmall_step_flops=%.0f\n", rows, step_flops);
    printf("vecops_step_us=%.4f\nvecops_gflops=%.4f\n", p_us, step_flops / p_us * 1e-3);
    printf("nn_step_us=%.4f\nnn_gflops=%.4f\n", s_us, step_flops / s_us * 1e-3);
    printf("checksum=%.6g\n", dW1[0] + dw2[0] + grads[0]);
    free(X); free(W1); free(b1); free(w2); free(Z); free(f); free(dW1); free(dw2);
    free(dZ); free(params); free(grads); free(dout); free(acts); free(scratch);
    return 0;
}
