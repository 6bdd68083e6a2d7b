/* test_sha256.c — SHA-256 (src/sha256.h) against the FIPS 180-2 test
 * vectors (appendix B: "abc", the 448-bit two-block message, one million
 * 'a'), the empty message (its well-known digest), every split of a message
 * into two updates (block-boundary handling), and sha256_file on a file
 * holding the two-block message, plus its missing-file error. Every vector
 * is checked through both engines (the SHA extensions where the CPU has
 * them, and the portable rounds), and the two engines are compared on
 * pseudo-random messages of every length up to 300 bytes and a 1 MB one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_test.h>

#include "err.h"
#include "sha256.h"

static void hex_of(const unsigned char d[32], char hex[65])
{
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

static int portable; /* the engine digest() uses: 1 = the portable rounds */

static void digest(const char *msg, size_t len, char hex[65])
{
    sha256_ctx s;
    unsigned char d[32];
    sha256_init(&s);
    s.portable = portable;
    sha256_update(&s, msg, len);
    sha256_final(&s, d);
    hex_of(d, hex);
}

static const char two_block[] =
    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
static const char two_block_hex[] =
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";

/* The two engines agree on pseudo-random messages of lengths 0..300 (every
 * block boundary and padding case) and on 1 MB fed in uneven pieces. */
static void engines_agree(void)
{
    size_t big = 1u << 20;
    unsigned char *msg = malloc(big);
    unsigned long long x = 88172645463325252ULL;
    for (size_t i = 0; i < big; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        msg[i] = (unsigned char)(x >> 24);
    }
    char a[65], b[65];
    for (size_t len = 0; len <= 300; len++) {
        portable = 0;
        digest((const char *)msg, len, a);
        portable = 1;
        digest((const char *)msg, len, b);
        if (strcmp(a, b)) {
            gsl_test(1, "engines differ at length %zu: %s %s", len, a, b);
            break;
        }
    }
    for (int e = 0; e < 2; e++) {
        sha256_ctx s;
        unsigned char d[32];
        sha256_init(&s);
        s.portable = e;
        for (size_t at = 0, k = 1; at < big; at += k, k = k * 7 % 4099 + 1)
            sha256_update(&s, msg + at, at + k > big ? big - at : k);
        sha256_final(&s, d);
        hex_of(d, e ? b : a);
    }
    gsl_test(strcmp(a, b), "engines agree on 1 MB in pieces (%s)", a);
    free(msg);
    portable = 0;
}

/* The FIPS vectors and the empty message through digest()'s engine. */
static void vectors(void)
{
    char hex[65];
    digest("abc", 3, hex);
    gsl_test(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223"
                         "b00361a396177a9cb410ff61f20015ad"), "FIPS B.1 abc: %s", hex);
    digest(two_block, strlen(two_block), hex);
    gsl_test(strcmp(hex, two_block_hex), "FIPS B.2 two blocks: %s", hex);
    digest("", 0, hex);
    gsl_test(strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb924"
                         "27ae41e4649b934ca495991b7852b855"), "empty: %s", hex);
}

int main(void)
{
    char hex[65];
    printf("SHA extensions used: %s\n", sha256_accelerated() ? "yes" : "no");
    vectors();
    portable = 1;
    vectors();
    portable = 0;
    engines_agree();

    /* B.3: one million 'a', fed in uneven pieces. */
    char *a = malloc(1000000);
    memset(a, 'a', 1000000);
    sha256_ctx s;
    unsigned char d[32];
    for (int e = 0; e < 2; e++) {
        sha256_init(&s);
        s.portable = e;
        for (size_t at = 0, k = 1; at < 1000000; at += k, k = k * 3 % 997 + 1)
            sha256_update(&s, a + at, at + k > 1000000 ? 1000000 - at : k);
        sha256_final(&s, d);
        hex_of(d, hex);
        gsl_test(strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67"
                             "f1809a48a497200e046d39ccc7112cd0"),
                 "FIPS B.3 1e6 a (portable %d): %s", e, hex);
    }
    free(a);

    size_t n = strlen(two_block);
    for (size_t cut = 0; cut <= n; cut++) {
        sha256_init(&s);
        sha256_update(&s, two_block, cut);
        sha256_update(&s, two_block + cut, n - cut);
        sha256_final(&s, d);
        hex_of(d, hex);
        if (strcmp(hex, two_block_hex)) {
            gsl_test(1, "two updates split at %zu: %s", cut, hex);
            break;
        }
    }

    const char *tmp = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/test_sha256.%ld", tmp && *tmp ? tmp : "/tmp",
             (long)getpid());
    FILE *f = fopen(path, "wb");
    fputs(two_block, f);
    fclose(f);
    uint64_t size = 0;
    gsl_test_int(sha256_file(path, hex, &size), PREF_OK, "sha256_file");
    gsl_test(strcmp(hex, two_block_hex), "sha256_file digest: %s", hex);
    gsl_test_int((int)size, (int)n, "sha256_file size");
    remove(path);
    gsl_test_int(sha256_file(path, hex, &size), PREF_EINPUT,
                 "sha256_file of a missing file: PREF_EINPUT");
    exit(gsl_test_summary());
}
