/* cli_npmle.h — `hetpref fit --model npmle`: the whole mixing
 * distribution on a grid (npmle.h). The fit command (cli.c) parses and
 * scope-checks the flags and reads the data; this file checks the grid
 * against the data and the machine's memory, reads the truth, runs the fit
 * and writes grid.csv, fit.csv and config.ini. */
#ifndef HETPREF_CLI_NPMLE_H
#define HETPREF_CLI_NPMLE_H

#include "cfg.h"
#include "data.h"

/* Fit the grid NPMLE of c's [npmle] keys to ds (read from the file data)
 * and write DIR out. truth: --truth, or NULL (then truth.csv beside data,
 * if any). threads: 0 for the default. Everything the user gave is checked
 * before anything is written. Returns PREF_OK, PREF_EINPUT (a grid that is
 * not n^d, a grid too large for memory, a --truth that cannot be compared),
 * PREF_ENOMEM, PREF_ENUM, PREF_ELP or PREF_EIO. */
int cli_fit_npmle(const cfg *c, const data_set *ds, const char *data,
                  const char *truth, const char *out, long threads);

/* The --help paragraph of the model. */
extern const char cli_npmle_help[];

#endif
