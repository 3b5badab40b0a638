/* bench.c -- nerva's generated code and the hand-written scorers
 * (handwritten.c) side by side in one process, on the same records.
 *
 * Why one process: the machine is shared and its speed drifts; methods timed
 * in turns within one process, round after round, see the same drift, and
 * the median of many rounds is steady where one run is not.  Each round
 * times every method once over all records (the order rotating from round
 * to round) in CPU time of this thread; the report gives each method's
 * median ns per record, the spread of the rounds, and the ratio of nerva's
 * median to the hand-written one's.
 *
 * Before timing, nerva's results are checked against the hand-written ones:
 * they add in the same order, so every result must be the same bits.
 *
 *   bench ROWS_NN ROWS_SVM [ROUNDS]
 *
 * The two nerva units (prefixes nn and svm) are linked in; their inputs are
 * bound by name through the descriptors, as any host binds them. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "handwritten.h"
#include "hw_data.h"
#include "nn.h"
#include "svm.h"

static double cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static double *read_rows(const char *path, int width, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "bench: cannot open %s\n", path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    double *v = malloc((size_t)len);
    if (!v || fread(v, 1, (size_t)len, f) != (size_t)len) {
        fprintf(stderr, "bench: cannot read %s\n", path);
        exit(1);
    }
    fclose(f);
    *n = (size_t)len / (sizeof(double) * (size_t)width);
    return v;
}

/* the unit's input records from rows, each field "xK" bound by name */
static void *bind_inputs(const nerva_model *m, const double *rows, int width, size_t n)
{
    char *in = calloc(n, m->input_size);
    for (int f = 0; f < m->n_inputs; f++) {
        int k = atoi(m->inputs[f].name + 1);
        if (m->inputs[f].name[0] != 'x' || k < 0 || k >= width || m->inputs[f].type != NERVA_DOUBLE) {
            fprintf(stderr, "bench: unexpected input field %s\n", m->inputs[f].name);
            exit(1);
        }
        for (size_t i = 0; i < n; i++) {
            memcpy(in + i * m->input_size + m->inputs[f].offset, &rows[i * (size_t)width + (size_t)k], sizeof(double));
            in[i * m->input_size + m->inputs[f].state_offset] = NERVA_PRESENT;
        }
    }
    return in;
}

typedef struct Method {
    const char *name;
    const nerva_model *m;          /* nerva's, or NULL: the hand-written one */
    double (*hw)(const double *x);
    const double *rows;
    int width;
    void *in, *out;
    double *res;
    double *ns;                    /* per round */
} Method;

static size_t n_rows;

static void run(Method *k)
{
    if (k->m)
        for (size_t i = 0; i < n_rows; i++) {
            char *o = (char *)k->out;
            k->m->score((const char *)k->in + i * k->m->input_size, o);
            memcpy(&k->res[i], o + k->m->outputs[0].offset, sizeof(double));
        }
    else
        for (size_t i = 0; i < n_rows; i++)
            k->res[i] = k->hw(k->rows + i * (size_t)k->width);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench ROWS_NN ROWS_SVM [ROUNDS]\n");
        return 2;
    }
    int rounds = argc > 3 ? atoi(argv[3]) : 21;
    size_t nn_n, svm_n;
    double *rows_nn = read_rows(argv[1], NIN, &nn_n), *rows_svm = read_rows(argv[2], DIM, &svm_n);
    n_rows = nn_n < svm_n ? nn_n : svm_n;
    Method k[4] = {
        {"network, hand-written", NULL, hw_nn, rows_nn, NIN, 0, 0, 0, 0},
        {"network, nerva", &nn_model, NULL, rows_nn, NIN, 0, 0, 0, 0},
        {"RBF SVM, hand-written", NULL, hw_svm, rows_svm, DIM, 0, 0, 0, 0},
        {"RBF SVM, nerva", &svm_model, NULL, rows_svm, DIM, 0, 0, 0, 0},
    };
    for (int i = 0; i < 4; i++) {
        k[i].res = malloc(sizeof(double) * n_rows);
        k[i].ns = malloc(sizeof(double) * (size_t)rounds);
        if (k[i].m) {
            k[i].in = bind_inputs(k[i].m, k[i].rows, k[i].width, n_rows);
            k[i].out = malloc(k[i].m->output_size);
        }
    }
    /* the same bits, or no figures */
    for (int i = 0; i < 4; i++)
        run(&k[i]);
    for (int i = 0; i < 4; i += 2)
        for (size_t r = 0; r < n_rows; r++)
            if (memcmp(&k[i].res[r], &k[i + 1].res[r], sizeof(double)) != 0) {
                fprintf(stderr, "bench: %s and %s differ at record %zu: %.17g, %.17g\n", k[i].name, k[i + 1].name,
                        r, k[i].res[r], k[i + 1].res[r]);
                return 1;
            }
    printf("%zu records; nerva's results are the hand-written ones, bit for bit\n", n_rows);
    for (int round = 0; round < rounds; round++)
        for (int j = 0; j < 4; j++) {
            Method *m = &k[(j + round) % 4];
            double t0 = cpu_ns();
            run(m);
            m->ns[round] = (cpu_ns() - t0) / (double)n_rows;
        }
    double med[4];
    for (int i = 0; i < 4; i++) {
        qsort(k[i].ns, (size_t)rounds, sizeof(double), cmp_double);
        med[i] = k[i].ns[rounds / 2];
        printf("%-24s median %9.1f ns/record  (rounds %.1f .. %.1f)\n", k[i].name, med[i], k[i].ns[0],
               k[i].ns[rounds - 1]);
    }
    printf("ratio nerva / hand-written: network %.3f, RBF SVM %.3f (%d interleaved rounds)\n", med[1] / med[0],
           med[3] / med[2], rounds);
    return 0;
}
