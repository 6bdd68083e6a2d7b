/* test_numparse.c — numparse_double (src/numparse.h) against strtod.
 *
 * numparse has an exact fast path for plain decimals; whatever path a
 * string takes, the value must be bit-for-bit strtod's (C locale, default
 * rounding) and the verdict (number, not a number, not finite) the rule of
 * numparse.h. Checks:
 *  - random finite doubles (uniform bit patterns: normals, subnormals,
 *    both signs) printed with %.17g, %.16g, %.15g, %.6g, %.3e and %.20e;
 *  - random decimal strings: 1..22 significant digits, a point anywhere,
 *    leading zeros, an optional exponent -40..40 with or without sign;
 *  - edge cases: signed zeros, 2^53 + 1 (a tie, to even), 10^22 and 10^23,
 *    the largest double and the first overflow, the smallest normal and
 *    subnormal, underflow to zero, and texts that are not numbers
 *    (hexadecimal, blanks, trailing text, a lone sign or point, an
 *    exponent without digits, inf and nan). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>
#include <gsl/gsl_test.h>

#include "numparse.h"

static size_t n_bad;

/* The verdict and value numparse.h promises, from strtod directly. */
static int reference(const char *s, double *v)
{
    size_t len = strlen(s);
    if (len == 0 || s[0] == ' ' || s[0] == '\t' || strpbrk(s, "xX"))
        return -1;
    char *e;
    *v = strtod(s, &e);
    if (e != s + len) return -1;
    return isfinite(*v) ? 0 : -2;
}

/* Compare numparse with the reference on s; reports the first few. */
static void check(const char *s)
{
    double want = 0, got = 0;
    int rw = reference(s, &want), rg = numparse_double(s, strlen(s), &got);
    int same = rw == rg && (rw != 0 || memcmp(&want, &got, sizeof got) == 0);
    if (!same && n_bad++ < 10)
        fprintf(stderr, "numparse '%s': rc %d value %.17g, strtod rc %d "
                "value %.17g\n", s, rg, got, rw, want);
}

static void test_random_doubles(gsl_rng *r)
{
    static const char *fmt[] = {"%.17g", "%.16g", "%.15g", "%.6g", "%.3e",
                                "%.20e"};
    char buf[64];
    n_bad = 0;
    for (int i = 0; i < 200000; i++) {
        uint64_t b = (uint64_t)gsl_rng_get(r) << 32 ^ gsl_rng_get(r);
        if (i % 2) b = (b & 0x800FFFFFFFFFFFFFULL) |   /* |x| in [1e-30, 1e30] */
                       (uint64_t)(1023 - 100 + gsl_rng_uniform_int(r, 200))
                           << 52;
        double x;
        memcpy(&x, &b, sizeof x);
        if (!isfinite(x)) continue;
        snprintf(buf, sizeof buf, fmt[i % 6], x);
        check(buf);
    }
    gsl_test(n_bad != 0, "random doubles printed and read back (%zu wrong)",
             n_bad);
}

static void test_random_decimals(gsl_rng *r)
{
    char buf[80];
    n_bad = 0;
    for (int i = 0; i < 300000; i++) {
        size_t k = 0, nd = 1 + gsl_rng_uniform_int(r, 22);
        size_t point = gsl_rng_uniform_int(r, nd + 2);
        if (gsl_rng_uniform_int(r, 3) == 0) buf[k++] = "-+"[i % 2];
        for (size_t z = gsl_rng_uniform_int(r, 4); z > 0 && i % 5 == 0; z--)
            buf[k++] = '0';
        for (size_t j = 0; j < nd; j++) {
            if (j == point) buf[k++] = '.';
            buf[k++] = (char)('0' + gsl_rng_uniform_int(r, 10));
        }
        if (gsl_rng_uniform_int(r, 2))
            k += (size_t)snprintf(buf + k, sizeof buf - k, "e%s%d",
                                  i % 3 == 0 ? "+" : "",
                                  (int)gsl_rng_uniform_int(r, 81) - 40);
        buf[k] = '\0';
        check(buf);
    }
    gsl_test(n_bad != 0, "random decimal strings (%zu wrong)", n_bad);
}

static void test_edges(void)
{
    static const char *s[] = {
        "0", "-0", "+0", "0.0", "-0.000", "0e5", "00012", "1", "+1", "-1",
        "9007199254740992", "9007199254740993", "9007199254740995",
        "9007199254740993.0000001", "18446744073709551615",
        "18446744073709551616", "1e22", "1e23", "1e-22", "1e-23",
        "1.7976931348623157e308", "1.7976931348623158e308",
        "1.7976931348623159e308", "1e309", "-1e309",
        "2.2250738585072014e-308", "2.2250738585072011e-308",
        "4.9406564584124654e-324", "2e-324", "1e-400", "123456789012345678e-27",
        "0.1", "0.2", "0.30000000000000004", "1.5", "2.5", "1e0", "1E+2",
        "1e-0", ".5", "5.", "-.5e1", "1e00000000000000000000001",
        "", " ", " 1", "1 ", "\t1", "-", "+", ".", "-.", "e5", "1e", "1e+",
        "1e-", "1.5x", "1,5", "0x1p3", "0X10", "1x", "inf", "-inf",
        "infinity", "nan", "NaN", "--1", "+-1", "1..2", "1e5.5", "1e5e5"};
    n_bad = 0;
    for (size_t i = 0; i < sizeof s / sizeof *s; i++) check(s[i]);
    gsl_test(n_bad != 0, "edge cases (%zu wrong)", n_bad);
    double v = 1;
    gsl_test(numparse_double("-0", 2, &v) != 0 || !signbit(v),
             "-0 is negative zero");
    gsl_test(numparse_double("7;", 1, &v) != 0 || v != 7,
             "only s[0..len) is read");
}

int main(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 12);
    test_random_doubles(r);
    test_random_decimals(r);
    test_edges();
    gsl_rng_free(r);
    exit(gsl_test_summary());
}
