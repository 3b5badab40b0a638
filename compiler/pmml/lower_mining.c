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
    MM_SELECT_ALL, MM_BAD
} Method;

static Method parse_method(const char *s)
{
    static const char *names[] = {"sum", "average", "weightedAverage", "median", "weightedMedian",
                                  "max", "majorityVote", "weightedMajorityVote", "selectFirst",
                                  "modelChain", "weightedSum", "selectAll"};
    for (int i = 0; s && i < (int)(sizeof names / sizeof *names); i++)
        if (!strcmp(s, names[i]))
            return (Method)i;
    return MM_BAD;
}

typedef struct Seg {
    const XElem *elem, *pred, *model;
    const XElem *vw;       /* VariableWeight */
    double weight;
    int wvar;              /* double var: the segment's weight (VariableWeight), or -1 */
    const char *id;
} Seg;

/* a segment's VariableWeight: the value of its field, one of the segment
   model's OutputFields or a field the MiningModel sees */
static IrExpr *variable_weight(Lower *L, const Seg *g, const ModelResult *sr, Scope *s)
{
    const char *name = xattr(g->vw, "field");
    for (int j = sr->nouts - 1; name && j >= 0; j--)
        if (!strcmp(sr->outs[j].name, name))
            return ir_var(&L->b, sr->outs[j].var);
    Field *f = need_field(L, s, name, g->vw);
    return f ? ir_var(&L->b, f->var) : NULL;
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
    Method mm = parse_method(mms);
    if (mm == MM_BAD) {
        diag_error(L->d, aloc(L, sg, "multipleModelMethod"), "multipleModelMethod \'%s\' is not supported", mms ? mms : "");
        return 1;
    }
    /* A segment without a prediction (JPMML's reading of the standard):
       returnMissing, the model has none either; skipSegment, the segment
       is left out, but when the left-out segments' share of the weight of
       those that ran passes missingThreshold the model has none; continue
       (the default), a vote for "missing" that wins when it has the most
       votes, and no result for every other method. */
    const char *mpt = xattr(sg, "missingPredictionTreatment");
    if (!mpt)
        mpt = xattr(sg, "x-missingPredictionTreatment");
    enum { MPT_CONTINUE, MPT_SKIP, MPT_RETURN } treat = MPT_CONTINUE;
    if (mpt && !strcmp(mpt, "returnMissing"))
        treat = MPT_RETURN;
    else if (mpt && !strcmp(mpt, "skipSegment"))
        treat = MPT_SKIP;
    else if (mpt && strcmp(mpt, "continue") != 0) {
        diag_error(L->d, aloc(L, sg, xattr(sg, "missingPredictionTreatment") ? "missingPredictionTreatment"
                                                                               : "x-missingPredictionTreatment"),
                   "missingPredictionTreatment \'%s\' is not known", mpt);
        return 1;
    }
    double threshold = 1;
    const char *mth = xattr(sg, "missingThreshold");
    if (mth && (!parse_double(mth, &threshold) || threshold < 0 || threshold > 1)) {
        diag_error(L->d, aloc(L, sg, "missingThreshold"), "missingThreshold \'%s\' is not a number from 0 to 1", mth);
        return 1;
    }
    if (treat == MPT_SKIP && mm == MM_MODEL_CHAIN) {
        diag_error(L->d, aloc(L, sg, "missingPredictionTreatment"), "skipSegment does not apply to modelChain");
        return 1;
    }
    int votes = mm == MM_MAJORITY || mm == MM_WEIGHTED_MAJORITY;
    int classify = r->func == FUNC_CLASSIFICATION;
    /* clusters vote as classes do (their ids are the labels) */
    if (r->func == FUNC_CLUSTERING && votes)
        classify = 1;
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
    if (r->func != FUNC_REGRESSION && !classify && mm != MM_SELECT_FIRST && mm != MM_MODEL_CHAIN &&
        mm != MM_SELECT_ALL) {
        diag_error(L->d, aloc(L, sg, "multipleModelMethod"), "multipleModelMethod \'%s\' does not apply to the "
                   "function \'%s\'", mms, xattr(m, "functionName"));
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
        g->wvar = -1;
        for (int j = 0; j < se->nkids; j++) {
            if (!g->pred && is_predicate_elem(se->kids[j]))
                g->pred = se->kids[j];
            else if (!g->model && is_model_elem(se->kids[j]))
                g->model = se->kids[j];
            else if (!strcmp(se->kids[j]->name, "VariableWeight"))
                g->vw = se->kids[j];
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
    /* segment ids (implicit: 1-based positions), for entityId and segmentId */
    const XElem **selems = ARENA_ARRAY(L->a, const XElem *, n + 1);
    for (int i = 0; i < n; i++)
        selems[i] = segs[i].elem;
    const char **sids = entity_ids(L, selems, n);
    if (L->d->errors)
        return 1;
    r->nsegs = n;
    r->segs = ARENA_ARRAY(L->a, SegResult, n + 1);
    IrType *nt = num_type(L);
    IrType *dt = ir_type(T_DOUBLE);
    IrType *acc_t = classify ? dt : nt;
    int capc = 0;
    if (classify) {
        int nc;
        const char **tc = target_categories(L, r, &nc);
        for (int i = 0; i < nc; i++)
            result_add_cat(L, r, tc[i], &capc);
    }
    /* accumulators */
    int acc = -1, wsum = -1, any_missing = -1, count = -1;
    int *vals = NULL;     /* median: one var per segment */
    if (!classify && mm != MM_SELECT_ALL) {
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
    /* the weights of the segments that ran and of those without a prediction */
    int ran_w = ir_add_var(b, "weight run", dt), miss_w = ir_add_var(b, "weight missing", dt);
    int miss_n = ir_add_var(b, "segments missing", dt);
    ir_set(b, blk, ran_w, ir_lit_double(b, 0));
    ir_set(b, blk, miss_w, ir_lit_double(b, 0));
    ir_set(b, blk, miss_n, ir_lit_double(b, 0));
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

    if ((mm == MM_SELECT_FIRST || mm == MM_MODEL_CHAIN) && r->entity < 0) {
        r->entity = ir_add_var(b, "segment id", ir_nullable(L->a, ir_type(T_STRING)));
        ir_set(b, blk, r->entity, ir_lit_null(b, ir_type(T_STRING)));
    }
    /* modelChain: each target's value under its name */
    const char **ctargets = NULL;
    int *cvars = NULL, nct = 0, capct = 0, capcv = 0;

    for (int i = 0; i < n; i++) {
        Seg *g = &segs[i];
        int ran = ir_add_var(b, arena_printf(L->a, "segment %s ran", sids[i]), ir_type(T_BOOL));
        ir_set(b, blk, ran, ir_lit_bool(b, 0));
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
        ModelResult *srp = ARENA_NEW(L->a, ModelResult);
        /* entities this MiningModel's outputs rank in the segment (segmentId) */
        int saved_hint = L->rank_hint;
        const XElem *mout = xchild(m, "Output");
        for (int k = 0; mout && k < mout->nkids; k++) {
            const char *sgid = xattr(mout->kids[k], "segmentId"), *rk = xattr(mout->kids[k], "rank");
            long long rv;
            if (sgid && rk && !strcmp(sgid, sids[i]) && parse_long(rk, &rv) && rv > L->rank_hint && rv <= 1000000)
                L->rank_hint = (int)rv;
        }
        int failed = lower_model(L, g->model, mm == MM_MODEL_CHAIN ? chain : s, sb, srp);
        L->rank_hint = saved_hint;
        if (failed)
            return 1;
        ModelResult sr = *srp;
        ir_set(b, sb, ran, ir_lit_bool(b, 1));
        r->segs[i] = (SegResult){.id = sids[i], .ran = ran, .r = srp};
        if (g->vw) {
            IrExpr *wx = variable_weight(L, g, &sr, mm == MM_MODEL_CHAIN ? chain : s);
            if (!wx)
                return 1;
            if (!ir_is_numeric(wx->type)) {
                diag_error(L->d, lloc(L, g->vw), "VariableWeight field \'%s\' is not a number", xattr(g->vw, "field"));
                return 1;
            }
            g->wvar = ir_add_var(b, arena_printf(L->a, "segment %s weight", sids[i]), ir_nullable(L->a, dt));
            ir_set(b, sb, g->wvar, ir_cast(b, dt, wx));
        }
        if (found >= 0) {
            IrBlock *fb = sb;
            if (treat == MPT_SKIP && sr.value >= 0) {
                /* skipSegment: a segment without a prediction is not selected */
                IrStmt *fs = ir_if_stmt(b, sb, ir_call1(b, FN_NOT, ir_type(T_BOOL), ir_is_null(b, ir_var(b, sr.value))));
                fb = &fs->then_b;
            }
            ir_set(b, fb, found, ir_lit_bool(b, 1));
            ir_set(b, fb, r->entity, ir_lit_str(b, sids[i]));
        } else if (mm == MM_MODEL_CHAIN)
            ir_set(b, sb, r->entity, ir_lit_str(b, sids[i]));
        if (mm == MM_MODEL_CHAIN && sr.target && sr.value >= 0) {
            int t;
            for (t = 0; t < nct; t++)
                if (!strcmp(ctargets[t], sr.target))
                    break;
            IrType *vt = ir_base(b->p->vars[sr.value].type);
            if (t == nct) {
                VEC_PUSH(L->a, ctargets, nct, capct, sr.target);
                nct--;
                VEC_PUSH(L->a, cvars, nct, capcv, ir_add_var(b, sr.target, ir_nullable(L->a, vt)));
            }
            if (ir_base(b->p->vars[cvars[t]].type) == vt)
                ir_set(b, sb, cvars[t], ir_var(b, sr.value));
        }
        if (mm == MM_SELECT_ALL)
            continue;
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
                    result_add_cat(L, r, sr.cats[c], &capc);
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
            continue;
        }
        /* aggregate */
        if (sr.value < 0) {
            diag_error(L->d, lloc(L, g->model), "segment model has no predicted value");
            return 1;
        }
        if (classify && votes && sr.ncats == 0 && sr.nlabels == 0 &&
            ir_base(b->p->vars[sr.value].type)->kind == T_STRING) {
            diag_error(L->d, lloc(L, g->model), "the labels this segment predicts are not known: its votes "
                       "cannot be counted");
            return 1;
        }
        double w = g->weight;
        /* the segment's weight: its weight attribute, or its VariableWeight */
        IrExpr *wx = g->wvar >= 0 ? ir_var(b, g->wvar) : ir_lit_double(b, w);
        IrExpr *isnull = ir_is_null(b, ir_var(b, sr.value));
        if (g->wvar >= 0)
            isnull = ir_call2(b, FN_OR, ir_type(T_BOOL), isnull, ir_is_null(b, ir_var(b, g->wvar)));
        if (treat != MPT_RETURN)
            ir_set(b, sb, ran_w, ir_call2(b, FN_ADD, dt, ir_var(b, ran_w), ir_coalesce(b, wx, ir_lit_double(b, 0))));
        IrStmt *chk = ir_if_stmt(b, sb, isnull);
        ir_set(b, &chk->then_b, any_missing, ir_lit_bool(b, 1));
        if (treat != MPT_RETURN) {
            ir_set(b, &chk->then_b, miss_w,
                   ir_call2(b, FN_ADD, dt, ir_var(b, miss_w), ir_coalesce(b, wx, ir_lit_double(b, 0))));
            ir_set(b, &chk->then_b, miss_n, ir_call2(b, FN_ADD, dt, ir_var(b, miss_n), ir_lit_double(b, 1)));
        }
        IrBlock *ok = &chk->else_b;
        /* with every segment always on, the count of a sum is known */
        if (!all_true || mm != MM_SUM || treat == MPT_SKIP) {
            ir_set(b, ok, count, ir_call2(b, FN_ADD, dt, ir_var(b, count), ir_lit_double(b, 1)));
            ir_set(b, ok, wsum, ir_call2(b, FN_ADD, dt, ir_var(b, wsum), wx));
        }
        if (!classify) {
            IrExpr *v = ir_cast(b, acc_t, ir_var(b, sr.value));
            IrExpr *wl = g->wvar >= 0 ? ir_cast(b, acc_t, wx)
                         : acc_t->kind == T_FLOAT ? ir_lit_float(b, (float)w) : ir_lit_double(b, w);
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
                if (g->wvar < 0) {
                    g->wvar = ir_add_var(b, "segment weight", ir_nullable(L->a, dt));
                    ir_set(b, ok, g->wvar, ir_lit_double(b, w));
                }
                break;
            default:
                NV_ASSERT(0);
            }
            continue;
        }
        /* classification aggregates */
        for (int c = 0; c < sr.ncats; c++)
            result_add_cat(L, r, sr.cats[c], &capc);
        for (int c = 0; c < sr.nlabels; c++)
            result_add_cat(L, r, sr.labels[c], &capc);
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
            IrExpr *wv = mm == MM_MAJORITY ? ir_lit_double(b, 1) : wx;
            for (int c = 0; c < r->ncats; c++) {
                IrStmt *vs = ir_if_stmt(b, ok, ir_call2(b, FN_EQ, ir_type(T_BOOL), lab,
                                                        ir_lit_str(b, r->cats[c])));
                ir_set(b, &vs->then_b, cacc[c], ir_call2(b, FN_ADD, dt, ir_var(b, cacc[c]), wv));
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
                    p = ir_call2(b, FN_MUL, dt, wx, p);
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
    IrExpr *miss;
    if (treat == MPT_SKIP || (votes && treat == MPT_CONTINUE))
        miss = ir_call2(b, FN_GT, ir_type(T_BOOL), ir_call2(b, FN_DIV, dt, ir_var(b, miss_w), ir_var(b, ran_w)),
                        ir_lit_double(b, threshold));
    else
        miss = ir_var(b, any_missing);
    if (!all_true || mm != MM_SUM || treat == MPT_SKIP)
        miss = bool_or(b, miss, ir_call2(b, FN_EQ, ir_type(T_BOOL), ir_var(b, count), ir_lit_double(b, 0)));
    if (votes && treat == MPT_CONTINUE && nacc) {
        /* "missing" wins with more votes than every label */
        IrExpr **vs = ARENA_ARRAY(L->a, IrExpr *, nacc + 1);
        for (int c = 0; c < nacc; c++)
            vs[c] = ir_var(b, cacc[c]);
        IrExpr *most = nacc == 1 ? vs[0] : ir_call(b, FN_MAX, dt, vs, nacc);
        IrExpr *mv = mm == MM_MAJORITY ? ir_var(b, miss_n) : ir_var(b, miss_w);
        miss = bool_or(b, miss, ir_call2(b, FN_GT, ir_type(T_BOOL), mv, most));
    }
    if (nct > 1) {
        /* a chain of models predicting several targets: each under its name */
        r->nsubs = nct;
        r->subs = ARENA_ARRAY(L->a, ModelResult, nct);
        for (int t = 0; t < nct; t++) {
            result_init(&r->subs[t], r->func);
            r->subs[t].target = ctargets[t];
            r->subs[t].target_info = find_datafield(L, ctargets[t]);
            r->subs[t].value = cvars[t];
        }
    }
    if (mm == MM_SELECT_ALL)
        return 0;  /* each segment's results are reached by segmentId */
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
                    args[n + i] = ir_coalesce(b, ir_var(b, segs[i].wvar), ir_lit_double(b, 0));
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
