/* fsutil.c — atomic output files and mkdir -p (see fsutil.h). */
#include "fsutil.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
