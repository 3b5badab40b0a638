/* codec_json.c: JSON records, one object per message, fields by name.
 *
 * Messages are untrusted: the scanner checks the whole message against the
 * JSON grammar (RFC 8259), bounds nesting, and never reads past the
 * message's bytes.  A field's JSON type must fit the model's type: numbers
 * (or numeric strings) for numeric fields, strings (or numbers, taken as
 * their text) for string fields, true/false for booleans; null or an absent
 * member is a missing value.  Anything else makes the record bad (kind
 * "type"), and the harness dead-letters it. */
#include "codec_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct scan {
    const char *p, *start, *end;
    const char *err;
} scan;

static void ws(scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static int fail(scan *s, const char *msg)
{
    if (!s->err)
        s->err = msg;
    return -1;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

static int hex4(scan *s, unsigned *u)
{
    if (s->end - s->p < 4)
        return fail(s, "truncated \\u escape");
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hexval(s->p[k]);
        if (h < 0)
            return fail(s, "bad \\u escape");
        v = v * 16 + (unsigned)h;
    }
    s->p += 4;
    *u = v;
    return 0;
}

static void put_utf8(nvc_buf *out, unsigned u)
{
    char b[4];
    size_t n;
    if (u < 0x80) {
        b[0] = (char)u;
        n = 1;
    } else if (u < 0x800) {
        b[0] = (char)(0xC0 | (u >> 6));
        b[1] = (char)(0x80 | (u & 63));
        n = 2;
    } else if (u < 0x10000) {
        b[0] = (char)(0xE0 | (u >> 12));
        b[1] = (char)(0x80 | ((u >> 6) & 63));
        b[2] = (char)(0x80 | (u & 63));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | (u >> 18));
        b[1] = (char)(0x80 | ((u >> 12) & 63));
        b[2] = (char)(0x80 | ((u >> 6) & 63));
        b[3] = (char)(0x80 | (u & 63));
        n = 4;
    }
    nvc_buf_put(out, b, n);
}

/* A string at s->p (on its opening quote).  Sets [*b, *e) to the raw text
   between the quotes; when it has escapes and `out` is given, the unescaped
   text goes to out (and *esc = 1).  The text must be UTF-8 (no overlong
   forms, no surrogates, nothing past U+10FFFF) and escapes of surrogates
   must pair: JSON text is Unicode, and what is copied through to a result
   must read back as JSON. */
static int string(scan *s, const char **b, const char **e, int *esc, nvc_buf *out)
{
    /* bytes that end a plain run: the quote, backslash, control characters,
       and the first byte of a multi-byte character (checked on its own) */
    static unsigned char stop[256];
    if (!stop['"'])
        for (int c = 0; c < 256; c++)
            stop[c] = c < 0x20 || c == '"' || c == '\\' || c >= 0x80;
    s->p++;
    *b = s->p;
    *esc = 0;
    while (s->p < s->end) {
        const char *q = s->p;
        while (q < s->end && !stop[(unsigned char)*q])
            q++;
        if (*esc && out)
            nvc_buf_put(out, s->p, (size_t)(q - s->p));
        s->p = q;
        if (q == s->end)
            break;
        unsigned char ch = (unsigned char)*s->p;
        if (ch == '"') {
            *e = s->p++;
            return 0;
        }
        if (ch < 0x20)
            return fail(s, "control character in a string");
        if (ch >= 0x80) {
            size_t n = nvc_utf8_len(s->p, (size_t)(s->end - s->p));
            if (!n)
                return fail(s, "invalid UTF-8 in a string");
            if (*esc && out)
                nvc_buf_put(out, s->p, n);
            s->p += n;
            continue;
        }
        if (!*esc && out) {
            out->len = 0;
            nvc_buf_put(out, *b, (size_t)(s->p - *b));
        }
        *esc = 1;
        s->p++;
        if (s->p >= s->end)
            return fail(s, "unterminated string");
        char c = *s->p++;
        unsigned u = 0;
        switch (c) {
        case '"': case '\\': case '/': u = (unsigned char)c; break;
        case 'b': u = '\b'; break;
        case 'f': u = '\f'; break;
        case 'n': u = '\n'; break;
        case 'r': u = '\r'; break;
        case 't': u = '\t'; break;
        case 'u':
            if (hex4(s, &u))
                return -1;
            if (u >= 0xD800 && u < 0xDC00) {
                unsigned lo;
                if (s->end - s->p < 2 || s->p[0] != '\\' || s->p[1] != 'u')
                    return fail(s, "unpaired surrogate in \\u escape");
                s->p += 2;
                if (hex4(s, &lo))
                    return -1;
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return fail(s, "unpaired surrogate in \\u escape");
                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
            } else if (u >= 0xDC00 && u < 0xE000) {
                return fail(s, "unpaired surrogate in \\u escape");
            }
            break;
        default:
            return fail(s, "bad escape in a string");
        }
        if (out)
            put_utf8(out, u);
    }
    return fail(s, "unterminated string");
}

/* a number per the JSON grammar; [*b, *e) its text */
static int number(scan *s, const char **b, const char **e)
{
    const char *p = s->p;
    *b = p;
    if (p < s->end && *p == '-')
        p++;
    if (p < s->end && *p == '0')
        p++;
    else if (p < s->end && *p >= '1' && *p <= '9')
        while (p < s->end && *p >= '0' && *p <= '9')
            p++;
    else
        return fail(s, "bad number");
    if (p < s->end && *p == '.') {
        p++;
        if (!(p < s->end && *p >= '0' && *p <= '9'))
            return fail(s, "bad number");
        while (p < s->end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < s->end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < s->end && (*p == '+' || *p == '-'))
            p++;
        if (!(p < s->end && *p >= '0' && *p <= '9'))
            return fail(s, "bad number");
        while (p < s->end && *p >= '0' && *p <= '9')
            p++;
    }
    *e = s->p = p;
    return 0;
}

static int word(scan *s, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n) != 0)
        return fail(s, "unexpected text");
    s->p += n;
    return 0;
}

static int skip_value(scan *s, int depth)
{
    const char *b, *e;
    int esc;
    if (depth > NVC_MAX_DEPTH)
        return fail(s, "nested too deeply");
    ws(s);
    if (s->p >= s->end)
        return fail(s, "unexpected end");
    switch (*s->p) {
    case '"': return string(s, &b, &e, &esc, NULL);
    case 't': return word(s, "true");
    case 'f': return word(s, "false");
    case 'n': return word(s, "null");
    case '[': case '{': {
        char close = *s->p == '[' ? ']' : '}';
        int obj = close == '}';
        s->p++;
        ws(s);
        if (s->p < s->end && *s->p == close) {
            s->p++;
            return 0;
        }
        for (;;) {
            if (obj) {
                ws(s);
                if (s->p >= s->end || *s->p != '"')
                    return fail(s, "expected a member name");
                if (string(s, &b, &e, &esc, NULL))
                    return -1;
                ws(s);
                if (s->p >= s->end || *s->p != ':')
                    return fail(s, "expected ':'");
                s->p++;
            }
            if (skip_value(s, depth + 1))
                return -1;
            ws(s);
            if (s->p < s->end && *s->p == ',') {
                s->p++;
                continue;
            }
            if (s->p < s->end && *s->p == close) {
                s->p++;
                return 0;
            }
            return fail(s, obj ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
    default:
        return number(s, &b, &e);
    }
}

/* one member value into model input f */
static int member_value(nvc_batch *b, size_t i, int f, scan *s, nvc_buf *tmp)
{
    const char *name = b->c->m->inputs[f].name;
    const char *vb, *ve;
    int esc;
    ws(s);
    if (s->p >= s->end)
        return fail(s, "unexpected end");
    char ch = *s->p;
    if (ch == 'n') {
        if (word(s, "null"))
            return -1;
        nvc_set_state(b, i, f, NERVA_MISSING);
        return 0;
    }
    if (ch == 't' || ch == 'f') {
        if (word(s, ch == 't' ? "true" : "false"))
            return -1;
        int type = b->c->m->inputs[f].type;
        if (type == NERVA_STRING)
            return nvc_set_text(b, i, f, ch == 't' ? "true" : "false", ch == 't' ? 4 : 5);
        if (nvc_set_bool(b, i, f, ch == 't'))
            return nvc_bad(b, i, "type", "field '%s': a boolean where the model wants a number", name);
        return 0;
    }
    if (ch == '"') {
        if (string(s, &vb, &ve, &esc, tmp))
            return -1;
        const char *t = esc ? tmp->data : vb;
        size_t n = esc ? tmp->len : (size_t)(ve - vb);
        if (esc && memchr(t, 0, n))
            return nvc_bad(b, i, "type", "field '%s': NUL character in a string", name);
        if (nvc_set_text(b, i, f, t, n))
            return nvc_bad(b, i, "type", "field '%s': \"%.*s\" is not a %s", name, (int)(n > 40 ? 40 : n), t,
                           b->c->m->inputs[f].type == NERVA_BOOL ? "boolean" : "number");
        return 0;
    }
    if (ch == '{' || ch == '[') {
        if (skip_value(s, 1))
            return -1;
        return nvc_bad(b, i, "type", "field '%s': an %s where the model wants a value", name,
                       ch == '{' ? "object" : "array");
    }
    if (number(s, &vb, &ve))
        return -1;
    if (nvc_set_text(b, i, f, vb, (size_t)(ve - vb)))
        return nvc_bad(b, i, "type", "field '%s': %.*s is not a value of its type", name,
                       (int)(ve - vb > 40 ? 40 : ve - vb), vb);
    return 0;
}

int nvc_json_decode(nvc_batch *b, size_t i, const char *p, size_t len)
{
    const nvc_codec *c = b->c;
    scan s = {p, p, p + len, NULL};
    nvc_buf tmp = {0};
    int rc = -1;
    ws(&s);
    if (s.p >= s.end || *s.p != '{') {
        fail(&s, "a record must be a JSON object");
        goto out;
    }
    s.p++;
    ws(&s);
    if (s.p < s.end && *s.p == '}') {
        s.p++;
    } else {
        for (;;) {
            const char *kb, *ke, *mb = s.p;
            int esc;
            ws(&s);
            if (s.p >= s.end || *s.p != '"') {
                fail(&s, "expected a member name");
                goto out;
            }
            if (string(&s, &kb, &ke, &esc, &tmp))
                goto out;
            const char *key = esc ? tmp.data : kb;
            size_t klen = esc ? tmp.len : (size_t)(ke - kb);
            int f = nvc_input_index(c, key, klen);
            int shadowed = c->o.passthrough && nvc_output_index(c, key, klen) >= 0;
            ws(&s);
            if (s.p >= s.end || *s.p != ':') {
                fail(&s, "expected ':'");
                goto out;
            }
            s.p++;
            if (f >= 0) {
                if (member_value(b, i, f, &s, &tmp)) {
                    if (b->status[i] != NVC_OK)
                        goto done; /* a type error: already described */
                    goto out;
                }
            } else if (skip_value(&s, 1)) {
                goto out;
            }
            if (c->o.passthrough) {
                while (mb < s.p && (*mb == ' ' || *mb == '\t' || *mb == '\n' || *mb == '\r' || *mb == ','))
                    mb++;
                nvc_span_add(b, i, (size_t)(mb - p), (size_t)(s.p - mb), shadowed ? 1 : -1);
            }
            ws(&s);
            if (s.p < s.end && *s.p == ',') {
                s.p++;
                continue;
            }
            if (s.p < s.end && *s.p == '}') {
                s.p++;
                break;
            }
            fail(&s, "expected ',' or '}'");
            goto out;
        }
    }
    ws(&s);
    if (s.p != s.end) {
        fail(&s, "text after the record");
        goto out;
    }
    rc = 0;
    goto done;
out:
    nvc_bad(b, i, "parse", "JSON at byte %ld: %s", (long)(s.p - p), s.err ? s.err : "bad JSON");
done:
    nvc_buf_free(&tmp);
    return b->status[i] == NVC_OK || b->status[i] == NVC_INVALID ? rc : -1;
}

/* -1 when the value cannot be JSON (a string that is not UTF-8) */
static int put_value(nvc_buf *out, nvc_value v)
{
    char num[64];
    if (v.state != NERVA_PRESENT) {
        nvc_buf_put(out, "null", 4);
        return 0;
    }
    switch (v.type) {
    case NERVA_DOUBLE:
    case NERVA_FLOAT: {
        int n = nvc_format_double(v.d, num, sizeof num);
        if (v.d != v.d || v.d - v.d != 0)
            nvc_json_string(out, num, (size_t)n);
        else
            nvc_buf_put(out, num, (size_t)n);
        break;
    }
    case NERVA_LONG: nvc_buf_put(out, num, (size_t)snprintf(num, sizeof num, "%lld", v.l)); break;
    case NERVA_BOOL: nvc_buf_puts(out, v.l ? "true" : "false"); break;
    case NERVA_STRING: return nvc_json_string(out, v.s, strlen(v.s));
    default: nvc_buf_put(out, "null", 4); break;
    }
    return 0;
}

/* "name":value, after a comma unless it is the first; -1 as put_value */
static int member(nvc_buf *out, int *first, const char *key, size_t klen, nvc_value v)
{
    if (!*first)
        nvc_buf_put(out, ",", 1);
    *first = 0;
    nvc_buf_put(out, key, klen);
    return put_value(out, v);
}

int nvc_json_encode(nvc_batch *b, size_t i, nvc_buf *out)
{
    const nvc_codec *c = b->c;
    const nerva_model *m = c->m;
    int first = 1;
    nvc_buf_put(out, "{", 1);
    if (c->o.passthrough && c->o.in_format == NVC_JSON) {
        for (size_t k = 0; k < b->span_count[i]; k++) {
            const nvc_span *sp = &b->spans[b->span_first[i] + k];
            if (sp->tag != -1)
                continue;
            if (!first)
                nvc_buf_put(out, ",", 1);
            nvc_buf_put(out, b->src[i] + sp->off, sp->len);
            first = 0;
        }
    } else if (c->o.passthrough) {
        for (int j = 0; j < m->n_inputs; j++)
            if (nvc_output_index(c, m->inputs[j].name, strlen(m->inputs[j].name)) < 0 &&
                member(out, &first, c->in_key[j], c->in_key_len[j], nvc_in_value(b, i, j)))
                return nvc_bad(b, i, "encode", "input field '%s': the text is not UTF-8, so not JSON",
                               m->inputs[j].name);
    }
    for (int j = 0; j < m->n_outputs; j++)
        if (member(out, &first, c->out_key[j], c->out_key_len[j], nvc_out_value(b, i, j)))
            return nvc_bad(b, i, "encode", "output field '%s': the text is not UTF-8, so not JSON",
                           m->outputs[j].name);
    nvc_buf_put(out, "}", 1);
    return 0;
}
