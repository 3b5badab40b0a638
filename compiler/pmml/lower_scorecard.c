/* Scorecard to IR.  Each Characteristic scores the record by its first
 * Attribute whose predicate is true (a partialScore, or the expression of a
 * ComplexPartialScore); the score is initialScore plus the partial scores in
 * document order.  A characteristic with no true attribute, or a complex
 * score that is missing, makes the record's result invalid (the standard:
 * "the scorecard as a whole returns an invalid value").
 *
 * Reason codes: each characteristic's points are the difference between its
 * baseline and its partial score (pointsBelow: baseline - score; pointsAbove:
 * score - baseline), summed per reason code (the attribute's code, else the
 * characteristic's).  Codes are ranked by their points, greatest first; of
 * equal points the code that was given first (in characteristic order)
 * ranks first; codes with negative points are left out, as JPMML does. */
#include "lower_pmml.h"

#include <math.h>
#include <string.h>

typedef struct Code {
    const char *name;
    int points;            /* double var: summed points */
    int first;             /* double var: index of the first characteristic giving it, 1e300 until then */
} Code;

static int code_index(Lower *L, Code **codes, int *n, int *cap, const char *name)
{
    for (int i = 0; i < *n; i++)
        if (!strcmp((*codes)[i].name, name))
            return i;
    Code c = {.name = name, .points = -1, .first = -1};
    VEC_PUSH(L->a, *codes, *n, *cap, c);
    return *n - 1;
}

int lower_scorecard(Lower *L, const XElem *m, Scope *s, IrBlock *blk, ModelResult *r)
{
    IrBuilder *b = &L->b;
    if (r->func != FUNC_REGRESSION) {
        diag_error(L->d, aloc(L, m, "functionName"), "a Scorecard's functionName must be regression");
        return 1;
    }
    IrType *nt = num_type(L);
    const XElem *chs = xchild(m, "Characteristics");
    if (!chs || !xcount(chs, "Characteristic")) {
        diag_error(L->d, lloc(L, m), "Scorecard has no <Characteristics>");
        return 1;
    }
    double initial = 0, model_base = 0;
    const char *is = xattr(m, "initialScore"), *mb = xattr(m, "baselineScore");
    if (is && !parse_double(is, &initial)) {
        diag_error(L->d, aloc(L, m, "initialScore"), "initialScore \'%s\' is not a number", is);
        return 1;
    }
    if (mb && !parse_double(mb, &model_base)) {
        diag_error(L->d, aloc(L, m, "baselineScore"), "baselineScore \'%s\' is not a number", mb);
        return 1;
    }
    const char *urc = xattr(m, "useReasonCodes");
    int reasons = !urc || !strcmp(urc, "true") || !strcmp(urc, "1");
    const char *alg = xattr(m, "reasonCodeAlgorithm");
    int below = 1;
    if (alg && !strcmp(alg, "pointsAbove"))
        below = 0;
    else if (alg && strcmp(alg, "pointsBelow") != 0) {
        diag_error(L->d, aloc(L, m, "reasonCodeAlgorithm"), "reasonCodeAlgorithm \'%s\' is not known", alg);
        return 1;
    }

    int nch = xcount(chs, "Characteristic");
    Code *codes = NULL;
    int ncodes = 0, capc = 0;
    /* the reason codes, in the order they are first named: their points
       accumulate from 0 through the characteristics */
    for (int k = 0; reasons && k < chs->nkids; k++) {
        const XElem *ch = chs->kids[k];
        if (strcmp(ch->name, "Characteristic") != 0)
            continue;
        for (int j = 0; j < ch->nkids; j++) {
            const XElem *at = ch->kids[j];
            if (strcmp(at->name, "Attribute") != 0)
                continue;
            const char *code = xattr(at, "reasonCode");
            if (!code)
                code = xattr(ch, "reasonCode");
            if (!code) {
                diag_error(L->d, lloc(L, at), "<Attribute> has no reasonCode, nor has its Characteristic "
                           "(useReasonCodes needs one)");
                return 1;
            }
            int c = code_index(L, &codes, &ncodes, &capc, code);
            if (codes[c].points < 0) {
                IrType *dt = ir_type(T_DOUBLE);
                codes[c].points = ir_add_var(b, arena_printf(L->a, "points(%s)", code), dt);
                codes[c].first = ir_add_var(b, arena_printf(L->a, "first(%s)", code), dt);
                ir_set(b, blk, codes[c].points, ir_lit_double(b, 0));
                ir_set(b, blk, codes[c].first, ir_lit_double(b, 1e300));
            }
        }
    }
    IrExpr **terms = ARENA_ARRAY(L->a, IrExpr *, nch + 2);
    int nterms = 0;
    terms[nterms++] = nt->kind == T_FLOAT ? ir_lit_float(b, (float)initial) : ir_lit_double(b, initial);
    int ci = 0;
    for (int k = 0; k < chs->nkids; k++) {
        const XElem *ch = chs->kids[k];
        if (strcmp(ch->name, "Characteristic") != 0)
            continue;
        const char *cname = xattr(ch, "name");
        const char *ccode = xattr(ch, "reasonCode"), *cb = xattr(ch, "baselineScore");
        double base = model_base;
        if (cb && !parse_double(cb, &base)) {
            diag_error(L->d, aloc(L, ch, "baselineScore"), "baselineScore \'%s\' is not a number", cb);
            return 1;
        }
        if (reasons && !cb && !mb) {
            diag_error(L->d, lloc(L, ch), "Characteristic has no baselineScore, nor has the Scorecard "
                       "(useReasonCodes needs one)");
            return 1;
        }
        int ps = ir_add_var(b, cname ? cname : "partial score", ir_nullable(L->a, nt));
        int found = ir_add_var(b, "attribute found", ir_type(T_BOOL));
        ir_set(b, blk, found, ir_lit_bool(b, 0));
        IrStmt *init = ir_set(b, blk, ps, ir_lit_null(b, nt));
        init->comment = arena_printf(L->a, "Characteristic %s", cname ? cname : "");
        init->loc = lloc(L, ch);
        int nattr = 0;
        for (int j = 0; j < ch->nkids; j++) {
            const XElem *at = ch->kids[j];
            if (strcmp(at->name, "Attribute") != 0)
                continue;
            nattr++;
            const XElem *pe = first_predicate(at);
            if (!pe) {
                diag_error(L->d, lloc(L, at), "<Attribute> has no predicate");
                return 1;
            }
            IrPred *pr = lower_predicate(L, s, pe);
            if (!pr)
                return 1;
            /* ComplexPartialScore takes precedence over partialScore */
            IrExpr *score = NULL;
            const XElem *cps = xchild(at, "ComplexPartialScore");
            const char *pss = xattr(at, "partialScore");
            if (cps) {
                const XElem *ex = NULL;
                for (int q = 0; q < cps->nkids; q++)
                    if (strcmp(cps->kids[q]->name, "Extension") != 0)
                        ex = cps->kids[q];
                if (!ex) {
                    diag_error(L->d, lloc(L, cps), "<ComplexPartialScore> has no expression");
                    return 1;
                }
                score = lower_expr(L, s, ex);
                if (!score)
                    return 1;
                if (!ir_is_numeric(score->type)) {
                    diag_error(L->d, lloc(L, ex), "a ComplexPartialScore must be a number");
                    return 1;
                }
                score = ir_cast(b, nt, score);
            } else if (pss) {
                double v;
                if (!parse_double(pss, &v)) {
                    diag_error(L->d, aloc(L, at, "partialScore"), "partialScore \'%s\' is not a number", pss);
                    return 1;
                }
                score = nt->kind == T_FLOAT ? ir_lit_float(b, (float)v) : ir_lit_double(b, v);
            } else {
                diag_error(L->d, lloc(L, at), "<Attribute> has neither a partialScore nor a ComplexPartialScore");
                return 1;
            }
            IrExpr *cond = ir_call2(b, FN_AND, ir_type(T_BOOL),
                                    ir_call1(b, FN_NOT, ir_type(T_BOOL), ir_var(b, found)), pred_true_expr(L, pr));
            IrStmt *st = ir_if_stmt(b, blk, cond);
            st->loc = lloc(L, at);
            IrBlock *tb = &st->then_b;
            ir_set(b, tb, found, ir_lit_bool(b, 1));
            ir_set(b, tb, ps, score);
            if (cps) {
                /* a missing complex score leaves the scorecard undefined */
                IrStmt *miss = ir_if_stmt(b, tb, ir_is_null(b, ir_var(b, ps)));
                ir_return_invalid(b, &miss->then_b, lloc(L, cps));
            }
            if (!reasons)
                continue;
            const char *code = xattr(at, "reasonCode");
            int c = code_index(L, &codes, &ncodes, &capc, code ? code : ccode);
            IrType *dt = ir_type(T_DOUBLE);
            IrExpr *sc = ir_cast(b, dt, ir_var(b, ps)), *bl = ir_lit_double(b, base);
            IrExpr *diff = below ? ir_call2(b, FN_SUB, dt, bl, sc) : ir_call2(b, FN_SUB, dt, sc, bl);
            ir_set(b, tb, codes[c].points, ir_call2(b, FN_ADD, dt, ir_var(b, codes[c].points), diff));
            IrStmt *fs = ir_if_stmt(b, tb, ir_call2(b, FN_GT, ir_type(T_BOOL), ir_var(b, codes[c].first),
                                                    ir_lit_double(b, ci)));
            ir_set(b, &fs->then_b, codes[c].first, ir_lit_double(b, ci));
        }
        if (!nattr) {
            diag_error(L->d, lloc(L, ch), "Characteristic has no <Attribute>");
            return 1;
        }
        /* no attribute applies: the scorecard has no result */
        IrStmt *none = ir_if_stmt(b, blk, ir_call1(b, FN_NOT, ir_type(T_BOOL), ir_var(b, found)));
        ir_return_invalid(b, &none->then_b, lloc(L, ch));
        terms[nterms++] = ir_var(b, ps);
        ci++;
    }
    r->value = ir_add_var(b, "score", ir_nullable(L->a, nt));
    IrStmt *st = ir_set(b, blk, r->value, ir_linear(b, nt, terms, nterms));
    st->comment = "Scorecard: initialScore + the partial scores";
    st->loc = lloc(L, m);
    if (!reasons)
        return 0;

    IrExpr **args = ARENA_ARRAY(L->a, IrExpr *, 2 * ncodes + 2);
    for (int c = 0; c < ncodes; c++) {
        /* a code no characteristic gave, or with negative points, is left out */
        IrExpr *given = ir_call2(b, FN_LT, ir_type(T_BOOL), ir_var(b, codes[c].first), ir_lit_double(b, 1e300));
        IrExpr *pos = ir_call2(b, FN_GE, ir_type(T_BOOL), ir_var(b, codes[c].points), ir_lit_double(b, 0));
        args[1 + c] = ir_if(b, ir_call2(b, FN_AND, ir_type(T_BOOL), given, pos), ir_var(b, codes[c].points),
                            ir_lit_double(b, NAN));
        args[1 + ncodes + c] = ir_var(b, codes[c].first);
    }
    IrTable *names = ir_table(b, ir_type(T_STRING), ncodes, 1);
    for (int c = 0; c < ncodes; c++)
        names->str[c] = codes[c].name;
    r->nreasons = ncodes;
    r->reasons = ARENA_ARRAY(L->a, int, ncodes + 1);
    for (int k = 0; k < ncodes; k++) {
        IrExpr **a = ARENA_ARRAY(L->a, IrExpr *, 2 * ncodes + 2);
        memcpy(a, args, sizeof *a * (size_t)(2 * ncodes + 1));
        a[0] = lit_int(b, k + 1);
        IrExpr *ix = ir_call(b, FN_RANK, ir_type(T_INT), a, 2 * ncodes + 1);
        r->reasons[k] = ir_add_var(b, arena_printf(L->a, "reason code %d", k + 1),
                                   ir_nullable(L->a, ir_type(T_STRING)));
        IrStmt *rs = ir_set(b, blk, r->reasons[k], ir_lookup(b, ix, names));
        rs->comment = arena_printf(L->a, "reason code of rank %d", k + 1);
    }
    return 0;
}
