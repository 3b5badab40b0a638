/* demo.c: `nerva demo`, the whole story in one command with nothing to set
 * up: an embedded Kafka cluster (librdkafka's mock cluster, in this
 * process), a stream of card transactions produced to it, `nerva kafka`
 * scoring them with samples/fraud/fraud.pmml (a child process, exactly as a
 * user would run it, with a dead-letter topic for the malformed ones), and an
 * independent reader of the result topics that checks every transaction
 * came out once, measures end-to-end latency and shows a few results.  The
 * last line is
 *   demo: produced=N consumed=N scored=N dlq=D lost=0 rate=R rec/s p99=L ms
 * where lost = produced - scored - dlq, counted by transaction id.  Exit 0
 * only when nothing was lost. */
#include "harness.h"

#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

typedef struct producer_job {
    const char *boot;
    long n, acked;
    double rate;
    volatile int done;
} producer_job;

static void *producer_thread(void *arg)
{
    producer_job *j = arg;
    j->acked = hx_produce_samples(j->boot, "transactions", j->n, 1, j->rate);
    j->done = 1;
    return NULL;
}

static const char *default_model(char *buf, size_t size)
{
    if (access("samples/fraud/fraud.pmml", R_OK) == 0)
        return "samples/fraud/fraud.pmml";
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = 0;
        char *slash = strrchr(self, '/');
        snprintf(buf, size, "%.*s/../samples/fraud/fraud.pmml", (int)(slash - self), self);
        if (access(buf, R_OK) == 0)
            return buf;
    }
    return "samples/fraud/fraud.pmml";
}

/* the number after `key=` in the last line of text holding it */
static long last_count(const char *text, const char *key)
{
    const char *s = NULL, *p = text;
    while ((p = strstr(p, key)))
        s = p++;
    return s ? strtol(s + strlen(key), NULL, 10) : -1;
}

static double field_num(const char *v, size_t len, const char *key)
{
    size_t k = strlen(key);
    for (size_t i = 0; i + k < len; i++)
        if (!memcmp(v + i, key, k))
            return strtod(v + i + k, NULL);
    return -1;
}

static void show_record(const char *v, size_t len)
{
    printf("  %.*s\n", (int)(len > 230 ? 230 : len), v);
}

int hx_demo_main(int argc, char **argv)
{
    long n = 200000;
    double rate = 50000;
    char mbuf[4300];
    const char *model = NULL;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--records") && i + 1 < argc)
            n = atol(argv[++i]);
        else if (!strcmp(argv[i], "--rate") && i + 1 < argc)
            rate = atof(argv[++i]);
        else if (!strcmp(argv[i], "--model") && i + 1 < argc)
            model = argv[++i];
        else {
            fprintf(stderr, "usage: nerva demo [--records N] [--rate R] [--model MODEL]\n");
            return 2;
        }
    }
    if (n < 1 || n > 10000000) {
        fprintf(stderr, "nerva demo: --records is 1..10000000\n");
        return 2;
    }
    if (!model)
        model = default_model(mbuf, sizeof mbuf);
    setvbuf(stdout, NULL, _IOLBF, 0);

    hx_mock mock = {0};
    if (hx_mock_start(&mock, 1))
        return 3;
    /* the mock cluster keeps at most 5 MiB per partition: spread the stream */
    hx_mock_topic(&mock, "transactions", 16);
    hx_mock_topic(&mock, "scores", 16);
    hx_mock_topic(&mock, "scores.dlq", 1);
    printf("demo: embedded Kafka cluster at %s (topics transactions, scores, scores.dlq)\n", mock.bootstraps);

    /* the harness, as a user runs it */
    char self[4096], logpath[] = "/tmp/nerva-demo-XXXXXX";
    ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
    int logfd = mkstemp(logpath);
    if (sl <= 0 || logfd < 0) {
        hx_mock_stop(&mock);
        return 3;
    }
    self[sl] = 0;
    char *args[] = {self, "kafka", (char *)model, "-b", (char *)mock.bootstraps, "-t", "transactions",
                    "-o", "scores", "--dlq", "scores.dlq", "-G", "nerva-demo", "--passthrough",
                    "--stats", "1", NULL};
    printf("demo: $ nerva kafka %s -b %s -t transactions -o scores --dlq scores.dlq -G nerva-demo "
           "--passthrough --stats 1\n", model, mock.bootstraps);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, logfd, 2);
    pid_t child;
    if (posix_spawn(&child, self, &fa, NULL, args, environ)) {
        perror("nerva demo: cannot start nerva kafka");
        hx_mock_stop(&mock);
        return 3;
    }
    posix_spawn_file_actions_destroy(&fa);

    /* the reader of the results: every partition from the beginning */
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", mock.bootstraps, err, sizeof err);
    rd_kafka_conf_set(conf, "group.id", "nerva-demo-reader", err, sizeof err);
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
    rd_kafka_conf_set(conf, "fetch.wait.max.ms", "20", err, sizeof err);
    rd_kafka_t *rd = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(17);
    for (int p = 0; p < 16; p++)
        rd_kafka_topic_partition_list_add(parts, "scores", p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_topic_partition_list_add(parts, "scores.dlq", 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rd, parts);
    rd_kafka_topic_partition_list_destroy(parts);

    /* start the stream once the harness has its partitions, so that the
       latency measured is scoring's, not the consumer group's start-up */
    double t_wait = hx_now();
    for (;;) {
        char *log = NULL;
        int ready = !hx_read_text(logpath, &log) && strstr(log, "assigned ");
        free(log);
        if (ready || hx_stop || hx_now() - t_wait > 60 || waitpid(child, NULL, WNOHANG) == child)
            break;
        rd_kafka_poll(rd, 100);
    }
    printf("demo: nerva kafka is consuming (%.1f s to join its group)\n", hx_now() - t_wait);
    producer_job job = {mock.bootstraps, n, 0, rate, 0};
    pthread_t pt;
    pthread_create(&pt, NULL, producer_thread, &job);
    printf("demo: producing %ld card transactions at %.0f/s (1 in 500 malformed)\n", n, rate);

    unsigned char *seen = calloc((size_t)n, 1); /* 1 scored, 2 dead-lettered */
    long scored = 0, dlq = 0, dups = 0, shown = 0, last_done = 0;
    static hx_hist lat;
    double t0 = hx_now(), last_print = t0, t_end = t0;
    int child_alive = 1, status = 0;
    while (!hx_stop) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rd, 100);
        double now = hx_now();
        if (m && !m->err && m->key && m->key_len > 1 && m->key_len < 20) {
            char key[24];
            memcpy(key, m->key, m->key_len);
            key[m->key_len] = 0;
            long id = strtol(key + 1, NULL, 10);
            int is_dlq = !strcmp(rd_kafka_topic_name(m->rkt), "scores.dlq");
            if (id >= 0 && id < n) {
                if (seen[id])
                    dups++;
                else {
                    seen[id] = is_dlq ? 2 : 1;
                    *(is_dlq ? &dlq : &scored) += 1;
                    t_end = now;
                }
                double ts = field_num(m->payload, m->len, "\"ts_us\":");
                if (!is_dlq && ts > 0)
                    hx_hist_add(&lat, now * 1e6 - ts);
                if (!is_dlq && shown < 4 && id % 7 == 3) {
                    if (!shown)
                        printf("demo: a few scored records (the input's fields, then the model's):\n");
                    show_record(m->payload, m->len);
                    shown++;
                }
            }
        }
        if (m)
            rd_kafka_message_destroy(m);
        if (now - last_print >= 1) {
            long done = scored + dlq;
            printf("demo: %4.1fs scored=%ld dlq=%ld rate=%.0f rec/s p99=%.1f ms\n", now - t0, scored, dlq,
                   (double)(done - last_done) / (now - last_print), hx_hist_quantile(&lat, 0.99) / 1000);
            last_done = done;
            last_print = now;
        }
        if (job.done && scored + dlq >= job.acked)
            break;
        if (child_alive && waitpid(child, &status, WNOHANG) == child) {
            child_alive = 0;
            fprintf(stderr, "demo: nerva kafka stopped early\n");
        }
        if (now - t0 > 120 + (double)n / (rate > 0 ? rate : 1e9)) {
            fprintf(stderr, "demo: timed out waiting for results\n");
            break;
        }
    }
    hx_stop = 1; /* stops the producer if we were interrupted */
    pthread_join(pt, NULL);
    if (child_alive) {
        kill(child, SIGTERM);
        waitpid(child, &status, 0);
    }
    rd_kafka_consumer_close(rd);
    rd_kafka_destroy(rd);

    char *log = NULL;
    hx_read_text(logpath, &log);
    unlink(logpath);
    close(logfd);
    long consumed = log ? last_count(log, "consumed=") : -1;
    long lost = job.acked - scored - dlq;
    if (lost != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fprintf(stderr, "demo: the harness's log:\n%s", log ? log : "(none)\n");
    free(log);
    free(seen);
    hx_mock_stop(&mock);
    if (dups)
        printf("demo: %ld duplicate results\n", dups);
    double secs = t_end - t0;
    printf("demo: produced=%ld consumed=%ld scored=%ld dlq=%ld lost=%ld rate=%.0f rec/s p99=%.1f ms\n", job.acked,
           consumed, scored, dlq, lost, secs > 0 ? (double)(scored + dlq) / secs : 0,
           hx_hist_quantile(&lat, 0.99) / 1000);
    return lost == 0 && job.acked == n ? 0 : 1;
}
