/* pass_inplace.c -- may a PFA updater's argument be changed in place?
 *
 * A cell-to or pool-to with an updater function builds the new value from
 * the old one; when the old value is used nowhere else, a library updater
 * (stat.sample.update and the like) may change it in place, saving a copy
 * of the state per event (runtime/lib/pfa_rt.c, "updates in place").  The
 * run time knows whether the routine has read the cell itself; what it
 * cannot know is what the updater does with its argument.  This analysis
 * answers that, conservatively: the parameter is read exactly once in the
 * whole engine, in the updater, as a direct argument of a library call, not
 * inside a loop (which could run the call twice on the same value), and the
 * updater never assigns the parameter.  (A try body stays nested in its
 * function's IR, so reads there count like any other.)  Anything else -- a second read, a conversion, a
 * capture by a closure, a field of it -- answers no, and the update copies
 * as before. */
#include "ir.h"

typedef struct Uses {
    int var;
    int reads;
    int bad;
} Uses;

static void uses_expr(const IrExpr *e, const IrExpr *parent, int in_loop, Uses *u)
{
    if (!e)
        return;
    if (e->kind == E_VAR && e->var == u->var) {
        u->reads++;
        if (!parent || parent->kind != E_LIB || in_loop)
            u->bad = 1;
    }
    for (int i = 0; i < e->n; i++)
        uses_expr(e->a[i], e, in_loop, u);
}

static void uses_block(const IrBlock *b, int in_loop, Uses *u)
{
    for (int i = 0; i < b->n; i++) {
        const IrStmt *s = b->s[i];
        int loop = in_loop || s->kind == S_LOOP;
        if (s->kind == S_SET && s->var == u->var)
            u->bad = 1;
        uses_expr(s->e, NULL, loop, u);
        uses_expr(s->e2, NULL, loop, u);
        for (int k = 0; k < s->nargs && s->args; k++)
            uses_expr(s->args[k], NULL, loop, u);
        uses_block(&s->then_b, loop, u);
        uses_block(&s->else_b, loop, u);
    }
}

int ir_passes_param_to_lib(const IrProgram *p, int func, int param)
{
    const IrEngine *g = p->eng;
    if (!g || func < 0 || func >= g->nfuncs || param < 0 || param >= g->funcs[func].nparams)
        return 0;
    Uses u = {.var = g->funcs[func].params[param]};
    for (int f = 0; f < g->nfuncs; f++)
        uses_block(&g->funcs[f].body, 0, &u);
    return u.reads == 1 && !u.bad && g->funcs[func].result != u.var;
}
