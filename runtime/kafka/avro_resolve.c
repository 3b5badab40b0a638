/* avro_resolve.c: reading Avro binary, and schema resolution -- data
 * written with one schema (the writer's) read as another (the reader's), as
 * the Avro specification defines it ("Schema Resolution").
 *
 * Why: with a Schema Registry, each record says which schema wrote it, and
 * producers evolve their schemas (fields added with defaults, removed,
 * widened from int to long, made nullable) while the harness reads with one
 * schema of its own.  Resolution here is a transcoder: a value in the
 * writer's encoding goes in, the same value in the reader's encoding comes
 * out, so the rest of the codec only ever sees the reader's schema.  The
 * same transcoder copies a passed-through input field into an output field
 * of another type (a string into ["null", "string"]).
 *
 * The rules: records match by unqualified name, fields by name or by the
 * reader field's aliases, writer fields the reader lacks are skipped and
 * reader fields the writer lacks take their defaults; int widens to long,
 * float and double, long to float and double, float to double, string and
 * bytes read as each other; enums by symbol (or the reader's default
 * symbol); a writer's union is resolved by the branch each record took, a
 * reader's union by its first branch the writer's type fits (the same type
 * first, then a promotion); fixed by name and size. */
#include "codec_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int avro_fail(avro_rd *r, const char *msg)
{
    if (!r->err)
        r->err = msg;
    return -1;
}

int avro_read_long(avro_rd *r, long long *out)
{
    unsigned long long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end)
            return avro_fail(r, "truncated varint");
        unsigned char b = *r->p++;
        v |= (unsigned long long)(b & 127) << shift;
        if (!(b & 128)) {
            *out = (long long)(v >> 1) ^ -(long long)(v & 1);
            return 0;
        }
    }
    return avro_fail(r, "varint too long");
}

int avro_read_bytes(avro_rd *r, const unsigned char **b, size_t *n)
{
    long long len;
    if (avro_read_long(r, &len))
        return -1;
    if (len < 0 || len > r->end - r->p)
        return avro_fail(r, "string or bytes length out of range");
    *b = r->p;
    *n = (size_t)len;
    r->p += len;
    return 0;
}

/* an array's or a map's next block: its item count (0 at the end) */
static int block(avro_rd *r, long long *n)
{
    if (avro_read_long(r, n))
        return -1;
    if (*n < 0) {
        /* a negative count is followed by the block's size in bytes;
           -2^63 has no positive counterpart */
        long long sz;
        if (*n == INT64_MIN)
            return avro_fail(r, "block count out of range");
        if (avro_read_long(r, &sz))
            return -1;
        *n = -*n;
    }
    if (*n > r->end - r->p + 1)
        return avro_fail(r, "block count out of range");
    return 0;
}

int avro_skip(avro_rd *r, const avro_type *t, int depth)
{
    long long n;
    const unsigned char *b;
    size_t len;
    if (depth > NVC_MAX_DEPTH)
        return avro_fail(r, "nested too deeply");
    switch (t->kind) {
    case AV_NULL: return 0;
    case AV_BOOL:
        if (r->p >= r->end || *r->p > 1)
            return avro_fail(r, "bad boolean");
        r->p++;
        return 0;
    case AV_INT: case AV_LONG: case AV_ENUM: return avro_read_long(r, &n);
    case AV_FLOAT: case AV_DOUBLE: case AV_FIXED: {
        long sz = t->kind == AV_FLOAT ? 4 : t->kind == AV_DOUBLE ? 8 : t->size;
        if (r->end - r->p < sz)
            return avro_fail(r, "truncated value");
        r->p += sz;
        return 0;
    }
    case AV_BYTES: case AV_STRING: return avro_read_bytes(r, &b, &len);
    case AV_RECORD:
        for (int k = 0; k < t->n; k++)
            if (avro_skip(r, t->sub[k], depth + 1))
                return -1;
        return 0;
    case AV_UNION:
        if (avro_read_long(r, &n))
            return -1;
        if (n < 0 || n >= t->n)
            return avro_fail(r, "union branch out of range");
        return avro_skip(r, t->sub[n], depth + 1);
    case AV_ARRAY: case AV_MAP:
        for (;;) {
            if (block(r, &n))
                return -1;
            if (n == 0)
                return 0;
            for (long long k = 0; k < n; k++) {
                if (t->kind == AV_MAP && avro_read_bytes(r, &b, &len))
                    return -1;
                if (avro_skip(r, t->sub[0], depth + 1))
                    return -1;
            }
        }
    }
    return avro_fail(r, "bad schema");
}

/* ---- which types read as which ---- */

static int promotes(int w, int r)
{
    return (w == AV_INT && (r == AV_LONG || r == AV_FLOAT || r == AV_DOUBLE)) ||
           (w == AV_LONG && (r == AV_FLOAT || r == AV_DOUBLE)) || (w == AV_FLOAT && r == AV_DOUBLE) ||
           (w == AV_STRING && r == AV_BYTES) || (w == AV_BYTES && r == AV_STRING);
}

static int same_name(const avro_type *w, const avro_type *r)
{
    return !w->name || !r->name || !strcmp(avro_short(w->name), avro_short(r->name));
}

/* the branch of the reader's union a (non-union) writer type is read as:
   the same type first, then a promotion; -1 none */
static int branch_for(const avro_type *w, const avro_type *u)
{
    for (int k = 0; k < u->n; k++)
        if (u->sub[k]->kind == w->kind && same_name(w, u->sub[k]))
            return k;
    for (int k = 0; k < u->n; k++)
        if (promotes(w->kind, u->sub[k]->kind))
            return k;
    return -1;
}

/* the reader field that a writer field named `name` fills: by name, or by
   one of the reader field's aliases */
static int reader_field(const avro_type *r, const char *name)
{
    for (int k = 0; k < r->n; k++)
        if (!strcmp(r->names[k], name))
            return k;
    for (int k = 0; k < r->n; k++)
        for (char **a = r->aliases && r->aliases[k] ? r->aliases[k] : NULL; a && *a; a++)
            if (!strcmp(*a, name))
                return k;
    return -1;
}

static const char *kind_name(int k)
{
    static const char *n[] = {"null", "boolean", "int", "long", "float", "double", "bytes", "string",
                              "record", "enum", "array", "map", "union", "fixed"};
    return k >= 0 && k <= AV_FIXED ? n[k] : "?";
}

int avro_resolvable(const avro_type *w, const avro_type *r, char *why, size_t n, int depth)
{
    if (depth > NVC_MAX_DEPTH)
        return 0; /* a recursive type: checked record by record */
    if (w->kind == AV_UNION)
        return 0; /* by the branch each record takes */
    if (r->kind == AV_UNION) {
        int k = branch_for(w, r);
        if (k < 0) {
            snprintf(why, n, "no branch of the reader's union reads the writer's %s", w->name ? w->name : kind_name(w->kind));
            return -1;
        }
        return avro_resolvable(w, r->sub[k], why, n, depth + 1);
    }
    if (w->kind != r->kind) {
        if (promotes(w->kind, r->kind))
            return 0;
        snprintf(why, n, "the writer's %s cannot be read as %s", w->name ? w->name : kind_name(w->kind),
                 r->name ? r->name : kind_name(r->kind));
        return -1;
    }
    if (!same_name(w, r)) {
        snprintf(why, n, "the writer's %s %s is not the reader's %s", kind_name(w->kind), w->name, r->name);
        return -1;
    }
    switch (w->kind) {
    case AV_FIXED:
        if (w->size != r->size) {
            snprintf(why, n, "fixed %s: %ld bytes written, %ld read", r->name, w->size, r->size);
            return -1;
        }
        return 0;
    case AV_ARRAY: case AV_MAP: return avro_resolvable(w->sub[0], r->sub[0], why, n, depth + 1);
    case AV_RECORD:
        for (int k = 0; k < r->n; k++) {
            int found = -1;
            for (int q = 0; q < w->n && found < 0; q++)
                if (reader_field(r, w->names[q]) == k)
                    found = q;
            if (found < 0 && !r->has_default[k]) {
                snprintf(why, n, "the reader's field %s.%s is not in the writer's schema and has no default", r->name,
                         r->names[k]);
                return -1;
            }
            if (found >= 0 && avro_resolvable(w->sub[found], r->sub[k], why, n, depth + 1))
                return -1;
        }
        return 0;
    default: return 0;
    }
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

double avro_get_double(const unsigned char *p, int size) { return get_le(p, size); }

int avro_resolve(avro_rd *r, const avro_type *w, const avro_type *rt, nvc_buf *out, int depth)
{
    long long n;
    const unsigned char *b;
    size_t len;
    if (depth > NVC_MAX_DEPTH)
        return avro_fail(r, "nested too deeply");
    if (w->kind == AV_UNION) {
        if (avro_read_long(r, &n))
            return -1;
        if (n < 0 || n >= w->n)
            return avro_fail(r, "union branch out of range");
        return avro_resolve(r, w->sub[n], rt, out, depth + 1);
    }
    if (rt->kind == AV_UNION) {
        int k = branch_for(w, rt);
        if (k < 0)
            return avro_fail(r, "a union branch the reader's schema has no branch for");
        avro_put_long(out, k);
        return avro_resolve(r, w, rt->sub[k], out, depth + 1);
    }
    if (w->kind != rt->kind) {
        if (!promotes(w->kind, rt->kind))
            return avro_fail(r, "a value the reader's type cannot hold");
        if (w->kind == AV_STRING || w->kind == AV_BYTES || (w->kind == AV_INT && rt->kind == AV_LONG)) {
            const unsigned char *start = r->p;
            if (avro_skip(r, w, depth + 1))
                return -1;
            nvc_buf_put(out, start, (size_t)(r->p - start)); /* the same encoding */
            return 0;
        }
        double d;
        if (w->kind == AV_FLOAT) {
            if (r->end - r->p < 4)
                return avro_fail(r, "truncated value");
            d = get_le(r->p, 4);
            r->p += 4;
        } else {
            if (avro_read_long(r, &n))
                return -1;
            d = (double)n;
        }
        avro_put_double(out, d, rt->kind == AV_FLOAT ? 4 : 8);
        return 0;
    }
    switch (w->kind) {
    case AV_ENUM: {
        if (avro_read_long(r, &n))
            return -1;
        if (n < 0 || n >= w->n)
            return avro_fail(r, "enum index out of range");
        for (int k = 0; k < rt->n; k++)
            if (!strcmp(rt->names[k], w->names[n])) {
                avro_put_long(out, k);
                return 0;
            }
        if (rt->enum_default < 0)
            return avro_fail(r, "an enum symbol the reader's enum does not have (and it has no default)");
        avro_put_long(out, rt->enum_default);
        return 0;
    }
    case AV_ARRAY: case AV_MAP:
        for (;;) {
            if (block(r, &n))
                return -1;
            avro_put_long(out, n);
            if (n == 0)
                return 0;
            for (long long k = 0; k < n; k++) {
                if (w->kind == AV_MAP) {
                    if (avro_read_bytes(r, &b, &len))
                        return -1;
                    avro_put_long(out, (long long)len);
                    nvc_buf_put(out, b, len);
                }
                if (avro_resolve(r, w->sub[0], rt->sub[0], out, depth + 1))
                    return -1;
            }
        }
    case AV_RECORD: {
        if (!same_name(w, rt))
            return avro_fail(r, "a record the reader's schema names otherwise");
        /* writer fields in the writer's order, each into its reader field's
           buffer, then the reader's fields in the reader's order */
        nvc_buf local[16], *field = rt->n <= 16 ? local : malloc((size_t)rt->n * sizeof *field);
        unsigned char seen_local[16], *seen = rt->n <= 16 ? seen_local : malloc((size_t)rt->n);
        if (!field || !seen)
            abort();
        memset(field, 0, (size_t)rt->n * sizeof *field);
        memset(seen, 0, (size_t)rt->n);
        int rc = 0;
        for (int q = 0; q < w->n && !rc; q++) {
            int k = reader_field(rt, w->names[q]);
            if (k < 0) {
                rc = avro_skip(r, w->sub[q], depth + 1);
            } else {
                seen[k] = 1;
                rc = avro_resolve(r, w->sub[q], rt->sub[k], &field[k], depth + 1);
            }
        }
        for (int k = 0; k < rt->n && !rc; k++) {
            if (seen[k])
                nvc_buf_put(out, field[k].data, field[k].len);
            else if (rt->has_default[k])
                nvc_buf_put(out, rt->defaults[k].data, rt->defaults[k].len);
            else
                rc = avro_fail(r, "a reader's field the writer lacks, without a default");
        }
        for (int k = 0; k < rt->n; k++)
            nvc_buf_free(&field[k]);
        if (field != local)
            free(field);
        if (seen != seen_local)
            free(seen);
        return rc;
    }
    case AV_FIXED:
        if (w->size != rt->size)
            return avro_fail(r, "a fixed of another size");
        __attribute__((fallthrough)); /* the same bytes */
    default: {
        const unsigned char *start = r->p;
        if (avro_skip(r, w, depth + 1))
            return -1;
        nvc_buf_put(out, start, (size_t)(r->p - start));
        return 0;
    }
    }
}
