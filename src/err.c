/* err.c — thread-local error messages for hetpref (see err.h). */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char err_msg[1024];
static _Thread_local char err_origin[256];

const char *pref_strerror(int code)
{
    switch (code) {
    case PREF_CONTINUE: return "not converged yet";
    case PREF_OK: return "success";
    case PREF_EINPUT: return "invalid input";
    case PREF_ENOMEM: return "out of memory";
    case PREF_EIO: return "input/output error";
    case PREF_ENUM: return "numerical failure";
    case PREF_ELP: return "linear program failed";
    case PREF_EINTR: return "interrupted";
    case PREF_EINTERNAL: return "internal error";
    case PREF_ETERM: return "terminated";
    default: return "unknown error";
    }
}

int pref_exit_status(int code)
{
    if (code == PREF_OK) return 0;
    if (code == PREF_EINPUT) return 2;
    if (code == PREF_EINTR) return 130;
    if (code == PREF_ETERM) return 143;
    return 1;
}

int pref_set_error(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err_msg, sizeof err_msg, fmt, ap);
    va_end(ap);
    err_origin[0] = '\0';
    return code;
}

int pref_set_error_at(const char *file, int line, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err_msg, sizeof err_msg, fmt, ap);
    va_end(ap);
    snprintf(err_origin, sizeof err_origin, "%s:%d", file, line);
    return code;
}

void *pref_fail_null(int *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err_msg, sizeof err_msg, fmt, ap);
    va_end(ap);
    err_origin[0] = '\0';
    if (err) *err = code;
    return NULL;
}

const char *pref_last_error(void) { return err_msg; }

const char *pref_error_origin(void) { return err_origin; }

void pref_clear_error(void)
{
    err_msg[0] = '\0';
    err_origin[0] = '\0';
}
