/* report.h — tables to paste into a paper: a grid of text cells with column
 * and row headings and notes, printed as Markdown (a pipe table, notes as
 * paragraphs below) or LaTeX (a tabular in a table environment, notes in a
 * footnotesize paragraph below the tabular).
 *
 * Cells are text the caller formats; this module only lays them out and
 * escapes them (Markdown: '|', '\', '*' and '_' get a backslash; LaTeX: the
 * ten special characters & % $ # _ { } ~ ^ \, and < >). Not here: reading results (cli_report.c), number
 * formatting rules beyond report_num.
 * Also the regression-table conventions shared by the fit table: report_num
 * prints "%.3f" (NaN as "NaN"), report_stars gives "***" (p < 0.001), "**"
 * (p < 0.01), "*" (p < 0.05) or "". */
#ifndef HETPREF_REPORT_H
#define HETPREF_REPORT_H

#include <stddef.h>
#include <stdio.h>

enum { REPORT_MARKDOWN, REPORT_LATEX };

typedef struct report_table {
    size_t n_rows, n_cols;
    const char *corner;       /* heading above the row headings */
    const char *const *col;   /* (n_cols) column headings */
    const char *const *row;   /* (n_rows) row headings ("" for none) */
    const char *const *cell;  /* (n_rows, n_cols) row-major */
    size_t n_notes;
    const char *const *note;  /* (n_notes) sentences, printed in order */
} report_table;

/* Print t in format (REPORT_MARKDOWN or REPORT_LATEX) to f. Returns
 * PREF_OK, PREF_EINPUT (unknown format) or PREF_EIO (a write failed). */
int report_print(FILE *f, const report_table *t, int format);

/* v as "%.3f" ("NaN" when not a number, "Inf"/"-Inf") into buf (n). */
const char *report_num(double v, char *buf, size_t n);

/* Significance stars of a two-sided p-value (see above); "" for NaN. */
const char *report_stars(double p);

#endif
