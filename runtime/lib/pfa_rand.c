/* pfa_rand.c -- PFA's random numbers (rand.*) for generated engines, in the
 * calling convention of pfa_lib.c.  Every draw comes from the engine's own
 * generator (pfa_rt.c: nv_rand64, splitmix64 seeded by "randseed" or the
 * clock, and the engine's index in its battery), so an engine with a seed
 * repeats its sequence, and engines of a battery draw independent ones.
 * Integers in a range are exact and unbiased (rejection, not a scaled
 * double); doubles are multiples of 2^-53 scaled to the range; Gaussian
 * deviates are the normal quantile of a uniform (nv_stdnorm_idf, 3 ulps).
 * The reference engine's results for a given seed are those of Python's
 * Mersenne Twister and cannot be expected here: the tests check the
 * distributions instead (tests/unit/test_pfa_rt.c). */

/*@ section rand needs core json string vec kernel_normal */
NV_RT nv_val nvf_rand_int(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    if (!T[1])
        return nv_vi((int32_t)(uint32_t)(nv_rand64(E) >> 32));
    if (a[1].i <= a[0].i)
        nv_raise(E, 34000, "high must be greater than low");
    return nv_vi((int32_t)(a[0].i + (int64_t)nv_rand_below(E, (uint64_t)((int64_t)a[1].i - a[0].i))));
}

NV_RT nv_val nvf_rand_long(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    if (!T[1])
        return nv_vl((int64_t)nv_rand64(E));
    if (a[1].l <= a[0].l)
        nv_raise(E, 34010, "high must be greater than low");
    /* the width fits in 64 bits unsigned; low + an offset wraps back in range */
    return nv_vl((int64_t)((uint64_t)a[0].l + nv_rand_below(E, (uint64_t)a[1].l - (uint64_t)a[0].l)));
}

/* low + u (high - low), written so that a range wider than the largest
   double does not overflow */
NV_RT double nv_rand_in(nv_eng *E, double low, double high)
{
    double u = nv_rand_unit(E), w = high - low;
    return w != HUGE_VAL ? low + u * w : low * (1 - u) + high * u;
}

NV_RT nv_val nvf_rand_float(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    float r;
    (void)T;
    if (!(a[1].f > a[0].f))
        nv_raise(E, 34020, "high must be greater than low");
    r = (float)nv_rand_in(E, a[0].f, a[1].f);
    return nv_vf(r < a[1].f ? r : a[0].f);    /* rounding up to high: low instead */
}

NV_RT nv_val nvf_rand_double(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    if (!(a[1].d > a[0].d))
        nv_raise(E, 34030, "high must be greater than low");
    return nv_vd(nv_rand_in(E, a[0].d, a[1].d));
}

NV_RT nv_val nvf_rand_choice(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *p = NV_ARR(a[0]);
    (void)T;
    if (p->n == 0)
        nv_raise(E, 34040, "population must not be empty");
    return p->v[nv_rand_below(E, (uint64_t)p->n)];
}

NV_RT nv_val nvf_rand_choices(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *p = NV_ARR(a[1]);
    int64_t n = a[0].i < 0 ? 0 : a[0].i, i;
    nv_arr *r;
    (void)T;
    if (p->n == 0)
        nv_raise(E, 34050, "population must not be empty");
    r = nv_arr_new(E, n);
    for (i = 0; i < n; i++)
        r->v[i] = p->v[nv_rand_below(E, (uint64_t)p->n)];
    return nv_vp(r);
}

NV_RT nv_val nvf_rand_sample(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *p = NV_ARR(a[1]);
    int64_t n = a[0].i < 0 ? 0 : a[0].i, i;
    nv_val *pool;
    nv_arr *r;
    (void)T;
    if (p->n == 0)
        nv_raise(E, 34060, "population must not be empty");
    if (p->n < n)
        nv_raise(E, 34061, "population smaller than requested subsample");
    /* the first n of a Fisher-Yates shuffle of a copy */
    pool = (nv_val *)nv_alloc(E, sizeof(nv_val) * (size_t)p->n);
    memcpy(pool, p->v, sizeof(nv_val) * (size_t)p->n);
    r = nv_arr_new(E, n);
    for (i = 0; i < n; i++) {
        int64_t j = i + (int64_t)nv_rand_below(E, (uint64_t)(p->n - i));
        nv_val t = pool[i];
        pool[i] = pool[j];
        pool[j] = t;
        r->v[i] = pool[i];
    }
    return nv_vp(r);
}

/* an index of the weights w[0..n), with probability proportional to them */
NV_RT int64_t nv_rand_index(nv_eng *E, const double *w, int64_t n)
{
    double total = 0, pos, run = 0;
    int64_t i, last = -1;
    for (i = 0; i < n; i++) {
        if (!nv_finite(w[i]))
            nv_raise(E, 34071, "distribution must be finite");
        if (w[i] < 0)
            nv_raise(E, 34072, "distribution must be non-negative");
        total += w[i];
    }
    if (!(total > 0))
        nv_raise(E, 34070, "distribution must be non-empty");
    pos = nv_rand_unit(E) * total;
    for (i = 0; i < n; i++) {
        if (w[i] > 0)
            last = i;
        run += w[i];
        if (pos < run && w[i] > 0)
            return i;
    }
    return last;      /* pos rounded up to the total */
}

NV_RT nv_val nvf_rand_histogram(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *d = NV_ARR(a[0]);
    double *w;
    int64_t i;
    if (T[1]->items->kind == NV_DOUBLE)
        return nv_vi((int32_t)nv_rand_index(E, nv_dvec(E, d), d->n));
    w = nv_dalloc(E, d->n);
    for (i = 0; i < d->n; i++)
        w[i] = nv_get_d(T[1]->items, NV_REC(d->v[i]), "prob");
    return d->v[nv_rand_index(E, w, d->n)];
}

/* the size (a[0]) and [low, high) (a[1], a[2], when given) of rand.string
   and rand.bytes, with their errors at code, code + 1 and code + 2; a size
   past cap is "out of memory" (s.repeat's bound, 1 GiB) */
NV_RT void nv_rand_shape(nv_eng *E, const nv_type *const *T, const nv_val *a, int code, int64_t cap,
                         int64_t min, int64_t max, const char *invalid, unsigned *lo, unsigned *hi)
{
    if (a[0].i <= 0)
        nv_raise(E, code, "size must be positive");
    if (a[0].i > cap)
        nv_raise(E, -1000, "out of memory");
    if (T[2] && T[3]) {
        if (a[2].i <= a[1].i)
            nv_raise(E, code + 1, "high must be greater than low");
        if (a[1].i < min || a[1].i >= max || a[2].i < min || a[2].i > max)
            nv_raise(E, code + 2, invalid);
        *lo = (unsigned)a[1].i;
        *hi = (unsigned)a[2].i;
    }
}

/* a string of size code points: uniform in [low, high), or drawn from the
   code points of a population */
NV_RT nv_val nvf_rand_string(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    int64_t n = a[0].i, i, np = 0, len = 0;
    unsigned lo = 1, hi = 0xD800, *cp = NULL, *pop = NULL;
    char *d;
    nv_str *s;
    nv_rand_shape(E, T, a, 34080, (int64_t)1 << 28, 1, 0xD800, "invalid char", &lo, &hi);
    if (T[2] && !T[3]) {
        const nv_str *p = (const nv_str *)a[1].p;
        int64_t k = 0;
        pop = (unsigned *)nv_alloc(E, sizeof(unsigned) * (size_t)(p->n + 1));
        while (k < p->n) {       /* the code points of UTF-8 text */
            unsigned c = (unsigned char)p->s[k], more = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
            c &= more == 0 ? 0x7F : more == 1 ? 0x1F : more == 2 ? 0x0F : 0x07;
            for (k++; more > 0 && k < p->n; more--, k++)
                c = (c << 6) | ((unsigned char)p->s[k] & 0x3F);
            pop[np++] = c;
        }
        if (np == 0)
            nv_raise(E, 34083, "population must be non-empty");
    }
    cp = (unsigned *)nv_alloc(E, sizeof(unsigned) * (size_t)n);
    for (i = 0; i < n; i++) {
        cp[i] = pop ? pop[nv_rand_below(E, (uint64_t)np)] : lo + (unsigned)nv_rand_below(E, hi - lo);
        len += cp[i] < 0x80 ? 1 : cp[i] < 0x800 ? 2 : cp[i] < 0x10000 ? 3 : 4;
    }
    s = nv_str_alloc(E, len, &d);
    for (i = 0; i < n; i++)
        d += nv_utf8_put(d, cp[i]);
    return nv_vp(s);
}

NV_RT nv_val nvf_rand_bytes(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    int64_t n = a[0].i, i;
    unsigned lo = 0, hi = 256;
    const nv_str *pop = NULL;
    char *d;
    nv_str *s;
    nv_rand_shape(E, T, a, 34090, (int64_t)1 << 30, 0, 256, "invalid byte", &lo, &hi);
    if (T[2] && !T[3]) {
        pop = (const nv_str *)a[1].p;
        if (pop->n == 0)
            nv_raise(E, 34093, "population must be non-empty");
    }
    s = nv_str_alloc(E, n, &d);
    for (i = 0; i < n; i++)
        d[i] = (char)(pop ? pop->s[nv_rand_below(E, (uint64_t)pop->n)] : (char)(lo + nv_rand_below(E, hi - lo)));
    return nv_vp(s);
}

/* xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx: random hexadecimal digits, version
   4 and the IETF variant nibble 8, as the spec has it */
NV_RT nv_val nvf_rand_uuid4(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    uint64_t x = nv_rand64(E), y = nv_rand64(E);
    char buf[40];
    (void)T;
    (void)a;
    snprintf(buf, sizeof buf, "%08x-%04x-4%03x-8%03x-%012llx", (unsigned)(x >> 32), (unsigned)((x >> 16) & 0xffff),
             (unsigned)(x & 0xfff), (unsigned)(y >> 52), (unsigned long long)(y & 0xffffffffffffULL));
    return nv_vp(nv_cstr(E, buf));
}

NV_RT nv_val nvf_rand_uuid(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nvf_rand_uuid4(E, T, a); }

NV_RT nv_val nvf_rand_gaussian(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    /* a uniform strictly inside (0, 1): the midpoint of a 2^-53 cell */
    double u = ((double)(nv_rand64(E) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
    (void)T;
    return nv_vd(a[0].d + a[1].d * nv_stdnorm_idf(u));
}
