/* fuzz_cfgset.c — libFuzzer target: command-line --set values (cfg.h),
 * applied as `hetpref simulate CONFIG --set section.key=value...` applies
 * them: split at the first '=', cfg_set_dotted, then cfg_check.
 *
 * The input is a list of --set arguments separated by NUL bytes (an argv
 * element holds any byte but NUL: newlines, ';', '[' included). Properties:
 * a failure is an input error; when every --set applies and the config
 * checks, its dump loads and dumps to the same bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "err.h"
#include "fuzzutil.h"

/* apply_set of src/cli.c: "section.key=value". */
static int apply_set(cfg *c, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq) return PREF_EINPUT;
    char key[256];
    snprintf(key, sizeof key, "%.*s", (int)(eq - kv), kv);
    return cfg_set_dotted(c, key, eq + 1, "--set", 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static cfg c; /* a few KB: not on the stack */
    char *args = malloc(size + 1);
    if (!args) abort();
    memcpy(args, data, size);
    args[size] = 0;
    cfg_init(&c);
    int st = PREF_OK;
    for (size_t i = 0; !st && i <= size; i += strlen(args + i) + 1)
        if (args[i]) st = apply_set(&c, args + i);
    if (!st) st = cfg_check(&c);
    free(args);
    if (st) {
        FUZZ_CHECK(st == PREF_EINPUT, "status %d, not an input error: %s", st,
                   pref_last_error());
        return 0;
    }
    fuzz_check_cfg_roundtrip(&c);
    return 0;
}
