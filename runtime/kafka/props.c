/* props.c: Java properties files (-F), as java.util.Properties reads them.
 *
 * Why: the files Kafka's own tools and Kafka Streams applications are
 * configured with are Java properties -- `key = value`, `key: value` or
 * `key value`, `#` and `!` comments, backslash escapes and continuation
 * lines -- and a harness running beside them should read the same file.
 * Each entry is handed to a callback with its line number, so that a key
 * nobody knows is reported as FILE:LINE. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hexv(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* one logical line's key or value, unescaped, from [p, end) into out */
static int unescape(const char *p, const char *end, nvc_buf *out, char *err, size_t errlen)
{
    out->len = 0;
    while (p < end) {
        char c = *p++;
        if (c != '\\' || p == end) {
            nvc_buf_put(out, &c, 1);
            continue;
        }
        c = *p++;
        if (c == 'u') {
            unsigned u = 0;
            for (int k = 0; k < 4; k++) {
                int h = p + k < end ? hexv(p[k]) : -1;
                if (h < 0) {
                    snprintf(err, errlen, "a \\u escape needs four hex digits");
                    return -1;
                }
                u = u * 16 + (unsigned)h;
            }
            p += 4;
            char b[3];
            size_t n = u < 0x80 ? 1 : u < 0x800 ? 2 : 3;
            if (n == 1)
                b[0] = (char)u;
            else if (n == 2)
                b[0] = (char)(0xC0 | (u >> 6)), b[1] = (char)(0x80 | (u & 63));
            else
                b[0] = (char)(0xE0 | (u >> 12)), b[1] = (char)(0x80 | ((u >> 6) & 63)), b[2] = (char)(0x80 | (u & 63));
            nvc_buf_put(out, b, n);
            continue;
        }
        c = c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c == 'f' ? '\f' : c;
        nvc_buf_put(out, &c, 1);
    }
    nvc_buf_put(out, "", 1);
    return 0;
}

static int blank(char c) { return c == ' ' || c == '\t' || c == '\f'; }

int hx_props_parse(const char *text, hx_prop_cb cb, void *ctx, char *err, size_t errlen)
{
    nvc_buf logical = {0}, key = {0}, val = {0};
    const char *p = text;
    int lineno = 0, rc = 0;
    while (*p && !rc) {
        /* a logical line: natural lines joined where one ends in an odd
           number of backslashes, the next one's leading blanks dropped */
        int first = ++lineno;
        logical.len = 0;
        for (;;) {
            while (logical.len == 0 ? blank(*p) : 0)
                p++;
            const char *e = p;
            while (*e && *e != '\n' && *e != '\r')
                e++;
            size_t bs = 0;
            for (const char *q = e; q > p && q[-1] == '\\'; q--)
                bs++;
            int more = bs % 2 == 1 && *e;
            nvc_buf_put(&logical, p, (size_t)(e - p) - (more ? 1 : 0));
            p = e;
            if (*p == '\r' && p[1] == '\n')
                p++;
            if (*p)
                p++;
            if (!more)
                break;
            lineno++;
            while (blank(*p))
                p++;
        }
        const char *s = logical.data ? logical.data : "", *end = s + logical.len;
        if (s == end || *s == '#' || *s == '!')
            continue;
        /* the key ends at an unescaped '=', ':' or blank */
        const char *k = s;
        while (k < end && *k != '=' && *k != ':' && !blank(*k))
            k += *k == '\\' && k + 1 < end ? 2 : 1;
        const char *v = k;
        while (v < end && blank(*v))
            v++;
        if (v < end && (*v == '=' || *v == ':'))
            v++;
        while (v < end && blank(*v))
            v++;
        char why[200];
        if (unescape(s, k, &key, why, sizeof why) || unescape(v, end, &val, why, sizeof why)) {
            snprintf(err, errlen, "line %d: %s", first, why);
            rc = -1;
            break;
        }
        rc = cb(ctx, key.data, val.data, first, err, errlen);
    }
    nvc_buf_free(&logical);
    nvc_buf_free(&key);
    nvc_buf_free(&val);
    return rc;
}
