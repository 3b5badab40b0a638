/* TreeModel to an IR tree.  The walk (predicates, missing-value strategy,
 * no-true-child strategy) becomes an IrTree the backend lays out as branches
 * or tables; what a node predicts (score, class probabilities, id) becomes
 * per-node columns, computed here at compile time. */
#include "lower_pmml.h"

#include <stdlib.h>
#include <string.h>

typedef struct TreeBuild {
    const XElem **elems;   /* node elements in preorder */
    int n, cap;
} TreeBuild;

static int collect_nodes(Lower *L, const XElem *node, TreeBuild *tb, int depth)
{
    if (depth > 1000) {
        diag_error(L->d, lloc(L, node), "tree nested deeper than 1000 nodes");
        return -1;
    }
    int me = tb->n;
    VEC_PUSH(L->a, tb->elems, tb->n, tb->cap, node);
    for (int k = 0; k < node->nkids; k++)
        if (!strcmp(node->kids[k]->name, "Node"))
            if (collect_nodes(L, node->kids[k], tb, depth + 1) < 0)
                return -1;
    return me;
}

static const XElem *node_predicate(const XElem *node)
{
    for (int k = 0; k < node->nkids; k++)
        if (is_predicate_elem(node->kids[k]))
            return node->kids[k];
    return NULL;
}

static int cat_of(const char **cats, int n, const char *v)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(cats[i], v))
            return i;
    return -1;
}

int lower_tree_model(Lower *L, const XElem *m, Scope *s, IrBlock *blk, ModelResult *r)
{
    IrBuilder *b = &L->b;
    const XElem *root = xchild(m, "Node");
    if (!root) {
        diag_error(L->d, lloc(L, m), "TreeModel has no <Node>");
        return 1;
    }
    TreeBuild tb = {0};
    if (collect_nodes(L, root, &tb, 0) < 0)
        return 1;
    IrTree *t = ARENA_NEW(L->a, IrTree);
    t->name = xattr(m, "modelName");
    t->loc = lloc(L, m);
    t->nnodes = tb.n;
    t->nodes = ARENA_ARRAY(L->a, IrTreeNode, tb.n);
    L->ntree_nodes += tb.n;

    const char *mvs = xattr(m, "missingValueStrategy");
    if (!mvs || !strcmp(mvs, "none"))
        t->missing = MV_NONE;
    else if (!strcmp(mvs, "lastPrediction"))
        t->missing = MV_LAST_PREDICTION;
    else if (!strcmp(mvs, "nullPrediction"))
        t->missing = MV_NULL_PREDICTION;
    else if (!strcmp(mvs, "defaultChild"))
        t->missing = MV_DEFAULT_CHILD;
    else {
        diag_error(L->d, aloc(L, m, "missingValueStrategy"), "missingValueStrategy \'%s\' is not supported yet", mvs);
        return 1;
    }
    const char *ntc = xattr(m, "noTrueChildStrategy");
    t->no_true_child_null = !ntc || strcmp(ntc, "returnLastPrediction") != 0;

    /* structure and predicates */
    for (int i = 0; i < tb.n; i++) {
        const XElem *ne = tb.elems[i];
        IrTreeNode *nd = &t->nodes[i];
        nd->loc = lloc(L, ne);
        nd->default_child = -1;
        const XElem *pe = node_predicate(ne);
        if (!pe) {
            diag_error(L->d, lloc(L, ne), "<Node> has no predicate");
            return 1;
        }
        nd->pred = lower_predicate(L, s, pe);
        if (!nd->pred)
            return 1;
        if (xattr(ne, "Regression") || xchild(ne, "Regression") || xchild(ne, "DecisionTree")) {
            diag_error(L->d, lloc(L, ne), "models embedded in tree nodes are not supported");
            return 1;
        }
    }
    /* children: preorder makes each child's index findable by walking */
    for (int i = 0; i < tb.n; i++) {
        const XElem *ne = tb.elems[i];
        IrTreeNode *nd = &t->nodes[i];
        int cap = 0;
        int j = i + 1;
        for (int k = 0; k < ne->nkids; k++) {
            if (strcmp(ne->kids[k]->name, "Node") != 0)
                continue;
            while (j < tb.n && tb.elems[j] != ne->kids[k])
                j++;
            NV_ASSERT(j < tb.n);
            VEC_PUSH(L->a, nd->kids, nd->nkids, cap, j);
        }
        const char *dc = xattr(ne, "defaultChild");
        if (dc) {
            for (int c = 0; c < nd->nkids; c++) {
                const char *id = xattr(tb.elems[nd->kids[c]], "id");
                if (id && !strcmp(id, dc))
                    nd->default_child = nd->kids[c];
            }
            if (nd->default_child < 0 && nd->nkids) {
                diag_error(L->d, aloc(L, ne, "defaultChild"), "defaultChild \'%s\' names no child of this node", dc);
                return 1;
            }
        }
    }

    /* payload columns */
    int classify = r->func == FUNC_CLASSIFICATION;
    int ncats = 0, capc = 0;
    const char **cats = NULL;
    if (classify) {
        int n;
        const char **tc = target_categories(L, r, &n);
        for (int i = 0; i < n; i++)
            VEC_PUSH(L->a, cats, ncats, capc, tc[i]);
        for (int i = 0; i < tb.n; i++)
            for (int k = 0; k < tb.elems[i]->nkids; k++) {
                const XElem *sd = tb.elems[i]->kids[k];
                if (strcmp(sd->name, "ScoreDistribution") != 0)
                    continue;
                const char *v = xattr(sd, "value");
                if (v && cat_of(cats, ncats, v) < 0)
                    VEC_PUSH(L->a, cats, ncats, capc, v);
            }
    }
    int has_id = 0;
    for (int i = 0; i < tb.n; i++)
        has_id |= xattr(tb.elems[i], "id") != NULL;
    int col_score = 0, col_id = -1, col_prob0 = -1;
    t->ncols = 1 + (has_id ? 1 : 0) + ncats;
    t->cols = ARENA_ARRAY(L->a, IrTreeCol, t->ncols);
    for (int c = 0; c < t->ncols; c++) {
        t->cols[c].num = ARENA_ARRAY(L->a, double, tb.n);
        t->cols[c].str = ARENA_ARRAY(L->a, const char *, tb.n);
        t->cols[c].is_null = arena_alloc(L->a, (size_t)tb.n);
    }
    IrType *score_t = classify ? ir_type(T_STRING) : num_type(L);
    t->cols[0].type = score_t;
    if (has_id) {
        col_id = 1;
        t->cols[1].type = ir_type(T_STRING);
    }
    if (ncats) {
        col_prob0 = has_id ? 2 : 1;
        for (int c = 0; c < ncats; c++)
            t->cols[col_prob0 + c].type = ir_type(T_DOUBLE);
    }
    double *cnt = ARENA_ARRAY(L->a, double, ncats + 1);
    double *prob = ARENA_ARRAY(L->a, double, ncats + 1);
    for (int i = 0; i < tb.n; i++) {
        const XElem *ne = tb.elems[i];
        const char *score = xattr(ne, "score");
        if (has_id) {
            const char *id = xattr(ne, "id");
            t->cols[col_id].str[i] = id ? id : arena_printf(L->a, "%d", i + 1);
        }
        /* class distribution */
        int nsd = 0, all_prob = 1;
        double total = 0;
        for (int c = 0; c < ncats; c++)
            cnt[c] = prob[c] = 0;
        for (int k = 0; classify && k < ne->nkids; k++) {
            const XElem *sd = ne->kids[k];
            if (strcmp(sd->name, "ScoreDistribution") != 0)
                continue;
            const char *v = xattr(sd, "value");
            int c = v ? cat_of(cats, ncats, v) : -1;
            if (c < 0)
                continue;
            nsd++;
            double rc = 0, pr;
            const char *rcs = xattr(sd, "recordCount");
            if (rcs && !parse_double(rcs, &rc)) {
                diag_error(L->d, aloc(L, sd, "recordCount"), "recordCount \'%s\' is not a number", rcs);
                return 1;
            }
            cnt[c] += rc;
            total += rc;
            const char *ps = xattr(sd, "probability");
            if (ps && parse_double(ps, &pr))
                prob[c] = pr;
            else
                all_prob = 0;
        }
        for (int c = 0; c < ncats; c++) {
            IrTreeCol *col = &t->cols[col_prob0 + c];
            if (!nsd) {
                col->is_null[i] = 1;
                continue;
            }
            col->num[i] = all_prob ? prob[c] : (total > 0 ? cnt[c] / total : 0);
        }
        if (classify) {
            if (!score && nsd) {
                int best = -1;
                for (int c = 0; c < ncats; c++) {
                    double v = t->cols[col_prob0 + c].num[i];
                    if (best < 0 || v > t->cols[col_prob0 + best].num[i])
                        best = c;
                }
                score = best >= 0 ? cats[best] : NULL;
            }
            if (score)
                t->cols[0].str[i] = score;
            else
                t->cols[0].is_null[i] = 1;
        } else {
            double v;
            if (!score)
                t->cols[0].is_null[i] = 1;
            else if (!parse_double(score, &v)) {
                diag_error(L->d, aloc(L, ne, "score"), "score \'%s\' of a regression tree is not a number", score);
                return 1;
            } else
                t->cols[0].num[i] = score_t->kind == T_FLOAT ? (double)strtof(score, NULL) : v;
        }
    }

    int ti = ir_add_tree(b, t);
    int node = ir_add_var(b, "tree node", ir_nullable(L->a, ir_type(T_INT)));
    IrStmt *st = ir_set(b, blk, node, ir_tree(b, ti));
    st->comment = arena_printf(L->a, "TreeModel %s", t->name ? t->name : "");
    st->loc = t->loc;
    r->value = ir_add_var(b, "tree score", ir_nullable(L->a, score_t));
    ir_set(b, blk, r->value, ir_tree_get(b, ti, col_score, ir_var(b, node)));
    if (has_id) {
        r->entity = ir_add_var(b, "tree node id", ir_nullable(L->a, ir_type(T_STRING)));
        ir_set(b, blk, r->entity, ir_tree_get(b, ti, col_id, ir_var(b, node)));
    }
    if (classify) {
        r->ncats = ncats;
        r->cats = cats;
        r->probs = ARENA_ARRAY(L->a, int, ncats + 1);
        for (int c = 0; c < ncats; c++) {
            r->probs[c] = ir_add_var(b, arena_printf(L->a, "probability(%s)", cats[c]),
                                     ir_nullable(L->a, ir_type(T_DOUBLE)));
            ir_set(b, blk, r->probs[c], ir_tree_get(b, ti, col_prob0 + c, ir_var(b, node)));
        }
    }
    return 0;
}
