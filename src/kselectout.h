/* kselectout.h — the files of a choice of K: DIR/select.csv, one row per
 * K, and DIR/select.gp (.png, .svg) drawing BIC and the held-out
 * log-likelihood against K.
 *
 * select.csv columns: K,loglik,n_params,aic,bic,icl,heldout_loglik,
 * heldout_se,converged,best_hits (numbers as %.17g; NaN where a criterion
 * does not exist for the model, e.g. EM-DPO's aic/bic/icl/best_hits).
 * heldout_loglik is the total over users of the held-out log-likelihoods,
 * heldout_se its standard error (kselect.h). Written with fsutil (whole or
 * not at all). Not here: fitting and the picks (kselect.h), the command
 * line (cli_fit.c). */
#ifndef HETPREF_KSELECTOUT_H
#define HETPREF_KSELECTOUT_H

#include <stddef.h>

/* One K: its full-data fit and its cross-validation. */
typedef struct kselectout_row {
    size_t K;
    double loglik;       /* full-data fit */
    double n_params;     /* free parameters of the full-data fit */
    double aic, bic, icl;/* NaN when the model has none */
    double heldout;      /* total held-out log-likelihood over users */
    double heldout_se;   /* its standard error */
    int converged;       /* 1: the full-data fit and every fold fit converged */
    double best_hits;    /* starts reaching the best (NaN: one start only) */
} kselectout_row;

/* Write dir/select.csv for rows[0..n). Returns PREF_OK or PREF_EIO. */
int kselectout_write(const char *dir, const kselectout_row *rows, size_t n);

/* Write dir/picks.csv: one row pick_bic,pick_heldout,heldout_best_k,
 * heldout_threshold,folds — the K picked by BIC (NaN when the model has
 * no BIC), the K picked by the one-standard-error rule, the K of the
 * largest held-out total and the threshold (that total minus its standard
 * error) the rule used, and the number of folds. Returns PREF_OK or
 * PREF_EIO. */
int kselectout_write_picks(const char *dir, double pick_bic, size_t pick_heldout,
                           size_t best_k, double threshold, size_t folds);

/* Draw select.csv of dir (already written) into dir/select.gp, .png and
 * .svg: BIC (left axis, when has_bic) and the held-out log-likelihood with
 * +-1 standard error bars (right axis) against K. Missing gnuplot is a
 * warning (plot.h); *rendered (may be NULL) as plot_render. Returns
 * PREF_OK, PREF_EIO or PREF_ENOMEM. */
int kselectout_plot(const char *dir, int has_bic, size_t folds, int *rendered);

#endif
