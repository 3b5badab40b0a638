/* A JSON tree (JVal) written as JSON text: what `nerva convert` prints of a
 * PrettyPFA document.  Members keep their order; doubles are written in the
 * shortest form that reads back to the same value, always with a '.' or an
 * exponent so that they stay doubles; strings are UTF-8 with JSON's escapes.
 * Pretty output puts a value on one line when it fits, else one member or
 * item per line. */
#include "write_json.h"

#include <string.h>

static void write_string(StrBuf *o, const char *s, size_t n)
{
    sb_putc(o, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': sb_puts(o, "\\\""); break;
        case '\\': sb_puts(o, "\\\\"); break;
        case '\n': sb_puts(o, "\\n"); break;
        case '\t': sb_puts(o, "\\t"); break;
        case '\r': sb_puts(o, "\\r"); break;
        case '\b': sb_puts(o, "\\b"); break;
        case '\f': sb_puts(o, "\\f"); break;
        default:
            if (c < 0x20 || c == 0x7f)
                sb_printf(o, "\\u%04x", c);
            else
                sb_putc(o, (char)c);
        }
    }
    sb_putc(o, '"');
}

void json_write_double(StrBuf *o, double d)
{
    char buf[64];
    fmt_double(buf, sizeof buf, d);
    sb_puts(o, buf);
    if (!strpbrk(buf, ".eEn"))
        sb_puts(o, ".0");
}

static void write_compact(StrBuf *o, const JVal *v)
{
    switch (v->kind) {
    case J_NULL: sb_puts(o, "null"); break;
    case J_BOOL: sb_puts(o, v->b ? "true" : "false"); break;
    case J_INT: sb_printf(o, "%lld", v->i); break;
    case J_REAL: json_write_double(o, v->d); break;
    case J_STR: write_string(o, v->s, v->slen); break;
    case J_ARR:
        sb_putc(o, '[');
        for (int i = 0; i < v->n; i++) {
            if (i)
                sb_puts(o, ", ");
            write_compact(o, v->items[i]);
        }
        sb_putc(o, ']');
        break;
    case J_OBJ:
        sb_putc(o, '{');
        for (int i = 0; i < v->n; i++) {
            if (i)
                sb_puts(o, ", ");
            write_string(o, v->keys[i], v->klens[i]);
            sb_puts(o, ": ");
            write_compact(o, v->items[i]);
        }
        sb_putc(o, '}');
        break;
    }
}

static void write_pretty(StrBuf *o, const JVal *v, int ind, int width)
{
    if (v->kind != J_ARR && v->kind != J_OBJ) {
        write_compact(o, v);
        return;
    }
    StrBuf c;
    sb_init(&c);
    write_compact(&c, v);
    if ((int)c.len + ind <= width || v->n == 0) {
        sb_putn(o, c.data, c.len);
        sb_free(&c);
        return;
    }
    sb_free(&c);
    sb_putc(o, v->kind == J_ARR ? '[' : '{');
    for (int i = 0; i < v->n; i++) {
        sb_printf(o, "%s\n%*s", i ? "," : "", ind + 2, "");
        if (v->kind == J_OBJ) {
            write_string(o, v->keys[i], v->klens[i]);
            sb_puts(o, ": ");
        }
        write_pretty(o, v->items[i], ind + 2, width);
    }
    sb_printf(o, "\n%*s%c", ind, "", v->kind == J_ARR ? ']' : '}');
}

void json_write(StrBuf *o, const JVal *v, int pretty)
{
    if (pretty)
        write_pretty(o, v, 0, 100);
    else
        write_compact(o, v);
}
