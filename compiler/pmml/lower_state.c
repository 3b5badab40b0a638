/* PMML's Lag and Aggregate to IR: values of earlier records of the same
 * entity, which a streaming scorer keeps per entity (IrStateRead).
 *
 * The standard's Lag reads the field n records back within a block of
 * records whose BlockIndicator fields are equal (data sorted by them);
 * nerva keys its state by those values, so records of several entities may
 * come interleaved and each sees its own past (for sorted data, the same
 * thing).  Aggregate summarises a field over a group (groupField); a
 * stream can only give the records seen so far, so nerva's Aggregate is
 * the running one: the group's records up to and including this one.
 * Fields and keys are inputs of the model as the host gave them. */
#include "lower_pmml.h"
#include "bounds.h"

#include <string.h>

/* the input index of field `name`, or -1 after an error */
static int state_input(Lower *L, const XElem *e, const char *attr, const char *what)
{
    const char *name = xattr(e, attr);
    IrProgram *p = L->b.p;
    if (!name) {
        diag_error(L->d, lloc(L, e), "<%s> without %s", e->name, attr);
        return -1;
    }
    for (int i = 0; i < p->ninputs; i++)
        if (!strcmp(p->inputs[i].name, name))
            return i;
    diag_error(L->d, aloc(L, e, attr), "%s '%s' must be an input field of the model (a MiningField of the top "
               "model; a derived field has no earlier records to read)", what, name);
    return -1;
}

/* <Lag field n aggregate><BlockIndicator field/>...</Lag> */
IrExpr *lower_lag(Lower *L, const XElem *e)
{
    IrBuilder *b = &L->b;
    static const char *const aggs[] = {"avg", "max", "median", "min", "product", "sum", "stddev"};
    int input = state_input(L, e, "field", "the Lag's field");
    if (input < 0)
        return NULL;
    long long n = 1;
    const char *ns = xattr(e, "n");
    if (ns && (!parse_long(ns, &n) || n < 1 || n > nv_limits.lag_depth)) {
        diag_error(L->d, aloc(L, e, "n"), "Lag n '%s' is not a count from 1 to %ld%s", ns, nv_limits.lag_depth,
                   limits_hint("lag-depth"));
        return NULL;
    }
    const char *ag = xattr(e, "aggregate");
    int fn = -1;
    for (int k = 0; ag && k < 7; k++)
        if (!strcmp(ag, aggs[k]))
            fn = k;
    if (ag && strcmp(ag, "none") && fn < 0) {
        diag_error(L->d, aloc(L, e, "aggregate"), "Lag aggregate '%s' is not known", ag);
        return NULL;
    }
    IrType *ft = ir_base(L->b.p->inputs[input].type);
    if (fn >= 0 && (!ir_is_numeric(ft) || ir_temporal(ft))) {
        diag_error(L->d, aloc(L, e, "aggregate"), "Lag aggregate '%s' of the %s field '%s': only numbers are "
                   "aggregated", ag, ir_type_name(ft), L->b.p->inputs[input].name);
        return NULL;
    }
    int keys[64], nk = 0;
    for (int k = 0; k < e->nkids; k++) {
        const XElem *bi = e->kids[k];
        if (strcmp(bi->name, "BlockIndicator") != 0)
            continue;
        if (nk == 64) {
            diag_error(L->d, lloc(L, bi), "more than 64 BlockIndicators");
            return NULL;
        }
        if ((keys[nk++] = state_input(L, bi, "field", "a BlockIndicator")) < 0)
            return NULL;
    }
    IrStateRead r = {.kind = fn < 0 ? SR_LAG : SR_LAG_AGG, .map = ir_state_map(b, keys, nk), .input = input,
                     .n = (int)n, .fn = fn, .loc = lloc(L, e)};
    const char *name = arena_printf(L->a, "Lag %s n=%lld%s%s", L->b.p->inputs[input].name, n, fn < 0 ? "" : " ",
                                    fn < 0 ? "" : ag);
    int v = ir_state_read(b, r, name, fn < 0 ? ft : ir_type(T_DOUBLE));
    return ir_var(b, v);
}

/* <Aggregate field function groupField/>: the running aggregate */
IrExpr *lower_aggregate(Lower *L, const XElem *e)
{
    IrBuilder *b = &L->b;
    static const struct { const char *name; int fn; } fns[] = {
        {"count", SA_COUNT}, {"sum", SA_SUM}, {"average", SA_AVG}, {"min", SA_MIN}, {"max", SA_MAX}};
    const char *f = xattr(e, "function");
    int fn = -1;
    for (size_t k = 0; f && k < sizeof fns / sizeof *fns; k++)
        if (!strcmp(f, fns[k].name))
            fn = fns[k].fn;
    if (fn < 0) {
        diag_error(L->d, aloc(L, e, "function"), "Aggregate function '%s' is %s", f ? f : "",
                   f && !strcmp(f, "multiset") ? "not supported (a collection of values, which no PMML model "
                                                 "nerva compiles reads)"
                                               : "not known");
        return NULL;
    }
    if (xattr(e, "sqlWhere")) {
        diag_error(L->d, aloc(L, e, "sqlWhere"), "Aggregate sqlWhere is not supported (the standard says \"an SQL where clause\" and no more: no dialect, no rule for how it names fields)");
        return NULL;
    }
    int input = state_input(L, e, "field", "the Aggregate's field");
    if (input < 0)
        return NULL;
    IrType *ft = ir_base(L->b.p->inputs[input].type);
    if (fn != SA_COUNT && (!ir_is_numeric(ft) || ir_temporal(ft))) {
        diag_error(L->d, aloc(L, e, "function"), "Aggregate '%s' of the %s field '%s': only numbers are "
                   "aggregated", f, ir_type_name(ft), L->b.p->inputs[input].name);
        return NULL;
    }
    int key = -1, nk = 0;
    if (xattr(e, "groupField")) {
        if ((key = state_input(L, e, "groupField", "the groupField")) < 0)
            return NULL;
        nk = 1;
    }
    IrStateRead r = {.kind = SR_RUNNING, .map = ir_state_map(b, &key, nk), .input = input, .fn = fn,
                     .loc = lloc(L, e)};
    int v = ir_state_read(b, r, arena_printf(L->a, "Aggregate %s %s", f, L->b.p->inputs[input].name),
                          ir_type(T_DOUBLE));
    return ir_var(b, v);
}

/* the state step, first in the body, when the program reads state */
void lower_state_step(Lower *L)
{
    IrProgram *p = L->b.p;
    if (!p->nsreads)
        return;
    IrBlock tmp = {0};
    IrStmt *st = ir_stmt(&L->b, &tmp, S_STATE, p->sreads[0].loc);
    st->comment = "per-entity state: Lag and Aggregate";
    IrStmt **s = ARENA_ARRAY(L->a, IrStmt *, p->body.n + 1);
    s[0] = st;
    if (p->body.n)
        memcpy(s + 1, p->body.s, sizeof *s * (size_t)p->body.n);
    p->body.s = s;
    p->body.n++;
    p->body.cap = p->body.n;
}
