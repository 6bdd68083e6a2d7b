/* plot.h — the only module that talks to gnuplot.
 *
 * An experiment builds a script body with plot_printf / plot_quoted; plot_render
 * writes DIR/NAME.gp (self-contained: style header, a loop that renders the
 * body once to NAME.png with pngcairo and once to NAME.svg, data paths
 * relative to DIR so `cd DIR && gnuplot NAME.gp` redraws it), then runs
 * gnuplot with DIR as its working directory, feeding the script through a
 * pipe (no shell involved: posix_spawn). Every user-supplied string goes
 * through plot_quoted, which escapes it for a gnuplot single-quoted string;
 * terminals use `noenhanced` so no markup is interpreted. Bodies may rely on
 * the house style described in plot.c, which also defines the gnuplot
 * function clip01(x) (x clamped to [0, 1]) for intervals of proportions.
 *
 * Missing gnuplot is not an error: plot_render prints one warning to stderr,
 * still writes the .gp script, sets *rendered = 0 and returns PREF_OK.
 * The gnuplot executable is $HETPREF_GNUPLOT if set, else the one configure
 * found. Deliberately not here: computing anything that is plotted. */
#ifndef HETPREF_PLOT_H
#define HETPREF_PLOT_H

#include <stddef.h>

typedef struct plot_script plot_script;

/* A new script named name (file stem, [A-Za-z0-9_-] only) with an image size
 * in pixels. NULL on out-of-memory or a bad name. Free with plot_script_free. */
plot_script *plot_script_alloc(const char *name, int width, int height);
void plot_script_free(plot_script *s); /* NULL is a no-op */

/* Append raw gnuplot text (the caller's own constant commands). Returns
 * PREF_OK or PREF_ENOMEM. */
int plot_printf(plot_script *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Append text as one escaped gnuplot single-quoted string literal
 * (quotes doubled, control characters replaced by spaces). */
int plot_quoted(plot_script *s, const char *text);

/* Append the path of file relative to the directory dir (both may be
 * relative to the current directory; both are resolved), quoted as by
 * plot_quoted. Returns PREF_OK, PREF_EIO if either cannot be resolved, or
 * PREF_ENOMEM. */
int plot_path(plot_script *s, const char *dir, const char *file);

/* Append commands copying the rows of the CSV file held in the gnuplot
 * variable src that satisfy cond (a gnuplot expression, e.g.
 * "strcol(2) eq 'pair'"), columns `cols` (a using-spec such as "3:6:8:9"),
 * into the datablock $name; afterwards the data separator is whitespace, as
 * datablocks need. Filtering into a datablock (rather than mapping rows to
 * NaN) keeps the points of one series joined by lines. name: [A-Za-z0-9_];
 * src, cols, cond: the caller's own constant text. */
int plot_filter(plot_script *s, const char *name, const char *src,
                const char *cols, const char *cond);

/* Append `array name[n] = [v0, ...]` (numbers "%.17g", NaN as NaN, an
 * infinity as +-1e308; n = 0 gives one NaN element, since gnuplot arrays are
 * never empty), so a body can plot data computed by the caller with
 * `plot sample [i=1:n:1] '+' using (name[i]):...`. name: [A-Za-z0-9_],
 * not beginning with hp_. Returns PREF_OK, PREF_EINPUT (bad name) or
 * PREF_ENOMEM. */
int plot_array(plot_script *s, const char *name, const double *v, size_t n);

/* Write dir/NAME.gp atomically and run gnuplot on it in dir, producing
 * NAME.png and NAME.svg. *rendered (may be NULL) is 1 when gnuplot ran and
 * exited 0. Returns PREF_OK (also when gnuplot is missing: warning printed),
 * PREF_EIO when the script cannot be written or gnuplot fails on it (its
 * stderr is passed through). The images are renamed into place only when
 * gnuplot succeeded: a failure leaves no new (empty or partial) image. */
int plot_render(const plot_script *s, const char *dir, int *rendered);

/* Deferred rendering, for a caller that draws many plots (reproduce): after
 * plot_defer_begin, plot_render writes the script and queues it (*rendered
 * = 0, PREF_OK) instead of running gnuplot; plot_defer_end then draws every
 * queued script with one gnuplot process (a process start and font set-up
 * per plot is most of a simple plot's cost; the images are the same bytes),
 * renames the images into place when it exited 0, and ends the deferral.
 * When gnuplot fails on any script, all temporaries are removed and the
 * scripts are drawn one by one, so the good ones still appear and the
 * error names the first that failed. *drawn (may be NULL): the number of
 * scripts drawn. Returns as plot_render (PREF_OK also when gnuplot is
 * missing: one warning). Both may be called from any thread; the queue is
 * the process's. */
void plot_defer_begin(void);
int plot_defer_end(size_t *drawn);

#endif
