/* fuzz_sweep_merge.c — libFuzzer target: a shard's runs.csv as `hetpref
 * merge DIR... -o OUT` reads it (sweep_merge, sweep.h), for the fixed sweep
 * of sweepfix.h.
 *
 * Properties: a failure is an input error; a merge that succeeds writes
 * rows whose cell, replicate and seed are the task's own, and merging its
 * output again gives byte-identical runs.csv and summary.csv. */
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "fsutil.h"
#include "fuzzutil.h"
#include "sweepfix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char dir[4200], out[4200], path[4300];
    fuzz_path(dir, sizeof dir, "shard");
    fuzz_path(out, sizeof out, "merged");
    FUZZ_CHECK(fsutil_mkdirs(dir) == PREF_OK, "mkdir %s", dir);
    const cfg *c = sweepfix_cfg();
    snprintf(path, sizeof path, "%s/config.ini", dir);
    FILE *f = fopen(path, "wb");
    FUZZ_CHECK(f && cfg_write(c, f) == PREF_OK && fclose(f) == 0, "%s", path);
    snprintf(path, sizeof path, "%s/runs.csv", dir);
    fuzz_write(path, data, size);
    const char *dirs[] = {dir};
    int st = sweep_merge(dirs, 1, out, sweepfix_tasks());
    if (st) { /* a row names its line; a missing task is about all shards */
        const char *msg = pref_last_error();
        if (strncmp(msg, "merge: task ", 12) != 0)
            fuzz_check_input_error(st, path);
        FUZZ_CHECK(st == PREF_EINPUT, "status %d: %s", st, msg);
        return 0;
    }
    snprintf(path, sizeof path, "%s/runs.csv", out);
    sweepfix_check_runs(path);
    sweepfix_check_remerge(out);
    return 0;
}
