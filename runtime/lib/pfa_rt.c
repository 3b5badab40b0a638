/* pfa_rt.c -- the run-time support of PFA engines that nerva generates.
 *
 * Why it looks like this: a generated engine must need only libc and libm,
 * so nerva copies the parts of this file that an engine uses into its own
 * translation unit, by the section mechanism every file of runtime/lib/
 * shares (see base.c).  It compiles as part of lib.c (the unit tests do
 * that).
 *
 * Values: scalars are C scalars (boolean and enum as int32_t); strings,
 * bytes and fixed are nv_str (length + bytes, NUL-terminated); arrays,
 * maps (sorted by key), records, union values and function values are
 * pointers to immutable structs.  nv_val holds any of them in 8 bytes.
 * Static type descriptors (nv_type) drive the generic operations: compare,
 * convert, copy, and the Avro JSON codec.
 *
 * Memory: everything an action makes comes from the engine's arena, which is
 * reset when the action ends.  Cells and pools keep deep copies in arenas of
 * their own; a replaced value is freed when the action ends (or, for
 * rollback state, restored when the action fails).
 *
 * Errors: nv_raise() longjmps to the innermost handler with the spec's
 * numeric code; "try" installs a handler (nv_try). */

/*@ section core needs prelude */
/* A PFA function may call itself on every path (a document's mistake, or a
   loop written as recursion): the engine bounds it at run time (error
   -1002, too many nested calls), so GCC's compile-time warning about it
   would only stop a host's -Werror build of a valid document. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic ignored "-Winfinite-recursion"
#endif
#if defined(__clang__)
#pragma clang diagnostic ignored "-Winfinite-recursion"
#endif

/* ---- values ---- */
typedef union nv_val {
    int32_t i;      /* null (0), boolean, int, enum */
    int64_t l;
    float f;
    double d;
    void *p;        /* string, bytes, fixed, array, map, record, union, function */
} nv_val;

enum {
    NV_NULL, NV_BOOL, NV_INT, NV_LONG, NV_FLOAT, NV_DOUBLE, NV_STRING, NV_BYTES,
    NV_ARRAY, NV_MAP, NV_RECORD, NV_ENUM, NV_FIXED, NV_UNION, NV_FN
};

typedef struct nv_type nv_type;
struct nv_type {
    int kind;
    const char *name;               /* named types; union branch tags use it */
    const nv_type *items;           /* array items, map values, function result */
    const nv_type *const *parts;    /* union branches, record fields, parameters */
    const char *const *names;       /* record field names, enum symbols */
    const char *const *defaults;    /* record field defaults (Avro JSON) or NULL */
    int n;                          /* parts / names */
    int size;                       /* fixed */
};

typedef struct nv_str { int64_t n; const char *s; } nv_str;
typedef struct nv_arr { int64_t n; nv_val *v; } nv_arr;
typedef struct nv_ment { nv_str *k; nv_val v; } nv_ment;
typedef struct nv_map { int64_t n; nv_ment *e; } nv_map;     /* keys sorted */
typedef struct nv_rec { nv_val *f; } nv_rec;
typedef struct nv_uni { int32_t tag; nv_val v; } nv_uni;

struct nv_eng;
typedef struct nv_fn nv_fn;
typedef nv_val (*nv_fnptr)(struct nv_eng *E, const nv_fn *self, const nv_val *args);
struct nv_fn { nv_fnptr call; int n; nv_val *env; };

/* ---- arenas ---- */
typedef struct nv_block {
    struct nv_block *next;
    size_t cap, used;
    double align_;                  /* data follows, aligned for any value */
} nv_block;

typedef struct nv_arena {
    nv_block *head;
    size_t chunk;                   /* block size; 0: 16 KiB */
} nv_arena;

/* ---- persistent state ---- */
typedef struct nv_cell {
    nv_val v;
    nv_arena *a;                    /* owns v */
    nv_val saved;                   /* rollback: the value at the action's start */
    nv_arena *saved_a;
    int dirty;
    uint64_t seen;                  /* the call (E->epoch) that last read v (see nv_grant) */
} nv_cell;

typedef struct nv_pitem { nv_str *k; nv_val v; nv_arena *a; uint64_t seen; } nv_pitem;

typedef struct nv_pool {
    int64_t n, cap;
    nv_pitem *items;                /* sorted by key */
    nv_pitem *saved;                /* rollback: the items at the action's start */
    int64_t nsaved;
    nv_arena **news, **olds;        /* rollback: arenas made / replaced since */
    int64_t nnews, nolds, capnews, capolds;
    int dirty;
} nv_pool;

typedef void (*nv_outfn)(void *ctx, const char *json, size_t len);

/* the Mersenne Twister's state, and random.gauss's second deviate */
typedef struct nv_mt {
    uint32_t mt[624];
    int i;                          /* the next word of mt; 624: twist first */
    int has_gauss;
    double gauss_next;
} nv_mt;

/* NV_PFA_RAND: the engine draws pseudorandom numbers.  At 0 it has no
   generator (2.5 KB less per engine) and no seeding: the backend defines
   it from the library functions a unit keeps (every draw goes through
   nv_rng); the shared runtime keeps them all. */
#ifndef NV_PFA_RAND
#define NV_PFA_RAND 1
#endif

/* the host's lock over the shared cells and pools of a battery of engines */
typedef struct nv_shared {
    void (*lock)(void *ctx);
    void (*unlock)(void *ctx);
    void *ctx;
    int64_t engines;                /* engines started on it: the next one's index */
#if NV_PFA_RAND
    /* where the battery's chain of seeds has got to (nv_seed): the
       generator engine `chained` starts from, once `chain_set` */
    nv_mt chain;
    int64_t chained;
    int chain_set;
#endif
} nv_shared;

typedef struct nv_eng {
    nv_arena tmp;                   /* temporaries of one call */
    nv_arena *cur;                  /* where nv_alloc allocates */
    jmp_buf *jb;                    /* innermost error handler */
    int err_code;
    char err_msg[512];
    size_t err_len;
    int64_t started, finished;
    nv_cell *cells;
    nv_pool *pools;
    nv_val *consts;
    nv_arena konst;                 /* constants, for the engine's life */
    nv_arena **grave;               /* freed when the call ends */
    int64_t ngrave, capgrave;
    nv_outfn out;                   /* emit: where output goes */
    void *out_ctx;
    const nv_type *out_type;
    int ncells, npools;
    int depth;                      /* nesting of user function calls */
#if NV_PFA_RAND
    nv_mt rng;                      /* pseudorandom state (randseed): nv_seed */
#endif
    int vdepth;                     /* nesting of values being copied or written */
    double deadline;                /* options.timeout: monotonic ms, 0 none */
    int64_t timeout_ms;
    uint32_t ticks;
    int expired;                    /* past the deadline: every tick raises */
    int64_t host_ms;                /* P_set_timeout: for routines the document gives none (-1) */
    nv_cell *scells;                /* where "shared" cells and pools live: the */
    nv_pool *spools;                /* battery's block, or the engine's own */
    nv_shared *sh;                  /* the battery's lock and chain of seeds; NULL: an engine alone */
    int held;                       /* nesting of the lock in this engine */
    void *re_cache;                 /* compiled patterns (pfa_lib.c: regex) */
    void (*re_free)(void *);        /* and how they are freed */
    const char *stack_base;         /* where the running routine's stack began */
    void *mut;                      /* a cell's or pool item's value an updater may change in place */
    uint64_t epoch;                 /* counts the routine calls (begin, actions, end, merge) */
    int64_t index;                  /* its place in its battery (0 alone): which pseudorandom stream */
} nv_eng;

/* values nested deeper than this are refused when copied or written out,
   rather than exhausting the stack */
#define NV_MAX_VALUE_DEPTH 10000

NV_RT NV_NORETURN void nv_raise(nv_eng *E, int code, const char *msg)
{
    size_t n = strlen(msg);
    if (n >= sizeof E->err_msg)
        n = sizeof E->err_msg - 1;
    memcpy(E->err_msg, msg, n);
    E->err_msg[n] = 0;
    E->err_len = n;
    E->err_code = code;
    longjmp(*E->jb, 1);
}

/* a user error: the message may hold any bytes */
NV_RT NV_NORETURN void nv_raise_user(nv_eng *E, int code, const char *msg, int64_t n)
{
    if (n >= (int64_t)sizeof E->err_msg)
        n = (int64_t)sizeof E->err_msg - 1;
    memcpy(E->err_msg, msg, (size_t)n);
    E->err_msg[n] = 0;
    E->err_len = (size_t)n;
    E->err_code = code;
    longjmp(*E->jb, 1);
}

/* options.timeout (or the host's, P_set_timeout): a routine (begin, action,
   end) given ms milliseconds (-1: no limit) raises once it runs past them.
   Engines call nv_tick at each loop iteration and user function call; the
   clock is read every 1024 ticks, so the check costs a counter where it does
   not fire, and nothing more than that without a deadline.
   Once past the deadline every tick raises, so a "try" that catches the
   timeout inside a loop does not keep the routine running: the loop's own
   next tick raises outside it. */
NV_RT double nv_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

NV_RT void nv_deadline(nv_eng *E, int64_t ms)
{
    E->timeout_ms = ms;
    E->deadline = ms >= 0 ? nv_now_ms() + (double)ms : 0;
    E->ticks = 0;
    E->expired = 0;
}

NV_RT void nv_tick(nv_eng *E)
{
    if (E->deadline > 0 && (E->expired || ((++E->ticks & 1023u) == 0 && nv_now_ms() >= E->deadline))) {
        char msg[80];
        snprintf(msg, sizeof msg, "exceeded timeout of %lld milliseconds", (long long)E->timeout_ms);
        E->expired = 1;
        nv_raise(E, INT_MIN, msg);
    }
}

/* User function calls may use this much stack, counted from where the
   running routine (begin, action, end) started, so that a deep recursion of
   big frames is a PFA error (-1002, as too many calls) rather than a stack
   overflow that kills the host.  Hosts give engines at least twice this
   (8 MiB is the usual main-thread stack).  A function calls nv_stack on
   entry with the address of its parameter E (in its own frame) and the most
   its frame can hold. */
#define NV_STACK_BUDGET ((size_t)4 << 20)

NV_RT void nv_stack(nv_eng *E, const void *here, size_t frame)
{
    uintptr_t a = (uintptr_t)here, b = (uintptr_t)E->stack_base;
    if (E->stack_base && (a < b ? b - a : a - b) + frame > NV_STACK_BUDGET)
        nv_raise(E, -1002, "nested function calls need more than 4 MiB of stack");
}

/* the clock read at once: a library kernel's poll (linalg.c's nv_poll)
   between two long steps, where counting ticks would read it too rarely */
NV_RT void nv_tick_now(void *ctx)
{
    nv_eng *E = (nv_eng *)ctx;
    E->ticks |= 1023u;
    nv_tick(E);
}

/* Shared cells and pools: one lock over the battery's block, taken
   re-entrantly per engine, so that reading a shared cell inside the updater
   of another cannot deadlock (one lock has no order to get wrong; it is
   coarser than the spec's per-item granularity, which costs only
   contention).  An engine alone has no lock and pays nothing. */
NV_RT void nv_lock(nv_eng *E)
{
    if (E->sh && E->held++ == 0 && E->sh->lock)
        E->sh->lock(E->sh->ctx);
}

NV_RT void nv_unlock(nv_eng *E)
{
    if (E->sh && E->held > 0 && --E->held == 0 && E->sh->unlock)
        E->sh->unlock(E->sh->ctx);
}

/* an error unwound to a handler: give back what was taken since it began */
NV_RT void nv_unlock_to(nv_eng *E, int held)
{
    if (E->sh && E->held > held) {
        E->held = held + 1;
        nv_unlock(E);
    }
}

NV_RT void *nv_arena_alloc(nv_eng *E, nv_arena *a, size_t n)
{
    nv_block *b = a->head;
    n = (n + 15) & ~(size_t)15;
    if (!b || b->cap - b->used < n) {
        size_t chunk = a->chunk ? a->chunk : 16384;
        size_t cap = n > chunk ? n : chunk;
        b = (nv_block *)malloc(sizeof(nv_block) + cap);
        if (!b) {
            if (E)
                nv_raise(E, -1000, "out of memory");
            abort();
        }
        b->cap = cap;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    {
        void *p = (char *)(b + 1) + b->used;
        b->used += n;
        return p;
    }
}

NV_RT void nv_arena_free(nv_arena *a)
{
    nv_block *b = a->head;
    while (b) {
        nv_block *n = b->next;
        free(b);
        b = n;
    }
    a->head = NULL;
}

/* keep the first block, so that the next call allocates nothing */
NV_RT void nv_arena_reset(nv_arena *a)
{
    nv_block *b = a->head;
    if (!b)
        return;
    while (b->next) {
        nv_block *n = b->next;
        b->next = n->next;
        free(n);
    }
    b->used = 0;
}

NV_RT void *nv_alloc(nv_eng *E, size_t n)
{
    return nv_arena_alloc(E, E->cur, n ? n : 1);
}

NV_RT nv_str *nv_str_new(nv_eng *E, const char *s, int64_t n)
{
    nv_str *r = (nv_str *)nv_alloc(E, sizeof(nv_str) + (size_t)n + 1);
    char *d = (char *)(r + 1);
    if (n)
        memcpy(d, s, (size_t)n);
    d[n] = 0;
    r->n = n;
    r->s = d;
    return r;
}

/* a string to fill: n bytes, NUL-terminated */
NV_RT nv_str *nv_str_alloc(nv_eng *E, int64_t n, char **data)
{
    nv_str *r = (nv_str *)nv_alloc(E, sizeof(nv_str) + (size_t)n + 1);
    *data = (char *)(r + 1);
    (*data)[n] = 0;
    r->n = n;
    r->s = *data;
    return r;
}

NV_RT nv_str *nv_cstr(nv_eng *E, const char *s) { return nv_str_new(E, s, (int64_t)strlen(s)); }

/* a view of a C string (for comparisons only) */
NV_RT nv_str nv_cview(const char *s)
{
    nv_str r;
    r.n = (int64_t)strlen(s);
    r.s = s;
    return r;
}

NV_RT nv_arr *nv_arr_new(nv_eng *E, int64_t n)
{
    nv_arr *a = (nv_arr *)nv_alloc(E, sizeof(nv_arr) + sizeof(nv_val) * (size_t)(n ? n : 1));
    a->n = n;
    a->v = (nv_val *)(a + 1);
    return a;
}

NV_RT nv_map *nv_map_new(nv_eng *E, int64_t n)
{
    nv_map *m = (nv_map *)nv_alloc(E, sizeof(nv_map) + sizeof(nv_ment) * (size_t)(n ? n : 1));
    m->n = n;
    m->e = (nv_ment *)(m + 1);
    return m;
}

NV_RT nv_rec *nv_rec_new(nv_eng *E, int n)
{
    nv_rec *r = (nv_rec *)nv_alloc(E, sizeof(nv_rec) + sizeof(nv_val) * (size_t)(n ? n : 1));
    r->f = (nv_val *)(r + 1);
    return r;
}

NV_RT nv_uni *nv_box(nv_eng *E, int32_t tag, nv_val v)
{
    nv_uni *u = (nv_uni *)nv_alloc(E, sizeof(nv_uni));
    u->tag = tag;
    u->v = v;
    return u;
}

NV_RT nv_fn *nv_fn_new(nv_eng *E, nv_fnptr call, int n)
{
    nv_fn *f = (nv_fn *)nv_alloc(E, sizeof(nv_fn) + sizeof(nv_val) * (size_t)(n ? n : 1));
    f->call = call;
    f->n = n;
    f->env = (nv_val *)(f + 1);
    return f;
}

/* nv_val from and to C values */
NV_RT nv_val nv_vi(int32_t x) { nv_val v; v.l = 0; v.i = x; return v; }
NV_RT nv_val nv_vl(int64_t x) { nv_val v; v.l = x; return v; }
NV_RT nv_val nv_vf(float x) { nv_val v; v.l = 0; v.f = x; return v; }
NV_RT nv_val nv_vd(double x) { nv_val v; v.d = x; return v; }
NV_RT nv_val nv_vp(const void *x) { nv_val v; v.p = (void *)(uintptr_t)x; return v; }

/* ---- map lookup (keys sorted by bytes) ---- */
NV_RT int nv_str_cmp(const nv_str *a, const nv_str *b)
{
    int64_t n = a->n < b->n ? a->n : b->n;
    int c = n ? memcmp(a->s, b->s, (size_t)n) : 0;
    if (c)
        return c < 0 ? -1 : 1;
    return a->n < b->n ? -1 : a->n > b->n;
}

NV_RT int nv_str_eq(const nv_str *a, const nv_str *b)
{
    return a->n == b->n && (a->n == 0 || memcmp(a->s, b->s, (size_t)a->n) == 0);
}

/* in n entries sorted by key, each `stride` bytes with its key (an nv_str *)
   first: the index of key k, or -(insertion point) - 1 */
NV_RT int64_t nv_sorted_find(const void *base, size_t stride, int64_t n, const nv_str *k)
{
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        const nv_str *key;
        int c;
        memcpy(&key, (const char *)base + (size_t)mid * stride, sizeof key);
        c = nv_str_cmp(key, k);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -lo - 1;
}

NV_RT int64_t nv_map_find(const nv_map *m, const nv_str *k)
{
    return nv_sorted_find(m->e, sizeof(nv_ment), m->n, k);
}

NV_RT nv_map *nv_map_with(nv_eng *E, const nv_map *m, nv_str *k, nv_val v)
{
    int64_t i = nv_map_find(m, k);
    nv_map *r;
    if (i >= 0) {
        r = nv_map_new(E, m->n);
        memcpy(r->e, m->e, sizeof(nv_ment) * (size_t)m->n);
        r->e[i].v = v;
        return r;
    }
    i = -i - 1;
    r = nv_map_new(E, m->n + 1);
    memcpy(r->e, m->e, sizeof(nv_ment) * (size_t)i);
    r->e[i].k = k;
    r->e[i].v = v;
    memcpy(r->e + i + 1, m->e + i, sizeof(nv_ment) * (size_t)(m->n - i));
    return r;
}

NV_RT nv_map *nv_map_without(nv_eng *E, const nv_map *m, const nv_str *k)
{
    int64_t i = nv_map_find(m, k);
    nv_map *r;
    if (i < 0)
        return (nv_map *)(uintptr_t)m;
    r = nv_map_new(E, m->n - 1);
    memcpy(r->e, m->e, sizeof(nv_ment) * (size_t)i);
    memcpy(r->e + i, m->e + i + 1, sizeof(nv_ment) * (size_t)(m->n - i - 1));
    return r;
}

/* a map built from entries in any order (a later duplicate key wins) */
NV_RT int nv_ment_cmp(const void *a, const void *b)
{
    const nv_ment *x = (const nv_ment *)a, *y = (const nv_ment *)b;
    return nv_str_cmp(x->k, y->k);
}

NV_RT nv_map *nv_map_sorted(nv_eng *E, nv_ment *e, int64_t n)
{
    nv_map *m;
    int64_t i, k = 0;
    /* stable: entries keep their order among equal keys */
    for (i = 1; i < n; i++) {
        nv_ment x = e[i];
        int64_t j = i - 1;
        if (n > 64)
            break;
        while (j >= 0 && nv_str_cmp(e[j].k, x.k) > 0) {
            e[j + 1] = e[j];
            j--;
        }
        e[j + 1] = x;
    }
    if (n > 64) {
        /* large: merge sort by index to stay stable */
        nv_ment *tmp = (nv_ment *)nv_alloc(E, sizeof(nv_ment) * (size_t)n);
        int64_t w;
        for (w = 1; w < n; w *= 2) {
            int64_t lo;
            for (lo = 0; lo < n; lo += 2 * w) {
                int64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
                int64_t a = lo, b = mid, o = lo;
                while (a < mid && b < hi)
                    tmp[o++] = nv_str_cmp(e[b].k, e[a].k) < 0 ? e[b++] : e[a++];
                while (a < mid)
                    tmp[o++] = e[a++];
                while (b < hi)
                    tmp[o++] = e[b++];
            }
            memcpy(e, tmp, sizeof(nv_ment) * (size_t)n);
        }
    }
    m = nv_map_new(E, n);
    for (i = 0; i < n; i++) {
        if (k > 0 && nv_str_eq(m->e[k - 1].k, e[i].k))
            m->e[k - 1] = e[i];
        else
            m->e[k++] = e[i];
    }
    m->n = k;
    return m;
}

/* ---- access with errors ---- */
NV_RT nv_val nv_index(nv_eng *E, const nv_arr *a, int64_t i, int code)
{
    if (i < 0 || i >= a->n)
        nv_raise(E, code, "array index not found");
    return a->v[i];
}

NV_RT nv_val nv_mapget(nv_eng *E, const nv_map *m, const nv_str *k, int code)
{
    int64_t i = nv_map_find(m, k);
    if (i < 0)
        nv_raise(E, code, "map key not found");
    return m->e[i].v;
}

NV_RT nv_arr *nv_index_set(nv_eng *E, const nv_arr *a, int64_t i, nv_val v, int code)
{
    nv_arr *r;
    if (i < 0 || i >= a->n)
        nv_raise(E, code, "array index not found");
    r = nv_arr_new(E, a->n);
    memcpy(r->v, a->v, sizeof(nv_val) * (size_t)a->n);
    r->v[i] = v;
    return r;
}

NV_RT nv_map *nv_mapset(nv_eng *E, const nv_map *m, nv_str *k, nv_val v, int code)
{
    if (nv_map_find(m, k) < 0)
        nv_raise(E, code, "map key not found");
    return nv_map_with(E, m, k, v);
}

NV_RT nv_rec *nv_field_set(nv_eng *E, const nv_rec *r, int nfields, int f, nv_val v)
{
    nv_rec *n = nv_rec_new(E, nfields);
    memcpy(n->f, r->f, sizeof(nv_val) * (size_t)nfields);
    n->f[f] = v;
    return n;
}

/* ---- errors as values: try ---- */
typedef void (*nv_body)(nv_eng *E, void *frame);

/* run body; 0 when it finished, 1 when it raised (E->err_* say what) */
NV_RT int nv_try(nv_eng *E, nv_body body, void *frame)
{
    jmp_buf jb;
    jmp_buf *volatile saved = E->jb;
    nv_arena *volatile cur = E->cur;
    volatile int depth = E->depth, vdepth = E->vdepth, held = E->held;
    E->jb = &jb;
    if (setjmp(jb) == 0) {
        body(E, frame);
        E->jb = saved;
        return 0;
    }
    E->jb = saved;
    E->cur = cur;
    E->depth = depth;
    E->vdepth = vdepth;
    E->mut = NULL;
    nv_unlock_to(E, held);
    return 1;
}

NV_RT NV_NORETURN void nv_reraise(nv_eng *E) { longjmp(*E->jb, 1); }

/* ---- integer arithmetic with the spec's overflow errors ---- */
NV_RT int32_t nv_i32(nv_eng *E, int64_t x, int code)
{
    if (x < INT32_MIN || x > INT32_MAX)
        nv_raise(E, code, "int overflow");
    return (int32_t)x;
}

/* the same, never inlined: the parts of a split function call it (inlined
   20,000 times, the check costs gcc more time than all the rest) */
NV_RT NV_NOINLINE int32_t nv_i32_ool(nv_eng *E, int64_t x, int code)
{
    return nv_i32(E, x, code);
}

NV_RT int64_t nv_add64(nv_eng *E, int64_t a, int64_t b, int code)
{
    if ((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b))
        nv_raise(E, code, "long overflow");
    return a + b;
}

NV_RT int64_t nv_sub64(nv_eng *E, int64_t a, int64_t b, int code)
{
    if ((b < 0 && a > INT64_MAX + b) || (b > 0 && a < INT64_MIN + b))
        nv_raise(E, code, "long overflow");
    return a - b;
}

NV_RT int64_t nv_mul64(nv_eng *E, int64_t a, int64_t b, int code)
{
    if (a == 0 || b == 0)
        return 0;
    if ((a == -1 && b == INT64_MIN) || (b == -1 && a == INT64_MIN))
        nv_raise(E, code, "long overflow");
    if (a > 0 ? (b > 0 ? a > INT64_MAX / b : b < INT64_MIN / a)
              : (b > 0 ? a < INT64_MIN / b : a < INT64_MAX / b))
        nv_raise(E, code, "long overflow");
    return a * b;
}

/* floor division and Python-style modulo (the sign of the divisor) */
NV_RT int64_t nv_floordiv64(nv_eng *E, int64_t a, int64_t b, int code, int ocode)
{
    int64_t q;
    if (b == 0)
        nv_raise(E, code, "integer division by zero");
    if (a == INT64_MIN && b == -1)
        nv_raise(E, ocode, "long overflow");
    q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

NV_RT int64_t nv_mod64(nv_eng *E, int64_t a, int64_t b, int code)
{
    int64_t r;
    if (b == 0)
        nv_raise(E, code, "integer division by zero");
    if (b == -1)
        return 0;
    r = a % b;
    if (r != 0 && ((r < 0) != (b < 0)))
        r += b;
    return r;
}

NV_RT int64_t nv_rem64(nv_eng *E, int64_t a, int64_t b, int code)
{
    if (b == 0)
        nv_raise(E, code, "integer division by zero");
    if (b == -1)
        return 0;
    return a % b;
}

NV_RT double nv_fmod_py(double a, double b)
{
    double r = fmod(a, b);
    if (r != 0 && ((r < 0) != (b < 0)))
        r += b;
    return r;
}

NV_RT int64_t nv_pow64(nv_eng *E, int64_t a, int64_t b, int code, int bits)
{
    int64_t r = 1, hi = bits == 32 ? INT32_MAX : INT64_MAX, lo = bits == 32 ? INT32_MIN : INT64_MIN;
    const char *msg = bits == 32 ? "int overflow" : "long overflow";
    if (a == 1 || b == 0)
        return 1;
    if (a == -1)
        return (b % 2) ? -1 : 1;
    if (a == 0) {
        if (b < 0)
            nv_raise(E, code, msg);
        return 0;
    }
    if (b < 0)
        return 0; /* |x| >= 2: the integer part of a fraction */
    if (b >= 64)
        nv_raise(E, code, msg);
    while (b-- > 0) {
        if (bits == 64) {
            r = nv_mul64(E, r, a, code);
            continue;
        }
        r *= a; /* both within int: the product fits in 64 bits */
        if (r > hi || r < lo)
            nv_raise(E, code, msg);
    }
    return r;
}

/* The engine's pseudorandom numbers: the Mersenne Twister MT19937 as
   Python's random module runs it (Modules/_randommodule.c), so that a
   document with "randseed" draws exactly what the reference engine
   Titus draws: Titus seeds random.Random(randseed) and computes each
   rand.* function with Python 2.7's random module (pfa_rand.c follows
   its calls one for one).  random.Random(n) for an integer n is
   init_by_array over the 32-bit words of |n|, least significant first
   ([0] for 0); random() is the 53-bit double (a >> 5, b >> 6) of two
   words; getrandbits(k) fills 32-bit words, least significant first,
   shifting the last one right.  The state (2.5 KB) lives in the engine. */
NV_RT uint32_t nv_mt_next(nv_mt *g)
{
    static const uint32_t mag01[2] = {0x0u, 0x9908b0dfu};
    uint32_t y;
    if (g->i >= 624) {      /* the next 624 words at once */
        int k;
        for (k = 0; k < 624 - 397; k++) {
            y = (g->mt[k] & 0x80000000u) | (g->mt[k + 1] & 0x7fffffffu);
            g->mt[k] = g->mt[k + 397] ^ (y >> 1) ^ mag01[y & 1u];
        }
        for (; k < 623; k++) {
            y = (g->mt[k] & 0x80000000u) | (g->mt[k + 1] & 0x7fffffffu);
            g->mt[k] = g->mt[k + (397 - 624)] ^ (y >> 1) ^ mag01[y & 1u];
        }
        y = (g->mt[623] & 0x80000000u) | (g->mt[0] & 0x7fffffffu);
        g->mt[623] = g->mt[396] ^ (y >> 1) ^ mag01[y & 1u];
        g->i = 0;
    }
    y = g->mt[g->i++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    return y ^ (y >> 18);
}

/* init_by_array: the state from a key of n >= 1 words (Python's seed) */
NV_RT void nv_mt_seed(nv_mt *g, const uint32_t *key, int n)
{
    int i = 1, j = 0, k;
    g->mt[0] = 19650218u;   /* init_genrand(19650218) */
    for (k = 1; k < 624; k++)
        g->mt[k] = 1812433253u * (g->mt[k - 1] ^ (g->mt[k - 1] >> 30)) + (uint32_t)k;
    for (k = 624 > n ? 624 : n; k; k--) {
        g->mt[i] = (g->mt[i] ^ ((g->mt[i - 1] ^ (g->mt[i - 1] >> 30)) * 1664525u)) + key[j] + (uint32_t)j;
        i++;
        j++;
        if (i >= 624) {
            g->mt[0] = g->mt[623];
            i = 1;
        }
        if (j >= n)
            j = 0;
    }
    for (k = 623; k; k--) {
        g->mt[i] = (g->mt[i] ^ ((g->mt[i - 1] ^ (g->mt[i - 1] >> 30)) * 1566083941u)) - (uint32_t)i;
        i++;
        if (i >= 624) {
            g->mt[0] = g->mt[623];
            i = 1;
        }
    }
    g->mt[0] = 0x80000000u;
    g->i = 624;
    g->has_gauss = 0;       /* Python's seed() forgets gauss_next */
    g->gauss_next = 0;
}

/* random.Random(n) for a non-negative integer n below 2^64 */
NV_RT void nv_mt_seed_u64(nv_mt *g, uint64_t n)
{
    uint32_t key[2];
    key[0] = (uint32_t)n;
    key[1] = (uint32_t)(n >> 32);
    nv_mt_seed(g, key, key[1] ? 2 : 1);
}

/* random(): a multiple of 2^-53 in [0, 1) */
NV_RT double nv_mt_unit(nv_mt *g)
{
    uint32_t a = nv_mt_next(g) >> 5, b = nv_mt_next(g) >> 6;
    return ((double)a * 67108864.0 + (double)b) * (1.0 / 9007199254740992.0);
}

/* one link of a battery's chain of seeds: random.Random(randint(0,
   2^31 - 1)) drawn from g */
NV_RT void nv_seed_next(nv_mt *g)
{
    nv_mt_seed_u64(g, (uint64_t)(nv_mt_unit(g) * 2147483648.0));
}

/* The engine's generator starts as random.Random(randseed) (Python takes
   |randseed|).  Engine i of a battery starts as Titus's engine i does
   (genpy.py): i times over, the generator is replaced by
   random.Random(randint(0, 2^31 - 1)) drawn from the one before, so engine
   0 draws random.Random(randseed) itself and each other engine a stream of
   its own.  The battery keeps where the chain has got to, so that engines
   started in order take one link each (1,000 engines: 1,000 links, not
   half a million); an engine behind it (engines that start at once, on
   several threads, may seed out of order) starts the chain again from the
   seed.
   Without "randseed", a key of the clock's nanoseconds, the engine's
   address and its index (Python would read os.urandom). */
NV_RT void nv_seed(nv_eng *E, int has_seed, int64_t seed)
{
#if NV_PFA_RAND
    int64_t i;
    nv_shared *sh = E->sh;
    if (!has_seed) {
        struct timespec ts;
        uint64_t t, a = (uint64_t)(uintptr_t)E;
        uint32_t key[5];
        clock_gettime(CLOCK_REALTIME, &ts);
        t = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
        key[0] = (uint32_t)t;
        key[1] = (uint32_t)(t >> 32);
        key[2] = (uint32_t)a;
        key[3] = (uint32_t)(a >> 32);
        key[4] = (uint32_t)E->index;
        nv_mt_seed(&E->rng, key, 5);
        return;
    }
    if (sh) {
        if (sh->lock)
            sh->lock(sh->ctx);
        if (!sh->chain_set || sh->chained > E->index) {
            /* |seed|, 2^63 for the most negative */
            nv_mt_seed_u64(&sh->chain, seed < 0 ? 0 - (uint64_t)seed : (uint64_t)seed);
            sh->chained = 0;
            sh->chain_set = 1;
        }
        for (; sh->chained < E->index; sh->chained++)
            nv_seed_next(&sh->chain);
        E->rng = sh->chain;
        if (sh->unlock)
            sh->unlock(sh->ctx);
        return;
    }
    nv_mt_seed_u64(&E->rng, seed < 0 ? 0 - (uint64_t)seed : (uint64_t)seed);
    for (i = 0; i < E->index; i++)
        nv_seed_next(&E->rng);
#else
    (void)E;
    (void)has_seed;
    (void)seed;
#endif
}

/* the engine's generator: what every draw reads (NV_PFA_RAND) */
NV_RT nv_mt *nv_rng(nv_eng *E) { return &E->rng; }

/* one 32-bit word of the engine's stream */
NV_RT uint32_t nv_rand32(nv_eng *E) { return nv_mt_next(nv_rng(E)); }

/* random() of the engine's generator: uniform in [0, 1), a multiple of 2^-53 */
NV_RT double nv_rand_unit(nv_eng *E) { return nv_mt_unit(nv_rng(E)); }

/* getrandbits(k) for 1 <= k <= 64 */
NV_RT uint64_t nv_rand_bits(nv_eng *E, int k)
{
    uint64_t r;
    if (k <= 32)
        return nv_mt_next(nv_rng(E)) >> (32 - k);
    r = nv_mt_next(nv_rng(E));
    return r | (uint64_t)(nv_mt_next(nv_rng(E)) >> (64 - k)) << 32;
}

/* Python 2.7's randint(0, m), uniform in [0, m]: int(random() * (m + 1))
   while m + 1 < 2^53, as randrange computes it (one random()), and past
   that _randbelow(m + 1): getrandbits(k) with k = int(1.00001 +
   log(m) / log(2)) (65 for m = 2^64 - 1), until a draw is at most m */
NV_RT uint64_t nv_rand_upto(nv_eng *E, uint64_t m)
{
    int k;
    if (m < ((uint64_t)1 << 53) - 1)
        return (uint64_t)(nv_mt_unit(nv_rng(E)) * (double)(m + 1));
    k = (int)(1.00001 + log((double)m) / log(2.0));
    for (;;) {
        uint64_t r;
        if (k <= 64) {
            r = nv_rand_bits(E, k);
        } else {    /* getrandbits(65): two words and one bit above them */
            r = nv_rand_bits(E, 64);
            if (nv_mt_next(nv_rng(E)) >> 31)
                continue;
        }
        if (r <= m)
            return r;
    }
}

/* uniform in [0, n) for n >= 1: Python 2.7's randrange(n) */
NV_RT uint64_t nv_rand_below(nv_eng *E, uint64_t n) { return nv_rand_upto(E, n - 1); }

/* Python 2.7's random.shuffle, in place: from the last item down, a swap
   with int(random() * (i + 1)) (a.shuffle, model.cluster.randomSeeds) */
NV_RT void nv_rand_shuffle(nv_eng *E, nv_val *v, int64_t n)
{
    int64_t i;
    for (i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)(nv_rand_unit(E) * (double)(i + 1));
        nv_val t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
}

/* a float or double argument as a double */
NV_RT double nv_fd(const nv_type *t, nv_val v) { return t->kind == NV_FLOAT ? (double)v.f : v.d; }

/* float and double to integers: Java's saturating conversion, NaN is 0 */
NV_RT int64_t nv_d2l(double x)
{
    if (x != x)
        return 0;
    if (x >= 9223372036854775807.0)
        return INT64_MAX;
    if (x <= -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)x;
}

NV_RT int32_t nv_d2i(double x)
{
    if (x != x)
        return 0;
    if (x >= 2147483647.0)
        return INT32_MAX;
    if (x <= -2147483648.0)
        return INT32_MIN;
    return (int32_t)x;
}

/* ---- generic operations driven by type descriptors ---- */
NV_RT int nv_type_eq(const nv_type *a, const nv_type *b)
{
    int i;
    if (a == b)
        return 1;
    if (a->kind != b->kind)
        return 0;
    switch (a->kind) {
    case NV_RECORD:
    case NV_ENUM:
    case NV_FIXED:
        return strcmp(a->name, b->name) == 0;
    case NV_ARRAY:
    case NV_MAP:
        return nv_type_eq(a->items, b->items);
    case NV_UNION:
        if (a->n != b->n)
            return 0;
        for (i = 0; i < a->n; i++)
            if (!nv_type_eq(a->parts[i], b->parts[i]))
                return 0;
        return 1;
    default:
        return 1;
    }
}

NV_RT int nv_accepts(const nv_type *want, const nv_type *got)
{
    int i, k;
    if (nv_type_eq(want, got))
        return 1;
    if (want->kind == NV_UNION) {
        if (got->kind == NV_UNION) {
            for (i = 0; i < got->n; i++)
                if (!nv_accepts(want, got->parts[i]))
                    return 0;
            return 1;
        }
        for (i = 0; i < want->n; i++)
            if (nv_accepts(want->parts[i], got))
                return 1;
        return 0;
    }
    if (got->kind == NV_UNION) {
        for (i = 0; i < got->n; i++)
            if (!nv_accepts(want, got->parts[i]))
                return 0;
        return 1;
    }
    k = got->kind;
    switch (want->kind) {
    case NV_LONG: return k == NV_INT;
    case NV_FLOAT: return k == NV_INT || k == NV_LONG;
    case NV_DOUBLE: return k == NV_INT || k == NV_LONG || k == NV_FLOAT;
    case NV_ARRAY:
    case NV_MAP: return k == want->kind && nv_accepts(want->items, got->items);
    default: return 0;
    }
}

/* the branch of union u that holds a value of type t (see ir_union_branch) */
NV_RT int nv_branch(const nv_type *u, const nv_type *t)
{
    int i;
    for (i = 0; i < u->n; i++)
        if (nv_type_eq(u->parts[i], t))
            return i;
    for (i = 0; i < u->n; i++)
        if (nv_accepts(u->parts[i], t))
            return i;
    return -1;
}

/* v (of type from) as a value of type to, which accepts it */
NV_RT nv_val nv_conv(nv_eng *E, const nv_type *from, const nv_type *to, nv_val v)
{
    nv_val r;
    int64_t i;
    if (from == to || nv_type_eq(from, to))
        return v;
    if (from->kind == NV_UNION) {
        const nv_uni *u = (const nv_uni *)v.p;
        const nv_type *bt = from->parts[u->tag];
        if (to->kind != NV_UNION)
            return nv_conv(E, bt, to, u->v);
        {
            int b = nv_branch(to, bt);
            return nv_vp(nv_box(E, b, nv_conv(E, bt, to->parts[b], u->v)));
        }
    }
    if (to->kind == NV_UNION) {
        int b = nv_branch(to, from);
        return nv_vp(nv_box(E, b, nv_conv(E, from, to->parts[b], v)));
    }
    switch (to->kind) {
    case NV_LONG:
        return nv_vl(v.i);
    case NV_FLOAT:
        return nv_vf(from->kind == NV_INT ? (float)v.i : (float)v.l);
    case NV_DOUBLE:
        return nv_vd(from->kind == NV_INT ? (double)v.i : from->kind == NV_LONG ? (double)v.l : (double)v.f);
    case NV_ARRAY: {
        const nv_arr *a = (const nv_arr *)v.p;
        nv_arr *n = nv_arr_new(E, a->n);
        for (i = 0; i < a->n; i++)
            n->v[i] = nv_conv(E, from->items, to->items, a->v[i]);
        return nv_vp(n);
    }
    case NV_MAP: {
        const nv_map *m = (const nv_map *)v.p;
        nv_map *n = nv_map_new(E, m->n);
        for (i = 0; i < m->n; i++) {
            n->e[i].k = m->e[i].k;
            n->e[i].v = nv_conv(E, from->items, to->items, m->e[i].v);
        }
        return nv_vp(n);
    }
    default:
        r = v;
        return r;
    }
}

/* Avro's sort order; maps compare as sets of entries */
NV_RT int nv_cmp(const nv_type *t, nv_val a, nv_val b)
{
    int64_t i;
    switch (t->kind) {
    case NV_NULL:
        return 0;
    case NV_BOOL:
    case NV_INT:
    case NV_ENUM:
        return a.i < b.i ? -1 : a.i > b.i;
    case NV_LONG:
        return a.l < b.l ? -1 : a.l > b.l;
    case NV_FLOAT:
        return a.f < b.f ? -1 : a.f > b.f;
    case NV_DOUBLE:
        return a.d < b.d ? -1 : a.d > b.d;
    case NV_STRING:
    case NV_BYTES:
    case NV_FIXED:
        return nv_str_cmp((const nv_str *)a.p, (const nv_str *)b.p);
    case NV_ARRAY: {
        const nv_arr *x = (const nv_arr *)a.p, *y = (const nv_arr *)b.p;
        for (i = 0; i < x->n && i < y->n; i++) {
            int c = nv_cmp(t->items, x->v[i], y->v[i]);
            if (c)
                return c;
        }
        return x->n < y->n ? -1 : x->n > y->n;
    }
    case NV_MAP: {
        const nv_map *x = (const nv_map *)a.p, *y = (const nv_map *)b.p;
        for (i = 0; i < x->n && i < y->n; i++) {
            int c = nv_str_cmp(x->e[i].k, y->e[i].k);
            if (!c)
                c = nv_cmp(t->items, x->e[i].v, y->e[i].v);
            if (c)
                return c;
        }
        return x->n < y->n ? -1 : x->n > y->n;
    }
    case NV_RECORD: {
        const nv_rec *x = (const nv_rec *)a.p, *y = (const nv_rec *)b.p;
        for (i = 0; i < t->n; i++) {
            int c = nv_cmp(t->parts[i], x->f[i], y->f[i]);
            if (c)
                return c;
        }
        return 0;
    }
    case NV_UNION: {
        const nv_uni *x = (const nv_uni *)a.p, *y = (const nv_uni *)b.p;
        if (x->tag != y->tag)
            return x->tag < y->tag ? -1 : 1;
        return nv_cmp(t->parts[x->tag], x->v, y->v);
    }
    default:
        return 0;
    }
}

/* equality: like nv_cmp == 0, but NaN is not equal to itself */
NV_RT int nv_eq(const nv_type *t, nv_val a, nv_val b)
{
    int64_t i;
    switch (t->kind) {
    case NV_FLOAT:
        return a.f == b.f;
    case NV_DOUBLE:
        return a.d == b.d;
    case NV_ARRAY: {
        const nv_arr *x = (const nv_arr *)a.p, *y = (const nv_arr *)b.p;
        if (x->n != y->n)
            return 0;
        for (i = 0; i < x->n; i++)
            if (!nv_eq(t->items, x->v[i], y->v[i]))
                return 0;
        return 1;
    }
    case NV_MAP: {
        const nv_map *x = (const nv_map *)a.p, *y = (const nv_map *)b.p;
        if (x->n != y->n)
            return 0;
        for (i = 0; i < x->n; i++)
            if (!nv_str_eq(x->e[i].k, y->e[i].k) || !nv_eq(t->items, x->e[i].v, y->e[i].v))
                return 0;
        return 1;
    }
    case NV_RECORD: {
        const nv_rec *x = (const nv_rec *)a.p, *y = (const nv_rec *)b.p;
        for (i = 0; i < t->n; i++)
            if (!nv_eq(t->parts[i], x->f[i], y->f[i]))
                return 0;
        return 1;
    }
    case NV_UNION: {
        const nv_uni *x = (const nv_uni *)a.p, *y = (const nv_uni *)b.p;
        return x->tag == y->tag && nv_eq(t->parts[x->tag], x->v, y->v);
    }
    default:
        return nv_cmp(t, a, b) == 0;
    }
}

/* a deep copy into the engine's current arena (cells and pools own theirs) */
NV_RT nv_val nv_copy_in(nv_eng *E, const nv_type *t, nv_val v);

NV_RT nv_val nv_copy(nv_eng *E, const nv_type *t, nv_val v)
{
    nv_val r;
    if (++E->vdepth > NV_MAX_VALUE_DEPTH) {
        E->vdepth = 0;
        nv_raise(E, -1004, "value nested too deeply");
    }
    r = nv_copy_in(E, t, v);
    E->vdepth--;
    return r;
}

NV_RT nv_val nv_copy_in(nv_eng *E, const nv_type *t, nv_val v)
{
    int64_t i;
    switch (t->kind) {
    case NV_STRING:
    case NV_BYTES:
    case NV_FIXED: {
        const nv_str *s = (const nv_str *)v.p;
        return nv_vp(nv_str_new(E, s->s, s->n));
    }
    case NV_ARRAY: {
        const nv_arr *a = (const nv_arr *)v.p;
        nv_arr *n = nv_arr_new(E, a->n);
        for (i = 0; i < a->n; i++)
            n->v[i] = nv_copy(E, t->items, a->v[i]);
        return nv_vp(n);
    }
    case NV_MAP: {
        const nv_map *m = (const nv_map *)v.p;
        nv_map *n = nv_map_new(E, m->n);
        for (i = 0; i < m->n; i++) {
            n->e[i].k = nv_str_new(E, m->e[i].k->s, m->e[i].k->n);
            n->e[i].v = nv_copy(E, t->items, m->e[i].v);
        }
        return nv_vp(n);
    }
    case NV_RECORD: {
        const nv_rec *r = (const nv_rec *)v.p;
        nv_rec *n = nv_rec_new(E, t->n);
        for (i = 0; i < t->n; i++)
            n->f[i] = nv_copy(E, t->parts[i], r->f[i]);
        return nv_vp(n);
    }
    case NV_UNION: {
        const nv_uni *u = (const nv_uni *)v.p;
        return nv_vp(nv_box(E, u->tag, nv_copy(E, t->parts[u->tag], u->v)));
    }
    case NV_FN:
        return v;
    default:
        return v;
    }
}

/* ---- cells and pools ---- */
NV_RT void nv_bury(nv_eng *E, nv_arena *a)
{
    if (!a)
        return;
    if (E->ngrave == E->capgrave) {
        int64_t cap = E->capgrave ? E->capgrave * 2 : 16;
        nv_arena **g = (nv_arena **)realloc(E->grave, sizeof(nv_arena *) * (size_t)cap);
        if (!g)
            nv_raise(E, -1000, "out of memory");
        E->grave = g;
        E->capgrave = cap;
    }
    E->grave[E->ngrave++] = a;
}

NV_RT nv_arena *nv_arena_new(nv_eng *E)
{
    nv_arena *a = (nv_arena *)malloc(sizeof(nv_arena));
    if (!a)
        nv_raise(E, -1000, "out of memory");
    a->head = NULL;
    a->chunk = 512; /* a kept value is usually small; big ones get blocks of their size */
    return a;
}

NV_RT void nv_arena_drop(nv_arena *a)
{
    if (a) {
        nv_arena_free(a);
        free(a);
    }
}

/* a deep copy of v in an arena of its own */
NV_RT nv_val nv_keep(nv_eng *E, const nv_type *t, nv_val v, nv_arena **owner)
{
    nv_arena *a = nv_arena_new(E);
    nv_arena *cur = E->cur;
    nv_val r;
    nv_bury(E, a); /* freed at the end of the call if the copy raises */
    E->cur = a;
    r = nv_copy(E, t, v);
    E->cur = cur;
    E->ngrave--;   /* it did not: the arena is the caller's */
    *owner = a;
    return r;
}

/* whether values of type t are pointers (strings, arrays, maps, ...) */
NV_RT int nv_is_ptr_type(const nv_type *t)
{
    return t->kind >= NV_STRING && t->kind != NV_ENUM;
}

NV_RT void nv_cell_set(nv_eng *E, int k, int rollback, const nv_type *t, nv_val v)
{
    nv_cell *c = &E->cells[k];
    nv_arena *a;
    nv_val nv;
    E->mut = NULL;
    if (nv_is_ptr_type(t) && v.p == c->v.p) {
        /* the updater gave the value back, unchanged or changed in place
           (nv_grant): nothing to copy; the action now holds it */
        c->seen = E->epoch;
        return;
    }
    nv = nv_keep(E, t, v, &a);
    if (rollback && !c->dirty) {
        c->saved = c->v;
        c->saved_a = c->a;
        c->dirty = 1;
    } else
        nv_bury(E, c->a);
    c->v = nv;
    c->a = a;
}

NV_RT int64_t nv_pool_find(const nv_pool *p, const nv_str *k)
{
    return nv_sorted_find(p->items, sizeof(nv_pitem), p->n, k);
}

NV_RT nv_val nv_pool_get(nv_eng *E, const nv_pool *p, const nv_str *k, int code)
{
    int64_t i = nv_pool_find(p, k);
    if (i < 0)
        nv_raise(E, code, "map key not found");
    return p->items[i].v;
}

NV_RT void nv_pool_track(nv_eng *E, nv_pool *p, nv_arena *old, nv_arena *made, int rollback)
{
    if (!rollback) {
        nv_bury(E, old);
        return;
    }
    if (!p->dirty) {
        p->saved = (nv_pitem *)malloc(sizeof(nv_pitem) * (size_t)(p->n ? p->n : 1));
        if (!p->saved)
            nv_raise(E, -1000, "out of memory");
        if (p->n)
            memcpy(p->saved, p->items, sizeof(nv_pitem) * (size_t)p->n);
        p->nsaved = p->n;
        p->dirty = 1;
    }
    if (old) {
        if (p->nolds == p->capolds) {
            p->capolds = p->capolds ? p->capolds * 2 : 8;
            p->olds = (nv_arena **)realloc(p->olds, sizeof(nv_arena *) * (size_t)p->capolds);
            if (!p->olds)
                nv_raise(E, -1000, "out of memory");
        }
        p->olds[p->nolds++] = old;
    }
    if (made) {
        if (p->nnews == p->capnews) {
            p->capnews = p->capnews ? p->capnews * 2 : 8;
            p->news = (nv_arena **)realloc(p->news, sizeof(nv_arena *) * (size_t)p->capnews);
            if (!p->news)
                nv_raise(E, -1000, "out of memory");
        }
        p->news[p->nnews++] = made;
    }
}

NV_RT void nv_pool_put(nv_eng *E, nv_pool *p, int rollback, const nv_type *t, nv_str *key, nv_val v)
{
    nv_arena *a;
    int64_t i = nv_pool_find(p, key);
    nv_val nv;
    E->mut = NULL;
    if (i >= 0 && nv_is_ptr_type(t) && v.p == p->items[i].v.p) {
        p->items[i].seen = E->epoch;    /* as in nv_cell_set */
        return;
    }
    nv = nv_keep(E, t, v, &a);
    nv_arena *cur = E->cur;
    nv_str *kk;
    E->cur = a;
    kk = nv_str_new(E, key->s, key->n);
    E->cur = cur;
    if (i >= 0) {
        nv_pool_track(E, p, p->items[i].a, a, rollback);
        p->items[i].k = kk;
        p->items[i].v = nv;
        p->items[i].a = a;
        return;
    }
    nv_pool_track(E, p, NULL, a, rollback);
    i = -i - 1;
    if (p->n == p->cap) {
        int64_t cap = p->cap ? p->cap * 2 : 16;
        nv_pitem *n = (nv_pitem *)realloc(p->items, sizeof(nv_pitem) * (size_t)cap);
        if (!n)
            nv_raise(E, -1000, "out of memory");
        p->items = n;
        p->cap = cap;
    }
    memmove(p->items + i + 1, p->items + i, sizeof(nv_pitem) * (size_t)(p->n - i));
    p->items[i].k = kk;
    p->items[i].v = nv;
    p->items[i].a = a;
    p->items[i].seen = 0;
    p->n++;
}

/* ---- updates in place ----
   An updater (cell-to or pool-to with a function) may change the cell's or
   item's value itself instead of building a new one, when nothing else
   refers to it: the routine has not read it in this call (every read marks
   `seen` and takes back a grant in progress), the cell or pool is neither
   shared nor rolled back, and the compiler found that the updater passes
   its argument once, straight to a library function (pass_inplace.c).  The
   generated code then grants the value (E->mut) just before calling the
   updater; a library updater that finds its state argument granted
   (nv_own) changes it in place and gives it back, and nv_cell_set /
   nv_pool_put keep it without a copy.  Values from earlier calls are gone
   (the call's arena is reset), so only this call's reads matter. */
NV_RT void *nv_grant_cell(nv_eng *E, int k)
{
    nv_cell *c = &E->cells[k];
    return c->seen == E->epoch ? NULL : c->v.p;
}

NV_RT void *nv_grant_pool(nv_eng *E, int k, const nv_str *key)
{
    nv_pool *p = &E->pools[k];
    int64_t i = nv_pool_find(p, key);
    return i < 0 || p->items[i].seen == E->epoch ? NULL : p->items[i].v.p;
}

/* a read of cell k by the routine: it now holds the value */
NV_RT nv_val nv_cell_read(nv_eng *E, int k)
{
    nv_cell *c = &E->cells[k];
    c->seen = E->epoch;
    if (E->mut == c->v.p)
        E->mut = NULL;
    return c->v;
}

NV_RT nv_val nv_pool_read(nv_eng *E, int k, const nv_str *key, int code)
{
    nv_pool *p = &E->pools[k];
    int64_t i = nv_pool_find(p, key);
    if (i < 0)
        nv_raise(E, code, "map key not found");
    p->items[i].seen = E->epoch;
    if (E->mut == p->items[i].v.p)
        E->mut = NULL;
    return p->items[i].v;
}

NV_RT void nv_pool_set(nv_eng *E, int k, int rollback, const nv_type *t, nv_str *key, nv_val v)
{
    nv_pool_put(E, &E->pools[k], rollback, t, key, v);
}

NV_RT void nv_pool_remove(nv_eng *E, nv_pool *p, int rollback, const nv_str *key)
{
    int64_t i = nv_pool_find(p, key);
    if (i < 0)
        return;
    nv_pool_track(E, p, p->items[i].a, NULL, rollback);
    memmove(p->items + i, p->items + i + 1, sizeof(nv_pitem) * (size_t)(p->n - i - 1));
    p->n--;
}

NV_RT void nv_pool_del(nv_eng *E, int k, int rollback, const nv_str *key)
{
    nv_pool_remove(E, &E->pools[k], rollback, key);
}

/* "shared" cells and pools: values are copied out under the lock (another
   engine may replace them as soon as it is released) and replaced under it;
   a cell-to or pool-to with an updater holds it from its read to its write
   (nv_lock/nv_unlock around them), so the update is atomic */
NV_RT nv_val nv_scell_get(nv_eng *E, int k, const nv_type *t)
{
    nv_val v;
    if (!E->sh)
        return E->scells[k].v;
    nv_lock(E);
    v = nv_copy(E, t, E->scells[k].v);
    nv_unlock(E);
    return v;
}

NV_RT void nv_scell_set(nv_eng *E, int k, const nv_type *t, nv_val v)
{
    nv_cell *c = &E->scells[k];
    nv_arena *a;
    nv_val nv;
    nv_lock(E);
    nv = nv_keep(E, t, v, &a);
    nv_bury(E, c->a);
    c->v = nv;
    c->a = a;
    nv_unlock(E);
}

NV_RT nv_val nv_spool_get(nv_eng *E, int k, const nv_str *key, int code, const nv_type *t)
{
    nv_val v;
    if (!E->sh)
        return nv_pool_get(E, &E->spools[k], key, code);
    nv_lock(E);
    v = nv_copy(E, t, nv_pool_get(E, &E->spools[k], key, code));
    nv_unlock(E);
    return v;
}

NV_RT int nv_spool_has(nv_eng *E, int k, const nv_str *key)
{
    int r;
    nv_lock(E);
    r = nv_pool_find(&E->spools[k], key) >= 0;
    nv_unlock(E);
    return r;
}

NV_RT void nv_spool_set(nv_eng *E, int k, const nv_type *t, nv_str *key, nv_val v)
{
    nv_lock(E);
    nv_pool_put(E, &E->spools[k], 0, t, key, v);
    nv_unlock(E);
}

NV_RT void nv_spool_del(nv_eng *E, int k, const nv_str *key)
{
    nv_lock(E);
    nv_pool_remove(E, &E->spools[k], 0, key);
    nv_unlock(E);
}

/* the end of a call: keep (ok) or roll back rollback state, free the old */
NV_RT void nv_settle(nv_eng *E, int ok)
{
    int k;
    int64_t i;
    for (k = 0; k < E->ncells; k++) {
        nv_cell *c = &E->cells[k];
        if (!c->dirty)
            continue;
        if (ok)
            nv_arena_drop(c->saved_a);
        else {
            nv_arena_drop(c->a);
            c->v = c->saved;
            c->a = c->saved_a;
        }
        c->saved_a = NULL;
        c->dirty = 0;
    }
    for (k = 0; k < E->npools; k++) {
        nv_pool *p = &E->pools[k];
        if (!p->dirty)
            continue;
        if (ok) {
            for (i = 0; i < p->nolds; i++)
                nv_arena_drop(p->olds[i]);
        } else {
            for (i = 0; i < p->nnews; i++)
                nv_arena_drop(p->news[i]);
            if (p->nsaved > p->cap) {
                nv_pitem *n = (nv_pitem *)realloc(p->items, sizeof(nv_pitem) * (size_t)p->nsaved);
                if (n) {
                    p->items = n;
                    p->cap = p->nsaved;
                }
            }
            if (p->nsaved)
                memcpy(p->items, p->saved, sizeof(nv_pitem) * (size_t)p->nsaved);
            p->n = p->nsaved;
        }
        free(p->saved);
        p->saved = NULL;
        p->nolds = p->nnews = 0;
        p->dirty = 0;
    }
    for (i = 0; i < E->ngrave; i++)
        nv_arena_drop(E->grave[i]);
    E->ngrave = 0;
    nv_arena_reset(&E->tmp);
    E->cur = &E->tmp;
    E->vdepth = 0;
}

/* what cells and pools hold: an engine's, or a battery's shared block */
NV_RT void nv_cells_pools_free(nv_cell *cells, int ncells, nv_pool *pools, int npools)
{
    int k;
    int64_t i;
    for (k = 0; k < ncells; k++)
        nv_arena_drop(cells[k].a);
    for (k = 0; k < npools; k++) {
        nv_pool *p = &pools[k];
        for (i = 0; i < p->n; i++)
            nv_arena_drop(p->items[i].a);
        free(p->items);
        free(p->news);
        free(p->olds);
    }
}

NV_RT void nv_state_free(nv_eng *E)
{
    if (E->re_free)
        E->re_free(E->re_cache);
    E->re_cache = NULL;
    E->re_free = NULL;
    nv_settle(E, 1);
    nv_cells_pools_free(E->cells, E->ncells, E->pools, E->npools);
    free(E->grave);
    nv_arena_free(&E->tmp);
    nv_arena_free(&E->konst);
}

/*@ section json needs core utf8 */
/* ---- JSON text (the Avro JSON encoding) ---- */
enum { NJ_NULL, NJ_FALSE, NJ_TRUE, NJ_NUM, NJ_STR, NJ_ARR, NJ_OBJ };

typedef struct nv_json {
    int kind;
    int is_int;                 /* NJ_NUM written without fraction or exponent, in range */
    int64_t i;
    double d;
    nv_str *s;                  /* NJ_STR */
    struct nv_json **kids;      /* NJ_ARR items, NJ_OBJ values */
    nv_str **keys;              /* NJ_OBJ */
    int64_t n;
} nv_json;

typedef struct nv_jp {
    nv_eng *E;
    const char *p, *end;
    int depth;
    const char *err;
} nv_jp;

#define NV_JSON_MAX_DEPTH 200

NV_RT void nv_jws(nv_jp *P)
{
    while (P->p < P->end && (*P->p == ' ' || *P->p == '\t' || *P->p == '\n' || *P->p == '\r'))
        P->p++;
}

NV_RT int nv_hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    int i;
    for (i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return 0;
    }
    *out = v;
    return 1;
}

/* valid UTF-8 (no overlongs, no surrogates, at most U+10FFFF) */
NV_RT int nv_utf8_valid(const char *s, int64_t n)
{
    int64_t i = 0;
    while (i < n) {
        unsigned c = (unsigned char)s[i];
        int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        unsigned cp;
        int k;
        if (!len || i + len > n)
            return 0;
        cp = len == 1 ? c : c & (0x3fu >> (len - 1));
        for (k = 1; k < len; k++) {
            unsigned d = (unsigned char)s[i + k];
            if ((d & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (d & 0x3f);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp < 0xe000))
            return 0;
        i += len;
    }
    return 1;
}

NV_RT nv_str *nv_jstring(nv_jp *P)
{
    const char *s = ++P->p;
    char *o, *base;
    nv_str *r;
    size_t n = 0;
    /* the decoded text is never longer than the escaped text */
    while (P->p < P->end && *P->p != '"') {
        if (*P->p == '\\')
            P->p++;
        P->p++;
    }
    if (P->p >= P->end) {
        P->err = "unterminated string";
        return NULL;
    }
    r = nv_str_alloc(P->E, P->p - s, &base);
    o = base;
    while (s < P->p) {
        unsigned char c = (unsigned char)*s++;
        if (c < 0x20) {
            P->err = "control character in a string";
            return NULL;
        }
        if (c != '\\') {
            *o++ = (char)c;
            continue;
        }
        c = (unsigned char)*s++;
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            if (P->p - s < 4 || !nv_hex4(s, &cp)) {
                P->err = "bad \\u escape";
                return NULL;
            }
            s += 4;
            if (cp >= 0xd800 && cp < 0xdc00 && P->p - s >= 6 && s[0] == '\\' && s[1] == 'u' &&
                nv_hex4(s + 2, &lo) && lo >= 0xdc00 && lo < 0xe000) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                s += 6;
            } else if (cp >= 0xd800 && cp < 0xe000) {
                /* a lone half of a pair is no character: its UTF-8 would be invalid */
                P->err = "unpaired surrogate in a \\u escape";
                return NULL;
            }
            o += nv_utf8_put(o, cp);
            break;
        }
        default:
            P->err = "bad escape in a string";
            return NULL;
        }
    }
    P->p++;
    n = (size_t)(o - base);
    *o = 0;
    r->n = (int64_t)n;
    /* strings are Unicode text: raw bytes must be UTF-8 (escapes always are);
       NUL only as the escape \u0000 (a raw one is a control character) */
    if (!nv_utf8_valid(base, r->n)) {
        P->err = "invalid UTF-8 in a string";
        return NULL;
    }
    return r;
}

/* the literal word w here (null, true, false): consume it */
NV_RT int nv_jword(nv_jp *P, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(P->end - P->p) < n || memcmp(P->p, w, n) != 0)
        return 0;
    P->p += n;
    return 1;
}

NV_RT nv_json *nv_jvalue(nv_jp *P)
{
    nv_json *j;
    nv_jws(P);
    if (P->p >= P->end) {
        P->err = "unexpected end of text";
        return NULL;
    }
    j = (nv_json *)nv_alloc(P->E, sizeof(nv_json));
    memset(j, 0, sizeof *j);
    switch (*P->p) {
    case 'n':
        if (nv_jword(P, "null")) {
            j->kind = NJ_NULL;
            return j;
        }
        break;
    case 't':
        if (nv_jword(P, "true")) {
            j->kind = NJ_TRUE;
            return j;
        }
        break;
    case 'f':
        if (nv_jword(P, "false")) {
            j->kind = NJ_FALSE;
            return j;
        }
        break;
    case '"':
        j->kind = NJ_STR;
        j->s = nv_jstring(P);
        return j->s ? j : NULL;
    case '[':
    case '{': {
        int obj = *P->p == '{';
        int64_t cap = 0;
        if (++P->depth > NV_JSON_MAX_DEPTH) {
            P->err = "nested too deeply";
            return NULL;
        }
        P->p++;
        j->kind = obj ? NJ_OBJ : NJ_ARR;
        nv_jws(P);
        if (P->p < P->end && *P->p == (obj ? '}' : ']')) {
            P->p++;
            P->depth--;
            return j;
        }
        for (;;) {
            nv_str *key = NULL;
            nv_json *v;
            if (obj) {
                nv_jws(P);
                if (P->p >= P->end || *P->p != '"') {
                    P->err = "expected a member name";
                    return NULL;
                }
                if (!(key = nv_jstring(P)))
                    return NULL;
                nv_jws(P);
                if (P->p >= P->end || *P->p != ':') {
                    P->err = "expected ':'";
                    return NULL;
                }
                P->p++;
            }
            if (!(v = nv_jvalue(P)))
                return NULL;
            if (j->n == cap) {
                int64_t nc = cap ? cap * 2 : 8;
                nv_json **k = (nv_json **)nv_alloc(P->E, sizeof(nv_json *) * (size_t)nc);
                nv_str **ks = obj ? (nv_str **)nv_alloc(P->E, sizeof(nv_str *) * (size_t)nc) : NULL;
                if (j->n) {
                    memcpy(k, j->kids, sizeof(nv_json *) * (size_t)j->n);
                    if (obj)
                        memcpy(ks, j->keys, sizeof(nv_str *) * (size_t)j->n);
                }
                j->kids = k;
                j->keys = ks;
                cap = nc;
            }
            if (obj)
                j->keys[j->n] = key;
            j->kids[j->n++] = v;
            nv_jws(P);
            if (P->p < P->end && *P->p == ',') {
                P->p++;
                continue;
            }
            if (P->p < P->end && *P->p == (obj ? '}' : ']')) {
                P->p++;
                P->depth--;
                return j;
            }
            P->err = obj ? "expected ',' or '}'" : "expected ',' or ']'";
            return NULL;
        }
    }
    default: {
        const char *s = P->p;
        char buf[64];
        char *endp;
        int isint = 1;
        if (*P->p == '-')
            P->p++;
        if (P->p >= P->end || *P->p < '0' || *P->p > '9')
            break;
        while (P->p < P->end && ((*P->p >= '0' && *P->p <= '9') || *P->p == '.' || *P->p == 'e' ||
                                 *P->p == 'E' || *P->p == '+' || *P->p == '-')) {
            if (*P->p == '.' || *P->p == 'e' || *P->p == 'E')
                isint = 0;
            P->p++;
        }
        if (P->p - s >= (ptrdiff_t)sizeof buf) {
            /* a long number: strtod reads it in place (the text ends at a delimiter) */
            char *tmp = (char *)nv_alloc(P->E, (size_t)(P->p - s) + 1);
            memcpy(tmp, s, (size_t)(P->p - s));
            tmp[P->p - s] = 0;
            j->d = strtod(tmp, &endp);
            if (*endp) {
                P->err = "bad number";
                return NULL;
            }
            j->kind = NJ_NUM;
            return j;
        }
        memcpy(buf, s, (size_t)(P->p - s));
        buf[P->p - s] = 0;
        j->kind = NJ_NUM;
        j->d = strtod(buf, &endp);
        if (*endp) {
            P->err = "bad number";
            return NULL;
        }
        if (isint) {
            long long v;
            errno = 0;
            v = strtoll(buf, &endp, 10);
            if (errno == 0) {
                j->is_int = 1;
                j->i = (int64_t)v;
            }
        }
        return j;
    }
    }
    P->err = "not a JSON value";
    return NULL;
}

/* the whole text must be one value */
NV_RT nv_json *nv_json_parse(nv_eng *E, const char *text, size_t len, const char **err)
{
    nv_jp P;
    nv_json *j;
    P.E = E;
    P.p = text;
    P.end = text + len;
    P.depth = 0;
    P.err = NULL;
    j = nv_jvalue(&P);
    if (j) {
        nv_jws(&P);
        if (P.p != P.end) {
            P.err = "text after the value";
            j = NULL;
        }
    }
    *err = P.err;
    return j;
}

NV_RT const char *nv_branch_tag(const nv_type *t)
{
    static const char *const prim[] = {"null", "boolean", "int", "long", "float", "double", "string",
                                       "bytes", "array", "map", "record", "enum", "fixed", "union",
                                       "function"};
    return t->name ? t->name : prim[t->kind];
}

NV_RT int nv_streq(const nv_str *s, const char *c)
{
    size_t n = strlen(c);
    return (size_t)s->n == n && memcmp(s->s, c, n) == 0;
}

/* a JSON string as bytes (each code point below 256 is one byte) */
NV_RT nv_str *nv_latin1(nv_eng *E, const nv_str *s)
{
    char *o;
    nv_str *r = nv_str_alloc(E, s->n, &o);
    int64_t i = 0, k = 0;
    while (i < s->n) {
        unsigned char c = (unsigned char)s->s[i];
        if (c < 0x80) {
            o[k++] = (char)c;
            i++;
        } else if ((c & 0xe0) == 0xc0 && i + 1 < s->n && c <= 0xc3) {
            o[k++] = (char)(((c & 0x1f) << 6) | (s->s[i + 1] & 0x3f));
            i += 2;
        } else
            return NULL;
    }
    o[k] = 0;
    r->n = k;
    return r;
}

NV_RT int nv_from_json(nv_eng *E, const nv_type *t, const nv_json *j, nv_val *out);

NV_RT int nv_special_double(const nv_json *j, double *d)
{
    if (j->kind != NJ_STR)
        return 0;
    if (nv_streq(j->s, "NaN") || nv_streq(j->s, "nan"))
        *d = NAN;
    else if (nv_streq(j->s, "Infinity") || nv_streq(j->s, "inf"))
        *d = HUGE_VAL;
    else if (nv_streq(j->s, "-Infinity") || nv_streq(j->s, "-inf"))
        *d = -HUGE_VAL;
    else
        return 0;
    return 1;
}

NV_RT int nv_from_json(nv_eng *E, const nv_type *t, const nv_json *j, nv_val *out)
{
    int64_t i;
    double d;
    switch (t->kind) {
    case NV_NULL:
        *out = nv_vi(0);
        return j->kind == NJ_NULL;
    case NV_BOOL:
        *out = nv_vi(j->kind == NJ_TRUE);
        return j->kind == NJ_TRUE || j->kind == NJ_FALSE;
    case NV_INT:
        if (j->kind != NJ_NUM || !j->is_int || j->i < INT32_MIN || j->i > INT32_MAX)
            return 0;
        *out = nv_vi((int32_t)j->i);
        return 1;
    case NV_LONG:
        if (j->kind != NJ_NUM || !j->is_int)
            return 0;
        *out = nv_vl(j->i);
        return 1;
    case NV_FLOAT:
    case NV_DOUBLE:
        if (j->kind == NJ_NUM)
            d = j->is_int ? (double)j->i : j->d;
        else if (!nv_special_double(j, &d))
            return 0;
        *out = t->kind == NV_FLOAT ? nv_vf((float)d) : nv_vd(d);
        return 1;
    case NV_STRING:
        if (j->kind != NJ_STR)
            return 0;
        *out = nv_vp(j->s);
        return 1;
    case NV_BYTES:
    case NV_FIXED: {
        nv_str *b;
        if (j->kind != NJ_STR || !(b = nv_latin1(E, j->s)))
            return 0;
        if (t->kind == NV_FIXED && b->n != t->size)
            return 0;
        *out = nv_vp(b);
        return 1;
    }
    case NV_ENUM: {
        int k;
        if (j->kind != NJ_STR)
            return 0;
        for (k = 0; k < t->n; k++)
            if (nv_streq(j->s, t->names[k])) {
                *out = nv_vi(k);
                return 1;
            }
        return 0;
    }
    case NV_ARRAY: {
        nv_arr *a;
        if (j->kind != NJ_ARR)
            return 0;
        a = nv_arr_new(E, j->n);
        for (i = 0; i < j->n; i++)
            if (!nv_from_json(E, t->items, j->kids[i], &a->v[i]))
                return 0;
        *out = nv_vp(a);
        return 1;
    }
    case NV_MAP: {
        nv_ment *e;
        if (j->kind != NJ_OBJ)
            return 0;
        e = (nv_ment *)nv_alloc(E, sizeof(nv_ment) * (size_t)(j->n ? j->n : 1));
        for (i = 0; i < j->n; i++) {
            e[i].k = j->keys[i];
            if (!nv_from_json(E, t->items, j->kids[i], &e[i].v))
                return 0;
        }
        *out = nv_vp(nv_map_sorted(E, e, j->n));
        return 1;
    }
    case NV_RECORD: {
        nv_rec *r;
        int f;
        if (j->kind != NJ_OBJ)
            return 0;
        r = nv_rec_new(E, t->n);
        for (f = 0; f < t->n; f++) {
            const nv_json *v = NULL;
            for (i = 0; i < j->n; i++)
                if (nv_streq(j->keys[i], t->names[f]))
                    v = j->kids[i];
            if (!v && t->defaults && t->defaults[f]) {
                const char *err;
                v = nv_json_parse(E, t->defaults[f], strlen(t->defaults[f]), &err);
            }
            if (!v || !nv_from_json(E, t->parts[f], v, &r->f[f]))
                return 0;
        }
        *out = nv_vp(r);
        return 1;
    }
    case NV_UNION: {
        int b;
        nv_val v;
        if (j->kind == NJ_NULL) {
            for (b = 0; b < t->n; b++)
                if (t->parts[b]->kind == NV_NULL) {
                    *out = nv_vp(nv_box(E, b, nv_vi(0)));
                    return 1;
                }
            return 0;
        }
        /* tagged: {"branch": value} */
        if (j->kind == NJ_OBJ && j->n == 1)
            for (b = 0; b < t->n; b++) {
                const char *tag = nv_branch_tag(t->parts[b]);
                const char *dot = strrchr(tag, '.');
                if ((nv_streq(j->keys[0], tag) || (dot && nv_streq(j->keys[0], dot + 1))) &&
                    nv_from_json(E, t->parts[b], j->kids[0], &v)) {
                    *out = nv_vp(nv_box(E, b, v));
                    return 1;
                }
            }
        /* untagged: the first branch the value fits */
        for (b = 0; b < t->n; b++)
            if (nv_from_json(E, t->parts[b], j, &v)) {
                *out = nv_vp(nv_box(E, b, v));
                return 1;
            }
        return 0;
    }
    default:
        return 0;
    }
}

/* ---- writing ---- */
typedef struct nv_buf { char *p; size_t n, cap; } nv_buf;

NV_RT void nv_buf_put(nv_eng *E, nv_buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        char *p;
        while (cap < b->n + n + 1)
            cap *= 2;
        p = (char *)realloc(b->p, cap);
        if (!p)
            nv_raise(E, -1000, "out of memory");
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

NV_RT void nv_buf_puts(nv_eng *E, nv_buf *b, const char *s) { nv_buf_put(E, b, s, strlen(s)); }

/* the shortest text that reads back as the same number */
NV_RT void nv_fmt_double(char *buf, size_t n, double v, int is_float)
{
    int p;
    if (v != v) {
        snprintf(buf, n, "\"NaN\"");
        return;
    }
    if (v == HUGE_VAL || v == -HUGE_VAL) {
        snprintf(buf, n, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
        return;
    }
    /* %g drops trailing zeros, so the first precision that reads back is the
       shortest text; any number with at most 15 (floats: 6) digits reads back
       at that precision already */
    for (p = is_float ? 6 : 15; p <= 17; p++) {
        snprintf(buf, n, "%.*g", p, v);
        if (is_float ? (float)strtod(buf, NULL) == (float)v : strtod(buf, NULL) == v)
            break;
    }
    if (!strpbrk(buf, ".eEn"))
        strncat(buf, ".0", n - strlen(buf) - 1);
}

NV_RT void nv_json_str(nv_eng *E, nv_buf *b, const char *s, int64_t n, int bytes)
{
    int64_t i;
    char esc[8];
    nv_buf_put(E, b, "\"", 1);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            nv_buf_put(E, b, esc, 2);
        } else if (c < 0x20 || c == 0x7f || (bytes && c >= 0x80)) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            nv_buf_put(E, b, esc, 6);
        } else
            nv_buf_put(E, b, (const char *)&s[i], 1);
    }
    nv_buf_put(E, b, "\"", 1);
}

NV_RT void nv_to_json_in(nv_eng *E, nv_buf *b, const nv_type *t, nv_val v);

NV_RT void nv_to_json(nv_eng *E, nv_buf *b, const nv_type *t, nv_val v)
{
    if (++E->vdepth > NV_MAX_VALUE_DEPTH) {
        E->vdepth = 0;
        free(b->p);
        b->p = NULL;
        nv_raise(E, -1004, "value nested too deeply");
    }
    nv_to_json_in(E, b, t, v);
    E->vdepth--;
}

NV_RT void nv_to_json_in(nv_eng *E, nv_buf *b, const nv_type *t, nv_val v)
{
    char num[48];
    int64_t i;
    switch (t->kind) {
    case NV_NULL:
        nv_buf_puts(E, b, "null");
        return;
    case NV_BOOL:
        nv_buf_puts(E, b, v.i ? "true" : "false");
        return;
    case NV_INT:
        snprintf(num, sizeof num, "%ld", (long)v.i);
        nv_buf_puts(E, b, num);
        return;
    case NV_LONG:
        snprintf(num, sizeof num, "%lld", (long long)v.l);
        nv_buf_puts(E, b, num);
        return;
    case NV_FLOAT:
        nv_fmt_double(num, sizeof num, (double)v.f, 1);
        nv_buf_puts(E, b, num);
        return;
    case NV_DOUBLE:
        nv_fmt_double(num, sizeof num, v.d, 0);
        nv_buf_puts(E, b, num);
        return;
    case NV_STRING:
    case NV_BYTES:
    case NV_FIXED: {
        const nv_str *s = (const nv_str *)v.p;
        nv_json_str(E, b, s->s, s->n, t->kind != NV_STRING);
        return;
    }
    case NV_ENUM:
        nv_json_str(E, b, t->names[v.i], (int64_t)strlen(t->names[v.i]), 0);
        return;
    case NV_ARRAY: {
        const nv_arr *a = (const nv_arr *)v.p;
        nv_buf_put(E, b, "[", 1);
        for (i = 0; i < a->n; i++) {
            if (i)
                nv_buf_put(E, b, ", ", 2);
            nv_to_json(E, b, t->items, a->v[i]);
        }
        nv_buf_put(E, b, "]", 1);
        return;
    }
    case NV_MAP: {
        const nv_map *m = (const nv_map *)v.p;
        nv_buf_put(E, b, "{", 1);
        for (i = 0; i < m->n; i++) {
            if (i)
                nv_buf_put(E, b, ", ", 2);
            nv_json_str(E, b, m->e[i].k->s, m->e[i].k->n, 0);
            nv_buf_put(E, b, ": ", 2);
            nv_to_json(E, b, t->items, m->e[i].v);
        }
        nv_buf_put(E, b, "}", 1);
        return;
    }
    case NV_RECORD: {
        const nv_rec *r = (const nv_rec *)v.p;
        nv_buf_put(E, b, "{", 1);
        for (i = 0; i < t->n; i++) {
            if (i)
                nv_buf_put(E, b, ", ", 2);
            nv_json_str(E, b, t->names[i], (int64_t)strlen(t->names[i]), 0);
            nv_buf_put(E, b, ": ", 2);
            nv_to_json(E, b, t->parts[i], r->f[i]);
        }
        nv_buf_put(E, b, "}", 1);
        return;
    }
    case NV_UNION: {
        const nv_uni *u = (const nv_uni *)v.p;
        const nv_type *bt = t->parts[u->tag];
        const char *tag = nv_branch_tag(bt);
        if (bt->kind == NV_NULL) {
            nv_buf_puts(E, b, "null");
            return;
        }
        nv_buf_put(E, b, "{", 1);
        nv_json_str(E, b, tag, (int64_t)strlen(tag), 0);
        nv_buf_put(E, b, ": ", 2);
        nv_to_json(E, b, bt, u->v);
        nv_buf_put(E, b, "}", 1);
        return;
    }
    default:
        nv_buf_puts(E, b, "null");
    }
}

/* a value decoded from Avro JSON text into the current arena; 0 on bad text */
NV_RT int nv_decode(nv_eng *E, const nv_type *t, const char *text, size_t len, nv_val *out, const char **err)
{
    nv_json *j = nv_json_parse(E, text, len, err);
    if (!j)
        return 0;
    if (!nv_from_json(E, t, j, out)) {
        *err = "the value does not match the type";
        return 0;
    }
    return 1;
}

/* the output callback gets the value's Avro JSON text */
NV_RT void nv_output(nv_eng *E, const nv_type *t, nv_val v)
{
    nv_buf b = {NULL, 0, 0};
    nv_to_json(E, &b, t, v);
    if (E->out)
        E->out(E->out_ctx, b.p ? b.p : "", b.n);
    free(b.p);
}

/* a constant, decoded once into the engine's constant arena */
NV_RT nv_val nv_constant(nv_eng *E, const nv_type *t, const char *json)
{
    nv_arena *cur = E->cur;
    nv_val v;
    const char *err;
    E->cur = &E->konst;
    if (!nv_decode(E, t, json, strlen(json), &v, &err))
        nv_raise(E, -1001, "internal error: a constant does not decode");
    E->cur = cur;
    return v;
}

/* "log": the values as JSON, space-separated, on standard error */
NV_RT void nv_log(nv_eng *E, const char *ns, int n, const nv_type *const *ts, const nv_val *vs)
{
    nv_buf b = {NULL, 0, 0};
    int i;
    if (ns) {
        nv_buf_puts(E, &b, ns);
        nv_buf_puts(E, &b, ": ");
    }
    for (i = 0; i < n; i++) {
        if (i)
            nv_buf_puts(E, &b, " ");
        nv_to_json(E, &b, ts[i], vs[i]);
    }
    fprintf(stderr, "%s\n", b.p ? b.p : "");
    free(b.p);
}

/*@ section engine needs core json */
/* ---- an engine's interface: what every engine does the same way ----
 * The generated unit passes its own storage and the bodies of the
 * document's routines (init, action, merge, end); these run them under the
 * error handler and the deadline, and keep or roll back state as the call
 * ends.  Results are enum nerva_pfa_status (nerva_model.h). */

/* body under a handler and the deadline (the document's doc_ms, else the
   host's): state kept when it finishes, rolled back when it raises */
NV_RT int nv_run(nv_eng *E, nv_body body, void *frame, int64_t doc_ms)
{
    char base;
    int failed;
    E->epoch++;
    E->mut = NULL;
    E->stack_base = &base;
    nv_deadline(E, doc_ms >= 0 ? doc_ms : E->host_ms);
    failed = nv_try(E, body, frame);
    E->stack_base = NULL;
    nv_settle(E, !failed);
    return failed ? NERVA_PFA_ERROR : NERVA_PFA_OK;
}

/* an engine's start on zeroed storage: its cells, pools and constants; the
   shared ones where scells/spools say (NULL: its own), then init (constants,
   cells, pools, "begin") */
NV_RT int nv_start(nv_eng *E, nv_cell *cells, int ncells, nv_pool *pools, int npools, nv_val *consts,
                   nv_cell *scells, nv_pool *spools, nv_shared *sh, nv_body init, void *frame,
                   int64_t doc_ms)
{
    E->host_ms = -1;
    E->cur = &E->tmp;
    E->cells = cells;
    E->ncells = ncells;
    E->pools = pools;
    E->npools = npools;
    E->consts = consts;
    E->scells = scells ? scells : cells;
    E->spools = spools ? spools : pools;
    E->sh = sh;
    if (sh) {   /* its place in the battery: its own pseudorandom stream */
        if (sh->lock)
            sh->lock(sh->ctx);
        E->index = sh->engines++;
        if (sh->unlock)
            sh->unlock(sh->ctx);
    }
    return nv_run(E, init, frame, doc_ms);
}

/* A battery's shared cells and pools, initialised once by body through a
   scratch engine (E on zeroed storage, freed here): the lock goes into sh. */
NV_RT int nv_shared_start(nv_eng *E, nv_cell *cells, int ncells, nv_pool *pools, int npools, nv_val *consts,
                          nv_shared *sh, void (*lock)(void *), void (*unlock)(void *), void *ctx,
                          nv_cell *scells, nv_pool *spools, nv_body body, void *frame)
{
    int rc = NERVA_PFA_OK;
    sh->lock = lock;
    sh->unlock = unlock;
    sh->ctx = ctx;
    E->cur = &E->tmp;
    E->cells = cells;
    E->ncells = ncells;
    E->pools = pools;
    E->npools = npools;
    E->consts = consts;
    E->scells = scells;
    E->spools = spools;
    if (nv_try(E, body, frame))
        rc = NERVA_PFA_ERROR;
    nv_settle(E, rc == NERVA_PFA_OK);
    nv_state_free(E);
    return rc;
}

/* bad input text: the error a host reads, NERVA_PFA_BAD_INPUT */
NV_RT int nv_bad_input(nv_eng *E, const char *what, const char *why)
{
    snprintf(E->err_msg, sizeof E->err_msg, "%s: %s", what, why);
    E->err_len = strlen(E->err_msg);
    E->err_code = 0;
    return NERVA_PFA_BAD_INPUT;
}

/* "action" on one input value (Avro JSON text of type t) */
typedef void (*nv_action_fn)(nv_eng *E, nv_val in, void *frame);
typedef struct nv_acall {
    const nv_type *t;
    const char *json;
    size_t len;
    const char *bad;
    nv_action_fn body;
    void *frame;
} nv_acall;

NV_RT void nv_acall_body(nv_eng *E, void *frame)
{
    nv_acall *A = (nv_acall *)frame;
    nv_val in;
    if (!nv_decode(E, A->t, A->json, A->len, &in, &A->bad))
        return;
    E->started++;
    A->body(E, in, A->frame);
    E->finished++;
}

NV_RT int nv_call_action(nv_eng *E, const nv_type *t, const char *json, size_t len, nv_outfn out, void *ctx,
                         nv_action_fn body, void *frame, int64_t doc_ms)
{
    nv_acall A;
    int rc;
    A.t = t;
    A.json = json;
    A.len = len;
    A.bad = NULL;
    A.body = body;
    A.frame = frame;
    E->out = out;
    E->out_ctx = ctx;
    E->depth = 0;
    rc = nv_run(E, nv_acall_body, &A, doc_ms);
    if (rc == NERVA_PFA_OK && A.bad)
        return nv_bad_input(E, "input", A.bad);
    return rc;
}

/* a fold engine's "merge" of two tallies (Avro JSON text of type t) */
typedef void (*nv_merge_fn)(nv_eng *E, nv_val a, nv_val b, void *frame);
typedef struct nv_mcall {
    const nv_type *t;
    const char *json[2];
    size_t len[2];
    const char *bad;
    nv_merge_fn body;
    void *frame;
} nv_mcall;

NV_RT void nv_mcall_body(nv_eng *E, void *frame)
{
    nv_mcall *A = (nv_mcall *)frame;
    nv_val t[2];
    int k;
    for (k = 0; k < 2; k++)
        if (!nv_decode(E, A->t, A->json[k], A->len[k], &t[k], &A->bad))
            return;
    A->body(E, t[0], t[1], A->frame);
}

NV_RT int nv_call_merge(nv_eng *E, const nv_type *t, const char *one, size_t one_len, const char *two,
                        size_t two_len, nv_outfn out, void *ctx, nv_merge_fn body, void *frame)
{
    nv_mcall A;
    int rc;
    A.t = t;
    A.json[0] = one;
    A.len[0] = one_len;
    A.json[1] = two;
    A.len[1] = two_len;
    A.bad = NULL;
    A.body = body;
    A.frame = frame;
    E->out = out;
    E->out_ctx = ctx;
    E->depth = 0;
    rc = nv_run(E, nv_mcall_body, &A, -1);
    if (rc == NERVA_PFA_OK && A.bad)
        return nv_bad_input(E, "tally", A.bad);
    return rc;
}

/* "end" */
NV_RT int nv_call_end(nv_eng *E, nv_outfn out, void *ctx, nv_body body, void *frame, int64_t doc_ms)
{
    E->out = out;
    E->out_ctx = ctx;
    E->depth = 0;
    return nv_run(E, body, frame, doc_ms);
}

/* the host's limit for routines whose document gives none (-1: none) */
NV_RT int nv_set_timeout(nv_eng *E, long long ms)
{
    E->host_ms = ms < 0 ? -1 : (int64_t)ms;
    return NERVA_PFA_OK;
}

/* the last error: its code, message and length */
NV_RT int nv_last_error(const nv_eng *E, const char **message, size_t *length)
{
    if (message)
        *message = E->err_msg;
    if (length)
        *length = E->err_len;
    return E->err_code;
}
