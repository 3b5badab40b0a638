/* kafka.c: `nerva kafka`, the harness: consume a topic, score each record
 * with the compiled model, produce the result, and commit offsets only for
 * records whose results the broker has acknowledged.
 *
 * The loop, one batch at a time:
 *   consume up to --batch records -> decode each into the model's input
 *   structs -> one score_batch call -> encode and produce each result (or
 *   dead-letter the record) -> serve delivery reports -> store offsets.
 *
 * Delivery (at-least-once, the default): every consumed record gets a ticket
 * in its partition's ring, in offset order; the ticket rides on the produced
 * message, and its delivery report marks it acknowledged.  A partition's
 * offset is stored (and auto-committed each second) only up to the first
 * record not yet acknowledged, so a commit never covers a result that could
 * still be lost.  Rebalances and shutdown flush the producer and commit
 * synchronously before giving partitions up.  --exactly-once instead wraps
 * each batch in a transaction with its consumer offsets
 * (send_offsets_to_transaction).
 *
 * The model is swapped (hot reload, SIGHUP or a changed file) only between
 * batches, so no record is lost or scored twice by a reload.
 *
 * A PFA model is an engine with state (cells, pools): the harness keeps one
 * engine, hands it each record's JSON text in consumption order and produces
 * every value the engine gives back (a map engine one per record, an emit
 * engine any number, a fold engine its tally); a record is acknowledged when
 * all of them are. */
#include "harness.h"

#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t hx_stop, hx_reload;

#define SEQ_BITS 40
#define GEN_BITS 8
#define DLQ_BIT ((uintptr_t)1 << 63)

typedef struct slot {
    int64_t offset;
    double recv;
    unsigned pending;           /* deliveries still awaited; 0: acknowledged */
} slot;

/* one input partition's records in flight, in offset order */
typedef struct track {
    int32_t part;
    int active, eof, dirty, gen;
    slot *ring;
    uint64_t cap, head, tail;   /* sequence numbers: [head, tail) in flight */
    int64_t store;              /* next offset to store, -1 none */
    int64_t position;           /* last consumed + 1, -1 none */
} track;

typedef struct hx {
    const hx_config *cfg;
    rd_kafka_t *c, *p;
    rd_kafka_queue_t *cq;
    rd_kafka_topic_t *out_rkt, *dlq_rkt;
    track *tracks;
    int ntracks;
    int assigned;
    hx_model model;
    void *engine;               /* a PFA model's state */
    nvc_buf pfa_out;            /* the values one PFA action gave back, each ended by NUL */
    size_t pfa_nout;
    nvc_codec *codec;
    nvc_batch *batch;
    nvc_options opts;
    char *in_schema, *out_schema;
    nvc_buf enc;
    hx_totals t;
    hx_hist e2e, score_lat;     /* microseconds; nanoseconds */
    uint64_t inflight, logged_bad;
    int fatal;
    double t_first, t_last;
    char errstr[512];
} hx;

static void say(const hx *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const hx *h, const char *fmt, ...)
{
    va_list ap;
    if (h->cfg->quiet)
        return;
    va_start(ap, fmt);
    fputs("nerva-kafka: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- partition tracking ---- */

static track *track_of(hx *h, int32_t part)
{
    if (part < 0 || part > 100000)
        return NULL;
    if (part >= h->ntracks) {
        int n = part + 1;
        h->tracks = realloc(h->tracks, (size_t)n * sizeof *h->tracks);
        if (!h->tracks)
            abort();
        memset(h->tracks + h->ntracks, 0, (size_t)(n - h->ntracks) * sizeof *h->tracks);
        for (int k = h->ntracks; k < n; k++) {
            h->tracks[k].part = k;
            h->tracks[k].store = h->tracks[k].position = -1;
        }
        h->ntracks = n;
    }
    return &h->tracks[part];
}

static void track_reset(track *t)
{
    t->head = t->tail = 0;
    t->store = t->position = -1;
    t->dirty = t->eof = 0;
    t->gen = (t->gen + 1) & ((1 << GEN_BITS) - 1);
}

static uintptr_t ticket_new(hx *h, track *t, int64_t offset)
{
    if (t->tail - t->head == t->cap) {
        uint64_t cap = t->cap ? t->cap * 2 : 4096;
        slot *ring = malloc(cap * sizeof *ring);
        if (!ring)
            abort();
        for (uint64_t s = t->head; s < t->tail; s++)
            ring[s & (cap - 1)] = t->ring[s & (t->cap - 1)];
        free(t->ring);
        t->ring = ring;
        t->cap = cap;
    }
    uint64_t seq = t->tail++;
    slot *s = &t->ring[seq & (t->cap - 1)];
    s->offset = offset;
    s->recv = hx_now();
    s->pending = 1;
    h->inflight++;
    return ((uintptr_t)t->part << (SEQ_BITS + GEN_BITS)) | ((uintptr_t)t->gen << SEQ_BITS) |
           (uintptr_t)(seq & (((uint64_t)1 << SEQ_BITS) - 1));
}

/* the slot a ticket names, or NULL when its partition was reset since */
static slot *slot_of(hx *h, uintptr_t ticket, track **tp)
{
    ticket &= ~DLQ_BIT;
    int32_t part = (int32_t)(ticket >> (SEQ_BITS + GEN_BITS));
    int gen = (int)((ticket >> SEQ_BITS) & ((1 << GEN_BITS) - 1));
    uint64_t seq40 = ticket & (((uint64_t)1 << SEQ_BITS) - 1);
    track *t = part < h->ntracks ? &h->tracks[part] : NULL;
    if (!t || t->gen != gen)
        return NULL;
    /* widen the 40-bit sequence number to the one in [head, tail) */
    uint64_t seq = (t->head & ~(((uint64_t)1 << SEQ_BITS) - 1)) | seq40;
    if (seq < t->head)
        seq += (uint64_t)1 << SEQ_BITS;
    if (seq < t->head || seq >= t->tail)
        return NULL;
    *tp = t;
    return &t->ring[seq & (t->cap - 1)];
}

static void ack(hx *h, uintptr_t ticket)
{
    track *t;
    slot *s = slot_of(h, ticket, &t);
    h->inflight--;
    if (!s)
        return; /* the partition was reset since: its new owner redoes it */
    if (s->pending > 1) {
        s->pending--;
        return;
    }
    s->pending = 0;
    double now = hx_now();
    hx_hist_add(&h->e2e, (now - s->recv) * 1e6);
    h->t_last = now;
    while (t->head < t->tail && !t->ring[t->head & (t->cap - 1)].pending) {
        t->store = t->ring[t->head & (t->cap - 1)].offset + 1;
        t->head++;
        t->dirty = 1;
    }
}

/* a record whose outcome is n messages (a PFA emit engine: any number)
   instead of one: acknowledged when all n are */
static void expect(hx *h, uintptr_t ticket, unsigned n)
{
    if (n == 0) {
        ack(h, ticket);
        return;
    }
    h->inflight += n - 1;
    track *t;
    slot *s = slot_of(h, ticket, &t);
    if (s)
        s->pending += n - 1;
}

/* offsets of acknowledged prefixes -> the consumer's offset store */
static void store_offsets(hx *h)
{
    if (h->cfg->exactly_once)
        return;
    rd_kafka_topic_partition_list_t *l = NULL;
    for (int k = 0; k < h->ntracks; k++) {
        track *t = &h->tracks[k];
        if (!t->dirty || !t->active)
            continue;
        if (!l)
            l = rd_kafka_topic_partition_list_new(8);
        rd_kafka_topic_partition_list_add(l, h->cfg->in_topic, t->part)->offset = t->store;
        t->dirty = 0;
    }
    if (l) {
        rd_kafka_offsets_store(h->c, l);
        rd_kafka_topic_partition_list_destroy(l);
    }
}

/* ---- callbacks ---- */

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    hx *h = opaque;
    uintptr_t ticket = (uintptr_t)m->_private;
    (void)rk;
    if (m->err) {
        /* retries are exhausted: never store past it; stop, so the records
           are redone after a restart instead of being skipped */
        h->t.failed++;
        h->inflight--;
        if (!h->fatal)
            say(h, "error: a result could not be delivered: %s; stopping without committing it",
                rd_kafka_err2str(m->err));
        h->fatal = 1;
        return;
    }
    if (ticket & DLQ_BIT)
        h->t.dlq++;
    else
        h->t.produced++;
    ack(h, ticket);
}

/* flush what is in flight and commit it, before partitions change hands */
static void drain(hx *h)
{
    rd_kafka_flush(h->p, h->fatal ? 10000 : 60000);
    store_offsets(h);
    if (!h->cfg->exactly_once) {
        rd_kafka_resp_err_t err = rd_kafka_commit(h->c, NULL, 0);
        if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
            say(h, "warning: commit failed: %s", rd_kafka_err2str(err));
    }
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                         void *opaque)
{
    hx *h = opaque;
    int coop = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        for (int k = 0; k < parts->cnt; k++) {
            track *t = track_of(h, parts->elems[k].partition);
            if (t) {
                track_reset(t);
                t->active = 1;
                h->assigned++;
            }
        }
        say(h, "assigned %d partition(s) of %s", parts->cnt, h->cfg->in_topic);
        if (coop)
            rd_kafka_error_destroy(rd_kafka_incremental_assign(rk, parts));
        else
            rd_kafka_assign(rk, parts);
        return;
    }
    drain(h);
    for (int k = 0; k < parts->cnt; k++) {
        track *t = track_of(h, parts->elems[k].partition);
        if (t && t->active) {
            t->active = 0;
            track_reset(t);
            h->assigned--;
        }
    }
    say(h, "revoked %d partition(s)", parts->cnt);
    if (coop)
        rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, parts));
    else
        rd_kafka_assign(rk, NULL);
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    hx *h = opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char why[512];
        rd_kafka_fatal_error(rk, why, sizeof why);
        say(h, "fatal error: %s", why);
        h->fatal = 1;
        return;
    }
    /* transient (brokers down, timeouts): librdkafka retries by itself */
    if (err != RD_KAFKA_RESP_ERR__TRANSPORT && err != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
        say(h, "kafka: %s", reason);
}

/* ---- configuration ---- */

static int set(hx *h, rd_kafka_conf_t *conf, const char *k, const char *v)
{
    if (rd_kafka_conf_set(conf, k, v, h->errstr, sizeof h->errstr) != RD_KAFKA_CONF_OK) {
        say(h, "error: %s", h->errstr);
        return -1;
    }
    return 0;
}

/* user settings: plain keys go to both clients, consumer./producer. to one */
static int user_props(hx *h, rd_kafka_conf_t *conf, const char *side)
{
    for (int k = 0; k < h->cfg->nprops; k++) {
        char key[512];
        const char *kv = h->cfg->props[k], *eq = strchr(kv, '=');
        if (!eq || eq == kv) {
            say(h, "error: -X %s: expected key=value", kv);
            return -1;
        }
        snprintf(key, sizeof key, "%.*s", (int)(eq - kv), kv);
        const char *name = key;
        if (!strncmp(key, "consumer.", 9) || !strncmp(key, "producer.", 9)) {
            if (strncmp(key, side, 8))
                continue;
            name = key + 9;
        }
        if (set(h, conf, name, eq + 1))
            return -1;
    }
    return 0;
}

static rd_kafka_t *client(hx *h, rd_kafka_type_t type, rd_kafka_conf_t *conf)
{
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_t *rk = rd_kafka_new(type, conf, h->errstr, sizeof h->errstr);
    if (!rk) {
        say(h, "error: %s", h->errstr);
        rd_kafka_conf_destroy(conf);
    }
    return rk;
}

static rd_kafka_t *make_consumer(hx *h)
{
    const hx_config *c = h->cfg;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_opaque(conf, h);
    int bad = set(h, conf, "bootstrap.servers", c->brokers) || set(h, conf, "group.id", c->group) ||
              set(h, conf, "client.id", c->client_id ? c->client_id : "nerva-kafka") ||
              set(h, conf, "auto.offset.reset", "earliest") ||
              set(h, conf, "enable.auto.commit", c->exactly_once ? "false" : "true") ||
              set(h, conf, "enable.auto.offset.store", "false") ||
              set(h, conf, "auto.commit.interval.ms", "1000") ||
              set(h, conf, "enable.partition.eof", c->exit_eof ? "true" : "false") ||
              set(h, conf, "fetch.wait.max.ms", "50") ||
              /* librdkafka 2.0 stops fetching when its queue holds this many
                 records and looks again only a second later: keep it high */
              set(h, conf, "queued.min.messages", "1000000") ||
              set(h, conf, "isolation.level", "read_committed") || user_props(h, conf, "consumer");
    if (bad) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    return client(h, RD_KAFKA_CONSUMER, conf);
}

static rd_kafka_t *make_producer(hx *h)
{
    const hx_config *c = h->cfg;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char txid[600];
    rd_kafka_conf_set_opaque(conf, h);
    /* measured on the mock cluster: a large queue and batches of thousands
       roughly double the rate of librdkafka's defaults */
    int bad = set(h, conf, "bootstrap.servers", c->brokers) ||
              set(h, conf, "client.id", c->client_id ? c->client_id : "nerva-kafka") ||
              set(h, conf, "linger.ms", "5") || set(h, conf, "batch.num.messages", "10000") ||
              set(h, conf, "batch.size", "4000000") ||
              set(h, conf, "queue.buffering.max.messages", "1000000") ||
              set(h, conf, "queue.buffering.max.kbytes", "1048576") ||
              set(h, conf, "enable.idempotence", "true");
    if (!bad && c->exactly_once) {
        snprintf(txid, sizeof txid, "%s", c->transactional_id ? c->transactional_id : "");
        if (!c->transactional_id)
            snprintf(txid, sizeof txid, "nerva-%s-%s", c->group, c->in_topic);
        bad = set(h, conf, "transactional.id", txid);
    }
    bad = bad || user_props(h, conf, "producer");
    if (bad) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    return client(h, RD_KAFKA_PRODUCER, conf);
}

/* ---- producing ---- */

static int produce(hx *h, rd_kafka_topic_t *rkt, const void *val, size_t len, const void *key, size_t klen,
                   rd_kafka_headers_t *hdrs, uintptr_t ticket)
{
    for (;;) {
        rd_kafka_resp_err_t err;
        if (hdrs)
            err = rd_kafka_producev(h->p, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                    RD_KAFKA_V_VALUE((void *)val, len), RD_KAFKA_V_KEY(key, klen),
                                    RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE((void *)ticket),
                                    RD_KAFKA_V_END);
        else
            err = rd_kafka_producev(h->p, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                    RD_KAFKA_V_VALUE((void *)val, len), RD_KAFKA_V_KEY(key, klen),
                                    RD_KAFKA_V_OPAQUE((void *)ticket), RD_KAFKA_V_END);
        if (!err)
            return 0;
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            say(h, "error: produce: %s", rd_kafka_err2str(err));
            if (hdrs)
                rd_kafka_headers_destroy(hdrs);
            h->fatal = 1;
            return -1;
        }
        rd_kafka_poll(h->p, 10);
        store_offsets(h);
    }
}

static rd_kafka_headers_t *headers_of(const rd_kafka_message_t *m)
{
    rd_kafka_headers_t *in = NULL;
    if (rd_kafka_message_headers(m, &in) || !in)
        return NULL;
    return rd_kafka_headers_copy(in);
}

/* code: a PFA error's code as text (header nerva.error.code), or NULL */
static void bad_record(hx *h, const rd_kafka_message_t *m, uintptr_t ticket, const char *kind, const char *detail,
                       const char *code)
{
    h->t.bad++;
    if (h->logged_bad < 20 || h->logged_bad % 1000 == 0)
        say(h, "bad record %s[%d]@%lld: %s: %s%s", h->cfg->in_topic, (int)m->partition, (long long)m->offset,
            kind, detail, h->cfg->dlq ? "" : " (no --dlq: counted and skipped)");
    h->logged_bad++;
    if (!h->dlq_rkt) {
        ack(h, ticket); /* logged and counted: nothing to wait for */
        return;
    }
    rd_kafka_headers_t *hd = headers_of(m);
    char num[32];
    if (!hd)
        hd = rd_kafka_headers_new(5);
    rd_kafka_header_add(hd, "nerva.error", -1, kind, -1);
    rd_kafka_header_add(hd, "nerva.error.message", -1, detail, -1);
    if (code)
        rd_kafka_header_add(hd, "nerva.error.code", -1, code, -1);
    rd_kafka_header_add(hd, "nerva.source.topic", -1, h->cfg->in_topic, -1);
    snprintf(num, sizeof num, "%d", (int)m->partition);
    rd_kafka_header_add(hd, "nerva.source.partition", -1, num, -1);
    snprintf(num, sizeof num, "%lld", (long long)m->offset);
    rd_kafka_header_add(hd, "nerva.source.offset", -1, num, -1);
    produce(h, h->dlq_rkt, m->payload, m->len, m->key, m->key_len, hd, ticket | DLQ_BIT);
}

/* ---- one batch ---- */

static void pfa_collect(void *ctx, const char *json, size_t len)
{
    hx *h = ctx;
    nvc_buf_put(&h->pfa_out, json, len);
    nvc_buf_put(&h->pfa_out, "", 1);
    h->pfa_nout++;
}

/* a PFA engine: each record through the action, in order, on one state */
static void process_pfa(hx *h, rd_kafka_message_t *m, uintptr_t ticket)
{
    const nerva_pfa *e = h->model.pfa;
    h->pfa_out.len = 0;
    h->pfa_nout = 0;
    double t0 = hx_now();
    int st = e->action(h->engine, m->payload ? (const char *)m->payload : "", m->len, pfa_collect, h);
    hx_hist_add(&h->score_lat, (hx_now() - t0) * 1e9);
    /* values emitted before an error are out, as PFA says; the record is
       dead-lettered as well */
    expect(h, ticket, (unsigned)h->pfa_nout + (st != NERVA_PFA_OK));
    h->t.scored += st == NERVA_PFA_OK;
    for (size_t k = 0, at = 0; k < h->pfa_nout && !h->fatal; k++) {
        const char *v = h->pfa_out.data + at;
        size_t len = strlen(v); /* JSON text holds no raw NUL */
        at += len + 1;
        produce(h, h->out_rkt, v, len, m->key, m->key_len, headers_of(m), ticket);
    }
    if (st != NERVA_PFA_OK && !h->fatal) {
        const char *msg = NULL;
        char code[32];
        int c = e->last_error(h->engine, &msg, NULL);
        snprintf(code, sizeof code, "%d", c);
        if (st == NERVA_PFA_BAD_INPUT)
            bad_record(h, m, ticket, "input", msg ? msg : "not a value of the input type", NULL);
        else
            bad_record(h, m, ticket, "pfa", msg ? msg : "", c == NERVA_PFA_NO_CODE ? NULL : code);
    }
}

static void process(hx *h, rd_kafka_message_t **msgs, size_t n)
{
    uintptr_t *tickets = malloc((n ? n : 1) * sizeof *tickets);
    long *idx = malloc((n ? n : 1) * sizeof *idx);
    if (!tickets || !idx)
        abort();
    if (h->batch)
        nvc_batch_reset(h->batch);
    for (size_t k = 0; k < n; k++) {
        rd_kafka_message_t *m = msgs[k];
        tickets[k] = 0;
        idx[k] = -1;
        if (m->err) {
            if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                track *t = track_of(h, m->partition);
                if (t)
                    t->eof = 1;
            } else {
                say(h, "kafka: %s", rd_kafka_message_errstr(m));
            }
            continue;
        }
        track *t = track_of(h, m->partition);
        if (!t)
            continue;
        t->eof = 0;
        t->position = m->offset + 1;
        if (!h->t.consumed)
            h->t_first = hx_now();
        h->t.consumed++;
        tickets[k] = ticket_new(h, t, m->offset);
        if (!h->cfg->forward_only && h->batch)
            idx[k] = nvc_decode(h->batch, m->payload, m->len);
    }
    if (h->cfg->no_score) {
        nvc_no_score(h->batch);
    } else if (!h->cfg->forward_only && h->batch) {
        double t0 = hx_now();
        nvc_score(h->batch);
        size_t nb = nvc_count(h->batch);
        if (nb)
            hx_hist_add(&h->score_lat, (hx_now() - t0) * 1e9 / (double)nb); /* ns */
    }
    for (size_t k = 0; k < n && !h->fatal; k++) {
        rd_kafka_message_t *m = msgs[k];
        if (m->err)
            continue;
        if (h->cfg->forward_only) {
            produce(h, h->out_rkt, m->payload, m->len, m->key, m->key_len, headers_of(m), tickets[k]);
            continue;
        }
        if (h->model.pfa) {
            process_pfa(h, m, tickets[k]);
            continue;
        }
        size_t i = (size_t)idx[k];
        int st = nvc_status(h->batch, i);
        if (st >= 0 && nvc_encode(h->batch, i, &h->enc) == 0) {
            h->t.scored++;
            h->t.invalid += st == NVC_INVALID;
            produce(h, h->out_rkt, h->enc.data, h->enc.len, m->key, m->key_len, headers_of(m), tickets[k]);
        } else {
            bad_record(h, m, tickets[k], nvc_error_kind(h->batch, i), nvc_error(h->batch, i), NULL);
        }
    }
    free(tickets);
    free(idx);
}

/* --exactly-once: the batch's results and its offsets in one transaction */
static int txn_check(hx *h, rd_kafka_error_t *e, const char *what)
{
    if (!e)
        return 0;
    say(h, "%s: %s", what, rd_kafka_error_string(e));
    int rc = rd_kafka_error_txn_requires_abort(e) ? 1 : rd_kafka_error_is_retriable(e) ? 2 : -1;
    rd_kafka_error_destroy(e);
    return rc;
}

static void process_txn(hx *h, rd_kafka_message_t **msgs, size_t n)
{
    int real = 0;
    for (size_t k = 0; k < n; k++)
        real += !msgs[k]->err;
    if (!real) {
        process(h, msgs, n); /* only events (EOF) */
        return;
    }
    if (txn_check(h, rd_kafka_begin_transaction(h->p), "begin transaction")) {
        h->fatal = 1;
        return;
    }
    process(h, msgs, n);
    /* the offsets after this batch, per partition, and where it began */
    rd_kafka_topic_partition_list_t *next = rd_kafka_topic_partition_list_new(8);
    rd_kafka_topic_partition_list_t *first = rd_kafka_topic_partition_list_new(8);
    for (size_t k = 0; k < n; k++) {
        rd_kafka_message_t *m = msgs[k];
        if (m->err)
            continue;
        rd_kafka_topic_partition_t *p = rd_kafka_topic_partition_list_find(next, h->cfg->in_topic, m->partition);
        if (!p) {
            rd_kafka_topic_partition_list_add(first, h->cfg->in_topic, m->partition)->offset = m->offset;
            p = rd_kafka_topic_partition_list_add(next, h->cfg->in_topic, m->partition);
        }
        p->offset = m->offset + 1;
    }
    rd_kafka_consumer_group_metadata_t *gm = rd_kafka_consumer_group_metadata(h->c);
    int rc = h->fatal ? 1 : txn_check(h, rd_kafka_send_offsets_to_transaction(h->p, next, gm, -1), "send offsets");
    rd_kafka_consumer_group_metadata_destroy(gm);
    while (rc == 0 || rc == 2) {
        rc = txn_check(h, rd_kafka_commit_transaction(h->p, -1), "commit transaction");
        if (rc == 0)
            break;
    }
    if (rc == 1) {
        /* aborted: the results are discarded; read the batch again */
        txn_check(h, rd_kafka_abort_transaction(h->p, -1), "abort transaction");
        rd_kafka_error_t *e = rd_kafka_seek_partitions(h->c, first, -1);
        if (e)
            rd_kafka_error_destroy(e);
        h->fatal = 0;
        say(h, "transaction aborted; the batch will be consumed again");
    } else if (rc < 0) {
        h->fatal = 1;
    }
    rd_kafka_topic_partition_list_destroy(next);
    rd_kafka_topic_partition_list_destroy(first);
}

/* ---- models ---- */

static int load_codec(hx *h, const hx_model *mdl, nvc_codec **out)
{
    char err[512];
    *out = nvc_new(mdl->m, &h->opts, err, sizeof err);
    if (!*out) {
        say(h, "error: %s", err);
        return -1;
    }
    return 0;
}

/* a PFA engine's state, initialised (cells, pools, begin); NULL on failure */
static void *engine_new(hx *h, const nerva_pfa *e)
{
    void *eng = calloc(1, e->engine_size());
    if (!eng)
        abort();
    if (e->init(eng) != NERVA_PFA_OK) {
        const char *msg = NULL;
        e->last_error(eng, &msg, NULL);
        say(h, "error: %s: the engine's initialisation failed: %s", h->cfg->model, msg ? msg : "?");
        e->free(eng);
        free(eng);
        return NULL;
    }
    e->set_timeout(eng, h->cfg->pfa_timeout_ms);
    return eng;
}

static void engine_free(const nerva_pfa *e, void *eng)
{
    if (eng) {
        e->free(eng);
        free(eng);
    }
}

/* the formats a PFA engine reads and writes: its own JSON, nothing else */
static int pfa_options_ok(hx *h)
{
    const hx_config *c = h->cfg;
    const char *why = c->codec.in_format != NVC_JSON || c->codec.out_format != NVC_JSON
                          ? "--input-format and --output-format json (the Avro JSON encoding of its types)"
                      : c->codec.passthrough ? "no --passthrough (its output type is its own)"
                      : c->no_score ? "no --no-score"
                      : c->codec.columns || c->in_schema_file || c->out_schema_file
                          ? "no --columns or schema files (it declares its types)"
                          : NULL;
    if (why)
        say(h, "error: %s is a PFA engine: it takes %s", c->model, why);
    return !why;
}

static void reload(hx *h)
{
    char err[1024];
    hx_model next;
    nvc_codec *codec;
    say(h, "reloading %s", h->cfg->model);
    if (hx_model_load(h->cfg->model, &next, err, sizeof err)) {
        say(h, "reload refused: %s; keeping the running model", err);
        h->t.refused++;
        struct stat st; /* not again until the file changes again */
        if (!stat(h->cfg->model, &st))
            h->model.st = st;
        return;
    }
    if (!next.pfa != !h->model.pfa || next.pfa) {
        const char *why = !next.pfa != !h->model.pfa ? "a PMML model and a PFA engine do not replace each other"
                          : strcmp(next.pfa->input_schema, h->model.pfa->input_schema) ? "its input type differs"
                          : NULL;
        void *eng = why ? NULL : engine_new(h, next.pfa);
        if (!eng) {
            say(h, "reload refused: %s: %s; keeping the running model", h->cfg->model,
                why ? why : "its initialisation failed");
            h->t.refused++;
            h->model.st = next.st;
            hx_model_unload(&next);
            return;
        }
        engine_free(h->model.pfa, h->engine);
        hx_model_unload(&h->model);
        h->model = next;
        h->engine = eng;
        h->t.reloads++;
        say(h, "reloaded %s (PFA engine %s; its state starts afresh)", h->cfg->model, next.pfa->name);
        return;
    }
    if (nvc_compatible(h->codec, next.m, err, sizeof err)) {
        say(h, "reload refused: %s: %s; keeping the running model", h->cfg->model, err);
        h->t.refused++;
        h->model.st = next.st;
        hx_model_unload(&next);
        return;
    }
    if (load_codec(h, &next, &codec)) {
        say(h, "reload refused; keeping the running model");
        h->t.refused++;
        h->model.st = next.st;
        hx_model_unload(&next);
        return;
    }
    nvc_batch_free(h->batch);
    nvc_free(h->codec);
    hx_model_unload(&h->model);
    h->model = next;
    h->codec = codec;
    h->batch = nvc_batch_new(codec, (size_t)h->cfg->batch);
    h->t.reloads++;
    say(h, "reloaded %s (%s: %d inputs, %d outputs)", h->cfg->model, next.m->name ? next.m->name : "?",
        next.m->n_inputs, next.m->n_outputs);
}

/* ---- metrics ---- */

static int64_t lag_of(hx *h, const track *t)
{
    int64_t lo = 0, hi = 0;
    if (rd_kafka_get_watermark_offsets(h->c, h->cfg->in_topic, t->part, &lo, &hi))
        return -1;
    int64_t pos = t->position >= 0 ? t->position : lo;
    return hi > pos ? hi - pos : 0;
}

static void render(hx *h, nvc_buf *b)
{
    char line[512];
    b->len = 0;
    const struct { const char *name, *help; uint64_t v; } c[] = {
        {"nerva_consumed_total", "records consumed", h->t.consumed},
        {"nerva_scored_total", "records scored and encoded", h->t.scored},
        {"nerva_invalid_total", "scored records the model declared invalid", h->t.invalid},
        {"nerva_produced_total", "results acknowledged by the broker", h->t.produced},
        {"nerva_dead_lettered_total", "bad records acknowledged on the dead-letter topic", h->t.dlq},
        {"nerva_errors_total", "bad records (unparsable, wrong types, scoring errors)", h->t.bad},
        {"nerva_delivery_failures_total", "results the producer gave up on", h->t.failed},
        {"nerva_reloads_total", "model reloads", h->t.reloads},
        {"nerva_reloads_refused_total", "model reloads refused", h->t.refused},
    };
    for (size_t k = 0; k < sizeof c / sizeof c[0]; k++)
        nvc_buf_put(b, line, (size_t)snprintf(line, sizeof line, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n",
                                              c[k].name, c[k].help, c[k].name, c[k].name,
                                              (unsigned long long)c[k].v));
    nvc_buf_puts(b, "# HELP nerva_partition_lag records behind the end of the partition\n"
                    "# TYPE nerva_partition_lag gauge\n");
    for (int k = 0; k < h->ntracks; k++)
        if (h->tracks[k].active)
            nvc_buf_put(b, line, (size_t)snprintf(line, sizeof line,
                                                  "nerva_partition_lag{topic=\"%s\",partition=\"%d\"} %lld\n",
                                                  h->cfg->in_topic, k, (long long)lag_of(h, &h->tracks[k])));
    const struct { const char *name, *help; const hx_hist *hist; double unit; } l[] = {
        {"nerva_latency_seconds", "consume to acknowledgement of the result", &h->e2e, 1e-6},
        {"nerva_score_seconds", "scoring time per record (batch time / records)", &h->score_lat, 1e-9},
    };
    for (size_t k = 0; k < 2; k++) {
        nvc_buf_put(b, line, (size_t)snprintf(line, sizeof line, "# HELP %s %s\n# TYPE %s summary\n",
                                              l[k].name, l[k].help, l[k].name));
        static const double qs[] = {0.5, 0.9, 0.99, 0.999};
        for (int q = 0; q < 4; q++)
            nvc_buf_put(b, line, (size_t)snprintf(line, sizeof line, "%s{quantile=\"%g\"} %.9g\n", l[k].name,
                                                  qs[q], hx_hist_quantile(l[k].hist, qs[q]) * l[k].unit));
        nvc_buf_put(b, line, (size_t)snprintf(line, sizeof line, "%s_count %llu\n", l[k].name,
                                              (unsigned long long)l[k].hist->n));
    }
}

static void stats_line(hx *h, double since, uint64_t *last_scored)
{
    int64_t lag = 0;
    for (int k = 0; k < h->ntracks; k++)
        if (h->tracks[k].active) {
            int64_t x = lag_of(h, &h->tracks[k]);
            lag += x > 0 ? x : 0;
        }
    uint64_t done = h->t.produced + h->t.dlq;
    /* the rate since the last line; at exit, over the whole run */
    double rate = since > 0 ? (double)(done - *last_scored) / since
                  : h->t.seconds > 0 ? (double)done / h->t.seconds : 0;
    *last_scored = done;
    fprintf(stderr,
            "nerva-kafka: consumed=%llu scored=%llu produced=%llu dlq=%llu errors=%llu lag=%lld "
            "rate=%.0f rec/s p50=%.2f ms p99=%.2f ms score=%.0f ns/rec\n",
            (unsigned long long)h->t.consumed, (unsigned long long)h->t.scored, (unsigned long long)h->t.produced,
            (unsigned long long)h->t.dlq, (unsigned long long)h->t.bad, (long long)lag, rate,
            hx_hist_quantile(&h->e2e, 0.5) / 1000, hx_hist_quantile(&h->e2e, 0.99) / 1000,
            hx_hist_quantile(&h->score_lat, 0.5));
}

static int all_eof(hx *h)
{
    if (!h->assigned)
        return 0;
    for (int k = 0; k < h->ntracks; k++)
        if (h->tracks[k].active && !h->tracks[k].eof)
            return 0;
    return 1;
}

/* ---- the run ---- */

static int setup(hx *h)
{
    const hx_config *c = h->cfg;
    char err[1024];
    h->opts = c->codec;
    if (c->in_schema_file && hx_read_text(c->in_schema_file, &h->in_schema)) {
        say(h, "error: cannot read %s", c->in_schema_file);
        return 1;
    }
    if (c->out_schema_file && hx_read_text(c->out_schema_file, &h->out_schema)) {
        say(h, "error: cannot read %s", c->out_schema_file);
        return 1;
    }
    h->opts.in_schema = h->in_schema;
    h->opts.out_schema = h->out_schema;
    if (hx_model_load(c->model, &h->model, err, sizeof err)) {
        say(h, "error: %s", err);
        return 1;
    }
    if (h->model.pfa) {
        if (!pfa_options_ok(h) || !(h->engine = engine_new(h, h->model.pfa)))
            return 1;
    } else {
        if (load_codec(h, &h->model, &h->codec))
            return 1;
        h->batch = nvc_batch_new(h->codec, (size_t)c->batch);
    }
    if (c->metrics && hx_metrics_start(c->metrics, err, sizeof err)) {
        say(h, "error: %s", err);
        return 1;
    }
    if (!(h->p = make_producer(h)) || !(h->c = make_consumer(h)))
        return 1;
    h->out_rkt = rd_kafka_topic_new(h->p, c->out_topic, NULL);
    if (c->dlq)
        h->dlq_rkt = rd_kafka_topic_new(h->p, c->dlq, NULL);
    if (c->exactly_once && txn_check(h, rd_kafka_init_transactions(h->p, 60000), "init transactions"))
        return 3;
    rd_kafka_poll_set_consumer(h->c);
    h->cq = rd_kafka_queue_get_consumer(h->c);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, c->in_topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(h->c, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (e) {
        say(h, "error: subscribe %s: %s", c->in_topic, rd_kafka_err2str(e));
        return 3;
    }
    const char *mode = c->forward_only ? " [forward-only: not scoring]"
                       : c->no_score ? " [no-score: outputs left empty]" : "";
    if (h->model.pfa)
        say(h, "scoring %s -> %s with %s (PFA engine %s, method %s)%s", c->in_topic, c->out_topic, c->model,
            h->model.pfa->name, h->model.pfa->method, mode);
    else
        say(h, "scoring %s -> %s with %s (%s: %d inputs, %d outputs)%s", c->in_topic, c->out_topic, c->model,
            h->model.m->name ? h->model.m->name : "?", h->model.m->n_inputs, h->model.m->n_outputs, mode);
    return 0;
}

int hx_run(const hx_config *cfg, hx_totals *tot)
{
    hx *h = calloc(1, sizeof *h);
    if (!h)
        abort();
    h->cfg = cfg;
    int rc = setup(h);
    rd_kafka_message_t **msgs = calloc((size_t)cfg->batch, sizeof *msgs);
    double last_stats = hx_now(), last_watch = hx_now(), last_pub = 0;
    uint64_t last_done = 0;
    nvc_buf prom = {0};
    while (!rc && !hx_stop && !h->fatal) {
        double now = hx_now();
        if (hx_reload || (cfg->watch && now - last_watch >= 1)) {
            last_watch = now;
            if (hx_reload || hx_model_changed(cfg->model, &h->model)) {
                hx_reload = 0;
                reload(h);
            }
        }
        if (cfg->stats_seconds > 0 && now - last_stats >= cfg->stats_seconds) {
            stats_line(h, now - last_stats, &last_done);
            last_stats = now;
        }
        if (cfg->metrics && now - last_pub >= 1) {
            render(h, &prom);
            hx_metrics_publish(prom.data, prom.len);
            last_pub = now;
        }
        ssize_t n = rd_kafka_consume_batch_queue(h->cq, 10, msgs, (size_t)cfg->batch);
        if (n < 0) {
            say(h, "error: consume: %s", rd_kafka_err2str(rd_kafka_last_error()));
            rc = 3;
            break;
        }
        if (cfg->exactly_once)
            process_txn(h, msgs, (size_t)n);
        else
            process(h, msgs, (size_t)n);
        for (ssize_t k = 0; k < n; k++)
            rd_kafka_message_destroy(msgs[k]);
        rd_kafka_poll(h->p, 0);
        store_offsets(h);
        if (cfg->exit_eof && all_eof(h)) {
            rd_kafka_flush(h->p, 60000);
            store_offsets(h);
            if (all_eof(h))
                break;
        }
    }
    if (h->fatal && !rc)
        rc = 3;
    if (h->c) {
        /* shutdown: stop consuming, deliver what is scored, commit, leave */
        drain(h);
        rd_kafka_consumer_close(h->c);
        rd_kafka_queue_destroy(h->cq);
    }
    if (h->p && h->inflight)
        say(h, "warning: %llu results unacknowledged at exit (their records are not committed)",
            (unsigned long long)h->inflight);
    if (h->out_rkt)
        rd_kafka_topic_destroy(h->out_rkt);
    if (h->dlq_rkt)
        rd_kafka_topic_destroy(h->dlq_rkt);
    if (h->c)
        rd_kafka_destroy(h->c);
    if (h->p)
        rd_kafka_destroy(h->p);
    hx_metrics_stop();
    h->t.seconds = h->t_last > h->t_first ? h->t_last - h->t_first : 0;
    h->t.p50_ms = hx_hist_quantile(&h->e2e, 0.5) / 1000;
    h->t.p99_ms = hx_hist_quantile(&h->e2e, 0.99) / 1000;
    if (!rc || h->t.consumed) {
        if (!cfg->quiet)
            stats_line(h, 0, &last_done);
    }
    if (tot)
        *tot = h->t;
    for (int k = 0; k < h->ntracks; k++)
        free(h->tracks[k].ring);
    free(h->tracks);
    free(msgs);
    nvc_buf_free(&prom);
    nvc_buf_free(&h->enc);
    nvc_batch_free(h->batch);
    nvc_free(h->codec);
    nvc_buf_free(&h->pfa_out);
    if (h->model.pfa)
        engine_free(h->model.pfa, h->engine);
    hx_model_unload(&h->model);
    free(h->in_schema);
    free(h->out_schema);
    free(h);
    return rc;
}
