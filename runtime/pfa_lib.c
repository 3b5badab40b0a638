/* pfa_lib.c -- PFA library functions for generated engines (see pfa_rt.c for
 * how nerva cuts this file into sections and copies what an engine uses).
 *
 * Every library function has one C form:
 *     nv_val nvf_NAME(nv_eng *E, const nv_type *const *T, const nv_val *a)
 * where NAME is the PFA name with dots as underscores (operators have
 * words: nvf_eq for "=="), a[] are the arguments as nv_val and T[0] is the
 * result's type descriptor, T[1..] the arguments'.  A generic function reads
 * what it needs from T; nerva passes the same table for every call site with
 * the same types.  Errors are raised with the codes of libfcns.xml. */
#ifndef NV_SECTIONS_ONLY
#include "pfa_rt.c"
#endif

/*@ section ops needs core */
/* ---- comparison and logic on any type ---- */
NV_RT nv_val nvf_eq(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    return nv_vi(nv_eq(T[1], a[0], a[1]));
}

NV_RT nv_val nvf_ne(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    return nv_vi(!nv_eq(T[1], a[0], a[1]));
}

NV_RT nv_val nvf_lt(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    return nv_vi(nv_cmp(T[1], a[0], a[1]) < 0);
}

NV_RT nv_val nvf_le(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    return nv_vi(nv_cmp(T[1], a[0], a[1]) <= 0);
}

NV_RT nv_val nvf_gt(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    return nv_vi(nv_cmp(T[1], a[0], a[1]) > 0);
}

NV_RT nv_val nvf_ge(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    return nv_vi(nv_cmp(T[1], a[0], a[1]) >= 0);
}

NV_RT nv_val nvf_cmp(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    return nv_vi(nv_cmp(T[1], a[0], a[1]));
}

NV_RT nv_val nvf_max(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    return nv_cmp(T[1], a[0], a[1]) >= 0 ? a[0] : a[1];
}

NV_RT nv_val nvf_min(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    return nv_cmp(T[1], a[0], a[1]) < 0 ? a[0] : a[1];
}

/* Kleene's logic over union(boolean, null): -1 unknown */
NV_RT int nv_kleene_get(const nv_type *t, nv_val v)
{
    const nv_uni *u = (const nv_uni *)v.p;
    return t->parts[u->tag]->kind == NV_NULL ? -1 : u->v.i;
}

NV_RT nv_val nv_kleene_make(nv_eng *E, const nv_type *t, int k)
{
    int b, want = k < 0 ? NV_NULL : NV_BOOL;
    for (b = 0; b < t->n; b++)
        if (t->parts[b]->kind == want)
            break;
    return nv_vp(nv_box(E, b, nv_vi(k < 0 ? 0 : k)));
}

NV_RT nv_val nvf_kand(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    int x = nv_kleene_get(T[1], a[0]), y = nv_kleene_get(T[2], a[1]);
    return nv_kleene_make(E, T[0], x == 0 || y == 0 ? 0 : (x == 1 && y == 1) ? 1 : -1);
}

NV_RT nv_val nvf_kor(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    int x = nv_kleene_get(T[1], a[0]), y = nv_kleene_get(T[2], a[1]);
    return nv_kleene_make(E, T[0], x == 1 || y == 1 ? 1 : (x == 0 && y == 0) ? 0 : -1);
}

NV_RT nv_val nvf_knot(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    int x = nv_kleene_get(T[1], a[0]);
    return nv_kleene_make(E, T[0], x < 0 ? -1 : !x);
}

/*@ section string needs core */
/* ---- strings: PFA counts characters (code points), not bytes ---- */
NV_RT int64_t nv_utf8_count(const nv_str *s)
{
    int64_t i, n = 0;
    for (i = 0; i < s->n; i++)
        n += ((unsigned char)s->s[i] & 0xc0) != 0x80;
    return n;
}

NV_RT nv_val nvf_s_len(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    (void)T;
    return nv_vi((int32_t)nv_utf8_count((const nv_str *)a[0].p));
}

NV_RT nv_val nvf_s_concat(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_str *x = (const nv_str *)a[0].p, *y = (const nv_str *)a[1].p;
    char *o;
    nv_str *r = nv_str_alloc(E, x->n + y->n, &o);
    (void)T;
    memcpy(o, x->s, (size_t)x->n);
    memcpy(o + x->n, y->s, (size_t)y->n);
    return nv_vp(r);
}
