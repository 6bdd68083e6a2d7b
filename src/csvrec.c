/* csvrec.c — the one CSV record reader (see csvrec.h).
 *
 * How it works. The stream is read in chunks; each chunk is cut into
 * physical lines (a piece ends just after an LF, a CR or a CRLF) and each
 * piece is handed to libcsv on its own. A record can only end at a line
 * end, so one piece completes at most one record, and csvrec_next returns
 * as soon as a piece completed one: the iterator never holds more than one
 * record. The line where a record starts is the line of the first piece,
 * fed while no record was open, that holds anything but blanks and the
 * line end (libcsv skips leading blanks and empty lines); a record stays
 * open until libcsv reports its end, so a quoted field running over
 * several lines keeps the line where it started. A CR followed by an LF
 * (even across a chunk boundary) counts as one line end.
 *
 * What it does not do: interpret fields, or treat a lone CR inside a
 * quoted field differently from one that ends a line (both count). */
#include "csvrec.h"

#include <csv.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "err.h"

/* Smallest growth step of libcsv's field buffer (see cr_feed). */
#define CSVREC_MIN_BLK ((size_t)1 << 16)

struct csvrec {
    FILE *f;
    const char *name;
    struct csv_parser p;
    char delim;

    /* input chunk: bytes [pos, end) not yet fed; cr is the first CR at or
     * after pos (or end) */
    char *in;
    size_t chunk, pos, end, cr;
    int started;        /* first chunk read (BOM handled) */
    int eof;            /* the stream is exhausted */
    int done;           /* csv_fini called: no more records */
    int status;         /* first error, repeated on every later call */

    /* lines */
    size_t line;        /* physical line being fed, 1-based */
    int last_cr;        /* the last piece ended with a CR */
    int open;           /* a record has started and not ended */
    size_t start;       /* line where the open record started */

    /* the record being built / returned */
    char *buf;
    size_t len, cap;
    size_t *off;
    size_t nf, ocap;
    int ready;
    csvrec_record rec;

    /* plain-line fast path: class of each byte (see cr_plain) */
    unsigned char cls[256];
};

/* Byte classes of the plain-line fast path; a line holding a CR_LIBCSV byte
 * (quote, CR, blank) goes through libcsv. */
enum { CR_ORD = 0, CR_DELIM = 1, CR_LF = 2, CR_LIBCSV = 3 };

static int cr_nomem(const csvrec *r)
{
    PREF_ERROR(PREF_ENOMEM, "%s: out of memory", r->name);
}

int csvrec_error(const csvrec *r, size_t line, const char *fmt, ...)
{
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line) PREF_ERROR(PREF_EINPUT, "%s:%zu: %s", r->name, line, msg);
    PREF_ERROR(PREF_EINPUT, "%s: %s", r->name, msg);
}

const char *csvrec_name(const csvrec *r) { return r->name; }

size_t csvrec_line(const csvrec *r) { return r->line; }

csvrec *csvrec_alloc(FILE *f, const char *name, size_t chunk, char delim,
                     int *err)
{
    csvrec *r = calloc(1, sizeof *r);
    if (!r) {
        *err = pref_set_error(PREF_ENOMEM, "%s: out of memory", name);
        return NULL;
    }
    r->f = f;
    r->name = name;
    r->delim = delim;
    r->chunk = chunk ? chunk : CSVREC_CHUNK;
    r->line = 1;
    /* 3 spare bytes: the first fill reads until it can see a BOM */
    r->in = r->chunk <= SIZE_MAX - 3 ? malloc(r->chunk + 3) : NULL;
    if (!r->in ||
        csv_init(&r->p, CSV_STRICT | CSV_APPEND_NULL | CSV_STRICT_FINI)) {
        free(r->in);
        free(r);
        *err = pref_set_error(PREF_ENOMEM, "%s: out of memory", name);
        return NULL;
    }
    csv_set_delim(&r->p, (unsigned char)delim);
    /* Bytes that libcsv treats specially (quote, CR, and the blanks it
     * trims from unquoted fields) send a line to libcsv. */
    r->cls['"'] = r->cls['\r'] = r->cls[' '] = r->cls['\t'] = CR_LIBCSV;
    r->cls['\n'] = CR_LF;
    r->cls[(unsigned char)delim] = CR_DELIM;
    *err = PREF_OK;
    return r;
}

void csvrec_free(csvrec *r)
{
    if (!r) return;
    csv_free(&r->p);
    free(r->in);
    free(r->buf);
    free(r->off);
    free(r);
}

/* Make room for at least n + 1 field offsets. PREF_OK or PREF_ENOMEM. */
static int cr_grow_off(csvrec *r, size_t n)
{
    if (n + 1 <= r->ocap) return PREF_OK;
    size_t cap = r->ocap ? 2 * r->ocap : 64;
    while (cap < n + 1) cap *= 2;
    size_t *o = cap < SIZE_MAX / sizeof *o
                    ? realloc(r->off, cap * sizeof *o) : NULL;
    if (!o) return cr_nomem(r);
    r->off = o;
    r->ocap = cap;
    return PREF_OK;
}

/* --- libcsv callbacks ------------------------------------------------------ */

static void cr_field(void *s, size_t len, void *data)
{
    csvrec *r = data;
    if (r->status) return;
    r->status = cr_grow_off(r, r->nf + 1);
    if (r->status) return;
    if (len >= SIZE_MAX / 2 - r->len) {
        r->status = cr_nomem(r);
        return;
    }
    if (r->len + len + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 1024;
        while (cap < r->len + len + 1) cap *= 2;
        char *b = realloc(r->buf, cap);
        if (!b) {
            r->status = cr_nomem(r);
            return;
        }
        r->buf = b;
        r->cap = cap;
    }
    r->off[r->nf] = r->len;
    if (len) memcpy(r->buf + r->len, s, len);
    r->len += len;
    r->buf[r->len++] = '\0';
    r->off[++r->nf] = r->len;
}

static void cr_record(int c, void *data)
{
    csvrec *r = data;
    r->open = 0;
    if (r->status || r->nf == 0) return;
    r->rec.nf = r->nf;
    r->rec.line = r->start;
    r->rec.terminated = c != -1;
    r->rec.buf = r->buf;
    r->rec.off = r->off;
    r->ready = 1;
}

/* 0x80 in each byte of w that equals the byte b of ones (b = c * 0x01..01),
 * 0 elsewhere (exact: no false positives). */
static inline uint64_t cr_eq(uint64_t w, uint64_t b)
{
    const uint64_t lo7 = 0x7F7F7F7F7F7F7F7FULL;
    uint64_t v = w ^ b;
    return ~(((v & lo7) + lo7) | v | lo7);
}

/* Offset of the first byte in s[i..k) that is the delimiter or a byte
 * libcsv treats specially (quote, CR, LF, space, tab), or k. Eight bytes
 * at a time. */
static size_t cr_scan(const csvrec *r, const char *s, size_t i, size_t k)
{
    const uint64_t one = 0x0101010101010101ULL;
    const uint64_t bd = one * (unsigned char)r->delim;
    for (; i + 8 <= k; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        uint64_t m = cr_eq(w, bd) | cr_eq(w, one * '"') |
                     cr_eq(w, one * '\r') | cr_eq(w, one * '\n') |
                     cr_eq(w, one * ' ') | cr_eq(w, one * '\t');
        if (m) {
            uint32_t x = 1;     /* byte order of the load */
            unsigned char little;
            memcpy(&little, &x, 1);
            return i + (size_t)(little ? __builtin_ctzll(m)
                                       : __builtin_clzll(m)) / 8;
        }
    }
    while (i < k && r->cls[(unsigned char)s[i]] == CR_ORD) i++;
    return i;
}

#if defined(__SSE2__)
/* Bit i set where s[i] (i < 16) is the delimiter (*dm) or a byte libcsv
 * treats specially (*sm: quote, CR, LF, space, tab). */
static inline void cr_masks16(const csvrec *r, const char *s, unsigned *dm,
                              unsigned *sm)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
    __m128i sp = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                     _mm_cmpeq_epi8(v, _mm_set1_epi8('\r'))),
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\n')),
                     _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')),
                                  _mm_cmpeq_epi8(v, _mm_set1_epi8('\t')))));
    __m128i de = _mm_cmpeq_epi8(v, _mm_set1_epi8(r->delim));
    *dm = (unsigned)_mm_movemask_epi8(de);
    *sm = (unsigned)_mm_movemask_epi8(_mm_andnot_si128(de, sp));
}
#endif

/* Cut the fields of the line at s (avail bytes) in place: each delimiter
 * becomes a NUL and off[] gets the field starts, up to the first LF,
 * whose offset is returned. Returns SIZE_MAX when the line holds another
 * special byte or has no LF within avail (delimiters already cut are put
 * back), or SIZE_MAX - 1 on an allocation failure (r->status set). */
static size_t cr_cut(csvrec *r, char *s, size_t avail, size_t *nf_out)
{
    size_t nf = 0, i = 0;
    if (r->ocap < 2 && (r->status = cr_grow_off(r, 1))) return SIZE_MAX - 1;
    r->off[nf++] = 0;
    for (;;) {
#if defined(__SSE2__)
        while (i + 16 <= avail) {   /* 16 bytes at a time */
            unsigned dm, sm;
            cr_masks16(r, s + i, &dm, &sm);
            unsigned stop = sm ? sm & -sm : 0;  /* first special */
            unsigned cut = stop ? dm & (stop - 1) : dm;
            if (nf + 18 > r->ocap && (r->status = cr_grow_off(r, nf + 17)))
                return SIZE_MAX - 1;
            for (; cut; cut &= cut - 1) {
                size_t j = i + (size_t)__builtin_ctz(cut);
                s[j] = '\0';
                r->off[nf++] = j + 1;
            }
            if (stop) {
                i += (size_t)__builtin_ctz(stop);
                break;
            }
            i += 16;
        }
#endif
        if (nf + 2 > r->ocap && (r->status = cr_grow_off(r, nf + 1)))
            return SIZE_MAX - 1;
        i = cr_scan(r, s, i, avail);
        if (i < avail && s[i] == '\n') break;
        if (i == avail || s[i] != r->delim) {   /* no LF, or special: undo */
            for (size_t j = 1; j < nf; j++) s[r->off[j] - 1] = r->delim;
            return SIZE_MAX;
        }
        s[i++] = '\0';
        r->off[nf++] = i;
    }
    *nf_out = nf;
    return i;
}

/* The fast path: when no record is open and the next line lies whole in
 * the chunk, ends with an LF and holds no byte libcsv treats specially
 * (quote, CR, space, tab), libcsv would return exactly its pieces between
 * delimiters. They are cut in place (each delimiter and the LF become the
 * NULs ending the fields), with no copy and no libcsv call. Returns 1 when
 * it produced the record, 0 when the line must go through libcsv (the
 * chunk restored), or -1 on an allocation failure (r->status set). */
static int cr_plain(csvrec *r)
{
    if (r->open || r->p.pstate != 0 || r->p.entry_pos != 0) return 0;
    char *s = r->in + r->pos;
    size_t avail = r->end - r->pos, nf = 0;
    if (avail == 0 || s[0] == '\n') return 0;
    size_t k = cr_cut(r, s, avail, &nf);
    if (k == SIZE_MAX) return 0;
    if (k == SIZE_MAX - 1) return -1;
    s[k] = '\0';
    r->off[nf] = k + 1;
    r->rec.nf = nf;
    r->rec.line = r->line;
    r->rec.terminated = 1;
    r->rec.buf = s;
    r->rec.off = r->off;
    r->ready = 1;
    r->line++;
    r->last_cr = 0;
    r->pos += k + 1;
    return 1;
}

/* --- feeding --------------------------------------------------------------- */

/* Read the next chunk into r->in. The first read goes on until it holds 3
 * bytes (or the stream ends) so a byte order mark split over tiny chunks is
 * still seen whole. */
static int cr_fill(csvrec *r)
{
    size_t got = 0, want = r->chunk;
    do {
        size_t k = fread(r->in + got, 1, want, r->f);
        got += k;
        if (k < want) {
            if (ferror(r->f)) {
                int e = errno;
                PREF_ERROR(PREF_EIO, "%s: read error: %s", r->name,
                           strerror(e));
            }
            r->eof = 1;
            break;
        }
    } while (!r->started && got < 3);
    r->pos = 0;
    r->end = got;
    if (!r->started) {
        r->started = 1;
        if (got >= 3 && memcmp(r->in, "\xEF\xBB\xBF", 3) == 0) r->pos = 3;
    }
    const char *c = memchr(r->in + r->pos, '\r', r->end - r->pos);
    r->cr = c ? (size_t)(c - r->in) : r->end;
    return PREF_OK;
}

/* 1 when s[0..k) holds anything libcsv does not skip before a record. */
static int cr_starts(const csvrec *r, const char *s, size_t k)
{
    for (size_t i = 0; i < k; i++) {
        char c = s[i];
        if (c == '\r' || c == '\n') return 0;
        if ((c != ' ' && c != '\t') || c == r->delim) return 1;
    }
    return 0;
}

/* Feed the next physical line (or the rest of the chunk) to libcsv. */
static void cr_feed(csvrec *r)
{
    const char *s = r->in + r->pos;
    size_t avail = r->end - r->pos;
    if (r->cr < r->pos) {
        const char *c = memchr(s, '\r', avail);
        r->cr = c ? (size_t)(c - r->in) : r->end;
    }
    const char *nl = memchr(s, '\n', r->cr < r->end ? r->cr - r->pos : avail);
    size_t k;
    if (nl) k = (size_t)(nl - s) + 1;
    else if (r->cr < r->end)    /* a CR, or a CRLF taken whole */
        k = r->cr - r->pos + 1 + (r->cr + 1 < r->end && s[r->cr - r->pos + 1]
                                  == '\n');
    else k = avail;
    if (!r->open) {
        r->start = r->line;
        r->open = cr_starts(r, s, k);
    }
    /* libcsv grows a field's buffer by blk_size bytes at a time (128 by
     * default): a field of n bytes cost O(n^2 / 128) in copies. Growing by
     * the buffer's current size makes it geometric, so any field is read in
     * linear time. */
    csv_set_blk_size(&r->p, r->p.entry_size > CSVREC_MIN_BLK ? r->p.entry_size
                                                              : CSVREC_MIN_BLK);
    if (csv_parse(&r->p, s, k, cr_field, cr_record, r) != k && !r->status) {
        int e = csv_error(&r->p);
        if (e == CSV_ENOMEM || e == CSV_ETOOBIG)
            r->status = cr_nomem(r);
        else
            r->status = csvrec_error(r, r->line, "malformed CSV: stray quote "
                                     "or text after a closing quote");
    }
    char last = s[k - 1];
    if (last == '\r' || (last == '\n' && !(k == 1 && r->last_cr))) r->line++;
    r->last_cr = last == '\r';
    r->pos += k;
}

/* End of input: let libcsv finish the last record. */
static void cr_finish(csvrec *r)
{
    r->done = 1;
    size_t start = r->start;
    if (csv_fini(&r->p, cr_field, cr_record, r) != 0 && !r->status)
        r->status = csvrec_error(r, start, "malformed CSV: quoted field not "
                                 "closed at end of file");
}

int csvrec_next(csvrec *r, const csvrec_record **rec)
{
    *rec = NULL;
    if (r->status) return r->status;
    r->nf = 0;
    r->len = 0;
    r->ready = 0;
    while (!r->done) {
        if (r->pos == r->end) {
            if (r->eof) {
                cr_finish(r);
                break;
            }
            r->status = cr_fill(r);
            if (r->status) return r->status;
            continue;
        }
        int plain = cr_plain(r);
        if (plain > 0) break;
        if (plain < 0) return r->status;
        cr_feed(r);
        if (r->status) return r->status;
        if (r->ready) break;
    }
    if (r->status) return r->status;
    if (r->ready) *rec = &r->rec;
    return PREF_OK;
}
