/* avro_schema.c: Avro schemas (.avsc text, or a registry's answer) read
 * into types the codec walks.
 *
 * Why here, with jansson: schemas are configuration, but also what a Schema
 * Registry sends for each writer, so they are read by a real JSON library
 * rather than by hand.  Named types get their full names (namespaces
 * inherited as the specification says), record fields keep their aliases
 * and their defaults -- encoded once, here, in Avro binary, because schema
 * resolution writes a reader's default for every field the writer lacks --
 * and enums keep their default symbol. */
#include "codec_int.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *prim_names[] = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"};

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        abort();
    return p;
}

static avro_type *new_type(avro_schema *s, int kind)
{
    avro_type *t = xcalloc(1, sizeof *t);
    if (s->n == s->cap && !(s->all = realloc(s->all, (size_t)(s->cap = s->cap * 2 + 16) * sizeof *s->all)))
        abort();
    s->all[s->n++] = t;
    t->kind = kind;
    t->enum_default = -1;
    return t;
}

void avro_free(avro_schema *s)
{
    if (!s)
        return;
    for (int k = 0; k < s->n; k++) {
        avro_type *t = s->all[k];
        free(t->name);
        for (int j = 0; t->names && j < t->n; j++) {
            free(t->names[j]);
            if (t->aliases && t->aliases[j]) {
                for (char **a = t->aliases[j]; *a; a++)
                    free(*a);
                free(t->aliases[j]);
            }
            if (t->defaults)
                nvc_buf_free(&t->defaults[j]);
        }
        free(t->names);
        free(t->aliases);
        free(t->defaults);
        free(t->has_default);
        free(t->sub);
        free(t);
    }
    free(s->all);
    free(s);
}

const char *avro_short(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot ? dot + 1 : name;
}

static char *full_name(const char *name, const char *ns)
{
    size_t n = strlen(name) + (ns ? strlen(ns) : 0) + 2;
    char *f = xcalloc(n, 1);
    if (strchr(name, '.') || !ns || !*ns)
        snprintf(f, n, "%s", name);
    else
        snprintf(f, n, "%s.%s", ns, name);
    return f;
}

/* the namespace part of a full name, as a new string ("" for none) */
static char *ns_of(const char *full)
{
    const char *dot = strrchr(full, '.');
    return dot ? strndup(full, (size_t)(dot - full)) : strdup("");
}

static avro_type *find_named(avro_schema *s, const char *ref, const char *ns)
{
    char *f = full_name(ref, ns);
    avro_type *hit = NULL;
    for (int pass = 0; pass < 3 && !hit; pass++)
        for (int k = 0; k < s->n && !hit; k++) {
            const char *n = s->all[k]->name;
            if (n && (pass == 0 ? !strcmp(n, f) : pass == 1 ? !strcmp(n, ref) : !strcmp(avro_short(n), ref)))
                hit = s->all[k];
        }
    free(f);
    return hit;
}

typedef struct pctx {
    avro_schema *s;
    char *err;
    size_t errlen;
} pctx;

static int bad(pctx *x, const char *fmt, const char *a)
{
    snprintf(x->err, x->errlen, fmt, a);
    return -1;
}

/* ---- defaults, encoded for the type they are written as ---- */

static void put_le(nvc_buf *out, double d, int n)
{
    unsigned char buf[8];
    unsigned long long v;
    if (n == 4) {
        float x = (float)d;
        uint32_t u;
        memcpy(&u, &x, 4);
        v = u;
    } else {
        memcpy(&v, &d, 8);
    }
    for (int k = 0; k < n; k++, v >>= 8)
        buf[k] = (unsigned char)(v & 255);
    nvc_buf_put(out, buf, (size_t)n);
}

void avro_put_long(nvc_buf *out, long long v)
{
    unsigned long long z = ((unsigned long long)v << 1) ^ (unsigned long long)(v >> 63);
    unsigned char buf[10];
    size_t n = 0;
    do {
        unsigned char byte = z & 127;
        z >>= 7;
        buf[n++] = (unsigned char)(byte | (z ? 128 : 0));
    } while (z);
    nvc_buf_put(out, buf, n);
}

void avro_put_double(nvc_buf *out, double d, int size) { put_le(out, d, size); }

/* bytes and fixed defaults are strings of code points 0-255 */
static int latin1(const char *s, nvc_buf *out)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (*p < 0x80) {
            nvc_buf_put(out, p++, 1);
        } else if ((*p == 0xC2 || *p == 0xC3) && (p[1] & 0xC0) == 0x80) {
            unsigned char c = (unsigned char)(((*p & 3) << 6) | (p[1] & 63));
            nvc_buf_put(out, &c, 1);
            p += 2;
        } else {
            return -1;
        }
    }
    return 0;
}

static int encode_default(const avro_type *t, const json_t *j, nvc_buf *out, int depth)
{
    if (depth > NVC_MAX_DEPTH)
        return -1;
    switch (t->kind) {
    case AV_NULL: return json_is_null(j) ? 0 : -1;
    case AV_BOOL:
        if (!json_is_boolean(j))
            return -1;
        nvc_buf_put(out, json_is_true(j) ? "\1" : "\0", 1);
        return 0;
    case AV_INT: case AV_LONG:
        if (!json_is_integer(j))
            return -1;
        if (t->kind == AV_INT && (json_integer_value(j) < -2147483648LL || json_integer_value(j) > 2147483647LL))
            return -1;
        avro_put_long(out, json_integer_value(j));
        return 0;
    case AV_FLOAT: case AV_DOUBLE:
        if (!json_is_number(j))
            return -1;
        put_le(out, json_number_value(j), t->kind == AV_FLOAT ? 4 : 8);
        return 0;
    case AV_STRING:
        if (!json_is_string(j))
            return -1;
        avro_put_long(out, (long long)json_string_length(j));
        nvc_buf_put(out, json_string_value(j), json_string_length(j));
        return 0;
    case AV_BYTES: case AV_FIXED: {
        nvc_buf b = {0};
        int rc = json_is_string(j) ? latin1(json_string_value(j), &b) : -1;
        if (!rc && t->kind == AV_FIXED && (long)b.len != t->size)
            rc = -1;
        if (!rc) {
            if (t->kind == AV_BYTES)
                avro_put_long(out, (long long)b.len);
            nvc_buf_put(out, b.data, b.len);
        }
        nvc_buf_free(&b);
        return rc;
    }
    case AV_ENUM:
        for (int k = 0; json_is_string(j) && k < t->n; k++)
            if (!strcmp(t->names[k], json_string_value(j))) {
                avro_put_long(out, k);
                return 0;
            }
        return -1;
    case AV_ARRAY: {
        if (!json_is_array(j))
            return -1;
        if (json_array_size(j)) {
            avro_put_long(out, (long long)json_array_size(j));
            for (size_t k = 0; k < json_array_size(j); k++)
                if (encode_default(t->sub[0], json_array_get(j, k), out, depth + 1))
                    return -1;
        }
        avro_put_long(out, 0);
        return 0;
    }
    case AV_MAP: {
        if (!json_is_object(j))
            return -1;
        const char *key;
        json_t *v;
        if (json_object_size(j)) {
            avro_put_long(out, (long long)json_object_size(j));
            json_object_foreach((json_t *)j, key, v) {
                avro_put_long(out, (long long)strlen(key));
                nvc_buf_puts(out, key);
                if (encode_default(t->sub[0], v, out, depth + 1))
                    return -1;
            }
        }
        avro_put_long(out, 0);
        return 0;
    }
    case AV_RECORD:
        if (!json_is_object(j))
            return -1;
        for (int k = 0; k < t->n; k++) {
            const json_t *v = json_object_get(j, t->names[k]);
            if (v) {
                if (encode_default(t->sub[k], v, out, depth + 1))
                    return -1;
            } else if (t->has_default[k]) {
                nvc_buf_put(out, t->defaults[k].data, t->defaults[k].len);
            } else {
                return -1;
            }
        }
        return 0;
    case AV_UNION:
        /* the first branch the value fits (the specification's first
           branch, and what later versions also accept) */
        for (int k = 0; k < t->n; k++) {
            nvc_buf b = {0};
            avro_put_long(&b, k);
            if (!encode_default(t->sub[k], j, &b, depth + 1)) {
                nvc_buf_put(out, b.data, b.len);
                nvc_buf_free(&b);
                return 0;
            }
            nvc_buf_free(&b);
        }
        return -1;
    }
    return -1;
}

/* ---- types ---- */

static avro_type *parse_type(pctx *x, const json_t *j, const char *ns, int depth);

static int parse_record(pctx *x, avro_type *t, const json_t *j, const char *ns, int depth)
{
    const json_t *fields = json_object_get(j, "fields");
    if (!json_is_array(fields))
        return bad(x, "record '%s' needs a fields array", t->name);
    t->n = (int)json_array_size(fields);
    t->sub = xcalloc((size_t)t->n, sizeof *t->sub);
    t->names = xcalloc((size_t)t->n, sizeof *t->names);
    t->aliases = xcalloc((size_t)t->n, sizeof *t->aliases);
    t->defaults = xcalloc((size_t)t->n, sizeof *t->defaults);
    t->has_default = xcalloc((size_t)t->n, 1);
    for (int k = 0; k < t->n; k++) {
        const json_t *f = json_array_get(fields, (size_t)k);
        const json_t *fn = json_object_get(f, "name"), *ft = json_object_get(f, "type");
        if (!json_is_string(fn) || !ft) {
            char where[300];
            snprintf(where, sizeof where, "record '%s': field %d", t->name, k + 1);
            return bad(x, "%s needs a name and a type", where);
        }
        t->names[k] = strdup(json_string_value(fn));
        if (!(t->sub[k] = parse_type(x, ft, ns, depth + 1)))
            return -1;
        const json_t *al = json_object_get(f, "aliases");
        if (json_is_array(al)) {
            t->aliases[k] = xcalloc(json_array_size(al) + 1, sizeof(char *));
            for (size_t a = 0, n = 0; a < json_array_size(al); a++)
                if (json_is_string(json_array_get(al, a)))
                    t->aliases[k][n++] = strdup(json_string_value(json_array_get(al, a)));
        }
        const json_t *def = json_object_get(f, "default");
        if (def) {
            if (encode_default(t->sub[k], def, &t->defaults[k], 0)) {
                char where[300];
                snprintf(where, sizeof where, "%s.%s", t->name, t->names[k]);
                return bad(x, "field '%s': its default is not a value of its type", where);
            }
            t->has_default[k] = 1;
        }
    }
    return 0;
}

static avro_type *parse_type(pctx *x, const json_t *j, const char *ns, int depth)
{
    if (depth > NVC_MAX_DEPTH) {
        bad(x, "%s", "schema nested too deeply");
        return NULL;
    }
    if (json_is_string(j)) {
        const char *n = json_string_value(j);
        for (int k = 0; k < 8; k++)
            if (!strcmp(n, prim_names[k]))
                return new_type(x->s, k);
        avro_type *t = find_named(x->s, n, ns);
        if (!t)
            bad(x, "unknown type '%s'", n);
        return t;
    }
    if (json_is_array(j)) {
        avro_type *t = new_type(x->s, AV_UNION);
        t->n = (int)json_array_size(j);
        t->sub = xcalloc((size_t)t->n, sizeof *t->sub);
        for (int k = 0; k < t->n; k++)
            if (!(t->sub[k] = parse_type(x, json_array_get(j, (size_t)k), ns, depth + 1)))
                return NULL;
        return t;
    }
    const json_t *type = json_object_get(j, "type");
    if (!json_is_object(j) || !type) {
        bad(x, "%s", "a schema is a type name, an array (union) or an object with \"type\"");
        return NULL;
    }
    if (!json_is_string(type))
        return parse_type(x, type, ns, depth + 1);
    const char *tn = json_string_value(type);
    const json_t *name = json_object_get(j, "name");
    int named = !strcmp(tn, "record") || !strcmp(tn, "error") || !strcmp(tn, "enum") || !strcmp(tn, "fixed");
    if (named) {
        if (!json_is_string(name)) {
            bad(x, "a %s needs a name", tn);
            return NULL;
        }
        const json_t *nsj = json_object_get(j, "namespace");
        const char *own_ns = json_is_string(nsj) ? json_string_value(nsj) : ns;
        char *full = full_name(json_string_value(name), own_ns);
        char *inner = ns_of(full);
        avro_type *t = new_type(x->s, !strcmp(tn, "enum") ? AV_ENUM : !strcmp(tn, "fixed") ? AV_FIXED : AV_RECORD);
        t->name = full;
        int rc = 0;
        if (t->kind == AV_RECORD) {
            rc = parse_record(x, t, j, inner, depth);
        } else if (t->kind == AV_ENUM) {
            const json_t *syms = json_object_get(j, "symbols");
            if (!json_is_array(syms))
                rc = bad(x, "enum '%s' needs a symbols array", full);
            t->n = rc ? 0 : (int)json_array_size(syms);
            t->names = xcalloc((size_t)t->n, sizeof *t->names);
            for (int k = 0; !rc && k < t->n; k++) {
                if (!json_is_string(json_array_get(syms, (size_t)k))) {
                    rc = bad(x, "enum '%s': symbols are strings", full);
                    t->n = k;
                    break;
                }
                t->names[k] = strdup(json_string_value(json_array_get(syms, (size_t)k)));
            }
            const json_t *def = json_object_get(j, "default");
            for (int k = 0; !rc && json_is_string(def) && k < t->n; k++)
                if (!strcmp(t->names[k], json_string_value(def)))
                    t->enum_default = k;
        } else {
            const json_t *size = json_object_get(j, "size");
            if (!json_is_integer(size) || json_integer_value(size) < 0 || json_integer_value(size) > 1000000000)
                rc = bad(x, "fixed '%s' needs a size", full);
            else
                t->size = (long)json_integer_value(size);
        }
        free(inner);
        return rc ? NULL : t;
    }
    if (!strcmp(tn, "array") || !strcmp(tn, "map")) {
        int arr = !strcmp(tn, "array");
        const json_t *it = json_object_get(j, arr ? "items" : "values");
        if (!it) {
            bad(x, arr ? "%s needs items" : "%s needs values", tn);
            return NULL;
        }
        avro_type *t = new_type(x->s, arr ? AV_ARRAY : AV_MAP);
        t->n = 1;
        t->sub = xcalloc(1, sizeof *t->sub);
        return (t->sub[0] = parse_type(x, it, ns, depth + 1)) ? t : NULL;
    }
    /* a primitive with attributes, e.g. {"type": "long", "logicalType": ...} */
    return parse_type(x, type, ns, depth + 1);
}

avro_schema *avro_parse(const char *text, char *err, size_t errlen)
{
    json_error_t je;
    json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        snprintf(err, errlen, "line %d: %s", je.line, je.text);
        return NULL;
    }
    avro_schema *s = xcalloc(1, sizeof *s);
    pctx x = {s, err, errlen};
    s->root = parse_type(&x, j, "", 0);
    json_decref(j);
    if (!s->root) {
        avro_free(s);
        return NULL;
    }
    return s;
}

int avro_same(const avro_type *a, const avro_type *b, int depth)
{
    if (a == b)
        return 1;
    if (depth > NVC_MAX_DEPTH || a->kind != b->kind || a->n != b->n || a->size != b->size)
        return 0;
    if ((a->name || b->name) && (!a->name || !b->name || strcmp(a->name, b->name)))
        return 0;
    for (int k = 0; k < a->n; k++) {
        if (a->names && strcmp(a->names[k], b->names[k]))
            return 0;
        if (a->sub && !avro_same(a->sub[k], b->sub[k], depth + 1))
            return 0;
    }
    return 1;
}

int avro_field(const avro_type *rec, const char *name)
{
    for (int k = 0; k < rec->n; k++)
        if (!strcmp(rec->names[k], name))
            return k;
    return -1;
}
