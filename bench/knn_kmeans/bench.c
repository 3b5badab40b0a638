/* bench.c -- nerva's k-NN and k-means code and the hand-written scorers
 * (handwritten.c) side by side in one process, on the same records.
 *
 * Why one process: the machine is shared and its speed drifts; methods
 * timed in turns, round after round, see the same drift, and the median of
 * many rounds is steady where one run is not.  Each round times every
 * method once over all records (the order rotating from round to round) in
 * CPU time of this thread.  Before timing, every nerva result must be the
 * hand-written one's bits (no figures otherwise).
 *
 *   bench ROWS_KNN ROWS_KMEANS [ROUNDS]
 *
 * The nerva units (prefixes knn, kmeans) are linked in and their inputs
 * bound by name through their descriptors, as any host binds them. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "handwritten.h"
#include "hw_data.h"
#include "kmeans.h"
#include "knn.h"

typedef struct Method {
    const char *name;
    const nerva_model *m;          /* nerva's unit, or NULL: hand-written */
    double (*hw)(const double *x);
    const double *rows;            /* n records of width doubles */
    int width;
    char *in;                      /* nerva's input records */
    double *res;
    double *ns;                    /* per round */
} Method;

static size_t n;

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static double *load(const char *path, int width, size_t *count)
{
    FILE *f = fopen(path, "rb");
    double *v = NULL;
    long len = -1;
    if (f && fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0)
        v = malloc((size_t)len);
    if (!v || fread(v, 1, (size_t)len, f) != (size_t)len) {
        fprintf(stderr, "bench: cannot read %s\n", path);
        exit(1);
    }
    fclose(f);
    *count = (size_t)len / sizeof(double) / (size_t)width;
    return v;
}

/* nerva's input records: field "xK" of record i is rows[i][K] */
static void bind(Method *k)
{
    const nerva_model *m = k->m;
    k->in = calloc(n, m->input_size);
    for (int f = 0; f < m->n_inputs; f++) {
        const nerva_field *fd = &m->inputs[f];
        int c = atoi(fd->name + 1);
        if (fd->name[0] != 'x' || c < 0 || c >= k->width || fd->type != NERVA_DOUBLE) {
            fprintf(stderr, "bench: %s: unexpected input %s\n", k->name, fd->name);
            exit(1);
        }
        for (size_t i = 0; i < n; i++) {
            char *rec = k->in + i * m->input_size;
            memcpy(rec + fd->offset, &k->rows[i * (size_t)k->width + (size_t)c], sizeof(double));
            rec[fd->state_offset] = NERVA_PRESENT;
        }
    }
}

static void score_all(Method *k)
{
    if (!k->m) {
        for (size_t i = 0; i < n; i++)
            k->res[i] = k->hw(k->rows + i * (size_t)k->width);
        return;
    }
    char out[256];
    if (k->m->output_size > sizeof out) {
        fprintf(stderr, "bench: output record too large\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++) {
        k->m->score(k->in + i * k->m->input_size, out);
        memcpy(&k->res[i], out + k->m->outputs[0].offset, sizeof(double));
    }
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench ROWS_KNN ROWS_KMEANS [ROUNDS]\n");
        return 2;
    }
    int rounds = argc > 3 ? atoi(argv[3]) : 21;
    if (rounds < 1)
        rounds = 1;
    size_t n1, n2;
    const double *r1 = load(argv[1], KDIM, &n1), *r2 = load(argv[2], CDIM, &n2);
    n = n1 < n2 ? n1 : n2;
    Method k[4] = {
        {"k-NN, hand-written", NULL, hw_knn, r1, KDIM, NULL, NULL, NULL},
        {"k-NN, nerva", &knn_model, NULL, r1, KDIM, NULL, NULL, NULL},
        {"k-means, hand-written", NULL, hw_kmeans, r2, CDIM, NULL, NULL, NULL},
        {"k-means, nerva", &kmeans_model, NULL, r2, CDIM, NULL, NULL, NULL},
    };
    for (int i = 0; i < 4; i++) {
        k[i].res = malloc(sizeof(double) * n);
        k[i].ns = malloc(sizeof(double) * (size_t)rounds);
        if (k[i].m)
            bind(&k[i]);
        score_all(&k[i]);
    }
    for (int i = 0; i < 4; i += 2)
        for (size_t r = 0; r < n; r++)
            if (memcmp(&k[i].res[r], &k[i + 1].res[r], sizeof(double)) != 0) {
                fprintf(stderr, "bench: %s and %s differ at record %zu: %.17g, %.17g\n", k[i].name,
                        k[i + 1].name, r, k[i].res[r], k[i + 1].res[r]);
                return 1;
            }
    printf("%zu records; nerva's results are the hand-written ones, bit for bit\n", n);
    for (int round = 0; round < rounds; round++)
        for (int j = 0; j < 4; j++) {
            Method *m = &k[(j + round) % 4];
            double t0 = now_ns();
            score_all(m);
            m->ns[round] = (now_ns() - t0) / (double)n;
        }
    double med[4];
    for (int i = 0; i < 4; i++) {
        qsort(k[i].ns, (size_t)rounds, sizeof(double), by_value);
        med[i] = k[i].ns[rounds / 2];
        printf("%-22s median %9.1f ns/record  (rounds %.1f .. %.1f)\n", k[i].name, med[i], k[i].ns[0],
               k[i].ns[rounds - 1]);
    }
    printf("ratio nerva / hand-written: k-NN %.3f, k-means %.3f (%d interleaved rounds)\n", med[1] / med[0],
           med[3] / med[2], rounds);
    return 0;
}
