/* Dead-store elimination.  Lowering is generous: a segment's probabilities,
 * a tree's node id, a derived field nobody asked for all get variables and
 * statements.  This pass keeps only what the outputs need, so the C backend
 * declares no variable it never reads (generated code must compile cleanly
 * with -Wall -Wextra -Werror) and the compiled scorer does no wasted work.
 *
 * Liveness is computed to a fixed point: a variable is live when an output,
 * a live statement or a tree walked by a live statement reads it; a SET is
 * live when its variable is; a KERNEL when one of its variables is; an IF is
 * kept when its branches keep anything.
 * Every expression the IR has today is pure (no side effects), so removing a
 * SET never changes what the program does; a frontend that adds impure
 * expressions must teach expr_pure() about them.
 *
 * The liveness also finds inputs that change no result, which are warned
 * about (a model that ignores a field its schema declares is suspicious). */
#include "ir.h"

typedef struct Live {
    const IrProgram *p;
    unsigned char *var;    /* read by something live */
    unsigned char *tree;   /* walked by something live */
    int changed;
} Live;

static int expr_pure(const IrExpr *e)
{
    (void)e;
    return 1;
}

static void mark_var(Live *L, int v)
{
    if (v >= 0 && !L->var[v]) {
        L->var[v] = 1;
        L->changed = 1;
    }
}

static void mark_pred(Live *L, const IrPred *pr)
{
    if (pr->kind != P_TRUE && pr->kind != P_FALSE && pr->nkids == 0)
        mark_var(L, pr->var);
    for (int i = 0; i < pr->nkids; i++)
        mark_pred(L, pr->kids[i]);
}

static void mark_expr(Live *L, const IrExpr *e)
{
    if (e->kind == E_VAR)
        mark_var(L, e->var);
    if ((e->kind == E_TREE || e->kind == E_TREE_GET) && !L->tree[e->tree]) {
        const IrTree *t = L->p->trees[e->tree];
        L->tree[e->tree] = 1;
        L->changed = 1;
        for (int k = 0; k < t->nnodes; k++)
            mark_pred(L, t->nodes[k].pred);
    }
    for (int i = 0; i < e->n; i++)
        mark_expr(L, e->a[i]);
}

static int stmt_live(const Live *L, const IrStmt *s);

static int block_live(const Live *L, const IrBlock *b)
{
    for (int i = 0; i < b->n; i++)
        if (stmt_live(L, b->s[i]))
            return 1;
    return 0;
}

static int stmt_live(const Live *L, const IrStmt *s)
{
    switch (s->kind) {
    case S_SET:
        return L->var[s->var] || !expr_pure(s->e);
    case S_IF:
        return !expr_pure(s->e) || block_live(L, &s->then_b) || block_live(L, &s->else_b);
    case S_NEAREST:
        for (int k = 0; k < s->nvars; k++)
            if (L->var[s->vars[k]])
                return 1;
        return 0;
    case S_KERNEL: {
        /* live when any of the variables it sets is */
        const IrKernel *k = L->p->kernels[s->var];
        for (int i = 0; i < k->nouts; i++)
            if (L->var[k->outs[i]])
                return 1;
        return 0;
    }
    default:
        return 1;
    }
}

/* last statement first: a statement's reads make the earlier writes live
   in the same sweep, so straight-line code settles in one (a forward sweep
   would need one per link of a chain of partial sums) */
static void mark_block(Live *L, const IrBlock *b)
{
    for (int i = b->n - 1; i >= 0; i--) {
        const IrStmt *s = b->s[i];
        if (!stmt_live(L, s))
            continue;
        if (s->e)
            mark_expr(L, s->e);
        for (int k = 0; s->kind == S_NEAREST && k < s->nargs; k++)
            mark_expr(L, s->args[k]);
        if (s->kind == S_STATE)
            /* the state step reads its fields and keys from the inputs */
            for (int k = 0; k < L->p->nsreads; k++) {
                const IrStateMap *m = &L->p->smaps[L->p->sreads[k].map];
                mark_var(L, L->p->inputs[L->p->sreads[k].input].var);
                for (int j = 0; j < m->nkeys; j++)
                    mark_var(L, L->p->inputs[m->keys[j]].var);
            }
        mark_block(L, &s->then_b);
        mark_block(L, &s->else_b);
    }
}

static void sweep_block(const Live *L, IrBlock *b)
{
    int n = 0;
    for (int i = 0; i < b->n; i++) {
        IrStmt *s = b->s[i];
        if (!stmt_live(L, s))
            continue;
        sweep_block(L, &s->then_b);
        sweep_block(L, &s->else_b);
        b->s[n++] = s;
    }
    b->n = n;
}

void pass_dead_stores(IrBuilder *b)
{
    IrProgram *p = b->p;
    Live L = {.p = p};
    L.var = arena_alloc(b->a, (size_t)p->nvars + 1);
    L.tree = arena_alloc(b->a, (size_t)p->ntrees + 1);
    for (int i = 0; i < p->noutputs; i++)
        mark_var(&L, p->outputs[i].var);
    do {
        L.changed = 0;
        mark_block(&L, &p->body);
    } while (L.changed);
    sweep_block(&L, &p->body);
    /* an input no result depends on: legal, but often a sign of a model
       exported with the wrong features, or of a field the model reads past */
    for (int i = 0; i < p->ninputs; i++)
        if (!L.var[p->inputs[i].var] && !p->inputs[i].grouping)
            diag_warning(b->d, p->inputs[i].loc, "input field '%s' does not change any result",
                         p->inputs[i].name);
}
