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

/* a tiny JSON tree, for .avsc schemas (configuration, not messages) */
typedef enum { NVJ_NULL, NVJ_BOOL, NVJ_NUM, NVJ_STR, NVJ_ARR, NVJ_OBJ } nvj_kind;
typedef struct nvj {
    nvj_kind kind;
    int b;
    double num;
    char *str;            /* NVJ_STR */
    int n;                /* items of an array or object */
    struct nvj **items;
    char **keys;          /* NVJ_OBJ */
} nvj;

nvj *nvj_parse(const char *text, char *err, size_t errlen);
void nvj_free(nvj *v);
const nvj *nvj_get(const nvj *obj, const char *key);

typedef struct avro_type avro_type;

/* what fills an output schema field */
enum { SRC_OUTPUT, SRC_INPUT, SRC_RAW, SRC_NULL };
typedef struct avro_out_field {
    int src, idx;         /* model output or input index, or input schema field (SRC_RAW) */
} avro_out_field;

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
    avro_type *in_type, *out_type;  /* records */
    void *avro_mem;                 /* everything the schemas own */
    int *in_avro_field;             /* input schema field -> model input, or -1 */
    avro_out_field *out_plan;       /* per output schema field */
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
/* the length of the valid UTF-8 character at p (of avail bytes), 0 if none */
size_t nvc_utf8_len(const char *p, size_t avail);
/* a field's value read back from a record's input or output struct */
typedef struct nvc_value {
    int type;         /* enum nerva_type */
    int state;        /* NERVA_PRESENT or NERVA_MISSING */
    double d;         /* numbers and booleans */
    long long l;      /* longs and booleans, exactly */
    const char *s;    /* strings */
} nvc_value;
nvc_value nvc_out_value(const nvc_batch *b, size_t i, int j);
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
