/* model_bench.c -- one PMML model compiled several ways by nerva (one unit
 * per tree layout), timed side by side in one process (docs/performance.md).
 *
 * Why: the corpus's models come with a CSV of inputs, not with the model's
 * own library; this compares nerva's layouts with each other on them, in
 * CPU time of this thread (a shared machine's load moves wall time, less
 * so CPU time), rounds interleaved, medians.  Every unit's outputs are
 * first checked to be identical to the first unit's (numbers bit for bit).
 *
 *   model_bench INPUT.csv [--rounds R] [--records N] [--only batch:LABEL|single:LABEL]
 *
 * The units are linked in; bench/run.sh writes units.h (NERVA_UNITS:
 * X(prefix, "label") for each).  Records are the CSV's rows, repeated to N
 * (default 10,000). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stats.h"
#include "units.h"

#define MAX_UNITS 16

typedef struct Unit {
    const char *label;
    const nerva_model *m;
    char *ins, *outs;
    int *status;
    double *ns[2]; /* per round: batch, single */
} Unit;

/* the cells of one CSV line (no quotes in the corpus's inputs), in place */
static int split(char *line, char **cells, int max)
{
    int n = 0;
    char *p = line;
    line[strcspn(line, "\r\n")] = 0;
    while (n < max) {
        cells[n++] = p;
        p = strchr(p, ',');
        if (!p)
            break;
        *p++ = 0;
    }
    return n;
}

static void set_field(const nerva_field *f, char *rec, const char *cell)
{
    if (!*cell || !strcmp(cell, "NA") || !strcmp(cell, "N/A")) {
        rec[f->state_offset] = NERVA_MISSING;
        return;
    }
    rec[f->state_offset] = NERVA_PRESENT;
    switch (f->type) {
    case NERVA_DOUBLE: { double v = strtod(cell, NULL); memcpy(rec + f->offset, &v, sizeof v); break; }
    case NERVA_FLOAT: { float v = strtof(cell, NULL); memcpy(rec + f->offset, &v, sizeof v); break; }
    case NERVA_LONG: { long long v = strtoll(cell, NULL, 10); memcpy(rec + f->offset, &v, sizeof v); break; }
    case NERVA_BOOL: {
        int v = !strcmp(cell, "true") || !strcmp(cell, "1");
        memcpy(rec + f->offset, &v, sizeof v);
        break;
    }
    default: { const char *v = strdup(cell); memcpy(rec + f->offset, &v, sizeof v); break; }
    }
}

/* whether two outputs of the same model are the same, field by field */
static int same_output(const nerva_model *m, const char *a, const char *b)
{
    for (int i = 0; i < m->n_outputs; i++) {
        const nerva_field *f = &m->outputs[i];
        if (a[f->state_offset] != b[f->state_offset])
            return 0;
        if (a[f->state_offset] != NERVA_PRESENT)
            continue;
        if (f->type == NERVA_STRING) {
            const char *x, *y;
            memcpy(&x, a + f->offset, sizeof x);
            memcpy(&y, b + f->offset, sizeof y);
            if (strcmp(x, y))
                return 0;
        } else {
            size_t sz = f->type == NERVA_DOUBLE || f->type == NERVA_LONG ? 8 : 4;
            if (memcmp(a + f->offset, b + f->offset, sz))
                return 0;
        }
    }
    return 1;
}

int main(int argc, char **argv)
{
    int rounds = 21, want = 10000;
    const char *only = NULL;
    if (argc < 2) {
        fprintf(stderr, "usage: model_bench INPUT.csv [--rounds R] [--records N] [--only batch:LABEL|single:LABEL]\n");
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--records") && i + 1 < argc)
            want = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            only = argv[++i];
        else {
            fprintf(stderr, "model_bench: unknown argument %s\n", argv[i]);
            return 2;
        }
    }
    Unit u[MAX_UNITS];
    int nu = 0;
#define X(P, LABEL) u[nu].label = LABEL, u[nu].m = &P##_model, nu++;
    NERVA_UNITS
#undef X
    /* the CSV */
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        fprintf(stderr, "model_bench: cannot open %s\n", argv[1]);
        return 1;
    }
    static char line[1 << 16];
    char *head[512], *cells[512];
    if (!fgets(line, sizeof line, f))
        return 1;
    char *hline = strdup(line);
    int ncol = split(hline, head, 512);
    char **rows = NULL;
    int nrows = 0, cap = 0;
    while (fgets(line, sizeof line, f)) {
        if (nrows == cap)
            rows = realloc(rows, sizeof *rows * (size_t)(cap = cap ? 2 * cap : 256));
        rows[nrows++] = strdup(line);
    }
    fclose(f);
    int n = want > nrows ? want : nrows;
    for (int k = 0; k < nu; k++) {
        const nerva_model *m = u[k].m;
        u[k].ins = calloc((size_t)n, m->input_size);
        u[k].outs = calloc((size_t)n, m->output_size);
        u[k].status = calloc((size_t)n, sizeof(int));
        u[k].ns[0] = calloc((size_t)rounds, sizeof(double));
        u[k].ns[1] = calloc((size_t)rounds, sizeof(double));
        for (int r = 0; r < n; r++) {
            char *copy = strdup(rows[r % nrows]);
            int nc = split(copy, cells, 512);
            char *rec = u[k].ins + (size_t)r * m->input_size;
            for (int i = 0; i < m->n_inputs; i++) {
                const nerva_field *fd = &m->inputs[i];
                rec[fd->state_offset] = NERVA_MISSING;
                for (int c = 0; c < ncol && c < nc; c++)
                    if (!strcmp(head[c], fd->name))
                        set_field(fd, rec, cells[c]);
            }
        }
    }
    /* the same results from every unit, single and batch (not with --only:
       it runs one method once, for callgrind) */
    int bad = 0;
    char *ref = malloc((size_t)n * u[0].m->output_size);
    for (int k = 0; k < nu && !only; k++) {
        const nerva_model *m = u[k].m;
        for (int mode = 0; mode < 2; mode++) {
            memset(u[k].outs, 0, (size_t)n * m->output_size);
            if (mode == 0)
                m->score_batch(u[k].ins, u[k].outs, u[k].status, (size_t)n);
            else
                for (int r = 0; r < n; r++)
                    u[k].status[r] = m->score(u[k].ins + (size_t)r * m->input_size, u[k].outs + (size_t)r * m->output_size);
            if (k == 0 && mode == 0)
                memcpy(ref, u[k].outs, (size_t)n * m->output_size);
            int same = 0;
            for (int r = 0; r < n; r++)
                same += same_output(m, ref + (size_t)r * m->output_size, u[k].outs + (size_t)r * m->output_size);
            printf("%-7s %-28s %d of %d records as %s's batch\n", mode ? "single" : "batch", u[k].label, same, n,
                   u[0].label);
            bad |= same != n;
        }
    }
    if (only) {
        for (int k = 0; k < nu; k++)
            for (int mode = 0; mode < 2; mode++) {
                char name[256];
                snprintf(name, sizeof name, "%s:%s", mode ? "single" : "batch", u[k].label);
                if (strcmp(name, only))
                    continue;
                const nerva_model *m = u[k].m;
                if (mode == 0)
                    m->score_batch(u[k].ins, u[k].outs, u[k].status, (size_t)n);
                else
                    for (int r = 0; r < n; r++)
                        m->score(u[k].ins + (size_t)r * m->input_size, u[k].outs + (size_t)r * m->output_size);
            }
        return bad;
    }
    for (int r = 0; r < rounds; r++)
        for (int j = 0; j < 2 * nu; j++) {
            int k = ((j + r) % (2 * nu)) / 2, mode = (j + r) % 2;
            const nerva_model *m = u[k].m;
            double t0 = now_cpu();
            if (mode == 0)
                m->score_batch(u[k].ins, u[k].outs, u[k].status, (size_t)n);
            else
                for (int i = 0; i < n; i++)
                    m->score(u[k].ins + (size_t)i * m->input_size, u[k].outs + (size_t)i * m->output_size);
            u[k].ns[mode][r] = (now_cpu() - t0) / n;
        }
    printf("\n%d rounds, %d records; CPU ns per record: median [25%%-75%%]\n", rounds, n);
    for (int mode = 0; mode < 2; mode++) {
        printf("%s\n", mode ? "single" : "batch");
        double first = quantile(u[0].ns[mode], rounds, 0.5);
        for (int k = 0; k < nu; k++) {
            double med = quantile(u[k].ns[mode], rounds, 0.5);
            printf("  %-28s %10.1f  [%8.1f - %8.1f]   x%.2f of %s\n", u[k].label, med,
                   quantile(u[k].ns[mode], rounds, 0.25), quantile(u[k].ns[mode], rounds, 0.75), med / first,
                   u[0].label);
        }
    }
    return bad;
}
