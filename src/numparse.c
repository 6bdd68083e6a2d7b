/* numparse.c — the one number syntax of hetpref's inputs (see numparse.h).
 *
 * How. Plain decimals with at most 19 significant digits and a moderate
 * exponent (every number hetpref writes with "%.17g", and most that people
 * write) take an exact fast path: the digits are read eight at a time into
 * a 64-bit integer D, and D * 10^e is rounded once, to nearest with ties to
 * even — Clinger's path when D and 10^|e| are exact doubles, otherwise one
 * 128-bit product (e >= 0) or one 128-by-64-bit division by 5^-e (e < 0)
 * whose quotient keeps 62 to 64 bits and whose remainder is the sticky
 * bit. Everything else (hexadecimal, inf/nan, blanks, long mantissas, far
 * exponents, subnormals) goes to strtod with the checks below. Either way
 * the value is exactly strtod's in the default rounding mode
 * (tests/test_numparse.c compares them on random and edge-case input). */
#include "numparse.h"

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SIZEOF_INT128__) && defined(__GNUC__) && \
    FLT_EVAL_METHOD == 0 && DBL_MANT_DIG == 53 && FLT_RADIX == 2
#define NUMPARSE_FAST 1
__extension__ typedef unsigned __int128 np_u128;
#else
#define NUMPARSE_FAST 0
#endif

/* strtod with hetpref's checks: the reference for every number. */
static int np_slow(const char *s, size_t len, double *out)
{
    if (len == 0 || isspace((unsigned char)s[0])) return -1;
    for (size_t i = 0; i < len; i++)
        if (s[i] == 'x' || s[i] == 'X') return -1; /* hexadecimal */
    char *e;
    double v = strtod(s, &e);
    if (e != s + len) return -1;
    if (!isfinite(v)) return -2;
    *out = v;
    return 0;
}

#if NUMPARSE_FAST
/* 10^0 .. 10^22: all exactly representable as doubles. */
static const double np_p10d[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* 5^0 .. 5^27 (5^27 < 2^63). */
static const uint64_t np_p5[28] = {
    1ULL, 5ULL, 25ULL, 125ULL, 625ULL, 3125ULL, 15625ULL, 78125ULL,
    390625ULL, 1953125ULL, 9765625ULL, 48828125ULL, 244140625ULL,
    1220703125ULL, 6103515625ULL, 30517578125ULL, 152587890625ULL,
    762939453125ULL, 3814697265625ULL, 19073486328125ULL,
    95367431640625ULL, 476837158203125ULL, 2384185791015625ULL,
    11920928955078125ULL, 59604644775390625ULL, 298023223876953125ULL,
    1490116119384765625ULL, 7450580596923828125ULL};

static int np_bits(np_u128 n)
{
    uint64_t hi = (uint64_t)(n >> 64);
    return hi ? 128 - __builtin_clzll(hi) : 64 - __builtin_clzll((uint64_t)n);
}

/* The double m * 2^e2 for a rounded 53-bit m (or 2^53 after a carry).
 * Returns 0, or -1 when it is not a normal double. */
static inline int np_pack(uint64_t m, int e2, double *out)
{
    if (m >> 53) {
        m >>= 1;
        e2++;
    }
    int be = e2 + 52 + 1023;
    if (be < 1 || be > 2046) return -1;
    uint64_t b = ((uint64_t)be << 52) | (m & ((1ULL << 52) - 1));
    memcpy(out, &b, sizeof b);
    return 0;
}

/* The double nearest to (n + f) * 2^e2, where n > 0 and f in [0, 1) is a
 * fraction known only by sticky = (f != 0); ties to even. sticky may be
 * set only when n has more than 53 bits. Returns 0, or -1 when the result
 * is not a normal double (the caller falls back). */
static int np_round(np_u128 n, int e2, int sticky, double *out)
{
    int bits = np_bits(n);
    uint64_t m;
    if (bits <= 53) {
        m = (uint64_t)n << (53 - bits);
        e2 -= 53 - bits;
    } else {
        int sh = bits - 53;
        m = (uint64_t)(n >> sh);
        np_u128 rest = n & (((np_u128)1 << sh) - 1);
        np_u128 half = (np_u128)1 << (sh - 1);
        if (rest > half || (rest == half && (sticky || (m & 1)))) m++;
        e2 += sh;
    }
    return np_pack(m, e2, out);
}

/* np_round for a 62- to 64-bit q, in 64-bit arithmetic. */
static inline int np_round64(uint64_t q, int e2, int sticky, double *out)
{
    int sh = (64 - __builtin_clzll(q)) - 53;     /* 9..11 */
    uint64_t m = q >> sh, rest = q & ((1ULL << sh) - 1);
    uint64_t half = 1ULL << (sh - 1);
    if (rest > half || (rest == half && (sticky || (m & 1)))) m++;
    return np_pack(m, e2 + sh, out);
}

/* q = (hi:lo) / d and *rem, for hi < d (the quotient fits 64 bits). */
static inline uint64_t np_div(uint64_t hi, uint64_t lo, uint64_t d,
                              uint64_t *rem)
{
#if defined(__x86_64__)
    uint64_t q, r;
    __asm__("divq %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "r"(d));
    *rem = r;
    return q;
#else
    np_u128 n = (np_u128)hi << 64 | lo;
    uint64_t q = (uint64_t)(n / d);
    *rem = (uint64_t)(n - (np_u128)q * d);
    return q;
#endif
}

/* The double nearest to D * 10^e10 (D > 0), or -1 when out of the fast
 * range. For e10 = -j < 0: D * 2^sh / 5^j = q + rem / 5^j with sh chosen
 * so that q has 62 to 64 bits, then one rounding of q * 2^-(sh + j) with
 * rem != 0 as the sticky bit. */
static int np_decimal(uint64_t D, long e10, double *out)
{
    if (D <= (1ULL << 53) && e10 >= -22 && e10 <= 22) {
        double v = (double)D;
        *out = e10 < 0 ? v / np_p10d[-e10] : v * np_p10d[e10];
        return 0;
    }
    if (e10 >= 0 && e10 <= 27)
        return np_round((np_u128)D * np_p5[e10], (int)e10, 0, out);
    if (e10 < 0 && e10 >= -27) {
        int j = (int)-e10;
        uint64_t d5 = np_p5[j], rem;
        int sh = 63 + (64 - __builtin_clzll(d5)) - (64 - __builtin_clzll(D));
        np_u128 n = (np_u128)D << sh;   /* < 2^(63 + bits(5^j)) */
        uint64_t q = np_div((uint64_t)(n >> 64), (uint64_t)n, d5, &rem);
        return np_round64(q, -sh - j, rem != 0, out);
    }
    return -1;
}

/* Append the decimal digits at p (up to end) to *D (which wraps past 19
 * digits: the caller then falls back); returns the first non-digit. Eight
 * digits at a time where the bytes allow (little-endian loads). */
static inline const char *np_digits(const char *p, const char *end, uint64_t *D)
{
    uint64_t d = *D;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (end - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        if ((w & 0xF0F0F0F0F0F0F0F0ULL) != 0x3030303030303030ULL ||
            ((w + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL) !=
                0x3030303030303030ULL)
            break;
        w -= 0x3030303030303030ULL;
        w = w * 10 + (w >> 8);  /* pairs of digits */
        w = (((w & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32))) +
             (((w >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32))))
            >> 32;
        d = d * 100000000ULL + w;
        p += 8;
    }
#endif
    for (; p < end && (unsigned)(*p - '0') < 10; p++)
        d = d * 10 + (uint64_t)(*p - '0');
    *D = d;
    return p;
}

/* The exponent part at p ("e", "E", then an optional sign and digits)
 * added to *e10; returns the end of it, or NULL when p starts an exponent
 * without digits. Exponents are capped at 100000 (the caller falls back). */
static const char *np_exponent(const char *p, const char *end, long *e10)
{
    int eneg = 0;
    long ex = 0;
    p++;
    if (p < end && (*p == '-' || *p == '+')) eneg = *p++ == '-';
    if (p == end || *p < '0' || *p > '9') return NULL;
    for (; p < end && *p >= '0' && *p <= '9'; p++)
        if (ex < 100000) ex = ex * 10 + (*p - '0');
    *e10 += eneg ? -ex : ex;
    return p;
}

/* The fast path: 0 with *out set, or -1 to fall back to strtod. */
static int np_fast(const char *s, size_t len, double *out)
{
    const char *p = s, *end = s + len, *p0;
    int neg = 0, any = 0;
    uint64_t D = 0;
    long e10 = 0;
    size_t nd;
    if (p < end && (*p == '-' || *p == '+')) neg = *p++ == '-';
    for (; p < end && *p == '0'; p++) any = 1;      /* leading zeros */
    p0 = p;
    p = np_digits(p, end, &D);
    nd = (size_t)(p - p0);
    any |= nd > 0;
    if (p < end && *p == '.') {
        p++;
        if (nd == 0)                                /* 0.000ddd */
            for (; p < end && *p == '0'; p++) {
                any = 1;
                if (e10 > -100000) e10--;
            }
        p0 = p;
        p = np_digits(p, end, &D);
        nd += (size_t)(p - p0);
        e10 -= p - p0;
        any |= p > p0;
    }
    if (nd > 19 || !any) return -1;
    if (p < end && (*p == 'e' || *p == 'E'))
        if (!(p = np_exponent(p, end, &e10))) return -1;
    if (p != end) return -1;
    if (D == 0) {
        *out = neg ? -0.0 : 0.0;
        return 0;
    }
    double v;
    if (np_decimal(D, e10, &v) != 0) return -1;
    *out = neg ? -v : v;
    return 0;
}
#endif /* NUMPARSE_FAST */

int numparse_double(const char *s, size_t len, double *out)
{
#if NUMPARSE_FAST
    if (np_fast(s, len, out) == 0) return 0;
#endif
    return np_slow(s, len, out);
}
