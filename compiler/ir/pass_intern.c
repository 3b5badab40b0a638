/* String interning: a categorical string is compared against constants in
 * many places (validity checks, tree splits, regression predictors).  This
 * pass looks each such value up once in a sorted dictionary of the constants
 * it is compared with, and rewrites the comparisons into integer ones.  A
 * value outside the dictionary gets -1 and so equals no constant, exactly as
 * the string comparison would have said. */
#include "ir.h"

#include <stdlib.h>
#include <string.h>

typedef struct Dict {
    const char **s;
    int n, cap;
    int code_var;          /* -1 until created */
} Dict;

typedef struct Pass {
    IrBuilder *b;
    Dict *d;               /* per variable */
} Pass;

static int is_str_var(const Pass *P, const IrExpr *e)
{
    return e->kind == E_VAR && ir_base(P->b->p->vars[e->var].type)->kind == T_STRING;
}

static int is_str_lit(const IrExpr *e)
{
    return e->kind == E_LIT && !e->lit_null && e->type->kind == T_STRING;
}

static void add(Pass *P, int var, const char *s)
{
    Dict *d = &P->d[var];
    VEC_PUSH(P->b->a, d->s, d->n, d->cap, s);
}

/* ---- collect the constants each string variable meets ---- */
static void collect_expr(Pass *P, const IrExpr *e)
{
    if (e->kind == E_CALL && (e->fn == FN_EQ || e->fn == FN_NE) && e->n == 2) {
        if (is_str_var(P, e->a[0]) && is_str_lit(e->a[1]))
            add(P, e->a[0]->var, e->a[1]->lit_str);
        else if (is_str_var(P, e->a[1]) && is_str_lit(e->a[0]))
            add(P, e->a[1]->var, e->a[0]->lit_str);
    }
    if (e->kind == E_STR_IN && is_str_var(P, e->a[0]))
        for (int i = 0; i < e->nstrs; i++)
            add(P, e->a[0]->var, e->strs[i]);
    for (int i = 0; i < e->n; i++)
        collect_expr(P, e->a[i]);
}

static void collect_pred(Pass *P, const IrPred *p)
{
    if (p->var >= 0 && ir_base(P->b->p->vars[p->var].type)->kind == T_STRING) {
        if (p->kind == P_CMP && (p->op == CMP_EQ || p->op == CMP_NE) && p->str)
            add(P, p->var, p->str);
        if ((p->kind == P_IN || p->kind == P_NOT_IN) && p->strs)
            for (int i = 0; i < p->nvals; i++)
                add(P, p->var, p->strs[i]);
    }
    for (int i = 0; i < p->nkids; i++)
        collect_pred(P, p->kids[i]);
}

static void collect_block(Pass *P, const IrBlock *blk)
{
    for (int i = 0; i < blk->n; i++) {
        const IrStmt *s = blk->s[i];
        if (s->e)
            collect_expr(P, s->e);
        for (int k = 0; s->kind == S_NEAREST && k < s->nargs; k++)
            collect_expr(P, s->args[k]);
        collect_block(P, &s->then_b);
        collect_block(P, &s->else_b);
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int code_of(const Dict *d, const char *s)
{
    const char **hit = bsearch(&s, d->s, (size_t)d->n, sizeof *d->s, cmp_str);
    NV_ASSERT(hit);
    return (int)(hit - d->s);
}

/* ---- rewrite ---- */
static IrExpr *code_eq(Pass *P, int var, const char *s)
{
    IrBuilder *b = P->b;
    IrExpr *k = ir_lit_long(b, code_of(&P->d[var], s));
    k->type = ir_type(T_INT);
    return ir_call2(b, FN_EQ, ir_type(T_BOOL), ir_var(b, P->d[var].code_var), k);
}

static void rewrite_expr(Pass *P, IrExpr *e)
{
    IrBuilder *b = P->b;
    for (int i = 0; i < e->n; i++)
        rewrite_expr(P, e->a[i]);
    if (e->kind == E_CALL && (e->fn == FN_EQ || e->fn == FN_NE) && e->n == 2) {
        int v = -1;
        const char *lit = NULL;
        if (is_str_var(P, e->a[0]) && is_str_lit(e->a[1]))
            v = e->a[0]->var, lit = e->a[1]->lit_str;
        else if (is_str_var(P, e->a[1]) && is_str_lit(e->a[0]))
            v = e->a[1]->var, lit = e->a[0]->lit_str;
        if (v >= 0 && P->d[v].code_var >= 0) {
            IrExpr *k = ir_lit_long(b, code_of(&P->d[v], lit));
            k->type = ir_type(T_INT);
            e->a[0] = ir_var(b, P->d[v].code_var);
            e->a[1] = k;
        }
    }
    if (e->kind == E_STR_IN && is_str_var(P, e->a[0]) && P->d[e->a[0]->var].code_var >= 0) {
        int v = e->a[0]->var;
        /* a set of small codes is one bit test */
        unsigned long long mask = 0;
        int small = 1;
        for (int i = 0; i < e->nstrs; i++) {
            int c = code_of(&P->d[v], e->strs[i]);
            if (c < 64)
                mask |= 1ULL << c;
            else
                small = 0;
        }
        if (small && e->nstrs) {
            *e = *ir_code_in(b, ir_var(b, P->d[v].code_var), mask);
            return;
        }
        if (e->nstrs > 8)
            return; /* a long list stays a search of its own sorted table */
        IrExpr *eqs[8];
        for (int i = 0; i < e->nstrs; i++)
            eqs[i] = code_eq(P, v, e->strs[i]);
        IrExpr *acc = ir_fold(b, FN_OR, eqs, e->nstrs);
        if (!acc)
            return;
        /* becomes the OR chain in place */
        *e = *acc;
    }
}

static void rewrite_pred(Pass *P, IrPred *p)
{
    if (p->var >= 0 && ir_base(P->b->p->vars[p->var].type)->kind == T_STRING &&
        P->d[p->var].code_var >= 0) {
        const Dict *d = &P->d[p->var];
        if (p->kind == P_CMP && (p->op == CMP_EQ || p->op == CMP_NE) && p->str) {
            p->num = code_of(d, p->str);
            p->str = NULL;
            p->var = d->code_var;
        } else if ((p->kind == P_IN || p->kind == P_NOT_IN) && p->strs) {
            p->nums = ARENA_ARRAY(P->b->a, double, p->nvals + 1);
            for (int i = 0; i < p->nvals; i++)
                p->nums[i] = code_of(d, p->strs[i]);
            p->strs = NULL;
            p->var = d->code_var;
        }
    }
    for (int i = 0; i < p->nkids; i++)
        rewrite_pred(P, p->kids[i]);
}

/* a tree's string column, interned at compile time: a new int column */
static int code_column(Pass *P, IrTree *t, int col, const Dict *d)
{
    Arena *a = P->b->a;
    const IrTreeCol *c = &t->cols[col];
    IrTreeCol k = {.type = ir_nullable(a, ir_type(T_INT))};
    k.num = ARENA_ARRAY(a, double, t->nnodes + 1);
    k.is_null = arena_alloc(a, (size_t)t->nnodes + 1);
    for (int i = 0; i < t->nnodes; i++) {
        k.is_null[i] = c->is_null[i];
        if (!c->is_null[i]) {
            const char **hit = bsearch(&c->str[i], d->s, (size_t)d->n, sizeof *d->s, cmp_str);
            k.num[i] = hit ? (double)(hit - d->s) : -1;
        }
    }
    IrTreeCol *cols = ARENA_ARRAY(a, IrTreeCol, t->ncols + 1);
    memcpy(cols, t->cols, sizeof *cols * (size_t)t->ncols);
    cols[t->ncols] = k;
    t->cols = cols;
    return t->ncols++;
}

/* code_var := the code of var, just assigned from `from` */
static IrStmt *code_stmt(Pass *P, int var, const IrExpr *from)
{
    IrBuilder *b = P->b;
    const Dict *d = &P->d[var];
    IrStmt *s = ARENA_NEW(b->a, IrStmt);
    s->kind = S_SET;
    s->var = d->code_var;
    if (from && from->kind == E_TREE_GET)
        /* a tree's score or id: look the codes up now, not per record */
        s->e = ir_tree_get(b, from->tree, code_column(P, b->p->trees[from->tree], from->col, d), from->a[0]);
    else
        s->e = ir_intern(b, ir_var(b, var), d->s, d->n);
    return s;
}

static void rewrite_block(Pass *P, IrBlock *blk)
{
    IrBuilder *b = P->b;
    IrBlock out = {0};
    for (int i = 0; i < blk->n; i++) {
        IrStmt *s = blk->s[i];
        if (s->e)
            rewrite_expr(P, s->e);
        for (int k = 0; s->kind == S_NEAREST && k < s->nargs; k++)
            rewrite_expr(P, s->args[k]);
        rewrite_block(P, &s->then_b);
        rewrite_block(P, &s->else_b);
        VEC_PUSH(b->a, out.s, out.n, out.cap, s);
        if (s->kind == S_SET && P->d[s->var].code_var >= 0) {
            IrStmt *cs = code_stmt(P, s->var, s->e);
            VEC_PUSH(b->a, out.s, out.n, out.cap, cs);
        }
    }
    *blk = out;
}

void pass_intern_strings(IrBuilder *b)
{
    IrProgram *p = b->p;
    int nvars = p->nvars;
    /* room for the code variables this pass adds (they never get one) */
    Pass P = {.b = b, .d = ARENA_ARRAY(b->a, Dict, 2 * nvars + 1)};
    for (int v = 0; v < 2 * nvars + 1; v++)
        P.d[v].code_var = -1;
    collect_block(&P, &p->body);
    for (int t = 0; t < p->ntrees; t++)
        for (int k = 0; k < p->trees[t]->nnodes; k++)
            collect_pred(&P, p->trees[t]->nodes[k].pred);
    for (int v = 0; v < nvars; v++) {
        Dict *d = &P.d[v];
        if (d->n == 0)
            continue;
        qsort(d->s, (size_t)d->n, sizeof *d->s, cmp_str);
        int m = 0;
        for (int i = 0; i < d->n; i++)
            if (m == 0 || strcmp(d->s[m - 1], d->s[i]) != 0)
                d->s[m++] = d->s[i];
        d->n = m;
        IrType *t = ir_type(T_INT);
        if (ir_is_nullable(p->vars[v].type))
            t = ir_nullable(b->a, t);
        d->code_var = ir_add_var(b, arena_printf(b->a, "%s (code)", p->vars[v].name ? p->vars[v].name : ""), t);
    }
    rewrite_block(&P, &p->body);
    for (int t = 0; t < p->ntrees; t++)
        for (int k = 0; k < p->trees[t]->nnodes; k++)
            rewrite_pred(&P, p->trees[t]->nodes[k].pred);
    /* input variables get their codes first thing */
    IrBlock pre = {0};
    for (int v = 0; v < nvars; v++)
        if (P.d[v].code_var >= 0 && p->vars[v].role == VAR_INPUT) {
            IrStmt *cs = code_stmt(&P, v, NULL);
            VEC_PUSH(b->a, pre.s, pre.n, pre.cap, cs);
        }
    for (int i = 0; i < p->body.n; i++)
        VEC_PUSH(b->a, pre.s, pre.n, pre.cap, p->body.s[i]);
    p->body = pre;
}
