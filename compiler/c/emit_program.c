/* The C backend for PMML programs: emit_program() prints one C99 unit and
 * its header through one printer, in a fixed section order:
 *   banner, includes, run-time library sections, text indexes, string
 *   dictionaries, tree tables and functions (emit_trees.c), score function,
 *   batch function, descriptors.
 * It reads only the IR.  Generated code uses only libc and libm, keeps no
 * mutable globals, and prints every constant so that it reads back exactly.
 * Run-time support comes from the run-time library (runtime/lib/, by
 * rtlib.c), never from C text written here.  Names and strings from the
 * model only ever appear escaped (string literals) or sanitised (comments);
 * identifiers are generated, so no model text can inject code. */
#include "program.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define NV_SCRATCH_BYTES 4096
#define NV_TEXT_SCRATCH_BYTES 65536   /* texts are normalised and tokenised there */

/* ---- printing helpers ---- */
void em_line(Em *m, const char *fmt, ...)
{
    sb_printf(m->out, "%*s", m->ind * 4, "");
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(m->out, fmt, ap);
    va_end(ap);
    sb_putc(m->out, '\n');
}

/* a library function the unit calls, by name: its section goes into the
   unit (a name the library lacks is a bug here, not in the model) */
const char *rt_call(Em *m, const char *fn)
{
    const char *r = rt_function(m->rt, fn);
    NV_ASSERT(r);
    return r;
}

const char *em_ctype(const IrType *t)
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
    case T_ARRAY:
        return "const char *const *"; /* a set of items: NULL-terminated */
    default:
        return NULL;
    }
}

const char *em_czero(const IrType *t)
{
    IrTypeKind k = ir_base((IrType *)t)->kind;
    return k == T_STRING ? "\"\"" : "0"; /* a set (array): NULL */
}

static const char *new_tmp(Em *m, const IrType *t, int nullable)
{
    const char *name = arena_printf(&m->a, "t%d", ++m->tmp);
    if (nullable)
        em_line(m, "%s%s%s = %s; int %s_n = 1;", em_ctype(t),
             ir_base((IrType *)t)->kind == T_STRING ? "" : " ", name, em_czero(t), name);
    else
        em_line(m, "%s%s%s;", em_ctype(t), ir_base((IrType *)t)->kind == T_STRING ? "" : " ", name);
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
            i = (size_t)(c_comment_end(s + i + 2, s + len) - s);
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
static CVal emit_inline(Em *m, const IrExpr *e);
static CVal materialize(Em *m, CVal x, const IrType *t);

static const char *lit_value(Em *m, const IrExpr *e)
{
    IrType *t = ir_base(e->type);
    if (e->lit_null)
        return em_czero(t);
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
        return em_string(m, e->lit_str);
    default:
        NV_ASSERT(0);
    }
}

/* the null flag of several values, ORed (|| compiles faster than | in long
   formulas: measured, gcc 12) */
static const char *or_nulls(Em *m, CVal *v, int n)
{
    const char **parts = ARENA_ARRAY(&m->a, const char *, n + 1);
    int k = 0;
    for (int i = 0; i < n; i++)
        if (strcmp(v[i].n, "0") != 0)
            parts[k++] = v[i].n;
    if (k == 0)
        return "0";
    if (k == 1)
        return parts[0];
    return arena_printf(&m->a, "(%s)", em_join(m, parts, k, " || "));
}

static int is_str(const IrExpr *e) { return ir_base(e->type)->kind == T_STRING; }

static const char *cmp_text(Em *m, IrFn fn, CVal x, CVal y, int strings, int floating)
{
    static const char *ops[] = {[FN_EQ] = "==", [FN_NE] = "!=", [FN_LT] = "<",
                                [FN_LE] = "<=", [FN_GT] = ">", [FN_GE] = ">="};
    /* a value against itself (xor of one predicate twice): its answer, since
       C compilers refuse the tautology under -Werror; not for floating
       values, where NaN is unequal to itself */
    if (!floating && !strcmp(x.v, y.v))
        return fn == FN_EQ || fn == FN_LE || fn == FN_GE ? "1" : "0";
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
        return arena_printf(&m->a, "%s(%s, %s)", rt_call(m, "nv_mod_floor"), v[0].v, v[1].v);
    case FN_POW: return arena_printf(&m->a, "pow%s(%s, %s)", sfx, v[0].v, v[1].v);
    case FN_EXP: return arena_printf(&m->a, "exp%s(%s)", sfx, v[0].v);
    case FN_LN: return arena_printf(&m->a, "log%s(%s)", sfx, v[0].v);
    case FN_LOG10: return arena_printf(&m->a, "log10%s(%s)", sfx, v[0].v);
    case FN_SQRT: return arena_printf(&m->a, "sqrt%s(%s)", sfx, v[0].v);
    case FN_ABS: return arena_printf(&m->a, "fabs%s(%s)", sfx, v[0].v);
    case FN_FLOOR: return arena_printf(&m->a, "floor%s(%s)", sfx, v[0].v);
    case FN_CEIL: return arena_printf(&m->a, "ceil%s(%s)", sfx, v[0].v);
    case FN_RINT: return arena_printf(&m->a, "rint%s(%s)", sfx, v[0].v);
    case FN_ROUND: /* of a float: exact in float (an integer of no more digits) */
        return arena_printf(&m->a, isf ? "((float)%s(%s))" : "%s(%s)", rt_call(m, "nv_round_half_up"), v[0].v);
    case FN_EXPM1: return arena_printf(&m->a, "expm1%s(%s)", sfx, v[0].v);
    case FN_LN1P: return arena_printf(&m->a, "log1p%s(%s)", sfx, v[0].v);
    case FN_TANH: return arena_printf(&m->a, "tanh%s(%s)", sfx, v[0].v);
    case FN_ATAN: return arena_printf(&m->a, "atan%s(%s)", sfx, v[0].v);
    case FN_COS: return arena_printf(&m->a, "cos%s(%s)", sfx, v[0].v);
    case FN_SIN: return arena_printf(&m->a, "sin%s(%s)", sfx, v[0].v);
    case FN_ERF: return arena_printf(&m->a, "erf%s(%s)", sfx, v[0].v);
    case FN_HYPOT: return arena_printf(&m->a, "hypot%s(%s, %s)", sfx, v[0].v, v[1].v);
    case FN_ATAN2: return arena_printf(&m->a, "atan2%s(%s, %s)", sfx, v[0].v, v[1].v);
    case FN_ASIN: return arena_printf(&m->a, "asin%s(%s)", sfx, v[0].v);
    case FN_ACOS: return arena_printf(&m->a, "acos%s(%s)", sfx, v[0].v);
    case FN_SINH: return arena_printf(&m->a, "sinh%s(%s)", sfx, v[0].v);
    case FN_COSH: return arena_printf(&m->a, "cosh%s(%s)", sfx, v[0].v);
    case FN_TAN: return arena_printf(&m->a, "tan%s(%s)", sfx, v[0].v);
    case FN_NORMAL_CDF:
    case FN_NORMAL_PDF:
    case FN_NORMAL_IDF:
        return arena_printf(&m->a, "%s(%s, %s, %s)",
                            rt_call(m, e->fn == FN_NORMAL_CDF ? "nv_normal_cdf" : e->fn == FN_NORMAL_PDF ? "nv_normal_pdf"
                                                                                                     : "nv_normal_idf"),
                            v[0].v, v[1].v, v[2].v);
    case FN_STDNORM_PDF:
        return arena_printf(&m->a, "%s(%s, 0.0, 1.0)", rt_call(m, "nv_normal_pdf"), v[0].v);
    case FN_MATCHES:
        m->scratch = 1;
        return arena_printf(&m->a, "(%s(&%s, &rx%d, %s) > 0)", rt_call(m, "nv_rx_matches"), m->scr, e->tree, v[0].v);
    case FN_REPLACE:
        m->scratch = 1;
        return arena_printf(&m->a, "%s(&%s, &rx%d, %s, %s)", rt_call(m, "nv_rx_replace"), m->scr, e->tree, v[0].v,
                            em_string(m, e->a[1]->lit_str));
    case FN_DAYS_SINCE_YEAR:
    case FN_SECONDS_SINCE_YEAR:
    case FN_SECONDS_SINCE_MIDNIGHT: {
        IrTemporal k = ir_temporal(e->a[0]->type);
        const char *fn = e->fn == FN_DAYS_SINCE_YEAR ? "nv_days_since_year"
                       : e->fn == FN_SECONDS_SINCE_YEAR ? "nv_seconds_since_year" : "nv_seconds_since_midnight";
        return arena_printf(&m->a, "%s(%s, %d, %s%s%s)", rt_call(m, fn), v[0].v, ir_temporal_unit(k),
                            c_double(&m->a, ir_temporal_offset(k)), e->n > 1 ? ", " : "", e->n > 1 ? v[1].v : "");
    }
    case FN_THRESHOLD:
        return arena_printf(&m->a, "(%s > %s ? 1 : 0)", v[0].v, v[1].v);
    case FN_LOGISTIC:
        return arena_printf(&m->a, "%s(%s)", rt_call(m, isf ? "nv_logisticf" : "nv_logistic"), v[0].v);
    case FN_CLOGLOG_INV:
        return arena_printf(&m->a, "%s(%s)", rt_call(m, "nv_cloglog_inv"), v[0].v);
    case FN_LOGLOG_INV:
        return arena_printf(&m->a, "%s(%s)", rt_call(m, "nv_loglog_inv"), v[0].v);
    case FN_CAUCHIT_INV:
        return arena_printf(&m->a, "%s(%s)", rt_call(m, "nv_cauchit_inv"), v[0].v);
    case FN_STDNORM_CDF:
        return arena_printf(&m->a, "%s(%s)", rt_call(m, "nv_stdnorm_cdf"), v[0].v);
    case FN_STDNORM_IDF:
        return arena_printf(&m->a, "%s(%s)", rt_call(m, "nv_stdnorm_idf"), v[0].v);
    case FN_NORMAL_LOGPDF:
        return arena_printf(&m->a, "%s(%s, %s, %s)", rt_call(m, "nv_normal_logpdf"), v[0].v, v[1].v, v[2].v);
    case FN_POISSON_PDF:
        return arena_printf(&m->a, "%s(%s, %s)", rt_call(m, "nv_poisson_pdf"), v[0].v, v[1].v);
    case FN_ISNAN: return arena_printf(&m->a, "(%s != %s)", v[0].v, v[0].v);
    case FN_MIN:
    case FN_MAX:
    case FN_SUM:
    case FN_AVG:
    case FN_PRODUCT: {
        /* left to right, as ((a + b) + c): statements into one temporary, so
           that a thousand terms are a thousand short lines, not one
           expression nested a thousand deep */
        const char *acc = v[0].v;
        if (e->n > 4) {
            acc = new_tmp(m, ir_base(e->type), 0);
            em_line(m, "%s = %s;", acc, v[0].v);
        }
        for (int i = 1; i < e->n; i++) {
            const char *x;
            if (e->fn == FN_MIN)
                x = arena_printf(&m->a, "(%s < %s ? %s : %s)", v[i].v, acc, v[i].v, acc);
            else if (e->fn == FN_MAX)
                x = arena_printf(&m->a, "(%s > %s ? %s : %s)", v[i].v, acc, v[i].v, acc);
            else if (e->fn == FN_PRODUCT)
                x = arena_printf(&m->a, "(%s * %s)", acc, v[i].v);
            else
                x = arena_printf(&m->a, "(%s + %s)", acc, v[i].v);
            if (e->n > 4)
                em_line(m, "%s = %s;", acc, x);
            else
                acc = x;
        }
        if (e->fn == FN_AVG)
            acc = arena_printf(&m->a, "(%s / %d)", acc, e->n);
        return acc;
    }
    case FN_EQ: case FN_NE: case FN_LT: case FN_LE: case FN_GT: case FN_GE:
        return cmp_text(m, e->fn, v[0], v[1], is_str(e->a[0]),
                        ir_base(e->a[0]->type)->kind == T_DOUBLE || ir_base(e->a[0]->type)->kind == T_FLOAT);
    case FN_NOT: return arena_printf(&m->a, "(!%s)", v[0].v);
    case FN_LOWER:
    case FN_UPPER:
        m->scratch = 1;
        return arena_printf(&m->a, "%s(&%s, %s, %d)", rt_call(m, "nv_recase_c"), m->scr, v[0].v, e->fn == FN_UPPER);
    case FN_TRIM:
        m->scratch = 1;
        return arena_printf(&m->a, "%s(&%s, %s)", rt_call(m, "nv_trim_blanks"), m->scr, v[0].v);
    case FN_STRLEN:
        return arena_printf(&m->a, "(long long)strlen(%s)", v[0].v);
    case FN_CONCAT: {
        m->scratch = 1;
        const char *acc = v[0].v, *fn = rt_call(m, "nv_concat");
        if (e->n > 4) {
            acc = new_tmp(m, ir_base(e->type), 0);
            em_line(m, "%s = %s;", acc, v[0].v);
        }
        for (int i = 1; i < e->n; i++) {
            const char *x = arena_printf(&m->a, "%s(&%s, %s, %s)", fn, m->scr, acc, v[i].v);
            if (e->n > 4)
                em_line(m, "%s = %s;", acc, x);
            else
                acc = x;
        }
        return acc;
    }
    case FN_SUBSTR:
        m->scratch = 1;
        return arena_printf(&m->a, "%s(&%s, %s, (long long)%s, (long long)%s)", rt_call(m, "nv_substr"),
                            m->scr, v[0].v, v[1].v, v[2].v);
    case FN_MEDIAN:
    case FN_WMEDIAN: {
        const char *fn = rt_call(m, "nv_median");
        int nv = e->fn == FN_MEDIAN ? e->n : e->n / 2;
        const char **parts = ARENA_ARRAY(&m->a, const char *, e->n + 1);
        for (int i = 0; i < e->n; i++)
            parts[i] = v[i].v;
        const char *vs = em_join(m, parts, nv, ", "), *ws = em_join(m, parts + nv, e->n - nv, ", ");
        if (e->fn == FN_MEDIAN)
            return arena_printf(&m->a, "%s((double[]){%s}, 0, %d)", fn, vs, nv);
        return arena_printf(&m->a, "%s((double[]){%s}, (double[]){%s}, %d)", fn, vs, ws, nv);
    }
    case FN_RANK: {
        int nv = (e->n - 1) / 2;
        const char **parts = ARENA_ARRAY(&m->a, const char *, e->n + 1);
        for (int i = 1; i < e->n; i++)
            parts[i - 1] = arena_printf(&m->a, "(double)%s", v[i].v);
        return arena_printf(&m->a, "%s((double[]){%s}, (double[]){%s}, %d, (int)%s)", rt_call(m, "nv_rank_desc"),
                            em_join(m, parts, nv, ", "), em_join(m, parts + nv, nv, ", "), nv, v[0].v);
    }
    case FN_PMEDIAN: {
        const char **parts = ARENA_ARRAY(&m->a, const char *, e->n + 1);
        for (int i = 0; i < e->n; i++)
            parts[i] = arena_printf(&m->a, "(double)%s", v[i].v);
        return arena_printf(&m->a, "%s((double[]){%s}, %d)", rt_call(m, "nv_percentile_median"),
                            em_join(m, parts, e->n, ", "), e->n);
    }
    case FN_VOTE: {
        int k = e->n / 4;
        const char **parts = ARENA_ARRAY(&m->a, const char *, e->n + 1);
        for (int i = 0; i < e->n; i++)
            parts[i] = arena_printf(&m->a, "(double)%s", v[i].v);
        return arena_printf(&m->a, "%s((double[]){%s}, (double[]){%s}, (double[]){%s}, (double[]){%s}, %d)",
                            rt_call(m, "nv_vote"), em_join(m, parts, k, ", "), em_join(m, parts + k, k, ", "),
                            em_join(m, parts + 2 * k, k, ", "), em_join(m, parts + 3 * k, k, ", "), k);
    }
    case FN_NUM_TO_STR:
    case FN_TO_STRING:
        m->scratch = 1;
        return arena_printf(&m->a, "%s(&%s, (double)%s, %d)", rt_call(m, "nv_dtostr"), m->scr, v[0].v,
                            ir_base(e->a[0]->type)->kind == T_FLOAT);
    default:
        break;
    }
    diag_error(m->d, e->loc, "the C backend has no code for function '%s'", ir_fn_name(e->fn));
    return "0";
}

/* The static table "dictN" of the n strings strs (sorted as nv_intern
   searches them: by byte, first byte first), printed before the score
   function; the same array of strings gives the same table. */
/* a C expression for the model's string s: a literal, or for a long one
 * the name of a char array printed after the run-time library (a literal
 * past 4095 characters is beyond what C99 asks of compilers, and
 * -pedantic says so) */
const char *em_string(Em *m, const char *s)
{
    size_t n = strlen(s);
    if (n <= 1000)
        return c_string(&m->a, s);
    int k = m->nblobs++;
    sb_printf(&m->blob_text, "static const char nv_s%d[%zu] = {", k, n + 1);
    for (size_t i = 0; i < n; i++)
        sb_printf(&m->blob_text, "%s%d,", i % 24 ? "" : "\n    ", (int)(signed char)s[i]);
    sb_puts(&m->blob_text, "0};\n");
    return arena_printf(&m->a, "nv_s%d", k);
}

int em_dict(Em *m, const char **strs, int n)
{
    int di;
    for (di = 0; di < m->ndicts; di++)
        if (m->dicts[di] == strs)
            return di;
    VEC_PUSH(&m->a, m->dicts, m->ndicts, m->cap_dicts, strs);
    sb_printf(&m->dict_text, "static const char *const dict%d[] = {", di);
    for (int i = 0; i < n; i++)
        sb_printf(&m->dict_text, "%s%s,", i % 8 == 0 ? "\n    " : " ", em_string(m, strs[i]));
    if (!n)
        sb_puts(&m->dict_text, "\n    \"\"");
    sb_puts(&m->dict_text, "\n};\n");
    return di;
}

/* How far the unit's constant tables (dictN, tabN, measureN, assocN,
   linearN, invalidN, nv_sN) are printed: C text emitted and then dropped
   (a form tried and given up) drops its tables with em_tables_reset, or
   they would be printed twice, once unused */
EmTables em_tables_mark(const Em *m)
{
    return (EmTables){m->dict_text.len, m->blob_text.len, m->ndicts, m->ntabs, m->nmeasures, m->nassocs,
                      m->ninvalid, m->nlinear, m->nblobs};
}

void em_tables_reset(Em *m, EmTables t)
{
    m->dict_text.len = t.dict_len;
    if (m->dict_text.data)
        m->dict_text.data[t.dict_len] = 0;
    m->blob_text.len = t.blob_len;
    if (m->blob_text.data)
        m->blob_text.data[t.blob_len] = 0;
    m->ndicts = t.ndicts;
    m->ntabs = t.ntabs;
    m->nmeasures = t.nmeasures;
    m->nassocs = t.nassocs;
    m->ninvalid = t.ninvalid;
    m->nlinear = t.nlinear;
    m->nblobs = t.nblobs;
}

/* strs[0..n) sorted for nv_intern (unsigned bytes, as strcmp), in the arena */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char **em_sorted(Em *m, const char *const *strs, int n)
{
    const char **v = ARENA_ARRAY(&m->a, const char *, n + 1);
    memcpy(v, strs, sizeof *v * (size_t)n);
    qsort(v, (size_t)n, sizeof *v, cmp_str);
    return v;
}

/* parts[0..n) joined by sep, built in linear time */
const char *em_join(Em *m, const char *const *parts, int n, const char *sep)
{
    StrBuf b;
    sb_init(&b);
    for (int i = 0; i < n; i++) {
        if (i)
            sb_puts(&b, sep);
        sb_puts(&b, parts[i]);
    }
    const char *r = arena_strdup(&m->a, b.data ? b.data : "");
    sb_free(&b);
    return r;
}

/* the static const array "tabN" of a constant table (IrTable), printed
   with the dictionaries before the score function; one per table (unused
   when the tree emitter weighed a predicate's text and chose another) */
static const char *em_table(Em *m, const IrTable *t)
{
    for (int i = 0; i < m->ntabs; i++)
        if (m->tabs[i] == t)
            return arena_printf(&m->a, "tab%d", i);
    VEC_PUSH(&m->a, m->tabs, m->ntabs, m->cap_tabs, t);
    int id = m->ntabs - 1, total = t->n * t->width;
    IrTypeKind k = ir_base(t->type)->kind;
    if (k == T_STRING)
        sb_printf(&m->dict_text, "static const char *const tab%d[] NV_UNUSED = {", id);
    else
        sb_printf(&m->dict_text, "static const %s tab%d[] NV_UNUSED = {", em_ctype(t->type), id);
    for (int i = 0; i < total; i++) {
        sb_puts(&m->dict_text, i % 6 == 0 ? "\n    " : " ");
        if (k == T_STRING)
            sb_puts(&m->dict_text, em_string(m, t->str[i]));
        else if (k == T_DOUBLE)
            sb_puts(&m->dict_text, c_double(&m->a, t->num[i]));
        else if (k == T_FLOAT)
            sb_puts(&m->dict_text, c_float(&m->a, (float)t->num[i]));
        else
            sb_printf(&m->dict_text, "%lld", (long long)t->num[i]);
        sb_putc(&m->dict_text, ',');
    }
    if (!total)
        sb_puts(&m->dict_text, k == T_STRING ? "\n    \"\"" : "\n    0");
    sb_puts(&m->dict_text, "\n};\n");
    return arena_printf(&m->a, "tab%d", id);
}

/* the static const nv_measure "measureN" of a comparison measure and its
   rows' table, printed with the dictionaries; one per IrMeasure */
static const char *em_measure(Em *m, const IrMeasure *ms, const char **rows)
{
    int id;
    for (id = 0; id < m->nmeasures; id++)
        if (m->measures[id] == ms)
            break;
    *rows = em_table(m, ms->rows);
    if (id < m->nmeasures)
        return arena_printf(&m->a, "measure%d", id);
    VEC_PUSH(&m->a, m->measures, m->nmeasures, m->cap_measures, ms);
    rt_call(m, "nv_measure_row");
    StrBuf *o = &m->dict_text;
    for (int i = 0; i < ms->nf; i++) {
        if (ms->cmp[i] != IR_CF_TABLE)
            continue;
        sb_printf(o, "static const double measure%d_m%d[] = {", id, i);
        for (int k = 0; k < ms->msize[i] * ms->msize[i]; k++)
            sb_printf(o, "%s%s,", k % 6 == 0 ? "\n    " : " ", c_double(&m->a, ms->matrix[i][k]));
        sb_puts(o, "\n};\n");
    }
    sb_printf(o, "static const nv_mfield measure%d_f[] = {\n", id);
    for (int i = 0; i < ms->nf; i++) {
        sb_printf(o, "    {%d, %s, %s, %s, %d, ", (int)ms->cmp[i], c_double(&m->a, ms->weight[i]),
                  c_double(&m->a, ms->scale[i]), c_double(&m->a, ms->q[i]), ms->msize ? ms->msize[i] : 0);
        if (ms->cmp[i] == IR_CF_TABLE)
            sb_printf(o, "measure%d_m%d},\n", id, i);
        else
            sb_puts(o, "0},\n");
    }
    sb_puts(o, "};\n");
    sb_printf(o, "static const nv_measure measure%d = {%d, %s, {", id, (int)ms->kind, c_double(&m->a, ms->p));
    for (int k = 0; k < 4; k++)
        sb_printf(o, "%s%s", k ? ", " : "", c_double(&m->a, ms->c[k]));
    sb_puts(o, "}, {");
    for (int k = 0; k < 4; k++)
        sb_printf(o, "%s%s", k ? ", " : "", c_double(&m->a, ms->d[k]));
    int absdiff = ms->kind != IR_MS_BINARY;
    for (int i = 0; i < ms->nf; i++)
        absdiff &= ms->cmp[i] == IR_CF_ABS_DIFF;
    sb_printf(o, "}, %d, measure%d_f, %d};\n", ms->nf, id, absdiff);
    return arena_printf(&m->a, "measure%d", id);
}

/* the static const nv_assoc "assocN" of an association model's items,
   itemsets and rules; one per IrAssoc */
static const char *em_assoc(Em *m, const IrAssoc *as)
{
    int id;
    for (id = 0; id < m->nassocs; id++)
        if (m->assocs[id] == as)
            return arena_printf(&m->a, "assoc%d", id);
    VEC_PUSH(&m->a, m->assocs, m->nassocs, m->cap_assocs, as);
    rt_call(m, "nv_assoc_rule");
    StrBuf *o = &m->dict_text;
    /* the item values sorted for the search, and each one's item */
    const char **sorted = em_sorted(m, as->items, as->nitems);
    sb_printf(o, "static const char *const assoc%d_values[] = {", id);
    for (int i = 0; i < as->nitems; i++)
        sb_printf(o, "%s%s,", i % 6 == 0 ? "\n    " : " ", c_string(&m->a, sorted[i]));
    sb_printf(o, "%s\n};\nstatic const int assoc%d_item[] = {", as->nitems ? "" : "\n    \"\"", id);
    for (int i = 0; i < as->nitems; i++) {
        int it = 0;
        while (strcmp(as->items[it], sorted[i]) != 0)
            it++;
        sb_printf(o, "%s%d,", i % 16 == 0 ? "\n    " : " ", it);
    }
    sb_printf(o, "%s\n};\nstatic const int assoc%d_sets[] = {", as->nitems ? "" : "\n    0", id);
    for (int i = 0; i <= as->nsets; i++)
        sb_printf(o, "%s%d,", i % 16 == 0 ? "\n    " : " ", as->set_start[i]);
    sb_printf(o, "\n};\nstatic const int assoc%d_set_items[] = {", id);
    for (int i = 0; i < as->set_start[as->nsets]; i++)
        sb_printf(o, "%s%d,", i % 16 == 0 ? "\n    " : " ", as->set_items[i]);
    sb_printf(o, "%s\n};\nstatic const int assoc%d_rules[] = {", as->set_start[as->nsets] ? "" : "\n    0", id);
    for (int i = 0; i < as->nrules; i++)
        sb_printf(o, "%s%d, %d,", i % 8 == 0 ? "\n    " : " ", as->ante[i], as->cons[i]);
    sb_printf(o, "%s\n};\n", as->nrules ? "" : "\n    0");
    sb_printf(o, "static const nv_assoc assoc%d = {%d, assoc%d_values, assoc%d_item, %d, assoc%d_sets, "
                 "assoc%d_set_items, %d, assoc%d_rules};\n",
              id, as->nitems, id, id, as->nsets, id, id, as->nrules, id);
    return arena_printf(&m->a, "assoc%d", id);
}

/* the record's side of a measure: a local array of nf doubles, NaN for a
   missing value */
static const char *em_measure_record(Em *m, IrExpr *const *x, int nf)
{
    const char *arr = arena_printf(&m->a, "t%d", ++m->tmp);
    em_line(m, "double %s[%d];", arr, nf);
    for (int i = 0; i < nf; i++) {
        CVal v = emit_expr(m, x[i]);
        if (strcmp(v.n, "0") == 0)
            em_line(m, "%s[%d] = (double)%s;", arr, i, v.v);
        else
            em_line(m, "%s[%d] = %s ? NAN : (double)%s;", arr, i, v.n, v.v);
    }
    return arr;
}

/* whether the string s is one of strs[0..n): a few compares, or a binary
   search of a sorted table when there are many */
const char *em_str_in(Em *m, const char *s, const char *const *strs, int n)
{
    if (n > 8) {
        int di = em_dict(m, em_sorted(m, strs, n), n);
        return arena_printf(&m->a, "(%s(%s, dict%d, %d) >= 0)", rt_call(m, "nv_intern"), s, di, n);
    }
    const char **parts = ARENA_ARRAY(&m->a, const char *, n + 1);
    for (int i = 0; i < n; i++)
        parts[i] = arena_printf(&m->a, "strcmp(%s, %s) == 0", s, em_string(m, strs[i]));
    return n ? em_join(m, parts, n, " || ") : "0";
}

static int cmp_num(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* whether the number v is one of vals[0..n) (as floats when fl): a binary
   search of a sorted table */
const char *em_num_in(Em *m, const char *v, const double *vals, int n, int fl)
{
    IrTable *t = ARENA_NEW(&m->a, IrTable);
    t->type = ir_type(T_DOUBLE);
    t->width = 1;
    t->num = ARENA_ARRAY(&m->a, double, n + 1);
    for (int i = 0; i < n; i++) {
        double x = fl ? (double)(float)vals[i] : vals[i];
        if (x == x) /* NaN equals nothing */
            t->num[t->n++] = x;
    }
    qsort(t->num, (size_t)t->n, sizeof *t->num, cmp_num);
    int u = 0;
    for (int i = 0; i < t->n; i++)
        if (!u || t->num[u - 1] != t->num[i])
            t->num[u++] = t->num[i];
    t->n = u;
    return arena_printf(&m->a, "%s((double)%s, %s, %d) >= 0", rt_call(m, "nv_find_num"), v, em_table(m, t), u);
}

/* ---- expressions ----
 * An expression comes back as C text (CVal).  Arithmetic, comparisons and
 * kernels of numbers come back inline, "(v3 * 2.0)" with its null flag
 * "v3_n", so that a formula is one C expression rather than a temporary per
 * operation (a fraction of the C for the compiler to read).  Only an operand
 * used once, an assignment or a condition takes a value inline
 * (emit_inline); every other consumer gets a name (emit_expr), which puts an
 * inline value into a temporary first. */
static CVal materialize(Em *m, CVal x, const IrType *t)
{
    if (!x.inl)
        return x;
    const char *name = new_tmp(m, ir_base((IrType *)t), 0);
    em_line(m, "%s = %s;", name, x.v);
    CVal r = {name, "0", 0};
    if (strcmp(x.n, "0") != 0) {
        em_line(m, "int %s_n = %s;", name, x.n);
        r.n = arena_printf(&m->a, "%s_n", name);
    }
    return r;
}

static CVal emit_expr(Em *m, const IrExpr *e)
{
    return materialize(m, emit_inline(m, e), e->type);
}

/* a call that can be inline: a pure function of numbers (or a comparison),
   whose operands are safe to compute even when null (their null value is a
   number, or "" for a string), with no division of integers */
static int inline_call(const IrExpr *e)
{
    IrTypeKind k = ir_base(e->type)->kind;
    if (k != T_DOUBLE && k != T_FLOAT && k != T_BOOL)
        return 0;
    switch (e->fn) {
    case FN_MEDIAN:
    case FN_WMEDIAN:
    case FN_PMEDIAN:
    case FN_VOTE:
    case FN_AND:
    case FN_OR:
        return 0;
    default:
        break;
    }
    for (int i = 0; i < e->n; i++) {
        IrTypeKind a = ir_base(e->a[i]->type)->kind;
        int cmp = e->fn >= FN_EQ && e->fn <= FN_GE;
        if (a != T_DOUBLE && a != T_FLOAT && a != T_BOOL && a != T_INT && !(cmp && a == T_STRING))
            return 0;
    }
    return 1;
}

/* ---- linear formulas (E_LINEAR) ----
 * A sum of terms in order: inline additions, a temporary every LINEAR_CHUNK
 * terms; a run of LINEAR_TABLE or more terms "coefficient * input" (a
 * double the record holds, read where it lies) is a table of data that
 * nv_linear adds up, so that a regression over 50,000 inputs is a loop,
 * not 50,000 lines of C. */
enum { LINEAR_CHUNK = 64, LINEAR_TABLE = 256 };

static int linear_term(const Em *m, const IrExpr *t)
{
    return t->kind == E_CALL && t->fn == FN_MUL && t->n == 2 && t->a[0]->kind == E_LIT && !t->a[0]->lit_null &&
           ir_base(t->a[0]->type)->kind == T_DOUBLE && t->a[1]->kind == E_VAR && m->direct[t->a[1]->var] &&
           ir_base(m->p->vars[t->a[1]->var].type)->kind == T_DOUBLE;
}

static CVal emit_linear(Em *m, const IrExpr *e)
{
    CVal acc = emit_inline(m, e->a[0]);
    int table = ir_base(e->type)->kind == T_DOUBLE, chunk = 0;
    for (int k = 1; k < e->n;) {
        int run = 0;
        while (table && k + run < e->n && linear_term(m, e->a[k + run]))
            run++;
        if (run >= LINEAR_TABLE) {
            int id = m->nlinear++;
            sb_printf(&m->dict_text, "static const nv_lterm linear%d[%d] = {", id, run);
            for (int j = 0; j < run; j++) {
                const IrExpr *t = e->a[k + j];
                sb_printf(&m->dict_text, "%s{%d, %s},", j % 4 == 0 ? "\n    " : " ", m->p->vars[t->a[1]->var].input,
                          c_double(&m->a, t->a[0]->lit_double));
            }
            sb_puts(&m->dict_text, "\n};\n");
            const char *t = new_tmp(m, ir_type(T_DOUBLE), 1);
            em_line(m, "%s_n = %s;", t, acc.n);
            em_line(m, "%s = %s(in, %s_input_fields, linear%d, %d, %s, &%s_n);", t, rt_call(m, "nv_linear"),
                    m->o->prefix, id, run, acc.v, t);
            acc = (CVal){t, arena_printf(&m->a, "%s_n", t), 0};
            k += run;
            chunk = 0;
            continue;
        }
        CVal y = emit_inline(m, e->a[k]);
        CVal both[2] = {acc, y};
        acc = (CVal){arena_printf(&m->a, "(%s + %s)", acc.v, y.v), or_nulls(m, both, 2), 1};
        if (++chunk % LINEAR_CHUNK == 0)
            acc = materialize(m, acc, e->type);
        k++;
    }
    return acc;
}

static CVal emit_inline(Em *m, const IrExpr *e)
{
    CVal r = {"0", "0", 0};
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
        em_line(m, "%s = %s;", t, x.v);
        r.v = t;
        r.n = arena_printf(&m->a, "(%s || %s != %s)", x.n, t, t);
        if (strcmp(x.n, "0") == 0)
            r.n = arena_printf(&m->a, "(%s != %s)", t, t);
        return r;
    }
    case E_INVALID_IF_NAN: {
        /* PMML's Apply invalidValueTreatment returnInvalid: the record
           stops here (every output is already missing) */
        CVal x = emit_expr(m, e->a[0]);
        if (strcmp(x.n, "0") != 0)
            em_line(m, "if (!(%s) && %s != %s) return NERVA_RESULT_INVALID;", x.n, x.v, x.v);
        else
            em_line(m, "if (%s != %s) return NERVA_RESULT_INVALID;", x.v, x.v);
        return x;
    }
    case E_CALL: {
        CVal *v = ARENA_ARRAY(&m->a, CVal, e->n ? e->n : 1);
        int any_null = 0;
        for (int i = 0; i < e->n; i++)
            any_null |= ir_is_nullable(e->a[i]->type);
        if ((e->fn == FN_AND || e->fn == FN_OR) && !any_null) {
            /* no operand can be null: two-valued.  Operands that are single
               expressions join as one C expression; otherwise one test per
               operand, the first that decides jumping to the end */
            int isand = e->fn == FN_AND;
            size_t at = m->out->len;
            int tmp0 = m->tmp, label0 = m->label;
            EmTables tables0 = em_tables_mark(m);
            const char **parts = ARENA_ARRAY(&m->a, const char *, e->n + 1);
            for (int i = 0; i < e->n; i++)
                parts[i] = arena_printf(&m->a, "(%s)", emit_inline(m, e->a[i]).v);
            if (m->out->len == at && e->n <= 16) {
                r.v = arena_printf(&m->a, "(%s)", em_join(m, parts, e->n, isand ? " && " : " || "));
                r.inl = 1;
                return r;
            }
            m->out->len = at;  /* statements came with them: the long form */
            if (m->out->data)
                m->out->data[at] = 0;
            m->tmp = tmp0;
            m->label = label0;
            em_tables_reset(m, tables0); /* the tables they printed are printed again */
            int L = ++m->label;
            const char *t = new_tmp(m, bt, 0);
            em_line(m, "%s = %d;", t, isand);
            for (int i = 0; i < e->n; i++) {
                CVal x = emit_inline(m, e->a[i]);
                em_line(m, "if (%s%s) { %s = %d; goto sc_%d; }", isand ? "!" : "", x.v, t, !isand, L);
            }
            em_line(m, "sc_%d:;", L);
            r.v = t;
            return r;
        }
        if (e->fn == FN_AND || e->fn == FN_OR) {
            /* three-valued: a false (true) operand decides even beside null */
            int isand = e->fn == FN_AND;
            int L = ++m->label;
            const char *t = new_tmp(m, bt, 1);
            em_line(m, "%s = %d; %s_n = 0;", t, isand, t);
            for (int i = 0; i < e->n; i++) {
                CVal x = emit_expr(m, e->a[i]);
                em_line(m, "if (%s) %s_n = 1; else if (%s%s) { %s = %d; %s_n = 0; goto sc_%d; }",
                     x.n, t, isand ? "!" : "", x.v, t, !isand, t, L);
            }
            em_line(m, "sc_%d:;", L);
            r.v = t;
            r.n = arena_printf(&m->a, "%s_n", t);
            return r;
        }
        if (e->fn >= FN_AGG_MIN && e->fn <= FN_AGG_MEDIAN) {
            /* the values and their null flags as two arrays: nulls are
               skipped, and the result is null only when all are */
            const char **vs = ARENA_ARRAY(&m->a, const char *, e->n + 1);
            const char **ns = ARENA_ARRAY(&m->a, const char *, e->n + 1);
            for (int i = 0; i < e->n; i++) {
                CVal x = emit_expr(m, e->a[i]);
                vs[i] = arena_printf(&m->a, "(double)%s", x.v);
                ns[i] = x.n;
            }
            const char *t = new_tmp(m, ir_type(T_DOUBLE), 1);
            em_line(m, "%s_n = !%s(%d, (double[]){%s}, (const unsigned char[]){%s}, %d, &%s);", t,
                    rt_call(m, "nv_agg"), (int)(e->fn - FN_AGG_MIN), em_join(m, vs, e->n, ", "),
                    em_join(m, ns, e->n, ", "), e->n, t);
            r.v = bt->kind == T_FLOAT ? arena_printf(&m->a, "((float)%s)", t) : t;
            r.n = nullable ? arena_printf(&m->a, "%s_n", t) : "0";
            return r;
        }
        if (e->fn == FN_FORMAT_DATETIME || e->fn == FN_FORMAT_NUMBER) {
            /* functions that may give no value (a value they cannot format) */
            CVal x = emit_expr(m, e->a[0]);
            const char *call;
            m->scratch = 1;
            if (e->fn == FN_FORMAT_DATETIME) {
                IrTemporal k = ir_temporal(e->a[0]->type);
                call = arena_printf(&m->a, "%s(&%s, %s, %d, %s, %s)", rt_call(m, "nv_format_datetime"), m->scr, x.v,
                                    ir_temporal_unit(k), c_double(&m->a, ir_temporal_offset(k)),
                                    em_string(m, e->a[1]->lit_str));
            } else
                call = arena_printf(&m->a, "%s(&%s, (double)%s, %lld, %s)", rt_call(m, "nv_format_number"), m->scr,
                                    x.v, e->a[2]->lit_long, em_string(m, e->a[1]->lit_str));
            const char *t = new_tmp(m, bt, 1);
            em_line(m, "if (!(%s) && (%s = %s) != NULL) %s_n = 0; else %s = \"\";", x.n, t, call, t, t);
            r.v = t;
            r.n = arena_printf(&m->a, "%s_n", t);
            return r;
        }
        /* operands inline, but where call_text uses one twice */
        int twice = e->fn == FN_MIN || e->fn == FN_MAX || e->fn == FN_ISNAN || e->n > 4;
        for (int i = 0; i < e->n; i++)
            v[i] = twice ? emit_expr(m, e->a[i]) : emit_inline(m, e->a[i]);
        const char *nulls = or_nulls(m, v, e->n);
        const char *txt = call_text(m, e, v);
        if (inline_call(e) && strlen(txt) + strlen(nulls) < 200) {
            r.v = txt;
            r.n = nullable ? nulls : "0";
            r.inl = 1;
            return r;
        }
        const char *t = new_tmp(m, bt, 0);
        if (strcmp(nulls, "0") == 0 || !nullable) {
            em_line(m, "%s = %s;", t, txt);
            r.v = t;
            return r;
        }
        em_line(m, "int %s_n = %s;", t, nulls);
        em_line(m, "%s = %s_n ? %s : %s;", t, t, em_czero(bt), txt);
        r.v = t;
        r.n = arena_printf(&m->a, "%s_n", t);
        return r;
    }
    case E_IF: {
        /* A chain "if c1 then x1 else if c2 then x2 ... else y" (a MapValues,
           a Discretize) is emitted flat, each test jumping to the end once it
           decides: the C stays linear in the chain, and so does this loop's
           work, where nested blocks would grow its indentation and recurse
           once per link.  A null condition makes the result null. */
        const char *t = new_tmp(m, bt, 1);
        if (e->a[2]->kind != E_IF) {
            /* one test */
            CVal c = emit_inline(m, e->a[0]);
            em_line(m, "if (!(%s) && %s) {", c.n, c.v);
            m->ind++;
            CVal x = emit_expr(m, e->a[1]);
            em_line(m, "%s = %s; %s_n = %s;", t, x.v, t, x.n);
            m->ind--;
            em_line(m, "} else if (!(%s)) {", c.n);
            m->ind++;
            CVal y = emit_expr(m, e->a[2]);
            em_line(m, "%s = %s; %s_n = %s;", t, y.v, t, y.n);
            m->ind--;
            em_line(m, "}");
            r.v = t;
            r.n = arena_printf(&m->a, "%s_n", t);
            return r;
        }
        int L = ++m->label;
        const IrExpr *cur = e;
        for (; cur->kind == E_IF; cur = cur->a[2]) {
            CVal c = emit_inline(m, cur->a[0]);
            if (strcmp(c.n, "0") != 0)
                em_line(m, "if (%s) goto if_%d;", c.n, L);
            em_line(m, "if (%s) {", c.v);
            m->ind++;
            CVal x = emit_expr(m, cur->a[1]);
            em_line(m, "%s = %s; %s_n = %s; goto if_%d;", t, x.v, t, x.n, L);
            m->ind--;
            em_line(m, "}");
        }
        CVal y = emit_expr(m, cur);
        em_line(m, "%s = %s; %s_n = %s;", t, y.v, t, y.n);
        sb_printf(m->out, "%*sif_%d:;\n", m->ind * 4, "", L);
        r.v = t;
        r.n = arena_printf(&m->a, "%s_n", t);
        return r;
    }
    case E_COALESCE: {
        if (e->n == 2 && bt->kind == T_BOOL && e->a[1]->kind == E_LIT && !e->a[1]->lit_null &&
            !ir_is_nullable(e->a[1]->type)) {
            /* a condition whose unknown counts as false (or true): one expression */
            CVal x = emit_inline(m, e->a[0]);
            r.v = strcmp(x.n, "0") == 0 ? x.v
                  : arena_printf(&m->a, e->a[1]->lit_bool ? "((%s) || (%s))" : "(!(%s) && (%s))", x.n, x.v);
            r.inl = 1;
            return r;
        }
        /* the first value that is not null: flat, as for E_IF */
        const char *t = new_tmp(m, bt, 1);
        int L = ++m->label;
        for (int i = 0; i < e->n; i++) {
            if (e->n == 2 && i == 1) {
                /* the usual case, x or a default */
                em_line(m, "if (%s_n) {", t);
                m->ind++;
            }
            CVal x = emit_expr(m, e->a[i]);
            em_line(m, "%s = %s; %s_n = %s;", t, x.v, t, x.n);
            if (e->n == 2 && i == 1) {
                m->ind--;
                em_line(m, "}");
            } else if (e->n > 2 && i + 1 < e->n)
                em_line(m, "if (!%s_n) goto co_%d;", t, L);
        }
        if (e->n > 2)
            sb_printf(m->out, "%*sco_%d:;\n", m->ind * 4, "", L);
        r.v = t;
        r.n = arena_printf(&m->a, "%s_n", t);
        return r;
    }
    case E_CAST: {
        CVal x = emit_expr(m, e->a[0]);
        IrType *xt = ir_base(e->a[0]->type);
        const char *t = new_tmp(m, bt, 1);
        IrTemporal tx = ir_temporal(xt), tb = ir_temporal(bt);
        if (tx && tb) {
            /* one date or time as another: a date is a dateTime at midnight, ... */
            em_line(m, "if (!(%s)) { %s = %s(%s, %d, %s, %d, %s); %s_n = %s != %s; }", x.n, t,
                    rt_call(m, "nv_tm_convert"), x.v, ir_temporal_unit(tx), c_double(&m->a, ir_temporal_offset(tx)),
                    ir_temporal_unit(tb), c_double(&m->a, ir_temporal_offset(tb)), t, t, t);
        } else if (tb && xt->kind == T_STRING) {
            em_line(m, "if (!(%s)) %s_n = !%s(%s, %d, %d, %s, &%s);", x.n, t, rt_call(m, "nv_tm_parse"), x.v,
                    ir_temporal_unit(tb), ir_temporal_since(tb), c_double(&m->a, ir_temporal_offset(tb)), t);
        } else if (tx && bt->kind == T_STRING) {
            m->scratch = 1;
            em_line(m, "if (!(%s) && (%s = %s(&%s, %s, %d, %d, %s)) != NULL) %s_n = 0; else %s = \"\";", x.n, t,
                    rt_call(m, "nv_tm_text"), m->scr, x.v, ir_temporal_unit(tx), ir_temporal_since(tx),
                    c_double(&m->a, ir_temporal_offset(tx)), t, t);
        } else if (xt->kind == T_STRING && bt->kind != T_STRING) {
            em_line(m, "if (!(%s)) { double d; if (%s(%s, &d)) { %s = (%s)d; %s_n = 0; } }",
                 x.n, rt_call(m, "nv_strtod"), x.v, t, em_ctype(bt), t);
        } else if (bt->kind == T_STRING && xt->kind != T_STRING) {
            m->scratch = 1;
            if (xt->kind == T_BOOL)
                em_line(m, "if (!(%s)) { %s = %s ? \"true\" : \"false\"; %s_n = 0; }", x.n, t, x.v, t);
            else
                em_line(m, "if (!(%s)) { %s = %s(&%s, (double)%s, %d); %s_n = 0; }", x.n, t,
                     rt_call(m, "nv_dtostr"), m->scr, x.v, xt->kind == T_FLOAT ? 1 : (xt->kind == T_LONG || xt->kind == T_INT) ? 2 : 0,
                     t);
        } else if ((bt->kind == T_LONG || bt->kind == T_INT) &&
                   (xt->kind == T_DOUBLE || xt->kind == T_FLOAT)) {
            /* truncation toward zero, only when the value fits */
            em_line(m, "if (!(%s) && %s >= -9.2e18 && %s <= 9.2e18) { %s = (%s)%s; %s_n = 0; }",
                 x.n, x.v, x.v, t, em_ctype(bt), x.v, t);
        } else {
            em_line(m, "%s = (%s)%s; %s_n = %s;", t, em_ctype(bt), x.v, t, x.n);
        }
        r.v = t;
        r.n = arena_printf(&m->a, "%s_n", t);
        return r;
    }
    case E_STR_IN: {
        CVal x = emit_expr(m, e->a[0]);
        const char *acc = em_str_in(m, x.v, e->strs, e->nstrs);
        const char *t = new_tmp(m, bt, 0);
        if (strcmp(x.n, "0") == 0)
            em_line(m, "%s = %s;", t, acc ? acc : "0");
        else
            em_line(m, "%s = !(%s) && (%s);", t, x.n, acc ? acc : "0");
        r.v = t;
        r.n = x.n;
        return r;
    }
    case E_CODE_IN: {
        CVal x = emit_expr(m, e->a[0]);
        const char *t = new_tmp(m, bt, 0);
        em_line(m, "%s = %s(unsigned)%s < 64u && ((0x%llxULL >> %s) & 1u);", t,
             strcmp(x.n, "0") ? arena_printf(&m->a, "!(%s) && ", x.n) : "", x.v,
             (unsigned long long)e->lit_long, x.v);
        r.v = t;
        r.n = x.n;
        return r;
    }
    case E_TEXT_INDEX: {
        CVal x = emit_expr(m, e->a[0]);
        CVal y = emit_expr(m, e->a[1]);
        m->scratch = 1;
        const char *t = new_tmp(m, bt, 1);
        const char *call = arena_printf(&m->a, "%s(&%s, &tix%d, &tcache[%d], %s, %s)", rt_call(m, "nv_tf"),
                                        m->scr, e->tree, e->tree, x.v, y.v);
        em_line(m, "if (!(%s) && !(%s)) { %s = %s; %s_n = 0; }", x.n, y.n, t, call, t);
        r.v = t;
        r.n = arena_printf(&m->a, "%s_n", t);
        return r;
    }
    case E_INTERN: {
        CVal x = emit_expr(m, e->a[0]);
        int di = em_dict(m, e->strs, e->nstrs);
        const char *t = new_tmp(m, bt, 0);
        em_line(m, "%s = %s ? -1 : %s(%s, dict%d, %d);", t, x.n, rt_call(m, "nv_intern"), x.v, di, e->nstrs);
        r.v = t;
        r.n = x.n;
        return r;
    }
    case E_FIND_NUM:
    case E_BIN: {
        CVal x = emit_expr(m, e->a[0]);
        const char *t = new_tmp(m, bt, 0);
        em_line(m, "%s = %s%s((double)%s, %s, %d);", t, strcmp(x.n, "0") ? arena_printf(&m->a, "%s ? -1 : ", x.n) : "",
                rt_call(m, e->kind == E_BIN ? "nv_bin_index" : "nv_find_num"), x.v, em_table(m, e->tab), e->tab->n);
        r.v = t;
        r.n = x.n;
        return r;
    }
    case E_LOOKUP: {
        CVal x = emit_expr(m, e->a[0]);
        const char *t = new_tmp(m, bt, 1);
        em_line(m, "if (!(%s) && %s >= 0) { %s = %s[%s]; %s_n = 0; }", x.n, x.v, t, em_table(m, e->tab), x.v, t);
        r.v = t;
        r.n = arena_printf(&m->a, "%s_n", t);
        return r;
    }
    case E_LINEAR:
        return emit_linear(m, e);
    case E_ASSOC: {
        const IrAssoc *as = e->as;
        const char *an = em_assoc(m, as);
        const char *pr = arena_printf(&m->a, "t%d", ++m->tmp);
        const char *t = new_tmp(m, ir_type(T_INT), 0);
        int set = e->n == 1 && ir_base(e->a[0]->type)->kind == T_ARRAY;
        em_line(m, "unsigned char %s[%d];", pr, as->nitems ? as->nitems : 1);
        r.n = "0";
        if (set) {
            /* the items the set holds; a missing set gives no rule */
            CVal x = emit_expr(m, e->a[0]);
            em_line(m, "%s = -1;", t);
            em_line(m, "if (!(%s)) {", x.n);
            m->ind++;
            em_line(m, "%s(&%s, %s, %s);", rt_call(m, "nv_assoc_present"), an, x.v, pr);
        } else {
            for (int i = 0; i < e->n; i++) {
                CVal x = emit_expr(m, e->a[i]);
                em_line(m, "%s[%d] = (unsigned char)(!(%s) && %s);", pr, i, x.n, x.v);
            }
        }
        em_line(m, "%s = %s(&%s, %s, %d, %s, %d, %d);", t, rt_call(m, "nv_assoc_rule"), an, pr, e->col,
                em_table(m, e->tab), e->lit_bool, e->code);
        if (set) {
            m->ind--;
            em_line(m, "}");
        }
        r.v = t;
        return r;
    }
    case E_MEASURE: {
        const char *rows, *ms = em_measure(m, e->ms, &rows);
        const char *x = em_measure_record(m, e->a, e->ms->nf);
        const char *t = new_tmp(m, ir_type(T_DOUBLE), 0);
        em_line(m, "%s = %s(&%s, %s, %s(&%s, %s), %s + %d);", t, rt_call(m, "nv_measure_row"), ms, x,
                rt_call(m, "nv_measure_adjust"), ms, x, rows, e->col * e->ms->nf);
        r.v = t;
        r.n = arena_printf(&m->a, "(%s != %s)", t, t);
        return r;
    }
    case E_PIECEWISE: {
        CVal x = emit_expr(m, e->a[0]);
        const char *t = new_tmp(m, ir_type(T_DOUBLE), 1);
        em_line(m, "if (!(%s)) %s_n = !%s((double)%s, %s, %d, %d, &%s);", x.n, t, rt_call(m, "nv_piecewise"), x.v,
                em_table(m, e->tab), e->tab->n, e->col, t);
        r.v = t;
        r.n = arena_printf(&m->a, "%s_n", t);
        return r;
    }
    case E_TREE: {
        const char *t = new_tmp(m, bt, 1);
        trees_walk(m, e, t);
        em_line(m, "%s_n = %s < 0;", t, t);
        r.v = t;
        r.n = arena_printf(&m->a, "%s_n", t);
        return r;
    }
    case E_TREE_GET: {
        CVal x = emit_expr(m, e->a[0]);
        const char *t = new_tmp(m, bt, 1);
        int has_null = roll_col_has_null(m, e->tree, e->col);
        int k = ir_base(m->p->trees[e->tree]->cols[e->col].type)->kind;
        const char *col = roll_col(m, e->tree, e->col, 0);
        /* columns of numbers are bytes (emit_trees.c, emit_tree_cols) */
        const char *get = k == T_FLOAT    ? arena_printf(&m->a, "%s(%s + 4 * (size_t)(%s))", rt_call(m, "nv_lef"), col, x.v)
                          : k == T_DOUBLE ? arena_printf(&m->a, "%s(%s + 8 * (size_t)(%s))", rt_call(m, "nv_led"), col, x.v)
                                          : arena_printf(&m->a, "%s[%s]", col, x.v);
        em_line(m, "if (!(%s)) { %s = %s; %s_n = %s; }", x.n, t, get,
             t, has_null ? arena_printf(&m->a, "%s[%s]", roll_col(m, e->tree, e->col, 1), x.v) : "0");
        r.v = t;
        r.n = arena_printf(&m->a, "%s_n", t);
        return r;
    }
    default:
        break;
    }
    NV_ASSERT(0);
}

static int keeps_value(const Em *m, int v)
{
    return m->val_read[v] || m->slot_of_var[v] >= 0 || m->env_var[v];
}

/* a statement's text, written one level deeper than m->ind: inside braces
   when it declares temporaries (scoped), else on its own, one level less
   indented; frees text */
static void put_scoped(Em *m, StrBuf *text, int scoped)
{
    if (scoped) {
        em_line(m, "{");
        sb_putn(m->out, text->data, text->len);
        em_line(m, "}");
    } else
        for (const char *q = text->data; q && *q;) {
            const char *e = strchr(q, '\n');
            size_t len = e ? (size_t)(e - q) + 1 : strlen(q);
            size_t cut = len > 4 && !strncmp(q, "    ", 4) ? 4 : 0;
            sb_putn(m->out, q + cut, len - cut);
            q += len;
        }
    sb_free(text);
}

static void emit_block(Em *m, const IrBlock *b)
{
    for (int i = 0; i < b->n; i++) {
        const IrStmt *s = b->s[i];
        if (s->comment && !m->roll) { /* a run's loop names its trees once (roll_comment) */
            sb_printf(m->out, "%*s/* ", m->ind * 4, "");
            comment_text(m->out, s->comment, 160);
            if (s->loc.line)
                sb_printf(m->out, " (line %d)", s->loc.line);
            sb_puts(m->out, " */\n");
        }
        switch (s->kind) {
        case S_SET: {
            /* inside braces when it needs temporaries, else on its own */
            StrBuf *out = m->out, text;
            sb_init(&text);
            m->out = &text;
            m->ind++;
            int t0 = m->tmp;
            CVal x = emit_inline(m, s->e);
            const IrVar *v = &m->p->vars[s->var];
            const char *sent = m->env_var[s->var] ? trees_null_sentinel(v->type) : NULL;
            if (sent && strcmp(x.n, "0") != 0)
                em_line(m, "%s = %s ? %s : %s;", m->vname[s->var], x.n, sent, x.v);
            else if (keeps_value(m, s->var))
                em_line(m, "%s = %s;", m->vname[s->var], x.v);
            if (ir_is_nullable(v->type))
                em_line(m, "%s = %s;", m->nname[s->var], x.n);
            if (m->slot_of_var[s->var] >= 0)
                em_line(m, "%s", trees_slot_mirror(m, s->var) + 1);
            m->ind--;
            m->out = out;
            put_scoped(m, &text, m->tmp != t0);
            break;
        }
        case S_IF: {
            /* inside braces when its condition needs temporaries */
            StrBuf *out = m->out, text;
            sb_init(&text);
            m->out = &text;
            m->ind++;
            int t0 = m->tmp;
            CVal c = emit_inline(m, s->e);
            const char *cond = strcmp(c.n, "0") ? arena_printf(&m->a, "!(%s) && %s", c.n, c.v) : c.v;
            if (!s->then_b.n && s->else_b.n) {
                em_line(m, "if (!(%s)) {", cond);
                m->ind++;
                emit_block(m, &s->else_b);
                m->ind--;
            } else {
                em_line(m, "if (%s) {", cond);
                m->ind++;
                emit_block(m, &s->then_b);
                m->ind--;
                if (s->else_b.n) {
                    em_line(m, "} else {");
                    m->ind++;
                    emit_block(m, &s->else_b);
                    m->ind--;
                }
            }
            em_line(m, "}");
            m->ind--;
            m->out = out;
            put_scoped(m, &text, m->tmp != t0);
            break;
        }
        case S_RETURN_INVALID:
            em_line(m, "return NERVA_RESULT_INVALID;");
            break;
        case S_NEAREST: {
            int k = s->nvars / 2;
            em_line(m, "{");
            m->ind++;
            const char *rows, *ms = em_measure(m, s->ms, &rows);
            const char *x = em_measure_record(m, s->args, s->ms->nf);
            int id = ++m->tmp;
            em_line(m, "int t%d[%d]; double t%d_v[%d];", id, k, id, k);
            em_line(m, "%s(&%s, %s, %s, %d, %d, t%d, t%d_v);", rt_call(m, "nv_nearest"), ms, x, rows,
                    s->ms->rows->n, k, id, id);
            for (int i = 0; i < k; i++) {
                int iv = s->vars[i], vv = s->vars[k + i];
                if (m->var_used[iv] && keeps_value(m, iv))
                    em_line(m, "%s = t%d[%d];", m->vname[iv], id, i);
                if (m->var_used[iv] && ir_is_nullable(m->p->vars[iv].type))
                    em_line(m, "%s = t%d[%d] < 0;", m->nname[iv], id, i);
                if (m->var_used[vv] && keeps_value(m, vv))
                    em_line(m, "%s = t%d_v[%d];", m->vname[vv], id, i);
                if (m->var_used[vv] && ir_is_nullable(m->p->vars[vv].type))
                    em_line(m, "%s = t%d_v[%d] != t%d_v[%d];", m->nname[vv], id, i, id, i);
            }
            m->ind--;
            em_line(m, "}");
            break;
        }
        case S_KERNEL: {
            /* a network or vector machine (emit_kernels.c) in braces of its
               own: its inputs, the call, then each output it gives */
            const IrKernel *k = m->p->kernels[s->var];
            em_line(m, "{");
            m->ind++;
            CVal *x = ARENA_ARRAY(&m->a, CVal, k->nin + 1);
            for (int j = 0; j < k->nin; j++)
                x[j] = emit_expr(m, s->e->a[j]);
            const char **outs = kernels_call(m, k, s->var, x);
            for (int j = 0; j < k->nouts; j++) {
                int v = k->outs[j];
                if (!m->var_used[v])
                    continue;
                if (keeps_value(m, v))
                    em_line(m, "%s = kok ? (%s)%s : 0;", m->vname[v], em_ctype(m->p->vars[v].type), outs[j]);
                em_line(m, "%s = !kok;", m->nname[v]);
            }
            m->ind--;
            em_line(m, "}");
            break;
        }
        case S_STATE:
            state_step(m, m->in_names);
            break;
        default:
            NV_ASSERT(0);
        }
    }
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

/* a text index's normalizations as constant tables; word lists sorted for
   bsearch; patterns are the program's (rxN) */
static void emit_text_index(Em *m, const IrTextIndex *t, int ti, StrBuf *o)
{
    static const int toks[] = {[TOK_SPACE] = 0, [TOK_WORDS] = 1, [TOK_SPLIT] = 2, [TOK_MATCH] = 3, [TOK_NONE] = 4};
    sb_printf(o, "/* TextIndex (line %d) */\n", t->loc.line);
    for (int k = 0; k < t->nnorms; k++) {
        const IrTextNorm *nm = &t->norms[k];
        for (int r = 0; r < nm->nrules; r++) {
            const IrTextRule *ru = &nm->rules[r];
            if (!ru->words)
                continue;
            const char **w = ARENA_ARRAY(&m->a, const char *, ru->nstrs + 1);
            memcpy(w, ru->strs, sizeof *w * (size_t)ru->nstrs);
            qsort(w, (size_t)ru->nstrs, sizeof *w, ru->cs ? cs_cmp : lc_cmp);
            sb_printf(o, "static const char *const tix%d_n%d_r%d[] = {", ti, k, r);
            for (int i = 0; i < ru->nstrs; i++)
                sb_printf(o, "%s%s,", i % 8 == 0 ? "\n    " : " ", em_string(m, w[i]));
            sb_puts(o, "\n};\n");
        }
        sb_printf(o, "static const nv_trule tix%d_n%d[] = {\n", ti, k);
        for (int r = 0; r < nm->nrules; r++) {
            const IrTextRule *ru = &nm->rules[r];
            if (ru->words)
                sb_printf(o, "    {1, tix%d_n%d_r%d, %d, NULL, %s, %d},\n", ti, k, r, ru->nstrs, em_string(m, ru->out),
                          ru->cs);
            else
                sb_printf(o, "    {0, NULL, 0, &rx%d, %s, %d},\n", ru->regex, em_string(m, ru->out), ru->cs);
        }
        if (!nm->nrules)
            sb_puts(o, "    {0, NULL, 0, NULL, \"\", 0},\n");
        sb_puts(o, "};\n");
    }
    if (t->nnorms) {
        sb_printf(o, "static const nv_tnorm tix%d_norms[] = {\n", ti);
        for (int k = 0; k < t->nnorms; k++)
            sb_printf(o, "    {tix%d_n%d, %d, %d},\n", ti, k, t->norms[k].nrules, t->norms[k].recursive);
        sb_puts(o, "};\n");
    }
    const char *tok = t->tokenizer == TOK_SPLIT || t->tokenizer == TOK_MATCH ? arena_printf(&m->a, "&rx%d", t->tok_regex)
                                                                            : "NULL";
    sb_printf(o, "static const nv_tix tix%d = {%d, %s, %d, %d, %d, %d, %s, %d};\n\n", ti, toks[t->tokenizer], tok,
              t->case_sensitive, t->max_lev, t->best_hits, (int)t->weight,
              t->nnorms ? arena_printf(&m->a, "tix%d_norms", ti) : "NULL", t->nnorms);
}

/* a pattern's program as constant data (runtime/lib/regex.c runs it) */
static void emit_regex(Em *m, const IrRegex *re, int ri, StrBuf *o)
{
    static const char *const ops[RE__COUNT] = {
#define X(k) "NV_RX_" #k,
        IR_RE_OPS(X)
#undef X
    };
    sb_puts(o, "/* pattern ");
    comment_text(o, re->src, 120);
    sb_printf(o, " */\nstatic const int rx%d_prog[] = {", ri);
    for (int i = 0; i < re->ninst; i++)
        sb_printf(o, "%s%s, %d, %d,", i % 4 == 0 ? "\n    " : " ", ops[re->prog[3 * i]], re->prog[3 * i + 1],
                  re->prog[3 * i + 2]);
    sb_printf(o, "\n};\nstatic const int rx%d_cls[] = {", ri);
    for (int i = 0; i < re->ncls; i++)
        sb_printf(o, "%s%d,", i % 12 == 0 ? "\n    " : " ", re->cls[i]);
    if (!re->ncls)
        sb_puts(o, "\n    0");
    sb_printf(o, "\n};\nstatic const nv_rx rx%d NV_UNUSED = {rx%d_prog, rx%d_cls, %d, %d};\n\n", ri, ri, ri,
              re->ninst, re->ncap < 2 ? 2 : re->ncap);
    (void)m;
}

/* the scratch bytes a unit's patterns need for one search (nv_rx_work) */
static size_t regex_work(const IrProgram *p)
{
    size_t most = 0;
    for (int i = 0; i < p->nregexes; i++) {
        size_t ni = (size_t)p->regexes[i]->ninst, nc = (size_t)(p->regexes[i]->ncap < 2 ? 2 : p->regexes[i]->ncap);
        size_t w = (10 * ni + 4 + 2 * ni * nc + nc) * sizeof(int) + 2 * sizeof(int);
        if (w > most)
            most = w;
    }
    return most;
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
            m->var_used[s->var] = m->var_set[s->var] = 1;
        /* a nearest-rows statement sets them all; only those read are kept */
        for (int k = 0; s->kind == S_NEAREST && k < s->nvars; k++)
            m->var_set[s->vars[k]] = 1;
        for (int k = 0; s->kind == S_NEAREST && k < s->nargs; k++)
            use_expr(m, s->args[k]);
        if (s->kind == S_KERNEL) /* its outputs count as used where they are read */
            for (int j = 0; j < m->p->kernels[s->var]->nouts; j++)
                m->var_set[m->p->kernels[s->var]->outs[j]] = 1;
        if (s->e)
            use_expr(m, s->e);
        use_block(m, &s->then_b);
        use_block(m, &s->else_b);
    }
}

static int abi_type(const IrType *t)
{
    IrTemporal k = ir_temporal(t);
    if (k) /* dates and times; a count from an epoch is a number out */
        return 5 + ir_temporal_unit(k);
    switch (ir_base((IrType *)t)->kind) {
    case T_DOUBLE: return 1;
    case T_FLOAT: return 2;
    case T_INT:
    case T_LONG: return 3;
    case T_BOOL: return 4;
    case T_STRING: return 5;
    case T_ARRAY: return 9;
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
    case 6: return "long long";
    case 7:
    case 8: return "double";
    case 9: return "const char *const *";
    default: return "const char *";
    }
}

/* an output's ABI type: a count of days or seconds from an epoch
   (dateDaysSince[1960], ...) is the number it is */
static IrType *out_abi(IrType *t)
{
    IrTemporal k = ir_temporal(t);
    return k && ir_temporal_since(k) ? ir_type(T_DOUBLE) : t;
}

/* the value of input field i (C member `name`) as the model holds it: a
   date or time is what the host binds plus its data type's offset */
static const char *in_value(Em *m, const IrType *t, const char *name)
{
    IrTemporal k = ir_temporal(t);
    if (!k)
        return arena_printf(&m->a, "in->%s", name);
    double off = ir_temporal_offset(k);
    if (off == 0)
        return arena_printf(&m->a, "((double)in->%s)", name);
    return arena_printf(&m->a, "((double)in->%s + %s)", name, c_double(&m->a, off));
}

/* ---- runs of invalid-value checks ----
 * A model with many inputs starts with one "if input k is invalid, the
 * record is" per field (MiningField invalidValueTreatment returnInvalid).
 * A run of them becomes a loop over a constant list of the fields, so that
 * the C stays small for a model of 50,000 inputs. */
enum { INVALID_RUN = 8 };

static int is_invalid_check(const IrStmt *s)
{
    return s->kind == S_IF && s->e && s->e->kind == E_INPUT_INVALID && !s->else_b.n && s->then_b.n == 1 &&
           s->then_b.s[0]->kind == S_RETURN_INVALID;
}

/* how many invalid checks start at body[i] (none past the forest walk) */
static int invalid_run(const IrBlock *b, int i, int stop)
{
    int n = 0;
    while (i + n < b->n && (stop <= i || i + n < stop) && is_invalid_check(b->s[i + n]))
        n++;
    return n;
}

static void emit_invalid_run(Em *m, const IrBlock *b, int i, int n)
{
    int id = m->ninvalid++;
    sb_printf(&m->dict_text, "static const int invalid%d[%d] = {", id, n);
    for (int k = 0; k < n; k++)
        sb_printf(&m->dict_text, "%s%d,", k % 16 == 0 ? "\n    " : " ", m->p->vars[b->s[i + k]->e->var].input);
    sb_puts(&m->dict_text, "\n};\n");
    const IrStmt *f = b->s[i], *l = b->s[i + n - 1];
    if (f->loc.line > 0 && l->loc.line > 0)
        em_line(m, "/* MiningFields: invalid values (lines %d to %d) */", f->loc.line, l->loc.line);
    else
        em_line(m, "/* MiningFields: invalid values */");
    em_line(m, "{");
    em_line(m, "    int k;");
    em_line(m, "    for (k = 0; k < %d; k++)", n);
    em_line(m, "        if (in->state[invalid%d[k]] == NERVA_INVALID) return NERVA_RESULT_INVALID;", id);
    em_line(m, "}");
}

/* ---- the fields' names in C ----
 * Each field is a struct member named after it, so that code naming a field
 * a retrained model removed or renamed fails to compile, and code for a
 * model whose fields were reordered still binds each value to its field.
 * The name is the field's with every character that is not an ASCII letter,
 * digit or '_' made '_'; "f" goes in front of one that starts with a digit
 * or '_' (or is empty), "_" after a C keyword or the struct's own members
 * (state, scratch); a long name keeps its first 40 characters and a hash of
 * the whole; a name already taken gets _2, _3, ... (docs/generated-code.md). */
static const char *const c_keywords[] = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern",
    "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed",
    "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while",
    "state", "scratch", "asm", "bool", "true", "false", "FIELDS",
};

static const char **member_names(Em *m, const IrField *f, int n)
{
    const char **names = ARENA_ARRAY(&m->a, const char *, n + 1);
    NameIndex taken = {0};
    for (int i = 0; i < n; i++) {
        const char *src = f[i].name;
        size_t len = strlen(src);
        StrBuf b;
        sb_init(&b);
        if (!len || isdigit((unsigned char)src[0]) || src[0] == '_')
            sb_putc(&b, 'f');
        for (size_t k = 0; k < len; k++)
            sb_putc(&b, isalnum((unsigned char)src[k]) ? src[k] : '_');
        for (size_t k = 0; k < sizeof c_keywords / sizeof *c_keywords; k++)
            if (!strcmp(b.data, c_keywords[k]))
                sb_putc(&b, '_');
        if (b.len > 60) {
            b.len = 40;
            b.data[40] = 0;
            sb_printf(&b, "_%016llx", (unsigned long long)hash_bytes(HASH_SEED, src, len));
        }
        const char *base = arena_strdup(&m->a, b.data), *name = base;
        sb_free(&b);
        for (int k = 2; names_get(&taken, name) >= 0; k++)
            name = arena_printf(&m->a, "%s_%d", base, k);
        names[i] = name;
        names_put(&m->a, &taken, name, i);
    }
    return names;
}

static void emit_field_struct(StrBuf *h, const char *pfx, const char *what, const char *idx,
                              const IrField *f, const char **names, int n, int scratch)
{
    sb_printf(h, "typedef struct %s_%s {\n", pfx, what);
    for (int i = 0; i < n; i++) {
        const char *ct = abi_ctype(f[i].type);
        sb_printf(h, "    %s%s%s; /* ", ct, ct[strlen(ct) - 1] == '*' ? "" : " ", names[i]);
        comment_text(h, f[i].name, 100);
        sb_printf(h, " : %s */\n", ir_type_name(ir_base(f[i].type)));
    }
    sb_printf(h, "    unsigned char state[%d]; /* enum nerva_state per field: state[%s_%s_NAME] */\n", n ? n : 1,
              pfx, idx);
    if (scratch)
        sb_printf(h, "    char scratch[%d]; /* storage of computed strings */\n", scratch);
    sb_printf(h, "} %s_%s;\n", pfx, what);
    /* each field's index in state[] (and in the descriptor's table) */
    sb_printf(h, "enum {\n");
    for (int i = 0; i < n; i++)
        sb_printf(h, "    %s_%s_%s = %d,\n", pfx, idx, names[i], i);
    sb_printf(h, "    %s_%s_FIELDS = %d\n};\n\n", pfx, idx, n);
}

static void emit_descriptors(Em *m, StrBuf *o, const char *pfx, const char *what,
                             const IrField *f, const char **names, int n)
{
    sb_printf(o, "static const nerva_field %s_%s_fields[] = {\n", pfx, what);
    for (int i = 0; i < n; i++)
        sb_printf(o, "    {%s, %d, offsetof(%s_%s, %s), offsetof(%s_%s, state) + %d},\n",
                  em_string(m, f[i].name), abi_type(f[i].type), pfx, what, names[i], pfx, what, i);
    if (n == 0)
        sb_puts(o, "    {\"\", 0, 0, 0},\n");
    sb_puts(o, "};\n\n");
}


/* The descriptor's read_text and write_text: ISO 8601 text of the date and
   time fields (runtime/lib/datetime.c); 0 when the model has none */
static int emit_text_fns(Em *m, StrBuf *c, const char *pfx, const char **in_names, const char **out_names,
                         const IrField *outs)
{
    const IrProgram *p = m->p;
    int any = 0;
    for (int i = 0; i < p->ninputs; i++)
        any |= ir_temporal(p->inputs[i].type) != TM_NONE;
    for (int i = 0; i < p->noutputs; i++)
        any |= ir_temporal(outs[i].type) != TM_NONE;
    if (!any)
        return 0;
    const char *rd = rt_call(m, "nv_iso_read"), *wr = rt_call(m, "nv_iso_write");
    sb_printf(c, "/* dates and times as ISO 8601 text, for hosts (nerva_model read_text, write_text) */\n"
                 "static int %s_read_text(void *in_, int field, const char *text)\n{\n"
                 "    %s_input *in = (%s_input *)in_;\n    double v;\n    int ok;\n    switch (field) {\n",
              pfx, pfx, pfx);
    for (int i = 0; i < p->ninputs; i++) {
        IrTemporal k = ir_temporal(p->inputs[i].type);
        if (!k)
            continue;
        sb_printf(c, "    case %d:\n        if ((ok = %s(text, %d, %d, &v)) != 0) in->%s = (%s)v;\n        break;\n", i,
                  rd, ir_temporal_unit(k), ir_temporal_since(k), in_names[i], abi_ctype(p->inputs[i].type));
    }
    sb_printf(c, "    default:\n        return -1;\n    }\n"
                 "    in->state[field] = (unsigned char)(ok ? NERVA_PRESENT : NERVA_INVALID);\n"
                 "    return ok ? NERVA_PRESENT : NERVA_INVALID;\n}\n\n");
    sb_printf(c, "static int %s_write_text(const void *out_, int field, char *buf, size_t size)\n{\n"
                 "    const %s_output *out = (const %s_output *)out_;\n    (void)out;\n    (void)buf;\n    (void)size;\n"
                 "    switch (field) {\n", pfx, pfx, pfx);
    for (int i = 0; i < p->noutputs; i++) {
        IrTemporal k = ir_temporal(outs[i].type);
        if (k)
            sb_printf(c, "    case %d:\n        return %s(buf, size, (double)out->%s, %d);\n", i, wr, out_names[i],
                      ir_temporal_unit(k));
    }
    sb_puts(c, "    default:\n        return -1;\n    }\n}\n\n");
    return 1;
}

/* ---- splitting a big program ---- */
#define SPLIT_STMTS 2000      /* statements (counted through blocks) that make a program big */
#define PART_BYTES 32768      /* C text per part function */
#define PIECE_END "\001"

static int count_stmts(const IrBlock *b)
{
    int n = 0;
    for (int i = 0; i < b->n; i++)
        n += 1 + count_stmts(&b->s[i]->then_b) + count_stmts(&b->s[i]->else_b);
    return n;
}

/* The score function's text.  A program not split is one function.  A
   split one keeps its statements in part functions of about PART_BYTES of C,
   which the score function calls in order, each returning NERVA_OK or the
   status to return.  A variable that one part alone uses is a plain local
   of that part; those that several parts share live in "nv_vars" (one per
   record, copied from a static template), and each part works on local
   copies of the ones it uses, loaded at its start and stored back at its end
   where it wrote them: plain locals are what the compiler keeps in
   registers and optimises cheaply. */
typedef struct Pieces {
    Em *m;
    StrBuf *c;          /* the unit */
    StrBuf *parts;      /* the part functions' bodies */
    int nparts, cap;
    StrBuf part;        /* the part being filled */
    StrBuf prologue;    /* the score function's start (not split: its text so far) */
    const char *pfx;
} Pieces;

static void flush_part(Pieces *pc)
{
    if (!pc->part.len)
        return;
    VEC_PUSH(&pc->m->a, pc->parts, pc->nparts, pc->cap, pc->part);
    sb_init(&pc->part);
}

static void piece_put(Pieces *pc, const char *text, size_t n)
{
    if (!pc->m->split) {
        sb_putn(pc->c, text, n);
        return;
    }
    if (pc->part.len && pc->part.len + n > PART_BYTES)
        flush_part(pc);
    sb_putn(&pc->part, text, n);
}

static void piece_printf(Pieces *pc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void piece_printf(Pieces *pc, const char *fmt, ...)
{
    StrBuf t;
    sb_init(&t);
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&t, fmt, ap);
    va_end(ap);
    piece_put(pc, t.data ? t.data : "", t.len);
    sb_free(&t);
}

/* A variable's declaration with its start value (not split; and the
   locals of a part), or its struct member and its start value in the
   template (split, shared).  flags: 1 the value, 2 the null flag (split:
   which a part uses; 3 both). */
static void declare_var(Em *m, int v, int flags, int member, StrBuf *decl, StrBuf *init)
{
    const IrVar *var = &m->p->vars[v];
    const char *ct = em_ctype(var->type);
    int nul = ir_is_nullable(var->type) && (flags & 2), keep = keeps_value(m, v) && (flags & 1);
    const char *sp = ct[strlen(ct) - 1] == '*' ? "" : " ";
    if (!keep && !nul)
        return;
    sb_puts(decl, "   ");
    if (keep) {
        sb_printf(decl, member ? " %s%sv%d;" : " %s%sv%d = %s;", ct, sp, v, em_czero(var->type));
        if (member && ir_base(var->type)->kind == T_STRING)
            sb_printf(init, "    .v%d = \"\",\n", v);
    }
    if (nul) {
        sb_printf(decl, member ? " int v%d_n;" : " int v%d_n = 1;", v);
        if (member)
            sb_printf(init, "    .v%d_n = 1,\n", v);
    }
    sb_puts(decl, " /* ");
    comment_text(decl, var->name ? var->name : "", 80);
    sb_puts(decl, " */\n");
}

/* what every record starts with: scratch space, trees' values, missing outputs */
static void score_start(Em *m, StrBuf *o)
{
    const IrProgram *p = m->p;
    if (m->scratch)
        sb_printf(o, "    %s.base = out->scratch; %s.used = 0; %s.cap = sizeof out->scratch; %s.overflow = 0;\n",
                  m->scr, m->scr, m->scr, m->scr);
    if (!m->split) {
        if (m->any_table)
            sb_printf(o, "    memset(fx, 0, sizeof fx);\n");
        if (p->ntexts)
            sb_printf(o, "    memset(tcache, 0, sizeof tcache);\n");
        if (m->any_env || m->ntrees_used)
            sb_puts(o, "    memset(&E, 0, sizeof E);\n");
        for (int v = 0; v < p->nvars; v++)
            if (m->env_var[v] && ir_is_nullable(p->vars[v].type)) {
                const char *sent = trees_null_sentinel(p->vars[v].type);
                sb_printf(o, "    %s = 1;", m->nname[v]);
                if (sent)
                    sb_printf(o, " %s = %s;", m->vname[v], sent);
                sb_putc(o, '\n');
            }
        for (int s = 0; s < m->nslots; s++)
            sb_printf(o, "    fx[%d].n = 1;%s\n", s, m->slot_kind[s] ? arena_printf(&m->a, " fx[%d].p = NV_GMISS;", s) : "");
    }
    sb_printf(o, "    memset(out->state, NERVA_MISSING, sizeof out->state);\n");
}

static void score_prologue(Em *m, Pieces *pc, const char *pfx)
{
    const IrProgram *p = m->p;
    pc->pfx = pfx;
    sb_init(&pc->part);
    sb_init(&pc->prologue);
    if (m->split)
        return; /* all of it once the parts are known */
    StrBuf *c = pc->c, decl;
    sb_init(&decl);
    for (int v = 0; v < p->nvars; v++)
        if (!m->env_var[v] && m->var_used[v] && !m->direct[v])
            declare_var(m, v, 3, 0, &decl, NULL);
    if (trees_blocked(m)) /* B: the block of records the batch scores (emit_flat.c; never stateful) */
        sb_printf(c, "static int %s_score_in(const %s_input *in, %s_output *out, nv_fblk *B)\n{\n", pfx, pfx, pfx);
    else
        sb_printf(c, "int %s_score(%sconst %s_input *in, %s_output *out)\n{\n", pfx,
                  m->stateful ? arena_printf(&m->a, "%s_state *st, ", pfx) : "", pfx, pfx);
    if (m->any_env || m->ntrees_used)
        sb_puts(c, "    nv_env E;\n");
    if (m->scratch)
        sb_puts(c, "    nv_scratch S;\n");
    if (m->any_table)
        sb_printf(c, "    nv_slot fx[%d];\n", m->nslots);
    if (m->nforest)
        sb_printf(c, "    int gres[%d];\n", m->nforest);
    trees_locals(m, c);
    if (p->ntexts)
        sb_printf(c, "    nv_tcache tcache[%d];\n", p->ntexts);
    sb_puts(c, decl.data ? decl.data : "");
    sb_free(&decl);
    score_start(m, c);
    trees_resume(m, c);
}

/* The variables a part reads or writes, found in its text (vN, vN_n
   outside comments and literals): flag 1 read, 2 written, per value (even)
   and null flag (odd) of each variable. */
static unsigned char *part_vars(const Em *m, const char *s, size_t len, unsigned char *use)
{
    int nv = m->p->nvars;
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
            i = (size_t)(c_comment_end(s + i + 2, s + len) - s);
            continue;
        }
        if (!(isalpha((unsigned char)c) || c == '_')) {
            i++;
            continue;
        }
        size_t b = i;
        while (i < len && (isalnum((unsigned char)s[i]) || s[i] == '_'))
            i++;
        if (s[b] != 'v' || !isdigit((unsigned char)s[b + 1]) || (b > 0 && (s[b - 1] == '.' || s[b - 1] == '>')))
            continue;
        size_t d = b + 1;
        long k = 0;
        while (d < i && isdigit((unsigned char)s[d]) && k <= nv)
            k = k * 10 + (s[d++] - '0');
        int flag = d == i ? 0 : (i - d == 2 && s[d] == '_' && s[d + 1] == 'n') ? 1 : -1;
        if (flag < 0 || k >= nv || m->env_var[k])
            continue;
        size_t j = i;
        while (j < len && s[j] == ' ')
            j++;
        int write = j + 1 < len && s[j] == '=' && s[j + 1] != '=';
        use[2 * k + (size_t)flag] |= (unsigned char)(write ? 2 : 1);
    }
    return use;
}

static void split_epilogue(Pieces *pc)
{
    Em *m = pc->m;
    const IrProgram *p = m->p;
    StrBuf *c = pc->c;
    const char *pfx = pc->pfx;
    int nv = p->nvars, env = m->any_env || m->ntrees_used;
    flush_part(pc);
    /* which part uses which variable; shared: more than one part */
    unsigned char **use = ARENA_ARRAY(&m->a, unsigned char *, pc->nparts + 1);
    int *parts_of = ARENA_ARRAY(&m->a, int, nv + 1);
    for (int k = 0; k < pc->nparts; k++) {
        use[k] = part_vars(m, pc->parts[k].data, pc->parts[k].len, arena_alloc(&m->a, (size_t)nv * 2 + 2));
        for (int v = 0; v < nv; v++)
            parts_of[v] += (use[k][2 * v] | use[k][2 * v + 1]) != 0;
    }
    StrBuf decl, init;
    sb_init(&decl);
    sb_init(&init);
    for (int v = 0; v < nv; v++)
        if (parts_of[v] > 1)
            declare_var(m, v, 3, 1, &decl, &init);
    sb_puts(c, "/* the variables the parts of the score function share */\ntypedef struct nv_vars {\n");
    if (m->stateful)
        sb_printf(c, "    %s_state *st;\n", pfx);
    if (env)
        sb_puts(c, "    nv_env E;\n");
    if (m->scratch)
        sb_puts(c, "    nv_scratch S;\n");
    if (m->any_table)
        sb_printf(c, "    nv_slot fx[%d];\n", m->nslots);
    if (m->nforest)
        sb_printf(c, "    int gres[%d];\n", m->nforest);
    if (p->ntexts)
        sb_printf(c, "    nv_tcache tcache[%d];\n", p->ntexts);
    sb_puts(c, decl.data ? decl.data : "    int unused;\n");
    sb_puts(c, "} nv_vars;\n\n/* what they hold when a record starts */\nstatic const nv_vars nv_vars0 = {\n");
    if (env) {
        sb_puts(c, "    .E = {\n");
        int any = 0;
        for (int v = 0; v < nv; v++)
            if (m->env_var[v] && ir_is_nullable(p->vars[v].type)) {
                const char *sent = trees_null_sentinel(p->vars[v].type);
                sb_printf(c, "        .v%d_n = 1,", v);
                if (sent)
                    sb_printf(c, " .v%d = %s,", v, sent);
                sb_putc(c, '\n');
                any = 1;
            }
        if (!any)
            sb_puts(c, "        0\n");
        sb_puts(c, "    },\n");
    }
    if (m->any_table) {
        sb_puts(c, "    .fx = {\n");
        for (int sl = 0; sl < m->nslots; sl++)
            sb_printf(c, "        [%d] = {.n = 1%s},\n", sl, m->slot_kind[sl] ? ", .p = NV_GMISS" : "");
        sb_puts(c, "    },\n");
    }
    sb_puts(c, init.data ? init.data : "");
    if (!init.data && !env && !m->any_table)
        sb_puts(c, "    0\n");
    sb_puts(c, "};\n\n");
    sb_free(&decl);
    sb_free(&init);
    /* the parts */
    for (int k = 0; k < pc->nparts; k++) {
        StrBuf load, store;
        sb_init(&load);
        sb_init(&store);
        for (int v = 0; v < nv; v++) {
            int f = (use[k][2 * v] ? 1 : 0) | (use[k][2 * v + 1] ? 2 : 0);
            if (!f)
                continue;
            if (parts_of[v] == 1) {
                declare_var(m, v, f, 0, &load, NULL);
                continue;
            }
            for (int b = 0; b < 2; b++) {
                if (!use[k][2 * v + b])
                    continue;
                const char *ct = b ? "int" : em_ctype(p->vars[v].type), *sfx = b ? "_n" : "";
                sb_printf(&load, "    %s%sv%d%s = V->v%d%s;\n", ct, ct[strlen(ct) - 1] == '*' ? "" : " ", v, sfx,
                          v, sfx);
                if (use[k][2 * v + b] & 2)
                    sb_printf(&store, "    V->v%d%s = v%d%s;\n", v, sfx, v, sfx);
            }
        }
        sb_printf(c, "static NV_NOINLINE int nv_part%d(nv_vars *V, const %s_input *in, %s_output *out)\n{\n", k,
                  pfx, pfx);
        if (m->any_table)
            sb_puts(c, "    nv_slot *fx = V->fx;\n");
        if (m->nforest)
            sb_puts(c, "    int *gres = V->gres;\n");
        if (p->ntexts)
            sb_puts(c, "    nv_tcache *tcache = V->tcache;\n");
        sb_puts(c, load.data ? load.data : "");
        sb_puts(c, "    (void)V;\n    (void)in;\n    (void)out;\n");
        if (m->any_table)
            sb_puts(c, "    (void)fx;\n");
        if (m->nforest)
            sb_puts(c, "    (void)gres;\n");
        if (p->ntexts)
            sb_puts(c, "    (void)tcache;\n");
        sb_putn(c, pc->parts[k].data, pc->parts[k].len);
        sb_puts(c, store.data ? store.data : "");
        sb_puts(c, "    return NERVA_OK;\n}\n\n");
        sb_free(&load);
        sb_free(&store);
        sb_free(&pc->parts[k]);
    }
    /* the score function: a copy of the template, then the parts in order */
    sb_printf(c, "int %s_score(%sconst %s_input *in, %s_output *out)\n{\n", pfx,
              m->stateful ? arena_printf(&m->a, "%s_state *st, ", pfx) : "", pfx, pfx);
    sb_puts(c, "    nv_vars V_, *V = &V_;\n    int rc;\n    memcpy(V, &nv_vars0, sizeof V_);\n");
    if (m->stateful)
        sb_puts(c, "    V->st = st;\n");
    score_start(m, c);
    for (int k = 0; k < pc->nparts; k++)
        sb_printf(c, "    if ((rc = nv_part%d(V, in, out)) != NERVA_OK) return rc;\n", k);
}

static void score_epilogue(Pieces *pc)
{
    if (pc->m->split)
        split_epilogue(pc);
    sb_puts(pc->c, "    return NERVA_OK;\n}\n\n");
    sb_free(&pc->part);
    sb_free(&pc->prologue);
}

int emit_program(const IrProgram *p, const EmitOptions *o, Diags *d, StrBuf *c, StrBuf *h)
{
    Em m = {.p = p, .o = o, .d = d};
    const char *pfx = o->prefix;
    for (int i = 0; i < p->ninputs; i++)
        if (!abi_type(p->inputs[i].type))
            diag_error(d, p->inputs[i].loc, "input field '%s' has a type (%s) the C interface cannot carry",
                       p->inputs[i].name, ir_type_name(p->inputs[i].type));
    for (int i = 0; i < p->noutputs; i++)
        if (!abi_type(p->outputs[i].type))
            diag_error(d, p->outputs[i].loc, "output field '%s' has a type (%s) the C interface cannot carry",
                       p->outputs[i].name, ir_type_name(p->outputs[i].type));
    if (d->errors)
        return 1;
    arena_init(&m.a);
    sb_init(&m.dict_text);
    sb_init(&m.blob_text);
    m.rt = rt_load(&m.a);
    rt_need(m.rt, "prelude");

    m.var_used = arena_alloc(&m.a, (size_t)p->nvars + 1);
    m.val_read = arena_alloc(&m.a, (size_t)p->nvars + 1);
    m.var_set = arena_alloc(&m.a, (size_t)p->nvars + 1);
    m.direct = arena_alloc(&m.a, (size_t)p->nvars + 1);
    m.tree_used = arena_alloc(&m.a, (size_t)p->ntrees + 1);
    m.col_used = ARENA_ARRAY(&m.a, unsigned char *, p->ntrees + 1);
    use_block(&m, &p->body);
    for (int i = 0; i < p->noutputs; i++)
        m.var_used[p->outputs[i].var] = m.val_read[p->outputs[i].var] = 1;
    trees_plan(&m);
    /* a big program is split: gcc's time and memory grow faster than the
       size of a function, so past SPLIT_STMTS statements (or inputs) the
       variables live in one struct and the body in part functions of about
       PART_BYTES of C each */
    m.split = count_stmts(&p->body) > SPLIT_STMTS || p->ninputs > SPLIT_STMTS / 4;
    /* a flat forest's batch goes back into the score function at the
       forest's point (a label): one function, not split */
    if (trees_blocked(&m))
        m.split = 0;
    m.scr = m.split ? "V->S" : "S";
    m.stateful = p->nsreads > 0;
    m.stref = m.split ? "V->st" : "st";
    m.envref = m.split ? "V->E" : "E";
    m.vname = ARENA_ARRAY(&m.a, const char *, p->nvars + 1);
    m.nname = ARENA_ARRAY(&m.a, const char *, p->nvars + 1);
    m.tvname = ARENA_ARRAY(&m.a, const char *, p->nvars + 1);
    m.tnname = ARENA_ARRAY(&m.a, const char *, p->nvars + 1);
    const char **in_names = member_names(&m, p->inputs, p->ninputs);
    const char **out_names = member_names(&m, p->outputs, p->noutputs);
    m.in_names = in_names;
    /* the outputs as hosts see them (a count from an epoch is a number) */
    IrField *outs = ARENA_ARRAY(&m.a, IrField, p->noutputs + 1);
    for (int i = 0; i < p->noutputs; i++) {
        outs[i] = p->outputs[i];
        outs[i].type = out_abi(outs[i].type);
    }
    for (int v = 0; v < p->nvars; v++) {
        int nul = ir_is_nullable(p->vars[v].type);
        const char *at = m.env_var[v] ? arena_printf(&m.a, "%s.", m.envref) : "";
        int i = p->vars[v].input;
        IrTypeKind k = ir_base(p->vars[v].type)->kind;
        /* an input the body never assigns, trees do not read from their
           environment or slots, and that needs no pointer check: read where
           it lies, with no copy (a wide model then binds no variables) */
        if (i >= 0 && !m.var_set[v] && !m.env_var[v] && m.slot_of_var[v] < 0 &&
            (k == T_DOUBLE || k == T_FLOAT || k == T_BOOL || k == T_INT || k == T_ARRAY)) {
            m.direct[v] = 1;
            m.vname[v] = k == T_INT ? arena_printf(&m.a, "((int)in->%s)", in_names[i])
                                    : in_value(&m, p->inputs[i].type, in_names[i]);
            m.nname[v] = arena_printf(&m.a, "(in->state[%d] != NERVA_PRESENT)", i);
            m.tvname[v] = m.tnname[v] = "0"; /* never read by a tree function */
            continue;
        }
        m.vname[v] = arena_printf(&m.a, "%sv%d", at, v);
        m.nname[v] = nul ? arena_printf(&m.a, "%sv%d_n", at, v) : "0";
        m.tvname[v] = arena_printf(&m.a, "E->v%d", v);
        m.tnname[v] = nul ? arena_printf(&m.a, "E->v%d_n", v) : "0";
    }

    /* tree functions, then the body: together they decide what the unit
       needs of the library */
    StrBuf treefns;
    sb_init(&treefns);
    trees_functions(&m, &treefns);

    /* the body; each top-level statement ends with a line of PIECE_END (a
       byte no C text here holds: model text is escaped), so that a split
       program's parts are made of whole statements */
    StrBuf body;
    sb_init(&body);
    m.out = &body;
    m.ind = 1;
    int fpoint = trees_forest_point(&m), fend = -1;
    roll_plan(&m, flat_fused_last(&m));
    for (int i = 0; i < p->body.n; i++) {
        if (i == fpoint)
            fend = trees_forest_begin(&m);
        const Roll *R = roll_at(&m, i);
        if (R) {
            /* a run of per-tree statements: the first tree's, in a loop */
            IrBlock g0 = {.s = &p->body.s[i], .n = (roll_end(R) - i) / roll_count(R)};
            roll_comment(&m, R);
            em_line(&m, "{");
            em_line(&m, "    int nv_t;");
            em_line(&m, "    for (nv_t = 0; nv_t < %d; nv_t++) {", roll_count(R));
            m.ind += 2;
            m.roll = R;
            emit_block(&m, &g0);
            m.roll = NULL;
            m.ind -= 2;
            em_line(&m, "    }");
            em_line(&m, "}");
            i = roll_end(R) - 1;
            if (i == fend)
                trees_forest_end(&m);
            sb_puts(&body, PIECE_END "\n");
            continue;
        }
        /* no run of invalid checks across the forest's fused statements */
        int run = i >= fpoint && i <= fend ? 0 : invalid_run(&p->body, i, fpoint);
        if (run >= INVALID_RUN) {
            emit_invalid_run(&m, &p->body, i, run);
            i += run - 1;
            sb_puts(&body, PIECE_END "\n");
            continue;
        }
        IrBlock one = {.s = &p->body.s[i], .n = 1};
        emit_block(&m, &one);
        if (i == fend)
            trees_forest_end(&m);
        sb_puts(&body, PIECE_END "\n");
    }
    void_unread_temps(&m, &body);
    if (d->errors) {
        sb_free(&treefns);
        sb_free(&body);
        sb_free(&m.dict_text);
        sb_free(&m.blob_text);
        arena_free(&m.a);
        return 1;
    }
    if (m.scratch)
        rt_need(m.rt, "scratch");
    if (p->ntexts)
        rt_need(m.rt, "text_index");

    /* ---- header ---- */
    char *guard = arena_printf(&m.a, "NERVA_%s_H", pfx);
    for (char *q = guard; *q; q++)
        *q = (char)toupper((unsigned char)*q);
    sb_printf(h, "/* Generated by nerva %s from ", o->version);
    comment_text(h, p->source ? p->source : "", 200);
    sb_puts(h, ". Do not edit. */\n");
    sb_printf(h, "#ifndef %s\n#define %s\n\n#include <stddef.h>\n\n", guard, guard);
    sb_puts(h, rt_section(m.rt, "model_abi"));
    sb_puts(h, "\n");
    emit_field_struct(h, pfx, "input", "in", p->inputs, in_names, p->ninputs, 0);
    emit_field_struct(h, pfx, "output", "out", outs, out_names, p->noutputs,
                      (int)((p->ntexts ? NV_TEXT_SCRATCH_BYTES : m.scratch ? NV_SCRATCH_BYTES : 0) +
                            (m.scratch ? regex_work(p) : 0)));
    const char *starg = m.stateful ? arena_printf(&m.a, "%s_state *state, ", pfx) : "";
    if (m.stateful)
        state_header(&m, h, pfx);
    sb_printf(h, "/* Score one record%s.  Returns enum nerva_status.  Output strings point into\n"
                 "   *out or *in, or are constants. */\n"
                 "int %s_score(%sconst %s_input *in, %s_output *out);\n",
              m.stateful ? " (the next of its entity's)" : "", pfx, starg, pfx, pfx);
    sb_printf(h, "/* Score n records%s; status may be NULL.  Returns how many were not NERVA_OK. */\n"
                 "size_t %s_score_batch(%sconst %s_input *in, %s_output *out, int *status, size_t n);\n",
              m.stateful ? ", in order" : "", pfx, starg, pfx, pfx);
    char *upfx = arena_strdup(&m.a, pfx);
    for (char *q = upfx; *q; q++)
        *q = (char)toupper((unsigned char)*q);
    sb_printf(h, "/* A hash of the fields' names and types, in order: the same in the descriptor\n"
                 "   (interface_hash), so a host can check at build or load time that the model\n"
                 "   it was written for is the one it binds. */\n"
                 "#define %s_INTERFACE_HASH 0x%016llxULL\n", upfx, (unsigned long long)ir_interface_hash(p));
    sb_printf(h, "/* the descriptor a host binds fields through */\n"
                 "extern const nerva_model %s_model;\n\n#endif\n", pfx);

    /* ---- C unit, fixed section order ---- */
    sb_printf(c, "/* Generated by nerva %s from ", o->version);
    comment_text(c, p->source ? p->source : "", 200);
    sb_puts(c, ". Do not edit.\n   Model: ");
    comment_text(c, p->name ? p->name : "", 200);
    sb_puts(c, " */\n");
    sb_puts(c, "#ifndef _POSIX_C_SOURCE\n#define _POSIX_C_SOURCE 200809L\n#endif\n");
    sb_printf(c, "#include \"%s\"\n\n", o->header_name);
    trees_defines(&m, c);
    size_t rt_at = c->len; /* the library goes here, once the rest says what it uses */
    if (p->nregexes)
        rt_need(m.rt, "pmml_regex");
    for (int i = 0; i < p->nregexes; i++)
        emit_regex(&m, p->regexes[i], i, c);
    for (int t = 0; t < p->ntexts; t++)
        emit_text_index(&m, p->texts[t], t, c);
    if (m.dict_text.data) {
        sb_puts(c, "/* constant tables: dictionaries of strings, lookup tables, lists of fields */\n");
        sb_puts(c, m.dict_text.data);
        sb_putc(c, '\n');
    }
    trees_print(&m, c, treefns.data);
    roll_print(&m, c);
    sb_free(&treefns);
    /* descriptors (the score function may read fields through them) */
    emit_descriptors(&m, c, pfx, "input", p->inputs, in_names, p->ninputs);
    emit_descriptors(&m, c, pfx, "output", outs, out_names, p->noutputs);
    if (m.stateful)
        state_types(&m, c, pfx);
    /* score function */
    Pieces pc = {.c = c, .m = &m};
    score_prologue(&m, &pc, pfx);
    /* bind inputs */
    for (int i = 0; i < p->ninputs; i++) {
        int v = p->inputs[i].var;
        if (!m.var_used[v] || m.direct[v])
            continue;
        IrTypeKind k = ir_base(p->vars[v].type)->kind;
        const char *val = k == T_INT ? arena_printf(&m.a, "(int)in->%s", in_names[i])
                                     : in_value(&m, p->inputs[i].type, in_names[i]);
        if (keeps_value(&m, v))
            piece_printf(&pc, "    if (in->state[%d] == NERVA_PRESENT) { %s = %s; %s = 0;%s }\n", i,
                         m.vname[v], val, m.nname[v], trees_slot_mirror(&m, v));
        else
            piece_printf(&pc, "    if (in->state[%d] == NERVA_PRESENT) %s = 0;\n", i, m.nname[v]);
    }
    for (const char *q = body.data; q && *q;) {
        const char *e = strchr(q, PIECE_END[0]); /* strchr, not strstr: see c_comment_end */
        while (e && e[1] != '\n')
            e = strchr(e + 1, PIECE_END[0]);
        NV_ASSERT(e);
        piece_put(&pc, q, (size_t)(e - q));
        q = e + 2;
    }
    for (int i = 0; i < p->noutputs; i++) {
        int v = p->outputs[i].var;
        IrTemporal tk = ir_temporal(out_abi(p->outputs[i].type));
        const char *val = m.vname[v];
        if (tk) /* a date or time: what the host binds */
            val = arena_printf(&m.a, tk == TM_DATE ? "(long long)floor(%s - %s)" : "(%s - %s)", val,
                               c_double(&m.a, ir_temporal_offset(tk)));
        if (strcmp(m.nname[v], "0") != 0)
            piece_printf(&pc, "    out->%s = %s; out->state[%d] = (unsigned char)(%s ? NERVA_MISSING : NERVA_PRESENT);\n",
                         out_names[i], val, i, m.nname[v]);
        else
            piece_printf(&pc, "    out->%s = %s; out->state[%d] = NERVA_PRESENT;\n", out_names[i], val, i);
    }
    if (m.scratch)
        piece_printf(&pc, "    if (%s.overflow) return NERVA_ERROR;\n", m.scr);
    score_epilogue(&pc);
    sb_free(&body);

    /* batch: blocks of records where flat trees walk them (emit_flat.c; it
       prints the score function's entry too), else a loop */
    const char *stp = m.stateful ? arena_printf(&m.a, "%s_state *st, ", pfx) : "", *sta = m.stateful ? "st, " : "";
    if (trees_blocked(&m))
        trees_batch(&m, c, pfx);
    else
        sb_printf(c,
              "size_t %s_score_batch(%sconst %s_input *in, %s_output *out, int *status, size_t n)\n"
              "{\n"
              "    size_t i, bad = 0;\n"
              "    for (i = 0; i < n; i++) {\n"
              "        int s = %s_score(%s&in[i], &out[i]);\n"
              "        if (status) status[i] = s;\n"
              "        if (s != NERVA_OK) bad++;\n"
              "    }\n"
              "    return bad;\n"
              "}\n\n",
              pfx, stp, pfx, pfx, pfx, sta);
    if (m.stateful)
        sb_printf(c,
                  "static void *%s_state_new_v(size_t max)\n{\n    return %s_state_new(max);\n}\n\n"
                  "static void %s_state_reset_v(void *st)\n{\n    %s_state_reset((%s_state *)st);\n}\n\n"
                  "static void %s_state_free_v(void *st)\n{\n    %s_state_free((%s_state *)st);\n}\n\n"
                  "static void %s_state_stats_v(const void *st, size_t *entities, unsigned long long *evicted)\n{\n"
                  "    %s_state_stats((const %s_state *)st, entities, evicted);\n}\n\n",
                  pfx, pfx, pfx, pfx, pfx, pfx, pfx, pfx, pfx, pfx, pfx);
    sb_printf(c,
              "static int %s_score_v(%sconst void *in, void *out)\n"
              "{\n"
              "    return %s_score(%s(const %s_input *)in, (%s_output *)out);\n"
              "}\n\n"
              "static size_t %s_score_batch_v(%sconst void *in, void *out, int *status, size_t n)\n"
              "{\n"
              "    return %s_score_batch(%s(const %s_input *)in, (%s_output *)out, status, n);\n"
              "}\n\n",
              pfx, m.stateful ? "void *st, " : "", pfx, m.stateful ? arena_printf(&m.a, "(%s_state *)st, ", pfx) : "",
              pfx, pfx, pfx, m.stateful ? "void *st, " : "", pfx,
              m.stateful ? arena_printf(&m.a, "(%s_state *)st, ", pfx) : "", pfx, pfx);
    int texts = emit_text_fns(&m, c, pfx, in_names, out_names, outs);
    sb_printf(c,
              "const nerva_model %s_model = {\n"
              "    %s, NERVA_MODEL_ABI, sizeof(%s_input), sizeof(%s_output),\n"
              "    %d, %s_input_fields, %d, %s_output_fields,\n"
              "    %s, %s, %s_INTERFACE_HASH,\n",
              pfx, em_string(&m, p->name ? p->name : (p->source ? p->source : "")), pfx, pfx,
              p->ninputs, pfx, p->noutputs, pfx, m.stateful ? "NULL" : arena_printf(&m.a, "%s_score_v", pfx),
              m.stateful ? "NULL" : arena_printf(&m.a, "%s_score_batch_v", pfx), upfx);
    if (texts)
        sb_printf(c, "    %s_read_text, %s_write_text,\n", pfx, pfx);
    else
        sb_puts(c, "    NULL, NULL,\n");
    if (m.stateful)
        sb_printf(c, "    %s_state_new_v, %s_state_reset_v, %s_state_free_v, %s_score_v, %s_score_batch_v,\n"
                     "    %s_state_stats_v\n};\n", pfx, pfx, pfx, pfx, pfx, pfx);
    else
        sb_puts(c, "    NULL, NULL, NULL, NULL, NULL, NULL\n};\n");
    /* the run-time library: what the unit uses of it, before the rest */
    {
        StrBuf lib;
        sb_init(&lib);
        sb_puts(&lib, "/* ---- run-time support (nerva runtime/lib/, the functions this model uses) ---- */\n");
        rt_emit(m.rt, c->data + rt_at, &lib);
        sb_putc(&lib, '\n');
        StrBuf rest;
        sb_init(&rest);
        sb_putn(&rest, c->data + rt_at, c->len - rt_at);
        c->len = rt_at;
        sb_putn(c, lib.data, lib.len);
        if (m.blob_text.data) {
            sb_puts(c, "/* the model's long strings, as arrays (C99 compilers need not take a literal past 4095 "
                       "characters) */\n");
            sb_putn(c, m.blob_text.data, m.blob_text.len);
            sb_putc(c, '\n');
        }
        sb_putn(c, rest.data, rest.len);
        sb_free(&lib);
        sb_free(&rest);
    }
    sb_free(&m.dict_text);
    sb_free(&m.blob_text);
    arena_free(&m.a);
    return 0;
}
