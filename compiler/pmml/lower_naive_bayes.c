/* NaiveBayesModel to IR.  Each class's score is a sum of logarithms, in the
 * reference evaluator's (JPMML's) order: the log of its count in
 * BayesOutput, then for each BayesInput in document order the log of the
 * probability of the input's value given the class; a softmax turns the
 * scores into probabilities.  An input that is missing, or whose value no
 * PairCounts names, adds nothing (PMML: "missing values are ignored").
 *
 * A discrete input's log probabilities are a table per class, indexed by
 * the input's value found among the PairCounts (a sorted search), so a field
 * of 10,000 values is data, not a chain of tests: count / (the class's count
 * over the input's PairCounts), or the model's threshold where the count is
 * 0, computed here.  A continuous input's density (Gaussian, Poisson) comes
 * from the shared kernels, below the threshold replaced by it. */
#include "lower_pmml.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct Key {
    const char *text;  /* as the document writes it */
    double num;        /* numeric fields: its value */
    int pc;            /* the PairCounts it names */
} Key;

static int cmp_key_num(const void *a, const void *b)
{
    double x = ((const Key *)a)->num, y = ((const Key *)b)->num;
    return x < y ? -1 : x > y;
}

static int cmp_key_str(const void *a, const void *b)
{
    return strcmp(((const Key *)a)->text, ((const Key *)b)->text);
}

static int cat_index(const char **cats, int n, const char *c)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(cats[i], c))
            return i;
    return -1;
}

/* the TargetValueCounts of e: counts per class (added to acc[] when given),
   NaN for classes it does not name; 0 after an error */
static int read_counts(Lower *L, const XElem *e, const char **cats, int ncats, double *cnt)
{
    const XElem *tvc = xchild(e, "TargetValueCounts");
    if (!tvc) {
        diag_error(L->d, lloc(L, e), "<%s> has no TargetValueCounts", e->name);
        return 0;
    }
    for (int c = 0; c < ncats; c++)
        cnt[c] = NAN;
    for (int k = 0; k < tvc->nkids; k++) {
        const XElem *t = tvc->kids[k];
        if (strcmp(t->name, "TargetValueCount") != 0)
            continue;
        const char *v = xattr(t, "value");
        int c = v ? cat_index(cats, ncats, v) : -1;
        if (!v || !xattr(t, "count")) {
            diag_error(L->d, lloc(L, t), "TargetValueCount needs a value and a count");
            return 0;
        }
        if (c < 0) {
            diag_error(L->d, aloc(L, t, "value"), "class '%s' is not in the BayesOutput", v);
            return 0;
        }
        if (!attr_double(L, t, "count", 0, &cnt[c]))
            return 0;
    }
    return 1;
}

/* A discrete input: per class, the log probability of its value, by a
   table search; terms[c] gets it (null when the value is missing or no
   PairCounts names it; 0 for a class its PairCounts leaves out) */
static int discrete_input(Lower *L, Scope *s, const XElem *bi, Field *f, double thr, const char **cats,
                          int ncats, IrBlock *blk, IrExpr **terms)
{
    IrBuilder *b = &L->b;
    IrType *dt = ir_type(T_DOUBLE);
    IrExpr *x = ir_var(b, f->var);
    IrType *t = ir_base(x->type);
    const XElem *df = xchild(bi, "DerivedField");
    if (df) {
        /* a Discretize of the field, matched against the PairCounts */
        if (!xchild(df, "Discretize")) {
            diag_error(L->d, lloc(L, df), "a BayesInput's DerivedField must be a Discretize");
            return 0;
        }
        Scope *ds = scope_new(L, s);
        if (!(x = lower_derived_value(L, ds, df, blk, &t)))
            return 0;
    }
    int npc = xcount(bi, "PairCounts");
    Key *keys = ARENA_ARRAY(L->a, Key, npc + 1);
    double *cnt = ARENA_ARRAY(L->a, double, (size_t)npc * (size_t)ncats + 1);
    double *sum = ARENA_ARRAY(L->a, double, ncats + 1);
    for (int c = 0; c < ncats; c++)
        sum[c] = NAN;
    int j = 0, numeric = ir_is_numeric(t);
    if (!numeric && t->kind != T_STRING) {
        x = ir_cast(b, ir_type(T_STRING), x); /* booleans match "true" and "false" */
        t = ir_type(T_STRING);
    }
    for (int k = 0; k < bi->nkids; k++) {
        const XElem *pc = bi->kids[k];
        if (strcmp(pc->name, "PairCounts") != 0)
            continue;
        const char *v = xattr(pc, "value");
        if (!v) {
            diag_error(L->d, lloc(L, pc), "PairCounts without a value");
            return 0;
        }
        keys[j].text = v;
        keys[j].pc = j;
        if (numeric && !parse_double(v, &keys[j].num)) {
            diag_error(L->d, aloc(L, pc, "value"), "PairCounts value '%s' is not a number, and '%s' is", v,
                       f->name);
            return 0;
        }
        if (!read_counts(L, pc, cats, ncats, cnt + (size_t)j * (size_t)ncats))
            return 0;
        /* each class's count over the input's PairCounts, in order */
        for (int c = 0; c < ncats; c++) {
            double n = cnt[(size_t)j * (size_t)ncats + (size_t)c];
            if (n == n)
                sum[c] = sum[c] == sum[c] ? sum[c] + n : n;
        }
        j++;
    }
    /* sorted keys, each once (the first PairCounts of a value counts) */
    qsort(keys, (size_t)npc, sizeof *keys, numeric ? cmp_key_num : cmp_key_str);
    int u = 0;
    for (int i = 0; i < npc; i++) {
        if (u && (numeric ? keys[u - 1].num == keys[i].num : !strcmp(keys[u - 1].text, keys[i].text))) {
            if (keys[i].pc < keys[u - 1].pc)
                keys[u - 1] = keys[i];
            continue;
        }
        keys[u++] = keys[i];
    }
    IrExpr *idx;
    if (numeric) {
        IrTable *kt = ir_table(b, dt, u, 1);
        for (int i = 0; i < u; i++)
            kt->num[i] = keys[i].num;
        idx = ir_find_num(b, ir_cast(b, dt, x), kt);
    } else {
        const char **ks = ARENA_ARRAY(L->a, const char *, u + 1);
        for (int i = 0; i < u; i++)
            ks[i] = keys[i].text;
        idx = ir_intern(b, x, ks, u);
    }
    int iv = ir_add_var(b, arena_printf(L->a, "PairCounts of %s", f->name), ir_type(T_INT));
    IrStmt *st = ir_set(b, blk, iv, idx);
    st->comment = arena_printf(L->a, "BayesInput %s", f->name);
    st->loc = lloc(L, bi);
    for (int c = 0; c < ncats; c++) {
        IrTable *lp = ir_table(b, dt, u, 1);
        int any = 0;
        for (int i = 0; i < u; i++) {
            double n = cnt[(size_t)keys[i].pc * (size_t)ncats + (size_t)c], p;
            if (n != n) {
                lp->num[i] = 0; /* no term */
                continue;
            }
            /* a count of 0 is the threshold (JPMML: below 2^-53) */
            p = fabs(n) < 0x1p-53 ? thr : n / sum[c];
            lp->num[i] = log(p);
            any = 1;
        }
        if (any)
            terms[c] = ir_coalesce(b, ir_lookup(b, ir_var(b, iv), lp), ir_lit_double(b, 0));
    }
    return 1;
}

/* A continuous input: per class with a distribution, the log of its
   density at the value, at least the threshold */
static int continuous_input(Lower *L, const XElem *tvs, Field *f, double thr, const char **cats, int ncats,
                            IrBlock *blk, IrExpr **terms)
{
    IrBuilder *b = &L->b;
    IrType *dt = ir_type(T_DOUBLE);
    IrExpr *x = ir_var(b, f->var);
    if (!ir_is_numeric(x->type)) {
        diag_error(L->d, lloc(L, tvs), "BayesInput '%s' with TargetValueStats is not a number", f->name);
        return 0;
    }
    x = ir_cast(b, dt, x);
    for (int k = 0; k < tvs->nkids; k++) {
        const XElem *st = tvs->kids[k];
        if (strcmp(st->name, "TargetValueStat") != 0)
            continue;
        const char *v = xattr(st, "value");
        int c = v ? cat_index(cats, ncats, v) : -1;
        if (c < 0) {
            diag_error(L->d, v ? aloc(L, st, "value") : lloc(L, st), "TargetValueStat: class '%s' is not in the "
                       "BayesOutput", v ? v : "");
            return 0;
        }
        const XElem *g = xchild(st, "GaussianDistribution"), *po = xchild(st, "PoissonDistribution");
        double mean, var;
        IrExpr *p;
        if (g) {
            if (!xattr(g, "mean") || !xattr(g, "variance")) {
                diag_error(L->d, lloc(L, g), "GaussianDistribution needs a mean and a variance");
                return 0;
            }
            if (!attr_double(L, g, "mean", 0, &mean) || !attr_double(L, g, "variance", 0, &var))
                return 0;
            if (!(var > 0)) {
                diag_error(L->d, aloc(L, g, "variance"), "variance %s is not positive", xattr(g, "variance"));
                return 0;
            }
            IrExpr *a[3] = {x, ir_lit_double(b, mean), ir_lit_double(b, sqrt(var))};
            p = ir_call1(b, FN_EXP, dt, ir_call(b, FN_NORMAL_LOGPDF, dt, a, 3));
        } else if (po) {
            if (!xattr(po, "mean") || !attr_double(L, po, "mean", 0, &mean)) {
                if (!xattr(po, "mean"))
                    diag_error(L->d, lloc(L, po), "PoissonDistribution needs a mean");
                return 0;
            }
            p = ir_call2(b, FN_POISSON_PDF, dt, x, ir_lit_double(b, mean));
        } else {
            diag_error(L->d, lloc(L, st), "a naive Bayes TargetValueStat is a GaussianDistribution or a "
                       "PoissonDistribution (PMML restricts them so)");
            return 0;
        }
        /* the density, but not below the threshold (a NaN stays) */
        int pv = ir_add_var(b, arena_printf(L->a, "P(%s | %s)", f->name, cats[c]), ir_nullable(L->a, dt));
        IrStmt *s = ir_set(b, blk, pv, ir_call2(b, FN_MAX, dt, p, ir_lit_double(b, thr)));
        s->loc = lloc(L, st);
        terms[c] = ir_coalesce(b, ir_call1(b, FN_LN, dt, ir_var(b, pv)), ir_lit_double(b, 0));
    }
    return 1;
}

int lower_naive_bayes_model(Lower *L, const XElem *m, Scope *s, IrBlock *blk, ModelResult *r)
{
    IrBuilder *b = &L->b;
    IrType *dt = ir_type(T_DOUBLE);
    if (r->func != FUNC_CLASSIFICATION) {
        diag_error(L->d, aloc(L, m, "functionName"), "a NaiveBayesModel classifies");
        return 1;
    }
    if (L->float_ctx) {
        diag_error(L->d, lloc(L, m), "NaiveBayesModel in float arithmetic (x-mathContext) is not supported yet");
        return 1;
    }
    double thr;
    if (!xattr(m, "threshold")) {
        diag_error(L->d, lloc(L, m), "NaiveBayesModel needs a threshold");
        return 1;
    }
    if (!attr_double(L, m, "threshold", 0, &thr))
        return 1;
    const XElem *bo = xchild(m, "BayesOutput"), *bis = xchild(m, "BayesInputs");
    if (!bo || !bis) {
        diag_error(L->d, lloc(L, m), "NaiveBayesModel needs BayesInputs and a BayesOutput");
        return 1;
    }
    const char *tf = xattr(bo, "fieldName");
    if (!tf)
        tf = xattr(bo, "targetField");
    if (tf && r->target && strcmp(tf, r->target) != 0) {
        diag_error(L->d, lloc(L, bo), "BayesOutput is for '%s', not the target '%s'", tf, r->target);
        return 1;
    }
    if (!r->target && tf) {
        r->target = tf;
        r->target_info = find_datafield(L, tf);
    }
    /* the classes, in the BayesOutput's order */
    const XElem *tvc = xchild(bo, "TargetValueCounts");
    int ncats = tvc ? xcount(tvc, "TargetValueCount") : 0;
    if (ncats == 0) {
        diag_error(L->d, lloc(L, bo), "BayesOutput has no TargetValueCounts");
        return 1;
    }
    const char **cats = ARENA_ARRAY(L->a, const char *, ncats + 1);
    int nc = 0;
    for (int k = 0; k < tvc->nkids; k++)
        if (!strcmp(tvc->kids[k]->name, "TargetValueCount")) {
            const char *v = xattr(tvc->kids[k], "value");
            if (!v || cat_index(cats, nc, v) >= 0) {
                diag_error(L->d, lloc(L, tvc->kids[k]), v ? "class '%s' is counted twice" : "TargetValueCount "
                           "without a value", v);
                return 1;
            }
            cats[nc++] = v;
        }
    double *prior = ARENA_ARRAY(L->a, double, ncats + 1);
    if (!read_counts(L, bo, cats, ncats, prior))
        return 1;
    /* per class, its terms: the prior's log, then one per input */
    int nin = xcount(bis, "BayesInput");
    IrExpr ***terms = ARENA_ARRAY(L->a, IrExpr **, ncats + 1);
    int *nterms = ARENA_ARRAY(L->a, int, ncats + 1);
    for (int c = 0; c < ncats; c++) {
        terms[c] = ARENA_ARRAY(L->a, IrExpr *, nin + 2);
        terms[c][nterms[c]++] = ir_lit_double(b, log(prior[c]));
    }
    IrExpr **row = ARENA_ARRAY(L->a, IrExpr *, ncats + 1);
    for (int k = 0; k < bis->nkids; k++) {
        const XElem *bi = bis->kids[k];
        if (strcmp(bi->name, "BayesInput") != 0)
            continue;
        const char *fname = xattr(bi, "fieldName");
        if (!fname)
            fname = xattr(bi, "field");
        Field *f = need_field(L, s, fname, bi);
        if (!f)
            return 1;
        memset(row, 0, sizeof *row * (size_t)ncats);
        const XElem *tvs = xchild(bi, "TargetValueStats");
        if (tvs ? !continuous_input(L, tvs, f, thr, cats, ncats, blk, row)
                : !discrete_input(L, s, bi, f, thr, cats, ncats, blk, row))
            return 1;
        for (int c = 0; c < ncats; c++)
            if (row[c])
                terms[c][nterms[c]++] = row[c];
    }
    /* the scores, then their softmax (less the greatest, as JPMML) */
    int *score = ARENA_ARRAY(L->a, int, ncats + 1);
    IrExpr **sv = ARENA_ARRAY(L->a, IrExpr *, ncats + 1);
    for (int c = 0; c < ncats; c++) {
        score[c] = ir_add_var(b, arena_printf(L->a, "log P(%s)", cats[c]), dt);
        IrStmt *st = ir_set(b, blk, score[c], nterms[c] == 1 ? terms[c][0] : ir_linear(b, dt, terms[c], nterms[c]));
        st->comment = arena_printf(L->a, "naive Bayes: class %s", cats[c]);
        sv[c] = ir_var(b, score[c]);
    }
    int mx = ir_add_var(b, "greatest score", dt);
    ir_set(b, blk, mx, ncats == 1 ? sv[0] : ir_call(b, FN_MAX, dt, sv, ncats));
    r->ncats = ncats;
    r->cats = cats;
    r->probs = ARENA_ARRAY(L->a, int, ncats + 1);
    int *ex = ARENA_ARRAY(L->a, int, ncats + 1);
    for (int c = 0; c < ncats; c++) {
        ex[c] = ir_add_var(b, "exp", dt);
        ir_set(b, blk, ex[c], ir_call1(b, FN_EXP, dt, ir_call2(b, FN_SUB, dt, ir_var(b, score[c]), ir_var(b, mx))));
        sv[c] = ir_var(b, ex[c]);
    }
    int sum = ir_add_var(b, "sum", dt);
    ir_set(b, blk, sum, ncats == 1 ? sv[0] : ir_linear(b, dt, sv, ncats));
    for (int c = 0; c < ncats; c++) {
        r->probs[c] = ir_add_var(b, arena_printf(L->a, "probability(%s)", cats[c]), ir_nullable(L->a, dt));
        ir_set(b, blk, r->probs[c], ir_call2(b, FN_DIV, dt, ir_var(b, ex[c]), ir_var(b, sum)));
    }
    result_argmax(L, blk, r);
    return 0;
}
