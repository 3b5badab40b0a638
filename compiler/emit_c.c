/* The C backend.  It reads only the IR and prints one C99 translation unit
 * and its header through one printer, in a fixed section order:
 *   banner, includes, helpers, tree tables, score function, batch function,
 *   descriptors.
 * Generated code uses only libc and libm, keeps no mutable globals, and
 * prints every constant so that it reads back exactly.  Names and strings
 * from the model only ever appear escaped (string literals) or sanitised
 * (comments); identifiers are generated, so no model text can inject code. */
#include "emit_c.h"
#include "c_text.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define NV_SCRATCH_BYTES 4096
#define NV_TEXT_SCRATCH_BYTES 65536   /* texts are normalised and tokenised there */
/* inner nodes of a nested tree's subtree that selects its node without
   branching; measured on the corpus's LightGBM and XGBoost ensembles, 7 to 11
   are best (3: 20% slower, 15: 10% slower) */
#define SELECT_MAX_INNER 7

typedef struct CVal {
    const char *v;   /* C expression of the value */
    const char *n;   /* C expression of the null flag ("0" when never null) */
} CVal;

enum {
    H_SCRATCH = 1 << 0,
    H_LOWER = 1 << 1,
    H_UPPER = 1 << 2,
    H_CONCAT = 1 << 3,
    H_SUBSTR = 1 << 4,
    H_TRIM = 1 << 5,
    H_WALK = 1 << 6,
    H_AND3 = 1 << 7,
    H_DTOSTR = 1 << 8,
    H_STRTOD = 1 << 9,
    H_MOD = 1 << 10,
    H_ROUND = 1 << 11,
    H_STDNORM = 1 << 12,
    H_MEDIAN = 1 << 13,
    H_TEXT = 1 << 14,
    H_INTERN = 1 << 15,
    H_OR3 = 1 << 16,
    H_XOR3 = 1 << 17,
    H_SUR3 = 1 << 18,
};

typedef struct Em {
    const IrProgram *p;
    const EmitOptions *o;
    Diags *d;
    Arena a;
    StrBuf *out;        /* where statements go now */
    int ind;
    int tmp;
    int label;
    unsigned helpers;
    /* per-variable storage names */
    const char **vname, **nname;
    /* tree layout */
    unsigned char *tree_table;   /* per tree: LAY_NESTED, LAY_TABLE or LAY_GRAPH */
    struct TGraph **graph;       /* per tree laid out as LAY_GRAPH */
    int gnarrow;                 /* every graph's tests fit 8 bytes */
    int *in_forest;              /* per tree: index in the batch walk, or -1 */
    int nforest;
    /* per slot, for graph trees: SLOT_NUMBER (thresholds th[s][0..nth[s]))
       or SLOT_CODE (a string's code) */
    unsigned char *slot_kind;
    double **th;
    int *nth, *th_off;
    int *slot_of_var;            /* -1 or slot index */
    int nslots;
    unsigned char *env_var;      /* read by a tree function: lives in nv_env */
    const char **tvname, **tnname; /* names inside tree functions */
    /* string dictionaries of E_INTERN, printed before the score function */
    const char ***dicts;
    int ndicts, cap_dicts;
    StrBuf dict_text;
    /* what the program uses: only that is declared or printed */
    unsigned char *var_used;     /* read or written */
    unsigned char *val_read;     /* its value read (not only its null flag) */
    unsigned char *tree_used;    /* walked */
    unsigned char **col_used;    /* per tree, per payload column */
    int ntrees_used;
} Em;

/* ---- printing helpers ---- */
static void line(Em *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line(Em *m, const char *fmt, ...)
{
    sb_printf(m->out, "%*s", m->ind * 4, "");
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(m->out, fmt, ap);
    va_end(ap);
    sb_putc(m->out, '\n');
}

static const char *ctype(const IrType *t)
{
    switch (ir_base((IrType *)t)->kind) {
    case T_BOOL:
    case T_INT:
    case T_NULL:
        return "int";
    case T_LONG:
        return "long long";
    case T_FLOAT:
        return "float";
    case T_DOUBLE:
        return "double";
    case T_STRING:
        return "const char *";
    default:
        return NULL;
    }
}

static const char *czero(const IrType *t)
{
    IrTypeKind k = ir_base((IrType *)t)->kind;
    return k == T_STRING ? "\"\"" : "0";
}

static const char *new_tmp(Em *m, const IrType *t, int nullable)
{
    const char *name = arena_printf(&m->a, "t%d", ++m->tmp);
    if (nullable)
        line(m, "%s%s%s = %s; int %s_n = 1;", ctype(t),
             ir_base((IrType *)t)->kind == T_STRING ? "" : " ", name, czero(t), name);
    else
        line(m, "%s%s%s;", ctype(t), ir_base((IrType *)t)->kind == T_STRING ? "" : " ", name);
    return name;
}

/* sort slots by where their declaration ends (stable: ties keep slot order) */
static void sort_by_key(size_t *v, int n, const size_t *key)
{
    /* bottom-up merge sort: no global state, stable */
    size_t *tmp = malloc(sizeof *tmp * (size_t)(n ? n : 1));
    if (!tmp)
        die_internal(__FILE__, __LINE__, "out of memory");
    for (int w = 1; w < n; w *= 2) {
        for (int lo = 0; lo < n; lo += 2 * w) {
            int mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            int a = lo, b = mid, k = lo;
            while (a < mid && b < hi)
                tmp[k++] = key[v[b]] < key[v[a]] ? v[b++] : v[a++];
            while (a < mid)
                tmp[k++] = v[a++];
            while (b < hi)
                tmp[k++] = v[b++];
        }
        memcpy(v, tmp, sizeof *v * (size_t)n);
    }
    free(tmp);
}

/* Temporaries come in value/null-flag pairs, and a consumer often needs only
   one of the two (a non-nullable target ignores the flag; is-null ignores the
   value).  Rather than thread "which half is wanted" through every case of
   emit_expr, the finished text of a function is scanned: a temporary that is
   written but never read gets "(void)name;" after its declaration, which
   says so to the C compiler (and to a reader).  Model text only appears in
   string literals and comments, which the scan skips. */
static void void_unread_temps(Em *m, StrBuf *text)
{
    if (!text->data || m->tmp == 0)
        return;
    int n = m->tmp + 1;
    /* per temp number, [0] the value, [1] the null flag */
    int *reads = calloc((size_t)n * 2, sizeof *reads);
    size_t *decl_end = calloc((size_t)n * 2, sizeof *decl_end);
    unsigned char *seen = calloc((size_t)n * 2, 1);
    if (!reads || !decl_end || !seen)
        die_internal(__FILE__, __LINE__, "out of memory");
    const char *s = text->data;
    size_t len = text->len;
    for (size_t i = 0; i < len;) {
        char c = s[i];
        if (c == '"' || c == '\'') {
            for (i++; i < len && s[i] != c; i++)
                if (s[i] == '\\')
                    i++;
            i++;
            continue;
        }
        if (c == '/' && i + 1 < len && s[i + 1] == '*') {
            const char *e = strstr(s + i + 2, "*/");
            i = e ? (size_t)(e - s) + 2 : len;
            continue;
        }
        if (!(isalpha((unsigned char)c) || c == '_')) {
            i++;
            continue;
        }
        size_t b = i;
        while (i < len && (isalnum((unsigned char)s[i]) || s[i] == '_'))
            i++;
        if (s[b] != 't' || !isdigit((unsigned char)s[b + 1]) || (b > 0 && s[b - 1] == '.'))
            continue;
        size_t d = b + 1;
        long k = 0;
        while (d < i && isdigit((unsigned char)s[d]) && k < n)
            k = k * 10 + (s[d++] - '0');
        int flag;
        if (d == i)
            flag = 0;
        else if (i - d == 2 && s[d] == '_' && s[d + 1] == 'n')
            flag = 1;
        else
            continue;
        if (k <= 0 || k >= n)
            continue;
        size_t slot = (size_t)k * 2 + (size_t)flag;
        if (!seen[slot]) {
            /* the first mention is the declaration */
            seen[slot] = 1;
            const char *semi = memchr(s + i, ';', len - i);
            decl_end[slot] = semi ? (size_t)(semi - s) + 1 : 0;
            continue;
        }
        size_t j = i;
        while (j < len && s[j] == ' ')
            j++;
        int write = j + 1 < len && s[j] == '=' && s[j + 1] != '=';
        if (!write)
            reads[slot]++;
    }
    /* insertion points, in text order (declarations sharing a statement end
       keep their number order) */
    size_t *ins = malloc(sizeof *ins * (size_t)n * 2);
    if (!ins)
        die_internal(__FILE__, __LINE__, "out of memory");
    int nins = 0;
    for (size_t slot = 2; slot < (size_t)n * 2; slot++)
        if (seen[slot] && !reads[slot] && decl_end[slot])
            ins[nins++] = slot;
    sort_by_key(ins, nins, decl_end);
    if (nins) {
        StrBuf o;
        sb_init(&o);
        size_t at = 0;
        for (int i = 0; i < nins; i++) {
            size_t slot = ins[i], e = decl_end[slot];
            sb_putn(&o, s + at, e - at);
            at = e;
            sb_printf(&o, " (void)t%d%s;", (int)(slot / 2), slot % 2 ? "_n" : "");
        }
        sb_putn(&o, s + at, len - at);
        sb_free(text);
        *text = o;
    }
    free(ins);
    free(reads);
    free(decl_end);
    free(seen);
}

static CVal emit_expr(Em *m, const IrExpr *e);

static const char *lit_value(Em *m, const IrExpr *e)
{
    IrType *t = ir_base(e->type);
    if (e->lit_null)
        return czero(t);
    switch (t->kind) {
    case T_BOOL:
        return e->lit_bool ? "1" : "0";
    case T_INT:
        return arena_printf(&m->a, "%lld", e->lit_long);
    case T_LONG:
        if (e->lit_long == (-9223372036854775807LL - 1))
            return "(-9223372036854775807LL - 1)";
        return arena_printf(&m->a, e->lit_long < 0 ? "(%lldLL)" : "%lldLL", e->lit_long);
    case T_FLOAT:
        return c_float(&m->a, (float)e->lit_double);
    case T_DOUBLE:
        return c_double(&m->a, e->lit_double);
    case T_STRING:
        return c_string(&m->a, e->lit_str);
    default:
        NV_ASSERT(0);
    }
}

/* the null flag of several values, ORed */
static const char *or_nulls(Em *m, CVal *v, int n)
{
    const char *r = NULL;
    for (int i = 0; i < n; i++) {
        if (strcmp(v[i].n, "0") == 0)
            continue;
        r = r ? arena_printf(&m->a, "%s || %s", r, v[i].n) : v[i].n;
    }
    return r ? r : "0";
}

static int is_str(const IrExpr *e) { return ir_base(e->type)->kind == T_STRING; }

static const char *cmp_text(Em *m, IrFn fn, CVal x, CVal y, int strings)
{
    static const char *ops[] = {[FN_EQ] = "==", [FN_NE] = "!=", [FN_LT] = "<",
                                [FN_LE] = "<=", [FN_GT] = ">", [FN_GE] = ">="};
    if (strings)
        return arena_printf(&m->a, "(strcmp(%s, %s) %s 0)", x.v, y.v, ops[fn]);
    return arena_printf(&m->a, "(%s %s %s)", x.v, ops[fn], y.v);
}

/* value text of a call whose arguments are all non-null */
static const char *call_text(Em *m, const IrExpr *e, CVal *v)
{
    int isf = ir_base(e->type)->kind == T_FLOAT;
    const char *sfx = isf ? "f" : "";
    switch (e->fn) {
    case FN_ADD: return arena_printf(&m->a, "(%s + %s)", v[0].v, v[1].v);
    case FN_SUB: return arena_printf(&m->a, "(%s - %s)", v[0].v, v[1].v);
    case FN_MUL: return arena_printf(&m->a, "(%s * %s)", v[0].v, v[1].v);
    case FN_DIV: return arena_printf(&m->a, "(%s / %s)", v[0].v, v[1].v);
    case FN_NEG: return arena_printf(&m->a, "(-%s)", v[0].v);
    case FN_MOD:
        m->helpers |= H_MOD;
        return arena_printf(&m->a, "nv_mod(%s, %s)", v[0].v, v[1].v);
    case FN_POW: return arena_printf(&m->a, "pow%s(%s, %s)", sfx, v[0].v, v[1].v);
    case FN_EXP: return arena_printf(&m->a, "exp%s(%s)", sfx, v[0].v);
    case FN_LN: return arena_printf(&m->a, "log%s(%s)", sfx, v[0].v);
    case FN_LOG10: return arena_printf(&m->a, "log10%s(%s)", sfx, v[0].v);
    case FN_SQRT: return arena_printf(&m->a, "sqrt%s(%s)", sfx, v[0].v);
    case FN_ABS: return arena_printf(&m->a, "fabs%s(%s)", sfx, v[0].v);
    case FN_FLOOR: return arena_printf(&m->a, "floor%s(%s)", sfx, v[0].v);
    case FN_CEIL: return arena_printf(&m->a, "ceil%s(%s)", sfx, v[0].v);
    case FN_RINT: return arena_printf(&m->a, "rint%s(%s)", sfx, v[0].v);
    case FN_ROUND:
        m->helpers |= H_ROUND;
        return arena_printf(&m->a, "nv_round(%s)", v[0].v);
    case FN_EXPM1: return arena_printf(&m->a, "expm1%s(%s)", sfx, v[0].v);
    case FN_LN1P: return arena_printf(&m->a, "log1p%s(%s)", sfx, v[0].v);
    case FN_TANH: return arena_printf(&m->a, "tanh%s(%s)", sfx, v[0].v);
    case FN_ATAN: return arena_printf(&m->a, "atan%s(%s)", sfx, v[0].v);
    case FN_COS: return arena_printf(&m->a, "cos%s(%s)", sfx, v[0].v);
    case FN_SIN: return arena_printf(&m->a, "sin%s(%s)", sfx, v[0].v);
    case FN_ERF: return arena_printf(&m->a, "erf%s(%s)", sfx, v[0].v);
    case FN_THRESHOLD:
        return arena_printf(&m->a, "(%s > %s ? 1 : 0)", v[0].v, v[1].v);
    case FN_LOGISTIC:
        return isf ? arena_printf(&m->a, "(1.0f / (1.0f + expf(-%s)))", v[0].v)
                   : arena_printf(&m->a, "(1.0 / (1.0 + exp(-%s)))", v[0].v);
    case FN_CLOGLOG_INV:
        return arena_printf(&m->a, "(1.0 - exp(-exp(%s)))", v[0].v);
    case FN_LOGLOG_INV:
        return arena_printf(&m->a, "exp(-exp(-%s))", v[0].v);
    case FN_CAUCHIT_INV:
        return arena_printf(&m->a, "(0.5 + (1.0 / 3.14159265358979323846) * atan(%s))", v[0].v);
    case FN_STDNORM_CDF:
        return arena_printf(&m->a, "(0.5 * erfc(-%s / 1.4142135623730951))", v[0].v);
    case FN_STDNORM_IDF:
        m->helpers |= H_STDNORM;
        return arena_printf(&m->a, "nv_stdnorm_idf(%s)", v[0].v);
    case FN_ISNAN: return arena_printf(&m->a, "(%s != %s)", v[0].v, v[0].v);
    case FN_MIN:
    case FN_MAX:
    case FN_SUM:
    case FN_AVG:
    case FN_PRODUCT: {
        const char *acc = v[0].v;
        for (int i = 1; i < e->n; i++) {
            if (e->fn == FN_MIN)
                acc = arena_printf(&m->a, "(%s < %s ? %s : %s)", v[i].v, acc, v[i].v, acc);
            else if (e->fn == FN_MAX)
                acc = arena_printf(&m->a, "(%s > %s ? %s : %s)", v[i].v, acc, v[i].v, acc);
            else if (e->fn == FN_PRODUCT)
                acc = arena_printf(&m->a, "(%s * %s)", acc, v[i].v);
            else
                acc = arena_printf(&m->a, "(%s + %s)", acc, v[i].v);
        }
        if (e->fn == FN_AVG)
            acc = arena_printf(&m->a, "(%s / %d)", acc, e->n);
        return acc;
    }
    case FN_EQ: case FN_NE: case FN_LT: case FN_LE: case FN_GT: case FN_GE:
        return cmp_text(m, e->fn, v[0], v[1], is_str(e->a[0]));
    case FN_NOT: return arena_printf(&m->a, "(!%s)", v[0].v);
    case FN_LOWER:
        m->helpers |= H_LOWER | H_SCRATCH;
        return arena_printf(&m->a, "nv_lower(&S, %s)", v[0].v);
    case FN_UPPER:
        m->helpers |= H_UPPER | H_SCRATCH;
        return arena_printf(&m->a, "nv_upper(&S, %s)", v[0].v);
    case FN_TRIM:
        m->helpers |= H_TRIM | H_SCRATCH;
        return arena_printf(&m->a, "nv_trim(&S, %s)", v[0].v);
    case FN_STRLEN:
        return arena_printf(&m->a, "(long long)strlen(%s)", v[0].v);
    case FN_CONCAT: {
        m->helpers |= H_CONCAT | H_SCRATCH;
        const char *acc = v[0].v;
        for (int i = 1; i < e->n; i++)
            acc = arena_printf(&m->a, "nv_concat(&S, %s, %s)", acc, v[i].v);
        return acc;
    }
    case FN_SUBSTR:
        m->helpers |= H_SUBSTR | H_SCRATCH;
        return arena_printf(&m->a, "nv_substr(&S, %s, (long long)%s, (long long)%s)",
                            v[0].v, v[1].v, v[2].v);
    case FN_MEDIAN:
    case FN_WMEDIAN: {
        m->helpers |= H_MEDIAN;
        int nv = e->fn == FN_MEDIAN ? e->n : e->n / 2;
        const char *vs = "", *ws = "";
        for (int i = 0; i < nv; i++)
            vs = arena_printf(&m->a, "%s%s%s", vs, i ? ", " : "", v[i].v);
        for (int i = nv; i < e->n; i++)
            ws = arena_printf(&m->a, "%s%s%s", ws, i > nv ? ", " : "", v[i].v);
        if (e->fn == FN_MEDIAN)
            return arena_printf(&m->a, "nv_median((double[]){%s}, %d, 0)", vs, nv);
        return arena_printf(&m->a, "nv_median((double[]){%s}, %d, (const double[]){%s})", vs, nv, ws);
    }
    case FN_NUM_TO_STR:
    case FN_TO_STRING:
        m->helpers |= H_DTOSTR | H_SCRATCH;
        return arena_printf(&m->a, "nv_dtostr(&S, (double)%s, %d)", v[0].v,
                            ir_base(e->a[0]->type)->kind == T_FLOAT);
    default:
        break;
    }
    diag_error(m->d, e->loc, "the C backend has no code for function '%s'", ir_fn_name(e->fn));
    return "0";
}

/* ---- tree predicates, three-valued: 1 true, 0 false, -1 unknown ---- */

/* The sentinel a nested tree's variable holds while it is null (NaN for
   numbers, -1 for codes), or NULL when its type has none.  With it, a test
   that treats unknown as false needs no null check: every comparison a
   sentinel_test admits is false for the sentinel, as it is for null. */
static const char *null_sentinel(const IrType *t)
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
    if (pr->var < 0 || !m->env_var[pr->var] || !null_sentinel(m->p->vars[pr->var].type))
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
            m->helpers |= pr->kind == P_AND ? H_AND3 : pr->kind == P_OR ? H_OR3
                        : pr->kind == P_XOR ? H_XOR3 : H_SUR3;
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
            line(m, "    int p%d = %s;", c, pt[c]);
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
    line(m, "    int %s = %s;", s, acc);
    for (int i = first_true - 1; i >= 0; i--) {
        int c = nd->kids[i];
        if (strcmp(pt[c], "0") == 0)
            continue;
        if (unknown_to && pred_may_unknown(m, t->nodes[c].pred))
            line(m, "    %s ^= (%s ^ %s) & -(p%d < 0);", s, s, unknown_to, c);
        line(m, "    %s ^= (%s ^ %s) & -(p%d == 1);", s, s, kv[i], c);
    }
    return s;
}

/* node k and the small subtree below it, without branches */
static void emit_tree_select(Em *m, const IrTree *t, int k, const char **pt, const char *res, int L)
{
    line(m, "{");
    const char *s = select_node(m, t, k, pt);
    line(m, "    %s = %s; %s_n = %s < 0; goto done_%d;", res, s, res, res, L);
    line(m, "}");
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
    line(m, "{");
    m->ind++;
    int need_null = strcmp(pt[0], "1") != 0;
    if (need_null)
        line(m, "if (%s != 1) goto null_%d;", pt[0], L);
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
            line(m, "%s = %d; %s_n = 0; goto done_%d;", res, k, res, L);
            continue;
        }
        int decided = 0;
        for (int i = 0; i < nd->nkids && !decided; i++) {
            int c = nd->kids[i];
            if (strcmp(pt[c], "0") == 0)
                continue;
            if (strcmp(pt[c], "1") == 0) {
                line(m, "goto n%d_%d;", L, c);
                decided = 1;
                break;
            }
            if (!pred_may_unknown(m, t->nodes[c].pred) || t->missing == MV_NONE) {
                line(m, "if (%s == 1) goto n%d_%d;", pf[c], L, c);
                continue;
            }
            line(m, "{ int p = %s; if (p == 1) goto n%d_%d;", pt[c], L, c);
            switch (t->missing) {
            case MV_LAST_PREDICTION:
                line(m, "  if (p < 0) { %s = %d; %s_n = 0; goto done_%d; } }", res, k, res, L);
                break;
            case MV_NULL_PREDICTION:
                line(m, "  if (p < 0) goto null_%d; }", L);
                need_null = 1;
                break;
            default: /* MV_DEFAULT_CHILD */
                if (nd->default_child >= 0)
                    line(m, "  if (p < 0) goto n%d_%d; }", L, nd->default_child);
                else
                    line(m, "  if (p < 0) { %s = %d; %s_n = 0; goto done_%d; } }", res, k, res, L);
                break;
            }
        }
        if (decided)
            continue;
        if (t->no_true_child_null) {
            line(m, "goto null_%d;", L);
            need_null = 1;
        } else
            line(m, "%s = %d; %s_n = 0; goto done_%d;", res, k, res, L);
    }
    if (need_null) {
        sb_printf(m->out, "%*snull_%d:\n", (m->ind - 1) * 4, "", L);
        line(m, "%s = -1; %s_n = 1;", res, res);
    }
    sb_printf(m->out, "%*sdone_%d:;\n", (m->ind - 1) * 4, "", L);
    m->ind--;
    line(m, "}");
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
enum { LAY_NESTED, LAY_TABLE, LAY_GRAPH };
enum { SLOT_PLAIN, SLOT_NUMBER, SLOT_CODE };
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

static void emit_graph_walker(StrBuf *o, int positions, int nomask, int narrow)
{
    if (positions)
        sb_puts(o,
"/* the position of x among n sorted thresholds: 2i + 1 is threshold i */\n"
"static int nv_pos(const double *th, int n, double x)\n"
"{\n"
"    int lo = 0, hi = n;\n"
"    if (x != x) return -1;\n"
"    while (lo < hi) {\n"
"        int mid = lo + (hi - lo) / 2;\n"
"        if (th[mid] <= x) lo = mid + 1; else hi = mid;\n"
"    }\n"
"    return lo > 0 && th[lo - 1] == x ? 2 * lo - 1 : 2 * lo;\n"
"}\n\n");
    if (nomask)
        sb_puts(o, "static const unsigned long long nv_nomask[2] = {0, 0};\n\n");
    sb_puts(o,
"/* Trees as graphs of tests (nerva's docs/generated-code.md).  A test reads\n"
"   the position p of its value (fx[slot].p: among the thresholds for numbers,\n"
"   the code for strings; -1 NaN or unknown code; NV_GMISS missing).  op1 and\n"
"   op2 are its two questions: bits 1 p < tp, 2 p == tp, 4 p > tp, 8 NaN; or,\n"
"   with bit 16, whether the code is in mask M[tp] (op1) or M[tp + 1] (op2).\n"
"   Next test: k[1] when op1 holds, k[0] when only op2 does; when neither\n"
"   holds X[2d], when the value is missing X[2d + 1].  A negative destination\n"
"   ends the walk: -1 null, -(node + 2) the selected node. */\n"
"enum { NV_GMISS = -2147483647 - 1 };\n");
    /* the test in two widths; the 8-byte one, when every number fits, halves
       the memory a walk touches, which is what a large forest waits for */
    if (narrow)
        sb_puts(o,
"/* 8-byte tests: tp and k as shorts; slot in bits 0-6 of sl, bit 7 the\n"
"   set-membership flag (bit 16 of op1 and op2); op1 in bits 0-3 of ops,\n"
"   op2 in bits 4-7 */\n"
"typedef struct nv_gtest {\n"
"    short tp;\n"
"    short k[2];\n"
"    unsigned char sl, ops;\n"
"} nv_gtest;\n\n");
    else
        sb_puts(o,
"typedef struct nv_gtest {\n"
"    int tp;\n"
"    int k[2];\n"
"    unsigned short slot;\n"
"    unsigned char op1, op2;\n"
"} nv_gtest;\n\n");
    sb_puts(o,
"/* inline: the walkers call it from four lanes, and a call per step costs\n"
"   more than the step (measured: 14% fewer instructions on a 200-tree forest) */\n"
"static inline int nv_gstep(const nv_gtest *T, const int *X, const unsigned long long *M, int d,\n"
"                           const nv_slot *fx)\n"
"{\n"
"    const nv_gtest *g = &T[d];\n");
    sb_puts(o, narrow
? "    int p = fx[g->sl & 127].p, ism = g->sl >> 7, op1 = g->ops & 15, op2 = g->ops >> 4, tp = g->tp;\n"
: "    int p = fx[g->slot].p, ism = g->op1 >> 4, op1 = g->op1 & 15, op2 = g->op2 & 15, tp = g->tp;\n");
    sb_puts(o,
"    if (p >= 0) {\n"
"        /* no data-dependent branch here: compute both kinds, select */\n"
"        const unsigned long long *mk = M + (tp & -ism);\n"
"        int st = (p == tp) + 2 * (p > tp), in = p < 64, sh = p & 63;\n"
"        int n1 = (op1 >> st) & 1, n2 = (op2 >> st) & 1;\n"
"        int c1 = n1 ^ ((n1 ^ ((int)(mk[0] >> sh) & in)) & -ism);\n"
"        int c2 = n2 ^ ((n2 ^ ((int)(mk[1] >> sh) & in)) & -ism);\n"
"        if (c1 | c2) return g->k[c1];\n"
"    } else if (p == NV_GMISS) {\n"
"        return X[2 * d + 1];\n"
"    } else if (!ism && ((op1 | op2) & 8)) {\n"
"        return g->k[(op1 >> 3) & 1];\n"
"    }\n"
"    return X[2 * d];\n"
"}\n\n");
}

static void emit_graph_single(StrBuf *o)
{
    sb_puts(o,
"static int nv_gwalk(const nv_gtest *T, const int *X, const unsigned long long *M, int d,\n"
"                    const nv_slot *fx)\n"
"{\n"
"    while (d >= 0)\n"
"        d = nv_gstep(T, X, M, d, fx);\n"
"    return d == -1 ? -1 : -d - 2;\n"
"}\n\n");
}

/* Walking one tree is a chain of dependent loads; walking four at once lets
   the processor overlap their latencies.  A lane that finishes takes the
   next tree.  The lanes are written out, so their state lives in registers. */
static void emit_graph_forest(StrBuf *o)
{
    sb_puts(o,
"typedef struct nv_gtree {\n"
"    const nv_gtest *T;\n"
"    const int *X;\n"
"    const unsigned long long *M;\n"
"    int entry;\n"
"} nv_gtree;\n\n"
"static void nv_gwalk_all(const nv_gtree *F, int n, const nv_slot *fx, int *res)\n"
"{\n"
"    int next = 0, live = 0;\n");
    /* four lanes, each in its own variables (in registers, not an array) */
    for (int l = 0; l < 4; l++)
        sb_printf(o,
"    int t%d = -1, d%d = -1;\n"
"    const nv_gtest *T%d = 0;\n"
"    const int *X%d = 0;\n"
"    const unsigned long long *M%d = 0;\n"
"    if (next < n) { t%d = next++; T%d = F[t%d].T; X%d = F[t%d].X; M%d = F[t%d].M; d%d = F[t%d].entry; live++; }\n",
                  l, l, l, l, l, l, l, l, l, l, l, l, l, l);
    sb_puts(o, "    while (live) {\n");
    for (int l = 0; l < 4; l++)
        sb_printf(o,
"        if (d%d >= 0)\n"
"            d%d = nv_gstep(T%d, X%d, M%d, d%d, fx);\n"
"        else if (t%d >= 0) {\n"
"            res[t%d] = d%d == -1 ? -1 : -d%d - 2;\n"
"            if (next < n) { t%d = next++; T%d = F[t%d].T; X%d = F[t%d].X; M%d = F[t%d].M; d%d = F[t%d].entry; }\n"
"            else { t%d = -1; live--; }\n"
"        }\n",
                  l, l, l, l, l, l, l, l, l, l, l, l, l, l, l, l, l, l, l, l);
    sb_puts(o, "    }\n}\n\n");
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int any_graph_count(const Em *m)
{
    int n = 0;
    for (int t = 0; t < m->p->ntrees; t++)
        n += m->tree_table[t] == LAY_GRAPH;
    return n;
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

/* ---- expressions ---- */
static CVal emit_expr(Em *m, const IrExpr *e)
{
    CVal r = {"0", "0"};
    IrType *bt = ir_base(e->type);
    int nullable = ir_is_nullable(e->type);
    switch (e->kind) {
    case E_LIT:
        r.v = lit_value(m, e);
        r.n = e->lit_null ? "1" : "0";
        return r;
    case E_VAR:
        r.v = m->vname[e->var];
        r.n = m->nname[e->var];
        return r;
    case E_INPUT_INVALID:
        r.v = arena_printf(&m->a, "(in->state[%d] == NERVA_INVALID)",
                           m->p->vars[e->var].input);
        return r;
    case E_IS_NULL: {
        CVal x = emit_expr(m, e->a[0]);
        r.v = x.n;
        return r;
    }
    case E_NULL_IF_NAN: {
        CVal x = emit_expr(m, e->a[0]);
        const char *t = new_tmp(m, bt, 0);
        line(m, "%s = %s;", t, x.v);
        r.v = t;
        r.n = arena_printf(&m->a, "(%s || %s != %s)", x.n, t, t);
        if (strcmp(x.n, "0") == 0)
            r.n = arena_printf(&m->a, "(%s != %s)", t, t);
        return r;
    }
    case E_CALL: {
        CVal *v = ARENA_ARRAY(&m->a, CVal, e->n ? e->n : 1);
        if (e->fn == FN_AND || e->fn == FN_OR) {
            /* three-valued: a false (true) operand decides even beside null */
            int isand = e->fn == FN_AND;
            int L = ++m->label;
            const char *t = new_tmp(m, bt, 1);
            line(m, "%s = %d; %s_n = 0;", t, isand, t);
            for (int i = 0; i < e->n; i++) {
                CVal x = emit_expr(m, e->a[i]);
                line(m, "if (%s) %s_n = 1; else if (%s%s) { %s = %d; %s_n = 0; goto sc_%d; }",
                     x.n, t, isand ? "!" : "", x.v, t, !isand, t, L);
            }
            line(m, "sc_%d:;", L);
            r.v = t;
            r.n = arena_printf(&m->a, "%s_n", t);
            return r;
        }
        for (int i = 0; i < e->n; i++)
            v[i] = emit_expr(m, e->a[i]);
        const char *nulls = or_nulls(m, v, e->n);
        const char *txt = call_text(m, e, v);
        const char *t = new_tmp(m, bt, 0);
        if (strcmp(nulls, "0") == 0 || !nullable) {
            line(m, "%s = %s;", t, txt);
            r.v = t;
            return r;
        }
        line(m, "int %s_n = %s;", t, nulls);
        line(m, "%s = %s_n ? %s : %s;", t, t, czero(bt), txt);
        r.v = t;
        r.n = arena_printf(&m->a, "%s_n", t);
        return r;
    }
    case E_IF: {
        CVal c = emit_expr(m, e->a[0]);
        const char *t = new_tmp(m, bt, 1);
        line(m, "if (!(%s) && %s) {", c.n, c.v);
        m->ind++;
        CVal x = emit_expr(m, e->a[1]);
        line(m, "%s = %s; %s_n = %s;", t, x.v, t, x.n);
        m->ind--;
        line(m, "} else if (!(%s)) {", c.n);
        m->ind++;
        CVal y = emit_expr(m, e->a[2]);
        line(m, "%s = %s; %s_n = %s;", t, y.v, t, y.n);
        m->ind--;
        line(m, "}");
        r.v = t;
        r.n = arena_printf(&m->a, "%s_n", t);
        return r;
    }
    case E_COALESCE: {
        const char *t = new_tmp(m, bt, 1);
        int depth = 0;
        for (int i = 0; i < e->n; i++) {
            CVal x = emit_expr(m, e->a[i]);
            line(m, "%s = %s; %s_n = %s;", t, x.v, t, x.n);
            if (i + 1 < e->n) {
                line(m, "if (%s_n) {", t);
                m->ind++;
                depth++;
            }
        }
        while (depth--) {
            m->ind--;
            line(m, "}");
        }
        r.v = t;
        r.n = arena_printf(&m->a, "%s_n", t);
        return r;
    }
    case E_CAST: {
        CVal x = emit_expr(m, e->a[0]);
        IrType *xt = ir_base(e->a[0]->type);
        const char *t = new_tmp(m, bt, 1);
        if (xt->kind == T_STRING && bt->kind != T_STRING) {
            m->helpers |= H_STRTOD;
            line(m, "if (!(%s)) { double d; if (nv_strtod(%s, &d)) { %s = (%s)d; %s_n = 0; } }",
                 x.n, x.v, t, ctype(bt), t);
        } else if (bt->kind == T_STRING && xt->kind != T_STRING) {
            m->helpers |= H_DTOSTR | H_SCRATCH;
            if (xt->kind == T_BOOL)
                line(m, "if (!(%s)) { %s = %s ? \"true\" : \"false\"; %s_n = 0; }", x.n, t, x.v, t);
            else
                line(m, "if (!(%s)) { %s = nv_dtostr(&S, (double)%s, %d); %s_n = 0; }", x.n, t,
                     x.v, xt->kind == T_FLOAT ? 1 : (xt->kind == T_LONG || xt->kind == T_INT) ? 2 : 0,
                     t);
        } else if ((bt->kind == T_LONG || bt->kind == T_INT) &&
                   (xt->kind == T_DOUBLE || xt->kind == T_FLOAT)) {
            /* truncation toward zero, only when the value fits */
            line(m, "if (!(%s) && %s >= -9.2e18 && %s <= 9.2e18) { %s = (%s)%s; %s_n = 0; }",
                 x.n, x.v, x.v, t, ctype(bt), x.v, t);
        } else {
            line(m, "%s = (%s)%s; %s_n = %s;", t, ctype(bt), x.v, t, x.n);
        }
        r.v = t;
        r.n = arena_printf(&m->a, "%s_n", t);
        return r;
    }
    case E_STR_IN: {
        CVal x = emit_expr(m, e->a[0]);
        const char *acc = NULL;
        for (int i = 0; i < e->nstrs; i++) {
            const char *t = arena_printf(&m->a, "strcmp(%s, %s) == 0", x.v,
                                         c_string(&m->a, e->strs[i]));
            acc = acc ? arena_printf(&m->a, "%s || %s", acc, t) : t;
        }
        const char *t = new_tmp(m, bt, 0);
        if (strcmp(x.n, "0") == 0)
            line(m, "%s = %s;", t, acc ? acc : "0");
        else
            line(m, "%s = !(%s) && (%s);", t, x.n, acc ? acc : "0");
        r.v = t;
        r.n = x.n;
        return r;
    }
    case E_CODE_IN: {
        CVal x = emit_expr(m, e->a[0]);
        const char *t = new_tmp(m, bt, 0);
        line(m, "%s = %s(unsigned)%s < 64u && ((0x%llxULL >> %s) & 1u);", t,
             strcmp(x.n, "0") ? arena_printf(&m->a, "!(%s) && ", x.n) : "", x.v,
             (unsigned long long)e->lit_long, x.v);
        r.v = t;
        r.n = x.n;
        return r;
    }
    case E_TEXT_INDEX: {
        CVal x = emit_expr(m, e->a[0]);
        CVal y = emit_expr(m, e->a[1]);
        m->helpers |= H_TEXT | H_SCRATCH;
        const IrTextIndex *ti = m->p->texts[e->tree];
        const char *t = new_tmp(m, bt, 1);
        const char *call = arena_printf(&m->a, "nv_tf(&S, &tix%d, &tcache[%d], %s, %s)", e->tree,
                                        e->tree, x.v, y.v);
        if (ti->weight == TW_BINARY)
            call = arena_printf(&m->a, "(%s > 0 ? 1 : 0)", call);
        else if (ti->weight == TW_LOGARITHMIC)
            call = arena_printf(&m->a, "log10(1.0 + (double)%s)", call);
        line(m, "if (!(%s) && !(%s)) { %s = %s; %s_n = 0; }", x.n, y.n, t, call, t);
        r.v = t;
        r.n = arena_printf(&m->a, "%s_n", t);
        return r;
    }
    case E_INTERN: {
        CVal x = emit_expr(m, e->a[0]);
        int di;
        for (di = 0; di < m->ndicts; di++)
            if (m->dicts[di] == e->strs)
                break;
        if (di == m->ndicts) {
            VEC_PUSH(&m->a, m->dicts, m->ndicts, m->cap_dicts, e->strs);
            sb_printf(&m->dict_text, "static const char *const dict%d[] = {", di);
            for (int i = 0; i < e->nstrs; i++)
                sb_printf(&m->dict_text, "%s%s,", i % 8 == 0 ? "\n    " : " ", c_string(&m->a, e->strs[i]));
            sb_puts(&m->dict_text, "\n};\n");
        }
        m->helpers |= H_INTERN;
        const char *t = new_tmp(m, bt, 0);
        line(m, "%s = %s ? -1 : nv_intern(%s, dict%d, %d);", t, x.n, x.v, di, e->nstrs);
        r.v = t;
        r.n = x.n;
        return r;
    }
    case E_TREE: {
        const IrTree *tr = m->p->trees[e->tree];
        const char *t = new_tmp(m, bt, 1);
        line(m, "/* tree %d: %d nodes, line %d */", e->tree, tr->nnodes, tr->loc.line);
        if (m->tree_table[e->tree] == LAY_GRAPH && m->in_forest[e->tree] >= 0)
            line(m, "%s = gres[%d];", t, m->in_forest[e->tree]);
        else if (m->tree_table[e->tree] == LAY_GRAPH)
            line(m, "%s = nv_gwalk(tree%d_g, tree%d_x, %s, %d, fx);", t, e->tree, e->tree,
                 m->graph[e->tree]->nmasks ? arena_printf(&m->a, "tree%d_m", e->tree) : "nv_nomask",
                 graph_dest(m->graph[e->tree], m->graph[e->tree]->entry));
        else if (m->tree_table[e->tree] == LAY_TABLE)
            line(m, "%s = nv_walk(tree%d_nodes, tree%d_kids, %d, %d, fx);", t, e->tree, e->tree,
                 (int)tr->missing, tr->no_true_child_null);
        else
            line(m, "%s = nv_tree%d(&E);", t, e->tree);
        line(m, "%s_n = %s < 0;", t, t);
        r.v = t;
        r.n = arena_printf(&m->a, "%s_n", t);
        return r;
    }
    case E_TREE_GET: {
        CVal x = emit_expr(m, e->a[0]);
        const char *t = new_tmp(m, bt, 1);
        const IrTreeCol *col = &m->p->trees[e->tree]->cols[e->col];
        int has_null = 0;
        for (int i = 0; i < m->p->trees[e->tree]->nnodes; i++)
            has_null |= col->is_null[i];
        line(m, "if (!(%s)) { %s = tree%d_c%d[%s]; %s_n = %s; }", x.n, t, e->tree, e->col, x.v,
             t, has_null ? arena_printf(&m->a, "tree%d_c%d_null[%s]", e->tree, e->col, x.v) : "0");
        r.v = t;
        r.n = arena_printf(&m->a, "%s_n", t);
        return r;
    }
    default:
        break;
    }
    NV_ASSERT(0);
}

/* table-driven trees read a variable through its slot in fx: every write of
   the variable is copied there */
static const char *slot_mirror(Em *m, int v)
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
        pos = arena_printf(&m->a, " fx[%d].p = %s ? NV_GMISS : nv_pos(nv_th + %d, %d, (double)%s);", s,
                           m->nname[v], m->th_off[s], m->nth[s], m->vname[v]);
    return arena_printf(&m->a, " fx[%d].d = (double)%s; fx[%d].n = %s;%s", s, m->vname[v], s,
                        m->nname[v], pos);
}

/* whether a variable's value (not only its null flag) is stored */
static int keeps_value(const Em *m, int v)
{
    return m->val_read[v] || m->slot_of_var[v] >= 0 || m->env_var[v];
}

static void emit_block(Em *m, const IrBlock *b)
{
    for (int i = 0; i < b->n; i++) {
        const IrStmt *s = b->s[i];
        if (s->comment) {
            sb_printf(m->out, "%*s/* ", m->ind * 4, "");
            comment_text(m->out, s->comment, 160);
            if (s->loc.line)
                sb_printf(m->out, " (line %d)", s->loc.line);
            sb_puts(m->out, " */\n");
        }
        switch (s->kind) {
        case S_SET: {
            line(m, "{");
            m->ind++;
            CVal x = emit_expr(m, s->e);
            const IrVar *v = &m->p->vars[s->var];
            const char *sent = m->env_var[s->var] ? null_sentinel(v->type) : NULL;
            if (sent && strcmp(x.n, "0") != 0)
                line(m, "%s = %s ? %s : %s;", m->vname[s->var], x.n, sent, x.v);
            else if (keeps_value(m, s->var))
                line(m, "%s = %s;", m->vname[s->var], x.v);
            if (ir_is_nullable(v->type))
                line(m, "%s = %s;", m->nname[s->var], x.n);
            if (m->slot_of_var[s->var] >= 0)
                line(m, "%s", slot_mirror(m, s->var) + 1);
            m->ind--;
            line(m, "}");
            break;
        }
        case S_IF: {
            line(m, "{");
            m->ind++;
            CVal c = emit_expr(m, s->e);
            line(m, "if (!(%s) && %s) {", c.n, c.v);
            m->ind++;
            emit_block(m, &s->then_b);
            m->ind--;
            if (s->else_b.n) {
                line(m, "} else {");
                m->ind++;
                emit_block(m, &s->else_b);
                m->ind--;
            }
            line(m, "}");
            m->ind--;
            line(m, "}");
            break;
        }
        case S_RETURN_INVALID:
            line(m, "return NERVA_RESULT_INVALID;");
            break;
        default:
            NV_ASSERT(0);
        }
    }
}

/* ---- helpers printed into the unit when used ---- */
static void emit_helpers(Em *m, StrBuf *o)
{
    unsigned h = m->helpers;
    if (h & H_SCRATCH)
        sb_puts(o,
"/* per-record scratch space for computed strings, inside the output struct */\n"
"typedef struct nv_scratch { char *base; size_t used, cap; int overflow; } nv_scratch;\n\n"
"static char *nv_alloc(nv_scratch *S, size_t n)\n"
"{\n"
"    char *p;\n"
"    if (S->cap - S->used < n) { S->overflow = 1; return NULL; }\n"
"    p = S->base + S->used;\n"
"    S->used += n;\n"
"    return p;\n"
"}\n\n");
    if (h & (H_LOWER | H_UPPER)) {
        for (int up = 0; up < 2; up++) {
            if (!(h & (up ? H_UPPER : H_LOWER)))
                continue;
            sb_printf(o,
"static const char *nv_%s(nv_scratch *S, const char *s)\n"
"{\n"
"    size_t i, n = strlen(s);\n"
"    char *p = nv_alloc(S, n + 1);\n"
"    if (!p) return \"\";\n"
"    for (i = 0; i <= n; i++)\n"
"        p[i] = (char)(s[i] >= '%c' && s[i] <= '%c' ? s[i] %c 32 : s[i]);\n"
"    return p;\n"
"}\n\n", up ? "upper" : "lower", up ? 'a' : 'A', up ? 'z' : 'Z', up ? '-' : '+');
        }
    }
    if (h & H_CONCAT)
        sb_puts(o,
"static const char *nv_concat(nv_scratch *S, const char *a, const char *b)\n"
"{\n"
"    size_t na = strlen(a), nb = strlen(b);\n"
"    char *p = nv_alloc(S, na + nb + 1);\n"
"    if (!p) return \"\";\n"
"    memcpy(p, a, na);\n"
"    memcpy(p + na, b, nb + 1);\n"
"    return p;\n"
"}\n\n");
    if (h & H_SUBSTR)
        sb_puts(o,
"/* PMML substring: 1-based start, length in characters (bytes here) */\n"
"static const char *nv_substr(nv_scratch *S, const char *s, long long start, long long len)\n"
"{\n"
"    size_t n = strlen(s), b, k;\n"
"    char *p;\n"
"    if (start < 1) start = 1;\n"
"    if (len < 0) len = 0;\n"
"    b = (size_t)start - 1 < n ? (size_t)start - 1 : n;\n"
"    k = (size_t)len < n - b ? (size_t)len : n - b;\n"
"    p = nv_alloc(S, k + 1);\n"
"    if (!p) return \"\";\n"
"    memcpy(p, s + b, k);\n"
"    p[k] = 0;\n"
"    return p;\n"
"}\n\n");
    if (h & H_TRIM)
        sb_puts(o,
"static const char *nv_trim(nv_scratch *S, const char *s)\n"
"{\n"
"    size_t n;\n"
"    char *p;\n"
"    while (*s == ' ' || *s == '\\t' || *s == '\\n' || *s == '\\r') s++;\n"
"    n = strlen(s);\n"
"    while (n && (s[n-1] == ' ' || s[n-1] == '\\t' || s[n-1] == '\\n' || s[n-1] == '\\r')) n--;\n"
"    p = nv_alloc(S, n + 1);\n"
"    if (!p) return \"\";\n"
"    memcpy(p, s, n);\n"
"    p[n] = 0;\n"
"    return p;\n"
"}\n\n");
    if (h & H_DTOSTR)
        sb_puts(o,
"/* number to text: integers without a fraction, others shortest round-trip */\n"
"static const char *nv_dtostr(nv_scratch *S, double v, int kind)\n"
"{\n"
"    char buf[40];\n"
"    char *p;\n"
"    int prec;\n"
"    if (kind == 2 || (v == floor(v) && fabs(v) < 1e15))\n"
"        sprintf(buf, \"%.0f\", v);\n"
"    else\n"
"        for (prec = 1; prec <= 17; prec++) {\n"
"            sprintf(buf, \"%.*g\", prec, v);\n"
"            if (kind == 1 ? (float)strtod(buf, NULL) == (float)v : strtod(buf, NULL) == v) break;\n"
"        }\n"
"    p = nv_alloc(S, strlen(buf) + 1);\n"
"    if (!p) return \"\";\n"
"    strcpy(p, buf);\n"
"    return p;\n"
"}\n\n");
    if (h & H_STRTOD)
        sb_puts(o,
"static int nv_strtod(const char *s, double *out)\n"
"{\n"
"    char *end;\n"
"    if (!*s) return 0;\n"
"    *out = strtod(s, &end);\n"
"    while (*end == ' ') end++;\n"
"    return end != s && *end == 0;\n"
"}\n\n");
    if (h & H_MOD)
        sb_puts(o,
"/* PMML modulo: the result has the sign of the divisor */\n"
"static double nv_mod(double x, double y)\n"
"{\n"
"    return x - floor(x / y) * y;\n"
"}\n\n");
    if (h & H_ROUND)
        sb_puts(o,
"/* PMML round: half away from negative infinity, as Java's Math.round */\n"
"static double nv_round(double x)\n"
"{\n"
"    return floor(x + 0.5);\n"
"}\n\n");
    if (h & H_STDNORM)
        sb_puts(o,
"/* inverse of the standard normal CDF (Acklam's rational approximation,\n"
"   refined by one Halley step to full double precision) */\n"
"static double nv_stdnorm_idf(double p)\n"
"{\n"
"    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,\n"
"        -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};\n"
"    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,\n"
"        -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01};\n"
"    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,\n"
"        -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};\n"
"    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,\n"
"        2.445134137142996e+00, 3.754408661907416e+00};\n"
"    double q, r, x, e, u;\n"
"    if (p <= 0) return p == 0 ? -HUGE_VAL : NAN;\n"
"    if (p >= 1) return p == 1 ? HUGE_VAL : NAN;\n"
"    if (p < 0.02425) {\n"
"        q = sqrt(-2 * log(p));\n"
"        x = (((((c[0]*q+c[1])*q+c[2])*q+c[3])*q+c[4])*q+c[5]) / ((((d[0]*q+d[1])*q+d[2])*q+d[3])*q+1);\n"
"    } else if (p > 1 - 0.02425) {\n"
"        q = sqrt(-2 * log(1 - p));\n"
"        x = -(((((c[0]*q+c[1])*q+c[2])*q+c[3])*q+c[4])*q+c[5]) / ((((d[0]*q+d[1])*q+d[2])*q+d[3])*q+1);\n"
"    } else {\n"
"        q = p - 0.5;\n"
"        r = q * q;\n"
"        x = (((((a[0]*r+a[1])*r+a[2])*r+a[3])*r+a[4])*r+a[5])*q / (((((b[0]*r+b[1])*r+b[2])*r+b[3])*r+b[4])*r+1);\n"
"    }\n"
"    e = 0.5 * erfc(-x / sqrt(2.0)) - p;\n"
"    u = e * sqrt(2 * 3.14159265358979323846) * exp(x * x / 2);\n"
"    return x - u / (1 + x * u / 2);\n"
"}\n\n");
    if (h & H_MEDIAN)
        sb_puts(o,
"/* (weighted) median of the non-NaN values; sorts v in place */\n"
"static double nv_median(double *v, int n, const double *w)\n"
"{\n"
"    double wt[256], total = 0, run = 0, x, y;\n"
"    int i, j, m = 0;\n"
"    for (i = 0; i < n && m < 256; i++)\n"
"        if (v[i] == v[i]) { v[m] = v[i]; wt[m] = w ? w[i] : 1; m++; }\n"
"    if (m == 0) return NAN;\n"
"    for (i = 1; i < m; i++)\n"
"        for (j = i; j > 0 && v[j - 1] > v[j]; j--) {\n"
"            x = v[j]; v[j] = v[j - 1]; v[j - 1] = x;\n"
"            y = wt[j]; wt[j] = wt[j - 1]; wt[j - 1] = y;\n"
"        }\n"
"    if (!w) return m % 2 ? v[m / 2] : (v[m / 2 - 1] + v[m / 2]) / 2;\n"
"    for (i = 0; i < m; i++) total += wt[i];\n"
"    for (i = 0; i < m; i++) { run += wt[i]; if (run >= total / 2) return v[i]; }\n"
"    return v[m - 1];\n"
"}\n\n");
    if (h & H_TEXT)
        sb_puts(o,
"/* PMML TextIndex: normalise the text (rules), split it into tokens, count\n"
"   the term's token sequence in it.  A text is tokenised once per record. */\n"
"typedef struct nv_trule { int words; const char *const *strs; int nstrs; const char *out; } nv_trule;\n"
"typedef struct nv_tix { int tokenizer, cs, recursive; const nv_trule *rules; int nrules; } nv_tix;\n"
"typedef struct nv_tcache { const char *src, *norm; int ntok; const int *off, *len; } nv_tcache;\n\n"
"static int nv_wordch(unsigned char c)\n"
"{\n"
"    return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;\n"
"}\n\n"
"static int nv_lc(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }\n\n"
"static int nv_ncmp(const char *a, size_t na, const char *b, int cs)\n"
"{\n"
"    size_t i;\n"
"    for (i = 0; i < na && b[i]; i++) {\n"
"        int x = cs ? (unsigned char)a[i] : nv_lc((unsigned char)a[i]);\n"
"        int y = cs ? (unsigned char)b[i] : nv_lc((unsigned char)b[i]);\n"
"        if (x != y) return x - y;\n"
"    }\n"
"    if (i < na) return 1;\n"
"    return b[i] ? -1 : 0;\n"
"}\n\n"
"/* is the word a[0..n) among the sorted strs? */\n"
"static int nv_inset(const nv_trule *r, const char *a, size_t n, int cs)\n"
"{\n"
"    int lo = 0, hi = r->nstrs - 1;\n"
"    while (lo <= hi) {\n"
"        int mid = (lo + hi) / 2, c = nv_ncmp(a, n, r->strs[mid], cs);\n"
"        if (c == 0) return 1;\n"
"        if (c < 0) hi = mid - 1; else lo = mid + 1;\n"
"    }\n"
"    return 0;\n"
"}\n\n"
"/* one rule over s; *changed tells whether anything was replaced */\n"
"static const char *nv_trule_apply(nv_scratch *S, const nv_trule *r, int cs, const char *s, int *changed)\n"
"{\n"
"    size_t n = strlen(s), nout = strlen(r->out), need = 0, i, j, k, lit = r->words ? 0 : strlen(r->strs[0]);\n"
"    char *p;\n"
"    int pass;\n"
"    for (pass = 0; pass < 2; pass++) {\n"
"        k = 0;\n"
"        for (i = 0; i < n;) {\n"
"            if (r->words && nv_wordch((unsigned char)s[i])) {\n"
"                for (j = i; j < n && nv_wordch((unsigned char)s[j]); j++) ;\n"
"                if (nv_inset(r, s + i, j - i, cs)) {\n"
"                    if (pass) memcpy(p + k, r->out, nout);\n"
"                    k += nout;\n"
"                    *changed = 1;\n"
"                } else {\n"
"                    if (pass) memcpy(p + k, s + i, j - i);\n"
"                    k += j - i;\n"
"                }\n"
"                i = j;\n"
"            } else if (!r->words && i + lit <= n && nv_ncmp(s + i, lit, r->strs[0], cs) == 0) {\n"
"                if (pass) memcpy(p + k, r->out, nout);\n"
"                k += nout;\n"
"                i += lit;\n"
"                *changed = 1;\n"
"            } else {\n"
"                if (pass) p[k] = s[i];\n"
"                k++;\n"
"                i++;\n"
"            }\n"
"        }\n"
"        if (!pass) {\n"
"            need = k;\n"
"            p = nv_alloc(S, need + 1);\n"
"            if (!p) return \"\";\n"
"        }\n"
"    }\n"
"    p[need] = 0;\n"
"    return p;\n"
"}\n\n"
"static int nv_space(unsigned char c) { return c == ' ' || (c >= 9 && c <= 13); }\n"
"/* Java's \\p{Punct}: ASCII punctuation, '_' included */\n"
"static int nv_punct(unsigned char c) { return c == '_' || (c > 32 && c < 127 && !nv_wordch(c)); }\n\n"
"static int nv_tokeq(const char *a, const char *b, int n, int cs)\n"
"{\n"
"    int i, x, y;\n"
"    for (i = 0; i < n; i++) {\n"
"        x = (unsigned char)a[i];\n"
"        y = (unsigned char)b[i];\n"
"        if (!cs) { x = nv_lc(x); y = nv_lc(y); }\n"
"        if (x != y) return 0;\n"
"    }\n"
"    return 1;\n"
"}\n\n"
"/* tokens of s as offsets and lengths; returns the count, fills off/len when given */\n"
"static int nv_tokens(int tokenizer, const char *s, int *off, int *len)\n"
"{\n"
"    int n = 0;\n"
"    size_t i = 0, j, a, b;\n"
"    while (s[i]) {\n"
"        if (tokenizer == 1) {\n"
"            unsigned char c = (unsigned char)s[i];\n"
"            if (!(c < 0x80 && nv_wordch(c))) { i++; continue; }\n"
"            for (j = i; s[j] && (unsigned char)s[j] < 0x80 && nv_wordch((unsigned char)s[j]); j++) ;\n"
"            a = i; b = j;\n"
"        } else {\n"
"            if (nv_space((unsigned char)s[i])) { i++; continue; }\n"
"            for (j = i; s[j] && !nv_space((unsigned char)s[j]); j++) ;\n"
"            a = i; b = j;\n"
"            while (a < b && nv_punct((unsigned char)s[a])) a++;\n"
"            while (b > a && nv_punct((unsigned char)s[b - 1])) b--;\n"
"        }\n"
"        if (b > a) {\n"
"            if (off) { off[n] = (int)a; len[n] = (int)(b - a); }\n"
"            n++;\n"
"        }\n"
"        i = j;\n"
"    }\n"
"    return n;\n"
"}\n\n"
"static long long nv_tf(nv_scratch *S, const nv_tix *t, nv_tcache *c, const char *text, const char *term)\n"
"{\n"
"    int toff[64], tlen[64], nt, i, j, count = 0;\n"
"    if (c->src != text) {\n"
"        const char *s = text;\n"
"        int round, k, changed;\n"
"        int *off, *len;\n"
"        for (round = 0; round < (t->recursive ? 64 : 1); round++) {\n"
"            changed = 0;\n"
"            for (k = 0; k < t->nrules; k++) s = nv_trule_apply(S, &t->rules[k], t->cs, s, &changed);\n"
"            if (!changed) break;\n"
"        }\n"
"        c->ntok = nv_tokens(t->tokenizer, s, NULL, NULL);\n"
"        /* the int arrays below need int alignment of the address itself */\n"
"        k = (int)(-(uintptr_t)(S->base + S->used) & (sizeof(int) - 1));\n"
"        if (S->cap - S->used < (size_t)k) { S->overflow = 1; return 0; }\n"
"        S->used += (size_t)k;\n"
"        off = (int *)(void *)nv_alloc(S, sizeof(int) * (size_t)(c->ntok + 1));\n"
"        len = (int *)(void *)nv_alloc(S, sizeof(int) * (size_t)(c->ntok + 1));\n"
"        if (!off || !len) return 0;\n"
"        nv_tokens(t->tokenizer, s, off, len);\n"
"        c->src = text; c->norm = s; c->off = off; c->len = len;\n"
"    }\n"
"    nt = nv_tokens(t->tokenizer, term, NULL, NULL);\n"
"    if (nt == 0 || nt > 64) return 0;\n"
"    nv_tokens(t->tokenizer, term, toff, tlen);\n"
"    for (i = 0; i + nt <= c->ntok; i++) {\n"
"        for (j = 0; j < nt; j++)\n"
"            if (c->len[i + j] != tlen[j] ||\n"
"                !nv_tokeq(c->norm + c->off[i + j], term + toff[j], tlen[j], t->cs)) break;\n"
"        if (j == nt) count++;\n"
"    }\n"
"    return count;\n"
"}\n\n");
    if (h & H_INTERN)
        sb_puts(o,
"/* the index of s in a sorted dictionary, or -1: strings compared once */\n"
"static int nv_intern(const char *s, const char *const *d, int n)\n"
"{\n"
"    int lo = 0, hi = n - 1;\n"
"    while (lo <= hi) {\n"
"        int mid = lo + (hi - lo) / 2;\n"
"        int c = (unsigned char)s[0] - (unsigned char)d[mid][0];\n"
"        if (c == 0 && s[0]) c = strcmp(s + 1, d[mid] + 1);\n"
"        if (c == 0) return mid;\n"
"        if (c < 0) hi = mid - 1; else lo = mid + 1;\n"
"    }\n"
"    return -1;\n"
"}\n\n");
    if (h & (H_AND3 | H_OR3 | H_XOR3 | H_SUR3))
        sb_puts(o, "/* three-valued logic of PMML predicates: 1 true, 0 false, -1 unknown */\n");
    if (h & H_AND3)
        sb_puts(o, "static int nv_and3(int a, int b) { return (a == 0 || b == 0) ? 0 : (a < 0 || b < 0) ? -1 : 1; }\n");
    if (h & H_OR3)
        sb_puts(o, "static int nv_or3(int a, int b) { return (a == 1 || b == 1) ? 1 : (a < 0 || b < 0) ? -1 : 0; }\n");
    if (h & H_XOR3)
        sb_puts(o, "static int nv_xor3(int a, int b) { return (a < 0 || b < 0) ? -1 : (a != b); }\n");
    if (h & H_SUR3)
        sb_puts(o, "static int nv_sur3(int a, int b) { return a >= 0 ? a : b; }\n");
    if (h & (H_AND3 | H_OR3 | H_XOR3 | H_SUR3))
        sb_putc(o, '\n');
}

static void emit_walker(StrBuf *o)
{
    sb_puts(o,
"/* Large ensembles are laid out as node tables walked by one loop: gcc\n"
"   compiles tables far faster than thousands of nested branches. */\n"
"typedef struct nv_tnode {\n"
"    int kind, op, slot;\n"
"    double num;\n"
"    int aux, naux, kid0, nkids, dflt;\n"
"} nv_tnode;\n\n"
"static int nv_cmp(double a, int op, double b)\n"
"{\n"
"    switch (op) {\n"
"    case 0: return a == b;\n"
"    case 1: return a != b;\n"
"    case 2: return a < b;\n"
"    case 3: return a <= b;\n"
"    case 4: return a > b;\n"
"    default: return a >= b;\n"
"    }\n"
"}\n\n"
"static int nv_tpred(const nv_tnode *t, const nv_slot *fx)\n"
"{\n"
"    const nv_slot *s = &fx[t->slot];\n"
"    int i;\n"
"    switch (t->kind) {\n"
"    case 0: return 1;\n"
"    case 1: return 0;\n"
"    case 4: return s->n;\n"
"    case 5: return !s->n;\n"
"    default: break;\n"
"    }\n"
"    if (s->n) return -1;\n"
"    switch (t->kind) {\n"
"    case 2: return nv_cmp(s->d, t->op, t->num);\n"
"    case 3: return nv_cmp((double)strcmp(s->s, nv_tstr[t->aux]), t->op, 0.0);\n"
"    case 6: case 7:\n"
"        for (i = 0; i < t->naux; i++) if (s->d == nv_tnum[t->aux + i]) return t->kind == 6;\n"
"        return t->kind == 7;\n"
"    default:\n"
"        for (i = 0; i < t->naux; i++) if (strcmp(s->s, nv_tstr[t->aux + i]) == 0) return t->kind == 8;\n"
"        return t->kind == 9;\n"
"    }\n"
"}\n\n"
"/* returns the chosen node, or -1 for a null prediction */\n"
"static int nv_walk(const nv_tnode *T, const int *kids, int missing, int notrue_null,\n"
"                   const nv_slot *fx)\n"
"{\n"
"    int k = 0, i, p, next;\n"
"    if (nv_tpred(&T[0], fx) != 1) return -1;\n"
"    for (;;) {\n"
"        const nv_tnode *n = &T[k];\n"
"        if (n->nkids == 0) return k;\n"
"        next = -1;\n"
"        for (i = 0; i < n->nkids; i++) {\n"
"            int c = kids[n->kid0 + i];\n"
"            p = nv_tpred(&T[c], fx);\n"
"            if (p == 1) { next = c; break; }\n"
"            if (p < 0) {\n"
"                if (missing == 1) return k;\n"
"                if (missing == 2) return -1;\n"
"                if (missing == 3) { if (n->dflt >= 0) { next = n->dflt; break; } return k; }\n"
"            }\n"
"        }\n"
"        if (next < 0) return notrue_null ? -1 : k;\n"
"        k = next;\n"
"    }\n"
"}\n\n");
}

static int lc_cmp(const void *a, const void *b)
{
    const unsigned char *x = *(const unsigned char *const *)a, *y = *(const unsigned char *const *)b;
    for (;; x++, y++) {
        int cx = *x >= 'A' && *x <= 'Z' ? *x + 32 : *x;
        int cy = *y >= 'A' && *y <= 'Z' ? *y + 32 : *y;
        if (cx != cy || !cx)
            return cx - cy;
    }
}

static int cs_cmp(const void *a, const void *b)
{
    const unsigned char *x = *(const unsigned char *const *)a, *y = *(const unsigned char *const *)b;
    for (; *x && *x == *y; x++, y++)
        ;
    return *x - *y;
}

/* a text index's rules as constant tables; word lists sorted for bsearch */
static void emit_text_index(Em *m, const IrTextIndex *t, int ti, StrBuf *o)
{
    sb_printf(o, "/* TextIndex (line %d) */\n", t->loc.line);
    for (int r = 0; r < t->nrules; r++) {
        const IrTextRule *ru = &t->rules[r];
        const char **w = ARENA_ARRAY(&m->a, const char *, ru->nstrs + 1);
        memcpy(w, ru->strs, sizeof *w * (size_t)ru->nstrs);
        if (ru->words)
            qsort(w, (size_t)ru->nstrs, sizeof *w, t->case_sensitive ? cs_cmp : lc_cmp);
        sb_printf(o, "static const char *const tix%d_r%d[] = {", ti, r);
        for (int i = 0; i < ru->nstrs; i++)
            sb_printf(o, "%s%s,", i % 8 == 0 ? "\n    " : " ", c_string(&m->a, w[i]));
        sb_puts(o, "\n};\n");
    }
    sb_printf(o, "static const nv_trule tix%d_rules[] = {\n", ti);
    for (int r = 0; r < t->nrules; r++)
        sb_printf(o, "    {%d, tix%d_r%d, %d, %s},\n", t->rules[r].words, ti, r, t->rules[r].nstrs,
                  c_string(&m->a, t->rules[r].out));
    if (t->nrules == 0)
        sb_puts(o, "    {0, 0, 0, \"\"},\n");
    sb_puts(o, "};\n");
    sb_printf(o, "static const nv_tix tix%d = {%d, %d, %d, tix%d_rules, %d};\n\n", ti,
              t->tokenizer == TOK_WORD_RUNS, t->case_sensitive, t->recursive, ti, t->nrules);
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
            sb_printf(o, "static const %s tree%d_c%d[] = {", ctype(bt), ti, c);
        for (int i = 0; i < t->nnodes; i++) {
            sb_puts(o, i % 8 == 0 ? "\n    " : " ");
            if (col->is_null[i])
                sb_puts(o, czero(bt));
            else if (bt->kind == T_STRING)
                sb_puts(o, c_string(&m->a, col->str[i]));
            else if (bt->kind == T_FLOAT)
                sb_puts(o, c_float(&m->a, (float)col->num[i]));
            else if (bt->kind == T_DOUBLE)
                sb_puts(o, c_double(&m->a, col->num[i]));
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

/* ---- what the program uses ---- */
static void use_pred(Em *m, const IrPred *pr)
{
    if (pr->var >= 0) {
        m->var_used[pr->var] = 1;
        if (pr->kind != P_IS_MISSING && pr->kind != P_IS_NOT_MISSING)
            m->val_read[pr->var] = 1;
    }
    for (int i = 0; i < pr->nkids; i++)
        use_pred(m, pr->kids[i]);
}

static void use_expr(Em *m, const IrExpr *e)
{
    if (e->kind == E_IS_NULL && e->a[0]->kind == E_VAR) {
        m->var_used[e->a[0]->var] = 1;
        return;
    }
    if (e->kind == E_VAR)
        m->var_used[e->var] = m->val_read[e->var] = 1;
    if (e->kind == E_TREE || e->kind == E_TREE_GET) {
        const IrTree *t = m->p->trees[e->tree];
        if (!m->tree_used[e->tree]) {
            m->tree_used[e->tree] = 1;
            m->ntrees_used++;
            m->col_used[e->tree] = arena_alloc(&m->a, (size_t)t->ncols + 1);
            for (int k = 0; k < t->nnodes; k++)
                use_pred(m, t->nodes[k].pred);
        }
        if (e->kind == E_TREE_GET)
            m->col_used[e->tree][e->col] = 1;
    }
    for (int i = 0; i < e->n; i++)
        use_expr(m, e->a[i]);
}

static void use_block(Em *m, const IrBlock *b)
{
    for (int i = 0; i < b->n; i++) {
        const IrStmt *s = b->s[i];
        if (s->kind == S_SET)
            m->var_used[s->var] = 1;
        if (s->e)
            use_expr(m, s->e);
        use_block(m, &s->then_b);
        use_block(m, &s->else_b);
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
        r |= block_tree_effects(m, &s->then_b) | block_tree_effects(m, &s->else_b);
    }
    return r;
}

/* The top-level statement before which every graph tree can be walked at
   once: after the last write of any value the trees read, no later than the
   first walk.  -1 when there is no such point (a chain of models feeding
   each other's trees) or fewer than two trees to gain from it. */
static int forest_point(Em *m)
{
    const IrProgram *p = m->p;
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

const char *c_prefix_from_path(Arena *a, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    char *p = arena_alloc(a, n + 3);
    size_t j = 0;
    if (n == 0 || isdigit((unsigned char)base[0]))
        p[j++] = 'm', p[j++] = '_';
    for (size_t i = 0; i < n; i++)
        p[j++] = isalnum((unsigned char)base[i]) ? (char)tolower((unsigned char)base[i]) : '_';
    p[j] = 0;
    return p;
}

static int valid_ident(const char *s)
{
    if (!s || !*s || isdigit((unsigned char)*s))
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_')
            return 0;
    return 1;
}

static int valid_header_name(const char *s)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("._-/+", *s))
            return 0;
    return 1;
}

static const char *abi_block(void)
{
    return
"#ifndef NERVA_MODEL_ABI\n"
"#define NERVA_MODEL_ABI 1\n"
"/* the nerva model interface (identical in every generated header) */\n"
"enum nerva_type { NERVA_DOUBLE = 1, NERVA_FLOAT = 2, NERVA_LONG = 3, NERVA_BOOL = 4, NERVA_STRING = 5 };\n"
"enum nerva_state { NERVA_PRESENT = 0, NERVA_MISSING = 1, NERVA_INVALID = 2 };\n"
"typedef struct nerva_field {\n"
"    const char *name;\n"
"    int type;\n"
"    size_t offset;\n"
"    size_t state_offset;\n"
"} nerva_field;\n"
"enum nerva_status { NERVA_OK = 0, NERVA_RESULT_INVALID = 1, NERVA_ERROR = 2 };\n"
"typedef struct nerva_model {\n"
"    const char *name;\n"
"    int abi;\n"
"    size_t input_size;\n"
"    size_t output_size;\n"
"    int n_inputs;\n"
"    const nerva_field *inputs;\n"
"    int n_outputs;\n"
"    const nerva_field *outputs;\n"
"    int (*score)(const void *in, void *out);\n"
"    size_t (*score_batch)(const void *in, void *out, int *status, size_t n);\n"
"} nerva_model;\n"
"#endif\n";
}

static int abi_type(const IrType *t)
{
    switch (ir_base((IrType *)t)->kind) {
    case T_DOUBLE: return 1;
    case T_FLOAT: return 2;
    case T_INT:
    case T_LONG: return 3;
    case T_BOOL: return 4;
    case T_STRING: return 5;
    default: return 0;
    }
}

static const char *abi_ctype(const IrType *t)
{
    switch (abi_type(t)) {
    case 1: return "double";
    case 2: return "float";
    case 3: return "long long";
    case 4: return "int";
    default: return "const char *";
    }
}

static void emit_field_struct(Em *m, StrBuf *h, const char *pfx, const char *what,
                              const IrField *f, int n, int scratch)
{
    sb_printf(h, "typedef struct %s_%s {\n", pfx, what);
    for (int i = 0; i < n; i++) {
        const char *ct = abi_ctype(f[i].type);
        sb_printf(h, "    %s%sf%d; /* ", ct, ct[strlen(ct) - 1] == '*' ? "" : " ", i);
        comment_text(h, f[i].name, 100);
        sb_printf(h, " : %s */\n", ir_type_name(ir_base(f[i].type)));
    }
    sb_printf(h, "    unsigned char state[%d]; /* enum nerva_state per field */\n", n ? n : 1);
    if (scratch)
        sb_printf(h, "    char scratch[%d]; /* storage of computed strings */\n", scratch);
    sb_printf(h, "} %s_%s;\n\n", pfx, what);
    (void)m;
}

static void emit_descriptors(Em *m, StrBuf *o, const char *pfx, const char *what,
                             const IrField *f, int n)
{
    sb_printf(o, "static const nerva_field %s_%s_fields[] = {\n", pfx, what);
    for (int i = 0; i < n; i++)
        sb_printf(o, "    {%s, %d, offsetof(%s_%s, f%d), offsetof(%s_%s, state) + %d},\n",
                  c_string(&m->a, f[i].name), abi_type(f[i].type), pfx, what, i, pfx, what, i);
    if (n == 0)
        sb_puts(o, "    {\"\", 0, 0, 0},\n");
    sb_puts(o, "};\n\n");
}

int emit_c(const IrProgram *p, const EmitOptions *o, Diags *d, StrBuf *c, StrBuf *h)
{
    Em m = {.p = p, .o = o, .d = d};
    arena_init(&m.a);
    sb_init(&m.dict_text);
    const char *pfx = o->prefix;
    if (!valid_ident(pfx)) {
        diag_error(d, (Loc){.file = p->source}, "prefix '%s' is not a C identifier", pfx ? pfx : "");
        sb_free(&m.dict_text);
        arena_free(&m.a);
        return 1;
    }
    if (!valid_header_name(o->header_name)) {
        diag_error(d, (Loc){.file = p->source}, "header name '%s' has characters nerva will not "
                   "put in an #include", o->header_name ? o->header_name : "");
        sb_free(&m.dict_text);
        arena_free(&m.a);
        return 1;
    }
    if (p->eng) {
        sb_free(&m.dict_text);
        arena_free(&m.a);
        return emit_pfa(p, o, d, c, h);
    }
    for (int i = 0; i < p->ninputs; i++)
        if (!abi_type(p->inputs[i].type))
            diag_error(d, p->inputs[i].loc, "input field '%s' has a type (%s) the C interface cannot carry",
                       p->inputs[i].name, ir_type_name(p->inputs[i].type));
    for (int i = 0; i < p->noutputs; i++)
        if (!abi_type(p->outputs[i].type))
            diag_error(d, p->outputs[i].loc, "output field '%s' has a type (%s) the C interface cannot carry",
                       p->outputs[i].name, ir_type_name(p->outputs[i].type));
    if (d->errors) {
        sb_free(&m.dict_text);
        arena_free(&m.a);
        return 1;
    }

    m.var_used = arena_alloc(&m.a, (size_t)p->nvars + 1);
    m.val_read = arena_alloc(&m.a, (size_t)p->nvars + 1);
    m.tree_used = arena_alloc(&m.a, (size_t)p->ntrees + 1);
    m.col_used = ARENA_ARRAY(&m.a, unsigned char *, p->ntrees + 1);
    use_block(&m, &p->body);
    for (int i = 0; i < p->noutputs; i++)
        m.var_used[p->outputs[i].var] = m.val_read[p->outputs[i].var] = 1;

    /* decide tree layout: tables when the ensemble is large */
    long total = 0;
    for (int t = 0; t < p->ntrees; t++)
        if (m.tree_used[t])
            total += p->trees[t]->nnodes;
    m.tree_table = arena_alloc(&m.a, (size_t)p->ntrees + 1);
    m.slot_of_var = ARENA_ARRAY(&m.a, int, p->nvars + 1);
    for (int v = 0; v < p->nvars; v++)
        m.slot_of_var[v] = -1;
    m.graph = ARENA_ARRAY(&m.a, TGraph *, p->ntrees + 1);
    int any_table = 0, any_generic = 0, any_graph = 0;
    /* how graph tests use each variable: 1 compared as a number, 2 as a code */
    unsigned char *vuse = arena_alloc(&m.a, (size_t)p->nvars + 1);
    for (int t = 0; t < p->ntrees; t++) {
        if (!m.tree_used[t] || total <= o->tree_table_threshold)
            continue;
        if ((m.graph[t] = graph_build(&m, p->trees[t])))
            for (int i = 0; i < m.graph[t]->n; i++) {
                const GTest *x = &m.graph[t]->tests[i];
                vuse[x->var] |= x->op1 & GOP_MASK ? 2 : (x->op1 == GOP_ALL && x->op2 == 0) ? 0 : 1;
            }
    }
    /* a value tested both ways has no one position: its trees take another layout */
    for (int t = 0; t < p->ntrees; t++)
        for (int i = 0; m.graph[t] && i < m.graph[t]->n; i++)
            if (vuse[m.graph[t]->tests[i].var] == 3)
                m.graph[t] = NULL;
    m.slot_kind = arena_alloc(&m.a, (size_t)p->nvars + 1);
    m.th = ARENA_ARRAY(&m.a, double *, p->nvars + 1);
    m.nth = ARENA_ARRAY(&m.a, int, p->nvars + 1);
    m.th_off = ARENA_ARRAY(&m.a, int, p->nvars + 1);
    int *th_cap = ARENA_ARRAY(&m.a, int, p->nvars + 1);
    for (int t = 0; t < p->ntrees; t++) {
        if (!m.tree_used[t] || total <= o->tree_table_threshold)
            continue;
        if (m.graph[t]) {
            m.tree_table[t] = LAY_GRAPH;
            any_graph = 1;
            for (int i = 0; i < m.graph[t]->n; i++) {
                const GTest *x = &m.graph[t]->tests[i];
                if (m.slot_of_var[x->var] < 0)
                    m.slot_of_var[x->var] = m.nslots++;
                int sl = m.slot_of_var[x->var];
                m.slot_kind[sl] = vuse[x->var] & 2 ? SLOT_CODE : SLOT_NUMBER;
                if (!(x->op1 & GOP_MASK) && !(x->op1 == GOP_ALL && x->op2 == 0))
                    VEC_PUSH(&m.a, m.th[sl], m.nth[sl], th_cap[sl], x->v);
            }
        } else if (tree_is_tabular(&m, p->trees[t])) {
            m.tree_table[t] = LAY_TABLE;
            any_generic = 1;
            for (int k = 0; k < p->trees[t]->nnodes; k++)
                mark_pred_vars(&m, p->trees[t]->nodes[k].pred);
        }
    }
    any_table = any_graph || any_generic;
    /* each numeric slot's thresholds, sorted and unique, one after another */
    int any_number = 0, nomask = 0;
    for (int sl = 0, off = 0; sl < m.nslots; sl++) {
        if (m.nth[sl])
            qsort(m.th[sl], (size_t)m.nth[sl], sizeof(double), cmp_double);
        int u = 0;
        for (int i = 0; i < m.nth[sl]; i++)
            if (u == 0 || m.th[sl][u - 1] != m.th[sl][i])
                m.th[sl][u++] = m.th[sl][i];
        m.nth[sl] = u;
        m.th_off[sl] = off;
        off += u;
        any_number |= m.slot_kind[sl] == SLOT_NUMBER;
    }
    m.gnarrow = 1;
    for (int t = 0; t < p->ntrees; t++)
        if (m.tree_table[t] == LAY_GRAPH) {
            nomask |= m.graph[t]->nmasks == 0;
            m.gnarrow &= graph_narrow(&m, m.graph[t]);
        }
    /* variables that nested-branch trees read live in one struct, so each
       tree can be its own small function (gcc compiles many small functions
       far faster than one huge one) */
    m.env_var = arena_alloc(&m.a, (size_t)p->nvars + 1);
    int any_env = 0;
    for (int t = 0; t < p->ntrees; t++)
        if (m.tree_used[t] && !m.tree_table[t])
            for (int k = 0; k < p->trees[t]->nnodes; k++)
                mark_env_vars(&m, p->trees[t]->nodes[k].pred, &any_env);
    m.vname = ARENA_ARRAY(&m.a, const char *, p->nvars + 1);
    m.nname = ARENA_ARRAY(&m.a, const char *, p->nvars + 1);
    m.tvname = ARENA_ARRAY(&m.a, const char *, p->nvars + 1);
    m.tnname = ARENA_ARRAY(&m.a, const char *, p->nvars + 1);
    for (int v = 0; v < p->nvars; v++) {
        int nul = ir_is_nullable(p->vars[v].type);
        if (m.env_var[v]) {
            m.vname[v] = arena_printf(&m.a, "E.v%d", v);
            m.nname[v] = nul ? arena_printf(&m.a, "E.v%d_n", v) : "0";
        } else {
            m.vname[v] = arena_printf(&m.a, "v%d", v);
            m.nname[v] = nul ? arena_printf(&m.a, "v%d_n", v) : "0";
        }
        m.tvname[v] = arena_printf(&m.a, "E->v%d", v);
        m.tnname[v] = nul ? arena_printf(&m.a, "E->v%d_n", v) : "0";
    }

    /* tree functions (they may ask for helpers, so before those are printed) */
    StrBuf treefns;
    sb_init(&treefns);
    if (any_env || m.ntrees_used) {
        const char **sv = m.vname, **sn = m.nname;
        m.vname = m.tvname;
        m.nname = m.tnname;
        m.out = &treefns;
        for (int t = 0; t < p->ntrees; t++) {
            if (!m.tree_used[t] || m.tree_table[t])
                continue;
            const IrTree *tr = p->trees[t];
            sb_printf(&treefns, "/* tree %d: ", t);
            comment_text(&treefns, tr->name ? tr->name : "", 80);
            sb_printf(&treefns, " (line %d), %d nodes; the chosen node or -1 */\n", tr->loc.line,
                      tr->nnodes);
            sb_printf(&treefns, "static int nv_tree%d(const nv_env *E)\n{\n    int r = -1, r_n = 1;\n"
                                "    (void)E;\n", t);
            m.ind = 1;
            emit_tree_nested(&m, tr, "r");
            sb_puts(&treefns, "    return r_n ? -1 : r;\n}\n\n");
        }
        m.vname = sv;
        m.nname = sn;
    }

    /* body first: it decides which helpers are needed */
    StrBuf body;
    sb_init(&body);
    m.out = &body;
    m.ind = 1;
    m.in_forest = ARENA_ARRAY(&m.a, int, p->ntrees + 1);
    for (int t = 0; t < p->ntrees; t++)
        m.in_forest[t] = -1;
    int fpoint = forest_point(&m);
    for (int i = 0; i < p->body.n; i++) {
        if (i == fpoint)
            line(&m, "nv_gwalk_all(nv_forest, %d, fx, gres);", m.nforest);
        IrBlock one = {.s = &p->body.s[i], .n = 1};
        emit_block(&m, &one);
    }
    void_unread_temps(&m, &body);
    if (d->errors) {
        sb_free(&body);
        sb_free(&m.dict_text);
        arena_free(&m.a);
        return 1;
    }

    /* ---- header ---- */
    char *guard = arena_printf(&m.a, "NERVA_%s_H", pfx);
    for (char *q = guard; *q; q++)
        *q = (char)toupper((unsigned char)*q);
    sb_printf(h, "/* Generated by nerva %s from ", o->version);
    comment_text(h, p->source ? p->source : "", 200);
    sb_puts(h, ". Do not edit. */\n");
    sb_printf(h, "#ifndef %s\n#define %s\n\n#include <stddef.h>\n\n", guard, guard);
    sb_puts(h, abi_block());
    sb_puts(h, "\n");
    emit_field_struct(&m, h, pfx, "input", p->inputs, p->ninputs, 0);
    emit_field_struct(&m, h, pfx, "output", p->outputs, p->noutputs,
                      p->ntexts ? NV_TEXT_SCRATCH_BYTES : (m.helpers & H_SCRATCH) ? NV_SCRATCH_BYTES : 0);
    sb_printf(h, "/* Score one record.  Returns enum nerva_status.  Output strings point into\n"
                 "   *out or *in, or are constants. */\n"
                 "int %s_score(const %s_input *in, %s_output *out);\n", pfx, pfx, pfx);
    sb_printf(h, "/* Score n records; status may be NULL.  Returns how many were not NERVA_OK. */\n"
                 "size_t %s_score_batch(const %s_input *in, %s_output *out, int *status, size_t n);\n",
              pfx, pfx, pfx);
    sb_printf(h, "/* the descriptor a host binds fields through */\n"
                 "extern const nerva_model %s_model;\n\n#endif\n", pfx);

    /* ---- C unit, fixed section order ---- */
    sb_printf(c, "/* Generated by nerva %s from ", o->version);
    comment_text(c, p->source ? p->source : "", 200);
    sb_puts(c, ". Do not edit.\n   Model: ");
    comment_text(c, p->name ? p->name : "", 200);
    sb_puts(c, " */\n");
    sb_printf(c, "#include \"%s\"\n\n#include <math.h>\n#include <stdint.h>\n#include <stdio.h>\n#include <stdlib.h>\n"
                 "#include <string.h>\n\n", o->header_name);
    /* helpers */
    emit_helpers(&m, c);
    for (int t = 0; t < p->ntexts; t++)
        emit_text_index(&m, p->texts[t], t, c);
    if (m.dict_text.data) {
        sb_puts(c, "/* dictionaries of the strings compared against constants */\n");
        sb_puts(c, m.dict_text.data);
        sb_putc(c, '\n');
    }
    if (any_table) {
        StrBuf tabs, strs, nums;
        sb_init(&tabs);
        sb_init(&strs);
        sb_init(&nums);
        int nstr = 0, nnum = 0;
        for (int t = 0; t < p->ntrees; t++)
            if (m.tree_table[t] == LAY_TABLE)
                emit_tree_tables(&m, p->trees[t], t, &tabs, &nstr, &nnum, &strs, &nums);
            else if (m.tree_table[t] == LAY_GRAPH)
                emit_graph_table(&m, m.graph[t], p->trees[t], t, &tabs);
        sb_puts(c, "/* the values table-driven trees read: value, string, missing, position */\n"
                   "typedef struct nv_slot { double d; const char *s; int n, p; } nv_slot;\n\n");
        if (any_generic) {
            sb_printf(c, "static const char *const nv_tstr[] = {\n%s    \"\"\n};\n", strs.data ? strs.data : "");
            sb_printf(c, "static const double nv_tnum[] = {\n%s    0.0\n};\n\n", nums.data ? nums.data : "");
            emit_walker(c);
        }
        if (any_number) {
            sb_puts(c, "/* the thresholds graph trees compare each number with, sorted */\n"
                       "static const double nv_th[] = {");
            int k = 0;
            for (int sl = 0; sl < m.nslots; sl++)
                for (int i = 0; i < m.nth[sl]; i++)
                    sb_printf(c, "%s%s,", k++ % 6 == 0 ? "\n    " : " ", c_double(&m.a, m.th[sl][i]));
            sb_puts(c, k ? "\n};\n\n" : "\n    0.0\n};\n\n");
        }
        if (any_graph)
            emit_graph_walker(c, any_number, nomask, m.gnarrow);
        if (any_graph && m.nforest < any_graph_count(&m))
            emit_graph_single(c);
        if (m.nforest)
            emit_graph_forest(c);
        sb_puts(c, tabs.data);
        if (m.nforest) {
            sb_puts(c, "/* every graph tree, walked together */\nstatic const nv_gtree nv_forest[] = {\n");
            for (int t = 0; t < p->ntrees; t++)
                if (m.in_forest[t] >= 0)
                    sb_printf(c, "    {tree%d_g, tree%d_x, %s, %d},\n", t, t,
                              m.graph[t]->nmasks ? arena_printf(&m.a, "tree%d_m", t) : "nv_nomask",
                              graph_dest(m.graph[t], m.graph[t]->entry));
            sb_puts(c, "};\n");
        }
        sb_putc(c, '\n');
        sb_free(&tabs);
        sb_free(&strs);
        sb_free(&nums);
    }
    /* tree payload columns */
    for (int t = 0; t < p->ntrees; t++)
        if (m.tree_used[t])
            emit_tree_cols(&m, p->trees[t], t, c);
    if (m.ntrees_used)
        sb_putc(c, '\n');

    if (any_env || m.ntrees_used) {
        sb_puts(c, "/* the values trees read */\ntypedef struct nv_env {\n");
        int members = 0;
        for (int v = 0; v < p->nvars; v++) {
            if (!m.env_var[v])
                continue;
            const char *ct = ctype(p->vars[v].type);
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
        sb_puts(c, treefns.data ? treefns.data : "");
    }
    sb_free(&treefns);
    /* score function */
    sb_printf(c, "int %s_score(const %s_input *in, %s_output *out)\n{\n", pfx, pfx, pfx);
    if (any_env || m.ntrees_used)
        sb_puts(c, "    nv_env E;\n");
    if (m.helpers & H_SCRATCH)
        sb_puts(c, "    nv_scratch S;\n");
    if (any_table)
        sb_printf(c, "    nv_slot fx[%d];\n", m.nslots);
    if (m.nforest)
        sb_printf(c, "    int gres[%d];\n", m.nforest);
    if (p->ntexts)
        sb_printf(c, "    nv_tcache tcache[%d];\n", p->ntexts);
    for (int v = 0; v < p->nvars; v++) {
        const IrVar *var = &p->vars[v];
        if (m.env_var[v] || !m.var_used[v])
            continue;
        const char *ct = ctype(var->type);
        int nul = ir_is_nullable(var->type);
        if (!keeps_value(&m, v) && !nul)
            continue;
        sb_puts(c, "   ");
        if (keeps_value(&m, v))
            sb_printf(c, " %s%sv%d = %s;", ct, ct[strlen(ct) - 1] == '*' ? "" : " ", v, czero(var->type));
        if (nul)
            sb_printf(c, " int v%d_n = 1;", v);
        sb_puts(c, " /* ");
        comment_text(c, var->name ? var->name : "", 80);
        sb_puts(c, " */\n");
    }
    if (m.helpers & H_SCRATCH)
        sb_puts(c, "    S.base = out->scratch; S.used = 0; S.cap = sizeof out->scratch; S.overflow = 0;\n");
    if (any_table)
        sb_printf(c, "    memset(fx, 0, sizeof fx);\n");
    if (p->ntexts)
        sb_printf(c, "    memset(tcache, 0, sizeof tcache);\n");
    if (any_env || m.ntrees_used)
        sb_puts(c, "    memset(&E, 0, sizeof E);\n");
    for (int v = 0; v < p->nvars; v++)
        if (m.env_var[v] && ir_is_nullable(p->vars[v].type)) {
            const char *sent = null_sentinel(p->vars[v].type);
            sb_printf(c, "    %s = 1;", m.nname[v]);
            if (sent)
                sb_printf(c, " %s = %s;", m.vname[v], sent);
            sb_putc(c, '\n');
        }
    for (int s = 0; s < m.nslots; s++)
        sb_printf(c, "    fx[%d].n = 1;%s\n", s, m.slot_kind[s] ? arena_printf(&m.a, " fx[%d].p = NV_GMISS;", s) : "");
    sb_printf(c, "    memset(out->state, NERVA_MISSING, sizeof out->state);\n");
    /* bind inputs */
    for (int i = 0; i < p->ninputs; i++) {
        int v = p->inputs[i].var;
        if (!m.var_used[v])
            continue;
        IrTypeKind k = ir_base(p->vars[v].type)->kind;
        const char *conv = k == T_INT ? "(int)" : "";
        if (keeps_value(&m, v))
            sb_printf(c, "    if (in->state[%d] == NERVA_PRESENT) { %s = %sin->f%d; %s = 0;%s }\n", i,
                      m.vname[v], conv, i, m.nname[v], slot_mirror(&m, v));
        else
            sb_printf(c, "    if (in->state[%d] == NERVA_PRESENT) %s = 0;\n", i, m.nname[v]);
    }
    sb_puts(c, body.data ? body.data : "");
    for (int i = 0; i < p->noutputs; i++) {
        int v = p->outputs[i].var;
        sb_printf(c, "    out->f%d = %s;", i, m.vname[v]);
        if (strcmp(m.nname[v], "0") != 0)
            sb_printf(c, " out->state[%d] = (unsigned char)(%s ? NERVA_MISSING : NERVA_PRESENT);\n", i,
                      m.nname[v]);
        else
            sb_printf(c, " out->state[%d] = NERVA_PRESENT;\n", i);
    }
    if (m.helpers & H_SCRATCH)
        sb_puts(c, "    if (S.overflow) return NERVA_ERROR;\n");
    sb_puts(c, "    return NERVA_OK;\n}\n\n");
    sb_free(&body);

    /* batch */
    sb_printf(c,
              "size_t %s_score_batch(const %s_input *in, %s_output *out, int *status, size_t n)\n"
              "{\n"
              "    size_t i, bad = 0;\n"
              "    for (i = 0; i < n; i++) {\n"
              "        int s = %s_score(&in[i], &out[i]);\n"
              "        if (status) status[i] = s;\n"
              "        if (s != NERVA_OK) bad++;\n"
              "    }\n"
              "    return bad;\n"
              "}\n\n",
              pfx, pfx, pfx, pfx);
    /* descriptors */
    emit_descriptors(&m, c, pfx, "input", p->inputs, p->ninputs);
    emit_descriptors(&m, c, pfx, "output", p->outputs, p->noutputs);
    sb_printf(c,
              "static int %s_score_v(const void *in, void *out)\n"
              "{\n"
              "    return %s_score((const %s_input *)in, (%s_output *)out);\n"
              "}\n\n"
              "static size_t %s_score_batch_v(const void *in, void *out, int *status, size_t n)\n"
              "{\n"
              "    return %s_score_batch((const %s_input *)in, (%s_output *)out, status, n);\n"
              "}\n\n",
              pfx, pfx, pfx, pfx, pfx, pfx, pfx, pfx);
    sb_printf(c,
              "const nerva_model %s_model = {\n"
              "    %s, NERVA_MODEL_ABI, sizeof(%s_input), sizeof(%s_output),\n"
              "    %d, %s_input_fields, %d, %s_output_fields,\n"
              "    %s_score_v, %s_score_batch_v\n"
              "};\n",
              pfx, c_string(&m.a, p->name ? p->name : (p->source ? p->source : "")), pfx, pfx,
              p->ninputs, pfx, p->noutputs, pfx, pfx, pfx);
    sb_free(&m.dict_text);
    arena_free(&m.a);
    return 0;
}
