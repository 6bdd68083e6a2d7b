/* flops_peak.c — the core's measured peak rate of double-precision
 * arithmetic, so that bench/run_emdpo.sh reads the machine's peak instead of
 * assuming a number of flops per cycle (which differs between cores of one
 * vector width: Zen 4 splits a 512-bit operation in two, Zen 5 does not).
 * Both numbers are printed: the rate of a baseline x86-64 build (SSE2, no
 * FMA: hetpref's code outside the kernels it builds per x86-64 level) and
 * the core's own (-march=native).
 *
 *   gcc -O2 -o flops_peak bench/flops_peak.c                 # baseline x86-64
 *   gcc -O2 -march=native -o flops_peak_native bench/flops_peak.c   # the core's widest vectors, FMA
 *   flops_peak [seconds]
 *
 * Runs ACC independent chains acc = acc * m + a on 8-double vectors (GCC
 * vector extensions: the compiler maps them onto the widest registers the
 * build allows, SSE2 pairs in a baseline x86-64 build, 512-bit registers
 * with -march=native on an AVX-512 core; with FMA in the build it contracts
 * each chain step into one fused multiply-add) for about `seconds` of CPU
 * time (default 2), 2 flops per lane per step, and prints key=value lines:
 * lanes (doubles per register) and gflops (per core, from the process's user
 * CPU time: on a shared machine the rate is per CPU second, not per wall
 * second). No clock rate: a virtual machine's "cpu MHz" is not the rate the
 * core runs at (here it reads 2096 while the measured rates imply about
 * 3 GHz), so flops per cycle are not computed. 12 chains hide a 4-cycle
 * latency on up to 3 pipes. Not here: memory bandwidth, or transcendental
 * functions. */
#include <stdio.h>
#include <stdlib.h>

#include "benchutil.h"

/* one vector of the build's widest registers: 8, 4 or 2 doubles */
#if defined(__AVX512F__)
#define LANES 8
#elif defined(__AVX__)
#define LANES 4
#else
#define LANES 2
#endif
#define STEPS 4096 /* chain steps between clock reads */

typedef double vd __attribute__((vector_size(LANES * sizeof(double))));

/* STEPS steps of 12 independent chains held in registers (12 vectors fit
 * the 16 registers of SSE2 and AVX2); the multiplier keeps the values
 * bounded and normal (fixed point a / (1 - m)), so no denormal slows a
 * step. Returns the sum of the lanes, so that the chains stay live. */
#define ACC 12
static double run_steps(vd m, vd a, double start)
{
    vd c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11;
    vd e = a * 1e3; /* distinct starts: identical chains would be merged */
    c0 = m * start; c1 = c0 + e; c2 = c1 + e; c3 = c2 + e; c4 = c3 + e;
    c5 = c4 + e; c6 = c5 + e; c7 = c6 + e; c8 = c7 + e; c9 = c8 + e;
    c10 = c9 + e; c11 = c10 + e;
    for (int s = 0; s < STEPS; s++) {
        c0 = c0 * m + a; c1 = c1 * m + a; c2 = c2 * m + a; c3 = c3 * m + a;
        c4 = c4 * m + a; c5 = c5 * m + a; c6 = c6 * m + a; c7 = c7 * m + a;
        c8 = c8 * m + a; c9 = c9 * m + a; c10 = c10 * m + a; c11 = c11 * m + a;
        /* every chain opaque to the compiler: no folding of steps */
        __asm__ volatile("" : "+x"(c0), "+x"(c1), "+x"(c2), "+x"(c3), "+x"(c4),
                         "+x"(c5));
        __asm__ volatile("" : "+x"(c6), "+x"(c7), "+x"(c8), "+x"(c9), "+x"(c10),
                         "+x"(c11));
    }
    vd t = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;
    double sum = 0.0;
    for (int l = 0; l < LANES; l++) sum += t[l];
    return sum;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 2.0;
    if (!(secs > 0.0 && secs < 3600.0)) {
        fprintf(stderr, "usage: flops_peak [seconds in (0, 3600)]\n");
        return 2;
    }
    vd m, a;
    for (int l = 0; l < LANES; l++) {
        m[l] = 0.999999 - 1e-9 * l;
        a[l] = 1e-6;
    }
    double sum = run_steps(m, a, 0.5); /* warm-up */
    double t0 = bench_user_cpu(), t;
    unsigned long long calls = 0;
    do {
        sum += run_steps(m, a, 0.5 + 1e-3 * (double)(calls % 7));
        calls++;
        t = bench_user_cpu() - t0;
    } while (t < secs);
    double flops = (double)calls * STEPS * ACC * LANES * 2;
    printf("lanes=%d\ngflops=%.3f\ncpu_s=%.3f\nchecksum=%.6g\n", LANES,
           flops / t / 1e9, t, sum);
    return 0;
}
