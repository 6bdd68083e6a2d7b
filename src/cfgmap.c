/* cfgmap.c — configuration keys to estimator parameters (see cfgmap.h). */
#include "cfgmap.h"

#include <stdint.h>
#include <string.h>

void cfgmap_mix_params(const cfg *c, mix_params *p)
{
    mix_params_init(p);
    p->starts = (size_t)c->fit_starts;
    p->tol = c->fit_tol;
    p->max_iter = (size_t)c->fit_max_iter;
    p->warm_users = (size_t)c->fit_warm_users;
    p->sandwich = c->fit_se == CFG_fit_se_sandwich;
    p->seed = (uint64_t)c->run_seed;
}

void cfgmap_emdpo_params(const cfg *c, emdpo_params *p)
{
    emdpo_params_init(p);
    p->net.d = (size_t)c->design_d;
    p->net.hidden = (size_t)c->emdpo_hidden;
    p->net.layers = (size_t)c->emdpo_layers;
    p->net.act = c->emdpo_activation == CFG_emdpo_activation_softplus ? NN_SOFTPLUS : NN_TANH;
    p->dpo.beta = c->emdpo_beta;
    p->dpo.batch = (size_t)c->emdpo_batch;
    p->dpo.epochs = (size_t)c->emdpo_epochs;
    p->dpo.adam.lr = c->emdpo_lr;
    p->K = (size_t)c->fit_types;
    p->em_iters = (size_t)c->emdpo_em_iters;
    p->tol = c->emdpo_em_tol;
    p->patience = (size_t)c->emdpo_em_patience;
    p->init = c->emdpo_init == CFG_emdpo_init_dirichlet ? EMDPO_INIT_DIRICHLET
              : c->emdpo_init == CFG_emdpo_init_truth   ? EMDPO_INIT_TRUTH
                                                      : EMDPO_INIT_KMEANS;
    p->warm = c->emdpo_m_step == CFG_emdpo_m_step_warm;
    p->dpo.precision = c->emdpo_precision == CFG_emdpo_precision_single ? DPO_SINGLE
                                                                        : DPO_DOUBLE;
    p->seed = (uint64_t)c->run_seed;
}

void cfgmap_npmle_params(const cfg *c, npmle_params *p)
{
    npmle_params_init(p);
    p->gap = c->npmle_gap;
    p->max_iter = (size_t)c->npmle_max_iter;
    p->accel = c->npmle_accel == CFG_npmle_accel_newton    ? NPMLE_NEWTON
               : c->npmle_accel == CFG_npmle_accel_squarem ? NPMLE_SQUAREM
                                                           : NPMLE_EM;
}
