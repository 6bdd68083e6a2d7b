/* cli_prov.h — provenance for the command front ends: writing config.ini
 * with its [provenance] section (prov.h), and `COMMAND --config
 * DIR/config.ini [-o OUT]`, which checks the recorded inputs and reruns the
 * recorded command. */
#ifndef HETPREF_CLI_PROV_H
#define HETPREF_CLI_PROV_H

#include <stddef.h>
#include <stdio.h>

#include "cfg.h"

/* When argv (argv[1] == cmd) holds --config FILE: load FILE, check that
 * its recorded command is cmd and its inputs are unchanged, and return
 * run(recorded argv + "-o OUT"), where OUT is the -o given with --config
 * or else FILE's directory. Any other option beside --config and -o is a
 * usage error (exit 2). Returns -1 when there is no --config (the caller
 * goes on), else the exit status. */
int cli_rerun(const char *cmd, int argc, char **argv,
              int (*run)(int argc, char **argv));

/* Write dir/config.ini atomically: the keys of c for which keep (may be
 * NULL: all) says yes, and [provenance] recording argv and the n_inputs
 * files inputs (NULL entries skipped). PREF_OK or an error code. */
int cli_write_config(const cfg *c, int argc, char **argv,
                     const char *const *inputs, size_t n_inputs,
                     int (*keep)(int key, void *ctx), void *ctx,
                     const char *dir);

/* The same, with notes(f, nctx) (may be NULL) writing INI comment lines at
 * the head of the file: settings that are not configuration keys, for the
 * record (a rerun takes them from the recorded command). */
int cli_write_config_notes(const cfg *c, int argc, char **argv,
                           const char *const *inputs, size_t n_inputs,
                           int (*keep)(int key, void *ctx), void *ctx,
                           void (*notes)(FILE *f, const void *nctx),
                           const void *nctx, const char *dir);

#endif
