/* bench_data.c — data benchmark: simulate, write and read preference
 * data at scale.
 *
 *   bench_data gen  [-n USERS] [-T T] [--reps R] [-o CSV]
 *   bench_data read CSV
 *
 * gen simulates USERS users (default 10^6) answering T (default 8) top-1-of-3
 * queries with d = 8 features, from a three-type latent-class population
 * (cfg_init + cfg_set_dotted, the same path as `hetpref simulate`). It times
 * sim_simulate R times (default 3) in memory and reports the median answers
 * per second, in all and per thread (OMP_NUM_THREADS sets the threads), then
 * writes the last data set once with csvio_write and reports MB/s (bytes of
 * the file / seconds; MB = 10^6 bytes). csvio_write does not fsync, so this
 * is formatting plus write(2) into the page cache, not disk bandwidth.
 *
 * read parses CSV with csvio_read and reports MB/s, data_raw_bytes of the
 * data set read, and the peak resident set of this process (getrusage
 * ru_maxrss), so it must run in its own process, after gen.
 *
 * Output: "key=value" lines on stdout (numbers only, C locale), meant to be
 * parsed by bench/run_data.sh. Not here: the peers (run_data.sh runs them),
 * repeated reads (run_data.sh repeats this program). */
#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include <gsl/gsl_errno.h>

#include "benchutil.h"
#include "cfg.h"
#include "csvio.h"
#include "data.h"
#include "err.h"
#include "rngs.h"
#include "sim.h"

#define BENCH_REPS_MAX 101

/* The benchmark population: three latent types in d = 8 ("high entropy"
 * values, none special). The same numbers are in bench/lcl_top1.ini. */
static const char *const bench_keys[][2] = {
    {"run.seed", "20260201"},
    {"population.kind", "latent_class"},
    {"population.types", "3"},
    {"population.eta", "0.5, 0.3, 0.2"},
    {"population.theta",
     "1.2, -0.8, 0.5, 0.3, -1.1, 0.7, 0.2, -0.4;"
     "-0.9, 1.1, -0.3, 0.6, 0.8, -0.5, 1.0, 0.1;"
     "0.4, 0.3, -1.2, -0.7, 0.2, 1.3, -0.6, 0.9"},
    {"design.d", "8"},
    {"design.m", "3"},
    {"design.answer", "top1"},
};

/* Median of v[0..n) (sorts v). */
static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, bench_cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static int usage(void)
{
    fputs("usage: bench_data gen [-n USERS] [-T T] [--reps R] [-o CSV]\n"
          "       bench_data read CSV\n", stderr);
    return 2;
}

static int die(int st)
{
    fprintf(stderr, "bench_data: %s: %s\n", pref_strerror(st), pref_last_error());
    return 1;
}

/* Parse a positive integer option value, or return 0 on error. */
static long parse_pos(const char *s)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    return (errno || *end || v < 1) ? 0 : v;
}

static int cmd_gen(int argc, char **argv)
{
    long users = 1000000, T = 8, reps = 3;
    const char *out = NULL;
    for (int i = 2; i < argc; i++) {
        if (i + 1 >= argc) return usage();
        if (strcmp(argv[i], "-n") == 0) users = parse_pos(argv[++i]);
        else if (strcmp(argv[i], "-T") == 0) T = parse_pos(argv[++i]);
        else if (strcmp(argv[i], "--reps") == 0) reps = parse_pos(argv[++i]);
        else if (strcmp(argv[i], "-o") == 0) out = argv[++i];
        else return usage();
    }
    if (!users || !T || !reps || reps > BENCH_REPS_MAX) return usage();

    cfg *c = malloc(sizeof *c);
    if (!c) return die(pref_set_error(PREF_ENOMEM, "out of memory"));
    cfg_init(c);
    char buf[64];
    int st = PREF_OK;
    for (size_t k = 0; !st && k < sizeof bench_keys / sizeof bench_keys[0]; k++)
        st = cfg_set_dotted(c, bench_keys[k][0], bench_keys[k][1], "bench", 0);
    snprintf(buf, sizeof buf, "%ld", users);
    if (!st) st = cfg_set_dotted(c, "design.users", buf, "bench", 0);
    snprintf(buf, sizeof buf, "%ld", T);
    if (!st) st = cfg_set_dotted(c, "design.T", buf, "bench", 0);
    if (!st) st = cfg_check(c);

    sim_population *pop = NULL;
    sim_design *g = NULL;
    data_set *ds = NULL;
    gsl_rng *rng = NULL;
    uint64_t master = (uint64_t)c->run_seed;
    if (!st) st = sim_population_from_cfg(c, &pop);
    if (!st && !(rng = rngs_alloc(rngs_seed(master, 0, 0))))
        st = pref_set_error(PREF_ENOMEM, "out of memory");
    if (!st) st = sim_design_from_cfg(c, rng, &g);

    /* Generation in memory: R repetitions, the median reported. Each
     * repetition allocates (and first-touches) the whole data set, as
     * `hetpref simulate` does; the previous one is freed first. */
    double t_gen[BENCH_REPS_MAX];
    for (long rep = 0; !st && rep < reps; rep++) {
        data_free(ds);
        ds = NULL;
        double t0 = bench_now();
        st = sim_simulate(pop, g, rngs_seed(master, 0, 1), &ds);
        t_gen[rep] = bench_now() - t0;
    }
    if (st) goto done;
    int threads = omp_get_max_threads();
    double answers = (double)ds->n_queries;
    double t_min = t_gen[0], t_max = t_gen[0];
    for (long rep = 1; rep < reps; rep++) {
        if (t_gen[rep] < t_min) t_min = t_gen[rep];
        if (t_gen[rep] > t_max) t_max = t_gen[rep];
    }
    double t_med = median(t_gen, (size_t)reps);
    printf("users=%zu\nT=%ld\nd=%zu\nm=3\nanswers=%.0f\nthreads=%d\nreps=%ld\n",
           ds->n_users, T, ds->d, answers, threads, reps);
    printf("gen_s_median=%.6f\ngen_s_min=%.6f\ngen_s_max=%.6f\n", t_med, t_min, t_max);
    printf("answers_per_s=%.6g\nanswers_per_s_per_thread=%.6g\n",
           answers / t_med, answers / t_med / threads);
    printf("raw_bytes=%zu\n", data_raw_bytes(ds));
    fflush(stdout);

    if (out) {
        double t0 = bench_now();
        st = csvio_write(out, ds);
        double t_w = bench_now() - t0;
        struct stat sb;
        if (!st && stat(out, &sb) != 0)
            st = pref_set_error(PREF_EIO, "%s: %s", out, strerror(errno));
        if (!st)
            printf("write_s=%.6f\ncsv_bytes=%lld\nwrite_MBps=%.6g\n", t_w,
                   (long long)sb.st_size, (double)sb.st_size / t_w / 1e6);
    }
done:
    data_free(ds);
    sim_design_free(g);
    sim_population_free(pop);
    gsl_rng_free(rng);
    free(c);
    return st ? die(st) : 0;
}

static int cmd_read(int argc, char **argv)
{
    if (argc != 3) return usage();
    const char *path = argv[2];
    struct stat sb;
    if (stat(path, &sb) != 0) {
        fprintf(stderr, "bench_data: %s: %s\n", path, strerror(errno));
        return 1;
    }
    data_set *ds = NULL;
    double t0 = bench_now();
    int st = csvio_read(path, &ds);
    double t_r = bench_now() - t0;
    if (st) return die(st);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double rss = (double)ru.ru_maxrss * 1024.0; /* Linux: KiB */
    double raw = (double)data_raw_bytes(ds);
    printf("csv_bytes=%lld\nread_s=%.6f\nread_MBps=%.6g\n", (long long)sb.st_size,
           t_r, (double)sb.st_size / t_r / 1e6);
    printf("users=%zu\nanswers=%zu\nraw_bytes=%.0f\nmaxrss_bytes=%.0f\n"
           "rss_over_raw=%.4f\n", ds->n_users, ds->n_queries, raw, rss, rss / raw);
    data_free(ds);
    return 0;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    if (argc < 2) return usage();
    if (strcmp(argv[1], "gen") == 0) return cmd_gen(argc, argv);
    if (strcmp(argv[1], "read") == 0) return cmd_read(argc, argv);
    return usage();
}
