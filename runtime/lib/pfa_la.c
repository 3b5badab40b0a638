/* pfa_la.c -- PFA's linear algebra (la.*), metrics (metric.*) and kernels
 * (m.kernel.*) for generated engines, in the calling convention of
 * pfa_lib.c (arguments as nv_val, T[0] the result's type, T[1..] the
 * arguments'), with the helpers the analytic modules share (pfa_prob.c,
 * pfa_stat.c, pfa_model.c).
 *
 * Vectors and matrices come as arrays (dense: every shape is checked, with
 * the spec's errors) or maps (sparse: a missing entry is zero, and the
 * result has every key any operand has).  The numbers go through the
 * shared kernels (linalg.c, kernels.c) as plain double buffers, copied out
 * of the values: the copy is O(n) beside the O(n^2) or O(n^3) work. */

/*@ section vec needs core */
#define NV_ARR(x) ((const nv_arr *)(x).p)
#define NV_MAP(x) ((const nv_map *)(x).p)
#define NV_REC(x) ((const nv_rec *)(x).p)

/* a record type's field by name: its index, or -1 */
NV_RT int nv_field_index(const nv_type *rec, const char *name)
{
    int i;
    for (i = 0; i < rec->n; i++)
        if (!strcmp(rec->names[i], name))
            return i;
    return -1;
}

/* a number of any numeric type as a double */
NV_RT double nv_as_d(const nv_type *t, nv_val v)
{
    switch (t->kind) {
    case NV_INT: return (double)v.i;
    case NV_LONG: return (double)v.l;
    case NV_FLOAT: return (double)v.f;
    default: return v.d;
    }
}

/* a numeric field of a record by name, as a double (the signatures make
   sure it is there) */
NV_RT double nv_get_d(const nv_type *t, const nv_rec *r, const char *name)
{
    int i = nv_field_index(t, name);
    return nv_as_d(t->parts[i], r->f[i]);
}

/* an int or long field of a record by name */
NV_RT int64_t nv_get_int(const nv_type *t, const nv_rec *r, const char *name)
{
    int i = nv_field_index(t, name);
    return t->parts[i]->kind == NV_LONG ? r->f[i].l : r->f[i].i;
}

/* a double as a value of the numeric field type t */
NV_RT nv_val nv_from_d(const nv_type *t, double x)
{
    switch (t->kind) {
    case NV_INT: return nv_vi(nv_d2i(x));
    case NV_LONG: return nv_vl(nv_d2l(x));
    case NV_FLOAT: return nv_vf((float)x);
    default: return nv_vd(x);
    }
}

/* a shallow copy of record r, to change some fields of */
NV_RT nv_rec *nv_rec_dup(nv_eng *E, const nv_type *t, const nv_rec *r)
{
    nv_rec *n = nv_rec_new(E, t->n);
    memcpy(n->f, r->f, sizeof(nv_val) * (size_t)t->n);
    return n;
}

/* set the numeric field `name` of record r (type t), if the type has it */
NV_RT void nv_set_d(const nv_type *t, nv_rec *r, const char *name, double x)
{
    int i = nv_field_index(t, name);
    if (i >= 0)
        r->f[i] = nv_from_d(t->parts[i], x);
}

/* room for n doubles (n from the data: overflow is an error, not a wrap).
   One buffer holds at most 2^27 doubles (1 GiB, s.repeat's bound on a
   string), so that a hostile shape (the outer product of two long vectors,
   sparse maps with many keys) is an error rather than the machine's memory. */
#define NV_MAX_DOUBLES ((int64_t)1 << 27)
NV_RT double *nv_dalloc(nv_eng *E, int64_t n)
{
    if (n < 0 || n > NV_MAX_DOUBLES)
        nv_raise(E, -1000, "out of memory");
    return (double *)nv_alloc(E, sizeof(double) * (size_t)(n ? n : 1));
}

/* the product of two sizes, refused when it would not fit */
NV_RT int64_t nv_size2(nv_eng *E, int64_t a, int64_t b)
{
    if (a > 0 && b > INT64_MAX / 16 / a)
        nv_raise(E, -1000, "out of memory");
    return a * b;
}

/* an array of doubles as a C array */
NV_RT double *nv_dvec(nv_eng *E, const nv_arr *a)
{
    double *v = nv_dalloc(E, a->n);
    int64_t i;
    for (i = 0; i < a->n; i++)
        v[i] = a->v[i].d;
    return v;
}

/* a C array as an array of doubles */
NV_RT nv_arr *nv_darr(nv_eng *E, const double *v, int64_t n)
{
    nv_arr *a = nv_arr_new(E, n);
    int64_t i;
    for (i = 0; i < n; i++)
        a->v[i] = nv_vd(v[i]);
    return a;
}

/* the length of the first row of an array of arrays (0 if none), and
   whether any row has another length */
NV_RT int64_t nv_cols(const nv_arr *x, int *ragged)
{
    int64_t i, c = x->n ? NV_ARR(x->v[0])->n : 0;
    *ragged = 0;
    for (i = 1; i < x->n; i++)
        if (NV_ARR(x->v[i])->n != c)
            *ragged = 1;
    return c;
}

/* an array of arrays of doubles (rows x cols, not ragged) as a row-major
   C matrix */
NV_RT double *nv_dmat(nv_eng *E, const nv_arr *x, int64_t cols)
{
    double *m = nv_dalloc(E, nv_size2(E, x->n, cols));
    int64_t i, j;
    for (i = 0; i < x->n; i++)
        for (j = 0; j < cols; j++)
            m[i * cols + j] = NV_ARR(x->v[i])->v[j].d;
    return m;
}

/* a row-major C matrix as an array of arrays of doubles */
NV_RT nv_arr *nv_darr2(nv_eng *E, const double *m, int64_t rows, int64_t cols)
{
    nv_arr *a = nv_arr_new(E, rows);
    int64_t i;
    for (i = 0; i < rows; i++)
        a->v[i] = nv_vp(nv_darr(E, m + i * cols, cols));
    return a;
}

/* ---- sparse vectors and matrices: maps, keys sorted ---- */
typedef struct nv_keys { int64_t n; nv_str **k; } nv_keys;

NV_RT int nv_keyp_cmp(const void *a, const void *b)
{
    return nv_str_cmp(*(nv_str *const *)a, *(nv_str *const *)b);
}

/* the sorted union of the keys of maps m[0..n) (level 1) or of the maps
   inside them (level 2: the column keys of matrices) */
NV_RT nv_keys nv_key_union(nv_eng *E, const nv_map *const *m, int n, int level)
{
    nv_keys r;
    int64_t total = 0, i, j, k = 0;
    int q;
    for (q = 0; q < n; q++) {
        if (level == 1)
            total += m[q]->n;
        else
            for (i = 0; i < m[q]->n; i++)
                total += NV_MAP(m[q]->e[i].v)->n;
    }
    r.k = (nv_str **)nv_alloc(E, sizeof(nv_str *) * (size_t)(total ? total : 1));
    for (q = 0; q < n; q++)
        for (i = 0; i < m[q]->n; i++) {
            if (level == 1)
                r.k[k++] = m[q]->e[i].k;
            else
                for (j = 0; j < NV_MAP(m[q]->e[i].v)->n; j++)
                    r.k[k++] = NV_MAP(m[q]->e[i].v)->e[j].k;
        }
    qsort(r.k, (size_t)k, sizeof(nv_str *), nv_keyp_cmp);
    r.n = 0;
    for (i = 0; i < k; i++)
        if (r.n == 0 || !nv_str_eq(r.k[r.n - 1], r.k[i]))
            r.k[r.n++] = r.k[i];
    return r;
}

/* the sorted union of two sorted key sets */
NV_RT nv_keys nv_keys_join(nv_eng *E, const nv_keys *a, const nv_keys *b)
{
    nv_keys r;
    int64_t i = 0, j = 0;
    r.k = (nv_str **)nv_alloc(E, sizeof(nv_str *) * (size_t)(a->n + b->n + 1));
    r.n = 0;
    while (i < a->n || j < b->n) {
        int c = i == a->n ? 1 : j == b->n ? -1 : nv_str_cmp(a->k[i], b->k[j]);
        r.k[r.n++] = c <= 0 ? a->k[i] : b->k[j];
        i += c <= 0;
        j += c >= 0;
    }
    return r;
}

/* m[key] as a double, 0 when absent */
NV_RT double nv_mget0(const nv_map *m, const nv_str *key)
{
    int64_t i = nv_map_find(m, key);
    return i >= 0 ? m->e[i].v.d : 0;
}

/* m[row][col], 0 when absent */
NV_RT double nv_mget2(const nv_map *m, const nv_str *row, const nv_str *col)
{
    int64_t i = nv_map_find(m, row);
    return i >= 0 ? nv_mget0(NV_MAP(m->e[i].v), col) : 0;
}

/* a map of maps as a dense C matrix over the given row and column keys */
NV_RT double *nv_mmat(nv_eng *E, const nv_map *m, const nv_keys *rows, const nv_keys *cols)
{
    double *d = nv_dalloc(E, nv_size2(E, rows->n, cols->n));
    int64_t i, j;
    for (i = 0; i < rows->n; i++) {
        int64_t r = nv_map_find(m, rows->k[i]);
        for (j = 0; j < cols->n; j++)
            d[i * cols->n + j] = r >= 0 ? nv_mget0(NV_MAP(m->e[r].v), cols->k[j]) : 0;
    }
    return d;
}

/* a map over sorted unique keys with the values v */
NV_RT nv_map *nv_dmap(nv_eng *E, const nv_keys *keys, const double *v)
{
    nv_map *m = nv_map_new(E, keys->n);
    int64_t i;
    for (i = 0; i < keys->n; i++) {
        m->e[i].k = keys->k[i];
        m->e[i].v = nv_vd(v[i]);
    }
    return m;
}

/* a dense C matrix as a map of maps over the given keys */
NV_RT nv_map *nv_dmap2(nv_eng *E, const double *d, const nv_keys *rows, const nv_keys *cols)
{
    nv_map *m = nv_map_new(E, rows->n);
    int64_t i;
    for (i = 0; i < rows->n; i++) {
        m->e[i].k = rows->k[i];
        m->e[i].v = nv_vp(nv_dmap(E, cols, d + i * cols->n));
    }
    return m;
}

NV_RT int nv_finite(double x) { return x == x && x != HUGE_VAL && x != -HUGE_VAL; }

NV_RT int nv_all_finite(const double *v, int64_t n)
{
    int64_t i;
    for (i = 0; i < n; i++)
        if (!nv_finite(v[i]))
            return 0;
    return 1;
}

/*@ section la needs core array vec kernel_linalg */
/* ---- la: element-wise maps ---- */
NV_RT nv_val nvf_la_map(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    int64_t i, j;
    if (T[1]->kind == NV_ARRAY) {
        const nv_arr *x = NV_ARR(a[0]);
        nv_arr *r = nv_arr_new(E, x->n);
        for (i = 0; i < x->n; i++) {
            const nv_arr *row = NV_ARR(x->v[i]);
            nv_arr *o = nv_arr_new(E, row->n);
            for (j = 0; j < row->n; j++)
                o->v[j] = nv_call1(E, a[1], row->v[j]);
            r->v[i] = nv_vp(o);
        }
        return nv_vp(r);
    } else {
        const nv_map *x = NV_MAP(a[0]);
        nv_map *r = nv_map_new(E, x->n);
        for (i = 0; i < x->n; i++) {
            const nv_map *row = NV_MAP(x->e[i].v);
            nv_map *o = nv_map_new(E, row->n);
            for (j = 0; j < row->n; j++) {
                o->e[j].k = row->e[j].k;
                o->e[j].v = nv_call1(E, a[1], row->e[j].v);
            }
            r->e[i].k = x->e[i].k;
            r->e[i].v = nv_vp(o);
        }
        return nv_vp(r);
    }
}

/* x * alpha for vectors and matrices, arrays or maps */
NV_RT nv_val nv_la_scale(nv_eng *E, const nv_type *t, nv_val x, double alpha)
{
    int64_t i;
    if (t->kind == NV_ARRAY) {
        const nv_arr *v = NV_ARR(x);
        nv_arr *r = nv_arr_new(E, v->n);
        for (i = 0; i < v->n; i++)
            r->v[i] = t->items->kind == NV_DOUBLE ? nv_vd(v->v[i].d * alpha) : nv_la_scale(E, t->items, v->v[i], alpha);
        return nv_vp(r);
    } else {
        const nv_map *v = NV_MAP(x);
        nv_map *r = nv_map_new(E, v->n);
        for (i = 0; i < v->n; i++) {
            r->e[i].k = v->e[i].k;
            r->e[i].v = t->items->kind == NV_DOUBLE ? nv_vd(v->e[i].v.d * alpha)
                                                    : nv_la_scale(E, t->items, v->e[i].v, alpha);
        }
        return nv_vp(r);
    }
}

NV_RT nv_val nvf_la_scale(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    return nv_la_scale(E, T[1], a[0], a[1].d);
}

/* the element-wise combination of x and y: op 0 +, 1 -, 2 the function f.
   Arrays must have the same shape (error code); maps combine over the
   union of their keys (and, for matrices, every row gets every column of
   either), a missing entry counting as 0. */
NV_RT double nv_la_op(nv_eng *E, int op, nv_val f, double x, double y)
{
    if (op == 0)
        return x + y;
    if (op == 1)
        return x - y;
    return nv_call2(E, f, nv_vd(x), nv_vd(y)).d;
}

NV_RT nv_val nv_la_zip(nv_eng *E, const nv_type *t, nv_val x, nv_val y, int op, nv_val f, int code)
{
    int64_t i, j;
    if (t->kind == NV_ARRAY) {
        const nv_arr *u = NV_ARR(x), *v = NV_ARR(y);
        nv_arr *r;
        if (u->n != v->n)
            nv_raise(E, code, "misaligned matrices");
        if (t->items->kind == NV_ARRAY)
            for (i = 0; i < u->n; i++)
                if (NV_ARR(u->v[i])->n != NV_ARR(v->v[i])->n)
                    nv_raise(E, code, "misaligned matrices");
        r = nv_arr_new(E, u->n);
        for (i = 0; i < u->n; i++) {
            if (t->items->kind == NV_DOUBLE) {
                r->v[i] = nv_vd(nv_la_op(E, op, f, u->v[i].d, v->v[i].d));
                continue;
            }
            {
                const nv_arr *ur = NV_ARR(u->v[i]), *vr = NV_ARR(v->v[i]);
                nv_arr *o = nv_arr_new(E, ur->n);
                for (j = 0; j < ur->n; j++)
                    o->v[j] = nv_vd(nv_la_op(E, op, f, ur->v[j].d, vr->v[j].d));
                r->v[i] = nv_vp(o);
            }
        }
        return nv_vp(r);
    } else {
        const nv_map *m[2];
        nv_keys rows, cols;
        nv_map *r;
        m[0] = NV_MAP(x);
        m[1] = NV_MAP(y);
        rows = nv_key_union(E, m, 2, 1);
        r = nv_map_new(E, rows.n);
        if (t->items->kind == NV_DOUBLE) {
            for (i = 0; i < rows.n; i++) {
                r->e[i].k = rows.k[i];
                r->e[i].v = nv_vd(nv_la_op(E, op, f, nv_mget0(m[0], rows.k[i]), nv_mget0(m[1], rows.k[i])));
            }
            return nv_vp(r);
        }
        cols = nv_key_union(E, m, 2, 2);
        for (i = 0; i < rows.n; i++) {
            nv_map *o = nv_map_new(E, cols.n);
            for (j = 0; j < cols.n; j++) {
                o->e[j].k = cols.k[j];
                o->e[j].v = nv_vd(nv_la_op(E, op, f, nv_mget2(m[0], rows.k[i], cols.k[j]),
                                           nv_mget2(m[1], rows.k[i], cols.k[j])));
            }
            r->e[i].k = rows.k[i];
            r->e[i].v = nv_vp(o);
        }
        return nv_vp(r);
    }
}

NV_RT nv_val nvf_la_zipmap(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    return nv_la_zip(E, T[1], a[0], a[1], 2, a[2], 24020);
}

NV_RT nv_val nvf_la_add(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    return nv_la_zip(E, T[1], a[0], a[1], 0, a[0], 24030);
}

NV_RT nv_val nvf_la_sub(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    return nv_la_zip(E, T[1], a[0], a[1], 1, a[0], 24040);
}

/* ---- la: products ---- */
NV_RT nv_val nvf_la_dot(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    int64_t i, j, k;
    int ragged;
    if (T[1]->kind == NV_ARRAY) {
        const nv_arr *x = NV_ARR(a[0]), *y = NV_ARR(a[1]);
        int64_t n = x->n, m = nv_cols(x, &ragged), p;
        int mat = T[2]->items->kind == NV_ARRAY, yragged = 0;
        double *xm, *ym, *r;
        p = mat ? nv_cols(y, &yragged) : 1;
        if (n < 1 || m < 1 || y->n < 1 || p < 1)
            nv_raise(E, 24051, "too few rows/cols");
        for (i = 0; i < n; i++)
            if (!nv_all_finite(nv_dvec(E, NV_ARR(x->v[i])), NV_ARR(x->v[i])->n))
                nv_raise(E, 24052, "contains non-finite value");
        for (i = 0; i < y->n; i++)
            if (mat ? !nv_all_finite(nv_dvec(E, NV_ARR(y->v[i])), NV_ARR(y->v[i])->n) : !nv_finite(y->v[i].d))
                nv_raise(E, 24052, "contains non-finite value");
        if (ragged || yragged || m != y->n)
            nv_raise(E, 24050, "misaligned matrices");
        xm = nv_dmat(E, x, m);
        ym = mat ? nv_dmat(E, y, p) : nv_dvec(E, y);
        r = nv_dalloc(E, nv_size2(E, n, p));
        for (i = 0; i < n; i++) {
            if (m * p >= 1024)
                nv_tick_now(E);
            for (k = 0; k < p; k++) {
                double s = 0;
                for (j = 0; j < m; j++)
                    s += xm[i * m + j] * ym[j * p + k];
                r[i * p + k] = s;
            }
        }
        return nv_vp(mat ? nv_darr2(E, r, n, p) : nv_darr(E, r, n));
    } else {
        const nv_map *x = NV_MAP(a[0]), *y = NV_MAP(a[1]), *xy[2];
        int mat = T[2]->items->kind == NV_MAP;
        nv_keys rows, inner, cols, ok;
        double *xm, *ym, *r;
        xy[0] = x;
        xy[1] = y;
        rows = nv_key_union(E, xy, 1, 1);
        {
            /* inner keys: the columns of x and the rows (or keys) of y */
            nv_keys xc = nv_key_union(E, xy, 1, 2), yr = nv_key_union(E, xy + 1, 1, 1);
            inner = nv_keys_join(E, &xc, &yr);
        }
        if (mat)
            cols = nv_key_union(E, xy + 1, 1, 2);
        else {
            ok.n = 1;
            ok.k = NULL;
            cols = ok;
        }
        if (rows.n < 1 || inner.n < 1 || cols.n < 1)
            nv_raise(E, 24051, "too few rows/cols");
        xm = nv_mmat(E, x, &rows, &inner);
        if (mat)
            ym = nv_mmat(E, y, &inner, &cols);
        else {
            ym = nv_dalloc(E, inner.n);
            for (j = 0; j < inner.n; j++)
                ym[j] = nv_mget0(y, inner.k[j]);
        }
        if (!nv_all_finite(xm, rows.n * inner.n) || !nv_all_finite(ym, inner.n * cols.n))
            nv_raise(E, 24052, "contains non-finite value");
        r = nv_dalloc(E, nv_size2(E, rows.n, cols.n));
        for (i = 0; i < rows.n; i++) {
            if (inner.n * cols.n >= 1024)
                nv_tick_now(E);
            for (k = 0; k < cols.n; k++) {
                double s = 0;
                for (j = 0; j < inner.n; j++)
                    s += xm[i * inner.n + j] * ym[j * cols.n + k];
                r[i * cols.n + k] = s;
            }
        }
        return nv_vp(mat ? nv_dmap2(E, r, &rows, &cols) : nv_dmap(E, &rows, r));
    }
}

/* ---- la: matrix functions.  check_matrix validates an array matrix
   (rows, columns, raggedness, squareness: the errors at code, code + 1,
   code + 2; square < 0 skips that) and returns it as a C matrix; the map
   form gives the row and column keys. ---- */
NV_RT double *nv_la_arrays(nv_eng *E, const nv_arr *x, int64_t *rows, int64_t *cols, int code, int square)
{
    int ragged;
    *rows = x->n;
    if (x->n < 1)
        nv_raise(E, code, "too few rows/cols");
    *cols = nv_cols(x, &ragged);
    if (*cols < 1)
        nv_raise(E, code, "too few rows/cols");
    if (ragged)
        nv_raise(E, code + 1, "ragged columns");
    if (square > 0 && *rows != *cols)
        nv_raise(E, code + 2, "non-square matrix");
    return nv_dmat(E, x, *cols);
}

NV_RT nv_val nvf_la_transpose(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    int64_t r, c, i, j;
    if (T[1]->kind == NV_ARRAY) {
        double *m = nv_la_arrays(E, NV_ARR(a[0]), &r, &c, 24060, -1), *t = nv_dalloc(E, r * c);
        for (i = 0; i < r; i++)
            for (j = 0; j < c; j++)
                t[j * r + i] = m[i * c + j];
        return nv_vp(nv_darr2(E, t, c, r));
    } else {
        const nv_map *x = NV_MAP(a[0]);
        nv_keys rows = nv_key_union(E, &x, 1, 1), cols = nv_key_union(E, &x, 1, 2);
        double *m, *t;
        if (rows.n < 1 || cols.n < 1)
            nv_raise(E, 24060, "too few rows/cols");
        for (i = 0; i < x->n; i++)
            if (NV_MAP(x->e[i].v)->n != cols.n)
                nv_raise(E, 24061, "ragged columns");
        m = nv_mmat(E, x, &rows, &cols);
        t = nv_dalloc(E, nv_size2(E, rows.n, cols.n));
        for (i = 0; i < rows.n; i++)
            for (j = 0; j < cols.n; j++)
                t[j * rows.n + i] = m[i * cols.n + j];
        return nv_vp(nv_dmap2(E, t, &cols, &rows));
    }
}

/* the inverse of m (r x c) if square and regular, else its pseudoinverse,
   into a new c x r matrix; all NaN when m has a value that is not finite
   (as la.det's NaN: neither is defined there) */
NV_RT double *nv_la_inverse(nv_eng *E, double *m, int64_t r, int64_t c)
{
    nv_poll poll;
    double *out = nv_dalloc(E, nv_size2(E, r, c)), *v, *s;
    int64_t i, j;
    poll.fn = nv_tick_now;
    poll.ctx = E;
    if (!nv_all_finite(m, r * c)) {
        for (i = 0; i < r * c; i++)
            out[i] = NAN;
        return out;
    }
    if (r == c) {
        double *copy = nv_dalloc(E, r * c);
        memcpy(copy, m, sizeof(double) * (size_t)(r * c));
        if (nv_inverse(copy, r, out, (int64_t *)nv_alloc(E, sizeof(int64_t) * (size_t)r), nv_dalloc(E, 2 * r), &poll) == 0)
            return out;
    }
    if (r >= c) {
        v = nv_dalloc(E, c * c);
        s = nv_dalloc(E, c);
        nv_pinv_tall(m, r, c, out, v, s, &poll);
        return out;
    }
    /* wide: pinv(m) = pinv(m^T)^T */
    {
        double *t = nv_dalloc(E, r * c), *tout = nv_dalloc(E, r * c);
        for (i = 0; i < r; i++)
            for (j = 0; j < c; j++)
                t[j * r + i] = m[i * c + j];
        v = nv_dalloc(E, r * r);
        s = nv_dalloc(E, r);
        nv_pinv_tall(t, c, r, tout, v, s, &poll);   /* r x c */
        for (i = 0; i < r; i++)
            for (j = 0; j < c; j++)
                out[j * r + i] = tout[i * c + j];
        return out;
    }
}

NV_RT nv_val nvf_la_inverse(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    int64_t r, c;
    if (T[1]->kind == NV_ARRAY) {
        double *m = nv_la_arrays(E, NV_ARR(a[0]), &r, &c, 24070, -1);
        return nv_vp(nv_darr2(E, nv_la_inverse(E, m, r, c), c, r));
    } else {
        const nv_map *x = NV_MAP(a[0]);
        nv_keys rows = nv_key_union(E, &x, 1, 1), cols = nv_key_union(E, &x, 1, 2);
        if (rows.n < 1 || cols.n < 1)
            nv_raise(E, 24070, "too few rows/cols");
        return nv_vp(nv_dmap2(E, nv_la_inverse(E, nv_mmat(E, x, &rows, &cols), rows.n, cols.n), &cols, &rows));
    }
}

NV_RT nv_val nvf_la_trace(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double s = 0;
    int64_t i;
    if (T[1]->kind == NV_ARRAY) {
        const nv_arr *x = NV_ARR(a[0]);
        int ragged;
        int64_t c = nv_cols(x, &ragged);
        if (x->n == 0)
            return nv_vd(0);
        if (ragged)
            nv_raise(E, 24080, "ragged columns");
        for (i = 0; i < x->n && i < c; i++)
            s += NV_ARR(x->v[i])->v[i].d;
    } else {
        const nv_map *x = NV_MAP(a[0]);
        for (i = 0; i < x->n; i++)
            s += nv_mget0(NV_MAP(x->e[i].v), x->e[i].k);
    }
    return nv_vd(s);
}

/* the keys of a square map matrix: its rows and columns together */
NV_RT nv_keys nv_la_square_keys(nv_eng *E, const nv_map *x, int code)
{
    nv_keys rows = nv_key_union(E, &x, 1, 1), cols = nv_key_union(E, &x, 1, 2), all = nv_keys_join(E, &rows, &cols);
    int64_t i, nonempty = 0;
    for (i = 0; i < x->n; i++)
        nonempty += NV_MAP(x->e[i].v)->n > 0;
    if (all.n < 1 || nonempty == 0)
        nv_raise(E, code, "too few rows/cols");
    return all;
}

NV_RT nv_val nvf_la_det(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    int64_t r, c;
    double *m;
    nv_poll poll;
    if (T[1]->kind == NV_ARRAY)
        m = nv_la_arrays(E, NV_ARR(a[0]), &r, &c, 24090, 1);
    else {
        nv_keys k = nv_la_square_keys(E, NV_MAP(a[0]), 24090);
        m = nv_mmat(E, NV_MAP(a[0]), &k, &k);
        r = c = k.n;
    }
    if (!nv_all_finite(m, r * c))
        return nv_vd(NAN);
    poll.fn = nv_tick_now;
    poll.ctx = E;
    return nv_vd(nv_det(m, r, (int64_t *)nv_alloc(E, sizeof(int64_t) * (size_t)r), &poll));
}

/* x and y equal within tolerance: infinities of one sign and NaNs match */
NV_RT int nv_la_same(double x, double y, double tol)
{
    if (x != x || y != y)
        return x != x && y != y;
    if (!nv_finite(x) || !nv_finite(y))
        return x == y;
    return fabs(x - y) < tol;
}

NV_RT nv_val nvf_la_symmetric(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    int64_t n, c, i, j;
    double *m;
    if (T[1]->kind == NV_ARRAY)
        m = nv_la_arrays(E, NV_ARR(a[0]), &n, &c, 24100, 1);
    else {
        nv_keys k = nv_la_square_keys(E, NV_MAP(a[0]), 24100);
        m = nv_mmat(E, NV_MAP(a[0]), &k, &k);
        n = k.n;
    }
    for (i = 0; i < n; i++)
        for (j = i + 1; j < n; j++)
            if (!nv_la_same(m[i * n + j], m[j * n + i], a[1].d))
                return nv_vi(0);
    return nv_vi(1);
}

/* the rows of the result: each a unit eigenvector of (m + m^T)/2 (first
   component positive) divided by the square root of |its eigenvalue|,
   ordered by decreasing |eigenvalue| (stable among equals) */
NV_RT double *nv_la_eigenbasis(nv_eng *E, double *m, int64_t n)
{
    double *s = nv_dalloc(E, nv_size2(E, n, n)), *w = nv_dalloc(E, n), *v = nv_dalloc(E, n * n);
    double *out = nv_dalloc(E, n * n);
    int64_t *order = (int64_t *)nv_alloc(E, sizeof(int64_t) * (size_t)n), i, j;
    nv_poll poll;
    poll.fn = nv_tick_now;
    poll.ctx = E;
    for (i = 0; i < n; i++)
        for (j = 0; j < n; j++)
            s[i * n + j] = nv_finite(m[i * n + j] + m[j * n + i]) ? (m[i * n + j] + m[j * n + i]) / 2
                           : m[i * n + j] / 2 + m[j * n + i] / 2;     /* no overflow */
    nv_sym_eigen(s, n, w, v, &poll);
    for (i = 0; i < n; i++) {
        int64_t k = i;
        order[i] = i;
        while (k > 0 && fabs(w[order[k - 1]]) < fabs(w[order[k]])) {
            int64_t t = order[k];
            order[k] = order[k - 1];
            order[k - 1] = t;
            k--;
        }
    }
    for (i = 0; i < n; i++) {
        int64_t e = order[i];
        double scale = 1 / sqrt(fabs(w[e]));
        if (v[0 * n + e] < 0)
            scale = -scale;
        for (j = 0; j < n; j++)
            out[i * n + j] = v[j * n + e] * scale;
    }
    return out;
}

NV_RT nv_val nvf_la_eigenBasis(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    int64_t n, c, i;
    if (T[1]->kind == NV_ARRAY) {
        double *m = nv_la_arrays(E, NV_ARR(a[0]), &n, &c, 24110, 1);
        if (!nv_all_finite(m, n * n))
            nv_raise(E, 24113, "non-finite matrix");
        return nv_vp(nv_darr2(E, nv_la_eigenbasis(E, m, n), n, n));
    } else {
        nv_keys k = nv_la_square_keys(E, NV_MAP(a[0]), 24110);
        double *m = nv_mmat(E, NV_MAP(a[0]), &k, &k);
        nv_ment *e;
        if (!nv_all_finite(m, k.n * k.n))
            nv_raise(E, 24113, "non-finite matrix");
        m = nv_la_eigenbasis(E, m, k.n);
        /* rows "0", "1", ... in order of decreasing eigenvalue */
        e = (nv_ment *)nv_alloc(E, sizeof(nv_ment) * (size_t)k.n);
        for (i = 0; i < k.n; i++) {
            char buf[24];
            snprintf(buf, sizeof buf, "%lld", (long long)i);
            e[i].k = nv_cstr(E, buf);
            e[i].v = nv_vp(nv_dmap(E, &k, m + i * k.n));
        }
        return nv_vp(nv_map_sorted(E, e, k.n));
    }
}

NV_RT nv_val nvf_la_truncate(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    int64_t r, c, i, n = 0;
    if (T[1]->kind == NV_ARRAY) {
        const nv_arr *x = NV_ARR(a[0]);
        int64_t keep = a[1].i < 0 ? 0 : a[1].i;
        (void)nv_la_arrays(E, x, &r, &c, 24120, -1);
        return nv_vp(nv_arr_slice(E, x, 0, keep < x->n ? keep : x->n));
    } else {
        const nv_map *x = NV_MAP(a[0]);
        const nv_arr *keep = NV_ARR(a[1]);
        nv_keys cols = nv_key_union(E, &x, 1, 2);
        nv_map *out;
        if (x->n < 1 || cols.n < 1)
            nv_raise(E, 24120, "too few rows/cols");
        out = nv_map_new(E, x->n);
        for (i = 0; i < x->n; i++) {
            int64_t j, in = 0;
            for (j = 0; j < keep->n && !in; j++)
                in = nv_str_eq((const nv_str *)keep->v[j].p, x->e[i].k);
            if (in)
                out->e[n++] = x->e[i];
        }
        out->n = n;
        return nv_vp(out);
    }
}

/*@ section metric needs core array vec kernel_metric kernel_svm */
/* ---- metric ---- */
NV_RT nv_val nvf_metric_simpleEuclidean(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = NV_ARR(a[0]), *y = NV_ARR(a[1]);
    double t = 0;
    int64_t i;
    (void)T;
    if (x->n != y->n)
        nv_raise(E, 28000, "dimensions of vectors do not match");
    for (i = 0; i < x->n; i++)
        t = nv_metric_add(NV_EUCLID, t, x->v[i].d - y->v[i].d, 1, 0);
    return nv_vd(nv_metric_end(NV_EUCLID, t, 0));
}

NV_RT nv_val nvf_metric_absDiff(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    (void)T;
    return nv_vd(fabs(a[0].d - a[1].d));
}

NV_RT nv_val nvf_metric_gaussianSimilarity(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    (void)T;
    return nv_vd(nv_gauss_sim(a[0].d, a[1].d, a[2].d));
}

/* an item of an array of union(null, X): 1 and its X value, or 0 (null) */
NV_RT int nv_present(const nv_type *items, nv_val v, nv_val *out)
{
    if (items->kind == NV_UNION) {
        const nv_uni *u = (const nv_uni *)v.p;
        if (items->parts[u->tag]->kind == NV_NULL)
            return 0;
        *out = u->v;
        return 1;
    }
    *out = v;
    return 1;
}

/* the metrics with a similarity function and missing values:
   similarity, x, y [, p] [, missingWeight] */
NV_RT nv_val nv_metric(nv_eng *E, const nv_type *const *T, const nv_val *a, int kind, int code)
{
    const nv_arr *x = NV_ARR(a[1]), *y = NV_ARR(a[2]), *w = NULL;
    int np = kind == NV_MINKOWSKI, nargs = 0;
    double p = np ? a[3].d : 2, tally = 0, numer = 0, denom = 0, wi;
    int64_t i;
    while (T[nargs + 1])
        nargs++;
    if (nargs == 4 + np)
        w = NV_ARR(a[3 + np]);
    if (y->n != x->n || (w && w->n != x->n))
        nv_raise(E, code, "dimensions of vectors do not match");
    if (np && !(p > 0))
        nv_raise(E, code + 1, "Minkowski parameter p must be positive");
    if (np && p == HUGE_VAL)
        kind = NV_CHEBYSHEV;
    for (i = 0; i < x->n; i++) {
        nv_val xi, yi;
        wi = w ? w->v[i].d : 1;
        if (nv_present(T[2]->items, x->v[i], &xi) && nv_present(T[3]->items, y->v[i], &yi)) {
            tally = nv_metric_add(kind, tally, nv_call2(E, a[0], xi, yi).d, 1, p);
            denom += wi;
        }
        numer += wi;
    }
    if (denom == 0)
        return nv_vd(NAN);
    return nv_vd(nv_metric_end(kind, tally * numer / denom, p));
}

NV_RT nv_val nvf_metric_euclidean(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_metric(E, T, a, NV_EUCLID, 28030); }
NV_RT nv_val nvf_metric_squaredEuclidean(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_metric(E, T, a, NV_SQEUCLID, 28040); }
NV_RT nv_val nvf_metric_chebyshev(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_metric(E, T, a, NV_CHEBYSHEV, 28050); }
NV_RT nv_val nvf_metric_taxicab(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_metric(E, T, a, NV_CITYBLOCK, 28060); }
NV_RT nv_val nvf_metric_minkowski(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_metric(E, T, a, NV_MINKOWSKI, 28070); }

/* binary similarities: the counts a00, a01, a10, a11 of boolean arrays */
NV_RT void nv_binary_counts(nv_eng *E, const nv_val *a, double *n, int code)
{
    const nv_arr *x = NV_ARR(a[0]), *y = NV_ARR(a[1]);
    int64_t i;
    if (x->n != y->n)
        nv_raise(E, code, "dimensions of vectors do not match");
    n[0] = n[1] = n[2] = n[3] = 0;
    for (i = 0; i < x->n; i++)
        n[2 * (x->v[i].i != 0) + (y->v[i].i != 0)] += 1;
}

NV_RT nv_val nv_binary(nv_eng *E, const nv_val *a, int code, double c00, double c01, double c10, double c11,
                       double d00, double d01, double d10, double d11)
{
    double n[4], c[4], d[4];
    nv_binary_counts(E, a, n, code);
    c[0] = c00, c[1] = c01, c[2] = c10, c[3] = c11;
    d[0] = d00, d[1] = d01, d[2] = d10, d[3] = d11;
    return nv_vd(nv_binary_similarity(n, c, d));
}

NV_RT nv_val nvf_metric_simpleMatching(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    return nv_binary(E, a, 28080, 1, 0, 0, 1, 1, 1, 1, 1);
}

NV_RT nv_val nvf_metric_jaccard(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    return nv_binary(E, a, 28090, 0, 0, 0, 1, 0, 1, 1, 1);
}

NV_RT nv_val nvf_metric_tanimoto(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    return nv_binary(E, a, 28100, 1, 0, 0, 1, 1, 2, 2, 1);
}

NV_RT nv_val nvf_metric_binarySimilarity(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    return nv_binary(E, a, 28110, a[2].d, a[3].d, a[4].d, a[5].d, a[6].d, a[7].d, a[8].d, a[9].d);
}

/* ---- m.kernel ---- */
NV_RT const double *nv_kernel_args(nv_eng *E, const nv_val *a, const double **y, int64_t *n, int code)
{
    const nv_arr *x = NV_ARR(a[0]), *yy = NV_ARR(a[1]);
    if (x->n != yy->n)
        nv_raise(E, code, "arrays must have same length");
    *n = x->n;
    *y = nv_dvec(E, yy);
    return nv_dvec(E, x);
}

NV_RT nv_val nvf_m_kernel_linear(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const double *x, *y;
    int64_t n;
    (void)T;
    x = nv_kernel_args(E, a, &y, &n, 23000);
    return nv_vd(nv_dot(x, y, n));
}

NV_RT nv_val nvf_m_kernel_rbf(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const double *x, *y;
    int64_t n;
    (void)T;
    x = nv_kernel_args(E, a, &y, &n, 23010);
    return nv_vd(nv_kernel_rbf(x, y, n, a[2].d));
}

NV_RT nv_val nvf_m_kernel_poly(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const double *x, *y;
    int64_t n;
    (void)T;
    x = nv_kernel_args(E, a, &y, &n, 23020);
    return nv_vd(nv_kernel_poly(x, y, n, a[2].d, a[3].d, a[4].d));
}

NV_RT nv_val nvf_m_kernel_sigmoid(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const double *x, *y;
    int64_t n;
    (void)T;
    x = nv_kernel_args(E, a, &y, &n, 23030);
    return nv_vd(nv_kernel_sigmoid(x, y, n, a[2].d, a[3].d));
}
