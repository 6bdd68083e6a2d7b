/* cliutil.h — small helpers shared by the command-line front ends (cli.c,
 * cli_mmra.c): error printing with the exit-status convention, usage
 * errors, and "--name value" / "--name=value" option matching. Not here:
 * any command. */
#ifndef HETPREF_CLIUTIL_H
#define HETPREF_CLIUTIL_H

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

#endif
