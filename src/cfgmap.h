/* cfgmap.h — the one mapping from configuration keys to estimator
 * parameter structs.
 *
 * The estimators (mix.h, emdpo.h) take plain parameter structs and know
 * nothing of configuration files; the commands (fit) and the experiments
 * (sims/) both fill those structs from a resolved cfg, and do it here so the
 * two can never disagree. Not here: validation (mix_params_check,
 * emdpo_params_check) or any I/O. */
#ifndef HETPREF_CFGMAP_H
#define HETPREF_CFGMAP_H

#include "cfg.h"
#include "emdpo.h"
#include "mix.h"
#include "npmle.h"

/* Defaults (mix_params_init), then the [fit] keys starts, tol, max_iter and
 * se, and run.seed. c and p must not be NULL. */
void cfgmap_mix_params(const cfg *c, mix_params *p);

/* Defaults (emdpo_params_init), then design.d, the [emdpo] keys (hidden,
 * layers, activation, beta, batch, epochs, lr, em_iters, em_tol,
 * em_patience, init, m_step, precision), fit.types and run.seed. c and p
 * must not be NULL. */
void cfgmap_emdpo_params(const cfg *c, emdpo_params *p);

/* npmle_params from [npmle] (threads left at the default). */
void cfgmap_npmle_params(const cfg *c, npmle_params *p);

#endif
