/* Shared state of the PMML lowering: the element tree in, IR out.  One file
 * per model family (lower_tree.c, lower_regression.c, ...) plus the common
 * parts: fields and scopes, the data dictionary, mining schemas, targets and
 * outputs (lower_pmml.c) and expressions (lower_expr.c). */
#ifndef NERVA_LOWER_PMML_H
#define NERVA_LOWER_PMML_H

#include "ir.h"
#include "read_pmml.h"

typedef enum { OP_CONTINUOUS, OP_CATEGORICAL, OP_ORDINAL } Optype;

/* what the DataDictionary (or a DerivedField) says about a field */
typedef struct FieldInfo {
    const char *name;
    IrType *type;          /* base type: double, float, string, boolean */
    Optype optype;
    const char **values;   /* valid values, in document order (categorical) */
    const char **display;  /* their displayValues (NULL where none) */
    int nvalues;
    const char **invalid;  /* values declared invalid */
    int ninvalid;
    const char **missing;  /* values declared missing */
    int nmissing;
    double *lo, *hi;       /* intervals: closure in lo_closed/hi_closed */
    unsigned char *lo_closed, *hi_closed;
    int nintervals;
    const XElem *elem;
} FieldInfo;

/* a name visible to expressions and predicates */
typedef struct Field {
    const char *name;
    int var;               /* IR variable holding the value */
    const FieldInfo *info; /* may be NULL (output fields) */
    int invalid_var;       /* bool variable: the raw value was invalid; -1 if never */
} Field;

typedef struct Scope Scope;
struct Scope {
    Scope *parent;
    Field *f;
    int n, cap;
    NameIndex ix;        /* name -> the latest field of that name */
};

typedef struct DefineFn {
    const char *name;
    const XElem *elem;
} DefineFn;

typedef struct Lower {
    IrBuilder b;
    Arena *a;
    long inlined;          /* elements copied by DefineFunction calls so far */
    Diags *d;
    const char *file;
    const XElem *root;
    FieldInfo *dd;         /* DataDictionary */
    int ndd;
    NameIndex dd_ix;       /* name -> index in dd */
    DefineFn *fns;
    int nfns;
    int float_ctx;         /* current model computes in float (x-mathContext) */
    int depth;             /* nesting of models / functions, bounded */
    int ntree_nodes;       /* across the program, for info */
    int nmodels;
    const char *kinds;     /* model kinds seen, for info */
    const XElem **tix_elems; /* TextIndex elements already lowered ... */
    struct IrTextIndex **tix;  /* ... and their IR, shared by every use */
    int ntix, cap_tix, cap_tix2;
    Scope *top;            /* the program's inputs */
    int rank_hint;         /* the rank a MiningModel's outputs ask of the segment being lowered */
    IrBlock *cur_block;    /* where derived fields and let-bound parameters go */
} Lower;

typedef enum { FUNC_REGRESSION, FUNC_CLASSIFICATION, FUNC_CLUSTERING, FUNC_MIXED, FUNC_ASSOCIATION,
               FUNC_OTHER } MiningFunc;

typedef struct ModelResult ModelResult;
typedef struct SegResult SegResult;

/* A family's own OutputField features (the rule features of rule sets and
 * association models, ...): the value of `feature` for OutputField `of`, or
 * NULL after an error; *handled is 0 when the feature is not the family's. */
typedef IrExpr *(*FeatureFn)(Lower *L, ModelResult *r, const XElem *of, const char *feature, IrBlock *blk,
                             int *handled);
/* the affinity (distance or similarity) of the record to the entity `id`
 * (OutputField clusterAffinity/entityAffinity/affinity with a value), or
 * NULL after an error at `at` */
typedef IrExpr *(*AffinityFn)(Lower *L, ModelResult *r, const char *id, const XElem *at);

/* what a model computes, as IR variables (-1 when absent) */
struct ModelResult {
    MiningFunc func;
    int value;             /* predicted value: numeric (regression) or string label */
    int ncats;
    const char **cats;     /* class labels (classification) */
    int *probs;            /* var per label: probability, nullable double */
    int nlabels;           /* a classifier without probabilities (ncats 0): */
    const char **labels;   /* the labels it can predict, when known, or NULL */
    int *confs;            /* var per label: confidence (rule sets), or NULL */
    int entity;            /* string: id of the chosen tree node, cluster, rule, segment, neighbour */
    int confidence;        /* double: confidence of the prediction, or -1 */
    const char *target;    /* target field name, NULL when none */
    const FieldInfo *target_info;
    int affinity;          /* double: the winning entity's affinity (distance or similarity), or -1 */
    int display;           /* string: the prediction's display value (a cluster's name), or -1 */
    int *ent_rank;         /* entity ids by rank 1..nrank (ent_rank[0] is the winner's) */
    int *aff_rank;         /* their affinities (or NULL) */
    int nrank;
    AffinityFn affinity_of;
    int *reasons;          /* reason codes by rank 1..nreasons (scorecards), string vars */
    int nreasons;
    FeatureFn feature;
    void *fam;             /* the family's data for its hooks */
    ModelResult *subs;     /* several targets: one result per target (subs[i].target) */
    int nsubs;
    SegResult *segs;       /* MiningModel: each segment's result, for OutputField segmentId */
    int nsegs;
    Field *outs;           /* the model's OutputFields, in order */
    int nouts;
    unsigned char *final;  /* per output: isFinalResult */
    int rescale_folded;    /* the Target's rescaleConstant is already added */
};

/* a segment of a MiningModel: its id, whether it ran, and its result */
struct SegResult {
    const char *id;
    int ran;               /* bool var, or -1: it always runs */
    ModelResult *r;
};

/* ---- lower_pmml.c ---- */
Loc lloc(const Lower *L, const XElem *e);
/* where attribute attr's value starts (or the element, when not known) */
Loc aloc(const Lower *L, const XElem *e, const char *attr);
/* attribute attr of e as a number (dflt when absent); 0 after an error */
int attr_double(Lower *L, const XElem *e, const char *attr, double dflt, double *out);
const FieldInfo *find_datafield(const Lower *L, const char *name);
Field *scope_find(Scope *s, const char *name);
void scope_add(Lower *L, Scope *s, const char *name, int var, const FieldInfo *info);
Scope *scope_new(Lower *L, Scope *parent);
/* resolve `name` or report "unknown field" at e; returns NULL after error */
int duplicate_name(Lower *L, NameIndex *seen, const XElem **first, int nfirst, const char *name,
                   const XElem *el);
Field *need_field(Lower *L, Scope *s, const char *name, const XElem *e);
IrType *type_of_datatype(Lower *L, const char *dt, const XElem *e);
MiningFunc parse_function(Lower *L, const XElem *model);
int is_model_elem(const XElem *e);
/* lower any model element into blk; fills *res */
int lower_model(Lower *L, const XElem *model, Scope *outer, IrBlock *blk, ModelResult *res);
/* number typed for the current math context */
IrType *num_type(const Lower *L);
/* an empty result of function f */
void result_init(ModelResult *r, MiningFunc f);
/* class labels of the target field (DataField Values), or NULL */
const char **target_categories(Lower *L, const ModelResult *r, int *n);
/* pick the label with the greatest probability (first on ties) */
void result_argmax(Lower *L, IrBlock *blk, ModelResult *r);
/* the raw value of DataField `name` as a program input (made one when the
   model does not read it: a target field for residual outputs), or NULL */
Field *input_field(Lower *L, const char *name, const XElem *at);
/* the greatest rank OutputFields of `model` ask of the given features
   (comma-separated list), at least 1 */
int output_max_rank(Lower *L, const XElem *model, const char *features);
/* an ordered list of ids that names every entity: ids[i] the i-th entity's
   "id" attribute, or its 1-based position when it has none (PMML's implicit
   ids); an error at the second of two equal ids */
const char **entity_ids(Lower *L, const XElem *const *elems, int n);

/* the first predicate element of e (a Node, Attribute, rule), or NULL */
const XElem *first_predicate(const XElem *e);
/* the index of label c among r's classes, added at the end when new */
int result_add_cat(Lower *L, ModelResult *r, const char *c, int *cap);
/* an int literal (IR literals are long by default) */
IrExpr *lit_int(IrBuilder *b, long long v);

/* ---- lower_clustering.c: the comparison measures of clustering and k-NN ---- */
typedef struct MeasureBuild {
    IrMeasure *ms;
    const XElem *const *fe;  /* the fields' elements (ClusteringField, KNNInput) */
    Field **fields;
    const char ***dict;      /* per categorical field: its categories, whose positions are the codes */
    int *ndict;
} MeasureBuild;
/* the model's ComparisonMeasure over the fields fe[0..nf) (attributes
   field, compareFunction, fieldWeight, similarityScale; Comparisons) */
int measure_begin(Lower *L, Scope *s, const XElem *model, const XElem *const *fe, int nf, MeasureBuild *mb);
/* the table's rows from their values as text, cells[r * nf + i] (NULL:
   none, an error at at[r]) */
int measure_rows(Lower *L, MeasureBuild *mb, const char *const *cells, int nrows, const XElem *const *at);
/* the record's values, as the measure's numbers (NULL after an error) */
IrExpr **measure_inputs(Lower *L, MeasureBuild *mb);
/* the rows of a measure as entities (clusters, training instances): the
   family data (ModelResult.fam) of measure_affinity, the AffinityFn that
   gives the record's measure to the row an id names */
typedef struct MeasureEntities {
    IrMeasure *ms;
    IrExpr **x;            /* the record */
    const char **ids;      /* the rows' ids */
    int n;
    const char *what;      /* "cluster", "training instance" */
} MeasureEntities;
IrExpr *measure_affinity(Lower *L, ModelResult *r, const char *id, const XElem *at);

/* ---- lower_output.c ---- */
void lower_output(Lower *L, const XElem *model, Scope *s, IrBlock *blk, ModelResult *r);

/* ---- lower_expr.c ---- */
IrExpr *lower_expr(Lower *L, Scope *s, const XElem *e);
/* the value of `text` typed like variable `var` (for comparisons) */
IrExpr *lower_constant_for(Lower *L, const char *text, IrType *t, const XElem *e);
/* number x is one of vals[0..n): compares, or a table search when n is large */
IrExpr *lower_num_in(Lower *L, IrExpr *x, const double *vals, int n);
/* the value of DerivedField df, typed by its dataType (*type), its
   statements (inlined functions' parameters) into blk */
IrExpr *lower_derived_value(Lower *L, Scope *s, const XElem *df, IrBlock *blk, IrType **type);
/* the numbers of an <Array> (or an Indices/Entries list), checked against
   its n attribute; the count, or -1 after an error */
int read_num_array(Lower *L, const XElem *arr, double **out);
/* TransformationDictionary / LocalTransformations: DerivedFields into scope */
void lower_derived_fields(Lower *L, Scope *s, const XElem *container, IrBlock *blk);
/* a predicate element (SimplePredicate, CompoundPredicate, ...) */
IrPred *lower_predicate(Lower *L, Scope *s, const XElem *e);
int is_predicate_elem(const XElem *e);
/* the IR boolean expression of a three-valued predicate (null = unknown) */
IrExpr *pred_to_expr(Lower *L, const IrPred *p);
/* whether the predicate is true (unknown counts as false): never null */
IrExpr *pred_true_expr(Lower *L, const IrPred *p);
/* the values of an Array's text (space-separated, optionally quoted) */
int split_array(Lower *L, const char *t, const char ***out);

/* what the expression files (lower_expr.c, lower_functions.c, lower_text.c)
   share */
/* the expression children of e, skipping Extension; returns their count */
int lower_expr_kids(const XElem *e, const XElem **out, int max);
/* numbers meet in the wider of their types; float stays float */
IrType *lower_arith_type(Lower *L, IrExpr **a, int n);
/* e's mapMissingTo: x, or the constant when one of args[0..n) is missing */
IrExpr *lower_map_missing(Lower *L, const XElem *e, IrExpr *x, IrExpr **args, int n);
/* ---- lower_functions.c: Apply, the built-in functions ---- */
IrExpr *lower_apply(Lower *L, Scope *s, const XElem *e);
/* ---- lower_formats.c: the patterns of formatNumber and formatDatetime ---- */
/* pat checked by Java's Formatter rules (JPMML's) and rewritten for the
   run-time functions; NULL after an error */
const char *lower_number_pattern(Lower *L, const XElem *at, const char *pat, int is_int);
const char *lower_datetime_pattern(Lower *L, const XElem *at, const char *pat, int unit);
/* whether JPMML types the expression's value as an integer */
int lower_is_integer(Lower *L, Scope *s, const XElem *e);
/* ---- lower_text.c: TextIndex, patterns and replacements ---- */
/* a pattern compiled (ir_regex), or NULL after an error naming `what` */
IrRegex *lower_regex(Lower *L, const XElem *at, const char *what, const char *pat, int caseless, int literal);
/* Java's replaceAll replacement as a run-time template; NULL after an error */
const char *lower_replacement(Lower *L, const XElem *at, const char *repl, int ngroups, int *maxref);
IrExpr *lower_text_index(Lower *L, Scope *s, const XElem *e);

/* ---- lower_state.c: Lag and Aggregate (per-entity state) ---- */
IrExpr *lower_lag(Lower *L, const XElem *e);
IrExpr *lower_aggregate(Lower *L, const XElem *e);
/* the state step first in the body, when the program reads state */
void lower_state_step(Lower *L);

/* ---- one lowering per model family ---- */
int lower_tree_model(Lower *L, const XElem *m, Scope *s, IrBlock *blk, ModelResult *r);
int lower_regression_model(Lower *L, const XElem *m, Scope *s, IrBlock *blk, ModelResult *r);
int lower_general_regression_model(Lower *L, const XElem *m, Scope *s, IrBlock *blk,
                                   ModelResult *r);
int lower_mining_model(Lower *L, const XElem *m, Scope *s, IrBlock *blk, ModelResult *r);
int lower_scorecard(Lower *L, const XElem *m, Scope *s, IrBlock *blk, ModelResult *r);
int lower_ruleset_model(Lower *L, const XElem *m, Scope *s, IrBlock *blk, ModelResult *r);
int lower_clustering_model(Lower *L, const XElem *m, Scope *s, IrBlock *blk, ModelResult *r);
int lower_knn_model(Lower *L, const XElem *m, Scope *s, IrBlock *blk, ModelResult *r);
int lower_association_model(Lower *L, const XElem *m, Scope *s, IrBlock *blk, ModelResult *r);
int lower_neural_network(Lower *L, const XElem *m, Scope *s, IrBlock *blk, ModelResult *r);
int lower_svm_model(Lower *L, const XElem *m, Scope *s, IrBlock *blk, ModelResult *r);
int lower_naive_bayes_model(Lower *L, const XElem *m, Scope *s, IrBlock *blk, ModelResult *r);
int lower_anomaly_model(Lower *L, const XElem *m, Scope *s, IrBlock *blk, ModelResult *r);

/* entry: PMML element tree to IR program */
IrProgram *lower_pmml(Arena *a, Diags *d, const char *file, const XElem *root);

#endif
