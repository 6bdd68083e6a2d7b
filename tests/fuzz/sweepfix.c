/* sweepfix.c — the fixed sweep of the sweep fuzz targets (sweepfix.h). */
#include "sweepfix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fuzzutil.h"
#include "rngs.h"

static const char config_text[] =
    "[run]\nseed = 7\n[sweep]\ntask = calibration\nreplicates = 2\n"
    "design.m = 3 | 4\n";

static int stand_in(const cfg *c, gsl_rng *data, gsl_rng *rng, double *met)
{
    (void)data; /* the stand-in simulates nothing */
    met[0] = gsl_rng_uniform(rng);
    met[1] = (double)c->design_m;
    return PREF_OK;
}

static const char *const metrics[] = {"u", "m"};
static const sweep_task task = {"calibration", 2, metrics, NULL, stand_in};
static const sweep_task_table table = {&task, 1};

const cfg *sweepfix_cfg(void)
{
    static cfg c;
    static int loaded;
    if (!loaded) {
        char path[4200];
        fuzz_path(path, sizeof path, "sweep.ini");
        fuzz_write(path, (const uint8_t *)config_text, sizeof config_text - 1);
        cfg_init(&c);
        FUZZ_CHECK(cfg_load(&c, path) == PREF_OK, "%s", pref_last_error());
        loaded = 1;
    }
    return &c;
}

const sweep_task_table *sweepfix_tasks(void)
{
    return &table;
}

void sweepfix_check_runs(const char *runs_csv)
{
    char *text = fuzz_slurp(runs_csv, NULL);
    FUZZ_CHECK(text, "%s missing", runs_csv);
    char *line = strchr(text, '\n'); /* after the header */
    while (line && line[1]) {
        size_t t, cell, rep;
        unsigned long seed;
        FUZZ_CHECK(sscanf(line + 1, "%zu,%zu,%zu,%*[^,],%lu", &t, &cell, &rep,
                          &seed) == 4, "runs.csv row: %.60s", line + 1);
        FUZZ_CHECK(t < 4 && cell == t / 2 && rep == t % 2,
                   "task %zu is cell %zu replicate %zu", t, cell, rep);
        FUZZ_CHECK(seed == rngs_seed(7, cell, rep), "task %zu: runs.csv says "
                   "seed %lu, it runs with seed %lu", t, seed,
                   rngs_seed(7, cell, rep));
        line = strchr(line + 1, '\n');
    }
    free(text);
}

void sweepfix_check_remerge(const char *dir)
{
    char out[4200], a[4300], b[4300];
    fuzz_path(out, sizeof out, "remerge");
    const char *dirs[] = {dir};
    int st = sweep_merge(dirs, 1, out, &table);
    FUZZ_CHECK(st == PREF_OK, "a sweep's own output does not merge: %s",
               pref_last_error());
    static const char *const files[] = {"runs.csv", "summary.csv"};
    for (int i = 0; i < 2; i++) {
        snprintf(a, sizeof a, "%s/%s", dir, files[i]);
        snprintf(b, sizeof b, "%s/%s", out, files[i]);
        size_t na, nb;
        char *x = fuzz_slurp(a, &na), *y = fuzz_slurp(b, &nb);
        FUZZ_CHECK(x && y && na == nb && memcmp(x, y, na) == 0,
                   "%s merged again differs", files[i]);
        free(x);
        free(y);
    }
}
