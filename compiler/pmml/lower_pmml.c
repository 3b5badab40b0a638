/* PMML to IR: the parts every model shares.  The data dictionary becomes
 * typed inputs; each model's MiningSchema becomes explicit missing/invalid
 * treatment; Targets and Output become statements over the model's result.
 * The model families themselves live in lower_<family>.c. */
#include "lower_pmml.h"

#include <math.h>
#include <string.h>

#define MAX_MODEL_DEPTH 64

Loc lloc(const Lower *L, const XElem *e) { return xloc(L->file, e); }

Loc aloc(const Lower *L, const XElem *e, const char *attr) { return xattr_loc(L->file, e, attr); }

int attr_double(Lower *L, const XElem *e, const char *attr, double dflt, double *out)
{
    const char *s = xattr(e, attr);
    *out = dflt;
    if (s && !parse_double(s, out)) {
        diag_error(L->d, aloc(L, e, attr), "%s '%s' is not a number", attr, s);
        return 0;
    }
    return 1;
}

/* where the attribute whose value is `value` (a pointer xattr gave) starts */
static Loc value_loc(const Lower *L, const XElem *e, const char *value)
{
    for (int i = 0; e && i < e->nattrs; i++)
        if (e->attrs[i].value == value)
            return aloc(L, e, e->attrs[i].name);
    return lloc(L, e);
}

/* the field of scope s (or its parents) whose name is closest to name */
static const char *scope_closest(Lower *L, Scope *s, const char *name)
{
    const char **names = NULL;
    int n = 0, cap = 0;
    for (; s; s = s->parent)
        for (int i = 0; i < s->n; i++)
            VEC_PUSH(L->a, names, n, cap, s->f[i].name);
    return closest_name(name, names, n);
}

/* ---- scopes ---- */
Scope *scope_new(Lower *L, Scope *parent)
{
    Scope *s = ARENA_NEW(L->a, Scope);
    s->parent = parent;
    return s;
}

Field *scope_find(Scope *s, const char *name)
{
    for (; s; s = s->parent) {
        int i = names_get(&s->ix, name);
        if (i >= 0)
            return &s->f[i];
    }
    return NULL;
}

void scope_add(Lower *L, Scope *s, const char *name, int var, const FieldInfo *info)
{
    Field f = {.name = name, .var = var, .info = info, .invalid_var = -1};
    VEC_PUSH(L->a, s->f, s->n, s->cap, f);
    names_put(L->a, &s->ix, name, s->n - 1);
}

/* Whether el (a MiningField, DerivedField or OutputField) names a field its
 * list already has: a second definition would silently win, so it is an
 * error with both places.  seen maps names to the elements of the list. */
int duplicate_name(Lower *L, NameIndex *seen, const XElem **first, int nfirst, const char *name,
                   const XElem *el)
{
    int i = names_get(seen, name);
    if (i >= 0) {
        diag_error(L->d, aloc(L, el, "name"), "%s '%s' is defined twice", el->name, name);
        diag_note(L->d, aloc(L, first[i], "name"), "its first definition");
        return 1;
    }
    first[nfirst] = el;
    names_put(L->a, seen, name, nfirst);
    return 0;
}

Field *need_field(Lower *L, Scope *s, const char *name, const XElem *e)
{
    if (!name) {
        diag_error(L->d, lloc(L, e), "<%s> needs a field name", e->name);
        return NULL;
    }
    Field *f = scope_find(s, name);
    if (!f) {
        const char *hint = scope_closest(L, s, name);
        if (hint)
            diag_error(L->d, value_loc(L, e, name), "unknown field '%s'; did you mean '%s'?", name, hint);
        else
            diag_error(L->d, value_loc(L, e, name), "unknown field '%s'", name);
    }
    return f;
}

const FieldInfo *find_datafield(const Lower *L, const char *name)
{
    int i = names_get(&L->dd_ix, name);
    return i >= 0 ? &L->dd[i] : NULL;
}

IrType *num_type(const Lower *L) { return ir_type(L->float_ctx ? T_FLOAT : T_DOUBLE); }

IrType *type_of_datatype(Lower *L, const char *dt, const XElem *e)
{
    if (!dt)
        return ir_type(T_STRING);
    if (!strcmp(dt, "double") || !strcmp(dt, "integer"))
        return ir_type(T_DOUBLE);
    if (!strcmp(dt, "float"))
        return ir_type(T_FLOAT);
    if (!strcmp(dt, "string"))
        return ir_type(T_STRING);
    if (!strcmp(dt, "boolean"))
        return ir_type(T_BOOL);
    if (ir_temporal_by_name(dt))
        return ir_type_temporal(ir_temporal_by_name(dt));
    diag_error(L->d, aloc(L, e, "dataType"), "dataType \'%s\' is not supported yet", dt);
    return ir_type(T_STRING);
}

static Optype parse_optype(const char *s, IrType *t)
{
    if (!s)
        return t->kind == T_STRING || t->kind == T_BOOL ? OP_CATEGORICAL : OP_CONTINUOUS;
    if (!strcmp(s, "categorical"))
        return OP_CATEGORICAL;
    if (!strcmp(s, "ordinal"))
        return OP_ORDINAL;
    return OP_CONTINUOUS;
}

/* ---- data dictionary ---- */
static void read_field_info(Lower *L, const XElem *e, FieldInfo *fi)
{
    int cv = 0, ci = 0, cm = 0, cI = 0;
    for (int k = 0; k < e->nkids; k++) {
        const XElem *v = e->kids[k];
        if (!strcmp(v->name, "Value")) {
            const char *prop = xattr(v, "property");
            if (!prop || !strcmp(prop, "valid"))
                cv++;
            else if (!strcmp(prop, "invalid"))
                ci++;
            else
                cm++;
        } else if (!strcmp(v->name, "Interval"))
            cI++;
    }
    fi->values = ARENA_ARRAY(L->a, const char *, cv + 1);
    fi->display = ARENA_ARRAY(L->a, const char *, cv + 1);
    fi->invalid = ARENA_ARRAY(L->a, const char *, ci + 1);
    fi->missing = ARENA_ARRAY(L->a, const char *, cm + 1);
    fi->lo = ARENA_ARRAY(L->a, double, cI + 1);
    fi->hi = ARENA_ARRAY(L->a, double, cI + 1);
    fi->lo_closed = arena_alloc(L->a, (size_t)cI + 1);
    fi->hi_closed = arena_alloc(L->a, (size_t)cI + 1);
    for (int k = 0; k < e->nkids; k++) {
        const XElem *v = e->kids[k];
        if (!strcmp(v->name, "Value")) {
            const char *val = xattr(v, "value");
            if (!val) {
                diag_error(L->d, lloc(L, v), "<Value> without a value attribute");
                continue;
            }
            const char *prop = xattr(v, "property");
            if (!prop || !strcmp(prop, "valid")) {
                fi->display[fi->nvalues] = xattr(v, "displayValue");
                fi->values[fi->nvalues++] = val;
            }
            else if (!strcmp(prop, "invalid"))
                fi->invalid[fi->ninvalid++] = val;
            else
                fi->missing[fi->nmissing++] = val;
        } else if (!strcmp(v->name, "Interval")) {
            const char *c = xattr(v, "closure");
            const char *lm = xattr(v, "leftMargin"), *rm = xattr(v, "rightMargin");
            double lo = -INFINITY, hi = INFINITY;
            if (lm && !parse_double(lm, &lo))
                diag_error(L->d, aloc(L, v, "leftMargin"), "leftMargin \'%s\' is not a number", lm);
            if (rm && !parse_double(rm, &hi))
                diag_error(L->d, aloc(L, v, "rightMargin"), "rightMargin \'%s\' is not a number", rm);
            int n = fi->nintervals++;
            fi->lo[n] = lo;
            fi->hi[n] = hi;
            fi->lo_closed[n] = c && !strncmp(c, "closed", 6);
            fi->hi_closed[n] = c && strlen(c) >= 6 && !strcmp(c + strlen(c) - 6, "Closed");
        }
    }
}

static void read_data_dictionary(Lower *L)
{
    const XElem *dd = xchild(L->root, "DataDictionary");
    if (!dd) {
        diag_error(L->d, lloc(L, L->root), "no <DataDictionary>");
        return;
    }
    int n = xcount(dd, "DataField");
    L->dd = ARENA_ARRAY(L->a, FieldInfo, n + 1);
    for (int k = 0; k < dd->nkids; k++) {
        const XElem *e = dd->kids[k];
        if (strcmp(e->name, "DataField") != 0)
            continue;
        FieldInfo *fi = &L->dd[L->ndd++];
        fi->name = xattr(e, "name");
        fi->elem = e;
        if (!fi->name) {
            diag_error(L->d, lloc(L, e), "<DataField> without a name");
            fi->name = "";
        }
        int first = names_get(&L->dd_ix, fi->name);
        if (first >= 0) {
            diag_error(L->d, aloc(L, e, "name"), "DataField '%s' is declared twice", fi->name);
            diag_note(L->d, aloc(L, L->dd[first].elem, "name"), "its first declaration");
        } else
            names_put(L->a, &L->dd_ix, fi->name, L->ndd - 1);
        fi->type = type_of_datatype(L, xattr(e, "dataType"), e);
        fi->optype = parse_optype(xattr(e, "optype"), fi->type);
        read_field_info(L, e, fi);
    }
}

/* ---- validity of raw input values (DataDictionary) ---- */
static IrExpr *in_values(Lower *L, IrExpr *x, const FieldInfo *fi, const char **vals, int n,
                         const XElem *at)
{
    IrType *bt = ir_base(x->type);
    if (bt->kind == T_STRING)
        return ir_str_in(&L->b, x, vals, n);
    if (bt->kind == T_DOUBLE || bt->kind == T_FLOAT || bt->kind == T_INT) {
        double *nums = ARENA_ARRAY(L->a, double, n + 1);
        int k = 0;
        for (int i = 0; i < n; i++) {
            IrExpr *c = lower_constant_for(L, vals[i], bt, at);
            if (c)
                nums[k++] = bt->kind == T_INT ? (double)c->lit_long : c->lit_double;
        }
        (void)fi;
        return lower_num_in(L, x, nums, k);
    }
    IrExpr **eqs = ARENA_ARRAY(L->a, IrExpr *, n + 1);
    int k = 0;
    for (int i = 0; i < n; i++) {
        IrExpr *c = lower_constant_for(L, vals[i], bt, at);
        if (c)
            eqs[k++] = ir_call2(&L->b, FN_EQ, ir_type(T_BOOL), x, c);
    }
    (void)fi;
    IrExpr *acc = ir_fold(&L->b, FN_OR, eqs, k);
    return acc ? acc : ir_lit_bool(&L->b, 0);
}

/* the raw input `var` made into a prepared value: declared missing values
 * become null; returns the bool variable "is invalid" (or -1) */
static int bind_input(Lower *L, const FieldInfo *fi, int var, IrBlock *blk, int *out_var)
{
    IrBuilder *b = &L->b;
    const XElem *at = fi->elem;
    IrType *t = fi->type;
    int v = var;
    /* declared missing values ("NaN", "-999", ...) */
    if (fi->nmissing) {
        int nv = ir_add_var(b, fi->name, ir_nullable(L->a, t));
        IrExpr *x = ir_var(b, var);
        IrExpr *ismiss = in_values(L, x, fi, fi->missing, fi->nmissing, at);
        /* NaN never equals itself: a declared "NaN" matches NaN inputs */
        for (int i = 0; i < fi->nmissing; i++)
            if (t->kind != T_STRING && (!strcmp(fi->missing[i], "NaN") || !strcmp(fi->missing[i], "nan")))
                ismiss = ir_call2(b, FN_OR, ir_type(T_BOOL), ismiss,
                                  ir_call1(b, FN_ISNAN, ir_type(T_BOOL), ir_var(b, var)));
        ir_set(b, blk, nv, ir_if(b, ismiss, ir_lit_null(b, t), ir_var(b, var)));
        v = nv;
    }
    *out_var = v;
    /* invalid: the host could not parse it, or it is outside the declared domain */
    IrExpr *inv = ir_input_invalid(b, var);
    IrExpr *x = ir_var(b, v);
    IrExpr *bad = NULL;
    if (fi->ninvalid)
        bad = in_values(L, x, fi, fi->invalid, fi->ninvalid, at);
    if (fi->optype != OP_CONTINUOUS && fi->nvalues) {
        IrExpr *ok = in_values(L, x, fi, fi->values, fi->nvalues, at);
        IrExpr *nok = ir_call1(b, FN_NOT, ir_type(T_BOOL), ok);
        bad = bad ? ir_call2(b, FN_OR, ir_type(T_BOOL), bad, nok) : nok;
    }
    if (fi->nintervals && t->kind != T_STRING) {
        IrExpr **ins = ARENA_ARRAY(L->a, IrExpr *, fi->nintervals + 1);
        for (int i = 0; i < fi->nintervals; i++) {
            IrExpr *lo = ir_call2(b, fi->lo_closed[i] ? FN_GE : FN_GT, ir_type(T_BOOL),
                                  ir_cast(b, ir_type(T_DOUBLE), x), ir_lit_double(b, fi->lo[i]));
            IrExpr *hi = ir_call2(b, fi->hi_closed[i] ? FN_LE : FN_LT, ir_type(T_BOOL),
                                  ir_cast(b, ir_type(T_DOUBLE), x), ir_lit_double(b, fi->hi[i]));
            ins[i] = ir_call2(b, FN_AND, ir_type(T_BOOL), lo, hi);
        }
        IrExpr *any = ir_fold(b, FN_OR, ins, fi->nintervals);
        IrExpr *nok = ir_call1(b, FN_NOT, ir_type(T_BOOL), any);
        bad = bad ? ir_call2(b, FN_OR, ir_type(T_BOOL), bad, nok) : nok;
    }
    int iv = ir_add_var(b, arena_printf(L->a, "%s (invalid)", fi->name), ir_type(T_BOOL));
    IrExpr *all = bad ? ir_call2(b, FN_OR, ir_type(T_BOOL), inv,
                                 ir_coalesce(b, bad, ir_lit_bool(b, 0)))
                      : inv;
    ir_set(b, blk, iv, all);
    return iv;
}

/* A DataField the top model does not read, made a program input where an
 * output needs it (the observed target of a residual).  Its preparation
 * (declared missing values, validity) goes first in the body, so any model,
 * however nested, can read it. */
Field *input_field(Lower *L, const char *name, const XElem *at)
{
    Field *f = scope_find(L->top, name);
    if (f)
        return f;
    const FieldInfo *fi = find_datafield(L, name);
    if (!fi) {
        diag_error(L->d, lloc(L, at), "field '%s' is not in the DataDictionary", name);
        return NULL;
    }
    IrProgram *p = L->b.p;
    int raw = ir_add_input(&L->b, name, fi->type, lloc(L, fi->elem));
    IrBlock pre = {0};
    int v;
    int inv = bind_input(L, fi, raw, &pre, &v);
    /* a value the host could not read, or outside the domain, is missing */
    int mv = ir_add_var(&L->b, name, ir_nullable(L->a, fi->type));
    ir_set(&L->b, &pre, mv, ir_if(&L->b, ir_var(&L->b, inv), ir_lit_null(&L->b, fi->type), ir_var(&L->b, v)));
    IrStmt **s = ARENA_ARRAY(L->a, IrStmt *, p->body.n + pre.n + 1);
    memcpy(s, pre.s, sizeof *s * (size_t)pre.n);
    memcpy(s + pre.n, p->body.s, sizeof *s * (size_t)p->body.n);
    p->body.s = s;
    p->body.n += pre.n;
    p->body.cap = p->body.n;
    scope_add(L, L->top, name, mv, fi);
    return scope_find(L->top, name);
}

const XElem *first_predicate(const XElem *e)
{
    for (int k = 0; k < e->nkids; k++)
        if (is_predicate_elem(e->kids[k]))
            return e->kids[k];
    return NULL;
}

int result_add_cat(Lower *L, ModelResult *r, const char *c, int *cap)
{
    for (int i = 0; i < r->ncats; i++)
        if (!strcmp(r->cats[i], c))
            return i;
    VEC_PUSH(L->a, r->cats, r->ncats, *cap, c);
    return r->ncats - 1;
}

IrExpr *lit_int(IrBuilder *b, long long v)
{
    IrExpr *e = ir_lit_long(b, v);
    e->type = ir_type(T_INT);
    return e;
}

const char **entity_ids(Lower *L, const XElem *const *elems, int n)
{
    const char **ids = ARENA_ARRAY(L->a, const char *, n + 1);
    NameIndex seen = {0};
    for (int i = 0; i < n; i++) {
        const char *id = xattr(elems[i], "id");
        ids[i] = id ? id : arena_printf(L->a, "%d", i + 1);
        int j = names_get(&seen, ids[i]);
        if (j >= 0) {
            diag_error(L->d, id ? aloc(L, elems[i], "id") : lloc(L, elems[i]), "<%s> id '%s' is not unique",
                       elems[i]->name, ids[i]);
            diag_note(L->d, lloc(L, elems[j]), "the first <%s> with this id", elems[j]->name);
        } else
            names_put(L->a, &seen, ids[i], i);
    }
    return ids;
}

/* ---- mining schema: missing, invalid and outlier treatment ---- */
/* returns how many fields it gave a value of their own (a replacement, an
   outlier or invalid treatment) */
static int lower_mining_schema(Lower *L, const XElem *model, Scope *outer, Scope *s,
                               IrBlock *blk, ModelResult *r)
{
    IrBuilder *b = &L->b;
    int nchanged = 0;
    const XElem *ms = xchild(model, "MiningSchema");
    if (!ms) {
        diag_error(L->d, lloc(L, model), "<%s> has no <MiningSchema>", model->name);
        return 0;
    }
    NameIndex seen = {0};
    const XElem **first = ARENA_ARRAY(L->a, const XElem *, ms->nkids + 1);
    int nseen = 0;
    for (int k = 0; k < ms->nkids; k++) {
        const XElem *mf = ms->kids[k];
        if (strcmp(mf->name, "MiningField") != 0)
            continue;
        const char *name = xattr(mf, "name");
        if (name && duplicate_name(L, &seen, first, nseen++, name, mf))
            continue;
        const char *usage = xattr(mf, "usageType");
        if (usage && (!strcmp(usage, "target") || !strcmp(usage, "predicted"))) {
            if (!r->target) {
                r->target = name;
                r->target_info = name ? find_datafield(L, name) : NULL;
            }
            continue;
        }
        if (usage && (!strcmp(usage, "supplementary") || !strcmp(usage, "frequencyWeight") ||
                      !strcmp(usage, "analysisWeight")))
            continue;
        Field *f = need_field(L, outer, name, mf);
        if (!f)
            continue;
        const FieldInfo *fi = f->info;
        IrType *t = ir_base(b->p->vars[f->var].type);
        int var = f->var;
        int invalid_var = f->invalid_var;
        const char *ivt = xattr(mf, "invalidValueTreatment");
        const char *mvr = xattr(mf, "missingValueReplacement");
        const char *ivr = xattr(mf, "invalidValueReplacement");
        const char *outl = xattr(mf, "outliers");
        int changed = 0;
        IrExpr *x = ir_var(b, var);
        if (invalid_var >= 0) {
            if (!ivt || !strcmp(ivt, "returnInvalid")) {
                IrStmt *st = ir_if_stmt(b, blk, ir_var(b, invalid_var));
                ir_return_invalid(b, &st->then_b, lloc(L, mf));
                st->comment = arena_printf(L->a, "MiningField %s: invalid value", name);
                invalid_var = -1;
            } else if (!strcmp(ivt, "asMissing")) {
                x = ir_if(b, ir_var(b, invalid_var), ir_lit_null(b, t), x);
                changed = 1;
                invalid_var = -1;
            } else if (!strcmp(ivt, "asValue")) {
                IrExpr *rep = ivr ? lower_constant_for(L, ivr, t, mf) : NULL;
                if (!rep) {
                    diag_error(L->d, lloc(L, mf), "invalidValueTreatment asValue needs invalidValueReplacement");
                    continue;
                }
                x = ir_if(b, ir_var(b, invalid_var), rep, x);
                changed = 1;
                invalid_var = -1;
            } else if (strcmp(ivt, "asIs") != 0) {
                diag_error(L->d, aloc(L, mf, "invalidValueTreatment"), "invalidValueTreatment \'%s\' is not known", ivt);
            }
        }
        if (outl && strcmp(outl, "asIs") != 0 && t->kind != T_STRING) {
            const char *lv = xattr(mf, "lowValue"), *hv = xattr(mf, "highValue");
            double lo = -INFINITY, hi = INFINITY;
            if (lv && !parse_double(lv, &lo))
                diag_error(L->d, aloc(L, mf, "lowValue"), "lowValue \'%s\' is not a number", lv);
            if (hv && !parse_double(hv, &hi))
                diag_error(L->d, aloc(L, mf, "highValue"), "highValue \'%s\' is not a number", hv);
            IrExpr *xd = ir_cast(b, ir_type(T_DOUBLE), x);
            IrExpr *below = ir_call2(b, FN_LT, ir_type(T_BOOL), xd, ir_lit_double(b, lo));
            IrExpr *above = ir_call2(b, FN_GT, ir_type(T_BOOL), xd, ir_lit_double(b, hi));
            if (!strcmp(outl, "asMissingValues")) {
                IrExpr *out = ir_call2(b, FN_OR, ir_type(T_BOOL), below, above);
                x = ir_if(b, ir_coalesce(b, out, ir_lit_bool(b, 0)), ir_lit_null(b, t), x);
            } else if (!strcmp(outl, "asExtremeValues")) {
                x = ir_if(b, ir_coalesce(b, below, ir_lit_bool(b, 0)),
                          ir_cast(b, t, ir_lit_double(b, lo)),
                          ir_if(b, ir_coalesce(b, above, ir_lit_bool(b, 0)),
                                ir_cast(b, t, ir_lit_double(b, hi)), x));
            } else
                diag_error(L->d, aloc(L, mf, "outliers"), "outliers \'%s\' is not known", outl);
            changed = 1;
        }
        if (mvr) {
            IrExpr *rep = lower_constant_for(L, mvr, t, mf);
            if (rep) {
                x = ir_coalesce(b, x, rep);
                changed = 1;
            }
        }
        if (changed) {
            nchanged++;
            var = ir_add_var(b, name, t);
            IrStmt *st = ir_set(b, blk, var, x);
            st->comment = arena_printf(L->a, "MiningField %s", name);
            st->loc = lloc(L, mf);
        }
        scope_add(L, s, name, var, fi);
        s->f[s->n - 1].invalid_var = invalid_var;
    }
    return nchanged;
}

/* ---- results ---- */
void result_init(ModelResult *r, MiningFunc f)
{
    memset(r, 0, sizeof *r);
    r->func = f;
    r->value = r->entity = r->confidence = r->affinity = r->display = -1;
}

MiningFunc parse_function(Lower *L, const XElem *model)
{
    const char *f = xattr(model, "functionName");
    if (!f) {
        diag_error(L->d, lloc(L, model), "<%s> has no functionName", model->name);
        return FUNC_OTHER;
    }
    if (!strcmp(f, "regression"))
        return FUNC_REGRESSION;
    if (!strcmp(f, "classification"))
        return FUNC_CLASSIFICATION;
    if (!strcmp(f, "clustering"))
        return FUNC_CLUSTERING;
    if (!strcmp(f, "mixed"))
        return FUNC_MIXED;
    if (!strcmp(f, "associationRules"))
        return FUNC_ASSOCIATION;
    return FUNC_OTHER;
}

const char **target_categories(Lower *L, const ModelResult *r, int *n)
{
    (void)L;
    *n = 0;
    if (!r->target_info || !r->target_info->nvalues)
        return NULL;
    *n = r->target_info->nvalues;
    return r->target_info->values;
}

void result_argmax(Lower *L, IrBlock *blk, ModelResult *r)
{
    IrBuilder *b = &L->b;
    if (r->value < 0)
        r->value = ir_add_var(b, "predicted", ir_nullable(L->a, ir_type(T_STRING)));
    int best = ir_add_var(b, "best probability", ir_nullable(L->a, ir_type(T_DOUBLE)));
    ir_set(b, blk, best, ir_lit_null(b, ir_type(T_DOUBLE)));
    ir_set(b, blk, r->value, ir_lit_null(b, ir_type(T_STRING)));
    for (int i = 0; i < r->ncats; i++) {
        /* strictly greater: the first label wins ties */
        IrExpr *p = ir_var(b, r->probs[i]);
        IrExpr *gt = ir_call2(b, FN_OR, ir_type(T_BOOL), ir_is_null(b, ir_var(b, best)),
                              ir_call2(b, FN_GT, ir_type(T_BOOL), p, ir_var(b, best)));
        IrExpr *cond = ir_call2(b, FN_AND, ir_type(T_BOOL),
                                ir_call1(b, FN_NOT, ir_type(T_BOOL), ir_is_null(b, p)), gt);
        IrStmt *st = ir_if_stmt(b, blk, cond);
        ir_set(b, &st->then_b, best, ir_var(b, r->probs[i]));
        ir_set(b, &st->then_b, r->value, ir_lit_str(b, r->cats[i]));
    }
}

/* ---- targets ---- */
static void lower_targets(Lower *L, const XElem *model, IrBlock *blk, ModelResult *r)
{
    IrBuilder *b = &L->b;
    const XElem *ts = xchild(model, "Targets");
    if (!ts)
        return;
    for (int k = 0; k < ts->nkids; k++) {
        const XElem *t = ts->kids[k];
        if (strcmp(t->name, "Target") != 0)
            continue;
        const char *field = xattr(t, "field");
        if (field && r->target && strcmp(field, r->target) != 0)
            continue;
        if (r->func == FUNC_REGRESSION && r->value >= 0 && !r->rescale_folded) {
            IrType *nt = ir_base(b->p->vars[r->value].type);
            if (!ir_is_numeric(nt))
                continue;
            IrExpr *x = ir_var(b, r->value);
            const char *f = xattr(t, "rescaleFactor"), *c = xattr(t, "rescaleConstant");
            const char *mn = xattr(t, "min"), *mx = xattr(t, "max");
            const char *ci = xattr(t, "castInteger");
            double v;
            int changed = 0;
            if (mn && parse_double(mn, &v)) {
                x = ir_call2(b, FN_MAX, nt, x, ir_cast(b, nt, ir_lit_double(b, v)));
                changed = 1;
            }
            if (mx && parse_double(mx, &v)) {
                x = ir_call2(b, FN_MIN, nt, x, ir_cast(b, nt, ir_lit_double(b, v)));
                changed = 1;
            }
            if (f && parse_double(f, &v)) {
                x = ir_call2(b, FN_MUL, nt, x, nt->kind == T_FLOAT ? ir_lit_float(b, (float)v) : ir_lit_double(b, v));
                changed = 1;
            }
            if (c && parse_double(c, &v)) {
                x = ir_call2(b, FN_ADD, nt, x, nt->kind == T_FLOAT ? ir_lit_float(b, (float)v) : ir_lit_double(b, v));
                changed = 1;
            }
            if (ci) {
                IrFn fn = !strcmp(ci, "round") ? FN_ROUND : !strcmp(ci, "ceiling") ? FN_CEIL : FN_FLOOR;
                x = ir_call1(b, fn, nt, x);
                changed = 1;
            }
            /* a missing prediction takes the target's default value */
            const XElem *tv = xchild(t, "TargetValue");
            const char *dv = tv ? xattr(tv, "defaultValue") : NULL;
            if (dv && parse_double(dv, &v)) {
                x = ir_coalesce(b, x, ir_cast(b, nt, ir_lit_double(b, v)));
                changed = 1;
            }
            if (changed) {
                int nv = ir_add_var(b, "target", ir_nullable(L->a, nt));
                IrStmt *st = ir_set(b, blk, nv, x);
                st->comment = "Targets";
                st->loc = lloc(L, t);
                r->value = nv;
            }
        } else if (r->func == FUNC_CLASSIFICATION && r->ncats > 0 && r->probs && r->value >= 0) {
            /* priors stand in for a missing prediction */
            int np = xcount(t, "TargetValue");
            if (!np)
                continue;
            IrStmt *st = ir_if_stmt(b, blk, ir_is_null(b, ir_var(b, r->value)));
            st->comment = "Targets: prior probabilities for a missing prediction";
            for (int j = 0; j < t->nkids; j++) {
                const XElem *tv = t->kids[j];
                if (strcmp(tv->name, "TargetValue") != 0)
                    continue;
                const char *val = xattr(tv, "value"), *pp = xattr(tv, "priorProbability");
                double pv;
                if (!val || !pp || !parse_double(pp, &pv))
                    continue;
                for (int i = 0; i < r->ncats; i++)
                    if (!strcmp(r->cats[i], val))
                        ir_set(b, &st->then_b, r->probs[i], ir_lit_double(b, pv));
            }
            ModelResult tmp = *r;
            result_argmax(L, &st->then_b, &tmp);
        }
    }
}

/* ---- models ---- */
int is_model_elem(const XElem *e)
{
    static const char *names[] = {"TreeModel", "RegressionModel", "GeneralRegressionModel",
                                  "MiningModel", "NeuralNetwork", "ClusteringModel",
                                  "NaiveBayesModel", "SupportVectorMachineModel", "RuleSetModel",
                                  "Scorecard", "NearestNeighborModel", "AssociationModel",
                                  "TextModel", "TimeSeriesModel", "BaselineModel",
                                  "SequenceModel", "BayesianNetworkModel", "GaussianProcessModel",
                                  "AnomalyDetectionModel"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcmp(e->name, names[i]))
            return 1;
    return 0;
}

static void note_kind(Lower *L, const char *kind)
{
    if (!L->kinds)
        L->kinds = kind;
    else if (!strstr(L->kinds, kind))
        L->kinds = arena_printf(L->a, "%s,%s", L->kinds, kind);
}

int lower_model(Lower *L, const XElem *m, Scope *outer, IrBlock *blk, ModelResult *res)
{
    if (L->depth >= MAX_MODEL_DEPTH) {
        diag_error(L->d, lloc(L, m), "models nested deeper than %d", MAX_MODEL_DEPTH);
        return 1;
    }
    L->depth++;
    L->nmodels++;
    note_kind(L, m->name);
    int saved_float = L->float_ctx;
    const char *mc = xattr(m, "x-mathContext");
    if (!mc)
        mc = xattr(m, "mathContext");
    if (mc)
        L->float_ctx = !strcmp(mc, "float");
    MiningFunc func = parse_function(L, m);
    result_init(res, func);
    Scope *s = scope_new(L, outer);
    int nchanged = lower_mining_schema(L, m, outer, s, blk, res);
    /* The transformation dictionary's fields are computed from the top
       model's fields; a nested model whose MiningSchema gives a field a
       value of its own (a replacement of a missing value, an invalid or
       outlier treatment) computes them again from its values. */
    if (L->depth == 1 || nchanged) {
        const XElem *td = xchild(L->root, "TransformationDictionary");
        if (td)
            lower_derived_fields(L, s, td, blk);
    }
    const XElem *lt = xchild(m, "LocalTransformations");
    if (lt)
        lower_derived_fields(L, s, lt, blk);
    int rc = 0;
    if (L->d->errors) {
        rc = 1;
    } else if (!strcmp(m->name, "TreeModel"))
        rc = lower_tree_model(L, m, s, blk, res);
    else if (!strcmp(m->name, "RegressionModel"))
        rc = lower_regression_model(L, m, s, blk, res);
    else if (!strcmp(m->name, "GeneralRegressionModel"))
        rc = lower_general_regression_model(L, m, s, blk, res);
    else if (!strcmp(m->name, "MiningModel"))
        rc = lower_mining_model(L, m, s, blk, res);
    else if (!strcmp(m->name, "Scorecard"))
        rc = lower_scorecard(L, m, s, blk, res);
    else if (!strcmp(m->name, "RuleSetModel"))
        rc = lower_ruleset_model(L, m, s, blk, res);
    else if (!strcmp(m->name, "ClusteringModel"))
        rc = lower_clustering_model(L, m, s, blk, res);
    else if (!strcmp(m->name, "NearestNeighborModel"))
        rc = lower_knn_model(L, m, s, blk, res);
    else if (!strcmp(m->name, "AssociationModel"))
        rc = lower_association_model(L, m, s, blk, res);
    else if (!strcmp(m->name, "NeuralNetwork"))
        rc = lower_neural_network(L, m, s, blk, res);
    else if (!strcmp(m->name, "SupportVectorMachineModel"))
        rc = lower_svm_model(L, m, s, blk, res);
    else if (!strcmp(m->name, "NaiveBayesModel"))
        rc = lower_naive_bayes_model(L, m, s, blk, res);
    else if (!strcmp(m->name, "AnomalyDetectionModel"))
        rc = lower_anomaly_model(L, m, s, blk, res);
    else {
        diag_error(L->d, lloc(L, m), "%s is not supported yet", m->name);
        rc = 1;
    }
    if (!rc && !L->d->errors) {
        lower_targets(L, m, blk, res);
        lower_output(L, m, s, blk, res);
    }
    L->float_ctx = saved_float;
    L->depth--;
    return rc || L->d->errors;
}

/* The fields of the association models that read transactions (a
 * MiningField of usageType group), by name: 1 their items (the active
 * field), a set of values per record; 2 their group field.  Only model
 * elements and segmentations are walked. */
static void item_roles(Lower *L, const XElem *e, int depth, NameIndex *roles)
{
    if (depth > 64)
        return;
    if (!strcmp(e->name, "AssociationModel")) {
        const XElem *ms = xchild(e, "MiningSchema");
        int grouped = 0;
        for (int k = 0; ms && k < ms->nkids; k++) {
            const char *u = xattr(ms->kids[k], "usageType");
            grouped |= u && !strcmp(u, "group");
        }
        for (int k = 0; grouped && k < ms->nkids; k++) {
            const char *u = xattr(ms->kids[k], "usageType"), *n = xattr(ms->kids[k], "name");
            if (n && (!u || !strcmp(u, "active") || !strcmp(u, "group")))
                names_put(L->a, roles, n, u && !strcmp(u, "group") ? 2 : 1);
        }
        return;
    }
    for (int k = 0; k < e->nkids; k++) {
        const XElem *c = e->kids[k];
        if (is_model_elem(c) || !strcmp(c->name, "Segmentation") || !strcmp(c->name, "Segment"))
            item_roles(L, c, depth + 1, roles);
    }
}

static void collect_functions(Lower *L)
{
    const XElem *td = xchild(L->root, "TransformationDictionary");
    if (!td)
        return;
    int n = xcount(td, "DefineFunction");
    L->fns = ARENA_ARRAY(L->a, DefineFn, n + 1);
    for (int k = 0; k < td->nkids; k++)
        if (!strcmp(td->kids[k]->name, "DefineFunction")) {
            DefineFn f = {.name = xattr(td->kids[k], "name"), .elem = td->kids[k]};
            if (!f.name) {
                diag_error(L->d, lloc(L, td->kids[k]), "<DefineFunction> without a name");
                continue;
            }
            L->fns[L->nfns++] = f;
        }
}

IrProgram *lower_pmml(Arena *a, Diags *d, const char *file, const XElem *root)
{
    Lower L0 = {0}, *L = &L0;
    L->a = a;
    L->d = d;
    L->file = file;
    L->root = root;
    IrProgram *p = ir_program_new(a);
    L->b = (IrBuilder){.a = a, .d = d, .p = p};
    const char *base = strrchr(file, '/');
    p->source = base ? base + 1 : file;
    read_data_dictionary(L);
    collect_functions(L);
    const XElem *model = NULL;
    for (int k = 0; k < root->nkids; k++)
        if (is_model_elem(root->kids[k])) {
            const char *sc = xattr(root->kids[k], "isScorable");
            if (sc && !strcmp(sc, "false"))
                continue;
            if (model) {
                diag_warning(d, lloc(L, root->kids[k]), "only the first scorable model is compiled; this <%s> is "
                             "read past", root->kids[k]->name);
                break;
            }
            model = root->kids[k];
        }
    if (!model) {
        diag_error(d, lloc(L, root), "the document has no model");
        return NULL;
    }
    if (d->errors)
        return NULL;
    p->name = xattr(model, "modelName");
    /* inputs: the active fields of the top model, typed by the dictionary */
    Scope *top = scope_new(L, NULL);
    L->top = top;
    NameIndex roles = {0};
    item_roles(L, root, 0, &roles);
    const XElem *ms = xchild(model, "MiningSchema");
    for (int k = 0; ms && k < ms->nkids; k++) {
        const XElem *mf = ms->kids[k];
        if (strcmp(mf->name, "MiningField") != 0)
            continue;
        const char *name = xattr(mf, "name");
        const char *usage = xattr(mf, "usageType");
        if (usage && strcmp(usage, "active") != 0 && strcmp(usage, "group") != 0 &&
            strcmp(usage, "order") != 0)
            continue;
        if (!name) {
            diag_error(d, lloc(L, mf), "<MiningField> without a name");
            continue;
        }
        const FieldInfo *fi = find_datafield(L, name);
        if (!fi) {
            diag_error(d, lloc(L, mf), "MiningField '%s' is not in the DataDictionary", name);
            continue;
        }
        if (scope_find(top, name))
            continue;
        int role = names_get(&roles, name);
        if (role == 1) {
            /* the items of an association model's transactions: a set */
            IrType *set = ARENA_NEW(a, IrType);
            set->kind = T_ARRAY;
            set->items = ir_type(T_STRING);
            int raw = ir_add_input(&L->b, name, set, lloc(L, fi->elem));
            scope_add(L, top, name, raw, fi);
            continue;
        }
        int raw = ir_add_input(&L->b, name, fi->type, lloc(L, fi->elem));
        if (role == 2)
            p->inputs[p->ninputs - 1].grouping = 1;
        int v;
        int inv = bind_input(L, fi, raw, &p->body, &v);
        scope_add(L, top, name, v, fi);
        top->f[top->n - 1].invalid_var = inv;
    }
    if (d->errors)
        return NULL;
    ModelResult r;
    if (lower_model(L, model, top, &p->body, &r))
        return NULL;
    lower_state_step(L);
    /* outputs: the target(s), then the final OutputFields */
    if (r.nsubs) {
        for (int i = 0; i < r.nsubs; i++)
            if (r.subs[i].target && r.subs[i].value >= 0)
                ir_add_output(&L->b, r.subs[i].target, ir_base(p->vars[r.subs[i].value].type), r.subs[i].value,
                              lloc(L, model));
    } else if (r.target && r.value >= 0) {
        IrType *t = ir_base(p->vars[r.value].type);
        ir_add_output(&L->b, r.target, t, r.value, lloc(L, model));
    }
    for (int i = 0; i < r.nouts; i++) {
        int dup = 0;
        for (int j = 0; j < p->noutputs; j++)
            dup |= !strcmp(p->outputs[j].name, r.outs[i].name);
        if (dup) {
            /* the later field of the same name wins, as in a record */
            for (int j = 0; j < p->noutputs; j++)
                if (!strcmp(p->outputs[j].name, r.outs[i].name) && r.final[i])
                    p->outputs[j].var = r.outs[i].var, p->outputs[j].type = ir_nullable(a, ir_base(p->vars[r.outs[i].var].type));
            continue;
        }
        if (r.final[i])
            ir_add_output(&L->b, r.outs[i].name, ir_base(p->vars[r.outs[i].var].type),
                          r.outs[i].var, lloc(L, model));
    }
    p->kind = L->kinds;
    return p;
}
