/* iniread.c — INI syntax with lines of any length (see iniread.h for why
 * this is not libinih, and for the rules, which are inih's). */
#include "iniread.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Strip trailing blanks in place; returns s. */
static char *rstrip(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
    return s;
}

static char *lskip(char *s)
{
    while (*s && isspace((unsigned char)*s)) s++;
    return s;
}

/* The first character of s that is in chars (NULL: none), or the start of
 * an inline comment (';' after a blank), or the terminating NUL. */
static char *find_chars_or_comment(char *s, const char *chars)
{
    int was_space = 0;
    while (*s && (!chars || !strchr(chars, *s)) && !(was_space && *s == ';')) {
        was_space = isspace((unsigned char)*s);
        s++;
    }
    return s;
}

/* Replace *dst by a copy of src. 0, or -2 when out of memory. */
static int set_text(char **dst, const char *src)
{
    char *c = strdup(src);
    if (!c) return -2;
    free(*dst);
    *dst = c;
    return 0;
}

/* One entry line (or continuation) at start: split, trim, call the handler.
 * Returns 0, the line number on a syntax/handler error, or -2. */
typedef struct ini_state {
    iniread_handler handler;
    void *user;
    char *section, *prev_name;
    int line;
} ini_state;

static int entry_line(ini_state *s, char *start, int continuation)
{
    if (continuation) {
        char *end = find_chars_or_comment(start, NULL);
        *end = '\0';
        rstrip(start);
        return s->handler(s->user, s->line, s->section, s->prev_name, start)
                   ? 0 : s->line;
    }
    char *end = find_chars_or_comment(start, "=:");
    if (*end != '=' && *end != ':') return s->line;
    *end = '\0';
    char *name = rstrip(start), *value = end + 1;
    end = find_chars_or_comment(value, NULL);
    *end = '\0';
    value = rstrip(lskip(value));
    if (set_text(&s->prev_name, name)) return -2;
    return s->handler(s->user, s->line, s->section, name, value) ? 0 : s->line;
}

/* A "[section]" line at start. Returns 0, the line number, or -2. */
static int section_line(ini_state *s, char *start)
{
    char *end = find_chars_or_comment(start + 1, "]");
    if (*end != ']') return s->line;
    *end = '\0';
    if (set_text(&s->section, start + 1)) return -2;
    s->prev_name[0] = '\0';
    return 0;
}

int iniread_stream(FILE *f, iniread_handler handler, void *user)
{
    ini_state s = {handler, user, strdup(""), strdup(""), 0};
    char *buf = NULL;
    size_t cap = 0;
    int error = 0;
    if (!s.section || !s.prev_name) error = -2;
    ssize_t len;
    while (error >= 0 && (len = getline(&buf, &cap, f)) >= 0) {
        s.line++;
        char *line = buf;
        if (s.line == 1 && len >= 3 && (unsigned char)line[0] == 0xEF &&
            (unsigned char)line[1] == 0xBB && (unsigned char)line[2] == 0xBF)
            line += 3;
        char *start = lskip(rstrip(line));
        int e = 0;
        if (*start == ';' || *start == '#') continue;
        if (s.prev_name[0] && *start && start > line) e = entry_line(&s, start, 1);
        else if (*start == '[') e = section_line(&s, start);
        else if (*start) e = entry_line(&s, start, 0);
        if (e < 0) error = e;
        else if (e > 0 && error == 0) error = e;
    }
    if (error >= 0 && ferror(f)) error = -1;
    free(buf);
    free(s.section);
    free(s.prev_name);
    return error;
}
