/* progress.c — terminal progress bar (see progress.h). */
#include "progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void progress_start(progress *p, const char *label, size_t total)
{
    memset(p, 0, sizeof *p);
    const char *ci = getenv("CI");
    p->enabled = isatty(STDERR_FILENO) && !(ci && *ci);
    p->total = total;
    p->t0 = p->last = now();
    snprintf(p->label, sizeof p->label, "%s", label);
}

static void draw(progress *p, double t)
{
    double frac = p->total ? (double)p->done / (double)p->total : 1.0;
    int width = 30, fill = (int)(frac * width);
    char bar[32];
    for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    double el = t - p->t0;
    double eta = p->done ? el * (double)(p->total - p->done) / (double)p->done
                         : 0.0;
    fprintf(stderr, "\r%s [%s] %zu/%zu  %.0fs elapsed, ETA %.0fs ", p->label,
            bar, p->done, p->total, el, eta);
    fflush(stderr);
}

void progress_tick(progress *p, size_t n)
{
#pragma omp critical(hetpref_progress)
    {
        p->done += n;
        if (p->enabled) {
            double t = now();
            if (t - p->last > 0.1 || p->done == p->total) {
                p->last = t;
                draw(p, t);
            }
        }
    }
}

void progress_end(progress *p)
{
    if (!p->enabled) return;
    draw(p, now());
    fputc('\n', stderr);
}
