/* adam.h — Adam (Kingma & Ba 2015) with optional decoupled weight decay
 * (AdamW), as one flat loop over a contiguous parameter buffer (llm.c's
 * gpt2_update). Same update as torch.optim.Adam / AdamW with default
 * arguments. Not here: learning-rate schedules. */
#ifndef HETPREF_ADAM_H
#define HETPREF_ADAM_H

#include <stddef.h>

typedef struct adam_params {
    double lr;            /* default 1e-3 */
    double beta1, beta2;  /* 0.9, 0.999 */
    double eps;           /* 1e-8 */
    double weight_decay;  /* 0 (decoupled, AdamW-style) */
} adam_params;

void adam_params_init(adam_params *p);
const char *adam_params_check(const adam_params *p);

/* One step t (1-based) on n parameters with moments m, v (zeroed before
 * step 1). */
void adam_step(const adam_params *p, double *params, const double *grads,
               double *m, double *v, size_t n, size_t t);

#endif
