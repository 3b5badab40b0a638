/* AnomalyDetectionModel (PMML 4.4.1) to IR: the model it wraps is lowered
 * as any model is (its own MiningSchema, transformations, targets and
 * outputs), and its prediction becomes the anomaly score:
 *   iforest  2^-(E[h(x)] / c(n)), the inner ensemble's prediction being the
 *            average path length E[h(x)] and n the sampleDataSize, with
 *            c(n) = 2 H(n - 1) - 2 (n - 1) / n and H(i) ~ ln(i) + 0.57721566
 *            (the standard's approximation of the harmonic number);
 *   ocsvm    the one-class vector machine's value as it is;
 *   clusterMeanDist  the clustering model's distance to the winning cluster
 *            over that cluster's mean distance (MeanClusterDistances, in the
 *            clusters' order), as the standard's example and pmml4s read it;
 *   other    the wrapped model's prediction as it is.
 * Whether a record is an anomaly is the model's Output, as the standard's
 * examples write it (a decision over the score). */
#include "lower_pmml.h"

#include <math.h>
#include <string.h>

/* clusterMeanDist: the MeanClusterDistances, one per Cluster of `inner`,
   as a table in the order of the clusters' ids (an id, or the 1-based
   position) sorted, which *ids gets; NULL after an error */
static IrTable *mean_distances(Lower *L, const XElem *m, const XElem *inner, const char ***ids)
{
    const XElem *mcd = xchild(m, "MeanClusterDistances");
    const XElem *arr = mcd ? xchild(mcd, "Array") : NULL;
    if (!arr) {
        diag_error(L->d, lloc(L, mcd ? mcd : m), "a clusterMeanDist AnomalyDetectionModel needs MeanClusterDistances "
                   "with an Array");
        return NULL;
    }
    double *dist;
    int n = read_num_array(L, arr, &dist), nc = xcount(inner, "Cluster");
    if (n < 0)
        return NULL;
    if (n != nc) {
        diag_error(L->d, lloc(L, arr), "%d MeanClusterDistances for %d clusters", n, nc);
        return NULL;
    }
    typedef struct Id { const char *id; double d; } Id;
    Id *v = ARENA_ARRAY(L->a, Id, nc + 1);
    int k = 0;
    for (int j = 0; j < inner->nkids; j++)
        if (!strcmp(inner->kids[j]->name, "Cluster")) {
            const char *id = xattr(inner->kids[j], "id");
            v[k].id = id ? id : arena_printf(L->a, "%d", k + 1);
            v[k].d = dist[k];
            k++;
        }
    for (int i = 1; i < nc; i++)
        for (int j = i; j > 0 && strcmp(v[j - 1].id, v[j].id) > 0; j--) {
            Id t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    *ids = ARENA_ARRAY(L->a, const char *, nc + 1);
    IrTable *md = ir_table(&L->b, ir_type(T_DOUBLE), nc, 1);
    for (int i = 0; i < nc; i++) {
        (*ids)[i] = v[i].id;
        md->num[i] = v[i].d;
    }
    return md;
}

int lower_anomaly_model(Lower *L, const XElem *m, Scope *s, IrBlock *blk, ModelResult *r)
{
    IrBuilder *b = &L->b;
    IrType *dt = ir_type(T_DOUBLE);
    const char *alg = xattr(m, "algorithmType");
    if (!alg) {
        diag_error(L->d, lloc(L, m), "AnomalyDetectionModel needs an algorithmType");
        return 1;
    }
    int iforest = !strcmp(alg, "iforest"), cluster = !strcmp(alg, "clusterMeanDist");
    if (!iforest && !cluster && strcmp(alg, "ocsvm") != 0 && strcmp(alg, "other") != 0) {
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
    if (cluster && strcmp(inner->name, "ClusteringModel") != 0) {
        diag_error(L->d, lloc(L, inner), "a clusterMeanDist AnomalyDetectionModel wraps a ClusteringModel, not a %s",
                   inner->name);
        return 1;
    }
    const char **ids = NULL;
    IrTable *md = cluster ? mean_distances(L, m, inner, &ids) : NULL;
    if (cluster && !md)
        return 1;
    ModelResult ir;
    if (lower_model(L, inner, s, blk, &ir))
        return 1;
    IrExpr *x;
    if (cluster) {
        /* the winning cluster's distance over its mean distance */
        if (ir.value < 0 || ir.affinity < 0) {
            diag_error(L->d, lloc(L, inner), "the ClusteringModel gives no winning cluster and distance to it");
            return 1;
        }
        IrExpr *idx = ir_intern(b, ir_cast(b, ir_type(T_STRING), ir_var(b, ir.value)), ids, md->n);
        x = ir_call2(b, FN_DIV, dt, ir_cast(b, dt, ir_var(b, ir.affinity)), ir_lookup(b, idx, md));
    } else {
        if (ir.value < 0 || !ir_is_numeric(L->b.p->vars[ir.value].type)) {
            diag_error(L->d, lloc(L, inner), "the wrapped model gives no numeric prediction");
            return 1;
        }
        x = ir_cast(b, dt, ir_var(b, ir.value));
    }
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
