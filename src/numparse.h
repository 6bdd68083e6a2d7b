/* numparse.h — the one syntax of numbers in hetpref's inputs.
 *
 * Every reader of user input (preference CSV, regret and value matrices,
 * truth files, policies.txt, config values, command-line numbers) accepts
 * the same numbers: what C's strtod reads in the C locale as a *decimal*
 * number — an optional sign, digits with an optional point, an optional
 * exponent — and nothing else. Hexadecimal floats ("0x1p3"), which strtod
 * would also read, are refused everywhere, so a file is read the same way by
 * every command. "inf", "nan" and overflows are numbers that are not
 * finite, a separate verdict so messages can say so.
 * Not here: reading hetpref's own output back (sweep journals and runs.csv
 * hold "NaN"/"Inf" for missing metrics and read them with their own rule). */
#ifndef HETPREF_NUMPARSE_H
#define HETPREF_NUMPARSE_H

#include <stddef.h>

/* Parse s[0..len), where s[len] is not part of a number (a NUL, say).
 * Returns 0 with *out set, -1 when it is not a number (empty, hexadecimal,
 * blanks, trailing text), or -2 when it is a number but not finite. */
int numparse_double(const char *s, size_t len, double *out);

#endif
