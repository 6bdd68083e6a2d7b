/* iniread.h — the INI syntax of hetpref's configuration files, lines of any
 * length.
 *
 * Why not libinih, which hetpref used before: Debian's libinih is built with
 * a fixed 200-byte line buffer, so a longer line reached its handler cut
 * into pieces — the tail of a long comment became a live key, a long list
 * value failed with a syntax error in its middle, and line numbers in
 * messages were wrong. The library offers no way around its buffer (a custom
 * reader for ini_parse_stream gets the same 200 bytes), so this module reads
 * whole lines itself (getline) and keeps inih's rules exactly, so every
 * config that parsed before parses the same way:
 *   - a UTF-8 byte-order mark at the start of the file is skipped;
 *   - blanks around names, values and section names are trimmed;
 *   - a line whose first non-blank character is ';' or '#' is a comment;
 *   - ';' after a blank starts a comment inside a line ("x = 1 ; why");
 *   - "[name]" starts a section; "name = value" or "name: value" is an
 *     entry (the first '=' or ':' splits);
 *   - a non-blank line that starts with blanks, after an entry of the same
 *     section, continues it: the handler is called again with that name;
 *   - parsing goes on after an error (the handler sees every entry), and
 *     the first error's line is returned.
 * Not here: what sections and names mean (cfg.c). */
#ifndef HETPREF_INIREAD_H
#define HETPREF_INIREAD_H

#include <stdio.h>

/* Called for every entry: line is its 1-based line number; section is ""
 * before the first section header. Returns nonzero on success, 0 to mark
 * the line as an error (parsing continues). */
typedef int (*iniread_handler)(void *user, int line, const char *section,
                               const char *name, const char *value);

/* Parse f to its end. Returns 0, the line number (> 0) of the first syntax
 * error or handler failure, -1 when reading fails, or -2 when out of memory. */
int iniread_stream(FILE *f, iniread_handler handler, void *user);

#endif
