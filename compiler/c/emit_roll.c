/* emit_roll.c -- runs of per-tree statements printed as one loop.
 *
 * Why: an ensemble lowers each of its segments to the same few statements
 * around its tree's walk (the node, the columns read there, then the sum's
 * or the vote's bookkeeping), one copy per tree.  Once a forest is walked at
 * once (its results in gres), those copies differ only in the tree: 200
 * trees made 200 copies, some 25 KB of machine code that one record runs
 * through once, and as many lines for the C compiler.  Where the copies are
 * the same but for their tree and the variables only they use, the backend
 * prints the first copy once, in a loop over the trees, reading each tree's
 * columns through a table of pointers: the same statements, in the same
 * order, on the same variables.
 *
 * A run is found on the program's top-level statements: a group starts
 * with `node := (tree k)` for a tree of the forest (gres index j), and the
 * next group with the tree at j + 1; each group has the first's length and
 * shape.  The variables of a group ("locals") are those it sets once, at
 * its top level, before any read, and that nothing outside it reads or
 * writes; group g's locals stand for the first group's, in order.  Every
 * other variable is the same in each group.  Only expressions whose C text
 * depends on nothing but their operands, type and literals are matched. */
#include "program.h"

#include <string.h>

/* the fewest trees worth a loop */
#define ROLL_MIN 4

struct Roll {
    int start, glen, n; /* body statements [start, start + glen * n): n groups of glen */
    int pos0;           /* group 0's tree's index in gres; group g's is pos0 + g */
    int *tree;          /* per group: its tree */
    int id;
    unsigned char *cols; /* per column of the first tree: read in the loop */
    unsigned char *cnull; /* per column: null at some node of some tree */
};

typedef struct RollScan {
    Em *m;
    int *reads, *writes; /* per variable, in the whole program */
    unsigned char *l0, *lg; /* locals of group 0, of the group compared */
    int *map, *rmap;        /* group g's local -> group 0's, and back */
    int *touched;           /* the locals mapped, to clear them */
    int ntouched, cap_touched;
    int tree0, treeg;
    int *gr, *grv, ngrv, cap_grv; /* reads in the group scanned, and the variables read */
} RollScan;

static void count_expr(RollScan *S, const IrExpr *e)
{
    if (e->kind == E_VAR)
        S->reads[e->var]++;
    for (int i = 0; i < e->n; i++)
        count_expr(S, e->a[i]);
}

/* 0 when the program has a statement other than those below (their
   variables are then never taken for locals: nothing is rolled) */
static int count_block(RollScan *S, const IrBlock *b)
{
    const IrProgram *p = S->m->p;
    for (int i = 0; i < b->n; i++) {
        const IrStmt *s = b->s[i];
        switch (s->kind) {
        case S_SET:
            S->writes[s->var]++;
            break;
        case S_NEAREST:
            for (int k = 0; k < s->nvars; k++)
                S->writes[s->vars[k]]++;
            for (int k = 0; k < s->nargs; k++)
                count_expr(S, s->args[k]);
            break;
        case S_KERNEL:
            for (int k = 0; k < p->kernels[s->var]->nouts; k++)
                S->writes[p->kernels[s->var]->outs[k]]++;
            break;
        case S_IF:
        case S_RETURN_INVALID:
            break;
        default:
            return 0;
        }
        if (s->e)
            count_expr(S, s->e);
        if (!count_block(S, &s->then_b) || !count_block(S, &s->else_b))
            return 0;
    }
    return 1;
}

/* the forest tree statement s walks (node := (tree k)), or -1 */
static int walk_of(const Em *m, const IrStmt *s)
{
    if (s->kind != S_SET || s->e->kind != E_TREE || m->in_forest[s->e->tree] < 0)
        return -1;
    return s->e->tree;
}

static void group_reads_expr(RollScan *S, const IrExpr *e)
{
    if (e->kind == E_VAR) {
        if (!S->gr[e->var]++)
            VEC_PUSH(&S->m->a, S->grv, S->ngrv, S->cap_grv, e->var);
    }
    for (int i = 0; i < e->n; i++)
        group_reads_expr(S, e->a[i]);
}

static void group_reads(RollScan *S, const IrStmt *s)
{
    if (s->e)
        group_reads_expr(S, s->e);
    for (int i = 0; i < s->then_b.n; i++)
        group_reads(S, s->then_b.s[i]);
    for (int i = 0; i < s->else_b.n; i++)
        group_reads(S, s->else_b.s[i]);
}

/* marks in l the locals of the group of glen statements at s (in one pass:
   a group may be long) */
static void find_locals(RollScan *S, IrStmt *const *s, int glen, unsigned char *l)
{
    const Em *m = S->m;
    int *cand = ARENA_ARRAY(&S->m->a, int, glen + 1), ncand = 0;
    for (int i = 0; i < glen; i++) {
        int v = s[i]->kind == S_SET ? s[i]->var : -1;
        if (v >= 0 && S->gr[v] == 0 && S->writes[v] == 1 && m->p->vars[v].input < 0 && !m->env_var[v] &&
            m->slot_of_var[v] < 0 && !m->direct[v])
            cand[ncand++] = v; /* not read before it is set */
        group_reads(S, s[i]);
        if (v >= 0 && S->gr[v] && ncand && cand[ncand - 1] == v)
            ncand--; /* its own value reads it */
    }
    for (int i = 0; i < ncand; i++)
        if (S->gr[cand[i]] == S->reads[cand[i]])
            l[cand[i]] = 1;
    for (int i = 0; i < S->ngrv; i++)
        S->gr[S->grv[i]] = 0;
    S->ngrv = 0;
}

static void clear_locals(IrStmt *const *s, int glen, unsigned char *l)
{
    for (int i = 0; i < glen; i++)
        if (s[i]->kind == S_SET)
            l[s[i]->var] = 0;
}

/* variable x of group g where group 0 has y */
static int var_same(RollScan *S, int x, int y)
{
    if (S->lg[x] != S->l0[y])
        return 0;
    if (!S->lg[x])
        return x == y;
    if (!ir_type_eq(S->m->p->vars[x].type, S->m->p->vars[y].type))
        return 0;
    if (S->map[x] < 0 && S->rmap[y] < 0) {
        S->map[x] = y;
        S->rmap[y] = x;
        VEC_PUSH(&S->m->a, S->touched, S->ntouched, S->cap_touched, x);
    }
    return S->map[x] == y;
}

static int expr_same(RollScan *S, const IrExpr *a, const IrExpr *b)
{
    if (a->kind != b->kind || a->n != b->n || !ir_type_eq(a->type, b->type))
        return 0;
    switch (a->kind) {
    case E_LIT:
        if (a->lit_null != b->lit_null || a->lit_bool != b->lit_bool || a->lit_long != b->lit_long ||
            memcmp(&a->lit_double, &b->lit_double, sizeof a->lit_double) != 0 || a->lit_len != b->lit_len ||
            !a->lit_str != !b->lit_str || (a->lit_str && memcmp(a->lit_str, b->lit_str, a->lit_len) != 0) ||
            (a->lit_str && strcmp(a->lit_str, b->lit_str) != 0))
            return 0;
        break;
    case E_VAR:
        if (!var_same(S, a->var, b->var))
            return 0;
        break;
    case E_CALL:
        if (a->fn != b->fn)
            return 0;
        break;
    case E_CODE_IN:
        if (a->lit_long != b->lit_long)
            return 0;
        break;
    case E_TREE_GET: {
        if (a->tree != S->treeg || b->tree != S->tree0 || a->col != b->col)
            return 0;
        const IrTree *ta = S->m->p->trees[a->tree], *tb = S->m->p->trees[b->tree];
        if (a->col >= ta->ncols || a->col >= tb->ncols ||
            ir_base(ta->cols[a->col].type)->kind != ir_base(tb->cols[b->col].type)->kind ||
            strcmp(trees_col_ctype(ta, a->col), trees_col_ctype(tb, b->col)) != 0)
            return 0;
        break;
    }
    case E_IF:
    case E_IS_NULL:
    case E_COALESCE:
    case E_CAST:
    case E_NULL_IF_NAN:
        break;
    default: /* E_TREE only as a group's first statement; the rest not matched */
        return 0;
    }
    for (int i = 0; i < a->n; i++)
        if (!expr_same(S, a->a[i], b->a[i]))
            return 0;
    return 1;
}

static int stmt_same(RollScan *S, const IrStmt *a, const IrStmt *b);

static int block_same(RollScan *S, const IrBlock *a, const IrBlock *b)
{
    if (a->n != b->n)
        return 0;
    for (int i = 0; i < a->n; i++)
        if (!stmt_same(S, a->s[i], b->s[i]))
            return 0;
    return 1;
}

static int stmt_same(RollScan *S, const IrStmt *a, const IrStmt *b)
{
    if (a->kind != b->kind)
        return 0;
    if (a->kind == S_SET)
        return expr_same(S, a->e, b->e) && var_same(S, a->var, b->var);
    if (a->kind == S_IF)
        return expr_same(S, a->e, b->e) && block_same(S, &a->then_b, &b->then_b) &&
               block_same(S, &a->else_b, &b->else_b);
    return 0;
}

/* whether group g (statements s) is group 0 (statements s0) but for its tree and locals */
static int group_same(RollScan *S, IrStmt *const *s, IrStmt *const *s0, int glen)
{
    find_locals(S, s, glen, S->lg);
    int same = S->lg[s[0]->var] && S->l0[s0[0]->var] && var_same(S, s[0]->var, s0[0]->var);
    for (int i = 1; same && i < glen; i++)
        same = stmt_same(S, s[i], s0[i]);
    clear_locals(s, glen, S->lg);
    for (int i = 0; i < S->ntouched; i++) {
        S->rmap[S->map[S->touched[i]]] = -1;
        S->map[S->touched[i]] = -1;
    }
    S->ntouched = 0;
    return same;
}

static void mark_cols(const IrExpr *e, unsigned char *cols)
{
    if (e->kind == E_TREE_GET)
        cols[e->col] = 1;
    for (int i = 0; i < e->n; i++)
        mark_cols(e->a[i], cols);
}

static void mark_block_cols(const IrBlock *b, unsigned char *cols)
{
    for (int i = 0; i < b->n; i++) {
        if (b->s[i]->e)
            mark_cols(b->s[i]->e, cols);
        mark_block_cols(&b->s[i]->then_b, cols);
        mark_block_cols(&b->s[i]->else_b, cols);
    }
}

void roll_plan(Em *m, int fused_last)
{
    const IrProgram *p = m->p;
    const IrBlock *b = &p->body;
    if (!m->nforest)
        return;
    RollScan S = {.m = m};
    S.reads = ARENA_ARRAY(&m->a, int, p->nvars + 1);
    S.writes = ARENA_ARRAY(&m->a, int, p->nvars + 1);
    S.map = ARENA_ARRAY(&m->a, int, p->nvars + 1);
    S.rmap = ARENA_ARRAY(&m->a, int, p->nvars + 1);
    S.gr = ARENA_ARRAY(&m->a, int, p->nvars + 1);
    S.l0 = arena_alloc(&m->a, (size_t)p->nvars + 1);
    S.lg = arena_alloc(&m->a, (size_t)p->nvars + 1);
    memset(S.l0, 0, (size_t)p->nvars + 1);
    memset(S.lg, 0, (size_t)p->nvars + 1);
    for (int v = 0; v < p->nvars; v++)
        S.map[v] = S.rmap[v] = -1;
    if (!count_block(&S, b))
        return;
    for (int i = 0; i < p->noutputs; i++)
        S.reads[p->outputs[i].var]++;
    m->roll_at = ARENA_ARRAY(&m->a, int, b->n + 1);
    for (int i = 0; i < b->n; i++)
        m->roll_at[i] = -1;
    int cap = 0;
    for (int i = 0; i < b->n;) {
        int k = walk_of(m, b->s[i]), j = i + 1;
        if (k < 0) {
            i++;
            continue;
        }
        while (j < b->n && walk_of(m, b->s[j]) < 0)
            j++;
        if (j >= b->n || m->in_forest[walk_of(m, b->s[j])] != m->in_forest[k] + 1) {
            i++;
            continue;
        }
        int glen = j - i, n = 1;
        IrStmt *const *s0 = b->s + i;
        find_locals(&S, s0, glen, S.l0);
        S.tree0 = k;
        while (i + (n + 1) * glen <= b->n) {
            IrStmt *const *s = b->s + i + n * glen;
            int kg = walk_of(m, s[0]);
            if (kg < 0 || m->in_forest[kg] != m->in_forest[k] + n)
                break;
            S.treeg = kg;
            if (!group_same(&S, s, s0, glen))
                break;
            n++;
        }
        int end = i + n * glen;
        /* the fused statements end where a run does, or outside it (the
           label after them: flat_end) */
        if (fused_last >= i && fused_last < end - 1)
            n = 0;
        if (n < ROLL_MIN) {
            clear_locals(s0, glen, S.l0);
            i++;
            continue;
        }
        Roll *R = ARENA_NEW(&m->a, Roll);
        R->start = i, R->glen = glen, R->n = n, R->pos0 = m->in_forest[k], R->id = m->nrolls;
        R->tree = ARENA_ARRAY(&m->a, int, n);
        const IrTree *t0 = p->trees[k];
        R->cols = arena_alloc(&m->a, (size_t)t0->ncols + 1);
        R->cnull = arena_alloc(&m->a, (size_t)t0->ncols + 1);
        memset(R->cols, 0, (size_t)t0->ncols + 1);
        memset(R->cnull, 0, (size_t)t0->ncols + 1);
        IrBlock g0 = {.s = (IrStmt **)s0, .n = glen};
        mark_block_cols(&g0, R->cols);
        for (int g = 0; g < n; g++) {
            IrStmt *const *s = b->s + i + g * glen;
            R->tree[g] = walk_of(m, s[0]);
            for (int c = 0; c < t0->ncols; c++)
                R->cnull[c] |= R->cols[c] && trees_col_has_null(p->trees[R->tree[g]], c);
            /* the other groups' locals are never printed */
            if (g > 0) {
                find_locals(&S, s, glen, S.lg);
                for (int q = 0; q < glen; q++)
                    if (s[q]->kind == S_SET && S.lg[s[q]->var])
                        m->var_used[s[q]->var] = 0;
                clear_locals(s, glen, S.lg);
            }
        }
        clear_locals(s0, glen, S.l0);
        VEC_PUSH(&m->a, m->rolls, m->nrolls, cap, R);
        m->roll_at[i] = R->id;
        i = end;
    }
}

const Roll *roll_at(const Em *m, int i)
{
    return m->roll_at && m->roll_at[i] >= 0 ? m->rolls[m->roll_at[i]] : NULL;
}

int roll_end(const Roll *R)
{
    return R->start + R->glen * R->n;
}

int roll_count(const Roll *R)
{
    return R->n;
}

int roll_pos(const Roll *R)
{
    return R->pos0;
}

/* the C name of column c's table (and of its null flags) for the tree of
   the statement printed now */
const char *roll_col(Em *m, int tree, int c, int null)
{
    if (!m->roll)
        return arena_printf(&m->a, "tree%d_c%d%s", tree, c, null ? "_null" : "");
    return arena_printf(&m->a, "nv_roll%d_c%d%s[nv_t]", m->roll->id, c, null ? "_null" : "");
}

int roll_col_has_null(Em *m, int tree, int c)
{
    return m->roll ? m->roll->cnull[c] : trees_col_has_null(m->p->trees[tree], c);
}

void roll_print(Em *m, StrBuf *c)
{
    for (int r = 0; r < m->nrolls; r++) {
        const Roll *R = m->rolls[r];
        const IrTree *t0 = m->p->trees[R->tree[0]];
        sb_printf(c, "/* the loop over %d trees from line %d: each tree's tables, in the loop's order */\n", R->n,
                  t0->loc.line);
        for (int k = 0; k < t0->ncols; k++) {
            if (!R->cols[k])
                continue;
            sb_printf(c, "static const %s *const nv_roll%d_c%d[%d] = {", trees_col_ctype(t0, k), R->id, k, R->n);
            for (int g = 0; g < R->n; g++)
                sb_printf(c, "%stree%d_c%d,", g % 8 == 0 ? "\n    " : " ", R->tree[g], k);
            sb_puts(c, "\n};\n");
            if (!R->cnull[k])
                continue;
            int most = 1;
            for (int g = 0; g < R->n; g++)
                if (!trees_col_has_null(m->p->trees[R->tree[g]], k) && m->p->trees[R->tree[g]]->nnodes > most)
                    most = m->p->trees[R->tree[g]]->nnodes;
            /* a tree without null flags for the column reads zeros */
            sb_printf(c, "static const unsigned char nv_roll%d_c%d_none[%d];\n", R->id, k, most);
            sb_printf(c, "static const unsigned char *const nv_roll%d_c%d_null[%d] = {", R->id, k, R->n);
            for (int g = 0; g < R->n; g++) {
                if (trees_col_has_null(m->p->trees[R->tree[g]], k))
                    sb_printf(c, "%stree%d_c%d_null,", g % 8 == 0 ? "\n    " : " ", R->tree[g], k);
                else
                    sb_printf(c, "%snv_roll%d_c%d_none,", g % 8 == 0 ? "\n    " : " ", R->id, k);
            }
            sb_puts(c, "\n};\n");
        }
        sb_putc(c, '\n');
    }
}

void roll_comment(Em *m, const Roll *R)
{
    const IrTree *a = m->p->trees[R->tree[0]], *z = m->p->trees[R->tree[R->n - 1]];
    em_line(m, "/* %d trees (lines %d to %d), each the same statements: one loop over their tables */", R->n,
            a->loc.line, z->loc.line);
}
