/* reproduce.h — the registry of experiments behind `hetpref reproduce`.
 *
 * Each experiment has an id, a config file configs/<id>.ini (quick sizes in
 * the main sections, --full overrides in its [full] section), code under
 * sims/ that writes CSV into results/<id>/, and a plot written into plots/.
 * Later issues add rows to the table in reproduce.c. Not here: the
 * experiments' science (sims/), command-line parsing (cli.c). */
#ifndef HETPREF_REPRODUCE_H
#define HETPREF_REPRODUCE_H

#include <stdio.h>

#include "cfg.h"
#include "sweep.h"

typedef struct repro_exp {
    const char *id;
    const char *what;   /* one line for --help and the log */
    /* sp: threads, and resume (continue from DIR's journal; the
     * experiments that use sweep_map have none and start over) */
    int (*run)(const cfg *c, const char *res_dir, const sweep_params *sp);
    int (*plot)(const char *res_dir, const char *plot_dir);
    /* 1: run() begins with sweep_run(c, tasks, res_dir, sp), so its sweep
     * can be split into shards and merged into res_dir first (run() with
     * resume then finds every task done); 0: it uses sweep_map, which has
     * no journal, and runs whole. */
    int plain_sweep;
} repro_exp;

/* The experiment called id, or NULL. */
const repro_exp *repro_find(const char *id);

/* The number of experiments, and experiment i (NULL when out of range). */
size_t repro_count(void);
const repro_exp *repro_at(size_t i);

/* Load e's configs/<id>.ini (path into path, size n) into c, with the
 * [full] overrides when full, and check it. PREF_OK or PREF_EINPUT. */
int repro_load(const repro_exp *e, int full, cfg *c, char *path, size_t n);

/* 1 when res_dir holds the stamp of a finished run in this mode (full 1:
 * --full, 0: --quick), else 0. */
int repro_is_done(const char *res_dir, int full);

/* Print the registry (id and description), one per line. */
void repro_list(FILE *f);

/* Locate configs/<id>.ini: $HETPREF_CONFIGS, ./configs, then the installed
 * data directory. Returns PREF_OK with the path in buf, or PREF_EINPUT. */
int repro_config_path(const char *id, char *buf, size_t n);

/* Run experiments into out_dir/results/<id>/ and out_dir/plots/: all of them
 * when only is NULL, else the one named. full applies [full] overrides.
 * threads 0 = all cores. Progress lines go to log (may be NULL).
 *
 * Each finished experiment leaves results/<id>/reproduce.done holding the
 * mode ("quick" or "full"); starting an experiment deletes it. With resume,
 * an experiment whose stamp names the same mode is skipped, and the others
 * continue from their sweep journals (results/<id>/runs.journal, kept by an
 * interrupted sweep) or start over. PREF_EINTR when interrupted (Ctrl-C):
 * the experiment's journal is kept for resume. */
int repro_run(const char *out_dir, int full, int threads, int resume,
              const char *only, FILE *log);

/* Validate every experiment's configuration (with the [full] overrides when
 * full) and its sweep plan without running anything; print one line per
 * experiment ("id: N cells x R replicates = T tasks") to out. */
int repro_dry_run(int full, const char *only, FILE *out);

/* Redraw the plot of the results directory res_dir (its basename is the
 * experiment id) into plot_dir. */
int repro_plot(const char *res_dir, const char *plot_dir);

#endif
