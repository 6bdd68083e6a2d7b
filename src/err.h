/* err.h — project error codes and the PREF_ERROR macro.
 *
 * Every hetpref function that can fail returns an int: PREF_OK (0) on success
 * or one of the codes below. Codes start above 1024 so they never collide with
 * GSL's error codes (the GSL manual reserves that range for applications).
 * PREF_ERROR records a message in a thread-local buffer, and the source file
 * and line of the PREF_ERROR beside it (pref_error_origin: for developers; the
 * user's message names the user's file and line instead), and returns the
 * code; the command-line layer prints the message (and, with HETPREF_DEBUG
 * set in the environment, the origin). pref_set_error records no origin.
 * Library code never prints and never exits.
 *
 * Input errors (bad config, bad data, bad flags) map to exit status 2; every
 * other code maps to exit status 1 (pref_exit_status). */
#ifndef HETPREF_ERR_H
#define HETPREF_ERR_H

#include <stddef.h>

enum {
    PREF_CONTINUE = -2,   /* not an error: an iterative fitter has not
                             converged yet (as GSL_CONTINUE) */
    PREF_OK = 0,
    PREF_EINPUT = 1025,   /* malformed user input: config, data, flags */
    PREF_ENOMEM,          /* allocation failed */
    PREF_EIO,             /* file system or pipe failure */
    PREF_ENUM,            /* numerical failure (NaN, singular, divergence) */
    PREF_ELP,             /* linear program failed */
    PREF_EINTR,           /* interrupted by a signal; partial work journalled */
    PREF_EINTERNAL,       /* broken invariant: a bug */
    PREF_ETERM            /* terminated by SIGTERM (scancel, a time limit,
                             docker stop); partial work journalled */
};

/* Human-readable name of a code; never NULL. */
const char *pref_strerror(int code);

/* Exit status for a code: 0 for PREF_OK, 2 for PREF_EINPUT, 130 for
 * PREF_EINTR (128 + SIGINT), 143 for PREF_ETERM (128 + SIGTERM), 1
 * otherwise. */
int pref_exit_status(int code);

/* Record a printf-style message for the current thread and return code.
 * The message should already name FILE:LINE: where the user's input has one. */
int pref_set_error(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* pref_set_error, also recording the source location file:line of the call
 * (what PREF_ERROR expands to). */
int pref_set_error_at(const char *file, int line, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* For allocators that take int *err (which may be NULL): record the
 * message, store code in *err and return NULL, so a failure for a reason
 * other than memory is never reported as out of memory. */
void *pref_fail_null(int *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The last message recorded on this thread ("" if none). */
const char *pref_last_error(void);

/* "src/file.c:LINE" of the PREF_ERROR that recorded the last message on this
 * thread, or "" when it came from pref_set_error. */
const char *pref_error_origin(void);

/* Clear the message of this thread. */
void pref_clear_error(void);

/* Record a message and its source location, and return the code from the
 * calling function. */
#define PREF_ERROR(code, ...) \
    return pref_set_error_at(__FILE__, __LINE__, (code), __VA_ARGS__)

/* Propagate a non-zero status from an expression. */
#define PREF_TRY(expr) do { int pref_try_s_ = (expr); \
    if (pref_try_s_ != PREF_OK) return pref_try_s_; } while (0)

#endif
