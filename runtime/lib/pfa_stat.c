/* pfa_stat.c -- PFA's statistics for generated engines: the updaters of
 * stat.sample (counts, means, variances, covariances, windows, moving
 * averages, Holt-Winters, histograms, counters, top-N lists), stat.change
 * (triggers, z-values, CUSUM) and stat.test (residuals, pulls, the
 * Mahalanobis distance, chi-square, Kolmogorov-Smirnov), with the
 * deprecated model.reg twins of the stat.test functions; in the calling
 * convention of pfa_lib.c.
 *
 * An updater returns a new state record with its own fields updated and
 * the others as they were.  When the engine has granted the call the state
 * value in place (nv_own: the value is a cell's or pool item's that nothing
 * else refers to), it changes that value instead -- scalars, and arrays
 * whose size stays the same -- so a record per event costs no copy; any
 * change of size (a histogram that grows, a window that fills, a new
 * counter key) builds a new value as usual. */

/*@ section own needs core */
/* whether this call may change v in place: the engine grants one value,
   to one call */
NV_RT int nv_own(nv_eng *E, nv_val v)
{
    if (v.p && v.p == E->mut) {
        E->mut = NULL;
        return 1;
    }
    return 0;
}

/*@ section sample needs core array vec own */
/* ---- stat.sample ---- */
NV_RT nv_val nvf_stat_sample_update(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_type *t = T[3];
    int own = nv_own(E, a[2]), im = nv_field_index(t, "mean"), iv = nv_field_index(t, "variance");
    const nv_rec *old = NV_REC(a[2]);
    nv_rec *r = own ? (nv_rec *)(uintptr_t)old : nv_rec_dup(E, t, old);
    double x = a[0].d, w = a[1].d, c0 = nv_get_d(t, old, "count"), c = c0 + w;
    if (im >= 0) {
        double mean = nv_as_d(t->parts[im], old->f[im]), delta = x - mean, shift = delta * w / c;
        if (iv >= 0) {
            double var = nv_as_d(t->parts[iv], old->f[iv]);
            r->f[iv] = nv_from_d(t->parts[iv], (var * c0 + c0 * delta * shift) / c);
        }
        r->f[im] = nv_from_d(t->parts[im], mean + shift);
    }
    nv_set_d(t, r, "count", c);
    return nv_vp(r);
}

/* the running covariance of vectors: arrays (every component each time)
   or maps (a pair of keys counts the records that have both) */
NV_RT nv_val nv_cov_arrays(nv_eng *E, const nv_type *t, const nv_val *a, int own)
{
    const nv_rec *old = NV_REC(a[2]);
    int ic = nv_field_index(t, "count"), im = nv_field_index(t, "mean"), iv = nv_field_index(t, "covariance");
    const nv_arr *x = NV_ARR(a[0]), *mean = NV_ARR(old->f[im]), *cov = NV_ARR(old->f[iv]);
    int64_t n = x->n, i, j;
    double w = a[1].d, c0 = nv_as_d(t->parts[ic], old->f[ic]), c = c0 + w, *d;
    nv_rec *r;
    nv_arr *nm, *ncov;
    if (n < 2)
        nv_raise(E, 14011, "too few components");
    if (mean->n != n || cov->n != n)
        nv_raise(E, 14012, "unequal length arrays");
    for (i = 0; i < n; i++)
        if (NV_ARR(cov->v[i])->n != n)
            nv_raise(E, 14012, "unequal length arrays");
    d = nv_dalloc(E, n);
    for (i = 0; i < n; i++)
        d[i] = x->v[i].d - mean->v[i].d;
    r = own ? (nv_rec *)(uintptr_t)old : nv_rec_dup(E, t, old);
    nm = own ? (nv_arr *)(uintptr_t)mean : nv_arr_new(E, n);
    ncov = own ? (nv_arr *)(uintptr_t)cov : nv_arr_new(E, n);
    for (i = 0; i < n; i++) {
        const nv_arr *row = NV_ARR(cov->v[i]);
        nv_arr *nrow = own ? (nv_arr *)(uintptr_t)row : nv_arr_new(E, n);
        for (j = 0; j < n; j++)
            nrow->v[j] = nv_vd((row->v[j].d * c0 + d[i] * d[j] * w * c0 / c) / c);
        ncov->v[i] = nv_vp(nrow);
        nm->v[i] = nv_vd(mean->v[i].d + d[i] * w / c);
    }
    r->f[ic] = nv_from_d(t->parts[ic], c);
    r->f[im] = nv_vp(nm);
    r->f[iv] = nv_vp(ncov);
    return nv_vp(r);
}

NV_RT int nv_has_key(const nv_map *m, const nv_str *k) { return nv_map_find(m, k) >= 0; }

NV_RT nv_val nv_cov_maps(nv_eng *E, const nv_type *t, const nv_val *a)
{
    const nv_rec *old = NV_REC(a[2]);
    int ic = nv_field_index(t, "count"), im = nv_field_index(t, "mean"), iv = nv_field_index(t, "covariance");
    const nv_map *x = NV_MAP(a[0]), *cnt = NV_MAP(old->f[ic]), *mean = NV_MAP(old->f[im]), *cov = NV_MAP(old->f[iv]);
    const nv_map *all[3];
    nv_keys keys;
    double w = a[1].d, *nc, *nmv, *ncv;
    int64_t i, j, n;
    nv_rec *r;
    if (x->n < 2)
        nv_raise(E, 14011, "too few components");
    all[0] = x;
    all[1] = cnt;
    all[2] = cov;
    {
        /* every key of x and of the rows and columns of count and covariance */
        nv_keys k1 = nv_key_union(E, all, 3, 1), k2 = nv_key_union(E, all + 1, 2, 2);
        keys = nv_keys_join(E, &k1, &k2);
    }
    n = keys.n;
    nc = nv_dalloc(E, nv_size2(E, n, n));
    ncv = nv_dalloc(E, n * n);
    nmv = nv_dalloc(E, n);
    for (i = 0; i < n; i++) {
        int xi = nv_has_key(x, keys.k[i]);
        for (j = 0; j < n; j++)
            nc[i * n + j] = nv_mget2(cnt, keys.k[i], keys.k[j]) + (xi && nv_has_key(x, keys.k[j]) ? w : 0);
    }
    for (i = 0; i < n; i++) {
        double m0 = nv_mget0(mean, keys.k[i]);
        nmv[i] = nv_has_key(x, keys.k[i]) ? m0 + (nv_mget0(x, keys.k[i]) - m0) * w / nc[i * n + i] : m0;
    }
    for (i = 0; i < n; i++)
        for (j = 0; j < n; j++) {
            double oc = nv_mget2(cov, keys.k[i], keys.k[j]);
            if (nv_has_key(x, keys.k[i]) && nv_has_key(x, keys.k[j])) {
                double c0 = nv_mget2(cnt, keys.k[i], keys.k[j]), c = nc[i * n + j];
                double di = nv_mget0(x, keys.k[i]) - nv_mget0(mean, keys.k[i]);
                double dj = nv_mget0(x, keys.k[j]) - nv_mget0(mean, keys.k[j]);
                oc = (oc * c0 + di * dj * w * c0 / c) / c;
            }
            ncv[i * n + j] = oc;
        }
    r = nv_rec_dup(E, t, old);
    r->f[ic] = nv_vp(nv_dmap2(E, nc, &keys, &keys));
    r->f[im] = nv_vp(nv_dmap(E, &keys, nmv));
    r->f[iv] = nv_vp(nv_dmap2(E, ncv, &keys, &keys));
    return nv_vp(r);
}

NV_RT nv_val nvf_stat_sample_updateCovariance(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    int own = nv_own(E, a[2]);
    if (T[1]->kind == NV_ARRAY)
        return nv_cov_arrays(E, T[3], a, own);
    return nv_cov_maps(E, T[3], a);
}

/* the running count, mean and variance of the last windowSize samples */
NV_RT nv_val nvf_stat_sample_updateWindow(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_type *t = T[3]->items;
    const nv_arr *st = NV_ARR(a[2]);
    double x = a[0].d, w = a[1].d;
    int64_t ws = a[3].i, len = st->n, i, split;
    int im = nv_field_index(t, "mean"), iv = nv_field_index(t, "variance"), own = nv_own(E, a[2]);
    const nv_rec *last;
    nv_rec *r;
    nv_arr *out;
    double c0, c, mean = 0, delta = 0, shift = 0, vtc = 0;
    if (ws < 2)
        nv_raise(E, 14020, "windowSize must be at least 2");
    if (len == 0) {
        r = nv_rec_new(E, t->n);
        for (i = 0; i < t->n; i++) {
            const char *f = t->names[i];
            double v = !strcmp(f, "x") ? x : !strcmp(f, "w") ? w : !strcmp(f, "count") ? w : !strcmp(f, "mean") ? x : 0;
            if (strcmp(f, "x") && strcmp(f, "w") && strcmp(f, "count") && strcmp(f, "mean") && strcmp(f, "variance"))
                nv_raise(E, 14021, "cannot initialize unrecognized fields");
            r->f[i] = nv_from_d(t->parts[i], v);
        }
        out = nv_arr_new(E, 1);
        out->v[0] = nv_vp(r);
        return nv_vp(out);
    }
    last = NV_REC(st->v[len - 1]);
    c0 = nv_get_d(t, last, "count");
    c = c0 + w;
    if (im >= 0) {
        mean = nv_as_d(t->parts[im], last->f[im]);
        delta = x - mean;
        shift = delta * w / c;
        mean += shift;
        if (iv >= 0)
            vtc = nv_as_d(t->parts[iv], last->f[iv]) * c0 + c0 * delta * shift;
    }
    /* the samples that leave the window come out of the sums */
    split = len >= ws ? len - ws + 1 : 0;
    for (i = 0; i < split; i++) {
        const nv_rec *o = NV_REC(st->v[i]);
        double ow = -nv_get_d(t, o, "w"), ox = nv_get_d(t, o, "x");
        c += ow;
        if (im >= 0) {
            double d2 = ox - mean, s2 = d2 * ow / c;
            mean += s2;
            vtc += (c - ow) * d2 * s2;
        }
    }
    if (own && split == 1) {
        /* a full window: the oldest record becomes the newest */
        r = (nv_rec *)(uintptr_t)st->v[0].p;
        memcpy(r->f, last->f, sizeof(nv_val) * (size_t)t->n);
        out = (nv_arr *)(uintptr_t)st;
        memmove(out->v, out->v + 1, sizeof(nv_val) * (size_t)(len - 1));
    } else {
        r = nv_rec_dup(E, t, last);
        out = nv_arr_new(E, len - split + 1);
        memcpy(out->v, st->v + split, sizeof(nv_val) * (size_t)(len - split));
    }
    nv_set_d(t, r, "x", x);
    nv_set_d(t, r, "w", w);
    nv_set_d(t, r, "count", c);
    if (im >= 0)
        r->f[im] = nv_from_d(t->parts[im], mean);
    if (iv >= 0)
        r->f[iv] = nv_from_d(t->parts[iv], vtc / c);
    out->v[out->n - 1] = nv_vp(r);
    return nv_vp(out);
}

NV_RT nv_val nvf_stat_sample_updateEWMA(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_type *t = T[3];
    double x = a[0].d, alpha = a[1].d, mean, diff, incr;
    int own, iv = nv_field_index(t, "variance");
    const nv_rec *old = NV_REC(a[2]);
    nv_rec *r;
    if (alpha < 0 || alpha > 1)
        nv_raise(E, 14030, "alpha out of range");
    own = nv_own(E, a[2]);
    r = own ? (nv_rec *)(uintptr_t)old : nv_rec_dup(E, t, old);
    mean = nv_get_d(t, old, "mean");
    diff = x - mean;
    incr = alpha * diff;
    if (iv >= 0)
        r->f[iv] = nv_from_d(t->parts[iv], (1 - alpha) * (nv_as_d(t->parts[iv], old->f[iv]) + diff * incr));
    nv_set_d(t, r, "mean", mean + incr);
    return nv_vp(r);
}

NV_RT nv_val nvf_stat_sample_updateHoltWinters(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_type *t = T[4];
    double x = a[0].d, alpha = a[1].d, beta = a[2].d, l0, t0, l;
    const nv_rec *old = NV_REC(a[3]);
    nv_rec *r;
    if (alpha < 0 || alpha > 1)
        nv_raise(E, 14040, "alpha out of range");
    if (beta < 0 || beta > 1)
        nv_raise(E, 14041, "beta out of range");
    r = nv_own(E, a[3]) ? (nv_rec *)(uintptr_t)old : nv_rec_dup(E, t, old);
    l0 = nv_get_d(t, old, "level");
    t0 = nv_get_d(t, old, "trend");
    l = alpha * x + (1 - alpha) * (l0 + t0);
    nv_set_d(t, r, "level", l);
    nv_set_d(t, r, "trend", beta * (l - l0) + (1 - beta) * t0);
    return nv_vp(r);
}

NV_RT nv_val nvf_stat_sample_updateHoltWintersPeriodic(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_type *t = T[5];
    double x = a[0].d, alpha = a[1].d, beta = a[2].d, gamma = a[3].d, l0, t0, l, tr, cp, cn;
    const nv_rec *old = NV_REC(a[4]);
    int ic = nv_field_index(t, "cycle"), own;
    const nv_arr *cyc = NV_ARR(old->f[ic]);
    int64_t n = cyc->n, i;
    nv_rec *r;
    nv_arr *nc;
    double c0;
    if (alpha < 0 || alpha > 1)
        nv_raise(E, 14050, "alpha out of range");
    if (beta < 0 || beta > 1)
        nv_raise(E, 14051, "beta out of range");
    if (gamma < 0 || gamma > 1)
        nv_raise(E, 14052, "gamma out of range");
    if (n == 0)
        nv_raise(E, 14053, "empty cycle");
    own = nv_own(E, a[4]);
    l0 = nv_get_d(t, old, "level");
    t0 = nv_get_d(t, old, "trend");
    cp = cyc->v[1 % n].d;      /* c_{t-L}: the cycle rotated left once, first */
    if (old->f[nv_field_index(t, "multiplicative")].i) {
        l = alpha * x / cp + (1 - alpha) * (l0 + t0);
        tr = beta * (l - l0) + (1 - beta) * t0;
        cn = gamma * x / l + (1 - gamma) * cp;
    } else {
        l = alpha * (x - cp) + (1 - alpha) * (l0 + t0);
        tr = beta * (l - l0) + (1 - beta) * t0;
        cn = gamma * (x - l) + (1 - gamma) * cp;
    }
    /* the new cycle: [c_t, c_2, ..., c_{L-1}, c_0] (rotated left, c_1 replaced) */
    r = own ? (nv_rec *)(uintptr_t)old : nv_rec_dup(E, t, old);
    nc = own ? (nv_arr *)(uintptr_t)cyc : nv_arr_new(E, n);
    c0 = cyc->v[0].d;
    for (i = 1; i + 1 < n; i++)
        nc->v[i] = cyc->v[i + 1];
    if (n > 1)
        nc->v[n - 1] = nv_vd(c0);
    nc->v[0] = nv_vd(cn);
    r->f[ic] = nv_vp(nc);
    nv_set_d(t, r, "level", l);
    nv_set_d(t, r, "trend", tr);
    return nv_vp(r);
}

/* Holt-Winters forecasts: the level, trend and (if the state has them)
   the cycle and multiplicative fields, i steps ahead */
NV_RT double nv_hw_forecast(nv_eng *E, const nv_type *t, const nv_rec *s, int64_t i, int code)
{
    double l = nv_get_d(t, s, "level"), tr = nv_get_d(t, s, "trend");
    int ic = nv_field_index(t, "cycle"), im = nv_field_index(t, "multiplicative");
    const nv_arr *c;
    if (ic < 0 || im < 0)
        return l + i * tr;
    c = NV_ARR(s->f[ic]);
    if (c->n == 0)
        nv_raise(E, code, "empty cycle");
    return s->f[im].i ? (l + i * tr) * c->v[i % c->n].d : l + i * tr + c->v[i % c->n].d;
}

NV_RT nv_val nvf_stat_sample_forecast1HoltWinters(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    return nv_vd(nv_hw_forecast(E, T[1], NV_REC(a[0]), 1, 14060));
}

NV_RT nv_val nvf_stat_sample_forecastHoltWinters(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    int64_t n = a[0].i < 0 ? 0 : a[0].i, i;
    nv_arr *r = nv_arr_new(E, n);
    for (i = 1; i <= n; i++)
        r->v[i - 1] = nv_vd(nv_hw_forecast(E, T[2], NV_REC(a[1]), i, 14070));
    return nv_vp(r);
}

/* add w to the double field `name` of r (type t) if the type has it */
NV_RT void nv_add_flow(const nv_type *t, nv_rec *r, const char *name, double w)
{
    int i = nv_field_index(t, name);
    if (i >= 0)
        r->f[i] = nv_from_d(t->parts[i], nv_as_d(t->parts[i], r->f[i]) + w);
}

/* the bin of x in [low, high) of n bins (rounding kept inside) */
NV_RT int64_t nv_hist_bin(double x, double low, double high, int64_t n)
{
    double f = floor((x - low) / (high - low) * (double)n);
    return f < 0 ? 0 : f >= (double)n ? n - 1 : (int64_t)f;
}

/* a values array to change: v itself in place, or a copy of it with room
   for n items */
NV_RT nv_arr *nv_values(nv_eng *E, const nv_arr *v, int64_t n, int own)
{
    nv_arr *r;
    int64_t i;
    if (own && n == v->n)
        return (nv_arr *)(uintptr_t)v;
    if (n > ((int64_t)1 << 28))
        nv_raise(E, -1000, "out of memory");
    r = nv_arr_new(E, n);
    memcpy(r->v, v->v, sizeof(nv_val) * (size_t)(v->n < n ? v->n : n));
    for (i = v->n; i < n; i++)
        r->v[i] = nv_vd(0);
    return r;
}

NV_RT nv_val nvf_stat_sample_fillHistogram(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_type *t = T[3];
    const nv_rec *h = NV_REC(a[2]);
    double x = a[0].d, w = a[1].d;
    int own = nv_own(E, a[2]), ivals = nv_field_index(t, "values"), infflow = nv_field_index(t, "infflow") >= 0;
    const nv_arr *vals = NV_ARR(h->f[ivals]);
    const char *flow = NULL;
    int64_t idx = -1, n = vals->n, i;
    nv_rec *r;
    nv_arr *nv = NULL;
    int isinf_x = x == HUGE_VAL || x == -HUGE_VAL;
    if (nv_field_index(t, "numbins") >= 0 && nv_field_index(t, "high") >= 0) {
        int64_t nb = nv_d2l(nv_get_d(t, h, "numbins"));
        double low = nv_get_d(t, h, "low"), high = nv_get_d(t, h, "high");
        if (nb < 1)
            nv_raise(E, 14082, "bad histogram scale");
        if (n != nb)
            nv_raise(E, 14080, "wrong histogram size");
        if (!(low < high) || !nv_finite(low) || !nv_finite(high))
            nv_raise(E, 14081, "bad histogram range");
        flow = infflow && isinf_x ? "infflow" : x != x ? "nanflow" : x >= high ? "overflow" : x < low ? "underflow" : NULL;
        if (!flow)
            idx = nv_hist_bin(x, low, high, n);
    } else if (nv_field_index(t, "binsize") >= 0) {
        double low = nv_get_d(t, h, "low"), bs = nv_get_d(t, h, "binsize");
        if (!(bs > 0) || !nv_finite(bs))
            nv_raise(E, 14082, "bad histogram scale");
        flow = infflow && isinf_x ? "infflow" : x != x ? "nanflow" : x == HUGE_VAL ? "overflow"
               : x < low ? "underflow" : NULL;
        if (!flow) {
            double f = floor((x - low) / bs);
            if (!(f < (double)((int64_t)1 << 28)))
                nv_raise(E, -1000, "out of memory");
            idx = (int64_t)f;
            if (idx >= n)
                nv = nv_values(E, vals, idx + 1, 0);
        }
    } else {
        const nv_arr *ranges = NV_ARR(h->f[nv_field_index(t, "ranges")]);
        int hit = 0;
        if (ranges->n != n)
            nv_raise(E, 14080, "wrong histogram size");
        for (i = 0; i < n; i++) {
            const nv_arr *rg = NV_ARR(ranges->v[i]);
            if (rg->n != 2 || !nv_finite(rg->v[0].d) || !nv_finite(rg->v[1].d) || rg->v[0].d > rg->v[1].d)
                nv_raise(E, 14083, "bad histogram ranges");
        }
        nv = nv_values(E, vals, n, own);
        if (nv_finite(x))
            for (i = 0; i < n; i++) {
                const nv_arr *rg = NV_ARR(ranges->v[i]);
                double lo = rg->v[0].d, hi = rg->v[1].d;
                if ((lo == hi && x == lo) || (x >= lo && x < hi)) {
                    nv->v[i] = nv_vd(nv->v[i].d + w);
                    hit = 1;
                }
            }
        flow = infflow && isinf_x ? "infflow" : x != x ? "nanflow" : !hit ? "underflow" : NULL;
    }
    if (idx >= 0) {
        if (!nv)
            nv = nv_values(E, vals, n, own);
        nv->v[idx] = nv_vd(nv->v[idx].d + w);
    }
    /* a grown values array is the engine's, not the state's: a new record
       holds it, to be copied into the cell */
    r = own && (!nv || nv == vals) ? (nv_rec *)(uintptr_t)h : nv_rec_dup(E, t, h);
    if (nv)
        r->f[ivals] = nv_vp(nv);
    if (flow)
        nv_add_flow(t, r, flow, w);
    return nv_vp(r);
}

NV_RT nv_val nvf_stat_sample_fillHistogram2d(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_type *t = T[4];
    const nv_rec *h = NV_REC(a[3]);
    double x = a[0].d, y = a[1].d, w = a[2].d;
    double xlo = nv_get_d(t, h, "xlow"), xhi = nv_get_d(t, h, "xhigh"), ylo = nv_get_d(t, h, "ylow");
    double yhi = nv_get_d(t, h, "yhigh");
    int64_t nx = nv_d2l(nv_get_d(t, h, "xnumbins")), ny = nv_d2l(nv_get_d(t, h, "ynumbins")), i;
    int own = nv_own(E, a[3]), ivals = nv_field_index(t, "values");
    const nv_arr *vals = NV_ARR(h->f[ivals]);
    const char *flow = NULL;
    nv_rec *r;
    if (nx < 1 || ny < 1)
        nv_raise(E, 14092, "bad histogram scale");
    if (vals->n != nx)
        nv_raise(E, 14090, "wrong histogram size");
    for (i = 0; i < nx; i++)
        if (NV_ARR(vals->v[i])->n != ny)
            nv_raise(E, 14090, "wrong histogram size");
    if (!(xlo < xhi) || !(ylo < yhi) || !nv_finite(xlo) || !nv_finite(xhi) || !nv_finite(ylo) || !nv_finite(yhi))
        nv_raise(E, 14091, "bad histogram range");
    r = own ? (nv_rec *)(uintptr_t)h : nv_rec_dup(E, t, h);
    if (x != x || y != y)
        flow = "nanflow";
    else if (nv_field_index(t, "infflow") >= 0 && (!nv_finite(x) || !nv_finite(y)))
        flow = "infflow";
    else {
        int xs = x < xlo ? 0 : x < xhi ? 1 : 2, ys = y < ylo ? 0 : y < yhi ? 1 : 2;
        static const char *const names[3][3] = {{"underunderflow", "undermidflow", "underoverflow"},
                                                {"midunderflow", NULL, "midoverflow"},
                                                {"overunderflow", "overmidflow", "overoverflow"}};
        flow = names[xs][ys];
        if (!flow) {
            int64_t bx = nv_hist_bin(x, xlo, xhi, nx), by = nv_hist_bin(y, ylo, yhi, ny);
            nv_arr *nvs = nv_values(E, vals, nx, own), *row = nv_values(E, NV_ARR(vals->v[bx]), ny, own);
            row->v[by] = nv_vd(row->v[by].d + w);
            nvs->v[bx] = nv_vp(row);
            r->f[ivals] = nv_vp(nvs);
        }
    }
    if (flow)
        nv_add_flow(t, r, flow, w);
    return nv_vp(r);
}

NV_RT nv_val nvf_stat_sample_fillCounter(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_type *t = T[3];
    const nv_rec *c = NV_REC(a[2]);
    int iv = nv_field_index(t, "values"), own = nv_own(E, a[2]);
    const nv_map *m = NV_MAP(c->f[iv]);
    nv_str *k = (nv_str *)a[0].p;
    int64_t i = nv_map_find(m, k);
    nv_rec *r;
    if (own && i >= 0) {
        ((nv_map *)(uintptr_t)m)->e[i].v = nv_vd(m->e[i].v.d + a[1].d);
        return a[2];
    }
    r = nv_rec_dup(E, t, c);
    r->f[iv] = nv_vp(nv_map_with(E, m, k, nv_vd((i >= 0 ? m->e[i].v.d : 0) + a[1].d)));
    return nv_vp(r);
}

NV_RT int nv_is_ptr_kind(int k)
{
    return k != NV_NULL && k != NV_BOOL && k != NV_INT && k != NV_LONG && k != NV_FLOAT && k != NV_DOUBLE
           && k != NV_ENUM;
}

NV_RT nv_val nvf_stat_sample_topN(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *top = NV_ARR(a[1]);
    int64_t n = a[2].i, i, at = top->n, len;
    int own = nv_own(E, a[1]);
    nv_arr *r;
    if (n <= 0)
        return nv_vp(nv_arr_new(E, 0));
    for (i = 0; i < top->n; i++)
        if (nv_call2(E, a[3], top->v[i], a[0]).i) {
            at = i;
            break;
        }
    len = top->n + 1 < n ? top->n + 1 : n;
    if (at >= len) {
        /* x is not among the top n: top, truncated */
        return top->n <= n ? a[1] : nv_vp(nv_arr_slice(E, top, 0, n));
    }
    if (own && len == top->n && !nv_is_ptr_kind(T[1]->kind)) {
        /* full: shift the tail in place, the last one falls out */
        r = (nv_arr *)(uintptr_t)top;
        memmove(r->v + at + 1, r->v + at, sizeof(nv_val) * (size_t)(len - at - 1));
    } else {
        r = nv_arr_new(E, len);
        memcpy(r->v, top->v, sizeof(nv_val) * (size_t)at);
        memcpy(r->v + at + 1, top->v + at, sizeof(nv_val) * (size_t)(len - at - 1));
    }
    r->v[at] = a[0];
    return nv_vp(r);
}

/*@ section change needs core vec own */
/* ---- stat.change ---- */

NV_RT void nv_set_int(nv_eng *E, const nv_type *t, nv_rec *r, const char *name, int64_t v, int code)
{
    int i = nv_field_index(t, name);
    if (t->parts[i]->kind == NV_LONG)
        r->f[i] = nv_vl(v);
    else {
        if (v > INT32_MAX)
            nv_raise(E, code, "counter out of range");
        r->f[i] = nv_vi((int32_t)v);
    }
}

NV_RT nv_val nvf_stat_change_updateTrigger(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_type *t = T[2];
    const nv_rec *h = NV_REC(a[1]);
    int64_t ne = nv_get_int(t, h, "numEvents"), nr = nv_get_int(t, h, "numRuns");
    int64_t cr = nv_get_int(t, h, "currentRun"), lr = nv_get_int(t, h, "longestRun");
    nv_rec *r;
    if (ne < 0 || nr < 0 || cr < 0 || lr < 0)
        nv_raise(E, 37000, "counter out of range");
    /* the counters must fit their fields after the increments: checked
       before any write, as the state may be changed in place */
    if (a[0].i && (ne >= (t->parts[nv_field_index(t, "numEvents")]->kind == NV_LONG ? INT64_MAX : INT32_MAX)
                   || nr >= (t->parts[nv_field_index(t, "numRuns")]->kind == NV_LONG ? INT64_MAX : INT32_MAX)
                   || cr >= (t->parts[nv_field_index(t, "currentRun")]->kind == NV_LONG ? INT64_MAX : INT32_MAX)))
        nv_raise(E, 37000, "counter out of range");
    if (a[0].i) {
        ne++;
        if (cr == 0)
            nr++;
        cr++;
        if (cr > lr)
            lr = cr;
    } else
        cr = 0;
    r = nv_own(E, a[1]) ? (nv_rec *)(uintptr_t)h : nv_rec_dup(E, t, h);
    nv_set_int(E, t, r, "numEvents", ne, 37000);
    nv_set_int(E, t, r, "numRuns", nr, 37000);
    nv_set_int(E, t, r, "currentRun", cr, 37000);
    nv_set_int(E, t, r, "longestRun", lr, 37000);
    return nv_vp(r);
}

NV_RT nv_val nvf_stat_change_zValue(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_type *t = T[2];
    const nv_rec *s = NV_REC(a[1]);
    double mean = nv_get_d(t, s, "mean"), var = nv_get_d(t, s, "variance");
    double z = (a[0].d - mean) / (var >= 0 ? sqrt(var) : NAN);
    (void)E;
    if (T[3] && a[2].i) {
        double c = nv_get_d(t, s, "count"), f = c / (c - 1);
        z *= f >= 0 ? sqrt(f) : NAN;
    }
    return nv_vd(z);
}

NV_RT nv_val nvf_stat_change_updateCUSUM(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double s = a[0].d + a[1].d;
    (void)E;
    (void)T;
    return nv_vd(s > a[2].d ? s : a[2].d);
}

/*@ section stattest needs core array vec own kernel_dist kernel_linalg */
/* ---- stat.test, and the deprecated model.reg copies of it ---- */
NV_RT void nv_keys_match(nv_eng *E, const nv_map *x, const nv_map *y, int code, const char *what)
{
    int64_t i;
    if (x->n != y->n)
        nv_raise(E, code, what);
    for (i = 0; i < x->n; i++)
        if (!nv_str_eq(x->e[i].k, y->e[i].k))
            nv_raise(E, code, what);
}

/* (o - p) or (o - p)/u, element-wise on doubles, arrays or maps */
NV_RT nv_val nv_residual(nv_eng *E, const nv_type *const *T, const nv_val *a, int pull, int code)
{
    int64_t i;
    if (T[1]->kind == NV_DOUBLE)
        return nv_vd(pull ? (a[0].d - a[1].d) / a[2].d : a[0].d - a[1].d);
    if (T[1]->kind == NV_ARRAY) {
        const nv_arr *o = NV_ARR(a[0]), *p = NV_ARR(a[1]), *u = pull ? NV_ARR(a[2]) : NULL;
        nv_arr *r;
        if (p->n != o->n)
            nv_raise(E, code, "misaligned prediction");
        if (u && u->n != o->n)
            nv_raise(E, code + 1, "misaligned uncertainty");
        r = nv_arr_new(E, o->n);
        for (i = 0; i < o->n; i++)
            r->v[i] = nv_vd(u ? (o->v[i].d - p->v[i].d) / u->v[i].d : o->v[i].d - p->v[i].d);
        return nv_vp(r);
    } else {
        const nv_map *o = NV_MAP(a[0]), *p = NV_MAP(a[1]), *u = pull ? NV_MAP(a[2]) : NULL;
        nv_map *r;
        nv_keys_match(E, o, p, code, "misaligned prediction");
        if (u)
            nv_keys_match(E, o, u, code + 1, "misaligned uncertainty");
        r = nv_map_new(E, o->n);
        for (i = 0; i < o->n; i++) {
            r->e[i].k = o->e[i].k;
            r->e[i].v = nv_vd(u ? (o->e[i].v.d - p->e[i].v.d) / u->e[i].v.d : o->e[i].v.d - p->e[i].v.d);
        }
        return nv_vp(r);
    }
}

NV_RT nv_val nvf_stat_test_residual(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_residual(E, T, a, 0, 38010); }
NV_RT nv_val nvf_stat_test_pull(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_residual(E, T, a, 1, 38020); }
NV_RT nv_val nvf_model_reg_residual(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_residual(E, T, a, 0, 31020); }
NV_RT nv_val nvf_model_reg_pull(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_residual(E, T, a, 1, 31030); }

/* x^T C^-1 x by solving C z = x (the least-squares solution when C is
   exactly singular) */
NV_RT double nv_quad_inv(nv_eng *E, double *c, const double *x, int64_t n)
{
    int64_t *perm = (int64_t *)nv_alloc(E, sizeof(int64_t) * (size_t)n), i, j;
    double *z = nv_dalloc(E, n), *copy = nv_dalloc(E, nv_size2(E, n, n)), s = 0;
    nv_poll poll;
    poll.fn = nv_tick_now;
    poll.ctx = E;
    memcpy(copy, c, sizeof(double) * (size_t)(n * n));
    memcpy(z, x, sizeof(double) * (size_t)n);
    if (nv_lu(copy, n, perm, &poll))
        nv_lu_solve(copy, n, perm, z, nv_dalloc(E, n));
    else {
        double *pinv = nv_dalloc(E, n * n);
        nv_pinv_tall(c, n, n, pinv, nv_dalloc(E, n * n), nv_dalloc(E, n), &poll);
        for (i = 0; i < n; i++) {
            z[i] = 0;
            for (j = 0; j < n; j++)
                z[i] += pinv[i * n + j] * x[j];
        }
    }
    for (i = 0; i < n; i++)
        s += x[i] * z[i];
    return s;
}

NV_RT nv_val nv_mahalanobis(nv_eng *E, const nv_type *const *T, const nv_val *a, int code)
{
    int64_t n, i, j;
    double *x, *c, s;
    if (T[1]->kind == NV_ARRAY) {
        const nv_arr *o = NV_ARR(a[0]), *p = NV_ARR(a[1]), *cv = NV_ARR(a[2]);
        n = o->n;
        if (n < 1)
            nv_raise(E, code, "too few rows/cols");
        if (p->n != n)
            nv_raise(E, code + 1, "misaligned prediction");
        if (cv->n != n)
            nv_raise(E, code + 2, "misaligned covariance");
        for (i = 0; i < n; i++)
            if (NV_ARR(cv->v[i])->n != n)
                nv_raise(E, code + 2, "misaligned covariance");
        x = nv_dalloc(E, n);
        for (i = 0; i < n; i++)
            x[i] = o->v[i].d - p->v[i].d;
        c = nv_dmat(E, cv, n);
    } else {
        const nv_map *o = NV_MAP(a[0]), *p = NV_MAP(a[1]), *cv = NV_MAP(a[2]);
        n = o->n;
        if (n < 1)
            nv_raise(E, code, "too few rows/cols");
        nv_keys_match(E, o, p, code + 1, "misaligned prediction");
        x = nv_dalloc(E, n);
        c = nv_dalloc(E, nv_size2(E, n, n));
        for (i = 0; i < n; i++) {
            int64_t r = nv_map_find(cv, o->e[i].k);
            x[i] = o->e[i].v.d - p->e[i].v.d;
            if (r < 0)
                nv_raise(E, code + 2, "misaligned covariance");
            for (j = 0; j < n; j++) {
                const nv_map *row = NV_MAP(cv->e[r].v);
                int64_t k = nv_map_find(row, o->e[j].k);
                if (k < 0)
                    nv_raise(E, code + 2, "misaligned covariance");
                c[i * n + j] = row->e[k].v.d;
            }
        }
    }
    s = nv_quad_inv(E, c, x, n);
    return nv_vd(s < 0 ? NAN : sqrt(s));
}

NV_RT nv_val nvf_stat_test_mahalanobis(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_mahalanobis(E, T, a, 38030); }
NV_RT nv_val nvf_model_reg_mahalanobis(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_mahalanobis(E, T, a, 31040); }

/* chi2 += the squared pulls, dof += 1 (the field is "dof", or "DOF" in
   the deprecated model.reg form) */
NV_RT nv_val nv_update_chi2(nv_eng *E, const nv_type *const *T, const nv_val *a, const char *dof)
{
    const nv_type *t = T[2];
    const nv_rec *s = NV_REC(a[1]);
    double sum = 0;
    int64_t i, d = nv_get_int(t, s, dof);
    nv_rec *r;
    if (T[1]->kind == NV_DOUBLE)
        sum = a[0].d * a[0].d;
    else if (T[1]->kind == NV_ARRAY)
        for (i = 0; i < NV_ARR(a[0])->n; i++)
            sum += NV_ARR(a[0])->v[i].d * NV_ARR(a[0])->v[i].d;
    else
        for (i = 0; i < NV_MAP(a[0])->n; i++)
            sum += NV_MAP(a[0])->e[i].v.d * NV_MAP(a[0])->e[i].v.d;
    {
        int f = nv_field_index(t, dof);
        /* checked before any write: the state may be changed in place */
        if (d >= (t->parts[f]->kind == NV_LONG ? INT64_MAX : INT32_MAX))
            nv_raise(E, -1000, "dof overflow");
        r = nv_own(E, a[1]) ? (nv_rec *)(uintptr_t)s : nv_rec_dup(E, t, s);
        nv_set_d(t, r, "chi2", nv_get_d(t, s, "chi2") + sum);
        r->f[f] = t->parts[f]->kind == NV_LONG ? nv_vl(d + 1) : nv_vi((int32_t)(d + 1));
    }
    return nv_vp(r);
}

NV_RT nv_val nvf_stat_test_updateChi2(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_update_chi2(E, T, a, "dof"); }
NV_RT nv_val nvf_model_reg_updateChi2(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_update_chi2(E, T, a, "DOF"); }

NV_RT nv_val nvf_stat_test_reducedChi2(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    return nv_vd(nv_get_d(T[1], NV_REC(a[0]), "chi2") / (double)nv_get_int(T[1], NV_REC(a[0]), "dof"));
}

NV_RT nv_val nvf_model_reg_reducedChi2(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    return nv_vd(nv_get_d(T[1], NV_REC(a[0]), "chi2") / (double)nv_get_int(T[1], NV_REC(a[0]), "DOF"));
}

/* the chi-square distribution function at chi2 for dof degrees of freedom */
NV_RT nv_val nv_chi2_prob(nv_eng *E, const nv_type *const *T, const nv_val *a, const char *dof, int code)
{
    double chi2 = nv_get_d(T[1], NV_REC(a[0]), "chi2");
    int64_t d = nv_get_int(T[1], NV_REC(a[0]), dof);
    if (d < 0)
        nv_raise(E, code, "invalid parameterization");
    if (d == 0)
        return nv_vd(chi2 > 0 ? 1 : 0);
    return nv_vd(nv_gamma_cdf(chi2, d / 2.0, 2, 0));
}

NV_RT nv_val nvf_stat_test_chi2Prob(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_chi2_prob(E, T, a, "dof", 38060); }
NV_RT nv_val nvf_model_reg_chi2Prob(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_chi2_prob(E, T, a, "DOF", 31070); }

NV_RT int nv_dcmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* the two-sample Kolmogorov-Smirnov test: the probability, by the
   Kolmogorov distribution with Stephens' correction of the effective size,
   of a distance as large as the one between the empirical distributions
   of x and y (NaN values left out) */
NV_RT nv_val nvf_stat_test_kolmogorov(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    const nv_arr *xa = NV_ARR(a[0]), *ya = NV_ARR(a[1]);
    double *x = nv_dalloc(E, xa->n), *y = nv_dalloc(E, ya->n), d = 0, f1 = 0, f2 = 0, en;
    int64_t n1 = 0, n2 = 0, i, j1 = 0, j2 = 0;
    int same;
    (void)T;
    for (i = 0; i < xa->n; i++)
        if (xa->v[i].d == xa->v[i].d)
            x[n1++] = xa->v[i].d;
    for (i = 0; i < ya->n; i++)
        if (ya->v[i].d == ya->v[i].d)
            y[n2++] = ya->v[i].d;
    qsort(x, (size_t)n1, sizeof(double), nv_dcmp);
    qsort(y, (size_t)n2, sizeof(double), nv_dcmp);
    same = n1 == n2;
    for (i = 0; same && i < n1; i++)
        same = x[i] == y[i];
    if (same)
        return nv_vd(1);
    if (n1 == 0 || n2 == 0)
        return nv_vd(0);
    while (j1 < n1 && j2 < n2) {
        double d1 = x[j1], d2 = y[j2];
        if (d1 <= d2)
            f1 = (double)++j1 / (double)n1;
        if (d2 <= d1)
            f2 = (double)++j2 / (double)n2;
        if (fabs(f2 - f1) > d)
            d = fabs(f2 - f1);
    }
    en = sqrt((double)n1 * (double)n2 / ((double)n1 + (double)n2));
    return nv_vd(nv_kolmogorov_q((en + 0.12 + 0.11 / en) * d));
}
