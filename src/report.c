/* report.c — Markdown and LaTeX tables (see report.h). */
#include "report.h"

#include <math.h>
#include <string.h>

#include "err.h"

const char *report_num(double v, char *buf, size_t n)
{
    if (isnan(v)) snprintf(buf, n, "NaN");
    else if (isinf(v)) snprintf(buf, n, v > 0 ? "Inf" : "-Inf");
    else snprintf(buf, n, "%.3f", v == 0.0 ? 0.0 : v); /* no "-0.000" for -0 */
    return buf;
}

const char *report_stars(double p)
{
    if (!(p < 0.05)) return "";
    return p < 0.001 ? "***" : p < 0.01 ? "**" : "*";
}

/* s escaped for the format. */
static void put_text(FILE *f, const char *s, int format)
{
    for (; *s; s++) {
        if (format == REPORT_MARKDOWN) {
            if (strchr("|\\*_", *s)) fputc('\\', f);
            fputc(*s, f);
        } else if (strchr("&%$#_{}", *s)) {
            fprintf(f, "\\%c", *s);
        } else if (*s == '~') {
            fputs("\\textasciitilde{}", f);
        } else if (*s == '^') {
            fputs("\\textasciicircum{}", f);
        } else if (*s == '\\') {
            fputs("\\textbackslash{}", f);
        } else if (*s == '<' || *s == '>') {
            fputs(*s == '<' ? "\\textless{}" : "\\textgreater{}", f);
        } else {
            fputc(*s, f);
        }
    }
}

/* One line of the table: the row heading h, then the n cells c. */
static void put_line(FILE *f, const char *h, const char *const *c, size_t n,
                     int format)
{
    int md = format == REPORT_MARKDOWN;
    fputs(md ? "| " : "", f);
    put_text(f, h, format);
    for (size_t j = 0; j < n; j++) {
        fputs(md ? " | " : " & ", f);
        put_text(f, c[j], format);
    }
    fputs(md ? " |\n" : " \\\\\n", f);
}

int report_print(FILE *f, const report_table *t, int format)
{
    if (format != REPORT_MARKDOWN && format != REPORT_LATEX)
        PREF_ERROR(PREF_EINPUT, "unknown report format %d", format);
    int md = format == REPORT_MARKDOWN;
    if (!md) {
        fputs("\\begin{table}[htbp]\n\\centering\n\\begin{tabular}{l", f);
        for (size_t j = 0; j < t->n_cols; j++) fputc('r', f);
        fputs("}\n\\hline\n", f);
    }
    put_line(f, t->corner, t->col, t->n_cols, format);
    if (md) {
        fputs("|---", f);
        for (size_t j = 0; j < t->n_cols; j++) fputs("|--:", f);
        fputs("|\n", f);
    } else {
        fputs("\\hline\n", f);
    }
    for (size_t i = 0; i < t->n_rows; i++)
        put_line(f, t->row[i], t->cell + i * t->n_cols, t->n_cols, format);
    if (!md) fputs("\\hline\n\\end{tabular}\n\\par\\smallskip\n{\\footnotesize ", f);
    for (size_t k = 0; k < t->n_notes; k++) {
        fputs(md ? "\n" : k ? " " : "", f);
        put_text(f, t->note[k], format);
        if (md) fputc('\n', f);
    }
    if (!md) fputs("}\n\\end{table}\n", f);
    if (fflush(f) != 0 || ferror(f))
        PREF_ERROR(PREF_EIO, "writing the table failed");
    return PREF_OK;
}
