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

/* -2: not comparable; else -1, 0, 1 */
NV_RT int nv_loose_cmp(const nv_type *xt, nv_val x, const nv_type *yt, nv_val y)
{
    nv_open_union(&xt, &x);
    nv_open_union(&yt, &y);
    if (nv_is_num(xt) && nv_is_num(yt)) {
        double a = nv_num(xt, x), b = nv_num(yt, y);
        return a < b ? -1 : a > b ? 1 : 0;
    }
    if (xt->kind == NV_ENUM && yt->kind == NV_STRING) {
        nv_str sym = nv_cview(xt->names[x.i]);
        return nv_str_cmp(&sym, (const nv_str *)y.p);
    }
    if (!nv_type_eq(xt, yt))
        return -2;
    return nv_cmp(xt, x, y);
}

NV_RT nv_val nvf_model_tree_simpleTest(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_type *dt = T[1], *ct = T[2];
    const nv_rec *d = (const nv_rec *)a[0].p, *c = (const nv_rec *)a[1].p;
    int fi = nv_field_index(ct, "field"), oi = nv_field_index(ct, "operator"), vi = nv_field_index(ct, "value");
    int field = c->f[fi].i;
    const nv_str *op = (const nv_str *)c->f[oi].p;
    const nv_type *ft = dt->parts[field], *vt = ct->parts[vi];
    nv_val fv = d->f[field], vv = c->f[vi];
    int r;
    if (nv_streq(op, "alwaysTrue"))
        return nv_vi(1);
    if (nv_streq(op, "alwaysFalse"))
        return nv_vi(0);
    if (nv_streq(op, "isMissing") || nv_streq(op, "notMissing")) {
        int missing = 0;
        const nv_type *t = ft;
        nv_val v = fv;
        if (t->kind == NV_UNION)
            missing = t->parts[((const nv_uni *)v.p)->tag]->kind == NV_NULL;
        return nv_vi(nv_streq(op, "isMissing") ? missing : !missing);
    }
    if (nv_streq(op, "in") || nv_streq(op, "notIn")) {
        const nv_type *at = vt;
        nv_val av = vv;
        int64_t i, in = 0;
        nv_open_union(&at, &av);
        if (at->kind != NV_ARRAY)
            nv_raise(E, 32001, "bad value type");
        for (i = 0; i < ((const nv_arr *)av.p)->n && !in; i++)
            in = nv_loose_cmp(ft, fv, at->items, ((const nv_arr *)av.p)->v[i]) == 0;
        return nv_vi(nv_streq(op, "in") ? (int)in : !in);
    }
    r = nv_loose_cmp(ft, fv, vt, vv);
    if (r == -2)
        nv_raise(E, 32001, "bad value type");
    if (nv_streq(op, "=="))
        return nv_vi(r == 0);
    if (nv_streq(op, "!="))
        return nv_vi(r != 0);
    if (nv_streq(op, "<"))
        return nv_vi(r < 0);
    if (nv_streq(op, "<="))
        return nv_vi(r <= 0);
    if (nv_streq(op, ">"))
        return nv_vi(r > 0);
    if (nv_streq(op, ">="))
        return nv_vi(r >= 0);
    nv_raise(E, 32000, "invalid comparison operator");
    return nv_vi(0);
}

NV_RT nv_val nvf_model_tree_simpleWalk(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_type *nt = T[2];
    int pi = nv_field_index(nt, "pass"), fi = nv_field_index(nt, "fail");
    nv_val node = a[1];
    for (;;) {
        const nv_rec *n = (const nv_rec *)node.p;
        int pass = nv_call2(E, a[2], a[0], node).i;
        const nv_type *ut = nt->parts[pass ? pi : fi];
        const nv_uni *u = (const nv_uni *)n->f[pass ? pi : fi].p;
        const nv_type *bt = ut->parts[u->tag];
        if (nv_type_eq(bt, nt)) {
            node = u->v;
            continue;
        }
        return nv_conv(E, bt, T[0], u->v);
    }
}
