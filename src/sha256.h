/* sha256.h — SHA-256 (FIPS 180-4) of a byte stream or a file.
 *
 * Why our own: provenance records the SHA-256 of every input file, and none
 * of the libraries hetpref already depends on (GSL, GLPK, libcsv) offers a
 * hash; pulling in OpenSSL or libgcrypt for 32 bytes of digest would add a
 * dependency to every build. This is the textbook algorithm in ~100 lines,
 * checked against the FIPS 180-2 test vectors (tests/test_sha256.c).
 * Not for secrets: no constant-time guarantees are needed or given. */
#ifndef HETPREF_SHA256_H
#define HETPREF_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct sha256_ctx {
    uint32_t h[8];
    uint64_t n;            /* bytes hashed so far */
    unsigned char buf[64]; /* the pending partial block */
    int portable;          /* 1: never the SHA extensions (tests); init sets 0 */
} sha256_ctx;

void sha256_init(sha256_ctx *s);
void sha256_update(sha256_ctx *s, const void *data, size_t len);
/* 1 when this CPU and build hash through the x86 SHA extensions (the same
 * digests, faster), 0 when through the portable rounds. */
int sha256_accelerated(void);

/* The 32-byte digest of everything updated since sha256_init. */
void sha256_final(sha256_ctx *s, unsigned char out[32]);

/* The digest of path as 64 lower-case hex digits plus NUL in hex, and its
 * size in bytes in *size. PREF_OK; PREF_EINPUT when it does not exist;
 * PREF_EIO "PATH: cannot open/read: ...". */
int sha256_file(const char *path, char hex[65], uint64_t *size);

#endif
