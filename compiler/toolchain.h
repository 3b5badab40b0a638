/* Building generated code with the system C compiler, cached by content. */
#ifndef NERVA_TOOLCHAIN_H
#define NERVA_TOOLCHAIN_H

#include <stddef.h>
#include <stdint.h>

typedef struct BuildRequest {
    const char *c_src;       /* generated unit */
    const char *h_src;       /* generated header */
    const char *header_name; /* as the unit includes it */
    const char *prefix;      /* symbol prefix: <prefix>_model */
    int use_cache;           /* 0: always build afresh (bench) */
    int pfa;                 /* a PFA engine: the JSON-lines driver, <prefix>_pfa */
    int shared;              /* 1: a shared object exporting nerva_model_entry() */
    uint64_t early_key;      /* 0, or tc_early_key() of the model this code is of */
} BuildRequest;

typedef struct BuildResult {
    char exe[4096];          /* the scorer program (or the shared object) */
    double seconds;          /* time the C compiler took (0 when cached) */
} BuildResult;

/* Builds the generated code with the CSV driver into a program, or (shared)
 * with runtime/driver/model_entry.c into a shared object for hosts that
 * dlopen it.  The cache key covers the sources, the compiler's identity and
 * version (`cc --version`), its flags and the product.  When early_key is
 * not 0 (a key over the model's bytes, the options and nerva itself), the
 * build is also filed under it, for tc_find_early.  Returns 0, or 3 after
 * printing why the toolchain failed (nothing is left behind). */
int tc_build_scorer(const BuildRequest *rq, BuildResult *res);

/* A key over what decides the generated code before it is generated: the
 * model's bytes, the options that change the code, the nerva binary. */
uint64_t tc_early_key(const char *model_bytes, size_t len, const char *options);
/* The product built earlier under early_key with this compiler and flags,
 * if any: fills res->exe and returns 1 (and *pfa, whether it is an engine). */
int tc_find_early(uint64_t early_key, int shared, BuildResult *res, int *pfa);

/* the cache's root directory ($NERVA_CACHE_DIR, else $XDG_CACHE_HOME/nerva,
   else ~/.cache/nerva) */
void tc_cache_root(char *buf, size_t n);
/* nerva cache size|clean: the builds in it and their bytes; clean removes
   them.  Returns 0, or 3 after printing why not. */
int tc_cache_size(long *builds, long long *bytes);
int tc_cache_clean(long *builds, long long *bytes);


/* Runs argv[0] with argv, waits; returns its exit status (or 3 when it
 * could not run or died by a signal).  out_capture, when not NULL, receives
 * its standard output (malloc'd, NUL-terminated). */
int tc_run(char *const argv[], char **out_capture);

/* runtime sources embedded in the nerva binary */
const char *tc_embedded(const char *name);

#endif
