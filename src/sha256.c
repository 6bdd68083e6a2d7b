/* sha256.c — SHA-256 (see sha256.h). The compression function follows
 * FIPS 180-4, section 6.2.2, with the constants of section 4.2.2.
 *
 * Two engines for the same function: the portable C rounds below, and, on
 * x86-64 CPUs with the SHA extensions (sha_ni: Intel since Goldmont / Ice
 * Lake, AMD since Zen), the SHA256RNDS2 / SHA256MSG1 / SHA256MSG2
 * instructions, chosen at run time per update. The digest is the same by
 * definition (both compute FIPS 180-4 exactly; tests/test_sha256.c checks
 * both engines on the FIPS vectors and against each other). Hashing the
 * input is the provenance record of every run; the portable rounds were
 * ~15% of a 10^4-user EM-DPO fit (~300 MB/s), the instructions run at
 * several GB/s. GCC only (target attributes and __builtin_cpu_supports);
 * other compilers get the portable rounds. */
#include "sha256.h"

#include <stdio.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SHA_HAVE_NI 1
#include <immintrin.h>
#endif

#include "err.h"
#include "fsutil.h"

static const uint32_t sha_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha_block(uint32_t h[8], const unsigned char *p)
{
    uint32_t w[64], v[8];
    for (int t = 0; t < 16; t++)
        w[t] = (uint32_t)p[4 * t] << 24 | (uint32_t)p[4 * t + 1] << 16 |
               (uint32_t)p[4 * t + 2] << 8 | (uint32_t)p[4 * t + 3];
    for (int t = 16; t < 64; t++) {
        uint32_t s0 = ROTR(w[t - 15], 7) ^ ROTR(w[t - 15], 18) ^ (w[t - 15] >> 3);
        uint32_t s1 = ROTR(w[t - 2], 17) ^ ROTR(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    /* the working variables a..h (FIPS 180-4, 6.2.2) in locals, rotated by
     * assignment: a memmove of the array per round was a libc call each */
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
    uint32_t e = h[4], f = h[5], g = h[6], k = h[7];
    for (int t = 0; t < 64; t++) {
        uint32_t t1 = k + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) +
                      ((e & f) ^ (~e & g)) + sha_k[t] + w[t];
        uint32_t t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) +
                      ((a & b) ^ (a & c) ^ (b & c));
        k = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    v[0] = a, v[1] = b, v[2] = c, v[3] = d, v[4] = e, v[5] = f, v[6] = g, v[7] = k;
    for (int i = 0; i < 8; i++) h[i] += v[i];
}

#if defined(SHA_HAVE_NI)
/* nblocks 64-byte blocks at p through the SHA extensions. The state is kept
 * as the instructions want it, (A, B, E, F) and (C, D, G, H); each
 * iteration i of the round loop does rounds 4i..4i+3, with the message
 * schedule W[4i..4i+3] in a ring of four registers (Intel, "Intel SHA
 * Extensions", 2013, figure 6, written as a loop). */
__attribute__((target("sha,sse4.1")))
static void sha_blocks_ni(uint32_t h[8], const unsigned char *p, size_t nblocks)
{
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    __m128i t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)h), 0xB1);
    __m128i cdgh = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(h + 4)), 0x1B);
    __m128i abef = _mm_alignr_epi8(t, cdgh, 8);
    cdgh = _mm_blend_epi16(cdgh, t, 0xF0);
    for (; nblocks > 0; nblocks--, p += 64) {
        __m128i abef0 = abef, cdgh0 = cdgh, m[4];
#pragma GCC unroll 16
        for (int i = 0; i < 16; i++) {
            __m128i w;
            if (i < 4) {
                w = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * i)), bswap);
            } else { /* W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16] */
                w = _mm_add_epi32(_mm_sha256msg1_epu32(m[i & 3], m[(i + 1) & 3]),
                                  _mm_alignr_epi8(m[(i + 3) & 3], m[(i + 2) & 3], 4));
                w = _mm_sha256msg2_epu32(w, m[(i + 3) & 3]);
            }
            m[i & 3] = w;
            __m128i wk = _mm_add_epi32(w, _mm_loadu_si128((const __m128i *)(sha_k + 4 * i)));
            cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
            abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0E));
        }
        abef = _mm_add_epi32(abef, abef0);
        cdgh = _mm_add_epi32(cdgh, cdgh0);
    }
    t = _mm_shuffle_epi32(abef, 0x1B);
    cdgh = _mm_shuffle_epi32(cdgh, 0xB1);
    _mm_storeu_si128((__m128i *)h, _mm_blend_epi16(t, cdgh, 0xF0));
    _mm_storeu_si128((__m128i *)(h + 4), _mm_alignr_epi8(cdgh, t, 8));
}
#endif

/* nblocks 64-byte blocks at p, through the SHA extensions when the CPU has
 * them and s->portable is 0. */
static void sha_blocks(sha256_ctx *s, const unsigned char *p, size_t nblocks)
{
#if defined(SHA_HAVE_NI)
    if (!s->portable && __builtin_cpu_supports("sha") &&
        __builtin_cpu_supports("sse4.1")) {
        sha_blocks_ni(s->h, p, nblocks);
        return;
    }
#endif
    for (; nblocks > 0; nblocks--, p += 64) sha_block(s->h, p);
}

int sha256_accelerated(void)
{
#if defined(SHA_HAVE_NI)
    return __builtin_cpu_supports("sha") && __builtin_cpu_supports("sse4.1");
#else
    return 0;
#endif
}

void sha256_init(sha256_ctx *s)
{
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372,
                                   0xa54ff53a, 0x510e527f, 0x9b05688c,
                                   0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, h0, sizeof h0);
    s->n = 0;
    s->portable = 0;
}

void sha256_update(sha256_ctx *s, const void *data, size_t len)
{
    const unsigned char *p = data;
    size_t have = (size_t)(s->n % 64);
    s->n += len;
    if (have) {
        size_t take = 64 - have < len ? 64 - have : len;
        memcpy(s->buf + have, p, take);
        p += take;
        len -= take;
        if (have + take < 64) return;
        sha_blocks(s, s->buf, 1);
    }
    sha_blocks(s, p, len / 64);
    p += len / 64 * 64;
    memcpy(s->buf, p, len % 64);
}

void sha256_final(sha256_ctx *s, unsigned char out[32])
{
    uint64_t bits = s->n * 8;
    unsigned char pad[72] = {0x80};
    size_t have = (size_t)(s->n % 64);
    size_t n = (have < 56 ? 56 - have : 120 - have);
    for (int i = 0; i < 8; i++) pad[n + i] = (unsigned char)(bits >> (56 - 8 * i));
    sha256_update(s, pad, n + 8);
    for (int i = 0; i < 8; i++)
        for (int b = 0; b < 4; b++)
            out[4 * i + b] = (unsigned char)(s->h[i] >> (24 - 8 * b));
}

int sha256_file(const char *path, char hex[65], uint64_t *size)
{
    FILE *f;
    PREF_TRY(fsutil_open_input(path, &f));
    sha256_ctx s;
    sha256_init(&s);
    unsigned char buf[65536], d[32];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0) sha256_update(&s, buf, k);
    int bad = ferror(f);
    fclose(f);
    if (bad) PREF_ERROR(PREF_EIO, "%s: read error", path);
    *size = s.n;
    sha256_final(&s, d);
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", d[i]);
    return PREF_OK;
}
