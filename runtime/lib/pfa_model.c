/* pfa_model.c -- PFA's model library for generated engines: model.tree,
 * model.reg, model.neural, model.svm, model.cluster, model.neighbor and
 * model.naive, in the calling convention of pfa_lib.c (arguments as
 * nv_val, T[0] the result's type, T[1..] the arguments').  The numbers go
 * through the shared kernels (kernels.c, special.c, linalg.c) that PMML's
 * models use too; user functions given as arguments (tests, metrics,
 * kernels, activations) are called through nv_call1/nv_call2. */

/*@ section tree needs core array vec */
/* ---- model.tree ---- */

/* a value with its type, unions opened */
NV_RT void nv_open_union(const nv_type **t, nv_val *v)
{
    while ((*t)->kind == NV_UNION) {
        const nv_uni *u = (const nv_uni *)v->p;
        *t = (*t)->parts[u->tag];
        *v = u->v;
    }
}

NV_RT int nv_is_num(const nv_type *t)
{
    return t->kind == NV_INT || t->kind == NV_LONG || t->kind == NV_FLOAT || t->kind == NV_DOUBLE;
}

/* the order of a datum's field value and a test's value, unions opened:
   -1, 0, 1; 2 when unordered (NaN); -2 when they are not comparable (the
   types differ and are not both numbers, nor an enum and a string) */
NV_RT int nv_loose_cmp(const nv_type *xt, nv_val x, const nv_type *yt, nv_val y)
{
    nv_open_union(&xt, &x);
    nv_open_union(&yt, &y);
    if (nv_is_num(xt) && nv_is_num(yt)) {
        double a = nv_num(xt, x), b = nv_num(yt, y);
        return a < b ? -1 : a > b ? 1 : a == b ? 0 : 2;
    }
    if (xt->kind == NV_ENUM && yt->kind == NV_STRING) {
        nv_str sym = nv_cview(xt->names[x.i]);
        return nv_str_cmp(&sym, (const nv_str *)y.p);
    }
    if (!nv_type_eq(xt, yt))
        return -2;
    return nv_cmp(xt, x, y);
}

/* whether the union value v (of type t) holds null */
NV_RT int nv_is_null(const nv_type *t, nv_val v)
{
    return t->kind == NV_NULL || (t->kind == NV_UNION && t->parts[((const nv_uni *)v.p)->tag]->kind == NV_NULL);
}

/* A tree node's test (field, operator, value) on datum d of type dt: 1, 0,
   or -1 (missing: the field is null, for missingTest's semantics, where the
   operators isMissing and notMissing do not exist).  Errors: code (invalid
   operator), code + 1 (bad value type). */
NV_RT int nv_tree_test(nv_eng *E, const nv_type *dt, const nv_rec *d, const nv_type *ct, const nv_rec *c,
                       int missing, int code)
{
    int fi = nv_field_index(ct, "field"), oi = nv_field_index(ct, "operator"), vi = nv_field_index(ct, "value");
    int field = c->f[fi].i, r;
    const nv_str *op = (const nv_str *)c->f[oi].p;
    const nv_type *ft = dt->parts[field], *vt = ct->parts[vi];
    nv_val fv = d->f[field], vv = c->f[vi];
    if (nv_streq(op, "alwaysTrue"))
        return 1;
    if (nv_streq(op, "alwaysFalse"))
        return 0;
    if (!missing && (nv_streq(op, "isMissing") || nv_streq(op, "notMissing")))
        return nv_is_null(ft, fv) == nv_streq(op, "isMissing");
    if (nv_streq(op, "in") || nv_streq(op, "notIn")) {
        const nv_type *at = vt;
        nv_val av = vv;
        int64_t i, in = 0;
        nv_open_union(&at, &av);
        if (at->kind != NV_ARRAY)
            nv_raise(E, code + 1, "bad value type");
        if (missing && nv_is_null(ft, fv))
            return -1;
        for (i = 0; i < ((const nv_arr *)av.p)->n && !in; i++)
            in = nv_loose_cmp(ft, fv, at->items, ((const nv_arr *)av.p)->v[i]) == 0;
        return nv_streq(op, "in") ? (int)in : !in;
    }
    if (!nv_streq(op, "==") && !nv_streq(op, "!=") && !nv_streq(op, "<") && !nv_streq(op, "<=")
        && !nv_streq(op, ">") && !nv_streq(op, ">="))
        nv_raise(E, code, "invalid comparison operator");
    if (missing && nv_is_null(ft, fv))
        return -1;
    r = nv_loose_cmp(ft, fv, vt, vv);
    if (r == -2)
        nv_raise(E, code + 1, "bad value type");
    if (nv_streq(op, "=="))
        return r == 0;
    if (nv_streq(op, "!="))
        return r != 0;
    if (r == 2)
        return 0;
    if (nv_streq(op, "<"))
        return r < 0;
    if (nv_streq(op, "<="))
        return r <= 0;
    if (nv_streq(op, ">"))
        return r > 0;
    return r >= 0;
}

/* a union(null, boolean) value of type u: k < 0 null */
NV_RT nv_val nv_maybe_bool(nv_eng *E, const nv_type *u, int k)
{
    int b, want = k < 0 ? NV_NULL : NV_BOOL;
    for (b = 0; b < u->n; b++)
        if (u->parts[b]->kind == want)
            break;
    return nv_vp(nv_box(E, b, nv_vi(k < 0 ? 0 : k)));
}

/* a union(null, boolean) result: -1 null, else the boolean */
NV_RT int nv_get_maybe_bool(const nv_type *u, nv_val v)
{
    const nv_uni *x = (const nv_uni *)v.p;
    return u->parts[x->tag]->kind == NV_NULL ? -1 : x->v.i != 0;
}

NV_RT nv_val nvf_model_tree_simpleTest(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    return nv_vi(nv_tree_test(E, T[1], NV_REC(a[0]), T[2], NV_REC(a[1]), 0, 32000));
}

NV_RT nv_val nvf_model_tree_missingTest(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    return nv_maybe_bool(E, T[0], nv_tree_test(E, T[1], NV_REC(a[0]), T[2], NV_REC(a[1]), 1, 32010));
}

NV_RT nv_val nvf_model_tree_compoundTest(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_str *op = (const nv_str *)a[1].p;
    const nv_arr *cs = NV_ARR(a[2]);
    int64_t i, n = 0;
    int kind = nv_streq(op, "and") ? 0 : nv_streq(op, "or") ? 1 : nv_streq(op, "xor") ? 2 : -1;
    (void)T;
    if (kind < 0)
        nv_raise(E, 32020, "unrecognized logical operator");
    for (i = 0; i < cs->n; i++) {
        int r = nv_call2(E, a[3], a[0], cs->v[i]).i != 0;
        if (kind == 0 && !r)
            return nv_vi(0);
        if (kind == 1 && r)
            return nv_vi(1);
        n += r;
    }
    return nv_vi(kind == 0 ? 1 : kind == 1 ? 0 : (int)(n % 2));
}

NV_RT nv_val nvf_model_tree_surrogateTest(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *cs = NV_ARR(a[1]);
    int64_t i;
    for (i = 0; i < cs->n; i++) {
        int r = nv_get_maybe_bool(T[3]->items, nv_call2(E, a[2], a[0], cs->v[i]));
        if (r >= 0)
            return nv_vi(r);
    }
    nv_raise(E, 32030, "no successful surrogate");
    return nv_vi(0);
}

/* Descend from node: the test's result (0 fail, 1 pass, -1 missing)
   chooses the branch; a branch that holds a node of the tree's type goes
   on, anything else is the leaf (converted to the result type). */
NV_RT nv_val nv_tree_walk(nv_eng *E, const nv_type *const *T, const nv_val *a, int how)
{
    const nv_type *nt = T[2];
    int pi = nv_field_index(nt, "pass"), fi = nv_field_index(nt, "fail"), mi = nv_field_index(nt, "missing");
    nv_val node = a[1];
    for (;;) {
        const nv_rec *n = NV_REC(node);
        int r, b;
        const nv_type *ut, *bt;
        const nv_uni *u;
        nv_tick(E);
        if (how == 0)
            r = nv_call2(E, a[2], a[0], node).i != 0;
        else if (how == 1)
            r = nv_get_maybe_bool(T[3]->items, nv_call2(E, a[2], a[0], node));
        else
            r = nv_tree_test(E, T[1], NV_REC(a[0]), nt, n, 0, 32060);
        b = r < 0 ? mi : r ? pi : fi;
        ut = nt->parts[b];
        u = (const nv_uni *)n->f[b].p;
        bt = ut->parts[u->tag];
        if (nv_type_eq(bt, nt)) {
            node = u->v;
            continue;
        }
        return nv_conv(E, bt, T[0], u->v);
    }
}

NV_RT nv_val nvf_model_tree_simpleWalk(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_tree_walk(E, T, a, 0); }
NV_RT nv_val nvf_model_tree_missingWalk(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_tree_walk(E, T, a, 1); }
NV_RT nv_val nvf_model_tree_simpleTree(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_tree_walk(E, T, a, 2); }

/*@ section reg needs core array vec kernel_svm kernel_linalg */
/* ---- model.reg ---- */
/* the field `name` of record type t: its type */
NV_RT const nv_type *nv_field_type(const nv_type *t, const char *name)
{
    return t->parts[nv_field_index(t, name)];
}

NV_RT nv_val nvf_model_reg_linear(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_type *mt = T[2], *ct = nv_field_type(mt, "coeff");
    const nv_rec *m = NV_REC(a[1]);
    nv_val coeff = m->f[nv_field_index(mt, "coeff")], cst = m->f[nv_field_index(mt, "const")];
    int64_t i, j;
    if (ct->kind == NV_ARRAY && ct->items->kind == NV_DOUBLE) {
        const nv_arr *x = NV_ARR(a[0]), *c = NV_ARR(coeff);
        if (x->n != c->n)
            nv_raise(E, 31000, "misaligned coeff");
        return nv_vd(nv_dot(nv_dvec(E, x), nv_dvec(E, c), x->n) + cst.d);
    }
    if (ct->kind == NV_ARRAY) {
        const nv_arr *x = NV_ARR(a[0]), *c = NV_ARR(coeff), *k = NV_ARR(cst);
        double *xv = nv_dvec(E, x);
        nv_arr *r;
        if (k->n != c->n)
            nv_raise(E, 31001, "misaligned const");
        for (i = 0; i < c->n; i++)
            if (NV_ARR(c->v[i])->n != x->n)
                nv_raise(E, 31000, "misaligned coeff");
        r = nv_arr_new(E, c->n);
        for (i = 0; i < c->n; i++)
            r->v[i] = nv_vd(nv_dot(nv_dvec(E, NV_ARR(c->v[i])), xv, x->n) + k->v[i].d);
        return nv_vp(r);
    }
    if (ct->items->kind == NV_DOUBLE) {
        /* sparse: the sum over the keys both have */
        const nv_map *x = NV_MAP(a[0]), *c = NV_MAP(coeff);
        double s = 0;
        for (i = 0; i < x->n; i++)
            s += x->e[i].v.d * nv_mget0(c, x->e[i].k);
        return nv_vd(s + cst.d);
    } else {
        const nv_map *x = NV_MAP(a[0]), *c = NV_MAP(coeff), *k = NV_MAP(cst), *both[2];
        nv_keys outer;
        double *out;
        both[0] = c;
        both[1] = k;
        outer = nv_key_union(E, both, 2, 1);
        out = nv_dalloc(E, outer.n);
        for (i = 0; i < outer.n; i++) {
            int64_t r = nv_map_find(c, outer.k[i]);
            double s = 0;
            if (r >= 0)
                for (j = 0; j < x->n; j++)
                    s += x->e[j].v.d * nv_mget0(NV_MAP(c->e[r].v), x->e[j].k);
            out[i] = s + nv_mget0(k, outer.k[i]);
        }
        return nv_vp(nv_dmap(E, &outer, out));
    }
}

/* x^T C x with x = (datum, 1): arrays */
NV_RT double nv_var_array(nv_eng *E, const nv_arr *x, const nv_arr *c)
{
    int64_t n = x->n + 1, i, j;
    double s = 0;
    if (c->n != n)
        nv_raise(E, 31010, "misaligned covariance");
    for (i = 0; i < n; i++) {
        const nv_arr *row = NV_ARR(c->v[i]);
        double xi = i < x->n ? x->v[i].d : 1, t = 0;
        if (row->n != n)
            nv_raise(E, 31010, "misaligned covariance");
        for (j = 0; j < n; j++)
            t += row->v[j].d * (j < x->n ? x->v[j].d : 1);
        s += xi * t;
    }
    return s;
}

/* the same for maps: the key "" is the constant term, missing entries 0 */
NV_RT double nv_var_map(const nv_map *x, const nv_map *c)
{
    static const nv_str empty = {0, ""};
    int64_t i, j;
    double s = 0;
    for (i = 0; i < c->n; i++) {
        const nv_map *row = NV_MAP(c->e[i].v);
        const nv_str *ki = c->e[i].k;
        double xi = ki->n == 0 ? 1 : nv_mget0(x, ki), t = 0;
        if (xi == 0)
            continue;
        for (j = 0; j < row->n; j++) {
            const nv_str *kj = row->e[j].k;
            t += row->e[j].v.d * (nv_str_eq(kj, &empty) ? 1 : nv_mget0(x, kj));
        }
        s += xi * t;
    }
    return s;
}

NV_RT nv_val nvf_model_reg_linearVariance(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_type *mt = T[2], *ct = nv_field_type(mt, "covar");
    nv_val cv = NV_REC(a[1])->f[nv_field_index(mt, "covar")];
    int64_t i;
    if (T[1]->kind == NV_ARRAY) {
        nv_arr *r;
        if (ct->items->items->kind == NV_DOUBLE)
            return nv_vd(nv_var_array(E, NV_ARR(a[0]), NV_ARR(cv)));
        r = nv_arr_new(E, NV_ARR(cv)->n);
        for (i = 0; i < r->n; i++)
            r->v[i] = nv_vd(nv_var_array(E, NV_ARR(a[0]), NV_ARR(NV_ARR(cv)->v[i])));
        return nv_vp(r);
    } else {
        const nv_map *c = NV_MAP(cv);
        nv_map *r;
        if (ct->items->items->kind == NV_DOUBLE)
            return nv_vd(nv_var_map(NV_MAP(a[0]), c));
        r = nv_map_new(E, c->n);
        for (i = 0; i < c->n; i++) {
            r->e[i].k = c->e[i].k;
            r->e[i].v = nv_vd(nv_var_map(NV_MAP(a[0]), NV_MAP(c->e[i].v)));
        }
        return nv_vp(r);
    }
}

/* ---- model.reg.gaussianProcess: Kriging, as Titus computes it (the
   features and the outputs standardized to zero mean and unit population
   standard deviation; the correlation matrix from the kernel with
   1 + nugget on its diagonal; the weights by Cholesky; the Kriging weight
   given, or by universal Kriging) ---- */
typedef struct nv_gp {
    int64_t n, d;            /* samples, features */
    double *xn;              /* standardized features, n x d */
    double *mean, *sd;       /* of the features */
    nv_val kernel;
} nv_gp;

/* the kernel on rows u and v (d doubles each), as PFA arrays */
NV_RT double nv_gp_kern(nv_eng *E, const nv_gp *g, const double *u, const double *v)
{
    return nv_call2(E, g->kernel, nv_vp(nv_darr(E, u, g->d)), nv_vp(nv_darr(E, v, g->d))).d;
}

/* mean and population standard deviation of v[0..n) with stride s */
NV_RT void nv_mean_sd(const double *v, int64_t n, int64_t s, double *mean, double *sd)
{
    double m = 0, q = 0;
    int64_t i;
    for (i = 0; i < n; i++)
        m += v[i * s];
    m /= (double)n;
    for (i = 0; i < n; i++)
        q += (v[i * s] - m) * (v[i * s] - m);
    *mean = m;
    *sd = sqrt(q / (double)n);
}

/* the prediction at x (d doubles) for outputs y[0..n): nugget[i] or, when
   nugget is NULL, 10 eps on the diagonal; beta the Kriging weight or NaN */
NV_RT double nv_gp_predict(nv_eng *E, const nv_gp *g, const double *x, const double *y, const double *nugget,
                           double beta)
{
    int64_t n = g->n, i, j;
    double *r = nv_dalloc(E, nv_size2(E, n, n)), *ft = nv_dalloc(E, n), *yt = nv_dalloc(E, n), *xn = nv_dalloc(E, g->d);
    double ym, ysd, ff = 0, fy = 0, out;
    nv_poll poll;
    poll.fn = nv_tick_now;
    poll.ctx = E;
    nv_mean_sd(y, n, 1, &ym, &ysd);
    for (i = 0; i < n; i++) {
        r[i * n + i] = 1 + (nugget ? nugget[i] : 10 * DBL_EPSILON);
        for (j = i + 1; j < n; j++)
            r[i * n + j] = r[j * n + i] = nv_gp_kern(E, g, g->xn + i * g->d, g->xn + j * g->d);
    }
    if (nv_cholesky(r, n, &poll) != 0)
        nv_raise(E, 31088, "matrix of kernel results is not positive definite");
    /* forward solves C ft = 1, C yt = (y - mean)/sd */
    for (i = 0; i < n; i++) {
        double a = 1, b = (y[i] - ym) / ysd;
        for (j = 0; j < i; j++) {
            a -= r[i * n + j] * ft[j];
            b -= r[i * n + j] * yt[j];
        }
        ft[i] = a / r[i * n + i];
        yt[i] = b / r[i * n + i];
        ff += ft[i] * ft[i];
        fy += ft[i] * yt[i];
    }
    if (beta != beta)
        beta = fy / ff;      /* universal Kriging: least squares of yt on ft */
    /* back solve C^T gamma = yt - ft beta (into yt) */
    for (i = 0; i < n; i++)
        yt[i] -= ft[i] * beta;
    for (i = n - 1; i >= 0; i--) {
        for (j = i + 1; j < n; j++)
            yt[i] -= r[j * n + i] * yt[j];
        yt[i] /= r[i * n + i];
    }
    for (j = 0; j < g->d; j++)
        xn[j] = (x[j] - g->mean[j]) / g->sd[j];
    out = beta;
    for (i = 0; i < n; i++)
        out += nv_gp_kern(E, g, xn, g->xn + i * g->d) * yt[i];
    return ym + ysd * out;
}

NV_RT nv_val nvf_model_reg_gaussianProcess(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_type *rt = T[2]->items, *tt = nv_field_type(rt, "to");
    const nv_arr *table = NV_ARR(a[1]);
    int xi = nv_field_index(rt, "x"), ti = nv_field_index(rt, "to"), si = nv_field_index(rt, "sigma");
    int vec_x = T[1]->kind == NV_ARRAY, vec_to = tt->kind == NV_ARRAY;
    int64_t n = table->n, d, nout = 1, i, j, k;
    double *x, *y, *nug = NULL, beta = NAN;
    nv_gp g;
    nv_arr *out;
    if (n < 1)
        nv_raise(E, 31080, "table must have at least 1 entry");
    d = vec_x ? NV_ARR(a[0])->n : 1;
    if (vec_x) {
        if (d < 1)
            nv_raise(E, 31081, "x must have at least 1 feature");
        for (i = 0; i < n; i++)
            if (NV_ARR(NV_REC(table->v[i])->f[xi])->n != d)
                nv_raise(E, 31082, "table must have the same number of features as x");
    }
    if (vec_to) {
        nout = NV_ARR(NV_REC(table->v[0])->f[ti])->n;
        if (nout < 1)
            nv_raise(E, 31083, "table outputs must have at least 1 dimension");
        for (i = 0; i < n; i++)
            if (NV_ARR(NV_REC(table->v[i])->f[ti])->n != nout)
                nv_raise(E, 31084, "table outputs must all have the same number of dimensions");
    }
    x = vec_x ? nv_dvec(E, NV_ARR(a[0])) : &((double *)nv_dalloc(E, 1))[0];
    if (!vec_x)
        x[0] = a[0].d;
    if (!nv_all_finite(x, d))
        nv_raise(E, 31085, "x is not finite");
    /* the outputs (and the uncertainties, if given), n x nout */
    y = nv_dalloc(E, nv_size2(E, n, nout));
    if (si >= 0)
        nug = nv_dalloc(E, n * nout);
    for (i = 0; i < n; i++) {
        const nv_rec *row = NV_REC(table->v[i]);
        for (k = 0; k < nout; k++) {
            y[i * nout + k] = vec_to ? NV_ARR(row->f[ti])->v[k].d : row->f[ti].d;
            if (nug) {
                double s = vec_to ? NV_ARR(row->f[si])->v[k].d : row->f[si].d, to = y[i * nout + k];
                nug[i * nout + k] = to != 0 ? (s / to) * (s / to) : HUGE_VAL;
            }
        }
    }
    if (!nv_all_finite(y, n * nout))
        nv_raise(E, 31086, "table value is not finite");
    g.n = n;
    g.d = d;
    g.kernel = a[3];
    g.xn = nv_dalloc(E, nv_size2(E, n, d));
    for (i = 0; i < n; i++) {
        const nv_rec *row = NV_REC(table->v[i]);
        for (j = 0; j < d; j++)
            g.xn[i * d + j] = vec_x ? NV_ARR(row->f[xi])->v[j].d : row->f[xi].d;
    }
    if (!nv_all_finite(g.xn, n * d))
        nv_raise(E, 31086, "table value is not finite");
    {
        const nv_uni *kw = (const nv_uni *)a[2].p;
        if (T[3]->parts[kw->tag]->kind != NV_NULL) {
            beta = nv_as_d(T[3]->parts[kw->tag], kw->v);
            if (!nv_finite(beta))
                nv_raise(E, 31087, "krigingWeight is not finite");
        }
    }
    g.mean = nv_dalloc(E, d);
    g.sd = nv_dalloc(E, d);
    for (j = 0; j < d; j++) {
        nv_mean_sd(g.xn + j, n, d, &g.mean[j], &g.sd[j]);
        for (i = 0; i < n; i++)
            g.xn[i * d + j] = (g.xn[i * d + j] - g.mean[j]) / g.sd[j];
    }
    if (!vec_to)
        return nv_vd(nv_gp_predict(E, &g, x, y, nug, beta));
    out = nv_arr_new(E, nout);
    for (k = 0; k < nout; k++) {
        double *yk = nv_dalloc(E, n), *nk = nug ? nv_dalloc(E, n) : NULL;
        for (i = 0; i < n; i++) {
            yk[i] = y[i * nout + k];
            if (nk)
                nk[i] = nug[i * nout + k];
        }
        out->v[k] = nv_vd(nv_gp_predict(E, &g, x, yk, nk, beta));
    }
    return nv_vp(out);
}

/*@ section neural needs core array vec kernel_svm */
/* ---- model.neural ---- */
NV_RT nv_val nvf_model_neural_simpleLayers(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_type *lt = T[2]->items;
    const nv_arr *layers = NV_ARR(a[1]);
    int wi = nv_field_index(lt, "weights"), bi = nv_field_index(lt, "bias");
    const nv_arr *x = NV_ARR(a[0]);
    double *v = nv_dvec(E, x);
    int64_t n = x->n, l, i;
    if (layers->n == 0)
        nv_raise(E, 11000, "no layers");
    for (l = 0; l < layers->n; l++) {
        const nv_rec *layer = NV_REC(layers->v[l]);
        const nv_arr *w = NV_ARR(layer->f[wi]), *b = NV_ARR(layer->f[bi]);
        double *o = nv_dalloc(E, w->n);
        if (b->n != w->n)
            nv_raise(E, 11001, "weights, bias, or datum misaligned");
        for (i = 0; i < w->n; i++) {
            const nv_arr *row = NV_ARR(w->v[i]);
            if (row->n != n)
                nv_raise(E, 11001, "weights, bias, or datum misaligned");
            o[i] = nv_dot(nv_dvec(E, row), v, n) + b->v[i].d;
            if (l + 1 < layers->n)
                o[i] = nv_call1(E, a[2], nv_vd(o[i])).d;
        }
        v = o;
        n = w->n;
    }
    return nv_vp(nv_darr(E, v, n));
}

/*@ section svm needs core array vec */
/* ---- model.svm ---- */
NV_RT double nv_svm_side(nv_eng *E, const nv_type *ct, const nv_arr *vs, nv_val datum, nv_val kernel)
{
    int si = nv_field_index(ct, "supVec"), ci = nv_field_index(ct, "coeff");
    int64_t i;
    double s = 0;
    for (i = 0; i < vs->n; i++) {
        const nv_rec *sv = NV_REC(vs->v[i]);
        if (NV_ARR(sv->f[si])->n != NV_ARR(datum)->n)
            nv_raise(E, 12001, "support vectors must have same length as datum");
        s += nv_call2(E, kernel, sv->f[si], datum).d * nv_as_d(ct->parts[ci], sv->f[ci]);
    }
    return s;
}

NV_RT nv_val nvf_model_svm_score(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_type *mt = T[2];
    const nv_rec *m = NV_REC(a[1]);
    int pi = nv_field_index(mt, "posClass"), ni = nv_field_index(mt, "negClass");
    const nv_arr *pos = NV_ARR(m->f[pi]), *neg = NV_ARR(m->f[ni]);
    double s;
    if (pos->n == 0 && neg->n == 0)
        nv_raise(E, 12000, "no support vectors");
    s = nv_svm_side(E, mt->parts[ni]->items, neg, a[0], a[2]);
    s += nv_svm_side(E, mt->parts[pi]->items, pos, a[0], a[2]);
    return nv_vd(s + nv_get_d(mt, m, "const"));
}

/*@ section cluster needs core array vec */
/* ---- model.cluster and model.neighbor ---- */
/* squared Euclidean distance of two arrays of doubles, over the shorter */
NV_RT double nv_sqdist(const nv_arr *x, const nv_arr *y)
{
    int64_t i, n = x->n < y->n ? x->n : y->n;
    double s = 0;
    for (i = 0; i < n; i++)
        s += (x->v[i].d - y->v[i].d) * (x->v[i].d - y->v[i].d);
    return s;
}

/* the distance from datum to each item's center (field ci of records, or
   the item itself when ci < 0): by metric, or squared Euclidean */
NV_RT double *nv_distances(nv_eng *E, const nv_arr *items, int ci, nv_val datum, const nv_val *metric)
{
    double *d = nv_dalloc(E, items->n);
    int64_t i;
    for (i = 0; i < items->n; i++) {
        nv_val c = ci >= 0 ? NV_REC(items->v[i])->f[ci] : items->v[i];
        d[i] = metric ? nv_call2(E, *metric, datum, c).d : nv_sqdist(NV_ARR(datum), NV_ARR(c));
    }
    return d;
}

/* the indexes of the n smallest of d[0..m), smallest first, ties (and
   NaN, which is never smaller) in order of index */
NV_RT int64_t *nv_lowest(nv_eng *E, const double *d, int64_t m, int64_t n, int64_t *k)
{
    int64_t *ix = (int64_t *)nv_alloc(E, sizeof(int64_t) * (size_t)(m ? m : 1)), i, j;
    *k = 0;
    if (n > m)
        n = m;
    for (i = 0; i < m; i++) {
        /* insert i after every kept index whose value is not larger */
        j = *k;
        while (j > 0 && d[i] < d[ix[j - 1]])
            j--;
        if (j >= n)
            continue;
        if (*k < n)
            (*k)++;
        memmove(ix + j + 1, ix + j, sizeof(int64_t) * (size_t)(*k - 1 - j));
        ix[j] = i;
    }
    return ix;
}

NV_RT int nv_nargs_of(const nv_type *const *T)
{
    int n = 0;
    while (T[n + 1])
        n++;
    return n;
}

NV_RT nv_val nvf_model_cluster_closest(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *cs = NV_ARR(a[1]);
    int64_t k;
    double *d;
    if (cs->n == 0)
        nv_raise(E, 29000, "no clusters");
    d = nv_distances(E, cs, nv_field_index(T[2]->items, "center"), a[0], nv_nargs_of(T) == 3 ? &a[2] : NULL);
    return cs->v[nv_lowest(E, d, cs->n, 1, &k)[0]];
}

NV_RT nv_val nvf_model_cluster_closestN(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *cs = NV_ARR(a[2]);
    int64_t k, i, *ix;
    nv_arr *r;
    if (a[0].i < 0)
        nv_raise(E, 29010, "n must be nonnegative");
    ix = nv_lowest(E, nv_distances(E, cs, nv_field_index(T[3]->items, "center"), a[1], nv_nargs_of(T) == 4 ? &a[3] : NULL),
                   cs->n, a[0].i, &k);
    r = nv_arr_new(E, k);
    for (i = 0; i < k; i++)
        r->v[i] = cs->v[ix[i]];
    return nv_vp(r);
}

NV_RT nv_val nvf_model_cluster_randomSeeds(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *data = NV_ARR(a[0]);
    int64_t k = a[1].i, nu = 0, i, j;
    nv_val *u;
    nv_arr *r;
    if (k <= 0)
        nv_raise(E, 29020, "k must be greater than zero");
    /* the distinct vectors, in order of first appearance */
    u = (nv_val *)nv_alloc(E, sizeof(nv_val) * (size_t)(data->n ? data->n : 1));
    for (i = 0; i < data->n; i++) {
        for (j = 0; j < nu; j++)
            if (nv_eq(T[1]->items, u[j], data->v[i]))
                break;
        if (j == nu)
            u[nu++] = data->v[i];
    }
    if (nu < k)
        nv_raise(E, 29021, "not enough unique points");
    for (i = 1; i < nu; i++)
        if (NV_ARR(u[i])->n != NV_ARR(u[0])->n)
            nv_raise(E, 29022, "dimensions of vectors do not match");
    /* a random k of them: the first k after random.shuffle, as Titus */
    nv_rand_shuffle(E, u, nu);
    r = nv_arr_new(E, k);
    for (i = 0; i < k; i++)
        r->v[i] = nv_call2(E, a[2], nv_vi((int32_t)i), u[i]);
    return nv_vp(r);
}

NV_RT nv_val nvf_model_cluster_kmeansIteration(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *data = NV_ARR(a[0]), *cs = NV_ARR(a[1]);
    int ci = nv_field_index(T[2]->items, "center");
    int64_t *best, *count, i, j;
    nv_arr *r;
    if (data->n == 0)
        nv_raise(E, 29030, "no data");
    if (cs->n == 0)
        nv_raise(E, 29031, "no clusters");
    best = (int64_t *)nv_alloc(E, sizeof(int64_t) * (size_t)data->n);
    count = (int64_t *)nv_alloc(E, sizeof(int64_t) * (size_t)cs->n);
    memset(count, 0, sizeof(int64_t) * (size_t)cs->n);
    for (i = 0; i < data->n; i++) {
        double bd = 0;
        best[i] = 0;
        for (j = 0; j < cs->n; j++) {
            double d = nv_call2(E, a[2], data->v[i], NV_REC(cs->v[j])->f[ci]).d;
            if (j == 0 || d < bd) {
                best[i] = j;
                bd = d;
            }
        }
        count[best[i]]++;
    }
    r = nv_arr_new(E, cs->n);
    for (j = 0; j < cs->n; j++) {
        nv_arr *matched;
        int64_t m = 0;
        if (count[j] == 0) {
            r->v[j] = cs->v[j];
            continue;
        }
        matched = nv_arr_new(E, count[j]);
        for (i = 0; i < data->n; i++)
            if (best[i] == j)
                matched->v[m++] = data->v[i];
        r->v[j] = nv_call2(E, a[3], nv_vp(matched), cs->v[j]);
    }
    return nv_vp(r);
}

NV_RT nv_val nvf_model_cluster_updateMean(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *data = NV_ARR(a[0]);
    const nv_type *ct = T[2];
    const nv_rec *c = NV_REC(a[1]);
    int ci = nv_field_index(ct, "center");
    const nv_arr *center = NV_ARR(c->f[ci]);
    double w = a[2].d, *s;
    int64_t d, i, j;
    nv_rec *r;
    if (data->n == 0)
        nv_raise(E, 29040, "no data");
    d = NV_ARR(data->v[0])->n;
    s = nv_dalloc(E, d);
    memset(s, 0, sizeof(double) * (size_t)d);
    for (i = 0; i < data->n; i++) {
        const nv_arr *v = NV_ARR(data->v[i]);
        if (v->n != d)
            nv_raise(E, 29041, "dimensions of vectors do not match");
        for (j = 0; j < d; j++)
            s[j] += v->v[j].d;
    }
    if (center->n != d)
        nv_raise(E, 29041, "dimensions of vectors do not match");
    for (j = 0; j < d; j++)
        s[j] = (s[j] + w * center->v[j].d) / ((double)data->n + w);
    r = nv_rec_dup(E, ct, c);
    r->f[ci] = nv_vp(nv_darr(E, s, d));
    return nv_vp(r);
}

NV_RT nv_val nvf_model_neighbor_mean(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *pts = NV_ARR(a[0]);
    int weighted = nv_nargs_of(T) == 2;
    double *num, den = 0;
    int64_t d, i, j;
    if (pts->n == 0)
        nv_raise(E, 30000, "not enough points");
    d = NV_ARR(pts->v[0])->n;
    num = nv_dalloc(E, d);
    memset(num, 0, sizeof(double) * (size_t)d);
    for (i = 0; i < pts->n; i++) {
        const nv_arr *p = NV_ARR(pts->v[i]);
        double w;
        if (p->n != d)
            nv_raise(E, 30001, "inconsistent dimensionality");
        w = weighted ? nv_call1(E, a[1], pts->v[i]).d : 1;
        for (j = 0; j < d; j++)
            num[j] += w * p->v[j].d;
        den += w;
    }
    for (j = 0; j < d; j++)
        num[j] /= den;
    return nv_vp(nv_darr(E, num, d));
}

NV_RT nv_val nvf_model_neighbor_nearestK(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *cb = NV_ARR(a[2]);
    int metric = nv_nargs_of(T) == 4;
    int64_t k, i, *ix;
    nv_arr *r;
    if (a[0].i < 0)
        nv_raise(E, 30010, "k must be nonnegative");
    if (!metric)
        for (i = 0; i < cb->n; i++)
            if (NV_ARR(cb->v[i])->n != NV_ARR(a[1])->n)
                nv_raise(E, 30011, "inconsistent dimensionality");
    ix = nv_lowest(E, nv_distances(E, cb, -1, a[1], metric ? &a[3] : NULL), cb->n, a[0].i, &k);
    r = nv_arr_new(E, k);
    for (i = 0; i < k; i++)
        r->v[i] = cb->v[ix[i]];
    return nv_vp(r);
}

NV_RT nv_val nvf_model_neighbor_ballR(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *cb = NV_ARR(a[2]);
    int metric = nv_nargs_of(T) == 4;
    double *d = nv_distances(E, cb, -1, a[1], metric ? &a[3] : NULL);
    int64_t i, k = 0;
    nv_arr *r = nv_arr_new(E, cb->n);
    for (i = 0; i < cb->n; i++)
        if ((metric ? d[i] : sqrt(d[i])) < a[0].d)
            r->v[k++] = cb->v[i];
    r->n = k;
    return nv_vp(r);
}

/*@ section naive needs core array vec kernel_normal */
/* ---- model.naive ---- */
NV_RT nv_val nvf_model_naive_gaussian(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_type *pt = T[2]->items;
    double ll = 0;
    int64_t i, n;
    if (T[1]->kind == NV_ARRAY) {
        const nv_arr *x = NV_ARR(a[0]), *m = NV_ARR(a[1]);
        n = x->n;
        if (m->n != n)
            nv_raise(E, 10000, "datum and classModel misaligned");
        for (i = 0; i < n; i++) {
            double v = nv_get_d(pt, NV_REC(m->v[i]), "variance");
            if (!(v > 0))
                nv_raise(E, 10001, "variance less than or equal to zero");
            ll += nv_normal_logpdf(x->v[i].d, nv_get_d(pt, NV_REC(m->v[i]), "mean"), sqrt(v));
        }
    } else {
        const nv_map *x = NV_MAP(a[0]), *m = NV_MAP(a[1]);
        n = x->n;
        if (m->n != n)
            nv_raise(E, 10000, "datum and classModel misaligned");
        for (i = 0; i < n; i++) {
            double v;
            if (!nv_str_eq(x->e[i].k, m->e[i].k))
                nv_raise(E, 10000, "datum and classModel misaligned");
            v = nv_get_d(pt, NV_REC(m->e[i].v), "variance");
            if (!(v > 0))
                nv_raise(E, 10001, "variance less than or equal to zero");
            ll += nv_normal_logpdf(x->e[i].v.d, nv_get_d(pt, NV_REC(m->e[i].v), "mean"), sqrt(v));
        }
    }
    return nv_vd(ll);
}

/* the class model (the argument, or its "values" field) */
NV_RT nv_val nv_class_values(const nv_type *const *T, const nv_val *a, const nv_type **t)
{
    *t = T[2];
    if (T[2]->kind == NV_RECORD) {
        int vi = nv_field_index(T[2], "values");
        *t = T[2]->parts[vi];
        return NV_REC(a[1])->f[vi];
    }
    return a[1];
}

NV_RT nv_val nvf_model_naive_multinomial(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_type *mt;
    nv_val m = nv_class_values(T, a, &mt);
    double sum = 0, ll = 0;
    int64_t i, n;
    if (mt->kind == NV_ARRAY) {
        const nv_arr *x = NV_ARR(a[0]), *p = NV_ARR(m);
        n = p->n;
        for (i = 0; i < n; i++) {
            if (!(p->v[i].d > 0))
                nv_raise(E, 10011, "classModel must be non-empty and strictly positive");
            sum += p->v[i].d;
        }
        if (n == 0)
            nv_raise(E, 10011, "classModel must be non-empty and strictly positive");
        if (x->n != n)
            nv_raise(E, 10010, "datum and classModel misaligned");
        for (i = 0; i < n; i++)
            ll += x->v[i].d * log(p->v[i].d / sum);
    } else {
        const nv_map *x = NV_MAP(a[0]), *p = NV_MAP(m);
        n = p->n;
        for (i = 0; i < n; i++) {
            if (!(p->e[i].v.d > 0))
                nv_raise(E, 10011, "classModel must be non-empty and strictly positive");
            sum += p->e[i].v.d;
        }
        if (n == 0)
            nv_raise(E, 10011, "classModel must be non-empty and strictly positive");
        if (x->n != n)
            nv_raise(E, 10010, "datum and classModel misaligned");
        for (i = 0; i < n; i++) {
            if (!nv_str_eq(x->e[i].k, p->e[i].k))
                nv_raise(E, 10010, "datum and classModel misaligned");
            ll += x->e[i].v.d * log(p->e[i].v.d / sum);
        }
    }
    return nv_vd(ll);
}

NV_RT nv_val nvf_model_naive_bernoulli(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_type *mt;
    const nv_map *p = NV_MAP(nv_class_values(T, a, &mt));
    const nv_arr *x = NV_ARR(a[0]);
    double ll = 0;
    int64_t i;
    for (i = 0; i < p->n; i++) {
        double v = p->e[i].v.d;
        if (!(v > 0 && v < 1))
            nv_raise(E, 10020, "probability in classModel must be strictly between 0 and 1");
        ll += log1p(-v);
    }
    for (i = 0; i < x->n; i++) {
        int64_t k = nv_map_find(p, (const nv_str *)x->v[i].p);
        if (k >= 0)
            ll += log(p->e[k].v.d) - log1p(-p->e[k].v.d);
    }
    return nv_vd(ll);
}
