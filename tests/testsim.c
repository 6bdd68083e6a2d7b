/* testsim.c — simulated data for the unit tests (see testsim.h). */
#include "testsim.h"

#include <gsl/gsl_test.h>

#include "err.h"
#include "rngs.h"
#include "sim.h"

data_set *testsim_data(cfg *c, const char *const *kv, unsigned long seed)
{
    cfg_init(c);
    int st = PREF_OK;
    for (size_t i = 0; kv[i] && !st; i += 2)
        st = cfg_set_dotted(c, kv[i], kv[i + 1], NULL, 0);
    if (!st) st = cfg_check(c);
    gsl_test_int(st, PREF_OK, "make_data: config");
    if (st) return NULL;
    sim_population *p = NULL;
    sim_design *g = NULL;
    data_set *ds = NULL;
    gsl_rng *r = rngs_alloc(seed);
    if (sim_population_from_cfg(c, &p) == PREF_OK &&
        sim_design_from_cfg(c, r, &g) == PREF_OK)
        gsl_test_int(sim_simulate(p, g, seed, &ds), PREF_OK, "make_data: simulate");
    else
        gsl_test(1, "make_data: population/design");
    sim_design_free(g);
    sim_population_free(p);
    gsl_rng_free(r);
    return ds;
}
