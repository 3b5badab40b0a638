/* deliver.c: the harness's delivery promise -- every consumed record comes
 * out once as results or as a dead letter, and no offset is committed past a
 * record whose outcome the broker has not acknowledged.
 *
 * Every consumed record gets a ticket in its partition's ring (its track),
 * in offset order; the ticket rides on each message produced for it, and the
 * message's delivery report marks it done.  A partition's offset is stored
 * for commit only up to its first record not yet acknowledged.
 *
 * A message the broker refuses for good is not a reason to stop: a result
 * or dead letter larger than the producer's message.max.bytes, or one the
 * broker refuses as too large, corrupt or against policy, is itself a bad
 * record, dead-lettered under the same ticket with its headers and why
 * (nerva.error=too-large with the sizes, or produce), its value cut short or
 * left out.  Only what cannot be dead-lettered at all (a dead letter refused
 * even without its value, a fatal client error, a timed-out delivery) stops
 * the harness, without committing past it. */
#include "hx_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- topics and tracks ---- */

static char *fill_template(const char *tmpl, const char *topic)
{
    nvc_buf b = {0};
    for (const char *p = tmpl; *p;) {
        const char *at = strstr(p, "{topic}");
        if (!at) {
            nvc_buf_puts(&b, p);
            break;
        }
        nvc_buf_put(&b, p, (size_t)(at - p));
        nvc_buf_puts(&b, topic);
        p = at + 7;
    }
    nvc_buf_put(&b, "", 1);
    return b.data;
}

hx_topic *hx_topic_of(hx *h, const char *name)
{
    if (h->last_topic && !strcmp(h->last_topic->name, name))
        return h->last_topic;
    for (int k = 0; k < h->ntopics; k++)
        if (!strcmp(h->topics[k]->name, name))
            return h->last_topic = h->topics[k];
    hx_topic *t = calloc(1, sizeof *t);
    hx_topic **all = realloc(h->topics, (size_t)(h->ntopics + 1) * sizeof *all);
    if (!t || !all)
        abort();
    h->topics = all;
    t->name = strdup(name);
    t->out_id = -2;
    t->out_name = fill_template(h->cfg->out_topic, name);
    t->out = rd_kafka_topic_new(h->p, t->out_name, NULL);
    if (h->cfg->dlq) {
        t->dlq_name = fill_template(h->cfg->dlq, name);
        t->dlq = rd_kafka_topic_new(h->p, t->dlq_name, NULL);
    }
    h->topics[h->ntopics++] = t;
    return h->last_topic = t;
}

track *hx_track(hx *h, hx_topic *tp, int32_t part)
{
    if (part < 0 || part > 100000)
        return NULL;
    if (part >= tp->nparts) {
        track **p = realloc(tp->parts, (size_t)(part + 1) * sizeof *p);
        if (!p)
            abort();
        memset(p + tp->nparts, 0, (size_t)(part + 1 - tp->nparts) * sizeof *p);
        tp->parts = p;
        tp->nparts = part + 1;
    }
    if (!tp->parts[part]) {
        if (h->ntrk == MAX_TRACKS) {
            hx_log(HX_ERROR, "more than %d partitions: the rest are not scored", MAX_TRACKS);
            return NULL;
        }
        track *t = calloc(1, sizeof *t);
        track **all = realloc(h->trk, (size_t)(h->ntrk + 1) * sizeof *all);
        if (!t || !all)
            abort();
        h->trk = all;
        t->topic = tp;
        t->part = part;
        t->id = h->ntrk;
        t->store = t->position = -1;
        h->trk[h->ntrk++] = t;
        tp->parts[part] = t;
    }
    return tp->parts[part];
}

void hx_track_reset(track *t)
{
    t->head = t->tail = 0;
    t->store = t->position = -1;
    t->dirty = t->eof = 0;
    t->gen = (t->gen + 1) & ((1 << GEN_BITS) - 1);
}

uintptr_t hx_ticket_new(hx *h, track *t, int64_t offset)
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
    t->consumed++;
    return ((uintptr_t)t->id << (SEQ_BITS + GEN_BITS)) | ((uintptr_t)t->gen << SEQ_BITS) |
           (uintptr_t)(seq & (((uint64_t)1 << SEQ_BITS) - 1));
}

/* the slot a ticket names, or NULL when its partition was reset since */
static slot *slot_of(hx *h, uintptr_t ticket, track **tp)
{
    ticket &= ~DLQ_BIT;
    int id = (int)(ticket >> (SEQ_BITS + GEN_BITS));
    int gen = (int)((ticket >> SEQ_BITS) & ((1 << GEN_BITS) - 1));
    uint64_t seq40 = ticket & (((uint64_t)1 << SEQ_BITS) - 1);
    track *t = id < h->ntrk ? h->trk[id] : NULL;
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

void hx_ack(hx *h, uintptr_t ticket)
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

void hx_expect(hx *h, uintptr_t ticket, unsigned n)
{
    if (n == 0) {
        hx_ack(h, ticket);
        return;
    }
    h->inflight += n - 1;
    track *t;
    slot *s = slot_of(h, ticket, &t);
    if (s)
        s->pending += n - 1;
}

void hx_store_offsets(hx *h)
{
    if (h->cfg->exactly_once)
        return;
    rd_kafka_topic_partition_list_t *l = NULL;
    for (int k = 0; k < h->ntrk; k++) {
        track *t = h->trk[k];
        if (!t->dirty || !t->active)
            continue;
        if (!l)
            l = rd_kafka_topic_partition_list_new(8);
        rd_kafka_topic_partition_list_add(l, t->topic->name, t->part)->offset = t->store;
        t->dirty = 0;
    }
    if (l) {
        rd_kafka_offsets_store(h->c, l);
        rd_kafka_topic_partition_list_destroy(l);
    }
}

/* ---- producing ---- */

/* librdkafka's error for a message it refuses, or 0; on an error the caller
   still owns hdrs (destroyed here) */
static rd_kafka_resp_err_t produce(hx *h, rd_kafka_topic_t *rkt, const void *val, size_t len, const void *key,
                                   size_t klen, rd_kafka_headers_t *hdrs, uintptr_t ticket)
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
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            if (err && hdrs)
                rd_kafka_headers_destroy(hdrs);
            return err;
        }
        /* reports only: refused messages wait for hx_redo, which produces */
        rd_kafka_poll(h->p, 10);
        hx_store_offsets(h);
    }
}

static size_t headers_size(const rd_kafka_headers_t *hd)
{
    size_t n = 0, len;
    const char *name;
    const void *v;
    for (size_t k = 0; hd && !rd_kafka_header_get_all(hd, k, &name, &v, &len); k++)
        n += strlen(name) + len + 16;
    return n;
}

static void add(rd_kafka_headers_t *hd, const char *name, const char *value)
{
    rd_kafka_header_add(hd, name, -1, value, -1);
}

/* where a dead letter's record came from */
typedef struct source {
    const char *topic;
    int32_t part;
    int64_t offset;
} source;

/* Dead-letters a record: value and key as given, the base headers plus
   nerva.error, its message and code, and the source.  A dead letter larger
   than the producer's limit goes again with its value cut to fit, then
   without it (nerva.error=too-large, saying so and why the record was bad);
   drop_value leaves the value out from the start (the broker refused its
   size).  Without --dlq the record is logged and counted. */
static void dead_letter(hx *h, const source *src, const rd_kafka_headers_t *base, const void *key, size_t klen,
                        const void *val, size_t vlen, const char *kind, const char *detail, const char *code,
                        uintptr_t ticket, int drop_value)
{
    h->t.bad++;
    if (h->logged_bad < 20 || h->logged_bad % 1000 == 0)
        hx_log(HX_WARN, "bad record %s[%d]@%lld: %s: %s%s", src->topic, (int)src->part, (long long)src->offset, kind,
               detail, h->cfg->dlq ? "" : " (no --dlq: counted and skipped)");
    h->logged_bad++;
    hx_topic *tp = hx_topic_of(h, src->topic);
    if (!tp->dlq) {
        hx_ack(h, ticket); /* logged and counted: nothing to wait for */
        return;
    }
    size_t hsize = headers_size(base) + strlen(detail) + 512;
    for (int attempt = drop_value ? 2 : 0; attempt < 3; attempt++) {
        rd_kafka_headers_t *hd = base ? rd_kafka_headers_copy(base) : rd_kafka_headers_new(8);
        char num[32], msg[1024];
        const void *v = val;
        size_t n = vlen;
        if (attempt == 0) {
            add(hd, "nerva.error", kind);
            add(hd, "nerva.error.message", detail);
        } else {
            /* cut the value to what fits (attempt 1), or leave it out */
            long room = h->max_msg - (long)klen - (long)hsize;
            n = attempt == 1 && room > 0 && (size_t)room < vlen ? (size_t)room : 0;
            if (attempt == 1 && !n) {
                rd_kafka_headers_destroy(hd);
                continue;
            }
            v = n ? val : NULL;
            if (drop_value)
                snprintf(msg, sizeof msg, "%s; the value (%zu bytes) is left out", detail, vlen);
            else
                snprintf(msg, sizeof msg, "the dead letter's value (%zu bytes) is larger than the producer's "
                         "message.max.bytes (%ld): %s%zu bytes; the record's error: %s: %s", vlen, h->max_msg,
                         n ? "it is cut to its first " : "it is left out, ", n, kind, detail);
            add(hd, "nerva.error", drop_value ? kind : "too-large");
            add(hd, "nerva.error.message", msg);
            snprintf(num, sizeof num, "%zu", vlen);
            add(hd, "nerva.value.size", num);
        }
        if (code)
            add(hd, "nerva.error.code", code);
        rd_kafka_header_remove(hd, "nerva.model"); /* a refused result's */
        add(hd, "nerva.model", h->model.hash);
        add(hd, "nerva.source.topic", src->topic);
        snprintf(num, sizeof num, "%d", (int)src->part);
        add(hd, "nerva.source.partition", num);
        snprintf(num, sizeof num, "%lld", (long long)src->offset);
        add(hd, "nerva.source.offset", num);
        rd_kafka_resp_err_t err = produce(h, tp->dlq, v, n, key, klen, hd, ticket | DLQ_BIT);
        if (!err)
            return;
        if (err != RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
            hx_log(HX_ERROR, "a dead letter could not be produced to %s: %s; stopping without committing it",
                   tp->dlq_name, rd_kafka_err2str(err));
            h->fatal = 1;
            return;
        }
    }
    hx_log(HX_ERROR, "a dead letter to %s is larger than message.max.bytes (%ld) even without its value; "
           "stopping without committing it", tp->dlq_name, h->max_msg);
    h->fatal = 1;
}

static rd_kafka_headers_t *headers_of(const rd_kafka_message_t *m)
{
    rd_kafka_headers_t *in = NULL;
    if (rd_kafka_message_headers(m, &in) || !in)
        return NULL;
    return in;
}

void hx_bad_record(hx *h, const rd_kafka_message_t *m, uintptr_t ticket, const char *kind, const char *detail,
                   const char *code)
{
    source src = {rd_kafka_topic_name(m->rkt), m->partition, m->offset};
    dead_letter(h, &src, headers_of(m), m->key, m->key_len, m->payload, m->len, kind, detail, code, ticket, 0);
}

void hx_result(hx *h, const rd_kafka_message_t *m, uintptr_t ticket, const void *val, size_t len)
{
    hx_topic *tp = hx_topic_of(h, rd_kafka_topic_name(m->rkt));
    const rd_kafka_headers_t *in = headers_of(m);
    rd_kafka_headers_t *hd = in ? rd_kafka_headers_copy(in) : NULL;
    if (!h->cfg->forward_only) { /* which model scored it (its file's hash) */
        if (!hd)
            hd = rd_kafka_headers_new(1);
        add(hd, "nerva.model", h->model.hash);
    }
    rd_kafka_resp_err_t err = produce(h, tp->out, val, len, m->key, m->key_len, hd, ticket);
    if (!err)
        return;
    if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
        char why[256];
        snprintf(why, sizeof why, "the result (%zu bytes) is larger than the producer's message.max.bytes (%ld)",
                 len, h->max_msg);
        hx_bad_record(h, m, ticket, "too-large", why, NULL);
        return;
    }
    hx_log(HX_ERROR, "produce to %s: %s; stopping without committing it", tp->out_name, rd_kafka_err2str(err));
    h->fatal = 1;
}

/* ---- delivery reports ---- */

/* errors that are about one message, not the client or the cluster: the
   message is dead-lettered and the stream goes on */
static int per_message(rd_kafka_resp_err_t e)
{
    switch (e) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG:
    case RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP:
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
        return 1;
    default:
        return 0;
    }
}

static void *dup_bytes(const void *p, size_t n)
{
    void *d = malloc(n ? n : 1);
    if (!d)
        abort();
    if (n)
        memcpy(d, p, n);
    return d;
}

void hx_on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    hx *h = opaque;
    uintptr_t ticket = (uintptr_t)m->_private;
    (void)rk;
    if (!m->err) {
        if (ticket & DLQ_BIT)
            h->t.dlq++;
        else
            h->t.produced++;
        hx_ack(h, ticket);
        return;
    }
    /* a result refused for good, or a dead letter refused for its size
       while it still has a value: dead-lettered by hx_redo (producing from
       inside a delivery report would reenter the poll) */
    if (per_message(m->err) && !h->cfg->exactly_once &&
        (!(ticket & DLQ_BIT) || (m->err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE && m->len > 0))) {
        if (h->nredo == h->capredo) {
            h->capredo = h->capredo ? h->capredo * 2 : 16;
            if (!(h->redo = realloc(h->redo, (size_t)h->capredo * sizeof *h->redo)))
                abort();
        }
        redo *r = &h->redo[h->nredo++];
        rd_kafka_headers_t *hd = NULL;
        r->ticket = ticket;
        r->err = m->err;
        r->topic = strdup(rd_kafka_topic_name(m->rkt));
        r->key = dup_bytes(m->key, m->key_len);
        r->klen = m->key_len;
        r->val = dup_bytes(m->payload, m->len);
        r->vlen = m->len;
        r->hdrs = !rd_kafka_message_headers(m, &hd) && hd ? rd_kafka_headers_copy(hd) : NULL;
        return;
    }
    /* retries are exhausted (a timeout), or the client failed: never store
       past it; stop, so the records are redone after a restart instead of
       being skipped */
    h->t.failed++;
    h->inflight--;
    if (!h->fatal)
        hx_log(HX_ERROR, "a %s could not be delivered to %s: %s; stopping without committing it",
               ticket & DLQ_BIT ? "dead letter" : "result", rd_kafka_topic_name(m->rkt), rd_kafka_err2str(m->err));
    h->fatal = 1;
}

/* the value of header name, as text, or "" */
static void header_text(const rd_kafka_headers_t *hd, const char *name, char *out, size_t n)
{
    const void *v;
    size_t len;
    out[0] = 0;
    if (hd && !rd_kafka_header_get_last(hd, name, &v, &len))
        snprintf(out, n, "%.*s", (int)len, (const char *)v);
}

static void redo_free(redo *r)
{
    free(r->topic);
    free(r->key);
    free(r->val);
    if (r->hdrs)
        rd_kafka_headers_destroy(r->hdrs);
}

/* one refused message, dead-lettered under its ticket */
static void redo_one(hx *h, const redo *r)
{
    track *t;
    slot *s = slot_of(h, r->ticket, &t);
    if (!s) {
        h->inflight--; /* its partition went to another member, which redoes it */
        return;
    }
    source src = {t->topic->name, t->part, s->offset};
    if (!(r->ticket & DLQ_BIT)) {
        /* a result: dead-lettered in its place, carrying the result */
        char why[512];
        int big = r->err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE;
        snprintf(why, sizeof why, "the broker refused the result (%zu bytes) for %s: %s", r->vlen, r->topic,
                 rd_kafka_err2str(r->err));
        dead_letter(h, &src, r->hdrs, r->key, r->klen, r->val, r->vlen, big ? "too-large" : "produce", why, NULL,
                    r->ticket, big);
        return;
    }
    /* a dead letter refused for its size: again without its value, keeping
       its headers and saying why it was dead-lettered */
    char kind[64], detail[600], why[800];
    header_text(r->hdrs, "nerva.error", kind, sizeof kind);
    header_text(r->hdrs, "nerva.error.message", detail, sizeof detail);
    snprintf(why, sizeof why, "the broker refused the dead letter as too large; the record's error: %s: %s", kind,
             detail);
    rd_kafka_headers_t *base = r->hdrs ? rd_kafka_headers_copy(r->hdrs) : NULL;
    static const char *const ours[] = {"nerva.error", "nerva.error.message", "nerva.error.code", "nerva.value.size",
                                       "nerva.source.topic", "nerva.source.partition", "nerva.source.offset",
                                       "nerva.model"};
    for (size_t k = 0; base && k < sizeof ours / sizeof ours[0]; k++)
        rd_kafka_header_remove(base, ours[k]);
    h->t.bad--; /* the same bad record, counted once */
    dead_letter(h, &src, base, r->key, r->klen, r->val, r->vlen, "too-large", why, NULL, r->ticket & ~DLQ_BIT, 1);
    if (base)
        rd_kafka_headers_destroy(base);
}

void hx_redo(hx *h)
{
    while (h->nredo) {
        /* take the list: dead letters produced below may add to a new one */
        redo *list = h->redo;
        int n = h->nredo;
        h->redo = NULL;
        h->nredo = h->capredo = 0;
        for (int k = 0; k < n; k++) {
            if (!h->fatal)
                redo_one(h, &list[k]);
            redo_free(&list[k]);
        }
        free(list);
    }
}

void hx_poll(hx *h, int ms)
{
    rd_kafka_poll(h->p, ms);
    hx_redo(h);
}

void hx_flush(hx *h, int ms)
{
    double until = hx_now() + ms / 1000.0;
    do {
        double left = until - hx_now();
        rd_kafka_flush(h->p, left > 0 ? (int)(left * 1000) : 0);
        hx_redo(h);
    } while (rd_kafka_outq_len(h->p) > 0 && hx_now() < until && !h->fatal);
}
