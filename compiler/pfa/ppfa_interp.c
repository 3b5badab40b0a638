/* What a PrettyPFA text means in PFA: the PNode tree the grammar built is
 * written out as the PFA document (a JVal tree), in the canonical form of
 * Titus's converter (titus.prettypfa, its jsonNode):
 *   - action, begin, end, merge and every body are expression lists;
 *   - cells and pools carry explicit "shared" and "rollback" flags;
 *   - a name is a cell or a pool if the document declares one so named, a
 *     function reference if it names a library or user function, else a
 *     symbol; a.b.c reads fields (attr, cell or pool with a path).  Unlike
 *     Titus, a symbol declared in scope (var, a parameter, a loop variable,
 *     ...) is that symbol even where a cell, pool or function has its name:
 *     PFA keeps them apart, and `fcn(state: T -> T) state` means the
 *     parameter;
 *   - calls named json, int, long, float, double, string, bytes, new, apply,
 *     update, upcast, pack, doc, error and log are PFA's special forms;
 *   - type aliases (types: section) are replaced by what they stand for, and
 *     every named type is written in full where the document first mentions
 *     it (in the order of the JSON: input, output, begin, action, end, fcns,
 *     cells, pools, ...) and by its name after that.
 * Every value carries the line and column of the text it comes from, so
 * errors found later (type errors) point into the .ppfa file. */
#include "bounds.h"
#include "ppfa.h"
#include "typecheck.h"

#include <stdlib.h>
#include <string.h>

typedef struct B {
    Arena *a;
    Diags *d;
    const char *file;
    int depth, max_depth, deep_reported;
    PNode **cells, **pools, **fcns;
    int ncells, npools, nfcns;
    const char **alias_names;
    JVal **alias_types;
    int nalias, cap_alias, cap_alias2;
    PpTypeSlot *slots;     /* where types are written, in the JSON's order */
    int nslots, cap_slots;
    int anon;          /* serial of unnamed records, enums, fixed */
    const char **locals; /* the symbols declared where the builder is (scopes stack up) */
    int nlocals, cap_locals;
} B;

static void berr(B *b, const PNode *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void berr(B *b, const PNode *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    b->d->errors++;
    diag_verror(b->d, n->loc, "error", fmt, ap);
    va_end(ap);
}

/* ---- JSON values ---- */
static JVal *jv(B *b, JKind k, Loc loc) { return jval_new(b->a, k, loc); }
static JVal *jv_str(B *b, const char *s, size_t n, Loc loc) { return jval_str(b->a, s, n, loc); }
static JVal *jv_cstr(B *b, const char *s, Loc loc) { return jval_str(b->a, s, strlen(s), loc); }

static JVal *jv_int(B *b, long long i, Loc loc)
{
    JVal *v = jv(b, J_INT, loc);
    v->i = i;
    v->d = (double)i;
    return v;
}

static JVal *jv_bool(B *b, int t, Loc loc)
{
    JVal *v = jv(b, J_BOOL, loc);
    v->b = t;
    return v;
}

static JVal *push(B *b, JVal *arr, JVal *item)
{
    jval_push(b->a, arr, item);
    return arr;
}

static int put_n(B *b, JVal *obj, const char *key, size_t klen, JVal *val) { return jval_put(b->a, obj, key, klen, val); }

static int put(B *b, JVal *obj, const char *key, JVal *val) { return put_n(b, obj, key, strlen(key), val); }

/* a type written into obj (or pushed onto an array): remembered, so that
   named types can be written in full where they first appear */
static void put_type(B *b, JVal *in, const char *key, JVal *type)
{
    int at;
    if (in->kind == J_OBJ)
        at = put(b, in, key, type);
    else {
        push(b, in, type);
        at = in->n - 1;
    }
    PpTypeSlot s = {in, at};
    VEC_PUSH(b->a, b->slots, b->nslots, b->cap_slots, s);
}

static JVal *obj1(B *b, const char *key, JVal *val, Loc loc)
{
    JVal *o = jv(b, J_OBJ, loc);
    put(b, o, key, val);
    return o;
}

static int is_name(const PNode *n, const char *s) { return n && n->kind == PN_NAME && !strcmp(n->s, s); }

static int has_key(const JVal *o, const char *k, size_t kl)
{
    for (int i = 0; i < o->n; i++)
        if (o->klens[i] == kl && !memcmp(o->keys[i], k, kl))
            return 1;
    return 0;
}

/* ---- nesting ---- */
static int enter(B *b, const PNode *n)
{
    if (++b->depth > b->max_depth) {
        if (!b->deep_reported)
            berr(b, n, "the expression is nested deeper than %d levels%s", b->max_depth, limits_hint("depth"));
        b->deep_reported = 1;
        return 0;
    }
    return 1;
}

#define ENTER(n)                                   \
    do {                                           \
        if (!enter(b, (n))) {                      \
            b->depth--;                            \
            return jv(b, J_NULL, (n)->loc);        \
        }                                          \
    } while (0)
#define LEAVE(v) return (b->depth--, (v))

/* ---- JSON written in PrettyPFA: names, numbers, strings, [ ], {k: v} ---- */
static JVal *as_json(B *b, const PNode *n)
{
    ENTER(n);
    JVal *v;
    switch (n->kind) {
    case PN_NUM:
        if (n->is_int)
            LEAVE(jv_int(b, n->i, n->loc));
        v = jv(b, J_REAL, n->loc);
        v->d = n->num;
        LEAVE(v);
    case PN_STR:
        LEAVE(jv_str(b, n->s, n->slen, n->loc));
    case PN_NAME:
        if (!strcmp(n->s, "null"))
            LEAVE(jv(b, J_NULL, n->loc));
        if (!strcmp(n->s, "true") || !strcmp(n->s, "false"))
            LEAVE(jv_bool(b, n->s[0] == 't', n->loc));
        LEAVE(jv_cstr(b, n->s, n->loc));
    case PN_BRACKET:
        v = jv(b, J_ARR, n->loc);
        for (int i = 0; i < n->n; i++)
            push(b, v, as_json(b, n->kids[i]));
        LEAVE(v);
    case PN_BLOCK:
        v = jv(b, J_OBJ, n->loc);
        for (int i = 0; i < n->n; i++) {
            PNode *p = n->kids[i];
            if (p->kind != PN_PARAM) {
                berr(b, p, "a JSON object in PrettyPFA holds only key: value pairs, separated by ','");
                continue;
            }
            if (has_key(v, p->s, p->slen))
                berr(b, p, "the key '%s' is given twice", p->s);
            put_n(b, v, p->s, p->slen, as_json(b, p->a));
        }
        LEAVE(v);
    default:
        berr(b, n, "a JSON value is expected here (a number, string, name, [ ... ] or {key: value})");
        LEAVE(jv(b, J_NULL, n->loc));
    }
}

/* ---- Avro types ---- */
static JVal *alias_of(B *b, const char *name)
{
    for (int i = 0; i < b->nalias; i++)
        if (!strcmp(b->alias_names[i], name))
            return b->alias_types[i];
    return NULL;
}

/* name and namespace of a dotted name */
static void put_name(B *b, JVal *o, const PNode *n)
{
    const char *dot = strrchr(n->s, '.');
    put(b, o, "name", jv_cstr(b, dot ? dot + 1 : n->s, n->loc));
    if (dot)
        put(b, o, "namespace", jv_str(b, n->s, (size_t)(dot - n->s), n->loc));
}

static JVal *as_type(B *b, const PNode *n)
{
    ENTER(n);
    JVal *o, *alias;
    if (n->kind == PN_NAME) {
        if ((alias = alias_of(b, n->s)))
            LEAVE(alias);
        LEAVE(jv_cstr(b, n->s, n->loc));
    }
    if (n->kind != PN_CALL) {
        berr(b, n, "a type is expected here: a name (double, MyRecord, ...) or array(..), map(..), "
             "union(..), record(..), enum(..), fixed(..)");
        LEAVE(jv_cstr(b, "null", n->loc));
    }
    const char *f = n->s;
    o = jv(b, J_OBJ, n->loc);
    if (!strcmp(f, "array") || !strcmp(f, "map")) {
        if (n->n != 1 || n->kids[0]->kind == PN_PARAM) {
            berr(b, n, "%s(...) takes one type", f);
            LEAVE(jv_cstr(b, "null", n->loc));
        }
        put(b, o, "type", jv_cstr(b, f, n->loc));
        put(b, o, f[0] == 'a' ? "items" : "values", as_type(b, n->kids[0]));
        LEAVE(o);
    }
    if (!strcmp(f, "union")) {
        JVal *u = jv(b, J_ARR, n->loc);
        if (n->n < 1)
            berr(b, n, "union(...) takes at least one type");
        for (int i = 0; i < n->n; i++)
            push(b, u, as_type(b, n->kids[i]));
        LEAVE(u);
    }
    if (!strcmp(f, "fixed")) {
        const PNode *sz = n->n >= 1 ? n->kids[0] : NULL;
        if (n->n < 1 || n->n > 2 || sz->kind != PN_NUM || !sz->is_int || sz->i <= 0 || sz->i > 2147483647 ||
            (n->n == 2 && n->kids[1]->kind != PN_NAME)) {
            berr(b, n, "fixed(SIZE, NAME) takes a positive size and, optionally, a name");
            LEAVE(jv_cstr(b, "null", n->loc));
        }
        put(b, o, "type", jv_cstr(b, "fixed", n->loc));
        put(b, o, "size", jv_int(b, sz->i, sz->loc));
        if (n->n == 2)
            put_name(b, o, n->kids[1]);
        else
            put(b, o, "name", jv_cstr(b, arena_printf(b->a, "Fixed_%d", ++b->anon), n->loc));
        LEAVE(o);
    }
    if (!strcmp(f, "enum")) {
        const PNode *syms = n->n >= 1 ? n->kids[0] : NULL;
        if (n->n < 1 || n->n > 2 || syms->kind != PN_BRACKET || (n->n == 2 && n->kids[1]->kind != PN_NAME)) {
            berr(b, n, "enum([SYMBOLS], NAME) takes a [list] of symbols and, optionally, a name");
            LEAVE(jv_cstr(b, "null", n->loc));
        }
        put(b, o, "type", jv_cstr(b, "enum", n->loc));
        JVal *s = jv(b, J_ARR, syms->loc);
        for (int i = 0; i < syms->n; i++) {
            if (syms->kids[i]->kind != PN_NAME)
                berr(b, syms->kids[i], "an enum symbol is a name");
            else
                push(b, s, jv_cstr(b, syms->kids[i]->s, syms->kids[i]->loc));
        }
        put(b, o, "symbols", s);
        if (n->n == 2)
            put_name(b, o, n->kids[1]);
        else
            put(b, o, "name", jv_cstr(b, arena_printf(b->a, "Enum_%d", ++b->anon), n->loc));
        LEAVE(o);
    }
    if (!strcmp(f, "record")) {
        const PNode *name = NULL;
        JVal *fields = jv(b, J_ARR, n->loc);
        for (int i = 0; i < n->n; i++) {
            const PNode *p = n->kids[i];
            if (p->kind == PN_PARAM) {
                JVal *fo = jv(b, J_OBJ, p->loc);
                put(b, fo, "name", jv_str(b, p->s, p->slen, p->loc));
                put(b, fo, "type", as_type(b, p->a));
                push(b, fields, fo);
            } else if (p->kind == PN_NAME && !name)
                name = p;
            else
                berr(b, p, "record(NAME, field: type, ...) takes one name and fields");
        }
        put(b, o, "type", jv_cstr(b, "record", n->loc));
        if (name)
            put_name(b, o, name);
        else
            put(b, o, "name", jv_cstr(b, arena_printf(b->a, "Record_%d", ++b->anon), n->loc));
        put(b, o, "fields", fields);
        LEAVE(o);
    }
    berr(b, n, "'%s(...)' is not a type (array, map, union, record, enum, fixed are)", f);
    LEAVE(jv_cstr(b, "null", n->loc));
}

/* ---- expressions ---- */
static JVal *as_expr(B *b, const PNode *n);

static int in_list(PNode **l, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(l[i]->s, name))
            return 1;
    return 0;
}

static int is_local(B *b, const char *s)
{
    for (int i = b->nlocals - 1; i >= 0; i--)
        if (!strcmp(b->locals[i], s))
            return 1;
    return 0;
}

static void declare(B *b, const char *s) { VEC_PUSH(b->a, b->locals, b->nlocals, b->cap_locals, s); }

static int is_cell(B *b, const char *s) { return !is_local(b, s) && in_list(b->cells, b->ncells, s); }
static int is_pool(B *b, const char *s) { return !is_local(b, s) && in_list(b->pools, b->npools, s); }

static int is_fcn_name(B *b, const char *s)
{
    if (is_local(b, s))
        return 0;
    if (!strncmp(s, "u.", 2) && in_list(b->fcns, b->nfcns, s + 2))
        return 1;
    return pfa_lib_known(s);
}

/* the statements of a body: a { ... } block's, or the one expression */
static JVal *as_body(B *b, const PNode *n)
{
    int scope = b->nlocals;
    JVal *l = jv(b, J_ARR, n->loc);
    if (n->kind == PN_BLOCK && n->n > 0 && n->kids[0]->kind != PN_PARAM) {
        for (int i = 0; i < n->n; i++)
            push(b, l, as_expr(b, n->kids[i]));
    } else
        push(b, l, as_expr(b, n));
    b->nlocals = scope;
    return l;
}

/* a body where names are declared: the names of PARAM kids (or one name) */
static JVal *body_with(B *b, const PNode *body, PNode **names, int n, const char *one, const char *two)
{
    int scope = b->nlocals;
    for (int i = 0; i < n; i++)
        declare(b, names[i]->s);
    if (one)
        declare(b, one);
    if (two)
        declare(b, two);
    JVal *l = as_body(b, body);
    b->nlocals = scope;
    return l;
}

/* a name, a string, or a string's value where PFA wants a plain string */
static const char *plain_text(const PNode *n, size_t *len)
{
    if (n->kind == PN_NAME || n->kind == PN_STR) {
        *len = n->kind == PN_NAME ? strlen(n->s) : n->slen;
        return n->s;
    }
    return NULL;
}

static int as_bool(B *b, const PNode *p, const char *what)
{
    if (is_name(p->a, "true"))
        return 1;
    if (!is_name(p->a, "false"))
        berr(b, p, "%s must be true or false", what);
    return 0;
}

/* base.x.y[args] as the base name, and the path: "x", "y", then args */
static JVal *dotted_path(B *b, const PNode *at, const char *name, PNode **args, int nargs, const char **base)
{
    JVal *path = jv(b, J_ARR, at->loc);
    const char *dot = strchr(name, '.');
    *base = dot ? arena_strndup(b->a, name, (size_t)(dot - name)) : name;
    while (dot) {
        const char *p = dot + 1;
        dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        push(b, path, obj1(b, "string", jv_str(b, p, n, at->loc), at->loc));
    }
    for (int i = 0; i < nargs; i++)
        push(b, path, as_expr(b, args[i]));
    return path;
}

/* reading a name, or name[args]: a cell, a pool or a symbol's fields */
static JVal *get_form(B *b, const PNode *at, const char *name, PNode **args, int nargs)
{
    const char *base;
    JVal *path = dotted_path(b, at, name, args, nargs, &base);
    JVal *o = jv(b, J_OBJ, at->loc);
    if (is_cell(b, base)) {
        put(b, o, "cell", jv_cstr(b, base, at->loc));
        if (path->n)
            put(b, o, "path", path);
    } else if (is_pool(b, base)) {
        put(b, o, "pool", jv_cstr(b, base, at->loc));
        put(b, o, "path", path);
    } else {
        put(b, o, "attr", jv_cstr(b, base, at->loc));
        put(b, o, "path", path);
    }
    return o;
}

static int is_fcn_value(const JVal *v)
{
    return v->kind == J_OBJ && (has_key(v, "fcn", 3) || has_key(v, "params", 6));
}

/* an updater after `to`, or a value after `=` */
static JVal *as_arg(B *b, const PNode *n);

/* name = value, name[args] = value, name to f [init v], name[args] to f [init v] */
static JVal *set_form(B *b, const PNode *at, const char *name, PNode **args, int nargs, const PNode *to,
                      const PNode *init, int direct)
{
    const char *base;
    JVal *path = dotted_path(b, at, name, args, nargs, &base);
    /* built in the order they are written, init before to (see put_type) */
    JVal *initv = is_pool(b, base) ? as_expr(b, init ? init : to) : NULL;
    JVal *tov = as_arg(b, to);
    if (direct && is_fcn_value(tov))
        berr(b, to, "an assignment with '=' takes a value, not a function (use 'to' for an updater)");
    if (!direct && !is_fcn_value(tov))
        berr(b, to, "'to' takes a function (fcn(...) ..., or a function's name); use '=' for a value");
    if (init && !is_pool(b, base))
        berr(b, init, "only a pool's update has an 'init'");
    if (!direct && is_pool(b, base) && !init)
        berr(b, at, "an update of a pool with 'to' needs an 'init' (the value for a new item)");
    JVal *o = jv(b, J_OBJ, at->loc);
    if (is_cell(b, base)) {
        put(b, o, "cell", jv_cstr(b, base, at->loc));
        if (path->n)
            put(b, o, "path", path);
        put(b, o, "to", tov);
    } else if (is_pool(b, base)) {
        put(b, o, "pool", jv_cstr(b, base, at->loc));
        put(b, o, "path", path);
        put(b, o, "init", initv);
        put(b, o, "to", tov);
    } else if (!path->n) {
        put(b, o, "set", obj1(b, name, tov, at->loc));
    } else {
        put(b, o, "attr", jv_cstr(b, base, at->loc));
        put(b, o, "path", path);
        put(b, o, "to", tov);
    }
    return o;
}

static JVal *fcndef(B *b, const PNode *n)
{
    int scope = b->nlocals;
    JVal *o = jv(b, J_OBJ, n->loc);
    JVal *params = jv(b, J_ARR, n->loc);
    for (int i = 0; i < n->n; i++) {
        const PNode *p = n->kids[i];
        JVal *po = jv(b, J_OBJ, p->loc);
        put_type(b, po, p->s, as_type(b, p->a));
        push(b, params, po);
        declare(b, p->s);
    }
    put(b, o, "params", params);
    put_type(b, o, "ret", as_type(b, n->a));
    JVal *body = jv(b, J_ARR, n->b->loc);
    if (n->b->kind == PN_BLOCK) {
        for (int i = 0; i < n->b->n; i++)
            push(b, body, as_expr(b, n->b->kids[i]));
    } else
        push(b, body, as_expr(b, n->b));
    put(b, o, "do", body);
    b->nlocals = scope;
    return o;
}

static JVal *as_arg(B *b, const PNode *n)
{
    if (n->kind == PN_FCNDEF)
        return fcndef(b, n);
    return as_expr(b, n);
}

static JVal *params_obj(B *b, const PNode *n)
{
    JVal *o = jv(b, J_OBJ, n->loc);
    for (int i = 0; i < n->n; i++) {
        const PNode *p = n->kids[i];
        if (p->kind != PN_PARAM) {
            berr(b, p, "name: value pairs are expected here");
            continue;
        }
        if (has_key(o, p->s, p->slen))
            berr(b, p, "'%s' is given twice", p->s);
        put_n(b, o, p->s, p->slen, as_arg(b, p->a));
    }
    return o;
}

static int count_params(const PNode *n)
{
    int k = 0;
    for (int i = 0; i < n->n; i++)
        k += n->kids[i]->kind == PN_PARAM;
    return k;
}

static JVal *literal_of(B *b, const PNode *n, const char *key, JVal *v)
{
    return obj1(b, key, v, n->loc);
}

static JVal *base64_literal(B *b, const PNode *n, const JVal *v)
{
    char *dec;
    size_t len;
    if (v->kind != J_STR || !pfa_base64_decode(b->a, v->s, v->slen, &dec, &len))
        berr(b, n, "bytes(...) takes a base64 string");
    return literal_of(b, n, "base64", jv_str(b, v->kind == J_STR ? v->s : "", v->kind == J_STR ? v->slen : 0,
                                            n->loc));
}

/* the calls that are PFA's special forms; NULL if n is an ordinary call */
static JVal *special_call(B *b, const PNode *n)
{
    const char *f = n->s;
    int na = n->n;
    PNode **k = n->kids;
    JVal *o, *v;
    if (!strcmp(f, "json")) {
        if (na != 2) {
            berr(b, n, "json(TYPE, VALUE) takes 2 arguments");
            return jv(b, J_NULL, n->loc);
        }
        JVal *t = as_type(b, k[0]);
        v = as_json(b, k[1]);
        if (t->kind == J_STR) {
            if (!strcmp(t->s, "null"))
                return jv(b, J_NULL, n->loc);
            if (!strcmp(t->s, "int") && v->kind == J_INT)
                return v;
            if (!strcmp(t->s, "long") || !strcmp(t->s, "float"))
                return literal_of(b, n, t->s, v);
            if (!strcmp(t->s, "double") && (v->kind == J_INT || v->kind == J_REAL)) {
                v->kind = J_REAL;
                return v;
            }
            if (!strcmp(t->s, "string"))
                return literal_of(b, n, "string", v);
            if (!strcmp(t->s, "bytes"))
                return base64_literal(b, n, v);
        }
        o = jv(b, J_OBJ, n->loc);
        put_type(b, o, "type", t);
        put(b, o, "value", v);
        return o;
    }
    int lit = !strcmp(f, "int") || !strcmp(f, "long") || !strcmp(f, "float") || !strcmp(f, "double") ||
              !strcmp(f, "string") || !strcmp(f, "bytes");
    if (lit) {
        if (na != 1 || (k[0]->kind != PN_NUM && k[0]->kind != PN_STR && k[0]->kind != PN_NAME)) {
            berr(b, n, "%s(...) makes a literal: it takes one number or string", f);
            return jv(b, J_NULL, n->loc);
        }
        v = as_json(b, k[0]);
        int num = v->kind == J_INT || v->kind == J_REAL;
        if ((f[0] == 'i' || f[0] == 'l') && v->kind != J_INT)
            berr(b, n, "%s(...) takes an integer", f);
        else if ((f[0] == 'f' || f[0] == 'd') && !num)
            berr(b, n, "%s(...) takes a number", f);
        else if ((f[0] == 's' || f[0] == 'b') && v->kind != J_STR)
            berr(b, n, "%s(...) takes a string", f);
        if (f[0] == 'i')
            return v;
        if (f[0] == 'd') {
            v->kind = num ? J_REAL : v->kind;
            return v;
        }
        if (f[0] == 'b')
            return base64_literal(b, n, v);
        return literal_of(b, n, f, v);
    }
    if (!strcmp(f, "apply")) {
        if (na < 1) {
            berr(b, n, "apply(FUNCTION, ARGS...) takes at least the function");
            return jv(b, J_NULL, n->loc);
        }
        o = jv(b, J_OBJ, n->loc);
        put(b, o, "call", as_expr(b, k[0]));
        JVal *args = jv(b, J_ARR, n->loc);
        for (int i = 1; i < na; i++)
            push(b, args, as_arg(b, k[i]));
        put(b, o, "args", args);
        return o;
    }
    if (!strcmp(f, "update")) {
        if (na != 2 || k[1]->kind != PN_PARAM) {
            berr(b, n, "update(RECORD, field: value) takes a record and one field: value pair");
            return jv(b, J_NULL, n->loc);
        }
        o = jv(b, J_OBJ, n->loc);
        put(b, o, "attr", as_expr(b, k[0]));
        JVal *path = jv(b, J_ARR, k[1]->loc);
        push(b, path, literal_of(b, k[1], "string", jv_str(b, k[1]->s, k[1]->slen, k[1]->loc)));
        put(b, o, "path", path);
        put(b, o, "to", as_expr(b, k[1]->a));
        return o;
    }
    if (!strcmp(f, "new")) {
        if (na < 1) {
            berr(b, n, "new(TYPE, ...) takes a type and the items or fields");
            return jv(b, J_NULL, n->loc);
        }
        JVal *t = as_type(b, k[0]);
        o = jv(b, J_OBJ, n->loc);
        put_type(b, o, "type", t);
        int array = t->kind == J_OBJ && jstr_is(jget(t, "type"), "array");
        int np = count_params(n);
        if (array) {
            if (np)
                berr(b, n, "new(array(...), ...) takes items, not key: value pairs");
            JVal *items = jv(b, J_ARR, n->loc);
            for (int i = 1; i < na; i++)
                push(b, items, as_expr(b, k[i]));
            put(b, o, "new", items);
        } else {
            if (np != na - 1)
                berr(b, n, "new(TYPE, ...) of a record or a map takes key: value pairs");
            JVal *fields = jv(b, J_OBJ, n->loc);
            for (int i = 1; i < na; i++)
                if (k[i]->kind == PN_PARAM) {
                    if (has_key(fields, k[i]->s, k[i]->slen))
                        berr(b, k[i], "'%s' is given twice", k[i]->s);
                    put_n(b, fields, k[i]->s, k[i]->slen, as_expr(b, k[i]->a));
                }
            put(b, o, "new", fields);
        }
        return o;
    }
    if (!strcmp(f, "upcast")) {
        if (na != 2) {
            berr(b, n, "upcast(TYPE, VALUE) takes 2 arguments");
            return jv(b, J_NULL, n->loc);
        }
        JVal *t = as_type(b, k[0]);
        o = jv(b, J_OBJ, n->loc);
        put(b, o, "upcast", as_expr(b, k[1]));
        put_type(b, o, "as", t);
        return o;
    }
    if (!strcmp(f, "pack")) {
        o = jv(b, J_OBJ, n->loc);
        JVal *l = jv(b, J_ARR, n->loc);
        if (na < 1 || count_params(n) != na)
            berr(b, n, "pack(\"format\": value, ...) takes format: value pairs");
        for (int i = 0; i < na; i++)
            if (k[i]->kind == PN_PARAM)
                push(b, l, obj1(b, arena_strndup(b->a, k[i]->s, k[i]->slen), as_expr(b, k[i]->a), k[i]->loc));
        put(b, o, "pack", l);
        return o;
    }
    if (!strcmp(f, "doc")) {
        if (na != 1 || k[0]->kind != PN_STR) {
            berr(b, n, "doc(\"text\") takes one string");
            return jv(b, J_NULL, n->loc);
        }
        return obj1(b, "doc", jv_str(b, k[0]->s, k[0]->slen, k[0]->loc), n->loc);
    }
    if (!strcmp(f, "error")) {
        const PNode *msg = NULL, *code = NULL;
        size_t ml = 0;
        for (int i = 0; i < na; i++) {
            if (k[i]->kind == PN_PARAM && !strcmp(k[i]->s, "code") && !code)
                code = k[i];
            else if (k[i]->kind != PN_PARAM && !msg)
                msg = k[i];
            else
                berr(b, k[i], "error(\"message\", code: N) takes a message and an optional code");
        }
        const char *text = msg ? plain_text(msg, &ml) : NULL;
        if (!text) {
            berr(b, n, "error(\"message\", code: N) takes a message (a string)");
            text = "";
        }
        o = jv(b, J_OBJ, n->loc);
        put(b, o, "error", jv_str(b, text, ml, n->loc));
        if (code) {
            if (code->a->kind != PN_NUM || !code->a->is_int)
                berr(b, code, "an error's code is an integer");
            put(b, o, "code", jv_int(b, code->a->i, code->loc));
        }
        return o;
    }
    if (!strcmp(f, "del")) { /* nerva's addition: PFA's pool-del, which Titus's PrettyPFA cannot say */
        if (na != 2 || k[0]->kind != PN_NAME || !is_pool(b, k[0]->s) || k[1]->kind == PN_PARAM) {
            berr(b, n, "del(POOL, KEY) takes the name of a pool and a key");
            return jv(b, J_NULL, n->loc);
        }
        o = jv(b, J_OBJ, n->loc);
        put(b, o, "pool", jv_cstr(b, k[0]->s, k[0]->loc));
        put(b, o, "del", as_expr(b, k[1]));
        return o;
    }
    if (!strcmp(f, "log")) {
        o = jv(b, J_OBJ, n->loc);
        JVal *l = jv(b, J_ARR, n->loc);
        const PNode *ns = NULL;
        for (int i = 0; i < na; i++) {
            if (k[i]->kind != PN_PARAM)
                push(b, l, as_expr(b, k[i]));
            else if (!strcmp(k[i]->s, "namespace") && !ns)
                ns = k[i];
            else
                berr(b, k[i], "log(..., namespace: NAME) takes only a namespace besides the values");
        }
        put(b, o, "log", l);
        if (ns) {
            size_t nl;
            const char *t = plain_text(ns->a, &nl);
            if (!t)
                berr(b, ns, "a log's namespace is a name or a string");
            put(b, o, "namespace", jv_str(b, t ? t : "", t ? nl : 0, ns->loc));
        }
        return o;
    }
    return NULL;
}

static JVal *call(B *b, const PNode *n)
{
    JVal *o = special_call(b, n);
    if (o)
        return o;
    if (count_params(n)) { /* f(a: x): a reference to f with some parameters filled */
        if (count_params(n) != n->n)
            berr(b, n, "a function reference with filled parameters takes only name: value pairs");
        o = jv(b, J_OBJ, n->loc);
        put(b, o, "fcn", jv_cstr(b, n->s, n->loc));
        put(b, o, "fill", params_obj(b, n));
        return o;
    }
    JVal *args = jv(b, J_ARR, n->loc);
    for (int i = 0; i < n->n; i++) {
        if (n->kids[i]->kind == PN_BRACKET)
            berr(b, n->kids[i], "a [...] list is not an argument (new(array(T), ...) makes an array)");
        push(b, args, as_arg(b, n->kids[i]));
    }
    return obj1(b, n->s, args, n->loc);
}

static JVal *name_expr(B *b, const PNode *n)
{
    if (!strcmp(n->s, "null"))
        return jv(b, J_NULL, n->loc);
    if (!strcmp(n->s, "true") || !strcmp(n->s, "false"))
        return jv_bool(b, n->s[0] == 't', n->loc);
    if (is_fcn_name(b, n->s))
        return obj1(b, "fcn", jv_cstr(b, n->s, n->loc), n->loc);
    if (strchr(n->s, '.') || is_cell(b, n->s) || is_pool(b, n->s))
        return get_form(b, n, n->s, NULL, 0);
    return jv_cstr(b, n->s, n->loc);
}

/* if/else-if chains become a "cond" */
static JVal *if_form(B *b, const PNode *n)
{
    int k = 0;
    const PNode *p;
    for (p = n; p->kind == PN_IF; p = p->c) {
        k++;
        if (!p->c)
            break;
    }
    const PNode *els = p->kind == PN_IF ? NULL : p;
    JVal *o = jv(b, J_OBJ, n->loc);
    if (k == 1) {
        put(b, o, "if", as_expr(b, n->a));
        put(b, o, "then", as_body(b, n->b));
    } else {
        JVal *cond = jv(b, J_ARR, n->loc);
        for (p = n; p && p->kind == PN_IF; p = p->c) {
            JVal *c = jv(b, J_OBJ, p->loc);
            put(b, c, "if", as_expr(b, p->a));
            put(b, c, "then", as_body(b, p->b));
            push(b, cond, c);
        }
        put(b, o, "cond", cond);
    }
    if (els)
        put(b, o, "else", as_body(b, els));
    return o;
}

static JVal *pairs_obj(B *b, const PNode *assign)
{
    JVal *o = jv(b, J_OBJ, assign->loc);
    for (int i = 0; i < assign->n; i++) {
        const PNode *p = assign->kids[i];
        if (strchr(p->s, '.'))
            berr(b, p, "'%s' has a dot: only one field is assigned at a time (separate with ';')", p->s);
        if (has_key(o, p->s, p->slen))
            berr(b, p, "'%s' is assigned twice", p->s);
        JVal *v = as_expr(b, p->a);
        if (is_fcn_value(v))
            berr(b, p->a, "a variable holds a value, not a function");
        put_n(b, o, p->s, p->slen, v);
    }
    return o;
}

static JVal *expr_kind(B *b, const PNode *n)
{
    JVal *o;
    switch (n->kind) {
    case PN_NUM:
    case PN_NAME:
        if (n->kind == PN_NAME)
            return name_expr(b, n);
        return as_json(b, n);
    case PN_STR:
        return obj1(b, "string", jv_str(b, n->s, n->slen, n->loc), n->loc);
    case PN_CALL:
        return call(b, n);
    case PN_BLOCK:
        if (n->n == 0 || n->kids[0]->kind == PN_PARAM) {
            berr(b, n, "a {key: value} object is not an expression (new(TYPE, ...) or json(TYPE, {...}) "
                 "makes one)");
            return jv(b, J_NULL, n->loc);
        }
        return obj1(b, "do", as_body(b, n), n->loc);
    case PN_IF:
        return if_form(b, n);
    case PN_WHILE:
        o = jv(b, J_OBJ, n->loc);
        put(b, o, "while", as_expr(b, n->a));
        put(b, o, "do", as_body(b, n->b));
        return o;
    case PN_DOUNTIL:
        o = jv(b, J_OBJ, n->loc);
        put(b, o, "do", as_body(b, n->b));
        put(b, o, "until", as_expr(b, n->a));
        return o;
    case PN_FOR: {
        int scope = b->nlocals;
        o = jv(b, J_OBJ, n->loc);
        put(b, o, "for", pairs_obj(b, n->a));
        for (int i = 0; i < n->a->n; i++)
            declare(b, n->a->kids[i]->s);
        put(b, o, "while", as_expr(b, n->b));
        put(b, o, "step", pairs_obj(b, n->c));
        put(b, o, "do", as_body(b, n->d));
        b->nlocals = scope;
        return o;
    }
    case PN_FOREACH:
        o = jv(b, J_OBJ, n->loc);
        put(b, o, "foreach", jv_str(b, n->a->s, n->a->slen, n->a->loc));
        put(b, o, "in", as_expr(b, n->a->a));
        put(b, o, "do", body_with(b, n->d, NULL, 0, n->a->s, NULL));
        if (n->b && strcmp(n->b->s, "seq"))
            berr(b, n->b, "foreach (x: ARRAY, seq: true) takes only 'seq' besides the loop variable");
        put(b, o, "seq", jv_bool(b, n->b ? as_bool(b, n->b, "seq") : 0, n->loc));
        return o;
    case PN_FORKV:
        o = jv(b, J_OBJ, n->loc);
        put(b, o, "forkey", jv_str(b, n->s, n->slen, n->loc));
        put(b, o, "forval", jv_str(b, n->a->s, n->a->slen, n->a->loc));
        put(b, o, "in", as_expr(b, n->a->a));
        put(b, o, "do", body_with(b, n->d, NULL, 0, n->s, n->a->s));
        return o;
    case PN_CAST: {
        o = jv(b, J_OBJ, n->loc);
        put(b, o, "cast", as_expr(b, n->a));
        JVal *cases = jv(b, J_ARR, n->loc);
        for (int i = 0; i < n->n; i++) {
            const PNode *c = n->kids[i];
            JVal *co = jv(b, J_OBJ, c->loc);
            put_type(b, co, "as", as_type(b, c->a->a));
            put(b, co, "named", jv_str(b, c->a->s, c->a->slen, c->a->loc));
            put(b, co, "do", body_with(b, c->d, NULL, 0, c->a->s, NULL));
            push(b, cases, co);
        }
        put(b, o, "cases", cases);
        if (n->b && strcmp(n->b->s, "partial"))
            berr(b, n->b, "cast (x, partial: true) takes only 'partial' besides the expression");
        put(b, o, "partial", jv_bool(b, n->b ? as_bool(b, n->b, "partial") : 0, n->loc));
        return o;
    }
    case PN_IFNOTNULL:
        o = jv(b, J_OBJ, n->loc);
        put(b, o, "ifnotnull", params_obj(b, n));
        put(b, o, "then", body_with(b, n->b, n->kids, n->n, NULL, NULL));
        if (n->c)
            put(b, o, "else", as_body(b, n->c));
        return o;
    case PN_UNPACK: {
        o = jv(b, J_OBJ, n->loc);
        put(b, o, "unpack", as_expr(b, n->a));
        JVal *fmt = jv(b, J_ARR, n->loc);
        for (int i = 0; i < n->n; i++) {
            const PNode *p = n->kids[i];
            size_t fl;
            const char *t = plain_text(p->a, &fl);
            if (!t)
                berr(b, p, "an unpack format is a name or a string (\"little int\")");
            push(b, fmt, obj1(b, arena_strndup(b->a, p->s, p->slen), jv_str(b, t ? t : "", t ? fl : 0, p->a->loc),
                              p->loc));
        }
        put(b, o, "format", fmt);
        put(b, o, "then", body_with(b, n->b, n->kids, n->n, NULL, NULL));
        if (n->c)
            put(b, o, "else", as_body(b, n->c));
        return o;
    }
    case PN_TRY:
        if (!n->d) {
            berr(b, n, "try (...) needs the expression it tries after the filters");
            return jv(b, J_NULL, n->loc);
        }
        o = jv(b, J_OBJ, n->loc);
        put(b, o, "try", as_body(b, n->d));
        if (n->has_filter) {
            JVal *f = jv(b, J_ARR, n->loc);
            for (int i = 0; i < n->n; i++) {
                const PNode *p = n->kids[i];
                size_t fl;
                const char *t = plain_text(p, &fl);
                if (t)
                    push(b, f, jv_str(b, t, fl, p->loc));
                else if (p->kind == PN_NUM && p->is_int)
                    push(b, f, jv_int(b, p->i, p->loc));
                else
                    berr(b, p, "a try filter is an error message (a string) or an error code (an integer)");
            }
            put(b, o, "filter", f);
        }
        return o;
    case PN_INDEX:
        if (n->a->kind == PN_NAME && !n->a->paren)
            return get_form(b, n, n->a->s, n->kids, n->n);
        o = jv(b, J_OBJ, n->loc);
        put(b, o, "attr", as_expr(b, n->a));
        {
            JVal *path = jv(b, J_ARR, n->loc);
            for (int i = 0; i < n->n; i++)
                push(b, path, as_expr(b, n->kids[i]));
            put(b, o, "path", path);
        }
        return o;
    case PN_INDEX_SET:
        if (n->a->kind == PN_NAME && !n->a->paren)
            return set_form(b, n, n->a->s, n->kids, n->n, n->b, n->c, 1);
        if (n->c)
            berr(b, n->c, "only a pool's update has an 'init'");
        o = jv(b, J_OBJ, n->loc);
        put(b, o, "attr", as_expr(b, n->a));
        {
            JVal *path = jv(b, J_ARR, n->loc);
            for (int i = 0; i < n->n; i++)
                push(b, path, as_expr(b, n->kids[i]));
            put(b, o, "path", path);
        }
        put(b, o, "to", as_expr(b, n->b));
        return o;
    case PN_ASSIGN:
        if (!n->flag && n->n == 1)
            return set_form(b, n->kids[0], n->kids[0]->s, NULL, 0, n->kids[0]->a, NULL, 1);
        o = obj1(b, n->flag ? "let" : "set", pairs_obj(b, n), n->loc);
        for (int i = 0; n->flag && i < n->n; i++) /* var: declared for what follows in the body */
            declare(b, n->kids[i]->s);
        return o;
    case PN_TO: {
        const PNode *base = n->a;
        if (base->kind == PN_NAME && !base->paren)
            return set_form(b, n, base->s, NULL, 0, n->b, n->c, 0);
        if (base->kind == PN_INDEX && base->a->kind == PN_NAME && !base->a->paren && !base->paren)
            return set_form(b, n, base->a->s, base->kids, base->n, n->b, n->c, 0);
        berr(b, n, "the left of 'to' is a name or name[...]: a variable, a cell or a pool");
        return jv(b, J_NULL, n->loc);
    }
    case PN_ENUMSYM:
        o = jv(b, J_OBJ, n->loc);
        put_type(b, o, "type", jv_cstr(b, n->s, n->loc));
        put(b, o, "value", jv_cstr(b, n->s2, n->loc));
        return o;
    case PN_FCNDEF:
        berr(b, n, "a function definition is an argument of a call, or the updater after 'to'");
        return jv(b, J_NULL, n->loc);
    case PN_PARAM:
        berr(b, n, "a key: value pair is not an expression");
        return jv(b, J_NULL, n->loc);
    case PN_BRACKET:
        berr(b, n, "a [...] list is not an expression (new(array(T), ...) or json(array(T), [...]) makes an "
             "array)");
        return jv(b, J_NULL, n->loc);
    default:
        berr(b, n, "not an expression");
        return jv(b, J_NULL, n->loc);
    }
}

static JVal *as_expr(B *b, const PNode *n)
{
    ENTER(n);
    LEAVE(expr_kind(b, n));
}

/* ---- the document ---- */
static const char *const SECTIONS[] = {"name", "method", "input", "output", "types", "begin", "action", "end",
                                       "fcns", "zero", "merge", "cells", "pools", "randseed", "doc",
                                       "version", "metadata", "options", NULL};

typedef struct Sec {
    const PNode *node;     /* the section */
    PNode **items;         /* its content as a list */
    int n;
    int semi;              /* a ';' was written */
} Sec;

static Sec *section(Sec *secs, const char *name)
{
    for (int i = 0; SECTIONS[i]; i++)
        if (!strcmp(SECTIONS[i], name))
            return secs[i].node ? &secs[i] : NULL;
    return NULL;
}

/* the one item of a section that holds one value */
static const PNode *one(B *b, Sec *s)
{
    if (!s)
        return NULL;
    if (s->n != 1) {
        berr(b, s->node, "the %s: section holds one item, not %d", s->node->s, s->n);
        return NULL;
    }
    return s->items[0];
}

/* begin, action, end, merge: an expression list ({a; b} alone is its list) */
static JVal *routine(B *b, Sec *s)
{
    JVal *l = jv(b, J_ARR, s->node->loc);
    PNode **items = s->items;
    int n = s->n;
    if (n == 1 && !s->semi && items[0]->kind == PN_BLOCK && items[0]->n > 0 && items[0]->kids[0]->kind != PN_PARAM) {
        n = items[0]->n;
        items = items[0]->kids;
    }
    int scope = b->nlocals;
    for (int i = 0; i < n; i++)
        push(b, l, as_expr(b, items[i]));
    b->nlocals = scope;
    return l;
}

static void define_type(B *b, const PNode *t)
{
    if (t->kind == PN_ASSIGN && !t->flag && t->n == 1) {
        JVal *v = as_type(b, t->kids[0]->a);
        VEC_PUSH(b->a, b->alias_names, b->nalias, b->cap_alias, t->kids[0]->s);
        int n2 = b->nalias - 1;
        VEC_PUSH(b->a, b->alias_types, n2, b->cap_alias2, v);
        /* registered, so that a type used nowhere else is still checked */
        return;
    }
    if (t->kind == PN_CALL && (!strcmp(t->s, "record") || !strcmp(t->s, "enum") || !strcmp(t->s, "fixed"))) {
        JVal *v = as_type(b, t);
        JVal *nm = jget(v, "name"), *ns = jget(v, "namespace");
        const char *alias = nm && nm->kind == J_STR ? nm->s : "";
        if (ns && ns->kind == J_STR)
            alias = arena_printf(b->a, "%s.%s", ns->s, alias);
        VEC_PUSH(b->a, b->alias_names, b->nalias, b->cap_alias, alias);
        int n2 = b->nalias - 1;
        VEC_PUSH(b->a, b->alias_types, n2, b->cap_alias2, v);
        return;
    }
    berr(b, t, "a types: section holds NAME = TYPE and record(...), enum(...), fixed(...) definitions");
}

static void state_section(B *b, JVal *root, Sec *s, int pool)
{
    JVal *o = jv(b, J_OBJ, s->node->loc);
    for (int i = 0; i < s->n; i++) {
        const PNode *c = s->items[i];
        const PNode *type = NULL;
        int shared = 0, rollback = 0;
        const char *source = NULL;
        size_t srclen = 0;
        for (int k = 0; k < c->n; k++) {
            const PNode *p = c->kids[k];
            if (p->kind != PN_PARAM) {
                if (type)
                    berr(b, p, "a %s has one type", pool ? "pool" : "cell");
                type = p;
            } else if (!strcmp(p->s, "type")) {
                if (type)
                    berr(b, p, "a %s has one type", pool ? "pool" : "cell");
                type = p->a;
            } else if (!strcmp(p->s, "shared"))
                shared = as_bool(b, p, "'shared'");
            else if (!strcmp(p->s, "rollback"))
                rollback = as_bool(b, p, "'rollback'");
            else if (!strcmp(p->s, "source")) {
                if (!(source = plain_text(p->a, &srclen)))
                    berr(b, p, "'source' is a name or a string");
            } else
                berr(b, p, "a %s takes its type, shared:, rollback: and source:, not '%s'", pool ? "pool" : "cell",
                     p->s);
        }
        if (!type) {
            berr(b, c, "the %s '%s' needs a type: %s(TYPE) = ...", pool ? "pool" : "cell", c->s, c->s);
            continue;
        }
        if (has_key(o, c->s, strlen(c->s)))
            berr(b, c, "the %s '%s' is declared twice", pool ? "pool" : "cell", c->s);
        JVal *co = jv(b, J_OBJ, c->loc);
        put_type(b, co, "type", as_type(b, type));
        JVal *init = as_json(b, c->a);
        if (pool && init->kind != J_OBJ)
            berr(b, c->a, "a pool's initial value is a {key: value} object");
        put(b, co, "init", init);
        put(b, co, "shared", jv_bool(b, shared, c->loc));
        put(b, co, "rollback", jv_bool(b, rollback, c->loc));
        if (source && !(srclen == 8 && !memcmp(source, "embedded", 8)))
            put(b, co, "source", jv_str(b, source, srclen, c->loc));
        put(b, o, c->s, co);
    }
    put(b, root, pool ? "pools" : "cells", o);
}

static JVal *interpret(B *b, const PNode *sections)
{
    Sec secs[sizeof SECTIONS / sizeof *SECTIONS] = {{0}};
    Loc top = {.file = b->file, .line = 1, .col = 1};
    for (int i = 0; sections && i < sections->n; i++) {
        const PNode *s = sections->kids[i];
        int k;
        for (k = 0; SECTIONS[k] && strcmp(SECTIONS[k], s->s); k++)
            ;
        if (!SECTIONS[k]) {
            berr(b, s, "'%s:' is not a section of PrettyPFA (name, method, input, output, types, begin, "
                 "action, end, fcns, zero, merge, cells, pools, randseed, doc, version, metadata, options)", s->s);
            continue;
        }
        if (secs[k].node) {
            berr(b, s, "the %s: section is given twice", s->s);
            continue;
        }
        secs[k].node = s;
        const PNode *c = s->a;
        if (c && c->kind == PN_LIST) {
            secs[k].items = c->kids;
            secs[k].n = c->n;
            secs[k].semi = c->flag;
        } else if (c) {
            secs[k].items = ARENA_ARRAY(b->a, PNode *, 1);
            secs[k].items[0] = (PNode *)c;
            secs[k].n = 1;
        }
    }
    Sec *s;
    if ((s = section(secs, "cells"))) {
        b->cells = s->items;
        b->ncells = s->n;
    }
    if ((s = section(secs, "pools"))) {
        b->pools = s->items;
        b->npools = s->n;
    }
    if ((s = section(secs, "fcns"))) {
        b->fcns = s->items;
        b->nfcns = s->n;
    }
    if ((s = section(secs, "types")))
        for (int i = 0; i < s->n; i++) {
            if (s->n == 1 && s->items[0]->kind == PN_BLOCK && s->items[0]->n && s->items[0]->kids[0]->kind != PN_PARAM)
                for (int k = 0; k < s->items[0]->n; k++)
                    define_type(b, s->items[0]->kids[k]);
            else
                define_type(b, s->items[i]);
        }

    JVal *root = jv(b, J_OBJ, top);
    const PNode *p;
    size_t tl;
    const char *t;
    if ((p = one(b, section(secs, "name")))) {
        if (!(t = plain_text(p, &tl)))
            berr(b, p, "name: is a name or a string");
        else
            put(b, root, "name", jv_str(b, t, tl, p->loc));
    }
    static const char *const need[] = {"input", "output", "action"};
    for (int i = 0; i < 3; i++)
        if (!section(secs, need[i]))
            berr(b, &(PNode){.loc = top}, "a PrettyPFA document needs an %s: section", need[i]);
    if ((p = one(b, section(secs, "input"))))
        put_type(b, root, "input", as_type(b, p));
    if ((p = one(b, section(secs, "output"))))
        put_type(b, root, "output", as_type(b, p));
    const char *method = "map";
    Loc mloc = top;
    if ((p = one(b, section(secs, "method")))) {
        t = plain_text(p, &tl);
        if (!t || (strcmp(t, "map") && strcmp(t, "emit") && strcmp(t, "fold")))
            berr(b, p, "method: is map, emit or fold");
        else
            method = t;
        mloc = p->loc;
    }
    put(b, root, "method", jv_cstr(b, method, mloc));
    if ((s = section(secs, "begin")) && s->n)
        put(b, root, "begin", routine(b, s));
    if ((s = section(secs, "action"))) {
        if (!s->n)
            berr(b, s->node, "the action: section is empty");
        put(b, root, "action", routine(b, s));
    }
    if ((s = section(secs, "end")) && s->n)
        put(b, root, "end", routine(b, s));
    if ((s = section(secs, "fcns")) && s->n) {
        JVal *o = jv(b, J_OBJ, s->node->loc);
        for (int i = 0; i < s->n; i++) {
            if (has_key(o, s->items[i]->s, strlen(s->items[i]->s)))
                berr(b, s->items[i], "the function '%s' is defined twice", s->items[i]->s);
            put(b, o, s->items[i]->s, fcndef(b, s->items[i]->a));
        }
        put(b, root, "fcns", o);
    }
    if ((s = section(secs, "cells")) && s->n)
        state_section(b, root, s, 0);
    if ((s = section(secs, "pools")) && s->n)
        state_section(b, root, s, 1);
    if ((p = one(b, section(secs, "zero"))))
        put(b, root, "zero", as_json(b, p));
    if ((s = section(secs, "merge")))
        put(b, root, "merge", routine(b, s));
    static const char *const ints[] = {"randseed", "version"};
    for (int i = 0; i < 2; i++)
        if ((p = one(b, section(secs, ints[i])))) {
            if (p->kind != PN_NUM || !p->is_int)
                berr(b, p, "%s: is an integer", ints[i]);
            put(b, root, ints[i], jv_int(b, p->i, p->loc));
        }
    if ((p = one(b, section(secs, "doc")))) {
        if (!(t = plain_text(p, &tl)))
            berr(b, p, "doc: is a string");
        else
            put(b, root, "doc", jv_str(b, t, tl, p->loc));
    }
    static const char *const objs[] = {"metadata", "options"};
    for (int i = 0; i < 2; i++)
        if ((p = one(b, section(secs, objs[i])))) {
            JVal *v = as_json(b, p);
            if (v->kind != J_OBJ)
                berr(b, p, "%s: is a {key: value} object", objs[i]);
            put(b, root, objs[i], v);
        }
    if (!b->d->errors)
        ppfa_named_types(b->a, b->d, b->max_depth, b->alias_types, b->nalias, b->slots, b->nslots);
    return root;
}

/* JSON paths on every value, for the comments of generated code */
static void set_paths(Arena *a, JVal *v, const char *path, int depth)
{
    v->loc.path = path;
    if (depth > 1000)
        return;
    for (int i = 0; (v->kind == J_ARR || v->kind == J_OBJ) && i < v->n; i++) {
        const char *seg = v->kind == J_ARR ? arena_printf(a, "%d", i) : v->keys[i];
        StrBuf s;
        sb_init(&s);
        sb_puts(&s, path[1] ? path : "");
        sb_putc(&s, '/');
        for (const char *c = seg; *c && c - seg < 200; c++) {
            if (*c == '~')
                sb_puts(&s, "~0");
            else if (*c == '/')
                sb_puts(&s, "~1");
            else
                sb_putc(&s, (unsigned char)*c < 0x20 ? '?' : *c);
        }
        set_paths(a, v->items[i], arena_strdup(a, s.data), depth + 1);
        sb_free(&s);
    }
}

JVal *ppfa_to_json(Arena *a, Diags *d, const char *file, const char *data, size_t len, const PfaLimits *lim)
{
    PfaLimits def = {.max_bytes = (size_t)nv_limits.file_bytes, .max_depth = (int)nv_limits.depth * 2};
    if (!lim)
        lim = &def;
    Loc top = {.file = file};
    if (len > lim->max_bytes || len > 0x7fffffff) {
        diag_error(d, top, "the document is larger than %zu bytes%s", lim->max_bytes, limits_hint("file-bytes"));
        return NULL;
    }
    /* the text stays for the source lines that diagnostics show */
    d->src_file = file;
    d->src = arena_strndup(a, data, len);
    d->src_len = len;
    PpCtx x = {.a = a, .d = d, .file = file};
    int errors = d->errors;
    int rc = ppfa_parse_text(&x, data, len);
    if (rc || d->errors > errors) {
        if (d->errors == errors)
            diag_error(d, top, rc == 2 ? "the document is nested too deeply" : "cannot parse the document");
        return NULL;
    }
    B b = {.a = a, .d = d, .file = file, .max_depth = lim->max_depth};
    JVal *root = interpret(&b, x.sections);
    if (d->errors > errors)
        return NULL;
    set_paths(a, root, "/", 0);
    return root;
}

PfaDoc *read_ppfa(Arena *a, Diags *d, const char *file, const char *data, size_t len, const PfaLimits *lim)
{
    JVal *root = ppfa_to_json(a, d, file, data, len, lim);
    if (!root)
        return NULL;
    return pfa_doc_from_json(a, d, file, root);
}
