/* PrettyPFA, the readable syntax of PFA (Titus's titus.prettypfa), read into
 * the same syntax tree as PFA's JSON.
 *
 * The reading goes in two steps, as Titus's does.  The grammar
 * (grammars/ppfa.l, grammars/ppfa.y) builds a small tree of what the text
 * says, PNode, through the one-line constructors below: a call `f(x, k: v)`
 * is a call whatever f is, a block `{a: 1}` is a block.  ppfa_build.c then
 * gives each node its PFA meaning (a call named `new` is a "new" form, a name
 * that is a cell is a "cell" form, a block of key: value pairs in a cell's
 * init is a JSON object, ...) and writes the PFA document as a JSON tree
 * (JVal, read_pfa.h) in the canonical form of Titus's converter, each value
 * carrying the file:line:col of the text it came from.  read_pfa.c's syntax
 * reader makes the PfaDoc of that tree, so type checking, lowering and code
 * generation do not know which syntax a model was written in. */
#ifndef NERVA_PPFA_H
#define NERVA_PPFA_H

#include "read_pfa.h"

typedef enum {
    PN_NUM,        /* s: the text; is_int, i, d */
    PN_STR,        /* s, slen: the decoded string */
    PN_NAME,       /* s: a name, dotted or not */
    PN_LIST,       /* kids: a list the grammar collects (flag: a ';' was seen) */
    PN_CALL,       /* s: name; kids: arguments */
    PN_PARAM,      /* s, slen: key; a: value */
    PN_BRACKET,    /* kids: items of [ ... ] */
    PN_BLOCK,      /* kids: items of { ... } (expressions, or key: value pairs) */
    PN_FCNDEF,     /* kids: parameters (PARAM); a: return type; b: body */
    PN_NAMEDFCN,   /* s: name; a: its FCNDEF */
    PN_CELLPOOL,   /* s: name; kids: (type, shared: .., ...); a: init */
    PN_IF,         /* a: predicate; b: then; c: else or NULL */
    PN_WHILE,      /* a: predicate; b: body */
    PN_DOUNTIL,    /* b: body; a: predicate */
    PN_FOR,        /* a: init (ASSIGN); b: predicate; c: step (ASSIGN); d: body */
    PN_FOREACH,    /* a: name: array (PARAM); b: seq: .. (PARAM) or NULL; d: body */
    PN_FORKV,      /* s: key name; a: value name: map (PARAM); d: body */
    PN_CAST,       /* a: expression; b: partial: .. (PARAM) or NULL; kids: AS */
    PN_AS,         /* a: named: type (PARAM); d: body */
    PN_IFNOTNULL,  /* kids: name: expression (PARAM); b: then; c: else or NULL */
    PN_UNPACK,     /* a: bytes; kids: name: format (PARAM); b: then; c: else */
    PN_TRY,        /* d: body; kids: filters (has_filter) */
    PN_INDEX,      /* a: base; kids: arguments of base[...] */
    PN_INDEX_SET,  /* a: base; kids: arguments; b: the value of base[...] = b; c: init or NULL */
    PN_ASSIGN,     /* kids: PARAM name = value; flag: `var` */
    PN_TO,         /* a: base (NAME or INDEX); b: updater; c: init or NULL */
    PN_ENUMSYM,    /* s: type name; s2: symbol */
    PN_SECTION     /* s: heading; a: content (LIST, BRACKET) or NULL */
} PNodeKind;

typedef struct PNode PNode;
struct PNode {
    PNodeKind kind;
    Loc loc;
    const char *s, *s2;
    size_t slen;
    int is_int;
    long long i;
    double num;
    int flag;
    int paren;          /* written in parentheses: (x)[0] is not x[0] */
    int has_filter;
    PNode *a, *b, *c, *d;
    PNode **kids;
    int n, cap;
};

/* The parser's context: the arena, the diagnostics, and what the scanner
 * needs to remember between tokens. */
typedef struct PpCtx {
    Arena *a;
    Diags *d;
    const char *file;
    int line, col;           /* the scanner's position (1-based) */
    int last;                /* the previous token */
    unsigned char *parens;   /* per open '(': 1 if it follows a keyword (if, fcn, ...) */
    int nparens, cap_parens;
    PNode *sections;         /* PN_LIST of PN_SECTION */
    int failed;
} PpCtx;

/* the location of a token or rule, from bison's YYLTYPE fields */
Loc pp_loc(PpCtx *x, int line, int col);

/* ---- constructors the grammar's actions call ---- */
PNode *pp_node(PpCtx *x, PNodeKind k, Loc loc);
PNode *pp_list(PpCtx *x, PNode *first, Loc loc);          /* first may be NULL */
PNode *pp_push(PpCtx *x, PNode *list, PNode *item);       /* returns list */
PNode *pp_semi(PNode *list);                               /* a ';' seen in list */
PNode *pp_leaf_number(PpCtx *x, const char *text, size_t n, Loc loc);
PNode *pp_leaf_string(PpCtx *x, const char *text, size_t n, int raw, Loc loc);
PNode *pp_leaf_name(PpCtx *x, const char *text, size_t n, Loc loc);
PNode *pp_call(PpCtx *x, PNode *name, PNode *args);
PNode *pp_op1(PpCtx *x, const char *op, PNode *e, Loc loc);
PNode *pp_op2(PpCtx *x, const char *op, PNode *l, PNode *r, Loc loc);
PNode *pp_paren(PNode *e);
PNode *pp_param(PpCtx *x, PNode *key, PNode *value);
PNode *pp_bracket(PpCtx *x, PNode *items, Loc loc);
PNode *pp_block(PpCtx *x, PNode *items, Loc loc);
PNode *pp_fcndef(PpCtx *x, PNode *params, PNode *ret, PNode *body, Loc loc);
PNode *pp_namedfcn(PpCtx *x, PNode *name, PNode *def);
PNode *pp_cellpool(PpCtx *x, PNode *name, PNode *args, PNode *init);
PNode *pp_if(PpCtx *x, PNode *pred, PNode *then, PNode *els, Loc loc);
PNode *pp_while(PpCtx *x, PNode *pred, PNode *body, Loc loc);
PNode *pp_dountil(PpCtx *x, PNode *body, PNode *pred, Loc loc);
PNode *pp_for(PpCtx *x, PNode *init, PNode *pred, PNode *step, PNode *body, Loc loc);
PNode *pp_foreach(PpCtx *x, PNode *param, PNode *seq, PNode *body, Loc loc);
PNode *pp_forkv(PpCtx *x, PNode *key, PNode *param, PNode *body, Loc loc);
PNode *pp_cast(PpCtx *x, PNode *e, PNode *partial, PNode *cases, Loc loc);
PNode *pp_as(PpCtx *x, PNode *param, PNode *body, Loc loc);
PNode *pp_ifnotnull(PpCtx *x, PNode *params, PNode *then, PNode *els, Loc loc);
PNode *pp_unpack(PpCtx *x, PNode *bytes, PNode *params, PNode *then, PNode *els, Loc loc);
PNode *pp_try(PpCtx *x, PNode *filters, PNode *body, Loc loc);
PNode *pp_index(PpCtx *x, PNode *base, PNode *args, Loc loc);
PNode *pp_index_set(PpCtx *x, PNode *index, PNode *value, PNode *init);
PNode *pp_assign(PpCtx *x, PNode *name, PNode *value, Loc loc);  /* a one-pair ASSIGN */
PNode *pp_assigns(PpCtx *x, PNode *assigns, PNode *more);        /* appends more's pair */
PNode *pp_var(PNode *assigns);
PNode *pp_to(PpCtx *x, PNode *base, PNode *to, PNode *init, Loc loc);
PNode *pp_enumsym(PpCtx *x, PNode *type, PNode *sym, Loc loc);
void pp_section(PpCtx *x, PNode *heading, PNode *content);

/* ---- named types (ppfa_types.c) ---- */
typedef struct PpTypeSlot {
    JVal *in;          /* the object or array holding a type */
    int at;            /* its index there */
} PpTypeSlot;

/* every type at slots (in the JSON's order) rewritten: a named type in full
   where it first appears, by its full name after; aliases are the types: of
   the types: section, whose named types count even if used nowhere else */
void ppfa_named_types(Arena *a, Diags *d, int max_depth, JVal **aliases, int nalias, PpTypeSlot *slots,
                      int nslots);

/* ---- the reader ---- */
/* PrettyPFA text to the PFA document as a JSON tree (what `nerva convert`
 * writes).  NULL after errors, each reported with file:line:col. */
JVal *ppfa_to_json(Arena *a, Diags *d, const char *file, const char *data, size_t len,
                   const PfaLimits *lim);

/* PrettyPFA text to PFA's syntax tree, as read_pfa() makes of JSON. */
PfaDoc *read_ppfa(Arena *a, Diags *d, const char *file, const char *data, size_t len,
                  const PfaLimits *lim);

/* the scanner and parser, generated from grammars/ (ppfa_parse.c) */
int ppfa_parse_text(PpCtx *x, const char *data, size_t len);

#endif
