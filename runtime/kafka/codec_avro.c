/* codec_avro.c: Avro binary records, with local schemas (.avsc) or with the
 * writer's schema named by each record's Confluent frame (magic byte 0, a
 * 4-byte big-endian schema id, then the Avro body) and fetched by the host
 * from a Schema Registry (nvc_avro_add_writer).
 *
 * Input: each record is read with a view of its writer's schema.  Where the
 * writer's schema is the local input schema (or there is none: the writer's
 * is read as it is), fields are read straight into the model's inputs by
 * name (int/long/float/double for numbers, string/enum/bytes for strings,
 * boolean; a union's null branch is a missing value) and every other field
 * is skipped.  Where it differs, the record is first resolved into the local
 * (reader's) schema (avro_resolve.c), so that schema evolution on the input
 * -- fields added, removed, widened, made nullable -- reads as the
 * specification says.  Output: each field of the output schema is filled
 * from the model output of the same name, or with --passthrough from the
 * input record's field of the same name -- its bytes when the types are the
 * same, else resolved into the output field's type (a string into
 * ["null", "string"]) -- or the model input of that name; a field with none
 * of these must be nullable.  The decoder never reads past the message and
 * bounds nesting. */
#include "codec_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        abort();
    return p;
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

static void note(nvc_codec *c, const char *fmt, const char *a)
{
    size_t n = strlen(c->notes);
    if (n + 2 < sizeof c->notes)
        snprintf(c->notes + n, sizeof c->notes - n, n ? "; " : "");
    n = strlen(c->notes);
    snprintf(c->notes + n, sizeof c->notes - n, fmt, a);
}

/* the bindings of an input record type: its fields to model inputs, and
   what fills each output schema field; 0, or -1 with err */
static int bind_view(nvc_codec *c, avro_view *v, char *err, size_t errlen)
{
    const avro_type *rec = v->rec;
    if (rec) {
        v->in_field = xcalloc((size_t)rec->n, sizeof *v->in_field);
        for (int k = 0; k < rec->n; k++)
            v->in_field[k] = nvc_input_index(c, rec->names[k], strlen(rec->names[k]));
    }
    if (!c->out_type)
        return 0;
    const avro_type *ot = c->out_type;
    v->out_plan = xcalloc((size_t)ot->n, sizeof *v->out_plan);
    for (int k = 0; k < ot->n; k++) {
        const char *n = ot->names[k];
        int j = nvc_output_index(c, n, strlen(n)), q;
        avro_out_field *pl = &v->out_plan[k];
        *pl = (avro_out_field){SRC_NULL, 0, 0};
        char why[300];
        if (j >= 0) {
            *pl = (avro_out_field){SRC_OUTPUT, j, 0};
        } else if (c->o.passthrough && rec && (q = avro_field(rec, n)) >= 0 &&
                   (avro_same(rec->sub[q], ot->sub[k], 0) || !avro_resolvable(rec->sub[q], ot->sub[k], why, sizeof why, 0))) {
            *pl = (avro_out_field){SRC_RAW, q, avro_same(rec->sub[q], ot->sub[k], 0)};
        } else if (c->o.passthrough && (j = nvc_input_index(c, n, strlen(n))) >= 0) {
            *pl = (avro_out_field){SRC_INPUT, j, 0};
        } else if (!nullable(ot->sub[k])) {
            snprintf(err, errlen, "output schema: field '%s' is not an output of the model%s and is not nullable", n,
                     c->o.passthrough ? " or a field of the input" : "");
            return -1;
        } else if (v->id < 0 && (v->rec || c->o.in_format != NVC_AVRO)) {
            note(c, "output field '%s' is always null: no model output, input field or model input fills it", n);
        }
    }
    return 0;
}

static avro_schema *load_schema(const char *text, const char *which, char *err, size_t errlen)
{
    char e[300] = "";
    if (!text) {
        snprintf(err, errlen, "Avro %s needs a schema (--%s-schema FILE.avsc)", which, which);
        return NULL;
    }
    avro_schema *s = avro_parse(text, e, sizeof e);
    if (!s) {
        snprintf(err, errlen, "%s schema: %s", which, e);
        return NULL;
    }
    if (s->root->kind != AV_RECORD) {
        snprintf(err, errlen, "%s schema: the top-level type must be a record", which);
        avro_free(s);
        return NULL;
    }
    return s;
}

int nvc_avro_setup(nvc_codec *c, char *err, size_t errlen)
{
    if (c->o.out_format == NVC_AVRO) {
        if (!(c->out_schema = load_schema(c->o.out_schema, "output", err, errlen)))
            return -1;
        c->out_type = c->out_schema->root;
    }
    if (c->o.in_format == NVC_AVRO && (c->o.in_schema || !c->o.by_id)) {
        if (!(c->in_schema = load_schema(c->o.in_schema, "input", err, errlen)))
            return -1;
        c->in_type = c->in_schema->root;
    }
    /* the local view: records of the input schema (or, with no input side
       in Avro, the output plan from model inputs and outputs alone) */
    c->local = xcalloc(1, sizeof *c->local);
    c->local->id = -1;
    c->local->rec = c->in_type;
    return bind_view(c, c->local, err, errlen);
}

static void view_free(avro_view *v)
{
    if (!v)
        return;
    avro_free(v->schema);
    free(v->in_field);
    free(v->out_plan);
    free(v->bad);
    free(v);
}

void nvc_avro_free(nvc_codec *c)
{
    view_free(c->local);
    for (int k = 0; k < c->nviews; k++)
        view_free(c->views[k]);
    free(c->views);
    avro_free(c->in_schema);
    avro_free(c->out_schema);
}

/* ---- writer schemas by id ---- */

long nvc_avro_frame_id(const void *msg, size_t len)
{
    const unsigned char *p = msg;
    if (!p || len < 5 || p[0] != 0)
        return -1;
    return (long)(((unsigned long)p[1] << 24) | ((unsigned long)p[2] << 16) | ((unsigned long)p[3] << 8) | p[4]);
}

static avro_view *find_view(const nvc_codec *c, long id)
{
    for (int k = 0; k < c->nviews; k++)
        if (c->views[k]->id == id)
            return c->views[k];
    return NULL;
}

int nvc_avro_writer_known(const nvc_codec *c, long id) { return find_view(c, id) != NULL; }

static avro_view *new_view(nvc_codec *c, long id)
{
    avro_view *v = xcalloc(1, sizeof *v);
    v->id = id;
    avro_view **all = realloc(c->views, (size_t)(c->nviews + 1) * sizeof *all);
    if (!all)
        abort();
    c->views = all;
    c->views[c->nviews++] = v;
    return v;
}

void nvc_avro_bad_writer(nvc_codec *c, long id, const char *why)
{
    avro_view *v = find_view(c, id);
    if (!v)
        v = new_view(c, id);
    free(v->bad);
    v->bad = strdup(why);
}

int nvc_avro_add_writer(nvc_codec *c, long id, const char *schema, char *err, size_t errlen)
{
    char e[600];
    avro_view *v = find_view(c, id);
    if (!v)
        v = new_view(c, id);
    if (!(v->schema = load_schema(schema, "writer", e, sizeof e)))
        goto bad;
    if (c->in_type && avro_same(v->schema->root, c->in_type, 0)) {
        v->rec = c->in_type; /* the local schema itself: read straight */
    } else if (c->in_type) {
        char why[500];
        if (avro_resolvable(v->schema->root, c->in_type, why, sizeof why, 0)) {
            snprintf(e, sizeof e, "cannot be read as the input schema: %s", why);
            goto bad;
        }
        v->transcode = 1;
        v->rec = c->in_type;
        return 0; /* read with the local view after resolution */
    } else {
        v->rec = v->schema->root; /* no reader's schema: read as written */
    }
    if (bind_view(c, v, e, sizeof e))
        goto bad;
    return 0;
bad:
    snprintf(err, errlen, "%s", e);
    free(v->bad);
    v->bad = strdup(e);
    return -1;
}

const char *nvc_notes(const nvc_codec *c) { return c->notes; }

/* ---- decoding ---- */

/* one field value into model input f */
static int read_field(nvc_batch *b, size_t i, int f, avro_rd *r, const avro_type *t, int depth)
{
    const char *name = b->c->m->inputs[f].name;
    long long n;
    const unsigned char *s;
    size_t len;
    if (depth > NVC_MAX_DEPTH)
        return avro_fail(r, "nested too deeply");
    switch (t->kind) {
    case AV_NULL:
        nvc_set_state(b, i, f, NERVA_MISSING);
        return 0;
    case AV_UNION:
        if (avro_read_long(r, &n))
            return -1;
        if (n < 0 || n >= t->n)
            return avro_fail(r, "union branch out of range");
        return read_field(b, i, f, r, t->sub[n], depth + 1);
    case AV_BOOL:
        if (r->p >= r->end || *r->p > 1)
            return avro_fail(r, "bad boolean");
        n = *r->p++;
        if (b->c->m->inputs[f].type == NERVA_STRING)
            return nvc_set_text(b, i, f, n ? "true" : "false", n ? 4 : 5);
        if (nvc_set_bool(b, i, f, (int)n))
            return nvc_bad(b, i, "type", "field '%s': a boolean where the model wants a number", name);
        return 0;
    case AV_INT: case AV_LONG: {
        if (avro_read_long(r, &n))
            return -1;
        int type = b->c->m->inputs[f].type;
        if (type == NERVA_LONG || type == NERVA_STRING) {
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
            return avro_fail(r, "truncated value");
        double d = avro_get_double(r->p, sz);
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
        if (avro_read_bytes(r, &s, &len))
            return -1;
        if (memchr(s, 0, len) || nvc_set_text(b, i, f, (const char *)s, len))
            return nvc_bad(b, i, "type", "field '%s': \"%.*s\" is not a value of its type", name, (int)(len > 40 ? 40 : len),
                           (const char *)s);
        return 0;
    case AV_ENUM:
        if (avro_read_long(r, &n))
            return -1;
        if (n < 0 || n >= t->n)
            return avro_fail(r, "enum index out of range");
        if (nvc_set_text(b, i, f, t->names[n], strlen(t->names[n])))
            return nvc_bad(b, i, "type", "field '%s': enum symbol %s is not a value of its type", name, t->names[n]);
        return 0;
    default:
        if (avro_skip(r, t, depth + 1))
            return -1;
        return nvc_bad(b, i, "type", "field '%s': a complex Avro value where the model wants a scalar", name);
    }
}

int nvc_avro_decode(nvc_batch *b, size_t i, const char *p, size_t len)
{
    const nvc_codec *c = b->c;
    const avro_view *v = c->local;
    size_t off = 0;
    long id = -1;
    b->view[i] = NULL;
    if (c->o.in_confluent || c->o.by_id) {
        if ((id = nvc_avro_frame_id(p, len)) < 0)
            return nvc_bad(b, i, "parse", "not in the Confluent wire format (magic byte 0 and a schema id)");
        off = 5;
    }
    if (c->o.by_id) {
        const avro_view *w = find_view(c, id);
        if (!w)
            return nvc_bad(b, i, "schema", "schema id %ld: not known (not fetched from the registry)", id);
        if (w->bad)
            return nvc_bad(b, i, "schema", "schema id %ld: %s", id, w->bad);
        v = w;
        if (w->transcode) {
            /* resolved into the reader's schema, then read as that */
            avro_rd r = {(const unsigned char *)p + off, (const unsigned char *)p + len, NULL};
            b->scratch.len = 0;
            if (avro_resolve(&r, w->schema->root, c->in_type, &b->scratch, 0) || r.p != r.end)
                return nvc_bad(b, i, "parse", "Avro (schema id %ld) at byte %ld: %s", id, (long)((const char *)r.p - p),
                               r.err ? r.err : "bytes after the record");
            p = nvc_strdup_batch(b, b->scratch.data ? b->scratch.data : "", b->scratch.len);
            len = b->scratch.len;
            b->src[i] = p;
            b->srclen[i] = len;
            off = 0;
            v = c->local;
        }
    }
    b->view[i] = v;
    avro_rd r = {(const unsigned char *)p + off, (const unsigned char *)p + len, NULL};
    const avro_type *t = v->rec;
    for (int k = 0; k < t->n; k++) {
        const unsigned char *start = r.p;
        int f = v->in_field[k];
        int rc = f >= 0 ? read_field(b, i, f, &r, t->sub[k], 0) : avro_skip(&r, t->sub[k], 0);
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
                    avro_put_long(out, k);
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
        long long x = mtype == NERVA_LONG || mtype == NERVA_BOOL ? l : (long long)d;
        if (mtype != NERVA_LONG && mtype != NERVA_BOOL &&
            (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || d != floor(d)))
            return 0;
        if (t->kind == AV_INT && (x < -2147483648LL || x > 2147483647LL))
            return 0;
        if (out)
            avro_put_long(out, x);
        return 1;
    }
    case AV_FLOAT: case AV_DOUBLE:
        if (!present || !num || mtype == NERVA_BOOL)
            return 0;
        if (out)
            avro_put_double(out, d, t->kind == AV_FLOAT ? 4 : 8);
        return 1;
    case AV_STRING: case AV_BYTES:
        if (!present || mtype != NERVA_STRING)
            return 0;
        if (out) {
            size_t n = strlen(s);
            avro_put_long(out, (long long)n);
            nvc_buf_put(out, s, n);
        }
        return 1;
    case AV_ENUM:
        if (!present || mtype != NERVA_STRING)
            return 0;
        for (int k = 0; k < t->n; k++)
            if (!strcmp(t->names[k], s)) {
                if (out)
                    avro_put_long(out, k);
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
    const avro_view *v = b->view[i] ? b->view[i] : c->local;
    if (c->o.out_schema_id >= 0) {
        unsigned long id = (unsigned long)c->o.out_schema_id;
        unsigned char h[5] = {0, (unsigned char)(id >> 24), (unsigned char)(id >> 16),
                              (unsigned char)(id >> 8), (unsigned char)id};
        nvc_buf_put(out, h, 5);
    }
    for (int k = 0; k < t->n; k++) {
        const avro_out_field *pl = &v->out_plan[k];
        nvc_value val = {NERVA_DOUBLE, NERVA_MISSING, 0, 0, NULL};
        if (pl->src == SRC_RAW) {
            for (size_t q = 0; q < b->span_count[i]; q++) {
                const nvc_span *sp = &b->spans[b->span_first[i] + q];
                if (sp->tag != pl->idx)
                    continue;
                if (pl->copy) {
                    nvc_buf_put(out, b->src[i] + sp->off, sp->len);
                    continue;
                }
                const unsigned char *at = (const unsigned char *)b->src[i] + sp->off;
                avro_rd r = {at, at + sp->len, NULL};
                if (avro_resolve(&r, v->rec->sub[pl->idx], t->sub[k], out, 0))
                    return nvc_bad(b, i, "encode", "output field '%s': the input's value does not fit its Avro type (%s)",
                                   t->names[k], r.err);
            }
            continue;
        }
        if (pl->src == SRC_OUTPUT)
            val = nvc_out_value(b, i, pl->idx);
        else if (pl->src == SRC_INPUT)
            val = nvc_in_value(b, i, pl->idx);
        if (!put_value(out, t->sub[k], val, 0))
            return nvc_bad(b, i, "encode", "output field '%s': %s does not fit its Avro type", t->names[k],
                           val.state == NERVA_PRESENT ? "the value" : "a missing value");
    }
    return 0;
}
