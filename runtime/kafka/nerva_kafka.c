/* nerva_kafka.c: the nerva-kafka program, which `nerva kafka`, `nerva
 * broker`, `nerva demo` and `nerva bench --kafka` run.  It is a program of
 * its own so that the compiler needs no librdkafka; nerva execs it with
 * NERVA set to nerva's own path, which is how it compiles models.  This file
 * dispatches the commands, parses `kafka`'s command line, and holds the
 * small helpers the others share. */
#include "harness.h"

#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

double hx_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

const char *hx_nerva_exe(void)
{
    static char path[4200];
    const char *e = getenv("NERVA");
    if (e && *e)
        return e;
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return "nerva";
    self[n] = 0;
    char *slash = strrchr(self, '/');
    snprintf(path, sizeof path, "%.*s/nerva", (int)(slash - self), self);
    return path;
}

int hx_read_text(const char *path, char **out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 4096, len = 0, got;
    char *d = malloc(cap + 1);
    while (d && (got = fread(d + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            if (cap > ((size_t)64 << 20)) { /* schemas and config files are small */
                free(d);
                d = NULL;
                break;
            }
            d = realloc(d, (cap *= 2) + 1);
        }
    }
    fclose(f);
    if (!d)
        return -1;
    d[len] = 0;
    *out = d;
    return 0;
}

int hx_write_atomic(const char *path, const char *data, size_t len)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp%d", path, (int)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return -1;
    int ok = fwrite(data, 1, len, f) == len;
    ok &= fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok &= fclose(f) == 0;
    if (!ok || rename(tmp, path)) {
        remove(tmp);
        return -1;
    }
    return 0;
}

void hx_set_limit(int what, unsigned long long want)
{
    struct rlimit r;
    if (getrlimit(what, &r))
        return;
    r.rlim_cur = r.rlim_max != RLIM_INFINITY && want > r.rlim_max ? r.rlim_max : (rlim_t)want;
    setrlimit(what, &r);
}

static void on_stop(int sig)
{
    (void)sig;
    hx_stop = 1;
}

static void on_hup(int sig)
{
    (void)sig;
    hx_reload = 1;
}

static void signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static const char kafka_usage[] =
    "usage: nerva kafka MODEL -b BROKERS -t IN_TOPIC -o OUT_TOPIC [-G GROUP] [options]\n"
    "\n"
    "Consume IN_TOPIC, score each record with MODEL (.pmml, .pfa, or a .so made\n"
    "by `nerva compile --shared`), produce the results to OUT_TOPIC.  At-least-once:\n"
    "an offset is committed only once its result and all earlier ones of its\n"
    "partition are acknowledged.\n"
    "\n"
    "  -b BROKERS             bootstrap servers (host:port,...)\n"
    "  -t TOPIC               input topic, or a pattern starting with ^ (repeatable)\n"
    "  -o TOPIC               output topic\n"
    "  -G GROUP               consumer group (default nerva)\n"
    "  -X KEY=VALUE           librdkafka property for both clients; consumer.KEY or\n"
    "                         producer.KEY for one of them (repeatable)\n"
    "  -F FILE                a Java properties file (key = value, # comments);\n"
    "                         bootstrap.servers counts as -b, schema.registry.* as\n"
    "                         the registry options\n"
    "  -e, --exit-eof         stop at the end of all assigned partitions\n"
    "  --input-format F       json (default), csv or avro\n"
    "  --output-format F      json (default), csv or avro\n"
    "  --columns A,B,...      CSV input column names (default: the model's inputs)\n"
    "  --input-schema FILE    Avro input schema (.avsc)\n"
    "  --output-schema FILE   Avro output schema (.avsc)\n"
    "  --confluent            Avro input in the Confluent wire format\n"
    "  --schema-id N          Avro output in the Confluent wire format, schema id N\n"
    "  --passthrough          the output record also carries the input's fields\n"
    "  --dlq TOPIC            dead-letter topic for bad records (else logged, counted)\n"
    "  --exactly-once         transactions: results and offsets commit together\n"
    "  --transactional-id ID  (default nerva-GROUP-IN_TOPIC)\n"
    "  --batch N              records per scoring batch (default 1000)\n"
    "  --state-max-entities N a model with Lag or Aggregate: entities kept per\n"
    "                         partition, least recently seen forgotten (100000; 0: no bound)\n"
    "  --pfa-timeout MS       a PFA engine's limit per record where the document\n"
    "                         sets none (past it: a dead letter; default none)\n"
    "  --pfa-limit MS         past this on one record, a PFA engine's process is\n"
    "                         killed, the record dead-lettered, the engine restarted\n"
    "                         (default 2 x --pfa-timeout + 1000, or 60000)\n"
    "  --pfa-memory MB        a PFA engine's address space (default 4096; 0 none)\n"
    "  --compile-timeout S    compiling MODEL may take this long (default 600)\n"
    "  --compile-memory MB    and this much address space (default 8192; 0 none)\n"
    "  --stats SECONDS        print counters, lag, rates and latency every SECONDS\n"
    "  --metrics-port [ADDR:]PORT\n"
    "                         serve Prometheus metrics (default address 127.0.0.1)\n"
    "  --no-watch             reload only on SIGHUP, not when MODEL changes\n"
    "  --forward-only         copy records unchanged, no scoring (benchmark baseline)\n"
    "  --no-score             decode and encode but do not score: every output\n"
    "                         empty (benchmark baseline: the pipeline without the model)\n"
    "  --schema-registry URL  Avro through a Confluent Schema Registry: writer schemas\n"
    "                         by the id in each record, the output schema registered\n"
    "  --registry-user U:P    basic auth; --registry-ca, --registry-cert, --registry-key\n"
    "                         FILE: TLS (or schema.registry.* properties)\n"
    "  --subject-strategy S   topic (default), record or topic-record\n"
    "  --no-register          look the output schema up, never register it\n"
    "  --log-format F         text (default) or json: one object a line\n"
    "  -q, --quiet            warnings and errors only\n"
    "  --version              the versions of nerva-kafka and librdkafka\n"
    "\n"
    "Signals: SIGINT/SIGTERM finish the batch, flush, commit and exit; SIGHUP\n"
    "reloads MODEL (as does a change to the file).  Exit: 0 ok, 1 bad model or\n"
    "configuration, 2 usage, 3 Kafka failure.  Details: docs/kafka.md.\n";

static int kafka_usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "nerva kafka: %s%s%s\ntry 'nerva kafka --help'\n", msg, arg ? " " : "", arg ? arg : "");
    return 2;
}

static int format_of(const char *s, nvc_format *f)
{
    if (!strcmp(s, "json"))
        *f = NVC_JSON;
    else if (!strcmp(s, "csv"))
        *f = NVC_CSV;
    else if (!strcmp(s, "avro"))
        *f = NVC_AVRO;
    else
        return -1;
    return 0;
}

/* properties nerva itself reads (from -F or -X); every other key goes to
   librdkafka, which refuses one it does not know */
typedef struct props_ctx {
    hx_config *c;
    const char *path;
    char **owned;
    int nowned;
    const char *brokers;        /* bootstrap.servers, when -b does not say */
} props_ctx;

static void own(props_ctx *x, char *s)
{
    x->owned = realloc(x->owned, (size_t)(x->nowned + 1) * sizeof *x->owned);
    if (!x->owned)
        abort();
    x->owned[x->nowned++] = s;
}

static int registry_prop(hx_config *c, const char *key, const char *v, char *err, size_t errlen)
{
    hx_registry_cfg *r = &c->registry;
    static const char prefix[] = "schema.registry.";
    int bare = strncmp(key, prefix, sizeof prefix - 1) != 0;
    if (!strcmp(key, "schema.registry.url"))
        r->url = v;
    else if (!strcmp(key, "schema.registry.basic.auth.user.info") || (bare && !strcmp(key, "basic.auth.user.info")))
        r->user_info = v;
    else if (!strcmp(key, "schema.registry.ssl.ca.location"))
        r->ca = v;
    else if (!strcmp(key, "schema.registry.ssl.certificate.location"))
        r->cert = v;
    else if (!strcmp(key, "schema.registry.ssl.key.location"))
        r->key = v;
    else if (!strcmp(key, "schema.registry.ssl.key.password"))
        r->key_password = v;
    else if (!strcmp(key, "schema.registry.ssl.endpoint.identification.algorithm"))
        r->no_verify_host = !*v || !strcmp(v, "none");
    else if (!strcmp(key, "schema.registry.basic.auth.credentials.source") ||
             (bare && !strcmp(key, "basic.auth.credentials.source"))) {
        if (strcmp(v, "USER_INFO")) {
            snprintf(err, errlen, "%s: only USER_INFO is supported, not %s", key, v);
            return -1;
        }
    } else if (!strcmp(key, "value.subject.name.strategy")) {
        const char *dot = strrchr(v, '.');
        const char *n = dot ? dot + 1 : v;
        r->strategy = !strcmp(n, "TopicNameStrategy") || !strcmp(n, "topic") ? HX_SUBJECT_TOPIC
                      : !strcmp(n, "RecordNameStrategy") || !strcmp(n, "record") ? HX_SUBJECT_RECORD
                      : !strcmp(n, "TopicRecordNameStrategy") || !strcmp(n, "topic-record") ? HX_SUBJECT_TOPIC_RECORD
                      : -1;
        if (r->strategy < 0) {
            snprintf(err, errlen, "%s: TopicNameStrategy, RecordNameStrategy or TopicRecordNameStrategy, not %s",
                     key, v);
            return -1;
        }
    } else if (!strcmp(key, "auto.register.schemas")) {
        r->no_register = strcmp(v, "true") != 0;
    } else {
        return 1; /* not one of these */
    }
    return 0;
}

/* the Java client's (de)serializer classes: meaningless here, ignored */
static int java_only(const char *key)
{
    static const char *const keys[] = {"key.serializer", "value.serializer", "key.deserializer",
                                        "value.deserializer", "specific.avro.reader"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        if (!strcmp(key, keys[k]))
            return 1;
    return 0;
}

static int add_prop(props_ctx *x, const char *key, const char *value, const char *origin, char *err, size_t errlen)
{
    hx_config *c = x->c;
    if (!strcmp(key, "bootstrap.servers")) {
        x->brokers = value;
        return 0;
    }
    int r = registry_prop(c, key, value, err, errlen);
    if (r <= 0)
        return r;
    if (java_only(key))
        return 0;
    size_t n = strlen(key) + strlen(value) + 2;
    char *kv = malloc(n);
    if (!kv)
        abort();
    snprintf(kv, n, "%s=%s", key, value);
    own(x, kv);
    c->props = realloc(c->props, (size_t)(c->nprops + 1) * sizeof *c->props);
    c->prop_origin = realloc(c->prop_origin, (size_t)(c->nprops + 1) * sizeof *c->prop_origin);
    if (!c->props || !c->prop_origin)
        abort();
    c->props[c->nprops] = kv;
    c->prop_origin[c->nprops++] = origin;
    return 0;
}

static int file_prop(void *ctx, const char *key, const char *value, int line, char *err, size_t errlen)
{
    props_ctx *x = ctx;
    size_t n = strlen(x->path) + 16;
    char *origin = malloc(n);
    char *v = strdup(value);
    if (!origin || !v)
        abort();
    snprintf(origin, n, "%s:%d", x->path, line);
    own(x, origin);
    own(x, v);
    if (add_prop(x, key, v, origin, err, errlen)) {
        char tmp[600];
        snprintf(tmp, sizeof tmp, "%s", err);
        snprintf(err, errlen, "line %d: %s", line, tmp);
        return -1;
    }
    return 0;
}

/* -F FILE: a Java properties file */
static int read_props(const char *path, props_ctx *x)
{
    char *text, err[700];
    if (hx_read_text(path, &text)) {
        fprintf(stderr, "nerva kafka: cannot read %s\n", path);
        return -1;
    }
    own(x, text);
    x->path = path;
    if (hx_props_parse(text, file_prop, x, err, sizeof err)) {
        fprintf(stderr, "nerva kafka: %s:%s\n", path, err + 4); /* "line N: ..." as "FILE:N: ..." */
        return -1;
    }
    return 0;
}

int hx_kafka_main(int argc, char **argv)
{
    hx_config c = {.group = "nerva", .batch = 1000, .watch = 1, .state_max = 100000};
    c.pfa = (hx_worker_limits){.timeout_ms = -1, .hard_ms = -1, .memory_mb = 4096, .stack_mb = 64};
    c.compile = (hx_compile_limits){.seconds = 600, .memory_mb = 8192};
    const char *topics[64];
    props_ctx x = {.c = &c};
    int log_json = 0;
    c.codec.in_format = c.codec.out_format = NVC_JSON;
    c.codec.out_schema_id = -1;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
#define ARG()                                                   \
    do {                                                        \
        if (!v)                                                 \
            return kafka_usage_error("missing value for", a);   \
        i++;                                                    \
    } while (0)
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(kafka_usage, stdout);
            return 0;
        } else if (!strcmp(a, "-b")) {
            ARG();
            c.brokers = v;
        } else if (!strcmp(a, "-t")) {
            ARG();
            if (c.ntopics == 64)
                return kafka_usage_error("at most 64 -t options", NULL);
            topics[c.ntopics++] = v;
        } else if (!strcmp(a, "-o")) {
            ARG();
            c.out_topic = v;
        } else if (!strcmp(a, "-G")) {
            ARG();
            c.group = v;
        } else if (!strcmp(a, "-X")) {
            ARG();
            const char *eq = strchr(v, '=');
            char key[512], err[600];
            if (!eq || eq == v || (size_t)(eq - v) >= sizeof key)
                return kafka_usage_error("-X takes KEY=VALUE, not", v);
            snprintf(key, sizeof key, "%.*s", (int)(eq - v), v);
            if (add_prop(&x, key, eq + 1, NULL, err, sizeof err)) {
                fprintf(stderr, "nerva kafka: -X %s: %s\n", v, err);
                return 1;
            }
        } else if (!strcmp(a, "-F")) {
            ARG();
            if (read_props(v, &x))
                return 1;
        } else if (!strcmp(a, "--version")) {
            char feat[512];
            size_t n = sizeof feat;
            rd_kafka_conf_t *conf = rd_kafka_conf_new();
            if (rd_kafka_conf_get(conf, "builtin.features", feat, &n) != RD_KAFKA_CONF_OK)
                snprintf(feat, sizeof feat, "?");
            rd_kafka_conf_destroy(conf);
            printf("nerva-kafka %s\nlibrdkafka %s (builtin.features=%s)\n%s\n", NERVA_VERSION, rd_kafka_version_str(),
                   feat, hx_registry_version());
            return 0;
        } else if (!strcmp(a, "--log-format")) {
            ARG();
            if (strcmp(v, "text") && strcmp(v, "json"))
                return kafka_usage_error("--log-format is text or json, not", v);
            log_json = !strcmp(v, "json");
        } else if (!strcmp(a, "--schema-registry")) {
            ARG();
            c.registry.url = v;
        } else if (!strcmp(a, "--registry-user")) {
            ARG();
            c.registry.user_info = v;
        } else if (!strcmp(a, "--registry-ca")) {
            ARG();
            c.registry.ca = v;
        } else if (!strcmp(a, "--registry-cert")) {
            ARG();
            c.registry.cert = v;
        } else if (!strcmp(a, "--registry-key")) {
            ARG();
            c.registry.key = v;
        } else if (!strcmp(a, "--subject-strategy")) {
            ARG();
            char err[300];
            if (registry_prop(&c, "value.subject.name.strategy", v, err, sizeof err))
                return kafka_usage_error("--subject-strategy is topic, record or topic-record, not", v);
        } else if (!strcmp(a, "--no-register")) {
            c.registry.no_register = 1;
        } else if (!strcmp(a, "-e") || !strcmp(a, "--exit-eof")) {
            c.exit_eof = 1;
        } else if (!strcmp(a, "--input-format")) {
            ARG();
            if (format_of(v, &c.codec.in_format))
                return kafka_usage_error("--input-format is json, csv or avro, not", v);
        } else if (!strcmp(a, "--output-format")) {
            ARG();
            if (format_of(v, &c.codec.out_format))
                return kafka_usage_error("--output-format is json, csv or avro, not", v);
        } else if (!strcmp(a, "--columns")) {
            ARG();
            c.codec.columns = v;
        } else if (!strcmp(a, "--input-schema")) {
            ARG();
            c.in_schema_file = v;
        } else if (!strcmp(a, "--output-schema")) {
            ARG();
            c.out_schema_file = v;
        } else if (!strcmp(a, "--confluent")) {
            c.codec.in_confluent = 1;
        } else if (!strcmp(a, "--schema-id")) {
            ARG();
            char *end;
            c.codec.out_schema_id = strtol(v, &end, 10);
            if (*end || c.codec.out_schema_id < 0 || c.codec.out_schema_id > 2147483647L)
                return kafka_usage_error("bad --schema-id", v);
        } else if (!strcmp(a, "--passthrough")) {
            c.codec.passthrough = 1;
        } else if (!strcmp(a, "--dlq")) {
            ARG();
            c.dlq = v;
        } else if (!strcmp(a, "--exactly-once")) {
            c.exactly_once = 1;
        } else if (!strcmp(a, "--transactional-id")) {
            ARG();
            c.transactional_id = v;
        } else if (!strcmp(a, "--client-id")) {
            ARG();
            c.client_id = v;
        } else if (!strcmp(a, "--batch")) {
            ARG();
            char *end;
            long n = strtol(v, &end, 10);
            if (*end || n < 1 || n > 100000)
                return kafka_usage_error("--batch is 1 to 100000, not", v);
            c.batch = (int)n;
        } else if (!strcmp(a, "--state-max-entities")) {
            ARG();
            char *end;
            long long n = strtoll(v, &end, 10);
            if (*end || !*v || n < 0 || n > 1000000000000LL)
                return kafka_usage_error("--state-max-entities is a count (0: no bound), not", v);
            c.state_max = n;
        } else if (!strcmp(a, "--pfa-timeout")) {
            ARG();
            char *end;
            long long n = strtoll(v, &end, 10);
            if (*end || !*v || n < 0 || n > 86400000)
                return kafka_usage_error("--pfa-timeout is milliseconds, not", v);
            c.pfa.timeout_ms = n;
        } else if (!strcmp(a, "--pfa-limit") || !strcmp(a, "--pfa-memory") || !strcmp(a, "--compile-timeout") ||
                   !strcmp(a, "--compile-memory")) {
            ARG();
            char *end;
            long long n = strtoll(v, &end, 10);
            if (*end || !*v || n < 0 || n > 86400000)
                return kafka_usage_error(a[2] == 'p' && a[6] == 'l' ? "--pfa-limit is milliseconds, not"
                                         : a[2] == 'c' && a[10] == 't' ? "--compile-timeout is seconds, not"
                                                                       : "a memory limit is megabytes (0: none), not",
                                         v);
            if (!strcmp(a, "--pfa-limit"))
                c.pfa.hard_ms = n;
            else if (!strcmp(a, "--pfa-memory"))
                c.pfa.memory_mb = (long)n;
            else if (!strcmp(a, "--compile-timeout"))
                c.compile.seconds = (double)n;
            else
                c.compile.memory_mb = (long)n;
        } else if (!strcmp(a, "--stats")) {
            ARG();
            char *end;
            c.stats_seconds = strtod(v, &end);
            if (*end || !(c.stats_seconds > 0) || c.stats_seconds > 86400)
                return kafka_usage_error("bad --stats", v);
        } else if (!strcmp(a, "--metrics-port")) {
            ARG();
            c.metrics = v;
        } else if (!strcmp(a, "--no-watch")) {
            c.watch = 0;
        } else if (!strcmp(a, "--forward-only")) {
            c.forward_only = 1;
        } else if (!strcmp(a, "--no-score")) {
            c.no_score = 1;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            c.quiet = 1;
        } else if (a[0] == '-' && a[1]) {
            return kafka_usage_error("unknown option", a);
        } else if (!c.model) {
            c.model = a;
        } else {
            return kafka_usage_error("unexpected argument", a);
        }
#undef ARG
    }
    if (!c.model)
        return kafka_usage_error("no model file given", NULL);
    c.topics = topics;
    if (!c.brokers)
        c.brokers = x.brokers; /* bootstrap.servers from -F or -X, unless -b */
    hx_log_setup(log_json, c.quiet);
    if (c.pfa.hard_ms < 0) /* the engine's own limit, and as long again to act on it */
        c.pfa.hard_ms = c.pfa.timeout_ms >= 0 ? 2 * c.pfa.timeout_ms + 1000 : 60000;
    if (!c.brokers || !c.ntopics || !c.out_topic)
        return kafka_usage_error("-b BROKERS, -t IN_TOPIC and -o OUT_TOPIC are required", NULL);
    if (c.codec.in_format == NVC_AVRO && !c.in_schema_file && !c.registry.url)
        return kafka_usage_error("--input-format avro needs --input-schema FILE.avsc or --schema-registry URL", NULL);
    if (c.codec.out_format == NVC_AVRO && !c.out_schema_file)
        return kafka_usage_error("--output-format avro needs --output-schema FILE.avsc", NULL);
    if (c.exactly_once && c.dlq)
        fprintf(stderr, "nerva kafka: note: dead-lettered records are part of each transaction\n");
    signals();
    int rc = hx_run(&c, NULL);
    for (int k = 0; k < x.nowned; k++)
        free(x.owned[k]);
    free(x.owned);
    free(c.props);
    free(c.prop_origin);
    return rc;
}

static const char main_usage[] =
    "usage: nerva-kafka COMMAND ...   (run as `nerva COMMAND`)\n"
    "  kafka MODEL -b BROKERS -t IN -o OUT [options]   score a stream\n"
    "  broker [--brokers N] [--partitions P] [--topic T]... [--address-file F]\n"
    "  demo [--records N]\n"
    "  bench --kafka [MODEL] [--records N] [--rounds R] [--json]\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(main_usage, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "kafka"))
        return hx_kafka_main(argc, argv);
    if (!strcmp(cmd, "pfa-worker")) /* internal: a PFA engine's process (pfa_worker.c) */
        return hx_pfa_worker_main(argc, argv);
    signals();
    if (!strcmp(cmd, "broker"))
        return hx_broker_main(argc, argv);
    if (!strcmp(cmd, "demo"))
        return hx_demo_main(argc, argv);
    if (!strcmp(cmd, "bench"))
        return hx_bench_main(argc, argv);
    fputs(main_usage, stderr);
    return 2;
}
