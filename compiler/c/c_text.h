/* C source text for generated code (see c_text.c). */
#ifndef NERVA_C_TEXT_H
#define NERVA_C_TEXT_H

#include <stdint.h>

#include "util.h"

/* text safe inside a C block comment: printable ASCII, no comment end */
void comment_text(StrBuf *o, const char *s, size_t max);
/* a C string literal that reads back as exactly `s` */
const char *c_string(Arena *a, const char *s);
/* the same for n bytes that may hold NULs (long ones split across lines) */
const char *c_string_n(Arena *a, const char *s, size_t n);
void c_string_put(StrBuf *b, const char *s, size_t n);
void c_put_le(StrBuf *o, uint64_t v, int width);
void c_put_bits(StrBuf *o, double v, int is_float);
/* floating constants that read back exactly (NaN and infinities too) */
const char *c_double(Arena *a, double v);
const char *c_float(Arena *a, float v);
/* the same text into buf (64 bytes do), a negative one without the
   parentheses c_double and c_float put around it */
void c_num_text(char *buf, size_t n, double v, int is_float);
/* in C text [p, end) that starts inside a block comment: just past its
   "*" "/", or end (a scan, not strstr, whose sanitizer check reads the whole
   rest of the text each time: quadratic over a unit's comments) */
const char *c_comment_end(const char *p, const char *end);

#endif
