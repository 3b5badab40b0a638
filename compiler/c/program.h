/* The state of the PMML program emitter, shared by emit_program.c (the
 * program: expressions, statements, the score functions, descriptors),
 * emit_trees.c (the tree layouts and the choice) and emit_flat.c (the flat
 * layout and the batch over blocks).  Private to compiler/c/. */
#ifndef NERVA_PROGRAM_H
#define NERVA_PROGRAM_H

#include "c_text.h"
#include "emit.h"
#include "rtlib.h"

typedef struct CVal {
    const char *v;   /* C expression of the value */
    const char *n;   /* C expression of the null flag ("0" when never null) */
    int inl;         /* an inline expression, not a name: use it once */
} CVal;

/* how a tree is laid out (emit_trees.c) */
enum { LAY_NESTED, LAY_TABLE, LAY_GRAPH, LAY_FLAT };
/* what a slot of fx holds for table and graph trees */
enum { SLOT_PLAIN, SLOT_NUMBER, SLOT_CODE };

typedef struct Roll Roll; /* emit_roll.c */

typedef struct Em {
    const IrProgram *p;
    const EmitOptions *o;
    Diags *d;
    Arena a;
    RtLib *rt;          /* the run-time library the unit takes its support from */
    StrBuf *out;        /* where statements go now */
    int ind;
    int tmp;
    int label;
    int scratch;        /* computed strings: the output struct has scratch space */
    int split;          /* a big program: its variables in a struct, its body in part functions */
    const char *scr;    /* the scratch space: "S", or "V->S" when split */
    const char *envref; /* the values trees read: "E", or "V->E" when split */
    /* per-variable storage names */
    const char **vname, **nname;
    /* tree layout (trees_plan) */
    unsigned char *tree_table;   /* per tree: LAY_NESTED, LAY_TABLE or LAY_GRAPH */
    struct TGraph **graph;       /* per tree laid out as LAY_GRAPH */
    struct FForest *ff;          /* the trees laid out as LAY_FLAT, or NULL */
    char num[64];                /* trees_num's text */
    Arena flat_tmp;              /* flat_plan's graphs and working arrays, freed once the forest is laid out */
    int any_table, any_generic, any_graph, any_number, any_env, nomask;
    int gnarrow;                 /* every graph's tests fit 8 bytes */
    int *in_forest;              /* per tree: index in the batch walk, or -1 */
    int nforest;
    /* per slot, for graph trees: SLOT_NUMBER (thresholds th[s][0..nth[s]))
       or SLOT_CODE (a string's code) */
    unsigned char *slot_kind;
    double **th;
    int *nth, *th_off;
    int *slot_of_var;            /* -1 or slot index */
    int nslots;
    unsigned char *env_var;      /* read by a tree function: lives in nv_env */
    const char **tvname, **tnname; /* names inside tree functions */
    /* string dictionaries of E_INTERN, printed before the score function */
    const char ***dicts;
    int ndicts, cap_dicts;
    const IrTable **tabs;        /* constant tables, printed as tabN */
    int ntabs, cap_tabs;
    const IrMeasure **measures;  /* comparison measures printed so far (measureN) */
    int nmeasures, cap_measures;
    const IrAssoc **assocs;      /* association models' rules printed so far (assocN) */
    int nassocs, cap_assocs;
    int ninvalid;                /* runs of invalid checks: static invalidN[] */
    int nlinear;                 /* tables of linear terms: static linearN[] */
    StrBuf dict_text;
    StrBuf blob_text;            /* long strings as char arrays nv_sN */
    int nblobs;
    /* what the program uses: only that is declared or printed */
    unsigned char *var_used;     /* read or written */
    unsigned char *val_read;     /* its value read (not only its null flag) */
    unsigned char *var_set;      /* assigned by the body */
    unsigned char *direct;       /* an input read where it is: in->NAME */
    unsigned char *tree_used;    /* walked */
    unsigned char **col_used;    /* per tree, per payload column */
    int ntrees_used;
    /* per-entity state (emit_state.c) */
    int stateful;                /* the program reads state: the score functions take it */
    const char *stref;           /* the state object: "st", or "V->st" when split */
    const char **in_names;       /* the inputs' C member names */
    /* runs of per-tree statements printed as loops (emit_roll.c) */
    Roll **rolls;
    int nrolls;
    int *roll_at;                /* per top-level statement: the run starting there, or -1 */
    const Roll *roll;            /* the run being printed, or NULL */
} Em;

/* ---- emit_program.c ---- */
/* how far the constant tables are printed (em_tables_mark), to drop what
   C text that is given up printed (em_tables_reset) */
typedef struct EmTables {
    size_t dict_len, blob_len;
    int ndicts, ntabs, nmeasures, nassocs, ninvalid, nlinear, nblobs;
} EmTables;
EmTables em_tables_mark(const Em *m);
void em_tables_reset(Em *m, EmTables t);
/* one statement line at the current indentation */
void em_line(Em *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *em_ctype(const IrType *t);
const char *em_czero(const IrType *t);
/* a library function the unit calls: its section goes into the unit */
const char *rt_call(Em *m, const char *fn);
/* C text: the number v is one of vals[0..n) (floats when fl), by a table */
const char *em_num_in(Em *m, const char *v, const double *vals, int n, int fl);
/* C text for the model's string s: a literal, or a char array when long */
const char *em_string(Em *m, const char *s);
/* the static sorted string table dictN of strs (for nv_intern): N */
int em_dict(Em *m, const char **strs, int n);
const char **em_sorted(Em *m, const char *const *strs, int n);
/* parts joined by sep, in linear time */
const char *em_join(Em *m, const char *const *parts, int n, const char *sep);
/* C text: whether string s is among strs (a binary search when many) */
const char *em_str_in(Em *m, const char *s, const char *const *strs, int n);

/* ---- emit_kernels.c ---- */
/* the data of kernel k (number id) and the lines that run it on inputs x,
   leaving "kok" true when it gives a result; the C text of each output */
const char **kernels_call(Em *m, const IrKernel *k, int id, const CVal *x);
/* ---- emit_state.c: Lag and Aggregate ---- */
/* the entities' slot types and the P_state functions, before the score function */
void state_types(Em *m, StrBuf *c, const char *pfx);
/* the header's declarations of the state API */
void state_header(Em *m, StrBuf *h, const char *pfx);
/* the S_STATE statement: reads, then the record joins the state */
void state_step(Em *m, const char **in_names);

/* ---- emit_trees.c ---- */
/* choose each used tree's layout and the slots that table and graph trees
   read; names the variables trees read (env_var) */
void trees_plan(Em *m);
/* the functions of nested-layout trees (static int nv_treeN(const nv_env *)) */
void trees_functions(Em *m, StrBuf *o);
/* the top-level statement before which every graph (or flat) tree is
   walked at once, or -1 (sets in_forest) */
int trees_forest_point(Em *m);
/* the walk of that forest, printed before that statement; returns the
   statement after which trees_forest_end must be printed, or -1 */
int trees_forest_begin(Em *m);
void trees_forest_end(Em *m);
/* macros the run-time library's tree sections read, printed before them */
void trees_defines(Em *m, StrBuf *c);
/* a number of a constant table, short: an integer as one, no parentheses */
const char *trees_num(Em *m, double v, int dbl); /* valid until the next call */
/* whether a walk of t can end at node k, and whether column c is null at
   some node a walk can end at (the others' values are never read) */
int trees_selectable(const IrTree *t, int k);
int trees_col_has_null(const IrTree *t, int c);
/* the C type of the elements of column c's table (bytes for numbers, a
   narrower int where its values fit) */
const char *trees_col_ctype(const IrTree *t, int c);
/* sorts v[0..n) and drops repeats; the new length */
int trees_sort_unique(double *v, int n);
/* the value a predicate compares with, in the variable's type */
double trees_pred_value(const Em *m, const IrPred *pr, double x);

/* ---- emit_flat.c: the flat layout ---- */
/* the flat forest (m->ff): the used trees flat tests express, when at
   least min_trees and walkable at one point; marks them LAY_FLAT */
void flat_plan(Em *m, int min_trees);
int flat_point(Em *m);
int flat_begin(Em *m);
void flat_end(Em *m);
void flat_defines(Em *m, StrBuf *c);
/* the tables, before the score function */
void flat_print(Em *m, StrBuf *c);
/* whether the score function takes a block (the batch walks flat trees
   over blocks of records: nv_fblk, runtime/lib/trees.c) */
int trees_blocked(const Em *m);
/* the score function's locals for the forest walk */
void trees_locals(Em *m, StrBuf *c);
/* phase 2 of a block: back to the forest's point (after the prologue) */
void trees_resume(Em *m, StrBuf *c);
/* the batch entry point over blocks of records (when trees_blocked) */
void trees_batch(Em *m, StrBuf *c, const char *pfx);
/* the walk of tree e->tree into the node temporary t */
void trees_walk(Em *m, const IrExpr *e, const char *t);
/* what the score function must copy into fx when variable v is written */
const char *trees_slot_mirror(Em *m, int v);
/* the value a nested tree's variable holds while it is null (NAN, -1), or
   NULL when its type has none */
const char *trees_null_sentinel(const IrType *t);
/* the tables, walkers' data, payload columns, nv_env and tree functions,
   printed before the score function */
void trees_print(Em *m, StrBuf *c, const char *treefns);


/* ---- emit_roll.c: per-tree statements as loops ---- */
/* finds the runs (after trees_forest_point; fused_last: flat_fused_last);
   the variables only their other copies use are left undeclared */
void roll_plan(Em *m, int fused_last);
/* the run that starts at top-level statement i, or NULL; its end (the
   statement after it), trees and first gres index */
const Roll *roll_at(const Em *m, int i);
int roll_end(const Roll *R);
int roll_count(const Roll *R);
int roll_pos(const Roll *R);
/* the C table of tree's column c (its null flags when null) where the
   statement printed now reads it: in a run, the tree of the loop's turn */
const char *roll_col(Em *m, int tree, int c, int null);
int roll_col_has_null(Em *m, int tree, int c);
/* the runs' tables of pointers, after the trees' columns */
void roll_print(Em *m, StrBuf *c);
/* the comment before a run's loop */
void roll_comment(Em *m, const Roll *R);
/* the last statement of the forest's fused statements, or -1 */
int flat_fused_last(const Em *m);

#endif
