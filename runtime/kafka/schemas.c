/* schemas.c: the harness's use of a Schema Registry (registry.c is the
 * client): writer schemas fetched by the id in each record's frame, before
 * the batch that holds it is decoded, and cached for the run (and for the
 * codec of a reloaded model); the output schema registered (or looked up)
 * under the subject its strategy names, once per output topic, its id
 * written into each result's frame.
 *
 * A registry that does not answer makes the harness wait and retry (the
 * records wait, none is lost) for up to a minute, then stop without
 * committing them; an id the registry does not have, or a writer's schema
 * that cannot be read as the input schema, makes its records bad records
 * (nerva.error=schema) and the stream goes on. */
#include "hx_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RETRY_SECONDS 60

/* calls fn until the registry answers (0 or 1), waiting longer each time,
   for up to RETRY_SECONDS or until a signal; its result, or -1 */
typedef int (*ask_fn)(hx *h, const void *arg, char *err, size_t errlen);
static int ask(hx *h, ask_fn fn, const void *arg, char *err, size_t errlen)
{
    double start = hx_now(), wait = 0.2;
    for (;;) {
        int rc = fn(h, arg, err, errlen);
        if (rc >= 0)
            return rc;
        if (hx_stop || hx_now() - start > RETRY_SECONDS)
            return -1;
        hx_log(HX_WARN, "schema registry: %s; trying again in %.1f s", err, wait);
        for (double until = hx_now() + wait; hx_now() < until && !hx_stop;)
            usleep(20000);
        wait = wait * 2 > 5 ? 5 : wait * 2;
    }
}

/* ---- writer schemas by id ---- */

static int fetch_one(hx *h, const void *arg, char *err, size_t errlen)
{
    const long *id = arg;
    char *text = NULL;
    int rc = hx_registry_schema(h->reg, *id, &text, err, errlen);
    if (rc >= 0) {
        hx_known *k = realloc(h->known, (size_t)(h->nknown + 1) * sizeof *k);
        if (!k)
            abort();
        h->known = k;
        h->known[h->nknown++] = (hx_known){*id, text, rc ? strdup(err) : NULL};
    }
    return rc;
}

static const hx_known *known(const hx *h, long id)
{
    for (int k = h->nknown - 1; k >= 0; k--)
        if (h->known[k].id == id)
            return &h->known[k];
    return NULL;
}

int hx_schemas_fetch(hx *h, rd_kafka_message_t **msgs, size_t n)
{
    if (!h->reg || !h->codec || !h->opts.by_id)
        return 0;
    for (size_t i = 0; i < n; i++) {
        const rd_kafka_message_t *m = msgs[i];
        long id = m->err ? -1 : nvc_avro_frame_id(m->payload, m->len);
        if (id < 0 || nvc_avro_writer_known(h->codec, id))
            continue;
        const hx_known *k = known(h, id);
        char err[600];
        if (!k) {
            if (ask(h, fetch_one, &id, err, sizeof err) < 0) {
                if (!hx_stop) {
                    hx_log(HX_ERROR, "schema registry: %s; stopping without committing the records that need it", err);
                    h->fatal = 1;
                }
                return -1;
            }
            k = known(h, id);
            hx_log(k->bad ? HX_WARN : HX_INFO, "schema id %ld: %s", id, k->bad ? k->bad : "fetched from the registry");
        }
        if (k->bad)
            nvc_avro_bad_writer(h->codec, id, k->bad);
        else if (nvc_avro_add_writer(h->codec, id, k->text, err, sizeof err))
            hx_log(HX_WARN, "schema id %ld %s: its records are dead-lettered", id, err);
    }
    return 0;
}

/* ---- the output schema's id, per output topic ---- */

typedef struct id_ask {
    const char *subject;
    long *id;
} id_ask;

static int register_one(hx *h, const void *arg, char *err, size_t errlen)
{
    const id_ask *a = arg;
    return hx_registry_id(h->reg, a->subject, h->out_schema, a->id, err, errlen);
}

long hx_schemas_out_id(hx *h, const char *topic)
{
    for (int k = 0; k < h->nouts; k++)
        if (!strcmp(h->outs[k].topic, topic))
            return h->outs[k].id;
    char subject[1200], err[700];
    const char *rec = h->out_record;
    switch (h->cfg->registry.strategy) {
    case HX_SUBJECT_RECORD: snprintf(subject, sizeof subject, "%s", rec); break;
    case HX_SUBJECT_TOPIC_RECORD: snprintf(subject, sizeof subject, "%s-%s", topic, rec); break;
    default: snprintf(subject, sizeof subject, "%s-value", topic); break;
    }
    long id = -1;
    id_ask a = {subject, &id};
    int rc = ask(h, register_one, &a, err, sizeof err);
    if (rc) {
        if (!hx_stop)
            hx_log(HX_ERROR, "schema registry: %s", err);
        h->fatal = 1;
        return -1;
    }
    hx_log(HX_INFO, "output schema for %s: id %ld (subject %s)", topic, id, subject);
    void *p = realloc(h->outs, (size_t)(h->nouts + 1) * sizeof *h->outs);
    if (!p)
        abort();
    h->outs = p;
    h->outs[h->nouts].topic = strdup(topic);
    h->outs[h->nouts++].id = id;
    return id;
}

int hx_schemas_setup(hx *h)
{
    const hx_config *c = h->cfg;
    char err[600];
    if (!c->registry.url)
        return 0;
    if (c->codec.in_format != NVC_AVRO && c->codec.out_format != NVC_AVRO) {
        hx_log(HX_ERROR, "--schema-registry: neither --input-format nor --output-format is avro");
        return -1;
    }
    if (!(h->reg = hx_registry_new(&c->registry, err, sizeof err))) {
        hx_log(HX_ERROR, "%s", err);
        return -1;
    }
    if (c->codec.in_format == NVC_AVRO) {
        h->opts.by_id = 1;
        h->opts.in_confluent = 1;
    }
    if (c->codec.out_format == NVC_AVRO) {
        h->opts.out_schema_id = 0; /* framed; each topic's id goes in after encoding */
        /* the output record's full name, for the record-name strategies */
        json_t *j = json_loads(h->out_schema, 0, NULL);
        const char *name = j ? json_string_value(json_object_get(j, "name")) : NULL;
        const char *ns = j ? json_string_value(json_object_get(j, "namespace")) : NULL;
        char full[600];
        snprintf(full, sizeof full, "%s%s%s", ns && *ns && name && !strchr(name, '.') ? ns : "",
                 ns && *ns && name && !strchr(name, '.') ? "." : "", name ? name : "");
        json_decref(j);
        if (!name) {
            hx_log(HX_ERROR, "--output-schema: the top-level record has no name");
            return -1;
        }
        h->out_record = strdup(full);
        /* one output topic: its id now, so that a refusal stops the start */
        if (!strstr(c->out_topic, "{topic}") && hx_schemas_out_id(h, c->out_topic) < 0)
            return -1;
    }
    return 0;
}

void hx_schemas_free(hx *h)
{
    for (int k = 0; k < h->nknown; k++) {
        free(h->known[k].text);
        free(h->known[k].bad);
    }
    free(h->known);
    for (int k = 0; k < h->nouts; k++)
        free(h->outs[k].topic);
    free(h->outs);
    free(h->out_record);
    hx_registry_free(h->reg);
}
