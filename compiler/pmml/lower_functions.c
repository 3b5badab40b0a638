/* PMML's Apply to IR: the built-in function library of PMML 4.4, calls of
 * DefineFunctions (inlined), and the rules around every call: mapMissingTo,
 * defaultValue, and invalidValueTreatment with invalid results detected.
 *
 * Why a file of its own: the library is long (about 70 functions, with the
 * standard's special rules for missing values: aggregates skip them, concat
 * drops them, isIn tests for them), and the string, date and regex
 * functions need more than a table entry.  The semantics follow the
 * standard's Built-in Functions page, and where it is silent JPMML's
 * (org.jpmml.evaluator.Functions): the reference evaluator nerva's results
 * are compared with.  Numeric kernels come from runtime/lib/kernels.c
 * through the IR's calls. */
#include "lower_pmml.h"
#include "bounds.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* the built-ins that are one IR call of their arguments */
enum { R_NUM, R_BOOL, R_STR };
static const struct {
    const char *name;
    IrFn fn;
    int arity;       /* -1: any number >= 1 */
    int result;      /* R_NUM, R_BOOL, R_STR */
} builtins[] = {
    {"+", FN_ADD, 2, R_NUM}, {"-", FN_SUB, 2, R_NUM}, {"*", FN_MUL, 2, R_NUM}, {"/", FN_DIV, 2, R_NUM},
    {"modulo", FN_MOD, 2, R_NUM}, {"pow", FN_POW, 2, R_NUM}, {"exp", FN_EXP, 1, R_NUM},
    {"ln", FN_LN, 1, R_NUM}, {"log10", FN_LOG10, 1, R_NUM}, {"sqrt", FN_SQRT, 1, R_NUM},
    {"abs", FN_ABS, 1, R_NUM}, {"floor", FN_FLOOR, 1, R_NUM}, {"ceil", FN_CEIL, 1, R_NUM},
    {"round", FN_ROUND, 1, R_NUM}, {"rint", FN_RINT, 1, R_NUM}, {"threshold", FN_THRESHOLD, 2, R_NUM},
    {"expm1", FN_EXPM1, 1, R_NUM}, {"ln1p", FN_LN1P, 1, R_NUM},
    /* "missing values in the input to an aggregate function are simply ignored" */
    {"min", FN_AGG_MIN, -1, R_NUM}, {"max", FN_AGG_MAX, -1, R_NUM}, {"sum", FN_AGG_SUM, -1, R_NUM},
    {"avg", FN_AGG_AVG, -1, R_NUM}, {"product", FN_AGG_PRODUCT, -1, R_NUM},
    {"median", FN_AGG_MEDIAN, -1, R_NUM},
    {"equal", FN_EQ, 2, R_BOOL}, {"notEqual", FN_NE, 2, R_BOOL}, {"lessThan", FN_LT, 2, R_BOOL},
    {"lessOrEqual", FN_LE, 2, R_BOOL}, {"greaterThan", FN_GT, 2, R_BOOL},
    {"greaterOrEqual", FN_GE, 2, R_BOOL}, {"and", FN_AND, -1, R_BOOL}, {"or", FN_OR, -1, R_BOOL},
    {"not", FN_NOT, 1, R_BOOL},
    {"lowercase", FN_LOWER, 1, R_STR}, {"uppercase", FN_UPPER, 1, R_STR},
    {"substring", FN_SUBSTR, 3, R_STR}, {"trimBlanks", FN_TRIM, 1, R_STR},
    {"stringLength", FN_STRLEN, 1, R_NUM},
    {"sin", FN_SIN, 1, R_NUM}, {"asin", FN_ASIN, 1, R_NUM}, {"sinh", FN_SINH, 1, R_NUM},
    {"cos", FN_COS, 1, R_NUM}, {"acos", FN_ACOS, 1, R_NUM}, {"cosh", FN_COSH, 1, R_NUM},
    {"tan", FN_TAN, 1, R_NUM}, {"atan", FN_ATAN, 1, R_NUM}, {"tanh", FN_TANH, 1, R_NUM},
    {"atan2", FN_ATAN2, 2, R_NUM}, {"hypot", FN_HYPOT, 2, R_NUM}, {"erf", FN_ERF, 1, R_NUM},
    {"normalCDF", FN_NORMAL_CDF, 3, R_NUM}, {"normalPDF", FN_NORMAL_PDF, 3, R_NUM},
    {"normalIDF", FN_NORMAL_IDF, 3, R_NUM}, {"stdNormalCDF", FN_STDNORM_CDF, 1, R_NUM},
    {"stdNormalPDF", FN_STDNORM_PDF, 1, R_NUM}, {"stdNormalIDF", FN_STDNORM_IDF, 1, R_NUM},
};

/* every built-in function of PMML 4.4 (and JPMML's atan2), for telling a
   misspelt name from a DefineFunction */
static const char *const pmml_functions[] = {
    "+", "-", "*", "/", "min", "max", "sum", "avg", "median", "product", "log10", "ln", "sqrt", "abs", "exp",
    "pow", "threshold", "floor", "ceil", "round", "modulo", "isMissing", "isNotMissing", "isValid", "isNotValid",
    "equal", "notEqual", "lessThan", "lessOrEqual", "greaterThan", "greaterOrEqual", "isIn", "isNotIn", "and",
    "or", "not", "if", "uppercase", "lowercase", "stringLength", "substring", "trimBlanks", "concat", "replace",
    "matches", "formatNumber", "formatDatetime", "dateDaysSinceYear", "dateSecondsSinceYear",
    "dateSecondsSinceMidnight", "normalCDF", "normalPDF", "stdNormalCDF", "stdNormalPDF", "normalIDF",
    "stdNormalIDF", "erf", "expm1", "hypot", "ln1p", "rint", "sin", "asin", "sinh", "cos", "acos", "cosh", "tan",
    "atan", "tanh", "atan2",
};

/* an Apply's function that is neither built in nor defined: say which */
static void unknown_function(Lower *L, const XElem *e, const char *fname)
{
    size_t nstd = sizeof pmml_functions / sizeof *pmml_functions;
    for (size_t i = 0; i < nstd; i++)
        if (!strcmp(pmml_functions[i], fname)) {
            diag_error(L->d, aloc(L, e, "function"), "function '%s' is not supported yet", fname);
            return;
        }
    const char **names = ARENA_ARRAY(L->a, const char *, (int)nstd + L->nfns);
    memcpy(names, pmml_functions, sizeof pmml_functions);
    for (int j = 0; j < L->nfns; j++)
        names[nstd + (size_t)j] = L->fns[j].name;
    const char *hint = closest_name(fname, names, (int)nstd + L->nfns);
    if (hint)
        diag_error(L->d, aloc(L, e, "function"), "unknown function '%s'; did you mean '%s'?", fname, hint);
    else
        diag_error(L->d, aloc(L, e, "function"), "unknown function '%s' (neither a PMML built-in nor a "
                   "DefineFunction)", fname);
}

/* the elements of e's subtree (recursion as deep as the document, which
   the reader bounds) */
static long xsize(const XElem *e)
{
    long n = 1;
    for (int k = 0; k < e->nkids; k++)
        n += xsize(e->kids[k]);
    return n;
}

/* DefineFunction calls are inlined: the parameters are let-bound in the
 * block where the calling DerivedField is computed (L->cur_block). */
static IrExpr *inline_user_fn(Lower *L, const XElem *e, const DefineFn *fn, IrExpr **args, int n)
{
    IrBuilder *b = &L->b;
    const XElem *d = fn->elem;
    int np = xcount(d, "ParameterField");
    if (np != n) {
        diag_error(L->d, lloc(L, e), "function '%s' takes %d arguments, given %d", fn->name, np, n);
        return NULL;
    }
    if (!L->cur_block) {
        diag_error(L->d, lloc(L, e), "function '%s' called where no statements can go", fn->name);
        return NULL;
    }
    Scope *fs = scope_new(L, NULL);
    int i = 0;
    const XElem *body = NULL;
    for (int k = 0; k < d->nkids; k++) {
        const XElem *pf = d->kids[k];
        if (!strcmp(pf->name, "ParameterField")) {
            const char *pn = xattr(pf, "name");
            const char *dt = xattr(pf, "dataType");
            IrExpr *a = args[i++];
            if (dt) {
                IrType *t = type_of_datatype(L, dt, pf);
                a = ir_cast(b, t, a);
            }
            int v = ir_add_var(b, pn ? pn : "param", ir_nullable(L->a, ir_base(a->type)));
            IrStmt *st = ir_set(b, L->cur_block, v, a);
            st->comment = arena_printf(L->a, "parameter %s of %s", pn ? pn : "", fn->name);
            scope_add(L, fs, pn ? pn : "", v, NULL);
        } else if (strcmp(pf->name, "Extension") != 0)
            body = pf;
    }
    if (!body) {
        diag_error(L->d, lloc(L, d), "function '%s' has no body", fn->name);
        return NULL;
    }
    /* each call copies the body: calls of calls multiply, so the copies
       are counted against a budget (a 5 KB model could otherwise expand
       to gigabytes) */
    long size = xsize(body);
    if (size > nv_limits.inline_size - L->inlined) {
        diag_error(L->d, lloc(L, e), "calls of DefineFunctions expand to more than %ld elements here (function "
                   "'%s', %ld elements a call)%s", nv_limits.inline_size, fn->name, size,
                   limits_hint("inline-size"));
        return NULL;
    }
    L->inlined += size;
    IrExpr *r = lower_expr(L, fs, body);
    const char *dt = xattr(d, "dataType");
    if (r && dt)
        r = ir_cast(b, type_of_datatype(L, dt, d), r);
    return r;
}

/* isValid / isNotValid: "a value is valid when it is not missing and not
   invalid"; a field's value is invalid when the DataField says so (and the
   MiningField lets it through: asIs), any number when it is NaN */
static IrExpr *validity(Lower *L, Scope *s, const XElem *arg, IrExpr *x, int want_invalid)
{
    IrBuilder *b = &L->b;
    IrExpr *bad = NULL;
    if (!strcmp(arg->name, "FieldRef")) {
        Field *f = scope_find(s, xattr(arg, "field") ? xattr(arg, "field") : "");
        if (f && f->invalid_var >= 0)
            bad = ir_var(b, f->invalid_var);
    }
    if (ir_is_numeric(x->type)) {
        IrExpr *nan = ir_coalesce(b, ir_call1(b, FN_ISNAN, ir_type(T_BOOL), x), ir_lit_bool(b, 0));
        bad = bad ? ir_call2(b, FN_OR, ir_type(T_BOOL), bad, nan) : nan;
    }
    IrExpr *present = ir_call1(b, FN_NOT, ir_type(T_BOOL), ir_is_null(b, x));
    IrExpr *r = bad ? bad : ir_lit_bool(b, 0);
    if (!want_invalid)
        r = ir_call1(b, FN_NOT, ir_type(T_BOOL), r);
    return ir_call2(b, FN_AND, ir_type(T_BOOL), present, r);
}

/* isIn / isNotIn: x equals one of the others; a missing x is in the list
   when the list holds a missing value (JPMML's reading) */
static IrExpr *is_in(Lower *L, IrExpr **args, int n, int negate)
{
    IrBuilder *b = &L->b;
    IrExpr **eqs = ARENA_ARRAY(L->a, IrExpr *, n + 1);
    IrExpr **nulls = ARENA_ARRAY(L->a, IrExpr *, n + 1);
    int nn = 0;
    for (int i = 1; i < n; i++) {
        IrExpr *y = args[i], *x = args[0];
        if (ir_is_numeric(x->type) != ir_is_numeric(y->type)) {
            x = ir_cast(b, ir_type(T_DOUBLE), x);
            y = ir_cast(b, ir_type(T_DOUBLE), y);
        }
        eqs[i - 1] = ir_coalesce(b, ir_call2(b, FN_EQ, ir_type(T_BOOL), x, y), ir_lit_bool(b, 0));
        if (ir_is_nullable(args[i]->type))
            nulls[nn++] = ir_is_null(b, args[i]);
    }
    IrExpr *acc = ir_fold(b, FN_OR, eqs, n - 1);
    IrExpr *r = acc ? acc : ir_lit_bool(b, 0);
    if (ir_is_nullable(args[0]->type)) {
        IrExpr *anynull = ir_fold(b, FN_OR, nulls, nn);
        r = ir_if(b, ir_is_null(b, args[0]), anynull ? anynull : ir_lit_bool(b, 0), r);
    }
    return negate ? ir_call1(b, FN_NOT, ir_type(T_BOOL), r) : r;
}

/* one IR call of a table entry: numbers meet in the wider type, comparisons
   in the non-string operand's type, logic in booleans, strings as text */
static IrExpr *table_call(Lower *L, IrFn fn, int result, IrExpr **args, int n)
{
    IrBuilder *b = &L->b;
    switch (result) {
    case R_NUM: {
        if (fn == FN_STRLEN) {
            IrExpr *x = ir_base(args[0]->type)->kind == T_STRING ? args[0] : ir_cast(b, ir_type(T_STRING), args[0]);
            return ir_cast(b, ir_type(T_DOUBLE), ir_call1(b, fn, ir_type(T_LONG), x));
        }
        IrType *t = lower_arith_type(L, args, n);
        for (int i = 0; i < n; i++)
            args[i] = ir_cast(b, t, args[i]);
        return ir_call(b, fn, t, args, n);
    }
    case R_BOOL:
        if (fn >= FN_EQ && fn <= FN_GE) {
            IrTemporal t0 = ir_temporal(args[0]->type), t1 = ir_temporal(args[1]->type);
            if (t0 && t1 && t0 != t1) /* dates of two kinds: as the first's */
                args[1] = ir_cast(b, ir_type_temporal(t0), args[1]);
            int sx = ir_base(args[0]->type)->kind == T_STRING;
            int sy = ir_base(args[1]->type)->kind == T_STRING;
            if (sx != sy) {
                /* compare as the non-string operand's type */
                if (sx)
                    args[0] = ir_cast(b, ir_base(args[1]->type), args[0]);
                else
                    args[1] = ir_cast(b, ir_base(args[0]->type), args[1]);
            } else if (!sx && ir_base(args[0]->type) != ir_base(args[1]->type)) {
                IrType *t = lower_arith_type(L, args, 2);
                args[0] = ir_cast(b, t, args[0]);
                args[1] = ir_cast(b, t, args[1]);
            }
        } else {
            for (int i = 0; i < n; i++)
                if (ir_base(args[i]->type)->kind != T_BOOL)
                    args[i] = ir_cast(b, ir_type(T_BOOL), args[i]);
        }
        return ir_call(b, fn, ir_type(T_BOOL), args, n);
    default:
        for (int i = 0; i < n; i++) {
            if (fn == FN_SUBSTR && i > 0)
                args[i] = ir_cast(b, ir_type(T_LONG), args[i]);
            else if (ir_base(args[i]->type)->kind != T_STRING)
                args[i] = ir_cast(b, ir_type(T_STRING), args[i]);
        }
        return ir_call(b, fn, ir_type(T_STRING), args, n);
    }
}

/* the date or time argument of a date function: a value whose unit is one
   of ok1, ok2 (1 days, 2 seconds of the day, 3 seconds); text is read as
   the data type `text_as` (JPMML reads a string argument the same way) */
static IrExpr *temporal_arg(Lower *L, const XElem *e, IrExpr *x, int ok1, int ok2, IrTemporal text_as)
{
    IrTemporal k = ir_temporal(x->type);
    if (!k && ir_base(x->type)->kind == T_STRING)
        return ir_cast(&L->b, ir_type_temporal(text_as), x);
    if (k && (ir_temporal_unit(k) == ok1 || ir_temporal_unit(k) == ok2))
        return x;
    diag_error(L->d, lloc(L, e), "function '%s' needs a %s, not a %s", xattr(e, "function"),
               ok1 == 2 ? "time or dateTime" : "date or dateTime", ir_type_name(x->type));
    return NULL;
}

/* the text of a constant argument (a pattern), or NULL after an error */
static const char *constant_text(Lower *L, const XElem *e, IrExpr *x, const char *what)
{
    if (x->kind != E_LIT || x->lit_null || ir_base(x->type)->kind != T_STRING) {
        diag_error(L->d, lloc(L, e), "function '%s': the %s must be a string constant (nerva compiles it)",
                   xattr(e, "function"), what);
        return NULL;
    }
    return x->lit_str;
}

/* the dates, formats and regular expressions of the library; NULL after an
   error, and *handled 0 when fname is none of them */
static IrExpr *library_call(Lower *L, Scope *s, const XElem *e, const XElem **kids, IrExpr **args, int n,
                            int *handled)
{
    IrBuilder *b = &L->b;
    const char *fname = xattr(e, "function");
    IrType *dt = ir_type(T_DOUBLE);
    *handled = 1;
    if (!strcmp(fname, "dateDaysSinceYear") || !strcmp(fname, "dateSecondsSinceYear")) {
        int days = fname[4] == 'D';
        if (n != 2)
            goto arity;
        IrExpr *x = temporal_arg(L, e, args[0], 1, 3, days ? TM_DATE : TM_DATETIME);
        if (!x)
            return NULL;
        return ir_call2(b, days ? FN_DAYS_SINCE_YEAR : FN_SECONDS_SINCE_YEAR, dt, x, ir_cast(b, dt, args[1]));
    }
    if (!strcmp(fname, "dateSecondsSinceMidnight")) {
        if (n != 1)
            goto arity;
        IrExpr *x = temporal_arg(L, e, args[0], 2, 3, TM_TIME);
        return x ? ir_call1(b, FN_SECONDS_SINCE_MIDNIGHT, dt, x) : NULL;
    }
    if (!strcmp(fname, "formatDatetime")) {
        if (n != 2)
            goto arity;
        /* any date or time; text is read as a dateTime */
        IrExpr *x = ir_temporal(args[0]->type) ? args[0] : temporal_arg(L, e, args[0], 1, 3, TM_DATETIME);
        const char *pat = x ? constant_text(L, e, args[1], "pattern") : NULL;
        if (!x || !pat)
            return NULL;
        pat = lower_datetime_pattern(L, e, pat, ir_temporal_unit(ir_temporal(x->type)));
        return pat ? ir_call2(b, FN_FORMAT_DATETIME, ir_type(T_STRING), x, ir_lit_str(b, pat)) : NULL;
    }
    if (!strcmp(fname, "formatNumber")) {
        if (n != 2)
            goto arity;
        const char *pat = constant_text(L, e, args[1], "pattern");
        if (!pat)
            return NULL;
        int is_int = lower_is_integer(L, s, kids[0]);
        pat = lower_number_pattern(L, e, pat, is_int);
        if (!pat)
            return NULL;
        IrExpr *x = args[0];
        int kind = is_int ? 2 : ir_base(x->type)->kind == T_FLOAT ? 1 : 0;
        if (!ir_is_numeric(x->type) || ir_temporal(x->type))
            x = ir_cast(b, dt, x);
        IrExpr *a3[3] = {x, ir_lit_str(b, pat), ir_lit_long(b, kind)};
        return ir_call(b, FN_FORMAT_NUMBER, ir_type(T_STRING), a3, 3);
    }
    if (!strcmp(fname, "matches") || !strcmp(fname, "replace")) {
        int rep = fname[0] == 'r';
        if (n != (rep ? 3 : 2))
            goto arity;
        const char *pat = constant_text(L, e, args[1], "pattern");
        IrRegex *re = pat ? lower_regex(L, e, fname, pat, 0, 0) : NULL;
        if (!re)
            return NULL;
        IrExpr *text = ir_base(args[0]->type)->kind == T_STRING ? args[0] : ir_cast(b, ir_type(T_STRING), args[0]);
        IrExpr *r;
        re->ncap = 2;
        if (rep) {
            /* JPMML turns PCRE's "$$" into Java's "\$" first */
            const char *repl = constant_text(L, e, args[2], "replacement");
            if (!repl)
                return NULL;
            StrBuf j;
            sb_init(&j);
            for (const char *q = repl; *q; q++) {
                if (q[0] == '$' && q[1] == '$') {
                    sb_puts(&j, "\\$");
                    q++;
                } else
                    sb_putc(&j, *q);
            }
            int maxref;
            const char *tmpl = lower_replacement(L, e, j.data ? j.data : "", re->ngroups, &maxref);
            sb_free(&j);
            if (!tmpl)
                return NULL;
            if (maxref > 0)
                re->ncap = 2 * (maxref + 1);
            r = ir_call2(b, FN_REPLACE, ir_type(T_STRING), text, ir_lit_str(b, tmpl));
        } else
            r = ir_call1(b, FN_MATCHES, ir_type(T_BOOL), text);
        r->tree = ir_add_regex(b, re);
        return r;
    }
    *handled = 0;
    return NULL;
arity:
    diag_error(L->d, lloc(L, e), "function '%s' given %d arguments", fname, n);
    return NULL;
}

/* invalidValueTreatment: what an invalid result (a NaN: 0/0, the log of a
   negative number, sqrt(-1), ...) of the function becomes.  returnInvalid
   (the default) makes the record invalid, as JPMML fails its evaluation;
   asMissing makes it missing (then defaultValue, when there is one); asIs
   keeps the NaN. */
static IrExpr *invalid_treatment(Lower *L, const XElem *e, IrExpr *r)
{
    IrBuilder *b = &L->b;
    const char *ivt = xattr(e, "invalidValueTreatment");
    IrTypeKind k = ir_base(r->type)->kind;
    if (ivt && strcmp(ivt, "returnInvalid") && strcmp(ivt, "asIs") && strcmp(ivt, "asMissing")) {
        diag_error(L->d, aloc(L, e, "invalidValueTreatment"), "Apply invalidValueTreatment '%s' is not allowed "
                   "(returnInvalid, asIs or asMissing)", ivt);
        return NULL;
    }
    if (k != T_DOUBLE && k != T_FLOAT)
        return r;
    if (!ivt || !strcmp(ivt, "returnInvalid"))
        return ir_invalid_if_nan(b, r);
    if (!strcmp(ivt, "asMissing"))
        return ir_null_if_nan(b, r);
    return r;
}

IrExpr *lower_apply(Lower *L, Scope *s, const XElem *e)
{
    IrBuilder *b = &L->b;
    const char *fname = xattr(e, "function");
    if (!fname) {
        diag_error(L->d, lloc(L, e), "<Apply> without a function");
        return NULL;
    }
    const XElem *kids[64];
    int n = lower_expr_kids(e, kids, 64);
    if (n > 64) {
        diag_error(L->d, lloc(L, e), "Apply with more than 64 arguments");
        return NULL;
    }
    IrExpr *args[64];
    for (int i = 0; i < n; i++) {
        args[i] = lower_expr(L, s, kids[i]);
        if (!args[i])
            return NULL;
    }
    IrExpr *r = NULL;
    if (!strcmp(fname, "isMissing") || !strcmp(fname, "isNotMissing")) {
        if (n != 1)
            goto arity;
        r = ir_is_null(b, args[0]);
        if (fname[2] == 'N')
            r = ir_call1(b, FN_NOT, ir_type(T_BOOL), r);
    } else if (!strcmp(fname, "isValid") || !strcmp(fname, "isNotValid")) {
        if (n != 1)
            goto arity;
        r = validity(L, s, kids[0], args[0], fname[2] == 'N');
    } else if (!strcmp(fname, "if")) {
        if (n != 2 && n != 3)
            goto arity;
        IrExpr *f = n == 3 ? args[2] : ir_lit_null(b, ir_base(args[1]->type));
        IrType *t1 = ir_base(args[1]->type), *t2 = ir_base(f->type);
        if (t1 != t2 && ir_is_numeric(t1) && ir_is_numeric(t2)) {
            args[1] = ir_cast(b, ir_type(T_DOUBLE), args[1]);
            f = ir_cast(b, ir_type(T_DOUBLE), f);
        }
        r = ir_if(b, args[0], args[1], f);
    } else if (!strcmp(fname, "isIn") || !strcmp(fname, "isNotIn")) {
        if (n < 1)
            goto arity;
        r = is_in(L, args, n, fname[2] == 'N');
    } else if (!strcmp(fname, "concat")) {
        /* missing arguments are left out (JPMML): the text of the others */
        if (n < 1)
            goto arity;
        IrExpr **parts = ARENA_ARRAY(L->a, IrExpr *, n + 1);
        for (int i = 0; i < n; i++) {
            IrExpr *x = ir_base(args[i]->type)->kind == T_STRING ? args[i] : ir_cast(b, ir_type(T_STRING), args[i]);
            parts[i] = ir_is_nullable(x->type) ? ir_coalesce(b, x, ir_lit_str(b, "")) : x;
        }
        r = n == 1 ? parts[0] : ir_call(b, FN_CONCAT, ir_type(T_STRING), parts, n);
    } else {
        int handled;
        r = library_call(L, s, e, kids, args, n, &handled);
        if (handled) {
            if (!r)
                return NULL;
            goto treat;
        }
        size_t k;
        for (k = 0; k < sizeof builtins / sizeof *builtins; k++)
            if (!strcmp(builtins[k].name, fname))
                break;
        if (k == sizeof builtins / sizeof *builtins) {
            int j;
            for (j = 0; j < L->nfns; j++)
                if (!strcmp(L->fns[j].name, fname))
                    break;
            if (j == L->nfns) {
                unknown_function(L, e, fname);
                return NULL;
            }
            r = inline_user_fn(L, e, &L->fns[j], args, n);
        } else {
            if ((builtins[k].arity >= 0 && n != builtins[k].arity) || n == 0)
                goto arity;
            r = table_call(L, builtins[k].fn, builtins[k].result, args, n);
        }
    }
treat:
    if (r)
        r = invalid_treatment(L, e, r);
    if (!r)
        return NULL;
    r = lower_map_missing(L, e, r, args, n);
    const char *dv = xattr(e, "defaultValue");
    if (dv) {
        IrExpr *c = lower_constant_for(L, dv, r->type, e);
        if (c)
            r = ir_coalesce(b, r, c);
    }
    return r;
arity:
    diag_error(L->d, lloc(L, e), "function '%s' given %d arguments", fname, n);
    return NULL;
}
