/* batch_check.c -- a generated model's batch entry point gives what its
 * single-record one gives, record by record (tests/batch.py builds it
 * against each model).
 *
 * Why: the batch entry point of models with flat trees is not a loop over
 * the single one: it scores blocks of records in two phases around one walk
 * of the forest (compiler/c/emit_trees.c, trees_batch).  The conformance
 * runs score record by record; this holds the batch to the same results,
 * over blocks of every size: each record's outputs (numbers bit for bit,
 * strings by content, states) and status from P_score_batch equal those
 * from P_score, for the whole input repeated, and for slices of it that
 * start and end anywhere in a block; a stateful model's (Lag, Aggregate)
 * in runs one after another, in order, from a fresh state.
 *
 *   batch_check INPUT.csv      (cc -DNERVA_ENTRY=prefix_model ... model.c batch_check.c)
 *
 * The CSV: a header of field names, then records; an empty cell, NA or N/A
 * is missing; a cell may be quoted ("" for a quote). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nerva_model.h"

#ifndef NERVA_ENTRY
#error "compile with -DNERVA_ENTRY=<the nerva_model object of the generated model>"
#endif
extern const nerva_model NERVA_ENTRY;

#define MAX_CELLS 1024

/* every allocation, freed at the end (the sanitizer build checks leaks) */
static void **allocs;
static size_t nallocs, cap_allocs;

static void *xmalloc(size_t n)
{
    void *p = calloc(n ? n : 1, 1);
    if (p && nallocs == cap_allocs) {
        void **na = realloc(allocs, sizeof *allocs * (cap_allocs = cap_allocs ? 2 * cap_allocs : 256));
        if (!na) {
            free(p);
            p = NULL;
        } else
            allocs = na;
    }
    if (!p) {
        fputs("batch_check: out of memory\n", stderr);
        exit(2);
    }
    allocs[nallocs++] = p;
    return p;
}

static void free_all(void)
{
    while (nallocs)
        free(allocs[--nallocs]);
    free(allocs);
}

/* the cells of one line, unquoted, in place; their number */
static int split(char *line, char **cells)
{
    int n = 0;
    char *p = line;
    line[strcspn(line, "\r\n")] = 0;
    for (;;) {
        if (n == MAX_CELLS)
            return n;
        if (*p == '"') {
            char *w = ++p;
            cells[n++] = w;
            while (*p) {
                if (*p == '"' && p[1] == '"') {
                    *w++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else
                    *w++ = *p++;
            }
            *w = 0;
            while (*p && *p != ',')
                p++;
        } else {
            cells[n++] = p;
            p += strcspn(p, ",");
        }
        if (*p != ',')
            return n;
        *p++ = 0;
    }
}

static void set_field(const nerva_field *f, char *rec, const char *cell)
{
    rec[f->state_offset] = NERVA_MISSING;
    if (!*cell || !strcmp(cell, "NA") || !strcmp(cell, "N/A"))
        return;
    rec[f->state_offset] = NERVA_PRESENT;
    switch (f->type) {
    case NERVA_DOUBLE: {
        double v = strtod(cell, NULL);
        memcpy(rec + f->offset, &v, sizeof v);
        break;
    }
    case NERVA_FLOAT: {
        float v = strtof(cell, NULL);
        memcpy(rec + f->offset, &v, sizeof v);
        break;
    }
    case NERVA_LONG: {
        long long v = strtoll(cell, NULL, 10);
        memcpy(rec + f->offset, &v, sizeof v);
        break;
    }
    case NERVA_BOOL: {
        int v = !strcmp(cell, "true") || !strcmp(cell, "1");
        memcpy(rec + f->offset, &v, sizeof v);
        break;
    }
    default: {
        char *v = xmalloc(strlen(cell) + 1);
        strcpy(v, cell);
        memcpy(rec + f->offset, &v, sizeof v);
        break;
    }
    }
}

/* record r's outputs in a and b: the same? (prints the first difference) */
static int same_output(const nerva_model *m, const char *a, const char *b, size_t r)
{
    for (int i = 0; i < m->n_outputs; i++) {
        const nerva_field *f = &m->outputs[i];
        int diff = a[f->state_offset] != b[f->state_offset];
        if (!diff && a[f->state_offset] == NERVA_PRESENT) {
            if (f->type == NERVA_STRING) {
                const char *x, *y;
                memcpy(&x, a + f->offset, sizeof x);
                memcpy(&y, b + f->offset, sizeof y);
                diff = strcmp(x, y) != 0;
            } else {
                size_t sz = f->type == NERVA_DOUBLE || f->type == NERVA_LONG ? 8 : 4;
                diff = memcmp(a + f->offset, b + f->offset, sz) != 0;
            }
        }
        if (diff) {
            printf("batch_check: record %lu, output %s: batch differs from single\n", (unsigned long)r, f->name);
            return 0;
        }
    }
    return 1;
}

/* records [s, s + len): the batch's statuses and outputs are the single
   path's, and its count of bad records; prints the first difference */
static int check_range(const nerva_model *m, const char *one, const char *all, const int *st1, const int *stb,
                       size_t s, size_t len, size_t nbad)
{
    size_t osz = m->output_size, want = 0;
    for (size_t r = s; r < s + len; r++) {
        want += st1[r] != NERVA_OK;
        if (stb[r] != st1[r]) {
            printf("batch_check: record %lu: status %d in batch, %d single\n", (unsigned long)r, stb[r], st1[r]);
            return 1;
        }
        if (st1[r] == NERVA_OK && !same_output(m, one + r * osz, all + r * osz, r))
            return 1;
    }
    if (nbad != want) {
        printf("batch_check: the batch counts %lu bad records, single %lu\n", (unsigned long)nbad,
               (unsigned long)want);
        return 1;
    }
    return 0;
}

/* A stateful model (ABI 3: Lag, Aggregate) scores the records of one state
   in order: the single path with a fresh state, then the batch with a fresh
   state each, over the whole input at once and in runs of several lengths
   one after another (the same order, so the same state at every record). */
static int check_stateful(const nerva_model *m, const char *in, char *one, char *all, int *st1, int *stb, size_t n)
{
    static const size_t lens[] = {0, 1, 7, 64, 65};
    size_t isz = m->input_size, osz = m->output_size, checked = 0;
    void *st = m->state_new(0);
    if (!st) {
        fputs("batch_check: out of memory\n", stderr);
        return 2;
    }
    for (size_t r = 0; r < n; r++)
        st1[r] = m->score_state(st, in + r * isz, one + r * osz);
    m->state_free(st);
    for (size_t l = 0; l < sizeof lens / sizeof *lens; l++) {
        size_t len = lens[l] ? lens[l] : n;
        if (!(st = m->state_new(0))) {
            fputs("batch_check: out of memory\n", stderr);
            return 2;
        }
        memset(all, 0, n * osz);
        for (size_t s = 0; s < n; s += len) {
            size_t k = n - s < len ? n - s : len;
            size_t nbad = m->score_batch_state(st, in + s * isz, all + s * osz, stb + s, k);
            if (check_range(m, one, all, st1, stb, s, k, nbad)) {
                m->state_free(st);
                return 1;
            }
        }
        m->state_free(st);
        checked += n;
    }
    printf("batch_check: %lu records of one state in batches as scored one by one\n", (unsigned long)checked);
    return 0;
}

int main(int argc, char **argv)
{
    const nerva_model *m = &NERVA_ENTRY;
    static char line[1 << 20];
    char *head[MAX_CELLS], *cells[MAX_CELLS];
    if (argc != 2) {
        fputs("usage: batch_check INPUT.csv\n", stderr);
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (!f || !fgets(line, sizeof line, f)) {
        fprintf(stderr, "batch_check: cannot read %s\n", argv[1]);
        if (f)
            fclose(f);
        return 2;
    }
    char *hline = xmalloc(strlen(line) + 1);
    strcpy(hline, line);
    int ncol = split(hline, head);
    /* the records, repeated to at least 300 (blocks of every fill) */
    char **rows = NULL;
    size_t nrows = 0, cap = 0;
    while (fgets(line, sizeof line, f)) {
        if (nrows == cap) {
            char **nr = xmalloc(sizeof *rows * (cap = cap ? 2 * cap : 64));
            if (nrows)
                memcpy(nr, rows, sizeof *rows * nrows);
            rows = nr;
        }
        rows[nrows] = xmalloc(strlen(line) + 1);
        strcpy(rows[nrows++], line);
    }
    fclose(f);
    if (!nrows) {
        fputs("batch_check: no records\n", stderr);
        return 2;
    }
    size_t n = nrows;
    while (n < 300)
        n += nrows;
    size_t isz = m->input_size, osz = m->output_size;
    char *in = xmalloc(n * isz), *one = xmalloc(n * osz), *all = xmalloc(n * osz);
    int *st1 = xmalloc(n * sizeof(int)), *stb = xmalloc(n * sizeof(int));
    for (size_t r = 0; r < n; r++) {
        char *copy = xmalloc(strlen(rows[r % nrows]) + 1);
        strcpy(copy, rows[r % nrows]);
        int nc = split(copy, cells);
        char *rec = in + r * isz;
        for (int i = 0; i < m->n_inputs; i++) {
            rec[m->inputs[i].state_offset] = NERVA_MISSING;
            for (int c = 0; c < ncol && c < nc; c++)
                if (!strcmp(head[c], m->inputs[i].name))
                    set_field(&m->inputs[i], rec, cells[c]);
        }
    }
    if (!m->score) {
        int rc = check_stateful(m, in, one, all, st1, stb, n);
        free_all();
        return rc;
    }
    for (size_t r = 0; r < n; r++)
        st1[r] = m->score(in + r * isz, one + r * osz);
    /* the whole input, then slices starting and ending anywhere */
    static const size_t starts[] = {0, 1, 5, 63, 64, 65, 130};
    static const size_t lens[] = {300, 1, 7, 8, 9, 63, 64, 65, 129, 200};
    int bad = 0;
    size_t checked = 0;
    for (size_t a = 0; a < sizeof starts / sizeof *starts + 1 && !bad; a++) {
        for (size_t l = 0; l < sizeof lens / sizeof *lens && !bad; l++) {
            size_t s = a < sizeof starts / sizeof *starts ? starts[a] : 0;
            size_t len = a < sizeof starts / sizeof *starts ? lens[l] : n;
            if (s + len > n)
                continue;
            memset(all + s * osz, 0, len * osz);
            size_t nbad = m->score_batch(in + s * isz, all + s * osz, stb + s, len);
            bad = check_range(m, one, all, st1, stb, s, len, nbad);
            checked += len;
        }
    }
    if (!bad)
        printf("batch_check: %lu records in batches as scored one by one\n", (unsigned long)checked);
    free_all();
    return bad;
}
