/* PFA's static semantics (see typecheck.h).  The order of work:
 *   1. every named type defined anywhere in the document is registered, so
 *      schemae may refer to names in any order (and recursively);
 *   2. input, output, cells, pools and user functions get their types;
 *   3. embedded JSON (cell and pool inits, zero, typed literals) is checked
 *      against its type and re-written as canonical Avro JSON;
 *   4. each routine (begin, action, end, merge, every function) is walked
 *      with a chain of scopes, typing every expression;
 *   5. the call graph is checked (functions that update cells or pools may
 *      not be passed as updators).
 * Errors name the JSON path of the offending value; checking goes on after
 * an error (the expression gets the bottom type) so one run reports many. */
#include "typecheck.h"
#include "bounds.h"
#include "lib_rules.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct PfaSigText {
    const char *name;
    const char *text;
    int deprecated;
} PfaSigText;

#include "pfa_sigs.inc"

/* ---- the checker's state ---- */
typedef struct Named {
    const char *name;     /* full name */
    JVal *def;
    const char *ns;       /* its namespace, for names inside it */
    IrType *t;            /* built on first use */
} Named;

typedef struct Pat Pat;
typedef struct Sig {
    const char **pnames;
    Pat **params;
    int n;
    Pat *ret;
} Sig;

typedef struct SigSet {
    const char *name;
    Sig *sigs;
    int n;
} SigSet;

typedef struct Scope Scope;
typedef struct Ck {
    Arena *a;
    Diags *d;
    PfaDoc *doc;
    PfaProgram *prog;
    Named *named;
    int nnamed, cap_named;
    SigSet *sigsets;
    int nsigsets, cap_sigsets;
    /* the routine being checked */
    int in_fn;            /* -1: a top-level routine; else the user function */
    int writes;           /* it changes a cell or pool */
    int *calls;           /* user functions it calls (for the deadlock rule) */
    int ncalls, cap_calls;
    int *fn_calls_n;      /* per user function: its calls */
    int **fn_calls;
    struct Updator *upd;  /* functions passed as cell-to/pool-to updators */
    int nupd, cap_upd;
    int last_writes;      /* the last inline function's own writes and calls */
    int *last_calls;
    int nlast_calls;
} Ck;

static IrType bottom_type = {.kind = T_NULL, .name = "(error)"};
#define BOTTOM (&bottom_type)

static void err(Ck *c, Loc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void err(Ck *c, Loc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    c->d->errors++;
    diag_verror(c->d, loc, "error", fmt, ap);
    va_end(ap);
}

/* ---- type text ---- */
static void type_text(StrBuf *o, const IrType *t, int depth)
{
    if (depth > 6) {
        sb_puts(o, "...");
        return;
    }
    if (t == BOTTOM) {
        sb_puts(o, "(error)");
        return;
    }
    switch (t->kind) {
    case T_ARRAY:
        sb_puts(o, "array of ");
        type_text(o, t->items, depth + 1);
        return;
    case T_MAP:
        sb_puts(o, "map of ");
        type_text(o, t->items, depth + 1);
        return;
    case T_UNION:
        sb_puts(o, "union of {");
        for (int i = 0; i < t->nbranches; i++) {
            if (i)
                sb_puts(o, ", ");
            type_text(o, t->branches[i], depth + 1);
        }
        sb_putc(o, '}');
        return;
    case T_FN:
        sb_puts(o, "function (");
        for (int i = 0; i < t->nsymbols; i++) {
            if (i)
                sb_puts(o, ", ");
            type_text(o, t->ftypes[i], depth + 1);
        }
        sb_puts(o, ") -> ");
        type_text(o, t->items, depth + 1);
        return;
    case T_RECORD:
    case T_ENUM:
    case T_FIXED:
        sb_printf(o, "%s %s", t->kind == T_RECORD ? "record" : t->kind == T_ENUM ? "enum" : "fixed",
                  t->name);
        return;
    default:
        sb_puts(o, ir_type_name(t));
    }
}

const char *pfa_type_text(Arena *a, const IrType *t)
{
    StrBuf o;
    sb_init(&o);
    type_text(&o, t, 0);
    const char *r = arena_strdup(a, o.data);
    sb_free(&o);
    return r;
}

#define TT(t) pfa_type_text(c->a, (t))

/* ---- constructing types ---- */
static IrType *mk_array(Ck *c, IrTypeKind k, IrType *items)
{
    IrType *t = ARENA_NEW(c->a, IrType);
    t->kind = k;
    t->items = items;
    return t;
}

static IrType *mk_fn(Ck *c, IrType **params, int n, IrType *ret)
{
    IrType *t = ARENA_NEW(c->a, IrType);
    t->kind = T_FN;
    t->ftypes = ARENA_ARRAY(c->a, IrType *, n ? n : 1);
    memcpy(t->ftypes, params, sizeof(IrType *) * (size_t)n);
    t->nsymbols = n;
    t->items = ret;
    return t;
}

static int is_numeric_kind(IrTypeKind k) { return k == T_INT || k == T_LONG || k == T_FLOAT || k == T_DOUBLE; }

/* The narrowest supertype of a collection of types (the spec's table, with
 * Titus's reading of rule 14: a union may hold one enum and one fixed).
 * Returns NULL when there is none. */
static IrType *lub(Ck *c, IrType **ts, int n)
{
    IrType **real = ARENA_ARRAY(c->a, IrType *, n ? n : 1);
    int nr = 0;
    for (int i = 0; i < n; i++)
        if (ts[i] != BOTTOM)
            real[nr++] = ts[i];
    if (nr == 0)
        return BOTTOM;
    int same_kind = 1;
    for (int i = 1; i < nr; i++)
        if (real[i]->kind != real[0]->kind)
            same_kind = 0;
    IrTypeKind k0 = real[0]->kind;
    if (same_kind && k0 != T_UNION && k0 != T_ARRAY && k0 != T_MAP && k0 != T_RECORD && k0 != T_FN) {
        for (int i = 1; i < nr; i++)
            if (!ir_type_eq(real[i], real[0]))
                return NULL; /* fixed or enum of different names */
        return real[0];
    }
    int all_num = 1;
    for (int i = 0; i < nr; i++)
        all_num &= is_numeric_kind(real[i]->kind);
    if (all_num) {
        IrTypeKind w = T_INT;
        for (int i = 0; i < nr; i++)
            if (real[i]->kind > w)
                w = real[i]->kind;
        return ir_type(w);
    }
    if (same_kind && (k0 == T_ARRAY || k0 == T_MAP)) {
        IrType **items = ARENA_ARRAY(c->a, IrType *, nr);
        for (int i = 0; i < nr; i++)
            items[i] = real[i]->items;
        IrType *it = lub(c, items, nr);
        if (!it)
            return NULL;
        int same = 1;
        for (int i = 0; i < nr; i++)
            same &= ir_type_eq(real[i]->items, it);
        return same ? real[0] : mk_array(c, k0, it);
    }
    if (same_kind && k0 == T_RECORD) {
        int same = 1;
        for (int i = 1; i < nr; i++)
            same &= ir_type_eq(real[i], real[0]);
        if (same)
            return real[0];
    }
    if (same_kind && k0 == T_FN)
        return NULL;
    /* a union: flatten, then merge what merges */
    IrType **br = NULL;
    int nb = 0, cap = 0;
    for (int i = 0; i < nr; i++) {
        if (real[i]->kind == T_UNION) {
            for (int j = 0; j < real[i]->nbranches; j++)
                VEC_PUSH(c->a, br, nb, cap, real[i]->branches[j]);
        } else
            VEC_PUSH(c->a, br, nb, cap, real[i]);
    }
    IrType **out = ARENA_ARRAY(c->a, IrType *, nb);
    int no = 0, nenum = 0, nfixed = 0;
    for (int i = 0; i < nb; i++) {
        IrType *t = br[i];
        if (t->kind == T_FN)
            return NULL;
        int merged = 0;
        for (int j = 0; j < no && !merged; j++) {
            IrType *o = out[j];
            if (ir_type_eq(o, t))
                merged = 1;
            else if (is_numeric_kind(o->kind) && is_numeric_kind(t->kind)) {
                if (t->kind > o->kind)
                    out[j] = t;
                merged = 1;
            } else if ((o->kind == T_ARRAY || o->kind == T_MAP) && o->kind == t->kind) {
                IrType *pair[2] = {o, t};
                IrType *m = lub(c, pair, 2);
                if (!m)
                    return NULL;
                out[j] = m;
                merged = 1;
            }
        }
        if (merged)
            continue;
        if (t->kind == T_ENUM && ++nenum > 1)
            return NULL;
        if (t->kind == T_FIXED && ++nfixed > 1)
            return NULL;
        out[no++] = t;
    }
    if (no == 1)
        return out[0];
    /* the same set as an input union keeps that union (and its order) */
    for (int i = 0; i < nr; i++)
        if (real[i]->kind == T_UNION && real[i]->nbranches == no) {
            int same = 1;
            for (int j = 0; j < no; j++)
                same &= ir_union_branch(real[i], out[j]) >= 0 &&
                        ir_type_eq(real[i]->branches[ir_union_branch(real[i], out[j])], out[j]);
            if (same)
                return real[i];
        }
    IrType *u = ARENA_NEW(c->a, IrType);
    u->kind = T_UNION;
    u->branches = out;
    u->nbranches = no;
    return u;
}

static IrType *lub2(Ck *c, IrType *x, IrType *y)
{
    IrType *p[2] = {x, y};
    return lub(c, p, 2);
}

static int accepts(const IrType *want, const IrType *got)
{
    if (got == BOTTOM)
        return 1;
    if (want == BOTTOM)
        return 0;
    return ir_accepts(want, got);
}

/* ---- named types and schemae ---- */
static int is_prim_name(const char *s, IrTypeKind *k)
{
    static const struct { const char *n; IrTypeKind k; } prims[] = {
        {"null", T_NULL}, {"boolean", T_BOOL}, {"int", T_INT}, {"long", T_LONG}, {"float", T_FLOAT},
        {"double", T_DOUBLE}, {"string", T_STRING}, {"bytes", T_BYTES}};
    for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++)
        if (!strcmp(s, prims[i].n)) {
            *k = prims[i].k;
            return 1;
        }
    return 0;
}

static const char *full_name(Ck *c, const char *name, const char *ns)
{
    if (strchr(name, '.') || !ns || !*ns)
        return name;
    return arena_printf(c->a, "%s.%s", ns, name);
}

static Named *find_named(Ck *c, const char *name, const char *ns)
{
    const char *full = full_name(c, name, ns);
    for (int i = 0; i < c->nnamed; i++)
        if (!strcmp(c->named[i].name, full))
            return &c->named[i];
    for (int i = 0; i < c->nnamed; i++)
        if (!strcmp(c->named[i].name, name))
            return &c->named[i];
    return NULL;
}

static int valid_name_chars(const char *s)
{
    if (!*s)
        return 0;
    for (const char *p = s; *p; p++)
        if (!(*p == '_' || *p == '.' || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
              (*p >= '0' && *p <= '9')))
            return 0;
    return !(*s >= '0' && *s <= '9');
}

/* register every named type a schema defines (recursively) */
static void collect_schema(Ck *c, JVal *s, const char *ns, int depth)
{
    if (!s || depth > 200)
        return;
    if (s->kind == J_ARR) {
        for (int i = 0; i < s->n; i++)
            collect_schema(c, s->items[i], ns, depth + 1);
        return;
    }
    if (s->kind != J_OBJ)
        return;
    JVal *t = jget(s, "type");
    if (!t)
        return;
    if (t->kind != J_STR) {
        collect_schema(c, t, ns, depth + 1);
        return;
    }
    if (jstr_is(t, "array"))
        collect_schema(c, jget(s, "items"), ns, depth + 1);
    else if (jstr_is(t, "map"))
        collect_schema(c, jget(s, "values"), ns, depth + 1);
    else if (jstr_is(t, "record") || jstr_is(t, "enum") || jstr_is(t, "fixed")) {
        JVal *nm = jget(s, "name"), *nsj = jget(s, "namespace");
        if (!nm || nm->kind != J_STR) {
            err(c, s->loc, "a %s type needs a \"name\"", t->s);
            return;
        }
        const char *myns = ns;
        if (nsj && nsj->kind == J_STR)
            myns = nsj->s;
        else if (nsj && nsj->kind != J_NULL)
            err(c, nsj->loc, "\"namespace\" must be a string");
        if (strchr(nm->s, '.'))
            myns = arena_strndup(c->a, nm->s, (size_t)(strrchr(nm->s, '.') - nm->s));
        const char *full = full_name(c, nm->s, myns);
        IrTypeKind pk;
        if (!valid_name_chars(full) || is_prim_name(full, &pk)) {
            err(c, nm->loc, "'%s' is not a valid type name", full);
            return;
        }
        for (int i = 0; i < c->nnamed; i++)
            if (!strcmp(c->named[i].name, full)) {
                if (c->named[i].def != s && !jval_equal(c->named[i].def, s))
                    err(c, s->loc, "type '%s' is defined twice (a named type is defined once and "
                                   "referred to by name)", full);
                return;
            }
        Named n = {.name = full, .def = s, .ns = myns};
        VEC_PUSH(c->a, c->named, c->nnamed, c->cap_named, n);
        if (jstr_is(t, "record")) {
            JVal *fs = jget(s, "fields");
            if (fs && fs->kind == J_ARR)
                for (int i = 0; i < fs->n; i++)
                    collect_schema(c, jget(fs->items[i], "type"), myns, depth + 1);
        }
    }
}

static IrType *resolve(Ck *c, JVal *s, const char *ns);
static int jv_ok(Ck *c, const JVal *v, const IrType *t, const JVal **bad);
static void jv_write(Ck *c, StrBuf *o, const JVal *v, const IrType *t);

static IrType *build_named(Ck *c, Named *n)
{
    if (n->t)
        return n->t;
    JVal *s = n->def;
    IrType *t = ARENA_NEW(c->a, IrType);
    n->t = t;
    t->name = n->name;
    JVal *kind = jget(s, "type");
    if (jstr_is(kind, "fixed")) {
        t->kind = T_FIXED;
        JVal *sz = jget(s, "size");
        if (!sz || sz->kind != J_INT || sz->i < 0 || sz->i > 1 << 24)
            err(c, s->loc, "a fixed type needs a \"size\" (an integer from 0 to 16777216)");
        else
            t->size = (int)sz->i;
        return t;
    }
    if (jstr_is(kind, "enum")) {
        t->kind = T_ENUM;
        JVal *sy = jget(s, "symbols");
        if (!sy || sy->kind != J_ARR || sy->n == 0) {
            err(c, s->loc, "an enum type needs \"symbols\" (a non-empty array of names)");
            return t;
        }
        if (sy->n > nv_limits.enum_symbols) {
            err(c, s->loc, "an enum of %d symbols: more than %ld%s", sy->n, nv_limits.enum_symbols,
                limits_hint("enum-symbols"));
            return t;
        }
        t->symbols = ARENA_ARRAY(c->a, const char *, sy->n);
        NameIndex seen = {0};
        for (int i = 0; i < sy->n; i++) {
            if (sy->items[i]->kind != J_STR || !valid_name_chars(sy->items[i]->s) ||
                strchr(sy->items[i]->s, '.')) {
                err(c, sy->items[i]->loc, "an enum symbol must be a name");
                continue;
            }
            if (names_get(&seen, sy->items[i]->s) >= 0)
                err(c, sy->items[i]->loc, "enum symbol '%s' appears twice", sy->items[i]->s);
            else
                names_put(c->a, &seen, sy->items[i]->s, i);
            t->symbols[t->nsymbols++] = sy->items[i]->s;
        }
        return t;
    }
    t->kind = T_RECORD;
    JVal *fs = jget(s, "fields");
    if (!fs || fs->kind != J_ARR) {
        err(c, s->loc, "a record type needs \"fields\" (an array)");
        return t;
    }
    t->symbols = ARENA_ARRAY(c->a, const char *, fs->n ? fs->n : 1);
    t->ftypes = ARENA_ARRAY(c->a, IrType *, fs->n ? fs->n : 1);
    t->fdefaults = ARENA_ARRAY(c->a, const char *, fs->n ? fs->n : 1);
    NameIndex seen = {0};
    for (int i = 0; i < fs->n; i++) {
        JVal *f = fs->items[i];
        JVal *fn = jget(f, "name"), *ft = jget(f, "type");
        if (f->kind != J_OBJ || !fn || fn->kind != J_STR || !ft) {
            err(c, f->loc, "a record field needs a \"name\" and a \"type\"");
            continue;
        }
        if (!valid_name_chars(fn->s) || strchr(fn->s, '.'))
            err(c, fn->loc, "'%s' is not a valid field name", fn->s);
        if (names_get(&seen, fn->s) >= 0)
            err(c, fn->loc, "field '%s' appears twice", fn->s);
        else
            names_put(c->a, &seen, fn->s, i);
        t->symbols[t->nsymbols] = fn->s;
        t->ftypes[t->nsymbols] = resolve(c, ft, n->ns);
        t->nsymbols++;
    }
    return t;
}

/* defaults need every field type built first (they may be recursive) */
static void named_defaults(Ck *c, Named *n)
{
    IrType *t = n->t;
    if (!t || t->kind != T_RECORD)
        return;
    JVal *fs = jget(n->def, "fields");
    for (int i = 0, k = 0; fs && i < fs->n && k < t->nsymbols; i++) {
        JVal *f = fs->items[i];
        if (f->kind != J_OBJ || !jget(f, "name") || !jget(f, "type"))
            continue;
        JVal *dv = jget(f, "default");
        if (dv) {
            const JVal *bad = NULL;
            if (!jv_ok(c, dv, t->ftypes[k], &bad))
                err(c, (bad ? bad : dv)->loc, "the default does not match the field's type (%s)",
                    TT(t->ftypes[k]));
            else {
                StrBuf o;
                sb_init(&o);
                jv_write(c, &o, dv, t->ftypes[k]);
                t->fdefaults[k] = arena_strdup(c->a, o.data);
                sb_free(&o);
            }
        }
        k++;
    }
}

static IrType *resolve(Ck *c, JVal *s, const char *ns)
{
    IrTypeKind k;
    if (!s)
        return BOTTOM;
    if (s->kind == J_STR) {
        if (is_prim_name(s->s, &k))
            return ir_type(k);
        Named *n = find_named(c, s->s, ns);
        if (!n) {
            err(c, s->loc, "unknown type '%s'", s->s);
            return BOTTOM;
        }
        return build_named(c, n);
    }
    if (s->kind == J_ARR) {
        IrType *u = ARENA_NEW(c->a, IrType);
        u->kind = T_UNION;
        u->branches = ARENA_ARRAY(c->a, IrType *, s->n ? s->n : 1);
        for (int i = 0; i < s->n; i++) {
            IrType *b = resolve(c, s->items[i], ns);
            if (b->kind == T_UNION) {
                err(c, s->items[i]->loc, "a union may not directly contain a union");
                continue;
            }
            for (int j = 0; j < u->nbranches; j++)
                if (ir_type_eq(u->branches[j], b) ||
                    (u->branches[j]->kind == b->kind && b->kind != T_RECORD && b->kind != T_ENUM &&
                     b->kind != T_FIXED))
                    err(c, s->items[i]->loc, "a union may not hold two branches of type %s", TT(b));
            u->branches[u->nbranches++] = b;
        }
        if (s->n == 0)
            err(c, s->loc, "an empty union has no values");
        return u;
    }
    if (s->kind != J_OBJ) {
        err(c, s->loc, "not an Avro type schema");
        return BOTTOM;
    }
    JVal *t = jget(s, "type");
    if (!t) {
        err(c, s->loc, "an Avro type schema needs a \"type\"");
        return BOTTOM;
    }
    if (t->kind != J_STR)
        return resolve(c, t, ns);
    if (jstr_is(t, "array") || jstr_is(t, "map")) {
        JVal *it = jget(s, t->s[0] == 'a' ? "items" : "values");
        if (!it) {
            err(c, s->loc, "an %s type needs \"%s\"", t->s, t->s[0] == 'a' ? "items" : "values");
            return BOTTOM;
        }
        return mk_array(c, t->s[0] == 'a' ? T_ARRAY : T_MAP, resolve(c, it, ns));
    }
    if (jstr_is(t, "record") || jstr_is(t, "enum") || jstr_is(t, "fixed")) {
        JVal *nm = jget(s, "name");
        if (!nm || nm->kind != J_STR)
            return BOTTOM; /* reported when collected */
        JVal *nsj = jget(s, "namespace");
        const char *myns = nsj && nsj->kind == J_STR ? nsj->s : ns;
        Named *n = find_named(c, nm->s, myns);
        if (!n) {
            /* a schema outside the places collect_types looks */
            collect_schema(c, s, ns, 0);
            n = find_named(c, nm->s, myns);
            if (!n)
                return BOTTOM;
            IrType *r = build_named(c, n);
            named_defaults(c, n);
            return r;
        }
        return build_named(c, n);
    }
    return resolve(c, t, ns);
}

static IrType *type_of(Ck *c, JVal *s)
{
    IrType *t = resolve(c, s, NULL);
    return t;
}

/* ---- embedded JSON values (Avro's JSON encoding; unions tagged or not) ---- */
static int utf8_next(const unsigned char **p, const unsigned char *end, unsigned *cp)
{
    const unsigned char *s = *p;
    unsigned c0 = *s;
    int n = c0 < 0x80 ? 1 : (c0 >> 5) == 6 ? 2 : (c0 >> 4) == 14 ? 3 : (c0 >> 3) == 30 ? 4 : 0;
    if (!n || s + n > end)
        return 0;
    unsigned v = n == 1 ? c0 : c0 & (0x3f >> (n - 1));
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = v << 6 | (s[i] & 0x3f);
    }
    *cp = v;
    *p = s + n;
    return 1;
}

/* a JSON string as bytes: every code point must be below 256 */
static int latin1_len(const JVal *v, size_t *n)
{
    const unsigned char *p = (const unsigned char *)v->s, *end = p + v->slen;
    size_t k = 0;
    while (p < end) {
        unsigned cp;
        if (!utf8_next(&p, end, &cp) || cp > 255)
            return 0;
        k++;
    }
    *n = k;
    return 1;
}

static int special_float(const JVal *v)
{
    return jstr_is(v, "NaN") || jstr_is(v, "Infinity") || jstr_is(v, "-Infinity") || jstr_is(v, "nan") ||
           jstr_is(v, "inf") || jstr_is(v, "-inf");
}

static const char *branch_tag(const IrType *t)
{
    if (t->name)
        return t->name;
    return ir_type_name(t);
}

/* the branch a tagged union value names, or -1 */
static int tagged_branch(const JVal *v, const IrType *u)
{
    if (v->kind != J_OBJ || v->n != 1)
        return -1;
    for (int i = 0; i < u->nbranches; i++) {
        const IrType *b = u->branches[i];
        if (!strcmp(v->keys[0], branch_tag(b)))
            return i;
        if (b->name && strrchr(b->name, '.') && !strcmp(v->keys[0], strrchr(b->name, '.') + 1))
            return i;
    }
    return -1;
}

static int untagged_branch(Ck *c, const JVal *v, const IrType *u)
{
    const JVal *bad;
    for (int i = 0; i < u->nbranches; i++)
        if (jv_ok(c, v, u->branches[i], &bad))
            return i;
    return -1;
}

static int jv_ok(Ck *c, const JVal *v, const IrType *t, const JVal **bad)
{
    *bad = v;
    switch (t->kind) {
    case T_NULL: return v->kind == J_NULL;
    case T_BOOL: return v->kind == J_BOOL;
    case T_INT: return v->kind == J_INT && v->i >= -2147483648LL && v->i <= 2147483647LL;
    case T_LONG: return v->kind == J_INT;
    case T_FLOAT:
    case T_DOUBLE: return v->kind == J_INT || v->kind == J_REAL || special_float(v);
    case T_STRING: return v->kind == J_STR;
    case T_BYTES: {
        size_t n;
        return v->kind == J_STR && latin1_len(v, &n);
    }
    case T_FIXED: {
        size_t n;
        return v->kind == J_STR && latin1_len(v, &n) && n == (size_t)t->size;
    }
    case T_ENUM:
        if (v->kind != J_STR)
            return 0;
        for (int i = 0; i < t->nsymbols; i++)
            if (!strcmp(t->symbols[i], v->s))
                return 1;
        return 0;
    case T_ARRAY:
    case T_MAP:
        if (v->kind != (t->kind == T_ARRAY ? J_ARR : J_OBJ))
            return 0;
        for (int i = 0; i < v->n; i++)
            if (!jv_ok(c, v->items[i], t->items, bad))
                return 0;
        return 1;
    case T_RECORD:
        if (v->kind != J_OBJ)
            return 0;
        for (int i = 0; i < t->nsymbols; i++) {
            JVal *f = jget(v, t->symbols[i]);
            if (!f) {
                if (t->fdefaults && t->fdefaults[i])
                    continue;
                return 0;
            }
            if (!jv_ok(c, f, t->ftypes[i], bad))
                return 0;
        }
        return 1;
    case T_UNION: {
        if (v->kind == J_NULL) {
            for (int i = 0; i < t->nbranches; i++)
                if (t->branches[i]->kind == T_NULL)
                    return 1;
            return 0;
        }
        int b = tagged_branch(v, t);
        if (b >= 0 && jv_ok(c, v->items[0], t->branches[b], bad))
            return 1;
        return untagged_branch(c, v, t) >= 0;
    }
    default:
        return 0;
    }
}

static void json_string(StrBuf *o, const char *s, size_t n)
{
    sb_putc(o, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\')
            sb_printf(o, "\\%c", ch);
        else if (ch < 0x20 || ch == 0x7f)
            sb_printf(o, "\\u%04x", ch);
        else
            sb_putc(o, (char)ch);
    }
    sb_putc(o, '"');
}

static void json_number(StrBuf *o, double d, int is_float)
{
    char buf[64];
    if (d != d)
        sb_puts(o, "\"NaN\"");
    else if (isinf(d))
        sb_puts(o, d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    else {
        if (is_float)
            fmt_float(buf, sizeof buf, (float)d);
        else
            fmt_double(buf, sizeof buf, d);
        sb_puts(o, buf);
    }
}

static double special_value(const JVal *v)
{
    if (jstr_is(v, "NaN") || jstr_is(v, "nan"))
        return NAN;
    if (jstr_is(v, "Infinity") || jstr_is(v, "inf"))
        return HUGE_VAL;
    return -HUGE_VAL;
}

/* canonical Avro JSON of a value jv_ok accepted: unions always tagged */
static void jv_write(Ck *c, StrBuf *o, const JVal *v, const IrType *t)
{
    switch (t->kind) {
    case T_NULL:
        sb_puts(o, "null");
        return;
    case T_BOOL:
        sb_puts(o, v->b ? "true" : "false");
        return;
    case T_INT:
    case T_LONG:
        sb_printf(o, "%lld", v->i);
        return;
    case T_FLOAT:
    case T_DOUBLE:
        json_number(o, v->kind == J_STR ? special_value(v) : v->d, t->kind == T_FLOAT);
        return;
    case T_STRING:
    case T_BYTES:
    case T_FIXED:
    case T_ENUM:
        json_string(o, v->s, v->slen);
        return;
    case T_ARRAY:
        sb_putc(o, '[');
        for (int i = 0; i < v->n; i++) {
            if (i)
                sb_putc(o, ',');
            jv_write(c, o, v->items[i], t->items);
        }
        sb_putc(o, ']');
        return;
    case T_MAP:
        sb_putc(o, '{');
        for (int i = 0; i < v->n; i++) {
            if (i)
                sb_putc(o, ',');
            json_string(o, v->keys[i], v->klens[i]);
            sb_putc(o, ':');
            jv_write(c, o, v->items[i], t->items);
        }
        sb_putc(o, '}');
        return;
    case T_RECORD:
        sb_putc(o, '{');
        for (int i = 0; i < t->nsymbols; i++) {
            if (i)
                sb_putc(o, ',');
            json_string(o, t->symbols[i], strlen(t->symbols[i]));
            sb_putc(o, ':');
            JVal *f = jget(v, t->symbols[i]);
            if (f)
                jv_write(c, o, f, t->ftypes[i]);
            else
                sb_puts(o, t->fdefaults[i]);
        }
        sb_putc(o, '}');
        return;
    case T_UNION: {
        int b;
        const JVal *inner = v;
        if (v->kind == J_NULL) {
            sb_puts(o, "null");
            return;
        }
        const JVal *bad;
        b = tagged_branch(v, t);
        if (b >= 0 && jv_ok(c, v->items[0], t->branches[b], &bad))
            inner = v->items[0];
        else
            b = untagged_branch(c, v, t);
        sb_putc(o, '{');
        json_string(o, branch_tag(t->branches[b]), strlen(branch_tag(t->branches[b])));
        sb_putc(o, ':');
        jv_write(c, o, inner, t->branches[b]);
        sb_putc(o, '}');
        return;
    }
    default:
        return;
    }
}

/* check an embedded value; its canonical text, or NULL after an error */
static const char *embedded(Ck *c, const JVal *v, const IrType *t, const char *what)
{
    if (t == BOTTOM)
        return NULL;
    const JVal *bad = NULL;
    if (!jv_ok(c, v, t, &bad)) {
        err(c, v->loc, "%s does not match its type (%s)", what, TT(t));
        return NULL;
    }
    StrBuf o;
    sb_init(&o);
    jv_write(c, &o, v, t);
    const char *r = arena_strdup(c->a, o.data ? o.data : "");
    sb_free(&o);
    return r;
}

/* ---- library signatures ---- */
typedef enum { PT_PRIM, PT_ARRAY, PT_MAP, PT_UNION, PT_ANY, PT_REF, PT_FN, PT_RECORD, PT_ENUM, PT_FIXED } PatKind;

struct Pat {
    PatKind k;
    IrTypeKind prim;
    const char *label;
    IrTypeKind *of;          /* PT_ANY restriction */
    int nof;
    Pat **kids;              /* items; union branches; fn params then ret; record fields */
    const char **fnames;     /* PT_RECORD field names */
    int nkids;
    const char *of_record;   /* PT_ENUM: symbols are this record label's fields */
};

typedef struct SP {
    Ck *c;
    const char *s;
} SP;

static void sp_ws(SP *p)
{
    while (*p->s == ' ')
        p->s++;
}

static const char *sp_word(SP *p)
{
    sp_ws(p);
    const char *b = p->s;
    while (*p->s && *p->s != ' ' && *p->s != '(' && *p->s != ')')
        p->s++;
    return arena_strndup(p->c->a, b, (size_t)(p->s - b));
}

static void sp_expect(SP *p, char ch)
{
    sp_ws(p);
    NV_ASSERT(*p->s == ch);
    p->s++;
}

static Pat *sp_pat(SP *p)
{
    Pat *t = ARENA_NEW(p->c->a, Pat);
    sp_ws(p);
    if (*p->s != '(') {
        t->k = PT_PRIM;
        NV_ASSERT(is_prim_name(sp_word(p), &t->prim));
        return t;
    }
    p->s++;
    const char *head = sp_word(p);
    Pat *kids[64];
    int n = 0;
    if (!strcmp(head, "array") || !strcmp(head, "map")) {
        t->k = head[0] == 'a' ? PT_ARRAY : PT_MAP;
        kids[n++] = sp_pat(p);
    } else if (!strcmp(head, "union")) {
        t->k = PT_UNION;
        for (sp_ws(p); *p->s != ')'; sp_ws(p))
            kids[n++] = sp_pat(p);
    } else if (!strcmp(head, "any") || !strcmp(head, "ref")) {
        t->k = head[0] == 'a' ? PT_ANY : PT_REF;
        t->label = sp_word(p);
        IrTypeKind of[16];
        for (sp_ws(p); *p->s != ')'; sp_ws(p))
            NV_ASSERT(is_prim_name(sp_word(p), &of[t->nof++]));
        if (t->nof) {
            t->of = ARENA_ARRAY(p->c->a, IrTypeKind, t->nof);
            memcpy(t->of, of, sizeof(IrTypeKind) * (size_t)t->nof);
        }
    } else if (!strcmp(head, "fn")) {
        t->k = PT_FN;
        sp_expect(p, '(');
        for (sp_ws(p); *p->s != ')'; sp_ws(p))
            kids[n++] = sp_pat(p);
        sp_expect(p, ')');
        kids[n++] = sp_pat(p);
    } else if (!strcmp(head, "record")) {
        t->k = PT_RECORD;
        t->label = sp_word(p);
        const char *names[64];
        for (sp_ws(p); *p->s != ')'; sp_ws(p)) {
            sp_expect(p, '(');
            names[n] = sp_word(p);
            kids[n++] = sp_pat(p);
            sp_expect(p, ')');
        }
        t->fnames = ARENA_ARRAY(p->c->a, const char *, n ? n : 1);
        memcpy(t->fnames, names, sizeof(char *) * (size_t)n);
    } else if (!strcmp(head, "enum")) {
        t->k = PT_ENUM;
        t->label = sp_word(p);
        sp_ws(p);
        if (*p->s != ')') {
            sp_word(p); /* "of" */
            t->of_record = sp_word(p);
        }
    } else if (!strcmp(head, "fixed")) {
        t->k = PT_FIXED;
        t->label = sp_word(p);
    } else
        NV_ASSERT(!"unknown pattern");
    sp_expect(p, ')');
    t->nkids = n;
    t->kids = ARENA_ARRAY(p->c->a, Pat *, n ? n : 1);
    memcpy(t->kids, kids, sizeof(Pat *) * (size_t)n);
    return t;
}

static Sig sp_sig(Ck *c, const char *text)
{
    SP p = {.c = c, .s = text};
    Sig s = {0};
    sp_expect(&p, '(');
    NV_ASSERT(!strcmp(sp_word(&p), "sig"));
    const char *names[32];
    Pat *pats[32];
    for (sp_ws(&p); *p.s == '('; sp_ws(&p)) {
        p.s++;
        names[s.n] = sp_word(&p);
        pats[s.n++] = sp_pat(&p);
        sp_expect(&p, ')');
    }
    NV_ASSERT(!strcmp(sp_word(&p), "->"));
    s.ret = sp_pat(&p);
    s.pnames = ARENA_ARRAY(c->a, const char *, s.n ? s.n : 1);
    s.params = ARENA_ARRAY(c->a, Pat *, s.n ? s.n : 1);
    memcpy(s.pnames, names, sizeof(char *) * (size_t)s.n);
    memcpy(s.params, pats, sizeof(Pat *) * (size_t)s.n);
    return s;
}

int pfa_lib_known(const char *name)
{
    for (int i = 0; i < PFA_SIG_COUNT; i++)
        if (!strcmp(pfa_sig_table[i].name, name))
            return 1;
    return 0;
}

static SigSet *sigs_of(Ck *c, const char *name)
{
    for (int i = 0; i < c->nsigsets; i++)
        if (!strcmp(c->sigsets[i].name, name))
            return &c->sigsets[i];
    SigSet set = {.name = name};
    int cap = 0;
    for (int i = 0; i < PFA_SIG_COUNT; i++)
        if (!strcmp(pfa_sig_table[i].name, name)) {
            Sig s = sp_sig(c, pfa_sig_table[i].text);
            VEC_PUSH(c->a, set.sigs, set.n, cap, s);
        }
    if (!set.n)
        return NULL;
    VEC_PUSH(c->a, c->sigsets, c->nsigsets, c->cap_sigsets, set);
    return &c->sigsets[c->nsigsets - 1];
}

/* labels seen while matching one signature */
typedef struct Label {
    const char *name;
    IrType **seen;
    int n, cap;
    IrType *assigned;
    const IrTypeKind *of;
    int nof;
} Label;

typedef struct Match {
    Ck *c;
    Label labels[16];
    int nlabels;
} Match;

static Label *label(Match *m, const char *name)
{
    for (int i = 0; i < m->nlabels; i++)
        if (!strcmp(m->labels[i].name, name))
            return &m->labels[i];
    NV_ASSERT(m->nlabels < 16);
    Label *l = &m->labels[m->nlabels++];
    memset(l, 0, sizeof *l);
    l->name = name;
    return l;
}

static void see(Match *m, const char *name, IrType *t)
{
    Label *l = label(m, name);
    VEC_PUSH(m->c->a, l->seen, l->n, l->cap, t);
}

typedef struct Snap {
    int nlabels;
    int n[16];
} Snap;

static Snap snap(Match *m)
{
    Snap s = {.nlabels = m->nlabels};
    for (int i = 0; i < m->nlabels; i++)
        s.n[i] = m->labels[i].n;
    return s;
}

static void restore(Match *m, Snap s)
{
    m->nlabels = s.nlabels;
    for (int i = 0; i < s.nlabels; i++)
        m->labels[i].n = s.n[i];
}

static int is_wild(const Pat *p) { return p->k == PT_ANY || p->k == PT_REF; }

static int label_holds(Match *m, const char *name, const IrType *t)
{
    for (int i = 0; i < m->nlabels; i++)
        if (!strcmp(m->labels[i].name, name))
            for (int k = 0; k < m->labels[i].n; k++)
                if (ir_type_eq(m->labels[i].seen[k], t))
                    return 1;
    return 0;
}

/* whether `t` fits pattern `p`, recording what labels see */
static int unify(Match *m, const Pat *p, IrType *t)
{
    if (t == BOTTOM)
        return 1;
    switch (p->k) {
    case PT_PRIM:
        return ir_accepts(ir_type(p->prim), t);
    case PT_ARRAY:
    case PT_MAP:
        return t->kind == (p->k == PT_ARRAY ? T_ARRAY : T_MAP) && unify(m, p->kids[0], t->items);
    case PT_UNION: {
        int nb = t->kind == T_UNION ? t->nbranches : 1;
        for (int i = 0; i < nb; i++) {
            IrType *b = t->kind == T_UNION ? t->branches[i] : t;
            int ok = 0;
            /* concrete branches first, then labels that already hold this
               very type, then fresh wildcards, then any label */
            for (int pass = 0; pass < 4 && !ok; pass++)
                for (int k = 0; k < p->nkids && !ok; k++) {
                    const Pat *kp = p->kids[k];
                    if ((pass == 0) == is_wild(kp))
                        continue;
                    if (pass == 1 && !label_holds(m, kp->label, b))
                        continue;
                    if (pass == 2 && kp->k != PT_ANY)
                        continue;
                    Snap s = snap(m);
                    if (unify(m, p->kids[k], b))
                        ok = 1;
                    else
                        restore(m, s);
                }
            if (!ok)
                return 0;
        }
        return 1;
    }
    case PT_ANY: {
        if (p->nof) {
            if (t->kind == T_UNION)
                return 0;
            int ok = 0;
            for (int i = 0; i < p->nof; i++)
                ok |= ir_accepts(ir_type(p->of[i]), t);
            if (!ok)
                return 0;
            Label *l = label(m, p->label);
            l->of = p->of;
            l->nof = p->nof;
        }
        see(m, p->label, t);
        return 1;
    }
    case PT_REF:
        see(m, p->label, t);
        return 1;
    case PT_RECORD:
        if (t->kind != T_RECORD)
            return 0;
        see(m, p->label, t); /* first: its fields may refer to it */
        for (int i = 0; i < p->nkids; i++) {
            int f = -1;
            for (int j = 0; j < t->nsymbols; j++)
                if (!strcmp(t->symbols[j], p->fnames[i]))
                    f = j;
            if (f < 0 || !unify(m, p->kids[i], t->ftypes[f]))
                return 0;
        }
        return 1;
    case PT_ENUM:
        if (t->kind != T_ENUM)
            return 0;
        see(m, p->label, t);
        return 1;
    case PT_FIXED:
        if (t->kind != T_FIXED)
            return 0;
        see(m, p->label, t);
        return 1;
    case PT_FN:
        return t->kind == T_FN; /* checked once the other labels are known */
    }
    return 0;
}

static int assign_labels(Match *m)
{
    for (int i = 0; i < m->nlabels; i++) {
        Label *l = &m->labels[i];
        if (l->assigned || l->n == 0)
            continue;
        IrType *t = lub(m->c, l->seen, l->n);
        if (!t || t == BOTTOM)
            return t == BOTTOM ? (l->assigned = BOTTOM, 1) : 0;
        if (l->nof) {
            int ok = 0;
            for (int k = 0; k < l->nof; k++)
                ok |= t->kind == l->of[k];
            if (!ok)
                return 0;
        }
        l->assigned = t;
    }
    return 1;
}

static IrType *pat_type(Match *m, const Pat *p)
{
    switch (p->k) {
    case PT_PRIM:
        return ir_type(p->prim);
    case PT_ARRAY:
    case PT_MAP: {
        IrType *it = pat_type(m, p->kids[0]);
        return it ? mk_array(m->c, p->k == PT_ARRAY ? T_ARRAY : T_MAP, it) : NULL;
    }
    case PT_UNION: {
        IrType *ts[16];
        for (int i = 0; i < p->nkids; i++)
            if (!(ts[i] = pat_type(m, p->kids[i])))
                return NULL;
        return lub(m->c, ts, p->nkids);
    }
    case PT_FN: {
        IrType *ps[16];
        for (int i = 0; i + 1 < p->nkids; i++)
            if (!(ps[i] = pat_type(m, p->kids[i])))
                return NULL;
        IrType *r = pat_type(m, p->kids[p->nkids - 1]);
        return r ? mk_fn(m->c, ps, p->nkids - 1, r) : NULL;
    }
    default: {
        Label *l = label(m, p->label);
        return l->assigned;
    }
    }
}

/* a function argument against a function pattern: its parameters must
   accept what the pattern passes, its result binds or fits the result */
static int unify_fn(Match *m, const Pat *p, IrType *t)
{
    if (t == BOTTOM)
        return 1;
    if (t->kind != T_FN || t->nsymbols != p->nkids - 1)
        return 0;
    for (int i = 0; i + 1 < p->nkids; i++) {
        IrType *want = pat_type(m, p->kids[i]);
        if (!want)
            return 0;
        if (!accepts(t->ftypes[i], want))
            return 0;
    }
    const Pat *rp = p->kids[p->nkids - 1];
    IrType *r = pat_type(m, rp);
    if (r)
        return accepts(r, t->items);
    if (!unify(m, rp, t->items))
        return 0;
    return assign_labels(m);
}

static int contains_fn(const Pat *p)
{
    if (p->k == PT_FN)
        return 1;
    for (int i = 0; i < p->nkids; i++)
        if (contains_fn(p->kids[i]))
            return 1;
    return 0;
}

/* enum-of-record patterns: the symbols are the record's fields, in order */
static int check_enum_of(Match *m, const Pat *p)
{
    if (p->k == PT_ENUM && p->of_record) {
        IrType *e = label(m, p->label)->assigned, *r = label(m, p->of_record)->assigned;
        if (!e || !r || e->kind != T_ENUM || r->kind != T_RECORD || e->nsymbols != r->nsymbols)
            return 0;
        for (int i = 0; i < e->nsymbols; i++)
            if (strcmp(e->symbols[i], r->symbols[i]))
                return 0;
    }
    for (int i = 0; i < p->nkids; i++)
        if (!check_enum_of(m, p->kids[i]))
            return 0;
    return 1;
}

/* Match arguments against one signature; fills the parameter types (the
   types arguments are converted to) and the result type. */
static int match_sig(Ck *c, const Sig *s, IrType **args, int n, IrType **ptypes, IrType **ret)
{
    if (s->n != n)
        return 0;
    Match m = {.c = c};
    for (int i = 0; i < n; i++)
        if (!contains_fn(s->params[i]) && !unify(&m, s->params[i], args[i]))
            return 0;
    for (int i = 0; i < n; i++)
        if (contains_fn(s->params[i]) && s->params[i]->k != PT_FN && !unify(&m, s->params[i], args[i]))
            return 0;
    if (!assign_labels(&m))
        return 0;
    for (int i = 0; i < n; i++)
        if (s->params[i]->k == PT_FN && !unify_fn(&m, s->params[i], args[i]))
            return 0;
    for (int i = 0; i < n; i++) {
        if (!check_enum_of(&m, s->params[i]))
            return 0;
        IrType *pt = pat_type(&m, s->params[i]);
        if (!pt)
            return 0;
        if (pt->kind == T_FN) {
            ptypes[i] = pt;
            continue;
        }
        if (!accepts(pt, args[i]))
            return 0;
        /* the same type in another order needs no conversion */
        if (args[i] != BOTTOM && ir_accepts(args[i], pt))
            pt = args[i];
        ptypes[i] = pt;
    }
    *ret = pat_type(&m, s->ret);
    return *ret != NULL;
}

/* ---- scopes ---- */
struct Scope {
    Scope *up;
    PfaSym **syms;
    int n, cap;
    NameIndex ix;         /* name -> its first symbol here (a block of 20,000 lets) */
    int sealed_above;     /* symbols declared outside may not be changed here */
    int sealed_within;    /* no new symbols here (a "do" lifts this) */
    PfaExpr *fcn;         /* an inline function: outer symbols are captured */
};

typedef struct Updator {
    PfaExpr *to;          /* a FCNDEF or FCNREF */
    int writes;
    int *calls;
    int ncalls;
} Updator;

static Scope *scope_new(Ck *c, Scope *up, int sealed_above, int sealed_within)
{
    Scope *s = ARENA_NEW(c->a, Scope);
    s->up = up;
    s->sealed_above = sealed_above;
    s->sealed_within = sealed_within;
    return s;
}

static void add_capture(Ck *c, PfaExpr *f, PfaSym *s)
{
    for (int i = 0; i < f->ncaps; i++)
        if (f->caps[i] == s)
            return;
    int cap = f->ncaps; /* grow by doubling from the count */
    PfaSym **n = ARENA_ARRAY(c->a, PfaSym *, cap + 1);
    if (cap)
        memcpy(n, f->caps, sizeof(PfaSym *) * (size_t)cap);
    n[cap] = s;
    f->caps = n;
    f->ncaps++;
}

/* find a visible symbol; `settable` says whether this scope may change it */
/* sym into scope sc (the first of a name is the one found) */
static void scope_push(Arena *a, Scope *sc, PfaSym *sym)
{
    VEC_PUSH(a, sc->syms, sc->n, sc->cap, sym);
    if (names_get(&sc->ix, sym->name) < 0)
        names_put(a, &sc->ix, sym->name, sc->n - 1);
}

static PfaSym *lookup(Ck *c, Scope *sc, const char *name, int *settable)
{
    int sealed = 0;
    PfaExpr *crossed[64];
    int ncrossed = 0;
    for (Scope *s = sc; s; s = s->up) {
        int i = names_get(&s->ix, name);
        if (i >= 0) {
            if (settable)
                *settable = !sealed && s->syms[i]->kind == SYM_LOCAL;
            for (int k = 0; k < ncrossed; k++)
                add_capture(c, crossed[k], s->syms[i]);
            return s->syms[i];
        }
        if (s->sealed_above || s->fcn)
            sealed = 1;
        if (s->fcn && ncrossed < 64)
            crossed[ncrossed++] = s->fcn;
    }
    return NULL;
}

static PfaSym *declare(Ck *c, Scope *sc, const char *name, IrType *t, Loc loc, int check_shadow)
{
    if (check_shadow && lookup(c, sc, name, NULL))
        err(c, loc, "symbol '%s' is already defined (symbols may not be redeclared or shadowed)", name);
    PfaSym *s = ARENA_NEW(c->a, PfaSym);
    s->name = name;
    s->type = t;
    s->loc = loc;
    s->var = -1;
    scope_push(c->a, sc, s);
    return s;
}

static void note_call(Ck *c, int fn)
{
    for (int i = 0; i < c->ncalls; i++)
        if (c->calls[i] == fn)
            return;
    VEC_PUSH(c->a, c->calls, c->ncalls, c->cap_calls, fn);
}

static int find_ufn(Ck *c, const char *name)
{
    for (int i = 0; i < c->prog->nfns; i++)
        if (!strcmp(c->prog->fns[i].name, name))
            return i;
    return -1;
}

/* "unknown function": with the closest library or user function, if any */
static void unknown_fn(Ck *c, Loc loc, const char *name)
{
    int n = PFA_SIG_COUNT + c->prog->nfns;
    const char **names = ARENA_ARRAY(c->a, const char *, n);
    for (int i = 0; i < PFA_SIG_COUNT; i++)
        names[i] = pfa_sig_table[i].name;
    for (int i = 0; i < c->prog->nfns; i++)
        names[PFA_SIG_COUNT + i] = c->prog->fns[i].name;
    const char *hint = closest_name(name, names, n);
    if (hint)
        err(c, loc, "unknown function '%s'; did you mean '%s'?", name, hint);
    else
        err(c, loc, "unknown function '%s'", name);
}

/* "unknown symbol": with the closest visible symbol, if any */
static void unknown_sym(Ck *c, Scope *sc, Loc loc, const char *name, const char *more)
{
    const char **names = NULL;
    int n = 0, cap = 0;
    for (Scope *s = sc; s; s = s->up)
        for (int i = 0; i < s->n; i++)
            VEC_PUSH(c->a, names, n, cap, s->syms[i]->name);
    const char *hint = closest_name(name, names, n);
    if (hint)
        err(c, loc, "unknown symbol '%s'; did you mean '%s'?", name, hint);
    else
        err(c, loc, "unknown symbol '%s'%s", name, more);
}

/* ---- expressions ---- */
static IrType *ck(Ck *c, Scope *sc, PfaExpr *e);

static IrType *ck_sealed(Ck *c, Scope *sc, PfaExpr *e)
{
    return ck(c, scope_new(c, sc, 1, 1), e);
}

/* a block's expressions in a new scope; its type is the last one's */
static IrType *ck_block(Ck *c, Scope *sc, PfaBlock *b, int sealed_above)
{
    Scope *s = scope_new(c, sc, sealed_above, 0);
    IrType *t = ir_type(T_NULL);
    for (int i = 0; i < b->n; i++)
        t = ck(c, s, b->e[i]);
    return t;
}

static IrType *expect_bool(Ck *c, PfaExpr *e, IrType *t, const char *what)
{
    if (t != BOTTOM && t->kind != T_BOOL)
        err(c, e->loc, "%s must be boolean, not %s", what, TT(t));
    return t;
}

static IrType *ck_fcndef(Ck *c, Scope *sc, PfaExpr *e);
static IrType *ck_fcnref(Ck *c, Scope *sc, PfaExpr *e);

static IrType *ck_fn_arg(Ck *c, Scope *sc, PfaExpr *e)
{
    if (e->kind == PE_FCNDEF)
        return ck_fcndef(c, sc, e);
    if (e->kind == PE_FCNREF)
        return ck_fcnref(c, sc, e);
    return ck_sealed(c, sc, e);
}

static IrType *fill_type(Ck *c, Scope *sc, PfaExpr *e, IrType *ft, const char **pnames)
{
    e->ptypes_t = ft->ftypes; /* the whole signature, before filling */
    if (e->nnames == 0)
        return ft;
    e->fillpos = ARENA_ARRAY(c->a, int, e->nnames);
    unsigned char used[64] = {0};
    for (int i = 0; i < e->nnames; i++) {
        int k = -1;
        for (int j = 0; j < ft->nsymbols && pnames; j++)
            if (!strcmp(pnames[j], e->names[i]))
                k = j;
        e->fillpos[i] = k;
        IrType *vt = ck_sealed(c, sc, e->vals[i]);
        if (k < 0 || k >= 64) {
            err(c, e->vals[i]->loc, "function '%s' has no parameter '%s' to fill", e->name, e->names[i]);
            continue;
        }
        used[k] = 1;
        if (!accepts(ft->ftypes[k], vt))
            err(c, e->vals[i]->loc, "fill value for '%s' is %s, but the parameter is %s", e->names[i], TT(vt),
                TT(ft->ftypes[k]));
    }
    IrType *ps[64];
    int n = 0;
    for (int j = 0; j < ft->nsymbols && j < 64; j++)
        if (!used[j])
            ps[n++] = ft->ftypes[j];
    return mk_fn(c, ps, n, ft->items);
}

static IrType *ck_fcnref(Ck *c, Scope *sc, PfaExpr *e)
{
    e->ufn = -1;
    if (!strncmp(e->name, "u.", 2)) {
        int f = find_ufn(c, e->name);
        if (f < 0) {
            unknown_fn(c, e->loc, e->name);
            return e->type = BOTTOM;
        }
        e->ufn = f;
        note_call(c, f);
        return e->type = fill_type(c, sc, e, c->prog->fns[f].type, c->prog->fns[f].def->names);
    }
    SigSet *ss = sigs_of(c, e->name);
    if (!ss) {
        unknown_fn(c, e->loc, e->name);
        return e->type = BOTTOM;
    }
    if (ss->n != 1) {
        err(c, e->loc, "library function '%s' has more than one signature: it cannot be referenced "
                       "(wrap it in a user function)", e->name);
        return e->type = BOTTOM;
    }
    const Sig *s = &ss->sigs[0];
    IrType *ps[32];
    Match m = {.c = c};
    for (int i = 0; i < s->n; i++) {
        if (s->params[i]->k != PT_PRIM && s->params[i]->k != PT_ARRAY && s->params[i]->k != PT_MAP &&
            s->params[i]->k != PT_UNION)
            ps[i] = NULL;
        else
            ps[i] = pat_type(&m, s->params[i]);
        if (!ps[i]) {
            err(c, e->loc, "library function '%s' is generic: it cannot be referenced (wrap it in a user "
                           "function)", e->name);
            return e->type = BOTTOM;
        }
    }
    IrType *r = pat_type(&m, s->ret);
    if (!r) {
        err(c, e->loc, "library function '%s' is generic: it cannot be referenced", e->name);
        return e->type = BOTTOM;
    }
    return e->type = fill_type(c, sc, e, mk_fn(c, ps, s->n, r), s->pnames);
}

static IrType *ck_fcndef(Ck *c, Scope *sc, PfaExpr *e)
{
    IrType *ps[64];
    int n = e->nnames < 64 ? e->nnames : 64;
    for (int i = 0; i < n; i++)
        ps[i] = type_of(c, e->ptypes[i]);
    IrType *ret = type_of(c, e->ret_j);
    Scope *fs = scope_new(c, sc, 1, 0);
    fs->fcn = sc ? e : NULL;
    e->syms = ARENA_ARRAY(c->a, PfaSym *, n ? n : 1);
    for (int i = 0; i < n; i++)
        e->syms[i] = declare(c, fs, e->names[i], ps[i], e->ptypes[i]->loc, 0);
    /* an inline function's own writes and calls, for the deadlock rule */
    int saved_writes = c->writes, *saved_calls = c->calls, saved_n = c->ncalls, saved_cap = c->cap_calls;
    c->writes = 0;
    c->calls = NULL;
    c->ncalls = c->cap_calls = 0;
    IrType *bt = ck_block(c, fs, &e->body, 0);
    if (!accepts(ret, bt))
        err(c, e->body.n ? e->body.e[e->body.n - 1]->loc : e->loc,
            "the function returns %s, but its last expression is %s", TT(ret), TT(bt));
    int w = c->writes, *calls = c->calls, ncalls = c->ncalls;
    c->last_writes = w;
    c->last_calls = calls;
    c->nlast_calls = ncalls;
    c->writes = saved_writes | w;
    c->calls = saved_calls;
    c->ncalls = saved_n;
    c->cap_calls = saved_cap;
    for (int i = 0; i < ncalls; i++)
        note_call(c, calls[i]);
    return e->type = mk_fn(c, ps, n, ret);
}

static void note_updator(Ck *c, PfaExpr *to)
{
    Updator u = {.to = to};
    if (to->kind == PE_FCNDEF) {
        u.writes = c->last_writes;
        u.calls = c->last_calls;
        u.ncalls = c->nlast_calls;
    }
    VEC_PUSH(c->a, c->upd, c->nupd, c->cap_upd, u);
}

/* an updator: a value of type x, or a function from x to x */
static void ck_to(Ck *c, Scope *sc, PfaExpr *to, IrType *x, const char *what)
{
    if (to->kind == PE_FCNDEF || to->kind == PE_FCNREF) {
        IrType *ft = ck_fn_arg(c, sc, to);
        if (ft != BOTTOM && (ft->nsymbols != 1 || !accepts(ft->ftypes[0], x) || !accepts(x, ft->items)))
            err(c, to->loc, "the updator of %s must be a function from %s to %s, not %s", what, TT(x), TT(x),
                TT(ft));
        note_updator(c, to);
        return;
    }
    IrType *t = ck_sealed(c, sc, to);
    if (!accepts(x, t))
        err(c, to->loc, "the new value of %s is %s, but it holds %s", what, TT(t), TT(x));
}

/* walk a path (attr, cell, pool); returns the type at its end */
static IrType *ck_path(Ck *c, Scope *sc, PfaExpr *e, IrType *base, int start)
{
    e->steps = ARENA_ARRAY(c->a, int, e->nargs + 1);
    e->steps_t = ARENA_ARRAY(c->a, IrType *, e->nargs + 1);
    IrType *t = base;
    for (int i = 0; i < start; i++)
        e->steps_t[i] = base;
    e->steps_t[start] = base;
    for (int i = start; i < e->nargs; i++) {
        PfaExpr *k = e->args[i];
        if (t == BOTTOM) {
            ck_sealed(c, sc, k);
            e->steps_t[i + 1] = BOTTOM;
            continue;
        }
        if (t->kind == T_ARRAY) {
            IrType *kt = ck_sealed(c, sc, k);
            if (kt != BOTTOM && kt->kind != T_INT)
                err(c, k->loc, "an array index must be an int, not %s", TT(kt));
            e->steps[i] = -1;
            t = t->items;
        } else if (t->kind == T_MAP) {
            IrType *kt = ck_sealed(c, sc, k);
            if (kt != BOTTOM && kt->kind != T_STRING)
                err(c, k->loc, "a map key must be a string, not %s", TT(kt));
            e->steps[i] = -2;
            t = t->items;
        } else if (t->kind == T_RECORD) {
            k->type = ir_type(T_STRING);
            if (k->kind != PE_LIT_STRING) {
                err(c, k->loc, "a record field in a path must be a literal string");
                t = BOTTOM;
            } else {
                int f = -1;
                for (int j = 0; j < t->nsymbols; j++)
                    if (strlen(t->symbols[j]) == k->slen && !memcmp(t->symbols[j], k->s, k->slen))
                        f = j;
                if (f < 0) {
                    err(c, k->loc, "record %s has no field '%s'", t->name, k->s);
                    t = BOTTOM;
                } else {
                    e->steps[i] = f;
                    t = t->ftypes[f];
                }
            }
        } else {
            err(c, k->loc, "cannot index into %s", TT(t));
            ck_sealed(c, sc, k);
            t = BOTTOM;
        }
        e->steps_t[i + 1] = t;
    }
    return t;
}

static int find_state(PfaState *s, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(s[i].name, name))
            return i;
    return -1;
}

/* A pack/unpack format: its PFA type (NULL when it is not a format) and a
   compact code for the runtime: an optional '<' or '>' (little/big endian),
   then x (pad), ? (boolean), b B h H i I q Q (signed/unsigned 8, 16, 32, 64
   bits), f, d, rN; (N raw bytes), R (raw, pack only), z (NUL-terminated),
   p (length-prefixed). */
static IrType *pack_format(Ck *c, const char *f, int pack, const char **code)
{
    /* white space is optional between the words: drop it */
    char w[64];
    size_t n = 0;
    for (const char *p = f; *p; p++)
        if (!(*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v')) {
            if (n + 1 >= sizeof w)
                return NULL;
            w[n++] = *p;
        }
    w[n] = 0;
    const char *t = w;
    int big = 1, uns = 0;
    static const char *const little[] = {"<", "little"}, *const bigs[] = {">", "!", "big", "network"};
    for (size_t i = 0; i < 2; i++)
        if (!strncmp(t, little[i], strlen(little[i]))) {
            t += strlen(little[i]);
            big = 0;
            break;
        }
    for (size_t i = 0; big && t == w && i < 4; i++)
        if (!strncmp(t, bigs[i], strlen(bigs[i])))
            t += strlen(bigs[i]);
    int has_order = t != w;
    if (!strncmp(t, "unsigned", 8)) {
        t += 8;
        uns = 1;
    }
    static const struct { const char *name; char s, u; IrTypeKind ks, ku; int ordered; } kinds[] = {
        {"pad", 'x', 0, T_NULL, T_NULL, 0}, {"boolean", '?', 0, T_BOOL, T_BOOL, 0},
        {"byte", 'b', 'B', T_INT, T_INT, 0}, {"int8", 'b', 'B', T_INT, T_INT, 0},
        {"short", 'h', 'H', T_INT, T_INT, 1}, {"int16", 'h', 'H', T_INT, T_INT, 1},
        {"int32", 'i', 'I', T_INT, T_LONG, 1}, {"int", 'i', 'I', T_INT, T_LONG, 1},
        {"longlong", 'q', 'Q', T_LONG, T_DOUBLE, 1}, {"long", 'q', 'Q', T_LONG, T_DOUBLE, 1},
        {"int64", 'q', 'Q', T_LONG, T_DOUBLE, 1}, {"float32", 'f', 0, T_FLOAT, T_FLOAT, 1},
        {"float", 'f', 0, T_FLOAT, T_FLOAT, 1}, {"float64", 'd', 0, T_DOUBLE, T_DOUBLE, 1},
        {"double", 'd', 0, T_DOUBLE, T_DOUBLE, 1}, {"nullterminated", 'z', 0, T_BYTES, T_BYTES, 0},
        {"lengthprefixed", 'p', 0, T_BYTES, T_BYTES, 0}};
    if (!strncmp(t, "raw", 3) && !uns && !has_order) {
        if (!t[3] && pack) {
            *code = ">R";
            return ir_type(T_BYTES);
        }
        if (t[3] && strlen(t + 3) < 8 && strspn(t + 3, "0123456789") == strlen(t + 3)) {
            *code = arena_printf(c->a, "r%s;", t + 3);
            return ir_type(T_BYTES);
        }
        return NULL;
    }
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(t, kinds[i].name)) {
            if ((uns && !kinds[i].u) || (has_order && !kinds[i].ordered))
                return NULL;
            *code = arena_printf(c->a, "%s%c", big ? ">" : "<", uns ? kinds[i].u : kinds[i].s);
            return ir_type(uns ? kinds[i].ku : kinds[i].ks);
        }
    return NULL;
}

/* the type of a form with "then" and "else": their narrowest supertype */
static IrType *then_else_type(Ck *c, PfaExpr *e, IrType *tt, IrType *et)
{
    IrType *t = lub2(c, tt, et);
    if (!t)
        err(c, e->loc, "\"then\" (%s) and \"else\" (%s) have no common type", TT(tt), TT(et));
    return t ? t : BOTTOM;
}

/* the cell or pool a form names; -1 after reporting (its path still checked) */
static int state_of(Ck *c, Scope *sc, PfaExpr *e, PfaState *s, int n, const char *what)
{
    int k = find_state(s, n, e->name);
    if (k < 0) {
        err(c, e->loc, "unknown %s '%s'", what, e->name);
        for (int i = 0; i < e->nargs; i++)
            ck_sealed(c, sc, e->args[i]);
    }
    return k;
}

static IrType *ck_call(Ck *c, Scope *sc, PfaExpr *e)
{
    IrType *args[64];
    int n = e->nargs < 64 ? e->nargs : 64;
    e->ufn = -1;
    for (int i = 0; i < n; i++)
        args[i] = ck_fn_arg(c, sc, e->args[i]);
    for (int i = 0; i < n; i++)
        if (args[i] == BOTTOM && e->args[i]->kind != PE_ERROR)
            return BOTTOM; /* reported already */
    e->ptypes_t = ARENA_ARRAY(c->a, IrType *, n ? n : 1);
    if (!strncmp(e->name, "u.", 2)) {
        int f = find_ufn(c, e->name);
        if (f < 0) {
            unknown_fn(c, e->loc, e->name);
            return BOTTOM;
        }
        e->ufn = f;
        note_call(c, f);
        IrType *ft = c->prog->fns[f].type;
        if (ft->nsymbols != n) {
            err(c, e->loc, "%s takes %d arguments, not %d", e->name, ft->nsymbols, n);
            return BOTTOM;
        }
        for (int i = 0; i < n; i++) {
            if (args[i]->kind == T_FN || !accepts(ft->ftypes[i], args[i]))
                err(c, e->args[i]->loc, "argument %d of %s is %s, but the parameter is %s", i + 1, e->name,
                    TT(args[i]), TT(ft->ftypes[i]));
            e->ptypes_t[i] = ft->ftypes[i];
        }
        return ft->items;
    }
    if (!strcmp(e->name, "emit") && c->doc->method == PFA_EMIT) {
        if (n != 1 || !accepts(c->prog->output, args[0]))
            err(c, e->loc, "emit takes one value of the output type (%s)", TT(c->prog->output));
        e->ptypes_t[0] = c->prog->output;
        return ir_type(T_NULL);
    }
    SigSet *ss = sigs_of(c, e->name);
    if (!ss) {
        unknown_fn(c, e->loc, e->name);
        return BOTTOM;
    }
    for (int k = 0; k < ss->n; k++) {
        IrType *ret;
        if (match_sig(c, &ss->sigs[k], args, n, e->ptypes_t, &ret)) {
            const char *why = pfa_lib_rule(c->a, e->name, e->ptypes_t, n);
            e->i = k;
            if (why) {
                err(c, e->loc, "%s", why);
                return BOTTOM;
            }
            return ret;
        }
    }
    StrBuf o;
    sb_init(&o);
    for (int i = 0; i < n; i++) {
        if (i)
            sb_puts(&o, ", ");
        type_text(&o, args[i], 0);
    }
    err(c, e->loc, "no signature of %s accepts (%s)", e->name, o.data ? o.data : "");
    sb_free(&o);
    return BOTTOM;
}

/* the types a cast case may name, and whether the cases cover the value */
static IrType *ck_cast(Ck *c, Scope *sc, PfaExpr *e)
{
    IrType *xt = ck_sealed(c, sc, e->x);
    IrType **bodies = ARENA_ARRAY(c->a, IrType *, e->nargs ? e->nargs : 1);
    e->syms = ARENA_ARRAY(c->a, PfaSym *, e->nargs ? e->nargs : 1);
    for (int i = 0; i < e->nargs; i++) {
        PfaExpr *ce = e->args[i];
        IrType *as = ce->type_j ? type_of(c, ce->type_j) : BOTTOM;
        ce->type = as;
        if (xt != BOTTOM && as != BOTTOM && !ir_accepts(xt, as))
            err(c, ce->loc, "the cast value is %s, which can never be %s", TT(xt), TT(as));
        Scope *s = scope_new(c, sc, 0, 0);
        e->syms[i] = declare(c, s, ce->name ? ce->name : "", as, ce->loc, 1);
        bodies[i] = ck_block(c, s, &ce->body, 0);
    }
    if (!e->b) {
        if (xt != BOTTOM) {
            int nb = xt->kind == T_UNION ? xt->nbranches : 1;
            for (int j = 0; j < nb; j++) {
                IrType *b = xt->kind == T_UNION ? xt->branches[j] : xt;
                int covered = 0;
                for (int i = 0; i < e->nargs; i++)
                    covered |= e->args[i]->type != BOTTOM && ir_accepts(e->args[i]->type, b);
                if (!covered)
                    err(c, e->loc, "the cast cases do not cover %s (add a case or \"partial\": true)", TT(b));
            }
        }
        IrType *t = lub(c, bodies, e->nargs);
        if (!t) {
            err(c, e->loc, "the cast cases have no common type");
            return BOTTOM;
        }
        return t;
    }
    return ir_type(T_NULL);
}

static IrType *ck_new(Ck *c, Scope *sc, PfaExpr *e)
{
    IrType *t = type_of(c, e->type_j);
    if (t == BOTTOM) {
        for (int i = 0; i < e->nargs; i++)
            ck_sealed(c, sc, e->args[i]);
        for (int i = 0; i < e->nnames; i++)
            ck_sealed(c, sc, e->vals[i]);
        return BOTTOM;
    }
    if (!e->has_path) {
        if (t->kind != T_ARRAY) {
            err(c, e->loc, "\"new\" with a JSON array makes an array, not %s", TT(t));
            return BOTTOM;
        }
        for (int i = 0; i < e->nargs; i++) {
            IrType *it = ck_sealed(c, sc, e->args[i]);
            if (!accepts(t->items, it))
                err(c, e->args[i]->loc, "array item %d is %s, but the items are %s", i, TT(it), TT(t->items));
        }
        return t;
    }
    if (t->kind == T_MAP) {
        for (int i = 0; i < e->nnames; i++) {
            IrType *it = ck_sealed(c, sc, e->vals[i]);
            if (!accepts(t->items, it))
                err(c, e->vals[i]->loc, "map value '%s' is %s, but the values are %s", e->names[i], TT(it),
                    TT(t->items));
        }
        return t;
    }
    if (t->kind != T_RECORD) {
        err(c, e->loc, "\"new\" with a JSON object makes a map or a record, not %s", TT(t));
        return BOTTOM;
    }
    for (int i = 0; i < e->nnames; i++) {
        IrType *it = ck_sealed(c, sc, e->vals[i]);
        int f = -1;
        for (int j = 0; j < t->nsymbols; j++)
            if (!strcmp(t->symbols[j], e->names[i]))
                f = j;
        if (f < 0)
            err(c, e->vals[i]->loc, "record %s has no field '%s'", t->name, e->names[i]);
        else if (!accepts(t->ftypes[f], it))
            err(c, e->vals[i]->loc, "field '%s' of %s is %s, not %s", e->names[i], t->name, TT(t->ftypes[f]),
                TT(it));
    }
    for (int j = 0; j < t->nsymbols; j++) {
        int found = 0;
        for (int i = 0; i < e->nnames; i++)
            found |= !strcmp(t->symbols[j], e->names[i]);
        if (!found)
            err(c, e->loc, "field '%s' of record %s is not given", t->symbols[j], t->name);
    }
    return t;
}

static IrType *ck_kind(Ck *c, Scope *sc, PfaExpr *e)
{
    switch (e->kind) {
    case PE_LIT_NULL: return ir_type(T_NULL);
    case PE_LIT_BOOL: return ir_type(T_BOOL);
    case PE_LIT_INT: return ir_type(T_INT);
    case PE_LIT_LONG: return ir_type(T_LONG);
    case PE_LIT_FLOAT: return ir_type(T_FLOAT);
    case PE_LIT_DOUBLE: return ir_type(T_DOUBLE);
    case PE_LIT_STRING: return ir_type(T_STRING);
    case PE_LIT_BASE64: return ir_type(T_BYTES);
    case PE_LIT_TYPED: {
        IrType *t = type_of(c, e->type_j);
        if (!e->value_j)
            return BOTTOM;
        e->json = embedded(c, e->value_j, t, "the value");
        return e->json ? t : BOTTOM;
    }
    case PE_REF: {
        PfaSym *s = lookup(c, sc, e->name, NULL);
        if (!s) {
            unknown_sym(c, sc, e->loc, e->name, "");
            return BOTTOM;
        }
        e->sym = s;
        return s->type;
    }
    case PE_CALL:
        return ck_call(c, sc, e);
    case PE_CALL_ENUM: {
        IrType *xt = ck_sealed(c, sc, e->x);
        IrType *args[64];
        int n = e->nargs < 64 ? e->nargs : 64;
        for (int i = 0; i < n; i++)
            args[i] = ck_fn_arg(c, sc, e->args[i]);
        if (xt == BOTTOM)
            return BOTTOM;
        if (xt->kind != T_ENUM) {
            err(c, e->x->loc, "\"call\" needs an enum of function names, not %s", TT(xt));
            return BOTTOM;
        }
        IrType **rets = ARENA_ARRAY(c->a, IrType *, xt->nsymbols);
        e->ptypes_t = ARENA_ARRAY(c->a, IrType *, n ? n : 1);
        for (int k = 0; k < xt->nsymbols; k++) {
            const char *fname = arena_printf(c->a, "u.%s", xt->symbols[k]);
            int f = find_ufn(c, fname);
            if (f < 0) {
                err(c, e->x->loc, "enum symbol '%s' names no user function", xt->symbols[k]);
                return BOTTOM;
            }
            note_call(c, f);
            IrType *ft = c->prog->fns[f].type;
            if (ft->nsymbols != n) {
                err(c, e->loc, "%s takes %d arguments, not %d", fname, ft->nsymbols, n);
                return BOTTOM;
            }
            for (int i = 0; i < n; i++)
                if (!accepts(ft->ftypes[i], args[i]))
                    err(c, e->args[i]->loc, "argument %d is %s, but %s takes %s", i + 1, TT(args[i]), fname,
                        TT(ft->ftypes[i]));
            rets[k] = ft->items;
        }
        for (int i = 0; i < n; i++)
            e->ptypes_t[i] = args[i];
        IrType *t = lub(c, rets, xt->nsymbols);
        if (!t)
            err(c, e->loc, "the functions \"call\" may call return incompatible types");
        return t ? t : BOTTOM;
    }
    case PE_FCNDEF:
    case PE_FCNREF:
        err(c, e->loc, "a function is not a value (only a function argument)");
        return BOTTOM;
    case PE_NEW:
        return ck_new(c, sc, e);
    case PE_DO:
        return ck_block(c, sc, &e->body, 0);
    case PE_LET: {
        if (sc->sealed_within)
            err(c, e->loc, "symbols cannot be declared here (wrap the expression in a \"do\")");
        IrType **ts = ARENA_ARRAY(c->a, IrType *, e->nnames ? e->nnames : 1);
        for (int i = 0; i < e->nnames; i++) {
            ts[i] = ck_sealed(c, sc, e->vals[i]);
            if (ts[i]->kind == T_FN) {
                err(c, e->vals[i]->loc, "a function cannot be assigned to a symbol");
                ts[i] = BOTTOM;
            }
        }
        e->syms = ARENA_ARRAY(c->a, PfaSym *, e->nnames ? e->nnames : 1);
        for (int i = 0; i < e->nnames; i++)
            e->syms[i] = declare(c, sc, e->names[i], ts[i] == BOTTOM ? ir_type(T_NULL) : ts[i],
                                 e->vals[i]->loc, 1);
        return ir_type(T_NULL);
    }
    case PE_SET: {
        e->syms = ARENA_ARRAY(c->a, PfaSym *, e->nnames ? e->nnames : 1);
        for (int i = 0; i < e->nnames; i++) {
            IrType *t = ck_sealed(c, sc, e->vals[i]);
            int settable = 0;
            PfaSym *s = lookup(c, sc, e->names[i], &settable);
            e->syms[i] = s;
            if (s && s->readonly)
                settable = 0;
            if (!s)
                unknown_sym(c, sc, e->vals[i]->loc, e->names[i], " (declare it with \"let\")");
            else if (!settable)
                err(c, e->vals[i]->loc, "symbol '%s' cannot be changed here (the scope is sealed)",
                    e->names[i]);
            else if (!accepts(s->type, t))
                err(c, e->vals[i]->loc, "symbol '%s' is %s; it cannot hold %s", e->names[i], TT(s->type),
                    TT(t));
        }
        return ir_type(T_NULL);
    }
    case PE_ATTR: {
        IrType *bt = ck_sealed(c, sc, e->x);
        IrType *t = ck_path(c, sc, e, bt, 0);
        if (e->to) {
            if (t != BOTTOM)
                ck_to(c, sc, e->to, t, "the attribute");
            return bt;
        }
        return t;
    }
    case PE_CELL: {
        int k = e->cell = state_of(c, sc, e, c->prog->cells, c->prog->ncells, "cell");
        if (k < 0)
            return BOTTOM;
        IrType *ct = c->prog->cells[k].type;
        IrType *t = ck_path(c, sc, e, ct, 0);
        if (e->to) {
            c->writes = 1;
            if (t != BOTTOM)
                ck_to(c, sc, e->to, t, "the cell");
            return ct;
        }
        return t;
    }
    case PE_POOL: {
        int k = e->cell = state_of(c, sc, e, c->prog->pools, c->prog->npools, "pool");
        if (k < 0)
            return BOTTOM;
        IrType *it = c->prog->pools[k].type;
        if (e->nargs == 0) {
            err(c, e->loc, "a \"pool\" path needs at least the item name");
            return BOTTOM;
        }
        IrType *map = mk_array(c, T_MAP, it);
        IrType *t = ck_path(c, sc, e, map, 0);
        if (e->to) {
            c->writes = 1;
            IrType *init = ck_sealed(c, sc, e->init);
            if (!accepts(it, init))
                err(c, e->init->loc, "the pool's items are %s; \"init\" is %s", TT(it), TT(init));
            if (t != BOTTOM)
                ck_to(c, sc, e->to, t, "the pool item");
            return it;
        }
        return t;
    }
    case PE_POOL_DEL: {
        e->cell = find_state(c->prog->pools, c->prog->npools, e->name);
        if (e->cell < 0)
            err(c, e->loc, "unknown pool '%s'", e->name);
        c->writes = 1;
        IrType *t = ck_sealed(c, sc, e->x);
        if (t != BOTTOM && t->kind != T_STRING)
            err(c, e->x->loc, "a pool item name must be a string, not %s", TT(t));
        return ir_type(T_NULL);
    }
    case PE_IF: {
        expect_bool(c, e->x, ck_sealed(c, sc, e->x), "the \"if\" condition");
        IrType *tt = ck_block(c, sc, &e->body, 0);
        if (!e->has_else)
            return ir_type(T_NULL);
        IrType *et = ck_block(c, sc, &e->els, 0);
        return then_else_type(c, e, tt, et);
    }
    case PE_COND: {
        IrType **ts = ARENA_ARRAY(c->a, IrType *, e->nargs + 1);
        for (int i = 0; i < e->nargs; i++) {
            PfaExpr *cl = e->args[i];
            if (cl->kind != PE_IF) {
                ts[i] = BOTTOM;
                continue;
            }
            expect_bool(c, cl->x, ck_sealed(c, sc, cl->x), "a \"cond\" condition");
            ts[i] = cl->type = ck_block(c, sc, &cl->body, 0);
        }
        if (!e->has_else)
            return ir_type(T_NULL);
        ts[e->nargs] = ck_block(c, sc, &e->els, 0);
        IrType *t = lub(c, ts, e->nargs + 1);
        if (!t)
            err(c, e->loc, "the \"cond\" clauses have no common type");
        return t ? t : BOTTOM;
    }
    case PE_WHILE:
        expect_bool(c, e->x, ck_sealed(c, sc, e->x), "the \"while\" condition");
        ck_block(c, sc, &e->body, 0);
        return ir_type(T_NULL);
    case PE_DO_UNTIL: {
        /* the condition sees the body's symbols; nothing after the loop does */
        Scope *bs = scope_new(c, sc, 0, 0);
        for (int i = 0; i < e->body.n; i++)
            ck(c, bs, e->body.e[i]);
        expect_bool(c, e->x, ck_sealed(c, bs, e->x), "the \"until\" condition");
        return ir_type(T_NULL);
    }
    case PE_FOR: {
        Scope *ls = scope_new(c, sc, 0, 0);
        IrType **ts = ARENA_ARRAY(c->a, IrType *, e->nnames ? e->nnames : 1);
        for (int i = 0; i < e->nnames; i++)
            ts[i] = ck_sealed(c, sc, e->vals[i]);
        e->syms = ARENA_ARRAY(c->a, PfaSym *, e->nnames ? e->nnames : 1);
        for (int i = 0; i < e->nnames; i++)
            e->syms[i] = declare(c, ls, e->names[i], ts[i] == BOTTOM ? ir_type(T_NULL) : ts[i],
                                 e->vals[i]->loc, 1);
        expect_bool(c, e->x, ck_sealed(c, ls, e->x), "the \"for\" condition");
        PfaSym **steps = ARENA_ARRAY(c->a, PfaSym *, e->nnames2 ? e->nnames2 : 1);
        for (int i = 0; i < e->nnames2; i++) {
            IrType *t = ck_sealed(c, ls, e->vals2[i]);
            int settable = 0;
            PfaSym *s = lookup(c, ls, e->names2[i], &settable);
            steps[i] = s;
            if (s && s->readonly)
                settable = 0;
            if (!s)
                unknown_sym(c, sc, e->vals2[i]->loc, e->names2[i], "");
            else if (!settable)
                err(c, e->vals2[i]->loc, "symbol '%s' cannot be changed here", e->names2[i]);
            else if (!accepts(s->type, t))
                err(c, e->vals2[i]->loc, "symbol '%s' is %s; it cannot hold %s", e->names2[i], TT(s->type),
                    TT(t));
        }
        e->caps = steps; /* the symbols the step changes */
        e->ncaps = e->nnames2;
        ck_block(c, ls, &e->body, 0);
        return ir_type(T_NULL);
    }
    case PE_FOREACH: {
        IrType *at = ck_sealed(c, sc, e->x);
        IrType *it = BOTTOM;
        if (at != BOTTOM && at->kind != T_ARRAY)
            err(c, e->x->loc, "\"foreach\" iterates over an array, not %s", TT(at));
        else if (at != BOTTOM)
            it = at->items;
        Scope *ls = scope_new(c, sc, !e->b, 0);
        e->syms = ARENA_ARRAY(c->a, PfaSym *, 1);
        e->syms[0] = declare(c, ls, e->name, it == BOTTOM ? ir_type(T_NULL) : it, e->loc, 1);
        ck_block(c, ls, &e->body, 0);
        return ir_type(T_NULL);
    }
    case PE_FORKV: {
        IrType *mt = ck_sealed(c, sc, e->x);
        IrType *vt = BOTTOM;
        if (mt != BOTTOM && mt->kind != T_MAP)
            err(c, e->x->loc, "\"forkey-forval\" iterates over a map, not %s", TT(mt));
        else if (mt != BOTTOM)
            vt = mt->items;
        Scope *ls = scope_new(c, sc, 0, 0);
        e->syms = ARENA_ARRAY(c->a, PfaSym *, 2);
        e->syms[0] = declare(c, ls, e->name, ir_type(T_STRING), e->loc, 1);
        e->syms[1] = declare(c, ls, e->name2, vt == BOTTOM ? ir_type(T_NULL) : vt, e->loc, 1);
        ck_block(c, ls, &e->body, 0);
        return ir_type(T_NULL);
    }
    case PE_CAST:
        return ck_cast(c, sc, e);
    case PE_CASE:
        return BOTTOM;
    case PE_UPCAST: {
        IrType *xt = ck_sealed(c, sc, e->x);
        IrType *t = type_of(c, e->type_j);
        if (!accepts(t, xt))
            err(c, e->loc, "%s cannot be upcast to %s", TT(xt), TT(t));
        return t;
    }
    case PE_IFNOTNULL: {
        Scope *ts = scope_new(c, sc, 0, 0);
        IrType **vt = ARENA_ARRAY(c->a, IrType *, e->nnames ? e->nnames : 1);
        for (int i = 0; i < e->nnames; i++) {
            IrType *t = ck_sealed(c, sc, e->vals[i]);
            vt[i] = BOTTOM;
            if (t == BOTTOM)
                continue;
            int hasnull = 0, n = 0;
            IrType *keep[64];
            for (int j = 0; t->kind == T_UNION && j < t->nbranches && j < 64; j++) {
                if (t->branches[j]->kind == T_NULL)
                    hasnull = 1;
                else
                    keep[n++] = t->branches[j];
            }
            if (!hasnull) {
                err(c, e->vals[i]->loc, "\"ifnotnull\" needs a union with null, not %s", TT(t));
                continue;
            }
            if (n == 1)
                vt[i] = keep[0];
            else {
                IrType *u = ARENA_NEW(c->a, IrType);
                u->kind = T_UNION;
                u->nbranches = n;
                u->branches = ARENA_ARRAY(c->a, IrType *, n ? n : 1);
                memcpy(u->branches, keep, sizeof(IrType *) * (size_t)n);
                vt[i] = u;
            }
        }
        e->syms = ARENA_ARRAY(c->a, PfaSym *, e->nnames ? e->nnames : 1);
        for (int i = 0; i < e->nnames; i++)
            e->syms[i] = declare(c, ts, e->names[i], vt[i] == BOTTOM ? ir_type(T_NULL) : vt[i],
                                 e->vals[i]->loc, 1);
        IrType *tt = ck_block(c, ts, &e->body, 0);
        if (!e->has_else)
            return ir_type(T_NULL);
        IrType *et = ck_block(c, sc, &e->els, 0);
        return then_else_type(c, e, tt, et);
    }
    case PE_PACK: {
        e->formats = ARENA_ARRAY(c->a, const char *, e->nnames ? e->nnames : 1);
        e->ptypes_t = ARENA_ARRAY(c->a, IrType *, e->nnames ? e->nnames : 1);
        for (int i = 0; i < e->nnames; i++) {
            IrType *t = ck_sealed(c, sc, e->vals[i]);
            IrType *want = pack_format(c, e->names[i], 1, &e->formats[i]);
            e->ptypes_t[i] = want;
            if (!want)
                err(c, e->vals[i]->loc, "'%s' is not a pack format", e->names[i]);
            else if (!accepts(want, t))
                err(c, e->vals[i]->loc, "format '%s' packs %s, not %s", e->names[i], TT(want), TT(t));
        }
        return ir_type(T_BYTES);
    }
    case PE_UNPACK: {
        IrType *bt = ck_sealed(c, sc, e->x);
        if (bt != BOTTOM && bt->kind != T_BYTES)
            err(c, e->x->loc, "\"unpack\" reads bytes, not %s", TT(bt));
        Scope *ts = scope_new(c, sc, 0, 0);
        e->syms = ARENA_ARRAY(c->a, PfaSym *, e->nnames ? e->nnames : 1);
        const char **codes = ARENA_ARRAY(c->a, const char *, e->nnames ? e->nnames : 1);
        for (int i = 0; i < e->nnames; i++) {
            IrType *t = pack_format(c, e->formats[i], 0, &codes[i]);
            if (!t) {
                err(c, e->loc, "'%s' is not an unpack format", e->formats[i]);
                t = ir_type(T_NULL);
            }
            e->syms[i] = declare(c, ts, e->names[i], t, e->loc, 1);
        }
        e->formats = codes;
        IrType *tt = ck_block(c, ts, &e->body, 0);
        if (!e->has_else)
            return ir_type(T_NULL);
        IrType *et = ck_block(c, sc, &e->els, 0);
        return then_else_type(c, e, tt, et);
    }
    case PE_DOC:
        return ir_type(T_NULL);
    case PE_ERROR:
        return BOTTOM;
    case PE_TRY: {
        IrType *t = ck_block(c, sc, &e->body, 0);
        if (t == BOTTOM)
            return ir_type(T_NULL);
        IrType *r = lub2(c, ir_type(T_NULL), t);
        if (!r) {
            err(c, e->loc, "\"try\" cannot make %s nullable", TT(t));
            return BOTTOM;
        }
        return r;
    }
    case PE_LOG:
        for (int i = 0; i < e->nargs; i++)
            ck_sealed(c, sc, e->args[i]);
        return ir_type(T_NULL);
    default:
        return BOTTOM;
    }
}

static IrType *ck(Ck *c, Scope *sc, PfaExpr *e)
{
    IrType *t = ck_kind(c, sc, e);
    if (!t)
        t = BOTTOM;
    e->type = t;
    return t;
}

/* ---- the document ---- */
static void collect_expr(Ck *c, PfaExpr *e, int depth);

static void collect_block(Ck *c, PfaBlock *b, int depth)
{
    for (int i = 0; i < b->n; i++)
        collect_expr(c, b->e[i], depth + 1);
}

static void collect_expr(Ck *c, PfaExpr *e, int depth)
{
    if (!e || depth > 1000)
        return;
    collect_schema(c, e->type_j, NULL, 0);
    collect_schema(c, e->ret_j, NULL, 0);
    for (int i = 0; e->ptypes && i < e->nnames; i++)
        collect_schema(c, e->ptypes[i], NULL, 0);
    collect_expr(c, e->x, depth + 1);
    collect_expr(c, e->to, depth + 1);
    collect_expr(c, e->init, depth + 1);
    for (int i = 0; i < e->nargs; i++)
        collect_expr(c, e->args[i], depth + 1);
    for (int i = 0; e->vals && i < e->nnames; i++)
        collect_expr(c, e->vals[i], depth + 1);
    for (int i = 0; e->vals2 && i < e->nnames2; i++)
        collect_expr(c, e->vals2[i], depth + 1);
    collect_block(c, &e->body, depth);
    collect_block(c, &e->els, depth);
}

static PfaSym *predef(Ck *c, Scope *sc, const char *name, IrType *t, PfaSymKind k)
{
    PfaSym *s = declare(c, sc, name, t, (Loc){.file = c->doc->file}, 0);
    s->kind = k;
    s->readonly = 1;
    return s;
}

/* the symbols a routine starts with */
static Scope *routine_scope(Ck *c, int with_input, int with_tally, int with_counts)
{
    PfaDoc *doc = c->doc;
    PfaProgram *p = c->prog;
    Scope *sc = scope_new(c, NULL, 0, 0);
    predef(c, sc, "name", ir_type(T_STRING), SYM_NAME);
    predef(c, sc, "instance", ir_type(T_INT), SYM_INSTANCE);
    if (doc->has_version)
        predef(c, sc, "version", ir_type(T_INT), SYM_VERSION);
    predef(c, sc, "metadata", mk_array(c, T_MAP, ir_type(T_STRING)), SYM_METADATA);
    if (with_counts) {
        predef(c, sc, "actionsStarted", ir_type(T_LONG), SYM_STARTED);
        predef(c, sc, "actionsFinished", ir_type(T_LONG), SYM_FINISHED);
    }
    if (with_input) {
        scope_push(c->a, sc, p->input_sym);
    }
    if (with_tally && doc->method == PFA_FOLD)
        scope_push(c->a, sc, p->tally_sym);
    return sc;
}

static PfaSym *param_sym(Ck *c, const char *name, IrType *t)
{
    PfaSym *s = ARENA_NEW(c->a, PfaSym);
    s->name = name;
    s->type = t;
    s->var = -1;
    s->readonly = 1;
    s->loc.file = c->doc->file;
    return s;
}

static void ck_routine(Ck *c, PfaBlock *b, Scope *sc, IrType *want, const char *what)
{
    if (b->n == 0)
        return;
    c->writes = 0;
    c->ncalls = 0;
    IrType *t = ck_block(c, sc, b, 0);
    if (want && !accepts(want, t))
        err(c, b->e[b->n - 1]->loc, "the %s's last expression is %s, but the output type is %s", what, TT(t),
            TT(want));
}

static void state_types(Ck *c, PfaNamed *in, int n, PfaState **out, int pool)
{
    *out = ARENA_ARRAY(c->a, PfaState, n ? n : 1);
    for (int i = 0; i < n; i++) {
        PfaState *s = &(*out)[i];
        s->name = in[i].name;
        s->loc = in[i].loc;
        s->shared = in[i].shared;
        s->rollback = in[i].rollback;
        s->type = in[i].type_j ? type_of(c, in[i].type_j) : BOTTOM;
        if (s->type == BOTTOM)
            continue;
        if (!pool) {
            if (in[i].init)
                s->init = embedded(c, in[i].init, s->type, "the cell's \"init\"");
        } else if (in[i].init) {
            IrType *m = mk_array(c, T_MAP, s->type);
            s->init = embedded(c, in[i].init, m, "the pool's \"init\"");
        } else
            s->init = "{}";
    }
}

PfaProgram *typecheck_pfa(Arena *a, Diags *d, PfaDoc *doc)
{
    Ck ck0 = {.a = a, .d = d, .doc = doc, .in_fn = -1};
    Ck *c = &ck0;
    PfaProgram *p = ARENA_NEW(a, PfaProgram);
    c->prog = p;
    p->doc = doc;

    /* 1. named types, wherever they are defined */
    collect_schema(c, doc->input_j, NULL, 0);
    collect_schema(c, doc->output_j, NULL, 0);
    for (int i = 0; i < doc->ncells; i++)
        collect_schema(c, doc->cells[i].type_j, NULL, 0);
    for (int i = 0; i < doc->npools; i++)
        collect_schema(c, doc->pools[i].type_j, NULL, 0);
    for (int i = 0; i < doc->nfcns; i++)
        collect_expr(c, doc->fcns[i].def, 0);
    collect_block(c, &doc->begin, 0);
    collect_block(c, &doc->action, 0);
    collect_block(c, &doc->end, 0);
    collect_block(c, &doc->merge, 0);
    for (int i = 0; i < c->nnamed; i++)
        build_named(c, &c->named[i]);
    for (int i = 0; i < c->nnamed; i++)
        named_defaults(c, &c->named[i]);

    /* 2. the engine's types and state */
    p->input = type_of(c, doc->input_j);
    p->output = type_of(c, doc->output_j);
    state_types(c, doc->cells, doc->ncells, &p->cells, 0);
    p->ncells = doc->ncells;
    state_types(c, doc->pools, doc->npools, &p->pools, 1);
    p->npools = doc->npools;
    if (doc->method == PFA_FOLD && doc->zero)
        p->zero = embedded(c, doc->zero, p->output, "\"zero\"");
    p->input_sym = param_sym(c, "input", p->input);
    p->tally_sym = param_sym(c, "tally", p->output);
    p->tally1_sym = param_sym(c, "tallyOne", p->output);
    p->tally2_sym = param_sym(c, "tallyTwo", p->output);

    /* 3. user functions' types first: they may call each other */
    p->fns = ARENA_ARRAY(a, PfaUFn, doc->nfcns ? doc->nfcns : 1);
    p->nfns = doc->nfcns;
    for (int i = 0; i < doc->nfcns; i++) {
        PfaUFn *f = &p->fns[i];
        PfaExpr *def = doc->fcns[i].def;
        f->name = arena_printf(a, "u.%s", doc->fcns[i].name);
        f->def = def;
        f->ir_func = -1;
        IrType **ps = ARENA_ARRAY(a, IrType *, def->nnames ? def->nnames : 1);
        for (int k = 0; k < def->nnames; k++)
            ps[k] = def->ptypes[k] ? type_of(c, def->ptypes[k]) : BOTTOM;
        def->ptypes_t = ps;
        f->type = mk_fn(c, ps, def->nnames, def->ret_j ? type_of(c, def->ret_j) : BOTTOM);
    }
    if (d->errors)
        return NULL;

    /* 4. the routines */
    c->fn_calls = ARENA_ARRAY(a, int *, p->nfns ? p->nfns : 1);
    c->fn_calls_n = ARENA_ARRAY(a, int, p->nfns ? p->nfns : 1);
    for (int i = 0; i < p->nfns; i++) {
        c->in_fn = i;
        c->writes = 0;
        c->calls = NULL;
        c->ncalls = c->cap_calls = 0;
        PfaExpr *def = p->fns[i].def;
        Scope *fs = scope_new(c, NULL, 0, 0);
        def->syms = ARENA_ARRAY(a, PfaSym *, def->nnames ? def->nnames : 1);
        for (int k = 0; k < def->nnames; k++)
            def->syms[k] = declare(c, fs, def->names[k], def->ptypes_t[k], def->ptypes[k]->loc, 0);
        IrType *t = ck_block(c, fs, &def->body, 0);
        if (!accepts(p->fns[i].type->items, t))
            err(c, def->body.n ? def->body.e[def->body.n - 1]->loc : def->loc,
                "%s returns %s, but its last expression is %s", p->fns[i].name, TT(p->fns[i].type->items),
                TT(t));
        def->type = p->fns[i].type;
        p->fns[i].writes = c->writes;
        c->fn_calls[i] = c->calls;
        c->fn_calls_n[i] = c->ncalls;
    }
    c->in_fn = -1;
    c->calls = NULL;
    c->ncalls = c->cap_calls = 0;
    ck_routine(c, &doc->begin, routine_scope(c, 0, 0, 0), NULL, "begin");
    ck_routine(c, &doc->action, routine_scope(c, 1, 1, 1),
               doc->method == PFA_EMIT ? NULL : p->output, "action");
    ck_routine(c, &doc->end, routine_scope(c, 0, 1, 1), NULL, "end");
    if (doc->has_merge) {
        Scope *ms = routine_scope(c, 0, 0, 0);
        scope_push(a, ms, p->tally1_sym);
        scope_push(a, ms, p->tally2_sym);
        ck_routine(c, &doc->merge, ms, p->output, "merge");
    }

    /* 5. updators must not change cells or pools, at any depth */
    for (int changed = 1; changed;) {
        changed = 0;
        for (int i = 0; i < p->nfns; i++)
            for (int k = 0; k < c->fn_calls_n[i] && !p->fns[i].writes; k++)
                if (p->fns[c->fn_calls[i][k]].writes)
                    p->fns[i].writes = changed = 1;
    }
    for (int i = 0; i < c->nupd; i++) {
        Updator *u = &c->upd[i];
        int w = u->writes;
        if (u->to->kind == PE_FCNREF && u->to->ufn >= 0)
            w |= p->fns[u->to->ufn].writes;
        for (int k = 0; k < u->ncalls; k++)
            w |= p->fns[u->calls[k]].writes;
        if (w)
            err(c, u->to->loc, "a cell or pool updator may not change cells or pools (directly or "
                               "through the functions it calls): that could deadlock shared state");
    }
    return d->errors ? NULL : p;
}
