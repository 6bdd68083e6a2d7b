/* bench_lcl.c — speed benchmark: the latent-class EM alone.
 *
 *   bench_lcl --data CSV --types K [--starts S] [--tol x] [--max-iter n]
 *             [--threads N] [--seed S] [--reps R]
 *
 * Reads CSV once (timed), then runs mix_fit_run R times (default 3) with the
 * same parameters as `hetpref fit` (mix_params_init defaults, overridden by
 * the flags) and reports the median fit time, so the EM can be compared with
 * R's flexmix timed by system.time() inside R (both without process start-up
 * or file input/output). The fit includes what `hetpref fit` computes:
 * every start, the posteriors at the best start and the standard errors.
 *
 * Output: "key=value" lines on stdout (C locale), parsed by bench/run_lcl.sh.
 * Not here: the end-to-end CLI timing (run_lcl.sh runs `hetpref fit` under
 * hyperfine) and the peer (bench/flexmix_pairs.R). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_errno.h>

#include "benchutil.h"
#include "csvio.h"
#include "data.h"
#include "err.h"
#include "mix.h"

#define BENCH_REPS_MAX 101

static int usage(void)
{
    fputs("usage: bench_lcl --data CSV --types K [--starts S] [--tol x] "
          "[--max-iter n]\n                 [--threads N] [--seed S] [--reps R]"
          " [--accelerate 0|1] [--newton 0|1]\n",
          stderr);
    return 2;
}

/* strtod/strtoul with end-pointer checks; 0 on success. */
static int parse_real(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return errno || *end || end == s;
}

static int parse_size(const char *s, unsigned long long *v)
{
    char *end;
    errno = 0;
    *v = strtoull(s, &end, 10);
    return errno || *end || end == s || s[0] == '-';
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    const char *data = NULL;
    unsigned long long K = 0, reps = 3, u;
    mix_params p;
    mix_params_init(&p);
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc) return usage();
        const char *f = argv[i], *v = argv[++i];
        double x;
        if (strcmp(f, "--data") == 0) data = v;
        else if (strcmp(f, "--tol") == 0 && !parse_real(v, &x)) p.tol = x;
        else if (parse_size(v, &u)) return usage();
        else if (strcmp(f, "--types") == 0) K = u;
        else if (strcmp(f, "--starts") == 0) p.starts = (size_t)u;
        else if (strcmp(f, "--max-iter") == 0) p.max_iter = (size_t)u;
        else if (strcmp(f, "--threads") == 0) p.threads = (int)u;
        else if (strcmp(f, "--seed") == 0) p.seed = u;
        else if (strcmp(f, "--accelerate") == 0) p.accelerate = (int)u;
        else if (strcmp(f, "--newton") == 0) p.newton = (int)u;
        else if (strcmp(f, "--reps") == 0) reps = u;
        else return usage();
    }
    if (!data || K < 1 || reps < 1 || reps > BENCH_REPS_MAX) return usage();

    data_set *ds = NULL;
    double t0 = bench_now();
    int st = csvio_read(data, &ds);
    double t_read = bench_now() - t0;
    if (st) {
        fprintf(stderr, "bench_lcl: %s\n", pref_last_error());
        return 1;
    }
    double t_fit[BENCH_REPS_MAX], u_fit[BENCH_REPS_MAX];
    mix_fit *fit = NULL;
    for (unsigned long long r = 0; !st && r < reps; r++) {
        mix_fit_free(fit);
        fit = NULL;
        double u0 = bench_user_cpu();
        t0 = bench_now();
        st = mix_fit_run(ds, (size_t)K, &p, &fit);
        t_fit[r] = bench_now() - t0;
        u_fit[r] = bench_user_cpu() - u0;
    }
    if (st) {
        fprintf(stderr, "bench_lcl: %s: %s\n", pref_strerror(st), pref_last_error());
        data_free(ds);
        return 1;
    }
    qsort(t_fit, reps, sizeof t_fit[0], bench_cmp_double);
    qsort(u_fit, reps, sizeof u_fit[0], bench_cmp_double);
    double med = reps % 2 ? t_fit[reps / 2]
                          : 0.5 * (t_fit[reps / 2 - 1] + t_fit[reps / 2]);
    double umed = reps % 2 ? u_fit[reps / 2]
                           : 0.5 * (u_fit[reps / 2 - 1] + u_fit[reps / 2]);
    printf("users=%zu\nanswers=%zu\nd=%zu\nK=%llu\nstarts=%zu\ntol=%.3g\n"
           "threads=%d\nreps=%llu\n", ds->n_users, ds->n_queries, ds->d, K,
           p.starts, p.tol, p.threads, reps);
    printf("read_s=%.6f\nfit_s_median=%.6f\nfit_s_min=%.6f\nfit_s_max=%.6f\n",
           t_read, med, t_fit[0], t_fit[reps - 1]);
    printf("fit_user_s_median=%.6f\nfit_user_s_min=%.6f\n", umed, u_fit[0]);
    printf("loglik=%.17g\niterations=%zu\nconverged=%d\nbest_hits=%zu\n"
           "empty_events=%zu\n", fit->loglik, fit->iterations, fit->converged,
           fit->best_hits, fit->empty_events);
    mix_fit_free(fit);
    data_free(ds);
    return 0;
}
