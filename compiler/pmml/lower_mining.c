/* MiningModel (Segmentation) to IR.  Each segment's model is lowered in
 * place, guarded by its predicate, and its result folded into accumulators
 * by the multipleModelMethod; modelChain makes each segment's OutputFields
 * visible to the segments after it. */
#include "lower_pmml.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef enum {
    MM_SUM, MM_AVERAGE, MM_WEIGHTED_AVERAGE, MM_MEDIAN, MM_WEIGHTED_MEDIAN, MM_MAX,
    MM_MAJORITY, MM_WEIGHTED_MAJORITY, MM_SELECT_FIRST, MM_MODEL_CHAIN, MM_WEIGHTED_SUM,
    MM_BAD
} Method;

static Method parse_method(const char *s)
{
    static const char *names[] = {"sum", "average", "weightedAverage", "median", "weightedMedian",
                                  "max", "majorityVote", "weightedMajorityVote", "selectFirst",
                                  "modelChain", "weightedSum"};
    for (int i = 0; s && i < (int)(sizeof names / sizeof *names); i++)
        if (!strcmp(s, names[i]))
            return (Method)i;
    return MM_BAD;
}

typedef struct Seg {
    const XElem *elem, *pred, *model;
    double weight;
    const char *id;
} Seg;

static int add_cat(Lower *L, ModelResult *r, const char *c, int *cap)
{
    for (int i = 0; i < r->ncats; i++)
        if (!strcmp(r->cats[i], c))
            return i;
    VEC_PUSH(L->a, r->cats, r->ncats, *cap, c);
    return r->ncats - 1;
}

static IrExpr *bool_or(IrBuilder *b, IrExpr *x, IrExpr *y)
{
    return ir_call2(b, FN_OR, ir_type(T_BOOL), x, y);
}

/* the model's only Target does nothing but add a constant */
static int folding_target(Lower *L, const XElem *m, double *c)
{
    const XElem *ts = xchild(m, "Targets");
    if (!ts || xcount(ts, "Target") != 1)
        return 0;
    const XElem *t = xchild(ts, "Target");
    const char *rc = xattr(t, "rescaleConstant");
    if (!rc || xattr(t, "rescaleFactor") || xattr(t, "min") || xattr(t, "max") ||
        xattr(t, "castInteger") || xchild(t, "TargetValue"))
        return 0;
    (void)L;
    if (!parse_double(rc, c))
        return 0;
    *c = strtof(rc, NULL);
    return 1;
}

int lower_mining_model(Lower *L, const XElem *m, Scope *s, IrBlock *blk, ModelResult *r)
{
    IrBuilder *b = &L->b;
    const XElem *sg = xchild(m, "Segmentation");
    if (!sg) {
        diag_error(L->d, lloc(L, m), "MiningModel has no <Segmentation>");
        return 1;
    }
    const char *mms = xattr(sg, "multipleModelMethod");
    if (xattr(sg, "missingThreshold"))
        diag_warning(L->d, aloc(L, sg, "missingThreshold"), "Segmentation missingThreshold is read past");
    Method mm = parse_method(mms);
    if (mm == MM_BAD) {
        diag_error(L->d, aloc(L, sg, "multipleModelMethod"), "multipleModelMethod \'%s\' is not supported", mms ? mms : "");
        return 1;
    }
    const char *mpt = xattr(sg, "missingPredictionTreatment");
    if (!mpt)
        mpt = xattr(sg, "x-missingPredictionTreatment");
    int return_missing = mpt && !strcmp(mpt, "returnMissing");
    int classify = r->func == FUNC_CLASSIFICATION;
    if (classify && (mm == MM_SUM || mm == MM_WEIGHTED_SUM || mm == MM_MEDIAN ||
                     mm == MM_WEIGHTED_MEDIAN)) {
        diag_error(L->d, aloc(L, sg, "multipleModelMethod"), "multipleModelMethod \'%s\' does not apply to classification", mms);
        return 1;
    }
    if (!classify && r->func == FUNC_REGRESSION &&
        (mm == MM_MAJORITY || mm == MM_WEIGHTED_MAJORITY)) {
        diag_error(L->d, aloc(L, sg, "multipleModelMethod"), "multipleModelMethod \'%s\' does not apply to regression", mms);
        return 1;
    }
    if (r->func != FUNC_REGRESSION && !classify && mm != MM_SELECT_FIRST && mm != MM_MODEL_CHAIN) {
        diag_error(L->d, lloc(L, m), "MiningModel for this function is not supported yet");
        return 1;
    }

    /* segments */
    int nseg = xcount(sg, "Segment");
    Seg *segs = ARENA_ARRAY(L->a, Seg, nseg + 1);
    int n = 0;
    for (int k = 0; k < sg->nkids; k++) {
        const XElem *se = sg->kids[k];
        if (strcmp(se->name, "Segment") != 0)
            continue;
        Seg *g = &segs[n];
        g->elem = se;
        g->id = xattr(se, "id");
        for (int j = 0; j < se->nkids; j++) {
            if (!g->pred && is_predicate_elem(se->kids[j]))
                g->pred = se->kids[j];
            else if (!g->model && is_model_elem(se->kids[j]))
                g->model = se->kids[j];
        }
        if (!g->pred || !g->model) {
            diag_error(L->d, lloc(L, se), "Segment needs a predicate and a model");
            return 1;
        }
        const char *w = xattr(se, "weight");
        g->weight = 1;
        if (w && !parse_double(w, &g->weight)) {
            diag_error(L->d, aloc(L, se, "weight"), "weight \'%s\' is not a number", w);
            return 1;
        }
        n++;
    }
    if (n == 0) {
        diag_error(L->d, lloc(L, sg), "Segmentation has no segments");
        return 1;
    }

    int all_true = 1;
    for (int i = 0; i < n; i++)
        all_true &= !strcmp(segs[i].pred->name, "True");
    IrType *nt = num_type(L);
    IrType *dt = ir_type(T_DOUBLE);
    IrType *acc_t = classify ? dt : nt;
    int capc = 0;
    if (classify) {
        int nc;
        const char **tc = target_categories(L, r, &nc);
        for (int i = 0; i < nc; i++)
            add_cat(L, r, tc[i], &capc);
    }
    /* accumulators */
    int acc = -1, wsum = -1, any_missing = -1, count = -1;
    int *vals = NULL;     /* median: one var per segment */
    if (!classify) {
        if (mm == MM_SELECT_FIRST || mm == MM_MODEL_CHAIN)
            r->value = ir_add_var(b, "segmentation", ir_nullable(L->a, nt));
        else {
            acc = ir_add_var(b, "accumulator", acc_t);
            /* A float sum (XGBoost) starts from the base score, the model's
               rescaleConstant, and adds the trees to it in order: float
               addition is not associative, and this is the order of the
               library that trained the model. */
            double base = 0;
            if (mm == MM_SUM && nt->kind == T_FLOAT && folding_target(L, m, &base)) {
                r->rescale_folded = 1;
                ir_set(b, blk, acc, ir_lit_float(b, (float)base));
            } else
                ir_set(b, blk, acc, mm == MM_MAX ? ir_lit_null(b, acc_t)
                                     : (nt->kind == T_FLOAT ? ir_lit_float(b, 0) : ir_lit_double(b, 0)));
        }
    }
    any_missing = ir_add_var(b, "a segment is missing", ir_type(T_BOOL));
    ir_set(b, blk, any_missing, ir_lit_bool(b, 0));
    count = ir_add_var(b, "segments", dt);
    ir_set(b, blk, count, ir_lit_double(b, 0));
    wsum = ir_add_var(b, "weights", dt);
    ir_set(b, blk, wsum, ir_lit_double(b, 0));
    if (mm == MM_MEDIAN || mm == MM_WEIGHTED_MEDIAN) {
        vals = ARENA_ARRAY(L->a, int, n);
        for (int i = 0; i < n; i++)
            vals[i] = ir_add_var(b, "segment value", ir_nullable(L->a, dt));
    }

    /* per class accumulators are created lazily as classes appear */
    int cap_acc = 0, nacc = 0;
    int *cacc = NULL;     /* per class: votes or probability sums */
    int *cfirst = NULL;   /* per class: order of its first vote (ties) */
    int cap_first = 0, nfirst = 0;
    int order = -1;
    if (mm == MM_MAJORITY || mm == MM_WEIGHTED_MAJORITY) {
        order = ir_add_var(b, "vote order", dt);
        ir_set(b, blk, order, ir_lit_double(b, 0));
    }
    int found = -1;
    if (mm == MM_SELECT_FIRST) {
        found = ir_add_var(b, "segment selected", ir_type(T_BOOL));
        ir_set(b, blk, found, ir_lit_bool(b, 0));
    }
    Scope *chain = scope_new(L, s);
    int cap_outs = 0, cap_final = 0;
    int *sel_probs = NULL;   /* selectFirst/modelChain: result probabilities */

    for (int i = 0; i < n; i++) {
        Seg *g = &segs[i];
        IrPred *pr = lower_predicate(L, chain, g->pred);
        if (!pr)
            return 1;
        IrBlock *sb = blk;
        IrExpr *cond = pred_to_expr(L, pr);
        if (found >= 0)
            cond = ir_call2(b, FN_AND, ir_type(T_BOOL),
                            ir_call1(b, FN_NOT, ir_type(T_BOOL), ir_var(b, found)), cond);
        if (!(cond->kind == E_LIT && cond->lit_bool && !ir_is_nullable(cond->type))) {
            IrStmt *st = ir_if_stmt(b, blk, cond);
            st->comment = arena_printf(L->a, "Segment %s", g->id ? g->id : "");
            st->loc = lloc(L, g->elem);
            sb = &st->then_b;
        }
        ModelResult sr;
        if (lower_model(L, g->model, mm == MM_MODEL_CHAIN ? chain : s, sb, &sr))
            return 1;
        if (found >= 0)
            ir_set(b, sb, found, ir_lit_bool(b, 1));
        /* modelChain: this segment's outputs are fields for the next ones */
        if (mm == MM_MODEL_CHAIN)
            for (int j = 0; j < sr.nouts; j++)
                scope_add(L, chain, sr.outs[j].name, sr.outs[j].var, NULL);
        /* a chain's (or the selected segment's) outputs are the model's too */
        if (mm == MM_SELECT_FIRST)
            for (int j = 0; j < sr.nouts; j++) {
                /* outputs of the same name from different segments: the
                   selected segment's value */
                int k;
                for (k = 0; k < r->nouts; k++)
                    if (!strcmp(r->outs[k].name, sr.outs[j].name))
                        break;
                IrType *ot = ir_base(b->p->vars[sr.outs[j].var].type);
                if (k == r->nouts) {
                    Field f = sr.outs[j];
                    f.var = ir_add_var(b, f.name, ir_nullable(L->a, ot));
                    VEC_PUSH(L->a, r->outs, r->nouts, cap_outs, f);
                    r->nouts--;
                    VEC_PUSH(L->a, r->final, r->nouts, cap_final, sr.final[j]);
                }
                IrExpr *v = ir_var(b, sr.outs[j].var);
                IrType *mt = ir_base(b->p->vars[r->outs[k].var].type);
                if (mt != ot)
                    v = ir_cast(b, mt, v);
                ir_set(b, sb, r->outs[k].var, v);
            }
        if (mm == MM_MODEL_CHAIN)
            for (int j = 0; j < sr.nouts; j++) {
                VEC_PUSH(L->a, r->outs, r->nouts, cap_outs, sr.outs[j]);
                r->nouts--;
                VEC_PUSH(L->a, r->final, r->nouts, cap_final, sr.final[j]);
            }
        if (mm == MM_SELECT_FIRST || mm == MM_MODEL_CHAIN) {
            /* this segment's result becomes the model's */
            if (!classify) {
                if (sr.value < 0) {
                    diag_error(L->d, lloc(L, g->model), "segment model has no predicted value");
                    return 1;
                }
                IrExpr *v = ir_var(b, sr.value);
                if (ir_base(v->type) != nt && ir_is_numeric(v->type))
                    v = ir_cast(b, nt, v);
                else if (!ir_is_numeric(v->type) && i == n - 1) {
                    /* a non-numeric result (e.g. a label) at the end of a chain */
                    r->value = ir_add_var(b, "segmentation", ir_nullable(L->a, ir_base(v->type)));
                }
                if (ir_base(v->type) == ir_base(b->p->vars[r->value].type))
                    ir_set(b, sb, r->value, v);
            } else {
                if (sr.ncats == 0 && sr.value < 0)
                    continue;
                /* in a chain only a classifying segment (or the last) decides */
                if (mm == MM_MODEL_CHAIN && sr.ncats == 0 && i != n - 1)
                    continue;
                if (r->value < 0)
                    r->value = ir_add_var(b, "segmentation", ir_nullable(L->a, ir_type(T_STRING)));
                for (int c = 0; c < sr.ncats; c++)
                    add_cat(L, r, sr.cats[c], &capc);
                if (!sel_probs || nacc < r->ncats) {
                    int *np = ARENA_ARRAY(L->a, int, r->ncats + 1);
                    for (int c = 0; c < r->ncats; c++)
                        np[c] = c < nacc ? sel_probs[c]
                                         : ir_add_var(b, arena_printf(L->a, "probability(%s)", r->cats[c]),
                                                      ir_nullable(L->a, dt));
                    sel_probs = np;
                    nacc = r->ncats;
                }
                IrExpr *lab = ir_var(b, sr.value);
                if (ir_base(lab->type)->kind != T_STRING)
                    lab = ir_cast(b, ir_type(T_STRING), lab);
                ir_set(b, sb, r->value, lab);
                for (int c = 0; c < r->ncats; c++) {
                    int found_c = -1;
                    for (int k = 0; k < sr.ncats; k++)
                        if (!strcmp(sr.cats[k], r->cats[c]))
                            found_c = k;
                    ir_set(b, sb, sel_probs[c],
                           found_c >= 0 ? ir_var(b, sr.probs[found_c]) : ir_lit_double(b, 0));
                }
            }
            if (sr.entity >= 0) {
                if (r->entity < 0)
                    r->entity = ir_add_var(b, "entity", ir_nullable(L->a, ir_type(T_STRING)));
                ir_set(b, sb, r->entity, ir_var(b, sr.entity));
            }
            continue;
        }
        /* aggregate */
        if (sr.value < 0) {
            diag_error(L->d, lloc(L, g->model), "segment model has no predicted value");
            return 1;
        }
        IrExpr *isnull = ir_is_null(b, ir_var(b, sr.value));
        IrStmt *chk = ir_if_stmt(b, sb, isnull);
        ir_set(b, &chk->then_b, any_missing, ir_lit_bool(b, 1));
        IrBlock *ok = &chk->else_b;
        double w = g->weight;
        /* with every segment always on, the count of a sum is known */
        if (!all_true || mm != MM_SUM || !return_missing) {
            ir_set(b, ok, count, ir_call2(b, FN_ADD, dt, ir_var(b, count), ir_lit_double(b, 1)));
            ir_set(b, ok, wsum, ir_call2(b, FN_ADD, dt, ir_var(b, wsum), ir_lit_double(b, w)));
        }
        if (!classify) {
            IrExpr *v = ir_cast(b, acc_t, ir_var(b, sr.value));
            IrExpr *wl = acc_t->kind == T_FLOAT ? ir_lit_float(b, (float)w) : ir_lit_double(b, w);
            switch (mm) {
            case MM_SUM:
            case MM_AVERAGE:
                ir_set(b, ok, acc, ir_call2(b, FN_ADD, acc_t, ir_var(b, acc), v));
                break;
            case MM_WEIGHTED_AVERAGE:
            case MM_WEIGHTED_SUM:
                ir_set(b, ok, acc, ir_call2(b, FN_ADD, acc_t, ir_var(b, acc),
                                            ir_call2(b, FN_MUL, acc_t, wl, v)));
                break;
            case MM_MAX:
                ir_set(b, ok, acc, ir_if(b, ir_call2(b, FN_OR, ir_type(T_BOOL), ir_is_null(b, ir_var(b, acc)),
                                                     ir_call2(b, FN_GT, ir_type(T_BOOL), v, ir_var(b, acc))),
                                         v, ir_var(b, acc)));
                break;
            case MM_MEDIAN:
            case MM_WEIGHTED_MEDIAN:
                ir_set(b, ok, vals[i], ir_cast(b, dt, ir_var(b, sr.value)));
                break;
            default:
                NV_ASSERT(0);
            }
            continue;
        }
        /* classification aggregates */
        for (int c = 0; c < sr.ncats; c++)
            add_cat(L, r, sr.cats[c], &capc);
        while (nacc < r->ncats) {
            int v = ir_add_var(b, arena_printf(L->a, "aggregate(%s)", r->cats[nacc]), dt);
            /* initialised at the top of the model */
            IrStmt *init = ARENA_NEW(L->a, IrStmt);
            init->kind = S_SET;
            init->var = v;
            init->e = ir_lit_double(b, 0);
            /* insert at the front of blk so every path sees it */
            VEC_PUSH(L->a, blk->s, blk->n, blk->cap, init);
            for (int q = blk->n - 1; q > 0; q--)
                blk->s[q] = blk->s[q - 1];
            blk->s[0] = init;
            VEC_PUSH(L->a, cacc, nacc, cap_acc, v);
            if (order >= 0) {
                int f = ir_add_var(b, "first vote", dt);
                IrStmt *fi = ARENA_NEW(L->a, IrStmt);
                fi->kind = S_SET;
                fi->var = f;
                fi->e = ir_lit_double(b, 1e300);
                VEC_PUSH(L->a, blk->s, blk->n, blk->cap, fi);
                for (int q = blk->n - 1; q > 0; q--)
                    blk->s[q] = blk->s[q - 1];
                blk->s[0] = fi;
                VEC_PUSH(L->a, cfirst, nfirst, cap_first, f);
            }
        }
        if (mm == MM_MAJORITY || mm == MM_WEIGHTED_MAJORITY) {
            IrExpr *lab = ir_var(b, sr.value);
            if (ir_base(lab->type)->kind != T_STRING)
                lab = ir_cast(b, ir_type(T_STRING), lab);
            double wv = mm == MM_MAJORITY ? 1 : w;
            for (int c = 0; c < r->ncats; c++) {
                IrStmt *vs = ir_if_stmt(b, ok, ir_call2(b, FN_EQ, ir_type(T_BOOL), lab,
                                                        ir_lit_str(b, r->cats[c])));
                ir_set(b, &vs->then_b, cacc[c], ir_call2(b, FN_ADD, dt, ir_var(b, cacc[c]),
                                                          ir_lit_double(b, wv)));
                IrStmt *fs = ir_if_stmt(b, &vs->then_b, ir_call2(b, FN_GT, ir_type(T_BOOL),
                                                                 ir_var(b, cfirst[c]), ir_var(b, order)));
                ir_set(b, &fs->then_b, cfirst[c], ir_var(b, order));
            }
            ir_set(b, ok, order, ir_call2(b, FN_ADD, dt, ir_var(b, order), ir_lit_double(b, 1)));
        } else if (mm == MM_AVERAGE || mm == MM_WEIGHTED_AVERAGE || mm == MM_MAX) {
            for (int c = 0; c < r->ncats; c++) {
                int k;
                for (k = 0; k < sr.ncats; k++)
                    if (!strcmp(sr.cats[k], r->cats[c]))
                        break;
                if (k == sr.ncats)
                    continue;
                IrExpr *p = ir_coalesce(b, ir_var(b, sr.probs[k]), ir_lit_double(b, 0));
                if (mm == MM_WEIGHTED_AVERAGE)
                    p = ir_call2(b, FN_MUL, dt, ir_lit_double(b, w), p);
                if (mm == MM_MAX)
                    ir_set(b, ok, cacc[c], ir_call2(b, FN_MAX, dt, ir_var(b, cacc[c]), p));
                else
                    ir_set(b, ok, cacc[c], ir_call2(b, FN_ADD, dt, ir_var(b, cacc[c]), p));
            }
        } else {
            diag_error(L->d, aloc(L, sg, "multipleModelMethod"), "multipleModelMethod \'%s\' for classification is not supported yet", mms);
            return 1;
        }
    }

    /* final result */
    IrExpr *miss = return_missing ? ir_var(b, any_missing) : ir_lit_bool(b, 0);
    if (!all_true || mm != MM_SUM || !return_missing)
        miss = bool_or(b, miss, ir_call2(b, FN_EQ, ir_type(T_BOOL), ir_var(b, count), ir_lit_double(b, 0)));
    if (!classify) {
        if (mm == MM_SELECT_FIRST || mm == MM_MODEL_CHAIN)
            return 0;
        IrExpr *v = NULL;
        switch (mm) {
        case MM_SUM:
        case MM_WEIGHTED_SUM:
        case MM_MAX:
            v = ir_var(b, acc);
            break;
        case MM_AVERAGE:
            v = ir_call2(b, FN_DIV, acc_t, ir_var(b, acc), ir_cast(b, acc_t, ir_var(b, count)));
            break;
        case MM_WEIGHTED_AVERAGE:
            v = ir_call2(b, FN_DIV, acc_t, ir_var(b, acc), ir_cast(b, acc_t, ir_var(b, wsum)));
            break;
        case MM_MEDIAN:
        case MM_WEIGHTED_MEDIAN: {
            int na = mm == MM_MEDIAN ? n : 2 * n;
            IrExpr **args = ARENA_ARRAY(L->a, IrExpr *, na);
            for (int i = 0; i < n; i++)
                args[i] = ir_coalesce(b, ir_var(b, vals[i]), ir_lit_double(b, NAN));
            if (mm == MM_WEIGHTED_MEDIAN)
                for (int i = 0; i < n; i++)
                    args[n + i] = ir_lit_double(b, segs[i].weight);
            v = ir_cast(b, acc_t, ir_call(b, mm == MM_MEDIAN ? FN_MEDIAN : FN_WMEDIAN, dt, args, na));
            break;
        }
        default:
            NV_ASSERT(0);
        }
        r->value = ir_add_var(b, "segmentation", ir_nullable(L->a, acc_t));
        IrStmt *st = ir_set(b, blk, r->value, ir_if(b, miss, ir_lit_null(b, acc_t), v));
        st->comment = arena_printf(L->a, "Segmentation %s", mms);
        st->loc = lloc(L, sg);
        return 0;
    }
    if (mm == MM_SELECT_FIRST || mm == MM_MODEL_CHAIN) {
        r->probs = sel_probs;
        if (!sel_probs)
            r->ncats = 0;
        return 0;
    }
    r->probs = ARENA_ARRAY(L->a, int, r->ncats + 1);
    IrExpr *denom = NULL;
    if (mm == MM_MAJORITY || mm == MM_WEIGHTED_MAJORITY || mm == MM_MAX) {
        IrExpr **terms = ARENA_ARRAY(L->a, IrExpr *, r->ncats + 1);
        for (int c = 0; c < r->ncats; c++)
            terms[c] = ir_var(b, cacc[c]);
        denom = r->ncats == 1 ? terms[0] : r->ncats ? ir_linear(b, dt, terms, r->ncats) : NULL;
    } else if (mm == MM_AVERAGE)
        denom = ir_var(b, count);
    else
        denom = ir_var(b, wsum);
    int dv = ir_add_var(b, "denominator", dt);
    ir_set(b, blk, dv, denom ? denom : ir_lit_double(b, 1));
    for (int c = 0; c < r->ncats; c++) {
        r->probs[c] = ir_add_var(b, arena_printf(L->a, "probability(%s)", r->cats[c]),
                                 ir_nullable(L->a, dt));
        IrStmt *st = ir_set(b, blk, r->probs[c],
                            ir_if(b, miss, ir_lit_null(b, dt),
                                  ir_call2(b, FN_DIV, dt, ir_var(b, cacc[c]), ir_var(b, dv))));
        st->comment = arena_printf(L->a, "Segmentation %s: %s", mms, r->cats[c]);
    }
    if (mm == MM_MAJORITY || mm == MM_WEIGHTED_MAJORITY) {
        /* most votes; ties go to the class that was voted for first */
        r->value = ir_add_var(b, "predicted", ir_nullable(L->a, ir_type(T_STRING)));
        int best = ir_add_var(b, "best votes", dt), bestf = ir_add_var(b, "best first", dt);
        ir_set(b, blk, best, ir_lit_double(b, -1));
        ir_set(b, blk, bestf, ir_lit_double(b, 1e300));
        ir_set(b, blk, r->value, ir_lit_null(b, ir_type(T_STRING)));
        for (int c = 0; c < r->ncats; c++) {
            IrExpr *gt = ir_call2(b, FN_GT, ir_type(T_BOOL), ir_var(b, cacc[c]), ir_var(b, best));
            IrExpr *tie = ir_call2(b, FN_AND, ir_type(T_BOOL),
                                   ir_call2(b, FN_EQ, ir_type(T_BOOL), ir_var(b, cacc[c]), ir_var(b, best)),
                                   ir_call2(b, FN_LT, ir_type(T_BOOL), ir_var(b, cfirst[c]), ir_var(b, bestf)));
            IrExpr *pos = ir_call2(b, FN_GT, ir_type(T_BOOL), ir_var(b, cacc[c]), ir_lit_double(b, 0));
            IrStmt *st = ir_if_stmt(b, blk, ir_call2(b, FN_AND, ir_type(T_BOOL), pos, bool_or(b, gt, tie)));
            ir_set(b, &st->then_b, best, ir_var(b, cacc[c]));
            ir_set(b, &st->then_b, bestf, ir_var(b, cfirst[c]));
            ir_set(b, &st->then_b, r->value, ir_lit_str(b, r->cats[c]));
        }
        IrStmt *ms = ir_if_stmt(b, blk, miss);
        ir_set(b, &ms->then_b, r->value, ir_lit_null(b, ir_type(T_STRING)));
    } else
        result_argmax(L, blk, r);
    return 0;
}
