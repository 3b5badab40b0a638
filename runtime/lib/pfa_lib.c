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

/*@ section string needs core casemap */
/* ---- strings: PFA counts characters (code points), not bytes ---- */
NV_RT int nv_nargs(const nv_type *const *T)
{
    int n = 0;
    while (T[n + 1])
        n++;
    return n;
}

#define NV_S(x) ((const nv_str *)(x).p)

NV_RT int64_t nv_utf8_count(const nv_str *s)
{
    int64_t i, n = 0;
    for (i = 0; i < s->n; i++)
        n += ((unsigned char)s->s[i] & 0xc0) != 0x80;
    return n;
}

/* the byte offset of code point i (0 <= i <= count) */
NV_RT int64_t nv_cp_off(const nv_str *s, int64_t i)
{
    int64_t b = 0;
    while (i > 0 && b < s->n) {
        b++;
        while (b < s->n && ((unsigned char)s->s[b] & 0xc0) == 0x80)
            b++;
        i--;
    }
    return b;
}

/* the code point index of byte offset b */
NV_RT int64_t nv_cp_index(const nv_str *s, int64_t b)
{
    int64_t i, n = 0;
    for (i = 0; i < b && i < s->n; i++)
        n += ((unsigned char)s->s[i] & 0xc0) != 0x80;
    return n;
}

/* Python's slice bounds: negative from the end, clamped, end >= start */
NV_RT void nv_slice(int64_t n, int64_t *start, int64_t *end)
{
    if (*start < 0)
        *start += n;
    if (*end < 0)
        *end += n;
    if (*start < 0)
        *start = 0;
    if (*start > n)
        *start = n;
    if (*end < 0)
        *end = 0;
    if (*end > n)
        *end = n;
    if (*end < *start)
        *end = *start;
}

NV_RT const char *nv_memfind(const char *h, int64_t hn, const char *n, int64_t nn)
{
    int64_t i;
    if (nn == 0)
        return h;
    for (i = 0; i + nn <= hn; i++)
        if (h[i] == n[0] && memcmp(h + i, n, (size_t)nn) == 0)
            return h + i;
    return NULL;
}

NV_RT const char *nv_memrfind(const char *h, int64_t hn, const char *n, int64_t nn)
{
    int64_t i;
    if (nn > hn)
        return NULL;
    for (i = hn - nn; i >= 0; i--)
        if (memcmp(h + i, n, (size_t)nn) == 0)
            return h + i;
    return NULL;
}

NV_RT nv_str *nv_cat3(nv_eng *E, const char *a, int64_t an, const char *b, int64_t bn, const char *c, int64_t cn)
{
    char *o;
    nv_str *r = nv_str_alloc(E, an + bn + cn, &o);
    memcpy(o, a, (size_t)an);
    memcpy(o + an, b, (size_t)bn);
    memcpy(o + an + bn, c, (size_t)cn);
    return r;
}

NV_RT nv_val nvf_s_len(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    (void)T;
    return nv_vi((int32_t)nv_utf8_count(NV_S(a[0])));
}

NV_RT nv_val nvf_s_concat(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_str *x = NV_S(a[0]), *y = NV_S(a[1]);
    (void)T;
    return nv_vp(nv_cat3(E, x->s, x->n, y->s, y->n, "", 0));
}

NV_RT nv_val nvf_s_substr(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_str *s = NV_S(a[0]);
    int64_t st = a[1].i, en = a[2].i, b0, b1;
    (void)T;
    nv_slice(nv_utf8_count(s), &st, &en);
    b0 = nv_cp_off(s, st);
    b1 = nv_cp_off(s, en);
    return nv_vp(nv_str_new(E, s->s + b0, b1 - b0));
}

NV_RT nv_val nvf_s_substrto(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_str *s = NV_S(a[0]), *r = NV_S(a[3]);
    int64_t st = a[1].i, en = a[2].i, b0, b1;
    (void)T;
    nv_slice(nv_utf8_count(s), &st, &en);
    b0 = nv_cp_off(s, st);
    b1 = nv_cp_off(s, en);
    return nv_vp(nv_cat3(E, s->s, b0, r->s, r->n, s->s + b1, s->n - b1));
}

NV_RT nv_val nvf_s_contains(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_str *h = NV_S(a[0]), *n = NV_S(a[1]);
    (void)E;
    (void)T;
    return nv_vi(nv_memfind(h->s, h->n, n->s, n->n) != NULL);
}

NV_RT nv_val nvf_s_count(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_str *h = NV_S(a[0]), *n = NV_S(a[1]);
    const char *p = h->s, *end = h->s + h->n, *q;
    int32_t c = 0;
    (void)E;
    (void)T;
    if (n->n == 0)
        return nv_vi(0);
    while ((q = nv_memfind(p, end - p, n->s, n->n))) {
        c++;
        p = q + n->n;
    }
    return nv_vi(c);
}

NV_RT nv_val nvf_s_index(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_str *h = NV_S(a[0]), *n = NV_S(a[1]);
    const char *q = nv_memfind(h->s, h->n, n->s, n->n);
    (void)E;
    (void)T;
    return nv_vi(q ? (int32_t)nv_cp_index(h, q - h->s) : -1);
}

NV_RT nv_val nvf_s_rindex(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_str *h = NV_S(a[0]), *n = NV_S(a[1]);
    const char *q = nv_memrfind(h->s, h->n, n->s, n->n);
    (void)E;
    (void)T;
    return nv_vi(q ? (int32_t)nv_cp_index(h, q - h->s) : -1);
}

NV_RT nv_val nvf_s_startswith(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_str *h = NV_S(a[0]), *n = NV_S(a[1]);
    (void)E;
    (void)T;
    return nv_vi(n->n <= h->n && memcmp(h->s, n->s, (size_t)n->n) == 0);
}

NV_RT nv_val nvf_s_endswith(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_str *h = NV_S(a[0]), *n = NV_S(a[1]);
    (void)E;
    (void)T;
    return nv_vi(n->n <= h->n && memcmp(h->s + h->n - n->n, n->s, (size_t)n->n) == 0);
}

NV_RT nv_val nvf_s_join(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *x = (const nv_arr *)a[0].p;
    const nv_str *sep = NV_S(a[1]);
    int64_t i, n = 0;
    char *o;
    nv_str *r;
    (void)T;
    for (i = 0; i < x->n; i++)
        n += NV_S(x->v[i])->n + (i ? sep->n : 0);
    r = nv_str_alloc(E, n, &o);
    for (i = 0; i < x->n; i++) {
        const nv_str *e = NV_S(x->v[i]);
        if (i) {
            memcpy(o, sep->s, (size_t)sep->n);
            o += sep->n;
        }
        memcpy(o, e->s, (size_t)e->n);
        o += e->n;
    }
    return nv_vp(r);
}

NV_RT nv_val nvf_s_split(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_str *s = NV_S(a[0]), *sep = NV_S(a[1]);
    const char *p = s->s, *end = s->s + s->n, *q;
    int64_t n = 1, k = 0;
    nv_arr *r;
    (void)T;
    if (sep->n == 0)
        return nv_vp(nv_arr_new(E, 0));
    while ((q = nv_memfind(p, end - p, sep->s, sep->n))) {
        n++;
        p = q + sep->n;
    }
    r = nv_arr_new(E, n);
    p = s->s;
    while ((q = nv_memfind(p, end - p, sep->s, sep->n))) {
        r->v[k++] = nv_vp(nv_str_new(E, p, q - p));
        p = q + sep->n;
    }
    r->v[k] = nv_vp(nv_str_new(E, p, end - p));
    return nv_vp(r);
}

/* pad to |width|: right-aligned when width > 0, left-aligned when < 0 */
NV_RT nv_str *nv_pad(nv_eng *E, const char *s, int64_t width)
{
    int64_t n = (int64_t)strlen(s), w = width < 0 ? -width : width;
    char *o;
    nv_str *r;
    if (w <= n)
        return nv_str_new(E, s, n);
    r = nv_str_alloc(E, w, &o);
    if (width > 0) {
        memset(o, ' ', (size_t)(w - n));
        memcpy(o + w - n, s, (size_t)n);
    } else {
        memcpy(o, s, (size_t)n);
        memset(o + n, ' ', (size_t)(w - n));
    }
    return r;
}

NV_RT nv_val nv_fmt_int(nv_eng *E, const nv_type *const *T, const nv_val *a, int hex, int code)
{
    char buf[128];
    int64_t x = a[0].l;
    if (hex && x < 0)
        nv_raise(E, hex ? 39111 : code, "negative number");
    if (nv_nargs(T) == 3) {
        int32_t w = a[1].i;
        int zero = a[2].i;
        if (w < 0 && zero)
            nv_raise(E, code, "negative width cannot be used with zero-padding");
        if (zero)
            snprintf(buf, sizeof buf, hex ? "%0*llx" : "%0*lld", (int)(w > 100 ? 100 : w), (long long)x);
        else
            snprintf(buf, sizeof buf, hex ? "%llx" : "%lld", (long long)x);
        if (!zero)
            return nv_vp(nv_pad(E, buf, w > 100 ? 100 : w < -100 ? -100 : w));
        return nv_vp(nv_cstr(E, buf));
    }
    snprintf(buf, sizeof buf, hex ? "%llx" : "%lld", (long long)x);
    return nv_vp(nv_cstr(E, buf));
}

NV_RT nv_val nvf_s_hex(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_fmt_int(E, T, a, 1, 39110); }
NV_RT nv_val nvf_s_int(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_fmt_int(E, T, a, 0, 39240); }

/* %.Pf or %.Pe; without a precision, six digits with trailing zeros dropped */
NV_RT void nv_fmt_number(char *buf, size_t n, double x, int prec, int expo)
{
    char *e, *dot;
    if (x == 0)
        x = 0; /* no negative zero */
    snprintf(buf, n, expo ? "%.*e" : "%.*f", prec < 0 ? 6 : prec > 60 ? 60 : prec, x);
    if (prec >= 0)
        return;
    dot = strchr(buf, '.');
    if (!dot)
        return;
    e = strchr(buf, 'e');
    {
        char *last = e ? e - 1 : buf + strlen(buf) - 1;
        while (last > dot + 1 && *last == '0')
            last--;
        if (e)
            memmove(last + 1, e, strlen(e) + 1);
        else
            last[1] = 0;
    }
}

NV_RT nv_val nvf_s_number(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    char buf[256];
    int nargs = nv_nargs(T);
    if (T[1]->kind == NV_LONG)
        return nv_fmt_int(E, T, a, 0, 39120);
    {
        double x = a[0].d, lo = 0.0001, hi = 100000.0;
        const nv_uni *wu = (const nv_uni *)a[1].p, *pu = (const nv_uni *)a[2].p;
        int hasw = T[2]->parts[wu->tag]->kind != NV_NULL, hasp = T[3]->parts[pu->tag]->kind != NV_NULL;
        int64_t w = hasw ? wu->v.i : 0;
        int prec = hasp ? pu->v.i : -1;
        if (hasp && prec < 0)
            nv_raise(E, 39121, "negative precision");
        if (nargs == 5) {
            lo = a[3].d;
            hi = a[4].d;
        }
        if (x != x)
            strcpy(buf, "nan");
        else if (x == HUGE_VAL)
            strcpy(buf, "inf");
        else if (x == -HUGE_VAL)
            strcpy(buf, "-inf");
        else
            nv_fmt_number(buf, sizeof buf, x, prec, x != 0 && (fabs(x) < lo || fabs(x) > hi));
        if (w > 200)
            w = 200;
        if (w < -200)
            w = -200;
        return nv_vp(nv_pad(E, buf, w));
    }
}

NV_RT nv_val nvf_s_repeat(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_str *s = NV_S(a[0]);
    int64_t n = a[1].i, i;
    char *o;
    nv_str *r;
    (void)T;
    if (n <= 0 || s->n == 0)
        return nv_vp(nv_str_new(E, "", 0));
    if (s->n * n > (int64_t)1 << 30)
        nv_raise(E, -1000, "out of memory");
    r = nv_str_alloc(E, s->n * n, &o);
    for (i = 0; i < n; i++)
        memcpy(o + i * s->n, s->s, (size_t)s->n);
    return nv_vp(r);
}

/* case mapping of ASCII and Latin-1 letters (nv_casemap) */
NV_RT nv_val nv_recase(nv_eng *E, const nv_str *s, int upper)
{
    char *o;
    nv_str *r = nv_str_alloc(E, s->n, &o);
    nv_casemap(o, s->s, (size_t)s->n, upper);
    return nv_vp(r);
}

NV_RT nv_val nvf_s_lower(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    return nv_recase(E, NV_S(a[0]), 0);
}

NV_RT nv_val nvf_s_upper(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    return nv_recase(E, NV_S(a[0]), 1);
}

/* whether the code point at byte i (of length len) is one of chars' */
NV_RT int nv_cp_len(const char *s, int64_t i, int64_t n)
{
    int64_t k = i + 1;
    while (k < n && ((unsigned char)s[k] & 0xc0) == 0x80)
        k++;
    return (int)(k - i);
}

NV_RT int nv_in_chars(const nv_str *chars, const char *p, int len)
{
    return nv_memfind(chars->s, chars->n, p, len) != NULL;
}

NV_RT nv_val nv_strip(nv_eng *E, const nv_val *a, int left, int right)
{
    const nv_str *s = NV_S(a[0]), *chars = NV_S(a[1]);
    int64_t b = 0, e = s->n;
    if (left)
        while (b < e) {
            int l = nv_cp_len(s->s, b, e);
            if (!nv_in_chars(chars, s->s + b, l))
                break;
            b += l;
        }
    if (right)
        while (e > b) {
            int64_t k = e - 1;
            while (k > b && ((unsigned char)s->s[k] & 0xc0) == 0x80)
                k--;
            if (!nv_in_chars(chars, s->s + k, (int)(e - k)))
                break;
            e = k;
        }
    return nv_vp(nv_str_new(E, s->s + b, e - b));
}

NV_RT nv_val nvf_s_lstrip(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_strip(E, a, 1, 0); }
NV_RT nv_val nvf_s_rstrip(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_strip(E, a, 0, 1); }
NV_RT nv_val nvf_s_strip(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_strip(E, a, 1, 1); }

/* which: 0 all, 1 first, 2 last */
NV_RT nv_val nv_replace(nv_eng *E, const nv_val *a, int which)
{
    const nv_str *s = NV_S(a[0]), *orig = NV_S(a[1]), *rep = NV_S(a[2]);
    const char *p = s->s, *end = s->s + s->n, *q;
    int64_t count = 0, k = 0;
    char *o;
    nv_str *r;
    if (orig->n == 0)
        return a[0];
    if (which) {
        q = which == 1 ? nv_memfind(s->s, s->n, orig->s, orig->n) : nv_memrfind(s->s, s->n, orig->s, orig->n);
        if (!q)
            return a[0];
        return nv_vp(nv_cat3(E, s->s, q - s->s, rep->s, rep->n, q + orig->n, end - q - orig->n));
    }
    while ((q = nv_memfind(p, end - p, orig->s, orig->n))) {
        count++;
        p = q + orig->n;
    }
    r = nv_str_alloc(E, s->n + count * (rep->n - orig->n), &o);
    p = s->s;
    while ((q = nv_memfind(p, end - p, orig->s, orig->n))) {
        memcpy(o + k, p, (size_t)(q - p));
        k += q - p;
        memcpy(o + k, rep->s, (size_t)rep->n);
        k += rep->n;
        p = q + orig->n;
    }
    memcpy(o + k, p, (size_t)(end - p));
    return nv_vp(r);
}

NV_RT nv_val nvf_s_replaceall(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_replace(E, a, 0); }
NV_RT nv_val nvf_s_replacefirst(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_replace(E, a, 1); }
NV_RT nv_val nvf_s_replacelast(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_replace(E, a, 2); }

NV_RT nv_val nvf_s_translate(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_str *s = NV_S(a[0]), *from = NV_S(a[1]), *to = NV_S(a[2]);
    char *o;
    nv_str *r = nv_str_alloc(E, s->n * 4, &o);
    int64_t i = 0, k = 0;
    (void)T;
    while (i < s->n) {
        int l = nv_cp_len(s->s, i, s->n);
        int64_t j = 0, idx = -1, ci = 0;
        while (j < from->n) {
            int fl = nv_cp_len(from->s, j, from->n);
            if (fl == l && memcmp(from->s + j, s->s + i, (size_t)l) == 0) {
                idx = ci;
                break;
            }
            j += fl;
            ci++;
        }
        if (idx < 0) {
            memcpy(o + k, s->s + i, (size_t)l);
            k += l;
        } else if (idx < nv_utf8_count(to)) {
            int64_t b = nv_cp_off(to, idx);
            int tl = nv_cp_len(to->s, b, to->n);
            memcpy(o + k, to->s + b, (size_t)tl);
            k += tl;
        }
        i += l;
    }
    o[k] = 0;
    r->n = k;
    return nv_vp(r);
}

/*@ section math needs core kernel_round */
/* ---- m.*: the scalar math functions the backend does not inline ---- */
NV_RT double nv_dval(const nv_type *t, nv_val v)
{
    switch (t->kind) {
    case NV_INT: return (double)v.i;
    case NV_LONG: return (double)v.l;
    case NV_FLOAT: return (double)v.f;
    default: return v.d;
    }
}

NV_RT nv_val nvf_m_abs(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    switch (T[1]->kind) {
    case NV_INT:
        if (a[0].i == INT32_MIN)
            nv_raise(E, 27020, "int overflow");
        return nv_vi(a[0].i < 0 ? -a[0].i : a[0].i);
    case NV_LONG:
        if (a[0].l == INT64_MIN)
            nv_raise(E, 27021, "long overflow");
        return nv_vl(a[0].l < 0 ? -a[0].l : a[0].l);
    case NV_FLOAT:
        return nv_vf(fabsf(a[0].f));
    default:
        return nv_vd(fabs(a[0].d));
    }
}

NV_RT nv_val nvf_m_copysign(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    switch (T[1]->kind) {
    case NV_INT: {
        int64_t m = a[0].i < 0 ? -(int64_t)a[0].i : a[0].i;
        return nv_vi((int32_t)(a[1].i < 0 ? -m : m));
    }
    case NV_LONG: {
        int64_t m = a[0].l < 0 ? -a[0].l : a[0].l;
        return nv_vl(a[1].l < 0 ? -m : m);
    }
    case NV_FLOAT:
        return nv_vf(copysignf(a[0].f, a[1].f));
    default:
        return nv_vd(copysign(a[0].d, a[1].d));
    }
}

NV_RT nv_val nvf_m_sqrt(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    (void)T;
    return nv_vd(sqrt(a[0].d));
}

NV_RT nv_val nvf_m_exp(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    (void)T;
    return nv_vd(exp(a[0].d));
}

NV_RT nv_val nvf_m_expm1(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    (void)T;
    return nv_vd(expm1(a[0].d));
}

NV_RT nv_val nvf_m_ln(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    (void)T;
    return nv_vd(log(a[0].d));
}

NV_RT nv_val nvf_m_log10(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    (void)T;
    return nv_vd(log10(a[0].d));
}

NV_RT nv_val nvf_m_ln1p(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    (void)T;
    return nv_vd(log1p(a[0].d));
}

NV_RT nv_val nvf_m_sin(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    (void)T;
    return nv_vd(sin(a[0].d));
}

NV_RT nv_val nvf_m_cos(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    (void)T;
    return nv_vd(cos(a[0].d));
}

NV_RT nv_val nvf_m_tan(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    (void)T;
    return nv_vd(tan(a[0].d));
}

NV_RT nv_val nvf_m_asin(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    (void)T;
    return nv_vd(asin(a[0].d));
}

NV_RT nv_val nvf_m_acos(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    (void)T;
    return nv_vd(acos(a[0].d));
}

NV_RT nv_val nvf_m_atan(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    (void)T;
    return nv_vd(atan(a[0].d));
}

NV_RT nv_val nvf_m_sinh(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    (void)T;
    return nv_vd(sinh(a[0].d));
}

NV_RT nv_val nvf_m_cosh(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    (void)T;
    return nv_vd(cosh(a[0].d));
}

NV_RT nv_val nvf_m_tanh(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    (void)T;
    return nv_vd(tanh(a[0].d));
}

NV_RT nv_val nvf_m_floor(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    (void)T;
    return nv_vd(floor(a[0].d));
}

NV_RT nv_val nvf_m_ceil(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    (void)T;
    return nv_vd(ceil(a[0].d));
}

NV_RT nv_val nvf_m_rint(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    (void)T;
    return nv_vd(rint(a[0].d));
}


NV_RT nv_val nvf_m_atan2(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    (void)T;
    return nv_vd(atan2(a[0].d, a[1].d));
}

NV_RT nv_val nvf_m_hypot(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    (void)T;
    return nv_vd(hypot(a[0].d, a[1].d));
}

NV_RT nv_val nvf_m_log(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    if (a[1].i <= 0)
        nv_raise(E, 27170, "base must be positive");
    return nv_vd(log(a[0].d) / log((double)a[1].i));
}

/* floor(x + 0.5), the specification's definition (nv_round_half_up) */
NV_RT nv_val nvf_m_round(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    if (T[0]->kind == NV_INT) {
        double x = (double)a[0].f;
        double r = nv_round_half_up(x);
        if (x != x)
            return nv_vi(0);
        if (r < -2147483648.0 || r > 2147483647.0)
            nv_raise(E, 27190, "int overflow");
        return nv_vi((int32_t)r);
    }
    {
        double x = a[0].d, r = nv_round_half_up(x);
        if (x != x)
            return nv_vl(0);
        if (r < -9223372036854775808.0 || r >= 9223372036854775808.0)
            nv_raise(E, 27191, "long overflow");
        return nv_vl((int64_t)r);
    }
}

NV_RT nv_val nvf_m_signum(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    (void)T;
    return nv_vi(a[0].d > 0 ? 1 : a[0].d < 0 ? -1 : 0);
}

/*@ section impute needs core */
NV_RT int nv_union_null(const nv_type *u, nv_val v)
{
    return u->parts[((const nv_uni *)v.p)->tag]->kind == NV_NULL;
}

/* the value of a union(A, null) that is not null, as type want */
NV_RT nv_val nv_unnull(nv_eng *E, const nv_type *u, nv_val v, const nv_type *want)
{
    const nv_uni *x = (const nv_uni *)v.p;
    return nv_conv(E, u->parts[x->tag], want, x->v);
}

NV_RT nv_val nvf_impute_errorOnNull(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    if (T[1]->kind != NV_UNION)
        return a[0];
    if (nv_union_null(T[1], a[0]))
        nv_raise(E, 21000, "encountered null");
    return nv_unnull(E, T[1], a[0], T[0]);
}

NV_RT nv_val nvf_impute_defaultOnNull(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    if (T[1]->kind != NV_UNION)
        return a[0];
    if (nv_union_null(T[1], a[0]))
        return a[1];
    return nv_unnull(E, T[1], a[0], T[0]);
}

NV_RT nv_val nvf_impute_isnan(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double x = nv_fd(T[1], a[0]);
    (void)E;
    return nv_vi(x != x);
}

NV_RT nv_val nvf_impute_isinf(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double x = nv_fd(T[1], a[0]);
    (void)E;
    return nv_vi(x == HUGE_VAL || x == -HUGE_VAL);
}

NV_RT nv_val nvf_impute_isnum(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double x = nv_fd(T[1], a[0]);
    (void)E;
    return nv_vi(x == x && x != HUGE_VAL && x != -HUGE_VAL);
}

NV_RT nv_val nvf_impute_errorOnNonNum(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double x = nv_fd(T[1], a[0]);
    if (x != x)
        nv_raise(E, 21050, "encountered nan");
    if (x == HUGE_VAL)
        nv_raise(E, 21051, "encountered +inf");
    if (x == -HUGE_VAL)
        nv_raise(E, 21052, "encountered -inf");
    return a[0];
}

NV_RT nv_val nvf_impute_defaultOnNonNum(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double x = nv_fd(T[1], a[0]);
    (void)E;
    return x == x && x != HUGE_VAL && x != -HUGE_VAL ? a[0] : a[1];
}

/*@ section cast needs core string */
NV_RT nv_val nvf_cast_signed(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    int bits = a[1].i;
    uint64_t x = (uint64_t)a[0].l, mask;
    (void)T;
    if (bits < 2 || bits > 64)
        nv_raise(E, 17000, "unrepresentable unsigned number");
    if (bits == 64)
        return a[0];
    mask = ((uint64_t)1 << bits) - 1;
    x &= mask;
    if (x >> (bits - 1))
        return nv_vl((int64_t)(x | ~mask));
    return nv_vl((int64_t)x);
}

NV_RT nv_val nvf_cast_unsigned(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    int bits = a[1].i;
    (void)T;
    if (bits < 1 || bits > 63)
        nv_raise(E, 17010, "unrepresentable unsigned number");
    return nv_vl((int64_t)((uint64_t)a[0].l & (((uint64_t)1 << bits) - 1)));
}

NV_RT nv_val nvf_cast_int(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    switch (T[1]->kind) {
    case NV_INT:
        return a[0];
    case NV_LONG:
        return nv_vi(nv_i32(E, a[0].l, 17020));
    default: {
        double x = nv_fd(T[1], a[0]);
        if (!(x >= -2147483648.5 && x < 2147483647.5))
            nv_raise(E, 17020, "int overflow");
        return nv_vi((int32_t)floor(x + 0.5));
    }
    }
}

NV_RT nv_val nvf_cast_long(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    switch (T[1]->kind) {
    case NV_INT:
        return nv_vl(a[0].i);
    case NV_LONG:
        return a[0];
    default: {
        double x = floor(nv_fd(T[1], a[0]) + 0.5);
        if (!(x >= -9223372036854775808.0 && x < 9223372036854775808.0))
            nv_raise(E, 17030, "long overflow");
        return nv_vl((int64_t)x);
    }
    }
}

NV_RT nv_val nvf_cast_float(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    switch (T[1]->kind) {
    case NV_INT: return nv_vf((float)a[0].i);
    case NV_LONG: return nv_vf((float)a[0].l);
    case NV_FLOAT: return a[0];
    default: return nv_vf((float)a[0].d);
    }
}

NV_RT nv_val nvf_cast_double(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    switch (T[1]->kind) {
    case NV_INT: return nv_vd((double)a[0].i);
    case NV_LONG: return nv_vd((double)a[0].l);
    case NV_FLOAT: return nv_vd((double)a[0].f);
    default: return a[0];
    }
}

/* one-hot: array of n items of type T[0]->items, 1 at position hot (or none) */
NV_RT nv_val nv_onehot(nv_eng *E, const nv_type *item, int64_t n, int64_t hot)
{
    nv_arr *r = nv_arr_new(E, n);
    int64_t i;
    for (i = 0; i < n; i++) {
        int on = i == hot;
        switch (item->kind) {
        case NV_LONG: r->v[i] = nv_vl(on); break;
        case NV_FLOAT: r->v[i] = nv_vf((float)on); break;
        case NV_DOUBLE: r->v[i] = nv_vd((double)on); break;
        default: r->v[i] = nv_vi(on); break;
        }
    }
    return nv_vp(r);
}

NV_RT nv_val nv_fanout(nv_eng *E, const nv_type *const *T, const nv_val *a, int code)
{
    const nv_type *item = T[0]->items;
    if (T[1]->kind == NV_ENUM)
        return nv_onehot(E, item, T[1]->n, a[0].i);
    if (T[1]->kind == NV_STRING) {
        const nv_arr *d = (const nv_arr *)a[1].p;
        int64_t i, j, hot = -1;
        int oor = a[2].i;
        for (i = 0; i < d->n; i++)
            for (j = i + 1; j < d->n; j++)
                if (nv_str_eq(NV_S(d->v[i]), NV_S(d->v[j])))
                    nv_raise(E, code, "non-distinct values in dictionary");
        for (i = 0; i < d->n; i++)
            if (nv_str_eq(NV_S(d->v[i]), NV_S(a[0])))
                hot = i;
        return nv_onehot(E, item, d->n + (oor ? 1 : 0), hot < 0 && oor ? d->n : hot);
    }
    {
        int64_t x = a[0].i, lo = a[1].i, hi = a[2].i, n = hi - lo;
        int oor = a[3].i;
        int64_t hot = x >= lo && x < hi ? x - lo : -1;
        if (n < 0)
            n = 0;
        return nv_onehot(E, item, n + (oor ? 1 : 0), hot < 0 && oor ? n : hot);
    }
}

NV_RT nv_val nvf_cast_fanoutBoolean(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_fanout(E, T, a, 17060); }
NV_RT nv_val nvf_cast_fanoutInt(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_fanout(E, T, a, 17070); }
NV_RT nv_val nvf_cast_fanoutLong(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_fanout(E, T, a, 17080); }
NV_RT nv_val nvf_cast_fanoutFloat(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_fanout(E, T, a, 17090); }
NV_RT nv_val nvf_cast_fanoutDouble(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_fanout(E, T, a, 17100); }

/*@ section parse needs core string */
/* the text between leading and trailing white space */
NV_RT void nv_trim(const nv_str *s, const char **b, const char **e)
{
    *b = s->s;
    *e = s->s + s->n;
    while (*b < *e && (**b == ' ' || **b == '\t' || **b == '\n' || **b == '\r' || **b == '\f' || **b == '\v'))
        (*b)++;
    while (*e > *b && ((*e)[-1] == ' ' || (*e)[-1] == '\t' || (*e)[-1] == '\n' || (*e)[-1] == '\r' ||
                       (*e)[-1] == '\f' || (*e)[-1] == '\v'))
        (*e)--;
}

NV_RT int nv_parse_int(const nv_str *s, int base, int64_t lo, int64_t hi, int64_t *out)
{
    const char *p, *e;
    int neg = 0;
    uint64_t v = 0, lim;
    nv_trim(s, &p, &e);
    if (p < e && (*p == '-' || *p == '+'))
        neg = *p++ == '-';
    if (p == e)
        return 0;
    lim = neg ? (uint64_t)(-(lo + 1)) + 1 : (uint64_t)hi;
    for (; p < e; p++) {
        int c = (unsigned char)*p, d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'z')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'Z')
            d = c - 'A' + 10;
        else
            return 0;
        if (d >= base)
            return 0;
        if (v > (lim - (uint64_t)d) / (uint64_t)base)
            return 0;
        v = v * (uint64_t)base + (uint64_t)d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 1;
}

NV_RT nv_val nvf_parse_int(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    int64_t v;
    (void)T;
    if (a[1].i < 2 || a[1].i > 36)
        nv_raise(E, 33001, "base out of range");
    if (!nv_parse_int(NV_S(a[0]), a[1].i, INT32_MIN, INT32_MAX, &v))
        nv_raise(E, 33000, "not an integer");
    return nv_vi((int32_t)v);
}

NV_RT nv_val nvf_parse_long(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    int64_t v;
    (void)T;
    if (a[1].i < 2 || a[1].i > 36)
        nv_raise(E, 33011, "base out of range");
    if (!nv_parse_int(NV_S(a[0]), a[1].i, INT64_MIN, INT64_MAX, &v))
        nv_raise(E, 33010, "not a long integer");
    return nv_vl(v);
}

/* [-+]?(\.?[0-9]+|[0-9]+\.[0-9]*)([eE][-+]?[0-9]+)?, inf, +inf, -inf, nan */
NV_RT int nv_parse_real(const nv_str *s, double *out)
{
    const char *p, *e, *q;
    char buf[512];
    size_t n;
    int digits = 0;
    nv_trim(s, &p, &e);
    n = (size_t)(e - p);
    if (n == 0 || n >= sizeof buf)
        return 0;
    memcpy(buf, p, n);
    buf[n] = 0;
    {
        char low[8];
        size_t i;
        if (n <= 4) {
            for (i = 0; i <= n; i++)
                low[i] = (char)(buf[i] >= 'A' && buf[i] <= 'Z' ? buf[i] + 32 : buf[i]);
            if (!strcmp(low, "nan")) {
                *out = NAN;
                return 1;
            }
            if (!strcmp(low, "inf") || !strcmp(low, "+inf")) {
                *out = HUGE_VAL;
                return 1;
            }
            if (!strcmp(low, "-inf")) {
                *out = -HUGE_VAL;
                return 1;
            }
        }
    }
    q = buf;
    if (*q == '-' || *q == '+')
        q++;
    while (*q >= '0' && *q <= '9') {
        q++;
        digits++;
    }
    if (*q == '.') {
        q++;
        while (*q >= '0' && *q <= '9') {
            q++;
            digits++;
        }
    }
    if (!digits)
        return 0;
    if (*q == 'e' || *q == 'E') {
        q++;
        if (*q == '-' || *q == '+')
            q++;
        if (!(*q >= '0' && *q <= '9'))
            return 0;
        while (*q >= '0' && *q <= '9')
            q++;
    }
    if (*q)
        return 0;
    *out = strtod(buf, NULL);
    return 1;
}

NV_RT nv_val nvf_parse_float(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double d;
    (void)T;
    if (!nv_parse_real(NV_S(a[0]), &d))
        nv_raise(E, 33020, "not a single-precision float");
    return nv_vf((float)d);
}

NV_RT nv_val nvf_parse_double(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double d;
    (void)T;
    if (!nv_parse_real(NV_S(a[0]), &d))
        nv_raise(E, 33030, "not a double-precision float");
    return nv_vd(d);
}

/*@ section enum needs core */
NV_RT nv_val nvf_enum_toString(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    return nv_vp(nv_cstr(E, T[1]->names[a[0].i]));
}

NV_RT nv_val nvf_enum_toInt(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    (void)T;
    return a[0];
}

NV_RT nv_val nvf_enum_numSymbols(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    (void)a;
    return nv_vi(T[1]->n);
}

/*@ section bytes needs core string json */
NV_RT nv_val nvf_fixed_toBytes(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    (void)T;
    return a[0];
}

NV_RT nv_val nvf_fixed_fromBytes(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_str *o = NV_S(a[0]), *r = NV_S(a[1]);
    char *d;
    nv_str *x = nv_str_alloc(E, o->n, &d);
    (void)T;
    memcpy(d, o->s, (size_t)o->n);
    memcpy(d, r->s, (size_t)(r->n < o->n ? r->n : o->n));
    return nv_vp(x);
}

NV_RT nv_val nvf_bytes_len(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    (void)T;
    return nv_vi((int32_t)NV_S(a[0])->n);
}

NV_RT nv_val nvf_bytes_subseq(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_str *s = NV_S(a[0]);
    int64_t b = a[1].i, e = a[2].i;
    (void)T;
    nv_slice(s->n, &b, &e);
    return nv_vp(nv_str_new(E, s->s + b, e - b));
}

NV_RT nv_val nvf_bytes_subseqto(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_str *s = NV_S(a[0]), *r = NV_S(a[3]);
    int64_t b = a[1].i, e = a[2].i;
    (void)T;
    nv_slice(s->n, &b, &e);
    return nv_vp(nv_cat3(E, s->s, b, r->s, r->n, s->s + e, s->n - e));
}

NV_RT int nv_ascii_valid(const nv_str *s)
{
    int64_t i;
    for (i = 0; i < s->n; i++)
        if ((unsigned char)s->s[i] >= 0x80)
            return 0;
    return 1;
}

/* utf-16 (bom: -1 detect, 0 big, 1 little) to UTF-8; NULL when invalid */
NV_RT nv_str *nv_from_utf16(nv_eng *E, const nv_str *s, int order)
{
    int64_t i = 0, k = 0;
    char *o;
    nv_str *r;
    if (s->n % 2)
        return NULL;
    if (order < 0) {
        order = 0;
        if (s->n >= 2 && (unsigned char)s->s[0] == 0xff && (unsigned char)s->s[1] == 0xfe) {
            order = 1;
            i = 2;
        } else if (s->n >= 2 && (unsigned char)s->s[0] == 0xfe && (unsigned char)s->s[1] == 0xff)
            i = 2;
    }
    r = nv_str_alloc(E, s->n * 2, &o);
    while (i < s->n) {
        unsigned u = order ? (unsigned char)s->s[i] | (unsigned char)s->s[i + 1] << 8
                           : (unsigned char)s->s[i] << 8 | (unsigned char)s->s[i + 1];
        i += 2;
        if (u >= 0xd800 && u < 0xdc00) {
            unsigned lo;
            if (i + 2 > s->n)
                return NULL;
            lo = order ? (unsigned char)s->s[i] | (unsigned char)s->s[i + 1] << 8
                       : (unsigned char)s->s[i] << 8 | (unsigned char)s->s[i + 1];
            if (lo < 0xdc00 || lo >= 0xe000)
                return NULL;
            i += 2;
            u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
        } else if (u >= 0xdc00 && u < 0xe000)
            return NULL;
        k += nv_utf8_put(o + k, u);
    }
    o[k] = 0;
    r->n = k;
    return r;
}

/* UTF-8 to utf-16 (order 0 big, 1 little; bom: write a byte-order mark) */
NV_RT nv_str *nv_to_utf16(nv_eng *E, const nv_str *s, int order, int bom)
{
    int64_t i = 0, k = 0;
    char *o;
    nv_str *r = nv_str_alloc(E, s->n * 4 + 2, &o);
    unsigned units[2];
    if (bom) {
        o[k++] = (char)(order ? 0xff : 0xfe);
        o[k++] = (char)(order ? 0xfe : 0xff);
    }
    while (i < s->n) {
        unsigned c = (unsigned char)s->s[i], cp;
        int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4, n = 1, j;
        cp = len == 1 ? c : c & (0x3fu >> (len - 1));
        for (j = 1; j < len && i + j < s->n; j++)
            cp = cp << 6 | ((unsigned char)s->s[i + j] & 0x3f);
        i += len;
        if (cp >= 0x10000) {
            units[0] = 0xd800 + ((cp - 0x10000) >> 10);
            units[1] = 0xdc00 + ((cp - 0x10000) & 0x3ff);
            n = 2;
        } else
            units[0] = cp;
        for (j = 0; j < n; j++) {
            o[k++] = (char)(order ? units[j] & 0xff : units[j] >> 8);
            o[k++] = (char)(order ? units[j] >> 8 : units[j] & 0xff);
        }
    }
    o[k] = 0;
    r->n = k;
    return r;
}

/* latin-1 bytes to UTF-8 */
NV_RT nv_str *nv_latin1_to_utf8(nv_eng *E, const nv_str *s)
{
    char *o;
    nv_str *r = nv_str_alloc(E, s->n * 2, &o);
    int64_t i, k = 0;
    for (i = 0; i < s->n; i++)
        k += nv_utf8_put(o + k, (unsigned char)s->s[i]);
    o[k] = 0;
    r->n = k;
    return r;
}

/* the string as bytes of an encoding: 0 ascii, 1 latin-1, 2 utf-8 */
NV_RT nv_str *nv_encode8(nv_eng *E, const nv_str *s, int enc)
{
    if (enc == 2)
        return (nv_str *)(uintptr_t)s;
    if (enc == 0)
        return nv_ascii_valid(s) ? (nv_str *)(uintptr_t)s : NULL;
    return nv_latin1(E, s);
}

NV_RT int nv_bytes_check(nv_eng *E, const nv_type *const *T, const nv_val *a, int enc)
{
    const nv_str *s = NV_S(a[0]);
    if (T[1]->kind == NV_STRING) {
        /* a string: whether it can be encoded */
        if (enc == 0)
            return nv_ascii_valid(s);
        if (enc == 1)
            return nv_latin1(E, s) != NULL;
        return 1;
    }
    switch (enc) {
    case 0: return nv_ascii_valid(s);
    case 1: return 1;
    case 2: return nv_utf8_valid(s->s, s->n);
    case 3: return nv_from_utf16(E, s, -1) != NULL;
    case 4: return nv_from_utf16(E, s, 0) != NULL;
    default: return nv_from_utf16(E, s, 1) != NULL;
    }
}

NV_RT nv_val nvf_bytes_isAscii(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_vi(nv_bytes_check(E, T, a, 0)); }
NV_RT nv_val nvf_bytes_isLatin1(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_vi(nv_bytes_check(E, T, a, 1)); }
NV_RT nv_val nvf_bytes_isUtf8(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_vi(nv_bytes_check(E, T, a, 2)); }
NV_RT nv_val nvf_bytes_isUtf16(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_vi(nv_bytes_check(E, T, a, 3)); }
NV_RT nv_val nvf_bytes_isUtf16be(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_vi(nv_bytes_check(E, T, a, 4)); }
NV_RT nv_val nvf_bytes_isUtf16le(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_vi(nv_bytes_check(E, T, a, 5)); }

NV_RT nv_val nv_decode_bytes(nv_eng *E, const nv_val *a, int enc, int code)
{
    const nv_str *s = NV_S(a[0]);
    nv_str *r = NULL;
    switch (enc) {
    case 0: r = nv_ascii_valid(s) ? (nv_str *)(uintptr_t)s : NULL; break;
    case 1: r = nv_latin1_to_utf8(E, s); break;
    case 2: r = nv_utf8_valid(s->s, s->n) ? (nv_str *)(uintptr_t)s : NULL; break;
    case 3: r = nv_from_utf16(E, s, -1); break;
    case 4: r = nv_from_utf16(E, s, 0); break;
    default: r = nv_from_utf16(E, s, 1); break;
    }
    if (!r)
        nv_raise(E, code, "invalid bytes");
    return nv_vp(r);
}

NV_RT nv_val nvf_bytes_decodeAscii(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_decode_bytes(E, a, 0, 16090); }
NV_RT nv_val nvf_bytes_decodeLatin1(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_decode_bytes(E, a, 1, 16100); }
NV_RT nv_val nvf_bytes_decodeUtf8(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_decode_bytes(E, a, 2, 16110); }
NV_RT nv_val nvf_bytes_decodeUtf16(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_decode_bytes(E, a, 3, 16120); }
NV_RT nv_val nvf_bytes_decodeUtf16be(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_decode_bytes(E, a, 4, 16130); }
NV_RT nv_val nvf_bytes_decodeUtf16le(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_decode_bytes(E, a, 5, 16140); }

NV_RT nv_val nv_encode_str(nv_eng *E, const nv_val *a, int enc, int code)
{
    const nv_str *s = NV_S(a[0]);
    nv_str *r;
    if (enc <= 2)
        r = nv_encode8(E, s, enc);
    else
        r = nv_to_utf16(E, s, enc == 5, enc == 3);
    if (!r)
        nv_raise(E, code, "invalid string");
    return nv_vp(r);
}

NV_RT nv_val nvf_bytes_encodeAscii(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_encode_str(E, a, 0, 16150); }
NV_RT nv_val nvf_bytes_encodeLatin1(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_encode_str(E, a, 1, 16160); }
NV_RT nv_val nvf_bytes_encodeUtf8(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_encode_str(E, a, 2, 16170); }
NV_RT nv_val nvf_bytes_encodeUtf16(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_encode_str(E, a, 3, 16180); }
NV_RT nv_val nvf_bytes_encodeUtf16be(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_encode_str(E, a, 4, 16190); }
NV_RT nv_val nvf_bytes_encodeUtf16le(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_encode_str(E, a, 5, 16200); }

/*@ section regex needs core string */
/* ---- re.*: POSIX extended regular expressions (libc's <regex.h>) ----
 * Indexes are characters for strings and bytes for bytes; "^" matches only
 * at the start of the haystack; empty matches are not counted and move the
 * search on by one character.
 * The meaning of a pattern must not depend on the host: a string haystack is
 * matched in UTF-8 ("." is one character, "[é]" one code point) and a bytes
 * haystack byte by byte, whatever locale the host program set, by matching
 * under locales of our own (C.UTF-8, C) through uselocale.  Patterns are
 * compiled once per engine: a small cache, most recently used first. */
#include <locale.h>
#include <regex.h>

#define NV_RE_CACHE 16
typedef struct nv_re_entry {
    char *pat;                      /* NULL: a free slot */
    int bytes;
    regex_t rx;
} nv_re_entry;

typedef struct nv_re_cache {
    locale_t utf8, bytes;
    nv_re_entry e[NV_RE_CACHE];
} nv_re_cache;

typedef struct nv_re {
    regex_t *rx;
    const nv_str *h;
    int chars;                      /* report character indexes */
    locale_t loc;
} nv_re;

NV_RT void nv_re_cache_free(void *p)
{
    nv_re_cache *c = (nv_re_cache *)p;
    int i;
    if (!c)
        return;
    for (i = 0; i < NV_RE_CACHE; i++)
        if (c->e[i].pat) {
            regfree(&c->e[i].rx);
            free(c->e[i].pat);
        }
    if (c->utf8)
        freelocale(c->utf8);
    if (c->bytes)
        freelocale(c->bytes);
    free(c);
}

NV_RT void nv_re_open(nv_eng *E, nv_re *r, const nv_type *const *T, const nv_val *a, int code)
{
    const nv_str *p = NV_S(a[1]);
    nv_re_cache *c = (nv_re_cache *)E->re_cache;
    nv_re_entry hit;
    locale_t old;
    int i, bytes = T[1]->kind != NV_STRING, rc;
    r->h = NV_S(a[0]);
    r->chars = !bytes;
    if ((int64_t)strlen(p->s) != p->n)
        nv_raise(E, code, "bad pattern");
    if (!c) {
        c = (nv_re_cache *)calloc(1, sizeof *c);
        if (!c)
            nv_raise(E, code, "out of memory");
        E->re_cache = c;
        E->re_free = nv_re_cache_free;
        c->utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
        c->bytes = newlocale(LC_CTYPE_MASK, "C", (locale_t)0);
    }
    r->loc = bytes ? c->bytes : c->utf8;
    if (!r->loc)
        nv_raise(E, code, bytes ? "no C locale for byte patterns" : "no C.UTF-8 locale for UTF-8 patterns");
    for (i = 0; i < NV_RE_CACHE && c->e[i].pat; i++)
        if (c->e[i].bytes == bytes && strcmp(c->e[i].pat, p->s) == 0) {
            hit = c->e[i];
            memmove(&c->e[1], &c->e[0], sizeof c->e[0] * (size_t)i);
            c->e[0] = hit;
            r->rx = &c->e[0].rx;
            return;
        }
    if (c->e[NV_RE_CACHE - 1].pat) {
        regfree(&c->e[NV_RE_CACHE - 1].rx);
        free(c->e[NV_RE_CACHE - 1].pat);
    }
    memmove(&c->e[1], &c->e[0], sizeof c->e[0] * (NV_RE_CACHE - 1));
    c->e[0].pat = NULL;
    old = uselocale(r->loc);
    rc = regcomp(&c->e[0].rx, p->s, REG_EXTENDED);
    uselocale(old);
    if (rc != 0)
        nv_raise(E, code, "bad pattern");
    c->e[0].pat = (char *)malloc((size_t)p->n + 1);
    if (!c->e[0].pat) {
        regfree(&c->e[0].rx);
        nv_raise(E, code, "out of memory");
    }
    memcpy(c->e[0].pat, p->s, (size_t)p->n + 1);
    c->e[0].bytes = bytes;
    r->rx = &c->e[0].rx;
}

/* the next match at or after byte `from`; 0 when none */
NV_RT int nv_re_next(nv_re *r, int64_t from, regmatch_t *m, size_t nm)
{
    int flags = from > 0 ? REG_NOTBOL : 0, rc;
    locale_t old = uselocale(r->loc);
#ifdef REG_STARTEND
    m[0].rm_so = (regoff_t)from;
    m[0].rm_eo = (regoff_t)r->h->n;
    rc = regexec(r->rx, r->h->s, nm, m, flags | REG_STARTEND);
    uselocale(old);
    if (rc != 0)
        return 0;
#else
    size_t k;
    rc = regexec(r->rx, r->h->s + from, nm, m, flags);
    uselocale(old);
    if (rc != 0)
        return 0;
    for (k = 0; k < nm; k++)
        if (m[k].rm_so >= 0) {
            m[k].rm_so += (regoff_t)from;
            m[k].rm_eo += (regoff_t)from;
        }
#endif
    return 1;
}

NV_RT int64_t nv_re_pos(const nv_re *r, int64_t b) { return r->chars ? nv_cp_index(r->h, b) : b; }

/* every (non-empty) match: calls each(...) with the group offsets */
NV_RT int64_t nv_re_scan(nv_re *r, regmatch_t *all, int64_t max, int first_only)
{
    int64_t from = 0, n = 0;
    size_t ng = r->rx->re_nsub + 1;
    regmatch_t m[32];
    if (ng > 32)
        ng = 32;
    while (from <= r->h->n && n < max) {
        if (!nv_re_next(r, from, m, ng))
            break;
        if (m[0].rm_eo == m[0].rm_so) {
            from = m[0].rm_eo + (m[0].rm_eo < r->h->n ? nv_cp_len(r->h->s, m[0].rm_eo, r->h->n) : 1);
            continue;
        }
        memcpy(all + n * 32, m, sizeof(regmatch_t) * ng);
        n++;
        if (first_only)
            break;
        from = m[0].rm_eo;
    }
    return n;
}

NV_RT regmatch_t *nv_re_all(nv_eng *E, nv_re *r, int64_t *n, int first_only)
{
    int64_t cap = r->h->n + 2;
    regmatch_t *all = (regmatch_t *)nv_alloc(E, sizeof(regmatch_t) * 32 * (size_t)(first_only ? 1 : cap));
    *n = nv_re_scan(r, all, first_only ? 1 : cap, first_only);
    return all;
}

NV_RT nv_arr *nv_re_span(nv_eng *E, const nv_re *r, const regmatch_t *m)
{
    nv_arr *x = nv_arr_new(E, 2);
    x->v[0] = nv_vi(m->rm_so < 0 ? -1 : (int32_t)nv_re_pos(r, m->rm_so));
    x->v[1] = nv_vi(m->rm_so < 0 ? -1 : (int32_t)nv_re_pos(r, m->rm_eo));
    return x;
}

NV_RT nv_arr *nv_re_groups(nv_eng *E, const nv_re *r, const regmatch_t *m, int strings)
{
    size_t ng = r->rx->re_nsub + 1, k;
    nv_arr *x;
    if (ng > 32)
        ng = 32;
    x = nv_arr_new(E, (int64_t)ng);
    for (k = 0; k < ng; k++) {
        if (strings)
            x->v[k] = nv_vp(m[k].rm_so < 0 ? nv_str_new(E, "", 0)
                                           : nv_str_new(E, r->h->s + m[k].rm_so, m[k].rm_eo - m[k].rm_so));
        else
            x->v[k] = nv_vp(nv_re_span(E, r, &m[k]));
    }
    return x;
}

/* what: 0 index, 1 contains, 2 count, 3 rindex, 4 groups, 5 indexall, 6 findall, 7 findfirst,
   8 findgroupsfirst, 9 findgroupsall, 10 groupsall, 11 split */
NV_RT nv_val nv_re_do(nv_eng *E, const nv_type *const *T, const nv_val *a, int what, int code)
{
    nv_re r;
    int64_t n, i;
    regmatch_t *all;
    nv_val out;
    int first = what == 0 || what == 1 || what == 4 || what == 7 || what == 8;
    nv_re_open(E, &r, T, a, code);
    all = nv_re_all(E, &r, &n, first);
    switch (what) {
    case 0:
    case 3:
        out = nv_vp(n ? nv_re_span(E, &r, &all[(what == 3 ? n - 1 : 0) * 32]) : nv_arr_new(E, 0));
        break;
    case 1:
        out = nv_vi(n > 0);
        break;
    case 2:
        out = nv_vi((int32_t)n);
        break;
    case 4:
    case 8:
        out = nv_vp(n ? nv_re_groups(E, &r, all, what == 8) : nv_arr_new(E, 0));
        break;
    case 7: {
        int b, nb = 0;
        for (b = 0; b < T[0]->n; b++)
            if (T[0]->parts[b]->kind == NV_NULL)
                nb = b;
        out = n ? nv_vp(nv_box(E, 1 - nb, nv_vp(nv_str_new(E, r.h->s + all[0].rm_so, all[0].rm_eo - all[0].rm_so))))
                : nv_vp(nv_box(E, nb, nv_vi(0)));
        break;
    }
    case 11: {
        nv_arr *x = nv_arr_new(E, n + 1);
        int64_t at = 0;
        for (i = 0; i < n; i++) {
            x->v[i] = nv_vp(nv_str_new(E, r.h->s + at, all[i * 32].rm_so - at));
            at = all[i * 32].rm_eo;
        }
        x->v[n] = nv_vp(nv_str_new(E, r.h->s + at, r.h->n - at));
        out = nv_vp(x);
        break;
    }
    default: {
        nv_arr *x = nv_arr_new(E, n);
        for (i = 0; i < n; i++) {
            const regmatch_t *m = &all[i * 32];
            if (what == 5)
                x->v[i] = nv_vp(nv_re_span(E, &r, m));
            else if (what == 6)
                x->v[i] = nv_vp(nv_str_new(E, r.h->s + m->rm_so, m->rm_eo - m->rm_so));
            else
                x->v[i] = nv_vp(nv_re_groups(E, &r, m, what == 9));
        }
        out = nv_vp(x);
    }
    }
    return out;
}

NV_RT nv_val nvf_re_index(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_re_do(E, T, a, 0, 35000); }
NV_RT nv_val nvf_re_contains(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_re_do(E, T, a, 1, 35010); }
NV_RT nv_val nvf_re_count(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_re_do(E, T, a, 2, 35020); }
NV_RT nv_val nvf_re_rindex(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_re_do(E, T, a, 3, 35030); }
NV_RT nv_val nvf_re_groups(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_re_do(E, T, a, 4, 35040); }
NV_RT nv_val nvf_re_indexall(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_re_do(E, T, a, 5, 35050); }
NV_RT nv_val nvf_re_findall(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_re_do(E, T, a, 6, 35060); }
NV_RT nv_val nvf_re_findfirst(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_re_do(E, T, a, 7, 35070); }
NV_RT nv_val nvf_re_findgroupsfirst(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_re_do(E, T, a, 8, 35080); }
NV_RT nv_val nvf_re_findgroupsall(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_re_do(E, T, a, 9, 35090); }
NV_RT nv_val nvf_re_groupsall(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_re_do(E, T, a, 10, 35100); }
NV_RT nv_val nvf_re_split(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_re_do(E, T, a, 11, 35130); }

/* which: 0 all, 1 first, 2 last */
NV_RT nv_val nv_re_replace(nv_eng *E, const nv_type *const *T, const nv_val *a, int which, int code)
{
    nv_re r;
    int64_t n, i, at = 0, len = 0, k = 0, lo, hi;
    regmatch_t *all;
    const nv_str *rep = NV_S(a[2]);
    char *o;
    nv_str *out;
    nv_re_open(E, &r, T, a, code);
    all = nv_re_all(E, &r, &n, which == 1);
    if (!n)
        return a[0];
    lo = which == 2 ? n - 1 : 0;
    hi = which == 1 ? 1 : n;
    for (i = lo; i < hi; i++)
        len += rep->n - (all[i * 32].rm_eo - all[i * 32].rm_so);
    out = nv_str_alloc(E, r.h->n + len, &o);
    for (i = lo; i < hi; i++) {
        const regmatch_t *m = &all[i * 32];
        memcpy(o + k, r.h->s + at, (size_t)(m->rm_so - at));
        k += m->rm_so - at;
        memcpy(o + k, rep->s, (size_t)rep->n);
        k += rep->n;
        at = m->rm_eo;
    }
    memcpy(o + k, r.h->s + at, (size_t)(r.h->n - at));
    return nv_vp(out);
}

NV_RT nv_val nvf_re_replacefirst(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_re_replace(E, T, a, 1, 35110); }
NV_RT nv_val nvf_re_replacelast(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_re_replace(E, T, a, 2, 35120); }
NV_RT nv_val nvf_re_replaceall(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_re_replace(E, T, a, 0, 35140); }

/*@ section time needs core string civil */
/* ---- time.*: the proleptic Gregorian calendar; zones from the system's
 * zoneinfo files (TZif, as the Olson database compiles them) ---- */
#define NV_TS_MIN (-62135596800.0)
#define NV_TS_MAX 253402300799.0

/* the zone's offset from UTC (seconds) at UTC time t; 0 when unknown (sets *bad) */
NV_RT int64_t nv_tz_offset(const nv_str *zone, int64_t t, int local, int *bad)
{
    char path[512];
    unsigned char hdr[44], *buf;
    FILE *f;
    long n;
    int64_t off = 0;
    const char *dir = getenv("TZDIR");
    *bad = 0;
    if (zone->n == 0 || nv_streq(zone, "UTC") || nv_streq(zone, "Etc/UTC") || nv_streq(zone, "GMT") ||
        nv_streq(zone, "Etc/GMT"))
        return 0;
    if (zone->n > 200 || strstr(zone->s, "..") || zone->s[0] == '/' || (int64_t)strlen(zone->s) != zone->n) {
        *bad = 1;
        return 0;
    }
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", zone->s);
    f = fopen(path, "rb");
    if (!f) {
        *bad = 1;
        return 0;
    }
    if (fread(hdr, 1, 44, f) != 44 || memcmp(hdr, "TZif", 4) != 0) {
        fclose(f);
        *bad = 1;
        return 0;
    }
    {
#define NV_BE32(p) ((int64_t)(int32_t)((uint32_t)(p)[0] << 24 | (uint32_t)(p)[1] << 16 | (uint32_t)(p)[2] << 8 | (p)[3]))
        int64_t isutc = NV_BE32(hdr + 20), isstd = NV_BE32(hdr + 24), leap = NV_BE32(hdr + 28);
        int64_t timecnt = NV_BE32(hdr + 32), typecnt = NV_BE32(hdr + 36), charcnt = NV_BE32(hdr + 40);
        int64_t i, idx = -1;
        if (timecnt < 0 || typecnt <= 0 || timecnt > 100000 || typecnt > 1000) {
            fclose(f);
            *bad = 1;
            return 0;
        }
        n = (long)(timecnt * 5 + typecnt * 6 + charcnt + leap * 8 + isstd + isutc);
        buf = (unsigned char *)malloc((size_t)n + 1);
        if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            fclose(f);
            *bad = 1;
            return 0;
        }
        /* version 1 data: 32-bit transition times */
        for (i = 0; i < timecnt; i++) {
            int64_t tt = NV_BE32(buf + i * 4);
            int64_t ti = buf[timecnt * 4 + i];
            int64_t o = NV_BE32(buf + timecnt * 5 + ti * 6);
            if ((local ? t - o : t) >= tt)
                idx = ti;
        }
        if (idx < 0) {
            /* before the first transition: the first standard-time type */
            idx = 0;
            for (i = 0; i < typecnt; i++)
                if (!buf[timecnt * 5 + i * 6 + 4]) {
                    idx = i;
                    break;
                }
        }
        off = NV_BE32(buf + timecnt * 5 + idx * 6);
        free(buf);
#undef NV_BE32
    }
    fclose(f);
    return off;
}

typedef struct nv_tm { int64_t year, month, day, hour, minute, second, yday, wday; } nv_tm;

NV_RT nv_tm nv_localtime(nv_eng *E, double ts, const nv_str *zone, int code)
{
    nv_tm r;
    int bad;
    int64_t t, days, secs, off;
    if (!(ts >= NV_TS_MIN && ts <= NV_TS_MAX))
        nv_raise(E, code + 1, "timestamp out of range");
    t = (int64_t)floor(ts);
    off = nv_tz_offset(zone, t, 0, &bad);
    if (bad)
        nv_raise(E, code, "unrecognized timezone string");
    t += off;
    days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    secs = t - days * 86400;
    nv_civil_from_days(days, &r.year, &r.month, &r.day);
    r.hour = secs / 3600;
    r.minute = secs / 60 % 60;
    r.second = secs % 60;
    r.yday = days - nv_days_from_civil(r.year, 1, 1) + 1;
    r.wday = ((days % 7) + 7 + 3) % 7; /* 1970-01-01 was a Thursday; 0 is Monday */
    return r;
}

NV_RT nv_val nvf_time_year(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    return nv_vi((int32_t)nv_localtime(E, a[0].d, NV_S(a[1]), 40000).year);
}

NV_RT nv_val nvf_time_monthOfYear(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    return nv_vi((int32_t)nv_localtime(E, a[0].d, NV_S(a[1]), 40010).month);
}

NV_RT nv_val nvf_time_dayOfYear(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    return nv_vi((int32_t)nv_localtime(E, a[0].d, NV_S(a[1]), 40020).yday);
}

NV_RT nv_val nvf_time_dayOfMonth(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    return nv_vi((int32_t)nv_localtime(E, a[0].d, NV_S(a[1]), 40030).day);
}

NV_RT nv_val nvf_time_dayOfWeek(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    return nv_vi((int32_t)nv_localtime(E, a[0].d, NV_S(a[1]), 40040).wday);
}

NV_RT nv_val nvf_time_hourOfDay(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    return nv_vi((int32_t)nv_localtime(E, a[0].d, NV_S(a[1]), 40050).hour);
}

NV_RT nv_val nvf_time_minuteOfHour(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    return nv_vi((int32_t)nv_localtime(E, a[0].d, NV_S(a[1]), 40060).minute);
}

NV_RT nv_val nvf_time_secondOfMinute(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    return nv_vi((int32_t)nv_localtime(E, a[0].d, NV_S(a[1]), 40070).second);
}


NV_RT nv_val nvf_time_makeTimestamp(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    int64_t y = a[0].i, mo = a[1].i, d = a[2].i, h = a[3].i, mi = a[4].i, s = a[5].i, ms = a[6].i;
    int64_t days, t, off;
    int bad;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    (void)T;
    if (y < 1 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap) || h < 0 ||
        h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59 || ms < 0 || ms > 999)
        nv_raise(E, 40081, "timestamp undefined for given parameters");
    days = nv_days_from_civil(y, mo, d);
    t = days * 86400 + h * 3600 + mi * 60 + s;
    off = nv_tz_offset(NV_S(a[7]), t, 1, &bad);
    if (bad)
        nv_raise(E, 40080, "unrecognized timezone string");
    return nv_vd((double)(t - off) + (double)ms / 1000.0);
}

/* whether the time's field (with its fraction) lies in [low, high) */
NV_RT nv_val nv_time_in(nv_eng *E, const nv_val *a, int which, int code)
{
    double lo = a[2].d, hi = a[3].d, v, frac = a[0].d - floor(a[0].d);
    nv_tm t;
    if (!(lo < hi))
        nv_raise(E, code, "bad time range");
    t = nv_localtime(E, a[0].d, NV_S(a[1]), code + 1);
    switch (which) {
    case 0: v = (double)t.second + frac; break;
    case 1: v = (double)t.minute + ((double)t.second + frac) / 60.0; break;
    case 2: v = (double)t.hour + ((double)t.minute * 60 + (double)t.second + frac) / 3600.0; break;
    case 3: v = (double)t.wday; break;
    case 4: v = (double)t.day; break;
    case 5: v = (double)t.month; break;
    default: v = (double)t.yday; break;
    }
    return nv_vi(v >= lo && v < hi);
}

NV_RT nv_val nvf_time_isSecondOfMinute(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_time_in(E, a, 0, 40090); }
NV_RT nv_val nvf_time_isMinuteOfHour(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_time_in(E, a, 1, 40100); }
NV_RT nv_val nvf_time_isHourOfDay(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_time_in(E, a, 2, 40110); }
NV_RT nv_val nvf_time_isDayOfWeek(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_time_in(E, a, 3, 40120); }
NV_RT nv_val nvf_time_isDayOfMonth(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_time_in(E, a, 4, 40130); }
NV_RT nv_val nvf_time_isMonthOfYear(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_time_in(E, a, 5, 40140); }
NV_RT nv_val nvf_time_isDayOfYear(nv_eng *E, const nv_type *const *T, const nv_val *a) { (void)T; return nv_time_in(E, a, 6, 40150); }

NV_RT nv_val nvf_time_isWeekend(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    return nv_vi(nv_localtime(E, a[0].d, NV_S(a[1]), 40160).wday >= 5);
}

NV_RT nv_val nvf_time_isWorkHours(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    nv_tm t = nv_localtime(E, a[0].d, NV_S(a[1]), 40170);
    (void)T;
    return nv_vi(t.wday < 5 && t.hour >= 9 && t.hour < 17);
}

/*@ section pack needs core string */
/* ---- the "pack" and "unpack" special forms ----
 * The code (see pack_format in typecheck.c) lists each item's format: an
 * optional '<' or '>' then x ? b B h H i I q Q f d, rN; R z or p. */
NV_RT int nv_pack_size(char c)
{
    switch (c) {
    case 'x': case '?': case 'b': case 'B': return 1;
    case 'h': case 'H': return 2;
    case 'i': case 'I': case 'f': return 4;
    case 'q': case 'Q': case 'd': return 8;
    default: return 0;
    }
}

NV_RT void nv_put_uint(char *o, uint64_t v, int n, int big)
{
    int k;
    for (k = 0; k < n; k++)
        o[big ? n - 1 - k : k] = (char)(v >> (8 * k));
}

NV_RT uint64_t nv_get_uint(const char *s, int n, int big)
{
    uint64_t v = 0;
    int k;
    for (k = 0; k < n; k++)
        v |= (uint64_t)(unsigned char)s[big ? n - 1 - k : k] << (8 * k);
    return v;
}

NV_RT nv_val nvf_pack(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const char *c = NV_S(a[0])->s;
    int64_t len = 0, k = 1, at = 0;
    const char *p;
    char *o;
    nv_str *r;
    /* the length first */
    for (p = c; *p; k++) {
        int big = 1;
        if (*p == '<' || *p == '>')
            big = *p++ == '>';
        (void)big;
        if (*p == 'r') {
            int64_t n = strtol(p + 1, (char **)&p, 10);
            p++;
            if (NV_S(a[k])->n != n)
                nv_raise(E, 3000, "raw bytes does not have specified size");
            len += n;
        } else if (*p == 'R' || *p == 'z' || *p == 'p') {
            if (*p == 'p' && NV_S(a[k])->n > 255)
                nv_raise(E, 3001, "length prefixed bytes is larger than 255 bytes");
            len += NV_S(a[k])->n + (*p != 'R');
            p++;
        } else
            len += nv_pack_size(*p++);
    }
    r = nv_str_alloc(E, len, &o);
    for (p = c, k = 1; *p; k++) {
        int big = 1;
        char f;
        if (*p == '<' || *p == '>')
            big = *p++ == '>';
        f = *p++;
        if (f == 'r')
            while (*p++ != ';')
                ;
        switch (f) {
        case 'x': o[at++] = 0; break;
        case '?': o[at++] = (char)(a[k].i != 0); break;
        case 'b': case 'B': case 'h': case 'H': case 'i':
            nv_put_uint(o + at, (uint64_t)(int64_t)a[k].i, nv_pack_size(f), big);
            at += nv_pack_size(f);
            break;
        case 'I': case 'q':
            nv_put_uint(o + at, (uint64_t)a[k].l, nv_pack_size(f), big);
            at += nv_pack_size(f);
            break;
        case 'Q': {
            double d = a[k].d;
            nv_put_uint(o + at, d <= 0 || d != d ? 0 : d >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)d, 8, big);
            at += 8;
            break;
        }
        case 'f': {
            uint32_t u;
            memcpy(&u, &a[k].f, 4);
            nv_put_uint(o + at, u, 4, big);
            at += 4;
            break;
        }
        case 'd': {
            uint64_t u;
            memcpy(&u, &a[k].d, 8);
            nv_put_uint(o + at, u, 8, big);
            at += 8;
            break;
        }
        default: {
            const nv_str *b = NV_S(a[k]);
            if (f == 'p')
                o[at++] = (char)b->n;
            memcpy(o + at, b->s, (size_t)b->n);
            at += b->n;
            if (f == 'z')
                o[at++] = 0;
        }
        }
    }
    (void)T;
    return nv_vp(r);
}

/* a record of the values, or the null branch when the bytes do not fit */
NV_RT nv_val nvf_unpack(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const char *c = NV_S(a[0])->s, *p = c;
    const nv_str *b = NV_S(a[1]);
    const nv_type *rec = T[0]->parts[1];
    nv_rec *r = nv_rec_new(E, rec->n);
    int64_t at = 0;
    int k = 0;
    for (; *p; k++) {
        int big = 1;
        char f;
        if (*p == '<' || *p == '>')
            big = *p++ == '>';
        f = *p++;
        if (f == 'r') {
            int64_t n = strtol(p, (char **)&p, 10);
            p++;
            if (b->n - at < n)
                goto bad;
            r->f[k] = nv_vp(nv_str_new(E, b->s + at, n));
            at += n;
            continue;
        }
        if (f == 'z') {
            const char *z = (const char *)memchr(b->s + at, 0, (size_t)(b->n - at));
            if (!z)
                goto bad;
            r->f[k] = nv_vp(nv_str_new(E, b->s + at, z - (b->s + at)));
            at = z - b->s + 1;
            continue;
        }
        if (f == 'p') {
            int64_t n;
            if (at >= b->n)
                goto bad;
            n = (unsigned char)b->s[at++];
            if (b->n - at < n)
                goto bad;
            r->f[k] = nv_vp(nv_str_new(E, b->s + at, n));
            at += n;
            continue;
        }
        if (b->n - at < nv_pack_size(f))
            goto bad;
        {
            uint64_t u = nv_get_uint(b->s + at, nv_pack_size(f), big);
            switch (f) {
            case 'x': r->f[k] = nv_vi(0); break;
            case '?': r->f[k] = nv_vi(u != 0); break;
            case 'b': r->f[k] = nv_vi((int8_t)u); break;
            case 'B': r->f[k] = nv_vi((int32_t)u); break;
            case 'h': r->f[k] = nv_vi((int16_t)u); break;
            case 'H': r->f[k] = nv_vi((int32_t)u); break;
            case 'i': r->f[k] = nv_vi((int32_t)(uint32_t)u); break;
            case 'I': r->f[k] = nv_vl((int64_t)u); break;
            case 'q': r->f[k] = nv_vl((int64_t)u); break;
            case 'Q': r->f[k] = nv_vd((double)u); break;
            case 'f': {
                uint32_t w = (uint32_t)u;
                float x;
                memcpy(&x, &w, 4);
                r->f[k] = nv_vf(x);
                break;
            }
            default: {
                double x;
                memcpy(&x, &u, 8);
                r->f[k] = nv_vd(x);
            }
            }
            at += nv_pack_size(f);
        }
    }
    if (at != b->n)
        goto bad;
    return nv_vp(nv_box(E, 1, nv_vp(r)));
bad:
    return nv_vp(nv_box(E, 0, nv_vi(0)));
}
