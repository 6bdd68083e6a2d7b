/* rngs.c — seed derivation and generator allocation (see rngs.h). */
#include "rngs.h"

uint64_t rngs_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

unsigned long rngs_seed(uint64_t master, uint64_t cell, uint64_t replicate)
{
    uint64_t h = rngs_mix(master ^ rngs_mix(cell ^ rngs_mix(replicate)));
    unsigned long s = (unsigned long)(h & 0xffffffffULL);
    return s ? s : 1UL;
}

gsl_rng *rngs_alloc(unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    if (r) gsl_rng_set(r, seed);
    return r;
}
