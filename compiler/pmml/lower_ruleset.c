/* RuleSetModel to IR.  Every SimpleRule fires when its predicate and those
 * of the CompoundRules around it are true (unknown counts as false); the
 * first RuleSelectionMethod decides among the rules that fired:
 *   firstHit     the first rule in document order;
 *   weightedSum  each score's weight is the sum of its fired rules'
 *                weights over the number of rules fired; the score with
 *                the greatest wins (of equal ones, the score that fired
 *                first), its rule being its fired rule of greatest weight;
 *   weightedMax  the fired rule of greatest weight (the first of equal
 *                ones), as the standard says.
 * The confidence of each score is JPMML's: firstHit, the confidence of its
 * first fired rule; weightedSum, its weight as above; weightedMax, the
 * confidence of its fired rule of greatest weight.  The probabilities are
 * the winning rule's ScoreDistribution.  When no rule fires, the RuleSet's
 * defaultScore and defaultConfidence are the result (no rule: no entity).
 * Everything per rule is a constant table indexed by the winner's number. */
#include "lower_pmml.h"

#include <math.h>
#include <string.h>

typedef struct Rule {
    const XElem *e;
    int fired;             /* bool var */
    int key;               /* index of its score among the categories */
    double weight, conf;
} Rule;

typedef struct RuleBuild {
    Rule *rules;
    int n, cap;
    const XElem **elems;
    int ne, cape;
} RuleBuild;

/* the rules of `container` (a RuleSet or CompoundRule) in document order;
   `parent` is the bool var "the enclosing compound rules hold" (-1: none) */
static int collect(Lower *L, Scope *s, const XElem *container, int parent, IrBlock *blk, RuleBuild *rb,
                   ModelResult *r, int *capc, int depth)
{
    IrBuilder *b = &L->b;
    if (depth > 200) {
        diag_error(L->d, lloc(L, container), "compound rules nested deeper than 200");
        return 0;
    }
    for (int k = 0; k < container->nkids; k++) {
        const XElem *ru = container->kids[k];
        int simple = !strcmp(ru->name, "SimpleRule");
        if (!simple && strcmp(ru->name, "CompoundRule") != 0)
            continue;
        const XElem *pe = first_predicate(ru);
        if (!pe) {
            diag_error(L->d, lloc(L, ru), "<%s> has no predicate", ru->name);
            return 0;
        }
        IrPred *pr = lower_predicate(L, s, pe);
        if (!pr)
            return 0;
        IrExpr *c = pred_true_expr(L, pr);
        if (parent >= 0)
            c = ir_call2(b, FN_AND, ir_type(T_BOOL), ir_var(b, parent), c);
        int v = ir_add_var(b, simple ? "rule fired" : "compound rule holds", ir_type(T_BOOL));
        IrStmt *st = ir_set(b, blk, v, c);
        st->loc = lloc(L, ru);
        if (!simple) {
            st->comment = "CompoundRule";
            if (!collect(L, s, ru, v, blk, rb, r, capc, depth + 1))
                return 0;
            continue;
        }
        const char *id = xattr(ru, "id");
        st->comment = arena_printf(L->a, "SimpleRule %s", id ? id : "");
        const char *score = xattr(ru, "score");
        if (!score) {
            diag_error(L->d, lloc(L, ru), "<SimpleRule> has no score");
            return 0;
        }
        Rule rl = {.e = ru, .fired = v, .key = result_add_cat(L, r, score, capc)};
        if (!attr_double(L, ru, "weight", 1, &rl.weight) || !attr_double(L, ru, "confidence", 1, &rl.conf))
            return 0;
        VEC_PUSH(L->a, rb->rules, rb->n, rb->cap, rl);
        VEC_PUSH(L->a, rb->elems, rb->ne, rb->cape, ru);
    }
    return 1;
}

static IrTable *str_table(Lower *L, const char **v, int n)
{
    IrTable *t = ir_table(&L->b, ir_type(T_STRING), n, 1);
    for (int i = 0; i < n; i++)
        t->str[i] = v[i];
    return t;
}

static IrTable *num_table(Lower *L, const double *v, int n)
{
    IrTable *t = ir_table(&L->b, ir_type(T_DOUBLE), n, 1);
    for (int i = 0; i < n; i++)
        t->num[i] = v[i];
    return t;
}

int lower_ruleset_model(Lower *L, const XElem *m, Scope *s, IrBlock *blk, ModelResult *r)
{
    IrBuilder *b = &L->b;
    IrType *dt = ir_type(T_DOUBLE), *st_t = ir_type(T_STRING), *bt = ir_type(T_BOOL), *it = ir_type(T_INT);
    if (r->func != FUNC_CLASSIFICATION) {
        diag_error(L->d, aloc(L, m, "functionName"), "a RuleSetModel's functionName must be classification");
        return 1;
    }
    const XElem *rs = xchild(m, "RuleSet");
    if (!rs) {
        diag_error(L->d, lloc(L, m), "RuleSetModel has no <RuleSet>");
        return 1;
    }
    const XElem *sel = xchild(rs, "RuleSelectionMethod");
    const char *crit = sel ? xattr(sel, "criterion") : NULL;
    if (!sel || !crit) {
        diag_error(L->d, lloc(L, sel ? sel : rs), "RuleSet needs a RuleSelectionMethod with a criterion");
        return 1;
    }
    int first_hit = !strcmp(crit, "firstHit"), wsum = !strcmp(crit, "weightedSum"),
        wmax = !strcmp(crit, "weightedMax");
    if (!first_hit && !wsum && !wmax) {
        diag_error(L->d, aloc(L, sel, "criterion"), "RuleSelectionMethod criterion \'%s\' is not known", crit);
        return 1;
    }
    int capc = 0;
    int ntc;
    const char **tc = target_categories(L, r, &ntc);
    for (int i = 0; i < ntc; i++)
        result_add_cat(L, r, tc[i], &capc);
    const char *dscore = xattr(rs, "defaultScore");
    double dconf;
    if (!attr_double(L, rs, "defaultConfidence", NAN, &dconf))
        return 1;
    int dkey = dscore ? result_add_cat(L, r, dscore, &capc) : -1;

    RuleBuild rb = {0};
    if (!collect(L, s, rs, -1, blk, &rb, r, &capc, 0))
        return 1;
    int n = rb.n;
    const char **ids = entity_ids(L, rb.elems, n);
    if (L->d->errors)
        return 1;
    /* probabilities from the rules' ScoreDistributions, when they give them */
    int has_sd = 0;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < rb.rules[i].e->nkids; k++)
            if (!strcmp(rb.rules[i].e->kids[k]->name, "ScoreDistribution")) {
                const char *v = xattr(rb.rules[i].e->kids[k], "value");
                if (!v) {
                    diag_error(L->d, lloc(L, rb.rules[i].e->kids[k]), "<ScoreDistribution> has no value");
                    return 1;
                }
                result_add_cat(L, r, v, &capc);
                has_sd = 1;
            }
    int nc = r->ncats;

    /* the winner: a rule number, -1 when none fired */
    int win = ir_add_var(b, "winning rule", it);
    ir_set(b, blk, win, lit_int(b, -1));
    r->confs = ARENA_ARRAY(L->a, int, nc + 1);
    for (int c = 0; c < nc; c++) {
        r->confs[c] = ir_add_var(b, arena_printf(L->a, "confidence(%s)", r->cats[c]), ir_nullable(L->a, dt));
        ir_set(b, blk, r->confs[c], ir_lit_null(b, dt));
    }
    if (first_hit) {
        for (int i = 0; i < n; i++) {
            Rule *ru = &rb.rules[i];
            IrStmt *st = ir_if_stmt(b, blk, ir_var(b, ru->fired));
            IrStmt *w = ir_if_stmt(b, &st->then_b, ir_call2(b, FN_EQ, bt, ir_var(b, win), lit_int(b, -1)));
            ir_set(b, &w->then_b, win, lit_int(b, i));
            IrStmt *c = ir_if_stmt(b, &st->then_b, ir_is_null(b, ir_var(b, r->confs[ru->key])));
            ir_set(b, &c->then_b, r->confs[ru->key], ir_lit_double(b, ru->conf));
        }
    } else {
        /* per score: summed weight, first firing, its rule of greatest weight */
        int *sum = ARENA_ARRAY(L->a, int, nc + 1), *first = ARENA_ARRAY(L->a, int, nc + 1);
        int *best = ARENA_ARRAY(L->a, int, nc + 1), *bestw = ARENA_ARRAY(L->a, int, nc + 1);
        int nfired = ir_add_var(b, "rules fired", dt);
        ir_set(b, blk, nfired, ir_lit_double(b, 0));
        for (int c = 0; c < nc; c++) {
            sum[c] = ir_add_var(b, arena_printf(L->a, "weight(%s)", r->cats[c]), dt);
            first[c] = ir_add_var(b, arena_printf(L->a, "first(%s)", r->cats[c]), dt);
            best[c] = ir_add_var(b, arena_printf(L->a, "rule(%s)", r->cats[c]), it);
            bestw[c] = ir_add_var(b, arena_printf(L->a, "best weight(%s)", r->cats[c]), dt);
            ir_set(b, blk, sum[c], ir_lit_double(b, 0));
            ir_set(b, blk, first[c], ir_lit_double(b, 1e300));
            ir_set(b, blk, best[c], lit_int(b, -1));
            ir_set(b, blk, bestw[c], ir_lit_double(b, -HUGE_VAL));
        }
        int wbest = ir_add_var(b, "greatest weight", dt);
        ir_set(b, blk, wbest, ir_lit_double(b, -HUGE_VAL));
        for (int i = 0; i < n; i++) {
            Rule *ru = &rb.rules[i];
            int c = ru->key;
            IrStmt *st = ir_if_stmt(b, blk, ir_var(b, ru->fired));
            IrBlock *tb = &st->then_b;
            ir_set(b, tb, nfired, ir_call2(b, FN_ADD, dt, ir_var(b, nfired), ir_lit_double(b, 1)));
            ir_set(b, tb, sum[c], ir_call2(b, FN_ADD, dt, ir_var(b, sum[c]), ir_lit_double(b, ru->weight)));
            IrStmt *f = ir_if_stmt(b, tb, ir_call2(b, FN_GT, bt, ir_var(b, first[c]), ir_lit_double(b, i)));
            ir_set(b, &f->then_b, first[c], ir_lit_double(b, i));
            IrStmt *bw = ir_if_stmt(b, tb, ir_call2(b, FN_GT, bt, ir_lit_double(b, ru->weight), ir_var(b, bestw[c])));
            ir_set(b, &bw->then_b, bestw[c], ir_lit_double(b, ru->weight));
            ir_set(b, &bw->then_b, best[c], lit_int(b, i));
            if (wmax) {
                IrStmt *g = ir_if_stmt(b, tb, ir_call2(b, FN_GT, bt, ir_lit_double(b, ru->weight), ir_var(b, wbest)));
                ir_set(b, &g->then_b, wbest, ir_lit_double(b, ru->weight));
                ir_set(b, &g->then_b, win, lit_int(b, i));
            }
        }
        double *confs = ARENA_ARRAY(L->a, double, n + 1);
        for (int i = 0; i < n; i++)
            confs[i] = rb.rules[i].conf;
        IrTable *ctab = num_table(L, confs, n);
        IrExpr **args = ARENA_ARRAY(L->a, IrExpr *, 2 * nc + 2);
        args[0] = lit_int(b, 1);
        for (int c = 0; c < nc; c++) {
            IrExpr *fired = ir_call2(b, FN_LT, bt, ir_var(b, first[c]), ir_lit_double(b, 1e300));
            IrExpr *v = wsum ? ir_call2(b, FN_DIV, dt, ir_var(b, sum[c]), ir_var(b, nfired))
                             : ir_coalesce(b, ir_lookup(b, ir_var(b, best[c]), ctab), ir_lit_double(b, NAN));
            IrStmt *cs = ir_if_stmt(b, blk, fired);
            ir_set(b, &cs->then_b, r->confs[c], v);
            args[1 + c] = ir_coalesce(b, ir_var(b, r->confs[c]), ir_lit_double(b, NAN));
            args[1 + nc + c] = ir_var(b, first[c]);
        }
        if (wsum) {
            /* the score of greatest weight, then its rule of greatest weight */
            int k = ir_add_var(b, "winning score", it);
            ir_set(b, blk, k, ir_call(b, FN_RANK, it, args, 2 * nc + 1));
            for (int c = 0; c < nc; c++) {
                IrStmt *ws = ir_if_stmt(b, blk, ir_call2(b, FN_EQ, bt, ir_var(b, k), lit_int(b, c)));
                ir_set(b, &ws->then_b, win, ir_var(b, best[c]));
            }
        }
    }

    /* what the winner gives: tables over the rules */
    const char **scores = ARENA_ARRAY(L->a, const char *, n + 1);
    double *wconf = ARENA_ARRAY(L->a, double, n + 1);
    for (int i = 0; i < n; i++) {
        scores[i] = r->cats[rb.rules[i].key];
        wconf[i] = rb.rules[i].conf;
    }
    IrExpr *none = ir_call2(b, FN_EQ, bt, ir_var(b, win), lit_int(b, -1));
    r->value = ir_add_var(b, "rule score", ir_nullable(L->a, st_t));
    IrStmt *vs = ir_set(b, blk, r->value,
                        ir_if(b, none, dscore ? ir_lit_str(b, dscore) : ir_lit_null(b, st_t),
                              ir_lookup(b, ir_var(b, win), str_table(L, scores, n))));
    vs->comment = arena_printf(L->a, "RuleSet %s", crit);
    vs->loc = lloc(L, sel);
    r->entity = ir_add_var(b, "rule id", ir_nullable(L->a, st_t));
    ir_set(b, blk, r->entity, ir_lookup(b, ir_var(b, win), str_table(L, ids, n)));
    r->confidence = ir_add_var(b, "rule confidence", ir_nullable(L->a, dt));
    if (dkey >= 0 && dconf == dconf) {
        IrStmt *ds = ir_if_stmt(b, blk, none);
        ir_set(b, &ds->then_b, r->confs[dkey], ir_lit_double(b, dconf));
    }
    IrExpr *wc = wsum ? ir_lit_null(b, dt) : ir_lookup(b, ir_var(b, win), num_table(L, wconf, n));
    ir_set(b, blk, r->confidence,
           ir_if(b, none, dconf == dconf ? ir_lit_double(b, dconf) : ir_lit_null(b, dt), wc));
    if (wsum) {
        /* the winning score's weight */
        IrExpr *x = ir_lit_null(b, dt);
        for (int c = nc - 1; c >= 0; c--)
            x = ir_if(b, ir_call2(b, FN_EQ, bt, ir_var(b, r->value), ir_lit_str(b, r->cats[c])),
                      ir_var(b, r->confs[c]), x);
        ir_set(b, blk, r->confidence, x);
    }
    if (!has_sd)
        return 0;
    /* probabilities: the winning rule's ScoreDistribution */
    r->probs = ARENA_ARRAY(L->a, int, nc + 1);
    for (int c = 0; c < nc; c++) {
        double *p = ARENA_ARRAY(L->a, double, n + 1);
        for (int i = 0; i < n; i++) {
            const XElem *ru = rb.rules[i].e;
            double total = 0, cnt = 0, prob = NAN;
            int all_prob = 1, any = 0;
            for (int k = 0; k < ru->nkids; k++) {
                const XElem *sd = ru->kids[k];
                if (strcmp(sd->name, "ScoreDistribution") != 0)
                    continue;
                any = 1;
                double rc, pv;
                if (!attr_double(L, sd, "recordCount", 0, &rc) || !attr_double(L, sd, "probability", NAN, &pv))
                    return 1;
                total += rc;
                all_prob &= pv == pv;
                if (!strcmp(xattr(sd, "value"), r->cats[c])) {
                    cnt += rc;
                    prob = pv;
                }
            }
            p[i] = !any ? NAN : all_prob ? (prob == prob ? prob : 0) : total > 0 ? cnt / total : 0;
        }
        r->probs[c] = ir_add_var(b, arena_printf(L->a, "probability(%s)", r->cats[c]), ir_nullable(L->a, dt));
        ir_set(b, blk, r->probs[c], ir_null_if_nan(b, ir_lookup(b, ir_var(b, win), num_table(L, p, n))));
    }
    return 0;
}
