/* fsutil.c — atomic output files and mkdir -p (see fsutil.h). */
#include "fsutil.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"

int fsutil_open(fsutil_file *o, const char *path)
{
    o->f = NULL;
    o->tmp[0] = '\0';
    if (strlen(path) >= sizeof o->path)
        PREF_ERROR(PREF_EINPUT, "%s: path too long", path);
    strcpy(o->path, path);
    snprintf(o->tmp, sizeof o->tmp, "%s.tmp.%ld", path, (long)getpid());
    o->f = fopen(o->tmp, "w");
    if (!o->f) {
        int e = errno;
        o->tmp[0] = '\0';
        PREF_ERROR(PREF_EIO, "%s: cannot write: %s", path, strerror(e));
    }
    return PREF_OK;
}

int fsutil_open_in(fsutil_file *o, const char *dir, const char *name)
{
    char path[4096];
    o->f = NULL;
    o->tmp[0] = '\0';
    PREF_TRY(fsutil_join(path, sizeof path, dir, name));
    return fsutil_open(o, path);
}

int fsutil_commit(fsutil_file *o)
{
    int bad = ferror(o->f);
    int e = errno;
    if (fclose(o->f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    o->f = NULL;
    if (bad) {
        remove(o->tmp);
        o->tmp[0] = '\0';
        PREF_ERROR(PREF_EIO, "%s: write failed: %s", o->path, strerror(e));
    }
    if (rename(o->tmp, o->path) != 0) {
        e = errno;
        remove(o->tmp);
        o->tmp[0] = '\0';
        PREF_ERROR(PREF_EIO, "%s: cannot rename: %s", o->path, strerror(e));
    }
    o->tmp[0] = '\0';
    return PREF_OK;
}

void fsutil_abort(fsutil_file *o)
{
    if (o->f) fclose(o->f);
    o->f = NULL;
    if (o->tmp[0]) remove(o->tmp);
    o->tmp[0] = '\0';
}

int fsutil_mkdirs(const char *dir)
{
    char buf[4096];
    size_t n = strlen(dir);
    if (n == 0) return PREF_OK;
    if (n >= sizeof buf) PREF_ERROR(PREF_EINPUT, "%s: path too long", dir);
    memcpy(buf, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char c = buf[i];
            buf[i] = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
                int e = errno;
                PREF_ERROR(PREF_EIO, "%s: cannot create directory: %s", buf,
                           strerror(e));
            }
            buf[i] = c;
        }
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        PREF_ERROR(PREF_EIO, "%s: not a directory", dir);
    return PREF_OK;
}

int fsutil_join(char *buf, size_t n, const char *dir, const char *name)
{
    int k = (dir && dir[0]) ? snprintf(buf, n, "%s/%s", dir, name)
                            : snprintf(buf, n, "%s", name);
    if (k < 0 || (size_t)k >= n)
        PREF_ERROR(PREF_EINPUT, "%s/%s: path too long", dir, name);
    return PREF_OK;
}

int fsutil_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int fsutil_open_input(const char *path, FILE **f)
{
    *f = fopen(path, "rb");
    if (*f) return PREF_OK;
    int e = errno;
    PREF_ERROR(e == ENOENT ? PREF_EINPUT : PREF_EIO, "%s: cannot open: %s",
               path, strerror(e));
}

int fsutil_read_file(const char *path, char **out, size_t *len)
{
    *out = NULL;
    if (len) *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        PREF_ERROR(PREF_EIO, "%s: cannot open: %s", path, strerror(e));
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        PREF_ERROR(PREF_EIO, "%s: not a regular file", path);
    }
    /* The size is a first guess; the loop reads to the end regardless. */
    size_t cap = (size_t)st.st_size + 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fclose(f);
            PREF_ERROR(PREF_ENOMEM, "%s: out of memory", path);
        }
        size_t want = cap - n - 1, k = fread(buf + n, 1, want, f);
        n += k;
        if (k < want) break;            /* end of file or error */
        char *nb = cap <= SIZE_MAX / 2 ? realloc(buf, 2 * cap) : NULL;
        if (!nb) free(buf);
        buf = nb;
        cap *= 2;
    }
    int bad = ferror(f), e = errno;
    fclose(f);
    if (bad) {
        free(buf);
        PREF_ERROR(PREF_EIO, "%s: read error: %s", path, strerror(e));
    }
    buf[n] = '\0';
    *out = buf;
    if (len) *len = n;
    return PREF_OK;
}

/* ---- all-or-nothing output directories (see fsutil.h) ------------------- */

/* Remove path: a file, or a directory with everything it holds (symbolic
 * links are removed, never followed). Errors are ignored: a leftover is
 * harmless and the callers have nothing better to do. */
static void fsutil_remove_tree(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0) return;
    if (!S_ISDIR(sb.st_mode)) {
        remove(path);
        return;
    }
    DIR *d = opendir(path);
    if (d) {
        struct dirent *ent;
        char p[8192];
        while ((ent = readdir(d))) {
            if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, "..")) continue;
            snprintf(p, sizeof p, "%s/%s", path, ent->d_name);
            fsutil_remove_tree(p);
        }
        closedir(d);
    }
    rmdir(path);
}

int fsutil_stage_begin(fsutil_stage *s, const char *out)
{
    s->dir[0] = '\0';
    size_t n = strlen(out);
    while (n > 1 && out[n - 1] == '/') n--;
    if (n == 0 || n >= sizeof s->out)
        PREF_ERROR(PREF_EINPUT, "%s: bad output directory name", out);
    memcpy(s->out, out, n);
    s->out[n] = '\0';
    struct stat sb;
    if (stat(s->out, &sb) == 0 && !S_ISDIR(sb.st_mode))
        PREF_ERROR(PREF_EINPUT, "%s: exists and is not a directory", s->out);
    snprintf(s->dir, sizeof s->dir, "%s.partial.%ld", s->out, (long)getpid());
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", s->out);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = '\0';
        PREF_TRY(fsutil_mkdirs(parent));
    }
    if (mkdir(s->dir, 0777) != 0) {
        int e = errno;
        s->dir[0] = '\0';
        PREF_ERROR(PREF_EIO, "%s: cannot write the output directory: %s",
                   s->out, strerror(e));
    }
    return PREF_OK;
}

/* Check that every entry staged in s can replace its target: a staged
 * file's target is not a directory, a staged directory's target is a
 * directory or absent. */
static int fsutil_stage_check(const fsutil_stage *s, DIR *d)
{
    struct dirent *ent;
    char target[8192], from[8192];
    while ((ent = readdir(d))) {
        if (ent->d_name[0] == '.') continue;
        snprintf(target, sizeof target, "%s/%s", s->out, ent->d_name);
        snprintf(from, sizeof from, "%s/%s", s->dir, ent->d_name);
        struct stat sb, sf;
        if (stat(target, &sb) != 0 || lstat(from, &sf) != 0) continue;
        if (!S_ISDIR(sf.st_mode) && S_ISDIR(sb.st_mode))
            PREF_ERROR(PREF_EIO, "%s: is a directory; nothing was written",
                       target);
        if (S_ISDIR(sf.st_mode) && !S_ISDIR(sb.st_mode))
            PREF_ERROR(PREF_EIO, "%s: is not a directory; nothing was written",
                       target);
    }
    rewinddir(d);
    return PREF_OK;
}

/* Move the staged entry from onto to. A directory replaces the directory
 * at to whole: the old one is renamed aside, then removed. */
static int fsutil_stage_move(const char *from, const char *to)
{
    struct stat sf, st;
    char old[8192 + 32] = "";
    if (lstat(from, &sf) == 0 && S_ISDIR(sf.st_mode) && stat(to, &st) == 0) {
        snprintf(old, sizeof old, "%s.old.%ld", to, (long)getpid());
        if (rename(to, old) != 0)
            PREF_ERROR(PREF_EIO, "%s: cannot replace: %s", to, strerror(errno));
    }
    if (rename(from, to) != 0) {
        int e = errno;
        if (old[0]) rename(old, to);
        PREF_ERROR(PREF_EIO, "%s: cannot write: %s", to, strerror(e));
    }
    if (old[0]) fsutil_remove_tree(old);
    return PREF_OK;
}

int fsutil_stage_commit(fsutil_stage *s, const char *const *owned)
{
    DIR *d = opendir(s->dir);
    if (!d) PREF_ERROR(PREF_EIO, "%s: cannot read: %s", s->dir, strerror(errno));
    char from[8192], to[8192];
    /* Which owned outputs this run did not write (looked up before the
     * moves empty the staging directory). */
    unsigned char stale[128] = {0};
    for (size_t i = 0; owned && owned[i] && i < 128; i++) {
        snprintf(from, sizeof from, "%s/%s", s->dir, owned[i]);
        stale[i] = !fsutil_exists(from);
    }
    int st = fsutil_stage_check(s, d);
    if (!st) st = fsutil_mkdirs(s->out);
    struct dirent *ent;
    while (!st && (ent = readdir(d))) {
        if (ent->d_name[0] == '.') continue;
        snprintf(from, sizeof from, "%s/%s", s->dir, ent->d_name);
        snprintf(to, sizeof to, "%s/%s", s->out, ent->d_name);
        st = fsutil_stage_move(from, to);
    }
    closedir(d);
    for (size_t i = 0; !st && owned && owned[i] && i < 128; i++) {
        /* An output of an earlier run that this one did not write. */
        snprintf(to, sizeof to, "%s/%s", s->out, owned[i]);
        if (stale[i]) fsutil_remove_tree(to);
    }
    if (st) return st;
    fsutil_stage_abort(s); /* the staging directory is empty now */
    return PREF_OK;
}

void fsutil_stage_abort(fsutil_stage *s)
{
    if (!s->dir[0]) return;
    /* A writer's message names the staging directory: name out instead. */
    const char *msg = pref_last_error(), *at = strstr(msg, s->dir);
    if (at) {
        char fixed[1024 + sizeof s->out];
        snprintf(fixed, sizeof fixed, "%.*s%s%s", (int)(at - msg), msg, s->out,
                 at + strlen(s->dir));
        pref_set_error(PREF_OK, "%s", fixed);
    }
    fsutil_remove_tree(s->dir);
    s->dir[0] = '\0';
}
