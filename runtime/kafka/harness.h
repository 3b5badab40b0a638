/* harness.h: the parts of nerva-kafka (the Kafka harness behind `nerva
 * kafka`, `nerva broker`, `nerva demo` and `nerva bench --kafka`) that its
 * files share.  Internal to the program. */
#ifndef NERVA_HARNESS_H
#define NERVA_HARNESS_H

#include "nerva_codec.h"

#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>

/* ---- model_load.c: a compiled model in this process ---- */
typedef struct hx_model {
    void *dl;
    const nerva_model *m;       /* a PMML scorer, or */
    const nerva_pfa *pfa;       /* a PFA engine (one of the two is set) */
    struct stat st;             /* of the model file when loaded, to see changes */
} hx_model;

/* Loads MODEL: a .so made by `nerva compile --shared` is dlopened (through a
   private copy, so a changed file is a new object); any other file is
   compiled by `nerva compile --shared` (cached by content) first.  0, or -1
   with the reason in err. */
int hx_model_load(const char *path, hx_model *out, char *err, size_t errlen);
void hx_model_unload(hx_model *mdl);
/* 1 when the file differs from the one loaded */
int hx_model_changed(const char *path, const hx_model *mdl);

/* ---- metrics.c ---- */
typedef struct hx_hist {
    uint64_t count[512];
    uint64_t n;
} hx_hist;
/* values in any unit (the harness uses microseconds and nanoseconds) of
   which 1 is the finest that matters */
void hx_hist_add(hx_hist *h, double value);
double hx_hist_quantile(const hx_hist *h, double q);

/* serves `text` (replaced by hx_metrics_publish) over HTTP */
int hx_metrics_start(const char *spec, char *err, size_t errlen);
void hx_metrics_publish(const char *text, size_t len);
void hx_metrics_stop(void);

/* ---- kafka.c: the harness ---- */
typedef struct hx_config {
    const char *model, *brokers, *in_topic, *out_topic, *group, *dlq;
    const char *in_schema_file, *out_schema_file, *transactional_id, *client_id;
    nvc_options codec;
    const char **props;         /* "key=value", "consumer.key=value", "producer.key=value" */
    int nprops;
    int exit_eof, exactly_once, forward_only, no_score, watch;
    int batch;                  /* records per score_batch call */
    long long pfa_timeout_ms;   /* PFA: per action where the document sets none; -1 none */
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

#endif
