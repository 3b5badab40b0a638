/* nerva: compile PMML models and PFA documents to standalone C.
 *
 * The pipeline, one call per phase:
 *   read_file -> read_pmml (XML to element tree) -> lower_pmml (to the IR)
 *   -> pass_intern_strings -> pass_dead_stores -> emit_c (the C backend) -> toolchain (score/bench);
 *   for PFA: read_pfa (JSON to syntax tree) -> typecheck_pfa -> lower_pfa -> emit_c.
 * Exit codes: 0 ok, 1 bad model or input, 2 usage, 3 internal or toolchain. */
#include "convert.h"
#include "emit.h"
#include "ir.h"
#include "lower_pfa.h"
#include "lower_pmml.h"
#include "ppfa.h"
#include "read_pfa.h"
#include "read_pmml.h"
#include "typecheck.h"
#include "toolchain.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <limits.h>

#define NERVA_VERSION "0.1.0"
#define EXIT_BAD 1
#define EXIT_USAGE 2
#define EXIT_INTERNAL 3

static const char usage_text[] =
    "usage: nerva COMMAND [options] MODEL\n"
    "\n"
    "Compile PMML models and PFA documents (.pfa, .json; PrettyPFA .ppfa) into\n"
    "standalone C.\n"
    "\n"
    "commands:\n"
    "  compile MODEL [-o OUT.c] [--header OUT.h] [--prefix NAME]\n"
    "          [--tree-table-threshold N] [--dump-ir] [--check-up-to-date]\n"
    "          [--depfile FILE]\n"
    "                       write the model as one C99 unit and its header\n"
    "  compile MODEL --shared [-o OUT.so]\n"
    "                       build a shared object for hosts that dlopen models\n"
    "                       (exports nerva_model_entry(), for PFA\n"
    "                       nerva_pfa_entry(); `nerva kafka` loads it)\n"
    "  convert MODEL [--to pfa|ppfa] [-o FILE]\n"
    "                       PrettyPFA (.ppfa) to PFA's JSON, or JSON to PrettyPFA\n"
    "                       (--to ppfa); to the standard output by default\n"
    "  check MODEL          validate only; diagnostics as file:line: error: ...\n"
    "                       (PFA: file:line: /json/path: error: ...)\n"
    "  info MODEL           inputs, outputs, types, model kinds and sizes\n"
    "                       (PFA: input and output schemae, cells, pools)\n"
    "  score MODEL [--input FILE|-] [--output FILE|-] [--timeout MS]\n"
    "                       compile, build with the system C compiler (cached),\n"
    "                       score CSV records and write CSV results (PMML), or\n"
    "                       JSON lines in the Avro JSON encoding (PFA; --timeout:\n"
    "                       the limit per action where the document sets none)\n"
    "  runtime [-o nerva_pfa_rt.c]\n"
    "                       write the PFA run-time support (and nerva_pfa_rt.h\n"
    "                       beside it) for units compiled with --shared-runtime\n"
    "  bench MODEL [--input FILE] [--json] [--min-seconds S]\n"
    "                       ns per record (single, batch, with CSV parsing; for\n"
    "                       PFA, per JSON line), compile time and code size\n"
    "  bench --kafka [MODEL] records/s and p99 latency through an embedded broker,\n"
    "                       scoring beside a forward-only run (see docs/kafka.md)\n"
    "  kafka MODEL -b BROKERS -t IN_TOPIC -o OUT_TOPIC [-G GROUP] [options]\n"
    "                       score a Kafka stream (nerva kafka --help)\n"
    "  broker [--brokers N] [--partitions P] [--address-file FILE]\n"
    "                       an embedded Kafka cluster (mock) for tests and demos\n"
    "  demo                 score a stream of card transactions end to end\n"
    "\n"
    "options:\n"
    "  -o FILE              output C file (default: MODEL's name with .c)\n"
    "  --header FILE        output header (default: the C file's name with .h)\n"
    "  --prefix NAME        C symbol prefix (default: from the model file name)\n"
    "  --depfile FILE       also write the outputs' dependencies (the model and\n"
    "                       this nerva binary) as a make rule, for make/ninja\n"
    "  --check-up-to-date   write nothing; exit 1 if OUT.c or OUT.h differs\n"
    "                       from what would be written\n"
    "  --tree-table-threshold N\n"
    "                       total tree nodes above which trees are emitted as\n"
    "                       tables walked by a loop instead of branches (4000)\n"
    "  --shared-runtime     PFA: the unit includes \"nerva_pfa_rt.h\" instead of\n"
    "                       carrying the run-time support it uses\n"
    "  -h, --help           this text;  --version  the version\n"
    "\n"
    "environment: CC (default cc), NERVA_CFLAGS (default -O2) for score/bench,\n"
    "NERVA_CACHE_DIR (default $XDG_CACHE_HOME/nerva or ~/.cache/nerva).\n"
    "exit codes: 0 ok, 1 bad model or input, 2 usage, 3 internal or toolchain failure\n";

typedef struct Opts {
    const char *cmd, *model, *out, *header, *prefix, *input, *output, *depfile;
    int threshold, dump_ir, check_up_to_date, json, shared_runtime, shared;
    const char *timeout;        /* score, PFA: milliseconds per action where the document sets none */
    const char *min_seconds;
    const char *to;             /* convert: the syntax to write (pfa, ppfa) */
} Opts;

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "nerva: %s%s%s\n", msg, arg ? " " : "", arg ? arg : "");
    fprintf(stderr, "try 'nerva --help'\n");
    return EXIT_USAGE;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* ---- the pipeline ---- */
typedef struct Compiled {
    Arena arena;
    Diags diags;
    IrProgram *ir;
    StrBuf c, h;
    const char *prefix, *header_name;
    double seconds;
} Compiled;

/* PrettyPFA, the readable syntax of PFA, by its name (.ppfa) */
static int is_ppfa(const char *path)
{
    const char *dot = strrchr(base_name(path), '.');
    return dot && !strcmp(dot, ".ppfa");
}

/* a PFA document by its name (.pfa, .json, .ppfa), else by its first character */
static int is_pfa(const char *path, const char *data, size_t len)
{
    const char *dot = strrchr(base_name(path), '.');
    if (dot && (!strcmp(dot, ".pfa") || !strcmp(dot, ".json") || is_ppfa(path)))
        return 1;
    if (dot && (!strcmp(dot, ".pmml") || !strcmp(dot, ".xml")))
        return 0;
    for (size_t i = 0; i < len; i++)
        if (data[i] != ' ' && data[i] != '\t' && data[i] != '\n' && data[i] != '\r')
            return data[i] == '{';
    return 0;
}

static IrProgram *frontend_pfa(Compiled *cm, const char *path, char *data, size_t len)
{
    PfaDoc *doc = is_ppfa(path) ? read_ppfa(&cm->arena, &cm->diags, path, data, len, NULL)
                                : read_pfa(&cm->arena, &cm->diags, path, data, len, NULL);
    free(data);
    if (!doc || cm->diags.errors)
        return NULL;
    PfaProgram *tp = typecheck_pfa(&cm->arena, &cm->diags, doc);
    if (!tp || cm->diags.errors)
        return NULL;
    IrProgram *p = lower_pfa(&cm->arena, &cm->diags, tp, path);
    return p && !cm->diags.errors ? p : NULL;
}

static IrProgram *frontend(Compiled *cm, const char *path)
{
    char *data;
    size_t len;
    int rc = read_file(path, &data, &len, (size_t)256 << 20);
    if (rc) {
        diag_error(&cm->diags, (Loc){.file = path},
                   rc == -2 ? "the file is larger than 256 MiB" : "cannot read the file");
        return NULL;
    }
    if (is_pfa(path, data, len))
        return frontend_pfa(cm, path, data, len);
    XElem *root = read_pmml(&cm->arena, &cm->diags, path, data, len, NULL);
    free(data);
    if (!root || cm->diags.errors)
        return NULL;
    IrProgram *p = lower_pmml(&cm->arena, &cm->diags, path, root);
    if (!p || cm->diags.errors)
        return NULL;
    IrBuilder b = {.a = &cm->arena, .d = &cm->diags, .p = p};
    pass_intern_strings(&b);
    pass_dead_stores(&b);
    return p;
}

static int compile_model(Compiled *cm, const Opts *o, int emit)
{
    double t0 = now();
    arena_init(&cm->arena);
    diags_init(&cm->diags);
    sb_init(&cm->c);
    sb_init(&cm->h);
    cm->ir = frontend(cm, o->model);
    if (!cm->ir)
        return EXIT_BAD;
    if (!emit)
        return 0;
    cm->prefix = o->prefix ? o->prefix : c_prefix_from_path(&cm->arena, o->model);
    cm->header_name = o->header ? base_name(o->header)
                                : arena_printf(&cm->arena, "%s.h", o->out ? "" : cm->prefix);
    if (!o->header && o->out && !o->shared) { /* a shared object's name does not change its code */
        const char *b = base_name(o->out);
        const char *dot = strrchr(b, '.');
        size_t n = dot ? (size_t)(dot - b) : strlen(b);
        cm->header_name = arena_printf(&cm->arena, "%.*s.h", (int)n, b);
    }
    EmitOptions eo = {.prefix = cm->prefix, .header_name = cm->header_name,
                      .tree_table_threshold = o->threshold, .version = NERVA_VERSION,
                      .shared_runtime = o->shared_runtime};
    if (emit_c(cm->ir, &eo, &cm->diags, &cm->c, &cm->h))
        return EXIT_BAD;
    cm->seconds = now() - t0;
    return 0;
}

static void compiled_free(Compiled *cm)
{
    sb_free(&cm->c);
    sb_free(&cm->h);
    arena_free(&cm->arena);
}

/* ---- commands ---- */

static int write_or_compare(const char *path, const StrBuf *b, int check_only)
{
    if (check_only) {
        char *old;
        size_t len;
        if (read_file(path, &old, &len, (size_t)1 << 30))
            return 1;
        int same = len == b->len && memcmp(old, b->data, len) == 0;
        free(old);
        return !same;
    }
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp%d", path, (int)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        fprintf(stderr, "nerva: cannot write %s\n", path);
        return -1;
    }
    int ok = fwrite(b->data, 1, b->len, f) == b->len;
    ok &= fclose(f) == 0;
    if (!ok || rename(tmp, path)) {
        remove(tmp);
        fprintf(stderr, "nerva: cannot write %s\n", path);
        return -1;
    }
    return 0;
}

/* A path in make syntax (which ninja reads too): blanks and '#' escaped with
 * a backslash, '$' doubled.  A line break cannot be written: returns -1. */
static int dep_path(StrBuf *s, const char *p)
{
    for (; *p; p++) {
        if (*p == '\n' || *p == '\r')
            return -1;
        if (*p == ' ' || *p == '\t' || *p == '#')
            sb_putc(s, '\\');
        else if (*p == '$')
            sb_putc(s, '$');
        sb_putc(s, *p);
    }
    return 0;
}

/* --depfile: "OUT.c OUT.h: MODEL NERVA", then an empty rule for each
 * prerequisite (as gcc -MP writes, so that a removed file does not stop
 * make).  Generated code depends on the binary that wrote it, so the binary's
 * own path is listed (from /proc/self/exe; left out where there is none).
 * Returns -1 when a name cannot be written in make syntax. */
static int depfile_text(StrBuf *s, const char *out, const char *hdr, const char *model)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = 0;
    const char *pre[2] = {model, self[0] ? self : NULL};
    int bad = dep_path(s, out);
    sb_putc(s, ' ');
    bad |= dep_path(s, hdr);
    sb_putc(s, ':');
    for (int i = 0; i < 2 && pre[i]; i++) {
        sb_putc(s, ' ');
        bad |= dep_path(s, pre[i]);
    }
    for (int i = 0; i < 2 && pre[i]; i++) {
        sb_putc(s, '\n');
        bad |= dep_path(s, pre[i]);
        sb_putc(s, ':');
    }
    sb_putc(s, '\n');
    return bad;
}

/* compile --shared: the model and runtime/model_entry.c as one shared
   object, built through the cache and copied to -o (default MODEL.so) */
static int build_shared(Compiled *cm, const Opts *o)
{
    BuildRequest rq = {.c_src = cm->c.data, .h_src = cm->h.data, .header_name = cm->header_name,
                       .prefix = cm->prefix, .use_cache = 1, .shared = 1, .pfa = cm->ir->eng != NULL};
    BuildResult br;
    if (tc_build_scorer(&rq, &br))
        return EXIT_INTERNAL;
    const char *out = o->out;
    if (!out) {
        const char *b = base_name(o->model);
        const char *dot = strrchr(b, '.');
        out = arena_printf(&cm->arena, "%.*s.so", (int)(dot ? (size_t)(dot - b) : strlen(b)), b);
    }
    StrBuf so = {0};
    if (read_file(br.exe, &so.data, &so.len, (size_t)1 << 30)) {
        fprintf(stderr, "nerva: cannot read %s\n", br.exe);
        return EXIT_INTERNAL;
    }
    int rc = write_or_compare(out, &so, 0);
    free(so.data);
    return rc ? EXIT_INTERNAL : 0;
}

static int cmd_compile(const Opts *o)
{
    if (o->depfile && (o->dump_ir || o->check_up_to_date || (o->out && !strcmp(o->out, "-"))))
        return usage_error("--depfile goes with written files, not with", o->dump_ir ? "--dump-ir"
                           : o->check_up_to_date ? "--check-up-to-date" : "-o -");
    Compiled cm;
    int rc = compile_model(&cm, o, !o->dump_ir);
    if (rc) {
        compiled_free(&cm);
        return rc;
    }
    if (o->dump_ir) {
        StrBuf s;
        sb_init(&s);
        ir_dump(cm.ir, &s);
        fputs(s.data, stdout);
        sb_free(&s);
        compiled_free(&cm);
        return 0;
    }
    const char *out = o->out;
    if (!out) {
        const char *b = base_name(o->model);
        const char *dot = strrchr(b, '.');
        size_t n = dot ? (size_t)(dot - b) : strlen(b);
        out = arena_printf(&cm.arena, "%.*s.c", (int)n, b);
    }
    const char *hdr = o->header;
    if (!hdr) {
        const char *dot = strrchr(out, '.');
        size_t n = dot && dot > strrchr(out, '/') ? (size_t)(dot - out) : strlen(out);
        hdr = arena_printf(&cm.arena, "%.*s.h", (int)n, out);
    }
    if (o->shared) {
        rc = build_shared(&cm, o);
        compiled_free(&cm);
        return rc;
    }
    if (strcmp(out, "-") == 0) {
        fputs(cm.c.data, stdout);
        compiled_free(&cm);
        return 0;
    }
    StrBuf dep;
    sb_init(&dep);
    if (o->depfile && depfile_text(&dep, out, hdr, o->model)) {
        fprintf(stderr, "nerva: a file name with a line break cannot go in %s\n", o->depfile);
        sb_free(&dep);
        compiled_free(&cm);
        return EXIT_INTERNAL;
    }
    int r1 = write_or_compare(out, &cm.c, o->check_up_to_date);
    int r2 = write_or_compare(hdr, &cm.h, o->check_up_to_date);
    int r3 = o->depfile && r1 >= 0 && r2 >= 0 ? write_or_compare(o->depfile, &dep, 0) : 0;
    int stale = o->check_up_to_date && r1 >= 0 && r2 >= 0 && (r1 || r2);
    if (stale) /* before the arena that holds the names goes */
        fprintf(stderr, "nerva: %s is not up to date with %s\n", r1 ? out : hdr, o->model);
    sb_free(&dep);
    compiled_free(&cm);
    if (r1 < 0 || r2 < 0 || r3 < 0)
        return EXIT_INTERNAL;
    return stale ? EXIT_BAD : 0;
}

static int cmd_check(const Opts *o)
{
    Compiled cm;
    int rc = compile_model(&cm, o, 1);
    compiled_free(&cm);
    return rc;
}

static const char *type_text(const IrType *t) { return ir_type_name(ir_base((IrType *)t)); }

static int cmd_info(const Opts *o)
{
    Compiled cm;
    int rc = compile_model(&cm, o, 1);
    if (rc) {
        compiled_free(&cm);
        return rc;
    }
    const IrProgram *p = cm.ir;
    if (p->eng) {
        const IrEngine *g = p->eng;
        StrBuf in, out;
        sb_init(&in);
        sb_init(&out);
        ir_type_schema(g->input, &in);
        ir_type_schema(g->output, &out);
        printf("engine:  %s\n", p->name ? p->name : "(unnamed)");
        printf("file:    %s\n", p->source);
        printf("kinds:   %s\n", p->kind);
        printf("prefix:  %s\n", cm.prefix);
        printf("code:    %zu bytes of C\n", cm.c.len);
        printf("input:   %s\n", in.data);
        printf("output:  %s\n", out.data);
        printf("cells:   %d\n", g->ncells);
        for (int i = 0; i < g->ncells; i++)
            printf("  %-30s %s\n", g->cells[i].name, ir_type_name(g->cells[i].type));
        printf("pools:   %d\n", g->npools);
        for (int i = 0; i < g->npools; i++)
            printf("  %-30s %s\n", g->pools[i].name, ir_type_name(g->pools[i].type));
        printf("functions: %d\n", g->nfuncs);
        sb_free(&in);
        sb_free(&out);
        compiled_free(&cm);
        return 0;
    }
    long nodes = 0;
    for (int t = 0; t < p->ntrees; t++)
        nodes += p->trees[t]->nnodes;
    printf("model:   %s\n", p->name ? p->name : "(unnamed)");
    printf("file:    %s\n", p->source);
    printf("kinds:   %s\n", p->kind ? p->kind : "");
    printf("trees:   %d (%ld nodes)\n", p->ntrees, nodes);
    printf("prefix:  %s\n", cm.prefix);
    printf("code:    %zu bytes of C\n", cm.c.len);
    printf("inputs:  %d\n", p->ninputs);
    for (int i = 0; i < p->ninputs; i++)
        printf("  %-30s %s\n", p->inputs[i].name, type_text(p->inputs[i].type));
    printf("outputs: %d\n", p->noutputs);
    for (int i = 0; i < p->noutputs; i++)
        printf("  %-30s %s\n", p->outputs[i].name, type_text(p->outputs[i].type));
    compiled_free(&cm);
    return 0;
}

static int cmd_score(const Opts *o, int bench)
{
    Compiled cm;
    int rc = compile_model(&cm, o, 1);
    if (rc) {
        compiled_free(&cm);
        return rc;
    }
    BuildRequest rq = {.c_src = cm.c.data, .h_src = cm.h.data, .header_name = cm.header_name,
                       .prefix = cm.prefix, .use_cache = !bench, .pfa = cm.ir->eng != NULL};
    BuildResult br;
    rc = tc_build_scorer(&rq, &br);
    if (rc) {
        compiled_free(&cm);
        return EXIT_INTERNAL;
    }
    char *argv[12];
    int n = 0;
    argv[n++] = br.exe;
    if (!bench) {
        argv[n++] = "score";
        argv[n++] = "--input";
        argv[n++] = (char *)(o->input ? o->input : "-");
        argv[n++] = "--output";
        argv[n++] = (char *)(o->output ? o->output : "-");
        if (o->timeout && cm.ir->eng) {
            argv[n++] = "--timeout";
            argv[n++] = (char *)o->timeout;
        }
        argv[n] = NULL;
        rc = tc_run(argv, NULL);
        compiled_free(&cm);
        return rc == 0 ? 0 : rc == 2 ? EXIT_INTERNAL : rc;
    }
    if (!o->input) {
        compiled_free(&cm);
        return usage_error("bench needs --input FILE", NULL);
    }
    argv[n++] = "bench";
    argv[n++] = "--input";
    argv[n++] = (char *)o->input;
    argv[n++] = "--json";
    if (o->min_seconds) {
        argv[n++] = "--min-seconds";
        argv[n++] = (char *)o->min_seconds;
    }
    argv[n] = NULL;
    char *json = NULL;
    rc = tc_run(argv, &json);
    if (rc) {
        free(json);
        compiled_free(&cm);
        return rc == 1 ? EXIT_BAD : EXIT_INTERNAL;
    }
    double compile_s = cm.seconds + br.seconds;
    /* the driver prints {"single_ns":..,...}; add what only nerva knows */
    char *end = strrchr(json, '}');
    if (!end) {
        fprintf(stderr, "nerva: the scorer printed no results\n");
        free(json);
        compiled_free(&cm);
        return EXIT_INTERNAL;
    }
    *end = 0;
    if (o->json)
        printf("%s, \"compile_s\": %.3f, \"code_bytes\": %zu}\n", json, compile_s, cm.c.len);
    else {
        double single = 0, batch = 0, csv = 0;
        const char *s;
        if ((s = strstr(json, "\"single_ns\":")))
            single = strtod(s + 12, NULL);
        if ((s = strstr(json, "\"batch_ns\":")))
            batch = strtod(s + 11, NULL);
        if ((s = strstr(json, "\"csv_ns\":")))
            csv = strtod(s + 9, NULL);
        printf("model:       %s\n", base_name(o->model));
        if (cm.ir->eng)
            printf("action:      %.1f ns/record (JSON in, action, JSON out)\n", single);
        else {
            printf("single:      %.1f ns/record\n", single);
            printf("batch:       %.1f ns/record\n", batch);
            printf("with CSV:    %.1f ns/record\n", csv);
        }
        printf("compile:     %.3f s (nerva %.3f s + cc %.3f s)\n", compile_s, cm.seconds, br.seconds);
        printf("code:        %zu bytes of C\n", cm.c.len);
    }
    free(json);
    compiled_free(&cm);
    return 0;
}

/* nerva runtime [-o nerva_pfa_rt.c]: the PFA run-time support that engines
   compiled with --shared-runtime link with, and its header beside it */
static int cmd_runtime(const Opts *o)
{
    StrBuf c, h;
    sb_init(&c);
    sb_init(&h);
    emit_pfa_runtime(&c, &h, NERVA_VERSION);
    const char *out = o->out ? o->out : "nerva_pfa_rt.c";
    const char *slash = strrchr(out, '/');
    char hdr[4200];
    snprintf(hdr, sizeof hdr, "%.*snerva_pfa_rt.h", slash ? (int)(slash - out + 1) : 0, out);
    int r1 = write_or_compare(out, &c, 0), r2 = write_or_compare(hdr, &h, 0);
    sb_free(&c);
    sb_free(&h);
    return r1 || r2 ? EXIT_INTERNAL : 0;
}

static int parse_args(int argc, char **argv, Opts *o)
{
    memset(o, 0, sizeof *o);
    o->threshold = 4000;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_ARG()                                          \
    do {                                                    \
        if (!next)                                          \
            return usage_error("missing value for", a);     \
        i++;                                                \
    } while (0)
        if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            NEED_ARG();
            if (o->cmd && !strcmp(o->cmd, "score"))
                o->output = next;
            else
                o->out = next;
        } else if (!strcmp(a, "--header")) {
            NEED_ARG();
            o->header = next;
        } else if (!strcmp(a, "--depfile")) {
            NEED_ARG();
            o->depfile = next;
        } else if (!strcmp(a, "--prefix")) {
            NEED_ARG();
            o->prefix = next;
        } else if (!strcmp(a, "--input") || !strcmp(a, "-i")) {
            NEED_ARG();
            o->input = next;
        } else if (!strcmp(a, "--tree-table-threshold")) {
            NEED_ARG();
            char *end;
            long v = strtol(next, &end, 10);
            if (*end || v < 0 || v > 1000000000)
                return usage_error("bad --tree-table-threshold", next);
            o->threshold = (int)v;
        } else if (!strcmp(a, "--to")) {
            NEED_ARG();
            o->to = next;
        } else if (!strcmp(a, "--min-seconds")) {
            NEED_ARG();
            o->min_seconds = next;
        } else if (!strcmp(a, "--timeout")) {
            NEED_ARG();
            char *end;
            long long v = strtoll(next, &end, 10);
            if (*end || !*next || v < 0 || v > 86400000)
                return usage_error("bad --timeout (milliseconds)", next);
            o->timeout = next;
        } else if (!strcmp(a, "--dump-ir"))
            o->dump_ir = 1;
        else if (!strcmp(a, "--check-up-to-date"))
            o->check_up_to_date = 1;
        else if (!strcmp(a, "--json"))
            o->json = 1;
        else if (!strcmp(a, "--shared-runtime"))
            o->shared_runtime = 1;
        else if (!strcmp(a, "--shared"))
            o->shared = 1;
        else if (a[0] == '-' && a[1] && strcmp(a, "-") != 0)
            return usage_error("unknown option", a);
        else if (!o->cmd)
            o->cmd = a;
        else if (!o->model)
            o->model = a;
        else
            return usage_error("unexpected argument", a);
#undef NEED_ARG
    }
    return 0;
}

/* `nerva kafka|broker|demo` and `nerva bench --kafka` are the Kafka harness,
   a program of its own (nerva-kafka, beside nerva) so that the compiler
   needs no librdkafka. */
static int run_harness(int argc, char **argv)
{
    char self[4096], exe[4200];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return usage_error("cannot find the nerva executable", NULL);
    self[n] = 0;
    char *slash = strrchr(self, '/');
    snprintf(exe, sizeof exe, "%.*s/nerva-kafka", (int)(slash - self), self);
    setenv("NERVA", self, 0);
    argv[0] = exe;
    execv(exe, argv);
    fprintf(stderr, "nerva: the Kafka harness is not installed (%s); build nerva with librdkafka-dev\n", exe);
    (void)argc;
    return EXIT_INTERNAL;
}

int main(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "kafka") || !strcmp(argv[1], "broker") || !strcmp(argv[1], "demo")))
        return run_harness(argc, argv);
    for (int i = 2; i < argc && !strcmp(argv[1], "bench"); i++)
        if (!strcmp(argv[i], "--kafka"))
            return run_harness(argc, argv);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--version")) {
            printf("nerva %s\n", NERVA_VERSION);
            return 0;
        }
    }
    Opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc;
    if (!o.cmd)
        return usage_error("no command given", NULL);
    int known = !strcmp(o.cmd, "compile") || !strcmp(o.cmd, "check") || !strcmp(o.cmd, "info") ||
                !strcmp(o.cmd, "score") || !strcmp(o.cmd, "bench") || !strcmp(o.cmd, "runtime") ||
                !strcmp(o.cmd, "convert");
    if (!known)
        return usage_error("unknown command", o.cmd);
    if (!strcmp(o.cmd, "runtime")) {
        if (o.model)
            return usage_error("unexpected argument", o.model);
        return cmd_runtime(&o);
    }
    if (!o.model)
        return usage_error("no model file given", NULL);
    if (!strcmp(o.cmd, "convert"))
        return cmd_convert(o.model, o.out, o.to);
    if (!strcmp(o.cmd, "compile"))
        return cmd_compile(&o);
    if (!strcmp(o.cmd, "check"))
        return cmd_check(&o);
    if (!strcmp(o.cmd, "info"))
        return cmd_info(&o);
    if (!strcmp(o.cmd, "score"))
        return cmd_score(&o, 0);
    return cmd_score(&o, 1);
}
