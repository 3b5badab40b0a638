/* Constructors and the dump for the IR.  Frontends build programs only
 * through these functions so that every node gets a type and a location. */
#include "ir.h"

#include <stdlib.h>
#include <string.h>

static IrType scalar_types[T__COUNT] = {
#define X(k, s) [T_##k] = {.kind = T_##k},
    IR_TYPE_KINDS(X)
#undef X
};

IrType *ir_type(IrTypeKind k) { return &scalar_types[k]; }

/* ---- dates and times: doubles that say which PMML data type they are ---- */
static const struct {
    const char *name, *nullable_name;
    int unit, since, epoch;
} temporals[TM__COUNT] = {
    [TM_NONE] = {"double", "double?", 0, 0, 1970},
#define X(k, nm, u, s, ep) [TM_##k] = {nm, nm "?", u, s, ep},
    IR_TEMPORALS(X)
#undef X
};
static IrType temporal_types[TM__COUNT] = {
    [TM_NONE] = {.kind = T_DOUBLE},
#define X(k, nm, u, s, ep) [TM_##k] = {.kind = T_DOUBLE, .name = nm},
    IR_TEMPORALS(X)
#undef X
};

IrType *ir_type_temporal(IrTemporal k)
{
    return k == TM_NONE ? ir_type(T_DOUBLE) : &temporal_types[k];
}

IrTemporal ir_temporal(const IrType *t)
{
    t = ir_base((IrType *)t);
    if (t > &temporal_types[TM_NONE] && t < &temporal_types[TM__COUNT])
        return (IrTemporal)(t - temporal_types);
    return TM_NONE;
}

IrTemporal ir_temporal_by_name(const char *dt)
{
    for (int k = 1; dt && k < TM__COUNT; k++)
        if (!strcmp(temporals[k].name, dt))
            return (IrTemporal)k;
    return TM_NONE;
}

int ir_temporal_unit(IrTemporal k) { return temporals[k].unit; }
int ir_temporal_since(IrTemporal k) { return temporals[k].since; }

/* days from the epoch year's January 1st to 1970-01-01 (proleptic
   Gregorian), in the data type's unit */
double ir_temporal_offset(IrTemporal k)
{
    if (temporals[k].unit == 2 || k == TM_NONE)
        return 0;
    long long y = temporals[k].epoch - 1, days = -(y * 365 + y / 4 - y / 100 + y / 400) + 719162;
    if (temporals[k].epoch == 0)
        days = 719528; /* 0000-01-01, a leap year, to 1970-01-01 */
    return temporals[k].unit == 1 ? (double)days : (double)days * 86400;
}

int ir_is_nullable(const IrType *t)
{
    if (t->kind == T_NULL)
        return 1;
    if (t->kind != T_UNION)
        return 0;
    for (int i = 0; i < t->nbranches; i++)
        if (t->branches[i]->kind == T_NULL)
            return 1;
    return 0;
}

IrType *ir_base(IrType *t)
{
    if (t->kind != T_UNION)
        return t;
    IrType *other = NULL;
    int count = 0;
    for (int i = 0; i < t->nbranches; i++)
        if (t->branches[i]->kind != T_NULL) {
            other = t->branches[i];
            count++;
        }
    return count == 1 ? other : t;
}

IrType *ir_nullable(Arena *a, IrType *t)
{
    if (ir_is_nullable(t))
        return t;
    IrType *u = ARENA_NEW(a, IrType);
    u->kind = T_UNION;
    u->nbranches = 2;
    u->branches = ARENA_ARRAY(a, IrType *, 2);
    u->branches[0] = ir_type(T_NULL);
    u->branches[1] = t;
    return u;
}

int ir_is_numeric(const IrType *t)
{
    IrType *b = ir_base((IrType *)t);
    return b->kind == T_INT || b->kind == T_LONG || b->kind == T_FLOAT ||
           b->kind == T_DOUBLE;
}

static const char *kind_names[T__COUNT] = {
#define X(k, s) [T_##k] = s,
    IR_TYPE_KINDS(X)
#undef X
};

const char *ir_type_name(const IrType *t)
{
    if (ir_temporal(t))
        return ir_is_nullable(t) ? temporals[ir_temporal(t)].nullable_name : temporals[ir_temporal(t)].name;
    if (t->kind == T_UNION && t->nbranches == 2 && ir_is_nullable(t)) {
        const IrType *b = ir_base((IrType *)t);
        if (b->kind <= T_STRING) {
            static const char *nn[T__COUNT] = {
#define X(k, s) [T_##k] = s "?",
                IR_TYPE_KINDS(X)
#undef X
            };
            return nn[b->kind];
        }
    }
    if (t->name)
        return t->name;
    return kind_names[t->kind];
}

/* ---- PFA type relations ---- */
static int is_named(const IrType *t)
{
    return t->kind == T_RECORD || t->kind == T_ENUM || t->kind == T_FIXED;
}

int ir_type_eq(const IrType *a, const IrType *b)
{
    if (a == b)
        return 1;
    if (a->kind != b->kind)
        return 0;
    if (is_named(a))
        return a->name && b->name && strcmp(a->name, b->name) == 0 &&
               (a->kind != T_FIXED || a->size == b->size);
    switch (a->kind) {
    case T_ARRAY:
    case T_MAP:
        return ir_type_eq(a->items, b->items);
    case T_UNION:
        if (a->nbranches != b->nbranches)
            return 0;
        for (int i = 0; i < a->nbranches; i++)
            if (!ir_type_eq(a->branches[i], b->branches[i]))
                return 0;
        return 1;
    case T_FN:
        if (a->nsymbols != b->nsymbols || !ir_type_eq(a->items, b->items))
            return 0;
        for (int i = 0; i < a->nsymbols; i++)
            if (!ir_type_eq(a->ftypes[i], b->ftypes[i]))
                return 0;
        return 1;
    default:
        return 1;
    }
}

int ir_accepts(const IrType *want, const IrType *got)
{
    if (want == got)
        return 1;
    if (want->kind == T_UNION) {
        if (got->kind == T_UNION) {
            for (int i = 0; i < got->nbranches; i++)
                if (!ir_accepts(want, got->branches[i]))
                    return 0;
            return 1;
        }
        for (int i = 0; i < want->nbranches; i++)
            if (ir_accepts(want->branches[i], got))
                return 1;
        return 0;
    }
    if (got->kind == T_UNION) {
        for (int i = 0; i < got->nbranches; i++)
            if (!ir_accepts(want, got->branches[i]))
                return 0;
        return got->nbranches > 0;
    }
    switch (want->kind) {
    case T_LONG:
        return got->kind == T_INT || got->kind == T_LONG;
    case T_FLOAT:
        return got->kind == T_INT || got->kind == T_LONG || got->kind == T_FLOAT;
    case T_DOUBLE:
        return got->kind == T_INT || got->kind == T_LONG || got->kind == T_FLOAT ||
               got->kind == T_DOUBLE;
    case T_ARRAY:
    case T_MAP:
        return got->kind == want->kind && ir_accepts(want->items, got->items);
    case T_FN:
        if (got->kind != T_FN || got->nsymbols != want->nsymbols || !ir_accepts(want->items, got->items))
            return 0;
        for (int i = 0; i < want->nsymbols; i++)
            if (!ir_accepts(got->ftypes[i], want->ftypes[i]))
                return 0;
        return 1;
    default:
        return ir_type_eq(want, got);
    }
}

int ir_union_branch(const IrType *u, const IrType *t)
{
    for (int i = 0; i < u->nbranches; i++)
        if (ir_type_eq(u->branches[i], t))
            return i;
    for (int i = 0; i < u->nbranches; i++)
        if (ir_accepts(u->branches[i], t))
            return i;
    return -1;
}

static void schema_str(StrBuf *o, const char *s)
{
    sb_putc(o, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            sb_printf(o, "\\%c", *p);
        else if (*p < 0x20)
            sb_printf(o, "\\u%04x", *p);
        else
            sb_putc(o, (char)*p);
    }
    sb_putc(o, '"');
}

typedef struct SchemaSeen {
    const char **names;
    int n, cap;
} SchemaSeen;

static void schema_rec(const IrType *t, StrBuf *o, SchemaSeen *seen)
{
    static const char *prim[T__COUNT] = {
#define X(k, s) [T_##k] = s,
        IR_TYPE_KINDS(X)
#undef X
    };
    if (is_named(t)) {
        for (int i = 0; i < seen->n; i++)
            if (strcmp(seen->names[i], t->name) == 0) {
                schema_str(o, t->name);
                return;
            }
        if (seen->n == seen->cap) {
            seen->cap = seen->cap ? seen->cap * 2 : 16;
            seen->names = realloc(seen->names, sizeof(char *) * (size_t)seen->cap);
            if (!seen->names)
                die_internal(__FILE__, __LINE__, "out of memory");
        }
        seen->names[seen->n++] = t->name;
        sb_printf(o, "{\"type\": \"%s\", \"name\": ", prim[t->kind]);
        schema_str(o, t->name);
        if (t->kind == T_FIXED)
            sb_printf(o, ", \"size\": %d}", t->size);
        else if (t->kind == T_ENUM) {
            sb_puts(o, ", \"symbols\": [");
            for (int i = 0; i < t->nsymbols; i++) {
                if (i)
                    sb_puts(o, ", ");
                schema_str(o, t->symbols[i]);
            }
            sb_puts(o, "]}");
        } else {
            sb_puts(o, ", \"fields\": [");
            for (int i = 0; i < t->nsymbols; i++) {
                sb_puts(o, i ? ", {\"name\": " : "{\"name\": ");
                schema_str(o, t->symbols[i]);
                sb_puts(o, ", \"type\": ");
                schema_rec(t->ftypes[i], o, seen);
                sb_putc(o, '}');
            }
            sb_puts(o, "]}");
        }
        return;
    }
    switch (t->kind) {
    case T_ARRAY:
        sb_puts(o, "{\"type\": \"array\", \"items\": ");
        schema_rec(t->items, o, seen);
        sb_putc(o, '}');
        return;
    case T_MAP:
        sb_puts(o, "{\"type\": \"map\", \"values\": ");
        schema_rec(t->items, o, seen);
        sb_putc(o, '}');
        return;
    case T_UNION:
        sb_putc(o, '[');
        for (int i = 0; i < t->nbranches; i++) {
            if (i)
                sb_puts(o, ", ");
            schema_rec(t->branches[i], o, seen);
        }
        sb_putc(o, ']');
        return;
    default:
        sb_printf(o, "\"%s\"", prim[t->kind]);
    }
}

void ir_type_schema(const IrType *t, StrBuf *out)
{
    SchemaSeen seen = {0};
    schema_rec(t, out, &seen);
    free(seen.names);
}

static const char *fn_names[FN__COUNT] = {
#define X(k, s) [FN_##k] = s,
    IR_FNS(X)
#undef X
};

const char *ir_fn_name(IrFn f) { return fn_names[f]; }

/* ---- building ---- */
IrProgram *ir_program_new(Arena *a) { return ARENA_NEW(a, IrProgram); }

int ir_add_var(IrBuilder *b, const char *name, IrType *t)
{
    IrProgram *p = b->p;
    IrVar v = {.name = name, .type = t, .role = VAR_LOCAL, .input = -1};
    VEC_PUSH(b->a, p->vars, p->nvars, p->cap_vars, v);
    return p->nvars - 1;
}

int ir_add_input(IrBuilder *b, const char *name, IrType *t, Loc loc)
{
    IrProgram *p = b->p;
    int var = ir_add_var(b, name, ir_nullable(b->a, t));
    p->vars[var].role = VAR_INPUT;
    p->vars[var].input = p->ninputs;
    IrField f = {.name = name, .type = ir_nullable(b->a, t), .var = var, .loc = loc};
    VEC_PUSH(b->a, p->inputs, p->ninputs, p->cap_inputs, f);
    return var;
}

void ir_add_output(IrBuilder *b, const char *name, IrType *t, int var, Loc loc)
{
    IrProgram *p = b->p;
    IrField f = {.name = name, .type = ir_nullable(b->a, t), .var = var, .loc = loc};
    VEC_PUSH(b->a, p->outputs, p->noutputs, p->cap_outputs, f);
}

int ir_add_tree(IrBuilder *b, IrTree *t)
{
    IrProgram *p = b->p;
    VEC_PUSH(b->a, p->trees, p->ntrees, p->cap_trees, t);
    return p->ntrees - 1;
}

static IrExpr *mk(IrBuilder *b, IrExprKind k, IrType *t, int n)
{
    IrExpr *e = ARENA_NEW(b->a, IrExpr);
    e->kind = k;
    e->type = t;
    e->n = n;
    if (n)
        e->a = ARENA_ARRAY(b->a, IrExpr *, n);
    return e;
}

static int any_nullable(IrExpr **a, int n)
{
    for (int i = 0; i < n; i++)
        if (ir_is_nullable(a[i]->type))
            return 1;
    return 0;
}

IrExpr *ir_lit_null(IrBuilder *b, IrType *t)
{
    IrExpr *e = mk(b, E_LIT, ir_nullable(b->a, t), 0);
    e->lit_null = 1;
    return e;
}

IrExpr *ir_lit_bool(IrBuilder *b, int v)
{
    IrExpr *e = mk(b, E_LIT, ir_type(T_BOOL), 0);
    e->lit_bool = v != 0;
    return e;
}

IrExpr *ir_lit_long(IrBuilder *b, long long v)
{
    IrExpr *e = mk(b, E_LIT, ir_type(T_LONG), 0);
    e->lit_long = v;
    e->lit_double = (double)v;
    return e;
}

IrExpr *ir_lit_double(IrBuilder *b, double v)
{
    IrExpr *e = mk(b, E_LIT, ir_type(T_DOUBLE), 0);
    e->lit_double = v;
    return e;
}

IrExpr *ir_lit_float(IrBuilder *b, float v)
{
    IrExpr *e = mk(b, E_LIT, ir_type(T_FLOAT), 0);
    e->lit_double = v;
    return e;
}

IrExpr *ir_lit_str(IrBuilder *b, const char *s)
{
    IrExpr *e = mk(b, E_LIT, ir_type(T_STRING), 0);
    e->lit_str = s;
    return e;
}

IrExpr *ir_var(IrBuilder *b, int var)
{
    IrExpr *e = mk(b, E_VAR, b->p->vars[var].type, 0);
    e->var = var;
    return e;
}

IrExpr *ir_if(IrBuilder *b, IrExpr *c, IrExpr *t, IrExpr *f)
{
    IrType *ty = ir_base(t->type);
    if (t->type->kind == T_NULL)
        ty = ir_base(f->type);
    if (ir_is_nullable(c->type) || ir_is_nullable(t->type) || ir_is_nullable(f->type))
        ty = ir_nullable(b->a, ty);
    IrExpr *e = mk(b, E_IF, ty, 3);
    e->a[0] = c;
    e->a[1] = t;
    e->a[2] = f;
    return e;
}

IrExpr *ir_call(IrBuilder *b, IrFn fn, IrType *t, IrExpr **args, int n)
{
    IrExpr *e = mk(b, E_CALL, t, n);
    e->fn = fn;
    for (int i = 0; i < n; i++)
        e->a[i] = args[i];
    if (fn >= FN_AGG_MIN && fn <= FN_AGG_MEDIAN) {
        /* null only when every argument is */
        int all = n > 0;
        for (int i = 0; i < n; i++)
            all &= ir_is_nullable(args[i]->type);
        if (all)
            e->type = ir_nullable(b->a, t);
        return e;
    }
    if (any_nullable(args, n) && fn != FN_AND && fn != FN_OR)
        e->type = ir_nullable(b->a, t);
    return e;
}

IrExpr *ir_call1(IrBuilder *b, IrFn fn, IrType *t, IrExpr *x)
{
    return ir_call(b, fn, t, &x, 1);
}

IrExpr *ir_call2(IrBuilder *b, IrFn fn, IrType *t, IrExpr *x, IrExpr *y)
{
    IrExpr *args[2] = {x, y};
    return ir_call(b, fn, t, args, 2);
}

IrExpr *ir_is_null(IrBuilder *b, IrExpr *x)
{
    IrExpr *e = mk(b, E_IS_NULL, ir_type(T_BOOL), 1);
    e->a[0] = x;
    return e;
}

IrExpr *ir_coalesce(IrBuilder *b, IrExpr *x, IrExpr *y)
{
    IrType *t = ir_base(x->type);
    if (x->type->kind == T_NULL)
        t = ir_base(y->type);
    if (ir_is_nullable(y->type))
        t = ir_nullable(b->a, t);
    IrExpr *e = mk(b, E_COALESCE, t, 2);
    e->a[0] = x;
    e->a[1] = y;
    return e;
}

IrExpr *ir_cast(IrBuilder *b, IrType *t, IrExpr *x)
{
    IrType *xb = ir_base(x->type);
    if (xb == t && !ir_is_nullable(t))
        return x;
    if (xb == ir_base(t) && ir_is_nullable(t) == ir_is_nullable(x->type))
        return x;
    IrExpr *e = mk(b, E_CAST, t, 1);
    e->a[0] = x;
    /* string to number can fail: the result may be null */
    if (ir_is_nullable(x->type) ||
        (xb->kind == T_STRING && ir_base(t)->kind != T_STRING))
        e->type = ir_nullable(b->a, ir_base(t));
    return e;
}

IrExpr *ir_str_in(IrBuilder *b, IrExpr *x, const char **strs, int n)
{
    IrExpr *e = mk(b, E_STR_IN, ir_type(T_BOOL), 1);
    e->a[0] = x;
    e->strs = strs;
    e->nstrs = n;
    if (ir_is_nullable(x->type))
        e->type = ir_nullable(b->a, e->type);
    return e;
}

IrExpr *ir_tree(IrBuilder *b, int tree)
{
    IrExpr *e = mk(b, E_TREE, ir_nullable(b->a, ir_type(T_INT)), 0);
    e->tree = tree;
    return e;
}

IrExpr *ir_tree_get(IrBuilder *b, int tree, int col, IrExpr *node)
{
    IrTree *t = b->p->trees[tree];
    IrExpr *e = mk(b, E_TREE_GET, ir_nullable(b->a, ir_base(t->cols[col].type)), 1);
    e->tree = tree;
    e->col = col;
    e->a[0] = node;
    return e;
}

IrExpr *ir_null_if_nan(IrBuilder *b, IrExpr *x)
{
    IrExpr *e = mk(b, E_NULL_IF_NAN, ir_nullable(b->a, ir_base(x->type)), 1);
    e->a[0] = x;
    return e;
}

IrExpr *ir_invalid_if_nan(IrBuilder *b, IrExpr *x)
{
    IrExpr *e = mk(b, E_INVALID_IF_NAN, x->type, 1);
    e->a[0] = x;
    return e;
}

IrExpr *ir_input_invalid(IrBuilder *b, int var)
{
    IrExpr *e = mk(b, E_INPUT_INVALID, ir_type(T_BOOL), 0);
    e->var = var;
    return e;
}

int ir_add_regex(IrBuilder *b, IrRegex *re)
{
    IrProgram *p = b->p;
    VEC_PUSH(b->a, p->regexes, p->nregexes, p->cap_regexes, re);
    return p->nregexes - 1;
}

int ir_state_map(IrBuilder *b, const int *keys, int n)
{
    IrProgram *p = b->p;
    for (int i = 0; i < p->nsmaps; i++)
        if (p->smaps[i].nkeys == n && (n == 0 || !memcmp(p->smaps[i].keys, keys, sizeof *keys * (size_t)n)))
            return i;
    IrStateMap m = {.keys = ARENA_ARRAY(b->a, int, n + 1), .nkeys = n};
    if (n)
        memcpy(m.keys, keys, sizeof *keys * (size_t)n);
    VEC_PUSH(b->a, p->smaps, p->nsmaps, p->cap_smaps, m);
    return p->nsmaps - 1;
}

int ir_state_read(IrBuilder *b, IrStateRead r, const char *name, IrType *t)
{
    IrProgram *p = b->p;
    r.var = ir_add_var(b, name, ir_nullable(b->a, t));
    VEC_PUSH(b->a, p->sreads, p->nsreads, p->cap_sreads, r);
    return r.var;
}

IrExpr *ir_text_index(IrBuilder *b, IrTextIndex *t, IrExpr *text, IrExpr *term)
{
    IrProgram *p = b->p;
    int idx;
    for (idx = 0; idx < p->ntexts; idx++)
        if (p->texts[idx] == t)
            break;
    if (idx == p->ntexts)
        VEC_PUSH(b->a, p->texts, p->ntexts, p->cap_texts, t);
    IrType *rt = ir_type(T_DOUBLE);
    if (ir_is_nullable(text->type) || ir_is_nullable(term->type))
        rt = ir_nullable(b->a, rt);
    IrExpr *e = mk(b, E_TEXT_INDEX, rt, 2);
    e->tree = idx;
    e->a[0] = text;
    e->a[1] = term;
    return e;
}

IrExpr *ir_intern(IrBuilder *b, IrExpr *x, const char **sorted, int n)
{
    IrExpr *e = mk(b, E_INTERN, ir_type(T_INT), 1);
    e->a[0] = x;
    e->strs = sorted;
    e->nstrs = n;
    if (ir_is_nullable(x->type))
        e->type = ir_nullable(b->a, e->type);
    return e;
}

IrExpr *ir_code_in(IrBuilder *b, IrExpr *x, unsigned long long mask)
{
    IrExpr *e = mk(b, E_CODE_IN, ir_type(T_BOOL), 1);
    e->a[0] = x;
    e->lit_long = (long long)mask;
    if (ir_is_nullable(x->type))
        e->type = ir_nullable(b->a, e->type);
    return e;
}

IrTable *ir_table(IrBuilder *b, IrType *t, int n, int width)
{
    IrTable *tab = ARENA_NEW(b->a, IrTable);
    tab->type = t;
    tab->n = n;
    tab->width = width;
    if (t->kind == T_STRING)
        tab->str = ARENA_ARRAY(b->a, const char *, n + 1);
    else
        tab->num = ARENA_ARRAY(b->a, double, (size_t)n * (size_t)width + 1);
    return tab;
}

static IrExpr *table_expr(IrBuilder *b, IrExprKind k, IrType *t, IrExpr *x, IrTable *tab)
{
    IrExpr *e = mk(b, k, t, 1);
    e->a[0] = x;
    e->tab = tab;
    if (ir_is_nullable(x->type))
        e->type = ir_nullable(b->a, t);
    return e;
}

IrExpr *ir_find_num(IrBuilder *b, IrExpr *x, IrTable *keys)
{
    return table_expr(b, E_FIND_NUM, ir_type(T_INT), x, keys);
}

IrExpr *ir_lookup(IrBuilder *b, IrExpr *index, IrTable *values)
{
    IrExpr *e = table_expr(b, E_LOOKUP, values->type, index, values);
    e->type = ir_nullable(b->a, values->type); /* no entry (-1): null */
    return e;
}

IrExpr *ir_bin(IrBuilder *b, IrExpr *x, IrTable *bins)
{
    return table_expr(b, E_BIN, ir_type(T_INT), x, bins);
}

IrExpr *ir_piecewise(IrBuilder *b, IrExpr *x, IrTable *points, int outliers)
{
    IrExpr *e = table_expr(b, E_PIECEWISE, ir_type(T_DOUBLE), x, points);
    e->col = outliers;
    if (outliers == IR_OUTLIERS_AS_MISSING)
        e->type = ir_nullable(b->a, ir_type(T_DOUBLE));
    return e;
}

IrExpr *ir_measure(IrBuilder *b, IrMeasure *ms, IrExpr **x, int row)
{
    IrExpr *e = mk(b, E_MEASURE, ir_nullable(b->a, ir_type(T_DOUBLE)), ms->nf);
    memcpy(e->a, x, sizeof *x * (size_t)ms->nf);
    e->ms = ms;
    e->col = row;
    return e;
}

IrStmt *ir_nearest(IrBuilder *b, IrBlock *blk, IrMeasure *ms, IrExpr **x, int k, const int *idx, const int *val)
{
    IrStmt *s = ir_stmt(b, blk, S_NEAREST, ms->loc);
    s->ms = ms;
    s->nargs = ms->nf;
    s->args = ARENA_ARRAY(b->a, IrExpr *, ms->nf + 1);
    memcpy(s->args, x, sizeof *x * (size_t)ms->nf);
    s->nvars = 2 * k;
    s->vars = ARENA_ARRAY(b->a, int, 2 * k + 1);
    memcpy(s->vars, idx, sizeof *idx * (size_t)k);
    memcpy(s->vars + k, val, sizeof *val * (size_t)k);
    return s;
}

IrExpr *ir_fold(IrBuilder *b, IrFn fn, IrExpr **xs, int n)
{
    NV_ASSERT(fn == FN_OR || fn == FN_AND || fn == FN_NE);
    if (n <= 0)
        return NULL;
    IrExpr **w = ARENA_ARRAY(b->a, IrExpr *, n);
    memcpy(w, xs, sizeof *w * (size_t)n);
    while (n > 1) {
        int k = 0;
        for (int i = 0; i + 1 < n; i += 2)
            w[k++] = ir_call2(b, fn, ir_type(T_BOOL), w[i], w[i + 1]);
        if (n % 2)
            w[k++] = w[n - 1];
        n = k;
    }
    return w[0];
}

IrExpr *ir_linear(IrBuilder *b, IrType *t, IrExpr **terms, int n)
{
    IrExpr *e = mk(b, E_LINEAR, t, n);
    int nul = 0;
    for (int i = 0; i < n; i++) {
        e->a[i] = terms[i];
        nul |= ir_is_nullable(terms[i]->type);
    }
    if (nul)
        e->type = ir_nullable(b->a, t);
    return e;
}

IrExpr *ir_node(IrBuilder *b, IrExprKind k, IrType *t, Loc loc, IrExpr **args, int n)
{
    IrExpr *e = mk(b, k, t, n);
    e->loc = loc;
    for (int i = 0; i < n; i++)
        e->a[i] = args[i];
    return e;
}

int ir_add_func(IrBuilder *b, const char *name, IrFuncKind kind, IrType *ret, Loc loc)
{
    IrEngine *g = b->p->eng;
    IrFunc f = {.name = name, .kind = kind, .ret = ret, .loc = loc, .result = -1};
    VEC_PUSH(b->a, g->funcs, g->nfuncs, g->cap_funcs, f);
    return g->nfuncs - 1;
}

int ir_add_local(IrBuilder *b, int func, const char *name, IrType *t)
{
    int v = ir_add_var(b, name, t);
    b->p->vars[v].func = func;
    return v;
}

static IrStmt *push_stmt(IrBuilder *b, IrBlock *blk, IrStmtKind k)
{
    IrStmt *s = ARENA_NEW(b->a, IrStmt);
    s->kind = k;
    VEC_PUSH(b->a, blk->s, blk->n, blk->cap, s);
    return s;
}

static const char *activation_names[ACT__COUNT] = {
#define X(k, s) [ACT_##k] = s,
    IR_ACTIVATIONS(X)
#undef X
};

const char *ir_activation_name(IrActivation a) { return activation_names[a]; }

IrStmt *ir_kernel(IrBuilder *b, IrBlock *blk, IrKernel *k, IrExpr **xs, int n)
{
    IrProgram *p = b->p;
    VEC_PUSH(b->a, p->kernels, p->nkernels, p->cap_kernels, k);
    IrExpr *v = mk(b, E_VECTOR, ir_type(T_DOUBLE), n);
    for (int i = 0; i < n; i++)
        v->a[i] = xs[i];
    if (any_nullable(xs, n))
        v->type = ir_nullable(b->a, v->type);
    k->nin = n;
    /* the outputs are null when the inputs are, or the kernel gives none */
    for (int i = 0; i < k->nouts; i++) {
        IrVar *var = &p->vars[k->outs[i]];
        var->type = ir_nullable(b->a, var->type);
    }
    IrStmt *s = push_stmt(b, blk, S_KERNEL);
    s->var = p->nkernels - 1;
    s->e = v;
    s->loc = k->loc;
    return s;
}

IrStmt *ir_set(IrBuilder *b, IrBlock *blk, int var, IrExpr *e)
{
    IrVar *v = &b->p->vars[var];
    /* a variable that may receive null must have a nullable type */
    if (ir_is_nullable(e->type) && !ir_is_nullable(v->type))
        v->type = ir_nullable(b->a, v->type);
    IrStmt *s = push_stmt(b, blk, S_SET);
    s->var = var;
    s->e = e;
    return s;
}

IrStmt *ir_if_stmt(IrBuilder *b, IrBlock *blk, IrExpr *cond)
{
    IrStmt *s = push_stmt(b, blk, S_IF);
    s->e = cond;
    return s;
}

IrStmt *ir_stmt(IrBuilder *b, IrBlock *blk, IrStmtKind k, Loc loc)
{
    IrStmt *s = push_stmt(b, blk, k);
    s->loc = loc;
    return s;
}

void ir_return_invalid(IrBuilder *b, IrBlock *blk, Loc loc)
{
    IrStmt *s = push_stmt(b, blk, S_RETURN_INVALID);
    s->loc = loc;
}

/* ---- dump ---- */
static const char *expr_names[E__COUNT] = {
#define X(k, s) [E_##k] = s,
    IR_EXPR_KINDS(X)
#undef X
};
static const char *pred_names[P__COUNT] = {
#define X(k, s) [P_##k] = s,
    IR_PRED_KINDS(X)
#undef X
};
static const char *cmp_names[] = {"==", "!=", "<", "<=", ">", ">="};

static void dump_str(StrBuf *o, const char *s)
{
    sb_putc(o, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            sb_printf(o, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            sb_printf(o, "\\x%02x", *p);
        else
            sb_putc(o, (char)*p);
    }
    sb_putc(o, '"');
}

/* a PFA type, structurally (named types by name) */
static void dump_type(const IrType *t, StrBuf *o)
{
    static const char *kn[T__COUNT] = {
#define X(k, s) [T_##k] = s,
        IR_TYPE_KINDS(X)
#undef X
    };
    if (t->name) {
        sb_puts(o, t->name);
        return;
    }
    sb_puts(o, kn[t->kind]);
    if (t->kind == T_ARRAY || t->kind == T_MAP) {
        sb_putc(o, '<');
        dump_type(t->items, o);
        sb_putc(o, '>');
    } else if (t->kind == T_UNION || t->kind == T_FN) {
        int n = t->kind == T_UNION ? t->nbranches : t->nsymbols;
        sb_putc(o, '<');
        for (int i = 0; i < n; i++) {
            if (i)
                sb_putc(o, ',');
            dump_type(t->kind == T_UNION ? t->branches[i] : t->ftypes[i], o);
        }
        if (t->kind == T_FN) {
            sb_puts(o, "->");
            dump_type(t->items, o);
        }
        sb_putc(o, '>');
    }
}

static void dump_strn(StrBuf *o, const char *s, size_t n)
{
    sb_putc(o, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            sb_printf(o, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            sb_printf(o, "\\x%02x", c);
        else
            sb_putc(o, (char)c);
    }
    sb_putc(o, '"');
}

static void dump_expr(const IrProgram *p, const IrExpr *e, StrBuf *o)
{
    char buf[40];
    if (p->eng && e->kind == E_LIT && !e->lit_null &&
        (e->type->kind == T_STRING || e->type->kind == T_BYTES)) {
        dump_strn(o, e->lit_str, e->lit_len);
        return;
    }
    switch (e->kind) {
    case E_LIT:
        if (e->lit_null)
            sb_puts(o, "null");
        else if (e->type->kind == T_BOOL)
            sb_puts(o, e->lit_bool ? "true" : "false");
        else if (e->type->kind == T_LONG || e->type->kind == T_INT)
            sb_printf(o, "%lld", e->lit_long);
        else if (e->type->kind == T_FLOAT) {
            fmt_float(buf, sizeof buf, (float)e->lit_double);
            sb_printf(o, "%sf", buf);
        } else if (e->type->kind == T_DOUBLE) {
            fmt_double(buf, sizeof buf, e->lit_double);
            sb_puts(o, buf);
        } else
            dump_str(o, e->lit_str);
        return;
    case E_VAR:
        sb_printf(o, "$%d", e->var);
        return;
    default:
        break;
    }
    sb_printf(o, "(%s", e->kind == E_CALL ? ir_fn_name(e->fn) : e->kind == E_LIB ? e->lib : expr_names[e->kind]);
    if (e->kind == E_UCALL || e->kind == E_FNREF)
        sb_printf(o, " f%d", e->func);
    if (e->kind == E_CONV || e->kind == E_UNION_AS || e->kind == E_NEW || e->kind == E_CONST ||
        e->kind == E_FNREF) {
        sb_putc(o, ' ');
        dump_type(e->type, o);
    }
    if (e->kind == E_UNION_IS) {
        sb_putc(o, ' ');
        dump_type(e->t2, o);
    }
    if (e->kind == E_CONST) {
        sb_putc(o, ' ');
        dump_str(o, e->lit_str);
    }
    if (e->kind == E_FIELD || e->kind == E_FIELD_SET || e->kind == E_CELL || e->kind == E_POOL_GET ||
        e->kind == E_POOL_HAS || e->kind == E_ENGINE)
        sb_printf(o, " #%d", e->col);
    if (e->code)
        sb_printf(o, " code=%d", e->code);
    for (int i = 0; e->kind == E_FNREF && i < e->n; i++)
        sb_printf(o, " fill@%d", e->fill[i]);
    if (e->kind == E_TREE || e->kind == E_TREE_GET || e->kind == E_TEXT_INDEX)
        sb_printf(o, " #%d", e->tree);
    if (e->kind == E_TREE_GET)
        sb_printf(o, " col%d", e->col);
    if (e->kind == E_CAST)
        sb_printf(o, " %s", ir_type_name(e->type));
    if (e->kind == E_INPUT_INVALID)
        sb_printf(o, " $%d", e->var);
    if (e->kind == E_CODE_IN)
        sb_printf(o, " 0x%llx", (unsigned long long)e->lit_long);
    if (e->kind == E_MEASURE)
        sb_printf(o, " kind%d row%d", (int)e->ms->kind, e->col);
    if (e->tab) {
        sb_printf(o, " [%d", e->tab->n);
        if (e->kind == E_PIECEWISE)
            sb_printf(o, " outliers%d", e->col);
        for (int i = 0; i < e->tab->n && i < 8; i++) {
            sb_putc(o, ' ');
            if (e->tab->str)
                dump_str(o, e->tab->str[i]);
            else
                for (int k = 0; k < e->tab->width; k++) {
                    char buf[40];
                    fmt_double(buf, sizeof buf, e->tab->num[i * e->tab->width + k]);
                    sb_printf(o, "%s%s", k ? ":" : "", buf);
                }
        }
        sb_puts(o, e->tab->n > 8 ? " ...]" : "]");
    }
    for (int i = 0; i < e->n; i++) {
        sb_putc(o, ' ');
        dump_expr(p, e->a[i], o);
    }
    for (int i = 0; i < e->nstrs; i++) {
        sb_putc(o, ' ');
        dump_str(o, e->strs[i]);
    }
    sb_putc(o, ')');
}

static void dump_block(const IrProgram *p, const IrBlock *blk, int ind, StrBuf *o)
{
    for (int i = 0; i < blk->n; i++) {
        const IrStmt *s = blk->s[i];
        sb_printf(o, "%*s", ind, "");
        switch (s->kind) {
        case S_SET:
            sb_printf(o, "$%d := ", s->var);
            dump_expr(p, s->e, o);
            sb_putc(o, '\n');
            break;
        case S_IF:
            sb_puts(o, "if ");
            dump_expr(p, s->e, o);
            sb_puts(o, " {\n");
            dump_block(p, &s->then_b, ind + 2, o);
            if (s->else_b.n) {
                sb_printf(o, "%*s} else {\n", ind, "");
                dump_block(p, &s->else_b, ind + 2, o);
            }
            sb_printf(o, "%*s}\n", ind, "");
            break;
        case S_RETURN_INVALID:
            sb_puts(o, "return-invalid\n");
            break;
        case S_NEAREST:
            sb_puts(o, "nearest");
            for (int k = 0; k < s->nvars; k++)
                sb_printf(o, " $%d", s->vars[k]);
            sb_printf(o, " := (measure%d rows=%d", (int)s->ms->kind, s->ms->rows->n);
            for (int k = 0; k < s->nargs; k++) {
                sb_putc(o, ' ');
                dump_expr(p, s->args[k], o);
            }
            sb_puts(o, ")\n");
            break;
        case S_KERNEL: {
            const IrKernel *k = p->kernels[s->var];
            for (int j = 0; j < k->nouts; j++)
                sb_printf(o, "%s$%d", j ? ", " : "", k->outs[j]);
            sb_printf(o, " := kernel #%d ", s->var);
            if (k->kind == KERNEL_NET)
                sb_printf(o, "net values=%d layers=%d ", k->net->nvalues, k->net->nlayers);
            else
                sb_printf(o, "svm kernel=%d vectors=%d machines=%d mode=%d ", (int)k->svm->kernel, k->svm->nvec,
                          k->svm->nmach, (int)k->svm->mode);
            dump_expr(p, s->e, o);
            sb_putc(o, '\n');
            break;
        }
        case S_LOOP:
        case S_TRY:
            sb_puts(o, s->kind == S_LOOP ? "loop {\n" : "try {\n");
            dump_block(p, &s->then_b, ind + 2, o);
            if (s->kind == S_TRY) {
                sb_printf(o, "%*s} catch", ind, "");
                for (int k = 0; k < s->nfilter_i; k++)
                    sb_printf(o, " %lld", s->filter_i[k]);
                for (int k = 0; k < s->nfilter_s; k++) {
                    sb_putc(o, ' ');
                    dump_str(o, s->filter_s[k]);
                }
                sb_puts(o, " {\n");
                dump_block(p, &s->else_b, ind + 2, o);
            }
            sb_printf(o, "%*s}\n", ind, "");
            break;
        case S_BREAK:
            sb_puts(o, "break\n");
            break;
        case S_LOCK:
        case S_UNLOCK:
            sb_puts(o, s->kind == S_LOCK ? "lock\n" : "unlock\n");
            break;
        case S_GRANT:
            sb_printf(o, "grant %s %d to f%lld param %d", s->has_code ? "pool" : "cell", s->var, s->code, s->nargs);
            if (s->e) {
                sb_putc(o, ' ');
                dump_expr(p, s->e, o);
            }
            sb_putc(o, '\n');
            break;
        case S_EXPR:
        case S_EMIT:
            sb_puts(o, s->kind == S_EXPR ? "eval " : "emit ");
            dump_expr(p, s->e, o);
            sb_putc(o, '\n');
            break;
        case S_LOG:
            sb_puts(o, "log");
            for (int k = 0; k < s->nargs; k++) {
                sb_putc(o, ' ');
                dump_expr(p, s->args[k], o);
            }
            sb_putc(o, '\n');
            break;
        case S_ERROR:
            sb_puts(o, "error ");
            dump_strn(o, s->str ? s->str : "", s->str_len);
            if (s->has_code)
                sb_printf(o, " code=%lld", s->code);
            sb_putc(o, '\n');
            break;
        case S_CELL_SET:
        case S_POOL_SET:
        case S_POOL_DEL:
            sb_printf(o, "%s #%d ", s->kind == S_CELL_SET ? "cell-set" : s->kind == S_POOL_SET ? "pool-set" : "pool-del",
                      s->var);
            dump_expr(p, s->e, o);
            if (s->e2) {
                sb_putc(o, ' ');
                dump_expr(p, s->e2, o);
            }
            sb_putc(o, '\n');
            break;
        default:
            break;
        }
    }
}

static void dump_pred(const IrPred *pr, StrBuf *o)
{
    char buf[40];
    sb_printf(o, "(%s", pred_names[pr->kind]);
    if (pr->kind == P_CMP) {
        sb_printf(o, " $%d %s ", pr->var, cmp_names[pr->op]);
        if (pr->str)
            dump_str(o, pr->str);
        else {
            fmt_double(buf, sizeof buf, pr->num);
            sb_puts(o, buf);
        }
    } else if (pr->kind == P_IS_MISSING || pr->kind == P_IS_NOT_MISSING) {
        sb_printf(o, " $%d", pr->var);
    } else if (pr->kind == P_IN || pr->kind == P_NOT_IN) {
        sb_printf(o, " $%d", pr->var);
        for (int i = 0; i < pr->nvals; i++) {
            sb_putc(o, ' ');
            if (pr->strs)
                dump_str(o, pr->strs[i]);
            else {
                fmt_double(buf, sizeof buf, pr->nums[i]);
                sb_puts(o, buf);
            }
        }
    }
    for (int i = 0; i < pr->nkids; i++) {
        sb_putc(o, ' ');
        dump_pred(pr->kids[i], o);
    }
    sb_putc(o, ')');
}

static void dump_engine(const IrProgram *p, StrBuf *o)
{
    static const char *methods[] = {"map", "emit", "fold"};
    static const char *kinds[] = {"function", "action", "begin", "end", "merge", "try"};
    const IrEngine *g = p->eng;
    sb_puts(o, "engine ");
    dump_str(o, p->name ? p->name : "");
    sb_printf(o, " %s input ", methods[g->method]);
    dump_type(g->input, o);
    sb_puts(o, " output ");
    dump_type(g->output, o);
    sb_putc(o, '\n');
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < (k ? g->npools : g->ncells); i++) {
            const IrCell *c = k ? &g->pools[i] : &g->cells[i];
            sb_printf(o, "%s #%d ", k ? "pool" : "cell", i);
            dump_str(o, c->name);
            sb_putc(o, ' ');
            dump_type(c->type, o);
            sb_printf(o, "%s%s init ", c->shared ? " shared" : "", c->rollback ? " rollback" : "");
            dump_str(o, c->init ? c->init : "");
            sb_putc(o, '\n');
        }
    for (int f = 0; f < g->nfuncs; f++) {
        const IrFunc *fn = &g->funcs[f];
        sb_printf(o, "%s f%d ", kinds[fn->kind], f);
        dump_str(o, fn->name ? fn->name : "");
        sb_puts(o, " (");
        for (int i = 0; i < fn->nparams; i++)
            sb_printf(o, "%s$%d", i ? " " : "", fn->params[i]);
        sb_puts(o, ") -> ");
        dump_type(fn->ret, o);
        if (fn->result >= 0)
            sb_printf(o, " $%d", fn->result);
        sb_puts(o, " {\n");
        for (int v = 0; v < p->nvars; v++)
            if (p->vars[v].func == f) {
                sb_printf(o, "  var $%d ", v);
                dump_type(p->vars[v].type, o);
                sb_putc(o, ' ');
                dump_str(o, p->vars[v].name ? p->vars[v].name : "");
                sb_putc(o, '\n');
            }
        dump_block(p, &fn->body, 2, o);
        sb_puts(o, "}\n");
    }
}

void ir_dump(const IrProgram *p, StrBuf *o)
{
    if (p->eng) {
        dump_engine(p, o);
        return;
    }
    sb_printf(o, "program ");
    dump_str(o, p->name ? p->name : "");
    sb_putc(o, '\n');
    for (int i = 0; i < p->nvars; i++) {
        sb_printf(o, "var $%d %s ", i, ir_type_name(p->vars[i].type));
        dump_str(o, p->vars[i].name ? p->vars[i].name : "");
        if (p->vars[i].role == VAR_INPUT)
            sb_printf(o, " input %d", p->vars[i].input);
        sb_putc(o, '\n');
    }
    for (int i = 0; i < p->noutputs; i++) {
        sb_printf(o, "output %d ", i);
        dump_str(o, p->outputs[i].name);
        sb_printf(o, " %s $%d\n", ir_type_name(p->outputs[i].type), p->outputs[i].var);
    }
    for (int t = 0; t < p->ntrees; t++) {
        const IrTree *tr = p->trees[t];
        sb_printf(o, "tree #%d nodes=%d missing=%d notrue=%s\n", t, tr->nnodes,
                  (int)tr->missing, tr->no_true_child_null ? "null" : "last");
        for (int n = 0; n < tr->nnodes; n++) {
            const IrTreeNode *nd = &tr->nodes[n];
            sb_printf(o, "  node %d ", n);
            dump_pred(nd->pred, o);
            sb_puts(o, " ->");
            for (int k = 0; k < nd->nkids; k++)
                sb_printf(o, " %d", nd->kids[k]);
            if (nd->default_child >= 0)
                sb_printf(o, " default %d", nd->default_child);
            sb_putc(o, '\n');
        }
    }
    for (int k = 0; k < p->nkernels; k++) {
        const IrKernel *kn = p->kernels[k];
        char buf[40];
        if (kn->kind == KERNEL_NET)
            for (int l = 0; l < kn->net->nlayers; l++) {
                const IrLayer *ly = &kn->net->layers[l];
                sb_printf(o, "kernel #%d layer %d: values %d..%d %s norm=%d %s", k, l, ly->dst, ly->dst + ly->n - 1,
                          ir_activation_name(ly->act), (int)ly->norm, ly->dense ? "dense" : "connections");
                if (ly->dense)
                    sb_printf(o, " from %d..%d", ly->src, ly->src + ly->nsrc - 1);
                sb_printf(o, " weights=%d", ly->nconn);
                for (int i = 0; i < ly->nconn && i < 4; i++) {
                    fmt_double(buf, sizeof buf, ly->w[i]);
                    sb_printf(o, " %s", buf);
                }
                sb_puts(o, ly->nconn > 4 ? " ...\n" : "\n");
            }
        else {
            const IrSvm *v = kn->svm;
            sb_printf(o, "kernel #%d svm dim=%d gamma=", k, v->dim);
            fmt_double(buf, sizeof buf, v->gamma);
            sb_puts(o, buf);
            for (int m = 0; m < v->nmach; m++) {
                fmt_double(buf, sizeof buf, v->b[m]);
                sb_printf(o, " [terms=%d b=%s", v->start[m + 1] - v->start[m], buf);
                if (v->mode != SVM_VALUES)
                    sb_printf(o, " cat=%d", v->cat[m]);
                if (v->mode == SVM_VOTES)
                    sb_printf(o, " alt=%d", v->alt[m]);
                sb_putc(o, ']');
            }
            sb_putc(o, '\n');
        }
    }
    dump_block(p, &p->body, 0, o);
}

uint64_t ir_interface_hash(const IrProgram *p)
{
    uint64_t h = HASH_SEED;
    for (int k = 0; k < 2; k++) {
        const IrField *f = k ? p->outputs : p->inputs;
        int n = k ? p->noutputs : p->ninputs;
        h = hash_bytes(h, k ? "out" : "in", 3);
        for (int i = 0; i < n; i++) {
            const char *t = ir_type_name(ir_base(f[i].type));
            h = hash_bytes(h, f[i].name, strlen(f[i].name) + 1);
            h = hash_bytes(h, t, strlen(t) + 1);
        }
    }
    return h;
}
