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
 *   driver score [--input FILE|-] [--output FILE|-]
 *   driver bench --input FILE [--json] [--min-seconds S]
 *
 * CSV is RFC 4180 (quoted cells, doubled quotes, CRLF or LF).  The first row
 * is the header.  An empty cell is a missing value; cells are never trimmed
 * (except that numeric and boolean text may carry surrounding blanks, as the
 * reference evaluators' number parsers accept them).  Output numbers use the
 * shortest text that reads back to the same value.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <math.h>
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
} csv_reader;

static void csv_init(csv_reader *r, const char *name, const char *data, size_t len)
{
    memset(r, 0, sizeof *r);
    r->name = name;
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
            if (p < end && *p != ',' && *p != '\r' && *p != '\n') {
                csv_error(r, r->line, "unexpected text after closing quote");
                return -1;
            }
        } else {
            while (p < end && *p != ',' && *p != '\r' && *p != '\n') {
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
        if (*p == ',') {
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

/* -------------------------------------------------- binding and parsing */

/* column index of each model input, or -1 */
static int *bind_header(const csv_reader *r)
{
    const nerva_model *m = MODEL;
    int *col = xmalloc((size_t)(m->n_inputs > 0 ? m->n_inputs : 1) * sizeof *col);
    int i;
    size_t c;
    for (i = 0; i < m->n_inputs; i++) {
        col[i] = -1;
        for (c = 0; c < r->n; c++) {
            if (strcmp(r->cells[c], m->inputs[i].name) == 0) {
                col[i] = (int)c;
                break;
            }
        }
    }
    return col;
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

static const char *arena_strdup(arena *a, const char *s)
{
    size_t len = strlen(s) + 1;
    arena_chunk *c = a->head;
    char *d;
    if (!c || c->cap - c->used < len) {
        size_t cap = len > 65536 ? len : 65536;
        c = xmalloc(offsetof(arena_chunk, data) + cap);
        c->next = a->head;
        c->used = 0;
        c->cap = cap;
        a->head = c;
    }
    d = c->data + c->used;
    memcpy(d, s, len);
    c->used += len;
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
static void fill_input(const csv_reader *r, const int *col, char *in, arena *strings)
{
    const nerva_model *m = MODEL;
    int i;
    for (i = 0; i < m->n_inputs; i++) {
        const nerva_field *f = &m->inputs[i];
        unsigned char *state = (unsigned char *)(in + f->state_offset);
        char *v = in + f->offset;
        const char *cell;
        int ok = 1;

        if (col[i] < 0 || (size_t)col[i] >= r->n || r->cells[col[i]][0] == '\0') {
            *state = NERVA_MISSING;
            continue;
        }
        cell = r->cells[col[i]];
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
        default:
            ok = 0;
            break;
        }
        *state = (unsigned char)(ok ? NERVA_PRESENT : NERVA_INVALID);
    }
}

/* ------------------------------------------------------------- CSV writer */

static void put_cell(FILE *out, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
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
    for (i = 0; i < m->n_outputs; i++) {
        if (i)
            putc(',', out);
        put_cell(out, m->outputs[i].name);
    }
    putc('\n', out);
}

static void write_record(FILE *out, const char *o, int status)
{
    const nerva_model *m = MODEL;
    char buf[512]; /* "%.17g" needs 25; gcc assumes up to 311 */
    int i;
    for (i = 0; i < m->n_outputs; i++) {
        const nerva_field *f = &m->outputs[i];
        const char *v = o + f->offset;
        if (i)
            putc(',', out);
        if (status != NERVA_OK || (unsigned char)o[f->state_offset] == NERVA_MISSING)
            continue;
        switch (f->type) {
        case NERVA_DOUBLE: {
            double d;
            memcpy(&d, v, sizeof d);
            format_double(d, buf, sizeof buf);
            fputs(buf, out);
            break;
        }
        case NERVA_FLOAT: {
            float x;
            memcpy(&x, v, sizeof x);
            format_float(x, buf, sizeof buf);
            fputs(buf, out);
            break;
        }
        case NERVA_LONG: {
            long long l;
            memcpy(&l, v, sizeof l);
            fprintf(out, "%lld", l);
            break;
        }
        case NERVA_BOOL: {
            int b;
            memcpy(&b, v, sizeof b);
            fputs(b ? "true" : "false", out);
            break;
        }
        case NERVA_STRING: {
            const char *s;
            memcpy(&s, v, sizeof s);
            if (s)
                put_cell(out, s);
            break;
        }
        default:
            break;
        }
    }
    putc('\n', out);
}

/* ------------------------------------------------------------------ score */

static int check_abi(void)
{
    if (MODEL->abi != NERVA_MODEL_ABI) {
        fprintf(stderr, "driver: error: model ABI %d, driver expects %d\n",
                MODEL->abi, NERVA_MODEL_ABI);
        return 0;
    }
    return 1;
}

static int cmd_score(const char *input, const char *output)
{
    const nerva_model *m = MODEL;
    const char *name = strcmp(input, "-") == 0 ? "<stdin>" : input;
    size_t len, records = 0, n_invalid = 0, n_error = 0;
    char *data, *in, *out_rec;
    FILE *out;
    csv_reader r;
    int *col, rc, status = 0, to_stdout = strcmp(output, "-") == 0;

    data = read_all(input, &len);
    if (!data)
        return 1;
    csv_init(&r, name, data, len);
    rc = csv_next(&r);
    if (rc <= 0) {
        if (rc == 0)
            csv_error(&r, 1, "no header row");
        csv_free(&r);
        free(data);
        return 1;
    }
    col = bind_header(&r);

    out = to_stdout ? stdout : fopen(output, "wb");
    if (!out) {
        fprintf(stderr, "%s: error: cannot open for writing: %s\n", output, strerror(errno));
        free(col);
        csv_free(&r);
        free(data);
        return 1;
    }
    in = xmalloc(m->input_size);
    out_rec = xcalloc(1, m->output_size);
    write_header(out);
    while ((rc = csv_next(&r)) > 0) {
        int st;
        memset(in, 0, m->input_size);
        fill_input(&r, col, in, NULL);
        st = m->score(in, out_rec);
        records++;
        if (st == NERVA_RESULT_INVALID)
            n_invalid++;
        else if (st != NERVA_OK)
            n_error++;
        write_record(out, out_rec, st);
    }
    if (rc < 0)
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
        fprintf(stderr, "score: %lu records, %lu invalid, %lu errors\n",
                (unsigned long)records, (unsigned long)n_invalid, (unsigned long)n_error);
    free(in);
    free(out_rec);
    free(col);
    csv_free(&r);
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
    int *col, rc;
    long n = 0;

    csv_init(&r, name, data, len);
    if (csv_next(&r) <= 0) {
        csv_free(&r);
        return -1;
    }
    col = bind_header(&r);
    while ((rc = csv_next(&r)) > 0) {
        int st;
        memset(in, 0, m->input_size);
        fill_input(&r, col, in, NULL);
        st = m->score(in, out_rec);
        *h = fold(*h, out_rec, st);
        n++;
    }
    free(col);
    csv_free(&r);
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
    arena strings = {NULL};
    uint64_t h = 14695981039346656037u;
    double t0, t, min_ns = min_seconds * 1e9;
    double single_ns, batch_ns, csv_ns;
    unsigned long long calls, reps, single_calls;

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
    col = bind_header(&r);
    ins = xcalloc(cap, isz);
    while ((rc = csv_next(&r)) > 0) {
        if (n == cap) {
            if (cap > ((size_t)-1) / 2 / (isz ? isz : 1))
                die_oom();
            ins = xrealloc(ins, cap * 2 * isz);
            memset(ins + cap * isz, 0, cap * isz);
            cap *= 2;
        }
        fill_input(&r, col, ins + n * isz, &strings);
        n++;
    }
    free(col);
    csv_free(&r);
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

    /* (a) record by record, cycling over the records */
    calls = 0;
    i = 0;
    t0 = now_ns();
    do {
        size_t k, chunk = n > 1024 ? n : 1024;
        for (k = 0; k < chunk; k++) {
            int st = m->score(ins + i * isz, one_out);
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
    reps = 0;
    t0 = now_ns();
    do {
        size_t bad = m->score_batch(ins, outs, status, n);
        h = fold(h, outs, status[0]) ^ bad;
        reps++;
        t = now_ns() - t0;
    } while (t < min_ns);
    batch_ns = t / ((double)reps * (double)n);

    /* (c) parse the CSV text from memory and score, per record */
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
    fputs("usage: driver score [--input FILE|-] [--output FILE|-]\n"
          "       driver bench --input FILE [--json] [--min-seconds S]\n",
          stderr);
    return 2;
}

int main(int argc, char **argv)
{
    const char *input = NULL, *output = "-";
    int json = 0, i, bench;
    double min_seconds = 0.5;

    if (argc < 2)
        return usage();
    if (strcmp(argv[1], "score") == 0)
        bench = 0;
    else if (strcmp(argv[1], "bench") == 0)
        bench = 1;
    else
        return usage();

    for (i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--input") == 0 && i + 1 < argc) {
            input = argv[++i];
        } else if (!bench && strcmp(a, "--output") == 0 && i + 1 < argc) {
            output = argv[++i];
        } else if (bench && strcmp(a, "--json") == 0) {
            json = 1;
        } else if (bench && strcmp(a, "--min-seconds") == 0 && i + 1 < argc) {
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
    if (!check_abi())
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
