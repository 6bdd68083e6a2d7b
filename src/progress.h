/* progress.h — a progress bar with ETA on stderr, only on a terminal.
 *
 * Enabled when stderr is a TTY and the environment has no CI variable; in
 * pipes, files and CI it prints nothing. Thread-safe: progress_tick may be
 * called from any thread (it serialises itself). Not here: logging. */
#ifndef HETPREF_PROGRESS_H
#define HETPREF_PROGRESS_H

#include <stddef.h>

typedef struct progress {
    int enabled;
    size_t total, done;
    double t0, last;
    char label[64];
} progress;

/* Start a bar for total units named label. */
void progress_start(progress *p, const char *label, size_t total);

/* Record n more units done; redraws at most ~10 times a second. */
void progress_tick(progress *p, size_t n);

/* Finish the line (no-op when disabled). */
void progress_end(progress *p);

#endif
