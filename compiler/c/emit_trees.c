/* The three layouts of PMML decision trees in generated C, and the choice
 * among them (trees_plan):
 *   nested branches  each tree its own function of labelled branches (the
 *                    default; small subtrees select their node with masks);
 *   node tables      any predicate, walked by nv_walk (runtime/lib/trees.c);
 *   test graphs      numeric and code splits of large ensembles, walked four
 *                    trees at a time by nv_gwalk_all.
 * Table and graph trees read their variables through slots (fx), which the
 * score function fills as the variables are written (trees_slot_mirror).
 * The walkers are library code; this file writes only each model's tables
 * and the nested trees' branches. */
#include "program.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* inner nodes of a nested tree's subtree that selects its node without
   branching; measured on the corpus's LightGBM and XGBoost ensembles, 7 to 11
   are best (3: 20% slower, 15: 10% slower) */
#define SELECT_MAX_INNER 7

/* a number of a table, short (tables are most of a large forest's C, and
   the compiler reads every character): an integer as one, and no
   parentheses around a negative constant */
static const char *fnum(Em *m, double v, int dbl)
{
    if (v == (double)(int)v && fabs(v) < 1e9 && !(v == 0 && signbit(v)))
        return arena_printf(&m->a, "%d", (int)v);
    const char *t = dbl ? c_double(&m->a, v) : c_float(&m->a, (float)v);
    if (t[0] == '(') {
        size_t n = strlen(t);
        t = arena_strndup(&m->a, t + 1, n - 2);
    }
    return t;
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
                                c_string(&m->a, pr->str ? pr->str : ""), ops[pr->op]);
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
        const char *acc = NULL;
        for (int i = 0; i < pr->nvals; i++) {
            const char *t = strv ? arena_printf(&m->a, "strcmp(%s, %s) == 0", v,
                                                c_string(&m->a, pr->strs[i]))
                                 : arena_printf(&m->a, "%s == %s", v,
                                                fl ? c_float(&m->a, (float)pr->nums[i])
                                                   : c_double(&m->a, pr->nums[i]));
            acc = acc ? arena_printf(&m->a, "%s || %s", acc, t) : t;
        }
        if (!acc)
            acc = "0";
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

static double pred_value(const Em *m, const IrPred *pr, double x)
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
        x.v = pred_value(m, pr, pr->num);
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
                       .v = pred_value(m, pr, pr->nums[i]), .k = {d, in, d, u}};
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
                   .v = pred_value(m, a, a->num), .k = {tb, ta, f, u}};
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
                sb_printf(strs, "    %s,\n", c_string(&m->a, pr->str ? pr->str : ""));
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
                    sb_printf(strs, "    %s,\n", c_string(&m->a, pr->strs[i]));
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


static void emit_tree_cols(Em *m, const IrTree *t, int ti, StrBuf *o)
{
    for (int c = 0; c < t->ncols; c++) {
        const IrTreeCol *col = &t->cols[c];
        if (!m->col_used[ti][c])
            continue;
        IrType *bt = ir_base(col->type);
        int has_null = 0;
        for (int i = 0; i < t->nnodes; i++)
            has_null |= col->is_null[i];
        if (bt->kind == T_STRING)
            sb_printf(o, "static const char *const tree%d_c%d[] = {", ti, c);
        else
            sb_printf(o, "static const %s tree%d_c%d[] = {", em_ctype(bt), ti, c);
        for (int i = 0; i < t->nnodes; i++) {
            sb_puts(o, i % 8 == 0 ? "\n    " : " ");
            if (col->is_null[i])
                sb_puts(o, em_czero(bt));
            else if (bt->kind == T_STRING)
                sb_puts(o, c_string(&m->a, col->str[i]));
            else if (bt->kind == T_FLOAT)
                sb_puts(o, fnum(m, (float)col->num[i], 0));
            else if (bt->kind == T_DOUBLE)
                sb_puts(o, fnum(m, col->num[i], 1));
            else
                sb_printf(o, "%lld", (long long)col->num[i]);
            sb_putc(o, ',');
        }
        sb_puts(o, "\n};\n");
        if (has_null) {
            sb_printf(o, "static const unsigned char tree%d_c%d_null[] = {", ti, c);
            for (int i = 0; i < t->nnodes; i++)
                sb_printf(o, "%s%d,", i % 32 == 0 ? "\n    " : "", col->is_null[i]);
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

/* ---- flat layout ----
 * Trees of binary numeric splits ("x < v" beside "x >= v", "x <= v" beside
 * "x > v") become arrays of entries walked by the run-time library's nv_f*
 * (runtime/lib/trees.c says how a walk goes): every split is turned into
 * "x >= t" (t the next number after v for "x > v"), a node's children are
 * adjacent entries (BFS order), and each result (a leaf, or the node a
 * missing or NaN value stops at, or null) is an entry that leads to itself.
 * Where a missing value goes is encoded in which copy of the value a split
 * reads: missing as -inf (to the first child), as +inf (to the second), or,
 * when it goes to neither child, as -inf with 2 added (to a third, a result
 * entry).  All flat trees of a program are one forest, walked at one point
 * of the score function (after the last write of a value they read), for
 * one record or, in the batch entry point, for blocks of records. */

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
    /* entries, numbered by fflat_layout */
    int ne, cap_e;
    int *ef, *eleft, *eres, *enan;
    double *et;
    unsigned long long *em;  /* per entry: its mask's index (codes) */
    unsigned long long *mk;  /* the masks of its tests of codes, mk[0] = 0 */
    int nmk, cap_mk;
    int fixed, steps, mind, deep;
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
    int three;       /* some split sends missing values to a third child */
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
    int nb;          /* records per block in the batch, or 0 (no blocks) */
} FForest;

static int fdest(Em *m, FTree *g, FDest d)
{
    if (g->nd >= g->max)
        g->ok = 0; /* compound predicates multiplied it past reason */
    if (!g->ok)
        return 0;
    VEC_PUSH(&m->a, g->d, g->nd, g->cap, d);
    return g->nd - 1;
}

/* the result res (an IR node, or -1: null), one FDest each */
static int fresult(Em *m, FTree *g, int res)
{
    if (g->result[res + 1] >= 0)
        return g->result[res + 1];
    FDest d = {.split = 0, .res = res};
    int r = fdest(m, g, d);
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
   values, else double; fflat_plan may widen float thresholds to double,
   which keeps them exact for float values) */
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
    return fdest(m, g, d);
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
    int *cd = ARENA_ARRAY(&m->a, int, FCODES);
    const FDest *e = &g->d[f];
    int thread = e->split && e->cd && e->var == var;
    for (int c = 0; c < FCODES; c++)
        cd[c] = c == FCODE_MISSING ? u : (mask >> c) & 1 ? t : f;
    if (!ir_is_nullable(m->p->vars[var].type))
        cd[FCODE_MISSING] = f;
    if (thread) {
        int *td = ARENA_ARRAY(&m->a, int, FCODES), dests[5], nd = 0;
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
    return fdest(m, g, d);
}

/* The decision of a three-valued predicate: to t when it holds, f when it
   does not, u when it is unknown (a missing value), as splits.  A value
   that is NaN without being missing makes comparisons false (and != true),
   as the other layouts compute them. */
static int fpred(Em *m, FTree *g, const IrPred *pr, int t, int f, int u)
{
    if (!g->ok)
        return 0;
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
        double v = pred_value(m, pr, pr->num), n = fnext(m, pr->var, v);
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
            double v = pred_value(m, pr, pr->nums[i]);
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

static int fdest_enter(Em *m, FTree *g, const IrTree *tr, int k);

/* node k's children from the i-th on, the first that holds taken */
static int fchain(Em *m, FTree *g, const IrTree *tr, int k, int i, int u)
{
    const IrTreeNode *nd = &tr->nodes[k];
    if (i == nd->nkids)
        return fresult(m, g, tr->no_true_child_null ? -1 : k);
    int c = nd->kids[i];
    if (c <= k) { /* children follow their parent: anything else may loop */
        g->ok = 0;
        return 0;
    }
    int next = fchain(m, g, tr, k, i + 1, u);
    return fpred(m, g, tr->nodes[c].pred, fdest_enter(m, g, tr, c), next, u < 0 ? next : u);
}

static int fdest_enter(Em *m, FTree *g, const IrTree *tr, int k)
{
    if (!g->ok)
        return 0;
    if (g->enter[k] >= 0)
        return g->enter[k];
    const IrTreeNode *nd = &tr->nodes[k];
    int d, u = -1;
    if (nd->nkids == 0) {
        d = fresult(m, g, k);
    } else {
        /* where an unknown predicate among the children goes (-1: on to
           the next child, as if false) */
        switch (tr->missing) {
        case MV_LAST_PREDICTION: u = fresult(m, g, k); break;
        case MV_NULL_PREDICTION: u = fresult(m, g, -1); break;
        case MV_DEFAULT_CHILD:
            if (nd->default_child > k)
                u = fdest_enter(m, g, tr, nd->default_child);
            else if (nd->default_child < 0)
                u = fresult(m, g, k);
            else
                g->ok = 0;
            break;
        default: break;
        }
        d = fchain(m, g, tr, k, 0, u);
    }
    g->enter[k] = d;
    return d;
}

/* a tree as flat splits, or NULL when it has a predicate they cannot say */
static FTree *fflat_build(Em *m, const IrTree *tr)
{
    FTree *g = ARENA_NEW(&m->a, FTree);
    g->ok = 1;
    g->defaults = tr->missing == MV_DEFAULT_CHILD;
    g->max = 16 * tr->nnodes + 256;
    g->enter = ARENA_ARRAY(&m->a, int, tr->nnodes);
    g->result = ARENA_ARRAY(&m->a, int, tr->nnodes + 1);
    for (int k = 0; k < tr->nnodes; k++)
        g->enter[k] = g->result[k + 1] = -1;
    g->result[0] = -1;
    int root = fdest_enter(m, g, tr, 0);
    /* the root's own predicate must hold, or the prediction is null */
    int null = fresult(m, g, -1);
    g->root = fpred(m, g, tr->nodes[0].pred, root, null, null);
    return g->ok ? g : NULL;
}

static int fentry(Em *m, FTree *g)
{
    if (g->ne == g->cap_e) {
        int cap = g->cap_e ? 2 * g->cap_e : 64;
        int **iv[] = {&g->ef, &g->eleft, &g->eres, &g->enan};
        for (size_t i = 0; i < sizeof iv / sizeof iv[0]; i++) {
            int *n = ARENA_ARRAY(&m->a, int, cap);
            if (g->ne)
                memcpy(n, *iv[i], sizeof *n * (size_t)g->ne);
            *iv[i] = n;
        }
        double *nt = ARENA_ARRAY(&m->a, double, cap);
        unsigned long long *nm = ARENA_ARRAY(&m->a, unsigned long long, cap);
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
        if (F->nth[s])
            qsort(F->th[s], (size_t)F->nth[s], sizeof(double), cmp_double);
        int u = 0;
        for (int i = 0; i < F->nth[s]; i++)
            if (u == 0 || F->th[s][u - 1] != F->th[s][i])
                F->th[s][u++] = F->th[s][i];
        F->nth[s] = u;
        F->th_off[s] = off;
        off += u;
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
static void fflat_reach(Em *m, FTree *g)
{
    int *stack = ARENA_ARRAY(&m->a, int, g->nd + 1), n = 0;
    g->reach = arena_alloc(&m->a, (size_t)g->nd + 1);
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

/* the most steps a walk from d takes (splits form a graph without cycles:
   every split leads to later nodes or to what follows them) */
static int fdepth(const FTree *g, int d, int *memo)
{
    const FDest *x = &g->d[d];
    if (!x->split)
        return 0;
    if (memo[d] >= 0)
        return memo[d];
    int kids[4], n = fkids(x, kids), most = 0;
    for (int i = 0; i < n; i++) {
        int k = fdepth(g, kids[i], memo);
        most = k > most ? k : most;
    }
    memo[d] = 1 + most;
    return memo[d];
}

/* The entries of a tree, breadth first from its root.  A split's children
   (two, or three when a missing value goes to neither, up to four for
   codes) are appended together, so they are adjacent; a split reached two
   ways gets its children once, each way an entry of its own that leads to
   them.  A result is an entry that leads to itself.  Where a NaN goes is
   an entry too (added when no walk reaches one). */
static int fflat_layout(Em *m, const FForest *F, FTree *g)
{
    int leaf_f = F->stride - 1;
    int *src = NULL, nsrc = 0, cap = 0;      /* per entry: its FDest */
    int *depth = NULL, ndepth = 0, capd = 0; /* per entry: the fewest steps to it (-1: only NaN goes there) */
    int *block = ARENA_ARRAY(&m->a, int, g->nd); /* per split FDest: its children's first entry, or -1 */
    int *some = ARENA_ARRAY(&m->a, int, g->nd);  /* per FDest: an entry of it, or -1 */
    int *later = NULL, nlater = 0, cap_l = 0;     /* entries whose NaN goes where no walk does */
    for (int i = 0; i < g->nd; i++)
        block[i] = some[i] = -1;
    VEC_PUSH(&m->a, g->mk, g->nmk, g->cap_mk, 0ULL);
    VEC_PUSH(&m->a, src, nsrc, cap, g->root);
    VEC_PUSH(&m->a, depth, ndepth, capd, 0);
    fentry(m, g);
    for (int e = 0;; e++) {
        /* the entries only a NaN goes to come last, away from the walks' */
        for (; e == g->ne && nlater; nlater--) {
            int from = later[nlater - 1], n = g->d[src[from]].nan;
            if (some[n] < 0) {
                VEC_PUSH(&m->a, src, nsrc, cap, n);
                VEC_PUSH(&m->a, depth, ndepth, capd, -1);
                some[n] = fentry(m, g);
            }
            g->enan[from] = some[n];
        }
        if (e == g->ne)
            break;
        const FDest *d = &g->d[src[e]];
        if (some[src[e]] < 0)
            some[src[e]] = e;
        if (!d->split) {
            g->ef[e] = leaf_f;
            g->et[e] = 1.0; /* the constant 0 at leaf_f is never >= 1: the entry leads to itself */
            g->eleft[e] = e;
            g->eres[e] = d->res;
            continue;
        }
        if (g->ne > 65535 - 4) /* an entry's child is 16 bits */
            return 0;
        int s = d->cd ? F->cslot[d->var] : d->isnull ? F->nslot[d->var] : F->slot[d->var];
        int kids[4], nk = fkids(d, kids);
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
            if (at >= 2048) /* t holds it in bits 20-30 */
                return 0;
            g->ef[e] = s;
            g->em[e] = (unsigned long long)at;
        } else {
            int third = nk == 3;
            g->ef[e] = third ? 2 * F->nf + s : d->miss == d->hi && d->miss != d->lo ? F->nf + s : s;
        }
        /* what x is compared with: a missing flag with 1; codes with what no
           x reaches; a number with itself, or its rank */
        if (d->isnull)
            g->et[e] = 1.0;
        else if (d->cd)
            g->et[e] = (double)((int)g->em[e] << 20); /* its mask's index, above every x */
        else
            g->et[e] = F->rank ? (double)fflat_rank_of(F, s, d->t) : d->t;
        if (block[src[e]] < 0) {
            block[src[e]] = g->ne;
            for (int i = 0; i < nk; i++) {
                VEC_PUSH(&m->a, src, nsrc, cap, kids[i]);
                VEC_PUSH(&m->a, depth, ndepth, capd, depth[e] < 0 ? -1 : depth[e] + 1);
                fentry(m, g);
            }
        }
        g->eleft[e] = block[src[e]];
        if (!d->cd) {
            int n = d->nan;
            if (n == d->lo || n == d->hi) /* lo before hi: where a NaN's comparison false sends it */
                g->enan[e] = block[src[e]] + (n == d->hi && n != d->lo);
            else
                VEC_PUSH(&m->a, later, nlater, cap_l, e); /* after the walks' entries */
        }
    }
    int *memo = ARENA_ARRAY(&m->a, int, g->nd);
    for (int i = 0; i < g->nd; i++)
        memo[i] = -1;
    g->steps = fdepth(g, g->root, memo);
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
    return g->ne <= 65535;
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

/* The flat forest: the used trees that flat splits can express, when they
   can all be walked at one point; in auto mode, only when there are at
   least min_trees of them. */
static void fflat_plan(Em *m, int min_trees)
{
    const IrProgram *p = m->p;
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
        FTree *g = fflat_build(m, p->trees[t]);
        if (!g)
            continue;
        fflat_reach(m, g);
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
    F->stride = (F->three ? 3 : 2) * F->nf + 1;
    F->xn = F->three && !F->rank;
    if (F->stride > 65535) /* an entry's slot is 16 bits */
        return;
    if (F->rank) {
        fflat_thresholds(m, F);
        for (int sl = 0; sl < F->nf; sl++)
            if (F->nth[sl] >= (1 << 20) - 1) /* ranks stay below the tests of codes' t */
                return;
    }
    int deep = 0;
    for (int j = 0; j < F->nt; j++) {
        if (!fflat_layout(m, F, F->ft[j]))
            return;
        deep += F->ft[j]->deep;
    }
    /* deep forests: walks go on while they move; the others all take the
       same steps, unchecked */
    F->deep = 4 * deep > F->nt;
    for (int j = 0; j < F->nt; j++) {
        F->ft[j]->fixed = F->deep ? F->ft[j]->mind : F->ft[j]->steps;
        m->tree_table[F->tree[j]] = LAY_FLAT;
    }
    fflat_fuse(m, F);
    F->nb = fflat_block(F);
    F->label = ++m->label;
    m->ff = F;
    rt_need(m->rt, "flat");
}

/* the walk of the forest, at its point in the score function */
/* the record's values for the walk: rec points at X (and XN) */
static void fflat_values(Em *m, const FForest *F)
{
    int nf = F->nf;
    em_line(m, "nv_ft *X = B ? B->X + (size_t)B->row * %d : Xs;", F->stride);
    if (F->xn)
        em_line(m, "unsigned char *XN = B ? B->XN + (size_t)B->row * %d : XNs;", F->stride);
    em_line(m, "int bad = 0;");
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
                em_line(m, "  X[%d] = %s ? NV_FNEITHER : x;", 2 * nf + s, nn);
            else if (F->three)
                em_line(m, "  X[%d] = X[%d]; XN[%d] = (unsigned char)(%s ? 2 : 0);", 2 * nf + s, s, 2 * nf + s, nn);
            em_line(m, "}");
            break;
        }
        }
    }
    em_line(m, "X[%d] = 0;", F->stride - 1);
    em_line(m, "rec.X = X; rec.XN = %s;", F->xn ? "XN" : "0");
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
static void fflat_begin(Em *m)
{
    FForest *F = m->ff;
    int L = F->label;
    em_line(m, "/* the flat forest: %d trees walked at once (runtime/lib/trees.c) */", F->nt);
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
        em_line(m, "if (B && B->phase == 1) {");
        em_line(m, "    B->bad[B->row] = (unsigned char)bad;");
        for (int i = 0; i < F->nacc; i++)
            em_line(m, "    B->acc[(size_t)B->row * %d + %d] = %s;", F->nacc, i, m->vname[F->accs[i]]);
        em_line(m, "    return NERVA_OK;");
        em_line(m, "}");
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
        em_line(m, "if (B && B->phase == 1) { B->bad[B->row] = (unsigned char)bad; return NERVA_OK; }");
    }
    if (F->maynan)
        em_line(m, "if (bad) %s(nv_flat, %d, &rec, gres); else %s(nv_flat, %d, &rec, gres);",
                rt_call(m, "nv_fexact"), F->nt, rt_call(m, "nv_fres"), F->nt);
    else
        em_line(m, "%s(nv_flat, %d, &rec, gres);", rt_call(m, "nv_fres"), F->nt);
    m->ind--;
    em_line(m, "}");
    em_line(m, "walked_%d:;", L);
}

static void fflat_print(Em *m, StrBuf *c)
{
    FForest *F = m->ff;
    const IrProgram *p = m->p;
    if (F->rank) {
        int k = 0;
        sb_puts(c, "/* the thresholds each value of the flat forest is compared with, sorted: its rank\n"
                   "   among them is what the entries compare */\nstatic const double nv_fth[] = {");
        for (int sl = 0; sl < F->nf; sl++)
            for (int i = 0; i < F->nth[sl]; i++)
                sb_printf(c, "%s%s,", k++ % 6 == 0 ? "\n    " : " ", c_double(&m->a, F->th[sl][i]));
        sb_puts(c, k ? "\n};\n" : "\n    0.0\n};\n");
    }
    for (int j = 0; j < F->nt; j++) {
        const FTree *g = F->ft[j];
        const IrTree *tr = p->trees[F->tree[j]];
        int t = F->tree[j];
        sb_printf(c, "/* tree %d: ", t);
        comment_text(c, tr->name ? tr->name : "", 80);
        sb_printf(c, " (line %d), %d nodes as %d entries, %d steps */\n", tr->loc.line, tr->nnodes, g->ne, g->steps);
        sb_printf(c, "static const nv_fnode tree%d_f[] = {", t);
        for (int e = 0; e < g->ne; e++) {
            sb_printf(c, "%s{", e % 5 == 0 ? "\n    " : " ");
            if (F->rank)
                sb_printf(c, g->et[e] >= INT_MAX ? "INT_MAX" : "%d", (int)g->et[e]);
            else
                sb_puts(c, fnum(m, (float)g->et[e], 0));
            sb_printf(c, ", %d, %d},", g->ef[e], g->eleft[e]);
        }
        sb_puts(c, "\n};\n");
        if (F->sets) {
            sb_printf(c, "static const unsigned long long tree%d_fm[] = {", t);
            for (int i = 0; i < g->nmk; i++)
                sb_printf(c, "%s0x%llxULL,", i % 4 == 0 ? "\n    " : " ", g->mk[i]);
            sb_puts(c, "\n};\n");
        }
        sb_printf(c, "static const int tree%d_fr[] = {", t);
        for (int e = 0; e < g->ne; e++)
            sb_printf(c, "%s%d,", e % 16 == 0 ? "\n    " : " ", g->eleft[e] == e ? g->eres[e] : 0);
        sb_puts(c, "\n};\n");
        if (F->maynan) {
            sb_printf(c, "static const int tree%d_fn[] = {", t);
            for (int e = 0; e < g->ne; e++)
                sb_printf(c, "%s%d,", e % 16 == 0 ? "\n    " : " ", g->eleft[e] == e ? 0 : g->enan[e]);
            sb_puts(c, "\n};\n");
        }
        if (F->fused) {
            /* per entry, what a walk ending there adds to each sum; NaN
               where the statements must decide (a null guard or value) */
            sb_printf(c, "static const %s tree%d_fv[] = {", F->sum_dbl ? "double" : "float", t);
            for (int e = 0, k = 0; e < g->ne; e++)
                for (int i = 0; i < F->nacc; i++, k++) {
                    int r = g->eleft[e] == e ? g->eres[e] : -2;
                    const FAdd *a = &F->adds[i];
                    const IrTreeCol *gc = &tr->cols[F->guard[j]], *col = &tr->cols[F->cols[j * F->nacc + i]];
                    double v;
                    if (r == -2)
                        v = 0.0; /* not a leaf */
                    else if (r < 0 || gc->is_null[r])
                        v = NAN;
                    else if (a->kind == 2)
                        v = a->num;
                    else if (col->is_null[r])
                        v = a->kind == 1 ? 0.0 : NAN;
                    else
                        v = col->num[r];
                    sb_printf(c, "%s%s,", k % 8 == 0 ? "\n    " : " ",
                              fnum(m, F->sum_dbl ? v : (double)(float)v, F->sum_dbl));
                }
            sb_puts(c, "\n};\n");
        }
    }
    sb_printf(c, "/* the flat forest, in the order its sum adds */\nstatic const nv_ftree nv_flat[] = {\n");
    for (int j = 0; j < F->nt; j++) {
        int t = F->tree[j];
        sb_printf(c, "    {tree%d_f, %s, tree%d_fr, %s, %s, %d, %d},\n", t,
                  F->sets ? arena_printf(&m->a, "tree%d_fm", t) : "0", t,
                  F->fused ? arena_printf(&m->a, "tree%d_fv", t) : "0",
                  F->maynan ? arena_printf(&m->a, "tree%d_fn", t) : "0", F->ft[j]->fixed, F->ft[j]->steps);
    }
    sb_puts(c, "};\n\n");
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
    if (m->ff) {
        m->nforest = m->ff->nt;
        for (int j = 0; j < m->ff->nt; j++)
            m->in_forest[m->ff->tree[j]] = j;
        return m->ff->point;
    }
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
    case TREES_FLAT: fflat_plan(m, 1); break;
    case TREES_AUTO:
        if (o->tree_table_threshold >= 0)
            threshold = o->tree_table_threshold;
        else
            fflat_plan(m, AUTO_FLAT_TREES);
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
        if (m->nth[sl])
            qsort(m->th[sl], (size_t)m->nth[sl], sizeof(double), cmp_double);
        int u = 0;
        for (int i = 0; i < m->nth[sl]; i++)
            if (u == 0 || m->th[sl][u - 1] != m->th[sl][i])
                m->th[sl][u++] = m->th[sl][i];
        m->nth[sl] = u;
        m->th_off[sl] = off;
        off += u;
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
        em_line(m, "%s = nv_tree%d(&E);", t, e->tree);
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
    if (m->ff)
        fflat_print(m, c);
    /* tree payload columns */
    for (int t = 0; t < p->ntrees; t++)
        if (m->tree_used[t])
            emit_tree_cols(m, p->trees[t], t, c);
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
    if (m->ff) {
        fflat_begin(m);
        return m->ff->fused ? m->ff->last : -1;
    }
    em_line(m, "%s(nv_forest, %d, fx, gres);", rt_call(m, "nv_gwalk_all"), m->nforest);
    return -1;
}

void trees_forest_end(Em *m)
{
    em_line(m, "forest_%d:;", m->ff->label);
}

void trees_defines(Em *m, StrBuf *c)
{
    if (m->any_graph)
        sb_printf(c, "#define NV_GTEST_NARROW %d /* the width of graph tests (runtime/lib/trees.c) */\n", m->gnarrow);
    if (m->ff)
        sb_printf(c, "/* the kind of flat forest (runtime/lib/trees.c) */\n#define NV_FLAT_RANK %d\n"
                     "#define NV_FLAT_CODES %d\n#define NV_FLAT_THREE %d\n#define NV_FLAT_DEEP %d\n"
                     "#define NV_FSUM_DOUBLE %d\n",
                  m->ff->rank, m->ff->sets, m->ff->three, m->ff->deep, m->ff->fused && m->ff->sum_dbl);
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
        sb_puts(c, "    nv_fblk B;\n    nv_frec rec;\n");
        sb_puts(c, "    memset(X, 0, sizeof X);\n");
        if (F->xn)
            sb_puts(c, "    memset(XN, 0, sizeof XN);\n");
        sb_printf(c, "    B.X = X; B.XN = %s; B.bad = rbad; B.acc = %s; B.res = %s;\n", F->xn ? "XN" : "0",
                  F->fused ? "acc" : "0", F->fused ? "0" : "res");
        sb_printf(c, "    rec.X = X; rec.XN = %s;\n", F->xn ? "XN" : "0");
        sb_printf(c, "    for (i = 0; i < n; i += %d) {\n", nb);
        sb_printf(c, "        int r, k = n - i < %d ? (int)(n - i) : %d;\n", nb, nb);
        sb_puts(c, "        B.phase = 1;\n");
        sb_printf(c, "        for (r = 0; r < k; r++) {\n"
                     "            B.row = r; rbad[r] = 1;%s\n"
                     "            (void)%s_score_in(&in[i + r], &out[i + r], &B);\n"
                     "        }\n",
                  F->fused ? arena_printf(&m->a, " memset(acc + (size_t)r * %d, 0, %d * sizeof *acc);", F->nacc,
                                          F->nacc) : "", pfx);
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
