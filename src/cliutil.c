/* cliutil.c — shared command-line helpers (see cliutil.h). */
#include "cliutil.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fsutil.h"
#include "numparse.h"

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

int cli_parse_llong(const char *s, long long lo, long long hi, long long *out)
{
    char *e;
    errno = 0;
    long long v = strtoll(s, &e, 10);
    if (!*s || *e || errno || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

/* strtoll over the long range reports ERANGE exactly where strtol would
 * (outside [LONG_MIN, LONG_MAX], hence outside [lo, hi] too). */
int cli_parse_long(const char *s, long lo, long hi, long *out)
{
    long long v;
    if (cli_parse_llong(s, lo, hi, &v)) return -1;
    *out = (long)v;
    return 0;
}

int cli_parse_number(const char *s, double *out)
{
    return numparse_double(s, strlen(s), out);
}

/* Entry k (1-based) of flag's list: tok parsed into *v and range-checked. */
static int parse_entry(const char *flag, size_t k, const char *tok,
                       int positive, const char *rule, double *v)
{
    int r = cli_parse_number(tok, v);
    if (r == -1)
        PREF_ERROR(PREF_EINPUT, "%s: entry %zu: not a number: '%s'", flag, k,
                   tok);
    if (r == -2)
        PREF_ERROR(PREF_EINPUT, "%s: entry %zu: not finite: '%s'", flag, k,
                   tok);
    if (positive ? !(*v > 0) : *v < 0)
        PREF_ERROR(PREF_EINPUT, "%s: entry %zu is %s: '%s' (%s)", flag, k,
                   positive ? "not positive" : "negative", tok, rule);
    return PREF_OK;
}

int cli_parse_weights(const char *flag, const char *s, size_t n, int positive,
                      const char *rule, const char *what, double *out)
{
    size_t k = 0;
    for (const char *p = s;;) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        char tok[128];
        if (len >= sizeof tok)
            PREF_ERROR(PREF_EINPUT, "%s: entry %zu is too long", flag, k + 1);
        memcpy(tok, p, len);
        tok[len] = '\0';
        double v = 0;
        PREF_TRY(parse_entry(flag, k + 1, tok, positive, rule, &v));
        if (k < n) out[k] = v;
        k++;
        if (!c) break;
        p = c + 1;
    }
    if (k != n)
        PREF_ERROR(PREF_EINPUT, "%s: %zu values for %zu types (%s)", flag, k,
                   n, what);
    if (!positive) {
        double sum = 0;
        for (size_t i = 0; i < n; i++) sum += out[i];
        if (!(sum > 0)) PREF_ERROR(PREF_EINPUT, "%s: all zero", flag);
    }
    return PREF_OK;
}

int cli_truth_read(const char *given, const char *data, char *path, size_t n,
                   truthio_truth **t)
{
    *t = NULL;
    const char *slash = strrchr(data, '/');
    if (given)
        snprintf(path, n, "%s", given);
    else
        snprintf(path, n, "%.*struth.csv", slash ? (int)(slash - data + 1) : 0, data);
    if (!given && !fsutil_exists(path)) return PREF_OK;
    int st = truthio_read(path, t);
    if (st == PREF_EIO) { /* a truth file we cannot open is the user's input */
        char why[512];
        snprintf(why, sizeof why, "%s", pref_last_error());
        st = pref_set_error(PREF_EINPUT, "%s", why);
    }
    return st;
}
