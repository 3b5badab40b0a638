/* nerva: compile PMML models and PFA documents to standalone C.
 *
 * The pipeline, one call per phase:
 *   read_file -> read_pmml (XML to element tree) -> lower_pmml (to the IR)
 *   -> pass_intern_strings -> pass_propagate -> pass_dead_stores -> emit_c (the C backend)
 *   -> toolchain (score/bench);
 *   for PFA: read_pfa (JSON to syntax tree) -> typecheck_pfa -> lower_pfa -> emit_c.
 * Exit codes: 0 ok, 1 bad model or input, 2 usage, 3 internal or toolchain. */
#include "cli.h"
#include "bounds.h"
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
#ifdef __GLIBC__
#include <malloc.h>
#endif

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
    int rc = read_file(path, &data, &len, (size_t)nv_limits.file_bytes);
    if (rc) {
        if (rc == -2)
            diag_error(&cm->diags, (Loc){.file = path}, "the file is larger than %lld bytes%s",
                       nv_limits.file_bytes, limits_hint("file-bytes"));
        else
            diag_error(&cm->diags, (Loc){.file = path}, "cannot read the file");
        return NULL;
    }
    if (is_pfa(path, data, len))
        return frontend_pfa(cm, path, data, len);
    /* The element tree's nodes have an arena of their own, freed once the
       document is lowered (the IR keeps only its strings, which are in the
       compilation's arena): for a big forest they are most of the reader's
       memory, and the backend's comes after. */
    Arena tree;
    arena_init(&tree);
    XElem *root = read_pmml_split(&cm->arena, &tree, &cm->diags, path, data, len, NULL); /* frees data */
    IrProgram *p = root && !cm->diags.errors ? lower_pmml(&cm->arena, &cm->diags, path, root) : NULL;
    arena_free(&tree);
#ifdef __GLIBC__
    /* glibc keeps the freed pages; the backend's large buffers (the unit's
       text) are mapped afresh and would not reuse them */
    malloc_trim(0);
#endif
    if (!p || cm->diags.errors)
        return NULL;
    IrBuilder b = {.a = &cm->arena, .d = &cm->diags, .p = p};
    pass_intern_strings(&b);
    pass_propagate(&b);
    pass_dead_stores(&b);
    return p;
}

/* how diagnostics look, from the options and the terminal */
static void diag_style(Diags *d, const Opts *o)
{
    d->werror = o->werror;
    d->no_warnings = o->no_warnings;
    d->json = o->diag_json;
    const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
    d->color = o->color == COLOR_ALWAYS ||
               (o->color == COLOR_AUTO && !d->json && isatty(2) && !(nc && *nc) && !(term && !strcmp(term, "dumb")));
}

static int compile_model(Compiled *cm, const Opts *o, const char *model, int emit)
{
    double t0 = now();
    arena_init(&cm->arena);
    diags_init(&cm->diags);
    diag_style(&cm->diags, o);
    sb_init(&cm->c);
    sb_init(&cm->h);
    progress_phase(arena_printf(&cm->arena, "reading %s", base_name(model)));
    cm->ir = frontend(cm, model);
    progress_done();
    if (!cm->ir)
        return EXIT_BAD;
    if (!emit)
        return 0;
    cm->prefix = o->prefix ? o->prefix : c_prefix_from_path(&cm->arena, model);
    /* a unit nerva builds itself (score, bench, --shared; check) is model.c
       with model.h beside it, whatever the model's name */
    cm->header_name = o->header ? base_name(o->header) : "model.h";
    if (!o->header && !o->shared && o->cmd == CMD_COMPILE) {
        /* the header written beside OUT.c (by default, the model's name) */
        const char *b = base_name(o->out ? o->out : model);
        const char *dot = strrchr(b, '.');
        size_t n = dot ? (size_t)(dot - b) : strlen(b);
        cm->header_name = arena_printf(&cm->arena, "%.*s.h", (int)n, b);
    }
    EmitOptions eo = {.prefix = cm->prefix, .header_name = cm->header_name,
                      .tree_layout = (TreeLayout)o->tree_layout,
                      .tree_table_threshold = o->threshold, .version = NERVA_VERSION,
                      .shared_runtime = o->shared_runtime};
    progress_phase("generating C");
    int bad = emit_c(cm->ir, &eo, &cm->diags, &cm->c, &cm->h);
    progress_done();
    if (bad || cm->diags.errors)
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
    Compiled cm;
    int rc = compile_model(&cm, o, o->model, !o->dump_ir);
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

/* every model given; the status is the worst */
static int cmd_check(const Opts *o)
{
    int worst = 0;
    for (int i = 0; i < o->nargs; i++) {
        Compiled cm;
        int rc = compile_model(&cm, o, o->args[i], 1);
        compiled_free(&cm);
        if (rc > worst)
            worst = rc;
    }
    return worst;
}

static const char *type_text(const IrType *t) { return ir_type_name(ir_base((IrType *)t)); }

/* the model's interface as JSON (info --json) */
static void info_fields(StrBuf *o, const char *key, const IrField *f, int n)
{
    sb_printf(o, ", \"%s\": [", key);
    for (int i = 0; i < n; i++) {
        sb_puts(o, i ? ", {\"name\": " : "{\"name\": ");
        sb_json_str(o, f[i].name);
        sb_printf(o, ", \"type\": \"%s\"}", type_text(f[i].type));
    }
    sb_puts(o, "]");
}

static void info_json(const Compiled *cm)
{
    const IrProgram *p = cm->ir;
    StrBuf o;
    sb_init(&o);
    sb_puts(&o, "{\"file\": ");
    sb_json_str(&o, p->source ? p->source : "");
    sb_puts(&o, ", \"name\": ");
    sb_json_str(&o, p->name ? p->name : "");
    sb_printf(&o, ", \"language\": \"%s\", \"kinds\": ", p->eng ? "pfa" : "pmml");
    sb_json_str(&o, p->kind ? p->kind : "");
    sb_puts(&o, ", \"prefix\": ");
    sb_json_str(&o, cm->prefix);
    sb_printf(&o, ", \"code_bytes\": %zu", cm->c.len);
    if (p->eng) {
        const IrEngine *g = p->eng;
        sb_puts(&o, ", \"input\": ");
        ir_type_schema(g->input, &o);
        sb_puts(&o, ", \"output\": ");
        ir_type_schema(g->output, &o);
        for (int k = 0; k < 2; k++) {
            sb_puts(&o, k ? ", \"pools\": [" : ", \"cells\": [");
            int n = k ? g->npools : g->ncells;
            for (int i = 0; i < n; i++) {
                sb_puts(&o, i ? ", {\"name\": " : "{\"name\": ");
                sb_json_str(&o, k ? g->pools[i].name : g->cells[i].name);
                sb_puts(&o, ", \"type\": ");
                ir_type_schema(k ? g->pools[i].type : g->cells[i].type, &o);
                sb_puts(&o, "}");
            }
            sb_puts(&o, "]");
        }
    } else {
        long nodes = 0;
        for (int t = 0; t < p->ntrees; t++)
            nodes += p->trees[t]->nnodes;
        sb_printf(&o, ", \"interface_hash\": \"%016llx\", \"trees\": %d, \"tree_nodes\": %ld",
                  (unsigned long long)ir_interface_hash(p), p->ntrees, nodes);
        info_fields(&o, "inputs", p->inputs, p->ninputs);
        info_fields(&o, "outputs", p->outputs, p->noutputs);
    }
    sb_puts(&o, "}\n");
    fputs(o.data, stdout);
    sb_free(&o);
}

static int cmd_info(const Opts *o)
{
    Compiled cm;
    int rc = compile_model(&cm, o, o->model, 1);
    if (rc) {
        compiled_free(&cm);
        return rc;
    }
    const IrProgram *p = cm.ir;
    if (o->json) {
        info_json(&cm);
        compiled_free(&cm);
        return 0;
    }
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

/* --format json, --separator and the rest of the record options: what the
   scorer program is told; for a PFA engine (JSON lines only) the CSV ones
   are usage errors */
static int record_args(const Opts *o, int pfa, char **argv, int n)
{
    const char *input = o->input ? o->input : "-";
    const char *dot = strrchr(base_name(input), '.');
    if (pfa) {
        const char *csv_only = o->separator ? "--separator" : o->missing_values ? "--missing-values"
                             : o->allow_missing_columns ? "--allow-missing-columns" : o->copy_columns ? "--copy-columns"
                             : o->on_error ? "--on-error" : o->format && !strcmp(o->format, "csv") ? "--format csv"
                             : NULL;
        if (csv_only)
            return -cli_usage_error(o, "%s is for PMML models; a PFA engine reads and writes JSON lines", csv_only);
        if (o->timeout) {
            argv[n++] = "--timeout";
            argv[n++] = (char *)o->timeout;
        }
        return n;
    }
    if (o->timeout)
        return -cli_usage_error(o, "--timeout is for PFA engines (a PMML model has no loops to bound)");
    if (o->format || (dot && (!strcmp(dot, ".jsonl") || !strcmp(dot, ".ndjson")))) {
        argv[n++] = "--format";
        argv[n++] = (char *)(o->format ? o->format : "json");
    }
    if (o->separator || (dot && !strcmp(dot, ".tsv"))) {
        argv[n++] = "--separator";
        argv[n++] = (char *)(o->separator ? o->separator : "\\t");
    }
    if (o->missing_values) {
        argv[n++] = "--missing-values";
        argv[n++] = (char *)o->missing_values;
    }
    if (o->allow_missing_columns)
        argv[n++] = "--allow-missing-columns";
    if (o->on_error) {
        argv[n++] = "--on-error";
        argv[n++] = (char *)o->on_error;
    }
    if (o->copy_columns) {
        argv[n++] = "--copy-columns";
        argv[n++] = (char *)o->copy_columns;
    }
    return n;
}

/* what besides the model's bytes decides a scorer: for the early cache key */
static const char *score_options(Arena *a, const Opts *o, int bench)
{
    return arena_printf(a, "%s threshold=%d layout=%d prefix=%s", bench ? "bench" : "score", o->threshold,
                        o->tree_layout,
                        c_prefix_from_path(a, o->model));
}

static int run_scorer(const Opts *o, const char *exe, int pfa)
{
    char *argv[32];
    int n = 0;
    argv[n++] = (char *)exe;
    argv[n++] = "score";
    argv[n++] = "--input";
    argv[n++] = (char *)(o->input ? o->input : "-");
    argv[n++] = "--output";
    argv[n++] = (char *)(o->output ? o->output : "-");
    n = record_args(o, pfa, argv, n);
    if (n < 0)
        return -n;
    argv[n] = NULL;
    int rc = tc_run(argv, NULL);
    return rc == 0 ? 0 : rc == 2 ? EXIT_INTERNAL : rc;
}

static int cmd_score(const Opts *o, int bench)
{
    /* a build of the same model, options, nerva and compiler: no need to
       read, lower and generate it again */
    uint64_t early = 0;
    if (!bench) {
        char *data;
        size_t len;
        if (read_file(o->model, &data, &len, (size_t)256 << 20) == 0) {
            Arena a;
            arena_init(&a);
            early = tc_early_key(data, len, score_options(&a, o, bench));
            arena_free(&a);
            free(data);
            BuildResult br;
            int pfa;
            if (tc_find_early(early, 0, &br, &pfa))
                return run_scorer(o, br.exe, pfa);
        }
    }
    Compiled cm;
    int rc = compile_model(&cm, o, o->model, 1);
    if (rc) {
        compiled_free(&cm);
        return rc;
    }
    int pfa = cm.ir->eng != NULL;
    if (!bench) {
        char *probe[32];
        rc = record_args(o, pfa, probe, 0);
        if (rc < 0) {
            compiled_free(&cm);
            return -rc;
        }
    }
    /* a model with warnings is not filed under its early key, so that they
       are said again on the next run */
    BuildRequest rq = {.c_src = cm.c.data, .h_src = cm.h.data, .header_name = cm.header_name,
                       .prefix = cm.prefix, .use_cache = !bench, .pfa = pfa,
                       .early_key = cm.diags.warnings ? 0 : early};
    BuildResult br;
    rc = tc_build_scorer(&rq, &br);
    progress_done();
    if (rc) {
        compiled_free(&cm);
        return EXIT_INTERNAL;
    }
    if (!bench) {
        rc = run_scorer(o, br.exe, pfa);
        compiled_free(&cm);
        return rc;
    }
    char *argv[12];
    int n = 0;
    argv[n++] = br.exe;
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
        if (pfa)
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

/* nerva cache path|size|clean */
static int cmd_cache(const Opts *o)
{
    const char *verb = o->args[0];
    char root[3000];
    tc_cache_root(root, sizeof root);
    if (!strcmp(verb, "path")) {
        printf("%s\n", root);
        return 0;
    }
    long builds;
    long long bytes;
    int rc = !strcmp(verb, "clean") ? tc_cache_clean(&builds, &bytes) : tc_cache_size(&builds, &bytes);
    if (rc)
        return rc;
    if (!strcmp(verb, "clean"))
        printf("removed %ld builds, %lld bytes, from %s\n", builds, bytes, root);
    else
        printf("%lld bytes in %ld builds in %s\n", bytes, builds, root);
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

/* `nerva kafka|broker|demo` and `nerva bench --kafka` are the Kafka harness,
   a program of its own (nerva-kafka, beside nerva) so that the compiler
   needs no librdkafka. */
static int run_harness(int argc, char **argv)
{
    char self[4096], exe[4200];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return fprintf(stderr, "nerva: cannot find the nerva executable\n"), EXIT_INTERNAL;
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
    Opts o;
    int rc = cli_parse(argc, argv, &o);
    if (rc >= 0)
        return rc;
    switch (o.cmd) {
    case CMD_COMPILE: return cmd_compile(&o);
    case CMD_CHECK: return cmd_check(&o);
    case CMD_INFO: return cmd_info(&o);
    case CMD_SCORE: return cmd_score(&o, 0);
    case CMD_BENCH: return cmd_score(&o, 1);
    case CMD_RUNTIME: return cmd_runtime(&o);
    case CMD_CACHE: return cmd_cache(&o);
    case CMD_CONVERT: return cmd_convert(o.model, o.out, o.to);
    }
    return EXIT_INTERNAL;
}
