/* fuzz_sweep_journal.c — libFuzzer target: the sweep journal as `hetpref
 * sweep CONFIG --resume` reads it (sweep_run, sweep.h), for the fixed sweep
 * of sweepfix.h (one thread).
 *
 * Properties: a failure is an input error naming the journal; a resumed
 * sweep that succeeds writes rows whose cell, replicate and seed are the
 * task's own, and its output merges to byte-identical tables. */
#include <stdio.h>

#include "err.h"
#include "fsutil.h"
#include "fuzzutil.h"
#include "sweepfix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char dir[4200], path[4300];
    fuzz_path(dir, sizeof dir, "sweep");
    FUZZ_CHECK(fsutil_mkdirs(dir) == PREF_OK, "mkdir %s", dir);
    const cfg *c = sweepfix_cfg();
    snprintf(path, sizeof path, "%s/config.ini", dir);
    FILE *f = fopen(path, "wb");
    FUZZ_CHECK(f && cfg_write(c, f) == PREF_OK && fclose(f) == 0, "%s", path);
    snprintf(path, sizeof path, "%s/runs.journal", dir);
    fuzz_write(path, data, size);
    sweep_params sp;
    sweep_params_init(&sp);
    sp.threads = 1;
    sp.resume = 1;
    int st = sweep_run(c, sweepfix_tasks(), dir, &sp);
    if (st) {
        fuzz_check_input_error(st, path);
        return 0;
    }
    snprintf(path, sizeof path, "%s/runs.csv", dir);
    sweepfix_check_runs(path);
    sweepfix_check_remerge(dir);
    return 0;
}
