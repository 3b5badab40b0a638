/* Compile-time evaluation of IR statements and expressions.
 *
 * Some values a model fixes once and for all: the derived fields of a
 * k-nearest-neighbour model's training instances (isTransformed="false")
 * are its transformations applied to each stored row.  nerva computes them
 * when it compiles, so that the rows go into the generated code as data,
 * already transformed.  They must be exactly what the generated code would
 * compute at run time, so the table-driven expressions (NormContinuous,
 * Discretize, MapValues) call the very kernels the generated code carries:
 * the run-time library's files are included here (their functions are
 * static, NV_RT), written once.  What cannot be computed here (text
 * functions that need scratch space, tree walks, ...) is reported with the
 * expression's kind, never guessed. */
#include "base.c"
#include "nerva_model.h"
#include "kernels.c"
#include "text.c"

#include "ir.h"

typedef struct Eval {
    const IrProgram *p;
    IrVal *env;            /* per variable */
    const char *why;       /* what could not be evaluated */
} Eval;

static IrVal vnull(void) { return (IrVal){.null = 1}; }
static IrVal vnum(double d) { return (IrVal){.d = d}; }
static IrVal vstr(const char *s) { return (IrVal){.s = s, .isstr = 1}; }

/* a number rounded to the expression's type */
static IrVal typed(const IrExpr *e, double d)
{
    IrTypeKind k = ir_base(e->type)->kind;
    if (k == T_FLOAT)
        d = (float)d;
    else if (k == T_INT || k == T_LONG)
        d = (double)(long long)d;
    else if (k == T_BOOL)
        d = d != 0;
    return vnum(d);
}

static IrVal eval(Eval *E, const IrExpr *e);

static IrVal eval_call(Eval *E, const IrExpr *e)
{
    int n = e->n;
    IrVal v[4];
    if (e->fn == FN_AND || e->fn == FN_OR) {
        /* three-valued: a false (true) operand decides even beside null */
        int isand = e->fn == FN_AND, null = 0;
        for (int i = 0; i < n; i++) {
            IrVal x = eval(E, e->a[i]);
            if (E->why)
                return vnull();
            if (x.null)
                null = 1;
            else if ((x.d != 0) != isand)
                return vnum(!isand);
        }
        return null ? vnull() : vnum(isand);
    }
    if (n > 4 || e->fn == FN_MEDIAN || e->fn == FN_WMEDIAN || e->fn == FN_RANK) {
        E->why = ir_fn_name(e->fn);
        return vnull();
    }
    for (int i = 0; i < n; i++) {
        v[i] = eval(E, e->a[i]);
        if (E->why)
            return vnull();
        if (v[i].null)
            return vnull();
    }
    double x = n > 0 ? v[0].d : 0, y = n > 1 ? v[1].d : 0;
    int isf = ir_base(e->type)->kind == T_FLOAT;
    switch (e->fn) {
    case FN_ADD: return typed(e, x + y);
    case FN_SUB: return typed(e, x - y);
    case FN_MUL: return typed(e, x * y);
    case FN_DIV: return typed(e, x / y);
    case FN_NEG: return typed(e, -x);
    case FN_MOD: return typed(e, nv_mod_floor(x, y));
    case FN_POW: return typed(e, isf ? powf((float)x, (float)y) : pow(x, y));
    case FN_EXP: return typed(e, isf ? expf((float)x) : exp(x));
    case FN_LN: return typed(e, isf ? logf((float)x) : log(x));
    case FN_LOG10: return typed(e, isf ? log10f((float)x) : log10(x));
    case FN_SQRT: return typed(e, isf ? sqrtf((float)x) : sqrt(x));
    case FN_ABS: return typed(e, fabs(x));
    case FN_FLOOR: return typed(e, floor(x));
    case FN_CEIL: return typed(e, ceil(x));
    case FN_RINT: return typed(e, rint(x));
    case FN_ROUND: return typed(e, nv_round_half_up(x));
    case FN_EXPM1: return typed(e, isf ? expm1f((float)x) : expm1(x));
    case FN_LN1P: return typed(e, isf ? log1pf((float)x) : log1p(x));
    case FN_TANH: return typed(e, isf ? tanhf((float)x) : tanh(x));
    case FN_ATAN: return typed(e, isf ? atanf((float)x) : atan(x));
    case FN_COS: return typed(e, isf ? cosf((float)x) : cos(x));
    case FN_SIN: return typed(e, isf ? sinf((float)x) : sin(x));
    case FN_ERF: return typed(e, isf ? erff((float)x) : erf(x));
    case FN_THRESHOLD: return typed(e, x > y ? 1 : 0);
    case FN_LOGISTIC: return typed(e, isf ? nv_logisticf((float)x) : nv_logistic(x));
    case FN_CLOGLOG_INV: return typed(e, nv_cloglog_inv(x));
    case FN_LOGLOG_INV: return typed(e, nv_loglog_inv(x));
    case FN_CAUCHIT_INV: return typed(e, nv_cauchit_inv(x));
    case FN_STDNORM_CDF: return typed(e, nv_stdnorm_cdf(x));
    case FN_STDNORM_IDF: return typed(e, nv_stdnorm_idf(x));
    case FN_ISNAN: return vnum(x != x);
    case FN_NOT: return vnum(!(x != 0));
    case FN_MIN:
    case FN_MAX:
    case FN_SUM:
    case FN_AVG:
    case FN_PRODUCT: {
        double acc = v[0].d;
        for (int i = 1; i < n; i++) {
            double w = v[i].d;
            if (e->fn == FN_MIN)
                acc = w < acc ? w : acc;
            else if (e->fn == FN_MAX)
                acc = w > acc ? w : acc;
            else if (e->fn == FN_PRODUCT)
                acc = isf ? (float)(acc * w) : acc * w;
            else
                acc = isf ? (float)(acc + w) : acc + w;
        }
        if (e->fn == FN_AVG)
            acc = acc / n;
        return typed(e, acc);
    }
    case FN_EQ: case FN_NE: case FN_LT: case FN_LE: case FN_GT: case FN_GE: {
        int c;
        if (v[0].isstr || v[1].isstr) {
            if (!v[0].isstr || !v[1].isstr) {
                E->why = "a comparison of a string and a number";
                return vnull();
            }
            c = strcmp(v[0].s, v[1].s);
            c = c < 0 ? -1 : c > 0;
        } else if (x != x || y != y) {
            return vnum(e->fn == FN_NE);
        } else
            c = x < y ? -1 : x > y;
        switch (e->fn) {
        case FN_EQ: return vnum(c == 0);
        case FN_NE: return vnum(c != 0);
        case FN_LT: return vnum(c < 0);
        case FN_LE: return vnum(c <= 0);
        case FN_GT: return vnum(c > 0);
        default: return vnum(c >= 0);
        }
    }
    default:
        break;
    }
    E->why = ir_fn_name(e->fn);
    return vnull();
}

static IrVal eval(Eval *E, const IrExpr *e)
{
    IrType *bt = ir_base(e->type);
    switch (e->kind) {
    case E_LIT:
        if (e->lit_null)
            return vnull();
        switch (bt->kind) {
        case T_BOOL: return vnum(e->lit_bool);
        case T_INT:
        case T_LONG: return vnum((double)e->lit_long);
        case T_FLOAT:
        case T_DOUBLE: return vnum(e->lit_double);
        case T_STRING: return vstr(e->lit_str);
        default: break;
        }
        break;
    case E_VAR:
        return E->env[e->var];
    case E_IF: {
        IrVal c = eval(E, e->a[0]);
        if (E->why || c.null)
            return vnull();
        return eval(E, c.d != 0 ? e->a[1] : e->a[2]);
    }
    case E_CALL:
        return eval_call(E, e);
    case E_IS_NULL: {
        IrVal x = eval(E, e->a[0]);
        return vnum(x.null);
    }
    case E_COALESCE:
        for (int i = 0; i < e->n; i++) {
            IrVal x = eval(E, e->a[i]);
            if (E->why || !x.null)
                return x;
        }
        return vnull();
    case E_NULL_IF_NAN: {
        IrVal x = eval(E, e->a[0]);
        return !x.null && x.d != x.d ? vnull() : x;
    }
    case E_INVALID_IF_NAN: {
        /* Apply invalidValueTreatment returnInvalid: a NaN would make the
           record invalid, which a value fixed once cannot be */
        IrVal x = eval(E, e->a[0]);
        if (!E->why && !x.null && !x.isstr && x.d != x.d)
            E->why = "an invalid function result (returnInvalid)";
        return x;
    }
    case E_CAST: {
        IrVal x = eval(E, e->a[0]);
        if (E->why || x.null)
            return vnull();
        if (bt->kind == T_STRING) {
            if (x.isstr)
                return x;
            if (ir_base(e->a[0]->type)->kind == T_BOOL)
                return vstr(x.d != 0 ? "true" : "false");
            E->why = "a number made text";
            return vnull();
        }
        if (x.isstr) {
            double d;
            if (!nv_strtod(x.s, &d))
                return vnull();
            return typed(e, d);
        }
        if ((bt->kind == T_INT || bt->kind == T_LONG) && !(x.d >= -9.2e18 && x.d <= 9.2e18))
            return vnull();
        return typed(e, x.d);
    }
    case E_STR_IN: {
        IrVal x = eval(E, e->a[0]);
        if (E->why || x.null)
            return vnull();
        for (int i = 0; i < e->nstrs; i++)
            if (!strcmp(x.s, e->strs[i]))
                return vnum(1);
        return vnum(0);
    }
    case E_INTERN: {
        IrVal x = eval(E, e->a[0]);
        if (E->why || x.null)
            return vnull();
        return vnum(nv_intern(x.s, e->strs, e->nstrs));
    }
    case E_FIND_NUM:
    case E_BIN: {
        IrVal x = eval(E, e->a[0]);
        if (E->why || x.null)
            return vnull();
        return vnum(e->kind == E_BIN ? nv_bin_index(x.d, e->tab->num, e->tab->n)
                                     : nv_find_num(x.d, e->tab->num, e->tab->n));
    }
    case E_LOOKUP: {
        IrVal x = eval(E, e->a[0]);
        if (E->why || x.null || x.d < 0 || x.d >= e->tab->n)
            return vnull();
        int i = (int)x.d;
        return e->tab->str ? vstr(e->tab->str[i]) : typed(e, e->tab->num[i]);
    }
    case E_PIECEWISE: {
        IrVal x = eval(E, e->a[0]);
        double out;
        if (E->why || x.null || !nv_piecewise(x.d, e->tab->num, e->tab->n, e->col, &out))
            return vnull();
        return vnum(out);
    }
    case E_LINEAR: {
        double acc = 0;
        for (int i = 0; i < e->n; i++) {
            IrVal x = eval(E, e->a[i]);
            if (E->why || x.null)
                return vnull();
            acc = i ? (bt->kind == T_FLOAT ? (float)(acc + x.d) : acc + x.d) : x.d;
        }
        return vnum(acc);
    }
    default:
        break;
    }
    static const char *const names[] = {
#define X(k, s) [E_##k] = s,
        IR_EXPR_KINDS(X)
#undef X
    };
    E->why = names[e->kind];
    return vnull();
}

static void eval_block(Eval *E, const IrBlock *b)
{
    for (int i = 0; i < b->n && !E->why; i++) {
        const IrStmt *s = b->s[i];
        switch (s->kind) {
        case S_SET:
            E->env[s->var] = eval(E, s->e);
            break;
        case S_IF: {
            IrVal c = eval(E, s->e);
            if (!E->why)
                eval_block(E, !c.null && c.d != 0 ? &s->then_b : &s->else_b);
            break;
        }
        default:
            E->why = "a statement that is no assignment";
            break;
        }
    }
}

const char *ir_eval_block(const IrProgram *p, const IrBlock *b, IrVal *env)
{
    Eval E = {.p = p, .env = env};
    eval_block(&E, b);
    return E.why;
}
