/* The flat layout of PMML tree ensembles (docs/generated-code.md, "Tree
 * layouts"): the trees of a forest as arrays of one-value tests, walked by
 * the run-time library's nv_f* (runtime/lib/trees.c) with no branch on the
 * data, at one point of the score function, for one record or, in the batch
 * entry point this file writes, for blocks of records.  Building a tree
 * turns its PMML walk (children tried in order, three-valued predicates,
 * the missing-value and no-true-child strategies) into splits of one value
 * at compile time (fpred, fchain), lays them out (fflat_layout), and, where
 * the statements after the trees are sums of what the trees predict, has
 * the walk add them (fflat_fuse).  emit_trees.c decides which trees are
 * flat (trees_plan) and calls in here. */
#include "program.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* How a tree becomes entries.  Each IR node's PMML walk (its children tried
 * in order, each predicate three-valued, unknown going where the tree's
 * missing-value strategy says) becomes a graph of FDests: splits of one
 * value ("x >= t", or which of up to four children a code goes to) and
 * results (the node the walk selects, or null).  A split knows where a
 * missing value goes (lo, hi, or a third FDest) and where a NaN that is not
 * missing goes (the exact walk's N).  Entries are then numbered depth
 * first from the root, a split's children adjacent (fflat_layout); the
 * run-time library walks them (runtime/lib/trees.c says how). */

/* trees (and compound predicates) nested deeper than this are not flat: a
   walk of so many steps is no table's job, and the building recurses */
#define FMAX_DEPTH 2000

/* where entering a node leads, before entries are numbered: a split of one
   value, or a result; splits form a graph (a subtree reached two ways is
   built once) */
typedef struct FDest {
    int split;       /* 1: a split; 0: a result */
    int res;         /* result: the IR node selected, or -1 (null) */
    int var, isnull; /* split: the value compared (isnull: its missing flag, 0 or 1) */
    double t;        /* go to hi when x >= t */
    int lo, hi;      /* FDests */
    int miss;        /* where a missing value goes: lo, hi, or a third FDest */
    int nan;         /* where a NaN that is not missing goes (any FDest) */
    int *cd;         /* a split of codes instead: per code (FCODE_*) its FDest, at most 4 distinct */
} FDest;

typedef struct FTree {
    FDest *d;
    int nd, cap, max;
    int *enter;      /* per IR node: its FDest, or -1 */
    int *result;     /* per IR node + 1 (0: null): its result's FDest, or -1 */
    int root;        /* where a walk starts */
    int defaults;    /* the tree's missing values go to default children */
    unsigned char *reach; /* per FDest: reached from the root (fflat_reach) */
    int ok;
    int depth;       /* how deep fpred is in compound predicates */
    /* entries, numbered by fflat_layout */
    int ne, cap_e;
    int *ef, *eleft, *eres, *enan;
    double *et;
    unsigned long long *em;  /* per entry: its mask's index (codes) */
    unsigned long long *mk;  /* the masks of its tests of codes, mk[0] = 0 */
    int nmk, cap_mk;
    int fixed, steps, mind, mean, deep;
    int *erow;       /* sums: per entry, its leaf's row of the forest's values, or -1 (fflat_rows) */
    Arena *ga;       /* where the graph is built (fflat_compact keeps what a walk reaches) */
} FTree;

typedef struct FForest {
    int nt, cap_t;
    int *tree;       /* forest order -> IR tree */
    FTree **ft;
    int nf, cap_f, cap_k; /* values read */
    int *var;        /* value slot -> IR variable */
    unsigned char *kind;   /* value slot: FS_VALUE, FS_NULL (the missing flag), FS_CODE (2k for code k) */
    int *slot;       /* IR variable -> slot of its value, or -1 */
    int *nslot;      /* IR variable -> slot of its missing flag, or -1 */
    int *cslot;      /* IR variable -> slot of its code, or -1 */
    int stride;      /* a record's values: 2nf (+ nf when three) + 1 */
    int three;       /* some split sends missing values to a third child: 1, adjacent to
                        the other two; 2, always a null result: entry 0 of the forest's */
    int xn;          /* ... and XN says so (floats; ranks say it themselves) */
    int sets;        /* some split tests a set of codes */
    int rank;        /* values compared as ranks among their thresholds (else all are floats) */
    int deep;        /* trees whose paths differ much in length (NV_FLAT_DEEP) */
    double **th;     /* rank: per value slot, its thresholds, sorted and unique */
    int *nth, *th_off;
    int maynan;      /* some value may be NaN without being missing */
    int point;       /* the top-level statement the forest is walked before */
    int label;
    /* fused sums: the statements point .. last add what each tree's leaf
       holds to the accumulators (fflat_fuse) */
    int fused, last, nacc, miss, sum_dbl;
    int *accs, *cols, *guard;
    struct FAdd *adds;
    unsigned char *vals; /* the rows of what leaves add to the sums, nacc values each, as bytes;
                            row 0 all NaN (a null leaf's) */
    int nrows, vbytes;   /* how many rows; the bytes of one */
    int nb;          /* records per block in the batch, or 0 (no blocks) */
    /* what the score function keeps across a block's two phases: the
       variables written before the point and read from there on (phase 2
       takes them back and goes straight to the point; fflat_live) */
    int *live, nlive, cap_live;
    /* the forest's tests of codes: their masks, M[0] = 0; t = index << mshift */
    unsigned long long *mk;
    int nmk, cap_mk, mshift;
    int *root;       /* per tree, its first entry in the forest's (entry 0: the null leaf) */
    int keep;        /* whether it does (NV_FLIVE), decided when printing */
} FForest;

static int fdest(FTree *g, FDest d)
{
    if (g->nd >= g->max)
        g->ok = 0; /* compound predicates multiplied it past reason */
    if (!g->ok)
        return 0;
    VEC_PUSH(g->ga, g->d, g->nd, g->cap, d);
    return g->nd - 1;
}

/* the result res (an IR node, or -1: null), one FDest each */
static int fresult(FTree *g, int res)
{
    if (g->result[res + 1] >= 0)
        return g->result[res + 1];
    FDest d = {.split = 0, .res = res};
    int r = fdest(g, d);
    if (g->ok)
        g->result[res + 1] = r;
    return r;
}

/* the value types a flat split compares */
static int fvar_ok(const Em *m, int var)
{
    IrTypeKind k = ir_base(m->p->vars[var].type)->kind;
    return k == T_DOUBLE || k == T_FLOAT || k == T_INT || k == T_BOOL;
}

/* the next number after x in the type var is compared in (float for float
   values, else double; in rank mode a float threshold is compared as a
   double, which keeps it exact for float values) */
static double fnext(const Em *m, int var, double x)
{
    return ir_base(m->p->vars[var].type)->kind == T_FLOAT ? (double)nextafterf((float)x, HUGE_VALF)
                                                            : nextafter(x, HUGE_VAL);
}

/* whether e is a split of var's value (not of its missing flag, not of codes) */
static int fsame(const FTree *g, int e, int var)
{
    const FDest *x = &g->d[e];
    return x->split && x->var == var && !x->isnull && !x->cd;
}

/* One split: x >= t to hi, else lo; a missing x to u; a NaN (not missing)
   to nan.  A split that the next leads to decides part of what it would:
   "x <= v" whose other side tries "x > v" goes straight where that one
   does, which makes a node's usual pair of complementary children one
   step (first-match chains of children are how the PMML is written). */
static int fsplit(Em *m, FTree *g, int var, int isnull, double t, int lo, int hi, int u, int nan)
{
    if (!isnull) {
        /* with default children, a side that a missing value goes to is
           kept as it is (its split sends the value on), so that missing
           values need no third child, whose test the whole forest pays */
        int keep_lo = g->defaults && u == lo, keep_hi = g->defaults && u == hi;
        for (int n = 0; n < 64 && !keep_hi && fsame(g, hi, var) && g->d[hi].t <= t; n++)
            hi = g->d[hi].hi; /* x >= t implies x >= that t */
        for (int n = 0; n < 64 && !keep_lo && fsame(g, lo, var) && g->d[lo].t >= t; n++)
            lo = g->d[lo].lo; /* x < t implies x < that t */
        /* a missing value that goes to a side goes there as it is (the
           split there sends it on); else to where it ends up */
        for (int n = 0; n < 64 && u != lo && u != hi && fsame(g, u, var); n++)
            u = g->d[u].miss; /* missing there too */
        for (int n = 0; n < 64 && fsame(g, nan, var); n++)
            nan = g->d[nan].nan; /* NaN there too */
    }
    FDest d = {.split = 1, .var = var, .isnull = isnull, .t = t, .lo = lo, .hi = hi, .miss = u, .nan = nan};
    if (isnull || !ir_is_nullable(m->p->vars[var].type))
        d.miss = lo; /* never missing */
    if (lo == hi && (d.miss == lo) && nan == lo)
        return lo;
    return fdest(g, d);
}

/* Codes in masks: 0-29 themselves, 30 any other value, 31 missing
   (runtime/lib/trees.c).  A set of small codes (an integer, or a string's
   code in its dictionary) is one test, with up to four children. */
#define FCODE_OTHER 30
#define FCODE_MISSING 31
#define FCODES 32

/* the mask of pr's values, when they are all codes below FCODE_OTHER */
static int fmask(const Em *m, const IrPred *pr, unsigned long long *mask)
{
    if (pr->var < 0 || ir_base(m->p->vars[pr->var].type)->kind != T_INT)
        return 0;
    *mask = 0;
    if (pr->kind == P_CMP) {
        if (pr->str || (pr->op != CMP_EQ && pr->op != CMP_NE) || !(pr->num >= 0 && pr->num < FCODE_OTHER) ||
            pr->num != (double)(int)pr->num)
            return 0;
        *mask = 1ULL << (int)pr->num;
    } else {
        if (!pr->nums)
            return 0;
        for (int i = 0; i < pr->nvals; i++) {
            double x = pr->nums[i];
            if (!(x >= 0 && x < FCODE_OTHER && x == (double)(int)x))
                return 0;
            *mask |= 1ULL << (int)x;
        }
    }
    /* "not in" holds for every other code (FCODE_OTHER too) */
    if (pr->kind == P_NOT_IN || (pr->kind == P_CMP && pr->op == CMP_NE))
        *mask = ~*mask & ((1ULL << FCODE_MISSING) - 1);
    return 1;
}

/* A split of codes: those in mask to t, the others to f, missing to u.
   When f is itself a split of the same codes (the next child of a node
   tests the same value), the two are one, as long as it has at most four
   destinations. */
static int fset(Em *m, FTree *g, int var, unsigned long long mask, int t, int f, int u)
{
    int *cd = ARENA_ARRAY(g->ga, int, FCODES);
    const FDest *e = &g->d[f];
    int thread = e->split && e->cd && e->var == var;
    for (int c = 0; c < FCODES; c++)
        cd[c] = c == FCODE_MISSING ? u : (mask >> c) & 1 ? t : f;
    if (!ir_is_nullable(m->p->vars[var].type))
        cd[FCODE_MISSING] = f;
    if (thread) {
        int *td = ARENA_ARRAY(g->ga, int, FCODES), dests[5], nd = 0;
        for (int c = 0; c < FCODES; c++) {
            td[c] = cd[c] == f ? e->cd[c] : cd[c];
            int seen = 0;
            for (int i = 0; i < nd; i++)
                seen |= dests[i] == td[c];
            if (!seen && nd < 5)
                dests[nd++] = td[c];
        }
        if (nd <= 4)
            cd = td;
    }
    int first = cd[0], all = 1;
    for (int c = 1; c < FCODES; c++)
        all &= cd[c] == first;
    if (all)
        return first;
    FDest d = {.split = 1, .var = var, .t = NAN, .lo = f, .hi = t, .miss = cd[FCODE_MISSING], .nan = f, .cd = cd};
    return fdest(g, d);
}

static int fpred_(Em *m, FTree *g, const IrPred *pr, int t, int f, int u);

/* fpred_, counting how deep compound predicates nest */
static int fpred(Em *m, FTree *g, const IrPred *pr, int t, int f, int u)
{
    g->depth++;
    int r = fpred_(m, g, pr, t, f, u);
    g->depth--;
    return r;
}

/* The decision of a three-valued predicate: to t when it holds, f when it
   does not, u when it is unknown (a missing value), as splits.  A value
   that is NaN without being missing makes comparisons false (and != true),
   as the other layouts compute them. */
static int fpred_(Em *m, FTree *g, const IrPred *pr, int t, int f, int u)
{
    if (!g->ok)
        return 0;
    if (g->depth > FMAX_DEPTH) { /* compound predicates nested past reason */
        g->ok = 0;
        return 0;
    }
    switch (pr->kind) {
    case P_TRUE: return t;
    case P_FALSE: return f;
    case P_IS_MISSING:
    case P_IS_NOT_MISSING:
        if (!ir_is_nullable(m->p->vars[pr->var].type))
            return pr->kind == P_IS_MISSING ? f : t;
        /* the missing flag (0 or 1) against 0.5 */
        return pr->kind == P_IS_MISSING ? fsplit(m, g, pr->var, 1, 0.5, f, t, f, f)
                                        : fsplit(m, g, pr->var, 1, 0.5, t, f, t, t);
    case P_CMP: {
        unsigned long long mask;
        if (fmask(m, pr, &mask))
            return fset(m, g, pr->var, mask, t, f, u);
        if (!fvar_ok(m, pr->var) || pr->str)
            break;
        double v = trees_pred_value(m, pr, pr->num), n = fnext(m, pr->var, v);
        if (!isfinite(v))
            break;
        int x = pr->var, r;
        /* a NaN makes every comparison false but != */
        switch (pr->op) {
        case CMP_LT: r = fsplit(m, g, x, 0, v, t, f, u, f); break;
        case CMP_LE: r = fsplit(m, g, x, 0, n, t, f, u, f); break;
        case CMP_GE: r = fsplit(m, g, x, 0, v, f, t, u, f); break;
        case CMP_GT: r = fsplit(m, g, x, 0, n, f, t, u, f); break;
        case CMP_EQ: r = fsplit(m, g, x, 0, v, f, fsplit(m, g, x, 0, n, t, f, u, f), u, f); break;
        default: r = fsplit(m, g, x, 0, v, t, fsplit(m, g, x, 0, n, f, t, u, t), u, t); break;
        }
        return r;
    }
    case P_IN:
    case P_NOT_IN: {
        unsigned long long mask;
        if (fmask(m, pr, &mask))
            return fset(m, g, pr->var, mask, t, f, u);
        if (!fvar_ok(m, pr->var) || !pr->nums)
            break;
        /* a chain of equalities; a NaN is in no set, so it goes on to out */
        int in = pr->kind == P_IN ? t : f, out = pr->kind == P_IN ? f : t, d = out;
        for (int i = pr->nvals - 1; i >= 0; i--) {
            double v = trees_pred_value(m, pr, pr->nums[i]);
            if (!isfinite(v)) {
                g->ok = 0;
                return 0;
            }
            int eq = fsplit(m, g, pr->var, 0, fnext(m, pr->var, v), in, d, u, d);
            d = fsplit(m, g, pr->var, 0, v, d, eq, u, d);
        }
        return d;
    }
    case P_AND:
    case P_OR:
    case P_XOR:
    case P_SURROGATE: {
        if (pr->nkids == 0)
            return pr->kind == P_AND ? t : f;
        /* the last kid decides what is left; fold from the right */
        const IrPred *k0 = pr->kids[0];
        if (pr->nkids == 1)
            return fpred(m, g, k0, t, f, u);
        IrPred rest = *pr;
        rest.kids = pr->kids + 1;
        rest.nkids = pr->nkids - 1;
        switch (pr->kind) {
        case P_AND: /* false decides; unknown stays unknown unless the rest is false */
            return fpred(m, g, k0, fpred(m, g, &rest, t, f, u), f, fpred(m, g, &rest, u, f, u));
        case P_OR:
            return fpred(m, g, k0, t, fpred(m, g, &rest, t, f, u), fpred(m, g, &rest, t, u, u));
        case P_XOR:
            return fpred(m, g, k0, fpred(m, g, &rest, f, t, u), fpred(m, g, &rest, t, f, u), u);
        default: /* the first kid that is not unknown */
            return fpred(m, g, k0, t, f, fpred(m, g, &rest, t, f, u));
        }
    }
    default:
        break;
    }
    g->ok = 0;
    return 0;
}

static int fdest_enter(Em *m, FTree *g, const IrTree *tr, int k, int depth);

/* node k's children, the first that holds taken: built from the last */
static int fchain(Em *m, FTree *g, const IrTree *tr, int k, int u, int depth)
{
    const IrTreeNode *nd = &tr->nodes[k];
    int next = fresult(g, tr->no_true_child_null ? -1 : k);
    for (int i = nd->nkids - 1; i >= 0 && g->ok; i--) {
        int c = nd->kids[i];
        if (c <= k) { /* children follow their parent: anything else may loop */
            g->ok = 0;
            return 0;
        }
        next = fpred(m, g, tr->nodes[c].pred, fdest_enter(m, g, tr, c, depth + 1), next, u < 0 ? next : u);
    }
    return next;
}

static int fdest_enter(Em *m, FTree *g, const IrTree *tr, int k, int depth)
{
    if (!g->ok)
        return 0;
    if (g->enter[k] >= 0)
        return g->enter[k];
    if (depth > FMAX_DEPTH) { /* deeper than any walk worth a table: the other layouts */
        g->ok = 0;
        return 0;
    }
    const IrTreeNode *nd = &tr->nodes[k];
    int d, u = -1;
    if (nd->nkids == 0) {
        d = fresult(g, k);
    } else {
        /* where an unknown predicate among the children goes (-1: on to
           the next child, as if false) */
        switch (tr->missing) {
        case MV_LAST_PREDICTION: u = fresult(g, k); break;
        case MV_NULL_PREDICTION: u = fresult(g, -1); break;
        case MV_DEFAULT_CHILD:
            if (nd->default_child > k)
                u = fdest_enter(m, g, tr, nd->default_child, depth + 1);
            else if (nd->default_child < 0)
                u = fresult(g, k);
            else
                g->ok = 0;
            break;
        default: break;
        }
        d = fchain(m, g, tr, k, u, depth);
    }
    g->enter[k] = d;
    return d;
}

/* a tree as flat splits, or NULL when it has a predicate they cannot say;
   the graph is built in ga */
static FTree *fflat_build(Em *m, const IrTree *tr, Arena *ga)
{
    FTree *g = ARENA_NEW(&m->a, FTree);
    g->ga = ga;
    g->ok = 1;
    g->defaults = tr->missing == MV_DEFAULT_CHILD;
    g->max = 16 * tr->nnodes + 256;
    g->enter = ARENA_ARRAY(ga, int, tr->nnodes);
    g->result = ARENA_ARRAY(ga, int, tr->nnodes + 1);
    for (int k = 0; k < tr->nnodes; k++)
        g->enter[k] = g->result[k + 1] = -1;
    g->result[0] = -1;
    int root = fdest_enter(m, g, tr, 0, 0);
    /* the root's own predicate must hold, or the prediction is null */
    int null = fresult(g, -1);
    g->root = fpred(m, g, tr->nodes[0].pred, root, null, null);
    return g->ok ? g : NULL;
}

/* a new entry: the arrays grow in the working arena (fflat_layout copies
   them out when the tree is laid out) */
static int fentry(Em *m, FTree *g)
{
    if (g->ne == g->cap_e) {
        int cap = g->cap_e ? 2 * g->cap_e : 64;
        int **iv[] = {&g->ef, &g->eleft, &g->eres, &g->enan};
        for (size_t i = 0; i < sizeof iv / sizeof iv[0]; i++) {
            int *n = ARENA_ARRAY(&m->flat_tmp, int, cap);
            if (g->ne)
                memcpy(n, *iv[i], sizeof *n * (size_t)g->ne);
            *iv[i] = n;
        }
        double *nt = ARENA_ARRAY(&m->flat_tmp, double, cap);
        unsigned long long *nm = ARENA_ARRAY(&m->flat_tmp, unsigned long long, cap);
        if (g->ne) {
            memcpy(nt, g->et, sizeof *nt * (size_t)g->ne);
            memcpy(nm, g->em, sizeof *nm * (size_t)g->ne);
        }
        g->et = nt;
        g->em = nm;
        g->cap_e = cap;
    }
    int e = g->ne++;
    g->em[e] = 0;
    g->ef[e] = 0;
    g->et[e] = 0;
    g->eleft[e] = e;
    g->eres[e] = -1;
    g->enan[e] = e;
    return e;
}

/* rank mode: each compared value's thresholds, sorted and unique */
static void fflat_thresholds(Em *m, FForest *F)
{
    int *cap = ARENA_ARRAY(&m->a, int, F->nf + 1);
    F->th = ARENA_ARRAY(&m->a, double *, F->nf + 1);
    F->nth = ARENA_ARRAY(&m->a, int, F->nf + 1);
    F->th_off = ARENA_ARRAY(&m->a, int, F->nf + 1);
    for (int j = 0; j < F->nt; j++)
        for (int i = 0; i < F->ft[j]->nd; i++) {
            const FDest *d = &F->ft[j]->d[i];
            if (F->ft[j]->reach[i] && d->split && !d->cd && !d->isnull) {
                int s = F->slot[d->var];
                VEC_PUSH(&m->a, F->th[s], F->nth[s], cap[s], d->t);
            }
        }
    for (int s = 0, off = 0; s < F->nf; s++) {
        F->nth[s] = trees_sort_unique(F->th[s], F->nth[s]);
        F->th_off[s] = off;
        off += F->nth[s];
    }
}

/* rank mode: x >= t is rank(x) >= the number of thresholds below t, + 1 */
static int fflat_rank_of(const FForest *F, int s, double t)
{
    int lo = 0, hi = F->nth[s];
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (F->th[s][mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo + 1;
}

/* the distinct destinations of a split, in the order of its entry's
   children: lo, hi (and miss when a missing value goes to neither); for
   codes, in the order of the codes first leading there */
static int fkids(const FDest *d, int *kids)
{
    int n = 0;
    if (!d->cd) {
        kids[n++] = d->lo;
        kids[n++] = d->hi;
        if (d->miss != d->lo && d->miss != d->hi)
            kids[n++] = d->miss;
        return n;
    }
    for (int c = 0; c < FCODES; c++) {
        int seen = 0;
        for (int i = 0; i < n; i++)
            seen |= kids[i] == d->cd[c];
        if (!seen)
            kids[n++] = d->cd[c];
    }
    return n;
}

/* which FDests a walk (or an exact walk's NaN) can reach: building leaves
   some behind (a split whose place another took) */
static void fflat_reach(FTree *g)
{
    int *stack = ARENA_ARRAY(g->ga, int, g->nd + 1), n = 0;
    g->reach = arena_alloc(g->ga, (size_t)g->nd + 1);
    stack[n++] = g->root;
    g->reach[g->root] = 1;
    while (n) {
        const FDest *d = &g->d[stack[--n]];
        if (!d->split)
            continue;
        int kids[5], nk = fkids(d, kids);
        if (!d->cd)
            kids[nk++] = d->nan; /* a comparison has at most three */
        for (int i = 0; i < nk; i++)
            if (!g->reach[kids[i]]) {
                g->reach[kids[i]] = 1;
                stack[n++] = kids[i];
            }
    }
}

/* Keep only the FDests a walk reaches (building leaves most behind: a
   complete tree's 2,047 nodes make about 10,000), in their order, in the
   forest's working arena; the tree's building arena is then freed. */
static void fflat_compact(Em *m, FTree *g)
{
    int *to = ARENA_ARRAY(g->ga, int, g->nd), n = 0;
    for (int i = 0; i < g->nd; i++)
        to[i] = g->reach[i] ? n++ : -1;
    FDest *d = ARENA_ARRAY(&m->flat_tmp, FDest, n);
    for (int i = 0; i < g->nd; i++) {
        if (!g->reach[i])
            continue;
        FDest x = g->d[i];
        if (x.split) {
            /* what a walk follows is reached; a set of codes has no lo, hi
               or NaN of its own (fkids, fflat_reach) */
            x.lo = x.lo >= 0 && to[x.lo] >= 0 ? to[x.lo] : 0;
            x.hi = x.hi >= 0 && to[x.hi] >= 0 ? to[x.hi] : 0;
            x.miss = x.miss >= 0 && to[x.miss] >= 0 ? to[x.miss] : 0;
            x.nan = x.nan >= 0 && to[x.nan] >= 0 ? to[x.nan] : 0;
            if (x.cd) {
                int *cd = ARENA_ARRAY(&m->flat_tmp, int, FCODES);
                for (int c = 0; c < FCODES; c++)
                    cd[c] = to[x.cd[c]];
                x.cd = cd;
            }
        }
        d[to[i]] = x;
    }
    unsigned char *reach = arena_alloc(&m->flat_tmp, (size_t)n + 1);
    memset(reach, 1, (size_t)n + 1);
    g->root = to[g->root];
    g->d = d;
    g->nd = g->cap = n;
    g->reach = reach;
    g->enter = g->result = NULL;
    g->ga = &m->flat_tmp;
}

/* the most steps a walk from d takes (splits form a graph without cycles:
   every split leads to later nodes or to what follows them); a stack of
   its own, as the graph may be deep */
static int fdepth(Em *m, const FTree *g, int root, int *memo)
{
    int *stack = NULL, n = 0, cap = 0;
    VEC_PUSH(&m->flat_tmp, stack, n, cap, root);
    while (n) {
        int d = stack[n - 1];
        const FDest *x = &g->d[d];
        if (!x->split || memo[d] >= 0) {
            if (!x->split)
                memo[d] = 0;
            n--;
            continue;
        }
        int kids[4], nk = fkids(x, kids), most = 0, ready = 1;
        for (int i = 0; i < nk; i++) {
            if (memo[kids[i]] < 0) {
                ready = 0;
                VEC_PUSH(&m->flat_tmp, stack, n, cap, kids[i]);
            } else if (memo[kids[i]] > most)
                most = memo[kids[i]];
        }
        if (ready) {
            memo[d] = 1 + most;
            n--;
        }
    }
    return memo[root];
}

/* The entries of a tree, depth first from its root (a walk's path, the
   first child's way above all, lies in few cache lines: one record's walk
   of a deep forest waits less for memory).  A split's children (two, or
   three when a missing value goes to neither, up to four for codes) are
   appended together, so they are adjacent; a split reached two
   ways gets its children once, each way an entry of its own that leads to
   them.  A result is an entry that leads to itself.  Where a NaN goes is
   an entry too (added when no walk reaches one). */
static int fflat_layout(Em *m, const FForest *F, FTree *g)
{
    int leaf_f = F->stride - 1;
    int *src = NULL, nsrc = 0, cap = 0;      /* per entry: its FDest */
    int *depth = NULL, ndepth = 0, capd = 0; /* per entry: steps to it by the first way found (-1: only NaN) */
    int *block = ARENA_ARRAY(&m->flat_tmp, int, g->nd); /* per split FDest: its children's first entry, or -1 */
    int *some = ARENA_ARRAY(&m->flat_tmp, int, g->nd);  /* per FDest: an entry of it, or -1 */
    int *later = NULL, nlater = 0, cap_l = 0;     /* entries whose NaN goes where no walk does */
    for (int i = 0; i < g->nd; i++)
        block[i] = some[i] = -1;
    VEC_PUSH(&m->a, g->mk, g->nmk, g->cap_mk, 0ULL);
    int *todo = NULL, ntodo = 0, cap_t = 0; /* entries yet to fill, the next on top */
    VEC_PUSH(&m->flat_tmp, src, nsrc, cap, g->root);
    VEC_PUSH(&m->flat_tmp, depth, ndepth, capd, 0);
    VEC_PUSH(&m->flat_tmp, todo, ntodo, cap_t, fentry(m, g));
    for (;;) {
        /* the entries only a NaN goes to come last, away from the walks' */
        for (; !ntodo && nlater; nlater--) {
            int from = later[nlater - 1], n = g->d[src[from]].nan;
            if (some[n] < 0) {
                VEC_PUSH(&m->flat_tmp, src, nsrc, cap, n);
                VEC_PUSH(&m->flat_tmp, depth, ndepth, capd, -1);
                some[n] = fentry(m, g);
                VEC_PUSH(&m->flat_tmp, todo, ntodo, cap_t, some[n]);
            }
            g->enan[from] = some[n];
        }
        if (!ntodo)
            break;
        int e = todo[--ntodo];
        const FDest *d = &g->d[src[e]];
        if (some[src[e]] < 0)
            some[src[e]] = e;
        if (!d->split) {
            /* the constant 0 at leaf_f is below t, the node + 2: the entry
               leads to itself, and says what it selects (or, with sums,
               which row of values: flat_print) */
            g->ef[e] = leaf_f;
            g->et[e] = d->res + 2;
            g->eleft[e] = e;
            g->eres[e] = d->res;
            continue;
        }
        if (g->ne > 32767 - 4) /* the distance to an entry's children is 16 bits, signed */
            return 0;
        int s = d->cd ? F->cslot[d->var] : d->isnull ? F->nslot[d->var] : F->slot[d->var];
        int kids[4], nk = fkids(d, kids), third = !d->cd && nk == 3;
        if (third && F->three == 2)
            nk = 2; /* the third is the forest's entry 0 */
        if (d->cd) {
            /* the mask says where each code goes, a missing one too */
            unsigned long long mask = 0;
            for (int c = 0; c < FCODES; c++) {
                int slot = 0;
                while (kids[slot] != d->cd[c])
                    slot++;
                mask |= (unsigned long long)slot << (2 * c);
            }
            int at = 1;
            while (at < g->nmk && g->mk[at] != mask)
                at++;
            if (at == g->nmk)
                VEC_PUSH(&m->a, g->mk, g->nmk, g->cap_mk, mask);
            g->ef[e] = s;
            g->em[e] = (unsigned long long)at;
        } else {
            g->ef[e] = third ? 2 * F->nf + s : d->miss == d->hi && d->miss != d->lo ? F->nf + s : s;
        }
        /* what x is compared with: a missing flag with 1; codes with what no
           x reaches; a number with itself, or its rank */
        if (d->isnull)
            g->et[e] = 1.0;
        else if (d->cd)
            g->et[e] = 0; /* its mask's index in the forest's << NV_FLAT_MSHIFT, above every x (fflat_masks) */
        else
            g->et[e] = F->rank ? (double)fflat_rank_of(F, s, d->t) : d->t;
        if (block[src[e]] < 0) {
            block[src[e]] = g->ne;
            for (int i = 0; i < nk; i++) {
                VEC_PUSH(&m->flat_tmp, src, nsrc, cap, kids[i]);
                VEC_PUSH(&m->flat_tmp, depth, ndepth, capd, depth[e] < 0 ? -1 : depth[e] + 1);
                fentry(m, g);
            }
            /* depth first: the first child's children come right after */
            for (int i = nk - 1; i >= 0; i--)
                VEC_PUSH(&m->flat_tmp, todo, ntodo, cap_t, g->ne - nk + i);
        }
        g->eleft[e] = block[src[e]];
        if (!d->cd) {
            int n = d->nan;
            if (n == d->lo || n == d->hi) /* lo before hi: where a NaN's comparison false sends it */
                g->enan[e] = block[src[e]] + (n == d->hi && n != d->lo);
            else
                VEC_PUSH(&m->flat_tmp, later, nlater, cap_l, e); /* after the walks' entries */
        }
    }
    int *memo = ARENA_ARRAY(&m->flat_tmp, int, g->nd);
    for (int i = 0; i < g->nd; i++)
        memo[i] = -1;
    g->steps = fdepth(m, g, g->root, memo);
    /* the fewest steps to a result: every walk takes them unchecked; when
       the paths differ much in length, later steps check that some walk
       still moves (runtime/lib/trees.c) */
    g->mind = g->steps;
    long sum = 0, nleaf = 0;
    for (int e = 0; e < g->ne; e++)
        if (g->eleft[e] == e && depth[e] >= 0) {
            g->mind = depth[e] < g->mind ? depth[e] : g->mind;
            sum += depth[e];
            nleaf++;
        }
    /* deep: the longest path much longer than the leaves' mean depth (the
       corpus's random forests: 25 against 10), where walks that stop when
       they reach a leaf do much less than walks of the longest path */
    g->deep = nleaf && 2 * (long)g->steps > 3 * sum / nleaf + 2;
    /* eight walks in lockstep all need about as many steps as the leaves'
       mean depth: those are taken unchecked */
    g->mean = nleaf ? (int)(sum / nleaf) : 0;
    /* the entries outlive the working arena they grew in: copied out to
       the emitter's, sized exactly */
    int **iv[] = {&g->ef, &g->eleft, &g->eres, &g->enan};
    for (size_t i = 0; i < sizeof iv / sizeof iv[0]; i++)
        *iv[i] = memcpy(ARENA_ARRAY(&m->a, int, g->ne), *iv[i], sizeof(int) * (size_t)g->ne);
    g->et = memcpy(ARENA_ARRAY(&m->a, double, g->ne), g->et, sizeof(double) * (size_t)g->ne);
    g->em = memcpy(ARENA_ARRAY(&m->a, unsigned long long, g->ne), g->em, sizeof(unsigned long long) * (size_t)g->ne);
    g->cap_e = g->ne;
    return g->ne <= 32767;
}

/* ---- which statements a forest's walk stands for ---- */

/* how many times variable v is read in e */
static int expr_reads(const IrExpr *e, int v)
{
    int r = (e->kind == E_VAR && e->var == v);
    for (int i = 0; i < e->n; i++)
        r += expr_reads(e->a[i], v);
    return r;
}

static int block_reads(const IrBlock *b, int v)
{
    int r = 0;
    for (int i = 0; i < b->n; i++) {
        const IrStmt *s = b->s[i];
        if (s->e)
            r += expr_reads(s->e, v);
        r += block_reads(&s->then_b, v) + block_reads(&s->else_b, v);
    }
    return r;
}

static int program_reads(const IrProgram *p, int v)
{
    int r = block_reads(&p->body, v);
    for (int i = 0; i < p->noutputs; i++)
        r += p->outputs[i].var == v;
    return r;
}

static int is_var(const IrExpr *e, int v) { return e->kind == E_VAR && e->var == v; }

/* The sums of an ensemble, as the PMML frontend lowers Segmentation "sum"
   and "average": for each tree, in forest order,
       node := (tree k);  c1 := (tree-get k col node);  ...  cm := ...
       if (is-null cg) { [miss := true] } else { a1 := (+ a1 e1); ...; aK := (+ aK eK) }
   where each e is one of the c, (coalesce c 0) or a number, the a are
   distinct and of one type (float or double), and node and the c are read
   nowhere else.  Then the forest's walk itself adds, per accumulator, what
   each tree's leaf holds for it (the same additions, in the same order and
   type), and the statements run only for a record where some sum comes out
   NaN: a leaf where cg (or a c added as is) is null holds NaN, and so does a
   NaN in the model; the statements then say exactly what they say. */
typedef struct FAdd {
    int kind;      /* 0: a column as is; 1: a column or 0 when null; 2: a number */
    int col;       /* kinds 0, 1: the column (per tree: cols[j * nacc + i]) */
    double num;    /* kind 2 */
} FAdd;

/* the column tree k's statement s reads, when s is c := (tree-get k col node) */
static int fget(const IrStmt *s, int k, int node)
{
    if (s->kind != S_SET || s->e->kind != E_TREE_GET || s->e->tree != k || !is_var(s->e->a[0], node))
        return -1;
    return s->e->col;
}

static void fflat_fuse(Em *m, FForest *F)
{
    const IrProgram *p = m->p;
    const IrBlock *b = &p->body;
    int at = F->point, nacc = 0, miss = -2;
    int *acc = NULL;
    IrTypeKind ak = T_NULL;
    FAdd *adds = NULL;
    int *cols = NULL, *guard = ARENA_ARRAY(&m->a, int, F->nt);
    for (int j = 0; j < F->nt; j++) {
        int k = F->tree[j];
        if (at >= b->n || b->s[at]->kind != S_SET || b->s[at]->e->kind != E_TREE || b->s[at]->e->tree != k)
            return;
        int node = b->s[at]->var, first = ++at;
        while (at < b->n && fget(b->s[at], k, node) >= 0)
            at++;
        if (at == first || at >= b->n || program_reads(p, node) != at - first)
            return;
        const IrStmt *s = b->s[at++];
        if (s->kind != S_IF || s->e->kind != E_IS_NULL || s->e->a[0]->kind != E_VAR || s->then_b.n > 1 ||
            s->else_b.n < 1)
            return;
        /* the gets, each read only here */
        int gvar = s->e->a[0]->var;
        guard[j] = -1;
        for (int i = first; i < at - 1; i++) {
            int v = b->s[i]->var, reads = program_reads(p, v);
            if (v == gvar)
                guard[j] = fget(b->s[i], k, node), reads--;
            for (int q = 0; q < s->else_b.n; q++)
                reads -= expr_reads(s->else_b.s[q]->e, v);
            if (reads != 0)
                return;
        }
        if (guard[j] < 0)
            return;
        int mv = -1;
        if (s->then_b.n) {
            const IrStmt *t = s->then_b.s[0];
            if (t->kind != S_SET || t->e->kind != E_LIT || ir_base(t->e->type)->kind != T_BOOL || !t->e->lit_bool ||
                t->e->lit_null)
                return;
            mv = t->var;
        }
        if (j == 0) {
            miss = mv;
            nacc = s->else_b.n;
            acc = ARENA_ARRAY(&m->a, int, nacc);
            adds = ARENA_ARRAY(&m->a, FAdd, nacc);
            cols = ARENA_ARRAY(&m->a, int, F->nt * nacc);
        }
        if (mv != miss || s->else_b.n != nacc)
            return;
        for (int i = 0; i < nacc; i++) {
            const IrStmt *e = s->else_b.s[i];
            if (e->kind != S_SET || e->e->kind != E_CALL || e->e->fn != FN_ADD || e->e->n != 2 ||
                !is_var(e->e->a[0], e->var))
                return;
            if (j == 0) {
                acc[i] = e->var;
                ak = i == 0 ? ir_base(p->vars[e->var].type)->kind : ak;
                for (int q = 0; q < i; q++)
                    if (acc[q] == e->var)
                        return; /* one accumulator twice: its adds interleave */
            }
            if (e->var != acc[i] || ir_base(p->vars[e->var].type)->kind != ak ||
                ir_base(e->e->type)->kind != ak || (ak != T_FLOAT && ak != T_DOUBLE))
                return;
            /* what is added: a get, a get or 0, a number */
            const IrExpr *x = e->e->a[1];
            FAdd a = {.kind = -1};
            int cv = -1;
            if (x->kind == E_VAR) {
                a.kind = 0, cv = x->var;
            } else if (x->kind == E_COALESCE && x->n == 2 && x->a[0]->kind == E_VAR && x->a[1]->kind == E_LIT &&
                       !x->a[1]->lit_null && ir_base(x->a[1]->type)->kind != T_STRING &&
                       ir_base(x->a[1]->type)->kind != T_BOOL &&
                       (ir_base(x->a[1]->type)->kind == T_INT || ir_base(x->a[1]->type)->kind == T_LONG
                            ? x->a[1]->lit_long == 0 : x->a[1]->lit_double == 0)) {
                a.kind = 1, cv = x->a[0]->var;
            } else if (x->kind == E_LIT && !x->lit_null && ir_base(x->type)->kind != T_STRING &&
                       ir_base(x->type)->kind != T_BOOL) {
                a.kind = 2;
                a.num = ir_base(x->type)->kind == T_INT || ir_base(x->type)->kind == T_LONG ? (double)x->lit_long
                                                                                          : x->lit_double;
                if (ak == T_FLOAT ? (double)(float)a.num != a.num : fabs(a.num) > 9007199254740992.0)
                    return; /* the number must be what the addition adds, exactly */
            } else {
                return;
            }
            if (cv >= 0) {
                int c = -1;
                for (int q = first; q < at - 1 && c < 0; q++)
                    if (b->s[q]->var == cv)
                        c = fget(b->s[q], k, node);
                if (c < 0 || ir_base(p->trees[k]->cols[c].type)->kind != ak || ir_base(x->type)->kind != ak)
                    return;
                a.col = c;
            }
            if (j == 0)
                adds[i] = a;
            else if (adds[i].kind != a.kind || (a.kind == 2 && adds[i].num != a.num))
                return;
            cols[j * nacc + i] = a.col;
        }
    }
    F->fused = 1;
    F->last = at - 1;
    F->nacc = nacc;
    F->accs = acc;
    F->adds = adds;
    F->cols = cols;
    F->guard = guard;
    F->miss = miss;
    F->sum_dbl = ak == T_DOUBLE;
}

/* what a walk of forest tree j ending at entry e adds to sum i: NaN where
   the statements must decide (a null guard or value) */
static double fflat_value(const Em *m, const FForest *F, int j, int e, int i)
{
    const FTree *g = F->ft[j];
    const IrTree *tr = m->p->trees[F->tree[j]];
    int r = g->eres[e];
    const FAdd *a = &F->adds[i];
    const IrTreeCol *gc = &tr->cols[F->guard[j]], *col = &tr->cols[F->cols[j * F->nacc + i]];
    if (r < 0 || gc->is_null[r])
        return NAN;
    if (a->kind == 2)
        return a->num;
    if (col->is_null[r])
        return a->kind == 1 ? 0.0 : NAN;
    return col->num[r];
}

/* the row of bytes in rows (n of vb bytes each, found through hash, hn
   slots) equal to row, added if none is */
static int frow_intern(int *hash, size_t hn, StrBuf *rows, int *n, const StrBuf *row, int vb)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t b = 0; b < row->len; b++)
        h = (h ^ (unsigned char)row->data[b]) * 1099511628211ULL;
    size_t at = (size_t)h & (hn - 1);
    while (hash[at] >= 0 && memcmp(rows->data + (size_t)hash[at] * (size_t)vb, row->data, (size_t)vb) != 0)
        at = (at + 1) & (hn - 1);
    if (hash[at] < 0) {
        hash[at] = (*n)++;
        sb_putn(rows, row->data, row->len);
    }
    return hash[at];
}

/* The rows of values the leaves of a fused forest add, one for all the
   leaves alike (bit for bit) in any of its trees: a random forest's
   leaves are mostly a few probabilities (scikit-learn's 100 trees of depth
   10: 7,700 rows for 42,582 leaves), so the table the walks read stays in
   cache.  Row 0 is a null leaf's (all NaN), for the forest's entry 0.  A
   leaf's t holds its row + 1 in 23 bits (nv_fadd): a forest with more rows
   is not fused (0). */
static int fflat_rows(Em *m, FForest *F)
{
    int vb = F->nacc * (F->sum_dbl ? 8 : 4), n = 0, ends = 0;
    for (int j = 0; j < F->nt; j++)
        ends += F->ft[j]->ne;
    size_t hn = 16;
    while (hn < 2 * (size_t)ends + 2)
        hn *= 2;
    int *hash = ARENA_ARRAY(&m->flat_tmp, int, hn);
    for (size_t h = 0; h < hn; h++)
        hash[h] = -1;
    StrBuf rows, row;
    sb_init(&rows);
    sb_init(&row);
    for (int i = 0; i < F->nacc; i++)
        c_put_bits(&row, NAN, !F->sum_dbl);
    frow_intern(hash, hn, &rows, &n, &row, vb);
    for (int j = 0; j < F->nt; j++) {
        FTree *g = F->ft[j];
        g->erow = ARENA_ARRAY(&m->a, int, g->ne);
        for (int e = 0; e < g->ne; e++) {
            g->erow[e] = -1;
            if (g->eleft[e] != e)
                continue;
            row.len = 0;
            for (int i = 0; i < F->nacc; i++)
                c_put_bits(&row, fflat_value(m, F, j, e, i), !F->sum_dbl);
            g->erow[e] = frow_intern(hash, hn, &rows, &n, &row, vb);
        }
    }
    sb_free(&row);
    if (n >= (1 << 23) - 1) {
        sb_free(&rows);
        return 0;
    }
    F->vals = memcpy(arena_alloc(&m->a, rows.len + 1), rows.data, rows.len);
    F->nrows = n;
    F->vbytes = vb;
    sb_free(&rows);
    return 1;
}

/* entry e's t: a test of codes, its mask's index << mshift (fflat_masks);
   a leaf of a forest with sums, its row of values + 1 (fflat_rows); else
   its rank, number, or node + 2 (fflat_layout) */
static double fentry_t(const FForest *F, const FTree *g, int e)
{
    if (g->em[e])
        return (double)((long)g->em[e] << F->mshift);
    return F->fused && g->eleft[e] == e ? g->erow[e] + 1.0 : g->et[e];
}

/* The forest's masks (tests of codes), one for the tests alike in any
   tree, and the shift that puts their index above every other t: the
   comparisons' ranks and the leaves' nodes or rows (and above the codes'
   x, at most 63).  0 when they do not fit t's 31 bits. */
static int fflat_masks(Em *m, FForest *F)
{
    VEC_PUSH(&m->a, F->mk, F->nmk, F->cap_mk, 0ULL);
    F->mshift = 20;
    if (!F->sets)
        return 1;
    double most = 63;
    size_t hn = 16, all = 0;
    for (int j = 0; j < F->nt; j++)
        all += (size_t)F->ft[j]->nmk;
    while (hn < 2 * all)
        hn *= 2;
    int *hash = ARENA_ARRAY(&m->flat_tmp, int, hn); /* masks by value: their index in F->mk, or -1 */
    for (size_t h = 0; h < hn; h++)
        hash[h] = -1;
    for (int j = 0; j < F->nt; j++) {
        FTree *g = F->ft[j];
        int *to = ARENA_ARRAY(&m->flat_tmp, int, g->nmk);
        to[0] = 0;
        for (int k = 1; k < g->nmk; k++) {
            size_t at = (size_t)((g->mk[k] * 0x9e3779b97f4a7c15ULL) >> 20) & (hn - 1);
            while (hash[at] >= 0 && F->mk[hash[at]] != g->mk[k])
                at = (at + 1) & (hn - 1);
            if (hash[at] < 0) {
                hash[at] = F->nmk;
                VEC_PUSH(&m->a, F->mk, F->nmk, F->cap_mk, g->mk[k]);
            }
            to[k] = hash[at];
        }
        for (int e = 0; e < g->ne; e++) {
            g->em[e] = (unsigned long long)to[g->em[e]];
            if (!g->em[e] && fentry_t(F, g, e) > most)
                most = fentry_t(F, g, e);
        }
    }
    int sh = 6;
    while (sh < 31 && (double)(1L << sh) <= most)
        sh++;
    F->mshift = sh;
    return sh < 31 && (long)F->nmk <= (1L << (31 - sh));
}

enum { FS_VALUE, FS_NULL, FS_CODE };

/* the values a tree's splits read: a variable's value, its missing flag,
   or its code */
static void fflat_mark_vars(Em *m, FForest *F, const FTree *g)
{
    for (int i = 0; i < g->nd; i++) {
        const FDest *d = &g->d[i];
        if (!d->split || !g->reach[i])
            continue;
        int kind = d->cd ? FS_CODE : d->isnull ? FS_NULL : FS_VALUE;
        int *at = kind == FS_CODE ? F->cslot : kind == FS_NULL ? F->nslot : F->slot;
        if (at[d->var] >= 0)
            continue;
        at[d->var] = F->nf;
        VEC_PUSH(&m->a, F->var, F->nf, F->cap_f, d->var);
        F->nf--;
        VEC_PUSH(&m->a, F->kind, F->nf, F->cap_k, (unsigned char)kind);
    }
}

static int stmt_writes(const IrStmt *s, const int *slot)
{
    if (s->kind == S_SET && slot[s->var] >= 0)
        return 1;
    for (int i = 0; i < s->then_b.n; i++)
        if (stmt_writes(s->then_b.s[i], slot))
            return 1;
    for (int i = 0; i < s->else_b.n; i++)
        if (stmt_writes(s->else_b.s[i], slot))
            return 1;
    return 0;
}

static int expr_walks(const IrExpr *e, const unsigned char *in)
{
    if (e->kind == E_TREE && in[e->tree])
        return 1;
    for (int i = 0; i < e->n; i++)
        if (expr_walks(e->a[i], in))
            return 1;
    return 0;
}

static int stmt_walks(const IrStmt *s, const unsigned char *in)
{
    if (s->e && expr_walks(s->e, in))
        return 1;
    for (int i = 0; i < s->then_b.n; i++)
        if (stmt_walks(s->then_b.s[i], in))
            return 1;
    for (int i = 0; i < s->else_b.n; i++)
        if (stmt_walks(s->else_b.s[i], in))
            return 1;
    return 0;
}

/* the records a block of the batch holds: as many as fit 96 KiB of values
   and results, a multiple of 8 (the walkers' lanes), at most 64 */
static int fflat_block(const FForest *F)
{
    size_t row = (size_t)F->stride * 4 + (F->xn ? (size_t)F->stride : 0) + 1 +
                 (F->fused ? 8 * (size_t)F->nacc : 4 * (size_t)F->nt);
    for (int nb = 64; nb >= 8; nb /= 2)
        if ((size_t)nb * row <= 96 * 1024)
            return nb;
    return 0;
}

/* variables an expression reads (its value or its missing flag), and the
   predicates of the trees it walks that are not flat */
static void mark_reads(const Em *m, const IrExpr *e, unsigned char *r)
{
    if (e->kind == E_VAR)
        r[e->var] = 1;
    if (e->kind == E_TREE && m->tree_table[e->tree] != LAY_FLAT) {
        const IrTree *t = m->p->trees[e->tree];
        for (int k = 0; k < t->nnodes; k++) {
            const IrPred *stack[64];
            int n = 0;
            stack[n++] = t->nodes[k].pred;
            while (n) {
                const IrPred *pr = stack[--n];
                if (pr->var >= 0)
                    r[pr->var] = 1;
                for (int i = 0; i < pr->nkids; i++)
                    if (n < 64)
                        stack[n++] = pr->kids[i];
                    else
                        memset(r, 1, (size_t)m->p->nvars); /* too deep to follow: everything */
            }
        }
    }
    for (int i = 0; i < e->n; i++)
        mark_reads(m, e->a[i], r);
}

static void mark_block(const Em *m, const IrBlock *b, unsigned char *r, unsigned char *w)
{
    for (int i = 0; i < b->n; i++) {
        const IrStmt *s = b->s[i];
        if (w && s->kind == S_SET)
            w[s->var] = 1;
        if (r && s->e)
            mark_reads(m, s->e, r);
        mark_block(m, &s->then_b, r, w);
        mark_block(m, &s->else_b, r, w);
    }
}

/* What phase 1 of a block keeps for phase 2: the variables (inputs, or
   written before the forest's point) that the point and what follows read. */
static void fflat_live(Em *m, FForest *F)
{
    const IrProgram *p = m->p;
    unsigned char *w = arena_alloc(&m->a, (size_t)p->nvars + 1), *r = arena_alloc(&m->a, (size_t)p->nvars + 1);
    IrBlock before = {.s = p->body.s, .n = F->point}, after = {.s = p->body.s + F->point, .n = p->body.n - F->point};
    mark_block(m, &before, NULL, w);
    mark_block(m, &after, r, NULL);
    for (int i = 0; i < p->ninputs; i++)
        w[p->inputs[i].var] = 1;
    for (int i = 0; i < p->noutputs; i++)
        r[p->outputs[i].var] = 1;
    for (int s = 0; s < F->nf; s++)
        r[F->var[s]] = 1;
    for (int v = 0; v < p->nvars; v++)
        if (w[v] && r[v] && m->var_used[v])
            VEC_PUSH(&m->a, F->live, F->nlive, F->cap_live, v);
}

/* The flat forest: the used trees that flat splits can express, when they
   can all be walked at one point; in auto mode, only when there are at
   least min_trees of them. */
static void flat_plan_in(Em *m, int min_trees)
{
    const IrProgram *p = m->p;
    /* per-entity state (Lag, Aggregate) is read and updated by each record's
       score function in record order, which the batch's two phases would
       run twice: such programs keep the other layouts */
    if (p->nsreads)
        return;
    FForest *F = ARENA_NEW(&m->a, FForest);
    F->slot = ARENA_ARRAY(&m->a, int, p->nvars + 1);
    F->nslot = ARENA_ARRAY(&m->a, int, p->nvars + 1);
    F->cslot = ARENA_ARRAY(&m->a, int, p->nvars + 1);
    for (int v = 0; v < p->nvars; v++)
        F->slot[v] = F->nslot[v] = F->cslot[v] = -1;
    unsigned char *in = arena_alloc(&m->a, (size_t)p->ntrees + 1);
    int nft = 0, capft = 0;
    for (int t = 0; t < p->ntrees; t++) {
        if (!m->tree_used[t])
            continue;
        Arena ga;
        arena_init(&ga);
        FTree *g = fflat_build(m, p->trees[t], &ga);
        if (g) {
            fflat_reach(g);
            fflat_compact(m, g);
        }
        arena_free(&ga);
        if (!g)
            continue;
        in[t] = 1;
        VEC_PUSH(&m->a, F->tree, F->nt, F->cap_t, t);
        VEC_PUSH(&m->a, F->ft, nft, capft, g);
        fflat_mark_vars(m, F, g);
    }
    if (F->nt < min_trees || F->nt == 0)
        return;
    int *read = ARENA_ARRAY(&m->a, int, p->nvars + 1); /* per variable: read by a split (1) or not (-1) */
    for (int v = 0; v < p->nvars; v++)
        read[v] = F->slot[v] >= 0 || F->nslot[v] >= 0 || F->cslot[v] >= 0 ? 1 : -1;
    /* one point: after the last write of a value the trees read, no later
       than the first walk */
    int first = -1, last_write = -1;
    for (int i = 0; i < p->body.n; i++) {
        if (first < 0 && stmt_walks(p->body.s[i], in))
            first = i;
        if (stmt_writes(p->body.s[i], read))
            last_write = i;
    }
    if (first < 0 || last_write >= first)
        return;
    F->point = first;
    for (int s = 0; s < F->nf; s++) {
        IrTypeKind k = ir_base(p->vars[F->var[s]].type)->kind;
        F->rank |= F->kind[s] == FS_CODE || (F->kind[s] == FS_VALUE && k != T_FLOAT);
        F->maynan |= F->kind[s] == FS_VALUE && (k == T_FLOAT || k == T_DOUBLE);
        F->sets |= F->kind[s] == FS_CODE;
    }
    for (int j = 0; j < F->nt; j++)
        for (int i = 0; i < F->ft[j]->nd; i++) {
            const FDest *d = &F->ft[j]->d[i];
            F->three |= F->ft[j]->reach[i] && d->split && !d->cd && d->miss != d->lo && d->miss != d->hi;
        }
    if (F->three) {
        /* where every missing value that goes to neither child makes its
           tree's result null (a random forest's: PMML's default strategy),
           it goes to the forest's entry 0, a null leaf */
        int null = 1;
        for (int j = 0; j < F->nt; j++) {
            const FTree *g = F->ft[j];
            for (int i = 0; i < g->nd; i++) {
                const FDest *d = &g->d[i];
                if (g->reach[i] && d->split && !d->cd && d->miss != d->lo && d->miss != d->hi)
                    null &= !g->d[d->miss].split && g->d[d->miss].res == -1;
            }
        }
        F->three = null ? 2 : 1;
    }
    F->stride = (F->three ? 3 : 2) * F->nf + 1;
    F->xn = F->three && !F->rank;
    if (F->stride > 16384) /* a record's values are on the stack (and an entry's slot is 16 bits) */
        return;
    if (F->rank) {
        fflat_thresholds(m, F);
        for (int sl = 0; sl < F->nf; sl++)
            if (F->nth[sl] >= (1 << 29)) /* ranks stay below NV_FNAN and NV_FHIGHEST */
                return;
    }
    int deep = 0;
    long entries = 1;
    for (int j = 0; j < F->nt; j++) {
        if (!fflat_layout(m, F, F->ft[j]))
            return;
        deep += F->ft[j]->deep;
        entries += F->ft[j]->ne;
    }
    if (entries >= (1L << 26)) /* one table, indexed by ints: 512 MB of entries is no table's job */
        return;
    /* deep forests: walks go on while they move; the others all take the
       same steps, unchecked */
    F->deep = 4 * deep > F->nt;
    for (int j = 0; j < F->nt; j++) {
        F->ft[j]->fixed = F->deep ? F->ft[j]->mean : F->ft[j]->steps;
        m->tree_table[F->tree[j]] = LAY_FLAT;
    }
    fflat_fuse(m, F);
    if (F->fused && !fflat_rows(m, F))
        F->fused = 0;
    if (!fflat_masks(m, F))
        return;
    F->nb = fflat_block(F);
    F->label = ++m->label;
    fflat_live(m, F);
    m->ff = F;
    rt_need(m->rt, "flat");
}

/* The trees' split graphs (FDest) and the layout's working arrays are
   needed only until the entries are laid out: for a big forest they are
   the largest part of the emitter's memory, so they live in an arena of
   their own. */
void flat_plan(Em *m, int min_trees)
{
    arena_init(&m->flat_tmp);
    flat_plan_in(m, min_trees);
    arena_free(&m->flat_tmp);
}

/* the walk of the forest, at its point in the score function */
/* the record's values for the walk: rec points at X (and XN) */
static void fflat_values(Em *m, const FForest *F)
{
    int nf = F->nf;
    em_line(m, "nv_ft *X = B ? B->X + (size_t)B->row * %d : Xs;", F->stride);
    if (F->xn)
        em_line(m, "unsigned char *XN = B ? B->XN + (size_t)B->row * %d : XNs;", F->stride);
    em_line(m, "int bad = 0, three = 0; (void)three;");
    for (int s = 0; s < nf; s++) {
        int v = F->var[s];
        const char *vn = m->vname[v], *nn = m->nname[v];
        IrTypeKind k = ir_base(m->p->vars[v].type)->kind;
        int may_nan = k == T_FLOAT || k == T_DOUBLE;
        switch (F->kind[s]) {
        case FS_NULL: /* the missing flag itself: never missing */
            em_line(m, "X[%d] = X[%d] = (nv_ft)(%s ? 1 : 0);", s, nf + s, nn);
            if (F->three)
                em_line(m, "X[%d] = X[%d];", 2 * nf + s, s);
            break;
        case FS_CODE: /* 2k for code k; tests of codes read the first part only */
            em_line(m, "X[%d] = %s ? %d : (unsigned)%s < %du ? 2 * (int)%s : %d; X[%d] = 0;", s, nn,
                    2 * FCODE_MISSING, vn, FCODE_OTHER, vn, 2 * FCODE_OTHER, nf + s);
            if (F->three)
                em_line(m, "X[%d] = 0;", 2 * nf + s);
            break;
        default: {
            /* the value, or its rank; missing as the lowest, the highest, neither */
            const char *x = vn, *nan = may_nan ? arena_printf(&m->a, "%s != %s", vn, vn) : NULL;
            if (F->rank)
                x = arena_printf(&m->a, "%s%s(nv_fth + %d, %d, (double)%s)",
                                 nan ? arena_printf(&m->a, "%s ? NV_FNAN : ", nan) : "", rt_call(m, "nv_frank"),
                                 F->th_off[s], F->nth[s], vn);
            if (!strcmp(nn, "0")) {
                em_line(m, "X[%d] = X[%d] = %s;%s", s, nf + s, x, nan ? arena_printf(&m->a, " bad |= %s;", nan) : "");
                if (F->three)
                    em_line(m, "X[%d] = X[%d];", 2 * nf + s, s);
                break;
            }
            em_line(m, "{ nv_ft x = %s ? 0 : %s;", nn, x);
            em_line(m, "  X[%d] = %s ? %s : x; X[%d] = %s ? %s : x;%s", s, nn,
                    F->rank ? "NV_FLOWEST" : "-HUGE_VALF", nf + s, nn, F->rank ? "NV_FHIGHEST" : "HUGE_VALF",
                    nan ? arena_printf(&m->a, " bad |= !%s && %s;", nn, nan) : "");
            if (F->three && F->rank)
                em_line(m, "  X[%d] = %s ? NV_FNEITHER : x; three |= %s;", 2 * nf + s, nn, nn);
            else if (F->three)
                em_line(m, "  X[%d] = X[%d]; XN[%d] = (unsigned char)(%s ? 2 : 0); three |= %s;", 2 * nf + s, s,
                        2 * nf + s, nn, nn);
            em_line(m, "}");
            break;
        }
        }
    }
    em_line(m, "X[%d] = 0;", F->stride - 1);
    em_line(m, "rec.X = X; rec.XN = %s; rec.three = three;", F->xn ? "XN" : "0");
}

/* whether a variable's value is declared (emit_program.c's keeps_value) */
static int fkeeps(const Em *m, int v)
{
    return m->val_read[v] || m->slot_of_var[v] >= 0 || m->env_var[v];
}

/* phase 1 of a block: the record's part of the block, then back to the batch */
static void fflat_phase1(Em *m, const FForest *F)
{
    em_line(m, "if (B && B->phase == 1) {");
    em_line(m, "    B->bad[B->row] = (unsigned char)bad;");
    em_line(m, "    B->three |= three;");
    for (int i = 0; F->fused && i < F->nacc; i++)
        em_line(m, "    B->acc[(size_t)B->row * %d + %d] = %s;", F->nacc, i, m->vname[F->accs[i]]);
    sb_puts(m->out, "#if NV_FLIVE\n");
    em_line(m, "    {");
    em_line(m, "        nv_flive *L = (nv_flive *)B->live + B->row;");
    em_line(m, "        (void)L; /* when every variable kept is an input read where it lies */");
    for (int i = 0; i < F->nlive; i++) {
        int v = F->live[i];
        if (m->direct[v]) /* read where it lies, in phase 2 too */
            continue;
        if (fkeeps(m, v))
            em_line(m, "        L->s%d = %s;", i, m->vname[v]);
        if (strcmp(m->nname[v], "0") != 0)
            em_line(m, "        L->n%d = %s;", i, m->nname[v]);
    }
    em_line(m, "    }");
    sb_puts(m->out, "#endif\n");
    em_line(m, "    return NERVA_OK;");
    em_line(m, "}");
}

/* the test that the sums s[] are numbers (a NaN: the statements decide) */
static const char *fflat_sums_ok(Em *m, const FForest *F)
{
    const char *t = "";
    for (int i = 0; i < F->nacc; i++)
        t = arena_printf(&m->a, "%s%ss[%d] == s[%d]", t, i ? " && " : "", i, i);
    return t;
}

/* the walk of the forest, at its point in the score function: in a block's
   phase 2 its result; else the record's values, then (phase 1) they are
   left for the block, or the trees are walked */
int flat_begin(Em *m)
{
    FForest *F = m->ff;
    int L = F->label;
    em_line(m, "/* the flat forest: %d trees walked at once (runtime/lib/trees.c) */", F->nt);
    sb_printf(m->out, "#if NV_FLIVE\n    resume_%d:;\n#endif\n", L);
    em_line(m, "if (B && B->phase == 2 && !B->bad[B->row]) {");
    if (F->fused) {
        em_line(m, "    const nv_fs *s = B->acc + (size_t)B->row * %d;", F->nacc);
        em_line(m, "    if (%s) {", fflat_sums_ok(m, F));
        for (int i = 0; i < F->nacc; i++)
            em_line(m, "        %s = s[%d];", m->vname[F->accs[i]], i);
        em_line(m, "        goto forest_%d;", L);
        em_line(m, "    }");
        em_line(m, "    rec.X = B->X + (size_t)B->row * %d;", F->stride);
        em_line(m, "    rec.XN = %s;", F->xn ? arena_printf(&m->a, "B->XN + (size_t)B->row * %d", F->stride) : "0");
        em_line(m, "    rec.three = 1;");
        em_line(m, "    %s(nv_flat, %d, &rec, gres);", rt_call(m, "nv_fres"), F->nt);
    } else {
        em_line(m, "    memcpy(gres, B->res + (size_t)B->row * %d, sizeof gres);", F->nt);
    }
    em_line(m, "    goto walked_%d;", L);
    em_line(m, "}");
    em_line(m, "{");
    m->ind++;
    fflat_values(m, F);
    if (F->fused) {
        for (int i = 0; i < F->nacc; i++)
            if (strcmp(m->nname[F->accs[i]], "0") != 0)
                em_line(m, "bad |= %s;", m->nname[F->accs[i]]);
        fflat_phase1(m, F);
        em_line(m, "if (!bad) {");
        sb_printf(m->out, "%*s    nv_fs s[%d] = {", m->ind * 4, "", F->nacc);
        for (int i = 0; i < F->nacc; i++)
            sb_printf(m->out, "%s%s", i ? ", " : "", m->vname[F->accs[i]]);
        sb_puts(m->out, "};\n");
        em_line(m, "    %s(nv_flat, %d, &rec, s, %d, gres);", rt_call(m, "nv_fsum"), F->nt, F->nacc);
        em_line(m, "    if (%s) {", fflat_sums_ok(m, F));
        for (int i = 0; i < F->nacc; i++)
            em_line(m, "        %s = s[%d];", m->vname[F->accs[i]], i);
        em_line(m, "        goto forest_%d;", L);
        em_line(m, "    }");
        em_line(m, "}");
    } else {
        fflat_phase1(m, F);
    }
    if (F->maynan)
        em_line(m, "if (bad) %s(nv_flat, %d, &rec, gres); else %s(nv_flat, %d, &rec, gres);",
                rt_call(m, "nv_fexact"), F->nt, rt_call(m, "nv_fres"), F->nt);
    else
        em_line(m, "%s(nv_flat, %d, &rec, gres);", rt_call(m, "nv_fres"), F->nt);
    m->ind--;
    em_line(m, "}");
    em_line(m, "walked_%d:;", L);
    return F->fused ? F->last : -1;
}

void flat_print(Em *m, StrBuf *c)
{
    FForest *F = m->ff;
    const IrProgram *p = m->p;
    /* phase 2 takes back what phase 1 kept, unless the score function keeps
       state beyond its variables (computed strings, text indexes, graph or
       table trees' slots) or the block would not fit the stack */
    F->keep = F->nb && !m->scratch && !p->ntexts && !m->any_table &&
              (size_t)F->nb * (size_t)(F->nlive + 1) * 16 <= 128 * 1024;
    sb_printf(c, "/* the variables phase 1 of a block keeps for phase 2 (trees_batch) */\n#define NV_FLIVE %d\n",
              F->keep);
    if (F->keep) {
        sb_puts(c, "typedef struct nv_flive {\n");
        for (int i = 0; i < F->nlive; i++) {
            int v = F->live[i];
            if (m->direct[v]) /* an input read where it lies */
                continue;
            if (fkeeps(m, v)) {
                const char *ct = em_ctype(p->vars[v].type);
                sb_printf(c, "    %s%ss%d;", ct, ct[strlen(ct) - 1] == '*' ? "" : " ", i);
            }
            if (strcmp(m->nname[v], "0") != 0)
                sb_printf(c, " int n%d;", i);
            sb_puts(c, " /* ");
            comment_text(c, p->vars[v].name ? p->vars[v].name : "", 60);
            sb_puts(c, " */\n");
        }
        sb_puts(c, "    int unused;\n} nv_flive;\n\n");
    }
    if (F->rank) {
        int k = 0;
        sb_puts(c, "/* the thresholds each value of the flat forest is compared with, sorted: its rank\n"
                   "   among them is what the entries compare */\nstatic const double nv_fth[] = {");
        for (int sl = 0; sl < F->nf; sl++)
            for (int i = 0; i < F->nth[sl]; i++)
                sb_printf(c, "%s%s,", k++ % 6 == 0 ? "\n    " : " ", c_double(&m->a, F->th[sl][i]));
        sb_puts(c, k ? "\n};\n" : "\n    0.0\n};\n");
    }
    if (F->fused) {
        sb_printf(c, "/* what a walk adds to the %d sums at a leaf, %d rows for the leaves of %d trees: a leaf's t\n"
                     "   is its row + 1 (NaN: the statements decide) */\nstatic const unsigned char nv_fvals[] =\n    ",
                  F->nacc, F->nrows, F->nt);
        c_string_put(c, (const char *)F->vals, (size_t)F->nrows * (size_t)F->vbytes);
        sb_puts(c, ";\n");
    }
    /* every tree's entries in one table, entry 0 a null leaf (where
       NV_FLAT_THREE 2 sends the missing values that go to neither child):
       as bytes (runtime/lib/trees.c, nv_fnode: t, f, the signed distance
       to the first child + 0x8000) */
    int leaf_f = F->stride - 1, ne = 1;
    F->root = ARENA_ARRAY(&m->a, int, F->nt);
    for (int j = 0; j < F->nt; j++) {
        F->root[j] = ne;
        ne += F->ft[j]->ne;
    }
    sb_printf(c, "/* the flat forest's %d entries (runtime/lib/trees.c) */\nstatic const nv_fnode nv_fents[] =\n"
                 "    /* entry 0: null */\n    ", ne);
    StrBuf eb;
    sb_init(&eb);
    if (F->fused || F->rank)
        c_put_le(&eb, F->fused && !F->rank ? 0x7f800001u : 1u, 4); /* row 0; or node -1 + 2 */
    else
        c_put_bits(&eb, 1.0, 1);
    c_put_le(&eb, (uint64_t)leaf_f, 2);
    c_put_le(&eb, 0x8000, 2);
    c_string_put(c, eb.data, eb.len);
    for (int j = 0; j < F->nt; j++) {
        const FTree *g = F->ft[j];
        const IrTree *tr = p->trees[F->tree[j]];
        sb_printf(c, "\n    /* tree %d: ", F->tree[j]);
        comment_text(c, tr->name ? tr->name : "", 80);
        sb_printf(c, " (line %d), %d nodes as %d entries from %d, %d steps */\n    ", tr->loc.line, tr->nnodes, g->ne,
                  F->root[j], g->steps);
        eb.len = 0;
        for (int e = 0; e < g->ne; e++) {
            /* a leaf of a fused forest names its row of values (fflat_rows);
               a test of codes its mask (fflat_masks) */
            double te = fentry_t(F, g, e);
            if (F->fused && g->eleft[e] == e && !F->rank)
                c_put_le(&eb, (uint32_t)te | 0x7f800000u, 4); /* a NaN's payload: nv_fadd */
            else if (F->rank)
                c_put_le(&eb, (uint32_t)(te >= INT_MAX ? INT_MAX : (int)te), 4);
            else
                c_put_bits(&eb, te, 1);
            c_put_le(&eb, (uint64_t)g->ef[e], 2);
            c_put_le(&eb, (uint64_t)(g->eleft[e] - e + 0x8000), 2); /* d + 0x8000 */
        }
        c_string_put(c, eb.data, eb.len);
    }
    sb_puts(c, ";\n");
    sb_free(&eb);
    if (F->sets) {
        sb_printf(c, "/* the masks of its tests of codes, M[0] = 0 */\nstatic const unsigned long long nv_fmasks[] = {");
        for (int i = 0; i < F->nmk; i++)
            sb_printf(c, "%s0x%llxULL,", i % 4 == 0 ? "\n    " : " ", F->mk[i]);
        sb_puts(c, "\n};\n");
    }
    if (F->maynan || F->fused) {
        /* per entry, an int (as bytes: nv_fint): for a test, where a NaN that
           is not missing goes (N); for a leaf of a forest with sums, the node
           it selects (R: the leaves' t name their rows of values instead) */
        StrBuf nb;
        sb_init(&nb);
        c_put_le(&nb, (uint32_t)-1, 4);
        for (int j = 0; j < F->nt; j++) {
            const FTree *g = F->ft[j];
            for (int e = 0; e < g->ne; e++)
                c_put_le(&nb, (uint32_t)(g->eleft[e] == e ? g->eres[e] : F->root[j] + g->enan[e]), 4);
        }
        sb_puts(c, "/* per entry: a test's where a value NaN but not missing goes (nv_fexact); a leaf's node, or\n"
                   "   -1 (nv_fresult) */\nstatic const unsigned char nv_fnan[] =\n    ");
        c_string_put(c, nb.data, nb.len);
        sb_puts(c, ";\n");
        sb_free(&nb);
    }
    sb_printf(c, "/* the flat forest, in the order its sum adds: its tables, each tree's root, fixed and most\n"
                 "   steps */\nstatic const nv_ftree nv_flat[] = {\n");
    for (int j = 0; j < F->nt; j++)
        sb_printf(c, "    {nv_fents, %s, %s, %s, %s, %d, %d, %d}, /* tree %d */\n", F->sets ? "nv_fmasks" : "0",
                  F->fused ? "nv_fvals" : "0", F->maynan ? "nv_fnan" : "0", F->fused ? "nv_fnan" : "0", F->root[j],
                  F->ft[j]->fixed, F->ft[j]->steps, F->tree[j]);
    sb_puts(c, "};\n\n");
}

/* In phase 2 of a block, the score function takes back what phase 1 kept
   and goes to the forest's point (printed after the score function's
   prologue, before the inputs are read). */
void trees_resume(Em *m, StrBuf *c)
{
    const FForest *F = m->ff;
    if (!F || !F->keep)
        return;
    sb_puts(c, "    if (B && B->phase == 2) {\n        const nv_flive *L = (const nv_flive *)B->live + B->row;\n"
               "        (void)L;\n");
    for (int i = 0; i < F->nlive; i++) {
        int v = F->live[i];
        if (m->direct[v])
            continue;
        if (fkeeps(m, v))
            sb_printf(c, "        %s = L->s%d;\n", m->vname[v], i);
        if (strcmp(m->nname[v], "0") != 0)
            sb_printf(c, "        %s = L->n%d;\n", m->nname[v], i);
    }
    sb_printf(c, "        goto resume_%d;\n    }\n", F->label);
}

/* the forest's point (trees_forest_point): the trees' results go to gres */
int flat_point(Em *m)
{
    m->nforest = m->ff->nt;
    for (int j = 0; j < m->ff->nt; j++)
        m->in_forest[m->ff->tree[j]] = j;
    return m->ff->point;
}

int flat_fused_last(const Em *m)
{
    return m->ff && m->ff->fused ? m->ff->last : -1;
}

/* after the fused statements: where a record whose sums the walk made goes on */
void flat_end(Em *m)
{
    em_line(m, "forest_%d:;", m->ff->label);
}

void flat_defines(Em *m, StrBuf *c)
{
    const FForest *F = m->ff;
    sb_printf(c, "/* the kind of flat forest (runtime/lib/trees.c) */\n#define NV_FLAT_RANK %d\n"
                 "#define NV_FLAT_CODES %d\n#define NV_FLAT_THREE %d\n#define NV_FLAT_DEEP %d\n"
                 "#define NV_FSUM_DOUBLE %d\n#define NV_FLAT_MSHIFT %d\n",
              F->rank, F->sets, F->three, F->deep, F->fused && F->sum_dbl, F->mshift);
}

int trees_blocked(const Em *m)
{
    return m->ff != NULL;
}

void trees_locals(Em *m, StrBuf *c)
{
    if (!m->ff)
        return;
    sb_printf(c, "    nv_ft Xs[%d]; /* the values the flat forest reads (runtime/lib/trees.c) */\n", m->ff->stride);
    if (m->ff->xn)
        sb_printf(c, "    unsigned char XNs[%d] = {0};\n", m->ff->stride);
    sb_puts(c, "    nv_frec rec;\n");
}

void trees_batch(Em *m, StrBuf *c, const char *pfx)
{
    const FForest *F = m->ff;
    int nb = F->nb;
    sb_printf(c, "int %s_score(const %s_input *in, %s_output *out)\n{\n    return %s_score_in(in, out, 0);\n}\n\n",
              pfx, pfx, pfx, pfx);
    sb_printf(c, "/* Records in blocks of %d: each block's values are gathered (the score\n"
                 "   function stops at the forest), every tree walks the block, then each\n"
                 "   record is scored to the end with its block's result. */\n", nb ? nb : 1);
    sb_printf(c, "size_t %s_score_batch(const %s_input *in, %s_output *out, int *status, size_t n)\n{\n", pfx, pfx,
              pfx);
    sb_puts(c, "    size_t i, bad = 0;\n");
    if (nb) {
        sb_printf(c, "    nv_ft X[%d * %d];\n", nb, F->stride);
        if (F->xn)
            sb_printf(c, "    unsigned char XN[%d * %d];\n", nb, F->stride);
        sb_printf(c, "    unsigned char rbad[%d];\n", nb);
        if (F->fused)
            sb_printf(c, "    nv_fs acc[%d * %d];\n", nb, F->nacc);
        else
            sb_printf(c, "    int res[%d * %d];\n", nb, F->nt);
        if (F->keep)
            sb_printf(c, "    nv_flive live[%d];\n", nb);
        sb_puts(c, "    nv_fblk B;\n    nv_frec rec;\n");
        sb_puts(c, "    memset(X, 0, sizeof X);\n");
        if (F->xn)
            sb_puts(c, "    memset(XN, 0, sizeof XN);\n");
        sb_printf(c, "    B.X = X; B.XN = %s; B.bad = rbad; B.acc = %s; B.res = %s; B.live = %s;\n",
                  F->xn ? "XN" : "0", F->fused ? "acc" : "0", F->fused ? "0" : "res", F->keep ? "live" : "0");
        sb_printf(c, "    rec.X = X; rec.XN = %s; rec.three = 1;\n", F->xn ? "XN" : "0");
        sb_printf(c, "    for (i = 0; i < n; i += %d) {\n", nb);
        sb_printf(c, "        int r, k = n - i < %d ? (int)(n - i) : %d;\n", nb, nb);
        sb_puts(c, "        B.phase = 1; B.three = 0;\n");
        sb_printf(c, "        for (r = 0; r < k; r++) {\n"
                     "            B.row = r; rbad[r] = 1;%s\n"
                     "            (void)%s_score_in(&in[i + r], &out[i + r], &B);\n"
                     "        }\n",
                  F->fused ? arena_printf(&m->a, " memset(acc + (size_t)r * %d, 0, %d * sizeof *acc);", F->nacc,
                                          F->nacc) : "", pfx);
        sb_puts(c, "        rec.three = B.three;\n");
        sb_printf(c, "        %s(nv_flat, %d, &rec, %d, k, %s, %d, %s);\n", rt_call(m, "nv_fblock"), F->nt, F->stride,
                  F->fused ? "acc" : "0", F->fused ? F->nacc : 0, F->fused ? "0" : "res");
        sb_puts(c, "        B.phase = 2;\n");
        sb_printf(c, "        for (r = 0; r < k; r++) {\n"
                     "            int s;\n"
                     "            B.row = r;\n"
                     "            s = %s_score_in(&in[i + r], &out[i + r], &B);\n"
                     "            if (status) status[i + r] = s;\n"
                     "            if (s != NERVA_OK) bad++;\n"
                     "        }\n"
                     "    }\n",
                  pfx);
    } else {
        sb_printf(c, "    for (i = 0; i < n; i++) {\n"
                     "        int s = %s_score_in(&in[i], &out[i], 0);\n"
                     "        if (status) status[i] = s;\n"
                     "        if (s != NERVA_OK) bad++;\n"
                     "    }\n",
                  pfx);
    }
    sb_puts(c, "    return bad;\n}\n\n");
}
