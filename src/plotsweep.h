/* plotsweep.h — plots of any sweep's summary.csv: the mean and interval of
 * one metric against one swept key, one series per value of the others.
 *
 * summary.csv (written by sweep.c) has the columns cell, one per swept key,
 * metric, n, mean, sd, ci_low, ci_high. They are found by name, never by
 * position: the reserved names above are the table's own columns, every
 * other column is a swept key, in file order. A key is numeric when every
 * value parses as a finite number (numparse.h); the others (vectors such as
 * "0.55, 0.45", names such as "top1") are categories, drawn at positions
 * 0, 1, ... in order of first appearance with their text as tick labels.
 *
 * Series. Rows of the chosen metric are grouped by the values of every key
 * except x that takes more than one value: by first, then the others in
 * file order, so points of different configurations are never joined by one
 * line. When a key other than x and by varies, plotsweep_draw says so on
 * stderr (a warning, since the plot then holds more series than asked for).
 * Numeric x is sorted within a series. NaN means are gaps.
 *
 * The data are written into the .gp as arrays (plot_array), so the script
 * redraws without the CSV. Drawing goes through plot.h only.
 * Not here: option parsing, choosing the output directory (cli_plot.c). */
#ifndef HETPREF_PLOTSWEEP_H
#define HETPREF_PLOTSWEEP_H

#include <stddef.h>

typedef struct plotsweep_table plotsweep_table;

/* Read path (a summary.csv) into *t (free with plotsweep_table_free).
 * PREF_OK; PREF_EINPUT "PATH:LINE: ..." when a reserved column is missing,
 * a column name appears twice, a row is malformed, or two metrics would be
 * drawn into the same file (their names equal after the replacement of
 * plotsweep_draw, or in their first 128 bytes); PREF_EIO when it cannot be
 * read; PREF_ENOMEM. Time linear in the file's size. */
int plotsweep_read(const char *path, plotsweep_table **t);
void plotsweep_table_free(plotsweep_table *t); /* NULL is a no-op */

size_t plotsweep_n_metrics(const plotsweep_table *t);
const char *plotsweep_metric(const plotsweep_table *t, size_t i);
size_t plotsweep_n_keys(const plotsweep_table *t);
const char *plotsweep_key(const plotsweep_table *t, size_t j);
/* 1 when every value of key j is a finite number. */
int plotsweep_key_numeric(const plotsweep_table *t, size_t j);

/* What to draw. y NULL: every metric (one plot each); x NULL: the first
 * numeric key (else the first key); by NULL: the first other key. */
typedef struct plotsweep_opts {
    const char *y, *x, *by;
    int logx, logy;
} plotsweep_opts;

void plotsweep_opts_init(plotsweep_opts *o);

/* Check o against t and fill in its defaults (o->x, o->by point into t).
 * PREF_OK or PREF_EINPUT naming the flag: --y not a metric (the message
 * lists the metrics there), --x/--by not a key (lists the keys), --by equal
 * to --x, --logx on a category key or with a value <= 0, no key at all. */
int plotsweep_resolve(const plotsweep_table *t, plotsweep_opts *o);

/* Draw metric y (a name from plotsweep_metric) with resolved options o into
 * dir/<y>.gp, .png, .svg (characters outside [A-Za-z0-9_-] of y become _).
 * *rendered as plot_render. PREF_OK, PREF_EIO (gnuplot failed), PREF_ENOMEM. */
int plotsweep_draw(const plotsweep_table *t, const plotsweep_opts *o,
                   const char *y, const char *dir, int *rendered);

#endif
