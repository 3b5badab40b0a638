/* kafka.c: `nerva kafka`, the harness: consume topics, score each record
 * with the compiled model, produce the result, and commit offsets only for
 * records whose results the broker has acknowledged (deliver.c).
 *
 * The loop, one batch at a time:
 *   consume up to --batch records -> decode each into the model's input
 *   structs -> one score_batch call -> encode and produce each result (or
 *   dead-letter the record) -> serve delivery reports -> store offsets.
 *
 * Topics are tracked by their real names and partitions, whether subscribed
 * by name or by pattern (-t '^tx.*'), so offsets, dead-letter headers, logs
 * and metrics name the topic a record came from; -o and --dlq may name the
 * output after it ({topic}).
 *
 * The model is swapped (hot reload, SIGHUP or a changed file) only between
 * batches, so no record is lost or scored twice by a reload; the new model
 * compiles in a child process meanwhile (model_load.c), so the old one
 * keeps scoring and a signal is acted on at once.
 *
 * A PFA model is an engine with state (cells, pools), run in a process of
 * its own (pfa_worker.c): the harness hands it each record's JSON text in
 * consumption order and produces every value it gives back (a map engine
 * one per record, an emit engine any number, a fold engine its tally); a
 * record is acknowledged when all of them are.  A record that crashes the
 * engine, or runs it past its limits, is dead-lettered and the engine
 * started afresh.
 *
 * --exactly-once instead wraps each batch in a transaction with its
 * consumer offsets (send_offsets_to_transaction). */
#include "hx_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t hx_stop, hx_reload;


/* ---- callbacks ---- */

/* flush what is in flight and commit it, before partitions change hands */
static void drain(hx *h)
{
    hx_flush(h, h->fatal ? 10000 : 60000);
    hx_store_offsets(h);
    if (!h->cfg->exactly_once) {
        rd_kafka_resp_err_t err = rd_kafka_commit(h->c, NULL, 0);
        if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
            hx_log(HX_WARN, "commit failed: %s", rd_kafka_err2str(err));
    }
}

/* "in[0,1,2] out[3]": the partitions of a list, by topic */
static void describe(const rd_kafka_topic_partition_list_t *parts, char *buf, size_t n)
{
    size_t at = 0;
    buf[0] = 0;
    for (int k = 0; k < parts->cnt && at + 32 < n; k++) {
        const char *t = parts->elems[k].topic;
        int same = k > 0 && !strcmp(parts->elems[k - 1].topic, t);
        at += (size_t)snprintf(buf + at, n - at, "%s%s%s%d", same ? "," : k ? "] " : "", same ? "" : t,
                               same ? "" : "[", (int)parts->elems[k].partition);
    }
    if (parts->cnt && at + 2 < n)
        snprintf(buf + at, n - at, "]");
}

/* whether topic is where this harness writes (-o or --dlq, {topic} filled
   with anything): a pattern that matches its own results is not fed them */
static int ours(const char *tmpl, const char *topic)
{
    const char *at = tmpl ? strstr(tmpl, "{topic}") : NULL;
    if (!tmpl || !at)
        return tmpl && !strcmp(tmpl, topic);
    size_t pre = (size_t)(at - tmpl), post = strlen(at + 7), n = strlen(topic);
    return n > pre + post && !strncmp(topic, tmpl, pre) && !strcmp(topic + n - post, at + 7);
}

/* A partition's per-entity state (a model with Lag or Aggregate) is kept
   while the partition is assigned and the model runs: a revoked partition's,
   or every state at a reload, is freed, and its entities start afresh
   wherever the partition is consumed next (docs/kafka.md). */
static void state_drop(hx *h, track *t)
{
    if (!t->state || !h->model.m)
        return;
    size_t n;
    unsigned long long ev;
    h->model.m->state_stats(t->state, &n, &ev);
    h->evicted_gone += ev;
    h->model.m->state_free(t->state);
    t->state = NULL;
}

static void states_drop(hx *h)
{
    for (int k = 0; k < h->ntrk; k++)
        state_drop(h, h->trk[k]);
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                         void *opaque)
{
    hx *h = opaque;
    int coop = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
    char which[1024];
    describe(parts, which, sizeof which);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        rd_kafka_topic_partition_list_t *skip = rd_kafka_topic_partition_list_new(1);
        for (int k = 0; k < parts->cnt; k++) {
            const char *name = parts->elems[k].topic;
            if (ours(h->cfg->out_topic, name) || ours(h->cfg->dlq, name)) {
                rd_kafka_topic_partition_list_add(skip, name, parts->elems[k].partition);
                continue;
            }
            track *t = hx_track(h, hx_topic_of(h, name), parts->elems[k].partition);
            if (t && !t->active) {
                hx_track_reset(t);
                t->active = 1;
                h->assigned++;
            }
        }
        hx_log(HX_INFO, "assigned %d partition(s): %s", parts->cnt, which);
        if (coop)
            rd_kafka_error_destroy(rd_kafka_incremental_assign(rk, parts));
        else
            rd_kafka_assign(rk, parts);
        if (skip->cnt) {
            describe(skip, which, sizeof which);
            hx_log(HX_WARN, "%s: the pattern matches where results or dead letters go: paused, not consumed", which);
            rd_kafka_pause_partitions(rk, skip);
        }
        rd_kafka_topic_partition_list_destroy(skip);
        return;
    }
    drain(h);
    for (int k = 0; k < parts->cnt; k++) {
        track *t = hx_track(h, hx_topic_of(h, parts->elems[k].topic), parts->elems[k].partition);
        if (t && t->active) {
            t->active = 0;
            hx_track_reset(t);
            state_drop(h, t);
            h->assigned--;
        }
    }
    hx_log(HX_INFO, "revoked %d partition(s): %s", parts->cnt, which);
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
        hx_log(HX_ERROR, "fatal: %s", why);
        h->fatal = 1;
        return;
    }
    /* transient (brokers down, timeouts): librdkafka retries by itself */
    if (err != RD_KAFKA_RESP_ERR__TRANSPORT && err != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
        hx_log(HX_WARN, "kafka: %s", reason);
}

/* ---- configuration ---- */

static int set(hx *h, rd_kafka_conf_t *conf, const char *k, const char *v)
{
    if (rd_kafka_conf_set(conf, k, v, h->errstr, sizeof h->errstr) != RD_KAFKA_CONF_OK) {
        hx_log(HX_ERROR, "%s", h->errstr);
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
            hx_log(HX_ERROR, "-X %s: expected key=value", kv);
            return -1;
        }
        snprintf(key, sizeof key, "%.*s", (int)(eq - kv), kv);
        const char *name = key;
        if (!strncmp(key, "consumer.", 9) || !strncmp(key, "producer.", 9)) {
            if (strncmp(key, side, 8))
                continue;
            name = key + 9;
        }
        if (rd_kafka_conf_set(conf, name, eq + 1, h->errstr, sizeof h->errstr) != RD_KAFKA_CONF_OK) {
            const char *at = h->cfg->prop_origin ? h->cfg->prop_origin[k] : NULL;
            hx_log(HX_ERROR, "%s%s%s", at ? at : "", at ? ": " : "", h->errstr);
            return -1;
        }
    }
    return 0;
}

/* whether the user set key for this side */
static int user_set(const hx *h, const char *side, const char *key)
{
    size_t n = strlen(key);
    for (int k = 0; k < h->cfg->nprops; k++) {
        const char *kv = h->cfg->props[k];
        if (!strncmp(kv, side, 8) && kv[8] == '.')
            kv += 9;
        if (!strncmp(kv, key, n) && kv[n] == '=')
            return 1;
    }
    return 0;
}

/* librdkafka's own lines (from its threads), through the one logger */
static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    hx_log_line(level <= 3 ? HX_ERROR : level == 4 ? HX_WARN : level == 7 ? HX_DEBUG : HX_INFO, "rdkafka", fac, buf,
                NULL);
}

static rd_kafka_t *client(hx *h, rd_kafka_type_t type, rd_kafka_conf_t *conf)
{
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_log_cb(conf, on_log);
    rd_kafka_t *rk = rd_kafka_new(type, conf, h->errstr, sizeof h->errstr);
    if (!rk) {
        hx_log(HX_ERROR, "%s", h->errstr);
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
    char txid[600], max[32];
    size_t maxlen = sizeof max;
    rd_kafka_conf_set_opaque(conf, h);
    /* the producer's size limit is the consumer's per-partition fetch size
       (the same -X sets both): what is scored can be passed on to a
       consumer configured like this one, and anything larger -- a result or
       a dead letter of a huge record -- is cut short into the dead-letter
       topic here, before the broker could refuse it */
    rd_kafka_conf_t *probe = rd_kafka_conf_new();
    for (int k = 0; k < c->nprops; k++) { /* the consumer's settings (errors: reported by its own setup) */
        char key[512];
        const char *kv = c->props[k], *eq = strchr(kv, '=');
        if (eq && (size_t)(eq - kv) < sizeof key && strncmp(kv, "producer.", 9)) {
            snprintf(key, sizeof key, "%.*s", (int)(eq - kv), kv);
            rd_kafka_conf_set(probe, strncmp(key, "consumer.", 9) ? key : key + 9, eq + 1, h->errstr,
                              sizeof h->errstr);
        }
    }
    if (rd_kafka_conf_get(probe, "max.partition.fetch.bytes", max, &maxlen) != RD_KAFKA_CONF_OK)
        snprintf(max, sizeof max, "1048576");
    rd_kafka_conf_destroy(probe);
    /* measured on the mock cluster: a large queue and batches of thousands
       roughly double the rate of librdkafka's defaults */
    int bad = set(h, conf, "bootstrap.servers", c->brokers) ||
              set(h, conf, "client.id", c->client_id ? c->client_id : "nerva-kafka") ||
              set(h, conf, "linger.ms", "5") || set(h, conf, "batch.num.messages", "10000") ||
              set(h, conf, "batch.size", "4000000") ||
              set(h, conf, "queue.buffering.max.messages", "1000000") ||
              set(h, conf, "queue.buffering.max.kbytes", "1048576") ||
              set(h, conf, "enable.idempotence", "true") ||
              /* a key's results land in the partition the Java client (and
                 so Kafka Streams) would put the key in */
              set(h, conf, "partitioner", "murmur2_random") ||
              (!user_set(h, "producer", "message.max.bytes") && set(h, conf, "message.max.bytes", max));
    if (!bad && c->exactly_once) {
        snprintf(txid, sizeof txid, "%s", c->transactional_id ? c->transactional_id : "");
        if (!c->transactional_id)
            snprintf(txid, sizeof txid, "nerva-%s-%s", c->group, c->topics[0]);
        bad = set(h, conf, "transactional.id", txid);
    }
    bad = bad || user_props(h, conf, "producer");
    maxlen = sizeof max;
    if (!bad && rd_kafka_conf_get(conf, "message.max.bytes", max, &maxlen) == RD_KAFKA_CONF_OK)
        h->max_msg = strtol(max, NULL, 10);
    if (bad) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, hx_on_delivery);
    return client(h, RD_KAFKA_PRODUCER, conf);
}

/* ---- one batch ---- */

/* a PFA engine's outcomes, record by record (pfa_worker.c calls back) */
typedef struct pfa_ctx {
    hx *h;
    rd_kafka_message_t **msgs;
    const uintptr_t *tickets;
} pfa_ctx;

static void pfa_done(void *vctx, size_t i, const hx_outcome *o)
{
    pfa_ctx *x = vctx;
    hx *h = x->h;
    rd_kafka_message_t *m = x->msgs[i];
    uintptr_t ticket = x->tickets[i];
    /* values given back before an error are out, as PFA says; the record
       is dead-lettered as well */
    int ok = o->status == NERVA_PFA_OK;
    hx_expect(h, ticket, (unsigned)o->nvals + !ok);
    h->t.scored += ok;
    const char *v = o->vals;
    for (size_t k = 0; k < o->nvals && !h->fatal; k++) {
        size_t len = strlen(v); /* JSON text holds no raw NUL */
        hx_result(h, m, ticket, v, len);
        v += len + 1;
    }
    if (ok || h->fatal)
        return;
    char msg[600], code[32];
    snprintf(msg, sizeof msg, "%.*s", (int)(o->msglen < 590 ? o->msglen : 590), o->msg);
    snprintf(code, sizeof code, "%d", o->code);
    if (o->status == NERVA_PFA_BAD_INPUT)
        hx_bad_record(h, m, ticket, "input", *msg ? msg : "not a value of the input type", NULL);
    else if (o->status == HX_ENGINE_CRASH || o->status == HX_ENGINE_TIMEOUT) {
        hx_bad_record(h, m, ticket, o->status == HX_ENGINE_CRASH ? "crash" : "timeout", msg, NULL);
        hx_log(HX_WARN, "%s; a fresh engine (from the document's init) takes the next records", msg);
    } else
        hx_bad_record(h, m, ticket, "pfa", msg, o->code == NERVA_PFA_NO_CODE ? NULL : code);
}

/* every real record of the batch through the PFA engine, in order */
static void process_pfa(hx *h, rd_kafka_message_t **msgs, const uintptr_t *tickets, size_t n)
{
    rd_kafka_message_t **real = malloc((n ? n : 1) * sizeof *real);
    uintptr_t *tk = malloc((n ? n : 1) * sizeof *tk);
    const char **recs = malloc((n ? n : 1) * sizeof *recs);
    size_t *lens = malloc((n ? n : 1) * sizeof *lens);
    if (!real || !tk || !recs || !lens)
        abort();
    size_t r = 0;
    for (size_t k = 0; k < n; k++)
        if (!msgs[k]->err && tickets[k]) {
            real[r] = msgs[k];
            tk[r] = tickets[k];
            recs[r] = msgs[k]->payload ? (const char *)msgs[k]->payload : "";
            lens[r] = msgs[k]->len;
            r++;
        }
    pfa_ctx x = {h, real, tk};
    char err[512];
    double t0 = hx_now();
    if (r && hx_worker_run(h->worker, recs, lens, r, pfa_done, &x, err, sizeof err)) {
        hx_log(HX_ERROR, "%s", err);
        h->fatal = 1;
    }
    if (r)
        hx_hist_add_unit(&h->score_lat, (hx_now() - t0) * 1e9 / (double)r, 1e-9);
    free(real);
    free(tk);
    free(recs);
    free(lens);
}

/* record i's result in the Confluent frame of its output topic's schema id */
static int frame_id(hx *h, const rd_kafka_message_t *m)
{
    hx_topic *tp = hx_topic_of(h, rd_kafka_topic_name(m->rkt));
    if (tp->out_id == -2)
        tp->out_id = hx_schemas_out_id(h, tp->out_name);
    if (tp->out_id < 0 || h->enc.len < 5)
        return -1;
    unsigned long id = (unsigned long)tp->out_id;
    h->enc.data[1] = (char)(id >> 24);
    h->enc.data[2] = (char)(id >> 16);
    h->enc.data[3] = (char)(id >> 8);
    h->enc.data[4] = (char)id;
    return 0;
}

static void process(hx *h, rd_kafka_message_t **msgs, size_t n)
{
    /* writer schemas first: a registry that does not answer holds the batch */
    if (hx_schemas_fetch(h, msgs, n))
        return;
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
        track *t = m->rkt ? hx_track(h, hx_topic_of(h, rd_kafka_topic_name(m->rkt)), m->partition) : NULL;
        if (m->err) {
            if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                if (t)
                    t->eof = 1;
            } else {
                hx_log(HX_WARN, "kafka: %s", rd_kafka_message_errstr(m));
            }
            continue;
        }
        if (!t)
            continue;
        t->eof = 0;
        t->position = m->offset + 1;
        if (!h->t.consumed)
            h->t_first = hx_now();
        h->t.consumed++;
        tickets[k] = hx_ticket_new(h, t, m->offset);
        if (!h->cfg->forward_only && h->batch) {
            idx[k] = nvc_decode(h->batch, m->payload, m->len);
            /* a stateful model: the partition's entities (made when its first
               record comes; without memory the record fails to score) */
            const nerva_model *md = h->model.m;
            if (idx[k] >= 0 && md && md->state_new) {
                if (!t->state)
                    t->state = md->state_new((size_t)h->cfg->state_max);
                nvc_set_record_state(h->batch, (size_t)idx[k], t->state);
            }
        }
    }
    if (h->cfg->no_score) {
        nvc_no_score(h->batch);
    } else if (!h->cfg->forward_only && h->batch) {
        double t0 = hx_now();
        nvc_score(h->batch);
        size_t nb = nvc_count(h->batch);
        if (nb)
            hx_hist_add_unit(&h->score_lat, (hx_now() - t0) * 1e9 / (double)nb, 1e-9);
    }
    if (h->model.pfa && !h->cfg->forward_only)
        process_pfa(h, msgs, tickets, n);
    else
        for (size_t k = 0; k < n && !h->fatal; k++) {
            rd_kafka_message_t *m = msgs[k];
            if (m->err || !tickets[k])
                continue;
            if (h->cfg->forward_only) {
                hx_result(h, m, tickets[k], m->payload, m->len);
                continue;
            }
            size_t i = (size_t)idx[k];
            int st = nvc_status(h->batch, i);
            if (st >= 0 && nvc_encode(h->batch, i, &h->enc) == 0) {
                if (h->reg && h->cfg->codec.out_format == NVC_AVRO && frame_id(h, m))
                    break; /* the registry refused the output schema: stopping */
                h->t.scored++;
                h->t.invalid += st == NVC_INVALID;
                hx_result(h, m, tickets[k], h->enc.data, h->enc.len);
            } else {
                hx_bad_record(h, m, tickets[k], nvc_error_kind(h->batch, i), nvc_error(h->batch, i), NULL);
            }
        }
    free(tickets);
    free(idx);
}

/* --exactly-once: the batch's results and its offsets in one transaction */
static int txn_check(hx *h, rd_kafka_error_t *e, const char *what)
{
    (void)h;
    if (!e)
        return 0;
    hx_log(HX_WARN, "%s: %s", what, rd_kafka_error_string(e));
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
        const char *topic = rd_kafka_topic_name(m->rkt);
        rd_kafka_topic_partition_t *p = rd_kafka_topic_partition_list_find(next, topic, m->partition);
        if (!p) {
            rd_kafka_topic_partition_list_add(first, topic, m->partition)->offset = m->offset;
            p = rd_kafka_topic_partition_list_add(next, topic, m->partition);
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
        hx_log(HX_INFO, "transaction aborted; the batch will be consumed again");
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
        hx_log(HX_ERROR, "%s", err);
        return -1;
    }
    if (*nvc_notes(*out))
        hx_log(HX_WARN, "%s", nvc_notes(*out));
    return 0;
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
        hx_log(HX_ERROR, "%s is a PFA engine: it takes %s", c->model, why);
    return !why;
}

static void refuse(hx *h, hx_model *next, const char *why)
{
    hx_log(HX_WARN, "reload refused: %s; keeping the running model", why);
    h->t.refused++;
    h->model.st = next->st; /* not again until the file changes again */
    hx_model_unload(next);
}

/* the compiled replacement, swapped in between two batches when it fits */
static void swap_in(hx *h, hx_model *next)
{
    char err[1024];
    if (!next->pfa != !h->model.pfa) {
        refuse(h, next, "a PMML model and a PFA engine do not replace each other");
        return;
    }
    if (next->pfa) {
        if (strcmp(next->pfa->input_schema, h->model.pfa->input_schema)) {
            refuse(h, next, "its input type differs");
            return;
        }
        hx_worker *w = hx_worker_start(next, &h->cfg->pfa, err, sizeof err);
        if (!w) {
            refuse(h, next, err);
            return;
        }
        hx_worker_stop(h->worker);
        hx_model_unload(&h->model);
        h->model = *next;
        h->worker = w;
        h->t.reloads++;
        hx_log(HX_INFO, "reloaded %s (PFA engine %s; its state starts afresh)", h->cfg->model, next->pfa->name);
        return;
    }
    nvc_codec *codec;
    if (nvc_compatible(h->codec, next->m, err, sizeof err)) {
        refuse(h, next, err);
        return;
    }
    if (load_codec(h, next, &codec)) {
        refuse(h, next, "its outputs do not fit the output format");
        return;
    }
    states_drop(h); /* the old model's: the new one starts afresh */
    nvc_batch_free(h->batch);
    nvc_free(h->codec);
    hx_model_unload(&h->model);
    h->model = *next;
    h->codec = codec;
    h->batch = nvc_batch_new(codec, (size_t)h->cfg->batch);
    h->t.reloads++;
    hx_log(HX_INFO, "reloaded %s (%s: %d inputs, %d outputs)", h->cfg->model, next->m->name ? next->m->name : "?",
        next->m->n_inputs, next->m->n_outputs);
}

/* hot reload: starts compiling on a request, swaps the result in when done */
static void reload_step(hx *h, int requested)
{
    char err[1024];
    if (requested && !h->job_on) {
        hx_log(HX_INFO, "reloading %s (compiling; the running model scores meanwhile)", h->cfg->model);
        if (hx_compile_start(&h->job, h->cfg->model, &h->cfg->compile, err, sizeof err)) {
            hx_model none = {.fd = -1};
            struct stat st;
            if (!stat(h->cfg->model, &st))
                none.st = st;
            refuse(h, &none, err);
            return;
        }
        h->job_on = 1;
    }
    if (!h->job_on)
        return;
    hx_model next;
    int rc = hx_compile_poll(&h->job, &next, err, sizeof err);
    if (rc == 0)
        return;
    h->job_on = 0;
    if (rc < 0) {
        hx_model none = {.fd = -1, .st = h->job.st};
        refuse(h, &none, err);
        return;
    }
    swap_in(h, &next);
}

/* ---- metrics ---- */

static int64_t lag_of(hx *h, const track *t)
{
    int64_t lo = 0, hi = 0;
    if (rd_kafka_get_watermark_offsets(h->c, t->topic->name, t->part, &lo, &hi))
        return -1;
    int64_t pos = t->position >= 0 ? t->position : lo;
    return hi > pos ? hi - pos : 0;
}

/* a Prometheus label value: backslash, quote and line end escaped */
static void label_value(char *out, size_t n, const char *s)
{
    size_t k = 0;
    for (; *s && k + 3 < n; s++) {
        if (*s == '\\' || *s == '"' || *s == '\n') {
            out[k++] = '\\';
            out[k++] = *s == '\n' ? 'n' : *s;
        } else {
            out[k++] = *s;
        }
    }
    out[k] = 0;
}

static void render(hx *h, nvc_buf *b)
{
    char line[1024];
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
    if (h->model.m && h->model.m->state_new) {
        /* a stateful model: the entities held, and those forgotten to keep
           --state-max-entities */
        size_t held = 0, n;
        unsigned long long ev = h->evicted_gone, e;
        for (int k = 0; k < h->ntrk; k++)
            if (h->trk[k]->state) {
                h->model.m->state_stats(h->trk[k]->state, &n, &e);
                held += n;
                ev += e;
            }
        nvc_buf_put(b, line, (size_t)snprintf(line, sizeof line,
                                              "# HELP nerva_state_entities entities whose Lag and Aggregate state is "
                                              "held (all partitions)\n# TYPE nerva_state_entities gauge\n"
                                              "nerva_state_entities %llu\n"
                                              "# HELP nerva_state_evictions_total entities forgotten, least recently "
                                              "seen first, to keep --state-max-entities\n"
                                              "# TYPE nerva_state_evictions_total counter\nnerva_state_evictions_total %llu\n",
                                              (unsigned long long)held, ev));
    }
    nvc_buf_puts(b, "# HELP nerva_partition_lag records behind the end of the partition\n"
                    "# TYPE nerva_partition_lag gauge\n");
    for (int k = 0; k < h->ntrk; k++)
        if (h->trk[k]->active)
            nvc_buf_put(b, line, (size_t)snprintf(line, sizeof line,
                                                  "nerva_partition_lag{topic=\"%s\",partition=\"%d\"} %lld\n",
                                                  h->trk[k]->topic->name, (int)h->trk[k]->part,
                                                  (long long)lag_of(h, h->trk[k])));
    nvc_buf_puts(b, "# HELP nerva_partition_consumed_total records consumed from the partition\n"
                    "# TYPE nerva_partition_consumed_total counter\n");
    for (int k = 0; k < h->ntrk; k++)
        nvc_buf_put(b, line, (size_t)snprintf(line, sizeof line,
                                              "nerva_partition_consumed_total{topic=\"%s\",partition=\"%d\"} %llu\n",
                                              h->trk[k]->topic->name, (int)h->trk[k]->part,
                                              (unsigned long long)h->trk[k]->consumed));
    /* histograms: fixed buckets, so that they add up across group members */
    const struct { const char *name, *help; const hx_hist *hist; } l[] = {
        {"nerva_latency_seconds", "consume to acknowledgement of the result", &h->e2e},
        {"nerva_score_seconds", "scoring time per record (batch time / records)", &h->score_lat},
    };
    for (size_t k = 0; k < 2; k++) {
        nvc_buf_put(b, line, (size_t)snprintf(line, sizeof line, "# HELP %s %s\n# TYPE %s histogram\n",
                                              l[k].name, l[k].help, l[k].name));
        uint64_t cum = 0;
        for (int q = 0; q < HX_BUCKETS; q++) {
            cum += l[k].hist->bucket[q];
            nvc_buf_put(b, line, (size_t)snprintf(line, sizeof line, "%s_bucket{le=\"%g\"} %llu\n", l[k].name,
                                                  hx_bucket_le[q], (unsigned long long)cum));
        }
        nvc_buf_put(b, line, (size_t)snprintf(line, sizeof line, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.9g\n%s_count %llu\n",
                                              l[k].name, (unsigned long long)l[k].hist->n, l[k].name,
                                              l[k].hist->sum, l[k].name, (unsigned long long)l[k].hist->n));
    }
    char model[600];
    label_value(model, sizeof model, h->cfg->model);
    nvc_buf_put(b, line, (size_t)snprintf(line, sizeof line,
                                          "# HELP nerva_build_info the harness's version and librdkafka's\n"
                                          "# TYPE nerva_build_info gauge\n"
                                          "nerva_build_info{version=\"%s\",librdkafka=\"%s\"} 1\n"
                                          "# HELP nerva_model_info the model scoring now (its file's hash)\n"
                                          "# TYPE nerva_model_info gauge\n"
                                          "nerva_model_info{model=\"%s\",hash=\"%s\"} 1\n",
                                          NERVA_VERSION, rd_kafka_version_str(), model, h->model.hash));
}

static void stats_line(hx *h, double since, uint64_t *last_scored)
{
    int64_t lag = 0;
    for (int k = 0; k < h->ntrk; k++)
        if (h->trk[k]->active) {
            int64_t x = lag_of(h, h->trk[k]);
            lag += x > 0 ? x : 0;
        }
    uint64_t done = h->t.produced + h->t.dlq;
    /* the rate since the last line; at exit, over the whole run */
    double rate = since > 0 ? (double)(done - *last_scored) / since
                  : h->t.seconds > 0 ? (double)done / h->t.seconds : 0;
    *last_scored = done;
    double p50 = hx_hist_quantile(&h->e2e, 0.5) / 1000, p99 = hx_hist_quantile(&h->e2e, 0.99) / 1000;
    double sc = hx_hist_quantile(&h->score_lat, 0.5);
    char msg[512], fields[512];
    unsigned long long c = h->t.consumed, s = h->t.scored, p = h->t.produced, d = h->t.dlq, e = h->t.bad;
    snprintf(msg, sizeof msg,
             "consumed=%llu scored=%llu produced=%llu dlq=%llu errors=%llu lag=%lld rate=%.0f rec/s p50=%.2f ms "
             "p99=%.2f ms score=%.0f ns/rec", c, s, p, d, e, (long long)lag, rate, p50, p99, sc);
    snprintf(fields, sizeof fields,
             ",\"consumed\":%llu,\"scored\":%llu,\"produced\":%llu,\"dlq\":%llu,\"errors\":%llu,\"lag\":%lld,"
             "\"rate\":%.0f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"score_ns\":%.0f", c, s, p, d, e, (long long)lag, rate,
             p50, p99, sc);
    hx_log_line(HX_STATS, "nerva", NULL, msg, fields);
}

static int all_eof(hx *h)
{
    if (!h->assigned)
        return 0;
    for (int k = 0; k < h->ntrk; k++)
        if (h->trk[k]->active && !h->trk[k]->eof)
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
        hx_log(HX_ERROR, "cannot read %s", c->in_schema_file);
        return 1;
    }
    if (c->out_schema_file && hx_read_text(c->out_schema_file, &h->out_schema)) {
        hx_log(HX_ERROR, "cannot read %s", c->out_schema_file);
        return 1;
    }
    h->opts.in_schema = h->in_schema;
    h->opts.out_schema = h->out_schema;
    if (hx_schemas_setup(h))
        return 1;
    int lr = hx_model_load(c->model, &h->model, &c->compile, err, sizeof err);
    if (lr) {
        hx_log(lr == -2 ? HX_INFO : HX_ERROR, "%s", err);
        return lr == -2 ? -1 : 1;
    }
    if (h->model.pfa) {
        if (!pfa_options_ok(h))
            return 1;
        if (!c->forward_only && !(h->worker = hx_worker_start(&h->model, &c->pfa, err, sizeof err))) {
            hx_log(HX_ERROR, "%s: %s", c->model, err);
            return 1;
        }
    } else {
        if (load_codec(h, &h->model, &h->codec))
            return 1;
        h->batch = nvc_batch_new(h->codec, (size_t)c->batch);
    }
    if (c->metrics && hx_metrics_start(c->metrics, err, sizeof err)) {
        hx_log(HX_ERROR, "%s", err);
        return 1;
    }
    if (!(h->p = make_producer(h)) || !(h->c = make_consumer(h)))
        return 1;
    if (c->exactly_once && txn_check(h, rd_kafka_init_transactions(h->p, 60000), "init transactions"))
        return 3;
    rd_kafka_poll_set_consumer(h->c);
    h->cq = rd_kafka_queue_get_consumer(h->c);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(c->ntopics);
    for (int k = 0; k < c->ntopics; k++)
        rd_kafka_topic_partition_list_add(sub, c->topics[k], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(h->c, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (e) {
        hx_log(HX_ERROR, "subscribe: %s", rd_kafka_err2str(e));
        return 3;
    }
    const char *mode = c->forward_only ? " [forward-only: not scoring]"
                       : c->no_score ? " [no-score: outputs left empty]" : "";
    char topics[1024] = "";
    for (int k = 0, at = 0; k < c->ntopics && at < (int)sizeof topics - 2; k++)
        at += snprintf(topics + at, sizeof topics - (size_t)at, "%s%s", k ? "," : "", c->topics[k]);
    if (h->model.pfa)
        hx_log(HX_INFO, "scoring %s -> %s with %s (PFA engine %s, method %s)%s", topics, c->out_topic, c->model,
            h->model.pfa->name, h->model.pfa->method, mode);
    else
        hx_log(HX_INFO, "scoring %s -> %s with %s (%s: %d inputs, %d outputs)%s", topics, c->out_topic, c->model,
            h->model.m->name ? h->model.m->name : "?", h->model.m->n_inputs, h->model.m->n_outputs, mode);
    return 0;
}

int hx_run(const hx_config *cfg, hx_totals *tot)
{
    hx *h = calloc(1, sizeof *h);
    if (!h)
        abort();
    h->cfg = cfg;
    h->model.fd = -1;
    h->max_msg = 1000000;
    int rc = setup(h);
    int stopped = rc == -1; /* a signal during the first compile */
    if (stopped)
        rc = 0;
    rd_kafka_message_t **msgs = calloc((size_t)cfg->batch, sizeof *msgs);
    double last_stats = hx_now(), last_watch = hx_now(), last_pub = 0;
    uint64_t last_done = 0;
    nvc_buf prom = {0};
    while (!rc && !stopped && !hx_stop && !h->fatal) {
        double now = hx_now();
        int want = hx_reload;
        if (!want && cfg->watch && now - last_watch >= 1 && !h->job_on) {
            last_watch = now;
            want = hx_model_changed(cfg->model, &h->model);
        }
        if (want || h->job_on) {
            if (want && h->job_on && hx_reload)
                hx_log(HX_INFO, "a reload is already being compiled");
            hx_reload = 0;
            reload_step(h, want);
        }
        if (cfg->stats_seconds > 0 && now - last_stats >= cfg->stats_seconds) {
            stats_line(h, now - last_stats, &last_done);
            last_stats = now;
        }
        if (cfg->metrics && now - last_pub >= 1) {
            render(h, &prom);
            hx_metrics_publish(prom.data, prom.len);
            int model = h->codec || h->worker || cfg->forward_only;
            hx_metrics_state(h->assigned > 0 && model, !h->assigned ? "no partitions assigned" : "no model loaded");
            last_pub = now;
        }
        ssize_t n = rd_kafka_consume_batch_queue(h->cq, 10, msgs, (size_t)cfg->batch);
        if (n < 0) {
            hx_log(HX_ERROR, "consume: %s", rd_kafka_err2str(rd_kafka_last_error()));
            rc = 3;
            break;
        }
        if (cfg->exactly_once)
            process_txn(h, msgs, (size_t)n);
        else
            process(h, msgs, (size_t)n);
        for (ssize_t k = 0; k < n; k++)
            rd_kafka_message_destroy(msgs[k]);
        hx_poll(h, 0);
        hx_store_offsets(h);
        if (cfg->exit_eof && all_eof(h)) {
            hx_flush(h, 60000);
            hx_store_offsets(h);
            if (all_eof(h))
                break;
        }
    }
    if (hx_stop && !stopped)
        hx_log(HX_INFO, "stopping: finishing what is in flight, committing, leaving the group");
    if (h->job_on) {
        hx_compile_cancel(&h->job); /* a reload being compiled: not needed any more */
        h->job_on = 0;
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
        hx_log(HX_WARN, "%llu results unacknowledged at exit (their records are not committed)",
            (unsigned long long)h->inflight);
    for (int k = 0; k < h->ntopics; k++) {
        hx_topic *t = h->topics[k];
        if (t->out)
            rd_kafka_topic_destroy(t->out);
        if (t->dlq)
            rd_kafka_topic_destroy(t->dlq);
        free(t->name);
        free(t->out_name);
        free(t->dlq_name);
        free(t->parts);
        free(t);
    }
    free(h->topics);
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
    states_drop(h);
    for (int k = 0; k < h->ntrk; k++) {
        free(h->trk[k]->ring);
        free(h->trk[k]);
    }
    free(h->trk);
    h->fatal = 1;
    hx_redo(h); /* frees what is left */
    free(msgs);
    nvc_buf_free(&prom);
    nvc_buf_free(&h->enc);
    nvc_batch_free(h->batch);
    nvc_free(h->codec);
    hx_worker_stop(h->worker);
    hx_model_unload(&h->model);
    hx_schemas_free(h);
    free(h->in_schema);
    free(h->out_schema);
    free(h);
    return rc;
}
