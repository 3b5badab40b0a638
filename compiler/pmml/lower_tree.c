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

/* how many nodes collect_nodes will find (its depth limit stops both), so
   that the list is allocated once: a big forest has millions */
static int count_nodes(const XElem *node, int depth)
{
    int n = 1;
    for (int k = 0; k < node->nkids && depth <= 1000; k++)
        if (!strcmp(node->kids[k]->name, "Node"))
            n += count_nodes(node->kids[k], depth + 1);
    return n;
}

static int cat_of(const char **cats, int n, const char *v)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(cats[i], v))
            return i;
    return -1;
}

/* A node's number of training records: its recordCount, else its
   ScoreDistributions' */
static double node_records(const XElem *ne)
{
    double v = 0, c;
    const char *rc = xattr(ne, "recordCount");
    if (rc && parse_double(rc, &v))
        return v;
    v = 0;
    for (int k = 0; k < ne->nkids; k++)
        if (!strcmp(ne->kids[k]->name, "ScoreDistribution") && xattr(ne->kids[k], "recordCount") &&
            parse_double(xattr(ne->kids[k], "recordCount"), &c))
            v += c;
    return v;
}

/* missingValueStrategy weightedConfidence and aggregateNodes: the record
 * can go down several paths, so the tree is no walk but a computation over
 * every node, in preorder, of the share of the record that reaches it.
 *   aggregateNodes: an unknown predicate counts as true and the siblings
 *     after it are tried as well (until a true one); the leaves reached add
 *     up their record counts per class;
 *   weightedConfidence: where an unknown predicate comes before the first
 *     true one, the record goes down every sibling that is not false, each
 *     with the share of its recordCount among them; the leaves reached add
 *     up their class distributions, weighted so.
 * The classes' totals, over their sum, are the probabilities (and the
 * confidences, weighted the same way, where ScoreDistributions give them);
 * a node with children none of which is reached gives its own distribution
 * under returnLastPrediction, nothing under returnNullPrediction. */
static int lower_multipath(Lower *L, const XElem *m, IrBlock *blk, ModelResult *r, IrTree *t, TreeBuild *tb,
                           const char **cats, int ncats, int col_prob0, int col_conf0, int aggregate)
{
    IrBuilder *b = &L->b;
    IrType *dt = ir_type(T_DOUBLE), *bt = ir_type(T_BOOL);
    int n = t->nnodes;
    if (!ncats) {
        diag_error(L->d, lloc(L, m), "the tree's classes are not known");
        return 1;
    }
    for (int i = 1; !aggregate && i < n; i++)
        if (!(node_records(tb->elems[i]) > 0)) {
            diag_error(L->d, lloc(L, tb->elems[i]), "weightedConfidence needs each node's recordCount (or its "
                       "ScoreDistributions' record counts)");
            return 1;
        }
    int *w = ARENA_ARRAY(L->a, int, n + 1), *pv = ARENA_ARRAY(L->a, int, n + 1);
    for (int i = 0; i < n; i++) {
        pv[i] = ir_add_var(b, "node predicate", ir_nullable(L->a, bt));
        w[i] = ir_add_var(b, "node share", dt);
    }
    int *acc = ARENA_ARRAY(L->a, int, ncats + 1), *cacc = ARENA_ARRAY(L->a, int, ncats + 1);
    for (int c = 0; c < ncats; c++) {
        acc[c] = ir_add_var(b, arena_printf(L->a, "total(%s)", cats[c]), dt);
        ir_set(b, blk, acc[c], ir_lit_double(b, 0));
        if (col_conf0 >= 0) {
            cacc[c] = ir_add_var(b, arena_printf(L->a, "confidence total(%s)", cats[c]), dt);
            ir_set(b, blk, cacc[c], ir_lit_double(b, 0));
        }
    }
    IrStmt *c0 = ir_set(b, blk, pv[0], pred_to_expr(L, t->nodes[0].pred));
    c0->comment = arena_printf(L->a, "TreeModel %s: %s", t->name ? t->name : "",
                               aggregate ? "aggregateNodes" : "weightedConfidence");
    /* the root: false, no result; unknown or true, the whole record */
    ir_set(b, blk, w[0], ir_if(b, ir_coalesce(b, ir_call1(b, FN_NOT, bt, ir_var(b, pv[0])), ir_lit_bool(b, 0)),
                               ir_lit_double(b, 0), ir_lit_double(b, 1)));
    for (int i = 0; i < n; i++) {
        IrTreeNode *nd = &t->nodes[i];
        IrExpr *wi = ir_var(b, w[i]);
        /* this node's own distribution: a leaf's, or a node's none of whose
           children is reached (returnLastPrediction) */
        IrExpr *own = nd->nkids ? NULL : wi;
        if (nd->nkids) {
            int open = ir_add_var(b, "siblings open", dt), sel = -1, anyu = -1, denom = -1;
            ir_set(b, blk, open, ir_lit_double(b, 1));
            if (!aggregate) {
                sel = ir_add_var(b, "child taken", bt);
                anyu = ir_add_var(b, "unknown first", bt);
                denom = ir_add_var(b, "records not false", dt);
                ir_set(b, blk, sel, ir_lit_bool(b, 0));
                ir_set(b, blk, anyu, ir_lit_bool(b, 0));
                ir_set(b, blk, denom, ir_lit_double(b, 0));
            }
            for (int k = 0; k < nd->nkids; k++) {
                int c = nd->kids[k];
                ir_set(b, blk, pv[c], pred_to_expr(L, t->nodes[c].pred));
                IrExpr *tru = ir_coalesce(b, ir_var(b, pv[c]), ir_lit_bool(b, 0));
                IrExpr *unk = ir_is_null(b, ir_var(b, pv[c]));
                if (aggregate) {
                    /* followed when true or unknown and no earlier sibling was true */
                    ir_set(b, blk, w[c], ir_if(b, ir_call2(b, FN_OR, bt, tru, unk),
                                               ir_call2(b, FN_MUL, dt, wi, ir_var(b, open)), ir_lit_double(b, 0)));
                    ir_set(b, blk, open, ir_if(b, tru, ir_lit_double(b, 0), ir_var(b, open)));
                } else {
                    /* the first true child before any unknown one is taken alone */
                    IrExpr *first = ir_call2(b, FN_AND, bt, tru,
                                             ir_call2(b, FN_AND, bt, ir_call1(b, FN_NOT, bt, ir_var(b, sel)),
                                                      ir_call1(b, FN_NOT, bt, ir_var(b, anyu))));
                    IrStmt *fs = ir_if_stmt(b, blk, first);
                    ir_set(b, &fs->then_b, sel, ir_lit_bool(b, 1));
                    ir_set(b, &fs->then_b, w[c], wi);
                    ir_set(b, &fs->else_b, w[c], ir_lit_double(b, 0));
                    IrStmt *us = ir_if_stmt(b, blk, ir_call2(b, FN_AND, bt, unk, ir_call1(b, FN_NOT, bt, ir_var(b, sel))));
                    ir_set(b, &us->then_b, anyu, ir_lit_bool(b, 1));
                    double rc = node_records(tb->elems[c]);
                    IrStmt *ds = ir_if_stmt(b, blk, ir_call2(b, FN_OR, bt, tru, unk));
                    ir_set(b, &ds->then_b, denom, ir_call2(b, FN_ADD, dt, ir_var(b, denom), ir_lit_double(b, rc)));
                }
            }
            if (!aggregate) {
                /* an unknown first: every child not false, by its share of the records */
                IrStmt *mix = ir_if_stmt(b, blk, ir_call2(b, FN_AND, bt, ir_call1(b, FN_NOT, bt, ir_var(b, sel)),
                                                          ir_var(b, anyu)));
                for (int k = 0; k < nd->nkids; k++) {
                    int c = nd->kids[k];
                    double rc = node_records(tb->elems[c]);
                    IrExpr *nf = ir_call2(b, FN_OR, bt, ir_coalesce(b, ir_var(b, pv[c]), ir_lit_bool(b, 0)),
                                          ir_is_null(b, ir_var(b, pv[c])));
                    ir_set(b, &mix->then_b, w[c],
                           ir_if(b, nf, ir_call2(b, FN_MUL, dt, wi,
                                                 ir_call2(b, FN_DIV, dt, ir_lit_double(b, rc), ir_var(b, denom))),
                                 ir_lit_double(b, 0)));
                }
                ir_set(b, blk, open, ir_if(b, ir_call2(b, FN_OR, bt, ir_var(b, sel), ir_var(b, anyu)),
                                           ir_lit_double(b, 0), ir_lit_double(b, 1)));
            }
            if (!t->no_true_child_null)
                own = ir_call2(b, FN_MUL, dt, wi, ir_var(b, open));
        }
        if (!own)
            continue;
        int ow = ir_add_var(b, "own share", dt);
        ir_set(b, blk, ow, own);
        for (int c = 0; c < ncats; c++) {
            double v;
            if (aggregate) {
                /* record counts */
                v = 0;
                for (int k = 0; k < tb->elems[i]->nkids; k++) {
                    const XElem *sd = tb->elems[i]->kids[k];
                    double x;
                    if (!strcmp(sd->name, "ScoreDistribution") && xattr(sd, "value") &&
                        !strcmp(xattr(sd, "value"), cats[c]) && xattr(sd, "recordCount") &&
                        parse_double(xattr(sd, "recordCount"), &x))
                        v += x;
                }
            } else
                v = t->cols[col_prob0 + c].is_null[i] ? 0 : t->cols[col_prob0 + c].num[i];
            if (v != 0)
                ir_set(b, blk, acc[c], ir_call2(b, FN_ADD, dt, ir_var(b, acc[c]),
                                                ir_call2(b, FN_MUL, dt, ir_var(b, ow), ir_lit_double(b, v))));
            if (col_conf0 >= 0 && !t->cols[col_conf0 + c].is_null[i])
                ir_set(b, blk, cacc[c], ir_call2(b, FN_ADD, dt, ir_var(b, cacc[c]),
                                                 ir_call2(b, FN_MUL, dt, ir_var(b, ow),
                                                          ir_lit_double(b, t->cols[col_conf0 + c].num[i]))));
        }
    }
    /* probabilities: the totals over their sum */
    IrExpr **terms = ARENA_ARRAY(L->a, IrExpr *, ncats + 1);
    for (int c = 0; c < ncats; c++)
        terms[c] = ir_var(b, acc[c]);
    int sum = ir_add_var(b, "total", dt);
    ir_set(b, blk, sum, ncats == 1 ? terms[0] : ir_linear(b, dt, terms, ncats));
    IrExpr *none = ir_call2(b, FN_LE, bt, ir_var(b, sum), ir_lit_double(b, 0));
    r->ncats = ncats;
    r->cats = cats;
    r->probs = ARENA_ARRAY(L->a, int, ncats + 1);
    for (int c = 0; c < ncats; c++) {
        r->probs[c] = ir_add_var(b, arena_printf(L->a, "probability(%s)", cats[c]), ir_nullable(L->a, dt));
        ir_set(b, blk, r->probs[c], ir_if(b, none, ir_lit_null(b, dt),
                                          ir_call2(b, FN_DIV, dt, ir_var(b, acc[c]), ir_var(b, sum))));
    }
    if (col_conf0 >= 0) {
        r->confs = ARENA_ARRAY(L->a, int, ncats + 1);
        for (int c = 0; c < ncats; c++) {
            r->confs[c] = ir_add_var(b, arena_printf(L->a, "confidence(%s)", cats[c]), ir_nullable(L->a, dt));
            ir_set(b, blk, r->confs[c], ir_if(b, none, ir_lit_null(b, dt), ir_var(b, cacc[c])));
        }
    }
    result_argmax(L, blk, r);
    return 0;
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
    tb.cap = count_nodes(root, 0);
    tb.elems = ARENA_ARRAY(L->a, const XElem *, tb.cap);
    if (collect_nodes(L, root, &tb, 0) < 0)
        return 1;
    IrTree *t = ARENA_NEW(L->a, IrTree);
    t->name = xattr(m, "modelName");
    t->loc = lloc(L, m);
    t->nnodes = tb.n;
    t->nodes = ARENA_ARRAY(L->a, IrTreeNode, tb.n);
    L->ntree_nodes += tb.n;

    const char *mvs = xattr(m, "missingValueStrategy");
    int multi = 0;  /* 1 weightedConfidence, 2 aggregateNodes: several paths */
    if (!mvs || !strcmp(mvs, "none"))
        t->missing = MV_NONE;
    else if (!strcmp(mvs, "lastPrediction"))
        t->missing = MV_LAST_PREDICTION;
    else if (!strcmp(mvs, "nullPrediction"))
        t->missing = MV_NULL_PREDICTION;
    else if (!strcmp(mvs, "defaultChild"))
        t->missing = MV_DEFAULT_CHILD;
    else if (!strcmp(mvs, "weightedConfidence"))
        multi = 1;
    else if (!strcmp(mvs, "aggregateNodes"))
        multi = 2;
    else {
        diag_error(L->d, aloc(L, m, "missingValueStrategy"), "missingValueStrategy \'%s\' is not supported yet", mvs);
        return 1;
    }
    const char *ntc = xattr(m, "noTrueChildStrategy");
    t->no_true_child_null = !ntc || strcmp(ntc, "returnLastPrediction") != 0;
    if (multi && r->func != FUNC_CLASSIFICATION) {
        diag_error(L->d, aloc(L, m, "missingValueStrategy"), "missingValueStrategy \'%s\' applies to classification "
                   "trees", mvs);
        return 1;
    }

    /* structure and predicates */
    for (int i = 0; i < tb.n; i++) {
        const XElem *ne = tb.elems[i];
        IrTreeNode *nd = &t->nodes[i];
        nd->loc = lloc(L, ne);
        nd->default_child = -1;
        const XElem *pe = first_predicate(ne);
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
        for (int k = 0; k < ne->nkids; k++)
            cap += !strcmp(ne->kids[k]->name, "Node");
        if (cap) /* sized exactly */
            nd->kids = ARENA_ARRAY(L->a, int, cap);
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

    /* payload columns (missingValuePenalty: below, with the confidences) */
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
        /* a node's score is a class the tree predicts too */
        for (int i = 0; i < tb.n; i++) {
            const char *v = xattr(tb.elems[i], "score");
            if (v && cat_of(cats, ncats, v) < 0)
                VEC_PUSH(L->a, cats, ncats, capc, v);
        }
    }
    /* ScoreDistribution confidence: the confidence outputs */
    int has_conf = 0;
    for (int i = 0; classify && i < tb.n; i++)
        for (int k = 0; k < tb.elems[i]->nkids; k++)
            if (!strcmp(tb.elems[i]->kids[k]->name, "ScoreDistribution") && xattr(tb.elems[i]->kids[k], "confidence"))
                has_conf = 1;
    int has_id = 0;
    for (int i = 0; i < tb.n; i++)
        has_id |= xattr(tb.elems[i], "id") != NULL;
    const char *mvp = xattr(m, "missingValuePenalty");
    double penalty = 1;
    if (mvp && (!parse_double(mvp, &penalty) || penalty < 0 || penalty > 1)) {
        diag_error(L->d, aloc(L, m, "missingValuePenalty"), "missingValuePenalty \'%s\' is not a number from 0 to 1",
                   mvp);
        return 1;
    }
    if (has_conf && penalty != 1) {
        /* it scales a confidence by the missing values met on the path */
        diag_error(L->d, aloc(L, m, "missingValuePenalty"), "missingValuePenalty (of confidences) is not supported "
                   "yet");
        return 1;
    }
    int col_score = 0, col_id = -1, col_prob0 = -1, col_conf0 = -1;
    t->ncols = 1 + (has_id ? 1 : 0) + ncats + (has_conf ? ncats : 0);
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
    if (has_conf) {
        col_conf0 = col_prob0 + ncats;
        for (int c = 0; c < ncats; c++) {
            t->cols[col_conf0 + c].type = ir_type(T_DOUBLE);
            for (int i = 0; i < tb.n; i++)
                t->cols[col_conf0 + c].is_null[i] = 1;
        }
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
            const char *cs = xattr(sd, "confidence");
            double cv;
            if (cs && !parse_double(cs, &cv)) {
                diag_error(L->d, aloc(L, sd, "confidence"), "confidence \'%s\' is not a number", cs);
                return 1;
            }
            if (cs) {
                t->cols[col_conf0 + c].num[i] = cv;
                t->cols[col_conf0 + c].is_null[i] = 0;
            }
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

    if (multi)
        return lower_multipath(L, m, blk, r, t, &tb, cats, ncats, col_prob0, col_conf0, multi == 2);
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
        if (has_conf) {
            r->confs = ARENA_ARRAY(L->a, int, ncats + 1);
            for (int c = 0; c < ncats; c++) {
                r->confs[c] = ir_add_var(b, arena_printf(L->a, "confidence(%s)", cats[c]),
                                         ir_nullable(L->a, ir_type(T_DOUBLE)));
                ir_set(b, blk, r->confs[c], ir_tree_get(b, ti, col_conf0 + c, ir_var(b, node)));
            }
        }
    }
    return 0;
}
