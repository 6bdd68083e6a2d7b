/* fuzz_cfg.c — libFuzzer target: the INI config parser (cfg.h, iniread.h),
 * as `hetpref simulate/sweep/identify CONFIG` load it.
 *
 * Properties: a failure is an input error naming the file; for any config
 * that loads, its dump (cfg_write, the config.ini every run writes) loads
 * and dumps to the same bytes. */
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "err.h"
#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static cfg c; /* a few KB: not on the stack */
    char path[4200];
    fuzz_path(path, sizeof path, "config.ini");
    fuzz_write(path, data, size);
    cfg_init(&c);
    int st = cfg_load(&c, path);
    if (st) {
        fuzz_check_input_error(st, path);
        return 0;
    }
    fuzz_check_cfg_roundtrip(&c);
    return 0;
}
