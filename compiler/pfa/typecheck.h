/* PFA's static semantics: Avro schemae resolved into IrTypes (named types
 * defined once, referenced by name, recursive types allowed), every symbol
 * resolved in its lexical scope (no shadowing, sealed scopes as the spec
 * says), every expression typed, library calls matched against the generic
 * signatures of libfcns.xml (wildcards, labels, promotion), and embedded JSON
 * values checked against their types.  What the spec rejects is reported with
 * its JSON path; what it accepts is annotated on the syntax tree for
 * lower_pfa.c.  Nothing here emits IR. */
#ifndef NERVA_TYPECHECK_H
#define NERVA_TYPECHECK_H

#include "read_pfa.h"

typedef enum {
    SYM_LOCAL,          /* let, for, foreach, parameters, input, tally, ... */
    SYM_NAME,           /* predefined: the engine's name (string) */
    SYM_INSTANCE,       /* predefined: instance number (int, always 0) */
    SYM_VERSION,        /* predefined: the document's version (int) */
    SYM_METADATA,       /* predefined: metadata (map of string) */
    SYM_STARTED,        /* predefined: actionsStarted (long) */
    SYM_FINISHED        /* predefined: actionsFinished (long) */
} PfaSymKind;

typedef struct PfaSym {
    const char *name;
    IrType *type;
    Loc loc;
    PfaSymKind kind;
    int readonly;       /* input, tally, tallyOne, tallyTwo */
    int var;            /* the IR variable, assigned by lowering (-1 before) */
} PfaSym;

typedef struct PfaUFn {
    const char *name;   /* "u.NAME" */
    PfaExpr *def;       /* its FCNDEF (ptypes_t: parameter types, syms: parameters) */
    IrType *type;       /* T_FN */
    int writes;         /* it (or a function it calls) changes a cell or pool */
    int ir_func;        /* assigned by lowering */
} PfaUFn;

typedef struct PfaState {
    const char *name;
    Loc loc;
    IrType *type;       /* a pool's item type */
    const char *init;   /* canonical Avro JSON (a pool: a map of items) */
    int shared, rollback;
} PfaState;

typedef struct PfaProgram {
    PfaDoc *doc;
    IrType *input, *output;
    PfaUFn *fns;
    int nfns;
    PfaState *cells, *pools;
    int ncells, npools;
    const char *zero;   /* fold: canonical Avro JSON of "zero" */
    PfaSym *input_sym, *tally_sym, *tally1_sym, *tally2_sym;
} PfaProgram;

PfaProgram *typecheck_pfa(Arena *a, Diags *d, PfaDoc *doc);

/* a type as PFA messages write it: "array of double", "union of {null, int}" */
const char *pfa_type_text(Arena *a, const IrType *t);

/* the library's signatures (generated from libfcns.xml) */
int pfa_lib_known(const char *name);

#endif
