/* NearestNeighborModel to IR.  The training instances are a constant table
 * (the rows the comparison measure walks, lower_clustering.c's measure);
 * the record's k nearest rows, best first and the earlier row first among
 * equals (S_NEAREST), decide each target:
 *   continuous: average (their sum in order over k), weightedAverage
 *     (weights 1 / (distance + threshold)), median (JPMML's percentile);
 *   categorical: majorityVote, weightedMajorityVote; a tie goes to the
 *     category with more training instances, then to the smallest value
 *     (the standard's rule, JPMML's order).
 * KNN inputs that are derived fields of instances stored untransformed
 * (isTransformed="false") are computed from each row when nerva compiles
 * (ir_eval.c), with the model's own transformations.  Entity ids are the
 * instanceIdVariable's values, else the rows' 1-based numbers. */
#include "lower_pmml.h"
#include "bounds.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_num(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* the text of column col in a row of an InlineTable, NULL when absent */
static const char *cell(const XElem *row, const char *col)
{
    for (int k = 0; k < row->nkids; k++)
        if (!strcmp(row->kids[k]->name, col))
            return row->kids[k]->text;
    return NULL;
}

/* one value as text, for the measure's table: numbers exactly */
static const char *val_text(Lower *L, IrVal v)
{
    if (v.null)
        return NULL;
    if (v.isstr)
        return v.s;
    return arena_printf(L->a, "%.17g", v.d);
}

int lower_knn_model(Lower *L, const XElem *m, Scope *s, IrBlock *blk, ModelResult *r)
{
    IrBuilder *b = &L->b;
    IrType *dt = ir_type(T_DOUBLE), *st = ir_type(T_STRING), *it = ir_type(T_INT);
    const char *nk = xattr(m, "numberOfNeighbors");
    long long k;
    if (!nk || !parse_long(nk, &k) || k < 1 || k > 100000) {
        diag_error(L->d, nk ? aloc(L, m, "numberOfNeighbors") : lloc(L, m),
                   "NearestNeighborModel needs a numberOfNeighbors from 1 to 100000");
        return 1;
    }
    const char *csm = xattr(m, "continuousScoringMethod"), *ksm = xattr(m, "categoricalScoringMethod");
    if (!csm)
        csm = "average";
    if (!ksm)
        ksm = "majorityVote";
    int cwavg = !strcmp(csm, "weightedAverage"), cmed = !strcmp(csm, "median");
    if (!cwavg && !cmed && strcmp(csm, "average") != 0) {
        diag_error(L->d, aloc(L, m, "continuousScoringMethod"), "continuousScoringMethod \'%s\' is not known", csm);
        return 1;
    }
    int kwvote = !strcmp(ksm, "weightedMajorityVote");
    if (!kwvote && strcmp(ksm, "majorityVote") != 0) {
        diag_error(L->d, aloc(L, m, "categoricalScoringMethod"), "categoricalScoringMethod \'%s\' is not known", ksm);
        return 1;
    }
    double threshold = 0.001;
    const char *ths = xattr(m, "threshold");
    if (ths && !parse_double(ths, &threshold)) {
        diag_error(L->d, aloc(L, m, "threshold"), "threshold \'%s\' is not a number", ths);
        return 1;
    }
    const char *idvar = xattr(m, "instanceIdVariable");
    if (r->func == FUNC_CLUSTERING && !idvar) {
        diag_error(L->d, lloc(L, m), "a clustering NearestNeighborModel needs an instanceIdVariable");
        return 1;
    }

    /* the targets (several for functionName mixed) */
    const XElem *msch = xchild(m, "MiningSchema");
    const char **targets = NULL;
    int nt = 0, capt = 0;
    for (int j = 0; msch && j < msch->nkids; j++) {
        const char *u = xattr(msch->kids[j], "usageType");
        if (!strcmp(msch->kids[j]->name, "MiningField") && u && (!strcmp(u, "target") || !strcmp(u, "predicted")))
            VEC_PUSH(L->a, targets, nt, capt, xattr(msch->kids[j], "name"));
    }
    if (r->func != FUNC_CLUSTERING && !nt) {
        diag_error(L->d, lloc(L, m), "NearestNeighborModel has no target field");
        return 1;
    }

    /* the training instances */
    const XElem *ti = xchild(m, "TrainingInstances");
    const XElem *ifs = ti ? xchild(ti, "InstanceFields") : NULL;
    if (!ti || !ifs) {
        diag_error(L->d, lloc(L, ti ? ti : m), "NearestNeighborModel needs <TrainingInstances> with <InstanceFields>");
        return 1;
    }
    const XElem *tab = xchild(ti, "InlineTable");
    if (!tab) {
        diag_error(L->d, lloc(L, ti), "TrainingInstances other than an <InlineTable> are not supported yet");
        return 1;
    }
    const char *ist = xattr(ti, "isTransformed");
    int transformed = ist && !strcmp(ist, "true");
    int nif = xcount(ifs, "InstanceField");
    const char **ifield = ARENA_ARRAY(L->a, const char *, nif + 1), **icol = ARENA_ARRAY(L->a, const char *, nif + 1);
    nif = 0;
    for (int j = 0; j < ifs->nkids; j++) {
        const XElem *f = ifs->kids[j];
        if (strcmp(f->name, "InstanceField") != 0)
            continue;
        ifield[nif] = xattr(f, "field");
        icol[nif] = xattr(f, "column");
        if (!ifield[nif]) {
            diag_error(L->d, lloc(L, f), "<InstanceField> without a field");
            return 1;
        }
        if (!icol[nif])
            icol[nif] = ifield[nif];
        nif++;
    }
    int nrows = xcount(tab, "row");
    if (nrows < k) {
        diag_error(L->d, aloc(L, m, "numberOfNeighbors"), "numberOfNeighbors is %lld but there are %d training "
                   "instances", k, nrows);
        return 1;
    }
    const XElem **rows = ARENA_ARRAY(L->a, const XElem *, nrows + 1);
    nrows = 0;
    for (int j = 0; j < tab->nkids; j++)
        if (!strcmp(tab->kids[j]->name, "row"))
            rows[nrows++] = tab->kids[j];

    /* the inputs and the measure */
    const XElem *kin = xchild(m, "KNNInputs");
    int nf = kin ? xcount(kin, "KNNInput") : 0;
    if (!nf) {
        diag_error(L->d, lloc(L, kin ? kin : m), "NearestNeighborModel needs <KNNInputs>");
        return 1;
    }
    const XElem **fe = ARENA_ARRAY(L->a, const XElem *, nf + 1);
    nf = 0;
    for (int j = 0; j < kin->nkids; j++)
        if (!strcmp(kin->kids[j]->name, "KNNInput"))
            fe[nf++] = kin->kids[j];
    if ((long long)nrows * nf > nv_limits.table_cells) {
        /* before any row is read, or computed from */
        diag_error(L->d, lloc(L, tab), "the training instances are %d rows of %d inputs, more than the %ld numbers "
                   "of table-cells%s", nrows, nf, nv_limits.table_cells, limits_hint("table-cells"));
        return 1;
    }
    MeasureBuild mb;
    if (!measure_begin(L, s, m, fe, nf, &mb))
        return 1;
    IrMeasure *ms = mb.ms;

    /* each input's column, or a derived field computed from the row */
    int *colof = ARENA_ARRAY(L->a, int, nf + 1);
    int need_eval = 0;
    for (int i = 0; i < nf; i++) {
        const char *f = xattr(fe[i], "field");
        colof[i] = -1;
        for (int j = 0; j < nif; j++)
            if (!strcmp(ifield[j], f))
                colof[i] = j;
        if (colof[i] < 0) {
            const FieldInfo *fi = mb.fields[i]->info;
            if (transformed || !fi || !fi->elem || strcmp(fi->elem->name, "DerivedField") != 0) {
                diag_error(L->d, lloc(L, fe[i]), "KNNInput '%s' is no field of the training instances", f);
                return 1;
            }
            need_eval = 1;
        }
    }
    /* the transformations over a row: the instance fields as variables */
    Scope *es = NULL;
    IrBlock xb = {0};
    int *ivar = ARENA_ARRAY(L->a, int, nif + 1);
    if (need_eval) {
        es = scope_new(L, NULL);
        for (int j = 0; j < nif; j++) {
            const FieldInfo *fi = find_datafield(L, ifield[j]);
            IrType *t = fi ? fi->type : st;
            ivar[j] = ir_add_var(b, ifield[j], ir_nullable(L->a, t));
            scope_add(L, es, ifield[j], ivar[j], fi);
        }
        const XElem *td = xchild(L->root, "TransformationDictionary");
        if (td)
            lower_derived_fields(L, es, td, &xb);
        const XElem *lt = xchild(m, "LocalTransformations");
        if (lt)
            lower_derived_fields(L, es, lt, &xb);
        if (L->d->errors)
            return 1;
    }
    IrVal *env = need_eval ? ARENA_ARRAY(L->a, IrVal, b->p->nvars + 1) : NULL;
    const char **cells = ARENA_ARRAY(L->a, const char *, (size_t)nrows * (size_t)nf + 1);
    for (int r0 = 0; r0 < nrows; r0++) {
        if (need_eval) {
            for (int v = 0; v < b->p->nvars; v++)
                env[v] = (IrVal){.null = 1};
            for (int j = 0; j < nif; j++) {
                const char *c = cell(rows[r0], icol[j]);
                IrType *t = ir_base(b->p->vars[ivar[j]].type);
                if (!c)
                    continue;
                if (t->kind == T_STRING)
                    env[ivar[j]] = (IrVal){.isstr = 1, .s = c};
                else if (t->kind == T_BOOL && (!strcmp(c, "true") || !strcmp(c, "false")))
                    env[ivar[j]] = (IrVal){.d = !strcmp(c, "true")};
                else if (parse_double(c, &env[ivar[j]].d))
                    env[ivar[j]].null = 0;
                else {
                    diag_error(L->d, lloc(L, rows[r0]), "value '%s' of '%s' is not a number", c, ifield[j]);
                    return 1;
                }
            }
            const char *why = ir_eval_block(b->p, &xb, env);
            if (why) {
                diag_error(L->d, lloc(L, rows[r0]), "the derived fields of the training instances cannot be "
                           "computed when compiling: %s is not supported there yet", why);
                return 1;
            }
        }
        for (int i = 0; i < nf; i++) {
            const char **c = &cells[(size_t)r0 * nf + i];
            if (colof[i] >= 0)
                *c = cell(rows[r0], icol[colof[i]]);
            else {
                Field *df = scope_find(es, xattr(fe[i], "field"));
                *c = df ? val_text(L, env[df->var]) : NULL;
            }
        }
    }
    if (!measure_rows(L, &mb, cells, nrows, rows))
        return 1;
    IrExpr **x = measure_inputs(L, &mb);
    if (!x)
        return 1;

    /* ids */
    const char **ids = ARENA_ARRAY(L->a, const char *, nrows + 1);
    int idcol = -1;
    for (int j = 0; idvar && j < nif; j++)
        if (!strcmp(ifield[j], idvar))
            idcol = j;
    if (idvar && idcol < 0) {
        diag_error(L->d, aloc(L, m, "instanceIdVariable"), "instanceIdVariable '%s' is no field of the training "
                   "instances", idvar);
        return 1;
    }
    for (int r0 = 0; r0 < nrows; r0++) {
        ids[r0] = idcol >= 0 ? cell(rows[r0], icol[idcol]) : arena_printf(L->a, "%d", r0 + 1);
        if (!ids[r0]) {
            diag_error(L->d, lloc(L, rows[r0]), "training instance without its id '%s'", idvar);
            return 1;
        }
    }

    /* the nearest rows */
    int kk = output_max_rank(L, m, "entityId,affinity,entityAffinity");
    if (kk < k)
        kk = (int)k;
    if (kk > nrows)
        kk = nrows;
    int *idx = ARENA_ARRAY(L->a, int, kk + 1), *val = ARENA_ARRAY(L->a, int, kk + 1);
    for (int i = 0; i < kk; i++) {
        idx[i] = ir_add_var(b, arena_printf(L->a, "neighbour %d", i + 1), ir_nullable(L->a, it));
        val[i] = ir_add_var(b, arena_printf(L->a, "affinity %d", i + 1), ir_nullable(L->a, dt));
    }
    IrStmt *nst = ir_nearest(b, blk, ms, x, kk, idx, val);
    nst->comment = arena_printf(L->a, "NearestNeighborModel %s: the %d nearest of %d training instances",
                                xattr(m, "modelName") ? xattr(m, "modelName") : "", kk, nrows);
    IrTable *idt = ir_table(b, st, nrows, 1);
    for (int i = 0; i < nrows; i++)
        idt->str[i] = ids[i];
    r->ent_rank = ARENA_ARRAY(L->a, int, kk + 1);
    r->aff_rank = val;
    r->nrank = kk;
    for (int i = 0; i < kk; i++) {
        r->ent_rank[i] = ir_add_var(b, arena_printf(L->a, "neighbour id %d", i + 1), ir_nullable(L->a, st));
        ir_set(b, blk, r->ent_rank[i], ir_lookup(b, ir_coalesce(b, ir_var(b, idx[i]), lit_int(b, -1)), idt));
    }
    r->entity = r->ent_rank[0];
    r->affinity = val[0];
    MeasureEntities *kd = ARENA_NEW(L->a, MeasureEntities);
    *kd = (MeasureEntities){.ms = ms, .x = x, .ids = ids, .n = nrows, .what = "training instance"};
    r->fam = kd;
    r->affinity_of = measure_affinity;
    if (r->func == FUNC_CLUSTERING)
        return 0;

    /* every neighbour found (there are at least k rows; a row whose
       measure is undefined is not one): else no prediction */
    IrExpr *all = ir_call1(b, FN_NOT, ir_type(T_BOOL), ir_is_null(b, ir_var(b, idx[k - 1])));
    /* weights for the weighted methods: 1 / (distance + threshold) */
    int *wv = NULL;
    if ((cwavg || kwvote) && ms->kind == IR_MS_BINARY) {
        diag_error(L->d, lloc(L, m), "weighted scoring needs a distance, not a similarity");
        return 1;
    }
    if (cwavg || kwvote) {
        wv = ARENA_ARRAY(L->a, int, k + 1);
        for (int i = 0; i < k; i++) {
            wv[i] = ir_add_var(b, arena_printf(L->a, "weight %d", i + 1), ir_nullable(L->a, dt));
            ir_set(b, blk, wv[i], ir_call2(b, FN_DIV, dt, ir_lit_double(b, 1),
                                           ir_call2(b, FN_ADD, dt, ir_var(b, val[i]), ir_lit_double(b, threshold))));
        }
    }
    ModelResult *res = ARENA_ARRAY(L->a, ModelResult, nt + 1);
    for (int t = 0; t < nt; t++) {
        ModelResult *tr = &res[t];
        result_init(tr, r->func);
        tr->target = targets[t];
        tr->target_info = find_datafield(L, targets[t]);
        int tcol = -1;
        for (int j = 0; j < nif; j++)
            if (!strcmp(ifield[j], targets[t]))
                tcol = j;
        if (tcol < 0 || !tr->target_info) {
            diag_error(L->d, lloc(L, ti), "target '%s' is no field of the training instances", targets[t]);
            return 1;
        }
        const FieldInfo *tf = tr->target_info;
        int categorical = tf->optype != OP_CONTINUOUS;
        const char **tv = ARENA_ARRAY(L->a, const char *, nrows + 1);
        for (int r0 = 0; r0 < nrows; r0++) {
            tv[r0] = cell(rows[r0], icol[tcol]);
            if (!tv[r0]) {
                diag_error(L->d, lloc(L, rows[r0]), "training instance without a value of the target '%s'",
                           targets[t]);
                return 1;
            }
        }
        if (!categorical) {
            if (!ir_is_numeric(tf->type)) {
                diag_error(L->d, lloc(L, tf->elem), "continuous target '%s' is not a number", targets[t]);
                return 1;
            }
            IrTable *vt = ir_table(b, dt, nrows, 1);
            for (int r0 = 0; r0 < nrows; r0++)
                if (!parse_double(tv[r0], &vt->num[r0])) {
                    diag_error(L->d, lloc(L, rows[r0]), "target value '%s' is not a number", tv[r0]);
                    return 1;
                }
            IrExpr **v = ARENA_ARRAY(L->a, IrExpr *, 2 * k + 2);
            for (int i = 0; i < k; i++)
                v[i] = ir_coalesce(b, ir_lookup(b, ir_coalesce(b, ir_var(b, idx[i]), lit_int(b, -1)), vt),
                                   ir_lit_double(b, 0));
            IrExpr *pred;
            if (cmed)
                pred = ir_call(b, FN_PMEDIAN, dt, v, (int)k);
            else if (!cwavg)
                pred = ir_call2(b, FN_DIV, dt, k == 1 ? v[0] : ir_linear(b, dt, v, (int)k), ir_lit_double(b, (double)k));
            else {
                IrExpr **wx = ARENA_ARRAY(L->a, IrExpr *, k + 1), **ws = ARENA_ARRAY(L->a, IrExpr *, k + 1);
                for (int i = 0; i < k; i++) {
                    ws[i] = ir_var(b, wv[i]);
                    wx[i] = ir_call2(b, FN_MUL, dt, ir_var(b, wv[i]), v[i]);
                }
                pred = ir_call2(b, FN_DIV, dt, k == 1 ? wx[0] : ir_linear(b, dt, wx, (int)k),
                                k == 1 ? ws[0] : ir_linear(b, dt, ws, (int)k));
            }
            IrType *ot = ir_base(tf->type);
            if (ot->kind != T_DOUBLE)
                pred = ir_cast(b, ot, pred);
            tr->value = ir_add_var(b, targets[t], ir_nullable(L->a, ot));
            IrStmt *ps = ir_set(b, blk, tr->value, ir_if(b, all, pred, ir_lit_null(b, ot)));
            ps->comment = arena_printf(L->a, "target %s: %s of the neighbours", targets[t], csm);
            continue;
        }
        /* categorical: the category of each row, its count in the training
           data and its rank in the order of values (ties) */
        const char **cats = ARENA_ARRAY(L->a, const char *, nrows + 1);
        memcpy(cats, tv, sizeof *cats * (size_t)nrows);
        int numeric = ir_is_numeric(tf->type);
        double *nums = NULL;
        if (numeric) {
            nums = ARENA_ARRAY(L->a, double, nrows + 1);
            for (int r0 = 0; r0 < nrows; r0++)
                if (!parse_double(tv[r0], &nums[r0])) {
                    diag_error(L->d, lloc(L, rows[r0]), "target value '%s' is not a number", tv[r0]);
                    return 1;
                }
        }
        qsort(cats, (size_t)nrows, sizeof *cats, cmp_str);
        int nc = 0;
        for (int r0 = 0; r0 < nrows; r0++)
            if (!nc || strcmp(cats[nc - 1], cats[r0]) != 0)
                cats[nc++] = cats[r0];
        double *count = ARENA_ARRAY(L->a, double, nc + 1), *order = ARENA_ARRAY(L->a, double, nc + 1);
        IrTable *lab = ir_table(b, dt, nrows, 1);
        for (int r0 = 0; r0 < nrows; r0++) {
            int c = (int)((const char **)bsearch(&tv[r0], cats, (size_t)nc, sizeof *cats, cmp_str) - cats);
            lab->num[r0] = c;
            count[c] += 1;
        }
        /* the order of values: numbers by value, text by its characters */
        if (numeric) {
            double *sv = ARENA_ARRAY(L->a, double, nc + 1);
            for (int c = 0; c < nc; c++)
                parse_double(cats[c], &sv[c]);
            double *sorted = ARENA_ARRAY(L->a, double, nc + 1);
            memcpy(sorted, sv, sizeof *sv * (size_t)nc);
            qsort(sorted, (size_t)nc, sizeof *sorted, cmp_num);
            for (int c = 0; c < nc; c++)
                for (int q = 0; q < nc; q++)
                    if (sorted[q] == sv[c]) {
                        order[c] = q;
                        break;
                    }
        } else
            for (int c = 0; c < nc; c++)
                order[c] = c;
        IrTable *cnt = ir_table(b, dt, nc, 1), *ord = ir_table(b, dt, nc, 1), *names = ir_table(b, st, nc, 1);
        for (int c = 0; c < nc; c++) {
            cnt->num[c] = count[c];
            ord->num[c] = order[c];
            names->str[c] = cats[c];
        }
        /* args of nv_vote: k labels, k weights, their counts, their orders */
        IrExpr **args = ARENA_ARRAY(L->a, IrExpr *, 4 * k + 1);
        for (int i = 0; i < k; i++) {
            int lv = ir_add_var(b, arena_printf(L->a, "label %d", i + 1), ir_nullable(L->a, dt));
            ir_set(b, blk, lv, ir_lookup(b, ir_coalesce(b, ir_var(b, idx[i]), lit_int(b, -1)), lab));
            IrExpr *li = ir_cast(b, it, ir_coalesce(b, ir_var(b, lv), ir_lit_double(b, -1)));
            args[i] = ir_coalesce(b, ir_var(b, lv), ir_lit_double(b, -1));
            args[k + i] = kwvote ? ir_coalesce(b, ir_var(b, wv[i]), ir_lit_double(b, 0)) : ir_lit_double(b, 1);
            args[2 * k + i] = ir_coalesce(b, ir_lookup(b, li, cnt), ir_lit_double(b, 0));
            args[3 * k + i] = ir_coalesce(b, ir_lookup(b, li, ord), ir_lit_double(b, 0));
        }
        /* the winning category (its code) */
        int wc = ir_add_var(b, "winning category", dt);
        ir_set(b, blk, wc, ir_call(b, FN_VOTE, dt, args, (int)(4 * k)));
        IrExpr *pred = ir_lookup(b, ir_cast(b, it, ir_var(b, wc)), names);
        tr->value = ir_add_var(b, targets[t], ir_nullable(L->a, st));
        IrStmt *ps = ir_set(b, blk, tr->value, ir_if(b, all, pred, ir_lit_null(b, st)));
        ps->comment = arena_printf(L->a, "target %s: %s of the neighbours", targets[t], ksm);
        tr->cats = cats;
        tr->ncats = nc;
    }
    if (nt == 1) {
        r->value = res[0].value;
        r->cats = res[0].cats;
        r->ncats = res[0].ncats;
        return 0;
    }
    /* several targets: each is a result of its own; the first is the model's */
    r->value = res[0].value;
    r->target = res[0].target;
    r->target_info = res[0].target_info;
    r->cats = res[0].cats;
    r->ncats = res[0].ncats;
    r->subs = res;
    r->nsubs = nt;
    return 0;
}
