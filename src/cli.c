/* cli.c — command dispatch and option parsing (see cli.h). */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "cfg.h"
#include "csvio.h"
#include "data.h"
#include "err.h"
#include "eval.h"
#include "fitdiag.h"
#include "fitout.h"
#include "fsutil.h"
#include "identify_tables.h"
#include "cli_mmra.h"
#include "cli_slurm.h"
#include "cli_status.h"
#include "cli_npmle.h"
#include "cfgmap.h"
#include "cliutil.h"
#include "clicommon.h"
#include "cli_fit.h"
#include "cli_identify.h"
#include "cli_predict.h"
#include "cli_report.h"
#include "cli_plot.h"
#include "cli_prov.h"
#include "mix.h"
#include "emdpo.h"
#include "policyio.h"
#include "progress.h"
#include "prov.h"
#include "reproduce.h"
#include "rngs.h"
#include "sim.h"
#include "sweep.h"
#include "truthio.h"
#include "tasks.h"

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

static const char usage_main[] =
    "usage: hetpref COMMAND [options]\n"
    "\n"
    "Heterogeneous human preferences: simulate latent annotator types answering\n"
    "pairwise and ranked queries (Bradley-Terry / Plackett-Luce), sweep, plot.\n"
    "\n"
    "commands:\n"
    "  simulate  CONFIG [-o DIR] [--seed S] [--set section.key=value]...\n"
    "  sweep     CONFIG [-o DIR] [--threads N] [--shard I/N] [--resume | --force]\n"
    "            [--seed S] [--set section.key=value]...\n"
    "  sweep     CONFIG -o DIR --slurm N [--resume] [--submit] [--sbatch 'ARGS']\n"
    "  merge     DIR... -o DIR\n"
    "  status    DIR\n"
    "  plot      DIR [--y METRIC] [--x KEY] [--by KEY] [--logx] [--logy] [-o DIR]\n"
    "  reproduce [--quick | --full] [-o DIR] [--threads N] [--only ID] [--dry-run]\n"
    "            [--resume] [--slurm N [--submit] [--sbatch 'ARGS']]\n"
    "  fit       --data CSV --model lcl|emdpo --types K [options] [-o DIR]\n"
    "            --data CSV --model npmle --grid G [--grid-radius R] [-o DIR]\n"
    "  describe  --data CSV\n"
    "  report    DIR [--format markdown|latex]\n"
    "  predict   --estimates DIR | --policies DIR  --data CSV [-o DIR]\n"
    "  identify  CONFIG [-o DIR] [--seed S] [--set section.key=value]...\n"
    "            --data CSV [--estimates FILE | --types K] [-o DIR]\n"
    "  mmra      --regret CSV | --values CSV --weights c1,.. | --policies DIR --data CSV\n"
    "            [--solver lp|hedge] [-o DIR]\n"
    "\n"
    "  hetpref --help | --version ; hetpref COMMAND --help ; hetpref config --help\n"
    "\n"
    "exit status: 0 success, 1 runtime failure, 2 usage or input error,\n"
    "130 interrupted (Ctrl-C), 143 terminated (SIGTERM) (sweep, reproduce: finish\n"
    "with --resume). The manual: man hetpref. The model, estimators, file formats\n"
    "and this contract: doc/index.md (share/doc/hetpref/ once installed).\n";

/* ---- simulate ---------------------------------------------------------- */

static int cmd_simulate(int argc, char **argv)
{
    if (cli_has_help(argc, argv)) {
        printf("usage: hetpref simulate CONFIG [-o DIR] [--seed S] "
               "[--set section.key=value]...\n\n"
               "Simulates [design] users answering queries from [population] and "
               "writes\nDIR/prefs.csv (the long format of hetpref describe), DIR/truth.csv "
               "(type,kind,weight[,theta1..d]:\nkind linear, gaussian (one row, "
               "the mean), traits or teacher (neural: no theta\ncolumns, only "
               "the weights are true)) and DIR/config.ini (resolved config, with\n"
               "[provenance]: the command line, CONFIG's size and SHA-256, the version).\n"
               "DIR defaults to results/<config name>. A config with [sweep] "
               "lists is an error\n(use hetpref sweep). Config keys: hetpref "
               "config --help\n");
        return 0;
    }
    cli_common_opts o;
    int rc = cli_parse_common("simulate", argc, argv, &o, 0);
    if (rc >= 0) return rc;
    char outbuf[4096];
    if (!o.out) cli_default_out(o.config, outbuf, sizeof outbuf);
    const char *out = o.out ? o.out : outbuf;
    cfg *c = malloc(sizeof *c);
    if (!c) return cli_fail(pref_set_error(PREF_ENOMEM, "out of memory"));
    sim_population *pop = NULL;
    sim_design *g = NULL;
    data_set *ds = NULL;
    gsl_rng *rng = NULL;
    char path[4096];
    int st = cli_load_cfg(&o, c);
    if (!st) st = cli_refuse_sweep_lists(c, "simulate");
    uint64_t master = (uint64_t)c->run_seed;
    if (!st) st = sim_population_from_cfg(c, &pop);
    if (!st) {
        rng = rngs_alloc(rngs_seed(master, 0, 0));
        if (!rng) st = pref_set_error(PREF_ENOMEM, "out of memory");
    }
    if (!st) st = sim_design_from_cfg(c, rng, &g);
    if (!st) st = sim_simulate(pop, g, rngs_seed(master, 0, 1), &ds);
    /* Every output is written into a staging directory and committed whole. */
    static const char *const owned[] = {"prefs.csv", "truth.csv", "config.ini",
                                        NULL};
    fsutil_stage stage = {.dir = ""};
    if (!st) st = fsutil_stage_begin(&stage, out);
    if (!st) st = fsutil_join(path, sizeof path, stage.dir, "prefs.csv");
    if (!st) st = csvio_write(path, ds);
    if (!st) st = fsutil_join(path, sizeof path, stage.dir, "truth.csv");
    if (!st) st = truthio_write(pop, path);
    const char *const inputs[] = {o.config};
    if (!st) st = cli_write_config(c, argc, argv, inputs, 1, NULL, NULL, stage.dir);
    if (!st) st = fsutil_stage_commit(&stage, owned);
    fsutil_stage_abort(&stage);
    gsl_rng_free(rng);
    data_free(ds);
    sim_design_free(g);
    sim_population_free(pop);
    free(c);
    return st ? cli_fail(st) : 0;
}

/* ---- sweep / merge ------------------------------------------------------ */

/* [provenance] of a sweep, the same for all its shards and resumed runs
 * (prov.h leaves out -o, --threads, --shard, --resume, --force, --slurm,
 * --sbatch, --submit): the command and CONFIG. A CONFIG that is itself a
 * sweep's config.ini (a Slurm task's copy, a replay), run with no --seed
 * or --set, keeps the provenance it records: its results are that
 * command's, byte for byte. */
static int sweep_provenance(cfg *c, const cli_common_opts *o, int argc,
                            char **argv)
{
    const char *had = c->prov.command;
    if (had && !strncmp(had, "hetpref sweep ", 14) && o->n_sets == 0 &&
        o->seed < 0)
        return PREF_OK;
    const char *const inputs[] = {o->config};
    return prov_record(c, argc, argv, inputs, 1);
}

static int cmd_sweep(int argc, char **argv)
{
    if (cli_has_help(argc, argv)) {
        printf("usage: hetpref sweep CONFIG [-o DIR] [--threads N] [--shard I/N] "
               "[--resume | --force]\n                     [--seed S] [--set section.key=value]...\n\n"
               "Runs [sweep] task over every cell (the product of the '|' lists of "
               "its\nsection.key entries) x replicates. Writes DIR/runs.csv (one row "
               "per task),\nDIR/summary.csv (per cell and metric: n, mean, sd, 95%% "
               "CI),\nDIR/config.ini (with [provenance]: the version, the command "
               "without -o,\n--threads, --shard, --resume, --force and the Slurm "
               "options, CONFIG's size\nand SHA-256: the same for every shard)."
               "\n--threads: default all cores. --shard I/N: "
               "run tasks I, I+N, ... (merge with\n'hetpref merge'). Results are "
               "identical for any threads/shards. Ctrl-C finishes\nthe tasks in "
               "flight; --resume then skips finished tasks (and says how many).\n"
               "A DIR holding the results of a different configuration is refused "
               "(exit 2);\n--force overwrites them.\n"
               "Each task simulates its data from a data seed (runs.csv data_seed) "
               "of the\nmaster seed, the replicate and the keys that define the "
               "data only, so cells\nthat differ in [fit], [mmra] or [emdpo] keys "
               "alone (but emdpo.test_users) see the\nsame data.\n\n"
               "On a Slurm cluster: hetpref sweep CONFIG -o DIR --slurm N "
               "[--submit] [--sbatch 'ARGS']\nwrites DIR/slurm/array.sbatch (a "
               "job array of N tasks, task I running shard I/N\ninto DIR/shards/I "
               "with --threads from SLURM_CPUS_PER_TASK), DIR/slurm/merge.sbatch\n"
               "(merges the shards into DIR: the same bytes as a local run) and "
               "DIR/slurm/submit.sh\n(submits the array, then the merge with "
               "afterok; a failed or cancelled task\ncancels the merge). --submit "
               "runs submit.sh and prints the job ids (no sbatch on\nPATH: exit 2). "
               "--sbatch adds sbatch options to both jobs, e.g.\n"
               "--sbatch '--partition=short --account=lab --time=04:00:00 "
               "--cpus-per-task=8'.\n--slurm N --resume [--submit]: only the "
               "shards that did not finish, and a new\nmerge. DIR, CONFIG's copy "
               "in DIR/slurm and this binary must be on a filesystem\nshared "
               "with the compute nodes. Progress: hetpref status DIR.\n");
        return 0;
    }
    cli_common_opts o;
    int rc = cli_parse_common("sweep", argc, argv, &o, 1);
    if (rc >= 0) return rc;
    char outbuf[4096];
    if (!o.out) cli_default_out(o.config, outbuf, sizeof outbuf);
    cfg *c = malloc(sizeof *c);
    if (!c) return cli_fail(pref_set_error(PREF_ENOMEM, "out of memory"));
    int st = cli_load_cfg(&o, c);
    if (!st) st = sweep_provenance(c, &o, argc, argv);
    if (!st && o.slurm.n) {
        rc = cli_slurm_sweep(c, o.out ? o.out : outbuf, &o.slurm);
        free(c);
        return rc;
    }
    if (!st) {
        sweep_params sp;
        sweep_params_init(&sp);
        sp.threads = (int)o.threads;
        sp.shard_i = (unsigned)o.shard_i;
        sp.shard_n = (unsigned)o.shard_n;
        sp.resume = o.resume;
        sp.force = o.force;
        sp.log = stderr;
        st = sweep_run(c, tasks_table(), o.out ? o.out : outbuf, &sp);
    }
    free(c);
    return st ? cli_fail(st) : 0;
}

static int cmd_merge(int argc, char **argv)
{
    if (cli_has_help(argc, argv)) {
        printf("usage: hetpref merge DIR... -o DIR\n\nCombines the shard "
               "directories of one sweep (identical config.ini) into\none: runs.csv "
               "and summary.csv byte-identical to an unsharded run.\n");
        return 0;
    }
    const char *dirs[1024], *out = NULL;
    size_t n = 0;
    for (int i = 2; i < argc; i++) {
        int missing = 0;
        const char *v = cli_opt_value(argc, argv, &i, "-o", &missing);
        if (v) out = v;
        else if (missing) return cli_usage_error("merge", "-o needs a value%s", "");
        else if (argv[i][0] == '-') return cli_usage_error("merge", "unknown option '%s'", argv[i]);
        else if (n < 1024) dirs[n++] = argv[i];
    }
    if (!out) return cli_usage_error("merge", "missing -o DIR%s", "");
    if (!n) return cli_usage_error("merge", "no shard directories given%s", "");
    int st = sweep_merge(dirs, n, out, tasks_table());
    return st ? cli_fail(st) : 0;
}

/* ---- plot / reproduce ------------------------------------------------- */

static int cmd_reproduce(int argc, char **argv)
{
    if (cli_has_help(argc, argv)) {
        printf("usage: hetpref reproduce [--quick | --full] [-o DIR] [--threads N] "
               "[--only ID] [--resume]\n"
               "                         [--dry-run] [--slurm N [--submit] [--sbatch 'ARGS']]\n"
               "\nRuns every registered experiment: configs/<id>.ini "
               "-> DIR/results/<id>/ (CSV)\nand DIR/plots/<id>.{png,svg,gp}. --quick "
               "(default): minutes on 2 cores;\n--full: paper-sized, applying each "
               "config's [full] section. DIR defaults to '.'.\n--dry-run: "
               "validate every configuration and print the task counts, run "
               "nothing.\n--resume: after an interrupted run (Ctrl-C, exit 130), skip "
               "the experiments already done\nin this mode (results/<id>/reproduce.done) "
               "and continue the interrupted one from its\njournal; finished tasks are "
               "not run again, and the CSVs are the same bytes.\n"
               "--slurm N [--submit] [--sbatch 'ARGS'] [--resume]: write Slurm jobs "
               "into DIR/slurm/\ninstead of running: every experiment that is a "
               "plain sweep as an array of N\nshards (DIR/shards/<id>/I) and a "
               "merge job that then finishes the experiment\nand its plot; the "
               "experiments that cannot be sharded (emdpo_clusters, mmra:\ntheir "
               "tasks keep no journal) run whole, one array task each. --submit "
               "submits\nthem (DIR/slurm/submit.sh); --resume writes only what "
               "is not done. See\nhetpref sweep --help for --sbatch and the "
               "shared-filesystem requirement.\n\nexperiments:\n");
        repro_list(stdout);
        return 0;
    }
    int full = 0, dry = 0, resume = 0;
    long threads = 0;
    cli_slurm_opts so = {.argv0 = argv[0]};
    const char *out = ".", *only = NULL;
    for (int i = 2; i < argc; i++) {
        int missing = 0;
        const char *v;
        if (strcmp(argv[i], "--quick") == 0) full = 0;
        else if (strcmp(argv[i], "--full") == 0) full = 1;
        else if (strcmp(argv[i], "--dry-run") == 0) dry = 1;
        else if (strcmp(argv[i], "--resume") == 0) resume = 1;
        else if ((v = cli_opt_value(argc, argv, &i, "-o", &missing))) out = v;
        else if ((v = cli_opt_value(argc, argv, &i, "--only", &missing))) only = v;
        else if (strcmp(argv[i], "--submit") == 0) so.submit = 1;
        else if ((v = cli_opt_value(argc, argv, &i, "--sbatch", &missing))) so.sbatch = v;
        else if ((v = cli_opt_value(argc, argv, &i, "--slurm", &missing))) {
            if (cli_parse_long(v, 1, 1024, &so.n))
                return cli_usage_error("reproduce", "--slurm: expected a shard "
                                       "count 1..1024, got '%s'", v);
        }
        else if ((v = cli_opt_value(argc, argv, &i, "--threads", &missing))) {
            if (cli_parse_long(v, 1, 4096, &threads))
                return cli_usage_error("reproduce", "--threads: expected 1..4096, got '%s'", v);
        } else if (missing) return cli_usage_error("reproduce", "%s needs a value", argv[i]);
        else return cli_usage_error("reproduce", "unknown argument '%s'", argv[i]);
    }
    if (!so.n && (so.submit || so.sbatch))
        return cli_usage_error("reproduce", "--submit and --sbatch need --slurm N%s", "");
    so.resume = resume;
    if (so.n && threads)
        return cli_usage_error("reproduce", "--threads: with --slurm each task "
                               "uses its SLURM_CPUS_PER_TASK (set it with "
                               "--sbatch '--cpus-per-task=N')%s", "");
    if (so.n && !dry) return cli_slurm_reproduce(out, full, only, &so);
    int st = dry ? repro_dry_run(full, only, stdout)
                 : repro_run(out, full, (int)threads, resume, only, stderr);
    return st ? cli_fail(st) : 0;
}

int cli_main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_main, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
        strcmp(cmd, "help") == 0) {
        fputs(usage_main, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("hetpref %s\n", PACKAGE_VERSION);
        return 0;
    }
    if (strcmp(cmd, "simulate") == 0) return cmd_simulate(argc, argv);
    if (strcmp(cmd, "sweep") == 0) return cmd_sweep(argc, argv);
    if (strcmp(cmd, "merge") == 0) return cmd_merge(argc, argv);
    if (strcmp(cmd, "status") == 0) return cli_status(argc, argv);
    if (strcmp(cmd, "plot") == 0) return cli_plot(argc, argv);
    if (strcmp(cmd, "reproduce") == 0) return cmd_reproduce(argc, argv);
    if (strcmp(cmd, "describe") == 0) return cli_describe(argc, argv);
    if (strcmp(cmd, "fit") == 0) return cli_fit(argc, argv);
    if (strcmp(cmd, "identify") == 0) return cli_identify(argc, argv);
    if (strcmp(cmd, "config") == 0) {
        printf("Configuration keys (INI sections; every key optional):\n");
        cfg_help(stdout);
        return 0;
    }
    if (strcmp(cmd, "mmra") == 0) return cli_mmra(argc, argv);
    if (strcmp(cmd, "report") == 0) return cli_report(argc, argv);
    if (strcmp(cmd, "predict") == 0) return cli_predict(argc, argv);
    fprintf(stderr, "hetpref: unknown command '%s'\n%s", cmd, usage_main);
    return 2;
}
