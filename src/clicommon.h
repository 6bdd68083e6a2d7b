/* clicommon.h — what the command front ends share: the options of the
 * config-driven commands (simulate, sweep, identify), loading a config with
 * --set and --seed, the default output directory, reading a data file.
 * Messages go through err.h; the functions print nothing except where a
 * usage error is returned as an exit status (cli_parse_common). */
#ifndef HETPREF_CLICOMMON_H
#define HETPREF_CLICOMMON_H

#include <stddef.h>

#include "cfg.h"
#include "cli_slurm.h"
#include "data.h"

typedef struct cli_common_opts {
    const char *config, *out;
    const char *sets[64];
    int n_sets;
    long seed;        /* -1: from config */
    long threads;
    long shard_i, shard_n;
    int resume, force;
    cli_slurm_opts slurm;  /* sweep --slurm N [--submit] [--sbatch ARGS] */
} cli_common_opts;

/* Default output directory: results/<config file stem>, into buf (n). */
void cli_default_out(const char *config, char *buf, size_t n);

/* Apply "section.key=value" to c. PREF_OK or PREF_EINPUT. */
int cli_apply_set(cfg *c, const char *kv);

/* Parse the options shared by simulate, sweep (allow_sweep) and identify
 * into o. Returns -1 on success, or the exit status after printing a usage
 * error. */
int cli_parse_common(const char *cmd, int argc, char **argv,
                     cli_common_opts *o, int allow_sweep);

/* Load o->config into c, apply --set and --seed, check. PREF_OK or an
 * error code (message set). */
int cli_load_cfg(const cli_common_opts *o, cfg *c);

/* 1 when argv[2..] holds --help or -h. */
int cli_has_help(int argc, char **argv);

/* simulate and identify run one configuration: [sweep] lists would be
 * silently ignored, so they are PREF_EINPUT naming the first entry. */
int cli_refuse_sweep_lists(const cfg *c, const char *cmd);

/* Read the data file at path into *ds (free with data_free); a missing
 * file is PREF_EINPUT. */
int cli_read_data(const char *path, data_set **ds);

#endif
