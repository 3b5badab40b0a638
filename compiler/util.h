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
    int max_errors;     /* stop collecting after this many (default 50) */
    int quiet;          /* do not print (unit tests) */
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
