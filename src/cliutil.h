/* cliutil.h — small helpers shared by the command-line front ends (cli.c,
 * cli_mmra.c): error printing with the exit-status convention, usage
 * errors, "--name value" / "--name=value" option matching, and parsing of
 * option values (integers, numbers, per-type number lists). Not here: any
 * command. */
#ifndef HETPREF_CLIUTIL_H
#define HETPREF_CLIUTIL_H

#include <stddef.h>

#include "truthio.h"

/* Print "hetpref: <last error message>" and return the exit status for
 * code (pref_exit_status). */
int cli_fail(int code);

/* Print "hetpref: CMD: " fmt (with one string argument) and a pointer to
 * `hetpref CMD --help`; return 2. */
int cli_usage_error(const char *cmd, const char *fmt, const char *arg);

/* If argv[*i] is the option name ("--name value" or "--name=value"),
 * return its value and advance *i past a separate value; else NULL. When
 * the option is present without a value, return NULL and set *missing. */
const char *cli_opt_value(int argc, char **argv, int *i, const char *name,
                          int *missing);

/* Parse a whole-string decimal long in [lo, hi]. 0 on success, -1 else. */
int cli_parse_long(const char *s, long lo, long hi, long *out);

/* The same for long long. 0 on success, -1 else (*out untouched). */
int cli_parse_llong(const char *s, long long lo, long long hi, long long *out);

/* A finite decimal number filling all of s (no hex, no inf/nan). Returns 0
 * and *out, or -1 (not a number) or -2 (not finite / out of range); *out is
 * untouched on error. */
int cli_parse_number(const char *s, double *out);

/* The comma-separated list s of exactly n numbers, one per type, for the
 * option flag (e.g. "--weights"), into out (n). positive: every entry > 0;
 * else every entry >= 0 and their sum > 0. rule (e.g. "regret weights
 * must be > 0") is quoted when an entry is out of range; what says where n
 * comes from (e.g. "R.csv has 3 types"). Every entry is checked, only the
 * first n are stored. Returns PREF_OK, or PREF_EINPUT with a message naming
 * flag and the entry (an entry of 128 bytes or more is "too long"). */
int cli_parse_weights(const char *flag, const char *s, size_t n, int positive,
                      const char *rule, const char *what, double *out);

/* The truth file of a fit to data: given (--truth) when not NULL, else
 * truth.csv beside data when that exists. On PREF_OK *t is the truth (free
 * with truthio_truth_free) or NULL when there is no file, and path (n
 * bytes) names the file used. A file that cannot be read is the user's
 * input: PREF_EINPUT (also for a malformed file), or PREF_ENOMEM. */
int cli_truth_read(const char *given, const char *data, char *path, size_t n,
                   truthio_truth **t);

#endif
