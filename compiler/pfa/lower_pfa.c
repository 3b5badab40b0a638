/* Lowering a type-checked PFA document into the IR.
 *
 * PFA is expression-oriented (an "if" has a value, a "do" is a block); the IR
 * separates statements from pure expressions.  Each PFA expression lowers to
 * the statements it needs, appended to the current block, plus an IR
 * expression for its value.  Values that must survive later statements go
 * into fresh variables, so the order in which PFA evaluates things (left to
 * right, each argument before the call) is kept exactly.
 *
 * Inline functions become IR functions whose first parameters are the
 * enclosing symbols they read (captured by value); function references become
 * E_FNREF values naming an IR function and the arguments filled in; a
 * library function referenced by name gets a small wrapper function.
 * Library calls stay calls by name (E_LIB); the backend decides how each is
 * done.  Every value that flows into a slot of a wider type (a promotion, a
 * union) is converted explicitly (E_CONV). */
#include "lower_pfa.h"

#include <string.h>

typedef struct Lw {
    IrBuilder b;
    PfaProgram *p;
    IrEngine *g;
    int fn;                /* the IR function being built */
    IrBlock *blk;          /* where statements go */
    PfaSym **capsyms;      /* in an inline function: captured symbols ... */
    int *capvars;          /* ... and the parameters that hold them */
    int ncap;
    struct LibWrap *libwrap; /* library functions wrapped for references */
    int nlibwrap, cap_libwrap;
} Lw;

typedef struct LibWrap {
    const char *name;
    int func;
} LibWrap;

static IrExpr *lw(Lw *L, PfaExpr *e);
static IrExpr *lw_block(Lw *L, PfaBlock *b);

/* ---- small builders ---- */
static IrExpr *node(Lw *L, IrExprKind k, IrType *t, Loc loc, IrExpr **a, int n)
{
    return ir_node(&L->b, k, t, loc, a, n);
}

static IrExpr *lit_null(Lw *L, IrType *t, Loc loc)
{
    IrExpr *e = node(L, E_LIT, t, loc, NULL, 0);
    e->lit_null = 1;
    return e;
}

static IrExpr *lit_int(Lw *L, IrTypeKind k, long long v, Loc loc)
{
    IrExpr *e = node(L, E_LIT, ir_type(k), loc, NULL, 0);
    e->lit_long = v;
    e->lit_double = (double)v;
    return e;
}

static IrExpr *lit_str(Lw *L, IrTypeKind k, const char *s, size_t n, Loc loc)
{
    IrExpr *e = node(L, E_LIT, ir_type(k), loc, NULL, 0);
    e->lit_str = s;
    e->lit_len = n;
    return e;
}

static IrExpr *var(Lw *L, int v, Loc loc)
{
    IrExpr *e = ir_var(&L->b, v);
    e->loc = loc;
    return e;
}

static int local(Lw *L, const char *name, IrType *t)
{
    return ir_add_local(&L->b, L->fn, name, t);
}

static IrStmt *set(Lw *L, int v, IrExpr *x, Loc loc)
{
    IrStmt *s = ir_stmt(&L->b, L->blk, S_SET, loc);
    s->var = v;
    s->e = x;
    return s;
}

static int is_bottom(const IrType *t) { return t->kind == T_NULL && t->name; }

/* x as a value of type t (which accepts it) */
static IrExpr *conv(Lw *L, IrExpr *x, IrType *t)
{
    if (is_bottom(t) || ir_type_eq(x->type, t))
        return x;
    if (is_bottom(x->type))
        return lit_null(L, t, x->loc);
    IrExpr *e = node(L, E_CONV, t, x->loc, &x, 1);
    return e;
}

/* a value that later statements must not disturb lives in a variable */
static IrExpr *spill(Lw *L, IrExpr *x, const char *name)
{
    if (x->kind == E_VAR || x->kind == E_LIT)
        return x;
    if (is_bottom(x->type))
        return x;
    int v = local(L, name, x->type);
    set(L, v, x, x->loc);
    return var(L, v, x->loc);
}

static IrExpr *lib(Lw *L, const char *name, IrType *t, Loc loc, IrExpr **a, int n)
{
    IrExpr *e = node(L, E_LIB, t, loc, a, n);
    e->lib = name;
    return e;
}

static IrExpr *lib2(Lw *L, const char *name, IrType *t, Loc loc, IrExpr *x, IrExpr *y)
{
    IrExpr *a[2] = {x, y};
    return lib(L, name, t, loc, a, 2);
}

/* ---- symbols ---- */
static int sym_var(Lw *L, PfaSym *s)
{
    for (int i = 0; i < L->ncap; i++)
        if (L->capsyms[i] == s)
            return L->capvars[i];
    NV_ASSERT(s->var >= 0);
    return s->var;
}

static int bind(Lw *L, PfaSym *s)
{
    s->var = local(L, s->name, s->type);
    return s->var;
}

static IrExpr *sym_value(Lw *L, PfaSym *s, Loc loc)
{
    switch (s->kind) {
    case SYM_NAME: {
        const char *n = L->b.p->name ? L->b.p->name : "";
        return lit_str(L, T_STRING, n, strlen(n), loc);
    }
    case SYM_INSTANCE:
        return lit_int(L, T_INT, 0, loc);
    case SYM_VERSION:
        return lit_int(L, T_INT, L->p->doc->version, loc);
    case SYM_METADATA: {
        PfaDoc *d = L->p->doc;
        StrBuf o;
        sb_init(&o);
        sb_putc(&o, '{');
        for (int i = 0; i < d->nmeta; i++) {
            if (i)
                sb_putc(&o, ',');
            for (int k = 0; k < 2; k++) {
                const char *s = k ? d->meta_vals[i] : d->meta_keys[i];
                sb_putc(&o, '"');
                for (const unsigned char *q = (const unsigned char *)s; *q; q++) {
                    if (*q == '"' || *q == '\\')
                        sb_printf(&o, "\\%c", *q);
                    else if (*q < 0x20)
                        sb_printf(&o, "\\u%04x", *q);
                    else
                        sb_putc(&o, (char)*q);
                }
                sb_putc(&o, '"');
                if (!k)
                    sb_putc(&o, ':');
            }
        }
        sb_putc(&o, '}');
        IrExpr *e = node(L, E_CONST, s->type, loc, NULL, 0);
        e->lit_str = arena_strdup(L->b.a, o.data);
        sb_free(&o);
        return e;
    }
    case SYM_STARTED:
    case SYM_FINISHED: {
        IrExpr *e = node(L, E_ENGINE, ir_type(T_LONG), loc, NULL, 0);
        e->col = s->kind == SYM_FINISHED;
        return e;
    }
    default:
        return var(L, sym_var(L, s), loc);
    }
}

/* ---- functions as arguments ---- */
typedef struct Callable {
    int func;              /* IR function */
    IrExpr **pre;          /* leading arguments (captures, fill values) */
    int *prepos;           /* their parameter positions */
    int npre;
    const char *libname;   /* a library function called directly (no wrapper) */
} Callable;

static int lower_fn_body(Lw *L, int f, PfaExpr *def, PfaSym **caps, int ncaps);

static int lib_wrapper(Lw *L, const char *name, IrType *ft, Loc loc)
{
    for (int i = 0; i < L->nlibwrap; i++)
        if (!strcmp(L->libwrap[i].name, name))
            return L->libwrap[i].func;
    int f = ir_add_func(&L->b, arena_printf(L->b.a, "%s (referenced)", name), FK_USER, ft->items, loc);
    Lw W = *L;
    W.fn = f;
    W.ncap = 0;
    W.blk = ARENA_NEW(L->b.a, IrBlock);
    IrExpr **args = ARENA_ARRAY(L->b.a, IrExpr *, ft->nsymbols ? ft->nsymbols : 1);
    int *params = ARENA_ARRAY(L->b.a, int, ft->nsymbols ? ft->nsymbols : 1);
    for (int i = 0; i < ft->nsymbols; i++) {
        params[i] = local(&W, arena_printf(L->b.a, "p%d", i), ft->ftypes[i]);
        args[i] = var(&W, params[i], loc);
    }
    L->g->funcs[f].params = params;
    L->g->funcs[f].nparams = ft->nsymbols;
    int r = local(&W, "result", ft->items);
    set(&W, r, lib(&W, name, ft->items, loc, args, ft->nsymbols), loc);
    L->g->funcs[f].result = r;
    L->g->funcs[f].body = *W.blk;
    LibWrap w = {.name = name, .func = f};
    VEC_PUSH(L->b.a, L->libwrap, L->nlibwrap, L->cap_libwrap, w);
    return f;
}

static Callable callable(Lw *L, PfaExpr *e)
{
    Callable c = {0};
    if (e->kind == PE_FCNDEF) {
        int f = ir_add_func(&L->b, "inline function", FK_USER, NULL, e->loc);
        lower_fn_body(L, f, e, e->caps, e->ncaps);
        c.func = f;
        c.npre = e->ncaps;
        c.pre = ARENA_ARRAY(L->b.a, IrExpr *, c.npre ? c.npre : 1);
        c.prepos = ARENA_ARRAY(L->b.a, int, c.npre ? c.npre : 1);
        for (int i = 0; i < c.npre; i++) {
            c.pre[i] = sym_value(L, e->caps[i], e->loc);
            c.prepos[i] = i;
        }
        return c;
    }
    /* a reference, maybe with fill values */
    IrType *ftype;
    if (e->ufn >= 0) {
        c.func = L->p->fns[e->ufn].ir_func;
        ftype = L->p->fns[e->ufn].type;
    } else {
        /* the library function's whole signature, before filling */
        ftype = ARENA_NEW(L->b.a, IrType);
        ftype->kind = T_FN;
        ftype->ftypes = e->ptypes_t;
        ftype->nsymbols = e->type->nsymbols + e->nnames;
        ftype->items = e->type->items;
        if (!e->nnames)
            c.libname = e->name;
        c.func = lib_wrapper(L, e->name, ftype, e->loc);
    }
    c.npre = e->nnames;
    c.pre = ARENA_ARRAY(L->b.a, IrExpr *, c.npre ? c.npre : 1);
    c.prepos = ARENA_ARRAY(L->b.a, int, c.npre ? c.npre : 1);
    for (int i = 0; i < e->nnames; i++) {
        c.prepos[i] = e->fillpos[i];
        c.pre[i] = spill(L, conv(L, lw(L, e->vals[i]), ftype->ftypes[e->fillpos[i]]), "fill");
    }
    return c;
}

/* call a callable with the remaining arguments */
static IrExpr *call_callable(Lw *L, Callable *c, IrExpr **args, int n, IrType *want, Loc loc)
{
    IrFunc *f = &L->g->funcs[c->func];
    int total = c->npre + n;
    IrExpr **all = ARENA_ARRAY(L->b.a, IrExpr *, total ? total : 1);
    unsigned char filled[64] = {0};
    for (int i = 0; i < c->npre; i++) {
        all[c->prepos[i]] = c->pre[i];
        filled[c->prepos[i]] = 1;
    }
    for (int i = 0, k = 0; i < total && k < n; i++)
        if (!filled[i])
            all[i] = args[k++];
    for (int i = 0; i < total; i++)
        all[i] = conv(L, all[i], L->b.p->vars[f->params[i]].type);
    IrExpr *e = node(L, E_UCALL, f->ret, loc, all, total);
    e->func = c->func;
    return conv(L, e, want);
}

static IrExpr *fnref(Lw *L, PfaExpr *e, IrType *ctx)
{
    Callable c = callable(L, e);
    IrExpr *r = node(L, E_FNREF, ctx, e->loc, c.pre, c.npre);
    r->func = c.func;
    r->fill = c.prepos;
    return r;
}

/* ---- paths (attr, cell, pool) ---- */
typedef struct PathCodes {
    int index, key;
} PathCodes;

/* values along a path: v[0] the base, v[i+1] the value at step i */
static IrExpr *path_get(Lw *L, PfaExpr *e, IrExpr *base, IrExpr **keys, int start, PathCodes codes,
                        IrExpr **vals)
{
    IrExpr *cur = base;
    if (vals)
        vals[start] = cur;
    for (int i = start; i < e->nargs; i++) {
        IrType *t = e->steps_t[i + 1];
        IrExpr *x;
        if (e->steps[i] >= 0) {
            x = node(L, E_FIELD, t, e->args[i]->loc, &cur, 1);
            x->col = e->steps[i];
        } else {
            IrExpr *a[2] = {cur, keys[i]};
            x = node(L, e->steps[i] == -1 ? E_INDEX : E_MAPGET, t, e->args[i]->loc, a, 2);
            x->code = e->steps[i] == -1 ? codes.index : codes.key;
        }
        cur = vals ? spill(L, x, "path") : x;
        if (vals)
            vals[i + 1] = cur;
    }
    return cur;
}

static IrExpr **path_keys(Lw *L, PfaExpr *e, int start)
{
    IrExpr **keys = ARENA_ARRAY(L->b.a, IrExpr *, e->nargs + 1);
    for (int i = start; i < e->nargs; i++)
        if (e->steps[i] < 0)
            keys[i] = spill(L, lw(L, e->args[i]), "key");
    return keys;
}

/* the updated value at the end of a path */
static IrExpr *apply_to(Lw *L, PfaExpr *to, IrExpr *old, IrType *t)
{
    if (to->kind == PE_FCNDEF || to->kind == PE_FCNREF) {
        Callable c = callable(L, to);
        if (c.libname)
            return conv(L, lib(L, c.libname, to->type->items, to->loc, &old, 1), t);
        return call_callable(L, &c, &old, 1, t, to->loc);
    }
    return conv(L, lw(L, to), t);
}

/* The update of a whole cell (pool item) value `old` by `to`, with a grant
   statement before the updater's call when `to` is a function: the backend
   keeps it when the updater passes the value on to a library function
   that may change it in place (pass_inplace.c, S_GRANT). */
static IrExpr *update_in_place(Lw *L, PfaExpr *to, IrExpr *old, IrType *t, int cell, int pool, IrExpr *key,
                               Loc loc)
{
    IrExpr *x = apply_to(L, to, old, t), *call = x;
    while (call->kind == E_CONV)
        call = call->a[0];
    if (call->kind == E_UCALL)
        for (int i = 0; i < call->n; i++)
            if (call->a[i] == old) {
                IrStmt *g = ir_stmt(&L->b, L->blk, S_GRANT, loc);
                g->var = pool ? pool - 1 : cell - 1;
                g->has_code = pool != 0;
                g->e = key;
                g->code = call->func;
                g->nargs = i;
                break;
            }
    return spill(L, x, "new");
}

/* rebuild the structure from the changed end back to the base */
static IrExpr *path_set(Lw *L, PfaExpr *e, IrExpr **vals, IrExpr **keys, int start, IrExpr *nv,
                        PathCodes codes)
{
    for (int i = e->nargs - 1; i >= start; i--) {
        IrType *t = e->steps_t[i];
        IrExpr *x;
        if (e->steps[i] >= 0) {
            IrExpr *a[2] = {vals[i], nv};
            x = node(L, E_FIELD_SET, t, e->args[i]->loc, a, 2);
            x->col = e->steps[i];
        } else {
            IrExpr *a[3] = {vals[i], keys[i], nv};
            x = node(L, e->steps[i] == -1 ? E_INDEX_SET : E_MAP_SET, t, e->args[i]->loc, a, 3);
            x->code = e->steps[i] == -1 ? codes.index : codes.key;
        }
        nv = spill(L, x, "updated");
    }
    return nv;
}

/* ---- control flow ---- */
static IrBlock *enter(Lw *L, IrBlock *b)
{
    IrBlock *old = L->blk;
    L->blk = b;
    return old;
}

/* `if (!cond) break;` */
static void break_unless(Lw *L, IrExpr *cond, Loc loc)
{
    IrStmt *s = ir_stmt(&L->b, L->blk, S_IF, loc);
    s->e = cond;
    ir_stmt(&L->b, &s->else_b, S_BREAK, loc);
}

static IrExpr *bool_lit(Lw *L, int v, Loc loc)
{
    IrExpr *e = node(L, E_LIT, ir_type(T_BOOL), loc, NULL, 0);
    e->lit_bool = v;
    return e;
}

/* a branch's block, its value stored in `res` (when it has one) */
static void branch(Lw *L, IrBlock *into, PfaBlock *b, int res, IrType *t)
{
    IrBlock *old = enter(L, into);
    IrExpr *x = lw_block(L, b);
    if (res >= 0 && !is_bottom(x->type))
        set(L, res, conv(L, x, t), x->loc);
    L->blk = old;
}

static int result_var(Lw *L, IrType *t)
{
    if (is_bottom(t) || t->kind == T_NULL)
        return -1;
    return local(L, "result", t);
}

static IrExpr *result_value(Lw *L, int res, IrType *t, Loc loc)
{
    return res >= 0 ? var(L, res, loc) : lit_null(L, t, loc);
}

/* lower arguments left to right; values computed before a later argument's
   statements are kept in variables, so nothing is reordered */
static void lower_args(Lw *L, PfaExpr **args, int n, IrExpr **out, IrType **ptypes)
{
    int *pos = ARENA_ARRAY(L->b.a, int, n + 1);
    for (int i = 0; i < n; i++) {
        if (args[i]->kind == PE_FCNDEF || args[i]->kind == PE_FCNREF)
            out[i] = fnref(L, args[i], ptypes ? ptypes[i] : args[i]->type);
        else {
            out[i] = lw(L, args[i]);
            if (ptypes)
                out[i] = conv(L, out[i], ptypes[i]);
        }
        pos[i] = L->blk->n;
    }
    int last_stmt = -1;
    for (int i = 1; i < n; i++)
        if (pos[i] > pos[i - 1])
            last_stmt = i;
    for (int i = 0; i < last_stmt; i++) {
        IrExpr *x = out[i];
        if (x->kind == E_VAR || x->kind == E_LIT || x->kind == E_CONST || is_bottom(x->type))
            continue;
        /* insert "v := x" right after argument i's own statements */
        int v = local(L, "arg", x->type);
        IrStmt *s = ARENA_NEW(L->b.a, IrStmt);
        s->kind = S_SET;
        s->var = v;
        s->e = x;
        s->loc = x->loc;
        VEC_PUSH(L->b.a, L->blk->s, L->blk->n, L->blk->cap, s);
        memmove(&L->blk->s[pos[i] + 1], &L->blk->s[pos[i]], sizeof(IrStmt *) * (size_t)(L->blk->n - 1 - pos[i]));
        L->blk->s[pos[i]] = s;
        for (int k = i; k < n; k++)
            pos[k]++;
        out[i] = var(L, v, x->loc);
    }
}

static IrExpr *lw_call(Lw *L, PfaExpr *e)
{
    int n = e->nargs;
    if (!strcmp(e->name, "&&") || !strcmp(e->name, "||")) {
        /* the second operand only when the first does not decide */
        int isand = e->name[0] == '&';
        int r = local(L, isand ? "and" : "or", ir_type(T_BOOL));
        set(L, r, lw(L, e->args[0]), e->loc);
        IrStmt *s = ir_stmt(&L->b, L->blk, S_IF, e->loc);
        s->e = var(L, r, e->loc);
        IrBlock *old = enter(L, isand ? &s->then_b : &s->else_b);
        set(L, r, lw(L, e->args[1]), e->loc);
        L->blk = old;
        return var(L, r, e->loc);
    }
    IrExpr **args = ARENA_ARRAY(L->b.a, IrExpr *, n ? n : 1);
    lower_args(L, e->args, n, args, e->ptypes_t);
    if (e->ufn >= 0) {
        IrExpr *x = node(L, E_UCALL, e->type, e->loc, args, n);
        x->func = L->p->fns[e->ufn].ir_func;
        return x;
    }
    if (!strcmp(e->name, "emit") && L->p->doc->method == PFA_EMIT) {
        IrStmt *s = ir_stmt(&L->b, L->blk, S_EMIT, e->loc);
        s->e = args[0];
        return lit_null(L, ir_type(T_NULL), e->loc);
    }
    return lib(L, e->name, e->type, e->loc, args, n);
}

static IrExpr *lw_kind(Lw *L, PfaExpr *e)
{
    IrType *t = e->type;
    switch (e->kind) {
    case PE_LIT_NULL:
    case PE_DOC:
        return lit_null(L, ir_type(T_NULL), e->loc);
    case PE_LIT_BOOL:
        return bool_lit(L, e->b, e->loc);
    case PE_LIT_INT:
        return lit_int(L, T_INT, e->i, e->loc);
    case PE_LIT_LONG:
        return lit_int(L, T_LONG, e->i, e->loc);
    case PE_LIT_FLOAT:
    case PE_LIT_DOUBLE: {
        IrExpr *x = node(L, E_LIT, ir_type(e->kind == PE_LIT_FLOAT ? T_FLOAT : T_DOUBLE), e->loc, NULL, 0);
        x->lit_double = e->d;
        return x;
    }
    case PE_LIT_STRING:
        return lit_str(L, T_STRING, e->s, e->slen, e->loc);
    case PE_LIT_BASE64:
        return lit_str(L, T_BYTES, e->s, e->slen, e->loc);
    case PE_LIT_TYPED: {
        IrExpr *x = node(L, E_CONST, t, e->loc, NULL, 0);
        x->lit_str = e->json;
        return x;
    }
    case PE_REF:
        return sym_value(L, e->sym, e->loc);
    case PE_CALL:
        return lw_call(L, e);
    case PE_CALL_ENUM: {
        IrExpr *x = spill(L, lw(L, e->x), "which");
        IrExpr **args = ARENA_ARRAY(L->b.a, IrExpr *, e->nargs ? e->nargs : 1);
        lower_args(L, e->args, e->nargs, args, NULL);
        for (int i = 0; i < e->nargs; i++)
            args[i] = spill(L, args[i], "arg");
        int res = result_var(L, t);
        IrType *et = e->x->type;
        IrExpr *idx = spill(L, lib(L, "enum.toInt", ir_type(T_INT), e->loc, &x, 1), "which");
        IrBlock *blk = L->blk;
        for (int k = 0; k < et->nsymbols; k++) {
            IrStmt *s = ir_stmt(&L->b, blk, S_IF, e->loc);
            s->e = lib2(L, "==", ir_type(T_BOOL), e->loc, idx, lit_int(L, T_INT, k, e->loc));
            IrBlock *old = enter(L, &s->then_b);
            const char *fname = arena_printf(L->b.a, "u.%s", et->symbols[k]);
            int f = -1;
            for (int j = 0; j < L->p->nfns; j++)
                if (!strcmp(L->p->fns[j].name, fname))
                    f = j;
            NV_ASSERT(f >= 0);
            Callable c = {.func = L->p->fns[f].ir_func};
            IrExpr *r = call_callable(L, &c, args, e->nargs, is_bottom(t) ? L->p->fns[f].type->items : t, e->loc);
            if (res >= 0)
                set(L, res, r, e->loc);
            else {
                IrStmt *ex = ir_stmt(&L->b, L->blk, S_EXPR, e->loc);
                ex->e = r;
            }
            L->blk = old;
            blk = &s->else_b;
        }
        return result_value(L, res, t, e->loc);
    }
    case PE_NEW: {
        int n = t->kind == T_ARRAY ? e->nargs : e->nnames;
        IrExpr **items = ARENA_ARRAY(L->b.a, IrExpr *, n ? n : 1);
        IrExpr *x;
        if (t->kind == T_ARRAY) {
            lower_args(L, e->args, n, items, NULL);
            for (int i = 0; i < n; i++)
                items[i] = conv(L, items[i], t->items);
            x = node(L, E_NEW, t, e->loc, items, n);
        } else if (t->kind == T_MAP) {
            lower_args(L, e->vals, n, items, NULL);
            for (int i = 0; i < n; i++)
                items[i] = conv(L, items[i], t->items);
            x = node(L, E_NEW, t, e->loc, items, n);
            x->strs = e->names;
            x->nstrs = n;
        } else {
            IrExpr **given = ARENA_ARRAY(L->b.a, IrExpr *, n ? n : 1);
            lower_args(L, e->vals, n, given, NULL);
            IrExpr **fields = ARENA_ARRAY(L->b.a, IrExpr *, t->nsymbols ? t->nsymbols : 1);
            for (int f = 0; f < t->nsymbols; f++)
                for (int i = 0; i < n; i++)
                    if (!strcmp(e->names[i], t->symbols[f]))
                        fields[f] = conv(L, given[i], t->ftypes[f]);
            x = node(L, E_NEW, t, e->loc, fields, t->nsymbols);
        }
        return x;
    }
    case PE_DO:
        return lw_block(L, &e->body);
    case PE_LET:
        for (int i = 0; i < e->nnames; i++) {
            IrExpr *x = lw(L, e->vals[i]);
            int v = bind(L, e->syms[i]);
            set(L, v, conv(L, x, e->syms[i]->type), e->loc);
        }
        return lit_null(L, ir_type(T_NULL), e->loc);
    case PE_SET: {
        IrExpr **xs = ARENA_ARRAY(L->b.a, IrExpr *, e->nnames);
        for (int i = 0; i < e->nnames; i++) {
            xs[i] = conv(L, lw(L, e->vals[i]), e->syms[i]->type);
            if (e->nnames > 1)
                xs[i] = spill(L, xs[i], e->names[i]); /* every value sees the old symbols */
        }
        for (int i = 0; i < e->nnames; i++)
            set(L, sym_var(L, e->syms[i]), xs[i], e->loc);
        return lit_null(L, ir_type(T_NULL), e->loc);
    }
    case PE_ATTR: {
        PathCodes codes = {2000, 2001};
        IrExpr *base = lw(L, e->x);
        if (!e->to) {
            IrExpr **keys = path_keys(L, e, 0);
            return path_get(L, e, base, keys, 0, codes, NULL);
        }
        codes = (PathCodes){2002, 2003};
        base = spill(L, base, "base");
        IrExpr **keys = path_keys(L, e, 0);
        IrExpr **vals = ARENA_ARRAY(L->b.a, IrExpr *, e->nargs + 1);
        IrExpr *old = path_get(L, e, base, keys, 0, codes, vals);
        IrExpr *nv = spill(L, apply_to(L, e->to, old, e->steps_t[e->nargs]), "new");
        return path_set(L, e, vals, keys, 0, nv, codes);
    }
    case PE_CELL: {
        IrExpr *cell = node(L, E_CELL, L->p->cells[e->cell].type, e->loc, NULL, 0);
        cell->col = e->cell;
        if (!e->to) {
            IrExpr **keys = path_keys(L, e, 0);
            return path_get(L, e, cell, keys, 0, (PathCodes){2004, 2005}, NULL);
        }
        PathCodes codes = {2006, 2007};
        IrExpr **keys = path_keys(L, e, 0);
        IrExpr **vals = ARENA_ARRAY(L->b.a, IrExpr *, e->nargs + 1);
        /* a shared cell is read and written under its lock: the update is atomic */
        int shared = L->p->cells[e->cell].shared;
        if (shared)
            ir_stmt(&L->b, L->blk, S_LOCK, e->loc);
        IrExpr *old = path_get(L, e, spill(L, cell, "cell"), keys, 0, codes, vals), *nv;
        cell->peek = 1;
        if (e->nargs == 0 && !shared)
            nv = update_in_place(L, e->to, old, e->steps_t[e->nargs], e->cell + 1, 0, NULL, e->loc);
        else
            nv = spill(L, apply_to(L, e->to, old, e->steps_t[e->nargs]), "new");
        IrExpr *whole = path_set(L, e, vals, keys, 0, nv, codes);
        IrStmt *s = ir_stmt(&L->b, L->blk, S_CELL_SET, e->loc);
        s->var = e->cell;
        s->e = whole;
        if (shared)
            ir_stmt(&L->b, L->blk, S_UNLOCK, e->loc);
        return whole;
    }
    case PE_POOL: {
        IrType *it = L->p->pools[e->cell].type;
        IrExpr *key = spill(L, lw(L, e->args[0]), "item");
        IrExpr *pk[1] = {key};
        if (!e->to) {
            IrExpr *item = node(L, E_POOL_GET, it, e->loc, pk, 1);
            item->col = e->cell;
            item->code = 2009;
            IrExpr **keys = path_keys(L, e, 1);
            return path_get(L, e, item, keys, 1, (PathCodes){2008, 2009}, NULL);
        }
        int cur = local(L, "item", it);
        int shared = L->p->pools[e->cell].shared;
        if (shared)
            ir_stmt(&L->b, L->blk, S_LOCK, e->loc);
        IrStmt *s = ir_stmt(&L->b, L->blk, S_IF, e->loc);
        IrExpr *has = node(L, E_POOL_HAS, ir_type(T_BOOL), e->loc, pk, 1);
        has->col = e->cell;
        s->e = has;
        IrExpr *get = node(L, E_POOL_GET, it, e->loc, pk, 1);
        get->col = e->cell;
        get->code = 2011;
        get->peek = 1;
        IrBlock *old = enter(L, &s->then_b);
        set(L, cur, get, e->loc);
        L->blk = &s->else_b;
        set(L, cur, conv(L, lw(L, e->init), it), e->loc);
        L->blk = old;
        PathCodes codes = {2010, 2011};
        IrExpr **keys = path_keys(L, e, 1);
        IrExpr **vals = ARENA_ARRAY(L->b.a, IrExpr *, e->nargs + 1);
        IrExpr *oldv = path_get(L, e, var(L, cur, e->loc), keys, 1, codes, vals), *nv;
        if (e->nargs == 1 && !shared)
            nv = update_in_place(L, e->to, oldv, e->steps_t[e->nargs], 0, e->cell + 1, key, e->loc);
        else
            nv = spill(L, apply_to(L, e->to, oldv, e->steps_t[e->nargs]), "new");
        IrExpr *whole = path_set(L, e, vals, keys, 1, nv, codes);
        IrStmt *ps = ir_stmt(&L->b, L->blk, S_POOL_SET, e->loc);
        ps->var = e->cell;
        ps->e = key;
        ps->e2 = whole;
        if (shared)
            ir_stmt(&L->b, L->blk, S_UNLOCK, e->loc);
        return whole;
    }
    case PE_POOL_DEL: {
        IrStmt *s = ir_stmt(&L->b, L->blk, S_POOL_DEL, e->loc);
        s->var = e->cell;
        s->e = lw(L, e->x);
        return lit_null(L, ir_type(T_NULL), e->loc);
    }
    case PE_IF: {
        IrExpr *c = lw(L, e->x);
        int res = e->has_else ? result_var(L, t) : -1;
        IrStmt *s = ir_stmt(&L->b, L->blk, S_IF, e->loc);
        s->e = c;
        branch(L, &s->then_b, &e->body, res, t);
        if (e->has_else)
            branch(L, &s->else_b, &e->els, res, t);
        return result_value(L, res, t, e->loc);
    }
    case PE_COND: {
        int res = e->has_else ? result_var(L, t) : -1;
        IrBlock *old = L->blk;
        for (int i = 0; i < e->nargs; i++) {
            PfaExpr *cl = e->args[i];
            IrExpr *c = lw(L, cl->x);
            IrStmt *s = ir_stmt(&L->b, L->blk, S_IF, cl->loc);
            s->e = c;
            branch(L, &s->then_b, &cl->body, res, t);
            L->blk = &s->else_b;
        }
        if (e->has_else) {
            IrExpr *x = lw_block(L, &e->els);
            if (res >= 0 && !is_bottom(x->type))
                set(L, res, conv(L, x, t), x->loc);
        }
        L->blk = old;
        return result_value(L, res, t, e->loc);
    }
    case PE_WHILE:
    case PE_DO_UNTIL: {
        IrStmt *s = ir_stmt(&L->b, L->blk, S_LOOP, e->loc);
        IrBlock *old = enter(L, &s->then_b);
        if (e->kind == PE_WHILE)
            break_unless(L, lw(L, e->x), e->loc);
        lw_block(L, &e->body);
        if (e->kind == PE_DO_UNTIL) {
            IrStmt *b = ir_stmt(&L->b, L->blk, S_IF, e->loc);
            b->e = lw(L, e->x);
            ir_stmt(&L->b, &b->then_b, S_BREAK, e->loc);
        }
        L->blk = old;
        return lit_null(L, ir_type(T_NULL), e->loc);
    }
    case PE_FOR: {
        for (int i = 0; i < e->nnames; i++) {
            IrExpr *x = lw(L, e->vals[i]);
            int v = bind(L, e->syms[i]);
            set(L, v, conv(L, x, e->syms[i]->type), e->loc);
        }
        IrStmt *s = ir_stmt(&L->b, L->blk, S_LOOP, e->loc);
        IrBlock *old = enter(L, &s->then_b);
        break_unless(L, lw(L, e->x), e->loc);
        lw_block(L, &e->body);
        IrExpr **xs = ARENA_ARRAY(L->b.a, IrExpr *, e->nnames2 ? e->nnames2 : 1);
        for (int i = 0; i < e->nnames2; i++) {
            xs[i] = conv(L, lw(L, e->vals2[i]), e->caps[i]->type);
            if (e->nnames2 > 1)
                xs[i] = spill(L, xs[i], e->names2[i]);
        }
        for (int i = 0; i < e->nnames2; i++)
            set(L, sym_var(L, e->caps[i]), xs[i], e->loc);
        L->blk = old;
        return lit_null(L, ir_type(T_NULL), e->loc);
    }
    case PE_FOREACH:
    case PE_FORKV: {
        IrType *ct = e->x->type;
        if (is_bottom(ct))
            return lit_null(L, ir_type(T_NULL), e->loc);
        /* its own variable: the body may change the symbol it came from */
        int cv = local(L, "collection", ct);
        set(L, cv, lw(L, e->x), e->loc);
        IrExpr *coll = var(L, cv, e->loc);
        int n = local(L, "n", ir_type(T_INT)), i = local(L, "i", ir_type(T_INT));
        set(L, n, lib(L, ct->kind == T_ARRAY ? "a.len" : "map.len", ir_type(T_INT), e->loc, &coll, 1), e->loc);
        set(L, i, lit_int(L, T_INT, 0, e->loc), e->loc);
        IrStmt *s = ir_stmt(&L->b, L->blk, S_LOOP, e->loc);
        IrBlock *old = enter(L, &s->then_b);
        break_unless(L, lib2(L, "<", ir_type(T_BOOL), e->loc, var(L, i, e->loc), var(L, n, e->loc)), e->loc);
        IrExpr *a[2] = {coll, var(L, i, e->loc)};
        if (e->kind == PE_FOREACH) {
            int v = bind(L, e->syms[0]);
            IrExpr *item = node(L, E_INDEX, ct->items, e->loc, a, 2);
            item->code = 2000;
            set(L, v, conv(L, item, e->syms[0]->type), e->loc);
        } else {
            int k = bind(L, e->syms[0]), v = bind(L, e->syms[1]);
            set(L, k, node(L, E_ENTRY_KEY, ir_type(T_STRING), e->loc, a, 2), e->loc);
            set(L, v, conv(L, node(L, E_ENTRY_VAL, ct->items, e->loc, a, 2), e->syms[1]->type), e->loc);
        }
        lw_block(L, &e->body);
        set(L, i, lib2(L, "+", ir_type(T_INT), e->loc, var(L, i, e->loc), lit_int(L, T_INT, 1, e->loc)), e->loc);
        L->blk = old;
        return lit_null(L, ir_type(T_NULL), e->loc);
    }
    case PE_CAST: {
        IrExpr *x = spill(L, lw(L, e->x), "cast");
        IrType *xt = e->x->type;
        int res = e->b ? -1 : result_var(L, t);
        IrBlock *old = L->blk;
        for (int i = 0; i < e->nargs; i++) {
            PfaExpr *ce = e->args[i];
            IrType *as = ce->type;
            int v = bind(L, e->syms[i]);
            if (xt->kind != T_UNION) {
                /* a value that is not a union can only be one thing */
                if (!ir_accepts(as, xt))
                    continue;
                set(L, v, conv(L, x, as), ce->loc);
                IrExpr *r = lw_block(L, &ce->body);
                if (res >= 0 && !is_bottom(r->type))
                    set(L, res, conv(L, r, t), r->loc);
                break;
            }
            IrStmt *s = ir_stmt(&L->b, L->blk, S_IF, ce->loc);
            IrExpr *is = node(L, E_UNION_IS, ir_type(T_BOOL), ce->loc, &x, 1);
            is->t2 = as;
            s->e = is;
            IrBlock *prev = enter(L, &s->then_b);
            set(L, v, node(L, E_UNION_AS, as, ce->loc, &x, 1), ce->loc);
            IrExpr *r = lw_block(L, &ce->body);
            if (res >= 0 && !is_bottom(r->type))
                set(L, res, conv(L, r, t), r->loc);
            (void)prev;
            L->blk = &s->else_b;
        }
        L->blk = old;
        return result_value(L, res, t, e->loc);
    }
    case PE_UPCAST:
        return conv(L, lw(L, e->x), t);
    case PE_IFNOTNULL: {
        IrExpr **xs = ARENA_ARRAY(L->b.a, IrExpr *, e->nnames);
        IrExpr *cond = NULL;
        for (int i = 0; i < e->nnames; i++) {
            xs[i] = spill(L, lw(L, e->vals[i]), e->names[i]);
            IrExpr *is = node(L, E_UNION_IS, ir_type(T_BOOL), e->loc, &xs[i], 1);
            is->t2 = e->syms[i]->type;
            cond = cond ? lib2(L, "&&", ir_type(T_BOOL), e->loc, cond, is) : is;
        }
        int res = e->has_else ? result_var(L, t) : -1;
        IrStmt *s = ir_stmt(&L->b, L->blk, S_IF, e->loc);
        s->e = cond;
        IrBlock *old = enter(L, &s->then_b);
        for (int i = 0; i < e->nnames; i++)
            set(L, bind(L, e->syms[i]), node(L, E_UNION_AS, e->syms[i]->type, e->loc, &xs[i], 1), e->loc);
        L->blk = old;
        branch(L, &s->then_b, &e->body, res, t);
        if (e->has_else)
            branch(L, &s->else_b, &e->els, res, t);
        return result_value(L, res, t, e->loc);
    }
    case PE_ERROR: {
        IrStmt *s = ir_stmt(&L->b, L->blk, S_ERROR, e->loc);
        s->str = e->s;
        s->str_len = e->slen;
        s->code = e->i;
        s->has_code = e->has_code;
        return lit_null(L, t, e->loc);
    }
    case PE_TRY: {
        int res = result_var(L, t);
        IrStmt *s = ir_stmt(&L->b, L->blk, S_TRY, e->loc);
        s->filter_s = e->filter_s;
        s->nfilter_s = e->nfilter_s;
        s->filter_i = e->filter_i;
        s->nfilter_i = e->nfilter_i;
        branch(L, &s->then_b, &e->body, res, t);
        if (res >= 0) {
            IrBlock *old = enter(L, &s->else_b);
            set(L, res, conv(L, lit_null(L, ir_type(T_NULL), e->loc), t), e->loc);
            L->blk = old;
        }
        return result_value(L, res, t, e->loc);
    }
    case PE_PACK: {
        /* pack(code, values...) in the runtime; the code says each value's format */
        int n = e->nnames;
        IrExpr **args = ARENA_ARRAY(L->b.a, IrExpr *, n + 1);
        StrBuf code;
        sb_init(&code);
        for (int i = 0; i < n; i++)
            sb_puts(&code, e->formats[i]);
        args[0] = lit_str(L, T_STRING, arena_strdup(L->b.a, code.data ? code.data : ""), code.len, e->loc);
        sb_free(&code);
        lower_args(L, e->vals, n, args + 1, e->ptypes_t);
        return lib(L, "pack", ir_type(T_BYTES), e->loc, args, n + 1);
    }
    case PE_UNPACK: {
        /* unpack(code, bytes) is a record of the values, or null when the
           bytes do not have exactly that format */
        int n = e->nnames;
        IrType *rec = ARENA_NEW(L->b.a, IrType);
        rec->kind = T_RECORD;
        rec->name = arena_printf(L->b.a, "nerva.unpack%d", L->b.p->nvars);
        rec->nsymbols = n;
        rec->symbols = ARENA_ARRAY(L->b.a, const char *, n ? n : 1);
        rec->ftypes = ARENA_ARRAY(L->b.a, IrType *, n ? n : 1);
        StrBuf code;
        sb_init(&code);
        for (int i = 0; i < n; i++) {
            rec->symbols[i] = e->names[i];
            rec->ftypes[i] = e->syms[i]->type;
            sb_puts(&code, e->formats[i]);
        }
        IrType *u = ARENA_NEW(L->b.a, IrType);
        u->kind = T_UNION;
        u->nbranches = 2;
        u->branches = ARENA_ARRAY(L->b.a, IrType *, 2);
        u->branches[0] = ir_type(T_NULL);
        u->branches[1] = rec;
        IrExpr *args[2];
        args[0] = lit_str(L, T_STRING, arena_strdup(L->b.a, code.data ? code.data : ""), code.len, e->loc);
        sb_free(&code);
        args[1] = lw(L, e->x);
        IrExpr *r = spill(L, lib(L, "unpack", u, e->loc, args, 2), "unpacked");
        int res = e->has_else ? result_var(L, t) : -1;
        IrStmt *s = ir_stmt(&L->b, L->blk, S_IF, e->loc);
        IrExpr *is = node(L, E_UNION_IS, ir_type(T_BOOL), e->loc, &r, 1);
        is->t2 = rec;
        s->e = is;
        IrBlock *old = enter(L, &s->then_b);
        IrExpr *rv = spill(L, node(L, E_UNION_AS, rec, e->loc, &r, 1), "fields");
        for (int i = 0; i < n; i++) {
            IrExpr *f = node(L, E_FIELD, rec->ftypes[i], e->loc, &rv, 1);
            f->col = i;
            set(L, bind(L, e->syms[i]), f, e->loc);
        }
        L->blk = old;
        branch(L, &s->then_b, &e->body, res, t);
        if (e->has_else)
            branch(L, &s->else_b, &e->els, res, t);
        return result_value(L, res, t, e->loc);
    }
    case PE_LOG: {
        IrExpr **xs = ARENA_ARRAY(L->b.a, IrExpr *, e->nargs ? e->nargs : 1);
        lower_args(L, e->args, e->nargs, xs, NULL);
        IrStmt *s = ir_stmt(&L->b, L->blk, S_LOG, e->loc);
        s->args = xs;
        s->nargs = e->nargs;
        s->str = e->s;
        return lit_null(L, ir_type(T_NULL), e->loc);
    }
    default:
        diag_error(L->b.d, e->loc, "\"%s\" is not supported yet", pfa_expr_kind_name(e->kind));
        return lit_null(L, t, e->loc);
    }
}

static IrExpr *lw(Lw *L, PfaExpr *e)
{
    IrExpr *x = lw_kind(L, e);
    if (!x->loc.file)
        x->loc = e->loc;
    return x;
}

static IrExpr *lw_block(Lw *L, PfaBlock *b)
{
    IrExpr *x = NULL;
    for (int i = 0; i < b->n; i++) {
        x = lw(L, b->e[i]);
        if (i + 1 < b->n && (x->kind == E_UCALL || x->kind == E_LIB || x->kind == E_INDEX ||
                             x->kind == E_MAPGET || x->kind == E_POOL_GET)) {
            /* a value nobody uses may still raise an error or change state */
            IrStmt *s = ir_stmt(&L->b, L->blk, S_EXPR, x->loc);
            s->e = x;
        }
    }
    return x ? x : lit_null(L, ir_type(T_NULL), (Loc){0});
}

/* ---- functions ---- */
static int lower_fn_body(Lw *L, int f, PfaExpr *def, PfaSym **caps, int ncaps)
{
    Lw W = *L;
    W.fn = f;
    /* the body is built apart and stored at the end: functions made while
       lowering it (inline closures) may move the function table */
    W.blk = ARENA_NEW(L->b.a, IrBlock);
    int n = ncaps + def->nnames;
    int *params = ARENA_ARRAY(L->b.a, int, n ? n : 1);
    W.capsyms = caps;
    W.ncap = ncaps;
    W.capvars = ARENA_ARRAY(L->b.a, int, ncaps ? ncaps : 1);
    for (int i = 0; i < ncaps; i++) {
        W.capvars[i] = local(&W, caps[i]->name, caps[i]->type);
        params[i] = W.capvars[i];
    }
    for (int i = 0; i < def->nnames; i++)
        params[ncaps + i] = bind(&W, def->syms[i]);
    IrFunc *fn = &L->g->funcs[f];
    fn->params = params;
    fn->nparams = n;
    IrType *ret = def->type->items;
    fn->ret = ret;
    IrExpr *x = lw_block(&W, &def->body);
    if (!is_bottom(x->type) && ret->kind != T_NULL) {
        int r = local(&W, "result", ret);
        set(&W, r, conv(&W, x, ret), x->loc);
        L->g->funcs[f].result = r;
    }
    L->g->funcs[f].body = *W.blk;
    /* the wrapper table may have grown */
    L->libwrap = W.libwrap;
    L->nlibwrap = W.nlibwrap;
    L->cap_libwrap = W.cap_libwrap;
    return f;
}

static int routine(Lw *L, const char *name, IrFuncKind k, PfaBlock *b, PfaSym **params, int nparams,
                   IrType *ret)
{
    int f = ir_add_func(&L->b, name, k, ret ? ret : ir_type(T_NULL), b->n ? b->e[0]->loc : (Loc){0});
    L->fn = f;
    L->blk = ARENA_NEW(L->b.a, IrBlock);   /* stored at the end, as in lower_fn_body */
    L->ncap = 0;
    int *ps = ARENA_ARRAY(L->b.a, int, nparams ? nparams : 1);
    for (int i = 0; i < nparams; i++)
        ps[i] = bind(L, params[i]);
    L->g->funcs[f].params = ps;
    L->g->funcs[f].nparams = nparams;
    IrExpr *x = lw_block(L, b);
    if (ret && !is_bottom(x->type)) {
        int r = local(L, "output", ret);
        set(L, r, conv(L, x, ret), x->loc);
        L->g->funcs[f].result = r;
    } else if (x->kind == E_UCALL || x->kind == E_LIB || x->kind == E_INDEX || x->kind == E_MAPGET ||
               x->kind == E_POOL_GET) {
        IrStmt *s = ir_stmt(&L->b, L->blk, S_EXPR, x->loc);
        s->e = x;
    }
    L->g->funcs[f].body = *L->blk;
    return f;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

IrProgram *lower_pfa(Arena *a, Diags *d, PfaProgram *p, const char *path)
{
    PfaDoc *doc = p->doc;
    IrProgram *prog = ir_program_new(a);
    prog->source = base_name(path);
    prog->name = doc->name ? doc->name : prog->source;
    static const char *methods[] = {"map", "emit", "fold"};
    prog->kind = arena_printf(a, "PFA %s engine", methods[doc->method]);
    IrEngine *g = ARENA_NEW(a, IrEngine);
    prog->eng = g;
    g->method = (IrMethod)doc->method;
    g->input = p->input;
    g->output = p->output;
    g->zero = p->zero;
    g->has_randseed = doc->has_randseed;
    g->randseed = doc->randseed;
    for (int k = 0; k < 3; k++)
        g->timeout[k] = doc->timeout[k];
    g->action = g->begin = g->end = g->merge = -1;
    g->ncells = p->ncells;
    g->cells = ARENA_ARRAY(a, IrCell, p->ncells ? p->ncells : 1);
    for (int i = 0; i < p->ncells; i++)
        g->cells[i] = (IrCell){.name = p->cells[i].name, .loc = p->cells[i].loc, .type = p->cells[i].type,
                               .init = p->cells[i].init, .shared = p->cells[i].shared,
                               .rollback = p->cells[i].rollback};
    g->npools = p->npools;
    g->pools = ARENA_ARRAY(a, IrCell, p->npools ? p->npools : 1);
    for (int i = 0; i < p->npools; i++)
        g->pools[i] = (IrCell){.name = p->pools[i].name, .loc = p->pools[i].loc, .type = p->pools[i].type,
                               .init = p->pools[i].init, .shared = p->pools[i].shared,
                               .rollback = p->pools[i].rollback};
    Lw L = {.b = {.a = a, .d = d, .p = prog}, .p = p, .g = g};
    /* user functions exist before any body refers to them */
    for (int i = 0; i < p->nfns; i++)
        p->fns[i].ir_func = ir_add_func(&L.b, p->fns[i].name, FK_USER, p->fns[i].type->items, p->fns[i].def->loc);
    for (int i = 0; i < p->nfns; i++)
        lower_fn_body(&L, p->fns[i].ir_func, p->fns[i].def, NULL, 0);
    PfaSym *aparams[2] = {p->input_sym, p->tally_sym};
    g->action = routine(&L, "action", FK_ACTION, &doc->action, aparams, doc->method == PFA_FOLD ? 2 : 1,
                        doc->method == PFA_EMIT ? NULL : p->output);
    if (doc->begin.n)
        g->begin = routine(&L, "begin", FK_BEGIN, &doc->begin, NULL, 0, NULL);
    if (doc->end.n) {
        PfaSym *ep[1] = {p->tally_sym};
        /* end sees the tally of a fold engine: a parameter, like the action's */
        p->tally_sym->var = -1;
        g->end = routine(&L, "end", FK_END, &doc->end, ep, doc->method == PFA_FOLD ? 1 : 0, NULL);
    }
    if (doc->has_merge) {
        PfaSym *mp[2] = {p->tally1_sym, p->tally2_sym};
        g->merge = routine(&L, "merge", FK_MERGE, &doc->merge, mp, 2, p->output);
    }
    return d->errors ? NULL : prog;
}
