/* hx_int.h: the state of one `nerva kafka` run, shared by the files of the
 * harness's loop: kafka.c (setup, the loop, models, metrics) and deliver.c
 * (partition tracking, producing, dead letters, delivery reports).
 * Internal to nerva-kafka. */
#ifndef NERVA_HX_INT_H
#define NERVA_HX_INT_H

#include "harness.h"

#include <librdkafka/rdkafka.h>

/* a ticket: which record a produced message answers for.  Bit 63 marks a
   dead letter; bits 48..62 name the partition's track, 40..47 its
   generation (a track reset since makes old tickets void), 0..39 the
   record's sequence number in its track */
#define SEQ_BITS 40
#define GEN_BITS 8
#define TRACK_BITS 15
#define MAX_TRACKS (1 << TRACK_BITS)
#define DLQ_BIT ((uintptr_t)1 << 63)

typedef struct slot {
    int64_t offset;
    double recv;
    unsigned pending;           /* deliveries still awaited; 0: acknowledged */
} slot;

typedef struct hx_topic hx_topic;

/* one input partition's records in flight, in offset order */
typedef struct track {
    hx_topic *topic;
    int32_t part;
    int id;                     /* index in hx.trk, carried by tickets */
    int active, eof, dirty, gen;
    slot *ring;
    uint64_t cap, head, tail;   /* sequence numbers: [head, tail) in flight */
    int64_t store;              /* next offset to store, -1 none */
    int64_t position;           /* last consumed + 1, -1 none */
    uint64_t consumed;
    void *state;                /* a stateful model's entities of this partition (Lag, Aggregate) */
} track;

/* an input topic (a real one, even when subscribed by pattern) and where
   its results and dead letters go */
struct hx_topic {
    char *name;
    char *out_name, *dlq_name;  /* -o and --dlq with {topic} filled in */
    rd_kafka_topic_t *out, *dlq;
    track **parts;              /* by partition number */
    int nparts;
    long out_id;                /* the output schema's registry id for out_name; -2 not yet asked */
};

/* a writer's schema, as the registry gave it (or why not) */
typedef struct hx_known {
    long id;
    char *text, *bad;
} hx_known;

/* a message the broker refused for good, to be dead-lettered (deliver.c) */
typedef struct redo {
    uintptr_t ticket;
    rd_kafka_resp_err_t err;
    char *topic;
    void *key, *val;
    size_t klen, vlen;
    rd_kafka_headers_t *hdrs;
} redo;

typedef struct hx {
    const hx_config *cfg;
    rd_kafka_t *c, *p;
    rd_kafka_queue_t *cq;
    hx_topic **topics;
    int ntopics;
    hx_topic *last_topic;       /* the topic of the last message, looked up */
    track **trk;                /* every track, by id */
    int ntrk;
    int assigned;
    hx_model model;
    hx_worker *worker;          /* a PFA model's engine, in its own process */
    nvc_codec *codec;
    nvc_batch *batch;
    nvc_options opts;
    char *in_schema, *out_schema;
    nvc_buf enc;
    hx_registry *reg;           /* --schema-registry (schemas.c) */
    hx_known *known;            /* writer schemas fetched */
    int nknown;
    struct hx_out { char *topic; long id; } *outs; /* output schema ids by topic */
    int nouts;
    char *out_record;           /* the output schema's full name */
    hx_compile job;             /* a reload being compiled */
    int job_on;
    long max_msg;               /* the producer's message.max.bytes */
    redo *redo;
    int nredo, capredo;
    hx_totals t;
    unsigned long long evicted_gone; /* entities evicted by states since freed */
    hx_hist e2e, score_lat;     /* microseconds; nanoseconds */
    uint64_t inflight, logged_bad;
    int fatal;
    double t_first, t_last;
    char errstr[512];
} hx;

/* ---- schemas.c ---- */
int hx_schemas_setup(hx *h);
/* the writer schemas of the messages' ids, for the codec; -1: stop */
int hx_schemas_fetch(hx *h, rd_kafka_message_t **msgs, size_t n);
/* the output schema's id for topic (registered or looked up); -1 (fatal) */
long hx_schemas_out_id(hx *h, const char *topic);
void hx_schemas_free(hx *h);

/* ---- deliver.c ---- */
track *hx_track(hx *h, hx_topic *t, int32_t part);
hx_topic *hx_topic_of(hx *h, const char *name);
void hx_track_reset(track *t);
uintptr_t hx_ticket_new(hx *h, track *t, int64_t offset);
void hx_ack(hx *h, uintptr_t ticket);
/* a record whose outcome is n messages instead of one */
void hx_expect(hx *h, uintptr_t ticket, unsigned n);
void hx_store_offsets(hx *h);
void hx_on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque);
/* dead-letters what the broker refused for good since the last call */
void hx_redo(hx *h);
/* serves delivery reports for up to ms, then hx_redo */
void hx_poll(hx *h, int ms);
/* flushes the producer (dead letters of refused results included) */
void hx_flush(hx *h, int ms);
/* a result of input record m: produced, or dead-lettered when it is too large */
void hx_result(hx *h, const rd_kafka_message_t *m, uintptr_t ticket, const void *val, size_t len);
/* input record m is bad: dead-lettered (or logged and counted without --dlq) */
void hx_bad_record(hx *h, const rd_kafka_message_t *m, uintptr_t ticket, const char *kind, const char *detail,
                   const char *code);

#endif
