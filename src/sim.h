/* sim.h — simulated annotator populations, query designs and answers.
 *
 * A population is either finite (K point masses theta_k with weights eta_k:
 * latent_class, and the presets polarised = (b, -b) with weights 1/2
 * and indifferent = delta_0) or Gaussian random coefficients theta ~ N(mean,
 * cov). A design says how many users, answers per user (T), candidates per
 * query (m), ranked positions (r) and how candidate features are drawn:
 * fresh for every query, or drawn from per-prompt candidate pools (the
 * layout the neural EM-DPO scenarios build on).
 *
 * sim_simulate draws a whole data set: user types, then every answer exactly
 * by Gumbel-perturbed utilities (pl_sample). It works in blocks of users, each
 * with a generator seeded from (seed, block), in parallel with OpenMP; the
 * result does not depend on the thread count. No allocation per user or
 * answer. Not here: file formats (csvio.h; truth files: truthio.h),
 * configuration parsing (cfg.h). */
#ifndef HETPREF_SIM_H
#define HETPREF_SIM_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "cfg.h"
#include "data.h"

enum { SIM_LINEAR = 0, SIM_TRAITS = 1, SIM_TEACHER = 2 };

typedef struct sim_population {
    size_t d;
    size_t K;        /* point masses (finite), 0 for gaussian */
    double *eta;     /* (K) */
    double *theta;   /* (K, d) linear utilities (zeros for nonlinear kinds) */
    double *mean;    /* (d) gaussian only, else NULL */
    double *chol;    /* (d, d) lower Cholesky factor of cov, gaussian only */
    int reward;      /* SIM_LINEAR, SIM_TRAITS or SIM_TEACHER */
    double reward_scale;
    size_t th;       /* teacher hidden units */
    double *teacher; /* (K, th*d + 2*th + 1): W (d, th), b (th), v (th), scale */
} sim_population;

typedef struct sim_design {
    size_t d, m, r, T, users;
    int uniform;     /* 1: uniform(-s, s) features; 0: N(0, s^2) */
    double scale;
    size_t prompts, pool, test_prompts;
    size_t prompt_lo, prompt_hi; /* prompts queries draw from: [lo, hi) */
    double *pool_x;  /* ((prompts + test_prompts) * pool, d), or NULL */
    double *ref_w;   /* (d) reference quality weights, NULL: uniform */
    double *pool_logp; /* ((prompts + test_prompts) * pool) log pi_ref, or NULL */
} sim_design;

/* Build from a checked configuration. Returns PREF_OK, PREF_EINPUT (e.g. a
 * covariance that is not positive definite, naming the config line) or
 * PREF_ENOMEM. Free with sim_population_free (NULL is a no-op). */
int sim_population_from_cfg(const cfg *c, sim_population **out);
void sim_population_free(sim_population *p);

/* Same for the [compare] population (always finite). */
int sim_population_compare_from_cfg(const cfg *c, sim_population **out);

/* Build from a checked configuration; candidate pools (if any) are drawn
 * with rng. Free with sim_design_free (NULL is a no-op). */
int sim_design_from_cfg(const cfg *c, const gsl_rng *rng, sim_design **out);
void sim_design_free(sim_design *g);

/* Reward of type k for a candidate with features x (d): theta_k . x for
 * linear kinds; reward_scale * tanh(2 x_k) for traits; the type's teacher
 * network for teacher. */
double sim_reward(const sim_population *p, size_t k, const double *x);

/* Restrict queries to the training prompts (test = 0, the default) or to the
 * held-out test prompts (test = 1; needs design.test_prompts > 0). */
void sim_design_use_prompts(sim_design *g, int test);

/* Draw a user's utility vector into theta (d). Returns the type index
 * (0..K-1), or DATA_NONE for a gaussian population. */
uint32_t sim_draw_user(const sim_population *p, const gsl_rng *rng,
                       double *theta);

/* The population discretised on G points theta (G, p->d): for a gaussian
 * population w_r proportional to its density N(theta_r; mean, cov) (the
 * Cholesky factor the simulator draws with), normalised to sum 1 over the
 * points: on a regular grid of spacing h much below the smallest standard
 * deviation that reaches a few of them past the mean, its mean and
 * covariance are those of the population up to the mass outside the grid.
 * Not for finite populations (their atoms are the exact truth):
 * PREF_EINPUT, also when no point has positive density. O(G d^2). */
int sim_population_discretise(const sim_population *p, const double *theta,
                              size_t G, double *w);

/* Draw one query's candidates: x (m, d). With pools, *prompt and items[0..m)
 * receive the prompt and pool indices (work needs pool uint32s); without,
 * *prompt = DATA_NONE and items[j] = j. */
void sim_draw_query(const sim_design *g, const gsl_rng *rng, double *x,
                    uint32_t *prompt, uint32_t *items, uint32_t *work);

/* Simulate g->users users with g->T answers each. Returns PREF_OK and *out
 * (caller frees with data_free), or PREF_ENOMEM. Deterministic in seed. */
int sim_simulate(const sim_population *p, const sim_design *g,
                 unsigned long seed, data_set **out);

#endif
