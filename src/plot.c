/* plot.c — the only module that talks to gnuplot (see plot.h).
 *
 * What it does. A plot_script collects a body of gnuplot commands in a
 * growing buffer. plot_render writes DIR/NAME.gp atomically (fsutil): a
 * comment header saying how to redraw the plot, the house style, and a loop
 *
 *     do for [hp_fmt in "png svg"] { reset; <terminal + output>; <style>;
 *                                    BODY; unset output }
 *
 * that draws the body once with pngcairo into NAME.png and once with svg into
 * NAME.svg. Every pass starts with `reset` and re-applies the style, so the
 * SVG pass sees exactly the state the PNG pass saw, whatever the body changed.
 * The linetypes 1..8 (colours, widths, point types) are set once before the
 * loop, because `reset` leaves linetypes alone.
 *
 * House style (bodies may rely on it):
 *   linetype 1..8, lw 2, cycling after 8 — the Okabe–Ito colour-blind-safe
 *   palette: 1 blue #0072B2 pt 7 (filled circle), 2 vermillion #D55E00 pt 5
 *   (filled square), 3 green #009E73 pt 9 (filled triangle), 4 purple #CC79A7
 *   pt 11 (filled inverted triangle), 5 orange #E69F00 pt 13 (filled diamond),
 *   6 sky blue #56B4E9 pt 6 (open circle), 7 black #000000 pt 4 (open
 *   square), 8 grey #7F7F7F pt 8 (open triangle);
 *   terminals `noenhanced`, font 'sans,10', white background;
 *   `set encoding utf8`, `set datafile separator ','` (nothing else about
 *   data: headers, missing values and `skip` belong to the body), light solid
 *   grid behind the data, left and bottom border only, tics outside without
 *   mirrors, key without a box, error bars with caps (set bars 1.0);
 *   the function clip01(x), x clamped to [0, 1] (NaN stays NaN), for the
 *   interval ends of a quantity that lives in [0, 1] (a title that uses it
 *   says so).
 *
 * How gnuplot is run. No shell is involved. The executable is
 * $HETPREF_GNUPLOT when set and non-empty, else HETPREF_GNUPLOT from
 * config.h, else "gnuplot" on PATH; it is started with posix_spawnp (which
 * reports a missing executable as a return value, and avoids fork() in a
 * process that may have threads). Because the portable posix_spawn API has no
 * "change directory" action, the working directory is set by gnuplot itself:
 * we write  cd '<absolute DIR>'  and  load 'NAME.gp'  into its stdin through
 * a pipe, then close the pipe and wait. Output names and data paths in the
 * script are therefore relative to DIR, exactly as when a user runs
 * `cd DIR && gnuplot NAME.gp`. gnuplot's stdout is sent to our stderr (so it
 * can never corrupt data a caller writes to stdout); its stderr is inherited,
 * so its error messages reach the user. SIGPIPE is blocked around the write
 * (a pending one we caused is consumed), so a gnuplot that dies early gives
 * EPIPE, never a killed process. "gnuplot missing" means posix_spawnp
 * failed with ENOENT, EACCES, ENOTDIR, ENOEXEC, ELOOP, ENAMETOOLONG or EPERM,
 * or the child exited with 127 (a wrapper that could not exec); any other
 * non-zero exit or a signal is PREF_EIO. gnuplot gets our environment with
 * LC_ALL=C.UTF-8 in place of the locale variables: the scripts are UTF-8
 * (`set encoding utf8`), and under the C locale gnuplot warns on every plot
 * that iconv cannot convert the degree sign; C.UTF-8 keeps C's numbers.
 *
 * Between plot_defer_begin and plot_defer_end the scripts are queued and
 * then fed to one gnuplot, each as above followed by `reset session`
 * (gnuplot's initial state, so no script sees another's variables; the
 * images are byte-identical to those of one process per script). gnuplot
 * reading a pipe carries on after an error and exits 1 at the end, so a
 * failed batch is redrawn script by script, to learn which failed and
 * because an error can leave state (an open multiplot) for the next.
 *
 * Images appear whole or not at all. The script writes to the stem in the
 * gnuplot variable hp_stem (NAME when a user runs it by hand); plot_render
 * sets it to a temporary NAME.tmp-PID-N and renames both images to
 * NAME.png/NAME.svg only when gnuplot exited 0. After a failure the
 * temporaries are removed: no empty or partial image, and an older
 * NAME.png is left as it was.
 *
 * What it deliberately does not do: compute anything that is plotted; create
 * DIR (the caller does, with fsutil_mkdirs). A body cannot define inline
 * data blocks (`$d << EOD`): gnuplot 5.4 forbids them inside a `do for`
 * block, so bodies plot from CSV files named with plot_path, or from arrays
 * written with plot_array. Names beginning with hp_ are reserved for this
 * file's script variables. */
/* realpath() is an XSI function; the build defines only _POSIX_C_SOURCE. */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "plot.h"

#include <ctype.h>
#include <math.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "fsutil.h"

#ifndef HETPREF_GNUPLOT
#define HETPREF_GNUPLOT "gnuplot"
#endif

/* Longest accepted script name: leaves room for ".png"/".gp.tmp.PID" within
 * any file system's 255-byte name limit. */
#define PLOT_NAME_MAX 128
/* Largest accepted image side in pixels (a sanity bound, not a gnuplot one). */
#define PLOT_SIDE_MAX 20000
#define PLOT_BODY_INIT 1024

extern char **environ;

/* environ without its locale variables, plus LC_ALL=C.UTF-8 (see the file
 * comment); NULL when out of memory. Free the array only (the strings are
 * environ's and a literal). */
static char **plot_child_env(void)
{
    size_t n = 0;
    while (environ[n]) n++;
    char **env = malloc((n + 2) * sizeof *env), **e = env;
    if (!env) return NULL;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "LC_", 3) != 0 && strncmp(environ[i], "LANG=", 5) != 0)
            *e++ = environ[i];
    *e++ = (char *)"LC_ALL=C.UTF-8";
    *e = NULL;
    return env;
}

struct plot_script {
    char *name;
    int width, height;
    char *body; /* NUL-terminated, len bytes used, cap allocated */
    size_t len, cap;
};

/* One "gnuplot not found" warning per process, from any thread. */
static atomic_flag plot_warned = ATOMIC_FLAG_INIT;

static const char *const plot_linetypes[] = {
    "set linetype 1 lc rgb '#0072B2' lw 2 dt solid pt 7 ps 0.8",
    "set linetype 2 lc rgb '#D55E00' lw 2 dt solid pt 5 ps 0.7",
    "set linetype 3 lc rgb '#009E73' lw 2 dt solid pt 9 ps 0.9",
    "set linetype 4 lc rgb '#CC79A7' lw 2 dt solid pt 11 ps 0.9",
    "set linetype 5 lc rgb '#E69F00' lw 2 dt solid pt 13 ps 0.9",
    "set linetype 6 lc rgb '#56B4E9' lw 2 dt solid pt 6 ps 0.8",
    "set linetype 7 lc rgb '#000000' lw 2 dt solid pt 4 ps 0.7",
    "set linetype 8 lc rgb '#7F7F7F' lw 2 dt solid pt 8 ps 0.9",
    "set linetype cycle 8",
};

static const char *const plot_style[] = {
    "set encoding utf8",
    "set datafile separator ','",
    "set grid xtics ytics back lt 1 lc rgb '#dcdcdc' lw 1 dt solid",
    "set border 3 back lc rgb '#404040' lw 1",
    "set tics nomirror out scale 0.75",
    "set key nobox noopaque",
    "set bars 1.0",
    "clip01(x) = x < 0 ? 0 : (x > 1 ? 1 : x)",
};

static int plot_name_ok(const char *name)
{
    size_t n = 0;
    for (const char *p = name; *p; p++, n++) {
        char c = *p;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return 0;
    }
    return n > 0 && n <= PLOT_NAME_MAX;
}

plot_script *plot_script_alloc(const char *name, int width, int height)
{
    if (!name || !plot_name_ok(name)) {
        pref_set_error(PREF_EINPUT,
                       "plot name '%s' must be 1-%d characters of "
                       "[A-Za-z0-9_-]",
                       name ? name : "(null)", PLOT_NAME_MAX);
        return NULL;
    }
    if (width <= 0 || height <= 0 || width > PLOT_SIDE_MAX ||
        height > PLOT_SIDE_MAX) {
        pref_set_error(PREF_EINPUT, "plot %s: image size %dx%d out of range",
                       name, width, height);
        return NULL;
    }
    plot_script *s = calloc(1, sizeof *s);
    if (!s) goto nomem;
    s->name = malloc(strlen(name) + 1);
    s->body = malloc(PLOT_BODY_INIT);
    if (!s->name || !s->body) goto nomem;
    strcpy(s->name, name);
    s->body[0] = '\0';
    s->cap = PLOT_BODY_INIT;
    s->width = width;
    s->height = height;
    return s;
nomem:
    plot_script_free(s);
    pref_set_error(PREF_ENOMEM, "plot %s: out of memory", name);
    return NULL;
}

void plot_script_free(plot_script *s)
{
    if (!s) return;
    free(s->name);
    free(s->body);
    free(s);
}

/* Make room for extra more bytes plus the terminating NUL. */
static int plot_reserve(plot_script *s, size_t extra)
{
    if (extra > SIZE_MAX - s->len - 1)
        PREF_ERROR(PREF_ENOMEM, "plot %s: script too large", s->name);
    size_t need = s->len + extra + 1;
    if (need <= s->cap) return PREF_OK;
    size_t cap = s->cap;
    while (cap < need) cap = (cap > SIZE_MAX / 2) ? need : 2 * cap;
    char *b = realloc(s->body, cap);
    if (!b) PREF_ERROR(PREF_ENOMEM, "plot %s: out of memory", s->name);
    s->body = b;
    s->cap = cap;
    return PREF_OK;
}

int plot_printf(plot_script *s, const char *fmt, ...)
{
    if (!s || !fmt) PREF_ERROR(PREF_EINTERNAL, "plot_printf: NULL argument");
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    int st = PREF_OK;
    if (n < 0)
        st = pref_set_error(PREF_EINTERNAL, "plot %s: bad format '%s'",
                            s->name, fmt);
    else
        st = plot_reserve(s, (size_t)n);
    if (st == PREF_OK) {
        vsnprintf(s->body + s->len, s->cap - s->len, fmt, ap2);
        s->len += (size_t)n;
    }
    va_end(ap2);
    return st;
}

int plot_quoted(plot_script *s, const char *text)
{
    if (!s || !text) PREF_ERROR(PREF_EINTERNAL, "plot_quoted: NULL argument");
    size_t n = strlen(text);
    if (n > (SIZE_MAX - 3) / 2)
        PREF_ERROR(PREF_ENOMEM, "plot %s: string too long", s->name);
    PREF_TRY(plot_reserve(s, 2 * n + 2));
    char *o = s->body + s->len;
    *o++ = '\'';
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '\'') {
            *o++ = '\'';
            *o++ = '\'';
        } else if (*p < 0x20 || *p == 0x7f) {
            *o++ = ' ';
        } else {
            *o++ = (char)*p;
        }
    }
    *o++ = '\'';
    *o = '\0';
    s->len = (size_t)(o - s->body);
    return PREF_OK;
}

/* Number of non-empty '/'-separated components of p. */
static size_t plot_count_components(const char *p)
{
    size_t k = 0;
    for (; *p; p++)
        if (*p != '/' && (p[1] == '/' || p[1] == '\0')) k++;
    return k;
}

/* The path of the canonical absolute path f relative to the canonical
 * absolute directory d, in a new malloc'd string (NULL on out-of-memory). */
static char *plot_relative(const char *d, const char *f)
{
    size_t i = 0, common = 0; /* common: length of the shared prefix */
    while (d[i] && d[i] == f[i]) {
        i++;
        if (d[i - 1] == '/') common = i;
    }
    if (d[i] == '\0' && f[i] == '/') common = i + 1;      /* f below d */
    else if (d[i] == '\0' && f[i] == '\0') common = i;    /* f == d */
    else if (d[i] == '/' && f[i] == '\0') common = i + 1; /* f above d */
    const char *drest = d + (common < strlen(d) ? common : strlen(d));
    const char *frest = f + (common < strlen(f) ? common : strlen(f));
    size_t ups = plot_count_components(drest);
    size_t flen = strlen(frest);
    char *r = malloc(3 * ups + flen + 2);
    if (!r) return NULL;
    char *o = r;
    for (size_t k = 0; k < ups; k++) {
        memcpy(o, "../", 3);
        o += 3;
    }
    memcpy(o, frest, flen);
    o += flen;
    if (o == r) *o++ = '.';                     /* same directory */
    else if (flen == 0) o--;                    /* drop the last "/" */
    *o = '\0';
    return r;
}

int plot_path(plot_script *s, const char *dir, const char *file)
{
    if (!s || !dir || !file)
        PREF_ERROR(PREF_EINTERNAL, "plot_path: NULL argument");
    char *d = realpath(dir[0] ? dir : ".", NULL);
    if (!d) {
        int e = errno;
        PREF_ERROR(PREF_EIO, "%s: cannot resolve: %s", dir, strerror(e));
    }
    char *f = realpath(file, NULL);
    if (!f) {
        int e = errno;
        free(d);
        PREF_ERROR(PREF_EIO, "%s: cannot resolve: %s", file, strerror(e));
    }
    char *rel = plot_relative(d, f);
    free(d);
    free(f);
    if (!rel) PREF_ERROR(PREF_ENOMEM, "plot %s: out of memory", s->name);
    int st = plot_quoted(s, rel);
    free(rel);
    return st;
}

static int plot_write_script(const plot_script *s, const char *path)
{
    fsutil_file o;
    PREF_TRY(fsutil_open(&o, path));
    FILE *f = o.f;
    const char *nm = s->name;
    fprintf(f, "# %s.gp - generated by hetpref; rewritten on every run.\n", nm);
    /* The directory is not named: a script drawn in a staging directory
     * (fsutil.h) is renamed into place with it. */
    fprintf(f, "# Draws %s.png and %s.svg. To redraw by hand, in the directory "
               "of this file:\n#   gnuplot %s.gp\n", nm, nm, nm);
    fprintf(f, "# Data paths and output names are relative to the directory "
               "of this file.\n\n");
    fprintf(f, "# House style: Okabe-Ito palette on linetypes 1..8 "
               "(survive 'reset').\n");
    for (size_t i = 0; i < sizeof plot_linetypes / sizeof *plot_linetypes; i++)
        fprintf(f, "%s\n", plot_linetypes[i]);
    fprintf(f, "\n# hetpref sets hp_stem to a temporary name and renames the "
               "images on success.\n"
               "if (!exists(\"hp_stem\")) hp_stem = '%s'\n"
               "do for [hp_fmt in \"png svg\"] {\n"
               "reset\n"
               "if (hp_fmt eq \"png\") {\n"
               "    set terminal pngcairo noenhanced size %d,%d "
               "font 'sans,10' background rgb 'white'\n"
               "    set output hp_stem.'.png'\n"
               "} else {\n"
               "    set terminal svg noenhanced size %d,%d "
               "font 'sans,10' dynamic background rgb 'white'\n"
               "    set output hp_stem.'.svg'\n"
               "}\n",
            nm, s->width, s->height, s->width, s->height);
    for (size_t i = 0; i < sizeof plot_style / sizeof *plot_style; i++)
        fprintf(f, "%s\n", plot_style[i]);
    /* The body is copied verbatim (no indentation): a continued line inside
     * a string must not gain spaces. */
    fprintf(f, "# ---- begin body ----\n");
    fputs(s->body, f);
    if (s->len > 0 && s->body[s->len - 1] != '\n') fputc('\n', f);
    fprintf(f, "# ---- end body ----\n"
               "unset output\n"
               "}\n");
    return fsutil_commit(&o);
}

/* Move a descriptor to >= 3 (close-on-exec), so that dup2 onto stdin in the
 * child never meets itself. */
static int plot_fd_high(int *fd)
{
    if (*fd > 2) return 0;
    int n = fcntl(*fd, F_DUPFD_CLOEXEC, 3);
    if (n < 0) return -1;
    close(*fd);
    *fd = n;
    return 0;
}

/* Write all of buf to fd with SIGPIPE blocked in this thread. Returns 0 or an
 * errno value (EPIPE when gnuplot has already exited). */
static int plot_write_all(int fd, const char *buf, size_t n)
{
    sigset_t pipe_set, old, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigpending(&pending);
    int was_pending = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    int e = 0;
    while (n > 0) {
        ssize_t k = write(fd, buf, n);
        if (k < 0) {
            if (errno == EINTR) continue;
            e = errno;
            break;
        }
        buf += k;
        n -= (size_t)k;
    }
    if (e == EPIPE && !was_pending) {
        /* Consume the SIGPIPE this write raised before unblocking. */
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
            ;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return e;
}

/* Quote an absolute directory for gnuplot's `cd`; NULL when it cannot be
 * represented (control characters) or on out-of-memory. */
static char *plot_quote_dir(const char *d)
{
    size_t n = strlen(d);
    char *q = malloc(2 * n + 3);
    if (!q) return NULL;
    char *o = q;
    *o++ = '\'';
    for (const unsigned char *p = (const unsigned char *)d; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            free(q);
            return NULL;
        }
        if (*p == '\'') *o++ = '\'';
        *o++ = (char)*p;
    }
    *o++ = '\'';
    *o = '\0';
    return q;
}

enum { PLOT_RAN, PLOT_MISSING };

/* Run exe with stdin fed from cmds. *outcome is PLOT_RAN (with *status the
 * waitpid status) or PLOT_MISSING. Returns PREF_OK or PREF_EIO. */
static int plot_run(const char *exe, const char *cmds, int *outcome,
                    int *status)
{
    int fds[2];
    if (pipe(fds) != 0) {
        int e = errno;
        PREF_ERROR(PREF_EIO, "gnuplot: cannot create pipe: %s", strerror(e));
    }
    /* Close-on-exec on both ends: the child gets the read end only as fd 0,
     * and no other child spawned meanwhile keeps the write end open. */
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    if (plot_fd_high(&fds[0]) != 0 || plot_fd_high(&fds[1]) != 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        PREF_ERROR(PREF_EIO, "gnuplot: cannot set up pipe: %s", strerror(e));
    }

    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    int rc = posix_spawn_file_actions_init(&fa);
    int fa_ok = rc == 0, attr_ok = 0;
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&fa, 2, 1);
    if (rc == 0) {
        rc = posix_spawnattr_init(&attr);
        attr_ok = rc == 0;
    }
    if (rc == 0) {
        /* The child starts with no blocked signals and SIGPIPE at default,
         * whatever the caller set. */
        sigset_t none, def;
        sigemptyset(&none);
        sigemptyset(&def);
        sigaddset(&def, SIGPIPE);
        rc = posix_spawnattr_setsigmask(&attr, &none);
        if (rc == 0) rc = posix_spawnattr_setsigdefault(&attr, &def);
        if (rc == 0)
            rc = posix_spawnattr_setflags(
                &attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    }
    pid_t pid = -1;
    char **env = rc == 0 ? plot_child_env() : NULL;
    if (rc == 0 && !env) rc = ENOMEM;
    if (rc == 0) {
        char *argv[] = {(char *)exe, NULL};
        rc = posix_spawnp(&pid, exe, &fa, &attr, argv, env);
    }
    free(env);
    if (fa_ok) posix_spawn_file_actions_destroy(&fa);
    if (attr_ok) posix_spawnattr_destroy(&attr);
    close(fds[0]);
    if (rc != 0) {
        close(fds[1]);
        if (rc == ENOENT || rc == EACCES || rc == ENOTDIR || rc == ENOEXEC ||
            rc == ELOOP || rc == ENAMETOOLONG || rc == EPERM) {
            *outcome = PLOT_MISSING;
            return PREF_OK;
        }
        PREF_ERROR(PREF_EIO, "%s: cannot start: %s", exe, strerror(rc));
    }

    int we = plot_write_all(fds[1], cmds, strlen(cmds));
    close(fds[1]);
    int st;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) {
            int e = errno;
            PREF_ERROR(PREF_EIO, "%s: waitpid failed: %s", exe, strerror(e));
        }
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 127) {
        *outcome = PLOT_MISSING; /* a wrapper could not exec the real one */
        return PREF_OK;
    }
    if (we != 0 && we != EPIPE)
        PREF_ERROR(PREF_EIO, "%s: cannot write to its stdin: %s", exe,
                   strerror(we));
    *outcome = PLOT_RAN;
    *status = st;
    return PREF_OK;
}

/* A per-render temporary file stem for the images: NAME.tmp-PID-N, unique
 * among the renders of this process (N counts them, from any thread). */
static void plot_temp_stem(const char *name, char *buf, size_t n)
{
    static atomic_ulong counter = 0;
    unsigned long k = atomic_fetch_add(&counter, 1);
    snprintf(buf, n, "%s.tmp-%ld-%lu", name, (long)getpid(), k);
}

/* After a render: on success (ok) rename dir/TMP.png and dir/TMP.svg to
 * dir/NAME.png and dir/NAME.svg; otherwise remove the temporaries, so a
 * failed run leaves no empty or partial image (an older NAME.png stays as it
 * was). PREF_OK, or PREF_EIO when a rename fails. */
static int plot_finish_images(const char *dir, const char *name,
                              const char *tmp, int ok)
{
    static const char *const ext[] = {".png", ".svg"};
    int st = PREF_OK;
    for (size_t i = 0; i < 2; i++) {
        char leaf[PLOT_NAME_MAX + 80], from[4096], to[4096];
        snprintf(leaf, sizeof leaf, "%s%s", tmp, ext[i]);
        if (fsutil_join(from, sizeof from, dir, leaf) != PREF_OK) return PREF_EIO;
        snprintf(leaf, sizeof leaf, "%s%s", name, ext[i]);
        if (fsutil_join(to, sizeof to, dir, leaf) != PREF_OK) return PREF_EIO;
        if (!ok || st != PREF_OK) {
            unlink(from);
        } else if (rename(from, to) != 0 && errno != ENOENT) {
            /* ENOENT: the program exited 0 without drawing (a stand-in). */
            int e = errno;
            unlink(from);
            st = pref_set_error(PREF_EIO, "%s: cannot rename to %s: %s", from,
                                to, strerror(e));
        }
    }
    return st;
}

/* The commands that draw dir/NAME.gp into a new temporary stem, written to
 * tmp (tmpn bytes): cd to dir's absolute path, set hp_stem, load. A
 * malloc'd string, or NULL with the error recorded in *st. */
static char *plot_commands(const char *dir, const char *name, char *tmp,
                           size_t tmpn, int *st)
{
    char *absdir = realpath(dir, NULL);
    if (!absdir) {
        int e = errno;
        *st = pref_set_error(PREF_EIO, "%s: cannot resolve: %s", dir, strerror(e));
        return NULL;
    }
    char *qdir = plot_quote_dir(absdir);
    free(absdir);
    if (!qdir) {
        *st = pref_set_error(PREF_EIO, "%s: directory name not usable by gnuplot "
                                       "(control characters, or out of memory)",
                             dir);
        return NULL;
    }
    plot_temp_stem(name, tmp, tmpn);
    size_t cn = strlen(qdir) + strlen(tmp) + strlen(name) + 52;
    char *cmds = malloc(cn);
    if (cmds)
        snprintf(cmds, cn, "cd %s\nhp_stem = '%s'\nload '%s.gp'\n", qdir, tmp,
                 name);
    else
        *st = pref_set_error(PREF_ENOMEM, "plot %s: out of memory", name);
    free(qdir);
    return cmds;
}

static const char *plot_exe(void)
{
    const char *exe = getenv("HETPREF_GNUPLOT");
    return exe && exe[0] ? exe : HETPREF_GNUPLOT;
}

/* The warning for a missing gnuplot, once per process; gp names a script
 * that was written. */
static void plot_warn_missing(const char *exe, const char *gp)
{
    if (!atomic_flag_test_and_set(&plot_warned))
        fprintf(stderr,
                "hetpref: warning: gnuplot not found "
                "(HETPREF_GNUPLOT=%s); wrote %s, install gnuplot-nox to "
                "render plots\n",
                exe, gp);
}

/* Run gnuplot on the script dir/NAME.gp (already written, its path gp) and
 * put the images in place: plot_render without the writing. */
static int plot_draw(const char *dir, const char *name, const char *gp,
                     int *rendered)
{
    char tmp[PLOT_NAME_MAX + 64];
    int st = PREF_OK;
    char *cmds = plot_commands(dir, name, tmp, sizeof tmp, &st);
    if (!cmds) return st;
    const char *exe = plot_exe();
    int outcome = PLOT_MISSING, status = 0;
    st = plot_run(exe, cmds, &outcome, &status);
    free(cmds);
    int ok = st == PREF_OK && outcome == PLOT_RAN && WIFEXITED(status) &&
             WEXITSTATUS(status) == 0;
    int fin = plot_finish_images(dir, name, tmp, ok);
    if (st != PREF_OK) return st;
    if (fin != PREF_OK) return fin;

    if (outcome == PLOT_MISSING) {
        plot_warn_missing(exe, gp);
        return PREF_OK;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        if (rendered) *rendered = 1;
        return PREF_OK;
    }
    if (WIFEXITED(status))
        PREF_ERROR(PREF_EIO, "%s: gnuplot (%s) failed with exit status %d",
                   gp, exe, WEXITSTATUS(status));
    PREF_ERROR(PREF_EIO, "%s: gnuplot (%s) killed by signal %d", gp, exe,
               WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* ---- deferred renders (plot_defer_begin / plot_defer_end) ---------------- */

/* One queued render: the script dir/NAME.gp (path gp), and the temporary
 * stem of its images in the batch ("" until the batch's commands name
 * one). */
typedef struct plot_job {
    char *dir, *name, *gp;
    char tmp[PLOT_NAME_MAX + 64];
} plot_job;

/* The queue, shared by all threads under lock. */
static struct {
    pthread_mutex_t lock;
    int on;
    plot_job *jobs;
    size_t n, cap;
} plot_later = {PTHREAD_MUTEX_INITIALIZER, 0, NULL, 0, 0};

void plot_defer_begin(void)
{
    pthread_mutex_lock(&plot_later.lock);
    plot_later.on = 1;
    pthread_mutex_unlock(&plot_later.lock);
}

static void plot_job_free(plot_job *j)
{
    free(j->dir);
    free(j->name);
    free(j->gp);
}

/* Queue dir/NAME.gp when renders are deferred: 1 queued, 0 not deferring,
 * or PREF_ENOMEM. */
static int plot_defer_add(const char *dir, const char *name, const char *gp)
{
    int r = 0;
    pthread_mutex_lock(&plot_later.lock);
    if (plot_later.on) {
        r = 1;
        if (plot_later.n == plot_later.cap) {
            size_t cap = plot_later.cap ? 2 * plot_later.cap : 16;
            plot_job *j = realloc(plot_later.jobs, cap * sizeof *j);
            if (j) {
                plot_later.jobs = j;
                plot_later.cap = cap;
            } else {
                r = PREF_ENOMEM;
            }
        }
        if (r == 1) {
            plot_job *j = plot_later.jobs + plot_later.n;
            j->dir = strdup(dir);
            j->name = strdup(name);
            j->gp = strdup(gp);
            j->tmp[0] = '\0'; /* no images until the batch names them */
            if (j->dir && j->name && j->gp)
                plot_later.n++;
            else {
                plot_job_free(j);
                r = PREF_ENOMEM;
            }
        }
    }
    pthread_mutex_unlock(&plot_later.lock);
    if (r == PREF_ENOMEM) PREF_ERROR(PREF_ENOMEM, "plot %s: out of memory", name);
    return r;
}

/* All jobs by one gnuplot: each job's commands, then `reset session`
 * (gnuplot's initial state: no script sees another's variables or
 * settings). What follows a failed script is not trusted: the caller redraws
 * all of them one by one. *ok = 1 when gnuplot exited 0; *missing = 1 when
 * it was not found. */
static int plot_batch_run(plot_job *jobs, size_t n, int *ok, int *missing)
{
    *ok = *missing = 0;
    plot_script *all = plot_script_alloc("batch", 1, 1); /* a growing buffer */
    if (!all) return PREF_ENOMEM;
    int st = PREF_OK;
    for (size_t i = 0; i < n && !st; i++) {
        char *c = plot_commands(jobs[i].dir, jobs[i].name, jobs[i].tmp,
                                sizeof jobs[i].tmp, &st);
        if (c) st = plot_printf(all, "%sreset session\n", c);
        free(c);
    }
    int outcome = PLOT_MISSING, status = 0;
    if (!st) st = plot_run(plot_exe(), all->body, &outcome, &status);
    plot_script_free(all);
    if (st) return st;
    *missing = outcome == PLOT_MISSING;
    *ok = outcome == PLOT_RAN && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    return PREF_OK;
}

int plot_defer_end(size_t *drawn)
{
    if (drawn) *drawn = 0;
    pthread_mutex_lock(&plot_later.lock);
    plot_job *jobs = plot_later.jobs;
    size_t n = plot_later.n;
    plot_later.on = 0;
    plot_later.jobs = NULL;
    plot_later.n = plot_later.cap = 0;
    pthread_mutex_unlock(&plot_later.lock);
    if (n == 0) {
        free(jobs);
        return PREF_OK;
    }
    /* A batch that could not run (a directory gone, out of memory) is
     * redrawn one by one below, like one that failed: each script then
     * meets its own error. */
    int ok = 0, missing = 0;
    if (plot_batch_run(jobs, n, &ok, &missing) != PREF_OK) ok = missing = 0;
    int st = PREF_OK;
    for (size_t i = 0; i < n; i++) {
        if (!jobs[i].tmp[0]) continue; /* the batch stopped before it */
        int fin = plot_finish_images(jobs[i].dir, jobs[i].name, jobs[i].tmp, ok);
        if (fin && !st) st = fin;
    }
    if (missing) plot_warn_missing(plot_exe(), jobs[0].gp);
    if (ok && !st && drawn) *drawn = n;
    /* gnuplot failed on some script: draw them one by one, so the good ones
     * appear and the error names the script that failed (the first). */
    char first[512] = "";
    int first_st = PREF_OK;
    size_t failed = 0;
    for (size_t i = 0; i < n && !ok && !missing; i++) {
        int r = 0;
        int e = plot_draw(jobs[i].dir, jobs[i].name, jobs[i].gp, &r);
        if (e && !failed++) {
            first_st = e;
            snprintf(first, sizeof first, "%s", pref_last_error());
        }
        if (r && drawn) ++*drawn;
    }
    for (size_t i = 0; i < n; i++) plot_job_free(jobs + i);
    free(jobs);
    if (st) return st;
    if (failed > 1)
        return pref_set_error(first_st, "%s (and %zu more plots failed)", first,
                              failed - 1);
    if (failed) return pref_set_error(first_st, "%s", first);
    return PREF_OK;
}

int plot_render(const plot_script *s, const char *dir, int *rendered)
{
    if (rendered) *rendered = 0;
    if (!s || !dir) PREF_ERROR(PREF_EINTERNAL, "plot_render: NULL argument");
    if (!dir[0]) dir = ".";

    char gp[4096], gpname[PLOT_NAME_MAX + 4];
    snprintf(gpname, sizeof gpname, "%s.gp", s->name);
    PREF_TRY(fsutil_join(gp, sizeof gp, dir, gpname));
    PREF_TRY(plot_write_script(s, gp));
    int q = plot_defer_add(dir, s->name, gp);
    if (q) return q == 1 ? PREF_OK : q;
    return plot_draw(dir, s->name, gp, rendered);
}

int plot_filter(plot_script *s, const char *name, const char *src,
                const char *cols, const char *cond)
{
    for (const char *c = name; *c; c++)
        if (!(isalnum((unsigned char)*c) || *c == '_'))
            PREF_ERROR(PREF_EINPUT, "plot_filter: bad datablock name '%s'", name);
    return plot_printf(s,
                       "set datafile separator ','\n"
                       "set table $%s\n"
                       "plot %s using %s with table if (%s)\n"
                       "unset table\n"
                       "set datafile separator whitespace\n",
                       name, src, cols, cond);
}

int plot_array(plot_script *s, const char *name, const double *v, size_t n)
{
    if (!s || !name || (!v && n > 0))
        PREF_ERROR(PREF_EINTERNAL, "plot_array: NULL argument");
    for (const char *c = name; *c; c++)
        if (!(isalnum((unsigned char)*c) || *c == '_'))
            PREF_ERROR(PREF_EINPUT, "plot_array: bad array name '%s'", name);
    /* gnuplot arrays have at least one element. */
    PREF_TRY(plot_printf(s, "array %s[%zu] = [", name, n ? n : 1));
    for (size_t i = 0; i < n; i++) {
        const char *sep = i ? ", " : "";
        if (isnan(v[i])) PREF_TRY(plot_printf(s, "%sNaN", sep));
        else if (isinf(v[i]))
            PREF_TRY(plot_printf(s, "%s%s1e308", sep, v[i] < 0 ? "-" : ""));
        else PREF_TRY(plot_printf(s, "%s%.17g", sep, v[i]));
    }
    return plot_printf(s, "%s]\n", n ? "" : "NaN");
}
