/* AssociationModel to IR.  The record's items are either a set of values
 * (transactional data: a group field and one active field, whose values
 * are the items; the program takes the set as an array of strings, see
 * docs/generated-code.md) or fields of the record (an item "field=value",
 * or a field whose value is true or "T").  The model has no prediction of
 * its own: its outputs are rule features.  An OutputField's algorithm
 * selects rules (recommendation: the antecedent is among the items;
 * exclusiveRecommendation: and the consequent is not wholly; ruleAssociation:
 * both are), rankBasis and rankOrder order them (ties in document order),
 * rank picks one, and the feature reads it from constant tables: antecedent,
 * consequent ("{a,b}"), rule ("{a,b}->{c}"), ruleId (the rule's id, else its
 * 1-based position), confidence, support, lift, leverage, affinity.  The
 * selection and ordering run in the run-time library (nv_assoc_rule). */
#include "lower_pmml.h"

#include <math.h>
#include <string.h>

typedef struct Assoc {
    IrAssoc *as;
    IrExpr **x;            /* the items: a set, or one boolean per item */
    int nx;
    const char **ids, **ante, **cons, **rule;
    double *num[5];        /* confidence, support, lift, leverage, affinity per rule (NaN: absent) */
    IrTable *key[5], *vals[5], *texts[4];  /* the tables made so far, shared by the outputs */
    int *sel;              /* the rule selections made so far (vars), by their parameters: */
    long long *sel_key;    /* algorithm, basis, order and rank in one number */
    int nsel, cap_sel, cap_key;
} Assoc;

static const char *const num_names[5] = {"confidence", "support", "lift", "leverage", "affinity"};

static int num_index(const char *f)
{
    for (int i = 0; i < 5; i++)
        if (!strcmp(f, num_names[i]))
            return i;
    return -1;
}

/* "{a,b}" of itemset s */
static const char *set_text(Lower *L, const IrAssoc *as, int s)
{
    StrBuf b;
    sb_init(&b);
    sb_putc(&b, '{');
    for (int k = as->set_start[s]; k < as->set_start[s + 1]; k++) {
        if (k > as->set_start[s])
            sb_putc(&b, ',');
        sb_puts(&b, as->items[as->set_items[k]]);
    }
    sb_putc(&b, '}');
    const char *r = arena_strdup(L->a, b.data);
    sb_free(&b);
    return r;
}

static IrExpr *assoc_feature(Lower *L, ModelResult *r, const XElem *of, const char *feature, IrBlock *blk,
                             int *handled)
{
    IrBuilder *b = &L->b;
    Assoc *A = r->fam;
    const char *rf = feature;
    if (!strcmp(feature, "ruleValue")) {
        rf = xattr(of, "ruleFeature");
        if (!rf)
            rf = "consequent";
    } else if (!strcmp(feature, "entityId"))
        rf = "ruleId";
    int ni = num_index(rf);
    if (ni < 0 && strcmp(rf, "antecedent") != 0 && strcmp(rf, "consequent") != 0 && strcmp(rf, "rule") != 0 &&
        strcmp(rf, "ruleId") != 0) {
        if (!strcmp(feature, "ruleValue")) {
            diag_error(L->d, aloc(L, of, "ruleFeature"), "ruleFeature \'%s\' is not known", rf);
            return NULL;
        }
        *handled = 0;
        return NULL;
    }
    const char *alg = xattr(of, "algorithm"), *basis = xattr(of, "rankBasis"), *order = xattr(of, "rankOrder");
    const char *rs = xattr(of, "rank");
    int algorithm = IR_ASSOC_EXCLUSIVE;
    if (alg && !strcmp(alg, "recommendation"))
        algorithm = IR_ASSOC_RECOMMENDATION;
    else if (alg && !strcmp(alg, "ruleAssociation"))
        algorithm = IR_ASSOC_RULE;
    else if (alg && strcmp(alg, "exclusiveRecommendation") != 0) {
        diag_error(L->d, aloc(L, of, "algorithm"), "algorithm \'%s\' is not known", alg);
        return NULL;
    }
    int bi = num_index(basis ? basis : "confidence");
    if (bi < 0) {
        diag_error(L->d, aloc(L, of, "rankBasis"), "rankBasis \'%s\' is not known", basis);
        return NULL;
    }
    int desc = 1;
    if (order && !strcmp(order, "ascending"))
        desc = 0;
    else if (order && strcmp(order, "descending") != 0) {
        diag_error(L->d, aloc(L, of, "rankOrder"), "rankOrder \'%s\' is not known", order);
        return NULL;
    }
    long long rank = 1;
    if (rs && (!parse_long(rs, &rank) || rank < 1 || rank > 1000000)) {
        diag_error(L->d, aloc(L, of, "rank"), "rank \'%s\' is not a positive integer", rs);
        return NULL;
    }
    int n = A->as->nrules;
    IrTable *key = A->key[bi];
    if (!key) {
        key = A->key[bi] = ir_table(b, ir_type(T_DOUBLE), n, 1);
        for (int i = 0; i < n; i++) {
            key->num[i] = A->num[bi][i];
            if (key->num[i] != key->num[i]) {
                diag_error(L->d, lloc(L, of), "rules are ranked by %s, which rule %s does not give",
                           num_names[bi], A->ids[i]);
                return NULL;
            }
        }
    }
    /* one selection per set of parameters, whatever the outputs read of it */
    long long sk = (((long long)rank * 8 + algorithm) * 8 + bi) * 2 + desc;
    int sv = -1;
    for (int i = 0; i < A->nsel; i++)
        if (A->sel_key[i] == sk)
            sv = A->sel[i];
    if (sv < 0) {
        IrExpr *sel = ir_node(b, E_ASSOC, ir_type(T_INT), lloc(L, of), A->x, A->nx);
        sel->as = A->as;
        sel->col = algorithm;
        sel->tab = key;
        sel->lit_bool = desc;
        sel->code = (int)rank;
        sv = ir_add_var(b, "selected rule", ir_type(T_INT));
        IrStmt *st = ir_set(b, blk, sv, sel);
        st->comment = arena_printf(L->a, "association rules: %s by %s, rank %lld",
                                   algorithm == IR_ASSOC_RECOMMENDATION ? "recommendation"
                                   : algorithm == IR_ASSOC_EXCLUSIVE ? "exclusiveRecommendation" : "ruleAssociation",
                                   num_names[bi], rank);
        VEC_PUSH(L->a, A->sel, A->nsel, A->cap_sel, sv);
        A->nsel--;
        VEC_PUSH(L->a, A->sel_key, A->nsel, A->cap_key, sk);
    }
    IrExpr *e = ir_var(b, sv);
    if (ni >= 0) {
        IrTable *t = A->vals[ni];
        if (!t) {
            t = A->vals[ni] = ir_table(b, ir_type(T_DOUBLE), n, 1);
            for (int i = 0; i < n; i++)
                t->num[i] = A->num[ni][i];
        }
        return ir_null_if_nan(b, ir_lookup(b, e, t));
    }
    int si = !strcmp(rf, "antecedent") ? 0 : !strcmp(rf, "consequent") ? 1 : !strcmp(rf, "rule") ? 2 : 3;
    const char **src = si == 0 ? A->ante : si == 1 ? A->cons : si == 2 ? A->rule : A->ids;
    IrTable *t = A->texts[si];
    if (!t) {
        t = A->texts[si] = ir_table(b, ir_type(T_STRING), n, 1);
        for (int i = 0; i < n; i++)
            t->str[i] = src[i];
    }
    return ir_lookup(b, e, t);
}

/* the truth of item "field=category" (or of a true-valued field) */
static IrExpr *item_present(Lower *L, Scope *s, const XElem *it, const char *field, const char *cat)
{
    IrBuilder *b = &L->b;
    Field *f = need_field(L, s, field, it);
    if (!f)
        return NULL;
    IrExpr *v = ir_var(b, f->var);
    IrType *t = ir_base(v->type);
    IrExpr *x;
    if (cat) {
        IrExpr *c = lower_constant_for(L, cat, t, it);
        if (!c)
            return NULL;
        x = ir_call2(b, FN_EQ, ir_type(T_BOOL), v, c);
    } else if (t->kind == T_BOOL)
        x = v;
    else if (t->kind == T_STRING) {
        static const char *yes[] = {"T", "true"};
        x = ir_str_in(b, v, yes, 2);
    } else if (ir_is_numeric(t))
        x = ir_call2(b, FN_EQ, ir_type(T_BOOL), v, ir_cast(b, t, ir_lit_double(b, 1)));
    else {
        diag_error(L->d, lloc(L, it), "item field '%s' is neither true/false nor a category", field);
        return NULL;
    }
    /* a missing value is no item */
    return ir_coalesce(b, x, ir_lit_bool(b, 0));
}

int lower_association_model(Lower *L, const XElem *m, Scope *s, IrBlock *blk, ModelResult *r)
{
    (void)blk;
    if (r->func != FUNC_ASSOCIATION) {
        diag_error(L->d, aloc(L, m, "functionName"), "an AssociationModel's functionName must be "
                   "associationRules");
        return 1;
    }
    /* group and active fields */
    const XElem *ms = xchild(m, "MiningSchema");
    const char *group = NULL, *active = NULL;
    int nactive = 0;
    for (int k = 0; ms && k < ms->nkids; k++) {
        const char *u = xattr(ms->kids[k], "usageType"), *n = xattr(ms->kids[k], "name");
        if (strcmp(ms->kids[k]->name, "MiningField") != 0)
            continue;
        if (u && !strcmp(u, "group")) {
            if (group) {
                diag_error(L->d, lloc(L, ms->kids[k]), "an AssociationModel reads at most one group field");
                return 1;
            }
            group = n;
        } else if (!u || !strcmp(u, "active")) {
            active = n;
            nactive++;
        }
    }
    if (group && nactive != 1) {
        diag_error(L->d, lloc(L, ms), "an AssociationModel with a group field reads one active field, not %d",
                   nactive);
        return 1;
    }
    Assoc *A = ARENA_NEW(L->a, Assoc);
    IrAssoc *as = ARENA_NEW(L->a, IrAssoc);
    A->as = as;
    as->loc = lloc(L, m);
    /* items */
    int ni = xcount(m, "Item");
    as->items = ARENA_ARRAY(L->a, const char *, ni + 1);
    const char **iids = ARENA_ARRAY(L->a, const char *, ni + 1);
    NameIndex item_ix = {0}, set_ix = {0};
    Field *setf = NULL;
    if (group) {
        setf = need_field(L, s, active, ms);
        if (!setf)
            return 1;
        if (ir_base(L->b.p->vars[setf->var].type)->kind != T_ARRAY) {
            diag_error(L->d, lloc(L, m), "the items of this AssociationModel must be the program's input '%s'",
                       active);
            return 1;
        }
        A->x = ARENA_ARRAY(L->a, IrExpr *, 1);
        A->x[0] = ir_var(&L->b, setf->var);
        A->nx = 1;
    } else
        A->x = ARENA_ARRAY(L->a, IrExpr *, ni + 1);
    for (int k = 0; k < m->nkids; k++) {
        const XElem *it = m->kids[k];
        if (strcmp(it->name, "Item") != 0)
            continue;
        const char *id = xattr(it, "id"), *val = xattr(it, "value");
        if (!id || !val) {
            diag_error(L->d, lloc(L, it), "<Item> needs an id and a value");
            return 1;
        }
        if (names_get(&item_ix, id) >= 0) {
            diag_error(L->d, aloc(L, it, "id"), "Item id \'%s\' is not unique", id);
            return 1;
        }
        names_put(L->a, &item_ix, id, as->nitems);
        iids[as->nitems] = id;
        as->items[as->nitems] = val;
        if (!group) {
            /* an item "field=category", or a field (true/false) */
            const char *field = xattr(it, "field"), *cat = xattr(it, "category");
            if (!field) {
                if (scope_find(s, val))
                    field = val;
                else {
                    const char *eq = strchr(val, '=');
                    if (eq) {
                        field = arena_strndup(L->a, val, (size_t)(eq - val));
                        cat = eq + 1;
                    } else
                        field = val;
                }
            }
            IrExpr *x = item_present(L, s, it, field, cat);
            if (!x)
                return 1;
            A->x[A->nx++] = x;
        } else if (xattr(it, "category"))
            as->items[as->nitems] = xattr(it, "category");
        as->nitems++;
    }
    /* itemsets */
    int nsets = xcount(m, "Itemset");
    as->set_start = ARENA_ARRAY(L->a, int, nsets + 1);
    int cap = 0, nsi = 0;
    for (int k = 0; k < m->nkids; k++) {
        const XElem *is = m->kids[k];
        if (strcmp(is->name, "Itemset") != 0)
            continue;
        const char *id = xattr(is, "id");
        if (!id) {
            diag_error(L->d, lloc(L, is), "<Itemset> without an id");
            return 1;
        }
        if (names_get(&set_ix, id) >= 0) {
            diag_error(L->d, aloc(L, is, "id"), "Itemset id \'%s\' is not unique", id);
            return 1;
        }
        names_put(L->a, &set_ix, id, as->nsets);
        as->set_start[as->nsets] = nsi;
        for (int j = 0; j < is->nkids; j++) {
            if (strcmp(is->kids[j]->name, "ItemRef") != 0)
                continue;
            const char *ref = xattr(is->kids[j], "itemRef");
            int i = ref ? names_get(&item_ix, ref) : -1;
            if (i < 0) {
                diag_error(L->d, lloc(L, is->kids[j]), "ItemRef \'%s\' names no Item", ref ? ref : "");
                return 1;
            }
            VEC_PUSH(L->a, as->set_items, nsi, cap, i);
        }
        as->nsets++;
    }
    as->set_start[as->nsets] = nsi;
    /* rules */
    int nr = xcount(m, "AssociationRule");
    const XElem **re = ARENA_ARRAY(L->a, const XElem *, nr + 1);
    as->ante = ARENA_ARRAY(L->a, int, nr + 1);
    as->cons = ARENA_ARRAY(L->a, int, nr + 1);
    for (int q = 0; q < 5; q++)
        A->num[q] = ARENA_ARRAY(L->a, double, nr + 1);
    A->ante = ARENA_ARRAY(L->a, const char *, nr + 1);
    A->cons = ARENA_ARRAY(L->a, const char *, nr + 1);
    A->rule = ARENA_ARRAY(L->a, const char *, nr + 1);
    for (int k = 0; k < m->nkids; k++) {
        const XElem *ar = m->kids[k];
        if (strcmp(ar->name, "AssociationRule") != 0)
            continue;
        int i = as->nrules;
        re[i] = ar;
        const char *an = xattr(ar, "antecedent"), *co = xattr(ar, "consequent");
        as->ante[i] = an ? names_get(&set_ix, an) : -1;
        as->cons[i] = co ? names_get(&set_ix, co) : -1;
        if (as->ante[i] < 0 || as->cons[i] < 0) {
            diag_error(L->d, aloc(L, ar, as->ante[i] < 0 ? "antecedent" : "consequent"),
                       "the rule's %s names no Itemset", as->ante[i] < 0 ? "antecedent" : "consequent");
            return 1;
        }
        for (int q = 0; q < 5; q++) {
            const char *v = xattr(ar, num_names[q]);
            A->num[q][i] = NAN;
            if ((q < 2 && !v) || (v && !parse_double(v, &A->num[q][i]))) {
                diag_error(L->d, v ? aloc(L, ar, num_names[q]) : lloc(L, ar), "the rule needs a number %s",
                           num_names[q]);
                return 1;
            }
        }
        A->ante[i] = set_text(L, as, as->ante[i]);
        A->cons[i] = set_text(L, as, as->cons[i]);
        A->rule[i] = arena_printf(L->a, "%s->%s", A->ante[i], A->cons[i]);
        as->nrules++;
    }
    A->ids = entity_ids(L, re, as->nrules);
    if (L->d->errors)
        return 1;
    r->fam = A;
    r->feature = assoc_feature;
    return 0;
}
