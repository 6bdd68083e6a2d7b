/* fuzzutil.c — helpers of the fuzz targets (fuzzutil.h). */
#define _XOPEN_SOURCE 700
#include "fuzzutil.h"

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"

static char scratch[4096];

void fuzz_violated(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "property violated: %s:%d: ", file, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

static int rm_entry(const char *p, const struct stat *sb, int type,
                    struct FTW *ftw)
{
    (void)sb; (void)type; (void)ftw;
    remove(p);
    return 0;
}

static void scratch_remove(void)
{
    if (scratch[0]) nftw(scratch, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *fuzz_path(char *buf, size_t n, const char *name)
{
    if (!scratch[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(scratch, sizeof scratch, "%s/hetpref-fuzz.XXXXXX",
                 t && *t ? t : "/tmp");
        if (!mkdtemp(scratch)) {
            perror(scratch);
            abort();
        }
        atexit(scratch_remove);
    }
    snprintf(buf, n, "%s/%s", scratch, name);
    return buf;
}

void fuzz_write(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
        perror(path);
        abort();
    }
}

char *fuzz_input(char *buf, size_t n, const char *name, const uint8_t *data,
                 size_t size)
{
    fuzz_write(fuzz_path(buf, n, name), data, size);
    return buf;
}

int fuzz_read_failed(int st, const void *result, const char *path)
{
    if (!st) return 0;
    FUZZ_CHECK(result == NULL, "a result returned with an error");
    fuzz_check_input_error(st, path);
    return 1;
}

char *fuzz_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0, got;
    char *buf = malloc(cap + 1);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *b = realloc(buf, 2 * cap + 1);
            if (!b) free(buf);
            buf = b;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf) abort();
    buf[n] = 0;
    if (len) *len = n;
    return buf;
}

void fuzz_check_input_error(int st, const char *name)
{
    const char *msg = pref_last_error();
    FUZZ_CHECK(st == PREF_EINPUT, "status %d (%s), not an input error: %s", st,
               pref_strerror(st), msg);
    FUZZ_CHECK(strncmp(msg, name, strlen(name)) == 0,
               "the message does not name the file %s: %s", name, msg);
}

/* Dump c into the scratch file name and return its bytes (caller frees). */
static char *cfg_dump(const cfg *c, const char *name, size_t *len)
{
    char path[4200];
    fuzz_path(path, sizeof path, name);
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    FUZZ_CHECK(cfg_write(c, f) == PREF_OK, "cfg_write failed");
    if (fclose(f) != 0) abort();
    return fuzz_slurp(path, len);
}

void fuzz_check_cfg_roundtrip(const cfg *c)
{
    static cfg c2; /* a few KB: not on the stack */
    char path[4200];
    size_t n1, n2;
    char *a = cfg_dump(c, "dump1.ini", &n1);
    cfg_init(&c2);
    int st = cfg_load(&c2, fuzz_path(path, sizeof path, "dump1.ini"));
    FUZZ_CHECK(st == PREF_OK, "the dump of a valid config does not load: %s",
               pref_last_error());
    char *b = cfg_dump(&c2, "dump2.ini", &n2);
    FUZZ_CHECK(n1 == n2 && memcmp(a, b, n1) == 0,
               "the dump, loaded and dumped again, differs");
    free(a);
    free(b);
}
