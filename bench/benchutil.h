/* benchutil.h — the small helpers the C benchmarks share: a monotonic clock,
 * user CPU time, a qsort comparator for doubles and the fixed LCG fill that makes
 * bench/dgemm_peak.c and bench/bench_nn.c time the same numbers. Header
 * only (static inline functions): dgemm_peak.c is compiled on its own by
 * run_emdpo.sh, against whichever CBLAS is being measured. */
#ifndef HETPREF_BENCHUTIL_H
#define HETPREF_BENCHUTIL_H

#include <stddef.h>
#include <sys/resource.h>
#include <time.h>

/* Seconds on CLOCK_MONOTONIC. */
static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* User CPU seconds of the whole process, all threads (getrusage): the
 * per-core measure on a shared machine, where wall time depends on the
 * neighbours. */
static inline double bench_user_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec;
}

/* qsort comparator: ascending doubles. */
static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* a[0..n) = values in [-0.5, 0.5) from the LCG state *s (advanced). */
static inline void bench_fill(double *a, size_t n, unsigned *s)
{
    for (size_t i = 0; i < n; i++) {
        *s = *s * 1103515245u + 12345u;
        a[i] = (double)(*s >> 8) / (double)(1u << 24) - 0.5;
    }
}

#endif
