/* nerva_codec.h: decode, score and encode Kafka records with a compiled model.
 *
 * Why it exists: the Kafka harness moves bytes; everything that touches a
 * record's meaning lives here, in a small library with no librdkafka in it,
 * so it can be unit-tested without a broker and reused by other hosts.  It
 * binds a model only through its descriptor (runtime/nerva_model.h): input
 * messages (JSON, CSV or Avro) are decoded into the model's input structs by
 * field name, a batch is scored with one score_batch call, and each result is
 * encoded (JSON, CSV or Avro, optionally in the Confluent wire format).
 *
 * Use:
 *   nvc_codec *c = nvc_new(model, &opts, err, sizeof err);
 *   nvc_batch *b = nvc_batch_new(c, 1024);
 *   for each message: nvc_decode(b, value, len);        (bytes must live until encoded)
 *   nvc_score(b);
 *   for i < nvc_count(b): if nvc_status(b, i) == NVC_OK ... nvc_encode(b, i, &buf)
 *                         else dead-letter with nvc_error(b, i)
 *   nvc_batch_reset(b);
 * A batch is used by one thread at a time; codecs are read-only after nvc_new.
 * Every public symbol starts with nvc_. */
#ifndef NERVA_CODEC_H
#define NERVA_CODEC_H

#include <stddef.h>

#include "nerva_model.h"

#if defined(__GNUC__)
#define NVC_API __attribute__((visibility("default")))
#else
#define NVC_API
#endif

typedef enum nvc_format { NVC_JSON = 1, NVC_CSV = 2, NVC_AVRO = 3 } nvc_format;

typedef struct nvc_options {
    nvc_format in_format, out_format;
    const char *columns;        /* CSV in: column names, comma-separated (default: model inputs) */
    const char *in_schema;      /* Avro in: the .avsc text (JSON) */
    const char *out_schema;     /* Avro out: the .avsc text (JSON) */
    int in_confluent;           /* Avro in: messages carry the 5-byte Confluent header */
    long out_schema_id;         /* >= 0: Avro out framed with this Confluent schema id; -1: plain */
    int passthrough;            /* the output record also carries the input's fields */
    int by_id;                  /* Avro in: each record is read with the writer's schema its frame
                                   names (nvc_avro_add_writer); in_schema, if given, is the
                                   reader's schema, which evolved writers are resolved into */
} nvc_options;

/* per-record outcome */
enum nvc_status {
    NVC_OK = 0,          /* scored; encode it */
    NVC_INVALID = 1,     /* the model returned NERVA_RESULT_INVALID: encoded with every output missing */
    NVC_BAD_INPUT = -1,  /* the message could not be decoded: dead-letter it */
    NVC_SCORE_ERROR = -2 /* the model failed on it (NERVA_ERROR): dead-letter it */
};

typedef struct nvc_codec nvc_codec;
typedef struct nvc_batch nvc_batch;

typedef struct nvc_buf {
    char *data;
    size_t len, cap;
} nvc_buf;

/* NULL on a configuration error (e.g. a bad schema, a field the output schema
   cannot be filled from), with the reason in err. */
NVC_API nvc_codec *nvc_new(const nerva_model *m, const nvc_options *o, char *err, size_t errlen);
NVC_API void nvc_free(nvc_codec *c);
NVC_API const nerva_model *nvc_model(const nvc_codec *c);

/* Whether a model can replace the codec's model (hot reload): every input of
   `next` must be an input of the current model with the same type.  0 when
   compatible, else -1 with the reason in err. */
NVC_API int nvc_compatible(const nvc_codec *c, const nerva_model *next, char *err, size_t errlen);

NVC_API nvc_batch *nvc_batch_new(nvc_codec *c, size_t capacity);
NVC_API void nvc_batch_free(nvc_batch *b);
NVC_API void nvc_batch_reset(nvc_batch *b);
NVC_API size_t nvc_count(const nvc_batch *b);
NVC_API size_t nvc_capacity(const nvc_batch *b);

/* Decodes one message into the next slot; returns its index (its status is
   NVC_BAD_INPUT when it did not decode), or -1 when the batch is full. */
NVC_API long nvc_decode(nvc_batch *b, const void *msg, size_t len);
/* A model with per-entity state (Lag, Aggregate: nerva_model.state_new):
   the state record i is scored with (its partition's), set after decoding.
   A record of a stateful model without one fails (NVC_SCORE_ERROR). */
NVC_API void nvc_set_record_state(nvc_batch *b, size_t i, void *state);
/* Scores every decoded record: in one score_batch call, or, for a stateful
   model, record by record in order, each with its state. */
NVC_API void nvc_score(nvc_batch *b);
/* Instead of nvc_score: every output missing (benchmarks: the pipeline
   without the model). */
NVC_API void nvc_no_score(nvc_batch *b);
NVC_API int nvc_status(const nvc_batch *b, size_t i);
/* why record i is bad: "parse", "type", "schema", "score" or "encode", and a detail */
NVC_API const char *nvc_error_kind(const nvc_batch *b, size_t i);
NVC_API const char *nvc_error(const nvc_batch *b, size_t i);
/* Encodes the result of record i into out (replacing its contents); 0, or
   -1 when the result cannot be encoded (then the record is bad: kind "encode"). */
NVC_API int nvc_encode(nvc_batch *b, size_t i, nvc_buf *out);

/* Avro with writer schemas by id (nvc_options.by_id).  The host reads each
   message's id (nvc_avro_frame_id: -1 when it is not framed), and before
   decoding a message with an id the codec does not know, gives it the
   writer's schema (nvc_avro_add_writer: -1 when the schema cannot be read or
   resolved into the reader's, with the reason, which records with that id
   then carry as their error) or says why there is none (nvc_avro_bad_writer).
   These change the codec: not while another thread decodes with it. */
NVC_API long nvc_avro_frame_id(const void *msg, size_t len);
NVC_API int nvc_avro_writer_known(const nvc_codec *c, long id);
NVC_API int nvc_avro_add_writer(nvc_codec *c, long id, const char *schema, char *err, size_t errlen);
NVC_API void nvc_avro_bad_writer(nvc_codec *c, long id, const char *why);
/* what nvc_new found worth a warning (e.g. an output field nothing fills), or "" */
NVC_API const char *nvc_notes(const nvc_codec *c);

NVC_API void nvc_buf_put(nvc_buf *buf, const void *p, size_t n);
/* room for `more` bytes after len */
NVC_API void nvc_buf_need(nvc_buf *buf, size_t more);
NVC_API void nvc_buf_puts(nvc_buf *buf, const char *s);
NVC_API void nvc_buf_free(nvc_buf *buf);

/* the length of the valid UTF-8 character at p (of avail bytes): 1 to 4,
   or 0 when there is none (invalid, overlong, a surrogate, cut short) */
NVC_API size_t nvc_utf8_len(const char *p, size_t avail);

/* Shortest-ish text that reads back to the same double: tries 15, 16, 17
   digits; NaN, Infinity, -Infinity as Java spells them.  Returns the length. */
NVC_API int nvc_format_double(double d, char *buf, size_t size);

#endif
