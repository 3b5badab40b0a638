/* OutputFields to IR.  Each feature of the standard is read from what a
 * model computed (ModelResult): the model's own result, one segment's
 * (segmentId) or one target's (targetField).  Later fields see the earlier
 * ones.  A feature a family defines itself (the rule values of rule sets and
 * association models) is answered by the family's hook; a feature the model
 * cannot give is an error at its line, never a guess. */
#include "lower_pmml.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cat_index(const ModelResult *r, const char *v)
{
    for (int i = 0; i < r->ncats; i++)
        if (!strcmp(r->cats[i], v))
            return i;
    /* numeric labels: "1" names the class "1.0" */
    double a, c;
    if (parse_double(v, &a))
        for (int i = 0; i < r->ncats; i++)
            if (parse_double(r->cats[i], &c) && a == c)
                return i;
    return -1;
}

/* vars[i] of the class the model predicted (a probability, a confidence) */
static IrExpr *of_predicted(Lower *L, ModelResult *r, const int *vars)
{
    IrBuilder *b = &L->b;
    IrExpr *x = ir_lit_null(b, ir_type(T_DOUBLE));
    for (int i = r->ncats - 1; i >= 0; i--)
        x = ir_if(b, ir_call2(b, FN_EQ, ir_type(T_BOOL), ir_var(b, r->value), ir_lit_str(b, r->cats[i])),
                  ir_var(b, vars[i]), x);
    return x;
}

/* vars[] of the class `val` names, or of the predicted class */
static IrExpr *per_class(Lower *L, ModelResult *r, const int *vars, const char *val)
{
    IrBuilder *b = &L->b;
    if (!val)
        return of_predicted(L, r, vars);
    int i = cat_index(r, val);
    if (i >= 0)
        return ir_var(b, vars[i]);
    /* a class the model never predicts has probability (confidence) 0 */
    return ir_if(b, ir_is_null(b, ir_var(b, r->value)), ir_lit_null(b, ir_type(T_DOUBLE)), ir_lit_double(b, 0));
}

/* the rank attribute: a positive integer, 1 when absent */
static int read_rank(Lower *L, const XElem *of, int *rank)
{
    const char *rs = xattr(of, "rank");
    long long v = 1;
    if (rs && (!parse_long(rs, &v) || v < 1 || v > 1000000)) {
        diag_error(L->d, aloc(L, of, "rank"), "rank \'%s\' is not a positive integer", rs);
        return 0;
    }
    *rank = (int)v;
    return 1;
}

/* entities and affinities are ranked best first: rankOrder descending */
static int rank_descending(Lower *L, const XElem *of, const char *name)
{
    const char *ro = xattr(of, "rankOrder");
    if (ro && strcmp(ro, "descending") != 0) {
        diag_error(L->d, aloc(L, of, "rankOrder"), "output '%s': rankOrder \'%s\' of this feature is not supported "
                   "(entities are ranked best first)", name, ro);
        return 0;
    }
    return 1;
}

/* the display value of the prediction: the model's own (a cluster's name),
   else the Value's displayValue where the target field's DataField gives
   one, else the predicted value as text */
static IrExpr *display_value(Lower *L, ModelResult *r)
{
    IrBuilder *b = &L->b;
    if (r->display >= 0)
        return ir_var(b, r->display);
    if (r->value < 0)
        return NULL;
    IrExpr *v = ir_var(b, r->value);
    if (ir_base(v->type)->kind != T_STRING)
        v = ir_cast(b, ir_type(T_STRING), v);
    const FieldInfo *fi = r->target_info;
    int nd = 0;
    for (int i = 0; fi && fi->display && i < fi->nvalues; i++)
        nd += fi->display[i] != NULL;
    if (!nd)
        return v;
    /* values sorted for the search, their display values beside them */
    int n = fi->nvalues;
    const char **sorted = ARENA_ARRAY(L->a, const char *, n + 1);
    int ns = 0;
    for (int i = 0; i < n; i++) {
        int dup = 0;
        for (int j = 0; j < ns; j++)
            dup |= !strcmp(sorted[j], fi->values[i]);
        if (!dup)
            sorted[ns++] = fi->values[i];
    }
    for (int i = 1; i < ns; i++)
        for (int j = i; j > 0 && strcmp(sorted[j - 1], sorted[j]) > 0; j--) {
            const char *t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    IrTable *tab = ir_table(b, ir_type(T_STRING), ns, 1);
    for (int k = 0; k < ns; k++) {
        tab->str[k] = sorted[k];
        for (int i = 0; i < n; i++)
            if (!strcmp(fi->values[i], sorted[k])) {
                tab->str[k] = fi->display[i] ? fi->display[i] : sorted[k];
                break;
            }
    }
    IrExpr *ix = ir_intern(b, v, sorted, ns);
    /* a value the dictionary does not list shows as itself */
    return ir_coalesce(b, ir_lookup(b, ix, tab), v);
}

/* the model whose result an OutputField reads: a segment's (segmentId),
   one target's (targetField), or the model's own; *ran is the bool var
   saying the segment ran (-1: always) */
static ModelResult *source_of(Lower *L, const XElem *of, const char *name, ModelResult *r, int *ran)
{
    *ran = -1;
    const char *sid = xattr(of, "segmentId");
    if (sid) {
        int i;
        for (i = 0; i < r->nsegs; i++)
            if (r->segs[i].id && !strcmp(r->segs[i].id, sid))
                break;
        if (!r->nsegs) {
            diag_error(L->d, aloc(L, of, "segmentId"), "output '%s': segmentId is only for the Output of a "
                       "MiningModel", name);
            return NULL;
        }
        if (i == r->nsegs) {
            diag_error(L->d, aloc(L, of, "segmentId"), "output '%s': no segment has id \'%s\'", name, sid);
            return NULL;
        }
        *ran = r->segs[i].ran;
        r = r->segs[i].r;
    }
    const char *tf = xattr(of, "targetField");
    if (tf && r->nsubs) {
        for (int i = 0; i < r->nsubs; i++)
            if (r->subs[i].target && !strcmp(r->subs[i].target, tf))
                return &r->subs[i];
        diag_error(L->d, aloc(L, of, "targetField"), "output '%s': the model has no target \'%s\'", name, tf);
        return NULL;
    }
    if (tf && r->target && strcmp(r->target, tf) != 0) {
        diag_error(L->d, aloc(L, of, "targetField"), "output '%s': the model's target is \'%s\', not \'%s\'", name,
                   r->target, tf);
        return NULL;
    }
    return r;
}

/* residual: the record's observed target value against the prediction
   (continuous: observed - predicted; categorical: 1 or 0 for a correct or
   wrong prediction, less the predicted class's probability) */
static IrExpr *residual(Lower *L, const XElem *of, const char *name, ModelResult *r)
{
    IrBuilder *b = &L->b;
    if (!r->target || r->value < 0) {
        diag_error(L->d, lloc(L, of), "output '%s': residual needs a model with a target", name);
        return NULL;
    }
    Field *obs = input_field(L, r->target, of);
    if (!obs)
        return NULL;
    IrExpr *o = ir_var(b, obs->var);
    IrExpr *p = ir_var(b, r->value);
    if (r->ncats == 0) {
        IrType *t = ir_base(p->type);
        if (!ir_is_numeric(t)) {
            diag_error(L->d, lloc(L, of), "output '%s': residual of a non-numeric prediction without "
                       "probabilities", name);
            return NULL;
        }
        if (!ir_is_numeric(o->type)) {
            diag_error(L->d, lloc(L, of), "output '%s': the target field \'%s\' is not numeric", name, r->target);
            return NULL;
        }
        IrType *dt = ir_type(T_DOUBLE);
        return ir_call2(b, FN_SUB, dt, ir_cast(b, dt, o), ir_cast(b, dt, p));
    }
    if (ir_base(o->type)->kind != T_STRING)
        o = ir_cast(b, ir_type(T_STRING), o);
    if (!r->probs) {
        diag_error(L->d, lloc(L, of), "output '%s': residual of a classification needs probabilities", name);
        return NULL;
    }
    IrExpr *hit = ir_call2(b, FN_EQ, ir_type(T_BOOL), o, p);
    IrExpr *one = ir_if(b, hit, ir_lit_double(b, 1), ir_lit_double(b, 0));
    return ir_call2(b, FN_SUB, ir_type(T_DOUBLE), one, of_predicted(L, r, r->probs));
}

/* the value of one OutputField's feature; NULL after an error */
static IrExpr *feature_value(Lower *L, const XElem *of, const char *name, const char *feature, ModelResult *r,
                             Scope *os, IrBlock *blk, const char **dt)
{
    IrBuilder *b = &L->b;
    const char *val = xattr(of, "value");
    int rank = 1;
    if (!read_rank(L, of, &rank))
        return NULL;
    if (r->feature) {
        int handled = 1;
        IrExpr *x = r->feature(L, r, of, feature, blk, &handled);
        if (handled)
            return x;
    }
    if (!strcmp(feature, "predictedValue")) {
        if (r->value < 0) {
            diag_error(L->d, lloc(L, of), "output '%s': the model has no predicted value", name);
            return NULL;
        }
        return ir_var(b, r->value);
    }
    if (!strcmp(feature, "predictedDisplayValue")) {
        *dt = "string";
        IrExpr *x = display_value(L, r);
        if (!x)
            diag_error(L->d, lloc(L, of), "output '%s': the model has no predicted value", name);
        return x;
    }
    if (!strcmp(feature, "probability")) {
        if (r->ncats == 0 || !r->probs) {
            diag_error(L->d, lloc(L, of), "output '%s': the model gives no probabilities", name);
            return NULL;
        }
        if (!*dt)
            *dt = "double";
        return per_class(L, r, r->probs, val);
    }
    if (!strcmp(feature, "confidence")) {
        if (!*dt)
            *dt = "double";
        if (r->confs && r->ncats)
            return per_class(L, r, r->confs, val);
        if (r->confidence >= 0 && !val)
            return ir_var(b, r->confidence);
        diag_error(L->d, aloc(L, of, "feature"), "output '%s': the model gives no confidence", name);
        return NULL;
    }
    if (!strcmp(feature, "residual"))
        return residual(L, of, name, r);
    if (!strcmp(feature, "standardError") || !strcmp(feature, "standardDeviation")) {
        diag_error(L->d, aloc(L, of, "feature"), "output '%s': the model gives no %s (no model nerva compiles "
                   "does)", name, feature);
        return NULL;
    }
    if (!strcmp(feature, "entityId") || !strcmp(feature, "clusterId")) {
        if (!*dt)
            *dt = "string";
        if (rank > 1) {
            if (!rank_descending(L, of, name))
                return NULL;
            if (!r->nrank) {
                diag_error(L->d, aloc(L, of, "rank"), "output '%s': the model does not rank its entities", name);
                return NULL;
            }
            return rank <= r->nrank ? ir_var(b, r->ent_rank[rank - 1]) : ir_lit_null(b, ir_type(T_STRING));
        }
        if (r->entity < 0) {
            diag_error(L->d, lloc(L, of), "output '%s': the model has no entity ids", name);
            return NULL;
        }
        return ir_var(b, r->entity);
    }
    if (!strcmp(feature, "affinity") || !strcmp(feature, "clusterAffinity") ||
        !strcmp(feature, "entityAffinity")) {
        if (!*dt)
            *dt = "double";
        if (val) {
            if (!r->affinity_of) {
                diag_error(L->d, aloc(L, of, "value"), "output '%s': the model gives no affinity to a named "
                           "entity", name);
                return NULL;
            }
            return r->affinity_of(L, r, val, of);
        }
        if (rank > 1) {
            if (!rank_descending(L, of, name))
                return NULL;
            if (!r->nrank || !r->aff_rank) {
                diag_error(L->d, aloc(L, of, "rank"), "output '%s': the model does not rank its entities", name);
                return NULL;
            }
            return rank <= r->nrank ? ir_var(b, r->aff_rank[rank - 1]) : ir_lit_null(b, ir_type(T_DOUBLE));
        }
        if (r->affinity < 0) {
            diag_error(L->d, aloc(L, of, "feature"), "output '%s': the model gives no affinity", name);
            return NULL;
        }
        return ir_var(b, r->affinity);
    }
    if (!strcmp(feature, "reasonCode")) {
        if (!*dt)
            *dt = "string";
        if (!r->reasons) {
            diag_error(L->d, aloc(L, of, "feature"), "output '%s': the model gives no reason codes", name);
            return NULL;
        }
        return rank <= r->nreasons ? ir_var(b, r->reasons[rank - 1]) : ir_lit_null(b, ir_type(T_STRING));
    }
    if (!strcmp(feature, "warning")) {
        /* the standard lets an evaluator give none: nerva's compiled models
           report problems through the record's status instead */
        *dt = "string";
        return ir_lit_null(b, ir_type(T_STRING));
    }
    if (!strcmp(feature, "transformedValue") || !strcmp(feature, "decision")) {
        const XElem *ex = NULL;
        for (int j = 0; j < of->nkids; j++)
            if (strcmp(of->kids[j]->name, "Extension") != 0 && strcmp(of->kids[j]->name, "Decisions") != 0) {
                ex = of->kids[j];
                break;
            }
        if (!ex) {
            diag_error(L->d, lloc(L, of), "output '%s': %s needs an expression", name, feature);
            return NULL;
        }
        return lower_expr(L, os, ex);
    }
    if (!strcmp(feature, "ruleValue") || !strcmp(feature, "antecedent") || !strcmp(feature, "consequent") ||
        !strcmp(feature, "rule") || !strcmp(feature, "ruleId") || !strcmp(feature, "support") ||
        !strcmp(feature, "lift") || !strcmp(feature, "leverage")) {
        diag_error(L->d, aloc(L, of, "feature"), "output '%s': %s is a feature of association rules; this model "
                   "has none", name, feature);
        return NULL;
    }
    diag_error(L->d, aloc(L, of, "feature"), "OutputField feature '%s' is not supported yet", feature);
    return NULL;
}

void lower_output(Lower *L, const XElem *model, Scope *s, IrBlock *blk, ModelResult *r)
{
    IrBuilder *b = &L->b;
    const XElem *out = xchild(model, "Output");
    if (!out)
        return;
    int n = xcount(out, "OutputField");
    Scope *os = scope_new(L, s);  /* later outputs see earlier ones */
    /* a segmentation may already have passed on its segments' outputs */
    Field *prev = r->outs;
    unsigned char *prevf = r->final;
    int nprev = r->nouts;
    r->outs = ARENA_ARRAY(L->a, Field, n + nprev + 1);
    r->final = arena_alloc(L->a, (size_t)(n + nprev) + 1);
    for (int i = 0; i < nprev; i++) {
        r->outs[i] = prev[i];
        r->final[i] = prevf[i];
    }
    NameIndex seen = {0};
    const XElem **first = ARENA_ARRAY(L->a, const XElem *, out->nkids + 1);
    int nseen = 0;
    for (int k = 0; k < out->nkids; k++) {
        const XElem *of = out->kids[k];
        if (strcmp(of->name, "OutputField") != 0)
            continue;
        const char *name = xattr(of, "name");
        const char *feature = xattr(of, "feature");
        const char *dt = xattr(of, "dataType");
        if (!name) {
            diag_error(L->d, lloc(L, of), "<OutputField> without a name");
            continue;
        }
        if (duplicate_name(L, &seen, first, nseen++, name, of))
            continue;
        if (!feature)
            feature = "predictedValue";
        const char *mv = xattr(of, "isMultiValued");
        if (mv && strcmp(mv, "0") != 0 && strcmp(mv, "false") != 0) {
            diag_error(L->d, aloc(L, of, "isMultiValued"), "output '%s': multi-valued outputs are not supported "
                       "yet", name);
            continue;
        }
        int ran;
        ModelResult *src = source_of(L, of, name, r, &ran);
        if (!src)
            continue;
        IrExpr *x = feature_value(L, of, name, feature, src, os, blk, &dt);
        if (!x)
            continue;
        if (ran >= 0)  /* a segment that did not run gives nothing */
            x = ir_if(b, ir_var(b, ran), x, ir_lit_null(b, ir_base(x->type)));
        IrType *t = ir_base(x->type);
        if (dt) {
            IrType *want = type_of_datatype(L, dt, of);
            if (!strcmp(dt, "integer") && ir_is_numeric(t))
                want = ir_type(T_DOUBLE);
            if (!strcmp(dt, "float") && !L->float_ctx && ir_is_numeric(t) && t->kind == T_DOUBLE)
                want = ir_type(T_DOUBLE);    /* computed in double; kept exact */
            if (want != t)
                x = ir_cast(b, want, x);
            t = want;
        }
        int var = ir_add_var(b, name, ir_nullable(L->a, t));
        IrStmt *st = ir_set(b, blk, var, x);
        st->comment = arena_printf(L->a, "OutputField %s", name);
        st->loc = lloc(L, of);
        scope_add(L, os, name, var, NULL);
        Field f = {.name = name, .var = var, .invalid_var = -1};
        const char *fin = xattr(of, "isFinalResult");
        r->final[r->nouts] = !(fin && !strcmp(fin, "false"));
        r->outs[r->nouts++] = f;
    }
}

int output_max_rank(Lower *L, const XElem *model, const char *features)
{
    const XElem *out = xchild(model, "Output");
    int best = L->rank_hint > 1 ? L->rank_hint : 1;
    for (int k = 0; out && k < out->nkids; k++) {
        const XElem *of = out->kids[k];
        const char *f = xattr(of, "feature"), *rs = xattr(of, "rank");
        long long v;
        if (strcmp(of->name, "OutputField") != 0 || !f || !rs || !parse_long(rs, &v) || v <= best ||
            v > 1000000)
            continue;
        size_t fl = strlen(f);
        for (const char *p = features; (p = strstr(p, f)) != NULL; p += fl)
            if ((p == features || p[-1] == ',') && (p[fl] == 0 || p[fl] == ',')) {
                best = (int)v;
                break;
            }
    }
    return best;
}
