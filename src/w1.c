/* w1.c — 1-Wasserstein distance by the transportation LP (see w1.h).
 *
 * What it does: validates and renormalises the two weight vectors, builds
 * the Euclidean cost matrix, and solves
 *
 *     min sum_ij c_ij pi_ij   s.t.  sum_j pi_ij = wa_i   (i < na)
 *                                   sum_i pi_ij = wb_j   (j < nb - 1)
 *                                   pi >= 0
 *
 * with lp.h. The column-sum equality of the last atom of b is dropped: it is
 * implied by the others (both sides carry total mass 1), and keeping it
 * would make the row set rank-deficient and, after rounding, possibly
 * inconsistent by an ulp. Dropping it makes the last column of pi absorb that
 * rounding instead. What it does not do: reuse LPs between calls, exploit the
 * transportation structure (network simplex), or approximate. */
#include "w1.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "lp.h"

/* Euclidean norm of p - q in R^d, scaled so that squares cannot overflow or
 * underflow needlessly (as LAPACK's dnrm2): m * sqrt(sum ((p - q) / m)^2)
 * with m = max |p_k - q_k|. Exact for d = 1. */
static double w1_dist(const double *p, const double *q, size_t d)
{
    double m = 0.0;
    for (size_t k = 0; k < d; k++) m = fmax(m, fabs(p[k] - q[k]));
    if (m == 0.0 || !isfinite(m)) return m;
    double s = 0.0;
    for (size_t k = 0; k < d; k++) {
        double t = (p[k] - q[k]) / m;
        s += t * t;
    }
    return m * sqrt(s);
}

/* Check one distribution; write the renormalised weights to w_out. */
static int w1_check_side(const char *fn, const char *side, size_t n,
                         const double *w, const double *x, size_t d,
                         double *w_out)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(w[i]) || w[i] < 0.0)
            PREF_ERROR(PREF_EINPUT, "%s: weight %zu of %s is %g (must be "
                       "finite and >= 0)", fn, i, side, w[i]);
        sum += w[i];
    }
    if (!(fabs(sum - 1.0) <= W1_SUM_TOL))
        PREF_ERROR(PREF_EINPUT, "%s: weights of %s sum to %.17g, not 1 "
                   "(tolerance %g)", fn, side, sum, W1_SUM_TOL);
    for (size_t i = 0; i < n; i++) w_out[i] = w[i] / sum;
    for (size_t e = 0; e < n * d; e++)
        if (!isfinite(x[e]))
            PREF_ERROR(PREF_EINPUT, "%s: point %zu of %s has coordinate "
                       "%zu = %g (must be finite)", fn, e / d, side, e % d,
                       x[e]);
    return PREF_OK;
}

int w1_certify(size_t na, const double *wa, size_t nb, const double *wb,
                const double *cost, const double *plan, const double *v,
                double tol, double *upper, double *lower)
{
    if (!wa || !wb || !cost || !plan || !v || !upper || !lower)
        PREF_ERROR(PREF_EINPUT, "w1_certify: NULL argument");
    if (na == 0 || nb == 0 || !(tol > 0 && tol < 1))
        PREF_ERROR(PREF_EINPUT, "w1_certify: na = %zu, nb = %zu must be >= 1 "
                   "and tol = %g in (0, 1)", na, nb, tol);
    /* upper: the cost of the plan (negatives clipped) plus 2 (|r|_1 + |s|_1)
     * max c for its marginal residuals r, s: a feasible plan that close
     * exists (Altschuler, Weed & Rigollet 2017, Lemma 7). */
    double cost_pi = 0, res = 0, cmax = 0, mag = 0, lo = 0;
    for (size_t i = 0; i < na; i++) {
        double r = wa[i];
        for (size_t j = 0; j < nb; j++) {
            double p = fmax(0.0, plan[i * nb + j]);
            cost_pi += cost[i * nb + j] * p;
            cmax = fmax(cmax, cost[i * nb + j]);
            r -= p;
        }
        res += fabs(r);
    }
    for (size_t j = 0; j < nb; j++) {
        double r = wb[j];
        for (size_t i = 0; i < na; i++) r -= fmax(0.0, plan[i * nb + j]);
        res += fabs(r);
    }
    *upper = cost_pi + 2.0 * res * cmax;
    /* lower: the potentials made feasible by the c-transform
     * u_i = min_j (c_ij - v_j), then sum wa u + sum wb v (weak duality). */
    for (size_t i = 0; i < na; i++) {
        double ui = INFINITY;
        for (size_t j = 0; j < nb; j++)
            ui = fmin(ui, cost[i * nb + j] - v[j]);
        if (!isfinite(ui))
            PREF_ERROR(PREF_ELP, "W1 LP answer does not verify: a potential "
                       "of b is not finite");
        lo += wa[i] * ui;
        mag += wa[i] * fabs(ui);
    }
    for (size_t j = 0; j < nb; j++) {
        lo += wb[j] * v[j];
        mag += wb[j] * fabs(v[j]);
    }
    *lower = lo;
    /* rounding of the sums above: cancellation in the dual one */
    double floor = 8.0 * ((double)(na + nb) + 2.0) * DBL_EPSILON * (mag + cmax);
    if (*upper - *lower <= tol * fmax(*upper, fabs(*lower)) + floor)
        return PREF_OK;
    PREF_ERROR(PREF_ELP, "W1 LP answer does not verify: the plan costs at "
               "most %.17g, the potentials prove at least %.17g (tolerance "
               "%g relative)", *upper, *lower, tol);
}

/* What w1_check needs (lp_verify_fn's ctx). */
typedef struct w1_ctx {
    size_t na, nb;
    const double *wa, *wb, *c;
    double tol;
    double *v;          /* (nb) scratch */
} w1_ctx;

/* lp_verify_fn: w1_certify with the duals of b's rows as potentials (the
 * last column's row is dropped: v = 0 there). */
static int w1_check(const lp_solution *sol, void *ctx)
{
    w1_ctx *w = ctx;
    for (size_t j = 0; j + 1 < w->nb; j++) w->v[j] = sol->row_dual[w->na + j];
    w->v[w->nb - 1] = 0.0;
    double up, lo;
    return w1_certify(w->na, w->wa, w->nb, w->wb, w->c, sol->x, w->v,
                      w->tol, &up, &lo);
}

/* The transportation LP solved and verified (re-solved exactly when GLPK's
 * floating-point simplex fails or its answer does not verify). */
static int w1_solve_verified(const lp_problem *lp, size_t na,
                             const double *wa, size_t nb, const double *wb,
                             const double *c, lp_solution *sol)
{
    double *v = malloc(nb * sizeof *v);
    if (v == NULL) PREF_ERROR(PREF_ENOMEM, "out of memory");
    lp_params p;
    lp_params_init(&p);
    w1_ctx w = {na, nb, wa, wb, c, p.verify_tol, v};
    int rc = lp_solve_verified(lp, &p, sol, w1_check, &w);
    free(v);
    return rc;
}

/* The transportation LP on validated, renormalised input. */
static int w1_lp(size_t na, const double *wa, const double *xa, size_t nb,
                 const double *wb, const double *xb, size_t d,
                 const char *fn, double *out)
{
    size_t nv = na * nb, nr = na + nb - 1;
    int err, rc;
    lp_problem *lp = lp_alloc(nr, nv, &err);
    lp_solution *sol = lp_solution_alloc(nr, nv);
    double *c = malloc(nv * sizeof *c);
    size_t nmax = na > nb ? na : nb;
    int *idx = malloc(nmax * sizeof *idx);
    double *ones = malloc(nmax * sizeof *ones);
    if (lp == NULL || sol == NULL || c == NULL || idx == NULL ||
        ones == NULL) {
        rc = lp == NULL ? err
           : pref_set_error(PREF_ENOMEM, "%s: out of memory for a %zu x %zu "
                            "transportation LP", fn, na, nb);
        goto done;
    }
    for (size_t k = 0; k < nmax; k++) ones[k] = 1.0;
    /* pi_ij is column i * nb + j; cost c_ij = |xa_i - xb_j|. */
    double cmax = 0.0;
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++) {
            double dist = w1_dist(&xa[i * d], &xb[j * d], d);
            if (!isfinite(dist)) {
                rc = pref_set_error(PREF_EINPUT, "%s: distance between point "
                                    "%zu of a and point %zu of b overflows",
                                    fn, i, j);
                goto done;
            }
            c[i * nb + j] = dist;
            cmax = fmax(cmax, dist);
        }
    if (cmax == 0.0) {          /* every atom of a coincides with every atom
                                   of b: nothing moves */
        *out = 0.0;
        rc = PREF_OK;
        goto done;
    }
    /* W1 is positively homogeneous in the costs: solve with c / cmax in
     * [0, 1] (well scaled for the simplex tolerances, and the objective
     * cannot overflow) and multiply back. */
    for (size_t k = 0; k < nv; k++) c[k] /= cmax;
    rc = lp_set_objective(lp, c, 0);
    /* Row i < na: sum_j pi_ij = wa_i. */
    for (size_t i = 0; i < na && rc == PREF_OK; i++) {
        for (size_t j = 0; j < nb; j++) idx[j] = (int)(i * nb + j);
        rc = lp_set_row_sparse(lp, i, nb, idx, ones);
        if (rc == PREF_OK)
            rc = lp_set_row_bounds(lp, i, LP_FX, wa[i], wa[i]);
    }
    /* Row na + j, j < nb - 1: sum_i pi_ij = wb_j (the last one is implied). */
    for (size_t j = 0; j + 1 < nb && rc == PREF_OK; j++) {
        for (size_t i = 0; i < na; i++) idx[i] = (int)(i * nb + j);
        rc = lp_set_row_sparse(lp, na + j, na, idx, ones);
        if (rc == PREF_OK)
            rc = lp_set_row_bounds(lp, na + j, LP_FX, wb[j], wb[j]);
    }
    if (rc == PREF_OK) rc = w1_solve_verified(lp, na, wa, nb, wb, c, sol);
    if (rc == PREF_OK) {
        /* The cost is >= 0 for any pi >= 0; a basic pi may carry -1e-17
         * rounding, which must not make the distance negative. */
        *out = cmax * fmax(0.0, sol->obj);
    } else {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", pref_last_error());
        pref_set_error(rc, "%s: %s", fn, msg);
    }
done:
    free(ones);
    free(idx);
    free(c);
    lp_solution_free(sol);
    lp_free(lp);
    return rc;
}

static int w1_run(const char *fn, int allow_closed_form, size_t na,
                  const double *wa, const double *xa, size_t nb,
                  const double *wb, const double *xb, size_t d, double *out)
{
    if (out == NULL || wa == NULL || xa == NULL || wb == NULL || xb == NULL)
        PREF_ERROR(PREF_EINPUT, "%s: NULL argument", fn);
    if (na == 0 || nb == 0 || d == 0)
        PREF_ERROR(PREF_EINPUT, "%s: sizes na = %zu, nb = %zu, d = %zu must "
                   "be >= 1", fn, na, nb, d);
    if (na > LP_MAX_DIM / nb)   /* na * nb > LP_MAX_DIM, without overflow */
        PREF_ERROR(PREF_EINPUT, "%s: %zu x %zu atoms exceed the LP size limit "
                   "(%d variables)", fn, na, nb, LP_MAX_DIM);
    double *w = malloc((na + nb) * sizeof *w);
    if (w == NULL)
        PREF_ERROR(PREF_ENOMEM, "%s: out of memory", fn);
    int rc = w1_check_side(fn, "a", na, wa, xa, d, w);
    if (rc == PREF_OK) rc = w1_check_side(fn, "b", nb, wb, xb, d, w + na);
    if (rc == PREF_OK) {
        if (allow_closed_form && (na == 1 || nb == 1)) {
            /* A point mass is transported whole: the only coupling is
             * pi_ij = w_j (or w_i), so W1 = sum_j w_j |x - x_j|. */
            const double *x0 = na == 1 ? xa : xb, *xs = na == 1 ? xb : xa;
            const double *ws = na == 1 ? w + na : w;
            size_t n = na == 1 ? nb : na;
            double s = 0.0;
            for (size_t j = 0; j < n && rc == PREF_OK; j++) {
                double dist = w1_dist(x0, &xs[j * d], d);
                if (!isfinite(dist))
                    rc = pref_set_error(PREF_EINPUT, "%s: distance between "
                                        "the single atom and point %zu of %s "
                                        "overflows", fn, j,
                                        na == 1 ? "b" : "a");
                s += ws[j] * dist;
            }
            if (rc == PREF_OK) *out = s;
        } else {
            rc = w1_lp(na, w, xa, nb, w + na, xb, d, fn, out);
        }
    }
    free(w);
    return rc;
}

int w1_distance(size_t na, const double *wa, const double *xa, size_t nb,
                const double *wb, const double *xb, size_t d, double *out)
{
    return w1_run("w1_distance", 1, na, wa, xa, nb, wb, xb, d, out);
}

int w1_distance_lp(size_t na, const double *wa, const double *xa, size_t nb,
                   const double *wb, const double *xb, size_t d, double *out)
{
    return w1_run("w1_distance_lp", 0, na, wa, xa, nb, wb, xb, d, out);
}
