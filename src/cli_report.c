/* cli_report.c — `hetpref report` (see cli_report.h). */
#include "cli_report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clicommon.h"
#include "cliutil.h"
#include "csvtab.h"
#include "err.h"
#include "estread.h"
#include "fsutil.h"
#include "report.h"

static const char usage_report[] =
    "usage: hetpref report DIR [--format markdown|latex]\n"
    "\n"
    "Prints a table to paste into a paper on stdout (default --format markdown).\n"
    "\n"
    "DIR a latent-class fit (estimates.csv and fit.csv of a latent-class\n"
    "fit): a regression table, one column per type (in the fit's order: by\n"
    "decreasing weight), one row per parameter (the weight, then each feature's\n"
    "coefficient), the estimate with its standard error in parentheses below\n"
    "it, and stars for the two-sided Wald p-value: * p < 0.05, ** p < 0.01,\n"
    "*** p < 0.001. Numbers to 3 decimals. Table notes: users, answers,\n"
    "log-likelihood, BIC and the identification verdict of fit.csv.\n"
    "\n"
    "DIR holding select.csv (K,loglik,n_params,aic,bic,icl,heldout_loglik,\n"
    "heldout_se,converged,best_hits: the model comparison of a range of K): one\n"
    "row per K, with notes naming the K of lowest BIC and of highest held-out\n"
    "log-likelihood.\n"
    "\n"
    "Any other directory is an error (exit 2) naming the file that is missing.\n";

/* ---- the tables ---------------------------------------------------------- */

#define CELL 64
#define NOTE 512

/* Text storage of a table: cells, headings and notes as fixed strings. */
typedef struct rtext {
    char (*cell)[CELL];
    const char **ptr;      /* pointers into cell, for report_table */
    char note[6][NOTE];
    const char *notes[6];
} rtext;

static int rtext_alloc(rtext *x, size_t n)
{
    x->cell = calloc(n, CELL);
    x->ptr = calloc(n, sizeof(char *));
    if (!x->cell || !x->ptr) PREF_ERROR(PREF_ENOMEM, "out of memory");
    for (size_t j = 0; j < n; j++) x->ptr[j] = x->cell[j];
    for (size_t j = 0; j < 6; j++) x->notes[j] = x->note[j];
    return PREF_OK;
}

static void rtext_free(rtext *x)
{
    free(x->cell);
    free(x->ptr);
}

/* The notes of a fit: sizes, fit statistics, identification. */
static int fit_notes(const char *dir, rtext *x)
{
    static const char *const need[] = {"users", "answers", "loglik", "bic",
                                       "identified", "n_flat_directions"};
    char path[4096];
    csvtab *t;
    size_t col[6];
    double v[6];
    PREF_TRY(fsutil_join(path, sizeof path, dir, "fit.csv"));
    PREF_TRY(csvtab_read(path, &t));
    int st = csvtab_cols(t, need, 6, col);
    for (size_t k = 0; k < 6 && !st; k++) st = csvtab_num(t, 0, col[k], &v[k]);
    csvtab_free(t);
    if (st) return st;
    snprintf(x->note[0], NOTE, "Users: %.0f. Answers: %.0f. Log-likelihood: %.3f. "
             "BIC: %.3f.", v[0], v[1], v[2], v[3]);
    if (isnan(v[4]))
        snprintf(x->note[1], NOTE, "Identification: not analysed.");
    else if (v[4] == 1)
        snprintf(x->note[1], NOTE, "Identification: identified (information "
                 "matrix of full rank).");
    else
        snprintf(x->note[1], NOTE, "Identification: NOT identified: %.0f flat "
                 "direction(s) of the information matrix; estimates along them "
                 "are not to be trusted.", v[5]);
    snprintf(x->note[2], NOTE, "Standard errors in parentheses. * p < 0.05, "
             "** p < 0.01, *** p < 0.001 (two-sided Wald tests of a zero "
             "parameter). Types by decreasing weight.");
    return PREF_OK;
}

/* The regression table of the fit in dir. */
static int report_fit(const char *dir, int format)
{
    char path[4096];
    PREF_TRY(fsutil_join(path, sizeof path, dir, "estimates.csv"));
    estread_estimates *e = NULL;
    PREF_TRY(estread_read(path, NULL, &e));
    size_t K = e->K, d = e->d, R = 2 * (d + 1);
    rtext x = {0};
    int st = rtext_alloc(&x, K + R + R * K);
    if (st) { /* x.ptr is NULL: no offsets from it */
        rtext_free(&x);
        estread_free(e);
        return st;
    }
    st = fit_notes(dir, &x);
    for (size_t k = 0; !st && k < K; k++)
        snprintf(x.cell[k], CELL, "Type %zu", k + 1);
    char **row = (char **)x.ptr + K, **cell = (char **)x.ptr + K + R;
    for (size_t j = 0; !st && j <= d; j++) {
        snprintf(row[2 * j], CELL, "%s", j ? strtab_get(e->names, (uint32_t)(j - 1))
                                           : "weight");
        row[2 * j + 1][0] = '\0';
        for (size_t k = 0; k < K; k++) {
            const double *r = e->row + (k * (d + 1) + j) * ESTREAD_NCOL;
            char a[CELL / 2], b[CELL / 2];
            snprintf(cell[2 * j * K + k], CELL, "%s%s", report_num(r[ESTREAD_EST], a,
                     sizeof a), report_stars(r[ESTREAD_P]));
            snprintf(cell[(2 * j + 1) * K + k], CELL, "(%s)",
                     report_num(r[ESTREAD_SE], b, sizeof b));
        }
    }
    report_table t = {.n_rows = R, .n_cols = K, .corner = "", .col = x.ptr,
                      .row = x.ptr + K, .cell = x.ptr + K + R, .n_notes = 3,
                      .note = x.notes};
    if (!st) st = report_print(stdout, &t, format);
    rtext_free(&x);
    estread_free(e);
    return st;
}

static const char *const select_cols[] = {"K", "loglik", "n_params", "aic", "bic",
                                          "icl", "heldout_loglik", "heldout_se",
                                          "converged", "best_hits"};
#define NSEL (sizeof select_cols / sizeof select_cols[0])

/* The cells of select.csv (t, columns col) into x, and the picks into the
 * notes. */
static int select_cells(const csvtab *t, const size_t *col, rtext *x)
{
    size_t n = csvtab_n_rows(t), best_bic = 0, best_ho = 0;
    double bic_min = INFINITY, ho_max = -INFINITY;
    for (size_t c = 1; c < NSEL; c++) snprintf(x->cell[c - 1], CELL, "%s", select_cols[c]);
    for (size_t r = 0; r < n; r++) {
        double v[NSEL];
        for (size_t c = 0; c < NSEL; c++) PREF_TRY(csvtab_num(t, r, col[c], &v[c]));
        snprintf(x->cell[NSEL - 1 + r], CELL, "K = %s", csvtab_cell(t, r, col[0]));
        for (size_t c = 1; c < NSEL; c++) {
            char *s = x->cell[NSEL - 1 + n + r * (NSEL - 1) + c - 1];
            int count = c == 2 || c == 8 || c == 9;
            if (count) snprintf(s, CELL, "%s", csvtab_cell(t, r, col[c]));
            else report_num(v[c], s, CELL);
        }
        if (v[4] < bic_min) bic_min = v[4], best_bic = r;
        if (v[6] > ho_max) ho_max = v[6], best_ho = r;
    }
    snprintf(x->note[0], NOTE, "Lowest BIC: K = %s.", csvtab_cell(t, best_bic, col[0]));
    if (isfinite(ho_max))
        snprintf(x->note[1], NOTE, "Highest held-out log-likelihood: K = %s.",
                 csvtab_cell(t, best_ho, col[0]));
    else
        snprintf(x->note[1], NOTE, "No held-out log-likelihood.");
    snprintf(x->note[2], NOTE, "heldout_loglik and heldout_se: the "
             "cross-validated held-out log-likelihood (folds by user) and its "
             "standard error, as in select.csv.");
    return PREF_OK;
}

/* The model-comparison table of dir/select.csv. */
static int report_select(const char *dir, int format)
{
    char path[4096];
    csvtab *t;
    size_t col[NSEL];
    PREF_TRY(fsutil_join(path, sizeof path, dir, "select.csv"));
    PREF_TRY(csvtab_read(path, &t));
    size_t n = csvtab_n_rows(t);
    rtext x = {0};
    int st = csvtab_cols(t, select_cols, NSEL, col);
    if (!st) st = rtext_alloc(&x, (NSEL - 1) + n + n * (NSEL - 1));
    if (!st) st = select_cells(t, col, &x);
    if (!st) {
        /* x.ptr is NULL until rtext_alloc succeeds: no offsets from it before */
        report_table rt = {.n_rows = n, .n_cols = NSEL - 1, .corner = "",
                           .col = x.ptr, .row = x.ptr + NSEL - 1,
                           .cell = x.ptr + NSEL - 1 + n, .n_notes = 3,
                           .note = x.notes};
        st = report_print(stdout, &rt, format);
    }
    rtext_free(&x);
    csvtab_free(t);
    return st;
}

/* Which kind of directory dir is: 1 fit, 2 select; PREF_EINPUT naming what
 * is missing otherwise. */
static int report_kind(const char *dir, int *kind)
{
    char a[4096], b[4096], c[4096];
    PREF_TRY(fsutil_join(a, sizeof a, dir, "select.csv"));
    PREF_TRY(fsutil_join(b, sizeof b, dir, "estimates.csv"));
    PREF_TRY(fsutil_join(c, sizeof c, dir, "fit.csv"));
    *kind = fsutil_exists(a) ? 2 : fsutil_exists(b) && fsutil_exists(c) ? 1 : 0;
    if (*kind) return PREF_OK;
    if (!fsutil_exists(dir))
        PREF_ERROR(PREF_EINPUT, "report: %s: no such directory", dir);
    PREF_ERROR(PREF_EINPUT, "report: %s is not a latent-class fit: no %s (a fit "
               "directory holds estimates.csv and fit.csv, a model comparison "
               "select.csv; EM-DPO fits have no regression table)", dir,
               fsutil_exists(b) ? "fit.csv" : "estimates.csv");
}

int cli_report(int argc, char **argv)
{
    if (cli_has_help(argc, argv)) {
        fputs(usage_report, stdout);
        return 0;
    }
    const char *dir = NULL, *v;
    int format = REPORT_MARKDOWN;
    for (int i = 2; i < argc; i++) {
        int missing = 0;
        if ((v = cli_opt_value(argc, argv, &i, "--format", &missing))) {
            if (!strcmp(v, "markdown")) format = REPORT_MARKDOWN;
            else if (!strcmp(v, "latex")) format = REPORT_LATEX;
            else return cli_usage_error("report", "--format: expected markdown or "
                                        "latex, got '%s'", v);
        } else if (missing || argv[i][0] == '-' || dir) {
            return cli_usage_error("report", missing ? "%s needs a value" :
                                   "unexpected argument '%s'", argv[i]);
        } else {
            dir = argv[i];
        }
    }
    if (!dir) return cli_usage_error("report", "missing DIR%s", "");
    int kind;
    int st = report_kind(dir, &kind);
    if (!st) st = kind == 1 ? report_fit(dir, format) : report_select(dir, format);
    return st ? cli_fail(st) : 0;
}
