/* Internals shared by the codec's files (codec.c and one file per format).
 * Not installed; hosts use nerva_codec.h. */
#ifndef NERVA_CODEC_INT_H
#define NERVA_CODEC_INT_H

#include "nerva_codec.h"

#include <stdint.h>

#define NVC_MAX_DEPTH 64          /* nesting of JSON values and Avro types */
#define NVC_ERR_LEN 200

/* a piece of a source message kept for --passthrough: [off, off+len) */
typedef struct nvc_span {
    uint32_t off, len;
    int tag; /* JSON: -1 keep, else skip; CSV: column; Avro: schema field */
} nvc_span;

/* ---- Avro (avro_schema.c, avro_resolve.c, codec_avro.c) ---- */
enum { AV_NULL, AV_BOOL, AV_INT, AV_LONG, AV_FLOAT, AV_DOUBLE, AV_BYTES, AV_STRING,
       AV_RECORD, AV_ENUM, AV_ARRAY, AV_MAP, AV_UNION, AV_FIXED };

typedef struct avro_type avro_type;
struct avro_type {
    int kind;
    char *name;                 /* named types: the full name */
    int n;
    avro_type **sub;            /* record fields, union branches, array items, map values */
    char **names;               /* record field names, enum symbols */
    char ***aliases;            /* record fields: NULL-ended aliases, or NULL */
    nvc_buf *defaults;          /* record fields: the default, in Avro binary */
    unsigned char *has_default;
    int enum_default;           /* enum: the default symbol, -1 none */
    long size;                  /* fixed */
};

typedef struct avro_schema {
    avro_type *root;
    avro_type **all;            /* every type it owns */
    int n, cap;
} avro_schema;

avro_schema *avro_parse(const char *text, char *err, size_t errlen);
void avro_free(avro_schema *s);
int avro_same(const avro_type *a, const avro_type *b, int depth);
const char *avro_short(const char *name);
int avro_field(const avro_type *rec, const char *name);
void avro_put_long(nvc_buf *out, long long v);
void avro_put_double(nvc_buf *out, double d, int size);
double avro_get_double(const unsigned char *p, int size);

typedef struct avro_rd {
    const unsigned char *p, *end;
    const char *err;
} avro_rd;
int avro_fail(avro_rd *r, const char *msg);
int avro_read_long(avro_rd *r, long long *out);
int avro_read_bytes(avro_rd *r, const unsigned char **b, size_t *n);
int avro_skip(avro_rd *r, const avro_type *t, int depth);
/* reads a value of the writer's type w, writes it as the reader's type;
   0, or -1 with r->err */
int avro_resolve(avro_rd *r, const avro_type *w, const avro_type *reader, nvc_buf *out, int depth);
/* whether data of w can be read as reader (unions: record by record); 0,
   or -1 with why */
int avro_resolvable(const avro_type *w, const avro_type *reader, char *why, size_t n, int depth);

/* what fills an output schema field */
enum { SRC_OUTPUT, SRC_INPUT, SRC_RAW, SRC_NULL };
typedef struct avro_out_field {
    int src, idx;         /* model output or input index, or input record field (SRC_RAW) */
    int copy;             /* SRC_RAW: the same type (bytes copied), else resolved into the output's */
} avro_out_field;

/* how the records of one writer schema are read */
typedef struct avro_view {
    long id;                    /* the writer's schema id (registry); -1: the local input schema */
    avro_schema *schema;        /* the writer's, when it is not the local one */
    const avro_type *rec;       /* the record decoded: the reader's when transcoding, else the writer's */
    int transcode;              /* records are resolved into the local (reader's) schema first */
    int *in_field;              /* rec field -> model input, or -1 */
    avro_out_field *out_plan;   /* per output schema field, from rec */
    char *bad;                  /* why records of this writer are bad, or NULL */
} avro_view;

struct nvc_codec {
    const nerva_model *m;
    nvc_options o;
    int *in_slot, *out_slot;      /* hash tables of field names: index+1, 0 empty */
    unsigned in_mask, out_mask;
    char **out_key, **in_key;     /* JSON: "\"name\":" pre-escaped */
    size_t *out_key_len, *in_key_len;
    /* CSV input columns */
    int ncols;
    int *col_field;               /* column -> model input, or -1 */
    /* Avro */
    avro_schema *in_schema, *out_schema;  /* the local ones (.avsc) */
    avro_type *in_type, *out_type;        /* their top-level records */
    avro_view *local;                     /* records of the local input schema */
    avro_view **views;                    /* and of each writer schema id seen */
    int nviews;
    char notes[1024];                     /* what setup found worth a warning */
};

typedef struct nvc_chunk {
    struct nvc_chunk *next;
    size_t used, cap;
    char data[];
} nvc_chunk;

struct nvc_batch {
    nvc_codec *c;
    size_t cap, n;
    char *in, *out;
    int *status;
    const char **src;
    size_t *srclen;
    const char **ekind;
    char (*edetail)[NVC_ERR_LEN];
    nvc_span *spans;
    size_t nspans, spans_cap;
    size_t *span_first, *span_count;
    nvc_chunk *strings;
    const avro_view **view;       /* Avro: how record i was read */
    nvc_buf scratch;              /* Avro: a record resolved into the reader's schema */
    void **states;                /* a stateful model: the state each record is scored with */
};

/* codec.c */
int nvc_input_index(const nvc_codec *c, const char *name, size_t len);
int nvc_output_index(const nvc_codec *c, const char *name, size_t len);
char *nvc_strdup_batch(nvc_batch *b, const char *s, size_t len);
int nvc_bad(nvc_batch *b, size_t i, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void nvc_span_add(nvc_batch *b, size_t i, size_t off, size_t len, int tag);
/* store text as input field f of record i; 0, or -1 when it is not a value of
   the field's type (the caller decides: invalid state or bad record) */
int nvc_set_text(nvc_batch *b, size_t i, int f, const char *s, size_t len);
int nvc_set_number(nvc_batch *b, size_t i, int f, double d);
int nvc_set_bool(nvc_batch *b, size_t i, int f, int v);
void nvc_set_state(nvc_batch *b, size_t i, int f, int state);
/* a JSON string literal of s; -1 (buf partly written) when s is not UTF-8 */
int nvc_json_string(nvc_buf *buf, const char *s, size_t n);

/* a field's value read back from a record's input or output struct */
typedef struct nvc_value {
    int type;         /* enum nerva_type */
    int state;        /* NERVA_PRESENT or NERVA_MISSING */
    double d;         /* numbers and booleans */
    long long l;      /* longs and booleans, exactly */
    const char *s;    /* strings */
} nvc_value;
nvc_value nvc_out_value(const nvc_batch *b, size_t i, int j);
/* codec_time.c: the ISO 8601 text of a NERVA_DATE, NERVA_TIME or
   NERVA_DATETIME value at p; its length, or -1 */
int nvc_time_text(int type, const char *p, char *buf, size_t size);
nvc_value nvc_in_value(const nvc_batch *b, size_t i, int j);

/* codec_json.c */
int nvc_json_decode(nvc_batch *b, size_t i, const char *p, size_t len);
int nvc_json_encode(nvc_batch *b, size_t i, nvc_buf *out);
/* codec_csv.c */
int nvc_csv_setup(nvc_codec *c, char *err, size_t errlen);
int nvc_csv_decode(nvc_batch *b, size_t i, const char *p, size_t len);
int nvc_csv_encode(nvc_batch *b, size_t i, nvc_buf *out);
/* codec_avro.c */
int nvc_avro_setup(nvc_codec *c, char *err, size_t errlen);
void nvc_avro_free(nvc_codec *c);
int nvc_avro_decode(nvc_batch *b, size_t i, const char *p, size_t len);
int nvc_avro_encode(nvc_batch *b, size_t i, nvc_buf *out);

#endif
