/* Arena, diagnostics, string buffers and number text: the plumbing every
 * phase shares.  nerva never calls setlocale(), so printf/strtod use the C
 * locale whatever LC_ALL says; that keeps output byte-identical. */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct ArenaBlock {
    ArenaBlock *next;
    size_t cap, used;
    _Alignas(16) unsigned char data[];
};

void arena_init(Arena *a) { a->head = NULL; a->used_total = 0; }

void arena_free(Arena *a)
{
    ArenaBlock *b = a->head;
    while (b) {
        ArenaBlock *n = b->next;
        free(b);
        b = n;
    }
    a->head = NULL;
}

void *arena_alloc(Arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n == 0)
        n = 16;
    ArenaBlock *b = a->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > 65536 ? n : 65536;
        b = malloc(sizeof(ArenaBlock) + cap);
        if (!b) {
            fprintf(stderr, "nerva: out of memory\n");
            exit(3);
        }
        b->cap = cap;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    a->used_total += n;
    memset(p, 0, n);
    return p;
}

char *arena_strndup(Arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *arena_strdup(Arena *a, const char *s)
{
    return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

char *arena_printf(Arena *a, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    /* GCC's sanitizer builds see a path where fmt is NULL and warn of a
       null format string (-Wformat-truncation): there is none */
    if (!fmt)
        fmt = "";
    char one[1];
    int n = vsnprintf(one, sizeof one, fmt, ap);
    va_end(ap);
    char *p = arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}

void *arena_grow(Arena *a, void *old, size_t elem, int n, int *cap)
{
    int nc = *cap ? *cap * 2 : 8;
    void *p = arena_alloc(a, elem * (size_t)nc);
    if (old && n)
        memcpy(p, old, elem * (size_t)n);
    *cap = nc;
    return p;
}

/* ---- names to numbers ---- */
static unsigned name_hash(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

int names_get(const NameIndex *ix, const char *name)
{
    if (!ix->cap)
        return -1;
    for (unsigned h = name_hash(name) & (ix->cap - 1);; h = (h + 1) & (ix->cap - 1)) {
        if (!ix->keys[h])
            return -1;
        if (!strcmp(ix->keys[h], name))
            return ix->vals[h];
    }
}

void names_put(Arena *a, NameIndex *ix, const char *name, int val)
{
    if ((ix->n + 1) * 2 > ix->cap) {
        NameIndex big = {.cap = ix->cap ? ix->cap * 2 : 16};
        big.keys = ARENA_ARRAY(a, const char *, big.cap);
        big.vals = ARENA_ARRAY(a, int, big.cap);
        for (unsigned i = 0; i < ix->cap; i++)
            if (ix->keys[i])
                names_put(a, &big, ix->keys[i], ix->vals[i]);
        *ix = big;
    }
    unsigned h = name_hash(name) & (ix->cap - 1);
    while (ix->keys[h] && strcmp(ix->keys[h], name))
        h = (h + 1) & (ix->cap - 1);
    if (!ix->keys[h]) {
        ix->keys[h] = name;
        ix->n++;
    }
    ix->vals[h] = val;
}

/* ---- progress on a terminal ---- */
static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static struct {
    int init, on;
    double t0;
    char what[200];
} prog;

void progress_redraw(void)
{
    fprintf(stderr, "\r\033[Knerva: %s (%.1f s)", prog.what, mono_now() - prog.t0);
    fflush(stderr);
}

int progress_active(void) { return prog.on && prog.what[0]; }

void progress_phase(const char *what)
{
    if (!prog.init) {
        const char *term = getenv("TERM");
        prog.init = 1;
        prog.on = isatty(2) && !(term && !strcmp(term, "dumb"));
        prog.t0 = mono_now();
    }
    if (!prog.on)
        return;
    snprintf(prog.what, sizeof prog.what, "%s", what);
    progress_redraw();
}

void progress_done(void)
{
    if (prog.on && prog.what[0]) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    prog.what[0] = 0;
}


/* ---- diagnostics ---- */
void diags_init(Diags *d)
{
    memset(d, 0, sizeof *d);
    d->max_errors = 50;
}

/* a JSON string: quotes, backslashes and control characters escaped */
static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* the line of the source text at loc, and a caret under its column (columns
   count UTF-8 characters; tabs are kept so that the caret lines up) */
static void show_source(const Diags *d, Loc loc)
{
    if (!d->src || !loc.file || !d->src_file || strcmp(loc.file, d->src_file) || loc.line <= 0 || loc.col <= 0)
        return;
    const char *p = d->src, *end = d->src + d->src_len;
    for (int l = 1; l < loc.line && p < end; p++)
        if (*p == '\n')
            l++;
    const char *e = p;
    while (e < end && *e != '\n' && *e != '\r')
        e++;
    if (e - p > 300)
        return; /* too long to be of help */
    fprintf(stderr, "    ");
    for (const char *q = p; q < e; q++)
        fputc((unsigned char)*q < 0x20 && *q != '\t' ? '?' : *q, stderr);
    fprintf(stderr, "\n    ");
    int col = 1;
    for (const char *q = p; q < e && col < loc.col; q++) {
        unsigned char c = (unsigned char)*q;
        if ((c & 0xC0) == 0x80)
            continue;
        fputc(c == '\t' ? '\t' : ' ', stderr);
        col++;
    }
    fprintf(stderr, "%s^%s\n", d->color ? "\033[1;32m" : "", d->color ? "\033[0m" : "");
}

/* one diagnostic, its message formatted */
static void diag_text(Diags *d, Loc loc, const char *sev, const char *msg)
{
    if (!d->quiet)
        progress_done();
    char where[256];
    const char *file = loc.file ? loc.file : "<input>";
    if (loc.line > 0 && loc.col > 0)
        snprintf(where, sizeof where, "%s:%d:%d", file, loc.line, loc.col);
    else if (loc.path && loc.line > 0)
        snprintf(where, sizeof where, "%s:%d: %s", file, loc.line, loc.path);
    else if (loc.path)
        snprintf(where, sizeof where, "%s: %s", file, loc.path);
    else if (loc.line > 0 && loc.col > 0)
        snprintf(where, sizeof where, "%s:%d:%d", file, loc.line, loc.col);
    else if (loc.line > 0)
        snprintf(where, sizeof where, "%s:%d", file, loc.line);
    else
        snprintf(where, sizeof where, "%s", file);
    snprintf(d->last, sizeof d->last, "%s: %s: %s", where, sev, msg);
    if (!d->first[0] && strcmp(sev, "error") == 0)
        snprintf(d->first, sizeof d->first, "%s", d->last);
    if (d->quiet || (strcmp(sev, "error") == 0 && d->errors > d->max_errors))
        return;
    if (d->json) {
        fputs("{\"file\": ", stderr);
        json_str(stderr, file);
        fprintf(stderr, ", \"line\": %d, \"column\": %d, ", loc.line, loc.col);
        if (loc.path) {
            fputs("\"path\": ", stderr);
            json_str(stderr, loc.path);
            fputs(", ", stderr);
        }
        fprintf(stderr, "\"severity\": \"%s\", \"message\": ", sev);
        json_str(stderr, msg);
        fputs("}\n", stderr);
        return;
    }
    if (d->color) {
        const char *c = !strcmp(sev, "error") ? "1;31" : !strcmp(sev, "warning") ? "1;35" : "1;36";
        fprintf(stderr, "\033[1m%s:\033[0m \033[%sm%s:\033[0m %s\n", where, c, sev, msg);
    } else
        fprintf(stderr, "%s\n", d->last);
    show_source(d, loc);
}

void diag_verror(Diags *d, Loc loc, const char *sev, const char *fmt, va_list ap)
{
    char msg[400];
    vsnprintf(msg, sizeof msg, fmt, ap);
    diag_text(d, loc, sev, msg);
}

void diag_error(Diags *d, Loc loc, const char *fmt, ...)
{
    d->errors++;
    va_list ap;
    va_start(ap, fmt);
    diag_verror(d, loc, "error", fmt, ap);
    va_end(ap);
}

void diag_warning(Diags *d, Loc loc, const char *fmt, ...)
{
    if (d->no_warnings)
        return;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (d->werror)
        diag_error(d, loc, "%s [-Werror]", msg);
    else {
        d->warnings++;
        diag_text(d, loc, "warning", msg);
    }
}

void diag_note(Diags *d, Loc loc, const char *fmt, ...)
{
    if (d->errors > d->max_errors)
        return;
    va_list ap;
    va_start(ap, fmt);
    diag_verror(d, loc, "note", fmt, ap);
    va_end(ap);
}

/* Levenshtein distance, case-blind (a case slip costs nothing), at most 64
   characters: enough for names */
static int edit_distance(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    if (na > 64 || nb > 64)
        return 1000;
    int row[65];
    for (size_t j = 0; j <= nb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= na; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= nb; j++) {
            int up = row[j];
            int same = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]);
            int best = diag + !same;
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

const char *closest_name(const char *s, const char *const *names, int n)
{
    const char *best = NULL;
    int bd = 1000;
    size_t len = strlen(s);
    int limit = len <= 2 ? 0 : len <= 5 ? 1 : len <= 10 ? 2 : 3;
    for (int i = 0; i < n; i++) {
        if (!names[i] || !strcmp(names[i], s))
            continue;
        int dist = edit_distance(s, names[i]);
        if (dist < bd) {
            bd = dist;
            best = names[i];
        }
    }
    return bd <= limit ? best : NULL;
}

_Noreturn void die_internal(const char *file, int line, const char *msg)
{
    fprintf(stderr, "nerva: internal error at %s:%d: %s\n", file, line, msg);
    abort();
}

/* ---- string buffer ---- */
void sb_init(StrBuf *b) { b->data = NULL; b->len = b->cap = 0; }
void sb_free(StrBuf *b) { free(b->data); sb_init(b); }

static void sb_reserve(StrBuf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t nc = b->cap ? b->cap * 2 : 4096;
    while (nc < b->len + extra + 1)
        nc *= 2;
    char *p = realloc(b->data, nc);
    if (!p) {
        fprintf(stderr, "nerva: out of memory\n");
        exit(3);
    }
    b->data = p;
    b->cap = nc;
}

void sb_putn(StrBuf *b, const char *s, size_t n)
{
    sb_reserve(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = 0;
}

void sb_putc(StrBuf *b, char c) { sb_putn(b, &c, 1); }
void sb_puts(StrBuf *b, const char *s) { sb_putn(b, s, strlen(s)); }

void sb_json_str(StrBuf *b, const char *s)
{
    sb_putc(b, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            sb_putc(b, '\\');
            sb_putc(b, (char)c);
        } else if (c < 0x20)
            sb_printf(b, "\\u%04x", c);
        else
            sb_putc(b, (char)c);
    }
    sb_putc(b, '"');
}

void sb_vprintf(StrBuf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    if (!fmt)
        fmt = ""; /* see arena_printf */
    char one[1];
    int n = vsnprintf(one, sizeof one, fmt, ap);
    sb_reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    b->len += (size_t)n;
}

void sb_printf(StrBuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(b, fmt, ap);
    va_end(ap);
}

/* ---- numbers ---- */
void fmt_double(char *buf, size_t n, double v)
{
    if (isnan(v)) { snprintf(buf, n, "NAN"); return; }
    if (isinf(v)) { snprintf(buf, n, v > 0 ? "INFINITY" : "-INFINITY"); return; }
    /* the fewest digits that read back as v: if p digits do, p + 1 do (the
       nearest p + 1 digits are no farther from v than p digits and a 0), so
       a binary search finds them in four printings, not up to seventeen
       (numbers are most of a large model's C) */
    int lo = 1, hi = 17;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        snprintf(buf, n, "%.*g", mid, v);
        if (strtod(buf, NULL) == v)
            hi = mid;
        else
            lo = mid + 1;
    }
    snprintf(buf, n, "%.*g", lo, v);
}

void fmt_float(char *buf, size_t n, float v)
{
    if (isnan(v)) { snprintf(buf, n, "NAN"); return; }
    if (isinf(v)) { snprintf(buf, n, v > 0 ? "INFINITY" : "-INFINITY"); return; }
    int lo = 1, hi = 9; /* as fmt_double */
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        snprintf(buf, n, "%.*g", mid, (double)v);
        if (strtof(buf, NULL) == v)
            hi = mid;
        else
            lo = mid + 1;
    }
    snprintf(buf, n, "%.*g", lo, (double)v);
}

int parse_double(const char *s, double *out)
{
    if (!s)
        return 0;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    if (!*s)
        return 0;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s)
        return 0;
    while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
        end++;
    if (*end)
        return 0;
    /* strtod accepts hex floats and "nan(...)"; PMML numbers are decimal */
    for (const char *p = s; p < end; p++)
        if (*p == 'x' || *p == 'X' || *p == '(')
            return 0;
    *out = v;
    return 1;
}

int parse_long(const char *s, long long *out)
{
    if (!s)
        return 0;
    while (*s == ' ' || *s == '\t')
        s++;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || errno)
        return 0;
    while (*end == ' ' || *end == '\t')
        end++;
    if (*end)
        return 0;
    *out = v;
    return 1;
}

uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) {
        h ^= c[i];
        h *= 1099511628211ULL;
    }
    return h;
}

int read_file(const char *path, char **data, size_t *len, size_t max)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    if (!buf)
        return -1;
    for (;;) {
        if (n + 1 >= cap) {
            if (cap >= max + 2) {
                if (f != stdin) fclose(f);
                free(buf);
                return -2;
            }
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (!nb) { free(buf); if (f != stdin) fclose(f); return -1; }
            buf = nb;
        }
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        if (r == 0)
            break;
        n += r;
    }
    if (f != stdin)
        fclose(f);
    if (n > max) {
        free(buf);
        return -2;
    }
    buf[n] = 0;
    *data = buf;
    *len = n;
    return 0;
}
