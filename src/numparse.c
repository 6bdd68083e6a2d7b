/* numparse.c — the one number syntax of hetpref's inputs (see numparse.h). */
#include "numparse.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>

int numparse_double(const char *s, size_t len, double *out)
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
