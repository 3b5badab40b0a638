/* trees.c -- what PMML's decision trees need at run time beyond the code
 * the backend writes for each tree: three-valued predicate logic, and the
 * walkers of the three data-driven tree layouts (compiler/c/emit_trees.c
 * says which tree gets which layout):
 *   node tables  (nv_tnode) walked by one generic loop, for any predicate;
 *   test graphs  (nv_gtest) walked four trees at a time, for large
 *                ensembles of numeric and code splits;
 *   flat trees   (nv_fnode) one-value tests walked with no branch on the
 *                data, eight walks in lockstep, for one record or blocks
 *                of records.
 * The tables themselves are data the backend writes per model; the walkers
 * take them as arguments, so this file compiles on its own (lib.c) and is
 * tested directly (test_lib.c).  Copied into units by sections (base.c). */

/*@ section logic3 needs prelude */
/* three-valued logic of PMML predicates: 1 true, 0 false, -1 unknown */
NV_RT int nv_and3(int a, int b) { return (a == 0 || b == 0) ? 0 : (a < 0 || b < 0) ? -1 : 1; }
NV_RT int nv_or3(int a, int b) { return (a == 1 || b == 1) ? 1 : (a < 0 || b < 0) ? -1 : 0; }
NV_RT int nv_xor3(int a, int b) { return (a < 0 || b < 0) ? -1 : (a != b); }
NV_RT int nv_sur3(int a, int b) { return a >= 0 ? a : b; }

/*@ section slot needs prelude */
/* the values table-driven trees read: value, string, missing, position */
typedef struct nv_slot { double d; const char *s; int n, p; } nv_slot;

/*@ section tree_table needs slot */
/* Node tables: gcc compiles tables far faster than thousands of nested
   branches.  kind: 0 true, 1 false, 2 number op num, 3 string op str[aux],
   4 is missing, 5 is not missing, 6/7 number in / not in num[aux..+naux),
   8/9 string in / not in str[aux..+naux).  op: == != < <= > >=.  A node's
   children are kids[kid0..+nkids); dflt its default child or -1. */
typedef struct nv_tnode {
    int kind, op, slot;
    double num;
    int aux, naux, kid0, nkids, dflt;
} nv_tnode;

NV_RT int nv_tcmp(double a, int op, double b)
{
    switch (op) {
    case 0: return a == b;
    case 1: return a != b;
    case 2: return a < b;
    case 3: return a <= b;
    case 4: return a > b;
    default: return a >= b;
    }
}

/* a node's predicate, three-valued */
NV_RT int nv_tpred(const nv_tnode *t, const nv_slot *fx, const char *const *str, const double *num)
{
    const nv_slot *s = &fx[t->slot];
    int i;
    switch (t->kind) {
    case 0: return 1;
    case 1: return 0;
    case 4: return s->n;
    case 5: return !s->n;
    default: break;
    }
    if (s->n) return -1;
    switch (t->kind) {
    case 2: return nv_tcmp(s->d, t->op, t->num);
    case 3: return nv_tcmp((double)strcmp(s->s, str[t->aux]), t->op, 0.0);
    case 6: case 7:
        for (i = 0; i < t->naux; i++) if (s->d == num[t->aux + i]) return t->kind == 6;
        return t->kind == 7;
    default:
        for (i = 0; i < t->naux; i++) if (strcmp(s->s, str[t->aux + i]) == 0) return t->kind == 8;
        return t->kind == 9;
    }
}

/* The node a walk from the root selects, or -1 for a null prediction.
   missing: what an unknown predicate does (0 counts as false, 1 last
   prediction, 2 null prediction, 3 default child); notrue_null: a node
   with no true child predicts null rather than itself. */
NV_RT int nv_walk(const nv_tnode *T, const int *kids, int missing, int notrue_null,
                  const nv_slot *fx, const char *const *str, const double *num)
{
    int k = 0, i, p, next;
    if (nv_tpred(&T[0], fx, str, num) != 1) return -1;
    for (;;) {
        const nv_tnode *n = &T[k];
        if (n->nkids == 0) return k;
        next = -1;
        for (i = 0; i < n->nkids; i++) {
            int c = kids[n->kid0 + i];
            p = nv_tpred(&T[c], fx, str, num);
            if (p == 1) { next = c; break; }
            if (p < 0) {
                if (missing == 1) return k;
                if (missing == 2) return -1;
                if (missing == 3) { if (n->dflt >= 0) { next = n->dflt; break; } return k; }
            }
        }
        if (next < 0) return notrue_null ? -1 : k;
        k = next;
    }
}

/*@ section graph_pos needs prelude */
/* the position of x among n sorted thresholds: 2i + 1 is threshold i */
NV_RT int nv_pos(const double *th, int n, double x)
{
    int lo = 0, hi = n;
    if (x != x) return -1;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (th[mid] <= x) lo = mid + 1; else hi = mid;
    }
    return lo > 0 && th[lo - 1] == x ? 2 * lo - 1 : 2 * lo;
}

/*@ section graph_nomask needs prelude */
/* the mask table of a graph that has no set tests */
static const unsigned long long nv_nomask[2] NV_UNUSED = {0, 0};

/*@ section graph needs slot */
/* Trees as graphs of tests (nerva's docs/generated-code.md).  A test reads
   the position p of its value (fx[slot].p: among the thresholds for numbers,
   the code for strings; -1 NaN or unknown code; NV_GMISS missing).  op1 and
   op2 are its two questions: bits 1 p < tp, 2 p == tp, 4 p > tp, 8 NaN; or,
   with the set flag, whether the code is in mask M[tp] (op1) or M[tp + 1]
   (op2).  Next test: k[1] when op1 holds, k[0] when only op2 does; when
   neither holds X[2d], when the value is missing X[2d + 1].  A negative
   destination ends the walk: -1 null, -(node + 2) the selected node.
   The test comes in two widths, chosen by the unit (NV_GTEST_NARROW): the
   8-byte one, when every number of the model fits, halves the memory a walk
   touches, which is what a large forest waits for. */
enum { NV_GMISS = -2147483647 - 1 };
#if NV_GTEST_NARROW
/* tp and k as shorts; slot in bits 0-6 of sl, bit 7 the set flag; op1 in
   bits 0-3 of ops, op2 in bits 4-7 */
typedef struct nv_gtest {
    short tp;
    short k[2];
    unsigned char sl, ops;
} nv_gtest;
#define NV_GSLOT(g) ((g)->sl & 127)
#define NV_GSET(g) ((g)->sl >> 7)
#define NV_GOP1(g) ((g)->ops & 15)
#define NV_GOP2(g) ((g)->ops >> 4)
#else
/* the set flag is bit 4 of op1 */
typedef struct nv_gtest {
    int tp;
    int k[2];
    unsigned short slot;
    unsigned char op1, op2;
} nv_gtest;
#define NV_GSLOT(g) ((g)->slot)
#define NV_GSET(g) ((g)->op1 >> 4)
#define NV_GOP1(g) ((g)->op1 & 15)
#define NV_GOP2(g) ((g)->op2 & 15)
#endif

/* inline: the walkers call it from four lanes, and a call per step costs
   more than the step (measured: 14% fewer instructions on a 200-tree forest) */
NV_RT inline int nv_gstep(const nv_gtest *T, const int *X, const unsigned long long *M, int d,
                          const nv_slot *fx)
{
    const nv_gtest *g = &T[d];
    int p = fx[NV_GSLOT(g)].p, ism = NV_GSET(g), op1 = NV_GOP1(g), op2 = NV_GOP2(g), tp = g->tp;
    if (p >= 0) {
        /* no data-dependent branch here: compute both kinds, select */
        const unsigned long long *mk = M + (tp & -ism);
        int st = (p == tp) + 2 * (p > tp), in = p < 64, sh = p & 63;
        int n1 = (op1 >> st) & 1, n2 = (op2 >> st) & 1;
        int c1 = n1 ^ ((n1 ^ ((int)(mk[0] >> sh) & in)) & -ism);
        int c2 = n2 ^ ((n2 ^ ((int)(mk[1] >> sh) & in)) & -ism);
        if (c1 | c2) return g->k[c1];
    } else if (p == NV_GMISS) {
        return X[2 * d + 1];
    } else if (!ism && ((op1 | op2) & 8)) {
        return g->k[(op1 >> 3) & 1];
    }
    return X[2 * d];
}

/* one tree's walk from test d: the selected node, or -1 for null */
NV_RT int nv_gwalk(const nv_gtest *T, const int *X, const unsigned long long *M, int d,
                   const nv_slot *fx)
{
    while (d >= 0)
        d = nv_gstep(T, X, M, d, fx);
    return d == -1 ? -1 : -d - 2;
}

typedef struct nv_gtree {
    const nv_gtest *T;
    const int *X;
    const unsigned long long *M;
    int entry;
} nv_gtree;

/* Walking one tree is a chain of dependent loads; walking four at once lets
   the processor overlap their latencies.  A lane that finishes takes the
   next tree.  The lanes are written out, so their state lives in registers.
   res[t] receives tree t's node (or -1). */
NV_RT void nv_gwalk_all(const nv_gtree *F, int n, const nv_slot *fx, int *res)
{
    int next = 0, live = 0;
    int t0 = -1, d0 = -1, t1 = -1, d1 = -1, t2 = -1, d2 = -1, t3 = -1, d3 = -1;
    const nv_gtest *T0 = 0, *T1 = 0, *T2 = 0, *T3 = 0;
    const int *X0 = 0, *X1 = 0, *X2 = 0, *X3 = 0;
    const unsigned long long *M0 = 0, *M1 = 0, *M2 = 0, *M3 = 0;
    if (next < n) { t0 = next++; T0 = F[t0].T; X0 = F[t0].X; M0 = F[t0].M; d0 = F[t0].entry; live++; }
    if (next < n) { t1 = next++; T1 = F[t1].T; X1 = F[t1].X; M1 = F[t1].M; d1 = F[t1].entry; live++; }
    if (next < n) { t2 = next++; T2 = F[t2].T; X2 = F[t2].X; M2 = F[t2].M; d2 = F[t2].entry; live++; }
    if (next < n) { t3 = next++; T3 = F[t3].T; X3 = F[t3].X; M3 = F[t3].M; d3 = F[t3].entry; live++; }
    while (live) {
        if (d0 >= 0)
            d0 = nv_gstep(T0, X0, M0, d0, fx);
        else if (t0 >= 0) {
            res[t0] = d0 == -1 ? -1 : -d0 - 2;
            if (next < n) { t0 = next++; T0 = F[t0].T; X0 = F[t0].X; M0 = F[t0].M; d0 = F[t0].entry; }
            else { t0 = -1; live--; }
        }
        if (d1 >= 0)
            d1 = nv_gstep(T1, X1, M1, d1, fx);
        else if (t1 >= 0) {
            res[t1] = d1 == -1 ? -1 : -d1 - 2;
            if (next < n) { t1 = next++; T1 = F[t1].T; X1 = F[t1].X; M1 = F[t1].M; d1 = F[t1].entry; }
            else { t1 = -1; live--; }
        }
        if (d2 >= 0)
            d2 = nv_gstep(T2, X2, M2, d2, fx);
        else if (t2 >= 0) {
            res[t2] = d2 == -1 ? -1 : -d2 - 2;
            if (next < n) { t2 = next++; T2 = F[t2].T; X2 = F[t2].X; M2 = F[t2].M; d2 = F[t2].entry; }
            else { t2 = -1; live--; }
        }
        if (d3 >= 0)
            d3 = nv_gstep(T3, X3, M3, d3, fx);
        else if (t3 >= 0) {
            res[t3] = d3 == -1 ? -1 : -d3 - 2;
            if (next < n) { t3 = next++; T3 = F[t3].T; X3 = F[t3].X; M3 = F[t3].M; d3 = F[t3].entry; }
            else { t3 = -1; live--; }
        }
    }
}

/*@ section le needs prelude */
/* Large tables of numbers as strings of bytes, little-endian whatever the
   machine (the backend writes a flat forest's tables and trees' columns of
   numbers so): a C compiler reads a string of a million bytes in a fraction
   of the time and memory a million initialisers take, and such tables are
   most of a large forest's C (1,000 trees of depth 10: gcc took 17 s and
   740 MB for the entries alone as structs).  gcc and clang turn the byte
   loads below into one load. */
#if defined(__GNUC__) || defined(__clang__)
#define NV_FINLINE __attribute__((always_inline)) inline
#else
#define NV_FINLINE inline
#endif
/* the bits are IEEE-754 binary32 and binary64, which C99 does not promise:
   a machine whose numbers are otherwise cannot compile them (a negative
   array size) rather than read them wrong */
typedef char nv_float_is_ieee[FLT_RADIX == 2 && FLT_MANT_DIG == 24 && FLT_MAX_EXP == 128 &&
                              DBL_MANT_DIG == 53 && DBL_MAX_EXP == 1024 ? 1 : -1];

NV_RT NV_FINLINE unsigned nv_le16(const unsigned char *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

NV_RT NV_FINLINE unsigned nv_le32(const unsigned char *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8 | (unsigned)p[2] << 16 | (unsigned)p[3] << 24;
}

NV_RT NV_FINLINE unsigned long long nv_le64(const unsigned char *p)
{
    return (unsigned long long)nv_le32(p) | (unsigned long long)nv_le32(p + 4) << 32;
}

/* the float and the double whose bits are at p */
NV_RT NV_FINLINE float nv_lef(const unsigned char *p)
{
    unsigned u = nv_le32(p);
    float v;
    memcpy(&v, &u, sizeof v);
    return v;
}

NV_RT NV_FINLINE double nv_led(const unsigned char *p)
{
    unsigned long long u = nv_le64(p);
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

/*@ section flat needs prelude le */
/* Flat trees (compiler/c/emit_flat.c; docs/generated-code.md): the layout
   of ensembles whose predicates come down to tests of one value.  The
   trees of a forest are one array of 8-byte entries, T, each tree's root
   at its `root`; an inner entry tests one value and the walk moves from
   entry i to entry i + d + c, d the entry's distance to its first child
   and c the test's outcome: the children of an entry are adjacent.  A leaf
   is an entry that leads to itself (d is 0; its test reads the record's
   constant 0 at the last slot of X against its t, which is above 0 or a
   NaN: nv_fresult), so a walk may take more steps than its path needs and
   still end where it should, with no branch on the data.  One array and
   distances rather than positions in each tree: eight walks of different
   trees in lockstep need a register each, and no pointer each.
   A test is "x >= t" (the backend turns "x > v" into "x >= the next number
   after v").  x is the value itself when every value the forest compares
   is a float; else (NV_FLAT_RANK) the value's rank among the thresholds it
   is compared with (nv_frank: how many are at most x; t is then at least
   1), which turns every comparison of doubles, integers or floats into
   one of ints, exactly.
   With NV_FLAT_CODES (ranks only) a test may instead send a code to one of
   up to four children: its x is 2k for code k (0-29 themselves, 30 any
   other, -1 too, 31 missing), its t is j << NV_FLAT_MSHIFT (above every x
   and rank), and bits 2k, 2k + 1 of the forest's mask M[j] name the child.
   Both are computed: a comparison's or a leaf's t is below 2^NV_FLAT_MSHIFT,
   so it reads M[0], which is 0; a test of codes compares x with a t no x
   reaches.
   A record's values are in X, in three parts:
     X[f]            missing as the lowest  (a missing value goes to the first child)
     X[nf + f]       missing as the highest (... to the second child)
     X[2nf + f]      missing as neither     (... to the third)
   so a missing value goes its tree's way without a test; the third part
   exists only with NV_FLAT_THREE: some test sends missing values to a
   third child (the node itself, null, or the next child of a node of
   many).  There c gains 2: in rank mode from the top bits of x (x >> 30
   is 2 for neither, INT_MIN, and 0 for every other x: ranks are below
   2^20, the lowest is 0, the highest 2^30 - 1); with floats from XN[f]
   (missing as -inf and XN 2; XN is 0 elsewhere).  With NV_FLAT_THREE 2
   every such value makes its tree's result null (PMML's default
   strategy), and goes to entry 0 of T, a null leaf: a third child per
   test would be a third of the entries, in the cache lines the walks read.
   A value that is NaN but not missing goes where the model's predicates
   send it, which no step computes: such a record is walked by nv_fexact
   instead, which reads N (a rare path).  The batch walks it with the rest
   of its block all the same (and drops the result), so its value is one a
   step may read: in rank mode NV_FNAN, which goes to the second child (as
   the highest does) and no further; with floats NaN, which goes to the
   first.
   A tree's walks take their first `fixed` steps unchecked; in deep forests
   (NV_FLAT_DEEP: paths of very different lengths) the walks then go on
   only while some walk is not at a leaf, up to `steps`, after which every
   walk is at a leaf.
   NV_FSUM_DOUBLE: the values summed from leaves (V) are double (1) or
   float (0). */
#ifndef NV_FLAT_RANK
#define NV_FLAT_RANK 0
#endif
#ifndef NV_FLAT_CODES
#define NV_FLAT_CODES 0
#endif
#ifndef NV_FLAT_THREE
#define NV_FLAT_THREE 0
#endif
#ifndef NV_FLAT_DEEP
#define NV_FLAT_DEEP 0
#endif
#ifndef NV_FLAT_MSHIFT
#define NV_FLAT_MSHIFT 20
#endif
#ifndef NV_FSUM_DOUBLE
#define NV_FSUM_DOUBLE 1
#endif
#if NV_FLAT_CODES && !NV_FLAT_RANK
#error "NV_FLAT_CODES needs NV_FLAT_RANK"
#endif
#if NV_FLAT_RANK
typedef int nv_ft;
#define NV_FLOWEST 0
#define NV_FHIGHEST 0x3fffffff
#define NV_FNEITHER INT_MIN
#define NV_FNAN 0x3ffffffe /* a NaN's rank: not missing, not a number */
#define NV_FISNAN(v) ((v) == NV_FNAN)
#else
typedef float nv_ft;
#define NV_FISNAN(v) ((v) != (v))
#endif
#if NV_FSUM_DOUBLE
typedef double nv_fs;
#else
typedef float nv_fs;
#endif

/* An entry is 8 bytes of a string (section le): t (4: a float's bits, or
   a rank), f (2), d + 0x8000 (2: d is signed, and the bias folds into the
   step's addition). */
typedef unsigned char nv_fnode;

/* entry i's t */
NV_RT NV_FINLINE nv_ft nv_ft_at(const nv_fnode *T, size_t i)
{
#if NV_FLAT_RANK
    unsigned u = nv_le32(T + 8 * (size_t)i);
    return u <= INT_MAX ? (int)u : -(int)(~u) - 1;
#else
    return nv_lef(T + 8 * (size_t)i);
#endif
}

/* f and d, each one load of its own (one load of both would keep a
   register per walk live to the step's end: spills in eight-walk lockstep) */
NV_RT NV_FINLINE unsigned nv_ff_at(const nv_fnode *T, size_t i)
{
    return nv_le16(T + 8 * (size_t)i + 4);
}

/* d + 0x8000: i + it - 0x8000 is the child (unsigned arithmetic, which
   wraps back into T); 0x8000 at a leaf */
#define NV_FLEAF 0x8000u
NV_RT NV_FINLINE unsigned nv_fd_at(const nv_fnode *T, size_t i)
{
    return nv_le16(T + 8 * (size_t)i + 6);
}

/* V's values, in the same way: a float's or a double's bits */
NV_RT NV_FINLINE nv_fs nv_fvalue(const unsigned char *V, size_t k)
{
#if NV_FSUM_DOUBLE
    return nv_led(V + 8 * k);
#else
    return nv_lef(V + 4 * k);
#endif
}

/* One tree of a forest.  T, M, V, N and R are the forest's, the same for
   every tree; they are indexed by entries of T. */
typedef struct nv_ftree {
    const nv_fnode *T; /* the forest's entries */
    const unsigned long long *M; /* NV_FLAT_CODES: the masks of its tests of codes, M[0] = 0 */
    const unsigned char *V; /* sums: rows of K values (nv_fvalue), what a walk ending at a leaf
                               adds to each sum (NaN: the statements decide), one row for the
                               leaves alike in every tree; or 0 */
    const unsigned char *N; /* per test entry (nv_fint): where a NaN value that is not missing goes */
    const unsigned char *R; /* sums: per leaf entry (nv_fint), the node of its tree a walk ending
                               there selects, or -1 (null); or 0: no sums.  N and R are one table
                               (each reads entries the other does not) */
    unsigned root;     /* the tree's first entry */
    int fixed, steps;
} nv_ftree;

/* entry i of a table of ints (N, R), as bytes like the rest: 4 each,
   little-endian, two's complement (gcc reads millions of them as a string
   in a fraction of the time it takes as initialisers) */
NV_RT NV_FINLINE int nv_fint(const unsigned char *p, size_t i)
{
    unsigned u = nv_le32(p + 4 * i);
    return u <= INT_MAX ? (int)u : -(int)(~u) - 1;
}

/* The node of tree F a walk that ends at leaf entry i selects, or -1
   (null).  A leaf's t is above the constant 0 it reads (or NaN): without
   sums it is that node + 2; with sums, it names the leaf's row of V
   (nv_fadd; a row serves many leaves, so its node is in R). */
NV_RT NV_FINLINE int nv_fresult(const nv_ftree *F, size_t i)
{
    return F->R ? nv_fint(F->R, i) : (int)nv_ft_at(F->T, i) - 2;
}

/* A record's values (rows of a block, stride apart): X, and XN (floats,
   NV_FLAT_THREE) or 0. */
typedef struct nv_frec {
    const nv_ft *X;
    const unsigned char *XN;
    int three; /* NV_FLAT_THREE: some value is missing (as neither), so the
                  steps read the third part's flag; 0: no step needs it */
} nv_frec;

/* the rank of x among n sorted thresholds: how many are at most x.  No
   branch on x (a search's branches are as unpredictable as its values):
   the loop halves len whatever x is, and x only moves base. */
NV_RT int nv_frank(const double *th, int n, double x)
{
    const double *base = th;
    int len = n;
    if (n == 0)
        return 0;
    while (len > 1) {
        int half = len >> 1;
        base += half & -(int)(base[half - 1] <= x);
        len -= half;
    }
    return (int)(base - th) + (*base <= x);
}

/* one step from entry i, the record's values at X + o (M and XN are read
   only where the forest has them); *inner gains i's d, which is 0 only at
   a leaf */
NV_RT NV_FINLINE size_t nv_fstep(const nv_fnode *T, const unsigned long long *M, size_t i, const nv_ft *X,
                                 const unsigned char *XN, int o, int three, unsigned *inner)
{
    unsigned f = nv_ff_at(T, i);
    size_t d = nv_fd_at(T, i);
    nv_ft t = nv_ft_at(T, i), x = X[o + f];
    unsigned c = x >= t;
    *inner |= (unsigned)d ^ NV_FLEAF;
#if NV_FLAT_CODES
    c |= (unsigned)(M[(unsigned)t >> NV_FLAT_MSHIFT] >> (x & 63)) & 3u;
#else
    (void)M;
#endif
#if NV_FLAT_THREE == 2 && NV_FLAT_RANK
    /* entry 0 without a branch: a mask of all ones or of none */
    if (three)
        return (i + d + c - NV_FLEAF) & -(size_t)(x != NV_FNEITHER);
    (void)XN;
#elif NV_FLAT_THREE == 2
    if (three)
        return (i + d + c - NV_FLEAF) & -(size_t)(XN[o + f] == 0);
#elif NV_FLAT_THREE && NV_FLAT_RANK
    if (three)
        c += (unsigned)x >> 30;
    (void)XN;
#elif NV_FLAT_THREE
    if (three)
        c += XN[o + f];
#else
    (void)XN;
    (void)three;
#endif
    return i + d + c - NV_FLEAF;
}

/* row r of a block */
NV_RT NV_FINLINE nv_frec nv_frow(const nv_frec *b, int r, int stride)
{
    nv_frec x;
    x.X = b->X + (size_t)r * (size_t)stride;
    x.XN = NV_FLAT_THREE && !NV_FLAT_RANK ? b->XN + (size_t)r * (size_t)stride : b->XN;
    x.three = b->three;
    return x;
}

/* One tree, rows [0, n) of a block: at[r] receives the entry row r's walk
   ends at.  Eight rows walk in lockstep: their walks are independent, so
   the processor overlaps them. */
NV_RT NV_FINLINE void nv_fblock1_(const nv_ftree *F, const nv_frec *b, int stride, int n, int *at, int tr)
{
    const nv_fnode *T = F->T;
    const unsigned long long *M = F->M;
    int r = 0, s;
    unsigned inner = 0;
    for (; r + 8 <= n; r += 8) {
        /* the eight rows at offsets from one (stride is a constant where
           this is inlined: the offsets fold into the loads, and no row
           needs a register of its own) */
        nv_frec x = nv_frow(b, r, stride);
        size_t i0 = F->root, i1 = i0, i2 = i0, i3 = i0, i4 = i0, i5 = i0, i6 = i0, i7 = i0;
        for (s = 0; s < F->fixed; s++) {
            i0 = nv_fstep(T, M, i0, x.X, x.XN, 0, tr, &inner);
            i1 = nv_fstep(T, M, i1, x.X, x.XN, stride, tr, &inner);
            i2 = nv_fstep(T, M, i2, x.X, x.XN, 2 * stride, tr, &inner);
            i3 = nv_fstep(T, M, i3, x.X, x.XN, 3 * stride, tr, &inner);
            i4 = nv_fstep(T, M, i4, x.X, x.XN, 4 * stride, tr, &inner);
            i5 = nv_fstep(T, M, i5, x.X, x.XN, 5 * stride, tr, &inner);
            i6 = nv_fstep(T, M, i6, x.X, x.XN, 6 * stride, tr, &inner);
            i7 = nv_fstep(T, M, i7, x.X, x.XN, 7 * stride, tr, &inner);
        }
        for (inner = 1; s < F->steps && inner; s++) {
            inner = 0;
            i0 = nv_fstep(T, M, i0, x.X, x.XN, 0, tr, &inner);
            i1 = nv_fstep(T, M, i1, x.X, x.XN, stride, tr, &inner);
            i2 = nv_fstep(T, M, i2, x.X, x.XN, 2 * stride, tr, &inner);
            i3 = nv_fstep(T, M, i3, x.X, x.XN, 3 * stride, tr, &inner);
            i4 = nv_fstep(T, M, i4, x.X, x.XN, 4 * stride, tr, &inner);
            i5 = nv_fstep(T, M, i5, x.X, x.XN, 5 * stride, tr, &inner);
            i6 = nv_fstep(T, M, i6, x.X, x.XN, 6 * stride, tr, &inner);
            i7 = nv_fstep(T, M, i7, x.X, x.XN, 7 * stride, tr, &inner);
        }
        at[r] = (int)i0; at[r + 1] = (int)i1; at[r + 2] = (int)i2; at[r + 3] = (int)i3;
        at[r + 4] = (int)i4; at[r + 5] = (int)i5; at[r + 6] = (int)i6; at[r + 7] = (int)i7;
    }
    for (; r < n; r++) {
        nv_frec x = nv_frow(b, r, stride);
        size_t i = F->root;
        for (s = 0; s < F->steps && nv_fd_at(T, i) != NV_FLEAF; s++)
            i = nv_fstep(T, M, i, x.X, x.XN, 0, tr, &inner);
        at[r] = (int)i;
    }
}

/* the walk as two copies, with and without the third part's flag: a
   block with no missing value (every block of data that has none) takes
   the steps that do not read it (9% faster on a random forest whose
   missing values would go to neither child) */
NV_RT void nv_fblock1(const nv_ftree *F, const nv_frec *b, int stride, int n, int *at)
{
    if (NV_FLAT_THREE && b->three)
        nv_fblock1_(F, b, stride, n, at, 1);
    else
        nv_fblock1_(F, b, stride, n, at, 0);
}

/* acc[r * K + q] += V[row * K + q], rows [0, m), row the leaf at[r]'s row:
   the low 23 bits of its t, less 1 (a rank; with floats, a NaN's payload,
   as 0 >= NaN is false); the first four sums written out, as K is a
   constant where this is inlined and gcc -O2 does not unroll a loop of
   three */
NV_RT NV_FINLINE void nv_fadd(nv_fs *acc, const nv_fnode *T, const unsigned char *V, const int *at, int m, int K)
{
    int r, q;
    for (r = 0; r < m; r++) {
        nv_fs *a = acc + (size_t)r * (size_t)K;
        size_t v = (size_t)((nv_le32(T + 8 * (size_t)at[r]) & 0x7fffffu) - 1) * (size_t)K;
        a[0] += nv_fvalue(V, v);
        if (K > 1)
            a[1] += nv_fvalue(V, v + 1);
        if (K > 2)
            a[2] += nv_fvalue(V, v + 2);
        if (K > 3)
            a[3] += nv_fvalue(V, v + 3);
        for (q = 4; q < K; q++)
            a[q] += nv_fvalue(V, v + (size_t)q);
    }
}

/* Every tree, tree by tree, over the rows of a block (so a tree stays in
   cache while the block walks it): acc[r * K + k] += what each tree adds to
   sum k, in tree order (sums), or res[r * nt + t] = tree t's node (results). */
NV_RT void nv_fblock(const nv_ftree *F, int nt, const nv_frec *b, int stride, int n, nv_fs *acc, int K, int *res)
{
    int at[256], t, r;
    for (t = 0; t < nt; t++) {
        int k;
        for (k = 0; k < n; k += 256) {
            int m = n - k < 256 ? n - k : 256;
            nv_frec x = nv_frow(b, k, stride);
            nv_fblock1(&F[t], &x, stride, m, at);
            if (acc && K > 0)
                nv_fadd(acc + (size_t)k * (size_t)K, F[t].T, F[t].V, at, m, K);
            else if (!acc)
                for (r = 0; r < m; r++)
                    res[(size_t)(k + r) * (size_t)nt + (size_t)t] = nv_fresult(&F[t], (size_t)at[r]);
        }
    }
}

/* gcc -O2 vectorises the eight walks below (their trees share T) by
   gathering the lanes one load at a time: 40% slower on XGBoost's 500 trees
   of depth 8, so not here */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("no-tree-slp-vectorize")
#endif
/* One record, every tree: at[t] receives the entry tree t's walk ends at.
   Eight trees walk in lockstep (independent walks the processor overlaps),
   all their steps unchecked; in deep forests (NV_FLAT_DEEP) the fewest
   `fixed` steps of the eight unchecked, then on while some walk is not at
   a leaf (one branch per step, mispredicted once per eight trees: 9% faster
   than lanes that each take the next tree when done, on the corpus's 200
   trees of depth 25).  The trees share T and M, so the eight walks need a
   register each and nothing more. */
NV_RT NV_FINLINE void nv_fone_(const nv_ftree *F, int nt, const nv_frec *x, int *at, int tr)
{
    const nv_ft *X = x->X;
    const unsigned char *XN = x->XN;
    int t = 0, s;
    unsigned inner = 0;
    if (nt == 0)
        return;
    const nv_fnode *T = F[0].T;
    const unsigned long long *M = F[0].M;
    for (; t + 8 <= nt; t += 8) {
        size_t i0 = F[t].root, i1 = F[t + 1].root, i2 = F[t + 2].root, i3 = F[t + 3].root, i4 = F[t + 4].root,
                 i5 = F[t + 5].root, i6 = F[t + 6].root, i7 = F[t + 7].root;
        int steps = F[t].steps, fixed = F[t].fixed;
        for (s = 1; s < 8; s++) {
            steps = F[t + s].steps > steps ? F[t + s].steps : steps;
            fixed = F[t + s].fixed < fixed ? F[t + s].fixed : fixed;
        }
        if (!NV_FLAT_DEEP)
            fixed = steps;
        for (s = 0; s < fixed; s++) {
            i0 = nv_fstep(T, M, i0, X, XN, 0, tr, &inner);
            i1 = nv_fstep(T, M, i1, X, XN, 0, tr, &inner);
            i2 = nv_fstep(T, M, i2, X, XN, 0, tr, &inner);
            i3 = nv_fstep(T, M, i3, X, XN, 0, tr, &inner);
            i4 = nv_fstep(T, M, i4, X, XN, 0, tr, &inner);
            i5 = nv_fstep(T, M, i5, X, XN, 0, tr, &inner);
            i6 = nv_fstep(T, M, i6, X, XN, 0, tr, &inner);
            i7 = nv_fstep(T, M, i7, X, XN, 0, tr, &inner);
        }
        for (inner = 1; s < steps && inner; s++) {
            inner = 0;
            i0 = nv_fstep(T, M, i0, X, XN, 0, tr, &inner);
            i1 = nv_fstep(T, M, i1, X, XN, 0, tr, &inner);
            i2 = nv_fstep(T, M, i2, X, XN, 0, tr, &inner);
            i3 = nv_fstep(T, M, i3, X, XN, 0, tr, &inner);
            i4 = nv_fstep(T, M, i4, X, XN, 0, tr, &inner);
            i5 = nv_fstep(T, M, i5, X, XN, 0, tr, &inner);
            i6 = nv_fstep(T, M, i6, X, XN, 0, tr, &inner);
            i7 = nv_fstep(T, M, i7, X, XN, 0, tr, &inner);
        }
        at[t] = (int)i0; at[t + 1] = (int)i1; at[t + 2] = (int)i2; at[t + 3] = (int)i3;
        at[t + 4] = (int)i4; at[t + 5] = (int)i5; at[t + 6] = (int)i6; at[t + 7] = (int)i7;
    }
    for (; t < nt; t++) {
        size_t i = F[t].root;
        for (s = 0; s < F[t].steps && nv_fd_at(T, i) != NV_FLEAF; s++)
            i = nv_fstep(T, M, i, X, XN, 0, tr, &inner);
        at[t] = (int)i;
    }
}

NV_RT void nv_fone(const nv_ftree *F, int nt, const nv_frec *x, int *at)
{
    if (NV_FLAT_THREE && x->three)
        nv_fone_(F, nt, x, at, 1);
    else
        nv_fone_(F, nt, x, at, 0);
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

/* one record: acc[k] plus what every tree adds to sum k, in tree order
   (at: scratch) */
NV_RT void nv_fsum(const nv_ftree *F, int nt, const nv_frec *x, nv_fs *acc, int K, int *at)
{
    int t;
    nv_fone(F, nt, x, at);
    if (K > 0)
        for (t = 0; t < nt; t++)
            nv_fadd(acc, F[t].T, F[t].V, at + t, 1, K);
}

/* one record: res[t] = tree t's node, or -1 for null */
NV_RT void nv_fres(const nv_ftree *F, int nt, const nv_frec *x, int *res)
{
    int t;
    nv_fone(F, nt, x, res);
    for (t = 0; t < nt; t++)
        res[t] = nv_fresult(&F[t], (size_t)res[t]);
}

/* one record whose values may be NaN without being missing: each tree
   walked with a test per step, a NaN going to N[entry] (where the model's
   predicates send it) */
NV_RT void nv_fexact(const nv_ftree *F, int nt, const nv_frec *x, int *res)
{
    int t;
    size_t i;
    unsigned inner = 0;
    for (t = 0; t < nt; t++) {
        const nv_fnode *T = F[t].T;
        for (i = F[t].root; nv_fd_at(T, i) != NV_FLEAF;)
            i = NV_FISNAN(x->X[nv_ff_at(T, i)]) ? (size_t)nv_fint(F[t].N, i)
                                                : nv_fstep(T, F[t].M, i, x->X, x->XN, 0, 1, &inner);
        res[t] = nv_fresult(&F[t], i);
    }
}

/* What the batch entry point and the score function share while a block of
   records is scored (compiler/c/emit_trees.c, trees_batch): in phase 1 the
   score function of record `row` stores the values the forest reads (in
   rec, at that row), whether they can be walked without tests (bad: not),
   for sums the sum so far (acc), and the variables it needs afterwards
   (live), and returns; nv_fblock walks the block; in phase 2 the score
   function of each record takes those back, then its result, and goes on
   (without live, it computes them again). */
typedef struct nv_fblk {
    int phase, row;
    nv_ft *X;
    unsigned char *XN, *bad;
    nv_fs *acc;
    int *res;
    void *live; /* per row, what phase 1 keeps for phase 2 (the unit's nv_flive), or 0 */
    int three;  /* some record of the block has a value missing as neither (nv_frec) */
} nv_fblk;
