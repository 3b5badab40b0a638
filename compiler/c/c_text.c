/* C source text for generated code: comments that cannot end early, string
 * literals that read back exactly, and floating constants that round-trip.
 * Both backends print model text only through these. */
#include "c_text.h"

#include <stdio.h>
#include <stdint.h>
#include <string.h>

/* text safe inside a C block comment: printable ASCII, no comment end */
void comment_text(StrBuf *o, const char *s, size_t max)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && n < max; p++, n++) {
        if (*p == '*' && p[1] == '/') {
            sb_puts(o, "* ");
            continue;
        }
        if (*p == '/' && p[1] == '*') {
            sb_puts(o, "/ ");
            continue;
        }
        if (*p < 0x20 || *p >= 0x7f)
            sb_putc(o, '?');
        else
            sb_putc(o, (char)*p);
    }
    if (*s && n >= max)
        sb_puts(o, "...");
}

/* a C string literal that reads back as exactly `s` */
const char *c_string(Arena *a, const char *s)
{
    StrBuf b;
    sb_init(&b);
    sb_putc(&b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned c = *p;
        if (c == '"' || c == '\\')
            sb_printf(&b, "\\%c", c);
        else if (c == '?')
            sb_puts(&b, "\\?");          /* no trigraphs */
        else if (c < 0x20 || c >= 0x7f)
            sb_printf(&b, "\\%03o", c);  /* octal: at most 3 digits, unambiguous */
        else
            sb_putc(&b, (char)c);
    }
    sb_putc(&b, '"');
    const char *r = arena_strdup(a, b.data);
    sb_free(&b);
    return r;
}

void c_num_text(char *buf, size_t n, double v, int is_float)
{
    if (is_float)
        fmt_float(buf, n, (float)v);
    else
        fmt_double(buf, n, v);
    if (strcmp(buf, "NAN") == 0 || strstr(buf, "INFINITY")) {
        snprintf(buf, n, "%s%s%s", v != v || v > 0 ? "" : "-", v != v ? "NAN" : "HUGE_VAL",
                 v == v && is_float ? "F" : "");
        return;
    }
    /* make it a floating constant */
    size_t k = strlen(buf);
    if (!strpbrk(buf, ".eE") && k + 2 < n) {
        strcpy(buf + k, ".0");
        k += 2;
    }
    if (is_float && k + 1 < n)
        strcpy(buf + k, "f");
}

const char *c_double(Arena *a, double v)
{
    char buf[64];
    c_num_text(buf, sizeof buf, v, 0);
    return buf[0] == '-' ? arena_printf(a, "(%s)", buf) : arena_strdup(a, buf);
}

const char *c_float(Arena *a, float v)
{
    char buf[64];
    c_num_text(buf, sizeof buf, v, 1);
    return buf[0] == '-' ? arena_printf(a, "(%s)", buf) : arena_strdup(a, buf);
}

/* a C string literal of n bytes (NULs included) */
/* appends the literal to b: the tables of large forests are megabytes of
   bytes, so no printf per byte, and short escapes (\\0 for a zero byte) */
void c_string_put(StrBuf *b, const char *s, size_t n)
{
    char line[64 * 4 + 16]; /* one line of the literal: 64 bytes, each at most 4 characters */
    size_t k = 0;
    line[k++] = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned c = (unsigned char)s[i];
        if (c == '"' || c == '\\' || c == '?') {
            line[k++] = '\\';
            line[k++] = (char)c;
        } else if (c < 0x20 || c >= 0x7f) {
            /* the fewest octal digits, three when an octal digit follows
               (it would extend the escape; a line's end is a quote) */
            unsigned next = i + 1 < n && i % 64 != 63 ? (unsigned char)s[i + 1] : 0;
            int full = next >= '0' && next <= '7';
            line[k++] = '\\';
            if (full || c >= 64)
                line[k++] = (char)('0' + (c >> 6));
            if (full || c >= 8)
                line[k++] = (char)('0' + ((c >> 3) & 7));
            line[k++] = (char)('0' + (c & 7));
        } else
            line[k++] = (char)c;
        if (i % 64 == 63 && i + 1 < n) {
            memcpy(line + k, "\"\n    \"", 7);
            sb_putn(b, line, k + 7);
            k = 0;
        }
    }
    line[k++] = '"';
    sb_putn(b, line, k);
}

/* v's low width bytes, little-endian, onto o; and a number's IEEE bits
   (a float's 4 or a double's 8) the same way: the byte tables of trees,
   which runtime/lib/trees.c (section le) reads back */
void c_put_le(StrBuf *o, uint64_t v, int width)
{
    char b[8];
    for (int i = 0; i < width; i++)
        b[i] = (char)(unsigned char)(v >> (8 * i));
    sb_putn(o, b, (size_t)width);
}

void c_put_bits(StrBuf *o, double v, int is_float)
{
    if (is_float) {
        float f = (float)v;
        uint32_t u;
        memcpy(&u, &f, sizeof u);
        c_put_le(o, u, 4);
    } else {
        uint64_t u;
        memcpy(&u, &v, sizeof u);
        c_put_le(o, u, 8);
    }
}

const char *c_string_n(Arena *a, const char *s, size_t n)
{
    StrBuf b;
    sb_init(&b);
    c_string_put(&b, s, n);
    const char *r = arena_strdup(a, b.data);
    sb_free(&b);
    return r;
}

const char *c_comment_end(const char *p, const char *end)
{
    for (; p + 1 < end; p++)
        if (p[0] == '*' && p[1] == '/')
            return p + 2;
    return end;
}
