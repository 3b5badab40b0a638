/* The one IR that every frontend lowers into and the C backend reads.
 *
 * A program is one scoring function: typed input fields bound to variables,
 * a body of statements over typed expressions, and typed output fields read
 * from variables.  Types are Avro's (as PFA uses them); a missing value is a
 * union with null, written here as a nullable type.  Trees are first-class
 * (IrTree, walked by IR_TREE) so the backend can lay them out as branches or
 * tables.  Nothing here knows about XML or JSON.  See docs/ir.md. */
#ifndef NERVA_IR_H
#define NERVA_IR_H

#include "util.h"

/* ---- types ---- */
#define IR_TYPE_KINDS(X) \
    X(NULL, "null")      \
    X(BOOL, "boolean")   \
    X(INT, "int")        \
    X(LONG, "long")      \
    X(FLOAT, "float")    \
    X(DOUBLE, "double")  \
    X(STRING, "string")  \
    X(BYTES, "bytes")    \
    X(ARRAY, "array")    \
    X(MAP, "map")        \
    X(RECORD, "record")  \
    X(ENUM, "enum")      \
    X(FIXED, "fixed")    \
    X(UNION, "union")    \
    X(FN, "function")    /* a function reference (PFA): ftypes -> items */

typedef enum {
#define X(k, s) T_##k,
    IR_TYPE_KINDS(X)
#undef X
    T__COUNT
} IrTypeKind;

typedef struct IrType IrType;
struct IrType {
    IrTypeKind kind;
    const char *name;      /* named types: record, enum, fixed (full name) */
    IrType *items;         /* array items, map values; function result */
    IrType **branches;     /* union branches */
    int nbranches;
    const char **symbols;  /* enum symbols / record field names */
    IrType **ftypes;       /* record field types; function parameters */
    int nsymbols;          /* enum symbols / record fields / parameters count */
    int size;              /* fixed */
    const char **fdefaults; /* record field defaults as Avro JSON text, or NULL */
};

/* the scalar types are shared singletons */
IrType *ir_type(IrTypeKind k);
IrType *ir_nullable(Arena *a, IrType *t);   /* union{null, t}; idempotent */
IrType *ir_base(IrType *t);                 /* t without its null branch */
int ir_is_nullable(const IrType *t);
int ir_is_numeric(const IrType *t);          /* int long float double (base) */
const char *ir_type_name(const IrType *t);   /* for dumps and messages */
/* PFA's (Avro's) type relations: structural for unnamed types, by name for
 * records, enums and fixed.  `accepts` is the spec's promotion rule (int ->
 * long -> float -> double, covariant arrays and maps, unions). */
int ir_type_eq(const IrType *a, const IrType *b);
int ir_accepts(const IrType *want, const IrType *got);
/* the branch of union `u` that holds a value of type `t`: an equal branch,
 * else the first that accepts it; -1 when none does */
int ir_union_branch(const IrType *u, const IrType *t);
/* Avro schema text of a type (named types defined at first use) */
void ir_type_schema(const IrType *t, StrBuf *out);

/* ---- PMML's dates and times ----
 * A date, time or dateTime value is a double in the IR: days (unit 1),
 * seconds since midnight (unit 2) or seconds (unit 3), counted from its data
 * type's epoch.  Its type is a double that says which data type it is, so
 * that the backend binds it to hosts as a date (days since 1970-01-01),
 * time (seconds since midnight) or dateTime (seconds since
 * 1970-01-01T00:00:00) and prints it back as ISO 8601 text: value = what
 * the host binds + offset.  ir_base(t)->kind is T_DOUBLE. */
#define IR_TEMPORALS(X)                                          \
    X(DATE, "date", 1, 0, 1970)                                  \
    X(DATE_0, "dateDaysSince[0]", 1, 1, 0)                       \
    X(DATE_1960, "dateDaysSince[1960]", 1, 1, 1960)              \
    X(DATE_1970, "dateDaysSince[1970]", 1, 1, 1970)              \
    X(DATE_1980, "dateDaysSince[1980]", 1, 1, 1980)              \
    X(TIME, "time", 2, 0, 0)                                     \
    X(TIME_SECONDS, "timeSeconds", 2, 1, 0)                      \
    X(DATETIME, "dateTime", 3, 0, 1970)                          \
    X(DATETIME_0, "dateTimeSecondsSince[0]", 3, 1, 0)            \
    X(DATETIME_1960, "dateTimeSecondsSince[1960]", 3, 1, 1960)   \
    X(DATETIME_1970, "dateTimeSecondsSince[1970]", 3, 1, 1970)   \
    X(DATETIME_1980, "dateTimeSecondsSince[1980]", 3, 1, 1980)

typedef enum {
    TM_NONE,
#define X(k, name, unit, since, epoch) TM_##k,
    IR_TEMPORALS(X)
#undef X
    TM__COUNT
} IrTemporal;

IrType *ir_type_temporal(IrTemporal k);          /* shared singletons */
IrTemporal ir_temporal(const IrType *t);         /* of t's base type; TM_NONE */
IrTemporal ir_temporal_by_name(const char *dt);  /* a PMML dataType, or TM_NONE */
int ir_temporal_unit(IrTemporal k);              /* 1 days, 2 seconds of the day, 3 seconds */
int ir_temporal_since(IrTemporal k);             /* counts from an epoch (dateDaysSince...) */
double ir_temporal_offset(IrTemporal k);         /* value - what the host binds */

/* ---- library functions (calls) ----
 * Null handling: unless the function says otherwise, a null argument gives a
 * null result (PMML's and PFA's common rule). */
#define IR_FNS(X)                                                        \
    X(ADD, "+") X(SUB, "-") X(MUL, "*") X(DIV, "/") X(NEG, "u-")         \
    X(MOD, "%") X(POW, "pow") X(EXP, "exp") X(LN, "ln")                  \
    X(LOG10, "log10") X(SQRT, "sqrt") X(ABS, "abs") X(FLOOR, "floor")    \
    X(CEIL, "ceil") X(ROUND, "round") X(RINT, "rint")                    \
    X(THRESHOLD, "threshold") X(EXPM1, "expm1") X(LN1P, "ln1p")          \
    X(MIN, "min") X(MAX, "max") X(SUM, "sum") X(AVG, "avg")              \
    X(PRODUCT, "product")                                                \
    X(EQ, "==") X(NE, "!=") X(LT, "<") X(LE, "<=") X(GT, ">")            \
    X(GE, ">=")                                                          \
    X(AND, "&&") X(OR, "||") X(NOT, "!")                                 \
    X(LOWER, "lowercase") X(UPPER, "uppercase") X(CONCAT, "concat")      \
    X(SUBSTR, "substring") X(TRIM, "trimBlanks") X(STRLEN, "stringLength") \
    X(LOGISTIC, "logistic") X(TANH, "tanh") X(ATAN, "atan")              \
    X(COS, "cos") X(SIN, "sin") X(STDNORM_CDF, "stdNormalCDF")           \
    X(STDNORM_IDF, "stdNormalIDF") X(ERF, "erf")                         \
    X(CLOGLOG_INV, "cloglogInv") X(LOGLOG_INV, "loglogInv")              \
    X(CAUCHIT_INV, "cauchitInv")                                         \
    X(ISNAN, "isnan") X(TO_STRING, "toString")                           \
    X(NUM_TO_STR, "numToString") X(STR_TO_NUM, "strToNum")              \
    X(MEDIAN, "median")           /* NaN arguments are skipped */      \
    X(WMEDIAN, "weightedMedian")  /* n values then n weights */    \
    X(RANK, "rankIndex")  /* int: a[0] the rank r, then n values, then n keys: \
                             the index of the r-th greatest value (NaN left out, \
                             ties by the smaller key), or -1 */ \
    X(PMEDIAN, "percentileMedian") /* the median of n values as JPMML's (commons-math) \
                                      percentile: a + (b - a) / 2 of the middle two */ \
    X(VOTE, "vote")  /* double: of k labels (codes), weights, the labels' training \
                        counts and orders (4k args), the label with the greatest \
                        summed weight; ties: the greater count, then the smaller order */ \
    X(NORMAL_LOGPDF, "normalLogPdf") /* log density at a[0] of N(a[1], a[2]^2) */ \
    X(POISSON_PDF, "poissonPdf")  /* P(X = a[0]), X Poisson of mean a[1] */ \
    /* PMML's aggregates of Apply: null arguments are skipped, the     \
       result is null only when every argument is */                    \
    X(AGG_MIN, "aggMin") X(AGG_MAX, "aggMax") X(AGG_SUM, "aggSum")       \
    X(AGG_AVG, "aggAvg") X(AGG_PRODUCT, "aggProduct")                   \
    X(AGG_MEDIAN, "aggMedian")                                           \
    X(HYPOT, "hypot") X(ASIN, "asin") X(ACOS, "acos") X(SINH, "sinh")    \
    X(COSH, "cosh") X(TAN, "tan") X(ATAN2, "atan2")                      \
    X(NORMAL_CDF, "normalCDF") X(NORMAL_PDF, "normalPDF")                \
    X(NORMAL_IDF, "normalIDF") X(STDNORM_PDF, "stdNormalPDF")            \
    /* a[0] a date or time (its type says which: ir_temporal) */         \
    X(DAYS_SINCE_YEAR, "dateDaysSinceYear")       /* a[1] the year */    \
    X(SECONDS_SINCE_YEAR, "dateSecondsSinceYear") /* a[1] the year */    \
    X(SECONDS_SINCE_MIDNIGHT, "dateSecondsSinceMidnight")                \
    X(FORMAT_DATETIME, "formatDatetime") /* a[1] the run-time pattern (literal) */ \
    X(FORMAT_NUMBER, "formatNumber") /* a[1] the run-time pattern, a[2] 0 double 1 float 2 integer (literals) */ \
    /* regexes: the program's regex `tree` (an index) */                \
    X(MATCHES, "matches")    /* a[0] the text */                          \
    X(REPLACE, "replace")    /* a[0] the text, a[1] the run-time template (literal) */

typedef enum {
#define X(k, s) FN_##k,
    IR_FNS(X)
#undef X
    FN__COUNT
} IrFn;

const char *ir_fn_name(IrFn f);

/* ---- expressions ---- */
#define IR_EXPR_KINDS(X)                                                   \
    X(LIT, "lit")           /* literal of `type` (lit_*)                */ \
    X(VAR, "var")           /* value of variable `var`                   */ \
    X(IF, "if")             /* a[0] ? a[1] : a[2]; null cond -> null     */ \
    X(CALL, "call")         /* fn(a[0..n-1])                             */ \
    X(IS_NULL, "is-null")   /* a[0] is null; never null                  */ \
    X(COALESCE, "coalesce") /* first non-null of a[0..n-1]              */ \
    X(CAST, "cast")         /* a[0] converted to `type`; null on failure */ \
    X(STR_IN, "str-in")     /* a[0] (string) is one of strs[]            */ \
    X(TREE, "tree")         /* node index chosen by tree `tree`, or null */ \
    X(TREE_GET, "tree-get") /* column `col` of tree `tree` at node a[0]  */ \
    X(NULL_IF_NAN, "null-if-nan") /* a[0], or null when it is NaN       */ \
    X(INVALID_IF_NAN, "invalid-if-nan") /* a[0]; NaN makes the record invalid (NERVA_RESULT_INVALID) */ \
    X(INPUT_INVALID, "input-invalid") /* the host marked input `var` bad */ \
    X(TEXT_INDEX, "text-index")   /* weight of term a[1] in text a[0], by text index `tree` */ \
    X(INTERN, "intern")           /* index of a[0] in the sorted strs[], or -1 */ \
    X(CODE_IN, "code-in")         /* a[0] (an int code) is one of the codes < 64 in bit mask lit_long */ \
    /* constant tables (tab): long lists of the model as data, not code */ \
    X(FIND_NUM, "find-num")       /* index of number a[0] among tab's sorted keys, or -1 */ \
    X(LOOKUP, "lookup")           /* entry a[0] of tab; null when a[0] is -1 */ \
    X(BIN, "bin")                 /* index of tab's first interval holding a[0], or -1 */ \
    X(PIECEWISE, "piecewise")     /* a[0] through tab's points; `col` the outliers rule */ \
    X(LINEAR, "linear")           /* a[0] + a[1] + ... + a[n-1], in that order; null when one is */ \
    X(MEASURE, "measure")         /* comparison measure ms of a[0..n) and its row col; null when undefined */ \
    X(ASSOC, "assoc")             /* int: the rank-th rule of as selected for the items a[] (see IrAssoc) */ \
    X(VECTOR, "vector")           /* a[0..n) as one vector: the inputs of S_KERNEL; null when one is */ \
    /* PFA: values of every Avro type; errors are PFA runtime errors */    \
    X(LIB, "lib")           /* library function `lib`(a[]) (by name)      */ \
    X(UCALL, "ucall")       /* user function `func`(a[])                  */ \
    X(FNREF, "fnref")       /* function value: `func` with a[] filled at params fill[] */ \
    X(CONST, "const")       /* composite constant: Avro JSON text lit_str */ \
    X(NEW, "new")           /* array / map (keys strs[]) / record of a[]  */ \
    X(INDEX, "index")       /* array a[0] at int a[1]; error `code`       */ \
    X(MAPGET, "map-get")    /* map a[0] at string a[1]; error `code`      */ \
    X(FIELD, "field")       /* field `col` of record a[0]                 */ \
    X(INDEX_SET, "index-set") /* copy of array a[0] with a[1] := a[2]     */ \
    X(MAP_SET, "map-set")   /* copy of map a[0] with a[1] := a[2]         */ \
    X(FIELD_SET, "field-set") /* copy of record a[0] with field `col` := a[1] */ \
    X(ENTRY_KEY, "entry-key") /* key of the a[1]-th entry of map a[0]     */ \
    X(ENTRY_VAL, "entry-val") /* value of the a[1]-th entry of map a[0]   */ \
    X(CONV, "conv")         /* a[0] converted to `type`, which accepts it */ \
    X(UNION_IS, "union-is") /* union a[0] holds a value `t2` accepts      */ \
    X(UNION_AS, "union-as") /* that value, as `type`                      */ \
    X(CELL, "cell")         /* value of cell `col`                        */ \
    X(POOL_GET, "pool-get") /* item a[0] of pool `col`; error `code`      */ \
    X(POOL_HAS, "pool-has") /* pool `col` has item a[0]                   */ \
    X(ENGINE, "engine")     /* engine counter `col`: 0 actionsStarted, 1 actionsFinished */

typedef enum {
#define X(k, s) E_##k,
    IR_EXPR_KINDS(X)
#undef X
    E__COUNT
} IrExprKind;

/* A constant table of the model (E_FIND_NUM, E_LOOKUP, E_BIN, E_PIECEWISE):
 * printed as static const data and searched by a library function, so that
 * a list of 100,000 rows costs 100,000 lines of data, not code.  Values are
 * strings (str) when type is string, else numbers (num); width numbers make
 * one entry (E_BIN: low, high, flags; E_PIECEWISE: orig, norm). */
typedef struct IrTable {
    IrType *type;
    int n;                 /* entries */
    int width;             /* numbers per entry (1 for keys and values) */
    double *num;
    const char **str;
} IrTable;

/* A comparison measure over a constant table of rows (PMML's
 * ComparisonMeasure of clustering and k-nearest-neighbour models): how the
 * record (nf numbers, NaN for missing) is compared with each row.  Kinds
 * are the run-time library's (kernel_metric): the distances, then binary
 * similarities with coefficients c and d (in the order 00, 01, 10, 11). */
typedef enum { IR_MS_EUCLID, IR_MS_SQEUCLID, IR_MS_CHEBYSHEV, IR_MS_CITYBLOCK, IR_MS_MINKOWSKI,
               IR_MS_BINARY } IrMeasureKind;
/* compare functions of one field */
typedef enum { IR_CF_ABS_DIFF, IR_CF_GAUSS_SIM, IR_CF_DELTA, IR_CF_EQUAL, IR_CF_TABLE } IrCompareFn;

typedef struct IrMeasure {
    IrMeasureKind kind;
    double p;              /* minkowski's p */
    double c[4], d[4];     /* binary similarity */
    int nf;                /* fields */
    IrCompareFn *cmp;      /* per field */
    double *weight;        /* fieldWeight */
    double *scale;         /* similarityScale (gaussSim) */
    double *q;             /* missing-value weight */
    int *msize;            /* table: the field's msize x msize matrix (row: the record's value) */
    double **matrix;
    IrTable *rows;         /* the rows, nf numbers each */
    Loc loc;
} IrMeasure;

/* An association model's items, itemsets and rules (E_ASSOC).  The items
 * present are either the set of values a[0] (a string array: transactional
 * data) or a[0..nitems) (booleans, one per item).  E_ASSOC selects rules by
 * its col (IR_ASSOC_*) and orders them by tab (one number per rule),
 * descending when lit_bool, ties in document order; it is the index of the
 * rank-th (code), or -1. */
enum { IR_ASSOC_RECOMMENDATION, IR_ASSOC_EXCLUSIVE, IR_ASSOC_RULE };
typedef struct IrAssoc {
    int nitems;
    const char **items;    /* item values (matched against a set) */
    int nsets;
    int *set_start;        /* itemset s holds set_items[set_start[s] .. set_start[s + 1]) */
    int *set_items;
    int nrules;
    int *ante, *cons;      /* itemsets */
    Loc loc;
} IrAssoc;

/* E_BIN flags */
enum { IR_BIN_LEFT_CLOSED = 1, IR_BIN_RIGHT_CLOSED = 2 };
/* E_PIECEWISE outliers rule (PMML NormContinuous) */
enum { IR_OUTLIERS_AS_IS, IR_OUTLIERS_AS_MISSING, IR_OUTLIERS_AS_EXTREME };

typedef struct IrExpr IrExpr;
struct IrExpr {
    IrExprKind kind;
    IrType *type;          /* result type; nullable when it may be null */
    Loc loc;
    IrExpr **a;            /* operands */
    int n;
    IrFn fn;               /* E_CALL */
    int var;               /* E_VAR */
    int tree, col;         /* E_TREE, E_TREE_GET */
    /* E_LIT (by base type): */
    int lit_null;          /* the literal null */
    int lit_bool;
    long long lit_long;
    double lit_double;     /* also float literals (exactly representable) */
    const char *lit_str;
    /* E_STR_IN */
    const char **strs;
    int nstrs;
    /* PFA */
    size_t lit_len;        /* E_LIT string/bytes length (may hold NULs) */
    const char *lib;       /* E_LIB */
    int func;              /* E_UCALL, E_FNREF */
    int *fill;             /* E_FNREF: parameter index of each a[i] */
    int code;              /* run-time error code of E_INDEX, E_MAPGET, E_POOL_GET */
    IrTable *tab;          /* E_FIND_NUM, E_LOOKUP, E_BIN, E_PIECEWISE */
    IrMeasure *ms;         /* E_MEASURE */
    IrAssoc *as;           /* E_ASSOC */
    int peek;              /* E_CELL, E_POOL_GET: the read of a cell-to or pool-to, which gives its
                              value to the updater (not the routine: see S_GRANT) */
    IrType *t2;            /* E_UNION_IS */
};

/* ---- tree predicates (three-valued: true, false, unknown) ---- */
#define IR_PRED_KINDS(X)                                              \
    X(TRUE, "true") X(FALSE, "false")                                 \
    X(CMP, "cmp")              /* var op value                      */ \
    X(IS_MISSING, "isMissing") X(IS_NOT_MISSING, "isNotMissing")      \
    X(IN, "isIn") X(NOT_IN, "isNotIn")                                \
    X(AND, "and") X(OR, "or") X(XOR, "xor")                           \
    X(SURROGATE, "surrogate")  /* first kid that is not unknown     */

typedef enum {
#define X(k, s) P_##k,
    IR_PRED_KINDS(X)
#undef X
    P__COUNT
} IrPredKind;

typedef enum { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE } IrCmp;

typedef struct IrPred IrPred;
struct IrPred {
    IrPredKind kind;
    Loc loc;
    int var;               /* CMP, IS_*, IN, NOT_IN */
    IrCmp op;              /* CMP */
    double num;            /* CMP on numeric var (in the var's type) */
    const char *str;       /* CMP on string var */
    double *nums;          /* IN/NOT_IN on numeric var */
    const char **strs;     /* IN/NOT_IN on string var */
    int nvals;
    IrPred **kids;         /* AND/OR/XOR/SURROGATE */
    int nkids;
};

/* ---- trees ---- */
typedef enum {
    MV_NONE,               /* unknown counts as false */
    MV_LAST_PREDICTION,    /* stop at the parent */
    MV_NULL_PREDICTION,    /* the whole tree is null */
    MV_DEFAULT_CHILD       /* follow the parent's default child */
} IrMissingStrategy;

typedef struct IrTreeNode {
    IrPred *pred;
    int *kids;             /* node indices, in order */
    int nkids;
    int default_child;     /* node index or -1 */
    Loc loc;
} IrTreeNode;

typedef struct IrTreeCol {
    IrType *type;          /* nullable base type of the column */
    /* one value per node: */
    double *num;
    const char **str;
    unsigned char *is_null;
} IrTreeCol;

typedef struct IrTree {
    const char *name;      /* for comments: model name or segment id */
    Loc loc;
    IrTreeNode *nodes;     /* node 0 is the root */
    int nnodes;
    IrMissingStrategy missing;
    int no_true_child_null; /* 1: returnNullPrediction, 0: last prediction */
    IrTreeCol *cols;
    int ncols;
} IrTree;

/* ---- regular expressions (PMML's matches, replace, TextIndex patterns) ----
 * A pattern is compiled with the model (regex.c) into a program of the Pike
 * VM in runtime/lib/regex.c, which the backend prints as data: three ints
 * per instruction (op, x, y), and a class table (per class a count n, then
 * n ranges lo, hi of code points).  The ops are the run-time's NV_RX_ ops,
 * by name. */
#define IR_RE_OPS(X) X(CHAR) X(ANY) X(ANYNL) X(CLASS) X(SPLIT) X(JMP) X(SAVE) X(MATCH) \
    X(BOL) X(MBOL) X(EOL) X(MEOL) X(BEGIN) X(END) X(WORDB) X(NWORDB)
typedef enum {
#define X(k) RE_##k,
    IR_RE_OPS(X)
#undef X
    RE__COUNT
} IrReOp;
#define IR_RE_MAX_GROUPS 31   /* capture groups of one pattern */

typedef struct IrRegex {
    const char *src;       /* the pattern, for comments */
    int *prog;             /* 3 ints per instruction */
    int ninst;
    int *cls;              /* the class table */
    int ncls;
    int ngroups;           /* capturing groups (the match itself not counted) */
    int ncap;              /* capture slots a use needs (2: the match only); set by the lowering */
    int caseless, literal;
} IrRegex;

/* A pattern in PCRE's syntax (literal: the text itself, Java's
   Pattern.quote; caseless: (?i)), or NULL with the reason in err. */
IrRegex *ir_regex(Arena *a, const char *pattern, int caseless, int literal, char *err, size_t errlen);

/* ---- text indexes (PMML TextIndex): how a term is counted in a text ---- */
/* how text becomes tokens: split at \s+ or runs of \w (fast paths), split
   at the matches of a pattern (punctuation trimmed), the matches of a
   pattern, or not at all (tokenize="false": the whole text) */
typedef enum { TOK_SPACE, TOK_WORDS, TOK_SPLIT, TOK_MATCH, TOK_NONE } IrTokenizer;
typedef enum { TW_TERM_FREQUENCY, TW_BINARY, TW_LOGARITHMIC, TW_AUGMENTED } IrTermWeight;

/* one row of a normalization table: its matches replaced */
typedef struct IrTextRule {
    int words;             /* 1: whole ASCII words in strs (a \b(w1|...)\b row); 0: pattern `regex` */
    const char **strs;
    int nstrs;
    int regex;             /* the program's pattern (words 0) */
    const char *out;       /* words 1: the literal replacement; 0: a run-time template */
    int cs;                /* case-sensitive (the index's, or the normalization's own) */
} IrTextRule;

/* a TextIndexNormalization: its rows, in order */
typedef struct IrTextNorm {
    IrTextRule *rules;
    int nrules;
    int recursive;         /* reapplied while it changes the text */
} IrTextNorm;

typedef struct IrTextIndex {
    Loc loc;
    IrTokenizer tokenizer;
    int tok_regex;         /* TOK_SPLIT, TOK_MATCH: the program's pattern */
    int case_sensitive;
    int max_lev;           /* maxLevenshteinDistance */
    int best_hits;         /* countHits bestHits */
    IrTermWeight weight;
    IrTextNorm *norms;
    int nnorms;
} IrTextIndex;

/* ---- vector kernels: models whose numbers are long lists ----
 * A neural network's weights and a vector machine's support vectors are
 * data that a run-time kernel walks (runtime/lib/models.c), not code: the
 * statement S_KERNEL sets all of a kernel's output variables at once from
 * the vector of its inputs (an E_VECTOR of nullable numbers; any null input
 * makes every output null).  Outputs are nullable doubles, or ints where
 * said; a kernel that cannot give a result (a zero sum to divide by) also
 * makes them null. */

/* activation functions of a network's layer (PMML NeuralLayer) */
#define IR_ACTIVATIONS(X)                                                         \
    X(THRESHOLD, "threshold") X(LOGISTIC, "logistic") X(TANH, "tanh")             \
    X(IDENTITY, "identity") X(EXPONENTIAL, "exponential")                         \
    X(RECIPROCAL, "reciprocal") X(SQUARE, "square") X(GAUSS, "Gauss")             \
    X(SINE, "sine") X(COSINE, "cosine") X(ELLIOTT, "Elliott") X(ARCTAN, "arctan") \
    X(RECTIFIER, "rectifier") X(RADIAL_BASIS, "radialBasis")

typedef enum {
#define X(k, s) ACT_##k,
    IR_ACTIVATIONS(X)
#undef X
    ACT__COUNT
} IrActivation;

const char *ir_activation_name(IrActivation a);

/* how a layer's outputs are normalised together */
typedef enum { LNORM_NONE, LNORM_SIMPLEMAX, LNORM_SOFTMAX } IrLayerNorm;

/* One layer of a network.  The network's values are numbered: its inputs
   first, then each layer's neurons in order; layer l writes values
   [dst, dst + n).  A dense layer's neurons each read values
   [src, src + nsrc) in that order, with weights w[j * n + i] (source j,
   neuron i: source-major, so that a loop over the neurons is contiguous);
   any other layer lists its connections: neuron i reads value from[c]
   with weight w[c] for c in [start[i], start[i + 1]).  Sums start at 0
   and add weight times value in connection order, then the bias (-0.0
   where a neuron has none, which adds nothing); radialBasis adds
   (value - weight)^2 instead. */
typedef struct IrLayer {
    Loc loc;
    int n, dst;
    IrActivation act;
    IrLayerNorm norm;
    double threshold;      /* threshold activation */
    double leakage;        /* rectifier: slope below 0, when leaky */
    int leaky;
    int dense, src, nsrc;
    double *w;
    int *from, *start;     /* connection lists (not dense) */
    int nconn;             /* weights held: nsrc * n (dense) or start[n] */
    double *bias;          /* per neuron */
    double *width, *altitude; /* radialBasis: per neuron */
} IrLayer;

typedef struct IrNet {
    int nvalues;           /* inputs + neurons */
    IrLayer *layers;
    int nlayers;
    int *out_value;        /* per kernel output: the value it reads */
} IrNet;

/* vector machine kernels (PMML's *KernelType) */
typedef enum { SVK_LINEAR, SVK_POLYNOMIAL, SVK_RADIAL_BASIS, SVK_SIGMOID } IrSvmKernel;
/* what the outputs of a vector machine kernel are */
typedef enum {
    SVM_VALUES,            /* each machine's value, in order (regression) */
    SVM_ONE_AGAINST_ALL,   /* out 0 (int): the winning category, the least value (the greatest when
                              max_wins), first on ties; then each category's value, NaN when no
                              machine names it */
    SVM_VOTES              /* out 0 (int): the category with most votes, on ties the first to get
                              one; then each category's votes / machines (one against one,
                              binary) */
} IrSvmMode;

/* Support vectors vec[v * dim .. (v + 1) * dim) (dense; a sparse array's
   absent entries are 0); machine m adds coef[t] * K(x, vec[idx[t]]) for t
   in [start[m], start[m + 1]), in order, from 0, then b[m].  With
   `linear_coefs` (svmRepresentation Coefficients) there are no support
   vectors: machine m adds coef[t] * x[idx[t]] instead. */
typedef struct IrSvm {
    IrSvmKernel kernel;
    double gamma, coef0, degree;
    int dim, nvec;
    double *vec;
    int nmach;
    int *start, *idx;
    double *coef, *b;
    int linear_coefs;
    IrSvmMode mode;
    int ncats;
    int *cat, *alt;        /* per machine: its category; the alternate (SVM_VOTES) */
    double *thr;           /* per machine: the threshold (SVM_VOTES) */
    int max_wins;          /* the greater value wins (target when above threshold) */
    int alt_binary;        /* SVM_VOTES by the rounded value: 1 target, 0 alternate, else no result */
} IrSvm;

typedef enum { KERNEL_NET, KERNEL_SVM } IrKernelKind;

typedef struct IrKernel {
    IrKernelKind kind;
    const char *name;      /* for comments */
    Loc loc;
    int nin;               /* the E_VECTOR's length */
    int *outs;             /* the variables it sets */
    int nouts;
    IrNet *net;
    IrSvm *svm;
} IrKernel;

/* ---- statements ---- */
#define IR_STMT_KINDS(X)                                               \
    X(SET, "set")              /* var := e                          */ \
    X(IF, "if")                /* if e (non-null true) then else    */ \
    X(RETURN_INVALID, "return-invalid") /* record is invalid         */ \
    X(NEAREST, "nearest")      /* vars[0..k) := the k rows of ms nearest \
                                  the record args[] (best first, ties by \
                                  row; -1 past the last), vars[k..2k) := \
                                  their measures (null when undefined) */ \
    /* PFA */                                                          \
    X(LOOP, "loop")            /* repeat then_b until a break       */ \
    X(BREAK, "break")          /* leave the innermost loop          */ \
    X(EXPR, "expr")            /* evaluate e for its errors/effects */ \
    X(TRY, "try")              /* then_b; on a caught error, else_b */ \
    X(LOG, "log")              /* log args[] (namespace str)        */ \
    X(EMIT, "emit")            /* emit e (emit engines)             */ \
    X(ERROR, "error")          /* raise a user error str, code      */ \
    X(CELL_SET, "cell-set")    /* cell `var` := e                   */ \
    X(POOL_SET, "pool-set")    /* pool `var` item e := e2           */ \
    X(POOL_DEL, "pool-del")    /* remove pool `var` item e          */ \
    X(STATE, "state")          /* PMML: the per-entity state step (IrStateRead) */ \
    X(LOCK, "lock")            /* hold shared state's lock (nests)  */ \
    X(UNLOCK, "unlock")        /* release it                        */ \
    X(GRANT, "grant")          /* the updater call `code` that follows may change cell `var` (pool `var` item e when has_code) in place, if it passes it on at param nargs (pass_inplace.c) */ \
    /* vector kernels (IrKernel) */                                    \
    X(KERNEL, "kernel")        /* kernel `var`'s outs := its function of the vector e; null when e is */

typedef enum {
#define X(k, s) S_##k,
    IR_STMT_KINDS(X)
#undef X
    S__COUNT
} IrStmtKind;

typedef struct IrBlock IrBlock;
typedef struct IrStmt IrStmt;
struct IrBlock {
    IrStmt **s;
    int n, cap;
};

struct IrStmt {
    IrStmtKind kind;
    Loc loc;
    int var;               /* SET; CELL_SET/POOL_SET/POOL_DEL: cell or pool index */
    IrExpr *e;             /* SET value, IF condition */
    IrBlock then_b, else_b;
    const char *comment;   /* names the source element (emitted as comment) */
    /* PFA */
    IrExpr *e2;            /* POOL_SET value */
    IrExpr **args;         /* LOG */
    int nargs;
    const char *str;       /* ERROR message, LOG namespace */
    size_t str_len;
    long long code;        /* ERROR code (has_code) */
    int has_code;
    const char **filter_s; /* TRY: catch only these messages / codes (none: all) */
    long long *filter_i;
    int nfilter_s, nfilter_i;
    /* S_NEAREST */
    IrMeasure *ms;
    int *vars;
    int nvars;
};

/* ---- per-entity state (PMML's Lag and Aggregate) ----
 * Values of earlier records, kept per entity: the records whose key fields
 * (a Lag's BlockIndicators, an Aggregate's groupField) hold the same
 * values.  A program with reads has a state object in its interface (the
 * host creates, resets and frees it); its S_STATE statement, first in the
 * body, gives each read's variable its value from the entity's state, then
 * adds the record's values to it.  Fields and keys are inputs, as the
 * host gave them (missing or invalid: missing). */
typedef enum {
    SR_LAG,                /* the field n records back in the entity, or null */
    SR_LAG_AGG,            /* fn of the field over the entity's previous n records */
    SR_RUNNING             /* fn of the field over the entity's records so far, this one too */
} IrStateReadKind;

/* SR_LAG_AGG: Lag aggregate="..."; SR_RUNNING: Aggregate function="..." */
enum { SA_AVG, SA_MAX, SA_MEDIAN, SA_MIN, SA_PRODUCT, SA_SUM, SA_STDDEV, SA_COUNT };

typedef struct IrStateRead {
    IrStateReadKind kind;
    int map;               /* index of the key list (IrStateMap) */
    int input;             /* the field: index of an input */
    int n;                 /* SR_LAG, SR_LAG_AGG: how many records back */
    int fn;                /* SA_... */
    int var;               /* the variable that gets the value */
    Loc loc;
} IrStateRead;

typedef struct IrStateMap {
    int *keys;             /* input indices; none: one entity */
    int nkeys;
} IrStateMap;

/* ---- program ---- */
typedef enum { VAR_LOCAL, VAR_INPUT } IrVarRole;

typedef struct IrVar {
    const char *name;      /* source name, for comments and dumps */
    IrType *type;
    IrVarRole role;
    int input;             /* VAR_INPUT: index into inputs */
    int func;              /* PFA: the function (IrEngine.funcs) it is local to */
} IrVar;

typedef struct IrField {
    const char *name;
    IrType *type;          /* nullable scalar, or an array of strings (a set of items) */
    int var;               /* outputs: the variable holding the value */
    Loc loc;
    int grouping;          /* an input the model does not read whose equal values make rows one
                              record (an association model's group field) */
} IrField;

/* ---- PFA engines ----
 * A PFA document is an engine: typed input and output values (not fields),
 * persistent cells and pools, and functions: the action, begin, end and
 * merge routines, user functions, and the functions that inline closures,
 * function references and try bodies lower to.  Each function owns the
 * variables whose `func` is its index; its parameters come first. */
typedef enum { ENG_MAP, ENG_EMIT, ENG_FOLD } IrMethod;
typedef enum { FK_USER, FK_ACTION, FK_BEGIN, FK_END, FK_MERGE, FK_TRY } IrFuncKind;

typedef struct IrFunc {
    const char *name;      /* for comments */
    Loc loc;
    IrFuncKind kind;
    int *params;           /* variables */
    int nparams;
    IrType *ret;
    int result;            /* variable returned at the end, or -1 (null) */
    IrBlock body;
} IrFunc;

typedef struct IrCell {
    const char *name;
    Loc loc;
    IrType *type;          /* a pool's item type */
    const char *init;      /* Avro JSON text (a pool: a map of items) */
    int shared, rollback;
} IrCell;

typedef struct IrEngine {
    IrMethod method;
    IrType *input, *output;
    IrFunc *funcs;
    int nfuncs, cap_funcs;
    int action, begin, end, merge;  /* function indices, -1 when absent */
    IrCell *cells, *pools;
    int ncells, npools;
    const char *zero;      /* fold: Avro JSON text of the first tally */
    int has_randseed;
    long long randseed;
    long long timeout[3];  /* begin, action, end: milliseconds, -1 none (options) */
} IrEngine;

typedef struct IrProgram {
    const char *name;      /* model name */
    const char *source;    /* model file name (no directories) */
    const char *kind;      /* e.g. "MiningModel(TreeModel x 71)" for info */
    IrField *inputs;
    int ninputs, cap_inputs;
    IrField *outputs;
    int noutputs, cap_outputs;
    IrVar *vars;
    int nvars, cap_vars;
    IrTree **trees;
    int ntrees, cap_trees;
    IrTextIndex **texts;
    int ntexts, cap_texts;
    IrKernel **kernels;    /* S_KERNEL's, by index */
    int nkernels, cap_kernels;
    IrRegex **regexes;
    int nregexes, cap_regexes;
    IrStateMap *smaps;     /* per-entity state: its key lists ... */
    int nsmaps, cap_smaps;
    IrStateRead *sreads;   /* ... and what the records read of it */
    int nsreads, cap_sreads;
    IrBlock body;
    IrEngine *eng;         /* PFA engines (then inputs/outputs/body are unused) */
} IrProgram;

typedef struct IrBuilder {
    Arena *a;
    Diags *d;
    IrProgram *p;
} IrBuilder;

IrProgram *ir_program_new(Arena *a);
int ir_add_var(IrBuilder *b, const char *name, IrType *t);
int ir_add_input(IrBuilder *b, const char *name, IrType *t, Loc loc); /* returns var */
void ir_add_output(IrBuilder *b, const char *name, IrType *t, int var, Loc loc);
int ir_add_tree(IrBuilder *b, IrTree *t);
/* a kernel and the statement that runs it on xs[0..n) into blk */
IrStmt *ir_kernel(IrBuilder *b, IrBlock *blk, IrKernel *k, IrExpr **xs, int n);
/* the program's index of a compiled pattern (a use refers to it by index) */
int ir_add_regex(IrBuilder *b, IrRegex *re);
/* the index of the state map of keys[0..n) (the same keys, the same map) */
int ir_state_map(IrBuilder *b, const int *keys, int n);
/* a read of the per-entity state; returns the variable it sets */
int ir_state_read(IrBuilder *b, IrStateRead r, const char *name, IrType *t);

IrExpr *ir_lit_null(IrBuilder *b, IrType *t);
IrExpr *ir_lit_bool(IrBuilder *b, int v);
IrExpr *ir_lit_long(IrBuilder *b, long long v);
IrExpr *ir_lit_double(IrBuilder *b, double v);
IrExpr *ir_lit_float(IrBuilder *b, float v);
IrExpr *ir_lit_str(IrBuilder *b, const char *s);
IrExpr *ir_var(IrBuilder *b, int var);
IrExpr *ir_if(IrBuilder *b, IrExpr *c, IrExpr *t, IrExpr *e);
IrExpr *ir_call(IrBuilder *b, IrFn fn, IrType *t, IrExpr **args, int n);
IrExpr *ir_call1(IrBuilder *b, IrFn fn, IrType *t, IrExpr *x);
IrExpr *ir_call2(IrBuilder *b, IrFn fn, IrType *t, IrExpr *x, IrExpr *y);
IrExpr *ir_is_null(IrBuilder *b, IrExpr *x);
IrExpr *ir_coalesce(IrBuilder *b, IrExpr *x, IrExpr *y);
IrExpr *ir_cast(IrBuilder *b, IrType *t, IrExpr *x);
IrExpr *ir_str_in(IrBuilder *b, IrExpr *x, const char **strs, int n);
IrExpr *ir_tree(IrBuilder *b, int tree);
IrExpr *ir_tree_get(IrBuilder *b, int tree, int col, IrExpr *node);
IrExpr *ir_null_if_nan(IrBuilder *b, IrExpr *x);
/* x, where a NaN value makes the whole record invalid (PMML's Apply
   invalidValueTreatment returnInvalid): scoring stops there */
IrExpr *ir_invalid_if_nan(IrBuilder *b, IrExpr *x);
IrExpr *ir_input_invalid(IrBuilder *b, int var);
IrExpr *ir_text_index(IrBuilder *b, IrTextIndex *t, IrExpr *text, IrExpr *term);
IrExpr *ir_intern(IrBuilder *b, IrExpr *x, const char **sorted, int n);
IrExpr *ir_code_in(IrBuilder *b, IrExpr *x, unsigned long long mask);
/* the tables (see IrTable); find_num's keys must be sorted and unique */
IrTable *ir_table(IrBuilder *b, IrType *t, int n, int width);
IrExpr *ir_find_num(IrBuilder *b, IrExpr *x, IrTable *keys);
IrExpr *ir_lookup(IrBuilder *b, IrExpr *index, IrTable *values);
IrExpr *ir_bin(IrBuilder *b, IrExpr *x, IrTable *bins);
IrExpr *ir_piecewise(IrBuilder *b, IrExpr *x, IrTable *points, int outliers);
/* the measure ms between x[0..ms->nf) and row `row` of its table */
IrExpr *ir_measure(IrBuilder *b, IrMeasure *ms, IrExpr **x, int row);
/* the k rows nearest x[0..ms->nf): idx[i] (int vars) their numbers, best
   first, val[i] (double vars) their measures */
IrStmt *ir_nearest(IrBuilder *b, IrBlock *blk, IrMeasure *ms, IrExpr **x, int k, const int *idx, const int *val);
/* xs[0..n) joined by the associative boolean fn (FN_OR, FN_AND, or FN_NE
   as exclusive or) as a balanced tree, so that a list of 50,000 values is
   an expression 16 deep, not 50,000; NULL when n is 0 */
IrExpr *ir_fold(IrBuilder *b, IrFn fn, IrExpr **xs, int n);
/* the sum of terms[0..n) in order, flat however many (E_LINEAR) */
IrExpr *ir_linear(IrBuilder *b, IrType *t, IrExpr **terms, int n);

/* PFA: any expression or statement kind; the caller fills the kind's fields */
IrExpr *ir_node(IrBuilder *b, IrExprKind k, IrType *t, Loc loc, IrExpr **args, int n);
IrStmt *ir_stmt(IrBuilder *b, IrBlock *blk, IrStmtKind k, Loc loc);
int ir_add_func(IrBuilder *b, const char *name, IrFuncKind kind, IrType *ret, Loc loc);
int ir_add_local(IrBuilder *b, int func, const char *name, IrType *t);

IrStmt *ir_set(IrBuilder *b, IrBlock *blk, int var, IrExpr *e);
IrStmt *ir_if_stmt(IrBuilder *b, IrBlock *blk, IrExpr *cond);
void ir_return_invalid(IrBuilder *b, IrBlock *blk, Loc loc);

/* A hash of a program's interface: its input and output fields' names and
   types, in order.  The header carries it (PREFIX_INTERFACE_HASH), so a host
   can tell at build or load time that a model's fields changed. */
uint64_t ir_interface_hash(const IrProgram *p);

/* ---- passes (pass_*.c) ---- */
/* compare strings against constants once per value, as integer codes */
void pass_intern_strings(IrBuilder *b);
/* drop statements whose results nothing reads (outputs are the roots) */
void pass_dead_stores(IrBuilder *b);
/* variables set once to an invariant value (a literal, an input's invalid
   mark) replaced by it where they are read (pass_propagate.c) */
void pass_propagate(IrBuilder *b);
/* PFA: whether function `func` of the engine passes its parameter number
   `param` on only once, straight to a library function, so that a value it
   is given may be changed in place by that function (S_GRANT) */
int ir_passes_param_to_lib(const IrProgram *p, int func, int param);

/* ---- compile-time evaluation (ir_eval.c) ---- */
typedef struct IrVal {
    int null;
    int isstr;
    double d;              /* numbers and booleans (0, 1) */
    const char *s;
} IrVal;
/* runs the assignments of b with the variables' values in env[] (updated);
   NULL, or what could not be evaluated at compile time */
const char *ir_eval_block(const IrProgram *p, const IrBlock *b, IrVal *env);

/* a readable dump, used by golden tests and `nerva compile --dump-ir` */
void ir_dump(const IrProgram *p, StrBuf *out);

#endif
