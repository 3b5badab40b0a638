/* The C backend for PFA engines (IrProgram.eng): emit_engine() prints one
 * C99 unit and its header through one printer, in a fixed section order:
 *   banner, runtime sections, type descriptors, literals, signature tables,
 *   the engine struct, function prototypes, functions (routines, user and
 *   inline functions, try bodies, trampolines), the API, the descriptor.
 * Like emit_program.c (PMML) it reads only the IR.
 *
 * The run-time support comes from the run-time library (runtime/lib/, by
 * rtlib.c): the sections this engine uses, pruned to the functions it
 * calls, so an engine needs only libc and libm.  Library calls are inlined
 * for the scalar core operators and become calls of the library's nvf_*
 * functions otherwise; those take their arguments as nv_val and a table of
 * type descriptors, so one C function serves every type a generic PFA
 * function accepts.
 *
 * PFA errors are longjmps (nv_raise).  A "try" body is outlined into a
 * function of its own and run by nv_try, and a function that holds one
 * keeps its variables in a frame struct, so no local is live across setjmp.
 * Model text appears only as escaped string literals or sanitised comments. */
#include "c_text.h"
#include "emit.h"
#include "rtlib.h"
#include "toolchain.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NV_MAX_CALL_DEPTH 2000

typedef struct Pe {
    const IrProgram *p;
    const IrEngine *g;
    const EmitOptions *o;
    Diags *d;
    Arena a;
    StrBuf *out;
    int ind;
    int tmp;
    RtLib *rt;               /* the run-time library */
    /* descriptors */
    IrType **types;
    int ntypes, cap_types;
    StrBuf lits;             /* static string literals */
    int nlits;
    StrBuf sigs;             /* signature tables of generic calls */
    const char **sig_keys;
    int nsigs, cap_sigs;
    const char **consts;     /* E_CONST texts ... */
    int *const_type;         /* ... and their types */
    int nconsts, cap_consts;
    /* functions */
    int fn;                  /* being emitted */
    unsigned char *framed;   /* per function: variables live in frame F */
    const char **vname;      /* per variable: its C lvalue here */
    int in_try;              /* emitting an outlined try body */
    StrBuf extra;            /* outlined try bodies and trampolines */
    StrBuf blobs;            /* long texts as char arrays */
    int nblobs;
    int nchains;             /* else-if chains emitted flat: labels chainN */
    unsigned char *split;    /* per function: its body in parts nv_partN */
    const char *i32;         /* the int overflow check: nv_i32, out of line in parts (nv_i32_ool) */
    int nparts;
    StrBuf protos;
    int ntries;
    const char **tramp_keys;
    int ntramps, cap_tramps;
    int grants;              /* some update may change a value in place: reads are tracked */
} Pe;

/* timeouts: every engine ticks in its loops and user functions, and arms a
   deadline before each routine: the document's options.timeout, else the
   one the host set (P_set_timeout; none by default) */
/* a library function the engine calls: its section goes into the unit */
static const char *rt_fn(Pe *m, const char *fn)
{
    const char *r = rt_function(m->rt, fn);
    NV_ASSERT(r);
    return r;
}

static void line(Pe *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line(Pe *m, const char *fmt, ...)
{
    sb_printf(m->out, "%*s", m->ind * 4, "");
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(m->out, fmt, ap);
    va_end(ap);
    sb_putc(m->out, '\n');
}

/* the runtime function implementing PFA function `name`, or NULL */
static const char *runtime_fn(Pe *m, const char *name)
{
    static const struct { const char *pfa, *c; } ops[] = {
        {"+", "add"}, {"-", "sub"}, {"*", "mul"}, {"/", "div"}, {"//", "floordiv"}, {"u-", "neg"},
        {"%", "mod"}, {"%%", "rem"}, {"**", "pow"}, {"==", "eq"}, {"!=", "ne"}, {"<", "lt"},
        {"<=", "le"}, {">", "gt"}, {">=", "ge"}, {"&&", "and"}, {"||", "or"}, {"^^", "xor"},
        {"!", "not"}, {"&&&", "kand"}, {"|||", "kor"}, {"!!!", "knot"}, {"&", "bitand"},
        {"|", "bitor"}, {"^", "bitxor"}, {"~", "bitnot"}};
    char buf[200];
    const char *c = NULL;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (!strcmp(ops[i].pfa, name))
            c = ops[i].c;
    if (!c) {
        size_t k = 0;
        for (const char *q = name; *q && k < sizeof buf - 1; q++)
            buf[k++] = *q == '.' ? '_' : *q;
        buf[k] = 0;
        c = buf;
    }
    char full[220];
    snprintf(full, sizeof full, "nvf_%s", c);
    return rt_function(m->rt, full);
}

/* ---- types ---- */
static int type_id(Pe *m, IrType *t)
{
    for (int i = 0; i < m->ntypes; i++)
        if (ir_type_eq(m->types[i], t))
            return i;
    VEC_PUSH(&m->a, m->types, m->ntypes, m->cap_types, t);
    int id = m->ntypes - 1;
    /* the parts get ids too (named types stop recursion through the table) */
    if (t->items)
        type_id(m, t->items);
    for (int i = 0; i < t->nbranches; i++)
        type_id(m, t->branches[i]);
    if (t->kind == T_RECORD || t->kind == T_FN)
        for (int i = 0; i < t->nsymbols; i++)
            type_id(m, t->ftypes[i]);
    return id;
}

static const char *tref(Pe *m, IrType *t) { return arena_printf(&m->a, "&nv_T[%d]", type_id(m, t)); }

static int is_ptr(const IrType *t)
{
    switch (t->kind) {
    case T_STRING: case T_BYTES: case T_FIXED: case T_ARRAY: case T_MAP: case T_RECORD: case T_UNION:
    case T_FN:
        return 1;
    default:
        return 0;
    }
}

static const char *ctype(const IrType *t)
{
    switch (t->kind) {
    case T_LONG: return "int64_t";
    case T_FLOAT: return "float";
    case T_DOUBLE: return "double";
    case T_STRING: case T_BYTES: case T_FIXED: return "nv_str *";
    case T_ARRAY: return "nv_arr *";
    case T_MAP: return "nv_map *";
    case T_RECORD: return "nv_rec *";
    case T_UNION: return "nv_uni *";
    case T_FN: return "nv_fn *";
    default: return "int32_t";
    }
}

/* "T name" with the pointer star beside the name */
static const char *decl(Pe *m, const IrType *t, const char *name)
{
    const char *ct = ctype(t);
    return arena_printf(&m->a, "%s%s%s", ct, is_ptr(t) ? "" : " ", name);
}

static const char *zero(const IrType *t) { return is_ptr(t) ? "NULL" : "0"; }

/* whether the grant s stands: the cell or pool is neither shared nor rolled
   back, its type a pointer, and the updater passes the value straight to a
   library function (pass_inplace.c) */
static int grant_ok(const Pe *m, const IrStmt *s)
{
    const IrCell *c = s->has_code ? &m->g->pools[s->var] : &m->g->cells[s->var];
    return !c->shared && !c->rollback && is_ptr(c->type) && ir_passes_param_to_lib(m->p, (int)s->code, s->nargs);
}

static int block_grants(const Pe *m, const IrBlock *b)
{
    for (int i = 0; i < b->n; i++)
        if ((b->s[i]->kind == S_GRANT && grant_ok(m, b->s[i])) || block_grants(m, &b->s[i]->then_b)
            || block_grants(m, &b->s[i]->else_b))
            return 1;
    return 0;
}

static const char *to_val(Pe *m, const IrType *t, const char *x)
{
    switch (t->kind) {
    case T_LONG: return arena_printf(&m->a, "nv_vl(%s)", x);
    case T_FLOAT: return arena_printf(&m->a, "nv_vf(%s)", x);
    case T_DOUBLE: return arena_printf(&m->a, "nv_vd(%s)", x);
    default:
        if (is_ptr(t))
            return arena_printf(&m->a, "nv_vp(%s)", x);
        return arena_printf(&m->a, "nv_vi(%s)", x);
    }
}

static const char *from_val(Pe *m, const IrType *t, const char *v)
{
    switch (t->kind) {
    case T_LONG: return arena_printf(&m->a, "(%s).l", v);
    case T_FLOAT: return arena_printf(&m->a, "(%s).f", v);
    case T_DOUBLE: return arena_printf(&m->a, "(%s).d", v);
    default:
        if (is_ptr(t))
            return arena_printf(&m->a, "((%s)(%s).p)", ctype(t), v);
        return arena_printf(&m->a, "(%s).i", v);
    }
}

static const char *new_tmp(Pe *m, const IrType *t, const char *init)
{
    const char *name = arena_printf(&m->a, "t%d", ++m->tmp);
    line(m, "%s = %s;", decl(m, t, name), init);
    return name;
}

/* ---- literals and tables ---- */
/* C text for n bytes of data as a const char *: a string literal, or, when
   long, a char array (C99 compilers need support literals of only 4095
   characters, and -pedantic says so) */
static const char *text_lit(Pe *m, const char *s, size_t n)
{
    if (n <= 1000)
        return c_string_n(&m->a, s, n);
    int k = m->nblobs++;
    sb_printf(&m->blobs, "static const char nv_B%d[%zu] = {", k, n + 1);
    for (size_t i = 0; i < n; i++)
        sb_printf(&m->blobs, "%s%d,", i % 24 ? "" : "\n    ", (int)(signed char)s[i]);
    sb_puts(&m->blobs, "0};\n");
    return arena_printf(&m->a, "nv_B%d", k);
}

static const char *text_lit0(Pe *m, const char *s) { return text_lit(m, s, strlen(s)); }

static const char *str_lit(Pe *m, const char *s, size_t n)
{
    int k = m->nlits++;
    sb_printf(&m->lits, "static const nv_str nv_L%d = {%zu, %s};\n", k, n, text_lit(m, s, n));
    return arena_printf(&m->a, "((nv_str *)&nv_L%d)", k);
}

static const char *sig_table(Pe *m, IrType **ts, int n)
{
    StrBuf k;
    sb_init(&k);
    for (int i = 0; i < n; i++)
        sb_printf(&k, "%s&nv_T[%d]", i ? ", " : "", type_id(m, ts[i]));
    for (int i = 0; i < m->nsigs; i++)
        if (!strcmp(m->sig_keys[i], k.data)) {
            sb_free(&k);
            return arena_printf(&m->a, "nv_S%d", i);
        }
    const char *key = arena_strdup(&m->a, k.data);
    sb_free(&k);
    VEC_PUSH(&m->a, m->sig_keys, m->nsigs, m->cap_sigs, key);
    sb_printf(&m->sigs, "static const nv_type *const nv_S%d[] = {%s, NULL};\n", m->nsigs - 1, key);
    return arena_printf(&m->a, "nv_S%d", m->nsigs - 1);
}

static int const_id(Pe *m, const char *json, IrType *t)
{
    int tid = type_id(m, t);
    for (int i = 0; i < m->nconsts; i++)
        if (m->const_type[i] == tid && !strcmp(m->consts[i], json))
            return i;
    int cap = m->cap_consts;
    VEC_PUSH(&m->a, m->consts, m->nconsts, m->cap_consts, json);
    m->const_type = cap == m->cap_consts ? m->const_type
                                         : arena_grow(&m->a, m->const_type, sizeof(int), m->nconsts - 1, &cap);
    m->const_type[m->nconsts - 1] = tid;
    return m->nconsts - 1;
}

/* ---- expressions ---- */
static const char *emit_x(Pe *m, const IrExpr *e);

static const char *lit_text(Pe *m, const IrExpr *e)
{
    IrType *t = e->type;
    if (e->lit_null)
        return zero(t);
    switch (t->kind) {
    case T_NULL: return "0";
    case T_BOOL: return e->lit_bool ? "1" : "0";
    case T_INT:
        if (e->lit_long == -2147483647LL - 1)
            return "(-2147483647 - 1)";
        return arena_printf(&m->a, e->lit_long < 0 ? "(%lld)" : "%lld", e->lit_long);
    case T_LONG:
        if (e->lit_long == (-9223372036854775807LL - 1))
            return "((int64_t)(-9223372036854775807LL - 1))";
        return arena_printf(&m->a, "((int64_t)%lldLL)", e->lit_long);
    case T_FLOAT: return c_float(&m->a, (float)e->lit_double);
    case T_DOUBLE: return c_double(&m->a, e->lit_double);
    case T_STRING:
    case T_BYTES: return str_lit(m, e->lit_str, e->lit_len);
    default: NV_ASSERT(0);
    }
}

/* x (of type from) as type to, which accepts it */
static const char *conv_text(Pe *m, IrType *from, IrType *to, const char *x)
{
    if (ir_type_eq(from, to))
        return x;
    if (from->kind != T_UNION && to->kind != T_UNION && !is_ptr(to))
        return arena_printf(&m->a, "((%s)%s)", ctype(to), x);
    if (to->kind == T_UNION && from->kind != T_UNION) {
        int b = ir_union_branch(to, from);
        NV_ASSERT(b >= 0);
        const char *inner = conv_text(m, from, to->branches[b], x);
        return arena_printf(&m->a, "nv_box(E, %d, %s)", b, to_val(m, to->branches[b], inner));
    }
    return from_val(m, to, arena_printf(&m->a, "nv_conv(E, %s, %s, %s)", tref(m, from), tref(m, to),
                                        to_val(m, from, x)));
}

static int is_int(const IrType *t) { return t->kind == T_INT || t->kind == T_LONG; }
static int is_num(const IrType *t) { return is_int(t) || t->kind == T_FLOAT || t->kind == T_DOUBLE; }
static int is_scalar(const IrType *t) { return is_num(t) || t->kind == T_BOOL || t->kind == T_ENUM || t->kind == T_NULL; }

/* the scalar core operators, inline; NULL when the call is not one of them */
static const char *inline_lib(Pe *m, const IrExpr *e, const char **a)
{
    const char *f = e->lib;
    IrType *t = e->type, *t0 = e->n > 0 ? e->a[0]->type : NULL;
    int n = e->n;
    int i32 = t->kind == T_INT, i64 = t->kind == T_LONG;
    if (n == 2 && is_num(t) && ir_type_eq(t0, t) && ir_type_eq(e->a[1]->type, t)) {
        if (!strcmp(f, "+"))
            return i32 ? arena_printf(&m->a, "%s(E, (int64_t)%s + %s, 18000)", m->i32, a[0], a[1])
                 : i64 ? arena_printf(&m->a, "nv_add64(E, %s, %s, 18001)", a[0], a[1])
                       : arena_printf(&m->a, "(%s + %s)", a[0], a[1]);
        if (!strcmp(f, "-"))
            return i32 ? arena_printf(&m->a, "%s(E, (int64_t)%s - %s, 18010)", m->i32, a[0], a[1])
                 : i64 ? arena_printf(&m->a, "nv_sub64(E, %s, %s, 18011)", a[0], a[1])
                       : arena_printf(&m->a, "(%s - %s)", a[0], a[1]);
        if (!strcmp(f, "*"))
            return i32 ? arena_printf(&m->a, "%s(E, (int64_t)%s * %s, 18020)", m->i32, a[0], a[1])
                 : i64 ? arena_printf(&m->a, "nv_mul64(E, %s, %s, 18021)", a[0], a[1])
                       : arena_printf(&m->a, "(%s * %s)", a[0], a[1]);
        if (!strcmp(f, "/") && t->kind == T_DOUBLE)
            return arena_printf(&m->a, "(%s / %s)", a[0], a[1]);
        if (!strcmp(f, "//") && is_int(t))
            return i32 ? arena_printf(&m->a, "%s(E, nv_floordiv64(E, %s, %s, 18040, 18040), 18040)", m->i32, a[0], a[1])
                       : arena_printf(&m->a, "nv_floordiv64(E, %s, %s, 18040, 18040)", a[0], a[1]);
        if (!strcmp(f, "%"))
            return is_int(t) ? arena_printf(&m->a, "((%s)nv_mod64(E, %s, %s, 18060))", ctype(t), a[0], a[1])
                 : t->kind == T_FLOAT ? arena_printf(&m->a, "((float)nv_fmod_py(%s, %s))", a[0], a[1])
                                      : arena_printf(&m->a, "nv_fmod_py(%s, %s)", a[0], a[1]);
        if (!strcmp(f, "%%"))
            return is_int(t) ? arena_printf(&m->a, "((%s)nv_rem64(E, %s, %s, 18070))", ctype(t), a[0], a[1])
                 : t->kind == T_FLOAT ? arena_printf(&m->a, "fmodf(%s, %s)", a[0], a[1])
                                      : arena_printf(&m->a, "fmod(%s, %s)", a[0], a[1]);
        if (!strcmp(f, "**"))
            return i32 ? arena_printf(&m->a, "((int32_t)nv_pow64(E, %s, %s, 18080, 32))", a[0], a[1])
                 : i64 ? arena_printf(&m->a, "nv_pow64(E, %s, %s, 18081, 64)", a[0], a[1])
                 : t->kind == T_FLOAT ? arena_printf(&m->a, "powf(%s, %s)", a[0], a[1])
                                      : arena_printf(&m->a, "pow(%s, %s)", a[0], a[1]);
        if (!strcmp(f, "max"))
            return arena_printf(&m->a, "(%s >= %s ? %s : %s)", a[0], a[1], a[0], a[1]);
        if (!strcmp(f, "min"))
            return arena_printf(&m->a, "(%s < %s ? %s : %s)", a[0], a[1], a[0], a[1]);
        if (is_int(t) && !strcmp(f, "&"))
            return arena_printf(&m->a, "(%s & %s)", a[0], a[1]);
        if (is_int(t) && !strcmp(f, "|"))
            return arena_printf(&m->a, "(%s | %s)", a[0], a[1]);
        if (is_int(t) && !strcmp(f, "^"))
            return arena_printf(&m->a, "(%s ^ %s)", a[0], a[1]);
    }
    if (n == 1 && is_num(t) && ir_type_eq(t0, t)) {
        if (!strcmp(f, "u-"))
            return i32 ? arena_printf(&m->a, "%s(E, -(int64_t)%s, 18050)", m->i32, a[0])
                 : i64 ? arena_printf(&m->a, "nv_sub64(E, 0, %s, 18051)", a[0])
                       : arena_printf(&m->a, "(-%s)", a[0]);
        if (is_int(t) && !strcmp(f, "~"))
            return arena_printf(&m->a, "(~%s)", a[0]);
    }
    if (n == 2 && t->kind == T_BOOL && is_scalar(t0) && ir_type_eq(t0, e->a[1]->type)) {
        static const char *cmp[][2] = {{"==", "=="}, {"!=", "!="}, {"<", "<"}, {"<=", "<="}, {">", ">"},
                                       {">=", ">="}};
        for (size_t i = 0; i < sizeof cmp / sizeof cmp[0]; i++)
            if (!strcmp(f, cmp[i][0]))
                return arena_printf(&m->a, "(%s %s %s)", a[0], cmp[i][1], a[1]);
        if (t0->kind == T_BOOL && !strcmp(f, "&&"))
            return arena_printf(&m->a, "(%s && %s)", a[0], a[1]);
        if (t0->kind == T_BOOL && !strcmp(f, "||"))
            return arena_printf(&m->a, "(%s || %s)", a[0], a[1]);
        if (t0->kind == T_BOOL && !strcmp(f, "^^"))
            return arena_printf(&m->a, "(%s != %s)", a[0], a[1]);
    }
    if (n == 1 && t->kind == T_BOOL && t0->kind == T_BOOL && !strcmp(f, "!"))
        return arena_printf(&m->a, "(!%s)", a[0]);
    if (n == 1 && (!strcmp(f, "a.len") || !strcmp(f, "map.len")) && t0->kind == (f[0] == 'a' ? T_ARRAY : T_MAP))
        return arena_printf(&m->a, "((int32_t)%s->n)", a[0]);
    if (n == 0 && !strcmp(f, "m.pi"))
        return "3.141592653589793";
    if (n == 0 && !strcmp(f, "m.e"))
        return "2.718281828459045";
    if (n == 1 && t->kind == T_DOUBLE && t0->kind == T_DOUBLE) {
        static const char *math[][2] = {{"m.sqrt", "sqrt"}, {"m.exp", "exp"}, {"m.ln", "log"},
                                        {"m.log10", "log10"}, {"m.sin", "sin"}, {"m.cos", "cos"},
                                        {"m.tan", "tan"}, {"m.asin", "asin"}, {"m.acos", "acos"},
                                        {"m.atan", "atan"}, {"m.sinh", "sinh"}, {"m.cosh", "cosh"},
                                        {"m.tanh", "tanh"}, {"m.expm1", "expm1"}, {"m.ln1p", "log1p"},
                                        {"m.floor", "floor"}, {"m.ceil", "ceil"}};
        for (size_t i = 0; i < sizeof math / sizeof math[0]; i++)
            if (!strcmp(f, math[i][0]))
                return arena_printf(&m->a, "%s(%s)", math[i][1], a[0]);
    }
    return NULL;
}

static const char *emit_lib(Pe *m, const IrExpr *e)
{
    const char **a = ARENA_ARRAY(&m->a, const char *, e->n ? e->n : 1);
    for (int i = 0; i < e->n; i++)
        a[i] = emit_x(m, e->a[i]);
    const char *in = inline_lib(m, e, a);
    if (in)
        return new_tmp(m, e->type, in);
    const char *fn = runtime_fn(m, e->lib);
    if (!fn) {
        diag_error(m->d, e->loc, "library function '%s' is not implemented by nerva yet", e->lib);
        return zero(e->type);
    }
    IrType **ts = ARENA_ARRAY(&m->a, IrType *, e->n + 1);
    ts[0] = e->type;
    for (int i = 0; i < e->n; i++)
        ts[i + 1] = e->a[i]->type;
    const char *sig = sig_table(m, ts, e->n + 1);
    const char *args = "NULL";
    if (e->n) {
        args = arena_printf(&m->a, "a%d", ++m->tmp);
        line(m, "nv_val %s[%d];", args, e->n);
        for (int i = 0; i < e->n; i++)
            line(m, "%s[%d] = %s;", args, i, to_val(m, e->a[i]->type, a[i]));
    }
    return new_tmp(m, e->type, from_val(m, e->type, arena_printf(&m->a, "%s(E, %s, %s)", fn, sig, args)));
}

/* a function value: trampoline from the generic calling convention */
static const char *trampoline(Pe *m, const IrExpr *e)
{
    const IrFunc *f = &m->g->funcs[e->func];
    IrType *ctx = e->type;
    StrBuf k;
    sb_init(&k);
    sb_printf(&k, "%d:%d:", e->func, type_id(m, ctx));
    for (int i = 0; i < e->n; i++)
        sb_printf(&k, "%d,", e->fill[i]);
    for (int i = 0; i < m->ntramps; i++)
        if (!strcmp(m->tramp_keys[i], k.data)) {
            sb_free(&k);
            return arena_printf(&m->a, "nv_tr%d", i);
        }
    const char *key = arena_strdup(&m->a, k.data);
    sb_free(&k);
    VEC_PUSH(&m->a, m->tramp_keys, m->ntramps, m->cap_tramps, key);
    int id = m->ntramps - 1;
    StrBuf *o = &m->extra;
    sb_printf(o, "/* %s as a function value */\n", f->kind == FK_USER ? "a function" : "a routine");
    sb_printf(o, "static nv_val nv_tr%d(nv_eng *E, const nv_fn *self, const nv_val *args)\n{\n", id);
    sb_puts(o, "    (void)self;\n    (void)args;\n");
    StrBuf call;
    sb_init(&call);
    sb_printf(&call, "nv_f%d(E", e->func);
    int next = 0;
    for (int p = 0; p < f->nparams; p++) {
        IrType *pt = m->p->vars[f->params[p]].type;
        int filled = -1;
        for (int i = 0; i < e->n; i++)
            if (e->fill[i] == p)
                filled = i;
        const char *x;
        if (filled >= 0)
            x = from_val(m, pt, arena_printf(&m->a, "self->env[%d]", filled));
        else {
            IrType *at = ctx->ftypes[next];
            x = conv_text(m, at, pt, from_val(m, at, arena_printf(&m->a, "args[%d]", next)));
            next++;
        }
        sb_printf(&call, ", %s", x);
    }
    sb_puts(&call, ")");
    IrType *rt = f->ret;
    sb_printf(o, "    return %s;\n}\n\n", to_val(m, ctx->items, conv_text(m, rt, ctx->items, call.data)));
    sb_printf(&m->protos, "static nv_val nv_tr%d(nv_eng *E, const nv_fn *self, const nv_val *args);\n", id);
    sb_free(&call);
    return arena_printf(&m->a, "nv_tr%d", id);
}

static const char *emit_x(Pe *m, const IrExpr *e)
{
    IrType *t = e->type;
    switch (e->kind) {
    case E_LIT:
        return lit_text(m, e);
    case E_VAR:
        return m->vname[e->var];
    case E_CONST:
        return from_val(m, t, arena_printf(&m->a, "E->consts[%d]", const_id(m, e->lit_str, t)));
    case E_LIB:
        return emit_lib(m, e);
    case E_UCALL: {
        StrBuf c;
        sb_init(&c);
        const char **a = ARENA_ARRAY(&m->a, const char *, e->n ? e->n : 1);
        for (int i = 0; i < e->n; i++)
            a[i] = emit_x(m, e->a[i]);
        sb_printf(&c, "nv_f%d(E", e->func);
        for (int i = 0; i < e->n; i++)
            sb_printf(&c, ", %s", a[i]);
        sb_puts(&c, ")");
        const char *r = new_tmp(m, t, c.data);
        sb_free(&c);
        return r;
    }
    case E_FNREF: {
        const char **a = ARENA_ARRAY(&m->a, const char *, e->n ? e->n : 1);
        for (int i = 0; i < e->n; i++)
            a[i] = emit_x(m, e->a[i]);
        const char *tr = trampoline(m, e);
        const char *r = new_tmp(m, t, arena_printf(&m->a, "nv_fn_new(E, %s, %d)", tr, e->n));
        for (int i = 0; i < e->n; i++)
            line(m, "%s->env[%d] = %s;", r, i, to_val(m, e->a[i]->type, a[i]));
        return r;
    }
    case E_NEW: {
        const char **a = ARENA_ARRAY(&m->a, const char *, e->n ? e->n : 1);
        for (int i = 0; i < e->n; i++)
            a[i] = emit_x(m, e->a[i]);
        if (t->kind == T_ARRAY) {
            const char *r = new_tmp(m, t, arena_printf(&m->a, "nv_arr_new(E, %d)", e->n));
            for (int i = 0; i < e->n; i++)
                line(m, "%s->v[%d] = %s;", r, i, to_val(m, t->items, a[i]));
            return r;
        }
        if (t->kind == T_MAP) {
            const char *es = arena_printf(&m->a, "a%d", ++m->tmp);
            line(m, "nv_ment *%s = (nv_ment *)nv_alloc(E, sizeof(nv_ment) * %d);", es, e->n ? e->n : 1);
            for (int i = 0; i < e->n; i++) {
                line(m, "%s[%d].k = %s;", es, i, str_lit(m, e->strs[i], strlen(e->strs[i])));
                line(m, "%s[%d].v = %s;", es, i, to_val(m, t->items, a[i]));
            }
            return new_tmp(m, t, arena_printf(&m->a, "nv_map_sorted(E, %s, %d)", es, e->n));
        }
        const char *r = new_tmp(m, t, arena_printf(&m->a, "nv_rec_new(E, %d)", e->n));
        for (int i = 0; i < e->n; i++)
            line(m, "%s->f[%d] = %s;", r, i, to_val(m, t->ftypes[i], a[i]));
        return r;
    }
    case E_INDEX:
    case E_MAPGET: {
        const char *x = emit_x(m, e->a[0]), *k = emit_x(m, e->a[1]);
        return new_tmp(m, t, from_val(m, t, arena_printf(&m->a, "%s(E, %s, %s, %d)",
                                                          e->kind == E_INDEX ? "nv_index" : "nv_mapget", x, k,
                                                          e->code)));
    }
    case E_FIELD: {
        const char *x = emit_x(m, e->a[0]);
        return new_tmp(m, t, from_val(m, t, arena_printf(&m->a, "%s->f[%d]", x, e->col)));
    }
    case E_INDEX_SET:
    case E_MAP_SET: {
        const char *x = emit_x(m, e->a[0]), *k = emit_x(m, e->a[1]), *v = emit_x(m, e->a[2]);
        return new_tmp(m, t, arena_printf(&m->a, "%s(E, %s, %s, %s, %d)",
                                          e->kind == E_INDEX_SET ? "nv_index_set" : "nv_mapset", x, k,
                                          to_val(m, e->a[2]->type, v), e->code));
    }
    case E_FIELD_SET: {
        const char *x = emit_x(m, e->a[0]), *v = emit_x(m, e->a[1]);
        return new_tmp(m, t, arena_printf(&m->a, "nv_field_set(E, %s, %d, %d, %s)", x, t->nsymbols, e->col,
                                          to_val(m, e->a[1]->type, v)));
    }
    case E_ENTRY_KEY:
    case E_ENTRY_VAL: {
        const char *x = emit_x(m, e->a[0]), *i = emit_x(m, e->a[1]);
        if (e->kind == E_ENTRY_KEY)
            return new_tmp(m, t, arena_printf(&m->a, "%s->e[%s].k", x, i));
        return new_tmp(m, t, from_val(m, t, arena_printf(&m->a, "%s->e[%s].v", x, i)));
    }
    case E_CONV: {
        const char *x = emit_x(m, e->a[0]);
        return new_tmp(m, t, conv_text(m, e->a[0]->type, t, x));
    }
    case E_UNION_IS: {
        const char *x = emit_x(m, e->a[0]);
        IrType *u = e->a[0]->type;
        StrBuf c;
        sb_init(&c);
        for (int i = 0; i < u->nbranches; i++)
            if (ir_accepts(e->t2, u->branches[i]))
                sb_printf(&c, "%s%s->tag == %d", c.len ? " || " : "", x, i);
        const char *r = new_tmp(m, t, c.len ? arena_printf(&m->a, "(%s)", c.data) : "0");
        sb_free(&c);
        return r;
    }
    case E_UNION_AS: {
        const char *x = emit_x(m, e->a[0]);
        IrType *u = e->a[0]->type;
        int only = -1, count = 0;
        for (int i = 0; i < u->nbranches; i++)
            if (ir_accepts(t, u->branches[i])) {
                only = i;
                count++;
            }
        if (count == 1 && t->kind != T_UNION)
            return new_tmp(m, t, conv_text(m, u->branches[only], t,
                                           from_val(m, u->branches[only], arena_printf(&m->a, "%s->v", x))));
        return new_tmp(m, t, from_val(m, t, arena_printf(&m->a, "nv_conv(E, %s, %s, nv_vp(%s))", tref(m, u),
                                                          tref(m, t), x)));
    }
    case E_CELL:
        if (m->g->cells[e->col].shared)
            return new_tmp(m, t, from_val(m, t, arena_printf(&m->a, "nv_scell_get(E, %d, %s)", e->col, tref(m, t))));
        if (m->grants && !e->peek)
            return new_tmp(m, t, from_val(m, t, arena_printf(&m->a, "%s(E, %d)", rt_fn(m, "nv_cell_read"), e->col)));
        return new_tmp(m, t, from_val(m, t, arena_printf(&m->a, "E->cells[%d].v", e->col)));
    case E_POOL_GET: {
        const char *k = emit_x(m, e->a[0]);
        if (m->g->pools[e->col].shared)
            return new_tmp(m, t, from_val(m, t, arena_printf(&m->a, "nv_spool_get(E, %d, %s, %d, %s)", e->col, k,
                                                              e->code, tref(m, t))));
        if (m->grants && !e->peek)
            return new_tmp(m, t, from_val(m, t, arena_printf(&m->a, "%s(E, %d, %s, %d)", rt_fn(m, "nv_pool_read"),
                                                              e->col, k, e->code)));
        return new_tmp(m, t, from_val(m, t, arena_printf(&m->a, "nv_pool_get(E, &E->pools[%d], %s, %d)", e->col,
                                                          k, e->code)));
    }
    case E_POOL_HAS: {
        const char *k = emit_x(m, e->a[0]);
        if (m->g->pools[e->col].shared)
            return new_tmp(m, t, arena_printf(&m->a, "nv_spool_has(E, %d, %s)", e->col, k));
        return new_tmp(m, t, arena_printf(&m->a, "(nv_pool_find(&E->pools[%d], %s) >= 0)", e->col, k));
    }
    case E_ENGINE:
        return e->col ? "E->finished" : "E->started";
    default:
        die_internal(__FILE__, __LINE__, "expression kind the PFA backend does not know");
    }
}

/* ---- statements ---- */
static void emit_block(Pe *m, const IrBlock *b);

static void comment_loc(Pe *m, const IrStmt *s, const char *what)
{
    if (!s->loc.path)
        return;
    sb_printf(m->out, "%*s/* %s ", m->ind * 4, "", what);
    comment_text(m->out, s->loc.path, 120);
    if (s->loc.line)
        sb_printf(m->out, " (line %d)", s->loc.line);
    sb_puts(m->out, " */\n");
}

static void emit_try(Pe *m, const IrStmt *s)
{
    int id = m->ntries++;
    /* the body, outlined: variables are reached through the frame */
    StrBuf body;
    sb_init(&body);
    StrBuf *saved = m->out;
    int saved_ind = m->ind, saved_try = m->in_try;
    const char **saved_names = m->vname;
    m->vname = ARENA_ARRAY(&m->a, const char *, m->p->nvars + 1);
    for (int v = 0; v < m->p->nvars; v++)
        m->vname[v] = arena_printf(&m->a, "F->v%d", v);
    m->out = &body;
    m->ind = 1;
    m->in_try = 1;
    emit_block(m, &s->then_b);
    m->out = saved;
    m->ind = saved_ind;
    m->in_try = saved_try;
    m->vname = saved_names;
    sb_printf(&m->protos, "static void nv_try%d(nv_eng *E, void *frame);\n", id);
    sb_printf(&m->extra, "/* try body in %s */\nstatic void nv_try%d(nv_eng *E, void *frame)\n{\n"
                         "    struct nv_frame%d *F = (struct nv_frame%d *)frame;\n    (void)F;\n%s}\n\n",
              m->g->funcs[m->fn].name, id, m->fn, m->fn, body.data ? body.data : "");
    sb_free(&body);
    line(m, "if (nv_try(E, nv_try%d, %s)) {", id, m->in_try ? "F" : "&F");
    m->ind++;
    if (s->nfilter_s || s->nfilter_i) {
        StrBuf c;
        sb_init(&c);
        for (int i = 0; i < s->nfilter_i; i++)
            sb_printf(&c, "%sE->err_code == %lld", c.len ? " || " : "", s->filter_i[i]);
        for (int i = 0; i < s->nfilter_s; i++)
            sb_printf(&c, "%sstrcmp(E->err_msg, %s) == 0", c.len ? " || " : "", text_lit0(m, s->filter_s[i]));
        line(m, "if (!(%s))", c.data);
        line(m, "    nv_reraise(E);");
        sb_free(&c);
    }
    emit_block(m, &s->else_b);
    m->ind--;
    line(m, "}");
}

/* Whether an else block continues an else-if chain: it ends with an if
   that has a then block; the statements before it (what computing the next
   clause's test needs) run only when every earlier test failed. */
static int chain_next(const IrBlock *e)
{
    return e->n >= 1 && e->s[e->n - 1]->kind == S_IF && e->s[e->n - 1]->then_b.n;
}

/* An else-if chain (a cond of 20,000 clauses) one level deep, not 20,000:
   each clause's test in its own block, a taken branch leaving by goto; what
   a clause's test needs computed first is emitted at the chain's level (a
   taken branch has left), so a chain whose tests are themselves conds is
   not nested either. */
static void emit_chain(Pe *m, const IrStmt *s)
{
    int id = m->nchains++;
    for (;;) {
        line(m, "{");
        m->ind++;
        const char *c = emit_x(m, s->e);
        line(m, "if (%s) {", c);
        m->ind++;
        emit_block(m, &s->then_b);
        line(m, "goto chain%d;", id);
        m->ind--;
        line(m, "}");
        m->ind--;
        line(m, "}");
        const IrBlock *e = &s->else_b;
        if (chain_next(e)) {
            if (e->n > 1) {
                IrBlock pre = *e;
                pre.n = e->n - 1;
                line(m, "{");
                m->ind++;
                emit_block(m, &pre);
                m->ind--;
                line(m, "}");
            }
            s = e->s[e->n - 1];
            continue;
        }
        if (e->n) {
            line(m, "{");
            m->ind++;
            emit_block(m, e);
            m->ind--;
            line(m, "}");
        }
        break;
    }
    line(m, "chain%d:;", id);
}

static void emit_block(Pe *m, const IrBlock *b)
{
    for (int i = 0; i < b->n; i++) {
        const IrStmt *s = b->s[i];
        switch (s->kind) {
        case S_SET: {
            line(m, "{");
            m->ind++;
            const char *x = emit_x(m, s->e);
            line(m, "%s = %s;", m->vname[s->var], x);
            m->ind--;
            line(m, "}");
            break;
        }
        case S_EXPR: {
            line(m, "{");
            m->ind++;
            const char *x = emit_x(m, s->e);
            line(m, "(void)%s;", x);
            m->ind--;
            line(m, "}");
            break;
        }
        case S_IF: {
            if (s->then_b.n && chain_next(&s->else_b)) {
                emit_chain(m, s);
                break;
            }
            line(m, "{");
            m->ind++;
            const char *c = emit_x(m, s->e);
            line(m, "if (%s) {", c);
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
        case S_LOOP:
            comment_loc(m, s, "loop");
            line(m, "for (;;) {");
            m->ind++;
            line(m, "nv_tick(E);");
            emit_block(m, &s->then_b);
            m->ind--;
            line(m, "}");
            break;
        case S_BREAK:
            line(m, "break;");
            break;
        case S_LOCK:
            line(m, "nv_lock(E);");
            break;
        case S_UNLOCK:
            line(m, "nv_unlock(E);");
            break;
        case S_GRANT:
            if (!grant_ok(m, s))
                break;
            if (s->has_code)
                line(m, "E->mut = %s(E, %d, %s);", rt_fn(m, "nv_grant_pool"), s->var, emit_x(m, s->e));
            else
                line(m, "E->mut = %s(E, %d);", rt_fn(m, "nv_grant_cell"), s->var);
            break;
        case S_TRY:
            comment_loc(m, s, "try");
            emit_try(m, s);
            break;
        case S_LOG: {
            line(m, "{");
            m->ind++;
            const char **a = ARENA_ARRAY(&m->a, const char *, s->nargs ? s->nargs : 1);
            for (int k = 0; k < s->nargs; k++)
                a[k] = emit_x(m, s->args[k]);
            StrBuf ts;
            sb_init(&ts);
            for (int k = 0; k < s->nargs; k++)
                sb_printf(&ts, "%s%s", k ? ", " : "", tref(m, s->args[k]->type));
            line(m, "const nv_type *const ts[%d] = {%s};", s->nargs ? s->nargs : 1, s->nargs ? ts.data : "NULL");
            line(m, "nv_val vs[%d];", s->nargs ? s->nargs : 1);
            for (int k = 0; k < s->nargs; k++)
                line(m, "vs[%d] = %s;", k, to_val(m, s->args[k]->type, a[k]));
            line(m, "nv_log(E, %s, %d, ts, vs);", s->str ? text_lit0(m, s->str) : "NULL", s->nargs);
            sb_free(&ts);
            m->ind--;
            line(m, "}");
            break;
        }
        case S_EMIT: {
            line(m, "{");
            m->ind++;
            const char *x = emit_x(m, s->e);
            line(m, "nv_output(E, %s, %s);", tref(m, s->e->type), to_val(m, s->e->type, x));
            m->ind--;
            line(m, "}");
            break;
        }
        case S_ERROR:
            comment_loc(m, s, "error");
            line(m, "nv_raise_user(E, %s, %s, %zu);", s->has_code ? arena_printf(&m->a, "%lld", s->code) : "INT_MIN",
                 text_lit(m, s->str ? s->str : "", s->str_len), s->str_len);
            break;
        case S_CELL_SET: {
            line(m, "{");
            m->ind++;
            const char *x = emit_x(m, s->e);
            const IrCell *c = &m->g->cells[s->var];
            if (c->shared)
                line(m, "nv_scell_set(E, %d, %s, %s);", s->var, tref(m, c->type), to_val(m, s->e->type, x));
            else
                line(m, "nv_cell_set(E, %d, %d, %s, %s);", s->var, c->rollback, tref(m, c->type),
                     to_val(m, s->e->type, x));
            m->ind--;
            line(m, "}");
            break;
        }
        case S_POOL_SET:
        case S_POOL_DEL: {
            line(m, "{");
            m->ind++;
            const IrCell *c = &m->g->pools[s->var];
            const char *k = emit_x(m, s->e);
            if (s->kind == S_POOL_SET) {
                const char *x = emit_x(m, s->e2);
                if (c->shared)
                    line(m, "nv_spool_set(E, %d, %s, %s, %s);", s->var, tref(m, c->type), k,
                         to_val(m, s->e2->type, x));
                else
                    line(m, "nv_pool_set(E, %d, %d, %s, %s, %s);", s->var, c->rollback, tref(m, c->type), k,
                         to_val(m, s->e2->type, x));
            } else if (c->shared)
                line(m, "nv_spool_del(E, %d, %s);", s->var, k);
            else
                line(m, "nv_pool_del(E, %d, %d, %s);", s->var, c->rollback, k);
            m->ind--;
            line(m, "}");
            break;
        }
        default:
            die_internal(__FILE__, __LINE__, "statement kind the PFA backend does not know");
        }
    }
}

static int block_has_try(const IrBlock *b)
{
    for (int i = 0; i < b->n; i++) {
        const IrStmt *s = b->s[i];
        if (s->kind == S_TRY || block_has_try(&s->then_b) || block_has_try(&s->else_b))
            return 1;
    }
    return 0;
}

/* ---- functions ----
 * A function of many statements (20,000 lets) is split: its variables live
 * in its frame (as for a try) and its top-level statements go, in order, into
 * part functions of about SPLIT_BYTES of C each, which the function calls
 * one after the other.  gcc's time grows faster than a function's size, so
 * this keeps a big document's build in seconds. */
#define SPLIT_STMTS 1000     /* top-level statements that make a function big */
#define SPLIT_BYTES 16384

/* the body of function f in parts: their calls go to m->out */
static void emit_split_body(Pe *m, int f)
{
    const IrFunc *fn = &m->g->funcs[f];
    StrBuf *calls = m->out;
    int saved_try = m->in_try;
    for (int v = 0; v < m->p->nvars; v++)
        m->vname[v] = arena_printf(&m->a, "F->v%d", v);
    m->in_try = 1; /* F is a pointer here, as in a try body */
    m->i32 = "nv_i32_ool"; /* gcc's time for 20,000 inlined checks adds up */
    StrBuf part;
    sb_init(&part);
    for (int i = 0; i < fn->body.n; i++) {
        m->out = &part;
        m->ind = 1;
        IrBlock one = {.s = &fn->body.s[i], .n = 1};
        emit_block(m, &one);
        if (part.len < SPLIT_BYTES && i + 1 < fn->body.n)
            continue;
        int k = m->nparts++;
        /* the frame's type is defined after the prototypes: void * here */
        sb_printf(&m->protos, "static NV_NOINLINE void nv_part%d(nv_eng *E, void *frame);\n", k);
        sb_printf(&m->extra, "/* part %d of %s */\nstatic NV_NOINLINE void nv_part%d(nv_eng *E, void *frame)\n"
                             "{\n    struct nv_frame%d *F = (struct nv_frame%d *)frame;\n    (void)E;\n    (void)F;\n"
                             "%s}\n\n",
                  k, m->g->funcs[f].name, k, f, f, part.data ? part.data : "");
        sb_free(&part);
        sb_init(&part);
        sb_printf(calls, "    nv_part%d(E, &F);\n", k);
    }
    sb_free(&part);
    m->out = calls;
    m->ind = 1;
    m->in_try = saved_try;
    m->i32 = "nv_i32";
    for (int v = 0; v < m->p->nvars; v++)
        m->vname[v] = arena_printf(&m->a, "F.v%d", v);
}

static const char *fn_signature(Pe *m, int f)
{
    const IrFunc *fn = &m->g->funcs[f];
    StrBuf s;
    sb_init(&s);
    sb_printf(&s, "static NV_UNUSED %s(nv_eng *E", decl(m, fn->ret, arena_printf(&m->a, "nv_f%d", f)));
    for (int i = 0; i < fn->nparams; i++) {
        int v = fn->params[i];
        sb_printf(&s, ", %s", decl(m, m->p->vars[v].type, arena_printf(&m->a, "%s%d", m->framed[f] ? "p" : "v", v)));
    }
    sb_puts(&s, ")");
    const char *r = arena_strdup(&m->a, s.data);
    sb_free(&s);
    return r;
}

static void emit_function(Pe *m, int f, StrBuf *o)
{
    const IrFunc *fn = &m->g->funcs[f];
    const IrProgram *p = m->p;
    m->fn = f;
    m->tmp = 0;
    int framed = m->framed[f];
    unsigned char *is_param = arena_alloc(&m->a, (size_t)p->nvars + 1);
    for (int i = 0; i < fn->nparams; i++)
        is_param[fn->params[i]] = 1;
    for (int v = 0; v < p->nvars; v++)
        m->vname[v] = arena_printf(&m->a, framed ? "F.v%d" : "v%d", v);
    StrBuf body;
    sb_init(&body);
    m->out = &body;
    m->ind = 1;
    if (m->split[f])
        emit_split_body(m, f);
    else
        emit_block(m, &fn->body);
    sb_printf(o, "/* %s", fn->kind == FK_USER ? "function " : "");
    comment_text(o, fn->name ? fn->name : "", 100);
    if (fn->loc.path) {
        sb_puts(o, " at ");
        comment_text(o, fn->loc.path, 100);
    }
    if (fn->loc.line)
        sb_printf(o, " (line %d)", fn->loc.line);
    sb_puts(o, " */\n");
    sb_printf(o, "%s\n{\n", fn_signature(m, f));
    if (framed) {
        /* the frame's type is at file scope: the outlined try bodies use it */
        sb_printf(&m->protos, "struct nv_frame%d {\n", f);
        int any = 0;
        for (int v = 0; v < p->nvars; v++)
            if (p->vars[v].func == f) {
                sb_printf(&m->protos, "    %s;\n", decl(m, p->vars[v].type, arena_printf(&m->a, "v%d", v)));
                any = 1;
            }
        if (!any)
            sb_puts(&m->protos, "    int unused;\n");
        sb_puts(&m->protos, "};\n");
        sb_printf(o, "    struct nv_frame%d F;\n    memset(&F, 0, sizeof F);\n", f);
        for (int i = 0; i < fn->nparams; i++)
            sb_printf(o, "    F.v%d = p%d;\n", fn->params[i], fn->params[i]);
    } else {
        for (int v = 0; v < p->nvars; v++)
            if (p->vars[v].func == f && !is_param[v]) {
                sb_printf(o, "    %s = %s;", decl(m, p->vars[v].type, arena_printf(&m->a, "v%d", v)),
                          zero(p->vars[v].type));
                sb_printf(o, " (void)v%d; /* ", v);
                comment_text(o, p->vars[v].name ? p->vars[v].name : "", 60);
                sb_puts(o, " */\n");
            }
        for (int i = 0; i < fn->nparams; i++)
            sb_printf(o, "    (void)v%d;\n", fn->params[i]);
    }
    sb_puts(o, "    (void)E;\n");
    if (fn->kind == FK_USER) {
        sb_printf(o, "    if (++E->depth > %d)\n        nv_raise(E, -1002, \"too many nested function calls\");\n",
                  NV_MAX_CALL_DEPTH);
        /* and the bytes of stack they take: at most 32 a variable or temporary */
        int nv = 0;
        for (int v = 0; v < p->nvars; v++)
            nv += p->vars[v].func == f;
        sb_printf(o, "    nv_stack(E, (const void *)&E, %d);\n", 512 + 32 * (nv + m->tmp));
    }
    if (fn->kind == FK_USER)
        sb_puts(o, "    nv_tick(E);\n");
    sb_puts(o, body.data ? body.data : "");
    if (fn->kind == FK_USER)
        sb_puts(o, "    E->depth--;\n");
    if (fn->result >= 0)
        sb_printf(o, "    return %s;\n}\n\n", m->vname[fn->result]);
    else
        sb_printf(o, "    return %s;\n}\n\n", zero(fn->ret));
    sb_free(&body);
}

/* ---- the descriptor block ---- */
static void type_table(Pe *m, StrBuf *o)
{
    static const char *kinds[] = {"NV_NULL", "NV_BOOL", "NV_INT", "NV_LONG", "NV_FLOAT", "NV_DOUBLE",
                                  "NV_STRING", "NV_BYTES", "NV_ARRAY", "NV_MAP", "NV_RECORD", "NV_ENUM",
                                  "NV_FIXED", "NV_UNION", "NV_FN"};
    StrBuf parts, rows;
    sb_init(&parts);
    sb_init(&rows);
    /* type_id may add types while this loop runs (never for ones it already has) */
    for (int i = 0; i < m->ntypes; i++) {
        IrType *t = m->types[i];
        const char *items = t->items ? tref(m, t->items) : "NULL";
        const char *ps = "NULL", *ns = "NULL", *ds = "NULL";
        int n = 0;
        IrType **pt = NULL;
        if (t->kind == T_UNION) {
            pt = t->branches;
            n = t->nbranches;
        } else if (t->kind == T_RECORD || t->kind == T_FN) {
            pt = t->ftypes;
            n = t->nsymbols;
        } else if (t->kind == T_ENUM)
            n = t->nsymbols;
        if (pt && n) {
            sb_printf(&parts, "static const nv_type *const nv_TP%d[] = {", i);
            for (int k = 0; k < n; k++)
                sb_printf(&parts, "%s%s", k ? ", " : "", tref(m, pt[k]));
            sb_puts(&parts, "};\n");
            ps = arena_printf(&m->a, "nv_TP%d", i);
        }
        if ((t->kind == T_RECORD || t->kind == T_ENUM) && n) {
            sb_printf(&parts, "static const char *const nv_TN%d[] = {", i);
            for (int k = 0; k < n; k++)
                sb_printf(&parts, "%s%s", k ? ", " : "", text_lit0(m, t->symbols[k]));
            sb_puts(&parts, "};\n");
            ns = arena_printf(&m->a, "nv_TN%d", i);
        }
        if (t->kind == T_RECORD && t->fdefaults) {
            int any = 0;
            for (int k = 0; k < n; k++)
                any |= t->fdefaults[k] != NULL;
            if (any) {
                sb_printf(&parts, "static const char *const nv_TD%d[] = {", i);
                for (int k = 0; k < n; k++)
                    sb_printf(&parts, "%s%s", k ? ", " : "", t->fdefaults[k] ? text_lit0(m, t->fdefaults[k]) : "NULL");
                sb_puts(&parts, "};\n");
                ds = arena_printf(&m->a, "nv_TD%d", i);
            }
        }
        sb_printf(&rows, "    {%s, %s, %s, %s, %s, %s, %d, %d}, /* ", kinds[t->kind],
                  t->name ? text_lit0(m, t->name) : "NULL", items, ps, ns, ds, n, t->size);
        comment_text(&rows, t->kind == T_UNION || t->kind == T_ARRAY || t->kind == T_MAP ? ir_type_name(t)
                                                                                          : ir_type_name(t), 60);
        sb_puts(&rows, " */\n");
    }
    sb_printf(o, "/* type descriptors */\nstatic const nv_type nv_T[%d];\n", m->ntypes);
    sb_puts(o, parts.data ? parts.data : "");
    sb_printf(o, "static const nv_type nv_T[%d] = {\n%s};\n\n", m->ntypes, rows.data);
    sb_free(&parts);
    sb_free(&rows);
}

/* the PFA files of the library: what `nerva runtime` writes */
static const char *const pfa_files[] = {"pfa_rt.c", "pfa_lib.c", "pfa_coll.c", "pfa_la.c", "pfa_prob.c", "pfa_stat.c",
                                        "pfa_model.c", "pfa_rand.c", NULL};

void emit_pfa_runtime(StrBuf *c, StrBuf *h, const char *version)
{
    Arena a;
    arena_init(&a);
    sb_printf(h, "/* Generated by nerva %s: the PFA run-time support shared by engines compiled with\n"
                 "   --shared-runtime.  Do not edit. */\n#ifndef NERVA_PFA_RT_H\n#define NERVA_PFA_RT_H\n"
                 "#define NV_RT\n", version);
    sb_printf(c, "/* Generated by nerva %s: the PFA run-time support (nerva_pfa_rt.h).  Do not edit. */\n"
                 "#include \"nerva_pfa_rt.h\"\n", version);
    RtLib *L = rt_load(&a);
    sb_puts(h, rt_section(L, "pfa_abi")); /* the status codes the engine section returns */
    rt_emit_shared(L, pfa_files, c, h);
    sb_puts(h, "\n#endif\n");
    arena_free(&a);
}

int emit_engine(const IrProgram *p, const EmitOptions *o, Diags *d, StrBuf *c, StrBuf *h)
{
    Pe m0 = {.p = p, .g = p->eng, .o = o, .d = d};
    Pe *m = &m0;
    arena_init(&m->a);
    sb_init(&m->lits);
    sb_init(&m->sigs);
    sb_init(&m->extra);
    sb_init(&m->protos);
    sb_init(&m->blobs);
    const IrEngine *g = p->eng;
    const char *pfx = o->prefix;
    m->rt = rt_load(&m->a);
    rt_need(m->rt, "json");
    rt_need(m->rt, "engine");
    m->vname = ARENA_ARRAY(&m->a, const char *, p->nvars + 1);
    m->framed = arena_alloc(&m->a, (size_t)g->nfuncs + 1);
    m->i32 = "nv_i32";
    m->split = arena_alloc(&m->a, (size_t)g->nfuncs + 1);
    for (int f = 0; f < g->nfuncs; f++) {
        m->split[f] = (unsigned char)(g->funcs[f].body.n > SPLIT_STMTS);
        m->framed[f] = (unsigned char)(block_has_try(&g->funcs[f].body) || m->split[f]);
    }
    int tin = type_id(m, g->input), tout = type_id(m, g->output);

    for (int f = 0; f < g->nfuncs && !m->grants; f++)
        m->grants = block_grants(m, &g->funcs[f].body);

    /* functions first: they decide which runtime sections, types and literals exist */
    StrBuf fns;
    sb_init(&fns);
    for (int f = 0; f < g->nfuncs; f++)
        emit_function(m, f, &fns);
    for (int k = 0; k < g->ncells; k++)
        type_id(m, g->cells[k].type);
    for (int k = 0; k < g->npools; k++)
        type_id(m, g->pools[k].type);
    if (d->errors) {
        sb_free(&fns);
        sb_free(&m->lits);
        sb_free(&m->sigs);
        sb_free(&m->extra);
        sb_free(&m->protos);
        sb_free(&m->blobs);
        arena_free(&m->a);
        return 1;
    }

    /* ---- header ---- */
    char *guard = arena_printf(&m->a, "NERVA_%s_H", pfx);
    for (char *q = guard; *q; q++)
        *q = (char)toupper((unsigned char)*q);
    sb_printf(h, "/* Generated by nerva %s from ", o->version);
    comment_text(h, p->source ? p->source : "", 200);
    sb_puts(h, ". Do not edit. */\n");
    sb_printf(h, "#ifndef %s\n#define %s\n\n#include <stddef.h>\n\n", guard, guard);
    sb_puts(h, rt_section(m->rt, "pfa_abi"));
    int any_shared = 0;
    for (int k = 0; k < g->ncells; k++)
        any_shared |= g->cells[k].shared;
    for (int k = 0; k < g->npools; k++)
        any_shared |= g->pools[k].shared;
    sb_printf(h, "\n/* A PFA engine: its state (cells, pools, the fold tally) lives in a %s_engine\n"
                 "   the host allocates (%s_engine_size() bytes); engines share nothing%s. */\n"
                 "typedef struct %s_engine %s_engine;\n"
                 "size_t %s_engine_size(void);\n"
                 "/* Initialise cells and pools and run \"begin\".  Returns enum nerva_pfa_status. */\n"
                 "int %s_init(%s_engine *e);\n"
                 "/* Run the action on one input value (Avro JSON text); each output value goes to\n"
                 "   out(ctx, json, len) as Avro JSON text. */\n"
                 "int %s_action(%s_engine *e, const char *json, size_t len, nerva_pfa_out out, void *ctx);\n"
                 "/* Run \"end\" (a fold engine's tally goes to out when given). */\n"
                 "int %s_end(%s_engine *e, nerva_pfa_out out, void *ctx);\n"
                 "void %s_free(%s_engine *e);\n"
                 "/* the last error's code (NERVA_PFA_NO_CODE for a user error without one) and message\n"
                 "   (NUL-terminated; *length, when given, counts its bytes, which may include NULs) */\n"
                 "int %s_last_error(const %s_engine *e, const char **message, size_t *length);\n"
                 "/* A limit on \"action\" and \"end\" (milliseconds; -1, the default, none) where the\n"
                 "   document's options give none: past it they raise \"exceeded timeout of N\n"
                 "   milliseconds\".  For documents from untrusted sources.  Call after init. */\n"
                 "int %s_set_timeout(%s_engine *e, long long ms);\n",
              pfx, pfx,
              any_shared ? arena_printf(&m->a, "\n   but the cells and pools marked shared, through a %s_shared (below)", pfx) : "",
              pfx, pfx, pfx, pfx, pfx, pfx, pfx, pfx, pfx, pfx, pfx, pfx, pfx, pfx, pfx);
    if (any_shared)
        sb_printf(h, "/* The \"shared\" cells and pools of a battery of engines in one process: the host\n"
                     "   allocates a %s_shared (%s_shared_size() bytes), initialises it once with a lock\n"
                     "   (lock and unlock are called around every access to shared state, from the\n"
                     "   engines' threads; NULL for engines run from one thread at a time), and starts\n"
                     "   each engine with %s_init_shared instead of %s_init (which gives an engine\n"
                     "   shared state of its own).  %s_shared_free after the engines' %s_free. */\n"
                     "typedef struct %s_shared %s_shared;\n"
                     "size_t %s_shared_size(void);\n"
                     "int %s_shared_init(%s_shared *s, void (*lock)(void *), void (*unlock)(void *), void *ctx);\n"
                     "int %s_init_shared(%s_engine *e, %s_shared *s);\n"
                     "void %s_shared_free(%s_shared *s);\n",
                  pfx, pfx, pfx, pfx, pfx, pfx, pfx, pfx, pfx, pfx, pfx, pfx, pfx, pfx, pfx, pfx);
    if (g->method == ENG_FOLD && g->merge >= 0)
        sb_printf(h, "/* A fold engine's \"merge\": combines two tallies (Avro JSON text of the output type),\n"
                     "   as from engines that folded parts of one stream; the result goes to out(ctx, json,\n"
                     "   len).  The engine's own tally is unchanged.  Returns enum nerva_pfa_status. */\n"
                     "int %s_merge(%s_engine *e, const char *one, size_t one_len, const char *two, size_t two_len,\n"
                     "             nerva_pfa_out out, void *ctx);\n", pfx, pfx);
    sb_printf(h, "extern const nerva_pfa %s_pfa;\n\n#endif\n", pfx);

    /* ---- unit ---- */
    sb_printf(c, "/* Generated by nerva %s from ", o->version);
    comment_text(c, p->source ? p->source : "", 200);
    sb_puts(c, ". Do not edit.\n   Engine: ");
    comment_text(c, p->name ? p->name : "", 200);
    sb_printf(c, " (%s) */\n", p->kind);
    sb_puts(c, "#ifndef _POSIX_C_SOURCE\n#define _POSIX_C_SOURCE 200809L\n#endif\n");
    sb_printf(c, "#include \"%s\"\n\n", o->header_name);
    size_t rt_at = c->len; /* the runtime goes here, once the rest says what it uses */
    StrBuf api;
    sb_init(&api);
    int nc = g->ncells ? g->ncells : 1, np = g->npools ? g->npools : 1, nk = m->nconsts ? m->nconsts : 1;
    sb_printf(&api, "struct %s_engine {\n    nv_eng rt;\n    nv_cell cells[%d];\n    nv_pool pools[%d];\n"
                    "    nv_val consts[%d];\n    nv_val tally;\n    nv_arena *tally_a;\n};\n\n",
              pfx, nc, np, nk);
    sb_printf(&api, "size_t %s_engine_size(void)\n{\n    return sizeof(%s_engine);\n}\n\n", pfx, pfx);
    /* init */
    if (any_shared)
        sb_puts(&api, "static void nv_shared_body(nv_eng *E, void *frame);\n\n");
    sb_printf(&api, "static void nv_init_body(nv_eng *E, void *frame)\n{\n    %s_engine *e = (%s_engine *)frame;\n"
                    "    (void)E;\n    (void)e;\n", pfx, pfx);
    for (int k = 0; k < m->nconsts; k++)
        sb_printf(&api, "    e->consts[%d] = nv_constant(E, &nv_T[%d], %s);\n", k, m->const_type[k],
                  text_lit0(m, m->consts[k]));
    /* cells and pools; the "shared" ones in a body of their own, which runs
       here for an engine alone and once per battery in P_shared_init */
    StrBuf sh;
    sb_init(&sh);
    for (int k = 0; k < g->ncells; k++) {
        StrBuf *o = g->cells[k].shared ? &sh : &api;
        sb_printf(o, "    /* cell ");
        comment_text(o, g->cells[k].name, 80);
        sb_printf(o, " */\n    {\n        nv_val v = nv_constant(E, %s, %s);\n"
                     "        %s[%d].v = nv_keep(E, %s, v, &%s[%d].a);\n    }\n",
                  tref(m, g->cells[k].type), text_lit0(m, g->cells[k].init ? g->cells[k].init : "null"),
                  g->cells[k].shared ? "E->scells" : "e->cells", k, tref(m, g->cells[k].type),
                  g->cells[k].shared ? "E->scells" : "e->cells", k);
    }
    for (int k = 0; k < g->npools; k++) {
        IrType *mt = ARENA_NEW(&m->a, IrType);
        mt->kind = T_MAP;
        mt->items = g->pools[k].type;
        StrBuf *o = g->pools[k].shared ? &sh : &api;
        sb_printf(o, "    /* pool ");
        comment_text(o, g->pools[k].name, 80);
        sb_printf(o, " */\n    {\n        const nv_map *m = (const nv_map *)nv_constant(E, %s, %s).p;\n"
                     "        int64_t i;\n"
                     "        for (i = 0; i < m->n; i++)\n"
                     "            nv_pool_put(E, &%s[%d], 0, %s, m->e[i].k, m->e[i].v);\n    }\n",
                  tref(m, mt), text_lit0(m, g->pools[k].init ? g->pools[k].init : "{}"),
                  g->pools[k].shared ? "E->spools" : "E->pools", k, tref(m, g->pools[k].type));
    }
    if (any_shared)
        sb_puts(&api, "    if (E->scells == e->cells)\n        nv_shared_body(E, frame);\n");
    if (g->method == ENG_FOLD)
        sb_printf(&api, "    e->tally = nv_keep(E, %s, nv_constant(E, %s, %s), &e->tally_a);\n", tref(m, g->output),
                  tref(m, g->output), text_lit0(m, g->zero ? g->zero : "null"));
    if (g->has_randseed && g->randseed == (-9223372036854775807LL - 1))
        sb_puts(&api, "    nv_seed(E, 1, (int64_t)(-9223372036854775807LL - 1));\n");
    else
        sb_printf(&api, "    nv_seed(E, %d, (int64_t)(%lldLL));\n", g->has_randseed, g->has_randseed ? g->randseed : 0);
    if (g->begin >= 0)
        sb_printf(&api, "    nv_f%d(E);\n", g->begin);
    sb_puts(&api, "}\n\n");
    if (any_shared)
        sb_printf(&api, "static void nv_shared_body(nv_eng *E, void *frame)\n{\n    (void)frame;\n%s}\n\n",
                  sh.data);
    sb_free(&sh);
    /* an engine alone (its shared state its own), or one of a battery */
    const char *start = arena_printf(&m->a, "%s(&e->rt, e->cells, %d, e->pools, %d, e->consts", rt_fn(m, "nv_start"),
                                     g->ncells, g->npools);
    const char *init_to = arena_printf(&m->a, "nv_init_body, e, %lldLL)", g->timeout[0]);
    sb_printf(&api, "int %s_init(%s_engine *e)\n{\n    memset(e, 0, sizeof *e);\n"
                    "    return %s, NULL, NULL, NULL, %s;\n}\n\n", pfx, pfx, start, init_to);
    if (any_shared) {
        sb_printf(&api, "struct %s_shared {\n    nv_shared sh;\n    nv_cell cells[%d];\n    nv_pool pools[%d];\n};\n\n"
                        "size_t %s_shared_size(void)\n{\n    return sizeof(%s_shared);\n}\n\n",
                  pfx, nc, np, pfx, pfx);
        sb_printf(&api, "int %s_shared_init(%s_shared *s, void (*lock)(void *), void (*unlock)(void *), void *ctx)\n"
                        "{\n    %s_engine *e = (%s_engine *)calloc(1, sizeof(%s_engine));\n    int rc;\n"
                        "    memset(s, 0, sizeof *s);\n    if (!e)\n        return NERVA_PFA_ERROR;\n"
                        "    rc = %s(&e->rt, e->cells, %d, e->pools, %d, e->consts, &s->sh, lock, unlock, ctx,\n"
                        "        s->cells, s->pools, nv_shared_body, e);\n    free(e);\n    return rc;\n}\n\n",
                  pfx, pfx, pfx, pfx, pfx, rt_fn(m, "nv_shared_start"), g->ncells, g->npools);
        sb_printf(&api, "int %s_init_shared(%s_engine *e, %s_shared *s)\n{\n    memset(e, 0, sizeof *e);\n"
                        "    return %s, s->cells, s->pools, &s->sh, %s;\n}\n\n", pfx, pfx, pfx, start, init_to);
        sb_printf(&api, "void %s_shared_free(%s_shared *s)\n{\n"
                        "    nv_cells_pools_free(s->cells, %d, s->pools, %d);\n}\n\n", pfx, pfx, g->ncells, g->npools);
    }
    /* action: the document's, on the decoded input */
    IrType *in_t = g->input;
    const IrFunc *act = &g->funcs[g->action];
    sb_printf(&api, "static void nv_action_body(nv_eng *E, nv_val in, void *frame)\n{\n"
                    "    %s_engine *e = (%s_engine *)frame;\n    (void)e;\n", pfx, pfx);
    if (g->method == ENG_FOLD) {
        sb_printf(&api, "    {\n        %s = nv_f%d(E, %s, %s);\n", decl(m, act->ret, "out"), g->action,
                  from_val(m, in_t, "in"), from_val(m, g->output, "e->tally"));
        sb_printf(&api, "        nv_arena *old = e->tally_a;\n"
                        "        e->tally = nv_keep(E, &nv_T[%d], %s, &e->tally_a);\n"
                        "        nv_bury(E, old);\n        nv_output(E, &nv_T[%d], e->tally);\n    }\n",
                  tout, to_val(m, g->output, "out"), tout);
    } else if (g->method == ENG_MAP) {
        sb_printf(&api, "    {\n        %s = nv_f%d(E, %s);\n", decl(m, act->ret, "out"), g->action,
                  from_val(m, in_t, "in"));
        sb_printf(&api, "        nv_output(E, &nv_T[%d], %s);\n    }\n", tout, to_val(m, g->output, "out"));
    } else
        sb_printf(&api, "    (void)nv_f%d(E, %s);\n", g->action, from_val(m, in_t, "in"));
    sb_puts(&api, "}\n\n");
    sb_printf(&api, "int %s_action(%s_engine *e, const char *json, size_t len, nerva_pfa_out out, void *ctx)\n{\n"
                    "    return %s(&e->rt, &nv_T[%d], json, len, out, ctx, nv_action_body, e, %lldLL);\n}\n\n",
              pfx, pfx, rt_fn(m, "nv_call_action"), tin, g->timeout[1]);
    /* merge: both tallies decoded, the document's merge, the result out */
    if (g->method == ENG_FOLD && g->merge >= 0) {
        const IrFunc *mf = &g->funcs[g->merge];
        sb_puts(&api, "static void nv_merge_body(nv_eng *E, nv_val one, nv_val two, void *frame)\n{\n"
                      "    (void)frame;\n");
        sb_printf(&api, "    {\n        %s = nv_f%d(E, %s, %s);\n", decl(m, mf->ret, "out"), g->merge,
                  from_val(m, g->output, "one"), from_val(m, g->output, "two"));
        sb_printf(&api, "        nv_output(E, &nv_T[%d], %s);\n    }\n}\n\n", tout, to_val(m, g->output, "out"));
        sb_printf(&api, "int %s_merge(%s_engine *e, const char *one, size_t one_len, const char *two, size_t two_len,\n"
                        "             nerva_pfa_out out, void *ctx)\n{\n"
                        "    return %s(&e->rt, &nv_T[%d], one, one_len, two, two_len, out, ctx, nv_merge_body, e);\n}\n\n",
                  pfx, pfx, rt_fn(m, "nv_call_merge"), tout);
    }
    /* end */
    sb_printf(&api, "static void nv_end_body(nv_eng *E, void *frame)\n{\n    %s_engine *e = (%s_engine *)frame;\n"
                    "    (void)E;\n    (void)e;\n", pfx, pfx);
    if (g->end >= 0)
        sb_printf(&api, g->method == ENG_FOLD ? "    nv_f%d(E, %s);\n" : "    nv_f%d(E);\n", g->end,
                  from_val(m, g->output, "e->tally"));
    sb_puts(&api, "}\n\n");
    sb_printf(&api, "int %s_end(%s_engine *e, nerva_pfa_out out, void *ctx)\n{\n"
                    "    return %s(&e->rt, out, ctx, nv_end_body, e, %lldLL);\n}\n\n",
              pfx, pfx, rt_fn(m, "nv_call_end"), g->timeout[2]);
    sb_printf(&api, "void %s_free(%s_engine *e)\n{\n    nv_state_free(&e->rt);\n    nv_arena_drop(e->tally_a);\n"
                    "    e->tally_a = NULL;\n}\n\n", pfx, pfx);
    sb_printf(&api, "int %s_set_timeout(%s_engine *e, long long ms)\n{\n    return %s(&e->rt, ms);\n}\n\n",
              pfx, pfx, rt_fn(m, "nv_set_timeout"));
    sb_printf(&api, "int %s_last_error(const %s_engine *e, const char **message, size_t *length)\n{\n"
                    "    return %s(&e->rt, message, length);\n}\n\n", pfx, pfx, rt_fn(m, "nv_last_error"));
    /* the generic descriptor */
    StrBuf sch_in, sch_out;
    sb_init(&sch_in);
    sb_init(&sch_out);
    ir_type_schema(g->input, &sch_in);
    ir_type_schema(g->output, &sch_out);
    static const char *methods[] = {"map", "emit", "fold"};
    sb_printf(&api, "static size_t nv_size_v(void) { return %s_engine_size(); }\n"
                    "static int nv_init_v(void *e) { return %s_init((%s_engine *)e); }\n"
                    "static int nv_action_v(void *e, const char *json, size_t len, nerva_pfa_out out, void *ctx)\n"
                    "{\n    return %s_action((%s_engine *)e, json, len, out, ctx);\n}\n"
                    "static int nv_end_v(void *e, nerva_pfa_out out, void *ctx) { return %s_end((%s_engine *)e, out, ctx); }\n"
                    "static void nv_free_v(void *e) { %s_free((%s_engine *)e); }\n"
                    "static int nv_error_v(const void *e, const char **message, size_t *length)\n"
                    "{\n    return %s_last_error((const %s_engine *)e, message, length);\n}\n"
                    "static int nv_timeout_v(void *e, long long ms) { return %s_set_timeout((%s_engine *)e, ms); }\n\n",
              pfx, pfx, pfx, pfx, pfx, pfx, pfx, pfx, pfx, pfx, pfx, pfx, pfx);
    sb_printf(&api, "const nerva_pfa %s_pfa = {\n    %s, NERVA_PFA_ABI, \"%s\",\n    %s,\n    %s,\n"
                    "    nv_size_v, nv_init_v, nv_action_v, nv_end_v, nv_free_v, nv_error_v, nv_timeout_v\n};\n",
              pfx, text_lit0(m, p->name ? p->name : ""), methods[g->method], text_lit0(m, sch_in.data),
              text_lit0(m, sch_out.data));
    sb_free(&sch_in);
    sb_free(&sch_out);

    /* descriptors, literals and tables, now that every use is known */
    StrBuf types;
    sb_init(&types);
    type_table(m, &types);
    if (m->blobs.data) {
        sb_puts(c, "/* long texts */\n");
        sb_puts(c, m->blobs.data);
        sb_putc(c, '\n');
    }
    sb_puts(c, types.data);
    sb_free(&types);
    if (m->lits.data) {
        sb_puts(c, "/* string literals */\n");
        sb_puts(c, m->lits.data);
        sb_putc(c, '\n');
    }
    if (m->sigs.data) {
        sb_puts(c, "/* type signatures of generic calls: result, then arguments */\n");
        sb_puts(c, m->sigs.data);
        sb_putc(c, '\n');
    }
    sb_puts(c, "/* functions */\n");
    for (int f = 0; f < g->nfuncs; f++)
        sb_printf(c, "%s;\n", fn_signature(m, f));
    if (m->protos.data)
        sb_puts(c, m->protos.data);
    sb_putc(c, '\n');
    sb_puts(c, fns.data ? fns.data : "");
    sb_puts(c, m->extra.data ? m->extra.data : "");
    sb_puts(c, "/* ---- the engine's interface ---- */\n");
    sb_puts(c, api.data);
    sb_free(&api);
    {
        StrBuf used, out;
        sb_init(&used);
        sb_init(&out);
        sb_putn(&used, c->data + rt_at, c->len - rt_at);
        if (o->shared_runtime)
            sb_puts(&out, "/* ---- run-time support: shared (nerva runtime) ---- */\n#include \"nerva_pfa_rt.h\"\n");
        else {
            StrBuf lib;
            sb_init(&lib);
            rt_emit(m->rt, used.data ? used.data : "", &lib);
            /* a generator only where some function kept draws (every draw reads it through nv_rng) */
            sb_printf(&out, "/* ---- run-time support (nerva runtime/lib/, the functions this engine uses) ---- */\n"
                            "#define NV_PFA_RAND %d /* 1: the engine draws pseudorandom numbers (runtime/lib/pfa_rt.c) */\n",
                      lib.data && strstr(lib.data, "nv_mt *nv_rng(") != NULL);
            sb_putn(&out, lib.data, lib.len);
            sb_free(&lib);
        }
        sb_putc(&out, '\n');
        sb_putn(&out, c->data + rt_at, c->len - rt_at);
        c->len = rt_at;
        sb_putn(c, out.data, out.len);
        sb_free(&used);
        sb_free(&out);
    }
    sb_free(&fns);
    sb_free(&m->lits);
    sb_free(&m->sigs);
    sb_free(&m->extra);
    sb_free(&m->protos);
    sb_free(&m->blobs);
    arena_free(&m->a);
    return 0;
}
