/* harness.h: the parts of nerva-kafka (the Kafka harness behind `nerva
 * kafka`, `nerva broker`, `nerva demo` and `nerva bench --kafka`) that its
 * files share.  Internal to the program. */
#ifndef NERVA_HARNESS_H
#define NERVA_HARNESS_H

#include "nerva_codec.h"

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/stat.h>

/* ---- log.c: every line the harness writes, timestamped and levelled ---- */
enum { HX_ERROR = 3, HX_WARN = 4, HX_INFO = 6, HX_DEBUG = 7, HX_STATS = 100 /* info, even with -q */ };
void hx_log_setup(int json, int quiet);
int hx_log_json(void);
void hx_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* one line from a logger ("nerva", "rdkafka", ...) with an optional
   facility; fields: `,"key":value...` added to a JSON line */
void hx_log_line(int level, const char *logger, const char *facility, const char *msg, const char *fields);

/* ---- model_load.c: a compiled model in this process ---- */
typedef struct hx_model {
    void *dl;
    int fd;                     /* the private copy of the object, open (PFA workers load it) */
    const nerva_model *m;       /* a PMML scorer, or */
    const nerva_pfa *pfa;       /* a PFA engine (one of the two is set) */
    struct stat st;             /* of the model file when loaded, to see changes */
    char hash[17];              /* of the model file's bytes (nerva.model, nerva_model_info) */
} hx_model;

/* what compiling a model may take: wall-clock seconds and address space
   (0: no limit) */
typedef struct hx_compile_limits {
    double seconds;
    long memory_mb;
} hx_compile_limits;

/* a model being compiled by a child process (`nerva compile --shared`) */
typedef struct hx_compile {
    const char *path;
    hx_compile_limits lim;
    pid_t pid;                  /* the compiler's process group; 0 when none runs */
    char so[4096];              /* the object it writes */
    char log[4200];             /* and its diagnostics */
    char hash[17];
    struct stat st;             /* of the model file when the compile started */
    double started;
} hx_compile;

/* Starts compiling MODEL (a .so made by `nerva compile --shared` is only
   copied); 0, or -1 with the reason in err. */
int hx_compile_start(hx_compile *j, const char *path, const hx_compile_limits *lim, char *err, size_t errlen);
/* 0 while it runs; 1 when the model is loaded into *out; -1 when it failed
   (err says why: a compile error, the time or memory limit) */
int hx_compile_poll(hx_compile *j, hx_model *out, char *err, size_t errlen);
/* stops the compiler (its whole process group) and removes what it wrote */
void hx_compile_cancel(hx_compile *j);
/* Compiles (or copies) and loads MODEL, waiting: 0; -1 with the reason in
   err; -2 when hx_stop was set meanwhile (the compiler is stopped). */
int hx_model_load(const char *path, hx_model *out, const hx_compile_limits *lim, char *err, size_t errlen);
void hx_model_unload(hx_model *mdl);
/* 1 when the file differs from the one loaded */
int hx_model_changed(const char *path, const hx_model *mdl);

/* ---- pfa_worker.c: a PFA engine in a process of its own ---- */
typedef struct hx_worker_limits {
    long long timeout_ms;       /* the engine's own limit per record where the document sets none; -1 none */
    long long hard_ms;          /* past this on one record the worker is killed */
    long memory_mb;             /* its address space (0: no limit) */
    long stack_mb;              /* its stack */
} hx_worker_limits;

enum { HX_ENGINE_CRASH = 100, HX_ENGINE_TIMEOUT = 101 };
/* what one record gave: status is enum nerva_pfa_status, or HX_ENGINE_CRASH
   (the worker died on it) or HX_ENGINE_TIMEOUT (killed past hard_ms); the
   values it gave back before that, each ended by NUL */
typedef struct hx_outcome {
    int status, code;
    const char *msg;
    size_t msglen;
    const char *vals;
    size_t nvals;
} hx_outcome;
typedef struct hx_worker hx_worker;
typedef void (*hx_worker_done)(void *ctx, size_t i, const hx_outcome *o);

/* starts a worker for the PFA model (its engine initialised); NULL with the
   reason in err */
hx_worker *hx_worker_start(const hx_model *mdl, const hx_worker_limits *lim, char *err, size_t errlen);
void hx_worker_stop(hx_worker *w);
/* Runs records 0..n-1 through the engine in order; done(ctx, i, outcome)
   for each, in order.  A record the worker dies on gets HX_ENGINE_CRASH and a
   fresh worker takes the rest.  0, or -1 (err) when no worker can be
   started again. */
int hx_worker_run(hx_worker *w, const char *const *recs, const size_t *lens, size_t n, hx_worker_done done,
                  void *ctx, char *err, size_t errlen);
int hx_pfa_worker_main(int argc, char **argv);

/* ---- metrics.c ---- */
#define HX_BUCKETS 16
extern const double hx_bucket_le[HX_BUCKETS]; /* seconds */
typedef struct hx_hist {
    uint64_t count[512];        /* log-linear, for quantiles */
    uint64_t n;
    double sum;                 /* seconds */
    uint64_t bucket[HX_BUCKETS]; /* Prometheus buckets (not cumulative here) */
} hx_hist;
/* a value in units of `unit` seconds (the harness uses microseconds and
   nanoseconds), of which 1 is the finest that matters */
void hx_hist_add_unit(hx_hist *h, double value, double unit);
void hx_hist_add(hx_hist *h, double us);   /* microseconds */
double hx_hist_quantile(const hx_hist *h, double q);  /* in the unit added */

/* serves `text` (replaced by hx_metrics_publish) over HTTP at /metrics,
   liveness at /healthz and readiness at /readyz */
int hx_metrics_start(const char *spec, char *err, size_t errlen);
void hx_metrics_publish(const char *text, size_t len);
/* the loop is alive; ready or not, and why not */
void hx_metrics_state(int ready, const char *why);
void hx_metrics_stop(void);

/* ---- props.c: Java properties files ---- */
/* called for each entry: key, value (unescaped), the line it starts on; 0,
   or -1 with err set to stop */
typedef int (*hx_prop_cb)(void *ctx, const char *key, const char *value, int line, char *err, size_t errlen);
int hx_props_parse(const char *text, hx_prop_cb cb, void *ctx, char *err, size_t errlen);

/* ---- registry.c: a Confluent Schema Registry client ---- */
typedef struct hx_registry_cfg {
    const char *url;            /* NULL: no registry */
    const char *user_info;      /* USER:PASSWORD for basic auth */
    const char *ca, *cert, *key, *key_password;  /* TLS */
    int no_verify_host;         /* ssl.endpoint.identification.algorithm= (none) */
    int strategy;               /* HX_SUBJECT_* */
    int no_register;            /* look the output schema up, never register it */
} hx_registry_cfg;
enum { HX_SUBJECT_TOPIC, HX_SUBJECT_RECORD, HX_SUBJECT_TOPIC_RECORD };
typedef struct hx_registry hx_registry;
hx_registry *hx_registry_new(const hx_registry_cfg *cfg, char *err, size_t errlen);
void hx_registry_free(hx_registry *r);
/* the schema registered under id: 0 with *text (malloc'd); 1 when the
   registry has none or it is not Avro (err says so: records with that id
   are bad); -1 when no registry answered (err; worth trying again) */
int hx_registry_schema(hx_registry *r, long id, char **text, char *err, size_t errlen);
/* the id of schema under subject, registering it unless cfg.no_register:
   0, 1 (refused: err), -1 (no answer: err) */
int hx_registry_id(hx_registry *r, const char *subject, const char *schema, long *id, char *err, size_t errlen);
const char *hx_registry_version(void);

/* ---- kafka.c: the harness ---- */
typedef struct hx_config {
    const char *model, *brokers, *out_topic, *group, *dlq;
    const char **topics;        /* -t: names, or patterns starting with ^ */
    int ntopics;
    const char *in_schema_file, *out_schema_file, *transactional_id, *client_id;
    nvc_options codec;
    const char **props;         /* "key=value", "consumer.key=value", "producer.key=value" */
    const char **prop_origin;   /* FILE:LINE of each (-F), or NULL (-X) */
    int nprops;
    hx_registry_cfg registry;
    int exit_eof, exactly_once, forward_only, no_score, watch;
    int batch;                  /* records per score_batch call */
    long long state_max;        /* --state-max-entities: entities kept per partition (0: no bound) */
    hx_worker_limits pfa;       /* PFA engines: time, memory and stack */
    hx_compile_limits compile;  /* compiling the model (at start and on reload) */
    double stats_seconds;
    const char *metrics;        /* [ADDR:]PORT */
    int quiet;
} hx_config;

typedef struct hx_totals {
    uint64_t consumed, scored, invalid, produced, dlq, bad, failed, reloads, refused;
    double seconds;             /* first record consumed to last acknowledged */
    double p50_ms, p99_ms;      /* consume to acknowledgement of the result */
} hx_totals;

extern volatile sig_atomic_t hx_stop, hx_reload;
int hx_run(const hx_config *cfg, hx_totals *tot);
int hx_kafka_main(int argc, char **argv);

/* ---- sample.c: card transactions as JSON; returns the length ---- */
int hx_sample_record(uint64_t *rng, long i, int bad, double ts_us, char *buf, size_t size);

/* ---- broker.c: an in-process mock cluster (demo, bench) ---- */
typedef struct hx_mock {
    void *rk, *mc;
    const char *bootstraps;
} hx_mock;
int hx_mock_start(hx_mock *m, int brokers);
void hx_mock_topic(hx_mock *m, const char *topic, int partitions);
void hx_mock_stop(hx_mock *m);
/* produces n sample records (hx_sample_record) to topic at up to `rate`
   records/s (0: as fast as it can); returns how many were acknowledged */
long hx_produce_samples(const char *bootstraps, const char *topic, long n, int bad, double rate);

/* ---- broker.c, demo.c, bench.c ---- */
int hx_broker_main(int argc, char **argv);
int hx_demo_main(int argc, char **argv);
int hx_bench_main(int argc, char **argv);

/* ---- nerva_kafka.c ---- */
double hx_now(void);                       /* monotonic seconds */
const char *hx_nerva_exe(void);            /* the nerva compiler to run */
int hx_read_text(const char *path, char **out);  /* whole file, NUL-terminated; 0 or -1 */
int hx_write_atomic(const char *path, const char *data, size_t len);
/* a child's resource limit (setrlimit's soft limit, at most the hard one) */
void hx_set_limit(int what, unsigned long long bytes);
#if defined(__SANITIZE_ADDRESS__)
#define HX_ASAN 1 /* ASan reserves terabytes of address space: no RLIMIT_AS for it */
#else
#define HX_ASAN 0
#endif

#endif
