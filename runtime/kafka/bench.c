/* bench.c: `nerva bench --kafka [MODEL]`: what the harness costs and what
 * scoring adds to it.  An embedded cluster (`nerva broker` with 3 brokers, a
 * process of its own, as users run it) is filled with N sample card
 * transactions; then the harness's own loop (hx_run, the code `nerva kafka`
 * runs) consumes all of them and produces results, alternately forward-only
 * (records copied unchanged: the transport's ceiling), passthrough (the same
 * pipeline without the model: decode, encode with every output empty) and
 * scoring with MODEL (decode, score_batch, encode), R rounds each, every run
 * with a fresh consumer group.  Reported: the median records/s of each,
 * scoring's ratio to passthrough, and the median p99 of consume-to-
 * acknowledgement latency. */
#include "harness.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int hx_bench_main(int argc, char **argv)
{
    const char *model = "samples/fraud/fraud.pmml";
    long n = 200000;
    int rounds = 7, json = 0; /* single runs vary by +-30% here: medians of 7 */
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--kafka"))
            continue;
        if (!strcmp(a, "--records") && i + 1 < argc)
            n = atol(argv[++i]);
        else if (!strcmp(a, "--rounds") && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (!strcmp(a, "--json"))
            json = 1;
        else if (a[0] != '-')
            model = a;
        else {
            fprintf(stderr, "usage: nerva bench --kafka [MODEL] [--records N] [--rounds R] [--json]\n");
            return 2;
        }
    }
    if (n < 1000 || n > 5000000 || rounds < 1 || rounds > 20) {
        fprintf(stderr, "nerva bench --kafka: --records is 1000..5000000, --rounds 1..20\n");
        return 2;
    }
    int parts = (int)(n / 12000) + 1; /* keep each partition under the mock's 5 MiB */
    if (parts < 8)
        parts = 8;
    /* the cluster runs as `nerva broker`, a process of its own, as users run it */
    char self[4096], addr_file[] = "/tmp/nerva-bench-XXXXXX", parts_text[16], boot[1024] = "";
    ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
    int fd = mkstemp(addr_file);
    if (sl <= 0 || fd < 0)
        return 3;
    close(fd);
    unlink(addr_file);
    self[sl] = 0;
    snprintf(parts_text, sizeof parts_text, "%d", parts);
    char *args[] = {self, "broker", "--brokers", "3", "--partitions", parts_text, "--topic", "bench.in",
                    "--topic", "bench.out", "--address-file", addr_file, NULL};
    pid_t broker;
    posix_spawn_file_actions_t fa; /* its banner would spoil --json */
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    int failed = posix_spawn(&broker, self, &fa, NULL, args, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (failed) {
        fprintf(stderr, "bench: cannot start nerva broker\n");
        return 3;
    }
    for (double t0 = hx_now(); hx_now() - t0 < 20 && !*boot;) {
        char *text = NULL;
        if (!hx_read_text(addr_file, &text)) {
            snprintf(boot, sizeof boot, "%.*s", (int)strcspn(text, "\n"), text);
            free(text);
        } else {
            usleep(20000);
        }
    }
    int rc = 0;
    if (!*boot) {
        fprintf(stderr, "bench: nerva broker wrote no address\n");
        rc = 3;
    }
    fprintf(stderr, "bench: producing %ld records to %d partitions...\n", n, parts);
    long have = rc ? 0 : hx_produce_samples(boot, "bench.in", n, 0, 0);
    if (!rc && have != n) {
        fprintf(stderr, "bench: only %ld of %ld records were stored\n", have, n);
        rc = 3;
    }
    static const char *mode[3] = {"forward-only", "passthrough", "scoring"};
    double *rate[3], *p99[3];
    for (int k = 0; k < 3; k++) {
        rate[k] = calloc((size_t)rounds, sizeof(double));
        p99[k] = calloc((size_t)rounds, sizeof(double));
    }
    /* the modes take turns in a rotating order: the cluster slows as it fills
       (each run adds n results to bench.out), so a fixed order would favour
       the mode that runs first */
    for (int r = 0; r < rounds && !rc; r++)
        for (int j = 0; j < 3 && !rc; j++) {
            int k = (j + r) % 3;
            char group[64];
            snprintf(group, sizeof group, "bench-%d-%d", k, r);
            static const char *in_topic[] = {"bench.in"};
            hx_config c = {.model = model, .brokers = boot, .topics = in_topic, .ntopics = 1,
                           .out_topic = "bench.out", .group = group, .exit_eof = 1, .batch = 1000,
                           .forward_only = k == 0, .no_score = k == 1, .quiet = 1};
            c.pfa = (hx_worker_limits){.timeout_ms = -1, .hard_ms = 60000, .memory_mb = 4096, .stack_mb = 64};
            c.compile = (hx_compile_limits){.seconds = 600, .memory_mb = 8192};
            c.codec.in_format = c.codec.out_format = NVC_JSON;
            c.codec.out_schema_id = -1;
            hx_totals t;
            if (hx_run(&c, &t) || t.consumed != (uint64_t)n || t.produced != (uint64_t)n) {
                fprintf(stderr, "bench: run failed (consumed %llu, produced %llu of %ld)\n",
                        (unsigned long long)t.consumed, (unsigned long long)t.produced, n);
                rc = 3;
                break;
            }
            rate[k][r] = t.seconds > 0 ? (double)n / t.seconds : 0;
            p99[k][r] = t.p99_ms;
            fprintf(stderr, "bench: round %d %-12s %9.0f rec/s  p99 %.1f ms\n", r + 1, mode[k], rate[k][r],
                    p99[k][r]);
        }
    kill(broker, SIGTERM);
    waitpid(broker, NULL, 0);
    if (!rc) {
        double fr = median(rate[0], rounds), pr = median(rate[1], rounds), sr = median(rate[2], rounds);
        double fp = median(p99[0], rounds), pp = median(p99[1], rounds), sp = median(p99[2], rounds);
        if (json)
            printf("{\"records\": %ld, \"rounds\": %d, \"forward_rps\": %.0f, \"passthrough_rps\": %.0f, "
                   "\"scoring_rps\": %.0f, \"ratio\": %.3f, \"forward_p99_ms\": %.2f, "
                   "\"passthrough_p99_ms\": %.2f, \"scoring_p99_ms\": %.2f}\n",
                   n, rounds, fr, pr, sr, pr > 0 ? sr / pr : 0, fp, pp, sp);
        else {
            printf("model:          %s\n", model);
            printf("records:        %ld per run, %d rounds, medians\n", n, rounds);
            printf("forward-only:   %.0f records/s, p99 %.1f ms (records copied, nothing decoded)\n", fr, fp);
            printf("passthrough:    %.0f records/s, p99 %.1f ms (decoded and encoded, not scored)\n", pr, pp);
            printf("scoring:        %.0f records/s, p99 %.1f ms\n", sr, sp);
            printf("scoring/passthrough: %.1f%%   scoring/forward-only: %.1f%%\n", pr > 0 ? 100 * sr / pr : 0,
                   fr > 0 ? 100 * sr / fr : 0);
        }
    }
    for (int k = 0; k < 3; k++) {
        free(rate[k]);
        free(p99[k]);
    }
    return rc;
}
