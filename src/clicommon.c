/* clicommon.c — options and config loading shared by the commands (see
 * clicommon.h). */
#include "clicommon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cliutil.h"
#include "csvio.h"
#include "err.h"
#include "fsutil.h"

/* Default output directory: results/<config file stem>. */
void cli_default_out(const char *config, char *buf, size_t n)
{
    const char *b = strrchr(config, '/');
    b = b ? b + 1 : config;
    size_t len = strlen(b);
    if (len > 4 && strcmp(b + len - 4, ".ini") == 0) len -= 4;
    snprintf(buf, n, "results/%.*s", (int)len, b);
}

/* Apply "section.key=value". */
int cli_apply_set(cfg *c, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq)
        PREF_ERROR(PREF_EINPUT, "--set %s: expected section.key=value", kv);
    char key[256];
    snprintf(key, sizeof key, "%.*s", (int)(eq - kv), kv);
    return cfg_set_dotted(c, key, eq + 1, "--set", 0);
}


/* Parse the options shared by simulate and sweep. Returns -1 on success or an
 * exit status. */
int cli_parse_common(const char *cmd, int argc, char **argv, cli_common_opts *o,
                        int allow_sweep)
{
    memset(o, 0, sizeof *o);
    o->seed = -1;
    o->shard_i = o->shard_n = 1;
    for (int i = 2; i < argc; i++) {
        int missing = 0;
        const char *v;
        if ((v = cli_opt_value(argc, argv, &i, "-o", &missing))) o->out = v;
        else if ((v = cli_opt_value(argc, argv, &i, "--seed", &missing))) {
            if (cli_parse_long(v, 0, 4294967295L, &o->seed))
                return cli_usage_error(cmd, "--seed: not a seed in [0, 2^32): '%s'", v);
        } else if ((v = cli_opt_value(argc, argv, &i, "--set", &missing))) {
            if (o->n_sets == 64) return cli_usage_error(cmd, "too many --set%s", "");
            o->sets[o->n_sets++] = v;
        } else if (allow_sweep && (v = cli_opt_value(argc, argv, &i, "--threads", &missing))) {
            if (cli_parse_long(v, 1, 4096, &o->threads))
                return cli_usage_error(cmd, "--threads: expected 1..4096, got '%s'", v);
        } else if (allow_sweep && (v = cli_opt_value(argc, argv, &i, "--shard", &missing))) {
            char *e;
            long a = strtol(v, &e, 10), b = 0;
            if (*e == '/') b = strtol(e + 1, &e, 10);
            if (*e || a < 1 || b < 1 || a > b || b > 1000000)
                return cli_usage_error(cmd, "--shard: expected I/N with 1 <= I <= N, "
                                   "got '%s'", v);
            o->shard_i = a;
            o->shard_n = b;
        } else if (allow_sweep && strcmp(argv[i], "--resume") == 0) {
            o->resume = 1;
        } else if (allow_sweep && strcmp(argv[i], "--force") == 0) {
            o->force = 1;
        } else if (allow_sweep && (v = cli_opt_value(argc, argv, &i, "--slurm", &missing))) {
            if (cli_parse_long(v, 1, 1024, &o->slurm.n))
                return cli_usage_error(cmd, "--slurm: expected a shard count "
                                       "1..1024, got '%s'", v);
        } else if (allow_sweep && (v = cli_opt_value(argc, argv, &i, "--sbatch", &missing))) {
            o->slurm.sbatch = v;
        } else if (allow_sweep && strcmp(argv[i], "--submit") == 0) {
            o->slurm.submit = 1;
        } else if (missing) {
            return cli_usage_error(cmd, "%s needs a value", argv[i]);
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage_error(cmd, "unknown option '%s'", argv[i]);
        } else if (!o->config) {
            o->config = argv[i];
        } else {
            return cli_usage_error(cmd, "unexpected argument '%s'", argv[i]);
        }
    }
    if (!o->config) return cli_usage_error(cmd, "missing CONFIG%s", "");
    if (!o->slurm.n && (o->slurm.submit || o->slurm.sbatch))
        return cli_usage_error(cmd, "--submit and --sbatch need --slurm N%s", "");
    if (o->slurm.n && o->threads)
        return cli_usage_error(cmd, "--threads: with --slurm each task uses its "
                               "SLURM_CPUS_PER_TASK (set it with --sbatch "
                               "'--cpus-per-task=N')%s", "");
    if (o->slurm.n && o->shard_n > 1)
        return cli_usage_error(cmd, "--slurm N makes its own shards: drop "
                               "--shard%s", "");
    o->slurm.resume = o->resume;
    o->slurm.force = o->force;
    o->slurm.argv0 = argv[0];
    return -1;
}

/* Load CONFIG, apply --set and --seed, check. */
int cli_load_cfg(const cli_common_opts *o, cfg *c)
{
    cfg_init(c);
    PREF_TRY(cfg_load(c, o->config));
    for (int i = 0; i < o->n_sets; i++) PREF_TRY(cli_apply_set(c, o->sets[i]));
    if (o->seed >= 0) {
        char buf[32];
        snprintf(buf, sizeof buf, "%ld", o->seed);
        PREF_TRY(cfg_set(c, "run", "seed", buf, "--seed", 0));
    }
    return cfg_check(c);
}

int cli_has_help(int argc, char **argv)
{
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return 1;
    return 0;
}

/* simulate and identify run one configuration: [sweep] lists would be
 * silently ignored, so they are an input error naming the first entry. */
int cli_refuse_sweep_lists(const cfg *c, const char *cmd)
{
    if (c->sweep.n == 0) return PREF_OK;
    const cfg_entry *e = &c->sweep.e[0];
    char where[4200];
    if (e->line > 0) snprintf(where, sizeof where, "%s:%d: ", c->file, e->line);
    else snprintf(where, sizeof where, "%s: ", c->file[0] ? c->file : "config");
    PREF_ERROR(PREF_EINPUT, "%s[sweep] %s: %s runs one configuration and does "
               "not read [sweep] lists; run them with 'hetpref sweep', or "
               "remove the [sweep] entries", where, cfg_key_name(e->key), cmd);
}

/* Read a data file; a path that does not exist is an input error (exit 2),
 * like any other problem with what the user gave us. */
int cli_read_data(const char *path, data_set **ds)
{
    if (!fsutil_exists(path))
        PREF_ERROR(PREF_EINPUT, "%s: cannot open: no such file", path);
    return csvio_read(path, ds);
}
