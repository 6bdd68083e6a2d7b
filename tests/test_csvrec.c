/* test_csvrec.c — tests of the one CSV record reader (src/csvrec.h).
 *
 * Checks, each through every chunk size 1..64 and the default (records,
 * fields, lengths, start lines and the end flag must be identical):
 *  - a UTF-8 byte order mark at the start is dropped (also alone, and
 *    split over 1-byte chunks); one later in the file is data;
 *  - LF, CRLF and CR line ends, blank lines and lines of blanks;
 *  - quoted fields holding commas, doubled quotes, LF, CRLF and CR; the
 *    start line of every record after multi-line quoted records;
 *  - a 100 KB field, quoted and bare (no length limit);
 *  - NUL bytes inside a field (kept, with the right length);
 *  - a tab separator;
 *  - the empty file and a file of blank lines: no records;
 *  - errors: a stray quote and a quote still open at the end of the file
 *    give PREF_EINPUT "t.csv:LINE: malformed CSV ..." with the line of the
 *    bad text / of the start of the open record, the same for every chunk
 *    size; csvrec_error with and without a line.
 * Expected values are worked out by hand in the comments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_test.h>

#include "csvrec.h"
#include "err.h"

/* Every record of text[0..len) as one string: per record "L<line>
 * T<terminated> N<nf>" then "|<len>:<bytes>" per field and a newline. A
 * failure appends "E<code> <message>". Caller frees. */
static char *dump(const char *text, size_t len, size_t chunk, char delim)
{
    char *out = NULL;
    size_t n = 0;
    FILE *o = open_memstream(&out, &n);
    FILE *f = len ? fmemopen((void *)text, len, "r") : fopen("/dev/null", "r");
    if (!o || !f) abort();
    int rc;
    csvrec *r = csvrec_alloc(f, "t.csv", chunk, delim, &rc);
    const csvrec_record *rec;
    while (r && (rc = csvrec_next(r, &rec)) == PREF_OK && rec) {
        fprintf(o, "L%zu T%d N%zu", rec->line, rec->terminated, rec->nf);
        for (size_t i = 0; i < rec->nf; i++) {
            size_t fl;
            const char *s = csvrec_field(rec, i, &fl);
            fprintf(o, "|%zu:", fl);
            fwrite(s, 1, fl, o);
            if (s[fl] != '\0') fputs("<no NUL>", o);
        }
        fputc('\n', o);
    }
    if (rc) fprintf(o, "E%d %s\n", rc, pref_last_error());
    csvrec_free(r);
    fclose(f);
    fclose(o);
    return out;
}

/* text (len bytes) must dump to want at every chunk size. */
static void expect_n(const char *what, const char *text, size_t len,
                     char delim, const char *want)
{
    char *d0 = dump(text, len, 0, delim);
    gsl_test_str(d0, want, "%s: default chunk", what);
    int same = 1;
    size_t bad = 0;
    for (size_t c = 1; c <= 64 && same; c++) {
        char *d = dump(text, len, c, delim);
        if (strcmp(d, d0) != 0) {
            same = 0;
            bad = c;
        }
        free(d);
    }
    gsl_test(!same, "%s: identical at every chunk size 1..64 (first "
             "difference at %zu)", what, bad);
    free(d0);
}

static void expect(const char *what, const char *text, const char *want)
{
    expect_n(what, text, strlen(text), ',', want);
}

static void test_line_ends(void)
{
    expect("LF", "a,b\nc,d\n", "L1 T1 N2|1:a|1:b\nL2 T1 N2|1:c|1:d\n");
    expect("CRLF", "a,b\r\nc,d\r\n", "L1 T1 N2|1:a|1:b\nL2 T1 N2|1:c|1:d\n");
    expect("CR", "a,b\rc,d\r", "L1 T1 N2|1:a|1:b\nL2 T1 N2|1:c|1:d\n");
    expect("no final line end", "a,b\nc", "L1 T1 N2|1:a|1:b\nL2 T0 N1|1:c\n");
    /* lines: 1 empty, 2 blanks, 3 x (CRLF), 4 empty (CR), 5 y (LF) */
    expect("blank lines, mixed ends", "\n  \t\nx\r\n\ry\n",
           "L3 T1 N1|1:x\nL5 T1 N1|1:y\n");
    expect("empty file", "", "");
    expect("blank lines only", "\n\r\n  \n", "");
}

static void test_bom(void)
{
    expect("BOM", "\xEF\xBB\xBFuser,x\n1,2\n",
           "L1 T1 N2|4:user|1:x\nL2 T1 N2|1:1|1:2\n");
    expect("BOM alone", "\xEF\xBB\xBF", "");
    expect("BOM later is data", "a\n\xEF\xBB\xBF" "b\n",
           "L1 T1 N1|1:a\nL2 T1 N1|4:\xEF\xBB\xBF" "b\n");
}

static void test_quoting(void)
{
    /* record 1 spans lines 1-4 (LF, CRLF and CR inside quotes); record 2
     * starts on line 5; line 6 is blank; record 3 on line 7 */
    expect("quoted fields",
           "\"x,y\",\"say \"\"hi\"\"\",\"l1\nl2\r\nl3\rl4\"\n"
           "next,\"\"\n\n\"a\nb\",c\n",
           "L1 T1 N3|3:x,y|8:say \"hi\"|12:l1\nl2\r\nl3\rl4\n"
           "L5 T1 N2|4:next|0:\n"
           "L7 T1 N2|3:a\nb|1:c\n");
    expect("quoted newline first, then an error line",
           "h\n\"a\n\nb\"\nz\"q\n",
           "L1 T1 N1|1:h\nL2 T1 N1|4:a\n\nb\n"
           "E1025 t.csv:5: malformed CSV: stray quote or text after a "
           "closing quote\n");
    expect_n("NUL inside a field", "a\0b,c\n", 6, ',',
             "L1 T1 N2|3:a\0b|1:c\n");
    expect_n("tab separator", "1\t2,3\t\"4\t5\"\n", 12, '\t',
             "L1 T1 N3|1:1|3:2,3|3:4\t5\n");
}

static void test_long_field(void)
{
    size_t n = 100 * 1024;
    char *big = malloc(n + 1), *text = malloc(2 * n + 64);
    char *want = malloc(2 * n + 128);
    memset(big, 'v', n);
    big[n] = '\0';
    big[n / 2] = ',';   /* inside quotes in the first record */
    sprintf(text, "k,\"%s\"\n", big);
    big[n / 2] = 'v';
    sprintf(text + strlen(text), "%s,end\n", big);
    big[n / 2] = ',';
    sprintf(want, "L1 T1 N2|1:k|%zu:%s\n", n, big);
    big[n / 2] = 'v';
    sprintf(want + strlen(want), "L2 T1 N2|%zu:%s|3:end\n", n, big);
    expect("100 KB fields, quoted and bare", text, want);
    free(big);
    free(text);
    free(want);
}

static void test_errors(void)
{
    expect("stray quote", "a,b\nc\"d,e\n",
           "L1 T1 N2|1:a|1:b\n"
           "E1025 t.csv:2: malformed CSV: stray quote or text after a "
           "closing quote\n");
    expect("text after closing quote", "\"a\"b\n",
           "E1025 t.csv:1: malformed CSV: stray quote or text after a "
           "closing quote\n");
    /* the open quote starts on line 3 (after a blank line 2) */
    expect("quote open at end of file", "a\n\n\"b,c\nd\n",
           "L1 T1 N1|1:a\n"
           "E1025 t.csv:3: malformed CSV: quoted field not closed at end "
           "of file\n");
    expect("quote open mid-record", "a\nx,\"b\r\nc",
           "L1 T1 N1|1:a\n"
           "E1025 t.csv:2: malformed CSV: quoted field not closed at end "
           "of file\n");

    /* after an error every call repeats it */
    const char *t = "\"a\"b\n";
    FILE *f = fmemopen((void *)t, strlen(t), "r");
    int rc;
    csvrec *r = csvrec_alloc(f, "t.csv", 0, ',', &rc);
    gsl_test_int(rc, PREF_OK, "csvrec_alloc (%s)", pref_last_error());
    const csvrec_record *rec = (const csvrec_record *)1;
    gsl_test_int(csvrec_next(r, &rec), PREF_EINPUT, "error: PREF_EINPUT");
    gsl_test(rec != NULL, "error: no record");
    gsl_test_int(csvrec_next(r, &rec), PREF_EINPUT, "error: repeated");
    gsl_test_int(csvrec_error(r, 7, "bad %s", "thing"), PREF_EINPUT,
                 "csvrec_error: PREF_EINPUT");
    gsl_test_str(pref_last_error(), "t.csv:7: bad thing",
                 "csvrec_error: NAME:LINE: message");
    gsl_test_int(csvrec_error(r, 0, "whole file"), PREF_EINPUT,
                 "csvrec_error without a line: PREF_EINPUT");
    gsl_test_str(pref_last_error(), "t.csv: whole file",
                 "csvrec_error: no line");
    gsl_test_str(csvrec_name(r), "t.csv", "csvrec_name");
    csvrec_free(r);
    csvrec_free(NULL);
    fclose(f);
}

int main(void)
{
    test_line_ends();
    test_bom();
    test_quoting();
    test_long_field();
    test_errors();
    exit(gsl_test_summary());
}
