/* rngs.h — per-task random number generators from one master seed.
 *
 * A task (sweep cell c, replicate k) gets the seed
 *   rngs_seed(master, c, k) = splitmix64(master ^ splitmix64(c ^ splitmix64(k)))
 * reduced to a nonzero 32-bit value, so results never depend on which thread
 * ran the task or in what order. The seed is written into every output row.
 * The generator type is GSL's taus2 (L'Ecuyer's maximally equidistributed
 * combined Tausworthe generator, period 2^88): simulation quality and about
 * twice as fast as mt19937 for the Gaussian features and Gumbel draws that
 * dominate simulation time (bench/). Changing it changes every result.
 * Not here: any global generator (there is none). */
#ifndef HETPREF_RNGS_H
#define HETPREF_RNGS_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

/* One splitmix64 step (Steele, Lea, Flood 2014) as a 64-bit mixing hash. */
uint64_t rngs_mix(uint64_t x);

/* Nonzero 32-bit seed for (master, cell, replicate). */
unsigned long rngs_seed(uint64_t master, uint64_t cell, uint64_t replicate);

/* A generator of the project's type seeded with seed; NULL when
 * out of memory. Free with gsl_rng_free. */
gsl_rng *rngs_alloc(unsigned long seed);

#endif
