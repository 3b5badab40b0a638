/* Shared plumbing for every phase: one arena per compilation, diagnostics
 * that always carry a location, and a growable string buffer.  Keeping these
 * in one place lets each phase stay about its job. */
#ifndef NERVA_UTIL_H
#define NERVA_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* ---- arena: everything a compilation allocates dies with it ---- */
typedef struct ArenaBlock ArenaBlock;
typedef struct Arena {
    ArenaBlock *head;
    size_t used_total;
} Arena;

void arena_init(Arena *a);
void arena_free(Arena *a);
void *arena_alloc(Arena *a, size_t n);              /* zeroed, 16-aligned */
char *arena_strdup(Arena *a, const char *s);
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_printf(Arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* grow an arena-owned array of elements of size `elem` holding `*n` items */
void *arena_grow(Arena *a, void *old, size_t elem, int n, int *cap);

#define ARENA_NEW(a, T) ((T *)arena_alloc((a), sizeof(T)))
#define ARENA_ARRAY(a, T, n) ((T *)arena_alloc((a), sizeof(T) * (size_t)(n)))
/* push onto (ptr, count, cap) triple allocated from arena */
#define VEC_PUSH(a, ptr, count, cap, val)                                     \
    do {                                                                      \
        if ((count) >= (cap))                                                 \
            (ptr) = arena_grow((a), (ptr), sizeof(*(ptr)), (count), &(cap));  \
        (ptr)[(count)++] = (val);                                             \
    } while (0)

/* ---- locations and diagnostics ---- */
typedef struct Loc {
    const char *file;   /* the model file name as given */
    int line;           /* 1-based; 0 when unknown */
    int col;            /* 1-based; 0 when unknown */
    const char *path;   /* JSON path for PFA, NULL otherwise */
} Loc;

typedef struct Diags {
    int errors;
    int warnings;
    int max_errors;     /* stop printing after this many (default 50) */
    int quiet;          /* do not print (unit tests) */
    int werror;         /* -Werror: warnings are errors */
    int no_warnings;    /* -w: warnings are neither printed nor counted */
    int color;          /* ANSI colours on standard error */
    int json;           /* one JSON object a line instead of text */
    char last[1024];    /* text of the last diagnostic, for tests */
    char first[1024];   /* text of the first error, for tests */
    /* the text of a PrettyPFA file: errors at a line and column of src_file
       show that line with a caret under the column (it must live as long as
       the Diags, as an arena copy does) */
    const char *src_file, *src;
    size_t src_len;
} Diags;

void diags_init(Diags *d);
void diag_error(Diags *d, Loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void diag_warning(Diags *d, Loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void diag_verror(Diags *d, Loc loc, const char *sev, const char *fmt, va_list ap);
/* a note that follows an error or warning (a hint, the other place) */
void diag_note(Diags *d, Loc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The name among names[0..n) closest to s, when it is close enough to be a
   likely slip (case, a letter or two): for "did you mean" hints; or NULL. */
const char *closest_name(const char *s, const char *const *names, int n);

/* an internal bug: not the model's fault */
_Noreturn void die_internal(const char *file, int line, const char *msg);
#define NV_ASSERT(c) ((c) ? (void)0 : die_internal(__FILE__, __LINE__, #c))

/* ---- string buffer (heap; used by the C printer) ---- */
typedef struct StrBuf {
    char *data;
    size_t len, cap;
} StrBuf;

void sb_init(StrBuf *b);
void sb_free(StrBuf *b);
void sb_putc(StrBuf *b, char c);
void sb_puts(StrBuf *b, const char *s);
void sb_putn(StrBuf *b, const char *s, size_t n);
void sb_printf(StrBuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void sb_vprintf(StrBuf *b, const char *fmt, va_list ap);
/* s as a JSON string (quotes, escapes; bytes >= 0x80 as they are) */
void sb_json_str(StrBuf *b, const char *s);

/* ---- names to numbers ----
 * A hash index of names (arena-owned; the names are not copied): what the
 * lowerings and the backend look names up in, so that a model with 50,000
 * fields costs 50,000 lookups, not 50,000 scans. */
typedef struct NameIndex {
    const char **keys;
    int *vals;
    unsigned cap, n;     /* cap is 0 or a power of two */
} NameIndex;

/* the value of name, or -1 */
int names_get(const NameIndex *ix, const char *name);
/* name -> val (replacing an earlier one) */
void names_put(Arena *a, NameIndex *ix, const char *name, int val);

/* ---- progress ----
 * A one-line report on standard error ("nerva: building ... (1.2 s)") while
 * something slow runs, when standard error is a terminal; a diagnostic
 * clears it before it prints. */
void progress_phase(const char *what);
void progress_redraw(void);     /* the elapsed time, again */
int progress_active(void);
void progress_done(void);

/* ---- numbers ---- */
/* shortest decimal text that reads back to exactly `v` (C syntax, no locale) */
void fmt_double(char *buf, size_t n, double v);
void fmt_float(char *buf, size_t n, float v);
/* strict full-string number parse; returns 0 when `s` is not a number */
int parse_double(const char *s, double *out);
int parse_long(const char *s, long long *out);

/* 64-bit FNV-1a, for content-hash caches */
uint64_t hash_bytes(uint64_t h, const void *p, size_t n);
#define HASH_SEED 1469598103934665603ULL

int read_file(const char *path, char **data, size_t *len, size_t max);

#endif
