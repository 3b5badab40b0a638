/* trees.c -- what PMML's decision trees need at run time beyond the code
 * the backend writes for each tree: three-valued predicate logic, and the
 * walkers of the two data-driven tree layouts (compiler/c/emit_trees.c says
 * which tree gets which layout):
 *   node tables  (nv_tnode) walked by one generic loop, for any predicate;
 *   test graphs  (nv_gtest) walked four trees at a time, for large
 *                ensembles of numeric and code splits.
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
