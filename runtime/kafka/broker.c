/* broker.c: `nerva broker`, librdkafka's mock cluster (rdkafka_mock.h) run
 * as a standalone server, so that the harness, kcat and any Kafka client can
 * be tried and tested with nothing installed or started beforehand.
 *
 * The brokers listen on 127.0.0.1 at ports the system picks; the bootstrap
 * list is printed and written (atomically) to --address-file, which a test
 * waits for.  With --control, commands on standard input inject faults the
 * way librdkafka's own tests do (one reply line each, "ok" or "error: ..."):
 *   down ID | up ID            a broker (-1: all) drops and refuses connections
 *   leader TOPIC PART ID       move a partition's leader
 *   errors APIKEY CODE [N]     the next N requests (default 1) of that API fail
 *   broker-errors ID APIKEY CODE [N]   the same, on one broker only
 *   rtt ID MS                  delay a broker's responses
 *   create TOPIC PARTITIONS    create a topic
 * Limits of the mock cluster (librdkafka 2.0.2) are in docs/kafka.md. */
#include "harness.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int hx_mock_start(hx_mock *m, int brokers)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "nerva: %s\n", err);
        return -1;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
    if (!mc) {
        fprintf(stderr, "nerva: cannot start the mock cluster\n");
        rd_kafka_destroy(rk);
        return -1;
    }
    m->rk = rk;
    m->mc = mc;
    m->bootstraps = rd_kafka_mock_cluster_bootstraps(mc);
    return 0;
}

void hx_mock_topic(hx_mock *m, const char *topic, int partitions)
{
    rd_kafka_mock_topic_create(m->mc, topic, partitions, 1);
}

void hx_mock_stop(hx_mock *m)
{
    if (m->mc)
        rd_kafka_mock_cluster_destroy(m->mc);
    if (m->rk)
        rd_kafka_destroy(m->rk);
    m->mc = m->rk = NULL;
}

static void count_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    (void)rk;
    if (!msg->err)
        (*(long *)opaque)++;
}

long hx_produce_samples(const char *bootstraps, const char *topic, long n, int bad, double rate)
{
    char err[512], buf[1024], key[32];
    long acked = 0;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps, err, sizeof err);
    rd_kafka_conf_set(conf, "linger.ms", "5", err, sizeof err);
    rd_kafka_conf_set(conf, "queue.buffering.max.messages", "1000000", err, sizeof err);
    rd_kafka_conf_set(conf, "batch.num.messages", "10000", err, sizeof err);
    rd_kafka_conf_set_opaque(conf, &acked);
    rd_kafka_conf_set_dr_msg_cb(conf, count_delivery);
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!p) {
        fprintf(stderr, "nerva: %s\n", err);
        return 0;
    }
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(p, topic, NULL);
    uint64_t rng = 20241125;
    double t0 = hx_now();
    for (long i = 0; i < n && !hx_stop; i++) {
        if (rate > 0 && i % 100 == 0)
            while (hx_now() - t0 < (double)i / rate && !hx_stop)
                rd_kafka_poll(p, 1);
        int len = hx_sample_record(&rng, i, bad, hx_now() * 1e6, buf, sizeof buf);
        int kl = snprintf(key, sizeof key, "T%ld", i);
        while (rd_kafka_producev(p, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                 RD_KAFKA_V_VALUE(buf, (size_t)len), RD_KAFKA_V_KEY(key, (size_t)kl),
                                 RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(p, 10);
        rd_kafka_poll(p, 0);
    }
    rd_kafka_flush(p, 60000);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(p);
    return acked;
}

static int control(rd_kafka_mock_cluster_t *mc, char *line, int partitions)
{
    char *w[8];
    int n = 0;
    for (char *t = strtok(line, " \t\r\n"); t && n < 8; t = strtok(NULL, " \t\r\n"))
        w[n++] = t;
    if (n == 0)
        return 0;
    rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (!strcmp(w[0], "down") && n == 2)
        e = rd_kafka_mock_broker_set_down(mc, atoi(w[1]));
    else if (!strcmp(w[0], "up") && n == 2)
        e = rd_kafka_mock_broker_set_up(mc, atoi(w[1]));
    else if (!strcmp(w[0], "leader") && n == 4)
        e = rd_kafka_mock_partition_set_leader(mc, w[1], atoi(w[2]), atoi(w[3]));
    else if (!strcmp(w[0], "rtt") && n == 3)
        e = rd_kafka_mock_broker_set_rtt(mc, atoi(w[1]), atoi(w[2]));
    else if (!strcmp(w[0], "create") && (n == 2 || n == 3))
        e = rd_kafka_mock_topic_create(mc, w[1], n == 3 ? atoi(w[2]) : partitions, 1);
    else if (!strcmp(w[0], "errors") && (n == 3 || n == 4)) {
        int cnt = n == 4 ? atoi(w[3]) : 1;
        if (cnt < 1 || cnt > 10000) {
            printf("error: count 1..10000\n");
            return 0;
        }
        rd_kafka_resp_err_t *errs = malloc((size_t)cnt * sizeof *errs);
        for (int k = 0; k < cnt; k++)
            errs[k] = (rd_kafka_resp_err_t)atoi(w[2]);
        rd_kafka_mock_push_request_errors_array(mc, (int16_t)atoi(w[1]), (size_t)cnt, errs);
        free(errs);
    } else if (!strcmp(w[0], "broker-errors") && (n == 4 || n == 5)) {
        int cnt = n == 5 ? atoi(w[4]) : 1;
        for (int k = 0; k < cnt && k < 10000 && !e; k++)
            e = rd_kafka_mock_broker_push_request_error_rtts(mc, atoi(w[1]), (int16_t)atoi(w[2]), 1,
                                                             (rd_kafka_resp_err_t)atoi(w[3]), 0);
    } else {
        printf("error: unknown command %s\n", w[0]);
        return 0;
    }
    if (e)
        printf("error: %s\n", rd_kafka_err2str(e));
    else
        printf("ok\n");
    return 0;
}

int hx_broker_main(int argc, char **argv)
{
    int brokers = 1, partitions = 4, ctl = 0, ntopics = 0;
    const char *addr_file = NULL, *topics[64];
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--brokers") && v) {
            brokers = atoi(argv[++i]);
        } else if (!strcmp(a, "--partitions") && v) {
            partitions = atoi(argv[++i]);
        } else if (!strcmp(a, "--topic") && v && ntopics < 64) {
            topics[ntopics++] = argv[++i];
        } else if (!strcmp(a, "--address-file") && v) {
            addr_file = argv[++i];
        } else if (!strcmp(a, "--control")) {
            ctl = 1;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            printf("usage: nerva broker [--brokers N] [--partitions P] [--topic NAME]...\n"
                   "                    [--address-file FILE] [--control]\n"
                   "An embedded Kafka cluster (librdkafka's mock cluster) on 127.0.0.1 until\n"
                   "SIGINT/SIGTERM.  --topic creates NAME with P partitions (default 4); other\n"
                   "topics are created on first use with 4.  --control reads fault-injection\n"
                   "commands on standard input (docs/kafka.md).\n");
            return 0;
        } else {
            fprintf(stderr, "nerva broker: bad argument %s\n", a);
            return 2;
        }
    }
    if (brokers < 1 || brokers > 16 || partitions < 1 || partitions > 1000) {
        fprintf(stderr, "nerva broker: --brokers is 1..16 and --partitions 1..1000\n");
        return 2;
    }
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "nerva broker: %s\n", err);
        return 3;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
    if (!mc) {
        fprintf(stderr, "nerva broker: cannot start the mock cluster\n");
        rd_kafka_destroy(rk);
        return 3;
    }
    for (int k = 0; k < ntopics; k++)
        rd_kafka_mock_topic_create(mc, topics[k], partitions, 1);
    const char *boot = rd_kafka_mock_cluster_bootstraps(mc);
    if (addr_file) {
        char line[1024];
        int n = snprintf(line, sizeof line, "%s\n", boot);
        if (hx_write_atomic(addr_file, line, (size_t)n)) {
            fprintf(stderr, "nerva broker: cannot write %s\n", addr_file);
            rd_kafka_mock_cluster_destroy(mc);
            rd_kafka_destroy(rk);
            return 3;
        }
    }
    printf("nerva broker: %d broker(s) at %s\n", brokers, boot);
    fflush(stdout);
    /* commands arrive on standard input, read unbuffered so none waits */
    char buf[4096];
    size_t used = 0;
    int stdin_open = ctl;
    while (!hx_stop) {
        struct pollfd p = {0, POLLIN, 0};
        if (!stdin_open) {
            poll(NULL, 0, 200);
            continue;
        }
        if (poll(&p, 1, 200) <= 0)
            continue;
        ssize_t got = read(0, buf + used, sizeof buf - 1 - used);
        if (got <= 0) {
            stdin_open = 0;
            continue;
        }
        used += (size_t)got;
        char *nl;
        while ((nl = memchr(buf, '\n', used))) {
            *nl = 0;
            control(mc, buf, partitions);
            fflush(stdout);
            used -= (size_t)(nl + 1 - buf);
            memmove(buf, nl + 1, used);
        }
        if (used == sizeof buf - 1)
            used = 0; /* an overlong line: dropped */
    }
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    if (addr_file)
        unlink(addr_file);
    return 0;
}
