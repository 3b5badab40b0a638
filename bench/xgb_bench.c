/* xgb_bench.c -- XGBoost's own predictor, nerva's generated code and the
 * hand-written scorer, side by side in one process (docs/performance.md).
 *
 * Why one process: the machine is shared and its speed drifts; methods timed
 * in turns within the same process, round after round, see the same drift,
 * and the median of many rounds is steady where a single run is not.  Each
 * round times every method once over all rows (in an order that rotates
 * from round to round), in CPU time of this thread; the report gives each
 * method's median ns per record, its spread, and the ratios.
 *
 * Before timing, every method's results are checked against XGBoost's
 * (bench/xgb_train.py saved xgboost.predict()): the count of bit-identical
 * probabilities is printed, and any difference fails the run.
 *
 *   xgb_bench MODEL.json MODEL.flat rows.f32 MODEL.pred.f32 [--rounds R]
 *             [--only batch:LABEL|single:LABEL]    (one method once: for callgrind)
 *
 * The nerva units are linked in: bench/run.sh compiles the PMML once per
 * layout, each with its own prefix, and writes units.h, which declares them
 * (NERVA_UNITS: X(prefix, "label") for each). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xgboost/c_api.h>

#include "handwritten.h"
#include "stats.h"
#include "units.h"

#define MAX_METHODS 32

typedef struct Ctx {
    size_t n;
    int nfeat;
    const float *rows;
    float *out;
    BoosterHandle xgb;
    hw_model hw;
    /* per nerva unit: its input and output records */
    const nerva_model *unit;
    void *ins, *outs;
    int *status;
    const nerva_field *prob;
} Ctx;

typedef struct Method {
    const char *name;
    int kind; /* 0 batch, 1 single */
    void (*run)(Ctx *c);
    Ctx ctx;
    double *ns;
} Method;

static void *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "xgb_bench: cannot open %s\n", path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *p = malloc((size_t)n + 1);
    if (!p || fread(p, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "xgb_bench: cannot read %s\n", path);
        exit(1);
    }
    fclose(f);
    *len = (size_t)n;
    return p;
}

static void xgb_check(int rc, const char *what)
{
    if (rc != 0) {
        fprintf(stderr, "xgb_bench: %s: %s\n", what, XGBGetLastError());
        exit(1);
    }
}

/* ---- XGBoost: in-place prediction from a dense float matrix, one thread */
static const char *xgb_config =
    "{\"type\": 0, \"training\": false, \"iteration_begin\": 0, \"iteration_end\": 0, "
    "\"strict_shape\": false, \"missing\": NaN, \"cache_id\": 0}";

static void xgb_predict(Ctx *c, const float *rows, size_t n, float *out)
{
    char arr[256];
    const bst_ulong *shape;
    bst_ulong dim;
    const float *res;
    snprintf(arr, sizeof arr,
             "{\"data\": [%llu, true], \"shape\": [%llu, %d], \"typestr\": \"<f4\", \"version\": 3}",
             (unsigned long long)(size_t)rows, (unsigned long long)n, c->nfeat);
    xgb_check(XGBoosterPredictFromDense(c->xgb, arr, xgb_config, NULL, &shape, &dim, &res), "predict");
    memcpy(out, res, sizeof *out * n);
}

static void run_xgb_batch(Ctx *c) { xgb_predict(c, c->rows, c->n, c->out); }

static void run_xgb_single(Ctx *c)
{
    for (size_t i = 0; i < c->n; i++)
        xgb_predict(c, c->rows + i * (size_t)c->nfeat, 1, c->out + i);
}

/* ---- the hand-written scorer */
static void run_hw_batch(Ctx *c) { hw_batch(&c->hw, c->rows, c->n, c->out); }
static void run_hw_avx512(Ctx *c) { hw_batch_avx512(&c->hw, c->rows, c->n, c->out); }

static void run_hw_single(Ctx *c)
{
    for (size_t i = 0; i < c->n; i++)
        c->out[i] = hw_one(&c->hw, c->rows + i * (size_t)c->nfeat);
}

/* ---- nerva's generated code, bound through its descriptor */
static float unit_prob(const Ctx *c, size_t i)
{
    const char *o = (const char *)c->outs + i * c->unit->output_size;
    float v;
    if (o[c->prob->state_offset] != NERVA_PRESENT)
        return NAN;
    memcpy(&v, o + c->prob->offset, sizeof v);
    return v;
}

static void run_unit_batch(Ctx *c)
{
    c->unit->score_batch(c->ins, c->outs, c->status, c->n);
    for (size_t i = 0; i < c->n; i++)
        c->out[i] = unit_prob(c, i);
}

static void run_unit_single(Ctx *c)
{
    for (size_t i = 0; i < c->n; i++)
        c->unit->score((const char *)c->ins + i * c->unit->input_size,
                       (char *)c->outs + i * c->unit->output_size);
    for (size_t i = 0; i < c->n; i++)
        c->out[i] = unit_prob(c, i);
}

static void bind_unit(Ctx *c, const nerva_model *u)
{
    c->unit = u;
    c->ins = calloc(c->n, u->input_size);
    c->outs = calloc(c->n, u->output_size);
    c->status = calloc(c->n, sizeof(int));
    if (!c->ins || !c->outs || !c->status)
        abort();
    for (int f = 0; f < u->n_inputs; f++) {
        const nerva_field *fd = &u->inputs[f];
        int col = -1;
        if (fd->name[0] == 'x')
            col = atoi(fd->name + 1);
        if (col < 0 || col >= c->nfeat || fd->type != NERVA_FLOAT) {
            fprintf(stderr, "xgb_bench: %s: unexpected input field %s\n", u->name, fd->name);
            exit(1);
        }
        for (size_t i = 0; i < c->n; i++) {
            char *rec = (char *)c->ins + i * u->input_size;
            float v = c->rows[i * (size_t)c->nfeat + (size_t)col];
            memcpy(rec + fd->offset, &v, sizeof v);
            rec[fd->state_offset] = (char)(v != v ? NERVA_MISSING : NERVA_PRESENT);
        }
    }
    c->prob = NULL;
    for (int f = 0; f < u->n_outputs; f++)
        if (strcmp(u->outputs[f].name, "probability(1)") == 0)
            c->prob = &u->outputs[f];
    if (!c->prob || c->prob->type != NERVA_FLOAT) {
        fprintf(stderr, "xgb_bench: %s: no float output probability(1)\n", u->name);
        exit(1);
    }
}

/* whether NAME ("batch:LABEL" or "single:LABEL") names method m */
static int is_method(const Method *m, const char *name)
{
    const char *kind = m->kind ? "single:" : "batch:";
    return strncmp(name, kind, strlen(kind)) == 0 && strcmp(name + strlen(kind), m->name) == 0;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: xgb_bench MODEL.json MODEL.flat rows.f32 MODEL.pred.f32 [--rounds R] [--only batch:LABEL|single:LABEL]\n");
        return 2;
    }
    int rounds = 25;
    const char *only = NULL;
    for (int i = 5; i < argc; i++) {
        if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            only = argv[++i];
        else {
            fprintf(stderr, "xgb_bench: unknown argument %s\n", argv[i]);
            return 2;
        }
    }
    Ctx base;
    memset(&base, 0, sizeof base);
    if (hw_load(&base.hw, argv[2]) != 0) {
        fprintf(stderr, "xgb_bench: cannot read %s\n", argv[2]);
        return 1;
    }
    base.nfeat = base.hw.nfeat;
    size_t len, plen;
    base.rows = read_all(argv[3], &len);
    base.n = len / sizeof(float) / (size_t)base.nfeat;
    const float *expect = read_all(argv[4], &plen);
    if (plen != base.n * sizeof(float)) {
        fprintf(stderr, "xgb_bench: %s does not match the rows\n", argv[4]);
        return 1;
    }
    xgb_check(XGBoosterCreate(NULL, 0, &base.xgb), "create");
    xgb_check(XGBoosterLoadModel(base.xgb, argv[1]), "load");
    xgb_check(XGBoosterSetParam(base.xgb, "nthread", "1"), "nthread");

    Method ms[MAX_METHODS];
    int nm = 0;
#define ADD(NAME, KIND, RUN)                                                                                   \
    do {                                                                                                       \
        ms[nm].name = NAME;                                                                                    \
        ms[nm].kind = KIND;                                                                                    \
        ms[nm].run = RUN;                                                                                      \
        ms[nm].ctx = base;                                                                                     \
        nm++;                                                                                                  \
    } while (0)
    ADD("xgboost", 0, run_xgb_batch);
    ADD("hand-written", 0, run_hw_batch);
    if (hw_have_avx512())
        ADD("hand-written AVX-512", 0, run_hw_avx512);
#define X(P, LABEL)                                                                                            \
    ADD(LABEL, 0, run_unit_batch);                                                                             \
    bind_unit(&ms[nm - 1].ctx, &P##_model);
    NERVA_UNITS
#undef X
    ADD("xgboost", 1, run_xgb_single);
    ADD("hand-written", 1, run_hw_single);
#define X(P, LABEL)                                                                                            \
    ADD(LABEL, 1, run_unit_single);                                                                            \
    ms[nm - 1].ctx.unit = NULL;                                                                                \
    for (int k = 0; k < nm - 1; k++)                                                                           \
        if (ms[k].kind == 0 && ms[k].ctx.unit == &P##_model)                                                   \
            ms[nm - 1].ctx = ms[k].ctx;
    NERVA_UNITS
#undef X
#undef ADD

    /* every method's results against xgboost.predict() */
    int bad = 0;
    for (int k = 0; k < nm; k++) {
        Method *m = &ms[k];
        m->ctx.out = calloc(base.n, sizeof(float));
        m->ns = calloc((size_t)rounds, sizeof(double));
        if (only && !is_method(m, only))
            continue;
        m->run(&m->ctx);
        size_t same = 0;
        for (size_t i = 0; i < base.n; i++)
            same += memcmp(&m->ctx.out[i], &expect[i], sizeof(float)) == 0;
        printf("%-8s %-28s %zu of %zu results bit-identical to xgboost.predict()\n", m->kind ? "single" : "batch",
               m->name, same, base.n);
        bad |= same != base.n;
    }
    if (only)
        return bad;
    fflush(stdout);
    for (int r = 0; r < rounds; r++)
        for (int j = 0; j < nm; j++) {
            Method *m = &ms[(j + r) % nm];
            double t0 = now_cpu();
            m->run(&m->ctx);
            m->ns[r] = (now_cpu() - t0) / (double)base.n;
        }
    double med[MAX_METHODS];
    for (int k = 0; k < nm; k++)
        med[k] = quantile(ms[k].ns, rounds, 0.5);
    printf("\n%d rounds, %zu rows; CPU ns per record: median [25%%-75%%]\n", rounds, base.n);
    for (int kind = 0; kind < 2; kind++) {
        int hw = -1, xg = -1;
        for (int k = 0; k < nm; k++)
            if (ms[k].kind == kind && !strcmp(ms[k].name, "hand-written"))
                hw = k;
            else if (ms[k].kind == kind && !strcmp(ms[k].name, "xgboost"))
                xg = k;
        printf("%s\n", kind ? "single row" : "batch");
        for (int k = 0; k < nm; k++) {
            if (ms[k].kind != kind)
                continue;
            printf("  %-28s %10.1f  [%8.1f - %8.1f]   x%.2f of hand-written, xgboost/this %.2f\n", ms[k].name,
                   med[k], quantile(ms[k].ns, rounds, 0.25), quantile(ms[k].ns, rounds, 0.75), med[k] / med[hw],
                   med[xg] / med[k]);
        }
    }
    return bad;
}
