/* lp.c — the project's only interface to GLPK (see lp.h).
 *
 * What it does: keeps an LP in plain arrays (objective, bounds, rows as
 * sparse lists), validates every value as it is set, and on lp_solve builds a
 * fresh GLPK problem, runs glp_simplex (then glp_exact, the rational
 * simplex, when lp_params.exact asks for it), copies the answer out and
 * frees all GLPK memory (glp_free_env) before returning.
 *
 * GLPK's failure modes and how each is contained:
 *   - bad arguments make GLPK call glp_error, which prints and abort()s.
 *     We validate everything first; as a safety net every GLPK session
 *     installs glp_error_hook with a hook that longjmps back to lp_session.
 *     GLPK's manual (glp_error_hook) says that after such a jump the
 *     environment is in an undefined state: the program must not touch any
 *     GLPK object again and must call glp_free_env. lp_session does exactly
 *     that — the glp_prob is abandoned (glp_free_env reclaims its memory)
 *     and the error is returned as PREF_ELP / LP_GLPK_ERROR;
 *   - terminal output: glp_term_out(GLP_OFF) and msg_lev = GLP_MSG_OFF, plus
 *     a glp_term_hook that swallows (and records) anything GLPK still prints
 *     — glp_error forces term_out on before printing its message, and the
 *     recorded text is quoted in our error message;
 *   - a non-optimal end: we require glp_simplex(...) (or glp_exact) == 0 AND
 *     glp_get_status(...) == GLP_OPT, and map the rest to LP_* statuses.
 *
 * Threads: the environment (and the hooks, which live in it) is per thread
 * when GLPK was built with TLS (glp_config("TLS")); otherwise lp_solve runs
 * its GLPK session inside `omp critical(hetpref_glpk)`. The longjmp of the
 * error hook never leaves that critical block: setjmp is called inside it.
 *
 * Deliberately not here: any LP modelling beyond rows/columns/bounds, basis
 * reuse, MIP, and any use of GLPK outside lp_session. */
#include "lp.h"

#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glpk.h>

#include "err.h"

/* One constraint row, stored ready for glp_set_mat_row: GLPK column numbers
 * (1-based) in idx[1..nnz] and values in val[1..nnz]; element 0 unused. */
typedef struct lp_row {
    int nnz, cap;
    int *idx;
    double *val;
} lp_row;

struct lp_problem {
    int m, n;                     /* rows, columns */
    int maximise;
    size_t nnz;                   /* total nonzeros over all rows */
    double *obj;                  /* (n) */
    int *col_type;                /* (n) LP_* bound types */
    double *col_lo, *col_hi;      /* (n) */
    int *row_type;                /* (m) */
    double *row_lo, *row_hi;      /* (m) */
    lp_row *rows;                 /* (m) */
    unsigned char *mark;          /* (n) scratch for duplicate detection,
                                     all zero between calls */
};

/* ---- parameters ---------------------------------------------------------- */

void lp_params_init(lp_params *p)
{
    glp_smcp s;
    glp_init_smcp(&s);      /* only fills the struct; no GLPK environment */
    p->method = LP_PRIMAL;
    p->presolve = 0;
    p->scale = 1;
    p->tol_bnd = s.tol_bnd;
    p->tol_dj = s.tol_dj;
    p->tol_piv = s.tol_piv;
    p->it_lim = s.it_lim;
    p->tm_lim_ms = s.tm_lim;
    p->verbose = 0;
    p->exact = 0;
    p->verify_tol = LP_VERIFY_TOL;
}

/* The same ranges glp_simplex enforces (with xerror) on its glp_smcp. */
const char *lp_params_check(const lp_params *p)
{
    if (p->method != LP_PRIMAL && p->method != LP_DUAL &&
        p->method != LP_DUALP)
        return "lp_params.method must be LP_PRIMAL, LP_DUAL or LP_DUALP";
    if (p->presolve != 0 && p->presolve != 1)
        return "lp_params.presolve must be 0 or 1";
    if (p->scale != 0 && p->scale != 1)
        return "lp_params.scale must be 0 or 1";
    if (!(p->tol_bnd > 0.0 && p->tol_bnd < 1.0))
        return "lp_params.tol_bnd must be in (0, 1)";
    if (!(p->tol_dj > 0.0 && p->tol_dj < 1.0))
        return "lp_params.tol_dj must be in (0, 1)";
    if (!(p->tol_piv > 0.0 && p->tol_piv < 1.0))
        return "lp_params.tol_piv must be in (0, 1)";
    if (p->it_lim < 0)
        return "lp_params.it_lim must be >= 0";
    if (p->tm_lim_ms < 0)
        return "lp_params.tm_lim_ms must be >= 0";
    if (p->verbose != 0 && p->verbose != 1)
        return "lp_params.verbose must be 0 or 1";
    if (p->exact != 0 && p->exact != 1)
        return "lp_params.exact must be 0 or 1";
    if (!(p->verify_tol > 0.0 && p->verify_tol < 1.0))
        return "lp_params.verify_tol must be in (0, 1)";
    return NULL;
}

/* ---- problem ------------------------------------------------------------- */

lp_problem *lp_alloc(size_t n_rows, size_t n_cols, int *err)
{
    int dummy;
    if (err == NULL) err = &dummy;
    if (n_rows == 0 || n_cols == 0 || n_rows > LP_MAX_DIM ||
        n_cols > LP_MAX_DIM) {
        *err = pref_set_error(PREF_EINPUT,
                              "lp_alloc: %zu rows x %zu columns; each size "
                              "must be in 1..%d", n_rows, n_cols, LP_MAX_DIM);
        return NULL;
    }
    lp_problem *lp = calloc(1, sizeof *lp);
    if (lp == NULL) goto nomem;
    lp->m = (int)n_rows;
    lp->n = (int)n_cols;
    lp->obj = calloc(n_cols, sizeof *lp->obj);
    lp->col_type = malloc(n_cols * sizeof *lp->col_type);
    lp->col_lo = calloc(n_cols, sizeof *lp->col_lo);
    lp->col_hi = calloc(n_cols, sizeof *lp->col_hi);
    lp->row_type = malloc(n_rows * sizeof *lp->row_type);
    lp->row_lo = calloc(n_rows, sizeof *lp->row_lo);
    lp->row_hi = calloc(n_rows, sizeof *lp->row_hi);
    lp->rows = calloc(n_rows, sizeof *lp->rows);
    lp->mark = calloc(n_cols, 1);
    if (!lp->obj || !lp->col_type || !lp->col_lo || !lp->col_hi ||
        !lp->row_type || !lp->row_lo || !lp->row_hi || !lp->rows ||
        !lp->mark)
        goto nomem;
    for (size_t j = 0; j < n_cols; j++) {
        lp->col_type[j] = LP_LO;
        lp->col_hi[j] = INFINITY;
    }
    for (size_t i = 0; i < n_rows; i++) {
        lp->row_type[i] = LP_FREE;
        lp->row_lo[i] = -INFINITY;
        lp->row_hi[i] = INFINITY;
    }
    *err = PREF_OK;
    return lp;

nomem:
    lp_free(lp);
    *err = pref_set_error(PREF_ENOMEM, "lp_alloc: out of memory for a "
                          "%zu x %zu LP", n_rows, n_cols);
    return NULL;
}

void lp_free(lp_problem *lp)
{
    if (lp == NULL) return;
    if (lp->rows != NULL)
        for (int i = 0; i < lp->m; i++) {
            free(lp->rows[i].idx);
            free(lp->rows[i].val);
        }
    free(lp->rows);
    free(lp->obj);
    free(lp->col_type);
    free(lp->col_lo);
    free(lp->col_hi);
    free(lp->row_type);
    free(lp->row_lo);
    free(lp->row_hi);
    free(lp->mark);
    free(lp);
}

size_t lp_n_rows(const lp_problem *lp) { return (size_t)lp->m; }
size_t lp_n_cols(const lp_problem *lp) { return (size_t)lp->n; }

int lp_set_objective(lp_problem *lp, const double *c, int maximise)
{
    if (lp == NULL) PREF_ERROR(PREF_EINPUT, "lp_set_objective: NULL problem");
    if (c != NULL)
        for (int j = 0; j < lp->n; j++)
            if (!isfinite(c[j]))
                PREF_ERROR(PREF_EINPUT, "lp_set_objective: coefficient of "
                           "column %d is %g (must be finite)", j, c[j]);
    for (int j = 0; j < lp->n; j++) lp->obj[j] = c ? c[j] : 0.0;
    lp->maximise = maximise != 0;
    return PREF_OK;
}

int lp_set_obj_coef(lp_problem *lp, size_t j, double c)
{
    if (lp == NULL) PREF_ERROR(PREF_EINPUT, "lp_set_obj_coef: NULL problem");
    if (j >= (size_t)lp->n)
        PREF_ERROR(PREF_EINPUT, "lp_set_obj_coef: column %zu out of range "
                   "(%d columns)", j, lp->n);
    if (!isfinite(c))
        PREF_ERROR(PREF_EINPUT, "lp_set_obj_coef: coefficient of column %zu "
                   "is %g (must be finite)", j, c);
    lp->obj[j] = c;
    return PREF_OK;
}

static const char *lp_type_name(int type)
{
    switch (type) {
    case LP_FREE: return "LP_FREE";
    case LP_LO: return "LP_LO";
    case LP_UP: return "LP_UP";
    case LP_DB: return "LP_DB";
    case LP_FX: return "LP_FX";
    default: return "?";
    }
}

/* Validate (type, lo, hi) for `what` ("row"/"column") k. */
static int lp_check_bounds(const char *fn, const char *what, size_t k,
                           int type, double lo, double hi)
{
    int use_lo, use_hi;
    switch (type) {
    case LP_FREE: use_lo = 0; use_hi = 0; break;
    case LP_LO: use_lo = 1; use_hi = 0; break;
    case LP_UP: use_lo = 0; use_hi = 1; break;
    case LP_DB: case LP_FX: use_lo = 1; use_hi = 1; break;
    default:
        PREF_ERROR(PREF_EINPUT, "%s: %s %zu: bound type %d is not one of "
                   "LP_FREE, LP_LO, LP_UP, LP_DB, LP_FX", fn, what, k, type);
    }
    if (isnan(lo) || isnan(hi))
        PREF_ERROR(PREF_EINPUT, "%s: %s %zu: bound is NaN", fn, what, k);
    if (use_lo && !isfinite(lo))
        PREF_ERROR(PREF_EINPUT, "%s: %s %zu: %s lower bound is %g (must be "
                   "finite)", fn, what, k, lp_type_name(type), lo);
    if (use_hi && !isfinite(hi))
        PREF_ERROR(PREF_EINPUT, "%s: %s %zu: %s upper bound is %g (must be "
                   "finite)", fn, what, k, lp_type_name(type), hi);
    if (type == LP_DB && lo > hi)
        PREF_ERROR(PREF_EINPUT, "%s: %s %zu: LP_DB bounds lo = %.17g > "
                   "hi = %.17g", fn, what, k, lo, hi);
    if (type == LP_FX && lo != hi)
        PREF_ERROR(PREF_EINPUT, "%s: %s %zu: LP_FX needs lo == hi "
                   "(got %.17g and %.17g)", fn, what, k, lo, hi);
    return PREF_OK;
}

int lp_set_col_bounds(lp_problem *lp, size_t j, int type, double lo,
                      double hi)
{
    if (lp == NULL) PREF_ERROR(PREF_EINPUT, "lp_set_col_bounds: NULL problem");
    if (j >= (size_t)lp->n)
        PREF_ERROR(PREF_EINPUT, "lp_set_col_bounds: column %zu out of range "
                   "(%d columns)", j, lp->n);
    PREF_TRY(lp_check_bounds("lp_set_col_bounds", "column", j, type, lo, hi));
    lp->col_type[j] = type;
    lp->col_lo[j] = lo;
    lp->col_hi[j] = hi;
    return PREF_OK;
}

int lp_set_row_bounds(lp_problem *lp, size_t i, int type, double lo,
                      double hi)
{
    if (lp == NULL) PREF_ERROR(PREF_EINPUT, "lp_set_row_bounds: NULL problem");
    if (i >= (size_t)lp->m)
        PREF_ERROR(PREF_EINPUT, "lp_set_row_bounds: row %zu out of range "
                   "(%d rows)", i, lp->m);
    PREF_TRY(lp_check_bounds("lp_set_row_bounds", "row", i, type, lo, hi));
    lp->row_type[i] = type;
    lp->row_lo[i] = lo;
    lp->row_hi[i] = hi;
    return PREF_OK;
}

/* Make room for need entries in row r; on failure r is unchanged. */
static int lp_row_reserve(lp_row *r, int need)
{
    if (need <= r->cap) return PREF_OK;
    size_t sz = (size_t)need + 1;
    int *idx = realloc(r->idx, sz * sizeof *idx);
    if (idx == NULL)
        PREF_ERROR(PREF_ENOMEM, "lp: out of memory for a row of %d entries",
                   need);
    r->idx = idx;
    double *val = realloc(r->val, sz * sizeof *val);
    if (val == NULL)
        PREF_ERROR(PREF_ENOMEM, "lp: out of memory for a row of %d entries",
                   need);
    r->val = val;
    r->cap = need;
    return PREF_OK;
}

/* Check that replacing row i's count by new_nnz keeps the total in range. */
static int lp_check_total(const lp_problem *lp, size_t i, size_t new_nnz,
                          const char *fn)
{
    size_t total = lp->nnz - (size_t)lp->rows[i].nnz + new_nnz;
    if (total > LP_MAX_NNZ)
        PREF_ERROR(PREF_EINPUT, "%s: more than %d nonzero coefficients in "
                   "total", fn, LP_MAX_NNZ);
    return PREF_OK;
}

int lp_set_row(lp_problem *lp, size_t i, const double *a)
{
    if (lp == NULL || a == NULL)
        PREF_ERROR(PREF_EINPUT, "lp_set_row: NULL %s",
                   lp == NULL ? "problem" : "coefficients");
    if (i >= (size_t)lp->m)
        PREF_ERROR(PREF_EINPUT, "lp_set_row: row %zu out of range (%d rows)",
                   i, lp->m);
    int nz = 0;
    for (int j = 0; j < lp->n; j++) {
        if (!isfinite(a[j]))
            PREF_ERROR(PREF_EINPUT, "lp_set_row: row %zu, column %d: "
                       "coefficient is %g (must be finite)", i, j, a[j]);
        nz += a[j] != 0.0;
    }
    PREF_TRY(lp_check_total(lp, i, (size_t)nz, "lp_set_row"));
    lp_row *r = &lp->rows[i];
    PREF_TRY(lp_row_reserve(r, nz));
    lp->nnz -= (size_t)r->nnz;
    r->nnz = 0;
    for (int j = 0; j < lp->n; j++)
        if (a[j] != 0.0) {
            r->nnz++;
            r->idx[r->nnz] = j + 1;
            r->val[r->nnz] = a[j];
        }
    lp->nnz += (size_t)r->nnz;
    return PREF_OK;
}

int lp_set_row_sparse(lp_problem *lp, size_t i, size_t n, const int *idx,
                      const double *val)
{
    if (lp == NULL)
        PREF_ERROR(PREF_EINPUT, "lp_set_row_sparse: NULL problem");
    if (i >= (size_t)lp->m)
        PREF_ERROR(PREF_EINPUT, "lp_set_row_sparse: row %zu out of range "
                   "(%d rows)", i, lp->m);
    if (n > (size_t)lp->n)
        PREF_ERROR(PREF_EINPUT, "lp_set_row_sparse: row %zu: %zu entries but "
                   "only %d columns (some index must repeat)", i, n, lp->n);
    if (n > 0 && (idx == NULL || val == NULL))
        PREF_ERROR(PREF_EINPUT, "lp_set_row_sparse: row %zu: NULL %s", i,
                   idx == NULL ? "indices" : "values");
    /* Validate everything, marking indices to find duplicates; unmark on
     * every exit so the scratch stays all zero. */
    int rc = PREF_OK, nz = 0;
    size_t k;
    for (k = 0; k < n; k++) {
        int j = idx[k];
        if (j < 0 || j >= lp->n) {
            rc = pref_set_error(PREF_EINPUT, "lp_set_row_sparse: row %zu, "
                                "entry %zu: column %d out of range (%d "
                                "columns)", i, k, j, lp->n);
            break;
        }
        if (lp->mark[j]) {
            rc = pref_set_error(PREF_EINPUT, "lp_set_row_sparse: row %zu, "
                                "entry %zu: duplicate column %d", i, k, j);
            break;
        }
        lp->mark[j] = 1;
        if (!isfinite(val[k])) {
            rc = pref_set_error(PREF_EINPUT, "lp_set_row_sparse: row %zu, "
                                "column %d: coefficient is %g (must be "
                                "finite)", i, j, val[k]);
            k++;    /* idx[k] was marked: unmark it too */
            break;
        }
        nz += val[k] != 0.0;
    }
    /* k entries were marked, except that on the duplicate / range errors
     * idx[k] itself was not; undo exactly the marks made. */
    for (size_t t = 0; t < k && t < n; t++) {
        int j = idx[t];
        if (j >= 0 && j < lp->n) lp->mark[j] = 0;
    }
    if (rc != PREF_OK) return rc;
    PREF_TRY(lp_check_total(lp, i, (size_t)nz, "lp_set_row_sparse"));
    lp_row *r = &lp->rows[i];
    PREF_TRY(lp_row_reserve(r, nz));
    lp->nnz -= (size_t)r->nnz;
    r->nnz = 0;
    for (k = 0; k < n; k++)
        if (val[k] != 0.0) {
            r->nnz++;
            r->idx[r->nnz] = idx[k] + 1;
            r->val[r->nnz] = val[k];
        }
    lp->nnz += (size_t)r->nnz;
    return PREF_OK;
}

int lp_set_coef(lp_problem *lp, size_t i, size_t j, double a)
{
    if (lp == NULL) PREF_ERROR(PREF_EINPUT, "lp_set_coef: NULL problem");
    if (i >= (size_t)lp->m || j >= (size_t)lp->n)
        PREF_ERROR(PREF_EINPUT, "lp_set_coef: (%zu, %zu) out of range "
                   "(%d x %d)", i, j, lp->m, lp->n);
    if (!isfinite(a))
        PREF_ERROR(PREF_EINPUT, "lp_set_coef: (%zu, %zu): coefficient is %g "
                   "(must be finite)", i, j, a);
    lp_row *r = &lp->rows[i];
    int col = (int)j + 1;
    for (int k = 1; k <= r->nnz; k++)
        if (r->idx[k] == col) {
            if (a != 0.0) {
                r->val[k] = a;
            } else {            /* remove: move the last entry here */
                r->idx[k] = r->idx[r->nnz];
                r->val[k] = r->val[r->nnz];
                r->nnz--;
                lp->nnz--;
            }
            return PREF_OK;
        }
    if (a == 0.0) return PREF_OK;
    PREF_TRY(lp_check_total(lp, i, (size_t)r->nnz + 1, "lp_set_coef"));
    PREF_TRY(lp_row_reserve(r, r->nnz + 1));
    r->nnz++;
    r->idx[r->nnz] = col;
    r->val[r->nnz] = a;
    lp->nnz++;
    return PREF_OK;
}

/* ---- solution ------------------------------------------------------------ */

lp_solution *lp_solution_alloc(size_t n_rows, size_t n_cols)
{
    if (n_rows == 0 || n_cols == 0 || n_rows > LP_MAX_DIM ||
        n_cols > LP_MAX_DIM)
        return NULL;
    lp_solution *s = calloc(1, sizeof *s);
    if (s == NULL) return NULL;
    /* One block carved into the four arrays. */
    double *buf = malloc((2 * n_cols + 2 * n_rows) * sizeof *buf);
    if (buf == NULL) {
        free(s);
        return NULL;
    }
    s->n_rows = n_rows;
    s->n_cols = n_cols;
    s->x = buf;
    s->col_dual = buf + n_cols;
    s->row_act = buf + 2 * n_cols;
    s->row_dual = buf + 2 * n_cols + n_rows;
    for (size_t k = 0; k < 2 * n_cols + 2 * n_rows; k++) buf[k] = NAN;
    s->obj = NAN;
    s->status = LP_NOT_SOLVED;
    return s;
}

void lp_solution_free(lp_solution *sol)
{
    if (sol == NULL) return;
    free(sol->x);       /* the start of the single block */
    free(sol);
}

static void lp_solution_nan(lp_solution *sol, int status)
{
    size_t total = 2 * sol->n_cols + 2 * sol->n_rows;
    for (size_t k = 0; k < total; k++) sol->x[k] = NAN;
    sol->obj = NAN;
    sol->status = status;
}

/* ---- the GLPK session ---------------------------------------------------- */

/* State shared with the GLPK hooks. It lives in lp_solve's frame, not in
 * lp_session's, so nothing the hooks write is an automatic variable of the
 * function that called setjmp (C11 7.13.2.1p3). */
typedef struct lp_ctx {
    jmp_buf jb;
    int verbose;
    size_t len;
    char text[512];     /* the start of what GLPK tried to print */
} lp_ctx;

/* glp_term_hook: record GLPK's text; returning nonzero stops GLPK from
 * writing it to stdout. */
static int lp_term_hook(void *info, const char *s)
{
    lp_ctx *ctx = info;
    size_t room = sizeof ctx->text - 1 - ctx->len;
    size_t n = strlen(s);
    if (n > room) n = room;
    memcpy(ctx->text + ctx->len, s, n);
    ctx->len += n;
    ctx->text[ctx->len] = '\0';
    return ctx->verbose ? 0 : 1;
}

/* glp_error_hook: GLPK would abort() after this returns, so never return.
 * lp_session takes over at its setjmp. */
static void lp_error_hook(void *info)
{
    lp_ctx *ctx = info;
    longjmp(ctx->jb, 1);
}

static int lp_glp_type(int type, double lo, double hi)
{
    switch (type) {
    case LP_FREE: return GLP_FR;
    case LP_LO: return GLP_LO;
    case LP_UP: return GLP_UP;
    /* glp_simplex rejects GLP_DB with lb >= ub (GLP_EBOUND). */
    case LP_DB: return lo == hi ? GLP_FX : GLP_DB;
    default: return GLP_FX;
    }
}

/* GLPK ignores the unused bound, but pass 0 rather than an infinity. */
static double lp_glp_lo(int type, double lo)
{
    return (type == LP_DB || type == LP_FX || type == LP_LO) ? lo : 0.0;
}
static double lp_glp_hi(int type, double hi)
{
    return (type == LP_DB || type == LP_UP) ? hi : 0.0;
}

/* Map a finished glp_simplex or glp_exact (named by who) to a status; set
 * the message on failure. */
static int lp_classify(glp_prob *P, int ret, const char *who,
                       const lp_params *p, lp_solution *sol)
{
    int status, st = 0;
    const char *what;
    if (ret != 0) {
        switch (ret) {
        case GLP_EITLIM:
            lp_solution_nan(sol, LP_ITLIM);
            PREF_ERROR(PREF_ELP, "LP iteration limit reached (%d "
                       "iterations)", p->it_lim);
        case GLP_ETMLIM:
            lp_solution_nan(sol, LP_TMLIM);
            PREF_ERROR(PREF_ELP, "LP time limit reached (%d ms)",
                       p->tm_lim_ms);
        case GLP_ENOPFS:
            lp_solution_nan(sol, LP_INFEASIBLE);
            PREF_ERROR(PREF_ELP, "LP infeasible (detected by the presolver)");
        case GLP_ENODFS:
            lp_solution_nan(sol, LP_INF_OR_UNBD);
            PREF_ERROR(PREF_ELP, "LP unbounded or infeasible (the presolver "
                       "found no dual feasible solution)");
        case GLP_EBADB: what = "invalid initial basis"; break;
        case GLP_ESING: what = "singular basis matrix"; break;
        case GLP_ECOND: what = "ill-conditioned basis matrix"; break;
        case GLP_EBOUND: what = "inconsistent double bounds"; break;
        case GLP_EFAIL: what = "numerical failure"; break;
        case GLP_EOBJLL: case GLP_EOBJUL: what = "objective limit"; break;
        default: what = "unexpected return code"; break;
        }
        lp_solution_nan(sol, LP_FAILED);
        PREF_ERROR(PREF_ELP, "LP solver failed: %s (%s returned %d)",
                   what, who, ret);
    }
    st = glp_get_status(P);
    switch (st) {
    case GLP_OPT: return PREF_OK;
    case GLP_NOFEAS: status = LP_INFEASIBLE; what = "LP infeasible"; break;
    case GLP_UNBND: status = LP_UNBOUNDED; what = "LP unbounded"; break;
    default:
        lp_solution_nan(sol, LP_FAILED);
        PREF_ERROR(PREF_ELP, "LP solver stopped without an optimum (GLPK "
                   "status %d, primal %d, dual %d)", st,
                   glp_get_prim_stat(P), glp_get_dual_stat(P));
    }
    lp_solution_nan(sol, status);
    PREF_ERROR(PREF_ELP, "%s", what);
}

/* Track the binary exponents of the nonzero finite v seen: *lo the
 * smallest, *hi the largest (frexp: v = f 2^e, 0.5 <= |f| < 1). */
static void lp_exp_range(double v, int *lo, int *hi)
{
    if (v == 0.0 || !isfinite(v)) return;
    int e;
    frexp(v, &e);
    if (e < *lo) *lo = e;
    if (e > *hi) *hi = e;
}

/* The power of two that makes every double of exponent >= lo an integer
 * (f 2^53 is one) without pushing exponent hi past 2^1021. */
static double lp_pow2(int lo, int hi)
{
    if (lo > hi) return 1.0;            /* all zero */
    int k = 53 - lo, cap = 1021 - hi;
    if (k > cap) k = cap;
    if (k < 0) k = 0;                   /* already integers */
    return ldexp(1.0, k);
}

/* For lp_params.exact: glp_exact reads each double through a continued
 * fraction within 1e-9 relative (glpapi07.c, set_d_eps) unless it is an
 * integer, so 1 - 2.5e-11 would become 1. Scaling row i (coefficients and
 * bounds) by rho[i] and the objective by rho[m], powers of two, makes them
 * integers, exactly, so glp_exact sees the LP as given. Column bounds are
 * not scaled (0 or absent in this project's LPs). */
static void lp_exact_scales(const lp_problem *lp, double *rho)
{
    for (int i = 0; i < lp->m; i++) {
        int lo = INT_MAX, hi = INT_MIN;
        const lp_row *r = &lp->rows[i];
        for (int k = 1; k <= r->nnz; k++) lp_exp_range(r->val[k], &lo, &hi);
        lp_exp_range(lp->row_lo[i], &lo, &hi);
        lp_exp_range(lp->row_hi[i], &lo, &hi);
        rho[i] = lp_pow2(lo, hi);
    }
    int lo = INT_MAX, hi = INT_MIN;
    for (int j = 0; j < lp->n; j++) lp_exp_range(lp->obj[j], &lo, &hi);
    rho[lp->m] = lp_pow2(lo, hi);
}

/* A fresh glp_prob holding lp, row i scaled by rho[i] and the objective by
 * rho[m] when rho is not NULL; then val (room for every row's nnz + 1)
 * holds a scaled row. */
static glp_prob *lp_load(const lp_problem *lp, const double *rho,
                         double *val, int provoke)
{
    glp_prob *P = glp_create_prob();
    glp_set_obj_dir(P, lp->maximise ? GLP_MAX : GLP_MIN);
    glp_add_rows(P, lp->m);
    glp_add_cols(P, lp->n);
    for (int j = 0; j < lp->n; j++) {
        int t = lp->col_type[j];
        glp_set_col_bnds(P, j + 1, lp_glp_type(t, lp->col_lo[j],
                                               lp->col_hi[j]),
                         lp_glp_lo(t, lp->col_lo[j]),
                         lp_glp_hi(t, lp->col_hi[j]));
        glp_set_obj_coef(P, j + 1, rho ? lp->obj[j] * rho[lp->m]
                                       : lp->obj[j]);
    }
    for (int i = 0; i < lp->m; i++) {
        int t = lp->row_type[i];
        double f = rho ? rho[i] : 1.0;
        glp_set_row_bnds(P, i + 1, lp_glp_type(t, lp->row_lo[i],
                                               lp->row_hi[i]),
                         lp_glp_lo(t, lp->row_lo[i]) * f,
                         lp_glp_hi(t, lp->row_hi[i]) * f);
        const lp_row *r = &lp->rows[i];
        if (r->nnz == 0) continue;
        const double *v = r->val;
        if (rho) {      /* exact: a power of two */
            for (int k = 1; k <= r->nnz; k++) val[k] = r->val[k] * f;
            v = val;
        }
        glp_set_mat_row(P, i + 1, r->nnz, r->idx, v);
    }
    if (provoke)    /* lp_test_provoke_error: column lp->n + 5 is invalid */
        glp_set_obj_coef(P, lp->n + 5, 1.0);
    return P;
}

/* glp_simplex, then (p->exact) glp_exact from the basis it left, or from
 * the all-slack basis (always valid and nonsingular) when glp_exact finds
 * that basis invalid or singular. Returns the deciding routine's code and
 * its name in *who. glp_exact reads the unscaled data (GLPK keeps scale
 * factors apart from the coefficients) and the msg_lev, it_lim and tm_lim
 * of the same glp_smcp. */
static int lp_run(glp_prob *P, const lp_params *p, const char **who)
{
    glp_smcp parm;
    glp_init_smcp(&parm);
    parm.msg_lev = p->verbose ? GLP_MSG_ON : GLP_MSG_OFF;
    parm.meth = p->method == LP_DUAL ? GLP_DUAL
              : p->method == LP_DUALP ? GLP_DUALP : GLP_PRIMAL;
    parm.tol_bnd = p->tol_bnd;
    parm.tol_dj = p->tol_dj;
    parm.tol_piv = p->tol_piv;
    parm.it_lim = p->it_lim;
    parm.tm_lim = p->tm_lim_ms;
    parm.presolve = p->presolve ? GLP_ON : GLP_OFF;
    if (p->scale) glp_scale_prob(P, GLP_SF_AUTO);

    *who = "glp_simplex";
    int ret = glp_simplex(P, &parm);
    if (!p->exact) return ret;
    *who = "glp_exact";
    ret = glp_exact(P, &parm);
    if (ret == GLP_EBADB || ret == GLP_ESING) {
        glp_std_basis(P);
        ret = glp_exact(P, &parm);
    }
    return ret;
}

/* Everything that touches a glp_prob. Runs after lp_session's setjmp; any
 * GLPK error jumps straight back there, so this function needs no cleanup
 * path of its own for GLPK errors. */
static int lp_session_body(const lp_problem *lp, const lp_params *p,
                           lp_solution *sol, double *scr, int provoke)
{
    /* scr (exact only): rho (m + 1) from lp_exact_scales, then room for a
     * row. The answer is unscaled (exactly: powers of two) on the way out. */
    const double *rho = scr;
    glp_prob *P = lp_load(lp, rho, scr ? scr + lp->m + 1 : NULL, provoke);
    const char *who;
    int ret = lp_run(P, p, &who);
    sol->iterations = glp_get_it_cnt(P);
    int rc = lp_classify(P, ret, who, p, sol);
    if (rc == PREF_OK) {
        double so = rho ? rho[lp->m] : 1.0;
        for (int j = 0; j < lp->n; j++) {
            sol->x[j] = glp_get_col_prim(P, j + 1);
            sol->col_dual[j] = glp_get_col_dual(P, j + 1) / so;
        }
        for (int i = 0; i < lp->m; i++) {
            double sr = rho ? rho[i] : 1.0;
            sol->row_act[i] = glp_get_row_prim(P, i + 1) / sr;
            sol->row_dual[i] = glp_get_row_dual(P, i + 1) * sr / so;
        }
        sol->obj = glp_get_obj_val(P) / so;
        sol->status = LP_OPTIMAL;
    }
    glp_delete_prob(P);
    return rc;
}

/* One GLPK session: install hooks, run the body, free the environment. */
static int lp_session(const lp_problem *lp, const lp_params *p,
                      lp_solution *sol, lp_ctx *ctx, double *scr,
                      int provoke)
{
    /* The hooks and term_out live in the (per-thread) environment, which
     * the previous session freed, so install them every time. Creating the
     * environment is the one GLPK step that cannot be intercepted: if its
     * malloc fails, GLPK prints and aborts. */
    glp_term_hook(lp_term_hook, ctx);
    glp_error_hook(lp_error_hook, ctx);
    glp_term_out(p->verbose ? GLP_ON : GLP_OFF);
    if (setjmp(ctx->jb) != 0) {
        /* Back from glp_error via lp_error_hook. Per GLPK's manual the
         * environment must now be freed and no GLPK object touched again:
         * the glp_prob is reclaimed by glp_free_env, not glp_delete_prob. */
        glp_free_env();
        lp_solution_nan(sol, LP_GLPK_ERROR);
        /* Keep GLPK's first line (its diagnosis), drop the newline. */
        size_t n = strcspn(ctx->text, "\n");
        ctx->text[n] = '\0';
        PREF_ERROR(PREF_ELP, "LP solver failed: GLPK internal error: %s",
                   ctx->text[0] ? ctx->text : "(no message)");
    }
    int rc = lp_session_body(lp, p, sol, scr, provoke);
    glp_free_env();
    return rc;
}

int lp_backend_thread_local(void)
{
    const char *s = glp_config("TLS");  /* a constant; no environment */
    return s != NULL && s[0] != '\0';
}

const char *lp_backend_version(void)
{
    return glp_version();
}

static int lp_solve_internal(const lp_problem *lp, const lp_params *p,
                             lp_solution *sol, int provoke)
{
    if (sol == NULL) PREF_ERROR(PREF_EINPUT, "lp_solve: NULL solution");
    sol->iterations = 0;
    sol->status = LP_NOT_SOLVED;
    if (lp == NULL) PREF_ERROR(PREF_EINPUT, "lp_solve: NULL problem");
    if (sol->n_rows != (size_t)lp->m || sol->n_cols != (size_t)lp->n)
        PREF_ERROR(PREF_EINPUT, "lp_solve: solution is %zu x %zu but the "
                   "problem is %d x %d", sol->n_rows, sol->n_cols, lp->m,
                   lp->n);
    lp_params defaults;
    if (p == NULL) {
        lp_params_init(&defaults);
        p = &defaults;
    }
    const char *bad = lp_params_check(p);
    if (bad != NULL) {
        lp_solution_nan(sol, LP_NOT_SOLVED);
        PREF_ERROR(PREF_EINPUT, "lp_solve: %s", bad);
    }

    double *scr = NULL;     /* exact: see lp_session_body */
    if (p->exact) {
        int wide = 0;
        for (int i = 0; i < lp->m; i++)
            if (lp->rows[i].nnz > wide) wide = lp->rows[i].nnz;
        scr = malloc(((size_t)lp->m + (size_t)wide + 2) * sizeof *scr);
        if (scr == NULL) {
            lp_solution_nan(sol, LP_NOT_SOLVED);
            PREF_ERROR(PREF_ENOMEM, "lp_solve: out of memory");
        }
        lp_exact_scales(lp, scr);
    }
    lp_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.verbose = p->verbose;
    int rc;
    if (lp_backend_thread_local()) {
        rc = lp_session(lp, p, sol, &ctx, scr, provoke);
    } else {
        /* One global GLPK environment: one session at a time. */
#ifdef _OPENMP
#pragma omp critical(hetpref_glpk)
#endif
        rc = lp_session(lp, p, sol, &ctx, scr, provoke);
    }
    free(scr);
    return rc;
}

int lp_solve(const lp_problem *lp, const lp_params *p, lp_solution *sol)
{
    return lp_solve_internal(lp, p, sol, 0);
}

int lp_solve_verified(const lp_problem *lp, const lp_params *p,
                      lp_solution *sol, lp_verify_fn verify, void *ctx)
{
    if (verify == NULL)
        PREF_ERROR(PREF_EINPUT, "lp_solve_verified: NULL verify");
    lp_params q;
    if (p == NULL) lp_params_init(&q);
    else q = *p;
    int rc = lp_solve(lp, &q, sol);
    if (rc == PREF_OK) rc = verify(sol, ctx);
    if (rc != PREF_ELP || q.exact || sol == NULL ||
        sol->status == LP_ITLIM || sol->status == LP_TMLIM)
        return rc;
    char first[512], second[512];
    snprintf(first, sizeof first, "%s", pref_last_error());
    int it = sol->iterations;
    q.exact = 1;
    rc = lp_solve(lp, &q, sol);
    if (rc == PREF_OK) rc = verify(sol, ctx);
    sol->iterations += it;
    if (rc == PREF_ELP) {
        snprintf(second, sizeof second, "%s", pref_last_error());
        pref_set_error(rc, "%s (after GLPK's exact simplex; the "
                       "floating-point simplex said: %s)", second, first);
    }
    return rc;
}

int lp_test_provoke_error(void)
{
    /* min x s.t. x >= 1: valid, so only the provoked call can fail. */
    int err;
    lp_problem *lp = lp_alloc(1, 1, &err);
    if (lp == NULL) return err;
    lp_solution *sol = lp_solution_alloc(1, 1);
    if (sol == NULL) {
        lp_free(lp);
        PREF_ERROR(PREF_ENOMEM, "lp_test_provoke_error: out of memory");
    }
    double one = 1.0;
    int rc = lp_set_obj_coef(lp, 0, 1.0);
    if (rc == PREF_OK) rc = lp_set_row(lp, 0, &one);
    if (rc == PREF_OK) rc = lp_set_row_bounds(lp, 0, LP_LO, 1.0, INFINITY);
    if (rc == PREF_OK) rc = lp_solve_internal(lp, NULL, sol, 1);
    lp_solution_free(sol);
    lp_free(lp);
    return rc;
}
