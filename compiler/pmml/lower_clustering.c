/* ClusteringModel to IR, and the comparison measures it shares with
 * NearestNeighborModel (lower_knn.c).
 *
 * A measure (IrMeasure) compares the record with each row of a constant
 * table -- cluster centers here, training instances for k-NN -- in the
 * run-time library's kernel (runtime/lib/families.c, on kernels.c's
 * metric arithmetic that PFA's metric.* shares).  Values are numbers; a
 * categorical field's values are codes, positions in a list of its
 * categories that the record and the rows share (the DataField's order for
 * a "table" comparison, whose matrix is in that order).
 *
 * The cluster with the smallest distance (greatest similarity) wins, the
 * first of equal ones (JPMML's order).  Its id (the Cluster's id, else its
 * 1-based position) is the predicted value and entity id; its name the
 * display value.  distributionBased models are scored by their centers as
 * centerBased ones are (as pmml4s does; JPMML refuses them). */
#include "lower_pmml.h"
#include "bounds.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int parse_cf(const char *s, IrCompareFn *out)
{
    static const char *names[] = {"absDiff", "gaussSim", "delta", "equal", "table"};
    for (int i = 0; i < 5; i++)
        if (!strcmp(s, names[i])) {
            *out = (IrCompareFn)i;
            return 1;
        }
    return 0;
}

/* a Matrix (kind any, symmetric or diagonal; Arrays or MatCells) as n x n
   numbers, row-major */
static double *read_matrix(Lower *L, const XElem *mat, int n)
{
    double *m = ARENA_ARRAY(L->a, double, (size_t)n * (size_t)n + 1);
    double dd, od;
    if (!attr_double(L, mat, "diagDefault", NAN, &dd) || !attr_double(L, mat, "offDiagDefault", NAN, &od))
        return NULL;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            m[i * n + j] = i == j ? dd : od;
    const char *kind = xattr(mat, "kind");
    if (!kind)
        kind = "any";
    int row = 0;
    for (int k = 0; k < mat->nkids; k++) {
        const XElem *e = mat->kids[k];
        if (!strcmp(e->name, "Array")) {
            double *v;
            int c = read_num_array(L, e, &v);
            if (c < 0)
                return NULL;
            if (!strcmp(kind, "diagonal")) {
                if (c != n) {
                    diag_error(L->d, lloc(L, e), "a diagonal Matrix of %d categories needs %d values", n, n);
                    return NULL;
                }
                for (int i = 0; i < n; i++)
                    m[i * n + i] = v[i];
                continue;
            }
            int want = !strcmp(kind, "symmetric") ? row + 1 : n;
            if (row >= n || c != want) {
                diag_error(L->d, lloc(L, e), "row %d of this Matrix needs %d values (the field has %d categories)",
                           row + 1, want, n);
                return NULL;
            }
            for (int j = 0; j < c; j++) {
                m[row * n + j] = v[j];
                if (!strcmp(kind, "symmetric"))
                    m[j * n + row] = v[j];
            }
            row++;
        } else if (!strcmp(e->name, "MatCell")) {
            long long r, c;
            const char *rs = xattr(e, "row"), *cs = xattr(e, "col");
            double v;
            if (!rs || !cs || !parse_long(rs, &r) || !parse_long(cs, &c) || r < 1 || r > n || c < 1 || c > n ||
                !parse_double(e->text, &v)) {
                diag_error(L->d, lloc(L, e), "<MatCell> needs a row and col from 1 to %d and a number", n);
                return NULL;
            }
            m[(r - 1) * n + (c - 1)] = v;
            if (!strcmp(kind, "symmetric"))
                m[(c - 1) * n + (r - 1)] = v;
        }
    }
    for (int i = 0; i < n * n; i++)
        if (m[i] != m[i]) {
            diag_error(L->d, lloc(L, mat), "the Matrix leaves entry (%d, %d) undefined", i / n + 1, i % n + 1);
            return NULL;
        }
    return m;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int measure_begin(Lower *L, Scope *s, const XElem *model, const XElem *const *fe, int nf, MeasureBuild *mb)
{
    memset(mb, 0, sizeof *mb);
    const XElem *cm = xchild(model, "ComparisonMeasure");
    if (!cm) {
        diag_error(L->d, lloc(L, model), "<%s> has no <ComparisonMeasure>", model->name);
        return 0;
    }
    IrMeasure *ms = ARENA_NEW(L->a, IrMeasure);
    ms->loc = lloc(L, cm);
    ms->nf = nf;
    const XElem *me = NULL;
    for (int k = 0; k < cm->nkids; k++)
        if (strcmp(cm->kids[k]->name, "Extension") != 0)
            me = cm->kids[k];
    if (!me) {
        diag_error(L->d, lloc(L, cm), "<ComparisonMeasure> names no measure");
        return 0;
    }
    static const char *dist[] = {"euclidean", "squaredEuclidean", "chebychev", "cityBlock", "minkowski"};
    int kind = -1;
    for (int i = 0; i < 5; i++)
        if (!strcmp(me->name, dist[i]))
            kind = i;
    const char *ck = xattr(cm, "kind");
    if (kind >= 0) {
        ms->kind = (IrMeasureKind)kind;
        if (kind == IR_MS_MINKOWSKI) {
            if (!attr_double(L, me, "p-parameter", NAN, &ms->p))
                return 0;
            if (!(ms->p > 0)) {
                diag_error(L->d, lloc(L, me), "minkowski needs a p-parameter greater than 0");
                return 0;
            }
        }
        if (ck && strcmp(ck, "distance") != 0) {
            diag_error(L->d, aloc(L, cm, "kind"), "%s is a distance, not a %s", me->name, ck);
            return 0;
        }
    } else {
        static const double sm[2][4] = {{1, 0, 0, 1}, {1, 1, 1, 1}}, jc[2][4] = {{0, 0, 0, 1}, {0, 1, 1, 1}},
                            tn[2][4] = {{1, 0, 0, 1}, {1, 2, 2, 1}};
        const double (*cd)[4] = NULL;
        ms->kind = IR_MS_BINARY;
        if (!strcmp(me->name, "simpleMatching"))
            cd = sm;
        else if (!strcmp(me->name, "jaccard"))
            cd = jc;
        else if (!strcmp(me->name, "tanimoto"))
            cd = tn;
        else if (!strcmp(me->name, "binarySimilarity")) {
            static const char *cn[] = {"c00-parameter", "c01-parameter", "c10-parameter", "c11-parameter"};
            static const char *dn[] = {"d00-parameter", "d01-parameter", "d10-parameter", "d11-parameter"};
            for (int i = 0; i < 4; i++) {
                if (!xattr(me, cn[i]) || !xattr(me, dn[i])) {
                    diag_error(L->d, lloc(L, me), "binarySimilarity needs %s and %s", cn[i], dn[i]);
                    return 0;
                }
                if (!attr_double(L, me, cn[i], 0, &ms->c[i]) || !attr_double(L, me, dn[i], 0, &ms->d[i]))
                    return 0;
            }
        } else {
            diag_error(L->d, lloc(L, me), "<%s> is not a comparison measure", me->name);
            return 0;
        }
        if (cd)
            for (int i = 0; i < 4; i++)
                ms->c[i] = cd[0][i], ms->d[i] = cd[1][i];
        if (ck && strcmp(ck, "similarity") != 0) {
            diag_error(L->d, aloc(L, cm, "kind"), "%s is a similarity, not a %s", me->name, ck);
            return 0;
        }
    }
    IrCompareFn dflt = IR_CF_ABS_DIFF;
    const char *dcf = xattr(cm, "compareFunction");
    if (dcf && !parse_cf(dcf, &dflt)) {
        diag_error(L->d, aloc(L, cm, "compareFunction"), "compareFunction \'%s\' is not known", dcf);
        return 0;
    }
    ms->cmp = ARENA_ARRAY(L->a, IrCompareFn, nf + 1);
    ms->weight = ARENA_ARRAY(L->a, double, nf + 1);
    ms->scale = ARENA_ARRAY(L->a, double, nf + 1);
    ms->q = ARENA_ARRAY(L->a, double, nf + 1);
    ms->msize = ARENA_ARRAY(L->a, int, nf + 1);
    ms->matrix = ARENA_ARRAY(L->a, double *, nf + 1);
    mb->ms = ms;
    mb->fe = fe;
    mb->fields = ARENA_ARRAY(L->a, Field *, nf + 1);
    mb->dict = ARENA_ARRAY(L->a, const char **, nf + 1);
    mb->ndict = ARENA_ARRAY(L->a, int, nf + 1);
    for (int i = 0; i < nf; i++) {
        const XElem *f = fe[i];
        Field *fld = need_field(L, s, xattr(f, "field"), f);
        if (!fld)
            return 0;
        mb->fields[i] = fld;
        ms->q[i] = 1;
        ms->cmp[i] = dflt;
        const char *cf = xattr(f, "compareFunction");
        if (cf && !parse_cf(cf, &ms->cmp[i])) {
            diag_error(L->d, aloc(L, f, "compareFunction"), "compareFunction \'%s\' is not known", cf);
            return 0;
        }
        if (!attr_double(L, f, "fieldWeight", 1, &ms->weight[i]) ||
            !attr_double(L, f, "similarityScale", NAN, &ms->scale[i]))
            return 0;
        if (ms->kind == IR_MS_BINARY)
            continue;
        if (ms->cmp[i] == IR_CF_GAUSS_SIM && !(ms->scale[i] == ms->scale[i])) {
            diag_error(L->d, lloc(L, f), "compareFunction gaussSim needs a similarityScale");
            return 0;
        }
        IrType *t = ir_base(L->b.p->vars[fld->var].type);
        if (ms->cmp[i] == IR_CF_TABLE) {
            const FieldInfo *fi = fld->info;
            const XElem *cmps = xchild(f, "Comparisons"), *mat = cmps ? xchild(cmps, "Matrix") : NULL;
            if (!fi || !fi->nvalues) {
                diag_error(L->d, lloc(L, f), "compareFunction table needs a field that lists its categories "
                           "(Values)");
                return 0;
            }
            if (!mat) {
                diag_error(L->d, lloc(L, f), "compareFunction table needs <Comparisons> with a <Matrix>");
                return 0;
            }
            ms->msize[i] = fi->nvalues;
            ms->matrix[i] = read_matrix(L, mat, fi->nvalues);
            if (!ms->matrix[i])
                return 0;
            mb->dict[i] = fi->values;
            mb->ndict[i] = fi->nvalues;
        } else if (t->kind == T_STRING) {
            /* the categories: the declared ones and whatever the rows hold
               (measure_rows adds those), sorted for the search */
            const FieldInfo *fi = fld->info;
            int n = fi ? fi->nvalues : 0;
            mb->dict[i] = ARENA_ARRAY(L->a, const char *, n + 1);
            for (int k = 0; k < n; k++)
                mb->dict[i][k] = fi->values[k];
            mb->ndict[i] = n;
        }
    }
    return 1;
}

static int code_of(const MeasureBuild *mb, int i, const char *v)
{
    for (int k = 0; k < mb->ndict[i]; k++)
        if (!strcmp(mb->dict[i][k], v))
            return k;
    return -1;
}

int measure_rows(Lower *L, MeasureBuild *mb, const char *const *cells, int nrows, const XElem *const *at)
{
    IrMeasure *ms = mb->ms;
    int nf = ms->nf;
    if ((long long)nrows * nf > nv_limits.table_cells) {
        diag_error(L->d, ms->loc, "the model's table has %d rows of %d numbers, more than the %ld numbers of "
                   "table-cells%s", nrows, nf, nv_limits.table_cells, limits_hint("table-cells"));
        return 0;
    }
    /* string fields compared for equality: the rows' values join the
       categories, which are then sorted (the codes are positions) */
    for (int i = 0; i < nf; i++) {
        IrType *t = ir_base(L->b.p->vars[mb->fields[i]->var].type);
        if (t->kind != T_STRING || ms->cmp[i] == IR_CF_TABLE || ms->kind == IR_MS_BINARY)
            continue;
        int n = mb->ndict[i], cap = n + 1;
        const char **d = ARENA_ARRAY(L->a, const char *, cap);
        memcpy(d, mb->dict[i], sizeof *d * (size_t)n);
        for (int r = 0; r < nrows; r++)
            if (cells[(size_t)r * nf + i])
                VEC_PUSH(L->a, d, n, cap, cells[(size_t)r * nf + i]);
        qsort(d, (size_t)n, sizeof *d, cmp_str);
        int u = 0;
        for (int k = 0; k < n; k++)
            if (!u || strcmp(d[u - 1], d[k]) != 0)
                d[u++] = d[k];
        mb->dict[i] = d;
        mb->ndict[i] = u;
    }
    ms->rows = ir_table(&L->b, ir_type(T_DOUBLE), nrows, nf);
    for (int r = 0; r < nrows; r++)
        for (int i = 0; i < nf; i++) {
            const char *c = cells[(size_t)r * nf + i];
            double *out = &ms->rows->num[(size_t)r * nf + i];
            IrType *t = ir_base(L->b.p->vars[mb->fields[i]->var].type);
            const char *fname = mb->fields[i]->name;
            if (!c) {
                diag_error(L->d, lloc(L, at[r]), "no value for '%s'", fname);
                return 0;
            }
            if (mb->dict[i] && t->kind == T_STRING) {
                int k = code_of(mb, i, c);
                if (k < 0) {
                    diag_error(L->d, lloc(L, at[r]), "'%s' is not a category of '%s'", c, fname);
                    return 0;
                }
                *out = k;
            } else if (mb->dict[i]) {
                /* a numeric field with a table: the value's position */
                int k = -1;
                double v, w;
                for (int q = 0; q < mb->ndict[i] && k < 0; q++)
                    if (!strcmp(mb->dict[i][q], c) ||
                        (parse_double(c, &v) && parse_double(mb->dict[i][q], &w) && v == w))
                        k = q;
                if (k < 0) {
                    diag_error(L->d, lloc(L, at[r]), "'%s' is not a category of '%s'", c, fname);
                    return 0;
                }
                *out = k;
            } else if (t->kind == T_BOOL && (!strcmp(c, "true") || !strcmp(c, "false"))) {
                *out = !strcmp(c, "true");
            } else if (!parse_double(c, out)) {
                diag_error(L->d, lloc(L, at[r]), "value '%s' of '%s' is not a number", c, fname);
                return 0;
            }
        }
    return 1;
}

IrExpr **measure_inputs(Lower *L, MeasureBuild *mb)
{
    IrBuilder *b = &L->b;
    IrType *dt = ir_type(T_DOUBLE);
    int nf = mb->ms->nf;
    IrExpr **x = ARENA_ARRAY(L->a, IrExpr *, nf + 1);
    for (int i = 0; i < nf; i++) {
        IrExpr *v = ir_var(b, mb->fields[i]->var);
        IrType *t = ir_base(v->type);
        if (mb->dict[i]) {
            /* the value's code: its position among the categories */
            int n = mb->ndict[i];
            const char **sorted = ARENA_ARRAY(L->a, const char *, n + 1);
            memcpy(sorted, mb->dict[i], sizeof *sorted * (size_t)n);
            qsort(sorted, (size_t)n, sizeof *sorted, cmp_str);
            IrTable *pos = ir_table(b, dt, n, 1);
            for (int k = 0; k < n; k++)
                pos->num[k] = code_of(mb, i, sorted[k]);
            if (t->kind != T_STRING)
                v = ir_cast(b, ir_type(T_STRING), v);
            /* a value that is no category is -1: equal to no row's */
            x[i] = ir_coalesce(b, ir_lookup(b, ir_intern(b, v, sorted, n), pos),
                               ir_if(b, ir_is_null(b, v), ir_lit_null(b, dt), ir_lit_double(b, -1)));
        } else if (t->kind == T_BOOL)
            x[i] = ir_if(b, v, ir_lit_double(b, 1), ir_lit_double(b, 0));
        else if (ir_is_numeric(t))
            x[i] = ir_cast(b, dt, v);
        else {
            diag_error(L->d, lloc(L, mb->fe[i]), "field '%s' is neither a number nor a category",
                       mb->fields[i]->name);
            return NULL;
        }
    }
    return x;
}

IrExpr *measure_affinity(Lower *L, ModelResult *r, const char *id, const XElem *at)
{
    MeasureEntities *c = r->fam;
    for (int i = 0; i < c->n; i++)
        if (!strcmp(c->ids[i], id))
            return ir_measure(&L->b, c->ms, c->x, i);
    diag_error(L->d, aloc(L, at, "value"), "no %s has id \'%s\'", c->what, id);
    return NULL;
}

/* ---- ClusteringModel ---- */
int lower_clustering_model(Lower *L, const XElem *m, Scope *s, IrBlock *blk, ModelResult *r)
{
    IrBuilder *b = &L->b;
    IrType *dt = ir_type(T_DOUBLE), *st = ir_type(T_STRING), *it = ir_type(T_INT);
    if (r->func != FUNC_CLUSTERING) {
        diag_error(L->d, aloc(L, m, "functionName"), "a ClusteringModel's functionName must be clustering");
        return 1;
    }
    const char *mc = xattr(m, "modelClass");
    if (mc && strcmp(mc, "centerBased") != 0 && strcmp(mc, "distributionBased") != 0) {
        diag_error(L->d, aloc(L, m, "modelClass"), "modelClass \'%s\' is not known", mc);
        return 1;
    }
    if (xchild(m, "CenterFields")) {
        diag_error(L->d, lloc(L, xchild(m, "CenterFields")), "CenterFields (PMML 3) are not supported yet");
        return 1;
    }
    /* the center fields, in order */
    int nfe = 0, cap = 0;
    const XElem **fe = NULL;
    for (int k = 0; k < m->nkids; k++) {
        const XElem *f = m->kids[k];
        if (strcmp(f->name, "ClusteringField") != 0)
            continue;
        const char *icf = xattr(f, "isCenterField");
        if (icf && !strcmp(icf, "false"))
            continue;
        VEC_PUSH(L->a, fe, nfe, cap, f);
    }
    if (!nfe) {
        diag_error(L->d, lloc(L, m), "ClusteringModel has no <ClusteringField>");
        return 1;
    }
    MeasureBuild mb;
    if (!measure_begin(L, s, m, fe, nfe, &mb))
        return 1;
    IrMeasure *ms = mb.ms;
    const XElem *mvw = xchild(m, "MissingValueWeights");
    if (mvw) {
        const XElem *arr = xchild(mvw, "Array");
        double *q;
        int nq = arr ? read_num_array(L, arr, &q) : -1;
        if (nq < 0 && !L->d->errors)
            diag_error(L->d, lloc(L, mvw), "<MissingValueWeights> needs an <Array>");
        if (nq < 0)
            return 1;
        if (nq != nfe) {
            diag_error(L->d, lloc(L, arr), "MissingValueWeights has %d weights for %d clustering fields", nq, nfe);
            return 1;
        }
        memcpy(ms->q, q, sizeof *q * (size_t)nfe);
    }
    /* the clusters: their centers are the rows */
    int nc = xcount(m, "Cluster");
    if (!nc) {
        diag_error(L->d, lloc(L, m), "ClusteringModel has no <Cluster>");
        return 1;
    }
    const XElem **ce = ARENA_ARRAY(L->a, const XElem *, nc + 1);
    const char **cells = ARENA_ARRAY(L->a, const char *, (size_t)nc * (size_t)nfe + 1);
    const char **names = ARENA_ARRAY(L->a, const char *, nc + 1);
    int n = 0;
    for (int k = 0; k < m->nkids; k++) {
        const XElem *c = m->kids[k];
        if (strcmp(c->name, "Cluster") != 0)
            continue;
        const XElem *arr = xchild(c, "Array");
        if (!arr) {
            diag_error(L->d, lloc(L, c), "<Cluster> has no center (<Array>)");
            return 1;
        }
        const char **tok;
        int nt = split_array(L, arr->text, &tok);
        if (nt != nfe) {
            diag_error(L->d, lloc(L, arr), "the center has %d values for %d clustering fields", nt, nfe);
            return 1;
        }
        memcpy(cells + (size_t)n * nfe, tok, sizeof *tok * (size_t)nfe);
        names[n] = xattr(c, "name");
        ce[n++] = c;
    }
    if (!measure_rows(L, &mb, cells, n, ce))
        return 1;
    const char **ids = entity_ids(L, ce, n);
    if (L->d->errors)
        return 1;
    IrExpr **x = measure_inputs(L, &mb);
    if (!x)
        return 1;

    /* the nearest clusters, as many as the outputs rank */
    int k = output_max_rank(L, m, "entityId,clusterId,affinity,entityAffinity,clusterAffinity");
    if (k > n)
        k = n;
    int *idx = ARENA_ARRAY(L->a, int, k + 1), *val = ARENA_ARRAY(L->a, int, k + 1);
    for (int i = 0; i < k; i++) {
        idx[i] = ir_add_var(b, arena_printf(L->a, "cluster %d", i + 1), ir_nullable(L->a, it));
        val[i] = ir_add_var(b, arena_printf(L->a, "affinity %d", i + 1), ir_nullable(L->a, dt));
    }
    IrStmt *ns = ir_nearest(b, blk, ms, x, k, idx, val);
    ns->comment = arena_printf(L->a, "ClusteringModel %s: the nearest cluster", xattr(m, "modelName") ? xattr(m, "modelName") : "");
    IrTable *idt = ir_table(b, st, n, 1), *nmt = ir_table(b, st, n, 1);
    for (int i = 0; i < n; i++) {
        idt->str[i] = ids[i];
        nmt->str[i] = names[i] ? names[i] : ids[i];
    }
    r->ent_rank = ARENA_ARRAY(L->a, int, k + 1);
    r->aff_rank = val;
    r->nrank = k;
    for (int i = 0; i < k; i++) {
        r->ent_rank[i] = ir_add_var(b, arena_printf(L->a, "cluster id %d", i + 1), ir_nullable(L->a, st));
        ir_set(b, blk, r->ent_rank[i], ir_lookup(b, ir_coalesce(b, ir_var(b, idx[i]), lit_int(b, -1)), idt));
    }
    r->value = r->entity = r->ent_rank[0];
    r->cats = ids;      /* the values it can predict (a vote of clusters counts them) */
    r->ncats = n;
    r->affinity = val[0];
    r->display = ir_add_var(b, "cluster name", ir_nullable(L->a, st));
    ir_set(b, blk, r->display, ir_lookup(b, ir_coalesce(b, ir_var(b, idx[0]), lit_int(b, -1)), nmt));
    MeasureEntities *cl = ARENA_NEW(L->a, MeasureEntities);
    *cl = (MeasureEntities){.ms = ms, .x = x, .ids = ids, .n = n, .what = "cluster"};
    r->fam = cl;
    r->affinity_of = measure_affinity;
    return 0;
}
