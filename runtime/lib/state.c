/* state.c -- the per-entity state of a PMML model with Lag or Aggregate:
 * for each entity (the records whose key fields hold the same values) a
 * slot of values of its earlier records, in a hash map bounded by a number
 * of entities, beyond which the least recently seen one is forgotten.
 *
 * Why here: the generated unit prints only its slot's layout and the code
 * that reads and fills it (per model); keeping entities apart, finding
 * them, bounding and forgetting them is the same for every model.  The
 * state object belongs to the host (P_state_new, P_state_reset,
 * P_state_free in the generated API): nothing here is global, and one
 * state object must not be used by two threads at once.  Memory comes from
 * malloc; when it runs out, the record fails with NERVA_ERROR and the state
 * is left as it was.  Tested in tests/unit/test_pmml_rt.c. */

/*@ section pmml_state needs kernel_agg scratch */
typedef struct nv_ent {
    struct nv_ent *hnext;          /* the next entity of its hash bucket */
    struct nv_ent *older, *newer;  /* the order of last use */
    uint64_t hash;
    size_t klen;
    /* then the slot (aligned for doubles and pointers), then the key */
} nv_ent;

typedef struct nv_smap {
    nv_ent **buckets;
    size_t nb;                     /* buckets: a power of two */
    size_t n, max;                 /* entities held; the bound (0: none) */
    nv_ent *newest, *oldest;
    unsigned long long evicted;    /* entities forgotten to keep the bound */
    size_t slot;                   /* bytes of a slot */
    void (*free_slot)(void *slot); /* frees what a slot owns (its strings), or NULL */
} nv_smap;

/* a record's key: its key fields' values, as bytes */
typedef struct nv_key {
    unsigned char *buf;
    size_t len, cap;
    int oom;
} nv_key;

#define NV_ENT_HEAD ((sizeof(nv_ent) + 15) / 16 * 16)

NV_RT void *nv_ent_slot(nv_ent *e) { return (char *)e + NV_ENT_HEAD; }

NV_RT unsigned char *nv_ent_key(nv_smap *m, nv_ent *e) { return (unsigned char *)e + NV_ENT_HEAD + m->slot; }

NV_RT nv_smap *nv_smap_new(size_t slot, size_t max, void (*free_slot)(void *))
{
    nv_smap *m = (nv_smap *)calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->nb = 64;
    m->buckets = (nv_ent **)calloc(m->nb, sizeof *m->buckets);
    if (!m->buckets) {
        free(m);
        return NULL;
    }
    m->slot = (slot + 15) / 16 * 16;
    m->max = max;
    m->free_slot = free_slot;
    return m;
}

NV_RT void nv_ent_unlink(nv_smap *m, nv_ent *e)
{
    if (e->older) e->older->newer = e->newer; else m->oldest = e->newer;
    if (e->newer) e->newer->older = e->older; else m->newest = e->older;
    e->older = e->newer = NULL;
}

NV_RT void nv_ent_drop(nv_smap *m, nv_ent *e)
{
    nv_ent **pp = &m->buckets[e->hash & (m->nb - 1)];
    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    nv_ent_unlink(m, e);
    if (m->free_slot)
        m->free_slot(nv_ent_slot(e));
    free(e);
    m->n--;
}

/* forgets every entity */
NV_RT void nv_smap_reset(nv_smap *m)
{
    while (m->newest)
        nv_ent_drop(m, m->newest);
    m->evicted = 0;
}

NV_RT void nv_smap_free(nv_smap *m)
{
    if (!m)
        return;
    nv_smap_reset(m);
    free(m->buckets);
    free(m);
}

/* the slot of the entity with this key, made (zeroed) when it is new and
   marked the most recently used; NULL when memory runs out */
NV_RT void *nv_smap_get(nv_smap *m, const unsigned char *key, size_t klen)
{
    uint64_t h = 1469598103934665603ULL;
    size_t i;
    nv_ent *e;
    for (i = 0; i < klen; i++)
        h = (h ^ key[i]) * 1099511628211ULL;
    for (e = m->buckets[h & (m->nb - 1)]; e; e = e->hnext)
        if (e->hash == h && e->klen == klen && memcmp(nv_ent_key(m, e), key, klen) == 0) {
            if (m->newest != e) {
                nv_ent_unlink(m, e);
                e->older = m->newest;
                if (m->newest) m->newest->newer = e; else m->oldest = e;
                m->newest = e;
            }
            return nv_ent_slot(e);
        }
    if (m->n >= m->nb) {
        /* grow: twice the buckets, entities rehashed */
        nv_ent **nb = (nv_ent **)calloc(m->nb * 2, sizeof *nb), *x, *next;
        if (!nb)
            return NULL;
        for (i = 0; i < m->nb; i++)
            for (x = m->buckets[i]; x; x = next) {
                next = x->hnext;
                x->hnext = nb[x->hash & (m->nb * 2 - 1)];
                nb[x->hash & (m->nb * 2 - 1)] = x;
            }
        free(m->buckets);
        m->buckets = nb;
        m->nb *= 2;
    }
    e = (nv_ent *)calloc(1, NV_ENT_HEAD + m->slot + klen + 1);
    if (!e)
        return NULL;
    if (m->max && m->n >= m->max) {
        nv_ent_drop(m, m->oldest);
        m->evicted++;
    }
    e->hash = h;
    e->klen = klen;
    if (klen)
        memcpy(nv_ent_key(m, e), key, klen);
    e->hnext = m->buckets[h & (m->nb - 1)];
    m->buckets[h & (m->nb - 1)] = e;
    e->older = m->newest;
    if (m->newest) m->newest->newer = e; else m->oldest = e;
    m->newest = e;
    m->n++;
    return nv_ent_slot(e);
}

NV_RT void nv_key_reset(nv_key *k)
{
    k->len = 0;
    k->oom = 0;
}

NV_RT void nv_key_put(nv_key *k, const void *p, size_t n)
{
    if (k->len + n > k->cap) {
        size_t cap = (k->len + n) * 2 + 64;
        unsigned char *b = (unsigned char *)realloc(k->buf, cap);
        if (!b) {
            k->oom = 1;
            return;
        }
        k->buf = b;
        k->cap = cap;
    }
    memcpy(k->buf + k->len, p, n);
    k->len += n;
}

/* a number key field: present or not, then its value (-0 as 0, one NaN) */
NV_RT void nv_key_num(nv_key *k, int present, double v)
{
    unsigned char tag = (unsigned char)(present ? 1 : 0);
    nv_key_put(k, &tag, 1);
    if (!present)
        return;
    if (v == 0)
        v = 0;
    if (v != v)
        v = NAN;
    nv_key_put(k, &v, sizeof v);
}

/* a string key field (NULL: missing): its bytes and the NUL */
NV_RT void nv_key_str(nv_key *k, const char *s)
{
    unsigned char tag = (unsigned char)(s ? 1 : 0);
    nv_key_put(k, &tag, 1);
    if (s)
        nv_key_put(k, s, strlen(s) + 1);
}

/* a string the state keeps (the caller frees it) */
NV_RT char *nv_heap_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = (char *)malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

/* a string of the state, copied into the record's scratch area (the state
   changes with the next record; the record's outputs must not) */
NV_RT const char *nv_state_text(nv_scratch *S, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = nv_salloc(S, n);
    if (!p)
        return "";
    memcpy(p, s, n);
    return p;
}

/* A Lag's aggregate over the values v[0..n) (oldest first) whose miss[i]
   is 0: fn 0 avg, 1 max, 2 median, 3 min, 4 product, 5 sum (nv_agg's
   rules), 6 stddev (the sample standard deviation, n - 1 in the
   denominator, 0 for one value, as commons-math computes it).  Returns 0 when no
   value is present. */
NV_RT int nv_lag_agg(int fn, double *v, unsigned char *miss, int n, double *out)
{
    static const int op[] = {3, 1, 5, 0, 4, 2};
    int i, k = 0;
    double mean = 0, ss = 0;
    if (fn != 6)
        return nv_agg(op[fn], v, miss, n, out);
    for (i = 0; i < n; i++)
        if (!miss[i]) {
            /* commons-math's FirstMoment and SecondMoment, step by step */
            double dev = v[i] - mean, ndev;
            k++;
            ndev = dev / k;
            mean += ndev;
            ss += (k - 1.0) * dev * ndev;
        }
    if (!k)
        return 0;
    *out = k == 1 ? 0.0 : sqrt(ss / (k - 1));
    return 1;
}
