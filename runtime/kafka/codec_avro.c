/* codec_avro.c: Avro binary records with local schemas (.avsc), optionally
 * in the Confluent wire format (magic byte 0, a 4-byte big-endian schema id,
 * then the Avro body).
 *
 * Input: the schema's top-level record is read field by field; a field whose
 * name is a model input fills it (int/long/float/double for numbers,
 * string/enum for strings, boolean; a union's null branch is a missing
 * value), every other field is skipped.  Output: each field of the output
 * schema is filled from the model output of the same name, or with
 * --passthrough from the input record's field of the same name and type
 * (copied as bytes) or the model input of that name; a field with none of
 * these must be nullable.  The decoder never reads past the message and
 * bounds nesting. */
#include "codec_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { AV_NULL, AV_BOOL, AV_INT, AV_LONG, AV_FLOAT, AV_DOUBLE, AV_BYTES, AV_STRING,
       AV_RECORD, AV_ENUM, AV_ARRAY, AV_MAP, AV_UNION, AV_FIXED };

struct avro_type {
    int kind;
    char *name;             /* named types */
    int n;
    avro_type **sub;        /* record fields, union branches, array items, map values */
    char **names;           /* record field names, enum symbols */
    long size;              /* fixed */
};

typedef struct avro_mem {
    avro_type **all;
    int n, cap;
} avro_mem;

static avro_type *new_type(avro_mem *mem, int kind)
{
    avro_type *t = calloc(1, sizeof *t);
    if (!t || (mem->n == mem->cap && !(mem->all = realloc(mem->all, (size_t)(mem->cap = mem->cap * 2 + 16) * sizeof *mem->all))))
        abort();
    mem->all[mem->n++] = t;
    t->kind = kind;
    return t;
}

static void free_mem(avro_mem *mem)
{
    if (!mem)
        return;
    for (int k = 0; k < mem->n; k++) {
        avro_type *t = mem->all[k];
        free(t->name);
        if (t->names)
            for (int j = 0; j < t->n; j++)
                free(t->names[j]);
        free(t->names);
        free(t->sub);
        free(t);
    }
    free(mem->all);
    free(mem);
}

static const char *prim_names[] = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"};

static avro_type *find_named(avro_mem *mem, const char *name)
{
    for (int k = 0; k < mem->n; k++) {
        const char *n = mem->all[k]->name;
        if (!n)
            continue;
        const char *dot = strrchr(n, '.');
        if (!strcmp(n, name) || (dot && !strcmp(dot + 1, name)))
            return mem->all[k];
    }
    return NULL;
}

static avro_type *parse_type(avro_mem *mem, const nvj *j, int depth, char *err, size_t errlen)
{
    if (depth > NVC_MAX_DEPTH) {
        snprintf(err, errlen, "schema nested too deeply");
        return NULL;
    }
    if (j->kind == NVJ_STR) {
        for (int k = 0; k < 8; k++)
            if (!strcmp(j->str, prim_names[k]))
                return new_type(mem, k);
        avro_type *t = find_named(mem, j->str);
        if (!t)
            snprintf(err, errlen, "unknown type '%s'", j->str);
        return t;
    }
    if (j->kind == NVJ_ARR) {
        avro_type *t = new_type(mem, AV_UNION);
        t->n = j->n;
        t->sub = calloc((size_t)(j->n ? j->n : 1), sizeof *t->sub);
        for (int k = 0; k < j->n; k++)
            if (!(t->sub[k] = parse_type(mem, j->items[k], depth + 1, err, errlen)))
                return NULL;
        return t;
    }
    const nvj *type = nvj_get(j, "type");
    if (j->kind != NVJ_OBJ || !type) {
        snprintf(err, errlen, "a schema is a type name, an array (union) or an object with \"type\"");
        return NULL;
    }
    if (type->kind != NVJ_STR)
        return parse_type(mem, type, depth + 1, err, errlen);
    const char *tn = type->str;
    const nvj *name = nvj_get(j, "name");
    if (!strcmp(tn, "record") || !strcmp(tn, "error") || !strcmp(tn, "enum") || !strcmp(tn, "fixed")) {
        if (!name || name->kind != NVJ_STR) {
            snprintf(err, errlen, "a %s needs a name", tn);
            return NULL;
        }
    }
    if (!strcmp(tn, "record") || !strcmp(tn, "error")) {
        const nvj *fields = nvj_get(j, "fields");
        if (!fields || fields->kind != NVJ_ARR) {
            snprintf(err, errlen, "record '%s' needs a fields array", name->str);
            return NULL;
        }
        avro_type *t = new_type(mem, AV_RECORD);
        t->name = strdup(name->str);
        t->n = fields->n;
        t->sub = calloc((size_t)(t->n ? t->n : 1), sizeof *t->sub);
        t->names = calloc((size_t)(t->n ? t->n : 1), sizeof *t->names);
        for (int k = 0; k < fields->n; k++) {
            const nvj *fn = nvj_get(fields->items[k], "name"), *ft = nvj_get(fields->items[k], "type");
            if (!fn || fn->kind != NVJ_STR || !ft) {
                snprintf(err, errlen, "record '%s': field %d needs a name and a type", name->str, k + 1);
                return NULL;
            }
            t->names[k] = strdup(fn->str);
            if (!(t->sub[k] = parse_type(mem, ft, depth + 1, err, errlen)))
                return NULL;
        }
        return t;
    }
    if (!strcmp(tn, "enum")) {
        const nvj *syms = nvj_get(j, "symbols");
        if (!syms || syms->kind != NVJ_ARR) {
            snprintf(err, errlen, "enum '%s' needs a symbols array", name->str);
            return NULL;
        }
        avro_type *t = new_type(mem, AV_ENUM);
        t->name = strdup(name->str);
        t->n = syms->n;
        t->names = calloc((size_t)(t->n ? t->n : 1), sizeof *t->names);
        for (int k = 0; k < syms->n; k++) {
            if (syms->items[k]->kind != NVJ_STR) {
                snprintf(err, errlen, "enum '%s': symbols are strings", name->str);
                return NULL;
            }
            t->names[k] = strdup(syms->items[k]->str);
        }
        return t;
    }
    if (!strcmp(tn, "fixed")) {
        const nvj *size = nvj_get(j, "size");
        if (!size || size->kind != NVJ_NUM || size->num < 0 || size->num > 1e9) {
            snprintf(err, errlen, "fixed '%s' needs a size", name->str);
            return NULL;
        }
        avro_type *t = new_type(mem, AV_FIXED);
        t->name = strdup(name->str);
        t->size = (long)size->num;
        return t;
    }
    if (!strcmp(tn, "array") || !strcmp(tn, "map")) {
        const nvj *it = nvj_get(j, !strcmp(tn, "array") ? "items" : "values");
        if (!it) {
            snprintf(err, errlen, "%s needs %s", tn, !strcmp(tn, "array") ? "items" : "values");
            return NULL;
        }
        avro_type *t = new_type(mem, !strcmp(tn, "array") ? AV_ARRAY : AV_MAP);
        t->n = 1;
        t->sub = calloc(1, sizeof *t->sub);
        if (!(t->sub[0] = parse_type(mem, it, depth + 1, err, errlen)))
            return NULL;
        return t;
    }
    /* a primitive with attributes, e.g. {"type": "long", "logicalType": ...} */
    for (int k = 0; k < 8; k++)
        if (!strcmp(tn, prim_names[k]))
            return new_type(mem, k);
    avro_type *t = find_named(mem, tn);
    if (!t)
        snprintf(err, errlen, "unknown type '%s'", tn);
    return t;
}

static avro_type *load_schema(avro_mem *mem, const char *text, const char *which, char *err, size_t errlen)
{
    char e[200] = "";
    if (!text) {
        snprintf(err, errlen, "Avro %s needs a schema (--%s-schema FILE.avsc)", which, which);
        return NULL;
    }
    nvj *j = nvj_parse(text, e, sizeof e);
    if (!j) {
        snprintf(err, errlen, "%s schema: %s", which, e);
        return NULL;
    }
    avro_type *t = parse_type(mem, j, 0, e, sizeof e);
    nvj_free(j);
    if (!t) {
        snprintf(err, errlen, "%s schema: %s", which, e);
        return NULL;
    }
    if (t->kind != AV_RECORD) {
        snprintf(err, errlen, "%s schema: the top-level type must be a record", which);
        return NULL;
    }
    return t;
}

static int same_type(const avro_type *a, const avro_type *b, int depth)
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
        if (a->sub && !same_type(a->sub[k], b->sub[k], depth + 1))
            return 0;
    }
    return 1;
}

static int nullable(const avro_type *t)
{
    if (t->kind == AV_NULL)
        return 1;
    if (t->kind == AV_UNION)
        for (int k = 0; k < t->n; k++)
            if (t->sub[k]->kind == AV_NULL)
                return 1;
    return 0;
}

int nvc_avro_setup(nvc_codec *c, char *err, size_t errlen)
{
    avro_mem *mem = calloc(1, sizeof *mem);
    if (!mem)
        abort();
    c->avro_mem = mem;
    if (c->o.in_format == NVC_AVRO) {
        if (!(c->in_type = load_schema(mem, c->o.in_schema, "input", err, errlen)))
            return -1;
        c->in_avro_field = calloc((size_t)(c->in_type->n ? c->in_type->n : 1), sizeof *c->in_avro_field);
        for (int k = 0; k < c->in_type->n; k++)
            c->in_avro_field[k] = nvc_input_index(c, c->in_type->names[k], strlen(c->in_type->names[k]));
    }
    if (c->o.out_format == NVC_AVRO) {
        if (!(c->out_type = load_schema(mem, c->o.out_schema, "output", err, errlen)))
            return -1;
        avro_type *ot = c->out_type;
        c->out_plan = calloc((size_t)(ot->n ? ot->n : 1), sizeof *c->out_plan);
        for (int k = 0; k < ot->n; k++) {
            const char *n = ot->names[k];
            int j = nvc_output_index(c, n, strlen(n));
            avro_out_field *pl = &c->out_plan[k];
            pl->src = SRC_NULL;
            if (j >= 0) {
                *pl = (avro_out_field){SRC_OUTPUT, j};
                continue;
            }
            if (c->o.passthrough && c->in_type) {
                for (int q = 0; q < c->in_type->n; q++)
                    if (!strcmp(c->in_type->names[q], n) && same_type(c->in_type->sub[q], ot->sub[k], 0))
                        *pl = (avro_out_field){SRC_RAW, q};
                if (pl->src == SRC_RAW)
                    continue;
            }
            if (c->o.passthrough && (j = nvc_input_index(c, n, strlen(n))) >= 0) {
                *pl = (avro_out_field){SRC_INPUT, j};
                continue;
            }
            if (!nullable(ot->sub[k])) {
                snprintf(err, errlen, "output schema: field '%s' is not an output of the model%s and is not nullable",
                         n, c->o.passthrough ? " or a field of the input" : "");
                return -1;
            }
        }
    }
    return 0;
}

void nvc_avro_free(nvc_codec *c)
{
    free_mem(c->avro_mem);
    free(c->in_avro_field);
    free(c->out_plan);
}

/* ---- decoding ---- */

typedef struct rd {
    const unsigned char *p, *end;
    const char *err;
} rd;

static int rfail(rd *r, const char *msg)
{
    if (!r->err)
        r->err = msg;
    return -1;
}

static int rd_long(rd *r, long long *out)
{
    unsigned long long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end)
            return rfail(r, "truncated varint");
        unsigned char b = *r->p++;
        v |= (unsigned long long)(b & 127) << shift;
        if (!(b & 128)) {
            *out = (long long)(v >> 1) ^ -(long long)(v & 1);
            return 0;
        }
    }
    return rfail(r, "varint too long");
}

static int rd_bytes(rd *r, const unsigned char **b, size_t *n)
{
    long long len;
    if (rd_long(r, &len))
        return -1;
    if (len < 0 || len > r->end - r->p)
        return rfail(r, "string or bytes length out of range");
    *b = r->p;
    *n = (size_t)len;
    r->p += len;
    return 0;
}

static int skip(rd *r, const avro_type *t, int depth)
{
    long long n;
    const unsigned char *b;
    size_t len;
    if (depth > NVC_MAX_DEPTH)
        return rfail(r, "nested too deeply");
    switch (t->kind) {
    case AV_NULL: return 0;
    case AV_BOOL:
        if (r->p >= r->end || *r->p > 1)
            return rfail(r, "bad boolean");
        r->p++;
        return 0;
    case AV_INT: case AV_LONG: case AV_ENUM: return rd_long(r, &n);
    case AV_FLOAT: case AV_DOUBLE: case AV_FIXED: {
        long sz = t->kind == AV_FLOAT ? 4 : t->kind == AV_DOUBLE ? 8 : t->size;
        if (r->end - r->p < sz)
            return rfail(r, "truncated value");
        r->p += sz;
        return 0;
    }
    case AV_BYTES: case AV_STRING: return rd_bytes(r, &b, &len);
    case AV_RECORD:
        for (int k = 0; k < t->n; k++)
            if (skip(r, t->sub[k], depth + 1))
                return -1;
        return 0;
    case AV_UNION:
        if (rd_long(r, &n))
            return -1;
        if (n < 0 || n >= t->n)
            return rfail(r, "union branch out of range");
        return skip(r, t->sub[n], depth + 1);
    case AV_ARRAY: case AV_MAP:
        for (;;) {
            if (rd_long(r, &n))
                return -1;
            if (n == 0)
                return 0;
            if (n < 0) {
                /* a negative count is followed by the block's size in
                   bytes; -2^63 has no positive counterpart */
                long long sz;
                if (n == INT64_MIN)
                    return rfail(r, "block count out of range");
                if (rd_long(r, &sz))
                    return -1;
                n = -n;
            }
            if (n > r->end - r->p + 1)
                return rfail(r, "block count out of range");
            for (long long k = 0; k < n; k++) {
                if (t->kind == AV_MAP && rd_bytes(r, &b, &len))
                    return -1;
                if (skip(r, t->sub[0], depth + 1))
                    return -1;
            }
        }
    }
    return rfail(r, "bad schema");
}

static double get_le(const unsigned char *p, int n)
{
    unsigned long long v = 0;
    for (int k = n - 1; k >= 0; k--)
        v = (v << 8) | p[k];
    if (n == 4) {
        uint32_t u = (uint32_t)v;
        float x;
        memcpy(&x, &u, 4);
        return x;
    }
    double d;
    memcpy(&d, &v, 8);
    return d;
}

/* one field value into model input f */
static int read_field(nvc_batch *b, size_t i, int f, rd *r, const avro_type *t, int depth)
{
    const char *name = b->c->m->inputs[f].name;
    long long n;
    const unsigned char *s;
    size_t len;
    if (depth > NVC_MAX_DEPTH)
        return rfail(r, "nested too deeply");
    switch (t->kind) {
    case AV_NULL:
        nvc_set_state(b, i, f, NERVA_MISSING);
        return 0;
    case AV_UNION:
        if (rd_long(r, &n))
            return -1;
        if (n < 0 || n >= t->n)
            return rfail(r, "union branch out of range");
        return read_field(b, i, f, r, t->sub[n], depth + 1);
    case AV_BOOL:
        if (r->p >= r->end || *r->p > 1)
            return rfail(r, "bad boolean");
        n = *r->p++;
        if (b->c->m->inputs[f].type == NERVA_STRING)
            return nvc_set_text(b, i, f, n ? "true" : "false", n ? 4 : 5);
        if (nvc_set_bool(b, i, f, (int)n))
            return nvc_bad(b, i, "type", "field '%s': a boolean where the model wants a number", name);
        return 0;
    case AV_INT: case AV_LONG: {
        if (rd_long(r, &n))
            return -1;
        int type = b->c->m->inputs[f].type;
        if (type == NERVA_LONG) {
            char buf[32];
            return nvc_set_text(b, i, f, buf, (size_t)snprintf(buf, sizeof buf, "%lld", n));
        }
        if (type == NERVA_STRING) {
            char buf[32];
            return nvc_set_text(b, i, f, buf, (size_t)snprintf(buf, sizeof buf, "%lld", n));
        }
        if (nvc_set_number(b, i, f, (double)n))
            return nvc_bad(b, i, "type", "field '%s': %lld is not a value of its type", name, n);
        return 0;
    }
    case AV_FLOAT: case AV_DOUBLE: {
        int sz = t->kind == AV_FLOAT ? 4 : 8;
        if (r->end - r->p < sz)
            return rfail(r, "truncated value");
        double d = get_le(r->p, sz);
        r->p += sz;
        if (b->c->m->inputs[f].type == NERVA_STRING) {
            char buf[64];
            return nvc_set_text(b, i, f, buf, (size_t)nvc_format_double(d, buf, sizeof buf));
        }
        if (nvc_set_number(b, i, f, d))
            return nvc_bad(b, i, "type", "field '%s': %g is not a value of its type", name, d);
        return 0;
    }
    case AV_STRING: case AV_BYTES:
        if (rd_bytes(r, &s, &len))
            return -1;
        if (memchr(s, 0, len) || nvc_set_text(b, i, f, (const char *)s, len))
            return nvc_bad(b, i, "type", "field '%s': \"%.40s\" is not a value of its type", name, (const char *)s);
        return 0;
    case AV_ENUM:
        if (rd_long(r, &n))
            return -1;
        if (n < 0 || n >= t->n)
            return rfail(r, "enum index out of range");
        if (nvc_set_text(b, i, f, t->names[n], strlen(t->names[n])))
            return nvc_bad(b, i, "type", "field '%s': enum symbol %s is not a value of its type", name, t->names[n]);
        return 0;
    default:
        if (skip(r, t, depth + 1))
            return -1;
        return nvc_bad(b, i, "type", "field '%s': a complex Avro value where the model wants a scalar", name);
    }
}

int nvc_avro_decode(nvc_batch *b, size_t i, const char *p, size_t len)
{
    const nvc_codec *c = b->c;
    rd r = {(const unsigned char *)p, (const unsigned char *)p + len, NULL};
    if (c->o.in_confluent) {
        if (len < 5 || p[0] != 0)
            return nvc_bad(b, i, "parse", "not in the Confluent wire format (magic byte 0 and a schema id)");
        r.p += 5;
    }
    const avro_type *t = c->in_type;
    for (int k = 0; k < t->n; k++) {
        const unsigned char *start = r.p;
        int f = c->in_avro_field[k];
        int rc = f >= 0 ? read_field(b, i, f, &r, t->sub[k], 0) : skip(&r, t->sub[k], 0);
        if (rc) {
            if (b->status[i] != NVC_OK)
                return -1;
            return nvc_bad(b, i, "parse", "Avro field '%s' at byte %ld: %s", t->names[k],
                           (long)((const char *)r.p - p), r.err ? r.err : "bad value");
        }
        if (c->o.passthrough)
            nvc_span_add(b, i, (size_t)((const char *)start - p), (size_t)(r.p - start), k);
    }
    if (r.p != r.end)
        return nvc_bad(b, i, "parse", "Avro: %ld bytes after the record", (long)(r.end - r.p));
    return 0;
}

/* ---- encoding ---- */

static void put_long(nvc_buf *out, long long v)
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

/* Can schema type t hold this value?  Writes it when `out` is given. */
static int put_value(nvc_buf *out, const avro_type *t, nvc_value v, int depth)
{
    int mtype = v.type, present = v.state == NERVA_PRESENT;
    double d = v.d;
    long long l = v.l;
    const char *s = v.s;
    int num = mtype == NERVA_DOUBLE || mtype == NERVA_FLOAT || mtype == NERVA_LONG || mtype == NERVA_BOOL;
    if (depth > 4)
        return 0;
    switch (t->kind) {
    case AV_NULL: return !present;
    case AV_UNION:
        for (int k = 0; k < t->n; k++)
            if (put_value(NULL, t->sub[k], v, depth + 1)) {
                if (out) {
                    put_long(out, k);
                    put_value(out, t->sub[k], v, depth + 1);
                }
                return 1;
            }
        return 0;
    case AV_BOOL:
        if (!present || mtype != NERVA_BOOL)
            return 0;
        if (out)
            nvc_buf_put(out, l ? "\1" : "\0", 1);
        return 1;
    case AV_INT: case AV_LONG: {
        if (!present || !num)
            return 0;
        long long v = mtype == NERVA_LONG || mtype == NERVA_BOOL ? l : (long long)d;
        if (mtype != NERVA_LONG && mtype != NERVA_BOOL &&
            (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || d != floor(d)))
            return 0;
        if (t->kind == AV_INT && (v < -2147483648LL || v > 2147483647LL))
            return 0;
        if (out)
            put_long(out, v);
        return 1;
    }
    case AV_FLOAT: case AV_DOUBLE:
        if (!present || !num || mtype == NERVA_BOOL)
            return 0;
        if (out)
            put_le(out, d, t->kind == AV_FLOAT ? 4 : 8);
        return 1;
    case AV_STRING: case AV_BYTES:
        if (!present || mtype != NERVA_STRING)
            return 0;
        if (out) {
            size_t n = strlen(s);
            put_long(out, (long long)n);
            nvc_buf_put(out, s, n);
        }
        return 1;
    case AV_ENUM:
        if (!present || mtype != NERVA_STRING)
            return 0;
        for (int k = 0; k < t->n; k++)
            if (!strcmp(t->names[k], s)) {
                if (out)
                    put_long(out, k);
                return 1;
            }
        return 0;
    default:
        return 0;
    }
}

int nvc_avro_encode(nvc_batch *b, size_t i, nvc_buf *out)
{
    const nvc_codec *c = b->c;
    const avro_type *t = c->out_type;
    if (c->o.out_schema_id >= 0) {
        unsigned long id = (unsigned long)c->o.out_schema_id;
        unsigned char h[5] = {0, (unsigned char)(id >> 24), (unsigned char)(id >> 16),
                              (unsigned char)(id >> 8), (unsigned char)id};
        nvc_buf_put(out, h, 5);
    }
    for (int k = 0; k < t->n; k++) {
        const avro_out_field *pl = &c->out_plan[k];
        nvc_value v = {NERVA_DOUBLE, NERVA_MISSING, 0, 0, NULL};
        if (pl->src == SRC_RAW) {
            for (size_t q = 0; q < b->span_count[i]; q++) {
                const nvc_span *sp = &b->spans[b->span_first[i] + q];
                if (sp->tag == pl->idx)
                    nvc_buf_put(out, b->src[i] + sp->off, sp->len);
            }
            continue;
        }
        if (pl->src == SRC_OUTPUT)
            v = nvc_out_value(b, i, pl->idx);
        else if (pl->src == SRC_INPUT)
            v = nvc_in_value(b, i, pl->idx);
        if (!put_value(out, t->sub[k], v, 0))
            return nvc_bad(b, i, "encode", "output field '%s': %s does not fit its Avro type", t->names[k],
                           v.state == NERVA_PRESENT ? "the value" : "a missing value");
    }
    return 0;
}
