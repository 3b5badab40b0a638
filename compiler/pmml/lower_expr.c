/* PMML expressions, derived fields and predicates to IR.  PMML's rule that a
 * missing operand makes a missing result is the IR's default for calls, so
 * most elements map one to one; the exceptions (mapMissingTo, defaultValue,
 * isMissing, and/or with unknowns) are spelled out here. */
#include "lower_pmml.h"
#include "bounds.h"
#include "rt_shared.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EXPR_DEPTH 200

static int expr_depth;

IrExpr *lower_constant_for(Lower *L, const char *text, IrType *t, const XElem *e)
{
    IrBuilder *b = &L->b;
    t = ir_base(t);
    double v;
    switch (t->kind) {
    case T_STRING:
        return ir_lit_str(b, arena_strdup(L->a, text));
    case T_BOOL:
        if (!strcmp(text, "true") || !strcmp(text, "1"))
            return ir_lit_bool(b, 1);
        if (!strcmp(text, "false") || !strcmp(text, "0"))
            return ir_lit_bool(b, 0);
        break;
    case T_FLOAT: {
        if (!parse_double(text, &v))
            break;
        return ir_lit_float(b, strtof(text, NULL));
    }
    case T_INT:
    case T_LONG:
    case T_DOUBLE:
        if (ir_temporal(t)) {
            /* a date or time: its ISO 8601 text, as a record's is read */
            IrTemporal k = ir_temporal(t);
            if (!rt_iso_read(text, ir_temporal_unit(k), ir_temporal_since(k), &v)) {
                diag_error(L->d, lloc(L, e), "'%s' is not a %s value (ISO 8601: %s)", text, ir_type_name(t),
                           ir_temporal_unit(k) == 1 ? "YYYY-MM-DD"
                           : ir_temporal_unit(k) == 3 ? "YYYY-MM-DDThh:mm:ss"
                           : ir_temporal_since(k) ? "h:mm:ss" : "hh:mm:ss");
                return NULL;
            }
            IrExpr *c = ir_lit_double(b, v + ir_temporal_offset(k));
            c->type = t;
            return c;
        }
        if (!parse_double(text, &v))
            break;
        if (t->kind == T_DOUBLE)
            return ir_lit_double(b, v);
        /* an integer type holds integers: 1.5 is no integer, never 1 */
        if (v != floor(v) || !(v >= -9007199254740992.0 && v <= 9007199254740992.0))
            break;
        return ir_lit_long(b, (long long)v);
    default:
        break;
    }
    diag_error(L->d, lloc(L, e), "'%s' is not a %s value", text, ir_type_name(t));
    return NULL;
}

/* the expression children of e (skipping Extension) */
int lower_expr_kids(const XElem *e, const XElem **out, int max)
{
    int n = 0;
    for (int k = 0; k < e->nkids; k++) {
        if (!strcmp(e->kids[k]->name, "Extension"))
            continue;
        if (n < max)
            out[n] = e->kids[k];
        n++;
    }
    return n;
}

/* numbers meet in the wider of their types; float stays float */
IrType *lower_arith_type(Lower *L, IrExpr **a, int n)
{
    int any_double = 0;
    for (int i = 0; i < n; i++) {
        IrTypeKind k = ir_base(a[i]->type)->kind;
        if (k == T_DOUBLE || k == T_LONG || k == T_INT || k == T_BOOL || k == T_STRING)
            any_double = 1;
    }
    if (!any_double && n > 0)
        return ir_type(T_FLOAT);
    (void)L;
    return ir_type(T_DOUBLE);
}

static IrExpr *as_num(Lower *L, IrExpr *x, IrType *t)
{
    return ir_cast(&L->b, t, x);
}

IrExpr *lower_map_missing(Lower *L, const XElem *e, IrExpr *x, IrExpr **args, int n)
{
    IrBuilder *b = &L->b;
    const char *mm = xattr(e, "mapMissingTo");
    if (mm) {
        IrExpr **isn = ARENA_ARRAY(L->a, IrExpr *, n + 1);
        int k = 0;
        for (int i = 0; i < n; i++)
            if (ir_is_nullable(args[i]->type))
                isn[k++] = ir_is_null(b, args[i]);
        IrExpr *anyn = ir_fold(b, FN_OR, isn, k);
        if (anyn) {
            IrExpr *c = lower_constant_for(L, mm, x->type, e);
            if (c)
                x = ir_if(b, anyn, c, x);
        }
    }
    return x;
}

/* equality against a literal given as text, typed by the operand */
static IrExpr *eq_text(Lower *L, IrExpr *x, const char *text, const XElem *at)
{
    IrBuilder *b = &L->b;
    IrType *t = ir_base(x->type);
    IrExpr *c = lower_constant_for(L, text, t, at);
    if (!c)
        return ir_lit_bool(b, 0);
    return ir_call2(b, FN_EQ, ir_type(T_BOOL), x, c);
}

static IrExpr *lower_norm_continuous(Lower *L, Scope *s, const XElem *e)
{
    IrBuilder *b = &L->b;
    Field *f = need_field(L, s, xattr(e, "field"), e);
    if (!f)
        return NULL;
    int n = xcount(e, "LinearNorm");
    if (n < 2) {
        diag_error(L->d, lloc(L, e), "NormContinuous needs at least two LinearNorm");
        return NULL;
    }
    double *o = ARENA_ARRAY(L->a, double, n), *v = ARENA_ARRAY(L->a, double, n);
    int i = 0;
    for (int k = 0; k < e->nkids; k++) {
        const XElem *ln = e->kids[k];
        if (strcmp(ln->name, "LinearNorm") != 0)
            continue;
        if (!parse_double(xattr(ln, "orig"), &o[i]) || !parse_double(xattr(ln, "norm"), &v[i])) {
            diag_error(L->d, lloc(L, ln), "LinearNorm needs numeric orig and norm");
            return NULL;
        }
        if (i > 0 && o[i] <= o[i - 1]) {
            diag_error(L->d, lloc(L, ln), "LinearNorm orig values must increase");
            return NULL;
        }
        i++;
    }
    /* the points as a table, searched by nv_piecewise: linear between
       them, the outliers rule outside */
    IrExpr *x = as_num(L, ir_var(b, f->var), ir_type(T_DOUBLE));
    IrTable *pts = ir_table(b, ir_type(T_DOUBLE), n, 2);
    for (int k = 0; k < n; k++) {
        pts->num[2 * k] = o[k];
        pts->num[2 * k + 1] = v[k];
    }
    const char *outl = xattr(e, "outliers");
    int rule = IR_OUTLIERS_AS_IS;
    if (outl && !strcmp(outl, "asMissingValues"))
        rule = IR_OUTLIERS_AS_MISSING;
    else if (outl && !strcmp(outl, "asExtremeValues"))
        rule = IR_OUTLIERS_AS_EXTREME;
    else if (outl && strcmp(outl, "asIs") != 0) {
        diag_error(L->d, aloc(L, e, "outliers"), "outliers '%s' is not known", outl);
        return NULL;
    }
    IrExpr *r = ir_piecewise(b, x, pts, rule);
    IrExpr *args[1] = {ir_var(b, f->var)};
    return lower_map_missing(L, e, r, args, 1);
}

static IrExpr *lower_discretize(Lower *L, Scope *s, const XElem *e)
{
    IrBuilder *b = &L->b;
    Field *f = need_field(L, s, xattr(e, "field"), e);
    if (!f)
        return NULL;
    IrType *rt = type_of_datatype(L, xattr(e, "dataType") ? xattr(e, "dataType") : "string", e);
    IrExpr *x = as_num(L, ir_var(b, f->var), ir_type(T_DOUBLE));
    const char *dv = xattr(e, "defaultValue");
    IrExpr *r = dv ? lower_constant_for(L, dv, rt, e) : ir_lit_null(b, rt);
    if (!r)
        return NULL;
    /* the bins as a table: the first that holds x gives its binValue */
    int n = xcount(e, "DiscretizeBin");
    IrTable *bins = ir_table(b, ir_type(T_DOUBLE), n, 3);
    IrTable *vals = ir_table(b, ir_base(rt), n, 1);
    int i = 0;
    for (int k = 0; k < e->nkids; k++) {
        const XElem *bin = e->kids[k];
        if (strcmp(bin->name, "DiscretizeBin") != 0)
            continue;
        const XElem *iv = xchild(bin, "Interval");
        const char *bv = xattr(bin, "binValue");
        if (!iv || !bv) {
            diag_error(L->d, lloc(L, bin), "DiscretizeBin needs binValue and an Interval");
            return NULL;
        }
        const char *c = xattr(iv, "closure");
        const char *lm = xattr(iv, "leftMargin"), *rm = xattr(iv, "rightMargin");
        double lo = 0, hi = 0;
        int flags = 0;
        if (!c || (strcmp(c, "openClosed") && strcmp(c, "openOpen") && strcmp(c, "closedOpen") &&
                   strcmp(c, "closedClosed"))) {
            diag_error(L->d, aloc(L, iv, "closure"), "Interval closure '%s' is not known", c ? c : "");
            return NULL;
        }
        if ((lm && !parse_double(lm, &lo)) || (rm && !parse_double(rm, &hi))) {
            diag_error(L->d, aloc(L, iv, lm && !parse_double(lm, &lo) ? "leftMargin" : "rightMargin"),
                       "an Interval margin is not a number");
            return NULL;
        }
        flags |= !strncmp(c, "closed", 6) ? IR_BIN_LEFT_CLOSED : 0;
        flags |= !strcmp(c + strlen(c) - 6, "Closed") ? IR_BIN_RIGHT_CLOSED : 0;
        flags |= lm ? 0 : 4;
        flags |= rm ? 0 : 8;
        bins->num[3 * i] = lo;
        bins->num[3 * i + 1] = hi;
        bins->num[3 * i + 2] = flags;
        IrExpr *val = lower_constant_for(L, bv, rt, bin);
        if (!val)
            return NULL;
        if (vals->str)
            vals->str[i] = val->lit_str;
        else
            vals->num[i] = ir_base(rt)->kind == T_BOOL ? val->lit_bool : val->lit_double;
        i++;
    }
    r = ir_coalesce(b, ir_lookup(b, ir_bin(b, x, bins), vals), r);
    /* a missing input is missing (or mapMissingTo), not the default */
    r = ir_if(b, ir_is_null(b, x), ir_lit_null(b, rt), r);
    IrExpr *args[1] = {x};
    return lower_map_missing(L, e, r, args, 1);
}

/* the text of a cell of an InlineTable row (<col>text</col>) */
static const char *cell(const XElem *row, const char *col)
{
    const XElem *c = xchild(row, col);
    return c ? c->text : NULL;
}

/* rows of a MapValues with several key columns are a chain of tests */

static int cmp_key_num(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct KeyRow {
    const char *str;
    double num;
    int row;
} KeyRow;

static int cmp_keyrow_str(const void *a, const void *b)
{
    const KeyRow *x = a, *y = b;
    int c = strcmp(x->str, y->str);
    return c ? c : x->row - y->row;
}

static int cmp_keyrow_num(const void *a, const void *b)
{
    const KeyRow *x = a, *y = b;
    int c = cmp_key_num(&x->num, &y->num);
    return c ? c : x->row - y->row;
}

/* A MapValues with one key column: the keys as a sorted table (a string's
   place found by nv_intern, a number's by nv_find_num), the outputs as a
   table in the same order; the first row of a key wins, as in the chain of
   tests the standard describes; no row: dflt. */
static IrExpr *map_one_column(Lower *L, IrExpr *x, const char *col, const char *outcol, const XElem *tab,
                              IrType *rt, IrExpr *dflt)
{
    IrBuilder *b = &L->b;
    IrType *kt = ir_base(x->type);
    int strings = kt->kind == T_STRING;
    KeyRow *rows = ARENA_ARRAY(L->a, KeyRow, tab->nkids + 1);
    const char **outs = ARENA_ARRAY(L->a, const char *, tab->nkids + 1);
    const XElem **at = ARENA_ARRAY(L->a, const XElem *, tab->nkids + 1);
    int n = 0;
    for (int k = 0; k < tab->nkids; k++) {
        const XElem *row = tab->kids[k];
        if (strcmp(row->name, "row") != 0)
            continue;
        const char *out = cell(row, outcol), *key = cell(row, col);
        if (!out || !key)
            continue; /* a row without the cells never matches */
        IrExpr *c = lower_constant_for(L, key, kt, row);
        if (!c)
            return NULL;
        rows[n].str = c->lit_str;
        rows[n].num = kt->kind == T_BOOL ? c->lit_bool : c->lit_double;
        if (!strings && rows[n].num != rows[n].num)
            continue; /* a NaN key equals nothing */
        rows[n].row = n;
        outs[n] = out;
        at[n] = row;
        n++;
    }
    qsort(rows, (size_t)n, sizeof *rows, strings ? cmp_keyrow_str : cmp_keyrow_num);
    int u = 0;
    for (int i = 0; i < n; i++)
        if (u == 0 || (strings ? strcmp(rows[u - 1].str, rows[i].str) != 0 : rows[u - 1].num != rows[i].num))
            rows[u++] = rows[i]; /* the first row of each key */
    IrTable *vals = ir_table(b, ir_base(rt), u, 1);
    const char **keys = strings ? ARENA_ARRAY(L->a, const char *, u + 1) : NULL;
    IrTable *nkeys = strings ? NULL : ir_table(b, ir_type(T_DOUBLE), u, 1);
    for (int i = 0; i < u; i++) {
        IrExpr *v = lower_constant_for(L, outs[rows[i].row], rt, at[rows[i].row]);
        if (!v)
            return NULL;
        if (vals->str)
            vals->str[i] = v->lit_str;
        else
            vals->num[i] = ir_base(rt)->kind == T_BOOL ? v->lit_bool : v->lit_double;
        if (strings)
            keys[i] = rows[i].str;
        else
            nkeys->num[i] = rows[i].num;
    }
    IrExpr *index = strings ? ir_intern(b, x, keys, u) : ir_find_num(b, ir_cast(b, ir_type(T_DOUBLE), x), nkeys);
    return ir_coalesce(b, ir_lookup(b, index, vals), dflt);
}

static IrExpr *lower_map_values(Lower *L, Scope *s, const XElem *e)
{
    IrBuilder *b = &L->b;
    const char *outcol = xattr(e, "outputColumn");
    IrType *rt = type_of_datatype(L, xattr(e, "dataType") ? xattr(e, "dataType") : "string", e);
    const XElem *tab = xchild(e, "InlineTable");
    if (!outcol || !tab) {
        diag_error(L->d, lloc(L, e), "MapValues needs outputColumn and an InlineTable");
        return NULL;
    }
    int np = xcount(e, "FieldColumnPair");
    IrExpr **xs = ARENA_ARRAY(L->a, IrExpr *, np + 1);
    const char **cols = ARENA_ARRAY(L->a, const char *, np + 1);
    int i = 0;
    for (int k = 0; k < e->nkids; k++) {
        const XElem *fc = e->kids[k];
        if (strcmp(fc->name, "FieldColumnPair") != 0)
            continue;
        Field *f = need_field(L, s, xattr(fc, "field"), fc);
        if (!f)
            return NULL;
        xs[i] = ir_var(b, f->var);
        cols[i] = xattr(fc, "column");
        if (!cols[i]) {
            diag_error(L->d, lloc(L, fc), "FieldColumnPair without a column");
            return NULL;
        }
        i++;
    }
    const char *dv = xattr(e, "defaultValue");
    IrExpr *r = dv ? lower_constant_for(L, dv, rt, e) : ir_lit_null(b, rt);
    if (!r)
        return NULL;
    if (np == 1) {
        r = map_one_column(L, xs[0], cols[0], outcol, tab, rt, r);
        if (!r)
            return NULL;
    } else {
        /* several key columns: a chain of tests, first row first (emitted
           flat); bounded, since every pass walks it */
        int rows = xcount(tab, "row");
        if (rows > nv_limits.map_rows) {
            diag_error(L->d, lloc(L, tab), "a MapValues with %d key columns and %d rows: more than %ld rows "
                       "with several key columns%s", np, rows, nv_limits.map_rows, limits_hint("map-rows"));
            return NULL;
        }
    }
    for (int k = tab->nkids - 1; k >= 0 && np > 1; k--) {
        const XElem *row = tab->kids[k];
        if (strcmp(row->name, "row") != 0)
            continue;
        const char *out = cell(row, outcol);
        if (!out)
            continue;
        IrExpr *cond = NULL;
        int ok = 1;
        for (int j = 0; j < np; j++) {
            const char *cv = cell(row, cols[j]);
            if (!cv) {
                ok = 0;
                break;
            }
            IrExpr *eq = eq_text(L, xs[j], cv, row);
            cond = cond ? ir_call2(b, FN_AND, ir_type(T_BOOL), cond, eq) : eq;
        }
        if (!ok || !cond)
            continue;
        IrExpr *val = lower_constant_for(L, out, rt, row);
        if (!val)
            return NULL;
        r = ir_if(b, ir_coalesce(b, cond, ir_lit_bool(b, 0)), val, r);
    }
    /* any missing input: missing, or mapMissingTo */
    IrExpr **isn = ARENA_ARRAY(L->a, IrExpr *, np + 1);
    for (int j = 0; j < np; j++)
        isn[j] = ir_is_null(b, xs[j]);
    IrExpr *anyn = ir_fold(b, FN_OR, isn, np);
    const char *mm = xattr(e, "mapMissingTo");
    if (anyn) {
        IrExpr *mv = mm ? lower_constant_for(L, mm, rt, e) : ir_lit_null(b, rt);
        if (mv)
            r = ir_if(b, anyn, mv, r);
    }
    return r;
}

static IrExpr *lower_constant(Lower *L, const XElem *e)
{
    IrBuilder *b = &L->b;
    const char *dt = xattr(e, "dataType");
    const char *miss = xattr(e, "missing");
    const char *text = e->text;
    if (miss && !strcmp(miss, "true")) {
        IrType *t = dt ? type_of_datatype(L, dt, e) : ir_type(T_DOUBLE);
        return ir_lit_null(b, t);
    }
    if (!dt) {
        double v;
        if (parse_double(text, &v))
            return ir_lit_double(b, v);
        return ir_lit_str(b, text);
    }
    IrType *t = type_of_datatype(L, dt, e);
    if (t->kind == T_STRING)
        return ir_lit_str(b, text);
    /* leading and trailing spaces are not part of a number */
    const char *p = text;
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
        p++;
    char *q = arena_strdup(L->a, p);
    size_t n = strlen(q);
    while (n && (q[n - 1] == ' ' || q[n - 1] == '\n' || q[n - 1] == '\t' || q[n - 1] == '\r'))
        q[--n] = 0;
    /* integers are computed as doubles, but 1.5 is no integer: neither 1.5
       nor 1 would be what the document says */
    double v;
    if (!strcmp(dt, "integer") && parse_double(q, &v) &&
        (v != floor(v) || !(v >= -9007199254740992.0 && v <= 9007199254740992.0))) {
        diag_error(L->d, lloc(L, e), "'%s' is not an integer value", q);
        return NULL;
    }
    return lower_constant_for(L, q, t, e);
}

static IrExpr *lower_field_ref(Lower *L, Scope *s, const XElem *e)
{
    Field *f = need_field(L, s, xattr(e, "field"), e);
    if (!f)
        return NULL;
    IrExpr *x = ir_var(&L->b, f->var);
    IrExpr *args[1] = {x};
    return lower_map_missing(L, e, x, args, 1);
}

static IrExpr *lower_norm_discrete(Lower *L, Scope *s, const XElem *e)
{
    IrBuilder *b = &L->b;
    Field *f = need_field(L, s, xattr(e, "field"), e);
    const char *val = xattr(e, "value");
    if (!f || !val) {
        if (f)
            diag_error(L->d, lloc(L, e), "NormDiscrete needs a value");
        return NULL;
    }
    IrExpr *x = ir_var(b, f->var);
    IrExpr *r = ir_if(b, eq_text(L, x, val, e), ir_lit_double(b, 1), ir_lit_double(b, 0));
    IrExpr *args[1] = {x};
    return lower_map_missing(L, e, r, args, 1);
}

IrExpr *lower_expr(Lower *L, Scope *s, const XElem *e)
{
    if (expr_depth >= MAX_EXPR_DEPTH) {
        diag_error(L->d, lloc(L, e), "expression nested deeper than %d", MAX_EXPR_DEPTH);
        return NULL;
    }
    expr_depth++;
    IrExpr *r = NULL;
    if (!strcmp(e->name, "Constant"))
        r = lower_constant(L, e);
    else if (!strcmp(e->name, "FieldRef"))
        r = lower_field_ref(L, s, e);
    else if (!strcmp(e->name, "NormContinuous"))
        r = lower_norm_continuous(L, s, e);
    else if (!strcmp(e->name, "NormDiscrete"))
        r = lower_norm_discrete(L, s, e);
    else if (!strcmp(e->name, "Discretize"))
        r = lower_discretize(L, s, e);
    else if (!strcmp(e->name, "MapValues"))
        r = lower_map_values(L, s, e);
    else if (!strcmp(e->name, "Apply"))
        r = lower_apply(L, s, e);
    else if (!strcmp(e->name, "Lag"))
        r = lower_lag(L, e);
    else if (!strcmp(e->name, "Aggregate"))
        r = lower_aggregate(L, e);
    else if (!strcmp(e->name, "TextIndex"))
        r = lower_text_index(L, s, e);
    else
        diag_error(L->d, lloc(L, e), "expression <%s> is not supported yet", e->name);
    expr_depth--;
    return r;
}

/* ---- derived fields ---- */
IrExpr *lower_derived_value(Lower *L, Scope *s, const XElem *df, IrBlock *blk, IrType **type)
{
    IrBuilder *b = &L->b;
    const XElem *kids[2];
    int n = lower_expr_kids(df, kids, 2);
    const XElem *ex = NULL;
    for (int i = 0; i < n && i < 2; i++)
        if (strcmp(kids[i]->name, "Value") != 0)
            ex = kids[i];
    if (!ex) {
        const char *name = xattr(df, "name");
        diag_error(L->d, lloc(L, df), "DerivedField '%s' has no expression", name ? name : "");
        return NULL;
    }
    IrBlock *saved = L->cur_block;
    L->cur_block = blk;
    IrExpr *x = lower_expr(L, s, ex);
    L->cur_block = saved;
    if (!x)
        return NULL;
    const char *dt = xattr(df, "dataType");
    IrType *t = dt ? type_of_datatype(L, dt, df) : ir_base(x->type);
    if (dt && !strcmp(dt, "integer") && ir_is_numeric(x->type))
        x = ir_call1(b, FN_FLOOR, ir_type(T_DOUBLE), ir_cast(b, ir_type(T_DOUBLE), x)),
        t = ir_type(T_DOUBLE);
    else if (t != ir_base(x->type))
        x = ir_cast(b, t, x);
    *type = t;
    return x;
}

void lower_derived_fields(Lower *L, Scope *s, const XElem *container, IrBlock *blk)
{
    IrBuilder *b = &L->b;
    IrBlock *saved = L->cur_block;
    L->cur_block = blk;
    NameIndex seen = {0};
    const XElem **first = ARENA_ARRAY(L->a, const XElem *, container->nkids + 1);
    int nseen = 0;
    for (int k = 0; k < container->nkids; k++) {
        const XElem *df = container->kids[k];
        if (strcmp(df->name, "DerivedField") != 0)
            continue;
        const char *name = xattr(df, "name");
        if (!name) {
            diag_error(L->d, lloc(L, df), "<DerivedField> without a name");
            continue;
        }
        if (duplicate_name(L, &seen, first, nseen++, name, df))
            continue;
        const FieldInfo *data = find_datafield(L, name);
        if (data) {
            /* which of the two a reference means would be a guess */
            diag_error(L->d, aloc(L, df, "name"), "DerivedField '%s' has the name of a DataField", name);
            diag_note(L->d, aloc(L, data->elem, "name"), "the DataField");
            continue;
        }
        IrType *t;
        IrExpr *x = lower_derived_value(L, s, df, blk, &t);
        if (!x)
            continue;
        int v = ir_add_var(b, name, ir_nullable(L->a, t));
        IrStmt *st = ir_set(b, blk, v, x);
        st->comment = arena_printf(L->a, "DerivedField %s", name);
        st->loc = lloc(L, df);
        FieldInfo *fi = ARENA_NEW(L->a, FieldInfo);
        fi->name = name;
        fi->type = t;
        fi->elem = df;
        const char *op = xattr(df, "optype");
        fi->optype = op && !strcmp(op, "continuous") ? OP_CONTINUOUS : OP_CATEGORICAL;
        scope_add(L, s, name, v, fi);
    }
    L->cur_block = saved;
}

/* ---- predicates ---- */
int is_predicate_elem(const XElem *e)
{
    return !strcmp(e->name, "SimplePredicate") || !strcmp(e->name, "CompoundPredicate") ||
           !strcmp(e->name, "SimpleSetPredicate") || !strcmp(e->name, "True") ||
           !strcmp(e->name, "False");
}

static IrCmp parse_cmp(const char *op, int *ok)
{
    *ok = 1;
    if (!strcmp(op, "equal")) return CMP_EQ;
    if (!strcmp(op, "notEqual")) return CMP_NE;
    if (!strcmp(op, "lessThan")) return CMP_LT;
    if (!strcmp(op, "lessOrEqual")) return CMP_LE;
    if (!strcmp(op, "greaterThan")) return CMP_GT;
    if (!strcmp(op, "greaterOrEqual")) return CMP_GE;
    *ok = 0;
    return CMP_EQ;
}

int read_num_array(Lower *L, const XElem *arr, double **out)
{
    const char *s = arr->text;
    int n = 0, cap = 0;
    double *v = NULL;
    while (*s) {
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
            s++;
        if (!*s)
            break;
        const char *t = s;
        while (*s && *s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            s++;
        char *tok = arena_strndup(L->a, t, (size_t)(s - t));
        double x;
        if (!parse_double(tok, &x)) {
            diag_error(L->d, lloc(L, arr), "array element '%s' is not a number", tok);
            return -1;
        }
        VEC_PUSH(L->a, v, n, cap, x);
    }
    const char *na = xattr(arr, "n");
    double want;
    if (na && (!parse_double(na, &want) || want != n)) {
        diag_error(L->d, aloc(L, arr, "n"), "the array has %d elements, not n=\"%s\"", n, na);
        return -1;
    }
    *out = v;
    return n;
}

/* split an Array's text into values: space separated, "quoted with \"" */
int split_array(Lower *L, const char *t, const char ***out)
{
    int n = 0, cap = 0;
    const char **v = NULL;
    const char *p = t;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            p++;
        if (!*p)
            break;
        StrBuf sb;
        sb_init(&sb);
        if (*p == '"') {
            p++;
            while (*p && *p != '"') {
                if (*p == '\\' && p[1] == '"')
                    p++;
                sb_putc(&sb, *p++);
            }
            if (*p == '"')
                p++;
        } else {
            while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
                sb_putc(&sb, *p++);
        }
        const char *s = arena_strdup(L->a, sb.data ? sb.data : "");
        sb_free(&sb);
        VEC_PUSH(L->a, v, n, cap, s);
    }
    *out = v;
    return n;
}

static int pred_depth;

IrPred *lower_predicate(Lower *L, Scope *s, const XElem *e)
{
    IrPred *p = ARENA_NEW(L->a, IrPred);
    p->loc = lloc(L, e);
    p->var = -1;
    if (!strcmp(e->name, "True")) {
        p->kind = P_TRUE;
        return p;
    }
    if (!strcmp(e->name, "False")) {
        p->kind = P_FALSE;
        return p;
    }
    if (!strcmp(e->name, "SimplePredicate")) {
        Field *f = need_field(L, s, xattr(e, "field"), e);
        const char *op = xattr(e, "operator");
        if (!f || !op) {
            if (f)
                diag_error(L->d, lloc(L, e), "SimplePredicate without an operator");
            return NULL;
        }
        p->var = f->var;
        if (!strcmp(op, "isMissing")) {
            p->kind = P_IS_MISSING;
            return p;
        }
        if (!strcmp(op, "isNotMissing")) {
            p->kind = P_IS_NOT_MISSING;
            return p;
        }
        int ok;
        p->kind = P_CMP;
        p->op = parse_cmp(op, &ok);
        if (!ok) {
            diag_error(L->d, aloc(L, e, "operator"), "SimplePredicate operator '%s' is not known", op);
            return NULL;
        }
        const char *val = xattr(e, "value");
        if (!val) {
            diag_error(L->d, lloc(L, e), "SimplePredicate '%s' needs a value", op);
            return NULL;
        }
        IrType *t = ir_base(L->b.p->vars[f->var].type);
        if (t->kind == T_STRING)
            p->str = val;
        else if (t->kind == T_BOOL) {
            p->num = !strcmp(val, "true") || !strcmp(val, "1");
        } else if (ir_temporal(t)) {
            IrExpr *c = lower_constant_for(L, val, t, e);
            if (!c)
                return NULL;
            p->num = c->lit_double;
        } else {
            if (!parse_double(val, &p->num)) {
                diag_error(L->d, aloc(L, e, "value"), "\'%s\' is not a number (field '%s' is %s)", val, f->name,
                           ir_type_name(t));
                return NULL;
            }
            if (t->kind == T_FLOAT)
                p->num = strtof(val, NULL);
        }
        return p;
    }
    if (!strcmp(e->name, "SimpleSetPredicate")) {
        Field *f = need_field(L, s, xattr(e, "field"), e);
        const char *op = xattr(e, "booleanOperator");
        const XElem *arr = xchild(e, "Array");
        if (!f)
            return NULL;
        if (!op || !arr) {
            diag_error(L->d, lloc(L, e), "SimpleSetPredicate needs booleanOperator and an Array");
            return NULL;
        }
        p->var = f->var;
        p->kind = !strcmp(op, "isIn") ? P_IN : P_NOT_IN;
        const char **vals;
        p->nvals = split_array(L, arr->text, &vals);
        IrType *t = ir_base(L->b.p->vars[f->var].type);
        if (t->kind == T_STRING)
            p->strs = vals;
        else {
            p->nums = ARENA_ARRAY(L->a, double, p->nvals + 1);
            for (int i = 0; i < p->nvals; i++) {
                if (ir_temporal(t)) {
                    IrExpr *c = lower_constant_for(L, vals[i], t, arr);
                    if (!c)
                        return NULL;
                    p->nums[i] = c->lit_double;
                    continue;
                }
                if (!parse_double(vals[i], &p->nums[i])) {
                    diag_error(L->d, lloc(L, arr), "'%s' is not a number", vals[i]);
                    return NULL;
                }
                if (t->kind == T_FLOAT)
                    p->nums[i] = strtof(vals[i], NULL);
            }
        }
        return p;
    }
    if (!strcmp(e->name, "CompoundPredicate")) {
        const char *op = xattr(e, "booleanOperator");
        if (!op) {
            diag_error(L->d, lloc(L, e), "CompoundPredicate without a booleanOperator");
            return NULL;
        }
        if (!strcmp(op, "and"))
            p->kind = P_AND;
        else if (!strcmp(op, "or"))
            p->kind = P_OR;
        else if (!strcmp(op, "xor"))
            p->kind = P_XOR;
        else if (!strcmp(op, "surrogate"))
            p->kind = P_SURROGATE;
        else {
            diag_error(L->d, aloc(L, e, "booleanOperator"), "booleanOperator \'%s\' is not known", op);
            return NULL;
        }
        if (pred_depth > MAX_EXPR_DEPTH) {
            diag_error(L->d, lloc(L, e), "predicates nested deeper than %d", MAX_EXPR_DEPTH);
            return NULL;
        }
        pred_depth++;
        int cap = 0;
        for (int k = 0; k < e->nkids; k++) {
            if (!is_predicate_elem(e->kids[k]))
                continue;
            IrPred *kid = lower_predicate(L, s, e->kids[k]);
            if (!kid) {
                pred_depth--;
                return NULL;
            }
            VEC_PUSH(L->a, p->kids, p->nkids, cap, kid);
        }
        pred_depth--;
        return p;
    }
    diag_error(L->d, lloc(L, e), "<%s> is not a predicate", e->name);
    return NULL;
}

/* whether number x is one of vals[0..n) (compared as x's type: a float as
   a float); null when x is.  A long list is a sorted table searched at run
   time, not a chain of compares */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

IrExpr *lower_num_in(Lower *L, IrExpr *x, const double *vals, int n)
{
    IrBuilder *b = &L->b;
    int is_float = ir_base(x->type)->kind == T_FLOAT;
    IrExpr *xx = is_float ? x : ir_cast(b, ir_type(T_DOUBLE), x);
    if (n <= 8) {
        IrExpr **eqs = ARENA_ARRAY(L->a, IrExpr *, n + 1);
        for (int i = 0; i < n; i++) {
            IrExpr *c = is_float ? ir_lit_float(b, (float)vals[i]) : ir_lit_double(b, vals[i]);
            eqs[i] = ir_call2(b, FN_EQ, ir_type(T_BOOL), xx, c);
        }
        IrExpr *r = ir_fold(b, FN_OR, eqs, n);
        return r ? r : ir_lit_bool(b, 0);
    }
    IrTable *keys = ir_table(b, ir_type(T_DOUBLE), n, 1);
    int k = 0;
    for (int i = 0; i < n; i++) {
        double v = is_float ? (double)(float)vals[i] : vals[i];
        if (v == v) /* NaN equals nothing */
            keys->num[k++] = v;
    }
    qsort(keys->num, (size_t)k, sizeof *keys->num, cmp_double);
    int u = 0;
    for (int i = 0; i < k; i++)
        if (!u || keys->num[u - 1] != keys->num[i])
            keys->num[u++] = keys->num[i];
    keys->n = u;
    IrExpr *at = ir_find_num(b, is_float ? ir_cast(b, ir_type(T_DOUBLE), x) : xx, keys);
    IrExpr *zero = ir_lit_long(b, 0);
    zero->type = ir_type(T_INT);
    return ir_call2(b, FN_GE, ir_type(T_BOOL), at, zero);
}

IrExpr *pred_to_expr(Lower *L, const IrPred *p)
{
    IrBuilder *b = &L->b;
    switch (p->kind) {
    case P_TRUE:
        return ir_lit_bool(b, 1);
    case P_FALSE:
        return ir_lit_bool(b, 0);
    case P_IS_MISSING:
        return ir_is_null(b, ir_var(b, p->var));
    case P_IS_NOT_MISSING:
        return ir_call1(b, FN_NOT, ir_type(T_BOOL), ir_is_null(b, ir_var(b, p->var)));
    case P_CMP: {
        IrExpr *x = ir_var(b, p->var);
        IrType *t = ir_base(x->type);
        IrExpr *c = t->kind == T_STRING ? ir_lit_str(b, p->str)
                  : t->kind == T_FLOAT ? ir_lit_float(b, (float)p->num)
                  : t->kind == T_BOOL ? ir_lit_bool(b, p->num != 0)
                                      : ir_lit_double(b, p->num);
        if (t->kind != T_STRING && t->kind != T_FLOAT && t->kind != T_BOOL && t->kind != T_DOUBLE)
            x = ir_cast(b, ir_type(T_DOUBLE), x);
        static const IrFn fns[] = {FN_EQ, FN_NE, FN_LT, FN_LE, FN_GT, FN_GE};
        return ir_call2(b, fns[p->op], ir_type(T_BOOL), x, c);
    }
    case P_IN:
    case P_NOT_IN: {
        IrExpr *x = ir_var(b, p->var);
        IrExpr *r;
        if (p->strs)
            r = ir_str_in(b, x, p->strs, p->nvals);
        else
            r = lower_num_in(L, x, p->nums, p->nvals);
        if (p->kind == P_NOT_IN)
            r = ir_call1(b, FN_NOT, ir_type(T_BOOL), r);
        return r;
    }
    case P_AND:
    case P_OR: {
        IrExpr **ks = ARENA_ARRAY(L->a, IrExpr *, p->nkids + 1);
        for (int i = 0; i < p->nkids; i++)
            ks[i] = pred_to_expr(L, p->kids[i]);
        IrExpr *r = ir_fold(b, p->kind == P_AND ? FN_AND : FN_OR, ks, p->nkids);
        return r ? r : ir_lit_bool(b, p->kind == P_AND);
    }
    case P_XOR: {
        IrExpr **ks = ARENA_ARRAY(L->a, IrExpr *, p->nkids + 1);
        for (int i = 0; i < p->nkids; i++)
            ks[i] = pred_to_expr(L, p->kids[i]);
        IrExpr *r = ir_fold(b, FN_NE, ks, p->nkids);
        return r ? r : ir_lit_bool(b, 0);
    }
    case P_SURROGATE: {
        IrExpr *r = NULL;
        for (int i = p->nkids - 1; i >= 0; i--) {
            IrExpr *k = pred_to_expr(L, p->kids[i]);
            r = r ? ir_coalesce(b, k, r) : k;
        }
        return r ? r : ir_lit_bool(b, 0);
    }
    default:
        NV_ASSERT(0);
    }
}

IrExpr *pred_true_expr(Lower *L, const IrPred *p)
{
    IrBuilder *b = &L->b;
    switch (p->kind) {
    case P_TRUE:
    case P_FALSE:
    case P_IS_MISSING:
    case P_IS_NOT_MISSING:
        return pred_to_expr(L, p);
    case P_AND:
    case P_OR: {
        /* all (any) of the kids true: two-valued kids, two-valued result */
        IrExpr **ks = ARENA_ARRAY(L->a, IrExpr *, p->nkids + 1);
        for (int i = 0; i < p->nkids; i++)
            ks[i] = pred_true_expr(L, p->kids[i]);
        IrExpr *r = ir_fold(b, p->kind == P_AND ? FN_AND : FN_OR, ks, p->nkids);
        return r ? r : ir_lit_bool(b, p->kind == P_AND);
    }
    default:
        return ir_coalesce(b, pred_to_expr(L, p), ir_lit_bool(b, 0));
    }
}
