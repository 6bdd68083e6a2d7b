/* fuzzutil.h — what the libFuzzer targets of tests/fuzz/ share: a private
 * scratch directory, writing an input to a file there, reading a file back,
 * and the checks every target makes.
 *
 * Each target calls the library function the CLI calls on one input, checks
 * the cheap properties of the result, and frees everything. A violated
 * property prints "property violated: ..." and aborts, so libFuzzer keeps the
 * input as a crash. Not here: the CLI replay of the corpora (replay.sh). */
#ifndef HETPREF_FUZZUTIL_H
#define HETPREF_FUZZUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "cfg.h"

/* Print "property violated: FILE:LINE: message" and abort. */
#define FUZZ_CHECK(cond, ...) \
    do { if (!(cond)) fuzz_violated(__FILE__, __LINE__, __VA_ARGS__); } while (0)

void fuzz_violated(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

/* "SCRATCH/name" in buf (n bytes): SCRATCH is a directory made once per
 * process under $TMPDIR (default /tmp) and removed at exit. Returns buf. */
char *fuzz_path(char *buf, size_t n, const char *name);

/* Write size bytes to path (replacing it); aborts when it cannot. */
void fuzz_write(const char *path, const uint8_t *data, size_t size);

/* The whole file (NUL-terminated, length in *len when len is not NULL), or
 * NULL when it does not exist. Caller frees. */
char *fuzz_slurp(const char *path, size_t *len);

/* The input as the file "SCRATCH/name": fuzz_path into buf, then
 * fuzz_write. Returns buf. */
char *fuzz_input(char *buf, size_t n, const char *name, const uint8_t *data,
                 size_t size);

/* After a read of path that returned st and result: 0 when it succeeded;
 * else 1, having checked that result is NULL and st an input error naming
 * path (fuzz_check_input_error). */
int fuzz_read_failed(int st, const void *result, const char *path);

/* The contract of a failed read of name: status st is PREF_EINPUT and the
 * message starts with name (the user's file is named in every message). */
void fuzz_check_input_error(int st, const char *name);

/* The config.ini promise: c's dump (cfg_write) loads, and dumps again to
 * the same bytes. */
void fuzz_check_cfg_roundtrip(const cfg *c);

#endif
