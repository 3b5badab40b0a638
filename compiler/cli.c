/* nerva's command line, parsed the way gcc's and jq's users expect: GNU
 * getopt_long (so --opt=value, --opt value, bundled short options and `--`
 * all work), one table of every option saying which commands take it, so
 * that an option a command does not use is an error that says so rather
 * than something silently ignored, and help per command generated from the
 * same table (`nerva score --help`). */
#include "cli.h"
#include "bounds.h"
#include "read_pfa.h"
#include "read_pmml.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define C(x) (1u << (x))
#define MODEL_CMDS (C(CMD_COMPILE) | C(CMD_CHECK) | C(CMD_INFO) | C(CMD_SCORE) | C(CMD_BENCH))

static const struct {
    const char *name, *operands, *summary;
} commands[CMD__COUNT] = {
    [CMD_COMPILE] = {"compile", "MODEL", "write the model as one C99 unit and its header"},
    [CMD_CHECK] = {"check", "MODEL...", "validate models: read, lower and generate, write nothing"},
    [CMD_INFO] = {"info", "MODEL", "the model's interface: inputs, outputs, types, kinds, sizes"},
    [CMD_SCORE] = {"score", "MODEL", "compile, build (cached) and score records: CSV or JSON lines"},
    [CMD_BENCH] = {"bench", "MODEL", "ns per record (single, batch, with parsing), compile time, code size"},
    [CMD_RUNTIME] = {"runtime", "", "write the PFA run-time support for units built with --shared-runtime"},
    [CMD_CACHE] = {"cache", "clean|size|path", "the cache of built scorers"},
    [CMD_CONVERT] = {"convert", "MODEL", "PrettyPFA (.ppfa) to PFA's JSON, or JSON to PrettyPFA (--to ppfa)"},
};

enum {
    O_HELP = 'h', O_OUT = 'o', O_INPUT = 'i', O_VERSION = 'V', O_W = 'W', O_NOWARN = 'w',
    O_HEADER = 256, O_PREFIX, O_DEPFILE, O_THRESHOLD, O_DUMP_IR, O_UP_TO_DATE, O_SHARED, O_SHARED_RT,
    O_TIMEOUT, O_MIN_SECONDS, O_JSON, O_FORMAT, O_SEPARATOR, O_MISSING_VALUES, O_ALLOW_MISSING, O_ON_ERROR,
    O_COPY_COLUMNS, O_COLOR, O_DIAG_FORMAT, O_KAFKA, O_TO, O_LIMIT,
};

typedef struct OptSpec {
    const char *name;    /* long name; NULL for a short-only option */
    int has_arg;
    int key;
    unsigned cmds;       /* the commands that take it */
    const char *arg, *help;
} OptSpec;

static const OptSpec specs[] = {
    {"output", required_argument, O_OUT, C(CMD_COMPILE) | C(CMD_SCORE) | C(CMD_RUNTIME) | C(CMD_CONVERT), "FILE",
     "compile: the C file (default MODEL.c; - for standard output); score, convert: the results (default -)"},
    {"to", required_argument, O_TO, C(CMD_CONVERT), "pfa|ppfa",
     "the syntax to write (default: the other one than the model's)"},
    {"header", required_argument, O_HEADER, C(CMD_COMPILE), "FILE", "the header to write (default: the C file's, .h)"},
    {"prefix", required_argument, O_PREFIX, C(CMD_COMPILE), "NAME", "C symbol prefix (default: from the file name)"},
    {"depfile", required_argument, O_DEPFILE, C(CMD_COMPILE), "FILE",
     "also write the outputs' dependencies as a make rule"},
    {"check-up-to-date", no_argument, O_UP_TO_DATE, C(CMD_COMPILE), NULL,
     "write nothing; exit 1 if the files differ from what would be written"},
    {"dump-ir", no_argument, O_DUMP_IR, C(CMD_COMPILE), NULL, "print the IR instead of writing C"},
    {"shared", no_argument, O_SHARED, C(CMD_COMPILE), NULL, "build a shared object (-o OUT.so) for hosts that dlopen"},
    {"shared-runtime", no_argument, O_SHARED_RT, C(CMD_COMPILE), NULL,
     "PFA: include nerva_pfa_rt.h instead of carrying the run-time support"},
    {"tree-table-threshold", required_argument, O_THRESHOLD, C(CMD_COMPILE) | C(CMD_SCORE) | C(CMD_BENCH), "N",
     "tree nodes above which trees become tables walked by a loop (4000)"},
    {"input", required_argument, O_INPUT, C(CMD_SCORE) | C(CMD_BENCH), "FILE", "the records (default -: standard input)"},
    {"format", required_argument, O_FORMAT, C(CMD_SCORE), "csv|json",
     "records as CSV (default for PMML) or JSON lines (PFA: always)"},
    {"separator", required_argument, O_SEPARATOR, C(CMD_SCORE), "C",
     "the CSV cell separator, one character or \\t (default ',', TAB for .tsv)"},
    {"missing-values", required_argument, O_MISSING_VALUES, C(CMD_SCORE), "LIST",
     "comma-separated cells that mean missing, beside the empty cell (default NA,N/A)"},
    {"allow-missing-columns", no_argument, O_ALLOW_MISSING, C(CMD_SCORE), NULL,
     "an input with no column is missing in every record (default: an error)"},
    {"on-error", required_argument, O_ON_ERROR, C(CMD_SCORE), "fail|skip|missing",
     "a record that cannot be read: stop (default), skip it, or score it as missing"},
    {"copy-columns", required_argument, O_COPY_COLUMNS, C(CMD_SCORE), "LIST",
     "input columns to copy into the output, comma-separated (ids, keys)"},
    {"timeout", required_argument, O_TIMEOUT, C(CMD_SCORE), "MS",
     "PFA: the limit per action where the document sets none"},
    {"json", no_argument, O_JSON, C(CMD_BENCH) | C(CMD_INFO), NULL, "print JSON"},
    {"min-seconds", required_argument, O_MIN_SECONDS, C(CMD_BENCH), "S", "time each measurement at least S seconds"},
    {"kafka", no_argument, O_KAFKA, C(CMD_BENCH), NULL, "bench through an embedded Kafka cluster (nerva-kafka)"},
    {"color", required_argument, O_COLOR, MODEL_CMDS, "auto|always|never",
     "colour diagnostics (default auto: on a terminal, unless NO_COLOR is set)"},
    {"diagnostics-format", required_argument, O_DIAG_FORMAT, MODEL_CMDS, "text|json",
     "diagnostics as text (default) or one JSON object a line"},
    {NULL, required_argument, O_W, MODEL_CMDS, "error", "warnings are errors"},
    {NULL, no_argument, O_NOWARN, MODEL_CMDS, NULL, "no warnings"},
    {"limit", required_argument, O_LIMIT, MODEL_CMDS | C(CMD_CONVERT), "NAME=N",
     "raise (or lower) one of the bounds on a model's cost, listed below"},
    {"help", no_argument, O_HELP, ~0u, NULL, "this help"},
    {"version", no_argument, O_VERSION, ~0u, NULL, "versions of nerva and its libraries"},
};
#define NSPECS (sizeof specs / sizeof specs[0])

int cli_usage_error(const Opts *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "nerva%s%s: ", o && o->cmd_name ? " " : "", o && o->cmd_name ? o->cmd_name : "");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\ntry 'nerva %s%s--help'\n", o && o->cmd_name ? o->cmd_name : "", o && o->cmd_name ? " " : "");
    return EXIT_USAGE;
}

static void print_option(const OptSpec *s)
{
    char left[80];
    if (s->key == O_W)
        snprintf(left, sizeof left, "-Werror");
    else if (s->key == O_NOWARN)
        snprintf(left, sizeof left, "-w");
    else if (s->key < 256)
        snprintf(left, sizeof left, "-%c, --%s%s%s", s->key, s->name, s->arg ? " " : "", s->arg ? s->arg : "");
    else
        snprintf(left, sizeof left, "    --%s%s%s", s->name, s->arg ? " " : "", s->arg ? s->arg : "");
    printf("  %-34s %s\n", left, s->help);
}

static void help_command(int cmd)
{
    printf("usage: nerva %s [options] %s\n\n%s.\n\noptions:\n", commands[cmd].name, commands[cmd].operands,
           commands[cmd].summary);
    for (size_t i = 0; i < NSPECS; i++)
        if (specs[i].cmds & C(cmd))
            print_option(&specs[i]);
    if (cmd == CMD_COMPILE || cmd == CMD_CHECK || cmd == CMD_INFO || cmd == CMD_SCORE || cmd == CMD_BENCH ||
        cmd == CMD_CONVERT)
        limits_print();
    if (cmd == CMD_SCORE || cmd == CMD_BENCH)
        printf("\nenvironment: CC (default cc), NERVA_CFLAGS (default -O2), NERVA_CACHE_DIR (default\n"
               "$XDG_CACHE_HOME/nerva or ~/.cache/nerva).\n");
    printf("\nexit codes: 0 ok, 1 bad model or input, 2 usage, 3 internal or toolchain failure.\n"
           "More: man nerva, docs/cli.md.\n");
}

static void help_all(void)
{
    printf("usage: nerva COMMAND [options] MODEL\n\n"
           "Compile PMML models and PFA documents (.pfa, .json; PrettyPFA .ppfa) into standalone C.\n\ncommands:\n");
    for (int c = 0; c < CMD__COUNT; c++)
        printf("  %-8s %-16s %s\n", commands[c].name, commands[c].operands, commands[c].summary);
    printf("  %-8s %-16s %s\n", "kafka", "MODEL", "score a Kafka stream (nerva kafka --help)");
    printf("  %-8s %-16s %s\n", "broker", "", "an embedded Kafka cluster for tests and demos");
    printf("  %-8s %-16s %s\n", "demo", "", "score a stream of card transactions end to end");
    printf("\n'nerva COMMAND --help' lists a command's options; -V, --version the versions.\n"
           "exit codes: 0 ok, 1 bad model or input, 2 usage, 3 internal or toolchain failure.\n");
}

/* nerva, the libraries it reads models with, and the Kafka harness's (a
   program of its own, so that nerva needs no librdkafka) */
static void print_version(void)
{
    printf("nerva %s\n", NERVA_VERSION);
    printf("libxml2 %s\n", pmml_reader_version());
    printf("jansson %s\n", pfa_reader_version());
    char self[4096], exe[4200];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return;
    self[n] = 0;
    char *slash = strrchr(self, '/');
    snprintf(exe, sizeof exe, "%.*s/nerva-kafka", (int)(slash - self), self);
    if (access(exe, X_OK) != 0) {
        printf("librdkafka: no Kafka harness installed (%s)\n", exe);
        return;
    }
    fflush(stdout);
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "'%s' --version 2>/dev/null", exe);
    FILE *p = strchr(exe, '\'') ? NULL : popen(cmd, "r");
    if (!p)
        return;
    char line[512];
    while (fgets(line, sizeof line, p))
        if (strstr(line, "librdkafka"))
            fputs(line, stdout);
    pclose(p);
}

static int find_command(const char *s)
{
    for (int c = 0; c < CMD__COUNT; c++)
        if (!strcmp(commands[c].name, s))
            return c;
    return -1;
}

static const OptSpec *spec_of(int key)
{
    for (size_t i = 0; i < NSPECS; i++)
        if (specs[i].key == key)
            return &specs[i];
    return NULL;
}

static int parse_count(const Opts *o, const char *what, const char *s, long long lo, long long hi, long long *v)
{
    char *end;
    *v = strtoll(s, &end, 10);
    if (!*s || *end || *v < lo || *v > hi)
        return cli_usage_error(o, "%s: '%s' is not a number from %lld to %lld", what, s, lo, hi);
    return 0;
}

int cli_parse(int argc, char **argv, Opts *o)
{
    memset(o, 0, sizeof *o);
    o->threshold = 4000;
    o->cmd = -1;
    /* the command is the first operand; options may come before it only as
       --help and --version */
    int ci = 1;
    while (ci < argc && argv[ci][0] == '-' && strcmp(argv[ci], "-") != 0) {
        if (!strcmp(argv[ci], "-h") || !strcmp(argv[ci], "--help")) {
            help_all();
            return 0;
        }
        if (!strcmp(argv[ci], "-V") || !strcmp(argv[ci], "--version")) {
            print_version();
            return 0;
        }
        if (!strcmp(argv[ci], "--"))
            break;
        return cli_usage_error(o, "'%s' before the command; options follow it (nerva COMMAND [options])", argv[ci]);
    }
    if (ci >= argc)
        return cli_usage_error(o, "no command given: usage: nerva COMMAND [options] MODEL");
    o->cmd = find_command(argv[ci]);
    if (o->cmd < 0)
        return cli_usage_error(o, "unknown command '%s' (commands: compile, check, info, score, bench, runtime, "
                               "cache, convert, kafka, broker, demo)", argv[ci]);
    o->cmd_name = commands[o->cmd].name;

    struct option longs[NSPECS + 1];
    char shorts[64];
    size_t nl = 0, ns = 0;
    shorts[ns++] = ':';  /* missing arguments reported as ':' */
    for (size_t i = 0; i < NSPECS; i++) {
        if (specs[i].name)
            longs[nl++] = (struct option){specs[i].name, specs[i].has_arg, NULL, specs[i].key};
        if (specs[i].key < 256) {
            shorts[ns++] = (char)specs[i].key;
            if (specs[i].has_arg)
                shorts[ns++] = ':';
        }
    }
    longs[nl] = (struct option){0, 0, 0, 0};
    shorts[ns] = 0;

    /* getopt permutes: operands may come before or after options */
    int sub_argc = argc - ci;
    char **sub = argv + ci;
    optind = 1;
    opterr = 0;
    int key;
    long long v;
    while ((key = getopt_long(sub_argc, sub, shorts, longs, NULL)) != -1) {
        if (key == '?') {
            if (optopt)
                return cli_usage_error(o, "unknown option '-%c'", optopt);
            return cli_usage_error(o, "unknown option '%s'", sub[optind - 1]);
        }
        if (key == ':')
            return cli_usage_error(o, "option '%s' needs a value", sub[optind - 1]);
        const OptSpec *s = spec_of(key);
        if (!(s->cmds & C(o->cmd))) {
            if (key == O_W || key == O_NOWARN)
                return cli_usage_error(o, "'-%c' does not apply to 'nerva %s'", key, o->cmd_name);
            return cli_usage_error(o, "option '--%s' does not apply to 'nerva %s'", s->name, o->cmd_name);
        }
        switch (key) {
        case O_HELP: help_command(o->cmd); return 0;
        case O_VERSION: print_version(); return 0;
        case O_OUT:
            if (o->cmd == CMD_SCORE)
                o->output = optarg;
            else
                o->out = optarg;
            break;
        case O_HEADER: o->header = optarg; break;
        case O_PREFIX: o->prefix = optarg; break;
        case O_DEPFILE: o->depfile = optarg; break;
        case O_UP_TO_DATE: o->check_up_to_date = 1; break;
        case O_DUMP_IR: o->dump_ir = 1; break;
        case O_SHARED: o->shared = 1; break;
        case O_SHARED_RT: o->shared_runtime = 1; break;
        case O_THRESHOLD:
            if (parse_count(o, "--tree-table-threshold", optarg, 0, 1000000000, &v))
                return EXIT_USAGE;
            o->threshold = (int)v;
            break;
        case O_INPUT: o->input = optarg; break;
        case O_FORMAT:
            if (strcmp(optarg, "csv") && strcmp(optarg, "json"))
                return cli_usage_error(o, "--format: '%s' is neither csv nor json", optarg);
            o->format = optarg;
            break;
        case O_SEPARATOR:
            if (strcmp(optarg, "\\t") && strcmp(optarg, "\t") &&
                (strlen(optarg) != 1 || strchr("\"\r\n", optarg[0])))
                return cli_usage_error(o, "--separator: '%s' is not one character (or \\t) other than a quote "
                                       "or a line break", optarg);
            o->separator = optarg;
            break;
        case O_MISSING_VALUES: o->missing_values = optarg; break;
        case O_ALLOW_MISSING: o->allow_missing_columns = 1; break;
        case O_ON_ERROR:
            if (strcmp(optarg, "fail") && strcmp(optarg, "skip") && strcmp(optarg, "missing"))
                return cli_usage_error(o, "--on-error: '%s' is not fail, skip or missing", optarg);
            o->on_error = optarg;
            break;
        case O_COPY_COLUMNS: o->copy_columns = optarg; break;
        case O_TIMEOUT:
            if (parse_count(o, "--timeout (milliseconds)", optarg, 0, 86400000, &v))
                return EXIT_USAGE;
            o->timeout = optarg;
            break;
        case O_JSON: o->json = 1; break;
        case O_MIN_SECONDS: {
            char *end;
            double s = strtod(optarg, &end);
            if (!*optarg || *end || !(s > 0 && s <= 3600))
                return cli_usage_error(o, "--min-seconds: '%s' is not a number of seconds from 0 to 3600", optarg);
            o->min_seconds = optarg;
            break;
        }
        case O_COLOR:
            if (!strcmp(optarg, "auto"))
                o->color = COLOR_AUTO;
            else if (!strcmp(optarg, "always"))
                o->color = COLOR_ALWAYS;
            else if (!strcmp(optarg, "never"))
                o->color = COLOR_NEVER;
            else
                return cli_usage_error(o, "--color: '%s' is not auto, always or never", optarg);
            break;
        case O_DIAG_FORMAT:
            if (strcmp(optarg, "text") && strcmp(optarg, "json"))
                return cli_usage_error(o, "--diagnostics-format: '%s' is neither text nor json", optarg);
            o->diag_json = !strcmp(optarg, "json");
            break;
        case O_W:
            if (strcmp(optarg, "error"))
                return cli_usage_error(o, "unknown option '-W%s' (-Werror makes warnings errors)", optarg);
            o->werror = 1;
            break;
        case O_NOWARN: o->no_warnings = 1; break;
        case O_TO:
            if (strcmp(optarg, "pfa") && strcmp(optarg, "json") && strcmp(optarg, "ppfa"))
                return cli_usage_error(o, "--to takes pfa (JSON) or ppfa (PrettyPFA), not %s", optarg);
            o->to = optarg;
            break;
        case O_LIMIT: {
            char err[200];
            if (limits_set(optarg, err, (int)sizeof err))
                return cli_usage_error(o, "%s", err);
            break;
        }
        case O_KAFKA: break; /* main.c hands bench --kafka to the harness before parsing */
        }
    }
    o->args = (const char **)(sub + optind);
    o->nargs = sub_argc - optind;
    o->model = o->nargs ? o->args[0] : NULL;

    /* operands */
    switch (o->cmd) {
    case CMD_RUNTIME:
        if (o->nargs)
            return cli_usage_error(o, "unexpected operand '%s'", o->args[0]);
        break;
    case CMD_CACHE:
        if (o->nargs != 1 || (strcmp(o->args[0], "clean") && strcmp(o->args[0], "size") && strcmp(o->args[0], "path")))
            return cli_usage_error(o, "say what to do: nerva cache clean|size|path");
        break;
    case CMD_CHECK:
        if (!o->nargs)
            return cli_usage_error(o, "no model file given");
        break;
    default:
        if (!o->nargs)
            return cli_usage_error(o, "no model file given");
        if (o->nargs > 1)
            return cli_usage_error(o, "one model at a time ('%s' is a second); nerva check takes several",
                                   o->args[1]);
    }
    /* combinations */
    if (o->cmd == CMD_COMPILE && o->depfile && (o->dump_ir || o->check_up_to_date || (o->out && !strcmp(o->out, "-"))))
        return cli_usage_error(o, "--depfile goes with written files, not with %s",
                               o->dump_ir ? "--dump-ir" : o->check_up_to_date ? "--check-up-to-date" : "-o -");
    if (o->cmd == CMD_BENCH && !o->input)
        return cli_usage_error(o, "bench needs --input FILE");
    if (o->werror && o->no_warnings)
        return cli_usage_error(o, "-Werror and -w contradict each other");
    return -1;
}
