/* The command line of `nerva` (cli.c): commands, their options, help. */
#ifndef NERVA_CLI_H
#define NERVA_CLI_H

#define NERVA_VERSION "0.1.0"

/* exit codes (docs/cli.md) */
#define EXIT_BAD 1
#define EXIT_USAGE 2
#define EXIT_INTERNAL 3

enum { CMD_COMPILE, CMD_CHECK, CMD_INFO, CMD_SCORE, CMD_BENCH, CMD_RUNTIME, CMD_CACHE, CMD_CONVERT, CMD__COUNT };

/* how diagnostics look (every command that reads a model) */
enum { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

typedef struct Opts {
    int cmd;
    const char *cmd_name;
    const char **args;          /* the command's operands: model files; cache: its verb */
    int nargs;
    const char *model;          /* args[0] */
    /* compile */
    const char *out, *header, *prefix, *depfile;
    int threshold, dump_ir, check_up_to_date, shared_runtime, shared;
    int tree_layout;            /* TreeLayout (compiler/c/emit.h) */
    const char *to;             /* convert: the syntax to write (pfa, ppfa) */
    /* score, bench */
    const char *input, *output;
    const char *timeout;        /* PFA: milliseconds per action where the document sets none */
    const char *min_seconds;
    int json;                   /* bench, info: JSON output */
    const char *format;         /* score: csv (default) or json lines */
    const char *separator;      /* score: CSV cell separator (default ',', TAB for .tsv) */
    const char *missing_values; /* score: cells that mean missing (default "NA,N/A" and empty) */
    int allow_missing_columns;  /* score: an input with no column is missing in every row */
    const char *on_error;       /* score: fail (default), skip or missing for a bad row */
    const char *copy_columns;   /* score: input columns copied into the output */
    /* diagnostics */
    int werror, no_warnings, color, diag_json;
} Opts;

/* Parses argv into o.  Returns -1 to go on, or the exit status after
   printing help, the version or a usage error. */
int cli_parse(int argc, char **argv, Opts *o);

/* a usage error: "nerva CMD: msg"; returns EXIT_USAGE */
int cli_usage_error(const Opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
