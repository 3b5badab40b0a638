/* GeneralRegressionModel to IR.
 *
 * Every GLM flavour is one or more linear predictors followed by a
 * transformation chosen by modelType: none (regression, generalLinear), an
 * inverse link (generalizedLinear), softmax against a reference category
 * (multinomialLogistic), differences of cumulative links
 * (ordinalMultinomial), or a baseline hazard lookup (CoxRegression).
 *
 * A linear predictor is sum(beta_p * row_p) over the PCells of the
 * ParamMatrix, where row_p is the product the PPMatrix gives parameter p:
 * a factor cell is 1 when its field equals the cell's value (or a contrast
 * matrix entry), a covariate cell is x^value.  All of the matrix plumbing is
 * resolved here at compile time; the generated code only evaluates the rows
 * the ParamMatrix uses.  Sums and products are built in the ParamMatrix's
 * document order and with the same association as the reference evaluator
 * (JPMML-Evaluator), so that results agree to the last bit where the math
 * library allows.  A missing input used by any row makes the predictor
 * missing, and so the result, except where a factor already zeroed the row
 * (JPMML does not look at the covariates of such a row). */
#include "lower_pmml.h"

#include <stdlib.h>
#include <string.h>

typedef struct PCellI {
    const char *param, *tcat;  /* parameterName, targetCategory (or NULL) */
    double beta;
    const XElem *e;
} PCellI;

typedef struct PPCellI {
    const char *field, *value, *param, *tcat;
    const XElem *e;
} PPCellI;

typedef enum {
    MT_REGRESSION, MT_GENERAL_LINEAR, MT_MULTINOMIAL, MT_ORDINAL, MT_GENERALIZED, MT_COX
} ModelType;

typedef enum {
    LK_IDENTITY, LK_LOG, LK_LOGC, LK_LOGIT, LK_PROBIT, LK_CLOGLOG, LK_LOGLOG, LK_CAUCHIT,
    LK_NEGBIN, LK_ODDSPOWER, LK_POWER, LK_BAD
} Link;

typedef struct Glm {
    Lower *L;
    Scope *s;
    const XElem *m;
    IrBlock *blk;
    ModelType type;
    PCellI *pc;
    int npc;
    PPCellI *pp;
    int npp;
    const XElem *factors, *covariates;  /* FactorList, CovariateList (may be NULL) */
} Glm;

static IrExpr *numlit(Lower *L, double v)
{
    return L->float_ctx ? ir_lit_float(&L->b, (float)v) : ir_lit_double(&L->b, v);
}

/* a required numeric attribute */
static int need_attr(Lower *L, const XElem *e, const char *attr, double *out)
{
    if (!xattr(e, attr)) {
        diag_error(L->d, lloc(L, e), "<%s> needs %s", e->name, attr);
        return 0;
    }
    return attr_double(L, e, attr, 0, out);
}

/* category labels match as text, or as numbers ("1" names "1.0") */
static int same_cat(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    if (!strcmp(a, b))
        return 1;
    double x, y;
    return parse_double(a, &x) && parse_double(b, &y) && x == y;
}

static const XElem *find_predictor(const XElem *list, const char *name)
{
    for (int k = 0; list && k < list->nkids; k++) {
        const XElem *p = list->kids[k];
        if (!strcmp(p->name, "Predictor") && xattr(p, "name") && !strcmp(xattr(p, "name"), name))
            return p;
    }
    return NULL;
}

static ModelType parse_model_type(const char *s, int *ok)
{
    static const struct { const char *name; ModelType t; } types[] = {
        {"regression", MT_REGRESSION}, {"generalLinear", MT_GENERAL_LINEAR},
        {"multinomialLogistic", MT_MULTINOMIAL}, {"ordinalMultinomial", MT_ORDINAL},
        {"generalizedLinear", MT_GENERALIZED}, {"CoxRegression", MT_COX}};
    *ok = 1;
    for (size_t i = 0; s && i < sizeof types / sizeof *types; i++)
        if (!strcmp(s, types[i].name))
            return types[i].t;
    *ok = 0;
    return MT_REGRESSION;
}

static Link parse_link(const char *s)
{
    static const char *names[] = {"identity", "log", "logc", "logit", "probit", "cloglog",
                                  "loglog", "cauchit", "negbin", "oddspower", "power"};
    for (int i = 0; s && i < (int)(sizeof names / sizeof *names); i++)
        if (!strcmp(s, names[i]))
            return (Link)i;
    return LK_BAD;
}

/* ---- reading the matrices ---- */
static int read_cells(Glm *g)
{
    Lower *L = g->L;
    const XElem *pm = xchild(g->m, "ParamMatrix");
    if (!pm) {
        diag_error(L->d, lloc(L, g->m), "GeneralRegressionModel has no <ParamMatrix>");
        return 0;
    }
    g->pc = ARENA_ARRAY(L->a, PCellI, xcount(pm, "PCell") + 1);
    for (int k = 0; k < pm->nkids; k++) {
        const XElem *c = pm->kids[k];
        if (strcmp(c->name, "PCell") != 0)
            continue;
        PCellI *p = &g->pc[g->npc];
        p->e = c;
        p->param = xattr(c, "parameterName");
        p->tcat = xattr(c, "targetCategory");
        if (!p->param) {
            diag_error(L->d, lloc(L, c), "<PCell> needs parameterName");
            return 0;
        }
        if (!need_attr(L, c, "beta", &p->beta))
            return 0;
        if (L->float_ctx)
            p->beta = (float)p->beta;
        g->npc++;
    }
    if (g->npc == 0) {
        diag_error(L->d, lloc(L, pm), "ParamMatrix has no <PCell>");
        return 0;
    }
    const XElem *ppm = xchild(g->m, "PPMatrix");
    if (!ppm)
        return 1;  /* no predictors: every parameter is an intercept */
    g->pp = ARENA_ARRAY(L->a, PPCellI, xcount(ppm, "PPCell") + 1);
    for (int k = 0; k < ppm->nkids; k++) {
        const XElem *c = ppm->kids[k];
        if (strcmp(c->name, "PPCell") != 0)
            continue;
        PPCellI *p = &g->pp[g->npp];
        p->e = c;
        p->field = xattr(c, "predictorName");
        p->value = xattr(c, "value");
        p->param = xattr(c, "parameterName");
        p->tcat = xattr(c, "targetCategory");
        if (!p->field || !p->value || !p->param) {
            diag_error(L->d, lloc(L, c), "<PPCell> needs value, predictorName and parameterName");
            return 0;
        }
        g->npp++;
    }
    return 1;
}

/* The PPMatrix key (target category or NULL) whose cells apply to
 * category `cat`: cells of that very category if there are any, else the
 * cells without a targetCategory.  Returns 0 after an error. */
static int pp_key(Glm *g, const char *cat, const char **key, const XElem *at)
{
    *key = NULL;
    if (g->npp == 0)
        return 1;
    int any_null = 0;
    for (int i = 0; i < g->npp; i++) {
        if (cat && same_cat(g->pp[i].tcat, cat)) {
            *key = g->pp[i].tcat;
            return 1;
        }
        if (!g->pp[i].tcat)
            any_null = 1;
    }
    if (!any_null) {
        if (cat)
            diag_error(g->L->d, lloc(g->L, at), "PPMatrix has no cells for target category '%s'", cat);
        else
            diag_error(g->L->d, lloc(g->L, at), "PPMatrix has no cells without a targetCategory");
        return 0;
    }
    return 1;
}

/* ---- contrast matrices ---- */

/* element (row, col), 1-based, of a <Matrix>; 0 when the matrix does not
 * define it (a field value on that row then scores as missing) */
static int matrix_at(Lower *L, const XElem *mx, int row, int col, double *out)
{
    const char *kind = xattr(mx, "kind");
    int diag = kind && !strcmp(kind, "diagonal"), sym = kind && !strcmp(kind, "symmetric");
    const XElem **arrs = ARENA_ARRAY(L->a, const XElem *, mx->nkids + 1);
    int narr = 0;
    for (int k = 0; k < mx->nkids; k++)
        if (!strcmp(mx->kids[k]->name, "Array"))
            arrs[narr++] = mx->kids[k];
    double *v;
    int n;
    if (diag) {
        /* one Array: the diagonal */
        if (narr != 1 || (n = read_num_array(L, arrs[0], &v)) < 0)
            return 0;
        if (row < 1 || col < 1 || row > n || col > n)
            return 0;
        if (row == col) {
            *out = v[row - 1];
            return 1;
        }
        return xattr(mx, "offDiagDefault") && attr_double(L, mx, "offDiagDefault", 0, out);
    }
    if (narr > 0) {
        /* one Array per row; symmetric gives the lower-left triangle */
        if (sym && col > row) {
            int t = row;
            row = col;
            col = t;
        }
        if (row < 1 || row > narr || (n = read_num_array(L, arrs[row - 1], &v)) < 0 ||
            col < 1 || col > n)
            return 0;
        *out = v[col - 1];
        return 1;
    }
    if (sym)
        return 0;
    /* sparse MatCells, defaults elsewhere */
    for (int k = 0; k < mx->nkids; k++) {
        const XElem *c = mx->kids[k];
        long long r, cc;
        if (strcmp(c->name, "MatCell") != 0 || !xattr(c, "row") || !xattr(c, "col") ||
            !parse_long(xattr(c, "row"), &r) || !parse_long(xattr(c, "col"), &cc))
            continue;
        if (r == row && cc == col) {
            if (!parse_double(c->text, out)) {
                diag_error(L->d, lloc(L, c), "MatCell '%s' is not a number", c->text);
                return 0;
            }
            return 1;
        }
    }
    const char *dflt = row == col ? "diagDefault" : "offDiagDefault";
    return xattr(mx, dflt) && attr_double(L, mx, dflt, 0, out);
}

/* the contrast-coded value of factor cell `c` whose Predictor has a Matrix:
 * the entry at (the field's category, the cell's category) */
static IrExpr *contrast_value(Glm *g, const PPCellI *c, const XElem *pred, Field *f)
{
    Lower *L = g->L;
    IrBuilder *b = &L->b;
    const XElem *cats = xchild(pred, "Categories");
    const XElem *mx = xchild(pred, "Matrix");
    if (!cats) {
        diag_error(L->d, lloc(L, pred), "a contrast Matrix without <Categories> is not supported yet");
        return NULL;
    }
    const char **cv = ARENA_ARRAY(L->a, const char *, xcount(cats, "Category") + 1);
    int n = 0, col = -1;
    for (int k = 0; k < cats->nkids; k++) {
        const XElem *ce = cats->kids[k];
        if (strcmp(ce->name, "Category") != 0)
            continue;
        if (!xattr(ce, "value")) {
            diag_error(L->d, lloc(L, ce), "<Category> needs a value");
            return NULL;
        }
        if (col < 0 && same_cat(xattr(ce, "value"), c->value))
            col = n;
        cv[n++] = xattr(ce, "value");
    }
    if (col < 0) {
        diag_error(L->d, lloc(L, c->e), "PPCell value '%s' is not among the Categories of '%s'",
                   c->value, c->field);
        return NULL;
    }
    IrType *nt = num_type(L);
    IrExpr *x = ir_var(b, f->var);
    /* a value outside the categories has no coding: missing */
    IrExpr *acc = ir_lit_null(b, nt);
    for (int i = n - 1; i >= 0; i--) {
        IrExpr *k = lower_constant_for(L, cv[i], x->type, cats);
        if (!k)
            return NULL;
        double v;
        IrExpr *val = matrix_at(L, mx, i + 1, col + 1, &v) ? numlit(L, v) : ir_lit_null(b, nt);
        acc = ir_if(b, ir_call2(b, FN_EQ, ir_type(T_BOOL), ir_var(b, f->var), k), val, acc);
    }
    return acc;
}

/* ---- one linear predictor ---- */

/* beta times the PPMatrix row of `param` (cells under PPMatrix key `key`) */
static IrExpr *row_term(Glm *g, const char *param, const char *key, double beta)
{
    Lower *L = g->L;
    IrBuilder *b = &L->b;
    IrType *nt = num_type(L);
    IrType *bt = ir_type(T_BOOL);
    IrExpr *cov = NULL;           /* product of the covariates, left to right */
    IrExpr *conds = NULL;         /* AND of the plain factors' equalities */
    IrExpr *anynull = NULL;       /* OR of the plain factors' "is missing" */
    IrExpr *fprod = NULL;         /* product of the contrast-coded factors */
    int nfact = 0;
    /* JPMML runs all factors before any covariate, each in document order */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < g->npp; i++) {
            const PPCellI *c = &g->pp[i];
            if (strcmp(c->param, param) != 0 || !same_cat(c->tcat, key))
                continue;
            Field *f = need_field(L, g->s, c->field, c->e);
            if (!f)
                return NULL;
            const XElem *pred = find_predictor(g->factors, c->field);
            int is_factor;
            if (pred)
                is_factor = 1;
            else if (find_predictor(g->covariates, c->field))
                is_factor = 0;
            else {
                /* listed in neither: the field's own kind decides */
                IrType *ft = ir_base(b->p->vars[f->var].type);
                is_factor = ft->kind == T_STRING || ft->kind == T_BOOL ||
                            (f->info && f->info->optype != OP_CONTINUOUS);
            }
            if (is_factor != (pass == 0))
                continue;
            if (is_factor) {
                nfact++;
                if (pred && xchild(pred, "Matrix")) {
                    IrExpr *v = contrast_value(g, c, pred, f);
                    if (!v)
                        return NULL;
                    fprod = fprod ? ir_call2(b, FN_MUL, nt, fprod, v) : v;
                    continue;
                }
                IrExpr *x = ir_var(b, f->var);
                IrExpr *k = lower_constant_for(L, c->value, x->type, c->e);
                if (!k)
                    return NULL;
                IrExpr *eq = ir_call2(b, FN_EQ, bt, x, k);
                conds = conds ? ir_call2(b, FN_AND, bt, conds, eq) : eq;
                IrExpr *isn = ir_is_null(b, ir_var(b, f->var));
                anynull = anynull ? ir_call2(b, FN_OR, bt, anynull, isn) : isn;
            } else {
                double ex;
                if (!parse_double(c->value, &ex)) {
                    diag_error(L->d, lloc(L, c->e), "covariate exponent '%s' is not a number", c->value);
                    return NULL;
                }
                IrExpr *x = ir_cast(b, nt, ir_var(b, f->var));
                if (ex != 1)
                    x = ir_call2(b, FN_POW, nt, x, numlit(L, ex));
                cov = cov ? ir_call2(b, FN_MUL, nt, cov, x) : x;
            }
        }
    }
    IrExpr *zero = numlit(L, 0);
    if (fprod) {
        /* contrast codes: factors (and plain indicators as 1/0) multiply
         * first; a zero product skips the covariates */
        if (conds)
            fprod = ir_call2(b, FN_MUL, nt, fprod,
                             ir_if(b, ir_if(b, anynull, ir_lit_null(b, bt), conds), numlit(L, 1), zero));
        int fv = ir_add_var(b, arena_printf(L->a, "factors(%s)", param), ir_nullable(L->a, nt));
        IrStmt *st = ir_set(b, g->blk, fv, fprod);
        st->comment = arena_printf(L->a, "PPMatrix %s: contrast-coded factors", param);
        IrExpr *prod = ir_var(b, fv);
        if (cov)
            prod = ir_call2(b, FN_MUL, nt, prod, cov);
        IrExpr *iszero = ir_call2(b, FN_EQ, bt, ir_var(b, fv), zero);
        return ir_if(b, iszero, zero, ir_call2(b, FN_MUL, nt, numlit(L, beta), prod));
    }
    IrExpr *val = cov ? ir_call2(b, FN_MUL, nt, numlit(L, beta), cov) : numlit(L, beta);
    if (!conds)
        return val;
    /* a missing factor makes the row missing; a mismatch makes it 0
     * without looking at the covariates */
    if (nfact > 1)
        conds = ir_if(b, anynull, ir_lit_null(b, bt), conds);
    return ir_if(b, conds, val, zero);
}

/* A variable holding sum(beta * row) over cells[0..n-1], with the PPMatrix
 * rows of key `key`; -1 after an error. */
static int lower_dot(Glm *g, const PCellI **cells, int n, const char *key, const char *label)
{
    Lower *L = g->L;
    IrBuilder *b = &L->b;
    int v = ir_add_var(b, label, ir_nullable(L->a, num_type(L)));
    for (int i = 0; i < n; i++) {
        IrExpr *t = row_term(g, cells[i]->param, key, cells[i]->beta);
        if (!t)
            return -1;
        if (i > 0)
            t = ir_call2(b, FN_ADD, num_type(L), ir_var(b, v), t);
        IrStmt *st = ir_set(b, g->blk, v, t);
        st->comment = arena_printf(L->a, "%s: PCell %s", label, cells[i]->param);
        st->loc = lloc(L, cells[i]->e);
    }
    return v;
}

/* the PCells of target category `cat` (NULL: those without one) */
static const PCellI **cells_of(Glm *g, const char *cat, int *n)
{
    const PCellI **out = ARENA_ARRAY(g->L->a, const PCellI *, g->npc + 1);
    *n = 0;
    for (int i = 0; i < g->npc; i++)
        if (same_cat(g->pc[i].tcat, cat))
            out[(*n)++] = &g->pc[i];
    return out;
}

/* ---- links ---- */

/* offsetVariable, else offsetValue, added to y (generalizedLinear and
 * ordinalMultinomial only) */
static IrExpr *add_offset(Glm *g, IrExpr *y)
{
    Lower *L = g->L;
    IrBuilder *b = &L->b;
    IrType *nt = num_type(L);
    const char *ov = xattr(g->m, "offsetVariable");
    if (ov) {
        Field *f = need_field(L, g->s, ov, g->m);
        if (!f)
            return NULL;
        return ir_call2(b, FN_ADD, nt, y, ir_cast(b, nt, ir_var(b, f->var)));
    }
    if (xattr(g->m, "offsetValue")) {
        double o;
        if (!attr_double(L, g->m, "offsetValue", 0, &o))
            return NULL;
        return ir_call2(b, FN_ADD, nt, y, numlit(L, o));
    }
    return y;
}

/* the inverse of link `lk` applied to y */
static IrExpr *inverse_link(Glm *g, Link lk, double par, IrExpr *y)
{
    Lower *L = g->L;
    IrBuilder *b = &L->b;
    IrType *nt = num_type(L), *dt = ir_type(T_DOUBLE);
    IrExpr *one = numlit(L, 1);
    switch (lk) {
    case LK_IDENTITY:
        return y;
    case LK_LOG:
        return ir_call1(b, FN_EXP, nt, y);
    case LK_LOGC:
        return ir_call2(b, FN_SUB, nt, one, ir_call1(b, FN_EXP, nt, y));
    case LK_LOGIT:
        return ir_call1(b, FN_LOGISTIC, nt, y);
    case LK_PROBIT:
        return ir_call1(b, FN_STDNORM_CDF, dt, ir_cast(b, dt, y));
    case LK_CLOGLOG:
        return ir_call1(b, FN_CLOGLOG_INV, dt, ir_cast(b, dt, y));
    case LK_LOGLOG:
        return ir_call1(b, FN_LOGLOG_INV, dt, ir_cast(b, dt, y));
    case LK_CAUCHIT:
        /* 0.5 + (1/pi) * atan(y), associated as JPMML does */
        return ir_call2(b, FN_ADD, dt, ir_lit_double(b, 0.5),
                        ir_call2(b, FN_MUL, dt, ir_lit_double(b, 1.0 / 3.14159265358979323846),
                                 ir_call1(b, FN_ATAN, dt, ir_cast(b, dt, y))));
    case LK_NEGBIN:
        /* 1 / (k * (exp(-y) - 1)) */
        return ir_call2(b, FN_DIV, nt, one,
                        ir_call2(b, FN_MUL, nt, numlit(L, par),
                                 ir_call2(b, FN_SUB, nt, ir_call1(b, FN_EXP, nt, ir_call1(b, FN_NEG, nt, y)),
                                          numlit(L, 1))));
    case LK_ODDSPOWER:
        if (par == 0)
            return ir_call1(b, FN_LOGISTIC, nt, y);
        /* 1 / (1 + (1 + p*y)^(-1/p)) */
        return ir_call2(b, FN_DIV, nt, one,
                        ir_call2(b, FN_ADD, nt, numlit(L, 1),
                                 ir_call2(b, FN_POW, nt,
                                          ir_call2(b, FN_ADD, nt, numlit(L, 1),
                                                   ir_call2(b, FN_MUL, nt, numlit(L, par), y)),
                                          numlit(L, -(1.0 / par)))));
    case LK_POWER:
        if (par == 0)
            return ir_call1(b, FN_EXP, nt, y);
        return ir_call2(b, FN_POW, nt, y, numlit(L, 1.0 / par));
    default:
        NV_ASSERT(0);
    }
}

typedef struct LinkSpec {
    Link link;
    double par;
} LinkSpec;

/* linkFunction with its parameter (generalizedLinear) */
static int read_link(Glm *g, LinkSpec *ls)
{
    Lower *L = g->L;
    const char *lf = xattr(g->m, "linkFunction");
    if (!lf) {
        diag_error(L->d, lloc(L, g->m), "generalizedLinear needs a linkFunction");
        return 0;
    }
    ls->link = parse_link(lf);
    ls->par = 0;
    if (ls->link == LK_BAD || ls->link == LK_CAUCHIT) {
        diag_error(L->d, aloc(L, g->m, "linkFunction"), "linkFunction \'%s\' is not supported", lf);
        return 0;
    }
    if (ls->link == LK_NEGBIN) {
        if (!xattr(g->m, "distParameter")) {
            diag_error(L->d, lloc(L, g->m), "linkFunction negbin needs distParameter");
            return 0;
        }
        return attr_double(L, g->m, "distParameter", 0, &ls->par);
    }
    if (ls->link == LK_POWER || ls->link == LK_ODDSPOWER) {
        if (!xattr(g->m, "linkParameter")) {
            diag_error(L->d, lloc(L, g->m), "linkFunction %s needs linkParameter", lf);
            return 0;
        }
        return attr_double(L, g->m, "linkParameter", 0, &ls->par);
    }
    return 1;
}

/* generalizedLinear: inverse link of (y + offset), times the trials */
static IrExpr *glm_mean(Glm *g, const LinkSpec *ls, IrExpr *y)
{
    Lower *L = g->L;
    IrBuilder *b = &L->b;
    y = add_offset(g, y);
    if (!y)
        return NULL;
    y = inverse_link(g, ls->link, ls->par, y);
    IrType *t = ir_base(y->type);
    const char *tv = xattr(g->m, "trialsVariable");
    if (tv) {
        Field *f = need_field(L, g->s, tv, g->m);
        if (!f)
            return NULL;
        return ir_call2(b, FN_MUL, t, y, ir_cast(b, t, ir_var(b, f->var)));
    }
    if (xattr(g->m, "trialsValue")) {
        double n;
        if (!attr_double(L, g->m, "trialsValue", 0, &n))
            return NULL;
        return ir_call2(b, FN_MUL, t, y, ir_cast(b, t, ir_lit_double(b, n)));
    }
    return y;
}

/* ---- CoxRegression ---- */

typedef struct Cell {
    double time, hazard;
    int order;
} Cell;

static int cell_cmp(const void *a, const void *b)
{
    const Cell *x = a, *y = b;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    return x->order - y->order;
}

/* Within `blk` (reached only when the baseline applies): the cumulative
 * hazard at time t (a non-null double expression) from the BaselineCells of
 * `tab`, or none past maxTime.  The baseline is the cell with the greatest
 * time not after t (the first such in document order), 0 before the first
 * cell; the hazard is exp(r - s) times it. */
static int cox_stratum(Glm *g, const XElem *tab, double max_time, int t_var, int dot, double refsum,
                       int haz, int base, IrBlock *blk)
{
    Lower *L = g->L;
    IrBuilder *b = &L->b;
    IrType *nt = num_type(L), *bt = ir_type(T_BOOL);
    int n = xcount(tab, "BaselineCell");
    if (n == 0) {
        diag_error(L->d, lloc(L, tab), "<%s> has no <BaselineCell>", tab->name);
        return 0;
    }
    Cell *cells = ARENA_ARRAY(L->a, Cell, n);
    int i = 0;
    for (int k = 0; k < tab->nkids; k++) {
        const XElem *c = tab->kids[k];
        if (strcmp(c->name, "BaselineCell") != 0)
            continue;
        if (!need_attr(L, c, "time", &cells[i].time) || !need_attr(L, c, "cumHazard", &cells[i].hazard))
            return 0;
        cells[i].order = i;
        i++;
    }
    qsort(cells, (size_t)n, sizeof *cells, cell_cmp);
    IrExpr *t = ir_var(b, t_var);
    /* past maxTime (or missing/NaN t): no prediction */
    IrStmt *in = ir_if_stmt(b, blk, ir_call2(b, FN_LE, bt, t, ir_lit_double(b, max_time)));
    in->comment = "CoxRegression: time within maxTime";
    in->loc = lloc(L, tab);
    IrStmt *before = ir_if_stmt(b, &in->then_b, ir_call2(b, FN_LT, bt, ir_var(b, t_var),
                                                          ir_lit_double(b, cells[0].time)));
    before->comment = "CoxRegression: before the first baseline time";
    ir_set(b, &before->then_b, haz, ir_cast(b, nt, ir_lit_double(b, 0)));
    ir_set(b, &before->else_b, base, ir_lit_double(b, cells[0].hazard));
    for (i = 1; i < n; i++) {
        if (cells[i].time == cells[i - 1].time)
            continue;  /* the first of equal times wins */
        IrStmt *st = ir_if_stmt(b, &before->else_b, ir_call2(b, FN_GE, bt, ir_var(b, t_var),
                                                              ir_lit_double(b, cells[i].time)));
        ir_set(b, &st->then_b, base, ir_lit_double(b, cells[i].hazard));
    }
    IrExpr *rel = ir_call1(b, FN_EXP, nt, ir_call2(b, FN_SUB, nt, ir_var(b, dot), numlit(L, refsum)));
    IrStmt *st = ir_set(b, &before->else_b, haz,
                        ir_call2(b, FN_MUL, nt, rel, ir_cast(b, nt, ir_var(b, base))));
    st->comment = "cumulative hazard: exp(r - s) * baseline";
    return 1;
}

static int lower_cox(Glm *g, ModelResult *r)
{
    Lower *L = g->L;
    IrBuilder *b = &L->b;
    IrType *nt = num_type(L), *dt = ir_type(T_DOUBLE);
    const XElem *m = g->m;
    if (r->func != FUNC_REGRESSION) {
        diag_error(L->d, lloc(L, m), "CoxRegression must have functionName regression");
        return 1;
    }
    const char *etv = xattr(m, "endTimeVariable");
    if (!etv) {
        diag_error(L->d, lloc(L, m), "CoxRegression needs endTimeVariable");
        return 1;
    }
    const XElem *tabs = xchild(m, "BaseCumHazardTables");
    if (!tabs) {
        diag_error(L->d, lloc(L, m), "CoxRegression needs <BaseCumHazardTables>");
        return 1;
    }
    Field *tf = need_field(L, g->s, etv, m);
    if (!tf)
        return 1;
    /* statusVariable and startTimeVariable describe the training data; the
     * prediction at endTime does not use them */
    for (int i = 0; i < g->npc; i++)
        if (g->pc[i].tcat) {
            diag_error(L->d, lloc(L, g->pc[i].e), "a CoxRegression PCell cannot have a targetCategory");
            return 1;
        }
    /* s = sum(beta * referencePoint), a constant, in ParamMatrix order */
    const XElem *pl = xchild(m, "ParameterList");
    double refsum = 0;
    for (int i = 0; i < g->npc; i++) {
        const XElem *par = NULL;
        for (int k = 0; pl && k < pl->nkids; k++)
            if (!strcmp(pl->kids[k]->name, "Parameter") && xattr(pl->kids[k], "name") &&
                !strcmp(xattr(pl->kids[k], "name"), g->pc[i].param))
                par = pl->kids[k];
        if (!par) {
            diag_error(L->d, lloc(L, g->pc[i].e), "parameter '%s' is not in the ParameterList",
                       g->pc[i].param);
            return 1;
        }
        double rp;
        if (!attr_double(L, par, "referencePoint", 0, &rp))
            return 1;
        refsum += g->pc[i].beta * rp;
    }
    const char *key;
    if (!pp_key(g, NULL, &key, m))
        return 1;
    int n;
    const PCellI **cells = cells_of(g, NULL, &n);
    int dot = lower_dot(g, cells, n, key, "linear predictor");
    if (dot < 0)
        return 1;
    int t_var = tf->var;
    if (ir_base(b->p->vars[t_var].type) != dt) {
        t_var = ir_add_var(b, etv, ir_nullable(L->a, dt));
        ir_set(b, g->blk, t_var, ir_cast(b, ir_nullable(L->a, dt), ir_var(b, tf->var)));
    }
    int base = ir_add_var(b, "baseline cumulative hazard", dt);
    int haz = ir_add_var(b, "cumulative hazard", ir_nullable(L->a, nt));
    IrStmt *init = ir_set(b, g->blk, haz, ir_lit_null(b, nt));
    init->comment = "CoxRegression";
    init->loc = lloc(L, m);
    const char *bsv = xattr(m, "baselineStrataVariable");
    if (!bsv) {
        double max_time;
        if (!need_attr(L, tabs, "maxTime", &max_time) ||
            !cox_stratum(g, tabs, max_time, t_var, dot, refsum, haz, base, g->blk))
            return 1;
    } else {
        Field *sf = need_field(L, g->s, bsv, m);
        if (!sf)
            return 1;
        /* a stratum value with no BaselineStratum predicts nothing */
        for (int k = 0; k < tabs->nkids; k++) {
            const XElem *st = tabs->kids[k];
            if (strcmp(st->name, "BaselineStratum") != 0)
                continue;
            const char *v = xattr(st, "value");
            double max_time;
            if (!v) {
                diag_error(L->d, lloc(L, st), "<BaselineStratum> needs a value");
                return 1;
            }
            if (!need_attr(L, st, "maxTime", &max_time))
                return 1;
            int dup = 0;  /* the first stratum of a value wins */
            for (int j = 0; j < k && !dup; j++)
                dup = !strcmp(tabs->kids[j]->name, "BaselineStratum") &&
                      same_cat(xattr(tabs->kids[j], "value"), v);
            if (dup)
                continue;
            IrExpr *x = ir_var(b, sf->var);
            IrExpr *c = lower_constant_for(L, v, x->type, st);
            if (!c)
                return 1;
            IrStmt *is = ir_if_stmt(b, g->blk, ir_call2(b, FN_EQ, ir_type(T_BOOL), x, c));
            is->comment = arena_printf(L->a, "BaselineStratum %s", v);
            is->loc = lloc(L, st);
            if (!cox_stratum(g, st, max_time, t_var, dot, refsum, haz, base, &is->then_b))
                return 1;
        }
    }
    r->value = haz;
    return 0;
}

/* ---- classification ---- */

/* the target's categories in scoring order: the reference category last */
static const char **ordered_categories(Glm *g, ModelResult *r, int *n)
{
    Lower *L = g->L;
    int nc;
    const char **dd = target_categories(L, r, &nc);
    if (!dd || nc < 2) {
        diag_error(L->d, lloc(L, g->m),
                   "a classifying GeneralRegressionModel needs a target with at least two categories");
        return NULL;
    }
    const char *ref = xattr(g->m, "targetReferenceCategory");
    if (!ref && (g->type == MT_MULTINOMIAL || g->type == MT_GENERALIZED)) {
        /* the one category the ParamMatrix has no cells for */
        int nmiss = 0, allnull = 1;
        for (int i = 0; i < g->npc; i++)
            if (g->pc[i].tcat)
                allnull = 0;
        for (int i = 0; i < nc; i++) {
            int seen = 0;
            for (int j = 0; j < g->npc && !seen; j++)
                seen = same_cat(g->pc[j].tcat, dd[i]);
            if (!seen) {
                nmiss++;
                ref = dd[i];
            }
        }
        if (allnull && nc == 2)
            ref = dd[1];  /* binary with shared cells: the second is the reference */
        else if (nmiss != 1) {
            diag_error(L->d, lloc(L, g->m),
                       "cannot tell the reference category (give targetReferenceCategory)");
            return NULL;
        }
    }
    const char **out = ARENA_ARRAY(L->a, const char *, nc);
    int k = 0, refi = -1;
    for (int i = 0; i < nc; i++) {
        if (ref && refi < 0 && same_cat(dd[i], ref)) {
            refi = i;
            continue;
        }
        out[k++] = dd[i];
    }
    if (refi >= 0)
        out[k++] = dd[refi];
    *n = k;
    return out;
}

static int lower_classification(Glm *g, ModelResult *r)
{
    Lower *L = g->L;
    IrBuilder *b = &L->b;
    IrType *nt = num_type(L), *dt = ir_type(T_DOUBLE);
    const XElem *m = g->m;
    if (g->type != MT_MULTINOMIAL && g->type != MT_GENERALIZED && g->type != MT_ORDINAL) {
        diag_error(L->d, aloc(L, m, "modelType"), "modelType \'%s\' cannot classify", xattr(m, "modelType"));
        return 1;
    }
    LinkSpec ls = {LK_IDENTITY, 0};
    if (g->type == MT_GENERALIZED && !read_link(g, &ls))
        return 1;
    Link cum = LK_BAD;
    if (g->type == MT_ORDINAL) {
        const char *cl = xattr(m, "cumulativeLink");
        cum = parse_link(cl);
        if (!cl || (cum != LK_LOGIT && cum != LK_PROBIT && cum != LK_CLOGLOG && cum != LK_LOGLOG &&
                    cum != LK_CAUCHIT)) {
            diag_error(L->d, lloc(L, m), "ordinalMultinomial needs a cumulativeLink of logit, "
                                         "probit, cloglog, loglog or cauchit");
            return 1;
        }
    }
    int n;
    const char **cats = ordered_categories(g, r, &n);
    if (!cats)
        return 1;
    r->ncats = n;
    r->cats = cats;
    r->probs = ARENA_ARRAY(L->a, int, n);
    int *dots = ARENA_ARRAY(L->a, int, n);
    /* one linear predictor per category but the last */
    for (int i = 0; i < n - 1; i++) {
        const char *key;
        if (!pp_key(g, cats[i], &key, m))
            return 1;
        int nc;
        const PCellI **cells = cells_of(g, cats[i], &nc);
        if (g->type == MT_ORDINAL) {
            /* this category's intercept, then the cells shared by all */
            if (nc != 1) {
                diag_error(L->d, lloc(L, m),
                           "ordinalMultinomial needs exactly one PCell (the intercept) for category '%s'",
                           cats[i]);
                return 1;
            }
            int ns;
            const PCellI **shared = cells_of(g, NULL, &ns);
            const PCellI **all = ARENA_ARRAY(L->a, const PCellI *, ns + 1);
            all[0] = cells[0];
            memcpy(all + 1, shared, sizeof *all * (size_t)ns);
            cells = all;
            nc = ns + 1;
        } else if (nc == 0 && n == 2) {
            cells = cells_of(g, NULL, &nc);  /* binary: cells without a category */
        }
        if (nc == 0) {
            diag_error(L->d, lloc(L, m), "ParamMatrix has no cells for target category '%s'", cats[i]);
            return 1;
        }
        dots[i] = lower_dot(g, cells, nc, key, arena_printf(L->a, "linear predictor(%s)", cats[i]));
        if (dots[i] < 0)
            return 1;
    }
    for (int i = 0; i < n; i++)
        r->probs[i] = ir_add_var(b, arena_printf(L->a, "probability(%s)", cats[i]),
                                 ir_nullable(L->a, dt));
    IrStmt *st;
    if (g->type == MT_MULTINOMIAL) {
        /* exp of each predictor, the reference's being exp(0) = 1, over their sum */
        int *ex = ARENA_ARRAY(L->a, int, n);
        IrExpr *sum = NULL;
        for (int i = 0; i < n; i++) {
            ex[i] = ir_add_var(b, arena_printf(L->a, "exp(%s)", cats[i]), ir_nullable(L->a, dt));
            IrExpr *e = i < n - 1 ? ir_cast(b, dt, ir_call1(b, FN_EXP, nt, ir_var(b, dots[i])))
                                  : ir_lit_double(b, 1);
            ir_set(b, g->blk, ex[i], e);
        }
        IrExpr **terms = ARENA_ARRAY(L->a, IrExpr *, n + 1);
        for (int i = 0; i < n; i++)
            terms[i] = ir_var(b, ex[i]);
        sum = n == 1 ? terms[0] : ir_linear(b, dt, terms, n);
        int sv = ir_add_var(b, "sum", ir_nullable(L->a, dt));
        st = ir_set(b, g->blk, sv, sum);
        st->comment = "multinomialLogistic: normalize";
        for (int i = 0; i < n; i++)
            ir_set(b, g->blk, r->probs[i], ir_call2(b, FN_DIV, dt, ir_var(b, ex[i]), ir_var(b, sv)));
    } else if (g->type == MT_GENERALIZED) {
        /* the mean of each predictor; the last category takes the rest of
         * the one before it (binary: 1 - p) */
        for (int i = 0; i < n - 1; i++) {
            IrExpr *mu = glm_mean(g, &ls, ir_var(b, dots[i]));
            if (!mu)
                return 1;
            st = ir_set(b, g->blk, r->probs[i], ir_cast(b, dt, mu));
            st->comment = arena_printf(L->a, "generalizedLinear: mean for '%s'", cats[i]);
        }
        ir_set(b, g->blk, r->probs[n - 1],
               ir_call2(b, FN_SUB, dt, ir_lit_double(b, 1), ir_var(b, r->probs[n - 2])));
    } else {
        /* cumulative probabilities, differenced; the last is 1 - the last cumulative */
        int prev = -1;
        for (int i = 0; i < n - 1; i++) {
            IrExpr *y = add_offset(g, ir_var(b, dots[i]));
            if (!y)
                return 1;
            int cv = ir_add_var(b, arena_printf(L->a, "cumulative(%s)", cats[i]), ir_nullable(L->a, dt));
            st = ir_set(b, g->blk, cv, ir_cast(b, dt, inverse_link(g, cum, 0, y)));
            st->comment = arena_printf(L->a, "ordinalMultinomial: P(<= '%s')", cats[i]);
            IrExpr *p = ir_var(b, cv);
            if (prev >= 0)
                p = ir_call2(b, FN_SUB, dt, p, ir_var(b, prev));
            ir_set(b, g->blk, r->probs[i], p);
            prev = cv;
        }
        ir_set(b, g->blk, r->probs[n - 1], ir_call2(b, FN_SUB, dt, ir_lit_double(b, 1), ir_var(b, prev)));
    }
    if (g->type != MT_MULTINOMIAL && n > 2) {
        /* any missing predictor makes the whole distribution missing */
        IrExpr **isn = ARENA_ARRAY(L->a, IrExpr *, n + 1);
        for (int i = 0; i < n - 1; i++)
            isn[i] = ir_is_null(b, ir_var(b, dots[i]));
        IrExpr *any = ir_fold(b, FN_OR, isn, n - 1);
        st = ir_if_stmt(b, g->blk, any);
        st->comment = "a missing predictor: no distribution";
        for (int i = 0; i < n; i++)
            ir_set(b, &st->then_b, r->probs[i], ir_lit_null(b, dt));
    }
    result_argmax(L, g->blk, r);
    return 0;
}

/* ---- regression ---- */
static int lower_regression(Glm *g, ModelResult *r)
{
    Lower *L = g->L;
    IrBuilder *b = &L->b;
    const XElem *m = g->m;
    if (g->type == MT_MULTINOMIAL || g->type == MT_ORDINAL) {
        diag_error(L->d, aloc(L, m, "modelType"), "modelType \'%s\' needs functionName classification",
                   xattr(m, "modelType"));
        return 1;
    }
    LinkSpec ls = {LK_IDENTITY, 0};
    if (g->type == MT_GENERALIZED && !read_link(g, &ls))
        return 1;
    for (int i = 0; i < g->npc; i++)
        if (g->pc[i].tcat) {
            diag_error(L->d, lloc(L, g->pc[i].e), "a regression PCell cannot have a targetCategory");
            return 1;
        }
    const char *key;
    if (!pp_key(g, NULL, &key, m))
        return 1;
    int n;
    const PCellI **cells = cells_of(g, NULL, &n);
    int dot = lower_dot(g, cells, n, key, "linear predictor");
    if (dot < 0)
        return 1;
    if (g->type != MT_GENERALIZED) {
        r->value = dot;
        return 0;
    }
    IrExpr *mu = glm_mean(g, &ls, ir_var(b, dot));
    if (!mu)
        return 1;
    r->value = ir_add_var(b, "predicted", ir_nullable(L->a, ir_base(mu->type)));
    IrStmt *st = ir_set(b, g->blk, r->value, mu);
    st->comment = arena_printf(L->a, "generalizedLinear: inverse %s link", xattr(m, "linkFunction"));
    st->loc = lloc(L, m);
    return 0;
}

int lower_general_regression_model(Lower *L, const XElem *m, Scope *s, IrBlock *blk,
                                   ModelResult *r)
{
    Glm g0 = {0}, *g = &g0;
    g->L = L;
    g->s = s;
    g->m = m;
    g->blk = blk;
    const char *mt = xattr(m, "modelType");
    int ok;
    g->type = parse_model_type(mt, &ok);
    if (!ok) {
        diag_error(L->d, aloc(L, m, "modelType"), "modelType \'%s\' is not supported", mt ? mt : "");
        return 1;
    }
    if (!xchild(m, "ParameterList")) {
        diag_error(L->d, lloc(L, m), "GeneralRegressionModel has no <ParameterList>");
        return 1;
    }
    g->factors = xchild(m, "FactorList");
    g->covariates = xchild(m, "CovariateList");
    if (!read_cells(g))
        return 1;
    /* the deprecated targetVariableName names the target when the
     * MiningSchema does not */
    if (!r->target && xattr(m, "targetVariableName")) {
        r->target = xattr(m, "targetVariableName");
        r->target_info = find_datafield(L, r->target);
    }
    if (g->type == MT_COX)
        return lower_cox(g, r);
    if (r->func == FUNC_CLASSIFICATION)
        return lower_classification(g, r);
    if (r->func == FUNC_REGRESSION)
        return lower_regression(g, r);
    diag_error(L->d, lloc(L, m), "GeneralRegressionModel for this function is not supported");
    return 1;
}
