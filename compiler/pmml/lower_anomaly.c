/* AnomalyDetectionModel (PMML 4.4.1) to IR: the model it wraps is lowered
 * as any model is (its own MiningSchema, transformations, targets and
 * outputs), and its prediction becomes the anomaly score:
 *   iforest  2^-(E[h(x)] / c(n)), the inner ensemble's prediction being the
 *            average path length E[h(x)] and n the sampleDataSize, with
 *            c(n) = 2 H(n - 1) - 2 (n - 1) / n and H(i) ~ ln(i) + 0.57721566
 *            (the standard's approximation of the harmonic number);
 *   ocsvm    the one-class vector machine's value as it is;
 *   other    the wrapped model's prediction as it is.
 * clusterMeanDist (a clustering model's distance over MeanClusterDistances)
 * is not supported yet.  Whether a record is an anomaly is the model's
 * Output, as the standard's examples write it (a decision over the score). */
#include "lower_pmml.h"

#include <math.h>
#include <string.h>

int lower_anomaly_model(Lower *L, const XElem *m, Scope *s, IrBlock *blk, ModelResult *r)
{
    IrBuilder *b = &L->b;
    IrType *dt = ir_type(T_DOUBLE);
    const char *alg = xattr(m, "algorithmType");
    if (!alg) {
        diag_error(L->d, lloc(L, m), "AnomalyDetectionModel needs an algorithmType");
        return 1;
    }
    int iforest = !strcmp(alg, "iforest");
    if (!iforest && strcmp(alg, "ocsvm") != 0 && strcmp(alg, "other") != 0) {
        if (!strcmp(alg, "clusterMeanDist"))
            diag_error(L->d, aloc(L, m, "algorithmType"), "AnomalyDetectionModel algorithmType 'clusterMeanDist' "
                       "is not supported yet");
        else
            diag_error(L->d, aloc(L, m, "algorithmType"), "algorithmType '%s' is not known", alg);
        return 1;
    }
    if (r->func != FUNC_REGRESSION) {
        diag_error(L->d, aloc(L, m, "functionName"), "an AnomalyDetectionModel's score is a regression");
        return 1;
    }
    double n = 0;
    if (iforest) {
        if (!xattr(m, "sampleDataSize")) {
            diag_error(L->d, lloc(L, m), "an iforest AnomalyDetectionModel needs its sampleDataSize");
            return 1;
        }
        if (!attr_double(L, m, "sampleDataSize", 0, &n))
            return 1;
        if (!(n >= 2 && n == floor(n))) {
            diag_error(L->d, aloc(L, m, "sampleDataSize"), "sampleDataSize %s is not a whole number of 2 or more",
                       xattr(m, "sampleDataSize"));
            return 1;
        }
    }
    const XElem *inner = NULL;
    for (int k = 0; k < m->nkids; k++)
        if (is_model_elem(m->kids[k])) {
            if (inner) {
                diag_error(L->d, lloc(L, m->kids[k]), "AnomalyDetectionModel wraps one model");
                return 1;
            }
            inner = m->kids[k];
        }
    if (!inner) {
        diag_error(L->d, lloc(L, m), "AnomalyDetectionModel wraps no model");
        return 1;
    }
    if (iforest && strcmp(inner->name, "MiningModel") != 0) {
        diag_error(L->d, lloc(L, inner), "an iforest AnomalyDetectionModel wraps a MiningModel, not a %s",
                   inner->name);
        return 1;
    }
    if (!strcmp(alg, "ocsvm") && strcmp(inner->name, "SupportVectorMachineModel") != 0) {
        diag_error(L->d, lloc(L, inner), "an ocsvm AnomalyDetectionModel wraps a SupportVectorMachineModel, not a %s",
                   inner->name);
        return 1;
    }
    ModelResult ir;
    if (lower_model(L, inner, s, blk, &ir))
        return 1;
    if (ir.value < 0 || !ir_is_numeric(L->b.p->vars[ir.value].type)) {
        diag_error(L->d, lloc(L, inner), "the wrapped model gives no numeric prediction");
        return 1;
    }
    IrExpr *x = ir_cast(b, dt, ir_var(b, ir.value));
    if (iforest) {
        double c = 2.0 * (log(n - 1.0) + 0.57721566) - (2.0 * (n - 1.0) / n);
        x = ir_call2(b, FN_POW, dt, ir_lit_double(b, 2.0),
                     ir_call1(b, FN_NEG, dt, ir_call2(b, FN_DIV, dt, x, ir_lit_double(b, c))));
    }
    r->value = ir_add_var(b, "anomaly score", ir_nullable(L->a, dt));
    IrStmt *st = ir_set(b, blk, r->value, x);
    st->comment = arena_printf(L->a, "AnomalyDetectionModel %s", alg);
    st->loc = lloc(L, m);
    return 0;
}
