/* The C backend: an IR program in, one .c and one .h out. */
#ifndef NERVA_EMIT_H
#define NERVA_EMIT_H

#include "ir.h"

typedef struct EmitOptions {
    const char *prefix;         /* C identifier prefix of every exported symbol */
    const char *header_name;    /* how the .c includes the header */
    int tree_table_threshold;   /* total tree nodes above which trees become tables */
    const char *version;        /* nerva version, printed in the banner */
    int shared_runtime;         /* PFA: #include "nerva_pfa_rt.h" instead of copying the runtime */
} EmitOptions;

/* The backend's one entry (emit.c): checks the options and hands the
   program to its emitter.  Fills `c` and `h`.  Returns 0, or non-zero after
   reporting errors. */
int emit_c(const IrProgram *p, const EmitOptions *o, Diags *d, StrBuf *c, StrBuf *h);

/* a PMML program: a scorer with typed input and output structs (emit_program.c) */
int emit_program(const IrProgram *p, const EmitOptions *o, Diags *d, StrBuf *c, StrBuf *h);

/* a PFA engine: state, JSON in and out (emit_engine.c) */
int emit_engine(const IrProgram *p, const EmitOptions *o, Diags *d, StrBuf *c, StrBuf *h);

/* the PFA run-time support as one unit and its header (nerva_pfa_rt.c/.h),
   for engines compiled with shared_runtime (emit_engine.c) */
void emit_pfa_runtime(StrBuf *c, StrBuf *h, const char *version);

/* the prefix nerva derives from a file name when none is given */
const char *c_prefix_from_path(Arena *a, const char *path);
/* the prefix is in nerva's namespaces (nv, nerva) or C's reserved ones */
int c_prefix_reserved(const char *s);
/* the header's file name is a C or POSIX header's (math.h, regex.h, ...) */
int c_header_shadows_system(const char *header);

#endif
