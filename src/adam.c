/* adam.c — Adam / AdamW as one flat loop (see adam.h; llm.c's gpt2_update).
 *
 * What it does: one optimiser step over a contiguous buffer, written to
 * follow torch.optim.AdamW (and torch.optim.Adam when weight_decay = 0) step
 * by step, with amsgrad = False and maximize = False:
 *
 *   p   <- p - lr wd p                       (decoupled decay, Loshchilov &
 *                                             Hutter 2019, Alg. 2)
 *   m   <- beta1 m + (1 - beta1) g           (Kingma & Ba 2015, Alg. 1)
 *   v   <- beta2 v + (1 - beta2) g^2
 *   p   <- p - (lr / (1 - beta1^t)) m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 *
 * The last line is torch's arrangement of the bias corrections
 * (torch/optim/adamw.py, _single_tensor_adamw: step_size = lr / bc1,
 * denom = sqrt(v) / sqrt(bc2) + eps), so eps enters exactly where torch puts
 * it. torch computes the first moment with lerp, m + (1 - beta1)(g - m),
 * which can differ from the line above in the last bit; nothing else
 * differs.
 *
 * What it deliberately does not do: schedules, gradient clipping, amsgrad,
 * or torch.optim.Adam's *coupled* L2 weight decay (g += wd p) — weight decay
 * here is always the decoupled AdamW form. */
#include "adam.h"

#include <math.h>

#include "config.h"

void adam_params_init(adam_params *p)
{
    p->lr = 1e-3;
    p->beta1 = 0.9;
    p->beta2 = 0.999;
    p->eps = 1e-8;
    p->weight_decay = 0.0;
}

const char *adam_params_check(const adam_params *p)
{
    if (!(p->lr > 0) || !isfinite(p->lr)) return "learning rate must be > 0 and finite";
    if (!(p->beta1 >= 0 && p->beta1 < 1)) return "beta1 must be in [0, 1)";
    if (!(p->beta2 >= 0 && p->beta2 < 1)) return "beta2 must be in [0, 1)";
    if (!(p->eps >= 0) || !isfinite(p->eps)) return "eps must be >= 0 and finite";
    if (!(p->weight_decay >= 0) || !isfinite(p->weight_decay))
        return "weight_decay must be >= 0 and finite";
    return NULL;
}

/* The step's loop is element-wise and uses only +, *, / and sqrt (each
 * correctly rounded, no contraction in ISO C mode), so a build per x86-64
 * level gives the same bits; the widest vectors the CPU runs cut the step's
 * square roots and divisions per parameter. */
#if defined(HAVE_TARGET_CLONES)
__attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#endif
void adam_step(const adam_params *p, double *params, const double *grads,
               double *m, double *v, size_t n, size_t t)
{
    double b1 = p->beta1, b2 = p->beta2;
    double bc1 = 1.0 - pow(b1, (double)t);
    double bc2_sqrt = sqrt(1.0 - pow(b2, (double)t));
    double step_size = p->lr / bc1;
    double decay = 1.0 - p->lr * p->weight_decay, eps = p->eps;
    if (p->weight_decay != 0.0)
        for (size_t i = 0; i < n; i++) params[i] *= decay;
    /* Element-wise, so vectorising it (omp simd; sqrt is inlined because
     * the build uses -fno-math-errno) changes no bit. */
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        double g = grads[i];
        m[i] = b1 * m[i] + (1.0 - b1) * g;
        v[i] = b2 * v[i] + (1.0 - b2) * g * g;
        double denom = sqrt(v[i]) / bc2_sqrt + eps;
        params[i] -= step_size * (m[i] / denom);
    }
}
