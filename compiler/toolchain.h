/* Building generated code with the system C compiler, cached by content. */
#ifndef NERVA_TOOLCHAIN_H
#define NERVA_TOOLCHAIN_H

#include <stddef.h>

typedef struct BuildRequest {
    const char *c_src;       /* generated unit */
    const char *h_src;       /* generated header */
    const char *header_name; /* as the unit includes it */
    const char *prefix;      /* symbol prefix: <prefix>_model */
    int use_cache;           /* 0: always build afresh (bench) */
    int pfa;                 /* a PFA engine: the JSON-lines driver, <prefix>_pfa */
    int shared;              /* 1: a shared object exporting nerva_model_entry() */
} BuildRequest;

typedef struct BuildResult {
    char exe[4096];          /* the scorer program (or the shared object) */
    double seconds;          /* time the C compiler took (0 when cached) */
} BuildResult;

/* Builds the generated code with the CSV driver into a program, or (shared)
 * with runtime/model_entry.c into a shared object for hosts that dlopen it.
 * Returns 0, or 3 after printing why the toolchain failed. */
int tc_build_scorer(const BuildRequest *rq, BuildResult *res);

/* Runs argv[0] with argv, waits; returns its exit status (or 3 when it
 * could not run or died by a signal).  out_capture, when not NULL, receives
 * its standard output (malloc'd, NUL-terminated). */
int tc_run(char *const argv[], char **out_capture);

/* runtime sources embedded in the nerva binary */
const char *tc_embedded(const char *name);

#endif
