/* RegressionModel to IR: one linear predictor per RegressionTable, then the
 * normalization that turns predictors into a value or class probabilities. */
#include "lower_pmml.h"

#include <string.h>

static IrExpr *numlit(Lower *L, double v)
{
    return L->float_ctx ? ir_lit_float(&L->b, (float)v) : ir_lit_double(&L->b, v);
}

static int need_num(Lower *L, const XElem *e, const char *attr, double dflt, double *out)
{
    const char *s = xattr(e, attr);
    if (!s) {
        *out = dflt;
        return 1;
    }
    if (!parse_double(s, out)) {
        diag_error(L->d, aloc(L, e, attr), "%s \'%s\' is not a number", attr, s);
        return 0;
    }
    if (L->float_ctx)
        *out = (float)*out;
    return 1;
}

/* A table's sum is one flat E_LINEAR of its terms in document order (the
   C backend reads a long run of coefficient-times-input terms from a table
   of data); past TERMS_PER_STATEMENT terms the partial sum goes into a
   variable, so that a table of 50,000 predictors is some fifty statements
   the C backend can spread over several functions, not one */
#define TERMS_PER_STATEMENT 1024

/* intercept + sum of terms, in document order (the partial sums of long
   tables set into variables in blk) */
static IrExpr *lower_table(Lower *L, Scope *s, const XElem *t, IrBlock *blk)
{
    IrBuilder *b = &L->b;
    IrType *nt = num_type(L);
    double icpt;
    if (!need_num(L, t, "intercept", 0, &icpt))
        return NULL;
    IrExpr **terms = NULL;
    int n = 0, cap = 0;
    VEC_PUSH(L->a, terms, n, cap, numlit(L, icpt));
    for (int k = 0; k < t->nkids; k++) {
        const XElem *p = t->kids[k];
        IrExpr *term = NULL;
        double coef;
        if (!strcmp(p->name, "NumericPredictor")) {
            Field *f = need_field(L, s, xattr(p, "name"), p);
            double ex;
            if (!f || !need_num(L, p, "coefficient", 1, &coef) || !need_num(L, p, "exponent", 1, &ex))
                return NULL;
            IrExpr *x = ir_cast(b, nt, ir_var(b, f->var));
            if (ex != 1) {
                if (ex == 2)
                    x = ir_call2(b, FN_MUL, nt, x, x);
                else
                    x = ir_call2(b, FN_POW, nt, x, numlit(L, ex));
            }
            term = ir_call2(b, FN_MUL, nt, numlit(L, coef), x);
        } else if (!strcmp(p->name, "CategoricalPredictor")) {
            Field *f = need_field(L, s, xattr(p, "name"), p);
            const char *v = xattr(p, "value");
            if (!f || !need_num(L, p, "coefficient", 1, &coef))
                return NULL;
            if (!v) {
                diag_error(L->d, lloc(L, p), "CategoricalPredictor without a value");
                return NULL;
            }
            IrExpr *x = ir_var(b, f->var);
            IrExpr *c = lower_constant_for(L, v, x->type, p);
            if (!c)
                return NULL;
            IrExpr *eq = ir_call2(b, FN_EQ, ir_type(T_BOOL), x, c);
            term = ir_if(b, eq, numlit(L, coef), numlit(L, 0));
        } else if (!strcmp(p->name, "PredictorTerm")) {
            if (!need_num(L, p, "coefficient", 1, &coef))
                return NULL;
            IrExpr *prod = numlit(L, coef);
            for (int j = 0; j < p->nkids; j++) {
                const XElem *fr = p->kids[j];
                if (strcmp(fr->name, "FieldRef") != 0)
                    continue;
                IrExpr *x = lower_expr(L, s, fr);
                if (!x)
                    return NULL;
                prod = ir_call2(b, FN_MUL, nt, prod, ir_cast(b, nt, x));
            }
            term = prod;
        } else
            continue;
        VEC_PUSH(L->a, terms, n, cap, term);
        if (n > TERMS_PER_STATEMENT) {
            int part = ir_add_var(b, "partial sum", ir_nullable(L->a, nt));
            ir_set(b, blk, part, ir_linear(b, nt, terms, n));
            n = 0;
            VEC_PUSH(L->a, terms, n, cap, ir_var(b, part));
        }
    }
    return n == 1 ? terms[0] : ir_linear(b, nt, terms, n);
}

typedef enum { NM_NONE, NM_SOFTMAX, NM_SIMPLEMAX, NM_LOGIT, NM_PROBIT, NM_CLOGLOG, NM_EXP,
               NM_LOGLOG, NM_CAUCHIT, NM_BAD } Norm;

static Norm parse_norm(const char *s)
{
    if (!s || !strcmp(s, "none")) return NM_NONE;
    if (!strcmp(s, "softmax")) return NM_SOFTMAX;
    if (!strcmp(s, "simplemax")) return NM_SIMPLEMAX;
    if (!strcmp(s, "logit")) return NM_LOGIT;
    if (!strcmp(s, "probit")) return NM_PROBIT;
    if (!strcmp(s, "cloglog")) return NM_CLOGLOG;
    if (!strcmp(s, "exp")) return NM_EXP;
    if (!strcmp(s, "loglog")) return NM_LOGLOG;
    if (!strcmp(s, "cauchit")) return NM_CAUCHIT;
    return NM_BAD;
}

/* the inverse link of one predictor */
static IrExpr *link1(Lower *L, Norm nm, IrExpr *y)
{
    IrBuilder *b = &L->b;
    IrType *nt = num_type(L);
    switch (nm) {
    case NM_LOGIT: return ir_call1(b, FN_LOGISTIC, nt, y);
    case NM_EXP: return ir_call1(b, FN_EXP, nt, y);
    case NM_PROBIT: return ir_call1(b, FN_STDNORM_CDF, ir_type(T_DOUBLE), ir_cast(b, ir_type(T_DOUBLE), y));
    case NM_CLOGLOG: return ir_call1(b, FN_CLOGLOG_INV, ir_type(T_DOUBLE), ir_cast(b, ir_type(T_DOUBLE), y));
    case NM_LOGLOG: return ir_call1(b, FN_LOGLOG_INV, ir_type(T_DOUBLE), ir_cast(b, ir_type(T_DOUBLE), y));
    case NM_CAUCHIT: return ir_call1(b, FN_CAUCHIT_INV, ir_type(T_DOUBLE), ir_cast(b, ir_type(T_DOUBLE), y));
    default: return y;
    }
}

int lower_regression_model(Lower *L, const XElem *m, Scope *s, IrBlock *blk, ModelResult *r)
{
    IrBuilder *b = &L->b;
    IrType *nt = num_type(L);
    Norm nm = parse_norm(xattr(m, "normalizationMethod"));
    if (nm == NM_BAD) {
        diag_error(L->d, aloc(L, m, "normalizationMethod"), "normalizationMethod \'%s\' is not supported",
                   xattr(m, "normalizationMethod"));
        return 1;
    }
    int nt_tables = xcount(m, "RegressionTable");
    if (nt_tables == 0) {
        diag_error(L->d, lloc(L, m), "RegressionModel has no RegressionTable");
        return 1;
    }
    if (r->func == FUNC_REGRESSION) {
        const XElem *t = xchild(m, "RegressionTable");
        IrExpr *y = lower_table(L, s, t, blk);
        if (!y)
            return 1;
        if (nm == NM_SOFTMAX || nm == NM_SIMPLEMAX)
            nm = nm == NM_SOFTMAX ? NM_LOGIT : NM_NONE;
        y = link1(L, nm, y);
        r->value = ir_add_var(b, "regression", ir_nullable(L->a, ir_base(y->type)));
        IrStmt *st = ir_set(b, blk, r->value, y);
        st->comment = "RegressionModel (regression)";
        st->loc = lloc(L, t);
        return 0;
    }
    if (r->func != FUNC_CLASSIFICATION) {
        diag_error(L->d, lloc(L, m), "RegressionModel for this function is not supported");
        return 1;
    }
    /* one predictor per class */
    int n = nt_tables;
    r->ncats = n;
    r->cats = ARENA_ARRAY(L->a, const char *, n);
    r->probs = ARENA_ARRAY(L->a, int, n);
    int *ys = ARENA_ARRAY(L->a, int, n);
    int i = 0;
    for (int k = 0; k < m->nkids; k++) {
        const XElem *t = m->kids[k];
        if (strcmp(t->name, "RegressionTable") != 0)
            continue;
        const char *tc = xattr(t, "targetCategory");
        if (!tc) {
            diag_error(L->d, lloc(L, t), "RegressionTable of a classification needs targetCategory");
            return 1;
        }
        r->cats[i] = tc;
        IrExpr *y = lower_table(L, s, t, blk);
        if (!y)
            return 1;
        ys[i] = ir_add_var(b, arena_printf(L->a, "predictor(%s)", tc), ir_nullable(L->a, nt));
        IrStmt *st = ir_set(b, blk, ys[i], y);
        st->comment = arena_printf(L->a, "RegressionTable %s", tc);
        st->loc = lloc(L, t);
        i++;
    }
    /* a binary model may carry one table: the other class is the complement */
    int ntc;
    const char **tc = target_categories(L, r, &ntc);
    if (n == 1 && ntc == 2 && nm != NM_SOFTMAX && nm != NM_SIMPLEMAX) {
        const char *other = strcmp(tc[0], r->cats[0]) ? tc[0] : tc[1];
        const char **cats = ARENA_ARRAY(L->a, const char *, 2);
        cats[0] = r->cats[0];
        cats[1] = other;
        r->cats = cats;
        r->probs = ARENA_ARRAY(L->a, int, 2);
        int *ys2 = ARENA_ARRAY(L->a, int, 2);
        ys2[0] = ys[0];
        ys2[1] = -1;
        ys = ys2;
        n = r->ncats = 2;
    }
    for (i = 0; i < n; i++)
        r->probs[i] = ir_add_var(b, arena_printf(L->a, "probability(%s)", r->cats[i]),
                                 ir_nullable(L->a, ir_type(T_DOUBLE)));
    IrType *dt = ir_type(T_DOUBLE);
    if (nm == NM_SOFTMAX || nm == NM_SIMPLEMAX) {
        int *ex = ARENA_ARRAY(L->a, int, n);
        int sum = ir_add_var(b, "sum", ir_nullable(L->a, dt));
        IrExpr **terms = ARENA_ARRAY(L->a, IrExpr *, n + 1);
        for (i = 0; i < n; i++) {
            IrExpr *y = ir_cast(b, dt, ir_var(b, ys[i]));
            ex[i] = ir_add_var(b, "exp", ir_nullable(L->a, dt));
            ir_set(b, blk, ex[i], nm == NM_SOFTMAX ? ir_call1(b, FN_EXP, dt, y) : y);
            terms[i] = ir_var(b, ex[i]);
        }
        IrExpr *acc = n == 1 ? terms[0] : n ? ir_linear(b, dt, terms, n) : NULL;
        ir_set(b, blk, sum, acc);
        for (i = 0; i < n; i++)
            ir_set(b, blk, r->probs[i], ir_call2(b, FN_DIV, dt, ir_var(b, ex[i]), ir_var(b, sum)));
    } else if (n == 2) {
        /* binary: the first class's predictor decides, the second is its complement */
        IrExpr *p0 = ir_cast(b, dt, link1(L, nm, ir_var(b, ys[0])));
        ir_set(b, blk, r->probs[0], p0);
        ir_set(b, blk, r->probs[1], ir_call2(b, FN_SUB, dt, ir_lit_double(b, 1), ir_var(b, r->probs[0])));
    } else {
        for (i = 0; i < n; i++)
            ir_set(b, blk, r->probs[i], ir_cast(b, dt, link1(L, nm, ir_var(b, ys[i]))));
    }
    result_argmax(L, blk, r);
    return 0;
}
