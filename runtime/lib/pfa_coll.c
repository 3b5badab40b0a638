/* pfa_coll.c -- the PFA array (a.*) and map (map.*) libraries for generated
 * engines, in the calling convention of pfa_lib.c: arguments as nv_val,
 * T[0] the result's type, T[1..] the arguments' (NULL-terminated).
 * Arrays and maps are immutable: every function builds a new one.  Sorting
 * is a stable merge sort, so "less than" functions may raise PFA errors in
 * the middle of it (longjmp) without leaving anything half-done. */

/*@ section array needs core string */
#define NV_A(x) ((const nv_arr *)(x).p)

NV_RT nv_val nv_call1(nv_eng *E, nv_val f, nv_val x)
{
    const nv_fn *fn = (const nv_fn *)f.p;
    return fn->call(E, fn, &x);
}

NV_RT nv_val nv_call2(nv_eng *E, nv_val f, nv_val x, nv_val y)
{
    const nv_fn *fn = (const nv_fn *)f.p;
    nv_val a[2];
    a[0] = x;
    a[1] = y;
    return fn->call(E, fn, a);
}

/* a "less than" order: a type's own (fn unset) or a PFA function */
typedef struct nv_order {
    nv_eng *E;
    const nv_type *t;
    nv_val fn;
    int has_fn;
    int desc;                /* reversed */
} nv_order;

NV_RT int nv_less(const nv_order *o, nv_val x, nv_val y)
{
    if (o->desc) {
        nv_val s = x;
        x = y;
        y = s;
    }
    if (o->has_fn)
        return nv_call2(o->E, o->fn, x, y).i != 0;
    return nv_cmp(o->t, x, y) < 0;
}

/* stable merge sort of v[0..n) */
NV_RT void nv_sort_vals(nv_eng *E, nv_val *v, int64_t n, const nv_order *o)
{
    nv_val *tmp;
    int64_t w, lo;
    if (n < 2)
        return;
    tmp = (nv_val *)nv_alloc(E, sizeof(nv_val) * (size_t)n);
    for (w = 1; w < n; w *= 2) {
        for (lo = 0; lo < n; lo += 2 * w) {
            int64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            int64_t a = lo, b = mid, k = lo;
            while (a < mid && b < hi)
                tmp[k++] = nv_less(o, v[b], v[a]) ? v[b++] : v[a++];
            while (a < mid)
                tmp[k++] = v[a++];
            while (b < hi)
                tmp[k++] = v[b++];
        }
        memcpy(v, tmp, sizeof(nv_val) * (size_t)n);
    }
}

/* sort indexes 0..n) of v by value (ties by index) */
typedef struct nv_ix { nv_val v; int64_t i; } nv_ix;

NV_RT void nv_sort_ix(nv_eng *E, nv_ix *v, int64_t n, const nv_order *o)
{
    nv_ix *tmp;
    int64_t w, lo;
    if (n < 2)
        return;
    tmp = (nv_ix *)nv_alloc(E, sizeof(nv_ix) * (size_t)n);
    for (w = 1; w < n; w *= 2) {
        for (lo = 0; lo < n; lo += 2 * w) {
            int64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            int64_t a = lo, b = mid, k = lo;
            while (a < mid && b < hi)
                tmp[k++] = nv_less(o, v[b].v, v[a].v) ? v[b++] : v[a++];
            while (a < mid)
                tmp[k++] = v[a++];
            while (b < hi)
                tmp[k++] = v[b++];
        }
        memcpy(v, tmp, sizeof(nv_ix) * (size_t)n);
    }
}

NV_RT nv_arr *nv_arr_slice(nv_eng *E, const nv_arr *a, int64_t b, int64_t e)
{
    nv_arr *r = nv_arr_new(E, e - b);
    if (e > b)
        memcpy(r->v, a->v + b, sizeof(nv_val) * (size_t)(e - b));
    return r;
}

NV_RT nv_val nvf_a_len(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    (void)T;
    return nv_vi((int32_t)NV_A(a[0])->n);
}

NV_RT nv_val nvf_a_subseq(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_A(a[0]);
    int64_t b = a[1].i, e = a[2].i;
    (void)T;
    nv_slice(x->n, &b, &e);
    return nv_vp(nv_arr_slice(E, x, b, e));
}

NV_RT nv_val nvf_a_subseqto(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_A(a[0]), *rep = NV_A(a[3]);
    int64_t b = a[1].i, e = a[2].i;
    nv_arr *r;
    (void)T;
    nv_slice(x->n, &b, &e);
    r = nv_arr_new(E, x->n - (e - b) + rep->n);
    memcpy(r->v, x->v, sizeof(nv_val) * (size_t)b);
    memcpy(r->v + b, rep->v, sizeof(nv_val) * (size_t)rep->n);
    memcpy(r->v + b + rep->n, x->v + e, sizeof(nv_val) * (size_t)(x->n - e));
    return nv_vp(r);
}

NV_RT nv_val nvf_a_head(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    if (!NV_A(a[0])->n)
        nv_raise(E, 15020, "empty array");
    return NV_A(a[0])->v[0];
}

NV_RT nv_val nvf_a_tail(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_A(a[0]);
    (void)T;
    if (!x->n)
        nv_raise(E, 15030, "empty array");
    return nv_vp(nv_arr_slice(E, x, 1, x->n));
}

NV_RT nv_val nvf_a_last(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_A(a[0]);
    (void)T;
    if (!x->n)
        nv_raise(E, 15040, "empty array");
    return x->v[x->n - 1];
}

NV_RT nv_val nvf_a_init(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_A(a[0]);
    (void)T;
    if (!x->n)
        nv_raise(E, 15050, "empty array");
    return nv_vp(nv_arr_slice(E, x, 0, x->n - 1));
}

/* where needle (a subsequence, an item or a predicate) matches at i */
typedef struct nv_needle {
    int kind;                /* 0 subsequence, 1 item, 2 predicate */
    nv_val v;
    const nv_type *t;        /* items */
} nv_needle;

NV_RT nv_needle nv_needle_of(const nv_type *const *T, const nv_val *a)
{
    nv_needle n;
    n.v = a[1];
    n.t = T[1]->items;
    n.kind = T[2]->kind == NV_FN ? 2 : nv_type_eq(T[2], T[1]) ? 0 : 1;
    return n;
}

NV_RT int nv_match_at(nv_eng *E, const nv_arr *h, int64_t i, const nv_needle *n)
{
    int64_t k;
    if (n->kind == 2)
        return nv_call1(E, n->v, h->v[i]).i != 0;
    if (n->kind == 1)
        return nv_eq(n->t, h->v[i], n->v);
    {
        const nv_arr *s = NV_A(n->v);
        if (i + s->n > h->n)
            return 0;
        for (k = 0; k < s->n; k++)
            if (!nv_eq(n->t, h->v[i + k], s->v[k]))
                return 0;
        return 1;
    }
}

NV_RT int64_t nv_find(nv_eng *E, const nv_arr *h, const nv_needle *n, int rev)
{
    int64_t i;
    if (n->kind == 0 && NV_A(n->v)->n == 0)
        return rev ? h->n : 0;
    if (!rev) {
        for (i = 0; i < h->n; i++)
            if (nv_match_at(E, h, i, n))
                return i;
    } else
        for (i = h->n - 1; i >= 0; i--)
            if (nv_match_at(E, h, i, n))
                return i;
    return -1;
}

NV_RT nv_val nvf_a_contains(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    nv_needle n = nv_needle_of(T, a);
    return nv_vi(nv_find(E, NV_A(a[0]), &n, 0) >= 0);
}

NV_RT nv_val nvf_a_count(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    nv_needle n = nv_needle_of(T, a);
    const nv_arr *h = NV_A(a[0]);
    int64_t i, c = 0, step = n.kind == 0 ? NV_A(n.v)->n : 1;
    if (n.kind == 0 && step == 0)
        return nv_vi(0);
    for (i = 0; i < h->n;)
        if (nv_match_at(E, h, i, &n)) {
            c++;
            i += step;
        } else
            i++;
    return nv_vi((int32_t)c);
}

NV_RT nv_val nvf_a_index(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    nv_needle n = nv_needle_of(T, a);
    return nv_vi((int32_t)nv_find(E, NV_A(a[0]), &n, 0));
}

NV_RT nv_val nvf_a_rindex(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    nv_needle n = nv_needle_of(T, a);
    return nv_vi((int32_t)nv_find(E, NV_A(a[0]), &n, 1));
}

NV_RT nv_val nvf_a_startswith(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    nv_needle n = nv_needle_of(T, a);
    const nv_arr *h = NV_A(a[0]);
    if (n.kind == 0 && NV_A(n.v)->n == 0)
        return nv_vi(1);
    return nv_vi(h->n > 0 && nv_match_at(E, h, 0, &n));
}

NV_RT nv_val nvf_a_endswith(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    nv_needle n = nv_needle_of(T, a);
    const nv_arr *h = NV_A(a[0]);
    int64_t len = n.kind == 0 ? NV_A(n.v)->n : 1;
    if (len == 0)
        return nv_vi(1);
    return nv_vi(h->n >= len && nv_match_at(E, h, h->n - len, &n));
}

NV_RT nv_val nvf_a_concat(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_A(a[0]), *y = NV_A(a[1]);
    nv_arr *r = nv_arr_new(E, x->n + y->n);
    (void)T;
    memcpy(r->v, x->v, sizeof(nv_val) * (size_t)x->n);
    memcpy(r->v + x->n, y->v, sizeof(nv_val) * (size_t)y->n);
    return nv_vp(r);
}

NV_RT nv_val nvf_a_append(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_A(a[0]);
    nv_arr *r = nv_arr_new(E, x->n + 1);
    (void)T;
    memcpy(r->v, x->v, sizeof(nv_val) * (size_t)x->n);
    r->v[x->n] = a[1];
    return nv_vp(r);
}

NV_RT nv_val nvf_a_cycle(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_A(a[0]);
    int64_t max = a[2].i, n = x->n + 1, skip;
    nv_arr *r;
    (void)T;
    if (max < 0)
        nv_raise(E, 15150, "maxLength out of range");
    skip = n > max ? n - max : 0;
    r = nv_arr_new(E, n - skip);
    if (x->n > skip)
        memcpy(r->v, x->v + skip, sizeof(nv_val) * (size_t)(x->n - skip));
    if (n - skip > 0)
        r->v[n - skip - 1] = a[1];
    return nv_vp(r);
}

NV_RT nv_val nvf_a_insert(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_A(a[0]);
    int64_t i = a[1].i;
    nv_arr *r;
    (void)T;
    if (i < 0)
        i += x->n;
    if (i < 0 || i > x->n)
        nv_raise(E, 15160, "index out of range");
    r = nv_arr_new(E, x->n + 1);
    memcpy(r->v, x->v, sizeof(nv_val) * (size_t)i);
    r->v[i] = a[2];
    memcpy(r->v + i + 1, x->v + i, sizeof(nv_val) * (size_t)(x->n - i));
    return nv_vp(r);
}

NV_RT nv_val nvf_a_replace(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_A(a[0]);
    int64_t i = a[1].i;
    nv_arr *r;
    (void)T;
    if (i < 0)
        i += x->n;
    if (i < 0 || i >= x->n)
        nv_raise(E, 15170, "index out of range");
    r = nv_arr_slice(E, x, 0, x->n);
    r->v[i] = a[2];
    return nv_vp(r);
}

NV_RT nv_val nvf_a_remove(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_A(a[0]);
    int64_t b, e;
    nv_arr *r;
    if (nv_nargs(T) == 3) {
        b = a[1].i;
        e = a[2].i;
        nv_slice(x->n, &b, &e);
    } else {
        b = a[1].i;
        if (b < 0)
            b += x->n;
        if (b < 0 || b >= x->n)
            nv_raise(E, 15180, "index out of range");
        e = b + 1;
    }
    r = nv_arr_new(E, x->n - (e - b));
    memcpy(r->v, x->v, sizeof(nv_val) * (size_t)b);
    memcpy(r->v + b, x->v + e, sizeof(nv_val) * (size_t)(x->n - e));
    return nv_vp(r);
}

NV_RT nv_val nvf_a_rotate(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_A(a[0]);
    int64_t s = a[1].i, i;
    nv_arr *r;
    (void)T;
    if (s < 0)
        nv_raise(E, 15190, "steps out of range");
    r = nv_arr_new(E, x->n);
    for (i = 0; i < x->n; i++)
        r->v[i] = x->v[(i + s) % x->n];
    return nv_vp(r);
}

NV_RT nv_val nv_sorted(nv_eng *E, const nv_arr *x, const nv_order *o)
{
    nv_arr *r = nv_arr_slice(E, x, 0, x->n);
    nv_sort_vals(E, r->v, r->n, o);
    return nv_vp(r);
}

NV_RT nv_order nv_order_of(nv_eng *E, const nv_type *t, const nv_val *fn, int desc)
{
    nv_order o;
    o.E = E;
    o.t = t;
    o.has_fn = fn != NULL;
    if (fn)
        o.fn = *fn;
    else
        o.fn = nv_vi(0);
    o.desc = desc;
    return o;
}

NV_RT nv_val nvf_a_sort(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    nv_order o = nv_order_of(E, T[1]->items, NULL, 0);
    return nv_sorted(E, NV_A(a[0]), &o);
}

NV_RT nv_val nvf_a_sortLT(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    nv_order o = nv_order_of(E, T[1]->items, &a[1], 0);
    return nv_sorted(E, NV_A(a[0]), &o);
}

NV_RT nv_val nvf_a_shuffle(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    nv_arr *r = nv_arr_slice(E, NV_A(a[0]), 0, NV_A(a[0])->n);
    (void)T;
    nv_rand_shuffle(E, r->v, r->n);     /* Python's random.shuffle, as Titus */
    return nv_vp(r);
}

NV_RT nv_val nvf_a_reverse(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_A(a[0]);
    nv_arr *r = nv_arr_new(E, x->n);
    int64_t i;
    (void)T;
    for (i = 0; i < x->n; i++)
        r->v[i] = x->v[x->n - 1 - i];
    return nv_vp(r);
}

/* the index of the extreme item: the first of equals */
NV_RT int64_t nv_argext(nv_eng *E, const nv_arr *x, const nv_order *o, int max, int code)
{
    int64_t i, best = 0;
    if (!x->n)
        nv_raise(E, code, "empty array");
    for (i = 1; i < x->n; i++)
        if (max ? nv_less(o, x->v[best], x->v[i]) : nv_less(o, x->v[i], x->v[best]))
            best = i;
    return best;
}

NV_RT nv_val nvf_a_max(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    nv_order o = nv_order_of(E, T[1]->items, NULL, 0);
    return NV_A(a[0])->v[nv_argext(E, NV_A(a[0]), &o, 1, 15240)];
}

NV_RT nv_val nvf_a_min(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    nv_order o = nv_order_of(E, T[1]->items, NULL, 0);
    return NV_A(a[0])->v[nv_argext(E, NV_A(a[0]), &o, 0, 15250)];
}

NV_RT nv_val nvf_a_maxLT(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    nv_order o = nv_order_of(E, T[1]->items, &a[1], 0);
    return NV_A(a[0])->v[nv_argext(E, NV_A(a[0]), &o, 1, 15260)];
}

NV_RT nv_val nvf_a_minLT(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    nv_order o = nv_order_of(E, T[1]->items, &a[1], 0);
    return NV_A(a[0])->v[nv_argext(E, NV_A(a[0]), &o, 0, 15270)];
}

NV_RT nv_val nvf_a_argmax(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    nv_order o = nv_order_of(E, T[1]->items, NULL, 0);
    return nv_vi((int32_t)nv_argext(E, NV_A(a[0]), &o, 1, 15320));
}

NV_RT nv_val nvf_a_argmin(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    nv_order o = nv_order_of(E, T[1]->items, NULL, 0);
    return nv_vi((int32_t)nv_argext(E, NV_A(a[0]), &o, 0, 15330));
}

NV_RT nv_val nvf_a_argmaxLT(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    nv_order o = nv_order_of(E, T[1]->items, &a[1], 0);
    return nv_vi((int32_t)nv_argext(E, NV_A(a[0]), &o, 1, 15340));
}

NV_RT nv_val nvf_a_argminLT(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    nv_order o = nv_order_of(E, T[1]->items, &a[1], 0);
    return nv_vi((int32_t)nv_argext(E, NV_A(a[0]), &o, 0, 15350));
}

/* the n extreme items (or their indexes), ties in index order */
NV_RT nv_val nv_topn(nv_eng *E, const nv_type *const *T, const nv_val *a, int max, int args, int code)
{
    const nv_arr *x = NV_A(a[0]);
    int64_t n = a[1].i, i;
    int hasfn = nv_nargs(T) == 3;
    nv_order o = nv_order_of(E, T[1]->items, hasfn ? &a[2] : NULL, max);
    nv_ix *ix;
    nv_arr *r;
    if (!x->n)
        nv_raise(E, code, "empty array");
    if (n < 0)
        nv_raise(E, code + 1, "n < 0");
    ix = (nv_ix *)nv_alloc(E, sizeof(nv_ix) * (size_t)x->n);
    for (i = 0; i < x->n; i++) {
        ix[i].v = x->v[i];
        ix[i].i = i;
    }
    nv_sort_ix(E, ix, x->n, &o);
    if (n > x->n)
        n = x->n;
    r = nv_arr_new(E, n);
    for (i = 0; i < n; i++)
        r->v[i] = args ? nv_vi((int32_t)ix[i].i) : ix[i].v;
    return nv_vp(r);
}

NV_RT nv_val nvf_a_maxN(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_topn(E, T, a, 1, 0, 15280); }
NV_RT nv_val nvf_a_minN(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_topn(E, T, a, 0, 0, 15290); }
NV_RT nv_val nvf_a_maxNLT(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_topn(E, T, a, 1, 0, 15300); }
NV_RT nv_val nvf_a_minNLT(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_topn(E, T, a, 0, 0, 15310); }
NV_RT nv_val nvf_a_argmaxN(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_topn(E, T, a, 1, 1, 15360); }
NV_RT nv_val nvf_a_argminN(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_topn(E, T, a, 0, 1, 15370); }
NV_RT nv_val nvf_a_argmaxNLT(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_topn(E, T, a, 1, 1, 15380); }
NV_RT nv_val nvf_a_argminNLT(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_topn(E, T, a, 0, 1, 15390); }

NV_RT nv_val nvf_a_sum(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_A(a[0]);
    int64_t i;
    switch (T[0]->kind) {
    case NV_INT: {
        int64_t s = 0;
        for (i = 0; i < x->n; i++)
            s = nv_add64(E, s, x->v[i].i, 15400);
        return nv_vi(nv_i32(E, s, 15400));
    }
    case NV_LONG: {
        int64_t s = 0;
        for (i = 0; i < x->n; i++)
            s = nv_add64(E, s, x->v[i].l, 15401);
        return nv_vl(s);
    }
    case NV_FLOAT: {
        float s = 0;
        for (i = 0; i < x->n; i++)
            s += x->v[i].f;
        return nv_vf(s);
    }
    default: {
        double s = 0;
        for (i = 0; i < x->n; i++)
            s += x->v[i].d;
        return nv_vd(s);
    }
    }
}

NV_RT nv_val nvf_a_product(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_A(a[0]);
    int64_t i;
    switch (T[0]->kind) {
    case NV_INT: {
        int64_t s = 1;
        for (i = 0; i < x->n; i++)
            s = nv_i32(E, nv_mul64(E, s, x->v[i].i, 15410), 15410);
        return nv_vi((int32_t)s);
    }
    case NV_LONG: {
        int64_t s = 1;
        for (i = 0; i < x->n; i++)
            s = nv_mul64(E, s, x->v[i].l, 15411);
        return nv_vl(s);
    }
    case NV_FLOAT: {
        float s = 1;
        for (i = 0; i < x->n; i++)
            s *= x->v[i].f;
        return nv_vf(s);
    }
    default: {
        double s = 1;
        for (i = 0; i < x->n; i++)
            s *= x->v[i].d;
        return nv_vd(s);
    }
    }
}

NV_RT nv_val nvf_a_lnsum(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_A(a[0]);
    double s = 0;
    int64_t i;
    (void)E;
    (void)T;
    for (i = 0; i < x->n; i++)
        s += x->v[i].d > 0 ? log(x->v[i].d) : NAN;
    return nv_vd(s);
}

NV_RT nv_val nvf_a_mean(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_A(a[0]);
    double s = 0;
    int64_t i;
    (void)E;
    (void)T;
    for (i = 0; i < x->n; i++)
        s += x->v[i].d;
    return nv_vd(x->n ? s / (double)x->n : NAN);
}

NV_RT nv_val nvf_a_geomean(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_A(a[0]);
    double s = 1;
    int64_t i;
    (void)E;
    (void)T;
    for (i = 0; i < x->n; i++)
        s *= x->v[i].d;
    return nv_vd(x->n ? pow(s, 1.0 / (double)x->n) : NAN);
}

NV_RT nv_val nvf_a_logsumexp(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_A(a[0]);
    double m = -HUGE_VAL, s = 0;
    int64_t i;
    (void)E;
    (void)T;
    if (!x->n)
        return nv_vd(NAN);
    for (i = 0; i < x->n; i++)
        if (x->v[i].d > m)
            m = x->v[i].d;
    for (i = 0; i < x->n; i++)
        s += exp(x->v[i].d - m);
    return nv_vd(m + log(s));
}

NV_RT double nv_num(const nv_type *t, nv_val v)
{
    switch (t->kind) {
    case NV_INT: return (double)v.i;
    case NV_LONG: return (double)v.l;
    case NV_FLOAT: return (double)v.f;
    default: return v.d;
    }
}

/* the item at fraction p of the sorted array; floats interpolate */
NV_RT nv_val nv_ntile(nv_eng *E, const nv_type *t, const nv_arr *x, double p, int code)
{
    nv_order o = nv_order_of(E, t, NULL, 0);
    nv_arr *s;
    double k;
    int64_t f, c;
    if (!x->n)
        nv_raise(E, code, "empty array");
    if (p != p)
        nv_raise(E, code + 1, "p not a number");
    s = (nv_arr *)nv_sorted(E, x, &o).p;
    if (p <= 0)
        return s->v[0];
    if (p >= 1)
        return s->v[s->n - 1];
    k = (double)(s->n - 1) * p;
    f = (int64_t)floor(k);
    c = (int64_t)ceil(k);
    if (f == c || (t->kind != NV_FLOAT && t->kind != NV_DOUBLE))
        return s->v[f];
    if (t->kind == NV_FLOAT)
        return nv_vf((float)(s->v[f].f * (c - k) + s->v[c].f * (k - f)));
    return nv_vd(s->v[f].d * ((double)c - k) + s->v[c].d * (k - (double)f));
}

NV_RT nv_val nvf_a_median(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    return nv_ntile(E, T[1]->items, NV_A(a[0]), 0.5, 15450);
}

NV_RT nv_val nvf_a_ntile(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    return nv_ntile(E, T[1]->items, NV_A(a[0]), a[1].d, 15460);
}

NV_RT nv_val nvf_a_mode(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_A(a[0]);
    const nv_type *t = T[1]->items;
    nv_order o = nv_order_of(E, t, NULL, 0);
    nv_arr *s, *best;
    int64_t i, run = 0, top = 0, nb = 0;
    if (!x->n)
        nv_raise(E, 15470, "empty array");
    s = (nv_arr *)nv_sorted(E, x, &o).p;
    best = nv_arr_new(E, s->n);
    for (i = 0; i < s->n; i++) {
        run = (i > 0 && nv_cmp(t, s->v[i], s->v[i - 1]) == 0) ? run + 1 : 1;
        if (run > top) {
            top = run;
            nb = 0;
        }
        if (run == top)
            best->v[nb++] = s->v[i];
    }
    best->n = nb;
    return nv_ntile(E, t, best, 0.5, 15470);
}

NV_RT int nv_arr_has(const nv_type *t, const nv_arr *x, int64_t upto, nv_val v)
{
    int64_t i;
    for (i = 0; i < upto; i++)
        if (nv_eq(t, x->v[i], v))
            return 1;
    return 0;
}

NV_RT nv_val nvf_a_distinct(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_A(a[0]);
    nv_arr *r = nv_arr_new(E, x->n);
    int64_t i, k = 0;
    for (i = 0; i < x->n; i++)
        if (!nv_arr_has(T[1]->items, r, k, x->v[i]))
            r->v[k++] = x->v[i];
    r->n = k;
    return nv_vp(r);
}

NV_RT int nv_subset(const nv_type *t, const nv_arr *x, const nv_arr *y)
{
    int64_t i;
    for (i = 0; i < x->n; i++)
        if (!nv_arr_has(t, y, y->n, x->v[i]))
            return 0;
    return 1;
}

NV_RT nv_val nvf_a_seteq(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    return nv_vi(nv_subset(T[1]->items, NV_A(a[0]), NV_A(a[1])) &&
                 nv_subset(T[1]->items, NV_A(a[1]), NV_A(a[0])));
}

NV_RT nv_val nvf_a_subset(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    return nv_vi(nv_subset(T[1]->items, NV_A(a[0]), NV_A(a[1])));
}

NV_RT nv_val nvf_a_disjoint(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_A(a[0]), *y = NV_A(a[1]);
    int64_t i;
    (void)E;
    for (i = 0; i < x->n; i++)
        if (nv_arr_has(T[1]->items, y, y->n, x->v[i]))
            return nv_vi(0);
    return nv_vi(1);
}

/* set operations: mode 0 union, 1 intersection, 2 diff, 3 symdiff */
NV_RT nv_val nv_setop(nv_eng *E, const nv_type *t, const nv_arr *x, const nv_arr *y, int mode)
{
    nv_arr *r = nv_arr_new(E, x->n + y->n);
    int64_t i, k = 0;
    for (i = 0; i < x->n; i++) {
        int in_y = nv_arr_has(t, y, y->n, x->v[i]);
        int keep = mode == 0 || (mode == 1 && in_y) || (mode >= 2 && !in_y);
        if (keep && !nv_arr_has(t, r, k, x->v[i]))
            r->v[k++] = x->v[i];
    }
    if (mode == 0 || mode == 3)
        for (i = 0; i < y->n; i++) {
            int in_x = nv_arr_has(t, x, x->n, y->v[i]);
            if ((mode == 0 || !in_x) && !nv_arr_has(t, r, k, y->v[i]))
                r->v[k++] = y->v[i];
        }
    r->n = k;
    return nv_vp(r);
}

NV_RT nv_val nvf_a_union(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_setop(E, T[1]->items, NV_A(a[0]), NV_A(a[1]), 0); }
NV_RT nv_val nvf_a_intersection(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_setop(E, T[1]->items, NV_A(a[0]), NV_A(a[1]), 1); }
NV_RT nv_val nvf_a_diff(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_setop(E, T[1]->items, NV_A(a[0]), NV_A(a[1]), 2); }
NV_RT nv_val nvf_a_symdiff(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_setop(E, T[1]->items, NV_A(a[0]), NV_A(a[1]), 3); }

/* ---- higher-order functions ---- */
NV_RT nv_val nvf_a_map(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_A(a[0]);
    nv_arr *r = nv_arr_new(E, x->n);
    int64_t i;
    (void)T;
    for (i = 0; i < x->n; i++)
        r->v[i] = nv_call1(E, a[1], x->v[i]);
    return nv_vp(r);
}

NV_RT nv_val nvf_a_mapWithIndex(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_A(a[0]);
    nv_arr *r = nv_arr_new(E, x->n);
    int64_t i;
    (void)T;
    for (i = 0; i < x->n; i++)
        r->v[i] = nv_call2(E, a[1], nv_vi((int32_t)i), x->v[i]);
    return nv_vp(r);
}

NV_RT nv_val nv_filter(nv_eng *E, const nv_val *a, int with_index)
{
    const nv_arr *x = NV_A(a[0]);
    nv_arr *r = nv_arr_new(E, x->n);
    int64_t i, k = 0;
    for (i = 0; i < x->n; i++)
        if ((with_index ? nv_call2(E, a[1], nv_vi((int32_t)i), x->v[i]) : nv_call1(E, a[1], x->v[i])).i)
            r->v[k++] = x->v[i];
    r->n = k;
    return nv_vp(r);
}

NV_RT nv_val nvf_a_filter(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_filter(E, a, 0); }
NV_RT nv_val nvf_a_filterWithIndex(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_filter(E, a, 1); }

/* a union(B, null) result: its B value, or nothing */
NV_RT int nv_nonnull(const nv_type *u, nv_val v, nv_val *out)
{
    const nv_uni *x = (const nv_uni *)v.p;
    if (u->kind != NV_UNION) {
        *out = v;
        return 1;
    }
    if (u->parts[x->tag]->kind == NV_NULL)
        return 0;
    *out = x->v;
    return 1;
}

NV_RT nv_val nv_filtermap(nv_eng *E, const nv_type *const *T, const nv_val *a, int with_index)
{
    const nv_arr *x = NV_A(a[0]);
    const nv_type *rt = T[2]->items;
    nv_arr *r = nv_arr_new(E, x->n);
    int64_t i, k = 0;
    for (i = 0; i < x->n; i++) {
        nv_val v = with_index ? nv_call2(E, a[1], nv_vi((int32_t)i), x->v[i]) : nv_call1(E, a[1], x->v[i]), b;
        if (nv_nonnull(rt, v, &b))
            r->v[k++] = rt->kind == NV_UNION ? nv_conv(E, rt->parts[((const nv_uni *)v.p)->tag], T[0]->items, b) : b;
    }
    r->n = k;
    return nv_vp(r);
}

NV_RT nv_val nvf_a_filterMap(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_filtermap(E, T, a, 0); }
NV_RT nv_val nvf_a_filterMapWithIndex(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_filtermap(E, T, a, 1); }

NV_RT nv_val nv_flatmap(nv_eng *E, const nv_val *a, int with_index)
{
    const nv_arr *x = NV_A(a[0]);
    nv_arr **parts = (nv_arr **)nv_alloc(E, sizeof(nv_arr *) * (size_t)(x->n ? x->n : 1));
    int64_t i, n = 0, k = 0;
    nv_arr *r;
    for (i = 0; i < x->n; i++) {
        parts[i] = (nv_arr *)(with_index ? nv_call2(E, a[1], nv_vi((int32_t)i), x->v[i]) : nv_call1(E, a[1], x->v[i])).p;
        n += parts[i]->n;
    }
    r = nv_arr_new(E, n);
    for (i = 0; i < x->n; i++) {
        memcpy(r->v + k, parts[i]->v, sizeof(nv_val) * (size_t)parts[i]->n);
        k += parts[i]->n;
    }
    return nv_vp(r);
}

NV_RT nv_val nvf_a_flatMap(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_flatmap(E, a, 0); }
NV_RT nv_val nvf_a_flatMapWithIndex(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_flatmap(E, a, 1); }

NV_RT nv_val nv_zipmap(nv_eng *E, const nv_type *const *T, const nv_val *a, int with_index, int code)
{
    int n = nv_nargs(T) - 1, k;
    int64_t len = NV_A(a[0])->n, i;
    nv_arr *r;
    nv_val args[5];
    const nv_fn *fn = (const nv_fn *)a[n].p;
    for (k = 1; k < n; k++)
        if (NV_A(a[k])->n != len)
            nv_raise(E, code, "misaligned arrays");
    r = nv_arr_new(E, len);
    for (i = 0; i < len; i++) {
        int off = 0;
        if (with_index)
            args[off++] = nv_vi((int32_t)i);
        for (k = 0; k < n; k++)
            args[off + k] = NV_A(a[k])->v[i];
        r->v[i] = fn->call(E, fn, args);
    }
    return nv_vp(r);
}

NV_RT nv_val nvf_a_zipmap(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_zipmap(E, T, a, 0, 15650); }
NV_RT nv_val nvf_a_zipmapWithIndex(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_zipmap(E, T, a, 1, 15660); }

NV_RT nv_val nvf_a_reduce(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_A(a[0]);
    nv_val acc;
    int64_t i;
    (void)T;
    if (!x->n)
        nv_raise(E, 15670, "empty array");
    acc = x->v[0];
    for (i = 1; i < x->n; i++)
        acc = nv_call2(E, a[1], acc, x->v[i]);
    return acc;
}

NV_RT nv_val nvf_a_reduceRight(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_A(a[0]);
    nv_val acc;
    int64_t i;
    (void)T;
    if (!x->n)
        nv_raise(E, 15680, "empty array");
    acc = x->v[x->n - 1];
    for (i = x->n - 2; i >= 0; i--)
        acc = nv_call2(E, a[1], x->v[i], acc);
    return acc;
}

NV_RT nv_val nvf_a_fold(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_A(a[0]);
    nv_val acc = a[1];
    int64_t i;
    (void)T;
    for (i = 0; i < x->n; i++)
        acc = nv_call2(E, a[2], acc, x->v[i]);
    return acc;
}

NV_RT nv_val nvf_a_foldRight(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_A(a[0]);
    nv_val acc = a[1];
    int64_t i;
    (void)T;
    for (i = x->n - 1; i >= 0; i--)
        acc = nv_call2(E, a[2], x->v[i], acc);
    return acc;
}

NV_RT int64_t nv_prefix(nv_eng *E, const nv_arr *x, nv_val fn)
{
    int64_t i;
    for (i = 0; i < x->n; i++)
        if (!nv_call1(E, fn, x->v[i]).i)
            break;
    return i;
}

NV_RT nv_val nvf_a_takeWhile(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    return nv_vp(nv_arr_slice(E, NV_A(a[0]), 0, nv_prefix(E, NV_A(a[0]), a[1])));
}

NV_RT nv_val nvf_a_dropWhile(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    return nv_vp(nv_arr_slice(E, NV_A(a[0]), nv_prefix(E, NV_A(a[0]), a[1]), NV_A(a[0])->n));
}

NV_RT nv_val nvf_a_any(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_A(a[0]);
    int64_t i;
    (void)T;
    for (i = 0; i < x->n; i++)
        if (nv_call1(E, a[1], x->v[i]).i)
            return nv_vi(1);
    return nv_vi(0);
}

NV_RT nv_val nvf_a_all(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    return nv_vi(nv_prefix(E, NV_A(a[0]), a[1]) == NV_A(a[0])->n);
}

NV_RT nv_val nv_corresponds(nv_eng *E, const nv_val *a, int with_index)
{
    const nv_arr *x = NV_A(a[0]), *y = NV_A(a[1]);
    const nv_fn *fn = (const nv_fn *)a[2].p;
    nv_val args[3];
    int64_t i;
    if (x->n != y->n)
        return nv_vi(0);
    for (i = 0; i < x->n; i++) {
        int off = 0;
        if (with_index)
            args[off++] = nv_vi((int32_t)i);
        args[off] = x->v[i];
        args[off + 1] = y->v[i];
        if (!fn->call(E, fn, args).i)
            return nv_vi(0);
    }
    return nv_vi(1);
}

NV_RT nv_val nvf_a_corresponds(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_corresponds(E, a, 0); }
NV_RT nv_val nvf_a_correspondsWithIndex(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_corresponds(E, a, 1); }

NV_RT nv_val nvf_a_slidingWindow(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_A(a[0]);
    int64_t size = a[1].i, step = a[2].i, i, n = 0;
    nv_arr *r;
    (void)T;
    if (size < 1)
        nv_raise(E, 15770, "size < 1");
    if (step < 1)
        nv_raise(E, 15771, "step < 1");
    for (i = 0; i + size <= x->n; i += step)
        n++;
    r = nv_arr_new(E, n);
    n = 0;
    for (i = 0; i + size <= x->n; i += step)
        r->v[n++] = nv_vp(nv_arr_slice(E, x, i, i + size));
    return nv_vp(r);
}

NV_RT void nv_combos(nv_eng *E, const nv_arr *x, int64_t size, int64_t start, nv_val *cur, int64_t depth,
                     nv_arr **out, int64_t *cap)
{
    int64_t i;
    if (depth == size) {
        nv_arr *c = nv_arr_new(E, size);
        memcpy(c->v, cur, sizeof(nv_val) * (size_t)size);
        if ((*out)->n == *cap) {
            nv_arr *g = nv_arr_new(E, *cap * 2);
            memcpy(g->v, (*out)->v, sizeof(nv_val) * (size_t)(*out)->n);
            g->n = (*out)->n;
            *out = g;
            *cap *= 2;
        }
        (*out)->v[(*out)->n++] = nv_vp(c);
        return;
    }
    for (i = start; i < x->n; i++) {
        cur[depth] = x->v[i];
        nv_combos(E, x, size, i + 1, cur, depth + 1, out, cap);
    }
}

NV_RT nv_val nvf_a_combinations(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_A(a[0]);
    int64_t size = a[1].i, cap = 16;
    nv_arr *out = nv_arr_new(E, cap);
    nv_val *cur;
    (void)T;
    if (size < 1)
        nv_raise(E, 15780, "size < 1");
    out->n = 0;
    if (size > x->n)
        return nv_vp(out);
    cur = (nv_val *)nv_alloc(E, sizeof(nv_val) * (size_t)size);
    nv_combos(E, x, size, 0, cur, 0, &out, &cap);
    return nv_vp(out);
}

/* permutations in lexicographic order of positions (as Python's itertools) */
NV_RT nv_val nvf_a_permutations(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_A(a[0]);
    int64_t n = x->n, total = 1, i, k;
    int64_t *idx;
    nv_arr *r;
    (void)T;
    for (i = 2; i <= n; i++) {
        total *= i;
        if (total > 1000000)
            nv_raise(E, -1003, "too many permutations");
    }
    r = nv_arr_new(E, total);
    idx = (int64_t *)nv_alloc(E, sizeof(int64_t) * (size_t)(n ? n : 1));
    for (i = 0; i < n; i++)
        idx[i] = i;
    for (k = 0; k < total; k++) {
        nv_arr *p = nv_arr_new(E, n);
        int64_t j, l;
        for (i = 0; i < n; i++)
            p->v[i] = x->v[idx[i]];
        r->v[k] = nv_vp(p);
        /* next permutation of idx */
        for (j = n - 2; j >= 0 && idx[j] > idx[j + 1]; j--)
            ;
        if (j < 0)
            break;
        for (l = n - 1; idx[l] < idx[j]; l--)
            ;
        {
            int64_t t = idx[j];
            idx[j] = idx[l];
            idx[l] = t;
        }
        for (i = j + 1, l = n - 1; i < l; i++, l--) {
            int64_t t = idx[i];
            idx[i] = idx[l];
            idx[l] = t;
        }
    }
    return nv_vp(r);
}

NV_RT nv_val nvf_a_flatten(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_A(a[0]);
    int64_t i, n = 0, k = 0;
    nv_arr *r;
    (void)T;
    for (i = 0; i < x->n; i++)
        n += NV_A(x->v[i])->n;
    r = nv_arr_new(E, n);
    for (i = 0; i < x->n; i++) {
        const nv_arr *p = NV_A(x->v[i]);
        memcpy(r->v + k, p->v, sizeof(nv_val) * (size_t)p->n);
        k += p->n;
    }
    return nv_vp(r);
}

NV_RT nv_val nvf_a_groupby(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_A(a[0]);
    nv_map *m = nv_map_new(E, 0);
    int64_t i;
    (void)T;
    for (i = 0; i < x->n; i++) {
        nv_str *k = (nv_str *)nv_call1(E, a[1], x->v[i]).p;
        int64_t at = nv_map_find(m, k);
        const nv_arr *old = at >= 0 ? NV_A(m->e[at].v) : NULL;
        nv_arr *g = nv_arr_new(E, old ? old->n + 1 : 1);
        if (old)
            memcpy(g->v, old->v, sizeof(nv_val) * (size_t)old->n);
        g->v[g->n - 1] = x->v[i];
        m = nv_map_with(E, m, k, nv_vp(g));
    }
    return nv_vp(m);
}

/*@ section avro needs core */
/* ---- the Avro binary encoding (keys of sets: base64 of it) ---- */
typedef struct nv_bin { char *p; int64_t n, cap; } nv_bin;

NV_RT void nv_bin_put(nv_eng *E, nv_bin *b, const void *s, int64_t n)
{
    if (b->n + n > b->cap) {
        int64_t cap = b->cap ? b->cap * 2 : 64;
        char *p;
        while (cap < b->n + n)
            cap *= 2;
        p = (char *)nv_alloc(E, (size_t)cap);
        if (b->n)
            memcpy(p, b->p, (size_t)b->n);
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, (size_t)n);
    b->n += n;
}

NV_RT void nv_bin_long(nv_eng *E, nv_bin *b, int64_t x)
{
    uint64_t z = ((uint64_t)x << 1) ^ (uint64_t)(x >> 63);
    unsigned char buf[10];
    int n = 0;
    do {
        unsigned char c = (unsigned char)(z & 0x7f);
        z >>= 7;
        buf[n++] = (unsigned char)(z ? c | 0x80 : c);
    } while (z);
    nv_bin_put(E, b, buf, n);
}

NV_RT void nv_avro(nv_eng *E, nv_bin *b, const nv_type *t, nv_val v)
{
    int64_t i;
    unsigned char buf[8];
    switch (t->kind) {
    case NV_NULL:
        return;
    case NV_BOOL:
        buf[0] = (unsigned char)(v.i != 0);
        nv_bin_put(E, b, buf, 1);
        return;
    case NV_INT:
    case NV_ENUM:
        nv_bin_long(E, b, v.i);
        return;
    case NV_LONG:
        nv_bin_long(E, b, v.l);
        return;
    case NV_FLOAT: {
        uint32_t u;
        memcpy(&u, &v.f, 4);
        for (i = 0; i < 4; i++)
            buf[i] = (unsigned char)(u >> (8 * i));
        nv_bin_put(E, b, buf, 4);
        return;
    }
    case NV_DOUBLE: {
        uint64_t u;
        memcpy(&u, &v.d, 8);
        for (i = 0; i < 8; i++)
            buf[i] = (unsigned char)(u >> (8 * i));
        nv_bin_put(E, b, buf, 8);
        return;
    }
    case NV_STRING:
    case NV_BYTES: {
        const nv_str *s = (const nv_str *)v.p;
        nv_bin_long(E, b, s->n);
        nv_bin_put(E, b, s->s, s->n);
        return;
    }
    case NV_FIXED:
        nv_bin_put(E, b, ((const nv_str *)v.p)->s, ((const nv_str *)v.p)->n);
        return;
    case NV_ARRAY: {
        const nv_arr *a = (const nv_arr *)v.p;
        if (a->n) {
            nv_bin_long(E, b, a->n);
            for (i = 0; i < a->n; i++)
                nv_avro(E, b, t->items, a->v[i]);
        }
        nv_bin_long(E, b, 0);
        return;
    }
    case NV_MAP: {
        const nv_map *m = (const nv_map *)v.p;
        if (m->n) {
            nv_bin_long(E, b, m->n);
            for (i = 0; i < m->n; i++) {
                nv_bin_long(E, b, m->e[i].k->n);
                nv_bin_put(E, b, m->e[i].k->s, m->e[i].k->n);
                nv_avro(E, b, t->items, m->e[i].v);
            }
        }
        nv_bin_long(E, b, 0);
        return;
    }
    case NV_RECORD: {
        const nv_rec *r = (const nv_rec *)v.p;
        for (i = 0; i < t->n; i++)
            nv_avro(E, b, t->parts[i], r->f[i]);
        return;
    }
    case NV_UNION: {
        const nv_uni *u = (const nv_uni *)v.p;
        nv_bin_long(E, b, u->tag);
        nv_avro(E, b, t->parts[u->tag], u->v);
        return;
    }
    default:
        return;
    }
}

NV_RT nv_str *nv_base64(nv_eng *E, const char *s, int64_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *o;
    nv_str *r = nv_str_alloc(E, (n + 2) / 3 * 4, &o);
    int64_t i, k = 0;
    for (i = 0; i < n; i += 3) {
        unsigned x = (unsigned char)s[i] << 16;
        if (i + 1 < n)
            x |= (unsigned char)s[i + 1] << 8;
        if (i + 2 < n)
            x |= (unsigned char)s[i + 2];
        o[k++] = tab[x >> 18 & 63];
        o[k++] = tab[x >> 12 & 63];
        o[k++] = i + 1 < n ? tab[x >> 6 & 63] : '=';
        o[k++] = i + 2 < n ? tab[x & 63] : '=';
    }
    return r;
}

/* a value's key in a set */
NV_RT nv_str *nv_set_key(nv_eng *E, const nv_type *t, nv_val v)
{
    nv_bin b = {NULL, 0, 0};
    nv_avro(E, &b, t, v);
    return nv_base64(E, b.p ? b.p : "", b.n);
}

/*@ section map needs core string array avro */
#define NV_M(x) ((const nv_map *)(x).p)

NV_RT nv_val nvf_map_len(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    (void)T;
    return nv_vi((int32_t)NV_M(a[0])->n);
}

NV_RT nv_val nvf_map_keys(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_map *m = NV_M(a[0]);
    nv_arr *r = nv_arr_new(E, m->n);
    int64_t i;
    (void)T;
    for (i = 0; i < m->n; i++)
        r->v[i] = nv_vp(m->e[i].k);
    return nv_vp(r);
}

NV_RT nv_val nvf_map_values(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_map *m = NV_M(a[0]);
    nv_arr *r = nv_arr_new(E, m->n);
    int64_t i;
    (void)T;
    for (i = 0; i < m->n; i++)
        r->v[i] = m->e[i].v;
    return nv_vp(r);
}

NV_RT nv_val nvf_map_containsKey(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_map *m = NV_M(a[0]);
    int64_t i;
    if (T[2]->kind != NV_FN)
        return nv_vi(nv_map_find(m, NV_S(a[1])) >= 0);
    for (i = 0; i < m->n; i++)
        if (nv_call1(E, a[1], nv_vp(m->e[i].k)).i)
            return nv_vi(1);
    return nv_vi(0);
}

NV_RT nv_val nvf_map_containsValue(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_map *m = NV_M(a[0]);
    int64_t i;
    for (i = 0; i < m->n; i++)
        if (T[2]->kind == NV_FN ? nv_call1(E, a[1], m->e[i].v).i != 0 : nv_eq(T[1]->items, m->e[i].v, a[1]))
            return nv_vi(1);
    return nv_vi(0);
}

NV_RT nv_val nvf_map_add(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    if (nv_nargs(T) == 3)
        return nv_vp(nv_map_with(E, NV_M(a[0]), (nv_str *)a[1].p, a[2]));
    return nv_vp(nv_map_with(E, NV_M(a[0]), nv_set_key(E, T[1]->items, a[1]), a[1]));
}

NV_RT nv_val nvf_map_remove(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    return nv_vp(nv_map_without(E, NV_M(a[0]), NV_S(a[1])));
}

NV_RT nv_val nv_only(nv_eng *E, const nv_map *m, const nv_arr *keys, int keep)
{
    nv_map *r = nv_map_new(E, m->n);
    int64_t i, j, k = 0;
    for (i = 0; i < m->n; i++) {
        int in = 0;
        for (j = 0; j < keys->n && !in; j++)
            in = nv_str_eq(m->e[i].k, NV_S(keys->v[j]));
        if (in == keep)
            r->e[k++] = m->e[i];
    }
    r->n = k;
    return nv_vp(r);
}

NV_RT nv_val nvf_map_only(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_only(E, NV_M(a[0]), NV_A(a[1]), 1); }
NV_RT nv_val nvf_map_except(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_only(E, NV_M(a[0]), NV_A(a[1]), 0); }

/* a map of both maps' entries; b wins for shared keys */
NV_RT nv_map *nv_overlay(nv_eng *E, const nv_map *x, const nv_map *y)
{
    nv_ment *e = (nv_ment *)nv_alloc(E, sizeof(nv_ment) * (size_t)(x->n + y->n + 1));
    memcpy(e, x->e, sizeof(nv_ment) * (size_t)x->n);
    memcpy(e + x->n, y->e, sizeof(nv_ment) * (size_t)y->n);
    return nv_map_sorted(E, e, x->n + y->n);
}

NV_RT nv_val nvf_map_update(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    return nv_vp(nv_overlay(E, NV_M(a[0]), NV_M(a[1])));
}

NV_RT nv_val nvf_map_split(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_map *m = NV_M(a[0]);
    nv_arr *r = nv_arr_new(E, m->n);
    int64_t i;
    (void)T;
    for (i = 0; i < m->n; i++) {
        nv_map *one = nv_map_new(E, 1);
        one->e[0] = m->e[i];
        r->v[i] = nv_vp(one);
    }
    return nv_vp(r);
}

NV_RT nv_val nvf_map_join(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_A(a[0]);
    nv_map *r = nv_map_new(E, 0);
    int64_t i;
    (void)T;
    for (i = 0; i < x->n; i++)
        r = nv_overlay(E, r, NV_M(x->v[i]));
    return nv_vp(r);
}

/* keys of the n extreme values: ties in key order */
NV_RT nv_val nv_map_topn(nv_eng *E, const nv_type *const *T, const nv_val *a, int max, int64_t n, const nv_val *fn,
                         int code)
{
    const nv_map *m = NV_M(a[0]);
    nv_order o = nv_order_of(E, T[1]->items, fn, max);
    nv_ix *ix;
    nv_arr *r;
    int64_t i;
    if (!m->n)
        nv_raise(E, code, "empty map");
    if (n < 0)
        nv_raise(E, code + 1, "n < 0");
    ix = (nv_ix *)nv_alloc(E, sizeof(nv_ix) * (size_t)m->n);
    for (i = 0; i < m->n; i++) {
        ix[i].v = m->e[i].v;
        ix[i].i = i;
    }
    nv_sort_ix(E, ix, m->n, &o);
    if (n > m->n)
        n = m->n;
    r = nv_arr_new(E, n);
    for (i = 0; i < n; i++)
        r->v[i] = nv_vp(m->e[ix[i].i].k);
    return nv_vp(r);
}

NV_RT nv_val nv_map_arg1(nv_eng *E, const nv_type *const *T, const nv_val *a, int max, const nv_val *fn, int code)
{
    return NV_A(nv_map_topn(E, T, a, max, 1, fn, code))->v[0];
}

NV_RT nv_val nvf_map_argmax(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_map_arg1(E, T, a, 1, NULL, 26120); }
NV_RT nv_val nvf_map_argmin(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_map_arg1(E, T, a, 0, NULL, 26130); }
NV_RT nv_val nvf_map_argmaxLT(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_map_arg1(E, T, a, 1, &a[1], 26140); }
NV_RT nv_val nvf_map_argminLT(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_map_arg1(E, T, a, 0, &a[1], 26150); }
NV_RT nv_val nvf_map_argmaxN(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_map_topn(E, T, a, 1, a[1].i, NULL, 26160); }
NV_RT nv_val nvf_map_argminN(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_map_topn(E, T, a, 0, a[1].i, NULL, 26170); }
NV_RT nv_val nvf_map_argmaxNLT(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_map_topn(E, T, a, 1, a[1].i, &a[2], 26180); }
NV_RT nv_val nvf_map_argminNLT(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_map_topn(E, T, a, 0, a[1].i, &a[2], 26190); }

NV_RT nv_val nvf_map_toset(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_A(a[0]);
    nv_ment *e = (nv_ment *)nv_alloc(E, sizeof(nv_ment) * (size_t)(x->n ? x->n : 1));
    int64_t i;
    for (i = 0; i < x->n; i++) {
        e[i].k = nv_set_key(E, T[1]->items, x->v[i]);
        e[i].v = x->v[i];
    }
    return nv_vp(nv_map_sorted(E, e, x->n));
}

NV_RT nv_val nvf_map_fromset(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    return nvf_map_values(E, T, a);
}

NV_RT nv_val nvf_map_in(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    return nv_vi(nv_map_find(NV_M(a[0]), nv_set_key(E, T[1]->items, a[1])) >= 0);
}

/* mode 0 union, 1 intersection, 2 diff, 3 symdiff (by keys) */
NV_RT nv_val nv_map_setop(nv_eng *E, const nv_map *x, const nv_map *y, int mode)
{
    nv_ment *e = (nv_ment *)nv_alloc(E, sizeof(nv_ment) * (size_t)(x->n + y->n + 1));
    int64_t i, k = 0;
    for (i = 0; i < x->n; i++) {
        int in = nv_map_find(y, x->e[i].k) >= 0;
        if (mode == 0 || (mode == 1 && in) || (mode >= 2 && !in))
            e[k++] = x->e[i];
    }
    for (i = 0; i < y->n && (mode == 0 || mode == 3); i++)
        if (mode == 0 || nv_map_find(x, y->e[i].k) < 0)
            e[k++] = y->e[i];
    return nv_vp(nv_map_sorted(E, e, k));
}

NV_RT nv_val nvf_map_union(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_map_setop(E, NV_M(a[0]), NV_M(a[1]), 0); }
NV_RT nv_val nvf_map_intersection(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_map_setop(E, NV_M(a[0]), NV_M(a[1]), 1); }
NV_RT nv_val nvf_map_diff(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_map_setop(E, NV_M(a[0]), NV_M(a[1]), 2); }
NV_RT nv_val nvf_map_symdiff(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_map_setop(E, NV_M(a[0]), NV_M(a[1]), 3); }

NV_RT nv_val nvf_map_subset(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_map *x = NV_M(a[0]), *y = NV_M(a[1]);
    int64_t i;
    (void)E;
    (void)T;
    for (i = 0; i < x->n; i++)
        if (nv_map_find(y, x->e[i].k) < 0)
            return nv_vi(0);
    return nv_vi(1);
}

NV_RT nv_val nvf_map_disjoint(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_map *x = NV_M(a[0]), *y = NV_M(a[1]);
    int64_t i;
    (void)E;
    (void)T;
    for (i = 0; i < x->n; i++)
        if (nv_map_find(y, x->e[i].k) >= 0)
            return nv_vi(0);
    return nv_vi(1);
}

NV_RT nv_val nv_map_map(nv_eng *E, const nv_val *a, int with_key)
{
    const nv_map *m = NV_M(a[0]);
    nv_map *r = nv_map_new(E, m->n);
    int64_t i;
    for (i = 0; i < m->n; i++) {
        r->e[i].k = m->e[i].k;
        r->e[i].v = with_key ? nv_call2(E, a[1], nv_vp(m->e[i].k), m->e[i].v) : nv_call1(E, a[1], m->e[i].v);
    }
    return nv_vp(r);
}

NV_RT nv_val nvf_map_map(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_map_map(E, a, 0); }
NV_RT nv_val nvf_map_mapWithKey(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_map_map(E, a, 1); }

NV_RT nv_val nv_map_filter(nv_eng *E, const nv_type *const *T, const nv_val *a, int with_key, int fmap)
{
    const nv_map *m = NV_M(a[0]);
    nv_map *r = nv_map_new(E, m->n);
    const nv_type *rt = T[2]->items;
    int64_t i, k = 0;
    for (i = 0; i < m->n; i++) {
        nv_val v = with_key ? nv_call2(E, a[1], nv_vp(m->e[i].k), m->e[i].v) : nv_call1(E, a[1], m->e[i].v), b;
        if (!fmap) {
            if (v.i)
                r->e[k++] = m->e[i];
        } else if (nv_nonnull(rt, v, &b)) {
            r->e[k].k = m->e[i].k;
            r->e[k++].v = rt->kind == NV_UNION ? nv_conv(E, rt->parts[((const nv_uni *)v.p)->tag], T[0]->items, b) : b;
        }
    }
    r->n = k;
    return nv_vp(r);
}

NV_RT nv_val nvf_map_filter(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_map_filter(E, T, a, 0, 0); }
NV_RT nv_val nvf_map_filterWithKey(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_map_filter(E, T, a, 1, 0); }
NV_RT nv_val nvf_map_filterMap(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_map_filter(E, T, a, 0, 1); }
NV_RT nv_val nvf_map_filterMapWithKey(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_map_filter(E, T, a, 1, 1); }

NV_RT nv_val nv_map_flatmap(nv_eng *E, const nv_val *a, int with_key)
{
    const nv_map *m = NV_M(a[0]);
    nv_map *r = nv_map_new(E, 0);
    int64_t i;
    for (i = 0; i < m->n; i++)
        r = nv_overlay(E, r, NV_M(with_key ? nv_call2(E, a[1], nv_vp(m->e[i].k), m->e[i].v) : nv_call1(E, a[1], m->e[i].v)));
    return nv_vp(r);
}

NV_RT nv_val nvf_map_flatMap(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_map_flatmap(E, a, 0); }
NV_RT nv_val nvf_map_flatMapWithKey(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_map_flatmap(E, a, 1); }

NV_RT int nv_same_keys(const nv_map *x, const nv_map *y)
{
    int64_t i;
    if (x->n != y->n)
        return 0;
    for (i = 0; i < x->n; i++)
        if (!nv_str_eq(x->e[i].k, y->e[i].k))
            return 0;
    return 1;
}

NV_RT nv_val nv_map_zipmap(nv_eng *E, const nv_type *const *T, const nv_val *a, int with_key, int code)
{
    int n = nv_nargs(T) - 1, k;
    const nv_map *m0 = NV_M(a[0]);
    const nv_fn *fn = (const nv_fn *)a[n].p;
    nv_map *r;
    nv_val args[5];
    int64_t i;
    for (k = 1; k < n; k++)
        if (!nv_same_keys(m0, NV_M(a[k])))
            nv_raise(E, code, "misaligned maps");
    r = nv_map_new(E, m0->n);
    for (i = 0; i < m0->n; i++) {
        int off = 0;
        if (with_key)
            args[off++] = nv_vp(m0->e[i].k);
        for (k = 0; k < n; k++)
            args[off + k] = NV_M(a[k])->e[i].v;
        r->e[i].k = m0->e[i].k;
        r->e[i].v = fn->call(E, fn, args);
    }
    return nv_vp(r);
}

NV_RT nv_val nvf_map_zipmap(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_map_zipmap(E, T, a, 0, 26370); }
NV_RT nv_val nvf_map_zipmapWithKey(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_map_zipmap(E, T, a, 1, 26380); }

NV_RT nv_val nv_map_corr(nv_eng *E, const nv_val *a, int with_key)
{
    const nv_map *x = NV_M(a[0]), *y = NV_M(a[1]);
    const nv_fn *fn = (const nv_fn *)a[2].p;
    nv_val args[3];
    int64_t i;
    if (!nv_same_keys(x, y))
        return nv_vi(0);
    for (i = 0; i < x->n; i++) {
        int off = 0;
        if (with_key)
            args[off++] = nv_vp(x->e[i].k);
        args[off] = x->e[i].v;
        args[off + 1] = y->e[i].v;
        if (!fn->call(E, fn, args).i)
            return nv_vi(0);
    }
    return nv_vi(1);
}

NV_RT nv_val nvf_map_corresponds(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_map_corr(E, a, 0); }
NV_RT nv_val nvf_map_correspondsWithKey(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_map_corr(E, a, 1); }

/*@ section codec needs core json avro */
NV_RT nv_val nvf_bytes_toBase64(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    return nv_vp(nv_base64(E, ((const nv_str *)a[0].p)->s, ((const nv_str *)a[0].p)->n));
}

NV_RT int nv_b64(int c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

NV_RT nv_val nvf_bytes_fromBase64(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_str *s = (const nv_str *)a[0].p;
    char *o;
    nv_str *r;
    int64_t i, k = 0;
    (void)T;
    if (s->n % 4)
        nv_raise(E, 16220, "invalid base64");
    r = nv_str_alloc(E, s->n / 4 * 3, &o);
    for (i = 0; i < s->n; i += 4) {
        int v[4], j;
        for (j = 0; j < 4; j++) {
            v[j] = s->s[i + j] == '=' ? -2 : nv_b64((unsigned char)s->s[i + j]);
            if (v[j] == -1 || (v[j] == -2 && (i + 4 != s->n || j < 2)))
                nv_raise(E, 16220, "invalid base64");
        }
        if (v[2] == -2 && v[3] != -2)
            nv_raise(E, 16220, "invalid base64");
        o[k++] = (char)(v[0] << 2 | v[1] >> 4);
        if (v[2] >= 0)
            o[k++] = (char)((v[1] & 15) << 4 | v[2] >> 2);
        if (v[3] >= 0)
            o[k++] = (char)((v[2] & 3) << 6 | v[3]);
    }
    o[k] = 0;
    r->n = k;
    return nv_vp(r);
}

NV_RT nv_val nvf_cast_avro(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    nv_bin b = {NULL, 0, 0};
    nv_avro(E, &b, T[1], a[0]);
    return nv_vp(nv_str_new(E, b.p ? b.p : "", b.n));
}

NV_RT nv_val nvf_cast_json(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    nv_buf b = {NULL, 0, 0};
    nv_str *r;
    nv_to_json(E, &b, T[1], a[0]);
    r = nv_str_new(E, b.p ? b.p : "", (int64_t)b.n);
    free(b.p);
    return nv_vp(r);
}

/*@ section interp needs core array */
typedef struct nv_tab { const nv_arr *t; } nv_tab;

#define NV_TX(t, i) (((const nv_rec *)(t)->v[i].p)->f[0])
#define NV_TTO(t, i) (((const nv_rec *)(t)->v[i].p)->f[1])

NV_RT nv_val nvf_interp_bin(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double x = a[0].d;
    if (nv_nargs(T) == 4) {
        int32_t n = a[1].i;
        double lo = a[2].d, hi = a[3].d, r;
        if (!(lo < hi))
            nv_raise(E, 22000, "bad histogram range");
        if (n < 1)
            nv_raise(E, 22001, "bad histogram scale");
        if (!(x >= lo && x < hi))
            nv_raise(E, 22002, "x out of range");
        r = floor((x - lo) / (hi - lo) * n);
        return nv_vi(r >= n ? n - 1 : (int32_t)r);
    }
    {
        double origin = a[1].d, width = a[2].d;
        if (origin != origin || origin == HUGE_VAL || origin == -HUGE_VAL)
            nv_raise(E, 22000, "bad histogram range");
        if (!(width > 0))
            nv_raise(E, 22001, "bad histogram scale");
        return nv_vi((int32_t)floor((x - origin) / width));
    }
}

NV_RT double nv_euclid(nv_eng *E, const nv_arr *x, const nv_arr *y, int code)
{
    double s = 0;
    int64_t i;
    if (x->n != y->n)
        nv_raise(E, code, "inconsistent dimensionality");
    for (i = 0; i < x->n; i++)
        s += (x->v[i].d - y->v[i].d) * (x->v[i].d - y->v[i].d);
    return s;
}

NV_RT nv_val nvf_interp_nearest(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *t = (const nv_arr *)a[1].p;
    int custom = nv_nargs(T) == 3, vec = !custom && T[1]->kind == NV_ARRAY;
    int64_t i, best = 0;
    double bd = 0;
    if (t->n < 1)
        nv_raise(E, 22010, "table must have at least one entry");
    for (i = 0; i < t->n; i++) {
        double d;
        if (custom)
            d = nv_call2(E, a[2], a[0], NV_TX(t, i)).d;
        else if (vec)
            d = nv_euclid(E, (const nv_arr *)a[0].p, (const nv_arr *)NV_TX(t, i).p, 22011);
        else
            d = fabs(a[0].d - NV_TX(t, i).d);
        if (i == 0 || d < bd) {
            bd = d;
            best = i;
        }
    }
    return NV_TTO(t, best);
}

/* the entries just below and above x; 0 when x is beyond the table */
NV_RT int nv_bracket(nv_eng *E, const nv_arr *t, double x, int64_t *lo, int64_t *hi, int code)
{
    int64_t i, l = -1, h = -1, distinct = 0;
    for (i = 0; i < t->n; i++) {
        double xi = NV_TX(t, i).d;
        if (i > 0 && xi != NV_TX(t, 0).d)
            distinct = 1;
        if (xi <= x && (l < 0 || xi > NV_TX(t, l).d))
            l = i;
        if (xi > x && (h < 0 || xi < NV_TX(t, h).d))
            h = i;
    }
    if (!distinct)
        nv_raise(E, code, "table must have at least two distinct x values");
    *lo = l;
    *hi = h;
    if (l >= 0 && h >= 0)
        return 1;
    /* beyond: the two nearest on one side */
    {
        int64_t a1 = -1, a2 = -1;
        for (i = 0; i < t->n; i++) {
            double xi = NV_TX(t, i).d;
            if (a1 < 0 || fabs(xi - x) < fabs(NV_TX(t, a1).d - x))
                a1 = i;
        }
        for (i = 0; i < t->n; i++) {
            double xi = NV_TX(t, i).d;
            if (xi != NV_TX(t, a1).d && (a2 < 0 || fabs(xi - x) < fabs(NV_TX(t, a2).d - x)))
                a2 = i;
        }
        *lo = NV_TX(t, a1).d < NV_TX(t, a2).d ? a1 : a2;
        *hi = *lo == a1 ? a2 : a1;
    }
    return 0;
}

NV_RT nv_val nv_lerp(nv_eng *E, const nv_type *to, const nv_arr *t, int64_t l, int64_t h, double x, int code)
{
    double x0 = NV_TX(t, l).d, x1 = NV_TX(t, h).d, f = (x - x0) / (x1 - x0);
    if (to->kind != NV_ARRAY)
        return nv_vd(NV_TTO(t, l).d + f * (NV_TTO(t, h).d - NV_TTO(t, l).d));
    {
        const nv_arr *y0 = (const nv_arr *)NV_TTO(t, l).p, *y1 = (const nv_arr *)NV_TTO(t, h).p;
        nv_arr *r;
        int64_t i;
        if (y0->n != y1->n)
            nv_raise(E, code, "inconsistent dimensionality");
        r = nv_arr_new(E, y0->n);
        for (i = 0; i < y0->n; i++)
            r->v[i] = nv_vd(y0->v[i].d + f * (y1->v[i].d - y0->v[i].d));
        return nv_vp(r);
    }
}

NV_RT nv_val nvf_interp_linear(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *t = (const nv_arr *)a[1].p;
    int64_t l, h;
    nv_bracket(E, t, a[0].d, &l, &h, 22020);
    return nv_lerp(E, T[0], t, l, h, a[0].d, 22021);
}

NV_RT nv_val nvf_interp_linearFlat(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *t = (const nv_arr *)a[1].p;
    int64_t l, h;
    if (!nv_bracket(E, t, a[0].d, &l, &h, 22030)) {
        int64_t i, best = 0;
        for (i = 1; i < t->n; i++)
            if (fabs(NV_TX(t, i).d - a[0].d) < fabs(NV_TX(t, best).d - a[0].d))
                best = i;
        return NV_TTO(t, best);
    }
    return nv_lerp(E, T[0], t, l, h, a[0].d, 22031);
}

NV_RT nv_val nvf_interp_linearMissing(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *t = (const nv_arr *)a[1].p;
    const nv_type *u = T[0];
    int64_t l, h;
    int b, nb = 0;
    for (b = 0; b < u->n; b++)
        if (u->parts[b]->kind == NV_NULL)
            nb = b;
    if (!nv_bracket(E, t, a[0].d, &l, &h, 22040)) {
        int64_t i;
        for (i = 0; i < t->n; i++)
            if (NV_TX(t, i).d == a[0].d)
                return nv_vp(nv_box(E, 1 - nb, NV_TTO(t, i)));
        return nv_vp(nv_box(E, nb, nv_vi(0)));
    }
    return nv_vp(nv_box(E, 1 - nb, nv_lerp(E, u->parts[1 - nb], t, l, h, a[0].d, 22041)));
}
