/* score_driver.c -- the generic host program nerva compiles together with one
 * generated model, so that a compiled model can be run on CSV files (for the
 * conformance tests and for users) and timed (bench) without writing any glue.
 *
 * Why it looks like this: a generated model is plain C with no nerva library,
 * and binds to a host only through the descriptors of runtime/nerva_model.h
 * (field names, types, offsets, score entry points).  This driver therefore
 * knows nothing about any particular model: it matches CSV columns to input
 * fields by name, fills the model's input struct through the descriptors, and
 * prints the output struct the same way.  It must build with nothing but
 * libc and libm under strict C99 (-std=c99 -pedantic -Werror), because nerva
 * writes it next to the generated code and compiles both with the user's cc.
 *
 *   cc -O2 -std=c99 -pedantic -Wall -Wextra -Werror -I<dir> model.c \
 *      score_driver.c -DNERVA_ENTRY=<symbol> -lm
 *
 * where <symbol> is the `const nerva_model` object model.c defines.
 *
 * Usage:
 *   driver score [--input FILE|-] [--output FILE|-] [--format csv|json]
 *                [--separator C] [--missing-values LIST] [--allow-missing-columns]
 *                [--on-error fail|skip|missing] [--copy-columns LIST]
 *   driver bench --input FILE [--json] [--min-seconds S]
 *
 * CSV is RFC 4180 (quoted cells, doubled quotes, CRLF or LF; the separator
 * may be another character).  The first row is the header.  An empty cell,
 * or one of the --missing-values (default NA and N/A, as JPMML reads them),
 * is a missing value; cells are never trimmed (except that numeric and
 * boolean text may carry surrounding blanks, as the reference evaluators'
 * number parsers accept them).  Output numbers use the shortest text that
 * reads back to the same value.  JSON lines: one object a line, keys the
 * field names, null a missing value.
 *
 * Nothing is guessed: a model input with no column, a duplicated column, a
 * record with the wrong number of cells, a line that is not a JSON object is
 * an error that names the line (or, with --on-error, a record skipped or
 * scored as missing, and counted on standard error).  Results scored before
 * an error are written out first.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nerva_model.h"

#ifndef NERVA_ENTRY
#error "compile with -DNERVA_ENTRY=<the nerva_model object of the generated model>"
#endif

extern const nerva_model NERVA_ENTRY;

#define MODEL (&(NERVA_ENTRY))

/* how records are read and written (score) */
enum { ON_ERROR_FAIL, ON_ERROR_SKIP, ON_ERROR_MISSING };
static struct {
    char sep;                 /* CSV cell separator */
    int json;                 /* JSON lines instead of CSV */
    const char **missing;     /* cells that mean missing, beside the empty one */
    int nmissing;
    int allow_missing_columns;
    int on_error;
    const char **copy;        /* input columns copied into the output */
    int ncopy;
} O = {',', 0, NULL, 0, 0, ON_ERROR_FAIL, NULL, 0};

/* ------------------------------------------------------------------ utils */

static void die_oom(void)
{
    fputs("driver: error: out of memory\n", stderr);
    exit(1);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die_oom();
    return p;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p;
    if (n == 0 || size == 0)
        n = size = 1;
    p = calloc(n, size);
    if (!p)
        die_oom();
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        die_oom();
    return p;
}

/* Whole input in memory: bench needs it anyway (csv_ns re-parses it), and it
   keeps the parser a simple scan over a buffer.  Returns NULL on failure. */
static char *read_all(const char *path, size_t *len_out)
{
    FILE *f;
    char *buf;
    size_t len = 0, cap = 65536, got;
    int is_stdin = strcmp(path, "-") == 0;

    f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: error: cannot open: %s\n", path, strerror(errno));
        return NULL;
    }
    buf = xmalloc(cap + 1);
    for (;;) {
        if (len == cap) {
            if (cap > ((size_t)-1) / 4)
                die_oom();
            cap *= 2;
            buf = xrealloc(buf, cap + 1);
        }
        got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        fprintf(stderr, "%s: error: read failed: %s\n",
                is_stdin ? "<stdin>" : path, strerror(errno));
        if (!is_stdin)
            fclose(f);
        free(buf);
        return NULL;
    }
    if (!is_stdin)
        fclose(f);
    buf[len] = '\0';
    *len_out = len;
    return buf;
}

/* ------------------------------------------------------------- CSV reader */

typedef struct csv_reader {
    const char *name; /* for messages */
    const char *p, *end;
    long line;        /* current physical line, 1-based */
    long rec_line;    /* line where the last record started */
    char *text;       /* unquoted cell texts, each NUL-terminated */
    size_t text_cap;
    size_t *off;      /* cell start offsets into text */
    size_t off_cap;
    const char **cells;
    size_t cells_cap;
    size_t n;         /* cells in the current record */
    char sep;         /* the cell separator */
} csv_reader;

static void csv_init(csv_reader *r, const char *name, const char *data, size_t len)
{
    memset(r, 0, sizeof *r);
    r->name = name;
    r->sep = O.sep;
    r->p = data;
    r->end = data + len;
    r->line = 1;
    /* a UTF-8 byte order mark is not part of the first header name */
    if (len >= 3 && (unsigned char)data[0] == 0xEF &&
        (unsigned char)data[1] == 0xBB && (unsigned char)data[2] == 0xBF)
        r->p += 3;
    r->text_cap = 256;
    r->text = xmalloc(r->text_cap);
    r->off_cap = 16;
    r->off = xmalloc(r->off_cap * sizeof *r->off);
    r->cells_cap = 16;
    r->cells = xmalloc(r->cells_cap * sizeof *r->cells);
}

static void csv_free(csv_reader *r)
{
    free(r->text);
    free(r->off);
    free(r->cells);
}

static void csv_error(const csv_reader *r, long line, const char *msg)
{
    fprintf(stderr, "%s:%ld: error: %s\n", r->name, line, msg);
}

#define CSV_PUT(r, used, ch)                                              \
    do {                                                                  \
        if ((used) == (r)->text_cap) {                                    \
            if ((r)->text_cap > ((size_t)-1) / 4)                         \
                die_oom();                                                \
            (r)->text_cap *= 2;                                           \
            (r)->text = xrealloc((r)->text, (r)->text_cap);               \
        }                                                                 \
        (r)->text[(used)++] = (char)(ch);                                 \
    } while (0)

/* Reads the next record into r->cells[0..r->n).  Returns 1 for a record, 0 at
   the end of input, -1 on malformed input (message already printed).  The
   cell pointers stay valid until the next call. */
static int csv_next(csv_reader *r)
{
    const char *p = r->p, *end = r->end;
    size_t used = 0, i;

    if (p >= end)
        return 0;
    r->rec_line = r->line;
    r->n = 0;
    for (;;) {
        if (r->n == r->off_cap) {
            r->off_cap *= 2;
            r->off = xrealloc(r->off, r->off_cap * sizeof *r->off);
        }
        r->off[r->n++] = used;
        if (p < end && *p == '"') {
            long qline = r->line;
            p++;
            for (;;) {
                char c;
                if (p >= end) {
                    csv_error(r, qline, "unterminated quoted cell");
                    return -1;
                }
                c = *p++;
                if (c == '"') {
                    if (p < end && *p == '"') {
                        p++;
                        CSV_PUT(r, used, '"');
                        continue;
                    }
                    break;
                }
                if (c == '\0') {
                    csv_error(r, r->line, "NUL byte in cell");
                    return -1;
                }
                if (c == '\n' || (c == '\r' && !(p < end && *p == '\n')))
                    r->line++;
                CSV_PUT(r, used, c);
            }
            if (p < end && *p != r->sep && *p != '\r' && *p != '\n') {
                csv_error(r, r->line, "unexpected text after closing quote");
                return -1;
            }
        } else {
            while (p < end && *p != r->sep && *p != '\r' && *p != '\n') {
                if (*p == '"') {
                    csv_error(r, r->line, "quote inside unquoted cell");
                    return -1;
                }
                if (*p == '\0') {
                    csv_error(r, r->line, "NUL byte in cell");
                    return -1;
                }
                CSV_PUT(r, used, *p);
                p++;
            }
        }
        CSV_PUT(r, used, '\0');
        if (p >= end)
            break;
        if (*p == r->sep) {
            p++;
            continue;
        }
        if (*p == '\r') {
            p++;
            if (p < end && *p == '\n')
                p++;
        } else {
            p++;
        }
        r->line++;
        break;
    }
    r->p = p;
    if (r->n > r->cells_cap) {
        while (r->cells_cap < r->n)
            r->cells_cap *= 2;
        r->cells = xrealloc(r->cells, r->cells_cap * sizeof *r->cells);
    }
    for (i = 0; i < r->n; i++)
        r->cells[i] = r->text + r->off[i];
    return 1;
}

/* ------------------------------------------------------ JSON lines reader */

/* One JSON object a line; the values of the keys asked for (names[]) become
   cells: their text (a string decoded to UTF-8, a number as written, true or
   false), NULL for null or an absent key (present[] tells which), raw[] the
   value's JSON text (for copying it into the output). */
typedef struct json_reader {
    const char *name;
    const char *p, *end;
    long line;
    const char *const *names;
    size_t nnames;
    const char **cells;
    const char **raw;
    unsigned char *present;
    char *text;        /* decoded texts */
    size_t text_cap, used;
    size_t *off, *roff;
    const char *err;   /* what is wrong with the last line */
} json_reader;

static void json_init(json_reader *j, const char *name, const char *data, size_t len, const char *const *names,
                      size_t nnames)
{
    memset(j, 0, sizeof *j);
    j->name = name;
    j->p = data;
    j->end = data + len;
    j->names = names;
    j->nnames = nnames;
    j->cells = xcalloc(nnames + 1, sizeof *j->cells);
    j->raw = xcalloc(nnames + 1, sizeof *j->raw);
    j->present = xcalloc(nnames + 1, 1);
    j->off = xcalloc(nnames + 1, sizeof *j->off);
    j->roff = xcalloc(nnames + 1, sizeof *j->roff);
    j->text_cap = 256;
    j->text = xmalloc(j->text_cap);
}

static void json_free(json_reader *j)
{
    free(j->cells);
    free(j->raw);
    free(j->present);
    free(j->off);
    free(j->roff);
    free(j->text);
}

static void jput(json_reader *j, const char *b, size_t n)
{
    while (j->used + n + 1 > j->text_cap) {
        if (j->text_cap > ((size_t)-1) / 4)
            die_oom();
        j->text_cap *= 2;
        j->text = xrealloc(j->text, j->text_cap);
    }
    memcpy(j->text + j->used, b, n);
    j->used += n;
}

static const char *jws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\r'))
        p++;
    return p;
}

static int hex4(const char *p, const char *e, unsigned *v)
{
    int i;
    *v = 0;
    if (e - p < 4)
        return 0;
    for (i = 0; i < 4; i++) {
        char c = p[i];
        *v = *v * 16 + (unsigned)(c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                  : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 99);
        if (*v > 0xFFFFu)
            return 0;
    }
    return 1;
}

/* the length of the valid UTF-8 sequence at p (no overlongs, no surrogates,
   nothing past U+10FFFF), or 0 */
static int utf8_len(const unsigned char *p, const unsigned char *e)
{
    unsigned c = p[0];
    int n = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    int i;
    if (!n || e - p < n)
        return 0;
    for (i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0) || (c == 0xF0 && p[1] < 0x90) ||
        (c == 0xF4 && p[1] >= 0x90))
        return 0;
    return n;
}

static void put_utf8(json_reader *j, unsigned cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    jput(j, b, n);
}

/* a JSON string at p (after its quote) decoded into the text; returns the
   end, or NULL (j->err says why) */
static const char *jstring(json_reader *j, const char *p, const char *e)
{
    while (p < e && *p != '"') {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20) {
            j->err = "a control character in a string (escape it)";
            return NULL;
        }
        if (c == '\\') {
            unsigned cp, lo;
            if (++p >= e) {
                j->err = "an unterminated string";
                return NULL;
            }
            switch (*p) {
            case '"': case '\\': case '/': jput(j, p, 1); p++; continue;
            case 'b': jput(j, "\b", 1); p++; continue;
            case 'f': jput(j, "\f", 1); p++; continue;
            case 'n': jput(j, "\n", 1); p++; continue;
            case 'r': jput(j, "\r", 1); p++; continue;
            case 't': jput(j, "\t", 1); p++; continue;
            case 'u':
                if (!hex4(p + 1, e, &cp)) {
                    j->err = "a bad \\u escape";
                    return NULL;
                }
                p += 5;
                if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    j->err = "a lone low surrogate in a \\u escape";
                    return NULL;
                }
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    if (e - p < 6 || p[0] != '\\' || p[1] != 'u' || !hex4(p + 2, e, &lo) || lo < 0xDC00 ||
                        lo > 0xDFFF) {
                        j->err = "a lone high surrogate in a \\u escape";
                        return NULL;
                    }
                    p += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                }
                if (cp == 0) {
                    j->err = "a NUL character (\\u0000) in a string";
                    return NULL;
                }
                put_utf8(j, cp);
                continue;
            default:
                j->err = "an unknown escape in a string";
                return NULL;
            }
        }
        {
            int n = utf8_len((const unsigned char *)p, (const unsigned char *)e);
            if (!n) {
                j->err = "invalid UTF-8 in a string";
                return NULL;
            }
            jput(j, p, (size_t)n);
            p += n;
        }
    }
    if (p >= e) {
        j->err = "an unterminated string";
        return NULL;
    }
    return p + 1;
}

/* the end of a JSON value other than a string at p, skipped (nested values
   are balanced, their strings checked), or NULL */
static const char *jskip(json_reader *j, const char *p, const char *e, int *kind)
{
    int depth = 0;
    const char *b = p;
    size_t keep = j->used;
    *kind = 0;
    if (p < e && (*p == '{' || *p == '[')) {
        *kind = 1;
        do {
            if (*p == '"') {
                p = jstring(j, p + 1, e);
                if (!p)
                    return NULL;
                continue;
            }
            if (*p == '{' || *p == '[')
                depth++;
            else if (*p == '}' || *p == ']')
                depth--;
            p++;
        } while (p < e && depth > 0);
        j->used = keep;
        if (depth) {
            j->err = "an unterminated object or array";
            return NULL;
        }
        return p;
    }
    if (e - p >= 4 && !memcmp(p, "true", 4))
        return *kind = 2, p + 4;
    if (e - p >= 5 && !memcmp(p, "false", 5))
        return *kind = 2, p + 5;
    if (e - p >= 4 && !memcmp(p, "null", 4))
        return *kind = 3, p + 4;
    /* a number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
    if (p < e && *p == '-')
        p++;
    if (p < e && *p == '0')
        p++;
    else if (p < e && *p >= '1' && *p <= '9')
        while (p < e && *p >= '0' && *p <= '9')
            p++;
    else
        p = b;
    if (p > b && p < e && *p == '.') {
        const char *d = ++p;
        while (p < e && *p >= '0' && *p <= '9')
            p++;
        if (p == d)
            p = b;
    }
    if (p > b && p < e && (*p == 'e' || *p == 'E')) {
        const char *d;
        p++;
        if (p < e && (*p == '+' || *p == '-'))
            p++;
        d = p;
        while (p < e && *p >= '0' && *p <= '9')
            p++;
        if (p == d)
            p = b;
    }
    if (p == b) {
        j->err = "not a JSON value";
        return NULL;
    }
    *kind = 4;
    return p;
}

/* Reads the next non-blank line's object.  Returns 1 for a record, 0 at the
   end, -1 for a line that is not a JSON object as asked (j->err says why;
   the reader moves past it). */
static int json_next(json_reader *j)
{
    const char *p, *e, *nl;
    size_t i;
    for (;;) {
        if (j->p >= j->end)
            return 0;
        nl = memchr(j->p, '\n', (size_t)(j->end - j->p));
        e = nl ? nl : j->end;
        p = jws(j->p, e);
        j->line++;
        j->p = nl ? nl + 1 : j->end;
        if (p < e)
            break;
    }
    j->used = 0;
    j->err = NULL;
    memset(j->present, 0, j->nnames);
    for (i = 0; i < j->nnames; i++)
        j->cells[i] = j->raw[i] = NULL;
    if (*p != '{') {
        j->err = "a record must be a JSON object";
        return -1;
    }
    p = jws(p + 1, e);
    if (p < e && *p == '}')
        p++;
    else
        for (;;) {
            size_t kb, k;
            const char *vb, *ve;
            int kind, slot = -1;
            if (p >= e || *p != '"') {
                j->err = "expected a key in quotes";
                return -1;
            }
            kb = j->used;
            p = jstring(j, p + 1, e);
            if (!p)
                return -1;
            jput(j, "", 1);
            for (k = 0; k < j->nnames; k++)
                if (strcmp(j->text + kb, j->names[k]) == 0)
                    slot = (int)k;
            j->used = kb; /* the key is not kept */
            p = jws(p, e);
            if (p >= e || *p != ':') {
                j->err = "expected ':' after a key";
                return -1;
            }
            vb = p = jws(p + 1, e);
            if (slot >= 0 && j->present[slot]) {
                j->err = "a key appears twice";
                return -1;
            }
            if (p < e && *p == '"') {
                size_t tb = j->used;
                ve = jstring(j, p + 1, e);
                if (!ve)
                    return -1;
                jput(j, "", 1);
                if (slot >= 0) {
                    j->off[slot] = tb;
                    j->present[slot] = 2; /* a value with text */
                } else
                    j->used = tb;
            } else {
                ve = jskip(j, p, e, &kind);
                if (!ve)
                    return -1;
                if (slot >= 0) {
                    if (kind == 1) {
                        j->err = "an object or array where a model input's value goes";
                        return -1;
                    }
                    j->present[slot] = kind == 3 ? 1 : 2;
                    j->off[slot] = j->used;
                    jput(j, vb, (size_t)(ve - vb));
                    jput(j, "", 1);
                }
            }
            if (slot >= 0) {
                j->roff[slot] = j->used;
                jput(j, vb, (size_t)(ve - vb));
                jput(j, "", 1);
            }
            p = jws(ve, e);
            if (p < e && *p == ',') {
                p = jws(p + 1, e);
                continue;
            }
            if (p < e && *p == '}') {
                p++;
                break;
            }
            j->err = "expected ',' or '}'";
            return -1;
        }
    if (jws(p, e) != e) {
        j->err = "text after the object";
        return -1;
    }
    for (i = 0; i < j->nnames; i++) {
        j->cells[i] = j->present[i] == 2 ? j->text + j->off[i] : NULL;
        j->raw[i] = j->present[i] ? j->text + j->roff[i] : NULL;
    }
    return 1;
}

/* -------------------------------------------------- binding and parsing */

/* Levenshtein distance, case-blind, for "did you mean" (names of at most 64
   bytes; nerva's compiler has the same rule for its own hints) */
static int edit_distance(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b), i, j;
    int row[65];
    if (na > 64 || nb > 64)
        return 1000;
    for (j = 0; j <= nb; j++)
        row[j] = (int)j;
    for (i = 1; i <= na; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (j = 1; j <= nb; j++) {
            int up = row[j], best;
            char x = a[i - 1], y = b[j - 1];
            if (x >= 'A' && x <= 'Z')
                x = (char)(x + 32);
            if (y >= 'A' && y <= 'Z')
                y = (char)(y + 32);
            best = diag + (x != y);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[nb];
}

/* the header cell closest to name, when it looks like a slip, or NULL */
static const char *closest_column(const csv_reader *r, const char *name)
{
    size_t c, len = strlen(name);
    int limit = len <= 2 ? 0 : len <= 5 ? 1 : len <= 10 ? 2 : 3, best = 1000;
    const char *hit = NULL;
    for (c = 0; c < r->n; c++) {
        int d = edit_distance(name, r->cells[c]);
        if (d < best && strcmp(name, r->cells[c]) != 0) {
            best = d;
            hit = r->cells[c];
        }
    }
    return best <= limit ? hit : NULL;
}

static int find_column(const csv_reader *r, const char *name, int *dup)
{
    size_t c;
    int at = -1;
    *dup = -1;
    for (c = 0; c < r->n; c++)
        if (strcmp(r->cells[c], name) == 0) {
            if (at < 0)
                at = (int)c;
            else if (*dup < 0)
                *dup = (int)c;
        }
    return at;
}

/* The column of each model input (-1: none, which --allow-missing-columns
   allows) and of each column to copy (copy_col), from the header row; NULL
   after saying what is wrong with it. */
static int *bind_header(const csv_reader *r, int **copy_col)
{
    const nerva_model *m = MODEL;
    int *col = xmalloc((size_t)(m->n_inputs > 0 ? m->n_inputs : 1) * sizeof *col);
    int i, bad = 0, missing = 0, dup;
    *copy_col = xmalloc((size_t)(O.ncopy > 0 ? O.ncopy : 1) * sizeof **copy_col);
    for (i = 0; i < m->n_inputs; i++) {
        const char *name = m->inputs[i].name;
        col[i] = find_column(r, name, &dup);
        if (dup >= 0) {
            fprintf(stderr, "%s:1: error: column '%s' appears twice (columns %d and %d)\n", r->name, name,
                    col[i] + 1, dup + 1);
            bad = 1;
        }
        if (col[i] < 0 && !O.allow_missing_columns) {
            const char *hint = closest_column(r, name);
            fprintf(stderr, "%s:1: error: no column for the model's input field '%s'%s%s%s\n", r->name, name,
                    hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
            bad = missing = 1;
        }
    }
    for (i = 0; i < O.ncopy; i++) {
        (*copy_col)[i] = find_column(r, O.copy[i], &dup);
        if ((*copy_col)[i] < 0) {
            const char *hint = closest_column(r, O.copy[i]);
            fprintf(stderr, "%s:1: error: no column '%s' to copy%s%s%s\n", r->name, O.copy[i],
                    hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
            bad = 1;
        }
    }
    if (missing && r->n == 1) {
        /* one column that holds separators: the file is not separated by O.sep */
        const char *seps = ";\t|,", *q;
        for (q = seps; *q; q++)
            if (*q != O.sep && strchr(r->cells[0], *q)) {
                fprintf(stderr, "%s:1: note: the header is one column; are the cells separated by '%s'? "
                                "(--separator '%s')\n", r->name, *q == '\t' ? "\\t" : (char[]){*q, 0},
                        *q == '\t' ? "\\t" : (char[]){*q, 0});
                break;
            }
    }
    if (missing)
        fprintf(stderr, "%s:1: note: --allow-missing-columns scores an input with no column as missing\n",
                r->name);
    if (bad) {
        free(col);
        free(*copy_col);
        *copy_col = NULL;
        return NULL;
    }
    return col;
}

/* whether a cell means "missing": empty, or one of --missing-values */
static int is_missing_cell(const char *cell)
{
    int i;
    if (!cell)
        return 1; /* JSON null, or no such key */
    if (O.json)
        return 0; /* in JSON only null is missing: "" and "NA" are strings */
    if (!cell[0])
        return 1;
    for (i = 0; i < O.nmissing; i++)
        if (strcmp(cell, O.missing[i]) == 0)
            return 1;
    return 0;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* The cell with surrounding blanks removed, in [*b, *e); 0 if nothing left. */
static int span(const char *s, const char **b, const char **e)
{
    const char *t = s + strlen(s);
    while (*s && is_blank(*s))
        s++;
    while (t > s && is_blank(t[-1]))
        t--;
    *b = s;
    *e = t;
    return t > s;
}

/* strtod/strtof accept hexadecimal floats; PMML numbers are decimal only */
static int has_hex(const char *b, const char *e)
{
    for (; b < e; b++)
        if (*b == 'x' || *b == 'X')
            return 1;
    return 0;
}

/* strtod needs a terminated string; the trimmed span is copied when the cell
   has trailing blanks (rare), otherwise parsed in place. */
static int parse_double(const char *cell, double *out)
{
    const char *b, *e;
    char *stop, small[64], *tmp = NULL;
    const char *s;
    double v;
    size_t len;

    if (!span(cell, &b, &e) || has_hex(b, e))
        return 0;
    len = (size_t)(e - b);
    if (*e == '\0') {
        s = b;
    } else if (len < sizeof small) {
        memcpy(small, b, len);
        small[len] = '\0';
        s = small;
    } else {
        tmp = xmalloc(len + 1);
        memcpy(tmp, b, len);
        tmp[len] = '\0';
        s = tmp;
    }
    v = strtod(s, &stop);
    len = (size_t)(stop - s);
    if (stop == s || s[len] != '\0') {
        free(tmp);
        return 0;
    }
    free(tmp);
    *out = v;
    return 1;
}

static int parse_float(const char *cell, float *out)
{
    const char *b, *e;
    char *stop, small[64], *tmp = NULL;
    const char *s;
    float v;
    size_t len;

    if (!span(cell, &b, &e) || has_hex(b, e))
        return 0;
    len = (size_t)(e - b);
    if (*e == '\0') {
        s = b;
    } else if (len < sizeof small) {
        memcpy(small, b, len);
        small[len] = '\0';
        s = small;
    } else {
        tmp = xmalloc(len + 1);
        memcpy(tmp, b, len);
        tmp[len] = '\0';
        s = tmp;
    }
    v = strtof(s, &stop);
    if (stop == s || *stop != '\0') {
        free(tmp);
        return 0;
    }
    free(tmp);
    *out = v;
    return 1;
}

static int parse_long(const char *cell, long long *out)
{
    const char *b, *e;
    char *stop;
    long long v;
    double d;

    if (!span(cell, &b, &e) || has_hex(b, e))
        return 0;
    errno = 0;
    v = strtoll(b, &stop, 10);
    if (stop == e && stop != b && errno == 0) {
        *out = v;
        return 1;
    }
    /* "3.0", "1e3": integral decimals */
    if (!parse_double(cell, &d))
        return 0;
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || d != floor(d))
        return 0;
    *out = (long long)d;
    return 1;
}

static int lower_eq(const char *b, const char *e, const char *word)
{
    for (; b < e && *word; b++, word++) {
        char c = *b;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != *word)
            return 0;
    }
    return b == e && *word == '\0';
}

static int parse_bool(const char *cell, int *out)
{
    const char *b, *e;
    if (!span(cell, &b, &e))
        return 0;
    if (lower_eq(b, e, "true") || lower_eq(b, e, "1")) {
        *out = 1;
        return 1;
    }
    if (lower_eq(b, e, "false") || lower_eq(b, e, "0")) {
        *out = 0;
        return 1;
    }
    return 0;
}

/* Strings that must outlive the reader's per-record buffer (bench keeps all
   records): copied into fixed chunks that never move. */
typedef struct arena_chunk {
    struct arena_chunk *next;
    size_t used, cap;
    char data[1];
} arena_chunk;

typedef struct arena {
    arena_chunk *head;
} arena;

/* n bytes, aligned for any pointer or number */
static void *arena_mem(arena *a, size_t n)
{
    arena_chunk *c = a->head;
    char *d;
    size_t at = c ? (c->used + 15) / 16 * 16 : 0;
    if (!c || at > c->cap || c->cap - at < n) {
        size_t cap = n + 16 > 65536 ? n + 16 : 65536;
        c = xmalloc(offsetof(arena_chunk, data) + cap);
        c->next = a->head;
        c->used = 0;
        c->cap = cap;
        a->head = c;
        at = (size_t)((16 - (uintptr_t)c->data % 16) % 16);
    }
    d = c->data + at;
    c->used = at + n;
    return d;
}

static const char *arena_strdup(arena *a, const char *s)
{
    size_t len = strlen(s) + 1;
    char *d = arena_mem(a, len);
    memcpy(d, s, len);
    return d;
}

static void arena_free(arena *a)
{
    while (a->head) {
        arena_chunk *n = a->head->next;
        free(a->head);
        a->head = n;
    }
}

/* Fills a zeroed input struct from one CSV record.  Strings point into the
   reader's buffer, or into `strings` when it is given. */
static void fill_input(const char *const *cells, size_t ncells, const int *col, char *in, arena *strings)
{
    const nerva_model *m = MODEL;
    int i;
    for (i = 0; i < m->n_inputs; i++) {
        const nerva_field *f = &m->inputs[i];
        unsigned char *state = (unsigned char *)(in + f->state_offset);
        char *v = in + f->offset;
        const char *cell;
        int ok = 1;

        if (f->type == NERVA_STRINGS)
            continue; /* a set of items: the grouper fills it */
        if (col[i] < 0 || (size_t)col[i] >= ncells || is_missing_cell(cells[col[i]])) {
            *state = NERVA_MISSING;
            continue;
        }
        cell = cells[col[i]];
        switch (f->type) {
        case NERVA_DOUBLE: {
            double d;
            if ((ok = parse_double(cell, &d)) != 0)
                memcpy(v, &d, sizeof d);
            break;
        }
        case NERVA_FLOAT: {
            float x;
            if ((ok = parse_float(cell, &x)) != 0)
                memcpy(v, &x, sizeof x);
            break;
        }
        case NERVA_LONG: {
            long long l;
            if ((ok = parse_long(cell, &l)) != 0)
                memcpy(v, &l, sizeof l);
            break;
        }
        case NERVA_BOOL: {
            int b;
            if ((ok = parse_bool(cell, &b)) != 0)
                memcpy(v, &b, sizeof b);
            break;
        }
        case NERVA_STRING: {
            const char *s = strings ? arena_strdup(strings, cell) : cell;
            memcpy(v, &s, sizeof s);
            break;
        }
        case NERVA_DATE:
        case NERVA_TIME:
        case NERVA_DATETIME:
            /* ISO 8601 text, read by the model itself */
            ok = m->read_text && m->read_text(in, i, cell) == NERVA_PRESENT;
            break;
        default:
            ok = 0;
            break;
        }
        *state = (unsigned char)(ok ? NERVA_PRESENT : NERVA_INVALID);
    }
}

/* ---------------------------------------------------------- sets of items */

/* A model with a set-of-items input (NERVA_STRINGS: an association model's
   items, one item a row in the data) reads consecutive rows whose other
   input cells are equal as one record; the set holds the set column's cells
   of those rows (missing cells left out, an empty set when none is left).
   The row after a record is read ahead and held for the next one. */
typedef struct grouper {
    int set;                 /* the set input, -1 when the model has none */
    arena cur, next;         /* the record's strings; the row held */
    const char **first;      /* the record's first row (copies) */
    const char **held;       /* the row read ahead, NULL: none */
    long line, held_line;
    size_t ncells;           /* the held row's cells */
    const char **items;      /* the set, NULL-terminated */
    size_t nitems, cap;
} grouper;

static void grouper_init(grouper *g)
{
    const nerva_model *m = MODEL;
    int i;
    memset(g, 0, sizeof *g);
    g->set = -1;
    for (i = 0; i < m->n_inputs; i++)
        if (m->inputs[i].type == NERVA_STRINGS)
            g->set = i;
}

static void grouper_free(grouper *g)
{
    arena_free(&g->cur);
    arena_free(&g->next);
    free(g->items);
}

static const char **copy_row(arena *a, const char *const *cells, size_t n)
{
    const char **row = arena_mem(a, (n ? n : 1) * sizeof *row);
    size_t k;
    for (k = 0; k < n; k++)
        row[k] = arena_strdup(a, cells[k]);
    return row;
}

static void add_item(grouper *g, const char *cell)
{
    if (g->nitems + 2 > g->cap) {
        g->cap = g->cap ? 2 * g->cap : 16;
        g->items = xrealloc(g->items, g->cap * sizeof *g->items);
    }
    if (!is_missing_cell(cell))
        g->items[g->nitems++] = arena_strdup(&g->cur, cell);
    g->items[g->nitems] = NULL;
}

/* whether row has the record's cells in every input column but the set's */
static int same_record(const grouper *g, const int *col, const char *const *row)
{
    const nerva_model *m = MODEL;
    int i;
    for (i = 0; i < m->n_inputs; i++) {
        const char *a, *b;
        if (i == g->set || col[i] < 0)
            continue;
        a = g->first[col[i]];
        b = row[col[i]];
        if (is_missing_cell(a) != is_missing_cell(b) || (!is_missing_cell(a) && strcmp(a, b) != 0))
            return 0;
    }
    return 1;
}

/* The next record's rows: 1 (g->first, g->items, g->line), 0 at the end,
   -1 malformed CSV (the reader said where), -2 a row whose cell count is
   not the header's (what says it, *line where; the next call goes on after
   it). */
static int group_next(csv_reader *r, grouper *g, const int *col, size_t header_n, long *line, char *what,
                      size_t wn)
{
    arena t;
    int rc;
    size_t n;
    arena_free(&g->cur);
    t = g->cur;
    g->cur = g->next;
    g->next = t;
    g->nitems = 0;
    add_item(g, "");
    if (g->held) {
        g->first = g->held;
        g->line = g->held_line;
        n = g->ncells;
        g->held = NULL;
    } else {
        rc = csv_next(r);
        if (rc <= 0)
            return rc;
        g->first = copy_row(&g->cur, (const char *const *)r->cells, r->n);
        g->line = r->rec_line;
        n = r->n;
    }
    *line = g->line;
    if (n != header_n) {
        snprintf(what, wn, "%lu cells where the header has %lu", (unsigned long)n, (unsigned long)header_n);
        return -2;
    }
    if (col[g->set] >= 0)
        add_item(g, g->first[col[g->set]]);
    for (;;) {
        rc = csv_next(r);
        if (rc < 0)
            return -1;
        if (rc == 0)
            break;
        if (r->n != header_n || !same_record(g, col, (const char *const *)r->cells)) {
            /* the next record's first row */
            g->held = copy_row(&g->next, (const char *const *)r->cells, r->n);
            g->held_line = r->rec_line;
            g->ncells = r->n;
            break;
        }
        if (col[g->set] >= 0)
            add_item(g, r->cells[col[g->set]]);
    }
    return 1;
}

/* the record's set into its input field (present, maybe empty); in `keep`
   when the record must outlive the grouper (bench) */
static void fill_set(const grouper *g, char *in, arena *keep)
{
    const nerva_field *f = &MODEL->inputs[g->set];
    const char *const *items = g->items;
    if (keep) {
        const char **copy = arena_mem(keep, (g->nitems + 1) * sizeof *copy);
        size_t k;
        for (k = 0; k < g->nitems; k++)
            copy[k] = arena_strdup(keep, g->items[k]);
        copy[g->nitems] = NULL;
        items = copy;
    }
    memcpy(in + f->offset, &items, sizeof items);
    in[f->state_offset] = NERVA_PRESENT;
}

/* ------------------------------------------------------------- CSV writer */

/* RFC 4180: quoted when it holds the separator, a quote or a line break */
static void put_cell(FILE *out, const char *s)
{
    const char *q;
    int quote = 0;
    for (q = s; *q && !quote; q++)
        quote = *q == O.sep || *q == '"' || *q == '\r' || *q == '\n';
    if (!quote) {
        fputs(s, out);
        return;
    }
    putc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            putc('"', out);
        putc(*s, out);
    }
    putc('"', out);
}

/* a JSON string: quotes, backslashes and control characters escaped (the
   bytes are UTF-8 as they came) */
static void put_json_str(FILE *out, const char *s)
{
    putc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            putc('\\', out);
            putc(c, out);
        } else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            putc(c, out);
    }
    putc('"', out);
}

/* Java's spelling of non-finite values, which the reference results use */
static int format_nonfinite(double d, char *buf, size_t size)
{
    if (d != d) {
        snprintf(buf, size, "NaN");
        return 1;
    }
    if (d == HUGE_VAL || d == -HUGE_VAL) {
        snprintf(buf, size, d > 0 ? "Infinity" : "-Infinity");
        return 1;
    }
    return 0;
}

/* "%.{p}g", but positional where that takes at most 17 digits: 140, not
   1.4e+02 (more digits than p never change the value read back) */
static void write_g(char *buf, size_t size, int p, double d)
{
    char t[64];
    const char *x;
    int e;
    snprintf(t, sizeof t, "%.*e", p - 1, d);
    x = strchr(t, 'e');
    e = x ? atoi(x + 1) : 0;
    if (e >= p && e < 17)
        p = e + 1;
    snprintf(buf, size, "%.*g", p, d);
}

/* The shortest "%.{p}g" that reads back to the same value.  Round-tripping is
   monotonic in p (the nearest p-digit decimal is never closer than the
   nearest (p+1)-digit one), so a binary search finds the least p in about
   four tries instead of up to 17. */
static void format_double(double d, char *buf, size_t size)
{
    int lo = 1, hi = 17;
    if (format_nonfinite(d, buf, size))
        return;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        snprintf(buf, size, "%.*g", mid, d);
        if (strtod(buf, NULL) == d)
            hi = mid;
        else
            lo = mid + 1;
    }
    write_g(buf, size, lo, d);
}

static void format_float(float x, char *buf, size_t size)
{
    int lo = 1, hi = 9;
    if (format_nonfinite((double)x, buf, size))
        return;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        snprintf(buf, size, "%.*g", mid, (double)x);
        if (strtof(buf, NULL) == x)
            hi = mid;
        else
            lo = mid + 1;
    }
    write_g(buf, size, lo, (double)x);
}

static void write_header(FILE *out)
{
    const nerva_model *m = MODEL;
    int i;
    if (O.json)
        return;
    for (i = 0; i < O.ncopy; i++) {
        if (i)
            putc(O.sep, out);
        put_cell(out, O.copy[i]);
    }
    for (i = 0; i < m->n_outputs; i++) {
        if (i || O.ncopy)
            putc(O.sep, out);
        put_cell(out, m->outputs[i].name);
    }
    putc('\n', out);
}

/* one output value as text: NULL when it is missing; *quoted says whether
   JSON needs it quoted (a string; non-finite numbers as "NaN", "Infinity") */
static const char *value_text(const nerva_field *f, const char *o, char *buf, size_t size, int *quoted)
{
    const char *v = o + f->offset;
    *quoted = 0;
    if ((unsigned char)o[f->state_offset] == NERVA_MISSING)
        return NULL;
    switch (f->type) {
    case NERVA_DOUBLE: {
        double d;
        memcpy(&d, v, sizeof d);
        format_double(d, buf, size);
        *quoted = !(d - d == 0);
        return buf;
    }
    case NERVA_FLOAT: {
        float x;
        memcpy(&x, v, sizeof x);
        format_float(x, buf, size);
        *quoted = !(x - x == 0);
        return buf;
    }
    case NERVA_LONG: {
        long long l;
        memcpy(&l, v, sizeof l);
        snprintf(buf, size, "%lld", l);
        return buf;
    }
    case NERVA_BOOL: {
        int b;
        memcpy(&b, v, sizeof b);
        return b ? "true" : "false";
    }
    case NERVA_STRING: {
        const char *str;
        memcpy(&str, v, sizeof str);
        *quoted = 1;
        return str;
    }
    case NERVA_DATE:
    case NERVA_TIME:
    case NERVA_DATETIME: {
        int i = (int)(f - MODEL->outputs);
        *quoted = 1;
        return MODEL->write_text && MODEL->write_text(o, i, buf, size) >= 0 ? buf : NULL;
    }
    default:
        return NULL;
    }
}

/* One result: the copied cells (copy[i], NULL when missing; in JSON, their
   value as read), then the outputs, empty (CSV) or null (JSON) where the
   status is not NERVA_OK or the value is missing. */
static void write_record(FILE *out, const char *o, int status, const char *const *copy)
{
    const nerva_model *m = MODEL;
    char buf[512]; /* "%.17g" needs 25; gcc assumes up to 311 */
    int i, quoted;
    if (O.json) {
        putc('{', out);
        for (i = 0; i < O.ncopy; i++) {
            if (i)
                putc(',', out);
            put_json_str(out, O.copy[i]);
            putc(':', out);
            fputs(copy[i] ? copy[i] : "null", out);
        }
        for (i = 0; i < m->n_outputs; i++) {
            const char *t = status == NERVA_OK ? value_text(&m->outputs[i], o, buf, sizeof buf, &quoted) : NULL;
            if (i || O.ncopy)
                putc(',', out);
            put_json_str(out, m->outputs[i].name);
            putc(':', out);
            if (!t)
                fputs("null", out);
            else if (quoted)
                put_json_str(out, t);
            else
                fputs(t, out);
        }
        fputs("}\n", out);
        return;
    }
    for (i = 0; i < O.ncopy; i++) {
        if (i)
            putc(O.sep, out);
        if (copy[i])
            put_cell(out, copy[i]);
    }
    for (i = 0; i < m->n_outputs; i++) {
        const char *t = status == NERVA_OK ? value_text(&m->outputs[i], o, buf, sizeof buf, &quoted) : NULL;
        if (i || O.ncopy)
            putc(O.sep, out);
        if (t)
            put_cell(out, t);
    }
    putc('\n', out);
}

/* ------------------------------------------------------------------ score */

/* The per-entity state of a model with Lag or Aggregate (NULL for the
   others): one for the whole run, so records are scored in row order, each
   after its entity's earlier ones. */
static void *STATE;

static int state_open(void)
{
    if (!MODEL->state_new)
        return 1;
    STATE = MODEL->state_new(0);
    if (!STATE) {
        fputs("driver: error: out of memory for the model's state\n", stderr);
        return 0;
    }
    return 1;
}

static int score_one(const void *in, void *out)
{
    return STATE ? MODEL->score_state(STATE, in, out) : MODEL->score(in, out);
}

static size_t score_many(const void *in, void *out, int *status, size_t n)
{
    return STATE ? MODEL->score_batch_state(STATE, in, out, status, n) : MODEL->score_batch(in, out, status, n);
}

static int check_abi(void)
{
    if (MODEL->abi != NERVA_MODEL_ABI) {
        fprintf(stderr, "driver: error: model ABI %d, driver expects %d\n",
                MODEL->abi, NERVA_MODEL_ABI);
        return 0;
    }
    return 1;
}

/* the reading of a record went wrong: with --on-error fail, an error that
   stops the run; otherwise counted */
static int record_error(const char *name, long line, const char *what)
{
    if (O.on_error == ON_ERROR_FAIL) {
        fprintf(stderr, "%s:%ld: error: %s\n", name, line, what);
        fprintf(stderr, "%s:%ld: note: --on-error skip|missing goes on past such records\n", name, line);
        return 1;
    }
    return 0;
}

/* JSON lines: the keys are the inputs' names, then the columns to copy */
static const char **json_names(void)
{
    const nerva_model *m = MODEL;
    const char **names = xmalloc(((size_t)m->n_inputs + (size_t)O.ncopy + 1) * sizeof *names);
    int i;
    for (i = 0; i < m->n_inputs; i++)
        names[i] = m->inputs[i].name;
    for (i = 0; i < O.ncopy; i++)
        names[m->n_inputs + i] = O.copy[i];
    return names;
}

static int cmd_score(const char *input, const char *output)
{
    const nerva_model *m = MODEL;
    const char *name = strcmp(input, "-") == 0 ? "<stdin>" : input;
    size_t len, records = 0, n_invalid = 0, n_error = 0, n_skipped = 0, n_as_missing = 0, header_n = 0;
    char *data, *in, *out_rec;
    const char **copy_cells = NULL, **names = NULL;
    FILE *out;
    csv_reader r;
    json_reader j;
    grouper g;
    int *col = NULL, *copy_col = NULL, rc, status = 0, to_stdout = strcmp(output, "-") == 0, i;

    grouper_init(&g);
    if (g.set >= 0 && O.json) {
        fprintf(stderr, "driver: error: the model reads a set of items ('%s'), which only CSV input gives "
                        "(one item a row)\n", m->inputs[g.set].name);
        return 1;
    }
    data = read_all(input, &len);
    if (!data)
        return 1;
    if (O.json) {
        names = json_names();
        json_init(&j, name, data, len, names, (size_t)m->n_inputs + (size_t)O.ncopy);
        col = xmalloc(((size_t)m->n_inputs + 1) * sizeof *col);
        for (i = 0; i < m->n_inputs; i++)
            col[i] = i;
    } else {
        csv_init(&r, name, data, len);
        rc = csv_next(&r);
        if (rc <= 0) {
            if (rc == 0)
                csv_error(&r, 1, "no header row");
            csv_free(&r);
            free(data);
            return 1;
        }
        header_n = r.n;
        col = bind_header(&r, &copy_col);
        if (!col) {
            csv_free(&r);
            free(data);
            return 1;
        }
    }
    copy_cells = xcalloc((size_t)O.ncopy + 1, sizeof *copy_cells);

    out = to_stdout ? stdout : fopen(output, "wb");
    if (!out) {
        fprintf(stderr, "%s: error: cannot open for writing: %s\n", output, strerror(errno));
        status = 1;
        goto done;
    }
    in = xmalloc(m->input_size);
    out_rec = xcalloc(1, m->output_size);
    write_header(out);
    for (;;) {
        const char *const *cells;
        size_t ncells;
        long line;
        const char *bad = NULL;
        char what[256];
        int st;
        if (O.json) {
            rc = json_next(&j);
            line = j.line;
            cells = j.cells;
            ncells = j.nnames;
            if (rc < 0)
                bad = j.err;
            for (i = 0; rc > 0 && !O.allow_missing_columns && i < m->n_inputs; i++)
                if (!j.present[i]) {
                    snprintf(what, sizeof what, "no key for the model's input field '%s'", m->inputs[i].name);
                    bad = what;
                    rc = -1;
                    break;
                }
            for (i = 0; rc > 0 && i < O.ncopy; i++)
                copy_cells[i] = j.raw[m->n_inputs + i];
        } else if (g.set >= 0) {
            rc = group_next(&r, &g, col, header_n, &line, what, sizeof what);
            if (rc == -1)
                break; /* malformed CSV: the reader said where */
            cells = g.first;
            ncells = header_n;
            if (rc == -2) {
                bad = what;
                rc = -1;
            }
            for (i = 0; rc > 0 && i < O.ncopy; i++)
                copy_cells[i] = is_missing_cell(g.first[copy_col[i]]) ? NULL : g.first[copy_col[i]];
        } else {
            rc = csv_next(&r);
            line = r.rec_line;
            cells = r.cells;
            ncells = r.n;
            if (rc < 0)
                break; /* malformed CSV (unterminated quote...): the reader said where */
            if (rc > 0 && r.n != header_n) {
                snprintf(what, sizeof what, "%lu cells where the header has %lu", (unsigned long)r.n,
                         (unsigned long)header_n);
                bad = what;
                rc = -1;
            }
            for (i = 0; rc > 0 && i < O.ncopy; i++)
                copy_cells[i] = is_missing_cell(r.cells[copy_col[i]]) ? NULL : r.cells[copy_col[i]];
        }
        if (rc == 0)
            break;
        memset(in, 0, m->input_size);
        if (rc < 0) {
            if (record_error(name, line, bad)) {
                status = 1;
                break;
            }
            if (O.on_error == ON_ERROR_SKIP) {
                n_skipped++;
                continue;
            }
            /* scored as missing: every input missing (the cells cannot be trusted) */
            n_as_missing++;
            for (i = 0; i < m->n_inputs; i++)
                in[m->inputs[i].state_offset] = NERVA_MISSING;
            for (i = 0; i < O.ncopy; i++)
                copy_cells[i] = NULL;
        } else {
            fill_input(cells, ncells, col, in, NULL);
            if (g.set >= 0)
                fill_set(&g, in, NULL);
        }
        st = score_one(in, out_rec);
        records++;
        if (st == NERVA_RESULT_INVALID)
            n_invalid++;
        else if (st != NERVA_OK)
            n_error++;
        write_record(out, out_rec, st, copy_cells);
    }
    if (!O.json && rc < 0)
        status = 1;
    if (fflush(out) != 0 || ferror(out)) {
        fprintf(stderr, "%s: error: write failed: %s\n",
                to_stdout ? "<stdout>" : output, strerror(errno));
        status = 1;
    }
    if (!to_stdout && fclose(out) != 0 && status == 0) {
        fprintf(stderr, "%s: error: write failed: %s\n", output, strerror(errno));
        status = 1;
    }
    if (n_invalid + n_error > 0)
        fprintf(stderr, "score: %lu records scored, %lu invalid (the model's invalid-value treatment), "
                        "%lu errors\n", (unsigned long)records, (unsigned long)n_invalid, (unsigned long)n_error);
    if (n_skipped + n_as_missing > 0)
        fprintf(stderr, "score: %lu unreadable records %s\n", (unsigned long)(n_skipped + n_as_missing),
                n_skipped ? "skipped" : "scored as missing");
    free(in);
    free(out_rec);
done:
    free(col);
    free(copy_col);
    free(copy_cells);
    free(names);
    if (O.json)
        json_free(&j);
    else
        csv_free(&r);
    grouper_free(&g);
    free(data);
    return status;
}

/* ------------------------------------------------------------------ bench */

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Cheap fold of one output record, so that scoring has an observable effect:
   the status and the first output field's bytes. */
static uint64_t fold(uint64_t h, const char *o, int status)
{
    const nerva_model *m = MODEL;
    h = (h ^ (uint64_t)(unsigned)status) * 1099511628211u;
    if (m->n_outputs > 0) {
        const nerva_field *f = &m->outputs[0];
        uint64_t v = 0;
        size_t sz;
        switch (f->type) {
        case NERVA_DOUBLE: sz = sizeof(double); break;
        case NERVA_FLOAT: sz = sizeof(float); break;
        case NERVA_LONG: sz = sizeof(long long); break;
        case NERVA_BOOL: sz = sizeof(int); break;
        case NERVA_STRING: sz = sizeof(const char *); break;
        case NERVA_DATE: sz = sizeof(long long); break;
        case NERVA_TIME:
        case NERVA_DATETIME: sz = sizeof(double); break;
        default: sz = 0; break;
        }
        if (sz > sizeof v)
            sz = sizeof v;
        if (f->type == NERVA_STRING) {
            const char *s;
            memcpy(&s, o + f->offset, sizeof s);
            v = s ? (uint64_t)(unsigned char)s[0] : 0;
        } else {
            memcpy(&v, o + f->offset, sz);
        }
        h = (h ^ v ^ (uint64_t)(unsigned char)o[f->state_offset]) * 1099511628211u;
    }
    return h;
}

static volatile uint64_t sink;

/* Parses the whole CSV text held in memory and scores every record; the unit
   of work of the csv_ns measurement.  Returns records, or -1 on bad CSV. */
static long csv_pass(const char *name, const char *data, size_t len,
                     char *in, char *out_rec, uint64_t *h)
{
    const nerva_model *m = MODEL;
    csv_reader r;
    grouper g;
    int *col, rc;
    long n = 0, line;
    char what[128];
    size_t header_n;

    grouper_init(&g);
    csv_init(&r, name, data, len);
    if (csv_next(&r) <= 0) {
        csv_free(&r);
        return -1;
    }
    header_n = r.n;
    {
        int *copy_col;
        col = bind_header(&r, &copy_col);
        free(copy_col);
    }
    if (!col) {
        csv_free(&r);
        return -1;
    }
    for (;;) {
        int st;
        rc = g.set >= 0 ? group_next(&r, &g, col, header_n, &line, what, sizeof what) : csv_next(&r);
        if (rc <= 0)
            break;
        memset(in, 0, m->input_size);
        if (g.set >= 0) {
            fill_input(g.first, header_n, col, in, NULL);
            fill_set(&g, in, NULL);
        } else
            fill_input(r.cells, r.n, col, in, NULL);
        st = score_one(in, out_rec);
        *h = fold(*h, out_rec, st);
        n++;
    }
    free(col);
    csv_free(&r);
    grouper_free(&g);
    return rc < 0 ? -1 : n;
}

static int cmd_bench(const char *input, int json, double min_seconds)
{
    const nerva_model *m = MODEL;
    const char *name = strcmp(input, "-") == 0 ? "<stdin>" : input;
    size_t len, n = 0, cap = 64, i, isz = m->input_size, osz = m->output_size;
    char *data, *ins, *outs, *one_in, *one_out;
    int *col, rc, *status;
    csv_reader r;
    grouper g;
    arena strings = {NULL};
    uint64_t h = 14695981039346656037u;
    double t0, t, min_ns = min_seconds * 1e9;
    double single_ns, batch_ns, csv_ns;
    unsigned long long calls, reps, single_calls;
    size_t header_n;

    data = read_all(input, &len);
    if (!data)
        return 1;

    /* typed inputs for all records, parsed before any timing */
    csv_init(&r, name, data, len);
    rc = csv_next(&r);
    if (rc <= 0) {
        if (rc == 0)
            csv_error(&r, 1, "no header row");
        csv_free(&r);
        free(data);
        return 1;
    }
    header_n = r.n;
    {
        int *copy_col;
        col = bind_header(&r, &copy_col);
        free(copy_col);
    }
    if (!col) {
        csv_free(&r);
        free(data);
        return 1;
    }
    ins = xcalloc(cap, isz);
    grouper_init(&g);
    for (;;) {
        long line = 0;
        char what[128];
        rc = g.set >= 0 ? group_next(&r, &g, col, header_n, &line, what, sizeof what) : csv_next(&r);
        if (rc == -2) {
            fprintf(stderr, "%s:%ld: error: %s\n", name, line, what);
            rc = -1;
            break;
        }
        if (rc <= 0)
            break;
        if (n == cap) {
            if (cap > ((size_t)-1) / 2 / (isz ? isz : 1))
                die_oom();
            ins = xrealloc(ins, cap * 2 * isz);
            memset(ins + cap * isz, 0, cap * isz);
            cap *= 2;
        }
        if (g.set >= 0) {
            fill_input(g.first, header_n, col, ins + n * isz, &strings);
            fill_set(&g, ins + n * isz, &strings);
            n++;
            continue;
        }
        if (r.n != header_n) {
            fprintf(stderr, "%s:%ld: error: %lu cells where the header has %lu\n", name, r.rec_line,
                    (unsigned long)r.n, (unsigned long)header_n);
            rc = -1;
            break;
        }
        fill_input(r.cells, r.n, col, ins + n * isz, &strings);
        n++;
    }
    free(col);
    csv_free(&r);
    grouper_free(&g);
    if (rc < 0) {
        free(ins);
        arena_free(&strings);
        free(data);
        return 1;
    }
    if (n == 0) {
        fprintf(stderr, "%s: error: no records to bench\n", name);
        free(ins);
        arena_free(&strings);
        free(data);
        return 1;
    }

    outs = xcalloc(n, osz);
    status = xcalloc(n, sizeof *status);
    one_in = xcalloc(1, isz);
    one_out = xcalloc(1, osz);

    /* (a) record by record, cycling over the records (a stateful model's
       entities grow their histories as a stream's would) */
    calls = 0;
    i = 0;
    t0 = now_ns();
    do {
        size_t k, chunk = n > 1024 ? n : 1024;
        for (k = 0; k < chunk; k++) {
            int st = score_one(ins + i * isz, one_out);
            h = fold(h, one_out, st);
            if (++i == n)
                i = 0;
        }
        calls += chunk;
        t = now_ns() - t0;
    } while (t < min_ns);
    single_ns = t / (double)calls;
    single_calls = calls;

    /* (b) all records per score_batch call */
    if (STATE)
        MODEL->state_reset(STATE);
    reps = 0;
    t0 = now_ns();
    do {
        size_t bad = score_many(ins, outs, status, n);
        h = fold(h, outs, status[0]) ^ bad;
        reps++;
        t = now_ns() - t0;
    } while (t < min_ns);
    batch_ns = t / ((double)reps * (double)n);

    /* (c) parse the CSV text from memory and score, per record */
    if (STATE)
        MODEL->state_reset(STATE);
    reps = 0;
    calls = 0;
    t0 = now_ns();
    do {
        long got = csv_pass(name, data, len, one_in, one_out, &h);
        if (got < 0)
            break; /* cannot happen: the same text parsed above */
        calls += (unsigned long long)got;
        reps++;
        t = now_ns() - t0;
    } while (t < min_ns);
    csv_ns = calls ? t / (double)calls : 0.0;

    sink = h;
    if (json) {
        printf("{\"single_ns\": %.3f, \"batch_ns\": %.3f, \"csv_ns\": %.3f, \"records\": %lu}\n",
               single_ns, batch_ns, csv_ns, (unsigned long)n);
    } else {
        printf("model:    %s\n", m->name ? m->name : "?");
        printf("records:  %lu\n", (unsigned long)n);
        printf("single:   %.3f ns/record (%llu calls)\n", single_ns, single_calls);
        printf("batch:    %.3f ns/record\n", batch_ns);
        printf("csv:      %.3f ns/record (parse CSV text + score)\n", csv_ns);
        printf("checksum: %016llx\n", (unsigned long long)sink);
    }

    free(one_in);
    free(one_out);
    free(status);
    free(outs);
    free(ins);
    arena_free(&strings);
    free(data);
    if (fflush(stdout) != 0)
        return 1;
    return 0;
}

/* ------------------------------------------------------------------- main */

static int usage(void)
{
    fputs("usage: driver score [--input FILE|-] [--output FILE|-] [--format csv|json] [--separator C]\n"
          "                    [--missing-values LIST] [--allow-missing-columns]\n"
          "                    [--on-error fail|skip|missing] [--copy-columns LIST]\n"
          "       driver bench --input FILE [--json] [--min-seconds S]\n",
          stderr);
    return 2;
}

/* a comma-separated list, split in place */
static const char **split_list(char *s, int *n)
{
    const char **v = xmalloc((strlen(s) + 2) * sizeof *v);
    char *p = s;
    *n = 0;
    for (;;) {
        char *c = strchr(p, ',');
        if (c)
            *c = '\0';
        if (*p)
            v[(*n)++] = p;
        if (!c)
            break;
        p = c + 1;
    }
    return v;
}

int main(int argc, char **argv)
{
    const char *input = NULL, *output = "-";
    int json = 0, i, bench;
    double min_seconds = 0.5;
    static char na[] = "NA,N/A";

    if (argc < 2)
        return usage();
    if (strcmp(argv[1], "score") == 0)
        bench = 0;
    else if (strcmp(argv[1], "bench") == 0)
        bench = 1;
    else
        return usage();
    O.missing = split_list(na, &O.nmissing);

    for (i = 2; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (strcmp(a, "--input") == 0 && more) {
            input = argv[++i];
        } else if (!bench && strcmp(a, "--output") == 0 && more) {
            output = argv[++i];
        } else if (!bench && strcmp(a, "--format") == 0 && more) {
            O.json = strcmp(argv[++i], "json") == 0;
        } else if (!bench && strcmp(a, "--separator") == 0 && more) {
            const char *v = argv[++i];
            O.sep = strcmp(v, "\\t") == 0 ? '\t' : v[0];
        } else if (!bench && strcmp(a, "--missing-values") == 0 && more) {
            free(O.missing);
            O.missing = split_list(argv[++i], &O.nmissing);
        } else if (!bench && strcmp(a, "--allow-missing-columns") == 0) {
            O.allow_missing_columns = 1;
        } else if (!bench && strcmp(a, "--on-error") == 0 && more) {
            const char *v = argv[++i];
            O.on_error = !strcmp(v, "skip") ? ON_ERROR_SKIP : !strcmp(v, "missing") ? ON_ERROR_MISSING
                                                                                     : ON_ERROR_FAIL;
        } else if (!bench && strcmp(a, "--copy-columns") == 0 && more) {
            O.copy = split_list(argv[++i], &O.ncopy);
        } else if (bench && strcmp(a, "--json") == 0) {
            json = 1;
        } else if (bench && strcmp(a, "--min-seconds") == 0 && more) {
            char *stop;
            min_seconds = strtod(argv[++i], &stop);
            if (*argv[i] == '\0' || *stop != '\0' || !(min_seconds >= 0) ||
                min_seconds > 1e6) {
                fprintf(stderr, "driver: error: bad --min-seconds '%s'\n", argv[i]);
                return 2;
            }
        } else {
            fprintf(stderr, "driver: error: unexpected argument '%s'\n", a);
            return usage();
        }
    }
    if (!check_abi() || !state_open())
        return 1;
    if (bench) {
        if (!input) {
            fputs("driver: error: bench needs --input FILE\n", stderr);
            return usage();
        }
        return cmd_bench(input, json, min_seconds);
    }
    return cmd_score(input ? input : "-", output);
}
