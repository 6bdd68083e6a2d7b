/* cliutil.c — shared command-line helpers (see cliutil.h). */
#include "cliutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

int cli_fail(int code)
{
    fprintf(stderr, "hetpref: %s\n", pref_last_error());
    const char *dbg = getenv("HETPREF_DEBUG");
    if (dbg && *dbg && *pref_error_origin())
        fprintf(stderr, "hetpref: (raised at %s)\n", pref_error_origin());
    return pref_exit_status(code);
}

int cli_usage_error(const char *cmd, const char *fmt, const char *arg)
{
    fprintf(stderr, "hetpref: %s: ", cmd);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(try 'hetpref %s --help')\n", cmd);
    return 2;
}

const char *cli_opt_value(int argc, char **argv, int *i, const char *name,
                          int *missing)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0) return NULL;
    if (a[n] == '=') return a + n + 1;
    if (a[n] != '\0') return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    return argv[++*i];
}

int cli_parse_long(const char *s, long lo, long hi, long *out)
{
    char *e;
    errno = 0;
    long v = strtol(s, &e, 10);
    if (!*s || *e || errno || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}
