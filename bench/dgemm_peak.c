/* dgemm_peak.c — the DGEMM rate of a CBLAS, for the issue-4 speed benchmark
 * (bench/run_emdpo.sh): GSL's libgslcblas (what hetpref links) and OpenBLAS
 * (the machine's DGEMM peak), the same source linked to each.
 *
 *   gcc -O2 -o dgemm_peak bench/dgemm_peak.c -lgslcblas -lm
 *   gcc -O2 -o dgemm_peak_ob bench/dgemm_peak.c DIR/libopenblas.so.0 -Wl,-rpath,DIR -lm
 *   dgemm_peak [n] [reps] [rows]
 *
 * Times C = A B (n x n, row major, doubles; default n = 512) `reps` times
 * (default 7) after one warm-up call and prints, as key=value lines, the
 * median and best GFLOP/s at 2 n^3 flops per call. With rows > 0 it also
 * times hetpref's training-step shapes for a minibatch of `rows` candidate
 * rows (d = 8, H = 32: X(rows,8) W(8,32), h(rows,32) w(32,1) and the
 * backward products), many times, as one more line (small_gflops), so the
 * rate of the tiny products can be set against the large-matrix rate. */
#include <gsl/gsl_cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "benchutil.h"

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 512;
    int reps = argc > 2 ? atoi(argv[2]) : 7;
    int rows = argc > 3 ? atoi(argv[3]) : 0;
    if (n < 1 || reps < 1 || rows < 0) {
        fprintf(stderr, "usage: dgemm_peak [n >= 1] [reps >= 1] [rows >= 0]\n");
        return 2;
    }
    size_t nn = (size_t)n * (size_t)n;
    double *A = malloc(nn * sizeof *A), *B = malloc(nn * sizeof *B),
           *C = malloc(nn * sizeof *C), *t = malloc((size_t)reps * sizeof *t);
    if (!A || !B || !C || !t) {
        fprintf(stderr, "dgemm_peak: out of memory\n");
        return 1;
    }
    unsigned s = 12345u;
    bench_fill(A, nn, &s);
    bench_fill(B, nn, &s);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, A, n,
                B, n, 0.0, C, n);
    for (int r = 0; r < reps; r++) {
        double t0 = bench_now();
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, A,
                    n, B, n, 0.0, C, n);
        t[r] = bench_now() - t0;
    }
    qsort(t, (size_t)reps, sizeof *t, bench_cmp_double);
    double flops = 2.0 * (double)n * (double)n * (double)n;
    double med = reps % 2 ? t[reps / 2] : 0.5 * (t[reps / 2 - 1] + t[reps / 2]);
    printf("n=%d\nreps=%d\nmedian_s=%.6g\ngflops_median=%.4f\ngflops_best=%.4f\n",
           n, reps, med, flops / med * 1e-9, flops / t[0] * 1e-9);
    printf("checksum=%.6g\n", C[0] + C[nn - 1]);

    if (rows > 0) {
        /* One training step's products, as nn.c calls them (d = 8, H = 32). */
        const int d = 8, H = 32;
        double *X = malloc((size_t)rows * d * sizeof *X);
        double *W1 = malloc((size_t)d * H * sizeof *W1), *w2 = malloc(H * sizeof *w2);
        double *Z = malloc((size_t)rows * H * sizeof *Z), *f = malloc((size_t)rows * sizeof *f);
        double *dW1 = malloc((size_t)d * H * sizeof *dW1), *dw2 = malloc(H * sizeof *dw2);
        double *dZ = malloc((size_t)rows * H * sizeof *dZ);
        if (!X || !W1 || !w2 || !Z || !f || !dW1 || !dw2 || !dZ) return 1;
        bench_fill(X, (size_t)rows * d, &s);
        bench_fill(W1, (size_t)d * H, &s);
        bench_fill(w2, H, &s);
        bench_fill(Z, (size_t)rows * H, &s);
        bench_fill(f, (size_t)rows, &s);
        int steps = 20000;
        double t0 = bench_now();
        for (int it = 0; it < steps; it++) {
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, H, d, 1.0,
                        X, d, W1, H, 0.0, Z, H);
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, 1, H, 1.0,
                        Z, H, w2, 1, 0.0, f, 1);
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, H, 1, rows, 1.0,
                        Z, H, f, 1, 0.0, dw2, 1);
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, H, 1, 1.0,
                        f, 1, w2, 1, 0.0, dZ, H);
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, H, rows, 1.0,
                        X, d, dZ, H, 0.0, dW1, H);
        }
        double el = bench_now() - t0;
        double step_flops = (double)rows * H * (4.0 * d + 6.0);
        printf("small_rows=%d\nsmall_step_flops=%.0f\nsmall_step_us=%.4f\n"
               "small_gflops=%.4f\n", rows, step_flops, el / steps * 1e6,
               step_flops * steps / el * 1e-9);
        printf("small_checksum=%.6g\n", dW1[0] + dw2[0]);
        free(X); free(W1); free(w2); free(Z); free(f); free(dW1); free(dw2); free(dZ);
    }
    free(A);
    free(B);
    free(C);
    free(t);
    return 0;
}
