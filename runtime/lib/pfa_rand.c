/* pfa_rand.c -- PFA's random numbers (rand.*) for generated engines, in the
 * calling convention of pfa_lib.c.  Every draw comes from the engine's own
 * Mersenne Twister (pfa_rt.c: nv_seed, seeded by "randseed" or the clock,
 * and the engine's index in its battery), and each function makes the
 * calls of Python 2.7's random module that the reference engine Titus
 * makes (titus/lib/rand.py), so a document with a "randseed" draws what
 * Titus draws: randint as randrange computes it (int(random() * width),
 * or getrandbits past 2^53: nv_rand_upto), uniform as a + (b - a) *
 * random(), gauss with its second deviate kept for the next call, sample
 * as Python 2.7's two methods.  Where Titus departs from the spec the
 * spec wins, with the same draws (docs/pfa-support.md): rand.uuid4's last
 * group is 12 hexadecimal digits, and rand.string never yields the lone
 * surrogate U+D800.  Tested against Python's own draws
 * (tests/unit/test_pfa_rand.c, tools/gen_rand_vectors.py). */

/*@ section rand needs core json string vec */
NV_RT nv_val nvf_rand_int(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    if (!T[1])      /* randint(-2^31, 2^31 - 1) */
        return nv_vi((int32_t)(INT32_MIN + (int64_t)nv_rand_upto(E, UINT32_MAX)));
    if (a[1].i <= a[0].i)
        nv_raise(E, 34000, "high must be greater than low");
    return nv_vi((int32_t)(a[0].i + (int64_t)nv_rand_below(E, (uint64_t)((int64_t)a[1].i - a[0].i))));
}

NV_RT nv_val nvf_rand_long(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    if (!T[1])      /* randint(-2^63, 2^63 - 1) */
        return nv_vl((int64_t)((uint64_t)INT64_MIN + nv_rand_upto(E, UINT64_MAX)));
    if (a[1].l <= a[0].l)
        nv_raise(E, 34010, "high must be greater than low");
    /* the width fits in 64 bits unsigned; low + an offset wraps back in range */
    return nv_vl((int64_t)((uint64_t)a[0].l + nv_rand_below(E, (uint64_t)a[1].l - (uint64_t)a[0].l)));
}

/* uniform(low, high) = low + (high - low) random(), written so that a
   range wider than the largest double does not overflow */
NV_RT double nv_rand_in(nv_eng *E, double low, double high)
{
    double u = nv_rand_unit(E), w = high - low;
    return w != HUGE_VAL ? low + w * u : low * (1 - u) + high * u;
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

/* Python 2.7's random.sample(population, k): a partial shuffle of a pool
   when the population is small beside the set a large k needs, otherwise
   indexes drawn over the whole population until k distinct ones are found */
NV_RT nv_val nvf_rand_sample(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *p = NV_ARR(a[1]);
    int64_t n = p->n, k = a[0].i < 0 ? 0 : a[0].i, i;
    double setsize = 21;
    nv_arr *r;
    (void)T;
    if (n == 0)
        nv_raise(E, 34060, "population must not be empty");
    if (n < k)
        nv_raise(E, 34061, "population smaller than requested subsample");
    r = nv_arr_new(E, k);
    if (k > 5)
        setsize += pow(4.0, ceil(log((double)(k * 3)) / log(4.0)));
    if ((double)n <= setsize) {
        nv_val *pool = (nv_val *)nv_alloc(E, sizeof(nv_val) * (size_t)n);
        memcpy(pool, p->v, sizeof(nv_val) * (size_t)n);
        for (i = 0; i < k; i++) {
            int64_t j = (int64_t)(nv_rand_unit(E) * (double)(n - i));
            r->v[i] = pool[j];
            pool[j] = pool[n - i - 1];
        }
    } else {
        unsigned char *seen = (unsigned char *)nv_alloc(E, (size_t)(n / 8 + 1));
        memset(seen, 0, (size_t)(n / 8 + 1));
        for (i = 0; i < k; i++) {
            int64_t j;
            do
                j = (int64_t)(nv_rand_unit(E) * (double)n);
            while (seen[j / 8] & (1u << (j % 8)));
            seen[j / 8] |= (unsigned char)(1u << (j % 8));
            r->v[i] = p->v[j];
        }
    }
    return nv_vp(r);
}

/* an index of the weights w[0..n), with probability proportional to them:
   the first whose running sum passes uniform(0, total) */
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
    pos = total * nv_rand_unit(E);
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
    unsigned lo = 1, hi = 0xD800, *cp = NULL, *pop = NULL;   /* lo, hi: the range given */
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
        if (pop)
            cp[i] = pop[nv_rand_below(E, (uint64_t)np)];
        else if (T[2])
            cp[i] = lo + (unsigned)nv_rand_below(E, hi - lo);
        else        /* randint(1, 0xD800), as the spec has it, but U+D800 is no character: draw again */
            do
                cp[i] = 1 + (unsigned)nv_rand_below(E, 0xD800);
            while (cp[i] == 0xD800);
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
   4 and the IETF variant nibble 8, as the spec and RFC 4122 have it.  The
   draws are Titus's, getrandbits of 32, 16, 12, 12 and 64 bits; Titus
   prints all 16 digits of the last (a group too long), nerva the first 12,
   so the string is Titus's cut to the spec's length and the stream stays
   in step. */
NV_RT nv_val nvf_rand_uuid4(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    uint64_t g1 = nv_rand_bits(E, 32), g2 = nv_rand_bits(E, 16), g3 = nv_rand_bits(E, 12);
    uint64_t g4 = nv_rand_bits(E, 12), g5 = nv_rand_bits(E, 64);
    char buf[40];
    (void)T;
    (void)a;
    snprintf(buf, sizeof buf, "%08x-%04x-4%03x-8%03x-%012llx", (unsigned)g1, (unsigned)g2, (unsigned)g3, (unsigned)g4,
             (unsigned long long)(g5 >> 16));
    return nv_vp(nv_cstr(E, buf));
}

NV_RT nv_val nvf_rand_uuid(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nvf_rand_uuid4(E, T, a); }

/* random.gauss(mu, sigma): the Box-Muller pair from two random() draws,
   one deviate returned and the other kept in the engine for the next call */
NV_RT nv_val nvf_rand_gaussian(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    nv_mt *g = nv_rng(E);
    double z;
    (void)T;
    if (g->has_gauss) {
        z = g->gauss_next;
        g->has_gauss = 0;
    } else {
        double x2pi = nv_mt_unit(g) * 6.283185307179586, g2rad = sqrt(-2.0 * log(1.0 - nv_mt_unit(g)));
        z = cos(x2pi) * g2rad;
        g->gauss_next = sin(x2pi) * g2rad;
        g->has_gauss = 1;
    }
    return nv_vd(a[0].d + z * a[1].d);
}
