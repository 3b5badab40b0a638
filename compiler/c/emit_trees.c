/* The layouts of PMML decision trees in generated C, and the choice among
 * them (trees_plan; --tree-layout):
 *   flat             ensembles: one-value tests in 8-byte entries walked
 *                    with no branch on the data, the trees of a forest at
 *                    one point of the program, for one record or blocks of
 *                    records (emit_flat.c);
 *   nested branches  each tree its own function of labelled branches (single
 *                    trees and small ensembles; small subtrees select their
 *                    node with masks);
 *   test graphs      numeric and code splits of large ensembles flat cannot
 *                    express, walked four trees at a time by nv_gwalk_all;
 *   node tables      any simple predicate, walked by nv_walk.
 * Table and graph trees read their variables through slots (fx), which the
 * score function fills as the variables are written (trees_slot_mirror);
 * flat trees read an array the forest's point fills (emit_flat.c).  The
 * walkers are library code (runtime/lib/trees.c); this file writes only each
 * model's tables and the nested trees' branches. */
#include "program.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* inner nodes of a nested tree's subtree that selects its node without
   branching; measured on the corpus's LightGBM and XGBoost ensembles, 7 to 11
   are best (3: 20% slower, 15: 10% slower) */
#define SELECT_MAX_INNER 7

/* a number of a table, short (tables are most of a large forest's C, and
   the compiler reads every character): an integer as one, and no
   parentheses around a negative constant */
const char *trees_num(Em *m, double v, int dbl)
{
    /* in a buffer of the emitter's, not its arena: a big forest prints
       millions of them, each used at once */
    if (v == (double)(int)v && fabs(v) < 1e9 && !(v == 0 && signbit(v)))
        snprintf(m->num, sizeof m->num, "%d", (int)v);
    else
        c_num_text(m->num, sizeof m->num, v, !dbl);
    return m->num;
}

/* ---- tree predicates, three-valued: 1 true, 0 false, -1 unknown ---- */

/* The sentinel a nested tree's variable holds while it is null (NaN for
   numbers, -1 for codes), or NULL when its type has none.  With it, a test
   that treats unknown as false needs no null check: every comparison a
   sentinel_test admits is false for the sentinel, as it is for null. */
const char *trees_null_sentinel(const IrType *t)
{
    if (!ir_is_nullable((IrType *)t))
        return NULL;
    switch (ir_base((IrType *)t)->kind) {
    case T_DOUBLE:
    case T_FLOAT: return "NAN";
    case T_INT: return "-1";
    default: return NULL;
    }
}

/* whether pr, on its variable's sentinel, is false (so unknown-as-false
   needs no null check): ordered and equality comparisons of numbers (false
   on NaN), and equality or membership of codes other than -1 */
static int sentinel_test(const Em *m, const IrPred *pr)
{
    if (pr->var < 0 || !m->env_var[pr->var] || !trees_null_sentinel(m->p->vars[pr->var].type))
        return 0;
    int is_int = ir_base(m->p->vars[pr->var].type)->kind == T_INT;
    switch (pr->kind) {
    case P_CMP:
        if (pr->op == CMP_NE)
            return 0;
        return !is_int || (pr->op == CMP_EQ && pr->num != -1.0);
    case P_IN:
        if (!pr->nums)
            return 0;
        for (int i = 0; i < pr->nvals && is_int; i++)
            if (pr->nums[i] == -1.0)
                return 0;
        return 1;
    default:
        return 0;
    }
}

static const char *pred_text(Em *m, const IrPred *pr, int unknown_false)
{
    const char *v = pr->var >= 0 ? m->vname[pr->var] : NULL;
    const char *n = pr->var >= 0 ? m->nname[pr->var] : "0";
    IrType *vt = pr->var >= 0 ? ir_base(m->p->vars[pr->var].type) : NULL;
    int strv = vt && vt->kind == T_STRING;
    int fl = vt && vt->kind == T_FLOAT;
    const char *body = NULL;
    switch (pr->kind) {
    case P_TRUE: return "1";
    case P_FALSE: return "0";
    case P_IS_MISSING: return arena_printf(&m->a, "(%s ? 1 : 0)", n);
    case P_IS_NOT_MISSING: return arena_printf(&m->a, "(%s ? 0 : 1)", n);
    case P_CMP: {
        static const char *ops[] = {"==", "!=", "<", "<=", ">", ">="};
        if (strv)
            body = arena_printf(&m->a, "(strcmp(%s, %s) %s 0)", v,
                                em_string(m, pr->str ? pr->str : ""), ops[pr->op]);
        else
            body = arena_printf(&m->a, "(%s %s %s)", v, ops[pr->op],
                                fl ? c_float(&m->a, (float)pr->num) : c_double(&m->a, pr->num));
        break;
    }
    case P_IN:
    case P_NOT_IN: {
        /* small integer codes (interned strings): one bit test */
        if (vt && vt->kind == T_INT && pr->nums) {
            unsigned long long mask = 0;
            int ok = 1;
            for (int i = 0; i < pr->nvals; i++) {
                double x = pr->nums[i];
                if (x < 0 || x > 63 || x != (double)(int)x)
                    ok = 0;
                else
                    mask |= 1ULL << (int)x;
            }
            if (ok) {
                body = arena_printf(&m->a, "%s((unsigned)%s < 64u && ((0x%llxULL >> %s) & 1u))",
                                    pr->kind == P_IN ? "" : "!", v, mask, v);
                break;
            }
        }
        const char *acc;
        if (strv)
            acc = em_str_in(m, v, pr->strs, pr->nvals);
        else if (pr->nvals > 8)
            acc = em_num_in(m, v, pr->nums, pr->nvals, fl);
        else {
            const char **parts = ARENA_ARRAY(&m->a, const char *, pr->nvals + 1);
            for (int i = 0; i < pr->nvals; i++)
                parts[i] = arena_printf(&m->a, "%s == %s", v, fl ? c_float(&m->a, (float)pr->nums[i])
                                                                 : c_double(&m->a, pr->nums[i]));
            acc = pr->nvals ? em_join(m, parts, pr->nvals, " || ") : "0";
        }
        body = arena_printf(&m->a, pr->kind == P_IN ? "(%s)" : "!(%s)", acc);
        break;
    }
    case P_AND:
    case P_OR:
    case P_XOR:
    case P_SURROGATE: {
        const char *fn = pr->kind == P_AND ? "nv_and3" : pr->kind == P_OR ? "nv_or3"
                       : pr->kind == P_XOR ? "nv_xor3" : "nv_sur3";
        if (pr->nkids == 0)
            return pr->kind == P_AND ? "1" : "0";
        if (pr->nkids > 1)
            rt_call(m, fn);
        const char *acc = pred_text(m, pr->kids[0], 0);
        for (int i = 1; i < pr->nkids; i++)
            acc = arena_printf(&m->a, "%s(%s, %s)", fn, acc, pred_text(m, pr->kids[i], 0));
        return acc;
    }
    default:
        NV_ASSERT(0);
    }
    if (strcmp(n, "0") == 0 || (unknown_false && sentinel_test(m, pr)))
        return body;
    return arena_printf(&m->a, "(%s ? -1 : %s)", n, body);
}

static int pred_may_unknown(const Em *m, const IrPred *pr)
{
    switch (pr->kind) {
    case P_CMP:
    case P_IN:
    case P_NOT_IN:
        return ir_is_nullable(m->p->vars[pr->var].type);
    case P_AND:
    case P_OR:
    case P_XOR:
    case P_SURROGATE:
        for (int i = 0; i < pr->nkids; i++)
            if (pred_may_unknown(m, pr->kids[i]))
                return 1;
        return 0;
    default:
        return 0;
    }
}

/* The subtree below node k as branch-free statements: every predicate is
   computed (p<node>), and s<node> is the node the walk ends at when it
   enters that node (-1: a null prediction), chosen by masks rather than
   branches, since the lowest levels of a tree are its least predictable
   branches.  Only for nodes the nested layout selects. */
static const char *select_node(Em *m, const IrTree *t, int k, const char **pt)
{
    const IrTreeNode *nd = &t->nodes[k];
    if (nd->nkids == 0)
        return arena_printf(&m->a, "%d", k);
    for (int i = 0; i < nd->nkids; i++) {
        int c = nd->kids[i];
        if (strcmp(pt[c], "1") == 0)
            break;
        if (strcmp(pt[c], "0") != 0)
            em_line(m, "    int p%d = %s;", c, pt[c]);
    }
    const char **kv = ARENA_ARRAY(&m->a, const char *, nd->nkids);
    int first_true = nd->nkids;
    for (int i = 0; i < nd->nkids; i++) {
        kv[i] = select_node(m, t, nd->kids[i], pt);
        if (strcmp(pt[nd->kids[i]], "1") == 0) {
            first_true = i;
            break;
        }
    }
    const char *unknown_to;
    switch (t->missing) {
    case MV_LAST_PREDICTION: unknown_to = arena_printf(&m->a, "%d", k); break;
    case MV_NULL_PREDICTION: unknown_to = "-1"; break;
    case MV_DEFAULT_CHILD: {
        unknown_to = arena_printf(&m->a, "%d", k);
        for (int i = 0; i <= first_true && i < nd->nkids; i++)
            if (nd->kids[i] == nd->default_child)
                unknown_to = kv[i];
        break;
    }
    default: unknown_to = NULL; break; /* unknown counts as false */
    }
    const char *acc = first_true < nd->nkids ? kv[first_true]
                    : t->no_true_child_null ? "-1" : arena_printf(&m->a, "%d", k);
    const char *s = arena_printf(&m->a, "s%d", k);
    em_line(m, "    int %s = %s;", s, acc);
    for (int i = first_true - 1; i >= 0; i--) {
        int c = nd->kids[i];
        if (strcmp(pt[c], "0") == 0)
            continue;
        if (unknown_to && pred_may_unknown(m, t->nodes[c].pred))
            em_line(m, "    %s ^= (%s ^ %s) & -(p%d < 0);", s, s, unknown_to, c);
        em_line(m, "    %s ^= (%s ^ %s) & -(p%d == 1);", s, s, kv[i], c);
    }
    return s;
}

/* node k and the small subtree below it, without branches */
static void emit_tree_select(Em *m, const IrTree *t, int k, const char **pt, const char *res, int L)
{
    em_line(m, "{");
    const char *s = select_node(m, t, k, pt);
    em_line(m, "    %s = %s; %s_n = %s < 0; goto done_%d;", res, s, res, res, L);
    em_line(m, "}");
}

/* nested branches: each node a labelled section, children tried in order */
static void emit_tree_nested(Em *m, const IrTree *t, const char *res)
{
    int L = ++m->label;
    /* pt: three-valued; pf: where unknown counts as false */
    const char **pt = ARENA_ARRAY(&m->a, const char *, t->nnodes);
    const char **pf = ARENA_ARRAY(&m->a, const char *, t->nnodes);
    for (int k = 0; k < t->nnodes; k++) {
        pt[k] = pred_text(m, t->nodes[k].pred, 0);
        pf[k] = t->missing == MV_NONE ? pred_text(m, t->nodes[k].pred, 1) : pt[k];
    }
    /* A node whose subtree is small (at most SELECT_MAX_INNER inner nodes)
       selects the node it ends at by masks instead of branches: the lowest
       levels of a tree are its least predictable branches, and computing a
       few more tests costs less than mispredicting one. */
    unsigned char *selects = arena_alloc(&m->a, (size_t)t->nnodes);
    for (int k = t->nnodes - 1; k >= 0; k--) {
        const IrTreeNode *nd = &t->nodes[k];
        int inner = 1, ok = nd->nkids > 0 && nd->nkids <= 4;
        for (int i = 0; i < nd->nkids && ok; i++) {
            int c = nd->kids[i];
            if (c <= k)
                ok = 0; /* children follow their parent; anything else branches */
            else if (t->nodes[c].nkids)
                ok = selects[c] != 0, inner += selects[c];
        }
        if (t->missing == MV_DEFAULT_CHILD && nd->default_child >= 0) {
            int dc = nd->default_child, among = 0;
            for (int i = 0; i < nd->nkids; i++)
                among |= nd->kids[i] == dc;
            if (!among)
                ok = 0;
        }
        selects[k] = (unsigned char)(ok && inner <= SELECT_MAX_INNER ? inner : 0);
    }
    /* which labels some goto names (an unused label is a warning) */
    unsigned char *targeted = arena_alloc(&m->a, (size_t)t->nnodes);
    for (int k = 0; k < t->nnodes; k++) {
        const IrTreeNode *nd = &t->nodes[k];
        int unknown = 0;
        if (selects[k])
            continue;
        for (int i = 0; i < nd->nkids; i++) {
            int c = nd->kids[i];
            if (strcmp(pt[c], "0") == 0)
                continue;
            targeted[c] = 1;
            if (strcmp(pt[c], "1") == 0)
                break;
            unknown |= pred_may_unknown(m, t->nodes[c].pred);
        }
        if (unknown && t->missing == MV_DEFAULT_CHILD && nd->default_child >= 0)
            targeted[nd->default_child] = 1;
    }
    em_line(m, "{");
    m->ind++;
    int need_null = strcmp(pt[0], "1") != 0;
    if (need_null)
        em_line(m, "if (%s != 1) goto null_%d;", pt[0], L);
    for (int k = 0; k < t->nnodes; k++) {
        const IrTreeNode *nd = &t->nodes[k];
        if (k > 0 && !targeted[k])
            continue; /* reached only through a selecting parent */
        if (targeted[k])
            sb_printf(m->out, "%*sn%d_%d: /* line %d */\n", (m->ind - 1) * 4, "", L, k,
                      nd->loc.line);
        if (selects[k]) {
            emit_tree_select(m, t, k, pf, res, L);
            continue;
        }
        if (nd->nkids == 0) {
            em_line(m, "%s = %d; %s_n = 0; goto done_%d;", res, k, res, L);
            continue;
        }
        int decided = 0;
        for (int i = 0; i < nd->nkids && !decided; i++) {
            int c = nd->kids[i];
            if (strcmp(pt[c], "0") == 0)
                continue;
            if (strcmp(pt[c], "1") == 0) {
                em_line(m, "goto n%d_%d;", L, c);
                decided = 1;
                break;
            }
            if (!pred_may_unknown(m, t->nodes[c].pred) || t->missing == MV_NONE) {
                em_line(m, "if (%s == 1) goto n%d_%d;", pf[c], L, c);
                continue;
            }
            em_line(m, "{ int p = %s; if (p == 1) goto n%d_%d;", pt[c], L, c);
            switch (t->missing) {
            case MV_LAST_PREDICTION:
                em_line(m, "  if (p < 0) { %s = %d; %s_n = 0; goto done_%d; } }", res, k, res, L);
                break;
            case MV_NULL_PREDICTION:
                em_line(m, "  if (p < 0) goto null_%d; }", L);
                need_null = 1;
                break;
            default: /* MV_DEFAULT_CHILD */
                if (nd->default_child >= 0)
                    em_line(m, "  if (p < 0) goto n%d_%d; }", L, nd->default_child);
                else
                    em_line(m, "  if (p < 0) { %s = %d; %s_n = 0; goto done_%d; } }", res, k, res, L);
                break;
            }
        }
        if (decided)
            continue;
        if (t->no_true_child_null) {
            em_line(m, "goto null_%d;", L);
            need_null = 1;
        } else
            em_line(m, "%s = %d; %s_n = 0; goto done_%d;", res, k, res, L);
    }
    if (need_null) {
        sb_printf(m->out, "%*snull_%d:\n", (m->ind - 1) * 4, "", L);
        em_line(m, "%s = -1; %s_n = 1;", res, res);
    }
    sb_printf(m->out, "%*sdone_%d:;\n", (m->ind - 1) * 4, "", L);
    m->ind--;
    em_line(m, "}");
}

/* ---- test-graph layout ----
 * The fast layout for large ensembles.  Each tree becomes a graph of tests
 * on one value each; a node's children are tried as a chain of tests (first
 * true child wins), and the missing-value and no-true-child strategies are
 * resolved at compile time into where a test goes when its value is missing
 * or no child holds.  A test asks two questions of its value, so that the
 * usual pair of complementary children ("x <= v", "x > v") is one test:
 * where to go when the first holds (k[1]), when only the second holds (k[0]),
 * when neither does (k[2]: NaN, or a code in neither set) and when the value
 * is missing (k[3]).  The walk picks the next test by an indexed load, not by
 * a hard-to-predict branch.  A destination >= 0 is a test; -1 ends the walk
 * with a null prediction, -(k + 2) with node k selected.
 * Tests compare integers, not doubles: each numeric value a graph tree reads
 * is mapped, once per record, to its position among the sorted thresholds
 * the trees compare it with (2i + 1 is threshold i itself, even positions
 * the gaps), which is exact for every comparison and lets a test fit in 16
 * bytes; a string's code is its own position.  Half the memory of a test
 * with a double keeps large forests in cache. */
#define G_NULL (-1)
#define G_RESULT(k) (-(k) - 2)
enum { GOP_LT = 1, GOP_EQ = 2, GOP_GT = 4, GOP_UN = 8, GOP_ALL = 15, GOP_MASK = 16 };

typedef struct GTest {
    int var;
    int op1, op2;          /* GOP_* bits; GOP_MASK: set membership of a code */
    double v;              /* compared value */
    unsigned long long m1, m2; /* the two sets (GOP_MASK) */
    int k[4];              /* destinations: only second, first, neither, missing */
    int num;               /* index in the emitted table */
} GTest;

typedef struct TGraph {
    GTest *tests;
    int n, cap;
    int entry;             /* where the walk starts */
    int *enter;            /* per node: destination of entering it (INT_MIN: not yet) */
    int ok;
    int nmasks;            /* mask tests (two masks each) */
} TGraph;

static int graph_var_ok(const Em *m, int var)
{
    IrTypeKind k = ir_base(m->p->vars[var].type)->kind;
    /* values a double holds exactly; long is left to the other layouts */
    return k == T_DOUBLE || k == T_FLOAT || k == T_INT || k == T_BOOL;
}

static int graph_add(Em *m, TGraph *g, GTest x)
{
    if (x.v != x.v)
        g->ok = 0; /* a NaN threshold has no position */
    VEC_PUSH(&m->a, g->tests, g->n, g->cap, x);
    return g->n - 1;
}

/* the code set of an IN/NOT_IN predicate as a 64-bit mask, when it fits */
static int pred_mask(const Em *m, const IrPred *pr, unsigned long long *mask)
{
    if ((pr->kind != P_IN && pr->kind != P_NOT_IN) || !pr->nums ||
        ir_base(m->p->vars[pr->var].type)->kind != T_INT)
        return 0;
    *mask = 0;
    for (int i = 0; i < pr->nvals; i++) {
        double x = pr->nums[i];
        if (!(x >= 0 && x < 64 && x == (double)(int)x))
            return 0;
        *mask |= 1ULL << (int)x;
    }
    return 1;
}

static const int cmp_ops[] = {[CMP_EQ] = GOP_EQ, [CMP_NE] = GOP_LT | GOP_GT | GOP_UN,
                              [CMP_LT] = GOP_LT, [CMP_LE] = GOP_LT | GOP_EQ,
                              [CMP_GT] = GOP_GT, [CMP_GE] = GOP_GT | GOP_EQ};

double trees_pred_value(const Em *m, const IrPred *pr, double x)
{
    return ir_base(m->p->vars[pr->var].type)->kind == T_FLOAT ? (double)(float)x : x;
}

/* one test of predicate pr: to t when it holds, f when not, u when its value
   is missing; g->ok is cleared when pr is no such test */
static int graph_pred(Em *m, TGraph *g, const IrPred *pr, int t, int f, int u)
{
    GTest x = {.var = pr->var, .k = {f, t, f, u}};
    switch (pr->kind) {
    case P_TRUE:
        return t;
    case P_FALSE:
        return f;
    case P_IS_MISSING:
    case P_IS_NOT_MISSING: {
        int miss = pr->kind == P_IS_MISSING ? t : f, there = pr->kind == P_IS_MISSING ? f : t;
        GTest y = {.var = pr->var, .op1 = GOP_ALL, .op2 = 0, .k = {there, there, there, miss}};
        return graph_add(m, g, y);
    }
    case P_CMP:
        if (!graph_var_ok(m, pr->var) || pr->str)
            break;
        if ((pr->op == CMP_EQ || pr->op == CMP_NE) && ir_base(m->p->vars[pr->var].type)->kind == T_INT &&
            pr->num >= 0 && pr->num < 64 && pr->num == (double)(int)pr->num) {
            /* a code's equality is membership of a one-code set */
            if (pr->op == CMP_NE) {
                x.k[0] = x.k[2] = t;
                x.k[1] = f;
            }
            x.op1 = x.op2 = GOP_MASK;
            x.m1 = 1ULL << (int)pr->num;
            x.m2 = ~x.m1;
            g->nmasks++;
            return graph_add(m, g, x);
        }
        x.op1 = cmp_ops[pr->op];
        x.op2 = x.op1 ^ GOP_ALL;
        x.v = trees_pred_value(m, pr, pr->num);
        return graph_add(m, g, x);
    case P_IN:
    case P_NOT_IN: {
        if (!graph_var_ok(m, pr->var) || !pr->nums)
            break;
        if (pr->kind == P_NOT_IN) {
            x.k[0] = x.k[2] = t;
            x.k[1] = f;
        }
        if (pred_mask(m, pr, &x.m1)) {
            x.op1 = x.op2 = GOP_MASK;
            x.m2 = ~x.m1;
            g->nmasks++;
            return graph_add(m, g, x);
        }
        /* otherwise a chain of equality tests */
        int in = x.k[1], out = x.k[0], d = out;
        for (int i = pr->nvals - 1; i >= 0; i--) {
            GTest y = {.var = pr->var, .op1 = GOP_EQ, .op2 = GOP_EQ ^ GOP_ALL,
                       .v = trees_pred_value(m, pr, pr->nums[i]), .k = {d, in, d, u}};
            d = graph_add(m, g, y);
        }
        return d;
    }
    default:
        break;
    }
    g->ok = 0;
    return f;
}

/* children a and b (in that order) as one test, when b holds exactly where a
   does not (but for NaN or codes in neither set): "x <= v" then "x > v" */
static int graph_pair(Em *m, TGraph *g, const IrPred *a, const IrPred *b, int ta, int tb, int f,
                      int u)
{
    if (a->var < 0 || a->var != b->var || !graph_var_ok(m, a->var))
        return INT_MIN;
    if (a->kind == P_CMP && b->kind == P_CMP && !a->str && !b->str && a->num == b->num &&
        (cmp_ops[a->op] & cmp_ops[b->op]) == 0) {
        GTest x = {.var = a->var, .op1 = cmp_ops[a->op], .op2 = cmp_ops[b->op],
                   .v = trees_pred_value(m, a, a->num), .k = {tb, ta, f, u}};
        return graph_add(m, g, x);
    }
    GTest x = {.var = a->var, .op1 = GOP_MASK, .op2 = GOP_MASK, .k = {tb, ta, f, u}};
    if (a->kind == P_IN && b->kind == P_IN && pred_mask(m, a, &x.m1) && pred_mask(m, b, &x.m2) &&
        (x.m1 & x.m2) == 0) {
        g->nmasks++;
        return graph_add(m, g, x);
    }
    return INT_MIN;
}

static int graph_enter(Em *m, TGraph *g, const IrTree *tr, int k)
{
    if (g->enter[k] != INT_MIN)
        return g->enter[k];
    const IrTreeNode *nd = &tr->nodes[k];
    int d;
    if (nd->nkids == 0) {
        d = G_RESULT(k);
    } else {
        int u;
        switch (tr->missing) {
        case MV_LAST_PREDICTION: u = G_RESULT(k); break;
        case MV_NULL_PREDICTION: u = G_NULL; break;
        case MV_DEFAULT_CHILD:
            u = nd->default_child >= 0 ? graph_enter(m, g, tr, nd->default_child) : G_RESULT(k);
            break;
        default: u = INT_MIN; break; /* unknown counts as false: the next child */
        }
        /* built back to front: each child's test falls through to the next */
        d = tr->no_true_child_null ? G_NULL : G_RESULT(k);
        for (int i = nd->nkids - 1; i >= 0 && g->ok; i--) {
            const IrPred *pr = tr->nodes[nd->kids[i]].pred;
            if (pr->kind == P_FALSE)
                continue;
            int into = graph_enter(m, g, tr, nd->kids[i]);
            if (pr->kind == P_TRUE) {
                d = into;
                continue;
            }
            /* a complementary pair of children is one test */
            if (i > 0) {
                const IrPred *pa = tr->nodes[nd->kids[i - 1]].pred;
                int ia = graph_enter(m, g, tr, nd->kids[i - 1]);
                int pd = graph_pair(m, g, pa, pr, ia, into, d, u == INT_MIN ? d : u);
                if (pd != INT_MIN) {
                    d = pd;
                    i--;
                    continue;
                }
            }
            d = graph_pred(m, g, pr, into, d, u == INT_MIN ? d : u);
        }
    }
    g->enter[k] = d;
    return d;
}

/* number the tests depth first from the entry, the "holds" side first, so
   that a walk mostly moves forward through memory */
static void graph_number(TGraph *g, int d, int *next)
{
    while (d >= 0 && g->tests[d].num < 0) {
        GTest *x = &g->tests[d];
        x->num = (*next)++;
        for (int i = 0; i < 4; i++)
            if (i != 1)
                graph_number(g, x->k[i], next);
        d = x->k[1];
    }
}

static TGraph *graph_build(Em *m, const IrTree *tr)
{
    TGraph *g = ARENA_NEW(&m->a, TGraph);
    g->ok = 1;
    g->enter = ARENA_ARRAY(&m->a, int, tr->nnodes);
    for (int k = 0; k < tr->nnodes; k++)
        g->enter[k] = INT_MIN;
    int root = graph_enter(m, g, tr, 0);
    /* the root's own predicate must hold, or the prediction is null */
    g->entry = tr->nodes[0].pred->kind == P_TRUE ? root
             : graph_pred(m, g, tr->nodes[0].pred, root, G_NULL, G_NULL);
    if (!g->ok)
        return NULL;
    int next = 0;
    for (int i = 0; i < g->n; i++)
        g->tests[i].num = -1;
    graph_number(g, g->entry, &next);
    return g;
}

static int graph_dest(const TGraph *g, int d)
{
    return d >= 0 ? g->tests[d].num : d;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int trees_sort_unique(double *v, int n)
{
    if (n)
        qsort(v, (size_t)n, sizeof(double), cmp_double);
    int u = 0;
    for (int i = 0; i < n; i++)
        if (u == 0 || v[u - 1] != v[i])
            v[u++] = v[i];
    return u;
}

/* the threshold position of a numeric test's value in its slot */
static int graph_tp(const Em *m, const GTest *x)
{
    int s = m->slot_of_var[x->var];
    const double *th = m->th[s];
    int lo = 0, hi = m->nth[s] - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (th[mid] == x->v)
            return 2 * mid + 1;
        if (th[mid] < x->v)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return 0; /* is-missing tests compare with nothing */
}

/* whether a graph's tests fit the 8-byte layout (see emit_graph_walker) */
static int graph_narrow(const Em *m, const TGraph *g)
{
    int masks = 0;
    for (int i = 0; i < g->n; i++) {
        const GTest *x = &g->tests[i];
        int tp = x->op1 & GOP_MASK ? 2 * masks++ : graph_tp(m, x);
        int k0 = graph_dest(g, x->k[0]), k1 = graph_dest(g, x->k[1]);
        if (tp > 32767 || k0 < -32768 || k0 > 32767 || k1 < -32768 || k1 > 32767 ||
            m->slot_of_var[x->var] > 127 || (x->op1 & GOP_MASK) != (x->op2 & GOP_MASK))
            return 0;
    }
    return 1;
}

static void emit_graph_table(Em *m, const TGraph *g, const IrTree *tr, int ti, StrBuf *o)
{
    sb_printf(o, "/* tree %d: ", ti);
    comment_text(o, tr->name ? tr->name : "", 80);
    sb_printf(o, " (line %d), %d nodes as %d tests */\n", tr->loc.line, tr->nnodes, g->n);
    if (g->nmasks) {
        sb_printf(o, "static const unsigned long long tree%d_m[] = {", ti);
        for (int i = 0, j = 0; i < g->n; i++)
            if (g->tests[i].op1 & GOP_MASK)
                sb_printf(o, "%s0x%llxULL, 0x%llxULL,", j++ % 3 == 0 ? "\n    " : " ", g->tests[i].m1,
                          g->tests[i].m2);
        sb_puts(o, "\n};\n");
    }
    /* in walk order; the mask pairs were printed in creation order */
    const GTest **by = ARENA_ARRAY(&m->a, const GTest *, g->n + 1);
    int *mask_at = ARENA_ARRAY(&m->a, int, g->n + 1);
    for (int i = 0, j = 0; i < g->n; i++) {
        if (g->tests[i].num >= 0)
            by[g->tests[i].num] = &g->tests[i];
        if (g->tests[i].op1 & GOP_MASK)
            mask_at[i] = 2 * j++;
    }
    sb_printf(o, "static const nv_gtest tree%d_g[] = {\n", ti);
    for (int i = 0; i < g->n && by[i]; i++) {
        const GTest *x = by[i];
        int tp = x->op1 & GOP_MASK ? mask_at[x - g->tests] : graph_tp(m, x);
        if (m->gnarrow)
            sb_printf(o, "    {%d, {%d, %d}, %d, %d},\n", tp, graph_dest(g, x->k[0]), graph_dest(g, x->k[1]),
                      m->slot_of_var[x->var] | (x->op1 & GOP_MASK ? 128 : 0),
                      (x->op1 & GOP_ALL) | (x->op2 & GOP_ALL) << 4);
        else
            sb_printf(o, "    {%d, {%d, %d}, %d, %d, %d},\n", tp, graph_dest(g, x->k[0]), graph_dest(g, x->k[1]),
                      m->slot_of_var[x->var], x->op1, x->op2);
    }
    if (g->n == 0 || !by[0])
        sb_puts(o, m->gnarrow ? "    {0, {-1, -1}, 0, 0},\n" : "    {0, {-1, -1}, 0, 0, 0},\n");
    sb_puts(o, "};\n");
    sb_printf(o, "static const int tree%d_x[] = {", ti);
    for (int i = 0; i < g->n && by[i]; i++)
        sb_printf(o, "%s%d, %d,", i % 8 == 0 ? "\n    " : " ", graph_dest(g, by[i]->k[2]),
                  graph_dest(g, by[i]->k[3]));
    if (g->n == 0 || !by[0])
        sb_puts(o, "\n    -1, -1,");
    sb_puts(o, "\n};\n");
}

/* ---- table layout ---- */
enum { TK_TRUE, TK_FALSE, TK_CMPN, TK_CMPS, TK_MISS, TK_NMISS, TK_INN, TK_NINN, TK_INS, TK_NINS };

static int pred_tabular(const Em *m, const IrPred *pr)
{
    switch (pr->kind) {
    case P_TRUE:
    case P_FALSE:
        return 1;
    case P_CMP:
    case P_IS_MISSING:
    case P_IS_NOT_MISSING:
    case P_IN:
    case P_NOT_IN: {
        IrTypeKind k = ir_base(m->p->vars[pr->var].type)->kind;
        return k == T_DOUBLE || k == T_FLOAT || k == T_INT || k == T_LONG || k == T_STRING ||
               k == T_BOOL;
    }
    default:
        return 0;
    }
}

static void emit_tree_tables(Em *m, const IrTree *t, int ti, StrBuf *o, int *nstr, int *nnum,
                             StrBuf *strs, StrBuf *nums)
{
    sb_printf(o, "/* tree %d: ", ti);
    comment_text(o, t->name ? t->name : "", 80);
    sb_printf(o, " (line %d), %d nodes */\n", t->loc.line, t->nnodes);
    sb_printf(o, "static const int tree%d_kids[] = {", ti);
    int nk = 0;
    for (int k = 0; k < t->nnodes; k++)
        for (int i = 0; i < t->nodes[k].nkids; i++) {
            sb_printf(o, "%s%d", nk % 20 == 0 ? "\n    " : " ", t->nodes[k].kids[i]);
            sb_putc(o, ',');
            nk++;
        }
    if (nk == 0)
        sb_puts(o, "0");
    sb_puts(o, "\n};\n");
    sb_printf(o, "static const nv_tnode tree%d_nodes[] = {\n", ti);
    int kid0 = 0;
    for (int k = 0; k < t->nnodes; k++) {
        const IrTreeNode *nd = &t->nodes[k];
        const IrPred *pr = nd->pred;
        int kind = TK_TRUE, slot = 0, op = 0, aux = 0, naux = 0;
        const char *num = "0.0";
        IrTypeKind vk = pr->var >= 0 && pr->kind != P_TRUE && pr->kind != P_FALSE
                            ? ir_base(m->p->vars[pr->var].type)->kind : T_NULL;
        int sv = vk == T_STRING;
        switch (pr->kind) {
        case P_TRUE: kind = TK_TRUE; break;
        case P_FALSE: kind = TK_FALSE; break;
        case P_CMP:
            kind = sv ? TK_CMPS : TK_CMPN;
            op = (int)pr->op;
            slot = m->slot_of_var[pr->var];
            if (sv) {
                aux = (*nstr)++;
                sb_printf(strs, "    %s,\n", em_string(m, pr->str ? pr->str : ""));
            } else
                num = vk == T_FLOAT ? c_double(&m->a, (float)pr->num) : c_double(&m->a, pr->num);
            break;
        case P_IS_MISSING: kind = TK_MISS; slot = m->slot_of_var[pr->var]; break;
        case P_IS_NOT_MISSING: kind = TK_NMISS; slot = m->slot_of_var[pr->var]; break;
        case P_IN:
        case P_NOT_IN:
            slot = m->slot_of_var[pr->var];
            naux = pr->nvals;
            if (sv) {
                kind = pr->kind == P_IN ? TK_INS : TK_NINS;
                aux = *nstr;
                for (int i = 0; i < pr->nvals; i++)
                    sb_printf(strs, "    %s,\n", em_string(m, pr->strs[i]));
                *nstr += pr->nvals;
            } else {
                kind = pr->kind == P_IN ? TK_INN : TK_NINN;
                aux = *nnum;
                for (int i = 0; i < pr->nvals; i++)
                    sb_printf(nums, "    %s,\n",
                              vk == T_FLOAT ? c_double(&m->a, (float)pr->nums[i])
                                            : c_double(&m->a, pr->nums[i]));
                *nnum += pr->nvals;
            }
            break;
        default:
            NV_ASSERT(0);
        }
        sb_printf(o, "    {%d, %d, %d, %s, %d, %d, %d, %d, %d},\n", kind, op, slot, num, aux, naux,
                  kid0, nd->nkids, nd->default_child);
        kid0 += nd->nkids;
    }
    sb_puts(o, "};\n");
}


/* Leaves, and inner nodes of trees that return their last prediction (when
   no child's predicate holds, when one is unknown under lastPrediction, or
   under defaultChild at a node without one): the same rules every layout
   walks by (emit_flat.c, fdest_enter and fchain). */
int trees_selectable(const IrTree *t, int k)
{
    const IrTreeNode *nd = &t->nodes[k];
    return nd->nkids == 0 || !t->no_true_child_null || t->missing == MV_LAST_PREDICTION ||
           (t->missing == MV_DEFAULT_CHILD && nd->default_child < 0);
}

/* Whether a column needs its null flags: the inner nodes of a boosted tree
   have no score, but no walk ends there, and a forest's tables of flags
   would be most of its C. */
int trees_col_has_null(const IrTree *t, int c)
{
    for (int i = 0; i < t->nnodes; i++)
        if (t->cols[c].is_null[i] && trees_selectable(t, i))
            return 1;
    return 0;
}

/* the type of the elements of a column's table: bytes for numbers (their
   bits), string pointers, and for an int column whose values (where a walk
   can end) fit a byte or a short, that (a class's code, mostly: the corpus
   forest's 200 tables of them went from 273 KB to 68 KB, less for a
   record's walk to wait for) */
const char *trees_col_ctype(const IrTree *t, int c)
{
    const IrTreeCol *col = &t->cols[c];
    IrType *bt = ir_base(col->type);
    if (bt->kind == T_FLOAT || bt->kind == T_DOUBLE)
        return "unsigned char";
    if (bt->kind == T_STRING)
        return "char *const";
    if (bt->kind != T_INT)
        return em_ctype(bt);
    double lo = 0, hi = 0;
    for (int i = 0; i < t->nnodes; i++)
        if (!col->is_null[i] && trees_selectable(t, i)) {
            lo = col->num[i] < lo ? col->num[i] : lo;
            hi = col->num[i] > hi ? col->num[i] : hi;
        }
    return lo >= -128 && hi <= 127 ? "signed char" : lo >= -32768 && hi <= 32767 ? "short" : em_ctype(bt);
}

static void emit_tree_cols(Em *m, const IrTree *t, int ti, StrBuf *o)
{
    for (int c = 0; c < t->ncols; c++) {
        const IrTreeCol *col = &t->cols[c];
        if (!m->col_used[ti][c])
            continue;
        IrType *bt = ir_base(col->type);
        int has_null = trees_col_has_null(t, c);
        if (bt->kind == T_FLOAT || bt->kind == T_DOUBLE) {
            /* bits, little-endian (trees_col_get reads them) */
            StrBuf b;
            sb_init(&b);
            for (int i = 0; i < t->nnodes; i++)
                c_put_bits(&b, col->is_null[i] || !trees_selectable(t, i) ? 0.0 : col->num[i], bt->kind == T_FLOAT);
            sb_printf(o, "static const %s tree%d_c%d[] =\n    ", trees_col_ctype(t, c), ti, c);
            c_string_put(o, b.data, b.len);
            sb_puts(o, ";\n");
            sb_free(&b);
        } else
            sb_printf(o, "static const %s tree%d_c%d[] = {", trees_col_ctype(t, c), ti, c);
        for (int i = 0; i < t->nnodes && bt->kind != T_FLOAT && bt->kind != T_DOUBLE; i++) {
            sb_puts(o, i % 8 == 0 ? "\n    " : " ");
            if (col->is_null[i] || !trees_selectable(t, i))
                sb_puts(o, em_czero(bt));
            else if (bt->kind == T_STRING)
                sb_puts(o, em_string(m, col->str[i]));
            else
                sb_printf(o, "%lld", (long long)col->num[i]);
            sb_putc(o, ',');
        }
        if (bt->kind != T_FLOAT && bt->kind != T_DOUBLE)
            sb_puts(o, "\n};\n");
        if (has_null) {
            sb_printf(o, "static const unsigned char tree%d_c%d_null[] = {", ti, c);
            for (int i = 0; i < t->nnodes; i++)
                sb_printf(o, "%s%d,", i % 32 == 0 ? "\n    " : "", col->is_null[i] && trees_selectable(t, i));
            sb_puts(o, "\n};\n");
        }
    }
}


static void mark_pred_vars(Em *m, const IrPred *pr)
{
    if (pr->kind == P_CMP || pr->kind == P_IS_MISSING || pr->kind == P_IS_NOT_MISSING ||
        pr->kind == P_IN || pr->kind == P_NOT_IN) {
        if (m->slot_of_var[pr->var] < 0)
            m->slot_of_var[pr->var] = m->nslots++;
    }
    for (int i = 0; i < pr->nkids; i++)
        mark_pred_vars(m, pr->kids[i]);
}

static void mark_env_vars(Em *m, const IrPred *pr, int *any)
{
    if (pr->var >= 0 && pr->kind != P_TRUE && pr->kind != P_FALSE) {
        m->env_var[pr->var] = 1;
        *any = 1;
    }
    for (int i = 0; i < pr->nkids; i++)
        mark_env_vars(m, pr->kids[i], any);
}

static int tree_is_tabular(const Em *m, const IrTree *t)
{
    for (int k = 0; k < t->nnodes; k++)
        if (!pred_tabular(m, t->nodes[k].pred))
            return 0;
    return 1;
}

/* ---- batching the graph trees' walks ---- */
static int expr_walks_graph(const Em *m, const IrExpr *e)
{
    if (e->kind == E_TREE && m->tree_table[e->tree] == LAY_GRAPH)
        return 1;
    for (int i = 0; i < e->n; i++)
        if (expr_walks_graph(m, e->a[i]))
            return 1;
    return 0;
}

/* bit 1: the block walks a graph tree; bit 2: it writes a variable that
   table-driven trees read */
static int block_tree_effects(const Em *m, const IrBlock *b)
{
    int r = 0;
    for (int i = 0; i < b->n; i++) {
        const IrStmt *s = b->s[i];
        if (s->e && expr_walks_graph(m, s->e))
            r |= 1;
        if (s->kind == S_SET && m->slot_of_var[s->var] >= 0)
            r |= 2;
        for (int k = 0; s->kind == S_NEAREST && k < s->nvars; k++)
            if (m->slot_of_var[s->vars[k]] >= 0)
                r |= 2;
        r |= block_tree_effects(m, &s->then_b) | block_tree_effects(m, &s->else_b);
    }
    return r;
}

/* The top-level statement before which every graph tree can be walked at
   once: after the last write of any value the trees read, no later than the
   first walk.  -1 when there is no such point (a chain of models feeding
   each other's trees) or fewer than two trees to gain from it. */
int trees_forest_point(Em *m)
{
    const IrProgram *p = m->p;
    if (m->ff)
        return flat_point(m);
    int ngraph = 0;
    for (int t = 0; t < p->ntrees; t++)
        ngraph += m->tree_table[t] == LAY_GRAPH;
    if (ngraph < 2)
        return -1;
    int first_walk = -1, last_write = -1;
    for (int i = 0; i < p->body.n; i++) {
        IrBlock one = {.s = &p->body.s[i], .n = 1};
        int fx = block_tree_effects(m, &one);
        if ((fx & 1) && first_walk < 0)
            first_walk = i;
        if (fx & 2)
            last_write = i;
    }
    if (first_walk < 0 || last_write >= first_walk)
        return -1;
    for (int t = 0; t < p->ntrees; t++)
        if (m->tree_table[t] == LAY_GRAPH)
            m->in_forest[t] = m->nforest++;
    return first_walk;
}

/* table-driven trees read a variable through its slot in fx: every write of
   the variable is copied there */
const char *trees_slot_mirror(Em *m, int v)
{
    int s = m->slot_of_var[v];
    if (s < 0)
        return "";
    IrTypeKind k = ir_base(m->p->vars[v].type)->kind;
    if (k == T_STRING)
        return arena_printf(&m->a, " fx[%d].s = %s; fx[%d].n = %s;", s, m->vname[v], s, m->nname[v]);
    const char *pos = "";
    if (m->slot_kind[s] == SLOT_CODE)
        pos = arena_printf(&m->a, " fx[%d].p = %s ? NV_GMISS : (int)%s;", s, m->nname[v], m->vname[v]);
    else if (m->slot_kind[s] == SLOT_NUMBER)
        pos = arena_printf(&m->a, " fx[%d].p = %s ? NV_GMISS : %s(nv_th + %d, %d, (double)%s);", s,
                           m->nname[v], rt_call(m, "nv_pos"), m->th_off[s], m->nth[s], m->vname[v]);
    return arena_printf(&m->a, " fx[%d].d = (double)%s; fx[%d].n = %s;%s", s, m->vname[v], s,
                        m->nname[v], pos);
}


/* ---- the plan ---- */

/* Auto: the fewest trees a forest of flat splits needs to be laid out flat.
   Measured (docs/performance.md) on XGBoost models of 10,000 distinct rows:
   2 trees of depth 3 score faster as branches (23 against 28 ns), 5 of
   depth 4 already flat (49 against 55), 20 of depth 6 twice as fast flat;
   a single tree stays branches (its walk has nothing to overlap with).
   Below, and for trees flat splits cannot express, the older rule: test
   graphs when the trees left have more than AUTO_GRAPH_NODES nodes in
   total, else nested branches. */
#define AUTO_FLAT_TREES 4
#define AUTO_GRAPH_NODES 4000

void trees_plan(Em *m)
{
    const IrProgram *p = m->p;
    const EmitOptions *o = m->o;
    m->tree_table = arena_alloc(&m->a, (size_t)p->ntrees + 1);
    m->slot_of_var = ARENA_ARRAY(&m->a, int, p->nvars + 1);
    for (int v = 0; v < p->nvars; v++)
        m->slot_of_var[v] = -1;
    m->graph = ARENA_ARRAY(&m->a, TGraph *, p->ntrees + 1);
    m->in_forest = ARENA_ARRAY(&m->a, int, p->ntrees + 1);
    for (int t = 0; t < p->ntrees; t++)
        m->in_forest[t] = -1;
    /* the flat forest first; the rest by the older rule, with its threshold */
    long threshold = AUTO_GRAPH_NODES;
    switch (o->tree_layout) {
    case TREES_GRAPH: threshold = 0; break;
    case TREES_BRANCHES: threshold = LONG_MAX; break;
    case TREES_FLAT: flat_plan(m, 1); break;
    case TREES_AUTO:
        if (o->tree_table_threshold >= 0)
            threshold = o->tree_table_threshold;
        else
            flat_plan(m, AUTO_FLAT_TREES);
        break;
    }
    long total = 0;
    for (int t = 0; t < p->ntrees; t++)
        if (m->tree_used[t] && !m->tree_table[t])
            total += p->trees[t]->nnodes;
    /* how graph tests use each variable: 1 compared as a number, 2 as a code */
    unsigned char *vuse = arena_alloc(&m->a, (size_t)p->nvars + 1);
    for (int t = 0; t < p->ntrees; t++) {
        if (!m->tree_used[t] || m->tree_table[t] || total <= threshold)
            continue;
        if ((m->graph[t] = graph_build(m, p->trees[t])))
            for (int i = 0; i < m->graph[t]->n; i++) {
                const GTest *x = &m->graph[t]->tests[i];
                vuse[x->var] |= x->op1 & GOP_MASK ? 2 : (x->op1 == GOP_ALL && x->op2 == 0) ? 0 : 1;
            }
    }
    /* a value tested both ways has no one position: its trees take another layout */
    for (int t = 0; t < p->ntrees; t++)
        for (int i = 0; m->graph[t] && i < m->graph[t]->n; i++)
            if (vuse[m->graph[t]->tests[i].var] == 3)
                m->graph[t] = NULL;
    m->slot_kind = arena_alloc(&m->a, (size_t)p->nvars + 1);
    m->th = ARENA_ARRAY(&m->a, double *, p->nvars + 1);
    m->nth = ARENA_ARRAY(&m->a, int, p->nvars + 1);
    m->th_off = ARENA_ARRAY(&m->a, int, p->nvars + 1);
    int *th_cap = ARENA_ARRAY(&m->a, int, p->nvars + 1);
    for (int t = 0; t < p->ntrees; t++) {
        if (!m->tree_used[t] || m->tree_table[t] || total <= threshold)
            continue;
        if (m->graph[t]) {
            m->tree_table[t] = LAY_GRAPH;
            m->any_graph = 1;
            for (int i = 0; i < m->graph[t]->n; i++) {
                const GTest *x = &m->graph[t]->tests[i];
                if (m->slot_of_var[x->var] < 0)
                    m->slot_of_var[x->var] = m->nslots++;
                int sl = m->slot_of_var[x->var];
                m->slot_kind[sl] = vuse[x->var] & 2 ? SLOT_CODE : SLOT_NUMBER;
                if (!(x->op1 & GOP_MASK) && !(x->op1 == GOP_ALL && x->op2 == 0))
                    VEC_PUSH(&m->a, m->th[sl], m->nth[sl], th_cap[sl], x->v);
            }
        } else if (tree_is_tabular(m, p->trees[t])) {
            m->tree_table[t] = LAY_TABLE;
            m->any_generic = 1;
            for (int k = 0; k < p->trees[t]->nnodes; k++)
                mark_pred_vars(m, p->trees[t]->nodes[k].pred);
        }
    }
    m->any_table = m->any_graph || m->any_generic;
    /* each numeric slot's thresholds, sorted and unique, one after another */
    for (int sl = 0, off = 0; sl < m->nslots; sl++) {
        m->nth[sl] = trees_sort_unique(m->th[sl], m->nth[sl]);
        m->th_off[sl] = off;
        off += m->nth[sl];
        m->any_number |= m->slot_kind[sl] == SLOT_NUMBER;
    }
    m->gnarrow = 1;
    for (int t = 0; t < p->ntrees; t++)
        if (m->tree_table[t] == LAY_GRAPH) {
            m->nomask |= m->graph[t]->nmasks == 0;
            m->gnarrow &= graph_narrow(m, m->graph[t]);
        }
    /* variables that nested-branch trees read live in one struct, so each
       tree can be its own small function (gcc compiles many small functions
       far faster than one huge one) */
    m->env_var = arena_alloc(&m->a, (size_t)p->nvars + 1);
    for (int t = 0; t < p->ntrees; t++)
        if (m->tree_used[t] && !m->tree_table[t])
            for (int k = 0; k < p->trees[t]->nnodes; k++)
                mark_env_vars(m, p->trees[t]->nodes[k].pred, &m->any_env);
    /* the library code the layouts walk with */
    if (m->any_table)
        rt_need(m->rt, "slot");
    if (m->any_generic)
        rt_need(m->rt, "tree_table");
    if (m->any_graph)
        rt_need(m->rt, "graph");
    if (m->nomask)
        rt_need(m->rt, "graph_nomask");
}

void trees_functions(Em *m, StrBuf *o)
{
    const IrProgram *p = m->p;
    const char **sv = m->vname, **sn = m->nname;
    StrBuf *so = m->out;
    m->vname = m->tvname;
    m->nname = m->tnname;
    m->out = o;
    for (int t = 0; t < p->ntrees; t++) {
        if (!m->tree_used[t] || m->tree_table[t])
            continue;
        const IrTree *tr = p->trees[t];
        sb_printf(o, "/* tree %d: ", t);
        comment_text(o, tr->name ? tr->name : "", 80);
        sb_printf(o, " (line %d), %d nodes; the chosen node or -1 */\n", tr->loc.line, tr->nnodes);
        sb_printf(o, "static int nv_tree%d(const nv_env *E)\n{\n    int r = -1, r_n = 1;\n"
                     "    (void)E;\n", t);
        m->ind = 1;
        emit_tree_nested(m, tr, "r");
        sb_puts(o, "    return r_n ? -1 : r;\n}\n\n");
    }
    m->vname = sv;
    m->nname = sn;
    m->out = so;
}

void trees_walk(Em *m, const IrExpr *e, const char *t)
{
    const IrTree *tr = m->p->trees[e->tree];
    if (m->roll) { /* a run's loop (emit_roll.c): the tree of its turn */
        em_line(m, "%s = gres[%d + nv_t];", t, roll_pos(m->roll));
        return;
    }
    em_line(m, "/* tree %d: %d nodes, line %d */", e->tree, tr->nnodes, tr->loc.line);
    if ((m->tree_table[e->tree] == LAY_GRAPH || m->tree_table[e->tree] == LAY_FLAT) && m->in_forest[e->tree] >= 0)
        em_line(m, "%s = gres[%d];", t, m->in_forest[e->tree]);
    else if (m->tree_table[e->tree] == LAY_GRAPH)
        em_line(m, "%s = %s(tree%d_g, tree%d_x, %s, %d, fx);", t, rt_call(m, "nv_gwalk"), e->tree, e->tree,
                m->graph[e->tree]->nmasks ? arena_printf(&m->a, "tree%d_m", e->tree) : "nv_nomask",
                graph_dest(m->graph[e->tree], m->graph[e->tree]->entry));
    else if (m->tree_table[e->tree] == LAY_TABLE)
        em_line(m, "%s = %s(tree%d_nodes, tree%d_kids, %d, %d, fx, nv_tstr, nv_tnum);", t, rt_call(m, "nv_walk"),
                e->tree, e->tree, (int)tr->missing, tr->no_true_child_null);
    else
        em_line(m, "%s = nv_tree%d(&%s);", t, e->tree, m->envref);
}

void trees_print(Em *m, StrBuf *c, const char *treefns)
{
    const IrProgram *p = m->p;
    if (m->any_table) {
        StrBuf tabs, strs, nums;
        sb_init(&tabs);
        sb_init(&strs);
        sb_init(&nums);
        int nstr = 0, nnum = 0;
        for (int t = 0; t < p->ntrees; t++)
            if (m->tree_table[t] == LAY_TABLE)
                emit_tree_tables(m, p->trees[t], t, &tabs, &nstr, &nnum, &strs, &nums);
            else if (m->tree_table[t] == LAY_GRAPH)
                emit_graph_table(m, m->graph[t], p->trees[t], t, &tabs);
        if (m->any_generic) {
            sb_printf(c, "static const char *const nv_tstr[] = {\n%s    \"\"\n};\n", strs.data ? strs.data : "");
            sb_printf(c, "static const double nv_tnum[] = {\n%s    0.0\n};\n\n", nums.data ? nums.data : "");
        }
        if (m->any_number) {
            sb_puts(c, "/* the thresholds graph trees compare each number with, sorted */\n"
                       "static const double nv_th[] = {");
            int k = 0;
            for (int sl = 0; sl < m->nslots; sl++)
                for (int i = 0; i < m->nth[sl]; i++)
                    sb_printf(c, "%s%s,", k++ % 6 == 0 ? "\n    " : " ", c_double(&m->a, m->th[sl][i]));
            sb_puts(c, k ? "\n};\n\n" : "\n    0.0\n};\n\n");
        }
        sb_puts(c, tabs.data ? tabs.data : "");
        if (m->nforest) {
            sb_printf(c, "/* every graph tree, walked together (%s) */\nstatic const nv_gtree nv_forest[] = {\n",
                      rt_call(m, "nv_gwalk_all"));
            for (int t = 0; t < p->ntrees; t++)
                if (m->in_forest[t] >= 0)
                    sb_printf(c, "    {tree%d_g, tree%d_x, %s, %d},\n", t, t,
                              m->graph[t]->nmasks ? arena_printf(&m->a, "tree%d_m", t) : "nv_nomask",
                              graph_dest(m->graph[t], m->graph[t]->entry));
            sb_puts(c, "};\n");
        }
        sb_putc(c, '\n');
        sb_free(&tabs);
        sb_free(&strs);
        sb_free(&nums);
    }
    /* the tables of flat trees and columns of numbers are strings of bytes
       (runtime/lib/trees.c, section le), longer than the 4,095 characters
       ISO C asks every compiler to take (gcc and clang take any length) */
    if (m->ff || m->ntrees_used)
        sb_puts(c, "#if defined(__GNUC__)\n#pragma GCC diagnostic push\n"
                   "#pragma GCC diagnostic ignored \"-Woverlength-strings\"\n#endif\n");
    if (m->ff)
        flat_print(m, c);
    /* tree payload columns */
    for (int t = 0; t < p->ntrees; t++)
        if (m->tree_used[t])
            emit_tree_cols(m, p->trees[t], t, c);
    if (m->ff || m->ntrees_used)
        sb_puts(c, "#if defined(__GNUC__)\n#pragma GCC diagnostic pop\n#endif\n");
    if (m->ntrees_used)
        sb_putc(c, '\n');

    if (m->any_env || m->ntrees_used) {
        sb_puts(c, "/* the values trees read */\ntypedef struct nv_env {\n");
        int members = 0;
        for (int v = 0; v < p->nvars; v++) {
            if (!m->env_var[v])
                continue;
            const char *ct = em_ctype(p->vars[v].type);
            sb_printf(c, "    %s%sv%d;", ct, ct[strlen(ct) - 1] == '*' ? "" : " ", v);
            if (ir_is_nullable(p->vars[v].type))
                sb_printf(c, " int v%d_n;", v);
            sb_puts(c, " /* ");
            comment_text(c, p->vars[v].name ? p->vars[v].name : "", 80);
            sb_puts(c, " */\n");
            members++;
        }
        if (!members)
            sb_puts(c, "    int unused;\n");
        sb_puts(c, "} nv_env;\n\n");
        sb_puts(c, treefns ? treefns : "");
    }
}

int trees_forest_begin(Em *m)
{
    if (m->ff)
        return flat_begin(m);
    em_line(m, "%s(nv_forest, %d, fx, gres);", rt_call(m, "nv_gwalk_all"), m->nforest);
    return -1;
}

void trees_forest_end(Em *m)
{
    flat_end(m);
}

void trees_defines(Em *m, StrBuf *c)
{
    if (m->any_graph)
        sb_printf(c, "#define NV_GTEST_NARROW %d /* the width of graph tests (runtime/lib/trees.c) */\n", m->gnarrow);
    if (m->ff)
        flat_defines(m, c);
}
