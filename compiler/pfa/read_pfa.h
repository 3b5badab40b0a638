/* The PFA frontend's boundary: jansson parses the document and its tree is
 * converted at once into an arena copy (JVal, every value carrying its JSON
 * path and the line where it starts), then freed.  Nothing of jansson leaves
 * read_pfa.c.  The same file then reads the PFA syntax out of that tree: the
 * top-level fields, and every expression as a PfaExpr node whose kind names
 * the special form (PFA's "syntax check", phase 1 of the spec).  Avro type
 * schemae and embedded JSON values stay JVal trees: their meaning depends on
 * types, which typecheck.c resolves. */
#ifndef NERVA_READ_PFA_H
#define NERVA_READ_PFA_H

#include "ir.h"
#include "util.h"

/* ---- JSON, as an arena tree ---- */
typedef enum { J_NULL, J_BOOL, J_INT, J_REAL, J_STR, J_ARR, J_OBJ } JKind;

typedef struct JVal JVal;
struct JVal {
    JKind kind;
    Loc loc;             /* file, line, JSON path ("/action/2/if") */
    int b;               /* J_BOOL */
    long long i;         /* J_INT */
    double d;            /* J_REAL; also J_INT's value as a double */
    const char *s;       /* J_STR: NUL-terminated, but may contain NULs */
    size_t slen;
    JVal **items;        /* J_ARR items; J_OBJ member values, in document order */
    const char **keys;   /* J_OBJ member names ("@" locator marks dropped) */
    size_t *klens;
    int n;
};

typedef struct PfaLimits {
    size_t max_bytes;    /* default 64 MiB */
    int max_depth;       /* default 200 (JSON nesting) */
} PfaLimits;

/* building JSON trees (the PrettyPFA reader does): a value, a string, an
   item appended to an array, a member appended to an object (its index) */
JVal *jval_new(Arena *a, JKind k, Loc loc);
JVal *jval_str(Arena *a, const char *s, size_t n, Loc loc);
void jval_push(Arena *a, JVal *arr, JVal *item);
int jval_put(Arena *a, JVal *obj, const char *key, size_t klen, JVal *val);

/* the same JSON value (object members in any order) */
int jval_equal(const JVal *x, const JVal *y);

/* member `key` of object `o`, or NULL */
JVal *jget(const JVal *o, const char *key);
int jstr_is(const JVal *v, const char *s);   /* a J_STR equal to s */

/* ---- PFA expressions ---- */
#define PFA_EXPR_KINDS(X)                                               \
    X(LIT_NULL, "null") X(LIT_BOOL, "boolean") X(LIT_INT, "int")        \
    X(LIT_LONG, "long") X(LIT_FLOAT, "float") X(LIT_DOUBLE, "double")   \
    X(LIT_STRING, "string") X(LIT_BASE64, "base64")                     \
    X(LIT_TYPED, "type-value")  /* type_j, value_j                  */ \
    X(REF, "symbol")            /* name                             */ \
    X(CALL, "call")             /* name(args)                       */ \
    X(CALL_ENUM, "call-args")   /* x: enum of function names; args  */ \
    X(FCNDEF, "fcndef")         /* params (names, ptypes), ret_j, body */ \
    X(FCNREF, "fcnref")         /* name; fill (names, vals)         */ \
    X(NEW, "new")               /* type_j; args (array) or names/vals */ \
    X(DO, "do")                 /* body                             */ \
    X(LET, "let")               /* names, vals                      */ \
    X(SET, "set")               /* names, vals                      */ \
    X(ATTR, "attr")             /* x, path; to (or NULL)            */ \
    X(CELL, "cell")             /* name, path (has_path); to        */ \
    X(POOL, "pool")             /* name, path; to, init             */ \
    X(POOL_DEL, "pool-del")     /* name, x                          */ \
    X(IF, "if")                 /* x, body (then), els (has_else)   */ \
    X(COND, "cond")             /* args: IF nodes; els (has_else)   */ \
    X(WHILE, "while")           /* x, body                          */ \
    X(DO_UNTIL, "do-until")     /* body, x                          */ \
    X(FOR, "for")               /* names, vals (init); x; names2, vals2 (step); body */ \
    X(FOREACH, "foreach")       /* name, x, body, seq               */ \
    X(FORKV, "forkey-forval")   /* name (key), name2 (value), x, body */ \
    X(CAST, "cast-cases")       /* x; args: CASE nodes; partial     */ \
    X(CASE, "case")             /* type_j (as), name (named), body  */ \
    X(UPCAST, "upcast")         /* x, type_j                        */ \
    X(IFNOTNULL, "ifnotnull")   /* names, vals; body; els           */ \
    X(PACK, "pack")             /* names (formats), vals            */ \
    X(UNPACK, "unpack")         /* x; names, formats; body; els     */ \
    X(DOC, "doc")                                                      \
    X(ERROR, "error")           /* s (message), code (has_code)     */ \
    X(TRY, "try")               /* body; filter strings / codes     */ \
    X(LOG, "log")               /* args; s (namespace or NULL)      */

typedef enum {
#define X(k, s) PE_##k,
    PFA_EXPR_KINDS(X)
#undef X
    PE__COUNT
} PfaExprKind;

typedef struct PfaExpr PfaExpr;
typedef struct PfaBlock {
    PfaExpr **e;
    int n;
} PfaBlock;

struct PfaExpr {
    PfaExprKind kind;
    Loc loc;
    const char *name, *name2;
    long long i;               /* LIT_INT, LIT_LONG, ERROR code */
    double d;                  /* LIT_FLOAT, LIT_DOUBLE */
    int b;                     /* LIT_BOOL; FOREACH seq; CAST partial */
    const char *s;             /* LIT_STRING/LIT_BASE64 bytes (decoded), ERROR message, LOG namespace */
    size_t slen;
    JVal *type_j, *value_j, *ret_j;
    PfaExpr *x;
    PfaExpr **args;            /* call arguments, path, new-array items, cond clauses, cases, log */
    int nargs;
    int has_path, has_else, has_code;
    const char **names;        /* let/set/new-map/for/ifnotnull/fill/params/pack/unpack */
    PfaExpr **vals;
    JVal **ptypes;             /* FCNDEF parameter types */
    int nnames;
    const char **names2;       /* FOR step */
    PfaExpr **vals2;
    int nnames2;
    const char **formats;      /* UNPACK formats; PACK formats are names */
    PfaExpr *to, *init;        /* ATTR/CELL/POOL updates */
    PfaBlock body, els;
    const char **filter_s;     /* TRY filter */
    long long *filter_i;
    int nfilter_s, nfilter_i;
    /* filled by typecheck.c (see typecheck.h) */
    IrType *type;              /* the value's type; a function's T_FN type */
    struct PfaSym *sym;        /* REF: the symbol */
    struct PfaSym **syms;      /* the symbols this form declares */
    IrType **ptypes_t;         /* CALL/CALL_ENUM: parameter types after label assignment;
                                  FCNREF: all the function's parameter types, filled or not */
    IrType **steps_t;          /* ATTR/CELL/POOL: the type at each path level, base first */
    int *steps;                /* ATTR/CELL/POOL path step: record field index, -1 array, -2 map */
    int *fillpos;              /* FCNREF: parameter index of each fill value */
    int ufn;                   /* CALL/FCNREF: user function index, -1 a library function */
    int cell;                  /* CELL/POOL/POOL_DEL: cell or pool index */
    struct PfaSym **caps;      /* FCNDEF: enclosing symbols it reads (captured by value) */
    int ncaps;
    const char *json;          /* LIT_TYPED: the value as canonical Avro JSON */
};

typedef struct PfaNamed {
    const char *name;
    Loc loc;
    JVal *type_j;
    JVal *init;                /* NULL: none given */
    int shared, rollback;
} PfaNamed;

typedef struct PfaFcn {
    const char *name;          /* without "u." */
    PfaExpr *def;              /* a FCNDEF */
} PfaFcn;

typedef enum { PFA_MAP, PFA_EMIT, PFA_FOLD } PfaMethod;

typedef struct PfaDoc {
    const char *file;
    JVal *root;
    const char *name;          /* NULL: not given */
    PfaMethod method;
    JVal *input_j, *output_j;
    PfaBlock begin, action, end, merge;
    int has_merge;
    JVal *zero;
    PfaFcn *fcns;
    int nfcns;
    PfaNamed *cells, *pools;
    int ncells, npools;
    int has_randseed;
    long long randseed;
    int has_version;
    long long version;
    const char **meta_keys, **meta_vals;  /* metadata */
    int nmeta;
    JVal *options;
    long long timeout[3];      /* options timeout.begin, .action, .end (ms; -1: none) */
} PfaDoc;

/* Parse the JSON text.  Returns the root or NULL after reporting errors. */
JVal *read_json(Arena *a, Diags *d, const char *file, const char *data, size_t len,
                const PfaLimits *lim);

/* Parse a PFA document (JSON text) into its syntax tree.  NULL after errors. */
PfaDoc *read_pfa(Arena *a, Diags *d, const char *file, const char *data, size_t len,
                 const PfaLimits *lim);

/* The PFA syntax of a document already read as a JSON tree (by read_json, or
 * by the PrettyPFA reader, ppfa.h).  NULL after errors. */
PfaDoc *pfa_doc_from_json(Arena *a, Diags *d, const char *file, JVal *root);

const char *pfa_expr_kind_name(PfaExprKind k);

/* standard base64 (RFC 3548, padded); returns 0 on bad input */
int pfa_base64_decode(Arena *a, const char *s, size_t n, char **out, size_t *outlen);

/* the version of the JSON library the reader uses */
const char *pfa_reader_version(void);

#endif
