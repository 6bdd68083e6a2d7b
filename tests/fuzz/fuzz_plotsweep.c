/* fuzz_plotsweep.c — libFuzzer target: a sweep's summary.csv as `hetpref
 * plot DIR` reads and draws it (plotsweep_read, plotsweep_resolve and
 * plotsweep_draw of every metric, plotsweep.h), with gnuplot absent (only
 * the .gp scripts are written).
 *
 * Properties: a failure to read is an input error naming the file; a table
 * that reads has distinct metrics (at least one) and distinct keys, and
 * reads again to the same metrics and keys; the default options resolve
 * (or, without a swept key, fail with an input error); every metric is
 * drawn into a .gp file of its own (no two metrics share a file). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fsutil.h"
#include "fuzzutil.h"
#include "plotsweep.h"

static void check_same(const plotsweep_table *a, const plotsweep_table *b)
{
    FUZZ_CHECK(plotsweep_n_metrics(a) == plotsweep_n_metrics(b) &&
                   plotsweep_n_keys(a) == plotsweep_n_keys(b),
               "re-read: other counts");
    for (size_t i = 0; i < plotsweep_n_metrics(a); i++)
        FUZZ_CHECK(!strcmp(plotsweep_metric(a, i), plotsweep_metric(b, i)),
                   "re-read: metric %zu differs", i);
    for (size_t j = 0; j < plotsweep_n_keys(a); j++)
        FUZZ_CHECK(!strcmp(plotsweep_key(a, j), plotsweep_key(b, j)) &&
                       plotsweep_key_numeric(a, j) == plotsweep_key_numeric(b, j),
                   "re-read: key %zu differs", j);
}

static void check_distinct(const plotsweep_table *t)
{
    size_t m = plotsweep_n_metrics(t), n = plotsweep_n_keys(t);
    FUZZ_CHECK(m >= 1, "no metric");
    for (size_t i = 0; i < m; i++)
        for (size_t k = i + 1; k < m; k++)
            FUZZ_CHECK(strcmp(plotsweep_metric(t, i), plotsweep_metric(t, k)),
                       "metric %zu repeated", i + 1);
    for (size_t i = 0; i < n; i++)
        for (size_t k = i + 1; k < n; k++)
            FUZZ_CHECK(strcmp(plotsweep_key(t, i), plotsweep_key(t, k)),
                       "key '%s' repeated", plotsweep_key(t, i));
}

/* The .gp files in dir, removing every file. */
static size_t count_gp(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) abort();
    size_t n = 0;
    struct dirent *de;
    char p[8400];
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        size_t len = strlen(de->d_name);
        n += len > 3 && !strcmp(de->d_name + len - 3, ".gp");
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        remove(p);
    }
    closedir(d);
    return n;
}

static void draw_all(const plotsweep_table *t)
{
    char out[4200];
    fuzz_path(out, sizeof out, "plots");
    FUZZ_CHECK(fsutil_mkdirs(out) == PREF_OK, "mkdir %s", out);
    plotsweep_opts o;
    plotsweep_opts_init(&o);
    int st = plotsweep_resolve(t, &o);
    if (st) {
        FUZZ_CHECK(st == PREF_EINPUT && plotsweep_n_keys(t) == 0,
                   "default options refused: %s", pref_last_error());
        return;
    }
    size_t m = plotsweep_n_metrics(t);
    for (size_t k = 0; k < m; k++) {
        st = plotsweep_draw(t, &o, plotsweep_metric(t, k), out, NULL);
        FUZZ_CHECK(st == PREF_OK, "draw %s: %s", plotsweep_metric(t, k),
                   pref_last_error());
    }
    size_t n = count_gp(out);
    FUZZ_CHECK(n == m, "%zu metrics drawn into %zu .gp files", m, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int once;
    if (!once++) setenv("HETPREF_GNUPLOT", "/nonexistent/gnuplot", 1);
    char path[4200];
    fuzz_input(path, sizeof path, "summary.csv", data, size);
    plotsweep_table *t = NULL;
    int st = plotsweep_read(path, &t);
    if (fuzz_read_failed(st, t, path)) return 0;
    check_distinct(t);
    plotsweep_table *b = NULL;
    st = plotsweep_read(path, &b);
    FUZZ_CHECK(st == PREF_OK, "the same file does not read again: %s",
               pref_last_error());
    check_same(t, b);
    plotsweep_table_free(b);
    draw_all(t);
    plotsweep_table_free(t);
    return 0;
}
