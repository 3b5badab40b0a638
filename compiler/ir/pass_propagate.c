/* Propagation of invariant values.  Lowering gives many values a variable
 * of their own that never changes once set: "the host marked input x
 * invalid" for each MiningField, literals.  Such a variable set once, at
 * the top level, to an expression whose value cannot change (a literal, an
 * input's invalid mark), is replaced at each of its later uses by that
 * expression, and dead-store elimination then drops the variable.  A wide
 * model (thousands of inputs) thus costs one line per input, not four, and
 * the C compiler keeps no variable it need not keep.
 *
 * Tree predicates name variables, not expressions: a variable a tree reads
 * is left alone.  The walks are iterative over blocks and recurse only
 * through expressions, whose depth the lowerings bound. */
#include "ir.h"

typedef struct Prop {
    const IrProgram *p;
    int *sets;             /* per variable: how many statements set it */
    int *at;               /* its top-level set: the statement's index, or -1 */
    unsigned char *pinned; /* read by a tree predicate */
    int *first_use;        /* the first top-level statement that reads it */
    IrExpr **value;        /* what replaces it */
} Prop;

static int invariant(const IrExpr *e)
{
    return e->kind == E_LIT || e->kind == E_INPUT_INVALID;
}

static void count_sets(Prop *P, const IrBlock *b, int top)
{
    for (int i = 0; i < b->n; i++) {
        const IrStmt *s = b->s[i];
        if (s->kind == S_SET) {
            P->sets[s->var]++;
            if (top && invariant(s->e))
                P->at[s->var] = i;
        }
        count_sets(P, &s->then_b, 0);
        count_sets(P, &s->else_b, 0);
    }
}

static void pin_pred(Prop *P, const IrPred *pr)
{
    if (pr->var >= 0)
        P->pinned[pr->var] = 1;
    for (int i = 0; i < pr->nkids; i++)
        pin_pred(P, pr->kids[i]);
}

static void uses_expr(Prop *P, const IrExpr *e, int top)
{
    if (e->kind == E_VAR && P->first_use[e->var] < 0)
        P->first_use[e->var] = top;
    for (int i = 0; i < e->n; i++)
        uses_expr(P, e->a[i], top);
}

static void uses_block(Prop *P, const IrBlock *b, int top)
{
    for (int i = 0; i < b->n; i++) {
        const IrStmt *s = b->s[i];
        int t = top >= 0 ? top : i;
        if (s->e)
            uses_expr(P, s->e, t);
        for (int k = 0; s->kind == S_NEAREST && k < s->nargs; k++)
            uses_expr(P, s->args[k], t);
        uses_block(P, &s->then_b, t);
        uses_block(P, &s->else_b, t);
    }
}

static IrExpr *replace(Prop *P, IrExpr *e)
{
    if (e->kind == E_VAR && P->value[e->var])
        return P->value[e->var];
    for (int i = 0; i < e->n; i++)
        e->a[i] = replace(P, e->a[i]);
    return e;
}

static void replace_block(Prop *P, IrBlock *b)
{
    for (int i = 0; i < b->n; i++) {
        IrStmt *s = b->s[i];
        if (s->e && !(s->kind == S_SET && P->value[s->var]))
            s->e = replace(P, s->e);
        for (int k = 0; s->kind == S_NEAREST && k < s->nargs; k++)
            s->args[k] = replace(P, s->args[k]);
        replace_block(P, &s->then_b);
        replace_block(P, &s->else_b);
    }
}

void pass_propagate(IrBuilder *b)
{
    IrProgram *p = b->p;
    int nv = p->nvars;
    Prop P = {.p = p};
    P.sets = ARENA_ARRAY(b->a, int, nv + 1);
    P.at = ARENA_ARRAY(b->a, int, nv + 1);
    P.first_use = ARENA_ARRAY(b->a, int, nv + 1);
    P.pinned = arena_alloc(b->a, (size_t)nv + 1);
    P.value = ARENA_ARRAY(b->a, IrExpr *, nv + 1);
    for (int v = 0; v < nv; v++)
        P.at[v] = P.first_use[v] = -1;
    count_sets(&P, &p->body, 1);
    uses_block(&P, &p->body, -1);
    for (int t = 0; t < p->ntrees; t++)
        for (int k = 0; k < p->trees[t]->nnodes; k++)
            pin_pred(&P, p->trees[t]->nodes[k].pred);
    for (int i = 0; i < p->noutputs; i++)
        P.pinned[p->outputs[i].var] = 1;
    int any = 0;
    for (int v = 0; v < nv; v++)
        if (P.sets[v] == 1 && P.at[v] >= 0 && !P.pinned[v] &&
            (P.first_use[v] < 0 || P.first_use[v] > P.at[v])) {
            P.value[v] = p->body.s[P.at[v]]->e;
            any = 1;
        }
    if (any)
        replace_block(&P, &p->body);
}
